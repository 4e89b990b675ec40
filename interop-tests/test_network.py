"""Networks of brokers: demand forwarding between ferrum and the real
ActiveMQ 5.17.2, in both directions, and between ferrums.

Each test starts its own brokers on free loopback ports. A message sent on
one broker reaches a consumer on another only through a bridge: the
bridge learns of the consumer from the other broker's advisories and
forwards what arrives for it.
"""

import subprocess
import time

import pytest

from ferrum_harness import Ferrum, unique
from test_openwire_jms import JARS, java_classes, run_java  # noqa: F401 (fixture)
from network_harness import ActiveMQ, amq_available, free_port, wait_for

pytestmark = [pytest.mark.ferrum_only, pytest.mark.network]

needs_amq = pytest.mark.skipif(not amq_available(), reason="ActiveMQ 5.17.2 is not installed")


def static(*brokers, **options):
    uri = "static:(" + ",".join(f"tcp://127.0.0.1:{b.openwire_port}" for b in brokers) + ")"
    if options:
        uri += "?" + "&".join(f"{k}={v}" for k, v in options.items())
    return uri


@pytest.fixture
def brokers(tmp_path):
    """Starts brokers for a test and stops them all at its end."""
    started = []

    class Start:
        def ferrum(self, name, *connectors, extra=(), openwire_port=0):
            args = ["--broker-name", name, *extra]
            for c in connectors:
                args += ["--network-connector", c]
            f = Ferrum(tmp_path / f"ferrum-{name}", args, openwire_port=openwire_port)
            started.append(f)
            return f

        def activemq(self, name, *connectors, openwire_port=None):
            a = ActiveMQ(tmp_path, name, connectors, openwire_port=openwire_port)
            started.append(a)
            return a

    yield Start()
    for b in reversed(started):
        if isinstance(b, ActiveMQ):
            b.stop()
        else:
            b.terminate()


def forwarded_once(producer, consumer, dest, deadline=30.0):
    """Sends probes on `producer` until one reaches `consumer` (the bridge
    has learnt the demand), then drains the rest of them; returns how many
    probes were needed."""
    end = time.monotonic() + deadline
    sent = 0
    while time.monotonic() < end:
        producer.send(dest, f"probe-{sent}")
        sent += 1
        try:
            consumer.get(timeout=0.5)
        except Exception:
            continue
        consumer.drain(settle=1.0)
        return sent
    raise AssertionError(f"no probe on {dest} crossed the network in {deadline}s")


def exchange(client, src, dst, dest, n=20):
    """A consumer on `dst`, a producer on `src`: every message arrives once."""
    consumer = client(dst)
    consumer.subscribe(dest, ack="client-individual")
    producer = client(src)
    if dest.startswith("/topic/"):
        forwarded_once(producer, consumer, dest)
    bodies = [f"m{i}" for i in range(n)]
    for b in bodies:
        producer.send(dest, b, headers={"persistent": "true"})
    got = consumer.get_n(n, timeout=30)
    for m in got:
        consumer.ack(m)
    assert sorted(m.body for m in got if not m.body.startswith("probe")) == sorted(bodies)
    consumer.expect_nothing(1.0)


@needs_amq
@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_an_activemq_bridge_forwards_into_ferrum(brokers, client, kind):
    f = brokers.ferrum("f1")
    a = brokers.activemq("a1", {"uri": static(f), "name": "to-ferrum"})
    exchange(client, a, f, f"/{kind}/{unique('a2f')}")


@needs_amq
@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_a_ferrum_bridge_forwards_into_activemq(brokers, client, kind):
    a = brokers.activemq("a1")
    f = brokers.ferrum("f1", static(a))
    exchange(client, f, a, f"/{kind}/{unique('f2a')}")


@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_a_ferrum_bridge_forwards_into_ferrum(brokers, client, kind):
    f2 = brokers.ferrum("f2")
    f1 = brokers.ferrum("f1", static(f2))
    exchange(client, f1, f2, f"/{kind}/{unique('f2f')}")


def all_arrive_once(client, producer_broker, consumers, dest, n=30, persistent=True):
    """Each consumer broker's subscriber on `dest` gets every message once
    (a topic); or, for a queue, the union over them gets each once."""
    subs = []
    for b in consumers:
        c = client(b)
        c.subscribe(dest, ack="client-individual")
        subs.append(c)
    producer = client(producer_broker)
    if dest.startswith("/topic/"):
        for c in subs:
            forwarded_once(producer, c, dest)
        for c in subs:
            c.drain(settle=1.0)
    bodies = [f"m{i}" for i in range(n)]
    for b in bodies:
        producer.send(dest, b, headers={"persistent": "true" if persistent else "false"})
    got = []
    if dest.startswith("/topic/"):
        for c in subs:
            mine = [m.body for m in c.get_n(n, timeout=30)]
            assert sorted(mine) == sorted(bodies)
            c.expect_nothing(1.5)
    else:
        deadline = time.monotonic() + 30
        while len(got) < n and time.monotonic() < deadline:
            for c in subs:
                try:
                    m = c.get(timeout=0.2)
                except Exception:
                    continue
                c.ack(m)
                got.append(m.body)
        for c in subs:
            c.expect_nothing(1.5)
        assert sorted(got) == sorted(bodies)


@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_a_line_of_four_ferrums_delivers_end_to_end_exactly_once(brokers, client, kind):
    # f1 -> f2 -> f3 -> f4, demand travels back three hops.
    f4 = brokers.ferrum("f4")
    f3 = brokers.ferrum("f3", static(f4, networkTTL=3))
    f2 = brokers.ferrum("f2", static(f3, networkTTL=3))
    f1 = brokers.ferrum("f1", static(f2, networkTTL=3))
    all_arrive_once(client, f1, [f4], f"/{kind}/{unique('line')}")


@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_a_triangle_of_ferrums_never_loops_or_duplicates(brokers, client, kind):
    # Every broker bridges to both others (six bridges), networkTTL 2: each
    # consumer's demand arrives by two routes; messages must not loop and
    # each subscriber gets each message once.
    ports = {n: free_port() for n in "abc"}

    class At:
        def __init__(self, port):
            self.openwire_port = port

    def peers(me):
        return static(*(At(p) for n, p in ports.items() if n != me), networkTTL=2)

    a, b, c = (brokers.ferrum(n, peers(n), openwire_port=ports[n]) for n in "abc")
    all_arrive_once(client, a, [b, c], f"/{kind}/{unique('tri')}")


class At:
    """A broker known only by its OpenWire port (not started yet)."""

    def __init__(self, port):
        self.openwire_port = port


def java_in_background(classes, *args):
    """Starts a NetworkJms consumer; returns once it says it is ready."""
    p = subprocess.Popen(["java", "-cp", ":".join([str(classes), *JARS]), "NetworkJms", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.strip() == "ready", (line, p.stderr.read() if p.poll() is not None else "")
    return p


def finish(p, timeout=60):
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, err
    return out


def mixed_pair(brokers):
    """Ferrum and ActiveMQ 5.17.2, each bridging to the other."""
    amq_port = free_port()
    f = brokers.ferrum("ferrum", static(At(amq_port)))
    a = brokers.activemq("amq", {"uri": static(f), "name": "to-ferrum"}, openwire_port=amq_port)
    return f, a


@needs_amq
@pytest.mark.parametrize("direction", ["ferrum-to-activemq", "activemq-to-ferrum"])
def test_java_and_stomp_clients_across_a_mixed_pair(brokers, client, java_classes, direction):
    f, a = mixed_pair(brokers)
    src, dst = (f, a) if direction == "ferrum-to-activemq" else (a, f)
    url = lambda b: f"tcp://127.0.0.1:{b.openwire_port}"  # noqa: E731
    q, t = unique("jq"), unique("jt")
    # A Java consumer with a selector, and a STOMP topic subscriber, on dst.
    selected = java_in_background(java_classes, "receive", url(dst), f"queue://{q}", "10", "20000", "n >= 10")
    stomp = client(dst)
    stomp.subscribe(f"/topic/{t}")
    forwarded_once(client(src), stomp, f"/topic/{t}")
    run_java(java_classes, "NetworkJms", "send", url(src), f"queue://{q}", "20", "true")
    run_java(java_classes, "NetworkJms", "send", url(src), f"topic://{t}", "5", "false")
    assert finish(selected).strip() == "got [m10, m11, m12, m13, m14, m15, m16, m17, m18, m19]"
    assert sorted(m.body for m in stomp.get_n(5, timeout=20)) == [f"m{i}" for i in range(5)]
    stomp.expect_nothing(1.0)
    # Request/reply over a temporary queue: the request crosses one way,
    # the reply the other (ActiveMQ's bridgeTempDestinations).
    svc = unique("svc")
    replier = java_in_background(java_classes, "reply", url(dst), svc, "3")
    out = run_java(java_classes, "NetworkJms", "request", url(src), svc, "3", "20000")
    assert out.strip() == "replies [re:q0, re:q1, re:q2]"
    finish(replier)


def test_killing_the_middle_of_a_line_loses_no_acknowledged_message(brokers, client, java_classes, tmp_path):
    """f1 -> f2 -> f3 under persistent load (Java sync sends and STOMP
    sends with receipts, both on f1, a consumer on f3); f2 is killed with
    SIGKILL mid-stream and restarted on its data. Every message a producer
    had confirmed reaches the consumer; any repeat is flagged redelivered."""
    ports = {"f2": free_port(), "f3": free_port()}
    fast = {"networkTTL": 2, "initialReconnectDelay": 100, "maxReconnectDelay": 500}
    f3 = brokers.ferrum("f3", openwire_port=ports["f3"])
    f2_args = ("f2", static(At(ports["f3"]), **fast))
    f2 = brokers.ferrum(*f2_args, openwire_port=ports["f2"])
    f1 = brokers.ferrum("f1", static(At(ports["f2"]), **fast))
    q = unique("crash")
    consumer = client(f3)
    consumer.subscribe(f"/queue/{q}", ack="client-individual")
    stomp = client(f1)
    forwarded_once(stomp, consumer, f"/queue/{q}")
    java = subprocess.Popen(
        ["java", "-cp", ":".join([str(java_classes), *JARS]), "NetworkJms", "send",
         f"tcp://127.0.0.1:{f1.openwire_port}", f"queue://{q}", "400", "true"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    confirmed = []
    for i in range(400):
        stomp.send(f"/queue/{q}", f"s{i}", headers={"persistent": "true"})  # waits for the receipt
        confirmed.append(f"s{i}")
        if i == 150:
            f2.kill()
            f2 = brokers.ferrum(*f2_args, openwire_port=ports["f2"])
    assert "sent 400" in finish(java, timeout=120)
    confirmed += [f"m{i}" for i in range(400)]
    seen, flagged_repeats = {}, 0
    deadline = time.monotonic() + 60
    while len(seen) < len(confirmed) and time.monotonic() < deadline:
        try:
            m = consumer.get(timeout=1.0)
        except Exception:
            continue
        consumer.ack(m)
        if m.body.startswith("probe"):
            continue
        if m.body in seen:
            assert m.headers.get("redelivered") == "true", f"unflagged repeat of {m.body}"
            flagged_repeats += 1
        seen[m.body] = True
    missing = sorted(set(confirmed) - set(seen))
    assert not missing, f"{len(missing)} confirmed messages lost, e.g. {missing[:5]}"


def duplex_pair(brokers, initiator, acceptor):
    """Two brokers joined by one duplex bridge opened by `initiator`."""
    if acceptor == "activemq":
        b = brokers.activemq("acceptor")
    else:
        b = brokers.ferrum("acceptor")
    if initiator == "activemq":
        a = brokers.activemq("initiator", {"uri": static(b), "duplex": "true", "name": "dx"})
    else:
        a = brokers.ferrum("initiator", static(b, duplex="true"))
    return a, b


@pytest.mark.parametrize("initiator,acceptor", [
    pytest.param("ferrum", "ferrum"),
    pytest.param("activemq", "ferrum", marks=needs_amq),
    pytest.param("ferrum", "activemq", marks=needs_amq),
])
@pytest.mark.parametrize("kind", ["queue", "topic"])
def test_one_duplex_bridge_carries_messages_both_ways(brokers, client, initiator, acceptor, kind):
    a, b = duplex_pair(brokers, initiator, acceptor)
    exchange(client, a, b, f"/{kind}/{unique('dx-ab')}")
    exchange(client, b, a, f"/{kind}/{unique('dx-ba')}")


def test_a_restarted_peer_is_reconnected_and_its_demand_relearned(brokers, client):
    port = free_port()
    f2 = brokers.ferrum("f2", openwire_port=port)
    f1 = brokers.ferrum("f1", static(At(port), initialReconnectDelay=100, maxReconnectDelay=500))
    q = f"/queue/{unique('restart')}"
    exchange(client, f1, f2, q, n=5)
    rc, _ = f2.terminate()
    assert rc == 0
    f2 = brokers.ferrum("f2", openwire_port=port)
    exchange(client, f1, f2, q, n=5)
    assert "network bridge down" in f1.log


class FakePeer:
    """A TCP server on loopback that answers bridges badly: with garbage,
    or not at all."""

    def __init__(self, garbage):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.openwire_port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns = []

        def serve():
            while True:
                try:
                    c, _ = self.sock.accept()
                except OSError:
                    return
                self.accepted += 1
                self.conns.append(c)
                if garbage:
                    try:
                        c.sendall(b"\x00\x00\x00\x20GET / HTTP/1.1\r\n\r\ngarbage!garbage!")
                    except OSError:
                        pass

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("garbage", [True, False], ids=["garbage", "silent"])
def test_a_peer_that_sends_garbage_or_stalls_is_dropped_and_retried(brokers, client, garbage):
    fake = FakePeer(garbage)
    try:
        member = f"tcp://127.0.0.1:{fake.openwire_port}?wireFormat.maxInactivityDuration=1000"
        f = brokers.ferrum("f1", f"static:({member})?initialReconnectDelay=100&maxReconnectDelay=300")
        deadline = time.monotonic() + 15
        while fake.accepted < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert fake.accepted >= 3, f"bridge retried {fake.accepted} times:\n{f.log[-2000:]}"
        # Local clients never noticed.
        c = client(f)
        q = f"/queue/{unique('local')}"
        c.subscribe(q)
        c.send(q, "still here")
        assert c.get().body == "still here"
        assert ("bad OpenWire" if garbage else "stalled") in f.log or "handshake" in f.log
    finally:
        fake.close()


@pytest.mark.parametrize("peer", ["ferrum", pytest.param("activemq", marks=needs_amq)])
def test_bridges_are_announced_on_the_network_bridge_advisory_topic(brokers, client, peer):
    # As ActiveMQ's AdvisoryBroker: started=true with createdByDuplex and
    # remoteIp when the bridge comes up, started=false when it goes.
    port = free_port()
    b = brokers.activemq("b", openwire_port=port) if peer == "activemq" else brokers.ferrum("b", openwire_port=port)
    watcher_broker = brokers.ferrum("a", static(At(port), initialReconnectDelay=100, maxReconnectDelay=500))
    # The bridge may be up before anyone watches: stop the peer and look
    # for the stop, then for the start once it is back.
    watcher = client(watcher_broker)
    watcher.subscribe("/topic/ActiveMQ.Advisory.NetworkBridge")
    wait_for(lambda: "network bridge connected" in watcher_broker.log, 20, "the bridge")
    if peer == "activemq":
        b.stop()
    else:
        b.terminate()
    # (A started=true may come first if the bridge came up only now.)
    stopped = watcher.get(timeout=20)
    if stopped.headers["started"] == "true":
        stopped = watcher.get(timeout=20)
    assert stopped.headers["started"] == "false", stopped.headers
    b = brokers.activemq("b2", openwire_port=port) if peer == "activemq" else brokers.ferrum("b", openwire_port=port)
    started = watcher.get(timeout=20)
    assert started.headers["started"] == "true", started.headers
    assert started.headers["createdByDuplex"] == "false"
    assert started.headers["remoteIp"] == f"tcp://127.0.0.1:{port}"
    assert started.headers["originBrokerName"] == "a"


def test_stranded_queue_messages_follow_their_consumer_to_another_broker(brokers, client):
    # f1 and f2 bridge to each other. Messages sent on f1 go to a consumer
    # on f2 that takes none of them (prefetch 1, no acks) and then leaves:
    # they wait on f2 with nobody to take them. A consumer on f1 now gets
    # them all: f2 has no consumer of its own, so its bridge sends them back
    # (ActiveMQ's replayWhenNoConsumers), once, without bouncing.
    p1, p2 = free_port(), free_port()
    f1 = brokers.ferrum("f1", static(At(p2)), openwire_port=p1)
    f2 = brokers.ferrum("f2", static(At(p1)), openwire_port=p2)
    q = f"/queue/{unique('stranded')}"
    slow = client(f2)
    slow.subscribe(q, ack="client-individual", headers={"activemq.prefetchSize": "1"})
    producer = client(f1)
    forwarded_once(producer, slow, q)
    bodies = [f"m{i}" for i in range(10)]
    for b in bodies:
        producer.send(q, b, headers={"persistent": "true"})
    # The probe it holds un-acked fills its window: the ten wait on f2.
    time.sleep(1.5)
    slow.abandon()
    mover = client(f1)
    mover.subscribe(q, ack="client-individual")
    got = []
    deadline = time.monotonic() + 30
    while len([b for b in got if not b.startswith("probe")]) < 10 and time.monotonic() < deadline:
        try:
            m = mover.get(timeout=0.5)
        except AssertionError:
            continue
        mover.ack(m)
        got.append(m.body)
    assert sorted(b for b in got if not b.startswith("probe")) == sorted(bodies), got
    mover.expect_nothing(2.0)


@pytest.mark.parametrize("a_kind,b_kind", [
    pytest.param("ferrum", "ferrum"),
    pytest.param("ferrum", "activemq", marks=needs_amq),
    pytest.param("activemq", "ferrum", marks=needs_amq),
])
def test_a_durable_subscriber_gets_what_was_published_on_another_broker_while_it_was_away(
        brokers, client, a_kind, b_kind):
    # A forwards to B. While B's durable subscriber is offline the bridge
    # has no demand from it, yet A keeps what is published for it in a
    # durable subscription of its own (ActiveMQ's NC-DS_ subscriptions),
    # and forwards it when the subscriber is back.
    b = brokers.ferrum("b") if b_kind == "ferrum" else brokers.activemq("b")
    if a_kind == "ferrum":
        a = brokers.ferrum("a", static(b))
    else:
        a = brokers.activemq("a", {"uri": static(b), "name": "dur"})
    topic = f"/topic/{unique('dur')}"
    cid = unique("app")

    def durable():
        c = client(b, headers={"client-id": cid})
        c.subscribe(topic, id="d", headers={"activemq.subscriptionName": "s1"})
        return c

    sub = durable()
    producer = client(a)
    forwarded_once(producer, sub, topic)
    sub.disconnect()
    time.sleep(2.0)  # the peer hears the subscriber left; no demand now
    bodies = [f"away{i}" for i in range(5)]
    for body in bodies:
        producer.send(topic, body, headers={"persistent": "true"})
    time.sleep(1.0)
    back = durable()
    got = [m.body for m in back.get_n(5, timeout=20)]
    assert sorted(got) == sorted(bodies)
    back.expect_nothing(1.0)


def test_excluded_and_included_destinations_limit_what_is_forwarded(brokers, client):
    b = brokers.ferrum("b")
    options = "excludedDestinations=queue://secret.>&dynamicallyIncludedDestinations=queue://shared.>,topic://news.>"
    a = brokers.ferrum("a", static(b) + "?" + options)
    shared, secret, other = (f"/queue/{unique(p)}" for p in ("shared.", "secret.", "other."))
    shared = "/queue/shared." + shared.rsplit("/", 1)[1]
    secret = "/queue/secret.shared." + secret.rsplit("/", 1)[1]
    exchange(client, a, b, shared, n=5)
    for dest in (secret, other, "/queue/shared2." + unique("x")):
        c = client(b)
        c.subscribe(dest)
        p = client(a)
        time.sleep(0.5)
        p.send(dest, "stays on a")
        c.expect_nothing(1.5)


def test_a_masterslave_connector_uses_whichever_member_is_up(brokers, client):
    # masterslave:(m,s): one logical peer, tried in order; here the first
    # member is down, so the bridge goes to the second.
    down = free_port()
    s = brokers.ferrum("slave")
    a = brokers.ferrum("a", f"masterslave:(tcp://127.0.0.1:{down},tcp://127.0.0.1:{s.openwire_port})"
                            "?initialReconnectDelay=100&maxReconnectDelay=300")
    exchange(client, a, s, f"/queue/{unique('ms')}", n=5)
