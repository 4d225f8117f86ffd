"""Issue 13, the credential cache (docs/auth.md, "The credential cache"): a
repeated authenticated request asks no database (counted with
kiln_db_statements around kiln_user_current, in the app's own handler),
a session on a miss costs one query, and what must end a credential ends
it on the very next request: a revoked token, a deactivated user's
session and token, a logout. Two instances sharing the database: with
Redis pub/sub, a token revoked on one (or by `kiln token revoke`) is
refused by the other within moments; without it, within
auth.cache_seconds.

SQLite by default; the db-pg suite runs it again with KILN_TEST_DB_URL.
The project is built once (kiln build) and run as its release binary,
once per instance.
"""

import http.client
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

import harness
from harness import check, eq, t
from kilncli import Project, get_when_up, run

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

PW = "tr0ub4dor&3-stapler"

BASE = {
    "KILN_APP_SECRET_KEY": "c" * 20 + "s3cr3t-for-the-tests-only",
    "KILN_AUTH_HASH_OPSLIMIT": "1",
    "KILN_AUTH_HASH_MEMLIMIT": "16MiB",
    "KILN_AUTH_THROTTLE_ACCOUNT": "",
    "KILN_AUTH_THROTTLE_IP": "",
}

# who asks, and how many statements finding it out cost this request
PROBE = r"""#include <kiln.h>

KILN_GET(probe)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    uint64_t before = kiln_db_statements(db);
    const kiln_user *u = kiln_user_current(c);
    uint64_t n = kiln_db_statements(db) - before;
    return kiln_jsonf(c, 200, "{user:%lld, statements:%lld}",
                      (long long)(u ? u->id : 0), (long long)n);
}
"""

# an admin's page turning an account off: the app's own SQL, then the
# call that tells the credential cache (kiln/auth.h)
DEACTIVATE = r"""#include <kiln.h>

KILN_POST(deactivate)
{
    const kiln_user *me = kiln_user_current(c);
    if (!me || !me->superuser)
        return kiln_auth_challenge(c, NULL);
    int64_t id;
    if (kiln_query_i64(c, "user", &id) != 0)
        return kiln_problem(c, 422, "user=ID");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (kiln_db_exec(db, "UPDATE kiln_user SET active = $1 WHERE id = $2",
                     KILN_BOOL(false), KILN_INT(id)) < 0)
        return kiln_db_fail(c, db);
    kiln_auth_forget_user(id);
    return kiln_respond(c, 204, NULL, "", 0);
}
"""


class Built:
    """One project, migrated and built; users made by the CLI."""

    def __init__(self):
        self.p = Project()
        self.env = dict(BASE)
        base = os.environ.get("KILN_TEST_DB_URL")
        if base:
            import pg_server
            name = "authcache_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.env["KILN_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
        os.makedirs(self.p.path("migrations"), exist_ok=True)
        self.p.write("api/probe.c", PROBE)
        self.p.write("api/deactivate.c", DEACTIVATE)
        for cmd in (["migrate"], ["build"]):
            rc, out, err = self.kiln(*cmd, timeout=240)
            eq(rc, 0, "kiln %s: %s%s" % (cmd[0], out, err))
        self.kiln("user", "create", "--superuser", "root", input=PW + "\n")
        self.root_token = self.token("root")

    def kiln(self, *args, input=None, timeout=120, **settings):
        """The kiln command on the project, with extra settings."""
        env = dict(self.env)
        for k, v in settings.items():
            env["KILN_" + k.upper()] = str(v)
        return run(list(args), self.p.root, env=env, timeout=timeout,
                   input=input.encode() if input is not None else None)

    def user(self, name):
        """A new user; returns its id."""
        rc, out, err = self.kiln("user", "create", name, input=PW + "\n")
        eq(rc, 0, err)
        return int(out.split("(id ")[1].split(")")[0])

    def token(self, name):
        rc, out, err = self.kiln("token", "create", name)
        eq(rc, 0, err)
        return out.strip()


_built = None


def built():
    global _built
    if _built is None:
        _built = Built()
    return _built


class Instance:
    """The release binary on a port of its own, with extra settings."""

    def __init__(self, **settings):
        b = built()
        self.port = harness.free_port()
        env = dict(b.env)
        for k, v in settings.items():
            env["KILN_" + k.upper()] = str(v)
        self.log_path = os.path.join(b.p.parent, "app-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        from kilncli import env_for
        import subprocess
        self.proc = subprocess.Popen(
            [os.path.join(b.p.root, "dist", b.p.name), "--port",
             str(self.port), "--workers", "2", "--root", b.p.root],
            env=env_for(env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/api/auth/me")
        check(r is not None and r.status == 401, "the app answers")
        self.here = "127.0.0.1:%d" % self.port

    def call(self, method, target, headers=None, body=None):
        """(status, {lower name: [values]}, parsed JSON or None)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=t(10))
        try:
            c.request(method, target, body=body, headers=dict(headers or {}))
            r = c.getresponse()
            raw = r.read().decode("utf-8", "replace")
            hdrs = {}
            for k, v in r.getheaders():
                hdrs.setdefault(k.lower(), []).append(v)
            js = json.loads(raw) if "json" in r.getheader(
                "Content-Type", "") and raw else None
            return r.status, hdrs, js
        finally:
            c.close()

    def probe(self, headers):
        st, _, js = self.call("GET", "/api/probe", headers)
        eq(st, 200, "probe: %s" % js)
        return js["user"], js["statements"]

    def login(self, name):
        """A session of name: the headers that send its cookies, and the
        CSRF token."""
        st, hdrs, js = self.call(
            "POST", "/api/auth/login",
            {"Host": self.here, "Origin": "http://" + self.here,
             "Content-Type": "application/json"},
            json.dumps({"login": name, "password": PW}))
        eq(st, 200, "login: %s" % js)
        jar = {}
        for v in hdrs.get("set-cookie", []):
            first = v.split(";")[0]
            k, _, val = first.partition("=")
            jar[k.strip()] = val
        check(jar.get("kiln_session") and jar.get("kiln_csrf"), str(jar))
        cookie = {"Cookie": "kiln_session=%s; kiln_csrf=%s" % (
            jar["kiln_session"], jar["kiln_csrf"])}
        return cookie, jar["kiln_csrf"]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=t(10))
        except Exception:  # noqa: BLE001 - a stuck server is killed
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        with open(self.log_path, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        report = harness.sanitizer_report(out)
        check(not report, "sanitizer report from the app: %s" % report)
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def token_id(app, tok):
    """The id of tok, from its own listing (GET /api/auth/tokens)."""
    st, _, js = app.call("GET", "/api/auth/tokens", bearer(tok))
    eq(st, 200, "tokens: %s" % js)
    ids = [x["id"] for x in js if x["prefix"] == tok[5:13]]
    eq(len(ids), 1, "the token is listed")
    return ids[0]


def wait_refused(app, tok, limit):
    """Seconds until a request with tok is anonymous, failing past limit."""
    start = time.monotonic()
    while True:
        user, _ = app.probe(bearer(tok))
        if user == 0:
            return time.monotonic() - start
        check(time.monotonic() - start < limit,
              "the token is still accepted after %.1f s" % limit)
        time.sleep(0.02)


def test_repeated_requests_ask_no_database():
    b = built()
    uid = b.user("carol")
    tok = b.token("carol")
    with Instance() as app:
        # the first session loaded in a process also sweeps expired rows:
        # one before the measure
        warm, _ = app.login("carol")
        eq(app.probe(warm)[0], uid, "warm-up session")
        cookie, _ = app.login("carol")
        eq(app.probe(cookie), (uid, 1),
           "a session unknown to the cache: its row and its user, one query")
        for i in range(3):
            eq(app.probe(cookie), (uid, 0), "the session again (%d)" % i)
        user, n = app.probe(bearer(tok))
        check(user == uid and n >= 1, "a token unknown to the cache: %d" % n)
        for i in range(3):
            eq(app.probe(bearer(tok)), (uid, 0), "the token again (%d)" % i)
        # a wrong token is never served from the cache
        bad = tok[:-1] + ("a" if tok[-1] != "a" else "b")
        eq(app.probe(bearer(bad))[0], 0, "a wrong secret")
    # the same with the cache off: every request asks
    with Instance(auth_cache_seconds=0) as app:
        cookie, _ = app.login("carol")
        for i in range(3):
            user, n = app.probe(cookie)
            check(user == uid and n >= 1, "uncached session: %d" % n)
            user, n = app.probe(bearer(tok))
            check(user == uid and n >= 1, "uncached token: %d" % n)


def test_revoked_token_is_refused_on_the_next_request():
    b = built()
    uid = b.user("dave")
    keep, gone = b.token("dave"), b.token("dave")
    with Instance() as app:
        for tok in (keep, gone):
            app.probe(bearer(tok))
            eq(app.probe(bearer(tok)), (uid, 0), "cached")
        st, _, _ = app.call("DELETE", "/api/auth/tokens/%d" %
                            token_id(app, gone), bearer(keep))
        eq(st, 204, "revoked")
        eq(app.probe(bearer(gone))[0], 0, "the revoked token, at once")
        st, hdrs, _ = app.call("GET", "/api/auth/me", bearer(gone))
        eq(st, 401, "me")
        eq(hdrs["www-authenticate"], ['Bearer error="invalid_token"'],
           "the challenge")
        eq(app.probe(bearer(keep)), (uid, 0), "the other token stays cached")


def test_deactivated_user_is_refused_at_once():
    b = built()
    uid = b.user("erin")
    tok = b.token("erin")
    with Instance() as app:
        cookie, _ = app.login("erin")
        for h in (cookie, bearer(tok)):
            app.probe(h)
            eq(app.probe(h), (uid, 0), "cached")
        st, _, js = app.call("POST", "/api/deactivate?user=%d" % uid,
                             bearer(b.root_token))
        eq(st, 204, "deactivated: %s" % js)
        eq(app.probe(cookie)[0], 0, "the session, at once")
        eq(app.probe(bearer(tok))[0], 0, "the token, at once")
        eq(app.call("GET", "/api/auth/me", cookie)[0], 401, "me by session")


def test_logout_ends_the_session_at_once():
    b = built()
    uid = b.user("fay")
    with Instance() as app:
        cookie, csrf = app.login("fay")
        other, _ = app.login("fay")
        for h in (cookie, other):
            app.probe(h)
            eq(app.probe(h), (uid, 0), "cached")
        st, _, _ = app.call("POST", "/api/auth/logout", dict(
            cookie, **{"Host": app.here, "Origin": "http://" + app.here,
                       "X-CSRF-Token": csrf}))
        eq(st, 204, "logged out")
        eq(app.probe(cookie)[0], 0, "the old cookie, replayed at once")
        eq(app.probe(other), (uid, 0), "the user's other session stays")


def two_instances_with_pubsub(name, ps):
    """Two instances of one database and one pub/sub backend: a token
    revoked on one is refused by the other within a second, though
    auth.cache_seconds is 30."""
    b = built()
    uid = b.user(name)
    keep, probe_tok, gone = b.token(name), b.token(name), b.token(name)
    with Instance(**ps) as one, Instance(**ps) as two:
        for tok in (probe_tok, gone):
            two.probe(bearer(tok))
            eq(two.probe(bearer(tok)), (uid, 0), "cached on two")
        # the first revocation also shows two's subscription is up (it
        # connects to the backend after start): well before the 30 s of
        # auth.cache_seconds
        one.call("DELETE", "/api/auth/tokens/%d" %
                 token_id(one, probe_tok), bearer(keep))
        wait_refused(two, probe_tok, t(10))
        one.call("DELETE", "/api/auth/tokens/%d" % token_id(one, gone),
                 bearer(keep))
        took = wait_refused(two, gone, t(2))
        check(took < t(1), "refused by two after %.2f s" % took)
        eq(two.probe(bearer(keep))[0], uid, "the other token works")
        # the kiln command tells them too: a token revoked, a password set
        cli_gone, cli_user = b.token(name), b.token(name)
        for tok in (cli_gone, cli_user):
            two.probe(bearer(tok))
            eq(two.probe(bearer(tok)), (uid, 0), "cached on two")
        rc, out, err = b.kiln("token", "revoke",
                              str(token_id(one, cli_gone)), **ps)
        eq(rc, 0, out + err)
        check("warning" not in err, err)
        took = wait_refused(two, cli_gone, t(2))
        check(took < t(1), "kiln token revoke: refused after %.2f s" % took)
        eq(two.probe(bearer(cli_user))[0], uid, "another token works")
        rc, out, err = b.kiln("user", "set-password", name,
                              input="a-new-password-for-%s\n" % name, **ps)
        eq(rc, 0, out + err)
        check("warning" not in err, err)
        start = time.monotonic()
        while two.probe(bearer(cli_user))[1] == 0:  # still from the cache
            check(time.monotonic() - start < t(1),
                  "kiln user set-password: the user's credentials are "
                  "still cached after 1 s")
            time.sleep(0.02)
        # a deactivation reaches the other instance too
        st, _, _ = one.call("POST", "/api/deactivate?user=%d" % uid,
                            bearer(b.root_token))
        eq(st, 204, "deactivated on one")
        wait_refused(two, keep, t(2))


def test_two_instances_with_redis_pubsub():
    import redis_server
    if not shutil.which("redis-server"):
        raise harness.TestFailure("redis-server is not installed "
                                  "(scripts/deps.sh test)")
    folder = tempfile.mkdtemp(prefix="kiln-authcache-redis-")
    srv = redis_server.Redis(folder).start()
    try:
        two_instances_with_pubsub("gus", {"pubsub_backend": "redis",
                                          "pubsub_url": srv.url})
    finally:
        srv.close()


if os.environ.get("KILN_TEST_DB_URL"):
    def test_two_instances_with_postgres_pubsub():
        """The same through PostgreSQL's LISTEN/NOTIFY (db-pg suite)."""
        two_instances_with_pubsub("ida", {
            "pubsub_backend": "postgres",
            "pubsub_url": built().env["KILN_DATABASE_URL"]})


def test_two_instances_without_pubsub_within_cache_seconds():
    b = built()
    uid = b.user("hal")
    keep, gone = b.token("hal"), b.token("hal")
    with Instance(auth_cache_seconds=2) as one, \
            Instance(auth_cache_seconds=2) as two:
        two.probe(bearer(gone))
        eq(two.probe(bearer(gone)), (uid, 0), "cached on two")
        st, _, _ = one.call("DELETE", "/api/auth/tokens/%d" %
                            token_id(one, gone), bearer(keep))
        eq(st, 204, "revoked on one")
        eq(one.probe(bearer(gone))[0], 0, "one refuses it at once")
        took = wait_refused(two, gone, t(2) + 1.5)
        check(took <= t(2) + 1.5, "two: %.2f s" % took)


# the first test to run also migrates and builds the project
for _name, _fn in list(globals().items()):
    if _name.startswith("test_") and callable(_fn):
        _fn.timeout = 240
