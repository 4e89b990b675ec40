"""`ferrum perf run`: the load generator, against a real broker, over STOMP
and OpenWire, to a queue and a topic. Every message must arrive exactly
once, in order per producer (the tool fails otherwise); the JSON report
must account for all of them."""

import json
import subprocess

import pytest

from ferrum_harness import ferrum_bin, unique

COUNT = 5000
PRODUCERS = 2
CONSUMERS = 2


def perf(url, dest, *extra, count=COUNT, timeout=60):
    proc = subprocess.run(
        [
            ferrum_bin(), "perf", "run",
            "--url", url,
            "--dest", dest,
            "--name", unique("perf"),
            "--size", "128",
            "--count", str(count),
            "--producers", str(PRODUCERS),
            "--consumers", str(CONSUMERS),
            "--timeout", "30",
            "--json",
            *extra,
        ],
        capture_output=True,
        timeout=timeout,
    )
    return proc


def url_for(broker, protocol):
    if protocol == "stomp":
        return f"stomp://{broker.host}:{broker.port}"
    port = getattr(broker, "openwire_port", None)
    if port is None:
        pytest.skip("no OpenWire port known for this broker")
    return f"tcp://{broker.host}:{port}"


@pytest.mark.parametrize("protocol", ["stomp", "openwire"])
@pytest.mark.parametrize("dest", ["queue", "topic"])
def test_perf_run_delivers_everything(broker, protocol, dest):
    proc = perf(url_for(broker, protocol), dest)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().strip().splitlines()
    assert len(lines) == 1, lines
    report = json.loads(lines[0])
    expected = COUNT if dest == "queue" else COUNT * CONSUMERS
    assert report["protocol"] == protocol
    assert report["sent"] == COUNT
    assert report["expected"] == expected
    assert report["received"] == expected
    lat = report["latency_us"]
    assert 0 <= lat["p50"] <= lat["p99"] <= lat["p999"] <= lat["max"]
    assert report["cpu_pct"] >= 0


@pytest.mark.parametrize("protocol", ["stomp", "openwire"])
def test_perf_persistent(broker, protocol):
    proc = perf(url_for(broker, protocol), "queue", "--persistent", count=500)
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout.decode())
    assert report["persistent"] is True
    assert report["received"] == 500


@pytest.mark.parametrize("protocol", ["stomp", "openwire"])
@pytest.mark.parametrize(
    "options",
    [
        ["--ack", "client", "--prefetch", "10"],
        ["--ack", "individual"],
        ["--tx-batch", "7", "--persistent"],
        ["--selector", "perf_group = {i}"],
    ],
    ids=["client-ack-prefetch", "individual-ack", "transactions", "selector-per-consumer"],
)
def test_perf_options_deliver_everything(broker, protocol, options):
    proc = perf(url_for(broker, protocol), "queue", *options, count=500)
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout.decode())
    assert report["received"] == 500


@pytest.mark.parametrize("protocol", ["stomp", "openwire"])
def test_perf_spread_over_topics_with_a_wildcard_subscriber(broker, protocol):
    proc = perf(url_for(broker, protocol), "topic", "--spread", "50", count=500)
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout.decode())
    assert report["received"] == report["expected"] > 0


@pytest.mark.parametrize("protocol", ["stomp", "openwire"])
def test_perf_duration_stops_sending_and_checks_what_was_sent(broker, protocol):
    proc = perf(url_for(broker, protocol), "queue", "--duration", "1", count=10**9)
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout.decode())
    assert 0 < report["sent"] < 10**9
    assert report["received"] == report["sent"] == report["expected"]
    assert 0.9 < report["produce_s"] < 5


def test_perf_selector_that_misses_messages_fails_the_run(broker):
    # Consumer i selects perf_group = i + 100: nothing matches, nothing arrives.
    proc = subprocess.run(
        [ferrum_bin(), "perf", "run", "--url", url_for(broker, "stomp"), "--name", unique("perf"),
         "--count", "50", "--timeout", "3", "--json", "--selector", "perf_group = {i} + 100"],
        capture_output=True, timeout=30)
    assert proc.returncode != 0
    assert b"timed out" in proc.stderr, proc.stderr.decode()


def test_perf_fails_when_messages_are_missing(broker):
    """A consumer-only run that nobody produces for times out and fails."""
    proc = subprocess.run(
        [
            ferrum_bin(), "perf", "consumer",
            "--url", url_for(broker, "stomp"),
            "--name", unique("perf"),
            "--count", "10",
            "--timeout", "1",
            "--json",
        ],
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode != 0
    assert b"timed out" in proc.stderr
    assert proc.stdout == b""


def test_perf_fails_on_stale_messages(broker):
    """Messages left on the queue by an earlier run are duplicates of the
    new run's sequence numbers: the run must fail, not count them."""
    name = unique("perf")
    url = url_for(broker, "stomp")
    common = ["--url", url, "--name", name, "--count", "10", "--producers", "1",
              "--timeout", "10", "--json"]
    first = subprocess.run([ferrum_bin(), "perf", "producer", *common],
                           capture_output=True, timeout=30)
    assert first.returncode == 0, first.stderr.decode()
    second = subprocess.run([ferrum_bin(), "perf", "run", *common],
                            capture_output=True, timeout=30)
    assert second.returncode != 0
    assert b"stale message" in second.stderr, second.stderr.decode()


@pytest.mark.parametrize("protocol", ["stomp", "openwire"])
def test_perf_reports_broker_refusal(start_ferrum, protocol):
    """Bodies over the broker's frame limit: the run fails and says why
    (STOMP: the broker's ERROR frame; OpenWire: the negotiated limit)."""
    f = start_ferrum("--stomp-max-frame-size", "1000", "--openwire-max-frame-size", "1000")
    proc = subprocess.run(
        [ferrum_bin(), "perf", "run", "--url", url_for(f, protocol),
         "--name", unique("perf"), "--size", "5000", "--count", "100",
         "--timeout", "10", "--json"],
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert err.startswith("ferrum perf: FAILED: "), err
    assert "frame size" in err.lower(), err
    assert proc.stdout == b""
