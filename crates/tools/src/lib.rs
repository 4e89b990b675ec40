//! The tools that share the `ferrum` binary, as a library the binary's
//! `main` calls into:
//!
//! - [`perf`]: `ferrum perf …`, a load generator speaking STOMP and
//!   OpenWire as a client, checking exactly-once, in-order delivery and
//!   measuring throughput and latency;
//! - [`dump`]: `ferrum openwire dump FILE`, a captured OpenWire stream
//!   frame by frame.
//!
//! Both are clients of a broker (or of its captured bytes): nothing here
//! runs one, so this crate depends on the codecs and the OpenWire adapter,
//! never on the server.

pub mod dump;
pub mod perf;
