#!/usr/bin/env python3
"""tests/run.py - runs every Kiln test suite and prints one total.

Suites (each prints "ok - NAME" / "not ok - NAME" lines):
  unit        build/tests/*/test_*       (tests/test.h binaries), and
              tests/tpl/diff_jinja.py: templates against Jinja2
  blackbox    tests/blackbox/run.py      against build/tests/testapp
  asan-unit   the unit tests built with AddressSanitizer + UBSan
  asan-bb     the black-box tests against the sanitizer build
  fuzz        scripts/fuzz.sh build-fuzz (FUZZ_SECONDS each)
  db          the database tests again on PostgreSQL: a private server
              (tests/pg_server.py) for test_db, the db, migrate (hand-written
              and from models) and techempower black-box tests, and test_db
              under the sanitizers
  install     tests/install_test.sh: make install to a temporary prefix,
              then kiln new/build/run with only what was installed
  browser     tests/browser/run.py: pages and HTMX in Chromium (Debian's,
              driven by playwright-core from tests/browser/package-lock.json)
The last line is "N passed, N failed"; the exit status is 1 if any failed.
Usage: tests/run.py [SUITE...]
"""
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)

SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:allow_user_segv_handler=1:"
                    "handle_segv=0:detect_stack_use_after_return=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def unit_bins(build):
    return sorted(b for b in glob.glob(f"{build}/tests/*/test_*")
                  if os.access(b, os.X_OK) and not b.endswith(".p"))


def run(prefix, cmd, env=None, timeout=900):
    """Runs one suite command, echoing its output; returns (passed, failed)."""
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
    print(f"# {prefix}: {passed} passed, {failed} failed "
          f"({time.time() - start:.1f}s)", flush=True)
    return passed, failed


def db_suites():
    """The database tests against a PostgreSQL server started here."""
    import tempfile
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import pg_server
    top = tempfile.mkdtemp(prefix="kiln-pg-suite-")
    folder = os.path.join(top, "pg")
    p = f = 0
    try:
        url = pg_server.start(folder)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        print(f"not ok - db/postgres-start ({e})")
        return 0, 1
    try:
        env = {"KILN_TEST_DB_URL": url}
        runs = [("db-pg/test_db", ["build/tests/db/test_db"], env),
                ("db-pg/test_auth", ["build/tests/auth/test_auth",
                                     "create_and_find", "tokens",
                                     "oidc_sync_writes_only_changes"], env),
                ("db-pg/test_audit", ["build/tests/audit/test_audit"], env),
                ("db-pg/blackbox", [sys.executable, "tests/blackbox/run.py",
                                    "--bin", "build", "test_db.",
                                    "test_techempower", "test_migrate",
                                    "test_models", "test_migrate_models",
                                    "test_tasks", "test_api_crud",
                                    "test_api_properties",
                                    "test_auth_session", "test_auth_users",
                                    "test_user_fields",
                                    "test_auth_perm", "test_audit",
                                    "test_kiln_test.test_isolated_databases",
                                    "test_kiln_test.test_reset_between_tests",
                                    "test_kiln_test.test_logged_in_test_client"],
                                   env)]
        if os.path.exists("build-asan/tests/db/test_db"):
            runs.append(("asan/db-pg/test_db",
                         ["build-asan/tests/db/test_db"], dict(SAN_ENV, **env)))
        for name, cmd, e in runs:
            a, b = run(name, cmd, e)
            p += a
            f += b
    finally:
        pg_server.stop(folder)
        import shutil
        shutil.rmtree(top, ignore_errors=True)
    return p, f


def main():
    want = set(sys.argv[1:])
    total_p = total_f = 0

    def add(r):
        nonlocal total_p, total_f
        total_p += r[0]
        total_f += r[1]

    if not want or "unit" in want:
        for b in unit_bins("build"):
            add(run("unit/" + os.path.basename(b), [b]))
        # templates: byte-identical output with Jinja2 over the corpus
        add(run("tpl-jinja", [sys.executable, "tests/tpl/diff_jinja.py",
                              "--driver", "build/tests/tpl/tpl_render"]))
    if not want or "blackbox" in want:
        add(run("blackbox", [sys.executable, "tests/blackbox/run.py",
                             "--bin", "build"]))
    if not want or "asan-unit" in want:
        for b in unit_bins("build-asan"):
            add(run("asan/" + os.path.basename(b), [b], SAN_ENV))
    if not want or "asan-bb" in want:
        env = dict(SAN_ENV, KILN_BB_ASAN="1")
        add(run("asan/blackbox", [sys.executable, "tests/blackbox/run.py",
                                  "--bin", "build-asan"], env))
    if not want or "db" in want:
        add(db_suites())
    if not want or "browser" in want:
        add(run("browser", [sys.executable, "tests/browser/run.py",
                            "--bin", "build"]))
    if not want or "install" in want:
        add(run("install", ["sh", "tests/install_test.sh", ROOT]))
    if not want or "fuzz" in want:
        add(run("fuzz", ["scripts/fuzz.sh", "build-fuzz"]))
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
