//! What is live in the journal, and where.
//!
//! The index maps every stored message (key, seq) and every durable
//! subscription to the location of its record, and keeps per segment how
//! much of it is still live. That is what lets segments go:
//!
//! - A segment whose records are all dead can be deleted, but only once no
//!   older segment still holds an `Add` that one of its `Remove`s cancels —
//!   otherwise replay would bring that message back. Those older segments
//!   are the segment's `deps`.
//! - A segment kept alive by a few old records is compacted: the records are
//!   written again at the head of the journal, and the segment becomes dead.
//!   This is what KahaDB lacks, and why one old message there keeps a whole
//!   data file (and every one after it) on disk.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use model::store::{DurableDef, StoreKey};

/// Where a record's operation bytes lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    pub segment: u32,
    /// Offset of the operation (after its length prefix) in the segment.
    pub offset: u64,
    pub len: u32,
}

#[derive(Debug, Default, Clone)]
pub struct SegmentInfo {
    /// Bytes in the file (as written or queued).
    pub size: u64,
    /// Live records and their bytes.
    pub live: u64,
    pub live_bytes: u64,
    /// Older segments holding records this one's removals cancel.
    pub deps: BTreeSet<u32>,
    /// The newest group that released one of this segment's records: the
    /// segment may go only once that group is durable, or a crash could
    /// revive the record's `Add` without its `Remove`... or lose a moved
    /// record's only copy.
    pub released_by: u64,
    /// The last group written into this segment.
    pub last_group: u64,
}

#[derive(Default)]
pub struct Index {
    pub messages: HashMap<StoreKey, BTreeMap<u64, (Loc, u32)>>,
    pub durables: HashMap<(Arc<str>, Arc<str>), (DurableDef, Loc)>,
    /// Prepared transactions awaiting their outcome, by id.
    pub prepared: HashMap<Arc<str>, Loc>,
    /// Scheduled jobs not done yet, by id.
    pub jobs: HashMap<Arc<str>, Loc>,
    pub segments: BTreeMap<u32, SegmentInfo>,
}

impl Index {
    fn take(&mut self, loc: Loc) {
        if let Some(s) = self.segments.get_mut(&loc.segment) {
            s.live += 1;
            s.live_bytes += u64::from(loc.len);
        }
    }

    /// A record at `loc` died through an operation written in `at` as part
    /// of `group`.
    fn release(&mut self, loc: Loc, at: u32, group: u64) {
        if let Some(s) = self.segments.get_mut(&loc.segment) {
            s.live = s.live.saturating_sub(1);
            s.live_bytes = s.live_bytes.saturating_sub(u64::from(loc.len));
            s.released_by = s.released_by.max(group);
        }
        if loc.segment != at {
            if let Some(s) = self.segments.get_mut(&at) {
                s.deps.insert(loc.segment);
            }
        }
    }

    pub fn segment(&mut self, id: u32) -> &mut SegmentInfo {
        self.segments.entry(id).or_default()
    }

    /// An `Add`; a second `Add` of the same (key, seq) is a compaction move.
    pub fn add(&mut self, key: &StoreKey, seq: u64, redelivery: u32, loc: Loc, group: u64) {
        let q = self.messages.entry(key.clone()).or_default();
        // A move keeps the count the index had (recovery raises it).
        let redelivery = q
            .get(&seq)
            .map_or(redelivery, |(_, r)| (*r).max(redelivery));
        let old = q.insert(seq, (loc, redelivery));
        self.take(loc);
        if let Some((old, _)) = old {
            self.release(old, loc.segment, group);
        }
    }

    /// Raises a stored message's redelivery count (the note itself is not
    /// a live record: losing it only loses the count).
    pub fn redelivered(&mut self, key: &StoreKey, seq: u64, count: u32) {
        if let Some((_, r)) = self.messages.get_mut(key).and_then(|q| q.get_mut(&seq)) {
            *r = (*r).max(count);
        }
    }

    /// Where a message's record is, and its redelivery count.
    pub fn get(&self, key: &StoreKey, seq: u64) -> Option<(Loc, u32)> {
        self.messages.get(key)?.get(&seq).copied()
    }

    pub fn remove(&mut self, key: &StoreKey, seq: u64, at: u32, group: u64) {
        let Some(q) = self.messages.get_mut(key) else {
            return;
        };
        let Some((loc, _)) = q.remove(&seq) else {
            return;
        };
        if q.is_empty() {
            self.messages.remove(key);
        }
        self.release(loc, at, group);
    }

    pub fn drop_key(&mut self, key: &StoreKey, at: u32, group: u64) {
        if let Some(q) = self.messages.remove(key) {
            for (loc, _) in q.into_values() {
                self.release(loc, at, group);
            }
        }
        if let StoreKey::Durable { client_id, name } = key {
            if let Some((_, loc)) = self
                .durables
                .remove(&(Arc::clone(client_id), Arc::clone(name)))
            {
                self.release(loc, at, group);
            }
        }
    }

    pub fn durable(&mut self, def: DurableDef, loc: Loc, group: u64) {
        let key = (Arc::clone(&def.client_id), Arc::clone(&def.name));
        self.take(loc);
        if let Some((_, old)) = self.durables.insert(key, (def, loc)) {
            self.release(old, loc.segment, group);
        }
    }

    pub fn prepare(&mut self, tx: Arc<str>, loc: Loc, group: u64) {
        self.take(loc);
        if let Some(old) = self.prepared.insert(tx, loc) {
            self.release(old, loc.segment, group);
        }
    }

    pub fn outcome(&mut self, tx: &str, at: u32, group: u64) {
        if let Some(loc) = self.prepared.remove(tx) {
            self.release(loc, at, group);
        }
    }

    /// A job's record, replacing its previous state.
    pub fn job(&mut self, id: Arc<str>, loc: Loc, group: u64) {
        self.take(loc);
        if let Some(old) = self.jobs.insert(id, loc) {
            self.release(old, loc.segment, group);
        }
    }

    pub fn job_done(&mut self, id: &str, at: u32, group: u64) {
        if let Some(loc) = self.jobs.remove(id) {
            self.release(loc, at, group);
        }
    }

    /// Segments below `head` that can be deleted now that groups up to
    /// `durable` are on disk, oldest first.
    pub fn deletable(&self, head: u32, durable: u64) -> Vec<u32> {
        let mut gone: BTreeSet<u32> = BTreeSet::new();
        for (&id, s) in self.segments.range(..head) {
            let deps_gone = s
                .deps
                .iter()
                .all(|d| gone.contains(d) || !self.segments.contains_key(d));
            if s.live == 0 && deps_gone && s.last_group <= durable && s.released_by <= durable {
                gone.insert(id);
            }
        }
        gone.into_iter().collect()
    }

    pub fn forget_segment(&mut self, id: u32) {
        self.segments.remove(&id);
    }

    /// The oldest segment below `head` worth compacting: mostly dead (less
    /// than a quarter live) but still holding something.
    pub fn compaction_candidate(&self, head: u32, durable: u64) -> Option<u32> {
        self.segments
            .range(..head)
            .find(|(_, s)| s.live > 0 && s.live_bytes * 4 < s.size && s.last_group <= durable)
            .map(|(&id, _)| id)
    }

    /// The live records of one segment, in file order: `(loc)`.
    pub fn live_in(&self, segment: u32) -> Vec<Loc> {
        let mut locs: Vec<Loc> = self
            .messages
            .values()
            .flat_map(|q| q.values().map(|(l, _)| *l))
            .chain(self.durables.values().map(|(_, l)| *l))
            .chain(self.prepared.values().copied())
            .chain(self.jobs.values().copied())
            .filter(|l| l.segment == segment)
            .collect();
        locs.sort_by_key(|l| l.offset);
        locs
    }

    pub fn message_count(&self) -> usize {
        self.messages.values().map(BTreeMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> StoreKey {
        StoreKey::Queue(Arc::from("q"))
    }

    fn loc(segment: u32, offset: u64) -> Loc {
        Loc {
            segment,
            offset,
            len: 100,
        }
    }

    fn with_segments(ids: &[u32]) -> Index {
        let mut ix = Index::default();
        for &id in ids {
            ix.segment(id).size = 1000;
        }
        ix
    }

    #[test]
    fn a_dead_segment_goes_once_its_removals_are_durable() {
        let mut ix = with_segments(&[1, 2]);
        ix.add(&q(), 1, 0, loc(1, 0), 1);
        ix.segment(1).last_group = 1;
        assert!(ix.deletable(2, 10).is_empty());
        ix.remove(&q(), 1, 2, 5);
        assert!(
            ix.deletable(2, 4).is_empty(),
            "the removal is not durable yet"
        );
        assert_eq!(ix.deletable(2, 5), vec![1]);
    }

    #[test]
    fn a_segment_with_removals_of_older_records_waits_for_them() {
        let mut ix = with_segments(&[1, 2, 3]);
        ix.add(&q(), 1, 0, loc(1, 0), 1);
        ix.add(&q(), 2, 0, loc(1, 100), 1);
        // Segment 2 removes seq 1 (from segment 1) and holds nothing live.
        ix.remove(&q(), 1, 2, 2);
        assert!(
            ix.deletable(3, 10).is_empty(),
            "1 holds seq 2; 2 cancels a record of 1"
        );
        ix.remove(&q(), 2, 3, 3);
        assert_eq!(ix.deletable(3, 10), vec![1, 2]);
    }

    #[test]
    fn a_moved_record_releases_its_old_segment() {
        let mut ix = with_segments(&[1, 5]);
        ix.add(&q(), 1, 0, loc(1, 0), 1);
        assert_eq!(ix.compaction_candidate(5, 10), Some(1));
        assert_eq!(ix.live_in(1), vec![loc(1, 0)]);
        ix.add(&q(), 1, 0, loc(5, 0), 7);
        assert_eq!(ix.segments[&1].live, 0);
        assert_eq!(
            ix.deletable(5, 6),
            Vec::<u32>::new(),
            "the copy is not durable"
        );
        assert_eq!(ix.deletable(5, 7), vec![1]);
        assert_eq!(ix.message_count(), 1);
    }

    #[test]
    fn dropping_a_durable_subscription_releases_its_definition_and_messages() {
        let mut ix = with_segments(&[1, 2]);
        let def = DurableDef {
            client_id: Arc::from("c"),
            name: Arc::from("n"),
            topic: model::Destination::topic("t"),
            selector: None,
            no_local: false,
        };
        let key = StoreKey::Durable {
            client_id: Arc::from("c"),
            name: Arc::from("n"),
        };
        ix.durable(def, loc(1, 0), 1);
        ix.add(&key, 1, 0, loc(1, 100), 1);
        assert_eq!(ix.segments[&1].live, 2);
        ix.drop_key(&key, 2, 2);
        assert_eq!(ix.segments[&1].live, 0);
        assert!(ix.durables.is_empty());
        assert_eq!(ix.deletable(2, 2), vec![1]);
    }
}
