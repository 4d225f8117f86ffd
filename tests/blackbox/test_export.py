"""kiln export (docs/cli.md, "kiln export"; docs/frontend.md, "Static
export"): the React-pages app of test_frontend_react (template pages,
React pages, a page with declared paths, one without, one that needs a
user, a form action and an API route) exported into a folder, which
`python3 -m http.server` then serves on 127.0.0.1: every exported page
answers, every link and asset it names resolves, and the routes that could
not be exported are listed with their reasons. A declared path that is no
page, a bad paths file and a folder that is not an export are errors.
"""

import html.parser
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import harness
from harness import check, eq, t
from kilncli import env_for, kiln_bin
from test_frontend_react import App

PAGES = ["index.html", "about/index.html", "notes/index.html",
         "posts/1/index.html", "posts/2/index.html", "posts/3/index.html"]
NOT_EXPORTED = [
    "GET /account (pages/account.tsx): answered 303 (a redirect to "
    "/login?next=/account): it needs a user or the server",
    "GET /api/ping (api/ping.c): an API route needs the server",
    "GET /drafts/{slug} (pages/drafts/[slug].tsx): a page with parameters "
    "and no declared paths (list them in pages/drafts/[slug].toml: paths = "
    "[{...}, ...])",
    "POST /notes (pages/notes.c): a form action needs the server",
]


def export(out, *args):
    """(exit status, stdout, stderr) of kiln export --out OUT."""
    p = subprocess.run([kiln_bin(), "export", "--out", out] + list(args),
                       cwd=App.root, env=env_for(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=t(300))
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


class Links(html.parser.HTMLParser):
    """The href and src values of a page."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.urls.append(v)


def get(url):
    """(status, body) of url, following the static server's redirects."""
    try:
        with urllib.request.urlopen(url, timeout=t(10)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_export_serves_from_a_static_server():
    App.build()
    out = tempfile.mkdtemp(prefix="kiln-export-")
    shutil.rmtree(out)  # a folder that does not exist yet
    try:
        rc, stdout, stderr = export(out)
        eq(rc, 0, "kiln export: " + stdout + stderr)
        check(stdout.startswith("exported 6 pages and "), stdout)
        listed = [ln.strip() for ln in stdout.splitlines()
                  if ln.startswith("  ")]
        eq(sorted(listed), sorted(NOT_EXPORTED), "what was not exported")
        for page in PAGES:
            check(os.path.isfile(os.path.join(out, page)), page)
        check(not os.path.exists(os.path.join(out, "account")),
              "a page that needs a user is not written")
        # static/ at static.url, Vite's output with it (not its .vite/)
        check(os.path.isfile(os.path.join(out, "static", "site.css")),
              "static/")
        check(any(f.startswith("pages.client-") for f in os.listdir(
            os.path.join(out, "static", "dist", "assets"))), "Vite's files")
        check(not os.path.exists(os.path.join(out, "static", "dist",
                                              ".vite")), "no dotfiles")

        port = harness.free_port()
        srv = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind",
             "127.0.0.1", "--directory", out], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            base = "http://127.0.0.1:%d" % port
            deadline = time.monotonic() + t(10)
            while True:
                try:
                    get(base + "/")
                    break
                except OSError:
                    check(time.monotonic() < deadline, "http.server is up")
                    time.sleep(0.1)
            # every page, by the URL the app serves it at
            seen, todo = set(), ["/", "/about", "/notes", "/posts/1",
                                 "/posts/2", "/posts/3"]
            while todo:
                path = todo.pop()
                if path in seen:
                    continue
                seen.add(path)
                status, body = get(base + path)
                eq(status, 200, "GET %s from the export" % path)
                if not path.startswith("/static/"):
                    p = Links()
                    p.feed(body.decode("utf-8"))
                    for u in p.urls:
                        parts = urllib.parse.urlsplit(u)
                        if not parts.scheme and not parts.netloc:
                            todo.append(urllib.parse.urljoin(path,
                                                             parts.path))
            for must in ("/static/site.css", "/posts/3"):
                check(must in seen, "%s was linked and resolved" % must)
            check(any(s.startswith("/static/dist/assets/pages.client-")
                      for s in seen), "the client entry resolved")
            status, body = get(base + "/posts/2/")
            check(status == 200 and b"Second thoughts" in body,
                  "the server-rendered React page is in the file")
        finally:
            srv.terminate()
            srv.wait(timeout=t(10))

        # a second export replaces the first (it is marked as an export)
        rc, stdout, stderr = export(out)
        eq(rc, 0, "again: " + stderr)
    finally:
        shutil.rmtree(out, True)


test_export_serves_from_a_static_server.timeout = 900


def test_export_errors():
    App.build()
    paths = os.path.join(App.root, "pages", "posts", "[id].toml")
    with open(paths) as f:
        kept = f.read()
    out = tempfile.mkdtemp(prefix="kiln-export-")
    try:
        # a folder that holds something else is not touched
        with open(os.path.join(out, "mine.txt"), "w") as f:
            f.write("keep me")
        rc, _, stderr = export(out)
        eq(rc, 1, "refused")
        check("is not empty and is not an earlier export" in stderr, stderr)
        check(os.path.exists(os.path.join(out, "mine.txt")), "kept")
        os.unlink(os.path.join(out, "mine.txt"))

        # a declared path that is no page
        with open(paths, "w") as f:
            f.write('paths = [{id = "1"}, {id = 9}]\n')
        rc, stdout, stderr = export(out)
        eq(rc, 1, "an error")
        check("GET /posts/9 (pages/posts/[id].tsx) answered 404" in stderr,
              stderr)
        check(os.path.isfile(os.path.join(out, "posts", "1", "index.html")),
              "the rest is exported")

        # values that cannot be one path segment, and unknown parameters
        with open(paths, "w") as f:
            f.write('paths = [{id = "a/b"}, {id = ".."}, {name = "x"}]\n')
        rc, stdout, stderr = export(out)
        eq(rc, 1, "errors")
        check("[id].toml:1:10: 'a/b' cannot be the value of 'id'" in stderr,
              stderr)
        check("'..' cannot be the value of 'id'" in stderr, stderr)
        check("no value for the parameter 'id'" in stderr, stderr)
        with open(paths, "w") as f:
            f.write('paths = "1"\n')
        rc, _, stderr = export(out)
        check(rc == 1 and "no 'paths' array" in stderr, stderr)
    finally:
        with open(paths, "w") as f:
            f.write(kept)
        shutil.rmtree(out, True)


test_export_errors.timeout = 900
