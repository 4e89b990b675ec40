//! The client side of an OpenWire connection, without I/O ("sans-IO").
//!
//! [`Client`] turns commands into the bytes to send and bytes received
//! into events; whoever owns the socket moves the bytes. It does the parts
//! of the protocol every client needs and no application cares about:
//!
//! - the WireFormatInfo exchange: ours goes out first, the peer's decides
//!   the format both directions switch to ([`negotiate`]); commands sent
//!   before that are held and encoded once the format is known;
//! - command ids: every command sent gets the next one;
//! - request/response correlation: [`Client::request`] returns a
//!   [`RequestId`], and the Response (or ExceptionResponse, or data
//!   response) whose correlation id matches comes back as a
//!   [`Completion`];
//! - keep-alives: a KeepAliveInfo that wants an answer is answered.
//!
//! Everything else the peer sends (MessageDispatch, ConnectionError,
//! ShutdownInfo, ...) is handed over as [`Event::Command`].
//!
//! A typical loop: write [`Client::output`] to the socket and
//! [`Client::clear_output`]; read from the socket into [`Client::input`];
//! take [`Client::poll_event`] until it returns `None`.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::negotiate::{negotiate, WireFormatOptions};
use crate::schema::{CommandHeader, DataStructure, KeepAliveInfo, Throwable};
use crate::{Codec, OpenWireError, WireFormat};

/// The newest OpenWire version this codec speaks; the first
/// WireFormatInfo of either side is read and written in its initial form.
const INITIAL_VERSION: u8 = 12;

/// Identifies a request until its [`Completion`]: the command id it was
/// sent with, which the response names as its correlation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub i32);

/// What the client learnt from the bytes received.
#[derive(Debug)]
pub enum Event {
    /// The peer's WireFormatInfo arrived: both directions now use this
    /// format, and the commands held until now are in [`Client::output`].
    Negotiated(WireFormat),
    /// The answer to a request.
    Completed(Completion),
    /// Any other command from the peer: MessageDispatch, ConnectionError,
    /// ShutdownInfo, a response to no request of ours...
    Command(DataStructure),
}

/// A request's outcome.
#[derive(Debug)]
pub struct Completion {
    pub request: RequestId,
    /// The response (Response, DataResponse, IntegerResponse...), or the
    /// exception an ExceptionResponse carried.
    pub outcome: Result<DataStructure, RemoteError>,
}

/// The exception a peer answered a request with.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
pub struct RemoteError {
    /// Java class name, e.g. `javax.jms.InvalidClientIDException`.
    pub class: String,
    pub message: String,
}

impl RemoteError {
    /// The error a Throwable describes (empty parts when absent).
    pub fn from_throwable(t: Option<&Throwable>) -> RemoteError {
        let text = |s: Option<&crate::OwString>| s.map(|s| s.to_string_lossy()).unwrap_or_default();
        RemoteError {
            class: text(t.and_then(|t| t.class.as_ref())),
            message: text(t.and_then(|t| t.message.as_ref())),
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Either part may be missing; no stray separator then.
        write!(f, "{}", format!("{} {}", self.class, self.message).trim())
    }
}

/// What the client refuses (a non-command) or cannot go on after (bad
/// bytes, a peer not speaking OpenWire).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Bytes that do not decode, or a command that does not encode (too
    /// large for the negotiated frame size...).
    #[error(transparent)]
    Codec(#[from] OpenWireError),
    /// The peer's first frame must be its WireFormatInfo.
    #[error("expected WireFormatInfo, got {0}")]
    NoWireFormat(&'static str),
    /// Only commands (structures with BaseCommand's header) can be sent.
    #[error("{0} is not a command")]
    NotACommand(&'static str),
}

/// The state of one client connection; see the module documentation.
pub struct Client {
    ours: WireFormatOptions,
    /// Set once the peer's WireFormatInfo arrived: what it offered, and
    /// the format both directions then use.
    peer: Option<(WireFormatOptions, WireFormat)>,
    rx: Codec,
    tx: Codec,
    /// Commands sent before the format was negotiated, in order.
    held: Vec<DataStructure>,
    last_command_id: i32,
    /// Requests not yet answered, by command id.
    pending: HashSet<i32>,
    input: BytesMut,
    output: BytesMut,
}

impl Client {
    /// A client offering `ours`; its WireFormatInfo is already in
    /// [`Client::output`].
    ///
    /// # Errors
    /// Options that cannot be marshalled.
    pub fn new(ours: WireFormatOptions) -> Result<Client, ClientError> {
        let mut client = Client {
            rx: Codec::new(WireFormat::initial(INITIAL_VERSION)),
            tx: Codec::new(WireFormat::initial(INITIAL_VERSION)),
            peer: None,
            held: Vec::new(),
            last_command_id: 0,
            pending: HashSet::new(),
            input: BytesMut::with_capacity(64 * 1024),
            output: BytesMut::with_capacity(64 * 1024),
            ours,
        };
        let info = DataStructure::WireFormatInfo(Arc::new(client.ours.to_info()?));
        client.tx.write_frame(Some(&info), &mut client.output)?;
        Ok(client)
    }

    /// The format both sides use, once negotiated.
    pub fn format(&self) -> Option<WireFormat> {
        self.peer.as_ref().map(|(_, format)| *format)
    }

    /// What the peer offered, once its WireFormatInfo arrived.
    pub fn peer_options(&self) -> Option<&WireFormatOptions> {
        self.peer.as_ref().map(|(options, _)| options)
    }

    /// Sends a command that wants no response; returns its command id.
    ///
    /// # Errors
    /// Not a command, or it does not encode.
    pub fn send(&mut self, cmd: DataStructure) -> Result<i32, ClientError> {
        self.enqueue(cmd, false)
    }

    /// Sends a command the peer must answer; its [`Completion`] names the
    /// returned id.
    ///
    /// # Errors
    /// Not a command, or it does not encode.
    pub fn request(&mut self, cmd: DataStructure) -> Result<RequestId, ClientError> {
        let id = self.enqueue(cmd, true)?;
        self.pending.insert(id);
        Ok(RequestId(id))
    }

    /// How many requests await their response.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    fn enqueue(
        &mut self,
        mut cmd: DataStructure,
        response_required: bool,
    ) -> Result<i32, ClientError> {
        let command_id = self.last_command_id + 1;
        let header = CommandHeader {
            command_id,
            response_required,
        };
        if !cmd.set_command_header(header) {
            return Err(ClientError::NotACommand(cmd.name()));
        }
        if self.peer.is_some() {
            self.tx.write_frame(Some(&cmd), &mut self.output)?;
        } else {
            self.held.push(cmd);
        }
        self.last_command_id = command_id;
        Ok(command_id)
    }

    /// Where bytes received from the peer go (read straight into it).
    pub fn input(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// Takes bytes received from the peer (a copy; see [`Client::input`]).
    pub fn receive(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// The bytes to send to the peer, in order.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Forgets the output once it is written.
    pub fn clear_output(&mut self) {
        self.output.clear();
    }

    /// Takes the bytes to send to the peer.
    pub fn take_output(&mut self) -> Bytes {
        self.output.split().freeze()
    }

    /// The next event the bytes received so far make, if any.
    ///
    /// # Errors
    /// Bytes that do not decode, or a peer that does not open with its
    /// WireFormatInfo; the connection is then unusable.
    pub fn poll_event(&mut self) -> Result<Option<Event>, ClientError> {
        loop {
            let cmd = match self.rx.read_frame(&mut self.input)? {
                None => return Ok(None),
                // A NULL frame: nothing to act on.
                Some(None) => continue,
                Some(Some(cmd)) => cmd,
            };
            if self.peer.is_none() {
                return self.negotiate(cmd).map(Some);
            }
            match cmd {
                DataStructure::KeepAliveInfo(k) => {
                    if k.response_required {
                        let alive =
                            DataStructure::KeepAliveInfo(Arc::new(KeepAliveInfo::default()));
                        self.tx.write_frame(Some(&alive), &mut self.output)?;
                    }
                }
                cmd => return Ok(Some(self.classify(cmd))),
            }
        }
    }

    /// Switches to the format the peer's WireFormatInfo agrees on, and
    /// encodes the commands held back until now.
    fn negotiate(&mut self, first: DataStructure) -> Result<Event, ClientError> {
        let DataStructure::WireFormatInfo(info) = &first else {
            return Err(ClientError::NoWireFormat(first.name()));
        };
        let theirs = WireFormatOptions::from_info(info)?;
        let format = negotiate(&self.ours, &theirs);
        self.rx.set_format(format);
        self.tx.set_format(format);
        self.peer = Some((theirs, format));
        for cmd in std::mem::take(&mut self.held) {
            self.tx.write_frame(Some(&cmd), &mut self.output)?;
        }
        Ok(Event::Negotiated(format))
    }

    /// A response to one of our requests completes it; anything else is
    /// the application's.
    fn classify(&mut self, cmd: DataStructure) -> Event {
        let (correlation_id, outcome) = match &cmd {
            DataStructure::Response(r) => (r.correlation_id, Ok(())),
            DataStructure::DataResponse(r) => (r.correlation_id, Ok(())),
            DataStructure::DataArrayResponse(r) => (r.correlation_id, Ok(())),
            DataStructure::IntegerResponse(r) => (r.correlation_id, Ok(())),
            DataStructure::ExceptionResponse(r) => (
                r.correlation_id,
                Err(RemoteError::from_throwable(r.exception.as_deref())),
            ),
            _ => return Event::Command(cmd),
        };
        if !self.pending.remove(&correlation_id) {
            return Event::Command(cmd);
        }
        Event::Completed(Completion {
            request: RequestId(correlation_id),
            outcome: outcome.map(|()| cmd),
        })
    }

    /// Hands a received command back for its storage to be reused by the
    /// decoder (messages, message ids), as [`Codec::recycle`].
    pub fn recycle(&mut self, cmd: DataStructure) {
        self.rx.recycle(cmd);
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
