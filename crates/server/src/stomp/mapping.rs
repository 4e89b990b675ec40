//! STOMP ⇄ core translation: destination names and the headers that carry
//! JMS message fields, as ActiveMQ's STOMP translator maps them.

use std::collections::HashMap;

use broker::{Broker, ConnectionId, Destination, DestinationKind};

/// Headers the translator turns into message fields (or that only steer the
/// frame); every other SEND header travels as a string property.
pub const RESERVED_SEND_HEADERS: &[&str] = &[
    "destination",
    "content-length",
    "receipt",
    "transaction",
    "correlation-id",
    "expires",
    "priority",
    "type",
    "persistent",
    "reply-to",
    "message-id",
    "timestamp",
    "redelivered",
    "subscription",
    "ack",
];

/// Why a destination header was refused.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    #[error("Illegal destination name: [{0}] -- the destination name is empty")]
    Empty(String),
    #[error("{0}")]
    Broker(#[from] broker::BrokerError),
}

/// The temporary destinations a STOMP connection named. A client says
/// `/temp-queue/reply`; the broker needs a broker-wide unique destination,
/// and other connections see it as `/remote-temp-queue/<that name>`.
#[derive(Default)]
pub struct TempNames {
    by_name: HashMap<(DestinationKind, String), Destination>,
    by_dest: HashMap<Destination, String>,
}

impl TempNames {
    /// Parses a destination header, creating this connection's temporary
    /// destinations on first use.
    ///
    /// # Errors
    /// A header without a known prefix, or an empty name.
    pub fn resolve(
        &mut self,
        header: &str,
        broker: &Broker,
        conn: ConnectionId,
    ) -> Result<Destination, DestinationError> {
        if header.contains(',') {
            return composite(header);
        }
        let (kind, name, local_temp) = split(header)?;
        if !local_temp {
            return Ok(Destination::new(kind, name));
        }
        let key = (kind, name.to_string());
        if let Some(d) = self.by_name.get(&key) {
            return Ok(d.clone());
        }
        let dest = broker.create_temporary(conn, kind)?;
        self.by_dest.insert(dest.clone(), header.to_string());
        self.by_name.insert(key, dest.clone());
        Ok(dest)
    }

    /// The header a destination shows as to this connection.
    pub fn header(&self, dest: &Destination) -> String {
        if let Some(h) = self.by_dest.get(dest) {
            return h.clone();
        }
        let prefix = match dest.kind {
            DestinationKind::Queue => "/queue/",
            DestinationKind::Topic => "/topic/",
            DestinationKind::TempQueue => "/remote-temp-queue/",
            DestinationKind::TempTopic => "/remote-temp-topic/",
        };
        format!("{prefix}{}", dest.name)
    }
}

/// `/queue/a,/topic/b` (ActiveMQ's composite destination): the core's
/// composite form of the first part's kind, later parts qualified,
/// `a,topic://b` (`/queue/a,/queue/b` is `a,queue://b`, as ActiveMQ's STOMP
/// layer names it: advisories about the consumer show that name).
fn composite(header: &str) -> Result<Destination, DestinationError> {
    let mut kind = None;
    let mut parts = Vec::new();
    for part in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, name, _) = split(part)?;
        let k = match k {
            DestinationKind::TempQueue => DestinationKind::Queue,
            DestinationKind::TempTopic => DestinationKind::Topic,
            k => k,
        };
        let first = kind.is_none();
        kind.get_or_insert(k);
        parts.push(match (first, k) {
            (true, _) => name.to_string(),
            (false, DestinationKind::Topic) => format!("topic://{name}"),
            (false, _) => format!("queue://{name}"),
        });
    }
    let kind = kind.ok_or_else(|| DestinationError::Empty(header.to_string()))?;
    Ok(Destination::new(kind, parts.join(",")))
}

/// Splits a destination header into kind, name, and whether it names one of
/// this connection's own temporary destinations.
fn split(header: &str) -> Result<(DestinationKind, &str, bool), DestinationError> {
    const PREFIXES: &[(&str, DestinationKind, bool)] = &[
        ("/queue/", DestinationKind::Queue, false),
        ("/topic/", DestinationKind::Topic, false),
        ("/temp-queue/", DestinationKind::TempQueue, true),
        ("/temp-topic/", DestinationKind::TempTopic, true),
        ("/remote-temp-queue/", DestinationKind::TempQueue, false),
        ("/remote-temp-topic/", DestinationKind::TempTopic, false),
    ];
    for (prefix, kind, local) in PREFIXES {
        if let Some(name) = header.strip_prefix(prefix) {
            if name.is_empty() {
                return Err(DestinationError::Empty(header.to_string()));
            }
            return Ok((*kind, name, *local));
        }
    }
    // ActiveMQ takes any other name as a queue of that exact name
    // (`/foo/bar`, `queue/x`); clients written against it rely on that.
    if header.is_empty() {
        return Err(DestinationError::Empty(header.to_string()));
    }
    Ok((DestinationKind::Queue, header, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_map_to_kinds() {
        assert!(matches!(
            split("/queue/a.b"),
            Ok((DestinationKind::Queue, "a.b", false))
        ));
        assert!(matches!(
            split("/topic/t"),
            Ok((DestinationKind::Topic, "t", false))
        ));
        assert!(matches!(
            split("/temp-queue/r"),
            Ok((DestinationKind::TempQueue, "r", true))
        ));
        assert!(matches!(
            split("/remote-temp-topic/ID:x:1"),
            Ok((DestinationKind::TempTopic, "ID:x:1", false))
        ));
        assert!(matches!(
            split("/foo/bar"),
            Ok((DestinationKind::Queue, "/foo/bar", false))
        ));
        assert!(matches!(
            split("queue/x"),
            Ok((DestinationKind::Queue, "queue/x", false))
        ));
        assert!(matches!(split(""), Err(DestinationError::Empty(_))));
        assert!(matches!(split("/queue/"), Err(DestinationError::Empty(_))));
    }

    #[test]
    fn own_temporaries_show_by_their_local_name_others_as_remote() {
        let broker = Broker::in_memory();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let conn = broker.connect(Default::default(), tx).expect("connect");
        let mut mine = TempNames::default();
        let d = mine
            .resolve("/temp-queue/reply", &broker, conn)
            .expect("temp");
        assert_eq!(d.kind, DestinationKind::TempQueue);
        assert_eq!(
            mine.resolve("/temp-queue/reply", &broker, conn)
                .expect("again"),
            d
        );
        assert_eq!(mine.header(&d), "/temp-queue/reply");
        let theirs = TempNames::default();
        let remote = theirs.header(&d);
        assert_eq!(remote, format!("/remote-temp-queue/{}", d.name));
        assert_eq!(
            TempNames::default()
                .resolve(&remote, &broker, conn)
                .expect("remote"),
            d
        );
    }
}
