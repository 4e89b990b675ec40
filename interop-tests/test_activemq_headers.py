"""ActiveMQ's STOMP headers: prefetch, durable subscriptions, exclusive
consumers, JMS header mapping, properties, selectors."""

import time

import pytest

from ferrum_harness import unique


def now_ms():
    return int(time.time() * 1000)


# ------------------------------------------------------------- prefetch


def test_prefetch_1_with_client_ack_holds_one_message_at_a_time(broker, client):
    q = f"/queue/{unique()}"
    p = client(broker)
    for i in range(5):
        p.send(q, f"p{i}", receipt=(i == 4))
    c = client(broker, version="1.1")
    c.subscribe(q, ack="client", headers={"activemq.prefetchSize": "1"})
    got = []
    for i in range(5):
        m = c.get()
        got.append(m.body)
        c.expect_nothing(0.3)  # nothing more until this one is acked
        c.ack(m)
    assert got == [f"p{i}" for i in range(5)]


def test_prefetch_1_leaves_the_rest_for_another_consumer(broker, client):
    q = f"/queue/{unique()}"
    slow = client(broker)
    slow.subscribe(q, ack="client-individual", headers={"activemq.prefetchSize": "1"})
    p = client(broker)
    for i in range(10):
        p.send(q, f"m{i}", receipt=(i == 9))
    first = slow.get()
    fast = client(broker)
    fast.subscribe(q)
    rest = fast.get_n(9)
    assert sorted([first.body] + [m.body for m in rest]) == sorted(f"m{i}" for i in range(10))
    slow.expect_nothing(0.3)


def test_prefetch_2_client_individual(broker, client):
    q = f"/queue/{unique()}"
    p = client(broker)
    for i in range(4):
        p.send(q, f"m{i}", receipt=(i == 3))
    c = client(broker)
    c.subscribe(q, ack="client-individual", headers={"activemq.prefetchSize": "2"})
    a, b = c.get_n(2)
    c.expect_nothing(0.3)
    c.ack(b)
    assert c.get().body == "m2"
    c.expect_nothing(0.3)
    c.ack(a)
    assert c.get().body == "m3"


# ------------------------------------------------------------- durable topic subscriptions


def test_durable_subscription_keeps_messages_while_offline(broker, client):
    t = f"/topic/{unique()}"
    cid, name = unique("cid"), unique("sub")
    dur = {"activemq.subscriptionName": name}
    c = client(broker, headers={"client-id": cid})
    c.subscribe(t, id="d", headers=dur)
    p = client(broker)
    p.send(t, "online")
    assert c.get().body == "online"
    c.disconnect()
    # published while offline: persistent and non-persistent both kept
    p.send(t, "offline-1", headers={"persistent": "true"})
    p.send(t, "offline-2")
    c2 = client(broker, headers={"client-id": cid})
    c2.subscribe(t, id="d", headers=dur)
    assert [m.body for m in c2.get_n(2)] == ["offline-1", "offline-2"]
    c2.expect_nothing(0.3)


def test_durable_subscription_survives_plain_unsubscribe(broker, client):
    t = f"/topic/{unique()}"
    cid, name = unique("cid"), unique("sub")
    dur = {"activemq.subscriptionName": name}
    c = client(broker, headers={"client-id": cid})
    c.subscribe(t, id="d", headers=dur)
    c.unsubscribe("d")  # deactivates, does not remove
    p = client(broker)
    p.send(t, "kept")
    c.subscribe(t, id="d2", headers=dur)
    assert c.get().body == "kept"


def test_unsubscribe_with_subscription_name_removes_durable(broker, client):
    """ActiveMQ's way (5.17.2): UNSUBSCRIBE the active subscription, then
    UNSUBSCRIBE with activemq.subscriptionName to remove the durable
    subscription. (ActiveMQ refuses the second step while the durable
    consumer is active: ERROR "Durable consumer is in use".)"""
    t = f"/topic/{unique()}"
    cid, name = unique("cid"), unique("sub")
    dur = {"activemq.subscriptionName": name}
    c = client(broker, headers={"client-id": cid})
    c.subscribe(t, id="d", headers=dur)
    c.unsubscribe("d")
    c.unsubscribe("d", headers=dur)
    c.disconnect()
    p = client(broker)
    p.send(t, "nobody keeps this")
    c2 = client(broker, headers={"client-id": cid})
    c2.subscribe(t, id="d", headers=dur)
    c2.expect_nothing(0.4)
    p.send(t, "new")
    assert c2.get().body == "new"


def test_remove_durable_subscription_from_a_new_connection(broker, client):
    t = f"/topic/{unique()}"
    cid, name = unique("cid"), unique("sub")
    dur = {"activemq.subscriptionName": name}
    c = client(broker, headers={"client-id": cid})
    c.subscribe(t, id="d", headers=dur)
    c.disconnect()
    c2 = client(broker, headers={"client-id": cid})
    c2.unsubscribe("d", headers=dur)
    c2.disconnect()
    p = client(broker)
    p.send(t, "nobody keeps this")
    c3 = client(broker, headers={"client-id": cid})
    c3.subscribe(t, id="d", headers=dur)
    c3.expect_nothing(0.4)


def test_durable_subscriptions_are_per_client_id(broker, client):
    t = f"/topic/{unique()}"
    name = "same-name"
    a = client(broker, headers={"client-id": unique("a")})
    b = client(broker, headers={"client-id": unique("b")})
    for c in (a, b):
        c.subscribe(t, id="d", headers={"activemq.subscriptionName": name})
    p = client(broker)
    p.send(t, "both")
    assert a.get().body == "both"
    assert b.get().body == "both"


def test_non_durable_topic_subscriber_misses_offline_messages(broker, client):
    t = f"/topic/{unique()}"
    cid = unique("cid")
    c = client(broker, headers={"client-id": cid})
    c.subscribe(t, id="plain")
    c.disconnect()
    p = client(broker)
    p.send(t, "missed")
    c2 = client(broker, headers={"client-id": cid})
    c2.subscribe(t, id="plain")
    c2.expect_nothing(0.4)


# ------------------------------------------------------------- exclusive consumers


def test_exclusive_consumer_gets_everything_then_hands_over(broker, client):
    q = f"/queue/{unique()}"
    excl = client(broker)
    excl_id = excl.subscribe(q, headers={"activemq.exclusive": "true"})
    other = client(broker)
    other.subscribe(q)
    p = client(broker)
    for i in range(10):
        p.send(q, f"e{i}", receipt=(i == 9))
    assert [m.body for m in excl.get_n(10)] == [f"e{i}" for i in range(10)]
    other.expect_nothing(0.3)
    excl.unsubscribe(excl_id)
    for i in range(10, 15):
        p.send(q, f"e{i}", receipt=(i == 14))
    assert [m.body for m in other.get_n(5)] == [f"e{i}" for i in range(10, 15)]


def test_exclusive_consumer_disconnect_hands_over_unacked(broker, client):
    q = f"/queue/{unique()}"
    excl = client(broker)
    excl.subscribe(q, ack="client", headers={"activemq.exclusive": "true"})
    other = client(broker)
    other.subscribe(q, ack="client", headers={"activemq.exclusive": "true"})
    p = client(broker)
    for i in range(3):
        p.send(q, f"x{i}", receipt=(i == 2))
    assert [m.body for m in excl.get_n(3)] == ["x0", "x1", "x2"]
    other.expect_nothing(0.3)
    excl.abandon()
    got = other.get_n(3)
    assert [m.body for m in got] == ["x0", "x1", "x2"]
    assert {m.headers.get("redelivered") for m in got} == {"true"}


# ------------------------------------------------------------- JMS headers


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_jms_headers_round_trip(shared_broker, client, version):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version=version)
    c.subscribe(q)
    expires = now_ms() + 3_600_000
    c.send(
        q,
        "with headers",
        headers={
            "persistent": "true",
            "priority": "7",
            "expires": str(expires),
            "reply-to": "/queue/replies",
            "correlation-id": "corr-1",
            "type": "my-type",
            "x-custom": "custom value",
        },
    )
    m = c.get()
    h = m.headers
    assert h["persistent"] == "true"
    assert h["priority"] == "7"
    assert h["expires"] == str(expires)
    assert h["reply-to"] == "/queue/replies"
    assert h["correlation-id"] == "corr-1"
    assert h["type"] == "my-type"
    assert h["x-custom"] == "custom value"
    assert abs(int(h["timestamp"]) - now_ms()) < 60_000


def test_default_jms_headers(shared_broker, client):
    q = f"/queue/{unique()}"
    c = client(shared_broker)
    c.subscribe(q)
    before = now_ms()
    c.send(q, "plain")
    m = c.get()
    after = now_ms()
    assert m.headers["priority"] == "4"
    assert m.headers["expires"] == "0"
    assert before - 1000 <= int(m.headers["timestamp"]) <= after + 1000
    assert m.headers.get("persistent", "false") == "false"
    for absent in ("reply-to", "correlation-id", "type"):
        assert absent not in m.headers, m.headers


def test_custom_headers_travel_as_properties(shared_broker, client):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version="1.1")
    c.subscribe(q)
    props = {f"prop{i}": f"value {i}" for i in range(20)}
    props["numberish"] = "42"
    props["empty"] = ""
    c.send(q, "props", headers=props)
    h = c.get().headers
    for k, v in props.items():
        assert h.get(k) == v, (k, h)


def test_custom_headers_reach_topic_subscribers(shared_broker, client):
    t = f"/topic/{unique()}"
    c = client(shared_broker)
    c.subscribe(t)
    c.send(t, "x", headers={"color": "blue"})
    assert c.get().headers["color"] == "blue"


def test_already_expired_message_is_not_delivered(broker, client):
    q = f"/queue/{unique()}"
    c = client(broker)
    c.subscribe(q)
    c.send(q, "stale", headers={"expires": str(now_ms() - 10_000)})
    c.send(q, "fresh")
    assert c.get().body == "fresh"
    c.expect_nothing(0.3)


def test_message_expiring_while_queued_is_not_delivered(broker, client):
    q = f"/queue/{unique()}"
    p = client(broker)
    p.send(q, "short-lived", headers={"expires": str(now_ms() + 300)})
    p.send(q, "long-lived", headers={"expires": str(now_ms() + 600_000)})
    time.sleep(0.8)
    c = client(broker)
    c.subscribe(q)
    assert c.get().body == "long-lived"
    c.expect_nothing(0.3)


def test_priority_header_is_kept(shared_broker, client):
    q = f"/queue/{unique()}"
    c = client(shared_broker)
    c.subscribe(q)
    for p in ["0", "9", "4"]:
        c.send(q, f"prio {p}", headers={"priority": p})
    assert [m.headers["priority"] for m in c.get_n(3)] == ["0", "9", "4"]


# ------------------------------------------------------------- selectors


def test_selector_header_is_accepted(shared_broker, client):
    """Selectors are not evaluated yet: only check SUBSCRIBE with one works
    and a matching message arrives."""
    q = f"/queue/{unique()}"
    c = client(shared_broker)
    c.subscribe(q, headers={"selector": "color = 'red' AND weight > 2"})
    c.send(q, "red one", headers={"color": "red", "weight": "5"})
    m = c.get()
    assert m.body == "red one"
    assert m.headers["color"] == "red"


def test_a_durable_subscription_on_a_queue_is_an_error_and_the_connection_stays(broker, raw):
    # ActiveMQ 5.17.2: ERROR "Invalid Subscription: cannot durably subscribe
    # to a Queue destination!", and the connection goes on.
    r = raw(broker)
    r.connect(extra={"client-id": unique("durq")})
    reply, _ = r.request("SUBSCRIBE", [("destination", f"/queue/{unique('dq')}"), ("id", "1"),
                                       ("activemq.subscriptionName", "x")])
    assert reply.command == "ERROR", reply
    assert "cannot durably subscribe to a Queue" in reply.headers.get("message", ""), reply
    r.call("SUBSCRIBE", [("destination", f"/queue/{unique('dq')}"), ("id", "2")])
