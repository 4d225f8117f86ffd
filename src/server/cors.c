/*
 * server/cors.c - CORS (the Fetch standard's CORS protocol): the app's
 * policy from kiln_app_cors, applied by the connection right after routing
 * (cors_apply), so preflights are answered for every route without a
 * handler and every answer, errors included, carries the headers a
 * browser needs to hand it to the page's script. An app without a policy
 * pays nothing: app->cors is NULL and the connection skips the call.
 */
#include "server/cors.h"

#include "server/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cors {
    char *origins; /* normalised: "https://a.example,http://127.0.0.1:5173" */
    bool any_origin;
    bool credentials;
    bool any_header;
    char *methods; /* as configured, trimmed: the Allow-Methods value */
    char *headers; /* the Allow-Headers list */
    char *expose;  /* Expose-Headers, or NULL */
    char max_age[24];
};

/* ---- comma-separated lists ------------------------------------------------
 */

static bool is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The next element of list from *at (whitespace trimmed, possibly empty);
 * false at the end. */
static bool list_next(kiln_str list, size_t *at, kiln_str *el)
{
    size_t i = *at;
    if (i > list.n)
        return false;
    size_t end = i;
    while (end < list.n && list.p[end] != ',')
        end++;
    *at = end + 1;
    while (i < end && is_ows(list.p[i]))
        i++;
    while (end > i && is_ows(list.p[end - 1]))
        end--;
    *el = (kiln_str){list.p + i, end - i};
    return true;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_token(kiln_str s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!is_tchar((unsigned char)s.p[i]))
            return false;
    return s.n > 0;
}

/* Whether el is, case-insensitively, an element of list. */
static bool list_has(kiln_str list, kiln_str el)
{
    size_t at = 0;
    kiln_str e;
    while (list_next(list, &at, &e))
        if (e.n && kiln_str_ieq(e, el))
            return true;
    return false;
}

bool cors_list_subset(kiln_str requested, kiln_str allowed)
{
    size_t at = 0;
    kiln_str e;
    while (list_next(requested, &at, &e)) {
        if (e.n == 0)
            continue;
        if (!is_token(e) || !list_has(allowed, e))
            return false;
    }
    return true;
}

/* ---- the policy -----------------------------------------------------------
 */

void cors_free(cors *p)
{
    if (!p)
        return;
    free(p->origins);
    free(p->methods);
    free(p->headers);
    free(p->expose);
    free(p);
}

/* Whether o is an origin: scheme "://" host [":" port], nothing after. */
static bool origin_ok(kiln_str o)
{
    size_t i = 0;
    while (i < o.n && ((o.p[i] >= 'a' && o.p[i] <= 'z') ||
                       (o.p[i] >= 'A' && o.p[i] <= 'Z') ||
                       (i && o.p[i] >= '0' && o.p[i] <= '9') ||
                       (i && strchr("+-.", o.p[i]))))
        i++;
    if (i == 0 || o.n - i < 4 || memcmp(o.p + i, "://", 3) != 0)
        return false;
    for (i += 3; i < o.n; i++)
        if (!is_tchar((unsigned char)o.p[i]) && o.p[i] != ':' &&
            o.p[i] != '[' && o.p[i] != ']')
            return false; /* a path, a query, a space... */
    return true;
}

/* A copy of list with its elements trimmed and joined by sep; every element
 * passes ok (NULL: is_token). NULL with *bad set to the first failing
 * element, or NULL with bad->p NULL when memory ran out. */
static char *list_norm(const char *list, const char *sep, bool (*ok)(kiln_str),
                       kiln_str *bad)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_str l = kiln_str_c(list ? list : "");
    size_t at = 0;
    kiln_str e;
    *bad = (kiln_str){NULL, 0};
    while (list_next(l, &at, &e)) {
        if (e.n == 0)
            continue;
        if (!(ok ? ok(e) : is_token(e))) {
            *bad = e;
            kiln_buf_deinit(&b);
            return NULL;
        }
        if ((b.n && kiln_buf_puts(&b, sep)) || kiln_buf_append(&b, e.p, e.n)) {
            kiln_buf_deinit(&b);
            return NULL;
        }
    }
    if (kiln_buf_putc(&b, '\0')) {
        kiln_buf_deinit(&b);
        return NULL;
    }
    return b.p; /* handed over: freed by cors_free */
}

static bool origin_or_any(kiln_str o)
{
    return (o.n == 1 && o.p[0] == '*') || origin_ok(o);
}

int kiln_app_cors(kiln_app *app, const kiln_cors_opts *o, char *err,
                  size_t errlen)
{
    if (!app || !o)
        return KILN_EINVAL;
    cors_free(app->cors);
    app->cors = NULL;
    kiln_str bad;
    cors *p = calloc(1, sizeof *p);
    if (!p)
        return KILN_ENOMEM;
    const char *what = "cors.origins";
    if (!(p->origins = list_norm(o->origins, ",", origin_or_any, &bad)))
        goto fail;
    what = "cors.methods";
    if (!(p->methods = list_norm(o->methods, ", ", NULL, &bad)))
        goto fail;
    what = "cors.headers";
    if (!(p->headers = list_norm(o->headers, ", ", NULL, &bad)))
        goto fail;
    what = "cors.expose_headers";
    if (!(p->expose = list_norm(o->expose_headers, ", ", NULL, &bad)))
        goto fail;
    if (!p->origins[0]) {
        cors_free(p); /* no origin allowed: no policy, no cost */
        return 0;
    }
    p->credentials = o->credentials;
    p->any_origin = list_has(kiln_str_c(p->origins), KILN_STR("*"));
    p->any_header = list_has(kiln_str_c(p->headers), KILN_STR("*"));
    if (p->credentials && (p->any_origin || p->any_header)) {
        snprintf(err, errlen,
                 "cors.%s is \"*\" with cors.credentials on: browsers refuse "
                 "that; list the allowed %s",
                 p->any_origin ? "origins" : "headers",
                 p->any_origin ? "origins" : "headers");
        cors_free(p);
        return KILN_EINVAL;
    }
    if (!p->expose[0]) {
        free(p->expose);
        p->expose = NULL;
    }
    snprintf(p->max_age, sizeof p->max_age, "%d",
             o->max_age > 0 ? o->max_age : 0);
    app->cors = p;
    return 0;
fail:
    cors_free(p);
    if (!bad.p)
        return KILN_ENOMEM;
    snprintf(err, errlen, "%s: '%.*s' is not %s", what, (int)bad.n, bad.p,
             what[5] == 'o' ? "an origin (scheme://host[:port], no path, or *)"
                            : "a token");
    return KILN_EINVAL;
}

/* ---- per request ----------------------------------------------------------
 */

/* The first value of the request field name (lower case), or {NULL, 0}. */
static kiln_str field(const kiln_ctx *x, const char *name)
{
    for (unsigned i = 0; i < x->req.nheaders; i++)
        if (kiln_str_ieq_c(x->req.headers[i].name, name))
            return x->req.headers[i].value;
    return (kiln_str){NULL, 0};
}

/* Sets Access-Control-Allow-Origin (and -Credentials) for origin. */
static int allow_origin(const cors *p, kiln_ctx *x, kiln_str origin)
{
    const char *v = "*";
    if (!p->any_origin || p->credentials) {
        char *s = kiln_arena_strndup(&x->arena, origin.p, origin.n);
        if (!s)
            return KILN_ENOMEM;
        v = s;
    }
    int rc = kiln_set_header(x, "Access-Control-Allow-Origin", v);
    if (rc == 0 && p->credentials)
        rc = kiln_set_header(x, "Access-Control-Allow-Credentials", "true");
    return rc;
}

int cors_apply(const cors *p, kiln_ctx *x)
{
    int rc = kiln_set_header(x, "Vary", "Origin");
    kiln_str origin = field(x, "origin");
    if (rc || !origin.p)
        return rc;
    bool allowed =
        (p->any_origin && !p->credentials) ||
        (origin_ok(origin) && list_has(kiln_str_c(p->origins), origin));
    if (!allowed)
        return 0;
    kiln_str want = field(x, "access-control-request-method");
    if (want.p && x->match.status == 200 &&
        kiln_str_eq(x->req.method, KILN_STR("OPTIONS"))) {
        /* a preflight: the method and headers must all be allowed */
        kiln_str hdrs = field(x, "access-control-request-headers");
        bool simple = kiln_str_eq(want, KILN_STR("GET")) ||
                      kiln_str_eq(want, KILN_STR("HEAD")) ||
                      kiln_str_eq(want, KILN_STR("POST"));
        if (!is_token(want) ||
            (!simple && !list_has(kiln_str_c(p->methods), want)) ||
            (!p->any_header && hdrs.p &&
             !cors_list_subset(hdrs, kiln_str_c(p->headers))))
            return 0; /* refused: the automatic OPTIONS answer, bare */
        if ((rc = allow_origin(p, x, origin)) ||
            (rc = kiln_set_header(x, "Access-Control-Allow-Methods",
                                  p->methods)) ||
            (p->headers[0] &&
             (rc = kiln_set_header(x, "Access-Control-Allow-Headers",
                                   p->headers))) ||
            (rc = kiln_set_header(x, "Access-Control-Max-Age", p->max_age)) ||
            (rc = kiln_set_header(x, "Vary",
                                  "Access-Control-Request-Method, "
                                  "Access-Control-Request-Headers")))
            return rc;
        rc = respond_head_body(x, 204, NULL, NULL, 0);
        return rc ? rc : 1;
    }
    if ((rc = allow_origin(p, x, origin)))
        return rc;
    if (p->expose)
        rc = kiln_set_header(x, "Access-Control-Expose-Headers", p->expose);
    return rc;
}
