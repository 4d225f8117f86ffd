"""23. The data layer inside the server (tests/dbapp.c): requests use the
database through kiln_db(); what a handler leaves half-done is rolled back.
SQLite (a temporary file) by default; tests/run.py runs this module again
with KILN_TEST_DB_URL set to its PostgreSQL server.
"""

import atexit
import json
import os
import shutil
import tempfile
import threading

import harness
from harness import check, eq, server, t

_dir = tempfile.mkdtemp(prefix="kiln-db-bb-")
atexit.register(lambda: shutil.rmtree(_dir, ignore_errors=True))


def db_url():
    return os.environ.get("KILN_TEST_DB_URL") or \
        "sqlite://" + os.path.join(_dir, "app.db")


def app(workers=2, pool=4):
    s = server(binary="tests/dbapp", workers=workers,
               args=["--db", db_url(), "--pool", str(pool)])
    return s


def count(s):
    r = s.get("/count")
    eq(r.status, 200, "/count status (%r)" % r.body[:200])
    return int(r.body)


def setup(s):
    r = s.get("/setup")
    eq(r.status, 200, "/setup: %r" % r.body[:300])


def test_crud_and_injection_stay_data():
    payloads = ["plain", "héllo ✓ 日本語", "x'); DROP TABLE notes; --",
                "' OR '1'='1", "$1", "\\x00 not a nul", "a\"b\\c"]
    with app() as s:
        setup(s)
        ids = []
        for p in payloads:
            r = s.request("POST", "/notes", body=p.encode())
            eq(r.status, 201, "insert %r: %r" % (p, r.body[:200]))
            ids.append(r.json()["id"])
        eq(len(set(ids)), len(payloads), "distinct ids")
        eq(count(s), len(payloads), "rows after inserts")
        notes = s.get("/notes").json()
        eq([n["body"] for n in notes], payloads, "bodies read back")
        for p in payloads:
            import urllib.parse
            r = s.get("/notes?q=" + urllib.parse.quote(p))
            eq([n["body"] for n in r.json()], [p], "lookup of %r" % p)
        # the tautology matches nothing; the table is still there
        eq(s.get("/notes?q=x' OR 'a'='a".replace(" ", "%20")).json(), [],
           "tautology as data")
        eq(count(s), len(payloads), "rows at the end")


def test_transaction_endings():
    with app() as s:
        setup(s)
        r = s.request("POST", "/tx/commit")
        eq(r.status, 201, "commit: %r" % r.body[:200])
        eq(count(s), 1, "committed row")
        # a statement fails: the handler answers 500, nothing is kept
        r = s.request("POST", "/tx/fail")
        eq(r.status, 500, "fail")
        check(r.header("Content-Type").startswith("application/problem+json"),
              "problem+json for a failed statement")
        check(b"UNIQUE" not in r.body and b"duplicate" not in r.body,
              "the SQL error stays in the log: %r" % r.body)
        eq(count(s), 1, "after a failed statement")
        # an error code without an answer: 500 from the framework
        r = s.request("POST", "/tx/error")
        eq(r.status, 500, "error")
        eq(count(s), 1, "after a handler error")
        # answered but never committed
        r = s.request("POST", "/tx/forget")
        eq(r.status, 200, "forget")
        eq(count(s), 1, "after a forgotten commit")
        # the coroutine dies mid-transaction
        r = s.request("POST", "/tx/crash")
        eq(r.status, 500, "crash")
        eq(count(s), 1, "after a crash")
        # savepoints: the inner level rolled back, the outer kept
        r = s.request("POST", "/tx/nested")
        eq(r.status, 201, "nested: %r" % r.body[:200])
        eq(count(s), 2, "after nested")
        # the connections are still good
        for _ in range(5):
            eq(s.request("POST", "/tx/commit").status, 201, "commit again")
        eq(count(s), 7, "final count")
        check("rolled back" in s.stderr(), "the forgotten commit is logged")
test_transaction_endings.timeout = 60


def test_concurrent_transactions():
    n = harness.scaled(60, 20)
    with app(workers=2) as s:
        setup(s)
        errors = []

        def go():
            try:
                for _ in range(3):
                    r = s.request("POST", "/tx/commit", timeout=t(30))
                    if r.status != 201:
                        errors.append((r.status, r.body[:200]))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
        ts = [threading.Thread(target=go) for _ in range(n // 3)]
        for th in ts:
            th.start()
        for th in ts:
            th.join(t(60))
        eq(errors, [], "failed requests")
        eq(count(s), (n // 3) * 3, "every committed row is there")
test_concurrent_transactions.timeout = 90


def test_transactions_that_wait_do_not_mix():
    """Two requests on one worker, each holding a transaction across a
    yield: neither sees or commits the other's half-done work."""
    with app(workers=1) as s:
        setup(s)
        results = []

        def hold():
            results.append(s.request("POST", "/tx/hold?ms=300",
                                     timeout=t(20)).status)
        ts = [threading.Thread(target=hold) for _ in range(4)]
        for th in ts:
            th.start()
        # a forgotten commit in between must not take the others with it
        eq(s.request("POST", "/tx/forget").status, 200, "forget")
        for th in ts:
            th.join(t(30))
        eq(sorted(results), [201] * 4, "held transactions")
        eq(count(s), 4, "rows of the held transactions")
test_transactions_that_wait_do_not_mix.timeout = 60


def test_bad_database_url_is_an_error():
    import subprocess
    binary = harness.resolve_binary("tests/dbapp")
    p = subprocess.run([binary, "--db", "mysql://localhost/x"],
                       capture_output=True, timeout=t(10))
    eq(p.returncode, 2, "exit status")
    check(b"unsupported database URL scheme 'mysql'" in p.stderr, p.stderr)
