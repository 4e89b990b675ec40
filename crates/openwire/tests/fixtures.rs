//! Every frame of every capture in `proto-fixtures/openwire` (real bytes
//! between activemq-client 5.17.2 and ActiveMQ 5.17.2) decodes, lands on
//! the frame boundaries the Java codec reported, and re-encodes to the
//! identical bytes.

use std::fs;
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use openwire::negotiate::{negotiate, WireFormatOptions};
use openwire::{Codec, DataStructure, WireFormat};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto-fixtures/openwire")
}

/// Offsets and lengths of the frames, from the Java decoder's listing.
fn java_frames(listing: &Path) -> Vec<(usize, usize)> {
    fs::read_to_string(listing)
        .expect("frames listing")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
        })
        .collect()
}

fn first_info(stream: &[u8]) -> WireFormatOptions {
    let mut codec = Codec::new(WireFormat::initial(12));
    let mut buf = BytesMut::from(stream);
    match codec
        .read_frame(&mut buf)
        .expect("decode")
        .expect("a frame")
    {
        Some(DataStructure::WireFormatInfo(info)) => {
            WireFormatOptions::from_info(&info).expect("options")
        }
        other => panic!("first frame is not WireFormatInfo: {other:?}"),
    }
}

/// Decodes a whole stream and re-encodes each frame, checking boundaries
/// and bytes. Returns the number of frames.
fn round_trip(name: &str, stream: &[u8], format: WireFormat, expected: &[(usize, usize)]) -> usize {
    let mut reader = Codec::new(WireFormat::initial(12));
    let mut writer = Codec::new(WireFormat::initial(12));
    let mut buf = BytesMut::from(stream);
    let mut offset = 0;
    let mut n = 0;
    while !buf.is_empty() {
        let before = buf.len();
        let frame = match reader.read_frame(&mut buf) {
            Ok(Some(f)) => f,
            Ok(None) => panic!("{name}: truncated frame at offset {offset}"),
            Err(e) => panic!("{name}: frame {n} at offset {offset}: {e}"),
        };
        let len = before - buf.len();
        if let Some(&(o, l)) = expected.get(n) {
            assert_eq!((offset, len), (o, l), "{name}: frame {n} boundaries");
        }
        let mut out = BytesMut::new();
        writer
            .write_frame(frame.as_ref(), &mut out)
            .unwrap_or_else(|e| panic!("{name}: re-encoding frame {n}: {e}"));
        assert_eq!(
            &out[..],
            &stream[offset..offset + len],
            "{name}: frame {n} ({}) re-encodes differently",
            frame.as_ref().map_or("NULL", |f| f.name())
        );
        if n == 0 {
            reader.set_format(format);
            writer.set_format(format);
        }
        offset += len;
        n += 1;
    }
    assert_eq!(n, expected.len(), "{name}: frame count");
    n
}

#[test]
fn every_captured_frame_decodes_and_reencodes_identically() {
    let dir = fixtures();
    let mut streams = 0;
    let mut frames = 0;
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".c2s.bin"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 40,
        "expected the committed captures, found {}",
        names.len()
    );
    for c2s_name in names {
        let base = c2s_name.trim_end_matches(".c2s.bin");
        let c2s = fs::read(dir.join(&c2s_name)).expect("c2s");
        let s2c = fs::read(dir.join(format!("{base}.s2c.bin"))).expect("s2c");
        let client = first_info(&c2s);
        let broker = first_info(&s2c);
        let format = negotiate(&client, &broker);
        for (dir_name, stream) in [("c2s", &c2s), ("s2c", &s2c)] {
            let listing = dir.join(format!("{base}.{dir_name}.frames.txt"));
            let expected = java_frames(&listing);
            frames += round_trip(&format!("{base}.{dir_name}"), stream, format, &expected);
            streams += 1;
        }
    }
    eprintln!("{streams} streams, {frames} frames");
}

/// Message properties, MapMessage, StreamMessage and TextMessage bodies of
/// every captured message decode and (maps and streams) re-encode exactly.
#[test]
fn captured_message_contents_decode_and_reencode() {
    use openwire::primitive::{
        inflate, inflate_bytes_message, read_map, read_stream, read_text, write_map, write_stream,
    };
    let dir = fixtures();
    let (mut maps, mut streams, mut texts, mut compressed) = (0, 0, 0, 0);
    for entry in fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(base) = name.strip_suffix(".c2s.bin") else {
            continue;
        };
        let c2s = fs::read(dir.join(&name)).expect("c2s");
        let s2c = fs::read(dir.join(format!("{base}.s2c.bin"))).expect("s2c");
        let format = negotiate(&first_info(&c2s), &first_info(&s2c));
        for stream in [&c2s, &s2c] {
            let mut codec = Codec::new(WireFormat::initial(12));
            let mut buf = BytesMut::from(&stream[..]);
            let mut first = true;
            while let Some(frame) = codec.read_frame(&mut buf).expect("frame") {
                if first {
                    codec.set_format(format);
                    first = false;
                }
                let msg = match frame {
                    Some(DataStructure::MessageDispatch(d)) => match &d.message {
                        Some(m) => m.clone(),
                        None => continue,
                    },
                    Some(other) => other,
                    None => continue,
                };
                let (kind, m) = match &msg {
                    DataStructure::ActiveMqMessage(m) => (23, m),
                    DataStructure::BytesMessage(m) => (24, m),
                    DataStructure::MapMessage(m) => (25, m),
                    DataStructure::ObjectMessage(m) => (26, m),
                    DataStructure::StreamMessage(m) => (27, m),
                    DataStructure::TextMessage(m) => (28, m),
                    _ => continue,
                };
                if let Some(p) = &m.marshalled_properties {
                    let map = read_map(p).expect("properties").expect("non-null");
                    let mut out = Vec::new();
                    write_map(&map, &mut out).expect("write");
                    assert_eq!(&out[..], &p[..], "{base}: properties re-encode");
                    maps += 1;
                }
                let Some(content) = &m.content else { continue };
                let body = if m.compressed {
                    compressed += 1;
                    if kind == openwire::DataType::BytesMessage.code() {
                        inflate_bytes_message(content, 1 << 26).expect("inflate bytes")
                    } else {
                        inflate(content, 1 << 26).expect("inflate")
                    }
                } else {
                    content.clone()
                };
                match kind {
                    25 => {
                        let map = read_map(&body).expect("map body").unwrap_or_default();
                        if !m.compressed {
                            let mut out = Vec::new();
                            write_map(&map, &mut out).expect("write");
                            assert_eq!(&out[..], &body[..], "{base}: map body re-encodes");
                        }
                        maps += 1;
                    }
                    27 => {
                        let items = read_stream(&body).expect("stream body");
                        if !m.compressed {
                            let mut out = Vec::new();
                            write_stream(&items, &mut out).expect("write");
                            assert_eq!(&out[..], &body[..], "{base}: stream body re-encodes");
                        }
                        streams += 1;
                    }
                    28 => {
                        read_text(&body).expect("text body");
                        texts += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    eprintln!("{maps} maps, {streams} streams, {texts} texts, {compressed} compressed");
    assert!(maps > 50 && streams > 0 && texts > 50 && compressed > 0);
}
