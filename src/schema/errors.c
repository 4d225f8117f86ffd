/*
 * schema/errors.c - the error list (kiln/errors.h) and the 422 answer
 * built from it.
 */
#include <kiln.h>

#include "http/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kiln_errors_init(kiln_errors *e, kiln_arena *a)
{
    memset(e, 0, sizeof *e);
    e->arena = a;
}

int kiln_errors_add(kiln_errors *e, const char *pointer, const char *code,
                    const char *fmt, ...)
{
    if (e->n == KILN_ERRORS_MAX) {
        e->dropped++;
        return 0;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        if (cap > KILN_ERRORS_MAX)
            cap = KILN_ERRORS_MAX;
        kiln_error_item *v = kiln_arena_alloc(e->arena, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        if (e->n)
            memcpy(v, e->items, e->n * sizeof *v);
        e->items = v;
        e->cap = cap;
    }
    char detail[512];
    va_list ap;
    detail[0] = '\0';
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    const char *p = pointer ? pointer : "", *k = code ? code : "invalid";
    kiln_error_item *it = &e->items[e->n];
    it->pointer = kiln_arena_strndup(e->arena, p, strlen(p));
    it->code = kiln_arena_strndup(e->arena, k, strlen(k));
    it->detail = kiln_arena_strndup(e->arena, detail, strlen(detail));
    if (!it->pointer || !it->code || !it->detail)
        return KILN_ENOMEM;
    e->n++;
    return 0;
}

const kiln_error_item *kiln_errors_find(const kiln_errors *e,
                                        const char *pointer)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->items[i].pointer, pointer) == 0)
            return &e->items[i];
    return NULL;
}

int kiln_errors_json(const kiln_errors *e, kiln_buf *b)
{
    int rc = kiln_buf_putc(b, '[');
    for (size_t i = 0; rc == 0 && i < e->n; i++) {
        if (i)
            rc = kiln_buf_putc(b, ',');
        const char *p = e->items[i].pointer;
        if (rc == 0 && p[0] == '?') /* a query parameter, not a pointer */
            rc = kiln_json_format(b, "{parameter:%s,code:%s,detail:%s}", p + 1,
                                  e->items[i].code, e->items[i].detail);
        else if (rc == 0)
            rc = kiln_json_format(b, "{pointer:%s,code:%s,detail:%s}", p,
                                  e->items[i].code, e->items[i].detail);
    }
    return rc ? rc : kiln_buf_putc(b, ']');
}

int kiln_problem_errors(kiln_ctx *c, int status, const kiln_errors *e,
                        const char *fmt, ...)
{
    if (kiln_responded(c))
        return KILN_ESTATE;
    char detail[512];
    size_t total = e->n + e->dropped;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    } else if (total == 1) {
        snprintf(detail, sizeof detail, "1 field is invalid");
    } else {
        snprintf(detail, sizeof detail, "%zu fields are invalid", total);
    }
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    kiln_str path = kiln_path(c);
    int rc = kiln_json_format(
        b, "{type:%s,title:%s,status:%d,detail:%s,instance:%S,request_id:%s",
        "about:blank", http_status_reason(status), status, detail,
        path.p ? path : kiln_target(c), kiln_request_id(c));
    if (rc == 0 && e->dropped)
        rc = kiln_json_format(b, ",errors_dropped:%zu", e->dropped);
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"errors\":");
    if (rc == 0)
        rc = kiln_errors_json(e, b);
    if (rc == 0)
        rc = kiln_buf_putc(b, '}');
    if (rc)
        return rc;
    kiln_set_status(c, status);
    kiln_set_type(c, "application/problem+json");
    return kiln_send(c);
}
