//! Why a client's message cannot be taken into the core.

use openwire::OpenWireError;

/// A message the core cannot hold as sent.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Every message must say where it goes.
    #[error("message without a destination")]
    NoDestination,
    /// A body or property map that does not decode (or inflate).
    #[error(transparent)]
    Codec(#[from] OpenWireError),
}

/// The session reports failures as text in an ExceptionResponse.
impl From<ConvertError> for String {
    fn from(e: ConvertError) -> String {
        e.to_string()
    }
}
