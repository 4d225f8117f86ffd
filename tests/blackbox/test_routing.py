"""6. Paths, routing, HEAD/OPTIONS/405, query, headers, cookies."""

from harness import (shared_server, build_request, expect, check, eq, problem,
                     common_headers)


def test_dot_segments():
    s = shared_server()
    expect(s.get("/path/a/../b"), 200, "/path/b", "text/plain")
    # RFC 3986 5.2.4: a final "." leaves the trailing slash ("/a/b/")
    expect(s.get("/path/./a/./b/."), 200, "/path/a/b/")
    expect(s.get("/path/a/b/../../c"), 200, "/path/c")


def test_encoded_dot_segments_normalised():
    s = shared_server()
    # percent-encoded dots are dot-segments too: no bypassing normalisation
    expect(s.get("/path/a/%2e%2e/b"), 200, "/path/b")
    expect(s.get("/path/a/%2E%2e/%2e/b"), 200, "/path/b")
    r = s.get("/path/%2e%2e/x")
    # /path/../x is /x: not under /path any more, so no route
    eq(r.status, 404, "status of /path/%2e%2e/x (normalises to /x)")


def test_cannot_escape_root():
    s = shared_server()
    for target in ("/../../path/a", "/path/../../../path/a",
                   "/%2e%2e/%2e%2e/path/a", "/path/%2e%2e/%2e%2e/%2e%2e/path/a"):
        r = s.get(target)
        if r.status == 200:
            eq(r.body, b"/path/a", "body for %s" % target)
        else:
            eq(r.status, 400, "status for %s (want 200 '/path/a' or 400)" % target)
        check(b".." not in r.body, "%s: '..' leaked into %r" % (target, r.body))


def test_path_decoding():
    s = shared_server()
    expect(s.get("/path/hello%20world"), 200, "/path/hello world")
    expect(s.get("/path/caf%C3%A9"), 200, "/path/caf\u00e9".encode())
    expect(s.get("/path"), 200, "/path")


def test_path_params():
    s = shared_server()
    expect(s.get("/users/42"), 200, "user 42")
    expect(s.get("/users/abc-def"), 200, "user abc-def")
    expect(s.get("/files/a/b/c.txt"), 200, "rest a/b/c.txt")
    expect(s.get("/files/x"), 200, "rest x")


def test_delete_204():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("DELETE", "/users/5"))
        r = c.read_response()
        expect(r, 204, b"")
        check(not r.has("Content-Length"), "204 carries Content-Length")
        check(not r.has("Transfer-Encoding"), "204 carries Transfer-Encoding")
        common_headers(r)
        # no stray body bytes: the next response parses
        c.send(build_request("GET", "/users/5"))
        expect(c.read_response(), 200, "user 5")


def test_post_items_201():
    s = shared_server()
    r = s.request("POST", "/items", body=b'{"name":"x"}')
    expect(r, 201, "created")
    eq(r.header("Content-Length"), "7", "Content-Length")


def test_put_echo():
    s = shared_server()
    expect(s.request("PUT", "/echo", body=b"put body"), 200, "put body")


def test_404_problem_json():
    s = shared_server()
    r = s.get("/no/such/thing")
    problem(r, 404)
    common_headers(r)
    check(r.has("Content-Length"), "404 without Content-Length")


def test_405_with_allow():
    s = shared_server()
    r = s.request("POST", "/plaintext", body=b"x")
    eq(r.status, 405, "status")
    allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
    check("GET" in allow, "Allow %r does not list GET" % r.header("Allow"))
    check("POST" not in allow, "Allow %r lists POST" % r.header("Allow"))
    r = s.request("PATCH", "/users/1", body=b"x")
    eq(r.status, 405, "status of PATCH /users/1")
    allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
    check({"GET", "DELETE"} <= allow, "Allow %r lacks GET/DELETE" % r.header("Allow"))
    r = s.request("GET", "/items")
    eq(r.status, 405, "status of GET /items")
    check("POST" in (r.header("Allow") or ""), "Allow for /items lacks POST")


def test_head_same_headers_no_body():
    s = shared_server()
    with s.connect() as c:
        for target in ("/plaintext", "/json", "/users/77"):
            c.send(build_request("GET", target))
            g = c.read_response()
            eq(g.status, 200, "GET status")
            c.send(build_request("HEAD", target))
            h = c.read_response(method="HEAD")
            eq(h.status, 200, "HEAD status")
            eq(h.header("Content-Length"), g.header("Content-Length"),
               "HEAD Content-Length vs GET for %s" % target)
            eq(h.header("Content-Type"), g.header("Content-Type"),
               "HEAD Content-Type vs GET for %s" % target)
            common_headers(h)
        # If HEAD had sent a body, this response would be misparsed.
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")
        c.assert_open(0.1)


def test_options_allow():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("OPTIONS", "/users/1"))
        r = c.read_response()
        eq(r.status, 204, "OPTIONS status")
        allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
        eq(allow, {"GET", "HEAD", "DELETE", "OPTIONS"}, "Allow methods")
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")


def test_query_parsing():
    s = shared_server()
    r = expect(s.get("/query?a=1&b=x%20y"), 200, ctype="application/json")
    eq(r.json(), {"a": "1", "b": "x y"}, "query object")
    r = expect(s.get("/query?a=1&a=2&c=%7B%22%7D&empty=&e=caf%C3%A9"), 200)
    eq(r.json(), {"a": "1", "c": '{"}', "empty": "", "e": "caf\u00e9"}, "query object")
    r = expect(s.get("/query"), 200)
    eq(r.json(), {}, "empty query")
    r = expect(s.get("/query?key=v%26al%3D%2B"), 200)
    eq(r.json(), {"key": "v&al=+"}, "encoded reserved characters in a value")


def test_header_lookup_case_insensitive():
    s = shared_server()
    r = s.get("/header?name=x-custom-thing", headers=[("X-CusTom-Thing", "v1")])
    expect(r, 200, "v1", "text/plain")
    r = s.get("/header?name=X-CUSTOM-THING", headers=[("x-custom-thing", "v2")])
    expect(r, 200, "v2")
    r = s.get("/header?name=X-Spaced", headers=[("X-Spaced", "  trimmed value \t")])
    expect(r, 200, "trimmed value")
    eq(s.get("/header?name=X-Absent").status, 404, "absent header status")
    expect(s.get("/header?name=host"), 200, "127.0.0.1")


def test_cookies():
    s = shared_server()
    h = [("Cookie", "a=1; session=abc123; b=2")]
    expect(s.get("/cookie?name=session", headers=h), 200, "abc123")
    expect(s.get("/cookie?name=a", headers=h), 200, "1")
    expect(s.get("/cookie?name=b", headers=h), 200, "2")
    eq(s.get("/cookie?name=nope", headers=h).status, 404, "absent cookie status")
    eq(s.get("/cookie?name=session").status, 404, "no Cookie header status")
    # cookie names are case-sensitive
    eq(s.get("/cookie?name=SESSION", headers=h).status, 404, "cookie name case")
