"""The front ends Kiln scaffolds, in Chromium (docs/frontend.md,
"Scaffolds"): the react template's page (list, create, a 422 under its
field) and the htmx template's form (the 422 swapped in place), each built
by kiln build and served by its release binary; examples/board's React
front end under /app/ (log in, list, create a task, field errors); and
`kiln dev` with Vite: an edit to a component shows without a page load.

The front ends' packages are installed once per lock file
(tests/blackbox/npmcache.py): the react template and the board share one.
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time

import browsertest
import harness
import npmcache
from harness import check, eq
from kilncli import Dev, env_for, kiln_bin
from test_scaffold import Served, kiln, new

SRC = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BOARD = os.path.join(SRC, "examples", "board")


def built(template, name):
    """A project of template, its packages linked, migrated and built."""
    root = new(template, name)
    npmcache.node_modules_for(os.path.join(root, "frontend"))
    rc, out = kiln(root, "migrate")
    eq(rc, 0, "kiln migrate: " + out)
    rc, out = kiln(root, "build")
    eq(rc, 0, "kiln build: " + out)
    return root


def test_react_template_in_chromium():
    folder = browsertest.artefacts(test_react_template_in_chromium)
    root = built("react", "notes")
    con = sqlite3.connect(os.path.join(root, "app.db"))
    con.execute("INSERT INTO note (title, done, created) VALUES "
                "('Seeded by the test', 0, '2026-12-01T10:00:00Z')")
    con.commit()
    con.close()
    with Served(root, "notes") as a:
        browsertest.scenario("scaffold_react.mjs",
                             "http://127.0.0.1:%d" % a.port, folder)
test_react_template_in_chromium.timeout = 600


def test_htmx_template_in_chromium():
    folder = browsertest.artefacts(test_htmx_template_in_chromium)
    root = built("htmx", "jot")
    with Served(root, "jot") as a:
        browsertest.scenario("scaffold_htmx.mjs",
                             "http://127.0.0.1:%d" % a.port, folder)
test_htmx_template_in_chromium.timeout = 300


def test_board_react_front_end():
    folder = browsertest.artefacts(test_board_react_front_end)
    parent = tempfile.mkdtemp(prefix="kiln-board-react-")
    root = os.path.join(parent, "board")
    shutil.copytree(BOARD, root, ignore=shutil.ignore_patterns(
        "node_modules", ".kiln", "dist", "app.db", "app.db-wal",
        "app.db-shm"))
    npmcache.node_modules_for(os.path.join(root, "frontend"))
    rc, out = kiln(root, "migrate")
    eq(rc, 0, "kiln migrate: " + out)
    con = sqlite3.connect(os.path.join(root, "app.db"))
    with open(os.path.join(root, "seed.sql")) as f:
        con.executescript(f.read())
    con.close()
    rc, out = kiln(root, "build")
    eq(rc, 0, "kiln build: " + out)
    with Served(root, "board") as a:
        # the SPA answers under /app/ only: the server pages keep the rest
        r = a.get("/nowhere", headers=[("Accept", "text/html")])
        eq(r.status, 404, "outside /app/: the router's 404")
        r = a.get("/app/projects/1", headers=[("Accept", "text/html")])
        eq(r.status, 200, "a deep link under /app/")
        check('<div id="root"></div>' in r.text(), "index.html")
        browsertest.scenario("board_react.mjs",
                             "http://127.0.0.1:%d" % a.port, folder)
test_board_react_front_end.timeout = 600


def test_kiln_dev_hot_module_replacement():
    """kiln dev runs Vite for the react template; an edit to a component
    shows in the open page without a reload."""
    folder = browsertest.artefacts(test_kiln_dev_hot_module_replacement)
    root = new("react", "hot")
    npmcache.node_modules_for(os.path.join(root, "frontend"))
    rc, out = kiln(root, "migrate")
    eq(rc, 0, "kiln migrate: " + out)
    # kiln dev on a port chosen here: Vite's proxy sends /api/ to the app
    # (APP_ORIGIN, in Vite's environment: vite.config.ts)
    port, vite = harness.free_port(), harness.free_port()
    env = {"KILN_FRONTEND_DEV_SERVER": "http://127.0.0.1:%d" % vite,
           "APP_ORIGIN": "http://127.0.0.1:%d" % port}
    dev = Dev.__new__(Dev)
    dev.port = port
    dev.log_path = os.path.join(os.path.dirname(root), "dev.log")
    dev.log = open(dev.log_path, "wb")
    dev.proc = subprocess.Popen(
        [kiln_bin(), "dev", "--port", str(port)], cwd=root,
        env=env_for(env), stdout=dev.log, stderr=subprocess.STDOUT,
        start_new_session=True)
    with dev:
        dev.wait_for("/api/notes", lambda r: r.status == 200, "the app")
        deadline = time.monotonic() + harness.t(60)
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", vite)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise harness.TestFailure("Vite never listened:\n" +
                                      dev.output()[-2000:])
        os.environ["KILN_HMR_FILE"] = os.path.join(root, "frontend", "src",
                                                   "App.tsx")
        try:
            browsertest.scenario("dev_hmr.mjs", "http://127.0.0.1:%d" % vite,
                                 folder, timeout=120)
        finally:
            del os.environ["KILN_HMR_FILE"]
        check("[vite]" in dev.output(), "kiln dev ran Vite")
test_kiln_dev_hot_module_replacement.timeout = 300
