"""1. Persistent connections."""

from harness import (shared_server, build_request, expect, check, eq,
                     common_headers)


def test_many_requests_one_connection():
    s = shared_server()
    with s.connect() as c:
        for i in range(10):
            if i % 3 == 0:
                c.send(build_request("GET", "/plaintext"))
                r = expect(c.read_response(), 200, "Hello, World!", "text/plain")
            elif i % 3 == 1:
                c.send(build_request("GET", "/json"))
                r = expect(c.read_response(), 200, ctype="application/json")
                eq(r.json(), {"message": "Hello, World!"}, "json body")
            else:
                c.send(build_request("GET", "/users/%d" % i))
                r = expect(c.read_response(), 200, "user %d" % i)
            common_headers(r)
            eq(r.version, "HTTP/1.1", "response version")
            check("close" not in r.connection_tokens(),
                  "HTTP/1.1 response %d says Connection: close" % i)
        c.assert_open(0.3)


def test_http10_closes_by_default():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/plaintext", version="HTTP/1.0"))
        r = expect(c.read_response(), 200, "Hello, World!")
        check("keep-alive" not in r.connection_tokens(),
              "HTTP/1.0 response without keep-alive request says keep-alive")
        c.assert_closed(what="HTTP/1.0 connection")


def test_http10_without_host_is_accepted():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/plaintext", version="HTTP/1.0", host=None))
        expect(c.read_response(), 200, "Hello, World!")
        c.assert_closed(what="HTTP/1.0 connection")


def test_http10_keep_alive():
    s = shared_server()
    with s.connect() as c:
        for i in range(3):
            c.send(build_request("GET", "/plaintext", version="HTTP/1.0",
                                 headers=[("Connection", "keep-alive")]))
            r = expect(c.read_response(), 200, "Hello, World!")
            check("keep-alive" in r.connection_tokens(),
                  "response %d to HTTP/1.0 keep-alive lacks Connection: keep-alive "
                  "(headers %r)" % (i, r.headers))
            check(r.has("Content-Length"), "keep-alive HTTP/1.0 response needs Content-Length")
        c.assert_open(0.3, what="HTTP/1.0 keep-alive connection")


def test_connection_close():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")
        c.send(build_request("GET", "/json", headers=[("Connection", "close")]))
        r = expect(c.read_response(), 200, ctype="application/json")
        check("close" in r.connection_tokens(),
              "response to Connection: close lacks Connection: close (%r)" % r.headers)
        c.assert_closed(what="Connection: close")


def test_connection_close_token_list():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/plaintext", headers=[("Connection", "foo, Close")]))
        expect(c.read_response(), 200, "Hello, World!")
        c.assert_closed(what="Connection: foo, Close")


def test_post_then_get_on_same_connection():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/echo", body=b"x" * 5000))
        r = expect(c.read_response(), 200, b"x" * 5000, "application/octet-stream")
        eq(r.header("X-Body-Length"), "5000", "X-Body-Length")
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")
