"""Median table of stompbench/jmsbench JSON lines, grouped by label, with
Ferrum/ActiveMQ ratios."""
import json
import statistics
import sys

runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
cols = ["e2e_rate", "send_rate", "broker_cpu_pct", "client_cpu_pct", "broker_rss_peak_mb"]
by = {}
for r in runs:
    by.setdefault(r["label"], []).append(r)
med = {}
print("| broker | runs (ok) | " + " | ".join(cols) + " |")
print("|---" * (len(cols) + 2) + "|")
for label, rs in by.items():
    ok = [r for r in rs if r.get("ok")]
    med[label] = {c: statistics.median(r[c] for r in ok) for c in cols} if ok else {}
    vals = " | ".join(f"{med[label].get(c, float('nan')):,.1f}" for c in cols)
    print(f"| {label} | {len(rs)} ({len(ok)}) | {vals} |")
if med.get("ferrum") and med.get("activemq"):
    f, a = med["ferrum"], med["activemq"]
    print()
    print(f"throughput ratio (e2e msg/s, ferrum/activemq): {f['e2e_rate'] / a['e2e_rate']:.2f}x")
    print(f"peak RSS ratio (ferrum/activemq): {f['broker_rss_peak_mb'] / a['broker_rss_peak_mb']:.3f}")
