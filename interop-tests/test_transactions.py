"""BEGIN / COMMIT / ABORT covering SEND and ACK."""

import pytest

from ferrum_harness import unique

VERSIONS = ["1.0", "1.1", "1.2"]
# client-individual is STOMP 1.1+
ACK_CASES = [(v, m) for v in VERSIONS for m in ("client", "client-individual") if (v, m) != ("1.0", "client-individual")]


def leftovers(broker, client, q, marker="marker"):
    c = client(broker)
    c.subscribe(q)
    c.send(q, marker)
    got = []
    while True:
        m = c.get()
        if m.body == marker:
            return got
        got.append(m)


@pytest.mark.parametrize("version", VERSIONS)
def test_commit_delivers_transacted_sends(broker, client, version):
    q = f"/queue/{unique()}"
    consumer = client(broker)
    consumer.subscribe(q)
    p = client(broker, version=version)
    p.begin("tx-1")
    for b in ["a", "b", "c"]:
        p.send(q, b, headers={"transaction": "tx-1"})
    consumer.expect_nothing(0.4)
    p.commit("tx-1")
    assert [m.body for m in consumer.get_n(3)] == ["a", "b", "c"]


@pytest.mark.parametrize("version", VERSIONS)
def test_abort_discards_transacted_sends(broker, client, version):
    q = f"/queue/{unique()}"
    consumer = client(broker)
    consumer.subscribe(q)
    p = client(broker, version=version)
    p.begin("tx-1")
    p.send(q, "discard me", headers={"transaction": "tx-1"})
    p.send(q, "outside")  # not in the transaction
    assert consumer.get().body == "outside"
    p.abort("tx-1")
    consumer.expect_nothing(0.4)
    p.disconnect()
    consumer.disconnect()
    assert leftovers(broker, client, q) == []


def test_transacted_topic_send(broker, client):
    t = f"/topic/{unique()}"
    subs = [client(broker) for _ in range(2)]
    for s in subs:
        s.subscribe(t)
    p = client(broker)
    p.begin("t")
    p.send(t, "x", headers={"transaction": "t"})
    p.send(t, "y", headers={"transaction": "t"})
    subs[0].expect_nothing(0.3)
    p.commit("t")
    for s in subs:
        assert [m.body for m in s.get_n(2)] == ["x", "y"]


@pytest.mark.parametrize("version,mode", ACK_CASES)
def test_committed_ack_consumes(broker, client, version, mode):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack=mode)
    c.send(q, "m")
    m = c.get()
    c.begin("ack-tx")
    c.ack(m, transaction="ack-tx")
    c.commit("ack-tx")
    c.disconnect()
    assert leftovers(broker, client, q) == []


@pytest.mark.parametrize("version,mode", ACK_CASES)
def test_aborted_ack_leaves_message_unacked(broker, client, version, mode):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    sid = c.subscribe(q, ack=mode)
    c.send(q, "m")
    m = c.get()
    c.begin("ack-tx")
    c.ack(m, transaction="ack-tx")
    c.abort("ack-tx")
    other = client(broker)
    other.subscribe(q, ack="client-individual")
    other.expect_nothing(0.3)  # still held by the first subscription
    c.unsubscribe(sid, destination=q)
    r = other.get()
    assert r.body == "m"
    assert r.headers.get("redelivered") == "true"


def test_ack_after_abort_outside_transaction(broker, client):
    q = f"/queue/{unique()}"
    c = client(broker, version="1.2")
    c.subscribe(q, ack="client-individual")
    c.send(q, "m")
    m = c.get()
    c.begin("t")
    c.ack(m, transaction="t")
    c.abort("t")
    c.ack(m)  # the message is still un-acked, so this ACK is valid
    c.disconnect()
    assert leftovers(broker, client, q) == []


def test_consume_and_produce_atomically(broker, client):
    """The classic pattern: ACK the input and SEND the output in one transaction."""
    q_in, q_out = f"/queue/{unique('in')}", f"/queue/{unique('out')}"
    out = client(broker)
    out.subscribe(q_out)
    w = client(broker, version="1.1")
    sid = w.subscribe(q_in, ack="client-individual")
    w.send(q_in, "job-1")
    w.send(q_in, "job-2")
    j1, j2 = w.get_n(2)
    # job-1: aborted
    w.begin("t1")
    w.send(q_out, "result-1", headers={"transaction": "t1"})
    w.ack(j1, transaction="t1")
    w.abort("t1")
    # job-2: committed
    w.begin("t2")
    w.send(q_out, "result-2", headers={"transaction": "t2"})
    w.ack(j2, transaction="t2")
    w.commit("t2")
    assert out.get().body == "result-2"
    out.expect_nothing(0.3)
    w.unsubscribe(sid)
    left = leftovers(broker, client, q_in)
    assert [(m.body, m.headers.get("redelivered")) for m in left] == [("job-1", "true")]


def test_two_transactions_on_one_connection(broker, client):
    q = f"/queue/{unique()}"
    consumer = client(broker)
    consumer.subscribe(q)
    p = client(broker)
    p.begin("keep")
    p.begin("drop")
    p.send(q, "k1", headers={"transaction": "keep"})
    p.send(q, "d1", headers={"transaction": "drop"})
    p.send(q, "k2", headers={"transaction": "keep"})
    p.abort("drop")
    p.commit("keep")
    assert [m.body for m in consumer.get_n(2)] == ["k1", "k2"]
    consumer.expect_nothing(0.3)


def test_same_transaction_name_on_two_connections(broker, client):
    q = f"/queue/{unique()}"
    consumer = client(broker)
    consumer.subscribe(q)
    a, b = client(broker), client(broker)
    a.begin("tx")
    b.begin("tx")
    a.send(q, "from-a", headers={"transaction": "tx"})
    b.send(q, "from-b", headers={"transaction": "tx"})
    b.abort("tx")
    a.commit("tx")
    assert consumer.get().body == "from-a"
    consumer.expect_nothing(0.3)


def test_disconnect_with_open_transaction_discards_it(broker, client):
    q = f"/queue/{unique()}"
    consumer = client(broker)
    consumer.subscribe(q)
    p = client(broker)
    p.begin("open")
    p.send(q, "never", headers={"transaction": "open"})
    p.disconnect()
    consumer.expect_nothing(0.4)


def test_transaction_can_be_reused_after_commit(broker, client):
    q = f"/queue/{unique()}"
    consumer = client(broker)
    consumer.subscribe(q)
    p = client(broker)
    for i in range(3):
        p.begin("again")
        p.send(q, f"round{i}", headers={"transaction": "again"})
        p.commit("again")
    assert [m.body for m in consumer.get_n(3)] == ["round0", "round1", "round2"]
