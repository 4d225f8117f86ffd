#!/usr/bin/python3
"""bench/auth_bench.py - what authentication costs: one JSON endpoint
(GET /api/whoami, the user's id and name) in a Kiln app, anonymous and
authenticated three ways, beside the same endpoint in Django REST
Framework, in one run, on 127.0.0.1 only.

    python3 bench/auth_bench.py [--seconds 10] [--conns 64]
                                [--workers N] [--only kiln,drf]
                                [--perf "kiln token" --perf-out FILE]

It makes a Kiln project whose only handler is api/whoami.c (the user's id
and name, or id null and "anonymous": the same handler serves every row),
builds it (`kiln build`), starts a private PostgreSQL
(tests/pg_server.py), migrates it (`kiln migrate`) and makes a user
(`kiln user create`) and an API token (`kiln token create`). An OIDC
issuer runs in this process on 127.0.0.1: a discovery document and a JWKS
for an RSA key made at start; the bench signs the RS256 access tokens
itself (python3-cryptography). The rows:

  kiln unauth    no credentials
  kiln session   the cookie of one POST /api/auth/login (JSON), reused
  kiln token     Authorization: Bearer kiln_...
  kiln jwt       Authorization: Bearer <RS256 JWT of the issuer>
                 ([auth.oidc] issuer and audience point at it)
  drf unauth     bench/auth/whoami_drf.py, no credentials
  drf token      Authorization: Token <key> (TokenAuthentication)
  drf jwt        Authorization: Bearer <RS256 JWT> (simplejwt's
                 JWTAuthentication, the same key)

Kiln runs dist/<app> --workers N (production mode); DRF runs under
gunicorn with N sync workers, DEBUG off; N defaults to the number of
cores. Each row's answer is checked first (status, the user's id); then
wrk (2 threads, --conns connections, --seconds) runs each row in turn,
and the script prints requests/s and p99, the ratios session/unauth,
token/unauth and jwt/unauth (targets 0.8, 0.8, 0.5) and Kiln's
authenticated rows over DRF's (target 30x). Needs wrk, gunicorn,
PostgreSQL, python3-django, python3-djangorestframework,
python3-djangorestframework-simplejwt, python3-psycopg2,
python3-cryptography (scripts/deps.sh bench).
"""

import argparse
import base64
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import benchlib
from benchlib import PY, ROOT

HERE = os.path.join(ROOT, "bench", "auth")
AUD = "https://api.bench.test"
PASSWORD = "bench-only-Password-42"

WHOAMI = """\
/* GET /api/whoami: the user's id and name, whoever asks and however. */
#include <kiln.h>
#include <kiln/auth.h>

KILN_GET(whoami)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_jsonf(c, 200, "{id:null,name:%s}", "anonymous");
    return kiln_jsonf(c, 200, "{id:%lld,name:%s}", (long long)u->id, u->name);
}
"""

OIDC = """
[auth.oidc]
# the issuer is set at run time (KILN_AUTH_OIDC_ISSUER): its port is free
audience = "%s"
""" % AUD


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class Issuer:
    """A minimal OIDC issuer: discovery and JWKS over http on 127.0.0.1,
    one RSA key; sign() makes the RS256 tokens."""

    def __init__(self, tmp):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.key = rsa.generate_private_key(public_exponent=65537,
                                            key_size=2048)
        pub = self.key.public_key()
        self.pem = os.path.join(tmp, "jwt-public.pem")
        with open(self.pem, "wb") as f:
            f.write(pub.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo))
        nums = pub.public_numbers()
        self.port = benchlib.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        docs = {
            "/.well-known/openid-configuration": {
                "issuer": self.url,
                "jwks_uri": self.url + "/jwks",
                "authorization_endpoint": self.url + "/auth",
                "token_endpoint": self.url + "/token",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]},
            "/jwks": {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256",
                                "kid": "bench-1", "n": uint(nums.n),
                                "e": uint(nums.e)}]},
        }

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                doc = docs.get(self.path)
                body = json.dumps(doc).encode() if doc else b"{}"
                self.send_response(200 if doc else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=600")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def sign(self, claims, kid="bench-1"):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        head = b64u(json.dumps({"alg": "RS256", "typ": "JWT",
                                "kid": kid}).encode())
        body = b64u(json.dumps(claims).encode())
        data = (head + "." + body).encode()
        sig = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return head + "." + body + "." + b64u(sig)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def kiln(args, cwd, stdin=None, env=None):
    return benchlib.kiln(opts.build, args, cwd, stdin, env)


def make_project(top):
    root = benchlib.new_project(opts.build, top, "ab")
    with open(os.path.join(root, "api", "whoami.c"), "w") as f:
        f.write(WHOAMI)
    os.makedirs(os.path.join(root, "migrations"), exist_ok=True)
    with open(os.path.join(root, "kiln.toml"), "a") as f:
        f.write(OIDC)
    benchlib.build_project(opts.build, root)
    return root


def call(port, path, headers=None, body=None):
    """(status, headers, parsed JSON body or None)"""
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=data, headers=h,
                                 method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            st, hd, b = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        st, hd, b = e.code, e.headers, e.read()
    try:
        return st, hd, json.loads(b)
    except ValueError:
        return st, hd, b


def wait_up(port, proc):
    benchlib.wait_up(port, proc, lambda: call(port, "/api/whoami")[0] == 200)


def wrk(port, header):
    return benchlib.wrk(port, "/api/whoami", opts.conns, opts.seconds,
                        headers=[header] if header else [])


def kiln_server(root, url, issuer, logdir):
    log = open(os.path.join(logdir, "kiln.log"), "w")
    p, port = benchlib.kiln_server(root, "ab", url, opts.workers, log,
                                   {"KILN_AUTH_OIDC_ISSUER": issuer.url})
    wait_up(port, p)
    return p, port


def drf_env(url, issuer):
    return dict(os.environ, API_DB=url, PYTHONPATH=HERE,
                JWT_PUBLIC=issuer.pem, JWT_ISSUER=issuer.url,
                JWT_AUDIENCE=AUD)


def drf_server(url, issuer, logdir):
    log = open(os.path.join(logdir, "drf.log"), "w")
    p, port = benchlib.gunicorn("whoami_drf:application", opts.workers, log,
                                drf_env(url, issuer))
    wait_up(port, p)
    return p, port


def kiln_rows(root, url, issuer, port):
    """The header of each row, each checked once: (row, header, user id)."""
    kiln(["user", "create", "--db", url, "--name", "Bench User", "bench"],
         root, stdin=PASSWORD + "\n")
    token = kiln(["token", "create", "--db", url, "bench"], root).strip()
    st, hd, me = call(port, "/api/auth/login",
                      {"Origin": "http://127.0.0.1:%d" % port},
                      {"login": "bench", "password": PASSWORD})
    assert st == 200, ("login", st, me)
    uid = me["id"]
    cookie = None
    for v in hd.get_all("Set-Cookie") or []:
        m = re.match(r"((?:__Host-)?kiln_session=[^;]+)", v)
        if m:
            cookie = m.group(1)
    assert cookie, ("no session cookie", hd.get_all("Set-Cookie"))
    now = int(time.time())
    jwt = issuer.sign({"iss": issuer.url, "sub": "bench-jwt", "aud": AUD,
                       "iat": now, "exp": now + 3600, "name": "Bench JWT",
                       "email": "jwt@bench.test"})
    rows = [("unauth", None, None),
            ("session", "Cookie: " + cookie, uid),
            ("token", "Authorization: Bearer " + token, uid),
            ("jwt", "Authorization: Bearer " + jwt, "jwt")]
    return check(port, rows)


def drf_rows(url, issuer, port):
    p = subprocess.run([PY, os.path.join(HERE, "whoami_drf.py"), "setup",
                        "bench"], env=drf_env(url, issuer),
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("whoami_drf.py setup: " + p.stdout + p.stderr)
    uid, key = p.stdout.split()
    uid = int(uid)
    now = int(time.time())
    jwt = issuer.sign({"iss": issuer.url, "aud": AUD, "iat": now,
                       "exp": now + 3600, "jti": "bench-1",
                       "token_type": "access", "user_id": uid})
    rows = [("unauth", None, None),
            ("token", "Authorization: Token " + key, uid),
            ("jwt", "Authorization: Bearer " + jwt, uid)]
    return check(port, rows)


def check(port, rows):
    """Each row's answer: 200, anonymous without credentials, the user's
    id with them (a JWT user of Kiln is made by the first token: any id
    other than the password user's)."""
    seen = {}
    for row, header, want in rows:
        h = dict([header.split(": ", 1)]) if header else {}
        st, _, b = call(port, "/api/whoami", h)
        assert st == 200 and isinstance(b, dict), (row, st, b)
        if want is None:
            assert b["id"] is None and b["name"] == "anonymous", (row, b)
        elif want == "jwt":
            assert isinstance(b["id"], int) and b["name"] == "Bench JWT" and \
                b["id"] != seen.get("session"), (row, b)
        else:
            assert b["id"] == want, (row, b)
        seen[row] = b["id"]
    return rows


def main():
    names = opts.only.split(",")
    tmp = tempfile.mkdtemp(prefix="kiln-authbench-")
    pg = None
    issuer = None
    res = {}
    try:
        root = make_project(tmp)
        pg, url = benchlib.pg_start(tmp)
        kiln(["migrate", "--db", url], root)
        issuer = Issuer(tmp)
        print("GET /api/whoami; wrk 2 threads, %d connections, %d s per "
              "row; %d workers per server (kiln threads, gunicorn sync "
              "processes); %d cores; load average %.1f"
              % (opts.conns, opts.seconds, opts.workers, os.cpu_count(),
                 os.getloadavg()[0]), flush=True)
        for name in names:
            if name == "kiln":
                p, port = kiln_server(root, url, issuer, tmp)
            else:
                p, port = drf_server(url, issuer, tmp)
            try:
                rows = (kiln_rows(root, url, issuer, port) if name == "kiln"
                        else drf_rows(url, issuer, port))
                for row, header, _ in rows:
                    prof = None
                    if opts.perf == "%s %s" % (name, row):
                        prof = subprocess.Popen(
                            ["perf", "record", "-g", "-p", str(p.pid), "-o",
                             opts.perf_out],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
                    r = wrk(port, header)
                    if prof:
                        prof.send_signal(signal.SIGINT)
                        prof.wait()
                    r["ok"] = r["non2xx"] == 0 and not r["errors"]
                    res[(name, row)] = r
                    print("%-5s %-8s %9.0f req/s  p99 %9s%s" % (
                        name, row, r["rps"], benchlib.fmt_p99(r["p99"]),
                        "" if r["ok"] else "  (non-2xx %d of %d; %s)"
                        % (r["non2xx"], r["total"], r["errors"])),
                        flush=True)
            finally:
                benchlib.stop(p)
    finally:
        if issuer:
            issuer.close()
        if pg:
            benchlib.pg_stop(pg)
        if opts.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(names, res)


def report(names, res):
    print()
    print("| row | req/s | p99 | / unauth |")
    print("| --- | --- | --- | --- |")
    for (name, row), r in res.items():
        base = res.get((name, "unauth"))
        print("| %s %s | %s | %s | %s |" % (
            name, row, "{:,.0f}".format(r["rps"]),
            benchlib.fmt_p99(r["p99"]),
            "%.2f" % (r["rps"] / base["rps"]) if base and base["rps"]
            else "-"))
    print()
    for row, target in (("session", 0.8), ("token", 0.8), ("jwt", 0.5)):
        k, u = res.get(("kiln", row)), res.get(("kiln", "unauth"))
        if k and u and u["rps"]:
            v = k["rps"] / u["rps"]
            print("kiln %s/unauth: %.2f (target >= %.1f: %s)"
                  % (row, v, target, "met" if v >= target else "MISSED"))
    for krow, drow in (("session", "token"), ("token", "token"),
                       ("jwt", "jwt")):
        k, d = res.get(("kiln", krow)), res.get(("drf", drow))
        if k and d and d["rps"]:
            v = k["rps"] / d["rps"]
            print("kiln %s / drf %s: %.1fx (target >= 30x: %s)"
                  % (krow, drow, v, "met" if v >= 30 else "MISSED"))


if __name__ == "__main__":
    benchlib.reexec_debian_python()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--only", default="kiln,drf")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--perf", metavar="ROW",
                    help='perf record -g the server during one row, e.g. '
                    '"kiln token"')
    ap.add_argument("--perf-out", default="perf.data",
                    help="where --perf writes (default perf.data)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (logs, the project)")
    opts = ap.parse_args()
    main()
