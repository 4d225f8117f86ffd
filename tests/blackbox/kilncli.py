"""Helpers for the end-to-end tests of the `kiln` command (test_cli_*.py).

A Project is a temporary folder made by `kiln new`; Dev runs `kiln dev` on
it with a free port and its output in a file. Everything has a timeout.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness
from harness import TestFailure, t


def kiln_bin():
    return os.path.join(harness.BIN_DIR, "kiln")


def env_for(extra=None):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("KILN_") and k not in ("KILN_BB_ASAN", "KILN_BB_BIN"):
            del e[k]
    e["KILN_QUIET"] = "0"
    if harness.ASAN:
        e.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    e.update(extra or {})
    return e


def run(args, cwd, env=None, timeout=60, input=None):
    """Runs kiln ARGS in cwd; returns (status, stdout, stderr) as text."""
    p = subprocess.run([kiln_bin()] + list(args), cwd=cwd, env=env_for(env),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=t(timeout), input=input)
    err = p.stderr.decode("utf-8", "replace")
    report = harness.sanitizer_report(err)
    if report:
        raise TestFailure("sanitizer report from kiln %s: %s" % (
            " ".join(args), report))
    return (p.returncode, p.stdout.decode("utf-8", "replace"), err)


class Project:
    """A project made by `kiln new NAME` in a fresh temporary folder."""

    def __init__(self, name="app"):
        self.parent = tempfile.mkdtemp(prefix="kiln-cli-")
        rc, out, err = run(["new", name], self.parent)
        if rc != 0:
            raise TestFailure("kiln new failed: %s %s" % (out, err))
        self.name = name
        self.root = os.path.join(self.parent, name)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, text):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        tmp = p + ".part~"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, p)  # editors save like this: one atomic change

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def remove(self, rel):
        p = self.path(rel)
        if os.path.isdir(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)

    def kiln(self, *args, env=None, timeout=120):
        return run(args, self.root, env=env, timeout=timeout)

    def cleanup(self):
        shutil.rmtree(self.parent, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


class Dev:
    """`kiln dev --port P` running on a project."""

    def __init__(self, project, args=(), env=None):
        self.project = project
        self.port = harness.free_port()
        self.log_path = os.path.join(project.parent, "dev.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [kiln_bin(), "dev", "--port", str(self.port)] + list(args),
            cwd=project.root, env=env_for(env), stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def get(self, target, headers=None, timeout=5):
        """One GET on a fresh connection; returns the harness Response."""
        c = harness.Conn(self.port, timeout=t(timeout))
        try:
            c.send(harness.build_request("GET", target, headers=headers))
            return c.read_response()
        finally:
            c.close()

    def request(self, method, target, headers=None, body=b"", timeout=5):
        c = harness.Conn(self.port, timeout=t(timeout))
        try:
            c.send(harness.build_request(method, target, headers=headers,
                                         body=body))
            return c.read_response(method=method)
        finally:
            c.close()

    def wait_for(self, target, pred, what, timeout=30, headers=None):
        """Polls GET target until pred(response) holds; returns it."""
        deadline = time.monotonic() + t(timeout)
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("kiln dev exited (%s) while waiting for %s:"
                                  "\n%s" % (self.proc.returncode, what,
                                            self.output()[-2000:]))
            try:
                last = self.get(target, headers=headers)
                if pred(last):
                    return last
            except (OSError, TestFailure) as e:
                last = e
            time.sleep(0.05)
        raise TestFailure("timed out waiting for %s (last: %s)\n%s" % (
            what, harness.shorten(getattr(last, "body", last), 300),
            self.output()[-2000:]))

    def wait_output(self, text, timeout=30, start=0):
        deadline = time.monotonic() + t(timeout)
        while time.monotonic() < deadline:
            out = self.output()
            if text in out[start:]:
                return out
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise TestFailure("kiln dev never printed %r:\n%s" % (
            text, self.output()[-2000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=t(20))
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        report = harness.sanitizer_report(self.output())
        if report and exc[0] is None:
            raise TestFailure("sanitizer report from kiln dev or its app: "
                              + report)
        return False


def get_when_up(port, target, headers=None, limit=10):
    """GET target on 127.0.0.1:port, retrying while nothing listens yet
    (a server just started); returns the Response, or None after limit
    seconds."""
    deadline = time.monotonic() + t(limit)
    while time.monotonic() < deadline:
        try:
            c = harness.Conn(port, timeout=t(5))
            try:
                c.send(harness.build_request("GET", target, headers=headers))
                return c.read_response()
            finally:
                c.close()
        except OSError:
            time.sleep(0.05)
    return None
