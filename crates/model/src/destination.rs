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

    /// Whether the name is a wildcard pattern (`*` one segment, `>` the rest).
    pub fn is_wildcard(&self) -> bool {
        self.name.split('.').any(|s| s == "*" || s == ">")
    }

    /// Whether this pattern (of the same kind) covers `other`. `.`
    /// separates segments, `*` matches one, `>` any number including none,
    /// so `X.>` matches `X` itself, as in ActiveMQ.
    pub fn matches(&self, other: &Destination) -> bool {
        if self.kind != other.kind {
            return false;
        }
        let mut want = self.name.split('.');
        let mut have = other.name.split('.');
        loop {
            match (want.next(), have.next()) {
                (Some(">"), _) => return true,
                (Some("*"), Some(_)) => {}
                (Some(w), Some(h)) if w == h => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }

    /// Whether any of `patterns` (per-destination policy entries) covers
    /// this destination; a plain name covers only itself.
    pub fn covered_by(&self, patterns: &[Destination]) -> bool {
        patterns.iter().any(|p| p.matches(self))
    }

    /// The parts of a composite destination (`A,B`; a part may name its
    /// kind, `queue://A,topic://B`, else it has this one's), or `None`.
    pub fn composite_parts(&self) -> Option<Vec<Destination>> {
        // Advisory topics about a composite destination write its commas
        // as `&sbquo;` (see broker's `advisory_topic`), so a comma always
        // separates parts, as the Java client's own
        // `ActiveMQ.Advisory.TempQueue,ActiveMQ.Advisory.TempTopic` does.
        if !self.name.contains(',') || self.is_temporary() {
            return None;
        }
        let parts = self
            .name
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                if let Some(q) = p.strip_prefix("queue://") {
                    Destination::queue(q)
                } else if let Some(t) = p.strip_prefix("topic://") {
                    Destination::topic(t)
                } else {
                    Destination::new(self.kind, p)
                }
            })
            .collect();
        Some(parts)
    }

    /// Where poison messages go unless a destination policy says otherwise,
    /// as in ActiveMQ's default `sharedDeadLetterStrategy`.
    pub fn dead_letter_queue() -> Destination {
        Destination::queue("ActiveMQ.DLQ")
    }

    /// This destination's own dead-letter queue, as ActiveMQ's
    /// `individualDeadLetterStrategy` names it: `ActiveMQ.DLQ.Queue.<name>`
    /// or `ActiveMQ.DLQ.Topic.<name>`.
    pub fn individual_dead_letter_queue(&self) -> Destination {
        let kind = if self.is_queue() { "Queue" } else { "Topic" };
        Destination::queue(format!("ActiveMQ.DLQ.{kind}.{}", self.name))
    }

    /// Whether this is a dead-letter queue (shared or individual).
    pub fn is_dead_letter_queue(&self) -> bool {
        self.kind == DestinationKind::Queue
            && (&*self.name == "ActiveMQ.DLQ" || self.name.starts_with("ActiveMQ.DLQ."))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_in_activemq() {
        let t = |s: &str| Destination::topic(s);
        assert!(t("a.*").matches(&t("a.b")));
        assert!(!t("a.*").matches(&t("a.b.c")));
        assert!(!t("a.*").matches(&t("a")));
        assert!(t("a.>").matches(&t("a.b.c")));
        assert!(t("a.>").matches(&t("a")));
        assert!(t(">").matches(&t("anything.at.all")));
        assert!(t("a.*.c").matches(&t("a.b.c")));
        assert!(!t("a.*.c").matches(&t("a.b.d")));
        assert!(!t("a.b").matches(&t("a.b.c")));
        assert!(!t("a.>").matches(&Destination::queue("a.b")));
        assert!(t("ActiveMQ.Advisory.Consumer.>").is_wildcard());
        assert!(!t("a.b").is_wildcard());
    }
}
