//! The reader and writer behind [`super`]'s public functions: a bounds-checked
//! cursor and the recursive value codec.

use bytes::Bytes;

use super::{Primitive, PrimitiveMap, MAX_DEPTH};
use crate::error::{OpenWireError, Result};
use crate::mutf8::OwString;

pub(super) const NULL: u8 = 0;
pub(super) const BOOLEAN: u8 = 1;
pub(super) const BYTE: u8 = 2;
pub(super) const CHAR: u8 = 3;
pub(super) const SHORT: u8 = 4;
pub(super) const INTEGER: u8 = 5;
pub(super) const LONG: u8 = 6;
pub(super) const DOUBLE: u8 = 7;
pub(super) const FLOAT: u8 = 8;
pub(super) const STRING: u8 = 9;
pub(super) const BYTE_ARRAY: u8 = 10;
pub(super) const MAP: u8 = 11;
pub(super) const LIST: u8 = 12;
pub(super) const BIG_STRING: u8 = 13;

/// ActiveMQ writes a string as `STRING` when its Java `length()` (UTF-16
/// units) is below `Short.MAX_VALUE / 4`, else as `BIG_STRING`. Matching the
/// rule exactly is what makes re-encoding Java's bytes byte-identical.
pub(super) const BIG_STRING_UNITS: usize = (i16::MAX / 4) as usize;

/// A cursor over untrusted bytes; every read is bounds-checked.
pub(crate) struct Input<'a> {
    data: &'a [u8],
    pub(super) pos: usize,
    /// The buffer `data` views, when the caller has one to share.
    shared: Option<&'a Bytes>,
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8], shared: Option<&'a Bytes>) -> Self {
        Input {
            data,
            pos: 0,
            shared,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let rest = &self.data[self.pos..];
        match rest.get(..n) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(OpenWireError::Truncated {
                needed: n - rest.len(),
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// `n` bytes as an owned buffer: a slice of the shared buffer if there is
    /// one, else a copy (of bytes that exist, so never sized by a bare claim).
    fn bytes(&mut self, n: usize) -> Result<Bytes> {
        let start = self.pos;
        let s = self.take(n)?;
        Ok(match self.shared {
            Some(b) => b.slice(start..start + n),
            None => Bytes::copy_from_slice(s),
        })
    }

    /// An i32 length that must not be negative.
    fn len_i32(&mut self) -> Result<usize> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| OpenWireError::NegativeLength(n.into()))
    }
}

/// Where a value sits, which decides what it may be.
#[derive(Clone, Copy)]
pub(super) enum Nesting {
    /// Inside a map or list at this depth (top-level map = 0).
    Nested(usize),
    /// An item of a StreamMessage body (no maps or lists).
    Stream,
}

fn check_depth(depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(OpenWireError::Malformed(format!(
            "primitive maps/lists nested deeper than {MAX_DEPTH}"
        )));
    }
    Ok(())
}

pub(super) fn read_map_body(inp: &mut Input<'_>, depth: usize) -> Result<Option<PrimitiveMap>> {
    check_depth(depth)?;
    let count = inp.i32()?;
    // Java reads any negative count as a null map.
    let Ok(count) = usize::try_from(count) else {
        return Ok(None);
    };
    // An entry takes at least 3 bytes (key length and type code), so the
    // bytes present bound the entries that can really follow.
    let mut entries = Vec::with_capacity(count.min(inp.remaining() / 3));
    for _ in 0..count {
        let klen = usize::from(inp.u16()?);
        let key = OwString(inp.bytes(klen)?);
        let value = read_value(inp, Nesting::Nested(depth + 1))?;
        entries.push((key, value));
    }
    Ok(Some(PrimitiveMap(entries)))
}

pub(super) fn read_stream_items(inp: &mut Input<'_>) -> Result<Vec<Primitive>> {
    // Every item is at least its type byte.
    let mut items = Vec::with_capacity(inp.remaining().min(1024));
    while inp.remaining() > 0 {
        items.push(read_value(inp, Nesting::Stream)?);
    }
    Ok(items)
}

pub(super) fn read_value(inp: &mut Input<'_>, at: Nesting) -> Result<Primitive> {
    let code = inp.u8()?;
    Ok(match code {
        NULL => Primitive::Null,
        // Java's readBoolean: any non-zero byte is true.
        BOOLEAN => Primitive::Bool(inp.u8()? != 0),
        BYTE => Primitive::Byte(inp.u8()? as i8),
        CHAR => Primitive::Char(inp.u16()?),
        SHORT => Primitive::Short(inp.u16()? as i16),
        INTEGER => Primitive::Int(inp.i32()?),
        LONG => Primitive::Long(inp.i64()?),
        FLOAT => Primitive::Float(f32::from_bits(inp.i32()? as u32)),
        DOUBLE => Primitive::Double(f64::from_bits(inp.i64()? as u64)),
        BYTE_ARRAY => {
            let n = inp.len_i32()?;
            Primitive::Bytes(inp.bytes(n)?)
        }
        STRING => {
            let n = usize::from(inp.u16()?);
            Primitive::String(OwString(inp.bytes(n)?))
        }
        BIG_STRING => {
            let n = inp.i32()?;
            match usize::try_from(n) {
                Ok(n) => Primitive::String(OwString(inp.bytes(n)?)),
                // Java's readUTF8 (used for StreamMessages and nested maps)
                // returns null for a negative length; take it the same way.
                Err(_) => Primitive::Null,
            }
        }
        MAP | LIST => {
            let Nesting::Nested(depth) = at else {
                return Err(OpenWireError::Malformed(format!(
                    "type {code} (map/list) is not allowed in a StreamMessage"
                )));
            };
            if code == MAP {
                // A nested null map is read by Java as a null value.
                read_map_body(inp, depth)?.map_or(Primitive::Null, Primitive::Map)
            } else {
                check_depth(depth)?;
                let count = inp.len_i32()?;
                // Every item is at least its type byte.
                let mut items = Vec::with_capacity(count.min(inp.remaining()));
                for _ in 0..count {
                    items.push(read_value(inp, Nesting::Nested(depth + 1))?);
                }
                Primitive::List(items)
            }
        }
        other => {
            return Err(OpenWireError::Malformed(format!(
                "unknown primitive type {other}"
            )));
        }
    })
}

/// The depth of a map or list value, or the error for one in a stream.
fn nested_depth(at: Nesting) -> Result<usize> {
    match at {
        Nesting::Nested(depth) => Ok(depth),
        Nesting::Stream => Err(OpenWireError::Unencodable(
            "a StreamMessage cannot hold a map or list".into(),
        )),
    }
}

fn too_deep_to_write() -> OpenWireError {
    OpenWireError::Unencodable(format!(
        "primitive maps/lists nested deeper than {MAX_DEPTH}"
    ))
}

fn i32_len(n: usize, what: &str) -> Result<[u8; 4]> {
    i32::try_from(n)
        .map(i32::to_be_bytes)
        .map_err(|_| OpenWireError::Unencodable(format!("{what} of {n} is over i32::MAX")))
}

pub(super) fn write_map_body(map: &PrimitiveMap, out: &mut Vec<u8>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(too_deep_to_write());
    }
    out.extend_from_slice(&i32_len(map.0.len(), "map entry count")?);
    for (key, value) in &map.0 {
        let klen = u16::try_from(key.len()).map_err(|_| {
            OpenWireError::Unencodable(format!("map key of {} bytes is over 65535", key.len()))
        })?;
        out.extend_from_slice(&klen.to_be_bytes());
        out.extend_from_slice(key.as_bytes());
        write_value(value, out, Nesting::Nested(depth + 1))?;
    }
    Ok(())
}

pub(super) fn write_value(v: &Primitive, out: &mut Vec<u8>, at: Nesting) -> Result<()> {
    match v {
        Primitive::Null => out.push(NULL),
        Primitive::Bool(b) => out.extend_from_slice(&[BOOLEAN, u8::from(*b)]),
        Primitive::Byte(b) => out.extend_from_slice(&[BYTE, *b as u8]),
        Primitive::Char(c) => {
            out.push(CHAR);
            out.extend_from_slice(&c.to_be_bytes());
        }
        Primitive::Short(n) => {
            out.push(SHORT);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Primitive::Int(n) => {
            out.push(INTEGER);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Primitive::Long(n) => {
            out.push(LONG);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Primitive::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Primitive::Double(d) => {
            out.push(DOUBLE);
            out.extend_from_slice(&d.to_bits().to_be_bytes());
        }
        Primitive::String(s) => write_string(s, out)?,
        Primitive::Bytes(b) => {
            let len = i32_len(b.len(), "byte array length")?;
            out.push(BYTE_ARRAY);
            out.extend_from_slice(&len);
            out.extend_from_slice(b);
        }
        Primitive::Map(m) => {
            let depth = nested_depth(at)?;
            out.push(MAP);
            write_map_body(m, out, depth)?;
        }
        Primitive::List(items) => {
            let depth = nested_depth(at)?;
            if depth > MAX_DEPTH {
                return Err(too_deep_to_write());
            }
            out.push(LIST);
            out.extend_from_slice(&i32_len(items.len(), "list count")?);
            for item in items {
                write_value(item, out, Nesting::Nested(depth + 1))?;
            }
        }
    }
    Ok(())
}

/// `STRING` or `BIG_STRING`, by ActiveMQ's rule on the Java length.
fn write_string(s: &OwString, out: &mut Vec<u8>) -> Result<()> {
    // The byte check only matters for malformed bytes (continuation bytes
    // count no units); Java-produced strings under the unit limit always fit.
    match u16::try_from(s.len()) {
        Ok(len) if s.utf16_len() < BIG_STRING_UNITS => {
            out.push(STRING);
            out.extend_from_slice(&len.to_be_bytes());
        }
        _ => {
            let len = i32_len(s.len(), "string length")?;
            out.push(BIG_STRING);
            out.extend_from_slice(&len);
        }
    }
    out.extend_from_slice(s.as_bytes());
    Ok(())
}
