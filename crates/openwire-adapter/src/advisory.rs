//! What an advisory carries as its data structure, shaped as ActiveMQ's
//! advisory broker sends it: the message, client or destination the core's
//! [`Subject`] describes, and the ids and broker paths inside them.

use std::sync::Arc;

use model::{Native, Subject};
use openwire::{destination_operation, DataStructure, OwString};

use crate::destination::wire_destination;
use crate::ids::id_string;

/// The data structure an advisory carries about a client or destination
/// (an advisory about a message carries the message: `message.rs`),
/// as ActiveMQ's advisory broker sends it: the client's own
/// ConnectionInfo/ConsumerInfo/ProducerInfo when it is an OpenWire client
/// (so another broker's bridge sees exactly what the consumer asked for),
/// one built from the core's description otherwise, a RemoveInfo naming
/// what went away, a DestinationInfo for a destination.
pub(crate) fn subject_data(subject: &Subject) -> Option<DataStructure> {
    Some(match subject {
        Subject::Message(_) => return None,
        Subject::Consumer { consumer, removed } => {
            let info = native_or(&consumer.native, || consumer_info(consumer));
            if !removed {
                return Some(info);
            }
            let id = match &info {
                DataStructure::ConsumerInfo(c) => c.consumer_id.clone(),
                _ => None,
            };
            remove_info(id.unwrap_or_else(|| session_scoped_id(&consumer.id, false)))
        }
        Subject::Producer { producer, removed } => {
            let info = native_or(&producer.native, || {
                DataStructure::ProducerInfo(Arc::new(openwire::ProducerInfo {
                    producer_id: Some(session_scoped_id(&producer.id, true)),
                    destination: Some(wire_destination(&producer.destination)),
                    ..Default::default()
                }))
            });
            if !removed {
                return Some(info);
            }
            let id = match &info {
                DataStructure::ProducerInfo(p) => p.producer_id.clone(),
                _ => None,
            };
            remove_info(id.unwrap_or_else(|| session_scoped_id(&producer.id, true)))
        }
        Subject::Connection {
            connection,
            removed,
        } => {
            if *removed {
                return Some(remove_info(connection_id(&connection.id)));
            }
            native_or(&connection.native, || {
                DataStructure::ConnectionInfo(Arc::new(openwire::ConnectionInfo {
                    connection_id: Some(connection_id(&connection.id)),
                    client_id: connection.client_id.as_deref().map(OwString::from),
                    user_name: connection.user.as_deref().map(OwString::from),
                    ..Default::default()
                }))
            })
        }
        Subject::SubscriptionRemoved {
            client_id, name, ..
        } => DataStructure::RemoveSubscriptionInfo(Arc::new(openwire::RemoveSubscriptionInfo {
            client_id: Some(OwString::from(&**client_id)),
            // The field is named both ways, by wire version (ActiveMQ's typo).
            subscription_name: Some(OwString::from(&**name)),
            subcription_name: Some(OwString::from(&**name)),
            ..Default::default()
        })),
        // ActiveMQ's NetworkBridge advisory carries the peer's BrokerInfo.
        Subject::NetworkBridge { peer_name, peer_id } => {
            DataStructure::BrokerInfo(Arc::new(openwire::BrokerInfo {
                broker_id: Some(DataStructure::BrokerId(Arc::new(openwire::BrokerId {
                    value: Some(OwString::from(&**peer_id)),
                }))),
                broker_name: Some(OwString::from(&**peer_name)),
                network_connection: true,
                ..Default::default()
            }))
        }
        Subject::Destination {
            destination,
            connection,
            removed,
        } => DataStructure::DestinationInfo(Arc::new(openwire::DestinationInfo {
            connection_id: connection.as_deref().map(connection_id),
            destination: Some(wire_destination(destination)),
            operation_type: if *removed {
                destination_operation::REMOVE
            } else {
                destination_operation::ADD
            },
            ..Default::default()
        })),
    })
}

/// The protocol's own description when it is OpenWire's, else `build()`.
fn native_or(native: &Option<Native>, build: impl FnOnce() -> DataStructure) -> DataStructure {
    native
        .as_ref()
        .and_then(|n| n.downcast::<DataStructure>().cloned())
        .unwrap_or_else(build)
}

/// A ConsumerInfo for a consumer of another protocol, with the fields
/// ActiveMQ fills in for it (a STOMP subscription shows this way).
fn consumer_info(c: &model::ConsumerAbout) -> DataStructure {
    DataStructure::ConsumerInfo(Arc::new(openwire::ConsumerInfo {
        consumer_id: Some(session_scoped_id(&c.id, false)),
        destination: Some(wire_destination(&c.destination)),
        prefetch_size: i32::try_from(c.prefetch).unwrap_or(i32::MAX),
        selector: c.selector.as_deref().map(OwString::from),
        subscription_name: c.durable_name.as_deref().map(OwString::from),
        no_local: c.no_local,
        exclusive: c.exclusive,
        retroactive: c.retroactive,
        priority: c.priority,
        dispatch_async: true,
        network_subscription: c.network.subscription,
        broker_path: broker_path(&c.network.broker_path),
        network_consumer_path: (!c.network.consumer_path.is_empty()).then(|| {
            c.network
                .consumer_path
                .iter()
                .map(|id| session_scoped_id(id, false))
                .collect()
        }),
        ..Default::default()
    }))
}

/// BrokerIds for a broker path; none when empty, as ActiveMQ sends it.
pub fn broker_path(path: &[Arc<str>]) -> Option<Vec<DataStructure>> {
    (!path.is_empty()).then(|| {
        path.iter()
            .map(|b| {
                DataStructure::BrokerId(Arc::new(openwire::BrokerId {
                    value: Some(OwString::from(&**b)),
                }))
            })
            .collect()
    })
}

/// The broker ids of an OpenWire broker path.
pub fn path_of(path: &Option<Vec<DataStructure>>) -> Vec<Arc<str>> {
    path.iter()
        .flatten()
        .map(|b| Arc::from(id_string(b).as_str()))
        .collect()
}

fn connection_id(id: &str) -> DataStructure {
    DataStructure::ConnectionId(Arc::new(openwire::ConnectionId {
        value: Some(OwString::from(id)),
    }))
}

/// A ConsumerId or ProducerId from its string form,
/// `<connection id>:<session>:<value>`, parsed from the right since the
/// connection id has colons of its own.
fn session_scoped_id(id: &str, producer: bool) -> DataStructure {
    let mut parts = id.rsplitn(3, ':');
    let value = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let session_id = parts.next().and_then(|v| v.parse().ok()).unwrap_or(-1);
    let connection_id = Some(OwString::from(parts.next().unwrap_or(id)));
    if producer {
        DataStructure::ProducerId(Arc::new(openwire::ProducerId {
            connection_id,
            value,
            session_id,
        }))
    } else {
        DataStructure::ConsumerId(Arc::new(openwire::ConsumerId {
            connection_id,
            session_id,
            value,
        }))
    }
}

/// A RemoveInfo naming what went away.
pub fn remove_info(object: DataStructure) -> DataStructure {
    DataStructure::RemoveInfo(Arc::new(openwire::RemoveInfo {
        object_id: Some(object),
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::wire_destination;
    use crate::message::{to_core, to_wire};
    use model::Destination;

    #[test]
    fn a_broker_path_survives_the_trip_through_the_core_both_ways() {
        let wire = Arc::new(openwire::Message {
            destination: Some(wire_destination(&Destination::queue("q"))),
            broker_path: broker_path(&[Arc::from("ID:a-1:1"), Arc::from("ID:b-2:1")]),
            ..Default::default()
        });
        let mut core = to_core(23, &wire).expect("to core");
        let path: Vec<Arc<str>> = vec![Arc::from("ID:a-1:1"), Arc::from("ID:b-2:1")];
        assert_eq!(core.broker_path.as_deref(), Some(&path[..]));
        // Rebuilt from the core's fields (as after a restart), not the native form.
        core.native = None;
        let DataStructure::ActiveMqMessage(back) = to_wire(&core, 0, 0) else {
            panic!("not a plain message");
        };
        assert_eq!(path_of(&back.broker_path), path);
    }

    #[test]
    fn consumer_ids_made_up_by_the_broker_parse_as_activemq_would() {
        let DataStructure::ConsumerId(c) = session_scoped_id("ID:b-1-2:7:-1:3", false) else {
            panic!("not a consumer id");
        };
        assert_eq!((c.session_id, c.value), (-1, 3));
        assert_eq!(
            c.connection_id
                .as_ref()
                .map(OwString::to_string_lossy)
                .as_deref(),
            Some("ID:b-1-2:7")
        );
        assert_eq!(
            id_string(&DataStructure::ConsumerId(c.clone())),
            "ID:b-1-2:7:-1:3"
        );
    }
}
