"""The admin (docs/admin.md) on examples/board, built, migrated and seeded
as the demo is: the staff gate, the dashboard, change lists (search,
filters, sorting, pages, the query count), the CSV export, add and change
forms with the model layer's errors, deletes with their cascade, view-only
users, CSRF and escaping. The seeded users: root (superuser, staff), ana
(admin role, staff), ben (editor, not staff); chen (viewer) is made staff
here to be a view-only admin user.
"""

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.parse
import uuid

import harness
from harness import check, eq
from kilncli import env_for, get_when_up
from test_board import HTML, Board, csrf_field

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
import pg_server  # noqa: E402

XSS = '<script>alert("x")</script>'


class AdminBoard(Board):
    """The board on SQLite, or on a database of its own in the PostgreSQL
    of KILN_TEST_DB_URL (tests/run.py's db-pg suite)."""

    def __init__(self):
        super().__init__()
        self.pg = os.environ.get("KILN_TEST_DB_URL")
        if self.pg:
            name = "admin_" + uuid.uuid4().hex[:12]
            pg_server.psql(self.pg, "CREATE DATABASE " + name)
            self.pg = self.pg.rsplit("/", 1)[0] + "/" + name
            self.env["KILN_DATABASE_URL"] = self.pg
            self.seeded = False

    def __enter__(self):
        if not self.pg:
            return super().__enter__()
        # Board.__enter__ with the seed loaded into PostgreSQL
        rc, out, err = self.kiln("migrate")
        eq(rc, 0, "migrate: " + out + err)
        with open(os.path.join(self.root, "seed.sql")) as f:
            pg_server.psql(self.pg, f.read())
        rc, out, err = self.kiln("build")
        eq(rc, 0, "build: " + out + err)
        self.tokens = {}
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "board"), "--port",
             str(self.port), "--root", self.root],
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/")
        check(r is not None and r.status == 401, "the board answers")
        self.sessions = {}
        return self

    def sql(self, q):
        """Runs q on the app's database; the first column of the first
        row as text (None when no row)."""
        if self.pg:
            out = pg_server.psql(self.pg, q).strip()
            return out.split("\n")[0].split("|")[0] if out else None
        con = sqlite3.connect(os.path.join(self.root, "app.db"))
        row = con.execute(q).fetchone()
        con.commit()
        con.close()
        return None if row is None else str(row[0])


def page(b, target, who="ana", **kw):
    st, html, r = b.call("GET", target, headers=HTML, who=who, **kw)
    return st, html, r


def post_form(b, target, fields, who="ana", csrf=True):
    """A form POST as a browser sends it: the csrf_token field of the
    page (not the header)."""
    st, html, _ = page(b, "/admin/", who=who)
    token = csrf_field(html) if csrf else None
    data = list(fields)
    if token:
        data.append(("csrf_token", token))
    return b.call("POST", target, urllib.parse.urlencode(data),
                  headers=dict(HTML, Origin="http://127.0.0.1:%d" % b.port),
                  who=who, csrf_header=False)


def test_admin_gate_and_permissions():
    with AdminBoard() as b:
        b.sql("UPDATE kiln_user SET staff = TRUE WHERE username = 'chen'")
        # anonymous: to the login page, coming back after
        st, _, r = b.call("GET", "/admin/task/?q=x", headers=HTML, who=None)
        eq(st, 303, "anonymous is sent to log in")
        eq(r.getheader("Location"), "/login?next=/admin/task/%3Fq%3Dx",
           "next names the page")
        # not staff: a 403 page
        st, html, _ = page(b, "/admin/", who="ben")
        eq(st, 403, "ben is not staff")
        check("Only staff users" in html and "<html" in html, html[:300])
        # staff (ana, admin role) and the superuser
        for who in ("ana", "root"):
            st, html, _ = page(b, "/admin/", who=who)
            eq(st, 200, who + ": " + html[:300])
            check('<body class="admin" data-admin-root="/admin">' in html, html)
            check('<meta name="csrf-token" content="' in html, "csrf meta")
            check('href="/admin/task/">Tasks</a>' in html, "task in the nav")
            check(re.search(r'Tasks</a></th>\s*<td class="count">6</td>',
                            html), "the count of tasks: " + html)
        # a view-only staff user: read-only pages, POSTs refused
        st, html, _ = page(b, "/admin/task/5/", who="chen")
        eq(st, 200, html[:300])
        check('name="_save"' not in html and 'class="readonly"' in html,
              "no save button, read-only values")
        check("Delete selected" not in page(b, "/admin/task/", who="chen")[1],
              "no delete action for a viewer")
        st, html, _ = post_form(b, "/admin/task/1/", [("title", "x")],
                                who="chen")
        eq(st, 403, "a viewer's direct POST: " + html[:200])
        st, _, _ = post_form(b, "/admin/task/action",
                             [("action", "delete"), ("_selected", "1"),
                              ("confirm", "yes")], who="chen")
        eq(st, 403, "a viewer's bulk delete")
        st, _, _ = post_form(b, "/admin/task/1/delete", [("confirm", "yes")],
                             who="chen")
        eq(st, 403, "a viewer's delete")
        st, _, _ = page(b, "/admin/task/add", who="chen")
        eq(st, 403, "a viewer cannot add")
        eq(b.sql("SELECT count(*) FROM task"), "6", "nothing deleted")
        # CSRF: a form without its token is refused
        st, _, _ = post_form(b, "/admin/task/1/", [("title", "x")], csrf=False)
        eq(st, 403, "no CSRF token")
        # a model that does not exist
        eq(page(b, "/admin/nope/")[0], 404, "no such model")


def test_admin_change_list():
    with AdminBoard() as b:
        st, html, r = page(b, "/admin/task/")
        eq(st, 200, html[:500])
        check('<table class="results">' in html, "the results table")
        check("6 tasks" in html, "the total count")
        check(html.count('name="_selected"') == 6, "a checkbox per row")
        # the related column in the page's one query
        check("Website relaunch" in html and "Mobile app" in html,
              "project.name shown")
        check(re.search(r'<td>(ana|ben|chen)</td>', html),
              "a foreign key column shows the user, not an id")
        # ... and sorts by it (its label, joined)
        for o, rev in (("project", False), ("-project", True)):
            st, html, _ = page(b, "/admin/task/?o=" + o)
            names = re.findall(r'<td>(Mobile app|Website relaunch)</td>', html)
            eq(len(names), 6, "every row's project: %r" % names)
            eq(names, sorted(names, reverse=rev), "sorted by project: " + o)
        check(re.search(r'aria-sort="descending"><a href="[^"]*o=project', html),
              "the project column's header sorts: " + html[:3000])
        eq(r.getheader("X-Admin-Queries"), "1",
           "one statement for the page and its count, whatever its rows")
        # htmx, compiled in (tests/run.py installs it before meson runs):
        # loaded by the layout; the list swaps its own region
        check(re.search(r'<script src="/admin/static/htmx\.min\.js\?v=[0-9a-f]+"'
                        r' defer></script>', html), "the layout loads htmx")
        check('<div class="change-list" id="changelist" hx-boost="true" '
              'hx-target="#changelist" hx-select="#changelist"' in html,
              "the list is boosted into itself")
        check('class="results-form" hx-boost="false"' in html,
              "the bulk action form posts a whole page")
        st, js, r = page(b, "/admin/static/htmx.min.js")
        eq(st, 200, "htmx served")
        check("htmx" in js[:4000] and len(js) > 20000, "htmx's script")
        check("javascript" in r.getheader("Content-Type"),
              r.getheader("Content-Type"))
        check("immutable" in r.getheader("Cache-Control"), "cached for good")
        # search
        st, html, _ = page(b, "/admin/task/?q=SAFARI")
        check("Fix the broken hero image on Safari" in html and
              "1 task" in html, "search ignores case")
        # a search without letters compares the column as it is (no
        # lower()): the same rows
        b.sql("UPDATE task SET title = 'Invoice 4711-B/%' WHERE id = 6")
        for term, found in (("4711-", True), ("711-b", True), ("/%", True),
                            ("4711_", False), ("47%11", False)):
            st, html, _ = page(b, "/admin/task/?q=" + urllib.parse.quote(term))
            eq(("Invoice 4711-B/%" in html, "1 task" in html), (found, found),
               "search %r" % term)
        # filters
        st, html, r = page(b, "/admin/task/?f.status=todo")
        check("3 tasks" in html, "status filter")
        eq(r.getheader("X-Admin-Queries"), "1",
           "a small filtered list: its page and count in one statement")
        st, html, _ = page(b, "/admin/task/?f.project=2")
        check("2 tasks" in html and "Mobile app</option>" in html,
              "FK filter shows its current value only")
        st, html, _ = page(b, "/admin/task/?f.due.gte=2026-12-01&f.due.lte=2026-12-31")
        check("3 tasks" in html, "a date range")
        st, html, _ = page(b, "/admin/task/?f.assignee.isnull=1")
        check("2 tasks" in html, "is empty")
        # the assignee, a ref to the user: a foreign-key filter
        st, html, _ = page(b, "/admin/task/?f.assignee=1")
        check("2 tasks" in html and re.search(
            r'<select id="f-assignee" name="f.assignee" '
            r'data-admin-autocomplete="/admin/user/autocomplete">'
            r'<option value="">All</option><option value="1" selected>', html),
            "the assignee filter picks a user: " + html)
        st, html, _ = page(b, "/admin/task/?y=2026&m=12")
        check("3 tasks" in html, "the date hierarchy")
        # sort
        st, html, _ = page(b, "/admin/task/?o=title")
        titles = re.findall(r'<th scope="row"><a href="/admin/task/\d+/">([^<]*)</a>', html)
        eq(titles, sorted(titles), "sorted by title")
        check('aria-sort="ascending"' in html, "aria-sort on the header")
        st, html, _ = page(b, "/admin/task/?o=-title")
        titles2 = re.findall(r'<th scope="row"><a href="/admin/task/\d+/">([^<]*)</a>', html)
        eq(titles2, sorted(titles, reverse=True), "descending")
        # pages
        st, html, _ = page(b, "/admin/task/?n=20&p=1")
        check('<nav class="pagination" aria-label="Pages">' in html, "pages")
        # the count-free mode past the threshold
        b.sql("INSERT INTO task (project_id, title, status, priority, created,"
              " updated) VALUES " + ", ".join(
                  "(1, 'bulk %03d', 'todo', 'low', '2026-12-01 00:00:00.000000"
                  "+00', '2026-12-01 00:00:00.000000+00')" % i
                  for i in range(60)))
        st, html, r = page(b, "/admin/task/?n=20&p=2")
        eq(r.getheader("X-Admin-Queries"), "1", "still one statement")
        check("66 tasks" in html and 'rel="next"' in html and
              'rel="prev"' in html, "page 2 of 4")
        # a filtered list's pages (one statement each while the rows fit
        # in the pages up to this one and one more): every todo task once
        eq(b.sql("SELECT count(*) FROM task WHERE status = 'todo'"), "63",
           "the todo tasks")
        seen = []
        for p in range(1, 5):
            st, html, r = page(b, "/admin/task/?f.status=todo&n=20&p=%d" % p)
            check("63 tasks" in html, "the count on page %d" % p)
            seen += re.findall(r'name="_selected" value="(\d+)"', html)
        eq(len(set(seen)), 63, "pages 1-4: 63 different rows")
        eq(b.sql("SELECT count(*) FROM task WHERE status = 'todo' AND id IN "
                 "(%s)" % ", ".join(seen)), "63", "each a todo task")
        eq(r.getheader("X-Admin-Queries"), "1", "the last page: one statement")
        st, html, r = page(b, "/admin/task/?f.status=todo&n=20&p=1")
        eq(r.getheader("X-Admin-Queries"), "2",
           "more rows than two pages: the window's try, then the page with "
           "its count")
        # past the last page: the last one, counted first
        st, html, r = page(b, "/admin/task/?f.status=todo&n=20&p=9")
        check("63 tasks" in html and 'aria-current="page">4<' in html,
              "p=9 shows page 4: %s" % re.findall(r'aria-current[^<]*<', html))
        eq(re.findall(r'name="_selected" value="(\d+)"', html), seen[60:],
           "the rows of page 4")
        st, html, r = page(b, "/admin/task/?q=no+such+title&n=20")
        check("0 tasks" in html and "_selected\" value" not in html,
              "nothing found")
        eq(r.getheader("X-Admin-Queries"), "1", "nothing found: one statement")


def test_admin_count_free():
    board = Board()
    with open(os.path.join(board.root, "kiln.toml"), "a") as f:
        f.write("\n[admin]\ncount_threshold = 3\n")
    with board as b:
        st, html, _ = page(b, "/admin/task/?n=20")
        eq(st, 200, html[:300])
        check("More than 3 tasks" in html, "no total past the threshold")
        check('rel="next"' not in html, "all six fit one page")
        st, html, _ = page(b, "/admin/comment/?n=20")
        check("3 comments" in html, "a small list is counted")
        st, html, _ = page(b, "/admin/task/?n=20&q=a")
        check("More than 3 tasks" in html, "filtered past the threshold")
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        n = con.execute("SELECT count(*) FROM task WHERE lower(title) LIKE "
                        "'%a%'").fetchone()[0]
        con.close()
        check(n > 3, "the search matches more than the threshold")
        eq(html.count('name="_selected"'), n, "every match on the page")
        st, html, _ = page(b, "/admin/task/?n=20&p=3")
        eq(st, 200, html[:300])
        check("More than 3 tasks" in html and 'rel="prev"' in html and
              'name="_selected"' not in html, "past the end: empty, a way back")


def test_admin_csv_export():
    with Board() as b:
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        con.execute("UPDATE task SET title = '=1+2' WHERE id = 6")
        con.commit()
        con.close()
        st, body, r = page(b, "/admin/task/export.csv?f.project=2")
        eq(st, 200, body[:300])
        check(r.getheader("Content-Type").startswith("text/csv"), "CSV")
        rows = list(csv.reader(io.StringIO(body)))
        eq(rows[0][:3], ["id", "project", "title"], "the header")
        check("project.name" in rows[0] and "overdue" in rows[0], rows[0])
        eq(len(rows), 3, "two tasks of project 2: %r" % rows)
        titles = [x[2] for x in rows[1:]]
        check("'=1+2" in titles, "a formula neutralised: %r" % titles)
        check("Mobile app" in rows[1], "the related column")


def test_admin_forms_and_delete():
    with Board() as b:
        st, html, _ = page(b, "/admin/task/add")
        eq(st, 200, html[:300])
        check('data-admin-autocomplete="/admin/project/autocomplete"' in html,
              "FK autocomplete")
        check('<abbr title="required">*</abbr>' in html, "required marks")
        check('<p class="help" id="title-help">What needs doing</p>' in html,
              "help text")
        check('<legend>Planning</legend>' in html, "fieldsets")
        check('type="date"' in html and 'data-admin-multi' in html, html)
        # errors beside the fields, the values kept
        st, html, _ = post_form(b, "/admin/task/add",
                                [("project", "99"), ("title", ""),
                                 ("due", "2026-02-30"), ("status", "todo"),
                                 ("priority", "normal")])
        eq(st, 422, html[:300])
        check('<p class="error" id="title-error">' in html, "title error")
        check('<p class="error" id="due-error">' in html, "date error")
        check('<p class="error" id="project-error">' in html, "no project 99")
        check('value="2026-02-30"' in html, "the value kept")
        # fixed: saved, then the change form (save and continue)
        st, _, r = post_form(b, "/admin/task/add",
                             [("project", "1"), ("title", XSS),
                              ("description", XSS), ("assignee", "2"),
                              ("due", "2026-12-24"), ("status", "todo"),
                              ("priority", "high"), ("tags", "1"),
                              ("tags", "2"), ("_continue", "1")])
        eq(st, 303, "saved")
        loc = r.getheader("Location")
        check(re.match(r"^/admin/task/\d+/$", loc), loc)
        tid = int(loc.split("/")[3])
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        eq(con.execute("SELECT title, priority, assignee_id FROM task "
                       "WHERE id = ?", (tid,)).fetchone(), (XSS, "high", 2),
           "stored")
        eq(con.execute("SELECT count(*) FROM task_tags WHERE task_id = ?",
                       (tid,)).fetchone()[0], 2, "tags linked")
        # escaped on the form and the list
        st, html, _ = page(b, loc)
        check(XSS not in html and "&lt;script&gt;" in html, "form escaped")
        st, html, _ = page(b, "/admin/task/?q=alert")
        check(XSS not in html and "&lt;script&gt;" in html, "list escaped")
        # edit
        st, _, r = post_form(b, loc, [("project", "2"), ("title", "Renamed"),
                                      ("status", "done"), ("due", ""),
                                      ("priority", "low")])
        eq(st, 303, "changed")
        eq(r.getheader("Location"), "/admin/task/", "save: to the list")
        eq(con.execute("SELECT title, status, project_id, due FROM task "
                       "WHERE id = ?", (tid,)).fetchone(),
           ("Renamed", "done", 2, None), "every field of the form written")
        eq(con.execute("SELECT count(*) FROM task_tags WHERE task_id = ?",
                       (tid,)).fetchone()[0], 0, "no tags sent: none")
        # the history: both writes, by ana, the payload escaped
        st, html, _ = page(b, loc + "history")
        eq(st, 200, html[:300])
        check('<table class="history">' in html, html)
        check(html.count("<tr>") == 3, "a header and two entries: " + html)
        check("added" in html and "changed" in html and "Ana" in html, html)
        check(XSS not in html and "&lt;script&gt;" in html, "history escaped")
        st, html, _ = page(b, "/admin/")
        check('<ul class="recent-actions">' in html and "Renamed" in html,
              "the dashboard's recent actions")
        # delete: the confirmation lists the cascade
        st, html, _ = page(b, "/admin/task/2/delete")
        eq(st, 200, html[:300])
        check("Write the landing page copy" in html, "the task")
        check(html.count("Comment: ") == 2, "its two comments: " + html)
        st, html, _ = post_form(b, "/admin/task/action",
                                [("action", "delete"), ("_selected", "2"),
                                 ("_selected", "4")])
        eq(st, 200, "bulk delete asks first")
        check('<ul class="cascade">' in html and html.count("Comment: ") == 3,
              "the three comments of tasks 2 and 4")
        eq(con.execute("SELECT count(*) FROM task").fetchone()[0], 7,
           "nothing deleted yet")
        st, _, r = post_form(b, "/admin/task/action",
                             [("action", "delete"), ("_selected", "2"),
                              ("_selected", "4"), ("confirm", "yes")])
        eq(st, 303, "deleted")
        eq(con.execute("SELECT count(*) FROM task").fetchone()[0], 5, "gone")
        eq(con.execute("SELECT count(*) FROM comment").fetchone()[0], 0,
           "their comments cascaded")
        eq(con.execute("SELECT count(*) FROM kiln_audit WHERE model = 'task'"
                       " AND action = 'delete' AND via = 'admin'").fetchone()[0],
           2, "an audit entry per deleted task, as a single delete")
        con.close()


def test_admin_json_endpoints():
    with Board() as b:
        st, body, _ = page(b, "/admin/project/autocomplete?q=mob")
        eq(st, 200, body)
        import json
        d = json.loads(body)
        eq(d, {"results": [{"id": 2, "label": "Mobile app"}], "more": False},
           body)
        st, body, _ = page(b, "/admin/search?q=safari")
        d = json.loads(body)
        eq(d["results"], [{"id": 3, "label": "Chen", "model": "comment",
                           "model_label": "Comments",
                           "url": "/admin/comment/3/"},
                          {"id": 4, "label": "Fix the broken hero image on "
                           "Safari", "model": "task", "model_label": "Tasks",
                           "url": "/admin/task/4/"}], body)
        st, body, _ = page(b, "/admin/project/autocomplete?q=x", who="ben")
        eq(st, 403, "not staff")
        # the app's action (examples/board/api/_hooks/task_admin.c)
        st, html, _ = page(b, "/admin/task/")
        check('<option value="mark_done">Mark as done</option>' in html,
              "the action in the menu")
        st, _, r = post_form(b, "/admin/task/action",
                             [("action", "mark_done"), ("_selected", "3"),
                              ("_selected", "6")])
        eq(st, 303, "done")
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        eq(con.execute("SELECT id FROM task WHERE status = 'done' ORDER BY id"
                       ).fetchall(), [(1,), (3,), (6,)], "marked done")
        con.close()
        st, _, _ = post_form(b, "/admin/task/action",
                             [("action", "nope"), ("_selected", "3")])
        eq(st, 400, "an unknown action")


def test_admin_inline_children():
    with Board() as b:
        st, html, _ = page(b, "/admin/task/2/")
        eq(st, 200, html[:300])
        check('<fieldset class="inline" data-admin-inline="comment">' in html,
              "the comments inline")
        check('name="comment-TOTAL" value="2"' in html, "two comments")
        check(html.count('<tr class="inline-row">') == 3,
              "two rows and the empty template row")
        check('name="comment-__prefix__-body"' in html, "the empty row")
        ids = re.findall(r'name="comment-(\d)-id" value="(\d+)"', html)
        eq(len(ids), 2, html)
        base = [("project", "1"), ("title", "Write the landing page copy"),
                ("status", "doing"), ("priority", "high"), ("due", ""),
                ("_continue", "1"), ("comment-TOTAL", "3"),
                ("comment-0-id", ids[0][1]), ("comment-0-author", "Ana"),
                ("comment-1-id", ids[1][1]), ("comment-1-author", "Ben"),
                ("comment-1-body", "kept"), ("comment-1-DELETE", "on"),
                ("comment-2-author", "Chen")]
        # a child's error: shown beside it, nothing written
        st, html, _ = post_form(b, "/admin/task/2/", base + [
            ("comment-0-body", ""), ("comment-2-body", "new one")])
        eq(st, 422, html[:500])
        check('<p class="error" id="comment-0-body-error">' in html, html)
        con = sqlite3.connect(os.path.join(b.root, "app.db"))
        eq(con.execute("SELECT count(*) FROM comment WHERE task_id = 2")
           .fetchone()[0], 2, "nothing written")
        # fixed: one changed, one deleted, one added, in one save
        st, _, r = post_form(b, "/admin/task/2/", base + [
            ("comment-0-body", "edited " + XSS),
            ("comment-2-body", "new one")])
        eq(st, 303, "saved")
        rows = con.execute("SELECT author, body FROM comment WHERE task_id = 2"
                           " ORDER BY id").fetchall()
        eq(rows, [("Ana", "edited " + XSS), ("Chen", "new one")], rows)
        st, html, _ = page(b, "/admin/task/2/")
        check(XSS not in html and "edited &lt;script&gt;" in html,
              "inline values escaped")
        con.close()


# each test builds and starts the board (kiln build: most of the time)
for _t in (test_admin_gate_and_permissions, test_admin_change_list,
           test_admin_count_free, test_admin_csv_export,
           test_admin_forms_and_delete, test_admin_json_endpoints,
           test_admin_inline_children):
    _t.timeout = 180


def test_admin_changes_reach_the_boards_live():
    """A task added or deleted in the admin runs the same hooks as the API
    (examples/board/api/_hooks/task.c): the open boards of its project hear
    of it at once, as they do of the pages' and the API's changes."""
    from test_board import SseStream
    with Board() as b:
        one = SseStream(b.port, "/api/projects/1/events",
                        headers=b.bearer("ana"))
        try:
            st, _, r = post_form(b, "/admin/task/add",
                                 [("project", "1"), ("title", "From the admin"),
                                  ("status", "todo"), ("priority", "low")])
            eq(st, 303, "saved")
            one.wait(lambda x: len(x.events) >= 1, what="the admin's add")
            added = json.loads(one.events[0][1])
            eq(added["change"], "added", "added: %r" % (one.events,))
            st, _, _ = post_form(b, "/admin/task/action",
                                 [("action", "delete"),
                                  ("_selected", str(added["task"])),
                                  ("confirm", "yes")])
            eq(st, 303, "deleted")
            one.wait(lambda x: len(x.events) >= 2, what="the admin's delete")
            eq(json.loads(one.events[1][1]),
               {"task": added["task"], "change": "deleted"}, "deleted")
        finally:
            one.close()
