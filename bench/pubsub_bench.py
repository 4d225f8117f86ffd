#!/usr/bin/env python3
"""Broadcast: one publication to 10,000 subscribers, the time until the
last one has it.

    bench/pubsub_bench.py [--build DIR] [--conns N] [--rounds N] [--workers N]

tests/pubsubapp serves, with --workers (2) and no keep-alive traffic;
bench/pubsub_load.c (one thread, one epoll loop) opens --conns event
streams (then WebSockets) subscribed to one topic, then, --rounds times,
asks the server to publish one message and waits until every connection
has it. Each row gives the time from the publish request to the last
arrival (median and worst of the rounds), the median and 99th percentile
over the subscribers, the memory the server grew by per subscriber, and
the CPU the load client used per round: a client whose CPU time is well
under the round's time was not the bottleneck. With redis-server
installed, a last row publishes on a second instance that shares one
Redis with the first (the subscribers' instance).

Needs build/bench/pubsub_load and build/tests/pubsubapp (meson).
"""
import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


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


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(build, workers, extra=()):
    port = free_port()
    cmd = [os.path.join(build, "tests", "pubsubapp"), "--port", str(port),
           "--workers", str(workers), "--sse-keepalive-ms", "0",
           "--ws-ping-interval-ms", "0", "--ws-idle-timeout-ms", "0",
           "--max-body", "4096"] + list(extra)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=raise_nofile)
    wait_port(port, p)
    return p, port


def row(build, args, kind, extra=(), pub_extra=None):
    srv, port = start(build, args.workers, extra)
    pub = None
    pubport = port
    if pub_extra is not None:
        pub, pubport = start(build, args.workers, pub_extra)
    try:
        time.sleep(0.3)
        before = rss_kib(srv.pid)
        load = subprocess.Popen(
            [os.path.join(build, "bench", "pubsub_load"), str(port),
             str(args.conns), str(args.rounds), kind, str(pubport)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            preexec_fn=raise_nofile, text=True)
        line = load.stdout.readline()
        if not line.startswith("ready"):
            load.wait()
            raise SystemExit("pubsub_load failed during setup")
        # waiting subscribers' stacks go back to the kernel after a second
        # (worker_park_idle); the subscription reaches Redis meanwhile
        time.sleep(1.5)
        grown = rss_kib(srv.pid) - before
        load.stdin.write("go\n")
        load.stdin.flush()
        out, _ = load.communicate(timeout=600)
        if load.returncode != 0:
            raise SystemExit("pubsub_load failed")
        res = json.loads(out.strip().splitlines()[-1])
        res["bytes_per_sub"] = grown * 1024 / args.conns
        return res
    finally:
        for p in (srv, pub):
            if p:
                p.terminate()
                p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    raise_nofile()
    rows = [("event streams, local", row(args.build, args, "sse")),
            ("WebSockets, local", row(args.build, args, "ws"))]
    if shutil.which("redis-server"):
        import redis_server
        d = tempfile.mkdtemp(prefix="kiln-bench-redis-")
        r = redis_server.Redis(os.path.join(d, "r")).start()
        try:
            red = ["--pubsub", "redis", "--url", r.url]
            rows.append(("event streams, published on another instance "
                         "through Redis",
                         row(args.build, args, "sse", red, red)))
        finally:
            r.close()
            shutil.rmtree(d, ignore_errors=True)
    print("%d subscribers, %d rounds, %d workers; times in ms"
          % (args.conns, args.rounds, args.workers))
    print("| subscribers | last has it (median) | (worst) | median | p99 "
          "| server memory per subscriber | load client CPU per round |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print("| %s | %.1f | %.1f | %.1f | %.1f | %.0f B | %.1f of %.1f |"
              % (name, r["last_ms_median"], r["last_ms_max"], r["median_ms"],
                 r["p99_ms"], r["bytes_per_sub"],
                 r["client_cpu_ms_per_round"], r["round_wall_ms"]))


if __name__ == "__main__":
    main()
