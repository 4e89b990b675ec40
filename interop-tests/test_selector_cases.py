"""The committed selector cases (crates/broker/tests/selector_cases.tsv,
each with ActiveMQ 5.17.2's answers from its own selector code) replayed
over the wire: OpenWire with the Java client and typed properties, STOMP
with every property a header. Against ferrum, and with INTEROP_BROKER /
INTEROP_OPENWIRE against ActiveMQ itself, so the answers are checked on a
real broker too.

Per case, on a fresh queue: a consumer with the case's selector and a
higher-priority one taking only a sentinel message; the case's message
then the sentinel are sent. Both consumers share a connection, so when the
sentinel arrives the case's message has arrived too if it was selected.

Against ActiveMQ, start it fresh: its selector cache files a STOMP
subscription's selector under the text without the prefix its STOMP layer
added, so one run's selectors change the next run's answers (measured:
`NumberOfOrders > 1` converting for a JMS consumer, a valid STOMP selector
refused).

Cases whose selector reads what a producer cannot set over the wire
(JMSDestination names the test's queue, JMSTimestamp, JMSMessageID,
redeliveries, group sequence) are left to the in-process comparison in
crates/broker/tests/selector_vs_activemq.rs."""

from pathlib import Path

import pytest

from conftest import EXTERNAL
from ferrum_harness import RawStomp, unique
from test_openwire_jms import java_classes, run_java  # noqa: F401 (fixture)

CASES = Path(__file__).resolve().parent.parent / "crates/broker/tests/selector_cases.tsv"

# What a producer cannot give a message as the case describes it.
NOT_ON_THE_WIRE = (
    "JMSDestination",
    "JMSTimestamp",
    "JMSExpiration",
    "JMSMessageID",
    "JMSXDeliveryCount",
    "JMSRedelivered",
    "JMSXGroupSeq",
)
WIRE_HEADERS = {"type", "correlation", "priority", "persistent", "replyto", "group"}


def wire_cases():
    """(id, openwire answer, stomp answer, selector, fields) per case that
    can travel as a message."""
    out = []
    for n, line in enumerate(CASES.read_text().splitlines()):
        if not line or line.startswith("#"):
            continue
        openwire, stomp, selector, *fields = line.split("\t")
        if any(h in selector for h in NOT_ON_THE_WIRE):
            continue
        if any(f.startswith("H:") and f[2:].split("=")[0] not in WIRE_HEADERS for f in fields):
            continue
        out.append((str(n), openwire, stomp, selector, fields))
    return out


def as_expected(want, got):
    """X: ActiveMQ's evaluation threw. Ferrum does not select the message.
    ActiveMQ 5.17.2's broker, measured, either does not select it or stops
    dispatching the queue at it (the sentinel never comes: `?`)."""
    if want == "X":
        return got == "0" or (EXTERNAL is not None and got == "?")
    return got == want


def test_enough_cases_travel_over_the_wire():
    assert len(wire_cases()) >= 50


@pytest.mark.needs_openwire
def test_openwire_consumers_select_as_activemq_does(broker, java_classes, tmp_path):
    cases = wire_cases()
    path = tmp_path / "cases.tsv"
    path.write_text("".join("\t".join([i, sel, *fields]) + "\n" for i, _, _, sel, fields in cases))
    out = run_java(
        java_classes, "SelectorWire", f"tcp://127.0.0.1:{broker.openwire_port}", str(path), timeout=120
    )
    got = dict(line.split(" ", 1) for line in out.splitlines() if line.strip())
    wrong = [
        f"{sel!r} {fields}: expected {want}, got {got.get(i)}"
        for i, want, _, sel, fields in cases
        if not as_expected(want, got.get(i))
    ]
    assert not wrong, "\n".join(wrong)


def stomp_headers(fields):
    headers = {}
    for f in fields:
        kind, rest = f[0], f[2:]
        name, value = rest.split("=", 1)
        if kind != "H":
            headers[name] = value
        elif name == "type":
            headers["type"] = value
        elif name == "correlation":
            headers["correlation-id"] = value
        elif name == "priority":
            headers["priority"] = value
        elif name == "persistent":
            headers["persistent"] = value
        elif name == "replyto":
            headers["reply-to"] = f"/queue/{value}"
        elif name == "group":
            headers["JMSXGroupID"] = value
    return headers


def test_stomp_subscriptions_select_as_activemq_does(broker):
    wrong = []
    for i, _, want, selector, fields in wire_cases():
        # A fresh connection per case: an invalid selector's ERROR closes it.
        c = RawStomp(broker.address)
        try:
            c.connect()
            q = "/queue/" + unique(f"selwire{i}")
            answer, _ = c.request(
                "SUBSCRIBE", {"destination": q, "id": "case", "ack": "auto", "selector": selector}
            )
            if answer.command == "ERROR":
                got = "P"
            else:
                c.call(
                    "SUBSCRIBE",
                    {
                        "destination": q,
                        "id": "sentinel",
                        "ack": "auto",
                        "selector": "sentinel = 'yes'",
                        "activemq.priority": "100",
                    },
                )
                c.call("SEND", {"destination": q, **stomp_headers(fields)}, b"case")
                c.call("SEND", {"destination": q, "sentinel": "yes"}, b"sentinel")
                got = "?"
                for _ in range(3):
                    try:
                        f = c.pending.pop(0) if c.pending else c.read_frame(5.0)
                    except TimeoutError:
                        break
                    if f.command != "MESSAGE":
                        break
                    if f.headers.get("subscription") == "sentinel":
                        got = "1" if got == "1" else "0"
                        break
                    got = "1"
            if not as_expected(want, got):
                wrong.append(f"{selector!r} {fields}: expected {want}, got {got}")
        finally:
            c.close()
    assert not wrong, "\n".join(wrong)
