//! Recovery time and memory for a deep backlog (issue target: one million
//! pending 1 KiB messages recovered in under 10 s, memory bounded).
//!
//! `cargo bench -p ferrum-store --bench recovery` (FERRUM_RECOVERY_N to
//! change the count; needs about 1.1 GB of disk under $TMPDIR per million).

use std::sync::Arc;
use std::time::Instant;

use model::store::{MessageStore, StoreKey};
use model::{Body, Destination, Message, MessageId};
use store::{JournalStore, Options};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Opens the journal in `dir` in this fresh process and reports time and RSS.
fn recover(dir: &std::path::Path) {
    let before = rss_mb();
    let t = Instant::now();
    let (store, recovered) = JournalStore::open(dir, Options::default()).expect("reopen");
    let took = t.elapsed();
    println!(
        "recovery: opened {} segments in {:.2} s ({} messages read back, {} paged); \
         process RSS {:.0} MB before, {:.0} MB after",
        store.segments().len(),
        took.as_secs_f64(),
        recovered.messages.len(),
        recovered.paged.len(),
        before,
        rss_mb(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--recover") {
        if let Some(dir) = args.get(i + 1) {
            recover(std::path::Path::new(dir));
        }
        return;
    }
    let n: u64 = std::env::var("FERRUM_RECOVERY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let key = StoreKey::Queue(Arc::from("backlog"));
    let body = bytes::Bytes::from(vec![b'x'; 1024]);
    let t = Instant::now();
    {
        let options = Options {
            sync: false,
            ..Options::default()
        };
        let (mut s, _) = JournalStore::open(dir.path(), options).expect("open");
        for seq in 1..=n {
            let mut m = Message::new(
                MessageId::from(format!("ID:bench-1:1:1:{seq}")),
                Destination::queue("backlog"),
                Body::Bytes(body.clone()),
            );
            m.persistent = true;
            s.add(&key, seq, &Arc::new(m)).expect("add");
            // One group per message, as the broker writes them.
            let _ = s.seal();
        }
        if let Some(p) = s.sync_point_all() {
            p.wait_blocking().expect("sync");
        }
    }
    let written = t.elapsed();
    println!(
        "recovery: wrote {n} pending 1 KiB messages in {:.1} s",
        written.as_secs_f64()
    );
    // A fresh process, so its RSS is what recovery costs.
    let exe = std::env::current_exe().expect("own path");
    let status = std::process::Command::new(exe)
        .arg("--recover")
        .arg(dir.path())
        .status()
        .expect("recovery process");
    assert!(status.success());
}
