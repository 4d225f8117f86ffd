"""The property check of the typed API (docs/openapi.md, "Checking an app
against its document"): examples/board, seeded, with one more hand-written
endpoint whose input has a constraint of every kind (apps/probe), is built
and run in development mode; the check reads its /api/openapi.json and,
from the document alone, sends every operation valid and invalid requests
(api_props.py), then asserts that no answer is a 5xx, every status and
content type is declared, every 2xx body validates against its schema
(python3-jsonschema, Draft 2020-12) and every valid request succeeds.
The server, in development mode, checks its own responses against the same
descriptions: its log must hold no violation.

SQLite, or PostgreSQL when KILN_TEST_DB_URL is set (tests/run.py's db-pg
suite).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid

import harness
from harness import check, eq, t
from kilncli import env_for, get_when_up, kiln_bin

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "scripts"))
sys.path.insert(0, os.path.dirname(HERE))
import api_props  # noqa: E402
import pg_server  # noqa: E402

BOARD = os.path.join(SRC, "examples", "board")
PROBE = os.path.join(HERE, "apps", "probe")
# frontend/: the React side has its own test (tests/browser/test_scaffold.py);
# without it the board serves no SPA (KILN_FRONTEND_SPA below) and kiln
# build runs no npm
SKIP = ("node_modules", ".kiln", "dist", "app.db", "app.db-wal", "app.db-shm",
        "frontend")
MAX_BODY = 65536
SEED = int(os.environ.get("KILN_PROPS_SEED", "20261204"))


class Board:
    """A copy of the board with the probe endpoint, migrated, seeded and
    running (with args, e.g. --dev)."""

    def __init__(self):
        self.parent = tempfile.mkdtemp(prefix="kiln-props-")
        self.root = os.path.join(self.parent, "board")
        shutil.copytree(BOARD, self.root,
                        ignore=shutil.ignore_patterns(*SKIP))
        for name in ("probe.c", "probe.toml"):
            shutil.copy(os.path.join(PROBE, name),
                        os.path.join(self.root, "api", name))
        self.env = {"KILN_APP_SECRET_KEY": "p" * 20 + "-props-test-key-0123456",
                    "KILN_FRONTEND_SPA": "",
                    "KILN_SERVER_MAX_BODY": str(MAX_BODY)}
        base = os.environ.get("KILN_TEST_DB_URL")
        self.pg = base
        if base:
            name = "props_" + uuid.uuid4().hex[:12]
            pg_server.psql(base, "CREATE DATABASE " + name)
            self.env["KILN_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
        self.proc = None

    def kiln(self, *args):
        p = subprocess.run([kiln_bin()] + list(args), cwd=self.root,
                           env=env_for(self.env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=t(180))
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def start(self, *args):
        rc, out, err = self.kiln("migrate")
        eq(rc, 0, "migrate: " + out + err)
        with open(os.path.join(self.root, "seed.sql")) as f:
            seed = f.read()
        if self.pg:
            pg_server.psql(self.env["KILN_DATABASE_URL"], seed)
        else:
            con = sqlite3.connect(os.path.join(self.root, "app.db"))
            con.executescript(seed)
            con.close()
        rc, out, err = self.kiln("build")
        eq(rc, 0, "build: " + out + err)
        # the board's API needs a user: root, its seeded superuser, reaches
        # every operation
        rc, out, err = self.kiln("token", "create", "root")
        eq(rc, 0, "token create: " + out + err)
        self.token = out.strip().split()[-1]
        self.port = harness.free_port()
        self.logname = os.path.join(self.parent, "app.log")
        self.log = open(self.logname, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.root, "dist", "board"), "--port",
             str(self.port), "--root", self.root] + list(args),
            env=env_for(self.env), stdout=self.log, stderr=subprocess.STDOUT)
        r = get_when_up(self.port, "/api/openapi.json")
        check(r is not None and r.status == 200, "the board answers")
        return self

    def logtext(self):
        self.log.flush()
        with open(self.logname, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=t(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()
        shutil.rmtree(self.parent, ignore_errors=True)


def test_api_properties():
    b = Board().start("--dev", "--workers", "2")
    try:
        out = []
        res = api_props.run("127.0.0.1", b.port, seed=SEED,
                            max_body=MAX_BODY, timeout=t(10), out=out.append,
                            token=b.token)
        print("\n".join(out))
        check(res.failures == [],
              "%d failures:\n%s" % (len(res.failures),
                                    "\n".join(res.failures[:40])))
        check(res.requests >= 2000, "a few thousand requests: %d"
              % res.requests)
        # the check reached every kind of operation the board has, with
        # valid requests that succeeded
        for op in ("listTasks", "createTask", "getTask", "updateTask",
                   "patchTask", "deleteTask", "createComment",
                   "getProjectsByIdTasks", "postProbe"):
            check(res.ok_valid.get(op, 0) > 0,
                  "%s: no valid request succeeded (%r)" % (op, res.ok_valid))
        check(res.sent_invalid >= 1000, "invalid requests: %d"
              % res.sent_invalid)
        check(not b.pg or not os.path.exists(os.path.join(b.root, "app.db")),
              "on PostgreSQL, no SQLite file")
        log = b.logtext()
        check(b.proc.poll() is None, "the server is still up")
        bad = [ln for ln in log.splitlines() if "does not conform" in ln]
        eq(bad, [], "development mode logged no response violation")
        check("AddressSanitizer" not in log and "runtime error" not in log,
              "no sanitizer report: " + log[-2000:])
    finally:
        b.close()


# building the board is most of it; the check itself is about 10 s
test_api_properties.timeout = 180
