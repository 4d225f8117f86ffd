"""28. Page actions: a KILN_POST/PUT/PATCH/DELETE in pages/NAME.c that finds
errors re-renders pages/NAME.html with 422, the submitted values (form) and
a message per field (errors); an HTMX request gets the targeted block; a
valid post goes on (303). The same notes app is the browser test's.
"""

import os
import re
import sys
from urllib.parse import urlencode

from harness import check, eq
from kilncli import Dev, Project

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "browser"))
import notesapp  # noqa: E402 - the app, shared with the browser test

FORM = [("Content-Type", "application/x-www-form-urlencoded")]
HTMX = FORM + [("HX-Request", "true"), ("HX-Target", "notes")]


def post(d, target, fields, headers=FORM, method="POST"):
    return d.request(method, target, headers=headers,
                     body=urlencode(fields).encode())


def section(html):
    m = re.search(r'<section id="notes">.*?</section>', html, re.S)
    check(m, "the notes section: " + html[:600])
    return m.group(0)


def test_invalid_post_rerenders_page_with_422():
    with notesapp.project(Project()) as p, Dev(p) as d:
        r = d.wait_for("/notes", lambda r: r.status == 200, "the notes page")
        body = r.text()
        # a GET in development (strict undefined): form and errors are
        # there, empty
        check('<input id="title" name="title" value="">' in body, body)
        check('class="error"' not in body and "summary" not in body, body)
        # nothing sent: 422, the whole page in its layout, the loader's list
        r = post(d, "/notes", [("title", "")])
        eq(r.status, 422, "an invalid post: " + r.text()[:500])
        eq(r.header("Content-Type"), "text/html; charset=utf-8", "HTML")
        body = r.text()
        check(body.lstrip().lower().startswith("<!doctype html>") and
              "<h1>Notes</h1>" in body, "the page in its layout: " + body)
        check('<p class="error" id="title-error">Write a title.</p>' in body,
              "the field's message: " + body)
        check('aria-invalid="true"' in body, body)
        check("No notes yet." in body, "the loader ran: " + body)
        check(r.header("Location") is None, "no redirect")
        # the submitted values come back, escaped; every field's error
        long = "<b>" + "x" * 90
        r = post(d, "/notes", [("title", long),
                               ("author.email", "ann at example")])
        eq(r.status, 422, r.text()[:300])
        body = r.text()
        check('value="&lt;b&gt;%s"' % ("x" * 90) in body,
              "the value, escaped: " + body)
        check("At most 80 characters, not 93." in body, body)
        check('value="ann at example"' in body, "the nested field's value")
        check('<p class="error">Not an email address.</p>' in body,
              "errors['author.email'] from /author/email: " + body)
        check('<li>title: At most 80 characters, not 93.</li>' in body and
              "<li>author.email: Not an email address.</li>" in body,
              "errors.items() for a summary: " + body)
        # a valid post goes on (303) and the page shows it
        r = post(d, "/notes", [("title", "First <note>")])
        eq((r.status, r.header("Location")), (303, "/notes"), r.text())
        r = d.get("/notes")
        check("<li>First &lt;note&gt;</li>" in r.text(), r.text())
        check("No notes yet." not in r.text(), "the list")
test_invalid_post_rerenders_page_with_422.timeout = 120


def test_htmx_gets_the_block_and_other_methods():
    with notesapp.project(Project()) as p, Dev(p) as d:
        d.wait_for("/notes", lambda r: r.status == 200, "the notes page")
        # HTMX: only the targeted block, with the errors and the value
        r = post(d, "/notes", [("title", "")], headers=HTMX)
        eq(r.status, 422, r.text()[:300])
        body = r.text()
        check(body.startswith('<section id="notes">') and
              "<html" not in body and "<h1>" not in body,
              "the block alone: " + body)
        check("Write a title." in body, body)
        check("HX-Request" in (r.header("Vary") or ""), "Vary: HX-Request")
        # multipart is read the same way
        bnd = "kilnboundary7"
        mp = ("--%s\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
              "%s\r\n--%s--\r\n" % (bnd, "y" * 81, bnd)).encode()
        r = d.request("POST", "/notes", headers=[
            ("Content-Type", "multipart/form-data; boundary=" + bnd)],
            body=mp)
        eq(r.status, 422, r.text()[:300])
        check('value="%s"' % ("y" * 81) in r.text(), "multipart value")
        # a valid HTMX post: the 303 is followed with the HTMX headers, and
        # the block comes back with the note in it
        r = post(d, "/notes", [("title", "Second")], headers=HTMX)
        eq(r.status, 303, r.text())
        r = d.get("/notes", headers=HTMX[1:])
        check(section(r.text()) == r.text().strip() and "<li>Second</li>" in r.text(),
              r.text())
        # PATCH and DELETE on pages/notes/[id].c; kiln_page_render with the
        # action's own values and status
        r = post(d, "/notes/1", [("title", "")], method="PATCH")
        eq(r.status, 422, r.text()[:300])
        check("Write a title." in r.text() and "<h1>Note 1</h1>" in
              r.text(), "the note's page again: " + r.text())
        r = post(d, "/notes/1", [("title", "Renamed")], method="PATCH")
        eq(r.status, 303, r.text())
        check("<h1>Note 1</h1>" in d.get("/notes/1").text() and
              'value="Renamed"' in d.get("/notes/1").text(), "renamed")
        r = d.request("DELETE", "/notes/1", headers=FORM)
        eq(r.status, 409, r.text()[:300])
        body = r.text()
        check('<p class="notice">Delete the last note? Not here.</p>' in body
              and 'value="Renamed"' in body,
              "extra values over the loader's, form from the loader: " +
              body)
        # an action whose path has no page: logged, 500
        r = post(d, "/orphan", [("x", "1")])
        eq(r.status, 500, r.text())
        d.wait_output("the action has no page to render")
test_htmx_gets_the_block_and_other_methods.timeout = 120
