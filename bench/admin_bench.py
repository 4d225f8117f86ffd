#!/usr/bin/python3
"""bench/admin_bench.py - Kiln's admin against Django's admin for the same
model on one PostgreSQL, in one run, on 127.0.0.1 only (issue 14).

    python3 bench/admin_bench.py [--seconds 10] [--conns 32] [--tasks 10000]
                                 [--workers N] [--only kiln,django] [--keep]

The model is the board's task, trimmed (the one bench/api_bench.py uses): a
project foreign key, title, description, status and priority enums, a due
date. The script makes a Kiln project with that model and its [admin]
table (columns title, project.name, status, priority, due; a status filter;
a search on title; newest first; 100 rows a page), builds it, starts a
private PostgreSQL (tests/pg_server.py), migrates it with `kiln migrate`
and seeds 10 projects and --tasks tasks. Both admins use those tables:

  kiln    dist/<app> --workers N (production mode), its admin at /admin/
  django  bench/django_admin/: the same columns, filter, search, ordering
          and page size in a ModelAdmin (list_select_related for the
          foreign key), DEBUG off, gunicorn with N sync workers

N defaults to the number of cores. Each side has a staff superuser logged
in (Kiln: POST /api/auth/login; Django: a session made by
bench/django_admin/benchsite.py setup); every request carries its session
cookie, so both run their session and permission checks. The pages are
checked first (status, 100 rows with the projects' names, the filtered
count, the form's title); then for each row wrk (2 threads, --conns
connections, --seconds, bench/django_admin/load.lua) runs against both in
turn, and the script prints requests/s and the p99 of each, and Kiln's
ratios. Rows:

  change list     GET the first page: 100 rows, with the foreign key column
  filter+search   the same, filtered by status and searched ("12" in title)
  search letters  the same with letters in the search ("TASK": every todo
                  task; Kiln then compares lower(title), which a text
                  without letters skips)
  change form     GET the form of a random task

Issue 14's target: at least 20x Django's requests/s on the change list,
and a p99 under 10 ms for Kiln. Needs wrk, gunicorn, python3-django,
python3-psycopg2 (scripts/deps.sh bench).
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
HERE = os.path.join(ROOT, "bench", "django_admin")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PY = "/usr/bin/python3"  # Debian's, with Django
PASSWORD = "bench-only-password"

PROJECT = """\
# A project: what a task belongs to.
[fields]
name = { type = "string", max_length = 80 }

[admin]
search = ["name"]
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

[admin]
list = ["title", "project.name", "status", "priority", "due"]
filters = ["status"]
search = ["title"]
ordering = ["-id"]
list_per_page = 100
"""

SEARCH = "12"  # matches Task 12, 112, 120..129, 1200..1299...
WORDS = "TASK"  # letters, any case: every task (lower(title) compared)

# row name, the target (or an item's prefix and suffix) per side
ROWS = [
    ("change list", {"kiln": ("/admin/task/", "", ""),
                     "django": ("/admin/tasks/task/", "", "")}),
    ("filter+search", {
        "kiln": ("/admin/task/?f.status=todo&q=" + SEARCH, "", ""),
        "django": ("/admin/tasks/task/?status__exact=todo&q=" + SEARCH, "",
                   "")}),
    ("search letters", {
        "kiln": ("/admin/task/?f.status=todo&q=" + WORDS.replace(" ", "+"),
                 "", ""),
        "django": ("/admin/tasks/task/?status__exact=todo&q=" +
                   WORDS.replace(" ", "+"), "", "")}),
    ("change form", {"kiln": ("", "/admin/task/", "/"),
                     "django": ("", "/admin/tasks/task/", "/change/")}),
]


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


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(port, method, path, body=None, headers=None):
    """(status, body bytes, [Set-Cookie values])."""
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=data, method=method, headers=h)
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, r.read(), r.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get_all("Set-Cookie") or []


def wait_up(port, path, proc, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server on port %d exited (%d)"
                             % (port, proc.returncode))
        try:
            if http(port, "GET", path)[0] < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server on port %d did not come up" % port)


def kiln(args, cwd, env=None, input=None):
    p = subprocess.run([os.path.join(opts.build, "kiln")] + args, cwd=cwd,
                       env=dict(os.environ, KILN_QUIET="1", **(env or {})),
                       capture_output=True, text=True, input=input)
    if p.returncode != 0:
        raise SystemExit("kiln %s: %s%s" % (" ".join(args), p.stdout,
                                            p.stderr))
    return p.stdout


def make_project(top):
    kiln(["new", "ab"], top)
    root = os.path.join(top, "ab")
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
    """10 projects and ntasks tasks, as bench/api_bench.py seeds them;
    returns how many tasks the filter+search row selects."""
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
    n = []
    for term in (SEARCH, WORDS):
        cur.execute("SELECT count(*) FROM task WHERE status = 'todo' AND "
                    "title ILIKE %s", ("%" + term + "%",))
        n.append(cur.fetchone()[0])
    c.close()
    return n


def kiln_login(port):
    """The staff user's session cookies, from POST /api/auth/login."""
    st, body, cookies = http(port, "POST", "/api/auth/login",
                             {"login": "bench", "password": PASSWORD},
                             {"Origin": "http://127.0.0.1:%d" % port})
    if st != 200:
        raise SystemExit("kiln login: %d %s" % (st, body[:300]))
    return "; ".join(c.split(";", 1)[0] for c in cookies)


def server(name, root, url, logdir):
    """(process, port, cookie) of a side, up and logged in."""
    port = free_port()
    log = open(os.path.join(logdir, name + ".log"), "w")
    n = str(opts.workers)
    if name == "kiln":
        p = start([os.path.join(root, "dist", "ab"), "--port", str(port),
                   "--workers", n, "--set", "database.url=" + url],
                  env=dict(os.environ, KILN_APP_SECRET_KEY="YmVuY2gtb25seS"
                           "1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OQ=="),
                  cwd=root, log=log)
        wait_up(port, "/api/auth/me", p)
        return p, port, kiln_login(port)
    env = dict(os.environ, API_DB=url, PYTHONPATH=HERE)
    key = subprocess.run([PY, os.path.join(HERE, "benchsite.py"), "setup"],
                         env=env, capture_output=True, text=True)
    if key.returncode != 0:
        raise SystemExit("django setup: " + key.stderr[-2000:])
    p = start([PY, "-m", "gunicorn", "-w", n, "-b", "127.0.0.1:%d" % port,
               "--log-level", "warning", "benchsite:application"],
              env=env, cwd=HERE, log=log)
    wait_up(port, "/admin/login/", p)
    return p, port, "sessionid=" + key.stdout.strip().splitlines()[-1]


def check(name, port, cookie, ntasks, nfound):
    """One request of each row: the pages the load will ask for are what
    they should be (a login page or an error would be cheap to serve)."""
    h = {"Cookie": cookie, "Accept": "text/html"}
    marks = {"kiln": 'name="_selected" value=',
             "django": 'name="_selected_action" value='}
    for title, sides in ROWS:
        target, prefix, suffix = sides[name]
        if prefix:
            target = "%s%d%s" % (prefix, ntasks // 2, suffix)
        st, body, _ = http(port, "GET", target, headers=h)
        html = body.decode("utf-8", "replace")
        assert st == 200, (name, title, st, html[:500])
        if title == "change list":
            assert html.count(marks[name]) == 100, (
                name, title, html.count(marks[name]))
            assert "Task %d<" % ntasks in html and "Project " in html, (
                name, title, "the newest task and the projects' names")
        elif title in ("filter+search", "search letters"):
            want = nfound[title == "search letters"]
            assert html.count(marks[name]) == min(100, want), (
                name, title, html.count(marks[name]), want)
            assert str(want) in html, (name, title, "the count", want)
        else:
            assert 'value="Task %d"' % (ntasks // 2) in html, (
                name, title, html[:2000])


def unit(v, u):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[u]


def wrk(port, cookie, sides, name, ntasks):
    target, prefix, suffix = sides[name]
    out = subprocess.run(
        [WRK, "-t2", "-c%d" % opts.conns, "-d%ds" % opts.seconds, "--latency",
         "--timeout", "10s", "-s", os.path.join(HERE, "load.lua"),
         "http://127.0.0.1:%d" % port, "--", cookie, target or "-", prefix,
         suffix, str(ntasks)],
        capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    n = int(total.group(1)) if total else 0
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "total": n,
            # no request finished in time: no latency to speak of
            "p99": unit(*p99.groups()) if p99 and n else float("nan"),
            "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errs.group(0) if errs else ""}


def fmt_p99(v):
    return "%.2f ms" % v if v == v else "n/a"


def main():
    import pg_server
    names = opts.only.split(",")
    tmp = tempfile.mkdtemp(prefix="kiln-adminbench-")
    pg = None
    results = {}
    try:
        root = make_project(tmp)
        pg = os.path.join(tmp, "pg")
        url = pg_server.start(pg)
        kiln(["migrate", "--set", "database.url=" + url], root)
        kiln(["user", "create", "--superuser", "--staff", "bench", "--set",
              "database.url=" + url], root, input=PASSWORD + "\n")
        nfound = seed(url, opts.tasks)
        print("%d tasks in 10 projects (%d and %d match the two searches); wrk 2 "
              "threads, %d connections, %d s per row; %d workers per server "
              "(kiln threads, gunicorn sync processes); %d cores; load "
              "average %.1f" % (opts.tasks, nfound[0], nfound[1], opts.conns,
                                opts.seconds, opts.workers, os.cpu_count(),
                                os.getloadavg()[0]), flush=True)
        for name in names:
            p, port, cookie = server(name, root, url, tmp)
            try:
                check(name, port, cookie, opts.tasks, nfound)
                for row, sides in ROWS:
                    r = wrk(port, cookie, sides, name, opts.tasks)
                    r["ok"] = (r["non2xx"] == 0 and not r["errors"] and
                               r["total"] > 0)
                    results[(name, row)] = r
                    print("%-8s %-14s %9.0f req/s  p99 %9s%s" % (
                        name, row, r["rps"], fmt_p99(r["p99"]),
                        "" if r["ok"] else "  (%d requests, non-2xx %d; %s)"
                        % (r["total"], r["non2xx"], r["errors"])),
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
    both = "kiln" in names and "django" in names
    if both:
        head += " kiln/django |"
    print(head)
    print("|" + " --- |" * (head.count("|") - 1))
    for row, _ in ROWS:
        line = "| %s |" % row
        for n in names:
            r = results.get((n, row))
            line += " %s | %s |" % ("{:,.0f}".format(r["rps"]),
                                    fmt_p99(r["p99"])) if r else " - | - |"
        if both:
            k, d = results.get(("kiln", row)), results.get(("django", row))
            line += " %s |" % ("%.1fx" % (k["rps"] / d["rps"])
                               if k and d and d["rps"] else "-")
        print(line)
    k, d = results.get(("kiln", "change list")), results.get(
        ("django", "change list"))
    if k and d and d["rps"]:
        ratio = k["rps"] / d["rps"]
        print("\nissue 14's targets: change list %.1fx Django's req/s "
              "(target >= 20x: %s); Kiln's p99 %s (target < 10 ms: %s)"
              % (ratio, "met" if ratio >= 20 else "not met",
                 fmt_p99(k["p99"]), "met" if k["p99"] < 10 else "not met"))


if __name__ == "__main__":
    if os.path.realpath(sys.executable) != os.path.realpath(PY):
        # Debian's interpreter has the packages (a python3 earlier on PATH
        # may not)
        os.execv(PY, [PY] + sys.argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--only", default="kiln,django")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder (logs, the project)")
    opts = ap.parse_args()
    opts.build = os.path.abspath(opts.build)  # commands run in other folders
    main()
