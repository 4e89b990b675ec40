//! Tests for [`super::read`].

use super::*;
use bytes::Bytes;

pub(super) const V10: Option<Version> = Some(Version::V1_0);
pub(super) const V11: Option<Version> = Some(Version::V1_1);
pub(super) const V12: Option<Version> = Some(Version::V1_2);
pub(super) const ALL_VERSIONS: [Option<Version>; 4] = [None, V10, V11, V12];

/// Reads items until `read` asks for more data.
pub(super) fn drain(
    buf: &mut BytesMut,
    version: Option<Version>,
    limits: &Limits,
    state: &mut ReadState,
) -> Result<Vec<Item>, StompError> {
    let mut items = Vec::new();
    while let Some(item) = read(buf, version, limits, state)? {
        items.push(item);
    }
    Ok(items)
}

pub(super) fn read_all_with(
    input: &[u8],
    version: Option<Version>,
    limits: &Limits,
) -> Result<Vec<Item>, StompError> {
    let mut buf = BytesMut::from(input);
    let items = drain(&mut buf, version, limits, &mut ReadState::default())?;
    assert!(buf.is_empty(), "undecoded bytes left: {buf:?}");
    Ok(items)
}

pub(super) fn read_all(input: &[u8], version: Option<Version>) -> Vec<Item> {
    read_all_with(input, version, &Limits::default()).expect("valid input")
}

pub(super) fn one(input: &[u8], version: Option<Version>) -> Frame {
    match read_all(input, version).as_slice() {
        [Item::Frame(f)] => f.clone(),
        other => panic!("expected exactly one frame, got {other:?}"),
    }
}

/// The error produced by `input`, whether complete or not.
pub(super) fn error_with(input: &[u8], version: Option<Version>, limits: &Limits) -> StompError {
    let mut buf = BytesMut::from(input);
    match drain(&mut buf, version, limits, &mut ReadState::default()) {
        Err(e) => e,
        Ok(items) => panic!("expected an error, got {items:?} (left: {buf:?})"),
    }
}

pub(super) fn error(input: &[u8], version: Option<Version>) -> StompError {
    error_with(input, version, &Limits::default())
}

/// The command and receipt of an [`StompError::UnknownCommand`].
pub(super) fn unknown(e: &StompError) -> (&str, Option<&str>) {
    match e {
        StompError::UnknownCommand { command, receipt } => (command, receipt.as_deref()),
        other => panic!("expected UnknownCommand, got {other:?}"),
    }
}

/// Feeds `input` split in two at every position (and also one byte at a
/// time), checking it always fails, with the same error as when whole.
pub(super) fn assert_error_split_everywhere(
    input: &[u8],
    version: Option<Version>,
    limits: &Limits,
) -> StompError {
    let whole = error_with(input, version, limits);
    let expected = format!("{whole:?}");
    for cut in 0..=input.len() {
        let mut buf = BytesMut::from(&input[..cut]);
        let mut state = ReadState::default();
        let result = drain(&mut buf, version, limits, &mut state).and_then(|_| {
            buf.extend_from_slice(&input[cut..]);
            drain(&mut buf, version, limits, &mut state)
        });
        match result {
            Err(e) => assert_eq!(format!("{e:?}"), expected, "split at {cut}"),
            Ok(items) => panic!("split at {cut}: expected an error, got {items:?}"),
        }
    }
    let mut buf = BytesMut::new();
    let mut state = ReadState::default();
    let mut failed = None;
    for b in input {
        buf.extend_from_slice(&[*b]);
        if let Err(e) = drain(&mut buf, version, limits, &mut state) {
            failed = Some(format!("{e:?}"));
            break;
        }
    }
    assert_eq!(failed.as_deref(), Some(expected.as_str()), "byte by byte");
    whole
}

pub(super) fn headers(f: &Frame) -> Vec<(&str, &str)> {
    f.headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub(super) fn frame(command: Command, hs: &[(&str, &str)], body: &[u8]) -> Item {
    let mut f = Frame::new(command).with_body(Bytes::copy_from_slice(body));
    for (k, v) in hs {
        f = f.with_header(*k, *v);
    }
    Item::Frame(f)
}

/// Feeds `input` split in two at every position (and also one byte at a
/// time), checking the decoded items never depend on how data arrives.
pub(super) fn assert_split_everywhere(input: &[u8], version: Option<Version>, expected: &[Item]) {
    let limits = Limits::default();
    for cut in 0..=input.len() {
        let mut buf = BytesMut::from(&input[..cut]);
        let mut state = ReadState::default();
        let mut items = drain(&mut buf, version, &limits, &mut state).expect("prefix");
        buf.extend_from_slice(&input[cut..]);
        items.extend(drain(&mut buf, version, &limits, &mut state).expect("rest"));
        assert_eq!(items, expected, "split at {cut}");
        assert!(buf.is_empty(), "split at {cut}: left {buf:?}");
    }
    let mut buf = BytesMut::new();
    let mut state = ReadState::default();
    let mut items = Vec::new();
    for b in input {
        buf.extend_from_slice(&[*b]);
        items.extend(drain(&mut buf, version, &limits, &mut state).expect("byte"));
    }
    assert_eq!(items, expected, "byte by byte");
}

/// For input holding exactly one frame: every strict prefix yields `None`
/// and consumes nothing, and the remainder then completes the frame.
pub(super) fn assert_single_frame_split(input: &[u8], version: Option<Version>, expected: &Item) {
    let limits = Limits::default();
    for cut in 0..input.len() {
        let mut buf = BytesMut::from(&input[..cut]);
        let mut state = ReadState::default();
        assert_eq!(
            read(&mut buf, version, &limits, &mut state).expect("prefix"),
            None
        );
        assert_eq!(&buf[..], &input[..cut], "prefix consumed at {cut}");
        buf.extend_from_slice(&input[cut..]);
        let got = read(&mut buf, version, &limits, &mut state).expect("rest");
        assert_eq!(got.as_ref(), Some(expected), "split at {cut}");
        assert!(buf.is_empty());
    }
    assert_split_everywhere(input, version, std::slice::from_ref(expected));
}

#[test]
fn minimal_frame() {
    let f = one(b"SEND\ndestination:/queue/a\n\nhello\0", V12);
    assert_eq!(f.command, Command::Send);
    assert_eq!(headers(&f), [("destination", "/queue/a")]);
    assert_eq!(&f.body[..], b"hello");
}

#[test]
fn every_command_parses() {
    for c in Command::ALL {
        let input = format!("{c}\n\n\0");
        assert_eq!(one(input.as_bytes(), V12), Frame::new(c));
    }
}

#[test]
fn crlf_lines_in_every_version() {
    for v in ALL_VERSIONS {
        let f = one(b"SEND\r\ndestination:/q\r\nk:v\r\n\r\nbo\r\ndy\0", v);
        assert_eq!(f.command, Command::Send);
        assert_eq!(headers(&f), [("destination", "/q"), ("k", "v")]);
        assert_eq!(&f.body[..], b"bo\r\ndy", "body is never touched");
    }
}

#[test]
fn only_one_trailing_cr_is_stripped_and_inner_cr_kept() {
    let f = one(b"SEND\nk:v\r\r\nm:a\rb\n\n\0", V10);
    assert_eq!(headers(&f), [("k", "v\r"), ("m", "a\rb")]);
    // A CR right before the LF of the command line is an EOL, not part of it.
    assert_eq!(unknown(&error(b"SEND\r\r\n\n\0", V10)), ("SEND\r", None));
}

#[test]
fn heart_beats_before_between_and_after_frames() {
    let items = read_all(b"\n\r\n\nSEND\n\nx\0\n\r\nACK\nid:1\n\n\0\n", V12);
    assert_eq!(
        items,
        [
            Item::HeartBeat,
            Item::HeartBeat,
            Item::HeartBeat,
            frame(Command::Send, &[], b"x"),
            Item::HeartBeat,
            Item::HeartBeat,
            frame(Command::Ack, &[("id", "1")], b""),
            Item::HeartBeat,
        ]
    );
}

#[test]
fn lone_cr_waits_for_its_lf() {
    let mut buf = BytesMut::from(&b"\r"[..]);
    let mut state = ReadState::default();
    let limits = Limits::default();
    assert_eq!(read(&mut buf, V12, &limits, &mut state).unwrap(), None);
    assert_eq!(&buf[..], b"\r");
    buf.extend_from_slice(b"\n");
    assert_eq!(
        read(&mut buf, V12, &limits, &mut state).unwrap(),
        Some(Item::HeartBeat)
    );
    assert!(buf.is_empty());
}

#[test]
fn many_frames_in_one_buffer() {
    let input = b"SEND\ndestination:/a\n\n1\0SUBSCRIBE\nid:0\ndestination:/b\n\n\0\
                  SEND\ncontent-length:3\n\n\0\0\0\0DISCONNECT\nreceipt:9\n\n\0";
    assert_eq!(
        read_all(input, V11),
        [
            frame(Command::Send, &[("destination", "/a")], b"1"),
            frame(
                Command::Subscribe,
                &[("id", "0"), ("destination", "/b")],
                b""
            ),
            frame(Command::Send, &[("content-length", "3")], b"\0\0\0"),
            frame(Command::Disconnect, &[("receipt", "9")], b""),
        ]
    );
}

#[test]
fn split_at_every_byte_boundary() {
    assert_single_frame_split(
        b"SEND\ndestination:/queue/a\nreceipt:1\n\nhello\0",
        V12,
        &frame(
            Command::Send,
            &[("destination", "/queue/a"), ("receipt", "1")],
            b"hello",
        ),
    );
    assert_single_frame_split(
        b"SEND\r\ndestination:/q\r\ncontent-length:7\r\n\r\na\0b\r\n\0c\0",
        V12,
        &frame(
            Command::Send,
            &[("destination", "/q"), ("content-length", "7")],
            b"a\0b\r\n\0c",
        ),
    );
    assert_single_frame_split(
        b"MESSAGE\nk\\c1:a\\nb\\\\c\\r\n\n\0",
        V12,
        &frame(Command::Message, &[("k:1", "a\nb\\c\r")], b""),
    );
    assert_single_frame_split(
        b"CONNECT\r\nlogin:a\\tb\r\npasscode:c\\\r\n\r\n\0",
        V12,
        &frame(
            Command::Connect,
            &[("login", "a\\tb"), ("passcode", "c\\")],
            b"",
        ),
    );
    assert_split_everywhere(
        b"\n\r\nSEND\n\nx\0\nACK\r\nid:1\r\n\r\n\0\r\nMESSAGE\ncontent-length:1\n\n\0\0",
        V11,
        &[
            Item::HeartBeat,
            Item::HeartBeat,
            frame(Command::Send, &[], b"x"),
            Item::HeartBeat,
            frame(Command::Ack, &[("id", "1")], b""),
            Item::HeartBeat,
            frame(Command::Message, &[("content-length", "1")], b"\0"),
        ],
    );
}

#[test]
fn unknown_commands() {
    for (input, command) in [
        (&b"FOO\n\n\0"[..], "FOO"),
        (b"send\n\n\0", "send"),
        (b"Send\r\nk:v\r\n\r\n", "Send"),
        (b" SEND\n\n\0", " SEND"),
        (b"SEND \n\n\0", "SEND "),
        (b"\0SEND\n\n", "\0SEND"),
    ] {
        for v in ALL_VERSIONS {
            let e = error(input, v);
            assert_eq!(unknown(&e), (command, None), "{input:?} {v:?}");
            assert_eq!(e.receipt(), None);
        }
    }
    let e = error(b"FOO\n\n", V12);
    assert_eq!(e.to_string(), "Unknown STOMP action: FOO");
}

#[test]
fn unknown_command_carries_the_first_receipt() {
    let e = error(b"FOO\nk:v\nreceipt:r-1\nreceipt:r-2\n\nbody\0", V12);
    assert_eq!(unknown(&e), ("FOO", Some("r-1")));
    assert_eq!(e.receipt(), Some("r-1"));
    assert_eq!(e.to_string(), "Unknown STOMP action: FOO");

    let e = error(b"send\nreceipt:1\n\n", V12);
    assert_eq!(unknown(&e), ("send", Some("1")));

    // The receipt is decoded like any header of the connection's version.
    let input = b"FOO\nreceipt:a\\cb\\t\n\n";
    assert_eq!(error(input, V12).receipt(), Some("a:b\\t"));
    assert_eq!(error(input, V11).receipt(), Some("a:b\\t"));
    assert_eq!(error(input, V10).receipt(), Some("a\\cb\\t"));
    assert_eq!(error(input, None).receipt(), Some("a\\cb\\t"));

    // Only a header named exactly `receipt` counts.
    for input in [
        &b"FOO\nReceipt:1\n\n"[..],
        b"FOO\n receipt:1\n\n",
        b"FOO\nreceipt-id:1\n\n",
    ] {
        assert_eq!(unknown(&error(input, V12)), ("FOO", None), "{input:?}");
    }
    assert_eq!(error(b"FOO\nreceipt\n\n", V12).receipt(), Some(""));
    assert_eq!(error(b"FOO\nreceipt:\n\n", V12).receipt(), Some(""));
}

#[test]
fn unknown_command_is_reported_when_the_header_block_ends() {
    let input = b"FOO\r\nreceipt:7\r\nk:v\r\n\r\nbody\0";
    let end = b"FOO\r\nreceipt:7\r\nk:v\r\n\r\n".len();
    let limits = Limits::default();
    for cut in 0..end {
        let mut buf = BytesMut::from(&input[..cut]);
        let mut state = ReadState::default();
        assert_eq!(
            read(&mut buf, V12, &limits, &mut state).unwrap(),
            None,
            "prefix of {cut}"
        );
        assert_eq!(&buf[..], &input[..cut], "prefix consumed at {cut}");
        buf.extend_from_slice(&input[cut..end]);
        let e = read(&mut buf, V12, &limits, &mut state).unwrap_err();
        assert_eq!(unknown(&e), ("FOO", Some("7")), "split at {cut}");
        assert_eq!(buf.len(), end, "nothing consumed");
        assert!(matches!(state.stage, Stage::Command { scanned: 0 }));
    }
}

#[test]
fn unknown_command_split_at_every_byte_boundary() {
    let limits = Limits::default();
    // Input, command, receipt in 1.1/1.2, receipt in 1.0/un-negotiated.
    type Case<'a> = (&'a [u8], &'a str, Option<&'a str>, Option<&'a str>);
    let cases: [Case; 5] = [
        (
            b"FOO\nreceipt:r\\c1\nk:v\n\nbody\0",
            "FOO",
            Some("r:1"),
            Some("r\\c1"),
        ),
        (
            b"send\r\nreceipt:42\r\n\r\n\0",
            "send",
            Some("42"),
            Some("42"),
        ),
        (b"FOO\nk:v\nnocolon\n\n\0", "FOO", None, None),
        (b"FOO\nreceipt\n\n", "FOO", Some(""), Some("")),
        (b"\n\nBAR\n\n", "BAR", None, None),
    ];
    for (input, command, escaped, raw) in cases {
        for v in ALL_VERSIONS {
            let e = assert_error_split_everywhere(input, v, &limits);
            let receipt = if matches!(v, V11 | V12) { escaped } else { raw };
            assert_eq!(unknown(&e), (command, receipt), "{input:?} {v:?}");
        }
    }
}

#[test]
fn invalid_utf8_is_rejected() {
    for v in ALL_VERSIONS {
        assert!(matches!(
            error(b"SE\xffND\n\n\0", v),
            StompError::InvalidUtf8
        ));
        assert!(matches!(
            error(b"SEND\nk\xff:v\n\n\0", v),
            StompError::InvalidUtf8
        ));
        assert!(matches!(
            error(b"SEND\nk:\xfe\n\n\0", v),
            StompError::InvalidUtf8
        ));
    }
    assert!(matches!(
        error(b"SEND\nk:\\n\xc3\n\n\0", V11),
        StompError::InvalidUtf8
    ));
    // The body is opaque bytes, not text.
    assert_eq!(&one(b"SEND\n\n\xff\xfe\0", V12).body[..], b"\xff\xfe");
    assert_eq!(
        headers(&one("SEND\nclé:välue\n\n\0".as_bytes(), V12)),
        [("clé", "välue")]
    );
}

#[test]
fn header_line_without_colon_has_an_empty_value() {
    for v in ALL_VERSIONS {
        let f = one(b"SEND\nbadheader\nk:v\n \n\n\0", v);
        assert_eq!(headers(&f), [("badheader", ""), ("k", "v"), (" ", "")]);
        assert_eq!(f.header("badheader"), Some(""));
    }
    // The name is unescaped like any other.
    let f = one(b"SEND\na\\cb\\nc\\t\n\n\0", V12);
    assert_eq!(headers(&f), [("a:b\nc\\t", "")]);
    let f = one(b"SEND\na\\cb\n\n\0", V10);
    assert_eq!(headers(&f), [("a\\cb", "")]);
    assert_single_frame_split(
        b"SEND\r\nbadheader\r\ncontent-length:2\r\n\r\nhi\0",
        V11,
        &frame(
            Command::Send,
            &[("badheader", ""), ("content-length", "2")],
            b"hi",
        ),
    );
    // A line without `:` is still subject to the UTF-8 check.
    assert!(matches!(
        error(b"SEND\nbad\xff\n\n\0", V12),
        StompError::InvalidUtf8
    ));
}

#[test]
fn first_colon_splits_and_nothing_is_trimmed() {
    for v in ALL_VERSIONS {
        let f = one(b"SEND\nk:a:b\n k : v \n:empty-name\nempty-value:\n\n\0", v);
        assert_eq!(
            headers(&f),
            [
                ("k", "a:b"),
                (" k ", " v "),
                ("", "empty-name"),
                ("empty-value", "")
            ]
        );
    }
}

#[test]
fn repeated_headers_are_kept_and_first_wins() {
    let f = one(b"MESSAGE\nfoo:1\nbar:x\nfoo:2\n\n\0", V12);
    assert_eq!(f.header("foo"), Some("1"));
    assert_eq!(headers(&f), [("foo", "1"), ("bar", "x"), ("foo", "2")]);
}

#[test]
fn no_unescaping_in_1_0_or_before_negotiation() {
    for v in [None, V10] {
        let f = one(b"SEND\nk\\c:a\\nb\\tc\\\n\n\0", v);
        assert_eq!(headers(&f), [("k\\c", "a\\nb\\tc\\")]);
    }
}

#[test]
fn unescaping_in_1_1() {
    let f = one(b"SEND\nna\\cme\\n:a\\nb\\cc\\\\d:e\n\n\0", V11);
    assert_eq!(headers(&f), [("na:me\n", "a\nb:c\\d:e")]);
}

/// Builds `SEND` with the header `k<raw>:v<raw>`.
fn with_escape_in_header(raw: &[u8]) -> Vec<u8> {
    let mut input = b"SEND\nk".to_vec();
    input.extend_from_slice(raw);
    input.extend_from_slice(b":v");
    input.extend_from_slice(raw);
    input.extend_from_slice(b"\n\n\0");
    input
}

#[test]
fn undefined_escapes_are_kept_literally_in_1_1() {
    for (raw, kept) in [
        (&b"\\r"[..], "\\r"),
        (b"\\t", "\\t"),
        (b"\\x", "\\x"),
        (b"\\ ", "\\ "),
        (b"\\t\\n", "\\t\n"),
    ] {
        let f = one(&with_escape_in_header(raw), V11);
        assert_eq!(
            headers(&f),
            [(format!("k{kept}").as_str(), format!("v{kept}").as_str())],
            "{raw:?}"
        );
    }
    let f = one(b"SEND\ndir:dir\\temp\n\n\0", V11);
    assert_eq!(headers(&f), [("dir", "dir\\temp")]);
    // Only the undefined ones: `\n` still decodes.
    let f = one(b"SEND\ndir:c:\\temp\\new\n\n\0", V11);
    assert_eq!(headers(&f), [("dir", "c:\\temp\new")]);
    // A trailing lone backslash, in the name or the value.
    let f = one(b"SEND\nk\\:v\\\n\n\0", V11);
    assert_eq!(headers(&f), [("k\\", "v\\")]);
}

#[test]
fn unescaping_in_1_2_adds_cr() {
    let f = one(b"SEND\nk\\r:a\\rb\\n\\c\\\\\n\n\0", V12);
    assert_eq!(headers(&f), [("k\r", "a\rb\n:\\")]);
}

#[test]
fn undefined_escapes_are_kept_literally_in_1_2() {
    for (raw, kept) in [
        (&b"\\t"[..], "\\t"),
        (b"\\x", "\\x"),
        (b"\\R", "\\R"),
        (b"\\t\\r", "\\t\r"),
    ] {
        let f = one(&with_escape_in_header(raw), V12);
        assert_eq!(
            headers(&f),
            [(format!("k{kept}").as_str(), format!("v{kept}").as_str())],
            "{raw:?}"
        );
    }
    let f = one(b"SEND\ndir:dir\\temp\n\n\0", V12);
    assert_eq!(headers(&f), [("dir", "dir\\temp")]);
    let f = one(b"SEND\nk\\:v\\\n\n\0", V12);
    assert_eq!(headers(&f), [("k\\", "v\\")]);
    assert_single_frame_split(
        b"SEND\r\nk\\t:a\\tb\\\r\n\r\n\0",
        V12,
        &frame(Command::Send, &[("k\\t", "a\\tb\\")], b""),
    );
    // Kept literally, but the header must still be UTF-8.
    assert!(matches!(
        error(b"SEND\nk:\\\xff\n\n\0", V12),
        StompError::InvalidUtf8
    ));
}

#[test]
fn handshake_frames_are_never_unescaped() {
    for v in [V11, V12] {
        for c in ["CONNECT", "STOMP", "CONNECTED"] {
            let input = format!("{c}\nlogin:a\\tb\npasscode:x\\ny\\c\\\n\n\0");
            let f = one(input.as_bytes(), v);
            assert_eq!(
                headers(&f),
                [("login", "a\\tb"), ("passcode", "x\\ny\\c\\")]
            );
        }
    }
}

#[test]
fn content_length_body_may_hold_nuls() {
    let f = one(b"SEND\ncontent-length:5\n\na\0b\0c\0", V12);
    assert_eq!(&f.body[..], b"a\0b\0c");
    assert_eq!(&one(b"SEND\ncontent-length:0\n\n\0", V12).body[..], b"");
    // ActiveMQ trims the value; clients rely on it.
    assert_eq!(
        &one(b"SEND\ncontent-length: 3 \n\nabc\0", V12).body[..],
        b"abc"
    );
}

#[test]
fn content_length_first_occurrence_wins() {
    let f = one(b"SEND\ncontent-length:3\ncontent-length:1\n\nabc\0", V12);
    assert_eq!(&f.body[..], b"abc");
    let f = one(b"SEND\ncontent-length:1\ncontent-length:junk\n\na\0", V12);
    assert_eq!(&f.body[..], b"a");
}

#[test]
fn missing_nul_after_sized_body_is_malformed() {
    assert!(matches!(
        error(b"SEND\ncontent-length:2\n\nabc\0", V12),
        StompError::Malformed(_)
    ));
    // Detected as soon as the byte after the body arrives.
    assert!(matches!(
        error(b"SEND\ncontent-length:2\n\nabc", V12),
        StompError::Malformed(_)
    ));
}

#[test]
fn bad_content_length() {
    for bad in ["abc", "-1", "", " ", "1.5", "0x10", "+3", "3a", "1 2"] {
        let input = format!("SEND\ncontent-length:{bad}\n\n\0");
        assert!(
            matches!(error(input.as_bytes(), V12), StompError::Malformed(_)),
            "{bad:?}"
        );
    }
    let huge = b"SEND\ncontent-length:999999999999999999999999999\n\n\0";
    assert!(matches!(error(huge, V12), StompError::FrameTooLarge { .. }));
}
