"""`ferrum openwire dump` reads the committed captures of the real
activemq-client <-> ActiveMQ 5.17.2 conversation frame by frame."""

import os
import re
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "proto-fixtures" / "openwire"


def dump(path):
    proc = subprocess.run(
        [os.environ["FERRUM_BIN"], "openwire", "dump", str(path)],
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def java_listing(path):
    listing = Path(str(path).replace(".bin", ".frames.txt"))
    rows = []
    for line in listing.read_text().splitlines():
        if line.startswith("#"):
            continue
        offset, length, _ = line.split(" ", 2)
        rows.append((int(offset), int(length)))
    return rows


def test_dump_matches_the_java_decoders_frame_boundaries():
    for name in ["message-types-tight-cache-1.c2s.bin", "network-bridge-loose-nocache-1.s2c.bin",
                 "xa-transactions-tight-cache-1.c2s.bin"]:
        out = dump(FIXTURES / name)
        frames = [(int(m.group(1)), int(m.group(2)))
                  for m in re.finditer(r"^(\d+) (\d+) \w+", out, re.M)]
        assert frames == java_listing(FIXTURES / name), name
        assert "error" not in out and "truncated" not in out


def test_dump_shows_properties_and_text():
    out = dump(FIXTURES / "message-types-tight-cache-1.c2s.bin")
    assert "negotiated version=12 tight=true cache=true" in out
    assert '("pString", String("plain"))' in out
    assert 'text (20 chars): "text with properties"' in out
