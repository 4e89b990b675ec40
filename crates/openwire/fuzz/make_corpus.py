#!/usr/bin/env python3
"""Seeds the `decode` corpus from the ActiveMQ captures in proto-fixtures/openwire.

For every captured stream it writes, prefixed with the two setup bytes the
target reads (see fuzz_targets/decode.rs):
  hs-*     the whole stream, handshake mode (first frame loose, then the
           negotiated format)
  neg-*    the stream after the WireFormatInfo, in the negotiated format
  nopfx-*  as neg-* with every size prefix removed and size prefixes disabled
  chunk-*  as hs-*, fed in random chunks of up to 64 bytes
Streams are cut at MAX_LEN bytes (the run's -max_len).

usage: make_corpus.py [OUT_DIR]   (default: corpus/decode)
"""
import os
import re
import sys
from pathlib import Path

MAX_LEN = 65536
HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent.parent / "proto-fixtures" / "openwire"


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus" / "decode"
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for listing in sorted(FIXTURES.glob("*.frames.txt")):
        stream = listing.with_name(listing.name.replace(".frames.txt", ".bin")).read_bytes()
        text = listing.read_text()
        m = re.search(
            r"version=(\d+) tightEncoding=(\w+) cache=(\w+) sizePrefixDisabled=(\w+) stackTrace=(\w+)",
            text,
        )
        version, tight, cache, no_prefix, stack = m.groups()
        assert no_prefix == "false"
        b0 = (int(version) - 1) | (0x10 if tight == "true" else 0) | (
            0x20 if cache == "true" else 0) | (0x40 if stack == "true" else 0)
        frames = [
            tuple(int(x) for x in line.split()[:2])
            for line in text.splitlines()
            if line and not line.startswith("#")
        ]
        first = frames[0][1]
        stem = listing.name.replace(".frames.txt", "")
        nopfx = b"".join(stream[o + 4:o + l] for o, l in frames[1:])
        seeds = {
            f"hs-{stem}": bytes([b0, 0x10]) + stream,
            f"neg-{stem}": bytes([b0, 0x00]) + stream[first:],
            f"nopfx-{stem}": bytes([b0 | 0x80, 0x00]) + nopfx,
            f"chunk-{stem}": bytes([b0, 0x10 | (3 << 5)]) + stream,
        }
        for name, data in seeds.items():
            (out / name).write_bytes(data[:MAX_LEN])
            n += 1
    print(f"{n} seeds in {out}")


if __name__ == "__main__":
    main()
