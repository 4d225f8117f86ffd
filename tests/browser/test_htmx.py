"""Browser tests of pages and HTMX in Chromium."""

import browsertest
import notesapp
import pinapp
from kilncli import Dev, Project

NAV_LAYOUT_BODY = """<body>
  <nav><a href="/">Home</a></nav>
  <main id="content">
{% block content %}{% endblock %}
  </main>
  <footer>the footer</footer>
</body>"""


def project():
    p = Project()
    browsertest.use_htmx(p)
    layout = p.read("pages/_layout.html")
    start, end = layout.index("<body>"), layout.index("</body>") + 7
    p.write("pages/_layout.html", layout[:start] + NAV_LAYOUT_BODY +
            layout[end:])
    p.write("pages/index.html", '<h1>Home</h1>\n<a id="to-about" '
            'href="/about" hx-get="/about" hx-target="#content">About</a>\n')
    p.write("pages/about.html", "<h1>About</h1>\n<p>Made with Kiln.</p>\n")
    return p


def test_htmx_partial_and_browser_error_page():
    folder = browsertest.artefacts(test_htmx_partial_and_browser_error_page)
    with project() as p, Dev(p) as d:
        d.wait_for("/", lambda r: r.status == 200, "the index page")
        browsertest.scenario("htmx_pages.mjs",
                             "http://127.0.0.1:%d" % d.port, folder)
test_htmx_partial_and_browser_error_page.timeout = 90


def test_htmx_page_action_422_swaps_in_place():
    folder = browsertest.artefacts(test_htmx_page_action_422_swaps_in_place)
    with notesapp.project(Project()) as p:
        browsertest.use_htmx(p)
        with Dev(p) as d:
            d.wait_for("/notes", lambda r: r.status == 200, "the notes page")
            browsertest.scenario("htmx_form.mjs",
                                 "http://127.0.0.1:%d" % d.port, folder)
test_htmx_page_action_422_swaps_in_place.timeout = 90


def test_htmx_row_swapped_by_its_block():
    folder = browsertest.artefacts(test_htmx_row_swapped_by_its_block)
    with pinapp.project(Project()) as p:
        pinapp.add_notes(p, ["Buy milk", "Call Ann", "Fix bike"])
        browsertest.use_htmx(p)
        with Dev(p) as d:
            d.wait_for("/notes", lambda r: r.status == 200, "the notes page")
            browsertest.scenario("htmx_row.mjs",
                                 "http://127.0.0.1:%d" % d.port, folder)
test_htmx_row_swapped_by_its_block.timeout = 90
