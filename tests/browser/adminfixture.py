"""A stand-in admin for the browser tests of share/admin/static: pages
written by hand to docs/admin.md's markup contract (the hooks admin.js
enhances), served with the real admin.css and admin.js on 127.0.0.1, and
the two JSON endpoints they call:

  GET /admin/<model>/autocomplete?q=&after=   20 rows a page, "more"
  GET /admin/search?q=                        the command palette

Both refuse (403) a request without the page's CSRF token in X-CSRF-Token,
so the scenario proves admin.js sends it. POST /echo answers the posted
form as JSON (what the browser submitted). Used by test_admin_ui.py; the
real pages are exercised by test_admin.py against examples/board.
"""

import html
import http.server
import json
import os
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                      "share", "admin", "static")
TOKEN = "fixture-csrf-token-5b1f"

PROJECTS = [(i, "Project %02d" % i) for i in range(1, 46)]
TAGS = [(1, "bug"), (2, "feature"), (3, "docs"), (4, "urgent"),
        (5, "backend"), (6, "frontend")]
TASKS = [(i, "Task number %d" % i, ("todo", "doing", "done")[i % 3])
         for i in range(1, 26)]

LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="%(token)s">
<title>%(title)s · Kiln admin</title>
<link rel="stylesheet" href="/admin/static/admin.css">
<script src="/admin/static/admin.js" defer></script>
</head>
<body class="admin" data-admin-root="/admin">
<a class="skip" href="#content">Skip to content</a>
<header class="admin-header">
<a class="brand" href="/admin/">Admin</a>
<span class="who">ada</span>
<button type="button" data-admin-palette-open hidden>Search <kbd>Ctrl K</kbd></button>
<form method="post" action="/logout" class="logout"><button type="submit">Log out</button></form>
</header>
<nav class="admin-nav" aria-label="Models"><h2>Board</h2><ul>
<li><a href="/admin/project/">Projects</a></li>
<li><a href="/admin/task/"%(tasks_current)s>Tasks</a></li>
<li><a href="/admin/comment/">Comments</a></li>
</ul></nav>
<main id="content">
%(body)s
</main>
<dialog id="admin-palette" aria-label="Search everything">
<input type="search" name="q" aria-label="Search everything">
<ul role="listbox"></ul>
</dialog>
</body>
</html>
"""

DASHBOARD = """<h1>Site administration</h1>
<div class="dashboard">
<section aria-labelledby="m-board"><h2 id="m-board">Board</h2>
<table><tbody>
<tr><th scope="row"><a href="/admin/project/">Projects</a></th><td class="count">45</td><td><a href="/admin/project/add">Add</a></td></tr>
<tr><th scope="row"><a href="/admin/task/">Tasks</a></th><td class="count">25</td><td><a href="/admin/task/add">Add</a></td></tr>
<tr><th scope="row"><a href="/admin/comment/">Comments</a></th><td class="count">3</td><td><a href="/admin/comment/add">Add</a></td></tr>
</tbody></table></section>
<section aria-labelledby="recent"><h2 id="recent">Recent actions</h2>
<ul class="recent-actions">
<li><a href="/admin/task/3/">Task number 3</a> <span class="count">changed by ada</span></li>
<li><a href="/admin/task/4/">Task number 4</a> <span class="count">added by ben</span></li>
</ul></section>
</div>"""


def changelist():
    rows = "\n".join(
        '<tr><td><input type="checkbox" name="_selected" value="%d" '
        'aria-label="Select %s"></td><th scope="row"><a href="/admin/task/%d/">'
        '%s</a></th><td>%s</td><td>Project %02d</td></tr>' % (
            i, html.escape(t), i, html.escape(t), s, i % 7 + 1)
        for i, t, s in TASKS[:20])
    return """<div class="change-list"><header class="list-head"><h1>Tasks</h1>
<a class="button add" href="/admin/task/add">Add task</a>
<a class="button export" href="/admin/task/export.csv">Export CSV</a></header>
<form class="search" role="search" method="get"><label for="q">Search</label>
<input type="search" id="q" name="q"><button type="submit">Search</button></form>
<div class="list-body"><form method="post" action="/admin/task/action" class="results-form">
<input type="hidden" name="_csrf" value="%(token)s">
<div class="actions"><label for="action">Action</label>
<select id="action" name="action"><option value="delete">Delete selected tasks</option></select>
<button type="submit">Go</button> <span class="count" data-admin-selected-count>0 of 20 selected</span></div>
<table class="results">
<thead><tr><th scope="col"><input type="checkbox" data-admin-select-all aria-label="Select all tasks"></th>
<th scope="col" aria-sort="ascending"><a href="?o=-title">Title</a></th>
<th scope="col" aria-sort="none"><a href="?o=status">Status</a></th>
<th scope="col" aria-sort="none"><a href="?o=project">Project with a long column name</a></th></tr></thead>
<tbody>
%(rows)s
</tbody></table>
</form>
<aside class="filters" aria-labelledby="filters-h"><h2 id="filters-h">Filter</h2>
<h3>Status</h3><ul><li class="selected"><a href="?" aria-current="true">All</a></li>
<li><a href="?f.status=todo">To do</a></li><li><a href="?f.status=doing">Doing</a></li>
<li><a href="?f.status=done">Done</a></li></ul>
<h3>Due</h3><ul><li><a href="?f.due.isnull=1">No date</a></li><li><a href="?f.due.isnull=0">Has a date</a></li></ul>
</aside></div>
<nav class="pagination" aria-label="Pages"><p class="count">25 tasks</p>
<span aria-current="page">1</span><a href="?p=2">2</a><a rel="next" href="?p=2">Next</a>
<span class="page-size">Per page: <span aria-current="true">20</span> <a href="?n=50">50</a>
<a href="?n=100">100</a></span></nav></div>""" % {
        "token": TOKEN, "rows": rows}


FORM = """<h1>Add task</h1>
<p class="errornote" role="alert">Please correct the errors below.</p>
<form method="post" action="/echo" novalidate>
<input type="hidden" name="_csrf" value="%(token)s">
<fieldset><legend>Task</legend>
<div class="form-row"><label for="id_title">Title <abbr title="required">*</abbr></label>
<input type="text" id="id_title" name="title" required maxlength="200" aria-invalid="true"
 aria-describedby="title-help title-error">
<p class="help" id="title-help">What needs doing</p>
<p class="error" id="title-error">This field is required.</p></div>
<div class="form-row"><label for="id_project">Project <abbr title="required">*</abbr></label>
<select id="id_project" name="project" required data-admin-autocomplete="/admin/project/autocomplete">
<option value="3" selected>Project 03</option></select></div>
<div class="form-row"><label for="id_tags">Tags</label>
<select id="id_tags" name="tags" multiple data-admin-autocomplete="/admin/tag/autocomplete" data-admin-multi>
<option value="2" selected>feature</option></select></div>
<div class="form-row"><label for="id_status">Status</label>
<select id="id_status" name="status"><option value="todo" selected>To do</option>
<option value="doing">Doing</option><option value="done">Done</option></select></div>
<div class="form-row"><label for="id_due">Due</label><input type="date" id="id_due" name="due"></div>
<div class="form-row"><label for="id_estimate">Estimate</label>
<input type="number" id="id_estimate" name="estimate" min="0" step="0.1" aria-describedby="estimate-help">
<p class="help" id="estimate-help">Hours</p></div>
<div class="form-row"><label for="id_extra">Extra</label>
<textarea id="id_extra" name="extra" data-admin-json>{"points": 3}</textarea></div>
<div class="form-row"><label for="id_done">Archived</label><input type="checkbox" id="id_done" name="archived" value="1"></div>
</fieldset>
<fieldset class="inline" data-admin-inline="comment"><legend>Comments</legend>
<input type="hidden" name="comment-TOTAL" value="1">
<div class="inline-scroll"><table><thead><tr><th scope="col">Author</th><th scope="col">Body</th><th scope="col">Delete</th></tr></thead>
<tbody>
<tr class="inline-row"><td><input type="text" name="comment-0-author" value="ben" aria-label="Author"></td>
<td><textarea name="comment-0-body" aria-label="Body">First!</textarea></td>
<td><input type="checkbox" name="comment-0-DELETE" aria-label="Delete"></td></tr>
<template data-admin-inline-empty><tr class="inline-row"><td><input type="text" name="comment-__prefix__-author" aria-label="Author"></td>
<td><textarea name="comment-__prefix__-body" aria-label="Body"></textarea></td>
<td><input type="checkbox" name="comment-__prefix__-DELETE" aria-label="Delete"></td></tr></template>
</tbody></table></div>
</fieldset>
<div class="submit-row"><button type="submit" name="_save" value="1">Save</button>
<button type="submit" name="_addanother" value="1">Save and add another</button>
<button type="submit" name="_continue" value="1">Save and continue editing</button></div>
</form>"""

DELETE = """<h1>Delete task</h1>
<p>Deleting the task “Task number 1” also deletes:</p>
<ul class="deleted-objects"><li>Task: <a href="/admin/task/1/">Task number 1</a><ul>
<li>Comment: First!</li><li>Comment: Second</li></ul></li></ul>
<form method="post" action="/admin/task/1/delete">
<input type="hidden" name="_csrf" value="%(token)s">
<div class="submit-row"><button type="submit" name="confirm" value="yes">Yes, delete</button>
<a class="button" href="/admin/task/1/">No, take me back</a></div>
</form>"""

PAGES = {
    "/admin/": ("Site administration", DASHBOARD),
    "/admin/task/": ("Tasks", None),
    "/admin/task/add": ("Add task", FORM),
    "/admin/task/1/delete": ("Delete task", DELETE),
}


def page(path):
    title, body = PAGES[path]
    if body is None:
        body = changelist()
    return LAYOUT % {"token": TOKEN, "title": title, "body": body % {
        "token": TOKEN} if "%(token)s" in body else body,
        "tasks_current": ' aria-current="page"' if "/task/" in path else ""}


def autocomplete(rows, q, after):
    q = q.lower()
    hits = [(i, label) for i, label in rows
            if q in label.lower() and (after is None or i > after)]
    return {"results": [{"id": i, "label": label} for i, label in hits[:20]],
            "more": len(hits) > 20}


def search(q):
    q = q.lower()
    out = [{"model": "task", "model_label": "Tasks", "id": i, "label": t,
            "url": "/admin/task/%d/" % i} for i, t, _ in TASKS
           if q in t.lower()][:5]
    out += [{"model": "project", "model_label": "Projects", "id": i,
             "label": label, "url": "/admin/project/%d/" % i}
            for i, label in PROJECTS if q in label.lower()][:5]
    # a hostile row: never followed off the site by admin.js
    if q == "evil":
        out.append({"model": "task", "model_label": "Tasks", "id": 99,
                    "label": "<img src=x onerror=alert(1)>",
                    "url": "javascript:alert(1)"})
    return {"results": out}


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "adminfixture"

    def log_message(self, *args):
        pass

    def send(self, status, ctype, body):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        qs = urllib.parse.parse_qs(u.query)
        one = lambda k: qs.get(k, [""])[0]  # noqa: E731
        if u.path.startswith("/admin/static/"):
            name = os.path.basename(u.path)
            ctype = {"css": "text/css", "js": "text/javascript"}.get(
                name.rsplit(".", 1)[-1])
            path = os.path.join(STATIC, name)
            if ctype and os.path.isfile(path):
                with open(path, "rb") as f:
                    return self.send(200, ctype + "; charset=utf-8", f.read())
            return self.send(404, "text/plain", "no such file")
        if u.path in PAGES:
            return self.send(200, "text/html; charset=utf-8", page(u.path))
        json_paths = ("/admin/project/autocomplete", "/admin/tag/autocomplete",
                      "/admin/search")
        if u.path in json_paths:
            if self.headers.get("X-CSRF-Token") != TOKEN:
                self.server.refused += 1
                return self.send(403, "application/problem+json",
                                 '{"title":"CSRF token missing"}')
            self.server.calls.append(self.path)
            if u.path == "/admin/search":
                data = search(one("q"))
            else:
                rows = PROJECTS if "/project/" in u.path else TAGS
                after = int(one("after")) if one("after") else None
                data = autocomplete(rows, one("q"), after)
            return self.send(200, "application/json", json.dumps(data))
        if u.path == "/calls":
            return self.send(200, "application/json", json.dumps(
                {"calls": self.server.calls, "refused": self.server.refused}))
        self.send(404, "text/html; charset=utf-8",
                  LAYOUT % {"token": TOKEN, "title": "Not found",
                            "body": "<h1>Not found</h1>",
                            "tasks_current": ""})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8")
        if self.path == "/echo":
            pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
            return self.send(200, "application/json", json.dumps(pairs))
        self.send(404, "text/plain", "no such form")


class Fixture:
    """with Fixture() as f: f.base is http://127.0.0.1:PORT."""

    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.calls = []
        self.httpd.refused = 0
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
