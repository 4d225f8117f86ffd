#!/usr/bin/python3
"""bench/kiln_test_bench.py - the time of 1,000 API tests under `kiln test`,
on SQLite and on PostgreSQL.

    python3 bench/kiln_test_bench.py [--tests 1000] [--bin build] [--no-pg]
                                     [--no-sqlite]

Makes a project (kiln new) with a note model (title, done), its migration,
and /api/notes (GET lists, POST creates through the model's decoder:
201 or 422) and /api/notes/{id} (GET). It then writes --tests tests into
tests/t00.c ... (100 a file), in three kinds in turn, each a typical API
test of two or three requests with their expectations:
  create   POST a note (201, title echoed), GET it back by id (200)
  invalid  POST without a title (422, the error's pointer), GET the list
           (200, empty: the test's own database)
  list     POST two notes, GET the list (both, in order)

The build (`kiln test -k nothing`, which compiles and links the test
binary) is timed apart; then the binary runs every test and the wall time
of that run is the number reported, with the per-test mean. Every test
runs on its own database: SQLite, a copy of the migrated template file;
PostgreSQL (a private server, tests/pg_server.py: fsync off as the tests
run it), one copy of the migrated template database, put back after each
test (docs/testing.md). The load average at the start and the end is
printed: on a shared machine the times move with it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

NOTES_C = r"""#include <kiln.h>

#include "models.h"

KILN_GET(list_notes)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_rows *r = kiln_db_query(db, "SELECT id, title FROM note ORDER BY id");
    if (!r)
        return kiln_db_fail(c, db);
    return kiln_json_rows(c, 200, r);
}

KILN_POST(create_note)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Note n;
    if (!note_from_body(c, db, KILN_DECODE_CREATE, &n, NULL))
        return 0;
    int rc = note_insert(db, &n);
    if (rc)
        return note_fail(c, db, rc);
    note_to_json(&n, kiln_body_buf(c));
    kiln_set_type(c, "application/json");
    kiln_set_status(c, 201);
    return kiln_send(c);
}
"""

NOTE_ID_C = r"""#include <kiln.h>

#include "models.h"

KILN_GET(get_note)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    Note n;
    int rc = note_get(db, kiln_param_int(c, "id", 0), &n);
    if (rc)
        return note_fail(c, db, rc);
    note_to_json(&n, kiln_body_buf(c));
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}
"""

KINDS = [
    """KILN_TEST(create_{i})
{{
    const kiln_tc_response *r = kiln_tc_post(
        t, "/api/notes", "{{\\"title\\":\\"note {i}\\",\\"done\\":false}}");
    if (!KILN_EXPECT_STATUS(r, 201))
        return;
    KILN_EXPECT_JSON(r, "/title", "\\"note {i}\\"");
    const kiln_json *id = kiln_tc_json(r, "/id");
    if (!KILN_EXPECT(id != NULL))
        return;
    r = kiln_tc_get(t, kiln_test_printf(t, "/api/notes/%lld",
                                        (long long)id->u.number.i));
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "/done", "false");
}}
""",
    """KILN_TEST(invalid_{i})
{{
    const kiln_tc_response *r =
        kiln_tc_post(t, "/api/notes", "{{\\"done\\":true}}");
    KILN_EXPECT_STATUS(r, 422);
    KILN_EXPECT_JSON(r, "/errors/0/pointer", "\\"/title\\"");
    r = kiln_tc_get(t, "/api/notes");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "", "[]");
}}
""",
    """KILN_TEST(list_{i})
{{
    kiln_tc_post(t, "/api/notes", "{{\\"title\\":\\"a{i}\\",\\"done\\":true}}");
    kiln_tc_post(t, "/api/notes", "{{\\"title\\":\\"b{i}\\",\\"done\\":true}}");
    const kiln_tc_response *r = kiln_tc_get(t, "/api/notes");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "/0/title", "\\"a{i}\\"");
    KILN_EXPECT_JSON(r, "/1/title", "\\"b{i}\\"");
    KILN_EXPECT_JSON(r, "/2", NULL);
}}
""",
]


def kiln(bindir, args, cwd, extra_env=None):
    env = dict(os.environ, KILN_QUIET="1")
    env.update(extra_env or {})
    p = subprocess.run([os.path.join(bindir, "kiln")] + args, cwd=cwd,
                       env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def make_project(bindir, top, ntests):
    rc, out, err = kiln(bindir, ["new", "bench"], top)
    assert rc == 0, err
    root = os.path.join(top, "bench")
    for args in (["gen", "model", "note", "title:string:100", "done:bool"],
                 ["migrate", "--make", "init"]):
        rc, out, err = kiln(bindir, args, root)
        assert rc == 0, out + err
    os.makedirs(os.path.join(root, "api", "notes"))
    with open(os.path.join(root, "api", "notes", "index.c"), "w") as f:
        f.write(NOTES_C)
    with open(os.path.join(root, "api", "notes", "[id].c"), "w") as f:
        f.write(NOTE_ID_C)
    os.unlink(os.path.join(root, "tests", "hello.c"))
    for start in range(0, ntests, 100):
        with open(os.path.join(root, "tests", "t%02d.c" % (start // 100)),
                  "w") as f:
            f.write("#include <kiln/testing.h>\n\n")
            for i in range(start, min(start + 100, ntests)):
                f.write(KINDS[i % 3].format(i=i) + "\n")
    return root


def run_tests(root, extra):
    binary = os.path.join(root, ".kiln", "test", "bench")
    t0 = time.monotonic()
    p = subprocess.run([binary, "--root", root] + extra, cwd=root,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    took = time.monotonic() - t0
    last = p.stdout.decode().strip().splitlines()[-1:]
    return took, p.returncode, last, p.stderr.decode()[-2000:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    a = ap.parse_args()
    top = tempfile.mkdtemp(prefix="kiln-test-bench-")
    try:
        root = make_project(a.bin, top, a.tests)
        t0 = time.monotonic()
        rc, out, err = kiln(a.bin, ["test", "-k", "no such test"], root)
        build = time.monotonic() - t0
        assert "0 passed, 0 failed" in out, out + err
        print("build of the test binary (%d tests): %.1f s" % (a.tests, build))
        rows = [] if a.no_sqlite else [("SQLite", [])]
        pg = None
        if not a.no_pg:
            import pg_server
            pg = os.path.join(top, "pg")
            url = pg_server.start(pg)
            rows.append(("PostgreSQL", ["--set", "database.url=" + url]))
        for name, extra in rows:
            load0 = os.getloadavg()[0]
            took, rc, last, err = run_tests(root, extra)
            ok = rc == 0 and last == ["%d passed, 0 failed" % a.tests]
            print("%-10s %5d tests  %6.2f s  %5.2f ms/test  %s  (load "
                  "average %.1f -> %.1f)" % (
                      name, a.tests, took, took * 1000 / a.tests,
                      "ok" if ok else "FAILED %s %s" % (last, err), load0,
                      os.getloadavg()[0]))
        if pg:
            pg_server.stop(pg)
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
