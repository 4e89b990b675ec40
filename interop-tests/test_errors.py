"""Bad input, each on its own connection.

Every case checks what the bad connection gets (ERROR with a `message`
header, or what ActiveMQ 5.17.2 does instead) and whether it is closed, and
that meanwhile

  * a bystander (a producer and a consumer connected the whole time) keeps
    working and loses nothing, and
  * the message the bad connection had sent (with a receipt) before the bad
    frame is not lost.

Expected behaviour is ActiveMQ 5.17.2's, measured with
/work/shared/bench/amq.sh (run this file with INTEROP_BROKER=127.0.0.1:PORT
against it to see).
"""

import random
import socket

import pytest

from ferrum_harness import unique


class Bystander:
    def __init__(self, broker, client):
        self.broker = broker
        self.q = f"/queue/{unique('bystander')}"
        self.consumer = client(broker, version="1.1")
        self.consumer.subscribe(self.q, ack="client-individual")
        self.producer = client(broker, version="1.2")
        self.sent = []

    def send(self, tag, n=5):
        for i in range(n):
            body = f"{tag}-{i}"
            self.producer.send(self.q, body)  # waits for the RECEIPT: accepted
            self.sent.append(body)

    def check(self):
        got = self.consumer.get_n(len(self.sent))
        assert [m.body for m in got] == self.sent
        for m in got:
            self.consumer.ack(m)
        self.consumer.expect_nothing(0.1)


@pytest.fixture
def bystander(broker, client):
    b = Bystander(broker, client)
    b.send("before")
    yield b


def accepted_before(r):
    """The bad connection sends one good message first; returns its queue."""
    q = f"/queue/{unique('accepted')}"
    r.call("SEND", [("destination", q)], b"accepted")
    return q


def assert_kept(broker, client, q, bodies=("accepted",)):
    c = client(broker)
    c.subscribe(q)
    assert [m.body for m in c.get_n(len(bodies))] == list(bodies)
    c.expect_nothing(0.2)


def error_then_closed(r, timeout=5.0):
    """The first frame is an ERROR with a message, then the broker closes.
    (What follows the first ERROR is not checked: ActiveMQ echoes garbage,
    NULs included, in further ERROR bodies without content-length.)"""
    frames = r.read_frames_until_closed(timeout)
    assert frames, "expected an ERROR frame before the close"
    assert frames[0].command == "ERROR", frames
    assert frames[0].headers.get("message"), frames[0]
    return frames[0]


def still_usable(r):
    q = f"/queue/{unique()}"
    r.call("SUBSCRIBE", [("destination", q), ("id", unique("s"))])
    r.call("SEND", [("destination", q)], b"still usable")
    assert r.read_message().body == b"still usable"


# ----------------------------------------------------------------- fatal ones


def test_unknown_command(broker, raw, client, bystander):
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(b"FOO\nreceipt:foo-1\n\n\x00")
    err = error_then_closed(r)
    assert err.headers["message"] == "Unknown STOMP action: FOO"
    # ActiveMQ 5.17.2 answers with the receipt-id of the offending frame.
    assert err.headers.get("receipt-id") == "foo-1", err
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_lowercase_command_is_unknown(broker, raw, client, bystander):
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(b"send\ndestination:/queue/x\n\nbody\x00")
    err = error_then_closed(r)
    assert err.headers["message"] == "Unknown STOMP action: send"
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_frame_over_the_size_limit(start_ferrum, raw, client):
    broker = start_ferrum("--stomp-max-frame-size", "1000")
    b = Bystander(broker, client)
    b.send("before")
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(
        b"SEND\ndestination:" + q.encode() + b"\ncontent-length:2000\nreceipt:big\n\n"
        + b"x" * 2000 + b"\x00"
    )
    err = error_then_closed(r)
    assert err.headers["message"].startswith("The maximum frame size was exceeded"), err
    # just under the limit still works, on a new connection
    ok = raw(broker)
    ok.connect()
    ok.call("SEND", [("destination", q), ("content-length", "900")], b"y" * 900)
    b.send("after")
    b.check()
    c = client(broker, auto_decode=False)
    c.subscribe(q)
    assert [m.body for m in c.get_n(2)] == [b"accepted", b"y" * 900]
    c.expect_nothing(0.2)


def test_oversized_body_without_content_length(start_ferrum, raw, client):
    broker = start_ferrum("--stomp-max-frame-size", "1000")
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(b"SEND\ndestination:/queue/x\n\n" + b"z" * 5000 + b"\x00")
    err = error_then_closed(r)
    assert err.headers["message"].startswith("The maximum frame size was exceeded"), err
    assert_kept(broker, client, q)


def test_invalid_content_length(broker, raw, client, bystander):
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(b"SEND\ndestination:/queue/x\ncontent-length:zz\n\nx\x00")
    err = error_then_closed(r)
    assert "content-length" in err.headers["message"]
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_garbage_frame_before_connect(broker, raw, client, bystander):
    r = raw(broker)
    r.send_bytes(b"\xde\xad\xbe\xef\r\nhello world\n\n\x00")
    error_then_closed(r)
    bystander.send("after")
    bystander.check()


@pytest.mark.parametrize("connected", [False, True])
def test_random_binary_garbage(broker, raw, client, bystander, connected):
    rng = random.Random(7)
    garbage = bytes(rng.getrandbits(8) for _ in range(65536))
    r = raw(broker)
    q = None
    if connected:
        r.connect()
        q = accepted_before(r)
    r.send_bytes(garbage)
    error_then_closed(r)
    bystander.send("after")
    bystander.check()
    if q:
        assert_kept(broker, client, q)


def test_invalid_heart_beat_header(broker, raw, bystander):
    r = raw(broker)
    r.send_bytes(b"CONNECT\naccept-version:1.2\nheart-beat:foo\n\n\x00")
    err = error_then_closed(r)
    assert "heart-beat" in err.headers["message"].lower()
    bystander.send("after")
    bystander.check()


def test_half_closed_socket_mid_frame(broker, raw, client, bystander):
    """The client shuts down its sending side in the middle of a frame: the
    partial frame is dropped, the connection closed, nothing else lost.
    (ActiveMQ 5.17.2: no ERROR, just the close.)"""
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(b"SEND\ndestination:" + q.encode() + b"\ncontent-length:100\n\npartial")
    r.sock.shutdown(socket.SHUT_WR)
    frames = r.read_frames_until_closed(5.0)
    assert [f.command for f in frames if f.command != "ERROR"] == [], frames
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_half_closed_socket_after_complete_frame(broker, raw, client, bystander):
    """A complete frame followed by SHUT_WR is still processed and answered."""
    r = raw(broker)
    r.connect()
    q = f"/queue/{unique()}"
    r.send_bytes(b"SEND\ndestination:" + q.encode() + b"\nreceipt:last\n\nlast words\x00")
    r.sock.shutdown(socket.SHUT_WR)
    frames = r.read_frames_until_closed(5.0)
    assert [(f.command, f.headers.get("receipt-id")) for f in frames] == [("RECEIPT", "last")]
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q, ("last words",))


# ------------------------------------------------------ non-fatal: connection stays


def test_send_without_destination(broker, raw, client, bystander):
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    f, _ = r.request("SEND", [], b"nowhere")
    assert f.command == "ERROR"
    assert f.headers["message"].startswith("SEND received without a Destination specified")
    assert f.headers["receipt-id"].startswith("raw-")
    still_usable(r)
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_subscribe_without_destination(broker, raw, client, bystander):
    r = raw(broker)
    r.connect()
    f, _ = r.request("SUBSCRIBE", [("id", "1")])
    assert f.command == "ERROR"
    assert f.headers.get("message")
    still_usable(r)
    bystander.send("after")
    bystander.check()


def test_ack_for_unknown_message(broker, raw, client, bystander):
    r = raw(broker, version="1.1")
    r.connect()
    q = accepted_before(r)
    r.call("SUBSCRIBE", [("destination", f"/queue/{unique()}"), ("id", "s"), ("ack", "client")])
    # A well-formed id nobody sent (ActiveMQ drops the connection without an
    # ERROR when it cannot even parse the id: not a behaviour to copy).
    unknown = "ID:nohost-1-2-3:1:-1:1:999"
    f, _ = r.request("ACK", [("message-id", unknown), ("subscription", "s")])
    assert f.command == "ERROR"
    assert f.headers["message"] == f"Unexpected ACK received for message-id [{unknown}]"
    still_usable(r)
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_nack_for_unknown_message(broker, raw, bystander):
    r = raw(broker, version="1.2")
    r.connect()
    f, _ = r.request("NACK", [("id", "ID:nohost-1-2-3:1:-1:1:999")])
    assert f.command == "ERROR"
    assert f.headers.get("message")
    still_usable(r)
    bystander.send("after")
    bystander.check()


@pytest.mark.parametrize("command", ["COMMIT", "ABORT"])
def test_unknown_transaction(broker, raw, client, bystander, command):
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    f, _ = r.request(command, [("transaction", "no-such-tx")])
    assert f.command == "ERROR"
    assert f.headers["message"].startswith("Invalid transaction id")
    assert "no-such-tx" in f.headers["message"]
    still_usable(r)
    bystander.send("after")
    bystander.check()
    assert_kept(broker, client, q)


def test_send_in_unknown_transaction(broker, raw, client, bystander):
    r = raw(broker)
    r.connect()
    q = f"/queue/{unique()}"
    f, _ = r.request("SEND", [("destination", q), ("transaction", "nope")], b"x")
    assert f.command == "ERROR"
    assert f.headers["message"].startswith("Invalid transaction id")
    still_usable(r)
    bystander.send("after")
    bystander.check()


def test_begin_twice(broker, raw, bystander):
    r = raw(broker)
    r.connect()
    r.call("BEGIN", [("transaction", "t")])
    f, _ = r.request("BEGIN", [("transaction", "t")])
    assert f.command == "ERROR"
    assert f.headers.get("message")
    still_usable(r)
    bystander.send("after")
    bystander.check()


def test_unsubscribe_unknown_subscription(broker, raw, bystander):
    r = raw(broker)
    r.connect()
    f, _ = r.request("UNSUBSCRIBE", [("id", "never-subscribed")])
    assert f.command == "ERROR"
    assert f.headers["message"] == "No subscription matched."
    still_usable(r)
    bystander.send("after")
    bystander.check()


# ------------------------------------- where ActiveMQ 5.17.2 is lenient (measured)


def test_bad_destination_prefix_is_a_queue(broker, raw, client, bystander):
    """ActiveMQ 5.17.2 does not refuse `/foo/bar`: a name without a known
    prefix becomes a queue of that name (its MESSAGE frames show
    `/queue//foo/bar`); SEND gets its RECEIPT, no ERROR."""
    name = f"/foo/{unique('bar')}"
    consumer = raw(broker)
    consumer.connect()
    consumer.call("SUBSCRIBE", [("destination", name), ("id", "s")])
    r = raw(broker)
    r.connect()
    f, _ = r.request("SEND", [("destination", name)], b"to foo/bar")
    assert f.command == "RECEIPT", f
    m = consumer.read_message()
    assert m.body == b"to foo/bar"
    assert m.headers["destination"].endswith(name)
    still_usable(r)
    bystander.send("after")
    bystander.check()


def test_header_line_without_colon(broker, raw, client, bystander):
    """ActiveMQ 5.17.2 takes a header line without ':' as a header with an
    empty value: no ERROR, the message is delivered, the connection stays."""
    r = raw(broker)
    r.connect()
    q = accepted_before(r)
    r.send_bytes(
        b"SEND\ndestination:" + q.encode() + b"\nbadheader\nx-good:yes\nreceipt:mal\n\nbody\x00"
    )
    f = r.read_frame()
    assert (f.command, f.headers.get("receipt-id")) == ("RECEIPT", "mal"), f
    still_usable(r)
    bystander.send("after")
    bystander.check()
    c = client(broker)
    c.subscribe(q)
    first, second = c.get_n(2)
    assert first.body == "accepted"
    assert second.body == "body"
    assert second.headers["x-good"] == "yes"
    assert second.headers.get("badheader") == ""


def test_undefined_escape_in_1_2_header(broker, raw, client, bystander):
    """STOMP 1.2 calls `\\t` in a header a fatal error, but ActiveMQ 5.17.2
    accepts it and keeps the two characters as they are; clients written
    against it (e.g. sending Windows paths) depend on that."""
    r = raw(broker, version="1.2")
    r.connect()
    q = accepted_before(r)
    r.send_bytes(
        b"SEND\ndestination:" + q.encode() + b"\nx-path:dir\\temp\nreceipt:esc\n\nbody\x00"
    )
    f = r.read_frame()
    assert (f.command, f.headers.get("receipt-id")) == ("RECEIPT", "esc"), f
    still_usable(r)
    bystander.send("after")
    bystander.check()
    c = client(broker)
    c.subscribe(q)
    first, second = c.get_n(2)
    assert first.body == "accepted"
    assert (second.body, second.headers["x-path"]) == ("body", "dir\\temp")


def test_frame_before_connect(broker, raw, client, bystander):
    """ActiveMQ 5.17.2: ERROR `Not connected.` (with the receipt-id), the
    connection stays open and a CONNECT afterwards works."""
    r = raw(broker)
    q = f"/queue/{unique()}"
    r.send_bytes(b"SEND\ndestination:" + q.encode() + b"\nreceipt:early\n\nearly\x00")
    f = r.read_frame()
    assert f.command == "ERROR"
    assert f.headers.get("message")
    assert f.headers.get("receipt-id") == "early"
    assert r.connect().headers["version"] == "1.2"
    still_usable(r)
    bystander.send("after")
    bystander.check()
    # the refused SEND was not delivered
    c = client(broker)
    c.subscribe(q)
    c.expect_nothing(0.3)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_subscribe_and_unsubscribe_need_an_id_from_1_1_on(broker, raw, version):
    # ActiveMQ 5.17.2's words; the connection goes on.
    r = raw(broker, version=version)
    r.connect()
    q = f"/queue/{unique('noid')}"
    for command, text in (("SUBSCRIBE", "SUBSCRIBE received without a subscription id!"),
                          ("UNSUBSCRIBE", "UNSUBSCRIBE received without a subscription id!")):
        reply, _ = r.request(command, [("destination", q)])
        assert reply.command == "ERROR", reply
        assert reply.headers["message"] == text, reply
    reply, _ = r.request("SUBSCRIBE", [("destination", ""), ("id", "9")])
    assert reply.headers["message"] == "Invalid empty or 'null' Destination header", reply
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])


def test_a_stomp_1_0_subscription_may_go_without_an_id(broker, raw):
    r = raw(broker, version="1.0")
    r.connect(accept_version="1.0")
    q = f"/queue/{unique('noid10')}"
    r.call("SUBSCRIBE", [("destination", q)])
    r.call("UNSUBSCRIBE", [("destination", q)])


@pytest.mark.parametrize("version", ["1.0", "1.2"])
@pytest.mark.parametrize("frames,expected", [
    ([("BEGIN", [])], "Must specify the transaction you are beginning"),
    ([("COMMIT", [("transaction", "nope")])], "Invalid transaction id: nope"),
    ([("ABORT", [("transaction", "nope")])], "Invalid transaction id: nope"),
    ([("SEND", [("destination", "/queue/etx"), ("transaction", "nope")])],
     "Invalid transaction id: nope"),
    ([("BEGIN", [("transaction", "t")]), ("BEGIN", [("transaction", "t")])],
     "The transaction was already started: t"),
    ([("UNSUBSCRIBE", [("id", "zz")])], "No subscription matched."),
])
def test_stomp_errors_say_what_activemq_says(broker, raw, version, frames, expected):
    # Each message is ActiveMQ 5.17.2's (checked with INTEROP_BROKER); the
    # client sees its own transaction name, not the broker's.
    r = raw(broker, version=version)
    r.connect(accept_version=version)
    for command, headers in frames[:-1]:
        r.call(command, headers)
    command, headers = frames[-1]
    reply, _ = r.request(command, headers)
    assert reply.command == "ERROR", reply
    assert reply.headers["message"] == expected, reply


@pytest.mark.parametrize("version,expected", [
    ("1.0", "NACK received but connection is in v1.0 mode."),
    ("1.2", "Unexpected NACK received for message-id [x]"),
])
def test_a_nack_is_refused_in_1_0_and_for_unknown_messages(broker, raw, version, expected):
    r = raw(broker, version=version)
    r.connect(accept_version=version)
    reply, _ = r.request("NACK", [("message-id", "x"), ("id", "x"), ("subscription", "1")])
    assert (reply.command, reply.headers["message"]) == ("ERROR", expected), reply


def test_a_1_2_ack_without_an_id_is_refused_in_activemq_words(broker, raw):
    r = raw(broker, version="1.2")
    r.connect()
    reply, _ = r.request("ACK", [("subscription", "1")])
    assert reply.headers["message"] == "ACK received without a ack id for acknowledge!", reply


@pytest.mark.parametrize("version,command,headers,expected", [
    # ActiveMQ 5.17.2's words and the order it checks the headers in.
    ("1.0", "ACK", [], "ACK received without a message-id to acknowledge!"),
    ("1.1", "ACK", [], "ACK received without a message-id to acknowledge!"),
    ("1.1", "ACK", [("message-id", "m")], "ACK received without a subscription id for acknowledge!"),
    ("1.1", "NACK", [], "NACK received without a subscription id for acknowledge!"),
    ("1.1", "NACK", [("subscription", "1")], "NACK received without a message-id to acknowledge!"),
    ("1.2", "NACK", [("subscription", "1"), ("message-id", "m")],
     "NACK received without an ack header to acknowledge!"),
    ("1.2", "ACK", [("message-id", "m")], "ACK received without a ack id for acknowledge!"),
])
def test_an_ack_or_nack_missing_a_header_is_refused_per_version(
        broker, raw, version, command, headers, expected):
    r = raw(broker, version=version)
    r.connect(accept_version=version)
    reply, _ = r.request(command, headers)
    assert (reply.command, reply.headers["message"]) == ("ERROR", expected), reply
    still_usable(r)


def test_an_unknown_ack_mode_is_taken_as_auto(broker, raw, client):
    # ActiveMQ 5.17.2 accepts any ack value and acks such a subscription
    # automatically: the message is gone once delivered, never acked.
    r = raw(broker, version="1.2")
    r.connect()
    q = f"/queue/{unique('ackmode')}"
    r.call("SUBSCRIBE", [("destination", q), ("id", "1"), ("ack", "Client")])
    producer = client(broker)
    producer.send(q, "one")
    assert r.read_message().body == b"one"
    r.close()
    later = client(broker)
    later.subscribe(q)
    later.expect_nothing(0.5)


def test_a_reused_subscription_id_keeps_the_first_subscription_receiving(broker, raw, client):
    # ActiveMQ 5.17.2: the second SUBSCRIBE with id 1 does not replace the
    # first; both deliver under id 1, UNSUBSCRIBE ends only the newer.
    r = raw(broker, version="1.2")
    r.connect()
    first, second = f"/queue/{unique('reuse1')}", f"/queue/{unique('reuse2')}"
    r.call("SUBSCRIBE", [("destination", first), ("id", "1")])
    r.call("SUBSCRIBE", [("destination", second), ("id", "1")])
    producer = client(broker)
    producer.send(first, "a")
    producer.send(second, "b")
    got = sorted((m.headers["subscription"], m.body) for m in (r.read_message(), r.read_message()))
    assert got == [("1", b"a"), ("1", b"b")]
    r.call("UNSUBSCRIBE", [("id", "1")])
    producer.send(second, "c")
    producer.send(first, "d")
    m = r.read_message()
    assert (m.headers["subscription"], m.body) == ("1", b"d")
    reply, _ = r.request("UNSUBSCRIBE", [("id", "1")])
    assert (reply.command, reply.headers["message"]) == ("ERROR", "No subscription matched.")
    r.expect_no_frame(0.3)
    later = client(broker)
    later.subscribe(second)
    assert later.get().body == "c"
