/*
 * admin/list.c - a model's change list and its CSV export (docs/admin.md):
 * columns of [admin] list (the model's fields, "REF.FIELD" of a referred
 * row, computed booleans), sortable headers, search, sidebar filters, the
 * date hierarchy, pages.
 *
 * One statement reads a page and its count: the referred rows' columns
 * come through LEFT JOINs and the booleans as CASE expressions, never a
 * query per row. The count is capped: a count over at most
 * admin.count_threshold + 1 rows says whether the list is small (a total
 * and numbered pages) or large (PostgreSQL: the planner's estimate; then,
 * and on SQLite, count-free pages with "next" links found by reading one
 * row more than a page). A filtered list first tries to read its page and
 * count in one scan (list_page).
 *
 * SQL is built from the model's columns and typed $N parameters only; a
 * value sent never enters the text.
 */
#include "admin/admin_impl.h"
#include "model/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 64
#define MAX_COLS 32

/* A statement being built. */
typedef struct sqlb {
    kiln_buf sql;
    kiln_db_param p[MAX_PARAMS];
    size_t n;
    bool any; /* a WHERE condition was added */
} sqlb;

static size_t param(sqlb *s, kiln_db_param v)
{
    if (s->n >= MAX_PARAMS)
        return 0;
    s->p[s->n++] = v;
    return s->n;
}

static void cond(sqlb *s)
{
    kiln_buf_puts(&s->sql, s->any ? " AND " : " WHERE ");
    s->any = true;
}

/* One column of the list. */
typedef struct col {
    const char *label;
    const kiln_field *f;      /* a field of the model (or the ref) */
    const kiln_field *rf;     /* REF.FIELD: the referred model's field */
    const kiln_admin_bool *b; /* a computed boolean */
    int join;                 /* REF.FIELD: its join's number */
} col;

/* A foreign key's column shows the referred row's label (joined, as
   "REF.FIELD" is): the label field of f's target, or NULL (f is no
   reference, or its target has none: the id is shown). */
static const kiln_field *ref_label(const kiln_field *f)
{
    return f->ref ? admin_label_field(f->ref) : NULL;
}

/* Whether c shows a foreign key by the referred row's label (a bare ref,
   or REF.FIELD naming the label field): such a column sorts by it. */
static bool label_col(const col *c)
{
    return c->f && c->rf && c->f->ref && c->rf == admin_label_field(c->f->ref);
}

/* The columns of m's list into cols; returns how many. */
static size_t list_cols(const kiln_model *m, kiln_arena *a, col *cols)
{
    size_t n = 0;
    const kiln_model_admin *ad = m->admin;
    if (ad && ad->nlist) {
        for (uint32_t i = 0; i < ad->nlist && n < MAX_COLS; i++) {
            const char *name = ad->list[i];
            col c = {0};
            const char *dot = strchr(name, '.');
            if (dot) {
                int k =
                    kiln_model_field(m, (kiln_str){name, (size_t)(dot - name)});
                if (k < 0 || !m->fields[k].ref)
                    continue;
                c.f = &m->fields[k];
                int j = kiln_model_field(c.f->ref, kiln_str_c(dot + 1));
                if (j < 0)
                    continue;
                c.rf = &c.f->ref->fields[j];
                c.label = kiln_arena_printf(
                    a, "%s %s", admin_title(c.f->label, a), c.rf->label);
            } else {
                for (uint32_t k = 0; k < ad->nbooleans; k++)
                    if (strcmp(ad->booleans[k].name, name) == 0)
                        c.b = &ad->booleans[k];
                if (!c.b) {
                    int k = kiln_model_field(m, kiln_str_c(name));
                    if (k < 0)
                        continue;
                    c.f = &m->fields[k];
                    c.rf = ref_label(c.f);
                }
                c.label = admin_title(c.b ? c.b->label : c.f->label, a);
            }
            cols[n++] = c;
        }
        if (n)
            return n;
    }
    /* the default: the label field, then the next columns, five in all */
    const kiln_field *lf = admin_label_field(m);
    if (lf)
        cols[n++] = (col){.label = admin_title(lf->label, a), .f = lf};
    for (uint32_t i = 0; i < m->nfields && n < 5; i++) {
        const kiln_field *f = &m->fields[i];
        if (f == lf || !f->column || f->type == KILN_FT_JSON ||
            (f->flags & KILN_FF_WRITE_ONLY) || f->type == KILN_FT_TEXT)
            continue;
        cols[n++] = (col){
            .label = admin_title(f->label, a), .f = f, .rf = ref_label(f)};
    }
    return n;
}

/* A text value of field f of m as a parameter (parsed by its type, as a
   form gives it). Returns 0 or KILN_EINVAL. */
static int value_param(const kiln_model *m, const kiln_field *f, kiln_str v,
                       kiln_arena *a, kiln_db_param *out)
{
    if ((f->type == KILN_FT_DATE && kiln_str_eq(v, KILN_STR("today"))) ||
        (f->type == KILN_FT_DATETIME && kiln_str_eq(v, KILN_STR("now")))) {
        kiln_datetime now = kiln_datetime_now();
        if (f->type == KILN_FT_DATETIME) {
            *out = KILN_TIME(now);
            return 0;
        }
        kiln_date d = kiln_date_from_days(now / 86400000000LL);
        char *t =
            kiln_arena_printf(a, "%04d-%02d-%02d", d.year, d.month, d.day);
        *out = t ? KILN_TEXT(t) : KILN_NULL;
        return t ? 0 : KILN_ENOMEM;
    }
    if (f->type == KILN_FT_DATETIME && v.n == 10) {
        /* a date box for a datetime: its midnight, UTC */
        kiln_date d;
        if (kiln_date_parse(v, &d) != 0)
            return KILN_EINVAL;
        *out = KILN_TIME(kiln_date_days(d) * 86400000000LL);
        return 0;
    }
    void *obj = kiln_arena_calloc(a, m->size ? m->size : 1);
    if (!obj || !m->size)
        return obj ? KILN_EINVAL : KILN_ENOMEM;
    kiln_form_field ff = {.name = kiln_str_c(f->name), .value = v};
    kiln_decode_opts o = {.mode = KILN_DECODE_PATCH, .query = true};
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    int rc = kiln_decode_form(m, &ff, 1, &o, a, obj, NULL, &errs);
    if (rc == 0)
        rc = model_param(f, obj, a, out);
    return rc;
}

/* The SQL of boolean b of m, "(COL OP $k)", into s->sql. */
static void bool_sql(const kiln_model *m, const kiln_admin_bool *b,
                     kiln_arena *a, sqlb *s)
{
    int k = kiln_model_field(m, kiln_str_c(b->field));
    const kiln_field *f = &m->fields[k];
    if (strcmp(b->op, "set") == 0 || strcmp(b->op, "empty") == 0) {
        kiln_buf_printf(&s->sql, "%s.%s IS %sNULL", m->table, f->column,
                        b->op[0] == 's' ? "NOT " : "");
        return;
    }
    kiln_db_param v;
    if (value_param(m, f, kiln_str_c(b->value), a, &v) != 0) {
        kiln_buf_puts(&s->sql, "1 = 0");
        return;
    }
    const char *op = strcmp(b->op, "!=") == 0 ? "<>" : b->op;
    kiln_buf_printf(&s->sql, "%s.%s %s $%zu", m->table, f->column, op,
                    param(s, v));
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

/* The first day of y-m-d's period and of the next, as parameters of f. */
static void hier_range(const kiln_field *f, const admin_query *q, kiln_arena *a,
                       kiln_db_param *lo, kiln_db_param *hi)
{
    kiln_date d0 = {(int16_t)q->year, (uint8_t)(q->month ? q->month : 1),
                    (uint8_t)(q->day ? q->day : 1)};
    kiln_date d1 = d0;
    if (q->day) {
        d1 = kiln_date_from_days(kiln_date_days(d0) + 1);
    } else if (q->month) {
        d1.month = (uint8_t)(q->month == 12 ? 1 : q->month + 1);
        d1.year = (int16_t)(q->month == 12 ? q->year + 1 : q->year);
    } else {
        d1.year = (int16_t)(q->year + 1);
    }
    if (f->type == KILN_FT_DATETIME) {
        *lo = KILN_TIME(kiln_date_days(d0) * 86400000000LL);
        *hi = KILN_TIME(kiln_date_days(d1) * 86400000000LL);
        return;
    }
    *lo = KILN_TEXT(
        kiln_arena_printf(a, "%04d-%02d-%02d", d0.year, d0.month, d0.day));
    *hi = KILN_TEXT(
        kiln_arena_printf(a, "%04d-%02d-%02d", d1.year, d1.month, d1.day));
}

/* The row rule of q (rules.c) as one more condition of s: as EXISTS, as
   the list's statement may join tables holding the same column names. */
static void rule_sql(const kiln_model *m, const admin_query *q, sqlb *s)
{
    if (!q->rule || !q->rule->sql)
        return;
    cond(s);
    if (admin_rule_sql(q->rule, m, true, &s->sql, s->p, &s->n, MAX_PARAMS))
        kiln_buf_puts(&s->sql, "1 = 0"); /* no room: no row, never all */
}

/* The WHERE of q (search, filters, date hierarchy, row rule) into s. */
static void where_sql(const kiln_model *m, const admin_query *q, kiln_arena *a,
                      sqlb *s)
{
    const kiln_model_admin *ad = m->admin;
    if (q->q.p && ad && ad->nsearch) {
        size_t k = param(s, like_param(a, q->q));
        /* text without a letter (digits, punctuation: an order number, a
           phone) reads the same in any case, so the column is compared
           as it is, without lower() on every row */
        bool cased = false;
        for (size_t i = 0; i < q->q.n && !cased; i++) {
            unsigned char ch = (unsigned char)q->q.p[i];
            cased = ch >= 0x80 || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
        }
        cond(s);
        kiln_buf_putc(&s->sql, '(');
        for (uint32_t i = 0; i < ad->nsearch; i++) {
            int fi = kiln_model_field(m, kiln_str_c(ad->search[i]));
            if (fi < 0)
                continue;
            const char *col = m->fields[fi].column, * or = i ? " OR " : "";
            if (cased)
                kiln_buf_printf(&s->sql,
                                "%slower(%s.%s) LIKE lower($%zu) ESCAPE '\\'",
                                or, m->table, col, k);
            else
                kiln_buf_printf(&s->sql, "%s%s.%s LIKE $%zu ESCAPE '\\'", or,
                                m->table, col, k);
        }
        kiln_buf_putc(&s->sql, ')');
    }
    for (size_t i = 0; i < q->nfilters; i++) {
        const admin_filter *fl = &q->filters[i];
        const char *colname = fl->f->column;
        cond(s);
        if (fl->op == ADMIN_ISNULL) {
            bool empty = fl->value.p[0] == '1';
            if (kiln_str_eq(kiln_str_c(fl->f->name), KILN_STR("id")))
                empty = false;
            bool text =
                fl->f->type == KILN_FT_STRING || fl->f->type == KILN_FT_TEXT ||
                fl->f->type == KILN_FT_EMAIL || fl->f->type == KILN_FT_URL;
            if (text)
                kiln_buf_printf(&s->sql,
                                empty ? "(%s.%s IS NULL OR %s.%s = '')"
                                      : "(%s.%s IS NOT NULL AND %s.%s <> '')",
                                m->table, colname, m->table, colname);
            else
                kiln_buf_printf(&s->sql, "%s.%s IS %sNULL", m->table, colname,
                                empty ? "" : "NOT ");
            continue;
        }
        kiln_db_param v;
        if (value_param(m, fl->f, fl->value, a, &v) != 0) {
            kiln_buf_puts(&s->sql, "1 = 0"); /* a value of no row */
            continue;
        }
        if (fl->op == ADMIN_LTE && fl->f->type == KILN_FT_DATETIME &&
            fl->value.n == 10) {
            /* up to a date: the whole of that day */
            v.v.i += 86400000000LL;
            kiln_buf_printf(&s->sql, "%s.%s < $%zu", m->table, colname,
                            param(s, v));
            continue;
        }
        kiln_buf_printf(&s->sql, "%s.%s %s $%zu", m->table, colname,
                        fl->op == ADMIN_GTE   ? ">="
                        : fl->op == ADMIN_LTE ? "<="
                                              : "=",
                        param(s, v));
    }
    if (q->year && ad && ad->date_hierarchy) {
        int fi = kiln_model_field(m, kiln_str_c(ad->date_hierarchy));
        const kiln_field *f = &m->fields[fi];
        kiln_db_param lo, hi;
        hier_range(f, q, a, &lo, &hi);
        cond(s);
        kiln_buf_printf(&s->sql, "%s.%s >= $%zu", m->table, f->column,
                        param(s, lo));
        kiln_buf_printf(&s->sql, " AND %s.%s < $%zu", m->table, f->column,
                        param(s, hi));
    }
    rule_sql(m, q, s);
}

/* The ORDER BY of q (else [admin] ordering, else the model's), then id. */
static void order_sql(const kiln_model *m, const admin_query *q,
                      const col *cols, size_t ncols, sqlb *s)
{
    kiln_buf_puts(&s->sql, " ORDER BY ");
    if (q->norder) {
        for (size_t i = 0; i < q->norder; i++) {
            /* a foreign key shown by its label sorts by that label */
            const col *lc = NULL;
            for (size_t k = 0; k < ncols && !lc; k++)
                if (label_col(&cols[k]) && cols[k].f == q->order[i].f)
                    lc = &cols[k];
            if (lc)
                kiln_buf_printf(&s->sql, "r%d.%s%s, ", lc->join, lc->rf->column,
                                q->order[i].desc ? " DESC" : "");
            else
                kiln_buf_printf(&s->sql, "%s.%s%s, ", m->table,
                                q->order[i].f->column,
                                q->order[i].desc ? " DESC" : "");
        }
    } else {
        const char *const *o = m->ordering;
        uint32_t n = m->nordering;
        if (m->admin && m->admin->nordering)
            o = m->admin->ordering, n = m->admin->nordering;
        for (uint32_t i = 0; i < n; i++) {
            bool desc = o[i][0] == '-';
            int k = kiln_model_field(m, kiln_str_c(o[i] + desc));
            if (k >= 0 && m->fields[k].column)
                kiln_buf_printf(&s->sql, "%s.%s%s, ", m->table,
                                m->fields[k].column, desc ? " DESC" : "");
        }
    }
    kiln_buf_printf(&s->sql, "%s.id", m->table);
}

/* How select_sql counts: not at all, or in a last column. */
typedef enum count_mode {
    COUNT_NONE,
    /* the rows come from at most cap + 1 of the rows q selects, and
       count(*) OVER () counts those: a small list's page and count in one
       scan */
    COUNT_WINDOW,
    /* a subquery counts at most cap + 1 of the rows q selects, once */
    COUNT_CAPPED
} count_mode;

/* SELECT of the list's columns, its joins, and the where of q into s. The
   result's columns: id, then one per col, then the count of mode (at most
   cap + 1). The where is written once; the count's copy of it reads the
   same parameters. */
static void select_sql(const kiln_model *m, const col *cols, size_t ncols,
                       const admin_query *q, kiln_arena *a, count_mode mode,
                       int64_t cap, sqlb *s)
{
    sqlb w = {0}; /* the where, its parameters first in s */
    kiln_buf_init(&w.sql);
    where_sql(m, q, a, &w);
    memcpy(s->p, w.p, w.n * sizeof *w.p);
    s->n = w.n;
    const char *where = w.sql.p ? w.sql.p : "";
    kiln_buf_printf(&s->sql, "SELECT %s.id", m->table);
    int njoin = 0;
    const kiln_field *joins[MAX_COLS];
    for (size_t i = 0; i < ncols; i++) {
        const col *c = &cols[i];
        if (c->b) {
            kiln_buf_puts(&s->sql, ", CASE WHEN ");
            bool_sql(m, c->b, a, s);
            kiln_buf_printf(&s->sql, " THEN 1 ELSE 0 END AS b%zu", i);
        } else if (c->rf) {
            int j = 0;
            while (j < njoin && joins[j] != c->f)
                j++;
            if (j == njoin)
                joins[njoin++] = c->f;
            ((col *)c)->join = j;
            kiln_buf_printf(&s->sql, ", r%d.%s AS c%zu", j, c->rf->column, i);
        } else if (c->f->column) {
            kiln_buf_printf(&s->sql, ", %s.%s AS c%zu", m->table, c->f->column,
                            i);
        } else {
            kiln_buf_printf(&s->sql, ", NULL AS c%zu", i);
        }
    }
    if (mode == COUNT_WINDOW)
        /* the subquery keeps the table's name: the columns above, the
           joins and the ORDER BY read it as they read the table */
        kiln_buf_printf(&s->sql,
                        ", count(*) OVER () FROM (SELECT * FROM %s%s "
                        "LIMIT %lld) AS %s",
                        m->table, where, (long long)cap + 1, m->table);
    else if (mode == COUNT_CAPPED)
        kiln_buf_printf(&s->sql,
                        ", (SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT "
                        "%lld) AS capped) FROM %s",
                        m->table, where, (long long)cap + 1, m->table);
    else
        kiln_buf_printf(&s->sql, " FROM %s", m->table);
    for (int j = 0; j < njoin; j++)
        kiln_buf_printf(&s->sql, " LEFT JOIN %s r%d ON r%d.id = %s.%s",
                        joins[j]->ref->table, j, j, m->table, joins[j]->column);
    if (mode != COUNT_WINDOW)
        kiln_buf_puts(&s->sql, where);
    kiln_buf_deinit(&w.sql);
}

/* The display text of column i of a list row (bool columns as 1/0). */
static const char *col_text(const col *c, kiln_rows *r, int i, kiln_arena *a)
{
    const kiln_field *f = c->rf ? c->rf : c->f;
    if (c->b)
        return kiln_row_int(r, i) ? "true" : "false";
    if (kiln_row_is_null(r, i))
        return "";
    if (f && f->type == KILN_FT_BOOL)
        return kiln_row_bool(r, i) ? "true" : "false";
    if (f && f->type == KILN_FT_DATETIME) {
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_datetime_format(kiln_row_time(r, i), &b);
        char *s = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
        kiln_buf_deinit(&b);
        return s ? s : "";
    }
    return admin_cell_text(r, i, a);
}

/* The parsed query of the request's query string, with m's row rule
   (rule: its storage). 0, or what admin_rule_of returned (answer it). */
static int request_query(kiln_ctx *c, const kiln_model *m, admin_query *q,
                         admin_rule *rule)
{
    http_kv *kv = NULL;
    long n = http_query_parse(kiln_ctx_arena(c), kiln_query_string(c), &kv);
    admin_query_parse(m, kv, n > 0 ? (size_t)n : 0, q);
    int rc = admin_rule_of(c, m, rule);
    q->rule = rule;
    return rc;
}

/* "?QUERY" of q without except, plus extra ("p=2"), in c's arena. */
static kiln_value link(kiln_ctx *c, const admin_query *q, const char *except,
                       const char *extra)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_putc(&b, '?');
    admin_query_format(q, except, &b);
    if (extra && *extra) {
        if (b.n > 1)
            kiln_buf_putc(&b, '&');
        kiln_buf_puts(&b, extra);
    }
    kiln_value v = kiln_value_str_copy(kiln_ctx_arena(c), (kiln_str){b.p, b.n});
    kiln_buf_deinit(&b);
    return v;
}

/* Hidden inputs keeping q's parts but except: [{name, value}]. */
static kiln_value keep(kiln_ctx *c, const admin_query *q, const char *except)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value list = kiln_value_list(a);
    static const char *const suf[] = {"", ".gte", ".lte", ".isnull"};
    for (size_t i = 0; i < q->nfilters; i++) {
        char *key = kiln_arena_printf(a, "f.%s%s", q->filters[i].f->name,
                                      suf[q->filters[i].op]);
        if (!key || (except && strstr(except, key)))
            continue;
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "name", kiln_value_cstr(key));
        kiln_value_set(e, "value", kiln_value_str(q->filters[i].value));
        kiln_value_push(list, e);
    }
    if (q->q.p && !(except && strstr(except, "q"))) {
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "name", kiln_value_cstr("q"));
        kiln_value_set(e, "value", kiln_value_str(q->q));
        kiln_value_push(list, e);
    }
    return list;
}

static kiln_value choice(kiln_ctx *c, const char *label, kiln_value url,
                         bool selected)
{
    kiln_value e = kiln_value_map(kiln_ctx_arena(c));
    kiln_value_set(e, "label", kiln_value_cstr(label));
    kiln_value_set(e, "url", url);
    kiln_value_set(e, "selected", kiln_value_bool(selected));
    return e;
}

/* The sidebar's filters of m under q. */
static kiln_value filters_value(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                                const admin_query *q)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value list = kiln_value_list(a);
    const kiln_model_admin *ad = m->admin;
    for (uint32_t i = 0; ad && i < ad->nfilters; i++) {
        int k = kiln_model_field(m, kiln_str_c(ad->filters[i]));
        if (k < 0)
            continue;
        const kiln_field *f = &m->fields[k];
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "name", kiln_value_cstr(f->name));
        kiln_value_set(e, "label", kiln_value_cstr(admin_title(f->label, a)));
        char *key = kiln_arena_printf(a, "f.%s", f->name);
        char *except = kiln_arena_printf(a, "p,%s", key);
        const admin_filter *cur = admin_query_filter(q, f->name, ADMIN_EQ);
        kiln_value choices = kiln_value_list(a);
        if (f->type == KILN_FT_ENUM || f->type == KILN_FT_BOOL) {
            kiln_value_set(e, "kind", kiln_value_cstr("choices"));
            kiln_value_push(choices,
                            choice(c, "All", link(c, q, except, NULL), !cur));
            uint32_t nv = f->type == KILN_FT_BOOL ? 2 : f->nvalues;
            for (uint32_t j = 0; j < nv; j++) {
                const char *v = f->type == KILN_FT_BOOL
                                    ? (j == 0 ? "true" : "false")
                                    : f->values[j];
                const char *label = f->type == KILN_FT_BOOL
                                        ? (j == 0 ? "Yes" : "No")
                                        : admin_title(v, a);
                char *extra = kiln_arena_printf(a, "%s=%s", key, v);
                kiln_value_push(
                    choices,
                    choice(c, label, link(c, q, except, extra),
                           cur && kiln_str_eq(cur->value, kiln_str_c(v))));
            }
        } else if (f->type == KILN_FT_DATE || f->type == KILN_FT_DATETIME) {
            kiln_value_set(e, "kind", kiln_value_cstr("range"));
            kiln_value_set(e, "input", kiln_value_cstr("date"));
            const admin_filter *g = admin_query_filter(q, f->name, ADMIN_GTE);
            const admin_filter *l = admin_query_filter(q, f->name, ADMIN_LTE);
            kiln_value_set(e, "gte",
                           kiln_value_str(g ? g->value : KILN_STR("")));
            kiln_value_set(e, "lte",
                           kiln_value_str(l ? l->value : KILN_STR("")));
            char *ex = kiln_arena_printf(a, "%s.gte,%s.lte", key, key);
            kiln_value_set(e, "keep", keep(c, q, ex));
        } else if (f->type == KILN_FT_REF) {
            kiln_value_set(e, "kind", kiln_value_cstr("ref"));
            kiln_value_set(e, "target", kiln_value_cstr(f->ref->name));
            kiln_value_set(e, "keep", keep(c, q, key));
            int64_t id = 0;
            if (cur && kiln_str_to_i64(cur->value, &id) == 0 && id > 0) {
                kiln_value_set(e, "value", kiln_value_str(cur->value));
                /* the current choice's label: one row, by id */
                const char *label =
                    kiln_arena_printf(a, "#%lld", (long long)id);
                const kiln_field *lf = admin_label_field(f->ref);
                if (lf) {
                    char *sql =
                        kiln_arena_printf(a, "SELECT %s FROM %s WHERE id = $1",
                                          lf->column, f->ref->table);
                    kiln_rows *r = kiln_db_query(db, sql, KILN_INT(id));
                    if (r && kiln_rows_next(r))
                        label = admin_cell_text(r, 0, a);
                    kiln_rows_close(r);
                }
                kiln_value_set(e, "value_label", kiln_value_cstr(label));
            } else {
                kiln_value_set(e, "value", kiln_value_cstr(""));
            }
        } else {
            kiln_value_set(e, "kind", kiln_value_cstr("text"));
            kiln_value_set(e, "value",
                           kiln_value_str(cur ? cur->value : KILN_STR("")));
            kiln_value_set(e, "keep", keep(c, q, key));
        }
        kiln_value_set(e, "choices", choices);
        if (f->flags & KILN_FF_OPTIONAL) {
            const admin_filter *n =
                admin_query_filter(q, f->name, ADMIN_ISNULL);
            char *nk = kiln_arena_printf(a, "p,%s.isnull", key);
            kiln_value empty = kiln_value_list(a);
            kiln_value_push(empty, choice(c, "Any", link(c, q, nk, NULL), !n));
            kiln_value_push(
                empty,
                choice(c, "Empty",
                       link(c, q, nk, kiln_arena_printf(a, "%s.isnull=1", key)),
                       n && n->value.p[0] == '1'));
            kiln_value_push(
                empty,
                choice(c, "Not empty",
                       link(c, q, nk, kiln_arena_printf(a, "%s.isnull=0", key)),
                       n && n->value.p[0] == '0'));
            kiln_value_set(e, "empty", empty);
        } else {
            kiln_value_set(e, "empty", kiln_value_list(a));
        }
        kiln_value_push(list, e);
    }
    return list;
}

/* The date hierarchy's links under q, or null. */
static kiln_value hierarchy_value(kiln_ctx *c, kiln_dbc *db,
                                  const kiln_model *m, const admin_query *q)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const kiln_model_admin *ad = m->admin;
    if (!ad || !ad->date_hierarchy)
        return kiln_value_null();
    int fi = kiln_model_field(m, kiln_str_c(ad->date_hierarchy));
    const kiln_field *f = &m->fields[fi];
    kiln_value h = kiln_value_map(a), links = kiln_value_list(a);
    static const char *const months[] = {
        "January", "February", "March",     "April",   "May",      "June",
        "July",    "August",   "September", "October", "November", "December"};
    if (!q->year) {
        /* the years between the first and the last value */
        sqlb s = {0};
        kiln_buf_init(&s.sql);
        kiln_buf_printf(&s.sql, "SELECT min(%s.%s), max(%s.%s) FROM %s",
                        m->table, f->column, m->table, f->column, m->table);
        rule_sql(m, q, &s);
        kiln_rows *r = kiln_db_query_a(db, s.sql.p, s.p, s.n);
        kiln_buf_deinit(&s.sql);
        int y0 = 0, y1 = 0;
        if (r && kiln_rows_next(r) && !kiln_row_is_null(r, 0)) {
            for (int k = 0; k < 2; k++) {
                int y;
                if (f->type == KILN_FT_DATETIME)
                    y = kiln_date_from_days(kiln_row_time(r, k) / 86400000000LL)
                            .year;
                else
                    y = atoi(admin_cell_text(r, k, a));
                if (k == 0)
                    y0 = y;
                else
                    y1 = y;
            }
        }
        kiln_rows_close(r);
        for (int y = y0; y0 > 0 && y <= y1 && y < y0 + 50; y++) {
            kiln_value e = kiln_value_map(a);
            kiln_value_set(e, "label", admin_vprintf(c, "%d", y));
            kiln_value_set(
                e, "url",
                link(c, q, "p,y,m,d", kiln_arena_printf(a, "y=%d", y)));
            kiln_value_push(links, e);
        }
    } else if (!q->month) {
        kiln_value_set(h, "up", link(c, q, "p,y,m,d", NULL));
        kiln_value_set(h, "up_label", kiln_value_cstr("All dates"));
        for (int mo = 1; mo <= 12; mo++) {
            kiln_value e = kiln_value_map(a);
            kiln_value_set(e, "label",
                           admin_vprintf(c, "%s %d", months[mo - 1], q->year));
            kiln_value_set(
                e, "url",
                link(c, q, "p,m,d", kiln_arena_printf(a, "m=%d", mo)));
            kiln_value_push(links, e);
        }
    } else {
        kiln_value_set(h, "up", link(c, q, "p,m,d", NULL));
        kiln_value_set(h, "up_label", admin_vprintf(c, "%d", q->year));
        int days = 31;
        while (days > 28) {
            kiln_date d = {(int16_t)q->year, (uint8_t)q->month, (uint8_t)days};
            kiln_date back = kiln_date_from_days(kiln_date_days(d));
            if (back.month == q->month && back.day == days)
                break;
            days--;
        }
        for (int d = 1; d <= days; d++) {
            kiln_value e = kiln_value_map(a);
            kiln_value_set(e, "label",
                           admin_vprintf(c, "%d %s", d, months[q->month - 1]));
            kiln_value_set(e, "url",
                           link(c, q, "p,d", kiln_arena_printf(a, "d=%d", d)));
            kiln_value_push(links, e);
        }
    }
    kiln_value_set(h, "links", links);
    return h;
}

/* PostgreSQL's estimate of how many rows m's table has (the planner's:
   no scan), or 0: unknown. */
static int64_t estimate_rows(kiln_dbc *db, const kiln_model *m)
{
    int64_t est = 0;
    if (strcmp(kiln_dbc_backend(db), "postgres") != 0 ||
        kiln_db_scalar_int(db, &est,
                           "SELECT CAST(reltuples AS bigint) FROM pg_class "
                           "WHERE relname = $1",
                           KILN_TEXT(m->table)) != 0)
        return 0;
    return est > 0 ? est : 0;
}

/* Reads page q->page of q into *rows (a list value in c's arena): *got
   rows, *more when one more followed, *total the count of mode (0 when no
   row came). Returns 0 or an error of db. */
static int page_rows(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                     const col *cols, size_t ncols, const admin_query *q,
                     count_mode mode, int64_t cap, kiln_value *rows,
                     int64_t *got, bool *more, int64_t *total)
{
    kiln_arena *a = kiln_ctx_arena(c);
    sqlb s = {0};
    kiln_buf_init(&s.sql);
    select_sql(m, cols, ncols, q, a, mode, cap, &s);
    order_sql(m, q, cols, ncols, &s);
    kiln_buf_printf(&s.sql, " LIMIT %lld OFFSET %lld",
                    (long long)q->per_page + 1,
                    (long long)((q->page - 1) * q->per_page));
    kiln_rows *r = kiln_db_query_a(db, s.sql.p, s.p, s.n);
    kiln_buf_deinit(&s.sql);
    *rows = kiln_value_list(a);
    *got = *total = 0;
    *more = false;
    while (r && kiln_rows_next(r)) {
        if (*got == 0 && mode != COUNT_NONE)
            *total = kiln_row_int(r, (int)ncols + 1);
        if (*got == q->per_page) {
            *more = true;
            break;
        }
        ++*got;
        int64_t id = kiln_row_int(r, 0);
        kiln_value row = kiln_value_map(a), cells = kiln_value_list(a);
        const char *label = NULL;
        for (size_t i = 0; i < ncols; i++) {
            const char *t = col_text(&cols[i], r, (int)i + 1, a);
            kiln_value cell = kiln_value_map(a);
            kiln_value_set(cell, "text", kiln_value_cstr(t));
            bool isbool = cols[i].b || (cols[i].f && !cols[i].rf &&
                                        cols[i].f->type == KILN_FT_BOOL);
            kiln_value_set(cell, "bool",
                           isbool && *t ? kiln_value_bool(t[0] == 't')
                                        : kiln_value_null());
            kiln_value_push(cells, cell);
            if (!label)
                label = t;
        }
        kiln_value_set(row, "id", kiln_value_int(id));
        kiln_value_set(row, "label",
                       kiln_value_cstr(
                           label && *label
                               ? label
                               : kiln_arena_printf(a, "#%lld", (long long)id)));
        kiln_value_set(row, "url",
                       admin_vprintf(c, "%s/%s/%lld/", admin_root(), m->name,
                                     (long long)id));
        kiln_value_set(row, "cells", cells);
        kiln_value_push(*rows, row);
    }
    int rc = !r || kiln_rows_error(r) ? -1 : 0;
    kiln_rows_close(r);
    return rc;
}

/* The page of q and how many rows q selects (*exact: *count is the
   total; else an estimate, or 0: more than admin.count_threshold). A
   filtered list that fits in the pages up to this one and one more (at
   most the threshold) is one statement: its rows and count by a window.
   Else one statement reads the page and a count capped at the threshold
   (PostgreSQL's estimate, one statement more, past it for an unfiltered
   list); a page past the last is read again as the last, or, past the
   threshold, shown empty. */
static int list_page(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                     const col *cols, size_t ncols, admin_query *q,
                     kiln_value *rows, bool *more, int64_t *count, bool *exact)
{
    int64_t threshold = admin_threshold(), got = 0;
    bool filtered = q->q.p || q->nfilters || q->year ||
                    (q->rule && q->rule->sql); /* not the table's estimate */
    int64_t offset = (q->page - 1) * q->per_page;
    int64_t cap = offset + 2 * q->per_page;
    if (cap > threshold)
        cap = threshold;
    *exact = true;
    if (filtered && cap > offset) {
        if (page_rows(c, db, m, cols, ncols, q, COUNT_WINDOW, cap, rows, &got,
                      more, count) != 0)
            return -1;
        if (got > 0 && *count <= cap)
            return 0;
        if (got == 0 && q->page == 1)
            return 0; /* nothing matches */
    }
    if (page_rows(c, db, m, cols, ncols, q, COUNT_CAPPED, threshold, rows, &got,
                  more, count) != 0)
        return -1;
    if (got == 0 && q->page > 1) {
        /* past the last page (or an empty list): the count, then the last
           page */
        sqlb s = {0};
        kiln_buf_init(&s.sql);
        kiln_buf_printf(&s.sql, "SELECT count(*) FROM (SELECT 1 FROM %s",
                        m->table);
        where_sql(m, q, kiln_ctx_arena(c), &s);
        kiln_buf_printf(&s.sql, " LIMIT %lld) AS capped",
                        (long long)threshold + 1);
        int rc = kiln_db_scalar_int_a(db, count, s.sql.p, s.p, s.n);
        kiln_buf_deinit(&s.sql);
        if (rc != 0)
            return -1;
        if (*count == 0 || *count > threshold) {
            /* empty, or count-free: an empty page with a way back */
            *exact = *count == 0;
            *count = 0;
            return 0;
        }
        q->page = (*count + q->per_page - 1) / q->per_page;
        int64_t ignore;
        if (page_rows(c, db, m, cols, ncols, q, COUNT_NONE, 0, rows, &got, more,
                      &ignore) != 0)
            return -1;
    }
    if (*count > threshold) {
        *exact = false;
        *count = filtered ? 0 : estimate_rows(db, m);
    }
    return 0;
}

int admin_list(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_VIEW);
    if (!m)
        return 0;
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    uint64_t q0 = kiln_db_statements(db);
    admin_query q;
    admin_rule rule;
    int rrc = request_query(c, m, &q, &rule);
    if (rrc != 0)
        return admin_rule_answer(c, rrc);
    col cols[MAX_COLS];
    size_t ncols = list_cols(m, a, cols);
    int64_t count = 0;
    bool exact = true, more = false;
    kiln_value rows;
    if (list_page(c, db, m, cols, ncols, &q, &rows, &more, &count, &exact) != 0)
        return kiln_db_fail(c, db);
    int64_t pages = exact ? (count + q.per_page - 1) / q.per_page : 0;
    uint64_t queries = kiln_db_statements(db) - q0;

    kiln_value ctx = admin_context(c, admin_title(m->label_plural, a));
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    kiln_value_set(ctx, "model", admin_model_value(c, m));
    kiln_value_set(ctx, "list_path",
                   admin_vprintf(c, "%s/%s/", admin_root(), m->name));
    kiln_value_set(ctx, "can_add", kiln_value_bool(admin_can(c, m, ADMIN_ADD)));
    kiln_value_set(ctx, "q", kiln_value_str(q.q.p ? q.q : KILN_STR("")));
    kiln_value_set(ctx, "search_enabled",
                   kiln_value_bool(m->admin && m->admin->nsearch));
    kiln_value_set(ctx, "keep", keep(c, &q, "q"));
    /* headers: a link sorting by the column, or reversing its order */
    kiln_value headers = kiln_value_list(a);
    for (size_t i = 0; i < ncols; i++) {
        const col *cl = &cols[i];
        kiln_value h = kiln_value_map(a);
        kiln_value_set(h, "label", kiln_value_cstr(cl->label));
        bool sortable = cl->f && (!cl->rf || label_col(cl)) && !cl->b &&
                        cl->f->column && cl->f->type != KILN_FT_JSON;
        kiln_value_set(h, "sortable", kiln_value_bool(sortable));
        if (sortable) {
            bool on = q.norder && q.order[0].f == cl->f;
            bool desc = on && q.order[0].desc;
            kiln_value_set(h, "sort",
                           kiln_value_cstr(!on    ? "none"
                                           : desc ? "descending"
                                                  : "ascending"));
            kiln_value_set(
                h, "url",
                link(c, &q, "o,p",
                     kiln_arena_printf(a, "o=%s%s", on && !desc ? "-" : "",
                                       cl->f->name)));
        }
        kiln_value_push(headers, h);
    }
    kiln_value_set(ctx, "headers", headers);
    kiln_value_set(ctx, "rows", rows);
    kiln_value_set(ctx, "filters", filters_value(c, db, m, &q));
    kiln_value_set(ctx, "hierarchy", hierarchy_value(c, db, m, &q));
    /* actions: delete (with the permission), then the app's */
    kiln_value acts = kiln_value_list(a);
    if (admin_can(c, m, ADMIN_DELETE)) {
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "name", kiln_value_cstr("delete"));
        kiln_value_set(e, "label",
                       admin_vprintf(c, "Delete selected %s", m->label_plural));
        kiln_value_push(acts, e);
    }
    if (admin_can(c, m, ADMIN_CHANGE))
        for (const kiln_admin_action *x = admin_actions_of(m->name); x;
             x = x->next)
            if (strcmp(x->model, m->name) == 0) {
                kiln_value e = kiln_value_map(a);
                kiln_value_set(e, "name", kiln_value_cstr(x->name));
                kiln_value_set(e, "label", kiln_value_cstr(x->label));
                kiln_value_push(acts, e);
            }
    kiln_value_set(ctx, "actions", acts);
    /* pages */
    kiln_value_set(
        ctx, "count_text",
        exact   ? admin_vprintf(c, "%lld %s", (long long)count,
                              count == 1 ? m->label : m->label_plural)
        : count ? admin_vprintf(c, "About %lld %s", (long long)count,
                                m->label_plural)
                : admin_vprintf(c, "More than %lld %s",
                                (long long)admin_threshold(), m->label_plural));
    kiln_value plist = kiln_value_list(a);
    if (exact && pages > 1) {
        for (int64_t p = 1; p <= pages; p++) {
            bool show =
                p <= 2 || p > pages - 2 || (p >= q.page - 2 && p <= q.page + 2);
            if (!show) {
                if (p == 3 || p == pages - 2) {
                    kiln_value g = kiln_value_map(a);
                    kiln_value_set(g, "gap", kiln_value_bool(true));
                    kiln_value_push(plist, g);
                }
                continue;
            }
            kiln_value e = kiln_value_map(a);
            kiln_value_set(e, "n", kiln_value_int(p));
            kiln_value_set(e, "current", kiln_value_bool(p == q.page));
            kiln_value_set(e, "gap", kiln_value_bool(false));
            kiln_value_set(
                e, "url",
                link(c, &q, "p", kiln_arena_printf(a, "p=%lld", (long long)p)));
            kiln_value_push(plist, e);
        }
    }
    kiln_value_set(ctx, "pages", plist);
    kiln_value_set(
        ctx, "prev_url",
        q.page > 1 ? link(c, &q, "p",
                          kiln_arena_printf(a, "p=%lld", (long long)q.page - 1))
                   : kiln_value_null());
    bool has_next = exact ? q.page < pages : more;
    kiln_value_set(
        ctx, "next_url",
        has_next ? link(c, &q, "p",
                        kiln_arena_printf(a, "p=%lld", (long long)q.page + 1))
                 : kiln_value_null());
    kiln_value sizes = kiln_value_list(a);
    static const int sz[] = {20, 50, 100, 200};
    for (size_t i = 0; i < 4; i++) {
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "n", kiln_value_int(sz[i]));
        kiln_value_set(e, "current", kiln_value_bool(q.per_page == sz[i]));
        kiln_value_set(e, "url",
                       link(c, &q, "n,p", kiln_arena_printf(a, "n=%d", sz[i])));
        kiln_value_push(sizes, e);
    }
    kiln_value_set(ctx, "sizes", sizes);
    kiln_buf eb;
    kiln_buf_init(&eb);
    kiln_buf_printf(&eb, "%s/%s/export.csv?", admin_root(), m->name);
    admin_query_format(&q, "p,n", &eb);
    kiln_value_set(ctx, "export_url",
                   kiln_value_str_copy(a, (kiln_str){eb.p, eb.n}));
    kiln_buf_deinit(&eb);
    /* the statements this page made (tests hold a page to one, plus a
       filter's current label and the window's try of a filtered list) */
    char qn[24];
    snprintf(qn, sizeof qn, "%llu", (unsigned long long)queries);
    kiln_set_header(c, "X-Admin-Queries", qn);
    return admin_render(c, 200, "change_list.html", ctx);
}

int admin_export(kiln_ctx *c)
{
    const kiln_model *m = admin_route_model(c, ADMIN_VIEW);
    if (!m)
        return 0;
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return kiln_problem(c, 503, "The database is not available.");
    admin_query q;
    admin_rule rule;
    int rrc = request_query(c, m, &q, &rule);
    if (rrc != 0)
        return admin_rule_answer(c, rrc);
    /* every column with a value, the list's related ones and booleans */
    col cols[MAX_COLS];
    size_t ncols = 0;
    for (uint32_t i = 0; i < m->nfields && ncols < MAX_COLS; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->column && !(f->flags & KILN_FF_WRITE_ONLY))
            cols[ncols++] = (col){.label = f->name, .f = f};
    }
    col lc[MAX_COLS];
    size_t nl = list_cols(m, a, lc);
    for (size_t i = 0; i < nl && ncols < MAX_COLS; i++)
        if (lc[i].rf || lc[i].b) {
            cols[ncols] = lc[i];
            cols[ncols].label =
                lc[i].b ? lc[i].b->name
                        : kiln_arena_printf(a, "%s.%s", lc[i].f->name,
                                            lc[i].rf->name);
            ncols++;
        }
    sqlb s = {0};
    kiln_buf_init(&s.sql);
    select_sql(m, cols, ncols, &q, a, COUNT_NONE, 0, &s);
    order_sql(m, &q, cols, ncols, &s);
    kiln_rows *r = kiln_db_query_a(db, s.sql.p, s.p, s.n);
    kiln_buf_deinit(&s.sql);
    if (!r || kiln_rows_error(r)) {
        kiln_rows_close(r);
        return kiln_db_fail(c, db);
    }
    char disp[200];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.csv\"",
             m->label_plural);
    for (char *p = disp + 22; *p; p++)
        if (*p == ' ')
            *p = '_';
    kiln_set_header(c, "Content-Disposition", disp);
    kiln_set_header(c, "Cache-Control", "no-store");
    int rc = kiln_stream_start(c, 200, "text/csv; charset=utf-8");
    kiln_buf line;
    kiln_buf_init(&line);
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            kiln_buf_putc(&line, ',');
        admin_csv_cell(&line, kiln_str_c(cols[i].label));
    }
    kiln_buf_puts(&line, "\r\n");
    kiln_arena tmp; /* a row's cells: reset for each */
    kiln_arena_init(&tmp, 4096);
    while (rc == 0 && kiln_rows_next(r)) {
        for (size_t i = 0; i < ncols; i++) {
            if (i)
                kiln_buf_putc(&line, ',');
            admin_csv_cell(&line,
                           kiln_str_c(col_text(&cols[i], r, (int)i + 1, &tmp)));
        }
        kiln_buf_puts(&line, "\r\n");
        kiln_arena_reset(&tmp);
        if (line.n >= 16384) {
            rc = kiln_stream_write(c, line.p, line.n);
            kiln_buf_clear(&line);
        }
    }
    if (rc == 0 && line.n)
        rc = kiln_stream_write(c, line.p, line.n);
    kiln_buf_deinit(&line);
    kiln_arena_deinit(&tmp);
    kiln_rows_close(r);
    return rc == 0 ? kiln_stream_end(c) : rc;
}
