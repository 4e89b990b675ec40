//! Decoding failures.
//!
//! Every error except [`StompError::Io`] means the peer broke the protocol;
//! the stream cannot be resynchronised afterwards, so the caller should send
//! an ERROR frame (the `Display` text is suitable as its `message`) and close.

/// Why a byte stream could not be decoded as STOMP.
#[derive(thiserror::Error, Debug)]
pub enum StompError {
    /// The command line is not a known STOMP command.
    ///
    /// Reported once the frame's header block is complete (any other error
    /// in the header block, such as a breached limit, is reported instead),
    /// so that the ERROR frame can echo the client's `receipt` as
    /// `receipt-id`, as ActiveMQ does; see [`StompError::receipt`].
    #[error("Unknown STOMP action: {command}")]
    UnknownCommand {
        /// The command line as received (one trailing CR removed).
        command: String,
        /// The value of the frame's first `receipt` header, if any,
        /// unescaped per the connection's version.
        receipt: Option<String>,
    },

    /// The frame violates the grammar (bad `content-length`, missing NUL
    /// after a sized body).
    #[error("{0}")]
    Malformed(String),

    /// The body is longer than [`Limits::max_frame_size`](crate::Limits).
    #[error("The maximum frame size was exceeded (limit {limit} bytes)")]
    FrameTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },

    /// More header lines than [`Limits::max_headers`](crate::Limits).
    #[error("The maximum number of headers was exceeded (limit {limit})")]
    TooManyHeaders {
        /// The limit that was exceeded.
        limit: usize,
    },

    /// A header line longer than [`Limits::max_header_length`](crate::Limits).
    #[error("The maximum header length was exceeded (limit {limit} bytes)")]
    HeaderTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },

    /// The command line is longer than
    /// [`Limits::max_command_length`](crate::Limits).
    #[error("The maximum command length was exceeded (limit {limit} bytes)")]
    CommandTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },

    /// The command or a header name/value is not UTF-8.
    #[error("Header or command is not valid UTF-8")]
    InvalidUtf8,

    /// The transport failed (only produced through the tokio codec).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl StompError {
    /// The `receipt` header of the frame that caused the error, to be sent
    /// back as the ERROR frame's `receipt-id`.
    ///
    /// Only [`StompError::UnknownCommand`] carries one (when the frame had a
    /// `receipt` header); every other error returns `None`.
    pub fn receipt(&self) -> Option<&str> {
        match self {
            StompError::UnknownCommand { receipt, .. } => receipt.as_deref(),
            _ => None,
        }
    }
}
