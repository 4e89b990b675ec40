"""`receipt` on every client frame type gets a RECEIPT with that receipt-id."""

import pytest

from ferrum_harness import unique

FRAMES = ["SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT"]


def cases():
    for version in ["1.0", "1.1", "1.2"]:
        for frame in FRAMES:
            if frame == "NACK" and version == "1.0":
                continue  # NACK is 1.1+
            yield pytest.param(version, frame, id=f"{frame}-{version}")


@pytest.mark.parametrize("version,frame", list(cases()))
def test_receipt_for_frame(shared_broker, raw, version, frame):
    r = raw(shared_broker, version=version)
    if version == "1.0":
        r.send_frame("CONNECT", [("login", "u"), ("passcode", "p")])
        assert r.read_frame().command == "CONNECTED"
    else:
        r.connect()
    q = f"/queue/{unique()}"
    receipt = f"rcpt-{frame.lower()}-{unique()}"
    headers = []
    if frame == "SEND":
        headers = [("destination", q)]
    elif frame == "SUBSCRIBE":
        headers = [("destination", q), ("id", "s1")]
    elif frame == "UNSUBSCRIBE":
        r.call("SUBSCRIBE", [("destination", q), ("id", "s1")])
        headers = [("id", "s1")]
    elif frame in ("ACK", "NACK"):
        r.call("SUBSCRIBE", [("destination", q), ("id", "s1"), ("ack", "client-individual" if version != "1.0" else "client")])
        r.call("SEND", [("destination", q)], b"to ack")
        m = r.read_message()
        if version == "1.2":
            headers = [("id", m.headers["ack"])]
        elif version == "1.1":
            headers = [("message-id", m.headers["message-id"]), ("subscription", "s1")]
        else:
            headers = [("message-id", m.headers["message-id"])]
    elif frame == "BEGIN":
        headers = [("transaction", "tx1")]
    elif frame in ("COMMIT", "ABORT"):
        r.call("BEGIN", [("transaction", "tx1")])
        headers = [("transaction", "tx1")]
    r.send_frame(frame, headers + [("receipt", receipt)], b"body" if frame == "SEND" else b"")
    f = r.read_frame()
    assert f.command == "RECEIPT", f
    assert f.headers["receipt-id"] == receipt
    assert f.body == b""
    if frame == "DISCONNECT":
        # after the receipt the broker closes the connection
        r.wait_closed(5)


def test_receipt_ids_with_special_characters(shared_broker, raw):
    r = raw(shared_broker, version="1.2")
    r.connect()
    receipt = "a:b\\c\nd"
    r.send_frame("SEND", [("destination", f"/queue/{unique()}"), ("receipt", receipt)], b"x")
    f = r.read_frame()
    assert f.command == "RECEIPT"
    assert f.headers["receipt-id"] == receipt


def test_receipts_come_in_order(shared_broker, raw):
    r = raw(shared_broker)
    r.connect()
    q = f"/queue/{unique()}"
    for i in range(50):
        r.send_frame("SEND", [("destination", q), ("receipt", f"r{i}")], b"x")
    got = [r.read_frame().headers["receipt-id"] for _ in range(50)]
    assert got == [f"r{i}" for i in range(50)]


def test_error_carries_receipt_id(shared_broker, raw):
    r = raw(shared_broker)
    r.connect()
    r.send_frame("SEND", [("receipt", "will-fail")], b"no destination")
    f = r.read_frame()
    assert f.command == "ERROR"
    assert f.headers["receipt-id"] == "will-fail"
    assert f.headers.get("message")


def test_stomp_py_disconnect_receipt(shared_broker, client):
    for version in ["1.0", "1.1", "1.2"]:
        c = client(shared_broker, version=version)
        f = c.disconnect()
        assert f.cmd == "RECEIPT"
