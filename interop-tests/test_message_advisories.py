"""Advisories about messages (expired, sent to the DLQ, and — where a
destination's policy asks — delivered to the broker, consumed, slow topic
subscriber), with the Java client and stomp.py. The Java program's output
is identical on ActiveMQ 5.17.2 with <policyEntry queue="adv.>"
advisoryForDelivery="true" advisoryForConsumed="true"
advisoryForSlowConsumers="true"/> and <policyEntry topic="adv.>"
advisoryForSlowConsumers="true"/>."""

import time

import pytest

from ferrum_harness import unique
from test_openwire_jms import java_classes, run_java  # noqa: F401 (fixture)


@pytest.fixture
def advising_broker(start_ferrum):
    return start_ferrum(
        "--advisory-for-delivery", "adv.>",
        "--advisory-for-consumed", "adv.>",
        "--advisory-for-slow-consumers", "adv.>",
    )


def test_java_message_advisories(advising_broker, java_classes):
    out = run_java(java_classes, "AdvisoryEvents",
                   f"tcp://127.0.0.1:{advising_broker.openwire_port}", "adv")
    assert "expired got nothing" in out, out
    # The advisory carries the expired message (without its body) as its
    # data structure, and its id in ActiveMQ's misspelled property.
    assert ("expired advisory type=Advisory data=ActiveMQTextMessage orignalMessageId=SENT "
            "orignalDestination=null consumerId=null hasOriginBroker=true subjectId=SENT "
            "subjectDest=queue://N.exp") in out, out
    assert ("dlq advisory type=Advisory data=ActiveMQTextMessage orignalMessageId=null "
            "orignalDestination=null consumerId=null hasOriginBroker=true subjectId=SENT "
            "subjectDest=queue://N.exp") in out, out
    assert ("delivered advisory type=Advisory data=ActiveMQTextMessage orignalMessageId=SENT "
            "orignalDestination=queue://N.adv consumerId=null hasOriginBroker=true "
            "subjectId=SENT subjectDest=queue://N.adv") in out, out
    assert "consumed before none" in out, out
    assert ("consumed advisory type=Advisory data=ActiveMQTextMessage orignalMessageId=SENT "
            "orignalDestination=queue://N.adv consumerId=null hasOriginBroker=true "
            "subjectId=SENT subjectDest=queue://N.adv") in out, out
    # Off where no policy asks, as in ActiveMQ.
    assert "unconfigured delivered none" in out, out
    # ActiveMQ's queues do not call a full-prefetch consumer slow here; a
    # topic subscriber with more than its prefetch (2) waiting is, once,
    # with its ConsumerInfo as the data structure.
    assert "slow queue advisory none" in out, out
    assert ("slow topic advisory type=Advisory data=ConsumerInfo orignalMessageId=null "
            "orignalDestination=null consumerId=ID hasOriginBroker=true consumer=ID "
            "sameId=true") in out, out


def test_stomp_expired_and_dlq_advisories(advising_broker, client):
    q = unique("exp")
    watcher = client(advising_broker)
    watcher.subscribe(f"/topic/ActiveMQ.Advisory.Expired.Queue.{q}", id="exp")
    watcher.subscribe(f"/topic/ActiveMQ.Advisory.MessageDLQd.Queue.{q}", id="dlq")
    p = client(advising_broker)
    past = str(int(time.time() * 1000) - 1000)
    p.send(f"/queue/{q}", "stale", headers={"expires": past, "persistent": "true"})
    c = client(advising_broker)
    c.subscribe(f"/queue/{q}")
    got = {m.headers["subscription"]: m for m in watcher.get_n(2)}
    assert got["exp"].headers["type"] == "Advisory", got["exp"].headers
    assert got["exp"].headers["orignalMessageId"], got["exp"].headers
    assert got["dlq"].headers["type"] == "Advisory", got["dlq"].headers


def test_stomp_delivered_and_consumed_advisories_follow_the_policy(advising_broker, client):
    tracked, plain = "adv." + unique("t"), unique("plain")
    watcher = client(advising_broker)
    for q in (tracked, plain):
        watcher.subscribe(f"/topic/ActiveMQ.Advisory.MessageDelivered.Queue.{q}", id="d-" + q)
        watcher.subscribe(f"/topic/ActiveMQ.Advisory.MessageConsumed.Queue.{q}", id="c-" + q)
    p = client(advising_broker)
    p.send(f"/queue/{plain}", "untracked")
    p.send(f"/queue/{tracked}", "tracked")
    delivered = watcher.get()
    assert delivered.headers["subscription"] == "d-" + tracked, delivered.headers
    assert delivered.headers["orignalDestination"] == f"queue://{tracked}"
    c = client(advising_broker)
    c.subscribe(f"/queue/{tracked}", ack="client-individual")
    m = c.get()
    with pytest.raises(AssertionError):
        watcher.get(timeout=0.3)  # not consumed until acknowledged
    c.ack(m)
    consumed = watcher.get()
    assert consumed.headers["subscription"] == "c-" + tracked, consumed.headers
    assert consumed.headers["orignalMessageId"] == delivered.headers["orignalMessageId"]
    c.subscribe(f"/queue/{plain}", id="plain")
    assert c.get().body == "untracked"
    with pytest.raises(AssertionError):
        watcher.get(timeout=0.5)


def test_a_message_nobody_consumes_still_expires_to_the_dlq(start_ferrum, client):
    # ActiveMQ sweeps waiting messages every expireMessagesPeriod (30 s by
    # default); here every 500 ms.
    f = start_ferrum("--expire-messages-period", "500")
    q = unique("unread")
    watcher = client(f)
    watcher.subscribe(f"/topic/ActiveMQ.Advisory.Expired.Queue.{q}", id="adv")
    watcher.subscribe("/queue/ActiveMQ.DLQ", id="dlq")
    p = client(f)
    soon = str(int(time.time() * 1000) + 300)
    p.send(f"/queue/{q}", "unread", headers={"expires": soon, "persistent": "true"})
    got = {m.headers["subscription"]: m for m in watcher.get_n(2, timeout=5)}
    assert got["dlq"].body == "unread"
    assert got["dlq"].headers["original-destination"] == f"/queue/{q}", got["dlq"].headers
    assert got["adv"].headers["type"] == "Advisory"
