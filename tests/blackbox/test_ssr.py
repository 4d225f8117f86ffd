"""The SSR service (docs/frontend.md, "The SSR service"): the app starts a
Node sidecar (share/ssr/server.mjs, its React installed by `npm ci` from
share/ssr's lock file) and renders components through it over a Unix
socket. A component that throws or loops, and a sidecar killed in the
middle of a burst, give the client-render fallback, never a 500; the
sidecar is started again and later renders are server-side; a worker
keeps answering while a render is slow.
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SSR_DIR = os.path.join(REPO, "share", "ssr")
APP = os.path.join(HERE, "apps", "ssr")
COMPONENTS = os.path.join(REPO, "tests", "ssr", "components")
SECRET = {"KILN_APP_SECRET_KEY": "s" * 20 + "-ssr-test-key-0123456789"}
SERVER = b'data-render="server"'
CLIENT = b'data-render="client"'


def npm_ci():
    """`npm ci` in share/ssr unless its node_modules has its lock file's."""
    harness.npm_ci(SSR_DIR)


class App:
    """The test app, built once, run with one worker; its log is kept."""

    parent = None

    @classmethod
    def build(cls):
        if cls.parent:
            return
        npm_ci()
        cls.parent = tempfile.mkdtemp(prefix="kiln-ssr-")
        atexit.register(shutil.rmtree, cls.parent, True)
        cls.root = os.path.join(cls.parent, "ssrapp")
        shutil.copytree(APP, cls.root)
        front = os.path.join(cls.root, "frontend")
        shutil.copytree(COMPONENTS, os.path.join(front, "components"))
        os.symlink(os.path.join(SSR_DIR, "node_modules"),
                   os.path.join(front, "node_modules"))
        p = subprocess.run([kiln_bin(), "build"], cwd=cls.root,
                           env=env_for(SECRET), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=t(180))
        eq(p.returncode, 0, "kiln build: " + p.stdout.decode())
        cls.binary = os.path.join(cls.root, "dist", "ssrapp")

    def __enter__(self):
        App.build()
        self.port = harness.free_port()
        self.logpath = os.path.join(self.parent, "app-%d.log" % self.port)
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--workers", "1",
             "--root", self.root], env=env_for(SECRET), stdout=self.logf,
            stderr=subprocess.STDOUT)
        check(get_when_up(self.port, "/api/ping") is not None, "the app is up")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=t(10))
        self.logf.close()
        check(self.sidecar() is None, "the sidecar stops with the app")

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def sidecar(self):
        """The pid of a sidecar serving this app's socket, or None."""
        sock = os.path.join(self.root, ".kiln", "ssr.sock").encode()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if sock in argv and any(a.endswith(b"server.mjs") for a in argv):
                return int(d)
        return None

    def render(self, component, props=None, timeout=10):
        """(status, body, seconds) of GET /api/render."""
        q = {"c": component}
        if props is not None:
            q["props"] = json.dumps(props)
        c = http.client.HTTPConnection("127.0.0.1", self.port,
                                       timeout=t(timeout))
        start = time.monotonic()
        try:
            c.request("GET", "/api/render?" + urllib.parse.urlencode(q))
            r = c.getresponse()
            return r.status, r.read(), time.monotonic() - start
        finally:
            c.close()

    def server_side_again(self, limit=15):
        """Waits until a Greeting renders on the server; the body."""
        deadline = time.monotonic() + t(limit)
        while time.monotonic() < deadline:
            status, body, _ = self.render("Greeting", {"name": "again"})
            eq(status, 200, "a render is answered")
            if SERVER in body:
                return body
            time.sleep(0.1)
        raise harness.TestFailure("renders never went server-side again")


def test_ssr_renders_and_falls_back():
    with App() as app:
        status, body, _ = app.render("Greeting", {
            "name": "Ada </script><b>",
            "items": [{"id": i, "title": "row %d" % i} for i in range(3)]})
        eq(status, 200, "status")
        check(SERVER in body, "rendered on the server: %r" % body)
        check(b"<h1>Hello, Ada &lt;/script&gt;&lt;b&gt;!</h1>" in body,
              "props reach the component, escaped by React: %r" % body)
        eq(body.count(b"<li>"), 3, "the list rows")

        # a component that throws: client rendering, logged, no 500
        status, body, _ = app.render("Throws")
        eq(status, 200, "a throwing component is no 500")
        check(CLIENT in body, "rendered on the client: %r" % body)
        check("always fails" in app.log(), "the error is logged")
        status, body, _ = app.render("NoSuchComponent")
        check(status == 200 and CLIENT in body, "unknown component: client")
        check(SERVER in app.render("Greeting")[1], "and the next is fine")

        # a component that loops: cut off by the timeout (600 ms)
        pid = app.sidecar()
        check(pid is not None, "the sidecar runs")
        status, body, took = app.render("Loops")
        eq(status, 200, "a looping component is no 500")
        check(CLIENT in body and b"timed out" in body,
              "rendered on the client after the timeout: %r" % body)
        check(0.5 <= took < t(3), "cut off near 600 ms (%.2f s)" % took)
        check("took longer than 600 ms" in app.log(), "the timeout is logged")
        # the sidecar is still stuck: the next render times out too, and
        # with restart_after = 2 the sidecar is killed and started again
        status, body, took = app.render("Greeting")
        check(status == 200 and CLIENT in body, "stuck: client rendering")
        check(took < t(3), "within the timeout (%.2f s)" % took)
        app.server_side_again()
        check(app.sidecar() not in (None, pid), "a new sidecar")
        log = app.log()
        check("seems stuck: restarting it" in log, "the kill is logged")
        check("killed by signal 9" in log, "the restart is logged")


test_ssr_renders_and_falls_back.timeout = 400  # npm ci, kiln build


def test_ssr_sidecar_killed_mid_burst():
    with App() as app:
        app.server_side_again()
        pid = app.sidecar()
        results, errors = [], []
        stop = threading.Event()

        def client():
            try:
                i = 0
                while not stop.is_set():
                    results.append(app.render("Greeting", {"name": i}))
                    i += 1
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        def wait_for(n):
            deadline = time.monotonic() + t(60)
            while len(results) < n and not errors and \
                    time.monotonic() < deadline:
                time.sleep(0.01)

        threads = [threading.Thread(target=client) for _ in range(8)]
        for th in threads:
            th.start()
        # the sidecar dies in the middle of the burst: rendered requests
        # before it, and as many again after it
        wait_for(24)
        before = len(results)
        os.kill(pid, signal.SIGKILL)
        wait_for(before + 48)
        stop.set()
        for th in threads:
            th.join(t(60))
        eq(errors[:2], [], "every request answered")
        check(len(results) >= before + 48, "answered: %d" % len(results))
        eq([s for s, _, _ in results if s != 200], [], "no status but 200")
        client_side = sum(1 for _, b, _ in results if CLIENT in b)
        server_side = sum(1 for _, b, _ in results if SERVER in b)
        eq(client_side + server_side, len(results), "each is one or the other")
        check(client_side > 0, "some fell back while the sidecar was down")
        app.server_side_again()
        check(app.sidecar() not in (None, pid), "the sidecar was restarted")
        check("starting it again" in app.log(), "the restart is logged")


test_ssr_sidecar_killed_mid_burst.timeout = 400


def test_ssr_worker_free_during_a_slow_render():
    with App() as app:
        app.server_side_again()
        slow = {}

        def render_slow():
            slow["r"] = app.render("Slow", {"ms": 450})

        th = threading.Thread(target=render_slow)
        th.start()
        time.sleep(0.1)
        pings = []
        for _ in range(5):
            start = time.monotonic()
            r = get_when_up(app.port, "/api/ping")
            pings.append(time.monotonic() - start)
            eq(r.status, 200, "ping")
        th.join(t(10))
        status, body, took = slow["r"]
        check(status == 200 and SERVER in body and b"slow 450" in body,
              "the slow render is server-side: %r" % body)
        check(took >= 0.45, "it took its time (%.2f s)" % took)
        check(sum(pings) < took, "the one worker answered 5 pings (%.3f s) "
              "while it rendered (%.2f s)" % (sum(pings), took))


test_ssr_worker_free_during_a_slow_render.timeout = 400
