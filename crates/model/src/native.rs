//! A protocol's own form of something the core handles (a message, a
//! consumer's description), carried through untouched so the same
//! protocol can hand it on exactly as it came.

use std::fmt;
use std::sync::Arc;

/// A protocol's own representation of a message, opaque to the core.
#[derive(Clone)]
pub struct Native(pub Arc<dyn std::any::Any + Send + Sync>);

impl Native {
    /// The native form as `T`, if that is what it is.
    pub fn downcast<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl fmt::Debug for Native {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Native(..)")
    }
}

/// Two native forms are equal only if they are the same object.
impl PartialEq for Native {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
