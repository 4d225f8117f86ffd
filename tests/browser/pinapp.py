"""The notes app of docs/forms.md, "One row of a list", read from that
page so the test runs exactly what it shows: models (a note
with tags), a list page whose rows each have a pin toggle answered by
kiln_page_render_block (HTMX swaps that row alone; a plain form is
redirected with kiln_redirect), and a create form with a multi-select that
re-renders its choices and the errors of its items after a 422. Used by
tests/blackbox/test_page_actions.py and the browser tests."""

import os
import re
import sqlite3

from harness import TestFailure

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "docs", "forms.md")
SECTION = "### One row of a list"


def docs_files():
    """The files of the example in docs/forms.md's SECTION: each code block
    there starts with a comment naming its file (models/..., pages/...).
    Returns {path: text}."""
    with open(DOCS, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if SECTION not in lines:
        raise TestFailure("docs/forms.md has no section " + SECTION)
    files, block = {}, None
    for line in lines[lines.index(SECTION) + 1:]:
        if line.startswith("```"):
            if block is not None:  # the end of a block
                m = re.match(r"\S+ ((?:models|pages)/[^\s:]+)", block[0])
                if not m:
                    raise TestFailure("a code block names no file:\n" +
                                      "\n".join(block))
                files[m.group(1)] = "\n".join(block) + "\n"
                block = None
            else:
                block = []
        elif block is not None:
            block.append(line)
        elif line.startswith("#"):
            break  # the next heading
    want = {"models/note.toml", "models/tag.toml", "pages/notes.html",
            "pages/notes.c", "pages/notes/[id]/pin.c"}
    if set(files) != want:
        raise TestFailure("docs/forms.md's example has %s, not %s" % (
            sorted(files), sorted(want)))
    return files


# Not in the docs: the two mistakes kiln_page_render_block reports.
MISTAKES_C = r"""/* pages/notes/[id]/oops.c: POST renders a block that is not there,
   PUT a page that is not there. */
#include <kiln.h>

KILN_POST(no_block)
{
    return kiln_page_render_block(c, "notes.html#nope", kiln_value_null(),
                                  200);
}

KILN_PUT(no_page)
{
    return kiln_page_render_block(c, "nowhere.html#row", kiln_value_null(),
                                  200);
}
"""

TAGS = ["home", "work", "ideas"]


def project(p):
    """Writes the app into Project p, makes and applies its migration and
    adds the tags (ids 1, 2, 3: home, work, ideas); returns p."""
    for path, text in docs_files().items():
        p.write(path, text)
    p.write("pages/notes/[id]/oops.c", MISTAKES_C)
    for args in (("migrate", "--make"), ("migrate",)):
        rc, out, err = p.kiln(*args)
        if rc != 0:
            p.cleanup()
            raise TestFailure("kiln %s: %s %s" % (" ".join(args), out, err))
    db = sqlite3.connect(p.path("app.db"))
    with db:
        db.executemany("INSERT INTO tag (name) VALUES (?)",
                       [(t,) for t in TAGS])
    db.close()
    return p


def add_notes(p, titles):
    """Inserts notes straight into the database (ids from 1)."""
    db = sqlite3.connect(p.path("app.db"))
    with db:
        db.executemany("INSERT INTO note (title, pinned) VALUES (?, 0)",
                       [(t,) for t in titles])
    db.close()
