#!/usr/bin/env python3
"""Regression check: the suite's core throughput scenarios on two Ferrum
builds, side by side in one run (brokers alternating, each run on a fresh
broker and data directory), with the same load generator for both.

    interop-tests/bench/compare.py --base /path/to/old/ferrum [--rounds 3]

The candidate is this checkout's target/release/ferrum (built first); the
generator is the candidate's `ferrum perf`. Prints a markdown table of
median received msgs/s and candidate/base ratios; raw runs go to
target/bench/compare-*/runs.jsonl.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suite  # noqa: E402  (the scenarios, generator and broker runner)

CORE = "ow_queue_1p1c|ow_persistent_8p|ow_queue_4p4c|ow_topic_1p4c|stomp_queue_1p1c|ow_selectors_10c|ow_wildcard_1000"


class Build(suite.FerrumBroker):
    """A FerrumBroker started from a given binary."""

    def __init__(self, label, binary):
        # `name` stays "ferrum": the runner settles a Ferrum broker 1 s, not a JVM's 3 s.
        self.label = label
        self.binary = binary

    def start(self):
        saved = suite.FERRUM
        suite.FERRUM = self.binary
        try:
            super().start()
        finally:
            suite.FERRUM = saved


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the ferrum binary to compare against")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default=CORE, help="regex over scenario ids")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--bin", "ferrum"], cwd=suite.ROOT,
                   check=True, stdout=sys.stderr)
    outdir = os.path.join(suite.ROOT, "target", "bench", "compare-" + time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(outdir, exist_ok=True)
    raw = open(os.path.join(outdir, "runs.jsonl"), "w")
    new, old = Build("candidate", suite.FERRUM), Build("base", os.path.abspath(args.base))
    scenarios, _ = suite.scenarios(False)
    rows = []
    for sid, title, fn, _cmd in scenarios:
        if not re.search(args.only, sid):
            continue
        runs = {"candidate": [], "base": []}
        for rnd in range(args.rounds):
            for b in (new, old) if rnd % 2 == 0 else (old, new):
                rec = suite.run_once(b, fn)
                rec.update({"scenario": sid, "round": rnd, "build": b.label})
                raw.write(json.dumps(rec) + "\n")
                raw.flush()
                suite.log(sid, rnd, b.label, round(rec.get("recv_msgs_per_s", 0)))
                if rec.get("ok"):
                    runs[b.label].append(rec["recv_msgs_per_s"])
        med = {k: statistics.median(v) if v else 0 for k, v in runs.items()}
        ratio = med["candidate"] / med["base"] if med["base"] else float("nan")
        rows.append((title, med["candidate"], med["base"], ratio,
                     len(runs["candidate"]), len(runs["base"])))
    raw.close()
    print("| scenario | candidate msgs/s | base msgs/s | candidate / base |")
    print("|---|---:|---:|---:|")
    for title, c, b, r, nc, nb in rows:
        note = "" if nc == nb == args.rounds else f" ({nc}/{nb} runs ok)"
        print(f"| {title} | {c:,.0f} | {b:,.0f} | {r:.2f}{note} |")
    print(f"\nraw runs: {outdir}/runs.jsonl")


if __name__ == "__main__":
    main()
