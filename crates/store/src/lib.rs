//! Ferrum's persistent store: an append-only journal with an in-memory index.
//!
//! Layout of a data directory:
//!
//! ```text
//! data/
//!   lock               held (flock) by the running broker
//!   journal/
//!     db-00000001.log  segments, 32 MiB by default, written in order
//!     db-00000002.log
//! ```
//!
//! A segment is a sequence of frames ([`frame`]); a frame is one atomic group
//! of operations ([`op`]): a message added to a queue or durable subscription,
//! a message removed, a queue dropped, a durable subscription created. The
//! broker seals one group per client operation, so a transaction commit or a
//! message routed to several durable subscriptions is all or nothing.
//!
//! # What survives a crash
//!
//! With `sync` on (the default), a group is confirmed to clients only after
//! `fdatasync` returned for it:
//!
//! - **Persistent send, synchronous** (JMS default for PERSISTENT, STOMP with
//!   a `receipt`): survives once the producer got its response or receipt,
//!   whether the process is killed or the machine loses power.
//! - **Persistent send, asynchronous** (`jms.useAsyncSend`, STOMP without a
//!   receipt): written in the next group commit, a few milliseconds later;
//!   a crash in between may lose it. The producer was never told otherwise.
//!   This is ActiveMQ's behaviour too.
//! - **Acknowledgements**: a consumed message is removed in the same way; an
//!   ack confirmed to the client (a response, receipt or commit) is durable.
//!   An unconfirmed ack lost in a crash means the message is delivered again
//!   after the restart, marked redelivered — never lost.
//! - **Transactions**: the commit's sends and acks form one group, confirmed
//!   when durable; a crash before that rolls the whole transaction back.
//! - **Dispatch before durability**: a message may reach a consumer before
//!   its record is synced (like ActiveMQ's `concurrentStoreAndDispatch`).
//!   If the broker then crashes, the producer was never confirmed and the
//!   message may be gone; a consumer may thus have seen a message the
//!   producer will send again.
//! - **Redelivered flag**: every message recovered after a restart is marked
//!   redelivered (its redelivery count is one higher), because the broker
//!   cannot know whether it was dispatched before the crash. JMS allows
//!   this; it guarantees a message delivered twice is always flagged.
//!
//! With `sync` off, the same holds for a process crash (the data is in the OS
//! page cache), but a power failure may lose recent groups.
//!
//! Torn and corrupt frames are handled at recovery ([`recovery`]).

mod bin_io;
pub mod codec;
pub mod frame;
mod index;
mod journal;
mod lock;
pub mod op;
pub mod recovery;
pub mod segment;
mod writer;

pub use bin_io::DecodeError;
pub use journal::{JournalStore, Options};
pub use lock::DirLock;
pub use model::store::StoreError;

#[cfg(test)]
mod tests;
