"""Issue 13, the app's fields of the built-in user, beyond adding columns:
changes SQLite makes by rebuilding kiln_user (a new default, a ref's
target, a dropped ref) keep Kiln's columns, its indexes and the foreign
keys that point at kiln_user; many fields on the user; the user's [api]
creating users (a write-only password, hashed) and deleting them (their
sessions, tokens and roles go too); the start-up warning for a user API
nothing closes; url() of Kiln's auth routes. SQLite by default, and
PostgreSQL in the db-pg suite (KILN_TEST_DB_URL).
"""

import os

from harness import check, eq
from test_auth_users import PW, App, bearer, cookies_of, is_problem, post
from test_user_fields import columns, make

KILNS = ["active", "created", "email", "id", "issuer", "last_login", "name",
         "password", "staff", "subject", "superuser", "username"]

USER_V1 = """extends = "kiln.user"

[fields]
karma = { type = "integer", default = 10 }
boss = "ref:user?"
team = "ref:team?"
"""

TEAM = """[fields]
name = "string:40"
"""


def fk_check(a):
    """SQLite: PRAGMA foreign_key_check and integrity_check find nothing;
    PostgreSQL: every foreign key to kiln_user is there."""
    if a.pg:
        out = a.pg_server.psql(a.url, (
            "SELECT conrelid::regclass || '.' || conname FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'kiln_user'::regclass "
            "ORDER BY 1"))
        return sorted(out.split())
    import sqlite3
    db = sqlite3.connect(os.path.join(a.p.root, "app.db"))
    try:
        eq(db.execute("PRAGMA foreign_key_check").fetchall(), [], "fk check")
        eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok",
           "integrity")
        # every table that refers to kiln_user still does
        refs = []
        for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = "
                               "'table' ORDER BY name"):
            for row in db.execute("PRAGMA foreign_key_list(%s)" % t):
                if row[2] == "kiln_user":
                    refs.append("%s.%s" % (t, row[3]))
        return sorted(refs)
    finally:
        db.close()


def kiln_schema(a):
    """Kiln's part of kiln_user's definition: its columns (name, type, not
    null, default) and its indexes."""
    if a.pg:
        cols = a.pg_server.psql(a.url, (
            "SELECT column_name || ' ' || data_type || ' ' || is_nullable || "
            "' ' || coalesce(column_default, '') FROM "
            "information_schema.columns WHERE table_name = 'kiln_user' "
            "ORDER BY column_name")).splitlines()
        ixs = a.pg_server.psql(a.url, (
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'kiln_user' "
            "ORDER BY indexname")).splitlines()
        return ([c for c in cols if c.split(" ")[0] in KILNS],
                [i for i in ixs if "_id" not in i])
    import sqlite3
    db = sqlite3.connect(os.path.join(a.p.root, "app.db"))
    try:
        cols = [r for r in db.execute("PRAGMA table_info(kiln_user)")
                if r[1] in KILNS]
        cols = sorted((r[1], r[2], r[3], r[4], r[5]) for r in cols)
        ixs = []
        for r in db.execute("PRAGMA index_list(kiln_user)"):
            names = [c[2] for c in
                     db.execute("PRAGMA index_info(%s)" % r[1])]
            if all(n is None or n in KILNS for n in names):
                ixs.append((bool(r[2]), r[3], tuple(names)))
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = "
                         "'kiln_user_local_email'").fetchone()
        ixs.append(sql[0] if sql else None)
        return (cols, sorted(ixs, key=repr))
    finally:
        db.close()


def test_rebuilds_of_kiln_user_keep_kilns_columns_and_keys():
    a = App()
    try:
        a.p.write("kiln.toml", '[app]\nname = "rebuild"\n[roles]\n'
                  'editor = ["task.*"]\n')
        rc, out, err = a.kiln("user", "create", "--email",
                              "alice@example.org", "--role", "editor",
                              "alice", input=PW + "\n")
        eq(rc, 0, out + err)
        a.kiln("user", "create", "bob", input=PW + "\n")
        hash_before = a.sql("SELECT password FROM kiln_user WHERE id = 1")
        rc, tok, err = a.kiln("token", "create", "alice")
        eq(rc, 0, err)
        tok = tok.strip().splitlines()[-1]
        a.p.write("models/team.toml", TEAM)
        a.p.write("models/user.toml", USER_V1)
        a.p.write("models/task.toml", '[fields]\ntitle = "string:80"\n'
                  'owner = "ref:user"\n')
        make(a)
        schema0 = kiln_schema(a)
        refs0 = fk_check(a)
        check(any(r.startswith("kiln_token") for r in refs0) and
              any(r.startswith("kiln_user_role") for r in refs0) and
              any(r.startswith("task") for r in refs0), refs0)
        a.sql("SELECT 1")
        # a new default, a ref's new target, a dropped ref: on SQLite each
        # rebuilds kiln_user; on PostgreSQL each alters it in place
        a.p.write("models/user.toml", """extends = "kiln.user"

[fields]
karma = { type = "integer", default = 11 }
boss = "ref:team?"
""")
        rc, out, err = a.kiln("migrate", "--make", "--accept-loss")
        eq(rc, 0, "make: " + out + err)
        rc, out, err = a.kiln("migrate", "--sql", "2")
        eq(rc, 0, err)
        if not a.pg:
            check("-- rebuild kiln_user" in out and
                  "password TEXT NOT NULL DEFAULT ''" in out and
                  "UNIQUE (issuer, subject)" in out, out)
        rc, out, err = a.kiln("migrate")
        eq(rc, 0, "migrate: " + out + err)
        eq(columns(a), sorted(KILNS + ["boss_id", "karma"]), "columns")
        eq(kiln_schema(a), schema0, "Kiln's columns and indexes as they were")
        eq(fk_check(a), [r for r in refs0 if "boss" not in r],
           "the keys that point at kiln_user")
        eq(a.sql("SELECT password FROM kiln_user WHERE id = 1"), hash_before,
           "the hash kept")
        eq(a.sql("SELECT email || ' ' || karma FROM kiln_user WHERE id = 1"),
           "alice@example.org 10", "values kept (the old rows' value)")
        # Kiln's unique index on the local email still holds
        rc, out, err = a.kiln("user", "create", "--email", "ALICE@example.org",
                              "alice2", input=PW + "\n")
        eq(rc, 1, "the email is still unique: " + out + err)
        rc, out, err = a.kiln("user", "create", "carol", input=PW + "\n")
        eq(rc, 0, err)
        eq(a.sql("SELECT karma FROM kiln_user WHERE username = 'carol'"),
           "11", "the new default")
        with a.dev() as d:
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            eq(r.status, 200, "login after the rebuild: %s" % r.body[:200])
            r = d.get("/api/auth/me", headers=bearer(tok))
            eq(r.status, 200, "the token after the rebuild: %s" % r.body[:200])
            eq(r.json()["roles"], ["editor"], "the roles kept")
        # deleting a user still cascades to its tokens and roles (the
        # foreign keys point at the new table)
        eq(a.sql("SELECT count(*) FROM kiln_token WHERE user_id = 1"), "1",
           "a token")
        if a.pg:
            a.pg_server.psql(a.url, "DELETE FROM kiln_user WHERE id = 2")
        else:
            import sqlite3
            db = sqlite3.connect(os.path.join(a.p.root, "app.db"))
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("DELETE FROM kiln_user WHERE id = 1")
            db.commit()
            db.close()
            eq(a.sql("SELECT count(*) FROM kiln_token WHERE user_id = 1"), "0",
               "the token went with its user")
            eq(a.sql("SELECT count(*) FROM kiln_user_role WHERE user_id = 1"),
               "0", "the roles went with their user")
        # and back: undoing the rebuild keeps Kiln's columns too
        rc, out, err = a.kiln("migrate", "--to", "1", "--accept-loss")
        eq(rc, 0, "back: " + out + err)
        eq(columns(a), sorted(KILNS + ["boss_id", "karma", "team_id"]), "back")
        eq(kiln_schema(a), schema0, "Kiln's columns after going back")
    finally:
        a.close()
test_rebuilds_of_kiln_user_keep_kilns_columns_and_keys.timeout = 300


USER_API = """extends = "kiln.user"

[fields]
karma = { type = "integer", default = 10 }
friends = "many:user"

[api]
operations = ["all"]
"""

KILN_TOML = """[app]
name = "userapi"

[roles]
admin = ["*"]
viewer = ["*.view"]
"""


def test_the_users_api_creates_and_deletes_users():
    a = App()
    try:
        a.p.write("kiln.toml", KILN_TOML)
        a.kiln("user", "create", "--role", "admin", "root", input=PW + "\n")
        a.kiln("user", "create", "--role", "viewer", "vera", input=PW + "\n")
        a.p.write("models/user.toml", USER_API)
        make(a)
        rc, root, err = a.kiln("token", "create", "root")
        root = bearer(root.strip().splitlines()[-1])
        rc, vera, err = a.kiln("token", "create", "vera")
        vera = bearer(vera.strip().splitlines()[-1])
        with a.dev() as d:
            body = {"username": "bob", "email": "bob@example.org",
                    "name": "Bob", "password": PW, "karma": 3,
                    "staff": True, "superuser": True, "friends": [1]}
            is_problem(post(d, "/api/users", body), 401)
            is_problem(post(d, "/api/users", body, headers=vera), 403)
            r = post(d, "/api/users", body, headers=root)
            eq(r.status, 201, r.body[:400])
            u = r.json()
            eq((u["username"], u["email"], u["name"], u["karma"],
                u["staff"], u["superuser"], u["active"], u["friends"]),
               ("bob", "bob@example.org", "Bob", 3, False, False, True, [1]),
               "the new user (flags read-only)")
            check("password" not in u, "never returned: %s" % u)
            eq(r.header("Location"), "/api/users/%d" % u["id"], "Location")
            bob = u["id"]
            check(a.sql("SELECT password FROM kiln_user WHERE id = %d" % bob)
                  .startswith("$argon2id$"), "stored hashed")
            check(u["created"], "created stamped")
            # every failing rule at once
            r = post(d, "/api/users", {"password": "password1",
                                       "email": "not-an-email"}, headers=root)
            errs = is_problem(r, 422)
            got = sorted((e["pointer"], e["code"]) for e in errs["errors"])
            check(("/email", "invalid") in got or
                  any(p == "/email" for p, c in got), got)
            r = post(d, "/api/users", {"password": "password1"}, headers=root)
            got = sorted((e["pointer"], e["code"])
                         for e in is_problem(r, 422)["errors"])
            check(("/password", "too_common") in got and
                  ("/username", "required") in got, got)
            r = post(d, "/api/users", {"username": "nopw"}, headers=root)
            got = [e["pointer"] for e in is_problem(r, 422)["errors"]]
            check("/password" in got, got)
            r = post(d, "/api/users", {"username": "bad name",
                                       "password": PW}, headers=root)
            got = [e["pointer"] for e in is_problem(r, 422)["errors"]]
            eq(got, ["/username"], "the username's characters")
            r = post(d, "/api/users", {"username": "bob", "password": PW},
                     headers=root)
            check(r.status in (409, 422), "taken: %s" % r.body[:300])
            eq(a.sql("SELECT count(*) FROM kiln_user"), "3", "none made")
            # bob logs in with the password the API was given
            r = post(d, "/api/auth/login", {"login": "bob", "password": PW})
            eq(r.status, 200, "bob's login: %s" % r.body[:300])
            cookie = [("Cookie", "; ".join(
                "%s=%s" % kv for kv in cookies_of(r).items() if kv[1]))]
            eq(d.get("/api/auth/me", headers=cookie).status, 200, "session")
            rc, out, err = a.kiln("token", "create", "bob")
            btok = bearer(out.strip().splitlines()[-1])
            a.kiln("user", "roles", "bob", "add", "viewer")
            eq(d.get("/api/auth/me", headers=btok).status, 200, "token")
            # many field on the user: PATCH the links
            r = d.request("PATCH", "/api/users/%d" % bob, headers=root + [
                ("Content-Type", "application/merge-patch+json")],
                body=b'{"friends": [1, 2]}')
            eq(r.status, 200, r.body[:300])
            eq(sorted(d.get("/api/users/%d" % bob, headers=root)
                      .json()["friends"]), [1, 2], "links")
            # delete: the row, its sessions, tokens, roles and links
            eq(d.request("DELETE", "/api/users/%d" % bob,
                         headers=vera).status, 403, "a viewer cannot")
            r = d.request("DELETE", "/api/users/%d" % bob, headers=root)
            eq(r.status, 204, r.body[:300])
            for t in ("kiln_session", "kiln_token", "kiln_user_role"):
                eq(a.sql("SELECT count(*) FROM %s WHERE user_id = %d"
                         % (t, bob)), "0", t)
            eq(a.sql("SELECT count(*) FROM kiln_user WHERE id = %d" % bob),
               "0", "the row")
            eq(d.get("/api/auth/me", headers=cookie).status, 401,
               "the session ended")
            eq(d.get("/api/auth/me", headers=btok).status, 401,
               "the token ended")
            eq(d.request("DELETE", "/api/users/%d" % bob,
                         headers=root).status, 404, "gone")
            # the OpenAPI document says what the create takes
            doc = d.get("/api/openapi.json").json()
            body = doc["paths"]["/api/users"]["post"]["requestBody"]
            eq(body["content"]["application/json"]["schema"]["$ref"],
               "#/components/schemas/UserCreate", "the create's body")
            props = doc["components"]["schemas"]["UserCreate"]["properties"]
            check(props["password"].get("writeOnly") and "username" in props
                  and "karma" in props and "staff" not in props and
                  "id" not in props, props)
            check("password" not in doc["components"]["schemas"]["User"]
                  ["properties"], "never in the output")
        rc, out, err = a.kiln("types", "--out", "web")
        eq(rc, 0, err)
        ts = open(os.path.join(a.p.path("web"), "users.ts")).read()
        check('createCall<UserCreate, User>("/api/users")' in ts and
              "useCreateUser = createMutation(userKeys, createUser)" in ts,
              ts[:3000])
    finally:
        a.close()
test_the_users_api_creates_and_deletes_users.timeout = 180


def test_a_user_api_nothing_closes_is_warned_about():
    a = App()
    try:
        a.p.write("models/user.toml", 'extends = "kiln.user"\n[fields]\n'
                  'karma = { type = "integer", default = 0 }\n[api]\n'
                  'operations = ["list", "retrieve"]\n')
        make(a)
        with a.dev() as d:
            d.wait_output("the user's [api] (/api/users) is public")
            check("permissions = \"authenticated\"" in d.output(),
                  d.output()[-2000:])
        # closed by permissions: no warning
        a.p.write("models/user.toml", 'extends = "kiln.user"\n[fields]\n'
                  'karma = { type = "integer", default = 0 }\n[api]\n'
                  'operations = ["list", "retrieve"]\n'
                  'permissions = "authenticated"\n')
        with a.dev() as d:
            eq(d.get("/api/users").status, 401, "closed")
            check("is public" not in d.output(), d.output()[-2000:])
    finally:
        a.close()
test_a_user_api_nothing_closes_is_warned_about.timeout = 180


PAGE = """<a href="{{ url('login') }}">in</a>
<form action="{{ url('logout') }}"></form>
{{ url('api.auth.me') }} {{ url('api.auth.tokens.id', id=7) }}
{{ url('auth.oidc.login') }}
"""


def test_url_names_kilns_auth_routes():
    a = App()
    try:
        a.p.write("pages/index.html", PAGE)
        with a.dev() as d:
            r = d.get("/")
            eq(r.status, 200, r.body[:500])
            body = r.body.decode()
            body = body[body.index('<main id="content">') + 19:
                        body.index("</main>")]
            eq(body.strip(), "\n".join([
                '<a href="/login">in</a>',
                '<form action="/logout"></form>',
                "/api/auth/me /api/auth/tokens/7",
                "/auth/oidc/login"]), "the paths")
        # a misspelt name stops the build, with a suggestion
        a.p.write("pages/index.html", "{{ url('logni') }}")
        rc, out, err = a.kiln("build")
        check(rc != 0 and "no route named 'logni' (did you mean 'login'?)"
              in err, out + err)
        # the app's own route of that name wins
        a.p.write("pages/index.html", "{{ url('logout') }}")
        a.p.write("api/bye.c", '#include <kiln.h>\nKILN_NAME("logout");\n'
                  'KILN_POST(bye) { return kiln_redirect(c, 303, "/"); }\n')
        with a.dev() as d:
            r = d.get("/")
            eq(r.status, 200, r.body[:500])
            check("/api/bye" in r.body.decode(), r.body[-300:])
    finally:
        a.close()
test_url_names_kilns_auth_routes.timeout = 180
