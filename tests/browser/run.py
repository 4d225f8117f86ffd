#!/usr/bin/env python3
"""Run Kiln's browser tests: Debian's Chromium driven by playwright-core.

    python3 tests/browser/run.py [--bin BUILD_DIR] [--list] [FILTER...]

Each tests/browser/test_*.py function builds a project with BUILD_DIR/kiln
(default: build), serves it, and runs a scenario (NAME.mjs, Node) against
it in Chromium; scenarios keep their screenshots in the test's artefact
folder, named on the ok line. Before the first test, `npm ci` installs the
pinned playwright-core and htmx.org of package-lock.json into
tests/browser/node_modules (again only when the lock file changed).

Needs node (>= 20) and /usr/bin/chromium (scripts/deps.sh test installs
both). Prints "ok - module.test" / "not ok - module.test: reason" per test
and "N passed, N failed"; exits 1 if anything failed.
"""

import argparse
import glob
import importlib
import importlib.util
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BLACKBOX = os.path.join(os.path.dirname(HERE), "blackbox")
sys.path.insert(0, HERE)
sys.path.insert(0, BLACKBOX)

def npm_ci():
    """Installs node_modules from the lock file unless it is current
    (harness.npm_ci: once per lock file, whoever asks first); returns
    None, or what went wrong."""
    import harness
    try:
        harness.npm_ci(HERE)
    except harness.TestFailure as e:
        return "npm ci failed:\n" + str(e)
    return None


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("filters", nargs="*")
    opts = ap.parse_args()
    os.environ["KILN_BB_BIN"] = os.path.abspath(opts.bin)
    import harness
    harness.BIN_DIR = os.path.abspath(opts.bin)
    spec = importlib.util.spec_from_file_location(
        "blackbox_run", os.path.join(BLACKBOX, "run.py"))
    bb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bb)  # its run_one: a test in a thread, timed

    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        mod = importlib.import_module(os.path.splitext(
            os.path.basename(path))[0])
        for name in sorted(dir(mod), key=lambda n: bb._order(mod, n)):
            fn = getattr(mod, name)
            full = "%s.%s" % (mod.__name__, name)
            if name.startswith("test_") and callable(fn) and (
                    not opts.filters or any(f in full for f in opts.filters)):
                tests.append((full, fn))
    if opts.list:
        for full, _ in tests:
            print(full)
        return 0

    passed = failed = 0
    problem = None
    if not shutil.which("node"):
        problem = "node is missing (scripts/deps.sh test installs it)"
    elif not os.access(os.environ.get("KILN_CHROMIUM", "/usr/bin/chromium"),
                       os.X_OK):
        problem = "/usr/bin/chromium is missing (scripts/deps.sh test)"
    else:
        problem = npm_ci()
    if problem:
        print("not ok - browser.setup: " + problem.replace("\n", "\n#   "))
        print("0 passed, 1 failed")
        return 1
    for full, fn in tests:
        start = time.monotonic()
        ok, reason, tb = bb.run_one(fn, getattr(fn, "timeout", 60))
        harness.kill_all_servers()
        if ok:
            passed += 1
            note = getattr(fn, "artefacts", None)
            print("ok - %s (%.1fs%s)" % (full, time.monotonic() - start,
                                         ", artefacts in " + note
                                         if note else ""))
        else:
            failed += 1
            print("not ok - %s: %s" % (full, reason.replace("\n", "\n#   ")))
            if tb:
                print("#   " + tb.rstrip().replace("\n", "\n#   "))
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    os._exit(1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
