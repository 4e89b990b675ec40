#!/usr/bin/env bash
# Differences from ActiveMQ 5.17.2 in one command: runs the interop suite
# once against a reference ActiveMQ 5.17.2 and once against Ferrum, and
# lists every test whose outcome differs.
#
#   interop-tests/differ.sh [-v] [PYTEST ARGS...]      e.g.  differ.sh -k selector
#
#  1. cargo build --release --bin ferrum
#  2. a fresh ActiveMQ 5.17.2 (/work/shared/bench/amq.sh, Debian's activemq
#     package) on free loopback ports, its data dir wiped first; stopped on
#     exit whatever happens
#  3. the suite against it (INTEROP_BROKER + INTEROP_OPENWIRE), then the
#     broker stopped, then the suite against Ferrum (FERRUM_BIN); PYTEST
#     ARGS go to both runs
#  4. interop-tests/differ.py compares the two junit-xml reports per test
#
# -v (or DIFFER_VERBOSE=1) lists the tests that ran on one side only and
# streams pytest's output; otherwise it goes to the logs only. (-v is this
# script's; pytest's own --verbose is passed through.)
#
# Exit status: 0 when no test that ran on both sides differs, 1 when one
# does, 2 when the comparison could not be made or is incomplete (build
# failed, the broker did not start, a run timed out or pytest itself failed).
#
# Environment:
#   DIFFER_OUT      where reports, logs and the broker's data go
#                   (default target/differ; wiped per run)
#   DIFFER_TIMEOUT  seconds allowed for each half (default 2400)
#   AMQ_SH          the ActiveMQ launcher (default /work/shared/bench/amq.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

PY=/usr/bin/python3
AMQ_SH="${AMQ_SH:-/work/shared/bench/amq.sh}"
OUT="${DIFFER_OUT:-$ROOT/target/differ}"
HALF_TIMEOUT="${DIFFER_TIMEOUT:-2400}"
VERBOSE="${DIFFER_VERBOSE:-}"
[ "$VERBOSE" = 0 ] && VERBOSE=

PYTEST_ARGS=()
for a in "$@"; do
    if [ "$a" = -v ]; then VERBOSE=1; else PYTEST_ARGS+=("$a"); fi
done

die() { echo "differ.sh: $*" >&2; exit 2; }
[ -x "$AMQ_SH" ] || die "no ActiveMQ launcher at $AMQ_SH"
[ -f /usr/share/activemq/bin/activemq.jar ] || die "ActiveMQ is not installed (apt-get install activemq libactivemq-java)"

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
exec 9>"$OUT/.lock"
flock -n 9 || die "another differ.sh is using $OUT (set DIFFER_OUT to run two at once)"
AMQ_DATA="$OUT/amq-data"

AMQ_STARTED=
CHILD=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
        kill -INT "$CHILD" 2>/dev/null || true          # timeout passes it on to pytest
        for _ in $(seq 100); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$CHILD" 2>/dev/null || true
    fi
    if [ -n "$AMQ_STARTED" ]; then
        "$AMQ_SH" stop "$AMQ_DATA" >/dev/null || echo "differ.sh: could not stop ActiveMQ ($AMQ_DATA)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fmt_secs() { printf '%dm%02ds' $(( $1 / 60 )) $(( $1 % 60 )); }

# Two free loopback ports outside the ephemeral range, so no client socket of
# the run can take one before the broker binds it.
free_ports() {
    "$PY" - <<'EOF'
import random, socket
found = []
while len(found) < 2:
    port = random.randint(20000, 32000)
    if port in found:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        found.append(port)
    except OSError:
        pass
    finally:
        s.close()
print(*found)
EOF
}

# run_half NAME ENV... : the suite with the given environment, bounded.
# Leaves RC and SECS set; the report is $OUT/NAME.xml, the output $OUT/NAME.log.
run_half() {
    local name="$1"; shift
    local t0=$SECONDS
    rm -f "$OUT/$name.xml"
    : > "$OUT/$name.log"
    echo "== the interop suite against $name (log: $OUT/$name.log)"
    timeout -s INT -k 60 "$HALF_TIMEOUT" \
        env "$@" "$PY" -m pytest -q interop-tests -p no:cacheprovider \
        --junitxml="$OUT/$name.xml" ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"} \
        > "$OUT/$name.log" 2>&1 < /dev/null 9>&- &
    CHILD=$!
    if [ -n "$VERBOSE" ]; then
        tail -n +1 --pid="$CHILD" -f "$OUT/$name.log" &
    fi
    RC=0
    wait "$CHILD" || RC=$?
    CHILD=
    wait 2>/dev/null || true                               # the tail, if any
    SECS=$(( SECONDS - t0 ))
    echo "   $(tail -n 1 "$OUT/$name.log")  [$(fmt_secs "$SECS")]"
    case "$RC" in
    0|1) ;;
    124|137) echo "differ.sh: the run against $name did not finish in ${HALF_TIMEOUT}s" >&2 ;;
    *) echo "differ.sh: pytest against $name exited $RC (see $OUT/$name.log)" >&2 ;;
    esac
}

echo "== cargo build --release --bin ferrum"
cargo build --release --bin ferrum 9>&- || die "the build failed"
FERRUM_BIN="$ROOT/target/release/ferrum"

PORTS="$(free_ports)" || die "could not find free ports"
read -r OW_PORT STOMP_PORT <<< "$PORTS"
"$AMQ_SH" stop "$AMQ_DATA" >/dev/null 2>&1 || true   # a broker a killed run left behind
rm -rf -- "$AMQ_DATA"
echo "== ActiveMQ 5.17.2 on 127.0.0.1, OpenWire $OW_PORT, STOMP $STOMP_PORT (data: $AMQ_DATA)"
AMQ_STARTED=1
"$AMQ_SH" start "$OW_PORT" "$STOMP_PORT" "$AMQ_DATA" 9>&- || die "ActiveMQ did not start (see $AMQ_DATA/broker.out)"

run_half activemq INTEROP_BROKER="127.0.0.1:$STOMP_PORT" INTEROP_OPENWIRE="127.0.0.1:$OW_PORT" \
    FERRUM_BIN="$FERRUM_BIN"
AMQ_RC=$RC AMQ_SECS=$SECS
"$AMQ_SH" stop "$AMQ_DATA" >/dev/null || echo "differ.sh: could not stop ActiveMQ" >&2
AMQ_STARTED=

run_half ferrum -u INTEROP_BROKER -u INTEROP_OPENWIRE FERRUM_BIN="$FERRUM_BIN"
FER_RC=$RC FER_SECS=$SECS

echo "== ActiveMQ half $(fmt_secs "$AMQ_SECS"), Ferrum half $(fmt_secs "$FER_SECS")"
echo
DIFF_RC=0
"$PY" "$ROOT/interop-tests/differ.py" ${VERBOSE:+-v} "$OUT/activemq.xml" "$OUT/ferrum.xml" || DIFF_RC=$?
case "$AMQ_RC$FER_RC" in
[01][01]) exit "$DIFF_RC" ;;
*) echo "differ.sh: incomplete: a run did not end normally (ActiveMQ: exit $AMQ_RC, Ferrum: exit $FER_RC)" >&2
   exit 2 ;;
esac
