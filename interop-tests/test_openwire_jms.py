"""The real ActiveMQ Java client (Debian's activemq-client 5.17.2) against
ferrum's OpenWire transport. Java programs in interop-tests/java are
compiled with javac against /usr/share/java on first use."""

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_openwire

JAVA_DIR = Path(__file__).resolve().parent / "java"
JARS = [
    "/usr/share/java/activemq-client.jar",
    "/usr/share/java/geronimo-jms_1.1_spec.jar",
    "/usr/share/java/geronimo-j2ee-management-1.1-spec.jar",
    "/usr/share/java/hawtbuf.jar",
    "/usr/share/java/slf4j-api.jar",
    "/usr/share/java/slf4j-nop.jar",
    "/usr/share/java/geronimo-jta-1.2-spec.jar",
    # Spring JMS (Debian libspring-jms-java) and what it needs.
    "/usr/share/java/spring3-jms.jar",
    "/usr/share/java/spring3-core.jar",
    "/usr/share/java/spring3-beans.jar",
    "/usr/share/java/spring3-context.jar",
    "/usr/share/java/spring3-transaction.jar",
    "/usr/share/java/commons-logging.jar",
]


@pytest.fixture(scope="session")
def java_classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("java-classes")
    sources = sorted(str(p) for p in JAVA_DIR.glob("*.java"))
    proc = subprocess.run(
        ["javac", "-nowarn", "-cp", ":".join(JARS), "-d", str(out), *sources],
        capture_output=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def run_java(classes, main, *args, timeout=60):
    proc = subprocess.run(
        ["java", "-cp", ":".join([str(classes), *JARS]), main, *args],
        capture_output=True,
        timeout=timeout,
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{proc.stderr.decode()}"
    return out


def test_send_receive_transactions_and_temp_queue(broker, java_classes):
    url = f"tcp://127.0.0.1:{broker.openwire_port}"
    out = run_java(java_classes, "BasicJms", url)
    assert "got hello ferrum k=v n=7" in out
    assert "got persistent one" in out
    assert "tx got in tx" in out
    assert "after rollback in tx redelivered=true" in out
    assert "temp to temp" in out
    assert "temp topic to temp topic" in out
    assert "topic fan out / fan out" in out
    assert "deleted temp refused InvalidDestinationException" in out
    assert out.strip().endswith("OK")


def test_request_reply_over_temp_queue_across_connections_and_browser(broker, java_classes):
    url = f"tcp://127.0.0.1:{broker.openwire_port}"
    out = run_java(java_classes, "RequestReply", url)
    assert "reply pong corr=c-1" in out
    assert "browsed b0 b1 b2" in out
    assert "consumed after browse 3" in out
    assert out.strip().endswith("OK")


EXPECTED = {
    # Every message type with every header and property type intact.
    "types": [
        "ActiveMQTextMessage text é ✓ id=true corr=corr type=kind prio=8 mode=2 exp=true reply=topic://reply.t "
        "props=true,7,300,70000,1099511627776,1.5,2.25,str",
        "ActiveMQBytesMessage [0, 1, 2, -1] id=true",
        "ActiveMQMapMessage 1,x,2.5,9 id=true",
        "ActiveMQStreamMessage 5,five,true id=true",
        "ActiveMQObjectMessage {k=42} id=true",
        "ActiveMQMessage - id=true corr=corr type=kind prio=8 mode=2",
    ],
    # A durable subscriber gets what was published while it was away
    # (persistent and not), and unsubscribe removes it.
    "durable": ["durable got while offline 1", "durable got while offline 2",
                "second unsubscribe refused InvalidDestinationException"],
    # CLIENT ack + recover(), INDIVIDUAL ack, DUPS_OK. m2 comes back
    # unmarked although the application saw it: the consumer's last delivery
    # (m3) was acked, and ActiveMQ 5.17.2 marks only up to an un-acked one.
    "acks": ["recover redelivered m1 true", "individual left m2 false", "then null"],
    # XA as a transaction manager drives it: prepare, recover, two- and
    # one-phase commit, rollback.
    "xa": ["prepare 0", "recovered 1", "xa got two-phase", "xa got one-phase"],
    "dupclient": ["duplicate refused InvalidClientIDException"],
    # maxInactivityDuration=1000 and idle: the broker's KeepAliveInfo keeps it up.
    "idle": ["idle then after idle"],
    # Prefetch 0: MessagePull, and an empty dispatch when the pull times out.
    "pull": ["pull got pulled", "pull empty null"],
    # Async sends within a producer window (ProducerAck), compressed bodies,
    # optimizeAcknowledge.
    "async": ["async received 200"],
    # Redelivery policy exhausted: poison ack, the message lands in the DLQ
    # with its id and the failure cause.
    "poison": ["deliveries 7", "dlq bad apple sameId=true cause=true"],
    # Expired in the client's prefetch buffer: the client acks it EXPIRED.
    "expired": ["expired receive null", "expired later null"],
}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_jms_features(broker, java_classes, scenario):
    out = run_java(java_classes, "JmsFeatures", scenario, f"tcp://127.0.0.1:{broker.openwire_port}")
    lines = out.splitlines()
    for want in EXPECTED[scenario]:
        assert any(line.startswith(want) for line in lines), f"{want!r} not in:\n{out}"
    if scenario == "xa":
        assert "xa got rolled back" not in out
    assert lines[-1] == "OK"


@pytest.mark.parametrize("options", [
    "wireFormat.version=9",
    "wireFormat.version=10",
    "wireFormat.version=11",
    "wireFormat.tightEncodingEnabled=false",
    "wireFormat.cacheEnabled=false",
    "wireFormat.tightEncodingEnabled=false&wireFormat.cacheEnabled=false",
])
def test_wire_format_versions_and_encodings(broker, java_classes, options):
    url = f"tcp://127.0.0.1:{broker.openwire_port}?{options}"
    out = run_java(java_classes, "BasicJms", url)
    assert "after rollback in tx redelivered=true" in out
    assert out.strip().endswith("OK")


def test_spring_jms_template(broker, java_classes):
    out = run_java(java_classes, "SpringJms", f"tcp://127.0.0.1:{broker.openwire_port}")
    assert "spring got hello from spring" in out
    assert "spring got with header source=spring" in out
    assert out.strip().endswith("OK")


def test_consumer_producer_and_connection_advisories(broker, java_classes):
    out = run_java(java_classes, "Advisories", f"tcp://127.0.0.1:{broker.openwire_port}")
    topic = "topic://ActiveMQ.Advisory"
    assert f"consumer advisory {topic}.Consumer.Queue.watched.queue ConsumerInfo" in out
    assert f"consumer advisory {topic}.Consumer.Queue.watched.queue RemoveInfo" in out
    assert f"producer advisory {topic}.Producer.Queue.watched.queue ProducerInfo" in out
    assert f"producer advisory {topic}.Producer.Queue.watched.queue RemoveInfo" in out
    assert f"connection advisory {topic}.Connection ConnectionInfo" in out
    assert f"connection advisory {topic}.Connection RemoveInfo" in out


def test_abrupt_close_returns_unacked_messages(broker, java_classes):
    url = f"tcp://127.0.0.1:{broker.openwire_port}"
    q = "abrupt.q"
    assert "held survivor" in run_java(java_classes, "JmsFeatures", "abrupt-consume", url, q)
    out = run_java(java_classes, "JmsFeatures", "abrupt-check", url, q)
    assert "after abrupt close survivor redelivered=true" in out


def test_individual_dead_letter_strategy(start_ferrum, java_classes):
    f = start_ferrum("--individual-dlq", ">")
    out = run_java(java_classes, "JmsFeatures", "poison-individual",
                   f"tcp://127.0.0.1:{f.openwire_port}")
    assert "deliveries 7" in out, out
    assert "dlq bad apple sameId=true cause=true" in out, out
