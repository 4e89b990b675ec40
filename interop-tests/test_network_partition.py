"""A real partition between two bridged brokers: each ferrum runs in a
network namespace of its own, reachable from the test on one link and
from the other broker on another; the test cuts and heals the link
between the brokers (`ip link set ... down/up`), so the bridge's TCP
connection does not fail, it goes silent, as a pulled cable or a
dropping firewall makes it.

Needs root (network namespaces); skipped otherwise, and says so.
"""

import os
import subprocess
import time

import pytest

from ferrum_harness import Ferrum, unique
from network_harness import wait_for

pytestmark = [pytest.mark.ferrum_only, pytest.mark.network]


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, timeout=10)


def netns_usable():
    if os.geteuid() != 0:
        return False
    name = f"ferrum-probe-{os.getpid()}"
    try:
        sh("ip", "netns", "add", name)
        sh("ip", "netns", "del", name)
        return True
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture
def namespaces():
    """Namespaces a and b: the test reaches a at 10.77.1.2 and b at
    10.77.2.2; a and b reach each other at 10.77.0.1 / 10.77.0.2."""
    if not netns_usable():
        pytest.skip("network namespaces need root and ip netns")
    tag = f"{os.getpid() % 10000}"
    ns = {"a": f"fa{tag}", "b": f"fb{tag}"}
    try:
        for i, (k, n) in enumerate(ns.items(), start=1):
            sh("ip", "netns", "add", n)
            sh("ip", "netns", "exec", n, "ip", "link", "set", "lo", "up")
            host_if, ns_if = f"h{k}{tag}", f"n{k}{tag}"
            sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            sh("ip", "link", "set", ns_if, "netns", n)
            sh("ip", "addr", "add", f"10.77.{i}.1/24", "dev", host_if)
            sh("ip", "link", "set", host_if, "up")
            sh("ip", "netns", "exec", n, "ip", "addr", "add", f"10.77.{i}.2/24", "dev", ns_if)
            sh("ip", "netns", "exec", n, "ip", "link", "set", ns_if, "up")
        sh("ip", "link", "add", f"ab{tag}", "type", "veth", "peer", "name", f"ba{tag}")
        sh("ip", "link", "set", f"ab{tag}", "netns", ns["a"])
        sh("ip", "link", "set", f"ba{tag}", "netns", ns["b"])
        sh("ip", "netns", "exec", ns["a"], "ip", "addr", "add", "10.77.0.1/24", "dev", f"ab{tag}")
        sh("ip", "netns", "exec", ns["b"], "ip", "addr", "add", "10.77.0.2/24", "dev", f"ba{tag}")
        sh("ip", "netns", "exec", ns["a"], "ip", "link", "set", f"ab{tag}", "up")
        sh("ip", "netns", "exec", ns["b"], "ip", "link", "set", f"ba{tag}", "up")

        def link(up):
            state = "up" if up else "down"
            sh("ip", "netns", "exec", ns["a"], "ip", "link", "set", f"ab{tag}", state)
            sh("ip", "netns", "exec", ns["b"], "ip", "link", "set", f"ba{tag}", state)

        yield ns, link
    finally:
        for n in ns.values():
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        for k in ns:
            subprocess.run(["ip", "link", "del", f"h{k}{tag}"], capture_output=True)


def test_a_partition_between_brokers_heals_without_loss_or_unflagged_duplicates(
        namespaces, client, tmp_path):
    ns, link = namespaces
    fast = "initialReconnectDelay=200&maxReconnectDelay=1000"
    b = Ferrum(tmp_path / "b", ["--broker-name", "b"], openwire_port=61616,
               prefix=("ip", "netns", "exec", ns["b"]), bind="0.0.0.0")
    b.host = "10.77.2.2"
    a = Ferrum(tmp_path / "a", [
        "--broker-name", "a", "--network-connector",
        f"static:(tcp://10.77.0.2:61616?wireFormat.maxInactivityDuration=2000)?{fast}"],
        openwire_port=61616, prefix=("ip", "netns", "exec", ns["a"]), bind="0.0.0.0")
    a.host = "10.77.1.2"
    try:
        q = f"/queue/{unique('partition')}"
        consumer = client(b)
        consumer.subscribe(q, ack="client-individual")
        producer = client(a)
        wait_for(lambda: "network bridge connected" in a.log, 15, "the bridge")
        sent = []
        for i in range(300):
            if i == 100:
                link(False)
            if i == 200:
                time.sleep(4)  # past the bridge's inactivity limit
                link(True)
            producer.send(q, f"p{i}", headers={"persistent": "true"})
            sent.append(f"p{i}")
            time.sleep(0.01)
        seen = {}
        deadline = time.monotonic() + 60
        while len(seen) < len(sent) and time.monotonic() < deadline:
            try:
                m = consumer.get(timeout=1.0)
            except AssertionError:
                continue
            consumer.ack(m)
            if m.body in seen:
                assert m.headers.get("redelivered") == "true", f"unflagged repeat of {m.body}"
            seen[m.body] = True
        missing = sorted(set(sent) - set(seen), key=lambda x: int(x[1:]))
        assert not missing, f"{len(missing)} lost, e.g. {missing[:5]}; a's log:\n{a.log[-2000:]}"
        assert "stalled" in a.log or "network bridge down" in a.log, a.log[-2000:]
    finally:
        a.terminate()
        b.terminate()
