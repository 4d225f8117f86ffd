#!/usr/bin/env python3
"""Run Kiln's black-box HTTP tests.

    python3 tests/blackbox/run.py [--bin BUILD_DIR] [--list] [FILTER...]

BUILD_DIR (default: build) holds tests/testapp and examples/hello.
A FILTER selects the tests whose "module.test" name contains it.
KILN_BB_ASAN=1: the binaries are sanitizer builds (timeouts are scaled up,
workloads scaled down).

Prints "ok - module.test" / "not ok - module.test: reason" per test and
"N passed, N failed" at the end; exits 1 if anything failed.
"""

import argparse
import glob
import importlib
import os
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build", help="build directory (default: build)")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print tracebacks and durations")
    ap.add_argument("filters", nargs="*")
    opts = ap.parse_args()

    os.environ["KILN_BB_BIN"] = os.path.abspath(opts.bin)
    import harness
    harness.BIN_DIR = os.path.abspath(opts.bin)

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
                if opts.filters and not any(f in full for f in opts.filters):
                    continue
                tests.append((full, fn))

    if opts.list:
        for full, _ in tests:
            print(full)
        return 0

    passed = failed = 0
    for modname, tb in load_errors:
        failed += 1
        print("not ok - %s: import failed" % modname)
        print("#   " + tb.replace("\n", "\n#   "))

    for full, fn in tests:
        limit = getattr(fn, "timeout", 30) * harness.SLOW
        start = time.monotonic()
        ok, reason, tb = run_one(fn, limit)
        dur = time.monotonic() - start
        harness.kill_all_servers()  # servers a failed test left behind
        for dead in harness.check_shared_servers() + harness.take_sanitizer_reports():
            if ok:
                ok, reason = False, dead
            else:
                reason += "; " + dead
        if ok:
            passed += 1
            print("ok - %s%s" % (full, " (%.2fs)" % dur if opts.verbose else ""))
        else:
            failed += 1
            print("not ok - %s: %s" % (full, reason.replace("\n", "\n#   ")))
            if opts.verbose and tb:
                print("#   " + tb.rstrip().replace("\n", "\n#   "))
        sys.stdout.flush()

    if tests:
        # The shared servers exit 0 on SIGTERM, without sanitizer reports.
        problems = harness.stop_shared_servers()
        harness.kill_all_servers()
        problems += harness.take_sanitizer_reports()
        if problems:
            failed += 1
            print("not ok - run.shared_servers_exit_cleanly: %s" % "; ".join(problems))
        else:
            passed += 1
            print("ok - run.shared_servers_exit_cleanly")
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    # Threads of timed-out tests may still be blocked; do not wait for them.
    os._exit(1 if failed else 0)


def _order(mod, name):
    """Tests run in source order (functions defined later run later)."""
    fn = getattr(mod, name, None)
    code = getattr(fn, "__code__", None)
    return (getattr(fn, "order", None) or (code.co_firstlineno if code else 0), name)


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


if __name__ == "__main__":
    sys.exit(main())
