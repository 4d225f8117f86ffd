"""React pages (docs/frontend.md, "React pages"): tests/blackbox/apps/react
has pages/*.tsx with loaders in pages/*.c and a pages/_layout.tsx; its
front end is tests/react (Vite, React, TypeScript; `npm ci` from its lock
file), which builds the client entry (`npm run build`) and the server
bundle of the pages (`npm run build:ssr`). Over real sockets: the HTML has
the server-rendered page inside its layout and the props safely embedded;
the same URL asked for JSON answers the loader's data; both say Vary:
Accept; a loader's redirect and 404 win; with the sidecar killed the page
is still answered 200 for the client to render, and renders server-side
again once the sidecar is back.
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import check, eq, t
from kilncli import Project, env_for, get_when_up, kiln_bin

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FRONT = os.path.join(REPO, "tests", "react")
APP = os.path.join(HERE, "apps", "react")
RUNTIME = os.path.join(REPO, "share", "pages", "pages.ts")
SECRET = {"KILN_APP_SECRET_KEY": "s" * 20 + "-react-test-key-0123456789"}
MOTTO = "</script><!-- \"quoted\" & 'single' \u2028 end"


def npm_ci(folder):
    """`npm ci` in folder unless its node_modules has its lock file's."""
    harness.npm_ci(folder, timeout=600)


def run_ok(args, cwd, what, timeout=300):
    p = subprocess.run(args, cwd=cwd, env=env_for(SECRET),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=t(timeout))
    eq(p.returncode, 0, "%s: %s" % (what, p.stdout.decode("utf-8",
                                                            "replace")))
    return p.stdout.decode("utf-8", "replace")


class App:
    """The React-pages app, built once (front end and release binary), run
    with one worker; its log is kept."""

    root = None

    @classmethod
    def build(cls):
        if cls.root:
            return
        npm_ci(FRONT)
        parent = tempfile.mkdtemp(prefix="kiln-react-")
        atexit.register(shutil.rmtree, parent, True)
        cls.root = os.path.join(parent, "reactapp")
        shutil.copytree(APP, cls.root)
        front = os.path.join(cls.root, "frontend")
        shutil.copytree(FRONT, front, ignore=shutil.ignore_patterns(
            "node_modules", "dist-ssr", ".gitignore"))
        os.symlink(os.path.join(FRONT, "node_modules"),
                   os.path.join(front, "node_modules"))
        # the client runtime, copied into the front end as the docs say
        shutil.copy(RUNTIME, os.path.join(front, "src", "kiln-pages.ts"))
        run_ok(["npm", "run", "typecheck"], front, "tsc --noEmit")
        run_ok(["npm", "run", "build"], front, "vite build")
        run_ok(["npm", "run", "build:ssr"], front, "vite build --ssr")
        run_ok([kiln_bin(), "build"], cls.root, "kiln build")
        cls.binary = os.path.join(cls.root, "dist", "reactapp")

    def __init__(self, env=None):
        self.env = env or {}

    def __enter__(self):
        App.build()
        self.port = harness.free_port()
        self.logpath = os.path.join(os.path.dirname(self.root),
                                    "app-%d.log" % self.port)
        self.logf = open(self.logpath, "wb")
        e = dict(SECRET)
        e.update(self.env)
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--workers", "1",
             "--root", self.root], env=env_for(e), stdout=self.logf,
            stderr=subprocess.STDOUT)
        check(get_when_up(self.port, "/api/ping") is not None, "the app is up")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=t(10))
        self.logf.close()

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def sidecar(self):
        """The pid of the sidecar serving this app's socket, or None."""
        sock = os.path.join(self.root, ".kiln", "ssr.sock").encode()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if sock in argv and any(a.endswith(b"server.mjs") for a in argv):
                return int(d)
        return None

    def get(self, path, accept="text/html,application/xhtml+xml,*/*;q=0.8"):
        """(status, headers dict with lower-case names, body)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=t(10))
        try:
            c.request("GET", path, headers={"Accept": accept})
            r = c.getresponse()
            return (r.status, {k.lower(): v for k, v in r.getheaders()},
                    r.read())
        finally:
            c.close()


def page_data(body):
    """The JSON of a React page's <script id="kiln-page-data">."""
    m = re.search(rb'<script type="application/json" id="kiln-page-data">'
                  rb'(.*?)</script>', body, re.S)
    check(m is not None, "the page has its data: %r" % body[:400])
    return json.loads(m.group(1))


def test_react_page_rendered_on_the_server():
    with App() as app:
        status, h, body = app.get("/")
        eq(status, 200, "status")
        eq(h.get("content-type"), "text/html; charset=utf-8", "type")
        eq(h.get("vary"), "Accept", "Vary")
        check(body.startswith(b"<!DOCTYPE html>"), "a document")
        check(b"<title>Posts</title>" in body, "the loader's title")
        # the layout wraps the page, all rendered by React on the server
        check(b'<div class="layout" data-page="index"><nav>' in body,
              "the layout: %r" % body[:600])
        check(b"<h1>Posts</h1>" in body and
              b'<a href="/posts/2">Second thoughts</a>' in body,
              "the page's content from its loader")
        # what a user typed: escaped by React in the markup...
        check(b"&lt;/script&gt;&lt;!-- &quot;quoted&quot; &amp;" in body,
              "escaped markup")
        # ...and embedded as JSON nothing can break out of
        m = re.search(rb'id="kiln-page-data">(.*?)</script>', body, re.S)
        raw = m.group(1)
        for bad in (b"<", b">", b"&", b"'", "\u2028".encode()):
            check(bad not in raw, "%r escaped in the data" % bad)
        data = json.loads(raw)
        eq(data["page"], "index", "the page's name")
        eq(data["ssr"], True, "rendered on the server")
        eq(data["props"]["motto"], MOTTO, "the props arrive intact")
        eq([p["id"] for p in data["props"]["posts"]], [1, 2, 3], "posts")
        # the client entry from Vite's manifest, hashed
        check(re.search(rb'<script type="module" src="/static/dist/assets/'
                        rb'pages\.client-[0-9a-f]{8}\.js"></script>', body),
              "the client entry's tag")
        status, _, body = app.get("/posts/2")
        eq(status, 200, "a page with a parameter")
        check(b'<h1 class="post-title">Second thoughts</h1>' in body,
              "rendered with its parameter's props")
        eq(page_data(body)["page"], "posts/[id]", "its name")


test_react_page_rendered_on_the_server.timeout = 900  # npm ci, builds


def test_react_page_data_as_json():
    with App() as app:
        status, h, body = app.get("/posts/3", accept="application/json")
        eq(status, 200, "status")
        eq(h.get("content-type"), "application/json; charset=utf-8", "type")
        eq(h.get("vary"), "Accept", "Vary: one URL, two representations")
        eq(json.loads(body), {"page": "posts/[id]", "props": {
            "id": 3, "title": "Third time",
            "body": "The body of the post."}}, "the loader's data, no HTML")
        # the two representations have different ETags
        _, h2, _ = app.get("/posts/3")
        check(h.get("etag") and h2.get("etag") and
              h.get("etag") != h2.get("etag"), "ETags differ")
        # a browser's */* and curl's get the page; only JSON asked gets JSON
        eq(app.get("/posts/3", accept="*/*")[1].get("content-type"),
           "text/html; charset=utf-8", "*/* gets HTML")
        eq(app.get("/posts/3", accept="text/html;q=0.5, application/json")
           [1].get("content-type"), "application/json; charset=utf-8",
           "JSON preferred")
        # the loader has the last word: a 404, a redirect
        status, _, _ = app.get("/posts/9", accept="application/json")
        eq(status, 404, "a loader's 404, for JSON")
        eq(app.get("/posts/9")[0], 404, "and for HTML")
        status, h, _ = app.get("/account", accept="application/json")
        eq(status, 303, "a loader's redirect")
        eq(h.get("location"), "/login?next=/account", "to the login")
        # template pages are untouched by the React pages
        status, h, body = app.get("/about")
        check(status == 200 and b"<h1>About this app</h1>" in body,
              "a template page beside them")


test_react_page_data_as_json.timeout = 900


def test_react_page_sidecar_killed_falls_back_to_the_client():
    with App() as app:
        deadline = time.monotonic() + t(15)
        while page_data(app.get("/")[2])["ssr"] is not True:
            check(time.monotonic() < deadline, "server-side at first")
            time.sleep(0.1)
        pid = app.sidecar()
        check(pid is not None, "the sidecar runs")
        os.kill(pid, signal.SIGKILL)
        # answered at once, every time, while the sidecar is down or back
        seen_client = False
        deadline = time.monotonic() + t(20)
        while True:
            status, _, body = app.get("/posts/1")
            eq(status, 200, "never a 500 because of the sidecar")
            data = page_data(body)
            eq(data["props"]["title"], "Hello, world", "the props are there")
            if data["ssr"] is False:
                seen_client = True
                check(b'<div id="kiln-page"></div>' in body,
                      "an empty root for the client to render")
                check(b"pages.client-" in body, "with the client entry")
            elif seen_client:
                break  # rendered on the server again
            check(time.monotonic() < deadline,
                  "the fallback, then server rendering again")
            time.sleep(0.02)
        check(b'<h1 class="post-title">Hello, world</h1>' in body,
              "server-rendered after the restart")
        check(app.sidecar() not in (None, pid), "a new sidecar")
        check("starting it again" in app.log(), "the restart is logged")


test_react_page_sidecar_killed_falls_back_to_the_client.timeout = 900


def test_react_page_without_the_bundle_renders_on_the_client():
    # ssr.pages naming no file: the sidecar says so for each page, and the
    # pages are answered for the browser to render
    with App({"KILN_SSR_PAGES": "frontend/missing.js"}) as app:
        status, _, body = app.get("/")
        eq(status, 200, "answered")
        eq(page_data(body)["ssr"], False, "rendered on the client")
        check("no React pages bundle" in app.log(), "the reason is logged")


test_react_page_without_the_bundle_renders_on_the_client.timeout = 900


def test_react_pages_routed_by_the_scan():
    with Project() as p:
        p.write("pages/feed.tsx", "export default function F() { return null; }\n")
        p.write("pages/feed.c", "#include <kiln.h>\n"
                "KILN_LOAD(feed) { (void)c; (void)ctx; return 0; }\n")
        p.write("pages/posts/[id].tsx", "export default () => null;\n")
        p.write("pages/posts/[id].toml", "paths = [{id = 1}]\n")
        p.write("pages/_layout.tsx", "export default () => null;\n")
        p.write("pages/_parts/Card.tsx", "export default () => null;\n")
        p.write("pages/_parts/style.css", "p {}\n")
        rc, out, err = p.kiln("routes")
        eq(rc, 0, "kiln routes: " + err)
        rows = [ln.split() for ln in out.splitlines()[1:]]
        for w in (["GET", "/feed", "feed", "pages/feed.tsx"],
                  ["GET", "/posts/{id}", "posts.id", "pages/posts/[id].tsx"]):
            check(w in rows, "route %s in:\n%s" % (w, out))
        check("_layout" not in out and "_parts" not in out,
              "the layout and helpers are not routed:\n" + out)
        check(not any(r[-1] == "pages/feed.c" for r in rows),
              "a loader is no route of its own:\n" + out)

    cases = [
        ({"pages/a.html": "<p>a</p>\n", "pages/a.tsx": "export {};\n"},
         "route conflict: GET /a comes from both pages/a.html and "
         "pages/a.tsx"),
        ({"pages/lone.toml": "paths = []\n"},
         "pages/lone.toml: a page's export paths describe the page beside "
         "them, and there is no pages/lone.html or .tsx"),
        ({"pages/util.ts": "export {};\n"},
         "pages/util.ts: unknown file in pages/: pages are .html or .tsx"),
        ({"pages/gone.c": "#include <kiln.h>\n"
          "KILN_LOAD(g) { (void)c; (void)ctx; return 0; }\n"},
         "pages/gone.c: KILN_LOAD fills the context of pages/gone.html"),
    ]
    for files, want in cases:
        with Project() as p:
            for rel, text in files.items():
                p.write(rel, text)
            rc, out, err = p.kiln("routes")
            eq(rc, 1, "refused: %s" % files)
            check(want in err, "%r in:\n%s" % (want, err))
