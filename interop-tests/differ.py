#!/usr/bin/python3
"""Compare two pytest junit-xml reports of the interop suite, one run
against ActiveMQ 5.17.2 and one against Ferrum (see differ.sh).

    differ.py [-v] ACTIVEMQ_XML FERRUM_XML

A test is identified by classname + name. Its outcome is passed, failed,
error or skipped. Printed:
  - every test that ran on both sides with different outcomes, with the
    first line of each failure message;
  - a short section for tests skipped on one side only ("ran only against
    Ferrum: N tests"), and for tests only one report has; the lists only
    with -v (or DIFFER_VERBOSE=1);
  - a summary line `differences: N`, N counting the first kind only.
Exit status 0 when N is 0, 1 otherwise, 2 when a report cannot be read.
Standard library only.
"""

import os
import sys
import xml.etree.ElementTree as ET

# When a test has several results (a failing call and an error in teardown
# are two children of one testcase, or two testcases), the worst wins.
RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
SIDES = ("ActiveMQ", "Ferrum")


def first_line(text, limit=160):
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def outcome_of(case):
    """(outcome, one-line reason) of one <testcase>."""
    result, reason = "passed", ""
    for child in case:
        kind = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(child.tag)
        if kind is None or RANK[kind] <= RANK[result]:
            continue
        result = kind
        reason = first_line(child.get("message")) or first_line(child.text)
    return result, reason


def load(path):
    """{test id: (outcome, reason)} from one junit-xml file."""
    tests = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        tid = f"{case.get('classname', '')}::{case.get('name', '')}"
        result = outcome_of(case)
        if tid not in tests or RANK[result[0]] > RANK[tests[tid][0]]:
            tests[tid] = result
    return tests


def totals(tests):
    counts = {k: 0 for k in RANK}
    for result, _ in tests.values():
        counts[result] += 1
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no tests"


def section(title, ids, verbose, detail=None):
    if not ids:
        return
    print(f"{title}: {len(ids)} test{'s' if len(ids) != 1 else ''}"
          + ("" if verbose else " (list with -v)"))
    if verbose:
        for tid in ids:
            print(f"  {tid}" + (f"  -- {detail(tid)}" if detail else ""))


def main(argv):
    verbose = os.environ.get("DIFFER_VERBOSE", "") not in ("", "0")
    args = []
    for a in argv:
        if a in ("-v", "--verbose"):
            verbose = True
        else:
            args.append(a)
    if len(args) != 2:
        print("usage: differ.py [-v] ACTIVEMQ_XML FERRUM_XML", file=sys.stderr)
        return 2
    try:
        amq, fer = load(args[0]), load(args[1])
    except (OSError, ET.ParseError) as e:
        print(f"differ.py: cannot read a report: {e}", file=sys.stderr)
        return 2

    differ, only_fer, only_amq, missing_amq, missing_fer = [], [], [], [], []
    for tid in sorted(set(amq) | set(fer)):
        if tid not in amq:
            missing_amq.append(tid)
        elif tid not in fer:
            missing_fer.append(tid)
        else:
            a, f = amq[tid][0], fer[tid][0]
            if a == f:
                continue
            if a == "skipped":
                only_fer.append(tid)
            elif f == "skipped":
                only_amq.append(tid)
            else:
                differ.append(tid)

    print(f"ActiveMQ 5.17.2: {totals(amq)}")
    print(f"Ferrum:          {totals(fer)}")
    if differ:
        print()
        print("Ran on both, outcomes differ (ActiveMQ -> Ferrum):")
        for tid in differ:
            (a, ra), (f, rf) = amq[tid], fer[tid]
            print(f"  {tid}: {a} -> {f}")
            if ra:
                print(f"      ActiveMQ: {ra}")
            if rf:
                print(f"      Ferrum:   {rf}")
    skipped_sections = only_fer or only_amq or missing_amq or missing_fer
    if skipped_sections:
        print()
        section("ran only against Ferrum", only_fer, verbose,
                lambda t: f"{fer[t][0]}; ActiveMQ skip: {amq[t][1]}")
        section("ran only against ActiveMQ", only_amq, verbose,
                lambda t: f"{amq[t][0]}; Ferrum skip: {fer[t][1]}")
        section("in the Ferrum report only", missing_amq, verbose, lambda t: fer[t][0])
        section("in the ActiveMQ report only", missing_fer, verbose, lambda t: amq[t][0])
    both_failed = [t for t in set(amq) & set(fer)
                   if amq[t][0] == fer[t][0] and amq[t][0] in ("failed", "error")]
    if both_failed:
        print()
        section("failed on both sides (not a difference)", sorted(both_failed), True,
                lambda t: f"Ferrum: {fer[t][1]}")
    print()
    print(f"differences: {len(differ)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
