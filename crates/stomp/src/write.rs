//! Frame encoding.
//!
//! Encoding never fails: the output buffer grows as needed. What it does not
//! do is decide framing policy: no `content-length` is added, so a body that
//! may contain NUL bytes needs the caller to supply one.

use bytes::{BufMut, BytesMut};

use crate::escape::{escape_into, Escaping};
use crate::{Command, Frame, Version};

/// Appends `frame` to `out`: command, headers (escaped as `version` and the
/// command require), blank line, body, NUL.
///
/// `version: None` (not negotiated yet) writes headers unescaped, as 1.0
/// does. Where escaping is off, a LF inside a header name or value is written
/// as a space, since it could not be represented and would otherwise split
/// the header.
pub fn write(frame: &Frame, version: Option<Version>, out: &mut BytesMut) {
    let headers = frame.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    encode(out, version, frame.command, headers, &frame.body);
}

/// Like [`write()`], but from borrowed parts, so hot paths (message delivery)
/// need not build a [`Frame`].
pub fn write_frame(
    out: &mut BytesMut,
    version: Option<Version>,
    command: Command,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    encode(out, version, command, headers.iter().copied(), body);
}

fn encode<'a, I>(
    out: &mut BytesMut,
    version: Option<Version>,
    command: Command,
    headers: I,
    body: &[u8],
) where
    I: Iterator<Item = (&'a str, &'a str)> + Clone,
{
    let escaping = Escaping::for_frame(version, command);
    let command = command.as_str().as_bytes();
    // One reservation for the common case of nothing to escape; escaping
    // grows the buffer further on its own.
    let header_bytes: usize = headers.clone().map(|(k, v)| k.len() + v.len() + 2).sum();
    out.reserve(command.len() + 1 + header_bytes + 1 + body.len() + 1);

    out.put_slice(command);
    out.put_u8(b'\n');
    for (name, value) in headers {
        escape_into(out, name, escaping);
        out.put_u8(b':');
        escape_into(out, value, escaping);
        out.put_u8(b'\n');
    }
    out.put_u8(b'\n');
    out.put_slice(body);
    out.put_u8(0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read, Item, Limits, ReadState};
    use bytes::Bytes;

    fn written(frame: &Frame, version: Option<Version>) -> Vec<u8> {
        let mut out = BytesMut::new();
        write(frame, version, &mut out);
        out.to_vec()
    }

    fn read_back(bytes: &[u8], version: Option<Version>) -> Frame {
        let mut buf = BytesMut::from(bytes);
        let mut state = ReadState::default();
        match read(&mut buf, version, &Limits::default(), &mut state) {
            Ok(Some(Item::Frame(f))) => {
                assert!(buf.is_empty(), "trailing bytes: {buf:?}");
                f
            }
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    #[test]
    fn exact_layout() {
        let f = Frame::new(Command::Send)
            .with_header("destination", "/queue/a")
            .with_header("receipt", "7")
            .with_body("hello");
        assert_eq!(
            written(&f, Some(Version::V1_2)),
            b"SEND\ndestination:/queue/a\nreceipt:7\n\nhello\0"
        );
        assert_eq!(
            written(&Frame::new(Command::Disconnect), None),
            b"DISCONNECT\n\n\0"
        );
    }

    #[test]
    fn no_content_length_is_added() {
        let f = Frame::new(Command::Message).with_body(&b"a\0b"[..]);
        let out = written(&f, Some(Version::V1_2));
        assert_eq!(out, b"MESSAGE\n\na\0b\0");
    }

    #[test]
    fn write_frame_matches_write() {
        let f = Frame::new(Command::Message)
            .with_header("k:1", "v\n\r\\")
            .with_header("k:1", "second")
            .with_body("body");
        for v in [
            None,
            Some(Version::V1_0),
            Some(Version::V1_1),
            Some(Version::V1_2),
        ] {
            let mut out = BytesMut::new();
            write_frame(
                &mut out,
                v,
                Command::Message,
                &[("k:1", "v\n\r\\"), ("k:1", "second")],
                b"body",
            );
            assert_eq!(out.to_vec(), written(&f, v), "version {v:?}");
        }
    }

    #[test]
    fn escaping_per_version() {
        let f = Frame::new(Command::Message).with_header("a:b", "c\nd\re\\f");
        assert_eq!(
            written(&f, Some(Version::V1_2)),
            b"MESSAGE\na\\cb:c\\nd\\re\\\\f\n\n\0"
        );
        assert_eq!(
            written(&f, Some(Version::V1_1)),
            b"MESSAGE\na\\cb:c\\nd\re\\\\f\n\n\0"
        );
        // 1.0 cannot carry LF; it is neutralised rather than splitting the line.
        assert_eq!(
            written(&f, Some(Version::V1_0)),
            b"MESSAGE\na:b:c d\re\\f\n\n\0"
        );
        assert_eq!(written(&f, None), written(&f, Some(Version::V1_0)));
    }

    #[test]
    fn handshake_frames_are_never_escaped() {
        for c in [Command::Connect, Command::Stomp, Command::Connected] {
            let f = Frame::new(c).with_header("passcode", "a\\b:c\rd");
            let mut expected = format!("{c}\npasscode:a\\b:c\rd\n\n").into_bytes();
            expected.push(0);
            assert_eq!(written(&f, Some(Version::V1_2)), expected);
        }
    }

    #[test]
    fn header_injection_is_impossible_without_escaping() {
        let f = Frame::new(Command::Message)
            .with_header("x", "1\ncontent-length:0\n\nevil")
            .with_body("ok");
        let back = read_back(&written(&f, Some(Version::V1_0)), Some(Version::V1_0));
        assert_eq!(back.headers.len(), 1);
        assert_eq!(back.header("content-length"), None);
        assert_eq!(&back.body[..], b"ok");
    }

    #[test]
    fn round_trip_each_version() {
        let tricky = Frame::new(Command::Send)
            .with_header("destination", "/queue/a:b")
            .with_header("na\\me:x", "line1\nline2\\c\\")
            .with_header("dup", "first")
            .with_header("dup", "second")
            .with_header("content-length", "5")
            .with_header("", "")
            .with_header(" spaced ", " v ")
            .with_body(Bytes::from_static(b"a\0b\0c"));
        for v in [Version::V1_1, Version::V1_2] {
            assert_eq!(read_back(&written(&tricky, Some(v)), Some(v)), tricky);
        }
        let cr = Frame::new(Command::Send).with_header("h\r", "\rv\r");
        assert_eq!(
            read_back(&written(&cr, Some(Version::V1_2)), Some(Version::V1_2)),
            cr
        );
        // Within what 1.0 can express, 1.0 round-trips too (value may hold ':').
        let plain = Frame::new(Command::Send)
            .with_header("destination", "/queue/a:b")
            .with_header("back\\slash", "x\\ny")
            .with_body("body");
        for v in [None, Some(Version::V1_0)] {
            assert_eq!(read_back(&written(&plain, v), v), plain);
        }
    }
}
