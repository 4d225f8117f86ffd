"""Sessions, CSRF, flash messages and security headers (docs/auth.md),
against a real database: SQLite, or PostgreSQL when KILN_TEST_DB_URL is
set (tests/run.py's db-pg suite).

The app is tests/blackbox/apps/authsess: handlers that log in
(kiln_session_login), rotate, log out, log out everywhere, store a value,
give the CSRF token and flash a message; a page with a form (csrf_input())
whose action flashes and redirects; a webhook exempt from CSRF
(api/hook.toml: csrf = false). It is built once; each test starts it with
the settings it needs (environment variables).
"""

import http.client
import json
import os
import re
import shutil
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

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps",
                   "authsess")


def timeout(seconds):
    def deco(fn):
        fn.timeout = seconds
        return fn
    return deco


class Built:
    """The app copied to a temporary folder, migrated and built (once)."""

    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-authsess-")
        self.root = os.path.join(self.parent, "authsess")
        shutil.copytree(APP, self.root)
        self.env = {"KILN_APP_SECRET_KEY": "s" * 24 + "-only-for-the-tests"}
        base = os.environ.get("KILN_TEST_DB_URL")
        if base:
            name = "authsess_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.env["KILN_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
        for cmd in (["migrate"], ["build"]):
            p = subprocess.run([kiln_bin()] + cmd, cwd=self.root,
                               env=env_for(self.env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=t(180))
            eq(p.returncode, 0, "kiln %s: %s%s" % (
                cmd[0], p.stdout.decode(), p.stderr.decode()))


_built = None


def built():
    global _built
    if _built is None:
        _built = Built()
    return _built


class App:
    """The built app running with extra settings (environment)."""

    def __init__(self, **settings):
        b = built()
        self.port = harness.free_port()
        env = dict(b.env)
        for k, v in settings.items():
            env["KILN_" + k.upper()] = str(v)
        self.log_path = os.path.join(b.parent, "app-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(b.root, "dist", "authsess"), "--port",
             str(self.port), "--workers", "2", "--root", b.root],
            env=env_for(env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/api/session")
        check(r is not None and r.status == 200, "the app answers")
        self.origin = "http://127.0.0.1:%d" % self.port

    def call(self, method, target, cookie=None, headers=None, body=None):
        """(status, headers as a list of (lower name, value), body text,
        parsed JSON or None)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=t(10))
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = cookie
        c.request(method, target, body=body, headers=h)
        r = c.getresponse()
        raw = r.read().decode("utf-8", "replace")
        hdrs = [(k.lower(), v) for k, v in r.getheaders()]
        c.close()
        ctype = dict(hdrs).get("content-type", "")
        parsed = json.loads(raw) if "json" in ctype and raw else None
        return r.status, hdrs, raw, parsed

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=t(10))
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        with open(self.log_path, "rb") as f:
            report = harness.sanitizer_report(f.read().decode("utf-8",
                                                              "replace"))
        check(not report, "sanitizer report from the app: %s" % report)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def set_cookies(hdrs):
    """{name: (value, attributes text)} of the Set-Cookie fields."""
    out = {}
    for k, v in hdrs:
        if k == "set-cookie":
            first, _, rest = v.partition(";")
            name, _, value = first.partition("=")
            out[name.strip()] = (value, rest)
    return out


class Browser:
    """A cookie jar on one App: sends its cookies and the CSRF token it
    last read from the kiln_csrf cookie, as a page's script would."""

    def __init__(self, app, session="kiln_session", csrf="kiln_csrf"):
        self.app = app
        self.jar = {}
        self.names = (session, csrf)

    def cookie(self):
        return "; ".join("%s=%s" % kv for kv in self.jar.items()) or None

    @property
    def sid(self):
        return self.jar.get(self.names[0])

    @property
    def token(self):
        return self.jar.get(self.names[1])

    def call(self, method, target, headers=None, body=None, token=True,
             origin=True):
        h = dict(headers or {})
        if method not in ("GET", "HEAD") and token and self.token:
            h.setdefault("X-CSRF-Token", self.token)
        if method not in ("GET", "HEAD") and origin:
            h.setdefault("Origin", self.app.origin)
        st, hdrs, raw, js = self.app.call(method, target, self.cookie(), h,
                                          body)
        for name, (value, attrs) in set_cookies(hdrs).items():
            if value and "Max-Age=0" not in attrs:
                self.jar[name] = value
            else:
                self.jar.pop(name, None)
        return st, hdrs, raw, js


def whoami(app, sid):
    st, _, _, js = app.call("GET", "/api/session",
                            "kiln_session=%s" % sid if sid else None)
    eq(st, 200, "GET /api/session")
    return js


@timeout(240)
def test_fixation_rotation_logout():
    with App() as app:
        b = Browser(app)
        st, hdrs, _, js = b.call("GET", "/api/csrf")
        eq(st, 200, "a token for an anonymous visitor")
        anon = b.sid
        check(anon and len(anon) == 43, "a 43-character session id: %r" % anon)
        check(js["token"] != b.token, "each token is masked afresh")
        eq(b.call("POST", "/api/note?note=kept")[0], 200, "note stored")
        eq(whoami(app, anon), {"user": 0, "note": "kept"}, "anonymous data")

        st, _, _, js = b.call("POST", "/api/session?user=42")
        eq(st, 200, "login")
        check(b.sid and b.sid != anon, "login gives a new id")
        eq(whoami(app, b.sid), {"user": 42, "note": "kept"},
           "the data is carried over")
        eq(whoami(app, anon), {"user": 0, "note": ""},
           "the id planted before login is dead")

        before = b.sid
        eq(b.call("POST", "/api/rotate")[0], 200, "rotate")
        check(b.sid != before, "rotation gives a new id")
        eq(whoami(app, b.sid), {"user": 42, "note": "kept"}, "same session")
        eq(whoami(app, before)["user"], 0, "the old id is dead")

        current = b.sid
        st, hdrs, _, _ = b.call("DELETE", "/api/session")
        eq(st, 204, "logout")
        gone = set_cookies(hdrs)
        check("Max-Age=0" in gone["kiln_session"][1],
              "logout expires the cookie: %s" % gone)
        eq(b.sid, None, "the jar dropped it")
        eq(whoami(app, current), {"user": 0, "note": ""}, "its row is gone")


@timeout(240)
def test_logout_everywhere():
    with App() as app:
        a, b, other = Browser(app), Browser(app), Browser(app)
        for br, user in ((a, 7), (b, 7), (other, 8)):
            br.call("GET", "/api/csrf")
            eq(br.call("POST", "/api/session?user=%d" % user)[0], 200,
               "login")
        st, _, _, js = a.call("POST", "/api/everywhere")
        eq((st, js), (200, {"ended": 2}), "both sessions of user 7 end")
        eq(whoami(app, b.sid)["user"], 0, "the other device is logged out")
        eq(a.sid, None, "the request's own cookie is expired")
        eq(whoami(app, other.sid)["user"], 8, "another user keeps theirs")


@timeout(240)
def test_cookie_flags_and_headers_plain():
    with App() as app:
        st, hdrs, _, _ = app.call("POST", "/api/session?user=5")
        eq(st, 200, "login")
        ck = set_cookies(hdrs)
        check("kiln_session" in ck and "kiln_csrf" in ck, str(ck))
        attrs = [a.strip() for a in ck["kiln_session"][1].split(";")]
        for want in ("Path=/", "HttpOnly", "SameSite=Lax"):
            check(want in attrs, "%s in %s" % (want, attrs))
        check("Secure" not in attrs, "no Secure over plain http: %s" % attrs)
        check("HttpOnly" not in ck["kiln_csrf"][1],
              "the CSRF cookie is for scripts: %s" % ck["kiln_csrf"][1])
        h = dict(hdrs)
        eq(h.get("x-content-type-options"), "nosniff", "nosniff")
        eq(h.get("referrer-policy"), "strict-origin-when-cross-origin",
           "Referrer-Policy")
        eq(h.get("x-frame-options"), "DENY", "X-Frame-Options")
        eq(h.get("content-security-policy"), "frame-ancestors 'none'", "CSP")
        check("strict-transport-security" not in h, "no HSTS over http")
        # a page (sent as a static representation) has them once
        st, hdrs, _, _ = app.call("GET", "/messages")
        eq(st, 200, "a page")
        eq([v for k, v in hdrs if k == "x-content-type-options"],
           ["nosniff"], "nosniff once")
        eq(dict(hdrs).get("x-frame-options"), "DENY", "on a page too")
        # every response has them, a 404 too
        st, hdrs, _, _ = app.call("GET", "/nope")
        eq(st, 404, "404")
        eq(dict(hdrs).get("x-frame-options"), "DENY", "on a 404 too")


@timeout(240)
def test_cookie_flags_and_headers_behind_tls():
    with App(security_behind_tls="true", session_same_site="strict",
             security_frame_options="sameorigin",
             security_referrer_policy="no-referrer",
             security_hsts_max_age="600", security_nosniff="false") as app:
        st, hdrs, _, _ = app.call("POST", "/api/session?user=5",
                                  headers={"Origin": "https://127.0.0.1:%d"
                                           % app.port})
        eq(st, 200, "login")
        ck = set_cookies(hdrs)
        check("__Host-kiln_session" in ck and "__Host-kiln_csrf" in ck,
              "__Host- names when Secure: %s" % ck)
        attrs = [a.strip() for a in ck["__Host-kiln_session"][1].split(";")]
        for want in ("Path=/", "HttpOnly", "SameSite=Strict", "Secure"):
            check(want in attrs, "%s in %s" % (want, attrs))
        check(not any(a.startswith("Domain") for a in attrs), "no Domain")
        h = dict(hdrs)
        eq(h.get("strict-transport-security"), "max-age=600", "HSTS")
        eq(h.get("x-frame-options"), "SAMEORIGIN", "X-Frame-Options")
        eq(h.get("content-security-policy"), "frame-ancestors 'self'", "CSP")
        eq(h.get("referrer-policy"), "no-referrer", "Referrer-Policy")
        check("x-content-type-options" not in h, "nosniff turned off")
        sid = ck["__Host-kiln_session"][0]
        st, _, _, js = app.call("GET", "/api/session",
                                "__Host-kiln_session=" + sid)
        eq(js["user"], 5, "the __Host- cookie is read")
        st, _, _, js = app.call("GET", "/api/session", "kiln_session=" + sid)
        eq(js["user"], 0, "the plain name is not ours over TLS")
        # https: a request with neither Origin nor Referer is refused
        b = Browser(app, "__Host-kiln_session", "__Host-kiln_csrf")
        b.jar = {"__Host-kiln_session": sid,
                 "__Host-kiln_csrf": ck["__Host-kiln_csrf"][0]}
        st, _, _, js = b.call("POST", "/api/note?note=x", origin=False)
        eq((st, js and js.get("code")), (403, "csrf_origin"),
           "no Origin, no Referer over https")
        st, _, _, js = b.call("POST", "/api/note?note=x", headers={
            "Origin": "https://127.0.0.1:%d" % app.port})
        eq(st, 200, "the https origin passes: %s" % js)
        st, _, _, js = b.call("POST", "/api/note?note=x", headers={
            "Origin": "http://127.0.0.1:%d" % app.port})
        eq((st, js and js.get("code")), (403, "csrf_origin"),
           "plain http is another origin")


@timeout(240)
def test_idle_and_absolute_expiry():
    with App(session_idle_timeout="2", session_max_age="5") as app:
        b = Browser(app)
        b.call("GET", "/api/csrf")
        eq(b.call("POST", "/api/session?user=9")[0], 200, "login")
        start = time.monotonic()
        sid = b.sid
        # activity keeps it alive past the idle timeout...
        for _ in range(3):
            time.sleep(1.0)
            eq(whoami(app, sid)["user"], 9, "alive while used")
        # ...but not past the absolute one
        while time.monotonic() - start < 5.4:
            time.sleep(0.7)
            whoami(app, sid)
        eq(whoami(app, sid)["user"], 0, "ended after session.max_age")

        b2 = Browser(app)
        b2.call("GET", "/api/csrf")
        eq(b2.call("POST", "/api/session?user=10")[0], 200, "login")
        eq(whoami(app, b2.sid)["user"], 10, "alive")
        time.sleep(2.6)
        st, hdrs, _, js = app.call("GET", "/api/session",
                                   "kiln_session=" + b2.sid)
        eq(js["user"], 0, "ended after session.idle_timeout without use")
        check("Max-Age=0" in set_cookies(hdrs).get("kiln_session", ("", ""))[1],
              "the expired cookie is cleared: %s" % hdrs)


@timeout(240)
def test_csrf_checks():
    with App(csrf_trusted_origins="https://app.example.com, "
             "https://*.trusted.test") as app:
        b = Browser(app)
        b.call("GET", "/api/csrf")
        eq(b.call("POST", "/api/session?user=3")[0], 200, "login")

        def code(st_hdrs):
            st, hdrs, raw, js = st_hdrs
            if st == 403:
                eq(dict(hdrs).get("content-type"), "application/problem+json",
                   "403 type")
                return js["code"]
            return st

        eq(code(b.call("POST", "/api/note?note=a", token=False)),
           "csrf_missing", "no token")
        eq(code(b.call("POST", "/api/note?note=a",
                       headers={"X-CSRF-Token": "A" * 86})),
           "csrf_mismatch", "a wrong token")
        eq(code(b.call("POST", "/api/note?note=a",
                       headers={"X-CSRF-Token": "garbage"})),
           "csrf_mismatch", "a malformed token")
        other = Browser(app)
        other.call("GET", "/api/csrf")
        eq(code(b.call("POST", "/api/note?note=a",
                       headers={"X-CSRF-Token": other.token})),
           "csrf_mismatch", "another session's token")
        eq(code(b.call("POST", "/api/note?note=a",
                       headers={"Origin": "http://evil.example"})),
           "csrf_origin", "a foreign Origin")
        eq(code(b.call("POST", "/api/note?note=a",
                       headers={"Origin": "null"})),
           "csrf_origin", "Origin null")
        eq(code(b.call("POST", "/api/note?note=a", origin=False,
                       headers={"Referer": "http://evil.example/form"})),
           "csrf_origin", "Referer from another site (no Origin)")
        eq(code(b.call("POST", "/api/note?note=a", origin=False,
                       headers={"Referer": app.origin + "/form?x=1"})),
           200, "Referer of the app itself")
        eq(code(b.call("POST", "/api/note?note=a", origin=False)), 200,
           "plain http: neither Origin nor Referer passes (as Django)")
        for o in ("https://app.example.com", "https://a.trusted.test",
                  "HTTPS://App.Example.com:443"):
            eq(code(b.call("POST", "/api/note?note=a",
                           headers={"Origin": o})), 200, "trusted %s" % o)
        for o in ("https://trusted.test", "http://app.example.com",
                  "https://app.example.com:8443"):
            eq(code(b.call("POST", "/api/note?note=a",
                           headers={"Origin": o})), "csrf_origin",
               "untrusted %s" % o)
        eq(code(b.call("DELETE", "/api/session", token=False)),
           "csrf_missing", "DELETE is checked")
        st, _, _, js = b.call("POST", "/api/note?note=htmx",
                              headers={"HX-Request": "true"})
        eq(st, 200, "HTMX with the header: %s" % js)
        # bearer: no CSRF token needed, even with the cookie
        eq(code(b.call("POST", "/api/note?note=a", token=False,
                       headers={"Authorization": "Bearer abc",
                                "Origin": "http://evil.example"})),
           200, "Authorization: Bearer is exempt")
        # no session cookie: nothing to forge
        st, _, _, _ = app.call("POST", "/api/hook", None,
                               {"Origin": "http://evil.example"})
        eq(st, 200, "no cookie, no check")
        eq(code(b.call("POST", "/api/hook", token=False,
                       headers={"Origin": "http://evil.example"})), 200,
           "csrf = false in the endpoint schema exempts the route")
        # GET is never checked
        eq(code(b.call("GET", "/api/session", token=False,
                       headers={"Origin": "http://evil.example"})), 200,
           "GET is safe")


@timeout(240)
def test_form_html_page_and_flash():
    with App() as app:
        b = Browser(app)
        st, hdrs, page, _ = b.call("GET", "/form")
        eq(st, 200, "the form page")
        m = re.search(r'<input type="hidden" name="csrf_token" value="'
                      r'([A-Za-z0-9_-]{86})">', page)
        check(m, "csrf_input() in the page: %s" % page)
        m2 = re.search(r'<p id="token">([A-Za-z0-9_-]{86})</p>', page)
        check(m2 and m2.group(1) != m.group(1),
              "csrf_token() is masked per call")
        check(b.sid, "the form made an anonymous session")
        form = "note=hello&csrf_token=" + m.group(1)
        ct = {"Content-Type": "application/x-www-form-urlencoded"}
        st, hdrs, _, _ = b.call("POST", "/form", headers=ct, body=form,
                                token=False)
        eq(st, 303, "the form's token passes")
        eq(dict(hdrs).get("location"), "/messages", "redirect")
        st, _, page, _ = b.call("GET", "/messages")
        check('<li class="info">Saved hello.</li>' in page,
              "the flash message after the redirect: %s" % page)
        st, _, page, _ = b.call("GET", "/messages")
        check("<li" not in page, "shown once: %s" % page)
        # a browser's form without the token: an HTML page
        st, hdrs, page, _ = b.call(
            "POST", "/form", body="note=x", token=False,
            headers=dict(ct, Accept="text/html,application/xhtml+xml"))
        eq(st, 403, "refused")
        check(dict(hdrs).get("content-type", "").startswith("text/html"),
              "an HTML page for a browser: %s" % hdrs)
        check("CSRF" in page, "the page says why: %s" % page[:300])
        # the same without Accept: problem+json
        st, hdrs, _, js = b.call("POST", "/form", body="note=x", token=False,
                                 headers=ct)
        eq((st, js and js.get("code")), (403, "csrf_missing"), "JSON")
        # flash from an API call, then a redirect
        st, hdrs, _, _ = b.call("POST", "/api/flash?text=one")
        eq(st, 303, "flash")
        b.call("POST", "/api/flash?text=two")
        st, _, page, _ = b.call("GET", "/messages")
        check(page.index(">one<") < page.index(">two<"),
              "both, oldest first: %s" % page)
