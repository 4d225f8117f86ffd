"""28. Page actions: a KILN_POST/PUT/PATCH/DELETE in pages/NAME.c that finds
errors re-renders pages/NAME.html with 422, the submitted values (form) and
a message per field (errors); an HTMX request gets the targeted block; a
valid post goes on (303). The same notes app is the browser test's.
"""

import os
import re
import subprocess
import sys
from urllib.parse import urlencode

import harness
from harness import check, eq, t
from kilncli import Dev, Project, env_for, get_when_up

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "browser"))
import notesapp  # noqa: E402 - the app, shared with the browser test
import pinapp  # noqa: E402 - docs/forms.md's list with a row toggle

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


def test_one_row_answered_by_its_block():
    with pinapp.project(Project()) as p:
        pinapp.add_notes(p, ["Buy milk", "Call Ann", "Fix bike"])
        with Dev(p) as d:
            r = d.wait_for("/notes", lambda r: r.status == 200, "the list")
            eq(r.text().count("<button>Pin</button>"), 3, r.text())
            # HTMX: the row alone, rendered with the note the action gave
            hx = FORM + [("HX-Request", "true"), ("HX-Target", "note-2")]
            r = post(d, "/notes/2/pin", [], headers=hx)
            eq(r.status, 200, r.text()[:500])
            eq(r.header("Content-Type"), "text/html; charset=utf-8", "HTML")
            row = r.text().strip()
            check(row.startswith('<li id="note-2" class="pinned">') and
                  row.endswith("</li>") and row.count("<li") == 1 and
                  "<span>Call Ann</span>" in row and
                  "<button>Unpin</button>" in row and
                  'hx-post="/notes/2/pin"' in row, "the row: " + row)
            check("Buy milk" not in row and "<h1>" not in row and
                  "<select" not in row, "nothing else: " + row)
            body = d.get("/notes").text()
            check('<li id="note-2" class="pinned">' in body and
                  '<li id="note-1">' in body and '<li id="note-3">' in body,
                  "stored, only note 2: " + body)
            # no JavaScript: the same action redirects to the list
            r = post(d, "/notes/2/pin", [])
            eq((r.status, r.header("Location"), r.text()), (303, "/notes", ""),
               "kiln_redirect")
            check('<li id="note-2">' in d.get("/notes").text(), "unpinned")
            r = post(d, "/notes/99/pin", [], headers=hx)
            eq(r.status, 404, r.text()[:300])
            # mistakes: a block or a page that is not there
            r = post(d, "/notes/1/oops", [])
            eq(r.status, 500, r.text()[:300])
            d.wait_output("notes.html has no block 'nope' "
                          "(kiln_page_render_block)")
            r = post(d, "/notes/1/oops", [], method="PUT")
            eq(r.status, 500, r.text()[:300])
            d.wait_output("kiln_page_render_block: no page 'nowhere.html'")
test_one_row_answered_by_its_block.timeout = 180


def test_one_row_in_a_release_build():
    """Compiled-in templates: the block of another page, found by name."""
    with pinapp.project(Project()) as p:
        pinapp.add_notes(p, ["Buy milk", "Call Ann"])
        rc, out, err = p.kiln("build")
        eq(rc, 0, "kiln build: " + err)
        port = harness.free_port()
        env = env_for({"KILN_APP_SECRET_KEY": "k" * 20 + "Q7x!" + "z" * 20})
        srv = subprocess.Popen([p.path("dist/app"), "--port", str(port),
                                "--workers", "1"], cwd=p.path(""), env=env,
                               stderr=subprocess.PIPE)
        try:
            check(get_when_up(port, "/notes") is not None, "the binary runs")
            c = harness.Conn(port, timeout=t(5))
            c.send(harness.build_request(
                "POST", "/notes/1/pin", headers=FORM + [
                    ("HX-Request", "true"), ("Content-Length", "0")]))
            r = c.read_response()
            eq(r.status, 200, r.text()[:300])
            row = r.text().strip()
            check(row.startswith('<li id="note-1" class="pinned">') and
                  row.count("<li") == 1 and "Unpin" in row, row)
            c.send(harness.build_request(
                "POST", "/notes/1/oops", headers=FORM + [
                    ("Content-Length", "0")]))
            r = c.read_response()
            eq(r.status, 500, r.text()[:300])
            check("nope" not in r.text(), "no details in production")
            c.close()
        finally:
            srv.terminate()
            _, err = srv.communicate(timeout=t(10))
        check(b"notes.html has no block 'nope'" in err, "logged: %r" % err)
test_one_row_in_a_release_build.timeout = 180


def selected(body):
    """The values of the selected options of the page's select."""
    return re.findall(r'<option value="(\d+)" selected>', body)


def test_multiselect_errors_and_choices_after_422():
    with pinapp.project(Project()) as p, Dev(p) as d:
        d.wait_for("/notes", lambda r: r.status == 200, "the list")
        # a bad item: its message shows on the field, the summary names it
        # as the form does, and the choices made come back selected
        r = post(d, "/notes", [("title", ""), ("tags", "1"), ("tags", "x"),
                               ("tags", "3")])
        eq(r.status, 422, r.text()[:500])
        body = r.text()
        eq(selected(body), ["1", "3"], "re-selected: " + body)
        m = re.search(r'</select>\s*<p class="error">([^<]+)</p>', body)
        check(m, "errors.tags from /tags/1: " + body)
        check(re.search(r"<li>tags\[1\]: %s</li>" % re.escape(m.group(1)),
                        body) and "<li>title: " in body,
              "errors.items() names tags[1]: " + body)
        # a tag that does not exist (note_check_refs): the same place
        r = post(d, "/notes", [("title", "Valid"), ("tags", "2"),
                               ("tags", "99")])
        eq(r.status, 422, r.text()[:500])
        body = r.text()
        eq(selected(body), ["2"], "re-selected: " + body)
        check(re.search(r'</select>\s*<p class="error">[^<]+</p>', body),
              "errors.tags for a missing tag: " + body)
        check('value="Valid"' in body, "the title kept: " + body)
        # a GET selects nothing; a valid post is saved with its tags
        eq(selected(d.get("/notes").text()), [], "nothing on a GET")
        r = post(d, "/notes", [("title", "Tagged"), ("tags", "1"),
                               ("tags", "3")])
        eq((r.status, r.header("Location")), (303, "/notes"), r.text())
        check("<span>Tagged</span>" in d.get("/notes").text(), "saved")
test_multiselect_errors_and_choices_after_422.timeout = 180
