/*
 * api/query.c - a list's query parameters (docs/api.md): limit, cursor,
 * offset, ordering, search, expand and FIELD[__LOOKUP] filters, each
 * checked against the model's [api] table; values are parsed by the
 * field's type with the model's own form decoder, so ?due__gte= takes
 * exactly what a body's "due" takes. One call reports every bad
 * parameter. Pure: no database, no request.
 */
#include "api/api_impl.h"
#include "model/model.h"
#include "model/runtime.h"

#include <stdlib.h>
#include <string.h>

static const char *const lookup_names[] = {
    "",    "ne", "lt",       "lte",       "gt",
    "gte", "in", "contains", "icontains", "isnull"};
#define NLOOKUPS (sizeof lookup_names / sizeof lookup_names[0])

static bool listed(const char *const *v, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(v[i], name) == 0)
            return true;
    return false;
}

static bool is_text(const kiln_field *f)
{
    return f->type == KILN_FT_STRING || f->type == KILN_FT_TEXT ||
           f->type == KILN_FT_EMAIL || f->type == KILN_FT_URL;
}

/* Whether lookup l applies to f; NULL or why not. */
static const char *lookup_misfit(const kiln_field *f, api_lookup l)
{
    switch (l) {
    case API_LT:
    case API_LTE:
    case API_GT:
    case API_GTE:
        if (f->type == KILN_FT_INT || f->type == KILN_FT_FLOAT ||
            f->type == KILN_FT_DECIMAL || f->type == KILN_FT_DATE ||
            f->type == KILN_FT_DATETIME || f->type == KILN_FT_TIME ||
            is_text(f))
            return NULL;
        return "compares numbers, dates, times and strings";
    case API_CONTAINS:
    case API_ICONTAINS:
        return is_text(f) ? NULL
                          : "looks in string, text, email and url fields";
    case API_ISNULL:
        return f->flags & KILN_FF_OPTIONAL ? NULL : "is for optional fields";
    default:
        return NULL;
    }
}

/* Parses one value text v of field f of m into *out (by the field's type,
   as a form would give it). Returns 0, KILN_EINVAL (why in *why) or
   KILN_ENOMEM. */
static int parse_value(const kiln_model *m, const kiln_field *f, kiln_str v,
                       kiln_arena *a, kiln_db_param *out, const char **why)
{
    void *obj = kiln_arena_calloc(a, m->size ? m->size : 1);
    if (!obj)
        return KILN_ENOMEM;
    kiln_form_field ff = {.name = kiln_str_c(f->name), .value = v};
    kiln_decode_opts o = {.mode = KILN_DECODE_PATCH, .query = true};
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    int rc = kiln_decode_form(m, &ff, 1, &o, a, obj, NULL, &errs);
    if (rc == KILN_EINVAL) {
        *why = errs.n ? errs.items[0].detail : "not a valid value";
        return KILN_EINVAL;
    }
    if (rc)
        return rc;
    rc = model_param(f, obj, a, out);
    if (rc == KILN_EINVAL)
        *why = "not a valid value";
    return rc;
}

/* FNV-1a, for the cursor's binding to the filters. */
static uint32_t fnv(uint32_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static int cmp_kv(const void *x, const void *y)
{
    const http_kv *a = *(const http_kv *const *)x,
                  *b = *(const http_kv *const *)y;
    int c = strcmp(a->name.p, b->name.p);
    return c ? c : strcmp(a->value.p, b->value.p);
}

/* A strict non-negative decimal integer. */
static bool parse_count(kiln_str s, int64_t *out)
{
    if (s.n == 0 || s.n > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return true;
}

/* Adds an error for parameter name ("?name"); KILN_ENOMEM returns. */
#define ERR(name, code, ...)                                                   \
    do {                                                                       \
        const char *ptr_ = kiln_arena_printf(a, "?%s", name);                  \
        if (!ptr_ || kiln_errors_add(errs, ptr_, code, __VA_ARGS__) != 0)      \
            return KILN_ENOMEM;                                                \
    } while (0)

/* ordering=-due,title: into q->order, id last. */
static int parse_ordering(const kiln_model *m, kiln_str v, kiln_arena *a,
                          api_query *q, kiln_errors *errs)
{
    const kiln_model_api *api = m->api;
    size_t k = 0;
    bool id_seen = false, bad = false;
    const char *p = v.p, *end = v.p + v.n;
    while (p <= end) {
        const char *e = memchr(p, ',', (size_t)(end - p));
        if (!e)
            e = end;
        kiln_str it = {p, (size_t)(e - p)};
        bool desc = it.n && it.p[0] == '-';
        if (desc)
            it.p++, it.n--;
        char *name = kiln_arena_strndup(a, it.p, it.n);
        if (!name)
            return KILN_ENOMEM;
        const kiln_field *f = NULL;
        if (it.n == 0) {
            ERR("ordering", "invalid",
                "an empty field in the ordering (write \"-due,title\")");
            bad = true;
        } else if (strcmp(name, "id") != 0 &&
                   !listed(api->ordering, api->nordering, name)) {
            kiln_buf ok;
            kiln_buf_init(&ok);
            kiln_buf_puts(&ok, "id");
            for (uint32_t i = 0; i < api->nordering; i++)
                kiln_buf_printf(&ok, ", %s", api->ordering[i]);
            const char *list = kiln_arena_strndup(a, ok.p, ok.n);
            kiln_buf_deinit(&ok);
            ERR("ordering", "not_orderable",
                "'%s' cannot order this list (it orders by %s)", name,
                list ? list : "id");
            bad = true;
        } else {
            f = model_field(m, name);
            for (size_t j = 0; f && j < k; j++)
                if (q->order[j].f == f) {
                    ERR("ordering", "invalid", "'%s' is named twice", name);
                    bad = true;
                    f = NULL;
                }
            if (f && k + 1 >= API_MAX_ORDER) {
                ERR("ordering", "invalid", "at most %d fields",
                    API_MAX_ORDER - 1);
                bad = true;
                f = NULL;
            }
        }
        if (f) {
            q->order[k].f = f;
            q->order[k].desc = desc;
            k++;
            id_seen |= strcmp(f->name, "id") == 0;
        }
        p = e + 1;
    }
    if (bad)
        return KILN_EINVAL;
    if (!id_seen)
        q->order[k++] = (api_order){&m->fields[0], false};
    q->norder = k;
    return 0;
}

/* The model's own ordering, then id. */
static void default_ordering(const kiln_model *m, api_query *q)
{
    size_t k = 0;
    bool id_seen = false;
    for (uint32_t i = 0; i < m->nordering && k + 1 < API_MAX_ORDER; i++) {
        const char *o = m->ordering[i];
        bool desc = o[0] == '-';
        const kiln_field *f = model_field(m, desc ? o + 1 : o);
        if (!f || !f->column)
            continue;
        q->order[k++] = (api_order){f, desc};
        id_seen |= strcmp(f->name, "id") == 0;
    }
    if (!id_seen)
        q->order[k++] = (api_order){&m->fields[0], false};
    q->norder = k;
}

/* One FIELD[__LOOKUP]=value parameter. */
static int parse_filter(const kiln_model *m, const http_kv *kv, kiln_arena *a,
                        api_query *q, kiln_errors *errs)
{
    const kiln_model_api *api = m->api;
    const char *name = kv->name.p;
    size_t fn = kv->name.n;
    api_lookup lk = API_EQ;
    const char *sep = NULL;
    for (const char *s = name; (s = strstr(s, "__")); s++)
        sep = s;
    if (sep) {
        for (size_t i = 1; i < NLOOKUPS; i++)
            if (strcmp(sep + 2, lookup_names[i]) == 0) {
                lk = (api_lookup)i;
                fn = (size_t)(sep - name);
            }
    }
    char *field = kiln_arena_strndup(a, name, fn);
    if (!field)
        return KILN_ENOMEM;
    const kiln_field *f = model_field(m, field);
    if (!f && sep) {
        /* FIELD__nope: a known field with an unknown lookup */
        char *pre = kiln_arena_strndup(a, name, (size_t)(sep - name));
        if (!pre)
            return KILN_ENOMEM;
        if (listed(api->filters, api->nfilters, pre)) {
            ERR(name, "unknown_lookup",
                "unknown lookup '%s' (ne, lt, lte, gt, gte, in, contains, "
                "icontains, isnull)",
                sep + 2);
            return KILN_EINVAL;
        }
    }
    if (!f) {
        ERR(name, "unknown_parameter", "unknown query parameter '%s'", name);
        return KILN_EINVAL;
    }
    if (!listed(api->filters, api->nfilters, f->name)) {
        ERR(name, "not_filterable", "this list cannot be filtered on '%s'",
            f->name);
        return KILN_EINVAL;
    }
    const char *why = lookup_misfit(f, lk);
    if (why) {
        ERR(name, "unknown_lookup", "the lookup '%s' %s ('%s' is of type %s)",
            lookup_names[lk], why, f->name, model_type_name(f->type));
        return KILN_EINVAL;
    }
    api_filter *fl = &q->filters[q->nfilters];
    fl->f = f;
    fl->lookup = lk;
    kiln_str v = kv->value;
    if (lk == API_ISNULL) {
        bool t = kiln_str_eq(v, KILN_STR("true")),
             fa = kiln_str_eq(v, KILN_STR("false"));
        if (!t && !fa) {
            ERR(name, "invalid", "isnull takes true or false");
            return KILN_EINVAL;
        }
        fl->vals = kiln_arena_alloc(a, sizeof *fl->vals);
        if (!fl->vals)
            return KILN_ENOMEM;
        fl->vals[0] = KILN_BOOL(t);
        fl->nvals = 1;
        q->nfilters++;
        return 0;
    }
    if (lk == API_CONTAINS || lk == API_ICONTAINS) {
        if (memchr(v.p, 0, v.n)) { /* no text of a row can hold it */
            ERR(name, "invalid", "may not contain a NUL character (U+0000)");
            return KILN_EINVAL;
        }
        fl->vals = kiln_arena_alloc(a, sizeof *fl->vals);
        if (!fl->vals)
            return KILN_ENOMEM;
        fl->vals[0] = KILN_STRV(v);
        fl->nvals = 1;
        q->nfilters++;
        return 0;
    }
    size_t nv = 1;
    if (lk == API_IN)
        for (size_t i = 0; i < v.n; i++)
            nv += v.p[i] == ',';
    if (nv > API_MAX_IN) {
        ERR(name, "out_of_range", "at most %d values", API_MAX_IN);
        return KILN_EINVAL;
    }
    fl->vals = kiln_arena_alloc(a, nv * sizeof *fl->vals);
    if (!fl->vals)
        return KILN_ENOMEM;
    const char *p = v.p, *end = v.p + v.n;
    for (size_t i = 0; i < nv; i++) {
        const char *e = lk == API_IN ? memchr(p, ',', (size_t)(end - p)) : NULL;
        if (!e)
            e = end;
        char *one = kiln_arena_strndup(a, p, (size_t)(e - p));
        if (!one)
            return KILN_ENOMEM;
        why = NULL;
        int rc = parse_value(m, f, (kiln_str){one, (size_t)(e - p)}, a,
                             &fl->vals[i], &why);
        if (rc == KILN_ENOMEM)
            return rc;
        if (rc == 0 && lk != API_EQ && lk != API_NE &&
            fl->vals[i].type == KILN_DB_NULL) {
            rc = KILN_EINVAL;
            why = "a value is required (isnull looks for NULL)";
        }
        if (rc) {
            ERR(name, "invalid", "'%s' is not a value of '%s': %s", one,
                f->name, why ? why : "invalid");
            return KILN_EINVAL;
        }
        p = e + 1;
    }
    fl->nvals = nv;
    q->nfilters++;
    return 0;
}

int api_query_parse(const kiln_model *m, const http_kv *kv, size_t n,
                    kiln_arena *a, api_query *q, kiln_errors *errs)
{
    const kiln_model_api *api = m->api;
    memset(q, 0, sizeof *q);
    q->limit = api->page_size;
    q->filters = kiln_arena_calloc(a, (n ? n : 1) * sizeof *q->filters);
    const http_kv **sig = kiln_arena_calloc(a, (n ? n : 1) * sizeof *sig);
    if (!q->filters || !sig)
        return KILN_ENOMEM;
    size_t nsig = 0;
    size_t before = errs->n + errs->dropped;
    if (n > API_MAX_PARAMS) {
        ERR(kv[API_MAX_PARAMS].name.p, "out_of_range",
            "at most %d query parameters", API_MAX_PARAMS);
        return KILN_EINVAL;
    }
    bool ordered = false;
    for (size_t i = 0; i < n; i++) {
        const http_kv *p = &kv[i];
        const char *name = p->name.p;
        bool twice = false;
        for (size_t j = 0; j < i; j++)
            twice |= kiln_str_eq(kv[j].name, p->name);
        if (twice) {
            ERR(name, "invalid", "'%s' is given twice", name);
            continue;
        }
        int rc = 0;
        if (strcmp(name, "limit") == 0) {
            int64_t v;
            if (!parse_count(p->value, &v))
                ERR(name, "invalid", "limit is a whole number from 1 to %u",
                    api->max_page_size);
            else if (v < 1 || v > api->max_page_size)
                ERR(name, "out_of_range", "limit is from 1 to %u",
                    api->max_page_size);
            else
                q->limit = v;
        } else if (strcmp(name, "offset") == 0) {
            if (!parse_count(p->value, &q->offset))
                ERR(name, "invalid", "offset is a whole number, 0 or more");
            else
                q->offset_mode = true;
        } else if (strcmp(name, "cursor") == 0) {
            q->cursor = p->value;
        } else if (strcmp(name, "ordering") == 0) {
            rc = parse_ordering(m, p->value, a, q, errs);
            ordered = rc == 0;
        } else if (strcmp(name, "search") == 0) {
            if (!api->nsearch)
                ERR(name, "unknown_parameter", "this list has no search");
            else if (memchr(p->value.p, 0, p->value.n))
                ERR(name, "invalid",
                    "may not contain a NUL character (U+0000)");
            else {
                q->search = p->value;
                sig[nsig++] = p;
            }
        } else if (strcmp(name, "expand") == 0) {
            const char *s = p->value.p, *end = s + p->value.n;
            while (s <= end) {
                const char *e = memchr(s, ',', (size_t)(end - s));
                if (!e)
                    e = end;
                char *fname = kiln_arena_strndup(a, s, (size_t)(e - s));
                if (!fname)
                    return KILN_ENOMEM;
                const kiln_field *f = listed(api->expand, api->nexpand, fname)
                                          ? model_field(m, fname)
                                          : NULL;
                bool dup = false;
                for (size_t j = 0; f && j < q->nexpand; j++)
                    dup |= q->expand[j] == f;
                if (!f)
                    ERR(name, "not_expandable", "'%s' cannot be expanded",
                        fname);
                else if (!dup && q->nexpand < 16)
                    q->expand[q->nexpand++] = f;
                s = e + 1;
            }
        } else {
            rc = parse_filter(m, p, a, q, errs);
            if (rc == 0)
                sig[nsig++] = p;
        }
        if (rc == KILN_ENOMEM)
            return rc;
    }
    if (q->offset_mode && q->cursor.p)
        ERR("offset", "invalid", "give a cursor or an offset, not both");
    if (!ordered)
        default_ordering(m, q);
    /* the canonical ordering and the filters' signature */
    kiln_buf b;
    kiln_buf_init(&b);
    for (size_t i = 0; i < q->norder; i++)
        kiln_buf_printf(&b, "%s%s%s", i ? "," : "", q->order[i].desc ? "-" : "",
                        q->order[i].f->name);
    q->ordering = kiln_arena_strndup(a, b.p ? b.p : "", b.n);
    kiln_buf_deinit(&b);
    if (!q->ordering)
        return KILN_ENOMEM;
    if (nsig > 1)
        qsort(sig, nsig, sizeof *sig, cmp_kv);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < nsig; i++) {
        h = fnv(h, sig[i]->name.p, sig[i]->name.n + 1);
        h = fnv(h, sig[i]->value.p, sig[i]->value.n + 1);
    }
    q->sig = h;
    return errs->n + errs->dropped > before ? KILN_EINVAL : 0;
}
