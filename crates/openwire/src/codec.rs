//! The frame codec: one direction of a connection, its negotiated format,
//! its marshalling caches, and frames split off (or appended to) a byte
//! stream. The field-level primitives it drives are in [`crate::wire`].

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{OpenWireError, Result};
use crate::pool::Pool;
use crate::schema::DataStructure;
use crate::wire::*;

/// One direction's codec state: the negotiated format and the marshalling
/// cache. A connection has two: one to read with, one to write with.
pub struct Codec {
    pub format: WireFormat,
    pub(crate) read_cache: Vec<CacheSlot>,
    write_cache: MarshalCache,
    bits: BitWriter,
    scratch: BytesMut,
    pool: Pool,
}

impl Codec {
    pub fn new(format: WireFormat) -> Codec {
        Codec {
            format,
            read_cache: Vec::new(),
            write_cache: MarshalCache::default(),
            bits: BitWriter::default(),
            scratch: BytesMut::new(),
            pool: Pool::default(),
        }
    }

    /// Hands a decoded frame back once it is no longer needed, so the next
    /// frames decode into its storage. Shared structures are left alone.
    pub fn recycle(&mut self, frame: DataStructure) {
        match frame {
            DataStructure::MessageDispatch(d) => {
                if let Ok(d) = std::sync::Arc::try_unwrap(d) {
                    if let Some(m) = d.message {
                        self.recycle(m);
                    }
                }
            }
            DataStructure::ActiveMqMessage(mut m)
            | DataStructure::BytesMessage(mut m)
            | DataStructure::MapMessage(mut m)
            | DataStructure::ObjectMessage(mut m)
            | DataStructure::StreamMessage(mut m)
            | DataStructure::TextMessage(mut m) => {
                if let Some(inner) = std::sync::Arc::get_mut(&mut m) {
                    if let Some(id) = inner.message_id.take() {
                        self.recycle(id);
                    }
                    self.pool.keep_message(m);
                }
            }
            // Unique (no other strong or weak reference): safe to reuse.
            DataStructure::MessageId(id)
                if std::sync::Arc::strong_count(&id) == 1
                    && std::sync::Arc::weak_count(&id) == 0 =>
            {
                self.pool.keep_id(id);
            }
            _ => {}
        }
    }

    /// Switches to a newly negotiated format; the caches start empty, as
    /// ActiveMQ's do after negotiation.
    pub fn set_format(&mut self, format: WireFormat) {
        self.format = format;
        self.read_cache.clear();
        self.write_cache = MarshalCache::default();
    }

    /// Splits the next frame off `buf` and decodes it. `Ok(None)` until a
    /// whole frame is there; a NULL frame (type 0) decodes as `Some(None)`.
    ///
    /// # Errors
    /// A frame over `max_frame_size` (detected from its size prefix, before
    /// it arrives), a negative size, or a malformed body.
    pub fn read_frame(&mut self, buf: &mut BytesMut) -> Result<Option<Option<DataStructure>>> {
        if !self.format.size_prefix {
            // Without a size prefix the only way to find the end is to
            // decode: try, and wait for more on truncation.
            let data = Bytes::copy_from_slice(buf);
            let before = data.len();
            let mut r = Reader::new(data, &self.format, &mut self.read_cache, &mut self.pool);
            let max = self.format.max_frame_size;
            return match read_command(&mut r) {
                Ok(v) => {
                    let used = before - r.data.len();
                    if used as u64 > max {
                        return Err(OpenWireError::FrameTooLarge {
                            size: used as u64,
                            max,
                        });
                    }
                    buf.advance(used);
                    Ok(Some(v))
                }
                Err(OpenWireError::Truncated { needed }) => {
                    // The frame is at least this long: refuse it now rather
                    // than buffer it past the limit.
                    let size = (before as u64).saturating_add(needed as u64);
                    if size > max {
                        return Err(OpenWireError::FrameTooLarge { size, max });
                    }
                    // The next attempt starts over: it must see the cache
                    // as it was before this one.
                    r.rollback();
                    Ok(None)
                }
                Err(e) => Err(e),
            };
        }
        if buf.len() < 4 {
            return Ok(None);
        }
        let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        if size < 0 {
            return Err(OpenWireError::NegativeLength(size as i64));
        }
        if size as u64 > self.format.max_frame_size {
            return Err(OpenWireError::FrameTooLarge {
                size: size as u64,
                max: self.format.max_frame_size,
            });
        }
        let size = size as usize;
        if buf.len() < 4 + size {
            // Make room for the rest, but never by more than has arrived
            // (or 64 KiB): the size is the peer's word, not yet its data.
            let missing = 4 + size - buf.len();
            buf.reserve(missing.min(buf.len().max(RESERVE_STEP)));
            return Ok(None);
        }
        buf.advance(4);
        let frame = buf.split_to(size).freeze();
        let mut r = Reader::new(frame, &self.format, &mut self.read_cache, &mut self.pool);
        let v = read_command(&mut r)?;
        if !r.data.is_empty() {
            return Err(OpenWireError::Malformed(format!(
                "{} bytes left over after the command",
                r.data.len()
            )));
        }
        Ok(Some(v))
    }

    /// Appends one frame holding `command` (or a NULL frame for `None`).
    ///
    /// # Errors
    /// A value the format cannot carry, or a frame over `max_frame_size`.
    pub fn write_frame(
        &mut self,
        command: Option<&DataStructure>,
        out: &mut BytesMut,
    ) -> Result<()> {
        if self.format.cache {
            self.write_cache.sweep(self.format.cache_size);
        }
        let Some(command) = command else {
            if self.format.size_prefix {
                out.put_i32(1);
            }
            out.put_u8(0);
            return Ok(());
        };
        self.scratch.clear();
        self.bits.clear();
        let tight = self.format.tight;
        {
            let mut w = Writer {
                data: &mut self.scratch,
                bits: if tight { Some(&mut self.bits) } else { None },
                format: &self.format,
                cache: &mut self.write_cache,
            };
            command.write_body(&mut w)?;
        }
        let bits_len = if tight {
            let n = self.bits.bytes.len();
            n + if n < 64 {
                1
            } else if n < 256 {
                2
            } else {
                3
            }
        } else {
            0
        };
        let size = 1 + bits_len + self.scratch.len();
        if size as u64 > self.format.max_frame_size {
            return Err(OpenWireError::FrameTooLarge {
                size: size as u64,
                max: self.format.max_frame_size,
            });
        }
        out.reserve(4 + size);
        if self.format.size_prefix {
            out.put_i32(size as i32);
        }
        out.put_u8(command.data_type());
        if tight {
            self.bits.marshal(out);
        }
        out.put_slice(&self.scratch);
        Ok(())
    }
}

/// A top-level command: type byte, then (tight) the bit stream, then fields.
fn read_command(r: &mut Reader<'_>) -> Result<Option<DataStructure>> {
    let kind = take_u8(&mut r.data)?;
    if kind == 0 {
        return Ok(None);
    }
    if r.format.tight {
        r.bits = Some(BitReader::read(&mut r.data)?);
    }
    DataStructure::read_body(kind, r).map(Some)
}
