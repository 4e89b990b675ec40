#!/usr/bin/env bash
# Side-by-side benchmark: non-persistent STOMP queue, 1 KiB messages,
# 1 producer / 1 consumer, Ferrum vs ActiveMQ 5.17.2, same load generator
# (shared/bench/stompbench.sh, a raw-socket Java client), same run.
# Brokers alternate (F A F A ...), each run on a freshly started broker.
#
#   interop-tests/bench/stomp_queue.sh [ROUNDS] [COUNT]
#
# Prints one JSON line per run and a median table; the runs are kept in
# $OUT (default target/bench/stomp_queue-<time>/runs.jsonl).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared/bench}"
ROUNDS="${1:-3}"
COUNT="${2:-500000}"
WARMUP="${WARMUP:-50000}"
OUT="${OUT:-$ROOT/target/bench/stomp_queue-$(date +%Y%m%d-%H%M%S)}"
F_PORT=62813; A_OW=62816; A_ST=62814
AMQ_DATA=/tmp/ferrum-bench-amq
mkdir -p "$OUT"
[ -x "$SHARED/stompbench.sh" ] || { echo "needs $SHARED (the shared bench harness)"; exit 1; }
(cd "$ROOT" && cargo build --release --bin ferrum >&2)

run_ferrum() {
    local data; data=$(mktemp -d)
    "$ROOT/target/release/ferrum" --bind 127.0.0.1 --stomp-port $F_PORT --openwire-port 0 \
        --data-dir "$data" >"$OUT/ferrum.log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do ss -Hltn "sport = :$F_PORT" | grep -q . && break; sleep 0.05; done
    sleep 1
    "$SHARED/stompbench.sh" --url 127.0.0.1:$F_PORT --count "$COUNT" --warmup "$WARMUP" \
        --broker-pid $pid --label ferrum --timeout 300 | tail -1 >>"$OUT/runs.jsonl"
    kill -TERM $pid; wait $pid || true
    rm -rf "$data"
}

run_activemq() {
    "$SHARED/amq.sh" stop "$AMQ_DATA" >/dev/null 2>&1 || true
    "$SHARED/amq.sh" clean "$AMQ_DATA" >/dev/null 2>&1 || true
    "$SHARED/amq.sh" start $A_OW $A_ST "$AMQ_DATA" >&2
    sleep 3
    local pid; pid=$("$SHARED/amq.sh" pid "$AMQ_DATA")
    "$SHARED/stompbench.sh" --url 127.0.0.1:$A_ST --count "$COUNT" --warmup "$WARMUP" \
        --broker-pid "$pid" --label activemq --timeout 300 | tail -1 >>"$OUT/runs.jsonl"
    "$SHARED/amq.sh" stop "$AMQ_DATA" >&2
}

for r in $(seq "$ROUNDS"); do
    echo "round $r: ferrum" >&2; run_ferrum
    echo "round $r: activemq" >&2; run_activemq
done
python3 "$(dirname "$0")/median.py" "$OUT/runs.jsonl" | tee "$OUT/summary.md"
