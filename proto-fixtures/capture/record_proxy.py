#!/usr/bin/env python3
"""Tiny recording TCP proxy (stdlib only, one thread per direction).

Listens on a local port; every accepted connection is connected to TARGET and bytes are
forwarded both ways unchanged. Each connection n (1, 2, ... in accept order) is recorded as

    <outdir>/<scenario>-<n>.c2s.bin   raw bytes client -> target
    <outdir>/<scenario>-<n>.s2c.bin   raw bytes target -> client
    <outdir>/<scenario>-<n>.json      {"scenario", "connection", "client_url_options", "notes", ...}

Bytes are written to the file before they are forwarded, so a peer that resets the
connection never loses recorded data. Half-close is propagated: EOF read from one side
becomes shutdown(SHUT_WR) towards the other side; the connection is finished when both
directions have seen EOF (or an error).

Stopping: SIGTERM/SIGINT closes the listener, waits up to --drain-timeout seconds for open
connections to finish by themselves, then force-closes the rest (their sidecar says so).

Usage:
    record_proxy.py --listen 127.0.0.1:63617 --target 127.0.0.1:63616 \
        --outdir DIR --scenario NAME [--client-url-options STR] [--notes STR] \
        [--ready-file PATH] [--drain-timeout 10]
    record_proxy.py --route 127.0.0.1:63627=127.0.0.1:63626 --route 127.0.0.1:63628=127.0.0.1:63636 ...
        (several listeners in one recording; connections are numbered across all of them in
        accept order and each sidecar names its "listen" and "target")
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

CHUNK = 65536


def hostport(s):
    host, _, port = s.rpartition(":")
    return (host or "127.0.0.1", int(port))


class Connection:
    def __init__(self, proxy, n, client_sock, client_addr, listen, target):
        self.proxy = proxy
        self.listen = listen
        self.target = target
        self.n = n
        self.client = client_sock
        self.client_addr = client_addr
        self.server = None
        self.base = os.path.join(proxy.args.outdir, f"{proxy.args.scenario}-{n}")
        self.counts = {"c2s": 0, "s2c": 0}
        self.endings = {}
        self.forced = False
        self.error = None
        self.done = threading.Event()
        self.t_start = time.time()

    def start(self):
        threading.Thread(target=self._run, name=f"conn-{self.n}", daemon=True).start()

    def _run(self):
        files = {}
        try:
            try:
                self.server = socket.create_connection(self.target, timeout=10)
                self.server.settimeout(None)
            except OSError as e:
                self.error = f"connect to target failed: {e}"
                return
            for s in (self.client, self.server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            files["c2s"] = open(self.base + ".c2s.bin", "wb")
            files["s2c"] = open(self.base + ".s2c.bin", "wb")
            pumps = [
                threading.Thread(target=self._pump, args=("c2s", self.client, self.server, files["c2s"]), daemon=True),
                threading.Thread(target=self._pump, args=("s2c", self.server, self.client, files["s2c"]), daemon=True),
            ]
            for t in pumps:
                t.start()
            for t in pumps:
                t.join()
        finally:
            for f in files.values():
                f.close()
            for s in (self.client, self.server):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass
            self._write_sidecar()
            self.done.set()

    def _pump(self, name, src, dst, f):
        ending = "eof"
        dst_alive = True
        while True:
            try:
                data = src.recv(CHUNK)
            except OSError as e:
                ending = f"error: {e.__class__.__name__}"
                break
            if not data:
                break
            f.write(data)
            f.flush()
            self.counts[name] += len(data)
            if dst_alive:
                try:
                    dst.sendall(data)
                except OSError:
                    # Peer gone; keep draining the source so everything it sends is recorded.
                    dst_alive = False
        self.endings[name] = ending
        try:
            dst.shutdown(socket.SHUT_WR)  # half-close propagation
        except OSError:
            pass

    def force_close(self):
        self.forced = True
        for s in (self.client, self.server):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _write_sidecar(self):
        a = self.proxy.args
        meta = {
            "scenario": a.scenario,
            "connection": self.n,
            "client_url_options": a.client_url_options,
            "notes": a.notes,
            "listen": f"{self.listen[0]}:{self.listen[1]}",
            "target": f"{self.target[0]}:{self.target[1]}",
            "c2s_bytes": self.counts["c2s"],
            "s2c_bytes": self.counts["s2c"],
            "duration_s": round(time.time() - self.t_start, 3),
        }
        if self.endings and any(v != "eof" for v in self.endings.values()):
            meta["endings"] = self.endings
        if self.forced:
            meta["forced_close"] = True
        if self.error:
            meta["error"] = self.error
        with open(self.base + ".json", "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")


class Proxy:
    def __init__(self, args, routes):
        self.args = args
        self.routes = routes  # [(listen (host, port), target (host, port))]
        self.stop = threading.Event()
        self.conns = []
        self.lock = threading.Lock()
        self.n = 0

    def _accept_loop(self, ls, listen, target):
        while not self.stop.is_set():
            try:
                cs, addr = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stop.is_set():
                    break
                raise
            cs.settimeout(None)
            with self.lock:
                self.n += 1
                c = Connection(self, self.n, cs, addr, listen, target)
                self.conns.append(c)
            c.start()
        ls.close()

    def run(self):
        os.makedirs(self.args.outdir, exist_ok=True)
        listeners = []
        for (lhost, lport), target in self.routes:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((lhost, lport))
            ls.listen(64)
            ls.settimeout(0.1)
            listen = (lhost, ls.getsockname()[1])
            listeners.append((ls, listen, target))
            print(f"record_proxy listening {listen[0]}:{listen[1]} -> {target[0]}:{target[1]} scenario={self.args.scenario}", flush=True)
        if self.args.ready_file:
            with open(self.args.ready_file, "w") as f:
                f.write(" ".join(str(l[1][1]) for l in listeners) + "\n")
        threads = [threading.Thread(target=self._accept_loop, args=l, daemon=True) for l in listeners]
        for t in threads:
            t.start()
        while not self.stop.is_set():
            self.stop.wait(0.2)
        for t in threads:
            t.join()
        deadline = time.time() + self.args.drain_timeout
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            c.done.wait(max(0.0, deadline - time.time()))
        forced = 0
        for c in conns:
            if not c.done.is_set():
                forced += 1
                c.force_close()
        for c in conns:
            c.done.wait(5)
        print(f"record_proxy stopped: {len(conns)} connection(s), {forced} force-closed", flush=True)
        return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", help="HOST:PORT to listen on (PORT 0 = any free port)")
    p.add_argument("--target", help="HOST:PORT to connect each accepted connection to")
    p.add_argument("--route", action="append", default=[], metavar="LISTEN=TARGET",
                   help="an additional listener HOST:PORT=HOST:PORT (repeatable)")
    p.add_argument("--outdir", required=True)
    p.add_argument("--scenario", required=True)
    p.add_argument("--client-url-options", default="")
    p.add_argument("--notes", default="")
    p.add_argument("--ready-file", help="written with the listening port once accepting")
    p.add_argument("--drain-timeout", type=float, default=10.0,
                   help="seconds to wait for open connections after SIGTERM before force-closing")
    args = p.parse_args()
    routes = []
    if args.listen or args.target:
        if not (args.listen and args.target):
            p.error("--listen and --target go together")
        routes.append((hostport(args.listen), hostport(args.target)))
    for r in args.route:
        l, sep, t = r.partition("=")
        if not sep:
            p.error(f"bad --route {r!r}")
        routes.append((hostport(l), hostport(t)))
    if not routes:
        p.error("give --listen/--target or --route")
    proxy = Proxy(args, routes)

    def on_signal(signum, frame):
        proxy.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.exit(proxy.run())


if __name__ == "__main__":
    main()
