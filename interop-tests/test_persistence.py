"""Persistent messaging across broker crashes: kill -9 at random points
during persistent load (stomp.py and the ActiveMQ Java client), restart on the
same data directory, and check that every message the broker confirmed
arrives, and that any message delivered twice is marked redelivered."""

import os
import queue
import random
import signal
import subprocess
import threading
import time

import pytest

from ferrum_harness import Client, Ferrum, unique
from test_openwire_jms import JARS, java_classes, run_java  # noqa: F401 (fixture)

pytestmark = pytest.mark.ferrum_only

KILL_POINTS = 20
SEED = int(os.environ.get("FERRUM_CRASH_SEED", "0")) or random.randrange(1, 1 << 30)


class Ledger:
    """What the producers were told and what the consumers saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.confirmed = set()
        self.received = {}
        self.unflagged_duplicates = []

    def confirm(self, n):
        with self.lock:
            self.confirmed.add(n)

    def receive(self, n, redelivered):
        with self.lock:
            if n in self.received and not redelivered:
                self.unflagged_duplicates.append(n)
            self.received[n] = self.received.get(n, 0) + 1

    def check(self):
        missing = sorted(self.confirmed - set(self.received))
        assert not missing, f"{len(missing)} confirmed messages lost (seed {SEED}): {missing[:20]}"
        assert not self.unflagged_duplicates, (
            f"delivered again without redelivered flag (seed {SEED}): {self.unflagged_duplicates[:20]}"
        )
        assert len(self.confirmed) > 100, f"the load never got going: {len(self.confirmed)} confirmed"


def test_restart_keeps_persistent_messages_and_drops_non_persistent(start_ferrum, tmp_path):
    data = tmp_path / "data"
    f = Ferrum(data)
    c = Client(f)
    q = "/queue/" + unique("keep")
    for i in range(5):
        c.send(q, f"p{i}", headers={"persistent": "true"})
    c.send(q, "transient")
    f.kill()
    f = Ferrum(data)
    try:
        c = Client(f)
        c.subscribe(q)
        got = [c.get() for _ in range(5)]
        assert [m.body for m in got] == [f"p{i}" for i in range(5)]
        # Whether they were dispatched before the crash is unknown: flagged.
        assert all(m.headers.get("redelivered") == "true" for m in got)
        with pytest.raises(AssertionError):
            c.get(timeout=0.5)
    finally:
        f.terminate()


def test_durable_subscription_survives_a_crash(tmp_path):
    data = tmp_path / "data"
    f = Ferrum(data)
    t = "/topic/" + unique("news")
    sub = Client(f, headers={"client-id": "durable-crash"})
    sub.subscribe(t, id="d1", headers={"activemq.subscriptionName": "d1"})
    sub.conn.disconnect()
    pub = Client(f)
    pub.send(t, "while away", headers={"persistent": "true"})
    f.kill()
    f = Ferrum(data)
    try:
        sub = Client(f, headers={"client-id": "durable-crash"})
        sub.subscribe(t, id="d1", headers={"activemq.subscriptionName": "d1"})
        assert sub.get().body == "while away"
    finally:
        f.terminate()


def _wait_receipt_or_drop(c, receipt, timeout=10.0):
    """True once the receipt came; False if the connection dropped first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            f = c.listener.receipts.get(timeout=0.02)
        except queue.Empty:
            if c.listener.disconnected.is_set() or not c.listener.errors.empty():
                return False
            continue
        if f.headers.get("receipt-id") == receipt:
            return True
    return False


def _stomp_producer(f, q, ledger, start, stop):
    try:
        c = Client(f)
        n = start
        while not stop.is_set():
            r = f"r{n}"
            c.conn.send(q, f"m{n}", headers={"persistent": "true", "seq": str(n), "receipt": r})
            if not _wait_receipt_or_drop(c, r):
                return
            ledger.confirm(n)
            n += 1
    except Exception:  # noqa: BLE001 - the broker was killed under us
        pass


def _stomp_consumer(f, q, ledger, stop, idle=None):
    """Receives and acks; returns when stopped, on error, or after `idle` s without a message."""
    try:
        c = Client(f)
        c.subscribe(q, ack="client-individual", headers={"activemq.prefetchSize": "50"})
        while not stop.is_set():
            try:
                m = c.get(timeout=idle or 0.2)
            except AssertionError:
                if idle or c.listener.disconnected.is_set():
                    return
                continue
            ledger.receive(int(m.headers["seq"]), m.headers.get("redelivered") == "true")
            c.ack(m, receipt=False)
    except Exception:  # noqa: BLE001
        pass


def test_kill_9_during_stomp_load_loses_no_confirmed_message(tmp_path):
    data = tmp_path / "data"
    q = "/queue/" + unique("crash")
    ledger = Ledger()
    rng = random.Random(SEED)
    next_seq = 0
    for point in range(KILL_POINTS):
        f = Ferrum(data)
        stop = threading.Event()
        threads = [threading.Thread(target=_stomp_producer, args=(f, q, ledger, next_seq, stop))]
        # Consume at every other point only, so a backlog crosses restarts.
        if point % 2:
            threads.append(threading.Thread(target=_stomp_consumer, args=(f, q, ledger, stop)))
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.2, 0.8))
        f.process.send_signal(signal.SIGKILL)
        f.process.wait(10)
        stop.set()
        for t in threads:
            t.join(15)
        next_seq = max(ledger.confirmed, default=next_seq) + 1000
    f = Ferrum(data)
    try:
        _stomp_consumer(f, q, ledger, threading.Event(), idle=3.0)
    finally:
        f.terminate()
    ledger.check()


def _java(classes, *args):
    return subprocess.Popen(
        ["java", "-cp", ":".join([str(classes), *JARS]), "PersistCrash", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _read_java(proc, ledger, kind):
    for line in proc.stdout:
        parts = line.split()
        if kind == "produce" and parts[:1] == ["C"]:
            ledger.confirm(int(parts[1]))
        elif kind == "consume" and parts[:1] == ["R"]:
            ledger.receive(int(parts[1]), parts[2] == "true")


def test_kill_9_during_java_load_loses_no_confirmed_message(tmp_path, java_classes):
    data = tmp_path / "data"
    q = unique("jcrash")
    ledger = Ledger()
    rng = random.Random(SEED + 1)
    next_seq = 0
    for point in range(KILL_POINTS):
        f = Ferrum(data)
        url = f"tcp://127.0.0.1:{f.openwire_port}"
        procs = [(_java(java_classes, "produce", url, q, str(next_seq), "1000000"), "produce")]
        if point % 2:
            procs.append((_java(java_classes, "consume", url, q, "600000"), "consume"))
        readers = [threading.Thread(target=_read_java, args=(p, ledger, k)) for p, k in procs]
        for r in readers:
            r.start()
        # The JVMs take a moment to start; kill while they are busy.
        time.sleep(rng.uniform(0.8, 1.8))
        f.process.send_signal(signal.SIGKILL)
        f.process.wait(10)
        for p, _ in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        for r in readers:
            r.join(10)
        next_seq = max(ledger.confirmed, default=next_seq) + 1000
    f = Ferrum(data)
    try:
        url = f"tcp://127.0.0.1:{f.openwire_port}"
        p = _java(java_classes, "consume", url, q, "3000")
        _read_java(p, ledger, "consume")
        p.wait(60)
    finally:
        f.terminate()
    ledger.check()


def test_prepared_xa_transactions_survive_a_crash(tmp_path, java_classes):
    data = tmp_path / "data"
    q = unique("xa-crash")
    f = Ferrum(data)
    url = f"tcp://127.0.0.1:{f.openwire_port}"
    out = run_java(java_classes, "XaRestart", "prepare", url, q)
    assert "x3 received to-consume" in out
    assert "prepare1 0" in out and "prepare3 0" in out
    f.process.send_signal(signal.SIGKILL)
    f.process.wait(10)
    f = Ferrum(data)
    try:
        url = f"tcp://127.0.0.1:{f.openwire_port}"
        out = run_java(java_classes, "XaRestart", "finish", url, q)
    finally:
        f.terminate()
    assert "recovered 3" in out, out
    assert "after 0" in out, out
    got = sorted(l for l in out.splitlines() if l.startswith("got "))
    # x1 committed its send; x3's rollback returned what it had consumed.
    assert got == ["got to-consume redelivered=true", "got xa-commit redelivered=false"], out


def test_a_deep_persistent_queue_stays_on_disk_and_survives_a_crash(tmp_path):
    """100 MB of persistent messages with nobody consuming: the broker keeps
    only its per-destination memory limit in RAM, the rest waits in the
    journal; after kill -9 every message is still there, in order."""
    from ferrum_harness import ferrum_bin

    data = tmp_path / "data"
    limit = 2 * 1024 * 1024
    f = Ferrum(data, ["--destination-memory-limit", str(limit)])
    name = unique("deep")
    n = 100_000
    out = subprocess.run(
        [ferrum_bin(), "perf", "producer", "--url", f"stomp://{f.host}:{f.port}", "--name", name,
         "--size", "1024", "--count", str(n), "--persistent", "--json", "--timeout", "60"],
        capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    c = Client(f)
    # A receipt confirms everything before it on this broker is durable.
    c.send("/queue/" + name, "last", headers={"persistent": "true"})
    rss_mb = f.rss_kb() / 1024
    assert rss_mb < 60, f"{rss_mb:.0f} MB resident for ~100 MB queued"
    f.process.send_signal(signal.SIGKILL)
    f.process.wait(10)
    f = Ferrum(data, ["--destination-memory-limit", str(limit)])
    try:
        assert f.rss_kb() / 1024 < 60
        c = Client(f)
        c.subscribe("/queue/" + name, ack="client", headers={"activemq.prefetchSize": "1000"})
        seen = 0
        last = None
        while True:
            m = c.get(timeout=10)
            seen += 1
            if seen % 500 == 0:
                c.ack(m, receipt=False)
            if m.body == "last":
                last = m
                break
        c.ack(last)
        assert seen == n + 1
    finally:
        f.terminate()


@pytest.mark.parametrize("persistent", ["false", "true"])
def test_send_fail_if_no_space_gives_resource_allocation_exception(tmp_path, java_classes, persistent):
    # Memory limit for non-persistent messages (on a broker without a store:
    # with one they spill to disk instead), store limit for persistent ones.
    extra = ["--persistent", "false"] if persistent == "false" else []
    f = Ferrum(tmp_path / "data", ["--memory-limit", str(1 << 20), "--store-limit", str(2 << 20),
                                   "--journal-max-file-length", str(256 << 10),
                                   "--send-fail-if-no-space", *extra])
    try:
        url = f"tcp://127.0.0.1:{f.openwire_port}?jms.alwaysSyncSend=true"
        out = run_java(java_classes, "Limits", "fill", url, unique("limits"), persistent, "2000")
    finally:
        f.terminate()
    assert "javax.jms.ResourceAllocationException" in out, out
    refused_after = int(out.split("refused after ")[1].split(":")[0])
    drained = int(out.split("drained ")[1].split()[0])
    assert drained == refused_after, out
    assert "sent again" in out, out


def test_a_full_disk_fails_the_send_and_loses_nothing_stored(tmp_path):
    """The data directory on a 3 MiB tmpfs: persistent sends fill it until the
    journal cannot write; that producer gets an ERROR, nothing confirmed is
    lost, other clients carry on, and once consumers free space sends work."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"this test needs a small filesystem (root, mount): {r.stderr}"
    try:
        data = mnt / "data"
        args = ["--journal-max-file-length", str(256 << 10)]
        f = Ferrum(data, args)
        q = "/queue/" + unique("disk")
        c = Client(f)
        confirmed = []
        body = "x" * 60_000
        error = None
        for i in range(200):
            r = f"full-{i}"
            c.conn.send(q, body, headers={"persistent": "true", "n": str(i), "receipt": r})
            deadline = time.monotonic() + 10
            got = None
            while time.monotonic() < deadline and got is None:
                try:
                    fr = c.listener.receipts.get(timeout=0.05)
                    if fr.headers.get("receipt-id") == r:
                        got = "receipt"
                except queue.Empty:
                    if not c.listener.errors.empty():
                        error = c.listener.errors.get()
                        got = "error"
            assert got, f"no answer to send {i}"
            if got == "error":
                break
            confirmed.append(i)
        assert error is not None, "the disk never filled"
        assert "store" in error.headers.get("message", ""), error.headers
        assert f.alive()
        # Other clients are unaffected: non-persistent traffic still flows.
        other = Client(f)
        other.subscribe("/queue/side")
        other.send("/queue/side", "still here")
        assert other.get().body == "still here"
        f.terminate()
        # Restart on the full disk: everything confirmed is there.
        f = Ferrum(data, args)
        c = Client(f)
        c.subscribe(q, ack="client-individual")
        got = []
        while True:
            try:
                m = c.get(timeout=2)
            except AssertionError:
                break
            got.append(int(m.headers["n"]))
            c.ack(m)
        assert sorted(set(got)) == confirmed
        # The journal gave the space back: persistent sends work again.
        time.sleep(2.5)
        c.send(q, body, headers={"persistent": "true"})
        f.terminate()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
def test_a_damaged_segment_is_reported_and_the_rest_recovered(tmp_path, damage):
    """Bytes flipped in, or cut from, an older journal segment: the broker
    starts, says clearly what it skipped, and delivers every other message."""
    data = tmp_path / "data"
    args = ["--journal-max-file-length", str(64 << 10)]
    f = Ferrum(data, args)
    q = "/queue/" + unique("damaged")
    c = Client(f)
    n = 60
    for i in range(n):
        c.send(q, f"{i:03d}" + "x" * 4000, headers={"persistent": "true", "n": str(i)})
    f.terminate()
    segs = sorted((data / "journal").glob("db-*.log"))
    assert len(segs) >= 3, segs
    victim = segs[1]
    raw = bytearray(victim.read_bytes())
    end = len(raw.rstrip(b"\0"))
    if damage == "corrupt":
        raw[end // 2] ^= 0xFF
        victim.write_bytes(bytes(raw))
    else:
        victim.write_bytes(bytes(raw[: end // 2]))
    f = Ferrum(data, args)
    try:
        c = Client(f)
        c.subscribe(q)
        got = []
        while True:
            try:
                got.append(int(c.get(timeout=2).headers["n"]))
            except AssertionError:
                break
        log = f.log
    finally:
        f.terminate()
    assert "segment" in log and ("corrupt" in log or "skipped" in log), log
    lost = sorted(set(range(n)) - set(got))
    # Only records inside the damaged stretch of that one segment are gone.
    assert 0 < len(lost) < n // 3, lost
    assert lost == list(range(lost[0], lost[-1] + 1)), f"a contiguous stretch: {lost}"
    assert sorted(got) == sorted(set(got)), "no duplicates"


def test_non_persistent_messages_spill_to_disk_instead_of_filling_memory(tmp_path):
    """100 MB of non-persistent messages to a queue nobody reads, with a
    2 MB memory limit: they wait on disk, the producer is neither refused
    nor held back, memory stays small, and every message arrives."""
    from ferrum_harness import ferrum_bin

    f = Ferrum(tmp_path / "data", ["--memory-limit", str(2 << 20), "--send-fail-if-no-space"])
    try:
        name = unique("spill")
        url = f"stomp://{f.host}:{f.port}"
        common = ["--url", url, "--name", name, "--size", "1024", "--count", "100000",
                  "--json", "--timeout", "90"]
        consumer = subprocess.Popen([ferrum_bin(), "perf", "consumer", *common],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        # Stop the consumer from draining while the producer floods: SIGSTOP.
        consumer.send_signal(signal.SIGSTOP)
        out = subprocess.run([ferrum_bin(), "perf", "producer", *common],
                             capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr.decode()
        rss_mb = f.rss_kb() / 1024
        consumer.send_signal(signal.SIGCONT)
        stdout, stderr = consumer.communicate(timeout=120)
        assert consumer.returncode == 0, stderr.decode()
        assert rss_mb < 60, f"{rss_mb:.0f} MB resident with ~100 MB queued"
    finally:
        f.terminate()
