/*
 * tests/dbapp.c - the server the database black-box tests talk to
 * (tests/blackbox/test_db.py, test_db_pg.py): handlers that use kiln/db.h
 * the way apps do, including the ways they fail.
 *
 *   build/tests/dbapp --db URL [--pool N] [kiln_main flags...]
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool pg(kiln_dbc *db)
{
    return strcmp(kiln_dbc_backend(db), "postgres") == 0;
}

/* GET /setup: a fresh notes table */
static KILN_HANDLER(setup)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (kiln_db_exec(db, "DROP TABLE IF EXISTS notes") < 0 ||
        kiln_db_exec(db, pg(db) ? "CREATE TABLE notes (id bigserial PRIMARY "
                                  "KEY, body text NOT NULL, tag text UNIQUE)"
                                : "CREATE TABLE notes (id INTEGER PRIMARY "
                                  "KEY, body TEXT NOT NULL, tag TEXT "
                                  "UNIQUE)") < 0)
        return kiln_db_fail(c, db);
    return kiln_text(c, 200, "ok");
}

/* POST /notes (body: the text) -> {"id": N} */
static KILN_HANDLER(note_add)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_rows *r =
        kiln_db_query(db, "INSERT INTO notes (body) VALUES ($1) RETURNING id",
                      KILN_STRV(kiln_body(c)));
    if (!r || !kiln_rows_next(r))
        return kiln_db_fail(c, db);
    return kiln_jsonf(c, 201, "{id:%lld}", (long long)kiln_row_int(r, 0));
}

/* GET /notes?q=TEXT -> [{"id":..,"body":..}] of notes whose body is q (or
   all) */
static KILN_HANDLER(note_list)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_str q = kiln_query(c, "q");
    kiln_rows *r =
        q.p ? kiln_db_query(db,
                            "SELECT id, body FROM notes WHERE body = $1 "
                            "ORDER BY id",
                            KILN_STRV(q))
            : kiln_db_query(db, "SELECT id, body FROM notes ORDER BY id");
    if (!r)
        return kiln_db_fail(c, db);
    return kiln_json_rows(c, 200, r);
}

/* GET /count -> the number of notes */
static KILN_HANDLER(count)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int64_t n = 0;
    if (kiln_db_scalar_int(db, &n, "SELECT count(*) FROM notes") != 0)
        return kiln_db_fail(c, db);
    return kiln_text(c, 200, "%lld", (long long)n);
}

/* Begins a transaction and adds one note tagged tag (NULL: none). */
static int begin_and_add(kiln_dbc *db, const char *tag)
{
    if (kiln_db_begin(db) != 0)
        return -1;
    return kiln_db_exec(db, "INSERT INTO notes (body, tag) VALUES ($1, $2)",
                        KILN_TEXT("in a transaction"), KILN_TEXT(tag)) == 1
               ? 0
               : -1;
}

/* Recurses until the coroutine's stack overflows (its guard page). */
static volatile int deep_limit; /* 0: no limit (keeps it finite to GCC) */

static int deep(volatile char *prev, int n)
{
    volatile char frame[2048];
    frame[0] = (char)n;
    frame[2047] = prev ? prev[0] : 0;
    if (deep_limit && n > deep_limit)
        return 0;
    return deep(frame, n + 1) + frame[1];
}

/* POST /tx/<how>: a transaction that ends in one of several ways */
static KILN_HANDLER(tx)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    const char *how = kiln_param(c, "how").p;
    if (strcmp(how, "commit") == 0) {
        if (begin_and_add(db, NULL) != 0 || kiln_db_commit(db) != 0)
            return kiln_db_fail(c, db);
        return kiln_text(c, 201, "committed");
    }
    if (strcmp(how, "fail") == 0) {
        /* the second insert violates the UNIQUE tag: the handler gives up */
        if (begin_and_add(db, "dup") != 0)
            return kiln_db_fail(c, db);
        if (kiln_db_exec(db, "INSERT INTO notes (body, tag) VALUES ($1, $2)",
                         KILN_TEXT("again"), KILN_TEXT("dup")) < 0)
            return kiln_db_fail(c, db);
        return kiln_text(c, 200, "unexpected");
    }
    if (strcmp(how, "error") == 0) {
        /* returns an error code without answering */
        if (begin_and_add(db, NULL) != 0)
            return kiln_db_fail(c, db);
        return KILN_EINVAL;
    }
    if (strcmp(how, "forget") == 0) {
        /* answers 200 but never commits */
        if (begin_and_add(db, NULL) != 0)
            return kiln_db_fail(c, db);
        return kiln_text(c, 200, "forgot to commit");
    }
    if (strcmp(how, "nested") == 0) {
        /* outer insert kept, inner savepoint rolled back */
        if (begin_and_add(db, "outer") != 0 ||
            begin_and_add(db, "inner") != 0 || kiln_db_rollback(db) != 0 ||
            kiln_db_commit(db) != 0)
            return kiln_db_fail(c, db);
        return kiln_text(c, 201, "nested");
    }
    if (strcmp(how, "crash") == 0) {
        /* the handler's coroutine dies mid-transaction */
        if (begin_and_add(db, NULL) != 0)
            return kiln_db_fail(c, db);
        return deep(NULL, 0);
    }
    if (strcmp(how, "hold") == 0) {
        /* a transaction that waits (yielding) before it commits */
        if (begin_and_add(db, NULL) != 0)
            return kiln_db_fail(c, db);
        kiln_sleep_ms(kiln_query_int(c, "ms", 200));
        if (kiln_db_commit(db) != 0)
            return kiln_db_fail(c, db);
        return kiln_text(c, 201, "held");
    }
    return kiln_problem(c, 404, "no such transaction ending");
}

/* GET /sleep?s=0.5: PostgreSQL's pg_sleep, to show the worker is free */
static KILN_HANDLER(sleep)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (!pg(db))
        return kiln_problem(c, 400, "pg_sleep needs PostgreSQL");
    kiln_str s = kiln_query(c, "s");
    double secs = s.p ? strtod(s.p, NULL) : 0.5;
    if (kiln_db_exec(db, "SELECT pg_sleep($1)", KILN_FLOAT(secs)) < 0)
        return kiln_db_fail(c, db);
    return kiln_text(c, 200, "slept");
}

/* GET /div?n=N&d=D: SELECT n / d; D = 0 makes PostgreSQL fail the query */
static KILN_HANDLER(divide)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int64_t q = 0;
    if (kiln_db_scalar_int(db, &q, "SELECT CAST($1 AS bigint) / $2",
                           KILN_INT(kiln_query_int(c, "n", 0)),
                           KILN_INT(kiln_query_int(c, "d", 1))) != 0)
        return kiln_db_fail(c, db);
    return kiln_text(c, 200, "%lld", (long long)q);
}

static KILN_HANDLER(plaintext)
{
    return kiln_text(c, 200, "Hello, World!");
}

int main(int argc, char **argv)
{
    const char *url = "sqlite::memory:";
    int pool = 4;
    int n = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc)
            pool = atoi(argv[++i]);
        else
            argv[n++] = argv[i];
    }
    argc = n;
    char err[256];
    kiln_db_pool *db = kiln_db_pool_new(url, pool, err, sizeof err);
    if (!db) {
        fprintf(stderr, "dbapp: %s\n", err);
        return 2;
    }
    kiln_db_set_default(db);
    kiln_app *app = kiln_app_new();
    if (!app)
        return 1;
    kiln_route(app, "GET", "/setup", setup);
    kiln_route(app, "POST", "/notes", note_add);
    kiln_route(app, "GET", "/notes", note_list);
    kiln_route(app, "GET", "/count", count);
    kiln_route(app, "POST", "/tx/{how}", tx);
    kiln_route(app, "GET", "/sleep", sleep);
    kiln_route(app, "GET", "/plaintext", plaintext);
    kiln_route(app, "GET", "/div", divide);
    int rc = kiln_main(app, argc, argv);
    kiln_db_pool_free(db);
    return rc;
}
