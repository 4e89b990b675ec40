//! Header escaping (STOMP 1.1 section "Value Encoding", extended by 1.2).

use bytes::{BufMut, BytesMut};

use crate::{Command, StompError, Version};

/// Which escaping rules apply to one frame's headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Escaping {
    /// 1.0, not yet negotiated, or a handshake frame: bytes are taken as-is.
    Raw,
    /// `\n`, `\c`, `\\`.
    V1_1,
    /// 1.1 plus `\r`.
    V1_2,
}

impl Escaping {
    /// `None` counts as 1.0 because before the handshake completes neither
    /// side may assume the peer understands escapes.
    pub(crate) fn for_frame(version: Option<Version>, command: Command) -> Escaping {
        if command.is_handshake() {
            return Escaping::Raw;
        }
        Escaping::for_version(version)
    }

    /// The rules for a frame that is not a handshake frame, including one
    /// whose command is unknown.
    pub(crate) fn for_version(version: Option<Version>) -> Escaping {
        match version {
            None | Some(Version::V1_0) => Escaping::Raw,
            Some(Version::V1_1) => Escaping::V1_1,
            Some(Version::V1_2) => Escaping::V1_2,
        }
    }
}

/// Decodes one header name or value into an owned string.
///
/// Like ActiveMQ, an escape sequence the rules do not define (`\t`, or `\r`
/// in 1.1) is kept literally, backslash included, and so is a trailing lone
/// backslash. (ActiveMQ also unescapes 1.0 headers; that is not copied: in
/// [`Escaping::Raw`] every byte is taken as-is.)
///
/// # Errors
/// [`StompError::InvalidUtf8`] if the result is not UTF-8.
pub(crate) fn unescape(raw: &[u8], mode: Escaping) -> Result<String, StompError> {
    let first = match mode {
        Escaping::Raw => None,
        Escaping::V1_1 | Escaping::V1_2 => memchr::memchr(b'\\', raw),
    };
    let Some(first) = first else {
        // Validate before copying so garbage is rejected without allocating.
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| StompError::InvalidUtf8);
    };

    let mut out = Vec::with_capacity(raw.len());
    out.extend_from_slice(&raw[..first]);
    let mut rest = &raw[first..];
    while let Some(pos) = memchr::memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..pos]);
        let decoded = match rest.get(pos + 1) {
            Some(b'n') => b'\n',
            Some(b'c') => b':',
            Some(b'\\') => b'\\',
            Some(b'r') if mode == Escaping::V1_2 => b'\r',
            // Undefined, or a trailing lone backslash: the backslash is kept
            // and the byte after it, if any, is ordinary text (it cannot be
            // a backslash, `\\` being defined).
            _ => {
                out.push(b'\\');
                rest = &rest[pos + 1..];
                continue;
            }
        };
        out.push(decoded);
        rest = &rest[pos + 2..];
    }
    out.extend_from_slice(rest);
    String::from_utf8(out).map_err(|_| StompError::InvalidUtf8)
}

/// Appends one header name or value, escaped per `mode`.
///
/// In [`Escaping::Raw`] a LF cannot be represented, and writing it verbatim
/// would let a header value (possibly set by another client) inject header
/// lines or end the header block early; it is replaced by a space instead.
pub(crate) fn escape_into(out: &mut BytesMut, s: &str, mode: Escaping) {
    let bytes = s.as_bytes();
    let needs_work = match mode {
        Escaping::Raw => memchr::memchr(b'\n', bytes).is_some(),
        Escaping::V1_1 => memchr::memchr3(b'\n', b':', b'\\', bytes).is_some(),
        Escaping::V1_2 => {
            memchr::memchr3(b'\n', b':', b'\\', bytes).is_some()
                || memchr::memchr(b'\r', bytes).is_some()
        }
    };
    if !needs_work {
        out.put_slice(bytes);
        return;
    }
    out.reserve(bytes.len() + 8);
    for &b in bytes {
        match (b, mode) {
            (b'\n', Escaping::Raw) => out.put_u8(b' '),
            (_, Escaping::Raw) => out.put_u8(b),
            (b'\n', _) => out.put_slice(b"\\n"),
            (b':', _) => out.put_slice(b"\\c"),
            (b'\\', _) => out.put_slice(b"\\\\"),
            (b'\r', Escaping::V1_2) => out.put_slice(b"\\r"),
            _ => out.put_u8(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, mode: Escaping) -> String {
        let mut out = BytesMut::new();
        escape_into(&mut out, s, mode);
        String::from_utf8(out.to_vec()).expect("escaping keeps UTF-8")
    }

    #[test]
    fn mode_selection() {
        use Escaping::*;
        assert_eq!(Escaping::for_frame(None, Command::Send), Raw);
        assert_eq!(Escaping::for_frame(Some(Version::V1_0), Command::Send), Raw);
        assert_eq!(
            Escaping::for_frame(Some(Version::V1_1), Command::Send),
            V1_1
        );
        assert_eq!(
            Escaping::for_frame(Some(Version::V1_2), Command::Message),
            V1_2
        );
        for c in [Command::Connect, Command::Stomp, Command::Connected] {
            assert_eq!(Escaping::for_frame(Some(Version::V1_2), c), Raw);
            assert_eq!(Escaping::for_frame(Some(Version::V1_1), c), Raw);
        }
    }

    #[test]
    fn unescape_1_1() {
        let m = Escaping::V1_1;
        assert_eq!(unescape(b"a\\nb\\cc\\\\d", m).unwrap(), "a\nb:c\\d");
        assert_eq!(unescape(b"plain", m).unwrap(), "plain");
        assert_eq!(unescape(b"", m).unwrap(), "");
        assert_eq!(unescape(b"\\\\n", m).unwrap(), "\\n");
    }

    #[test]
    fn undefined_escapes_are_kept_literally_in_1_1() {
        let m = Escaping::V1_1;
        assert_eq!(unescape(b"a\\rb", m).unwrap(), "a\\rb");
        assert_eq!(unescape(b"dir\\temp", m).unwrap(), "dir\\temp");
        assert_eq!(unescape(b"a\\", m).unwrap(), "a\\");
        assert_eq!(unescape(b"\\", m).unwrap(), "\\");
        assert_eq!(unescape(b"\\t\\n\\x\\", m).unwrap(), "\\t\n\\x\\");
        // The character after the backslash is ordinary text, even when it is
        // the start of a multi-byte sequence.
        assert_eq!(unescape("\\é\\c".as_bytes(), m).unwrap(), "\\é:");
    }

    #[test]
    fn unescape_1_2_adds_cr() {
        let m = Escaping::V1_2;
        assert_eq!(unescape(b"a\\rb\\n", m).unwrap(), "a\rb\n");
        assert_eq!(unescape(b"\\t", m).unwrap(), "\\t");
        assert_eq!(unescape(b"\\", m).unwrap(), "\\");
        assert_eq!(unescape(b"x\\r\\", m).unwrap(), "x\r\\");
        // Kept literally, but the result must still be UTF-8.
        assert!(matches!(
            unescape(b"\\\xff", m),
            Err(StompError::InvalidUtf8)
        ));
    }

    #[test]
    fn raw_mode_leaves_backslashes_alone() {
        assert_eq!(unescape(b"a\\tb\\", Escaping::Raw).unwrap(), "a\\tb\\");
    }

    #[test]
    fn unescape_rejects_bad_utf8_on_both_paths() {
        for m in [Escaping::Raw, Escaping::V1_1, Escaping::V1_2] {
            assert!(matches!(unescape(b"\xff", m), Err(StompError::InvalidUtf8)));
            assert!(matches!(unescape(b"\xc3", m), Err(StompError::InvalidUtf8)));
        }
        assert!(matches!(
            unescape(b"\\n\xff", Escaping::V1_1),
            Err(StompError::InvalidUtf8)
        ));
        assert_eq!(unescape("é\\cü".as_bytes(), Escaping::V1_1).unwrap(), "é:ü");
    }

    #[test]
    fn escape_per_mode() {
        let s = "a\nb:c\\d\re";
        assert_eq!(esc(s, Escaping::V1_1), "a\\nb\\cc\\\\d\re");
        assert_eq!(esc(s, Escaping::V1_2), "a\\nb\\cc\\\\d\\re");
        assert_eq!(esc("x:y\\z\r", Escaping::Raw), "x:y\\z\r");
        assert_eq!(esc("plain", Escaping::V1_2), "plain");
        assert_eq!(esc("only\rcr", Escaping::V1_2), "only\\rcr");
    }

    #[test]
    fn raw_mode_neutralises_lf() {
        assert_eq!(esc("a\nreceipt:x", Escaping::Raw), "a receipt:x");
    }

    #[test]
    fn escape_then_unescape_is_identity() {
        let s = "\\\\n:\n\r\\c é";
        for m in [Escaping::V1_1, Escaping::V1_2] {
            let e = esc(s, m);
            assert_eq!(unescape(e.as_bytes(), m).unwrap(), s);
        }
    }
}
