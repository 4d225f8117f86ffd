"""OIDC bearer tokens against a real identity provider: the npm package
oidc-provider (tests/oidc/provider.mjs, installed by `npm ci` from its lock
file) on 127.0.0.1 as the issuer of tests/blackbox/apps/oidc. Discovery and
JWKS at start-up; a client-credentials token and user tokens accepted; the
user created on its first token and synced when its email and roles
change; refused tokens (garbage, alg none, tampered, wrong audience) are
401 with the Bearer challenge and cost no key fetch; a jku header is never
followed; key rotation picked up by one refetch; a burst of unknown kids
costs at most one fetch per cooldown; with the issuer down, cached keys
keep working and unknown kids fail fast.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin
from origin import Origin

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "apps", "oidc")
IDP_DIR = os.path.join(os.path.dirname(HERE), "oidc")
AUD = "https://api.kiln.test"


def npm_ci():
    """`npm ci` in tests/oidc unless its node_modules has its lock file's."""
    harness.npm_ci(IDP_DIR)


class IdP:
    """tests/oidc/provider.mjs on a port, with its state in a folder; env:
    the provider's environment (redirect URIs, token lifetime)."""

    def __init__(self, env=None):
        self.env = env or {}
        self.dir = tempfile.mkdtemp(prefix="kiln-idp-")
        self.port = harness.free_port()
        self.issuer = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.accounts({"alice": {"email": "alice@example.com",
                                 "name": "Alice",
                                 "roles": ["kc-editor", "kc-unmapped"]}})

    def accounts(self, a):
        p = os.path.join(self.dir, "accounts.json")
        with open(p + ".tmp", "w") as f:
            json.dump(a, f)
        os.replace(p + ".tmp", p)

    def start(self, rotate=False, max_age=0, delay_ms=0):
        args = ["node", os.path.join(IDP_DIR, "provider.mjs"), str(self.port),
                self.dir] + (["--rotate"] if rotate else []) + (
                    ["--jwks-max-age", str(max_age)] if max_age else []) + (
                    ["--jwks-delay", str(delay_ms)] if delay_ms else [])
        self.log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=self.log,
                                     env=dict(os.environ, **self.env))
        line = self.proc.stdout.readline()
        eq(line.strip(), b"ready", "the provider starts")
        return self

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc.stdout.close()
            self.log.close()
            self.proc = None

    def get(self, path):
        with urllib.request.urlopen(self.issuer + path, timeout=10) as r:
            return json.loads(r.read())

    def post(self, path, body, headers=None, data=None):
        req = urllib.request.Request(
            self.issuer + path,
            data=data if data is not None else json.dumps(body).encode(),
            headers=headers or {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def token(self, sub="alice", **q):
        qs = "&".join("%s=%s" % kv for kv in dict(sub=sub, **q).items())
        return self.get("/test/token?" + qs)["access_token"]

    def client_credentials(self):
        basic = base64.b64encode(b"kiln-app:kiln-secret").decode()
        return self.post("/token", None, data=(
            "grant_type=client_credentials&scope=api&resource=" + AUD).encode(),
            headers={"Authorization": "Basic " + basic,
                     "Content-Type": "application/x-www-form-urlencoded"}
        )["access_token"]

    def sign(self, header, payload):
        return self.post("/test/sign", {"header": header,
                                        "payload": payload})["token"]

    def jwks_hits(self):
        return self.get("/test/stats")["jwks"]

    def claims(self, sub="alice", **extra):
        now = int(time.time())
        c = {"iss": self.issuer, "sub": sub, "aud": AUD, "iat": now,
             "exp": now + 600}
        c.update(extra)
        return c

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class App:
    """tests/blackbox/apps/oidc built in a temporary copy and running."""

    def __init__(self, idp, env=None, port=None):
        self.port = port or harness.free_port()
        self.parent = tempfile.mkdtemp(prefix="kiln-oidc-")
        self.root = os.path.join(self.parent, "oidcapp")
        shutil.copytree(APP, self.root)
        self.env = {"KILN_APP_SECRET_KEY": "k" * 20 + "s3cr3t-for-the-tests",
                    "KILN_AUTH_OIDC_ISSUER": idp.issuer}
        self.env.update(env or {})
        self.proc = None

    def kiln(self, *args):
        p = subprocess.run([kiln_bin()] + list(args), cwd=self.root,
                           env=env_for(self.env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(180))
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def start(self):
        for cmd in (["migrate"], ["build"]):
            rc, out, err = self.kiln(*cmd)
            eq(rc, 0, "kiln %s: %s%s" % (" ".join(cmd), out, err))
        # every write to a user or its roles leaves a row in user_writes
        self.sql("CREATE TABLE user_writes (what TEXT);"
                 "CREATE TRIGGER uw1 AFTER UPDATE ON kiln_user BEGIN "
                 "INSERT INTO user_writes VALUES ('update'); END;"
                 "CREATE TRIGGER uw2 AFTER INSERT ON kiln_user_role BEGIN "
                 "INSERT INTO user_writes VALUES ('role+'); END;"
                 "CREATE TRIGGER uw3 AFTER DELETE ON kiln_user_role BEGIN "
                 "INSERT INTO user_writes VALUES ('role-'); END;")
        self.logpath = os.path.join(self.parent, "app.log")
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "oidcapp"), "--port",
             str(self.port), "--workers", "2", "--root", self.root],
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/api/hello")
        check(r is not None and r.status == 401, "the app answers: %r" % r)
        return self

    def sql(self, text):
        p = subprocess.run(["sqlite3", os.path.join(self.root, "app.db"), text],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=t(20))
        eq(p.returncode, 0, "sqlite3: %s" % p.stderr.decode())
        return p.stdout.decode().strip()

    def writes(self):
        return int(self.sql("SELECT count(*) FROM user_writes"))

    def call(self, target, token=None):
        h = {"Authorization": "Bearer " + token} if token is not None else {}
        c = harness.Conn(self.port, timeout=t(10))
        try:
            c.send(harness.build_request("GET", target, headers=h))
            return c.read_response()
        finally:
            c.close()

    def me(self, token):
        return self.call("/api/auth/me", token)

    def logtext(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=t(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()
            self.proc = None
            report = harness.sanitizer_report(self.logtext())
            shutil.rmtree(self.parent, ignore_errors=True)
            if report:
                raise harness.TestFailure("sanitizer report from the app: "
                                          + report)
        shutil.rmtree(self.parent, ignore_errors=True)


_idp = None
_app = None


def setup():
    global _idp, _app
    if _app is None:
        npm_ci()
        _idp = IdP().start()
        _app = App(_idp).start()
    return _idp, _app


def refused(r, what):
    eq(r.status, 401, what)
    check((r.header("WWW-Authenticate") or "").startswith(
        'Bearer error="invalid_token"'), "%s: the challenge: %r" % (
        what, r.header("WWW-Authenticate")))
    eq(r.header("Content-Type"), "application/problem+json", what)


def b64(obj):
    raw = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_discovery_and_a_client_credentials_token():
    idp, app = setup()
    eq(idp.jwks_hits(), 1, "the keys fetched once, at start-up")
    r = app.me(idp.client_credentials())
    eq(r.status, 200, "a real token from the token endpoint: %s" % r.text())
    me = r.json()
    eq(me["issuer"], idp.issuer, "issuer")
    r = app.call("/api/hello", idp.client_credentials())
    eq(r.json()["hello"], "kiln-app", "sub: the client")
    eq(r.json()["via"], 3, "KILN_AUTH_JWT")
    eq(idp.jwks_hits(), 1, "no fetch per token")
    r = app.call("/api/hello")
    eq(r.status, 401, "anonymous")


test_discovery_and_a_client_credentials_token.timeout = 400  # npm ci


def test_user_created_then_synced():
    idp, app = setup()
    me = app.me(idp.token("alice")).json()
    eq((me["email"], me["name"]), ("alice@example.com", "Alice"), "claims")
    eq(me["roles"], ["editor"], "kc-editor mapped, kc-unmapped dropped")
    uid = me["id"]
    w = app.writes()
    for _ in range(3):
        again = app.me(idp.token("alice")).json()
        eq(again["id"], uid, "the same user for the same (iss, sub)")
    eq(app.writes(), w, "no write while nothing changed")
    idp.accounts({"alice": {"email": "alice@new.example.com",
                            "name": "Alice B", "roles": ["kc-admin"]}})
    me = app.me(idp.token("alice")).json()
    eq(me["id"], uid, "same user after the change")
    eq((me["email"], me["name"], me["roles"]),
       ("alice@new.example.com", "Alice B", ["admin"]), "synced")
    check(app.writes() > w, "the change written")
    w = app.writes()
    eq(app.me(idp.token("alice")).json()["roles"], ["admin"], "kept")
    eq(app.writes(), w, "no write after the change either")
    # another subject with alice's old email is another user
    idp.accounts({"mallory": {"email": "alice@new.example.com",
                              "roles": ["kc-admin"]}})
    other = app.me(idp.token("mallory")).json()
    check(other["id"] != uid, "keyed by (iss, sub), never by email")


def test_refused_tokens_cost_no_fetch():
    idp, app = setup()
    before = idp.jwks_hits()
    good = idp.token("alice")
    h, p, s = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    kid = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["kid"]
    cases = {
        "garbage": "not-a-token",
        "empty segments": "..",
        "alg none": b64({"alg": "none", "kid": kid}) + "." + b64(claims) + ".",
        "HS256": b64({"alg": "HS256", "kid": kid}) + "." + b64(claims) + "."
        + b64(b"x" * 32),
        "tampered": h + "." + b64(dict(claims, sub="admin")) + "." + s,
        "wrong audience": idp.token("alice", aud="https://other.example"),
        "wrong issuer": idp.sign({}, idp.claims(iss="http://127.0.0.1:1")),
        "expired": idp.sign({}, idp.claims(exp=int(time.time()) - 3600)),
        "no sub": idp.sign({}, {k: v for k, v in idp.claims().items()
                                if k != "sub"}),
        "large and malformed": "a" * 7500 + "." + "b" * 7500 + ".c",
    }
    for what, tok in cases.items():
        r = app.call("/api/hello", tok)
        refused(r, what)
        # RFC 6750: the reason goes to the client as error_description,
        # a quoted-string with nothing to escape
        m = re.fullmatch(r'Bearer error="invalid_token", '
                         r'error_description="([ !#-\[\]-~]{1,120})"',
                         r.header("WWW-Authenticate") or "")
        check(m is not None, "%s: a description: %r"
              % (what, r.header("WWW-Authenticate")))
        if what == "expired":
            check("expire" in m.group(1), "expired: %r" % m.group(1))
    eq(idp.jwks_hits(), before, "refused tokens fetched no keys")
    eq(app.call("/api/hello", good).status, 200, "the good one still works")


def test_jku_and_x5u_never_contacted():
    idp, app = setup()
    with Origin() as o:
        evil = o.url("/jwks.json")
        tok = idp.sign({"jku": evil, "x5u": evil}, idp.claims())
        eq(app.call("/api/hello", tok).status, 200,
           "signed by the issuer's key: jku and x5u ignored")
        tok = idp.sign({"jku": evil, "kid": "attacker"}, idp.claims())
        refused(app.call("/api/hello", tok), "a kid only the jku has")
        time.sleep(0.2)
        eq(o.hits, [], "the other server was never contacted")


def test_rotation_burst_and_issuer_down():
    idp, app = setup()
    old = idp.token("alice")
    time.sleep(2.2)  # past the app's jwks_cooldown (2 s)
    idp.stop()
    idp.start(rotate=True)
    new = idp.token("alice")
    check(new.split(".")[0] != old.split(".")[0], "a new kid")
    eq(app.call("/api/hello", new).status, 200, "the new key after a refetch")
    eq(idp.jwks_hits(), 1, "one fetch for the rotation")
    eq(app.call("/api/hello", old).status, 200, "the old key still published")
    # a burst of unknown kids: one fetch per cooldown at most
    time.sleep(2.2)
    unknown = [idp.sign({"kid": "nope-%d" % i}, idp.claims())
               for i in range(40)]
    results = []

    def one(tok):
        results.append(app.call("/api/hello", tok).status)

    start = time.monotonic()
    threads = [threading.Thread(target=one, args=(tok,)) for tok in unknown]
    for th in threads:
        th.start()
    for th in threads:
        th.join(t(20))
    took = time.monotonic() - start
    eq(results, [401] * 40, "every unknown kid refused")
    fetches = idp.jwks_hits() - 1
    bound = 1 + int(took / 2.0) + 1
    check(1 <= fetches <= bound, "bounded fetches: %d in %.1fs" % (fetches, took))
    # the issuer down: cached keys work, unknown kids fail fast
    late = idp.sign({"kid": "later"}, idp.claims())
    idp.stop()
    eq(app.call("/api/hello", new).status, 200, "cached keys while down")
    time.sleep(2.2)  # the cooldown passed: an unknown kid may try once
    for _ in range(3):
        t0 = time.monotonic()
        refused(app.call("/api/hello", late), "unknown kid while down")
        check(time.monotonic() - t0 < t(1.0), "fails fast")
    eq(app.call("/api/hello", new).status, 200, "still verified after that")


test_rotation_burst_and_issuer_down.timeout = 90


def test_keys_refreshed_in_the_background():
    """Keys sent with max-age=30 are refetched by the first request after
    4/5 of it (24 s), in the background: that request does not wait."""
    npm_ci()
    idp = IdP().start(max_age=30, delay_ms=1500)
    app = None
    try:
        app = App(idp).start()
        eq(idp.jwks_hits(), 1, "fetched at start-up")
        tok = idp.token("alice")
        eq(app.call("/api/hello", tok).status, 200, "verified")
        time.sleep(21)
        eq(app.call("/api/hello", tok).status, 200, "verified")
        time.sleep(0.5)
        eq(idp.jwks_hits(), 1, "not refreshed before 4/5 of max-age")
        time.sleep(3.5)  # past 24 s
        started = time.monotonic()
        # the provider answers /jwks after 1.5 s: the request must not wait
        eq(app.call("/api/hello", tok).status, 200, "verified")
        check(time.monotonic() - started < t(1.0), "no wait for the refresh")
        deadline = time.monotonic() + t(5)
        while idp.jwks_hits() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        eq(idp.jwks_hits(), 2, "refreshed once, in the background")
        eq(app.call("/api/hello", tok).status, 200, "verified after it")
        eq(idp.jwks_hits(), 2, "and only once")
    finally:
        if app:
            app.close()
        idp.close()


test_keys_refreshed_in_the_background.timeout = 120


class Browser:
    """Cookies per host, redirects followed by hand (each hop recorded)."""

    def __init__(self):
        import http.cookiejar
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def go(self, url, data=None, headers=None):
        """(status, location, body, headers) of one request."""
        req = urllib.request.Request(
            url, data=urllib.parse.urlencode(data).encode()
            if data is not None else None, headers=headers or {})
        try:
            r = self.opener.open(req, timeout=t(10))
        except urllib.error.HTTPError as e:
            r = e
        body = r.read().decode("utf-8", "replace")
        return r.status, r.headers.get("Location"), body, r.headers

    def follow(self, url, stop):
        """GETs url and its redirects until one starts with stop; returns
        that URL (not fetched)."""
        for _ in range(20):
            if url.startswith(stop):
                return url
            st, loc, body, _ = self.go(url)
            if loc is None:
                return (url, st, body)
            url = urllib.parse.urljoin(url, loc)
        raise harness.TestFailure("too many redirects")


def provider_login(b, idp, url, app_base, login="alice"):
    """Drives oidc-provider's development login and consent pages from the
    authorization URL to the redirect back to the app."""
    for _ in range(6):
        got = b.follow(url, app_base)
        if isinstance(got, str):
            return got
        page_url, st, body = got
        eq(st, 200, "a provider page: %s" % body[:200])
        action = re.search(r'action="([^"]+)"', body).group(1)
        action = urllib.parse.urljoin(page_url, action)
        if 'name="login"' in body:
            st, loc, body, _ = b.go(action, {"prompt": "login",
                                             "login": login,
                                             "password": "any"})
        else:
            st, loc, body, _ = b.go(action, {"prompt": "consent"})
        check(loc is not None, "the form redirects: %d %s" % (st, body[:200]))
        url = urllib.parse.urljoin(action, loc)
    raise harness.TestFailure("the provider's pages did not end")


def test_code_flow_login_refresh_logout():
    """The Authorization Code flow with PKCE, state and nonce through the
    provider's login and consent pages; tokens kept in the session and
    refreshed; RP-initiated logout."""
    npm_ci()
    port = harness.free_port()
    base = "http://127.0.0.1:%d" % port
    idp = IdP({"KILN_REDIRECT_URIS": base + "/auth/oidc/callback",
               "KILN_LOGOUT_URIS": base + "/",
               "KILN_AT_TTL": "30"}).start()
    app = None
    try:
        app = App(idp, port=port, env={
            "KILN_AUTH_OIDC_CLIENT_ID": "kiln-app",
            "KILN_AUTH_OIDC_CLIENT_SECRET": "kiln-secret",
            "KILN_AUTH_OIDC_SCOPES": "openid profile email offline_access api",
        }).start()
        b = Browser()
        st, loc, _, h = b.go(base + "/auth/oidc/login?next=/api/hello")
        eq(st, 302, "login redirects to the provider")
        check(loc.startswith(idp.issuer + "/auth?"), loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        eq(q["code_challenge_method"], "S256", "PKCE")
        eq(len(q["code_challenge"]), 43, "an S256 challenge")
        check(len(q["state"]) >= 43 and len(q["nonce"]) >= 43, "state, nonce")
        eq(q["redirect_uri"], base + "/auth/oidc/callback", "redirect_uri")
        anon = {c.name: c.value for c in b.jar}
        check(any("session" in n for n in anon), "a session for the login: %r"
              % anon)
        back = provider_login(b, idp, loc, base)
        # a forged state is refused and does not log in
        bad = re.sub(r"state=[^&]+", "state=forged", back)
        st, _, body, _ = b.go(bad)
        eq(st, 400, "a forged state: %s" % body)
        st, loc, body, _ = b.go(back)
        eq(st, 303, "the callback logs in: %s" % body)
        eq(loc, "/api/hello", "back to next")
        after = {c.name: c.value for c in b.jar}
        for n, v in anon.items():
            if "session" in n:
                check(after.get(n) not in (None, v),
                      "a new session id after login (no fixation)")
        st, _, body, _ = b.go(base + "/api/hello")
        eq(st, 200, "logged in by the session cookie: %s" % body)
        eq(json.loads(body)["hello"], "alice", "the provider's user")
        me = json.loads(b.go(base + "/api/auth/me")[2])
        eq((me["email"], me["roles"]), ("alice@example.com", ["editor"]),
           "synced from the tokens")
        # the callback is good once
        st, _, _, _ = b.go(back)
        eq(st, 400, "a replayed callback")
        # the access token: kept server-side, refreshed (it lives 30 s,
        # under the minute before expiry when Kiln refreshes)
        t1 = json.loads(b.go(base + "/api/token")[2])["access_token"]
        t2 = json.loads(b.go(base + "/api/token")[2])["access_token"]
        check(t1 != t2, "refreshed")
        eq(app.call("/api/hello", t2).status, 200, "the refreshed token works")
        # RP-initiated logout
        csrf = json.loads(b.go(base + "/api/csrf")[2])["token"]
        st, loc, body, _ = b.go(base + "/auth/oidc/logout", {},
                                headers={"X-CSRF-Token": csrf,
                                         "Origin": base})
        eq(st, 303, "logout: %s" % body)
        check(loc.startswith(idp.issuer + "/session/end?"), loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        eq(q["post_logout_redirect_uri"], base + "/", "back to the site")
        check(q.get("id_token_hint", "").count(".") == 2, "an ID token hint")
        st, _, _, _ = b.go(base + "/api/hello")
        eq(st, 401, "logged out")
        st, _, _, _ = b.go(base + "/api/token")
        eq(st, 401, "no tokens after logout")
    finally:
        if app:
            app.close()
        idp.close()


test_code_flow_login_refresh_logout.timeout = 120


def test_zz_cleanup():
    global _idp, _app
    if _app:
        _app.close()
    if _idp:
        _idp.close()
    _app = _idp = None
