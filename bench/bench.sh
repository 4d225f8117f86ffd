#!/usr/bin/env bash
# bench/bench.sh - Kiln (examples/hello) against nginx, in the same run.
#
#   bench/bench.sh                      # 10 s per measurement, workers = nproc
#   BENCH_SECONDS=30 BENCH_WORKERS=4 bench/bench.sh
#
# Environment:
#   BENCH_SECONDS  duration of each wrk run (default 10)
#   BENCH_WORKERS  Kiln workers = nginx worker_processes (default: nproc)
#   BENCH_CONNS    idle keep-alive connections for the memory test (default 10000)
#   BUILD          build directory (default build)
#   NGINX, WRK     binaries (default /usr/sbin/nginx, /usr/bin/wrk)
#   BENCH_OUT      if set, a folder to copy wrk's raw outputs and the logs into
#
# All traffic stays on 127.0.0.1.  See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
DURATION=${BENCH_SECONDS:-10}
WORKERS=${BENCH_WORKERS:-$(nproc)}
NCONNS=${BENCH_CONNS:-10000}
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-/usr/bin/wrk}
THREADS=2
HELLO="$BUILD/examples/hello"
# Meson builds examples/hello/hello.c into build/examples/hello/hello
[ -d "$HELLO" ] && HELLO="$HELLO/hello"

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$NGINX" ] || die "$NGINX not found (apt-get install nginx-light or nginx)"
[ -x "$WRK" ] || die "$WRK not found (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 not found"
if [ ! -x "$HELLO" ]; then
    echo "bench: $HELLO missing, running make" >&2
    make >&2
    [ -d "$HELLO" ] && HELLO="$HELLO/hello"
fi
[ -x "$HELLO" ] || die "$HELLO still missing after make"

# Many sockets: 10,000 held connections plus wrk's.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((NCONNS + 1000)) ]; then
    echo "bench: fd limit $NOFILE is low for $NCONNS connections" >&2
fi

TMP=$(mktemp -d /tmp/kiln-bench.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        # nginx's master exits on SIGTERM after its workers; give it a moment
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ -n "${BENCH_OUT:-}" ]; then
        mkdir -p "$BENCH_OUT" && cp "$TMP"/*.txt "$TMP"/*.log "$TMP"/*.out "$BENCH_OUT"/ 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # port pid name
    local i
    for i in $(seq 1 100); do
        kill -0 "$2" 2>/dev/null || die "$3 exited at start (see $TMP)"
        if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    die "$3 does not accept on port $1"
}

rss_kb() { # pid -> VmRSS in kB of that process only
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

rss_tree_kb() { # pid -> VmRSS of the process plus its children (nginx workers)
    local total c
    total=$(rss_kb "$1")
    for c in $(pgrep -P "$1" || true); do
        total=$((total + $(rss_kb "$c" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# --- servers ----------------------------------------------------------------
mkdir -p "$TMP"/{client_body,proxy,fastcgi,uwsgi,scgi}
# nginx drops privileges to "nobody" when started as root; let it in.
chmod 755 "$TMP"
WORKER_CONNECTIONS=$((NCONNS + 4096))

# start_servers: fresh Kiln and nginx on free ports; sets KPORT KPID NPORT NPID
start_servers() {
    KPORT=$(free_port)
    NPORT=$(free_port)
    while [ "$NPORT" = "$KPORT" ]; do NPORT=$(free_port); done
    sed -e "s|@WORKERS@|$WORKERS|g" -e "s|@PORT@|$NPORT|g" -e "s|@TMP@|$TMP|g" \
        -e "s|@NOFILE@|$NOFILE|g" -e "s|@WORKER_CONNECTIONS@|$WORKER_CONNECTIONS|g" \
        "$HERE/nginx.conf.in" >"$TMP/nginx.conf"
    "$HELLO" --port "$KPORT" --workers "$WORKERS" >>"$TMP/kiln.log" 2>&1 &
    KPID=$!
    PIDS+=("$KPID")
    "$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" >>"$TMP/nginx.out" 2>&1 &
    NPID=$!
    PIDS+=("$NPID")
    wait_port "$KPORT" "$KPID" kiln
    wait_port "$NPORT" "$NPID" nginx
}

stop_servers() {
    local p
    kill "$KPID" "$NPID" 2>/dev/null || true
    for p in "$KPID" "$NPID"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
}

start_servers

# sanity: both answer the same bodies
body_of() { # port path -> response body
    python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(5)
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % sys.argv[2]).encode())
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
print(d.split(b"\r\n\r\n", 1)[-1].decode())
EOF
}
for path in /plaintext /json; do
    kb=$(body_of "$KPORT" "$path")
    nb=$(body_of "$NPORT" "$path")
    [ -n "$kb" ] && [ "$kb" = "$nb" ] || die "$path: kiln says '$kb', nginx says '$nb'"
done

# --- throughput ------------------------------------------------------------
# run_wrk name port conns path [pipeline] -> writes $TMP/wrk-name.txt
run_wrk() {
    local out="$TMP/wrk-$1.txt" args=()
    if [ "${5:-}" = pipeline ]; then
        args=(-s "$HERE/pipeline.lua")
    fi
    "$WRK" -t "$THREADS" -c "$3" -d "${DURATION}s" --latency --timeout 10s \
        "${args[@]}" "http://127.0.0.1:$2$4" ${5:+-- 16} >"$out" 2>&1 ||
        die "wrk failed: $(cat "$out")"
}

reqs_per_sec() { awk '/^Requests\/sec:/ {print $2}' "$1"; }

p99_ms() { # the 99% line of --latency, converted to ms
    awk '$1 == "99%" {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        if (v > 0) printf "%.2fms", v; else printf "n/a" }' "$1"
}

errors_of() { # "Non-2xx" and socket error lines, if any
    grep -E 'Non-2xx|Socket errors' "$1" | tr -s ' ' | paste -sd';' - || true
}

LOAD=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench: warning: load average $LOAD before the run; other work on the machine skews the numbers" >&2
fi
echo "Kiln examples/hello vs nginx $("$NGINX" -v 2>&1 | sed 's|.*/||')," \
     "$WORKERS workers each, wrk $THREADS threads, ${DURATION}s per run, 127.0.0.1"
echo
ROWS=("plaintext-pipelined:256:/plaintext:pipeline" "plaintext:64:/plaintext:" "json:64:/json:")
printf '%-26s %12s %10s %12s %10s %11s\n' row "kiln req/s" "kiln p99" "nginx req/s" "nginx p99" "kiln/nginx"
NOTES=()
for row in "${ROWS[@]}"; do
    IFS=: read -r name conns path mode <<<"$row"
    run_wrk "kiln-$name" "$KPORT" "$conns" "$path" "$mode"
    run_wrk "nginx-$name" "$NPORT" "$conns" "$path" "$mode"
    kr=$(reqs_per_sec "$TMP/wrk-kiln-$name.txt")
    nr=$(reqs_per_sec "$TMP/wrk-nginx-$name.txt")
    kp=$(p99_ms "$TMP/wrk-kiln-$name.txt")
    np=$(p99_ms "$TMP/wrk-nginx-$name.txt")
    ratio=$(awk -v a="$kr" -v b="$nr" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '%-26s %12.0f %10s %12.0f %10s %11s\n' "$name ($conns)" "$kr" "$kp" "$nr" "$np" "$ratio"
    for who in kiln nginx; do
        e=$(errors_of "$TMP/wrk-$who-$name.txt")
        [ -z "$e" ] || NOTES+=("$who $name: $e")
    done
    kill -0 "$KPID" 2>/dev/null || die "kiln died during $name: $(tail -5 "$TMP/kiln.log")"
done
for n in "${NOTES[@]}"; do echo "  note: $n"; done

# --- memory: idle and with NCONNS idle keep-alive connections -------------
# hold port: starts hold_conns.py, waits for "ready"; sets HOLD_PID, HELD
hold() {
    local f="$TMP/hold-$1.out" i
    python3 "$HERE/hold_conns.py" "$1" "$NCONNS" /plaintext >"$f" 2>&1 &
    HOLD_PID=$!
    PIDS+=("$HOLD_PID")
    for i in $(seq 1 1500); do
        if grep -q '^ready' "$f" 2>/dev/null; then
            HELD=$(sed -n 's/^ready //p' "$f")
            return 0
        fi
        kill -0 "$HOLD_PID" 2>/dev/null || die "hold_conns.py failed: $(cat "$f")"
        sleep 0.1
    done
    die "hold_conns.py did not finish opening $NCONNS connections"
}

unhold() {
    kill "$HOLD_PID" 2>/dev/null || true
    wait "$HOLD_PID" 2>/dev/null || true
}

# Fresh processes, so that the throughput runs above do not count.
stop_servers
start_servers
sleep 1
KILN_IDLE=$(rss_kb "$KPID")
NGINX_IDLE=$(rss_tree_kb "$NPID")

echo
hold "$KPORT"
KHELD=$HELD
sleep 1
KILN_10K=$(rss_kb "$KPID")
unhold
hold "$NPORT"
NHELD=$HELD
sleep 1
NGINX_10K=$(rss_tree_kb "$NPID")
unhold

per_conn() { awk -v a="$1" -v b="$2" -v n="$NCONNS" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }'; }
printf '%-8s %12s %22s %18s   %s\n' server "idle RSS" "RSS, $NCONNS conns" "bytes/connection" "connections answered"
printf '%-8s %9d kB %19d kB %18s   %s\n' kiln "$KILN_IDLE" "$KILN_10K" "$(per_conn "$KILN_IDLE" "$KILN_10K")" "$KHELD"
printf '%-8s %9d kB %19d kB %18s   %s\n' nginx "$NGINX_IDLE" "$NGINX_10K" "$(per_conn "$NGINX_IDLE" "$NGINX_10K")" "$NHELD"
echo "(kiln: VmRSS of its single process, idle = 1 s after a fresh start;"
echo " nginx: master + workers summed, for reference)"
