"""stomp.py's command-line client (/usr/bin/stomp) against ferrum, driven
through its stdin like a user would."""

import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from ferrum_harness import unique

STOMP_CLI = shutil.which("stomp") or "/usr/bin/stomp"



@pytest.fixture(autouse=True)
def stomp_cli_installed():
    """A missing CLI is a failure, not a skip: test-all.sh installs it."""
    assert os.path.exists(STOMP_CLI), "the stomp CLI (python3-stomp) is not installed"


class Cli:
    """A running `stomp` CLI with its output collected in the background."""

    def __init__(self, broker, *args):
        self.proc = subprocess.Popen(
            [STOMP_CLI, "-H", broker.host, "-P", str(broker.port), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._out = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            with self._lock:
                self._out += chunk

    @property
    def output(self):
        with self._lock:
            return self._out.decode("utf-8", "replace")

    def cmd(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_for(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.output)
            if m:
                return m
            if self.proc.poll() is not None:
                self._reader.join(1)
                m = re.search(pattern, self.output)
                if m:
                    return m
                break
            time.sleep(0.02)
        raise AssertionError(f"{pattern!r} not in the CLI output within {timeout}s:\n{self.output}")

    def quit(self, timeout=10):
        try:
            self.cmd("quit")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"stomp CLI did not exit within {timeout}s:\n{self.output}")
        self._reader.join(2)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def cli():
    made = []

    def start(broker, *args):
        c = Cli(broker, *args)
        made.append(c)
        return c

    yield start
    for c in made:
        c.kill()


def test_cli_subscribe_and_send_shows_the_message(broker, cli):
    q = f"/queue/{unique('cli')}"
    c = cli(broker)
    c.cmd(f"subscribe {q}")
    c.wait_for(re.escape(f"Subscribing to '{q}' with acknowledge set to 'auto', id set to '1'"))
    c.cmd(f"send {q} hello from the cli")
    m = c.wait_for(r"message-id: (\S+)\nsubscription: 1\n\nhello from the cli\n")
    assert m.group(1).startswith("ID:")
    assert c.quit() == 0
    assert "ERROR" not in c.output


def test_cli_piped_commands(broker):
    """The plain shell form: printf 'subscribe ...\\nsend ...\\n' | stomp ..."""
    q = f"/queue/{unique('cli')}"
    script = f"printf 'subscribe {q}\\nsend {q} hello\\n'; sleep 1.5"
    proc = subprocess.run(
        f"({script}) | timeout 10 {STOMP_CLI} -H {broker.host} -P {broker.port}",
        shell=True,
        capture_output=True,
        timeout=20,
    )
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, out
    assert re.search(r"subscription: 1\n\nhello\n", out), out


def test_cli_verbose_shows_headers(broker, cli):
    q = f"/queue/{unique('cli')}"
    c = cli(broker, "-V", "-S", "1.2")
    # The CLI prints headers as they come: wait for the last one we check.
    c.wait_for(r"CONNECTED(.|\n)*version: 1\.2")
    out = c.output
    assert re.search(r"server: \S+/\S+", out), out
    c.cmd(f"subscribe {q}")
    c.cmd(f"send {q} verbose body")
    c.wait_for(r"MESSAGE\n")
    c.wait_for(r"\nverbose body\n")
    msg = c.output[c.output.index("MESSAGE\n"):]
    assert f"destination: {q}\n" in msg
    assert "subscription: 1\n" in msg
    assert c.quit() == 0


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_cli_send_consumed_by_stomp_py(broker, client, version):
    q = f"/queue/{unique('cli')}"
    consumer = client(broker)
    consumer.subscribe(q)
    proc = subprocess.run(
        [STOMP_CLI, "-H", broker.host, "-P", str(broker.port), "-S", version],
        input=f"send {q} sent by the cli {version}\n".encode(),
        capture_output=True,
        timeout=20,
    )
    assert proc.returncode == 0, proc.stdout
    m = consumer.get()
    assert m.body == f"sent by the cli {version}"
    assert m.headers["destination"] == q


def test_cli_file_of_commands(broker, client, tmp_path):
    q = f"/queue/{unique('cli')}"
    consumer = client(broker)
    consumer.subscribe(q)
    script = tmp_path / "commands.txt"
    script.write_text(f"send {q} first\nsend {q} second\n")
    proc = subprocess.run(
        [STOMP_CLI, "-H", broker.host, "-P", str(broker.port), "-F", str(script)],
        capture_output=True,
        timeout=20,
    )
    assert proc.returncode == 0, proc.stdout
    assert [m.body for m in consumer.get_n(2)] == ["first", "second"]


def test_cli_listen_mode(broker, client, cli):
    q = f"/queue/{unique('cli')}"
    c = cli(broker, "-L", q)
    c.wait_for(re.escape(f"Subscribing to '{q}'"))
    time.sleep(0.2)  # the SUBSCRIBE is sent without a receipt
    p = client(broker)
    p.send(q, "to the listener")
    c.wait_for(r"\nto the listener\n")


def test_cli_transaction(broker, client, cli):
    q = f"/queue/{unique('cli')}"
    consumer = client(broker)
    consumer.subscribe(q)
    c = cli(broker)
    c.cmd("begin")
    c.wait_for(r"Transaction id: \S+")
    c.cmd(f"send {q} in the transaction")
    consumer.expect_nothing(0.5)
    c.cmd("commit")
    c.wait_for(r"Committing")
    assert consumer.get().body == "in the transaction"
    c.cmd("begin")
    c.cmd(f"send {q} rolled back")
    c.cmd("abort")
    c.wait_for(r"Aborted transaction")
    consumer.expect_nothing(0.5)
    assert c.quit() == 0


def test_cli_client_ack(broker, client, cli):
    q = f"/queue/{unique('cli')}"
    p = client(broker)
    p.send(q, "ack me")
    c = cli(broker, "-S", "1.1")
    c.cmd(f"subscribe {q} client")
    m = c.wait_for(r"message-id: (\S+)\nsubscription: (\S+)\n\nack me\n")
    c.cmd(f"ack {m.group(1)} {m.group(2)}")
    time.sleep(0.3)
    assert c.quit() == 0
    assert "ERROR" not in c.output, c.output
    # acked: nothing is left for the next consumer
    after = client(broker)
    after.subscribe(q)
    p.send(q, "marker")
    assert after.get().body == "marker"
