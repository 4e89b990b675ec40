"""SEND / SUBSCRIBE / UNSUBSCRIBE / MESSAGE on queues, topics and
temporary destinations, bodies and header encoding."""

import pytest

from ferrum_harness import unique

VERSIONS = ["1.0", "1.1", "1.2"]


def bodies(frames):
    return [f.body for f in frames]


@pytest.mark.parametrize("version", VERSIONS)
def test_queue_round_trip(shared_broker, client, version):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version=version)
    sub = c.subscribe(q, id="s-1")
    c.send(q, "hello queue")
    m = c.get()
    assert m.cmd == "MESSAGE"
    assert m.body == "hello queue"
    assert m.headers["destination"] == q
    assert m.headers["subscription"] == sub
    assert m.headers["message-id"]
    # (the 1.2 `ack` header is only required for client ack modes: test_acks)
    c.expect_nothing(0.2)


@pytest.mark.parametrize("version", VERSIONS)
def test_topic_round_trip(shared_broker, client, version):
    t = f"/topic/{unique()}"
    c = client(shared_broker, version=version)
    sub = c.subscribe(t, id="t-1")
    c.send(t, "hello topic")
    m = c.get()
    assert (m.body, m.headers["destination"], m.headers["subscription"]) == (
        "hello topic",
        t,
        sub,
    )


def test_queue_messages_go_to_exactly_one_competing_consumer(shared_broker, client):
    q = f"/queue/{unique()}"
    consumers = [client(shared_broker) for _ in range(3)]
    for c in consumers:
        c.subscribe(q)
    producer = client(shared_broker)
    n = 60
    for i in range(n):
        producer.send(q, f"m{i}", receipt=(i == n - 1))
    got = [bodies(c.drain(settle=0.5)) for c in consumers]
    everything = [b for g in got for b in g]
    assert sorted(everything) == sorted(f"m{i}" for i in range(n)), (
        f"each message exactly once; counts {[len(g) for g in got]}"
    )
    assert all(len(g) > 0 for g in got), f"load not shared: counts {[len(g) for g in got]}"
    # each consumer sees its share in send order
    for g in got:
        assert g == sorted(g, key=lambda b: int(b[1:]))


def test_topic_every_subscriber_gets_every_message(shared_broker, client):
    t = f"/topic/{unique()}"
    subscribers = [client(shared_broker, version=v) for v in VERSIONS]
    for c in subscribers:
        c.subscribe(t, id="fan")
    producer = client(shared_broker)
    n = 50
    for i in range(n):
        producer.send(t, f"t{i}", receipt=(i == n - 1))
    for c in subscribers:
        assert bodies(c.get_n(n)) == [f"t{i}" for i in range(n)]
        c.expect_nothing(0.2)


def test_topic_messages_sent_before_subscribing_are_not_received(shared_broker, client):
    t = f"/topic/{unique()}"
    producer = client(shared_broker)
    producer.send(t, "before")
    c = client(shared_broker)
    c.subscribe(t)
    producer.send(t, "after")
    assert c.get().body == "after"
    c.expect_nothing(0.3)


def test_queue_messages_sent_before_subscribing_are_received(shared_broker, client):
    q = f"/queue/{unique()}"
    producer = client(shared_broker)
    for i in range(3):
        producer.send(q, f"early{i}")
    producer.disconnect()
    c = client(shared_broker)
    c.subscribe(q)
    assert bodies(c.get_n(3)) == ["early0", "early1", "early2"]


def test_queue_is_fifo(shared_broker, client):
    q = f"/queue/{unique()}"
    producer = client(shared_broker)
    n = 300
    for i in range(n):
        producer.send(q, str(i), receipt=(i == n - 1))
    c = client(shared_broker)
    c.subscribe(q)
    assert bodies(c.get_n(n)) == [str(i) for i in range(n)]


@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_unsubscribe_stops_delivery(shared_broker, client, kind):
    d = f"/{kind}/{unique()}"
    c = client(shared_broker)
    sid = c.subscribe(d)
    producer = client(shared_broker)
    producer.send(d, "one")
    assert c.get().body == "one"
    c.unsubscribe(sid)
    producer.send(d, "two")
    c.expect_nothing(0.4)
    if kind == "queue":
        # the queue kept it for the next consumer
        other = client(shared_broker)
        other.subscribe(d)
        assert other.get().body == "two"


def test_two_subscriptions_on_one_connection(shared_broker, client):
    q1, q2 = f"/queue/{unique()}", f"/queue/{unique()}"
    c = client(shared_broker)
    c.subscribe(q1, id="a")
    c.subscribe(q2, id="b")
    c.send(q1, "to a")
    c.send(q2, "to b")
    got = {m.headers["subscription"]: (m.body, m.headers["destination"]) for m in c.get_n(2)}
    assert got == {"a": ("to a", q1), "b": ("to b", q2)}


def test_temp_queue_round_trip_on_own_connection(shared_broker, client):
    c = client(shared_broker)
    c.subscribe("/temp-queue/mine", id="tq")
    c.send("/temp-queue/mine", "to myself")
    m = c.get()
    assert m.body == "to myself"
    assert m.headers["destination"] == "/temp-queue/mine"
    assert m.headers["subscription"] == "tq"


def test_temp_queue_names_are_per_connection(shared_broker, client):
    a = client(shared_broker)
    b = client(shared_broker)
    a.subscribe("/temp-queue/same-name", id="x")
    b.subscribe("/temp-queue/same-name", id="x")
    b.send("/temp-queue/same-name", "from b")
    assert b.get().body == "from b"
    a.expect_nothing(0.3)
    a.send("/temp-queue/same-name", "from a")
    assert a.get().body == "from a"
    b.expect_nothing(0.3)


def test_temp_topic_fans_out_within_connection(shared_broker, client):
    c = client(shared_broker)
    c.subscribe("/temp-topic/events", id="s1")
    c.subscribe("/temp-topic/events", id="s2")
    c.send("/temp-topic/events", "evt")
    got = c.get_n(2)
    assert sorted(m.headers["subscription"] for m in got) == ["s1", "s2"]
    assert {m.body for m in got} == {"evt"}
    assert {m.headers["destination"] for m in got} == {"/temp-topic/events"}


def test_temp_queue_request_reply(shared_broker, client):
    """A asks on /queue/req with reply-to:/temp-queue/x; B answers to the
    /remote-temp-queue/... name it was given; A gets the answer."""
    req_q = f"/queue/{unique('req')}"
    a = client(shared_broker)
    b = client(shared_broker, version="1.1")
    b.subscribe(req_q, id="server")
    a.subscribe("/temp-queue/x", id="replies")
    a.send(req_q, "ping", headers={"reply-to": "/temp-queue/x", "correlation-id": "c-42"})
    request = b.get()
    assert request.body == "ping"
    reply_to = request.headers["reply-to"]
    assert reply_to.startswith("/remote-temp-queue/"), reply_to
    assert request.headers["correlation-id"] == "c-42"
    b.send(reply_to, "pong", headers={"correlation-id": request.headers["correlation-id"]})
    reply = a.get()
    assert reply.body == "pong"
    assert reply.headers["correlation-id"] == "c-42"
    assert reply.headers["destination"] == "/temp-queue/x"


def test_temp_topic_reply_to_is_rewritten(shared_broker, client):
    a = client(shared_broker)
    b = client(shared_broker)
    q = f"/queue/{unique()}"
    b.subscribe(q)
    a.subscribe("/temp-topic/notes", id="n")
    a.send(q, "subscribe me", headers={"reply-to": "/temp-topic/notes"})
    reply_to = b.get().headers["reply-to"]
    assert reply_to.startswith("/remote-temp-topic/"), reply_to
    b.send(reply_to, "note")
    m = a.get()
    assert (m.body, m.headers["destination"]) == ("note", "/temp-topic/notes")


def test_temp_queue_dies_with_its_connection(shared_broker, client, raw):
    """A temporary queue is deleted with its connection: a SEND to its
    remote name afterwards is refused with an ERROR naming it (ActiveMQ:
    "Cannot publish to a deleted Destination: temp-queue://ID:..."), and the
    sender's connection stays usable."""
    a = client(shared_broker)
    b = raw(shared_broker)
    b.connect()
    q = f"/queue/{unique()}"
    b.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    a.subscribe("/temp-queue/gone", id="g")
    a.send(q, "x", headers={"reply-to": "/temp-queue/gone"})
    reply_to = b.read_message().headers["reply-to"]
    assert reply_to.startswith("/remote-temp-queue/")
    a.disconnect()
    f, _ = b.request("SEND", [("destination", reply_to)], b"late reply")
    assert f.command == "ERROR", f
    assert reply_to[len("/remote-temp-queue/"):] in f.headers["message"], f
    b.call("SEND", [("destination", q)], b"still fine")
    assert b.read_message().body == b"still fine"


# ---------------------------------------------------------------- bodies


@pytest.mark.parametrize("version", VERSIONS)
def test_text_send_without_content_length_arrives_without_it(shared_broker, client, version):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version=version, auto_content_length=False)
    c.subscribe(q)
    c.send(q, "plain text")
    m = c.get()
    assert m.body == "plain text"
    assert "content-length" not in m.headers, m.headers


@pytest.mark.parametrize("version", VERSIONS)
def test_send_with_content_length_arrives_with_it(shared_broker, client, version):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version=version)  # stomp.py adds content-length
    c.subscribe(q)
    c.send(q, "bytes message")
    m = c.get()
    assert m.body == "bytes message"
    assert m.headers.get("content-length") == str(len("bytes message")), m.headers


def test_binary_body_with_nul_bytes_survives(shared_broker, client):
    q = f"/queue/{unique()}"
    payload = bytes(range(256)) * 4 + b"\x00\x00end\x00"
    c = client(shared_broker, auto_decode=False)
    c.subscribe(q)
    c.send(q, payload)
    m = c.get()
    assert m.body == payload
    assert m.headers["content-length"] == str(len(payload))


def test_binary_body_raw_bytes(shared_broker, raw):
    q = f"/queue/{unique()}"
    r = raw(shared_broker)
    r.connect()
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    payload = b"\x00a\x00b\n\n\x00"
    r.call("SEND", [("destination", q), ("content-length", str(len(payload)))], payload)
    m = r.read_message()
    assert m.body == payload
    assert m.headers["content-length"] == str(len(payload))


def test_utf8_body_and_headers(shared_broker, client):
    q = f"/queue/{unique()}"
    c = client(shared_broker)
    c.subscribe(q)
    text = "Grüße — 日本語 — emoji 🚀"
    c.send(q, text, headers={"x-note": "naïve café ☕"})
    m = c.get()
    assert m.body == text
    assert m.headers["x-note"] == "naïve café ☕"
    assert m.headers["content-length"] == str(len(text.encode("utf-8")))


def test_empty_body(shared_broker, client):
    q = f"/queue/{unique()}"
    c = client(shared_broker)
    c.subscribe(q)
    c.send(q, "")
    assert c.get().body == ""


@pytest.mark.parametrize("content_length", [True, False])
def test_one_mebibyte_message(shared_broker, client, content_length):
    q = f"/queue/{unique()}"
    c = client(shared_broker, auto_content_length=content_length)
    c.subscribe(q)
    body = ("0123456789abcdef" * 65536)  # 1 MiB
    c.send(q, body)
    m = c.get(timeout=10)
    assert len(m.body) == len(body)
    assert m.body == body


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_header_escaping_round_trip(shared_broker, client, version):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version=version)
    c.subscribe(q)
    value = "a:b\nc\\d"
    c.send(q, "x", headers={"x-tricky": value})
    m = c.get()
    assert m.headers["x-tricky"] == value


def test_header_escaping_on_the_wire_1_2(shared_broker, raw):
    q = f"/queue/{unique()}"
    r = raw(shared_broker)
    r.connect()
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    r.send_bytes(
        b"SEND\ndestination:" + q.encode() + b"\nx-esc:colon\\cnewline\\nback\\\\slash\n"
        b"receipt:e1\n\nbody\x00"
    )
    frames = {f.command: f for f in (r.read_frame(), r.read_frame())}
    assert frames["RECEIPT"].headers["receipt-id"] == "e1"
    m = frames["MESSAGE"]
    assert m.headers["x-esc"] == "colon:newline\nback\\slash"
    assert m.body == b"body"


def test_stomp_1_0_header_value_with_colon(shared_broker, client):
    q = f"/queue/{unique()}"
    c = client(shared_broker, version="1.0")
    c.subscribe(q)
    c.send(q, "x", headers={"x-url": "http://example.com:8080/a"})
    assert c.get().headers["x-url"] == "http://example.com:8080/a"


def test_repeated_header_first_wins(shared_broker, raw):
    q = f"/queue/{unique()}"
    r = raw(shared_broker)
    r.connect()
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    r.call("SEND", [("destination", q), ("x-dup", "first"), ("x-dup", "second")], b"x")
    m = r.read_message()
    assert m.headers["x-dup"] == "first"
