"""Scheduled delivery (ActiveMQ's schedulerSupport) with stomp.py, raw STOMP
and the real JMS client: AMQ_SCHEDULED_DELAY / PERIOD / REPEAT / CRON, the
ActiveMQ.Scheduler.Management destination, survival of a kill -9, bad
values, and the scheduler switched off.

Every wait is bounded. A cron entry fires on whole minutes: one test waits
for a `* * * * *` job to fire (at most a minute); the rest of cron timing is
covered by the unit tests in crates/broker/src/cron.rs and
scheduler_tests.rs, and a cron job is checked to be held, listed by BROWSE
and removed by REMOVE.
"""

import time

import pytest

from ferrum_harness import Client, Ferrum, RawStomp, unique
from test_openwire_jms import JARS, java_classes, run_java  # noqa: F401 (fixture)

SCHED = ("--scheduler-support", "true")


def received_times(c, n, timeout):
    """Collects n messages (or what arrives within timeout): (monotonic time, frame)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        try:
            f = c.get(timeout=max(0.01, deadline - time.monotonic()))
        except AssertionError:
            break
        out.append((time.monotonic(), f))
    return out


def test_delay_holds_a_stomp_message_then_delivers_it_with_its_job_id(start_ferrum):
    f = start_ferrum(*SCHED)
    c = Client(f)
    q = f"/queue/{unique('delay')}"
    c.subscribe(q)
    t0 = time.monotonic()
    c.send(q, "later", headers={"AMQ_SCHEDULED_DELAY": "1500"})
    c.expect_nothing(1.0)
    got = received_times(c, 1, 5)
    assert len(got) == 1
    at, m = got[0]
    assert 1.4 <= at - t0 <= 2.5, at - t0
    assert m.body == "later"
    assert m.headers["scheduledJobId"].startswith("ID:")
    assert "AMQ_SCHEDULED_DELAY" not in m.headers
    c.expect_nothing(0.5)
    c.disconnect()


def test_period_and_repeat_deliver_repeat_plus_one_copies_with_new_ids(start_ferrum):
    f = start_ferrum(*SCHED)
    c = Client(f)
    q = f"/queue/{unique('repeat')}"
    c.subscribe(q)
    t0 = time.monotonic()
    c.send(
        q,
        "tick",
        headers={
            "AMQ_SCHEDULED_DELAY": "500",
            "AMQ_SCHEDULED_PERIOD": "400",
            "AMQ_SCHEDULED_REPEAT": "3",
        },
    )
    got = received_times(c, 4, 6)
    assert len(got) == 4
    offsets = [at - t0 for at, _ in got]
    for expected, actual in zip([0.5, 0.9, 1.3, 1.7], offsets):
        assert expected - 0.1 <= actual <= expected + 0.5, offsets
    ids = {m.headers["message-id"] for _, m in got}
    assert len(ids) == 4, "each repeat is a message of its own"
    assert len({m.headers["scheduledJobId"] for _, m in got}) == 1
    for _, m in got:
        assert not any(k.startswith("AMQ_SCHEDULED_") for k in m.headers)
    c.expect_nothing(0.8)
    c.disconnect()


def test_scheduler_off_delivers_at_once_with_the_properties_left(start_ferrum):
    f = start_ferrum()  # the default: off, as in ActiveMQ
    c = Client(f)
    q = f"/queue/{unique('off')}"
    c.subscribe(q)
    t0 = time.monotonic()
    c.send(q, "now", headers={"AMQ_SCHEDULED_DELAY": "5000"})
    m = c.get(timeout=2)
    assert time.monotonic() - t0 < 1.0
    assert m.headers["AMQ_SCHEDULED_DELAY"] == "5000"
    assert "scheduledJobId" not in m.headers
    c.disconnect()


@pytest.mark.parametrize(
    "headers,message",
    [
        ({"AMQ_SCHEDULED_DELAY": "abc"}, 'For input string: "abc"'),
        ({"AMQ_SCHEDULED_DELAY": "-1000"}, "AMQ_SCHEDULED_DELAY must not be a negative value"),
        ({"AMQ_SCHEDULED_PERIOD": "-5", "AMQ_SCHEDULED_REPEAT": "2"},
         "AMQ_SCHEDULED_PERIOD must not be a negative value"),
        ({"AMQ_SCHEDULED_CRON": "bad"}, "Not a valid cron entry - wrong number of tokens(1): bad"),
        ({"AMQ_SCHEDULED_CRON": "70 * * * *"}, "Invalid token: Minutes:70"),
    ],
)
def test_bad_values_close_the_stomp_connection_as_activemq_does(start_ferrum, headers, message):
    # ActiveMQ 5.17.2 fails the connection while reading such a SEND
    # (ActiveMQMessage.convertScheduled); Ferrum says why first.
    f = start_ferrum(*SCHED)
    r = RawStomp(f.address)
    r.connect()
    q = f"/queue/{unique('bad')}"
    r.send_frame("SEND", [("destination", q), ("receipt", "r1"), *headers.items()], b"x")
    frames = r.read_frames_until_closed(timeout=5)
    assert [fr.command for fr in frames] == ["ERROR"]
    assert frames[0].headers["message"] == message
    # Nothing was queued, and the broker is fine.
    c = Client(f)
    c.subscribe(q)
    c.expect_nothing(0.3)
    c.disconnect()
    assert f.alive()


def test_a_repeat_over_1000_is_refused_and_the_connection_kept(start_ferrum):
    f = start_ferrum(*SCHED)
    r = RawStomp(f.address)
    r.connect()
    q = f"/queue/{unique('big')}"
    r.send_frame(
        "SEND",
        [("destination", q), ("receipt", "r1"),
         ("AMQ_SCHEDULED_PERIOD", "100"), ("AMQ_SCHEDULED_REPEAT", "2000")],
        b"x",
    )
    err = r.read_frame(timeout=5)
    assert err.command == "ERROR"
    assert err.headers["message"] == "The scheduled repeat value is too large"
    assert r.is_open()
    r.close()


def test_management_browse_lists_jobs_and_remove_cancels_a_cron_job(start_ferrum):
    f = start_ferrum(*SCHED)
    c = Client(f)
    q = f"/queue/{unique('cron')}"
    replies = f"/queue/{unique('browse')}"
    c.subscribe(q)
    # Fires at the top of some minute next year; held until then.
    c.send(q, "yearly", headers={"AMQ_SCHEDULED_CRON": "0 0 1 1 *"})
    c.send(q, "later", headers={"AMQ_SCHEDULED_DELAY": "60000"})
    c.expect_nothing(0.5)
    c.subscribe(replies)
    c.send("/queue/ActiveMQ.Scheduler.Management", "",
           headers={"AMQ_SCHEDULER_ACTION": "BROWSE", "reply-to": replies})
    jobs = received_times(c, 2, 5)
    assert len(jobs) == 2
    by_body = {m.body: m for _, m in jobs}
    assert set(by_body) == {"yearly", "later"}
    assert by_body["yearly"].headers["AMQ_SCHEDULED_CRON"] == "0 0 1 1 *"
    assert by_body["yearly"].headers["type"] == "Advisory"
    yearly_job = by_body["yearly"].headers["scheduledJobId"]
    # REMOVE one; BROWSE shows the other only.
    c.send("/queue/ActiveMQ.Scheduler.Management", "",
           headers={"AMQ_SCHEDULER_ACTION": "REMOVE", "scheduledJobId": yearly_job})
    c.send("/queue/ActiveMQ.Scheduler.Management", "",
           headers={"AMQ_SCHEDULER_ACTION": "BROWSE", "reply-to": replies})
    left = received_times(c, 2, 1.5)
    assert [m.body for _, m in left] == ["later"]
    # REMOVEALL empties it.
    c.send("/queue/ActiveMQ.Scheduler.Management", "",
           headers={"AMQ_SCHEDULER_ACTION": "REMOVEALL"})
    c.send("/queue/ActiveMQ.Scheduler.Management", "",
           headers={"AMQ_SCHEDULER_ACTION": "BROWSE", "reply-to": replies})
    c.expect_nothing(0.8)
    c.disconnect()


def parse_received(out):
    rows = []
    for line in out.splitlines():
        if line.startswith("R "):
            parts = line.split(" ")
            rows.append((int(parts[1]), parts[2], parts[3], parts[4] if len(parts) > 4 else ""))
    return rows


def test_jms_delay_keeps_the_message_id_and_repeats_get_new_ones(start_ferrum, java_classes):
    f = start_ferrum(*SCHED)
    url = f"tcp://127.0.0.1:{f.openwire_port}"
    out = run_java(java_classes, "Scheduler", "roundtrip", url, unique("jd"), "2", "4000",
                   "AMQ_SCHEDULED_DELAY=1000")
    sent = out.split("SENT ")[1].split()[0]
    rows = parse_received(out)
    assert len(rows) == 1, out
    ms, mid, job, left = rows[0]
    assert 900 <= ms <= 2000, out
    assert mid == sent, "a single delayed delivery keeps the producer's id (as ActiveMQ)"
    assert job.startswith("ID:") and left == ""

    out = run_java(java_classes, "Scheduler", "roundtrip", url, unique("jr"), "4", "5000",
                   "AMQ_SCHEDULED_DELAY=500", "AMQ_SCHEDULED_PERIOD=400",
                   "AMQ_SCHEDULED_REPEAT=2")
    rows = parse_received(out)
    assert len(rows) == 3, out
    assert len({r[1] for r in rows}) == 3 and sent not in {r[1] for r in rows}
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert 300 <= rows[2][0] - rows[0][0] <= 1300, out


def test_jms_transacted_send_is_scheduled_at_commit(start_ferrum, java_classes):
    f = start_ferrum(*SCHED)
    url = f"tcp://127.0.0.1:{f.openwire_port}"
    out = run_java(java_classes, "Scheduler", "roundtrip", url, unique("jt"), "2", "4000",
                   "tx", "AMQ_SCHEDULED_DELAY=1000")
    rows = parse_received(out)
    assert len(rows) == 1 and 900 <= rows[0][0] <= 2000, out


def test_jms_redelivery_of_a_fired_message_keeps_its_id(start_ferrum, java_classes):
    f = start_ferrum(*SCHED)
    url = f"tcp://127.0.0.1:{f.openwire_port}"
    q = unique("jrb")
    run_java(java_classes, "Scheduler", "send", url, q, "AMQ_SCHEDULED_DELAY=300")
    out = run_java(java_classes, "Scheduler", "rollback", url, q, "4000")
    first = out.split("FIRST ")[1].split()
    again = out.split("AGAIN ")[1].split()
    assert first[0] == again[0] and first[1] == "false" and again[1] == "true", out


def test_persistent_jobs_survive_kill_9_and_fire_after_restart(tmp_path, java_classes):
    data = tmp_path / "data"
    started = []

    def start():
        started.append(Ferrum(data, SCHED))
        return started[-1]

    try:
        f = start()
        url = f"tcp://127.0.0.1:{f.openwire_port}"
        q_soon, q_late, q_rep = unique("ks"), unique("kl"), unique("kr")
        # Due while the broker is down: fires at once after the restart.
        run_java(java_classes, "Scheduler", "send", url, q_soon, "AMQ_SCHEDULED_DELAY=1500")
        # Due well after the restart: fires at its time, not before.
        run_java(java_classes, "Scheduler", "send", url, q_late, "AMQ_SCHEDULED_DELAY=7000")
        sent_at = time.monotonic()
        # Repeating, with its first firing before the kill.
        run_java(java_classes, "Scheduler", "send", url, q_rep, "AMQ_SCHEDULED_PERIOD=800",
                 "AMQ_SCHEDULED_REPEAT=2")
        # Non-persistent (STOMP's default): need not survive, and does not.
        c = Client(f)
        c.send(f"/queue/{q_soon}", "np", headers={"AMQ_SCHEDULED_DELAY": "1500"})
        c.disconnect()
        time.sleep(1.0)
        f.kill()
        time.sleep(1.0)
        g = start()
        url = f"tcp://127.0.0.1:{g.openwire_port}"
        out = run_java(java_classes, "Scheduler", "receive", url, q_soon, "2", "2000")
        assert len(parse_received(out)) == 1, out
        # Three deliveries in all, across the restart.
        out = run_java(java_classes, "Scheduler", "receive", url, q_rep, "4", "4000")
        assert len(parse_received(out)) == 3, out
        remaining = 7.0 - (time.monotonic() - sent_at)
        out = run_java(java_classes, "Scheduler", "receive", url, q_late, "1", "10000")
        rows = parse_received(out)
        assert len(rows) == 1, out
        if remaining > 0.5:
            assert rows[0][0] >= (remaining - 0.5) * 1000, (remaining, out)
        rc, _ = g.terminate()
        assert rc == 0, g.log[-3000:]
        # Every job is done: nothing fires after another restart.
        h = start()
        c = Client(h)
        for q in (q_soon, q_late, q_rep):
            c.subscribe(f"/queue/{q}")
        c.expect_nothing(2.0)
        c.disconnect()
        rc, _ = h.terminate()
        assert rc == 0, h.log[-3000:]
        for b in started:
            assert "panicked at" not in b.log
    finally:
        for b in started:
            if b.alive():
                b.kill()


def test_a_cron_job_fires_on_the_next_whole_minute(start_ferrum):
    f = start_ferrum(*SCHED)
    c = Client(f)
    q = f"/queue/{unique('cron')}"
    c.subscribe(q)
    c.send(q, "tick", headers={"AMQ_SCHEDULED_CRON": "* * * * *"})
    got = received_times(c, 1, 65)
    assert len(got) == 1, "no firing within a minute"
    fired_at = time.time() - (time.monotonic() - got[0][0])
    assert fired_at % 60 < 2.0, f"fired {fired_at % 60:.2f}s past the minute"
    assert got[0][1].body == "tick"
    assert got[0][1].headers["scheduledJobId"].startswith("ID:")
    # A cron job never ends by itself: remove it.
    c.send("/queue/ActiveMQ.Scheduler.Management", "",
           headers={"AMQ_SCHEDULER_ACTION": "REMOVEALL"})
    c.disconnect()
