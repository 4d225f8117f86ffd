#!/usr/bin/env python3
"""tests/redis_server.py - a throwaway Redis server for the tests: Debian's
redis-server on a free port of 127.0.0.1 only, no persistence, its files
in a folder of its own; stopped (and the folder deleted) at the end.

  srv = redis_server.Redis(folder).start()   # srv.url "redis://127.0.0.1:P"
  srv.stop(); srv.start()                    # the same port again
  srv.close()                                # stop and delete the folder

Command line: `redis_server.py DIR` runs one until interrupted.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import freeport  # noqa: E402 - tests/freeport.py


def _free_port():
    """A free port no other test process was given lately (freeport.py)."""
    return freeport.take()


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Redis:
    def __init__(self, folder, port=None, args=()):
        self.folder = os.path.abspath(folder)
        self.port = port or _free_port()
        self.args = list(args)
        self.proc = None
        self.url = "redis://127.0.0.1:%d" % self.port

    def start(self, timeout=10):
        """Starts the server (again, on the same port); returns self."""
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed "
                               "(scripts/deps.sh test installs it)")
        os.makedirs(self.folder, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:  # the port may linger for a moment after a stop
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port),
                 "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", self.folder, "--loglevel", "warning",
                 "--logfile", os.path.join(self.folder, "redis.log")]
                + self.args,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            while time.monotonic() < deadline:
                if _accepts(self.port):
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
            if self.proc.poll() is None or time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError("redis-server did not start on port %d"
                                   % self.port)
            time.sleep(0.1)

    def stop(self):
        """Stops the server at once (SIGKILL: no goodbye to clients)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def pause(self):
        """Freezes the server (SIGSTOP): connections stay, nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def command(self, *args):
        """One command with redis-cli; returns its output."""
        p = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        return p.stdout.decode()

    def close(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: redis_server.py DIR")
    r = Redis(sys.argv[1]).start()
    print(r.url, flush=True)
    try:
        r.proc.wait()
    except KeyboardInterrupt:
        r.close()
