//! Java's "modified UTF-8" (the payload of `DataOutput.writeUTF`), which is
//! how OpenWire carries every string.
//!
//! It differs from standard UTF-8 in two ways: U+0000 is written as the two
//! bytes `C0 80` (so encoded strings never contain a zero byte), and a
//! character outside the BMP is written as its UTF-16 surrogate pair, each
//! half as a 3-byte sequence (6 bytes instead of 4). Java strings may also
//! hold unpaired surrogates, which Java encodes the same way.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use crate::error::{OpenWireError, Result};

/// Decodes modified UTF-8 (Java `DataInput.readUTF` payload, without the
/// length prefix).
///
/// Bytes that are already valid standard UTF-8 are borrowed; that covers
/// every string without a NUL or a character outside the BMP. Otherwise the
/// text is rebuilt: `C0 80` becomes U+0000, surrogate pairs are joined, and
/// unpaired surrogates (which Java strings may hold but Rust strings cannot)
/// become U+FFFD.
///
/// Like Java, this accepts non-shortest ("overlong") 2- and 3-byte forms.
/// Unlike Java, it also accepts standard 4-byte UTF-8 sequences, because
/// non-Java OpenWire clients send them and the meaning is unambiguous.
///
/// # Errors
///
/// [`OpenWireError::InvalidUtf8`] for a byte that cannot start a sequence,
/// a missing continuation byte, or a sequence cut off by the end of input.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>> {
    // Standard UTF-8 rejects `C0 80` and encoded surrogates, so anything
    // that passes is already the exact text; no separate scan is needed.
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => decode_slow(bytes, false).map(Cow::Owned),
    }
}

/// Like [`decode`], but replaces malformed sequences with U+FFFD instead of
/// failing; for logging and `Debug`/`Display`.
pub fn decode_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        // Lossy decoding never reports an error.
        Err(_) => Cow::Owned(decode_slow(bytes, true).unwrap_or_default()),
    }
}

/// The slow path: alternates between runs that are valid standard UTF-8
/// (copied wholesale) and single Java-specific sequences at the points where
/// standard validation stops.
fn decode_slow(bytes: &[u8], lossy: bool) -> Result<String> {
    // Decoded text is never longer than its encoding (a 3-byte sequence
    // becomes at most 3 bytes, `C0 80` becomes 1, a 6-byte pair becomes 4),
    // and the input is in memory already, so this bounds nothing new.
    let mut out = String::with_capacity(bytes.len());
    // A high surrogate waiting to see whether a low one follows.
    let mut pending_high: Option<u16> = None;
    let mut rest = bytes;
    while !rest.is_empty() {
        let valid = match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(e) => {
                // Safe split: `valid_up_to` is a char boundary by contract.
                std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default()
            }
        };
        if !valid.is_empty() {
            if pending_high.take().is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            out.push_str(valid);
            rest = &rest[valid.len()..];
            continue;
        }
        match java_unit(rest) {
            Some((unit, used)) => {
                rest = &rest[used..];
                push_unit(&mut out, &mut pending_high, unit);
            }
            None if lossy => {
                if pending_high.take().is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                out.push(char::REPLACEMENT_CHARACTER);
                rest = &rest[1..];
            }
            None => return Err(OpenWireError::InvalidUtf8),
        }
    }
    if pending_high.is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    Ok(out)
}

/// Decodes one 1-, 2- or 3-byte Java sequence at the start of `b` into a
/// UTF-16 code unit, with Java's leniency (overlong forms pass). Returns the
/// unit and the bytes used, or `None` if `b` does not start a valid one.
fn java_unit(b: &[u8]) -> Option<(u16, usize)> {
    let cont = |i: usize| b.get(i).copied().filter(|c| c & 0xC0 == 0x80);
    let b0 = *b.first()?;
    if b0 < 0x80 {
        Some((u16::from(b0), 1))
    } else if b0 & 0xE0 == 0xC0 {
        let b1 = cont(1)?;
        Some(((u16::from(b0 & 0x1F) << 6) | u16::from(b1 & 0x3F), 2))
    } else if b0 & 0xF0 == 0xE0 {
        let b1 = cont(1)?;
        let b2 = cont(2)?;
        Some((
            (u16::from(b0 & 0x0F) << 12) | (u16::from(b1 & 0x3F) << 6) | u16::from(b2 & 0x3F),
            3,
        ))
    } else {
        // Continuation bytes and 4-byte leads reach here only when standard
        // validation already failed on them, so they are malformed.
        None
    }
}

/// Appends one UTF-16 code unit, pairing surrogates and replacing unpaired
/// ones with U+FFFD.
fn push_unit(out: &mut String, pending_high: &mut Option<u16>, unit: u16) {
    match unit {
        0xD800..=0xDBFF => {
            if pending_high.replace(unit).is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
        0xDC00..=0xDFFF => match pending_high.take() {
            Some(high) => {
                let cp = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            None => out.push(char::REPLACEMENT_CHARACTER),
        },
        _ => {
            if pending_high.take().is_some() {
                out.push(char::REPLACEMENT_CHARACTER);
            }
            // Non-surrogate BMP units are always valid chars.
            out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }
}

/// Whether a byte of standard UTF-8 needs rewriting in modified UTF-8: a NUL,
/// or the lead byte of a 4-byte (supplementary) sequence.
#[inline]
fn is_special(b: u8) -> bool {
    b == 0 || b >= 0xF0
}

/// Appends the modified UTF-8 encoding of `s` (no length prefix).
pub fn encode(s: &str, out: &mut Vec<u8>) {
    out.reserve(encoded_len(s));
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Everything except NUL and supplementary characters is identical
        // in both encodings, so copy runs of it unchanged.
        let run = bytes[i..]
            .iter()
            .position(|&b| is_special(b))
            .unwrap_or(bytes.len() - i);
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
        let Some(&b) = bytes.get(i) else { break };
        if b == 0 {
            out.extend_from_slice(&[0xC0, 0x80]);
            i += 1;
        } else {
            // A 4-byte sequence starts at a char boundary of a valid `str`.
            let c = s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut units = [0u16; 2];
            for &u in c.encode_utf16(&mut units).iter() {
                out.extend_from_slice(&[
                    0xE0 | (u >> 12) as u8,
                    0x80 | ((u >> 6) & 0x3F) as u8,
                    0x80 | (u & 0x3F) as u8,
                ]);
            }
            i += c.len_utf8();
        }
    }
}

/// Length of `encode(s)` in bytes.
pub fn encoded_len(s: &str) -> usize {
    // NUL grows from 1 byte to 2; a supplementary char from 4 to 6.
    s.len()
        + s.bytes()
            .map(|b| match b {
                0 => 1,
                0xF0..=0xFF => 2,
                _ => 0,
            })
            .sum::<usize>()
}

/// Number of UTF-16 code units (Java `String.length()`) of the text that
/// modified-UTF-8 `bytes` encode, counted without decoding: every byte that
/// is not a continuation byte starts one unit, and a standard 4-byte
/// sequence stands for two.
pub fn utf16_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0xBF => 0,
            0xF0..=0xFF => 2,
            _ => 1,
        })
        .sum()
}

/// A string as OpenWire carries it: the raw modified-UTF-8 bytes, kept as
/// they arrived so that decode→encode reproduces the exact bytes, and read
/// as text only when asked.
///
/// Comparison, hashing and ordering are by those bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OwString(pub Bytes);

impl OwString {
    /// Encodes `s` as modified UTF-8.
    // An inherent `from_str` (as the crate API names it) rather than
    // `FromStr`, which would need an error type for an infallible
    // conversion; the trait conversions are `From<&str>`/`From<String>`.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(s: &str) -> OwString {
        // Most strings are their own encoding; skip the rewrite for those.
        if s.bytes().any(is_special) {
            let mut v = Vec::with_capacity(encoded_len(s));
            encode(s, &mut v);
            OwString(Bytes::from(v))
        } else {
            OwString(Bytes::copy_from_slice(s.as_bytes()))
        }
    }

    /// Wraps bytes that are already modified UTF-8 (not checked).
    pub fn from_raw(bytes: Bytes) -> OwString {
        OwString(bytes)
    }

    /// The raw modified-UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text; borrowed unless it holds a NUL or supplementary characters.
    ///
    /// # Errors
    ///
    /// [`OpenWireError::InvalidUtf8`] if the bytes are not modified UTF-8.
    pub fn to_str(&self) -> Result<Cow<'_, str>> {
        decode(&self.0)
    }

    /// The text, with U+FFFD for anything malformed.
    pub fn to_string_lossy(&self) -> String {
        decode_lossy(&self.0).into_owned()
    }

    /// Length in encoded bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every byte is in `0x01..=0x7F`. This decides OpenWire's tight-encoding
    /// "ascii" flag: Java sets it when every char is in `1..=0x7F`, and those
    /// chars are exactly the single-byte sequences of modified UTF-8.
    pub fn is_ascii_7bit(&self) -> bool {
        self.0.iter().all(|&b| (0x01..=0x7F).contains(&b))
    }

    /// Java `String.length()` of the text (UTF-16 code units), from the
    /// bytes without decoding them. ActiveMQ picks between its short and
    /// big string encodings by this count.
    pub fn utf16_len(&self) -> usize {
        utf16_len(&self.0)
    }
}

impl From<&str> for OwString {
    fn from(s: &str) -> Self {
        OwString::from_str(s)
    }
}

impl From<String> for OwString {
    fn from(s: String) -> Self {
        if s.bytes().any(is_special) {
            OwString::from_str(&s)
        } else {
            // Already its own encoding: take the buffer without copying.
            OwString(Bytes::from(s.into_bytes()))
        }
    }
}

impl From<&String> for OwString {
    fn from(s: &String) -> Self {
        OwString::from_str(s)
    }
}

/// Equal when `s` encodes to exactly these bytes.
impl PartialEq<str> for OwString {
    fn eq(&self, s: &str) -> bool {
        if s.bytes().any(is_special) {
            // Rare (NUL or supplementary characters): compare the encoding.
            let mut v = Vec::with_capacity(encoded_len(s));
            encode(s, &mut v);
            self.0 == v
        } else {
            self.0 == s.as_bytes()
        }
    }
}

impl PartialEq<&str> for OwString {
    fn eq(&self, s: &&str) -> bool {
        self == *s
    }
}

impl fmt::Debug for OwString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*decode_lossy(&self.0), f)
    }
}

impl fmt::Display for OwString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&decode_lossy(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc(s: &str) -> Vec<u8> {
        let mut v = Vec::new();
        encode(s, &mut v);
        v
    }

    /// What Java's `DataOutputStream.writeUTF` writes for a UTF-16 string
    /// (without the length prefix), as the reference.
    fn java_encode(units: &[u16]) -> Vec<u8> {
        let mut v = Vec::new();
        for &c in units {
            match c {
                0x0001..=0x007F => v.push(c as u8),
                0x0000 | 0x0080..=0x07FF => {
                    v.push(0xC0 | (c >> 6) as u8);
                    v.push(0x80 | (c & 0x3F) as u8);
                }
                _ => {
                    v.push(0xE0 | (c >> 12) as u8);
                    v.push(0x80 | ((c >> 6) & 0x3F) as u8);
                    v.push(0x80 | (c & 0x3F) as u8);
                }
            }
        }
        v
    }

    #[test]
    fn encodes_nul_and_supplementary_like_java() {
        assert_eq!(enc("a\0b"), b"a\xC0\x80b");
        // U+1F600 = D83D DE00.
        assert_eq!(enc("\u{1F600}"), b"\xED\xA0\xBD\xED\xB8\x80");
        assert_eq!(enc("é€"), "é€".as_bytes());
        assert_eq!(encoded_len("a\0\u{1F600}é"), 1 + 2 + 6 + 2);
    }

    #[test]
    fn decode_borrows_plain_text() {
        let b = "héllo €".as_bytes();
        assert!(matches!(decode(b).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn decodes_java_forms() {
        assert_eq!(decode(b"a\xC0\x80b").unwrap(), "a\0b");
        assert_eq!(decode(b"\xED\xA0\xBD\xED\xB8\x80").unwrap(), "\u{1F600}");
        // Raw NUL byte, which Java's readUTF also accepts.
        assert_eq!(decode(b"a\0").unwrap(), "a\0");
        // Overlong forms, accepted by Java.
        assert_eq!(decode(b"\xC1\x81").unwrap(), "A");
        assert_eq!(decode(b"\xE0\x80\x80").unwrap(), "\0");
        // Standard 4-byte UTF-8 from non-Java clients.
        assert_eq!(decode("x\u{1F600}\0".as_bytes()).unwrap(), "x\u{1F600}\0");
        assert_eq!(decode(b"\xC0\x80\xF0\x9F\x98\x80").unwrap(), "\0\u{1F600}");
    }

    #[test]
    fn lone_surrogates_become_replacement() {
        // High alone, low alone, high then high then low, high at the end.
        assert_eq!(decode(b"a\xED\xA0\x80b").unwrap(), "a\u{FFFD}b");
        assert_eq!(decode(b"a\xED\xB0\x80b").unwrap(), "a\u{FFFD}b");
        assert_eq!(
            decode(b"\xED\xA0\x80\xED\xA0\xBD\xED\xB8\x80").unwrap(),
            "\u{FFFD}\u{1F600}"
        );
        assert_eq!(decode(b"x\xED\xA0\x80").unwrap(), "x\u{FFFD}");
        assert_eq!(decode(b"\xED\xA0\x80\xC0\x80").unwrap(), "\u{FFFD}\0");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b"\x80"[..],
            b"a\xC3",
            b"\xE2\x82",
            b"\xC3\x41",
            b"\xE2\x41\x82",
            b"\xFF",
            b"\xF0\x9F\x98",
            b"\xF8\x80\x80\x80\x80",
        ] {
            assert!(
                matches!(decode(bad), Err(OpenWireError::InvalidUtf8)),
                "{bad:?}"
            );
            // Lossy decoding never fails and marks the damage.
            assert!(decode_lossy(bad).contains('\u{FFFD}'), "{bad:?}");
        }
    }

    #[test]
    fn owstring_basics() {
        let s = OwString::from("k\0\u{1F600}");
        assert_eq!(s.as_bytes(), b"k\xC0\x80\xED\xA0\xBD\xED\xB8\x80");
        assert_eq!(s.len(), 9);
        assert_eq!(s.utf16_len(), 4);
        assert_eq!(s.to_str().unwrap(), "k\0\u{1F600}");
        assert!(!s.is_ascii_7bit());
        assert!(s == "k\0\u{1F600}");
        assert!(OwString::from("abc").is_ascii_7bit());
        assert!(OwString::default().is_ascii_7bit());
        assert!(OwString::default().is_empty());
        assert_eq!(format!("{:?}", OwString::from("a\"b")), "\"a\\\"b\"");
        assert_eq!(OwString::from("é").to_string(), "é");
        assert_eq!(OwString::from(String::from("x\0")), OwString::from("x\0"));
        let broken = OwString(Bytes::from_static(b"a\xFF"));
        assert!(broken.to_str().is_err());
        assert_eq!(broken.to_string_lossy(), "a\u{FFFD}");
    }

    proptest! {
        #[test]
        fn round_trip(s in any::<String>()) {
            let e = enc(&s);
            prop_assert_eq!(e.len(), encoded_len(&s));
            prop_assert!(!e.contains(&0));
            prop_assert_eq!(decode(&e).unwrap(), s.as_str());
            let units: Vec<u16> = s.encode_utf16().collect();
            prop_assert_eq!(&e, &java_encode(&units));
            prop_assert_eq!(utf16_len(&e), units.len());
        }

        #[test]
        fn java_strings_with_any_units_decode(units in proptest::collection::vec(any::<u16>(), 0..40)) {
            // Arbitrary UTF-16, lone surrogates included, as Java may hold.
            let e = java_encode(&units);
            let expected: String = char::decode_utf16(units.iter().copied())
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            prop_assert_eq!(decode(&e).unwrap(), expected.as_str());
            prop_assert_eq!(utf16_len(&e), units.len());
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let strict = decode(&b);
            let lossy = decode_lossy(&b);
            if let Ok(s) = strict {
                prop_assert_eq!(s, lossy);
            }
        }
    }
}
