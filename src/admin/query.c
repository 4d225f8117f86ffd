/*
 * admin/query.c - a change list's query string (docs/admin.md, "URLs"):
 *
 *   q=TEXT              search over [admin] search
 *   o=FIELD,-FIELD      ordering (fields with a column)
 *   p=N                 page, 1-based
 *   n=20|50|100|200     page size
 *   f.FIELD=V           a filter of [admin] filters: equals
 *   f.FIELD.gte=V       ... at least (date ranges)
 *   f.FIELD.lte=V       ... at most
 *   f.FIELD.isnull=1|0  ... is empty, or not
 *   y=YYYY m=MM d=DD    the date hierarchy
 *
 * Pure and lenient: what does not fit is left out, never an error page
 * (an old bookmark keeps working). Values stay text: list.c parses them
 * by the field's type.
 */
#include "admin/admin_impl.h"

#include <stdio.h>
#include <string.h>

static bool listed(const char *const *v, uint32_t n, kiln_str name)
{
    for (uint32_t i = 0; i < n; i++)
        if (kiln_str_eq(kiln_str_c(v[i]), name))
            return true;
    return false;
}

/* The field name[0..n) of m, or NULL. */
static const kiln_field *field_of(const kiln_model *m, kiln_str name)
{
    int i = kiln_model_field(m, name);
    return i < 0 ? NULL : &m->fields[i];
}

/* A decimal integer of at most 9 digits, or -1. */
static int64_t small_int(kiln_str s)
{
    if (s.n == 0 || s.n > 9)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

static bool sortable(const kiln_field *f)
{
    return f && f->column && f->type != KILN_FT_JSON &&
           f->type != KILN_FT_MANY && !(f->flags & KILN_FF_WRITE_ONLY);
}

static void parse_order(const kiln_model *m, kiln_str v, admin_query *q)
{
    size_t i = 0;
    while (i < v.n && q->norder < ADMIN_MAX_ORDER) {
        size_t j = i;
        while (j < v.n && v.p[j] != ',')
            j++;
        kiln_str key = {v.p + i, j - i};
        bool desc = key.n && key.p[0] == '-';
        if (desc)
            key.p++, key.n--;
        const kiln_field *f = field_of(m, key);
        bool dup = false;
        for (size_t k = 0; k < q->norder; k++)
            dup |= q->order[k].f == f;
        if (sortable(f) && !dup)
            q->order[q->norder++] = (admin_order){f, desc};
        i = j + 1;
    }
}

static void parse_filter(const kiln_model *m, kiln_str name, kiln_str v,
                         admin_query *q)
{
    const kiln_model_admin *a = m->admin;
    if (!a || q->nfilters >= ADMIN_MAX_FILTERS)
        return;
    admin_op op = ADMIN_EQ;
    const char *dot = memchr(name.p, '.', name.n);
    if (dot) {
        kiln_str suf = {dot + 1, name.n - (size_t)(dot + 1 - name.p)};
        if (kiln_str_eq(suf, KILN_STR("gte")))
            op = ADMIN_GTE;
        else if (kiln_str_eq(suf, KILN_STR("lte")))
            op = ADMIN_LTE;
        else if (kiln_str_eq(suf, KILN_STR("isnull")))
            op = ADMIN_ISNULL;
        else
            return;
        name.n = (size_t)(dot - name.p);
    }
    if (!listed(a->filters, a->nfilters, name))
        return;
    const kiln_field *f = field_of(m, name);
    if (!f)
        return;
    if (op == ADMIN_ISNULL && !kiln_str_eq(v, KILN_STR("1")) &&
        !kiln_str_eq(v, KILN_STR("0")))
        return;
    if ((op == ADMIN_GTE || op == ADMIN_LTE) && f->type != KILN_FT_DATE &&
        f->type != KILN_FT_DATETIME && f->type != KILN_FT_INT &&
        f->type != KILN_FT_FLOAT && f->type != KILN_FT_DECIMAL)
        return;
    if (v.n == 0 && op != ADMIN_ISNULL)
        return; /* an empty box of the sidebar's form: no filter */
    for (size_t k = 0; k < q->nfilters; k++)
        if (q->filters[k].f == f && q->filters[k].op == op) {
            q->filters[k].value = v; /* the last one wins */
            return;
        }
    q->filters[q->nfilters++] = (admin_filter){f, op, v};
}

static kiln_str trim(kiln_str s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\n' ||
                   s.p[0] == '\r'))
        s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
                   s.p[s.n - 1] == '\n' || s.p[s.n - 1] == '\r'))
        s.n--;
    return s;
}

void admin_query_parse(const kiln_model *m, const http_kv *kv, size_t n,
                       admin_query *q)
{
    memset(q, 0, sizeof *q);
    q->page = 1;
    q->per_page = m->admin ? m->admin->list_per_page : 50;
    bool hier = m->admin && m->admin->date_hierarchy;
    for (size_t i = 0; i < n; i++) {
        kiln_str k = kv[i].name, v = kv[i].value;
        if (kiln_str_eq(k, KILN_STR("q"))) {
            v = trim(v);
            q->q = v.n && v.n <= 200 && m->admin && m->admin->nsearch
                       ? v
                       : KILN_STR_NULL;
        } else if (kiln_str_eq(k, KILN_STR("o"))) {
            q->norder = 0;
            parse_order(m, v, q);
        } else if (kiln_str_eq(k, KILN_STR("p"))) {
            int64_t p = small_int(v);
            q->page = p >= 1 ? p : 1;
        } else if (kiln_str_eq(k, KILN_STR("n"))) {
            int64_t p = small_int(v);
            if (p == 20 || p == 50 || p == 100 || p == 200)
                q->per_page = p;
        } else if (k.n > 2 && k.p[0] == 'f' && k.p[1] == '.') {
            parse_filter(m, (kiln_str){k.p + 2, k.n - 2}, v, q);
        } else if (hier && kiln_str_eq(k, KILN_STR("y"))) {
            int64_t y = small_int(v);
            q->year = y >= 1 && y <= 9999 ? (int)y : 0;
        } else if (hier && kiln_str_eq(k, KILN_STR("m"))) {
            int64_t x = small_int(v);
            q->month = x >= 1 && x <= 12 ? (int)x : 0;
        } else if (hier && kiln_str_eq(k, KILN_STR("d"))) {
            int64_t x = small_int(v);
            q->day = x >= 1 && x <= 31 ? (int)x : 0;
        }
    }
    /* a month needs its year, a day its month */
    if (!q->year)
        q->month = 0;
    if (!q->month)
        q->day = 0;
}

const admin_filter *admin_query_filter(const admin_query *q, const char *name,
                                       admin_op op)
{
    for (size_t i = 0; i < q->nfilters; i++)
        if (q->filters[i].op == op && strcmp(q->filters[i].f->name, name) == 0)
            return &q->filters[i];
    return NULL;
}

/* Appends s percent-encoded for a query value. */
static int put_enc(kiln_buf *b, kiln_str s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < s.n && rc == 0; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
            ch == '~')
            rc = kiln_buf_putc(b, (char)ch);
        else if (ch == ' ')
            rc = kiln_buf_putc(b, '+');
        else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = kiln_buf_append(b, e, 3);
        }
    }
    return rc;
}

/* True when except (a comma list) names key. */
static bool excepted(const char *except, const char *key)
{
    size_t kn = strlen(key);
    for (const char *p = except; p && *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == kn && memcmp(p, key, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static int sep(kiln_buf *b, size_t start)
{
    return b->n > start ? kiln_buf_putc(b, '&') : 0;
}

int admin_query_format(const admin_query *q, const char *except, kiln_buf *b)
{
    static const char *const suf[] = {"", ".gte", ".lte", ".isnull"};
    size_t start = b->n;
    int rc = 0;
    if (q->q.p && !excepted(except, "q")) {
        rc |= sep(b, start) | kiln_buf_puts(b, "q=") | put_enc(b, q->q);
    }
    for (size_t i = 0; i < q->nfilters; i++) {
        char key[80];
        snprintf(key, sizeof key, "f.%s%s", q->filters[i].f->name,
                 suf[q->filters[i].op]);
        if (excepted(except, key))
            continue;
        rc |= sep(b, start) | kiln_buf_puts(b, key) | kiln_buf_putc(b, '=') |
              put_enc(b, q->filters[i].value);
    }
    if (q->norder && !excepted(except, "o")) {
        rc |= sep(b, start) | kiln_buf_puts(b, "o=");
        for (size_t i = 0; i < q->norder; i++)
            rc |= kiln_buf_printf(b, "%s%s%s", i ? "," : "",
                                  q->order[i].desc ? "-" : "",
                                  q->order[i].f->name);
    }
    if (q->year && !excepted(except, "y"))
        rc |= sep(b, start) | kiln_buf_printf(b, "y=%d", q->year);
    if (q->month && !excepted(except, "m"))
        rc |= sep(b, start) | kiln_buf_printf(b, "m=%d", q->month);
    if (q->day && !excepted(except, "d"))
        rc |= sep(b, start) | kiln_buf_printf(b, "d=%d", q->day);
    if (!excepted(except, "n"))
        rc |= sep(b, start) |
              kiln_buf_printf(b, "n=%lld", (long long)q->per_page);
    if (q->page > 1 && !excepted(except, "p"))
        rc |= sep(b, start) | kiln_buf_printf(b, "p=%lld", (long long)q->page);
    return rc ? KILN_ENOMEM : 0;
}
