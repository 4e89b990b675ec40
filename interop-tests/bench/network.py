#!/usr/bin/env python3
"""Networks of brokers, side by side in one run: a producer on broker A, a
consumer on broker B, A's networkConnector forwarding to B (ActiveMQ's
defaults on both: conduit, alwaysSyncSend, prefetch 1000), 1 KiB messages,
`ferrum perf` as the load generator for every pair.

    interop-tests/bench/network.py [--rounds 2] [--json out.jsonl]

Pairs: Ferrum->Ferrum, ActiveMQ->ActiveMQ (5.17.2), Ferrum->ActiveMQ and
ActiveMQ->Ferrum. Scenarios:
  flood       non-persistent, 1 producer, as fast as it goes: msgs/s through the bridge
  persistent  persistent (sync sends), 8 producers
  latency     non-persistent at 2,000 msgs/s: p50/p99 end to end (two brokers, one hop)
For each run: the consumer's msgs/s and latency, and both brokers' peak RSS
(VmHWM). Each run starts fresh brokers on fresh data directories.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "interop-tests"))
from network_harness import ActiveMQ, free_port, listening  # noqa: E402

FERRUM = os.path.join(ROOT, "target", "release", "ferrum")

SCENARIOS = {
    "flood": dict(count=200_000, producers=1, persistent=False, rate=0),
    "persistent": dict(count=20_000, producers=8, persistent=True, rate=0),
    "latency": dict(count=10_000, producers=1, persistent=False, rate=2000),
}


class FerrumProc:
    def __init__(self, base, name, connector=None):
        self.openwire_port, self.port = free_port(), free_port()
        args = [FERRUM, "--broker-name", name, "--bind", "127.0.0.1",
                "--openwire-port", str(self.openwire_port), "--stomp-port", str(self.port),
                "--data-dir", os.path.join(base, name)]
        if connector:
            args += ["--network-connector", connector]
        self.log = open(os.path.join(base, f"{name}.log"), "wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not listening(self.openwire_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"ferrum {name} did not start")
            time.sleep(0.02)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def start_pair(kind, base):
    """(A, B): A forwards to B."""
    b_kind, a_kind = kind.split("->")[1], kind.split("->")[0]
    b = FerrumProc(base, "b") if b_kind == "ferrum" else ActiveMQ(base, "b")
    uri = f"static:(tcp://127.0.0.1:{b.openwire_port})"
    if a_kind == "ferrum":
        a = FerrumProc(base, "a", uri)
    else:
        a = ActiveMQ(base, "a", [{"uri": uri, "name": "bench"}])
    return a, b


def run(kind, scenario):
    s = SCENARIOS[scenario]
    base = tempfile.mkdtemp(prefix="netbench-")
    a, b = start_pair(kind, base)
    try:
        common = ["--size", "1024", "--count", str(s["count"]), "--producers", str(s["producers"]),
                  "--name", "bench.net", "--json", "--timeout", "300"]
        if s["persistent"]:
            common.append("--persistent")
        consumer_started = time.monotonic()
        consumer = subprocess.Popen(
            [FERRUM, "perf", "consumer", "--url", f"tcp://127.0.0.1:{b.openwire_port}", *common],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Demand must reach A before the first send (the consumer's advisory
        # crosses the bridge); a queue would hold the backlog anyway.
        time.sleep(3)
        producer_started = time.monotonic()
        producer = subprocess.run(
            [FERRUM, "perf", "producer", "--url", f"tcp://127.0.0.1:{a.openwire_port}",
             "--rate", str(s["rate"]), *common],
            capture_output=True, text=True, timeout=600)
        out, err = consumer.communicate(timeout=600)
        rec = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"error": err[-500:]}
        if "duration_s" in rec:
            # The consumer's clock starts before the producer's; the rate
            # through the bridge counts from the first send.
            span = consumer_started + rec["duration_s"] - producer_started
            rec["recv_msgs_per_s"] = rec["received"] / max(span, 1e-6)
        rec.update(pair=kind, scenario=scenario,
                   rss_a_kb=peak_rss_kb(a.process.pid), rss_b_kb=peak_rss_kb(b.process.pid),
                   producer_ok=producer.returncode == 0)
        return rec
    finally:
        a.stop()
        b.stop()
        shutil.rmtree(base, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pairs", default="ferrum->ferrum,activemq->activemq,ferrum->activemq,activemq->ferrum")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--json")
    args = ap.parse_args()
    out = open(args.json, "a") if args.json else None
    results = {}
    for rnd in range(args.rounds):
        for scenario in args.scenarios.split(","):
            pairs = args.pairs.split(",")
            for kind in pairs if rnd % 2 == 0 else reversed(pairs):
                rec = run(kind, scenario)
                rec["round"] = rnd
                print(json.dumps(rec), file=sys.stderr)
                if out:
                    out.write(json.dumps(rec) + "\n")
                results.setdefault((scenario, kind), []).append(rec)
    print("| scenario | pair | recv msgs/s | p50 ms | p99 ms | peak RSS A / B (MB) |")
    print("|---|---|---:|---:|---:|---:|")
    for (scenario, kind), recs in results.items():
        ok = [r for r in recs if "recv_msgs_per_s" in r]
        if not ok:
            print(f"| {scenario} | {kind} | failed | | | |")
            continue
        best = sorted(ok, key=lambda r: r["recv_msgs_per_s"])[len(ok) // 2]
        lat = best["latency_us"]
        print(f"| {scenario} | {kind} | {best['recv_msgs_per_s']:,.0f} | {lat['p50'] / 1000:.1f} | "
              f"{lat['p99'] / 1000:.1f} | {best['rss_a_kb'] // 1024} / {best['rss_b_kb'] // 1024} |")


if __name__ == "__main__":
    main()
