"""A single-page app and a front end on a second origin (docs/frontend.md)
in Chromium: tests/blackbox/apps/spa built and served with [cors] allowing
a page on another port of 127.0.0.1 (a static server this test starts);
deep links and reloads render the client route, and the second origin's
credentialed fetch and preflighted PUT get through while a third origin's
are blocked by the browser."""

import functools
import http.server
import os
import threading

import browsertest
import harness
from test_frontend_spa import App

FRONT_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>front</title></head>
<body><p id="out">waiting</p>
<script type="module">
const app = new URLSearchParams(location.search).get("app");
const out = document.getElementById("out");
try {
  const me = await fetch(app + "/api/me", {credentials: "include"});
  const who = (await me.json()).user;
  const cost = me.headers.get("X-Request-Cost");
  const put = await fetch(app + "/api/me", {
    method: "PUT", credentials: "include",
    headers: {"Content-Type": "application/json"}, body: "{}"});
  const renamed = (await put.json()).renamed;
  out.textContent = "user=" + who + " cost=" + cost + " put=" + renamed;
} catch (e) {
  out.textContent = "blocked: " + e.name;
}
out.dataset.done = "1";
</script></body></html>
"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_spa_deep_links_and_a_second_origin():
    folder = browsertest.artefacts(test_spa_deep_links_and_a_second_origin)
    with open(os.path.join(folder, "front.html"), "w") as f:
        f.write(FRONT_HTML)
    front = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=front.serve_forever, daemon=True).start()
    port = front.server_address[1]
    env = {"KILN_CORS_ORIGINS": "http://127.0.0.1:%d" % port,
           "KILN_CORS_CREDENTIALS": "true",
           "KILN_CORS_EXPOSE_HEADERS": "X-Request-Cost"}
    os.environ["KILN_SPA_FRONT"] = "http://127.0.0.1:%d" % port
    os.environ["KILN_SPA_OTHER"] = "http://localhost:%d" % port
    try:
        with App(env) as a:
            browsertest.scenario("spa.mjs", "http://127.0.0.1:%d" % a.port,
                                 folder)
    finally:
        front.shutdown()
        front.server_close()
        del os.environ["KILN_SPA_FRONT"], os.environ["KILN_SPA_OTHER"]
test_spa_deep_links_and_a_second_origin.timeout = 300
