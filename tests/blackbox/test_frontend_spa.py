"""30. A single-page app joined to Kiln (docs/frontend.md): frontend.spa
serves a built front end as the fallback for GET and HEAD requests no
route matches (its hashed assets immutable, deep links and reloads get
index.html when the browser asks for a page, /api/ misses and JSON clients
keep problem+json 404s, an asset that is not there is a 404), and [cors]
lets a front end on another origin call the API (preflights answered for
any route, the origin echoed with credentials, Vary: Origin; nothing
allowed by default, "*" with credentials refused at start-up).
"""

import atexit
import os
import shutil
import subprocess
import tempfile

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

SPA_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps",
                       "spa")
SECRET = {"KILN_APP_SECRET_KEY": "s" * 20 + "-spa-test-key-0123456789"}
# what Chromium sends when it opens a page, and when it loads a script
BROWSER = ("text/html,application/xhtml+xml,application/xml;q=0.9,"
           "image/avif,image/webp,image/apng,*/*;q=0.8")
PAGE = [("Accept", BROWSER)]
SCRIPT = [("Accept", "*/*")]
IMMUTABLE = "public, max-age=31536000, immutable"
JS = "/assets/app.3f9a1c2b.js"


class App:
    """The test app built once (kiln build), then run as often as a test
    needs with other settings in its environment."""

    parent = None

    @classmethod
    def build(cls):
        if cls.parent:
            return
        cls.parent = tempfile.mkdtemp(prefix="kiln-spa-")
        atexit.register(shutil.rmtree, cls.parent, True)
        cls.root = os.path.join(cls.parent, "spa")
        shutil.copytree(SPA_APP, cls.root)
        p = subprocess.run([kiln_bin(), "build"], cwd=cls.root,
                           env=env_for(SECRET), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=t(180))
        eq(p.returncode, 0, "kiln build: " + p.stdout.decode())
        cls.binary = os.path.join(cls.root, "dist", "spa")

    def __init__(self, env=None, args=()):
        App.build()
        self.env = dict(SECRET, **(env or {}))
        self.args = list(args)
        self.proc = None

    def __enter__(self):
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app-%d.log" % self.port),
                        "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--workers", "1",
             "--root", self.root] + self.args,
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        check(get_when_up(self.port, "/api/me") is not None, "the app is up")
        self.s = harness.Server.__new__(harness.Server)  # a client only
        self.s.port = self.port
        return self

    def get(self, target, headers=None):
        return self.s.get(target, headers=headers)

    def request(self, method, target, headers=None, body=b""):
        return self.s.request(method, target, headers=headers, body=body)

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=t(10))
        self.log.close()
        return False


def start_fails(env):
    """Runs the app with env; it must refuse to start. Returns its output."""
    App.build()
    p = subprocess.run([App.binary, "--port", str(harness.free_port()),
                        "--root", App.root], env=env_for(dict(SECRET, **env)),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=t(20))
    eq(p.returncode, 2, "refused at start-up: " + p.stdout.decode())
    return p.stdout.decode()


def is_shell(r, what):
    eq(r.status, 200, what + ": " + r.text()[:200])
    eq(r.header("Content-Type"), "text/html; charset=utf-8", what)
    check("spa-shell" in r.text(), what + ": index.html: " + r.text()[:200])
    eq(r.header("Cache-Control"), "no-cache", what + ": never cached stale")
    check("Accept" in (r.header("Vary") or ""), what + ": Vary: Accept")


def is_problem_404(r, what):
    eq(r.status, 404, what + ": " + r.text()[:200])
    eq(r.header("Content-Type"), "application/problem+json", what)
    return r.json()


def test_spa_deep_links_assets_and_api_misses():
    with App() as a:
        # the root, deep links and reloads: index.html for the client router
        for path in ("/", "/boards", "/boards/7/cards/3", "/boards/7/",
                     "/settings?tab=profile"):
            is_shell(a.get(path, headers=PAGE), path)
        r = a.request("HEAD", "/boards/7", headers=PAGE)
        eq((r.status, r.body), (200, b""), "HEAD: the head only")
        eq(r.header("Cache-Control"), "no-cache", "HEAD: same headers")
        check(int(r.header("Content-Length")) > 0, "HEAD: GET's length")
        # index.html itself, and a conditional reload
        r = a.get("/index.html", headers=PAGE)
        eq((r.status, r.header("Cache-Control")), (200, "no-cache"),
           "index.html by name")
        r2 = a.get("/boards", headers=PAGE + [("If-None-Match",
                                               r.header("ETag"))])
        eq(r2.status, 304, "a reload revalidates index.html")
        # hashed assets: immutable, with their type and ETag
        r = a.get(JS, headers=SCRIPT)
        eq(r.status, 200, "the script")
        eq(r.header("Content-Type"), "text/javascript; charset=utf-8", "type")
        eq(r.header("Cache-Control"), IMMUTABLE, "hashed: immutable")
        check("location.pathname" in r.text(), "its bytes")
        r = a.get("/assets/app.0123abcd.css", headers=SCRIPT)
        eq((r.status, r.header("Cache-Control")), (200, IMMUTABLE), "css")
        r = a.request("HEAD", JS)
        eq((r.status, r.body, r.header("Cache-Control")),
           (200, b"", IMMUTABLE), "HEAD of an asset")
        # a file without a hash: revalidated
        r = a.get("/robots.txt")
        eq((r.status, r.header("Cache-Control")), (200, "no-cache"),
           "robots.txt")
        # an asset that is not there is a 404, even for a browser
        for path in ("/assets/app.deadbeef.js", "/assets/gone.css",
                     "/favicon.ico"):
            r = a.get(path, headers=SCRIPT)
            is_problem_404(r, path)
            r = a.get(path, headers=PAGE)
            eq(r.status, 404, path + " for a page load")
            check("spa-shell" not in r.text(), path + ": never index.html")
        # no way out of the folder, no dotfiles
        for path in ("/../kiln.toml", "/%2e%2e/kiln.toml", "/.env"):
            r = a.get(path, headers=PAGE)
            check(r.status in (400, 404) and "[app]" not in r.text(),
                  path + ": " + r.text()[:100])
        # routes win: the API and a server page
        r = a.get("/api/me")
        eq((r.status, r.json()), (200, {"user": "anonymous"}), "the API")
        r = a.get("/about", headers=PAGE)
        eq(r.status, 200, "a server page")
        check("About (a server page)" in r.text(), r.text()[:200])
        # /api/ misses and JSON clients keep problem+json
        for path, h in (("/api/nope", PAGE), ("/api", PAGE),
                        ("/api/me/deeper", PAGE), ("/boards/7", SCRIPT),
                        ("/boards/7", [("Accept", "application/json")]),
                        ("/boards/7", None)):
            j = is_problem_404(a.get(path, headers=h), path)
            eq(j["detail"], "No route matches this path.", path)
        # other methods never get the shell
        r = a.request("POST", "/boards/7", headers=PAGE)
        eq(r.status, 404, "POST to a client route")
        check("spa-shell" not in r.text(), "no shell for a POST")
        r = a.request("DELETE", "/api/me", headers=PAGE)
        eq(r.status, 405, "a route's other method: still 405")
        # no [cors]: no CORS headers, no Vary: Origin
        r = a.get("/api/me", headers=[("Origin", "https://front.example")])
        eq(r.status, 200, "a cross-origin call still answers")
        check(not r.has("Access-Control-Allow-Origin"), "but not for a page")
        check("Origin" not in (r.header("Vary") or ""), "zero cost: no Vary")
        r = a.request("OPTIONS", "/api/me", headers=[
            ("Origin", "https://front.example"),
            ("Access-Control-Request-Method", "PUT")])
        eq(r.status, 204, "the automatic OPTIONS")
        check(not r.has("Access-Control-Allow-Origin") and
              not r.has("Access-Control-Allow-Methods"), "no CORS")
test_spa_deep_links_assets_and_api_misses.timeout = 300


def test_spa_development_and_start_up_errors():
    with App(args=["--dev"]) as a:
        r = a.get(JS)
        eq((r.status, r.header("Cache-Control")), (200, "no-cache"),
           "development: assets revalidated, as a rebuild keeps names")
        is_shell(a.get("/boards/1", headers=PAGE), "development deep link")
    # development: a front end not built yet is a warning, the rest serves
    with App({"KILN_FRONTEND_SPA": "no-such-folder"}, args=["--dev"]) as a:
        eq(a.get("/api/me").status, 200, "the API without the SPA")
        eq(a.get("/boards/1", headers=PAGE).status, 404, "no SPA")
        with open(a.log.name, "rb") as f:
            log = f.read().decode()
        check("frontend.spa" in log and "serving without it" in log, log)
    out = start_fails({"KILN_FRONTEND_SPA": "no-such-folder"})
    check("frontend.spa" in out and "index.html" in out, out)
    out = start_fails({"KILN_FRONTEND_SPA": "api"})  # a folder, no index
    check("frontend.spa" in out and "build the front end first" in out, out)
test_spa_development_and_start_up_errors.timeout = 300


def test_spa_embedded_by_kiln_build():
    """kiln build --embed-static compiles frontend.spa in: the binary
    serves it with the folder gone."""
    parent = tempfile.mkdtemp(prefix="kiln-spa-embed-")
    atexit.register(shutil.rmtree, parent, True)
    root = os.path.join(parent, "spa")
    shutil.copytree(SPA_APP, root)
    p = subprocess.run([kiln_bin(), "build", "--embed-static"], cwd=root,
                       env=env_for(SECRET), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=t(180))
    eq(p.returncode, 0, "kiln build --embed-static: " + p.stdout.decode())
    shutil.rmtree(os.path.join(root, "web"))
    port = harness.free_port()
    with open(os.path.join(parent, "app.log"), "wb") as log:
        proc = subprocess.Popen(
            [os.path.join(root, "dist", "spa"), "--port", str(port),
             "--root", root], env=env_for(SECRET), stdout=log,
            stderr=subprocess.STDOUT)
        try:
            check(get_when_up(port, "/api/me") is not None, "up")
            s = harness.Server.__new__(harness.Server)
            s.port = port
            is_shell(s.get("/boards/9", headers=PAGE), "embedded deep link")
            r = s.get(JS)
            eq((r.status, r.header("Cache-Control")), (200, IMMUTABLE),
               "embedded asset")
            check("location.pathname" in r.text(), "its bytes")
            r = s.get("/robots.txt")
            eq((r.status, r.header("Cache-Control")), (200, "no-cache"), "txt")
            is_problem_404(s.get("/assets/nope.js"), "embedded asset miss")
            r = s.request("HEAD", "/boards/9", headers=PAGE)
            eq((r.status, r.body), (200, b""), "HEAD")
        finally:
            proc.terminate()
            proc.wait(timeout=t(10))
test_spa_embedded_by_kiln_build.timeout = 300


FRONT = "https://front.example"


def preflight(a, origin, method, headers=None, path="/api/me"):
    h = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers:
        h.append(("Access-Control-Request-Headers", headers))
    return a.request("OPTIONS", path, headers=h)


def no_cors(r, what):
    for name in ("Access-Control-Allow-Origin",
                 "Access-Control-Allow-Credentials",
                 "Access-Control-Allow-Methods",
                 "Access-Control-Allow-Headers"):
        check(not r.has(name), what + ": no " + name)


def test_cors_with_credentials():
    second = "http://127.0.0.1:%d" % harness.free_port()
    env = {"KILN_CORS_ORIGINS": "%s, %s" % (FRONT, second),
           "KILN_CORS_CREDENTIALS": "true",
           "KILN_CORS_EXPOSE_HEADERS": "X-Request-Cost",
           "KILN_CORS_MAX_AGE": "300"}
    with App(env) as a:
        # a preflight from an allowed origin, for an allowed method/headers
        for origin in (FRONT, second):
            r = preflight(a, origin, "PUT", "content-type, authorization")
            eq(r.status, 204, "preflight from " + origin)
            eq(r.header("Access-Control-Allow-Origin"), origin, "echoed")
            eq(r.header("Access-Control-Allow-Credentials"), "true", "cred")
            eq(r.header("Access-Control-Allow-Methods"),
               "GET, HEAD, POST, PUT, PATCH, DELETE", "methods")
            eq(r.header("Access-Control-Allow-Headers"),
               "Accept, Authorization, Content-Type", "headers")
            eq(r.header("Access-Control-Max-Age"), "300", "max-age")
            vary = ", ".join(r.header_all("Vary"))
            check("Origin" in vary and
                  "Access-Control-Request-Method" in vary, vary)
            eq(r.body, b"", "no body")
        # any route, even one without a PUT: the router answers
        r = preflight(a, FRONT, "PATCH", path="/about")
        eq((r.status, r.header("Access-Control-Allow-Origin")), (204, FRONT),
           "a page route")
        # refused: an unknown origin, method or header; no CORS headers
        for what, r in (
                ("origin", preflight(a, "https://evil.example", "PUT")),
                ("origin by prefix", preflight(a, FRONT + ".evil.example",
                                               "PUT")),
                ("origin null", preflight(a, "null", "PUT")),
                ("method", preflight(a, FRONT, "PROPFIND")),
                ("header", preflight(a, FRONT, "PUT", "x-secret")),
                ("bad header list", preflight(a, FRONT, "PUT", "a b"))):
            eq(r.status, 204, what + ": the plain OPTIONS answer")
            no_cors(r, "refused " + what)
            check("GET" in (r.header("Allow") or ""), what + ": Allow")
        # a preflight to no route: the router's 404
        r = preflight(a, FRONT, "PUT", path="/api/nope")
        eq(r.status, 404, "no route")
        # actual requests: the origin echoed, credentials, exposed headers
        r = a.get("/api/me", headers=[("Origin", second),
                                      ("Cookie", "sid=ada")])
        eq((r.status, r.json()), (200, {"user": "ada"}), "credentialed")
        eq(r.header("Access-Control-Allow-Origin"), second, "echoed")
        eq(r.header("Access-Control-Allow-Credentials"), "true", "cred")
        eq(r.header("Access-Control-Expose-Headers"), "X-Request-Cost", "exp")
        check("Origin" in (r.header("Vary") or ""), "Vary: Origin")
        r = a.request("PUT", "/api/me", headers=[("Origin", FRONT)])
        eq((r.status, r.header("Access-Control-Allow-Origin")), (200, FRONT),
           "PUT")
        # errors carry them too, so the page can read the problem
        r = a.get("/api/nope", headers=[("Origin", FRONT)])
        eq((r.status, r.header("Access-Control-Allow-Origin")), (404, FRONT),
           "a 404")
        r = a.request("DELETE", "/api/me", headers=[("Origin", FRONT)])
        eq((r.status, r.header("Access-Control-Allow-Origin")), (405, FRONT),
           "a 405")
        # not allowed: no CORS headers, but still Vary (a cache must not
        # hand this answer to an allowed origin)
        r = a.get("/api/me", headers=[("Origin", "https://evil.example")])
        eq(r.status, 200, "answered (the browser hides it from the page)")
        no_cors(r, "another origin")
        check("Origin" in (r.header("Vary") or ""), "Vary without a match")
        # no Origin: same-origin or not a browser; Vary only
        r = a.get("/api/me")
        no_cors(r, "no Origin")
        check("Origin" in (r.header("Vary") or ""), "Vary: Origin always")
        # the SPA's own files answer cross-origin reads as well
        r = a.get(JS, headers=[("Origin", FRONT)])
        eq((r.status, r.header("Access-Control-Allow-Origin")), (200, FRONT),
           "an asset")
test_cors_with_credentials.timeout = 300


def test_cors_any_origin_and_start_up_errors():
    with App({"KILN_CORS_ORIGINS": "*"}) as a:
        r = preflight(a, "https://anyone.example", "PUT", "content-type")
        eq((r.status, r.header("Access-Control-Allow-Origin")), (204, "*"),
           "any origin, no credentials: *")
        check(not r.has("Access-Control-Allow-Credentials"), "no cred")
        r = a.get("/api/me", headers=[("Origin", "https://x.example")])
        eq(r.header("Access-Control-Allow-Origin"), "*", "actual: *")
    out = start_fails({"KILN_CORS_ORIGINS": "*",
                       "KILN_CORS_CREDENTIALS": "true"})
    check("cors.origins" in out and "credentials" in out, out)
    out = start_fails({"KILN_CORS_ORIGINS": "https://front.example/app"})
    check("'https://front.example/app' is not an origin" in out, out)
test_cors_any_origin_and_start_up_errors.timeout = 300

