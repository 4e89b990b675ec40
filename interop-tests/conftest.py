"""pytest harness: real `ferrum` processes on free loopback ports.

Fixtures
  broker          a fresh ferrum per test (starts in ~10 ms); at teardown it
                  is sent SIGTERM and must exit 0 within a few seconds, so a
                  crash or a hang fails the test that caused it.
  shared_broker   one ferrum per test module, for tests that only need
                  unique destination names.
  start_ferrum    factory: start a ferrum with extra arguments
                  (e.g. --stomp-max-frame-size); same teardown check.
  client          factory: a stomp.py connection (see ferrum_harness.Client),
                  closed at teardown.
  raw             factory: a raw-socket STOMP client, closed at teardown.

Pointing the suite at another broker: INTEROP_BROKER=host:port runs the
tests against that STOMP port instead (e.g. a reference ActiveMQ 5.17.2
started with /work/shared/bench/amq.sh); tests that need to start, signal or
measure a ferrum process (marked `ferrum_only`, or using `start_ferrum`) are
skipped then. INTEROP_OPENWIRE=host:port gives that broker's OpenWire port
(`broker.openwire_port`); without it the tests marked `needs_openwire` are
skipped too. `interop-tests/differ.sh` runs the suite both ways and lists
what differs.
"""

import os

import pytest

from ferrum_harness import Client, Ferrum, RawStomp

EXTERNAL = os.environ.get("INTEROP_BROKER")
EXTERNAL_OPENWIRE = os.environ.get("INTEROP_OPENWIRE")


def _host_port(spec):
    host, _, port = spec.rpartition(":")
    return host or "127.0.0.1", int(port)


class ExternalBroker:
    """A broker this suite did not start (INTEROP_BROKER, and its OpenWire
    port from INTEROP_OPENWIRE when set)."""

    def __init__(self, spec, openwire_spec=None):
        self.host, self.port = _host_port(spec)
        if openwire_spec:
            self.openwire_host, self.openwire_port = _host_port(openwire_spec)
        else:
            self.openwire_host, self.openwire_port = None, None
        self.process = None
        self.log = "(external broker: no log)"

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def openwire_address(self):
        """(host, port) of the OpenWire connector, None when unknown."""
        if self.openwire_port is None:
            return None
        return (self.openwire_host, self.openwire_port)

    def alive(self):
        return True


def _check_clean_exit(ferrum, timeout=5.0):
    rc, elapsed = ferrum.terminate(timeout)
    assert rc == 0, (
        f"ferrum did not exit cleanly on SIGTERM: exit code {rc} after {elapsed:.1f}s "
        f"(None = still running, killed). Log:\n{ferrum.log[-5000:]}"
    )
    # A panic inside a connection task does not end the process; still a bug.
    assert "panicked at" not in ferrum.log, f"ferrum panicked:\n{ferrum.log[-5000:]}"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "ferrum_only: needs a ferrum process this suite starts (skipped with INTEROP_BROKER)"
    )
    config.addinivalue_line(
        "markers", "network: starts several brokers of its own (networks of brokers)"
    )
    config.addinivalue_line(
        "markers",
        "needs_openwire: needs the broker's OpenWire port, broker.openwire_port "
        "(skipped with INTEROP_BROKER unless INTEROP_OPENWIRE is set too)",
    )


def pytest_collection_modifyitems(config, items):
    if not EXTERNAL:
        return
    skip_ferrum = pytest.mark.skip(reason="needs a ferrum process (INTEROP_BROKER is set)")
    skip_openwire = pytest.mark.skip(
        reason="needs an OpenWire port (INTEROP_BROKER is set, INTEROP_OPENWIRE is not)"
    )
    for item in items:
        if "ferrum_only" in item.keywords or "start_ferrum" in getattr(item, "fixturenames", ()):
            item.add_marker(skip_ferrum)
        elif "needs_openwire" in item.keywords and not EXTERNAL_OPENWIRE:
            item.add_marker(skip_openwire)


@pytest.fixture
def start_ferrum(tmp_path):
    started = []

    def start(*extra_args, stomp_port=0):
        f = Ferrum(tmp_path / f"data{len(started)}", extra_args, stomp_port=stomp_port)
        started.append(f)
        return f

    yield start
    for f in started:
        _check_clean_exit(f)


@pytest.fixture
def broker(request, tmp_path):
    if EXTERNAL:
        yield ExternalBroker(EXTERNAL, EXTERNAL_OPENWIRE)
        return
    f = Ferrum(tmp_path / "data")
    yield f
    _check_clean_exit(f)


@pytest.fixture(scope="module")
def shared_broker(tmp_path_factory):
    if EXTERNAL:
        yield ExternalBroker(EXTERNAL, EXTERNAL_OPENWIRE)
        return
    f = Ferrum(tmp_path_factory.mktemp("ferrum-shared"))
    yield f
    _check_clean_exit(f)


@pytest.fixture
def client():
    made = []

    def connect(broker, version="1.2", **kw):
        c = Client(broker, version=version, **kw)
        made.append(c)
        return c

    yield connect
    for c in made:
        c.abandon()


@pytest.fixture
def raw():
    made = []

    def connect(broker, version="1.2", timeout=5.0):
        r = RawStomp(broker.address, version=version, timeout=timeout)
        made.append(r)
        return r

    yield connect
    for r in made:
        r.close()
