//! Framing of journal records on disk.
//!
//! ```text
//! +-------+---------+---------+--------------------+
//! | magic | len u32 | crc u32 | payload (len bytes) |
//! +-------+---------+---------+--------------------+
//!   2 B     LE        LE: CRC-32C of the payload
//! ```
//!
//! One frame is one atomic group of operations (see [`crate::op`]): a crash
//! mid-write leaves a frame whose checksum fails, and recovery drops it
//! whole. The magic lets recovery find the next good frame after a corrupted
//! stretch in the middle of a segment.

/// Marks the start of a frame.
pub const MAGIC: [u8; 2] = [0xF7, 0x4A];
/// Magic, length and checksum.
pub const HEADER_LEN: usize = 10;
/// Larger lengths are corruption, not data (a message is at most the
/// broker's frame limit, 100 MiB by default).
pub const MAX_PAYLOAD: usize = 1 << 30;

/// Appends a frame holding `payload` to `out`.
pub fn encode(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&MAGIC);
    // Payloads are bounded by MAX_PAYLOAD < u32::MAX.
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// What lies at an offset of a segment.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// A whole, intact frame: its payload is `buf[payload..payload + len]`
    /// and the next frame starts at `next`.
    Frame {
        payload: usize,
        len: usize,
        next: usize,
    },
    /// The buffer ends inside a frame (or exactly at `at`, with `at == len`).
    Truncated,
    /// No valid frame starts here: bad magic, impossible length or a
    /// checksum mismatch.
    Corrupt,
}

/// Looks at the frame starting at `at`.
pub fn scan(buf: &[u8], at: usize) -> Scan {
    let Some(header) = buf.get(at..).and_then(|b| b.get(..HEADER_LEN)) else {
        // Fewer than HEADER_LEN bytes left: a torn header, unless what is
        // there already is not a frame start.
        let rest = buf.get(at..).unwrap_or_default();
        if rest.iter().zip(MAGIC.iter()).any(|(a, b)| a != b) {
            return Scan::Corrupt;
        }
        return Scan::Truncated;
    };
    if header[..2] != MAGIC {
        return Scan::Corrupt;
    }
    let len = u32::from_le_bytes([header[2], header[3], header[4], header[5]]) as usize;
    let crc = u32::from_le_bytes([header[6], header[7], header[8], header[9]]);
    if len > MAX_PAYLOAD {
        return Scan::Corrupt;
    }
    let payload = at + HEADER_LEN;
    let Some(body) = payload
        .checked_add(len)
        .and_then(|end| buf.get(payload..end))
    else {
        return Scan::Truncated;
    };
    if crc32c::crc32c(body) != crc {
        return Scan::Corrupt;
    }
    Scan::Frame {
        payload,
        len,
        next: payload + len,
    }
}

/// The offset of the next intact frame after a corrupt one at `at`, if any.
pub fn resync(buf: &[u8], at: usize) -> Option<usize> {
    let mut from = at + 1;
    while let Some(i) = buf
        .get(from..)
        .and_then(|b| memchr_pair(b, MAGIC))
        .map(|i| from + i)
    {
        if matches!(scan(buf, i), Scan::Frame { .. }) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn memchr_pair(buf: &[u8], pair: [u8; 2]) -> Option<usize> {
    buf.windows(2).position(|w| w == pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            encode(p, &mut out);
        }
        out
    }

    #[test]
    fn reads_back_what_it_wrote() {
        let buf = framed(&[b"hello", b"", b"world!"]);
        let mut at = 0;
        let mut seen = Vec::new();
        while let Scan::Frame { payload, len, next } = scan(&buf, at) {
            seen.push(buf[payload..payload + len].to_vec());
            at = next;
        }
        assert_eq!(seen, vec![b"hello".to_vec(), vec![], b"world!".to_vec()]);
        assert_eq!(scan(&buf, at), Scan::Truncated);
    }

    #[test]
    fn every_torn_tail_is_truncated_not_corrupt() {
        let buf = framed(&[b"first", b"second record"]);
        let second = HEADER_LEN + 5;
        for cut in second..buf.len() {
            assert_eq!(scan(&buf[..cut], second), Scan::Truncated, "cut at {cut}");
        }
    }

    #[test]
    fn a_flipped_bit_is_corrupt_and_resync_finds_the_next_frame() {
        let mut buf = framed(&[b"first", b"second", b"third"]);
        buf[HEADER_LEN + 2] ^= 0x10;
        assert_eq!(scan(&buf, 0), Scan::Corrupt);
        let next = resync(&buf, 0).unwrap();
        assert_eq!(next, HEADER_LEN + 5);
        assert!(matches!(scan(&buf, next), Scan::Frame { .. }));
    }

    #[test]
    fn absurd_lengths_are_corrupt() {
        let mut buf = framed(&[b"x"]);
        buf[2..6].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(scan(&buf, 0), Scan::Corrupt);
    }

    #[test]
    fn zeroes_after_a_crash_are_not_a_frame() {
        // Preallocated or zero-filled tails must not be mistaken for data.
        let buf = vec![0u8; 64];
        assert_eq!(scan(&buf, 0), Scan::Corrupt);
        assert_eq!(resync(&buf, 0), None);
    }
}
