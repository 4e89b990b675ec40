//! STOMP 1.0, 1.1 and 1.2 frame codec for Ferrum.
//!
//! Pure bytes-to-frames translation: no sockets, no broker types, no
//! protocol state beyond what decoding needs. The core is sans-IO:
//!
//! * [`read`] decodes the next [`Item`] (a [`Frame`] or a heart-beat) from a
//!   growing [`bytes::BytesMut`], returning `Ok(None)` until one is complete;
//! * [`write()`] / [`write_frame`] append an encoded frame to a buffer;
//! * [`StompCodec`] wraps both as a `tokio_util` `Decoder`/`Encoder`.
//!
//! Wire rules follow the STOMP 1.2 specification, with ActiveMQ 5.x's
//! leniencies where clients depend on them:
//!
//! * lines may end in `"\n"` or `"\r\n"` in every version;
//! * a header line splits at its first `:`, so values may contain raw `:`;
//! * a header line without `:` is a header named by the whole line, with an
//!   empty value (`badheader` gives `("badheader", "")`);
//! * repeated headers are all kept, and [`Frame::header`] returns the first;
//! * header names and values are never trimmed;
//! * headers are unescaped from 1.1 on (`\n`, `\c`, `\\`; `\r` from 1.2),
//!   except in CONNECT, STOMP and CONNECTED frames, which are exchanged
//!   before a version exists; 1.0 headers are never unescaped (unlike
//!   ActiveMQ, which unescapes `\c`, `\n` and `\\` even in 1.0);
//! * an undefined escape sequence (`\t`, or `\r` in 1.1) and a trailing lone
//!   backslash are kept literally, backslash included (`dir\temp` stays
//!   `dir\temp`);
//! * an unknown command is still an error, but it is reported once the
//!   frame's header block is complete, with the frame's `receipt` header
//!   (see [`StompError::receipt`]) so the ERROR frame can carry it as
//!   `receipt-id`;
//! * a `content-length` header sizes the body (which may then contain NULs),
//!   otherwise the body ends at the first NUL;
//! * [`Limits`] default to ActiveMQ's and are enforced while data is still
//!   arriving, so a peer cannot make the decoder buffer without bound.
//!
//! ```
//! use bytes::BytesMut;
//! use stomp::{read, write, Command, Frame, Item, Limits, ReadState, Version};
//!
//! let frame = Frame::new(Command::Send)
//!     .with_header("destination", "/queue/orders")
//!     .with_body("hello");
//! let mut buf = BytesMut::new();
//! write(&frame, Some(Version::V1_2), &mut buf);
//!
//! let mut state = ReadState::default();
//! let item = read(&mut buf, Some(Version::V1_2), &Limits::default(), &mut state).unwrap();
//! assert_eq!(item, Some(Item::Frame(frame)));
//! ```

#![deny(missing_docs)]

mod codec;
mod error;
mod escape;
mod frame;
mod parse;
mod write;

#[cfg(test)]
mod roundtrip_tests;

pub use codec::StompCodec;
pub use error::StompError;
pub use frame::{Command, Frame, Item, Limits, Version};
pub use parse::{read, ReadState};
pub use write::{write, write_frame};
