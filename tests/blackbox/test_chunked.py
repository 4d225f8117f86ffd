"""3. Chunked request bodies and trailers."""

from harness import shared_server, build_request, chunked, expect, eq

TE = [("Transfer-Encoding", "chunked")]


def _echo(c, body_bytes, split=None, delay=0.0, headers=TE):
    c.send(build_request("POST", "/echo", headers=headers) + body_bytes,
           split=split, delay=delay)
    return c.read_response()


def test_chunked_several_chunks():
    s = shared_server()
    with s.connect() as c:
        r = _echo(c, chunked("Hello, ", "chunked ", "world", "!" * 300))
        expect(r, 200, b"Hello, chunked world" + b"!" * 300, "application/octet-stream")
        eq(r.header("X-Body-Length"), str(20 + 300), "X-Body-Length")
        # the connection stays usable after a chunked body
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")


def test_chunked_extensions_and_hex_case():
    s = shared_server()
    data = (b"5;name=value\r\nHello\r\n"
            b"0000A ; a=1;b=\"quo;ted\"\r\n0123456789\r\n"
            b"1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
            b"1A;x\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"
            b"0;last=yes\r\n\r\n")
    with s.connect() as c:
        r = _echo(c, data)
        expect(r, 200, b"Hello0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        eq(r.header("X-Body-Length"), "67", "X-Body-Length")


def test_chunked_split_across_sends():
    s = shared_server()
    body = chunked("first chunk|", "second|", "x" * 1000, "end")
    req = build_request("POST", "/echo", headers=TE) + body
    head_len = req.index(b"\r\n\r\n") + 4
    # cut inside the head, inside sizes, inside CRLFs and inside data
    cuts = [5, head_len - 3, head_len + 1, head_len + 3, head_len + 10,
            head_len + 20, head_len + 25, head_len + 100, head_len + 500,
            len(req) - 4, len(req) - 1]
    with s.connect() as c:
        c.send(req, split=cuts, delay=0.01)
        r = c.read_response()
        expect(r, 200, b"first chunk|second|" + b"x" * 1000 + b"end")


def test_chunked_byte_by_byte():
    s = shared_server()
    req = build_request("POST", "/echo", headers=TE) + chunked("abc", "defg")
    with s.connect() as c:
        c.send(req, split=list(range(1, len(req))), delay=0.0005)
        expect(c.read_response(), 200, "abcdefg")


def test_chunked_empty_body():
    s = shared_server()
    with s.connect() as c:
        r = _echo(c, b"0\r\n\r\n")
        expect(r, 200, b"")
        eq(r.header("X-Body-Length"), "0", "X-Body-Length")


def test_chunked_binary_data():
    s = shared_server()
    payload = bytes(range(256)) * 8 + b"\r\n0\r\n\r\n"
    with s.connect() as c:
        r = _echo(c, chunked(payload[:1000], payload[1000:]))
        expect(r, 200, payload)


def test_chunked_te_case_insensitive():
    s = shared_server()
    with s.connect() as c:
        r = _echo(c, chunked("ok"), headers=[("transfer-encoding", "Chunked")])
        expect(r, 200, "ok")


def test_trailer_field():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/trailer?name=X-Checksum", headers=TE) +
               chunked("some ", "data", trailers=[("X-Checksum", "abc123"),
                                                  ("X-Other", "zzz")]))
        expect(c.read_response(), 200, "abc123")
        # case-insensitive lookup, same connection
        c.send(build_request("POST", "/trailer?name=x-other", headers=TE) +
               chunked("more", trailers=[("X-OTHER", "  padded value  ")]))
        expect(c.read_response(), 200, "padded value")


def test_trailer_absent():
    s = shared_server()
    with s.connect() as c:
        c.send(build_request("POST", "/trailer?name=X-Missing", headers=TE) +
               chunked("data", trailers=[("X-Present", "1")]))
        r = c.read_response()
        eq(r.status, 404, "status for absent trailer")
        # no trailers at all
        c.send(build_request("POST", "/trailer?name=X-Missing", headers=TE) +
               chunked("data"))
        eq(c.read_response().status, 404, "status for absent trailer (no trailer section)")


def test_trailer_split_across_sends():
    s = shared_server()
    req = (build_request("POST", "/trailer?name=X-T", headers=TE) +
           chunked("abc", trailers=[("X-T", "split-value")]))
    with s.connect() as c:
        c.send(req, split=[len(req) - 20, len(req) - 10, len(req) - 3, len(req) - 1],
               delay=0.02)
        expect(c.read_response(), 200, "split-value")
