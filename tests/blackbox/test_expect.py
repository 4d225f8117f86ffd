"""4. Expect: 100-continue."""

from harness import shared_server, build_request, expect, check, eq, t, TestTimeout


def test_100_continue_before_body():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/echo", headers=[
            ("Content-Length", "11"), ("Expect", "100-continue")]))
        # nothing of the body is sent yet: the server must ask for it
        try:
            r = c.read_response(allow_interim=False, timeout=t(3))
        except TestTimeout:
            raise AssertionError("no 100 Continue within 3s while the body was withheld")
        eq(r.status, 100, "interim status before body")
        eq(r.version, "HTTP/1.1", "100 Continue version")
        check(c.buf == b"", "bytes after the 100 Continue: %r" % bytes(c.buf))
        c.send(b"hello world")
        r = c.read_response()
        expect(r, 200, "hello world")
        # connection still usable
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")


def test_100_continue_chunked():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/echo", headers=[
            ("Transfer-Encoding", "chunked"), ("Expect", "100-Continue")]))
        r = c.read_response(allow_interim=False, timeout=t(3))
        eq(r.status, 100, "interim status before chunked body")
        c.send(b"3\r\nabc\r\n0\r\n\r\n")
        expect(c.read_response(), 200, "abc")


def test_100_continue_over_limit_gets_413():
    s = shared_server(args=["--max-body", "1000"])
    with s.connect() as c:
        c.send(build_request("POST", "/echo", headers=[
            ("Content-Length", "5000"), ("Expect", "100-continue")]))
        r = c.read_response(allow_interim=False, timeout=t(3))
        eq(r.status, 413, "status for an oversized body with Expect")
        c.assert_closed(what="after 413")


def test_100_continue_not_for_http10():
    # An HTTP/1.0 client does not understand 1xx: no 100 Continue.
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/echo", version="HTTP/1.0", headers=[
            ("Content-Length", "3"), ("Expect", "100-continue")]))
        closed, extra = c.wait_closed(t(0.5))
        check(not extra.startswith(b"HTTP/1.1 100"),
              "HTTP/1.0 request got a 100 Continue: %r" % extra[:60])
        if closed:
            raise AssertionError("server closed the HTTP/1.0 connection before the body")
        c.buf += extra
        c.send(b"abc")
        expect(c.read_response(), 200, "abc")


def test_no_100_when_body_already_sent():
    # The client sent the body together with the head: the final response
    # may or may not be preceded by a 100, but it must be correct.
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/echo", headers=[("Expect", "100-continue")],
                             body=b"eager body"))
        r = c.read_response()
        expect(r, 200, "eager body")
        for i in r.interim:
            eq(i.status, 100, "interim status")
