//! The STOMP protocol state of one connection, without any I/O.
//!
//! The connection task feeds it decoded frames and broker events; it calls
//! the broker and appends the frames to send to `out`. Keeping sockets out
//! makes every protocol rule testable with plain function calls.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use broker::{
    now_millis, Ack, Body, Broker, BrokerError, ConnectInfo, ConnectionId, ConsumerId, Delivery,
    Event, EventSender, Message, MessageId, SubscribeRequest, TxId, Value,
};
#[cfg(test)]
use bytes::Bytes;
use bytes::BytesMut;
use stomp::{Command, Frame, Item, Version};

use super::mapping::{DestinationError, TempNames, RESERVED_SEND_HEADERS};
use super::Settings;

/// Bytes an `ack:auto` subscription may have written-but-unflushed or
/// queued for its socket, on top of its prefetch count.
const AUTO_ACK_WINDOW_BYTES: usize = 16 * 1024 * 1024;

/// How a subscription acknowledges (the SUBSCRIBE `ack` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckMode {
    /// The broker considers a message consumed once it is written out.
    Auto,
    /// ACK consumes every message of the subscription up to the one named.
    Client,
    /// ACK consumes only the message named.
    ClientIndividual,
}

struct Subscription {
    consumer: ConsumerId,
    ack: AckMode,
}

/// A failure to report to the client in an ERROR frame.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// ActiveMQ closes the connection after some errors (bad CONNECT,
    /// unknown command, malformed frames), not after others.
    pub fatal: bool,
}

impl Failure {
    fn soft(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            fatal: false,
        }
    }

    fn fatal(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            fatal: true,
        }
    }
}

impl From<BrokerError> for Failure {
    fn from(e: BrokerError) -> Self {
        // ActiveMQ drops a STOMP connection whose SEND carries a bad
        // AMQ_SCHEDULED_* value (it fails while reading the frame); a
        // repeat over the limit is refused later, keeping the connection.
        let fatal = matches!(e, BrokerError::ClientIdInUse(_) | BrokerError::Schedule(_))
            && !matches!(
                e,
                BrokerError::Schedule(broker::ScheduleError::RepeatTooLarge)
            );
        Failure {
            message: e.to_string(),
            fatal,
        }
    }
}

impl From<DestinationError> for Failure {
    fn from(e: DestinationError) -> Self {
        Failure::soft(e.to_string())
    }
}

/// Negotiated heart-beating, from the server's point of view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeartBeat {
    /// Send something at least this often.
    pub send_every: Option<Duration>,
    /// Expect something from the client at least this often.
    pub expect_every: Option<Duration>,
}

pub struct Session {
    broker: Arc<Broker>,
    settings: Arc<Settings>,
    /// Handed to the broker at CONNECT; deliveries come back through it.
    events: Option<EventSender>,
    conn: Option<ConnectionId>,
    /// `None` until CONNECT negotiated one.
    version: Option<Version>,
    /// Shown in CONNECTED and used to build message ids.
    session_id: String,
    subs: HashMap<String, Subscription>,
    /// Browser subscriptions (`browser:true`): already answered in full,
    /// kept only so that their UNSUBSCRIBE is not an error.
    browsers: std::collections::HashSet<String>,
    /// Subscription id of each consumer, for MESSAGE `subscription`. It
    /// can hold more consumers than `subs`: one whose id a later SUBSCRIBE
    /// reused stays here (see `on_subscribe`).
    by_consumer: HashMap<ConsumerId, (String, AckMode)>,
    temps: TempNames,
    /// The CONNECT `client-id`, naming durable subscriptions.
    client_id: Option<String>,
    /// Sequence for message ids of SENDs from this connection.
    sent: u64,
    /// Auto-ack subscriptions' last message written in this batch, acked
    /// after the batch is flushed.
    auto_acks: Vec<(ConsumerId, MessageId)>,
    pub heart_beat: HeartBeat,
    /// Frames waiting to be written.
    pub out: BytesMut,
    /// Set once the connection must close after `out` is flushed.
    pub closing: bool,
    /// A destination whose subscribers are behind: the connection stops
    /// reading this client's frames until it is no longer congested.
    pub throttle: Option<broker::Destination>,
    /// A receipt held back until the store has synced; the connection waits
    /// on it before reading further frames.
    pub awaiting: Option<Awaiting>,
}

/// A receipt that may go out only once the store has synced.
pub struct Awaiting {
    pub point: broker::SyncPoint,
    receipt: String,
    disconnect: bool,
}

impl Session {
    pub fn new(
        broker: Arc<Broker>,
        settings: Arc<Settings>,
        events: EventSender,
        serial: u64,
    ) -> Session {
        let session_id = format!(
            "ID:{}-{}-{}:1",
            settings.broker_name, settings.started_at, serial
        );
        Session {
            broker,
            settings,
            events: Some(events),
            conn: None,
            version: None,
            session_id,
            subs: HashMap::new(),
            browsers: std::collections::HashSet::new(),
            by_consumer: HashMap::new(),
            temps: TempNames::default(),
            client_id: None,
            sent: 0,
            auto_acks: Vec::new(),
            heart_beat: HeartBeat::default(),
            out: BytesMut::with_capacity(8 * 1024),
            closing: false,
            throttle: None,
            awaiting: None,
        }
    }

    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Handles one decoded item from the client.
    pub fn on_item(&mut self, item: Item) {
        let Item::Frame(frame) = item else {
            return;
        };
        let receipt = frame.header("receipt").map(str::to_string);
        let command = frame.command;
        let result = self.on_frame(frame);
        // Taken after every frame, so what one frame wrote never counts as
        // the next one's.
        let synced = self.conn.and_then(|c| self.broker.sync_point(c));
        match result {
            Ok(()) => {
                let disconnect = command == Command::Disconnect;
                if let (Some(r), false) = (
                    receipt,
                    matches!(command, Command::Connect | Command::Stomp),
                ) {
                    // A receipt confirms the frame's work: whatever it wrote
                    // to the store must be durable first.
                    if let Some(point) = synced {
                        self.awaiting = Some(Awaiting {
                            point,
                            receipt: r,
                            disconnect,
                        });
                        return;
                    }
                    self.write(Command::Receipt, &[("receipt-id", &r)], b"");
                }
                if disconnect {
                    self.closing = true;
                }
            }
            Err(f) => self.error(&f, receipt.as_deref()),
        }
    }

    /// Writes the held-back receipt, or an ERROR if the store could not make
    /// the frame's work durable.
    pub fn synced(&mut self, a: Awaiting, result: Result<(), broker::StoreError>) {
        match result {
            Ok(()) => self.write(Command::Receipt, &[("receipt-id", &a.receipt)], b""),
            Err(e) => self.error(&Failure::soft(e.to_string()), Some(&a.receipt)),
        }
        if a.disconnect {
            self.closing = true;
        }
    }

    /// Reports a frame the codec could not decode; the stream is lost, so
    /// the connection closes.
    pub fn on_decode_error(&mut self, e: &stomp::StompError) {
        tracing::warn!(session = %self.session_id, "bad STOMP input: {e}");
        self.error(&Failure::fatal(e.to_string()), e.receipt());
    }

    /// Writes an ERROR frame, and marks the connection to close if fatal.
    fn error(&mut self, f: &Failure, receipt: Option<&str>) {
        tracing::info!(session = %self.session_id, fatal = f.fatal, "STOMP error: {}", f.message);
        // Transaction ids are namespaced by connection in the core (see
        // `tx_header`); the client is shown its own name, as ActiveMQ does.
        let message = f.message.replace(&format!("{}:", self.session_id), "");
        let mut headers: Vec<(&str, &str)> =
            vec![("content-type", "text/plain"), ("message", &message)];
        if let Some(r) = receipt {
            headers.push(("receipt-id", r));
        }
        let body = message.as_bytes();
        let len = body.len().to_string();
        headers.push(("content-length", &len));
        stomp::write_frame(&mut self.out, self.version, Command::Error, &headers, body);
        if f.fatal {
            self.closing = true;
        }
    }

    fn write(&mut self, command: Command, headers: &[(&str, &str)], body: &[u8]) {
        stomp::write_frame(&mut self.out, self.version, command, headers, body);
    }

    fn on_frame(&mut self, frame: Frame) -> Result<(), Failure> {
        match frame.command {
            Command::Connect | Command::Stomp => return self.on_connect(&frame),
            Command::Connected | Command::Message | Command::Receipt | Command::Error => {
                return Err(Failure::fatal(format!(
                    "Unknown STOMP action: {}",
                    frame.command.as_str()
                )))
            }
            _ => {}
        }
        let Some(conn) = self.conn else {
            // ActiveMQ keeps the socket open: a CONNECT may still follow.
            if frame.command == Command::Disconnect {
                return Ok(());
            }
            return Err(Failure::soft("Not connected."));
        };
        match frame.command {
            Command::Send => self.on_send(conn, frame),
            Command::Subscribe => self.on_subscribe(conn, &frame),
            Command::Unsubscribe => self.on_unsubscribe(conn, &frame),
            Command::Ack => self.on_ack(&frame, false),
            Command::Nack if self.version == Some(Version::V1_0) => Err(Failure::soft(
                "NACK received but connection is in v1.0 mode.",
            )),
            Command::Nack => self.on_ack(&frame, true),
            Command::Begin => {
                let tx = self.tx_header(&frame)?.ok_or_else(|| {
                    Failure::soft("Must specify the transaction you are beginning")
                })?;
                Ok(self.broker.begin(conn, tx)?)
            }
            Command::Commit => {
                let tx = self.tx_header(&frame)?.ok_or_else(|| {
                    Failure::soft("Must specify the transaction you are committing")
                })?;
                Ok(self.broker.commit(conn, &tx)?)
            }
            Command::Abort => {
                let tx = self.tx_header(&frame)?.ok_or_else(|| {
                    Failure::soft("Must specify the transaction you are aborting")
                })?;
                Ok(self.broker.rollback(conn, &tx)?)
            }
            Command::Disconnect => Ok(()),
            _ => Err(Failure::fatal(format!(
                "Unknown STOMP action: {}",
                frame.command.as_str()
            ))),
        }
    }

    /// A STOMP transaction id is only unique within its connection; the
    /// broker's transaction map is broker-wide.
    fn tx_header(&self, frame: &Frame) -> Result<Option<TxId>, Failure> {
        Ok(frame
            .header("transaction")
            .map(|t| TxId(Arc::from(format!("{}:{t}", self.session_id)))))
    }

    fn on_connect(&mut self, frame: &Frame) -> Result<(), Failure> {
        if self.conn.is_some() {
            return Err(Failure::soft("Already connected."));
        }
        let version = negotiate(frame.header("accept-version"))?;
        let (client_send, client_expect) = parse_heart_beat(frame.header("heart-beat"))?;
        let events = self
            .events
            .take()
            .ok_or_else(|| Failure::fatal("Already connected."))?;
        let info = ConnectInfo {
            client_id: frame.header("client-id").map(str::to_string),
            login: frame.header("login").map(str::to_string),
            ..Default::default()
        };
        let conn = self
            .broker
            .connect(info, events)
            .map_err(|e| Failure::fatal(e.to_string()))?;
        self.conn = Some(conn);
        // Named as the broker names the connection in advisories, so
        // message ids, temporary destinations and ActiveMQ.Advisory.Connection
        // agree, as in ActiveMQ.
        if let Some(label) = self.broker.connection_label(conn) {
            self.session_id = label;
        }
        self.client_id = frame.header("client-id").map(str::to_string);
        // ActiveMQ answers `cx,cy` with `cy,cx`: it sends as often as the
        // client wants to receive, and expects what the client promised.
        self.heart_beat = HeartBeat {
            send_every: (client_expect > 0).then(|| Duration::from_millis(client_expect)),
            expect_every: (client_send > 0).then(|| Duration::from_millis(client_send)),
        };
        let hb = format!("{client_expect},{client_send}");
        // ActiveMQ names the session after the client id when there is one.
        let session = self
            .client_id
            .clone()
            .unwrap_or_else(|| self.session_id.clone());
        let server = self.settings.server_header.clone();
        let mut headers: Vec<(&str, &str)> = vec![
            ("server", &server),
            ("heart-beat", &hb),
            ("session", &session),
        ];
        let receipt = frame.header("receipt");
        if let Some(r) = receipt {
            headers.push(("response-id", r));
            headers.push(("receipt-id", r));
        }
        headers.push(("version", version.as_str()));
        stomp::write_frame(&mut self.out, None, Command::Connected, &headers, b"");
        self.version = Some(version);
        tracing::debug!(session = %self.session_id, ?version, "STOMP client connected");
        Ok(())
    }

    fn destination(
        &mut self,
        conn: ConnectionId,
        frame: &Frame,
    ) -> Result<broker::Destination, Failure> {
        let header = frame
            .header("destination")
            .ok_or_else(|| Failure::soft("SEND received without a Destination specified"))?;
        Ok(self.temps.resolve(header, &self.broker, conn)?)
    }

    fn on_send(&mut self, conn: ConnectionId, frame: Frame) -> Result<(), Failure> {
        let destination = self.destination(conn, &frame)?;
        let tx = self.tx_header(&frame)?;
        self.sent += 1;
        let id = MessageId::from(format!("{}:-1:1:{}", self.session_id, self.sent));
        let body = if frame.header("content-length").is_some() {
            Body::Bytes(frame.body.clone())
        } else {
            match std::str::from_utf8(&frame.body) {
                Ok(s) => Body::Text(Arc::from(s)),
                Err(_) => Body::Bytes(frame.body.clone()),
            }
        };
        let mut m = Message::new(id, destination, body);
        m.timestamp = now_millis();
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in &frame.headers {
            // Repeated headers: the first one wins.
            if seen.contains(&k.as_str()) {
                continue;
            }
            seen.push(k);
            match k.as_str() {
                "persistent" => m.persistent = v.eq_ignore_ascii_case("true"),
                "priority" => {
                    m.priority = v
                        .trim()
                        .parse::<u8>()
                        .map_err(|_| Failure::soft(format!("Invalid priority header: {v}")))?
                        .min(9)
                }
                "expires" => {
                    m.expiration = v
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| Failure::soft(format!("Invalid expires header: {v}")))?
                }
                "timestamp" => {
                    if let Ok(t) = v.trim().parse::<i64>() {
                        m.timestamp = t;
                    }
                }
                "correlation-id" => m.correlation_id = Some(Arc::from(v.as_str())),
                "type" => m.message_type = Some(Arc::from(v.as_str())),
                "reply-to" => m.reply_to = Some(self.temps.resolve(v, &self.broker, conn)?),
                k if RESERVED_SEND_HEADERS.contains(&k) => {}
                _ => m
                    .properties
                    .push((Arc::from(k.as_str()), Value::String(Arc::from(v.as_str())))),
            }
        }
        let dest = m.destination.clone();
        if self.broker.send(conn, m, tx.as_ref())?.congested {
            self.throttle = Some(dest);
        }
        Ok(())
    }

    fn on_subscribe(&mut self, conn: ConnectionId, frame: &Frame) -> Result<(), Failure> {
        // As ActiveMQ checks them: the id first (required from 1.1 on), then
        // the destination.
        if self.version != Some(Version::V1_0) && frame.header("id").is_none() {
            return Err(Failure::soft(
                "SUBSCRIBE received without a subscription id!",
            ));
        }
        let header = frame
            .header("destination")
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Failure::soft("Invalid empty or 'null' Destination header"))?;
        // STOMP 1.0 makes `id` optional; the destination names the subscription then.
        let id = frame.header("id").unwrap_or(header).to_string();
        let destination = self.temps.resolve(header, &self.broker, conn)?;
        let ack = match frame.header("ack").unwrap_or("auto") {
            "auto" => AckMode::Auto,
            "client" => AckMode::Client,
            "client-individual" => AckMode::ClientIndividual,
            other => {
                // ActiveMQ 5.x takes any other value as auto, silently;
                // scripts written against it rely on that, so we do too
                // and only say so in the log.
                tracing::warn!(ack = other, subscription = %id, "unknown STOMP ack mode, using auto");
                AckMode::Auto
            }
        };
        if frame.header("browser") == Some("true") {
            return self.browse(&id, &destination, frame);
        }
        let mut req = SubscribeRequest::new(destination);
        if let Some(p) = frame.header("activemq.prefetchSize") {
            req.prefetch = p
                .trim()
                .parse()
                .map_err(|_| Failure::soft(format!("Invalid activemq.prefetchSize: {p}")))?;
        }
        req.selector = stomp_selector(frame);
        req.durable_name = frame
            .header("activemq.subscriptionName")
            .map(str::to_string);
        if req.destination.is_queue() && req.durable_name.is_some() {
            return Err(Failure::soft(
                "Invalid Subscription: cannot durably subscribe to a Queue destination!",
            ));
        }
        if req.durable_name.is_some() && frame.header("activemq.prefetchSize").is_none() {
            // ActiveMQ's default for a durable topic subscriber.
            req.prefetch = 100;
        }
        req.exclusive = frame.header("activemq.exclusive") == Some("true");
        if let Some(p) = frame.header("activemq.priority") {
            req.priority = p.trim().parse().map_err(|_| {
                Failure::soft(format!("activemq.priority must be a number, not {p}"))
            })?;
        }
        if ack == AckMode::Auto {
            // We ack these ourselves once written: bound what a reader that
            // stopped reading can pin, whatever its prefetch.
            req.window_bytes = Some(AUTO_ACK_WINDOW_BYTES);
        }
        req.no_local = frame.header("activemq.noLocal") == Some("true");
        req.retroactive = frame.header("activemq.retroactive") == Some("true");
        let consumer = self.broker.subscribe(conn, req)?;
        self.by_consumer.insert(consumer, (id.clone(), ack));
        if self
            .subs
            .insert(id.clone(), Subscription { consumer, ack })
            .is_some()
        {
            // The spec makes a unique id the client's duty; ActiveMQ 5.x
            // accepts a reused one and so do we: the newer subscription
            // owns the id (UNSUBSCRIBE, ACK by subscription), the older
            // one keeps receiving under the same id until the connection
            // ends.
            tracing::warn!(subscription = %id, "STOMP subscription id reused on one connection");
        }
        Ok(())
    }

    /// ActiveMQ's STOMP queue browser (`browser:true`, STOMP 1.1+): what
    /// the queue holds now, as MESSAGE frames, then one with `browser:end`.
    /// Nothing is consumed, and nothing stays subscribed.
    fn browse(
        &mut self,
        id: &str,
        destination: &broker::Destination,
        frame: &Frame,
    ) -> Result<(), Failure> {
        if self.version == Some(Version::V1_0) {
            return Err(Failure::soft(
                "Queue Browser feature only valid for Stomp v1.1+ clients!",
            ));
        }
        let selector = stomp_selector(frame);
        for m in self
            .broker
            .browse_selected(destination, selector.as_deref())?
        {
            self.write_message(id, &m, false);
        }
        let dest = self.temps.header(destination);
        let end = [
            ("subscription", id),
            ("browser", "end"),
            ("destination", dest.as_str()),
            ("message-id", "0"),
        ];
        stomp::write_frame(&mut self.out, self.version, Command::Message, &end, b"");
        self.browsers.insert(id.to_string());
        Ok(())
    }

    /// Ends a subscription. A durable subscription outlives its consumer;
    /// naming it with `activemq.subscriptionName` removes it too, as in ActiveMQ.
    fn on_unsubscribe(&mut self, conn: ConnectionId, frame: &Frame) -> Result<(), Failure> {
        if self.version != Some(Version::V1_0) && frame.header("id").is_none() {
            return Err(Failure::soft(
                "UNSUBSCRIBE received without a subscription id!",
            ));
        }
        let durable = frame.header("activemq.subscriptionName");
        let id = frame.header("id").or_else(|| frame.header("destination"));
        if id.is_some_and(|id| self.browsers.remove(id)) {
            return Ok(());
        }
        match id.and_then(|id| self.subs.remove(id)) {
            Some(sub) => {
                self.by_consumer.remove(&sub.consumer);
                self.broker.unsubscribe(sub.consumer);
            }
            None if durable.is_none() => return Err(Failure::soft("No subscription matched.")),
            None => {}
        }
        if let Some(name) = durable {
            let client_id = self.client_id.clone().ok_or_else(|| {
                Failure::soft("Cannot remove a durable subscription without a client-id")
            })?;
            self.broker.remove_durable(conn, &client_id, name)?;
        }
        Ok(())
    }

    /// The message an ACK or NACK names: 1.2 by `id` (our `ack` header),
    /// 1.0 and 1.1 by `message-id`, 1.1 also with a `subscription`. Each
    /// missing header is refused in ActiveMQ 5.x's words and order.
    fn ack_target<'f>(&self, frame: &'f Frame, nack: bool) -> Result<&'f str, Failure> {
        let v12 = self.version == Some(Version::V1_2);
        let missing_subscription = frame.header("subscription").is_none();
        if nack && !v12 && missing_subscription {
            return Err(Failure::soft(
                "NACK received without a subscription id for acknowledge!",
            ));
        }
        let verb = if nack { "NACK" } else { "ACK" };
        if v12 {
            return frame.header("id").ok_or_else(|| {
                Failure::soft(if nack {
                    "NACK received without an ack header to acknowledge!"
                } else {
                    "ACK received without a ack id for acknowledge!"
                })
            });
        }
        let id = frame.header("message-id").ok_or_else(|| {
            Failure::soft(format!(
                "{verb} received without a message-id to acknowledge!"
            ))
        })?;
        if !nack && missing_subscription && self.version == Some(Version::V1_1) {
            return Err(Failure::soft(
                "ACK received without a subscription id for acknowledge!",
            ));
        }
        Ok(id)
    }

    /// Which consumers an ACK may be for, in the order to ask them. As
    /// ActiveMQ: 1.0 and 1.1 with a `subscription` ask only the subscription
    /// holding that id; 1.2 acks by a connection-wide id (the named
    /// subscription is asked first only because a topic message seen by two
    /// subscriptions shares our ack id); otherwise every consumer, including
    /// one whose id a later SUBSCRIBE reused.
    fn ack_candidates(&self, subscription: Option<&str>) -> Vec<(ConsumerId, AckMode)> {
        let named = subscription.and_then(|s| self.subs.get(s));
        let mut out: Vec<(ConsumerId, AckMode)> =
            named.map(|s| (s.consumer, s.ack)).into_iter().collect();
        if subscription.is_none() || self.version == Some(Version::V1_2) {
            out.extend(
                self.by_consumer
                    .iter()
                    .filter(|(c, _)| named.is_none_or(|s| s.consumer != **c))
                    .map(|(c, (_, a))| (*c, *a)),
            );
        }
        out
    }

    fn on_ack(&mut self, frame: &Frame, nack: bool) -> Result<(), Failure> {
        let id = self.ack_target(frame, nack)?;
        let id = MessageId::from(id);
        let tx = self.tx_header(frame)?;
        let candidates = self.ack_candidates(frame.header("subscription"));
        for (consumer, mode) in candidates {
            let ack = match (nack, mode) {
                (true, _) => Ack::Poison {
                    id: id.clone(),
                    cause: None,
                },
                (false, AckMode::Client) => Ack::Cumulative(id.clone()),
                (false, _) => Ack::Individual(id.clone()),
            };
            match self.broker.ack(consumer, ack, tx.as_ref()) {
                Ok(()) => return Ok(()),
                Err(BrokerError::UnknownMessage(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let verb = if nack { "NACK" } else { "ACK" };
        Err(Failure::soft(format!(
            "Unexpected {verb} received for message-id [{id}]"
        )))
    }

    /// Handles an event from the broker.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Deliver(d) => self.on_delivery(d),
            Event::ConsumerClosed { consumer, reason } => {
                if let Some((id, _)) = self.by_consumer.remove(&consumer) {
                    if self.subs.get(&id).is_some_and(|s| s.consumer == consumer) {
                        self.subs.remove(&id);
                    }
                    self.error(
                        &Failure::soft(format!("Subscription {id} closed: {reason}")),
                        None,
                    );
                }
            }
        }
    }

    fn on_delivery(&mut self, d: Delivery) {
        let Some((sub_id, mode)) = self.by_consumer.get(&d.consumer) else {
            // Unsubscribed while the delivery was on its way; the broker
            // already took the message back.
            return;
        };
        let (sub_id, mode) = (sub_id.clone(), *mode);
        self.write_message(&sub_id, &d.message, d.redelivered());
        if mode == AckMode::Auto {
            let m = &d.message;
            match self.auto_acks.iter_mut().find(|(c, _)| *c == d.consumer) {
                Some(slot) => slot.1 = m.id.clone(),
                None => self.auto_acks.push((d.consumer, m.id.clone())),
            }
        }
    }

    /// A MESSAGE frame for subscription `sub_id`, with ActiveMQ's headers.
    fn write_message(&mut self, sub_id: &str, m: &broker::Message, redelivered: bool) {
        let dest = self.temps.header(&m.destination);
        let expires = m.expiration.to_string();
        let priority = m.priority.to_string();
        let timestamp = m.timestamp.to_string();
        let reply_to = m.reply_to.as_ref().map(|r| self.temps.header(r));
        let original = m
            .original_destination
            .as_ref()
            .map(|r| self.temps.header(r));
        let props: Vec<(&str, String)> = m
            .properties
            .iter()
            // A JMS message field, which ActiveMQ's STOMP frames do not show.
            .filter(|(k, _)| &**k != "JMSXGroupFirstForConsumer")
            .map(|(k, v)| (&**k, v.to_header_string()))
            .collect();
        let (body, is_bytes): (&[u8], bool) = match &m.body {
            Body::Empty => (b"", false),
            Body::Text(t) => (t.as_bytes(), false),
            Body::Bytes(b) => (b, true),
            Body::Opaque { data, .. } => (data, true),
        };
        let len = body.len().to_string();
        let mut h: Vec<(&str, &str)> = Vec::with_capacity(12 + props.len());
        h.push(("message-id", m.id.as_str()));
        h.push(("destination", &dest));
        h.push(("subscription", sub_id));
        if self.version == Some(Version::V1_2) {
            h.push(("ack", m.id.as_str()));
        }
        if is_bytes {
            h.push(("content-length", &len));
        }
        h.push(("expires", &expires));
        h.push(("priority", &priority));
        h.push(("timestamp", &timestamp));
        if m.persistent {
            h.push(("persistent", "true"));
        }
        if redelivered {
            h.push(("redelivered", "true"));
        }
        if let Some(c) = &m.correlation_id {
            h.push(("correlation-id", c));
        }
        if let Some(t) = &m.message_type {
            h.push(("type", t));
        }
        if let Some(r) = &reply_to {
            h.push(("reply-to", r));
        }
        if let Some(o) = &original {
            h.push(("original-destination", o));
        }
        for (k, v) in &props {
            h.push((k, v));
        }
        stomp::write_frame(&mut self.out, self.version, Command::Message, &h, body);
    }

    /// Acknowledges what auto-ack subscriptions were sent, once it is
    /// written: this keeps a stalled reader's backlog inside its prefetch
    /// window instead of in our write buffer.
    pub fn after_flush(&mut self) {
        for (consumer, id) in self.auto_acks.drain(..) {
            // The subscription may have closed meanwhile; nothing to ack then.
            let _ = self.broker.ack(consumer, Ack::Cumulative(id), None);
        }
    }

    /// Whether the client must still wait before more of its frames are
    /// read; clears the throttle once its destination has caught up.
    pub fn throttled(&mut self) -> bool {
        self.broker.still_throttled(&mut self.throttle)
    }

    /// Releases everything this connection held in the broker.
    pub fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.broker.disconnect(conn);
        }
    }

    /// A body-less MESSAGE header set is handy in tests.
    #[cfg(test)]
    pub fn take_out(&mut self) -> Bytes {
        self.out.split().freeze()
    }
}

/// Picks the highest version both sides speak. No `accept-version` is a 1.0 client.
/// A SUBSCRIBE's selector as ActiveMQ's STOMP layer passes it on: every
/// header is text, so its comparisons convert strings to numbers.
fn stomp_selector(frame: &Frame) -> Option<String> {
    frame
        .header("selector")
        .map(|s| format!("{}{s}", broker::CONVERT_STRING_EXPRESSIONS))
}

fn negotiate(accept: Option<&str>) -> Result<Version, Failure> {
    let Some(accept) = accept else {
        return Ok(Version::V1_0);
    };
    accept
        .split(',')
        .filter_map(|v| Version::parse(v.trim()))
        .max()
        .ok_or_else(|| {
            Failure::fatal(format!(
                "Invalid Protocol version[{accept}], supported versions are: 1.0,1.1,1.2"
            ))
        })
}

/// Parses `heart-beat: cx,cy`. Missing means `0,0`.
fn parse_heart_beat(h: Option<&str>) -> Result<(u64, u64), Failure> {
    let Some(h) = h else {
        return Ok((0, 0));
    };
    let bad = || Failure::fatal(format!("Heart-beat header value is invalid: {h}"));
    let (a, b) = h.split_once(',').ok_or_else(bad)?;
    let a = a.trim().parse::<u64>().map_err(|_| bad())?;
    let b = b.trim().parse::<u64>().map_err(|_| bad())?;
    Ok((a, b))
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
