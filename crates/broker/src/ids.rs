//! Hash maps keyed by the core's own numeric ids (connections, consumers,
//! buffers). They are looked up several times per message; the ids are
//! sequential numbers the broker hands out, not client input, so SipHash's
//! protection against chosen keys buys nothing there and a multiply does.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Fibonacci hashing of a single `u64`: spreads sequential ids over the
/// high bits the table uses.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by the id newtypes (they hash one u64), kept correct anyway.
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by a core id.
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
