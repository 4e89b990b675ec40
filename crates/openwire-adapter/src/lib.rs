//! The mapping between OpenWire structures and the broker core's model:
//! destinations, ids, messages (with their properties) and the advisory
//! messages ActiveMQ clients expect.
//!
//! Pure functions over data, no sockets and no per-connection state: the
//! server's OpenWire session calls them to turn a client's commands into
//! broker calls and deliveries back into MessageDispatches, and the load
//! generator uses them to build what it sends.
//!
//! An OpenWire message keeps its exact wire form in the core message's
//! `native` field ([`WireMessage`]), so an OpenWire consumer gets every
//! field back as the producer sent it; the typed fields serve the other
//! protocols.

mod advisory;
mod destination;
mod error;
mod ids;
mod message;
mod properties;
mod replies;

pub use advisory::{broker_path, path_of, remove_info};
pub use destination::{destination, wire_destination};
pub use error::ConvertError;
pub use ids::{id_string, wire_message_id, xid_from_string};
pub use message::{to_core, to_wire, WireMessage};
pub use properties::marshal_properties;
pub use replies::exception_response;
