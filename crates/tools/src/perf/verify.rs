//! Exactly-once and per-producer order checks, and latency recording.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::bail;
use hdrhistogram::Histogram;

use super::{now_ns, parse, share, DestKind};

/// Latencies are recorded in µs, up to an hour, to 3 significant digits.
fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// One bit per (producer, sequence): set when the message is seen.
struct Seen {
    bits: Vec<Vec<AtomicU64>>,
}

impl Seen {
    fn new(shares: &[AtomicU64]) -> Seen {
        Seen {
            bits: shares
                .iter()
                .map(|n| {
                    let n = n.load(Ordering::Relaxed);
                    (0..n.div_ceil(64)).map(|_| AtomicU64::new(0)).collect()
                })
                .collect(),
        }
    }

    /// Marks a message seen; false if it already was.
    fn mark(&self, p: usize, seq: u64) -> bool {
        let word = &self.bits[p][(seq / 64) as usize];
        let bit = 1u64 << (seq % 64);
        word.fetch_or(bit, Ordering::Relaxed) & bit == 0
    }
}

/// Shared by every consumer of a run.
pub struct Verifier {
    dest: DestKind,
    first: u32,
    /// Messages expected from each producer, and in all: lowered when a
    /// `--duration` run stops a producer early.
    shares: Vec<AtomicU64>,
    count: AtomicU64,
    consumers: u32,
    /// Queue: one set for all consumers; topic: one per consumer.
    seen: Vec<Seen>,
    /// Queue: messages received by all consumers together.
    received: AtomicU64,
    /// When the run started: anything sent earlier is left over from
    /// another run.
    start: u64,
    /// When the latest message arrived (ns, as [`now_ns`]).
    last_arrival: AtomicU64,
    histogram: Mutex<Histogram<u64>>,
}

/// One consumer's own view.
pub struct ConsumerState {
    pub index: u32,
    last: Vec<Option<u64>>,
    pub received: u64,
    histogram: Histogram<u64>,
}

impl Verifier {
    pub fn new(dest: DestKind, first: u32, producers: u32, count: u64, consumers: u32) -> Verifier {
        let shares: Vec<AtomicU64> = (0..producers)
            .map(|i| AtomicU64::new(share(count, producers, i)))
            .collect();
        let sets = match dest {
            DestKind::Queue => 1,
            DestKind::Topic => consumers as usize,
        };
        Verifier {
            dest,
            first,
            seen: (0..sets).map(|_| Seen::new(&shares)).collect(),
            shares,
            count: AtomicU64::new(count),
            consumers,
            received: AtomicU64::new(0),
            last_arrival: AtomicU64::new(0),
            start: now_ns(),
            histogram: Mutex::new(new_histogram()),
        }
    }

    pub fn consumer(&self, index: u32) -> ConsumerState {
        ConsumerState {
            index,
            last: vec![None; self.shares.len()],
            received: 0,
            histogram: new_histogram(),
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// Messages the consumers must receive in all.
    pub fn expected_total(&self) -> u64 {
        match self.dest {
            DestKind::Queue => self.count(),
            DestKind::Topic => self.count() * self.consumers as u64,
        }
    }

    /// A producer stopped early (`--duration`) after sending `sent`.
    pub fn truncate(&self, producer: u32, sent: u64) {
        let p = producer.wrapping_sub(self.first) as usize;
        if let Some(share) = self.shares.get(p) {
            let old = share.swap(sent, Ordering::AcqRel);
            self.count
                .fetch_sub(old.saturating_sub(sent), Ordering::AcqRel);
        }
    }

    /// Whether this consumer has nothing more to wait for.
    pub fn done_for(&self, st: &ConsumerState) -> bool {
        match self.dest {
            DestKind::Topic => st.received >= self.count(),
            DestKind::Queue => self.queue_done(),
        }
    }

    /// Checks one body. `Ok(true)` once this consumer has nothing more to
    /// wait for (topic: it has every message; queue: all consumers together
    /// have every message).
    pub fn on_message(&self, st: &mut ConsumerState, body: &[u8]) -> anyhow::Result<bool> {
        let now = now_ns();
        let Some((producer, seq, sent)) = parse(body) else {
            bail!(
                "consumer {}: a {}-byte body without the perf header",
                st.index,
                body.len()
            );
        };
        if sent < self.start {
            bail!(
                "consumer {}: stale message producer {producer} seq {seq}, sent {} ms before this run \
                 started (left over from an earlier run? use a fresh --name)",
                st.index,
                (self.start - sent) / 1_000_000
            );
        }
        let p = producer.wrapping_sub(self.first) as usize;
        if p >= self.shares.len() || seq >= self.shares[p].load(Ordering::Acquire) {
            bail!(
                "consumer {}: unexpected message producer {producer} seq {seq}",
                st.index
            );
        }
        if let Some(last) = st.last[p] {
            if seq <= last {
                bail!(
                    "consumer {}: producer {producer} seq {seq} after seq {last} (out of order or duplicate)",
                    st.index
                );
            }
        }
        st.last[p] = Some(seq);
        let set = match self.dest {
            DestKind::Queue => &self.seen[0],
            DestKind::Topic => &self.seen[st.index as usize],
        };
        if !set.mark(p, seq) {
            bail!(
                "consumer {}: duplicate message producer {producer} seq {seq}",
                st.index
            );
        }
        st.histogram
            .saturating_record(now.saturating_sub(sent) / 1000);
        st.received += 1;
        self.last_arrival.fetch_max(now, Ordering::Relaxed);
        Ok(match self.dest {
            DestKind::Topic => st.received >= self.count(),
            DestKind::Queue => self.received.fetch_add(1, Ordering::AcqRel) + 1 >= self.count(),
        })
    }

    /// Whether all consumers together are done (queue) — for consumers
    /// that did not see the last message themselves.
    pub fn queue_done(&self) -> bool {
        self.dest == DestKind::Queue && self.received.load(Ordering::Acquire) >= self.count()
    }

    /// When the latest message arrived (0: none did).
    pub fn last_arrival(&self) -> u64 {
        self.last_arrival.load(Ordering::Relaxed)
    }

    /// Merges a finished consumer's latencies.
    pub fn finish(&self, st: ConsumerState) {
        if let Ok(mut h) = self.histogram.lock() {
            let _ = h.add(&st.histogram);
        }
    }

    pub fn histogram(&self) -> Histogram<u64> {
        match self.histogram.lock() {
            Ok(h) => h.clone(),
            Err(_) => new_histogram(),
        }
    }

    /// Fails unless every expected message was seen (by every consumer,
    /// for a topic).
    pub fn check_complete(&self) -> anyhow::Result<()> {
        for (c, set) in self.seen.iter().enumerate() {
            for (p, n) in self.shares.iter().enumerate() {
                let n = n.load(Ordering::Acquire);
                let got: u64 = set.bits[p]
                    .iter()
                    .map(|w| w.load(Ordering::Relaxed).count_ones() as u64)
                    .sum();
                if got != n {
                    let who = match self.dest {
                        DestKind::Queue => "the consumers".to_string(),
                        DestKind::Topic => format!("consumer {c}"),
                    };
                    bail!(
                        "{who} received {got} of {n} messages from producer {}",
                        self.first as usize + p
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perf::{stamp, HEADER_LEN};

    fn body(p: u32, seq: u64) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN + 5];
        stamp(&mut b, p, seq);
        b
    }

    #[test]
    fn header_roundtrips_and_shares_add_up() {
        let b = body(7, 42);
        let (p, s, t) = parse(&b).unwrap();
        assert_eq!((p, s), (7, 42));
        assert!(t <= now_ns());
        assert!(parse(&b[..HEADER_LEN - 1]).is_none());
        assert_eq!((0..3).map(|i| share(10, 3, i)).sum::<u64>(), 10);
        assert_eq!(share(10, 3, 0), 4);
    }

    #[test]
    fn queue_is_exactly_once_across_consumers() {
        let v = Verifier::new(DestKind::Queue, 0, 2, 4, 2);
        let (mut a, mut b) = (v.consumer(0), v.consumer(1));
        assert!(!v.on_message(&mut a, &body(0, 0)).unwrap());
        assert!(!v.on_message(&mut b, &body(0, 1)).unwrap());
        assert!(!v.on_message(&mut a, &body(1, 0)).unwrap());
        assert!(v.check_complete().is_err());
        // Another consumer getting the same message is a duplicate.
        assert!(v.on_message(&mut b, &body(1, 0)).is_err());
        assert!(v.on_message(&mut b, &body(1, 1)).unwrap());
        assert!(v.queue_done());
        v.check_complete().unwrap();
        v.finish(a);
        v.finish(b);
        assert_eq!(v.histogram().len(), 4);
    }

    #[test]
    fn order_range_and_staleness_are_checked() {
        let v = Verifier::new(DestKind::Topic, 0, 1, 3, 2);
        let mut a = v.consumer(0);
        v.on_message(&mut a, &body(0, 1)).unwrap();
        let e = v.on_message(&mut a, &body(0, 0)).unwrap_err();
        assert!(e.to_string().contains("out of order"), "{e}");
        assert!(v.on_message(&mut a, &body(0, 3)).is_err());
        assert!(v.on_message(&mut a, &body(1, 0)).is_err());
        assert!(v.on_message(&mut a, b"short").is_err());
        let mut old = body(0, 2);
        old[12..20].copy_from_slice(&1u64.to_be_bytes());
        let e = v.on_message(&mut a, &old).unwrap_err();
        assert!(e.to_string().contains("stale"), "{e}");
    }

    #[test]
    fn topic_needs_every_message_at_every_consumer() {
        let v = Verifier::new(DestKind::Topic, 5, 1, 2, 2);
        assert_eq!(v.expected_total(), 4);
        let (mut a, mut b) = (v.consumer(0), v.consumer(1));
        assert!(!v.on_message(&mut a, &body(5, 0)).unwrap());
        assert!(v.on_message(&mut a, &body(5, 1)).unwrap());
        assert!(!v.on_message(&mut b, &body(5, 0)).unwrap());
        let e = v.check_complete().unwrap_err();
        assert!(e.to_string().contains("consumer 1"), "{e}");
        assert!(v.on_message(&mut b, &body(5, 1)).unwrap());
        v.check_complete().unwrap();
    }
}
