/*
 * schema/body.c - kiln_decode_body: a handler's whole input path in one
 * call. The Content-Type chooses the decoder (JSON, urlencoded or
 * multipart form); every failure is answered here with the error contract
 * (400 with the byte offset for JSON that does not parse, 413, 415, 422
 * with every failing field), so the handler only returns 0.
 */
#include <kiln.h>

#include "http/url.h"
#include "schema/body.h"
#include "server/worker.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The media type of a Content-Type value (lower-cased into out) and
   whether its charset parameter, when any, is UTF-8. */
static void media_type(kiln_str ct, char *out, size_t n, bool *utf8)
{
    size_t i = 0, o = 0;
    while (i < ct.n && (ct.p[i] == ' ' || ct.p[i] == '\t'))
        i++;
    while (i < ct.n && ct.p[i] != ';' && ct.p[i] != ' ' && ct.p[i] != '\t') {
        char ch = ct.p[i++];
        if (o + 1 < n)
            out[o++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    out[o] = '\0';
    *utf8 = true;
    /* parameters: ; name=value (value maybe quoted) */
    while (i < ct.n) {
        while (i < ct.n &&
               (ct.p[i] == ';' || ct.p[i] == ' ' || ct.p[i] == '\t'))
            i++;
        size_t ks = i;
        while (i < ct.n && ct.p[i] != '=' && ct.p[i] != ';')
            i++;
        size_t kn = i - ks;
        if (i >= ct.n || ct.p[i] != '=')
            continue;
        i++;
        size_t vs = i;
        bool q = i < ct.n && ct.p[i] == '"';
        if (q)
            vs = ++i;
        while (i < ct.n && (q ? ct.p[i] != '"' : ct.p[i] != ';'))
            i++;
        size_t vn = i - vs;
        if (q && i < ct.n)
            i++;
        while (vn && (ct.p[vs + vn - 1] == ' ' || ct.p[vs + vn - 1] == '\t'))
            vn--;
        if (kn == 7 && strncasecmp(ct.p + ks, "charset", 7) == 0)
            *utf8 = (vn == 5 && strncasecmp(ct.p + vs, "utf-8", 5) == 0) ||
                    (vn == 4 && strncasecmp(ct.p + vs, "utf8", 4) == 0);
    }
}

/*
 * The 400 for a body that is not JSON: problem+json with where it broke as
 * members a client can use (offset in bytes, line, column) besides the
 * detail for people.
 */
static void json_problem(kiln_ctx *c, const kiln_json_error *je)
{
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    char detail[160];
    snprintf(detail, sizeof detail,
             "the body is not valid JSON: %s at byte %zu", je->msg, je->offset);
    kiln_str path = kiln_path(c);
    if (kiln_json_format(b,
                         "{type:%s,title:%s,status:%d,detail:%s,instance:%S,"
                         "request_id:%s,offset:%zu,line:%d,column:%d}",
                         "about:blank", "Bad Request", 400, detail,
                         path.p ? path : kiln_target(c), kiln_request_id(c),
                         je->offset, je->line, je->col) != 0) {
        kiln_problem(c, 400, "%s", detail);
        return;
    }
    kiln_set_status(c, 400);
    kiln_set_type(c, "application/problem+json");
    kiln_send(c);
}

/* application/json, or any application/...+json (merge-patch+json...). */
static bool is_json(const char *t)
{
    size_t n = strlen(t);
    return strcmp(t, "application/json") == 0 ||
           (strncmp(t, "application/", 12) == 0 && n > 17 &&
            strcmp(t + n - 5, "+json") == 0);
}

int kiln_decode_input(kiln_ctx *c, const kiln_model *m,
                      const kiln_decode_opts *o, void *out,
                      kiln_fieldset *given, kiln_errors *errs)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_str ct = kiln_header(c, "Content-Type");
    char type[96];
    bool utf8 = true;
    if (ct.p)
        media_type(ct, type, sizeof type, &utf8);
    else
        type[0] = '\0';
    int rc;
    if (!ct.p || is_json(type)) {
        kiln_str body = kiln_body(c);
        if (!ct.p && body.n) {
            kiln_problem(c, 415,
                         "the body has no Content-Type: send "
                         "application/json, a form or multipart/form-data");
            return KILN_EPARSE; /* answered */
        }
        if (!utf8) {
            kiln_problem(c, 415, "JSON is read as UTF-8 only");
            return KILN_EPARSE; /* answered */
        }
        if (!body.n) /* nothing at all: an empty object (PATCH: no change) */
            body = KILN_STR("{}");
        kiln_json_error je;
        memset(&je, 0, sizeof je);
        rc = kiln_decode_json(m, body.p, body.n, o, a, out, given, errs, &je);
        if (rc == KILN_EPARSE) {
            json_problem(c, &je);
            return KILN_EPARSE; /* answered */
        }
        if (rc == KILN_ELIMIT) {
            kiln_problem(c, 400, "the body is nested too deeply");
            return KILN_EPARSE; /* answered */
        }
    } else if (strcmp(type, "application/x-www-form-urlencoded") == 0 ||
               strcmp(type, "multipart/form-data") == 0) {
        const kiln_form_field *fields = NULL;
        size_t n = 0;
        rc = kiln_form_fields(c, &fields, &n);
        if (rc != 0) {
            kiln_form_fail(c, rc);
            return KILN_EPARSE; /* answered */
        }
        rc = kiln_decode_form(m, fields, n, o, a, out, given, errs);
    } else {
        kiln_problem(c, 415,
                     "a body of type %s is not taken here: send "
                     "application/json, a form or multipart/form-data",
                     type[0] ? type : "(none)");
        return KILN_EPARSE; /* answered */
    }
    if (rc == 0 || rc == KILN_EINVAL)
        return rc;
    kiln_problem(c, 500, "the body could not be read (%s)", kiln_strerror(rc));
    return KILN_EPARSE; /* answered */
}

bool kiln_decode_body(kiln_ctx *c, const kiln_model *m,
                      const kiln_decode_opts *o, void *out,
                      kiln_fieldset *given)
{
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    int rc = kiln_decode_input(c, m, o, out, given, &errs);
    if (rc == KILN_EINVAL)
        kiln_problem_errors(c, 422, &errs, NULL);
    return rc == 0;
}

/* ---- endpoint schemas ---------------------------------------------------- */

int schema_endpoint_input(kiln_ctx *c, const kiln_endpoint *ep)
{
    kiln_arena *a = kiln_ctx_arena(c);
    char *input = kiln_arena_calloc(a, ep->size ? ep->size : 1);
    if (!input)
        return KILN_ENOMEM;
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    kiln_decode_opts create = {.mode = KILN_DECODE_CREATE};
    if (ep->path) {
        /* a parameter that does not fit names no resource: 404 */
        kiln_form_field *f =
            kiln_arena_calloc(a, (ep->path->nfields + 1) * sizeof *f);
        if (!f)
            return KILN_ENOMEM;
        size_t n = 0;
        for (uint32_t i = 0; i < ep->path->nfields; i++) {
            kiln_str v = kiln_param(c, ep->path->fields[i].name);
            if (!v.p)
                continue;
            f[n].name = kiln_str_c(ep->path->fields[i].name);
            f[n].value = v;
            n++;
        }
        kiln_errors perr;
        kiln_errors_init(&perr, a);
        int rc = kiln_decode_form(ep->path, f, n, &create, a,
                                  input + ep->path_offset, NULL, &perr);
        if (rc == KILN_EINVAL) {
            const kiln_error_item *e = perr.n ? &perr.items[0] : NULL;
            kiln_problem(c, 404, "no such resource: %s%s%s",
                         e ? e->pointer + (e->pointer[0] == '/') : "",
                         e ? " " : "", e ? e->detail : "");
            return 1;
        }
        if (rc)
            return rc;
    }
    if (ep->query) {
        http_kv *kv = NULL;
        long n = http_query_parse(a, kiln_query_string(c), &kv);
        if (n < 0 && n != KILN_ENOMEM) {
            kiln_problem(c, 400, "the query string has a malformed %%-escape");
            return 1;
        }
        if (n < 0)
            return KILN_ENOMEM;
        kiln_form_field *f = kiln_arena_calloc(a, ((size_t)n + 1) * sizeof *f);
        if (!f)
            return KILN_ENOMEM;
        for (long i = 0; i < n; i++) {
            f[i].name = kv[i].name;
            f[i].value = kv[i].value;
        }
        size_t before = errs.n;
        kiln_decode_opts qo = {.mode = KILN_DECODE_CREATE, .query = true};
        int rc = kiln_decode_form(ep->query, f, (size_t)n, &qo, a,
                                  input + ep->query_offset, NULL, &errs);
        if (rc && rc != KILN_EINVAL)
            return rc;
        /* query errors name a parameter, not a place in the body */
        for (size_t i = before; i < errs.n; i++) {
            const char *p = errs.items[i].pointer;
            char *q = kiln_arena_printf(a, "?%s", p[0] == '/' ? p + 1 : p);
            if (!q)
                return KILN_ENOMEM;
            errs.items[i].pointer = q;
        }
    }
    if (ep->body) {
        kiln_decode_opts o = {.mode = (kiln_decode_mode)ep->body_mode};
        int rc = kiln_decode_input(c, ep->body, &o, input + ep->body_offset,
                                   NULL, &errs);
        if (rc != 0 && rc != KILN_EINVAL)
            return 1; /* answered: 400, 413, 415 */
    }
    if (kiln_errors_any(&errs)) {
        kiln_problem_errors(c, 422, &errs, NULL);
        return 1;
    }
    ctx_set_input(c, input);
    return 0;
}

/* ---- answering with a model -------------------------------------------- */

int kiln_send_model(kiln_ctx *c, int status, const kiln_model *m,
                    const void *obj)
{
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    int rc = kiln_encode_json(m, obj, b);
    if (rc)
        return rc;
    kiln_set_status(c, status);
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

int kiln_send_model_list(kiln_ctx *c, int status, const kiln_model *m,
                         const void *items, size_t n)
{
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    int rc = kiln_encode_json_list(m, items, n, b);
    if (rc)
        return rc;
    kiln_set_status(c, status);
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}
