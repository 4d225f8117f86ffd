"""The audit log's API hook ([api] audit = true, docs/audit.md) against a
real database: SQLite, or PostgreSQL when KILN_TEST_DB_URL is set
(tests/run.py's db-pg suite).

The app is tests/blackbox/apps/audit: note (audited, with a ref, a
many-to-many field and a write-only secret; hooks that refuse some writes
after the row and its entry were written), project and tag (not audited).
A user with an API token makes every call; the entries are read back with
`kiln audit --json`, which also checks the command. Last, the app is
restarted with audit.keep_days set, and an old entry goes.
"""

import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pg_server  # noqa: E402

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "audit")
PW = "tr0ub4dor&3-stapler"


class App:
    """The audit app in a temporary copy, migrated, with a user and a
    token, running."""

    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-audit-")
        self.root = os.path.join(self.parent, "auditapp")
        shutil.copytree(APP, self.root)
        base = os.environ.get("KILN_TEST_DB_URL")
        self.env = {
            "KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests-only",
            "KILN_AUTH_HASH_OPSLIMIT": "1",
            "KILN_AUTH_HASH_MEMLIMIT": "16MiB",
        }
        if base:
            name = "audit_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.env["KILN_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
        self.proc = None
        self.token = None

    def kiln(self, *args, input=None):
        p = subprocess.run([kiln_bin()] + list(args), cwd=self.root,
                           env=env_for(self.env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(180),
                           input=input.encode() if input else None)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def start(self):
        for cmd in (["migrate", "--make"], ["migrate"], ["build"]):
            rc, out, err = self.kiln(*cmd)
            eq(rc, 0, "kiln %s: %s%s" % (" ".join(cmd), out, err))
        rc, out, err = self.kiln("user", "create", "alice", input=PW + "\n")
        eq(rc, 0, "kiln user create: " + out + err)
        rc, tok, err = self.kiln("token", "create", "alice")
        eq(rc, 0, "kiln token create: " + err)
        self.token = tok.strip()
        return self.run()

    def run(self, **env):
        """Starts the built app (env: more settings)."""
        self.port = harness.free_port()
        self.log = open(os.path.join(self.parent, "app.log"), "ab")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "auditapp"), "--port",
             str(self.port), "--workers", "2", "--root", self.root],
            env=env_for(dict(self.env, **env)), stdout=self.log,
            stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/api/notes",
                        {"Authorization": "Bearer " + self.token})
        check(r is not None and r.status == 200, "the app answers")
        return self

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=t(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.proc = None

    def call(self, method, target, body=None):
        """(status, parsed JSON or None, raw text), as alice."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=t(10))
        h = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body)
            h["Content-Type"] = "application/json"
        c.request(method, target, body=data, headers=h)
        r = c.getresponse()
        raw = r.read().decode("utf-8", "replace")
        c.close()
        ctype = r.getheader("Content-Type", "")
        return r.status, (json.loads(raw) if "json" in ctype and raw
                          else None), raw

    def entries(self, *args):
        """The log, newest first, as kiln audit --json prints it."""
        rc, out, err = self.kiln("audit", "--json", "--limit", "1000", *args)
        eq(rc, 0, "kiln audit: " + err)
        return [json.loads(line) for line in out.splitlines() if line]

    def close(self):
        if self.proc:
            self.stop()
        shutil.rmtree(self.parent, ignore_errors=True)


def created(app, path, body):
    st, got, raw = app.call("POST", path, body)
    eq(st, 201, "POST %s: %s" % (path, raw))
    return got["id"]


def part_writes_are_recorded(app):
    pid = created(app, "/api/projects", {"name": "alpha"})
    t1 = created(app, "/api/tags", {"name": "red"})
    t2 = created(app, "/api/tags", {"name": "blue"})
    eq(app.entries(), [], "writes of models without audit leave no entry")

    nid = created(app, "/api/notes", {"title": "First", "project": pid,
                                      "tags": [t1], "due": "2026-12-05",
                                      "api_token": "sekrit-123"})
    log = app.entries()
    eq(len(log), 1, "one entry for the add: %r" % log)
    e = log[0]
    eq((e["model"], e["object_id"], e["object_label"], e["action"], e["via"]),
       ("note", nid, "First", "add", "api"), "the add's entry")
    eq(e["user_label"], "alice", "who")
    check(isinstance(e["user_id"], int) and e["user_id"] >= 1, "user id")
    check(e["at"].endswith("Z") and e["at"][:4] >= "2024", "when: " + e["at"])
    eq(e["changes"], {"id": nid, "title": "First", "body": None,
                      "status": "draft", "rank": 0, "done": False,
                      "due": "2026-12-05", "project": pid, "tags": [t1],
                      "api_token": {"redacted": True}},
       "an add records every value, the secret redacted")

    # PATCH: only what changed, [old, new]; links as sorted sets
    st, got, raw = app.call("PATCH", "/api/notes/%d" % nid,
                            {"title": "Second", "done": True,
                             "tags": [t2, t1], "rank": 0})
    eq(st, 200, "patch: " + raw)
    e = app.entries()[0]
    eq(e["action"], "change", "the change's entry")
    eq(e["object_label"], "Second", "labelled as it is now")
    eq(e["changes"], {"title": ["First", "Second"], "done": [False, True],
                      "tags": [[t1], sorted([t1, t2])]},
       "only the changed fields, old and new")

    # PUT: the whole row; a NULL set and one cleared
    st, got, raw = app.call("PUT", "/api/notes/%d" % nid,
                            {"title": "Second", "body": "text", "done": True,
                             "status": "live", "tags": [t2]})
    eq(st, 200, "put: " + raw)
    eq(app.entries()[0]["changes"],
       {"body": [None, "text"], "status": ["draft", "live"],
        "due": ["2026-12-05", None], "project": [pid, None],
        "tags": [sorted([t1, t2]), [t2]],
        "api_token": {"redacted": True}},
       "a full update: what it changed, NULLs both ways (the secret it "
       "cleared only marked)")

    # a secret that changes is only marked
    st, got, raw = app.call("PATCH", "/api/notes/%d" % nid,
                            {"api_token": "other-456"})
    eq(st, 200, "patch the secret: " + raw)
    eq(app.entries()[0]["changes"], {"api_token": {"redacted": True}},
       "the secret's change is marked, not stored")
    rc, out, err = app.kiln("audit", "--json", "--limit", "1000")
    check("sekrit" not in out and "other-456" not in out,
          "no secret value anywhere in the log")

    # a change of nothing is still a save
    st, got, raw = app.call("PATCH", "/api/notes/%d" % nid, {"rank": 0})
    eq(st, 200, "patch of nothing: " + raw)
    eq(app.entries()[0]["changes"], {}, "an empty diff")
    n = len(app.entries())

    st, got, raw = app.call("DELETE", "/api/notes/%d" % nid)
    eq(st, 204, "delete: " + raw)
    log = app.entries()
    eq(len(log), n + 1, "one entry for the delete")
    e = log[0]
    eq((e["action"], e["object_id"], e["object_label"]),
       ("delete", nid, "Second"), "the delete's entry")
    eq(e["changes"]["title"], "Second", "the last values")
    eq(e["changes"]["tags"], [t2], "the last links")
    eq(e["changes"]["api_token"], {"redacted": True}, "the secret redacted")
    eq(e["user_label"], "alice", "who deleted")

    # one object's history, newest first
    hist = app.entries("--model", "note", "--id", str(nid))
    eq([x["action"] for x in hist],
       ["delete", "change", "change", "change", "change", "add"],
       "the object's history")
    eq(app.entries("--model", "project"), [], "no project entries")
    rc, out, err = app.kiln("audit", "--model", "note", "--id", str(nid))
    eq(rc, 0, err)
    check(out.splitlines()[0].split()[:4] == ["ID", "WHEN", "(UTC)", "ACTION"],
          "the table's header: " + out)
    check(" delete " in out and " alice " in out and "note #%d" % nid in out,
          "the table's rows: " + out)
    rc, out, err = app.kiln("audit", "--id", "3")
    eq(rc, 2, "--id without --model is a usage error: " + out + err)


def part_rolled_back_writes_leave_nothing(app):
    before = len(app.entries())
    st, got, raw = app.call("POST", "/api/notes", {"title": "boom"})
    eq(st, 422, "the hook refuses the add: " + raw)
    eq(len(app.entries()), before, "a rolled-back add leaves no entry")
    st, got, _ = app.call("GET", "/api/notes")
    check(all(x["title"] != "boom" for x in got["items"]), "nor a row")

    nid = created(app, "/api/notes", {"title": "keep"})
    eq(len(app.entries()), before + 1, "the add is recorded")
    st, got, raw = app.call("PATCH", "/api/notes/%d" % nid, {"title": "boom"})
    eq(st, 422, "the hook refuses the change: " + raw)
    eq(len(app.entries()), before + 1, "a rolled-back change leaves no entry")
    st, got, raw = app.call("DELETE", "/api/notes/%d" % nid)
    eq(st, 403, "the hook refuses the delete: " + raw)
    eq(len(app.entries()), before + 1, "a rolled-back delete leaves no entry")
    st, got, _ = app.call("GET", "/api/notes/%d" % nid)
    eq((st, got["title"]), (200, "keep"), "the row is as it was")
    eq(app.entries()[0]["action"], "add", "the last entry is still the add")


def part_retention(app):
    """audit.keep_days: the server deletes older entries as it starts."""
    app.stop()
    old = "2001-02-03 04:05:06.000000+00:00"
    sql = ("INSERT INTO kiln_audit (at, model, object_id, action) VALUES "
           "('%s', 'note', 999, 'delete')" % old)
    url = app.env.get("KILN_DATABASE_URL")
    if url:
        pg_server.psql(url, sql)
    else:
        db = sqlite3.connect(os.path.join(app.root, "app.db"))
        db.execute(sql)
        db.commit()
        db.close()
    n = len(app.entries())
    eq(app.entries()[-1]["object_id"], 999, "the old entry is there")
    app.run(KILN_AUDIT_KEEP_DAYS="30")
    for _ in range(100):
        if len(app.entries()) == n - 1:
            break
        time.sleep(0.05)
    log = app.entries()
    eq(len(log), n - 1, "only the old entry was deleted")
    check(all(e["object_id"] != 999 for e in log), "the old entry is gone")


def test_audit_api_hook():
    app = App()
    try:
        app.start()
        part_writes_are_recorded(app)
        part_rolled_back_writes_leave_nothing(app)
        part_retention(app)
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


test_audit_api_hook.timeout = 240
