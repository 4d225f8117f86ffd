"""An inline row's many-to-many field in a real browser: the app of
tests/blackbox/test_admin_inline_m2m.py (a shelf with its books inline,
each book with genres), one book with one genre; admin_inline_tags.mjs then
adds a genre to that row through the tag widget, adds a row with "Add
another" and picks its genre, saves, and removes a tag."""

import browsertest
from harness import eq
from test_admin_inline_m2m import App


def test_admin_inline_tags_in_chromium():
    folder = browsertest.artefacts(test_admin_inline_tags_in_chromium)
    with App() as app:
        for name in ("Fantasy", "Science fiction", "Poetry"):
            st, html, _ = app.post("/admin/genre/add", [("name", name)])
            eq(st, 303, "genre: " + html[:300])
        st, html, _ = app.post("/admin/shelf/add", [("name", "Attic")])
        eq(st, 303, "shelf: " + html[:300])
        st, html, _ = app.post("/admin/shelf/1/", [
            ("name", "Attic"), ("book-TOTAL", "1"), ("book-0-title", "Dune"),
            ("book-0-genres", "1"), ("_save", "1")])
        eq(st, 303, "the first book: " + html[:300])
        browsertest.scenario("admin_inline_tags.mjs",
                             "http://127.0.0.1:%d" % app.port, folder,
                             timeout=180)
test_admin_inline_tags_in_chromium.timeout = 420
