/*
 * tests/db/test_db.c - the data layer through kiln/db.h, on whichever
 * backend KILN_TEST_DB_URL names (default: a SQLite file in /tmp). The
 * "db" suite of tests/run.py runs this binary once per backend, against a
 * PostgreSQL server it starts itself.
 */
#include "test.h"

#include <kiln.h>

#include <stdint.h>
#include <unistd.h>

static char sqlite_default[64];

static const char *url(void)
{
    const char *u = getenv("KILN_TEST_DB_URL");
    if (u && *u)
        return u;
    snprintf(sqlite_default, sizeof sqlite_default,
             "sqlite:///tmp/kiln-test-db-%d.db", (int)getpid());
    return sqlite_default;
}

static bool is_pg(kiln_dbc *db)
{
    return strcmp(kiln_dbc_backend(db), "postgres") == 0;
}

static kiln_dbc *open_db(void)
{
    char err[256];
    kiln_dbc *db = kiln_dbc_open(url(), err, sizeof err);
    if (!db)
        test_fail(__FILE__, __LINE__, "open %s: %s", url(), err);
    return db;
}

static void close_db(kiln_dbc *db)
{
    kiln_dbc_close(db);
    if (strncmp(url(), "sqlite:///tmp/kiln-test-db-", 27) == 0) {
        const char *p = url() + 9;
        char side[80];
        unlink(p);
        snprintf(side, sizeof side, "%s-wal", p);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", p);
        unlink(side);
    }
}

#define EXEC_OK(db, ...)                                                       \
    do {                                                                       \
        int64_t exec_rc_ = kiln_db_exec(db, __VA_ARGS__);                      \
        if (exec_rc_ < 0)                                                      \
            test_fail(__FILE__, __LINE__, "exec: %s (%lld)",                   \
                      kiln_db_errmsg(db), (long long)exec_rc_);                \
    } while (0)

/* A table with one column of each type, named for the test. */
static void make_table(kiln_dbc *db, const char *name)
{
    char sql[512];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", name);
    EXEC_OK(db, sql);
    if (is_pg(db))
        snprintf(sql, sizeof sql,
                 "CREATE TABLE %s (id bigint PRIMARY KEY, name text UNIQUE, "
                 "score double precision, flag boolean, data bytea, "
                 "at timestamptz)",
                 name);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TABLE %s (id INTEGER PRIMARY KEY, name TEXT UNIQUE, "
                 "score REAL, flag BOOLEAN, data BLOB, at TEXT)",
                 name);
    EXEC_OK(db, sql);
}

static int64_t count(kiln_dbc *db, const char *sql)
{
    int64_t n = -1;
    int rc = kiln_db_scalar_int(db, &n, sql);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, kiln_db_errmsg(db));
    return n;
}

TEST(urls_are_checked)
{
    char err[256];
    CHECK(kiln_dbc_open("mysql://localhost/x", err, sizeof err) == NULL);
    CHECK(strstr(err, "unsupported database URL scheme 'mysql'"));
    CHECK(kiln_dbc_open("sqlite://", err, sizeof err) == NULL);
    CHECK(strstr(err, "no file path"));
    CHECK(kiln_dbc_open("nonsense", err, sizeof err) == NULL);
    CHECK(strstr(err, "malformed database URL"));
    CHECK(kiln_db_pool_new("postgres://u@h:5432/d?nosuchparam=1", 2, err,
                           sizeof err) == NULL);
    CHECK(strstr(err, "nosuchparam"));
    kiln_db_pool *p = kiln_db_pool_new("sqlite::memory:", 0, err, sizeof err);
    CHECK(p != NULL);
    kiln_db_pool_free(p);
    /* a SQLite file in a folder that does not exist */
    CHECK(kiln_dbc_open("sqlite:///nonexistent-dir/x/app.db", err,
                        sizeof err) == NULL);
    CHECK(strstr(err, "cannot open SQLite database"));
}

TEST(sql_shift)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(kiln_db_sql_shift(&b,
                                "owner = $1 OR (team IN ($2, $10)) AND "
                                "x = '$' || $",
                                3),
              0);
    CHECK_STR(b.p, "owner = $4 OR (team IN ($5, $13)) AND x = '$' || $");
    kiln_buf_clear(&b);
    CHECK_INT(kiln_db_sql_shift(&b, "a = $1", 0), 0);
    CHECK_STR(b.p, "a = $1");
    kiln_buf_deinit(&b);
}

TEST(crud)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_crud");
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        CHECK_INT(kiln_db_exec(db,
                               "INSERT INTO t_crud (id, name, score) VALUES "
                               "($1, $2, $3)",
                               KILN_INT(i), KILN_TEXT(name),
                               KILN_FLOAT(i * 1.5)),
                  1);
    }
    kiln_rows *r = kiln_db_query(db,
                                 "SELECT id, name, score FROM t_crud WHERE "
                                 "id >= $1 ORDER BY id",
                                 KILN_INT(2));
    CHECK(r != NULL);
    CHECK_INT(kiln_rows_ncols(r), 3);
    CHECK_STR(kiln_rows_colname(r, 1), "name");
    CHECK(kiln_rows_colname(r, 3) == NULL);
    CHECK(kiln_rows_next(r));
    CHECK_INT(kiln_row_int(r, 0), 2);
    CHECK_VIEW(kiln_row_text(r, 1), "n2");
    CHECK(kiln_row_float(r, 2) == 3.0);
    CHECK(kiln_rows_next(r));
    CHECK_INT(kiln_row_int(r, 0), 3);
    CHECK(!kiln_rows_next(r));
    CHECK_INT(kiln_rows_error(r), 0);
    CHECK_INT(kiln_db_exec(db, "UPDATE t_crud SET name = $1 WHERE id = $2",
                           KILN_TEXT("renamed"), KILN_INT(1)),
              1);
    CHECK_INT(kiln_db_exec(db, "UPDATE t_crud SET score = 0"), 3);
    CHECK_INT(kiln_db_exec(db, "DELETE FROM t_crud WHERE id > $1", KILN_INT(1)),
              2);
    CHECK_INT(count(db, "SELECT count(*) FROM t_crud"), 1);
    r = kiln_db_query(db, "SELECT name FROM t_crud");
    CHECK(kiln_rows_next(r));
    CHECK_VIEW(kiln_row_text(r, 0), "renamed");
    kiln_rows_close(r);
    /* the same statement again (cached) with other values */
    for (int i = 0; i < 50; i++)
        CHECK_INT(kiln_db_exec(db,
                               "INSERT INTO t_crud (id, name, score) VALUES "
                               "($1, $2, $3)",
                               KILN_INT(100 + i), KILN_NULL, KILN_FLOAT(i)),
                  1);
    CHECK_INT(count(db, "SELECT count(*) FROM t_crud"), 51);
    close_db(db);
}

TEST(nulls)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_null");
    EXEC_OK(db,
            "INSERT INTO t_null (id, name, score, flag, data, at) VALUES "
            "($1, $2, $3, $4, $5, $6)",
            KILN_INT(1), KILN_TEXT(NULL), KILN_NULL, KILN_NULL,
            KILN_BLOB(NULL, 0), KILN_NULL);
    kiln_rows *r =
        kiln_db_query(db, "SELECT id, name, score, flag, data, at FROM t_null");
    CHECK(kiln_rows_next(r));
    CHECK(!kiln_row_is_null(r, 0));
    for (int i = 1; i < 6; i++)
        CHECK(kiln_row_is_null(r, i));
    CHECK(kiln_row_text(r, 1).p == NULL);
    CHECK(kiln_row_float(r, 2) == 0);
    CHECK(!kiln_row_bool(r, 3));
    CHECK(kiln_row_blob(r, 4).p == NULL);
    CHECK_INT(kiln_row_time(r, 5), 0);
    /* reading past the columns is NULL, not a crash */
    CHECK(kiln_row_is_null(r, 9));
    CHECK(kiln_row_text(r, -1).p == NULL);
    kiln_rows_close(r);
    int64_t v = 7;
    CHECK_INT(kiln_db_scalar_int(db, &v, "SELECT name FROM t_null"),
              KILN_ENOTFOUND);
    CHECK_INT(kiln_db_scalar_int(db, &v, "SELECT id FROM t_null WHERE id = $1",
                                 KILN_INT(99)),
              KILN_ENOTFOUND);
    CHECK_INT(v, 7);
    /* IS NULL with a NULL parameter */
    CHECK_INT(count(db, "SELECT count(*) FROM t_null WHERE name IS NULL"), 1);
    close_db(db);
}

TEST(types_round_trip)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_types");
    const int64_t ints[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
    const double floats[] = {-0.5, 3.141592653589793, 1e308, -2.5e-300, 0};
    const char *texts[] = {"héllo ✓ 日本語", "", "line\nbreak\ttab", "emoji 🎉",
                           "quote ' and \" and \\"};
    const unsigned char blob[] = {0, 1, 2, 0xff, 0, 0x80, '\\', 'x'};
    const int64_t times[] = {0, 1700000000123456LL, -86400000000LL,
                             4102444800000001LL, 951782400000000LL};
    for (int i = 0; i < 5; i++) {
        EXEC_OK(db,
                "INSERT INTO t_types (id, name, score, flag, data, at) VALUES "
                "($1, $2, $3, $4, $5, $6)",
                KILN_INT(ints[i]), KILN_TEXT(texts[i]), KILN_FLOAT(floats[i]),
                KILN_BOOL(i % 2 == 0), KILN_BLOB(blob, (size_t)(i + 4)),
                KILN_TIME(times[i]));
    }
    for (int i = 0; i < 5; i++) {
        kiln_rows *r = kiln_db_query(
            db,
            "SELECT id, name, score, flag, data, at FROM t_types WHERE id = $1",
            KILN_INT(ints[i]));
        CHECK(r != NULL);
        CHECK(kiln_rows_next(r));
        CHECK_INT(kiln_row_int(r, 0), ints[i]);
        kiln_str t = kiln_row_text(r, 1);
        CHECK_VIEW(t, texts[i]);
        CHECK(t.p[t.n] == '\0');
        CHECK(kiln_row_float(r, 2) == floats[i]);
        CHECK(kiln_row_bool(r, 3) == (i % 2 == 0));
        kiln_str b = kiln_row_blob(r, 4);
        CHECK_INT(b.n, i + 4);
        CHECK(memcmp(b.p, blob, b.n) == 0);
        CHECK_INT(kiln_row_time(r, 5), times[i]);
        CHECK(!kiln_rows_next(r));
    }
    /* an empty blob is not NULL */
    EXEC_OK(db, "INSERT INTO t_types (id, data) VALUES ($1, $2)", KILN_INT(42),
            KILN_BLOB("", 0));
    kiln_rows *r = kiln_db_query(db, "SELECT data FROM t_types WHERE id = 42");
    CHECK(kiln_rows_next(r));
    CHECK(!kiln_row_is_null(r, 0));
    CHECK_INT(kiln_row_blob(r, 0).n, 0);
    kiln_rows_close(r);
    close_db(db);
}

TEST(parameters_are_data)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_inj");
    const char *evil[] = {"x'); DROP TABLE t_inj; --",
                          "' OR '1'='1",
                          "\"; DELETE FROM t_inj; --",
                          "$1",
                          "?",
                          "Robert'); DROP TABLE students;--"};
    for (int i = 0; i < 6; i++)
        EXEC_OK(db, "INSERT INTO t_inj (id, name) VALUES ($1, $2)", KILN_INT(i),
                KILN_TEXT(evil[i]));
    CHECK_INT(count(db, "SELECT count(*) FROM t_inj"), 6);
    for (int i = 0; i < 6; i++) {
        int64_t id = -1;
        CHECK_INT(kiln_db_scalar_int(db, &id,
                                     "SELECT id FROM t_inj WHERE name = $1",
                                     KILN_TEXT(evil[i])),
                  0);
        CHECK_INT(id, i);
    }
    /* no row matches the classic tautology */
    CHECK_INT(count(db, "SELECT count(*) FROM t_inj WHERE name = 'x'"), 0);
    /* $1 inside a literal, a quoted name or a comment is not a parameter */
    kiln_rows *r = kiln_db_query(
        db, "SELECT '$1' AS \"$2\", $1 /* $2 */ -- $3\n", KILN_TEXT("p"));
    CHECK(r != NULL);
    CHECK(kiln_rows_next(r));
    CHECK_VIEW(kiln_row_text(r, 0), "$1");
    CHECK_VIEW(kiln_row_text(r, 1), "p");
    CHECK_STR(kiln_rows_colname(r, 0), "$2");
    kiln_rows_close(r);
    /* parameters out of order and repeated */
    r = kiln_db_query(db, "SELECT $2 || $1 || $2", KILN_TEXT("a"),
                      KILN_TEXT("b"));
    CHECK(r && kiln_rows_next(r));
    CHECK_VIEW(kiln_row_text(r, 0), "bab");
    kiln_rows_close(r);
    /* wrong parameter counts are errors, not guesses */
    CHECK(kiln_db_query(db, "SELECT id FROM t_inj WHERE id = $1") == NULL);
    CHECK(kiln_db_errmsg(db)[0] != '\0');
    CHECK(kiln_db_exec(db, "SELECT $1", KILN_INT(1), KILN_INT(2)) < 0);
    /* two statements in one call are refused */
    CHECK(kiln_db_exec(db, "DELETE FROM t_inj; DELETE FROM t_inj") < 0);
    CHECK_INT(count(db, "SELECT count(*) FROM t_inj"), 6);
    close_db(db);
}

TEST(errors_name_the_cause)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_err");
    EXEC_OK(db, "INSERT INTO t_err (id, name) VALUES (1, 'a')");
    int64_t rc =
        kiln_db_exec(db, "INSERT INTO t_err (id, name) VALUES ($1, $2)",
                     KILN_INT(2), KILN_TEXT("a"));
    CHECK_INT(rc, KILN_EDB);
    CHECK(strstr(kiln_db_errmsg(db), "UNIQUE") ||
          strstr(kiln_db_errmsg(db), "unique") ||
          strstr(kiln_db_errmsg(db), "duplicate"));
    CHECK(kiln_db_query(db, "SELEKT 1") == NULL);
    CHECK(strstr(kiln_db_errmsg(db), "syntax"));
    CHECK(kiln_db_query(db, "SELECT nope FROM t_err") == NULL);
    CHECK(strstr(kiln_db_errmsg(db), "nope"));
    /* the connection is still good afterwards */
    CHECK_INT(count(db, "SELECT count(*) FROM t_err"), 1);
    close_db(db);
}

TEST(transactions_and_savepoints)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_tx");
    CHECK_INT(kiln_db_commit(db), KILN_ESTATE);
    CHECK_INT(kiln_db_begin(db), 0);
    CHECK_INT(kiln_db_depth(db), 1);
    EXEC_OK(db, "INSERT INTO t_tx (id) VALUES (1)");
    CHECK_INT(kiln_db_rollback(db), 0);
    CHECK_INT(kiln_db_depth(db), 0);
    CHECK_INT(count(db, "SELECT count(*) FROM t_tx"), 0);

    CHECK_INT(kiln_db_begin(db), 0);
    EXEC_OK(db, "INSERT INTO t_tx (id) VALUES (1)");
    CHECK_INT(kiln_db_begin(db), 0); /* savepoint */
    CHECK_INT(kiln_db_depth(db), 2);
    EXEC_OK(db, "INSERT INTO t_tx (id) VALUES (2)");
    CHECK_INT(kiln_db_begin(db), 0);
    EXEC_OK(db, "INSERT INTO t_tx (id) VALUES (3)");
    CHECK_INT(kiln_db_commit(db), 0);   /* 3 kept within 2 */
    CHECK_INT(kiln_db_rollback(db), 0); /* 2 and 3 undone */
    CHECK_INT(kiln_db_depth(db), 1);
    CHECK_INT(count(db, "SELECT count(*) FROM t_tx"), 1);
    CHECK_INT(kiln_db_begin(db), 0);
    EXEC_OK(db, "INSERT INTO t_tx (id) VALUES (4)");
    CHECK_INT(kiln_db_commit(db), 0);
    CHECK_INT(kiln_db_commit(db), 0);
    CHECK_INT(kiln_db_depth(db), 0);
    CHECK_INT(count(db, "SELECT count(*) FROM t_tx"), 2);
    CHECK_INT(count(db, "SELECT sum(id) FROM t_tx"), 5);

    /* a failed statement inside a savepoint: roll back to it, go on */
    CHECK_INT(kiln_db_begin(db), 0);
    CHECK_INT(kiln_db_begin(db), 0);
    CHECK(kiln_db_exec(db, "INSERT INTO t_tx (id) VALUES (1)") < 0);
    CHECK_INT(kiln_db_rollback(db), 0);
    EXEC_OK(db, "INSERT INTO t_tx (id) VALUES (10)");
    CHECK_INT(kiln_db_commit(db), 0);
    CHECK_INT(count(db, "SELECT count(*) FROM t_tx"), 3);
    close_db(db);
}

TEST(failed_transaction_cannot_commit)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_txf");
    CHECK_INT(kiln_db_begin(db), 0);
    EXEC_OK(db, "INSERT INTO t_txf (id) VALUES (1)");
    CHECK(kiln_db_exec(db, "INSERT INTO t_txf (id) VALUES (1)") < 0);
    if (is_pg(db)) {
        /* PostgreSQL: the transaction is aborted; COMMIT reports it */
        CHECK(kiln_db_commit(db) < 0);
        CHECK_INT(count(db, "SELECT count(*) FROM t_txf"), 0);
    } else {
        /* SQLite: the failed statement alone is undone */
        CHECK_INT(kiln_db_rollback(db), 0);
        CHECK_INT(count(db, "SELECT count(*) FROM t_txf"), 0);
    }
    CHECK_INT(kiln_db_depth(db), 0);
    /* usable again */
    EXEC_OK(db, "INSERT INTO t_txf (id) VALUES (2)");
    CHECK_INT(count(db, "SELECT count(*) FROM t_txf"), 1);
    close_db(db);
}

TEST(batches)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_batch");
    for (int i = 1; i <= 20; i++)
        EXEC_OK(db, "INSERT INTO t_batch (id, score) VALUES ($1, $2)",
                KILN_INT(i), KILN_FLOAT(i * 10));
    kiln_db_batch *b = kiln_db_batch_new(db);
    CHECK(b != NULL);
    char name[32];
    for (int i = 1; i <= 20; i++) {
        snprintf(name, sizeof name, "x%d", i); /* copied by batch_add */
        CHECK_INT(kiln_db_batch_add(b,
                                    "SELECT id, score, $2 FROM t_batch WHERE "
                                    "id = $1",
                                    KILN_INT(i), KILN_TEXT(name)),
                  0);
    }
    memset(name, 0, sizeof name);
    CHECK_INT(kiln_db_batch_run(b), 0);
    for (int i = 1; i <= 20; i++) {
        kiln_rows *r = kiln_db_batch_rows(b, (size_t)i - 1);
        CHECK(r != NULL);
        CHECK(kiln_rows_next(r));
        CHECK_INT(kiln_row_int(r, 0), i);
        CHECK(kiln_row_float(r, 1) == i * 10);
        char want[16];
        snprintf(want, sizeof want, "x%d", i);
        CHECK_VIEW(kiln_row_text(r, 2), want);
        CHECK(!kiln_rows_next(r));
    }
    CHECK(kiln_db_batch_rows(b, 20) == NULL);
    CHECK_INT(kiln_db_batch_run(b), KILN_ESTATE);
    /* a failing query in a batch: its error, the others still answer on
       SQLite; PostgreSQL skips the rest of the batch */
    b = kiln_db_batch_new(db);
    kiln_db_batch_add(b, "SELECT 1");
    kiln_db_batch_add(b, "SELECT nope FROM t_batch");
    CHECK(kiln_db_batch_run(b) < 0);
    CHECK(strstr(kiln_db_errmsg(db), "nope"));
    CHECK(kiln_db_batch_rows(b, 0) != NULL);
    CHECK(kiln_db_batch_rows(b, 1) == NULL);
    /* writes in a batch */
    b = kiln_db_batch_new(db);
    for (int i = 1; i <= 5; i++)
        kiln_db_batch_add(b, "UPDATE t_batch SET score = $2 WHERE id = $1",
                          KILN_INT(i), KILN_FLOAT(-1));
    CHECK_INT(kiln_db_batch_run(b), 0);
    CHECK_INT(count(db, "SELECT count(*) FROM t_batch WHERE score < 0"), 5);
    close_db(db);
}

TEST(many_rows_stream)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_many");
    CHECK_INT(kiln_db_begin(db), 0);
    for (int i = 0; i < 2000; i++)
        EXEC_OK(db, "INSERT INTO t_many (id, name) VALUES ($1, $2)",
                KILN_INT(i), KILN_NULL);
    CHECK_INT(kiln_db_commit(db), 0);
    kiln_rows *r = kiln_db_query(db, "SELECT id, name FROM t_many ORDER BY id");
    int64_t n = 0, sum = 0;
    while (kiln_rows_next(r)) {
        sum += kiln_row_int(r, 0);
        n++;
    }
    CHECK_INT(kiln_rows_error(r), 0);
    CHECK_INT(n, 2000);
    CHECK_INT(sum, 1999 * 2000 / 2);
    /* closing early, then another statement */
    r = kiln_db_query(db, "SELECT id FROM t_many");
    CHECK(kiln_rows_next(r));
    kiln_rows_close(r);
    kiln_rows_close(r); /* twice is harmless */
    CHECK(!kiln_rows_next(r));
    CHECK_INT(count(db, "SELECT count(*) FROM t_many"), 2000);
    /* a new query closes the previous result */
    r = kiln_db_query(db, "SELECT id FROM t_many");
    CHECK(kiln_rows_next(r));
    CHECK_INT(count(db, "SELECT count(*) FROM t_many WHERE id < 10"), 10);
    CHECK(!kiln_rows_next(r));
    kiln_dbc_reset(db);
    close_db(db);
}

TEST(sqlite_pragmas)
{
    kiln_dbc *db = open_db();
    if (is_pg(db)) {
        /* PostgreSQL: the session runs in UTC with ISO dates */
        kiln_rows *r = kiln_db_query(db, "SHOW TimeZone");
        CHECK(kiln_rows_next(r));
        CHECK_VIEW(kiln_row_text(r, 0), "UTC");
        kiln_rows_close(r);
        close_db(db);
        return;
    }
    kiln_rows *r = kiln_db_query(db, "PRAGMA journal_mode");
    CHECK(kiln_rows_next(r));
    CHECK_VIEW(kiln_row_text(r, 0), "wal");
    kiln_rows_close(r);
    CHECK_INT(count(db, "PRAGMA foreign_keys"), 1);
    CHECK(count(db, "PRAGMA busy_timeout") >= 1000);
    /* foreign keys are enforced */
    EXEC_OK(db, "DROP TABLE IF EXISTS t_child");
    EXEC_OK(db, "DROP TABLE IF EXISTS t_parent");
    EXEC_OK(db, "CREATE TABLE t_parent (id INTEGER PRIMARY KEY)");
    EXEC_OK(db, "CREATE TABLE t_child (id INTEGER PRIMARY KEY, parent "
                "INTEGER REFERENCES t_parent(id))");
    CHECK_INT(kiln_db_exec(db, "INSERT INTO t_child VALUES (1, 99)"), KILN_EDB);
    CHECK(strstr(kiln_db_errmsg(db), "FOREIGN KEY"));
    close_db(db);
}

TEST(time_text_forms)
{
    kiln_dbc *db = open_db();
    const char *forms[] = {"2024-02-29 12:34:56.5+00", "2024-02-29T12:34:56.5Z",
                           "2024-02-29 14:34:56.5+02:00",
                           "2024-02-29 07:04:56.500000-05:30"};
    for (int i = 0; i < 4; i++) {
        kiln_rows *r = kiln_db_query(
            db, is_pg(db) ? "SELECT CAST($1 AS timestamptz)" : "SELECT $1",
            KILN_TEXT(forms[i]));
        CHECK(r && kiln_rows_next(r));
        CHECK_INT(kiln_row_time(r, 0), 1709210096500000LL);
        kiln_rows_close(r);
    }
    close_db(db);
}

TEST(rows_into_a_template)
{
    kiln_dbc *db = open_db();
    make_table(db, "t_tpl");
    EXEC_OK(db,
            "INSERT INTO t_tpl (id, name, score, flag, at) VALUES "
            "(1, '<b>bold</b>', 1.5, $1, $2), (2, NULL, NULL, $3, NULL)",
            KILN_BOOL(true), KILN_TIME(1709210096000000LL), KILN_BOOL(false));
    kiln_rows *r = kiln_db_query(
        db, "SELECT id, name, score, flag, at FROM t_tpl ORDER BY id");
    CHECK(r != NULL);
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    kiln_value rows;
    CHECK_INT(kiln_value_from_rows(&a, r, &rows), 0);
    CHECK_INT(kiln_value_len(rows), 2);
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    const char *src =
        "{% for p in rows %}[{{ p.id + 1 }}|{{ p.name }}|{{ p.score }}|"
        "{{ p.flag }}|{{ p.at|date('%Y-%m-%d %H:%M') if p.at else '-' }}]"
        "{% endfor %}";
    kiln_tpl_error err;
    CHECK_INT(kiln_tpl_set_add(set, "t.html", src, strlen(src), &err), 0);
    kiln_value ctx = kiln_value_map(&a);
    kiln_value_set(ctx, "rows", rows);
    kiln_buf out;
    kiln_buf_init(&out);
    CHECK_INT(kiln_tpl_render(set, "t.html", ctx, &a, &out, &err), 0);
    /* SQLite keeps booleans as the integers 1 and 0 */
    CHECK_VIEW(kiln_buf_str(&out),
               is_pg(db) ? "[2|&lt;b&gt;bold&lt;/b&gt;|1.5|True|2024-02-29 "
                           "12:34][3|None|None|False|-]"
                         : "[2|&lt;b&gt;bold&lt;/b&gt;|1.5|1|2024-02-29 "
                           "12:34][3|None|None|0|-]");
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
    kiln_arena_deinit(&a);
    close_db(db);
}
