"""Issue 13, users: the built-in user, kiln user / kiln token, password
login (JSON, form, the /login page), the time of an unknown login against a
wrong password, throttling, hash upgrades, API tokens and /api/auth/me, in a
project run by kiln dev. SQLite by default; the db-pg suite runs it again
with KILN_TEST_DB_URL (each test then makes a database of its own).
"""

import json
import os
import re
import sqlite3
import statistics
import sys
import time
import uuid

import harness
from harness import check, eq, t
from kilncli import Dev, Project, run

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

PW = "tr0ub4dor&3-stapler"

# cheap hashes for the tests (libsodium's INTERACTIVE costs ~50 ms a hash);
# throttling off unless a test sets it
BASE = {
    "KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests-only",
    "KILN_AUTH_HASH_OPSLIMIT": "1",
    "KILN_AUTH_HASH_MEMLIMIT": "16MiB",
    "KILN_AUTH_THROTTLE_ACCOUNT": "",
    "KILN_AUTH_THROTTLE_IP": "",
}


class App:
    """A fresh project with its own database, migrated."""

    def __init__(self):
        self.p = Project()
        self.env = dict(BASE)
        base = os.environ.get("KILN_TEST_DB_URL")
        self.pg = bool(base)
        if self.pg:
            import pg_server
            self.pg_server = pg_server
            name = "auth_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.url = base.rsplit("/", 1)[0] + "/" + name
            self.env["KILN_DATABASE_URL"] = self.url
        rc, out, err = self.kiln("migrate")
        check("applied  kiln: auth 1" in err, "migrate: " + out + err)

    def kiln(self, *args, input=None, env=None):
        e = dict(self.env)
        e.update(env or {})
        return run(list(args), self.p.root, env=e, timeout=120,
                   input=input.encode() if input is not None else None)

    def sql(self, query):
        """One value from the app's database (a write is committed)."""
        if self.pg:
            return self.pg_server.psql(self.url, query).strip()
        db = sqlite3.connect(os.path.join(self.p.root, "app.db"))
        try:
            row = db.execute(query).fetchone()
            db.commit()
            return "" if row is None or row[0] is None else str(row[0])
        finally:
            db.close()

    def dev(self, **env):
        e = dict(self.env)
        e.update(env)
        d = Dev(self.p, env=e)
        d.wait_for("/api/auth/me", lambda r: r.status == 401, "the app")
        return d

    def close(self):
        self.p.cleanup()


def post(d, target, body, ctype="application/json", headers=None):
    h = [("Content-Type", ctype)] + list(headers or [])
    if not isinstance(body, bytes):
        body = (json.dumps(body) if ctype == "application/json"
                else body).encode()
    return d.request("POST", target, headers=h, body=body)


def bearer(tok):
    return [("Authorization", "Bearer " + tok)]


def is_problem(r, status):
    eq(r.status, status, "status: %s" % r.body[:300])
    eq(r.header("Content-Type"), "application/problem+json", "problem type")
    return r.json()


def test_user_cli():
    a = App()
    try:
        rc, out, err = a.kiln("user", "create", "--superuser", "--email",
                              "Alice@Example.org", "--name", "Alice Liddell",
                              "alice", input=PW + "\n")
        eq((rc, out), (0, "user alice created (id 1, superuser)\n"), err)
        check(a.sql("SELECT password FROM kiln_user WHERE id = 1")
              .startswith("$argon2id$v=19$m=16384,t=1,"), "argon2id hash")
        # the policy: every failing rule said, nothing created
        rc, out, err = a.kiln("user", "create", "love", input="love\n")
        eq(rc, 1, "weak password")
        check("at least 8 characters" in err and "too common" in err and
              "differ from the username" in err, err)
        rc, out, err = a.kiln("user", "create", "carol", "--email",
                              "carol@example.org", input="carol@example.org\n")
        check(rc == 1 and "differ from the email" in err, err)
        rc, out, err = a.kiln("user", "create", "dave", input="Password1\n")
        check(rc == 1 and "too common" in err, err)
        # taken username, taken email (case-insensitively)
        rc, out, err = a.kiln("user", "create", "alice", input=PW + "\n")
        eq((rc, err), (1, "kiln user: a user with that username or email "
                          "exists already\n"), "taken")
        rc, out, err = a.kiln("user", "create", "alice2", "--email",
                              "alice@EXAMPLE.org", input=PW + "\n")
        eq(rc, 1, "taken email")
        # usage errors: one line, status 2
        for args, msg in ((["user"], "which one"),
                          (["user", "craete", "x"], "did you mean 'create'"),
                          (["user", "create"], "create needs a USERNAME"),
                          (["user", "list", "--expires", "3d"], "--expires"),
                          (["token", "create", "alice", "--expires", "soon"],
                           "--expires 'soon'")):
            rc, out, err = a.kiln(*args)
            eq(rc, 2, "%s: status (%s)" % (args, err))
            check(msg in err and err.count("\n") == 1, err)
        rc, out, err = a.kiln("user", "create", "bad name", input=PW + "\n")
        check(rc == 1 and "letters, digits and @.+-_" in err, err)
        rc, out, err = a.kiln("user", "--help")
        check(rc == 0 and out.startswith("usage: kiln user create"), out)
        rc, out, err = a.kiln("user", "create", "--staff", "bob",
                              input="another-good-one\n")
        eq(rc, 0, err)
        rc, out, err = a.kiln("user", "list")
        eq(rc, 0, err)
        check(re.search(r"^1 +alice +Alice@Example.org +super +- +-$", out,
                        re.M), out)
        # (PostgreSQL's sequence moved on at the refused inserts)
        check(re.search(r"^\d+ +bob +- +staff ", out, re.M), out)
        check(out.endswith("2 users\n"), out)
        # set-password
        old = a.sql("SELECT password FROM kiln_user WHERE username = 'bob'")
        bob = a.sql("SELECT id FROM kiln_user WHERE username = 'bob'")
        for sid in ("s1", "s2"):  # two sessions of bob's: ended with it
            a.sql("INSERT INTO kiln_session (id_hash, user_id, csrf_secret, "
                  "created_at, last_seen, expires_at) VALUES ('%s', %s, 'x', "
                  "1, 1, 9999999999999)" % (sid, bob))
        rc, out, err = a.kiln("user", "set-password", "bob",
                              input="a-new-password-9\n")
        eq((rc, out), (0, "password of bob changed; 2 sessions ended\n"), err)
        eq(a.sql("SELECT count(*) FROM kiln_session WHERE user_id = %s" % bob),
           "0", "bob's sessions are gone")
        check(a.sql("SELECT password FROM kiln_user WHERE username = 'bob'")
              != old, "hash changed")
        rc, out, err = a.kiln("user", "set-password", "nobody",
                              input="a-new-password-9\n")
        eq((rc, err), (1, "kiln user: no user 'nobody' (kiln user list shows "
                          "them)\n"), "unknown user")
    finally:
        a.close()
test_user_cli.timeout = 180


def test_user_roles_cli():
    """kiln user create --role, kiln user roles USERNAME [add|remove ROLE...]:
    roles checked against kiln.toml's [roles], shown by kiln user list and
    granted at once (GET /api/auth/me)."""
    a = App()
    try:
        rc, out, err = a.kiln("user", "create", "--role", "editor", "ed",
                              input=PW + "\n")
        eq((rc, err), (1, "kiln user: role 'editor': kiln.toml declares no "
                          "[roles]\n"), "no [roles] yet")
        eq(a.sql("SELECT count(*) FROM kiln_user"), "0", "nothing created")
        a.p.write("kiln.toml", a.p.read("kiln.toml") +
                  '\n[roles]\nviewer = ["*.view"]\neditor = ["*.view"]\n'
                  'admin = ["*"]\n')
        rc, out, err = a.kiln("user", "create", "--role", "editr", "ed",
                              input=PW + "\n")
        eq((rc, err), (1, "kiln user: unknown role 'editr' (did you mean "
                          "'editor'?)\n"), "a typo")
        rc, out, err = a.kiln("user", "create", "--role", "zzzzzz", "ed",
                              input=PW + "\n")
        eq((rc, err), (1, "kiln user: unknown role 'zzzzzz': [roles] declares "
                          "viewer, editor, admin\n"), "no near one")
        eq(a.sql("SELECT count(*) FROM kiln_user"), "0", "nothing created")
        rc, out, err = a.kiln("user", "create", "--role", "editor", "--role",
                              "viewer", "ed", input=PW + "\n")
        eq((rc, out), (0, "user ed created (id 1)\n"
                          "roles of ed: editor, viewer\n"), err)
        rc, out, err = a.kiln("user", "roles", "ed")
        eq((rc, out), (0, "roles of ed: editor, viewer\n"), err)
        rc, out, err = a.kiln("user", "roles", "ed", "remove", "viewer")
        eq((rc, out), (0, "roles of ed: editor\n"), err)
        rc, out, err = a.kiln("user", "roles", "ed", "add", "admin", "editor")
        eq((rc, out), (0, "roles of ed: admin, editor\n"), "add twice: " + err)
        rc, out, err = a.kiln("user", "roles", "ed", "add", "viewer", "amdin")
        eq((rc, err), (1, "kiln user: unknown role 'amdin' (did you mean "
                          "'admin'?)\n"), "checked before anything is written")
        rc, out, err = a.kiln("user", "roles", "ed", "remove", "viewer")
        eq((rc, err), (1, "kiln user: ed does not hold the role 'viewer'\n"),
           "")
        # a role the user holds but [roles] no longer declares still goes
        if a.pg:
            a.pg_server.psql(a.url, "INSERT INTO kiln_user_role VALUES "
                                    "(1, 'old')")
        else:
            db = sqlite3.connect(os.path.join(a.p.root, "app.db"))
            db.execute("INSERT INTO kiln_user_role VALUES (1, 'old')")
            db.commit()
            db.close()
        rc, out, err = a.kiln("user", "list")
        check(re.search(r"^1 +ed +- +- +- +admin,editor,old$", out, re.M),
              out)
        rc, out, err = a.kiln("user", "roles", "ed", "remove", "old")
        eq((rc, out), (0, "roles of ed: admin, editor\n"), err)
        for args, msg in ((["user", "roles"], "roles needs a USERNAME"),
                          (["user", "roles", "ed", "add"], "add needs a ROLE"),
                          (["user", "roles", "ed", "ad", "x"],
                           "did you mean 'add'"),
                          (["user", "list", "--role", "admin"], "--role"),
                          (["user", "create", "--role"], "--role needs a")):
            rc, out, err = a.kiln(*args)
            eq(rc, 2, "%s: status (%s)" % (args, err))
            check(msg in err and err.count("\n") == 1, err)
        rc, out, err = a.kiln("user", "roles", "nobody")
        eq(rc, 1, "unknown user: " + err)
        # the roles count at once: ed's permissions through the API
        d = a.dev()
        try:
            r = post(d, "/api/auth/login", {"login": "ed", "password": PW})
            eq(r.status, 200, r.body)
            eq(sorted(r.json()["roles"]), ["admin", "editor"], r.body)
        finally:
            d.stop()
    finally:
        a.close()
test_user_roles_cli.timeout = 180


def test_login_and_me():
    a = App()
    try:
        a.kiln("user", "create", "--email", "alice@example.org", "--name",
               "Alice", "alice", input=PW + "\n")
        with a.dev() as d:
            r = d.get("/api/auth/me")
            p = is_problem(r, 401)
            eq(r.header("WWW-Authenticate"), "Bearer", "challenge")
            eq(p["detail"], "authentication is required", "detail")
            # JSON, by username then by email (any case)
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            eq(r.status, 200, r.body[:300])
            eq(r.header("Cache-Control"), "no-store", "no-store")
            u = r.json()
            eq((u["id"], u["username"], u["email"], u["name"], u["roles"],
                u["permissions"]), (1, "alice", "alice@example.org", "Alice",
                                    [], []), "user")
            check(u["last_login"] is not None, "last_login set")
            r = post(d, "/api/auth/login", {"login": "ALICE@example.org",
                                            "password": PW})
            eq(r.status, 200, "by email")
            # a form body
            r = post(d, "/api/auth/login", "login=alice&password=" +
                     PW.replace("&", "%26"),
                     "application/x-www-form-urlencoded")
            eq(r.status, 200, "form: %s" % r.body[:300])
            # wrong password and unknown login: the same answer
            r1 = post(d, "/api/auth/login", {"login": "alice",
                                             "password": "wrong-one"})
            r2 = post(d, "/api/auth/login", {"login": "nobody",
                                             "password": "wrong-one"})
            p1, p2 = is_problem(r1, 401), is_problem(r2, 401)
            eq(p1["detail"], p2["detail"], "same detail")
            eq(p1["detail"], "the login or the password is wrong", "detail")
            # missing fields: 422 with a pointer each
            r = post(d, "/api/auth/login", {"login": ""})
            p = is_problem(r, 422)
            eq(sorted(e["pointer"] for e in p["errors"]),
               ["/login", "/password"], "pointers")
            r = post(d, "/api/auth/login", b"[1,2]")
            eq(is_problem(r, 422)["errors"][0]["code"], "invalid_json", "json")
            # logout answers 204
            r = post(d, "/api/auth/logout", {})
            eq(r.status, 204, "logout")
    finally:
        a.close()
test_login_and_me.timeout = 180


def test_login_page():
    a = App()
    try:
        a.kiln("user", "create", "alice", input=PW + "\n")
        with a.dev() as d:
            r = d.get("/login?next=/tasks%3Fpage%3D2")
            eq(r.status, 200, "page")
            body = r.body.decode()
            check('<form method="post" action="/login">' in body and
                  'name="next" value="/tasks?page=2"' in body, body)
            form = "application/x-www-form-urlencoded"
            pw = PW.replace("&", "%26")
            r = post(d, "/login", "login=alice&password=" + pw +
                     "&next=/tasks", form)
            eq((r.status, r.header("Location")), (303, "/tasks"), "next")
            # another site, a scheme-relative URL, a backslash: "/" instead
            for nxt in ("https://evil.example/", "//evil.example/x",
                        "/%5Cevil.example"):
                r = post(d, "/login", "login=alice&password=" + pw +
                         "&next=" + nxt, form)
                eq((r.status, r.header("Location")), (303, "/"), nxt)
            r = post(d, "/login", "login=alice&password=nope&next=/tasks",
                     form)
            eq(r.status, 200, "wrong password: the page again")
            body = r.body.decode()
            check("The username or the password is wrong." in body and
                  'value="alice"' in body and 'value="/tasks"' in body, body)
            # an app's own pages/login.html replaces the page
            a.p.write("pages/login.html", "<h1>Our own login</h1>\n")
            d.wait_for("/login", lambda r: b"Our own login" in r.body,
                       "the app's login page")
            rc, out, err = a.kiln("routes")
            check(re.search(r"^GET +/login +\S+ +pages/login.html$", out,
                            re.M), out)
    finally:
        a.close()
test_login_page.timeout = 180


def test_unknown_login_takes_as_long_as_a_wrong_password():
    a = App()
    try:
        # a cost where the hash dominates: 2 passes over 32 MiB
        env = {"KILN_AUTH_HASH_OPSLIMIT": "2",
               "KILN_AUTH_HASH_MEMLIMIT": "32MiB"}
        a.kiln("user", "create", "alice", input=PW + "\n", env=env)
        with a.dev(**env) as d:
            def timed(login):
                start = time.perf_counter()
                r = post(d, "/api/auth/login", {"login": login,
                                                "password": "not-it-at-all"})
                eq(r.status, 401, "refused")
                return time.perf_counter() - start
            timed("alice")
            timed("nobody")  # warm: both paths have run once

            def medians():
                wrong, unknown = [], []
                for _ in range(20):  # interleaved: load hits both alike
                    wrong.append(timed("alice"))
                    unknown.append(timed("nobody-" + uuid.uuid4().hex[:6]))
                return statistics.median(wrong), statistics.median(unknown)

            # the hash is most of it: an unknown login that skipped it
            # would answer in a fraction of the time, every round. The
            # machine is shared: a round spoiled by another process's burst
            # is measured once more before it counts as a failure.
            rounds = []
            for _ in range(2):
                mw, mu = medians()
                rounds.append("wrong %.1f ms, unknown %.1f ms" %
                              (mw * 1000, mu * 1000))
                if abs(mw - mu) <= 0.25 * max(mw, mu) + 0.003:
                    break
            else:
                check(False, "medians: " + "; ".join(rounds))
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            eq(r.status, 200, "right password")
    finally:
        a.close()
test_unknown_login_takes_as_long_as_a_wrong_password.timeout = 240


def test_throttling_and_hash_upgrade():
    a = App()
    try:
        a.kiln("user", "create", "alice", input=PW + "\n")
        a.kiln("user", "create", "bob", input=PW + "\n")
        old = a.sql("SELECT password FROM kiln_user WHERE username = 'alice'")
        check("$m=16384,t=1," in old, old)
        env = {"KILN_AUTH_HASH_OPSLIMIT": "2",
               "KILN_AUTH_THROTTLE_ACCOUNT": "1/min burst 3",
               "KILN_AUTH_THROTTLE_IP": "1/min burst 6"}
        with a.dev(**env) as d:
            # the cost went up: the next login stores a new hash
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            eq(r.status, 200, "login")
            new = a.sql("SELECT password FROM kiln_user WHERE username = "
                        "'alice'")
            check("$m=16384,t=2," in new and new != old, new)
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            eq(r.status, 200, "login with the new hash")
            eq(a.sql("SELECT password FROM kiln_user WHERE username = "
                     "'alice'"), new, "no second upgrade")
            # two failures, then a success: the account's bucket is full
            # again (the address's is not: 2 of its 6 are gone)
            for _ in range(2):
                r = post(d, "/api/auth/login", {"login": "alice",
                                                "password": "wrong-one"})
                eq(r.status, 401, "a failure")
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            eq(r.status, 200, "a success resets the account's bucket")
            # three failures empty alice's bucket
            for _ in range(3):
                r = post(d, "/api/auth/login", {"login": "Alice",
                                                "password": "wrong-one"})
                eq(r.status, 401, "a failure")
            # then even the right password is refused, without a hash
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW})
            p = is_problem(r, 429)
            retry = int(r.header("Retry-After"))
            check(1 <= retry <= 60, "Retry-After %s" % retry)
            check("too many failed logins" in p["detail"], p["detail"])
            # another account from the same address still may (its own
            # bucket), until the address's bucket is empty too
            r = post(d, "/api/auth/login", {"login": "bob", "password": PW})
            eq(r.status, 200, "bob")
            post(d, "/api/auth/login", {"login": "x" + uuid.uuid4().hex,
                                        "password": "wrong"})
            r = post(d, "/api/auth/login", {"login": "bob", "password": PW})
            is_problem(r, 429)
            check(r.header("Retry-After"), "Retry-After")
            # the page says it too
            r = post(d, "/login", "login=bob&password=x",
                     "application/x-www-form-urlencoded")
            eq(r.status, 429, "page throttled")
            check(b"Too many failed attempts" in r.body, r.body[:300])
    finally:
        a.close()
test_throttling_and_hash_upgrade.timeout = 180


WHOAMI = r"""#include <kiln.h>

/* the public API: who is asking, and how */
KILN_GET(whoami)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_auth_challenge(c, NULL);
    static const char *const via[] = {"anon", "session", "token", "jwt"};
    return kiln_jsonf(c, 200, "{id:%lld, via:%s, admin:%b}", (long long)u->id,
                      via[kiln_auth_via_of(c)],
                      kiln_user_has_role(u, "admin"));
}
"""


def test_tokens():
    a = App()
    try:
        a.p.write("api/whoami.c", WHOAMI)
        a.kiln("user", "create", "alice", input=PW + "\n")
        a.kiln("user", "create", "bob", input=PW + "\n")
        rc, tok, err = a.kiln("token", "create", "alice", "--name", "ci",
                              "--expires", "30d")
        eq(rc, 0, err)
        tok = tok.strip()
        check(re.fullmatch(r"kiln_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}", tok), tok)
        check("shown this once" in err, err)
        # stored hashed: neither the token nor its secret is in the table
        eq(a.sql("SELECT count(*) FROM kiln_token WHERE hash LIKE '%%%s%%' "
                 "OR prefix = '%s'" % (tok[14:30], tok)), "0", "hashed")
        rc, out, err = a.kiln("token", "list")
        check(re.search(r"^1 +1 +%s +\S+ \S+ +\S+ \S+ +- +ci$" % tok[:13],
                        out, re.M), out)
        check(tok[14:] not in out, "the secret is never listed")
        # a second's credential cache: what the CLI changes (another
        # process, no pub/sub backend) is seen within it
        with a.dev(KILN_AUTH_CACHE_SECONDS="1") as d:
            r = d.get("/api/auth/me", headers=bearer(tok))
            eq(r.status, 200, r.body[:300])
            eq(r.json()["username"], "alice", "me")
            r = d.get("/api/whoami", headers=bearer(tok))
            eq(r.json(), {"id": 1, "via": "token", "admin": False},
               "an app's handler")
            r = d.get("/api/whoami", headers=bearer(tok[:-1]))
            eq(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"',
               "kiln_auth_challenge")
            check(a.sql("SELECT last_used FROM kiln_token WHERE id = 1"),
                  "last_used written")
            # a wrong secret, a malformed header, another scheme's junk
            bad = tok[:-1] + ("a" if tok[-1] != "a" else "b")
            for h in (bearer(bad), bearer("kiln_short"),
                      [("Authorization", "Bearer")],
                      bearer("eyJhbGciOiJub25lIn0.e30.")):
                r = d.get("/api/auth/me", headers=h)
                p = is_problem(r, 401)
                eq(r.header("WWW-Authenticate"),
                   'Bearer error="invalid_token"', "challenge %s" % h)
            # the API: create (shown once), list, revoke
            r = post(d, "/api/auth/tokens", {"name": "deploy",
                                             "expires_in": "1h"},
                     headers=bearer(tok))
            eq(r.status, 201, r.body[:300])
            made = r.json()
            check(re.fullmatch(r"kiln_[0-9A-Za-z]{8}_[0-9A-Za-z]{40}",
                               made["token"]), made)
            eq(made["prefix"], made["token"][5:13], "prefix")
            check(made["expires"], "expires")
            r = d.get("/api/auth/tokens", headers=bearer(made["token"]))
            eq(r.status, 200, r.body[:300])
            listed = r.json()
            eq([x["name"] for x in listed], ["ci", "deploy"], "listed")
            check(all("token" not in x for x in listed), "never listed again")
            r = post(d, "/api/auth/tokens", {"expires_in": "soon"},
                     headers=bearer(tok))
            eq(is_problem(r, 422)["errors"][0]["pointer"], "/expires_in",
               "bad expiry")
            r = d.get("/api/auth/tokens")
            is_problem(r, 401)
            # bob cannot revoke alice's token
            rc, btok, err = a.kiln("token", "create", "bob")
            r = d.request("DELETE", "/api/auth/tokens/%d" % made["id"],
                          headers=bearer(btok.strip()))
            is_problem(r, 404)
            r = d.request("DELETE", "/api/auth/tokens/%d" % made["id"],
                          headers=bearer(tok))
            eq(r.status, 204, "revoked")
            r = d.get("/api/auth/me", headers=bearer(made["token"]))
            is_problem(r, 401)
            eq(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"',
               "revoked token")
            # revoked by the CLI: refused once the cached copy is older
            # than auth.cache_seconds (docs/auth.md)
            rc, out, err = a.kiln("token", "revoke", "1")
            eq((rc, out), (0, "token 1 revoked\n"), err)
            revoked = time.monotonic()
            r = d.wait_for("/api/auth/me", lambda r: r.status == 401,
                           "the CLI's revocation", headers=bearer(tok))
            check(time.monotonic() - revoked < t(1.5),
                  "refused within auth.cache_seconds")
            is_problem(r, 401)
            rc, out, err = a.kiln("token", "revoke", "1")
            eq((rc, err), (1, "kiln token: no live token 1 (kiln token "
                              "list)\n"), "twice")
            rc, short, err = a.kiln("token", "create", "alice", "--expires",
                                    "1s")
            time.sleep(1.2)
            r = d.get("/api/auth/me", headers=bearer(short.strip()))
            is_problem(r, 401)
            eq(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"',
               "expired token")
            rc, out, err = a.kiln("token", "list", "alice")
            check("revoked" in out and "expired" in out, out)
    finally:
        a.close()
test_tokens.timeout = 180


TASK = """[fields]
title = "string:200"
owner = "ref:user"
assignee = { type = "ref", to = "user", optional = true, on_delete = "set_null" }

[api]
operations = ["all"]
expand = ["owner", "assignee"]
filters = ["assignee"]
"""


def test_models_refer_to_the_user():
    a = App()
    try:
        a.p.write("models/task.toml", TASK)
        rc, out, err = a.kiln("migrate", "--make")
        eq(rc, 0, "make: " + out + err)
        text = a.p.read("migrations/0001_init.toml")
        check('owner = "ref:user"' in text and "kiln_user" not in text and
              'create_model = "user"' not in text, text)
        rc, out, err = a.kiln("migrate", "--sql", "1")
        check(re.search(r"owner_id (INTEGER|bigint) NOT NULL (CONSTRAINT \w+ "
                        r")?REFERENCES kiln_user ?\(id\)", out), out)
        rc, out, err = a.kiln("migrate")
        eq(rc, 0, "migrate: " + err)
        rc, out, err = a.kiln("migrate", "--make", "--check")
        check("no changes" in out, out + err)
        a.kiln("user", "create", "--name", "Alice", "alice",
               input=PW + "\n")
        rc, out, err = a.kiln("routes")
        for row in (["POST", "/api/auth/login", "api.auth.login", "(kiln",
                     "auth)"],
                    ["GET", "/api/auth/me", "api.auth.me", "(kiln", "auth)"],
                    ["GET", "/login", "login", "(kiln", "auth)"]):
            check(row in [line.split() for line in out.splitlines()], out)
        with a.dev() as d:
            r = post(d, "/api/tasks", {"title": "x", "owner": 1})
            eq(r.status, 201, r.body[:300])
            r = post(d, "/api/tasks", {"title": "y", "owner": 42})
            p = is_problem(r, 422)
            eq((p["errors"][0]["pointer"], p["errors"][0]["code"]),
               ("/owner", "does_not_exist"), "no such user")
            r = d.get("/api/tasks?expand=owner")
            eq(r.status, 200, r.body[:300])
            owner = r.json()["items"][0]["owner"]
            eq((owner["id"], owner["username"], owner["name"]),
               (1, "alice", "Alice"), "expanded")
            check("password" not in owner, "no hash in the API")
            doc = d.get("/api/openapi.json").json()
            user = doc["components"]["schemas"]["User"]
            check("username" in user["properties"] and
                  "password" not in user["properties"], user)
    finally:
        a.close()
test_models_refer_to_the_user.timeout = 180


def cookies_of(r):
    """{name: value} of the response's Set-Cookie fields (dropped: None)."""
    out = {}
    for v in r.header_all("Set-Cookie"):
        first, _, attrs = v.partition(";")
        name, _, value = first.partition("=")
        out[name.strip()] = None if "Max-Age=0" in attrs else value
    return out


def test_login_makes_a_session_and_logout_ends_it():
    a = App()
    try:
        a.kiln("user", "create", "--name", "Alice", "alice", input=PW + "\n")
        with a.dev() as d:
            here = "127.0.0.1:%d" % d.port
            origin = [("Host", here), ("Origin", "http://" + here)]
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW},
                     headers=origin)
            eq(r.status, 200, r.body[:300])
            jar = {k: v for k, v in cookies_of(r).items() if v}
            check("kiln_session" in jar and "kiln_csrf" in jar, jar)
            cookie = [("Cookie", "; ".join("%s=%s" % kv
                                           for kv in jar.items()))]
            r = d.get("/api/auth/me", headers=cookie)
            eq(r.status, 200, r.body[:300])
            eq(r.json()["username"], "alice", "me by the session")
            # a bad bearer is judged alone: no fall-back to the cookie
            r = d.get("/api/auth/me", headers=cookie + bearer("kiln_nope"))
            is_problem(r, 401)
            eq(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"',
               "bearer first")
            # a login from another site's page is refused (login CSRF)
            r = post(d, "/api/auth/login", {"login": "alice", "password": PW},
                     headers=[("Host", here),
                              ("Origin", "http://evil.example")])
            eq(r.status, 403, "foreign origin: %s" % r.body[:200])
            # logout needs the CSRF token with the cookie, then ends it
            r = post(d, "/api/auth/logout", {}, headers=cookie + origin)
            eq(r.status, 403, "logout without the token")
            r = post(d, "/api/auth/logout", {}, headers=cookie + origin + [
                ("X-CSRF-Token", jar["kiln_csrf"])])
            eq(r.status, 204, r.body[:200])
            r = d.get("/api/auth/me", headers=cookie)
            is_problem(r, 401)
            # the page: a new session id at login, the cookie works
            r = d.get("/login")
            pre = cookies_of(r).get("kiln_session")
            m = re.search(r'name="csrf_token" value="([^"]+)"',
                          r.body.decode())
            check(pre and m, "an anonymous session and its token: %s" %
                  r.body[:400])
            r = post(d, "/login", "login=alice&password=%s&csrf_token=%s" % (
                PW.replace("&", "%26"), m.group(1)),
                "application/x-www-form-urlencoded",
                headers=origin + [("Cookie", "kiln_session=" + pre)])
            eq(r.status, 303, r.body[:300])
            sid = cookies_of(r).get("kiln_session")
            check(sid and sid != pre, "the id changes at login")
            r = d.get("/api/auth/me",
                      headers=[("Cookie", "kiln_session=" + sid)])
            eq(r.json()["name"], "Alice", "me after the page's login")
    finally:
        a.close()
test_login_makes_a_session_and_logout_ends_it.timeout = 180
