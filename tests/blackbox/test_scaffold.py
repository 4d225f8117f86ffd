"""`kiln new --template htmx|react` and `kiln build` with a front end
(docs/frontend.md, "Scaffolds"): each template makes a project that builds
and serves; the react one's front end passes `tsc --noEmit` on the client
`kiln new` wrote, `kiln build` runs its npm build and compiles the SPA in;
the htmx one's build copies htmx from npm into static/ and its form
answers a 422 with the errors. A failing front-end build, and one without
npm, stop `kiln build` with npm's output and a clear message.

The front ends' packages come from npmcache (one `npm ci --prefer-offline`
per lock file, shared by every project of a template).
"""

import os
import shutil
import subprocess
import tempfile

import harness
import npmcache
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin, run

SECRET = {"KILN_APP_SECRET_KEY": "k3Jq8vXr2mWbT9zLpQ4sNd7YcHf6GaUe1oRi5EwMx0"}
PAGE = [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")]
JSON = [("Content-Type", "application/json"), ("Accept", "application/json")]


def new(template, name="app"):
    """kiln new NAME --template TEMPLATE in a fresh folder: its root."""
    parent = tempfile.mkdtemp(prefix="kiln-scaffold-")
    rc, out, err = run(["new", name, "--template", template], parent)
    eq(rc, 0, "kiln new --template %s: %s%s" % (template, out, err))
    return os.path.join(parent, name)


def kiln(root, *args, env=None, timeout=300):
    p = subprocess.run([kiln_bin()] + list(args), cwd=root,
                       env=env_for(dict(SECRET, **(env or {}))),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=t(timeout))
    return p.returncode, p.stdout.decode("utf-8", "replace")


class Served:
    """The release binary of root, running on a free port."""

    def __init__(self, root, name="app", env=None):
        self.root, self.name, self.env = root, name, env or {}

    def __enter__(self):
        self.port = harness.free_port()
        self.log = open(os.path.join(self.root, "served.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", self.name), "--port",
             str(self.port), "--workers", "1", "--root", self.root],
            env=env_for(dict(SECRET, **self.env)), stdout=self.log,
            stderr=subprocess.STDOUT)
        check(get_when_up(self.port, "/api/openapi.json") is not None,
              "the app is up")
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


def test_new_refuses_an_unknown_template():
    parent = tempfile.mkdtemp(prefix="kiln-scaffold-")
    rc, out, err = run(["new", "x", "--template", "reakt"], parent)
    eq(rc, 2, "a usage error")
    check("did you mean 'react'" in err, err)
    check(not os.path.exists(os.path.join(parent, "x")), "nothing made")
    rc, out, err = run(["new", "x", "--template"], parent)
    eq(rc, 2, "--template needs a value: " + err)


def test_react_template_compiles_builds_and_serves():
    root = new("react", "notes")
    fe = os.path.join(root, "frontend")
    for rel in ("kiln.toml", ".gitignore", "models/note.toml",
                "migrations/0001_init.toml", "frontend/package-lock.json",
                "frontend/src/NoteForm.tsx", "frontend/src/api/notes.ts",
                "frontend/src/api/client.ts"):
        check(os.path.isfile(os.path.join(root, rel)), "kiln new made " + rel)
    check(not os.path.exists(os.path.join(fe, "node_modules")),
          "no node_modules copied from the checkout")
    with open(os.path.join(root, "kiln.toml")) as f:
        check('name = "notes"' in f.read(), "__NAME__ replaced")
    with open(os.path.join(fe, "src", "api", "notes.ts")) as f:
        api = f.read()
    check("export const useListNotes = listQuery(noteKeys, listNotes);"
          in api and "export const useCreateNote = " in api,
          "the hooks the components use were written by kiln new")
    npmcache.node_modules_for(fe)
    p = subprocess.run([os.path.join(fe, "node_modules", ".bin", "tsc"),
                        "--noEmit", "-p", fe], cwd=fe, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=t(240))
    eq(p.returncode, 0, "tsc --noEmit: " + p.stdout.decode())
    rc, out = kiln(root, "migrate")
    eq(rc, 0, "kiln migrate: " + out)
    rc, out = kiln(root, "build")
    eq(rc, 0, "kiln build: " + out)
    check("npm run build" in out and "vite" in out,
          "kiln build ran the front end's build: " + out[-2000:])
    check(os.path.isfile(os.path.join(fe, "dist", "index.html")),
          "frontend/dist built")
    # the binary has the SPA compiled in: the folder is not needed
    shutil.rmtree(os.path.join(fe, "dist"))
    with Served(root, "notes") as a:
        for path in ("/", "/notes/7"):
            r = a.get(path, headers=PAGE)
            eq(r.status, 200, path)
            check('<div id="root"></div>' in r.text(), path + ": index.html")
        js = [w.split('"')[1] for w in r.text().split("src=")[1:]]
        check(js and js[0].startswith("/assets/"), "the entry: %r" % js)
        r = a.get(js[0])
        eq(r.status, 200, "the script, from the binary")
        eq(r.header("Cache-Control"), "public, max-age=31536000, immutable",
           "hex-hashed names are immutable")
        r = a.request("POST", "/api/notes", headers=JSON,
                      body=b'{"title": ""}')
        eq(r.status, 422, "a blank title")
        check(any(e.get("pointer") == "/title"
                  for e in r.json().get("errors", [])), r.text())
        r = a.request("POST", "/api/notes", headers=JSON,
                      body=b'{"title": "Buy milk"}')
        eq(r.status, 201, r.text())
        r = a.get("/api/notes", headers=[("Accept", "application/json")])
        eq(r.json()["items"][0]["title"], "Buy milk", "listed")
    # frontend.spa_url: the same SPA under /app/ only
    with Served(root, "notes", {"KILN_FRONTEND_SPA_URL": "/app"}) as a:
        for path in ("/app", "/app/", "/app/notes/7"):
            r = a.get(path, headers=PAGE)
            eq(r.status, 200, path)
            check('<div id="root"></div>' in r.text(), path + ": index.html")
        eq(a.get("/app" + js[0], headers=PAGE).status, 200, "a file under it")
        for path in ("/", "/notes/7", "/apple", js[0]):
            r = a.get(path, headers=PAGE)
            eq(r.status, 404, path + ": outside the prefix")
        eq(a.get("/api/notes").status, 200, "the API as before")
    p = subprocess.run([os.path.join(root, "dist", "notes"), "--port",
                        str(harness.free_port()), "--root", root],
                       env=env_for(dict(SECRET, KILN_FRONTEND_SPA_URL="app")),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=t(20))
    eq(p.returncode, 2, "a bad frontend.spa_url stops the start")
    check("frontend.spa_url 'app': not a URL path prefix" in
          p.stdout.decode(), p.stdout.decode())
test_react_template_compiles_builds_and_serves.timeout = 600


def test_htmx_template_builds_and_swaps_errors():
    root = new("htmx", "jot")
    fe = os.path.join(root, "frontend")
    npmcache.node_modules_for(fe)
    rc, out = kiln(root, "migrate")
    eq(rc, 0, "kiln migrate: " + out)
    rc, out = kiln(root, "build")
    eq(rc, 0, "kiln build: " + out)
    check("copied htmx.min.js into static/" in out, out[-2000:])
    with open(os.path.join(fe, "node_modules", "htmx.org", "dist",
                           "htmx.min.js"), "rb") as f:
        htmx = f.read()
    with Served(root, "jot") as a:
        r = a.get("/", headers=PAGE)
        eq(r.status, 200, "the page")
        html = r.text()
        check('<script src="/static/htmx.min.js" defer></script>' in html,
              "htmx is loaded from static/")
        check('hx-headers=\'{"X-CSRF-Token": "' in html, "CSRF header wired")
        r = a.get("/static/htmx.min.js")
        eq((r.status, r.body), (200, htmx), "npm's htmx, served")
        r = a.request("POST", "/", headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("HX-Request", "true"), ("HX-Target", "notes")],
            body=b"title=&body=kept")
        eq(r.status, 422, "a blank title")
        body = r.text()
        check(body.lstrip().startswith('<section id="notes">') and
              "<html" not in body, "only the block: " + body[:200])
        check('id="title-error"' in body and ">kept</textarea>" in body,
              "the error, and what was typed: " + body)
test_htmx_template_builds_and_swaps_errors.timeout = 300


def test_build_stops_when_the_front_end_fails():
    parent = tempfile.mkdtemp(prefix="kiln-scaffold-")
    rc, out, err = run(["new", "app"], parent)
    eq(rc, 0, err)
    root = os.path.join(parent, "app")
    fe = os.path.join(root, "frontend")
    os.makedirs(os.path.join(fe, "node_modules"))
    with open(os.path.join(fe, "package.json"), "w") as f:
        f.write('{"name": "fe", "private": true, "scripts": {"build": '
                '"echo the-front-end-build-says-no >&2; exit 3"}}')
    rc, out = kiln(root, "build")
    eq(rc, 1, "kiln build fails: " + out)
    check("the-front-end-build-says-no" in out, "npm's output shown: " + out)
    check("npm run build failed (exit status 3" in out, out)
    check(not os.path.exists(os.path.join(root, "dist", "app")),
          "no binary: " + out)
    # node and npm missing from PATH: said before anything runs
    bare = tempfile.mkdtemp(prefix="kiln-nopath-")
    rc, out = kiln(root, "build", env={"PATH": bare})
    eq(rc, 1, "kiln build fails: " + out)
    check("node is not on PATH" in out, out)
    # no build script: nothing to run, the app builds
    with open(os.path.join(fe, "package.json"), "w") as f:
        f.write('{"name": "fe", "private": true, "scripts": {}}')
    rc, out = kiln(root, "build")
    eq(rc, 0, "kiln build: " + out)
    check("npm" not in out, out)
test_build_stops_when_the_front_end_fails.timeout = 240
