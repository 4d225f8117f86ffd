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
import shutil
import tempfile
import urllib.error
import urllib.request

import benchlib
from benchlib import ROOT

HERE = os.path.join(ROOT, "bench", "api")

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


def wrk(name, port, mode, ntasks):
    lp, pre, suf, cp, _ = PATHS[name]
    return benchlib.wrk(port, "", opts.conns, opts.seconds,
                        script=os.path.join(HERE, "load.lua"),
                        args=[mode, lp, pre, suf, cp, str(ntasks)])


def make_project(top):
    root = benchlib.new_project(opts.build, top, "tb")
    os.makedirs(os.path.join(root, "models"), exist_ok=True)
    with open(os.path.join(root, "models", "project.toml"), "w") as f:
        f.write(PROJECT)
    with open(os.path.join(root, "models", "task.toml"), "w") as f:
        f.write(TASK)
    benchlib.kiln(opts.build, ["migrate", "--make", "init"], root)
    benchlib.build_project(opts.build, root)
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
    log = open(os.path.join(logdir, name + ".log"), "w")
    env = dict(os.environ, API_DB=url, PYTHONPATH=HERE)
    if name == "kiln":
        p, port = benchlib.kiln_server(root, "tb", url, opts.workers, log)
    elif name == "drf":
        p, port = benchlib.gunicorn("tasks_drf:application", opts.workers,
                                    log, env)
    else:
        p, port = benchlib.uvicorn("tasks_fastapi:app", opts.workers, log,
                                   env)
    benchlib.wait_up(port, p,
                     lambda: http(port, "GET", PATHS[name][0])[0] == 200)
    return p, port


def main():
    names = opts.only.split(",")
    tmp = tempfile.mkdtemp(prefix="kiln-apibench-")
    pg = None
    results = {}
    try:
        root = make_project(tmp)
        pg, url = benchlib.pg_start(tmp)
        benchlib.kiln(opts.build, ["migrate", "--set", "database.url=" + url],
                      root)
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
                        name, row, r["rps"], benchlib.fmt_p99(r["p99"]),
                        "" if r["ok"] else "  (non-2xx %d of %d; %s)"
                        % (r["non2xx"], r["total"], r["errors"])),
                        flush=True)
            finally:
                benchlib.stop(p)
    finally:
        if pg:
            benchlib.pg_stop(pg)
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
                                    benchlib.fmt_p99(r["p99"])) if r else " - | - |"
        if "kiln" in names:
            k = results.get(("kiln", row))
            for n in others:
                o = results.get((n, row))
                line += " %s |" % ("%.1fx" % (k["rps"] / o["rps"])
                                   if k and o and o["rps"] else "-")
        print(line)


if __name__ == "__main__":
    benchlib.reexec_debian_python()
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
