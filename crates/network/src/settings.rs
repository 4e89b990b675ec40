//! What a bridge session runs with, fixed for the connector's life: made
//! from the configuration by the `setup` module, read by the session
//! (`bridge`) and by the half that forwards (`half`).

use std::sync::Arc;

use crate::demand::DemandRules;

/// What one session needs to know, fixed for the connector's life.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    pub local_id: Arc<str>,
    pub local_name: String,
    /// ActiveMQ's client id for the bridge connection:
    /// `<connector name>_<broker name>_outbound`.
    pub client_id: String,
    pub duplex: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The composite advisory topic the bridge watches.
    pub advisory_topics: String,
    pub advisory_prefetch: u32,
    pub always_sync_send: bool,
    pub network_properties: String,
    /// The connector's `name` (in the client id of the local connection
    /// for durable demand).
    pub connector_name: String,
    /// Rules for demand; `local_broker` is `local_id`.
    pub rules: DemandRules,
}
