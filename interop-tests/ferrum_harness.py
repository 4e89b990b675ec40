"""Helpers shared by the interop tests: the ferrum process, a raw-socket
STOMP client for byte-level checks, and a thin wrapper over stomp.py.

Every wait here is bounded; nothing blocks forever on a broken broker.
"""

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import uuid

import stomp

HOST = "127.0.0.1"
#: Default bound for waiting on anything the broker should do promptly.
WAIT = 5.0

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTENING_RE = re.compile(r"STOMP listening on ([0-9.]+):(\d+)")
OPENWIRE_RE = re.compile(r"OpenWire listening on ([0-9.]+):(\d+)")


def ferrum_bin():
    path = os.environ.get("FERRUM_BIN") or os.path.join(
        REPO_ROOT, "target", "release", "ferrum"
    )
    if not os.access(path, os.X_OK):
        raise RuntimeError(
            f"ferrum binary not found at {path}: build it with "
            "`cargo build --release --bin ferrum` or set FERRUM_BIN"
        )
    return path


def unique(prefix="d"):
    """A destination-safe unique name, so tests never see each other's messages."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------
# The broker process
# --------------------------------------------------------------------------


class Ferrum:
    """A running `ferrum` process on a free loopback port."""

    def __init__(self, data_dir, extra_args=(), start_timeout=10.0, stomp_port=0, openwire_port=0,
                 prefix=(), bind=HOST):
        # `prefix`: a command to run ferrum under (`ip netns exec NS`);
        # `bind`: the address it listens on (clients then use `host`).
        self.data_dir = str(data_dir)
        self.args = [
            *prefix,
            ferrum_bin(),
            "--bind",
            bind,
            "--stomp-port",
            str(stomp_port),
            "--openwire-port",
            str(openwire_port),
            "--data-dir",
            self.data_dir,
            *extra_args,
        ]
        env = dict(os.environ)
        env.setdefault("FERRUM_LOG", "info")
        self.lines = []
        self._lines_lock = threading.Lock()
        self._port_found = threading.Event()
        self.host = HOST
        self.port = None
        # Logged before the STOMP line, so known once `port` is.
        self.openwire_port = None
        self.process = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.pid = self.process.pid
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()
        if not self._port_found.wait(start_timeout):
            self.kill()
            raise RuntimeError(
                f"ferrum did not report its STOMP port within {start_timeout}s; "
                f"exit={self.process.poll()} log:\n{self.log}"
            )

    def _drain_stdout(self):
        # Read until EOF so the pipe never fills, whatever the log volume.
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lines_lock:
                self.lines.append(line)
            if self.openwire_port is None:
                m = OPENWIRE_RE.search(line)
                if m:
                    self.openwire_port = int(m.group(2))
            if self.port is None:
                m = LISTENING_RE.search(line)
                if m:
                    self.host = m.group(1)
                    self.port = int(m.group(2))
                    self._port_found.set()
        self.process.stdout.close()

    @property
    def log(self):
        with self._lines_lock:
            return "\n".join(self.lines)

    @property
    def address(self):
        return (self.host, self.port)

    def alive(self):
        return self.process.poll() is None

    def rss_kb(self):
        """Resident set size in KiB, from /proc/<pid>/status."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def terminate(self, timeout=5.0, sig=signal.SIGTERM):
        """SIGTERM, wait (bounded), SIGKILL if needed. Returns (exit code, seconds)."""
        t0 = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            rc = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        elapsed = time.monotonic() - t0
        self._drain.join(2.0)
        return rc, elapsed

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass


# --------------------------------------------------------------------------
# Raw socket STOMP client
# --------------------------------------------------------------------------


class Frame:
    def __init__(self, command, header_list, body):
        self.command = command
        #: Every header line, in order, repeats included.
        self.header_list = header_list
        #: First occurrence wins, as the spec says.
        self.headers = {}
        for k, v in header_list:
            self.headers.setdefault(k, v)
        self.body = body

    def __repr__(self):
        return f"Frame({self.command!r}, {self.header_list!r}, {self.body[:200]!r})"


ESCAPES = {"\\": "\\\\", "\n": "\\n", ":": "\\c", "\r": "\\r"}


def escape_header(s, version):
    if version == "1.0":
        return s
    out = []
    for ch in s:
        if ch == "\r" and version == "1.1":
            out.append(ch)
        else:
            out.append(ESCAPES.get(ch, ch))
    return "".join(out)


def unescape_header(s, version):
    if version == "1.0":
        return s
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            rep = {"\\": "\\", "n": "\n", "c": ":", "r": "\r"}.get(n)
            if rep is None:
                # Not ours to judge here: keep it literally (ActiveMQ does).
                out.append(c)
                i += 1
                continue
            out.append(rep)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def encode_frame(command, headers=(), body=b"", version="1.2", escape=True):
    """Bytes of one frame. `headers` is a dict or a list of pairs, sent in order."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = [command]
    for k, v in headers:
        k, v = str(k), str(v)
        if escape and command not in ("CONNECT", "STOMP"):
            k, v = escape_header(k, version), escape_header(v, version)
        lines.append(f"{k}:{v}")
    return ("\n".join(lines) + "\n\n").encode("utf-8") + body + b"\x00"


class ConnectionClosed(Exception):
    pass


class RawStomp:
    """A STOMP client on a plain socket: exact bytes out, frames in, deadlines on reads."""

    def __init__(self, address, version="1.2", timeout=WAIT, rcvbuf=None):
        if rcvbuf is None:
            self.sock = socket.create_connection(address, timeout=timeout)
        else:
            # A small receive window, set before connecting (a stalled reader).
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect(address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.version = version
        self.buf = b""
        self.eof = False
        #: monotonic times of heart-beat EOLs received between frames
        self.heartbeats = []
        #: MESSAGE frames that arrived while request() waited for its answer
        self.pending = []
        self._receipt_seq = 0

    # --- output ---
    def send_bytes(self, data):
        self.sock.sendall(data)

    def send_frame(self, command, headers=(), body=b"", escape=True):
        self.send_bytes(
            encode_frame(command, headers, body, version=self.version, escape=escape)
        )

    def connect(self, accept_version=None, heart_beat=None, extra=None, command="CONNECT"):
        """CONNECT and return the CONNECTED frame (asserts it is one)."""
        headers = []
        av = self.version if accept_version is None else accept_version
        if av:
            headers.append(("accept-version", av))
        headers.append(("host", "localhost"))
        if heart_beat:
            headers.append(("heart-beat", heart_beat))
        for k, v in (extra or {}).items():
            headers.append((k, v))
        self.send_frame(command, headers)
        f = self.read_frame()
        assert f.command == "CONNECTED", f
        return f

    def next_receipt(self):
        self._receipt_seq += 1
        return f"raw-{self._receipt_seq}"

    def request(self, command, headers=(), body=b"", timeout=WAIT):
        """Send a frame with a receipt header; return the next frame that is not a MESSAGE
        (the RECEIPT, or the ERROR), plus the MESSAGE frames seen meanwhile."""
        r = self.next_receipt()
        if isinstance(headers, dict):
            headers = list(headers.items())
        self.send_frame(command, list(headers) + [("receipt", r)], body)
        messages = []
        deadline = time.monotonic() + timeout
        while True:
            f = self.read_frame(max(0.01, deadline - time.monotonic()))
            if f.command == "MESSAGE":
                messages.append(f)
                self.pending.append(f)
                continue
            if f.command == "RECEIPT":
                assert f.headers.get("receipt-id") == r, f
            return f, messages

    def call(self, command, headers=(), body=b"", timeout=WAIT):
        """Like request, but the answer must be the RECEIPT."""
        f, messages = self.request(command, headers, body, timeout)
        assert f.command == "RECEIPT", f
        return messages

    # --- input ---
    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete frame in time; buffered {self.buf[:300]!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError(f"no complete frame in time; buffered {self.buf[:300]!r}")
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            raise ConnectionClosed(f"connection closed; buffered {self.buf[:300]!r}")
        self.buf += chunk

    def read_frame(self, timeout=WAIT):
        """The next frame; heart-beat EOLs before it are recorded in self.heartbeats."""
        deadline = time.monotonic() + timeout
        while True:
            # Heart-beats / EOLs between frames.
            while self.buf[:1] in (b"\n", b"\r"):
                if self.buf.startswith(b"\r\n"):
                    self.buf = self.buf[2:]
                elif self.buf.startswith(b"\n"):
                    self.buf = self.buf[1:]
                elif len(self.buf) == 1:  # a lone \r: wait for its \n
                    break
                else:
                    self.buf = self.buf[1:]
                self.heartbeats.append(time.monotonic())
            f = self._parse()
            if f is not None:
                return f
            if self.eof:
                raise ConnectionClosed(f"connection closed; buffered {self.buf[:300]!r}")
            self._fill(deadline)

    def _parse(self):
        m = re.search(b"\r?\n\r?\n", self.buf)
        if not m:
            return None
        head = self.buf[: m.start()].decode("utf-8")
        lines = re.split("\r?\n", head)
        command = lines[0]
        header_list = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if command != "CONNECTED":
                k, v = unescape_header(k, self.version), unescape_header(v, self.version)
            header_list.append((k, v))
        start = m.end()
        length = None
        for k, v in header_list:
            if k == "content-length":
                length = int(v)
                break
        if length is not None:
            if len(self.buf) < start + length + 1:
                return None
            body = self.buf[start : start + length]
            assert self.buf[start + length : start + length + 1] == b"\x00", (
                "frame body not followed by NUL",
                self.buf[: start + length + 20],
            )
            end = start + length + 1
        else:
            nul = self.buf.find(b"\x00", start)
            if nul < 0:
                return None
            body = self.buf[start:nul]
            end = nul + 1
        # An EOL right behind the NUL (in the same read) ends the frame; it
        # is not a heart-beat (ActiveMQ writes "\0\n").
        if self.buf[end : end + 1] == b"\n":
            end += 1
        elif self.buf[end : end + 2] == b"\r\n":
            end += 2
        self.buf = self.buf[end:]
        return Frame(command, header_list, body)

    def read_message(self, timeout=WAIT):
        """The next MESSAGE (those request() saw first); any other frame fails."""
        if self.pending:
            return self.pending.pop(0)
        f = self.read_frame(timeout)
        assert f.command == "MESSAGE", f
        return f

    def read_frames_until_closed(self, timeout=WAIT):
        """Frames received until the peer closes; fails if it does not close in time."""
        frames = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                frames.append(self.read_frame(max(0.01, deadline - time.monotonic())))
            except ConnectionClosed:
                return frames

    def expect_no_frame(self, duration):
        """Assert nothing but heart-beats arrives for `duration` seconds."""
        try:
            f = self.read_frame(duration)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame: {f!r}")

    def is_open(self, timeout=0.3):
        """True if the broker has not closed the connection (reads for up to `timeout`)."""
        if self.eof:
            return False
        try:
            self.sock.settimeout(timeout)
            chunk = self.sock.recv(65536, socket.MSG_PEEK)
            return bool(chunk)
        except socket.timeout:
            return True
        except OSError:
            return False

    def wait_closed(self, timeout):
        """Wait until the broker closes the connection; returns seconds waited or raises."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"broker did not close the connection within {timeout}s")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                return time.monotonic() - t0
            self.buf += chunk
            # EOL heart-beats just keep coming; record them.
            while self.buf[:1] == b"\n":
                self.buf = self.buf[1:]
                self.heartbeats.append(time.monotonic())

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# stomp.py wrapper
# --------------------------------------------------------------------------


class Listener(stomp.ConnectionListener):
    def __init__(self):
        self.messages = queue.Queue()
        self.errors = queue.Queue()
        self.receipts = queue.Queue()
        self.connected_frames = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.heartbeat_timeouts = 0

    def on_connected(self, frame):
        self.connected_frames.put(frame)
        self.connected.set()

    def on_message(self, frame):
        self.messages.put(frame)

    def on_error(self, frame):
        self.errors.put(frame)

    def on_receipt(self, frame):
        self.receipts.put(frame)

    def on_disconnected(self):
        self.disconnected.set()

    def on_heartbeat_timeout(self):
        self.heartbeat_timeouts += 1


CONNECTION_CLASSES = {
    "1.0": stomp.Connection10,
    "1.1": stomp.Connection11,
    "1.2": stomp.Connection12,
}


class Client:
    """A stomp.py connection plus a listener collecting what arrives."""

    def __init__(
        self,
        broker,
        version="1.2",
        login=None,
        passcode=None,
        headers=None,
        heartbeats=(0, 0),
        auto_content_length=True,
        auto_decode=True,
        with_connect_command=False,
        wait=True,
    ):
        self.version = version
        cls = CONNECTION_CLASSES[version]
        kwargs = dict(
            host_and_ports=[broker.address],
            auto_content_length=auto_content_length,
            auto_decode=auto_decode,
            reconnect_attempts_max=1,
            # No socket timeout: stomp.py would take an idle read timing out
            # for a lost connection. Loopback connects fail fast anyway.
            timeout=None,
        )
        if version != "1.0":
            kwargs["heartbeats"] = heartbeats
        self.conn = cls(**kwargs)
        self.listener = Listener()
        self.conn.set_listener("collector", self.listener)
        self._receipt_seq = 0
        self.connect_headers = dict(headers or {})
        if version == "1.0":
            self.conn.connect(login, passcode, wait=False, headers=self.connect_headers)
        else:
            self.conn.connect(
                login,
                passcode,
                wait=False,
                headers=self.connect_headers,
                with_connect_command=with_connect_command,
            )
        self.connected_frame = None
        if wait:
            self.wait_connected()

    def wait_connected(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.connected_frame = self.listener.connected_frames.get(timeout=0.05)
                return self.connected_frame
            except queue.Empty:
                pass
            if not self.listener.errors.empty():
                raise AssertionError(f"ERROR instead of CONNECTED: {self.listener.errors.get()}")
        raise AssertionError(f"no CONNECTED within {timeout}s")

    # --- frames with receipts ---
    def _receipt(self):
        self._receipt_seq += 1
        return f"py-{self._receipt_seq}-{uuid.uuid4().hex[:6]}"

    def wait_receipt(self, receipt, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                errs = []
                while not self.listener.errors.empty():
                    errs.append(self.listener.errors.get())
                raise AssertionError(f"no RECEIPT {receipt} within {timeout}s; errors: {errs}")
            try:
                f = self.listener.receipts.get(timeout=min(remaining, 0.05))
            except queue.Empty:
                if not self.listener.errors.empty():
                    raise AssertionError(
                        f"ERROR while waiting for RECEIPT {receipt}: {self.listener.errors.get()}"
                    )
                continue
            if f.headers.get("receipt-id") == receipt:
                return f

    def send(self, destination, body, headers=None, receipt=True, **kw):
        h = dict(headers or {})
        r = None
        if receipt:
            r = self._receipt()
            h["receipt"] = r
        self.conn.send(destination, body, headers=h, **kw)
        if r:
            self.wait_receipt(r)

    def subscribe(self, destination, id=None, ack="auto", headers=None, receipt=True):
        h = dict(headers or {})
        r = None
        if receipt:
            r = self._receipt()
            h["receipt"] = r
        if id is None:
            id = unique("sub")
        if self.version == "1.0":
            self.conn.subscribe(destination, id=id, ack=ack, headers=h)
        else:
            self.conn.subscribe(destination, id, ack=ack, headers=h)
        if r:
            self.wait_receipt(r)
        return id

    def unsubscribe(self, id, headers=None, receipt=True, destination=None):
        h = dict(headers or {})
        r = None
        if receipt:
            r = self._receipt()
            h["receipt"] = r
        if self.version == "1.0":
            self.conn.unsubscribe(destination=destination, id=id, headers=h)
        else:
            self.conn.unsubscribe(id, headers=h)
        if r:
            self.wait_receipt(r)

    def ack(self, frame, transaction=None, receipt=True, nack=False):
        """ACK (or NACK) a MESSAGE frame the way this version names it."""
        r = self._receipt() if receipt else None
        if self.version == "1.2":
            fn = self.conn.nack if nack else self.conn.ack
            fn(frame.headers["ack"], transaction=transaction, receipt=r)
        elif self.version == "1.1":
            fn = self.conn.nack if nack else self.conn.ack
            fn(
                frame.headers["message-id"],
                frame.headers["subscription"],
                transaction=transaction,
                receipt=r,
            )
        else:
            assert not nack, "STOMP 1.0 has no NACK"
            self.conn.ack(frame.headers["message-id"], transaction=transaction, receipt=r)
        if r:
            self.wait_receipt(r)

    def begin(self, tx, receipt=True):
        h = {"receipt": self._receipt()} if receipt else {}
        self.conn.begin(tx, headers=h)
        if receipt:
            self.wait_receipt(h["receipt"])

    def commit(self, tx, receipt=True):
        h = {"receipt": self._receipt()} if receipt else {}
        self.conn.commit(tx, headers=h)
        if receipt:
            self.wait_receipt(h["receipt"])

    def abort(self, tx, receipt=True):
        h = {"receipt": self._receipt()} if receipt else {}
        self.conn.abort(tx, headers=h)
        if receipt:
            self.wait_receipt(h["receipt"])

    # --- input ---
    def get(self, timeout=WAIT):
        try:
            return self.listener.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no MESSAGE within {timeout}s") from None

    def get_n(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"got {len(out)} of {n} messages within {timeout}s: "
                    f"{[m.body for m in out][:20]}"
                )
            try:
                out.append(self.listener.messages.get(timeout=remaining))
            except queue.Empty:
                pass
        return out

    def expect_nothing(self, duration=0.5):
        try:
            m = self.listener.messages.get(timeout=duration)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected MESSAGE: {m.headers} {m.body!r}")

    def drain(self, settle=0.3):
        """All messages that arrive until none has come for `settle` seconds."""
        out = []
        while True:
            try:
                out.append(self.listener.messages.get(timeout=settle))
            except queue.Empty:
                return out

    def get_error(self, timeout=WAIT):
        try:
            return self.listener.errors.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no ERROR within {timeout}s") from None

    # --- shutdown ---
    def disconnect(self, timeout=WAIT):
        """DISCONNECT with a receipt and wait for it; the socket is closed afterwards."""
        if not self.conn.is_connected():
            self.abandon()
            return None
        r = self._receipt()
        # Sent by hand: stomp.py's disconnect(receipt=...) waits for its
        # receiver thread without a bound.
        self.conn.send_frame("DISCONNECT", {"receipt": r})
        try:
            f = self.wait_receipt(r, timeout)
        finally:
            self.abandon()
        return f

    def abandon(self):
        """Close the socket without DISCONNECT (an abrupt client exit)."""
        try:
            self.conn.transport.disconnect_socket()
        except Exception:
            pass


# --------------------------------------------------------------------------
# Bulk helpers for volume tests
# --------------------------------------------------------------------------


class FastReader(threading.Thread):
    """Reads MESSAGE frames off a raw socket as fast as it can and records
    the first `keep` bytes of each body (enough for a sequence number)."""

    def __init__(self, sock, expect, timeout, keep=8):
        super().__init__(daemon=True)
        self.sock = sock
        self.expect = expect
        self.timeout = timeout
        self.keep = keep
        self.heads = []
        self.commands = []
        self.error = None
        self.finished_at = None

    def run(self):
        buf = bytearray()
        pos = 0
        deadline = time.monotonic() + self.timeout
        cl_re = re.compile(rb"\ncontent-length:(\d+)")
        try:
            while len(self.heads) < self.expect:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"read {len(self.heads)} of {self.expect} messages in time")
                self.sock.settimeout(remaining)
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionClosed(f"closed after {len(self.heads)} messages")
                buf += chunk
                while True:
                    while pos < len(buf) and buf[pos] in (10, 13):
                        pos += 1
                    hdr_end = buf.find(b"\n\n", pos)
                    if hdr_end < 0:
                        break
                    header = bytes(buf[pos:hdr_end])
                    start = hdr_end + 2
                    m = cl_re.search(header)
                    if m:
                        end = start + int(m.group(1))
                        if len(buf) < end + 1:
                            break
                    else:
                        end = buf.find(b"\x00", start)
                        if end < 0:
                            break
                    command = header.split(b"\n", 1)[0]
                    self.commands.append(command)
                    if command == b"MESSAGE":
                        self.heads.append(bytes(buf[start : min(end, start + self.keep)]))
                    pos = end + 1
                if pos > (4 << 20):
                    del buf[:pos]
                    pos = 0
            self.finished_at = time.monotonic()
        except Exception as e:  # reported by the test
            self.error = e


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every `period` seconds; `.max_kb` is the peak."""

    def __init__(self, ferrum, period=0.05):
        super().__init__(daemon=True)
        self.ferrum = ferrum
        self.period = period
        self.max_kb = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                self.max_kb = max(self.max_kb, self.ferrum.rss_kb())
            except (OSError, RuntimeError, ValueError):
                return
            self._halt.wait(self.period)

    def stop(self):
        self._halt.set()
        self.join(2)
        return self.max_kb
