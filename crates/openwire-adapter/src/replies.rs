//! Answers a broker (or a bridge serving a peer) sends to commands.

use std::sync::Arc;

use openwire::{DataStructure, OwString, Throwable};

/// An ExceptionResponse to the command `command_id`: the Java exception
/// class the client rethrows, and its message.
pub fn exception_response(command_id: i32, class: &str, message: &str) -> DataStructure {
    DataStructure::ExceptionResponse(Arc::new(openwire::ExceptionResponse {
        correlation_id: command_id,
        exception: Some(Box::new(Throwable {
            class: Some(OwString::from(class)),
            message: Some(OwString::from(message)),
            stack: Some(Vec::new()),
            cause: None,
        })),
        ..Default::default()
    }))
}
