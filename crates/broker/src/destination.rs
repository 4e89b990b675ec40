//! Destinations as the core sees them: a kind and a name, with no protocol
//! prefix. `/queue/a` (STOMP) and `queue://a` (OpenWire) both become
//! `Destination::queue("a")`.

use std::fmt;
use std::sync::Arc;

/// The four JMS destination kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DestinationKind {
    Queue,
    Topic,
    /// Lives as long as the connection that created it.
    TempQueue,
    /// Lives as long as the connection that created it.
    TempTopic,
}

impl DestinationKind {
    /// Queues (temporary or not) hand each message to one consumer; topics to all.
    pub fn is_queue(self) -> bool {
        matches!(self, DestinationKind::Queue | DestinationKind::TempQueue)
    }

    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            DestinationKind::TempQueue | DestinationKind::TempTopic
        )
    }
}

/// A destination. Cheap to clone: the name is shared.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Destination {
    pub kind: DestinationKind,
    pub name: Arc<str>,
}

impl Destination {
    pub fn new(kind: DestinationKind, name: impl Into<Arc<str>>) -> Destination {
        Destination {
            kind,
            name: name.into(),
        }
    }

    pub fn queue(name: impl Into<Arc<str>>) -> Destination {
        Destination::new(DestinationKind::Queue, name)
    }

    pub fn topic(name: impl Into<Arc<str>>) -> Destination {
        Destination::new(DestinationKind::Topic, name)
    }

    pub fn is_queue(&self) -> bool {
        self.kind.is_queue()
    }

    pub fn is_temporary(&self) -> bool {
        self.kind.is_temporary()
    }

    /// Where poison messages go unless a destination policy says otherwise,
    /// as in ActiveMQ's default `sharedDeadLetterStrategy`.
    pub fn dead_letter_queue() -> Destination {
        Destination::queue("ActiveMQ.DLQ")
    }
}

/// ActiveMQ's own URI-like spelling (`queue://a`), used in logs and errors.
impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.kind {
            DestinationKind::Queue => "queue",
            DestinationKind::Topic => "topic",
            DestinationKind::TempQueue => "temp-queue",
            DestinationKind::TempTopic => "temp-topic",
        };
        write!(f, "{scheme}://{}", self.name)
    }
}
