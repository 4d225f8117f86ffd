"""Helpers for tests/browser/test_*.py: a kiln project that loads htmx
from its static/ (copied from node_modules, never a CDN), an artefact
folder per test, and running a Node scenario against a served app."""

import os
import re
import subprocess
import tempfile

from harness import TestFailure, t

HERE = os.path.dirname(os.path.abspath(__file__))
HTMX = os.path.join(HERE, "node_modules", "htmx.org", "dist", "htmx.min.js")
SCRIPT = '<script src="/static/htmx.min.js" defer></script>'


def use_htmx(project):
    """Copies htmx into the project's static/ and loads it in the layout
    that `kiln new` wrote, as docs/forms.md tells an author to."""
    with open(HTMX, "rb") as f:
        data = f.read()
    os.makedirs(project.path("static"), exist_ok=True)
    with open(project.path("static/htmx.min.js"), "wb") as f:
        f.write(data)
    layout = project.read("pages/_layout.html")
    commented = re.compile(r"\{#\s*(<script src=\"/static/htmx\.min\.js\""
                           r"[^>]*></script>)\s*#\}")
    if not commented.search(layout):
        raise TestFailure("the scaffolded layout has no htmx line:\n" + layout)
    project.write("pages/_layout.html", commented.sub(r"\1", layout))


def artefacts(test_fn):
    """A folder kept after the test (screenshots); named on its ok line."""
    d = tempfile.mkdtemp(prefix="kiln-browser-")
    test_fn.artefacts = d
    return d


def scenario(name, base, folder, timeout=60):
    """Runs node NAME.mjs BASE FOLDER; returns its output, or raises with
    the scenario's error."""
    p = subprocess.run(["node", os.path.join(HERE, name), base, folder],
                       cwd=HERE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=t(timeout))
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        raise TestFailure("%s failed (screenshot in %s):\n%s%s" % (
            name, folder, out, p.stderr.decode("utf-8", "replace")[-3000:]))
    return out
