"""Issue 13, the app's fields of the built-in user: models/user.toml with
extends = "kiln.user" adds fields to Kiln's kiln_user, through migrations
that touch only those columns, on SQLite and (with KILN_TEST_DB_URL, the
db-pg suite) on PostgreSQL. Kiln's columns, the password hash among them,
keep their values across every migration.
"""

import os
import re

from harness import check, eq
from test_auth_users import PW, App, post

USER = """extends = "kiln.user"

[fields]
bio = { type = "string", max_length = 200, default = "", blank = true }
karma = { type = "integer", default = 10 }
theme = "enum:light,dark?"

[api]
operations = ["list", "retrieve", "partial_update"]
"""

TASK = """[fields]
title = "string:200"
owner = "ref:user"

[api]
operations = ["all"]
expand = ["owner"]
"""


# the pattern docs/auth.md gives: the current user's own fields
PROFILE = r"""#include <kiln.h>
#include "models.h"

KILN_GET(profile)
{
    const kiln_user *me = kiln_user_current(c);
    if (!me)
        return kiln_auth_challenge(c, NULL);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    User u;
    int rc = user_get(db, me->id, &u);
    if (rc)
        return user_fail(c, db, rc);
    return user_send(c, 200, &u);
}
"""


def columns(a):
    if a.pg:
        out = a.pg_server.psql(a.url, "SELECT column_name FROM "
                               "information_schema.columns WHERE table_name "
                               "= 'kiln_user' ORDER BY column_name")
        return sorted(out.split())
    import sqlite3
    db = sqlite3.connect(os.path.join(a.p.root, "app.db"))
    try:
        return sorted(r[1] for r in
                      db.execute("PRAGMA table_info(kiln_user)").fetchall())
    finally:
        db.close()


def execute(a, query):
    """Runs a statement that writes (committed)."""
    if a.pg:
        a.pg_server.psql(a.url, query)
        return
    import sqlite3
    db = sqlite3.connect(os.path.join(a.p.root, "app.db"))
    try:
        db.execute(query)
        db.commit()
    finally:
        db.close()


KILNS = ["active", "created", "email", "id", "issuer", "last_login", "name",
         "password", "staff", "subject", "superuser", "username"]


def make(a, *args):
    rc, out, err = a.kiln("migrate", "--make", *args)
    eq(rc, 0, "make: " + out + err)
    rc, out, err = a.kiln("migrate")
    eq(rc, 0, "migrate: " + out + err)


def login_ok(d):
    r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
    eq(r.status, 200, "login: %s" % r.body[:300])


def test_the_app_adds_changes_and_drops_fields_of_the_user():
    a = App()
    try:
        a.kiln("user", "create", "--name", "Alice", "alice", input=PW + "\n")
        hash_before = a.sql("SELECT password FROM kiln_user WHERE id = 1")
        a.p.write("models/user.toml", USER)
        a.p.write("models/task.toml", TASK)
        rc, out, err = a.kiln("migrate", "--make")
        eq(rc, 0, "make: " + out + err)
        text = a.p.read("migrations/0001_init.toml")
        # only the app's columns: never Kiln's, never a user table made
        check('create_model = "user"' not in text, text)
        for f in ("bio", "karma", "theme"):
            check(re.search(r'add_field = "user\.%s"' % f, text),
                  f + ": " + text)
        for f in ("username", "email", "password", "active", "created"):
            check('add_field = "user.%s"' % f not in text, text)
        rc, out, err = a.kiln("migrate", "--sql", "1")
        eq(rc, 0, err)
        check("ALTER TABLE kiln_user ADD COLUMN karma" in out and
              "kiln_new_kiln_user" not in out and
              "DROP TABLE kiln_user" not in out, out)
        rc, out, err = a.kiln("migrate")
        eq(rc, 0, "migrate: " + out + err)
        eq(columns(a), sorted(KILNS + ["bio", "karma", "theme"]), "columns")
        eq(a.sql("SELECT karma FROM kiln_user WHERE id = 1"), "10",
           "the existing user got the default")
        eq(a.sql("SELECT password FROM kiln_user WHERE id = 1"), hash_before,
           "the hash kept")
        rc, out, err = a.kiln("migrate", "--make", "--check")
        check("no changes" in out, out + err)
        # a user Kiln creates gets the defaults
        rc, out, err = a.kiln("user", "create", "bob", input=PW + "\n")
        eq(rc, 0, err)
        eq(a.sql("SELECT karma || '/' || bio || '/' || "
                 "coalesce(theme, 'none') FROM kiln_user WHERE id = 2"),
           "10//none", "bob's defaults")
        a.p.write("api/profile.c", PROFILE)
        rc, tok, err = a.kiln("token", "create", "alice")
        eq(rc, 0, err)
        execute(a, "UPDATE kiln_user SET karma = 42, theme = 'dark' "
                   "WHERE id = 1")
        with a.dev() as d:
            login_ok(d)
            r = post(d, "/api/tasks", {"title": "x", "owner": 1})
            eq(r.status, 201, r.body[:300])
            r = d.get("/api/tasks?expand=owner")
            eq(r.status, 200, r.body[:300])
            owner = r.json()["items"][0]["owner"]
            eq((owner["username"], owner["karma"], owner["theme"],
                owner["bio"]), ("alice", 42, "dark", ""), "expanded")
            for hidden in ("password", "issuer", "subject"):
                check(hidden not in owner, "no %s in the API" % hidden)
            r = d.get("/api/profile",
                      headers=[("Authorization", "Bearer " + tok.strip())])
            eq(r.status, 200, r.body[:300])
            eq((r.json()["id"], r.json()["karma"], r.json()["theme"]),
               (1, 42, "dark"), "the current user's own fields")
            eq(d.get("/api/profile").status, 401, "anonymous")
            r = d.get("/api/users/1")
            eq(r.status, 200, r.body[:300])
            eq((r.json()["username"], r.json()["karma"]), ("alice", 42),
               "the user's own API")
            check("password" not in r.json(), r.body)
            r = d.request("PATCH", "/api/users/1", headers=[
                ("Content-Type", "application/merge-patch+json")],
                body=b'{"bio": "hi", "username": "mallory"}')
            check(r.status in (200, 422), r.body[:300])
            eq(a.sql("SELECT username FROM kiln_user WHERE id = 1"), "alice",
               "Kiln's fields are read-only")
            doc = d.get("/api/openapi.json").json()
            props = doc["components"]["schemas"]["User"]["properties"]
            check("karma" in props and "theme" in props and
                  "username" in props and "password" not in props, props)
        rc, out, err = a.kiln("types", "--out", "web")
        eq(rc, 0, err)
        ts = "".join(open(os.path.join(a.p.path("web"), f)).read()
                     for f in os.listdir(a.p.path("web"))
                     if f.endswith(".ts"))
        m = re.search(r"export (interface|type) User\b[^}]*}", ts)
        check(m and "karma" in m.group(0) and "password" not in m.group(0),
              ts[:2000])
        # a change SQLite makes in place: a longer string
        a.p.write("models/user.toml", USER.replace("max_length = 200",
                                                   "max_length = 400"))
        make(a)
        # a change SQLite makes by rebuilding kiln_user (a new default):
        # Kiln's columns and values are kept (test_auth_users_ext.py has
        # more)
        a.p.write("models/user.toml", USER.replace(
            "max_length = 200", "max_length = 400").replace(
            "default = 10", "default = 11"))
        make(a)
        eq(a.sql("SELECT password FROM kiln_user WHERE id = 1"), hash_before,
           "the hash kept across the rebuild")
        eq(columns(a), sorted(KILNS + ["bio", "karma", "theme"]), "columns")
        # drop a field and rename another
        a.p.write("models/user.toml", """extends = "kiln.user"

[fields]
bio = { type = "string", max_length = 400, default = "", blank = true }
mood = { type = "enum", values = ["light", "dark"], optional = true, \
renamed_from = "theme" }
""")
        rc, out, err = a.kiln("migrate", "--make")
        check(rc != 0 and "--accept-loss" in err, "drop needs consent: " + err)
        make(a, "--accept-loss")
        eq(columns(a), sorted(KILNS + ["bio", "mood"]), "columns after")
        eq(a.sql("SELECT mood FROM kiln_user WHERE id = 1"), "dark",
           "renamed, kept")
        eq(a.sql("SELECT password FROM kiln_user WHERE id = 1"), hash_before,
           "the hash kept")
        # no user.toml any more: the app's columns go, Kiln's stay
        a.p.remove("models/user.toml")
        make(a, "--accept-loss")
        eq(columns(a), KILNS, "only Kiln's columns")
        eq(a.sql("SELECT username || ' ' || name FROM kiln_user WHERE id = "
                 "1"), "alice Alice", "Kiln's values kept")
        # going back re-adds them, then forward again
        rc, out, err = a.kiln("migrate", "--to", "1", "--accept-loss")
        eq(rc, 0, "back: " + out + err)
        check("karma" in columns(a), "karma back")
        rc, out, err = a.kiln("migrate")
        eq(rc, 0, "forward: " + out + err)
        with a.dev() as d:
            login_ok(d)
            r = d.get("/api/tasks?expand=owner")
            owner = r.json()["items"][0]["owner"]
            check("bio" not in owner and "karma" not in owner, owner)
    finally:
        a.close()
test_the_app_adds_changes_and_drops_fields_of_the_user.timeout = 300


def test_mistakes_in_the_users_fields():
    a = App()
    try:
        cases = [
            ('extends = "kiln.user"\n[fields]\nlevel = "integer"\n',
             "field 'level' of the user is required with no constant default"),
            ('extends = "kiln.user"\n[fields]\npassword = "string:20?"\n',
             "column 'password' of Kiln's"),
            ('extends = "kiln.user"\n[fields]\nemail = "string:20?"\n',
             "column 'email' of Kiln's"),
            ('extends = "kiln.user"\ntable = "people"\n[fields]\n'
             'x = "integer?"\n', "remove table"),
            ('extends = "kiln.users"\n[fields]\nx = "integer?"\n',
             'extends = "kiln.user"'),
            ('extends = "kiln.user"\n[fields]\nboss = "ref:user"\n',
             "a ref of the user is optional"),
        ]
        for src, msg in cases:
            a.p.write("models/user.toml", src)
            rc, out, err = a.kiln("migrate", "--make")
            check(rc != 0 and msg in err, "%r: %s" % (src, out + err))
        a.p.write("models/profile.toml",
                  'extends = "kiln.user"\n[fields]\nx = "integer?"\n')
        a.p.remove("models/user.toml")
        rc, out, err = a.kiln("migrate", "--make")
        check(rc != 0 and "models/user.toml can say" in err, err)
    finally:
        a.close()
