/*
 * kiln/db.h - one API over SQLite and PostgreSQL.
 *
 *   // in a handler: the request's connection to the app's database
 *   kiln_dbc *db = kiln_db(c);
 *   kiln_rows *r = kiln_db_query(db, "SELECT id, title FROM post WHERE "
 *                                    "author = $1 AND id > $2",
 *                                KILN_TEXT(name), KILN_INT(after));
 *   while (kiln_rows_next(r))
 *       use(kiln_row_int(r, 0), kiln_row_text(r, 1));
 *   if (kiln_rows_error(r) < 0) return kiln_problem(c, 500, "%s",
 *                                                  kiln_db_errmsg(db));
 *
 * SQL takes typed parameters only ($1, $2... on both backends; for SQLite
 * they are rewritten to ?NNN). There is no call that pastes a value into
 * SQL. Rows are read one at a time (SQLite steps, PostgreSQL uses
 * single-row mode); strings and blobs read from a row live in the
 * connection's current arena (the request's, in a handler) and stay valid
 * until the request ends.
 *
 * A handler's connection is a handle bound to the worker's pool: outside a
 * transaction, PostgreSQL statements from concurrent requests of one worker
 * share connections and are pipelined together (one round trip for many
 * requests); kiln_db_begin takes a connection for the request alone until
 * the transaction ends. Everything is given back when the handler returns. A
 * transaction still open then is rolled back (a handler that fails midway
 * leaves nothing half-written; one that forgets to commit is logged). In
 * PostgreSQL every wait (connecting, sending, reading results) yields the
 * handler's coroutine: the worker serves other requests meanwhile. While the
 * database cannot be reached, kiln_db() answers 503 application/problem+json
 * itself and returns NULL (handlers just `if (!db) return 0;`), and the pool
 * reconnects with backoff.
 *
 * URLs: "sqlite://./app.db" (relative to the project folder),
 * "sqlite:///abs/path.db", "sqlite::memory:",
 * "postgres://user:pass@host:port/db?sslmode=disable&..." (also
 * "postgresql://"; any libpq connection parameter in the query string).
 */
#ifndef KILN_DB_H
#define KILN_DB_H

#include "http.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A database: a URL and the pools that serve it. Opaque. */
typedef struct kiln_db_pool kiln_db_pool;
/** One connection (session). Opaque. */
typedef struct kiln_dbc kiln_dbc;
/** A result being read. Opaque; lives until the next query on its
    connection or kiln_rows_close. */
typedef struct kiln_rows kiln_rows;

/** Parameter and column types. */
typedef enum kiln_db_type {
    KILN_DB_NULL,
    KILN_DB_INT,   /**< int64_t */
    KILN_DB_FLOAT, /**< double */
    KILN_DB_TEXT,  /**< UTF-8 text */
    KILN_DB_BLOB,  /**< bytes */
    KILN_DB_BOOL,  /**< bool (SQLite: 0/1 integer) */
    KILN_DB_TIME   /**< timestamp: microseconds since the epoch, UTC
                        (PostgreSQL timestamptz; SQLite ISO-8601 text) */
} kiln_db_type;

/** One typed parameter; build it with the KILN_INT(...) family. */
typedef struct kiln_db_param {
    kiln_db_type type;
    union {
        int64_t i;
        double f;
        bool b;
        kiln_str s; /**< TEXT and BLOB; not copied, must outlive the call */
    } v;
} kiln_db_param;

#define KILN_NULL ((kiln_db_param){.type = KILN_DB_NULL})
#define KILN_INT(x) ((kiln_db_param){.type = KILN_DB_INT, .v.i = (int64_t)(x)})
#define KILN_FLOAT(x)                                                          \
    ((kiln_db_param){.type = KILN_DB_FLOAT, .v.f = (double)(x)})
#define KILN_BOOL(x) ((kiln_db_param){.type = KILN_DB_BOOL, .v.b = (x)})
/** A NUL-terminated string (NULL gives SQL NULL). */
#define KILN_TEXT(x) kiln_db_text(x)
/** A kiln_str (p == NULL gives SQL NULL). */
#define KILN_STRV(x) ((kiln_db_param){.type = KILN_DB_TEXT, .v.s = (x)})
#define KILN_BLOB(p, n)                                                        \
    ((kiln_db_param){.type = KILN_DB_BLOB, .v.s = {(const char *)(p), (n)}})
/** Microseconds since the epoch (UTC). */
#define KILN_TIME(us) ((kiln_db_param){.type = KILN_DB_TIME, .v.i = (us)})

/** KILN_TEXT: a text parameter from a C string (NULL: SQL NULL). */
kiln_db_param kiln_db_text(const char *s);

/* ---- opening ----------------------------------------------------------- */

/**
 * Creates a pool for url: nothing connects yet (connections are made per
 * worker, on first use). max_per_worker bounds the PostgreSQL connections of
 * each worker (0: 4); SQLite uses one per worker. Returns NULL with a
 * one-line reason in err for a malformed or unsupported URL.
 */
kiln_db_pool *kiln_db_pool_new(const char *url, int max_per_worker, char *err,
                               size_t errlen);
/** Frees a pool (after the server stopped) and closes its connections. */
void kiln_db_pool_free(kiln_db_pool *p);
/** Makes p the database kiln_db() serves (the project runtime does this
    from the database.url setting). Not thread-safe: call before serving. */
void kiln_db_set_default(kiln_db_pool *p);

/**
 * The request's connection to the default database, leased from the
 * worker's pool on first call and the same for the rest of the request.
 * When no connection can be had (database down, pool exhausted past its
 * wait), answers 503 problem+json and returns NULL.
 */
kiln_dbc *kiln_db(kiln_ctx *c);

/**
 * A connection outside a request (tools, migrations, seeding, tests):
 * blocking, owns an arena that kiln_dbc_reset clears. NULL with err filled
 * on failure.
 */
kiln_dbc *kiln_dbc_open(const char *url, char *err, size_t errlen);
/** Closes a connection from kiln_dbc_open. */
void kiln_dbc_close(kiln_dbc *db);
/** Frees what rows and strings read so far hold (kiln_dbc_open only). */
void kiln_dbc_reset(kiln_dbc *db);
/** "sqlite" or "postgres". */
const char *kiln_dbc_backend(const kiln_dbc *db);

/* ---- queries ----------------------------------------------------------- */

/** Runs sql with n parameters; see kiln_db_query. */
kiln_rows *kiln_db_query_a(kiln_dbc *db, const char *sql,
                           const kiln_db_param *params, size_t n);
/**
 * Runs a statement that returns rows; read them with kiln_rows_next.
 * Returns NULL on failure (kiln_db_errmsg says why). Statements are
 * prepared once per connection and cached.
 */
#define kiln_db_query(db, sql, ...)                                            \
    kiln_db_query_a((db), (sql), KILN__DB_PARAMS(__VA_ARGS__))

/** Runs sql with n parameters; see kiln_db_exec. */
int64_t kiln_db_exec_a(kiln_dbc *db, const char *sql,
                       const kiln_db_param *params, size_t n);
/** Runs a statement; returns the rows it changed (>= 0) or a negative
    KILN_E* code (kiln_db_errmsg says why). */
#define kiln_db_exec(db, sql, ...)                                             \
    kiln_db_exec_a((db), (sql), KILN__DB_PARAMS(__VA_ARGS__))

/** Runs sql, reads the first column of the first row as an integer into
 *out. 0, KILN_ENOTFOUND (no row or NULL), or a negative error. */
int kiln_db_scalar_int_a(kiln_dbc *db, int64_t *out, const char *sql,
                         const kiln_db_param *params, size_t n);
#define kiln_db_scalar_int(db, out, sql, ...)                                  \
    kiln_db_scalar_int_a((db), (out), (sql), KILN__DB_PARAMS(__VA_ARGS__))

/* the parameter list of the macros above: an array and its length */
#define KILN__DB_PARAMS(...)                                                   \
    ((const kiln_db_param[]){{.type = KILN_DB_NULL}, ##__VA_ARGS__}) + 1,      \
        (sizeof(                                                               \
             (const kiln_db_param[]){{.type = KILN_DB_NULL}, ##__VA_ARGS__}) / \
             sizeof(kiln_db_param) -                                           \
         1)

/** Advances to the next row; false at the end or on an error. */
bool kiln_rows_next(kiln_rows *r);
/** 0 after the last row was read, or the negative error that stopped it. */
int kiln_rows_error(const kiln_rows *r);
/** Stops reading early and releases the result (also done by the next
    query on the connection and at the end of the request). */
void kiln_rows_close(kiln_rows *r);
/** Number of columns. */
int kiln_rows_ncols(const kiln_rows *r);
/** Name of column i (owned by r). */
const char *kiln_rows_colname(const kiln_rows *r, int i);

/**
 * The type of column i's value in the current row: KILN_DB_NULL for NULL,
 * else from the column's declared type on PostgreSQL (integers INT,
 * float/numeric FLOAT, boolean BOOL, bytea BLOB, timestamp(tz)/date TIME,
 * everything else TEXT) and from the stored value on SQLite (INTEGER,
 * REAL, TEXT, BLOB).
 */
kiln_db_type kiln_row_type(kiln_rows *r, int i);
/** True when column i of the current row is NULL. */
bool kiln_row_is_null(kiln_rows *r, int i);
/** Column i as an integer (0 for NULL; text is parsed). */
int64_t kiln_row_int(kiln_rows *r, int i);
/** Column i as a double (0 for NULL). */
double kiln_row_float(kiln_rows *r, int i);
/** Column i as a bool (false for NULL). */
bool kiln_row_bool(kiln_rows *r, int i);
/** Column i as UTF-8 text (p == NULL for NULL; NUL-terminated; valid until
    the connection's arena is reset: the request's end in a handler). */
kiln_str kiln_row_text(kiln_rows *r, int i);
/** Column i as bytes (p == NULL for NULL; same lifetime). */
kiln_str kiln_row_blob(kiln_rows *r, int i);
/** Column i as a timestamp in microseconds since the epoch (0 for NULL). */
int64_t kiln_row_time(kiln_rows *r, int i);

/* ---- batches (PostgreSQL: one round trip in pipeline mode) ---------- */

/** Independent queries sent together. Opaque; in the connection's arena. */
typedef struct kiln_db_batch kiln_db_batch;

/** Starts an empty batch on db. NULL on allocation failure. */
kiln_db_batch *kiln_db_batch_new(kiln_dbc *db);
/** Queues sql with n parameters (copied). 0 or an error. */
int kiln_db_batch_add_a(kiln_db_batch *b, const char *sql,
                        const kiln_db_param *params, size_t n);
#define kiln_db_batch_add(b, sql, ...)                                         \
    kiln_db_batch_add_a((b), (sql), KILN__DB_PARAMS(__VA_ARGS__))
/**
 * Runs every queued query: PostgreSQL sends them all in one pipeline and
 * reads all results (one round trip); SQLite runs them in turn. Returns 0
 * or the first error. Then kiln_db_batch_rows(b, i) reads query i's rows.
 */
int kiln_db_batch_run(kiln_db_batch *b);
/** The rows of the i-th queued query (after kiln_db_batch_run), or NULL. */
kiln_rows *kiln_db_batch_rows(kiln_db_batch *b, size_t i);

/* ---- transactions -------------------------------------------------------- */

/** Begins a transaction; nested calls make savepoints. 0 or an error. */
int kiln_db_begin(kiln_dbc *db);
/** Commits the innermost transaction (releases its savepoint). */
int kiln_db_commit(kiln_dbc *db);
/** Rolls back the innermost transaction (to its savepoint). */
int kiln_db_rollback(kiln_dbc *db);
/** Depth of open transactions (0: none). */
int kiln_db_depth(const kiln_dbc *db);

/** The constraint a failed statement broke. */
typedef enum kiln_db_violation {
    KILN_DB_VIOLATION_NONE,        /**< another error, or none */
    KILN_DB_VIOLATION_UNIQUE,      /**< a unique constraint or index */
    KILN_DB_VIOLATION_FOREIGN_KEY, /**< a reference to a missing row, or a
                                        row still referred to */
    KILN_DB_VIOLATION_NOT_NULL,    /**< NULL into a NOT NULL column */
    KILN_DB_VIOLATION_CHECK        /**< a CHECK constraint */
} kiln_db_violation;

/**
 * Which constraint the last failed statement on db broke
 * (KILN_DB_VIOLATION_NONE for other errors). When name is not NULL it gets
 * what the database says of the constraint, owned by db: PostgreSQL's
 * constraint or index name ("task_title_uniq"); SQLite's list of the
 * columns involved ("task.project_id, task.title"; "" for a foreign key,
 * which SQLite does not name).
 */
kiln_db_violation kiln_db_violation_of(const kiln_dbc *db, const char **name);

/**
 * How many statements (queries and execs; a batch counts each of its
 * queries; transaction control does not count) db has sent since it was
 * made: a handler's count is the
 * difference around what it measures (the CRUD API reports a list's in
 * debug mode, docs/api.md). 0 for a NULL db.
 */
uint64_t kiln_db_statements(const kiln_dbc *db);

/** The last error's message (one line, owned by db), "" when none. */
const char *kiln_db_errmsg(const kiln_dbc *db);

/**
 * Answers a failed database call in a handler and returns its (negative)
 * error code, so that `if (!r) return kiln_db_fail(c, db);` is the whole
 * error path: a database that cannot be reached has already been answered
 * 503 (by kiln_db or the failing call); any other failure gets 500
 * problem+json with a generic detail, and the statement's message goes to
 * the log, not to the client. Returning the negative code also makes the
 * framework roll back the request's open transaction. db may be NULL (what
 * kiln_db returned).
 */
int kiln_db_fail(kiln_ctx *c, kiln_dbc *db);

/**
 * Answers status with application/json: the rows r still gives, as an
 * array of objects keyed by column name with typed values (the rules of
 * kiln_json_put_rows in kiln/json.h):
 *
 *   kiln_rows *r = kiln_db_query(db, "SELECT id, title FROM note");
 *   if (!r)
 *       return kiln_db_fail(c, db);
 *   return kiln_json_rows(c, 200, r);     // [{"id":1,"title":"..."},...]
 *
 * Returns 0 once answered. When reading the rows fails, nothing partial is
 * sent: it answers and returns as kiln_db_fail does (503 or 500, and the
 * negative code rolls the request back). KILN_EINVAL for a NULL r,
 * KILN_ENOMEM (nothing answered: the framework answers 500).
 */
int kiln_json_rows(kiln_ctx *c, int status, kiln_rows *r);

/**
 * Appends sql to b with each parameter $k written $(base + k): a condition
 * written with its own $1..$n (a query hook's) placed after a statement's
 * first base parameters. No '$' may stand inside a string literal of sql.
 * Returns 0 or KILN_ENOMEM.
 */
int kiln_db_sql_shift(kiln_buf *b, const char *sql, size_t base);

/* ---- URLs -----------------------------------------------------------------
 */

/**
 * Resolves a relative SQLite path of url against the folder root
 * ("sqlite://./app.db" in /srv/app is "sqlite:///srv/app/app.db"); other
 * URLs are copied. Returns 0, or KILN_ELIMIT when out (n bytes) is short.
 */
int kiln_db_url_in(const char *url, const char *root, char *out, size_t n);

/* ---- migrations ---------------------------------------------------------- */

/** What kiln_db_migrate does. */
typedef enum kiln_migrate_mode {
    KILN_MIGRATE_APPLY,  /**< apply what is pending */
    KILN_MIGRATE_STATUS, /**< list applied and pending */
    KILN_MIGRATE_CHECK   /**< as STATUS; the caller fails when any pending */
} kiln_migrate_mode;

/**
 * Migrations: dir holds hand-written NNNN_name.sql files and NNNN_name.toml
 * files that `kiln migrate --make` writes from the models (name: letters,
 * digits, '_', '-'), in one sequence applied in number order, each in its
 * own transaction together with its row in the kiln_migrations table
 * (number, name, the file's SHA-256, time). A .sql file whose first line
 * is "-- kiln:no-transaction" runs without one (PostgreSQL's CREATE INDEX
 * CONCURRENTLY needs that); its lines after a line "-- kiln:down" are not
 * applied: they undo it (kiln_db_migrate_to). A .toml migration's SQL is
 * made for the database at hand when it runs (docs/models.md). Concurrent
 * runs are serialised (an advisory lock on PostgreSQL, the write lock on
 * SQLite). db must come from kiln_dbc_open.
 *
 * Kiln's own tables (its task queue) are brought up to date first, as
 * kiln_db_migrate_kiln does; they are reported to out but not counted.
 *
 * Reports one line per migration to out (may be NULL). Returns the number
 * applied (APPLY) or pending (STATUS, CHECK), or a negative error with a
 * message in err: a malformed file name, two files with one number, an
 * applied migration edited or deleted since, a .toml migration that does
 * not parse or fit the ones before it (PATH:LINE: ...), or the failing
 * statement of a migration as PATH:LINE: message (that migration is rolled
 * back; the ones before it stay applied).
 */
int kiln_db_migrate(kiln_dbc *db, const char *dir, kiln_migrate_mode mode,
                    FILE *out, char *err, size_t errlen);

/**
 * Kiln's own tables, versioned apart from the app's migrations: each part
 * of Kiln that keeps rows in the app's database (today "tasks": the task
 * queue, kiln_tasks and kiln_task_ticks) has numbered steps compiled into
 * libkiln, and the table kiln_schema records the version each part is at.
 * APPLY runs the missing steps in order, each in its own transaction with
 * its kiln_schema row (concurrent runs are serialised as in
 * kiln_db_migrate); STATUS and CHECK change nothing but kiln_schema's
 * creation. Lines "  applied  kiln: tasks 1 (...)" or "  pending  ..." go
 * to out (may be NULL; STATUS lists the applied ones too). db must come
 * from kiln_dbc_open. Returns the number of steps applied (APPLY) or
 * pending, or a negative error with a message in err.
 */
int kiln_db_migrate_kiln(kiln_dbc *db, kiln_migrate_mode mode, FILE *out,
                         char *err, size_t errlen);

/**
 * Takes the database back to migration target (0: before the first):
 * undoes the applied migrations numbered above it, newest first, each in
 * its own transaction with its kiln_migrations row deleted. A generated
 * migration is undone by the inverse of its operations; a .sql one by its
 * "-- kiln:down" section. Every step is planned before any runs: when one
 * cannot be undone (a .sql without a down section, a dropped required
 * column without a default, or, unless accept_loss, a change whose undoing
 * would cut values) nothing is changed and err names the step and why.
 *
 * Reports "undone FILE" lines to out (may be NULL). Returns the number
 * undone, or a negative error with a message in err (an unknown target,
 * the reasons above, or a failing statement: that step is rolled back, the
 * ones undone before it stay undone).
 */
int kiln_db_migrate_to(kiln_dbc *db, const char *dir, long long target,
                       bool accept_loss, FILE *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
