//! The end-of-run report, progress lines and the tool's own CPU time.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::Counters;

/// This process's user + system CPU time, from /proc/self/stat (zero where
/// that is unavailable). Linux reports it in clock ticks, USER_HZ = 100 on
/// every architecture Ferrum runs on.
pub fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name (field 2) may contain spaces: split after its ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')' come field 3 (state) onwards: utime is field 14, stime 15.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Prints sent/received rates to stderr every second until aborted.
pub async fn progress(counters: Arc<Counters>, start: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let (mut last_sent, mut last_recv) = (0, 0);
    loop {
        tick.tick().await;
        let sent = counters.sent.load(Ordering::Relaxed);
        let recv = counters.received.load(Ordering::Relaxed);
        eprintln!(
            "[{:>5.1}s] sent {sent} (+{}/s)  received {recv} (+{}/s)",
            start.elapsed().as_secs_f64(),
            sent - last_sent,
            recv - last_recv
        );
        (last_sent, last_recv) = (sent, recv);
    }
}

pub struct Report {
    pub protocol: &'static str,
    pub dest: &'static str,
    pub size: usize,
    pub producers: u32,
    pub consumers: u32,
    pub persistent: bool,
    pub sent: u64,
    pub received: u64,
    pub expected: u64,
    /// From the first send to the last receive.
    pub duration: Duration,
    /// From the first send to the last producer's end.
    pub produce_time: Option<Duration>,
    pub latency: Histogram<u64>,
    pub cpu: Duration,
    /// Whole run, connections included (the CPU percentage's base).
    pub total: Duration,
}

fn rate(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 {
        n as f64 / s
    } else {
        0.0
    }
}

impl Report {
    pub fn print(&self, json: bool) {
        let produce = self.produce_time.unwrap_or(self.duration);
        let send_rate = rate(self.sent, produce);
        let recv_rate = rate(self.received, self.duration);
        let h = &self.latency;
        let (p50, p99, p999, max) = if h.is_empty() {
            (0, 0, 0, 0)
        } else {
            (
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99),
                h.value_at_quantile(0.999),
                h.max(),
            )
        };
        let cpu_pct = 100.0 * self.cpu.as_secs_f64() / self.total.as_secs_f64().max(1e-9);
        if json {
            println!(
                "{{\"protocol\":\"{}\",\"dest\":\"{}\",\"size\":{},\"producers\":{},\"consumers\":{},\"persistent\":{},\
                 \"sent\":{},\"received\":{},\"expected\":{},\"duration_s\":{:.6},\"produce_s\":{:.6},\
                 \"send_msgs_per_s\":{:.1},\"recv_msgs_per_s\":{:.1},\
                 \"latency_us\":{{\"p50\":{},\"p99\":{},\"p999\":{},\"max\":{}}},\
                 \"cpu_s\":{:.3},\"cpu_pct\":{:.1}}}",
                self.protocol,
                self.dest,
                self.size,
                self.producers,
                self.consumers,
                self.persistent,
                self.sent,
                self.received,
                self.expected,
                self.duration.as_secs_f64(),
                produce.as_secs_f64(),
                send_rate,
                recv_rate,
                p50,
                p99,
                p999,
                max,
                self.cpu.as_secs_f64(),
                cpu_pct,
            );
        } else {
            println!(
                "{} {} size={} producers={} consumers={}{}: sent {} in {:.3}s ({:.0} msg/s), \
                 received {}/{} in {:.3}s ({:.0} msg/s), latency µs p50={} p99={} p99.9={} max={}, \
                 tool cpu {:.2}s ({:.0}% of wall)",
                self.protocol,
                self.dest,
                self.size,
                self.producers,
                self.consumers,
                if self.persistent { " persistent" } else { "" },
                self.sent,
                produce.as_secs_f64(),
                send_rate,
                self.received,
                self.expected,
                self.duration.as_secs_f64(),
                recv_rate,
                p50,
                p99,
                p999,
                max,
                self.cpu.as_secs_f64(),
                cpu_pct,
            );
        }
    }
}
