//! Journal behaviour end to end: write, reopen, recover.

use std::sync::Arc;

use model::store::{DurableDef, MessageStore, StoreKey};
use model::{Body, Destination, Message, MessageId};

use crate::segment::{list, segment_path};
use crate::{JournalStore, Options};

fn q(name: &str) -> StoreKey {
    StoreKey::Queue(Arc::from(name))
}

fn msg(n: u64, size: usize) -> Arc<Message> {
    let mut m = Message::new(
        MessageId::from(format!("ID:test-{n}")),
        Destination::queue("q"),
        Body::Bytes(bytes::Bytes::from(vec![b'x'; size])),
    );
    m.persistent = true;
    Arc::new(m)
}

fn opts(max_segment: u64) -> Options {
    Options {
        max_segment,
        sync: false,
        compaction_step: u64::MAX,
        // Most tests cut and corrupt files by length: keep them unpadded.
        preallocate: false,
        preload: u64::MAX,
    }
}

fn open(dir: &std::path::Path, o: Options) -> (JournalStore, model::store::Recovered) {
    JournalStore::open(dir, o).unwrap()
}

/// Seals and waits, as the broker does before confirming.
fn commit(s: &mut JournalStore) {
    let _ = s.seal();
    if let Some(p) = s.sync_point_all() {
        p.wait_blocking().unwrap();
    }
}

#[test]
fn messages_survive_a_reopen_and_removed_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, rec) = open(dir.path(), opts(1 << 20));
        assert!(rec.messages.is_empty());
        for n in 1..=10 {
            s.add(&q("q"), n, &msg(n, 100)).unwrap();
            let _ = s.seal();
        }
        for n in [2, 4, 6] {
            s.remove(&q("q"), n, &MessageId::from("x")).unwrap();
        }
        commit(&mut s);
    }
    let (s, rec) = open(dir.path(), opts(1 << 20));
    let seqs: Vec<u64> = rec.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![1, 3, 5, 7, 8, 9, 10]);
    assert_eq!(rec.messages[0].message, msg(1, 100));
    assert_eq!(s.len(&q("q")), 7);
}

#[test]
fn a_sync_point_returns_once_the_group_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(
        dir.path(),
        Options {
            sync: true,
            ..opts(1 << 20)
        },
    );
    assert!(s.sync_point_all().is_none(), "nothing written yet");
    s.add(&q("q"), 1, &msg(1, 10)).unwrap();
    let _ = s.seal();
    s.sync_point_all().unwrap().wait_blocking().unwrap();
    assert!(s.sync_point_all().is_none());
    let on_disk: u64 = list(dir.path())
        .unwrap()
        .iter()
        .map(|id| {
            std::fs::metadata(segment_path(dir.path(), *id))
                .unwrap()
                .len()
        })
        .sum();
    assert!(on_disk > 10);
}

#[test]
fn a_torn_last_record_is_dropped_and_the_rest_recovered() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, _) = open(dir.path(), opts(1 << 20));
        for n in 1..=3 {
            s.add(&q("q"), n, &msg(n, 50)).unwrap();
            let _ = s.seal();
        }
        commit(&mut s);
    }
    let seg = *list(dir.path()).unwrap().last().unwrap();
    let path = segment_path(dir.path(), seg);
    let len = std::fs::metadata(&path).unwrap().len();
    // Every cut inside the last frame loses exactly that frame.
    for cut in [len - 1, len - 20, len - 60] {
        let copy = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::create_dir_all(copy.path()).unwrap();
        std::fs::write(segment_path(copy.path(), seg), &bytes[..cut as usize]).unwrap();
        let (s, rec) = open(copy.path(), opts(1 << 20));
        let seqs: Vec<u64> = rec.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![1, 2], "cut at {cut}");
        assert_eq!(s.report().truncated.len(), 1);
    }
}

#[test]
fn a_corrupt_record_in_an_old_segment_is_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Tiny segments: one frame each.
        let (mut s, _) = open(dir.path(), opts(64));
        for n in 1..=4 {
            s.add(&q("q"), n, &msg(n, 100)).unwrap();
            let _ = s.seal();
        }
        commit(&mut s);
    }
    let segs = list(dir.path()).unwrap();
    assert!(segs.len() >= 4, "{segs:?}");
    let path = segment_path(dir.path(), segs[1]);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let (s, rec) = open(dir.path(), opts(64));
    let seqs: Vec<u64> = rec.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![1, 3, 4]);
    assert_eq!(s.report().skipped.len(), 1);
}

#[test]
fn segments_whose_records_are_all_consumed_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(dir.path(), opts(4096));
    for n in 1..=100 {
        s.add(&q("q"), n, &msg(n, 500)).unwrap();
        let _ = s.seal();
    }
    commit(&mut s);
    assert!(list(dir.path()).unwrap().len() > 10);
    for n in 1..=100 {
        s.remove(&q("q"), n, &MessageId::from("x")).unwrap();
        let _ = s.seal();
    }
    commit(&mut s);
    s.maintain();
    assert_eq!(list(dir.path()).unwrap().len(), 1, "only the head remains");
    drop(s);
    let (_, rec) = open(dir.path(), opts(4096));
    assert!(rec.messages.is_empty());
}

/// KahaDB's best-known failure: one old unconsumed message keeps its data
/// file, and every later one, on disk forever. Here it is moved forward and
/// disk use follows live data.
#[test]
fn one_old_message_does_not_pin_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let seg = 64 * 1024;
    let (mut s, _) = open(dir.path(), opts(seg));
    s.add(&q("old"), 1, &msg(1, 1000)).unwrap();
    let _ = s.seal();
    // Lots of traffic through another queue, all consumed.
    for n in 2..2000 {
        s.add(&q("busy"), n, &msg(n, 1000)).unwrap();
        let _ = s.seal();
        s.remove(&q("busy"), n, &MessageId::from("x")).unwrap();
        let _ = s.seal();
        if n % 100 == 0 {
            commit(&mut s);
            s.maintain();
        }
    }
    commit(&mut s);
    s.maintain();
    commit(&mut s);
    s.maintain();
    let on_disk: u64 = list(dir.path())
        .unwrap()
        .iter()
        .map(|id| {
            std::fs::metadata(segment_path(dir.path(), *id))
                .unwrap()
                .len()
        })
        .sum();
    // ~4 MB went through; what stays is a segment or two.
    assert!(on_disk < 3 * seg, "{on_disk} bytes still on disk");
    drop(s);
    let (_, rec) = open(dir.path(), opts(seg));
    assert_eq!(rec.messages.len(), 1);
    assert_eq!(rec.messages[0].seq, 1);
    assert_eq!(rec.messages[0].message, msg(1, 1000));
}

#[test]
fn a_group_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, _) = open(dir.path(), opts(1 << 20));
        s.add(&q("q"), 1, &msg(1, 10)).unwrap();
        commit(&mut s);
        // A "transaction": three sends and the removal of seq 1.
        for n in 2..=4 {
            s.add(&q("q"), n, &msg(n, 10)).unwrap();
        }
        s.remove(&q("q"), 1, &MessageId::from("x")).unwrap();
        commit(&mut s);
    }
    let seg = *list(dir.path()).unwrap().last().unwrap();
    let path = segment_path(dir.path(), seg);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let (_, rec) = open(dir.path(), opts(1 << 20));
    let seqs: Vec<u64> = rec.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![1], "the torn group is gone entirely");
}

#[test]
fn durable_subscriptions_and_their_messages_survive_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::Durable {
        client_id: Arc::from("c"),
        name: Arc::from("s"),
    };
    let def = DurableDef {
        client_id: Arc::from("c"),
        name: Arc::from("s"),
        topic: Destination::topic("news.>"),
        selector: Some("a = 1".into()),
        no_local: false,
    };
    {
        let (mut s, _) = open(dir.path(), opts(1 << 20));
        s.add_durable(&def).unwrap();
        s.add(&key, 5, &msg(5, 10)).unwrap();
        commit(&mut s);
    }
    {
        let (mut s, rec) = open(dir.path(), opts(1 << 20));
        assert_eq!(rec.durables, vec![def.clone()]);
        assert_eq!(rec.messages.len(), 1);
        assert_eq!(rec.messages[0].key, key);
        s.drop_key(&key).unwrap();
        commit(&mut s);
    }
    let (_, rec) = open(dir.path(), opts(1 << 20));
    assert!(rec.durables.is_empty());
    assert!(rec.messages.is_empty());
}

#[test]
fn a_second_holder_of_the_directory_lock_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = crate::DirLock::try_acquire(dir.path()).unwrap();
    // flock locks belong to the open file description, so a second open in
    // the same process conflicts just as another process would.
    assert!(crate::DirLock::try_acquire(dir.path()).is_err());
    drop(first);
    assert!(crate::DirLock::try_acquire(dir.path()).is_ok());
}

#[test]
fn a_failed_write_fails_its_waiters_and_keeps_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(dir.path(), opts(1 << 20));
    s.add(&q("q"), 1, &msg(1, 10)).unwrap();
    commit(&mut s);
    // Make the journal directory unwritable for a new segment: remove it.
    // The head segment is already open, so instead force a roll into a
    // segment whose path is a directory.
    let next = *list(dir.path()).unwrap().last().unwrap() + 1;
    std::fs::create_dir(segment_path(dir.path(), next)).unwrap();
    let big = msg(2, 2 << 20);
    s.add(&q("q"), 2, &big).unwrap();
    let _ = s.seal();
    let err = s.sync_point_all().unwrap().wait_blocking();
    assert!(err.is_err(), "writing into a directory must fail");
    std::fs::remove_dir(segment_path(dir.path(), next)).unwrap();
    drop(s);
    let (_, rec) = open(dir.path(), opts(1 << 20));
    let seqs: Vec<u64> = rec.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![1]);
}

#[test]
fn preallocated_segments_recover_and_a_torn_frame_before_the_zeros_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let o = || Options {
        preallocate: true,
        ..opts(64 * 1024)
    };
    let frame_ends;
    {
        let (mut s, _) = open(dir.path(), o());
        for n in 1..=3 {
            s.add(&q("q"), n, &msg(n, 100)).unwrap();
            let _ = s.seal();
        }
        commit(&mut s);
        frame_ends = s.segments();
    }
    let seg = *list(dir.path()).unwrap().last().unwrap();
    let path = segment_path(dir.path(), seg);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        64 * 1024,
        "preallocated"
    );
    {
        let (s, rec) = open(dir.path(), o());
        assert_eq!(rec.messages.len(), 3);
        assert!(s.report().truncated.is_empty() && s.report().skipped.is_empty());
    }
    // Tear the last frame: zero its final bytes, as a crash mid-write would
    // leave a preallocated file.
    let end = frame_ends.iter().find(|(id, _, _)| *id == seg).unwrap().1;
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &[0u8; 30], end - 30).unwrap();
    let (_, rec) = open(dir.path(), o());
    let seqs: Vec<u64> = rec.messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![1, 2]);
}

#[test]
fn removals_nobody_waits_for_are_synced_soon_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(dir.path(), opts(1 << 20));
    s.add(&q("q"), 1, &msg(1, 10)).unwrap();
    let _ = s.seal();
    // No sync_point asked: the writer still gets it durable within LAG.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while s.sync_point_all().is_some() {
        assert!(std::time::Instant::now() < deadline, "never synced");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn past_the_preload_budget_messages_are_listed_as_paged_and_load_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, _) = open(dir.path(), opts(1 << 20));
        for n in 1..=50 {
            s.add(&q("q"), n, &msg(n, 200)).unwrap();
            let _ = s.seal();
        }
        commit(&mut s);
    }
    let (mut s, rec) = open(
        dir.path(),
        Options {
            preload: 1000,
            ..opts(1 << 20)
        },
    );
    assert!(rec.messages.len() < 10, "{} preloaded", rec.messages.len());
    assert_eq!(rec.messages.len() + rec.paged.len(), 50);
    assert!(rec.messages.iter().all(|m| m.redelivery_count == 1));
    let (first_paged_key, first_paged) = rec.paged[0].clone();
    assert_eq!(
        first_paged,
        rec.messages.len() as u64 + 1,
        "oldest are preloaded"
    );
    let (m, redelivery) = s.load(&first_paged_key, first_paged).unwrap().unwrap();
    assert_eq!(m, msg(first_paged, 200));
    assert_eq!(redelivery, 1, "recovered: possibly delivered before");
    assert!(s.load(&q("q"), 999).unwrap().is_none());
}

#[test]
fn a_message_can_be_loaded_right_after_it_was_added() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(
        dir.path(),
        Options {
            sync: true,
            preallocate: true,
            ..opts(1 << 20)
        },
    );
    for n in 1..=20 {
        s.add(&q("q"), n, &msg(n, 100)).unwrap();
        // Same operation, not sealed, maybe not written: still readable.
        let (m, redelivery) = s.load(&q("q"), n).unwrap().unwrap();
        assert_eq!(m, msg(n, 100));
        assert_eq!(redelivery, 0);
    }
}

#[test]
fn usage_follows_what_is_written_and_what_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(dir.path(), opts(4096));
    assert_eq!(s.usage(), 0);
    for n in 1..=40 {
        s.add(&q("q"), n, &msg(n, 500)).unwrap();
        let _ = s.seal();
    }
    commit(&mut s);
    let full = s.usage();
    assert_eq!(
        full,
        s.segments().iter().map(|(_, size, _)| size).sum::<u64>()
    );
    for n in 1..=40 {
        s.remove(&q("q"), n, &MessageId::from("x")).unwrap();
        let _ = s.seal();
    }
    commit(&mut s);
    s.maintain();
    assert_eq!(
        s.usage(),
        s.segments().iter().map(|(_, size, _)| size).sum::<u64>()
    );
    assert!(s.usage() < full);
    drop(s);
    let (s, _) = open(dir.path(), opts(4096));
    assert_eq!(
        s.usage(),
        s.segments().iter().map(|(_, size, _)| size).sum::<u64>()
    );
}

#[test]
fn the_backlog_counts_what_is_accepted_but_not_yet_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = open(dir.path(), opts(1 << 20));
    s.add(&q("q"), 1, &msg(1, 5000)).unwrap();
    assert!(s.backlog() >= 5000, "the open group counts");
    commit(&mut s);
    assert_eq!(s.backlog(), 0, "written and synced: nothing pending");
}

fn job(id: &str, next: i64, repeat: i64) -> model::StoredJob {
    model::StoredJob {
        id: Arc::from(id),
        next,
        delay: 0,
        period: 1000,
        repeat,
        cron: None,
        message: msg(next as u64, 50),
    }
}

#[test]
fn scheduled_jobs_survive_a_reopen_in_their_latest_state_until_done() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, rec) = open(dir.path(), opts(1 << 20));
        assert!(rec.jobs.is_empty());
        s.schedule(&job("a", 1000, 3)).unwrap();
        s.schedule(&job("b", 2000, 0)).unwrap();
        commit(&mut s);
        // "a" fired once: its new state replaces the old one.
        s.schedule(&job("a", 3000, 2)).unwrap();
        // "b" is done.
        s.unschedule("b").unwrap();
        commit(&mut s);
    }
    let (mut s, rec) = open(dir.path(), opts(1 << 20));
    assert_eq!(rec.jobs, vec![job("a", 3000, 2)]);
    s.unschedule("a").unwrap();
    commit(&mut s);
    drop(s);
    let (_, rec) = open(dir.path(), opts(1 << 20));
    assert!(rec.jobs.is_empty());
}

#[test]
fn compaction_moves_live_jobs_and_frees_their_old_segment() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, _) = open(dir.path(), opts(4096));
        s.schedule(&job("keep", 5000, 1)).unwrap();
        commit(&mut s);
        // Fill the segment and more with messages that are then consumed.
        for n in 1..=40 {
            s.add(&q("q"), n, &msg(n, 200)).unwrap();
            commit(&mut s);
        }
        for n in 1..=40 {
            s.remove(&q("q"), n, &MessageId::from("x")).unwrap();
            commit(&mut s);
        }
        let first = s.segments()[0].0;
        for _ in 0..4 {
            s.maintain();
            commit(&mut s);
        }
        assert_ne!(s.segments()[0].0, first, "the job's old segment is gone");
    }
    let (_, rec) = open(dir.path(), opts(4096));
    assert_eq!(rec.jobs, vec![job("keep", 5000, 1)]);
}

#[test]
fn a_redelivery_count_survives_the_compaction_of_its_note() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut s, _) = open(dir.path(), opts(4096));
        s.add(&q("q"), 1, &msg(1, 200)).unwrap();
        commit(&mut s);
        // Delivered and returned three times; each note is a record.
        for count in 1..=3 {
            s.redelivered(&q("q"), 1, count);
            commit(&mut s);
        }
        // Fill past the segment with messages that are then consumed, so
        // the first segment is mostly dead and gets compacted away.
        for n in 2..=40 {
            s.add(&q("q"), n, &msg(n, 200)).unwrap();
            commit(&mut s);
        }
        for n in 2..=40 {
            s.remove(&q("q"), n, &MessageId::from("x")).unwrap();
            commit(&mut s);
        }
        let first = s.segments()[0].0;
        for _ in 0..4 {
            s.maintain();
            commit(&mut s);
        }
        assert_ne!(s.segments()[0].0, first, "the note's segment is gone");
    }
    let (_, rec) = open(dir.path(), opts(4096));
    assert_eq!(rec.messages.len(), 1);
    // 3 redeliveries, +1 because a recovered message may have been
    // dispatched before the restart.
    assert_eq!(rec.messages[0].redelivery_count, 4);
}
