/*
 * api/crud.c - the six handlers of a model's generated API (docs/api.md),
 * one walker over the model's description for every model:
 *
 *   GET    /api/PATH        list: cursor or offset pages, filters,
 *                           ordering, search, expand (one query per ref)
 *   POST   /api/PATH        create: 201, Location, ETag
 *   GET    /api/PATH/{id}   retrieve: ETag, If-None-Match (304)
 *   PUT    /api/PATH/{id}   update (full), If-Match (412)
 *   PATCH  /api/PATH/{id}   partial update (JSON Merge Patch), If-Match
 *   DELETE /api/PATH/{id}   delete: 204, If-Match
 *
 * Each write runs in one transaction with the author's hooks (kiln/api.h)
 * inside it. SQL is built from the model's columns and typed $N parameters
 * only; a value never enters the text. A model whose file says
 * [api] audit = true has each write recorded in the audit log
 * (kiln/audit.h, via "api") in the write's transaction: its writes always
 * take the lock-and-read path, which has the row before.
 */
#include "api/api_impl.h"
#include "kiln/audit.h"
#include "kiln/auth.h"
#include "auth/perm.h"
#include "auth/user_api.h"
#include "model/model.h"
#include "model/runtime.h"
#include "schema/conform.h"
#include "schema/schema_impl.h"

#include <stdio.h>
#include <string.h>

#define MAX_WHERE_PARAMS 240

/* ---- a WHERE clause and its parameters ----------------------------------- */

typedef struct where {
    kiln_buf sql;
    kiln_db_param params[MAX_WHERE_PARAMS];
    size_t n;
    bool any;
    bool full; /* too many parameters */
} where;

/* Adds p; returns its number ($N), 0 when full. */
static size_t wparam(where *w, kiln_db_param p)
{
    if (w->n >= MAX_WHERE_PARAMS) {
        w->full = true;
        return 0;
    }
    w->params[w->n++] = p;
    return w->n;
}

/* Starts one more ANDed condition. */
static void wand(where *w)
{
    kiln_buf_puts(&w->sql, w->any ? " AND (" : "(");
    w->any = true;
}

/* Appends sql with its $1..$np renumbered after w's parameters. */
static void wpaste(where *w, const char *sql, const kiln_db_param *ps,
                   size_t np)
{
    kiln_db_sql_shift(&w->sql, sql, w->n);
    for (size_t i = 0; i < np; i++)
        wparam(w, ps[i]);
}

/* The author's query hook's condition, if any. 0, 1 (answered) or < 0. */
static int hook_where(kiln_ctx *c, const kiln_model *m, where *w)
{
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (!h || !h->query)
        return 0;
    kiln_api_where hw;
    memset(&hw, 0, sizeof hw);
    int rc = h->query(c, &hw);
    if (rc != 0)
        return rc;
    if (hw.sql && *hw.sql) {
        wand(w);
        wpaste(w, hw.sql, hw.params, hw.nparams > 8 ? 8 : hw.nparams);
        kiln_buf_putc(&w->sql, ')');
    }
    return 0;
}

/* A LIKE pattern "%v%" with v's wildcards escaped, in a. */
static kiln_db_param like_param(kiln_arena *a, kiln_str v)
{
    char *pat = kiln_arena_alloc(a, v.n * 2 + 3);
    if (!pat)
        return KILN_NULL;
    size_t k = 0;
    pat[k++] = '%';
    for (size_t j = 0; j < v.n; j++) {
        if (v.p[j] == '%' || v.p[j] == '_' || v.p[j] == '\\')
            pat[k++] = '\\';
        pat[k++] = v.p[j];
    }
    pat[k++] = '%';
    return KILN_STRV(((kiln_str){pat, k}));
}

static void filters_where(const api_query *q, bool pg, kiln_arena *a, where *w)
{
    static const char *const cmp[] = {"=", "<>", "<", "<=", ">", ">="};
    for (size_t i = 0; i < q->nfilters; i++) {
        const api_filter *fl = &q->filters[i];
        const char *col = fl->f->column;
        wand(w);
        switch (fl->lookup) {
        case API_ISNULL:
            kiln_buf_printf(&w->sql, "%s IS %sNULL", col,
                            fl->vals[0].v.b ? "" : "NOT ");
            break;
        case API_EQ:
        case API_NE:
            if (fl->vals[0].type == KILN_DB_NULL) {
                kiln_buf_printf(&w->sql, "%s IS %sNULL", col,
                                fl->lookup == API_NE ? "NOT " : "");
                break;
            }
            /* fall through */
        case API_LT:
        case API_LTE:
        case API_GT:
        case API_GTE: {
            size_t k = wparam(w, fl->vals[0]);
            kiln_buf_printf(&w->sql, "%s %s $%zu", col, cmp[fl->lookup], k);
            break;
        }
        case API_IN: {
            kiln_buf_printf(&w->sql, "%s IN (", col);
            for (size_t j = 0; j < fl->nvals; j++)
                kiln_buf_printf(&w->sql, "%s$%zu", j ? ", " : "",
                                wparam(w, fl->vals[j]));
            kiln_buf_putc(&w->sql, ')');
            break;
        }
        case API_CONTAINS:
            kiln_buf_printf(&w->sql,
                            pg ? "strpos(%s, $%zu) > 0" : "instr(%s, $%zu) > 0",
                            col, wparam(w, fl->vals[0]));
            break;
        case API_ICONTAINS:
            kiln_buf_printf(&w->sql, "lower(%s) LIKE lower($%zu) ESCAPE '\\'",
                            col, wparam(w, like_param(a, fl->vals[0].v.s)));
            break;
        }
        kiln_buf_putc(&w->sql, ')');
    }
}

static void search_where(const kiln_model *m, const api_query *q, kiln_arena *a,
                         where *w)
{
    if (!q->search.p)
        return;
    size_t k = wparam(w, like_param(a, q->search));
    wand(w);
    for (uint32_t i = 0; i < m->api->nsearch; i++) {
        const kiln_field *f = model_field(m, m->api->search[i]);
        if (f)
            kiln_buf_printf(&w->sql, "%slower(%s) LIKE lower($%zu) ESCAPE '\\'",
                            i ? " OR " : "", f->column, k);
    }
    kiln_buf_putc(&w->sql, ')');
}

/*
 * Rows strictly after the cursor's row in q's ordering. NULLs sort first
 * in SQLite and last in PostgreSQL (ascending), so "after NULL" and
 * "after a value" depend on the backend: pg says which.
 */
static void cursor_where(const api_query *q, const api_cursor *cur, bool pg,
                         where *w)
{
    wand(w);
    for (size_t k = 0; k < q->norder; k++) {
        kiln_buf_puts(&w->sql, k ? " OR (" : "(");
        for (size_t j = 0; j < k; j++) {
            const char *col = q->order[j].f->column;
            if (cur->vals[j].type == KILN_DB_NULL)
                kiln_buf_printf(&w->sql, "%s IS NULL AND ", col);
            else
                kiln_buf_printf(&w->sql, "%s = $%zu AND ", col,
                                wparam(w, cur->vals[j]));
        }
        const char *col = q->order[k].f->column;
        bool desc = q->order[k].desc;
        bool null_big = pg; /* where NULL sorts, ascending */
        if (cur->vals[k].type == KILN_DB_NULL) {
            /* after NULL: the non-NULL values when NULLs come first */
            bool nulls_first = desc ? null_big : !null_big;
            kiln_buf_printf(&w->sql, nulls_first ? "%s IS NOT NULL" : "1 = 0",
                            col);
        } else {
            size_t n = wparam(w, cur->vals[k]);
            bool nulls_last = desc ? !null_big : null_big;
            kiln_buf_printf(&w->sql, "%s %s $%zu", col, desc ? "<" : ">", n);
            if (nulls_last && (q->order[k].f->flags & KILN_FF_OPTIONAL))
                kiln_buf_printf(&w->sql, " OR %s IS NULL", col);
        }
        kiln_buf_putc(&w->sql, ')');
    }
    kiln_buf_putc(&w->sql, ')');
}

/* ---- helpers ------------------------------------------------------------- */

static bool is_pg(kiln_dbc *db)
{
    return strcmp(kiln_dbc_backend(db), "postgres") == 0;
}

static int64_t row_id(const kiln_model *m, const void *row)
{
    return *(const int64_t *)((const char *)row + m->fields[0].offset);
}

/* Reads row id of m into obj through the query hook. 0, KILN_ENOTFOUND,
   1 (the hook answered) or a database error. */
static int read_row(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                    void *obj)
{
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (!h || !h->query)
        return kiln_model_get(db, m, id, obj);
    where *w = kiln_alloc(c, sizeof *w);
    if (!w)
        return KILN_ENOMEM;
    memset(w, 0, sizeof *w);
    kiln_buf_init(&w->sql);
    wand(w);
    kiln_buf_printf(&w->sql, "id = $%zu)", wparam(w, KILN_INT(id)));
    int rc = hook_where(c, m, w);
    const char *sql =
        rc == 0 ? kiln_arena_strndup(kiln_ctx_arena(c), w->sql.p, w->sql.n)
                : NULL;
    kiln_buf_deinit(&w->sql);
    if (rc)
        return rc;
    if (!sql)
        return KILN_ENOMEM;
    kiln_list_opts o = {
        .where = sql, .params = w->params, .nparams = w->n, .limit = 1};
    kiln_model_rows rows;
    rc = kiln_model_list(db, m, &o, &rows);
    if (rc)
        return rc;
    if (rows.n == 0)
        return KILN_ENOTFOUND;
    memcpy(obj, rows.v, m->size);
    return 0;
}

/* Answers the row obj of m with status, its ETag (and Location for 201). */
static int send_row(kiln_ctx *c, int status, const kiln_model *m,
                    const void *obj)
{
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    if (kiln_encode_json(m, obj, b) != 0)
        return KILN_ENOMEM;
    char tag[35];
    api_etag(b->p, b->n, tag);
    kiln_set_header(c, "ETag", tag);
    if (status == 201) {
        char loc[320];
        snprintf(loc, sizeof loc, "/api/%s/%lld", m->api->path,
                 (long long)row_id(m, obj));
        kiln_set_header(c, "Location", loc);
    }
    kiln_set_status(c, status);
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

/* The current row's ETag is in tag; answers 412 and returns false when an
   If-Match header does not match it. */
static bool if_match_ok(kiln_ctx *c, const kiln_model *m, const void *row)
{
    kiln_str h = kiln_header(c, "If-Match");
    if (!h.p)
        return true;
    kiln_buf b;
    kiln_buf_init(&b);
    bool ok = false;
    if (kiln_encode_json(m, row, &b) == 0) {
        char tag[35];
        api_etag(b.p, b.n, tag);
        ok = api_etag_match(h, tag, true);
    }
    kiln_buf_deinit(&b);
    if (!ok)
        kiln_problem(c, 412,
                     "the %s changed since it was read (If-Match does not "
                     "match its ETag)",
                     m->label);
    return ok;
}

/* Locks row id for the transaction (PostgreSQL; SQLite's write lock is
   the database's). 0 or a database error. */
static int lock_row(kiln_dbc *db, const kiln_model *m, int64_t id)
{
    if (!is_pg(db))
        return 0;
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE id = $1 FOR UPDATE",
             m->table);
    kiln_db_param p = KILN_INT(id);
    kiln_rows *r = kiln_db_query_a(db, sql, &p, 1);
    if (!r)
        return KILN_EDB;
    while (kiln_rows_next(r))
        ;
    int rc = kiln_rows_error(r);
    kiln_rows_close(r);
    return rc < 0 ? rc : 0;
}

/* Locks row id of m for the transaction and reads it into obj: on
   PostgreSQL without a query hook one SELECT ... FOR UPDATE (which reads
   the row as it is once the lock is had), else lock_row then read_row.
   What read_row returns. */
static int lock_read_row(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                         int64_t id, void *obj)
{
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (!is_pg(db) || (h && h->query)) {
        int rc = lock_row(db, m, id);
        return rc ? rc : read_row(c, db, m, id, obj);
    }
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "SELECT ");
    model_columns(m, &b);
    kiln_buf_printf(&b, " FROM %s WHERE id = $1 FOR UPDATE", m->table);
    const char *sql = model_sql(db, &b);
    kiln_buf_deinit(&b);
    if (!sql)
        return KILN_ENOMEM;
    kiln_rows *r = kiln_db_query(db, sql, KILN_INT(id));
    if (!r)
        return KILN_EDB;
    int rc = KILN_ENOTFOUND;
    if (kiln_rows_next(r))
        rc = model_read_row(m, r, obj);
    else if (kiln_rows_error(r) < 0)
        rc = kiln_rows_error(r);
    kiln_rows_close(r);
    for (uint32_t i = 0; rc == 0 && i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_MANY) {
            rc = model_load_links(db, m, obj, 1);
            break;
        }
    return rc;
}

/* True when a write on an existing row needs nothing of the row before
   it: no If-Match to compare, no query hook to pass (the operation's own
   hooks are the caller's to check). It then runs as one statement, its
   own transaction, without the lock and read. */
static bool plain_write(kiln_ctx *c, const kiln_api_hooks *h)
{
    return !kiln_header(c, "If-Match").p && (!h || !h->query);
}

/* True when h has an update hook. */
static bool h_update(const kiln_api_hooks *h)
{
    return h && (h->before_update || h->after_update);
}

/* True when m's writes through the API are recorded in the audit log. */
static bool audited(const kiln_model *m)
{
    return m->api && m->api->audit;
}

/* Records a write of row id in the audit log when m is audited (in the
   write's transaction). 0 or a database error. */
static int audit(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int64_t id,
                 kiln_audit_action act, const void *before, const void *after)
{
    if (!audited(m))
        return 0;
    return kiln_audit_record(db, kiln_user_current(c), m, id, act, before,
                             after, "api");
}

/* Ends a failed write: rolls back, then answers rc when nothing has. */
static int give_up(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int rc)
{
    if (rc == 1) {
        kiln_db_rollback(db);
        return 0; /* a hook answered */
    }
    if (!kiln_responded(c))
        kiln_model_fail(c, db, m, rc);
    kiln_db_rollback(db);
    return 0;
}

/* Runs hook h; answers a 422 when it added errors. 0 to go on, else what
   give_up takes (1: answered). */
static int run_hook(kiln_ctx *c, kiln_dbc *db, kiln_api_write_hook h, void *row)
{
    if (!h)
        return 0;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = h(c, db, row, &errs);
    if (rc == 0 && kiln_errors_any(&errs)) {
        kiln_problem_errors(c, 422, &errs, NULL);
        return 1;
    }
    return rc;
}

/* ---- list ---------------------------------------------------------------- */

/* The rows of f->ref that the page's rows refer to through ref field f,
   read in one query (through f->ref's query hook: a row it hides is
   null). 0, 1 (a hook answered) or an error. */
static int expand_rows(kiln_ctx *c, kiln_dbc *db, const kiln_field *f,
                       const char *rows, size_t n, size_t size,
                       kiln_model_rows *out)
{
    out->v = NULL;
    out->n = 0;
    where *w = kiln_alloc(c, sizeof *w);
    if (!w)
        return KILN_ENOMEM;
    memset(w, 0, sizeof *w);
    kiln_buf_init(&w->sql);
    wand(w);
    kiln_buf_puts(&w->sql, "id IN (");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const void *row = rows + i * size;
        if (schema_is_null(f, row))
            continue;
        int64_t id = *(const int64_t *)((const char *)row + f->offset);
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = w->params[j].v.i == id;
        if (!seen)
            kiln_buf_printf(&w->sql, "%s$%zu", k++ ? ", " : "",
                            wparam(w, KILN_INT(id)));
    }
    kiln_buf_puts(&w->sql, "))");
    int rc = k ? hook_where(c, f->ref, w) : 0;
    const char *sql =
        k && rc == 0 && !w->full
            ? kiln_arena_strndup(kiln_ctx_arena(c), w->sql.p, w->sql.n)
            : NULL;
    kiln_buf_deinit(&w->sql);
    if (rc || !k)
        return rc;
    if (!sql)
        return KILN_ENOMEM;
    kiln_list_opts o = {.where = sql, .params = w->params, .nparams = w->n};
    return kiln_model_list(db, f->ref, &o, out);
}

/* Writes row of m, its expanded refs (exp[i] for q->expand[i]) embedded. */
static int encode_item(const kiln_model *m, const void *row, const api_query *q,
                       const kiln_model_rows *exp, kiln_buf *b)
{
    if (!q->nexpand)
        return kiln_encode_json(m, row, b);
    kiln_buf_putc(b, '{');
    bool first = true;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->flags & KILN_FF_WRITE_ONLY) || f->type == KILN_FT_FILE)
            continue;
        if (!first)
            kiln_buf_putc(b, ',');
        first = false;
        kiln_json_put_str(b, f->name, strlen(f->name));
        kiln_buf_putc(b, ':');
        size_t e = 0;
        while (e < q->nexpand && q->expand[e] != f)
            e++;
        if (e == q->nexpand || schema_is_null(f, row)) {
            if (schema_encode_field(f, row, b) != 0)
                return KILN_ENOMEM;
            continue;
        }
        int64_t id = *(const int64_t *)((const char *)row + f->offset);
        const char *v = exp[e].v;
        const void *hit = NULL;
        for (size_t j = 0; j < exp[e].n && !hit; j++)
            if (row_id(f->ref, v + j * f->ref->size) == id)
                hit = v + j * f->ref->size;
        if (!hit)
            kiln_buf_append(b, "null", 4); /* hidden or gone meanwhile */
        else if (kiln_encode_json(f->ref, hit, b) != 0)
            return KILN_ENOMEM;
    }
    return kiln_buf_putc(b, '}');
}

int api_list(kiln_ctx *c)
{
    const kiln_model *m = ((const api_target *)kiln_route_data(c))->m;
    int allowed = perm_api_require(c, m, "view");
    if (allowed != 0)
        return allowed > 0 ? 0 : allowed;
    if (schema_conform_on) /* development: the page is checked */
        api_conform(c, m, KILN_API_LIST);
    kiln_arena *a = kiln_ctx_arena(c);
    http_kv *kv = NULL;
    long n = http_query_parse(a, kiln_query_string(c), &kv);
    if (n == KILN_ENOMEM)
        return KILN_ENOMEM;
    if (n < 0)
        return kiln_problem(c, 400,
                            "the query string has a malformed %%-escape");
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    api_query q;
    int rc = api_query_parse(m, kv, (size_t)n, a, &q, &errs);
    if (rc == KILN_ENOMEM)
        return rc;
    api_cursor cur;
    bool has_cur = false;
    if (q.cursor.p) {
        rc = api_cursor_decode(q.cursor, a, &cur);
        if (rc == KILN_ENOMEM)
            return rc;
        if (rc == 0 && api_cursor_fits(&cur, &q))
            has_cur = true;
        else if (kiln_errors_add(&errs, "?cursor", "bad_cursor",
                                 "this cursor is not one this list gave for "
                                 "these filters and this ordering") != 0)
            return KILN_ENOMEM;
    }
    if (kiln_errors_any(&errs))
        return kiln_problem_errors(
            c, 422, &errs, "%zu query parameter%s", errs.n + errs.dropped,
            errs.n + errs.dropped == 1 ? " is invalid" : "s are invalid");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    uint64_t stmts = kiln_db_statements(db);
    bool pg = is_pg(db);
    where *w = kiln_alloc(c, sizeof *w);
    if (!w)
        return KILN_ENOMEM;
    memset(w, 0, sizeof *w);
    kiln_buf_init(&w->sql);
    rc = hook_where(c, m, w);
    if (rc != 0) {
        kiln_buf_deinit(&w->sql);
        return rc > 0 ? 0 : rc;
    }
    filters_where(&q, pg, a, w);
    search_where(m, &q, a, w);
    bool counted = w->any; /* the count has no cursor condition */
    const char *count_sql =
        counted ? kiln_arena_strndup(a, w->sql.p, w->sql.n) : NULL;
    size_t count_n = w->n;
    if (has_cur)
        cursor_where(&q, &cur, pg, w);
    const char *sql = w->any ? kiln_arena_strndup(a, w->sql.p, w->sql.n) : NULL;
    bool nomem = (w->any && !sql) || (counted && !count_sql);
    kiln_buf_deinit(&w->sql);
    if (w->full)
        return kiln_problem(c, 422, "too many filter values in one request");
    if (nomem)
        return KILN_ENOMEM;
    kiln_list_opts o = {.where = sql,
                        .params = w->params,
                        .nparams = w->n,
                        .ordering = q.ordering,
                        .limit = q.limit + (q.offset_mode ? 0 : 1),
                        .offset = q.offset_mode ? q.offset : 0};
    kiln_model_rows rows;
    rc = kiln_model_list(db, m, &o, &rows);
    if (rc)
        return kiln_db_fail(c, db);
    int64_t count = 0;
    if (q.offset_mode) {
        kiln_list_opts co = {
            .where = count_sql, .params = w->params, .nparams = count_n};
        if (kiln_model_count(db, m, &co, &count) != 0)
            return kiln_db_fail(c, db);
    }
    size_t shown = rows.n > (size_t)q.limit ? (size_t)q.limit : rows.n;
    kiln_model_rows exp[16];
    for (size_t i = 0; i < q.nexpand; i++) {
        rc = expand_rows(c, db, q.expand[i], rows.v, shown, m->size, &exp[i]);
        if (rc == 1)
            return 0; /* a hook answered */
        if (rc)
            return kiln_db_fail(c, db);
    }
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    kiln_buf_puts(b, "{\"items\":[");
    for (size_t i = 0; i < shown; i++) {
        if (i)
            kiln_buf_putc(b, ',');
        if (encode_item(m, (const char *)rows.v + i * m->size, &q, exp, b))
            return KILN_ENOMEM;
    }
    kiln_buf_puts(b, "],\"next\":");
    if (!q.offset_mode && rows.n > (size_t)q.limit) {
        const void *last = (const char *)rows.v + (shown - 1) * m->size;
        api_cursor nc = {.ordering = kiln_str_c(q.ordering), .sig = q.sig};
        for (size_t i = 0; i < q.norder; i++)
            if (model_param(q.order[i].f, last, a, &nc.vals[i]) != 0)
                return KILN_ENOMEM;
        nc.nvals = q.norder;
        kiln_buf_putc(b, '"');
        if (api_cursor_encode(&nc, b) != 0)
            return KILN_ENOMEM;
        kiln_buf_putc(b, '"');
    } else {
        kiln_buf_puts(b, "null");
    }
    if (q.offset_mode)
        kiln_buf_printf(b, ",\"count\":%lld", (long long)count);
    if (kiln_buf_putc(b, '}') != 0)
        return KILN_ENOMEM;
    const kiln_settings *st = kiln_project_settings();
    if (st && kiln_settings_bool(st, "app.debug")) {
        /* what the page cost, for the developer (W3C Server Timing) */
        char v[80];
        uint64_t n = kiln_db_statements(db) - stmts;
        snprintf(v, sizeof v, "db;desc=\"%llu statement%s\"",
                 (unsigned long long)n, n == 1 ? "" : "s");
        kiln_set_header(c, "Server-Timing", v);
    }
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

/*
 * The start of an operation on one row (retrieve, update, delete): the
 * permission of action on its model (401 or 403 answered, before the id
 * is looked at), its id from the path (a bad one is a 404, answered) and
 * the request's database connection (none: answered). Returns 1 to go on,
 * 0 when answered, or a negative error.
 */
static int item_start(kiln_ctx *c, const char *action, const kiln_model **m,
                      int64_t *id, kiln_dbc **db)
{
    const api_target *tg = kiln_route_data(c);
    *m = tg->m;
    int allowed = perm_api_require(c, *m, action);
    if (allowed != 0)
        return allowed < 0 ? allowed : 0;
    if (!kiln_param_id(c, tg->param, id))
        return 0;
    *db = kiln_db(c);
    return *db != NULL;
}

/* ---- retrieve ------------------------------------------------------------ */

int api_retrieve(kiln_ctx *c)
{
    const kiln_model *m;
    int64_t id;
    kiln_dbc *db;
    int rc = item_start(c, "view", &m, &id, &db);
    if (rc <= 0)
        return rc;
    if (schema_conform_on)
        api_conform(c, m, KILN_API_RETRIEVE);
    void *obj = kiln_alloc(c, m->size);
    if (!obj)
        return KILN_ENOMEM;
    rc = read_row(c, db, m, id, obj);
    if (rc == 1)
        return 0;
    if (rc)
        return kiln_model_fail(c, db, m, rc);
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    if (kiln_encode_json(m, obj, b) != 0)
        return KILN_ENOMEM;
    char tag[35];
    api_etag(b->p, b->n, tag);
    kiln_set_header(c, "ETag", tag);
    kiln_str inm = kiln_header(c, "If-None-Match");
    if (inm.p && api_etag_match(inm, tag, false)) {
        kiln_buf_clear(b);
        kiln_set_status(c, 304);
        return kiln_send(c);
    }
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

/* ---- writes -------------------------------------------------------------- */

int api_create(kiln_ctx *c)
{
    const kiln_model *m = ((const api_target *)kiln_route_data(c))->m;
    int allowed = perm_api_require(c, m, "add");
    if (allowed != 0)
        return allowed > 0 ? 0 : allowed;
    if (schema_conform_on)
        api_conform(c, m, KILN_API_CREATE);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    /* Kiln's user: the body also gives the login and a password, stored
       hashed (auth/user_api.c); its row starts with m's */
    const kiln_model *dm = m;
    if (m->flags & KILN_MF_BUILTIN)
        dm = auth_user_create_model(c, m);
    void *obj = dm ? kiln_alloc(c, dm->size) : NULL;
    if (!obj)
        return KILN_ENOMEM;
    if (!kiln_model_from_body(c, db, dm, KILN_DECODE_CREATE, obj, NULL))
        return 0;
    if (dm != m) {
        int rc = auth_user_create_password(c, dm, obj);
        if (rc)
            return rc > 0 ? 0 : rc;
    }
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (!audited(m) && (!h || (!h->before_create && !h->after_create))) {
        /* nothing runs around it: the INSERT is its own transaction (with
           its links, kiln_model_insert makes one) */
        int rc = kiln_model_insert(db, dm, obj);
        return rc ? kiln_model_fail(c, db, m, rc) : send_row(c, 201, m, obj);
    }
    if (audited(m))
        kiln_user_current(c); /* resolved before the transaction */
    int rc = kiln_db_begin(db);
    if (rc)
        return kiln_db_fail(c, db);
    rc = run_hook(c, db, h ? h->before_create : NULL, obj);
    if (rc == 0)
        rc = kiln_model_insert(db, dm, obj);
    if (rc == 0)
        rc = audit(c, db, m, row_id(m, obj), KILN_AUDIT_ADD, NULL, obj);
    if (rc == 0)
        rc = run_hook(c, db, h ? h->after_create : NULL, obj);
    if (rc)
        return give_up(c, db, m, rc);
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    return send_row(c, 201, m, obj);
}

/* The bytes of field f's value in a model's struct (kiln/schema.h's C
   representation of each type). */
static size_t value_size(const kiln_field *f)
{
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
    case KILN_FT_DATETIME:
    case KILN_FT_TIME:
        return sizeof(int64_t);
    case KILN_FT_FLOAT:
        return sizeof(double);
    case KILN_FT_BOOL:
        return sizeof(bool);
    case KILN_FT_DATE:
        return sizeof(kiln_date);
    case KILN_FT_UUID:
        return sizeof(kiln_uuid);
    case KILN_FT_ENUM:
        return sizeof(int);
    case KILN_FT_MANY:
        return sizeof(kiln_ids);
    default:
        return sizeof(kiln_str); /* decimal, strings, json */
    }
}

/* The fields a patch gave, copied over the current row: the row as the
   PATCH makes it. */
static void merge_patch(const kiln_model *m, void *cur, const void *patch,
                        const kiln_fieldset *given)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!kiln_fieldset_has(given, i))
            continue;
        memcpy((char *)cur + f->offset, (const char *)patch + f->offset,
               value_size(f));
        if (f->has_offset != KILN_NO_OFFSET)
            memcpy((char *)cur + f->has_offset,
                   (const char *)patch + f->has_offset, sizeof(bool));
    }
}

/* PUT (mode REPLACE) and PATCH. */
/* A write to the user model changes what the credential cache holds for
   that user (src/auth/cred_cache.c): dropped once the write committed, so
   no request caches the row from before it again (on every instance, when
   pub/sub has a backend) */
static void forget_if_user(const kiln_model *m, int64_t id)
{
    if (m->flags & KILN_MF_BUILTIN)
        kiln_auth_forget_user(id);
}

static int update(kiln_ctx *c, kiln_decode_mode mode)
{
    const kiln_model *m;
    int64_t id;
    kiln_dbc *db;
    int started = item_start(c, "change", &m, &id, &db);
    if (started <= 0)
        return started;
    if (schema_conform_on)
        api_conform(
            c, m, mode == KILN_DECODE_PATCH ? KILN_API_PATCH : KILN_API_UPDATE);
    void *obj = kiln_alloc(c, m->size), *cur = kiln_alloc(c, m->size);
    if (!obj || !cur)
        return KILN_ENOMEM;
    kiln_fieldset given;
    if (!kiln_model_from_body(c, db, m, mode, obj, &given))
        return 0;
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    if (plain_write(c, h) && !h_update(h) && !audited(m)) {
        /* one UPDATE ... RETURNING: it sets what the body gave (PATCH) or
           every writable field (PUT) and reads the row back, as stored */
        *(int64_t *)((char *)obj + m->fields[0].offset) = id;
        int rc = kiln_model_update(db, m, obj,
                                   mode == KILN_DECODE_PATCH ? &given : NULL);
        if (rc)
            return kiln_model_fail(c, db, m, rc);
        forget_if_user(m, id);
        return send_row(c, 200, m, obj);
    }
    if (audited(m))
        kiln_user_current(c); /* resolved before the transaction */
    int rc = kiln_db_begin(db);
    if (rc)
        return kiln_db_fail(c, db);
    rc = lock_read_row(c, db, m, id, cur);
    if (rc)
        return give_up(c, db, m, rc);
    if (!if_match_ok(c, m, cur)) {
        kiln_db_rollback(db);
        return 0;
    }
    void *before = NULL;
    if (audited(m)) {
        /* the row before, as the merge below overwrites cur */
        if (!(before = kiln_alloc(c, m->size)))
            return give_up(c, db, m, KILN_ENOMEM);
        memcpy(before, cur, m->size);
    }
    if (mode == KILN_DECODE_PATCH) {
        merge_patch(m, cur, obj, &given); /* hooks see the whole row */
        obj = cur;
    }
    *(int64_t *)((char *)obj + m->fields[0].offset) = id;
    rc = run_hook(c, db, h ? h->before_update : NULL, obj);
    if (rc == 0)
        rc = kiln_model_update(db, m, obj,
                               mode == KILN_DECODE_PATCH ? &given : NULL);
    if (rc == 0)
        rc = audit(c, db, m, id, KILN_AUDIT_CHANGE, before, obj);
    if (rc == 0)
        rc = run_hook(c, db, h ? h->after_update : NULL, obj);
    if (rc)
        return give_up(c, db, m, rc);
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    forget_if_user(m, id);
    return send_row(c, 200, m, obj);
}

int api_update(kiln_ctx *c)
{
    return update(c, KILN_DECODE_REPLACE);
}

int api_patch(kiln_ctx *c)
{
    return update(c, KILN_DECODE_PATCH);
}

int api_delete(kiln_ctx *c)
{
    const kiln_model *m;
    int64_t id;
    kiln_dbc *db;
    int started = item_start(c, "delete", &m, &id, &db);
    if (started <= 0)
        return started;
    void *cur = kiln_alloc(c, m->size);
    if (!cur)
        return KILN_ENOMEM;
    const kiln_api_hooks *h = kiln_api_hooks_of(m->name);
    bool user = m->flags & KILN_MF_BUILTIN; /* its sessions go too */
    if (!user && plain_write(c, h) && !audited(m) &&
        (!h || (!h->before_delete && !h->after_delete))) {
        int rc = kiln_model_delete(db, m, id); /* its own transaction */
        if (rc)
            return kiln_model_fail(c, db, m, rc);
        kiln_buf_clear(kiln_body_buf(c));
        kiln_set_status(c, 204);
        return kiln_send(c);
    }
    if (audited(m))
        kiln_user_current(c); /* resolved before the transaction */
    int rc = kiln_db_begin(db);
    if (rc)
        return kiln_db_fail(c, db);
    rc = lock_read_row(c, db, m, id, cur);
    if (rc)
        return give_up(c, db, m, rc);
    if (!if_match_ok(c, m, cur)) {
        kiln_db_rollback(db);
        return 0;
    }
    rc = run_hook(c, db, h ? h->before_delete : NULL, cur);
    if (rc == 0)
        rc = kiln_model_delete(db, m, id);
    if (rc == 0 && user)
        rc = auth_user_deleted(db, id);
    if (rc == 0)
        rc = audit(c, db, m, id, KILN_AUDIT_DELETE, cur, NULL);
    if (rc == 0)
        rc = run_hook(c, db, h ? h->after_delete : NULL, cur);
    if (rc)
        return give_up(c, db, m, rc);
    if (kiln_db_commit(db) != 0)
        return kiln_db_fail(c, db);
    forget_if_user(m, id);
    kiln_buf_clear(kiln_body_buf(c));
    kiln_set_status(c, 204);
    return kiln_send(c);
}
