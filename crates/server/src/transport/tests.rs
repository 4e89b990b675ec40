//! The driver with both protocols, over real sockets on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ::openwire::negotiate::{negotiate, WireFormatOptions};
use ::openwire::{Codec, DataStructure, WireFormat};
use broker::{Broker, BrokerConfig};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{timeout, Instant};

use super::throttle::Relief;
use super::Shutdown;

/// Long enough for anything that should happen; a test waiting this long
/// has failed.
const PATIENCE: Duration = Duration::from_secs(10);

/// A running listener; dropping it stops the listener and its connections.
struct Server {
    addr: SocketAddr,
    _stop: watch::Sender<bool>,
}

async fn stomp_server(broker: &Arc<Broker>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = Arc::new(crate::stomp::Settings {
        broker_name: "test".into(),
        server_header: "ferrum/test".into(),
        started_at: 1,
        limits: stomp::Limits::default(),
    });
    let (stop, shutdown) = Shutdown::new();
    tokio::spawn(crate::stomp::serve(
        listener,
        Arc::clone(broker),
        settings,
        shutdown,
    ));
    Server { addr, _stop: stop }
}

async fn openwire_server(broker: &Arc<Broker>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = Arc::new(crate::openwire::Settings::new(
        "test",
        &broker.broker_id(),
        addr,
        1 << 20,
    ));
    let (stop, shutdown) = Shutdown::new();
    tokio::spawn(crate::openwire::serve(
        listener,
        Arc::clone(broker),
        settings,
        shutdown,
    ));
    Server { addr, _stop: stop }
}

/// A STOMP client speaking raw frames.
struct Stomp {
    stream: TcpStream,
    input: BytesMut,
}

impl Stomp {
    async fn connect(server: &Server) -> Stomp {
        let mut c = Stomp {
            stream: TcpStream::connect(server.addr).await.unwrap(),
            input: BytesMut::new(),
        };
        c.send("CONNECT\naccept-version:1.2\nhost:test\n\n").await;
        let connected = c.frame().await;
        assert!(connected.starts_with("CONNECTED\n"), "{connected}");
        c
    }

    /// Sends `frame` (command, headers, blank line, body) and its NUL.
    async fn send(&mut self, frame: &str) {
        self.stream.write_all(frame.as_bytes()).await.unwrap();
        self.stream.write_all(b"\0").await.unwrap();
    }

    /// The next frame's text, without heart-beats and NUL.
    async fn frame(&mut self) -> String {
        timeout(PATIENCE, self.next_frame())
            .await
            .expect("a frame in time")
    }

    /// Cancel-safe: a partial frame stays in `input`.
    async fn next_frame(&mut self) -> String {
        loop {
            if let Some(end) = self.input.iter().position(|b| *b == 0) {
                let frame = self.input.split_to(end + 1);
                let text = String::from_utf8_lossy(&frame[..end]);
                return text.trim_start_matches(['\n', '\r']).to_string();
            }
            let n = self.stream.read_buf(&mut self.input).await.unwrap();
            assert!(n > 0, "the server closed the connection");
        }
    }

    /// Whether no frame comes within `wait`.
    async fn quiet_for(&mut self, wait: Duration) -> bool {
        timeout(wait, self.next_frame()).await.is_err()
    }
}

#[tokio::test]
async fn a_stomp_connect_is_answered_with_connected() {
    let broker = Arc::new(Broker::in_memory());
    let server = stomp_server(&broker).await;
    let mut c = Stomp::connect(&server).await;
    c.send("DISCONNECT\nreceipt:bye\n\n").await;
    assert!(c.frame().await.contains("receipt-id:bye"));
}

#[tokio::test]
async fn a_stomp_subscriber_receives_what_another_client_sends() {
    let broker = Arc::new(Broker::in_memory());
    let server = stomp_server(&broker).await;
    let mut consumer = Stomp::connect(&server).await;
    consumer
        .send("SUBSCRIBE\ndestination:/queue/q\nid:0\nreceipt:sub\n\n")
        .await;
    assert!(consumer.frame().await.contains("receipt-id:sub"));
    let mut producer = Stomp::connect(&server).await;
    producer.send("SEND\ndestination:/queue/q\n\nhello").await;
    let message = consumer.frame().await;
    assert!(message.starts_with("MESSAGE\n"), "{message}");
    assert!(message.ends_with("\n\nhello"), "{message}");
}

#[tokio::test]
async fn a_receipt_for_a_persistent_send_comes_once_the_journal_synced_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store::JournalStore::open(dir.path(), store::Options::default()).unwrap();
    let broker = Arc::new(Broker::new(BrokerConfig::default(), Box::new(store)));
    let server = stomp_server(&broker).await;
    let mut c = Stomp::connect(&server).await;
    c.send("SEND\ndestination:/queue/q\npersistent:true\nreceipt:r1\n\nkept")
        .await;
    assert!(c.frame().await.contains("receipt-id:r1"));
    assert!(
        broker.sync_all().is_none(),
        "the receipt came before the send was durable"
    );
}

/// A topic subscriber that takes one message at a time holds producers
/// back once more than a message's worth waits for it.
fn one_message_of_slack() -> BrokerConfig {
    BrokerConfig {
        topic_subscriber_pending_limit: 1500,
        slow_subscriber_after: Duration::from_secs(60),
        ..BrokerConfig::default()
    }
}

#[tokio::test]
async fn a_held_back_stomp_producer_resumes_when_the_subscriber_drains() {
    let broker = Arc::new(Broker::new(
        one_message_of_slack(),
        Box::new(broker::MemoryStore::new()),
    ));
    let server = stomp_server(&broker).await;
    let mut consumer = Stomp::connect(&server).await;
    consumer
        .send("SUBSCRIBE\ndestination:/topic/t\nid:0\nack:client\nactivemq.prefetchSize:1\nreceipt:sub\n\n")
        .await;
    assert!(consumer.frame().await.contains("receipt-id:sub"));
    let body = "x".repeat(1000);
    let mut producer = Stomp::connect(&server).await;
    for _ in 0..3 {
        producer
            .send(&format!("SEND\ndestination:/topic/t\n\n{body}"))
            .await;
    }
    producer
        .send(&format!(
            "SEND\ndestination:/topic/t\nreceipt:last\n\n{body}"
        ))
        .await;
    let first = consumer.frame().await;
    assert!(
        producer.quiet_for(Duration::from_millis(300)).await,
        "the producer was not held back"
    );
    let id = first
        .lines()
        .find_map(|l| l.strip_prefix("ack:"))
        .expect("an ack header");
    consumer.send(&format!("ACK\nid:{id}\n\n")).await;
    assert!(producer.frame().await.contains("receipt-id:last"));
}

#[tokio::test(start_paused = true)]
async fn a_held_back_connection_wakes_as_soon_as_the_broker_frees_memory() {
    let broker = Arc::new(Broker::in_memory());
    let mut relief = Relief::new(&broker);
    // Nothing was freed: the first look again comes after a pause.
    let start = Instant::now();
    relief.wait().await;
    assert!(Instant::now() > start);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let conn = broker.connect(broker::ConnectInfo::default(), tx).unwrap();
    let q = broker::Destination::queue("q");
    let m = broker::Message::new(
        broker::MessageId::from("m1"),
        q.clone(),
        broker::Body::Text(Arc::from("waiting")),
    );
    broker.send(conn, m, None).unwrap();
    // A consumer takes the waiting message: its memory is freed.
    broker
        .subscribe(conn, broker::SubscribeRequest::new(q))
        .unwrap();
    let start = Instant::now();
    relief.wait().await;
    // At most the minimum gap between looks, well before the next pause ends.
    assert!(
        Instant::now() - start <= Duration::from_millis(1),
        "woken by a timer, not the broker"
    );
}

/// An OpenWire client's codec, and its socket.
struct OpenWire {
    stream: TcpStream,
    codec: Codec,
    input: BytesMut,
}

impl OpenWire {
    async fn connect(server: &Server) -> OpenWire {
        OpenWire {
            stream: TcpStream::connect(server.addr).await.unwrap(),
            codec: Codec::new(WireFormat::initial(12)),
            input: BytesMut::new(),
        }
    }

    async fn command(&mut self) -> DataStructure {
        loop {
            if let Some(cmd) = self.codec.read_frame(&mut self.input).unwrap() {
                return cmd.expect("a command, not a null frame");
            }
            let n = timeout(PATIENCE, self.stream.read_buf(&mut self.input))
                .await
                .expect("a command in time")
                .unwrap();
            assert!(n > 0, "the server closed the connection");
        }
    }

    async fn send(&mut self, cmd: DataStructure) {
        let mut out = BytesMut::new();
        self.codec.write_frame(Some(&cmd), &mut out).unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    /// Reads until the server closes the socket.
    async fn closed(&mut self) {
        while self.stream.read_buf(&mut self.input).await.unwrap_or(0) > 0 {}
    }
}

#[tokio::test]
async fn an_openwire_server_speaks_first_and_answers_the_handshake_with_broker_info() {
    let broker = Arc::new(Broker::in_memory());
    let server = openwire_server(&broker).await;
    let mut c = OpenWire::connect(&server).await;
    let DataStructure::WireFormatInfo(info) = c.command().await else {
        panic!("the server did not start with WireFormatInfo");
    };
    let theirs = WireFormatOptions::from_info(&info).unwrap();
    let mut ours = theirs.clone();
    ours.max_inactivity = 0;
    c.send(DataStructure::WireFormatInfo(Arc::new(
        ours.to_info().unwrap(),
    )))
    .await;
    c.codec.set_format(negotiate(&ours, &theirs));
    let DataStructure::BrokerInfo(b) = c.command().await else {
        panic!("no BrokerInfo after the handshake");
    };
    assert_eq!(
        b.broker_name.as_ref().map(|n| n.to_string_lossy()),
        Some("test".into())
    );
}

#[tokio::test(start_paused = true)]
async fn an_openwire_client_that_never_sends_its_wire_format_is_dropped() {
    let broker = Arc::new(Broker::in_memory());
    let server = openwire_server(&broker).await;
    let mut c = OpenWire::connect(&server).await;
    assert!(matches!(
        c.command().await,
        DataStructure::WireFormatInfo(_)
    ));
    let start = Instant::now();
    timeout(Duration::from_secs(60), c.closed())
        .await
        .expect("dropped within a minute");
    let waited = Instant::now() - start;
    assert!(
        waited >= Duration::from_secs(29),
        "dropped after {waited:?}"
    );
}

#[tokio::test]
async fn a_stopping_broker_closes_its_connections() {
    let broker = Arc::new(Broker::in_memory());
    let server = openwire_server(&broker).await;
    let mut c = OpenWire::connect(&server).await;
    c.command().await;
    drop(server);
    timeout(PATIENCE, c.closed()).await.expect("closed in time");
}
