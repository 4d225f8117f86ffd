"""31. Hybrid assets and islands (docs/frontend.md): vite_assets() in a
server page emits the stylesheet, modulepreload and module-script tags of
a Vite entry with the hashed URLs its manifest names (served immutable
under /static/), or the Vite dev server's client and entry in
development; a manifest that is missing or malformed stops the start-up
with a clear error, and an entry that is not in it is an error naming the
template's line; island() places a component with its props JSON escaped
so that "</script>", "<!--", quotes and U+2028 cannot break out.
"""

import atexit
import html
import json
import os
import re
import shutil
import subprocess
import tempfile

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps",
                   "hybrid")
SECRET = {"KILN_APP_SECRET_KEY": "h" * 20 + "-hybrid-test-key-012345"}
IMMUTABLE = "public, max-age=31536000, immutable"
PAGE = [("Accept", "text/html")]
RELEASE_TAGS = (
    '<link rel="stylesheet" href="/static/dist/assets/main-6c0d9a3e.css">\n'
    '<link rel="stylesheet" href="/static/dist/assets/shared-e51f7b28.css">\n'
    '<link rel="modulepreload" '
    'href="/static/dist/assets/shared-4f1c09ab.js">\n'
    '<script type="module" '
    'src="/static/dist/assets/main-b3a8e0f2.js"></script>')
DEV_TAGS = (
    '<script type="module" src="http://127.0.0.1:5173/@vite/client">'
    '</script>\n'
    '<script type="module" src="http://127.0.0.1:5173/src/main.tsx">'
    '</script>')


class App:
    """The test app built once (kiln build), run with other settings."""

    parent = None

    @classmethod
    def build(cls):
        if cls.parent:
            return
        cls.parent = tempfile.mkdtemp(prefix="kiln-hybrid-")
        atexit.register(shutil.rmtree, cls.parent, True)
        cls.root = os.path.join(cls.parent, "hybrid")
        shutil.copytree(APP, cls.root)
        p = subprocess.run([kiln_bin(), "build"], cwd=cls.root,
                           env=env_for(SECRET), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=t(180))
        eq(p.returncode, 0, "kiln build: " + p.stdout.decode())
        cls.binary = os.path.join(cls.root, "dist", "hybrid")

    def __init__(self, env=None, args=()):
        App.build()
        self.env = dict(SECRET, **(env or {}))
        self.args = list(args)

    def __enter__(self):
        self.port = harness.free_port()
        self.log_path = os.path.join(self.parent, "app-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--workers", "1",
             "--root", self.root] + self.args,
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        check(get_when_up(self.port, "/api/ping") is not None, "the app is up")
        self.s = harness.Server.__new__(harness.Server)  # a client only
        self.s.port = self.port
        return self

    def get(self, target, headers=None):
        return self.s.get(target, headers=headers)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

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


def islands(text):
    """The islands of a page: [(name, props decoded, inner HTML)]."""
    out = []
    for m in re.finditer(r'<div data-island="([^"]*)" data-props="([^"]*)"'
                         r'( data-ssr)?>(.*?)</div>', text, re.S):
        out.append((html.unescape(m.group(1)),
                    json.loads(html.unescape(m.group(2))), m.group(4)))
    return out


def check_islands(text, what):
    got = islands(text)
    eq([g[0] for g in got], ["Counter", "Greeting"], what + ": the islands")
    eq(got[0][1], {"start": 3,
                   "title": "</script><!--\"q\" 'a' & \u2028 \u2029 \u00e9"},
       what + ": the props survive intact")
    eq(got[1][1], {"name": "<b>you</b>"}, what + ": keyword props")
    eq(got[0][2], "", what + ": rendered on the client (no SSR service)")
    # nothing in the props leaves the attribute: the page has exactly
    # its own markup
    check("</script><!--" not in text and "<b>you" not in text,
          what + ": raw markup from the props: " + text)
    check("\u2028" not in text and "\u2029" not in text,
          what + ": U+2028/2029 escaped")


def test_release_tags_and_islands():
    with App() as a:
        r = a.get("/", headers=PAGE)
        eq(r.status, 200, "the page: " + r.text()[:300])
        text = r.text()
        check(RELEASE_TAGS in text, "release tags from the manifest: " + text)
        check("lazy-" not in text, "a dynamic import is not preloaded")
        check_islands(text, "release")
        # every URL the tags name is served, immutable (hashed names)
        for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', text):
            f = a.get(url)
            eq(f.status, 200, url)
            eq(f.header("Cache-Control"), IMMUTABLE, url + ": immutable")
        js = a.get("/static/dist/assets/main-b3a8e0f2.js")
        check(js.header("Content-Type").startswith("text/javascript"),
              "a module script's type: " + js.header("Content-Type"))
test_release_tags_and_islands.timeout = 300


def test_dev_server_tags():
    with App(args=["--dev"]) as a:
        r = a.get("/", headers=PAGE)
        eq(r.status, 200, "the page: " + r.text()[:300])
        check(DEV_TAGS in r.text(), "dev server tags: " + r.text())
        check('import RefreshRuntime from '
              '"http://127.0.0.1:5173/@react-refresh"' in r.text(),
              "React's fast-refresh preamble: " + r.text())
        check("/static/dist/" not in r.text(), "no built asset in dev")
        check_islands(r.text(), "development")
    with App({"KILN_FRONTEND_DEV_SERVER": "http://localhost:3000/",
              "KILN_FRONTEND_REACT_REFRESH": "false"}, args=["--dev"]) as a:
        text = a.get("/", headers=PAGE).text()
        check("react-refresh" not in text, "no preamble: " + text)
        check('src="http://localhost:3000/@vite/client"' in text and
              'src="http://localhost:3000/src/main.tsx"' in text, text)
    # frontend.dev_server empty: the manifest in development too
    with App({"KILN_FRONTEND_DEV_SERVER": ""}, args=["--dev"]) as a:
        check(RELEASE_TAGS in a.get("/", headers=PAGE).text(), "manifest")
test_dev_server_tags.timeout = 300


MISSING = """<!doctype html>
<html>
<head>
{{ vite_assets('src/missing.tsx') }}
</head>
</html>
"""


def test_missing_entry_refused_at_start_up():
    """A page asking for an entry the manifest lacks: the built app does
    not start, and says which page, line and entry (kiln dev, which reads
    pages per request, shows it as the page's error instead)."""
    App.build()
    root = os.path.join(App.parent, "missing")
    shutil.copytree(APP, root)
    with open(os.path.join(root, "pages", "missing.html"), "w") as f:
        f.write(MISSING)
    b = subprocess.run([kiln_bin(), "build"], cwd=root, env=env_for(SECRET),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=t(180))
    eq(b.returncode, 0, "kiln build: " + b.stdout.decode())
    for args, env in (([], {}), (["--dev"], {"KILN_FRONTEND_DEV_SERVER": ""})):
        p = subprocess.run(
            [os.path.join(root, "dist", "hybrid"), "--port",
             str(harness.free_port()), "--root", root] + args,
            env=env_for(dict(SECRET, **env)), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=t(20))
        out = p.stdout.decode()
        eq(p.returncode, 2, "refused at start-up: " + out)
        check("pages/missing.html:4:16: vite_assets('src/missing.tsx'): no "
              "such entry in" in out, out)
test_missing_entry_refused_at_start_up.timeout = 300


def test_assets_url_and_start_up_errors():
    with App({"KILN_FRONTEND_ASSETS_URL": "https://cdn.example/b"}) as a:
        text = a.get("/", headers=PAGE).text()
        check('src="https://cdn.example/b/assets/main-b3a8e0f2.js"' in text,
              text)
    out = start_fails({"KILN_FRONTEND_MANIFEST": "static/nope.json"})
    check("frontend.manifest 'static/nope.json': cannot read" in out and
          "build the front end first" in out, out)
    bad = os.path.join(App.root, "bad-manifest.json")
    with open(bad, "w") as f:
        f.write('{"src/main.tsx": {"file": "../../etc/passwd"}}')
    out = start_fails({"KILN_FRONTEND_MANIFEST": "bad-manifest.json",
                       "KILN_FRONTEND_ASSETS_URL": "/x/"})
    check("'src/main.tsx': \"file\" is not a plain relative path" in out, out)
    out = start_fails({"KILN_FRONTEND_MANIFEST": "bad-manifest.json"})
    check("not under static.dir" in out or "plain relative" in out, out)
test_assets_url_and_start_up_errors.timeout = 300


FAKE_VITE = r"""
// Stands in for Vite: says how it was started, keeps running.
import { writeFileSync } from "node:fs";
writeFileSync("vite.pid", String(process.pid));
console.log("fake vite " + process.argv.slice(2).join(" "));
console.log("APP_ORIGIN=" + process.env.APP_ORIGIN);
console.error("a warning on stderr");
setInterval(() => {}, 1000);
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_kiln_dev_runs_vite():
    from kilncli import Dev, Project
    import time
    if not shutil.which("npm"):
        raise harness.TestFailure("npm is not installed (scripts/deps.sh)")
    with Project() as p:
        p.write("frontend/package.json", json.dumps(
            {"name": "front", "private": True,
             "scripts": {"dev": "node fake-vite.mjs"}}))
        p.write("frontend/fake-vite.mjs", FAKE_VITE)
        vport = harness.free_port()
        env = {"KILN_FRONTEND_DEV_SERVER": "http://127.0.0.1:%d" % vport}
        with Dev(p, env=env) as d:
            d.wait_output("[vite] fake vite --host 127.0.0.1 --port %d "
                          "--strictPort" % vport)
            d.wait_output("[vite] a warning on stderr")
            d.wait_output("[vite] APP_ORIGIN=http://127.0.0.1:%d\n" % d.port)
            with open(p.path("frontend/vite.pid")) as f:
                pid = int(f.read())
            check(alive(pid), "Vite runs")
            eq(d.stop(), 0, "kiln dev stops")
        deadline = time.monotonic() + t(10)
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        check(not alive(pid), "Vite stopped with kiln dev")
        # frontend.vite = false: not started
        os.unlink(p.path("frontend/vite.pid"))
        env["KILN_FRONTEND_VITE"] = "false"
        with Dev(p, env=env) as d:
            d.wait_output("on http://")
            d.wait_for("/", lambda r: r.status in (200, 404), "the app")
            check("[vite]" not in d.output(), d.output())
            check(not os.path.exists(p.path("frontend/vite.pid")), "no Vite")
test_kiln_dev_runs_vite.timeout = 300


ISLANDS_TS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                          "..", "share", "islands", "islands.ts")
USE_TSX = """
import { mountIslands, type IslandRenderers } from "./islands";

function Counter({ start }: { start: number }) {
  return <button>{start}</button>;
}
const renderers: IslandRenderers = {
  createRoot: () => ({ render: () => undefined }),
  hydrateRoot: () => undefined,
};
export const results = mountIslands({ Counter }, renderers);
"""


def test_islands_loader_is_strict_typescript():
    """share/islands/islands.ts and a use of it compile under tsc --strict
    (tests/types' pinned TypeScript and React types); a use that passes
    something else than a component is refused."""
    from kilncli import Project
    import test_types
    test_types.npm_ci()
    with Project() as p:
        with open(ISLANDS_TS) as f:
            p.write("web/src/islands.ts", f.read())
        p.write("web/src/use.tsx", USE_TSX)
        rc, out = test_types.tsc(p, ["islands.ts", "use.tsx"])
        eq(rc, 0, "tsc --strict: " + out)
        p.write("web/src/use.tsx", USE_TSX.replace("{ Counter }",
                                                   "{ Counter: 3 }"))
        rc, out = test_types.tsc(p, ["islands.ts", "use.tsx"])
        check(rc != 0 and "use.tsx" in out, "a number is no component: " + out)
test_islands_loader_is_strict_typescript.timeout = 600
