/*
 * db/sqlite.c - the SQLite backend: one connection per worker (WAL, a busy
 * timeout, foreign keys on), prepared statements cached by SQL text, $N
 * parameters rewritten to ?N once per statement.
 *
 * SQLite calls run on the worker's thread and do not yield (a local file is
 * fast; a writer waiting on another process's lock waits up to the busy
 * timeout). Requests of one worker share its connection, so a transaction
 * makes the connection its request's until it ends: statements of other
 * requests wait (yielding) meanwhile.
 */
#include "db/db_impl.h"

#include "server/worker.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQ_BUSY_MS 5000 /* sqlite3_busy_timeout and the in-worker wait */
#define SQ_CACHE_MAX 256

/* A cached prepared statement. */
typedef struct sq_stmt {
    struct sq_stmt *next; /* hash chain */
    char *sql;            /* the caller's text (key), malloc'd */
    uint64_t hash;
    sqlite3_stmt *st;
    bool busy; /* bound to rows being read */
} sq_stmt;

/* One SQLite connection with its cache. */
typedef struct sq_conn {
    sqlite3 *h;
    sq_stmt **tab; /* cache buckets */
    size_t nbuckets, count;
    kiln_dbc *owner; /* the handle whose transaction holds the connection */
} sq_conn;

/* A handle: per request (lease) or per kiln_dbc_open. */
typedef struct sq_dbc {
    kiln_dbc base;
    sq_conn *c;
    bool own_conn; /* kiln_dbc_open: c is ours to close */
} sq_dbc;

typedef struct sq_rows {
    kiln_rows base;
    sqlite3_stmt *st;
    sq_stmt *cached; /* the cache entry st belongs to, or NULL (ours) */
    int ncols;
    bool first; /* the first row was stepped by query() */
} sq_rows;

/* ---- connection and cache ---------------------------------------------- */

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void cache_clear(sq_conn *c, bool all)
{
    for (size_t i = 0; i < c->nbuckets; i++) {
        sq_stmt **pp = &c->tab[i];
        while (*pp) {
            sq_stmt *s = *pp;
            if (s->busy && !all) {
                pp = &s->next;
                continue;
            }
            *pp = s->next;
            sqlite3_finalize(s->st);
            free(s->sql);
            free(s);
            c->count--;
        }
    }
}

static void sqc_close(sq_conn *c)
{
    if (!c)
        return;
    cache_clear(c, true);
    free(c->tab);
    sqlite3_close_v2(c->h);
    free(c);
}

static int exec_simple(sqlite3 *h, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", sql, msg ? msg : sqlite3_errmsg(h));
        sqlite3_free(msg);
        return KILN_EDB;
    }
    return 0;
}

static sq_conn *sqc_open(const db_url *u, char *err, size_t errlen)
{
    sq_conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->nbuckets = 64;
    c->tab = calloc(c->nbuckets, sizeof *c->tab);
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const char *path = u->memory ? ":memory:" : u->path;
    int rc = c->tab ? sqlite3_open_v2(path, &c->h, flags, NULL) : SQLITE_NOMEM;
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open SQLite database '%s': %s", path,
                 c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
        sqc_close(c);
        return NULL;
    }
    sqlite3_extended_result_codes(c->h, 1);
    sqlite3_busy_timeout(c->h, SQ_BUSY_MS);
    if ((!u->memory &&
         exec_simple(c->h, "PRAGMA journal_mode=WAL", err, errlen) != 0) ||
        exec_simple(c->h, "PRAGMA foreign_keys=ON", err, errlen) != 0 ||
        exec_simple(c->h, "PRAGMA synchronous=NORMAL", err, errlen) != 0) {
        sqc_close(c);
        return NULL;
    }
    return c;
}

char *db_sqlite_params(const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        char ch = sql[i];
        if (ch == '\'' || ch == '"' || ch == '`' || ch == '[') {
            char close = ch == '[' ? ']' : ch;
            out[o++] = sql[i++];
            while (i < n) {
                out[o++] = sql[i];
                if (sql[i++] == close) {
                    if (close != ']' && i < n && sql[i] == close) {
                        out[o++] = sql[i++]; /* doubled quote */
                        continue;
                    }
                    break;
                }
            }
        } else if (ch == '-' && i + 1 < n && sql[i + 1] == '-') {
            while (i < n && sql[i] != '\n')
                out[o++] = sql[i++];
        } else if (ch == '/' && i + 1 < n && sql[i + 1] == '*') {
            const char *end = strstr(sql + i + 2, "*/");
            size_t stop = end ? (size_t)(end - sql) + 2 : n;
            while (i < stop)
                out[o++] = sql[i++];
        } else if (ch == '$' && i + 1 < n && sql[i + 1] >= '0' &&
                   sql[i + 1] <= '9') {
            out[o++] = '?';
            i++;
        } else
            out[o++] = sql[i++];
    }
    out[o] = '\0';
    return out;
}

static int sq_err(kiln_dbc *db, sqlite3 *h, int rc, const char *what)
{
    int prim = rc & 0xff;
    int code = prim == SQLITE_NOMEM    ? KILN_ENOMEM
               : prim == SQLITE_BUSY   ? KILN_ETIMEDOUT
               : prim == SQLITE_LOCKED ? KILN_ETIMEDOUT
               : prim == SQLITE_IOERR  ? KILN_EIO
               : prim == SQLITE_RANGE  ? KILN_EINVAL
                                       : KILN_EDB;
    db_set_err(db, code, "%s%s%s", what ? what : "", what ? ": " : "",
               h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
    if (prim == SQLITE_CONSTRAINT && h) {
        int ext = sqlite3_extended_errcode(h);
        db->violation =
            ext == SQLITE_CONSTRAINT_UNIQUE ||
                    ext == SQLITE_CONSTRAINT_PRIMARYKEY
                ? KILN_DB_VIOLATION_UNIQUE
            : ext == SQLITE_CONSTRAINT_FOREIGNKEY ||
                    /* ON DELETE RESTRICT fails as a trigger constraint */
                    (ext == SQLITE_CONSTRAINT_TRIGGER &&
                     strstr(sqlite3_errmsg(h), "FOREIGN KEY"))
                ? KILN_DB_VIOLATION_FOREIGN_KEY
            : ext == SQLITE_CONSTRAINT_NOTNULL ? KILN_DB_VIOLATION_NOT_NULL
            : ext == SQLITE_CONSTRAINT_CHECK   ? KILN_DB_VIOLATION_CHECK
                                               : KILN_DB_VIOLATION_NONE;
        /* "UNIQUE constraint failed: task.project_id, task.title" */
        const char *m = sqlite3_errmsg(h),
                   *c = m ? strstr(m, "failed: ") : NULL;
        if (c && db->violation != KILN_DB_VIOLATION_FOREIGN_KEY)
            snprintf(db->constraint, sizeof db->constraint, "%s", c + 8);
    }
    return code;
}

/* Waits (yielding) while another request's transaction holds c. */
static int wait_owner(kiln_dbc *db, sq_conn *c)
{
    int64_t waited = 0;
    while (c->owner && c->owner != db) {
        if (waited >= SQ_BUSY_MS)
            return db_set_err(db, KILN_ETIMEDOUT,
                              "database is locked by another request's "
                              "transaction");
        int rc = kiln_sleep_ms(1);
        if (rc != 0)
            return db_set_err(db, rc,
                              "cancelled while waiting for a "
                              "transaction of another request");
        waited++;
    }
    return 0;
}

/* A statement for sql: from the cache, or a fresh one when the cached one is
   busy (*cached NULL then: the caller finalizes it). */
static sqlite3_stmt *get_stmt(kiln_dbc *db, sq_conn *c, const char *sql,
                              sq_stmt **cached)
{
    uint64_t h = hash_sql(sql);
    size_t b = h % c->nbuckets;
    sq_stmt *s;
    for (s = c->tab[b]; s; s = s->next)
        if (s->hash == h && strcmp(s->sql, sql) == 0)
            break;
    if (s && !s->busy) {
        s->busy = true;
        *cached = s;
        return s->st;
    }
    char *text = db_sqlite_params(sql);
    if (!text) {
        db_set_err(db, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(c->h, text, -1,
                                s ? 0 : SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK) {
        sq_err(db, c->h, rc, NULL);
        free(text);
        return NULL;
    }
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' ||
                    *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail) {
        free(text);
        sqlite3_finalize(st);
        db_set_err(db, KILN_EINVAL,
                   "one statement per call (use a migration or a batch for "
                   "several)");
        return NULL;
    }
    free(text);
    if (!st) {
        db_set_err(db, KILN_EINVAL, "empty statement");
        return NULL;
    }
    *cached = NULL;
    if (s)
        return st; /* the cached one is in use: this one is temporary */
    if (c->count >= SQ_CACHE_MAX)
        cache_clear(c, false);
    s = calloc(1, sizeof *s);
    if (s)
        s->sql = strdup(sql);
    if (!s || !s->sql) {
        free(s);
        return st;
    }
    s->hash = h;
    s->st = st;
    s->busy = true;
    s->next = c->tab[b];
    c->tab[b] = s;
    c->count++;
    *cached = s;
    return st;
}

static void put_stmt(sqlite3_stmt *st, sq_stmt *cached)
{
    if (cached) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        cached->busy = false;
    } else
        sqlite3_finalize(st);
}

static int bind_all(kiln_dbc *db, sqlite3 *h, sqlite3_stmt *st,
                    const kiln_db_param *p, size_t n)
{
    int want = sqlite3_bind_parameter_count(st);
    if ((size_t)want != n)
        return db_set_err(db, KILN_EINVAL,
                          "the statement takes %d parameter%s, %zu given", want,
                          want == 1 ? "" : "s", n);
    for (size_t i = 0; i < n; i++) {
        int k = (int)i + 1, rc = SQLITE_OK;
        char tbuf[40];
        switch (p[i].type) {
        case KILN_DB_NULL:
            rc = sqlite3_bind_null(st, k);
            break;
        case KILN_DB_INT:
            rc = sqlite3_bind_int64(st, k, p[i].v.i);
            break;
        case KILN_DB_FLOAT:
            rc = sqlite3_bind_double(st, k, p[i].v.f);
            break;
        case KILN_DB_BOOL:
            rc = sqlite3_bind_int(st, k, p[i].v.b ? 1 : 0);
            break;
        case KILN_DB_TEXT:
            rc = p[i].v.s.p ? sqlite3_bind_text64(st, k, p[i].v.s.p, p[i].v.s.n,
                                                  SQLITE_TRANSIENT, SQLITE_UTF8)
                            : sqlite3_bind_null(st, k);
            break;
        case KILN_DB_BLOB:
            if (!p[i].v.s.p)
                rc = sqlite3_bind_null(st, k);
            else if (p[i].v.s.n == 0)
                rc = sqlite3_bind_zeroblob(st, k, 0);
            else
                rc = sqlite3_bind_blob64(st, k, p[i].v.s.p, p[i].v.s.n,
                                         SQLITE_TRANSIENT);
            break;
        case KILN_DB_TIME:
            db_time_format(p[i].v.i, tbuf);
            rc = sqlite3_bind_text(st, k, tbuf, -1, SQLITE_TRANSIENT);
            break;
        }
        if (rc != SQLITE_OK)
            return sq_err(db, h, rc, "binding a parameter");
    }
    return 0;
}

/* ---- pool and handles --------------------------------------------------- */

static int sq_pool_new(kiln_db_pool *p, char *err, size_t errlen)
{
    /* open once now so a bad path is reported at start-up */
    char e[256];
    sq_conn *c = sqc_open(&p->url, e, sizeof e);
    if (!c) {
        snprintf(err, errlen, "%s", e);
        return KILN_EUNAVAIL;
    }
    sqc_close(c);
    return 0;
}

static void sq_pool_free(kiln_db_pool *p)
{
    for (int i = 0; i < DB_MAX_WORKERS; i++)
        if (p->per_worker[i]) {
            sqc_close(p->per_worker[i]);
            p->per_worker[i] = NULL;
        }
}

static kiln_dbc *sq_open(const db_url *u, char *err, size_t errlen)
{
    sq_conn *c = sqc_open(u, err, errlen);
    if (!c)
        return NULL;
    sq_dbc *d = calloc(1, sizeof *d);
    if (!d) {
        sqc_close(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base.ops = &db_sqlite_ops;
    kiln_arena_init(&d->base.own, 8192);
    d->base.arena = &d->base.own;
    d->c = c;
    d->own_conn = true;
    return &d->base;
}

static void sq_close(kiln_dbc *db)
{
    sq_dbc *d = (sq_dbc *)db;
    if (d->c->owner == db)
        sqlite3_exec(d->c->h, "ROLLBACK", NULL, NULL, NULL);
    sqc_close(d->c);
    kiln_arena_deinit(&db->own);
    free(d);
}

static kiln_dbc *sq_lease(kiln_db_pool *p, kiln_ctx *ctx, char *err,
                          size_t errlen)
{
    worker *w = worker_current();
    if (!w || w->id < 0 || w->id >= DB_MAX_WORKERS) {
        snprintf(err, errlen, "not on a worker thread");
        return NULL;
    }
    sq_conn *c = p->per_worker[w->id];
    if (!c) {
        c = sqc_open(&p->url, err, errlen);
        if (!c)
            return NULL;
        p->per_worker[w->id] = c;
    }
    sq_dbc *d = kiln_alloc(ctx, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memset(d, 0, sizeof *d);
    d->base.ops = &db_sqlite_ops;
    d->c = c;
    return &d->base;
}

static void sq_release(kiln_dbc *db, int rc)
{
    (void)rc;
    sq_dbc *d = (sq_dbc *)db;
    if (d->c->owner == db) {
        /* db.c rolled back level by level; make sure nothing stays open */
        if (!sqlite3_get_autocommit(d->c->h))
            sqlite3_exec(d->c->h, "ROLLBACK", NULL, NULL, NULL);
        d->c->owner = NULL;
    }
}

/* ---- statements --------------------------------------------------------- */

static kiln_rows *sq_query(kiln_dbc *db, const char *sql,
                           const kiln_db_param *params, size_t n)
{
    sq_dbc *d = (sq_dbc *)db;
    if (wait_owner(db, d->c) != 0)
        return NULL;
    sq_stmt *cached;
    sqlite3_stmt *st = get_stmt(db, d->c, sql, &cached);
    if (!st)
        return NULL;
    if (bind_all(db, d->c->h, st, params, n) != 0) {
        put_stmt(st, cached);
        return NULL;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sq_err(db, d->c->h, rc, NULL);
        put_stmt(st, cached);
        return NULL;
    }
    sq_rows *r = kiln_arena_calloc(db->arena, sizeof *r);
    if (!r) {
        put_stmt(st, cached);
        db_set_err(db, KILN_ENOMEM, "out of memory");
        return NULL;
    }
    r->base.db = db;
    r->st = st;
    r->cached = cached;
    r->ncols = sqlite3_column_count(st);
    r->first = rc == SQLITE_ROW;
    r->base.done = rc == SQLITE_DONE;
    r->base.changes = sqlite3_changes64(d->c->h);
    if (r->base.done) {
        /* nothing to read: give the statement back now */
        r->st = NULL;
        put_stmt(st, cached);
    }
    return &r->base;
}

static int64_t sq_exec(kiln_dbc *db, const char *sql,
                       const kiln_db_param *params, size_t n)
{
    sq_dbc *d = (sq_dbc *)db;
    int rc = wait_owner(db, d->c);
    if (rc != 0)
        return rc;
    sq_stmt *cached;
    sqlite3_stmt *st = get_stmt(db, d->c, sql, &cached);
    if (!st)
        return db->last_rc ? db->last_rc : KILN_EDB;
    rc = bind_all(db, d->c->h, st, params, n);
    if (rc != 0) {
        put_stmt(st, cached);
        return rc;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        ;
    int64_t out;
    if (s != SQLITE_DONE)
        out = sq_err(db, d->c->h, s, NULL);
    else
        out = sqlite3_stmt_readonly(st) ? 0 : sqlite3_changes64(d->c->h);
    put_stmt(st, cached);
    return out;
}

static int sq_batch_run(kiln_db_batch *b)
{
    int first = 0;
    for (size_t i = 0; i < b->n; i++) {
        db_batch_item *it = &b->items[i];
        it->rows = sq_query(b->db, it->sql, it->params, it->nparams);
        if (!it->rows && !first)
            first = b->db->last_rc ? b->db->last_rc : KILN_EDB;
    }
    return first;
}

static int sq_tx(kiln_dbc *db, enum db_tx step)
{
    sq_dbc *d = (sq_dbc *)db;
    sq_conn *c = d->c;
    char sql[64];
    int depth = db->depth;
    if (step == DB_BEGIN) {
        int rc = wait_owner(db, c);
        if (rc != 0)
            return rc;
        if (depth == 0)
            snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
        else
            snprintf(sql, sizeof sql, "SAVEPOINT kiln_s%d", depth);
    } else if (step == DB_COMMIT) {
        if (depth == 1)
            snprintf(sql, sizeof sql, "COMMIT");
        else
            snprintf(sql, sizeof sql, "RELEASE kiln_s%d", depth - 1);
    } else {
        if (depth == 1)
            snprintf(sql, sizeof sql, "ROLLBACK");
        else
            snprintf(sql, sizeof sql, "ROLLBACK TO kiln_s%d; RELEASE kiln_s%d",
                     depth - 1, depth - 1);
    }
    char *msg = NULL;
    int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);
    int out = 0;
    if (rc != SQLITE_OK) {
        out = sq_err(db, NULL, rc, NULL);
        db_set_err(db, out, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        if (step == DB_COMMIT && depth == 1 && !sqlite3_get_autocommit(c->h))
            sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    }
    if (step == DB_BEGIN && depth == 0 && out == 0)
        c->owner = db;
    if (step != DB_BEGIN && depth == 1)
        c->owner = NULL;
    return out;
}

static int sq_script(kiln_dbc *db, const char *sql, size_t *err_off)
{
    sq_dbc *d = (sq_dbc *)db;
    *err_off = (size_t)-1;
    const char *p = sql;
    while (*p) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(d->c->h, p, -1, &st, &tail);
        if (rc != SQLITE_OK) {
            int off = sqlite3_error_offset(d->c->h);
            *err_off = (size_t)(p - sql) + (off >= 0 ? (size_t)off : 0);
            while (off < 0 && sql[*err_off] && strchr(" \t\r\n", sql[*err_off]))
                (*err_off)++;
            return sq_err(db, d->c->h, rc, NULL);
        }
        if (!st) { /* whitespace or a comment */
            p = tail;
            continue;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        if (rc != SQLITE_DONE) {
            *err_off = (size_t)(p - sql);
            while (sql[*err_off] && strchr(" \t\r\n;", sql[*err_off]))
                (*err_off)++;
            sq_err(db, d->c->h, rc, NULL);
            sqlite3_finalize(st);
            return db->last_rc;
        }
        sqlite3_finalize(st);
        p = tail;
    }
    return 0;
}

/* ---- rows --------------------------------------------------------------- */

static bool sq_next(kiln_rows *rr)
{
    sq_rows *r = (sq_rows *)rr;
    rr->has_row = false;
    if (!r->st)
        return false;
    if (r->first) {
        r->first = false;
        rr->has_row = true;
        return true;
    }
    int rc = sqlite3_step(r->st);
    if (rc == SQLITE_ROW) {
        rr->has_row = true;
        return true;
    }
    if (rc != SQLITE_DONE) {
        sq_dbc *d = (sq_dbc *)rr->db;
        rr->error = sq_err(rr->db, d->c->h, rc, NULL);
    }
    put_stmt(r->st, r->cached);
    r->st = NULL;
    return false;
}

static void sq_rows_close(kiln_rows *rr)
{
    sq_rows *r = (sq_rows *)rr;
    rr->has_row = false;
    if (r->st)
        put_stmt(r->st, r->cached);
    r->st = NULL;
}

static int sq_ncols(const kiln_rows *rr)
{
    return ((const sq_rows *)rr)->ncols;
}

static const char *sq_colname(const kiln_rows *rr, int i)
{
    const sq_rows *r = (const sq_rows *)rr;
    return r->st ? sqlite3_column_name(r->st, i) : NULL;
}

static bool sq_is_null(kiln_rows *rr, int i)
{
    sq_rows *r = (sq_rows *)rr;
    return !r->st || sqlite3_column_type(r->st, i) == SQLITE_NULL;
}

static kiln_db_type sq_col_type(kiln_rows *rr, int i)
{
    switch (sqlite3_column_type(((sq_rows *)rr)->st, i)) {
    case SQLITE_INTEGER:
        return KILN_DB_INT;
    case SQLITE_FLOAT:
        return KILN_DB_FLOAT;
    case SQLITE_BLOB:
        return KILN_DB_BLOB;
    case SQLITE_NULL:
        return KILN_DB_NULL;
    default:
        return KILN_DB_TEXT;
    }
}

static int64_t sq_get_int(kiln_rows *rr, int i)
{
    return sqlite3_column_int64(((sq_rows *)rr)->st, i);
}

static double sq_get_float(kiln_rows *rr, int i)
{
    return sqlite3_column_double(((sq_rows *)rr)->st, i);
}

static bool sq_get_bool(kiln_rows *rr, int i)
{
    sqlite3_stmt *st = ((sq_rows *)rr)->st;
    if (sqlite3_column_type(st, i) == SQLITE_TEXT) {
        const char *t = (const char *)sqlite3_column_text(st, i);
        return t && (t[0] == 't' || t[0] == 'T' || t[0] == 'y' || t[0] == 'Y' ||
                     (t[0] >= '1' && t[0] <= '9'));
    }
    return sqlite3_column_int64(st, i) != 0;
}

static kiln_str copy_out(kiln_rows *rr, const void *p, int n)
{
    if (!p)
        p = "";
    char *s = kiln_arena_strndup(rr->db->arena, p, (size_t)n);
    return s ? (kiln_str){s, (size_t)n} : KILN_STR_NULL;
}

static kiln_str sq_get_text(kiln_rows *rr, int i)
{
    sqlite3_stmt *st = ((sq_rows *)rr)->st;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return KILN_STR_NULL;
    const unsigned char *t = sqlite3_column_text(st, i);
    return copy_out(rr, t, sqlite3_column_bytes(st, i));
}

static kiln_str sq_get_blob(kiln_rows *rr, int i)
{
    sqlite3_stmt *st = ((sq_rows *)rr)->st;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return KILN_STR_NULL;
    const void *b = sqlite3_column_blob(st, i);
    return copy_out(rr, b, sqlite3_column_bytes(st, i));
}

static int64_t sq_get_time(kiln_rows *rr, int i)
{
    sqlite3_stmt *st = ((sq_rows *)rr)->st;
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: /* unix seconds, as unixepoch() gives */
        return sqlite3_column_int64(st, i) * 1000000;
    case SQLITE_FLOAT:
        return (int64_t)(sqlite3_column_double(st, i) * 1e6);
    case SQLITE_TEXT: {
        int64_t us = 0;
        kiln_str s = {(const char *)sqlite3_column_text(st, i),
                      (size_t)sqlite3_column_bytes(st, i)};
        if (db_time_parse(s, &us) != 0) {
            db_set_err(rr->db, KILN_EPARSE, "column %d is not a timestamp", i);
            return 0;
        }
        return us;
    }
    default:
        return 0;
    }
}

const db_ops db_sqlite_ops = {
    .name = "sqlite",
    .pool_new = sq_pool_new,
    .pool_free = sq_pool_free,
    .open = sq_open,
    .close = sq_close,
    .lease = sq_lease,
    .release = sq_release,
    .query = sq_query,
    .exec = sq_exec,
    .batch_run = sq_batch_run,
    .tx = sq_tx,
    .script = sq_script,
    .next = sq_next,
    .rows_close = sq_rows_close,
    .ncols = sq_ncols,
    .colname = sq_colname,
    .is_null = sq_is_null,
    .col_type = sq_col_type,
    .get_int = sq_get_int,
    .get_float = sq_get_float,
    .get_bool = sq_get_bool,
    .get_text = sq_get_text,
    .get_blob = sq_get_blob,
    .get_time = sq_get_time,
};
