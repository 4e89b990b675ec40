//! Recycled message structures: a reader that is done with each message
//! (a forwarder, a load generator) hands it back to its codec and the next
//! frame is decoded into it, without allocating.

/// Structures handed back with [`crate::Codec::recycle`], decoded into again
/// instead of allocating: a reader that is done with each message (a
/// forwarder, a load generator) then decodes without per-frame allocation
/// beyond the body, which is a slice of the input.
#[derive(Default)]
pub(crate) struct Pool {
    messages: Vec<std::sync::Arc<crate::schema::Message>>,
    ids: Vec<std::sync::Arc<crate::schema::MessageId>>,
}

/// How many recycled structures of each kind are kept.
const POOL_SIZE: usize = 16;

/// `value` in `spare`'s allocation when nobody else holds it.
pub(crate) fn reuse<T>(spare: Option<std::sync::Arc<T>>, value: T) -> std::sync::Arc<T> {
    match spare {
        Some(mut arc) => match std::sync::Arc::get_mut(&mut arc) {
            Some(slot) => {
                *slot = value;
                arc
            }
            None => std::sync::Arc::new(value),
        },
        None => std::sync::Arc::new(value),
    }
}

impl Pool {
    pub(crate) fn take_message(&mut self) -> Option<std::sync::Arc<crate::schema::Message>> {
        self.messages.pop()
    }

    pub(crate) fn take_id(&mut self) -> Option<std::sync::Arc<crate::schema::MessageId>> {
        self.ids.pop()
    }

    /// Keeps a message the reader is done with, if there is room.
    pub(crate) fn keep_message(&mut self, m: std::sync::Arc<crate::schema::Message>) {
        if self.messages.len() < POOL_SIZE {
            self.messages.push(m);
        }
    }

    /// Keeps a message id nobody else holds, if there is room.
    pub(crate) fn keep_id(&mut self, id: std::sync::Arc<crate::schema::MessageId>) {
        if self.ids.len() < POOL_SIZE {
            self.ids.push(id);
        }
    }
}
