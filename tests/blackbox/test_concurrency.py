"""11. Thousands of sleeping handlers on one worker."""

import errno
import selectors
import socket
import time

from harness import server, check, eq, t, scaled, ASAN, build_request, expect


def _run_many(port, n, target, max_pending=256, timeout=15.0):
    """n concurrent GETs via non-blocking sockets; returns (results, elapsed)
    where results maps index -> (status, body) or an error string."""
    sel = selectors.DefaultSelector()
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % target).encode()
    results = {}
    state = {}
    next_i = 0
    pending = 0
    start = time.monotonic()
    deadline = start + timeout

    def finish(i, sock, res):
        nonlocal pending
        results[i] = res
        if state[i]["phase"] == "connect":
            pending -= 1
        try:
            sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    while len(results) < n and time.monotonic() < deadline:
        while next_i < n and pending < max_pending:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex(("127.0.0.1", port))
            if rc not in (0, errno.EINPROGRESS):
                results[next_i] = "connect: %s" % errno.errorcode.get(rc, rc)
                s.close()
            else:
                state[next_i] = {"phase": "connect", "buf": b""}
                sel.register(s, selectors.EVENT_WRITE, next_i)
                pending += 1
            next_i += 1
        for key, ev in sel.select(0.05):
            i, s = key.data, key.fileobj
            st = state[i]
            if st["phase"] == "connect":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    finish(i, s, "connect: %s" % errno.errorcode.get(err, err))
                    continue
                pending -= 1
                st["phase"] = "read"
                try:
                    s.send(req)
                except OSError as e:
                    finish(i, s, "send: %s" % e)
                    continue
                sel.modify(s, selectors.EVENT_READ, i)
                continue
            try:
                d = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                finish(i, s, "recv: %s" % e)
                continue
            st["buf"] += d
            buf = st["buf"]
            he = buf.find(b"\r\n\r\n")
            if he >= 0:
                head = buf[:he].decode("latin-1").split("\r\n")
                status = int(head[0].split(" ")[1])
                cl = None
                for line in head[1:]:
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-length":
                        cl = int(v.strip())
                if cl is not None and len(buf) - he - 4 >= cl:
                    finish(i, s, (status, buf[he + 4:he + 4 + cl]))
                    continue
            if not d:
                finish(i, s, "closed early: %r" % buf[:80])
    elapsed = time.monotonic() - start
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    return results, elapsed


def test_thousands_of_sleeping_handlers_one_worker():
    n = scaled(2000, 500)
    with server(workers=1) as s:
        results, elapsed = _run_many(s.port, n, "/sleep?ms=1000", timeout=t(15))
        ok = sum(1 for r in results.values() if r == (200, b"slept 1000"))
        bad = [r for r in results.values() if r != (200, b"slept 1000")]
        check(ok == n, "%d of %d sleeping requests answered 200 within %.1fs "
              "(%d missing; first bad: %r)" % (ok, n, elapsed, n - len(results),
                                              bad[:1]))
        limit = 3.5 if not ASAN else 8.0
        check(elapsed < limit, "%d concurrent 1s sleeps on one worker took %.2fs "
              "(limit %.1fs): they did not sleep concurrently" % (n, elapsed, limit))
        check(elapsed >= 0.95, "answered in %.2fs: the handlers did not sleep 1s" % elapsed)
        check(s.alive(), "server died")
test_thousands_of_sleeping_handlers_one_worker.timeout = 40
# alone (tests/blackbox/run.py): 2,000 connections and a time bound
test_thousands_of_sleeping_handlers_one_worker.serial = True


def test_fast_requests_not_blocked_by_sleepers():
    # While 200 handlers sleep on a single worker, fast requests are served.
    with server(workers=1) as s:
        sleepers = []
        for _ in range(200):
            c = s.connect(timeout=t(5))
            c.send(b"GET /sleep?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
            sleepers.append(c)
        a = time.monotonic()
        for _ in range(20):
            r = s.get("/plaintext")
            eq(r.status, 200, "status")
        took = time.monotonic() - a
        check(took < t(1.0), "20 fast requests took %.2fs behind 200 sleepers" % took)
        for c in sleepers:
            r = c.read_response(timeout=t(5))
            eq(r.body, b"slept 1500", "sleeper body")
            c.close()


# alone: a latency bound while 200 handlers sleep
test_fast_requests_not_blocked_by_sleepers.serial = True


def test_wait_fd_timeout_and_readiness():
    # kiln_wait_fd inside a handler: a 50 ms timeout on an idle socket, then
    # writability and readability; meanwhile the worker serves others.
    import json as _json
    with server(workers=1) as s:
        with s.connect() as c:
            c.send(build_request("GET", "/waitfd"))
            a = time.monotonic()
            expect(s.get("/plaintext"), 200, "Hello, World!")
            r = c.read_response()
            eq(r.status, 200, "status of /waitfd")
            body = _json.loads(r.body)
            check(body["timedout"] is True, "first wait timed out: %r" % body)
            check(40 <= body["waited_ms"] <= 1000,
                  "waited %r ms, want about 50" % body["waited_ms"])
            check(body["writable"] is True and body["readable"] is True,
                  "readiness after a write: %r" % body)
            check(time.monotonic() - a < t(2), "wait_fd took too long")
