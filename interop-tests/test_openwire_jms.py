"""The real ActiveMQ Java client (Debian's activemq-client 5.17.2) against
ferrum's OpenWire transport. Java programs in interop-tests/java are
compiled with javac against /usr/share/java on first use."""

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.ferrum_only

JAVA_DIR = Path(__file__).resolve().parent / "java"
JARS = [
    "/usr/share/java/activemq-client.jar",
    "/usr/share/java/geronimo-jms_1.1_spec.jar",
    "/usr/share/java/geronimo-j2ee-management-1.1-spec.jar",
    "/usr/share/java/hawtbuf.jar",
    "/usr/share/java/slf4j-api.jar",
    "/usr/share/java/slf4j-nop.jar",
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
    assert out.strip().endswith("OK")


def test_request_reply_over_temp_queue_across_connections_and_browser(broker, java_classes):
    url = f"tcp://127.0.0.1:{broker.openwire_port}"
    out = run_java(java_classes, "RequestReply", url)
    assert "reply pong corr=c-1" in out
    assert "browsed b0 b1 b2" in out
    assert "consumed after browse 3" in out
    assert out.strip().endswith("OK")
