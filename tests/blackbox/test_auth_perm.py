"""Issue 13, permissions: roles declared in kiln.toml, the generated CRUD
API checking them for every operation and role (401 anonymous, 403 not
allowed), a row-level rule on the list/retrieve query hook (a hidden row
is a 404), endpoint schemas' auth = "login" | "perm:..." | "role:...",
user and can() in pages, the start-up check of the roles against the
models, and the OpenAPI document's security. In a project run by kiln
dev, users and API tokens made by `kiln user` / `kiln token`. SQLite by
default; the db-pg suite runs it again with KILN_TEST_DB_URL.
"""

import json
import os
import sqlite3
import subprocess
import time
import uuid

from harness import check, eq, t
from kilncli import Dev, Project, run

PW = "tr0ub4dor&3-stapler"

BASE = {
    "KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests-only",
    "KILN_AUTH_HASH_OPSLIMIT": "1",
    "KILN_AUTH_HASH_MEMLIMIT": "16MiB",
    "KILN_AUTH_THROTTLE_ACCOUNT": "",
    "KILN_AUTH_THROTTLE_IP": "",
}

KILN_TOML = """[app]
name = "permapp"

[roles]
viewer = ["*.view"]
editor = ["project.view", "project.add", "project.change", "note.view"]
admin = ["*"]
auditor = []
"""

PROJECT = """label = "project"
[fields]
name = "string:80"
[api]
operations = ["all"]
"""

# who is a member of which project: the row-level rule's table
MEMBER = """label = "member"
[fields]
project = { type = "ref", to = "project", on_delete = "cascade" }
user_id = "integer"
"""

NOTE = """label = "note"
[fields]
body = "string:200"
[api]
operations = ["all"]
permissions = "authenticated"
"""

TAG = """label = "tag"
[fields]
name = "string:40"
[api]
operations = ["list", "create"]
permissions = "public"
"""

# a viewer sees only the projects they are a member of; whoever may change
# projects sees them all
HOOK = r"""#include <kiln.h>

static int members_only(kiln_ctx *c, kiln_api_where *w)
{
    if (kiln_can(c, "project.change"))
        return 0;
    const kiln_user *u = kiln_user_current(c);
    w->sql = "id IN (SELECT project_id FROM member WHERE user_id = $1)";
    w->params[0] = KILN_INT(u ? u->id : 0);
    w->nparams = 1;
    return 0;
}

KILN_API_HOOKS(project) = {.query = members_only};
"""

HANDLER = r"""#include <kiln.h>

KILN_GET(%s)
{
    const kiln_user *u = kiln_user_current(c);
    return kiln_jsonf(c, 200, "{user:%%s}", u ? u->username : "nobody");
}
"""

# kiln_require in C
ARCHIVE = r"""#include <kiln.h>

KILN_POST(archive)
{
    if (kiln_require(c, "project.delete"))
        return 0;
    return kiln_jsonf(c, 200, "{archived:true}");
}
"""

PAGE = """<p>user={{ user.username if user else "nobody" }}
change={{ can('project.change') }} delete={{ can('project.delete') }}
roles={{ user.roles|join(',') if user else '' }}</p>
"""

USERS = [("viewer", "viewer"), ("editor", "editor"), ("admin", "admin"),
         ("auditor", "auditor"), ("root", None), ("nobody", None)]


class App:
    """The permissions project with its own database, migrated, users and
    their tokens made."""

    def __init__(self):
        self.p = Project()
        p = self.p
        p.write("kiln.toml", KILN_TOML)
        p.write("models/project.toml", PROJECT)
        p.write("models/member.toml", MEMBER)
        p.write("models/note.toml", NOTE)
        p.write("models/tag.toml", TAG)
        p.write("api/_hooks/project.c", HOOK)
        for name, auth in (("whoami", "login"), ("report", "perm:note.add"),
                           ("audit", "role:auditor")):
            p.write("api/%s.c" % name, HANDLER % name)
            p.write("api/%s.toml" % name, '[get]\nauth = "%s"\n' % auth)
        p.write("api/archive.c", ARCHIVE)
        p.write("pages/perm.html", PAGE)
        self.env = dict(BASE)
        self.env["KILN_AUTH_CACHE_SECONDS"] = "1"
        base = os.environ.get("KILN_TEST_DB_URL")
        self.pg = bool(base)
        if self.pg:
            import pg_server
            self.pg_server = pg_server
            name = "perm_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.url = base.rsplit("/", 1)[0] + "/" + name
            self.env["KILN_DATABASE_URL"] = self.url
        rc, out, err = self.kiln("migrate", "--make")
        eq(rc, 0, "migrate --make: " + out + err)
        rc, out, err = self.kiln("migrate")
        eq(rc, 0, "migrate: " + out + err)
        self.tokens = {}
        for i, (name, role) in enumerate(USERS):
            args = ["user", "create", name]
            if name == "root":
                args.insert(2, "--superuser")
            rc, out, err = self.kiln(*args, input=PW + "\n")
            eq(rc, 0, "user create %s: %s%s" % (name, out, err))
            if role:
                self.sql("INSERT INTO kiln_user_role (user_id, role) "
                         "VALUES (%d, '%s')" % (i + 1, role))
            rc, out, err = self.kiln("token", "create", name)
            eq(rc, 0, "token create: " + err)
            self.tokens[name] = out.strip().split()[-1]
        # rows: projects 1 and 2, the viewer a member of 1 only
        self.sql("INSERT INTO project (name) VALUES ('one'), ('two')")
        self.sql("INSERT INTO member (project_id, user_id) VALUES (1, 1)")

    def kiln(self, *args, input=None):
        return run(list(args), self.p.root, env=self.env, timeout=120,
                   input=input.encode() if input is not None else None)

    def sql(self, query):
        if self.pg:
            return self.pg_server.psql(self.url, query).strip()
        db = sqlite3.connect(os.path.join(self.p.root, "app.db"))
        try:
            row = db.execute(query).fetchone()
            db.commit()
            return "" if row is None or row[0] is None else str(row[0])
        finally:
            db.close()

    def dev(self):
        d = Dev(self.p, env=self.env)
        d.wait_for("/api/tags", lambda r: r.status == 200, "the app",
                   timeout=120)
        return d

    def close(self):
        self.p.cleanup()


def as_user(a, who, extra=()):
    h = list(extra)
    if who != "anonymous":
        h.append(("Authorization", "Bearer " + a.tokens[who]))
    return h


def call(d, a, who, method, target, body=None):
    h = as_user(a, who)
    data = b""
    if body is not None:
        h.append(("Content-Type", "application/json"))
        data = json.dumps(body).encode()
    return d.request(method, target, headers=h, body=data)


def problem(r, status, what):
    eq(r.status, status, "%s: %s" % (what, r.body[:300]))
    eq(r.header("Content-Type"), "application/problem+json", what)
    return r.json()


def test_crud_operation_by_role():
    """Every generated operation of project (permissions: the default,
    roles, since kiln.toml declares [roles]) for anonymous, viewer,
    editor, admin and superuser: 401, 403 or the operation's own
    status."""
    a = App()
    try:
        with a.dev() as d:
            # (who, list, retrieve 1, create, put 1, patch 1, delete)
            want = {
                "anonymous": (401, 401, 401, 401, 401, 401),
                "viewer": (200, 200, 403, 403, 403, 403),
                "editor": (200, 200, 201, 200, 200, 403),
                "admin": (200, 200, 201, 200, 200, 204),
                "root": (200, 200, 201, 200, 200, 204),
                "auditor": (403, 403, 403, 403, 403, 403),
                "nobody": (403, 403, 403, 403, 403, 403),
            }
            for who, codes in want.items():
                made = call(d, a, who, "POST", "/api/projects",
                            {"name": "p-" + who})
                target = "/api/projects/1"
                got = (call(d, a, who, "GET", "/api/projects").status,
                       call(d, a, who, "GET", target).status,
                       made.status,
                       call(d, a, who, "PUT", target, {"name": "one"}).status,
                       call(d, a, who, "PATCH", target,
                            {"name": "one"}).status)
                # delete what this user made, or project 2 when it made none
                victim = (made.json()["id"] if made.status == 201 else 2)
                got += (call(d, a, who, "DELETE",
                             "/api/projects/%d" % victim).status,)
                eq(got, codes, "%s: list, retrieve, create, put, patch, "
                   "delete" % who)
            # the 401 says how to authenticate; the 403 names the permission
            r = call(d, a, "anonymous", "GET", "/api/projects")
            problem(r, 401, "anonymous list")
            check(r.header("WWW-Authenticate") is not None and
                  r.header("WWW-Authenticate").startswith("Bearer"),
                  "WWW-Authenticate: %s" % r.header("WWW-Authenticate"))
            r = call(d, a, "viewer", "DELETE", "/api/projects/1")
            body = problem(r, 403, "viewer delete")
            check("project.delete" in body.get("detail", ""), str(body))
            # the 401/403 come before the id is looked at, and nothing was
            # written by a refused write
            eq(call(d, a, "anonymous", "GET", "/api/projects/zz").status,
               401, "anonymous, bad id")
            eq(a.sql("SELECT count(*) FROM project WHERE name = 'p-viewer'"),
               "0", "a refused create writes nothing")
            # a bad token is a 401 even on a public API
            r = d.request("GET", "/api/projects", headers=[
                ("Authorization", "Bearer kiln_notatoken")])
            eq(r.status, 401, "a refused bearer")
    finally:
        a.close()


def test_api_permissions_public_and_authenticated():
    a = App()
    try:
        with a.dev() as d:
            # permissions = "public": anybody, roles or not
            eq(call(d, a, "anonymous", "GET", "/api/tags").status, 200, "")
            eq(call(d, a, "anonymous", "POST", "/api/tags",
                    {"name": "x"}).status, 201, "anonymous tag create")
            # permissions = "authenticated": any logged-in user, even one
            # without a role
            for who in ("nobody", "viewer", "auditor", "root"):
                eq(call(d, a, who, "POST", "/api/notes",
                        {"body": who}).status, 201, who + " note create")
                eq(call(d, a, who, "GET", "/api/notes").status, 200, who)
            problem(call(d, a, "anonymous", "GET", "/api/notes"), 401,
                    "anonymous notes")
            problem(call(d, a, "anonymous", "DELETE", "/api/notes/1"), 401,
                    "anonymous note delete")
    finally:
        a.close()


def test_row_level_rule():
    """The project query hook: a viewer sees only its projects, in the
    list and by id (404, not 403, for another's); an editor sees all."""
    a = App()
    try:
        with a.dev() as d:
            r = call(d, a, "viewer", "GET", "/api/projects")
            eq(r.status, 200, r.body[:200])
            eq([p["name"] for p in r.json()["items"]], ["one"],
               "the viewer's list")
            eq(call(d, a, "viewer", "GET", "/api/projects/1").status, 200,
               "its project")
            problem(call(d, a, "viewer", "GET", "/api/projects/2"), 404,
                    "another's project")
            a.sql("INSERT INTO member (project_id, user_id) VALUES (2, 1)")
            eq(call(d, a, "viewer", "GET", "/api/projects/2").status, 200,
               "a member now")
            r = call(d, a, "editor", "GET", "/api/projects")
            eq(sorted(p["name"] for p in r.json()["items"]), ["one", "two"],
               "the editor's list")
            # the superuser holds project.change: everything
            r = call(d, a, "root", "GET", "/api/projects/2")
            eq(r.status, 200, "root")
    finally:
        a.close()


def test_declarative_endpoint_requirements():
    a = App()
    try:
        with a.dev() as d:
            cases = [
                ("/api/whoami", {"anonymous": 401, "nobody": 200,
                                 "viewer": 200}),
                ("/api/report", {"anonymous": 401, "viewer": 403,
                                 "editor": 403, "admin": 200, "root": 200}),
                ("/api/audit", {"anonymous": 401, "viewer": 403,
                                "auditor": 200, "root": 200}),
            ]
            for target, want in cases:
                for who, status in want.items():
                    r = call(d, a, who, "GET", target)
                    eq(r.status, status, "%s as %s: %s" % (target, who,
                                                           r.body[:200]))
                    if status == 200:
                        eq(r.json()["user"], who, target)
                    else:
                        problem(r, status, target)
            r = call(d, a, "viewer", "GET", "/api/report")
            check("note.add" in r.json()["detail"], r.body[:200])
            # kiln_require in C: 401, 403, allowed
            problem(call(d, a, "anonymous", "POST", "/api/archive"), 401,
                    "archive")
            problem(call(d, a, "editor", "POST", "/api/archive"), 403,
                    "archive")
            eq(call(d, a, "admin", "POST", "/api/archive").status, 200, "")
            # an inactive user has no permission: its token is refused, once
            # the credential cache's copy (changed behind Kiln's back, by
            # SQL) is older than auth.cache_seconds (1 s here)
            a.sql("UPDATE kiln_user SET active = %s WHERE username = 'admin'"
                  % ("false" if a.pg else "0"))
            changed = time.monotonic()
            while (call(d, a, "admin", "POST", "/api/archive").status != 401
                   and time.monotonic() - changed < t(3)):
                time.sleep(0.05)
            eq(call(d, a, "admin", "POST", "/api/archive").status, 401,
               "inactive admin")
    finally:
        a.close()


def test_templates_user_and_can():
    a = App()
    try:
        with a.dev() as d:
            def page(who):
                r = d.request("GET", "/perm", headers=as_user(a, who))
                eq(r.status, 200, r.body[:300])
                body = " ".join(r.body.decode().split())
                start = body.find("<p>user=")
                check(start >= 0, body[:300])
                return body[start:body.index("</p>", start) + 4]
            eq(page("anonymous"),
               "<p>user=nobody change=False delete=False roles=</p>", "")
            eq(page("editor"),
               "<p>user=editor change=True delete=False roles=editor</p>", "")
            eq(page("admin"),
               "<p>user=admin change=True delete=True roles=admin</p>", "")
            eq(page("root"),
               "<p>user=root change=True delete=True roles=</p>", "")
            # /api/auth/me lists the permissions
            r = call(d, a, "editor", "GET", "/api/auth/me")
            eq(sorted(r.json()["permissions"]),
               ["note.view", "project.add", "project.change",
                "project.view"], "the editor's permissions")
            r = call(d, a, "viewer", "GET", "/api/auth/me")
            eq(sorted(r.json()["permissions"]),
               ["member.view", "note.view", "project.view", "tag.view"],
               "the viewer's permissions (*.view)")
    finally:
        a.close()


def test_openapi_security():
    a = App()
    try:
        rc, out, err = a.kiln("openapi")
        eq(rc, 0, err)
        doc = json.loads(out)
        schemes = doc["components"]["securitySchemes"]
        eq(schemes["session"], {
            "type": "apiKey", "in": "cookie", "name": "kiln_session",
            "description": schemes["session"]["description"]}, "session")
        eq((schemes["token"]["type"], schemes["token"]["scheme"]),
           ("http", "bearer"), "token")
        check("oidc" not in schemes, "no issuer, no openIdConnect")
        ops = doc["paths"]
        list_op = ops["/api/projects"]["get"]
        eq(list_op["security"], [{"session": []}, {"token": []}], "list")
        eq(list_op["x-kiln-auth"], "perm:project.view", "")
        check("401" in list_op["responses"] and
              "403" in list_op["responses"], "401 and 403")
        eq(ops["/api/projects/{id}"]["delete"]["x-kiln-auth"],
           "perm:project.delete", "")
        notes = ops["/api/notes"]["post"]
        eq(notes["x-kiln-auth"], "login", "")
        check("401" in notes["responses"] and
              "403" not in notes["responses"], "login: 401 only")
        tags = ops["/api/tags"]["get"]
        check("security" not in tags and "401" not in tags["responses"],
              "a public API declares nothing")
        eq(ops["/api/audit"]["get"]["x-kiln-auth"], "role:auditor", "")
        # an independent reader finds no error in it
        from test_openapi import NPM_DIR, npm_ci
        npm_ci()
        with open(a.p.path("openapi.json"), "w") as f:
            f.write(out)
        redocly = os.path.join(NPM_DIR, "node_modules", ".bin", "redocly")
        r = subprocess.run([redocly, "lint", "--extends=recommended",
                            "--format=json", "openapi.json"],
                           cwd=a.p.root, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(120),
                           env=dict(os.environ, REDOCLY_TELEMETRY="off",
                                    REDOCLY_SUPPRESS_UPDATE_NOTICE="true"))
        report = json.loads(r.stdout.decode("utf-8", "replace"))
        errors = [pr for pr in report.get("problems", [])
                  if pr.get("severity") == "error"]
        eq(errors, [], "redocly errors")
    finally:
        a.close()


test_openapi_security.timeout = 360


def test_roles_checked_at_start():
    """A role naming a model that does not exist stops the app with its
    place in kiln.toml; so does an endpoint requiring an unknown role."""
    p = Project()
    try:
        p.write("models/project.toml", PROJECT)
        p.write("kiln.toml", '[app]\nname = "x"\n\n[roles]\n'
                'editor = ["project.view", "projet.change"]\n')
        rc, out, err = p.kiln("build")
        eq(rc, 0, out + err)
        rc, out, err = run(["run"], p.root, env=dict(BASE), timeout=60)
        check(rc != 0 and "kiln.toml:5:27: roles.editor: 'projet.change' "
              "names no model (did you mean 'project'?)" in out + err,
              out + err)
        p.write("kiln.toml", '[app]\nname = "x"\n\n[roles]\n'
                'editor = ["project.edit"]\n')
        rc, out, err = run(["run"], p.root, env=dict(BASE), timeout=60)
        check(rc != 0 and "kiln.toml:5:11: roles.editor: 'project.edit' has "
              "an unknown action" in out + err, out + err)
        p.write("kiln.toml", '[app]\nname = "x"\n')
        p.write("api/x.c", HANDLER % "x")
        p.write("api/x.toml", '[get]\nauth = "role:editor"\n')
        rc, out, err = p.kiln("build")
        eq(rc, 0, out + err)
        rc, out, err = run(["run"], p.root, env=dict(BASE), timeout=60)
        check(rc != 0 and "the role 'editor' is not declared in [roles]" in
              out + err, out + err)
        p.write("api/x.toml", '[get]\nauth = "perm:task.*"\n')
        rc, out, err = p.kiln("build")
        check(rc != 0 and "api/x.toml:2:8: auth 'perm:task.*'" in out + err,
              out + err)
    finally:
        p.cleanup()
