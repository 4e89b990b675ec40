#!/usr/bin/env bash
# Side-by-side benchmark: non-persistent queue, 1 KiB messages, 1 producer /
# 1 consumer, Ferrum vs ActiveMQ 5.17.2, same load generator, same run.
# PROTO=stomp (default) uses shared/bench/stompbench.sh (a raw-socket Java
# client); PROTO=openwire uses shared/bench/jmsbench.sh (the real
# activemq-client). Brokers alternate (F A F A ...), each run on a freshly
# started broker.
#
#   [PROTO=openwire] interop-tests/bench/stomp_queue.sh [ROUNDS] [COUNT]
#
# Prints one JSON line per run and a median table; the runs are kept in
# $OUT (default target/bench/<proto>_queue-<time>/runs.jsonl).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared/bench}"
ROUNDS="${1:-3}"
COUNT="${2:-500000}"
WARMUP="${WARMUP:-50000}"
PROTO="${PROTO:-stomp}"
OUT="${OUT:-$ROOT/target/bench/${PROTO}_queue-$(date +%Y%m%d-%H%M%S)}"
F_PORT=62813; F_OW=62817; A_OW=62816; A_ST=62814
if [ "$PROTO" = openwire ]; then
    GEN=jmsbench.sh; F_URL=tcp://127.0.0.1:$F_OW; A_URL=tcp://127.0.0.1:$A_OW
else
    GEN=stompbench.sh; F_URL=127.0.0.1:$F_PORT; A_URL=127.0.0.1:$A_ST
fi
AMQ_DATA=/tmp/ferrum-bench-amq
mkdir -p "$OUT"
[ -x "$SHARED/$GEN" ] || { echo "needs $SHARED (the shared bench harness)"; exit 1; }
(cd "$ROOT" && cargo build --release --bin ferrum >&2)

run_ferrum() {
    local data; data=$(mktemp -d)
    "$ROOT/target/release/ferrum" --bind 127.0.0.1 --stomp-port $F_PORT --openwire-port $F_OW \
        --data-dir "$data" >"$OUT/ferrum.log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do ss -Hltn "sport = :$F_OW" | grep -q . && break; sleep 0.05; done
    sleep 1
    "$SHARED/$GEN" --url "$F_URL" --count "$COUNT" --warmup "$WARMUP" \
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
    "$SHARED/$GEN" --url "$A_URL" --count "$COUNT" --warmup "$WARMUP" \
        --broker-pid "$pid" --label activemq --timeout 300 | tail -1 >>"$OUT/runs.jsonl"
    "$SHARED/amq.sh" stop "$AMQ_DATA" >&2
}

for r in $(seq "$ROUNDS"); do
    echo "round $r: ferrum" >&2; run_ferrum
    echo "round $r: activemq" >&2; run_activemq
done
python3 "$(dirname "$0")/median.py" "$OUT/runs.jsonl" | tee "$OUT/summary.md"
