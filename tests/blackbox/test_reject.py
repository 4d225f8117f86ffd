"""5. Malformed or forbidden requests: the status shown, then the
connection is closed.  Plus positive controls just inside the limits."""

from harness import (shared_server, build_request, chunked, expect, eq,
                     shorten, t)

H = b"Host: 127.0.0.1\r\n"
LIMIT = ["--max-body", "1000"]


def _raw(line, *headers, body=b""):
    return (line.encode() + b"\r\n" + b"".join(h.encode("latin-1") + b"\r\n" for h in headers)
            + b"\r\n" + body)


def _post(*headers, body=b""):
    return _raw("POST /echo HTTP/1.1", "Host: 127.0.0.1", *headers, body=body)


def _get(*headers, target="/plaintext"):
    return _raw("GET %s HTTP/1.1" % target, "Host: 127.0.0.1", *headers)


def _headers_total(n_fields, value_len):
    return ["X-Field-%03d: %s" % (i, "v" * value_len) for i in range(n_fields)]


CASES = [
    # name, request bytes, status, server args
    ("missing_host", _raw("GET /plaintext HTTP/1.1"), 400, []),
    ("two_hosts", _raw("GET /plaintext HTTP/1.1", "Host: a.example", "Host: b.example"), 400, []),
    ("two_identical_hosts", _raw("GET /plaintext HTTP/1.1", "Host: a", "Host: a"), 400, []),
    ("cl_and_te", _post("Content-Length: 5", "Transfer-Encoding: chunked",
                        body=b"5\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("te_and_cl", _post("Transfer-Encoding: chunked", "Content-Length: 5",
                        body=b"5\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("two_differing_cl", _post("Content-Length: 5", "Content-Length: 6", body=b"hello!"), 400, []),
    ("cl_list_differing", _post("Content-Length: 5, 6", body=b"hello!"), 400, []),
    ("cl_plus", _post("Content-Length: +5", body=b"hello"), 400, []),
    ("cl_suffix", _post("Content-Length: 5a", body=b"hello"), 400, []),
    ("cl_negative", _post("Content-Length: -1", body=b"hello"), 400, []),
    ("cl_empty", _post("Content-Length: ", body=b"hello"), 400, []),
    ("cl_hex", _post("Content-Length: 0x5", body=b"hello"), 400, []),
    ("cl_overflow", _post("Content-Length: 99999999999999999999999", body=b"hello"), (400, 413), []),
    ("te_chunked_then_gzip", _post("Transfer-Encoding: chunked, gzip",
                                   body=b"5\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("te_identity", _post("Transfer-Encoding: identity", body=b"hello"), (400, 501), []),
    ("te_chunked_twice", _post("Transfer-Encoding: chunked", "Transfer-Encoding: chunked",
                               body=b"5\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("te_gzip_chunked", _post("Transfer-Encoding: gzip, chunked",
                              body=b"5\r\nhello\r\n0\r\n\r\n"), 501, []),
    ("chunk_size_zz", _post("Transfer-Encoding: chunked", body=b"zz\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("chunk_size_overflow", _post("Transfer-Encoding: chunked",
                                  body=b"fffffffffffffffffff\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("chunk_size_empty", _post("Transfer-Encoding: chunked", body=b"\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("chunk_size_negative", _post("Transfer-Encoding: chunked", body=b"-5\r\nhello\r\n0\r\n\r\n"), 400, []),
    ("chunk_data_no_crlf", _post("Transfer-Encoding: chunked", body=b"5\r\nhelloXX0\r\n\r\n"), 400, []),
    ("obs_fold", _get("X-Folded: first", " second"), 400, []),
    ("obs_fold_tab", _get("X-Folded: first", "\tsecond"), 400, []),
    ("space_before_colon", _get("X-Foo : bar"), 400, []),
    ("tab_before_colon", _get("X-Foo\t: bar"), 400, []),
    ("space_in_name", _get("X Foo: bar"), 400, []),
    ("empty_name", _get(": bar"), 400, []),
    ("no_colon", _get("NoColonHere"), 400, []),
    ("bare_cr_in_value", _get("X-Foo: a\rb"), 400, []),
    ("bare_cr_in_request_line", b"GET /plaintext\rHTTP/1.1\r\n" + H + b"\r\n", 400, []),
    ("nul_in_value", _get("X-Foo: a\x00b"), 400, []),
    ("nul_in_name", _get("X-F\x00oo: b"), 400, []),
    ("bare_lf_header_line", b"GET /plaintext HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400, []),
    ("bare_lf_everywhere", b"GET /plaintext HTTP/1.1\nHost: x\n\n", 400, []),
    ("target_too_long", _get(target="/path/" + "a" * 9000), 414, []),
    ("header_section_too_large", _get(*_headers_total(20, 900)), 431, []),
    ("one_huge_header", _get("X-Huge: " + "h" * 17000), 431, []),
    ("101_header_fields", _get(*_headers_total(100, 1)), 431, []),
    ("body_over_limit_cl", _post("Content-Length: 1001"), 413, LIMIT),
    ("body_over_limit_cl_huge", _post("Content-Length: 1000000000"), 413, LIMIT),
    ("body_over_limit_chunked", _post("Transfer-Encoding: chunked",
                                      body=chunked(b"a" * 500, b"b" * 500, b"c" * 500)), 413, LIMIT),
    ("http_2_0", _raw("GET /plaintext HTTP/2.0", "Host: x"), 505, []),
    ("http_3_1", _raw("GET /plaintext HTTP/3.1", "Host: x"), 505, []),
    ("garbage_request_line", b"HELLO THERE\r\n" + H + b"\r\n", 400, []),
    ("binary_request_line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, []),
    ("http09_request_line", b"GET /plaintext\r\n\r\n", 400, []),
    ("lowercase_version", _raw("GET /plaintext http/1.1", "Host: x"), (400, 505), []),
    ("pct00_in_path", _get(target="/path/a%00b"), 400, []),
    ("bad_percent_escape", _get(target="/path/a%zzb"), 400, []),
    ("truncated_percent_escape", _get(target="/path/a%2"), 400, []),
    ("expect_other", _get("Expect: something-else"), 417, []),
]


def _make(name, req, status, args):
    def test():
        s = shared_server(args=args)
        with s.connect() as c:
            try:
                c.send(req)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may stop reading early; the response counts
            r = c.read_response(timeout=t(5))
            want = status if isinstance(status, tuple) else (status,)
            if r.status not in want:
                raise AssertionError("status: got %d, want %s (body %s)"
                                     % (r.status, " or ".join(map(str, want)),
                                        shorten(r.body)))
            c.assert_closed(what="after %d" % r.status)
    test.__name__ = "test_reject_" + name
    test.order = 1000 + len(_ORDER)
    _ORDER.append(name)
    return test


_ORDER = []
for _case in CASES:
    globals()["test_reject_" + _case[0]] = _make(*_case)


# --- positive controls: just inside the limits ----------------------------

def test_accept_100_header_fields():
    s = shared_server()
    r = s.request("GET", "/header?name=x-field-098",
                  headers=[(h.split(": ")[0], "v") for h in _headers_total(99, 1)])
    expect(r, 200, "v")


def test_accept_header_section_12k():
    s = shared_server()
    hs = [h.split(": ", 1) for h in _headers_total(15, 800)]
    r = s.request("GET", "/header?name=X-Field-014", headers=hs)
    expect(r, 200, "v" * 800)


def test_accept_long_target_4k():
    s = shared_server()
    expect(s.get("/path/" + "a" * 4000), 200, "/path/" + "a" * 4000)


def test_accept_body_at_limit():
    s = shared_server(args=LIMIT)
    with s.connect() as c:
        c.send(build_request("POST", "/echo", body=b"q" * 1000))
        expect(c.read_response(), 200, b"q" * 1000)
        c.send(build_request("POST", "/echo", headers=[("Transfer-Encoding", "chunked")])
               + chunked(b"a" * 600, b"b" * 400))
        expect(c.read_response(), 200, b"a" * 600 + b"b" * 400)


def test_accept_identical_content_lengths():
    # RFC 9112 6.3: identical repeated values may be accepted; at the
    # least, the server must not echo the wrong body.  Either 200 with the
    # correct body or 400-and-close is acceptable.
    s = shared_server()
    with s.connect() as c:
        c.send(_post("Content-Length: 5", "Content-Length: 5", body=b"hello"))
        r = c.read_response()
        if r.status == 200:
            eq(r.body, b"hello", "body")
        else:
            eq(r.status, 400, "status")
            c.assert_closed()


def test_http_1_0_and_1_1_versions_accepted():
    s = shared_server()
    for v in ("HTTP/1.0", "HTTP/1.1"):
        r = s.request("GET", "/plaintext") if v == "HTTP/1.1" else None
        if r is None:
            with s.connect() as c:
                c.send(build_request("GET", "/plaintext", version=v))
                r = c.read_response()
        expect(r, 200, "Hello, World!")


def test_connection_usable_after_404():
    # a 404/405 is not a framing error: the connection stays open
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("GET", "/no/such/route"))
        eq(c.read_response().status, 404, "status")
        c.send(build_request("POST", "/plaintext", body=b"x"))
        eq(c.read_response().status, 405, "status")
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")
