#!/usr/bin/python3
"""bench/tasks_bench.py - no-op background tasks per second: Kiln's task
workers on PostgreSQL (the database is the queue) against Celery with
redis-server as its broker, in one run, on 127.0.0.1 only.

    python3 bench/tasks_bench.py [--tasks 20000] [--workers 2]

For each system the queue is filled first (not timed), then the workers
start, and the clock runs from the first task taken until the last is
finished (startup excluded on both sides):

  Kiln     build/tests/taskapp --tasks --workers 2 (two worker threads, each
           running its tasks as coroutines: 8 at a time by default) on a
           private PostgreSQL (tests/pg_server.py: fsync off, as the tests
           run it; redis-server keeps its data in memory too). Finished when
           no task is queued or running. Twice: done rows kept (the
           default) and deleted at once (tasks.keep_done_hours = 0).
           Then on SQLite, for reference.
  Celery   `celery worker -c 2` (two prefork processes, prefetch 4), no
           result backend, on a private redis-server. Finished when the
           queue and kombu's unacked set are empty. Twice: acks early (the
           default: a task whose worker dies is lost) and acks late (at
           least once, as Kiln).

Prints tasks/s per row and Kiln's ratio to Celery's best. Needs celery,
python3-redis, redis-server, postgresql (scripts/deps.sh bench). Runs
under Debian's /usr/bin/python3, which has celery.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

try:
    import redis  # noqa: F401
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists(
            "/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("tasks_bench: needs python3-redis and celery "
             "(scripts/deps.sh bench)")

import pg_server  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--tasks", type=int, default=20000)
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--build", default=os.path.join(ROOT, "build"))
opts = ap.parse_args()

TASKAPP = os.path.join(opts.build, "tests", "taskapp")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Psql:
    """One psql process kept open: a query per line, one value back."""

    def __init__(self, url):
        self.p = subprocess.Popen(["psql", "-X", "-A", "-t", "-q", url],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  bufsize=1)

    def value(self, sql):
        self.p.stdin.write(sql.rstrip(";") + ";\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def run(self, sql):
        """A statement that returns no rows: waits for it to finish."""
        self.p.stdin.write(sql.rstrip(";") + ";\nSELECT 'done';\n")
        self.p.stdin.flush()
        while self.p.stdout.readline().strip() != "done":
            pass

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def time_drain(left, start, what):
    """Polls left() (tasks not finished) until 0; returns seconds from the
    first task taken to the last finished."""
    total = left()
    proc = start()
    try:
        deadline = time.monotonic() + 600
        while left() >= total:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s never took a task" % what)
            time.sleep(0.002)
        t0 = time.monotonic()
        while left() > 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s stopped before the end" % what)
            time.sleep(0.005)
        return time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---- Kiln ---------------------------------------------------------------------

def kiln_run(url, n, keep_hours, psql=None, sqlite_path=None):
    # the tables (and the task definitions) as the app makes them
    subprocess.run([TASKAPP, "--db", url, "--help"], capture_output=True)
    if psql:
        psql.run("DELETE FROM kiln_tasks")
        psql.run("INSERT INTO kiln_tasks (name, payload) SELECT 'noop', "
                 "'{}' FROM generate_series(1, %d)" % n)
        psql.run("VACUUM ANALYZE kiln_tasks")

        def left():
            return int(psql.value("SELECT count(*) FROM kiln_tasks WHERE "
                                  "state IN ('queued', 'running')"))
    else:
        import sqlite3
        con = sqlite3.connect(sqlite_path, isolation_level=None)
        con.execute("DELETE FROM kiln_tasks")
        con.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                    "FROM c WHERE i < %d) INSERT INTO kiln_tasks (name, "
                    "payload, run_at, created_at) SELECT 'noop', '{}', "
                    "'2000-01-01 00:00:00.000000+00:00', '2000-01-01 "
                    "00:00:00.000000+00:00' FROM c" % n)

        def left():
            return con.execute("SELECT count(*) FROM kiln_tasks WHERE state "
                               "IN ('queued', 'running')").fetchone()[0]

    def start():
        return subprocess.Popen(
            [TASKAPP, "--db", url, "--tasks", "--workers",
             str(opts.workers), "--poll-ms", "50", "--keep-done-hours",
             str(keep_hours)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
    return time_drain(left, start, "kiln")


# ---- Celery -------------------------------------------------------------------

CELERY_APP = """
from celery import Celery
app = Celery("kilnbench", broker="redis://127.0.0.1:%(port)d/0")
app.conf.update(task_ignore_result=True, task_acks_late=%(late)s,
                worker_prefetch_multiplier=4, task_serializer="json",
                broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)

@app.task(ignore_result=True)
def noop():
    return None
"""


def celery_run(tmp, port, n, late):
    import redis
    r = redis.Redis(host="127.0.0.1", port=port)
    r.flushall()
    mod = os.path.join(tmp, "kilnbench_celery.py")
    with open(mod, "w") as f:
        f.write(CELERY_APP % {"port": port, "late": late})
    sys.path.insert(0, tmp)
    import importlib
    import kilnbench_celery
    importlib.reload(kilnbench_celery)
    with kilnbench_celery.app.producer_or_acquire() as producer:
        for _ in range(n):
            kilnbench_celery.noop.apply_async(producer=producer)

    def left():
        return r.llen("celery") + r.hlen("unacked")

    def start():
        env = dict(os.environ, PYTHONPATH=tmp)
        return subprocess.Popen(
            ["/usr/bin/python3", "-m", "celery", "-A", "kilnbench_celery",
             "worker", "-c",
             str(opts.workers), "-P", "prefork", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel",
             "WARNING"], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
    return time_drain(left, start, "celery")


def main():
    if not os.path.exists(TASKAPP):
        sys.exit("tasks_bench: build first (%s is missing)" % TASKAPP)
    for tool in ("redis-server", "psql"):
        if not shutil.which(tool):
            sys.exit("tasks_bench: %s is missing (scripts/deps.sh bench)"
                     % tool)
    tmp = tempfile.mkdtemp(prefix="kiln-tasks-bench-")
    pg_dir = os.path.join(tmp, "pg")
    rport = free_port()
    redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(rport), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    n = opts.tasks
    try:
        url = pg_server.start(pg_dir)
        psql = Psql(url)
        for keep, label in ((168, "done rows kept (default)"),
                            (0, "done rows deleted (keep_done_hours = 0)")):
            s = kiln_run(url, n, keep, psql=psql)
            rows.append(("Kiln, PostgreSQL", label, n / s))
            print("  kiln pg %-42s %8.0f tasks/s" % (label, n / s),
                  flush=True)
        psql.close()
        db = os.path.join(tmp, "tasks.db")
        s = kiln_run("sqlite://" + db, n, 168, sqlite_path=db)
        rows.append(("Kiln, SQLite", "done rows kept (default)", n / s))
        print("  kiln sqlite %38s %8.0f tasks/s" % ("", n / s), flush=True)
        time.sleep(0.2)
        for late, label in ((False, "acks early (default)"),
                            (True, "acks late (at least once)")):
            s = celery_run(tmp, rport, n, late)
            rows.append(("Celery + Redis", label, n / s))
            print("  celery %-43s %8.0f tasks/s" % (label, n / s),
                  flush=True)
    finally:
        redis_proc.terminate()
        redis_proc.wait()
        pg_server.stop(pg_dir)
        shutil.rmtree(tmp, ignore_errors=True)
    best = max(r[2] for r in rows if r[0].startswith("Celery"))
    print("\n%d no-op tasks, %d workers (Kiln: threads; Celery: processes)"
          % (n, opts.workers))
    print("| system | configuration | tasks/s | vs Celery's best |")
    print("| --- | --- | ---: | ---: |")
    for system, label, rate in rows:
        print("| %s | %s | %s | %.1fx |" % (system, label,
                                           "{:,.0f}".format(rate),
                                           rate / best))


if __name__ == "__main__":
    main()
