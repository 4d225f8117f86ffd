#!/usr/bin/env python3
"""Run Kiln's black-box HTTP tests.

    python3 tests/blackbox/run.py [--bin BUILD_DIR] [-j N] [--list] [-v]
                                  [--report FILE] [FILTER...]

BUILD_DIR (default: build) holds tests/testapp and examples/hello.
A FILTER selects the tests whose "module.test" name contains it.
KILN_BB_ASAN=1: the binaries are sanitizer builds (timeouts are scaled up,
workloads scaled down).

Tests run in up to N processes at a time (-j; default $KILN_BB_JOBS, else
3): most of a black-box test's time is spent waiting on servers, not
computing. Each module's tests run in source order in one process of their
own, with a TMPDIR of their own and, when KILN_TEST_DB_URL names a
PostgreSQL server, a database of their own on it (dropped afterwards), so
modules cannot see each other's files or rows; a module whose tests share
nothing says SPLIT = True and each of its tests may get a process of its
own. The tests that must run alone (harness.serial, or SERIAL = True in
their module: they measure time or load) run after the others, one module
at a time. The modules known to take longest start first (durations of
the last run, kept in BUILD_DIR/blackbox-durations.json). Servers take
their ports from tests/freeport.py, which never hands one out twice.

Prints "ok - module.test" / "not ok - module.test: reason" per test, each
module's lines together when it finishes, and "N passed, N failed" at the
end; exits 1 if anything failed. --report FILE: this run's duration of
each test, as a JSON object, for tests/run.py's summary.
"""

import argparse
import glob
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

DURATIONS = "blackbox-durations.json"
UNKNOWN_DURATION = 3.0  # seconds, for a test that never ran here


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build", help="build directory (default: build)")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print tracebacks, durations and the tests' output")
    ap.add_argument("-j", "--jobs", type=int,
                    default=int(os.environ.get("KILN_BB_JOBS") or 3),
                    help="test processes at a time (default $KILN_BB_JOBS or 3)")
    ap.add_argument("--report", help="write this run's durations (JSON) here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("filters", nargs="*")
    opts = ap.parse_args()

    os.environ["KILN_BB_BIN"] = os.path.abspath(opts.bin)
    import harness
    harness.BIN_DIR = os.path.abspath(opts.bin)

    if opts.child:
        return child(opts.child, opts.filters)

    tests, load_errors = collect(opts.filters)
    if opts.list:
        for full, _, _ in tests:
            print(full)
        return 0
    return parent(opts, tests, load_errors)


# --- the tests -------------------------------------------------------------------

def collect(filters):
    """[(full name, function, module)] in run order, and import failures."""
    tests = []
    load_errors = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        modname = os.path.splitext(os.path.basename(path))[0]
        try:
            mod = importlib.import_module(modname)
        except Exception:
            load_errors.append((modname, traceback.format_exc()))
            continue
        for name in sorted(dir(mod), key=lambda n: _order(mod, n)):
            fn = getattr(mod, name)
            if name.startswith("test_") and callable(fn):
                full = "%s.%s" % (modname, name)
                if filters and not any(f in full for f in filters):
                    continue
                tests.append((full, fn, mod))
    return tests, load_errors


def _order(mod, name):
    """Tests run in source order (functions defined later run later)."""
    fn = getattr(mod, name, None)
    code = getattr(fn, "__code__", None)
    return (getattr(fn, "order", None) or (code.co_firstlineno if code else 0), name)


def limit_of(fn):
    import harness
    return getattr(fn, "timeout", 30) * harness.SLOW


def run_one(fn, limit):
    result = {}

    def target():
        try:
            fn()
            result["ok"] = True
        except AssertionError as e:
            result["err"] = str(e) or "assertion failed"
            result["tb"] = traceback.format_exc()
        except BaseException as e:  # noqa: anything a test throws is a failure
            result["err"] = "%s: %s" % (type(e).__name__, e)
            result["tb"] = traceback.format_exc()

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(limit)
    if th.is_alive():
        return False, "timed out after %.0fs" % limit, None
    if result.get("ok"):
        return True, "", None
    return False, result.get("err", "unknown error"), result.get("tb")


# --- a child: runs the tests it is given, in order ---------------------------------

def child(results_path, names):
    """Runs the named tests (full names) one after the other in this
    process; appends one JSON line per test to results_path, then one with
    the problems of the shared servers. Exits without waiting for the
    threads of timed-out tests."""
    import harness
    out = open(results_path, "a")

    def emit(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    for full in names:
        modname, _, name = full.partition(".")
        start = time.monotonic()
        try:
            fn = getattr(importlib.import_module(modname), name)
        except Exception:
            emit({"name": full, "ok": False, "reason": "import failed",
                  "tb": traceback.format_exc(), "dur": 0.0})
            continue
        ok, reason, tb = run_one(fn, limit_of(fn))
        dur = time.monotonic() - start
        harness.kill_all_servers()  # servers a failed test left behind
        for dead in harness.check_shared_servers() + harness.take_sanitizer_reports():
            if ok:
                ok, reason = False, dead
            else:
                reason += "; " + dead
        emit({"name": full, "ok": ok, "reason": reason, "tb": tb, "dur": dur})
    # The shared servers exit 0 on SIGTERM, without sanitizer reports.
    problems = harness.stop_shared_servers()
    harness.kill_all_servers()
    problems += harness.take_sanitizer_reports()
    emit({"shared": problems})
    out.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# --- the parent: plans, starts children, prints ------------------------------------

class Unit:
    """Tests of one module that one child runs in order."""

    def __init__(self, module, tests, serial, durations):
        self.module = module
        self.tests = tests              # [(full, fn)]
        self.serial = serial
        self.estimate = sum(durations.get(full, guess(fn))
                            for full, fn in tests)
        self.limit = sum(limit_of(fn) for _, fn in tests)
        self.proc = None
        self.dir = None
        self.db = None
        self.start = 0.0
        self.killed = False


def guess(fn):
    """A test's duration when none was measured here: a tenth of a raised
    time limit (the tests that compile apps or run tsc raise theirs)."""
    limit = getattr(fn, "timeout", 30)
    return UNKNOWN_DURATION if limit <= 30 else limit / 10.0


def load_durations(bin_dir):
    """Durations of earlier runs: this build's, else the plain build's
    (the sanitizer run orders its modules by the plain run's times)."""
    for path in (os.path.join(bin_dir, DURATIONS),
                 os.path.join(ROOT, "build", DURATIONS)):
        try:
            with open(path) as f:
                d = json.load(f)
            if isinstance(d, dict):
                return d
        except (OSError, ValueError):
            pass
    return {}


def save_durations(bin_dir, old, new):
    merged = dict(old)
    merged.update(new)
    path = os.path.join(bin_dir, DURATIONS)
    try:
        with open(path + ".part", "w") as f:
            json.dump(merged, f, indent=0, sort_keys=True)
        os.replace(path + ".part", path)
    except OSError:
        pass  # only an ordering hint


def plan(tests, durations):
    """Units: each module's parallel tests, then (separately) its serial
    ones. Parallel units longest first; serial units in module order."""
    by_module = {}
    order = []
    for full, fn, mod in tests:
        if mod.__name__ not in by_module:
            by_module[mod.__name__] = ([], [])
            order.append(mod)
        alone = getattr(fn, "serial", False) or getattr(mod, "SERIAL", False)
        by_module[mod.__name__][1 if alone else 0].append((full, fn))
    parallel, serial = [], []
    for mod in order:
        par, ser = by_module[mod.__name__]
        if par and getattr(mod, "SPLIT", False):
            # independent tests: each may run in a process of its own
            parallel += [Unit(mod.__name__, [one], False, durations)
                         for one in par]
        elif par:
            parallel.append(Unit(mod.__name__, par, False, durations))
        if ser:
            serial.append(Unit(mod.__name__, ser, True, durations))
    parallel.sort(key=lambda u: -u.estimate)
    return parallel, serial


class Runner:
    def __init__(self, opts):
        self.opts = opts
        self.bin = os.path.abspath(opts.bin)
        self.top = tempfile.mkdtemp(prefix="kiln-bb-")
        # PostgreSQL (root runs it as 'postgres') must reach folders below
        os.chmod(self.top, 0o711)
        self.count = 0
        self.passed = 0
        self.failed = 0
        self.durations = {}
        self.shared_problems = []
        self.base_db = os.environ.get("KILN_TEST_DB_URL")

    # a database of the unit's own on the suite's PostgreSQL
    def _psql(self, sql):
        sys.path.insert(0, os.path.dirname(HERE))
        import pg_server
        pg_server.psql(self.base_db, sql)

    def start(self, unit):
        self.count += 1
        unit.dir = os.path.join(self.top, "u%d" % self.count)
        os.mkdir(unit.dir, 0o711)
        os.chmod(unit.dir, 0o711)
        tmp = os.path.join(unit.dir, "tmp")
        os.mkdir(tmp, 0o711)
        os.chmod(tmp, 0o711)
        env = dict(os.environ, TMPDIR=tmp, KILN_BB_BIN=self.bin)
        if self.base_db:
            unit.db = "kiln_bb_%d_%d" % (os.getpid(), self.count)
            try:
                self._psql("CREATE DATABASE " + unit.db)
                env["KILN_TEST_DB_URL"] = (self.base_db.rsplit("/", 1)[0]
                                           + "/" + unit.db)
            except Exception as e:  # noqa: BLE001 - the tests then fail
                unit.db = None
                env["KILN_TEST_DB_URL"] = self.base_db
                print("# %s: no database of its own (%s); the suite's"
                      % (unit.module, e))
        unit.results = os.path.join(unit.dir, "results")
        unit.output = open(os.path.join(unit.dir, "output"), "w+b")
        cmd = [sys.executable, os.path.abspath(__file__), "--bin", self.bin,
               "--child", unit.results] + [full for full, _ in unit.tests]
        unit.start = time.monotonic()
        unit.deadline = unit.start + unit.limit + 60 * (
            4.0 if os.environ.get("KILN_BB_ASAN", "") not in ("", "0") else 1.0)
        unit.proc = subprocess.Popen(cmd, env=env, cwd=os.getcwd(),
                                     stdin=subprocess.DEVNULL,
                                     stdout=unit.output,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def poll(self, unit):
        """True once the unit's child has exited (killed past its limit)."""
        if unit.proc.poll() is not None:
            return True
        if time.monotonic() > unit.deadline:
            try:
                os.killpg(unit.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            unit.proc.wait()
            unit.killed = True
            return True
        return False

    def finish(self, unit):
        """Prints the unit's results, in its tests' order."""
        got = {}
        shared = None
        try:
            with open(unit.results) as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except ValueError:
                        continue
                    if "shared" in r:
                        shared = r["shared"]
                    else:
                        got[r["name"]] = r
        except OSError:
            pass
        rc = unit.proc.returncode
        why = ("the test process was killed after %.0fs" % unit.limit
               if unit.killed else
               "the test process ended (exit %r) before the test ran" % rc)
        for full, _ in unit.tests:
            r = got.get(full) or {"ok": False, "reason": why, "tb": None,
                                  "dur": 0.0}
            if full in got:
                self.durations[full] = r["dur"]
            if r["ok"]:
                self.passed += 1
                print("ok - %s%s" % (full, " (%.2fs)" % r["dur"]
                                     if self.opts.verbose else ""))
            else:
                self.failed += 1
                print("not ok - %s: %s" % (full, r["reason"].replace("\n", "\n#   ")))
                if self.opts.verbose and r.get("tb"):
                    print("#   " + r["tb"].rstrip().replace("\n", "\n#   "))
        if shared is None:
            shared = ["%s: the test process did not stop its shared servers "
                      "(exit %r)" % (unit.module, rc)]
        self.shared_problems += shared
        unit.output.seek(0)
        text = unit.output.read().decode("utf-8", "replace").rstrip()
        unit.output.close()
        if text:  # what the tests printed (and Python's own warnings)
            print("# output of %s%s:" % (unit.module,
                                         " (alone)" if unit.serial else ""))
            print("#   " + text.replace("\n", "\n#   "))
        sys.stdout.flush()
        if unit.db:
            try:
                self._psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % unit.db)
            except Exception:  # noqa: BLE001 - the server goes at the end
                pass
        shutil.rmtree(unit.dir, ignore_errors=True)

    def run(self, units, jobs):
        queue = list(units)
        running = []
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    u = queue.pop(0)
                    self.start(u)
                    running.append(u)
                for u in list(running):
                    if self.poll(u):
                        running.remove(u)
                        self.finish(u)
                if running:
                    time.sleep(0.05)
        except BaseException:
            # interrupted: the children run in sessions of their own, so
            # no ^C reaches them
            for u in running:
                try:
                    os.killpg(u.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            raise

    def close(self):
        shutil.rmtree(self.top, ignore_errors=True)


def parent(opts, tests, load_errors):
    bin_dir = os.path.abspath(opts.bin)
    old = load_durations(bin_dir)
    parallel, serial = plan(tests, old)
    r = Runner(opts)
    for modname, tb in load_errors:
        r.failed += 1
        print("not ok - %s: import failed" % modname)
        print("#   " + tb.replace("\n", "\n#   "))
    sys.stdout.flush()
    try:
        r.run(parallel, max(1, opts.jobs))
        r.run(serial, 1)  # alone: nothing else runs meanwhile
    finally:
        r.close()
    if tests:
        # Each child stops its shared servers: they must exit 0 on SIGTERM,
        # without sanitizer reports.
        if r.shared_problems:
            r.failed += 1
            print("not ok - run.shared_servers_exit_cleanly: %s"
                  % "; ".join(r.shared_problems))
        else:
            r.passed += 1
            print("ok - run.shared_servers_exit_cleanly")
        save_durations(bin_dir, old, r.durations)
    if opts.report:
        with open(opts.report, "w") as f:
            json.dump(r.durations, f)
    if opts.verbose and r.durations:
        print("# slowest:")
        for name, d in sorted(r.durations.items(), key=lambda kv: -kv[1])[:15]:
            print("#   %7.2fs %s" % (d, name))
    print("%d passed, %d failed" % (r.passed, r.failed))
    sys.stdout.flush()
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
