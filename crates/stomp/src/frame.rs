//! The data model: protocol versions, commands, frames and decoder limits.

use std::fmt;

use bytes::Bytes;

/// A STOMP protocol version.
///
/// Ordered so that feature checks read naturally (`v >= Version::V1_1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// STOMP 1.0: no header escaping, no NACK, no heart-beating negotiation.
    V1_0,
    /// STOMP 1.1: header escaping of LF, `:` and `\`.
    V1_1,
    /// STOMP 1.2: 1.1 plus escaping of CR.
    V1_2,
}

impl Version {
    /// The wire spelling used in `accept-version` and `version` headers.
    pub fn as_str(&self) -> &'static str {
        match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
            Version::V1_2 => "1.2",
        }
    }

    /// Parses one version token (`"1.0"`, `"1.1"` or `"1.2"`), exactly.
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "1.0" => Some(Version::V1_0),
            "1.1" => Some(Version::V1_1),
            "1.2" => Some(Version::V1_2),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A STOMP frame command, client- or server-originated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Client: open a session.
    Connect,
    /// Client: open a session (1.1+ alias of CONNECT).
    Stomp,
    /// Server: session accepted.
    Connected,
    /// Client: publish a message.
    Send,
    /// Client: start consuming a destination.
    Subscribe,
    /// Client: stop consuming.
    Unsubscribe,
    /// Client: acknowledge a message.
    Ack,
    /// Client: negatively acknowledge a message (1.1+).
    Nack,
    /// Client: start a transaction.
    Begin,
    /// Client: commit a transaction.
    Commit,
    /// Client: roll back a transaction.
    Abort,
    /// Client: close the session.
    Disconnect,
    /// Server: deliver a message.
    Message,
    /// Server: confirm a frame that asked for a receipt.
    Receipt,
    /// Server: report a failure.
    Error,
}

impl Command {
    /// Every command, client and server ones.
    pub const ALL: [Command; 15] = [
        Command::Connect,
        Command::Stomp,
        Command::Connected,
        Command::Send,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Ack,
        Command::Nack,
        Command::Begin,
        Command::Commit,
        Command::Abort,
        Command::Disconnect,
        Command::Message,
        Command::Receipt,
        Command::Error,
    ];

    /// The command as it appears on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Command::Connect => "CONNECT",
            Command::Stomp => "STOMP",
            Command::Connected => "CONNECTED",
            Command::Send => "SEND",
            Command::Subscribe => "SUBSCRIBE",
            Command::Unsubscribe => "UNSUBSCRIBE",
            Command::Ack => "ACK",
            Command::Nack => "NACK",
            Command::Begin => "BEGIN",
            Command::Commit => "COMMIT",
            Command::Abort => "ABORT",
            Command::Disconnect => "DISCONNECT",
            Command::Message => "MESSAGE",
            Command::Receipt => "RECEIPT",
            Command::Error => "ERROR",
        }
    }

    /// Parses a command line (without its EOL). Case-sensitive, no trimming:
    /// the spec defines commands as exact upper-case tokens.
    pub fn parse(bytes: &[u8]) -> Option<Command> {
        Some(match bytes {
            b"CONNECT" => Command::Connect,
            b"STOMP" => Command::Stomp,
            b"CONNECTED" => Command::Connected,
            b"SEND" => Command::Send,
            b"SUBSCRIBE" => Command::Subscribe,
            b"UNSUBSCRIBE" => Command::Unsubscribe,
            b"ACK" => Command::Ack,
            b"NACK" => Command::Nack,
            b"BEGIN" => Command::Begin,
            b"COMMIT" => Command::Commit,
            b"ABORT" => Command::Abort,
            b"DISCONNECT" => Command::Disconnect,
            b"MESSAGE" => Command::Message,
            b"RECEIPT" => Command::Receipt,
            b"ERROR" => Command::Error,
            _ => return None,
        })
    }

    /// Whether headers of this command are exempt from escaping in every
    /// version: the spec excludes them because they are exchanged before the
    /// version is agreed, so neither side could know which rules apply.
    pub(crate) fn is_handshake(self) -> bool {
        matches!(self, Command::Connect | Command::Stomp | Command::Connected)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One STOMP frame with its headers already unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The frame's command.
    pub command: Command,
    /// Headers in wire order; repeats are kept because STOMP gives the first
    /// one precedence but clients may still care about the rest.
    pub headers: Vec<(String, String)>,
    /// The body, without the terminating NUL.
    pub body: Bytes,
}

impl Frame {
    /// A frame with no headers and an empty body.
    pub fn new(command: Command) -> Frame {
        Frame {
            command,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// The value of the first header called `name` (STOMP 1.2's rule for
    /// repeated headers, applied to every version for predictability).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Appends a header; an existing header of the same name keeps precedence.
    pub fn with_header(mut self, k: impl Into<String>, v: impl Into<String>) -> Frame {
        self.headers.push((k.into(), v.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Frame {
        self.body = body.into();
        self
    }
}

/// One unit decoded from the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A complete frame.
    Frame(Frame),
    /// A bare EOL (`"\n"` or `"\r\n"`) between frames, i.e. a heart-beat.
    HeartBeat,
}

/// Bounds enforced while decoding, so a peer cannot make us buffer or
/// allocate without limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body, in bytes.
    pub max_frame_size: usize,
    /// Most header lines accepted in one frame.
    pub max_headers: usize,
    /// Longest accepted header line, in bytes, excluding its EOL.
    pub max_header_length: usize,
    /// Longest accepted command line, in bytes, excluding its EOL.
    pub max_command_length: usize,
}

impl Default for Limits {
    /// ActiveMQ 5.x `StompWireFormat` defaults, so existing clients that work
    /// against ActiveMQ keep working.
    fn default() -> Self {
        Limits {
            max_frame_size: 100 * 1024 * 1024,
            max_headers: 1000,
            max_header_length: 10 * 1024,
            max_command_length: 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_round_trips_through_its_wire_name() {
        for c in Command::ALL {
            assert_eq!(Command::parse(c.as_str().as_bytes()), Some(c));
            assert_eq!(c.to_string(), c.as_str());
        }
    }

    #[test]
    fn commands_are_case_sensitive_and_untrimmed() {
        assert_eq!(Command::parse(b"send"), None);
        assert_eq!(Command::parse(b"Send"), None);
        assert_eq!(Command::parse(b" SEND"), None);
        assert_eq!(Command::parse(b"SEND "), None);
        assert_eq!(Command::parse(b""), None);
        assert_eq!(Command::parse(b"FOO"), None);
    }

    #[test]
    fn handshake_commands_are_exactly_connect_stomp_connected() {
        let hs: Vec<Command> = Command::ALL
            .into_iter()
            .filter(|c| c.is_handshake())
            .collect();
        assert_eq!(hs, [Command::Connect, Command::Stomp, Command::Connected]);
    }

    #[test]
    fn versions_parse_print_and_order() {
        for v in [Version::V1_0, Version::V1_1, Version::V1_2] {
            assert_eq!(Version::parse(v.as_str()), Some(v));
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(Version::V1_0.as_str(), "1.0");
        assert_eq!(Version::parse("1.3"), None);
        assert_eq!(Version::parse(" 1.2"), None);
        assert!(Version::V1_0 < Version::V1_1 && Version::V1_1 < Version::V1_2);
    }

    #[test]
    fn header_lookup_returns_first_occurrence() {
        let f = Frame::new(Command::Send)
            .with_header("a", "1")
            .with_header("b", "2")
            .with_header("a", "3");
        assert_eq!(f.header("a"), Some("1"));
        assert_eq!(f.header("b"), Some("2"));
        assert_eq!(f.header("c"), None);
        assert_eq!(f.headers.len(), 3);
    }

    #[test]
    fn builder_sets_body() {
        let f = Frame::new(Command::Send).with_body("hi");
        assert_eq!(&f.body[..], b"hi");
        assert!(Frame::new(Command::Send).body.is_empty());
    }

    #[test]
    fn default_limits_match_activemq() {
        let l = Limits::default();
        assert_eq!(l.max_frame_size, 104_857_600);
        assert_eq!(l.max_headers, 1000);
        assert_eq!(l.max_header_length, 10_240);
        assert_eq!(l.max_command_length, 1024);
    }
}
