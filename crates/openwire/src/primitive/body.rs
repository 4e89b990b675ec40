//! Message bodies that are not primitive maps or streams: TextMessage text
//! and compressed content.
//!
//! ActiveMQ compresses bodies in two different formats:
//!
//! * Text, Map, Stream and Object messages: the content is a bare zlib
//!   stream (`java.util.zip.DeflaterOutputStream`, default level) of the
//!   uncompressed content. See [`inflate`] / [`deflate`].
//! * BytesMessage (`ActiveMQBytesMessage.doCompress`): a big-endian i32
//!   holding the uncompressed length, then a zlib stream. See
//!   [`inflate_bytes_message`] / [`deflate_bytes_message`].

use std::io::Write;

use bytes::Bytes;
use flate2::{Compression, Decompress, FlushDecompress, Status};

use super::codec::Input;
use crate::error::{OpenWireError, Result};
use crate::mutf8;

/// Reads TextMessage content as ActiveMQ stores it
/// (`MarshallingSupport.writeUTF8`): a big-endian i32 byte length, then the
/// text in modified UTF-8. A negative length is a null text (`None`), as in
/// Java's `readUTF8`. Bytes after the text are ignored, as Java ignores them.
///
/// Unpaired surrogates (legal in Java strings) become U+FFFD.
///
/// # Errors
///
/// [`OpenWireError::Truncated`] if the content is shorter than its length
/// says, [`OpenWireError::InvalidUtf8`] if the text is not modified UTF-8.
pub fn read_text(content: &[u8]) -> Result<Option<String>> {
    let mut inp = Input::new(content, None);
    let len = inp.i32()?;
    let Ok(len) = usize::try_from(len) else {
        return Ok(None);
    };
    let text = inp.take(len)?;
    Ok(Some(mutf8::decode(text)?.into_owned()))
}

/// Writes TextMessage content: i32 length and modified UTF-8, or -1 for
/// `None` (what `writeUTF8(null)` writes; ActiveMQ itself leaves the content
/// field null for a null text rather than writing this).
///
/// # Errors
///
/// [`OpenWireError::Unencodable`] if the encoded text is over `i32::MAX`
/// bytes.
pub fn write_text(text: Option<&str>, out: &mut Vec<u8>) -> Result<()> {
    let Some(text) = text else {
        out.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    };
    let n = mutf8::encoded_len(text);
    let len = i32::try_from(n)
        .map_err(|_| OpenWireError::Unencodable(format!("text of {n} bytes is over i32::MAX")))?;
    out.reserve(4 + n);
    out.extend_from_slice(&len.to_be_bytes());
    mutf8::encode(text, out);
    Ok(())
}

/// Inflates the content of a compressed Text, Map, Stream or Object message:
/// a zlib stream (RFC 1950) of the uncompressed content. Input after the end
/// of the zlib stream is ignored, as Java's `InflaterInputStream` ignores it.
///
/// The output grows only as data is actually inflated, and inflating stops
/// as soon as it passes `max`, so a zip bomb cannot allocate past `max`.
///
/// # Errors
///
/// [`OpenWireError::FrameTooLarge`] if the content inflates to more than
/// `max` bytes (`size` is then `max + 1`: inflating stops there),
/// [`OpenWireError::Malformed`] for data that is not a zlib stream or ends
/// before the stream does.
pub fn inflate(content: &[u8], max: usize) -> Result<Bytes> {
    let limit = max.saturating_add(1);
    let (out, ended) = inflate_zlib(content, limit)?;
    if out.len() > max {
        return Err(too_large(out.len(), max));
    }
    if !ended {
        return Err(truncated_zlib());
    }
    Ok(Bytes::from(out))
}

/// Compresses content for a Text, Map, Stream or Object message with the
/// `compressed` flag: a zlib stream at the default level, as Java's
/// `DeflaterOutputStream` writes (the compressed bytes themselves differ
/// from Java's zlib; any inflater reads both).
///
/// # Errors
///
/// Only an I/O error from the compressor, which writing to memory does not
/// produce.
pub fn deflate(content: &[u8]) -> Result<Bytes> {
    let mut out = Vec::with_capacity(content.len() / 2 + 64);
    zlib_into(content, &mut out)?;
    Ok(Bytes::from(out))
}

/// Inflates the content of a compressed BytesMessage: a big-endian i32
/// uncompressed length, then a zlib stream. Exactly that many bytes are
/// inflated and the rest of the stream is ignored: ActiveMQ compresses its
/// whole write buffer, so its streams usually inflate to more than the
/// length (zero padding up to the buffer's capacity), and its reader stops
/// at the length too. Empty content is an empty body, as in Java.
///
/// # Errors
///
/// [`OpenWireError::Truncated`] if non-empty content is shorter than the
/// length prefix, [`OpenWireError::NegativeLength`] for a negative length,
/// [`OpenWireError::FrameTooLarge`] if the length is over `max`,
/// [`OpenWireError::Malformed`] for a bad zlib stream or one that inflates
/// to fewer bytes than the length.
pub fn inflate_bytes_message(content: &[u8], max: usize) -> Result<Bytes> {
    if content.is_empty() {
        return Ok(Bytes::new());
    }
    let mut inp = Input::new(content, None);
    let len = inp.i32()?;
    let len = usize::try_from(len).map_err(|_| OpenWireError::NegativeLength(len.into()))?;
    if len > max {
        return Err(too_large(len, max));
    }
    let zlib = inp.take(inp.remaining())?;
    let (out, _) = inflate_zlib(zlib, len)?;
    if out.len() < len {
        return Err(OpenWireError::Malformed(format!(
            "compressed BytesMessage inflates to {} bytes, its header says {len}",
            out.len()
        )));
    }
    Ok(Bytes::from(out))
}

/// Compresses a BytesMessage body as ActiveMQ does: the big-endian i32
/// length of `content`, then a zlib stream of it (without the zero padding
/// Java's stream carries; readers stop at the length either way).
///
/// # Errors
///
/// [`OpenWireError::Unencodable`] if `content` is over `i32::MAX` bytes.
pub fn deflate_bytes_message(content: &[u8]) -> Result<Bytes> {
    let len = i32::try_from(content.len()).map_err(|_| {
        OpenWireError::Unencodable(format!("body of {} bytes is over i32::MAX", content.len()))
    })?;
    let mut out = Vec::with_capacity(content.len() / 2 + 68);
    out.extend_from_slice(&len.to_be_bytes());
    zlib_into(content, &mut out)?;
    Ok(Bytes::from(out))
}

fn zlib_into(content: &[u8], out: &mut Vec<u8>) -> Result<()> {
    // Level 6 with a zlib header, like java.util.zip.Deflater's default.
    let mut enc = flate2::write::ZlibEncoder::new(out, Compression::default());
    enc.write_all(content)?;
    enc.finish()?;
    Ok(())
}

/// Inflates a zlib stream until it ends or `limit` bytes are out, whichever
/// comes first. Returns the output and whether the stream ended.
fn inflate_zlib(input: &[u8], limit: usize) -> Result<(Vec<u8>, bool)> {
    let mut d = Decompress::new(true);
    // Start small and grow as output actually appears: never reserve by a
    // claimed size, only by what has been inflated so far (doubling), capped
    // at the limit.
    let mut out: Vec<u8> =
        Vec::with_capacity(limit.min(input.len().saturating_mul(2)).min(64 * 1024));
    loop {
        if out.len() >= limit {
            // Allocators may round capacity up, so the last call can write
            // past the limit; callers rely on never seeing more.
            out.truncate(limit);
            return Ok((out, false));
        }
        if out.len() == out.capacity() {
            let grow = out.len().max(4096).min(limit - out.len());
            out.reserve_exact(grow);
        }
        let consumed = usize::try_from(d.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or(&[]);
        let (in_before, out_before) = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| {
                OpenWireError::Malformed(format!("bad zlib data in a compressed body: {e}"))
            })?;
        if status == Status::StreamEnd {
            return Ok((out, true));
        }
        let progressed = d.total_in() != in_before || d.total_out() != out_before;
        // No progress with output room left means the input ran out.
        if !progressed && out.len() < out.capacity() {
            return Ok((out, false));
        }
    }
}

fn too_large(size: usize, max: usize) -> OpenWireError {
    OpenWireError::FrameTooLarge {
        size: size as u64,
        max: max as u64,
    }
}

fn truncated_zlib() -> OpenWireError {
    OpenWireError::Malformed("compressed body ends inside its zlib stream".into())
}
