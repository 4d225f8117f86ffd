"""The outgoing HTTP client (kiln/fetch.h), against tests/fetchapp: its
handlers fetch from a Python origin server on 127.0.0.1 (origin.py) and
answer with what came back. Methods, bodies and headers; the timeout and
the size limit; redirects off by default; http/https only; TLS verified
unless the request opts out; and a slow origin that does not stop the
worker (one worker) from answering other requests meanwhile.
"""

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import check, eq, server, t
from origin import Origin

_srv = None


def app():
    global _srv
    if _srv is None or not _srv.alive():
        _srv = server(binary="tests/fetchapp", workers=1).start()
    return _srv


def fetch(s, url, via="GET", body=b"", headers=None, **q):
    """Asks fetchapp (with method via, body and headers) to fetch url; q
    are fetchapp's query parameters (method, timeout, max...)."""
    q["url"] = url
    target = "/fetch?" + urllib.parse.urlencode(q)
    r = s.request(via, target, headers=headers, body=body, timeout=t(20))
    eq(r.status, 200, "fetchapp answers")
    return r.json()


def test_get():
    with Origin() as o:
        got = fetch(app(), o.url("/hello"))
        eq(got["rc"], "ok", "rc")
        eq(got["status"], 200, "status")
        eq(got["body"], "hello", "body")
        eq(got["ctype"], "text/plain", "a response header")
        check(got["nheaders"] >= 3, "headers listed: %r" % got)
        eq(o.hits[0][2].get("User-Agent"), "kiln/0.1", "user agent")
        got = fetch(app(), o.url("/status/503"))
        eq((got["rc"], got["status"]), ("ok", 503), "a 5xx is a response")


def test_methods_and_bodies():
    with Origin() as o:
        body = b'{"a": 1}' * 300  # over 1 KiB: no Expect round trip
        got = fetch(app(), o.url("/echo"), via="POST", body=body,
                    headers={"Content-Type": "application/json"})
        echo = json.loads(got["body"])
        eq(echo["method"], "POST", "method")
        eq(echo["body"].encode(), body, "body sent whole")
        eq(echo["headers"].get("Content-Type"), "application/json", "ctype")
        check("Expect" not in echo["headers"], "no Expect: %r" % echo)
        got = fetch(app(), o.url("/echo"), via="POST", body=b"x=1",
                    method="PUT", header="X-Thing: yes")
        echo = json.loads(got["body"])
        eq(echo["method"], "PUT", "PUT with a body")
        eq(echo["headers"].get("X-Thing"), "yes", "an extra header")
        got = fetch(app(), o.url("/echo"), method="DELETE")
        eq(json.loads(got["body"])["method"], "DELETE", "DELETE")
        got = fetch(app(), o.url("/hello"), method="HEAD")
        eq((got["rc"], got["status"], got["body"]), ("ok", 200, ""), "HEAD")


def test_header_injection_refused():
    with Origin() as o:
        got = fetch(app(), o.url("/echo"), header="X-A: b\r\nX-B: c")
        eq(got["rc"], "invalid argument or input", "CR LF in a header")
        got = fetch(app(), o.url("/echo"), header="No colon")
        eq(got["rc"], "invalid argument or input", "no colon")
        eq(o.hits, [], "nothing sent")


def test_schemes():
    s = app()
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/",
                "/relative", "http://", "http:///x", "dict://127.0.0.1:1/"):
        got = fetch(s, url)
        eq(got["rc"], "invalid argument or input", url)
        check(got["error"], "an error message for %s" % url)


def test_timeout():
    with Origin() as o:
        start = time.monotonic()
        got = fetch(app(), o.url("/slow?ms=3000"), timeout="300")
        took = time.monotonic() - start
        eq(got["rc"], "timed out", "rc")
        check(took < t(2.5), "answered after the timeout: %.2fs" % took)
        check(got["error"], "an error message")


def test_size_limit():
    with Origin() as o:
        s = app()
        got = fetch(s, o.url("/big?n=1000"), max="1000")
        eq((got["rc"], len(got["body"])), ("ok", 1000), "at the limit")
        got = fetch(s, o.url("/big?n=1001"), max="1000")
        eq(got["rc"], "limit exceeded", "Content-Length over the limit")
        got = fetch(s, o.url("/stream?n=5000"), max="1000")
        eq(got["rc"], "limit exceeded", "a chunked body over the limit")
        # the default limit: 10 MiB
        got = fetch(s, o.url("/stream?n=%d" % (11 << 20)))
        eq(got["rc"], "limit exceeded", "over the default limit")
        got = fetch(s, o.url("/bighead"))
        eq(got["rc"], "limit exceeded", "80 KB of headers")
        check("headers" in got["error"], "says why: %r" % got)
        got = fetch(s, o.url("/stream?n=%d" % (3 << 20)))
        eq((got["rc"], len(got["body"])), ("ok", 3 << 20), "3 MiB is fine")


def test_redirects():
    with Origin() as o:
        s = app()
        to = o.url("/hello")
        got = fetch(s, o.url("/redirect?" + urllib.parse.urlencode({"to": to})))
        eq((got["rc"], got["status"]), ("ok", 302), "not followed by default")
        got = fetch(s, o.url("/redirect?" + urllib.parse.urlencode({"to": to})),
                    redirects="1")
        eq((got["rc"], got["status"], got["body"]), ("ok", 200, "hello"),
           "followed when asked")
        got = fetch(s, o.url("/redirect?to=file:///etc/passwd"), redirects="1")
        check(got["rc"] != "ok", "a redirect to file: refused: %r" % got)
        # a loop ends after 5
        o.routes["/loop"] = lambda h, q, b: h._send(
            302, b"", headers=[("Location", "/loop")])
        got = fetch(s, o.url("/loop"), redirects="1")
        check(got["rc"] != "ok", "a redirect loop fails: %r" % got)
        check(o.count("/loop") <= 6, "at most 5 redirects: %d" % o.count("/loop"))


def test_unreachable():
    port = harness.free_port()
    got = fetch(app(), "http://127.0.0.1:%d/" % port)
    eq(got["rc"], "service unavailable", "connection refused")
    check(got["error"], "an error message")


def test_json():
    with Origin() as o:
        s = app()
        r = s.get("/json?url=" + urllib.parse.quote(o.url("/json"))).json()
        eq((r["rc"], r["type"], r["name"]), ("ok", "object", "kiln"), "JSON")
        eq(o.hits[-1][2].get("Accept"), "application/json", "Accept sent")
        r = s.get("/json?url=" + urllib.parse.quote(o.url("/notjson"))).json()
        eq(r["rc"], "malformed input", "not JSON")
        check("not JSON" in r["error"], "says why: %r" % r)


def test_slow_origin_does_not_block_the_worker():
    """One worker: while five fetches wait for a slow origin, the worker
    answers other requests at once, and the five run at the same time."""
    with Origin() as o:
        s = app()
        results = []

        def slow():
            results.append(fetch(s, o.url("/slow?ms=1500")))

        start = time.monotonic()
        threads = [threading.Thread(target=slow) for _ in range(5)]
        for th in threads:
            th.start()
        deadline = time.monotonic() + t(5)
        while o.count("/slow") < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        eq(o.count("/slow"), 5, "five fetches reached the origin")
        t0 = time.monotonic()
        eq(s.get("/ping").text(), "pong", "ping")
        took = time.monotonic() - t0
        check(took < t(0.5), "ping answered while fetches wait: %.2fs" % took)
        check(len(results) == 0, "the fetches still wait")
        for th in threads:
            th.join(t(10))
        total = time.monotonic() - start
        eq([r["body"] for r in results], ["slow"] * 5, "all five answered")
        check(total < t(4), "the five ran at once: %.2fs" % total)


def _self_signed(d):
    key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, crt


def test_tls_verified():
    d = tempfile.mkdtemp(prefix="kiln-tls-")
    try:
        key, crt = _self_signed(d)
        with Origin() as o:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(crt, key)
            o.httpd.socket = ctx.wrap_socket(o.httpd.socket, server_side=True)
            url = "https://127.0.0.1:%d/hello" % o.port
            got = fetch(app(), url)
            eq(got["rc"], "service unavailable", "a self-signed certificate")
            check("certificate" in got["error"].lower(), "says why: %r" % got)
            got = fetch(app(), url, insecure="1")
            eq((got["rc"], got["body"]), ("ok", "hello"), "explicit opt-out")
    finally:
        shutil.rmtree(d, ignore_errors=True)
