#!/usr/bin/env python3
"""bench/techempower_bench.py - examples/techempower against Django +
gunicorn (the anchor) on the same PostgreSQL and on SQLite, with pgbench's
select-only rate beside them: all in one run, on 127.0.0.1 only.

    python3 bench/techempower_bench.py [--seconds 10] [--conns 64]

It starts a private PostgreSQL (tests/pg_server.py), seeds it and a SQLite
file with `techempower --seed`, then for each backend runs wrk against
Kiln (2 workers) and Django (gunicorn, 2 sync workers per core) on /db,
/queries?queries=20, /fortunes and /updates?queries=20, and finally
`pgbench -S -M prepared` with the same number of connections. Prints
requests/s, non-2xx counts and the Kiln/Django ratio per row.
Needs: wrk, gunicorn, python3-django, python3-psycopg2 (scripts/deps.sh
bench installs them).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=10)
ap.add_argument("--conns", type=int, default=64)
ap.add_argument("--build", default=os.path.join(ROOT, "build"))
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--pool", type=int, default=2,
                help="kiln's PostgreSQL connections per worker")
opts = ap.parse_args()

TE = os.path.join(opts.build, "examples", "techempower")
ENDPOINTS = ["/db", "/queries?queries=20", "/fortunes", "/updates?queries=20"]
WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN = shutil.which("gunicorn", path="/usr/bin") or "/usr/bin/gunicorn"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_http(port, path="/plaintext", limit=30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                   timeout=2).read()
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise SystemExit("server on port %d did not come up" % port)


def wrk(port, path):
    out = subprocess.run(
        [WRK, "-t2", "-c%d" % opts.conns, "-d%ds" % opts.seconds,
         "--latency", "http://127.0.0.1:%d%s" % (port, path)],
        capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    return (float(rps.group(1)) if rps else 0.0,
            int(bad.group(1)) if bad else 0, errs.group(0) if errs else "")


def start(cmd, env=None, cwd=None):
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=20)
    except Exception:  # noqa: BLE001
        os.killpg(p.pid, signal.SIGKILL)


def run_backend(label, kiln_url, django_url, rows):
    kp = free_port()
    k = start([TE, "--db", kiln_url, "--port", str(kp), "--workers",
               str(opts.workers), "--pool", str(opts.pool)])
    dp = free_port()
    env = dict(os.environ, TE_DB=django_url,
               PYTHONPATH=os.path.join(ROOT, "bench", "django_te"))
    d = start([GUNICORN, "-w", str(2 * os.cpu_count()), "-b",
               "127.0.0.1:%d" % dp, "--log-level", "warning", "te:application"],
              env=env)
    try:
        wait_http(kp)
        wait_http(dp)
        for ep in ENDPOINTS:
            kr = wrk(kp, ep)
            dr = wrk(dp, ep)
            rows.append((label, ep, kr, dr))
            print("%-8s %-22s kiln %10.0f (non-2xx %d)  django %8.0f "
                  "(non-2xx %d)  %6.1fx" % (label, ep, kr[0], kr[1], dr[0],
                                            dr[1], kr[0] / dr[0] if dr[0]
                                            else float("inf")), flush=True)
    finally:
        stop(k)
        stop(d)


def main():
    import pg_server
    tmp = tempfile.mkdtemp(prefix="kiln-tebench-")
    rows = []
    pg = None
    try:
        pgdir = os.path.join(tmp, "pg")
        url = pg_server.start(pgdir)
        pg = pgdir
        subprocess.run([TE, "--db", url, "--seed"], check=True,
                       stdout=subprocess.DEVNULL)
        sq = os.path.join(tmp, "te.db")
        subprocess.run([TE, "--db", "sqlite://" + sq, "--seed"], check=True,
                       stdout=subprocess.DEVNULL)
        os.chmod(tmp, 0o755)
        print("wrk: 2 threads, %d connections, %d s per row; kiln %d workers "
              "(%d PostgreSQL connections each); django gunicorn %d sync "
              "workers" % (opts.conns, opts.seconds, opts.workers, opts.pool,
                           2 * os.cpu_count()))
        run_backend("postgres", url, url, rows)
        run_backend("sqlite", "sqlite://" + sq, "sqlite://" + sq, rows)
        # the database's own limit: pgbench select-only, prepared
        u = urllib.parse.urlparse(url)
        env = dict(os.environ, PGHOST=u.hostname, PGPORT=str(u.port),
                   PGUSER=u.username or "", PGDATABASE=u.path.lstrip("/"))
        subprocess.run(["pgbench", "-i", "-q", "-s", "1"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db_pg = [r for r in rows if r[0] == "postgres" and r[1] == "/db"]
        kiln_db = db_pg[0][2][0] if db_pg else 0.0
        # with kiln's number of database connections, and with wrk's
        for clients in sorted({opts.workers * opts.pool, opts.conns}):
            out = subprocess.run(["pgbench", "-n", "-S", "-M", "prepared",
                                  "-c", str(clients), "-j", "2", "-T",
                                  str(opts.seconds)], env=env,
                                 capture_output=True, text=True).stdout
            m = re.search(r"tps = ([\d.]+)", out)
            tps = float(m.group(1)) if m else 0.0
            print("pgbench -S -M prepared -c %d: %.0f selects/s; kiln /db on "
                  "postgres / pgbench = %.2f" % (clients, tps,
                                                 kiln_db / tps if tps else 0),
                  flush=True)
    finally:
        if pg:
            pg_server.stop(pg)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
