//! What can go wrong decoding OpenWire. Every failure on untrusted input is
//! one of these; nothing panics and nothing allocates by an untrusted length.

/// A codec error.
#[derive(Debug, thiserror::Error)]
pub enum OpenWireError {
    /// The input ended inside a frame or structure.
    #[error("truncated OpenWire data: needed {needed} more bytes")]
    Truncated { needed: usize },
    /// A data-structure type byte this codec does not know (for the
    /// negotiated version).
    #[error("Unknown data type: {0}")]
    UnknownType(u8),
    /// A structure of the wrong type where another was expected.
    #[error("unexpected data type {found} where {expected} was expected")]
    UnexpectedType { expected: &'static str, found: u8 },
    /// A negative length or count.
    #[error("negative length {0}")]
    NegativeLength(i64),
    /// A frame or field larger than the limit.
    #[error("Frame size of {size} larger than max allowed {max}")]
    FrameTooLarge { size: u64, max: u64 },
    /// The WireFormatInfo magic is not `ActiveMQ`.
    #[error("bad OpenWire magic: {0:?}")]
    BadMagic(Vec<u8>),
    /// A marshalling-cache index outside the cache.
    #[error("marshalling cache index {0} out of range")]
    CacheIndex(i32),
    /// A string that is not modified UTF-8.
    #[error("invalid modified UTF-8 in a string")]
    InvalidUtf8,
    /// Anything else malformed, with a description.
    #[error("malformed OpenWire data: {0}")]
    Malformed(String),
    /// A frame this codec cannot encode (a string over 65535 bytes, ...).
    #[error("cannot encode: {0}")]
    Unencodable(String),
    /// I/O error surfaced through the tokio codec.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias for the codec.
pub type Result<T, E = OpenWireError> = std::result::Result<T, E>;
