"""13. The hello example (TechEmpower plaintext and json)."""

import time

from harness import server, build_request, check, expect, eq, common_headers, t


def test_hello_plaintext_and_json():
    with server(binary="examples/hello", workers=2) as s:
        with s.connect() as c:
            c.send(build_request("GET", "/plaintext"))
            r = expect(c.read_response(), 200, "Hello, World!")
            eq(r.header("Content-Type"), "text/plain", "plaintext Content-Type")
            eq(r.header("Content-Length"), "13", "plaintext Content-Length")
            common_headers(r)
            c.send(build_request("GET", "/json"))
            r = expect(c.read_response(), 200, '{"message":"Hello, World!"}')
            eq(r.header("Content-Type"), "application/json", "json Content-Type")
            eq(r.header("Content-Length"), "27", "json Content-Length")
            common_headers(r)
            # pipelined, TechEmpower style
            c.send(build_request("GET", "/plaintext") * 16)
            for _ in range(16):
                expect(c.read_response(), 200, "Hello, World!")
        eq(s.get("/nothing-here").status, 404, "unknown path status")
        rc, err = s.stop()
        eq(rc, 0, "hello exit code on SIGTERM (stderr: %s)" % err[-500:])


def test_start_line_counts_workers():
    for workers, said in ((1, "(1 worker)\n"), (2, "(2 workers)\n")):
        with server(binary="examples/hello", workers=workers) as s:
            # the workers accept before the line is written: wait for it
            line = "kiln listening on http://127.0.0.1:%d/ %s" % (s.port, said)
            deadline = time.monotonic() + t(5)
            while line not in s.stderr() and time.monotonic() < deadline:
                time.sleep(0.02)
            check(line in s.stderr(), "the start line: " + s.stderr_tail())
