"""STOMP <-> JMS through one broker, mapped as ActiveMQ maps it: a SEND
without content-length is a TextMessage, with it a BytesMessage; JMS headers
and properties show up as STOMP headers and back."""

import pytest

from test_openwire_jms import JARS, java_classes, run_java  # noqa: F401  (fixture)
from ferrum_harness import unique

pytestmark = pytest.mark.needs_openwire


def test_stomp_to_jms(broker, client, java_classes):  # noqa: F811
    q = unique()
    textual = client(broker, version="1.2", auto_content_length=False)
    textual.send(f"/queue/{q}", "plain text", headers={
        "correlation-id": "c-1", "type": "t1", "priority": "7", "persistent": "true",
        "reply-to": "/queue/back", "colour": "red",
    })
    c = client(broker, version="1.2")
    c.send(f"/queue/{q}", "with length", headers={"n": "5"})
    out = run_java(java_classes, "CrossProtocol", "receive",
                   f"tcp://127.0.0.1:{broker.openwire_port}", q, "2")
    lines = out.splitlines()
    assert lines[0].startswith("TEXT plain text | corr=c-1 type=t1 prio=7 persistent=true replyTo=queue://back"), out
    assert "colour=red" in lines[0]
    assert lines[1].startswith("BYTES with length"), out
    assert "n=5" in lines[1]


def test_jms_to_stomp(broker, client, java_classes):  # noqa: F811
    q = unique()
    c = client(broker, version="1.2")
    c.subscribe(f"/queue/{q}")
    run_java(java_classes, "CrossProtocol", "send", f"tcp://127.0.0.1:{broker.openwire_port}", q)
    text, raw = c.get_n(2)
    assert text.body == "from jms"
    assert "content-length" not in text.headers or text.headers["content-length"] == str(len("from jms"))
    assert text.headers["correlation-id"] == "corr-7"
    assert text.headers["type"] == "greeting"
    assert text.headers["priority"] == "6"
    assert text.headers["reply-to"] == "/queue/replies"
    assert text.headers["color"] == "blue"
    assert text.headers["count"] == "3"
    assert text.headers["flag"] == "true"
    assert text.headers["persistent"] == "true"
    assert raw.headers["content-length"] == str(len("raw bytes"))
    assert raw.headers["big"] == "1234567890123"
