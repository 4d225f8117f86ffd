#!/usr/bin/env python3
"""tests/run.py - runs every Kiln test suite and prints one total.

Suites (each prints "ok - NAME" / "not ok - NAME" lines):
  unit        build/tests/*/test_*       (tests/test.h binaries), and
              tests/tpl/diff_jinja.py: templates against Jinja2
  blackbox    tests/blackbox/run.py      against build/tests/testapp
  asan-unit   the unit tests built with AddressSanitizer + UBSan
  asan-bb     the black-box tests against the sanitizer build
  db          the database tests again on PostgreSQL: a private server
              (tests/pg_server.py) for test_db, the db, migrate (hand-written
              and from models) and techempower black-box tests, and test_db
              under the sanitizers
  browser     tests/browser/run.py: pages and HTMX in Chromium (Debian's,
              driven by playwright-core from tests/browser/package-lock.json)
  install     tests/install_test.sh: make install to a temporary prefix,
              then kiln new/build/run with only what was installed
  fuzz        scripts/fuzz.sh build-fuzz (FUZZ_SECONDS each, FUZZ_JOBS at
              a time)

--build first does what the suites need, each step timed (`make check`
uses it): the Meson setups (make's rules), `ninja` in build, build-asan and
build-fuzz, and meanwhile `npm ci` in every folder the tests take npm
packages from (tests/*/ and share/*/ with a package-lock.json;
tests/blackbox/harness.py's npm_ci: once per lock file).

The black-box suites run KILN_BB_JOBS test processes at a time (default 3,
see tests/blackbox/run.py). At the end: how long each step took, the 15
slowest tests, and as the last line "N passed, N failed"; the exit status
is 1 if any failed.
Usage: tests/run.py [--build] [SUITE...]
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "blackbox"))

SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:allow_user_segv_handler=1:"
                    "handle_segv=0:detect_stack_use_after_return=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

# The folders whose lock files `npm ci` installs for the suites: each
# tests/*/ and share/*/ with a package-lock.json.
NPM_FOLDERS = sorted(os.path.dirname(p) for p in
                     glob.glob("tests/*/package-lock.json")
                     + glob.glob("share/*/package-lock.json"))

BUILDS = ["build", "build-asan", "build-fuzz"]

phases = []     # (name, seconds): the summary's first table
durations = []  # (seconds, name): tests and unit binaries, for the slowest


def unit_bins(build):
    return sorted(b for b in glob.glob(f"{build}/tests/*/test_*")
                  if os.access(b, os.X_OK) and not b.endswith(".p"))


def run(prefix, cmd, env=None, timeout=900, report=None, one=False):
    """Runs one suite command, echoing its output; returns (passed, failed).
    report: a file the command writes its tests' durations to (JSON);
    one: the command counts as one test among the slowest (a unit binary)."""
    e = dict(os.environ)
    e.update(env or {})
    start = time.time()
    print(f"# {prefix}: {' '.join(cmd)}", flush=True)
    try:
        p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = p.stdout.decode("utf-8", "replace")
        rc = p.returncode
    except subprocess.TimeoutExpired as ex:
        out = (ex.stdout or b"").decode("utf-8", "replace")
        out += f"\nnot ok - {prefix} (suite timed out after {timeout}s)\n"
        rc = 1
    passed = failed = 0
    for line in out.splitlines():
        if line.startswith("ok - "):
            passed += 1
            print(f"ok - {prefix}/{line[5:]}")
        elif line.startswith("not ok - "):
            failed += 1
            print(f"not ok - {prefix}/{line[9:]}")
        elif line.strip() and not line.endswith(" failed"):
            print(f"  {line}")
    if rc != 0 and failed == 0:
        failed += 1
        print(f"not ok - {prefix} (exit status {rc} with no failing test)")
    took = time.time() - start
    print(f"# {prefix}: {passed} passed, {failed} failed ({took:.1f}s)",
          flush=True)
    phases.append((prefix, took))
    if report:
        try:
            with open(report) as f:
                for name, d in json.load(f).items():
                    durations.append((d, f"{prefix}/{name}"))
        except (OSError, ValueError):
            pass
    elif one:
        durations.append((took, prefix))
    return passed, failed


def run_bb(prefix, args, env=None, timeout=1800):
    """A black-box run (tests/blackbox/run.py ARGS); its tests' durations
    go to the summary."""
    fd, report = tempfile.mkstemp(prefix="kiln-bb-report-")
    os.close(fd)
    try:
        return run(prefix, [sys.executable, "tests/blackbox/run.py",
                            "--report", report] + args, env, timeout, report)
    finally:
        os.unlink(report)


def step(name, cmd):
    """One build step, timed; returns True if it succeeded (else its
    output's tail is printed)."""
    start = time.time()
    print(f"# {name}: {' '.join(cmd)}", flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    took = time.time() - start
    phases.append((name, took))
    if p.returncode != 0:
        tail = p.stdout.decode("utf-8", "replace").splitlines()[-40:]
        print(f"not ok - {name} (exit status {p.returncode}):")
        for line in tail:
            print(f"  {line}")
        return False
    print(f"# {name}: done ({took:.1f}s)", flush=True)
    return True


def npm_installs(result):
    """npm ci in each NPM_FOLDERS folder that needs it (alongside the
    builds: it waits on the network, they on the CPU)."""
    import harness
    start = time.time()
    problems = []
    for folder in NPM_FOLDERS:
        try:
            harness.npm_ci(os.path.join(ROOT, folder))
        except Exception as e:  # noqa: BLE001 - the tests report it again
            problems.append(f"{folder}: {e}")
    result["took"] = time.time() - start
    result["problems"] = problems


def build():
    """--build: everything the suites run, each step timed. Returns 0 or
    the number of failed steps."""
    import harness
    npm = {}
    # first: htmx, which meson compiles into the admin when it is there
    try:
        harness.npm_ci(os.path.join(ROOT, "share", "admin"))
    except Exception as e:  # noqa: BLE001 - test_admin_htmx fails on it
        print(f"  npm ci: share/admin: {e}")
    setup = step("setup", ["make", "--no-print-directory"]
                 + [f"{b}/build.ninja" for b in BUILDS])
    if not setup:
        return 1
    th = threading.Thread(target=npm_installs, args=(npm,), daemon=True)
    th.start()
    failed = 0
    for b in BUILDS:
        if not step(b, ["ninja", "-C", b]):
            failed += 1
    th.join()
    phases.append(("npm ci (alongside the builds)", npm["took"]))
    for p in npm["problems"]:
        print(f"  npm ci: {p}")
    return failed


def db_suites():
    """The database tests against a PostgreSQL server started here."""
    import pg_server
    top = tempfile.mkdtemp(prefix="kiln-pg-suite-")
    folder = os.path.join(top, "pg")
    p = f = 0
    start = time.time()
    try:
        url = pg_server.start(folder)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        print(f"not ok - db/postgres-start ({e})")
        return 0, 1
    phases.append(("db-pg/postgres-start", time.time() - start))
    try:
        env = {"KILN_TEST_DB_URL": url}
        a, b = run("db-pg/test_db", ["build/tests/db/test_db"], env)
        p, f = p + a, f + b
        a, b = run("db-pg/test_auth", ["build/tests/auth/test_auth",
                                       "create_and_find", "tokens",
                                       "oidc_sync_writes_only_changes"], env)
        p, f = p + a, f + b
        a, b = run("db-pg/test_audit", ["build/tests/audit/test_audit"], env)
        p, f = p + a, f + b
        a, b = run_bb("db-pg/blackbox", [
            "--bin", "build", "test_db.", "test_techempower", "test_migrate",
            "test_models", "test_migrate_models", "test_tasks",
            "test_api_crud", "test_api_properties", "test_auth_session",
            "test_auth_users", "test_auth_cache", "test_user_fields",
            "test_auth_perm", "test_audit", "test_admin.test_admin_gate",
            "test_admin.test_admin_change_list", "test_admin_rules",
            "test_admin_users",
            "test_kiln_test.test_isolated_databases",
            "test_kiln_test.test_reset_between_tests",
            "test_kiln_test.test_logged_in_test_client"], env)
        p, f = p + a, f + b
        if os.path.exists("build-asan/tests/db/test_db"):
            a, b = run("asan/db-pg/test_db", ["build-asan/tests/db/test_db"],
                       dict(SAN_ENV, **env))
            p, f = p + a, f + b
    finally:
        pg_server.stop(folder)
        import shutil
        shutil.rmtree(top, ignore_errors=True)
    return p, f


def summary(total_p, total_f, started):
    print("# time per step:")
    for name, took in phases:
        print(f"#   {took:8.1f}s  {name}")
    print(f"#   {time.time() - started:8.1f}s  in all (tests/run.py)")
    extra = os.environ.get("KILN_CHECK_DEPS_MS")
    if extra and extra.isdigit():
        print(f"#   {int(extra) / 1000:8.1f}s  scripts/deps.sh test (before, "
              "in make)")
    if durations:
        print("# slowest tests:")
        for took, name in sorted(durations, reverse=True)[:15]:
            print(f"#   {took:8.1f}s  {name}")
    print(f"{total_p} passed, {total_f} failed", flush=True)


def main():
    args = sys.argv[1:]
    do_build = "--build" in args
    want = set(a for a in args if a != "--build")
    started = time.time()
    total_p = total_f = 0

    def add(r):
        nonlocal total_p, total_f
        total_p += r[0]
        total_f += r[1]

    if do_build:
        bad = build()
        if bad:
            summary(0, bad, started)
            return 1
    if not want or "unit" in want:
        for b in unit_bins("build"):
            add(run("unit/" + os.path.basename(b), [b], one=True))
        # templates: byte-identical output with Jinja2 over the corpus
        add(run("tpl-jinja", [sys.executable, "tests/tpl/diff_jinja.py",
                              "--driver", "build/tests/tpl/tpl_render"]))
    if not want or "blackbox" in want:
        add(run_bb("blackbox", ["--bin", "build"]))
    if not want or "asan-unit" in want:
        for b in unit_bins("build-asan"):
            add(run("asan/" + os.path.basename(b), [b], SAN_ENV, one=True))
    if not want or "asan-bb" in want:
        env = dict(SAN_ENV, KILN_BB_ASAN="1")
        add(run_bb("asan/blackbox", ["--bin", "build-asan"], env))
    if not want or "db" in want:
        add(db_suites())
    if not want or "browser" in want:
        add(run("browser", [sys.executable, "tests/browser/run.py",
                            "--bin", "build"]))
    if not want or "install" in want:
        add(run("install", ["sh", "tests/install_test.sh", ROOT]))
    if not want or "fuzz" in want:
        add(run("fuzz", ["scripts/fuzz.sh", "build-fuzz"]))
    summary(total_p, total_f, started)
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
