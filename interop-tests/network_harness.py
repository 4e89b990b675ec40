"""Brokers for network-of-brokers tests: ferrum processes with
--network-connector, and reference ActiveMQ 5.17.2 brokers started with an
activemq.xml of their own (via /work/shared/bench/amq.sh).

Every broker is started on free loopback ports and stopped by the test
(the fixtures in test_network.py); every wait is bounded.
"""

import os
import shutil
import socket
import subprocess
import time
from xml.sax.saxutils import quoteattr

AMQ_SH = os.environ.get("AMQ_SH", "/work/shared/bench/amq.sh")
AMQ_INSTANCE = os.path.join(os.path.dirname(AMQ_SH), "amq-instance")

XML = """<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName={name}
          useJmx="false" persistent="true" schedulerSupport="false"
          advisorySupport="true" dataDirectory="${{activemq.data}}">
    <persistenceAdapter>
      <kahaDB directory="${{activemq.data}}/kahadb" journalDiskSyncStrategy="${{bench.kahadb.sync}}"/>
    </persistenceAdapter>
    <networkConnectors>{connectors}
    </networkConnectors>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://${{bench.bind}}:${{bench.ow.port}}"/>
      <transportConnector name="stomp" uri="stomp://${{bench.bind}}:${{bench.stomp.port}}"/>
    </transportConnectors>
  </broker>
</beans>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def amq_available():
    return os.access(AMQ_SH, os.X_OK) and os.path.exists("/usr/share/activemq/bin/activemq.jar")


class ActiveMQ:
    """A reference ActiveMQ 5.17.2 broker named `name`; `connectors` are
    dicts of <networkConnector> attributes (uri, duplex, name...)."""

    def __init__(self, base_dir, name, connectors=(), start_timeout=90, openwire_port=None):
        self.name = name
        self.dir = os.path.join(str(base_dir), f"amq-{name}")
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, "conf")
        os.makedirs(conf, exist_ok=True)
        shutil.copy(os.path.join(AMQ_INSTANCE, "log4j.properties"), conf)
        elems = "".join(
            "\n      <networkConnector "
            + " ".join(f"{k}={quoteattr(str(v))}" for k, v in c.items())
            + "/>"
            for c in connectors
        )
        self.xml = os.path.join(conf, "activemq.xml")
        with open(self.xml, "w") as f:
            f.write(XML.format(name=quoteattr(name), connectors=elems))
        self.data = os.path.join(self.dir, "data")
        self.openwire_port = openwire_port or free_port()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.process = None
        proc = subprocess.run(
            [AMQ_SH, "start", str(self.openwire_port), str(self.port), self.data, self.xml],
            capture_output=True,
            timeout=start_timeout + 30,
            env=dict(os.environ, AMQ_START_TIMEOUT=str(start_timeout),
                     AMQ_JAVA_OPTS="-Xms64M -Xmx512M"),
        )
        if proc.returncode != 0:
            raise RuntimeError(f"ActiveMQ {name} did not start: {proc.stderr.decode()}\n{self.log}")

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def openwire_url(self):
        return f"tcp://127.0.0.1:{self.openwire_port}"

    @property
    def log(self):
        try:
            with open(os.path.join(self.data, "broker.out"), errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"

    def alive(self):
        return True

    def stop(self):
        subprocess.run([AMQ_SH, "stop", self.data], capture_output=True, timeout=60)

    def kill(self):
        pid = subprocess.run([AMQ_SH, "pid", self.data], capture_output=True, text=True).stdout.strip()
        if pid:
            subprocess.run(["kill", "-9", pid])


def wait_for(predicate, timeout=15.0, what="condition"):
    """Polls `predicate` until it is true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
