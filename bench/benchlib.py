"""bench/benchlib.py - what the Python benchmarks that put a Kiln app beside
other frameworks share (api_bench.py, auth_bench.py): Debian's interpreter,
servers on free ports of 127.0.0.1 (Kiln's release binary, gunicorn,
uvicorn), waiting for them, the `kiln` command, a fresh project, a private
PostgreSQL (tests/pg_server.py), and wrk runs parsed into numbers.

    import benchlib
    benchlib.reexec_debian_python()          # first, in __main__
    root = benchlib.new_project(build, tmp, "ab")
    p, port = benchlib.kiln_server(root, "ab", url, workers, log, env)
    r = benchlib.wrk(port, "/api/whoami", conns=64, seconds=10,
                     headers=["Authorization: Bearer ..."])
    print(r["rps"], benchlib.fmt_p99(r["p99"]))
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK = shutil.which("wrk") or "/usr/bin/wrk"
PY = "/usr/bin/python3"  # Debian's, with Django, DRF, FastAPI, simplejwt
# a production app's secret key, for the benchmarks only
SECRET = "YmVuY2gtb25seS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OQ=="

sys.path.insert(0, os.path.join(ROOT, "tests"))


def reexec_debian_python():
    """Runs the script again under Debian's interpreter, which has the
    packages (a python3 earlier on PATH may not)."""
    if os.path.realpath(sys.executable) != os.path.realpath(PY):
        os.execv(PY, [PY] + sys.argv)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(cmd, env=None, cwd=None, log=None):
    """A server in a session of its own (stop() ends its whole group);
    its output goes to log (a file) or nowhere."""
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log or
                            subprocess.DEVNULL, stderr=subprocess.STDOUT
                            if log else subprocess.DEVNULL,
                            start_new_session=True)


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=20)
    except Exception:  # noqa: BLE001 - a stuck server is killed
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def wait_up(port, proc, ready, limit=60):
    """Polls ready() (True once the server answers as it should; OSError
    while nothing listens) until it holds; exits when the server dies or
    after limit seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server on port %d exited (%d)"
                             % (port, proc.returncode))
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server on port %d did not come up" % port)


def kiln(build, args, cwd, stdin=None, env=None):
    """Runs build/kiln ARGS in cwd; its standard output, or exits with
    its messages when it fails."""
    p = subprocess.run([os.path.join(build, "kiln")] + args, cwd=cwd,
                       env=dict(os.environ, KILN_QUIET="1", **(env or {})),
                       input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("kiln %s: %s%s" % (" ".join(args), p.stdout,
                                            p.stderr))
    return p.stdout


def new_project(build, top, name):
    """`kiln new NAME` in top, without its example test and handler;
    returns its folder."""
    kiln(build, ["new", name], top)
    root = os.path.join(top, name)
    shutil.rmtree(os.path.join(root, "tests"), ignore_errors=True)
    os.unlink(os.path.join(root, "api", "hello.c"))
    return root


def build_project(build, root):
    """`kiln build`, timed."""
    t0 = time.monotonic()
    kiln(build, ["build"], root)
    print("kiln build of the app: %.1f s" % (time.monotonic() - t0))


def kiln_server(root, name, url, workers, log, env=None):
    """The project's release binary (dist/NAME, production mode) on a free
    port, on database url; returns (process, port). Not waited for."""
    port = free_port()
    e = dict(os.environ, KILN_APP_SECRET_KEY=SECRET, **(env or {}))
    p = start([os.path.join(root, "dist", name), "--port", str(port),
               "--workers", str(workers), "--set", "database.url=" + url],
              env=e, cwd=root, log=log)
    return p, port


def gunicorn(app, workers, log, env):
    """gunicorn with workers sync processes serving app ("module:wsgi");
    returns (process, port). Not waited for."""
    port = free_port()
    p = start([PY, "-m", "gunicorn", "-w", str(workers), "-b",
               "127.0.0.1:%d" % port, "--log-level", "warning", app],
              env=env, log=log)
    return p, port


def uvicorn(app, workers, log, env):
    """uvicorn with workers processes serving app ("module:asgi")."""
    port = free_port()
    p = start([PY, "-m", "uvicorn", "--workers", str(workers), "--port",
               str(port), "--host", "127.0.0.1", "--log-level", "warning",
               "--no-access-log", app], env=env, log=log)
    return p, port


def pg_start(top):
    """A private PostgreSQL in top/pg; returns (folder, url)."""
    import pg_server
    folder = os.path.join(top, "pg")
    return folder, pg_server.start(folder)


def pg_stop(folder):
    import pg_server
    pg_server.stop(folder)


def unit(v, u):
    """A wrk latency as milliseconds."""
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[u]


def fmt_p99(v):
    return "%.2f ms" % v if v == v else "n/a"


def parse_wrk(out):
    """wrk --latency's report as {rps, total, p99 (ms), non2xx, errors}."""
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


def wrk(port, path, conns, seconds, headers=(), script=None, args=()):
    """wrk -t2 on http://127.0.0.1:port/path (with a Lua script and its
    arguments when given), parsed (parse_wrk)."""
    cmd = [WRK, "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency",
           "--timeout", "10s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append("http://127.0.0.1:%d%s" % (port, path))
    if args:
        cmd += ["--"] + list(args)
    return parse_wrk(subprocess.run(cmd, capture_output=True,
                                    text=True).stdout)
