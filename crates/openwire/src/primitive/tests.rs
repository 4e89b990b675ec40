//! Tests for the primitive codec, including vectors produced by ActiveMQ's
//! own Java code (activemq-client 5.17.2: `MarshallingSupport`,
//! `ActiveMQ{Map,Stream,Text,Bytes}Message` `storeContent`/`compress`).

use super::codec::*;
use super::*;
use crate::error::OpenWireError;
use proptest::prelude::*;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(b);
    c.sum()
}

fn map_bytes(m: &PrimitiveMap) -> Vec<u8> {
    let mut v = Vec::new();
    write_map(m, &mut v).unwrap();
    v
}

fn stream_bytes(items: &[Primitive]) -> Vec<u8> {
    let mut v = Vec::new();
    write_stream(items, &mut v).unwrap();
    v
}

/// Decodes `bytes` as a map and checks that re-encoding gives them back.
fn map_round_trip(bytes: &[u8]) -> PrimitiveMap {
    let m = read_map(bytes).unwrap().unwrap();
    assert_eq!(map_bytes(&m), bytes);
    let shared = Bytes::copy_from_slice(bytes);
    // Compared as bytes: NaN != NaN under PartialEq.
    assert_eq!(
        map_bytes(&read_map_shared(&shared).unwrap().unwrap()),
        bytes
    );
    m
}

fn s(v: &str) -> Primitive {
    Primitive::String(v.into())
}

/// Java test helper `pattern(n)`: 1-, 2- and 3-byte chars and a NUL.
fn pattern(n: usize) -> String {
    "abc\u{e9}\u{20ac}\0xyz".chars().cycle().take(n).collect()
}

/// `marshalPrimitiveMap` of a LinkedHashMap holding every type, a nested
/// map and list, a NUL and an emoji (in a value and a key), a lone
/// surrogate and the empty key.
const PROPS_ALL_TYPES: &str = "0000001200046e756c6c000004626f6f6c01010005626f6f6c66010000046279746502fb0004636861720320ac000573686f727404fb2e0003696e7405075bcd1500046c6f6e6706fffffee08e04fb350005666c6f617408406000000006646f75626c6507c214f46b0400000000036e616e087fc000000006737472696e6709001468c3a96c6c6fc08077c3b6726c64eda0bdedb880000562797465730a00000004000102ff00036d61700b000000030005696e6e65720900017800016e050000000100016c0c0000000201010a000000010900046c6973740c00000005050000000109000374776f000b000000010001610400070c0000000000096bc080eda0bdedb8800900166b65792077697468206e756c20616e6420656d6f6a6900046c6f6e6509000561eda080620000090000";
/// `ActiveMQMapMessage` content (HashMap order).
const MAPMESSAGE_BODY: &str = "0000000700016303005a00046e616d6509000666657272756d0005636f756e74050000002a00037261770a000000030102030002706907400921f9f01b866e00026f6b010100066e65737465640b000000030005696e6e65720900017800016e050000000100016c0c0000000201010a0000000109";
/// `ActiveMQStreamMessage` content: one of each write, a null string, an
/// empty byte array and a null object.
const STREAMMESSAGE_BODY: &str = "0100027f04fffe0300e905ffffffff0680000000000000000880000000077fefffffffffffff09000b737472c080eda0bdedb880000a00000004deadbeef0a0000000000";
/// `ActiveMQTextMessage` content for "hello\0 😀 ünïcödé end".
const TEXTMESSAGE_BODY: &str =
    "0000001e68656c6c6fc08020eda0bdedb88020c3bc6ec3af63c3b664c3a920656e64";
/// ... for the Java string "a\uD800b\uDC00" (two unpaired surrogates).
const TEXTMESSAGE_LONE_SURROGATES: &str = "0000000861eda08062edb080";
/// ... for "".
const TEXTMESSAGE_EMPTY: &str = "00000000";
/// `ActiveMQTextMessage.compress()` of 50 × "compress me é\0 ".
const TEXTMESSAGE_COMPRESSED: &str =
    "789c6360600e4acecf2d284a2d2e56c84d5538bcf24083c2a8c0a8c0a800050200ac866cd9";
/// `ActiveMQMapMessage.compress()` of {"k": the same text}.
const MAPMESSAGE_COMPRESSED: &str =
    "789c636060606460cce6640e4acecf2d284a2d2e56c84d5538bcf24083c2a8c0a8c0a80005020036496d4f";
/// `ActiveMQBytesMessage.compress()` of 300 bytes `i % 7`. Its zlib stream
/// inflates to 1028 bytes: Java compresses its whole 1028-byte buffer.
const BYTESMESSAGE_COMPRESSED: &str =
    "0000012c789c636064626661656318a508530ca360140c43000007f60382";

fn compress_me_text() -> String {
    "compress me \u{e9}\0 ".repeat(50)
}

#[test]
fn java_props_all_types() {
    let bytes = unhex(PROPS_ALL_TYPES);
    let m = map_round_trip(&bytes);
    assert_eq!(m.len(), 18);
    assert_eq!(m.get("null"), Some(&Primitive::Null));
    assert_eq!(m.get("bool"), Some(&Primitive::Bool(true)));
    assert_eq!(m.get("boolf"), Some(&Primitive::Bool(false)));
    assert_eq!(m.get("byte"), Some(&Primitive::Byte(-5)));
    assert_eq!(m.get("char"), Some(&Primitive::Char(0x20ac)));
    assert_eq!(m.get("short"), Some(&Primitive::Short(-1234)));
    assert_eq!(m.get("int"), Some(&Primitive::Int(123_456_789)));
    assert_eq!(m.get("long"), Some(&Primitive::Long(-1_234_567_890_123)));
    assert_eq!(m.get("float"), Some(&Primitive::Float(3.5)));
    assert_eq!(m.get("double"), Some(&Primitive::Double(-2.25e10)));
    assert!(matches!(m.get("nan"), Some(Primitive::Float(f)) if f.to_bits() == 0x7fc0_0000));
    assert_eq!(m.get("string"), Some(&s("h\u{e9}llo\0w\u{f6}rld\u{1F600}")));
    assert_eq!(
        m.get("bytes"),
        Some(&Primitive::Bytes(Bytes::from_static(&[0, 1, 2, 0xff])))
    );
    assert_eq!(m.get("k\0\u{1F600}"), Some(&s("key with nul and emoji")));
    assert_eq!(m.get(""), Some(&s("")));
    match m.get("lone") {
        Some(Primitive::String(v)) => {
            assert_eq!(v.as_bytes(), b"a\xED\xA0\x80b");
            assert_eq!(v.to_str().unwrap(), "a\u{FFFD}b");
        }
        other => panic!("{other:?}"),
    }
    let mut inner = PrimitiveMap::new();
    inner.insert("inner", s("x"));
    inner.insert("n", Primitive::Int(1));
    inner.insert(
        "l",
        Primitive::List(vec![
            Primitive::Bool(true),
            Primitive::Bytes(Bytes::from_static(&[9])),
        ]),
    );
    assert_eq!(m.get("map"), Some(&Primitive::Map(inner)));
    let mut lm = PrimitiveMap::new();
    lm.insert("a", Primitive::Short(7));
    assert_eq!(
        m.get("list"),
        Some(&Primitive::List(vec![
            Primitive::Int(1),
            s("two"),
            Primitive::Null,
            Primitive::Map(lm),
            Primitive::List(vec![]),
        ]))
    );
    // Keys in wire order.
    let keys: Vec<String> = m.iter().map(|(k, _)| k.to_string_lossy()).collect();
    assert_eq!(&keys[..4], ["null", "bool", "boolf", "byte"]);
}

#[test]
fn java_null_and_empty_maps() {
    assert_eq!(read_map(&unhex("ffffffff")).unwrap(), None);
    let mut v = Vec::new();
    write_null_map(&mut v);
    assert_eq!(v, unhex("ffffffff"));
    assert_eq!(map_round_trip(&unhex("00000000")), PrimitiveMap::default());
}

#[test]
fn java_map_message_body() {
    let m = map_round_trip(&unhex(MAPMESSAGE_BODY));
    assert_eq!(m.get("name"), Some(&s("ferrum")));
    assert_eq!(m.get("count"), Some(&Primitive::Int(42)));
    assert_eq!(m.get("c"), Some(&Primitive::Char(u16::from(b'Z'))));
    assert_eq!(
        m.get("pi"),
        Some(&Primitive::Double(f64::from_bits(0x4009_21f9_f01b_866e)))
    );
    assert!(matches!(m.get("nested"), Some(Primitive::Map(n)) if n.len() == 3));
}

#[test]
fn java_stream_message_body() {
    let bytes = unhex(STREAMMESSAGE_BODY);
    let items = read_stream(&bytes).unwrap();
    assert_eq!(stream_bytes(&items), bytes);
    assert_eq!(
        read_stream_shared(&Bytes::from(bytes.clone()))
            .unwrap()
            .len(),
        items.len()
    );
    let expected = [
        Primitive::Bool(false),
        Primitive::Byte(0x7f),
        Primitive::Short(-2),
        Primitive::Char(0xe9),
        Primitive::Int(-1),
        Primitive::Long(i64::MIN),
        Primitive::Float(-0.0),
        Primitive::Double(f64::MAX),
        s("str\0\u{1F600}"),
        Primitive::Null,
        Primitive::Bytes(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef])),
        Primitive::Bytes(Bytes::new()),
        Primitive::Null,
    ];
    assert_eq!(items, expected);
    assert!(matches!(items[6], Primitive::Float(f) if f.is_sign_negative()));
}

#[test]
fn java_text_message_bodies() {
    for (hex, text) in [
        (
            TEXTMESSAGE_BODY,
            "hello\0 \u{1F600} \u{fc}n\u{ef}c\u{f6}d\u{e9} end",
        ),
        (TEXTMESSAGE_EMPTY, ""),
    ] {
        let bytes = unhex(hex);
        assert_eq!(read_text(&bytes).unwrap().as_deref(), Some(text));
        let mut v = Vec::new();
        write_text(Some(text), &mut v).unwrap();
        assert_eq!(v, bytes);
    }
    // Unpaired surrogates cannot live in a Rust string: read as U+FFFD, so
    // this one is the exception to byte-identical re-encoding.
    let lone = unhex(TEXTMESSAGE_LONE_SURROGATES);
    assert_eq!(
        read_text(&lone).unwrap().as_deref(),
        Some("a\u{FFFD}b\u{FFFD}")
    );
    // Null text.
    assert_eq!(read_text(&unhex("ffffffff")).unwrap(), None);
    let mut v = Vec::new();
    write_text(None, &mut v).unwrap();
    assert_eq!(v, unhex("ffffffff"));
}

#[test]
fn java_big_string_vectors() {
    // Built here from the same pattern as the Java generator; the Java
    // output is pinned by length and CRC-32.
    let emoji = "\u{1F600}".repeat(4095);
    let mut m = PrimitiveMap::new();
    m.insert("s8190", s(&pattern(8190)));
    m.insert("s8191", s(&pattern(8191)));
    m.insert("emoji8190", s(&emoji));
    m.insert("emoji8190a", s(&format!("{emoji}a")));
    m.insert("big70000", s(&pattern(70000)));
    let bytes = map_bytes(&m);
    assert_eq!((bytes.len(), crc32(&bytes)), (173_986, 0x0a5f_64ce));
    assert_eq!(read_map(&bytes).unwrap().unwrap(), m);
    // Java's length() rule: < 8191 UTF-16 units is STRING, else BIG_STRING.
    let at = |key: &[u8]| bytes.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    assert_eq!(bytes[at(b"\x00\x05s8190")], STRING);
    assert_eq!(bytes[at(b"\x00\x05s8191")], BIG_STRING);
    assert_eq!(bytes[at(b"\x00\x09emoji8190")], STRING);
    assert_eq!(bytes[at(b"\x00\x0aemoji8190a")], BIG_STRING);

    let items = [s(&pattern(8190)), s(&pattern(9000)), Primitive::Int(7)];
    let bytes = stream_bytes(&items);
    assert_eq!((bytes.len(), crc32(&bytes)), (24_843, 0x7649_ab23));
    assert_eq!(read_stream(&bytes).unwrap(), items);

    let text = pattern(70000);
    let mut bytes = Vec::new();
    write_text(Some(&text), &mut bytes).unwrap();
    assert_eq!((bytes.len(), crc32(&bytes)), (101_116, 0xcfdc_a831));
    assert_eq!(read_text(&bytes).unwrap().as_deref(), Some(text.as_str()));
}

#[test]
fn java_compressed_bodies() {
    let text = compress_me_text();
    let plain = inflate(&unhex(TEXTMESSAGE_COMPRESSED), 1 << 20).unwrap();
    assert_eq!(read_text(&plain).unwrap().as_deref(), Some(text.as_str()));
    // Re-compressing differs from Java's zlib bytes but inflates the same.
    assert_eq!(inflate(&deflate(&plain).unwrap(), 1 << 20).unwrap(), plain);
    assert_eq!(&deflate(&plain).unwrap()[..2], &[0x78, 0x9c]);

    let plain = inflate(&unhex(MAPMESSAGE_COMPRESSED), 1 << 20).unwrap();
    let m = map_round_trip(&plain);
    assert_eq!(m.get("k"), Some(&s(&text)));

    let payload: Vec<u8> = (0..300).map(|i| (i % 7) as u8).collect();
    let java = unhex(BYTESMESSAGE_COMPRESSED);
    assert_eq!(inflate_bytes_message(&java, 1 << 20).unwrap(), payload);
    assert_eq!(inflate_bytes_message(&java, 300).unwrap(), payload);
    assert!(matches!(
        inflate_bytes_message(&java, 299),
        Err(OpenWireError::FrameTooLarge {
            size: 300,
            max: 299
        })
    ));
    // The zero padding Java compressed along with the body.
    let all = inflate(&java[4..], 1 << 20).unwrap();
    assert_eq!(all.len(), 1028);
    assert_eq!(&all[..300], &payload[..]);
    assert!(all[300..].iter().all(|&b| b == 0));

    let ours = deflate_bytes_message(&payload).unwrap();
    assert_eq!(&ours[..4], &java[..4]);
    assert_eq!(inflate_bytes_message(&ours, 300).unwrap(), payload);
    assert_eq!(inflate_bytes_message(&[], 0).unwrap(), Bytes::new());
}

#[test]
fn inflate_limits_and_errors() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = deflate(&zeros).unwrap();
    assert!(bomb.len() < 16 * 1024);
    assert_eq!(inflate(&bomb, 4 << 20).unwrap().len(), 4 << 20);
    assert!(matches!(
        inflate(&bomb, 1 << 20),
        Err(OpenWireError::FrameTooLarge { size, max }) if size == (1 << 20) + 1 && max == 1 << 20
    ));
    assert!(matches!(
        inflate(&bomb, 0),
        Err(OpenWireError::FrameTooLarge { .. })
    ));
    assert_eq!(inflate(&deflate(b"").unwrap(), 0).unwrap(), Bytes::new());
    // Trailing bytes after the stream are ignored, as Java does.
    let mut trailing = deflate(b"abc").unwrap().to_vec();
    trailing.extend_from_slice(b"junk");
    assert_eq!(inflate(&trailing, 10).unwrap(), Bytes::from_static(b"abc"));
    // Truncated or garbage streams.
    let good = deflate(&pattern(5000).into_bytes()).unwrap();
    for cut in 0..good.len() {
        assert!(inflate(&good[..cut], 1 << 20).is_err(), "cut {cut}");
    }
    assert!(matches!(
        inflate(b"not zlib", 100),
        Err(OpenWireError::Malformed(_))
    ));

    // BytesMessage: a header promising more than the stream holds.
    let mut lying = deflate_bytes_message(b"abc").unwrap().to_vec();
    lying[..4].copy_from_slice(&1_000_000i32.to_be_bytes());
    assert!(matches!(
        inflate_bytes_message(&lying, 1 << 30),
        Err(OpenWireError::Malformed(_))
    ));
    lying[..4].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(matches!(
        inflate_bytes_message(&lying, 10),
        Err(OpenWireError::NegativeLength(-1))
    ));
    assert!(matches!(
        inflate_bytes_message(&[0, 0], 10),
        Err(OpenWireError::Truncated { needed: 2 })
    ));
    // A zero-length body ignores the stream entirely.
    assert_eq!(
        inflate_bytes_message(&[0, 0, 0, 0], 10).unwrap(),
        Bytes::new()
    );
}

#[test]
fn every_truncation_is_an_error() {
    for hex in [PROPS_ALL_TYPES, MAPMESSAGE_BODY] {
        let bytes = unhex(hex);
        for cut in 0..bytes.len() {
            assert!(read_map(&bytes[..cut]).is_err(), "{hex} cut at {cut}");
        }
    }
    let bytes = unhex(STREAMMESSAGE_BODY);
    // A stream may legitimately end between items; it must fail elsewhere.
    let mut boundaries = vec![0];
    let mut inp = Input::new(&bytes, None);
    while inp.remaining() > 0 {
        read_value(&mut inp, Nesting::Stream).unwrap();
        boundaries.push(inp.pos);
    }
    for cut in 0..bytes.len() {
        assert_eq!(
            read_stream(&bytes[..cut]).is_ok(),
            boundaries.contains(&cut),
            "cut {cut}"
        );
    }
    let text = unhex(TEXTMESSAGE_BODY);
    for cut in 0..text.len() {
        assert!(read_text(&text[..cut]).is_err());
    }
}

#[test]
fn hostile_lengths_do_not_allocate_or_panic() {
    // Huge counts and lengths with nothing behind them.
    assert!(matches!(
        read_map(&unhex("7fffffff")),
        Err(OpenWireError::Truncated { .. })
    ));
    assert!(matches!(
        read_map(&unhex(
            "00000001 0000 0a 7fffffff".replace(' ', "").as_str()
        )),
        Err(OpenWireError::Truncated {
            needed: 0x7fff_ffff
        })
    ));
    assert!(matches!(
        read_map(&unhex("000000010000 0c7fffffff".replace(' ', "").as_str())),
        Err(OpenWireError::Truncated { .. })
    ));
    assert!(matches!(
        read_stream(&unhex("0a80000000")),
        Err(OpenWireError::NegativeLength(_))
    ));
    assert!(matches!(
        read_map(&unhex("0000000100000cffffffff")),
        Err(OpenWireError::NegativeLength(-1))
    ));
    assert!(matches!(
        read_stream(&unhex("09ffff")),
        Err(OpenWireError::Truncated { needed: 0xffff })
    ));
    assert!(matches!(
        read_text(&unhex("7fffffff")),
        Err(OpenWireError::Truncated { .. })
    ));
    // Any negative map count is a null map, top level or nested (Java).
    assert_eq!(read_map(&unhex("80000000")).unwrap(), None);
    let m = read_map(&unhex("0000000100000bffffffff")).unwrap().unwrap();
    assert_eq!(m.get(""), Some(&Primitive::Null));
    // A negative big-string length reads as null, like Java's readUTF8.
    assert_eq!(
        read_stream(&unhex("0dffffffff")).unwrap(),
        vec![Primitive::Null]
    );
    // Unknown type codes.
    assert!(matches!(
        read_stream(&[14]),
        Err(OpenWireError::Malformed(_))
    ));
    assert!(matches!(
        read_stream(&[0xff]),
        Err(OpenWireError::Malformed(_))
    ));
    // Maps and lists are not StreamMessage items.
    assert!(matches!(
        read_stream(&unhex("0b00000000")),
        Err(OpenWireError::Malformed(_))
    ));
    assert!(matches!(
        read_stream(&unhex("0c00000000")),
        Err(OpenWireError::Malformed(_))
    ));
    assert!(matches!(
        write_stream(&[Primitive::List(vec![])], &mut Vec::new()),
        Err(OpenWireError::Unencodable(_))
    ));
    // Java's readBoolean: non-zero is true.
    assert_eq!(read_stream(&[1, 7]).unwrap(), vec![Primitive::Bool(true)]);
}

/// A map nesting lists `levels` deep below the top-level map.
fn nested(levels: usize) -> Vec<u8> {
    let mut v = unhex("000000010000");
    for _ in 0..levels {
        v.extend_from_slice(&unhex("0c00000001"));
    }
    v.push(NULL);
    v
}

#[test]
fn nesting_depth_is_limited_like_java() {
    assert!(read_map(&nested(MAX_DEPTH)).unwrap().is_some());
    assert!(matches!(
        read_map(&nested(MAX_DEPTH + 1)),
        Err(OpenWireError::Malformed(_))
    ));
    // Far past the limit must not overflow the stack.
    assert!(read_map(&nested(1_000_000)).is_err());

    let mut deep = Primitive::Null;
    for _ in 0..MAX_DEPTH {
        deep = Primitive::List(vec![deep]);
    }
    let mut m = PrimitiveMap::new();
    m.insert("", deep.clone());
    assert_eq!(map_bytes(&m), nested(MAX_DEPTH));
    m.insert("", Primitive::List(vec![deep]));
    assert!(matches!(
        write_map(&m, &mut Vec::new()),
        Err(OpenWireError::Unencodable(_))
    ));
}

#[test]
fn map_operations() {
    let mut m = PrimitiveMap::new();
    m.insert("a", Primitive::Int(1));
    m.insert(String::from("b"), Primitive::Int(2));
    m.insert("a", Primitive::Int(3));
    assert_eq!(m.0.len(), 2);
    assert_eq!(m.0[0].0, "a");
    assert_eq!(m.get("a"), Some(&Primitive::Int(3)));
    assert_eq!(m.get("zz"), None);
    // Duplicate keys on the wire: all kept, the last one wins (Java's put).
    let dup = read_map(&unhex("0000000200016105000000010001610500000002"))
        .unwrap()
        .unwrap();
    assert_eq!(dup.get("a"), Some(&Primitive::Int(2)));
    assert_eq!(
        map_bytes(&dup),
        unhex("0000000200016105000000010001610500000002")
    );
    let mut dup = dup;
    assert_eq!(dup.remove("a"), Some(Primitive::Int(2)));
    assert!(dup.is_empty());
    assert_eq!(m.remove("nope"), None);
    // Keys with NUL compare by their encoding.
    m.insert("x\0", Primitive::Null);
    assert_eq!(m.get("x\0"), Some(&Primitive::Null));
    assert_eq!(m.0[2].0.as_bytes(), b"x\xC0\x80");
}

#[test]
fn write_rejects_oversized_keys() {
    let mut m = PrimitiveMap::new();
    m.insert("k".repeat(65_536), Primitive::Null);
    assert!(matches!(
        write_map(&m, &mut Vec::new()),
        Err(OpenWireError::Unencodable(_))
    ));
    let mut m = PrimitiveMap::new();
    m.insert("k".repeat(65_535), Primitive::Null);
    assert!(write_map(&m, &mut Vec::new()).is_ok());
}

#[test]
fn string_from_non_java_writers_is_kept_exact_when_possible() {
    // A short string sent as BIG_STRING is re-encoded as STRING (Java's
    // choice); a STRING of 8191+ units becomes BIG_STRING. Documented loss.
    let big_short = unhex("0d0000000161");
    let items = read_stream(&big_short).unwrap();
    assert_eq!(stream_bytes(&items), unhex("09000161"));
}

/// Any value but a map or list: what a StreamMessage may hold.
fn arb_leaf() -> impl Strategy<Value = Primitive> {
    prop_oneof![
        Just(Primitive::Null),
        any::<bool>().prop_map(Primitive::Bool),
        any::<i8>().prop_map(Primitive::Byte),
        any::<u16>().prop_map(Primitive::Char),
        any::<i16>().prop_map(Primitive::Short),
        any::<i32>().prop_map(Primitive::Int),
        any::<i64>().prop_map(Primitive::Long),
        any::<u32>().prop_map(|b| Primitive::Float(f32::from_bits(b))),
        any::<u64>().prop_map(|b| Primitive::Double(f64::from_bits(b))),
        any::<String>().prop_map(|t| Primitive::String(t.into())),
        proptest::collection::vec(any::<u8>(), 0..32).prop_map(|b| Primitive::Bytes(b.into())),
    ]
}

fn arb_primitive() -> impl Strategy<Value = Primitive> {
    arb_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Primitive::List),
            proptest::collection::vec((any::<String>(), inner), 0..6).prop_map(|kv| {
                Primitive::Map(PrimitiveMap(
                    kv.into_iter().map(|(k, v)| (k.into(), v)).collect(),
                ))
            }),
        ]
    })
}

proptest! {
    #[test]
    fn map_round_trip_prop(kv in proptest::collection::vec((any::<String>(), arb_primitive()), 0..8)) {
        let m = PrimitiveMap(kv.into_iter().map(|(k, v)| (k.into(), v)).collect());
        let bytes = map_bytes(&m);
        let back = read_map(&bytes).unwrap().unwrap();
        // Compare re-encoded bytes: NaN != NaN under PartialEq.
        prop_assert_eq!(map_bytes(&back), bytes);
    }

    #[test]
    fn stream_round_trip_prop(items in proptest::collection::vec(arb_leaf(), 0..16)) {
        let bytes = stream_bytes(&items);
        let back = read_stream(&bytes).unwrap();
        prop_assert_eq!(back.len(), items.len());
        prop_assert_eq!(stream_bytes(&back), bytes);
    }

    #[test]
    fn text_round_trip_prop(t in any::<String>()) {
        let mut v = Vec::new();
        write_text(Some(&t), &mut v).unwrap();
        prop_assert_eq!(read_text(&v).unwrap(), Some(t));
    }

    #[test]
    fn compression_round_trip_prop(b in proptest::collection::vec(any::<u8>(), 0..4096)) {
        prop_assert_eq!(&inflate(&deflate(&b).unwrap(), b.len()).unwrap()[..], &b[..]);
        prop_assert_eq!(
            &inflate_bytes_message(&deflate_bytes_message(&b).unwrap(), b.len()).unwrap()[..],
            &b[..]
        );
    }

    #[test]
    fn arbitrary_input_never_panics(b in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(Some(m)) = read_map(&b) {
            // Whatever decodes re-encodes and decodes again to the same.
            let again = map_bytes(&m);
            prop_assert_eq!(map_bytes(&read_map(&again).unwrap().unwrap()), again);
        }
        if let Ok(items) = read_stream(&b) {
            let again = stream_bytes(&items);
            prop_assert_eq!(stream_bytes(&read_stream(&again).unwrap()), again);
        }
        let _ = read_text(&b);
        let _ = inflate(&b, 1024);
        let _ = inflate_bytes_message(&b, 1024);
    }
}
