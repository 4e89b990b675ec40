//! Which local consumers a bridge keeps for its peer's consumers.
//!
//! The peer announces its consumers (ActiveMQ consumer advisories); for
//! each one this broker should forward to, the bridge holds a consumer of
//! its own here whose messages it sends across. With conduit
//! subscriptions (the default) one local consumer stands for every peer
//! consumer of a destination, without a selector, as ActiveMQ's
//! ConduitBridge does; otherwise one per peer consumer, with its selector.
//!
//! Pure bookkeeping: the bridge feeds in what the peer says and carries
//! out the [`Change`]s; no sockets, no broker.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use broker::destination::Destination;
use broker::{ForwardFilter, SubscribeRequest};

/// A consumer on the peer broker, as its advisory describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteConsumer {
    /// Its ConsumerId, as a string.
    pub id: String,
    pub destination: Destination,
    pub selector: Option<String>,
    pub priority: i8,
    /// The brokers its demand already passed through (nearest last).
    pub broker_path: Vec<Arc<str>>,
    /// Whether it is itself a bridge's consumer.
    pub network_subscription: bool,
    /// The consumers it stands for when it is a bridge's (ActiveMQ's
    /// networkConsumerIds): how duplicate routes to one consumer are told.
    pub network_consumers: Vec<Arc<str>>,
    pub browser: bool,
    /// A durable topic subscriber's subscription name, and its client id.
    pub durable: Option<String>,
    pub client_id: Option<String>,
}

/// The settings that shape demand (from the connector's configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct DemandRules {
    /// This broker's id: demand that passed through here is a loop.
    pub local_broker: Arc<str>,
    /// This broker's name (in the names of durable bridge subscriptions).
    pub local_name: String,
    /// ActiveMQ's consumerTTL: demand from further than this is ignored
    /// (negative: no limit).
    pub consumer_ttl: i32,
    /// ActiveMQ's messageTTL, for the local consumers' forward rule.
    pub message_ttl: i32,
    pub conduit: bool,
    pub decrease_priority: bool,
    pub consumer_priority_base: i32,
    pub prefetch: u32,
    pub bridge_temp_destinations: bool,
    /// ActiveMQ's suppressDuplicateQueueSubscriptions and
    /// suppressDuplicateTopicSubscriptions (see [`duplicate_route`]).
    pub suppress_duplicate_queues: bool,
    pub suppress_duplicate_topics: bool,
    /// Never forwarded, even when included.
    pub excluded: Vec<Destination>,
    /// Forwarded whether or not the peer has consumers (and always allowed).
    pub statically_included: Vec<Destination>,
    /// When not empty, only these follow the peer's demand.
    pub dynamically_included: Vec<Destination>,
}

impl DemandRules {
    /// ActiveMQ's isPermissableDestination: exclusions first, then the
    /// static and dynamic inclusions; temporary destinations by
    /// `bridgeTempDestinations`.
    pub fn permits(&self, d: &Destination) -> bool {
        if d.is_temporary() {
            return self.bridge_temp_destinations;
        }
        if d.covered_by(&self.excluded) {
            return false;
        }
        if d.covered_by(&self.statically_included) {
            return true;
        }
        self.dynamically_included.is_empty() || d.covered_by(&self.dynamically_included)
    }
}

/// What the bridge must do with its local consumers.
#[derive(Clone, Debug)]
pub enum Change {
    /// Subscribe here on the peer's behalf; `key` names the consumer in
    /// later changes.
    Subscribe {
        key: u64,
        request: Box<SubscribeRequest>,
    },
    Unsubscribe {
        key: u64,
    },
    /// A durable local subscription's last peer subscriber went offline:
    /// close its consumer, keep the subscription (messages wait in it).
    Deactivate {
        key: u64,
    },
    /// The peer deleted its durable subscriptions on `topic`: delete the
    /// local one named `name` too.
    RemoveDurable {
        key: u64,
        name: String,
    },
}

/// Why a peer consumer makes no demand here (logged at debug).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    Browser,
    TooManyHops,
    Loop,
    NotPermitted,
    Duplicate,
}

/// One local consumer and the peer consumers it stands for.
#[derive(Debug)]
struct LocalSub {
    destination: Destination,
    /// For conduit matching: a destination pattern of a statically
    /// included subscription covers the consumers it matches.
    remotes: Vec<String>,
    /// Made for a statically included destination: never removed by the
    /// peer's consumers leaving.
    fixed: bool,
    /// Its first peer consumer was itself a bridge (for ActiveMQ's rule
    /// that such queue subscriptions are not conduited).
    network: bool,
    /// For durable demand: the local durable subscription's name, and the
    /// peer's durable subscriptions (client id, name) it stands for, which
    /// outlive their consumers.
    durable: Option<(String, Vec<(String, String)>)>,
}

/// The bridge's demand bookkeeping for one peer.
#[derive(Debug)]
pub struct Demand {
    rules: DemandRules,
    /// The peer's broker id, set once its BrokerInfo arrived.
    peer: Arc<str>,
    // Ordered, so which subscription a conduit joins never depends on hashing
    // (the simulator replays seeds exactly).
    subs: BTreeMap<u64, LocalSub>,
    /// Which local consumer each peer consumer is counted in.
    by_remote: HashMap<String, u64>,
    next_key: u64,
}

impl Demand {
    /// ActiveMQ's DurableConduitBridge name for this broker's durable
    /// subscription standing for a peer's durable subscribers of `topic`.
    pub fn durable_name(&self, topic: &Destination) -> String {
        format!("NC-DS_{}_{}", self.rules.local_name, topic.name)
    }

    pub fn new(rules: DemandRules, peer: Arc<str>) -> Demand {
        Demand {
            rules,
            peer,
            subs: BTreeMap::new(),
            by_remote: HashMap::new(),
            next_key: 0,
        }
    }

    /// The local consumers for statically included destinations, made at
    /// start whatever the peer's consumers.
    pub fn start(&mut self) -> Vec<Change> {
        let fixed = self.rules.statically_included.clone();
        fixed
            .into_iter()
            .map(|d| {
                let request = self.request(&d, None, &[], 0, Vec::new());
                self.insert(d, None, true, false, request)
            })
            .collect()
    }

    /// A peer consumer appeared.
    ///
    /// # Errors
    /// Why it makes no demand here.
    pub fn add(&mut self, c: &RemoteConsumer) -> Result<Option<Change>, Ignored> {
        if c.browser {
            return Err(Ignored::Browser);
        }
        let hops = i64::try_from(c.broker_path.len()).unwrap_or(i64::MAX);
        if self.rules.consumer_ttl >= 0 && hops >= i64::from(self.rules.consumer_ttl) {
            return Err(Ignored::TooManyHops);
        }
        if c.broker_path.contains(&self.rules.local_broker) {
            return Err(Ignored::Loop);
        }
        if !self.rules.permits(&c.destination) {
            return Err(Ignored::NotPermitted);
        }
        if self.by_remote.contains_key(&c.id) {
            return Err(Ignored::Duplicate);
        }
        if let (Some(sub), false) = (&c.durable, c.destination.is_queue()) {
            return Ok(self.add_durable(c, sub));
        }
        if self.rules.conduit {
            let can_join = !(c.network_subscription && c.destination.is_queue());
            let existing = self.subs.iter_mut().find(|(_, s)| {
                s.durable.is_none()
                    && conduits(s)
                    && can_join
                    && pattern_covers(&s.destination, &c.destination)
            });
            if let Some((key, sub)) = existing {
                sub.remotes.push(c.id.clone());
                self.by_remote.insert(c.id.clone(), *key);
                return Ok(None);
            }
        }
        let selector = if self.rules.conduit {
            None
        } else {
            c.selector.clone()
        };
        let mut consumers = c.network_consumers.clone();
        consumers.push(Arc::from(c.id.as_str()));
        let request = self.request(
            &c.destination,
            selector,
            &c.broker_path,
            c.priority,
            consumers,
        );
        let change = self.insert(
            c.destination.clone(),
            Some(c.id.clone()),
            false,
            c.network_subscription,
            request,
        );
        Ok(Some(change))
    }

    /// A peer durable subscriber: one durable local subscription per topic
    /// stands for all of them (ActiveMQ's DurableConduitBridge), and stays
    /// when they go offline so that messages wait for them here.
    fn add_durable(&mut self, c: &RemoteConsumer, sub: &str) -> Option<Change> {
        let client = c.client_id.clone().unwrap_or_default();
        let existing = self
            .subs
            .iter_mut()
            .find(|(_, s)| s.durable.is_some() && s.destination == c.destination);
        if let Some((key, local)) = existing {
            let key = *key;
            let reactivate = local.remotes.is_empty();
            local.remotes.push(c.id.clone());
            if let Some((_, peers)) = local.durable.as_mut() {
                if !peers.iter().any(|(cl, n)| *cl == client && n == sub) {
                    peers.push((client, sub.to_string()));
                }
            }
            self.by_remote.insert(c.id.clone(), key);
            if !reactivate {
                return None;
            }
            let name = self.durable_name(&c.destination);
            let mut request =
                self.request(&c.destination, None, &c.broker_path, c.priority, Vec::new());
            request.durable_name = Some(name);
            return Some(Change::Subscribe {
                key,
                request: Box::new(request),
            });
        }
        let name = self.durable_name(&c.destination);
        let mut consumers = c.network_consumers.clone();
        consumers.push(Arc::from(c.id.as_str()));
        let mut request = self.request(&c.destination, None, &c.broker_path, c.priority, consumers);
        request.durable_name = Some(name.clone());
        let change = self.insert(
            c.destination.clone(),
            Some(c.id.clone()),
            false,
            false,
            request,
        );
        if let Change::Subscribe { key, .. } = &change {
            if let Some(local) = self.subs.get_mut(key) {
                local.durable = Some((name, vec![(client, sub.to_string())]));
            }
        }
        Some(change)
    }

    /// A peer consumer went away; the local consumer goes when it stood
    /// for nobody else (a durable one only goes offline).
    pub fn remove(&mut self, remote_id: &str) -> Option<Change> {
        let key = self.by_remote.remove(remote_id)?;
        let sub = self.subs.get_mut(&key)?;
        sub.remotes.retain(|r| r != remote_id);
        if sub.remotes.is_empty() && sub.durable.is_some() {
            return Some(Change::Deactivate { key });
        }
        if sub.remotes.is_empty() && !sub.fixed {
            self.subs.remove(&key);
            return Some(Change::Unsubscribe { key });
        }
        None
    }

    /// The peer deleted a durable subscription on `topic`; the local one
    /// goes once it stands for none of the peer's.
    pub fn remove_durable(
        &mut self,
        topic: &Destination,
        client_id: &str,
        name: &str,
    ) -> Option<Change> {
        let (key, local) = self
            .subs
            .iter_mut()
            .find(|(_, s)| s.durable.is_some() && s.destination == *topic)?;
        let key = *key;
        let (local_name, peers) = local.durable.as_mut()?;
        peers.retain(|(c, n)| !(c == client_id && n == name));
        if !peers.is_empty() {
            return None;
        }
        let name = local_name.clone();
        let remotes = std::mem::take(&mut local.remotes);
        self.subs.remove(&key);
        for r in remotes {
            self.by_remote.remove(&r);
        }
        Some(Change::RemoveDurable { key, name })
    }

    /// Drops a subscription the bridge decided not to make (a duplicate
    /// route): its peer consumers make no demand here any more.
    pub fn forget(&mut self, key: u64) {
        if let Some(sub) = self.subs.remove(&key) {
            for r in sub.remotes {
                self.by_remote.remove(&r);
            }
        }
    }

    /// How many local consumers the bridge holds.
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    fn insert(
        &mut self,
        destination: Destination,
        remote: Option<String>,
        fixed: bool,
        network: bool,
        request: SubscribeRequest,
    ) -> Change {
        self.next_key += 1;
        let key = self.next_key;
        if let Some(r) = &remote {
            self.by_remote.insert(r.clone(), key);
        }
        self.subs.insert(
            key,
            LocalSub {
                destination,
                remotes: remote.into_iter().collect(),
                fixed,
                network,
                durable: None,
            },
        );
        Change::Subscribe {
            key,
            request: Box::new(request),
        }
    }

    /// The local consumer for demand on `dest` that came through `path`.
    fn request(
        &self,
        dest: &Destination,
        selector: Option<String>,
        path: &[Arc<str>],
        priority: i8,
        consumers: Vec<Arc<str>>,
    ) -> SubscribeRequest {
        let mut req = SubscribeRequest::new(dest.clone());
        req.prefetch = self.rules.prefetch;
        req.selector = selector;
        let mut broker_path = path.to_vec();
        if !broker_path.contains(&self.peer) {
            broker_path.push(Arc::clone(&self.peer));
        }
        // As ActiveMQ: the remote consumer's priority, or with
        // decreaseNetworkConsumerPriority the base lowered by the length
        // of the path (peer included) so that nearer consumers are preferred.
        req.priority = if self.rules.decrease_priority {
            let mut p = self.rules.consumer_priority_base;
            if broker_path.len() > 1 {
                p -= i32::try_from(broker_path.len()).unwrap_or(i32::MAX - 1) + 1;
            }
            i8::try_from(p.clamp(i32::from(i8::MIN), i32::from(i8::MAX))).unwrap_or(0)
        } else {
            priority
        };
        req.network = broker::Network {
            subscription: true,
            broker_path,
            consumer_path: consumers,
        };
        req.forward = Some(ForwardFilter {
            peer: Arc::clone(&self.peer),
            message_ttl: self.rules.message_ttl,
            // Ferrum's default (ActiveMQ needs a destination policy, its
            // ConditionalNetworkBridgeFilterFactory): queue messages follow
            // consumers that moved.
            replay_when_no_consumers: true,
        });
        req
    }
}

/// ActiveMQ's duplicateSuppressionIsRequired: whether a bridge consumer
/// about to be made reaches consumers that another bridge consumer of
/// this broker (`existing`, the demand now) already reaches, at no lower
/// priority. In a cycle each consumer's demand arrives by every route;
/// only the first is kept, so a topic message is delivered once.
pub fn duplicate_route(
    candidate: &SubscribeRequest,
    existing: &[Arc<broker::Interest>],
    suppress_queues: bool,
    suppress_topics: bool,
) -> bool {
    let suppress = if candidate.destination.is_queue() {
        suppress_queues
    } else {
        suppress_topics
    };
    if !suppress || candidate.network.consumer_path.is_empty() {
        return false;
    }
    existing
        .iter()
        .filter(|i| i.destination == candidate.destination && !i.network.consumer_path.is_empty())
        .find(|i| {
            i.network
                .consumer_path
                .iter()
                .any(|c| candidate.network.consumer_path.contains(c))
        })
        .is_some_and(|i| i.priority >= candidate.priority)
}

/// ActiveMQ's canConduit: statically included subscriptions, topics, and
/// queue demand from plain consumers take more peer consumers.
fn conduits(s: &LocalSub) -> bool {
    s.fixed || !s.destination.is_queue() || !s.network
}

/// Whether a subscription on `pattern` receives what a consumer of
/// `dest` wants (the same destination, or a wildcard over it).
fn pattern_covers(pattern: &Destination, dest: &Destination) -> bool {
    pattern == dest || pattern.matches(dest)
}

/// Compared by key and destination: enough to tell changes apart, and
/// SubscribeRequest carries an opaque protocol description.
impl PartialEq for Change {
    fn eq(&self, other: &Change) -> bool {
        match (self, other) {
            (Change::Unsubscribe { key: a }, Change::Unsubscribe { key: b })
            | (Change::Deactivate { key: a }, Change::Deactivate { key: b }) => a == b,
            (
                Change::RemoveDurable { key: a, name: na },
                Change::RemoveDurable { key: b, name: nb },
            ) => a == b && na == nb,
            (
                Change::Subscribe {
                    key: a,
                    request: ra,
                },
                Change::Subscribe {
                    key: b,
                    request: rb,
                },
            ) => a == b && ra.destination == rb.destination,
            _ => false,
        }
    }
}

#[cfg(test)]
#[path = "demand_tests.rs"]
mod tests;
