//! ActiveMQ's marshalled primitive values (`MarshallingSupport` in the Java
//! client): message properties, MapMessage and StreamMessage bodies,
//! WireFormatInfo options; plus TextMessage bodies and body compression
//! ([`read_text`], [`inflate`] and friends).
//!
//! Every value is a type byte followed by its payload, all big-endian:
//!
//! | code | type         | payload                                         |
//! |------|--------------|-------------------------------------------------|
//! | 0    | null         | —                                               |
//! | 1    | boolean      | 1 byte, non-zero is true                        |
//! | 2    | byte         | 1 byte                                          |
//! | 3    | char         | u16 (a UTF-16 code unit)                        |
//! | 4    | short        | i16                                             |
//! | 5    | int          | i32                                             |
//! | 6    | long         | i64                                             |
//! | 7    | double       | IEEE 754 bits, 8 bytes                          |
//! | 8    | float        | IEEE 754 bits, 4 bytes                          |
//! | 9    | string       | u16 length + modified UTF-8                     |
//! | 10   | byte array   | i32 length + bytes                              |
//! | 11   | map          | i32 count (negative: null) + entries            |
//! | 12   | list         | i32 count + values                              |
//! | 13   | big string   | i32 length + modified UTF-8                     |
//!
//! A map entry is a u16-length modified-UTF-8 key followed by a value.

mod body;
mod codec;
#[cfg(test)]
mod tests;

pub use body::{
    deflate, deflate_bytes_message, inflate, inflate_bytes_message, read_text, write_text,
};

use bytes::Bytes;

use crate::error::Result;
// Named only in doc links.
#[cfg(doc)]
use crate::error::OpenWireError;
use crate::mutf8::OwString;
use codec::{read_map_body, read_stream_items, write_map_body, write_value, Input, Nesting};

/// Deepest nesting of maps and lists accepted, as in ActiveMQ
/// (`Byte.MAX_VALUE`: the top-level map is depth 0). Also what keeps the
/// recursive reader from overflowing the stack on hostile input.
pub const MAX_DEPTH: usize = 127;

/// One marshalled primitive value.
#[derive(Clone, Debug, PartialEq)]
pub enum Primitive {
    /// Java `null`.
    Null,
    /// `boolean`.
    Bool(bool),
    /// `byte`.
    Byte(i8),
    /// `char`: one UTF-16 code unit, possibly a lone surrogate.
    Char(u16),
    /// `short`.
    Short(i16),
    /// `int`.
    Int(i32),
    /// `long`.
    Long(i64),
    /// `float` (bit pattern, NaN payloads included, is preserved).
    Float(f32),
    /// `double` (bit pattern, NaN payloads included, is preserved).
    Double(f64),
    /// `String`, written as `STRING` or `BIG_STRING` by ActiveMQ's rule.
    String(OwString),
    /// `byte[]`.
    Bytes(Bytes),
    /// Nested `Map<String, Object>`.
    Map(PrimitiveMap),
    /// Nested `List<Object>`.
    List(Vec<Primitive>),
}

impl From<bool> for Primitive {
    fn from(v: bool) -> Self {
        Primitive::Bool(v)
    }
}
impl From<i8> for Primitive {
    fn from(v: i8) -> Self {
        Primitive::Byte(v)
    }
}
impl From<i16> for Primitive {
    fn from(v: i16) -> Self {
        Primitive::Short(v)
    }
}
impl From<i32> for Primitive {
    fn from(v: i32) -> Self {
        Primitive::Int(v)
    }
}
impl From<i64> for Primitive {
    fn from(v: i64) -> Self {
        Primitive::Long(v)
    }
}
impl From<f32> for Primitive {
    fn from(v: f32) -> Self {
        Primitive::Float(v)
    }
}
impl From<f64> for Primitive {
    fn from(v: f64) -> Self {
        Primitive::Double(v)
    }
}
impl From<&str> for Primitive {
    fn from(v: &str) -> Self {
        Primitive::String(v.into())
    }
}
impl From<String> for Primitive {
    fn from(v: String) -> Self {
        Primitive::String(v.into())
    }
}
impl From<OwString> for Primitive {
    fn from(v: OwString) -> Self {
        Primitive::String(v)
    }
}
impl From<Bytes> for Primitive {
    fn from(v: Bytes) -> Self {
        Primitive::Bytes(v)
    }
}
impl From<PrimitiveMap> for Primitive {
    fn from(v: PrimitiveMap) -> Self {
        Primitive::Map(v)
    }
}
impl From<Vec<Primitive>> for Primitive {
    fn from(v: Vec<Primitive>) -> Self {
        Primitive::List(v)
    }
}

/// Insertion-ordered (as the bytes had them) so re-encoding reproduces the
/// exact bytes.
///
/// Keys are normally unique; if the bytes repeated one, all entries are kept
/// (for re-encoding) and lookups see the last, as Java's `HashMap.put` would.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PrimitiveMap(pub Vec<(OwString, Primitive)>);

impl PrimitiveMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value for `key` (the last one if the key repeats).
    pub fn get(&self, key: &str) -> Option<&Primitive> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| *k == *key)
            .map(|(_, v)| v)
    }

    /// Sets `key` to `v`, replacing the existing value in place (keeping the
    /// entry's position) or appending a new entry.
    pub fn insert(&mut self, key: impl Into<OwString>, v: Primitive) {
        let key = key.into();
        match self.0.iter_mut().rev().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = v,
            None => self.0.push((key, v)),
        }
    }

    /// Removes every entry for `key`, returning the value lookups saw.
    pub fn remove(&mut self, key: &str) -> Option<Primitive> {
        let mut found = None;
        let mut i = 0;
        while i < self.0.len() {
            if self.0[i].0 == *key {
                found = Some(self.0.remove(i).1);
            } else {
                i += 1;
            }
        }
        found
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&OwString, &Primitive)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// Reads the `marshalPrimitiveMap` format (message properties, MapMessage
/// bodies, WireFormatInfo options): an i32 count (negative for a null map),
/// then the entries. Returns `None` for a null map. Bytes after the map are
/// ignored, as ActiveMQ ignores them.
///
/// Byte arrays and strings are copied out of `data`; see [`read_map_shared`]
/// to share the buffer instead.
///
/// # Errors
///
/// [`OpenWireError::Truncated`] if the data ends inside the map,
/// [`OpenWireError::NegativeLength`] for a negative byte-array length or list
/// count, [`OpenWireError::Malformed`] for an unknown type code or nesting
/// deeper than [`MAX_DEPTH`].
pub fn read_map(data: &[u8]) -> Result<Option<PrimitiveMap>> {
    read_map_body(&mut Input::new(data, None), 0)
}

/// [`read_map`], with byte arrays and strings sharing `data`'s buffer rather
/// than copied.
///
/// # Errors
///
/// As [`read_map`].
pub fn read_map_shared(data: &Bytes) -> Result<Option<PrimitiveMap>> {
    read_map_body(&mut Input::new(data, Some(data)), 0)
}

/// Writes `map` in the `marshalPrimitiveMap` format.
///
/// # Errors
///
/// [`OpenWireError::Unencodable`] for a key over 65535 bytes, a count or
/// length over `i32::MAX`, or nesting deeper than [`MAX_DEPTH`]. On error,
/// `out` may hold part of the map.
pub fn write_map(map: &PrimitiveMap, out: &mut Vec<u8>) -> Result<()> {
    write_map_body(map, out, 0)
}

/// Writes the null map (count -1), as ActiveMQ does for absent properties.
pub fn write_null_map(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

/// Reads a StreamMessage body: marshalled primitives until the end of the
/// data. Maps and lists are not allowed, as ActiveMQ's `readObject` rejects
/// them.
///
/// # Errors
///
/// [`OpenWireError::Truncated`] if the data ends inside a value,
/// [`OpenWireError::NegativeLength`] for a negative byte-array length,
/// [`OpenWireError::Malformed`] for an unknown type code, a map or a list.
pub fn read_stream(data: &[u8]) -> Result<Vec<Primitive>> {
    read_stream_items(&mut Input::new(data, None))
}

/// [`read_stream`], with byte arrays and strings sharing `data`'s buffer.
///
/// # Errors
///
/// As [`read_stream`].
pub fn read_stream_shared(data: &Bytes) -> Result<Vec<Primitive>> {
    read_stream_items(&mut Input::new(data, Some(data)))
}

/// Writes a StreamMessage body.
///
/// # Errors
///
/// [`OpenWireError::Unencodable`] for a map or list (StreamMessage cannot
/// hold them) or a length over `i32::MAX`. On error, `out` may hold part of
/// the body.
pub fn write_stream(items: &[Primitive], out: &mut Vec<u8>) -> Result<()> {
    for item in items {
        write_value(item, out, Nesting::Stream)?;
    }
    Ok(())
}
