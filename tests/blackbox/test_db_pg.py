"""24. PostgreSQL under the server: queries yield (the worker stays free),
and a database that goes away gives prompt 503s, then recovers by itself.
Each test starts its own PostgreSQL (tests/pg_server.py: a temporary
folder, a free port on 127.0.0.1), so stopping it disturbs nothing else.
"""

import os
import shutil
import sys
import tempfile
import threading
import time

import harness
from harness import check, eq, server, t

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pg_server  # noqa: E402


class PG:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="kiln-pg-")
        self.folder = os.path.join(self.dir, "pg")
        self.url = pg_server.start(self.folder)
        return self

    def __exit__(self, *exc):
        pg_server.stop(self.folder)
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def test_queries_yield_the_worker():
    """100 requests wait on pg_sleep(0.5) in one worker; /plaintext is
    answered at once meanwhile, and the sleeps run side by side."""
    n = harness.scaled(100, 40)
    with PG() as pg, server(binary="tests/dbapp", workers=1,
                            args=["--db", pg.url, "--pool", str(n)]) as s:
        eq(s.get("/sleep?s=0").status, 200, "warm-up")
        results = []
        started = time.monotonic()

        def sleeper():
            r = s.get("/sleep?s=0.5", timeout=t(30))
            results.append((r.status, time.monotonic() - started))
        ts = [threading.Thread(target=sleeper) for _ in range(n)]
        for th in ts:
            th.start()
        time.sleep(0.15)  # the sleeps are under way
        lat = []
        for _ in range(5):
            t0 = time.monotonic()
            r = s.get("/plaintext")
            lat.append(time.monotonic() - t0)
            eq(r.status, 200, "/plaintext during the sleeps")
        pending = n - len(results)
        for th in ts:
            th.join(t(60))
        eq([st for st, _ in results], [200] * n, "every sleep answered")
        check(pending > n // 2,
              "most sleeps were still running when /plaintext was served "
              "(%d of %d)" % (pending, n))
        check(max(lat) < 0.25 * harness.SLOW,
              "/plaintext answered promptly: %s" % ["%.3f" % x for x in lat])
        took = max(d for _, d in results)
        check(took < 5 * harness.SLOW,
              "the sleeps ran concurrently (last after %.2fs)" % took)
test_queries_yield_the_worker.timeout = 90


def test_failing_queries_do_not_touch_others():
    """Concurrent SELECTs of one worker share round trips; one that fails
    (division by zero) must fail alone: every other request gets its own
    correct answer."""
    n = harness.scaled(400, 100)
    with PG() as pg, server(binary="tests/dbapp", workers=1,
                            args=["--db", pg.url, "--pool", "2"]) as s:
        eq(s.get("/div?n=1&d=1").status, 200, "warm-up (prepares)")
        bad = []
        lock = threading.Lock()

        def go(k):
            for i in range(k, n, 16):
                d = 0 if i % 7 == 0 else (i % 5) + 1
                r = s.get("/div?n=%d&d=%d" % (i * 10, d), timeout=t(30))
                want = 500 if d == 0 else 200
                ok = r.status == want and (
                    d == 0 or r.text() == str(i * 10 // d))
                if not ok:
                    with lock:
                        bad.append((i, d, r.status, r.body[:100]))
        ts = [threading.Thread(target=go, args=(k,)) for k in range(16)]
        for th in ts:
            th.start()
        for th in ts:
            th.join(t(60))
        eq(bad, [], "wrong answers")
        check("division by zero" in s.stderr(),
              "the failing statement is logged")
test_failing_queries_do_not_touch_others.timeout = 90


def test_database_down_gives_503_then_recovers():
    with PG() as pg, server(binary="tests/dbapp", workers=2,
                            args=["--db", pg.url]) as s:
        eq(s.get("/setup").status, 200, "setup")
        eq(s.request("POST", "/notes", body=b"before").status, 201, "insert")
        # load while the database goes away
        stop = threading.Event()
        seen = {"ok": 0, "503": 0, "other": [], "slow": []}

        def load():
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    r = s.get("/count", timeout=t(10))
                except Exception as e:  # noqa: BLE001 - a hang or reset
                    seen["other"].append(repr(e))
                    continue
                d = time.monotonic() - t0
                if r.status == 200:
                    seen["ok"] += 1
                elif r.status == 503:
                    seen["503"] += 1
                    if d > 2 * harness.SLOW:
                        seen["slow"].append(d)
                    ctype = r.header("Content-Type") or ""
                    if not ctype.startswith("application/problem+json"):
                        seen["other"].append("503 as %s" % ctype)
                else:
                    seen["other"].append((r.status, r.body[:200]))
        ts = [threading.Thread(target=load) for _ in range(8)]
        for th in ts:
            th.start()
        time.sleep(0.5)
        check(seen["ok"] > 0, "requests succeed before the stop")
        pg_server.stop_server(pg.folder, mode="fast")
        time.sleep(1.5)
        down_503 = seen["503"]
        check(down_503 > 0, "503s while the database is down")
        # a request while down is answered promptly
        t0 = time.monotonic()
        r = s.get("/count", timeout=t(10))
        eq(r.status, 503, "status while down")
        check(time.monotonic() - t0 < 1.0 * harness.SLOW,
              "503 is prompt (%.2fs)" % (time.monotonic() - t0))
        check(r.header("Retry-After") is not None, "Retry-After on the 503")
        pg_server.restart(pg.folder)
        ok_before = seen["ok"]
        deadline = time.monotonic() + t(15)
        while time.monotonic() < deadline and seen["ok"] < ok_before + 20:
            time.sleep(0.1)
        stop.set()
        for th in ts:
            th.join(t(20))
        check(seen["ok"] >= ok_before + 20,
              "requests succeed again after the restart (%d)" %
              (seen["ok"] - ok_before))
        eq(seen["other"], [], "no errors other than 503")
        eq(seen["slow"], [], "no slow 503s")
        check(s.alive(), "the server kept running")
        # every worker is back within its reconnect backoff (at most 1 s)
        time.sleep(1.2)
        for _ in range(8):
            r = s.get("/count")
            eq((r.status, r.text()), (200, "1"), "the data is still there")
test_database_down_gives_503_then_recovers.timeout = 120


def test_database_not_up_at_start():
    """The app starts before its database; requests get 503 until it is
    reachable, then succeed."""
    with PG() as pg:
        pg_server.stop_server(pg.folder)
        with server(binary="tests/dbapp", workers=1,
                    args=["--db", pg.url]) as s:
            r = s.get("/setup")
            eq(r.status, 503, "before the database is up")
            check(b"unavailable" in r.body, r.body)
            pg_server.restart(pg.folder)
            deadline = time.monotonic() + t(10)
            status = None
            while time.monotonic() < deadline:
                status = s.get("/setup").status
                if status == 200:
                    break
                time.sleep(0.1)
            eq(status, 200, "after the database came up")
test_database_not_up_at_start.timeout = 60
