//! The OpenWire commands a bridge sends to its peer, and what it reads
//! from the peer's consumer advisories. Built as ActiveMQ's
//! DemandForwardingBridgeSupport builds them, so that an ActiveMQ 5.x
//! peer sees a bridge like its own.

use std::sync::Arc;

use broker::destination::Destination;
use broker::Message;
use openwire::{DataStructure, OwString};
use openwire_adapter::{broker_path, destination, id_string, path_of, to_wire, wire_destination};

use crate::demand::RemoteConsumer;

fn s(v: &str) -> Option<OwString> {
    Some(OwString::from(v))
}

/// The ids of one bridge connection: connection, session 1, producer 1,
/// consumer 1 (the advisory consumer), as ActiveMQ numbers them.
#[derive(Clone, Debug)]
pub struct BridgeIds {
    pub connection: String,
}

impl BridgeIds {
    pub fn connection_id(&self) -> DataStructure {
        DataStructure::ConnectionId(Arc::new(openwire::ConnectionId {
            value: s(&self.connection),
        }))
    }

    pub fn session_id(&self) -> DataStructure {
        DataStructure::SessionId(Arc::new(openwire::SessionId {
            connection_id: s(&self.connection),
            value: 1,
        }))
    }

    pub fn producer_id(&self) -> DataStructure {
        DataStructure::ProducerId(Arc::new(openwire::ProducerId {
            connection_id: s(&self.connection),
            session_id: 1,
            value: 1,
        }))
    }

    pub fn advisory_consumer_id(&self) -> DataStructure {
        DataStructure::ConsumerId(Arc::new(openwire::ConsumerId {
            connection_id: s(&self.connection),
            session_id: 1,
            value: 1,
        }))
    }
}

/// What the bridge says about its own broker.
pub struct LocalBroker<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub duplex: bool,
    /// The connector's settings as `key=value` lines (ActiveMQ sends them
    /// so a duplex peer can configure its half alike).
    pub network_properties: String,
}

/// BrokerInfo with `networkConnection` set: tells the peer a bridge, not
/// a client, is connecting.
pub fn broker_info(local: &LocalBroker<'_>) -> DataStructure {
    DataStructure::BrokerInfo(Arc::new(openwire::BrokerInfo {
        broker_id: Some(broker_id(local.id)),
        broker_name: s(local.name),
        network_connection: true,
        duplex_connection: local.duplex,
        network_properties: (!local.network_properties.is_empty())
            .then(|| OwString::from(local.network_properties.as_str())),
        ..Default::default()
    }))
}

pub fn broker_id(id: &str) -> DataStructure {
    DataStructure::BrokerId(Arc::new(openwire::BrokerId { value: s(id) }))
}

pub fn connection_info(
    ids: &BridgeIds,
    client_id: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> DataStructure {
    DataStructure::ConnectionInfo(Arc::new(openwire::ConnectionInfo {
        connection_id: Some(ids.connection_id()),
        client_id: s(client_id),
        user_name: user.map(OwString::from),
        password: password.map(OwString::from),
        ..Default::default()
    }))
}

pub fn session_info(ids: &BridgeIds) -> DataStructure {
    DataStructure::SessionInfo(Arc::new(openwire::SessionInfo {
        session_id: Some(ids.session_id()),
        ..Default::default()
    }))
}

pub fn producer_info(ids: &BridgeIds) -> DataStructure {
    DataStructure::ProducerInfo(Arc::new(openwire::ProducerInfo {
        producer_id: Some(ids.producer_id()),
        ..Default::default()
    }))
}

/// The consumer of the peer's consumer advisories that tells the bridge
/// where demand is: `topics` is the composite advisory topic.
pub fn advisory_consumer(ids: &BridgeIds, topics: &str, prefetch: i32) -> DataStructure {
    DataStructure::ConsumerInfo(Arc::new(openwire::ConsumerInfo {
        consumer_id: Some(ids.advisory_consumer_id()),
        destination: Some(wire_destination(&Destination::topic(topics))),
        prefetch_size: prefetch,
        dispatch_async: true,
        ..Default::default()
    }))
}

/// Acknowledges `count` advisories up to `last` (a standard ack, as
/// ActiveMQ's bridge sends them in batches).
pub fn advisory_ack(
    ids: &BridgeIds,
    dest: Option<DataStructure>,
    last: DataStructure,
    count: i32,
) -> DataStructure {
    DataStructure::MessageAck(Arc::new(openwire::MessageAck {
        destination: dest,
        consumer_id: Some(ids.advisory_consumer_id()),
        ack_type: 2,
        first_message_id: Some(last.clone()),
        last_message_id: Some(last),
        message_count: count,
        ..Default::default()
    }))
}

/// A local message as the bridge's producer sends it to the peer: this
/// broker appended to its broker path, the bridge's producer id, no
/// transaction, a response asked for when `sync`.
pub fn forwarded(
    m: &Message,
    redelivery_count: u32,
    local_id: &str,
    ids: &BridgeIds,
    sync: bool,
) -> DataStructure {
    let mut path: Vec<Arc<str>> = m.broker_path.as_deref().unwrap_or_default().to_vec();
    path.push(Arc::from(local_id));
    let wire = to_wire(m, redelivery_count, 0);
    let kind = wire.data_type();
    let Some(message) = as_message(&wire) else {
        return wire;
    };
    let mut msg = (**message).clone();
    msg.broker_path = broker_path(&path);
    msg.producer_id = Some(ids.producer_id());
    msg.transaction_id = None;
    msg.response_required = sync;
    DataStructure::message(kind, Arc::new(msg))
}

/// The message inside a message command, whatever its JMS type.
pub fn as_message(ds: &DataStructure) -> Option<&Arc<openwire::Message>> {
    match ds {
        DataStructure::ActiveMqMessage(m)
        | DataStructure::BytesMessage(m)
        | DataStructure::MapMessage(m)
        | DataStructure::ObjectMessage(m)
        | DataStructure::StreamMessage(m)
        | DataStructure::TextMessage(m) => Some(m),
        _ => None,
    }
}

/// What a consumer advisory from the peer says.
#[derive(Debug)]
pub enum Advisory {
    ConsumerAdded(RemoteConsumer),
    ConsumerRemoved(String),
    /// A temporary destination appeared (`true`) or went (`false`).
    TempDestination(Destination, bool),
    /// A durable subscription was deleted (client id, name); its topic is
    /// the one the advisory topic names.
    DurableRemoved(String, String),
    Other,
}

/// Reads the subject of one advisory message.
pub fn advisory(data: Option<&DataStructure>) -> Advisory {
    match data {
        Some(DataStructure::ConsumerInfo(c)) => {
            let Some(dest) = c.destination.as_ref().and_then(destination) else {
                return Advisory::Other;
            };
            Advisory::ConsumerAdded(RemoteConsumer {
                id: c.consumer_id.as_ref().map(id_string).unwrap_or_default(),
                destination: dest,
                selector: c.selector.as_ref().map(OwString::to_string_lossy),
                priority: c.priority,
                broker_path: path_of(&c.broker_path),
                durable: c.subscription_name.as_ref().map(OwString::to_string_lossy),
                client_id: c.client_id.as_ref().map(OwString::to_string_lossy),
                network_subscription: c.network_subscription,
                network_consumers: c
                    .network_consumer_path
                    .iter()
                    .flatten()
                    .map(|id| Arc::from(id_string(id).as_str()))
                    .collect(),
                browser: c.browser,
            })
        }
        Some(DataStructure::RemoveInfo(r)) => match &r.object_id {
            Some(id @ DataStructure::ConsumerId(_)) => Advisory::ConsumerRemoved(id_string(id)),
            _ => Advisory::Other,
        },
        Some(DataStructure::RemoveSubscriptionInfo(r)) => {
            let text = |s: &Option<OwString>| s.as_ref().map(OwString::to_string_lossy);
            let name = text(&r.subcription_name).or_else(|| text(&r.subscription_name));
            Advisory::DurableRemoved(
                text(&r.client_id).unwrap_or_default(),
                name.unwrap_or_default(),
            )
        }
        Some(DataStructure::DestinationInfo(d)) => {
            match d.destination.as_ref().and_then(destination) {
                // Operation 0 adds, 1 removes (ActiveMQ's DestinationInfo).
                Some(dest) if dest.is_temporary() => {
                    Advisory::TempDestination(dest, d.operation_type == 0)
                }
                _ => Advisory::Other,
            }
        }
        _ => Advisory::Other,
    }
}

/// A plain Response to the command `command_id`.
pub fn response(command_id: i32) -> DataStructure {
    DataStructure::Response(Arc::new(openwire::Response {
        correlation_id: command_id,
        ..Default::default()
    }))
}

/// An ExceptionResponse to the command `command_id` (a JMSException).
pub fn exception_response(command_id: i32, message: &str) -> DataStructure {
    openwire_adapter::exception_response(command_id, "javax.jms.JMSException", message)
}

/// A local message dispatched to one of the peer's consumers.
pub fn dispatch(consumer_id: DataStructure, m: &Message, redelivery_count: u32) -> DataStructure {
    DataStructure::MessageDispatch(Arc::new(openwire::MessageDispatch {
        consumer_id: Some(consumer_id),
        destination: Some(wire_destination(&m.destination)),
        message: Some(to_wire(m, redelivery_count, 0)),
        redelivery_counter: i32::try_from(redelivery_count).unwrap_or(i32::MAX),
        ..Default::default()
    }))
}

/// ActiveMQ's isAdvisoryInterpretedByNetworkBridge: consumer and
/// temporary destination advisories, which bridges read as demand.
pub fn is_interpreted_advisory(m: &openwire::Message) -> bool {
    m.destination
        .as_ref()
        .and_then(destination)
        .is_some_and(|d| broker::interpreted_by_bridges(&d))
}
