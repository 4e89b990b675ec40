#!/usr/bin/env bash
# Regenerate the OpenWire wire captures in proto-fixtures/openwire/ from scratch.
#
#   proto-fixtures/capture/capture.sh            # everything (about 2-3 minutes)
#   ONLY='handshake|keepalive' capture.sh         # only scenarios whose base name matches (regex);
#                                                 # others already in openwire/ are kept
#
# What it does: compiles capture/java/*.java (+ tools/OwDump.java) against Debian's
# activemq-client 5.17.2 jars, starts a fresh reference ActiveMQ 5.17.2 broker
# (shared/bench/amq.sh, stock config) on loopback, and for every scenario in
# capture/scenarios.txt x encoding starts capture/record_proxy.py in front of the broker,
# runs the Java scenario through it, and stops the proxy. The network-bridge scenarios start
# two or three more brokers (A bridges to B through the proxy; B to C directly). Captures are staged in a scratch dir,
# checked (every stream must decode completely with the reference OpenWireFormat, every
# .c2s.bin must start with a WireFormatInfo frame), summarised into openwire/INDEX.md and
# per-stream frame listings, and only then replace the files in openwire/ (all-or-nothing
# unless CAPTURE_PARTIAL=1). Every broker and proxy it started is stopped on exit.
#
# Environment (defaults are fixed loopback ports in the 63xxx range):
#   CAP_OW_PORT=63616 CAP_STOMP_PORT=63613 CAP_PROXY_PORT=63617      main broker + proxy
#   CAP_B_OW_PORT=63626 CAP_B_STOMP_PORT=63623 CAP_BRIDGE_PROXY_PORT=63627  bridge broker B + proxy
#   CAP_C_OW_PORT=63646 CAP_C_STOMP_PORT=63643                        bridge broker C (network-bridge-chain)
#   CAP_A_OW_PORT=63636 CAP_A_STOMP_PORT=63633                        bridge broker A
#   CAP_STEP_TIMEOUT=120   seconds allowed per scenario run / broker start / stop
#   CAP_SCRATCH            scratch dir (default: mktemp -d under $TMPDIR or /tmp; removed on exit)
#   CAP_KEEP_SCRATCH=1     keep the scratch dir (broker logs, proxy logs) for debugging
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="$(cd "$HERE/.." && pwd)"
OUT="$FIXTURES/openwire"
AMQ_SH="${AMQ_SH:-$(cd "$FIXTURES/../../shared/bench" 2>/dev/null && pwd)/amq.sh}"
[ -x "$AMQ_SH" ] || AMQ_SH=/work/shared/bench/amq.sh
STOCK_XML="$(dirname "$AMQ_SH")/amq-instance/activemq.xml"

OW=${CAP_OW_PORT:-63616}; ST=${CAP_STOMP_PORT:-63613}; PX=${CAP_PROXY_PORT:-63617}
B_OW=${CAP_B_OW_PORT:-63626}; B_ST=${CAP_B_STOMP_PORT:-63623}; BPX=${CAP_BRIDGE_PROXY_PORT:-63627}
C_OW=${CAP_C_OW_PORT:-63646}; C_ST=${CAP_C_STOMP_PORT:-63643}
A_OW=${CAP_A_OW_PORT:-63636}; A_ST=${CAP_A_STOMP_PORT:-63633}
STEP_TIMEOUT=${CAP_STEP_TIMEOUT:-120}
ONLY="${ONLY:-}"

JARS="activemq-client.jar geronimo-jms_1.1_spec.jar geronimo-j2ee-management-1.1-spec.jar hawtbuf.jar slf4j-api.jar slf4j-nop.jar geronimo-jta-1.2-spec.jar"
CP=""
for j in $JARS; do
    [ -f "/usr/share/java/$j" ] || { echo "capture.sh: missing /usr/share/java/$j (apt-get install libactivemq-java libgeronimo-jta-1.2-spec-java)" >&2; exit 1; }
    CP="$CP:/usr/share/java/$j"
done
CP="${CP#:}"
# Stable-looking ids on the wire: "ID:ferrum-client-<port>-<millis>-..." instead of the host name.
CLIENT_JAVA_OPTS="-Dactivemq.idgenerator.hostname=ferrum-client -Dactivemq.idgenerator.localport=1 -Dcap.timeout.s=$((STEP_TIMEOUT - 10))"
export AMQ_KAHADB_SYNC=never       # scratch brokers: no fsync (does not change the wire bytes)
export AMQ_START_TIMEOUT=$STEP_TIMEOUT

T0=$(date +%s)
log() { printf '[capture %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

if [ -n "${CAP_SCRATCH:-}" ]; then SCRATCH="$CAP_SCRATCH"; mkdir -p "$SCRATCH"
else SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/ferrum-owcap.XXXXXX")"; fi
BUILD="$SCRATCH/build"; STAGE="$SCRATCH/openwire"; LOGS="$SCRATCH/logs"
rm -rf "$BUILD" "$STAGE" "$LOGS"
mkdir -p "$BUILD" "$STAGE" "$LOGS"

BROKERS=()      # data dirs of brokers we started
PROXY_PID=""
cleanup() {
    local rc=$?
    stop_proxy || true
    for d in "${BROKERS[@]}"; do
        timeout "$STEP_TIMEOUT" "$AMQ_SH" stop "$d" >/dev/null 2>&1 || true
    done
    if [ "${CAP_KEEP_SCRATCH:-0}" = 1 ] || [ $rc -ne 0 ]; then
        log "scratch kept: $SCRATCH"
    else
        rm -rf "$SCRATCH"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
for p in "$OW" "$ST" "$PX" "$B_OW" "$B_ST" "$BPX" "$A_OW" "$A_ST" "$C_OW" "$C_ST"; do
    port_free "$p" || { echo "capture.sh: port $p is in use (override with CAP_*_PORT)" >&2; exit 1; }
done

# ---------------------------------------------------------------------------- compile
log "compiling scenarios"
timeout "$STEP_TIMEOUT" javac -nowarn -Xlint:-options -encoding UTF-8 -cp "$CP" -d "$BUILD" "$HERE"/java/*.java "$HERE"/tools/*.java

# ---------------------------------------------------------------------------- helpers
start_broker() { # data_dir ow stomp [xml] [broker-host-id]
    local data="$1" ow="$2" st="$3" xml="${4:-$STOCK_XML}" host="${5:-ferrum-broker}"
    BROKERS+=("$data")
    AMQ_JAVA_OPTS="-Xms64M -Xmx512M -Dactivemq.idgenerator.hostname=$host -Dactivemq.idgenerator.localport=1" \
        timeout "$STEP_TIMEOUT" "$AMQ_SH" start "$ow" "$st" "$data" "$xml" >"$LOGS/$(basename "$data").start.log" 2>&1 \
        || { cat "$LOGS/$(basename "$data").start.log" >&2; return 1; }
}
stop_broker() {
    timeout "$STEP_TIMEOUT" "$AMQ_SH" stop "$1" >/dev/null 2>&1 || true
}

start_proxy() { # scenario options notes LISTEN_PORT=TARGET_PORT...
    local scen="$1" opts="$2" notes="$3" ready="$SCRATCH/proxy.ready" r routes=()
    shift 3
    for r in "$@"; do routes+=(--route "127.0.0.1:${r%%=*}=127.0.0.1:${r#*=}"); done
    rm -f "$ready"
    python3 "$HERE/record_proxy.py" "${routes[@]}" \
        --outdir "$STAGE" --scenario "$scen" --client-url-options "$opts" --notes "$notes" \
        --ready-file "$ready" --drain-timeout 10 >>"$LOGS/proxy.log" 2>&1 &
    PROXY_PID=$!
    for _ in $(seq 100); do
        [ -s "$ready" ] && return 0
        kill -0 "$PROXY_PID" 2>/dev/null || { echo "proxy died" >&2; tail "$LOGS/proxy.log" >&2; return 1; }
        sleep 0.1
    done
    echo "proxy not ready after 10s" >&2; return 1
}
stop_proxy() {
    [ -n "$PROXY_PID" ] || return 0
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=""
}

enc_options() {
    case "$1" in
        tight-cache)   echo "" ;;
        tight-nocache) echo "wireFormat.cacheEnabled=false" ;;
        loose-cache)   echo "wireFormat.tightEncodingEnabled=false" ;;
        loose-nocache) echo "wireFormat.tightEncodingEnabled=false&wireFormat.cacheEnabled=false" ;;
        v9|v10|v11)    echo "wireFormat.version=${1#v}" ;;
        *) echo "unknown encoding $1" >&2; return 1 ;;
    esac
}
join_opts() { local a="$1" b="$2"; if [ -n "$a" ] && [ -n "$b" ]; then echo "$a&$b"; else echo "$a$b"; fi; }

FAILED=()
RAN=()
run_java() { # scenario log-name class args...
    local scen="$1"; shift
    local cls="$1"; shift
    # shellcheck disable=SC2086
    if timeout "$STEP_TIMEOUT" java $CLIENT_JAVA_OPTS -cp "$BUILD:$CP" "$cls" "$@" >"$LOGS/$scen.java.log" 2>&1; then
        return 0
    else
        local rc=$?
        echo "---- $scen failed (rc=$rc):" >&2; tail -20 "$LOGS/$scen.java.log" >&2
        return 1
    fi
}

# Network bridge: broker config generated from the stock one.
bridge_xml() { # out name [networkConnector uri ["attr=value attr=value"]]
    python3 - "$STOCK_XML" "$1" "$2" "${3:-}" "${4:-}" <<'EOF'
import sys, html
src, out, name, uri, attrs = sys.argv[1:6]
x = open(src).read()
x = x.replace('brokerName="bench"', f'brokerName="{name}"', 1)
if uri:
    kv = dict(a.partition("=")[::2] for a in attrs.split())
    kv.setdefault("name", "ferrum-bridge")
    extra = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in kv.items() if k != "name")
    nc = ('        <networkConnectors>\n'
          f'            <networkConnector name="{html.escape(kv["name"], quote=True)}" uri="{html.escape(uri, quote=True)}"{extra}/>\n'
          '        </networkConnectors>\n\n')
    x = x.replace('        <persistenceAdapter>', nc + '        <persistenceAdapter>', 1)
open(out, "w").write(x)
EOF
    cp "$(dirname "$STOCK_XML")/log4j.properties" "$(dirname "$1")/" 2>/dev/null || true
}

run_bridge() { # scenario enc_options "networkConnector attrs" notes
    # Broker A (producer side) has <networkConnector uri="static:(tcp://PROXY)"> to broker B;
    # the proxy records that connection. Attribute token "chain" adds broker C (consumer side):
    # B bridges to C directly (not recorded) and both connectors get networkTTL=2, so B's
    # advisories seen by A carry C's network consumer (brokerPath, NetworkBridgeFilter).
    local scen="$1" opts="$2" attrs="$3" notes="$4" inner uri chain=0 a out=""
    for a in $attrs; do
        if [ "$a" = chain ]; then chain=1; out="${out:+$out }networkTTL=2"; else out="${out:+$out }$a"; fi
    done
    attrs="$out"
    inner="tcp://127.0.0.1:$BPX"; [ -n "$opts" ] && inner="$inner?$opts"
    uri="static:($inner)"
    local conf="$SCRATCH/conf-$scen"; mkdir -p "$conf"
    local da="$SCRATCH/data-$scen-a" db="$SCRATCH/data-$scen-b" dc="$SCRATCH/data-$scen-c"
    bridge_xml "$conf/broker-a.xml" ferrum-capture-a "$uri" "$attrs"
    local consumer_url="tcp://127.0.0.1:$B_OW"
    if [ $chain = 1 ]; then
        bridge_xml "$conf/broker-c.xml" ferrum-capture-c
        bridge_xml "$conf/broker-b.xml" ferrum-capture-b "static:(tcp://127.0.0.1:$C_OW)" "name=ferrum-bridge-b-c networkTTL=2"
        start_broker "$dc" "$C_OW" "$C_ST" "$conf/broker-c.xml" ferrum-broker-c || return 1
        consumer_url="tcp://127.0.0.1:$C_OW"
    else
        bridge_xml "$conf/broker-b.xml" ferrum-capture-b
    fi
    start_broker "$db" "$B_OW" "$B_ST" "$conf/broker-b.xml" ferrum-broker-b || return 1
    start_proxy "$scen" "networkConnector uri=$uri${attrs:+; $attrs}" "$notes" "$BPX=$B_OW" || return 1
    start_broker "$da" "$A_OW" "$A_ST" "$conf/broker-a.xml" ferrum-broker-a || return 1
    local ok=0
    run_java "$scen" NetworkBridge "tcp://127.0.0.1:$A_OW" "$consumer_url" "$scen" || ok=1
    stop_broker "$da"      # A ends the recorded bridge connection
    sleep 0.5
    stop_proxy
    stop_broker "$db"
    [ $chain = 1 ] && stop_broker "$dc"
    return $ok
}

# ---------------------------------------------------------------------------- scenarios
log "starting reference broker on $OW"
start_broker "$SCRATCH/data-main" "$OW" "$ST"

while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    IFS='|' read -r base prog encs extra desc _ <<<"$line"
    base="$(echo "$base" | xargs)"; prog="$(echo "$prog" | xargs)"; encs="$(echo "$encs" | xargs)"
    extra="$(echo "$extra" | xargs)"; desc="$(echo "$desc" | sed 's/^ *//; s/ *$//')"
    if [ -n "$ONLY" ] && ! [[ "$base" =~ ^($ONLY)$ ]]; then continue; fi
    for enc in ${encs//,/ }; do
        scen="$base-$enc"
        RAN+=("$scen")
        if [ "$prog" = NetworkBridge ]; then
            opts="$(enc_options "$enc")"
            log "scenario $scen  [networkConnector: ${opts:-defaults}${extra:+; $extra}]"
            run_bridge "$scen" "$opts" "$extra" "$desc" || FAILED+=("$scen")
            continue
        fi
        opts="$(join_opts "$(enc_options "$enc")" "$extra")"
        log "scenario $scen  ${opts:+[$opts]}"
        url="tcp://127.0.0.1:$PX"; [ -n "$opts" ] && url="$url?$opts"
        start_proxy "$scen" "$opts" "$desc" "$PX=$OW" || { FAILED+=("$scen"); continue; }
        run_java "$scen" "$prog" "$url" "$enc" || FAILED+=("$scen")
        stop_proxy
    done
done < "$HERE/scenarios.txt"

stop_broker "$SCRATCH/data-main"

# ---------------------------------------------------------------------------- check + index
log "decoding and checking ${#RAN[@]} scenario runs"
# shellcheck disable=SC2086
if ! timeout "$STEP_TIMEOUT" java -cp "$BUILD:$CP" OwDump --check --listings "$STAGE" >"$LOGS/owdump.log" 2>&1; then
    cat "$LOGS/owdump.log" >&2
    FAILED+=("decode-check")
fi
for s in "${RAN[@]}"; do
    ls "$STAGE/$s"-*.c2s.bin >/dev/null 2>&1 || { echo "no capture for $s" >&2; FAILED+=("$s(no-capture)"); }
done

if [ ${#FAILED[@]} -gt 0 ] && [ "${CAP_PARTIAL:-0}" != 1 ]; then
    log "FAILED: ${FAILED[*]} -- openwire/ left unchanged (CAP_PARTIAL=1 to install anyway)"
    exit 1
fi

# install: replace the files of the scenarios that ran (all of them unless ONLY was given)
mkdir -p "$OUT"
if [ -z "$ONLY" ]; then
    find "$OUT" -maxdepth 1 -type f \( -name '*.bin' -o -name '*.json' -o -name '*.frames.txt' \) -delete
else
    for s in "${RAN[@]}"; do rm -f "$OUT/$s"-[0-9]*.*; done
fi
cp "$STAGE"/* "$OUT"/
python3 "$HERE/make_index.py" "$OUT" "$HERE/scenarios.txt" >"$OUT/INDEX.md"
log "installed $(find "$OUT" -maxdepth 1 -name '*.bin' | wc -l) capture files ($(du -sh "$OUT" | cut -f1)) in $OUT"
[ ${#FAILED[@]} -eq 0 ] || { log "FAILED: ${FAILED[*]}"; exit 1; }
log "done in $(( $(date +%s) - T0 ))s"
