"""Stopping the broker: SIGTERM / SIGINT with clients connected exits 0
within a couple of seconds, and every client sees its connection end."""

import signal
import threading
import time

import pytest

from ferrum_harness import Ferrum, RawStomp, encode_frame, unique

pytestmark = pytest.mark.ferrum_only


def busy_broker(ferrum, client):
    """Clients of every kind on one broker; returns what to check afterwards."""
    q, t = f"/queue/{unique()}", f"/topic/{unique()}"
    consumer = client(ferrum, version="1.1")
    consumer.subscribe(q, ack="client")
    topic_sub = client(ferrum, version="1.2", heartbeats=(500, 500))
    topic_sub.subscribe(t)
    in_tx = client(ferrum, version="1.0")
    in_tx.begin("open-tx")
    in_tx.send(q, "uncommitted", headers={"transaction": "open-tx"})
    producer = client(ferrum)
    for i in range(20):
        producer.send(q, f"m{i}", receipt=(i == 19))
    consumer.get_n(20)  # held, un-acked
    idle = RawStomp(ferrum.address)
    idle.connect(heart_beat="0,0")
    not_connected = RawStomp(ferrum.address)  # no CONNECT yet
    stalled = RawStomp(ferrum.address, rcvbuf=4096)
    stalled.connect()
    stalled.call("SUBSCRIBE", [("destination", t), ("id", "s")])
    body = b"z" * 10240
    frame = encode_frame("SEND", [("destination", t), ("content-length", str(len(body)))], body)
    raw_producer = RawStomp(ferrum.address, timeout=10)
    raw_producer.connect()
    raw_producer.send_bytes(frame * 1000)  # 10 MiB backlog for the stalled one
    raw_producer.call("SEND", [("destination", q)], b"sync", timeout=10)
    return [consumer, topic_sub, in_tx, producer], [idle, not_connected, stalled, raw_producer]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_with_clients_connected_exits_zero(start_ferrum, client, sig):
    ferrum = start_ferrum()
    py_clients, raws = busy_broker(ferrum, client)
    rc, elapsed = ferrum.terminate(timeout=10, sig=sig)
    assert rc == 0, f"exit code {rc}; log:\n{ferrum.log[-3000:]}"
    assert elapsed < 5.0, f"took {elapsed:.2f}s to stop"
    # every client sees the end of its connection
    for r in raws:
        r.wait_closed(5)
    for c in py_clients:
        assert c.listener.disconnected.wait(5), "stomp.py client not told of the disconnect"


def test_sigterm_while_a_producer_streams(start_ferrum):
    ferrum = start_ferrum()
    q = f"/queue/{unique()}"
    producer = RawStomp(ferrum.address, timeout=10)
    producer.connect()
    stop = threading.Event()
    errors = []

    def stream():
        frame = encode_frame("SEND", [("destination", q)], b"x" * 1000)
        try:
            while not stop.is_set():
                producer.send_bytes(frame * 50)
        except OSError as e:  # the broker went away: expected
            errors.append(e)

    th = threading.Thread(target=stream, daemon=True)
    th.start()
    time.sleep(0.5)
    rc, elapsed = ferrum.terminate(timeout=10)
    stop.set()
    th.join(10)
    assert not th.is_alive()
    assert rc == 0, f"exit code {rc}; log:\n{ferrum.log[-3000:]}"
    assert elapsed < 5.0, f"took {elapsed:.2f}s to stop"


def test_idle_broker_stops_fast_and_logs_it(start_ferrum):
    ferrum = start_ferrum()
    rc, elapsed = ferrum.terminate()
    assert rc == 0
    assert elapsed < 5.0, f"idle broker took {elapsed:.2f}s to stop"
    assert "STOMP listening on" in ferrum.log


def test_port_is_free_again_after_shutdown(start_ferrum, client):
    first = start_ferrum()
    c = client(first)
    c.subscribe(f"/queue/{unique()}")
    port = first.port
    rc, _ = first.terminate()
    assert rc == 0
    second = start_ferrum(stomp_port=port)
    assert second.port == port
    c2 = client(second)
    q = f"/queue/{unique()}"
    c2.subscribe(q)
    c2.send(q, "second life")
    assert c2.get().body == "second life"


def test_sigterm_right_after_startup(tmp_path):
    """A supervisor may stop the broker the moment it reports its port: the
    signal handlers must already be in place by then, so SIGTERM still
    means a clean exit 0 (not death by the signal's default action).
    200 quick start/stop rounds, well under a second in all."""
    outcomes = []
    for i in range(200):
        f = Ferrum(tmp_path / f"d{i}")
        rc, _ = f.terminate(timeout=5)
        outcomes.append(rc)
    bad = [rc for rc in outcomes if rc != 0]
    assert bad == [], (
        f"{len(bad)} of 200 brokers signalled right after 'STOMP listening' "
        f"did not exit 0: exit codes {sorted(set(bad))} (-15 = killed by SIGTERM)"
    )
