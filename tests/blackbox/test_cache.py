"""30. The cache, per-route caching and the rate limiter, against
tests/cacheapp over real sockets: every behaviour on the memory backend and
on Redis (a private redis-server per test, tests/redis_server.py: a free
port on 127.0.0.1), 1,000 concurrent get-or-compute calls computed once per
key, a rate limit shared by two instances through one Redis, and Redis
killed and restarted under load.
"""

import os
import shutil
import sys
import tempfile
import threading
import time

import harness
from harness import check, eq, server, t

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import redis_server  # noqa: E402


class RedisDir:
    """A private redis-server in a temporary folder."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="kiln-redis-")
        self.srv = redis_server.Redis(os.path.join(self.dir, "r")).start()
        self.url = self.srv.url
        return self

    def __exit__(self, *exc):
        self.srv.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def app(backend, url=None, workers=2, extra=()):
    args = ["--cache", backend] + (["--redis", url] if url else []) + list(extra)
    return server(binary="tests/cacheapp", workers=workers, args=args)


def both(fn):
    """Runs fn(server, redis_or_None) on the memory backend, then on Redis."""
    with app("memory") as s:
        fn(s, None)
    with RedisDir() as r, app("redis", r.url) as s:
        fn(s, r)


def counter(s, name):
    return int(s.get("/count/" + name).text())


# ---- the cache API ------------------------------------------------------------

def check_api(s, r):
    eq(s.get("/c/a").status, 404, "absent")
    eq(s.request("PUT", "/c/a", body=b"one\x00two").status, 204, "set")
    got = s.get("/c/a")
    eq((got.status, got.body), (200, b"one\x00two"), "get: the bytes")
    eq(s.request("POST", "/c/a/add", body=b"x").status, 409, "add: present")
    eq(s.request("POST", "/c/b/add", body=b"1").status, 201, "add: absent")
    eq(s.request("POST", "/c/b/incr?by=41").text(), "42", "incr")
    eq(s.get("/c/b").text(), "42", "incr stores decimal text")
    eq(s.request("POST", "/c/a/incr").status, 422, "incr of text")
    eq(s.request("POST", "/c/n/incr?by=-5&ttl=300").text(), "-5",
       "incr of an absent key counts from 0")
    eq(s.request("PUT", "/c/short?ttl=300", body=b"v").status, 204, "set ttl")
    eq(s.get("/c/short").status, 200, "alive before its ttl")
    time.sleep(0.5)
    eq(s.get("/c/short").status, 404, "expired after its ttl")
    eq(s.get("/c/n").status, 404, "the incr's ttl too")
    eq(s.request("DELETE", "/c/a").status, 204, "delete")
    eq(s.request("DELETE", "/c/a").status, 404, "delete again")
    if r:  # the keys are the app's prefix + "c:" + key
        check("1" in r.srv.command("EXISTS", "kiln:c:b"),
              "the value is in Redis under kiln:c:b")


def test_cache_api():
    both(check_api)


# ---- single flight ----------------------------------------------------------

def check_compute_once(s, r):
    n = harness.scaled(1000, 300)
    keys = 4
    conns = []
    try:
        for i in range(n):
            c = harness.Conn(s.port, timeout=t(30))
            c.send(harness.build_request("GET", "/compute/k%d?ms=400"
                                         % (i % keys)))
            conns.append(c)
        for i, c in enumerate(conns):
            resp = c.read_response()
            eq((resp.status, resp.text()), (200, "value of k%d" % (i % keys)),
               "response %d" % i)
    finally:
        for c in conns:
            c.close()
    eq(counter(s, "compute"), keys,
       "%d concurrent calls over %d keys computed once per key" % (n, keys))


def test_get_or_compute_runs_once_per_key():
    both(check_compute_once)
test_get_or_compute_runs_once_per_key.timeout = 120


# ---- per-route caching --------------------------------------------------------

def check_routes(s, r):
    a = s.get("/page", headers={"Accept-Language": "fr"})
    eq((a.status, a.text()), (200, "page 1 lang=fr"), "a miss runs the handler")
    eq(a.header("Cache-Control"), "max-age=60", "Cache-Control of a stored page")
    eq(a.header("Vary"), "Accept-Language", "Vary names the rule's headers")
    check(not a.has("Age"), "a fresh answer has no Age")
    b = s.get("/page", headers={"Accept-Language": "fr"})
    eq(b.text(), "page 1 lang=fr", "a hit does not run the handler")
    check(b.has("Age") and int(b.header("Age")) <= 1, "a hit has Age")
    check(b.header("Cache-Control").startswith("max-age="),
          "a hit's Cache-Control counts down: %r" % b.header("Cache-Control"))
    eq(b.header("Vary"), "Accept-Language", "a hit's Vary")
    eq(b.header("Content-Type"), a.header("Content-Type"), "Content-Type kept")
    c = s.get("/page", headers={"Accept-Language": "de"})
    eq(c.text(), "page 2 lang=de", "another Accept-Language is another entry")
    d = s.get("/page")
    eq(d.text(), "page 3 lang=none", "no Accept-Language: another entry")
    eq(s.get("/page?x=1").text(), "page 4 lang=none", "the query is part of it")
    h = s.request("HEAD", "/page", headers={"Accept-Language": "fr"})
    eq((h.status, h.body), (200, b""), "HEAD from the cache: no body")
    eq(h.header("Content-Length"), str(len(b"page 1 lang=fr")),
       "HEAD: the stored body's length")
    h2 = s.request("HEAD", "/page", headers={"Accept-Language": "it"})
    eq(h2.header("Content-Length"), str(len("page 5 lang=it")), "HEAD miss")
    eq(s.get("/page", headers={"Accept-Language": "it"}).text(),
       "page 5 lang=it", "a HEAD miss stores the GET's response")
    # credentials: not from the cache, not stored, private
    ck = s.get("/page", headers={"Accept-Language": "fr", "Cookie": "sid=1"})
    eq(ck.text(), "page 6 lang=fr", "a request with a Cookie runs the handler")
    eq(ck.header("Cache-Control"), "private", "and is marked private")
    au = s.get("/page", headers={"Accept-Language": "fr",
                                 "Authorization": "Bearer x"})
    eq(au.text(), "page 7 lang=fr", "with Authorization too")
    eq(s.get("/page", headers={"Accept-Language": "fr"}).text(),
       "page 1 lang=fr", "and the shared copy is untouched")
    # responses that are never stored
    for path, name in (("/page/cookie", "cookie"), ("/page/nostore", "nostore"),
                       ("/page/missing", "missing"), ("/page/stream", "stream")):
        s.get(path)
        r2 = s.get(path)
        eq(counter(s, name), 2, "%s is never cached" % path)
        check(not r2.has("Age"), "%s: no Age" % path)
    eq(s.get("/page/cookie").header("Cache-Control"), "private",
       "a Set-Cookie response is private")
    eq(s.get("/page/nostore").header("Cache-Control"), "no-store",
       "the handler's Cache-Control stays")
    eq(s.get("/page/missing").status, 404, "a 404 is not cached")
    # the response's own Vary: stored per X-Flavor
    v1 = s.get("/page/ownvary", headers={"X-Flavor": "lime"})
    eq(v1.text(), "flavour lime 1", "own Vary: miss")
    eq(s.get("/page/ownvary", headers={"X-Flavor": "lime"}).text(),
       "flavour lime 1", "own Vary: hit for the same X-Flavor")
    eq(s.get("/page/ownvary", headers={"X-Flavor": "mint"}).text(),
       "flavour mint 2", "own Vary: another X-Flavor misses")
    hit = s.get("/page/ownvary", headers={"X-Flavor": "mint"})
    eq(hit.text(), "flavour mint 2", "own Vary: and is stored apart")
    eq(hit.header("X-Made"), "by the handler", "the handler's headers replay")
    eq(hit.header_all("Vary"), ["X-Flavor", "X-Size"], "its Vary replays")
    eq(s.get("/page/ownvary", headers={"X-Flavor": "mint",
                                       "X-Size": "xl"}).text(),
       "flavour mint xl 3", "its second Vary field counts too")
    eq(s.get("/page/ownvary", headers={"X-Flavor": "mint",
                                       "X-Size": "xl"}).text(),
       "flavour mint xl 3", "and is stored apart")
    # per user: one copy per credentials; ignore: one for everyone
    eq(s.get("/page/user", headers={"Authorization": "a"}).text(), "user a 1",
       "per user: a")
    eq(s.get("/page/user", headers={"Authorization": "b"}).text(), "user b 2",
       "per user: b")
    pu = s.get("/page/user", headers={"Authorization": "a"})
    eq(pu.text(), "user a 1", "per user: a again")
    eq(pu.header("Cache-Control").split(",")[0], "private", "per user: private")
    eq(pu.header("Vary"), "Cookie, Authorization", "per user: Vary")
    eq(s.get("/page/public", headers={"Cookie": "x=1"}).text(), "public 1",
       "ignore: miss")
    pb = s.get("/page/public", headers={"Authorization": "z"})
    eq(pb.text(), "public 1", "ignore: credentials do not matter")
    check(pb.header("Cache-Control").startswith("public, max-age="),
          "ignore: public")
    # the ttl
    eq(s.get("/page/short").text(), "short 1", "ttl 1: miss")
    eq(s.get("/page/short").text(), "short 1", "ttl 1: hit")
    time.sleep(1.2)
    eq(s.get("/page/short").text(), "short 2", "ttl 1: expired")


def test_route_caching():
    both(check_routes)
test_route_caching.timeout = 60


# ---- the rate limiter ---------------------------------------------------------

def limit_fields(resp):
    return (resp.header("RateLimit-Limit"), resp.header("RateLimit-Remaining"),
            resp.header("RateLimit-Reset"))


def check_rate(s, r):
    got = [s.get("/limited") for _ in range(3)]
    eq([x.status for x in got], [200, 200, 200], "the burst passes")
    eq([x.header("RateLimit-Remaining") for x in got], ["2", "1", "0"],
       "RateLimit-Remaining counts down")
    eq(got[0].header("RateLimit-Policy"), '"GET /limited";q=3;w=1',
       "RateLimit-Policy: the draft's fields")
    eq(got[2].header("RateLimit"), '"GET /limited";r=0;t=1', "RateLimit")
    no = s.get("/limited")
    eq(no.status, 429, "past the burst")
    eq(no.header("Content-Type"), "application/problem+json", "a problem")
    eq(no.json()["status"], 429, "problem status")
    eq(no.header("Retry-After"), "1", "Retry-After: a token in 250 ms")
    eq(limit_fields(no), ("3", "0", "1"), "the 429's fields")
    time.sleep(0.3)  # one token back
    eq(s.get("/limited").status, 200, "refilled after a quarter second")
    eq(s.get("/limited").status, 429, "and only one")
    time.sleep(0.8)
    eq(s.get("/limited").header("RateLimit-Remaining"), "2",
       "three tokens back after 750 ms, one taken")
    # keys: a header, and the fallback to the address
    for who in ("a", "b"):
        eq([s.get("/limited/key", headers={"X-Key": who}).status
            for _ in range(3)], [200, 200, 429], "key %s has its own bucket"
           % who)
    eq([s.get("/limited/key").status for _ in range(3)], [200, 200, 429],
       "no X-Key: the client's address")
    # kiln_rate_limit from a handler
    eq([s.get("/manual?who=x").status for _ in range(3)], [200, 200, 429],
       "kiln_rate_limit in a handler")
    eq(s.get("/manual?who=y").status, 200, "another key")
    # rate limiting comes before the cache: a hit counts too
    eq([s.get("/limited/cached").status for _ in range(3)], [200, 200, 429],
       "a cached route still rate limits")


def test_rate_limit():
    both(check_rate)
test_rate_limit.timeout = 60


def test_rate_limit_shared_by_two_instances():
    """Two processes on one Redis share a bucket exactly (the script runs
    on the server's clock); on the memory store each has its own."""
    with RedisDir() as r, app("redis", r.url) as a, app("redis", r.url) as b:
        seq = [a.get("/limited/key", headers={"X-Key": "k"}).status,
               b.get("/limited/key", headers={"X-Key": "k"}).status,
               a.get("/limited/key", headers={"X-Key": "k"}).status,
               b.get("/limited/key", headers={"X-Key": "k"}).status]
        eq(seq, [200, 200, 429, 429], "one bucket of 2 across both")
        check(r.srv.command("EXISTS", "kiln:r:GET /limited/key:h:k").strip()
              == "1", "the bucket is in Redis")
    with app("memory") as a, app("memory") as b:
        seq = [a.get("/limited/key", headers={"X-Key": "k"}).status
               for _ in range(2)]
        seq += [b.get("/limited/key", headers={"X-Key": "k"}).status
                for _ in range(2)]
        eq(seq, [200, 200, 200, 200], "memory: a bucket per process")


def test_cache_in_redis_shared_by_two_instances():
    with RedisDir() as r, app("redis", r.url) as a, app("redis", r.url) as b:
        eq(a.request("PUT", "/c/shared", body=b"from a").status, 204, "set")
        eq(b.get("/c/shared").text(), "from a", "b reads a's value")
        eq(a.get("/page").text(), "page 1 lang=none", "a renders")
        eq(b.get("/page").text(), "page 1 lang=none",
           "b serves a's stored page (its own counter did not move)")
        eq(counter(b, "page"), 0, "b's handler never ran")


def connections_received(r):
    info = r.srv.command("INFO", "stats")
    return [int(line.split(":")[1]) for line in info.splitlines()
            if line.startswith("total_connections_received:")][0]


def test_redis_commands_of_a_worker_share_one_connection():
    """300 concurrent requests on one worker, each a Redis GET: all are
    answered, over the worker's one connection (redis.pool 1): their
    commands were queued on it together, pipelined."""
    with RedisDir() as r, app("redis", r.url, workers=1) as s:
        eq(s.request("PUT", "/c/k", body=b"v").status, 204, "set")
        before = connections_received(r)
        n = harness.scaled(300, 100)
        conns = []
        try:
            for _ in range(n):
                c = harness.Conn(s.port, timeout=t(20))
                c.send(harness.build_request("GET", "/c/k"))
                conns.append(c)
            got = [c.read_response().status for c in conns]
        finally:
            for c in conns:
                c.close()
        eq(got, [200] * n, "every request answered")
        # none but redis-cli's own for INFO: the app kept its one
        eq(connections_received(r) - before, 1,
           "connections Redis received meanwhile")
        eq(r.srv.command("INFO", "clients").count("connected_clients:2"), 1,
           "the app's connection and redis-cli's")
        cmds = r.srv.command("INFO", "commandstats")
        check("cmdstat_get:calls=%d," % n in cmds,
              "Redis ran the %d GETs: %s" % (n, cmds))


# ---- Redis going away ---------------------------------------------------------

def test_redis_restarted_under_load():
    """Redis killed under load: the cached route keeps answering (from its
    handler), the cache API answers 503 promptly, the rate limiter 503;
    Redis back on the same port: everything recovers by itself."""
    with RedisDir() as r, app("redis", r.url) as s:
        eq(s.get("/page").status, 200, "warm")
        stop = threading.Event()
        seen = {"page": {}, "api": {}, "slow": [], "errors": []}
        lock = threading.Lock()

        def load(path, kind):
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    resp = s.get(path, timeout=t(10))
                    st = resp.status
                except Exception as e:  # noqa: BLE001 - a hang or reset
                    with lock:
                        seen["errors"].append(repr(e))
                    continue
                took = time.monotonic() - t0
                with lock:
                    seen[kind][st] = seen[kind].get(st, 0) + 1
                    if took > 1.5 * harness.SLOW:
                        seen["slow"].append((path, st, took))
        s.request("PUT", "/c/k", body=b"v")
        ths = [threading.Thread(target=load, args=("/page", "page")),
               threading.Thread(target=load, args=("/c/k", "api")),
               threading.Thread(target=load, args=("/page?x=2", "page"))]
        for th in ths:
            th.start()
        time.sleep(0.4)
        r.srv.stop()
        time.sleep(1.0)
        with lock:
            down_api = dict(seen["api"])
        r.srv.start()
        s.request("PUT", "/c/k", body=b"v")  # may fail: it is a restart
        deadline = time.monotonic() + t(5)
        back = False
        while time.monotonic() < deadline and not back:
            back = s.get("/c/k").status in (200, 404)
            time.sleep(0.05)
        time.sleep(0.3)
        stop.set()
        for th in ths:
            th.join(t(20))
        eq(seen["errors"], [], "no request hung or was reset")
        eq(seen["slow"], [], "no request waited long")
        eq(set(seen["page"]), {200}, "the cached route always answered 200")
        check(down_api.get(503, 0) > 0,
              "the cache API answered 503 while Redis was down: %r" % down_api)
        check(set(seen["api"]) <= {200, 404, 503},
              "only 200/404/503 from the cache API: %r" % seen["api"])
        check(back, "the cache works again after Redis came back")
        eq(s.request("PUT", "/c/k2", body=b"again").status, 204, "set after")
        eq(s.get("/c/k2").text(), "again", "get after")
        eq(s.get("/page?fresh=1").text().split()[0], "page", "pages after")
        err = s.stderr()
        check("redis: lost the connection" in err, "the loss is logged")
        check("connected to" in err and "again" in err,
              "the reconnection is logged")
test_redis_restarted_under_load.timeout = 90


def test_redis_silent_times_out_cleanly():
    """A frozen Redis (SIGSTOP): calls give up after redis.timeout_ms (1 s
    in cacheapp) with a 503, the worker keeps serving meanwhile."""
    with RedisDir() as r, app("redis", r.url, workers=1) as s:
        eq(s.request("PUT", "/c/k", body=b"v").status, 204, "warm")
        r.srv.pause()
        try:
            res = {}

            def call():
                t0 = time.monotonic()
                res["status"] = s.get("/c/k", timeout=t(10)).status
                res["took"] = time.monotonic() - t0
            th = threading.Thread(target=call)
            th.start()
            time.sleep(0.2)
            t0 = time.monotonic()
            eq(s.get("/plaintext").status, 200, "the worker is free")
            check(time.monotonic() - t0 < 0.5 * harness.SLOW,
                  "and answers at once")
            th.join(t(10))
            eq(res.get("status"), 503, "the waiting call: 503")
            check(0.9 < res["took"] < 3 * harness.SLOW,
                  "after the timeout: %.2fs" % res["took"])
        finally:
            r.srv.resume()
        deadline = time.monotonic() + t(5)
        while time.monotonic() < deadline and s.get("/c/k").status != 200:
            time.sleep(0.05)
        eq(s.get("/c/k").status, 200, "back once Redis answers again")


def test_rate_limiter_down_fails_closed_or_open():
    with RedisDir() as r:
        with app("memory", r.url, extra=["--rate-backend", "redis"]) as s:
            eq(s.get("/limited").status, 200, "up")
            r.srv.stop()
            no = s.get("/limited")
            eq(no.status, 503, "closed: 503")
            eq(no.header("Retry-After"), "1", "with Retry-After")
            eq(s.request("PUT", "/c/x", body=b"1").status, 204,
               "the memory cache does not need Redis")
            r.srv.start()
        with app("memory", r.url,
                 extra=["--rate-backend", "redis", "--fail-open"]) as s:
            r.srv.stop()
            eq(s.get("/limited").status, 200, "fail open: allowed")
            r.srv.start()


def test_bad_settings_are_refused():
    for args, want in ((["--cache", "memcached"], "cache.backend 'memcached'"),
                       (["--cache", "redis"], "redis.url is empty"),
                       (["--cache", "redis", "--redis", "rediss://h"], "TLS"),
                       (["--cache", "redis", "--redis", "redis://h:99999"],
                        "port")):
        srv = harness.Server(binary="tests/cacheapp", args=args)
        try:
            srv.start()
            check(False, "started with %r" % args)
        except harness.TestFailure as e:
            check(want in str(e), "%r: %s" % (args, e))
        finally:
            srv.kill()


# ---- endpoint schemas ---------------------------------------------------------

CACHED_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps",
                          "cached")


def test_endpoint_schema_cache_and_rate():
    """api/news.toml's [get] declares cache = {...}, rate and rate_by:
    `kiln build` compiles them in, and the app applies them before the
    input is decoded."""
    import subprocess
    from kilncli import env_for, get_when_up, kiln_bin
    parent = tempfile.mkdtemp(prefix="kiln-cached-")
    root = os.path.join(parent, "cached")
    shutil.copytree(CACHED_APP, root)
    proc = None
    try:
        env = env_for({"KILN_APP_SECRET_KEY":
                       "k" * 20 + "s3cr3t-for-the-tests-only"})
        p = subprocess.run([kiln_bin(), "build"], cwd=root, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=t(180))
        eq(p.returncode, 0, "kiln build: " + p.stdout.decode())
        port = harness.free_port()
        log = open(os.path.join(parent, "app.log"), "wb")
        proc = subprocess.Popen([os.path.join(root, "dist", "cached"),
                                 "--port", str(port), "--workers", "2",
                                 "--root", root], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        check(get_when_up(port, "/api/news?page=9") is not None, "up")
        s = harness.Server.__new__(harness.Server)  # a client only
        s.port = port
        a = s.get("/api/news?page=2", headers={"X-Client": "a"})
        eq(a.text(), "news 2 page=2 lang=none", "a miss runs the handler")
        eq(a.header("Cache-Control"), "max-age=60", "the schema's ttl")
        eq(a.header("Vary"), "Accept-Language", "the schema's vary")
        eq(a.header("RateLimit-Policy"), '"get_news";q=3;w=30',
           "the schema's rate, named after the input")
        b = s.get("/api/news?page=2", headers={"X-Client": "a"})
        eq(b.text(), "news 2 page=2 lang=none", "a hit")
        check(b.has("Age"), "with Age")
        eq(s.get("/api/news?page=2", headers={"X-Client": "a",
                                              "Accept-Language": "fr"}).text(),
           "news 3 page=2 lang=fr", "vary: Accept-Language")
        no = s.get("/api/news?page=2", headers={"X-Client": "a"})
        eq(no.status, 429, "rate_by X-Client: a's fourth request")
        eq(no.header("Retry-After"), "10", "one token every ten seconds")
        eq(s.get("/api/news?page=2", headers={"X-Client": "b"}).status, 200,
           "another client")
        eq(s.get("/api/news?page=0", headers={"X-Client": "c"}).status, 422,
           "the input is still validated")
        # a mistake in the schema fails the build with its place
        path = os.path.join(root, "api", "news.toml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("ttl = 60", "ttl = 0"))
        p = subprocess.run([kiln_bin(), "build"], cwd=root, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=t(180))
        out = p.stdout.decode()
        check(p.returncode != 0, "a broken schema fails the build")
        check("api/news.toml:6:17: cache ttl is a number of seconds" in out,
              "with its place: " + out)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=t(10))
        shutil.rmtree(parent, ignore_errors=True)
test_endpoint_schema_cache_and_rate.timeout = 240
