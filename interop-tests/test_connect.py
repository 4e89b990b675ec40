"""CONNECT / STOMP frames, version negotiation, CONNECTED headers, login."""

import pytest

from ferrum_harness import unique


def assert_server_header(value):
    assert value, "CONNECTED must carry a server header"
    name, _, version = value.partition("/")
    assert name and version, f"server header should be name/version, got {value!r}"


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_stomp_py_connects_with_each_version(broker, client, version):
    c = client(broker, version=version, login="alice", passcode="secret")
    h = c.connected_frame.headers
    assert h["version"] == version
    assert h["session"].strip() != ""
    assert_server_header(h.get("server"))
    assert h["heart-beat"] == "0,0"
    # and the connection is usable
    q = f"/queue/{unique()}"
    c.subscribe(q, id="1")
    c.send(q, "hi")
    assert c.get().body == "hi"
    assert c.disconnect().headers["receipt-id"].startswith("py-")


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_connect_command_and_stomp_command(broker, client, version):
    via_stomp = client(broker, version=version)  # stomp.py 1.1+ sends STOMP
    via_connect = client(broker, version=version, with_connect_command=True)
    for c in (via_stomp, via_connect):
        assert c.connected_frame.cmd == "CONNECTED"
        assert c.connected_frame.headers["version"] == version
    assert (
        via_stomp.connected_frame.headers["session"]
        != via_connect.connected_frame.headers["session"]
    )


def test_raw_connect_without_accept_version_is_stomp_1_0(broker, raw):
    r = raw(broker, version="1.0")
    r.send_frame("CONNECT", [("login", "guest"), ("passcode", "guest")])
    f = r.read_frame()
    assert f.command == "CONNECTED"
    assert f.headers["session"] != ""
    # ActiveMQ 5.17.2 answers a 1.0 client with version:1.0, heart-beat:0,0
    # and its server header too (measured).
    assert f.headers.get("version") == "1.0", f
    assert f.headers.get("heart-beat") == "0,0", f
    assert_server_header(f.headers.get("server"))
    # STOMP 1.0 semantics: no `id` needed on SUBSCRIBE, and the connection works.
    q = f"/queue/{unique()}"
    r.call("SUBSCRIBE", [("destination", q)])
    r.call("SEND", [("destination", q)], b"one-oh")
    m = r.read_message()
    assert m.body == b"one-oh"
    assert m.headers["destination"] == q


@pytest.mark.parametrize(
    "accept,expected",
    [
        ("1.0", "1.0"),
        ("1.1", "1.1"),
        ("1.2", "1.2"),
        ("1.0,1.1", "1.1"),
        ("1.0,1.1,1.2", "1.2"),
        ("1.2,1.0", "1.2"),
        ("1.1,2.0", "1.1"),
    ],
)
def test_version_negotiation_picks_highest_common(broker, raw, accept, expected):
    r = raw(broker)
    f = r.connect(accept_version=accept)
    assert f.headers["version"] == expected


@pytest.mark.parametrize("command", ["CONNECT", "STOMP"])
def test_unsupported_version_gets_error_then_close(broker, raw, command):
    r = raw(broker)
    r.send_frame(command, [("accept-version", "2.0"), ("host", "localhost")])
    frames = r.read_frames_until_closed(timeout=5)
    assert [f.command for f in frames] == ["ERROR"], frames
    msg = frames[0].headers.get("message", "")
    assert "2.0" in msg and "version" in msg.lower(), msg
    # The broker is fine afterwards.
    r2 = raw(broker)
    assert r2.connect().headers["version"] == "1.2"


def test_connected_headers_for_1_2_raw(broker, raw):
    r = raw(broker)
    f = r.connect(heart_beat="0,0", extra={"login": "bob", "passcode": "pw"})
    assert f.headers["version"] == "1.2"
    assert f.headers["heart-beat"] == "0,0"
    assert f.headers["session"]
    assert_server_header(f.headers["server"])
    # No content: CONNECTED has an empty body.
    assert f.body == b""


def test_sessions_are_distinct(broker, raw):
    sessions = {raw(broker).connect().headers["session"] for _ in range(5)}
    assert len(sessions) == 5


def test_client_id_in_use_is_refused(broker, raw):
    cid = unique("cid")
    first = raw(broker)
    first.connect(extra={"client-id": cid})
    second = raw(broker)
    second.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "localhost"), ("client-id", cid)])
    frames = second.read_frames_until_closed(timeout=5)
    assert [f.command for f in frames] == ["ERROR"], frames
    assert cid in frames[0].headers.get("message", ""), frames[0]
    # The first connection is untouched.
    q = f"/queue/{unique()}"
    first.call("SEND", [("destination", q)], b"still here")


def test_second_connect_on_same_connection(broker, raw):
    """ActiveMQ 5.17.2 (measured): ERROR `Already connected.` and the
    connection stays usable."""
    r = raw(broker)
    r.connect()
    r.send_frame("CONNECT", [("accept-version", "1.2"), ("host", "localhost")])
    f = r.read_frame()
    assert f.command == "ERROR"
    assert f.headers["message"] == "Already connected."
    q = f"/queue/{unique()}"
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    r.call("SEND", [("destination", q)], b"after")
    assert r.read_message().body == b"after"
