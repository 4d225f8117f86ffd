"""The CRUD API generated from models ([api] in models/NAME.toml,
docs/api.md), against a real database: SQLite, or PostgreSQL when
KILN_TEST_DB_URL is set (tests/run.py's db-pg suite).

The app is tests/blackbox/apps/crud: project (every operation, a GET
written by hand that wins), task (filters, ordering, search, expand, hooks
in api/_hooks/task.c), person (list and retrieve only, under team/people).
Its tables come from `kiln migrate --make`. One app is built and started
once; each part below checks one side of the contract.
"""

import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from urllib.parse import quote

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pg_server  # noqa: E402

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "crud")


class App:
    """The crud app in a temporary copy, migrated and running."""

    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-crud-")
        self.root = os.path.join(self.parent, "crud")
        shutil.copytree(APP, self.root)
        base = os.environ.get("KILN_TEST_DB_URL")
        self.pg = bool(base)
        self.env = {"KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests-only"}
        if self.pg:
            name = "crud_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.env["KILN_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
        self.proc = None

    def kiln(self, *args):
        p = subprocess.run([kiln_bin()] + list(args), cwd=self.root,
                           env=env_for(self.env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(180))
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def start(self):
        for cmd in (["migrate", "--make"], ["migrate"], ["build"]):
            rc, out, err = self.kiln(*cmd)
            eq(rc, 0, "kiln %s: %s%s" % (" ".join(cmd), out, err))
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "crud"), "--port",
             str(self.port), "--workers", "2", "--root", self.root,
             "--debug"],
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/api/projects")
        check(r is not None and r.status == 200, "the app answers")
        return self

    def call(self, method, target, body=None, headers=None):
        """(status, parsed JSON or None, headers, raw text)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=t(10))
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c.request(method, target, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        ctype = hdrs.get("content-type", "")
        parsed = json.loads(raw) if "json" in ctype and raw else None
        return r.status, parsed, hdrs, raw.decode("utf-8", "replace")

    def close(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=t(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()
        shutil.rmtree(self.parent, ignore_errors=True)


def params(problem):
    """{parameter: code} of a 422 about query parameters."""
    return {e["parameter"]: e["code"] for e in problem.get("errors", [])
            if "parameter" in e}


def walk(app, query):
    """Every item of a list walked page by page; (items, pages)."""
    items, pages, cursor = [], 0, None
    while True:
        q = query + ("&cursor=" + quote(cursor) if cursor else "")
        st, page, _, raw = app.call("GET", "/api/tasks?" + q)
        eq(st, 200, "page %d of %s: %s" % (pages, query, raw))
        check("count" not in page, "no count in cursor mode")
        items += page["items"]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            return items, pages
        check(pages < 500, "the walk ends")


def part_create_retrieve_update_delete(app):
    st, p, h, raw = app.call("POST", "/api/projects", {"name": "alpha"})
    eq(st, 201, "create: " + raw)
    eq(h.get("location"), "/api/projects/%d" % p["id"], "Location")
    check(len(h.get("etag", "")) == 34, "a strong ETag: %r" % h.get("etag"))
    pid = p["id"]
    # the GET of /api/projects/{id} is the hand-written one
    st, got, _, _ = app.call("GET", "/api/projects/%d" % pid)
    eq(got, {"by_hand": True, "id": pid}, "a file wins over the generated GET")
    # a form body goes through the same decoder
    st, p2, _, raw = app.call("POST", "/api/projects", "name=beta",
                              {"Content-Type":
                               "application/x-www-form-urlencoded"})
    eq(st, 201, "create from a form: " + raw)
    st, err, _, _ = app.call("POST", "/api/projects", {"name": "alpha"})
    eq(st, 409, "a unique conflict")
    eq([e["pointer"] for e in err["errors"]], ["/name"], "409 names the field")
    st, err, _, _ = app.call("POST", "/api/projects", {"name": 5, "x": 1})
    eq(st, 422, "a bad body")
    eq(sorted((e["pointer"], e["code"]) for e in err["errors"]),
       [("/name", "type"), ("/x", "unknown_field")], "every field at once")
    st, _, _, _ = app.call("POST", "/api/projects", "{", None)
    eq(st, 400, "malformed JSON")
    # PUT and PATCH
    st, t1, h, raw = app.call("POST", "/api/tasks",
                              {"title": "write", "rank": 2, "project": pid,
                               "due": "2026-02-01"})
    eq(st, 201, "task: " + raw)
    tid = t1["id"]
    eq(t1["status"], "todo", "defaults")
    etag1 = h["etag"]
    st, got, h2, raw = app.call("GET", "/api/tasks/%d" % tid)
    eq((st, got, h2["etag"]), (200, t1, etag1), "retrieve: same row, same ETag")
    st, _, h3, raw = app.call("GET", "/api/tasks/%d" % tid,
                              headers={"If-None-Match": etag1})
    eq((st, raw), (304, ""), "If-None-Match: 304")
    eq(h3.get("etag"), etag1, "a 304 carries the ETag")
    st, got, h4, raw = app.call("PATCH", "/api/tasks/%d" % tid,
                                {"status": "doing", "notes": "n"},
                                {"If-Match": etag1,
                                 "Content-Type":
                                 "application/merge-patch+json"})
    eq(st, 200, "patch: " + raw)
    eq((got["status"], got["notes"], got["title"], got["rank"]),
       ("doing", "n", "write", 2), "a patch changes only what it names")
    check(h4["etag"] != etag1, "a new ETag")
    st, err, _, raw = app.call("PATCH", "/api/tasks/%d" % tid,
                               {"status": "done"}, {"If-Match": etag1})
    eq(st, 412, "If-Match with the old ETag: " + raw)
    eq(err["title"], "Precondition Failed", "412 problem")
    st, got, _, _ = app.call("GET", "/api/tasks/%d" % tid)
    eq(got["status"], "doing", "nothing written on 412")
    st, got, _, raw = app.call("PUT", "/api/tasks/%d" % tid,
                               {"title": "rewritten"}, {"If-Match": "*"})
    eq(st, 200, "put: " + raw)
    eq((got["title"], got["status"], got["rank"], got["notes"],
        got["project"]), ("rewritten", "todo", 0, None, None),
       "a PUT replaces the row (defaults for what it leaves out)")
    st, err, _, _ = app.call("PUT", "/api/tasks/%d" % tid, {"rank": 1})
    eq((st, err["errors"][0]["pointer"]), (422, "/title"),
       "a PUT needs every required field")
    st, err, _, _ = app.call("PATCH", "/api/tasks/%d" % tid,
                             {"project": 999999, "rank": "x"})
    eq(st, 422, "bad patch")
    eq(sorted((e["pointer"], e["code"]) for e in err["errors"]),
       [("/project", "does_not_exist"), ("/rank", "type")],
       "a missing referred row in the same 422")
    # 404s: no row, a bad id, an id out of range
    for target in ("/api/tasks/999999", "/api/tasks/abc", "/api/tasks/0",
                   "/api/tasks/99999999999999999999"):
        st, _, _, _ = app.call("GET", target)
        eq(st, 404, "GET " + target)
    st, _, _, _ = app.call("DELETE", "/api/tasks/999999")
    eq(st, 404, "DELETE of no row")
    st, _, _, _ = app.call("PATCH", "/api/tasks/999999", {"rank": 1})
    eq(st, 404, "PATCH of no row")
    # delete: restrict, If-Match, 204
    st, t2, _, _ = app.call("POST", "/api/tasks",
                            {"title": "holds", "project": pid})
    st, err, _, raw = app.call("DELETE", "/api/projects/%d" % pid)
    eq(st, 409, "a referred project: " + raw)
    eq(err["errors"][0]["code"], "protected", "409 protected")
    st, _, _, _ = app.call("DELETE", "/api/tasks/%d" % t2["id"],
                           headers={"If-Match": '"0000"'})
    eq(st, 412, "DELETE with a wrong If-Match")
    st, _, _, raw = app.call("DELETE", "/api/tasks/%d" % t2["id"])
    eq((st, raw), (204, ""), "delete")
    st, _, _, _ = app.call("DELETE", "/api/projects/%d" % pid)
    eq(st, 204, "the project once free")
    st, _, _, _ = app.call("DELETE", "/api/tasks/%d" % tid)
    eq(st, 204, "delete")
    # operations a model does not expose are not routed
    st, _, _, _ = app.call("POST", "/api/team/people", {"name": "x"})
    eq(st, 405, "person has no create")
    st, page, _, _ = app.call("GET", "/api/team/people")
    eq((st, page["items"]), (200, []), "person's list under team/people")


def part_hooks(app):
    st, err, _, raw = app.call("POST", "/api/tasks", {"title": "forbidden"})
    eq(st, 422, "before_create refuses: " + raw)
    eq([(e["pointer"], e["code"]) for e in err["errors"]],
       [("/title", "refused")], "the hook's errors")
    st, page, _, _ = app.call("GET", "/api/tasks?title=forbidden")
    eq(page["items"], [], "nothing written")
    st, keep, _, _ = app.call("POST", "/api/tasks", {"title": "keep"})
    eq(st, 201, "keep")
    st, _, _, _ = app.call("PATCH", "/api/tasks/%d" % keep["id"],
                           {"title": "forbidden"})
    eq(st, 422, "before_update refuses")
    # before_update sees the row as the PATCH makes it
    st, err, _, raw = app.call("PATCH", "/api/tasks/%d" % keep["id"],
                               {"status": "done"})
    eq((st, [e["pointer"] for e in err["errors"]]), (422, ["/notes"]),
       "a done task without notes: " + raw)
    st, _, _, raw = app.call("PATCH", "/api/tasks/%d" % keep["id"],
                             {"status": "done", "notes": "why"})
    eq(st, 200, raw)
    st, got, _, raw = app.call("PATCH", "/api/tasks/%d" % keep["id"],
                               {"rank": 3})
    eq((st, got["status"], got["notes"], got["rank"]), (200, "done", "why", 3),
       "the current notes count for a patch that does not send them: " + raw)
    st, err, _, _ = app.call("DELETE", "/api/tasks/%d" % keep["id"])
    eq(st, 403, "before_delete answers itself")
    st, _, _, _ = app.call("GET", "/api/tasks/%d" % keep["id"])
    eq(st, 200, "not deleted")
    st, hidden, _, _ = app.call("POST", "/api/tasks", {"title": "hidden one"})
    eq(st, 201, "a hidden task is created")
    st, _, _, _ = app.call("GET", "/api/tasks/%d" % hidden["id"])
    eq(st, 404, "the query hook hides it from retrieve")
    st, _, _, _ = app.call("PATCH", "/api/tasks/%d" % hidden["id"], {"rank": 1})
    eq(st, 404, "and from update")
    st, page, _, _ = app.call("GET", "/api/tasks?search=hidden")
    eq(page["items"], [], "and from the list")
    for tid in (keep["id"],):
        app.call("PATCH", "/api/tasks/%d" % tid, {"title": "kept"})
        st, _, _, _ = app.call("DELETE", "/api/tasks/%d" % tid)
        eq(st, 204, "deleted once renamed")


def seed(app):
    """Two projects, a person (via SQL: person has no create) and tasks."""
    pids = []
    for name in ("red", "blue"):
        st, p, _, raw = app.call("POST", "/api/projects", {"name": name})
        eq(st, 201, raw)
        pids.append(p["id"])
    rows = []
    statuses = ["todo", "doing", "done"]
    for i in range(23):
        body = {"title": "task %02d%s" % (i, " Urgent" if i % 5 == 0 else ""),
                "rank": i % 4, "status": statuses[i % 3],
                "done": i % 2 == 0,
                "project": pids[i % 2] if i % 3 else None}
        if i % 4:
            body["due"] = "2026-01-%02d" % (1 + i % 7)
        if i % 3 == 0:
            body["notes"] = "about 50% of_it" if i == 3 else "plain"
        if i % 2:
            body["score"] = i / 4
        st, row, _, raw = app.call("POST", "/api/tasks", body)
        eq(st, 201, raw)
        rows.append(row)
    return pids, rows


def ids(items):
    return [x["id"] for x in items]


def part_filters(app, pids, rows):
    def q(query):
        st, page, _, raw = app.call("GET", "/api/tasks?limit=50&" + query)
        eq(st, 200, query + ": " + raw)
        return sorted(ids(page["items"]))

    def want(pred):
        return sorted(r["id"] for r in rows if pred(r))

    eq(q("status=doing"), want(lambda r: r["status"] == "doing"), "eq enum")
    eq(q("status__ne=doing"), want(lambda r: r["status"] != "doing"), "ne")
    eq(q("status__in=todo,done"), want(lambda r: r["status"] != "doing"), "in")
    eq(q("rank__gte=2"), want(lambda r: r["rank"] >= 2), "gte")
    eq(q("rank__lt=1"), want(lambda r: r["rank"] < 1), "lt")
    eq(q("rank__gt=1&rank__lte=2"), want(lambda r: r["rank"] == 2), "gt+lte")
    eq(q("due__gte=2026-01-04"),
       want(lambda r: r["due"] is not None and r["due"] >= "2026-01-04"),
       "a date range")
    eq(q("due__isnull=true"), want(lambda r: r["due"] is None), "isnull")
    eq(q("due__isnull=false"), want(lambda r: r["due"] is not None),
       "isnull false")
    eq(q("project=%d" % pids[0]), want(lambda r: r["project"] == pids[0]),
       "a ref by id")
    eq(q("project__in=%d,%d" % tuple(pids)),
       want(lambda r: r["project"] is not None), "ref in")
    eq(q("done=true"), want(lambda r: r["done"]), "bool")
    eq(q("title__contains=Urgent"), want(lambda r: "Urgent" in r["title"]),
       "contains is case-sensitive")
    eq(q("title__contains=urgent"), [], "contains: no match in lower case")
    eq(q("title__icontains=urGENT"), want(lambda r: "Urgent" in r["title"]),
       "icontains")
    eq(q("notes__icontains=" + quote("50%")),
       want(lambda r: r["notes"] and "50%" in r["notes"]),
       "a % in the value is no wildcard")
    eq(q("notes__icontains=f_i"),
       want(lambda r: r["notes"] and "f_i" in r["notes"]),
       "an _ in the value is no wildcard")
    eq(q("score__gt=2.5"),
       want(lambda r: r["score"] is not None and r["score"] > 2.5), "float")
    eq(q("title=" + quote("task 01")), want(lambda r: r["title"] == "task 01"),
       "a string eq")
    eq(q("search=URGENT"), want(lambda r: "Urgent" in r["title"]),
       "search looks in title")
    eq(q("search=plain"), want(lambda r: r["notes"] == "plain"),
       "search looks in notes too")
    eq(q("search=plain&rank=0"),
       want(lambda r: r["notes"] == "plain" and r["rank"] == 0),
       "search and a filter together")
    # every bad parameter in one 422
    st, err, _, raw = app.call(
        "GET", "/api/tasks?nope=1&rank__between=1&owner=1&status__gt=todo"
        "&due__gte=tomorrow&status=late&rank__in=1,x&due__isnull=maybe"
        "&rank__isnull=true&limit=51&offset=-1&ordering=notes,-rank"
        "&expand=title&cursor=zzz")
    eq(st, 422, raw)
    eq(params(err), {
        "nope": "unknown_parameter", "rank__between": "unknown_lookup",
        "owner": "not_filterable", "status__gt": "unknown_lookup",
        "due__gte": "invalid", "status": "invalid", "rank__in": "invalid",
        "due__isnull": "invalid", "rank__isnull": "unknown_lookup",
        "limit": "out_of_range", "offset": "invalid",
        "ordering": "not_orderable", "expand": "not_expandable",
        "cursor": "bad_cursor"}, "every bad parameter, named")
    eq(err["status"], 422, "problem+json")
    for bad in ("limit=0", "limit=x", "limit=", "ordering=rank,rank",
                "ordering=", "rank=1&rank=2", "offset=1&cursor=abc"):
        st, err, _, raw = app.call("GET", "/api/tasks?" + bad)
        eq(st, 422, bad + ": " + raw)
    st, _, _, _ = app.call("GET", "/api/projects?search=x&status=1")
    eq(st, 422, "a filter a model does not declare")
    st, err, _, _ = app.call("GET", "/api/team/people?search=x")
    eq(params(err), {"search": "unknown_parameter"}, "no search declared")


def part_ordering_and_pages(app, rows):
    def key_rank(r):
        return (r["rank"], r["id"])

    st, page, _, _ = app.call("GET", "/api/tasks?ordering=-rank,title&limit=50")
    got = page["items"]
    eq(ids(got), ids(sorted(rows, key=lambda r: (-r["rank"], r["title"],
                                                 r["id"]))),
       "ordering=-rank,title")
    # a cursor walk in several orderings gives every row once, in order
    for ordering, key in (("rank", key_rank), ("-rank", None), ("", None),
                          ("due", None), ("-due", None), ("-score,title", None),
                          ("-id", None)):
        items, pages = walk(app, "limit=4&ordering=" + ordering
                            if ordering else "limit=4")
        eq(sorted(ids(items)), sorted(ids(rows)),
           "walk %r: every row once" % ordering)
        check(pages >= len(rows) // 4, "walk %r: pages of 4" % ordering)
        if key:
            eq(ids(items), ids(sorted(rows, key=key)), "walk %r in order"
               % ordering)
    # filters and the cursor: a cursor is bound to its filters and ordering
    st, p1, _, _ = app.call("GET", "/api/tasks?limit=2&status=todo")
    check(p1["next"], "a next cursor")
    st, err, _, _ = app.call("GET", "/api/tasks?limit=2&status=done&cursor="
                             + quote(p1["next"]))
    eq(params(err), {"cursor": "bad_cursor"}, "another filter set")
    st, err, _, _ = app.call("GET", "/api/tasks?limit=2&status=todo"
                             "&ordering=title&cursor=" + quote(p1["next"]))
    eq(params(err), {"cursor": "bad_cursor"}, "another ordering")
    st, p2, _, raw = app.call("GET", "/api/tasks?status=todo&limit=3&cursor="
                              + quote(p1["next"]))
    eq(st, 200, "the same filters with another limit: " + raw)
    todo = ids(sorted((r for r in rows if r["status"] == "todo"),
                      key=lambda r: r["id"]))
    eq(ids(p1["items"]) + ids(p2["items"]), todo[:5], "the filtered walk")
    # offset mode: count, next null
    st, page, _, _ = app.call("GET", "/api/tasks?offset=20&limit=5")
    eq(page["count"], len(rows), "count in offset mode")
    eq(page["next"], None, "no cursor in offset mode")
    eq(ids(page["items"]), ids(rows)[20:25], "the page at offset 20")
    st, page, _, _ = app.call("GET", "/api/tasks?offset=0&limit=3&rank=1")
    eq(page["count"], len([r for r in rows if r["rank"] == 1]),
       "count with a filter")
    st, page, _, _ = app.call("GET", "/api/tasks")
    eq(len(page["items"]), 5, "page_size from [api]")


def part_walk_while_inserting(app, rows):
    """Rows inserted during a walk: no row lost or repeated."""
    stop = threading.Event()
    added = []
    failures = []

    def writer():
        rnd = random.Random(7)
        while not stop.is_set() and len(added) < 60:
            st, row, _, raw = app.call(
                "POST", "/api/tasks",
                {"title": "new %d" % len(added), "rank": rnd.randrange(4)})
            if st != 201:
                failures.append(raw)
                return
            added.append(row["id"])

    th = threading.Thread(target=writer)
    th.start()
    try:
        for ordering in ("rank", "-id", "title"):
            before = set(ids(rows)) | set(added)
            items, _ = walk(app, "limit=3&ordering=" + ordering)
            seen = ids(items)
            eq(len(seen), len(set(seen)), "%s: no row twice" % ordering)
            missing = before - set(seen)
            eq(missing, set(), "%s: no row lost" % ordering)
    finally:
        stop.set()
        th.join()
    eq(failures, [], "inserts")
    check(len(added) > 0, "rows were inserted during the walks")
    for i in added:
        app.call("DELETE", "/api/tasks/%d" % i)


def part_expand(app, pids, rows):
    st, page, _, raw = app.call("GET", "/api/tasks?limit=50&expand=project")
    eq(st, 200, raw)
    st, p, _, _ = app.call("GET", "/api/projects?limit=50")
    projects = {x["id"]: x for x in p["items"]}
    check(set(pids) <= set(projects), "the projects: %r" % projects)
    byid = {r["id"]: r for r in rows}
    for item in page["items"]:
        ref = byid[item["id"]]["project"]
        if ref is None:
            eq(item["project"], None, "a null ref stays null")
        else:
            eq(item["project"], projects[ref], "the project embedded")
        eq(item["owner"], None, "owner not expanded")
    st, page, _, _ = app.call("GET", "/api/tasks?limit=50&expand=project,owner"
                              "&project=%d" % pids[1])
    check(all(x["project"]["id"] == pids[1] for x in page["items"]),
          "expand with a filter")
    # the referred model's query hook applies to what expand embeds: a task
    # of a project that was then hidden (renamed "hidden ...")
    st, hp, _, raw = app.call("POST", "/api/projects", {"name": "soon gone"})
    eq(st, 201, raw)
    st, ht, _, raw = app.call("POST", "/api/tasks",
                              {"title": "in a hidden project",
                               "project": hp["id"]})
    eq(st, 201, raw)
    st, _, _, raw = app.call("PATCH", "/api/projects/%d" % hp["id"],
                             {"name": "hidden p"})
    eq(st, 200, raw)
    # ... and to what a write refers to: a hidden project does not exist
    st, err, _, raw = app.call("POST", "/api/tasks",
                               {"title": "into it", "project": hp["id"]})
    eq(st, 422, raw)
    eq([(e["pointer"], e["code"]) for e in err["errors"]],
       [("/project", "does_not_exist")], raw)
    st, page, _, _ = app.call("GET", "/api/tasks?expand=project&title="
                              + quote("in a hidden project"))
    eq([(x["id"], x["project"]) for x in page["items"]], [(ht["id"], None)],
       "a hidden project expands to null")
    st, page, _, _ = app.call("GET", "/api/projects?search=hidden")
    eq(page["items"], [], "and is not listed")
    st, page, _, _ = app.call("GET", "/api/tasks/%d" % ht["id"])
    eq(page["project"], hp["id"], "the id itself stays")
    app.call("DELETE", "/api/tasks/%d" % ht["id"])
    # what a page costs (Server-Timing, in debug mode): one statement for the
    # rows and one per expanded ref that has rows to read, however many rows
    # refer to them (here 23 tasks over 2 projects): no N+1
    for query, want in (("limit=50", 1), ("limit=50&expand=project", 2),
                        ("limit=2&expand=project", 2),
                        ("limit=50&expand=project,owner", 2),
                        ("limit=50&project__isnull=true&expand=project", 1),
                        ("offset=0&limit=50&expand=project", 3)):
        st, page, h, _ = app.call("GET", "/api/tasks?" + query)
        eq(h.get("server-timing"), 'db;desc="%d statement%s"'
           % (want, "" if want == 1 else "s"), "the statements of " + query)


def test_crud_api():
    app = App()
    try:
        app.start()
        part_create_retrieve_update_delete(app)
        part_hooks(app)
        pids, rows = seed(app)
        part_filters(app, pids, rows)
        part_ordering_and_pages(app, rows)
        part_expand(app, pids, rows)
        part_walk_while_inserting(app, rows)
        rc, out, err = app.kiln("routes")
        eq(rc, 0, err)
        check("GET     /api/tasks" in out and "listTasks" in out,
              "kiln routes lists generated routes with their names: " + out)
        check("getProject" in out and
              "(generated, overridden by api/projects/[pid].c)" in out,
              "and says which a file overrides: " + out)
    except Exception:
        if app.proc:
            app.proc.terminate()
            app.proc.wait()
            app.log.close()
            app.proc = None
            with open(os.path.join(app.parent, "app.log")) as f:
                sys.stderr.write(f.read()[-3000:])
        raise
    finally:
        app.close()


test_crud_api.timeout = 240
