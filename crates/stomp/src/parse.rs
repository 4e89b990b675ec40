//! Incremental, sans-IO frame decoding.
//!
//! Bytes stay in the caller's buffer until a whole frame (or heart-beat) is
//! there; only then is it split off, so a large body is handed out without
//! a copy. Meanwhile [`ReadState`] remembers how far each line and the body
//! have been searched, and the headers already parsed, so data arriving in
//! small chunks costs linear rather than quadratic work, and protocol errors
//! and limit breaches surface on the chunk that proves them.

use bytes::{Buf, Bytes, BytesMut};
use nom::bytes::complete::{tag, take_till};
use nom::combinator::{opt, rest};
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};

use crate::escape::{unescape, Escaping};
use crate::{Command, Frame, Item, Limits, StompError, Version};

/// Caps the buffer growth requested for a sized body: `content-length` is
/// peer-controlled, so it may only hint at allocation, never dictate it.
const MAX_BODY_RESERVE: usize = 64 * 1024;

/// Bodies shorter than this are copied out of the read buffer. A zero-copy
/// body keeps its whole buffer allocation alive, and a broker may hold
/// messages for a long time: a 100-byte message pinning an 8 KiB (or, after
/// a big frame, far larger) chunk would multiply memory use. Past this size
/// the body is a large share of its chunk and sharing is the better deal.
const ZERO_COPY_MIN_BODY: usize = 16 * 1024;

/// Decoding progress carried between [`read`] calls.
///
/// It describes the front of the buffer passed to [`read`], so it belongs to
/// that buffer: pair a fresh (default) state with any other buffer. A fresh
/// state on the same buffer is always safe, merely slower, because nothing
/// is consumed before a whole item is decoded.
#[derive(Default, Debug)]
pub struct ReadState {
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// Between frames: expecting a heart-beat or a command line.
    Command {
        /// Bytes of the unfinished command line already searched for LF.
        scanned: usize,
    },
    /// Command line read; header lines being consumed.
    Headers {
        /// The command, or the command line as received if it is unknown:
        /// that is only reported once the header block is complete, so the
        /// error can carry the frame's `receipt`.
        command: Result<Command, String>,
        head: Head,
        /// Offset of the first byte of the current, unfinished line.
        line_start: usize,
        /// Offset up to which the current line has been searched for LF.
        scanned: usize,
    },
    /// Header block complete; waiting for the body and its NUL.
    Body {
        command: Command,
        head: Head,
        /// Offset of the body's first byte.
        start: usize,
        /// Offset up to which the body has been searched for NUL.
        scanned: usize,
    },
}

impl Default for Stage {
    fn default() -> Self {
        Stage::Command { scanned: 0 }
    }
}

impl Stage {
    /// The highest buffer offset this stage relies on.
    fn extent(&self) -> usize {
        match self {
            Stage::Command { scanned } => *scanned,
            Stage::Headers { scanned, .. } | Stage::Body { scanned, .. } => *scanned,
        }
    }
}

/// The headers decoded so far.
#[derive(Debug)]
struct Head {
    escaping: Escaping,
    headers: Vec<(String, String)>,
    /// From the first `content-length` header; later ones are ignored, just
    /// as [`Frame::header`] ignores them.
    content_length: Option<usize>,
}

/// A complete line found in the buffer.
struct Line {
    /// End of the line's content, with one trailing CR removed.
    end: usize,
    /// Offset just past the LF.
    next: usize,
}

/// Decodes the next heart-beat or frame from the front of `buf`.
///
/// Returns `Ok(None)` when more data is needed; nothing is consumed then, and
/// the next call (with more bytes appended to `buf` and the same `state`)
/// resumes where this one stopped. On success exactly the decoded item's
/// bytes are removed from `buf`. `version: None` means not yet negotiated and
/// is decoded like 1.0 (no header unescaping).
///
/// # Errors
/// Any [`StompError`] other than `Io`: the stream violates the protocol or
/// `limits`. Limits are enforced as soon as the buffered bytes prove a breach,
/// without waiting for the rest of the frame. An unknown command is the
/// exception that waits: [`StompError::UnknownCommand`] is returned once the
/// frame's header block is complete, carrying its `receipt` header; until
/// then its header lines are decoded and checked like any frame's, and an
/// error among them (a breached limit, say) is returned instead. (A command
/// line over the limit, or not UTF-8, still fails at once.)
///
/// After an error `state` is reset and `buf` left untouched, but the stream
/// cannot be resynchronised: the connection should be closed.
pub fn read(
    buf: &mut BytesMut,
    version: Option<Version>,
    limits: &Limits,
    state: &mut ReadState,
) -> Result<Option<Item>, StompError> {
    if state.stage.extent() > buf.len() {
        // The state cannot describe this buffer (the caller swapped or
        // truncated it); restarting is correct because nothing was consumed.
        *state = ReadState::default();
    }
    let result = step(buf, version, limits, state);
    if result.is_err() {
        *state = ReadState::default();
    }
    result
}

fn step(
    buf: &mut BytesMut,
    version: Option<Version>,
    limits: &Limits,
    state: &mut ReadState,
) -> Result<Option<Item>, StompError> {
    // The stage is taken by value so each transition can move the parsed
    // headers along; every path that waits puts its stage back first.
    loop {
        state.stage = match std::mem::take(&mut state.stage) {
            Stage::Command { mut scanned } => {
                let too_long = |limit| StompError::CommandTooLong { limit };
                let max = limits.max_command_length;
                let Some(line) = find_line(buf, 0, &mut scanned, max, too_long)? else {
                    state.stage = Stage::Command { scanned };
                    return Ok(None);
                };
                if line.end == 0 {
                    buf.advance(line.next);
                    return Ok(Some(Item::HeartBeat));
                }
                let (command, escaping) = match Command::parse(&buf[..line.end]) {
                    Some(c) => (Ok(c), Escaping::for_frame(version, c)),
                    None => (
                        Err(unknown_command(&buf[..line.end])?),
                        Escaping::for_version(version),
                    ),
                };
                Stage::Headers {
                    command,
                    head: Head {
                        escaping,
                        headers: Vec::new(),
                        content_length: None,
                    },
                    line_start: line.next,
                    scanned: line.next,
                }
            }
            Stage::Headers {
                command,
                mut head,
                mut line_start,
                mut scanned,
            } => match read_headers(buf, &mut head, &mut line_start, &mut scanned, limits)? {
                Some(start) => match command {
                    Ok(command) => Stage::Body {
                        command,
                        head,
                        start,
                        scanned: start,
                    },
                    Err(command) => {
                        let receipt = head
                            .headers
                            .into_iter()
                            .find_map(|(k, v)| (k == "receipt").then_some(v));
                        return Err(StompError::UnknownCommand { command, receipt });
                    }
                },
                None => {
                    state.stage = Stage::Headers {
                        command,
                        head,
                        line_start,
                        scanned,
                    };
                    return Ok(None);
                }
            },
            Stage::Body {
                command,
                head,
                start,
                mut scanned,
            } => {
                let Some(nul) = find_body_end(buf, &head, start, &mut scanned, limits)? else {
                    state.stage = Stage::Body {
                        command,
                        head,
                        start,
                        scanned,
                    };
                    return Ok(None);
                };
                let body = if nul - start < ZERO_COPY_MIN_BODY {
                    let body = Bytes::copy_from_slice(&buf[start..nul]);
                    buf.advance(nul + 1);
                    body
                } else {
                    let mut raw = buf.split_to(nul + 1);
                    raw.advance(start);
                    raw.truncate(nul - start);
                    raw.freeze()
                };
                return Ok(Some(Item::Frame(Frame {
                    command,
                    headers: head.headers,
                    body,
                })));
            }
        };
    }
}

/// Consumes complete header lines; returns the body's offset once the blank
/// line ending the header block is found.
fn read_headers(
    buf: &[u8],
    head: &mut Head,
    line_start: &mut usize,
    scanned: &mut usize,
    limits: &Limits,
) -> Result<Option<usize>, StompError> {
    let too_long = |limit| StompError::HeaderTooLong { limit };
    while let Some(line) = find_line(
        buf,
        *line_start,
        scanned,
        limits.max_header_length,
        too_long,
    )? {
        if line.end == *line_start {
            return Ok(Some(line.next));
        }
        if head.headers.len() >= limits.max_headers {
            return Err(StompError::TooManyHeaders {
                limit: limits.max_headers,
            });
        }
        let (name, value) = parse_header(&buf[*line_start..line.end], head.escaping)?;
        // An invalid first occurrence is an error, so `is_none` means "first".
        if name == "content-length" && head.content_length.is_none() {
            head.content_length = Some(parse_content_length(&value, limits.max_frame_size)?);
        }
        head.headers.push((name, value));
        *line_start = line.next;
        *scanned = line.next;
    }
    Ok(None)
}

/// Locates the body's terminating NUL, if it has arrived.
fn find_body_end(
    buf: &mut BytesMut,
    head: &Head,
    start: usize,
    scanned: &mut usize,
    limits: &Limits,
) -> Result<Option<usize>, StompError> {
    let too_large = || StompError::FrameTooLarge {
        limit: limits.max_frame_size,
    };
    if let Some(len) = head.content_length {
        let nul = start.saturating_add(len);
        match buf.get(nul) {
            Some(0) => Ok(Some(nul)),
            Some(_) => Err(StompError::Malformed(
                "content-length bytes were read and there was no trailing null byte".to_owned(),
            )),
            None => {
                let missing = nul.saturating_add(1) - buf.len();
                buf.reserve(missing.min(MAX_BODY_RESERVE));
                Ok(None)
            }
        }
    } else {
        let from = (*scanned).max(start);
        match memchr::memchr(0, &buf[from..]) {
            Some(pos) if from + pos - start > limits.max_frame_size => Err(too_large()),
            Some(pos) => Ok(Some(from + pos)),
            None if buf.len() - start > limits.max_frame_size => Err(too_large()),
            None => {
                *scanned = buf.len();
                Ok(None)
            }
        }
    }
}

/// Finds the LF ending the line that begins at `start`, resuming the search
/// at `*scanned`. Enforces `limit` on the line's length (EOL excluded) even
/// while the line is incomplete, so a peer cannot make us buffer endlessly
/// while waiting for a LF.
fn find_line(
    buf: &[u8],
    start: usize,
    scanned: &mut usize,
    limit: usize,
    too_long: impl Fn(usize) -> StompError,
) -> Result<Option<Line>, StompError> {
    let from = (*scanned).max(start);
    match memchr::memchr(b'\n', &buf[from..]) {
        Some(pos) => {
            let lf = from + pos;
            let end = if lf > start && buf[lf - 1] == b'\r' {
                lf - 1
            } else {
                lf
            };
            if end - start > limit {
                return Err(too_long(limit));
            }
            Ok(Some(Line { end, next: lf + 1 }))
        }
        None => {
            *scanned = buf.len();
            let pending = buf.len() - start;
            // One byte of grace when it is a CR: it may be the start of a
            // CRLF, which does not count towards the line's length.
            let may_be_crlf = pending == limit + 1 && buf.last() == Some(&b'\r');
            if pending > limit && !may_be_crlf {
                return Err(too_long(limit));
            }
            Ok(None)
        }
    }
}

/// The text of a command line that is not a known command.
fn unknown_command(line: &[u8]) -> Result<String, StompError> {
    std::str::from_utf8(line)
        .map(str::to_owned)
        .map_err(|_| StompError::InvalidUtf8)
}

/// Splits a header line at its first `:`. A raw `:` in the value is
/// tolerated in every version (as ActiveMQ does), hence first, not only.
/// Without any `:` there is no value.
fn split_header(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    let parsed: IResult<&[u8], _> = pair(
        take_till(|b| b == b':'),
        opt(preceded(tag(&b":"[..]), rest)),
    )
    .parse(line);
    // Cannot fail: both halves accept any input, the value being optional.
    parsed.map_or((line, None), |(_, parts)| parts)
}

/// A line without `:` is, as in ActiveMQ, a header named by the whole line
/// with an empty value.
fn parse_header(line: &[u8], escaping: Escaping) -> Result<(String, String), StompError> {
    let (name, value) = split_header(line);
    let name = unescape(name, escaping)?;
    let value = match value {
        Some(value) => unescape(value, escaping)?,
        None => String::new(),
    };
    Ok((name, value))
}

/// Surrounding whitespace is tolerated because ActiveMQ trims this value and
/// clients have come to rely on it; anything else non-numeric is rejected.
/// A length above `max` is rejected here, before any of the body arrives.
fn parse_content_length(value: &str, max: usize) -> Result<usize, StompError> {
    let digits = value.trim_matches(|c: char| c.is_ascii_whitespace());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StompError::Malformed(format!(
            "Specified content-length is not a valid integer: [{value}]"
        )));
    }
    // All digits yet unparseable means it overflows usize: certainly too big.
    match digits.parse::<usize>() {
        Ok(len) if len <= max => Ok(len),
        _ => Err(StompError::FrameTooLarge { limit: max }),
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "parse_limit_tests.rs"]
mod limit_tests;
