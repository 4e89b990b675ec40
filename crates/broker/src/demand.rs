//! Demand: who wants messages from which destination.
//!
//! A network bridge forwards a destination's messages to a peer broker only
//! while that peer has consumers for it, and ActiveMQ's consumer advisories
//! announce exactly that. Here the core says it directly: a watcher is told
//! when interest in a destination appears and when it goes, and can ask
//! for what exists now. One consumer is one interest per destination it
//! takes from (each part of a composite destination is its own).
//!
//! Watchers are channels: the core never waits on them, and a watcher that
//! has gone away is forgotten at the next event.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::destination::Destination;
use crate::ConsumerId;
use model::{ConsumerAbout, Network};

/// Interest of one consumer in one destination.
#[derive(Clone, Debug, PartialEq)]
pub struct Interest {
    pub consumer: ConsumerId,
    /// One destination (a part of a composite one; may be a wildcard).
    pub destination: Destination,
    pub selector: Option<Arc<str>>,
    /// Whether the consumer is itself a bridge, and the brokers it stands for.
    pub network: Network,
    pub priority: i8,
    /// Everything else about the consumer, as advisories describe it.
    pub about: Arc<ConsumerAbout>,
}

/// A change in demand.
#[derive(Clone, Debug, PartialEq)]
pub enum DemandEvent {
    Added(Arc<Interest>),
    Removed(Arc<Interest>),
}

/// Where demand changes go: whoever asked through
/// [`crate::Broker::watch_demand`].
#[derive(Default)]
pub(crate) struct DemandWatchers {
    watchers: Vec<mpsc::UnboundedSender<DemandEvent>>,
}

impl DemandWatchers {
    pub fn watch(&mut self) -> mpsc::UnboundedReceiver<DemandEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.watchers.push(tx);
        rx
    }

    /// Whether anybody listens (so the caller can skip building events).
    pub fn any(&self) -> bool {
        !self.watchers.is_empty()
    }

    pub fn tell(&mut self, event: &DemandEvent) {
        self.watchers.retain(|w| w.send(event.clone()).is_ok());
    }
}

/// The interests of a consumer about `about`, taking from `parts`.
pub(crate) fn interests(
    consumer: ConsumerId,
    parts: &[Destination],
    about: &Arc<ConsumerAbout>,
) -> Vec<Arc<Interest>> {
    parts
        .iter()
        .map(|d| {
            Arc::new(Interest {
                consumer,
                destination: d.clone(),
                selector: about.selector.clone(),
                network: about.network.clone(),
                priority: about.priority,
                about: Arc::clone(about),
            })
        })
        .collect()
}
