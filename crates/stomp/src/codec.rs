//! A thin `tokio_util::codec` adapter over [`read`] and [`write()`].

use bytes::{BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::{read, write, Frame, Item, Limits, ReadState, StompError, Version};

/// Decoder/encoder for `Framed` transports.
///
/// Starts un-negotiated (no escaping); call [`StompCodec::set_version`] once
/// CONNECT/CONNECTED has settled the version. Decoding state survives
/// between `decode` calls, so bodies arriving in pieces are scanned once.
#[derive(Debug, Default)]
pub struct StompCodec {
    limits: Limits,
    version: Option<Version>,
    state: ReadState,
}

impl StompCodec {
    /// A codec enforcing `limits` on everything it decodes.
    pub fn new(limits: Limits) -> Self {
        StompCodec {
            limits,
            version: None,
            state: ReadState::default(),
        }
    }

    /// Switches escaping rules for subsequent frames in both directions.
    pub fn set_version(&mut self, v: Version) {
        self.version = Some(v);
    }

    /// The negotiated version, or `None` before negotiation.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// The limits this codec enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

impl Decoder for StompCodec {
    type Item = Item;
    type Error = StompError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Item>, StompError> {
        read(src, self.version, &self.limits, &mut self.state)
    }
}

impl Encoder<Frame> for StompCodec {
    type Error = StompError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), StompError> {
        write(&frame, self.version, dst);
        Ok(())
    }
}

impl Encoder<&Frame> for StompCodec {
    type Error = StompError;

    fn encode(&mut self, frame: &Frame, dst: &mut BytesMut) -> Result<(), StompError> {
        write(frame, self.version, dst);
        Ok(())
    }
}

/// Lets a connection send heart-beats through the same sink as frames.
impl Encoder<Item> for StompCodec {
    type Error = StompError;

    fn encode(&mut self, item: Item, dst: &mut BytesMut) -> Result<(), StompError> {
        match item {
            Item::Frame(frame) => write(&frame, self.version, dst),
            Item::HeartBeat => dst.put_u8(b'\n'),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Command;

    #[test]
    fn decodes_across_chunks_and_frames() {
        let mut codec = StompCodec::new(Limits::default());
        let mut buf = BytesMut::from(&b"\nSEND\ndestination:/q\n\nhel"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Item::HeartBeat));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"lo\0\r\nACK\nid:1\n\n\0");
        let expected = Frame::new(Command::Send)
            .with_header("destination", "/q")
            .with_body("hello");
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Item::Frame(expected)));
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Item::HeartBeat));
        let ack = Frame::new(Command::Ack).with_header("id", "1");
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Item::Frame(ack)));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn version_controls_escaping_both_ways() {
        let mut codec = StompCodec::new(Limits::default());
        assert_eq!(codec.version(), None);
        let mut buf = BytesMut::from(&b"SEND\nk:a\\nb\n\n\0"[..]);
        let Some(Item::Frame(f)) = codec.decode(&mut buf).unwrap() else {
            panic!("expected frame")
        };
        assert_eq!(f.header("k"), Some("a\\nb"));

        codec.set_version(Version::V1_2);
        assert_eq!(codec.version(), Some(Version::V1_2));
        buf.extend_from_slice(b"SEND\nk:a\\nb\n\n\0");
        let Some(Item::Frame(f)) = codec.decode(&mut buf).unwrap() else {
            panic!("expected frame")
        };
        assert_eq!(f.header("k"), Some("a\nb"));

        let mut out = BytesMut::new();
        codec.encode(&f, &mut out).unwrap();
        assert_eq!(&out[..], b"SEND\nk:a\\nb\n\n\0");
        out.clear();
        codec.encode(f.clone(), &mut out).unwrap();
        codec.encode(Item::HeartBeat, &mut out).unwrap();
        codec.encode(Item::Frame(f), &mut out).unwrap();
        assert_eq!(&out[..], b"SEND\nk:a\\nb\n\n\0\nSEND\nk:a\\nb\n\n\0");
    }

    #[test]
    fn limits_are_applied() {
        let limits = Limits {
            max_command_length: 3,
            ..Limits::default()
        };
        let mut codec = StompCodec::new(limits);
        assert_eq!(codec.limits().max_command_length, 3);
        let mut buf = BytesMut::from(&b"SEND"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(StompError::CommandTooLong { limit: 3 })
        ));
    }

    #[test]
    fn truncated_stream_at_eof_is_an_error() {
        let mut codec = StompCodec::default();
        let mut buf = BytesMut::from(&b"SEND\n\npartial"[..]);
        assert!(matches!(codec.decode_eof(&mut buf), Err(StompError::Io(_))));
        let mut empty = BytesMut::new();
        assert!(codec.decode_eof(&mut empty).unwrap().is_none());
    }
}
