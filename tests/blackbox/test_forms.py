"""Forms without a schema, streamed multipart uploads, strict parameters.

The testapp's /form answers the fields kiln_form_fields found, in order (a
file part with its name, type, size, whether it went to disk, its mode and
the CRC-32 of its bytes read back), and for ?q=NAME what kiln_form,
kiln_form_values and kiln_form_file say. Every server here gets a private
uploads folder (--uploads-dir), listed to check that temporary files are
gone when a request ends, however it ends.
"""

import os
import shutil
import socket
import tempfile
import threading
import time
import zlib

import harness
from harness import (server, shared_server, build_request, chunked, expect,
                     check, eq, problem, t, ASAN, shorten)

METHODS = ("POST", "PUT", "PATCH", "DELETE")
BOUNDARY = "----kilnTestBoundary7MA4YWxk"


def uploads_dir():
    """A private folder for a server's temporary files."""
    d = tempfile.mkdtemp(prefix="kiln-uploads-")
    return d


# The shared server's uploads folder lives in the build folder, emptied at
# each run (the runner ends with os._exit: no cleanup would run at exit).
_SHARED_DIR = os.path.join(harness.BIN_DIR, "test-forms-uploads")
shutil.rmtree(_SHARED_DIR, ignore_errors=True)
os.makedirs(_SHARED_DIR)


def forms_server():
    """The shared testapp of this file, with its own uploads folder."""
    return shared_server(args=["--uploads-dir", _SHARED_DIR])


def leftovers(d):
    return sorted(os.listdir(d))


def wait_empty(d, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.listdir(d):
            return True
        time.sleep(0.02)
    return not os.listdir(d)


def multipart(parts, boundary=BOUNDARY):
    """parts: (name, value) for text, (name, filename, type, data) for a
    file; returns the body bytes."""
    out = b""
    for p in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        if len(p) == 2:
            name, value = p
            if isinstance(value, str):
                value = value.encode()
            out += b'Content-Disposition: form-data; name="%s"\r\n\r\n' % name.encode()
            out += value + b"\r\n"
        else:
            name, filename, ctype, data = p
            out += (b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    % (name.encode(), filename.encode()))
            if ctype:
                out += b"Content-Type: %s\r\n" % ctype.encode()
            out += b"\r\n" + data + b"\r\n"
    return out + b"--" + boundary.encode() + b"--\r\n"


def mp_headers(boundary=BOUNDARY, extra=()):
    return [("Content-Type", "multipart/form-data; boundary=%s" % boundary)] + list(extra)


def post(s, method, target, body, headers):
    with s.connect(timeout=t(10)) as c:
        c.send(build_request(method, target, headers=headers, body=body))
        return c.read_response(method=method, timeout=t(10))


def fields(r):
    expect(r, 200, ctype="application/json")
    return r.json()


def crc(data):
    return zlib.crc32(data)


# ---- urlencoded ------------------------------------------------------------


def test_urlencoded_every_method():
    s = forms_server()
    body = b"a=1&tag=x&tag=y&sp=a+b%21%C3%A9&empty=&novalue&&tag=z"
    for m in METHODS:
        r = post(s, m, "/form?q=tag", body,
                 [("Content-Type", "application/x-www-form-urlencoded")])
        j = fields(r)
        eq(j["method"], m, "method")
        eq(j["fields"], [{"name": "a", "value": "1"},
                         {"name": "tag", "value": "x"},
                         {"name": "tag", "value": "y"},
                         {"name": "sp", "value": "a b!\u00e9"},
                         {"name": "empty", "value": ""},
                         {"name": "novalue", "value": ""},
                         {"name": "tag", "value": "z"}], "%s fields" % m)
        eq(j["first"], "x", "kiln_form: the first value")
        eq(j["count"], 3, "kiln_form_values count")
        eq(j["values"], ["x", "y", "z"], "kiln_form_values")
        eq(j["file"], None, "kiln_form_file of a text field")


def test_urlencoded_content_type_matching():
    s = forms_server()
    for ct in ("Application/X-WWW-Form-Urlencoded",
               "application/x-www-form-urlencoded; charset=UTF-8",
               'application/x-www-form-urlencoded ; charset="utf-8"'):
        j = fields(post(s, "POST", "/form?q=k", b"k=v", [("Content-Type", ct)]))
        eq(j["first"], "v", "value with Content-Type %r" % ct)
    r = post(s, "POST", "/form", b"k=v",
             [("Content-Type", "application/x-www-form-urlencoded; charset=ISO-8859-1")])
    j = problem(r, 415)
    check("ISO-8859-1" in j["detail"] and "UTF-8" in j["detail"],
          "415 detail names the charset: %r" % j["detail"])
    for headers in ([], [("Content-Type", "application/json")],
                    [("Content-Type", "text/plain")],
                    [("Content-Type", "multipart/mixed; boundary=x")]):
        r = post(s, "POST", "/form", b'{"k": "v"}', headers)
        j = problem(r, 415)
        check("not a form" in j["detail"], "415 detail: %r" % j["detail"])
    # no body at all: GET /form is not a form either
    problem(s.get("/form"), 415)


def test_urlencoded_malformed_escape_is_400():
    s = forms_server()
    for body in (b"a=%zz", b"a=1&b=%4", b"%=1"):
        r = post(s, "PUT", "/form", body,
                 [("Content-Type", "application/x-www-form-urlencoded")])
        j = problem(r, 400)
        check("percent" in j["detail"], "400 detail: %r" % j["detail"])


# ---- multipart ---------------------------------------------------------------


def test_multipart_every_method():
    s = forms_server()
    data = bytes(range(256)) * 4 + b"\r\n--" + BOUNDARY[:10].encode() + b"\r\n"
    body = multipart([("title", "Hello, world"), ("tag", "a"), ("tag", "b"),
                      ("doc", "notes.txt", "text/plain", data),
                      ("tag", "\u00e9t\u00e9")])
    for m in METHODS:
        j = fields(post(s, m, "/form?q=tag", body, mp_headers()))
        eq(j["method"], m, "method")
        f = j["fields"]
        eq([x["name"] for x in f], ["title", "tag", "tag", "doc", "tag"], "names in order")
        eq(f[0]["value"], "Hello, world", "text value")
        eq(j["values"], ["a", "b", "\u00e9t\u00e9"], "multi-valued field")
        up = f[3]["file"]
        eq(up["filename"], "notes.txt", "filename")
        eq(up["type"], "text/plain", "content type")
        eq(up["size"], len(data), "size")
        eq(up["read"], len(data), "bytes read back")
        eq(up["crc"], crc(data), "CRC of the bytes")
        eq(up["on_disk"], False, "a small file stays in memory")
    eq(leftovers(_SHARED_DIR), [], "temporary files")


def test_multipart_filenames_and_types():
    s = forms_server()
    B = BOUNDARY.encode()

    def one(disposition, ctype=b"", data=b"x"):
        body = (b"--" + B + b"\r\nContent-Disposition: form-data; " + disposition
                + b"\r\n" + ctype + b"\r\n" + data + b"\r\n--" + B + b"--\r\n")
        return fields(post(s, "POST", "/form?q=f", body, mp_headers()))

    j = one(b'name="f"; filename="C:\\Users\\me\\y.txt"')
    eq(j["file"], "y.txt", "a Windows path loses its folders")
    eq(j["fields"][0]["file"]["type"], "application/octet-stream", "default type")
    eq(one(b'name="f"; filename="../../etc/passwd"')["file"], "passwd", "traversal")
    eq(one(b'name="f"; filename=".."')["file"], "", "'..' becomes empty")
    j = one(b"name=f; filename=\"rates.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
            b"Content-Type: text/csv; charset=utf-8\r\n")
    eq(j["file"], "\u20ac rates.txt", "filename* wins")
    eq(j["fields"][0]["file"]["type"], "text/csv; charset=utf-8", "part type")
    eq(one(b'name="f"; filename="r\xc3\xa9sum\xc3\xa9.pdf"')["file"],
       "r\u00e9sum\u00e9.pdf", "raw UTF-8 as browsers send it")
    # a file input with no file chosen is an empty field, not a file
    j = one(b'name="f"; filename=""', b"Content-Type: application/octet-stream\r\n", b"")
    eq(j["fields"], [{"name": "f", "value": ""}], "no file chosen")
    eq(j["file"], None, "no file chosen: kiln_form_file")
    # an empty file that was chosen is a file
    j = one(b'name="f"; filename="empty.txt"', b"", b"")
    eq(j["fields"][0]["file"]["size"], 0, "an empty file")


def test_multipart_malformed_is_400():
    s = forms_server()
    B = BOUNDARY.encode()
    good = multipart([("a", "1")])
    cases = [
        ([("Content-Type", "multipart/form-data")], good, "boundary"),
        ([("Content-Type", "multipart/form-data; boundary=\"\"")], good, "boundary"),
        (mp_headers(), good[:-4], "final boundary"),  # no "--" at the end
        (mp_headers(), b"--" + B + b"\r\nContent-Disposition: form-data\r\n\r\nx\r\n--"
         + B + b"--", "Content-Disposition"),
        (mp_headers(), b"--" + B + b"\r\nContent-Disposition : form-data; name=a\r\n\r\nx\r\n--"
         + B + b"--", "header"),
        (mp_headers(), b"--" + B + b"X\r\n", "boundary is followed"),
        (mp_headers(), b"--" + B + b"\r\nContent-Disposition: form-data; name=a\r\n"
         b"Content-Transfer-Encoding: base64\r\n\r\neA==\r\n--" + B + b"--", "Transfer-Encoding"),
    ]
    for headers, body, word in cases:
        r = post(s, "POST", "/form", body, headers)
        j = problem(r, 400)
        check(word in j["detail"], "400 detail %r should mention %r" % (j["detail"], word))
    eq(leftovers(_SHARED_DIR), [], "temporary files")


def test_multipart_chunked_body():
    s = forms_server()
    body = multipart([("a", "1"), ("f", "f.bin", "application/x-bin", b"\r\n" * 5000)])
    pieces = [body[i:i + 777] for i in range(0, len(body), 777)]
    with s.connect() as c:
        c.send(build_request("POST", "/form", headers=mp_headers(
            extra=[("Transfer-Encoding", "chunked")]), body=chunked(*pieces)))
        j = fields(c.read_response())
        eq(j["fields"][0], {"name": "a", "value": "1"}, "text field")
        eq(j["fields"][1]["file"]["crc"], crc(b"\r\n" * 5000), "file bytes")
        # the connection goes on
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")


def test_multipart_big_file_goes_to_disk_mode_0600():
    s = forms_server()
    data = os.urandom(1 << 20)
    j = fields(post(s, "POST", "/form", multipart(
        [("f", "big.bin", "application/octet-stream", data)]), mp_headers()))
    up = j["fields"][0]["file"]
    eq(up["on_disk"], True, "a 1 MiB file is on disk")
    eq(up["mode"], "600", "temporary file mode")
    eq((up["size"], up["read"], up["crc"]), (len(data), len(data), crc(data)),
       "size, bytes read back, CRC")
    eq(leftovers(_SHARED_DIR), [], "temporary files after the request")


def test_memory_threshold_is_a_setting():
    d = uploads_dir()
    try:
        with server(workers=1, args=["--uploads-dir", d, "--uploads-memory", "100"]) as s:
            j = fields(post(s, "POST", "/form", multipart(
                [("a", "a.txt", "", b"x" * 100), ("b", "b.txt", "", b"x" * 101)]),
                mp_headers()))
            eq([f["file"]["on_disk"] for f in j["fields"]], [False, True],
               "100 bytes stay in memory, 101 go to disk")
            eq(leftovers(d), [], "temporary files")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_kept_upload_survives_the_request():
    s = forms_server()
    keep = tempfile.mkdtemp(prefix="kiln-keep-")
    try:
        dest = os.path.join(keep, "kept.bin")
        data = os.urandom(300000)
        r = post(s, "POST", "/form/keep?to=" + dest, multipart(
            [("f", "k.bin", "", data)]), mp_headers())
        expect(r, 200, "kept %d" % len(data))
        with open(dest, "rb") as f:
            eq(crc(f.read()), crc(data), "kept file content")
        eq(leftovers(_SHARED_DIR), [], "temporary files")
    finally:
        shutil.rmtree(keep, ignore_errors=True)


def test_limits_max_parts_and_max_body():
    d = uploads_dir()
    try:
        args = ["--uploads-dir", d, "--uploads-max-parts", "5", "--max-body", "20000"]
        with server(workers=1, args=args) as s:
            ok = multipart([("f%d" % i, "v") for i in range(5)])
            eq(len(fields(post(s, "POST", "/form", ok, mp_headers()))["fields"]), 5,
               "5 parts")
            j = problem(post(s, "POST", "/form", multipart(
                [("f%d" % i, "v") for i in range(6)]), mp_headers()), 413)
            check("uploads.max_parts" in j["detail"], "detail: %r" % j["detail"])
            j = problem(post(s, "POST", "/form", b"&".join(b"a=%d" % i for i in range(6)),
                             [("Content-Type", "application/x-www-form-urlencoded")]), 413)
            check("uploads.max_parts" in j["detail"], "detail: %r" % j["detail"])
            # text fields count against server.max_body ...
            j = problem(post(s, "POST", "/form", multipart(
                [("a", "x" * 12000), ("b", "y" * 12000)]), mp_headers()), 413)
            check("server.max_body" in j["detail"], "detail: %r" % j["detail"])
            # ... files do not: they go to disk
            data = os.urandom(100000)
            j = fields(post(s, "POST", "/form", multipart(
                [("a", "x" * 12000), ("f", "f", "", data)]), mp_headers()))
            eq(j["fields"][1]["file"]["crc"], crc(data), "a file past max_body")
            # kiln_body on a streamed body is bounded by server.max_body
            r = post(s, "POST", "/body/whole", multipart([("f", "f", "", data)]),
                     mp_headers())
            j = problem(r, 413)
            check("server.max_body" in j["detail"], "detail: %r" % j["detail"])
            eq(leftovers(d), [], "temporary files")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_body_read_streams_a_multipart_body():
    s = forms_server()
    body = multipart([("f", "f.bin", "", os.urandom(200000))])
    j = fields(post(s, "POST", "/body/read", body, mp_headers()))
    eq((j["length"], j["crc"]), (len(body), crc(body)), "raw bytes read")
    j = fields(post(s, "POST", "/body/whole", body, mp_headers()))
    eq((j["length"], j["crc"]), (len(body), crc(body)), "kiln_body of a stream")


# ---- streaming behaviour ---------------------------------------------------


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def _send_in_thread(sock, data):
    """Sends data from a thread (the server may answer before it has all of
    it); returns the thread, whose .error is set if sending failed."""
    def run():
        try:
            sock.sendall(data)
        except OSError as e:
            th.error = e
    th = threading.Thread(target=run, daemon=True)
    th.error = None
    th.start()
    return th


def test_fifty_mib_upload_bounded_memory_and_limit():
    d = uploads_dir()
    try:
        args = ["--uploads-dir", d, "--uploads-max-file", str(60 << 20)]
        with server(workers=1, args=args) as s:
            pid = s.proc.pid
            # warm up: one small form, so the pools exist before measuring
            fields(post(s, "POST", "/form", multipart([("a", "1")]), mp_headers()))
            base = rss_kib(pid)
            chunk = os.urandom(1 << 20)
            data = b"".join(chunk[i:] + chunk[:i] for i in range(50))  # 50 MiB
            body = multipart([("title", "big"), ("f", "big.bin", "", data)])
            peak = [0]
            stop = [False]

            def sample():
                while not stop[0]:
                    peak[0] = max(peak[0], rss_kib(pid))
                    time.sleep(0.01)
            th = threading.Thread(target=sample, daemon=True)
            th.start()
            try:
                r = post(s, "POST", "/form", body, mp_headers())
            finally:
                stop[0] = True
                th.join()
            j = fields(r)
            up = j["fields"][1]["file"]
            eq((up["size"], up["read"], up["on_disk"]), (len(data), len(data), True),
               "50 MiB on disk")
            eq(up["crc"], crc(data), "CRC of 50 MiB")
            hwm = rss_kib(pid, "VmHWM")
            grew = max(peak[0], hwm) - base
            limit = 24 << 10 if ASAN else 12 << 10  # KiB; the upload is 50 MiB
            check(grew < limit, "RSS grew by %d KiB during a 50 MiB upload "
                  "(base %d KiB, peak %d KiB, HWM %d KiB)" % (grew, base, peak[0], hwm))
            eq(leftovers(d), [], "temporary files after the upload")

        # past the limit: 413 as soon as the file passes it, nothing left
        args = ["--uploads-dir", d, "--uploads-max-file", str(20 << 20)]
        with server(workers=1, args=args) as s:
            with s.connect(timeout=t(20)) as c:
                c.send(build_request("POST", "/form", headers=mp_headers(
                    extra=[("Content-Length", str(len(body)))])))
                th = _send_in_thread(c.sock, body)
                r = c.read_response(timeout=t(20))
                j = problem(r, 413)
                check("uploads.max_file" in j["detail"] and "'f'" in j["detail"],
                      "detail: %r" % j["detail"])
                eq(r.header("Connection"), "close", "Connection after a 413 mid-body")
                eq(leftovers(d), [], "temporary files right after the 413")
                th.join(t(20))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_failed_or_crashed_handler_leaves_no_temp_file():
    s = forms_server()
    body = multipart([("a", "1"), ("f", "f.bin", "", os.urandom(1 << 20)),
                      ("g", "g.bin", "", os.urandom(100000))])
    for mode in ("error", "crash"):
        r = post(s, "POST", "/form/fail?mode=" + mode, body, mp_headers())
        problem(r, 500)
        eq(leftovers(_SHARED_DIR), [], "temporary files after a handler %s" % mode)
    expect(s.get("/plaintext"), 200, "Hello, World!")


def test_client_gone_mid_upload_leaves_no_temp_file():
    d = uploads_dir()
    try:
        with server(workers=1, args=["--uploads-dir", d]) as s:
            body = multipart([("f", "f.bin", "", os.urandom(4 << 20))])
            with s.connect() as c:
                c.send(build_request("POST", "/form", headers=mp_headers(
                    extra=[("Content-Length", str(len(body)))])) + body[:1 << 20])
                deadline = time.monotonic() + t(5)
                while not os.listdir(d) and time.monotonic() < deadline:
                    time.sleep(0.01)
                check(os.listdir(d), "no temporary file while 1 MiB of 4 was sent")
            # the client went away
            check(wait_empty(d, t(5)), "temporary files left after the client "
                  "went: %r" % leftovers(d))
            # the server goes on
            expect(s.get("/plaintext"), 200, "Hello, World!")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_slow_multipart_body_gets_408():
    d = uploads_dir()
    try:
        args = ["--uploads-dir", d, "--body-timeout-ms", "400"]
        with server(workers=1, args=args) as s:
            body = multipart([("f", "f.bin", "", os.urandom(300000))])
            with s.connect(timeout=t(5)) as c:
                c.send(build_request("POST", "/form", headers=mp_headers(
                    extra=[("Content-Length", str(len(body)))])) + body[:200000])
                t0 = time.monotonic()
                r = c.read_response(timeout=t(5))
                waited = time.monotonic() - t0
                j = problem(r, 408)
                check("arriving" in j["detail"], "detail: %r" % j["detail"])
                check(waited >= 0.3, "408 after %.2fs, before the timeout" % waited)
                c.assert_closed(what="after a 408")
            check(wait_empty(d, t(2)), "temporary files left: %r" % leftovers(d))
            # slowloris: a byte every 100 ms keeps it alive only as long as it
            # is not past the timeout between bytes; stalling ends it
            with s.connect(timeout=t(5)) as c:
                c.send(build_request("POST", "/body/read", headers=mp_headers(
                    extra=[("Content-Length", "100")])))
                for _ in range(5):
                    c.send(b"x")
                    time.sleep(0.1)
                problem(c.read_response(timeout=t(5)), 408)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_pipelined_requests_after_multipart():
    s = forms_server()
    b1 = multipart([("a", "1"), ("f", "f.txt", "text/plain", b"one")])
    b2 = multipart([("a", "2")])
    reqs = (build_request("POST", "/form", headers=mp_headers(), body=b1)
            + build_request("GET", "/plaintext")
            + build_request("PUT", "/form", headers=mp_headers(), body=b2)
            + build_request("POST", "/form/ignore", headers=mp_headers(), body=b2)
            + build_request("POST", "/nope", headers=mp_headers(), body=b1)
            + build_request("GET", "/json"))
    with s.connect(timeout=t(10)) as c:
        c.send(reqs)
        j = fields(c.read_response())
        eq(j["fields"][1]["file"]["crc"], crc(b"one"), "first multipart")
        expect(c.read_response(), 200, "Hello, World!")
        eq(fields(c.read_response())["fields"], [{"name": "a", "value": "2"}], "second")
        expect(c.read_response(), 200, "ignored")  # body left unread: drained
        problem(c.read_response(), 404)             # routed first, body drained
        expect(c.read_response(), 200, '{"message":"Hello, World!"}')
        c.assert_open(what="after the pipeline")


def test_unread_bodies_drained_or_closed():
    s = forms_server()
    small = multipart([("f", "f", "", b"s" * 100000)])
    big = multipart([("f", "f", "", b"b" * (1 << 20))])
    # a small unread rest is drained: the connection goes on
    with s.connect() as c:
        c.send(build_request("POST", "/form/ignore", headers=mp_headers(), body=small))
        r = expect(c.read_response(), 200, "ignored")
        check("close" not in r.connection_tokens(), "closed after a small unread body")
        c.send(build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")
    # the answer may come before the body: the body is drained as it comes
    with s.connect() as c:
        c.send(build_request("POST", "/form/ignore", headers=mp_headers(
            extra=[("Content-Length", str(len(small)))])))
        r = expect(c.read_response(), 200, "ignored")
        check("close" not in r.connection_tokens(), "closed before the body came")
        c.send(small[:5000])
        time.sleep(0.05)
        c.send(small[5000:] + build_request("GET", "/plaintext"))
        expect(c.read_response(), 200, "Hello, World!")
    # a big one is not worth reading: the answer says close
    with s.connect() as c:
        c.send(build_request("POST", "/form/ignore", headers=mp_headers(
            extra=[("Content-Length", str(len(big)))])))
        th = _send_in_thread(c.sock, big)
        r = expect(c.read_response(), 200, "ignored")
        check("close" in r.connection_tokens(), "no Connection: close after a "
              "1 MiB unread body: %r" % r.headers)
        th.join(t(5))
        c.assert_closed(what="after an unread 1 MiB body")


def test_routing_before_the_body_and_100_continue():
    s = forms_server()
    body = multipart([("a", "1"), ("f", "f", "", b"z" * 5000)])
    # 404 and 405 are answered from the head: no 100 Continue, no body read
    for target, status in (("/nope", 404), ("/plaintext", 405)):
        with s.connect() as c:
            c.send(build_request("POST", target, headers=mp_headers(extra=[
                ("Content-Length", str(len(body))), ("Expect", "100-continue")])))
            r = c.read_response(allow_interim=False, timeout=t(3))
            problem(r, status)
            c.assert_closed(what="after %d with a body never sent" % status)
    # a handler that reads gets its 100 Continue, then the body
    with s.connect() as c:
        c.send(build_request("PATCH", "/form", headers=mp_headers(extra=[
            ("Content-Length", str(len(body))), ("Expect", "100-continue")])))
        r = c.read_response(allow_interim=False, timeout=t(3))
        eq(r.status, 100, "interim status")
        c.send(body)
        j = fields(c.read_response())
        eq(j["fields"][0], {"name": "a", "value": "1"}, "field after 100")


# ---- strict parameters -------------------------------------------------------


def test_strict_integer_parameters():
    s = forms_server()
    good = [("0", 0), ("-0", 0), ("007", 7), ("42", 42),
            ("9223372036854775807", 9223372036854775807),
            ("-9223372036854775808", -9223372036854775808)]
    for raw, want in good:
        j = s.get("/strict/%s?n=%s" % (raw, raw)).json()
        eq((j["id"], j["n"]), (str(want), str(want)), "value of %r" % raw)
        eq(j["missing"], "not found", "a parameter the route lacks")
    bad = ["abc", "1e3", "%204", "+4", "4%20", "--1", "-", "4.0", "0x10",
           "9223372036854775808", "-9223372036854775809", "%EF%BC%94"]
    for raw in bad:
        r = s.get("/strict/%s?n=%s" % (raw, raw.replace("+", "%2B")))
        j = fields(r)
        check("invalid" in j["id"], "path %r accepted: %r" % (raw, j))
        check("invalid" in j["n"], "query %r accepted: %r" % (raw, j))
    # a NUL cannot reach a path (400), but a query value may hold one
    j = fields(s.get("/strict/1?n=1%00"))
    check("invalid" in j["n"], "query '1%%00' accepted: %r" % j)
    j = s.get("/strict/1?n=").json()
    check("invalid" in j["n"], "an empty query value accepted: %r" % j)
    j = s.get("/strict/1").json()
    eq(j["n"], "not found", "an absent query parameter")
