"""Redelivery flags and counts on messages handed back when a consumer,
its session or its connection goes away, after recover and after a
rollback: what the application received comes back redelivered, what only
waited in the client's prefetch buffer comes back as new. Expected values
are ActiveMQ 5.17.2's, measured with INTEROP_BROKER/INTEROP_OPENWIRE."""

import pytest

from ferrum_harness import RawStomp, unique
from test_openwire_jms import java_classes, run_java  # noqa: F401 (fixture)


@pytest.mark.needs_openwire
def test_java_consumers_get_back_redelivered_only_what_their_application_saw(broker, java_classes):
    # A CLIENT_ACK consumer takes 3 of 6 (the other 3 sit in its prefetch
    # buffer) and goes away without acking; the next consumer drains.
    out = run_java(java_classes, "RedeliveryFlags", f"tcp://127.0.0.1:{broker.openwire_port}")
    seen_then_new = "[m0:R2, m1:R2, m2:R2, m3:-1, m4:-1, m5:-1]"
    for how in ("consumer", "session", "connection", "recover", "rollback"):
        assert f"{how} {seen_then_new}" in out, out


def test_stomp_unacked_messages_come_back_redelivered_when_the_connection_drops(broker):
    # STOMP has no client-side buffer: every MESSAGE sent was delivered.
    q = "/queue/" + unique("stomp-redelivery")
    p = RawStomp(broker.address)
    p.connect()
    for i in range(6):
        p.call("SEND", {"destination": q}, f"m{i}".encode())
    c = RawStomp(broker.address)
    c.connect()
    c.call(
        "SUBSCRIBE",
        {"destination": q, "id": "1", "ack": "client-individual", "activemq.prefetchSize": "3"},
    )
    got = [c.pending.pop(0) if c.pending else c.read_frame() for _ in range(3)]
    assert [f.body for f in got] == [b"m0", b"m1", b"m2"]
    c.close()
    d = RawStomp(broker.address)
    d.connect()
    d.call("SUBSCRIBE", {"destination": q, "id": "1", "ack": "auto"})
    again = [d.pending.pop(0) if d.pending else d.read_frame() for _ in range(6)]
    assert [(f.body, f.headers.get("redelivered")) for f in again] == [
        (b"m0", "true"),
        (b"m1", "true"),
        (b"m2", "true"),
        (b"m3", None),
        (b"m4", None),
        (b"m5", None),
    ]
    p.close()
    d.close()
