"""A small HTTP origin server on 127.0.0.1 for the tests of Kiln's outgoing
requests (test_fetch.py) and of OIDC (test_auth_oidc.py): a thread per
request, every hit recorded (method, path, headers, body).

    with Origin() as o:
        o.url("/hello")       # http://127.0.0.1:PORT/hello
        o.hits                # [(method, path, headers, body), ...]

Paths it knows:
    /hello            200 text "hello"
    /slow?ms=N        answers "slow" after N ms
    /big?n=N          N bytes of "x" (with Content-Length)
    /stream?n=N       N bytes of "x", chunked (no Content-Length)
    /bighead          80 KB of response headers
    /redirect?to=U    302 to U
    /echo             {"method","path","headers","body"} of the request
    /json             {"name": "kiln"}
    /notjson          "<html>" as application/json
    /status/N         an empty answer with status N
Anything else: whatever `routes[path]` holds, a function(handler) that
answers, else 404.
"""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", ctype="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        srv = self.server.origin
        with srv.lock:
            srv.hits.append((self.command, self.path, dict(self.headers), body))
        route = srv.routes.get(u.path)
        if route:
            return route(self, q, body)
        if u.path == "/hello":
            return self._send(200, b"hello")
        if u.path == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000.0)
            return self._send(200, b"slow")
        if u.path == "/big":
            return self._send(200, b"x" * int(q.get("n", "0")))
        if u.path == "/stream":
            n = int(q.get("n", "0"))
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            left = n
            while left > 0:
                k = min(left, 65536)
                self.wfile.write(b"%x\r\n" % k + b"x" * k + b"\r\n")
                left -= k
            self.wfile.write(b"0\r\n\r\n")
            return None
        if u.path == "/bighead":
            return self._send(200, b"x", headers=[
                ("X-Filler-%d" % i, "y" * 1000) for i in range(80)])
        if u.path == "/redirect":
            return self._send(302, b"", headers=[("Location", q.get("to", "/"))])
        if u.path == "/echo":
            out = {"method": self.command, "path": self.path,
                   "headers": dict(self.headers),
                   "body": body.decode("utf-8", "replace")}
            return self._send(200, json.dumps(out).encode(), "application/json")
        if u.path == "/json":
            return self._send(200, b'{"name": "kiln"}', "application/json")
        if u.path == "/notjson":
            return self._send(200, b"<html>", "application/json")
        if u.path.startswith("/status/"):
            return self._send(int(u.path[8:]))
        return self._send(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hangs up early (a size limit) is expected


class Origin:
    def __init__(self, port=0):
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.origin = self
        self.port = self.httpd.server_address[1]
        self.hits = []
        self.routes = {}
        self.lock = threading.Lock()
        self.thread = None

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def count(self, path):
        with self.lock:
            return sum(1 for h in self.hits
                       if urllib.parse.urlsplit(h[1]).path == path)

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()
        return self

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False
