/*
 * db/db_impl.h - what db.c (the public API of kiln/db.h: URLs, parameters,
 * the request lease, transactions, batches) and each backend (sqlite.c,
 * pg.c) share. A backend fills one db_ops table; db.c dispatches to it.
 *
 * Structures: the common part comes first in each backend's structure
 * (struct sqlite_conn { kiln_dbc base; ... }), so a backend casts.
 *
 * Memory: a kiln_dbc's arena is the request's (kiln_db) or its own
 * (kiln_dbc_open, cleared by kiln_dbc_reset). kiln_rows, batch entries and
 * strings handed out by getters are allocated there. Backend resources
 * (sqlite3_stmt, PGresult, connections) are owned by the backend and freed
 * by rows_close / release / close.
 */
#ifndef KILN_DB_IMPL_H
#define KILN_DB_IMPL_H

#include <kiln/db.h>

typedef struct db_ops db_ops;

/** A parsed database URL. Strings are malloc'd, owned by the url. */
typedef struct db_url {
    enum { DB_SQLITE, DB_POSTGRES } kind;
    char *path;     /**< SQLite: file path (NULL for memory) */
    bool memory;    /**< SQLite: sqlite::memory: */
    char *conninfo; /**< PostgreSQL: the URL as given (libpq parses it) */
} db_url;

/** Parses url into u. 0, or KILN_EINVAL with a one-line reason in err. */
int db_url_parse(const char *url, db_url *u, char *err, size_t errlen);
/** Frees u's strings. */
void db_url_free(db_url *u);

/** The common part of a connection handle. */
struct kiln_dbc {
    const db_ops *ops;
    kiln_db_pool *pool;   /**< NULL for kiln_dbc_open */
    kiln_ctx *ctx;        /**< the request (kiln_db), else NULL */
    kiln_arena *arena;    /**< where rows and strings go */
    kiln_arena own;       /**< the arena of a kiln_dbc_open connection */
    int depth;            /**< open transactions (savepoints beyond 1) */
    kiln_rows *open_rows; /**< the result being read, if any */
    struct kiln_db_batch *open_batch; /**< the last batch run, if any */
    int last_rc;                      /**< the code of err (db_set_err) */
    uint64_t nstatements; /**< statements sent (kiln_db_statements) */
    int violation;        /**< kiln_db_violation of the last error */
    char constraint[128]; /**< its constraint (kiln_db_violation_of) */
    char err[512];        /**< last error message ("" when none) */
};

/** The common part of a result. */
struct kiln_rows {
    kiln_dbc *db;
    int error;       /**< 0, or the negative code that stopped reading */
    bool done;       /**< no more rows */
    bool closed;     /**< rows_close ran */
    bool has_row;    /**< next returned true: getters may read */
    int64_t changes; /**< rows changed (exec) */
};

/** One queued query of a batch. */
typedef struct db_batch_item {
    const char *sql;       /**< copied into the arena */
    kiln_db_param *params; /**< copied (TEXT/BLOB bytes too) */
    size_t nparams;
    kiln_rows *rows; /**< set by batch_run */
} db_batch_item;

struct kiln_db_batch {
    kiln_dbc *db;
    db_batch_item *items; /**< in the arena */
    size_t n, cap;
    bool ran; /**< kiln_db_batch_run was called */
};

/** Most workers a server runs (settings: server.workers). */
#define DB_MAX_WORKERS 1024

/** A pool: the URL and the backend's per-worker state. */
struct kiln_db_pool {
    const db_ops *ops;
    db_url url;
    int max_per_worker;
    void *impl; /**< the backend's (pool_new/pool_free) */
    /** each worker's state, made by the backend on the worker's thread on
        first use (indexed by worker id) and freed by pool_free */
    void *per_worker[DB_MAX_WORKERS];
};

/** Transaction steps handed to db_ops.tx. */
enum db_tx { DB_BEGIN, DB_COMMIT, DB_ROLLBACK };

/**
 * A backend. Every function may wait (yield the handler's coroutine) when
 * called inside a request; outside one it blocks. Errors: a negative
 * KILN_E* code with a one-line message in db->err (db_set_err).
 */
struct db_ops {
    const char *name; /**< "sqlite", "postgres" */

    /** Creates the backend's pool state for p (per-worker pools are made
        lazily on each worker thread). 0 or an error in err. */
    int (*pool_new)(kiln_db_pool *p, char *err, size_t errlen);
    /** Frees what pool_new and the workers made. */
    void (*pool_free)(kiln_db_pool *p);

    /** A blocking connection for tools. NULL with err filled. */
    kiln_dbc *(*open)(const db_url *u, char *err, size_t errlen);
    /** Closes a connection from open. */
    void (*close)(kiln_dbc *db);

    /**
     * The request handle for c on this worker (allocated in the request
     * arena or pooled). NULL when no connection can be had: the backend
     * fills err with the reason (db.c answers 503).
     */
    kiln_dbc *(*lease)(kiln_db_pool *p, kiln_ctx *c, char *err, size_t errlen);
    /** Gives the handle back at the end of the request (after db.c rolled
        back what was open). rc < 0: the handler failed or the coroutine is
        gone (KILN_ECANCELED: must not wait; close what is unsafe). */
    void (*release)(kiln_dbc *db, int rc);

    /** Starts a query; rows are read with next. NULL on error. */
    kiln_rows *(*query)(kiln_dbc *db, const char *sql,
                        const kiln_db_param *params, size_t n);
    /** Runs a statement; rows changed or a negative error. */
    int64_t (*exec)(kiln_dbc *db, const char *sql, const kiln_db_param *params,
                    size_t n);
    /** Runs every item of b, setting items[i].rows. 0 or the first error. */
    int (*batch_run)(kiln_db_batch *b);
    /** BEGIN / COMMIT / ROLLBACK at depth db->depth (before the step; db.c
        updates depth): depth 0 BEGIN, deeper ones SAVEPOINT kiln_sN. The
        backend also pins a connection for the transaction (PostgreSQL). */
    int (*tx)(kiln_dbc *db, enum db_tx step);
    /** Runs several ;-separated statements without parameters (migration
        files; kiln_dbc_open connections only). On failure *err_off is the
        byte offset in sql where the failing statement or token starts, or
        (size_t)-1 when unknown. */
    int (*script)(kiln_dbc *db, const char *sql, size_t *err_off);

    bool (*next)(kiln_rows *r);
    void (*rows_close)(kiln_rows *r);
    int (*ncols)(const kiln_rows *r);
    const char *(*colname)(const kiln_rows *r, int i);
    bool (*is_null)(kiln_rows *r, int i);
    kiln_db_type (*col_type)(kiln_rows *r, int i);
    int64_t (*get_int)(kiln_rows *r, int i);
    double (*get_float)(kiln_rows *r, int i);
    bool (*get_bool)(kiln_rows *r, int i);
    kiln_str (*get_text)(kiln_rows *r, int i);
    kiln_str (*get_blob)(kiln_rows *r, int i);
    int64_t (*get_time)(kiln_rows *r, int i);
};

extern const db_ops db_sqlite_ops;
extern const db_ops db_pg_ops;

/** The pool kiln_db() serves (kiln_db_set_default), or NULL. */
kiln_db_pool *db_default_pool(void);

/** Sets db->err from a format; returns code (a negative KILN_E*). */
int db_set_err(kiln_dbc *db, int code, const char *fmt, ...) KILN_PRINTF(3, 4);

/**
 * Rewrites $N parameters to ?N outside strings, quoted names and comments
 * (SQLite reads "$1" as a named parameter numbered by first appearance).
 * Returns a malloc'd string of the same length, or NULL.
 */
char *db_sqlite_params(const char *sql);

/** Timestamps as text: "YYYY-MM-DD HH:MM:SS.ffffff+00" (UTC) into out
    (at least 40 bytes); parsing accepts ISO 8601 / PostgreSQL forms with
    'T' or ' ', optional fraction and offset. 0 or KILN_EPARSE. */
void db_time_format(int64_t us, char *out);
int db_time_parse(kiln_str s, int64_t *us);

#endif
