"""Bad input on the OpenWire port: the offending connection is closed (as
ActiveMQ closes it), the broker logs it, and nobody else notices."""

import socket
import struct
import time
from pathlib import Path

import pytest

from ferrum_harness import unique

pytestmark = pytest.mark.needs_openwire

FIXTURES = Path(__file__).resolve().parent.parent / "proto-fixtures" / "openwire"


def client_wire_format_info():
    """The real client's opening WireFormatInfo frame, from a capture."""
    data = (FIXTURES / "handshake-loose-nocache-1.c2s.bin").read_bytes()
    (size,) = struct.unpack(">i", data[:4])
    return data[: 4 + size]


def open_socket(broker):
    s = socket.create_connection(("127.0.0.1", broker.openwire_port), timeout=5)
    s.settimeout(5)
    return s


def closed_by_broker(s, deadline=10.0):
    """Reads until EOF; True if the broker closed the socket in time."""
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def bystander_round_trip(broker, client):
    q = f"/queue/{unique()}"
    c = client(broker)
    c.subscribe(q)
    c.send(q, "still here")
    assert c.get().body == "still here"


def test_broker_speaks_first_with_its_wire_format_info(broker):
    s = open_socket(broker)
    head = s.recv(64)
    assert head[4] == 1 and head[5:13] == b"ActiveMQ"
    s.close()


@pytest.mark.parametrize("payload", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",          # garbage: a huge size prefix
    struct.pack(">i", 200 * 1024 * 1024) + b"\x01",  # oversize frame
])
def test_garbage_and_oversize_frames_close_only_that_connection(broker, client, payload):
    s = open_socket(broker)
    s.sendall(payload)
    assert closed_by_broker(s)
    bystander_round_trip(broker, client)
    assert broker.alive()


# Deliberately stricter than ActiveMQ 5.17.2, which keeps reading such a
# frame and drops the connection only when its inactivity monitor fires
# (30 s): Ferrum closes at once.
@pytest.mark.ferrum_only
def test_a_negative_frame_size_closes_the_connection_at_once(broker, client):
    s = open_socket(broker)
    s.sendall(struct.pack(">i", -5))
    assert closed_by_broker(s)
    bystander_round_trip(broker, client)
    assert broker.alive()


def test_wrong_magic_closes_the_connection(broker, client):
    wfi = bytearray(client_wire_format_info())
    wfi[5:13] = b"NotAMQ!!"
    s = open_socket(broker)
    s.sendall(bytes(wfi))
    assert closed_by_broker(s)
    if broker.process is not None:
        assert "magic" in broker.log
    bystander_round_trip(broker, client)


# Deliberately stricter than ActiveMQ 5.17.2, which passes such a command
# on and fails the connection only when its wire format negotiation times
# out: Ferrum closes at once.
@pytest.mark.ferrum_only
def test_first_frame_not_wire_format_info_closes(broker, client):
    # A KeepAliveInfo (type 10, loose): commandId, responseRequired.
    frame = struct.pack(">iBiB", 6, 10, 1, 0)
    s = open_socket(broker)
    s.sendall(frame)
    assert closed_by_broker(s)
    bystander_round_trip(broker, client)


def test_half_open_and_truncated_frames(broker, client):
    s = open_socket(broker)
    s.sendall(client_wire_format_info()[:20])
    s.shutdown(socket.SHUT_WR)
    assert closed_by_broker(s)
    bystander_round_trip(broker, client)


def patched_wire_format_info(inactivity_ms, initial_delay_ms):
    """The real client's WireFormatInfo with other inactivity settings (the
    values are longs in its marshalled property map)."""
    wfi = bytearray(client_wire_format_info())
    for name, value in [(b"MaxInactivityDurationInitalDelay", initial_delay_ms),
                        (b"MaxInactivityDuration\x06", inactivity_ms)]:
        at = wfi.index(name) + len(name.rstrip(b"\x06"))
        assert wfi[at] == 6, "a long"
        wfi[at + 1:at + 9] = struct.pack(">q", value)
    return bytes(wfi)


def test_broker_keeps_alive_and_drops_a_silent_peer(broker, client):
    s = open_socket(broker)
    s.sendall(patched_wire_format_info(500, 0))
    start = time.monotonic()
    received = b""
    closed = False
    while time.monotonic() - start < 10:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        received += chunk
    elapsed = time.monotonic() - start
    assert closed, "a peer silent past its inactivity duration is dropped"
    assert elapsed < 8
    # Besides WireFormatInfo and BrokerInfo, KeepAliveInfo frames (type 10) came.
    assert received.count(b"\x0a") >= 1
    bystander_round_trip(broker, client)
