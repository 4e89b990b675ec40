//! Property tests: whatever [`write()`] produces, [`read`] gives back, however
//! the bytes are chunked; and no input makes [`read`] panic.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use crate::{read, write, Command, Frame, Item, Limits, ReadState, StompError, Version};

/// Strings biased towards the characters escaping is about.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('\n'),
            Just('\r'),
            Just(':'),
            Just('\\'),
            Just('\0'),
            Just('c'),
            Just('n'),
            any::<char>(),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// Text that survives a version without escaping: no LF, no `:` in names,
/// and no CR right before the line's LF.
fn raw_name() -> impl Strategy<Value = String> {
    text().prop_map(|s| s.replace(['\n', ':'], "_"))
}

fn raw_value() -> impl Strategy<Value = String> {
    text().prop_map(|s| {
        let s = s.replace('\n', "_");
        s.strip_suffix('\r').map(|t| format!("{t}_")).unwrap_or(s)
    })
}

fn non_handshake_command() -> impl Strategy<Value = Command> {
    let handshake = [Command::Connect, Command::Stomp, Command::Connected];
    prop::sample::select(
        Command::ALL
            .into_iter()
            .filter(|c| !handshake.contains(c))
            .collect::<Vec<_>>(),
    )
}

fn handshake_command() -> impl Strategy<Value = Command> {
    prop::sample::select(vec![Command::Connect, Command::Stomp, Command::Connected])
}

/// A body, plus the `content-length` it needs if it holds NULs.
fn assemble(command: Command, headers: Vec<(String, String)>, body: Vec<u8>) -> Frame {
    let mut frame = Frame::new(command);
    if body.contains(&0) {
        frame = frame.with_header("content-length", body.len().to_string());
    }
    for (k, v) in headers {
        // A random header must not override the real content-length.
        if k != "content-length" {
            frame = frame.with_header(k, v);
        }
    }
    frame.with_body(Bytes::from(body))
}

fn escaped_frame(version: Version) -> impl Strategy<Value = Frame> {
    let value = text().prop_map(move |s| {
        // 1.1 cannot escape CR, so one ending a value would read as CRLF.
        if version == Version::V1_1 && s.ends_with('\r') {
            format!("{s}_")
        } else {
            s
        }
    });
    (
        non_handshake_command(),
        prop::collection::vec((text(), value), 0..8),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(c, h, b)| assemble(c, h, b))
}

fn raw_frame(command: impl Strategy<Value = Command>) -> impl Strategy<Value = Frame> {
    (
        command,
        prop::collection::vec((raw_name(), raw_value()), 0..8),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(c, h, b)| assemble(c, h, b))
}

fn any_version() -> impl Strategy<Value = Option<Version>> {
    prop::sample::select(vec![
        None,
        Some(Version::V1_0),
        Some(Version::V1_1),
        Some(Version::V1_2),
    ])
}

/// Decodes `bytes` delivered in chunks of the given sizes (cycled).
fn decode_chunked(
    bytes: &[u8],
    version: Option<Version>,
    chunks: &[usize],
) -> Result<Vec<Item>, StompError> {
    let limits = Limits::default();
    let mut state = ReadState::default();
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    let mut rest = bytes;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        while let Some(item) = read(&mut buf, version, &limits, &mut state)? {
            items.push(item);
        }
    }
    assert!(buf.is_empty(), "undecoded: {buf:?}");
    Ok(items)
}

fn round_trip(frames: &[Frame], version: Option<Version>, chunks: &[usize]) {
    let mut out = BytesMut::new();
    for f in frames {
        write(f, version, &mut out);
        out.extend_from_slice(b"\n");
    }
    let items = decode_chunked(&out, version, chunks).expect("own output decodes");
    let expected: Vec<Item> = frames
        .iter()
        .flat_map(|f| [Item::Frame(f.clone()), Item::HeartBeat])
        .collect();
    assert_eq!(items, expected);
}

proptest! {
    #[test]
    fn escaped_frames_round_trip_in_1_1(
        frames in prop::collection::vec(escaped_frame(Version::V1_1), 1..4),
        chunks in prop::collection::vec(1usize..40, 1..5),
    ) {
        round_trip(&frames, Some(Version::V1_1), &chunks);
    }

    #[test]
    fn escaped_frames_round_trip_in_1_2(
        frames in prop::collection::vec(escaped_frame(Version::V1_2), 1..4),
        chunks in prop::collection::vec(1usize..40, 1..5),
    ) {
        round_trip(&frames, Some(Version::V1_2), &chunks);
    }

    #[test]
    fn handshake_frames_round_trip_unescaped(
        frame in raw_frame(handshake_command()),
        version in any_version(),
        chunks in prop::collection::vec(1usize..40, 1..5),
    ) {
        round_trip(&[frame], version, &chunks);
    }

    #[test]
    fn frames_round_trip_in_1_0(
        frames in prop::collection::vec(raw_frame(non_handshake_command()), 1..4),
        chunks in prop::collection::vec(1usize..40, 1..5),
    ) {
        round_trip(&frames, Some(Version::V1_0), &chunks);
        round_trip(&frames, None, &chunks);
    }

    /// Garbage never panics, and chunking never changes the outcome.
    #[test]
    fn arbitrary_input_is_handled_consistently(
        bytes in prop::collection::vec(
            prop_oneof![
                Just(b'\n'), Just(b'\r'), Just(b':'), Just(b'\\'), Just(0u8),
                Just(b'S'), any::<u8>(),
            ],
            0..200,
        ),
        prefix in prop::sample::select(vec![
            &b""[..], b"SEND\n", b"SEND\ncontent-length:3\n", b"CONNECT\n", b"\n",
        ]),
        version in any_version(),
        chunks in prop::collection::vec(1usize..20, 1..5),
    ) {
        let mut input = prefix.to_vec();
        input.extend_from_slice(&bytes);
        let limits = Limits { max_frame_size: 64, max_headers: 4, max_header_length: 16,
                              max_command_length: 12 };
        let whole = {
            let mut buf = BytesMut::from(&input[..]);
            let mut state = ReadState::default();
            let mut items = Vec::new();
            let r = loop {
                match read(&mut buf, version, &limits, &mut state) {
                    Ok(Some(item)) => items.push(item),
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e.to_string()),
                }
            };
            (items, r)
        };
        let chunked = {
            let mut state = ReadState::default();
            let mut buf = BytesMut::new();
            let mut items = Vec::new();
            let mut rest = &input[..];
            let mut sizes = chunks.iter().cycle();
            let r = 'outer: loop {
                if rest.is_empty() {
                    break Ok(());
                }
                let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
                buf.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                loop {
                    match read(&mut buf, version, &limits, &mut state) {
                        Ok(Some(item)) => items.push(item),
                        Ok(None) => break,
                        Err(e) => break 'outer Err(e.to_string()),
                    }
                }
            };
            (items, r)
        };
        prop_assert_eq!(whole, chunked);
    }
}
