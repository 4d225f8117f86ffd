#!/usr/bin/env bash
# bench/static_bench.sh - static files: Kiln (tests/testapp --static) against
# nginx serving the same folder, in the same run.
#
#   bench/static_bench.sh
#   BENCH_SECONDS=30 bench/static_bench.sh
#
# Both get 2 workers; nginx has sendfile on, etag on, access_log off
# (bench/nginx.conf.in's settings plus a static location). wrk: 2 threads,
# 64 connections, BENCH_SECONDS (default 10) per row. Rows: a 4 KiB and a
# 1 MiB file. Prints req/s, p99 latency and kiln/nginx for each.
#
# Environment: BENCH_SECONDS, BENCH_WORKERS (2), BENCH_CONNS (64), BUILD
# (build), NGINX (/usr/sbin/nginx), WRK (/usr/bin/wrk), BENCH_OUT (a folder
# to keep wrk's outputs in). All traffic stays on 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
DURATION=${BENCH_SECONDS:-10}
WORKERS=${BENCH_WORKERS:-2}
CONNS=${BENCH_CONNS:-64}
NGINX=${NGINX:-/usr/sbin/nginx}
WRK=${WRK:-/usr/bin/wrk}
THREADS=2
APP="$BUILD/tests/testapp"

die() { echo "static_bench: $*" >&2; exit 1; }

[ -x "$NGINX" ] || die "$NGINX not found (apt-get install nginx-light)"
[ -x "$WRK" ] || die "$WRK not found (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 not found"
[ -x "$APP" ] || die "$APP missing (make build)"

TMP=$(mktemp -d /tmp/kiln-static-bench.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ -n "${BENCH_OUT:-}" ]; then
        mkdir -p "$BENCH_OUT" && cp "$TMP"/*.txt "$TMP"/*.log "$BENCH_OUT"/ 2>/dev/null || true
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

# --- the files ----------------------------------------------------------------
mkdir -p "$TMP"/{client_body,proxy,fastcgi,uwsgi,scgi} "$TMP/www"
chmod 755 "$TMP" "$TMP/www" # nginx workers may run as nobody
head -c 4096 /dev/urandom >"$TMP/www/4k.bin"
head -c 1048576 /dev/urandom >"$TMP/www/1m.bin"
chmod 644 "$TMP"/www/*.bin

KPORT=$(free_port)
NPORT=$(free_port)
while [ "$NPORT" = "$KPORT" ]; do NPORT=$(free_port); done
cat >"$TMP/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $WORKERS;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events {
    worker_connections 4096;
    use epoll;
    multi_accept on;
}
http {
    access_log off;
    server_tokens off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    etag on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 1s;
    default_type application/octet-stream;
    client_body_temp_path $TMP/client_body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    server {
        listen 127.0.0.1:$NPORT reuseport backlog=4096;
        location /static/ {
            alias $TMP/www/;
        }
    }
}
CONF

"$APP" --port "$KPORT" --workers "$WORKERS" --static "$TMP/www" >>"$TMP/kiln.log" 2>&1 &
KPID=$!
PIDS+=("$KPID")
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" >>"$TMP/nginx.log" 2>&1 &
NPID=$!
PIDS+=("$NPID")
wait_port "$KPORT" "$KPID" kiln
wait_port "$NPORT" "$NPID" nginx

# sanity: both send the same bytes
for f in 4k.bin 1m.bin; do
    python3 - "$KPORT" "$NPORT" "/static/$f" "$TMP/www/$f" <<'PY' || die "/static/$f: bodies differ"
import socket, sys
def body(port, path):
    s = socket.create_connection(("127.0.0.1", int(port)), 5)
    s.settimeout(5)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    d = b""
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        d += b
    return d.split(b"\r\n\r\n", 1)[1]
want = open(sys.argv[4], "rb").read()
sys.exit(0 if body(sys.argv[1], sys.argv[3]) == want == body(sys.argv[2], sys.argv[3]) else 1)
PY
done

run_wrk() { # name port path
    "$WRK" -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --latency --timeout 10s \
        "http://127.0.0.1:$2$3" >"$TMP/wrk-$1.txt" 2>&1 || die "wrk failed: $(cat "$TMP/wrk-$1.txt")"
}
reqs_per_sec() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
p99_ms() {
    awk '$1 == "99%" {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.2fms", v }' "$1"
}
errors_of() { grep -E 'Non-2xx|Socket errors' "$1" | tr -s ' ' | paste -sd';' - || true; }

LOAD=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD" 'BEGIN { exit !(l > 0.5) }'; then
    echo "static_bench: warning: load average $LOAD before the run" >&2
fi
echo "static files: kiln testapp --static vs nginx $("$NGINX" -v 2>&1 | sed 's|.*/||')," \
     "$WORKERS workers each, wrk $THREADS threads, $CONNS connections, ${DURATION}s per run"
printf '%-10s %12s %10s %12s %10s %11s\n' file "kiln req/s" "kiln p99" "nginx req/s" "nginx p99" "kiln/nginx"
for f in 4k.bin 1m.bin; do
    run_wrk "kiln-$f" "$KPORT" "/static/$f"
    run_wrk "nginx-$f" "$NPORT" "/static/$f"
    kr=$(reqs_per_sec "$TMP/wrk-kiln-$f.txt")
    nr=$(reqs_per_sec "$TMP/wrk-nginx-$f.txt")
    ratio=$(awk -v a="$kr" -v b="$nr" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '%-10s %12.0f %10s %12.0f %10s %11s\n' "$f" "$kr" "$(p99_ms "$TMP/wrk-kiln-$f.txt")" \
        "$nr" "$(p99_ms "$TMP/wrk-nginx-$f.txt")" "$ratio"
    for who in kiln nginx; do
        e=$(errors_of "$TMP/wrk-$who-$f.txt")
        [ -z "$e" ] || echo "  note: $who $f: $e"
    done
    kill -0 "$KPID" 2>/dev/null || die "kiln died during $f: $(tail -5 "$TMP/kiln.log")"
done
