#!/usr/bin/env python3
"""WebSocket echo: Kiln against Node's ws and Django Channels, in one run.

    bench/ws_bench.py [--build DIR] [--seconds N] [--conns N] [--idle N]

Each server runs as one process with one thread of work (Kiln
--workers 1; Node is single-threaded; daphne is one process), on
127.0.0.1, echoing every message (tests/testapp's /ws/echo; bench/ws/
server.js on ws from bench/ws's lock file; bench/channels/echo_asgi.py on
daphne). bench/ws_load.c opens --conns WebSockets and keeps one 32-byte
text message in flight on each (then eight, a pipelined row), for
--seconds after a warm-up. For every row the table gives messages/s, the
p99 round trip, the CPU the server used per second, and the CPU the load
client used: a client well under one core was not the bottleneck.

Then memory: each server is started again, --idle WebSockets are opened
and left idle, and the growth of the server's RSS divided by their number
is the memory per idle WebSocket (Channels gets a fifth of them: daphne
accepts slowly).

Needs: build/bench/ws_load and build/tests/testapp (meson), node + npm
(`npm ci` runs in bench/ws when node_modules is missing), daphne and
python3-django-channels (scripts/deps.sh bench).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, limit=20):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited: %r" % proc.args)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not listen: %r" % proc.args)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Servers:
    def __init__(self, build, logdir):
        self.build = build
        self.logdir = logdir

    def start(self, name):
        port = free_port()
        log = open(os.path.join(self.logdir, name + ".log"), "ab")
        env = dict(os.environ)
        if name == "kiln":
            cmd = [os.path.join(self.build, "tests", "testapp"), "--port", str(port),
                   "--workers", "1", "--ws-ping-interval-ms", "0",
                   "--ws-idle-timeout-ms", "0"]
            cwd = ROOT
        elif name == "node-ws":
            cmd = ["node", "server.js", str(port)]
            cwd = os.path.join(ROOT, "bench", "ws")
        else:
            cmd = [shutil.which("daphne") or "/usr/bin/daphne", "-b", "127.0.0.1",
                   "-p", str(port), "--verbosity", "0", "echo_asgi:application"]
            cwd = os.path.join(ROOT, "bench", "channels")
            env["PYTHONPATH"] = cwd
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=log)
        wait_port(port, proc)
        return proc, port


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def load(build, port, conns, seconds, depth):
    out = subprocess.run([os.path.join(build, "bench", "ws_load"), str(port), "/ws/echo",
                          str(conns), str(seconds), "32", str(depth)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=seconds + 120)
    if out.returncode != 0:
        raise SystemExit("ws_load failed: %s" % out.stderr.decode())
    return json.loads(out.stdout)


def idle_memory(srv, name, n):
    """Bytes of server RSS per idle WebSocket, over n of them."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    proc, port = srv.start(name)
    try:
        warm = []
        for _ in range(20):  # the first connections pay for pools and imports
            warm.append(open_ws(port))
        for k in warm:
            k.close()
        time.sleep(1)
        before = rss_kib(proc.pid)
        socks = []
        for base in range(0, n, 250):
            batch = []
            for _ in range(min(250, n - base)):
                k = socket.create_connection(("127.0.0.1", port), timeout=30)
                k.sendall(handshake(port))
                batch.append(k)
            for k in batch:
                read_101(k)
                socks.append(k)
        time.sleep(2)
        after = rss_kib(proc.pid)
        for k in socks:
            k.close()
        return (after - before) * 1024.0 / n, before, after
    finally:
        stop(proc)


def handshake(port):
    return ("GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % port).encode()


def read_101(k):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = k.recv(4096)
        if not chunk:
            raise SystemExit("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit("no 101: %r" % head[:60])


def open_ws(port):
    k = socket.create_connection(("127.0.0.1", port), timeout=30)
    k.sendall(handshake(port))
    read_101(k)
    return k


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    ap.add_argument("--conns", type=int, default=100)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--only", help="comma-separated: kiln,node-ws,channels")
    opts = ap.parse_args()
    build = os.path.abspath(opts.build)
    if not os.path.isdir(os.path.join(ROOT, "bench", "ws", "node_modules")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                       cwd=os.path.join(ROOT, "bench", "ws"), check=True)
    names = (opts.only or "kiln,node-ws,channels").split(",")
    logdir = tempfile.mkdtemp(prefix="kiln-ws-bench-")
    srv = Servers(build, logdir)
    rows = []
    for depth in (1, 8):
        for name in names:
            proc, port = srv.start(name)
            try:
                c0 = cpu_seconds(proc.pid)
                t0 = time.monotonic()
                r = load(build, port, opts.conns, opts.seconds, depth)
                r["server_cpu"] = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
            finally:
                stop(proc)
            r["name"], r["depth"] = name, depth
            rows.append(r)
            print("# %-8s depth %d: %9.0f msg/s  p99 %6.2f ms  server cpu %.2f  client cpu %.2f"
                  "  errors %d" % (name, depth, r["rate"], r["p99_us"] / 1000.0,
                                   r["server_cpu"], r["client_cpu"], r["errors"]),
                  flush=True)
    mem = {}
    for name in names:
        n = opts.idle if name != "channels" else max(100, opts.idle // 5)
        per, before, after = idle_memory(srv, name, n)
        mem[name] = (per, n, before, after)
        print("# %-8s %d idle: RSS %d -> %d KiB, %.0f bytes each"
              % (name, n, before, after, per), flush=True)

    print()
    print("| row | server | messages/s | p99 | server CPU | messages per server CPU-second "
          "| client CPU | Kiln/this (messages/s) | Kiln/this (per CPU-second) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")

    def per_cpu(r):
        return r["rate"] / r["server_cpu"] if r["server_cpu"] > 0 else 0.0

    for depth in (1, 8):
        kiln = next((r for r in rows if r["name"] == "kiln" and r["depth"] == depth), None)
        for r in (r for r in rows if r["depth"] == depth):
            ratio = "%.2f" % (kiln["rate"] / r["rate"]) if kiln and r["rate"] else "-"
            cratio = "%.2f" % (per_cpu(kiln) / per_cpu(r)) if kiln and per_cpu(r) else "-"
            print("| %d conns, %d in flight | %s | %s | %.2f ms | %.2f | %s | %.2f | %s | %s |"
                  % (opts.conns, depth, r["name"], format(int(r["rate"]), ","),
                     r["p99_us"] / 1000.0, r["server_cpu"], format(int(per_cpu(r)), ","),
                     r["client_cpu"], ratio, cratio))
    print()
    print("| server | idle WebSockets | RSS before -> after | bytes per idle WebSocket |")
    print("| --- | ---: | --- | ---: |")
    for name in names:
        per, n, before, after = mem[name]
        print("| %s | %s | %.1f -> %.1f MiB | %s |" % (name, format(n, ","), before / 1024.0,
                                                    after / 1024.0, format(int(per), ",")))
    print("\nserver logs: %s" % logdir)


if __name__ == "__main__":
    sys.exit(main())
