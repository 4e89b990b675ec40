//! A session's connection-level commands: ConnectionInfo, producers
//! (ProducerInfo), temporary destinations (DestinationInfo) and removing a
//! durable subscription (RemoveSubscriptionInfo).

use std::sync::Arc;

use broker::ConnectInfo;
use openwire::{destination_operation, DataStructure, OwString};
use openwire_adapter::{destination, id_string};

use super::{key, Failure, Session};

impl Session {
    pub(super) fn connect(&mut self, info: &Arc<openwire::ConnectionInfo>) -> Result<(), Failure> {
        if self.conn.is_some() {
            return Ok(());
        }
        let events = self
            .events
            .take()
            .ok_or_else(|| Failure::new("javax.jms.IllegalStateException", "Already connected"))?;
        // Advisories show the ConnectionInfo, never its password.
        let mut public = (**info).clone();
        public.password = None;
        let conn = self.broker.connect(
            ConnectInfo {
                client_id: info.client_id.as_ref().map(OwString::to_string_lossy),
                login: info.user_name.as_ref().map(OwString::to_string_lossy),
                label: info.connection_id.as_ref().map(id_string),
                native: Some(broker::Native(Arc::new(DataStructure::ConnectionInfo(
                    Arc::new(public),
                )))),
            },
            events.clone(),
        );
        match conn {
            Ok(c) => {
                self.conn = Some(c);
                Ok(())
            }
            Err(e) => {
                // Let a later ConnectionInfo try again.
                self.events = Some(events);
                Err(e.into())
            }
        }
    }

    pub(super) fn add_producer(&mut self, p: &Arc<openwire::ProducerInfo>) -> Result<(), Failure> {
        let conn = self.conn()?;
        let Some(k) = p.producer_id.as_ref().and_then(key) else {
            return Ok(());
        };
        self.known_session(k.0, "producer")?;
        if p.window_size > 0 {
            if let Some(id) = &p.producer_id {
                self.windows.insert(k, id.clone());
            }
        }
        if let Some(dest) = p.destination.as_ref().and_then(destination) {
            let id = self.broker.add_producer(
                conn,
                broker::ProducerRequest {
                    destination: dest,
                    label: p.producer_id.as_ref().map(id_string),
                    native: Some(broker::Native(Arc::new(DataStructure::ProducerInfo(
                        p.clone(),
                    )))),
                },
            )?;
            self.producers.insert(k, id);
        }
        Ok(())
    }

    /// Temporary destinations come and go; others are created on use.
    pub(super) fn destination_op(&mut self, d: &openwire::DestinationInfo) -> Result<(), Failure> {
        let conn = self.conn()?;
        let dest = d
            .destination
            .as_ref()
            .and_then(destination)
            .ok_or_else(|| {
                Failure::new("javax.jms.InvalidDestinationException", "no destination")
            })?;
        match d.operation_type {
            destination_operation::ADD if dest.is_temporary() => {
                self.broker.add_temporary(conn, dest)?
            }
            destination_operation::REMOVE if dest.is_temporary() => {
                self.broker.delete_temporary(&dest)
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn remove_subscription(
        &mut self,
        r: &openwire::RemoveSubscriptionInfo,
    ) -> Result<(), Failure> {
        let client = r
            .client_id
            .as_ref()
            .map(OwString::to_string_lossy)
            .unwrap_or_default();
        let name = r
            .subcription_name
            .as_ref()
            .or(r.subscription_name.as_ref())
            .map(OwString::to_string_lossy)
            .unwrap_or_default();
        self.broker.remove_durable(self.conn()?, &client, &name)?;
        Ok(())
    }
}
