//! The primitives every field is made of, tight and loose, and the frame
//! codec around them.
//!
//! Tight encoding packs every boolean of a frame (presence bits, string
//! "ascii" bits, long size bits, plain booleans) into one bit stream written
//! before the data; loose encoding writes them inline as bytes. The schema
//! code calls the same methods for both: [`Reader::boolean`] reads a bit or
//! a byte depending on the negotiated encoding.

use std::collections::HashMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{OpenWireError, Result};
use crate::mutf8::OwString;
use crate::pool::{reuse, Pool};
use crate::schema::{DataStructure, StackFrame, Throwable};

/// How many entries the marshalling cache has (ActiveMQ's Short.MAX_VALUE / 2).
pub const CACHE_SIZE: usize = 16383;
/// Entries the writer keeps free by evicting old ones (ActiveMQ's value).
pub(crate) const CACHE_FREE_SPACE: usize = 100;

/// The negotiated format of one direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireFormat {
    pub version: u8,
    pub tight: bool,
    pub cache: bool,
    pub stack_trace: bool,
    pub size_prefix: bool,
    /// Largest frame accepted, in bytes.
    pub max_frame_size: u64,
    /// Marshalling cache entries (negotiated; ActiveMQ's default is 1024).
    pub cache_size: usize,
}

impl WireFormat {
    /// The format before negotiation: loose, no cache, size-prefixed. Both
    /// peers send their WireFormatInfo this way.
    pub fn initial(version: u8) -> WireFormat {
        WireFormat {
            version,
            tight: false,
            cache: false,
            stack_trace: false,
            size_prefix: true,
            max_frame_size: 100 * 1024 * 1024,
            cache_size: CACHE_SIZE,
        }
    }
}

/// Reads fields of one frame.
pub struct Reader<'a> {
    /// Recycled structures to decode into instead of allocating.
    pub(crate) pool: &'a mut Pool,
    pub(crate) data: Bytes,
    pub(crate) bits: Option<BitReader>,
    pub(crate) format: &'a WireFormat,
    pub(crate) cache: &'a mut Vec<CacheSlot>,
    /// Nesting depth, bounded so hostile input cannot overflow the stack.
    pub(crate) depth: u32,
    /// The deepest level reached so far (a hit reaches as deep as what it
    /// refers to): how deep a fresh cache entry goes.
    pub(crate) deepest: u32,
    /// Structures produced so far in this frame, a cache hit counting every
    /// structure in what it refers to; bounded in proportion to the bytes
    /// read so far (`start` is the length of `data` before the frame). A
    /// hit shares the entry, but entries may hold hits on other entries, so
    /// without a bound a few bytes could decode to a tree of exponentially
    /// many structures, which encoding, hashing (the write cache),
    /// comparing or printing walk in full. (Bytes read so far, not the
    /// frame's length: without a size prefix that is unknown, and the
    /// verdict must not depend on how much of the stream has arrived.)
    pub(crate) weight: usize,
    pub(crate) start: usize,
    /// Cache slots overwritten by this frame, with their old contents, so
    /// that an attempt that runs out of bytes can be undone.
    pub(crate) undo: Vec<(usize, CacheSlot)>,
}

/// One slot of the read side of the marshalling cache.
#[derive(Clone, Debug, Default)]
pub(crate) struct CacheSlot {
    value: Option<DataStructure>,
    /// Structures in `value` (its weight when a hit copies it out).
    weight: usize,
    /// Levels of nesting `value` spans.
    height: u32,
}

/// The tight encoding's boolean stream, read side.
pub(crate) struct BitReader {
    bytes: Bytes,
    pos: usize,
    bit: u8,
}

impl BitReader {
    pub(crate) fn read(data: &mut Bytes) -> Result<BitReader> {
        let first = take_u8(data)?;
        let len = match first {
            0xC0 => take_u8(data)? as usize,
            0x80 => {
                let n = take_i16(data)?;
                if n < 0 {
                    return Err(OpenWireError::NegativeLength(n as i64));
                }
                n as usize
            }
            n => n as usize,
        };
        need(data, len)?;
        Ok(BitReader {
            bytes: data.split_to(len),
            pos: 0,
            bit: 0,
        })
    }

    fn next(&mut self) -> Result<bool> {
        let byte = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| OpenWireError::Malformed("boolean stream exhausted".into()))?;
        let v = (byte >> self.bit) & 1 != 0;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.pos += 1;
        }
        Ok(v)
    }
}

/// Keeps a string's raw bytes (so re-encoding is exact) once they are known
/// to be modified UTF-8.
fn checked(raw: Bytes) -> Result<Option<OwString>> {
    crate::mutf8::decode(&raw)?;
    Ok(Some(OwString(raw)))
}

pub(crate) fn need(data: &Bytes, n: usize) -> Result<()> {
    if data.len() < n {
        return Err(OpenWireError::Truncated {
            needed: n - data.len(),
        });
    }
    Ok(())
}

pub(crate) fn take_u8(data: &mut Bytes) -> Result<u8> {
    need(data, 1)?;
    Ok(data.get_u8())
}

pub(crate) fn take_i16(data: &mut Bytes) -> Result<i16> {
    need(data, 2)?;
    Ok(data.get_i16())
}

const MAX_DEPTH: u32 = 64;

/// The most [`Codec::read_frame`] reserves ahead of a frame's data beyond
/// what has arrived.
pub(crate) const RESERVE_STEP: usize = 64 * 1024;

/// Structures a frame may decode to per byte read (plus a constant). Every
/// structure read costs at least its type byte, and a hit (two bytes) on
/// anything ActiveMQ caches (ids, destinations, transaction ids) refers to
/// at most two, so real frames stay well under.
const WEIGHT_PER_BYTE: usize = 2;
const WEIGHT_SLACK: usize = 64;

impl<'a> Reader<'a> {
    pub(crate) fn new(
        data: Bytes,
        format: &'a WireFormat,
        cache: &'a mut Vec<CacheSlot>,
        pool: &'a mut Pool,
    ) -> Self {
        let start = data.len();
        Reader {
            pool,
            data,
            bits: None,
            format,
            cache,
            depth: 0,
            deepest: 0,
            weight: 0,
            start,
            undo: Vec::new(),
        }
    }

    /// Puts back the cache slots this frame overwrote.
    pub(crate) fn rollback(&mut self) {
        while let Some((index, old)) = self.undo.pop() {
            self.cache[index] = old;
        }
    }

    /// Counts `n` more structures against the bytes read so far.
    fn produce(&mut self, n: usize) -> Result<()> {
        self.weight = self.weight.saturating_add(n);
        let read = self.start - self.data.len();
        let budget = read
            .saturating_mul(WEIGHT_PER_BYTE)
            .saturating_add(WEIGHT_SLACK);
        if self.weight > budget {
            return Err(OpenWireError::Malformed(format!(
                "{read} bytes decode to {} structures (through marshalling cache hits)",
                self.weight
            )));
        }
        Ok(())
    }

    pub fn version(&self) -> u8 {
        self.format.version
    }

    /// A boolean: a bit of the stream (tight) or a byte (loose).
    pub fn boolean(&mut self) -> Result<bool> {
        match &mut self.bits {
            Some(bits) => bits.next(),
            None => Ok(take_u8(&mut self.data)? != 0),
        }
    }

    pub fn byte(&mut self) -> Result<i8> {
        Ok(take_u8(&mut self.data)? as i8)
    }

    pub fn short(&mut self) -> Result<i16> {
        take_i16(&mut self.data)
    }

    pub fn char(&mut self) -> Result<u16> {
        need(&self.data, 2)?;
        Ok(self.data.get_u16())
    }

    pub fn int(&mut self) -> Result<i32> {
        need(&self.data, 4)?;
        Ok(self.data.get_i32())
    }

    fn raw_long(&mut self) -> Result<i64> {
        need(&self.data, 8)?;
        Ok(self.data.get_i64())
    }

    /// A long: tight encoding sends only as many bytes as the value needs
    /// (0, 2, 4 or 8, said by two bits), loose always 8.
    pub fn long(&mut self) -> Result<i64> {
        if self.bits.is_none() {
            return self.raw_long();
        }
        if self.boolean()? {
            if self.boolean()? {
                self.raw_long()
            } else {
                Ok(self.int()? as u32 as i64)
            }
        } else if self.boolean()? {
            Ok(self.short()? as u16 as i64)
        } else {
            Ok(0)
        }
    }

    fn bytes_exact(&mut self, n: usize) -> Result<Bytes> {
        need(&self.data, n)?;
        Ok(self.data.split_to(n))
    }

    /// A string (null allowed).
    pub fn string(&mut self) -> Result<Option<OwString>> {
        if !self.boolean()? {
            return Ok(None);
        }
        if self.bits.is_some() {
            // The "ascii" bit only says which Java method wrote it; both
            // are a 2-byte length and the bytes.
            let ascii = self.boolean()?;
            let len = if ascii {
                let n = self.short()?;
                if n < 0 {
                    return Err(OpenWireError::NegativeLength(n as i64));
                }
                n as usize
            } else {
                self.char()? as usize
            };
            return checked(self.bytes_exact(len)?);
        }
        let len = self.char()? as usize;
        checked(self.bytes_exact(len)?)
    }

    fn length(&mut self) -> Result<usize> {
        let n = self.int()?;
        if n < 0 {
            return Err(OpenWireError::NegativeLength(n as i64));
        }
        let n = n as usize;
        // Never trust a length beyond what the frame holds.
        need(&self.data, n)?;
        Ok(n)
    }

    /// A byte array (null allowed).
    pub fn bytes(&mut self) -> Result<Option<Bytes>> {
        if !self.boolean()? {
            return Ok(None);
        }
        let n = self.length()?;
        Ok(Some(self.bytes_exact(n)?))
    }

    /// A fixed-size byte array (the WireFormatInfo magic).
    pub fn const_bytes(&mut self, n: usize) -> Result<Bytes> {
        self.bytes_exact(n)
    }

    /// A byte sequence (message content, marshalled properties).
    pub fn byte_seq(&mut self) -> Result<Option<Bytes>> {
        self.bytes()
    }

    /// An exception as ActiveMQ writes it: class, message, and with
    /// stack traces enabled the frames and the cause.
    pub fn throwable(&mut self) -> Result<Option<Box<Throwable>>> {
        if !self.boolean()? {
            return Ok(None);
        }
        self.enter()?;
        let class = self.string()?;
        let message = self.string()?;
        let mut t = Throwable {
            class,
            message,
            stack: None,
            cause: None,
        };
        if self.format.stack_trace {
            let n = self.short()?;
            if n < 0 {
                return Err(OpenWireError::NegativeLength(n as i64));
            }
            let mut frames = Vec::with_capacity((n as usize).min(self.data.len() / 4));
            for _ in 0..n {
                frames.push(StackFrame {
                    class: self.string()?,
                    method: self.string()?,
                    file: self.string()?,
                    line: self.int()?,
                });
            }
            t.stack = Some(frames);
            t.cause = self.throwable()?;
        }
        self.depth -= 1;
        Ok(Some(Box::new(t)))
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(OpenWireError::Malformed(
                "structures nested too deeply".into(),
            ));
        }
        self.deepest = self.deepest.max(self.depth);
        self.produce(1)
    }

    /// A nested structure (null allowed).
    pub fn nested(&mut self) -> Result<Option<DataStructure>> {
        if !self.boolean()? {
            return Ok(None);
        }
        self.enter()?;
        let kind = take_u8(&mut self.data)?;
        let value =
            if self.bits.is_some() && DataStructure::is_marshal_aware(kind) && self.boolean()? {
                // A pre-marshalled form: its own size, type and bit stream.
                self.int()?;
                take_u8(&mut self.data)?;
                let inner = BitReader::read(&mut self.data)?;
                let outer = self.bits.replace(inner);
                let v = DataStructure::read_body(kind, self);
                self.bits = outer;
                v?
            } else {
                DataStructure::read_body(kind, self)?
            };
        self.depth -= 1;
        Ok(Some(value))
    }

    /// A structure that may come from (or go into) the marshalling cache.
    pub fn cached(&mut self) -> Result<Option<DataStructure>> {
        if !self.format.cache {
            return self.nested();
        }
        let fresh = self.boolean()?;
        let index = self.short()?;
        // -1: a fresh value the writer could not cache (its cache was
        // full); ActiveMQ's reader reads it and stores nothing.
        let uncached = fresh && index == -1;
        if !uncached && (index < 0 || index as usize >= self.format.cache_size) {
            return Err(OpenWireError::CacheIndex(index as i32));
        }
        if fresh {
            let (weight, deepest) = (self.weight, self.deepest);
            self.deepest = self.depth;
            let value = self.nested()?;
            let slot = CacheSlot {
                value,
                weight: self.weight - weight,
                height: self.deepest - self.depth,
            };
            self.deepest = self.deepest.max(deepest);
            if uncached {
                return Ok(slot.value);
            }
            let index = index as usize;
            if self.cache.len() <= index {
                self.cache.resize(index + 1, CacheSlot::default());
            }
            let value = slot.value.clone();
            let old = std::mem::replace(&mut self.cache[index], slot);
            self.undo.push((index, old));
            Ok(value)
        } else {
            let Some(slot) = self.cache.get(index as usize) else {
                return Ok(None);
            };
            // A hit counts as every structure it refers to, at the depth
            // it lands.
            let (weight, height) = (slot.weight, slot.height);
            if self.depth + height > MAX_DEPTH {
                return Err(OpenWireError::Malformed(
                    "structures nested too deeply (through the marshalling cache)".into(),
                ));
            }
            self.produce(weight)?;
            self.deepest = self.deepest.max(self.depth + height);
            Ok(self.cache[index as usize].value.clone())
        }
    }

    /// An array of nested structures (null allowed).
    pub fn array(&mut self) -> Result<Option<Vec<DataStructure>>> {
        if !self.boolean()? {
            return Ok(None);
        }
        let n = self.short()?;
        if n < 0 {
            return Err(OpenWireError::NegativeLength(n as i64));
        }
        let mut out = Vec::with_capacity((n as usize).min(self.data.len()));
        for _ in 0..n {
            match self.nested()? {
                Some(v) => out.push(v),
                None => return Err(OpenWireError::Malformed("null element in an array".into())),
            }
        }
        Ok(Some(out))
    }
}

/// The tight encoding's boolean stream, write side.
#[derive(Default)]
pub(crate) struct BitWriter {
    pub(crate) bytes: Vec<u8>,
    pub(crate) bit: u8,
}

impl BitWriter {
    fn push(&mut self, v: bool) {
        if self.bit == 0 {
            self.bytes.push(0);
        }
        if v {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 1 << self.bit;
            }
        }
        self.bit = (self.bit + 1) % 8;
    }

    pub(crate) fn marshal(&self, out: &mut BytesMut) {
        let n = self.bytes.len();
        if n < 64 {
            out.put_u8(n as u8);
        } else if n < 256 {
            out.put_u8(0xC0);
            out.put_u8(n as u8);
        } else {
            out.put_u8(0x80);
            out.put_u16(n as u16);
        }
        out.put_slice(&self.bytes);
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.bit = 0;
    }
}

/// The writer's half of the marshalling cache: the same decisions as
/// ActiveMQ's, so the peer's reader finds what it expects (and a decoded
/// frame re-encodes to identical bytes).
#[derive(Default)]
pub struct MarshalCache {
    map: HashMap<Option<DataStructure>, i16>,
    slots: Vec<Option<Option<DataStructure>>>,
    next: usize,
    next_evict: usize,
}

impl MarshalCache {
    fn index(&self, v: &Option<DataStructure>) -> Option<i16> {
        self.map.get(v).copied()
    }

    fn add(&mut self, v: &Option<DataStructure>, capacity: usize) -> i16 {
        let i = self.next;
        self.next += 1;
        if self.next >= capacity {
            self.next = 0;
        }
        if self.map.len() < capacity {
            if self.slots.len() <= i {
                self.slots.resize(i + 1, None);
            }
            // The slot may still hold a live entry (after a frame that
            // overflowed the cache, `next` runs ahead of the evictions):
            // forget it, or a later hit on it would name this slot, which
            // the peer now holds `v` in. (ActiveMQ's writer has this bug.)
            if let Some(old) = self.slots[i].replace(v.clone()) {
                self.map.remove(&old);
            }
            self.map.insert(v.clone(), i as i16);
            i as i16
        } else {
            -1
        }
    }

    pub(crate) fn sweep(&mut self, capacity: usize) {
        while self.map.len() > capacity.saturating_sub(CACHE_FREE_SPACE) {
            if let Some(Some(v)) = self.slots.get_mut(self.next_evict).map(Option::take) {
                self.map.remove(&v);
            }
            self.next_evict += 1;
            if self.next_evict >= capacity {
                self.next_evict = 0;
            }
        }
    }
}

/// Writes fields of one frame.
pub struct Writer<'a> {
    pub(crate) data: &'a mut BytesMut,
    pub(crate) bits: Option<&'a mut BitWriter>,
    pub(crate) format: &'a WireFormat,
    pub(crate) cache: &'a mut MarshalCache,
}

impl Writer<'_> {
    pub fn version(&self) -> u8 {
        self.format.version
    }

    pub fn boolean(&mut self, v: bool) {
        match &mut self.bits {
            Some(bits) => bits.push(v),
            None => self.data.put_u8(v as u8),
        }
    }

    pub fn byte(&mut self, v: i8) {
        self.data.put_i8(v);
    }

    pub fn short(&mut self, v: i16) {
        self.data.put_i16(v);
    }

    pub fn char(&mut self, v: u16) {
        self.data.put_u16(v);
    }

    pub fn int(&mut self, v: i32) {
        self.data.put_i32(v);
    }

    pub fn long(&mut self, v: i64) {
        if self.bits.is_none() {
            self.data.put_i64(v);
            return;
        }
        if v == 0 {
            self.boolean(false);
            self.boolean(false);
        } else if (v as u64) & 0xFFFF_FFFF_FFFF_0000 == 0 {
            self.boolean(false);
            self.boolean(true);
            self.data.put_u16(v as u16);
        } else if (v as u64) & 0xFFFF_FFFF_0000_0000 == 0 {
            self.boolean(true);
            self.boolean(false);
            self.data.put_u32(v as u32);
        } else {
            self.boolean(true);
            self.boolean(true);
            self.data.put_i64(v);
        }
    }

    /// # Errors
    /// A string longer than a 2-byte length can say.
    pub fn string(&mut self, v: &Option<OwString>) -> Result<()> {
        self.boolean(v.is_some());
        let Some(s) = v else {
            return Ok(());
        };
        if s.len() > u16::MAX as usize || (self.bits.is_some() && s.len() >= i16::MAX as usize) {
            return Err(OpenWireError::Unencodable(format!(
                "a string of {} bytes",
                s.len()
            )));
        }
        if self.bits.is_some() {
            self.boolean(s.is_ascii_7bit());
        }
        self.data.put_u16(s.len() as u16);
        self.data.put_slice(s.as_bytes());
        Ok(())
    }

    pub fn bytes(&mut self, v: &Option<Bytes>) -> Result<()> {
        self.boolean(v.is_some());
        if let Some(b) = v {
            let n = i32::try_from(b.len())
                .map_err(|_| OpenWireError::Unencodable("byte array over 2 GiB".into()))?;
            self.data.put_i32(n);
            self.data.put_slice(b);
        }
        Ok(())
    }

    pub fn const_bytes(&mut self, v: &Bytes, n: usize) -> Result<()> {
        if v.len() != n {
            return Err(OpenWireError::Unencodable(format!(
                "a fixed array of {n} bytes given {}",
                v.len()
            )));
        }
        self.data.put_slice(v);
        Ok(())
    }

    pub fn byte_seq(&mut self, v: &Option<Bytes>) -> Result<()> {
        self.bytes(v)
    }

    pub fn throwable(&mut self, v: &Option<Box<Throwable>>) -> Result<()> {
        self.boolean(v.is_some());
        let Some(t) = v else {
            return Ok(());
        };
        self.string(&t.class)?;
        self.string(&t.message)?;
        if self.format.stack_trace {
            let frames = t.stack.as_deref().unwrap_or(&[]);
            self.short(frames.len() as i16);
            for f in frames {
                self.string(&f.class)?;
                self.string(&f.method)?;
                self.string(&f.file)?;
                self.int(f.line);
            }
            self.throwable(&t.cause)?;
        }
        Ok(())
    }

    pub fn nested(&mut self, v: &Option<DataStructure>) -> Result<()> {
        self.boolean(v.is_some());
        let Some(v) = v else {
            return Ok(());
        };
        self.data.put_u8(v.data_type());
        if self.bits.is_some() && DataStructure::is_marshal_aware(v.data_type()) {
            // No pre-marshalled form: say so, as ActiveMQ does.
            self.boolean(false);
        }
        v.write_body(self)
    }

    pub fn cached(&mut self, v: &Option<DataStructure>) -> Result<()> {
        if !self.format.cache {
            return self.nested(v);
        }
        match self.cache.index(v) {
            Some(i) => {
                self.boolean(false);
                self.short(i);
                Ok(())
            }
            None if self.bits.is_some() => {
                // Tight: ActiveMQ sizes (and so caches) the nested fields
                // before the structure itself, so the index is known only
                // after writing them.
                self.boolean(true);
                let at = self.data.len();
                self.short(0);
                self.nested(v)?;
                let i = self.cache.add(v, self.format.cache_size);
                self.data[at..at + 2].copy_from_slice(&i.to_be_bytes());
                Ok(())
            }
            None => {
                self.boolean(true);
                let i = self.cache.add(v, self.format.cache_size);
                self.short(i);
                self.nested(v)
            }
        }
    }

    pub fn array(&mut self, v: &Option<Vec<DataStructure>>) -> Result<()> {
        self.boolean(v.is_some());
        if let Some(items) = v {
            let n = i16::try_from(items.len())
                .map_err(|_| OpenWireError::Unencodable("array over 32767 elements".into()))?;
            self.short(n);
            for item in items {
                self.nested(&Some(item.clone()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;

impl Reader<'_> {
    /// Decodes the pooled kinds (messages, message ids) into recycled
    /// storage; `None` for every other kind.
    pub(crate) fn read_pooled(&mut self, kind: u8) -> Result<Option<DataStructure>> {
        use crate::schema::{DataType, Message, MessageId};
        match DataType::from_code(kind) {
            Some(t) if t.is_message() => {
                let spare = self.pool.take_message();
                let m = reuse(spare, Message::read_fields(self)?);
                Ok(Some(DataStructure::message(kind, m)))
            }
            Some(DataType::MessageId) => {
                let spare = self.pool.take_id();
                Ok(Some(DataStructure::MessageId(reuse(
                    spare,
                    MessageId::read_fields(self)?,
                ))))
            }
            _ => Ok(None),
        }
    }
}
