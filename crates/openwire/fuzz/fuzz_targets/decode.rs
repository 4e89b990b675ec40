//! Fuzz target `decode`: arbitrary bytes into `Codec::read_frame`.
//!
//! Input layout:
//!
//! * byte 0, the wire format: bits 0-3 the version (`(b & 15) % 12 + 1`),
//!   bit 4 tight encoding, bit 5 marshalling cache, bit 6 stack traces,
//!   bit 7 size prefix *disabled*.
//! * byte 1, the rest of the setup: bits 0-1 `max_frame_size` (100 MiB,
//!   `u64::MAX` as ActiveMQ's default `Long.MAX_VALUE` negotiates to, 32,
//!   512), bits 2-3 `cache_size` (1024, 16383, 8, 1), bit 4 "handshake": the
//!   first frame is read in the initial format (loose, uncached, v12) and
//!   the codecs then switch to the chosen one, as a real connection does,
//!   bits 5-7 chunking: 0 feeds the whole stream at once, k > 0 feeds it in
//!   pseudo-random chunks of 1 to 4^k bytes.
//! * the rest: the byte stream.
//!
//! Checked: nothing panics (decode or encode); every decoded frame
//! re-encodes through a second codec without panicking; when it re-encodes,
//! a third codec fed the re-encoded stream decodes it back to the same
//! value; and a chunked feed decodes exactly the frames the whole-stream
//! feed does.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use openwire::{Codec, DataStructure, OpenWireError, WireFormat};

#[derive(Clone, Copy)]
struct Setup {
    format: WireFormat,
    handshake: bool,
    chunking: u8,
}

fn setup(b0: u8, b1: u8) -> Setup {
    let format = WireFormat {
        version: (b0 & 15) % 12 + 1,
        tight: b0 & 0x10 != 0,
        cache: b0 & 0x20 != 0,
        stack_trace: b0 & 0x40 != 0,
        size_prefix: b0 & 0x80 == 0,
        max_frame_size: match b1 & 3 {
            0 => 100 * 1024 * 1024,
            1 => u64::MAX,
            2 => 32,
            _ => 512,
        },
        cache_size: match (b1 >> 2) & 3 {
            0 => 1024,
            1 => openwire::wire::CACHE_SIZE,
            2 => 8,
            _ => 1,
        },
    };
    Setup {
        format,
        handshake: b1 & 0x10 != 0,
        chunking: b1 >> 5,
    }
}

/// How one feed ended.
#[derive(Debug, PartialEq)]
enum End {
    /// Everything consumed.
    Done,
    /// Input ran out inside a frame.
    Incomplete,
    /// The decoder refused the stream.
    Error,
}

/// Feeds `stream` to a fresh codec, in chunks when `chunking` > 0, and
/// returns the frames decoded and how it ended. Each frame is also checked
/// by re-encoding it.
fn feed(s: Setup, stream: &[u8], chunking: u8) -> (Vec<Option<DataStructure>>, End) {
    let start = if s.handshake {
        WireFormat::initial(12)
    } else {
        s.format
    };
    let mut reader = Codec::new(start);
    let mut reenc = ReEncoder::new(start);
    let mut frames = Vec::new();
    let mut buf = BytesMut::new();
    let mut rest = stream;
    let mut rng: u32 = 0x9E37_79B9 ^ (stream.len() as u32).wrapping_mul(31) ^ chunking as u32;
    let mut next_chunk = |rest: &mut &[u8], buf: &mut BytesMut| -> bool {
        if rest.is_empty() {
            return false;
        }
        let n = if chunking == 0 {
            rest.len()
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            let max = 1usize << (2 * chunking as u32);
            1 + (rng as usize) % max
        }
        .min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        *rest = &rest[n..];
        true
    };
    next_chunk(&mut rest, &mut buf);
    loop {
        match reader.read_frame(&mut buf) {
            Ok(Some(frame)) => {
                reenc.check(frame.as_ref());
                if s.handshake && frames.is_empty() {
                    reader.set_format(s.format);
                    reenc.set_format(s.format);
                }
                frames.push(frame);
                if buf.is_empty() && !next_chunk(&mut rest, &mut buf) {
                    return (frames, End::Done);
                }
            }
            Ok(None) => {
                if !next_chunk(&mut rest, &mut buf) {
                    return (frames, End::Incomplete);
                }
            }
            Err(OpenWireError::Io(e)) => panic!("I/O error from a pure codec: {e}"),
            Err(_) => return (frames, End::Error),
        }
    }
}

/// Re-encodes decoded frames with a second codec and decodes the result
/// with a third, both kept in the same state as a real peer pair.
struct ReEncoder {
    writer: Codec,
    reader: Codec,
}

impl ReEncoder {
    fn new(format: WireFormat) -> Self {
        ReEncoder {
            writer: Codec::new(format),
            reader: Codec::new(format),
        }
    }

    fn set_format(&mut self, format: WireFormat) {
        self.writer.set_format(format);
        self.reader.set_format(format);
    }

    fn check(&mut self, frame: Option<&DataStructure>) {
        let mut out = BytesMut::new();
        if self.writer.write_frame(frame, &mut out).is_err() {
            // Unencodable in this format (too large, a string too long
            // for the encoding, ...). The writer's cache may now hold
            // entries the peer never saw: start both sides afresh.
            let f = self.writer.format;
            self.set_format(f);
            return;
        }
        let len = out.len();
        match self.reader.read_frame(&mut out) {
            Ok(Some(back)) => {
                assert_eq!(
                    back.as_ref(),
                    frame,
                    "re-encoded frame decodes to a different value"
                );
                assert!(
                    out.is_empty(),
                    "{} of {len} re-encoded bytes left over",
                    out.len()
                );
            }
            Ok(None) => panic!("re-encoded frame ({len} bytes) is incomplete"),
            Err(e) => panic!(
                "re-encoded {} does not decode: {e}",
                frame.map_or("NULL", |f| f.name())
            ),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let s = setup(data[0], data[1]);
    let stream = &data[2..];
    let whole = feed(s, stream, 0);
    if s.chunking != 0 {
        let chunked = feed(s, stream, s.chunking);
        assert_eq!(whole, chunked, "chunked feed decodes differently");
    }
});
