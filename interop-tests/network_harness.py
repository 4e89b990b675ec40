"""Brokers for network-of-brokers tests: ferrum processes with
--network-connector, and reference ActiveMQ 5.17.2 brokers (Debian's
`activemq` package, which test-all.sh installs) started in a JVM of their
own with an activemq.xml written for the test.

Every broker is started on free loopback ports and stopped by the test
(the fixtures in test_network.py); every wait is bounded.
"""

import os
import socket
import subprocess
import time
from xml.sax.saxutils import quoteattr

AMQ_HOME = os.environ.get("AMQ_HOME", "/usr/share/activemq")

# Debian's activemq routes slf4j to log4j 1.2: console only, warnings up.
LOG4J = """log4j.rootLogger=INFO, console
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %5p | %m%n
"""

# What Java 17 needs opened for ActiveMQ 5.17's Spring/xbean start-up.
JVM_OPENS = [
    "--add-reads=java.xml=java.logging",
    *[f"--add-opens={m}=ALL-UNNAMED" for m in (
        "java.base/java.security", "java.base/java.net", "java.base/java.lang",
        "java.base/java.util", "java.naming/javax.naming.spi", "java.rmi/sun.rmi.transport.tcp",
        "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic")],
]

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
    return os.path.exists(os.path.join(AMQ_HOME, "bin", "activemq.jar"))


def listening(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class ActiveMQ:
    """A reference ActiveMQ 5.17.2 broker named `name` (Debian's package),
    in a JVM this test starts; `connectors` are dicts of
    <networkConnector> attributes (uri, duplex, name...)."""

    def __init__(self, base_dir, name, connectors=(), start_timeout=90, openwire_port=None):
        self.name = name
        self.dir = os.path.join(str(base_dir), f"amq-{name}")
        conf = os.path.join(self.dir, "conf")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(conf, exist_ok=True)
        os.makedirs(os.path.join(self.data, "tmp"), exist_ok=True)
        with open(os.path.join(conf, "log4j.properties"), "w") as f:
            f.write(LOG4J)
        elems = "".join(
            "\n      <networkConnector "
            + " ".join(f"{k}={quoteattr(str(v))}" for k, v in c.items())
            + "/>"
            for c in connectors
        )
        self.xml = os.path.join(conf, "activemq.xml")
        with open(self.xml, "w") as f:
            f.write(XML.format(name=quoteattr(name), connectors=elems))
        self.openwire_port = openwire_port or free_port()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.logfile = open(os.path.join(self.dir, "broker.out"), "wb")
        self.process = subprocess.Popen(
            ["java", "-Xms64M", "-Xmx512M", "-Djava.awt.headless=true",
             f"-Djava.io.tmpdir={self.data}/tmp", *JVM_OPENS,
             f"-Dactivemq.classpath={conf}", f"-Dactivemq.home={AMQ_HOME}",
             f"-Dactivemq.base={conf}", f"-Dactivemq.conf={conf}", f"-Dactivemq.data={self.data}",
             "-Dbench.bind=127.0.0.1", f"-Dbench.ow.port={self.openwire_port}",
             f"-Dbench.stomp.port={self.port}", "-Dbench.kahadb.sync=always",
             "-jar", os.path.join(AMQ_HOME, "bin", "activemq.jar"), "start", f"xbean:file:{self.xml}"],
            stdin=subprocess.DEVNULL, stdout=self.logfile, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + start_timeout
        while not (listening(self.openwire_port) and listening(self.port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"ActiveMQ {name} did not start:\n{self.log[-3000:]}")
            time.sleep(0.05)

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def openwire_url(self):
        return f"tcp://127.0.0.1:{self.openwire_port}"

    @property
    def log(self):
        try:
            with open(os.path.join(self.dir, "broker.out"), errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=30):
        """SIGTERM (ActiveMQ's orderly stop), SIGKILL if it takes too long."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.logfile.close()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def wait_for(predicate, timeout=15.0, what="condition"):
    """Polls `predicate` until it is true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
