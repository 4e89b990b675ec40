"""Ack modes auto / client (cumulative) / client-individual, ACK and NACK
frames per STOMP version, and redelivery of un-acked messages."""

import pytest

from ferrum_harness import unique


def not_redelivered(m):
    return m.headers.get("redelivered", "false") == "false"


def send_all(producer, dest, bodies, **headers):
    for i, b in enumerate(bodies):
        producer.send(dest, b, headers=headers or None, receipt=(i == len(bodies) - 1))


def leftovers(broker, client, q, marker="marker"):
    """Everything a fresh auto-ack subscriber finds on q, up to a marker sent
    after it subscribed (so the wait ends as soon as the queue is drained)."""
    c = client(broker)
    c.subscribe(q)
    c.send(q, marker)
    got = []
    while True:
        m = c.get()
        if m.body == marker:
            return got
        got.append(m)


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_auto_ack_consumes(broker, client, version):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack="auto")
    send_all(c, q, ["a", "b", "c"])
    assert [m.body for m in c.get_n(3)] == ["a", "b", "c"]
    c.disconnect()
    assert leftovers(broker, client, q) == []


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize("mode", ["client", "client-individual"])
def test_message_carries_ack_header_in_1_2(broker, client, version, mode):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack=mode)
    c.send(q, "x")
    m = c.get()
    if version == "1.2":
        assert m.headers.get("ack"), m.headers
    c.ack(m)


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_client_ack_is_cumulative(broker, client, version):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack="client")
    send_all(c, q, ["m1", "m2", "m3"])
    msgs = c.get_n(3)
    assert [m.body for m in msgs] == ["m1", "m2", "m3"]
    c.ack(msgs[2])  # acks m1..m3
    c.disconnect()
    assert leftovers(broker, client, q) == []


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_client_ack_of_second_leaves_third(broker, client, version):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack="client")
    send_all(c, q, ["m1", "m2", "m3"])
    msgs = c.get_n(3)
    c.ack(msgs[1])  # acks m1, m2
    c.disconnect()
    left = leftovers(broker, client, q)
    assert [m.body for m in left] == ["m3"]
    assert left[0].headers.get("redelivered") == "true"


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_client_individual_ack_is_not_cumulative(broker, client, version):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack="client-individual")
    send_all(c, q, ["m1", "m2", "m3"])
    msgs = c.get_n(3)
    c.ack(msgs[2])  # only m3
    c.disconnect()
    left = leftovers(broker, client, q)
    assert sorted(m.body for m in left) == ["m1", "m2"]
    assert all(m.headers.get("redelivered") == "true" for m in left), [m.headers for m in left]


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_client_individual_ack_each(broker, client, version):
    q = f"/queue/{unique()}"
    c = client(broker, version=version)
    c.subscribe(q, ack="client-individual")
    send_all(c, q, ["m1", "m2", "m3"])
    for m in c.get_n(3):
        c.ack(m)
    c.disconnect()
    assert leftovers(broker, client, q) == []


@pytest.mark.parametrize("how", ["unsubscribe", "disconnect", "abrupt-close"])
@pytest.mark.parametrize("mode", ["client", "client-individual"])
def test_unacked_messages_return_redelivered(broker, client, how, mode):
    q = f"/queue/{unique()}"
    a = client(broker, version="1.1")
    sid = a.subscribe(q, ack=mode)
    send_all(a, q, ["u1", "u2"])
    assert [m.body for m in a.get_n(2)] == ["u1", "u2"]
    b = client(broker, version="1.2")
    b.subscribe(q, ack="client-individual")
    b.expect_nothing(0.3)  # both are still held by a
    if how == "unsubscribe":
        a.unsubscribe(sid)
    elif how == "disconnect":
        a.disconnect()
    else:
        a.abandon()  # socket closed, no DISCONNECT
    got = b.get_n(2)
    assert sorted(m.body for m in got) == ["u1", "u2"]
    assert [m.headers.get("redelivered") for m in got] == ["true", "true"]
    for m in got:
        b.ack(m)
    b.disconnect()
    assert leftovers(broker, client, q) == []


def test_redelivered_flag_absent_on_first_delivery(broker, client):
    q = f"/queue/{unique()}"
    c = client(broker)
    c.subscribe(q, ack="client-individual")
    c.send(q, "fresh")
    m = c.get()
    assert not_redelivered(m), m.headers


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_nack_persistent_message_goes_to_dlq(broker, client, version):
    q = f"/queue/{unique()}"
    body = unique("poison")
    c = client(broker, version=version)
    c.subscribe(q, ack="client-individual")
    c.send(q, body, headers={"persistent": "true"})
    m = c.get()
    c.ack(m, nack=True)
    c.expect_nothing(0.3)  # not redelivered to us
    c.disconnect()
    assert leftovers(broker, client, q) == []
    dlq = client(broker)
    dlq.subscribe("/queue/ActiveMQ.DLQ")
    mine = [d for d in dlq.drain(settle=0.5) if d.body == body]
    assert len(mine) == 1, "the NACKed persistent message must be in ActiveMQ.DLQ once"
    assert mine[0].headers["message-id"] == m.headers["message-id"]
    assert mine[0].headers["destination"] == "/queue/ActiveMQ.DLQ"


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_nack_non_persistent_message_is_dropped(broker, client, version):
    q = f"/queue/{unique()}"
    body = unique("np-poison")
    c = client(broker, version=version)
    c.subscribe(q, ack="client-individual")
    c.send(q, body)
    c.ack(c.get(), nack=True)
    c.disconnect()
    assert leftovers(broker, client, q) == []
    dlq = client(broker)
    dlq.subscribe("/queue/ActiveMQ.DLQ")
    assert [d for d in dlq.drain(settle=0.5) if d.body == body] == []


def test_ack_twice_is_an_error_that_keeps_the_connection(broker, client):
    q = f"/queue/{unique()}"
    c = client(broker, version="1.2")
    c.subscribe(q, ack="client-individual")
    c.send(q, "x")
    m = c.get()
    c.ack(m)
    c.conn.ack(m.headers["ack"], receipt="again")
    err = c.get_error()
    assert err.headers.get("message"), err.headers
    # still connected
    c.send(q, "y")
    assert c.get().body == "y"
