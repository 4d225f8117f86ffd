"""The front ends Kiln scaffolds, in Chromium (docs/frontend.md,
"Scaffolds"): the react template's page (list, create, a 422 under its
field) with an island in the same project (rendered by the SSR sidecar,
hydrated) and the htmx template's form (the 422 swapped in place), each
built by kiln build and served by its release binary; examples/board's
React front end under /app/ (log in, list, create a task, field errors);
and `kiln dev` with Vite: an edit to a component shows without a page
load.

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


def test_htmx_template_in_chromium():
    folder = browsertest.artefacts(test_htmx_template_in_chromium)
    root = built("htmx", "jot")
    with Served(root, "jot") as a:
        browsertest.scenario("scaffold_htmx.mjs",
                             "http://127.0.0.1:%d" % a.port, folder,
                             timeout=180)
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
                             "http://127.0.0.1:%d" % a.port, folder,
                             timeout=180)
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
    # (kiln dev sets APP_ORIGIN in Vite's environment: vite.config.ts)
    port, vite = harness.free_port(), harness.free_port()
    env = {"KILN_FRONTEND_DEV_SERVER": "http://127.0.0.1:%d" % vite}
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


COUNTER = """import { createElement as h, useState } from "react";

// An island: rendered by the SSR sidecar for the page, hydrated by
// src/islands.ts in the browser (one module for both, no JSX: Node loads
// it as it is).
export default function Counter({ start, label }) {
  const [n, setN] = useState(start);
  return h("div", { className: "counter" },
    h("span", { className: "label" }, label),
    h("button", { type: "button", onClick: () => setN(n + 1) },
      "count " + n));
}
"""

ISLANDS_ENTRY = """import { createRoot, hydrateRoot } from "react-dom/client";
import { mountIslands } from "./islands";
// @ts-expect-error: a plain ES module without types
import Counter from "../components/Counter.mjs";

(window as unknown as { kilnIslands: unknown }).kilnIslands = mountIslands(
  { Counter }, { createRoot, hydrateRoot });
"""

ISLANDS_VITE = """import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  base: "/static/dist/",
  build: {
    manifest: true,
    outDir: "../static/dist",
    emptyOutDir: true,
    rolldownOptions: {
      input: "src/islands-entry.ts",
      output: { hashCharacters: "hex" },
    },
  },
});
"""

ISLANDS_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Islands</title>
{{ vite_assets('src/islands-entry.ts') }}</head>
<body>
<h1>Islands</h1>
{{ island('Counter', {'start': 3, 'label': label}) }}
<p id="after">after the island</p>
</body>
</html>
"""

ISLANDS_LOADER = """#include <kiln.h>

KILN_LOAD(islands)
{
    return kiln_value_set(ctx, "label",
        kiln_value_cstr("</script><b>\\"double\\" & 'single'</b>"));
}
"""


def add_islands(root):
    """An islands page in the react template's project: island('Counter')
    rendered by the SSR sidecar, hydrated by a second Vite entry whose
    manifest vite_assets() reads."""
    fe = os.path.join(root, "frontend")
    files = {
        "frontend/components/Counter.mjs": COUNTER,
        "frontend/src/islands-entry.ts": ISLANDS_ENTRY,
        "frontend/vite.islands.config.ts": ISLANDS_VITE,
        "pages/islands.html": ISLANDS_PAGE,
        "pages/islands.c": ISLANDS_LOADER,
    }
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    # the loader, copied into the front end as docs/frontend.md says
    shutil.copy(os.path.join(SRC, "share", "islands", "islands.ts"),
                os.path.join(fe, "src", "islands.ts"))
    with open(os.path.join(root, "kiln.toml")) as f:
        toml = f.read()
    toml = toml.replace('[frontend]\n', '[frontend]\nmanifest = '
                        '"static/dist/.vite/manifest.json"\n')
    toml += '\n[ssr]\nenabled = true\ncomponents = "frontend/components"\n'
    with open(os.path.join(root, "kiln.toml"), "w") as f:
        f.write(toml)
    p = subprocess.run([os.path.join(fe, "node_modules", ".bin", "vite"),
                        "build", "--config", "vite.islands.config.ts"],
                       cwd=fe, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=harness.t(180))
    eq(p.returncode, 0, "vite build: " + p.stdout.decode())


def test_react_template_and_islands_in_chromium():
    """The react template's page (list, create, a 422 under its field),
    and in the same project (one build) an island: server-rendered markup
    without JavaScript, hydrated without warnings, counting on click,
    props with </script> and quotes intact."""
    folder = browsertest.artefacts(test_react_template_and_islands_in_chromium)
    root = new("react", "notes")
    npmcache.node_modules_for(os.path.join(root, "frontend"))
    add_islands(root)
    rc, out = kiln(root, "migrate")
    eq(rc, 0, "kiln migrate: " + out)
    rc, out = kiln(root, "build")
    eq(rc, 0, "kiln build: " + out)
    con = sqlite3.connect(os.path.join(root, "app.db"))
    con.execute("INSERT INTO note (title, done, created) VALUES "
                "('Seeded by the test', 0, '2026-12-01T10:00:00Z')")
    con.commit()
    con.close()
    with Served(root, "notes") as a:
        base = "http://127.0.0.1:%d" % a.port
        browsertest.scenario("scaffold_react.mjs", base, folder, timeout=180)
        browsertest.scenario("islands.mjs", base, folder, timeout=180)
test_react_template_and_islands_in_chromium.timeout = 600
