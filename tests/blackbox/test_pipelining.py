"""2. Pipelined requests are answered in order."""

import time

from harness import shared_server, build_request, expect, check, eq, t


def _pipeline():
    reqs, want = [], []
    for i in range(50):
        k = i % 5
        if i == 25:
            reqs.append(build_request("GET", "/sleep?ms=20"))
            want.append((200, b"slept 20"))
        elif k == 0:
            reqs.append(build_request("GET", "/plaintext"))
            want.append((200, b"Hello, World!"))
        elif k == 1:
            reqs.append(build_request("GET", "/users/%d" % i))
            want.append((200, b"user %d" % i))
        elif k == 2:
            body = b"body-%d-" % i + b"z" * i
            reqs.append(build_request("POST", "/echo", body=body))
            want.append((200, body))
        elif k == 3:
            reqs.append(build_request("GET", "/files/a/%d/b.txt" % i))
            want.append((200, b"rest a/%d/b.txt" % i))
        else:
            reqs.append(build_request("GET", "/json"))
            want.append((200, b'{"message":"Hello, World!"}'))
    return reqs, want


def test_pipeline_50_in_one_send():
    s = shared_server()
    reqs, want = _pipeline()
    with s.connect(timeout=t(10)) as c:
        c.send(b"".join(reqs))
        for i, (st, body) in enumerate(want):
            r = c.read_response()
            eq(r.status, st, "status of response %d" % i)
            if b"message" in body:
                eq(r.json(), {"message": "Hello, World!"}, "body of response %d" % i)
            else:
                eq(r.body, body, "body of response %d" % i)
        c.assert_open(0.2)


def test_pipeline_sleep_does_not_reorder():
    # A slow request first, fast ones behind it: the fast ones must wait.
    s = shared_server()
    with s.connect(timeout=t(10)) as c:
        start = time.monotonic()
        c.send(build_request("GET", "/sleep?ms=200") +
               build_request("GET", "/plaintext") +
               build_request("GET", "/users/7"))
        expect(c.read_response(), 200, "slept 200")
        check(time.monotonic() - start >= 0.19, "sleep finished too early")
        expect(c.read_response(), 200, "Hello, World!")
        expect(c.read_response(), 200, "user 7")


def test_pipeline_with_head_and_close():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("HEAD", "/plaintext") +
               build_request("GET", "/plaintext") +
               build_request("GET", "/users/9", headers=[("Connection", "close")]) +
               build_request("GET", "/plaintext"))
        r = expect(c.read_response(method="HEAD"), 200, b"")
        eq(r.header("Content-Length"), "13", "HEAD Content-Length")
        expect(c.read_response(), 200, "Hello, World!")
        expect(c.read_response(), 200, "user 9")
        # the request after Connection: close must not be answered
        c.assert_closed(what="after Connection: close in a pipeline")


def test_pipeline_split_across_sends():
    s = shared_server()
    reqs = b"".join(build_request("GET", "/users/%d" % i) for i in range(10))
    with s.connect() as c:
        cuts = list(range(7, len(reqs), 23))
        c.send(reqs, split=cuts, delay=0.002)
        for i in range(10):
            expect(c.read_response(), 200, "user %d" % i)


def test_deep_pipeline_with_backpressure():
    # 20,000 requests sent while the client reads concurrently: the server
    # stops handling input while its unsent output is large, and must resume
    # once the client has read it (a stall here once lost the connection).
    import socket
    import threading
    s = shared_server()
    n = 20000
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=t(10))
    try:
        data = build_request("GET", "/plaintext") * n
        sender = threading.Thread(target=sock.sendall, args=(data,),
                                  daemon=True)
        sender.start()
        got = 0
        deadline = time.monotonic() + t(20)
        while got < n and time.monotonic() < deadline:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            got += chunk.count(b"Hello, World!")
        eq(got, n, "responses to a deep pipeline")
    finally:
        sock.close()
