//! Decode + encode of an ActiveMQTextMessage with a 1 KiB body and five
//! properties, tight encoding with the cache on (activemq-client's
//! defaults), on one core. Reports round trips per second and heap
//! allocations per round trip (counted by a wrapping global allocator).
//! The reader hands each decoded frame back (`Codec::recycle`) as a
//! forwarding consumer would, so the next decodes into its storage.
//!
//! `cargo bench -p ferrum-openwire --bench roundtrip`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use openwire::{
    Codec, ConnectionId, DataStructure, Message, MessageId, OwString, ProducerId, Queue, WireFormat,
};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn s(v: &str) -> Option<OwString> {
    Some(OwString::from(v))
}

/// Five properties in ActiveMQ's marshalled map form: i32 count, then
/// (u16-length key, type byte, value) entries.
fn properties() -> Bytes {
    let mut p = Vec::new();
    p.extend_from_slice(&5i32.to_be_bytes());
    for (i, key) in ["app", "region", "tenant", "trace", "kind"]
        .iter()
        .enumerate()
    {
        p.extend_from_slice(&(key.len() as u16).to_be_bytes());
        p.extend_from_slice(key.as_bytes());
        if i % 2 == 0 {
            p.push(9); // STRING
            let v = format!("value-{i}");
            p.extend_from_slice(&(v.len() as u16).to_be_bytes());
            p.extend_from_slice(v.as_bytes());
        } else {
            p.push(5); // INTEGER
            p.extend_from_slice(&(i as i32).to_be_bytes());
        }
    }
    Bytes::from(p)
}

fn message(seq: i64) -> DataStructure {
    let conn = "ID:bench-host-40000-1795550000000-1:1";
    let producer = DataStructure::ProducerId(std::sync::Arc::new(ProducerId {
        connection_id: s(conn),
        value: 1,
        session_id: 1,
    }));
    let mut body = Vec::with_capacity(1028);
    body.extend_from_slice(&1024i32.to_be_bytes());
    body.extend(std::iter::repeat_n(b'x', 1024));
    DataStructure::TextMessage(std::sync::Arc::new(Message {
        command_id: seq as i32,
        response_required: false,
        producer_id: Some(producer.clone()),
        destination: Some(DataStructure::Queue(std::sync::Arc::new(Queue {
            physical_name: s("bench.queue"),
        }))),
        message_id: Some(DataStructure::MessageId(std::sync::Arc::new(MessageId {
            text_view: None,
            producer_id: Some(producer),
            producer_sequence_id: seq,
            broker_sequence_id: 0,
        }))),
        persistent: false,
        priority: 4,
        timestamp: 1_795_550_000_000 + seq,
        content: Some(Bytes::from(body)),
        marshalled_properties: Some(properties()),
        ..Message::default()
    }))
}

fn main() {
    let _ = ConnectionId::default();
    let format = WireFormat {
        tight: true,
        cache: true,
        stack_trace: true,
        cache_size: 1024,
        ..WireFormat::initial(12)
    };
    let mut writer = Codec::new(format);
    let mut reader = Codec::new(format);
    let msg = message(1);
    let mut wire = BytesMut::with_capacity(4096);
    let mut out = BytesMut::with_capacity(4096);
    // Warm up, and prove the round trip is exact.
    writer.write_frame(Some(&msg), &mut wire).expect("encode");
    let first = wire.clone();
    let decoded = reader
        .read_frame(&mut wire)
        .expect("decode")
        .expect("frame");
    assert_eq!(decoded.as_ref(), Some(&msg));
    let n: u64 = 2_000_000;
    let allocs_before = ALLOCS.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..n {
        writer.write_frame(Some(&msg), &mut wire).expect("encode");
        let frame = reader
            .read_frame(&mut wire)
            .expect("decode")
            .expect("frame");
        out.clear();
        std::hint::black_box(&frame);
        if let Some(f) = frame {
            reader.recycle(f);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs_before;
    println!(
        "TextMessage 1 KiB + 5 properties, tight+cache: frame {} bytes, {:.0} round trips/s ({:.0} ns each), {:.1} allocations per round trip",
        first.len(),
        n as f64 / secs,
        secs * 1e9 / n as f64,
        allocs as f64 / n as f64
    );
}
