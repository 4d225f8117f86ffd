"""29. examples/board, the app `make demo` runs: built, migrated and seeded
as the demo does, then its pages, forms, HTMX moves and API over HTTP, and
its live updates (the event stream each board page listens to). Its pages
need a login (the seeded users, password kiln-board-demo) and show a user
only the projects it is a member of.
"""

import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin
from pubsubclient import SseStream
from wsclient import OP_TEXT, WsConn

BOARD = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples", "board")
# frontend/: the React side has its own test (tests/browser/test_scaffold.py);
# without it the board serves no SPA (KILN_FRONTEND_SPA below) and kiln
# build runs no npm
SKIP = ("node_modules", ".kiln", "dist", "app.db", "app.db-wal", "app.db-shm",
        "frontend")


class Board:
    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-board-")
        self.root = os.path.join(self.parent, "board")
        shutil.copytree(BOARD, self.root,
                        ignore=shutil.ignore_patterns(*SKIP))
        self.env = {"KILN_APP_SECRET_KEY": "b" * 20 + "-board-test-key-0123456789",
                    "KILN_FRONTEND_SPA": ""}
        self.proc = None

    def kiln(self, *args):
        p = subprocess.run([kiln_bin()] + list(args), cwd=self.root,
                           env=env_for(self.env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(180))
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def __enter__(self):
        rc, out, err = self.kiln("migrate")
        eq(rc, 0, "migrate: " + err)
        con = sqlite3.connect(os.path.join(self.root, "app.db"))
        with open(os.path.join(self.root, "seed.sql")) as f:
            con.executescript(f.read())
        con.close()
        rc, out, err = self.kiln("migrate", "--check")
        eq(rc, 0, "the models and migrations agree: " + out + err)
        rc, out, err = self.kiln("build")
        eq(rc, 0, "build: " + out + err)
        check("warning:" not in out + err,
              "the example newcomers read builds without a compiler warning: "
              + out + err)
        # API tokens of seeded users (seed.sql): ana the admin, ben an editor,
        # chen a viewer
        self.tokens = {}
        for who in ("ana", "ben", "chen"):
            rc, out, err = self.kiln("token", "create", who)
            eq(rc, 0, "token create: " + err)
            self.tokens[who] = out.strip().split()[-1]
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "board"), "--port",
             str(self.port), "--root", self.root],
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/")
        check(r is not None and r.status == 401,
              "the board answers, and its pages need a login")
        self.sessions = {}
        return self

    def login(self, who):
        """The session of the seeded user who, logged in through
        POST /api/auth/login: (its Cookie header, its CSRF token)."""
        if who not in self.sessions:
            c = http.client.HTTPConnection("127.0.0.1", self.port,
                                           timeout=t(10))
            c.request("POST", "/api/auth/login", body=json.dumps(
                {"login": who, "password": "kiln-board-demo"}), headers=JSON)
            r = c.getresponse()
            body = r.read().decode()
            eq(r.status, 200, "login as %s: %s" % (who, body))
            jar = cookies_of(r)
            c.close()
            self.sessions[who] = ("; ".join("%s=%s" % kv for kv in jar.items()),
                                  jar["kiln_csrf"])
        return self.sessions[who]

    def bearer(self, who):
        """An Authorization header list of the seeded user who's token."""
        return [("Authorization", "Bearer " + self.tokens[who])]

    def call(self, method, target, body=None, headers=None, who="ana",
             csrf_header=True):
        """One request as the seeded user who (None: anonymous): the API's
        with its bearer token, a page's with its session cookie (and, for
        an unsafe method, its CSRF token in X-CSRF-Token unless
        csrf_header is false)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=t(10))
        h = dict(headers or {})
        if who and target.startswith("/api/"):
            h["Authorization"] = "Bearer " + self.tokens[who]
        elif who:
            cookie, token = self.login(who)
            h["Cookie"] = cookie
            if csrf_header and method not in ("GET", "HEAD"):
                h["X-CSRF-Token"] = token
        if body is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, target, body=body, headers=h)
        r = c.getresponse()
        raw = r.read().decode("utf-8", "replace")
        out = (r.status, raw, r)
        c.close()
        return out

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=t(10))
            self.log.close()
        shutil.rmtree(self.parent, ignore_errors=True)
        return False


HX = {"HX-Request": "true"}
JSON = {"Content-Type": "application/json"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def cookies_of(r):
    """The cookies a response sets: {name: value}."""
    jar = {}
    for v in r.msg.get_all("Set-Cookie") or []:
        name, _, rest = v.partition("=")
        jar[name.strip()] = rest.split(";")[0]
    return jar


def csrf_field(html):
    """The value of the page's first csrf_token form field."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    check(m is not None, "a form with csrf_input(): " + html[:300])
    return m.group(1)


def test_board_pages_forms_and_api():
    with Board() as b:
        st, html, _ = b.call("GET", "/")
        check("Website relaunch" in html and "3 open" in html, html)
        st, html, _ = b.call("GET", "/projects/1")
        eq(st, 200, "the board")
        check('<h2>To do <span class="count">2</span></h2>' in html, html)
        check('<span class="tag">bug</span>' in html, "tags by name")
        check(re.search(r'Pick the colour palette</a>\s*<p class="meta">'
                        r'[^<]*· Ana', html), "the assignee by name: " + html)
        check('<option value="2">Ben</option>' in html,
              "the new-task form picks a user: " + html)
        # an HTMX move: the board block only, task 3 now in Doing
        st, html, _ = b.call("PATCH", "/projects/1", "task=3&status=doing",
                             dict(HX, **{"HX-Target": "board"}))
        eq(st, 200, html)
        check(html.lstrip().startswith('<div id="board"') and
              "<html" not in html, "just the block: " + html[:200])
        check('<h2>Doing <span class="count">2</span></h2>' in html, html)
        st, body, _ = b.call("PATCH", "/projects/1", "task=3&status=later")
        eq(st, 422, body)
        eq(json.loads(body)["errors"][0]["code"], "choice", body)
        st, _, _ = b.call("PATCH", "/projects/1", "task=5&status=done")
        eq(st, 404, "a task of another board")
        # the new-task form: every error at once, the values kept
        st, html, _ = b.call("POST", "/projects/1",
                             "project=1&title=&due=2026-02-30&estimate=-1"
                             "&assignee=99", {"Accept": "text/html"})
        eq(st, 422, html)
        check("may not be blank" in html and "not a date" in html and
              'value="2026-02-30"' in html, html)
        check(re.search(r'<p class="error">there is no [^<]* 99</p>', html),
              "no user 99: " + html)
        check('<option value="3">Chen</option>' in html,
              "the form again, with its users to pick from")
        st, _, r = b.call("POST", "/projects/1",
                          "project=2&title=Ship+it&due=2026-12-24&priority=high"
                          "&assignee=2")
        eq((st, r.getheader("Location")), (303, "/projects/1"),
           "saved on this board whatever the form said")
        st, body, _ = b.call("GET", "/api/tasks?search=Ship&expand=assignee")
        got = json.loads(body)["items"]
        eq([(x["title"], x["assignee"]["username"]) for x in got],
           [("Ship it", "ben")], "assigned to ben: " + body)
        st, _, r = b.call("POST", "/", "name=Website+relaunch", HX)
        eq(st, 422, "a taken project name")
        st, _, r = b.call("POST", "/", "name=Internal+tools", HX)
        eq((st, r.getheader("HX-Redirect")), (204, "/projects/3"),
           "an HTMX form is redirected by HX-Redirect")
        # a task, its comments, a comment, delete
        st, html, _ = b.call("GET", "/tasks/2")
        check('<span class="tag">copy</span>' in html, "the task's tags")
        check("<dt>Assignee</dt><dd>Ben</dd>" in html, "its assignee")
        check("Thursday 10 December 2026" in html and
              "Agreed, draft two" in html, html)
        check("<dt>Assignee</dt><dd>nobody yet</dd>" in
              b.call("GET", "/tasks/3")[1], "a task nobody does yet")
        st, _, r = b.call("POST", "/tasks/2", "task=2&author=Dee&body=Done%21")
        eq(st, 303, "comment saved")
        st, html, _ = b.call("GET", "/tasks/2")
        check("Done!" in html, "the comment shows")
        # the API
        st, body, _ = b.call("GET", "/api/projects/1/tasks?status=doing")
        eq(st, 200, body)
        eq(sorted(x["id"] for x in json.loads(body)), [2, 3], body)
        st, body, _ = b.call("GET", "/api/projects/1/tasks?status=x&limit=0")
        eq(st, 422, body)
        eq(sorted(e["parameter"] for e in json.loads(body)["errors"]),
           ["limit", "status"], body)
        # the generated CRUD API ([api] in models/task.toml)
        st, body, _ = b.call("GET", "/api/tasks?project=1&status=doing"
                             "&expand=project&ordering=title")
        eq(st, 200, body)
        page = json.loads(body)
        eq(sorted(x["id"] for x in page["items"]), [2, 3], body)
        check(all(x["project"]["id"] == 1 for x in page["items"]),
              "the project expanded: " + body)
        st, body, _ = b.call("GET", "/api/tasks?search=zzzz-none")
        eq(json.loads(body)["items"], [], "search")
        st, _, _ = b.call("DELETE", "/tasks/2", None, HX)
        eq(st, 204, "deleted")
        st, _, _ = b.call("GET", "/tasks/2")
        eq(st, 404, "gone")
        # the WebSocket echo (ws/echo.c), listed and served at /ws/echo
        rc, out, err = b.kiln("routes")
        eq(rc, 0, "routes: " + err)
        check(["WS", "/ws/echo", "ws.echo", "ws/echo.c"] in [l.split() for l in out.splitlines()],
              "routes: " + out)
        st, _, _ = b.call("GET", "/api/ws/echo")
        eq(st, 404, "the echo moved from /api/ws/echo")
        with WsConn(b.port) as c:
            c.open("/ws/echo")
            c.send_text("board")
            eq(c.read_message(), (OP_TEXT, b"board"), "echo")
            c.send_close(1000)
            c.expect_close(1000, reply=False)


def test_board_assignee_migration():
    """migrations/0003-0006 turn task.assignee from text into a reference
    to the user: a text that is a username (any case, spaces around
    ignored) becomes that user, any other text no assignee; going back
    (kiln migrate --to 2) gives the text column the usernames again."""
    parent = tempfile.mkdtemp(prefix="kiln-board-mig-")
    try:
        root = os.path.join(parent, "board")
        shutil.copytree(BOARD, root, ignore=shutil.ignore_patterns(*SKIP))
        later = os.path.join(parent, "later")
        os.mkdir(later)
        mig = os.path.join(root, "migrations")
        for name in sorted(os.listdir(mig)):
            if name[:4] > "0002":
                shutil.move(os.path.join(mig, name), later)

        def kiln(*args):
            p = subprocess.run([kiln_bin()] + list(args), cwd=root,
                               env=env_for({}), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=t(120))
            eq(p.returncode, 0, "kiln %s: %s" % (args, p.stderr.decode()))

        kiln("migrate")
        db = os.path.join(root, "app.db")
        con = sqlite3.connect(db)
        now = "2026-11-01 09:00:00.000000+00"
        con.executemany("INSERT INTO kiln_user (username, email, password, "
                        "created) VALUES (?, ?, 'x', ?)",
                        [("ana", "ana@example.org", now),
                         ("Ben", "ben@example.org", now)])
        con.execute("INSERT INTO project (name, created) VALUES ('P', ?)",
                    (now,))
        con.executemany("INSERT INTO task (project_id, title, assignee, "
                        "created, updated) VALUES (1, ?, ?, ?, ?)",
                        [(title, who, now, now) for title, who in
                         (("a", "Ana"), ("b", " ben "), ("c", "Dee"),
                          ("d", None))])
        con.commit()
        con.close()
        for name in os.listdir(later):
            shutil.move(os.path.join(later, name), mig)
        kiln("migrate")
        con = sqlite3.connect(db)
        eq(con.execute("SELECT title, assignee_id FROM task ORDER BY title")
           .fetchall(), [("a", 1), ("b", 2), ("c", None), ("d", None)],
           "usernames matched, the rest left unassigned")
        con.close()
        kiln("migrate", "--to", "2", "--accept-loss")
        con = sqlite3.connect(db)
        eq(con.execute("SELECT title, assignee FROM task ORDER BY title")
           .fetchall(), [("a", "ana"), ("b", "Ben"), ("c", None),
                         ("d", None)], "undone: the usernames back as text")
        con.close()
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_board_roles_and_members():
    """The board's API needs the roles of kiln.toml, and a viewer sees only
    the projects it is a member of (api/_hooks/project.c, task.c)."""
    with Board() as b:
        st, body, r = b.call("GET", "/api/tasks", who=None)
        eq(st, 401, body)
        check(r.getheader("WWW-Authenticate", "").startswith("Bearer"),
              "a challenge")
        st, body, _ = b.call("GET", "/api/projects", who="chen")
        eq(st, 200, body)
        eq([p["name"] for p in json.loads(body)["items"]], ["Mobile app"],
           "chen's projects")
        st, body, _ = b.call("GET", "/api/tasks?ordering=title", who="chen")
        eq(sorted(x["project"] for x in json.loads(body)["items"]), [2, 2],
           "chen sees the Mobile app's tasks only")
        eq(b.call("GET", "/api/tasks/1", who="chen")[0], 404,
           "a task of another project is not found")
        eq(b.call("GET", "/api/tasks/5", who="chen")[0], 200, "")
        st, body, _ = b.call("PATCH", "/api/tasks/5", '{"status": "done"}',
                             JSON, who="chen")
        eq(st, 403, body)
        check("task.change" in json.loads(body)["detail"], body)
        st, body, _ = b.call("GET", "/api/projects")
        eq(len(json.loads(body)["items"]), 2, "the admin sees all")
        # a reference must name a row the writer may see: ben, an editor,
        # cannot put a task into a project he is not a member of, nor a
        # comment on its tasks; the admin can (api/_hooks, kiln_api_refs_visible)
        st, body, _ = b.call("POST", "/api/projects", '{"name": "Secret"}', JSON)
        eq(st, 201, body)
        secret = json.loads(body)["id"]
        st, body, _ = b.call("POST", "/api/tasks", json.dumps(
            {"project": secret, "title": "In a secret project"}), JSON)
        eq(st, 201, "the admin's task: " + body)
        hidden = json.loads(body)["id"]
        for method, target, data in (
                ("POST", "/api/tasks", {"project": secret, "title": "Sneaky",
                                        "priority": "zzz"}),
                ("PATCH", "/api/tasks/1", {"project": secret})):
            st, body, _ = b.call(method, target, json.dumps(data), JSON,
                                 who="ben")
            eq(st, 422, "%s %s: %s" % (method, target, body))
            errs = {e["pointer"]: e["code"] for e in json.loads(body)["errors"]}
            eq(errs.get("/project"), "does_not_exist", body)
            check(len(errs) == (2 if method == "POST" else 1),
                  "one 422 lists every field: " + body)
        st, body, _ = b.call("POST", "/api/comments", json.dumps(
            {"task": hidden, "author": "Ben", "body": "hi"}), JSON, who="ben")
        eq(st, 422, body)
        check('"/task"' in body and "does_not_exist" in body, body)
        st, body, _ = b.call("GET", "/api/tasks/1", who="ben")
        eq(json.loads(body)["project"], 1, "task 1 stayed in its project")
        st, body, _ = b.call("POST", "/api/tasks", json.dumps(
            {"project": 1, "title": "Ben's own"}), JSON, who="ben")
        eq(st, 201, "into his own project: " + body)
        # the users a task may be assigned to (models/user.toml): readable
        # by every role, never written through the API
        st, body, _ = b.call("GET", "/api/users?ordering=username",
                             who="chen")
        eq(st, 200, body)
        eq([u["username"] for u in json.loads(body)["items"]],
           ["ana", "ben", "chen", "root"], body)
        check("password" not in body, "no hash")
        st, body, _ = b.call("PATCH", "/api/users/3", '{"name": "x"}', JSON)
        eq(st, 405, "read-only: " + body)


def test_board_pages_need_a_login():
    """Every page needs a logged-in user: a browser is sent to /login and
    back; a viewer sees only its projects' pages and cannot change them; an
    editor adds a task through the page's form, its CSRF token included."""
    with Board() as b:
        # anonymous: a browser goes to the login page, naming the way back
        st, _, r = b.call("GET", "/", headers=HTML, who=None)
        eq((st, r.getheader("Location")), (303, "/login?next=/"), "/")
        st, _, r = b.call("GET", "/projects/2?tab=a%20b", headers=HTML,
                          who=None)
        eq((st, r.getheader("Location")),
           (303, "/login?next=/projects/2%3Ftab%3Da%2520b"), "the board")
        for path in ("/tasks/5", "/projects/1"):
            st, _, r = b.call("GET", path, headers=HTML, who=None)
            eq(st, 303, path)
        # a script gets 401 problem+json, an HTMX request 401 + HX-Redirect
        st, body, r = b.call("GET", "/projects/2", who=None)
        eq(st, 401, body)
        check(r.getheader("Content-Type").startswith("application/problem+json"),
              body)
        st, body, r = b.call("PATCH", "/projects/2", "task=5&status=done", HX,
                             who=None)
        eq((st, r.getheader("HX-Redirect")), (401, "/login?next=/projects/2"),
           body)
        st, body, _ = b.call("POST", "/projects/2", "title=Anon", HTML,
                             who=None)
        eq(st, 303, "an anonymous form post goes to the login page: " + body)
        # the login page takes the browser back where it was going
        st, html, r = b.call("GET", "/login?next=/projects/2%3Ftab%3Da%2520b",
                             headers=HTML, who=None)
        eq(st, 200, html)
        check('name="next" value="/projects/2?tab=a%20b"' in html, html)
        jar = cookies_of(r)
        st, body, r = b.call(
            "POST", "/login", "login=chen&password=kiln-board-demo&next=" +
            "/projects/2%3Ftab%3Da%2520b&csrf_token=" + csrf_field(html),
            {"Cookie": "kiln_session=" + jar["kiln_session"]}, who=None)
        eq((st, r.getheader("Location")), (303, "/projects/2?tab=a%20b"), body)
        new = cookies_of(r)["kiln_session"]
        check(new != jar["kiln_session"], "a new session id at login")
        st, html, _ = b.call("GET", "/projects/2?tab=a%20b",
                             headers={"Cookie": "kiln_session=" + new},
                             who=None)
        eq(st, 200, "chen's board after logging in")
        check("Offline mode for the task list" in html, html)
        # chen, a viewer, member of the Mobile app only: as the API
        st, html, _ = b.call("GET", "/", headers=HTML, who="chen")
        eq(st, 200, html)
        check("Mobile app" in html and "Website relaunch" not in html,
              "chen's projects only: " + html)
        check('id="new_project"' not in html, "no form chen may not use")
        for path in ("/projects/1", "/tasks/1", "/tasks/4"):
            eq(b.call("GET", path, headers=HTML, who="chen")[0], 404,
               path + " is another project's")
        st, html, _ = b.call("GET", "/tasks/5", headers=HTML, who="chen")
        eq(st, 200, html)
        check("Offline mode" in html and "Delete the task" not in html and
              'name="body"' not in html, "no delete, no comment form: " + html)
        st, html, _ = b.call("GET", "/tasks/5", headers=HTML, who="ben")
        check("Delete the task" in html and 'name="body"' in html,
              "an editor's task page: " + html)
        st, body, _ = b.call("GET", "/api/projects/1/events", who="chen")
        eq(st, 404, "chen may not watch project 1: " + body)
        with SseStream(b.port, "/api/projects/2/events",
                       headers=b.bearer("chen")) as s:
            eq(s.head.status, 200, "chen watches its own project")
        st, body, _ = b.call("GET", "/api/projects/2/events", who=None)
        eq(st, 401, "nobody watches anonymously: " + body)
        # a viewer cannot add a task, even with a good token: a 403 page
        st, html, _ = b.call("GET", "/projects/2", headers=HTML, who="chen")
        check('id="new_task"' not in html, "no task form for a viewer")
        cookie, _ = b.login("chen")
        st, html, r = b.call(
            "POST", "/projects/2", "title=Sneaky&priority=low&csrf_token=" +
            csrf_field(html), dict(HTML, Cookie=cookie), who=None)
        eq(st, 403, html)
        check(r.getheader("Content-Type").startswith("text/html") and
              "task.add" in html, "a 403 page naming the permission: " + html)
        eq(b.call("PATCH", "/projects/2", "task=5&status=done", HX,
                  who="chen")[0], 403, "a viewer cannot move a task")
        # ben, an editor: adds a task through the form, its CSRF field
        st, html, _ = b.call("GET", "/projects/1", headers=HTML, who="ben")
        eq(st, 200, html)
        cookie, _ = b.login("ben")
        st, body, _ = b.call("POST", "/projects/1", "project=1&title=From+the+form&"
                             "priority=normal", dict(HTML, Cookie=cookie),
                             who=None)
        eq(st, 403, "no CSRF token: refused")
        check("CSRF" in body, body)
        st, body, r = b.call("POST", "/projects/1", "project=1&title=From+the+form&"
                          "priority=normal&csrf_token=" + csrf_field(html),
                          dict(HTML, Cookie=cookie), who=None)
        eq((st, r.getheader("Location")), (303, "/projects/1"), "added: " + body)
        st, html, _ = b.call("GET", "/projects/1", headers=HTML, who="ben")
        check("From the form" in html, "the new task shows")
        st, _, _ = b.call("POST", "/", "name=Ben%27s", HTML, who="ben")
        eq(st, 403, "only an admin makes projects")
        # chen's board knows no Sneaky task
        st, body, _ = b.call("GET", "/api/tasks?search=Sneaky", who="ana")
        eq(json.loads(body)["items"], [], "the viewer's post wrote nothing")


def test_board_live_updates():
    """Each board page listens to /api/projects/{id}/events (htmx's SSE
    extension): a change of one of its tasks, from any page action,
    arrives as an event "task" there, and not on another project's."""
    with Board() as b:
        st, html, _ = b.call("GET", "/projects/1")
        check('sse-connect="/api/projects/1/events"' in html and
              'hx-trigger="sse:task"' in html, "the page listens: " + html)
        check('src="/static/sse.min.js"' in html, "the extension is loaded")
        one = SseStream(b.port, "/api/projects/1/events",
                        headers=b.bearer("ana"))
        two = SseStream(b.port, "/api/projects/2/events",
                        headers=b.bearer("ana"))
        eq(one.head.header("Cache-Control"), "no-cache", "an event stream")
        try:
            # the stream subscribes before its head goes out: a change now
            # reaches it
            st, _, _ = b.call("PATCH", "/projects/1", "task=3&status=done", HX)
            eq(st, 200, "moved")
            one.wait(lambda x: len(x.events) >= 1, what="the move")
            eq(json.loads(one.events[0][1]), {"task": 3, "change": "moved"},
               "the move")
            eq(one.events[0][0], "task", "event name")
            st, _, _ = b.call("POST", "/projects/1", "project=1&title=Live&priority=low")
            eq(st, 303, "added")
            one.wait(lambda x: len(x.events) >= 2, what="the new task")
            added = json.loads(one.events[1][1])
            eq(added["change"], "added", "added")
            st, _, _ = b.call("DELETE", "/tasks/%d" % added["task"], None, HX)
            eq(st, 204, "deleted")
            one.wait(lambda x: len(x.events) >= 3, what="the deletion")
            eq(json.loads(one.events[2][1]),
               {"task": added["task"], "change": "deleted"}, "deleted")
            # project 2's page heard none of it, but hears its own
            st, _, _ = b.call("PATCH", "/projects/2", "task=5&status=doing", HX)
            eq(st, 200, "moved on project 2")
            two.wait(lambda x: x.events, what="project 2's move")
            eq([json.loads(d) for _, d in two.events],
               [{"task": 5, "change": "moved"}], "only its own")
            eq(len(one.events), 3, "project 1's stream: only its own")
            st, body, _ = b.call("GET", "/api/pubsub")
            got = json.loads(body)
            eq((got["backend"], got["subscribers"], got["published"],
                got["delivered"], got["dropped"]),
               ("local", 2, 4, 4, 0), "the counters: " + body)
            # the generated API's writes are told too (api/_hooks/task.c)
            st, body, h = b.call("POST", "/api/tasks", json.dumps(
                {"project": 1, "title": "From the API"}), JSON)
            eq(st, 201, "created through the API: " + body)
            tid = json.loads(body)["id"]
            one.wait(lambda x: len(x.events) >= 4, what="the API's create")
            st, body, _ = b.call("PATCH", "/api/tasks/%d" % tid, json.dumps(
                {"status": "doing"}), JSON)
            eq(st, 200, "patched: " + body)
            one.wait(lambda x: len(x.events) >= 5, what="the API's patch")
            st, body, _ = b.call("PATCH", "/api/tasks/%d" % tid, json.dumps(
                {"project": 2}), JSON)
            eq(st, 200, "moved to project 2: " + body)
            one.wait(lambda x: len(x.events) >= 6, what="leaving project 1")
            two.wait(lambda x: len(x.events) >= 2, what="arriving on 2")
            st, body, _ = b.call("DELETE", "/api/tasks/%d" % tid, None)
            eq(st, 204, "deleted through the API: " + body)
            two.wait(lambda x: len(x.events) >= 3, what="the API's delete")
            eq([json.loads(d) for _, d in one.events[3:]],
               [{"task": tid, "change": "added"},
                {"task": tid, "change": "changed"},
                {"task": tid, "change": "deleted"}], "project 1 heard")
            eq([json.loads(d) for _, d in two.events[1:]],
               [{"task": tid, "change": "changed"},
                {"task": tid, "change": "deleted"}], "project 2 heard")
        finally:
            one.close()
            two.close()
        # a browser back after a break says so (Last-Event-ID): it reloads
        with SseStream(b.port, "/api/projects/1/events",
                       headers=[("Last-Event-ID", "7")] + b.bearer("ana")) as again:
            again.wait(lambda x: x.events, what="the reload")
            eq(again.events, [("task", '{"reload":true}')], "reload at once")
        st, body, _ = b.call("GET", "/api/projects/99/events")
        eq(st, 404, "no such project: " + body)
