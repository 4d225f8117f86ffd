#!/usr/bin/python3
"""bench/api_bench.py - Kiln's generated CRUD API against the same task API
in Django REST Framework and in FastAPI, on one PostgreSQL, in one run, on
127.0.0.1 only.

    python3 bench/api_bench.py [--seconds 10] [--conns 64] [--tasks 10000]
                               [--workers N] [--only kiln,drf,fastapi]

The model is the board's task, trimmed (examples/board/models/task.toml):
a project ref, title, description, status and priority enums, a due date.
It makes a Kiln project with that model and `[api]` (list, retrieve,
create, partial_update), builds it (`kiln build`), starts a private
PostgreSQL (tests/pg_server.py), migrates it with `kiln migrate` and seeds
10 projects and --tasks tasks. The three servers use those tables:

  kiln     dist/<app> --workers N (production mode), the generated API
  drf      bench/api/tasks_drf.py: ModelSerializer + ModelViewSet + router,
           gunicorn with N sync workers, DEBUG off, cursor pages of 20
  fastapi  bench/api/tasks_fastapi.py: pydantic models, asyncpg, uvicorn
           with N workers

N defaults to the number of cores. Each server's answers are checked first
(status and shape of every row); then for each row wrk (2 threads,
--conns connections, --seconds, bench/api/load.lua) runs against the
three servers in turn, and the script prints requests/s and the p99 of
each, and Kiln/DRF and Kiln/FastAPI. The rows created by one server's runs
are deleted before the next server's. Needs wrk, gunicorn, python3-django,
python3-djangorestframework, python3-fastapi, python3-uvicorn,
python3-asyncpg, python3-psycopg2 (scripts/deps.sh bench).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
HERE = os.path.join(ROOT, "bench", "api")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PY = "/usr/bin/python3"  # Debian's, with Django, DRF, FastAPI

PROJECT = """\
# A project: what a task belongs to.
[fields]
name = { type = "string", max_length = 80 }
"""

TASK = """\
# The board's task (examples/board), trimmed for the benchmark.
[fields]
project = { type = "ref", to = "project", on_delete = "cascade" }
title = { type = "string", max_length = 200 }
description = { type = "text", optional = true, blank = true }
status = { type = "enum", values = ["todo", "doing", "done"], default = "todo" }
priority = { type = "enum", values = ["low", "normal", "high"], default = "normal" }
due = "date?"

[api]
operations = ["list", "retrieve", "create", "partial_update"]
page_size = 20
"""

# row name, wrk mode, the status every answer must have
ROWS = [("list 20", "list", 200), ("retrieve", "retrieve", 200),
        ("create", "create", 201), ("PATCH", "patch", 200),
        ("create, invalid", "invalid", None)]

# per server: list path, item prefix and suffix, create path, invalid status
PATHS = {
    "kiln": ("/api/tasks", "/api/tasks/", "", "/api/tasks", 422),
    "drf": ("/api/tasks/", "/api/tasks/", "/", "/api/tasks/", 400),
    "fastapi": ("/api/tasks", "/api/tasks/", "", "/api/tasks", 422),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(cmd, env=None, cwd=None, log=None):
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log or
                            subprocess.DEVNULL, stderr=subprocess.STDOUT
                            if log else subprocess.DEVNULL,
                            start_new_session=True)


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=20)
    except Exception:  # noqa: BLE001
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def http(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
        headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_up(port, path, proc, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server on port %d exited (%d)"
                             % (port, proc.returncode))
        try:
            if http(port, "GET", path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server on port %d did not come up" % port)


def check(name, port, ntasks):
    """One request of each row: the statuses and shapes the load expects."""
    lp, pre, suf, cp, bad = PATHS[name]
    st, b = http(port, "GET", lp)
    page = json.loads(b)
    items = page.get("items", page.get("results"))
    assert st == 200 and len(items) == 20, (name, "list", st, b[:200])
    st, b = http(port, "GET", "%s%d%s" % (pre, ntasks // 2, suf))
    row = json.loads(b)
    assert st == 200 and row["id"] == ntasks // 2, (name, "retrieve", st, b)
    new = {"project": 3, "title": "Check", "description": "x",
           "status": "doing", "priority": "high", "due": "2026-12-31"}
    st, b = http(port, "POST", cp, new)
    row = json.loads(b)
    assert st == 201 and row["title"] == "Check" and row["project"] == 3, (
        name, "create", st, b)
    st, b = http(port, "PATCH", "%s%d%s" % (pre, row["id"], suf),
                 {"status": "done", "priority": "low"})
    row = json.loads(b)
    assert st == 200 and row["status"] == "done" and \
        row["title"] == "Check", (name, "patch", st, b)
    st, b = http(port, "POST", cp, {"project": 1, "title": "",
                                    "status": "later", "priority": "high"})
    text = b.decode()
    assert st == bad and "title" in text and "status" in text, (
        name, "invalid", st, b)


def unit(v, u):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[u]


def wrk(name, port, mode, ntasks):
    lp, pre, suf, cp, _ = PATHS[name]
    out = subprocess.run(
        [WRK, "-t2", "-c%d" % opts.conns, "-d%ds" % opts.seconds, "--latency",
         "--timeout", "10s",
         "-s", os.path.join(HERE, "load.lua"), "http://127.0.0.1:%d" % port,
         "--", mode, lp, pre, suf, cp, str(ntasks)],
        capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "total": int(total.group(1)) if total else 0,
            "p99": unit(*p99.groups()) if p99 else float("nan"),
            "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errs.group(0) if errs else ""}


def kiln(args, cwd, env=None):
    p = subprocess.run([os.path.join(opts.build, "kiln")] + args, cwd=cwd,
                       env=dict(os.environ, KILN_QUIET="1", **(env or {})),
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("kiln %s: %s%s" % (" ".join(args), p.stdout,
                                            p.stderr))
    return p.stdout


def make_project(top):
    kiln(["new", "tb"], top)
    root = os.path.join(top, "tb")
    shutil.rmtree(os.path.join(root, "tests"), ignore_errors=True)
    os.unlink(os.path.join(root, "api", "hello.c"))
    os.makedirs(os.path.join(root, "models"), exist_ok=True)
    with open(os.path.join(root, "models", "project.toml"), "w") as f:
        f.write(PROJECT)
    with open(os.path.join(root, "models", "task.toml"), "w") as f:
        f.write(TASK)
    kiln(["migrate", "--make", "init"], root)
    t0 = time.monotonic()
    kiln(["build"], root)
    print("kiln build of the app: %.1f s" % (time.monotonic() - t0))
    return root


def seed(url, ntasks):
    import psycopg2
    c = psycopg2.connect(url)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("INSERT INTO project (name) SELECT 'Project ' || i FROM "
                "generate_series(1, 10) i")
    cur.execute(
        "INSERT INTO task (project_id, title, description, status, priority, "
        "due) SELECT 1 + i %% 10, 'Task ' || i, CASE WHEN i %% 3 = 0 THEN "
        "NULL ELSE 'The description of task ' || i END, (ARRAY['todo', "
        "'doing', 'done'])[1 + i %% 3], (ARRAY['low', 'normal', 'high'])"
        "[1 + i %% 3], CASE WHEN i %% 4 = 0 THEN NULL ELSE DATE "
        "'2026-01-01' + i %% 365 END FROM generate_series(1, %s) i",
        (ntasks,))
    cur.execute("VACUUM ANALYZE")
    c.close()


def trim(url, ntasks):
    """Back to the seeded rows: what one server created goes."""
    import psycopg2
    c = psycopg2.connect(url)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("DELETE FROM task WHERE id > %s", (ntasks,))
    cur.execute("SELECT setval(pg_get_serial_sequence('task', 'id'), %s)",
                (ntasks,))
    cur.execute("VACUUM ANALYZE task")
    c.close()


def server(name, root, url, logdir):
    port = free_port()
    log = open(os.path.join(logdir, name + ".log"), "w")
    n = str(opts.workers)
    if name == "kiln":
        p = start([os.path.join(root, "dist", "tb"), "--port", str(port),
                   "--workers", n, "--set", "database.url=" + url],
                  env=dict(os.environ, KILN_APP_SECRET_KEY="YmVuY2gtb25seS"
                           "1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OQ=="),
                  cwd=root, log=log)
    elif name == "drf":
        p = start([PY, "-m", "gunicorn", "-w", n, "-b",
                   "127.0.0.1:%d" % port, "--log-level", "warning",
                   "tasks_drf:application"],
                  env=dict(os.environ, API_DB=url, PYTHONPATH=HERE), log=log)
    else:
        p = start([PY, "-m", "uvicorn", "--workers", n, "--port", str(port),
                   "--host", "127.0.0.1", "--log-level", "warning",
                   "--no-access-log", "tasks_fastapi:app"],
                  env=dict(os.environ, API_DB=url, PYTHONPATH=HERE), log=log)
    wait_up(port, PATHS[name][0], p)
    return p, port


def fmt_p99(v):
    return "%.2f ms" % v if v == v else "n/a"


def main():
    import pg_server
    names = opts.only.split(",")
    tmp = tempfile.mkdtemp(prefix="kiln-apibench-")
    pg = None
    results = {}
    try:
        root = make_project(tmp)
        pg = os.path.join(tmp, "pg")
        url = pg_server.start(pg)
        kiln(["migrate", "--set", "database.url=" + url], root)
        seed(url, opts.tasks)
        print("%d tasks in 10 projects; wrk 2 threads, %d connections, %d s "
              "per row; %d workers per server (kiln threads, gunicorn sync "
              "processes, uvicorn processes); %d cores; load average %.1f"
              % (opts.tasks, opts.conns, opts.seconds, opts.workers,
                 os.cpu_count(), os.getloadavg()[0]), flush=True)
        for name in names:
            trim(url, opts.tasks)
            p, port = server(name, root, url, tmp)
            try:
                check(name, port, opts.tasks)
                for row, mode, want in ROWS:
                    r = wrk(name, port, mode, opts.tasks)
                    ok = (r["non2xx"] == 0 if want else
                          r["non2xx"] == r["total"])
                    r["ok"] = ok and not r["errors"]
                    results[(name, row)] = r
                    print("%-8s %-16s %9.0f req/s  p99 %9s%s" % (
                        name, row, r["rps"], fmt_p99(r["p99"]),
                        "" if r["ok"] else "  (non-2xx %d of %d; %s)"
                        % (r["non2xx"], r["total"], r["errors"])),
                        flush=True)
            finally:
                stop(p)
    finally:
        if pg:
            pg_server.stop(pg)
        if opts.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print()
    head = "| row |"
    for n in names:
        head += " %s req/s | %s p99 |" % (n, n)
    others = [n for n in names if n != "kiln"]
    if "kiln" in names:
        for n in others:
            head += " kiln/%s |" % n
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    for row, _, _ in ROWS:
        line = "| %s |" % row
        for n in names:
            r = results.get((n, row))
            line += " %s | %s |" % ("{:,.0f}".format(r["rps"]),
                                    fmt_p99(r["p99"])) if r else " - | - |"
        if "kiln" in names:
            k = results.get(("kiln", row))
            for n in others:
                o = results.get((n, row))
                line += " %s |" % ("%.1fx" % (k["rps"] / o["rps"])
                                   if k and o and o["rps"] else "-")
        print(line)


if __name__ == "__main__":
    if os.path.realpath(sys.executable) != os.path.realpath(PY):
        # Debian's interpreter has the packages (a python3 earlier on PATH
        # may not)
        os.execv(PY, [PY] + sys.argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--only", default="kiln,drf,fastapi")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (logs, the project)")
    opts = ap.parse_args()
    main()
