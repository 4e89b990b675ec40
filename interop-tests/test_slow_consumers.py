"""Slow and stalled consumers must not hold up anybody else, nor make the
broker's memory grow without bound."""

import time

import pytest

from conftest import EXTERNAL
from ferrum_harness import FastReader, RawStomp, RssSampler, encode_frame, unique

RSS_LIMIT_KB = 200 * 1024


def test_unacking_queue_consumer_holds_only_its_prefetch(broker, client):
    q = f"/queue/{unique()}"
    slow = client(broker, version="1.1")
    slow.subscribe(q, ack="client", headers={"activemq.prefetchSize": "10"})
    fast = client(broker, version="1.2")
    fast.subscribe(q)
    producer = RawStomp(broker.address)
    producer.connect()
    n = 1000
    payload = b"".join(
        encode_frame("SEND", [("destination", q)], f"m{i:04d}".encode()) for i in range(n)
    )
    producer.send_bytes(payload)
    producer.call("SEND", [("destination", f"/queue/{unique()}")], b"sync")
    got_fast = fast.get_n(n - 10, timeout=15)
    got_slow = slow.get_n(10)
    slow.expect_nothing(0.3)
    fast.expect_nothing(0.3)
    bodies = [m.body for m in got_slow] + [m.body for m in got_fast]
    assert sorted(bodies) == [f"m{i:04d}" for i in range(n)]
    producer.close()


def test_unacking_consumer_does_not_block_later_messages(broker, client):
    """The stalled consumer's window is full; new messages keep flowing to
    the other consumer one by one (no batching behind the stalled one)."""
    q = f"/queue/{unique()}"
    slow = client(broker)
    slow.subscribe(q, ack="client-individual", headers={"activemq.prefetchSize": "10"})
    p = client(broker)
    for i in range(10):
        p.send(q, f"fill{i}", receipt=(i == 9))
    assert len(slow.get_n(10)) == 10
    fast = client(broker)
    fast.subscribe(q)
    for i in range(20):
        p.send(q, f"live{i}")
        assert fast.get(timeout=2).body == f"live{i}"
    slow.expect_nothing(0.2)


def stalled_topic_subscriber(broker, t):
    """A raw client that subscribes and then never reads its socket."""
    r = RawStomp(broker.address, rcvbuf=4096)
    r.connect()
    r.call("SUBSCRIBE", [("destination", t), ("id", "stalled")])
    return r


@pytest.mark.parametrize("count", [2000, 30000])
def test_stalled_topic_subscriber_does_not_stop_a_fast_one(broker, count):
    """count x 10 KiB messages: 2,000 (20 MiB) fits in any backlog limit;
    30,000 (300 MiB) is far past the 64 MiB a stalled subscriber may keep,
    so the broker has to discard for it (else its RSS passes 200 MiB) while
    the fast subscriber still gets everything, in order."""
    t = f"/topic/{unique()}"
    size = 10 * 1024
    stalled = stalled_topic_subscriber(broker, t)

    fast = RawStomp(broker.address)
    fast.connect()
    fast.call("SUBSCRIBE", [("destination", t), ("id", "fast")])
    reader = FastReader(fast.sock, expect=count, timeout=60)

    rss = None
    if not EXTERNAL:
        rss = RssSampler(broker)
        rss.start()
    reader.start()

    producer = RawStomp(broker.address, timeout=30)
    producer.connect()
    filler = b"x" * (size - 8)
    batch = []
    for i in range(count):
        batch.append(
            encode_frame(
                "SEND",
                [("destination", t), ("content-length", str(size))],
                f"{i:08d}".encode() + filler,
            )
        )
        if len(batch) == 100:
            producer.send_bytes(b"".join(batch))
            batch = []
    if batch:
        producer.send_bytes(b"".join(batch))
    producer.call("SEND", [("destination", f"/queue/{unique()}")], b"sync", timeout=30)
    reader.join(65)
    peak_kb = rss.stop() if rss else None

    assert reader.error is None, reader.error
    assert reader.heads == [f"{i:08d}".encode() for i in range(count)], "fast subscriber lost or reordered"
    if peak_kb is not None:
        assert peak_kb < RSS_LIMIT_KB, (
            f"broker RSS peaked at {peak_kb // 1024} MiB with a stalled subscriber "
            f"and {count} x 10 KiB messages"
        )
        assert broker.alive()
    stalled.close()
    producer.close()


def test_broker_memory_returns_after_stalled_subscriber_leaves(broker):
    """After a stalled subscriber with a big backlog disconnects, the broker
    still serves new clients normally."""
    t = f"/topic/{unique()}"
    stalled = stalled_topic_subscriber(broker, t)
    producer = RawStomp(broker.address, timeout=30)
    producer.connect()
    body = b"y" * 10240
    frame = encode_frame("SEND", [("destination", t), ("content-length", str(len(body)))], body)
    for _ in range(20):
        producer.send_bytes(frame * 100)
    producer.call("SEND", [("destination", f"/queue/{unique()}")], b"sync", timeout=30)
    stalled.close()
    r = RawStomp(broker.address)
    r.connect()
    q = f"/queue/{unique()}"
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    r.call("SEND", [("destination", q)], b"ok")
    assert r.read_message().body == b"ok"
    r.close()
    producer.close()
