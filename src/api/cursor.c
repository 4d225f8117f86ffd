/*
 * api/cursor.c - the opaque cursor of a list page: the ordering it was made
 * for, the signature of its filters, and the last row's ordering values
 * (id last), so the next page starts strictly after that row whatever was
 * inserted meanwhile. Pure: no database, no request.
 *
 * The text inside the base64url (RFC 4648 section 5, no padding):
 *
 *   1;ORDERING;SIG;N;V1;V2...     ORDERING "-due,title,id", SIG 8 hex
 *
 * each value a type letter and its text: "n" NULL, "i-12" integer,
 * "f1.5" float, "b1" bool, "T1767225600000000" time (microseconds),
 * "t5:hello" text (its length in bytes, ':', the bytes).
 */
#include "api/api_impl.h"
#include "core/base64.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cursor's text as base64url (core/base64.h) at the end of b. */
static int b64_put(const char *p, size_t n, kiln_buf *b)
{
    int rc = kiln_buf_reserve(b, B64URL_LEN(n) + 1);
    if (rc == 0)
        b->n += b64url_encode(p, n, b->p + b->n);
    return rc;
}

int api_cursor_encode(const api_cursor *cur, kiln_buf *b)
{
    kiln_buf t;
    kiln_buf_init(&t);
    int rc = kiln_buf_printf(&t, "1;%.*s;%08x;%zu", (int)cur->ordering.n,
                             cur->ordering.p, cur->sig, cur->nvals);
    for (size_t i = 0; rc == 0 && i < cur->nvals; i++) {
        const kiln_db_param *v = &cur->vals[i];
        switch (v->type) {
        case KILN_DB_INT:
            rc = kiln_buf_printf(&t, ";i%lld", (long long)v->v.i);
            break;
        case KILN_DB_TIME:
            rc = kiln_buf_printf(&t, ";T%lld", (long long)v->v.i);
            break;
        case KILN_DB_FLOAT:
            rc = kiln_buf_printf(&t, ";f%.17g", v->v.f);
            break;
        case KILN_DB_BOOL:
            rc = kiln_buf_printf(&t, ";b%d", v->v.b ? 1 : 0);
            break;
        case KILN_DB_TEXT:
            if (!v->v.s.p) {
                rc = kiln_buf_puts(&t, ";n"); /* a NULL text */
                break;
            }
            rc = kiln_buf_printf(&t, ";t%zu:", v->v.s.n);
            if (rc == 0)
                rc = kiln_buf_append(&t, v->v.s.p, v->v.s.n);
            break;
        default:
            rc = kiln_buf_puts(&t, ";n");
            break;
        }
    }
    if (rc == 0)
        rc = b64_put(t.p, t.n, b);
    kiln_buf_deinit(&t);
    return rc;
}

/* A signed decimal integer p[0..n) into *out. */
static bool int_of(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    char tmp[24];
    memcpy(tmp, p, n);
    tmp[n] = 0;
    if (!((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-'))
        return false;
    char *e;
    errno = 0;
    long long v = strtoll(tmp, &e, 10);
    if (errno || *e || e == tmp)
        return false;
    *out = v;
    return true;
}

int api_cursor_decode(kiln_str s, kiln_arena *a, api_cursor *out)
{
    memset(out, 0, sizeof *out);
    if (s.n == 0 || s.n > 4096)
        return KILN_EINVAL;
    unsigned char *raw = kiln_arena_alloc(a, s.n * 3 / 4 + 2);
    if (!raw)
        return KILN_ENOMEM;
    size_t n;
    if (b64url_decode(s.p, s.n, raw, &n) != 0)
        return KILN_EINVAL;
    const char *p = (const char *)raw, *end = p + n;
    /* "1;" */
    if (end - p < 2 || p[0] != '1' || p[1] != ';')
        return KILN_EINVAL;
    p += 2;
    const char *e = memchr(p, ';', (size_t)(end - p));
    if (!e || e == p)
        return KILN_EINVAL;
    for (const char *q = p; q < e; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '-' || *q == ','))
            return KILN_EINVAL;
    char *ord = kiln_arena_strndup(a, p, (size_t)(e - p));
    if (!ord)
        return KILN_EINVAL;
    out->ordering = (kiln_str){ord, (size_t)(e - p)};
    p = e + 1;
    if (end - p < 9 || p[8] != ';')
        return KILN_EINVAL;
    uint32_t sig = 0;
    for (int i = 0; i < 8; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                         : -1;
        if (d < 0)
            return KILN_EINVAL;
        sig = sig << 4 | (uint32_t)d;
    }
    out->sig = sig;
    p += 9;
    e = memchr(p, ';', (size_t)(end - p));
    int64_t nv;
    if (!e || !int_of(p, (size_t)(e - p), &nv) || nv < 1 || nv > API_MAX_ORDER)
        return KILN_EINVAL;
    p = e;
    for (int64_t i = 0; i < nv; i++) {
        if (p >= end || *p != ';' || p + 1 >= end)
            return KILN_EINVAL;
        p++;
        char type = *p++;
        kiln_db_param *v = &out->vals[i];
        if (type == 'n') {
            *v = KILN_NULL;
            continue;
        }
        if (type == 't') {
            const char *colon = memchr(p, ':', (size_t)(end - p));
            int64_t len;
            if (!colon || !int_of(p, (size_t)(colon - p), &len) || len < 0 ||
                len > end - colon - 1)
                return KILN_EINVAL;
            char *txt = kiln_arena_strndup(a, colon + 1, (size_t)len);
            if (!txt)
                return KILN_ENOMEM;
            *v = KILN_STRV(((kiln_str){txt, (size_t)len}));
            p = colon + 1 + len;
            continue;
        }
        const char *ve = memchr(p, ';', (size_t)(end - p));
        if (!ve)
            ve = end;
        size_t vn = (size_t)(ve - p);
        int64_t iv;
        if (type == 'i' || type == 'T') {
            if (!int_of(p, vn, &iv))
                return KILN_EINVAL;
            *v = type == 'i' ? KILN_INT(iv) : KILN_TIME(iv);
        } else if (type == 'b') {
            if (vn != 1 || (p[0] != '0' && p[0] != '1'))
                return KILN_EINVAL;
            *v = KILN_BOOL(p[0] == '1');
        } else if (type == 'f') {
            char tmp[40];
            if (vn == 0 || vn >= sizeof tmp)
                return KILN_EINVAL;
            memcpy(tmp, p, vn);
            tmp[vn] = 0;
            char *fe;
            double d = strtod(tmp, &fe);
            if (*fe || !isfinite(d))
                return KILN_EINVAL;
            *v = KILN_FLOAT(d);
        } else {
            return KILN_EINVAL;
        }
        p = ve;
    }
    if (p != end)
        return KILN_EINVAL;
    out->nvals = (size_t)nv;
    return 0;
}

/* Whether v fits field f as the encoder of its type would give it. */
static bool value_fits(const kiln_field *f, const kiln_db_param *v)
{
    if (v->type == KILN_DB_NULL)
        return f->flags & KILN_FF_OPTIONAL;
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        return v->type == KILN_DB_INT;
    case KILN_FT_FLOAT:
        return v->type == KILN_DB_FLOAT;
    case KILN_FT_BOOL:
        return v->type == KILN_DB_BOOL;
    case KILN_FT_DATETIME:
        return v->type == KILN_DB_TIME;
    default:
        break;
    }
    if (v->type != KILN_DB_TEXT)
        return false;
    kiln_str s = v->v.s;
    switch (f->type) {
    case KILN_FT_DATE: {
        kiln_date d;
        return kiln_date_parse(s, &d) == 0;
    }
    case KILN_FT_TIME: {
        kiln_timeofday t;
        return kiln_timeofday_parse(s, &t) == 0;
    }
    case KILN_FT_UUID: {
        kiln_uuid u;
        return kiln_uuid_parse(s, &u) == 0;
    }
    case KILN_FT_DECIMAL: {
        kiln_buf b;
        kiln_buf_init(&b);
        bool ok = kiln_decimal_canon(s, f->precision, f->scale, &b) == 0 &&
                  b.n == s.n && memcmp(b.p, s.p, s.n) == 0;
        kiln_buf_deinit(&b);
        return ok;
    }
    case KILN_FT_ENUM:
        for (uint32_t i = 0; i < f->nvalues; i++)
            if (kiln_str_eq(s, kiln_str_c(f->values[i])))
                return true;
        return false;
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
        return true;
    default:
        return false;
    }
}

bool api_cursor_fits(const api_cursor *cur, const api_query *q)
{
    if (cur->sig != q->sig || cur->nvals != q->norder ||
        !kiln_str_eq(cur->ordering, kiln_str_c(q->ordering)))
        return false;
    for (size_t i = 0; i < cur->nvals; i++)
        if (!value_fits(q->order[i].f, &cur->vals[i]))
            return false;
    return true;
}
