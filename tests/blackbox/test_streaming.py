"""12. Chunked streaming responses."""

from harness import shared_server, build_request, expect, eq, check, t


def test_stream_chunks():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/stream?n=5"))
        r = c.read_response(timeout=t(10))
        eq(r.status, 200, "status")
        eq((r.header("Transfer-Encoding") or "").lower(), "chunked", "Transfer-Encoding")
        check(not r.has("Content-Length"), "chunked response also has Content-Length")
        check(r.chunked, "response not chunked")
        want = b"".join(b"chunk %d\n" % i for i in range(5))
        eq(r.body, want, "decoded body")
        check(len(r.chunks) >= 5, "fewer than 5 chunks: %r" % r.chunks)
        # connection reusable after the terminating chunk
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")


def test_stream_zero_chunks():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/stream?n=0"))
        r = c.read_response()
        expect(r, 200, b"")


def test_stream_http10_unchunked_then_close():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/stream?n=5", version="HTTP/1.0"))
        r = c.read_response(timeout=t(10))
        eq(r.status, 200, "status")
        check(not r.has("Transfer-Encoding"),
              "HTTP/1.0 response has Transfer-Encoding %r" % r.header("Transfer-Encoding"))
        check(r.until_close, "body was not delimited by close")
        eq(r.body, b"".join(b"chunk %d\n" % i for i in range(5)), "body")
        check(c.eof, "connection not closed")


def test_stream_head():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("HEAD", "/stream?n=3"))
        r = c.read_response(method="HEAD")
        eq(r.status, 200, "status")
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")


def test_stream_pipelined():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/stream?n=3") + build_request("GET", "/users/3") +
               build_request("GET", "/stream?n=2"))
        expect(c.read_response(timeout=t(10)), 200, b"chunk 0\nchunk 1\nchunk 2\n")
        expect(c.read_response(), 200, "user 3")
        expect(c.read_response(timeout=t(10)), 200, b"chunk 0\nchunk 1\n")
