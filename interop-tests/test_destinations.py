"""Composite destinations, virtual topics, and expiry to the DLQ, with the
Java client and stomp.py, as ActiveMQ 5.17.2 does them (the Java program's
expected output was checked against the reference broker)."""

import time

import pytest

from ferrum_harness import unique
from test_openwire_jms import java_classes, run_java  # noqa: F401 (fixture)


@pytest.mark.needs_openwire
def test_java_composite_virtual_topics_and_expiry(broker, java_classes):
    out = run_java(java_classes, "Destinations", f"tcp://127.0.0.1:{broker.openwire_port}")
    assert "composite a [composite]" in out, out
    assert "composite b [composite]" in out, out
    assert "composite t [composite]" in out, out
    assert "virtual X 4 Y 4" in out, out
    assert "expired delivered []" in out, out
    dlq = [l for l in out.splitlines() if l.startswith("dlq ")]
    assert len(dlq) == 1, out
    assert dlq[0].startswith("dlq expires cause=java.lang.Throwable: Message Expired. Expiration:"), out
    assert "originalExpirationSet=true expiration=0" in dlq[0], out


def test_stomp_composite_send(broker, client):
    a, t = unique("ca"), unique("ct")
    c = client(broker)
    c.subscribe("/queue/" + a)
    c.subscribe("/topic/" + t)
    p = client(broker)
    p.send(f"/queue/{a},/topic/{t}", "both")
    got = sorted(m.headers["destination"] for m in c.get_n(2))
    assert got == sorted([f"/queue/{a}", f"/topic/{t}"])


def test_stomp_expired_message_is_not_delivered(broker, client):
    q = "/queue/" + unique("exp")
    p = client(broker)
    past = str(int(time.time() * 1000) - 1000)
    p.send(q, "stale", headers={"expires": past, "persistent": "true"})
    p.send(q, "fresh")
    c = client(broker)
    c.subscribe(q)
    assert c.get().body == "fresh"
    with pytest.raises(AssertionError):
        c.get(timeout=0.5)


@pytest.mark.needs_openwire
def test_java_message_groups(broker, java_classes):
    out = run_java(java_classes, "Groups", f"tcp://127.0.0.1:{broker.openwire_port}")
    # Checked against ActiveMQ 5.17.2: each group sticks to one consumer, its
    # first message there flagged; a closed consumer's group moves on.
    assert "groups A1*,A2,A3 | B1*,B2,B3" in out, out
    assert "after close A4*,B4" in out, out


def test_stomp_message_groups(broker, client):
    q = "/queue/" + unique("grp")
    subs = [client(broker), client(broker)]
    for c in subs:
        c.subscribe(q)
    p = client(broker)
    for i in range(3):
        for g in ("A", "B"):
            p.send(q, f"{g}{i}", headers={"JMSXGroupID": g})
    time.sleep(0.5)
    seen = []
    for c in subs:
        bodies = []
        while not c.listener.messages.empty():
            m = c.listener.messages.get()
            bodies.append((m.body, m.headers.get("JMSXGroupFirstForConsumer")))
        seen.append(bodies)
    # Each consumer got exactly one whole group, in order. (ActiveMQ's STOMP
    # frames do not carry JMSXGroupFirstForConsumer; checked on 5.17.2.)
    groups = sorted(seen)
    assert [b for b, _ in groups[0]] == ["A0", "A1", "A2"], seen
    assert [b for b, _ in groups[1]] == ["B0", "B1", "B2"], seen
    assert all(f is None for g in groups for _, f in g), seen


@pytest.mark.needs_openwire
def test_java_consumer_priority(broker, java_classes):
    out = run_java(java_classes, "Priority", f"tcp://127.0.0.1:{broker.openwire_port}")
    # Checked against ActiveMQ 5.17.2.
    assert "high 5 low 0" in out, out


def test_stomp_consumer_priority(broker, client):
    q = "/queue/" + unique("prio")
    low = client(broker)
    low.subscribe(q)
    high = client(broker)
    high.subscribe(q, headers={"activemq.priority": "9"})
    p = client(broker)
    for i in range(5):
        p.send(q, f"m{i}")
    assert [m.body for m in high.get_n(5)] == [f"m{i}" for i in range(5)]
    with pytest.raises(AssertionError):
        low.get(timeout=0.5)


def test_java_wildcard_queue_consumers_and_exclusive_takeover(broker, java_classes):
    out = run_java(java_classes, "Wildcards", f"tcp://127.0.0.1:{broker.openwire_port}")
    # Output identical on ActiveMQ 5.17.2: the wildcard consumer takes from
    # the queue that existed and from those created after it subscribed,
    # each message keeping its own destination.
    assert "wildcard [deep@N.x.y, eu-before@N.eu, eu@N.eu, us@N.us]" in out, out
    assert "other left 1" in out, out
    assert "star [one-deep@N.a]" in out, out
    # The exclusive consumer alone gets the queue; when it closes, its
    # unacknowledged messages and new ones go to the next consumer.
    assert "exclusive got 4 plain got 0" in out, out
    assert "takeover [e2@N.ex, e3@N.ex, e4@N.ex]" in out, out


def test_stomp_wildcard_queue_subscription(broker, client):
    n = unique("wq")
    p = client(broker)
    p.send(f"/queue/{n}.before", "before")
    c = client(broker)
    c.subscribe(f"/queue/{n}.>")
    p.send(f"/queue/{n}.later", "later")
    p.send(f"/queue/{n}x", "not matched")
    got = sorted((m.body, m.headers["destination"]) for m in c.get_n(2))
    assert got == [("before", f"/queue/{n}.before"), ("later", f"/queue/{n}.later")]
    with pytest.raises(AssertionError):
        c.get(timeout=0.5)


@pytest.fixture
def prioritizing_broker(start_ferrum):
    return start_ferrum("--prioritized-messages", "prio.>")


@pytest.mark.needs_openwire
def test_java_prioritized_messages_policy(prioritizing_broker, java_classes):
    out = run_java(java_classes, "MsgPriority",
                   f"tcp://127.0.0.1:{prioritizing_broker.openwire_port}",
                   unique("prio.q"), unique("fifo.q"))
    # Identical on ActiveMQ 5.17.2 with <policyEntry queue="prio.>"
    # prioritizedMessages="true"/>: highest priority first, FIFO within a
    # priority; other queues FIFO whatever the priority.
    assert "prio.q [m2/9, m6/9, m4/7, m1/4, m5/4, m0/1, m3/0]" in out, out
    assert "fifo.q [m0/1, m1/4, m2/9, m3/0, m4/7, m5/4, m6/9]" in out, out


def test_stomp_prioritized_messages_policy(prioritizing_broker, client):
    p = client(prioritizing_broker)
    for q in ("prio", "fifo"):
        name = f"/queue/{q}.{unique('s')}"
        for body, prio in (("low", "1"), ("high", "9"), ("mid", "5")):
            p.send(name, body, headers={"priority": prio}, receipt=True)
        c = client(prioritizing_broker)
        c.subscribe(name)
        got = [m.body for m in c.get_n(3)]
        expect = ["high", "mid", "low"] if q == "prio" else ["low", "high", "mid"]
        assert got == expect, (q, got)


def test_java_retroactive_consumer_gets_the_retained_message(broker, java_classes):
    out = run_java(java_classes, "Retroactive", f"tcp://127.0.0.1:{broker.openwire_port}")
    # Identical on ActiveMQ 5.17.2 (its default RetainedMessageSubscriptionRecoveryPolicy).
    assert "live kept retain=null retained=null | not kept retain=null retained=null" in out, out
    assert "retroactive kept retain=null retained=true then none" in out, out
    assert "plain none" in out, out
    assert "replaced kept2 retain=null retained=true" in out, out
    # An empty text message is still content: it replaces, it does not clear.
    assert "cleared  retain=null retained=true" in out, out


def test_stomp_retroactive_subscription(broker, client):
    t = "/topic/" + unique("retro")
    p = client(broker)
    p.send(t, "kept", headers={"ActiveMQ.Retain": "true"})
    p.send(t, "not kept")
    plain = client(broker)
    plain.subscribe(t)
    retro = client(broker)
    retro.subscribe(t, headers={"activemq.retroactive": "true"})
    m = retro.get()
    assert m.body == "kept"
    assert m.headers.get("ActiveMQ.Retained") == "true", m.headers
    assert "ActiveMQ.Retain" not in m.headers
    with pytest.raises(AssertionError):
        plain.get(timeout=0.5)
    # Cleared by a retained send without content.
    p.send(t, "", headers={"ActiveMQ.Retain": "true", "content-length": "0"})
    late = client(broker)
    late.subscribe(t, headers={"activemq.retroactive": "true"})
    with pytest.raises(AssertionError):
        late.get(timeout=0.5)


def test_java_consumer_destination_options(broker, java_classes):
    out = run_java(java_classes, "DestOptions", f"tcp://127.0.0.1:{broker.openwire_port}")
    # Identical on ActiveMQ 5.17.2.
    assert "prefetch one 1 other 3" in out, out
    assert "dispatchAsync=false 1" in out, out
    assert "noLocal got foreign" in out, out
