//! Protocol rules of the STOMP session, driven without sockets.
use super::*;
use tokio::sync::mpsc;

/// A session plus the receiving end of its broker events.
struct Harness {
    s: Session,
    rx: broker::EventReceiver,
}

fn settings() -> Arc<Settings> {
    Arc::new(Settings {
        broker_name: "test".into(),
        server_header: "ferrum/test".into(),
        started_at: 1,
        limits: stomp::Limits::default(),
    })
}

fn harness(broker: &Arc<Broker>, serial: u64) -> Harness {
    let (tx, rx) = mpsc::unbounded_channel();
    Harness {
        s: Session::new(Arc::clone(broker), settings(), tx, serial),
        rx,
    }
}

impl Harness {
    fn send(&mut self, frame: Frame) -> Vec<Frame> {
        self.s.on_item(Item::Frame(frame));
        self.pump()
    }

    /// Feeds pending broker events in, flushes, returns frames written.
    fn pump(&mut self) -> Vec<Frame> {
        while let Ok(ev) = self.rx.try_recv() {
            self.s.on_event(ev);
        }
        self.s.after_flush();
        let mut out = BytesMut::from(&self.s.take_out()[..]);
        let mut st = stomp::ReadState::default();
        let mut frames = Vec::new();
        while let Ok(Some(item)) = stomp::read(
            &mut out,
            self.s.version(),
            &stomp::Limits::default(),
            &mut st,
        ) {
            if let Item::Frame(f) = item {
                frames.push(f);
            }
        }
        frames
    }

    fn connect(&mut self, version: &str) -> Frame {
        let mut f = self.send(Frame::new(Command::Connect).with_header("accept-version", version));
        f.remove(0)
    }
}

fn subscribe(dest: &str, id: &str, ack: &str) -> Frame {
    Frame::new(Command::Subscribe)
        .with_header("destination", dest)
        .with_header("id", id)
        .with_header("ack", ack)
}

fn send(dest: &str, body: &str) -> Frame {
    Frame::new(Command::Send)
        .with_header("destination", dest)
        .with_body(body.to_string())
}

#[test]
fn connect_negotiates_the_highest_common_version() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    let c = h.connect("1.0,1.1,1.2");
    assert_eq!(c.command, Command::Connected);
    assert_eq!(c.header("version"), Some("1.2"));
    assert_eq!(h.s.version(), Some(Version::V1_2));
    let mut h = harness(&b, 2);
    let c = h.send(Frame::new(Command::Connect)).remove(0);
    assert_eq!(
        c.header("version"),
        Some("1.0"),
        "ActiveMQ says 1.0 explicitly"
    );
    assert_eq!(h.s.version(), Some(Version::V1_0));
}

#[test]
fn unsupported_version_is_an_error_and_closes() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    let e = h.connect("2.0");
    assert_eq!(e.command, Command::Error);
    assert!(h.s.closing);
}

#[test]
fn heart_beat_is_answered_mirrored() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    let c = h
        .send(
            Frame::new(Command::Connect)
                .with_header("accept-version", "1.1")
                .with_header("heart-beat", "1000,2000"),
        )
        .remove(0);
    assert_eq!(c.header("heart-beat"), Some("2000,1000"));
    assert_eq!(h.s.heart_beat.send_every, Some(Duration::from_millis(2000)));
    assert_eq!(
        h.s.heart_beat.expect_every,
        Some(Duration::from_millis(1000))
    );
}

#[test]
fn frames_before_connect_are_refused_but_connect_may_follow() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    let e = h.send(send("/queue/a", "x")).remove(0);
    assert_eq!(e.command, Command::Error);
    assert_eq!(e.header("message"), Some("Not connected."));
    assert!(!h.s.closing);
    assert_eq!(h.connect("1.2").command, Command::Connected);
    let again = h.send(Frame::new(Command::Connect)).remove(0);
    assert_eq!(again.header("message"), Some("Already connected."));
    assert!(!h.s.closing);
}

#[test]
fn connect_receipt_and_client_id_show_in_connected() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    let c = h
        .send(
            Frame::new(Command::Connect)
                .with_header("accept-version", "1.1")
                .with_header("client-id", "me")
                .with_header("receipt", "r"),
        )
        .remove(0);
    assert_eq!(c.header("session"), Some("me"));
    assert_eq!(c.header("receipt-id"), Some("r"));
    assert_eq!(c.header("response-id"), Some("r"));
}

#[test]
fn send_subscribe_message_and_receipts() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    h.connect("1.2");
    let r = h.send(subscribe("/queue/a", "s1", "client").with_header("receipt", "r1"));
    assert_eq!(r[0].command, Command::Receipt);
    assert_eq!(r[0].header("receipt-id"), Some("r1"));
    let out = h.send(
        send("/queue/a", "hello")
            .with_header("foo", "bar")
            .with_header("receipt", "r2"),
    );
    assert_eq!(out[0].command, Command::Receipt);
    assert_eq!(out.len(), 2);
    let m = &out[1];
    assert_eq!(m.command, Command::Message);
    assert_eq!(m.header("subscription"), Some("s1"));
    assert_eq!(m.header("destination"), Some("/queue/a"));
    assert_eq!(m.header("foo"), Some("bar"));
    assert_eq!(m.header("content-length"), None, "text messages have none");
    assert_eq!(&m.body[..], b"hello");
    let ack_id = m.header("ack").expect("1.2 ack header").to_string();
    let r = h.send(
        Frame::new(Command::Ack)
            .with_header("id", ack_id.clone())
            .with_header("receipt", "r3"),
    );
    assert_eq!(r[0].command, Command::Receipt);
    // Acked once; acking again is an error that keeps the connection.
    let e = h.send(
        Frame::new(Command::Ack)
            .with_header("id", ack_id)
            .with_header("receipt", "r4"),
    );
    assert_eq!(e[0].command, Command::Error);
    assert_eq!(e[0].header("receipt-id"), Some("r4"));
    assert!(!h.s.closing);
}

#[test]
fn bad_destination_and_missing_headers_are_soft_errors() {
    let b = Arc::new(Broker::in_memory());
    let mut h = harness(&b, 1);
    h.connect("1.1");
    let e = h.send(send("/queue/", "x")).remove(0);
    assert_eq!(e.command, Command::Error);
    assert!(e.header("message").is_some_and(|m| m.contains("/queue/")));
    let e = h.send(Frame::new(Command::Send)).remove(0);
    assert_eq!(e.command, Command::Error);
    let e = h
        .send(Frame::new(Command::Commit).with_header("transaction", "nope"))
        .remove(0);
    assert_eq!(e.command, Command::Error);
    assert!(!h.s.closing);
}

#[test]
fn transaction_holds_sends_until_commit() {
    let b = Arc::new(Broker::in_memory());
    let mut p = harness(&b, 1);
    p.connect("1.2");
    let mut c = harness(&b, 2);
    c.connect("1.2");
    c.send(subscribe("/queue/t", "1", "auto"));
    p.send(Frame::new(Command::Begin).with_header("transaction", "tx"));
    p.send(send("/queue/t", "a").with_header("transaction", "tx"));
    assert!(c.pump().is_empty());
    p.send(Frame::new(Command::Commit).with_header("transaction", "tx"));
    assert_eq!(c.pump().len(), 1);
}

#[test]
fn unacked_messages_return_redelivered_when_the_connection_closes() {
    let b = Arc::new(Broker::in_memory());
    let mut c = harness(&b, 1);
    c.connect("1.1");
    c.send(subscribe("/queue/r", "1", "client"));
    assert_eq!(c.send(send("/queue/r", "a")).len(), 1);
    c.s.close();
    let mut d = harness(&b, 2);
    d.connect("1.1");
    let m = d.send(subscribe("/queue/r", "1", "auto"));
    assert_eq!(m[0].header("redelivered"), Some("true"));
}

#[test]
fn temp_queue_reply_to_is_rewritten_for_other_connections() {
    let b = Arc::new(Broker::in_memory());
    let mut a = harness(&b, 1);
    a.connect("1.2");
    let mut s = harness(&b, 2);
    s.connect("1.2");
    a.send(subscribe("/temp-queue/replies", "r", "auto"));
    s.send(subscribe("/queue/req", "q", "auto"));
    a.send(send("/queue/req", "ping").with_header("reply-to", "/temp-queue/replies"));
    let req = s.pump().remove(0);
    let reply_to = req.header("reply-to").expect("reply-to").to_string();
    assert!(reply_to.starts_with("/remote-temp-queue/ID:"), "{reply_to}");
    s.send(send(&reply_to, "pong"));
    let reply = a.pump().remove(0);
    assert_eq!(&reply.body[..], b"pong");
    assert_eq!(reply.header("destination"), Some("/temp-queue/replies"));
}
