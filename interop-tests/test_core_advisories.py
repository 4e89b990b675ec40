"""Advisories about clients — connections, consumers, producers, temporary
queues and topics, durable subscriptions — come from the broker core, so a STOMP client's consumer is
announced exactly as a JMS client's is (a network bridge learns demand
from these). A Java program watches the advisory topics while stomp.py and
the Java client come and go. The expected lines are what ActiveMQ 5.17.2
prints for the same script (WatchAdvisories.java reduces generated ids to
their shape); only the order within each advisory topic is compared, since
the watcher polls its topics in turn."""

import subprocess
import time
from collections import defaultdict

import pytest

from conftest import EXTERNAL
from ferrum_harness import unique
from test_openwire_jms import JARS, java_classes, run_java  # noqa: F401 (fixture)

PROPS = "originBrokerName=true originBrokerId=true originBrokerURL=true"
ADV = "type=Advisory persistent=false"


def consumer(n, count):
    return f"{ADV} consumerCount={count} producerCount=null {PROPS}"


EXPECTED = {
    "ActiveMQ.Advisory.Connection": [
        # The watcher's own connection, told to it on subscribing.
        f"{ADV} consumerCount=null producerCount=null {PROPS} ConnectionInfo id=ID:* clientId=set password=hidden",
        # stomp.py
        f"{ADV} consumerCount=null producerCount=null {PROPS} ConnectionInfo id=ID:* clientId=set password=hidden",
        f"{ADV} consumerCount=null producerCount=null {PROPS} RemoveInfo of=ConnectionId id=ID:*",
        # the JMS driver
        f"{ADV} consumerCount=null producerCount=null {PROPS} ConnectionInfo id=ID:* clientId=set password=hidden",
        f"{ADV} consumerCount=null producerCount=null {PROPS} RemoveInfo of=ConnectionId id=ID:*",
    ],
    "ActiveMQ.Advisory.Consumer.Queue.N.x": [
        f"{ADV} consumerCount=1 producerCount=null {PROPS} ConsumerInfo id=ID:*:-1:1 "
        "dest=queue://N.x prefetch=1000 selector=null subscription=null noLocal=false "
        "exclusive=false priority=0 browser=false networkSubscription=false",
        f"{ADV} consumerCount=0 producerCount=null {PROPS} RemoveInfo of=ConsumerId id=ID:*:-1:1",
    ],
    # A composite consumer: ActiveMQ names it with its parts, the comma
    # written &sbquo;, and counts 0 consumers there (no such destination).
    "ActiveMQ.Advisory.Consumer.Queue.N.a&sbquo;queue://N.b": [
        f"{ADV} consumerCount=0 producerCount=null {PROPS} ConsumerInfo id=ID:*:-1:2 "
        "dest=N.a,queue://N.b prefetch=1000 selector=convert_string_expressions:n > 1 "
        "subscription=null noLocal=false "
        "exclusive=false priority=0 browser=false networkSubscription=false",
        f"{ADV} consumerCount=0 producerCount=null {PROPS} RemoveInfo of=ConsumerId id=ID:*:-1:2",
    ],
    "ActiveMQ.Advisory.Consumer.Queue.N.j": [
        f"{ADV} consumerCount=1 producerCount=null {PROPS} ConsumerInfo id=ID:*:1:1 "
        "dest=queue://N.j prefetch=1000 selector=n > 1 subscription=null noLocal=false "
        "exclusive=false priority=0 browser=false networkSubscription=false",
        f"{ADV} consumerCount=0 producerCount=null {PROPS} RemoveInfo of=ConsumerId id=ID:*:1:1",
    ],
    "ActiveMQ.Advisory.Producer.Queue.N.j": [
        f"{ADV} consumerCount=null producerCount=1 {PROPS} ProducerInfo id=ID:*:1:1 dest=queue://N.j",
        f"{ADV} consumerCount=null producerCount=0 {PROPS} RemoveInfo of=ProducerId id=ID:*:1:1",
    ],
    # A durable subscriber counts as a consumer of its topic while offline;
    # deleting the subscription is announced with a RemoveSubscriptionInfo.
    "ActiveMQ.Advisory.Consumer.Topic.N.t": [
        f"{ADV} consumerCount=1 producerCount=null {PROPS} ConsumerInfo id=ID:*:1:2 "
        "dest=topic://N.t prefetch=1000 selector=null subscription=dsub noLocal=false "
        "exclusive=false priority=0 browser=false networkSubscription=false",
        f"{ADV} consumerCount=1 producerCount=null {PROPS} RemoveInfo of=ConsumerId id=ID:*:1:2",
        f"{ADV} consumerCount=0 producerCount=null {PROPS} data=RemoveSubscriptionInfo",
    ],
    "ActiveMQ.Advisory.Producer.Topic.N.t": [
        f"{ADV} consumerCount=null producerCount=1 {PROPS} ProducerInfo id=ID:*:1:2 dest=topic://N.t",
        f"{ADV} consumerCount=null producerCount=0 {PROPS} RemoveInfo of=ProducerId id=ID:*:1:2",
    ],
    "ActiveMQ.Advisory.TempTopic": [
        f"{ADV} consumerCount=null producerCount=null {PROPS} DestinationInfo op=0 temp=true connection=ID:*",
        f"{ADV} consumerCount=null producerCount=null {PROPS} DestinationInfo op=1 temp=true connection=ID:*",
    ],
    "ActiveMQ.Advisory.TempQueue": [
        f"{ADV} consumerCount=null producerCount=null {PROPS} DestinationInfo op=0 temp=true connection=ID:*",
        f"{ADV} consumerCount=null producerCount=null {PROPS} DestinationInfo op=1 temp=true connection=ID:*",
    ],
}


def by_topic(lines, prefix):
    topics = defaultdict(list)
    for line in lines:
        topic, _, rest = line.replace(prefix + ".", "N.").partition(" ")
        topics[topic].append(rest)
    return dict(topics)


@pytest.mark.needs_openwire
def test_stomp_and_jms_clients_are_announced_as_activemq_announces_them(
        broker, client, java_classes):
    n = unique("adv")
    url = f"tcp://127.0.0.1:{broker.openwire_port}"
    watcher = subprocess.Popen(
        ["java", "-cp", ":".join([str(java_classes), *JARS]), "WatchAdvisories", url, "2500",
         f"ActiveMQ.Advisory.Consumer.Queue.{n}.>", f"ActiveMQ.Advisory.Producer.Queue.{n}.>",
         f"ActiveMQ.Advisory.Consumer.Topic.{n}.>", f"ActiveMQ.Advisory.Producer.Topic.{n}.>",
         "ActiveMQ.Advisory.Connection", "ActiveMQ.Advisory.TempQueue", "ActiveMQ.Advisory.TempTopic"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert watcher.stdout.readline().strip() == "READY"
        stomp = client(broker)
        stomp.subscribe(f"/queue/{n}.x", id="s1", ack="client")
        stomp.subscribe(f"/queue/{n}.a,/queue/{n}.b", id="s2", headers={"selector": "n > 1"})
        stomp.unsubscribe("s1")
        stomp.disconnect()
        time.sleep(0.3)
        run_java(java_classes, "AdvisoryDriver", url, n)
        out, _ = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    lines = [line for line in out.splitlines() if line and line != "DONE"]
    if EXTERNAL:
        lines = [activemq_quirks(line) for line in lines]
    assert by_topic(lines, n) == EXPECTED


def activemq_quirks(line):
    """Two things ActiveMQ 5.17.2 prints that Ferrum deliberately does not
    (measured by interop-tests/differ.sh): the removal advisory of a
    composite STOMP consumer counts -1 consumers (it decrements the 0 it
    announced), and a STOMP consumer subscribed with a receipt is shown
    with prefetch=0 when the advisory is marshalled before ActiveMQ restores
    the prefetch it zeroed until the receipt went out (a race: 2 runs in 5)."""
    line = line.replace("consumerCount=-1 ", "consumerCount=0 ")
    if ":-1:" in line:  # a STOMP consumer's id
        line = line.replace(" prefetch=0 ", " prefetch=1000 ")
    return line


def test_a_stomp_composite_subscription_receives_from_every_part(broker, client):
    # Parts of one kind: ActiveMQ 5.17.2 does not deliver a topic part to a
    # composite queue consumer (Ferrum does), so that case is not compared.
    n = unique("comp")
    c = client(broker)
    c.subscribe(f"/queue/{n}.a,/queue/{n}.b", id="queues")
    c.subscribe(f"/topic/{n}.t,/topic/{n}.u", id="topics")
    parts = [f"/queue/{n}.a", f"/queue/{n}.b", f"/topic/{n}.t", f"/topic/{n}.u"]
    for dest in parts:
        c.send(dest, dest)
    got = sorted(f.body for f in c.get_n(4))
    assert got == sorted(parts)
    c.expect_nothing(0.3)
