//! Message groups (JMSXGroupID) on queues: a group's messages all go to
//! the consumer that took its first one, until that consumer leaves or a
//! message with JMSXGroupSeq -1 closes the group. The ledger keeps the
//! owner of each group and checks every delivery against it.

use broker::{ConsumerId, Message, Value};

use crate::ledger::Target;
use crate::world::{Check, World};

/// A message's group and whether it closes the group.
pub fn group_of(m: &Message) -> Option<(u8, bool)> {
    let Some(Value::String(g)) = m.property("JMSXGroupID") else {
        return None;
    };
    let n = g.strip_prefix('g')?.parse().ok()?;
    let closes = matches!(m.property("JMSXGroupSeq"), Some(Value::Int(-1)));
    Some((n, closes))
}

impl World {
    /// Checks that a delivery of `copy` to `cid` respects its group's
    /// owner, and records the new owner. An exclusive consumer takes
    /// everything regardless of groups, so then nothing is checked.
    pub fn group_delivery(&mut self, cid: ConsumerId, copy: usize, exclusive: bool) -> Check {
        let Target::Queue(q) = self.ledger.copies[copy].target else {
            return Ok(());
        };
        let sent = self.ledger.msg_of(copy);
        let Some((g, closes)) = sent.group else {
            return Ok(());
        };
        if exclusive {
            return Ok(());
        }
        if let Some(owner) = self.group_owner.get(&(q, g)).filter(|o| **o != cid) {
            return Err(format!(
                "{} of group g{g} went to {cid}, not its owner {owner}",
                sent.id
            ));
        }
        if closes {
            self.group_owner.remove(&(q, g));
        } else {
            self.group_owner.insert((q, g), cid);
        }
        Ok(())
    }

    /// A consumer left: its groups go to whoever gets their next message.
    pub fn forget_groups_of(&mut self, cid: ConsumerId) {
        self.group_owner.retain(|_, owner| *owner != cid);
    }

    /// Whether a waiting copy is pinned to a consumer other than `cid`.
    pub fn pinned_elsewhere(&self, copy: usize, cid: ConsumerId) -> bool {
        let Target::Queue(q) = self.ledger.copies[copy].target else {
            return false;
        };
        let group = self.ledger.msg_of(copy).group;
        group.is_some_and(|(g, _)| self.group_owner.get(&(q, g)).is_some_and(|o| *o != cid))
    }
}
