"""7. Handler errors and coroutine stack overflow."""

from harness import server, shared_server, build_request, expect, problem, eq, check


def test_handler_error_500():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/error"))
        r = c.read_response()
        j = problem(r, 500)
        check(r.has("Content-Length"), "500 without Content-Length")
        check(r.has("Date") and r.has("Server"), "500 lacks Date/Server")
        check("title" in j or "detail" in j, "problem body lacks title/detail: %r" % j)
    # the server keeps serving
    expect(s.get("/plaintext"), 200, "Hello, World!")


def test_handler_error_does_not_leak_to_next_request():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/error") + build_request("GET", "/plaintext"))
        r = c.read_response()
        eq(r.status, 500, "status of /error")
        if "close" not in r.connection_tokens():
            expect(c.read_response(), 200, "Hello, World!")


def test_overflow_500_and_worker_survives():
    # One worker, so every request lands on the worker whose coroutine
    # overflowed its stack.
    with server(workers=1) as s:
        for i in range(5):
            r = s.get("/overflow")
            problem(r, 500)
            expect(s.get("/plaintext"), 200, "Hello, World!")
            r = s.get("/json")
            eq(r.status, 200, "status of /json after overflow %d" % i)
        # a request in flight on the same worker while another overflows
        with s.connect() as slow:
            slow.send(build_request("GET", "/sleep?ms=300"))
            problem(s.get("/overflow"), 500)
            expect(slow.read_response(), 200, "slept 300")
        check(s.alive(), "server died")
        rc, err = s.stop()
        eq(rc, 0, "exit code after overflows (stderr: %s)" % err[-500:])
test_overflow_500_and_worker_survives.timeout = 60


def test_overflow_on_keepalive_connection():
    with server(workers=1) as s:
        with s.connect() as c:
            c.send(build_request("GET", "/overflow"))
            problem(c.read_response(), 500)
            c.send(build_request("GET", "/plaintext"))
            expect(c.read_response(), 200, "Hello, World!")


def test_handler_error_logged_with_request_id():
    with server(workers=1) as s:
        r = s.get("/error")
        j = problem(r, 500)
        rc, err = s.stop()
        eq(rc, 0, "exit code")
    lines = [l for l in err.splitlines() if "/error" in l]
    check(lines, "no stderr line mentions the failed request /error; stderr: %s" % err[-800:])
    rid = j.get("request_id")
    if rid is not None:
        check(any(str(rid) in l for l in lines),
              "request_id %r of the response is not in the log line %r" % (rid, lines))
