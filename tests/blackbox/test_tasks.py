"""33. Durable background tasks (kiln/tasks.h) against real processes:
tests/taskapp enqueues over HTTP and runs tasks in its own workers or in
separate --tasks processes; kill -9, SIGTERM, leases, retries, timeouts,
periodic ticks across two instances, services. SQLite (a temporary file)
by default; tests/run.py runs this module again with KILN_TEST_DB_URL set
to its PostgreSQL server.
"""

import atexit
import json
import os
import shutil
import signal
import tempfile
import time
import urllib.parse

import harness
from harness import check, eq, server, t

_dir = tempfile.mkdtemp(prefix="kiln-tasks-bb-")
atexit.register(lambda: shutil.rmtree(_dir, ignore_errors=True))
_count = [0]


def fresh_url():
    """The database of one test: the suite's PostgreSQL (emptied by
    /reset), or a new SQLite file."""
    pg = os.environ.get("KILN_TEST_DB_URL")
    if pg:
        return pg
    _count[0] += 1
    return "sqlite://" + os.path.join(_dir, "t%d.db" % _count[0])


def is_pg():
    return bool(os.environ.get("KILN_TEST_DB_URL"))


class TaskWorker(harness.Server):
    """A `taskapp --tasks` process: no listener; ready once it logs so."""

    def wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while "kiln running tasks" not in self.stderr():
            if self.proc.poll() is not None:
                raise harness.TestFailure(
                    "task worker exited with %r: %s"
                    % (self.proc.returncode, self.stderr_tail()))
            if time.monotonic() > deadline:
                raise harness.TestFailure("task worker not ready: %s"
                                          % self.stderr_tail())
            time.sleep(0.02)


def worker(url, *args, threads=2):
    return TaskWorker(binary="tests/taskapp", workers=threads,
                      args=["--db", url, "--tasks"] + list(args)).start()


def web(url, *args, threads=2):
    """The app serving HTTP; runs no tasks unless --task-workers says so."""
    s = server(binary="tests/taskapp", workers=threads,
               args=["--db", url] + list(args))
    r = s.get("/reset")
    eq(r.status, 200, "/reset: %r" % r.body[:300])
    return s


def enqueue(s, name, payload=None, **opts):
    q = urllib.parse.urlencode(dict(name=name, **opts))
    body = json.dumps(payload).encode() if payload is not None else b""
    r = s.request("POST", "/enqueue?" + q, body=body)
    return r


def enq_ok(s, name, payload=None, **opts):
    r = enqueue(s, name, payload, **opts)
    eq(r.status, 200, "enqueue %s: %r" % (name, r.body[:300]))
    return r.json()["id"]


def tasks(s, name=None):
    r = s.get("/tasks" + ("?name=" + name if name else ""))
    eq(r.status, 200, "/tasks: %r" % r.body[:300])
    return r.json()


def runs(s, tag=None):
    r = s.get("/runs" + ("?tag=" + tag if tag else ""))
    eq(r.status, 200, "/runs: %r" % r.body[:300])
    return r.json()


def wait_for(what, pred, timeout=10, step=0.05):
    deadline = time.monotonic() + t(timeout)
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise harness.TestFailure("timed out waiting for %s (last: %r)"
                              % (what, last))


def state_of(s, task_id):
    for row in tasks(s):
        if row["id"] == task_id:
            return row
    return None


# ---- transactions -----------------------------------------------------------


def test_enqueue_follows_the_request_transaction():
    url = fresh_url()
    with web(url, "--task-workers", "2", "--poll-ms", "100") as s:
        # enqueued, then the handler fails: the transaction rolls back
        r = enqueue(s, "record", {"tag": "rolled-back"}, tx=1, fail=1)
        eq(r.status, 500, "a failing handler: %r" % r.body[:200])
        # the same, committed
        kept = enq_ok(s, "record", {"tag": "committed"}, tx=1)
        # outside a transaction: committed at once
        alone = enq_ok(s, "record", {"tag": "alone"})
        wait_for("the committed tasks to run",
                 lambda: len(runs(s, "committed")) == 2 and
                 len(runs(s, "alone")) == 2)
        time.sleep(0.4)  # time enough for a wrongly kept one to run too
        eq(runs(s, "rolled-back"), [], "the rolled-back task never ran")
        rows = tasks(s)
        eq(sorted(r["id"] for r in rows), sorted([kept, alone]),
           "only the committed tasks exist")
        check(all(r["state"] == "done" for r in rows), rows)
test_enqueue_follows_the_request_transaction.timeout = 40


def test_bad_enqueues_are_refused():
    url = fresh_url()
    with web(url) as s:
        r = enqueue(s, "no-such-task")
        eq(r.status, 422, "unknown task")
        check("no task is called 'no-such-task'" in r.text(), r.text())
        r = s.request("POST", "/enqueue?name=record", body=b"{not json")
        eq(r.status, 422, "payload not JSON")
        check("the payload is not JSON" in r.text(), r.text())
        r = enqueue(s, "record", {}, queue="bad queue")
        eq(r.status, 422, "bad queue")
        r = enqueue(s, "record", {}, delay_ms=-5)
        eq(r.status, 422, "negative delay")
        eq(tasks(s), [], "nothing was enqueued")


def test_idempotency_keys():
    url = fresh_url()
    with web(url, "--task-workers", "1", "--poll-ms", "50") as s:
        a = enqueue(s, "record", {"tag": "k"}, key="order-7").json()
        b = enqueue(s, "record", {"tag": "k"}, key="order-7").json()
        eq(b["id"], a["id"], "the same key gives the same task")
        eq((a["existing"], b["existing"]), (False, True), "existing")
        # another task may use the same key
        c = enqueue(s, "noop", {}, key="order-7").json()
        check(c["id"] != a["id"] and not c["existing"], c)
        wait_for("the keyed task to run", lambda: len(runs(s, "k")) == 2)
        # done but kept: still a no-op
        d = enqueue(s, "record", {"tag": "k"}, key="order-7").json()
        eq((d["id"], d["existing"]), (a["id"], True), "after it ran")
        # a key in a rolled-back request leaves no trace
        r = enqueue(s, "record", {"tag": "k2"}, key="order-8", tx=1, fail=1)
        eq(r.status, 500, "rolled back")
        e = enqueue(s, "record", {"tag": "k2"}, key="order-8").json()
        eq(e["existing"], False, "the key is free again")
        time.sleep(0.3)
        eq(len(runs(s, "k")), 2, "the keyed task ran once")
test_idempotency_keys.timeout = 40


# ---- retries, timeouts ------------------------------------------------------


def test_retries_with_backoff_then_failed():
    url = fresh_url()
    with web(url, "--task-workers", "2", "--poll-ms", "50",
             "--retry-min-ms", "200", "--retry-max-ms", "400") as s:
        ok = enq_ok(s, "record", {"tag": "flaky", "fail_times": 2})
        bad = enq_ok(s, "record", {"tag": "doomed", "fail_times": 99},
                     max_attempts=3)
        ab = enq_ok(s, "abort", {})
        wait_for("the flaky task to succeed",
                 lambda: (state_of(s, ok) or {}).get("state") == "done",
                 timeout=20)
        row = state_of(s, ok)
        eq(row["attempts"], 3, "two failures, then done")
        starts = [r["at_ms"] for r in runs(s, "flaky") if r["what"] == "start"]
        eq(len(starts), 3, "three attempts: %r" % runs(s, "flaky"))
        g1, g2 = starts[1] - starts[0], starts[2] - starts[1]
        # backoff: 200 ms then 400 ms, the upper half jittered, plus polling
        check(100 <= g1 <= 1500 * harness.SLOW, "first retry after %d ms" % g1)
        check(200 <= g2 <= 2000 * harness.SLOW,
              "second retry after %d ms" % g2)
        wait_for("the doomed task to fail",
                 lambda: (state_of(s, bad) or {}).get("state") == "failed",
                 timeout=20)
        row = state_of(s, bad)
        eq(row["attempts"], 3, "max_attempts")
        check("failing on purpose (attempt 3)" in row["last_error"], row)
        eq(len([r for r in runs(s, "doomed") if r["what"] == "start"]), 3,
           "it ran three times")
        wait_for("the aborted task", lambda: (state_of(s, ab) or {}).get(
            "state") == "failed")
        row = state_of(s, ab)
        eq(row["attempts"], 1, "abort: no retry")
        check("can never work" in row["last_error"], row)
        check("failed for good" in s.stderr(), "logged")
test_retries_with_backoff_then_failed.timeout = 60


def test_retry_in_waits_as_asked():
    url = fresh_url()
    with web(url, "--task-workers", "1", "--poll-ms", "50") as s:
        tid = enq_ok(s, "later", {"ms": 600})
        wait_for("the second attempt",
                 lambda: (state_of(s, tid) or {}).get("state") == "done",
                 timeout=15)
        at = [r["at_ms"] for r in runs(s, "later")]
        eq(len(at), 2, "two attempts")
        check(at[1] - at[0] >= 550, "waited %d ms" % (at[1] - at[0]))
test_retry_in_waits_as_asked.timeout = 40


def test_timeout_cancels_the_task_and_rolls_back():
    url = fresh_url()
    with web(url, "--task-workers", "2", "--poll-ms", "50") as s:
        started = time.monotonic()
        tid = enq_ok(s, "record", {"tag": "slow", "sleep_ms": 20000,
                                   "tx": True},
                     timeout_ms=300, max_attempts=1)
        wait_for("the timeout", lambda: (state_of(s, tid) or {}).get(
            "state") == "failed", timeout=10)
        took = time.monotonic() - started
        check(took < 3 * harness.SLOW, "cancelled promptly (%.2fs)" % took)
        row = state_of(s, tid)
        check("timed out after 300 ms" in row["last_error"], row)
        eq(runs(s, "slow"), [], "its transaction was rolled back")
        # the worker goes on with other tasks
        other = enq_ok(s, "record", {"tag": "after"})
        wait_for("a task after it", lambda: (state_of(s, other) or {}).get(
            "state") == "done")
test_timeout_cancels_the_task_and_rolls_back.timeout = 40


# ---- separate worker processes -----------------------------------------------


def test_killed_worker_task_runs_again_after_its_lease():
    url = fresh_url()
    with web(url) as s:
        w1 = worker(url, "--task-workers", "1", "--lease-ms", "1500",
                    "--poll-ms", "50")
        tid = enq_ok(s, "record", {"tag": "victim", "sleep_first_ms": 60000})
        wait_for("the first attempt to start",
                 lambda: any(r["what"] == "start" for r in runs(s, "victim")))
        row = state_of(s, tid)
        eq(row["state"], "running", "running")
        check(row["owner"] and row["owner"].endswith("/w0"), row)
        w1.proc.send_signal(signal.SIGKILL)
        w1.proc.wait()
        killed = time.monotonic()
        w1.kill()
        w2 = worker(url, "--task-workers", "1", "--lease-ms", "1500",
                    "--poll-ms", "50")
        try:
            wait_for("the task to run again and finish",
                     lambda: (state_of(s, tid) or {}).get("state") == "done",
                     timeout=15)
            took = time.monotonic() - killed
            check(took >= 0.8, "not before the lease expired (%.2fs)" % took)
            row = state_of(s, tid)
            eq(row["attempts"], 2, "the dead worker's attempt counted")
            r = runs(s, "victim")
            eq([x["attempt"] for x in r if x["what"] == "start"], [1, 2],
               "ran again")
            pids = {x["pid"] for x in r}
            eq(len(pids), 2, "by the other worker")
            check("stopped renewing the lease" in w2.stderr(),
                  "the reaping is logged")
        finally:
            rc, err = w2.stop()
        eq(rc, 0, "w2 exit status: " + err[-500:])
test_killed_worker_task_runs_again_after_its_lease.timeout = 60


def test_two_workers_never_run_one_task_twice():
    url = fresh_url()
    n = harness.scaled(400, 100)
    with web(url) as s:
        # both workers wait for work before any is queued, and each task
        # takes a little time: otherwise the first could drain a short
        # queue alone (a sanitizer build's queue is 100)
        ws = [worker(url, "--task-workers", "3", "--poll-ms", "20")
              for _ in range(2)]
        try:
            r = s.request("POST", "/enqueue_many?name=record&n=%d&sleep_ms=5"
                          % n)
            eq(r.status, 200, "enqueue_many: %r" % r.body[:200])
            wait_for("every task done", lambda: s.get("/counts").json() == [
                {"state": "done", "n": n}], timeout=40, step=0.1)
        finally:
            codes = [w.stop() for w in ws]
        starts = {}
        for x in runs(s, "record"):
            if x["what"] == "start":
                starts.setdefault(x["task_id"], []).append(x["pid"])
        eq(len(starts), n, "every task ran")
        twice = {k: v for k, v in starts.items() if len(v) != 1}
        eq(twice, {}, "tasks that ran more than once")
        by = {}
        for v in starts.values():
            by[v[0]] = by.get(v[0], 0) + 1
        eq(len(by), 2, "both workers took tasks: %r" % by)
        for rc, err in codes:
            eq(rc, 0, "worker exit: " + err[-400:])
test_two_workers_never_run_one_task_twice.timeout = 90


def test_ten_thousand_tasks_drain():
    url = fresh_url()
    n = harness.scaled(10000, 2000)
    with web(url) as s:
        t0 = time.monotonic()
        r = s.request("POST", "/enqueue_many?name=noop&n=%d" % n,
                      timeout=t(60))
        eq(r.status, 200, "enqueue_many: %r" % r.body[:200])
        enq = time.monotonic() - t0
        w = worker(url, "--poll-ms", "20", "--keep-done-hours", "0")
        try:
            t1 = time.monotonic()
            # the speed is bench/tasks_bench.py's business: here, that all
            # of them run and go (no failed or stuck row is left)
            wait_for("the queue to drain", lambda: s.get("/counts").json() ==
                     [], timeout=t(150), step=0.2)
            took = time.monotonic() - t1
        finally:
            rc, err = w.stop()
        eq(rc, 0, "worker exit: " + err[-400:])
        print("  %d tasks: enqueued in %.2fs (one transaction), drained in "
              "%.2fs (%.0f/s, %s)" % (n, enq, took, n / took,
                                      "postgres" if is_pg() else "sqlite"))
test_ten_thousand_tasks_drain.timeout = 240


def test_graceful_shutdown_finishes_or_gives_back():
    url = fresh_url()
    with web(url) as s:
        # a short task finishes during the drain
        w = worker(url, "--task-workers", "2", "--poll-ms", "20",
                   "--drain-ms", "5000")
        short = enq_ok(s, "record", {"tag": "short", "sleep_ms": 700})
        wait_for("the short task to start",
                 lambda: len(runs(s, "short")) == 1)
        t0 = time.monotonic()
        rc, err = w.stop(timeout=t(10))
        eq(rc, 0, "exit status: " + err[-400:])
        eq(state_of(s, short)["state"], "done", "finished during the drain")
        check(time.monotonic() - t0 < 4 * harness.SLOW, "no longer than it")
        # a long one is given back before the drain time ends
        w = worker(url, "--task-workers", "2", "--poll-ms", "20",
                   "--drain-ms", "1200")
        long_ = enq_ok(s, "record", {"tag": "long", "sleep_ms": 60000,
                                     "tx": True})
        wait_for("the long task to start",
                 lambda: (state_of(s, long_) or {}).get("state") == "running")
        t0 = time.monotonic()
        rc, err = w.stop(timeout=t(10))
        took = time.monotonic() - t0
        eq(rc, 0, "exit status: " + err[-400:])
        check(took < 2.5 * harness.SLOW, "within the drain time (%.2fs)" % took)
        row = state_of(s, long_)
        eq((row["state"], row["attempts"], row["owner"]), ("queued", 0, None),
           "given back, the attempt not counted")
        check("given back at shutdown" in err, err[-600:])
        eq(runs(s, "long"), [], "its transaction was rolled back")
        # and another worker runs it
        w = worker(url, "--task-workers", "1", "--poll-ms", "20")
        try:
            # it sleeps a minute again: just check it is claimed
            wait_for("claimed again", lambda: (state_of(s, long_) or {}).get(
                "state") == "running")
        finally:
            w.kill()
test_graceful_shutdown_finishes_or_gives_back.timeout = 60


def test_idle_workers_wake_up():
    """PostgreSQL: an idle worker is woken by the NOTIFY of an enqueue, far
    sooner than its poll interval. SQLite: it polls, with a backoff capped
    at tasks.poll_ms."""
    url = fresh_url()
    poll = 5000 if is_pg() else 300
    with web(url) as s:
        w = worker(url, "--task-workers", "2", "--poll-ms", str(poll))
        try:
            time.sleep(1.2)  # idle: the SQLite backoff reaches its cap
            lat = []
            for i in range(3):
                t0 = time.monotonic()
                tid = enq_ok(s, "record", {"tag": "wake%d" % i})
                wait_for("the task", lambda: (state_of(s, tid) or {}).get(
                    "state") == "done", timeout=10, step=0.01)
                lat.append(time.monotonic() - t0)
                time.sleep(0.5)
        finally:
            rc, err = w.stop()
        eq(rc, 0, "exit: " + err[-300:])
        bound = (0.5 if is_pg() else poll / 1000 + 0.4) * harness.SLOW
        check(max(lat) < bound, "picked up after %s s (poll %d ms)"
              % (["%.3f" % x for x in lat], poll))
test_idle_workers_wake_up.timeout = 40


# ---- periodic tasks, services -----------------------------------------------


def test_periodic_ticks_once_across_two_instances():
    url = fresh_url()
    with web(url) as s:
        ws = [worker(url, "--task-workers", "1", "--poll-ms", "50",
                     "--periodic", "* * * * * *") for _ in range(2)]
        time.sleep(3.5)
        for w in ws:
            rc, err = w.stop()
            eq(rc, 0, "exit: " + err[-300:])
        ticks = s.get("/ticks").json()
        check(len(ticks) >= 3, "a tick a second: %r" % ticks)
        ids = [x["task_id"] for x in ticks]
        eq(len(set(ids)), len(ids), "one task per tick")
        ts = tasks(s, "tick")
        eq(sorted(x["id"] for x in ts), sorted(ids),
           "every tick task is in a tick row, and only those")
        logs = ws[0].stderr() + ws[1].stderr()
        check(logs.count("periodic tick: enqueued") == len(ticks),
              "each tick enqueued by one instance")
        check("periodic tick: enqueued" in ws[0].stderr() or
              "periodic tick: enqueued" in ws[1].stderr(), logs[-500:])
test_periodic_ticks_once_across_two_instances.timeout = 40


def test_service_restarted_with_backoff():
    url = fresh_url()
    with web(url) as s:
        w = worker(url, "--service", "flaky")
        time.sleep(1.6)
        rc, err = w.stop()
        eq(rc, 0, "exit: " + err[-300:])
        at = [r["at_ms"] for r in runs(s, "flaky")]
        check(len(at) >= 4, "restarted: %r" % at)
        gaps = [b - a for a, b in zip(at, at[1:])]
        # 50, 100, 200, 400 ms (+10 ms of work), capped at 800
        check(gaps[0] >= 50 and gaps[2] >= 2 * gaps[0] - 20,
              "the backoff grows: %r" % gaps)
        check("service flaky: failed" in err and "starting again in" in err,
              err[-500:])


def test_service_stopped_on_shutdown():
    url = fresh_url()
    with web(url) as s:
        w = worker(url, "--service", "steady")
        wait_for("the service to start", lambda: len(runs(s, "steady")) == 1)
        t0 = time.monotonic()
        rc, err = w.stop()
        eq(rc, 0, "exit: " + err[-300:])
        check(time.monotonic() - t0 < 2 * harness.SLOW, "promptly")
        check("steady service: cancelled, returning" in err and
              "service steady: stopped" in err, err[-500:])
