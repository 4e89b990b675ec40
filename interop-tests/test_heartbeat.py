"""Heart-beat negotiation, broker heart-beats, and dropping silent clients."""

import time

import pytest

from ferrum_harness import unique


@pytest.mark.parametrize(
    "asked,answered",
    [
        ("1000,1000", "1000,1000"),
        ("500,2000", "2000,500"),
        ("2000,500", "500,2000"),
        ("0,0", "0,0"),
        ("0,1500", "1500,0"),
        ("1500,0", "0,1500"),
    ],
)
def test_heart_beat_is_answered_mirrored(broker, raw, asked, answered):
    r = raw(broker)
    f = r.connect(heart_beat=asked)
    assert f.headers["heart-beat"] == answered


def test_no_heart_beat_header_means_none(broker, raw):
    r = raw(broker)
    assert r.connect().headers["heart-beat"] == "0,0"
    r.expect_no_frame(1.0)
    assert r.heartbeats == [], "no heart-beats were asked for"


def test_stomp_py_heart_beat_negotiation(broker, client):
    c = client(broker, version="1.2", heartbeats=(1000, 1000))
    assert c.connected_frame.headers["heart-beat"] == "1000,1000"
    c2 = client(broker, version="1.1", heartbeats=(500, 2000))
    assert c2.connected_frame.headers["heart-beat"] == "2000,500"


def test_broker_sends_heart_beats_at_the_agreed_rate(broker, raw):
    """CONNECT heart-beat 0,500: the client wants to hear from the broker at
    least every 500 ms, so an idle broker must send an EOL at least that
    often (STOMP 1.1: "MUST send new data ... at least every <n> ms").
    ActiveMQ 5.17.2 measured: first beat after ~2 intervals, then every
    500 ms."""
    r = raw(broker)
    t0 = time.monotonic()
    r.connect(heart_beat="0,500")
    r.expect_no_frame(3.0)
    beats = [round(t - t0, 3) for t in r.heartbeats]
    assert len(beats) >= 4, f"only {len(beats)} heart-beats in 3 s: {beats}"
    assert beats[0] <= 1.2, f"first heart-beat after {beats[0]:.3f}s"
    gaps = [round(b - a, 3) for a, b in zip(beats, beats[1:])]
    assert max(gaps) <= 0.6, f"heart-beats later than the agreed 500 ms: gaps {gaps}"
    assert min(gaps) >= 0.1, f"heart-beats flood: {gaps}"


def test_heart_beats_are_bare_eols_between_frames(broker, raw):
    """Heart-beats never split a frame: a MESSAGE is intact amid them."""
    r = raw(broker)
    r.connect(heart_beat="0,100")
    q = f"/queue/{unique()}"
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    time.sleep(0.35)
    r.call("SEND", [("destination", q)], b"between beats")
    assert r.read_message().body == b"between beats"
    r.expect_no_frame(0.5)
    assert len(r.heartbeats) >= 4


def test_silent_client_is_disconnected_and_its_messages_redelivered(broker, raw, client):
    q = f"/queue/{unique()}"
    r = raw(broker)
    r.connect(heart_beat="500,0")  # promises a beat every 500 ms, then goes silent
    r.call("SUBSCRIBE", [("destination", q), ("id", "1"), ("ack", "client")])
    r.call("SEND", [("destination", q)], b"held")
    silent_since = time.monotonic()
    held = r.read_message()
    assert held.body == b"held"
    other = client(broker)
    other.subscribe(q, ack="client-individual")
    other.expect_nothing(0.2)  # the silent client holds it
    r.wait_closed(timeout=5.0)
    total = time.monotonic() - silent_since
    assert 0.5 <= total <= 2.5, f"dropped after {total:.2f}s (3 intervals = 1.5 s)"
    m = other.get()
    assert m.body == "held"
    assert m.headers.get("redelivered") == "true"
    assert m.headers["message-id"] == held.headers["message-id"]
    other.send(q, "still works")
    assert other.get().body == "still works"


def test_client_that_keeps_beating_stays_connected(broker, raw):
    r = raw(broker)
    r.connect(heart_beat="300,0")
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        r.send_bytes(b"\n")
        time.sleep(0.15)
    q = f"/queue/{unique()}"
    r.call("SUBSCRIBE", [("destination", q), ("id", "1")])
    r.call("SEND", [("destination", q)], b"alive")
    assert r.read_message().body == b"alive"


def test_frames_count_as_heart_beats(broker, raw):
    r = raw(broker)
    r.connect(heart_beat="300,0")
    q = f"/queue/{unique()}"
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        r.call("SEND", [("destination", q)], b"x")
        time.sleep(0.15)
    assert r.is_open(0.1)


def test_stomp_py_with_heart_beats_survives_idle(broker, client):
    # stomp.py gives the broker 1.5 intervals of grace before it declares
    # the connection dead, so the broker must beat on time.
    c = client(broker, version="1.2", heartbeats=(300, 300))
    q = f"/queue/{unique()}"
    c.subscribe(q)
    time.sleep(2.0)
    assert c.listener.heartbeat_timeouts == 0
    assert not c.listener.disconnected.is_set()
    c.send(q, "after idle")
    assert c.get().body == "after idle"


def test_no_heart_beats_means_idle_connection_is_kept(broker, raw):
    r = raw(broker)
    r.connect(heart_beat="0,0")
    time.sleep(2.0)
    assert r.is_open(0.1)
    r.call("SEND", [("destination", f"/queue/{unique()}")], b"x")
