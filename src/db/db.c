/*
 * db/db.c - the public API of kiln/db.h over the backends: URLs, the
 * request's lease (503 when the database cannot be reached, rollback of
 * what the handler left open), parameters, transactions as savepoints,
 * batches, and the checks every call shares (a result still being read is
 * closed before the next statement on its connection).
 */
#include "db/db_impl.h"

#include "core/civil.h"

#include "server/worker.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

kiln_db_param kiln_db_text(const char *s)
{
    kiln_db_param p = {.type = s ? KILN_DB_TEXT : KILN_DB_NULL};
    if (s)
        p.v.s = kiln_str_c(s);
    return p;
}

int db_set_err(kiln_dbc *db, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
    db->last_rc = code;
    db->violation = KILN_DB_VIOLATION_NONE;
    db->constraint[0] = '\0';
    /* one line: the first line of a server message, no trailing space */
    char *nl = strchr(db->err, '\n');
    if (nl)
        *nl = '\0';
    size_t n = strlen(db->err);
    while (n && isspace((unsigned char)db->err[n - 1]))
        db->err[--n] = '\0';
    return code;
}

/* ---- URLs --------------------------------------------------------------- */

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

int db_url_parse(const char *url, db_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (!url || !*url) {
        snprintf(err, errlen, "empty database URL");
        return KILN_EINVAL;
    }
    if (strcmp(url, "sqlite::memory:") == 0 ||
        strcmp(url, "sqlite://:memory:") == 0) {
        u->kind = DB_SQLITE;
        u->memory = true;
        return 0;
    }
    if (strncmp(url, "sqlite://", 9) == 0 || strncmp(url, "sqlite:", 7) == 0) {
        const char *p = url + (url[7] == '/' && url[8] == '/' ? 9 : 7);
        /* sqlite://./app.db, sqlite:///abs/app.db, sqlite:app.db */
        size_t n = strcspn(p, "?#");
        if (n == 0) {
            snprintf(err, errlen,
                     "database URL '%s' has no file path (try "
                     "sqlite://./app.db)",
                     url);
            return KILN_EINVAL;
        }
        if (p[n]) {
            snprintf(err, errlen,
                     "database URL '%s': SQLite URLs take no parameters", url);
            return KILN_EINVAL;
        }
        u->kind = DB_SQLITE;
        u->path = dupn(p, n);
        if (!u->path) {
            snprintf(err, errlen, "out of memory");
            return KILN_ENOMEM;
        }
        return 0;
    }
    if (strncmp(url, "postgres://", 11) == 0 ||
        strncmp(url, "postgresql://", 13) == 0) {
        u->kind = DB_POSTGRES;
        u->conninfo = dupn(url, strlen(url));
        if (!u->conninfo) {
            snprintf(err, errlen, "out of memory");
            return KILN_ENOMEM;
        }
        return 0;
    }
    const char *colon = strstr(url, "://");
    if (colon)
        snprintf(err, errlen,
                 "unsupported database URL scheme '%.*s' (use sqlite:// or "
                 "postgres://)",
                 (int)(colon - url), url);
    else
        snprintf(err, errlen,
                 "malformed database URL '%s' (expected sqlite://PATH, "
                 "sqlite::memory: or postgres://user:pass@host:port/db)",
                 url);
    return KILN_EINVAL;
}

void db_url_free(db_url *u)
{
    free(u->path);
    free(u->conninfo);
    memset(u, 0, sizeof *u);
}

int kiln_db_sql_shift(kiln_buf *b, const char *sql, size_t base)
{
    int rc = 0;
    for (const char *p = sql; *p && rc == 0; p++) {
        if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
            size_t k = 0;
            while (p[1] >= '0' && p[1] <= '9')
                k = k * 10 + (size_t)(*++p - '0');
            rc = kiln_buf_printf(b, "$%zu", base + k);
        } else {
            rc = kiln_buf_putc(b, *p);
        }
    }
    return rc;
}

int kiln_db_url_in(const char *url, const char *root, char *out, size_t n)
{
    const char *path = NULL;
    if (strncmp(url, "sqlite://", 9) == 0)
        path = url + 9;
    else if (strncmp(url, "sqlite:", 7) == 0 && url[7] != ':')
        path = url + 7;
    int k;
    if (path && *path && *path != '/' && strcmp(path, ":memory:") != 0 &&
        root && *root) {
        if (strncmp(path, "./", 2) == 0)
            path += 2;
        k = snprintf(out, n, "sqlite://%s/%s", root, path);
    } else
        k = snprintf(out, n, "%s", url);
    return k < 0 || (size_t)k >= n ? KILN_ELIMIT : 0;
}

static const db_ops *ops_for(const db_url *u)
{
    return u->kind == DB_SQLITE ? &db_sqlite_ops : &db_pg_ops;
}

/* ---- timestamps --------------------------------------------------------- */

void db_time_format(int64_t us, char *out)
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00:00",
             (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(frac % 1000000));
    size_t n = strlen(tmp);
    if (n > 39)
        n = 39;
    memcpy(out, tmp, n);
    out[n] = '\0';
}

static int digits(const char **p, const char *e, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= e || !isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (*(*p)++ - '0');
    }
    *out = v;
    return 0;
}

int db_time_parse(kiln_str s, int64_t *us)
{
    const char *p = s.p, *e = s.p + s.n;
    int Y, M, D, h = 0, mi = 0, sc = 0;
    if (!p || digits(&p, e, 4, &Y) || p >= e || *p++ != '-' ||
        digits(&p, e, 2, &M) || p >= e || *p++ != '-' || digits(&p, e, 2, &D))
        return KILN_EPARSE;
    if (M < 1 || M > 12 || D < 1 || D > 31)
        return KILN_EPARSE;
    int64_t frac = 0;
    int off = 0;
    if (p < e && (*p == 'T' || *p == 't' || *p == ' ')) {
        p++;
        if (digits(&p, e, 2, &h) || p >= e || *p++ != ':' ||
            digits(&p, e, 2, &mi))
            return KILN_EPARSE;
        if (p < e && *p == ':') {
            p++;
            if (digits(&p, e, 2, &sc))
                return KILN_EPARSE;
            if (p < e && *p == '.') {
                p++;
                int nd = 0;
                while (p < e && isdigit((unsigned char)*p)) {
                    if (nd < 6) {
                        frac = frac * 10 + (*p - '0');
                        nd++;
                    }
                    p++;
                }
                if (nd == 0)
                    return KILN_EPARSE;
                while (nd++ < 6)
                    frac *= 10;
            }
        }
        if (h > 24 || mi > 59 || sc > 60)
            return KILN_EPARSE;
        if (p < e && (*p == 'Z' || *p == 'z'))
            p++;
        else if (p < e && (*p == '+' || *p == '-')) {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, e, 2, &oh))
                return KILN_EPARSE;
            if (p < e && *p == ':')
                p++;
            if (p < e && digits(&p, e, 2, &om))
                return KILN_EPARSE;
            off = sign * (oh * 60 + om) * 60;
        }
    }
    if (p != e)
        return KILN_EPARSE;
    int64_t days = civil_days(Y, M, D);
    *us = ((days * 86400 + h * 3600 + mi * 60 + sc) - off) * 1000000 + frac;
    return 0;
}

static void close_open(kiln_dbc *db);

/* ---- pools -------------------------------------------------------------- */

kiln_db_pool *kiln_db_pool_new(const char *url, int max_per_worker, char *err,
                               size_t errlen)
{
    kiln_db_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (db_url_parse(url, &p->url, err, errlen) != 0) {
        free(p);
        return NULL;
    }
    p->ops = ops_for(&p->url);
    p->max_per_worker = max_per_worker > 0 ? max_per_worker : 4;
    if (p->ops->pool_new(p, err, errlen) != 0) {
        db_url_free(&p->url);
        free(p);
        return NULL;
    }
    return p;
}

void kiln_db_pool_free(kiln_db_pool *p)
{
    if (!p)
        return;
    p->ops->pool_free(p);
    db_url_free(&p->url);
    free(p);
}

static kiln_db_pool *default_pool;

void kiln_db_set_default(kiln_db_pool *p)
{
    default_pool = p;
}

kiln_db_pool *db_default_pool(void)
{
    return default_pool;
}

/* ---- the request's lease ------------------------------------------------ */

static void lease_end(void *arg, int rc)
{
    kiln_dbc *db = arg;
    close_open(db);
    if (db->depth > 0) {
        if (rc >= 0)
            kiln_log(KILN_LOG_WARN,
                     "%s: a transaction was still open when the handler "
                     "returned; rolled back",
                     db->ctx ? kiln_request_id(db->ctx) : "db");
        if (rc != KILN_ECANCELED) {
            while (db->depth > 0) {
                db->ops->tx(db, DB_ROLLBACK);
                db->depth--;
            }
        }
    }
    db->ops->release(db, rc);
    if (db->ctx)
        db->ctx->db = NULL;
}

kiln_dbc *kiln_db(kiln_ctx *c)
{
    if (c->db)
        return c->db;
    if (!default_pool) {
        kiln_problem(c, 500, "no database is configured");
        return NULL;
    }
    char err[256] = "";
    kiln_dbc *db = default_pool->ops->lease(default_pool, c, err, sizeof err);
    if (!db) {
        kiln_log(KILN_LOG_WARN, "%s: database unavailable: %s",
                 kiln_request_id(c), err);
        if (!c->responded) {
            kiln_set_header(c, "Retry-After", "1");
            kiln_problem(c, 503, "the database is unavailable");
        }
        return NULL;
    }
    db->ctx = c;
    db->pool = default_pool;
    db->arena = &c->arena;
    if (kiln_defer(c, lease_end, db) != 0) {
        db->ops->release(db, KILN_ENOMEM);
        kiln_problem(c, 500, "out of memory");
        return NULL;
    }
    c->db = db;
    return db;
}

/* When the database went away under a request, answer 503 for it. */
static int unavailable(kiln_dbc *db, int rc)
{
    if (rc == KILN_EUNAVAIL && db->ctx && !db->ctx->responded) {
        kiln_set_header(db->ctx, "Retry-After", "1");
        kiln_problem(db->ctx, 503, "the database is unavailable");
    }
    return rc;
}

kiln_dbc *kiln_dbc_open(const char *url, char *err, size_t errlen)
{
    db_url u;
    if (db_url_parse(url, &u, err, errlen) != 0)
        return NULL;
    kiln_dbc *db = ops_for(&u)->open(&u, err, errlen);
    db_url_free(&u);
    return db;
}

void kiln_dbc_close(kiln_dbc *db)
{
    if (!db)
        return;
    close_open(db);
    db->ops->close(db);
}

void kiln_dbc_reset(kiln_dbc *db)
{
    close_open(db);
    if (db->arena == &db->own)
        kiln_arena_reset(&db->own);
}

const char *kiln_dbc_backend(const kiln_dbc *db)
{
    return db->ops->name;
}

const char *kiln_db_errmsg(const kiln_dbc *db)
{
    return db ? db->err : "no connection";
}

int kiln_db_fail(kiln_ctx *c, kiln_dbc *db)
{
    int rc = db ? db->last_rc : KILN_EUNAVAIL;
    if (rc >= 0)
        rc = KILN_EDB;
    if (db && rc != KILN_EUNAVAIL)
        kiln_log(KILN_LOG_ERROR, "%s: database: %s", kiln_request_id(c),
                 db->err[0] ? db->err : kiln_strerror(rc));
    if (!c->responded) {
        if (rc == KILN_EUNAVAIL) {
            kiln_set_header(c, "Retry-After", "1");
            kiln_problem(c, 503, "the database is unavailable");
        } else
            kiln_problem(c, 500, "a database statement failed");
    }
    return rc;
}

int kiln_json_rows(kiln_ctx *c, int status, kiln_rows *r)
{
    if (!r)
        return KILN_EINVAL;
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    int rc = kiln_json_put_rows(b, r);
    if (rc == KILN_ENOMEM) {
        kiln_buf_clear(b);
        return rc;
    }
    if (rc < 0) {
        kiln_buf_clear(b);
        return kiln_db_fail(c, r->db);
    }
    kiln_set_status(c, status);
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

/* ---- queries ------------------------------------------------------------ */

static int check_params(kiln_dbc *db, const kiln_db_param *params, size_t n)
{
    if (n > 0 && !params)
        return db_set_err(db, KILN_EINVAL, "parameters missing");
    if (n > 32767)
        return db_set_err(db, KILN_ELIMIT, "too many parameters (%zu)", n);
    for (size_t i = 0; i < n; i++)
        if (params[i].type > KILN_DB_TIME)
            return db_set_err(db, KILN_EINVAL, "parameter $%zu: bad type",
                              i + 1);
    return 0;
}

/* Closes what is still being read on db: the last result, the last
   batch's results. */
static void close_open(kiln_dbc *db)
{
    if (db->open_rows) {
        kiln_rows_close(db->open_rows);
        db->open_rows = NULL;
    }
    if (db->open_batch) {
        for (size_t i = 0; i < db->open_batch->n; i++)
            kiln_rows_close(db->open_batch->items[i].rows);
        db->open_batch = NULL;
    }
}

static int before_statement(kiln_dbc *db, const char *sql,
                            const kiln_db_param *params, size_t n)
{
    close_open(db);
    db->err[0] = '\0';
    db->last_rc = 0;
    db->nstatements++;
    if (!sql)
        return db_set_err(db, KILN_EINVAL, "no SQL");
    return check_params(db, params, n);
}

kiln_rows *kiln_db_query_a(kiln_dbc *db, const char *sql,
                           const kiln_db_param *params, size_t n)
{
    if (!db || before_statement(db, sql, params, n) != 0)
        return NULL;
    kiln_rows *r = db->ops->query(db, sql, params, n);
    if (!r) {
        unavailable(db, db->last_rc);
        return NULL;
    }
    db->open_rows = r;
    return r;
}

int64_t kiln_db_exec_a(kiln_dbc *db, const char *sql,
                       const kiln_db_param *params, size_t n)
{
    if (!db)
        return KILN_EINVAL;
    int rc = before_statement(db, sql, params, n);
    if (rc != 0)
        return rc;
    int64_t k = db->ops->exec(db, sql, params, n);
    if (k < 0)
        unavailable(db, (int)k);
    return k;
}

int kiln_db_scalar_int_a(kiln_dbc *db, int64_t *out, const char *sql,
                         const kiln_db_param *params, size_t n)
{
    kiln_rows *r = kiln_db_query_a(db, sql, params, n);
    if (!r)
        return db ? (db->last_rc ? db->last_rc : KILN_EDB) : KILN_EINVAL;
    int rc;
    if (kiln_rows_next(r)) {
        if (kiln_rows_ncols(r) < 1 || kiln_row_is_null(r, 0))
            rc = KILN_ENOTFOUND;
        else {
            *out = kiln_row_int(r, 0);
            rc = 0;
        }
    } else
        rc = r->error ? r->error : KILN_ENOTFOUND;
    kiln_rows_close(r);
    return rc;
}

bool kiln_rows_next(kiln_rows *r)
{
    if (!r || r->done || r->closed)
        return false;
    bool ok = r->db->ops->next(r);
    if (!ok) {
        r->done = true;
        if (r->error)
            unavailable(r->db, r->error);
    }
    return ok;
}

int kiln_rows_error(const kiln_rows *r)
{
    return r ? r->error : KILN_EINVAL;
}

void kiln_rows_close(kiln_rows *r)
{
    if (!r || r->closed)
        return;
    r->db->ops->rows_close(r);
    r->closed = true;
    r->done = true;
    if (r->db->open_rows == r)
        r->db->open_rows = NULL;
}

int kiln_rows_ncols(const kiln_rows *r)
{
    return r && !r->closed ? r->db->ops->ncols(r) : 0;
}

const char *kiln_rows_colname(const kiln_rows *r, int i)
{
    if (!r || r->closed || i < 0 || i >= r->db->ops->ncols(r))
        return NULL;
    return r->db->ops->colname(r, i);
}

/* A getter may only read a column of a row that is there. */
static bool col_ok(kiln_rows *r, int i)
{
    return r && !r->closed && r->has_row && i >= 0 && i < r->db->ops->ncols(r);
}

bool kiln_row_is_null(kiln_rows *r, int i)
{
    return !col_ok(r, i) || r->db->ops->is_null(r, i);
}

kiln_db_type kiln_row_type(kiln_rows *r, int i)
{
    if (!col_ok(r, i) || r->db->ops->is_null(r, i))
        return KILN_DB_NULL;
    return r->db->ops->col_type(r, i);
}

int64_t kiln_row_int(kiln_rows *r, int i)
{
    return col_ok(r, i) ? r->db->ops->get_int(r, i) : 0;
}

double kiln_row_float(kiln_rows *r, int i)
{
    return col_ok(r, i) ? r->db->ops->get_float(r, i) : 0;
}

bool kiln_row_bool(kiln_rows *r, int i)
{
    return col_ok(r, i) ? r->db->ops->get_bool(r, i) : false;
}

kiln_str kiln_row_text(kiln_rows *r, int i)
{
    return col_ok(r, i) ? r->db->ops->get_text(r, i) : KILN_STR_NULL;
}

kiln_str kiln_row_blob(kiln_rows *r, int i)
{
    return col_ok(r, i) ? r->db->ops->get_blob(r, i) : KILN_STR_NULL;
}

int64_t kiln_row_time(kiln_rows *r, int i)
{
    return col_ok(r, i) ? r->db->ops->get_time(r, i) : 0;
}

/* ---- batches ------------------------------------------------------------ */

kiln_db_batch *kiln_db_batch_new(kiln_dbc *db)
{
    if (!db)
        return NULL;
    kiln_db_batch *b = kiln_arena_calloc(db->arena, sizeof *b);
    if (b)
        b->db = db;
    return b;
}

int kiln_db_batch_add_a(kiln_db_batch *b, const char *sql,
                        const kiln_db_param *params, size_t n)
{
    if (!b)
        return KILN_EINVAL;
    kiln_dbc *db = b->db;
    if (!sql)
        return db_set_err(db, KILN_EINVAL, "no SQL");
    int rc = check_params(db, params, n);
    if (rc != 0)
        return rc;
    if (b->ran)
        return db_set_err(db, KILN_ESTATE, "batch already ran");
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        db_batch_item *it = kiln_arena_alloc(db->arena, cap * sizeof *it);
        if (!it)
            return db_set_err(db, KILN_ENOMEM, "out of memory");
        if (b->n)
            memcpy(it, b->items, b->n * sizeof *it);
        b->items = it;
        b->cap = cap;
    }
    db_batch_item *it = &b->items[b->n];
    memset(it, 0, sizeof *it);
    it->sql = kiln_arena_strndup(db->arena, sql, strlen(sql));
    it->params = n ? kiln_arena_alloc(db->arena, n * sizeof *params) : NULL;
    if (!it->sql || (n && !it->params))
        return db_set_err(db, KILN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        it->params[i] = params[i];
        if ((params[i].type == KILN_DB_TEXT ||
             params[i].type == KILN_DB_BLOB) &&
            params[i].v.s.p) {
            char *copy =
                kiln_arena_strndup(db->arena, params[i].v.s.p, params[i].v.s.n);
            if (!copy)
                return db_set_err(db, KILN_ENOMEM, "out of memory");
            it->params[i].v.s.p = copy;
        }
    }
    it->nparams = n;
    b->n++;
    return 0;
}

int kiln_db_batch_run(kiln_db_batch *b)
{
    if (!b)
        return KILN_EINVAL;
    kiln_dbc *db = b->db;
    if (b->ran)
        return db_set_err(db, KILN_ESTATE, "batch already ran");
    b->ran = true;
    close_open(db);
    db->err[0] = '\0';
    if (b->n == 0)
        return 0;
    db->nstatements += b->n;
    int rc = db->ops->batch_run(b);
    db->open_batch = b;
    return unavailable(db, rc);
}

kiln_rows *kiln_db_batch_rows(kiln_db_batch *b, size_t i)
{
    return b && i < b->n ? b->items[i].rows : NULL;
}

/* ---- transactions ------------------------------------------------------- */

int kiln_db_begin(kiln_dbc *db)
{
    if (!db)
        return KILN_EINVAL;
    close_open(db);
    int rc = db->ops->tx(db, DB_BEGIN);
    if (rc == 0)
        db->depth++;
    return unavailable(db, rc);
}

static int tx_end(kiln_dbc *db, enum db_tx step)
{
    if (!db)
        return KILN_EINVAL;
    if (db->depth == 0)
        return db_set_err(db, KILN_ESTATE, "no transaction is open");
    close_open(db);
    /* the level ends either way: a failed COMMIT rolls back (the backend
       makes sure of it), a failed RELEASE leaves the outer level to end */
    int rc = db->ops->tx(db, step);
    db->depth--;
    return unavailable(db, rc);
}

int kiln_db_commit(kiln_dbc *db)
{
    return tx_end(db, DB_COMMIT);
}

int kiln_db_rollback(kiln_dbc *db)
{
    return tx_end(db, DB_ROLLBACK);
}

int kiln_db_depth(const kiln_dbc *db)
{
    return db ? db->depth : 0;
}

uint64_t kiln_db_statements(const kiln_dbc *db)
{
    return db ? db->nstatements : 0;
}

kiln_db_violation kiln_db_violation_of(const kiln_dbc *db, const char **name)
{
    if (name)
        *name = db ? db->constraint : "";
    return db ? (kiln_db_violation)db->violation : KILN_DB_VIOLATION_NONE;
}
