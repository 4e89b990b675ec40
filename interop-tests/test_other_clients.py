"""Other STOMP client libraries against ferrum: Ruby's `stomp` gem and
Perl's Net::Stomp, each run as a subprocess with a timeout, plus
cross-library traffic with stomp.py."""

import functools
import shutil
import subprocess

import pytest

from ferrum_harness import unique

RUBY = shutil.which("ruby")
PERL = shutil.which("perl")


def have(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def require(ok, what):
    """A missing client is a failure, not a skip: test-all.sh installs them."""
    assert ok, f"{what} is not installed (interop-tests/test-all.sh installs it)"


def needs_ruby(test):
    def wrapped(*a, **kw):
        require(RUBY and have([RUBY, "-e", 'require "stomp"']), "ruby-stomp")
        return test(*a, **kw)

    return functools.wraps(test)(wrapped)


def needs_perl(test):
    def wrapped(*a, **kw):
        require(PERL and have([PERL, "-MNet::Stomp", "-e", "1"]), "libnet-stomp-perl")
        return test(*a, **kw)

    return functools.wraps(test)(wrapped)


def run(argv, timeout=30):
    proc = subprocess.run(argv, capture_output=True, timeout=timeout)
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{out}\nstderr:\n{err}"
    return out.splitlines()


def nothing_left(broker, client, q):
    c = client(broker)
    c.subscribe(q)
    c.send(q, "marker")
    m = c.get()
    assert m.body == "marker", f"left on {q}: {m.body!r} {m.headers}"


# --------------------------------------------------------------------- Ruby

RUBY_ROUND_TRIP = r"""
require 'stomp'
require 'timeout'
host, port, ver, q, tq = ARGV
headers = ver == '1.0' ? {} : {'accept-version' => ver, 'host' => 'localhost'}
conn = Stomp::Connection.new({
  hosts: [{login: 'guest', passcode: 'guest', host: host, port: port.to_i}],
  reliable: false, connect_timeout: 5, connect_headers: headers,
})
puts "PROTOCOL #{conn.protocol}"
def next_message(conn)
  m = Timeout.timeout(5) { conn.receive }
  raise "expected MESSAGE, got #{m.command} #{m.headers.inspect} #{m.body}" unless m.command == 'MESSAGE'
  m
end

# queue round trip with client (cumulative) ack
conn.publish(q, 'ruby-1', {'persistent' => 'true', 'x-lang' => 'ruby'})
conn.publish(q, 'ruby-2')
conn.subscribe(q, {ack: 'client', id: 'rsub'})
a = next_message(conn)
b = next_message(conn)
puts "GOT #{a.body} #{b.body} #{a.headers['x-lang']} #{a.headers['persistent']}"
ack_id = ver == '1.2' ? b.headers['ack'] : b.headers['message-id']
conn.ack(ack_id, ver == '1.1' ? {subscription: 'rsub'} : {})
conn.unsubscribe(q, {id: 'rsub'}, 'rsub')

# transactions: one aborted, one committed
conn.begin('rtx-1')
conn.publish(tq, 'ruby-aborted', {transaction: 'rtx-1'})
conn.abort('rtx-1')
conn.begin('rtx-2')
conn.publish(tq, 'ruby-committed', {transaction: 'rtx-2'})
conn.commit('rtx-2')
conn.subscribe(tq, {ack: 'client', id: 'tsub'})
m = next_message(conn)
puts "TX #{m.body}"
# ack inside a transaction
conn.begin('rtx-3')
ack_id = ver == '1.2' ? m.headers['ack'] : m.headers['message-id']
conn.ack(ack_id, ver == '1.1' ? {subscription: 'tsub', transaction: 'rtx-3'} : {transaction: 'rtx-3'})
conn.commit('rtx-3')
conn.disconnect({receipt: 'ruby-bye'})
r = conn.disconnect_receipt
puts "DISCONNECT #{r ? r.command + ' ' + r.headers['receipt-id'] : 'none'}"
puts "DONE"
"""


@needs_ruby
@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_ruby_stomp_queue_client_ack_and_transactions(broker, client, version, tmp_path):
    script = tmp_path / "round_trip.rb"
    script.write_text(RUBY_ROUND_TRIP)
    q, tq = f"/queue/{unique('rb')}", f"/queue/{unique('rbtx')}"
    lines = run([RUBY, str(script), broker.host, str(broker.port), version, q, tq])
    assert lines == [
        f"PROTOCOL {version}",
        "GOT ruby-1 ruby-2 ruby true",
        "TX ruby-committed",
        "DISCONNECT RECEIPT ruby-bye",
        "DONE",
    ]
    nothing_left(broker, client, q)
    nothing_left(broker, client, tq)


RUBY_CLIENT = r"""
require 'stomp'
require 'timeout'
host, port, q = ARGV
c = Stomp::Client.new({
  hosts: [{login: 'guest', passcode: 'guest', host: host, port: port.to_i}],
  reliable: false, connect_timeout: 5,
  connect_headers: {'accept-version' => '1.1', 'host' => 'localhost'},
})
got = Queue.new
c.subscribe(q, {ack: 'client-individual', id: 'listener'}) do |msg|
  c.acknowledge(msg)
  got << msg.body
end
sleep 0.2
3.times { |i| c.publish(q, "listener-#{i}") }
bodies = Timeout.timeout(5) { 3.times.map { got.pop } }
puts "RECEIVED #{bodies.join(' ')}"
c.close
puts "DONE"
"""


@needs_ruby
def test_ruby_stomp_client_listener(broker, client, tmp_path):
    script = tmp_path / "listener.rb"
    script.write_text(RUBY_CLIENT)
    q = f"/queue/{unique('rbl')}"
    lines = run([RUBY, str(script), broker.host, str(broker.port), q])
    assert lines == ["RECEIVED listener-0 listener-1 listener-2", "DONE"]
    nothing_left(broker, client, q)


RUBY_SEND = r"""
require 'stomp'
host, port, q = ARGV
conn = Stomp::Connection.new({hosts: [{host: host, port: port.to_i}], reliable: false, connect_timeout: 5,
  connect_headers: {'accept-version' => '1.2', 'host' => 'localhost'}})
conn.publish(q, "from ruby", {'correlation-id' => 'rb-1', 'x-extra' => 'a:b'})
conn.disconnect({receipt: 'r'})
puts "SENT"
"""


@needs_ruby
def test_ruby_sends_stomp_py_receives(broker, client, tmp_path):
    q = f"/queue/{unique('rb2py')}"
    consumer = client(broker, version="1.1")
    consumer.subscribe(q)
    script = tmp_path / "send.rb"
    script.write_text(RUBY_SEND)
    assert run([RUBY, str(script), broker.host, str(broker.port), q]) == ["SENT"]
    m = consumer.get()
    assert m.body == "from ruby"
    assert m.headers["correlation-id"] == "rb-1"
    assert m.headers["x-extra"] == "a:b"


# --------------------------------------------------------------------- Perl

PERL_ROUND_TRIP = r"""
use strict; use warnings;
use Net::Stomp;
use Net::Stomp::Frame;
my ($host, $port, $ver, $q, $tq) = @ARGV;
$| = 1;
my $stomp = Net::Stomp->new({hostname => $host, port => $port, timeout => 5,
                             receipt_timeout => 5, reconnect_attempts => 1,
                             initial_reconnect_attempts => 1});
my %connect = (login => 'guest', passcode => 'guest');
if ($ver ne '1.0') { $connect{'accept-version'} = $ver; $connect{host} = 'localhost'; }
my $c = $stomp->connect(\%connect);
die "no CONNECTED: " . ($c ? $c->command : 'nothing') unless $c && $c->command eq 'CONNECTED';
print "VERSION ", ($c->headers->{version} // 'none'), "\n";

sub next_message {
    my $f = $stomp->receive_frame({timeout => 5});
    die "no frame in time" unless $f;
    die "expected MESSAGE, got " . $f->command . " " . ($f->headers->{message} // '') unless $f->command eq 'MESSAGE';
    return $f;
}
sub ack_headers {
    my ($f, %extra) = @_;
    my %h = (frame => $f, %extra);
    $h{subscription} = 'psub' if $ver eq '1.1';
    $h{id} = $f->headers->{ack} if $ver eq '1.2';
    return \%h;
}

# queue round trip with client ack
$stomp->send_with_receipt({destination => $q, body => 'perl-1', 'x-lang' => 'perl'}) or die "no receipt";
$stomp->send_with_receipt({destination => $q, body => 'perl-2'}) or die "no receipt";
$stomp->subscribe({destination => $q, ack => 'client', id => 'psub'});
my $a = next_message();
my $b = next_message();
print "GOT ", $a->body, " ", $b->body, " ", $a->headers->{'x-lang'}, "\n";
$stomp->ack(ack_headers($b));

# transactions: send_transactional (BEGIN, SEND with receipt, COMMIT), then an aborted one
$stomp->send_transactional({destination => $tq, body => 'perl-committed'}) or die "tx failed";
$stomp->send_frame(Net::Stomp::Frame->new({command => 'BEGIN', headers => {transaction => 'ptx'}}));
$stomp->send({destination => $tq, body => 'perl-aborted', transaction => 'ptx'});
$stomp->send_frame(Net::Stomp::Frame->new({command => 'ABORT', headers => {transaction => 'ptx', receipt => 'abort-r'}}));
my $r = $stomp->receive_frame({timeout => 5});
die "no ABORT receipt" unless $r && $r->command eq 'RECEIPT' && $r->headers->{'receipt-id'} eq 'abort-r';
$stomp->subscribe({destination => $tq, ack => 'auto', id => 'tsub'});
my $m = next_message();
print "TX ", $m->body, "\n";
my $extra = $stomp->receive_frame({timeout => 0.5});
print "EXTRA ", ($extra ? $extra->command . " " . $extra->body : 'none'), "\n";
$stomp->disconnect;
print "DONE\n";
"""


@needs_perl
def test_perl_net_stomp_queue_client_ack_and_transactions(broker, client, tmp_path):
    # Net::Stomp speaks STOMP 1.0: it neither escapes nor unescapes headers,
    # so with 1.1+ it cannot match its own receipt ids (they contain ':').
    # That is the same against ActiveMQ; Perl applications use it as 1.0.
    version = "1.0"
    script = tmp_path / "round_trip.pl"
    script.write_text(PERL_ROUND_TRIP)
    q, tq = f"/queue/{unique('pl')}", f"/queue/{unique('pltx')}"
    lines = run([PERL, str(script), broker.host, str(broker.port), version, q, tq])
    assert lines == [
        f"VERSION {version}",
        "GOT perl-1 perl-2 perl",
        "TX perl-committed",
        "EXTRA none",
        "DONE",
    ]
    nothing_left(broker, client, q)
    nothing_left(broker, client, tq)


PERL_RECEIVE = r"""
use strict; use warnings;
use Net::Stomp;
my ($host, $port, $q) = @ARGV;
$| = 1;
my $stomp = Net::Stomp->new({hostname => $host, port => $port, timeout => 5,
                             reconnect_attempts => 1, initial_reconnect_attempts => 1});
$stomp->connect({login => 'guest', passcode => 'guest'});
$stomp->subscribe({destination => $q, ack => 'client', 'activemq.prefetchSize' => 1});
print "READY\n";
for (1..2) {
    my $f = $stomp->receive_frame({timeout => 10});
    die "no message" unless $f && $f->command eq 'MESSAGE';
    print "MSG ", $f->body, " ", ($f->headers->{'x-from'} // ''), "\n";
    $stomp->ack({frame => $f});
}
$stomp->disconnect;
print "DONE\n";
"""


@needs_perl
def test_stomp_py_sends_perl_receives(broker, client, tmp_path):
    q = f"/queue/{unique('py2pl')}"
    script = tmp_path / "receive.pl"
    script.write_text(PERL_RECEIVE)
    proc = subprocess.Popen(
        [PERL, str(script), broker.host, str(broker.port), q],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        p = client(broker)
        # sent before and after the Perl subscriber is there: both arrive
        p.send(q, "one", headers={"x-from": "python"})
        p.send(q, "two", headers={"x-from": "python"})
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    lines = out.decode().splitlines()
    assert proc.returncode == 0, (out, err)
    assert lines == ["READY", "MSG one python", "MSG two python", "DONE"]
    nothing_left(broker, client, q)
