//! Tests for [`super::read`]: limits and incremental state.

use super::tests::*;
use super::*;

#[test]
fn sized_body_limit_is_checked_before_the_body_arrives() {
    let limits = Limits {
        max_frame_size: 10,
        ..Limits::default()
    };
    let ok = read_all_with(b"SEND\ncontent-length:10\n\n0123456789\0", V12, &limits).unwrap();
    assert_eq!(
        ok,
        [frame(
            Command::Send,
            &[("content-length", "10")],
            b"0123456789"
        )]
    );
    // Not even the blank line has arrived.
    let e = error_with(b"SEND\ncontent-length:11\n", V12, &limits);
    assert!(matches!(e, StompError::FrameTooLarge { limit: 10 }));
}

#[test]
fn unsized_body_limit_is_checked_while_scanning() {
    let limits = Limits {
        max_frame_size: 4,
        ..Limits::default()
    };
    let ok = read_all_with(b"SEND\n\nabcd\0", V12, &limits).unwrap();
    assert_eq!(ok, [frame(Command::Send, &[], b"abcd")]);
    // Exactly at the limit with no NUL yet: still waiting.
    let mut buf = BytesMut::from(&b"SEND\n\nabcd"[..]);
    assert_eq!(
        read(&mut buf, V12, &limits, &mut ReadState::default()).unwrap(),
        None
    );
    for input in [&b"SEND\n\nabcde\0"[..], b"SEND\n\nabcde"] {
        let e = error_with(input, V12, &limits);
        assert!(
            matches!(e, StompError::FrameTooLarge { limit: 4 }),
            "{input:?}"
        );
    }
}

#[test]
fn command_length_limit() {
    let limits = Limits {
        max_command_length: 4,
        ..Limits::default()
    };
    let ok = read_all_with(b"SEND\n\n\0SEND\r\n\r\n\0", V12, &limits).unwrap();
    assert_eq!(ok.len(), 2, "the CR of a CRLF does not count");
    for input in [&b"ABORT\n\n\0"[..], b"ABORT", b"SEND\rX", b"SENDX"] {
        let e = error_with(input, V12, &limits);
        assert!(
            matches!(e, StompError::CommandTooLong { limit: 4 }),
            "{input:?}"
        );
    }
    let mut buf = BytesMut::from(&b"SEND\r"[..]);
    assert_eq!(
        read(&mut buf, V12, &limits, &mut ReadState::default()).unwrap(),
        None
    );
}

#[test]
fn an_unknown_command_over_the_command_limit_fails_at_once() {
    let limits = Limits {
        max_command_length: 4,
        ..Limits::default()
    };
    for input in [
        &b"FOOBAR"[..],
        b"FOOBA",
        b"FOOB\rX",
        b"FOOBAR\nreceipt:1\n\n\0",
    ] {
        let e = assert_error_split_everywhere(input, V12, &limits);
        assert!(
            matches!(e, StompError::CommandTooLong { limit: 4 }),
            "{input:?}"
        );
    }
    // Within the limit, it waits for the header block.
    let mut buf = BytesMut::from(&b"FOOB\r\nreceipt:1\n"[..]);
    assert_eq!(
        read(&mut buf, V12, &limits, &mut ReadState::default()).unwrap(),
        None
    );
    buf.extend_from_slice(b"\n");
    let e = read(&mut buf, V12, &limits, &mut ReadState::default()).unwrap_err();
    assert_eq!(unknown(&e), ("FOOB", Some("1")));
}

#[test]
fn limits_are_enforced_while_an_unknown_command_waits() {
    let limits = Limits {
        max_headers: 2,
        max_header_length: 9,
        ..Limits::default()
    };
    let ok = assert_error_split_everywhere(b"FOO\nreceipt:1\nk:1234567\n\n", V12, &limits);
    assert_eq!(unknown(&ok), ("FOO", Some("1")));
    for input in [
        &b"FOO\nreceipt:1\nk:12345678\n\n"[..],
        b"FOO\nreceipt:1\nk:12345678",
    ] {
        let e = assert_error_split_everywhere(input, V12, &limits);
        assert!(
            matches!(e, StompError::HeaderTooLong { limit: 9 }),
            "{input:?}"
        );
    }
    for input in [
        &b"FOO\nreceipt:1\na:1\nb:2\n\n"[..],
        b"FOO\nreceipt:1\na:1\nb:2\n",
    ] {
        let e = assert_error_split_everywhere(input, V12, &limits);
        assert!(
            matches!(e, StompError::TooManyHeaders { limit: 2 }),
            "{input:?}"
        );
    }
    // The header block is decoded as for any frame, so its other errors also
    // take precedence.
    let limits = Limits {
        max_frame_size: 10,
        ..Limits::default()
    };
    let e = assert_error_split_everywhere(b"FOO\nreceipt:1\ncontent-length:11\n", V12, &limits);
    assert!(matches!(e, StompError::FrameTooLarge { limit: 10 }));
    let e = assert_error_split_everywhere(b"FOO\nreceipt:1\ncontent-length:x\n", V12, &limits);
    assert!(matches!(e, StompError::Malformed(_)));
    let e = assert_error_split_everywhere(b"FOO\nreceipt:\xff\n\n", V12, &limits);
    assert!(matches!(e, StompError::InvalidUtf8));
    // An unknown command line that is not UTF-8 fails at once.
    let e = assert_error_split_everywhere(b"F\xffO\nreceipt:1\n\n", V12, &limits);
    assert!(matches!(e, StompError::InvalidUtf8));
    let mut buf = BytesMut::from(&b"F\xffO\n"[..]);
    assert!(matches!(
        read(&mut buf, V12, &limits, &mut ReadState::default()),
        Err(StompError::InvalidUtf8)
    ));
}

#[test]
fn header_length_limit() {
    let limits = Limits {
        max_header_length: 5,
        ..Limits::default()
    };
    let ok = read_all_with(b"SEND\nk:123\nl:456\r\n\n\0", V12, &limits).unwrap();
    assert_eq!(
        ok,
        [frame(Command::Send, &[("k", "123"), ("l", "456")], b"")]
    );
    for input in [
        &b"SEND\nk:1234\n\n\0"[..],
        b"SEND\nk:1234",
        b"SEND\nk:123\rx",
    ] {
        let e = error_with(input, V12, &limits);
        assert!(
            matches!(e, StompError::HeaderTooLong { limit: 5 }),
            "{input:?}"
        );
    }
    let mut buf = BytesMut::from(&b"SEND\nk:123\r"[..]);
    assert_eq!(
        read(&mut buf, V12, &limits, &mut ReadState::default()).unwrap(),
        None
    );
}

#[test]
fn limit_breach_is_reported_on_the_first_byte_that_proves_it() {
    let limits = Limits {
        max_header_length: 5,
        ..Limits::default()
    };
    let input = b"SEND\nk:1234567890";
    let mut buf = BytesMut::new();
    let mut state = ReadState::default();
    let mut failed_at = None;
    for (i, b) in input.iter().enumerate() {
        buf.extend_from_slice(&[*b]);
        if read(&mut buf, V12, &limits, &mut state).is_err() {
            failed_at = Some(i);
            break;
        }
    }
    assert_eq!(failed_at, Some(b"SEND\nk:123".len()));
}

#[test]
fn header_count_limit() {
    let limits = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    let ok = read_all_with(b"SEND\na:1\nb:2\n\n\0", V12, &limits).unwrap();
    assert_eq!(ok, [frame(Command::Send, &[("a", "1"), ("b", "2")], b"")]);
    for input in [&b"SEND\na:1\nb:2\nc:3\n\n\0"[..], b"SEND\na:1\nb:2\nc:3\n"] {
        let e = error_with(input, V12, &limits);
        assert!(
            matches!(e, StompError::TooManyHeaders { limit: 2 }),
            "{input:?}"
        );
    }
    let zero = Limits {
        max_headers: 0,
        ..Limits::default()
    };
    assert_eq!(read_all_with(b"SEND\n\n\0", V12, &zero).unwrap().len(), 1);
    assert!(matches!(
        error_with(b"SEND\na:1\n", V12, &zero),
        StompError::TooManyHeaders { limit: 0 }
    ));
}

#[test]
fn huge_content_length_does_not_allocate_up_front() {
    let mut buf = BytesMut::from(&b"SEND\ncontent-length:104857600\n\n"[..]);
    let mut state = ReadState::default();
    assert_eq!(
        read(&mut buf, V12, &Limits::default(), &mut state).unwrap(),
        None
    );
    assert!(buf.capacity() <= 1024 * 1024, "capacity {}", buf.capacity());
}

#[test]
fn errors_reset_state_and_leave_the_buffer_alone() {
    let input = b"SEND\nk:v\ncontent-length:x\n\n\0";
    let mut buf = BytesMut::from(&input[..]);
    let mut state = ReadState::default();
    assert!(read(&mut buf, V12, &Limits::default(), &mut state).is_err());
    assert_eq!(&buf[..], input);
    assert!(matches!(state.stage, Stage::Command { scanned: 0 }));
}

#[test]
fn a_fresh_state_on_the_same_buffer_still_decodes() {
    let input = b"SEND\nk:v\n\nbody\0";
    let limits = Limits::default();
    let mut buf = BytesMut::from(&input[..10]);
    let mut state = ReadState::default();
    assert_eq!(read(&mut buf, V12, &limits, &mut state).unwrap(), None);
    buf.extend_from_slice(&input[10..]);
    let got = read(&mut buf, V12, &limits, &mut ReadState::default()).unwrap();
    assert_eq!(got, Some(frame(Command::Send, &[("k", "v")], b"body")));
}

#[test]
fn a_state_from_another_buffer_does_not_panic() {
    let limits = Limits::default();
    let mut long = BytesMut::from(&b"SEND\nk:v\n\nlots of body without end"[..]);
    let mut state = ReadState::default();
    assert_eq!(read(&mut long, V12, &limits, &mut state).unwrap(), None);
    let mut short = BytesMut::from(&b"ACK\n\n\0"[..]);
    let got = read(&mut short, V12, &limits, &mut state).unwrap();
    assert_eq!(got, Some(frame(Command::Ack, &[], b"")));
}

#[test]
fn body_search_resumes_where_it_stopped() {
    let limits = Limits::default();
    let mut buf = BytesMut::from(&b"SEND\n\n"[..]);
    let mut state = ReadState::default();
    for _ in 0..100 {
        buf.extend_from_slice(&[b'x'; 10]);
        assert_eq!(read(&mut buf, V12, &limits, &mut state).unwrap(), None);
        match &state.stage {
            Stage::Body { start, scanned, .. } => {
                assert_eq!(*start, 6);
                assert_eq!(*scanned, buf.len());
            }
            other => panic!("unexpected stage {other:?}"),
        }
    }
    buf.extend_from_slice(b"\0");
    let Some(Item::Frame(f)) = read(&mut buf, V12, &limits, &mut state).unwrap() else {
        panic!("expected frame");
    };
    assert_eq!(f.body.len(), 1000);
}

#[test]
fn header_lines_are_parsed_as_they_complete() {
    let limits = Limits::default();
    let mut buf = BytesMut::from(&b"SEND\na:1\nb:2"[..]);
    let mut state = ReadState::default();
    assert_eq!(read(&mut buf, V12, &limits, &mut state).unwrap(), None);
    match &state.stage {
        Stage::Headers {
            command,
            head,
            line_start,
            scanned,
        } => {
            assert_eq!(command, &Ok(Command::Send));
            assert_eq!(head.headers, [("a".to_owned(), "1".to_owned())]);
            assert_eq!(*line_start, 9);
            assert_eq!(*scanned, buf.len());
        }
        other => panic!("unexpected stage {other:?}"),
    }
    // A bad line is reported without waiting for the end of the header block.
    buf.extend_from_slice(b"\ncontent-length:x\n");
    assert!(matches!(
        read(&mut buf, V12, &limits, &mut state),
        Err(StompError::Malformed(_))
    ));
}

#[test]
fn small_bodies_are_copied_and_large_ones_shared() {
    fn body_is_shared(len: usize) -> bool {
        let mut input = b"SEND\n\n".to_vec();
        input.resize(input.len() + len, b'x');
        input.extend_from_slice(b"\0ACK\n");
        let mut buf = BytesMut::from(&input[..]);
        let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
        let mut state = ReadState::default();
        let item = read(&mut buf, V12, &Limits::default(), &mut state).unwrap();
        let Some(Item::Frame(f)) = item else {
            panic!("expected frame, got {item:?}");
        };
        assert_eq!(&buf[..], b"ACK\n", "exactly the frame is consumed");
        assert_eq!(f.body.len(), len);
        range.contains(&(f.body.as_ptr() as usize))
    }
    assert!(
        !body_is_shared(100),
        "a small body must not pin the read buffer"
    );
    assert!(!body_is_shared(ZERO_COPY_MIN_BODY - 1));
    assert!(
        body_is_shared(ZERO_COPY_MIN_BODY),
        "a large body is not copied"
    );
    assert!(body_is_shared(200_000));
}
