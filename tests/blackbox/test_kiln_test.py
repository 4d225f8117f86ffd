"""`kiln test`: app tests in tests/*.c run in process by the test client.

Checked: the scaffold's test passes; failing expectations are reported with
file:line, expected and got, then "not ok" and "N passed, N failed" (exit
1); -k filters; every test gets a database of its own (a note inserted by
one test is not seen by the next); the test client answers what the socket
server answers for the same requests (routing, 404/405, the model's 422,
the handler's 201). SQLite by default; PostgreSQL when KILN_TEST_DB_URL is
set (tests/run.py's db-pg suite).
"""

import json
import os
import re
import time

import harness
from harness import check, eq
from kilncli import Dev, Project

NOTES_C = r"""/* /api/notes: list (GET) and create (POST, validated by the model). */
#include <kiln.h>

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

NOTE_ID_C = r"""/* /api/notes/{id} */
#include <kiln.h>

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

BACKEND_C = r"""/* /api/backend: the backend of the request's database */
#include <kiln.h>

KILN_GET(backend)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    return kiln_text(c, 200, "%s", kiln_dbc_backend(db));
}
"""

BACKEND_TEST_C = r"""#include <kiln/testing.h>
#include <stdio.h>

KILN_TEST(backend)
{
    const kiln_tc_response *r = kiln_tc_get(t, "/api/backend");
    KILN_EXPECT_STATUS(r, 200);
    printf("BACKEND %s\n", r->body);
}
"""

# Run in file and line order: the second test would see the first one's
# note if the database were shared.
NOTES_TEST_C = r"""#include <kiln/testing.h>

KILN_TEST(a_create_then_list)
{
    const kiln_tc_response *r =
        kiln_tc_post(t, "/api/notes", "{\"title\":\"first\",\"done\":false}");
    if (!KILN_EXPECT_STATUS(r, 201))
        return;
    KILN_EXPECT_JSON(r, "/title", "\"first\"");
    KILN_EXPECT_JSON(r, "/done", "false");
    const kiln_json *id = kiln_tc_json(r, "/id");
    if (!KILN_EXPECT(id && id->type == KILN_JSON_NUMBER))
        return;
    r = kiln_tc_get(t, kiln_test_printf(t, "/api/notes/%lld",
                                        (long long)id->u.number.i));
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "/title", "\"first\"");
    r = kiln_tc_get(t, "/api/notes");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "/0/title", "\"first\"");
    KILN_EXPECT_JSON(r, "/1", NULL);
}

KILN_TEST(b_starts_empty)
{
    const kiln_tc_response *r = kiln_tc_get(t, "/api/notes");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "", "[]");
}

KILN_TEST(c_validation)
{
    const kiln_tc_response *r = kiln_tc_post(t, "/api/notes", "{\"done\":true}");
    KILN_EXPECT_STATUS(r, 422);
    KILN_EXPECT_HEADER(r, "Content-Type", "application/problem+json");
    KILN_EXPECT_JSON(r, "/errors/0/pointer", "\"/title\"");
    KILN_EXPECT_JSON(r, "/errors/0/code", "\"required\"");
    KILN_EXPECT_JSON(r, "/errors/1", NULL);
}
"""

# Each request of the comparison, printed by a test as one line the Python
# side reads back: "RESP <status> <content-type> <body>".
COMPARE = [
    ("GET", "/api/notes", None, None),
    ("POST", "/api/notes", "application/json", '{"title":"x","done":true}'),
    ("POST", "/api/notes", "application/json", '{"title":7,"done":"no"}'),
    ("POST", "/api/notes", "application/json", '{"title":'),
    ("POST", "/api/notes", "text/plain", "title=x"),
    ("GET", "/api/notes/999", None, None),
    ("GET", "/api/notes/abc", None, None),
    ("GET", "/nowhere", None, None),
    ("DELETE", "/api/notes", None, None),
    ("GET", "/api/hello?name=a%20b", None, None),
]


def compare_test_c():
    lines = ["#include <kiln/testing.h>", "#include <stdio.h>", "",
             "static void show(const kiln_tc_response *r)", "{",
             '    const char *ct = kiln_tc_header_get(r, "Content-Type");',
             '    printf("RESP %d %s %s\\n", r->status, ct ? ct : "-", '
             "r->body);", "}", "", "KILN_TEST(compare)", "{"]
    for method, path, ctype, body in COMPARE:
        hdr = '"Content-Type: %s"' % ctype if ctype else "NULL"
        if body is None:
            lines.append('    show(kiln_tc_request(t, "%s", "%s", %s, NULL, '
                         "0));" % (method, path, hdr))
        else:
            lit = json.dumps(body)
            lines.append('    show(kiln_tc_request(t, "%s", "%s", %s, %s, '
                         "%d));" % (method, path, hdr, lit,
                                    len(body.encode())))
    lines.append("}")
    return "\n".join(lines) + "\n"


def db_url():
    return os.environ.get("KILN_TEST_DB_URL")


def notes_project():
    p = Project("notes")
    rc, out, err = p.kiln("gen", "model", "note", "title:string:100",
                          "done:bool")
    eq(rc, 0, "kiln gen model: " + err)
    rc, out, err = p.kiln("migrate", "--make", "init")
    eq(rc, 0, "kiln migrate --make: " + out + err)
    p.write("api/notes/index.c", NOTES_C)
    p.write("api/notes/[id].c", NOTE_ID_C)
    return p


def kiln_test(p, *args):
    extra = ["--set", "database.url=" + db_url()] if db_url() else []
    return p.kiln("test", *(list(args) + extra), timeout=180)


def test_scaffold_passes():
    """`kiln new` makes a tests/hello.c that passes."""
    with Project("app") as p:
        check(os.path.exists(p.path("tests/hello.c")), "tests/hello.c made")
        rc, out, err = p.kiln("test", timeout=180)
        eq(rc, 0, "kiln test on the scaffold: " + out + err)
        check("ok - hello_greets_by_name" in out, out)
        check(out.rstrip().endswith("1 passed, 0 failed"), out)


def test_failures_are_reported():
    """A failed expectation prints file:line, expected and got; the test is
    "not ok", the summary counts it, the exit status is 1."""
    with Project("app") as p:
        p.write("tests/bad.c", "\n".join([
            "#include <kiln/testing.h>",
            "",
            "KILN_TEST(wrong_answers)",
            "{",
            '    const kiln_tc_response *r = kiln_tc_get(t, "/api/hello");',
            "    KILN_EXPECT_STATUS(r, 201);",
            '    KILN_EXPECT_JSON(r, "/message", "\\"Bye\\"");',
            '    KILN_EXPECT_HEADER(r, "Content-Type", "text/html");',
            '    KILN_EXPECT_JSON(r, "/nothing", "1");',
            "    KILN_EXPECT(r->body_len == 0);",
            "}", ""]))
        rc, out, err = p.kiln("test", timeout=180)
        eq(rc, 1, "exit status with a failing test: " + out + err)
        for want in ["tests/bad.c:6: status: expected 201, got 200",
                     'tests/bad.c:7: /message: expected "Bye", got '
                     '"Hello, world!"',
                     'tests/bad.c:8: header Content-Type: expected '
                     '"text/html", got "application/json"',
                     "tests/bad.c:9: /nothing: expected 1, got (none)",
                     "tests/bad.c:10: expected r->body_len == 0, got false",
                     "not ok - wrong_answers", "ok - hello_greets_by_name"]:
            check(want in out, "%r in:\n%s" % (want, out))
        check(out.rstrip().endswith("1 passed, 1 failed"), out)

        # -k: only the tests whose name holds the word
        rc, out, err = p.kiln("test", "-k", "greets", timeout=180)
        eq(rc, 0, "-k greets: " + out + err)
        check("wrong_answers" not in out, out)
        check(out.rstrip().endswith("1 passed, 0 failed"), out)
        rc, out, err = p.kiln("test", "-k", "wrong", timeout=180)
        eq(rc, 1, "-k wrong")
        check("ok - hello" not in out and "not ok - wrong_answers" in out, out)
        rc, out, err = p.kiln("test", "-k", "zzz", timeout=180)
        eq(rc, 1, "-k matching nothing fails")
        check("no test matches -k zzz" in out, out)
        rc, out, err = p.kiln("test", "-k", timeout=60)
        eq(rc, 2, "-k without a name is a usage error")


def test_isolated_databases():
    """Each test starts on the migrated schema with no rows: the note the
    first test made is gone in the second. The configured database (SQLite:
    the project's file) is never created or written."""
    with notes_project() as p:
        p.write("tests/notes.c", NOTES_TEST_C)
        p.write("api/backend.c", BACKEND_C)
        p.write("tests/backend.c", BACKEND_TEST_C)
        rc, out, err = kiln_test(p)
        eq(rc, 0, "kiln test: " + out + err)
        for name in ["a_create_then_list", "b_starts_empty", "c_validation"]:
            check("ok - " + name in out, out)
        check(out.rstrip().endswith("5 passed, 0 failed"), out)
        want = "postgres" if db_url() else "sqlite"
        check("BACKEND " + want in out, "the tests ran on %s:\n%s"
              % (want, out))
        if not db_url():
            check(not os.path.exists(p.path("app.db")) and
                  not os.path.exists(p.path("db.sqlite3")),
                  "the project's own database was not made: %s"
                  % os.listdir(p.root))


SQL_C = r"""/* /api/sql: runs the request body as one statement (a test's tool); with
   ?tx=1 in a transaction of its own, committed */
#include <kiln.h>

KILN_POST(run_sql)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_str b = kiln_body(c);
    const char *stmt = kiln_arena_strndup(kiln_ctx_arena(c), b.p, b.n);
    bool tx = kiln_query_int(c, "tx", 0) == 1;
    if (tx && kiln_db_begin(db) != 0)
        return kiln_db_fail(c, db);
    int64_t n = stmt ? kiln_db_exec(db, stmt) : -1;
    if (n >= 0 && tx && kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    if (n < 0)
        return kiln_text(c, 400, "%s", kiln_db_errmsg(db));
    return kiln_text(c, 200, "%lld", (long long)n);
}
"""

# A migration leaves one row; each test changes the database in another way
# (deletes and updates that row, inserts, uses the id sequence, adds a
# table, commits in a transaction of its own) and the next test checks that
# none of it is left. In file and line order, like NOTES_TEST_C.
RESET_TEST_C = r"""#include <kiln/testing.h>

#include <string.h>

static void sql(kiln_test *t, const char *stmt)
{
    const kiln_tc_response *r =
        kiln_tc_request(t, "POST", strncmp(stmt, "INSERT", 6) == 0
                                       ? "/api/sql?tx=1" : "/api/sql",
                        "Content-Type: text/plain", stmt, strlen(stmt));
    KILN_EXPECT_STATUS(r, 200);
}

/* what every test starts with: the migration's row, id 1, and the next
   note gets id 2 */
static void starts_as_migrated(kiln_test *t)
{
    const kiln_tc_response *r = kiln_tc_get(t, "/api/notes");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "", "[{\"id\":1,\"title\":\"seeded\"}]");
    r = kiln_tc_post(t, "/api/notes", "{\"title\":\"new\",\"done\":false}");
    KILN_EXPECT_STATUS(r, 201);
    KILN_EXPECT_JSON(r, "/id", "2");
}

KILN_TEST(r1_delete_the_seeded_row)
{
    starts_as_migrated(t);
    sql(t, "DELETE FROM note WHERE title = 'seeded'");
    sql(t, "INSERT INTO note (title, done) VALUES ('more', true)");
}

KILN_TEST(r2_change_the_seeded_row)
{
    starts_as_migrated(t);
    sql(t, "UPDATE note SET title = 'changed' WHERE id = 1");
}

KILN_TEST(r3_add_a_table)
{
    starts_as_migrated(t);
    sql(t, "CREATE TABLE extra (x int)");
    sql(t, "INSERT INTO extra VALUES (1)");
}

KILN_TEST(r4_the_table_is_gone)
{
    starts_as_migrated(t);
    const char *q = "SELECT count(*) FROM extra";
    const kiln_tc_response *r = kiln_tc_request(
        t, "POST", "/api/sql", "Content-Type: text/plain", q, strlen(q));
    KILN_EXPECT_STATUS(r, 400);
    sql(t, "INSERT INTO note (title, done) VALUES ('x', true)");
}

KILN_TEST(r5_last)
{
    starts_as_migrated(t);
}
"""


def test_reset_between_tests():
    """Whatever a test changed is undone before the next: rows inserted,
    the migrations' rows deleted or updated, sequences moved, a table
    created, rows committed in a handler's transaction. Every test starts on the migrated database (its rows, its
    sequences' values)."""
    with notes_project() as p:
        p.write("migrations/0002_seed.sql",
                "INSERT INTO note (title, done) VALUES ('seeded', true);\n")
        p.write("api/sql.c", SQL_C)
        p.write("tests/reset.c", RESET_TEST_C)
        runs = [db_url()]
        if db_url():
            # a role that is not a superuser may not make the event trigger
            # that reports DDL: the schema's fingerprint does it instead
            runs.append(plain_role_url(db_url()))
        for url in runs:
            extra = ["--set", "database.url=" + url] if url else []
            rc, out, err = p.kiln("test", *extra, timeout=180)
            eq(rc, 0, "kiln test (%s): %s%s" % (url, out, err))
            for name in ["r1_delete_the_seeded_row",
                         "r2_change_the_seeded_row", "r3_add_a_table",
                         "r4_the_table_is_gone", "r5_last"]:
                check("ok - " + name in out, out)
            check(out.rstrip().endswith("6 passed, 0 failed"), out)


def plain_role_url(url):
    """url with a role made for it that may create databases and is not a
    superuser (psql of the server's installation)."""
    import glob
    import subprocess
    import urllib.parse
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    sql = ("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname "
           "= 'kiln_plain') THEN CREATE ROLE kiln_plain LOGIN CREATEDB "
           "NOSUPERUSER; END IF; END $$")
    subprocess.run([psql, "-q", url, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)
    u = urllib.parse.urlsplit(url)
    host = u.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(u._replace(netloc="kiln_plain@" + host))


def response_line(status, ctype, body):
    """What the comparison keeps of a response: status, type, and the body
    with its per-request id and instance removed."""
    try:
        j = json.loads(body)
        if isinstance(j, dict):
            j.pop("request_id", None)
        body = json.dumps(j, sort_keys=True)
    except ValueError:
        pass
    return (status, ctype, body)


def test_same_answers_as_the_socket():
    """The same requests through the test client and through a running
    server over TCP give the same status, Content-Type and body (SQLite:
    the server's database is the project's file, migrated here)."""
    with notes_project() as p:
        p.write("tests/compare.c", compare_test_c())
        rc, out, err = p.kiln("test", "-k", "compare", timeout=180)
        eq(rc, 0, "kiln test: " + out + err)
        got = []
        for line in out.splitlines():
            m = re.match(r"RESP (\d+) (\S+(?:; \S+)?) (.*)$", line)
            if m:
                got.append(response_line(int(m.group(1)), m.group(2),
                                         m.group(3)))
        eq(len(got), len(COMPARE), "responses printed:\n" + out)

        rc, o2, e2 = p.kiln("migrate")
        eq(rc, 0, "kiln migrate: " + o2 + e2)
        with Dev(p) as d:
            d.wait_for("/api/hello", lambda r: r.status == 200, "the app")
            sock = []
            for method, path, ctype, body in COMPARE:
                hdrs = {"Content-Type": ctype} if ctype else None
                r = d.request(method, path, headers=hdrs,
                              body=(body or "").encode())
                sock.append(response_line(
                    r.status, r.header("content-type", "-"),
                    r.body.decode("utf-8", "replace")))
        for i, (a, b) in enumerate(zip(got, sock)):
            eq(a, b, "%s %s: test client vs socket" % COMPARE[i][:2])


def test_dev_ignores_tests():
    """Editing tests/*.c does not rebuild or restart `kiln dev` (the running
    app does not contain them); editing a handler still does."""
    with Project("app") as p, Dev(p) as d:
        d.wait_for("/api/hello", lambda r: r.status == 200, "the app")
        start = len(d.output())
        p.write("tests/more.c", "#include <kiln/testing.h>\n"
                "KILN_TEST(more) { KILN_EXPECT(1); }\n")
        time.sleep(harness.t(1.5))
        check("changed: rebuilding" not in d.output()[start:],
              "a test file rebuilt the app:\n" + d.output()[start:])
        p.write("api/hello.c", p.read("api/hello.c") + "\n")
        d.wait_output("changed: rebuilding", start=start)


AUTH_TEST_C = r"""#include <kiln/testing.h>
#include <string.h>

/* the generated /api/tasks needs task.view, task.add...: [roles] */
KILN_TEST(a_roles_through_a_real_session)
{
    KILN_EXPECT(kiln_test_user(t, "vic", "viewer", false) > 0);
    KILN_EXPECT(kiln_test_user(t, "eve", "editor", false) > 0);
    const char *task = "{\"title\":\"x\"}";
    KILN_EXPECT_STATUS(kiln_tc_post(t, "/api/tasks", task), 401);
    KILN_EXPECT(kiln_test_csrf_token(t) == NULL);
    if (!KILN_EXPECT(kiln_test_login(t, "vic")))
        return;
    KILN_EXPECT_STATUS(kiln_tc_get(t, "/api/tasks"), 200);
    const kiln_tc_response *r = kiln_tc_post(t, "/api/tasks", task);
    KILN_EXPECT_STATUS(r, 403);
    KILN_EXPECT_JSON(r, "/detail", "\"this needs the permission task.add\"");
    KILN_EXPECT(kiln_test_login(t, "eve"));
    r = kiln_tc_get(t, "/api/auth/me");
    KILN_EXPECT_JSON(r, "/username", "\"eve\"");
    KILN_EXPECT_JSON(r, "/roles", "[\"editor\"]");
    KILN_EXPECT_STATUS(kiln_tc_post(t, "/api/tasks", task), 201);
    /* the CSRF check runs: a wrong token given by the test is refused */
    r = kiln_tc_request(t, "POST", "/api/tasks",
                        "Content-Type: application/json\nX-CSRF-Token: nope",
                        task, strlen(task));
    KILN_EXPECT_STATUS(r, 403);
    KILN_EXPECT_JSON(r, "/code", "\"csrf_mismatch\"");
    KILN_EXPECT(kiln_test_csrf_token(t) != NULL);
    /* an API token, then the client follows the logout's cookies */
    r = kiln_tc_post(t, "/api/auth/tokens", "{\"name\":\"ci\"}");
    KILN_EXPECT_STATUS(r, 201);
    const kiln_json *tok = kiln_tc_json(r, "/token");
    if (!KILN_EXPECT(tok && tok->type == KILN_JSON_STRING))
        return;
    KILN_EXPECT_STATUS(kiln_tc_post(t, "/api/auth/logout", "{}"), 204);
    KILN_EXPECT_STATUS(kiln_tc_get(t, "/api/auth/me"), 401);
    kiln_test_logout(t);
    kiln_test_bearer(t, tok->u.string.p);
    r = kiln_tc_get(t, "/api/tasks");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "/items/0/title", "\"x\"");
    KILN_EXPECT_STATUS(kiln_tc_delete(t, "/api/tasks/1"), 204);
    kiln_test_bearer(t, NULL);
    KILN_EXPECT_STATUS(kiln_tc_get(t, "/api/tasks"), 401);
}

KILN_TEST(b_users_are_the_tests_own)
{
    /* the previous test's users are gone: vic can be made again */
    KILN_EXPECT(kiln_test_user(t, "vic", "viewer", false) > 0);
    KILN_EXPECT(kiln_test_user(t, "root", NULL, true) > 0);
    KILN_EXPECT(kiln_test_login(t, "root"));
    KILN_EXPECT_STATUS(kiln_tc_post(t, "/api/tasks", "{\"title\":\"y\"}"), 201);
}

KILN_TEST(c_unknown_user)
{
    kiln_test_login(t, "nobody");
}
"""


def test_logged_in_test_client():
    """kiln_test_user, kiln_test_login, kiln_test_bearer: an app test acts
    as a user of [roles] through a real session (CSRF and permissions
    checked) and a real API token, against the generated API."""
    with Project("tasks") as p:
        rc, out, err = p.kiln("gen", "model", "task", "title:string:100")
        eq(rc, 0, "kiln gen model: " + err)
        p.write("models/task.toml", p.read("models/task.toml") +
                '\n[api]\noperations = ["all"]\n')
        p.write("kiln.toml", p.read("kiln.toml") +
                '\n[roles]\nviewer = ["task.view"]\neditor = ["task.*"]\n')
        rc, out, err = p.kiln("migrate", "--make", "init")
        eq(rc, 0, "kiln migrate --make: " + out + err)
        p.write("tests/auth.c", AUTH_TEST_C)
        rc, out, err = kiln_test(p)
        eq(rc, 1, "c_unknown_user fails: " + out + err)
        for want in ("ok - a_roles_through_a_real_session",
                     "ok - b_users_are_the_tests_own",
                     "kiln_test_login nobody: 404",
                     "not ok - c_unknown_user", "3 passed, 1 failed"):
            check(want in out, "%r in:\n%s" % (want, out))
        check("not ok - a_" not in out and "not ok - b_" not in out, out)
test_logged_in_test_client.timeout = 300
