/*
 * schema/conform.c - does a response conform to its declared schema?
 * Development mode's check (schema/conform.h): the JSON a handler sent is
 * parsed and walked beside the model description it claims to be, by the
 * OpenAPI document's rules for an output, and each value that does not fit
 * is logged as one warning line.
 */
#include "schema/conform.h"

#include "openapi/openapi.h"
#include "schema/schema_impl.h"
#include "server/worker.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool schema_conform_on;

/* How many violations of one response are logged (the rest counted). */
#define CONFORM_LOG_MAX 20

typedef struct cf {
    kiln_errors *errs;
    schema_sink sink;
    kiln_buf tmp; /* scratch: decimals */
    kiln_arena *a;
} cf;

static void row(cf *k, const kiln_model *m, const kiln_json *v,
                const schema_path *p, int depth);

/* A short account of v: "the string \"abc\"", "the number 12", "an
   object"... into the arena (NULL when out of memory). */
static const char *found(cf *k, const kiln_json *v)
{
    char b[96];
    if (!v)
        return "nothing";
    switch (v->type) {
    case KILN_JSON_NULL:
        return "null";
    case KILN_JSON_BOOL:
        return v->u.boolean ? "true" : "false";
    case KILN_JSON_NUMBER:
        snprintf(b, sizeof b, "the number %.*s",
                 (int)(v->u.number.raw.n > 40 ? 40 : v->u.number.raw.n),
                 v->u.number.raw.p);
        break;
    case KILN_JSON_STRING:
        snprintf(b, sizeof b, "the string \"%.*s\"%s",
                 (int)(v->u.string.n > 40 ? 40 : v->u.string.n), v->u.string.p,
                 v->u.string.n > 40 ? "..." : "");
        break;
    case KILN_JSON_ARRAY:
        snprintf(b, sizeof b, "an array of %zu", v->u.array.n);
        break;
    default:
        return "an object";
    }
    return kiln_arena_strndup(k->a, b, strlen(b));
}

/* Rewrites the details of the errors added since before as "expected
   DETAIL, found WHAT". */
static void mark(cf *k, size_t before, const kiln_json *v)
{
    const char *what = NULL;
    for (size_t i = before; i < k->errs->n; i++) {
        kiln_error_item *it = &k->errs->items[i];
        if (!what && !(what = found(k, v)))
            return;
        size_t n = strlen(it->detail) + strlen(what) + 24;
        char *d = kiln_arena_alloc(k->a, n);
        if (!d)
            return;
        snprintf(d, n, "expected %s, found %s", it->detail, what);
        it->detail = d;
    }
}

static void bad(cf *k, const schema_path *p, const char *code, const char *want)
{
    schema_error(&k->sink, p, code, "%s", want);
}

static bool is_expand(const kiln_model *m, const kiln_field *f)
{
    if (!m->api || f->type != KILN_FT_REF || !f->ref)
        return false;
    for (uint32_t i = 0; i < m->api->nexpand; i++)
        if (strcmp(m->api->expand[i], f->name) == 0)
            return true;
    return false;
}

/* A value of field f (of m) read as type t (f's type, or a list's item
   type with f the item field). */
static void value(cf *k, const kiln_model *m, const kiln_field *f, int t,
                  const kiln_json *v, const schema_path *p, int depth)
{
    size_t before = k->errs->n;
    bool str = v->type == KILN_JSON_STRING;
    kiln_str s = str ? v->u.string : (kiln_str){0};
    switch (t) {
    case KILN_FT_INT:
        if (v->type != KILN_JSON_NUMBER || !v->u.number.is_int)
            bad(k, p, "type", "an integer");
        else
            schema_check_int(&k->sink, f, v->u.number.i, p);
        break;
    case KILN_FT_FLOAT:
        if (v->type != KILN_JSON_NUMBER)
            bad(k, p, "type", "a number");
        else
            schema_check_float(&k->sink, f, v->u.number.d, p);
        break;
    case KILN_FT_DECIMAL: {
        bool same = false;
        kiln_buf_clear(&k->tmp);
        if (!str || schema_decimal_canon(s, f->precision, f->scale, &k->tmp,
                                         &same) != 0)
            bad(k, p, "type", "a decimal in a string");
        else if (same)
            schema_check_decimal(&k->sink, f, s, p);
        else
            schema_check_decimal(&k->sink, f, (kiln_str){k->tmp.p, k->tmp.n},
                                 p);
        break;
    }
    case KILN_FT_BOOL:
        if (v->type != KILN_JSON_BOOL)
            bad(k, p, "type", "a boolean");
        break;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        if (!str)
            bad(k, p, "type", "a string");
        else
            schema_check_str(&k->sink, f, s, p);
        break;
    case KILN_FT_DATE: {
        kiln_date d;
        if (!str || kiln_date_parse(s, &d) != 0)
            bad(k, p, "type", "a date (YYYY-MM-DD)");
        break;
    }
    case KILN_FT_DATETIME: {
        kiln_datetime d;
        if (!str || kiln_datetime_parse(s, &d) != 0)
            bad(k, p, "type", "a date-time (RFC 3339)");
        break;
    }
    case KILN_FT_TIME: {
        kiln_timeofday d;
        if (!str || kiln_timeofday_parse(s, &d) != 0)
            bad(k, p, "type", "a time of day (14:07:00)");
        break;
    }
    case KILN_FT_UUID: {
        kiln_uuid u;
        if (!str || kiln_uuid_parse(s, &u) != 0)
            bad(k, p, "type", "a UUID");
        break;
    }
    case KILN_FT_ENUM: {
        bool ok = false;
        for (uint32_t i = 0; str && !ok && i < f->nvalues; i++)
            ok = strlen(f->values[i]) == s.n &&
                 memcmp(f->values[i], s.p, s.n) == 0;
        if (!ok)
            bad(k, p, "choice", "one of the field's values");
        break;
    }
    case KILN_FT_JSON:
        break; /* any value */
    case KILN_FT_REF:
        if (v->type == KILN_JSON_OBJECT && is_expand(m, f)) {
            row(k, f->ref, v, p, depth + 1); /* ?expand=: marks its own */
            return;
        }
        if (v->type != KILN_JSON_NUMBER || !v->u.number.is_int)
            bad(k, p, "type",
                is_expand(m, f) ? "an id or the row it refers to" : "an id");
        break;
    case KILN_FT_MANY:
        if (v->type != KILN_JSON_ARRAY) {
            bad(k, p, "type", "an array of ids");
            break;
        }
        for (size_t i = 0; i < v->u.array.n; i++) {
            const kiln_json *x = &v->u.array.items[i];
            schema_path at = {p, NULL, i};
            if (x->type != KILN_JSON_NUMBER || !x->u.number.is_int) {
                size_t b = k->errs->n;
                bad(k, &at, "type", "an id");
                mark(k, b, x);
            }
        }
        break;
    case KILN_FT_OBJECT:
        if (f->ref)
            row(k, f->ref, v, p, depth + 1); /* marks its own */
        return;
    case KILN_FT_LIST: {
        if (v->type != KILN_JSON_ARRAY) {
            bad(k, p, "type", "an array");
            break;
        }
        schema_check_count(&k->sink, f, v->u.array.n, p);
        mark(k, before, v);
        before = k->errs->n;
        kiln_field item;
        schema_item_field(f, &item);
        for (size_t i = 0; i < v->u.array.n; i++) {
            schema_path at = {p, NULL, i};
            if (f->item_type == KILN_FT_OBJECT)
                row(k, f->ref, &v->u.array.items[i], &at, depth + 1);
            else
                value(k, m, &item, f->item_type, &v->u.array.items[i], &at,
                      depth + 1);
        }
        return;
    }
    case KILN_FT_FILE:
        if (!str)
            bad(k, p, "type", "a string");
        break;
    }
    mark(k, before, v);
}

/* A row of m: an object with every output field. */
static void row(cf *k, const kiln_model *m, const kiln_json *v,
                const schema_path *p, int depth)
{
    if (depth > SCHEMA_MAX_NESTING)
        return;
    if (v->type != KILN_JSON_OBJECT) {
        size_t b = k->errs->n;
        bad(k, p, "type", "an object");
        mark(k, b, v);
        return;
    }
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!oapi_field_in(f, true))
            continue;
        const kiln_json *x = kiln_json_get(v, f->name);
        schema_path at = {p, f->name, strlen(f->name)};
        size_t b = k->errs->n;
        if (!x)
            bad(k, &at, "required", "the field (it is required)");
        else if (x->type == KILN_JSON_NULL) {
            if (!(f->flags & KILN_FF_OPTIONAL))
                bad(k, &at, "null", "a value (the field is not optional)");
        } else {
            value(k, m, f, f->type, x, &at, depth);
            continue;
        }
        mark(k, b, x);
    }
}

/* A page of a generated list. */
static void page(cf *k, const kiln_model *m, const kiln_json *v)
{
    size_t b = k->errs->n;
    if (v->type != KILN_JSON_OBJECT) {
        bad(k, NULL, "type", "an object (a page)");
        mark(k, b, v);
        return;
    }
    const kiln_json *items = kiln_json_get(v, "items");
    const kiln_json *next = kiln_json_get(v, "next");
    const kiln_json *count = kiln_json_get(v, "count");
    schema_path pi = {NULL, "items", 5}, pn = {NULL, "next", 4},
                pc = {NULL, "count", 5};
    if (!items || items->type != KILN_JSON_ARRAY) {
        bad(k, &pi, items ? "type" : "required", "an array of rows");
        mark(k, b, items);
    } else {
        for (size_t i = 0; i < items->u.array.n; i++) {
            schema_path at = {&pi, NULL, i};
            row(k, m, &items->u.array.items[i], &at, 0);
        }
    }
    b = k->errs->n;
    if (!next ||
        (next->type != KILN_JSON_STRING && next->type != KILN_JSON_NULL)) {
        bad(k, &pn, next ? "type" : "required", "a cursor or null");
        mark(k, b, next);
    }
    b = k->errs->n;
    if (count && (count->type != KILN_JSON_NUMBER || !count->u.number.is_int ||
                  count->u.number.i < 0)) {
        bad(k, &pc, "type", "a count (an integer, 0 or more)");
        mark(k, b, count);
    }
}

int schema_conform(const kiln_model *m, int shape, const char *p, size_t n,
                   kiln_arena *a, kiln_errors *errs)
{
    kiln_json *v;
    kiln_json_error je;
    int rc = kiln_json_parse(a, p, n, 0, &v, &je);
    if (rc == KILN_ENOMEM)
        return rc;
    if (rc)
        return kiln_errors_add(errs, "", "json", "expected JSON, found %s",
                               je.msg)
                   ? KILN_ENOMEM
                   : KILN_EINVAL;
    cf k = {.errs = errs, .a = a};
    schema_sink_init(&k.sink, errs, "");
    kiln_buf_init(&k.tmp);
    if (shape == SCHEMA_PAGE)
        page(&k, m, v);
    else if (shape == SCHEMA_ROW)
        row(&k, m, v, NULL, 0);
    else if (v->type != KILN_JSON_ARRAY) {
        bad(&k, NULL, "type", "an array");
        mark(&k, 0, v);
    } else {
        for (size_t i = 0; i < v->u.array.n; i++) {
            schema_path at = {NULL, NULL, i};
            row(&k, m, &v->u.array.items[i], &at, 0);
        }
    }
    rc = k.sink.rc;
    schema_sink_deinit(&k.sink);
    kiln_buf_deinit(&k.tmp);
    if (rc)
        return rc;
    return errs->n || errs->dropped ? KILN_EINVAL : 0;
}

/* ---- the response hook ---------------------------------------------------
 */

typedef struct conform_hook {
    respond_hook hook;  /* first: the server hands us &hook */
    respond_hook *prev; /* a hook armed before (the response cache) */
    const char *op;     /* the operationId, or NULL: from ep */
    const kiln_model *m;
    int shape;
    const kiln_endpoint *ep;
} conform_hook;

static void check(kiln_ctx *x, conform_hook *k, int status, const char *ctype,
                  const void *body, long long len)
{
    const kiln_model *m = k->m;
    int shape = k->shape;
    char id[300];
    const char *op = k->op;
    if (k->ep) {
        const kiln_endpoint *ep = k->ep;
        oapi_route r = {ep->method, ep->route, ep->file, false, ep};
        oapi_route_op_id(&r, id, sizeof id);
        op = id;
        m = NULL;
        bool declared = false;
        for (uint32_t i = 0; i < ep->nresponses; i++)
            if (ep->responses[i].status == status) {
                declared = true;
                m = ep->responses[i].model;
                shape = ep->responses[i].list ? SCHEMA_LIST : SCHEMA_ROW;
            }
        if (!declared && ep->nresponses && status >= 200 && status < 300)
            kiln_log(KILN_LOG_WARN,
                     "response of %s (%s %s) does not conform to its "
                     "schema: status %d is not one the endpoint declares",
                     op, ep->method, ep->route, status);
    } else if (status != 200 && status != 201)
        return;
    if (!m || !body || len <= 0 || !ctype ||
        strncmp(ctype, "application/json", 16) != 0)
        return;
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(x));
    if (schema_conform(m, shape, body, (size_t)len, kiln_ctx_arena(x), &errs) !=
        KILN_EINVAL)
        return;
    kiln_str path = kiln_path(x);
    kiln_str meth = kiln_method(x);
    for (size_t i = 0; i < errs.n && i < CONFORM_LOG_MAX; i++)
        kiln_log(KILN_LOG_WARN,
                 "response of %s (%.*s %.*s) does not conform to its schema "
                 "at '%s': %s",
                 op, (int)meth.n, meth.p, (int)path.n, path.p,
                 errs.items[i].pointer, errs.items[i].detail);
    size_t more = errs.dropped +
                  (errs.n > CONFORM_LOG_MAX ? errs.n - CONFORM_LOG_MAX : 0);
    if (more)
        kiln_log(KILN_LOG_WARN,
                 "response of %s does not conform to its schema: %zu more "
                 "violations",
                 op, more);
}

static void on_respond(kiln_ctx *x, respond_hook *h, int status,
                       const char *ctype, const void *body, long long len,
                       bool file)
{
    conform_hook *k = (conform_hook *)h;
    if (!file)
        check(x, k, status, ctype, body, len);
    if (k->prev)
        k->prev->fn(x, k->prev, status, ctype, body, len, file);
}

static conform_hook *arm(kiln_ctx *c)
{
    conform_hook *k = kiln_alloc(c, sizeof *k);
    if (!k)
        return NULL; /* out of memory: the response goes unchecked */
    memset(k, 0, sizeof *k);
    k->hook.fn = on_respond;
    k->prev = c->on_respond;
    c->on_respond = &k->hook;
    return k;
}

void schema_conform_arm(kiln_ctx *c, const char *op, const kiln_model *m,
                        int shape)
{
    conform_hook *k = arm(c);
    if (!k)
        return;
    k->op = kiln_arena_strndup(kiln_ctx_arena(c), op, strlen(op));
    k->m = m;
    k->shape = shape;
    if (!k->op)
        k->op = "?";
}

void schema_conform_endpoint(kiln_ctx *c, const kiln_endpoint *ep)
{
    conform_hook *k = arm(c);
    if (k)
        k->ep = ep;
}
