#!/usr/bin/env python3
"""tests/pg_server.py - a throwaway PostgreSQL server for the tests and
benchmarks: initdb into a folder, listen on a free port of 127.0.0.1 only
(no Unix socket outside the folder), stop and delete at the end.

  url = pg_server.start(folder)   # "postgres://kiln@127.0.0.1:PORT/kiln"
  pg_server.restart(folder) / pg_server.stop(folder, keep=False)

As root the server runs as the 'postgres' user (PostgreSQL refuses root).
Command line: `pg_server.py start DIR` prints the URL; `stop DIR`.
"""
import glob
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import freeport  # noqa: E402 - tests/freeport.py


def _bindir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, "pg_ctl")):
            return d
    raise RuntimeError("PostgreSQL is not installed "
                       "(scripts/deps.sh test installs it)")


def _as_user(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def _free_port():
    """A free port no other test process was given lately (freeport.py)."""
    return freeport.take()


def _run(cmd, **kw):
    p = subprocess.run(_as_user(cmd), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n"
                           + p.stdout.decode(errors="replace"))
    return p.stdout.decode(errors="replace")


def _data(folder):
    return os.path.join(os.path.abspath(folder), "data")


def _pg_ctl_start(folder):
    data = _data(folder)
    with open(os.path.join(folder, "port")) as f:
        port = int(f.read())
    _run([os.path.join(_bindir(), "pg_ctl"), "-D", data, "-w", "-t", "30",
          "-l", os.path.join(data, "server.log"),
          "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
          "start"])
    return port


def start(folder):
    """Creates and starts a server in folder; returns its URL."""
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    data = _data(folder)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        parent = os.path.dirname(folder)  # often a mkdtemp folder (0700)
        os.chmod(parent, os.stat(parent).st_mode | 0o011)
    _run([os.path.join(_bindir(), "initdb"), "-D", data, "-U", "kiln",
          "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 200\n"
                "shared_buffers = 64MB\nlog_min_messages = warning\n")
    port = _free_port()
    with open(os.path.join(folder, "port"), "w") as f:
        f.write(str(port))
    _pg_ctl_start(folder)
    # the database the URL names
    _run([os.path.join(_bindir(), "createdb") if os.path.exists(
        os.path.join(_bindir(), "createdb")) else "createdb",
          "-h", "127.0.0.1", "-p", str(port), "-U", "kiln", "kiln"])
    return f"postgres://kiln@127.0.0.1:{port}/kiln"


def url(folder):
    with open(os.path.join(folder, "port")) as f:
        return f"postgres://kiln@127.0.0.1:{int(f.read())}/kiln"


def stop_server(folder, mode="fast"):
    """Stops the server but keeps its data (restart() starts it again)."""
    _run([os.path.join(_bindir(), "pg_ctl"), "-D", _data(folder), "-w",
          "-m", mode, "stop"])


def restart(folder):
    """Starts a server stopped with stop_server, on the same port."""
    for _ in range(50):  # the port may linger for a moment
        try:
            return _pg_ctl_start(folder)
        except RuntimeError:
            time.sleep(0.2)
    return _pg_ctl_start(folder)


def stop(folder, keep=False):
    """Stops the server (if running) and deletes folder unless keep."""
    data = _data(folder)
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(_as_user([os.path.join(_bindir(), "pg_ctl"), "-D",
                                 data, "-w", "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)


def psql(folder_or_url, sql):
    """Runs sql with psql; returns its unaligned output."""
    u = folder_or_url if "://" in folder_or_url else url(folder_or_url)
    p = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v",
                        "ON_ERROR_STOP=1", u, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode(errors="replace"))
    return p.stdout.decode()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: pg_server.py start|stop DIR")
    if sys.argv[1] == "start":
        print(start(sys.argv[2]))
    else:
        stop(sys.argv[2])
