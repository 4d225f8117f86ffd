"""Static files (kiln_static_mount via testapp --static DIR, embedded files,
kiln_static_send): MIME, ETag/304, ranges, HEAD, precompressed siblings,
Cache-Control, dotfiles, folders, and every way out of the folder we know."""

import atexit
import os
import shutil
import socket
import tempfile
import time

from harness import (shared_server, server, build_request, expect, check, eq,
                     common_headers)

_ROOT = None

SECRET = b"TOP-SECRET-OUTSIDE-THE-FOLDER\n"
BIG = bytes((i * 7 + i // 251) & 0xFF for i in range(1 << 20)) + b"tail"
MID = bytes(range(256)) * 400  # 102400 bytes: above the in-memory limit


def root():
    """The served folder (www) inside a temp dir that also holds files the
    server must never give out (secret.txt, outside/)."""
    global _ROOT
    if _ROOT:
        return _ROOT
    base = tempfile.mkdtemp(prefix="kiln-static-")
    atexit.register(shutil.rmtree, base, True)
    www = os.path.join(base, "www")
    os.makedirs(os.path.join(www, "css"))
    os.makedirs(os.path.join(www, "sub", "deeper"))
    os.makedirs(os.path.join(www, ".hidden"))
    os.makedirs(os.path.join(base, "outside"))

    def put(rel, data):
        with open(os.path.join(www, rel), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    with open(os.path.join(base, "secret.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(base, "outside", "secret.txt"), "wb") as f:
        f.write(SECRET)
    put("hello.txt", "hello, static\n")
    put("index.html", "<!doctype html><p>hi</p>\n")
    put("app.js", "console.log(1)\n")
    put("mod.mjs", "export default 1\n")
    put("data.json", '{"a":1}\n')
    put("style.css", "body{color:red}\n")
    put("pic.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    put("pic.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    put("font.woff2", b"wOF2" + b"\0" * 12)
    put("mod.wasm", b"\0asm\1\0\0\0")
    put("doc.pdf", b"%PDF-1.4\n")
    put("site.webmanifest", "{}")
    put("notes.md", "# notes\n")
    put("blob.unknownext", b"\1\2\3")
    put("noext", b"raw")
    put("empty.txt", b"")
    put("digits.txt", "0123456789")
    put("big.bin", BIG)
    put("mid.bin", MID)
    put("app.3f9a1c2b.js", "hashed()\n")
    put(".env", "SECRET=1\n")
    put(".hidden/x.txt", "hidden\n")
    put("sub/deeper/leaf.txt", "leaf\n")
    # precompressed siblings (the bytes only need to be distinct)
    put("pre.js", "identity-bytes-of-pre.js\n")
    put("pre.js.br", "BR-BYTES")
    put("pre.js.gz", "GZ-BYTES!")
    put("gzonly.css", "a{}\n")
    put("gzonly.css.gz", "GZ-CSS")
    # symlinks: out of the folder (must fail) and inside it (may be served)
    os.symlink("/etc/passwd", os.path.join(www, "passwd_link"))
    os.symlink(os.path.join(base, "secret.txt"), os.path.join(www, "abs_secret"))
    os.symlink("../secret.txt", os.path.join(www, "rel_secret"))
    os.symlink(os.path.join(base, "outside"), os.path.join(www, "outdir"))
    os.symlink("../outside", os.path.join(www, "reloutdir"))
    os.symlink("hello.txt", os.path.join(www, "inside_link.txt"))
    os.symlink("sub", os.path.join(www, "subl"))
    os.mkfifo(os.path.join(www, "fifo.txt"))
    _ROOT = www
    return www


def srv():
    return shared_server(args=("--static", root()))


def content(rel):
    with open(os.path.join(root(), rel), "rb") as f:
        return f.read()


def get(path, headers=None, method="GET"):
    return srv().request(method, path, headers=headers)


def raw(s, data):
    """Sends raw request bytes on a fresh connection; returns the response."""
    with s.connect() as c:
        c.send(data)
        return c.read_response()


# --- MIME and basic headers ---------------------------------------------------

def test_serves_file_with_headers():
    r = get("/static/hello.txt")
    expect(r, 200, content("hello.txt"), "text/plain")
    common_headers(r)
    eq(r.header("Content-Type"), "text/plain; charset=utf-8", "Content-Type")
    eq(r.header("X-Content-Type-Options"), "nosniff", "nosniff")
    eq(r.header("Accept-Ranges"), "bytes", "Accept-Ranges")
    eq(r.header("Cache-Control"), "no-cache", "Cache-Control (max_age 0)")
    eq(r.header("Content-Length"), str(len(content("hello.txt"))), "length")
    etag = r.header("ETag")
    check(etag and etag.startswith('"') and etag.endswith('"'),
          "strong ETag: %r" % etag)
    lm = r.header("Last-Modified")
    check(lm and lm.endswith(" GMT") and len(lm) == 29, "Last-Modified %r" % lm)
    check(not r.has("Vary"), "Vary without precompressed siblings")
    check(not r.has("Content-Encoding"), "Content-Encoding on identity")


def test_mime_types():
    want = {
        "index.html": "text/html; charset=utf-8",
        "app.js": "text/javascript; charset=utf-8",
        "mod.mjs": "text/javascript; charset=utf-8",
        "data.json": "application/json",
        "style.css": "text/css; charset=utf-8",
        "pic.png": "image/png",
        "pic.svg": "image/svg+xml",
        "font.woff2": "font/woff2",
        "mod.wasm": "application/wasm",
        "doc.pdf": "application/pdf",
        "site.webmanifest": "application/manifest+json",
        "notes.md": "text/markdown; charset=utf-8",
        "blob.unknownext": "application/octet-stream",
        "noext": "application/octet-stream",
    }
    for name, ctype in want.items():
        r = get("/static/" + name)
        expect(r, 200, content(name))
        eq(r.header("Content-Type"), ctype, "Content-Type of " + name)


def test_empty_file_and_nested_path():
    r = get("/static/empty.txt")
    expect(r, 200, b"")
    eq(r.header("Content-Length"), "0", "length of an empty file")
    expect(get("/static/sub/deeper/leaf.txt"), 200, b"leaf\n")


def test_head_has_headers_no_body():
    for name in ("hello.txt", "big.bin"):
        g = get("/static/" + name)
        h = get("/static/" + name, method="HEAD")
        expect(h, 200, b"")
        eq(h.header("Content-Length"), str(len(content(name))), "HEAD length")
        eq(h.header("ETag"), g.header("ETag"), "HEAD ETag")
        eq(h.header("Content-Type"), g.header("Content-Type"), "HEAD type")
    # HEAD ignores Range (RFC 9110 14.2: only GET)
    h = get("/static/digits.txt", {"Range": "bytes=0-1"}, method="HEAD")
    eq(h.status, 200, "HEAD with Range")


def test_other_methods_405():
    for m in ("POST", "PUT", "DELETE"):
        r = get("/static/hello.txt", method=m)
        eq(r.status, 405, m + " status")
        allow = {x.strip() for x in (r.header("Allow") or "").split(",")}
        check({"GET", "HEAD"} <= allow, "Allow: %r" % r.header("Allow"))


# --- validators ----------------------------------------------------------------

def test_if_none_match_304():
    r = get("/static/hello.txt")
    etag = r.header("ETag")
    for inm in (etag, "W/" + etag, '"nope", ' + etag, "*"):
        n = get("/static/hello.txt", {"If-None-Match": inm})
        expect(n, 304, b"")
        eq(n.header("ETag"), etag, "ETag on 304 (%s)" % inm)
        eq(n.header("Cache-Control"), "no-cache", "Cache-Control on 304")
        check(not n.has("Content-Length") or n.header("Content-Length") == "0",
              "304 Content-Length")
    expect(get("/static/hello.txt", {"If-None-Match": '"other"'}), 200,
           content("hello.txt"))


def test_if_modified_since():
    r = get("/static/hello.txt")
    lm = r.header("Last-Modified")
    expect(get("/static/hello.txt", {"If-Modified-Since": lm}), 304, b"")
    later = "Fri, 01 Jan 2100 00:00:00 GMT"
    expect(get("/static/hello.txt", {"If-Modified-Since": later}), 304)
    early = "Thu, 01 Jan 1998 00:00:00 GMT"
    expect(get("/static/hello.txt", {"If-Modified-Since": early}), 200,
           content("hello.txt"))
    expect(get("/static/hello.txt", {"If-Modified-Since": "garbage"}), 200)
    # If-None-Match takes precedence: a mismatching tag wins over the date
    expect(get("/static/hello.txt", {"If-None-Match": '"other"',
                                      "If-Modified-Since": lm}), 200,
           content("hello.txt"))


def test_if_match_and_unmodified_since_412():
    etag = get("/static/hello.txt").header("ETag")
    expect(get("/static/hello.txt", {"If-Match": etag}), 200)
    eq(get("/static/hello.txt", {"If-Match": '"x"'}).status, 412, "If-Match")
    eq(get("/static/hello.txt",
           {"If-Unmodified-Since": "Thu, 01 Jan 1998 00:00:00 GMT"}).status,
       412, "If-Unmodified-Since")


def test_etag_changes_when_file_changes():
    name = "changing.txt"
    path = os.path.join(root(), name)
    with open(path, "wb") as f:
        f.write(b"one\n")
    s = srv()
    r1 = s.get("/static/" + name)
    expect(r1, 200, b"one\n")
    time.sleep(1.1)  # the worker cache revalidates once a second
    with open(path, "wb") as f:
        f.write(b"second version\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5))
    time.sleep(1.1)
    for _ in range(4):  # every worker sees the new version
        r2 = s.get("/static/" + name)
        expect(r2, 200, b"second version\n")
        check(r2.header("ETag") != r1.header("ETag"), "ETag did not change")
    os.unlink(path)
    time.sleep(1.1)
    for _ in range(4):
        eq(s.get("/static/" + name).status, 404, "deleted file")


test_etag_changes_when_file_changes.timeout = 20


# --- ranges --------------------------------------------------------------------

def test_ranges():
    d = content("digits.txt")
    cases = [("bytes=0-3", d[0:4], "bytes 0-3/10"),
             ("bytes=5-", d[5:], "bytes 5-9/10"),
             ("bytes=-3", d[-3:], "bytes 7-9/10"),
             ("bytes=-100", d, "bytes 0-9/10"),
             ("bytes=8-100", d[8:], "bytes 8-9/10"),
             ("bytes=9-9", d[9:], "bytes 9-9/10")]
    for rng, body, cr in cases:
        r = get("/static/digits.txt", {"Range": rng})
        expect(r, 206, body)
        eq(r.header("Content-Range"), cr, "Content-Range for " + rng)
        eq(r.header("Content-Length"), str(len(body)), "length for " + rng)


def test_range_unsatisfiable_416():
    for rng in ("bytes=10-", "bytes=10-20", "bytes=-0", "bytes=999999-"):
        r = get("/static/digits.txt", {"Range": rng})
        eq(r.status, 416, "status for " + rng)
        eq(r.header("Content-Range"), "bytes */10", "Content-Range for " + rng)


def test_range_malformed_or_multiple_ignored():
    for rng in ("bytes=3-1", "bytes=a-b", "lines=0-1", "bytes=0-1,4-5",
                "bytes=", "bytes=--2"):
        r = get("/static/digits.txt", {"Range": rng})
        expect(r, 200, content("digits.txt"))
        check(not r.has("Content-Range"), "Content-Range for " + rng)


def test_if_range():
    r = get("/static/digits.txt")
    etag, lm = r.header("ETag"), r.header("Last-Modified")
    expect(get("/static/digits.txt", {"Range": "bytes=0-1", "If-Range": etag}),
           206, b"01")
    expect(get("/static/digits.txt", {"Range": "bytes=0-1", "If-Range": lm}),
           206, b"01")
    expect(get("/static/digits.txt", {"Range": "bytes=0-1",
                                       "If-Range": '"stale"'}),
           200, content("digits.txt"))
    expect(get("/static/digits.txt", {"Range": "bytes=0-1",
                                       "If-Range": "W/" + etag}),
           200, content("digits.txt"))
    expect(get("/static/digits.txt", {"Range": "bytes=0-1",
               "If-Range": "Thu, 01 Jan 1998 00:00:00 GMT"}),
           200, content("digits.txt"))


# --- big files (sendfile) --------------------------------------------------------

def test_big_file_and_ranges_in_it():
    r = get("/static/big.bin")
    expect(r, 200, BIG)
    r = get("/static/big.bin", {"Range": "bytes=1000-1999"})
    expect(r, 206, BIG[1000:2000])
    r = get("/static/big.bin", {"Range": "bytes=-4"})
    expect(r, 206, b"tail")
    r = get("/static/mid.bin", {"Range": "bytes=65536-"})
    expect(r, 206, MID[65536:])


def test_big_files_keepalive_and_pipelined_in_order():
    s = srv()
    with s.connect(timeout=10) as c:
        for _ in range(3):
            c.send(build_request("GET", "/static/big.bin"))
            expect(c.read_response(), 200, BIG)
        # pipelined: small, big, HEAD big, range of big, small
        reqs = (build_request("GET", "/static/hello.txt") +
                build_request("GET", "/static/big.bin") +
                build_request("HEAD", "/static/big.bin") +
                build_request("GET", "/static/mid.bin",
                              headers={"Range": "bytes=10-19"}) +
                build_request("GET", "/static/mid.bin") +
                build_request("GET", "/plaintext"))
        c.send(reqs)
        expect(c.read_response(), 200, content("hello.txt"))
        expect(c.read_response(), 200, BIG)
        h = c.read_response(method="HEAD")
        expect(h, 200, b"")
        eq(h.header("Content-Length"), str(len(BIG)), "HEAD length")
        expect(c.read_response(), 206, MID[10:20])
        expect(c.read_response(), 200, MID)
        expect(c.read_response(), 200, b"Hello, World!")


def test_slow_reader_gets_whole_big_file():
    s = srv()
    # A small receive buffer set before connect(2), so that the window
    # announced from the SYN on is small (set after, the kernel shrinks a
    # window scaled for the default buffer, and the sender then moves on
    # its 200 ms persist timer only: half a minute for the megabyte).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", s.port))
    try:
        sock.sendall(build_request("GET", "/static/big.bin",
                                   headers={"Connection": "close"}))
        data = bytearray()
        time.sleep(0.3)  # let the server fill the socket and wait
        while True:
            b = sock.recv(65536)
            if not b:
                break
            data += b
        head, _, body = bytes(data).partition(b"\r\n\r\n")
        check(head.startswith(b"HTTP/1.1 200"), "status line %r" % head[:40])
        eq(len(body), len(BIG), "body length")
        check(body == BIG, "body differs")
    finally:
        sock.close()


def test_client_disconnects_mid_body():
    s = srv()
    for _ in range(5):
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(build_request("GET", "/static/big.bin") * 3)
        sock.recv(1000)
        sock.close()
    time.sleep(0.2)
    expect(s.get("/static/hello.txt"), 200, content("hello.txt"))
    expect(s.get("/static/big.bin"), 200, BIG)


# --- precompressed siblings --------------------------------------------------------

def test_precompressed_selection():
    cases = [("gzip, deflate, br", b"BR-BYTES", "br"),
             ("br", b"BR-BYTES", "br"),
             ("gzip", b"GZ-BYTES!", "gzip"),
             ("br;q=0, gzip", b"GZ-BYTES!", "gzip"),
             ("gzip;q=0.5, br;q=0.9", b"BR-BYTES", "br"),
             ("*", b"BR-BYTES", "br"),
             ("identity", content("pre.js"), None),
             ("br;q=0, gzip;q=0", content("pre.js"), None),
             (None, content("pre.js"), None)]
    etags = {}
    for ae, body, coding in cases:
        hdrs = {"Accept-Encoding": ae} if ae is not None else None
        r = get("/static/pre.js", hdrs)
        expect(r, 200, body)
        eq(r.header("Content-Encoding"), coding, "Content-Encoding for %r" % ae)
        eq(r.header("Vary"), "Accept-Encoding", "Vary for %r" % ae)
        eq(r.header("Content-Type"), "text/javascript; charset=utf-8",
           "type of the encoded file")
        etags.setdefault(coding, set()).add(r.header("ETag"))
    check(all(len(v) == 1 for v in etags.values()), "ETag unstable: %r" % etags)
    eq(len({next(iter(v)) for v in etags.values()}), 3,
       "distinct ETags per encoding")
    r = get("/static/gzonly.css", {"Accept-Encoding": "br, gzip"})
    expect(r, 200, b"GZ-CSS")
    eq(r.header("Content-Encoding"), "gzip", "gz when no br sibling")
    r = get("/static/gzonly.css", {"Accept-Encoding": "br"})
    expect(r, 200, b"a{}\n")
    eq(r.header("Vary"), "Accept-Encoding", "Vary on identity with a sibling")


def test_precompressed_range_and_304():
    r = get("/static/pre.js", {"Accept-Encoding": "br", "Range": "bytes=0-1"})
    expect(r, 206, b"BR")
    eq(r.header("Content-Range"), "bytes 0-1/8", "range of the encoded bytes")
    eq(r.header("Content-Encoding"), "br", "coding on 206")
    etag = get("/static/pre.js", {"Accept-Encoding": "br"}).header("ETag")
    n = get("/static/pre.js", {"Accept-Encoding": "br", "If-None-Match": etag})
    expect(n, 304, b"")
    eq(n.header("Vary"), "Accept-Encoding", "Vary on 304")
    # the br tag does not validate the identity representation
    expect(get("/static/pre.js", {"If-None-Match": etag}), 200, content("pre.js"))


# --- cache control --------------------------------------------------------------

def test_immutable_hashed_names():
    with server(args=("--static", root(), "--static-immutable")) as s:
        r = s.get("/static/app.3f9a1c2b.js")
        expect(r, 200, content("app.3f9a1c2b.js"))
        eq(r.header("Cache-Control"), "public, max-age=31536000, immutable",
           "hashed name")
        eq(s.get("/static/app.js").header("Cache-Control"), "no-cache",
           "plain name")
    # without the flag, hashed names are ordinary
    eq(get("/static/app.3f9a1c2b.js").header("Cache-Control"), "no-cache",
       "hashed name without --static-immutable")


def test_max_age():
    with server(args=("--static", root(), "--static-max-age", "3600")) as s:
        eq(s.get("/static/hello.txt").header("Cache-Control"),
           "public, max-age=3600", "max-age")


# --- what must not be served --------------------------------------------------------

def test_dotfiles_404():
    for p in ("/static/.env", "/static/.hidden/x.txt", "/static/.hidden/",
              "/static/sub/.x", "/static/%2eenv"):
        r = get(p)
        eq(r.status, 404, "status for " + p)
        check(b"SECRET=1" not in r.body and b"hidden\n" not in r.body,
              "leak for " + p)


def test_directories_404():
    for p in ("/static/", "/static/sub", "/static/sub/", "/static/sub/deeper",
              "/static/subl", "/static/hello.txt/"):
        eq(get(p).status, 404, "status for " + p)


def test_not_regular_files_404():
    # a FIFO must not block the worker: 404 at once
    eq(get("/static/fifo.txt").status, 404, "FIFO")
    eq(get("/static/missing.txt").status, 404, "missing file")


def not_served(r, what):
    check(r.status in (400, 404), "%s: status %r, want 400 or 404"
          % (what, r.status))
    check(SECRET not in r.body and b"root:" not in r.body,
          "%s: leaked %r" % (what, r.body[:80]))


def test_traversal_attempts():
    s = srv()
    targets = [
        "/static/../secret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%2f..%2fetc/passwd",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e/",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/sub/../../secret.txt",
        "/static/sub/%2e%2e/%2e%2e/secret.txt",
        "/static/..\\..\\secret.txt",
        "/static/..%5c..%5csecret.txt",
        "/static/sub%5c..%5c..%5csecret.txt",
        "/static/a%00.txt",
        "/static/hello.txt%00.png",
        "/static/%0a",
        "/static/hello.txt%00",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/....//secret.txt",
        "/static/%252e%252e/secret.txt",
        "/static/%c0%ae%c0%ae/secret.txt",
    ]
    for tgt in targets:
        r = raw(s, ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % tgt).encode())
        not_served(r, tgt)
    # absolute-form with a traversal
    r = raw(s, b"GET http://x/static/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    not_served(r, "absolute-form")
    check(s.alive(), "server died")


def test_symlinks_out_of_the_folder():
    for p in ("/static/passwd_link", "/static/abs_secret", "/static/rel_secret",
              "/static/outdir/secret.txt", "/static/reloutdir/secret.txt"):
        not_served(get(p), p)


def test_symlinks_inside_the_folder():
    expect(get("/static/inside_link.txt"), 200, content("hello.txt"))
    expect(get("/static/subl/deeper/leaf.txt"), 200, b"leaf\n")


# --- embedded files and kiln_static_send --------------------------------------------

def test_embedded_files():
    s = srv()
    r = s.get("/embedded/app.js")
    expect(r, 200, b"console.log('embedded');\n")
    eq(r.header("Content-Type"), "text/javascript; charset=utf-8", "type")
    eq(r.header("Cache-Control"), "public, max-age=60", "max-age")
    eq(r.header("Vary"), "Accept-Encoding", "Vary")
    eq(r.header("Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT", "mtime")
    etag = r.header("ETag")
    expect(s.get("/embedded/app.js", {"If-None-Match": etag}), 304, b"")
    g = s.get("/embedded/app.js", {"Accept-Encoding": "gzip"})
    expect(g, 200, b"gz-bytes")
    eq(g.header("Content-Encoding"), "gzip", "embedded gz")
    check(g.header("ETag") != etag, "embedded gz ETag")
    expect(s.get("/embedded/app.js", {"Range": "bytes=0-6"}), 206, b"console")
    eq(s.get("/embedded/app.js", {"Range": "bytes=100-"}).status, 416, "416")
    r = s.get("/embedded/css/site.css")
    expect(r, 200, b"body{}")
    check(not r.has("Last-Modified"), "no Last-Modified without mtime")
    for p in ("/embedded/nope.js", "/embedded/css", "/embedded/../app.js"):
        check(s.get(p).status in (400, 404), "status for " + p)


def test_static_send():
    s = srv()
    r = s.get("/page")
    expect(r, 200, b"<h1>page</h1>\n", "text/html")
    eq(r.header("Cache-Control"), "no-cache", "handler's header kept")
    etag = r.header("ETag")
    n = s.get("/page", {"If-None-Match": etag})
    expect(n, 304, b"")
    eq(n.header("Cache-Control"), "no-cache", "handler's header on 304")
    expect(s.get("/page", {"If-Modified-Since": r.header("Last-Modified")}),
           304)
    r = s.get("/page", {"Range": "bytes=1-2"})
    expect(r, 206, b"h1")
    h = s.request("HEAD", "/page")
    expect(h, 200, b"")
    eq(h.header("Content-Length"), "14", "HEAD length")
