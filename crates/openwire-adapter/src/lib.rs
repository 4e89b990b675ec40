//! The mapping between OpenWire structures and the broker core's model.

mod convert;

pub use convert::*;
