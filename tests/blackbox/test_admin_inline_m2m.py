"""Many-to-many fields of inline child rows in the admin (docs/admin.md,
"Inlines"), on tests/blackbox/apps/inlinem2m: a shelf whose books are
edited on its change form, each book with `genres = "many:genre"`.

An inline row shows its links as the main form does (a multiple select
for the tag widget, holding the current values), and saving the parent
adds, changes and removes them; a bad id is an error beside the row's
field, and nothing of the whole form is written; each write's audit entry
records the links as sorted sets. Every write goes through the admin's
forms, as a browser sends them; the log is read with `kiln audit --json`.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps",
                   "inlinem2m")
PW = "tr0ub4dor&3-stapler"
HTML = {"Accept": "text/html"}


class App:
    """The app in a temporary copy: migrations made and applied, a
    superuser, built and running; a logged-in session."""

    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-inline-m2m-")
        self.root = os.path.join(self.parent, "shelves")
        shutil.copytree(APP, self.root)
        self.env = {
            "KILN_APP_SECRET_KEY": "i" * 20 + "-inline-m2m-test-key-0123",
            "KILN_AUTH_HASH_OPSLIMIT": "1",
            "KILN_AUTH_HASH_MEMLIMIT": "16MiB",
        }
        self.proc = None

    def kiln(self, *args, input=None):
        p = subprocess.run([kiln_bin()] + list(args), cwd=self.root,
                           env=env_for(self.env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(180),
                           input=input.encode() if input else None)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def __enter__(self):
        for cmd in (["migrate", "--make"], ["migrate"], ["build"]):
            rc, out, err = self.kiln(*cmd)
            eq(rc, 0, "kiln %s: %s%s" % (" ".join(cmd), out, err))
        rc, out, err = self.kiln("user", "create", "--superuser", "alice",
                                 input=PW + "\n")
        eq(rc, 0, "kiln user create: " + out + err)
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "shelves"), "--port",
             str(self.port), "--root", self.root],
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/admin/")
        check(r is not None, "the app answers")
        # a session: its cookies and CSRF token
        st, body, r = self.request("POST", "/api/auth/login", json.dumps(
            {"login": "alice", "password": PW}),
            {"Content-Type": "application/json"})
        eq(st, 200, "login: " + body)
        jar = {}
        for v in r.msg.get_all("Set-Cookie") or []:
            name, _, rest = v.partition("=")
            jar[name.strip()] = rest.split(";")[0]
        self.cookie = "; ".join("%s=%s" % kv for kv in jar.items())
        self.csrf = jar["kiln_csrf"]
        return self

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=t(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.log.close()
        shutil.rmtree(self.parent, ignore_errors=True)
        return False

    def request(self, method, target, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=t(10))
        c.request(method, target, body=body, headers=headers or {})
        r = c.getresponse()
        raw = r.read().decode("utf-8", "replace")
        c.close()
        return r.status, raw, r

    def page(self, target):
        st, html, _ = self.request("GET", target,
                                   headers=dict(HTML, Cookie=self.cookie))
        eq(st, 200, "GET %s: %s" % (target, html[:300]))
        return html

    def post(self, target, fields):
        """A form POST as a browser sends it: (status, html, Location)."""
        data = list(fields) + [("csrf_token", self.csrf)]
        st, html, r = self.request(
            "POST", target, urllib.parse.urlencode(data),
            dict(HTML, Cookie=self.cookie,
                 Origin="http://127.0.0.1:%d" % self.port,
                 **{"Content-Type": "application/x-www-form-urlencoded"}))
        return st, html, r.getheader("Location")

    def entries(self, model):
        """The audit log of model, newest first."""
        rc, out, err = self.kiln("audit", "--json", "--model", model)
        eq(rc, 0, "kiln audit: " + err)
        return [json.loads(line) for line in out.splitlines() if line]


def genres_select(html, prefix):
    """The inline row's genres select: (its opening tag, [(value, label)]
    of its options), or None."""
    m = re.search(r'(<select multiple id="id_%s-genres"[^>]*>)(.*?)</select>'
                  % re.escape(prefix), html, re.S)
    if not m:
        return None
    opts = re.findall(r'<option value="(\d+)" selected>([^<]*)</option>',
                      m.group(2))
    return m.group(1), opts


def test_admin_inline_many_to_many():
    with App() as app:
        for name in ("Fantasy", "Science fiction", "Poetry"):
            st, html, loc = app.post("/admin/genre/add", [("name", name)])
            eq(st, 303, "genre added: " + html[:300])
        st, html, loc = app.post("/admin/shelf/add", [("name", "Attic")])
        eq(st, 303, "shelf added: " + html[:300])

        # the empty row the script copies carries the tag widget
        html = app.page("/admin/shelf/1/")
        check('<fieldset class="inline" data-admin-inline="book">' in html,
              "the books inline: " + html)
        check('<th scope="col">Genres</th>' in html, "a Genres column")
        check('<select multiple id="id_book-__prefix__-genres" '
              'name="book-__prefix__-genres" '
              'data-admin-autocomplete="/admin/genre/autocomplete" '
              'data-admin-multi></select>' in html,
              "the empty row's genres widget: " + html)

        # added: a new row with two genres, sent in any order
        st, html, loc = app.post("/admin/shelf/1/", [
            ("name", "Attic"), ("book-TOTAL", "1"),
            ("book-0-title", "Dune"), ("book-0-genres", "2"),
            ("book-0-genres", "1"), ("_continue", "1")])
        eq((st, loc), (303, "/admin/shelf/1/"), "saved: " + html[:500])
        html = app.page("/admin/shelf/1/")
        check('<input type="hidden" name="book-0-id" value="1">' in html,
              "the book is a row: " + html)
        sel = genres_select(html, "book-0")
        check(sel is not None, "the row's genres select: " + html)
        check('name="book-0-genres"' in sel[0] and
              'data-admin-autocomplete="/admin/genre/autocomplete"' in sel[0]
              and "data-admin-multi" in sel[0], sel[0])
        eq(sel[1], [("1", "Fantasy"), ("2", "Science fiction")],
           "shown with its current values and their labels")
        e = app.entries("book")
        eq(len(e), 1, "one entry: %r" % e)
        eq((e[0]["action"], e[0]["object_id"], e[0]["via"]),
           ("add", 1, "admin"), "the add's entry")
        eq(e[0]["changes"]["genres"], [1, 2], "the links, a sorted set")

        # changed: 1,2 -> 3,2 (and the title); a row left alone is not
        st, html, loc = app.post("/admin/shelf/1/", [
            ("name", "Attic"), ("book-TOTAL", "2"),
            ("book-0-id", "1"), ("book-0-title", "Dune Messiah"),
            ("book-0-genres", "3"), ("book-0-genres", "2"),
            ("book-1-title", "Odes"), ("book-1-genres", "3"),
            ("_continue", "1")])
        eq((st, loc), (303, "/admin/shelf/1/"), "saved: " + html[:500])
        html = app.page("/admin/shelf/1/")
        eq(genres_select(html, "book-0")[1],
           [("2", "Science fiction"), ("3", "Poetry")], "changed")
        eq(genres_select(html, "book-1")[1], [("3", "Poetry")],
           "a second row, added beside it")
        e = app.entries("book")
        eq(len(e), 3, "an entry for the change and one for the add: %r" % e)
        ch = [x for x in e if x["action"] == "change"][0]
        eq(ch["changes"], {"title": ["Dune", "Dune Messiah"],
                           "genres": [[1, 2], [2, 3]]},
           "only what changed; the links as sorted sets, old and new")

        # a bad id: the error beside the row's field, nothing written (not
        # the shelf's new name, not the other row, not the good ids)
        st, html, loc = app.post("/admin/shelf/1/", [
            ("name", "Cellar"), ("book-TOTAL", "3"),
            ("book-0-id", "1"), ("book-0-title", "Dune Messiah"),
            ("book-0-genres", "1"), ("book-0-genres", "99"),
            ("book-1-id", "2"), ("book-1-title", "Odes"),
            ("book-2-title", "New"), ("book-2-genres", "abc"),
            ("_save", "1")])
        eq(st, 422, "a bad id refuses the form: " + html[:300])
        check('<p class="errornote" role="alert">' in html, "the error note")
        m = re.search(r'<td class="has-error">((?:(?!</td>).)*'
                      r'id="id_book-0-genres"(?:(?!</td>).)*)</td>', html, re.S)
        check(m is not None, "book-0's genres cell marked: " + html)
        cell = m.group(1)
        check('aria-describedby="book-0-genres-error" aria-invalid="true"'
              in cell, "the select says where its error is: " + cell)
        check(re.search(r'<p class="error" id="book-0-genres-error">'
                        r'[^<]*99[^<]*</p>', cell), "the message: " + cell)
        eq(genres_select(html, "book-0")[1], [("1", "Fantasy")],
           "the sent ids that exist, kept on the page")
        check(re.search(r'<p class="error" id="book-2-genres-error">', html),
              "a new row's id that is not a number: " + html)
        check('id="book-1-genres-error"' not in html, "no error for row 1")
        html = app.page("/admin/shelf/1/")
        check('value="Attic"' in html and "Cellar" not in html,
              "the shelf kept its name")
        eq(genres_select(html, "book-0")[1],
           [("2", "Science fiction"), ("3", "Poetry")], "links unchanged")
        eq(genres_select(html, "book-1")[1], [("3", "Poetry")],
           "the other row unchanged")
        check("book-2-id" not in html, "the new row not added")
        eq(len(app.entries("book")), 3, "no entry for a write not made")

        # removed: a row whose select sends nothing has no links
        st, html, loc = app.post("/admin/shelf/1/", [
            ("name", "Attic"), ("book-TOTAL", "2"),
            ("book-0-id", "1"), ("book-0-title", "Dune Messiah"),
            ("book-1-id", "2"), ("book-1-title", "Odes"),
            ("book-1-genres", "3"), ("_continue", "1")])
        eq((st, loc), (303, "/admin/shelf/1/"), "saved: " + html[:500])
        html = app.page("/admin/shelf/1/")
        eq(genres_select(html, "book-0")[1], [], "every link removed")
        eq(genres_select(html, "book-1")[1], [("3", "Poetry")], "kept")
        e = app.entries("book")
        eq(len(e), 4, "one more entry, for the row that changed: %r" % e)
        eq((e[0]["action"], e[0]["object_id"], e[0]["changes"]),
           ("change", 1, {"genres": [[2, 3], []]}), "the removal's entry")

        # the history page of the child shows the same entries
        html = app.page("/admin/book/1/history")
        check("Dune Messiah" in html, html[:500])


test_admin_inline_many_to_many.timeout = 240
