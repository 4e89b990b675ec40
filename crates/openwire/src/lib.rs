//! OpenWire, the native protocol of ActiveMQ 5.x, versions 1 to 12, in both
//! its tight and loose encodings.
//!
//! A pure codec: bytes in, typed [`DataStructure`]s out, and back. No
//! sockets, no broker types. The command set is described once, as data, in
//! [`schema`]: every structure, every field, its wire kind and the versions
//! it exists in. The readers and writers for every version and both
//! encodings are derived from that one description by a declarative macro.
//!
//! The path of a frame: [`Codec::read_frame`] splits a frame off the
//! stream (size prefix, limits), then [`wire::Reader`] walks the fields the
//! schema lists for the frame's type, tight or loose as negotiated, filling
//! the marshalling cache as the peer did.
//!
//! [`Client`] is the client side of a connection on top of the codec, still
//! without sockets: the WireFormatInfo exchange, command ids, and requests
//! matched with their responses.

pub mod error;
#[macro_use]
mod macros;
pub mod client;
mod codec;
pub mod mutf8;
pub mod negotiate;
mod pool;
pub mod primitive;
pub mod schema;
pub mod wire;

pub use client::Client;
pub use codec::Codec;
pub use error::{OpenWireError, Result};
pub use mutf8::OwString;
pub use schema::*;
pub use wire::WireFormat;
