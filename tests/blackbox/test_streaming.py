"""12. Chunked streaming responses."""

import time

from harness import shared_server, server, build_request, expect, eq, check, t


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


def test_stream_to_a_peer_that_does_not_read():
    # The handler streams far more than the socket buffers hold; the client
    # reads nothing. After the body timeout the handler's write fails, the
    # connection is closed, and the server goes on and exits cleanly.
    import socket
    with server(workers=1, args=["--body-timeout-ms", "500"]) as s:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=t(10))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(build_request("GET", "/stream?n=2000&size=65536"))
        expect(s.get("/plaintext"), 200, "Hello, World!")
        # the socket stays open and unread: only the timeout can end it
        deadline = time.monotonic() + t(5)
        while "stream ended" not in s.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        check("stream ended" in s.stderr(),
              "the handler's write never failed: %s" % s.stderr()[-500:])
        expect(s.get("/plaintext"), 200, "Hello, World!")
        # the server gave up on us: draining what is buffered ends in EOF
        total, deadline = 0, time.monotonic() + t(10)
        while time.monotonic() < deadline:
            try:
                d = sock.recv(1 << 20)
            except (ConnectionResetError, socket.timeout):
                break
            if not d:
                break
            total += len(d)
        check(total < 2000 * 65536, "the whole stream was sent (%d bytes)"
              % total)
        sock.close()
        rc, err = s.stop()
        eq(rc, 0, "exit code (stderr: %s)" % err[-500:])
