#!/usr/bin/env python3
"""Write openwire/INDEX.md (to stdout) from the sidecars, the frame listings and scenarios.txt.

    make_index.py OPENWIRE_DIR SCENARIOS_TXT > OPENWIRE_DIR/INDEX.md
"""
import glob
import json
import os
import re
import sys
from collections import OrderedDict

ENCODINGS = ["tight-cache", "tight-nocache", "loose-cache", "loose-nocache", "v9", "v10", "v11"]


def load_scenarios(path):
    out = OrderedDict()
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        f = [x.strip() for x in line.split("|")]
        out[f[0]] = {"program": f[1], "encodings": f[2].split(","), "extra": f[3], "desc": f[4]}
    return out


def split_name(stem, scenarios):
    """stem like 'message-types-compressed-loose-nocache-1' -> (base, enc, n)."""
    m = re.match(r"^(.*)-(\d+)$", stem)
    scen, n = m.group(1), int(m.group(2))
    for enc in sorted(ENCODINGS, key=len, reverse=True):
        if scen.endswith("-" + enc) and scen[: -len(enc) - 1] in scenarios:
            return scen[: -len(enc) - 1], enc, n
    return scen, "", n


def command_summary(frames_txt):
    """Ordered histogram of decoded commands, with sub-types where they matter."""
    counts = OrderedDict()
    nframes = 0
    for line in open(frames_txt):
        if line.startswith("#"):
            continue
        parts = line.split(" ", 3)
        if len(parts) < 3:
            continue
        nframes += 1
        name = parts[2]
        rest = parts[3] if len(parts) > 3 else ""
        sub = None
        if name in ("MessageAck", "TransactionInfo"):
            m = re.search(r" type=(\w+)", rest)
            sub = m.group(1) if m else None
            if sub and name == "MessageAck" and " txId=" in rest:
                sub += ",XA" if " txId=XID" in rest else ",tx"
        elif name == "DestinationInfo":
            sub = "ADD" if " ADD " in " " + rest else "REMOVE"
        elif name == "MessageDispatch":
            m = re.search(r"message=(?:\{(\w+)|null)", rest)
            sub = (m.group(1) or "null") if m else None
            if sub and "dataStructure=" in rest:
                d = re.search(r"dataStructure=(\w+)(.*)", rest)
                sub += "/advisory:" + d.group(1)
                if "brokerPath=" in d.group(2):
                    sub += "+brokerPath"
                if "NetworkBridgeFilter" in d.group(2):
                    sub += "+NetworkBridgeFilter"
            elif sub and " brokerPath=" in rest:
                sub += "+brokerPath"
        elif name == "ConsumerInfo":
            flags = [f for f in ("browser", "noLocal", "networkSubscription") if " " + f in rest]
            if "subscriptionName=" in rest:
                flags.append("durable")
            if "additionalPredicate=NetworkBridgeFilter" in rest:
                flags.append("NetworkBridgeFilter")
            if "dest=topic://ActiveMQ.Advisory" in rest:
                flags.append("advisory")
            sub = ",".join(flags) or None
        elif name.startswith("ActiveMQ") and name.endswith("Message"):
            flags = []
            if " compressed" in rest:
                flags.append("compressed")
            if "dataStructure=" in rest:
                d = re.search(r"dataStructure=(\w+)", rest)
                flags.append("advisory:" + d.group(1))
            if " brokerPath=" in rest.split("dataStructure=")[0]:
                flags.append("brokerPath")
            if " txId=XID" in rest:
                flags.append("XA")
            elif " txId=" in rest:
                flags.append("tx")
            sub = ",".join(flags) or None
        elif name == "ExceptionResponse":
            m = re.search(r"exception=([\w.]+)", rest)
            sub = m.group(1).rsplit(".", 1)[-1] if m else None
        elif name == "IntegerResponse":
            m = re.search(r"result=(-?\d+)", rest)
            sub = "result=" + m.group(1) if m else None
        key = name + (f"[{sub}]" if sub else "")
        counts[key] = counts.get(key, 0) + 1
    return nframes, ", ".join(k + (f" x{v}" if v > 1 else "") for k, v in counts.items())


def main():
    outdir, scen_path = sys.argv[1], sys.argv[2]
    scenarios = load_scenarios(scen_path)
    sidecars = sorted(glob.glob(os.path.join(outdir, "*.json")))

    def sort_key(path):
        stem = os.path.basename(path)[:-5]
        base, enc, n = split_name(stem, scenarios)
        bi = list(scenarios).index(base) if base in scenarios else 999
        ei = ENCODINGS.index(enc) if enc in ENCODINGS else 99
        return (bi, ei, n)

    sidecars.sort(key=sort_key)
    total = 0
    rows = []
    for sc in sidecars:
        meta = json.load(open(sc))
        stem = os.path.basename(sc)[:-5]
        base, enc, n = split_name(stem, scenarios)
        for d in ("c2s", "s2c"):
            f = os.path.join(outdir, f"{stem}.{d}.bin")
            if not os.path.exists(f):
                continue
            size = os.path.getsize(f)
            total += size
            ft = os.path.join(outdir, f"{stem}.{d}.frames.txt")
            nframes, cmds = command_summary(ft) if os.path.exists(ft) else (0, "(no listing)")
            opts = meta.get("client_url_options") or "(defaults)"
            rows.append(f"| `{stem}.{d}.bin` | {size} | {base} | {enc} | `{opts}` | {nframes} | {cmds} |")

    p = print
    p("# OpenWire captures: index")
    p()
    p("Generated by `capture/capture.sh` (via `capture/make_index.py`); do not edit by hand.")
    p("Peers: activemq-client 5.17.2 (Debian `libactivemq-java`) and the ActiveMQ 5.17.2 broker, loopback,")
    p("recorded by `capture/record_proxy.py`. `c2s` = client to broker (for `network-bridge-*`: broker A,")
    p("the bridge initiator, to broker B); `s2c` = the other direction.")
    p()
    p("The *commands* column is what the reference codec (activemq-client's `OpenWireFormat`, run by")
    p("`capture/tools/OwDump.java`) decodes from the stream, in order of first appearance, `xN` = count;")
    p("`[..]` = ack type / transaction type / destination operation / dispatched message class /")
    p("consumer flags / exception class. `<file>.frames.txt` lists every frame with its offset, length and")
    p("main fields. Encoding column: see the scenario list below; the negotiated format is in the")
    p("frames.txt header.")
    p()
    p("## Scenarios")
    p()
    p("| scenario | program (`capture/java/`) | encodings | extra options (client URL; for bridges: networkConnector attributes) | what it does |")
    p("|---|---|---|---|---|")
    for base, s in scenarios.items():
        p(f"| {base} | {s['program']}.java | {', '.join(s['encodings'])} | `{s['extra'] or '-'}` | {s['desc']} |")
    p()
    p("Encodings: `tight-cache` = client defaults (tight encoding, marshalling cache, OpenWire v12); "
      "`tight-nocache` = `wireFormat.cacheEnabled=false`; `loose-cache` = `wireFormat.tightEncodingEnabled=false`; "
      "`loose-nocache` = both; `v9`/`v10`/`v11` = `wireFormat.version=N` (tight, cache). "
      "For `network-bridge-*` the options are on the networkConnector's static URI.")
    p()
    p(f"## Files ({len(rows)} streams, {total} bytes)")
    p()
    p("| file | bytes | scenario | encoding | options (as recorded in the .json sidecar) | frames | commands (decoded) |")
    p("|---|---:|---|---|---|---:|---|")
    for r in rows:
        p(r)


if __name__ == "__main__":
    main()
