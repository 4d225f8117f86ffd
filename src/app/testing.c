/*
 * app/testing.c - app tests (kiln/testing.h): the registry, the test
 * client over server/testreq.c, the expectations, and the runner that
 * gives every test a database and a cache of its own.
 *
 * Isolation. The database URL of the settings names the backend only:
 *   SQLite      a template file in a temporary folder (in /dev/shm when
 *               there is one, else $TMPDIR or /tmp) is migrated once;
 *               each test gets a byte copy of it (t<N>.db), removed after.
 *   PostgreSQL  a template database kiln_test_<pid> is created next to the
 *               configured one and migrated once, and a snapshot of it is
 *               taken (schema kiln_test: the rows the migrations left, the
 *               sequences, a fingerprint of the schema). The tests run one
 *               after the other on one copy of it, kiln_test_<pid>_w; after
 *               each test kiln_test.reset() empties the tables it wrote
 *               (TRUNCATE), puts the migrations' rows back and the
 *               sequences where they were, in one round trip. A test whose
 *               schema changed (DDL), or whose reset fails, gets the copy
 *               made again from the template (CREATE DATABASE ...
 *               TEMPLATE). A test's transactions therefore commit for real,
 *               as in production, and nothing it wrote is seen by the next.
 * The configured database itself is only connected to (PostgreSQL, to
 * create and drop the others); it is never written.
 *
 * Users. The test binary's app has two more routes, POST /_kiln_test/user
 * and POST /_kiln_test/login (test binaries only; never in `kiln run`):
 * kiln_test_user makes a user through the first, kiln_test_login gets a
 * session through the second, which calls kiln_session_login as a login
 * page does. The client then keeps the cookies the app sets, as a browser
 * does, and sends the session's CSRF token on unsafe methods, as the
 * TypeScript client does: every check of the request (session, CSRF,
 * permissions, row rules) runs as in production.
 */
#include "app/project.h"
#include "auth/user.h"
#include "server/testreq.h"

#include <kiln.h>
#include <kiln/testing.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long one request may run before the test fails. */
#define TC_TIMEOUT_MS 30000

/* Cookies the client keeps after kiln_test_login (a browser's jar, for
   one host). */
#define TC_COOKIES 16

struct kiln_test {
    kiln_arena arena; /* everything the test client returns */
    worker *w;
    const kiln_test_case *tc;
    int failures;
    bool jar_on;                    /* kiln_test_login ran: keep cookies */
    const char *cookie[TC_COOKIES]; /* "name=value", in arena */
    size_t ncookies;
    const char *bearer; /* kiln_test_bearer's token, in arena, or NULL */
};

/* ---- registry ---------------------------------------------------------- */

static kiln_test_case *g_tests;

void kiln_test_register(kiln_test_case *c)
{
    c->next = g_tests;
    g_tests = c;
}

/* ---- the client -------------------------------------------------------- */

static const kiln_tc_response tc_failed; /* status 0: out of memory */

const char *kiln_test_printf(kiln_test *t, const char *fmt, ...)
{
    kiln_buf b;
    kiln_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    int rc = kiln_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *s = rc ? NULL : kiln_arena_strndup(&t->arena, b.p ? b.p : "", b.n);
    kiln_buf_deinit(&b);
    return s;
}

/* Prints one failure line of t. */
static void fail_line(kiln_test *t, const char *file, int line, const char *fmt,
                      ...) KILN_PRINTF(4, 5);
static void fail_line(kiln_test *t, const char *file, int line, const char *fmt,
                      ...)
{
    t->failures++;
    printf("    %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* True when the header lines (name: value\n...) name hdr. */
static bool has_header(const char *lines, const char *hdr)
{
    size_t n = strlen(hdr);
    for (const char *p = lines; p && *p;) {
        while (*p == '\n' || *p == '\r')
            p++;
        if (strncasecmp(p, hdr, n) == 0 && p[n] == ':')
            return true;
        p = strchr(p, '\n');
    }
    return false;
}

/* Decodes a chunked body at p[0..n) into out; -1 when malformed. */
static int dechunk(const char *p, size_t n, kiln_buf *out)
{
    const char *end = p + n;
    for (;;) {
        char *e;
        unsigned long long len = strtoull(p, &e, 16);
        const char *crlf = memchr(p, '\n', (size_t)(end - p));
        if (e == p || !crlf)
            return -1;
        p = crlf + 1;
        if (len == 0)
            return 0;
        if (len > (unsigned long long)(end - p) ||
            kiln_buf_append(out, p, (size_t)len) != 0)
            return -1;
        p += len;
        if (end - p < 2)
            return -1;
        p += 2; /* CRLF */
    }
}

/* Parses the raw response raw[0..n) into r (strings in t's arena). */
static int parse_response(kiln_test *t, const char *raw, size_t n,
                          bool head_only, kiln_tc_response *r)
{
    const char *end = raw + n;
    const char *hend = strstr(raw, "\r\n\r\n");
    if (n < 12 || strncmp(raw, "HTTP/1.1 ", 9) != 0 || !hend)
        return -1;
    r->status = atoi(raw + 9);
    size_t cap = 0;
    for (const char *p = raw; p < hend; p++)
        cap += *p == '\n';
    kiln_tc_header *h = kiln_arena_alloc(&t->arena, (cap + 1) * sizeof *h);
    if (!h)
        return -1;
    bool chunked = false;
    const char *p = strstr(raw, "\r\n") + 2;
    while (p < hend + 2) {
        const char *eol = strstr(p, "\r\n");
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon)
            return -1;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        kiln_tc_header *x = &h[r->nheaders++];
        x->name = kiln_arena_strndup(&t->arena, p, (size_t)(colon - p));
        x->value = kiln_arena_strndup(&t->arena, v, (size_t)(eol - v));
        if (!x->name || !x->value)
            return -1;
        if (strcasecmp(x->name, "Transfer-Encoding") == 0 &&
            strcasecmp(x->value, "chunked") == 0)
            chunked = true;
        p = eol + 2;
    }
    r->headers = h;
    const char *body = hend + 4;
    size_t blen = head_only ? 0 : (size_t)(end - body);
    kiln_buf dec;
    kiln_buf_init(&dec);
    if (chunked && !head_only) {
        if (dechunk(body, blen, &dec) != 0) {
            kiln_buf_deinit(&dec);
            return -1;
        }
        body = dec.p ? dec.p : "";
        blen = dec.n;
    }
    char *b = kiln_arena_strndup(&t->arena, body, blen);
    kiln_buf_deinit(&dec);
    if (!b)
        return -1;
    r->body = b;
    r->body_len = blen;
    const char *ct = kiln_tc_header_get(r, "Content-Type");
    if (ct && strstr(ct, "json") && blen) {
        kiln_json *j = NULL;
        if (kiln_json_parse(&t->arena, b, blen, 0, &j, NULL) == 0)
            r->json = j;
    }
    return 0;
}

/* ---- the cookie jar ------------------------------------------------- */

/* The slot of cookie name (n bytes) in t's jar, or -1. */
static int jar_find(const kiln_test *t, const char *name, size_t n)
{
    for (size_t i = 0; i < t->ncookies; i++)
        if (strncmp(t->cookie[i], name, n) == 0 && t->cookie[i][n] == '=')
            return (int)i;
    return -1;
}

/* Keeps what one Set-Cookie value says: name=value replaces the cookie of
   that name; an empty value or Max-Age=0 removes it. */
static void jar_set(kiln_test *t, const char *v)
{
    const char *eq = strchr(v, '=');
    const char *end = strchr(v, ';');
    if (!end)
        end = v + strlen(v);
    if (!eq || eq > end || eq == v)
        return;
    size_t nn = (size_t)(eq - v);
    int i = jar_find(t, v, nn);
    bool gone = eq + 1 == end || strstr(end, "Max-Age=0") != NULL;
    if (i >= 0) {
        t->cookie[i] = t->cookie[--t->ncookies];
        t->cookie[t->ncookies] = NULL;
    }
    if (gone || t->ncookies == TC_COOKIES)
        return;
    char *c = kiln_arena_strndup(&t->arena, v, (size_t)(end - v));
    if (c)
        t->cookie[t->ncookies++] = c;
}

/* The value of the jar's CSRF cookie (kiln_csrf, or __Host-kiln_csrf
   behind TLS), or NULL. */
static const char *jar_csrf(const kiln_test *t)
{
    for (size_t i = 0; i < t->ncookies; i++) {
        const char *c = t->cookie[i];
        if (strncmp(c, "__Host-", 7) == 0)
            c += 7;
        if (strncmp(c, "kiln_csrf=", 10) == 0)
            return c + 10;
    }
    return NULL;
}

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS") &&
           strcmp(m, "TRACE");
}

const kiln_tc_response *kiln_tc_request(kiln_test *t, const char *method,
                                        const char *path, const char *headers,
                                        const char *body, size_t n)
{
    kiln_tc_response *r = kiln_arena_calloc(&t->arena, sizeof *r);
    if (!r) {
        fail_line(t, t->tc->file, t->tc->line, "out of memory");
        return &tc_failed;
    }
    kiln_buf req, out;
    kiln_buf_init(&req);
    kiln_buf_init(&out);
    kiln_buf_printf(&req, "%s %s HTTP/1.1\r\n", method, path);
    if (!has_header(headers, "Host"))
        kiln_buf_puts(&req, "Host: localhost\r\n");
    if (t->jar_on && t->ncookies && !has_header(headers, "Cookie")) {
        kiln_buf_puts(&req, "Cookie: ");
        for (size_t i = 0; i < t->ncookies; i++)
            kiln_buf_printf(&req, "%s%s", i ? "; " : "", t->cookie[i]);
        kiln_buf_puts(&req, "\r\n");
        const char *csrf = jar_csrf(t);
        if (csrf && unsafe_method(method) &&
            !has_header(headers, "X-CSRF-Token"))
            kiln_buf_printf(&req, "X-CSRF-Token: %s\r\n", csrf);
    }
    if (t->bearer && !has_header(headers, "Authorization"))
        kiln_buf_printf(&req, "Authorization: Bearer %s\r\n", t->bearer);
    for (const char *p = headers; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len) {
            kiln_buf_append(&req, p, len);
            kiln_buf_puts(&req, "\r\n");
        }
        p = eol ? eol + 1 : p + len;
    }
    if ((n || body) && !has_header(headers, "Content-Length"))
        kiln_buf_printf(&req, "Content-Length: %zu\r\n", n);
    kiln_buf_puts(&req, "\r\n");
    if (n)
        kiln_buf_append(&req, body, n);
    int rc = req.p ? testreq_run(t->w, req.p, req.n, TC_TIMEOUT_MS, &out)
                   : KILN_ENOMEM;
    if (rc != 0)
        fail_line(t, t->tc->file, t->tc->line, "%s %s: %s", method, path,
                  rc == KILN_ETIMEDOUT ? "no response within 30 s"
                  : rc == KILN_EPARSE  ? "not a complete request (bad "
                                         "method, path or header?)"
                                       : kiln_strerror(rc));
    else if (parse_response(t, out.p, out.n, strcmp(method, "HEAD") == 0, r) !=
             0)
        fail_line(t, t->tc->file, t->tc->line,
                  "%s %s: the response could not be read", method, path);
    else if (t->jar_on && !has_header(headers, "Cookie"))
        for (size_t i = 0; i < r->nheaders; i++)
            if (strcasecmp(r->headers[i].name, "Set-Cookie") == 0)
                jar_set(t, r->headers[i].value);
    kiln_buf_deinit(&req);
    kiln_buf_deinit(&out);
    return r;
}

const kiln_tc_response *kiln_tc_get(kiln_test *t, const char *path)
{
    return kiln_tc_request(t, "GET", path, NULL, NULL, 0);
}

const kiln_tc_response *kiln_tc_delete(kiln_test *t, const char *path)
{
    return kiln_tc_request(t, "DELETE", path, NULL, NULL, 0);
}

static const kiln_tc_response *tc_json(kiln_test *t, const char *method,
                                       const char *path, const char *json)
{
    return kiln_tc_request(t, method, path, "Content-Type: application/json",
                           json ? json : "", json ? strlen(json) : 0);
}

const kiln_tc_response *kiln_tc_post(kiln_test *t, const char *path,
                                     const char *json)
{
    return tc_json(t, "POST", path, json);
}

const kiln_tc_response *kiln_tc_put(kiln_test *t, const char *path,
                                    const char *json)
{
    return tc_json(t, "PUT", path, json);
}

const kiln_tc_response *kiln_tc_patch(kiln_test *t, const char *path,
                                      const char *json)
{
    return tc_json(t, "PATCH", path, json);
}

/* ---- users ------------------------------------------------------------ */

#define TC_USER_PATH "/_kiln_test/user"
#define TC_LOGIN_PATH "/_kiln_test/login"

/* The runner's routes (test binaries only). Their form: username=NAME
   (and roles=R1+R2, superuser=1 for a new user). */
static int tc_user_route(kiln_ctx *c)
{
    kiln_str name = kiln_form(c, "username");
    kiln_str roles = kiln_form(c, "roles");
    bool super = kiln_form(c, "superuser").n > 0;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    if (!name.p || !name.n)
        return kiln_problem(c, 422, "kiln_test_user: no username");
    int64_t id = auth_user_create(db, name.p, "", "", "", super, super);
    if (id == KILN_ESTATE)
        return kiln_problem(c, 409, "kiln_test_user: '%s' exists already",
                            name.p);
    if (id < 0)
        return kiln_db_fail(c, db);
    for (const char *p = roles.p ? roles.p : ""; *p;) {
        size_t n = strcspn(p, " ,");
        if (n) {
            char *role = kiln_arena_strndup(kiln_ctx_arena(c), p, n);
            if (!role)
                return KILN_ENOMEM;
            if (kiln_db_exec(db,
                             "INSERT INTO kiln_user_role (user_id, role) "
                             "VALUES ($1, $2) ON CONFLICT (user_id, role) DO "
                             "NOTHING",
                             KILN_INT(id), KILN_TEXT(role)) < 0)
                return kiln_db_fail(c, db);
        }
        p += n + (p[n] != '\0');
    }
    return kiln_jsonf(c, 201, "{id:%lld}", (long long)id);
}

static int tc_login_route(kiln_ctx *c)
{
    kiln_str name = kiln_form(c, "username");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_user *u;
    const char *hash;
    int rc = auth_user_find_login(db, kiln_ctx_arena(c), name, &u, &hash);
    if (rc == KILN_ENOTFOUND)
        return kiln_problem(c, 404, "kiln_test_login: no user '%.*s'",
                            (int)name.n, name.p ? name.p : "");
    if (rc)
        return kiln_db_fail(c, db);
    if ((rc = kiln_session_login(c, u->id)) != 0)
        return kiln_problem(c, 500, "kiln_test_login: %s", kiln_strerror(rc));
    return kiln_jsonf(c, 200, "{id:%lld}", (long long)u->id);
}

/* Adds the runner's routes to app. 0 or an error. */
static int tc_routes(kiln_app *app)
{
    int rc = kiln_route(app, "POST", TC_USER_PATH, tc_user_route);
    if (rc == 0)
        rc = kiln_route(app, "POST", TC_LOGIN_PATH, tc_login_route);
    if (rc == 0)
        rc = kiln_csrf_exempt(app, "POST", TC_USER_PATH);
    if (rc == 0)
        rc = kiln_csrf_exempt(app, "POST", TC_LOGIN_PATH);
    return rc;
}

/* form-urlencodes s into b */
static void form_escape(kiln_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p))
            kiln_buf_printf(b, "%c", *p);
        else
            kiln_buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
}

/* POSTs form to path without the jar and the bearer; the response. */
static const kiln_tc_response *tc_runner_post(kiln_test *t, const char *path,
                                              const kiln_buf *form)
{
    bool jar = t->jar_on;
    const char *bearer = t->bearer;
    t->jar_on = false;
    t->bearer = NULL;
    const kiln_tc_response *r = kiln_tc_request(
        t, "POST", path, "Content-Type: application/x-www-form-urlencoded",
        form->p ? form->p : "", form->n);
    t->jar_on = jar;
    t->bearer = bearer;
    return r;
}

static int64_t response_id(const kiln_tc_response *r)
{
    const kiln_json *id = kiln_tc_json(r, "/id");
    return id && id->type == KILN_JSON_NUMBER && id->u.number.is_int
               ? id->u.number.i
               : 0;
}

int64_t kiln_test_user(kiln_test *t, const char *username, const char *roles,
                       bool superuser)
{
    kiln_buf f;
    kiln_buf_init(&f);
    kiln_buf_puts(&f, "username=");
    form_escape(&f, username ? username : "");
    kiln_buf_puts(&f, "&roles=");
    form_escape(&f, roles ? roles : "");
    if (superuser)
        kiln_buf_puts(&f, "&superuser=1");
    const kiln_tc_response *r = tc_runner_post(t, TC_USER_PATH, &f);
    kiln_buf_deinit(&f);
    int64_t id = r->status == 201 ? response_id(r) : 0;
    if (!id)
        fail_line(t, t->tc->file, t->tc->line, "kiln_test_user %s: %d %.*s",
                  username ? username : "(null)", r->status, (int)r->body_len,
                  r->body);
    return id;
}

bool kiln_test_login(kiln_test *t, const char *username)
{
    kiln_buf f;
    kiln_buf_init(&f);
    kiln_buf_puts(&f, "username=");
    form_escape(&f, username ? username : "");
    t->ncookies = 0; /* a new session: the old one's cookies go */
    const kiln_tc_response *r = tc_runner_post(t, TC_LOGIN_PATH, &f);
    kiln_buf_deinit(&f);
    if (r->status != 200) {
        fail_line(t, t->tc->file, t->tc->line, "kiln_test_login %s: %d %.*s",
                  username ? username : "(null)", r->status, (int)r->body_len,
                  r->body);
        return false;
    }
    t->jar_on = true;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "Set-Cookie") == 0)
            jar_set(t, r->headers[i].value);
    return true;
}

void kiln_test_logout(kiln_test *t)
{
    t->jar_on = false;
    t->ncookies = 0;
}

void kiln_test_bearer(kiln_test *t, const char *token)
{
    t->bearer =
        token ? kiln_arena_strndup(&t->arena, token, strlen(token)) : NULL;
}

const char *kiln_test_csrf_token(kiln_test *t)
{
    return t->jar_on ? jar_csrf(t) : NULL;
}

const char *kiln_tc_header_get(const kiln_tc_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* ---- JSON pointers, comparison and printing ---------------------------- */

/* The value at pointer p under v (RFC 6901), or NULL. */
static const kiln_json *json_at(const kiln_json *v, const char *p)
{
    if (*p && *p != '/')
        return NULL;
    while (v && *p == '/') {
        p++;
        char tok[256];
        size_t n = 0;
        for (; *p && *p != '/'; p++) {
            char ch = *p;
            if (ch == '~') {
                if (p[1] != '0' && p[1] != '1')
                    return NULL;
                ch = p[1] == '0' ? '~' : '/';
                p++;
            }
            if (n + 1 >= sizeof tok)
                return NULL;
            tok[n++] = ch;
        }
        tok[n] = '\0';
        if (v->type == KILN_JSON_OBJECT) {
            v = kiln_json_get(v, tok);
        } else if (v->type == KILN_JSON_ARRAY) {
            char *e;
            if (!n || (n > 1 && tok[0] == '0') ||
                !isdigit((unsigned char)tok[0]))
                return NULL;
            unsigned long long i = strtoull(tok, &e, 10);
            if (*e || i >= v->u.array.n)
                return NULL;
            v = &v->u.array.items[i];
        } else {
            return NULL;
        }
    }
    return v;
}

const kiln_json *kiln_tc_json(const kiln_tc_response *r, const char *pointer)
{
    return r->json ? json_at(r->json, pointer ? pointer : "") : NULL;
}

static bool json_equal(const kiln_json *a, const kiln_json *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KILN_JSON_NULL:
        return true;
    case KILN_JSON_BOOL:
        return a->u.boolean == b->u.boolean;
    case KILN_JSON_NUMBER:
        if (a->u.number.is_int && b->u.number.is_int)
            return a->u.number.i == b->u.number.i;
        return a->u.number.d == b->u.number.d;
    case KILN_JSON_STRING:
        return kiln_str_eq(a->u.string, b->u.string);
    case KILN_JSON_ARRAY:
        if (a->u.array.n != b->u.array.n)
            return false;
        for (size_t i = 0; i < a->u.array.n; i++)
            if (!json_equal(&a->u.array.items[i], &b->u.array.items[i]))
                return false;
        return true;
    case KILN_JSON_OBJECT:
        if (a->u.object.n != b->u.object.n)
            return false;
        for (size_t i = 0; i < a->u.object.n; i++) {
            const kiln_json_member *m = &a->u.object.items[i];
            const kiln_json *o = kiln_json_get(b, m->key.p);
            if (!o || !json_equal(&m->value, o))
                return false;
        }
        return true;
    }
    return false;
}

/* Appends v as compact JSON. */
static void json_print(kiln_buf *b, const kiln_json *v)
{
    switch (v->type) {
    case KILN_JSON_NULL:
        kiln_buf_puts(b, "null");
        break;
    case KILN_JSON_BOOL:
        kiln_buf_puts(b, v->u.boolean ? "true" : "false");
        break;
    case KILN_JSON_NUMBER:
        kiln_buf_append(b, v->u.number.raw.p, v->u.number.raw.n);
        break;
    case KILN_JSON_STRING:
        kiln_json_put_str(b, v->u.string.p, v->u.string.n);
        break;
    case KILN_JSON_ARRAY:
        kiln_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                kiln_buf_putc(b, ',');
            json_print(b, &v->u.array.items[i]);
        }
        kiln_buf_putc(b, ']');
        break;
    case KILN_JSON_OBJECT:
        kiln_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.object.n; i++) {
            const kiln_json_member *m = &v->u.object.items[i];
            if (i)
                kiln_buf_putc(b, ',');
            kiln_json_put_str(b, m->key.p, m->key.n);
            kiln_buf_putc(b, ':');
            json_print(b, &m->value);
        }
        kiln_buf_putc(b, '}');
        break;
    }
}

/* Prints the start of r's body under a failure (what the app said). */
static void show_body(const kiln_tc_response *r)
{
    if (r->body_len)
        printf("      body: %.*s%s\n",
               (int)(r->body_len > 400 ? 400 : r->body_len), r->body,
               r->body_len > 400 ? "..." : "");
}

/* ---- expectations ------------------------------------------------------ */

bool kiln_test_expect_status(kiln_test *t, const char *file, int line,
                             const kiln_tc_response *r, int want)
{
    if (r->status == want)
        return true;
    fail_line(t, file, line, "status: expected %d, got %d", want, r->status);
    show_body(r);
    return false;
}

bool kiln_test_expect_header(kiln_test *t, const char *file, int line,
                             const kiln_tc_response *r, const char *name,
                             const char *want)
{
    const char *got = kiln_tc_header_get(r, name);
    if (!want && !got)
        return true;
    if (want && got && strcmp(want, got) == 0)
        return true;
    fail_line(t, file, line, "header %s: expected %s%s%s, got %s%s%s", name,
              want ? "\"" : "", want ? want : "(none)", want ? "\"" : "",
              got ? "\"" : "", got ? got : "(none)", got ? "\"" : "");
    return false;
}

bool kiln_test_expect_json(kiln_test *t, const char *file, int line,
                           const kiln_tc_response *r, const char *pointer,
                           const char *want)
{
    kiln_json *w = NULL;
    kiln_json_error err;
    if (want && kiln_json_parse(&t->arena, want, strlen(want), 0, &w, &err)) {
        fail_line(t, file, line, "expected value %s is not JSON: %s", want,
                  err.msg);
        return false;
    }
    if (!r->json) {
        fail_line(t, file, line, "%s: expected %s, got no JSON body (%s)",
                  pointer, want ? want : "(none)",
                  r->status ? "status and body below" : "no response");
        show_body(r);
        return false;
    }
    const kiln_json *got = json_at(r->json, pointer);
    if (!want && !got)
        return true;
    if (want && got && json_equal(w, got))
        return true;
    kiln_buf b;
    kiln_buf_init(&b);
    if (got)
        json_print(&b, got);
    fail_line(t, file, line, "%s: expected %s, got %s", pointer,
              want ? want : "(none)", got && b.p ? b.p : "(none)");
    kiln_buf_deinit(&b);
    return false;
}

bool kiln_test_expect(kiln_test *t, const char *file, int line, bool ok,
                      const char *expr)
{
    if (!ok)
        fail_line(t, file, line, "expected %s, got false", expr);
    return ok;
}

/* ---- the databases ----------------------------------------------------- */

/* How each test gets its database (see the top of the file). */
typedef struct test_db {
    bool pg;
    char dir[PATH_MAX]; /* SQLite: the temporary folder */
    char *tmpl;         /* SQLite: the migrated template's bytes */
    size_t tmpl_len;
    kiln_dbc *admin;     /* PostgreSQL: on the configured database */
    char base[PATH_MAX]; /* PostgreSQL: its URL, the name cut off at name */
    size_t name_at;      /* where the database name starts in base */
    char tail[512];      /* PostgreSQL: what follows the name (?options) */
    char tmpl_name[64];  /* PostgreSQL: kiln_test_<pid> */
    bool no_strategy;    /* PostgreSQL before 15: no STRATEGY clause */
    kiln_dbc *work;      /* PostgreSQL: on the working copy (resets) */
    bool remake;         /* PostgreSQL: the working copy must be made again */
    char url[PATH_MAX + 640]; /* the current test's database */
} test_db;

/* Runs the migrations of the project on the database at url. */
static int migrate(const char *url, char *err, size_t errlen)
{
    kiln_dbc *db = kiln_dbc_open(url, err, errlen);
    if (!db)
        return -1;
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/migrations", project_root());
    struct stat st;
    int rc =
        stat(dir, &st) == 0 && S_ISDIR(st.st_mode)
            ? kiln_db_migrate(db, dir, KILN_MIGRATE_APPLY, NULL, err, errlen)
            : kiln_db_migrate_kiln(db, KILN_MIGRATE_APPLY, NULL, err, errlen);
    kiln_dbc_close(db);
    return rc < 0 ? -1 : 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    kiln_buf b;
    kiln_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (kiln_buf_append(&b, chunk, n) != 0)
            break;
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        kiln_buf_deinit(&b);
        return -1;
    }
    *len = b.n;
    *out = kiln_buf_detach(&b);
    return *out ? 0 : -1;
}

/* PostgreSQL: the snapshot of the migrated template and the reset (see
   the top of the file), installed in the template once. The schemas that
   count are every one but the system's and kiln_test; USER_NS(n) says so
   of the pg_namespace row n. */
#define USER_NS(n)                                                             \
    "(" n ".nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', "  \
    "'kiln_test') AND " n ".nspname NOT LIKE 'pg\\_%')"

/* clang-format off */
static const char *const pg_snapshot_sql[] = {
    "CREATE SCHEMA kiln_test",
    "CREATE TABLE kiln_test.tables (ord int, rel regclass, cols text, "
        "n bigint, h bigint, snap text)",
    "CREATE TABLE kiln_test.seqs (seq regclass, lv bigint, called bool)",
    /* changed: DDL ran since the copy was made (the event trigger, when
       the role may make one: a superuser); else the fingerprint h tells */
    "CREATE TABLE kiln_test.state (changed bool, by_trigger bool, h bigint)",
    "INSERT INTO kiln_test.state VALUES (false, false, 0)",

    /* a fingerprint of the schema: relations, columns, functions, types,
       constraints and schemas (TRUNCATE and setval leave it alone) */
    "CREATE FUNCTION kiln_test.shape() RETURNS bigint LANGUAGE sql AS $f$ "
    "SELECT (SELECT coalesce(sum(hashtext(c.oid::text || ' ' || c.relname "
        "|| ' ' || c.relkind::text)), 0) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE " USER_NS("n") ") "
    "+ (SELECT coalesce(sum(hashtext(a.attrelid::text || ' ' || a.attname "
        "|| ' ' || a.atttypid::text || ' ' || a.attnotnull::text "
        "|| a.attisdropped::text || a.atthasdef::text)), 0) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE a.attnum > 0 AND " USER_NS("n") ") "
    "+ (SELECT coalesce(sum(hashtext(p.oid::text || ' ' || p.proname)), 0) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE " USER_NS("n") ") "
    "+ (SELECT coalesce(sum(hashtext(t.oid::text || ' ' || t.typname)), 0) "
        "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE " USER_NS("n") ") "
    "+ (SELECT coalesce(sum(hashtext(o.oid::text || ' ' || o.conname)), 0) "
        "FROM pg_constraint o JOIN pg_namespace n ON n.oid = o.connamespace "
        "WHERE " USER_NS("n") ") "
    "+ (SELECT coalesce(sum(hashtext(n.nspname)), 0) FROM pg_namespace n "
        "WHERE " USER_NS("n") ") "
    "$f$",

    /* the tables in creation order (a foreign key points at an older
       table), each with the rows the migrations left copied aside (the
       columns a row can be inserted with: not generated ones), then the
       sequences' values */
    "DO $d$ DECLARE r record; cnt bigint; hh bigint; i int := 0; cl text; "
    "BEGIN "
    " FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND " USER_NS("n") " ORDER BY c.oid LOOP "
    "  i := i + 1; "
    "  EXECUTE format('SELECT count(*), coalesce(sum(hashtext(t::text)), 0) "
        "FROM %s t', r.rel) INTO cnt, hh; "
    "  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cl "
        "FROM pg_attribute WHERE attrelid = r.rel AND attnum > 0 "
        "AND NOT attisdropped AND attgenerated = ''; "
    "  IF cnt > 0 THEN "
    "   EXECUTE format('CREATE TABLE kiln_test.s%s AS SELECT %s FROM %s', "
        "i, cl, r.rel); "
    "   INSERT INTO kiln_test.tables VALUES (i, r.rel, cl, cnt, hh, "
        "'kiln_test.s' || i); "
    "  ELSE "
    "   INSERT INTO kiln_test.tables VALUES (i, r.rel, cl, 0, 0, NULL); "
    "  END IF; "
    " END LOOP; "
    " FOR r IN SELECT c.oid::regclass AS seq FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'S' AND " USER_NS("n") " LOOP "
    "  EXECUTE format('INSERT INTO kiln_test.seqs SELECT %L::regclass, "
        "last_value, is_called FROM %s', r.seq, r.seq); "
    " END LOOP; "
    "END $d$",

    /* 0: the database is as the migrations left it again; 1: its schema
       changed (the caller makes it again). A table is written when it has
       rows and had none, or its rows' count or hash changed; the written
       ones are emptied, newest first (DELETE: a TRUNCATE makes new files,
       ten times the time for a few rows; TRUNCATE ... CASCADE when a
       foreign key refuses), then every table that had rows and differs
       gets them back, oldest first (a DELETE there cascades only into
       newer tables, checked after it). */
    "CREATE FUNCTION kiln_test.reset() RETURNS int LANGUAGE plpgsql AS $f$ "
    "DECLARE r record; st record; dirty text[] := '{}'; b bool; "
        "cnt bigint; hh bigint; lv bigint; called bool; "
    "BEGIN "
    " SELECT * INTO st FROM kiln_test.state; "
    " IF st.changed OR (NOT st.by_trigger AND kiln_test.shape() <> st.h) "
        "THEN "
    "  RETURN 1; "
    " END IF; "
    " FOR r IN SELECT * FROM kiln_test.tables ORDER BY ord LOOP "
    "  IF r.snap IS NULL THEN "
    "   EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', r.rel) INTO b; "
    "  ELSE "
    "   EXECUTE format('SELECT count(*), coalesce(sum(hashtext(t::text)), 0) "
        "FROM %s t', r.rel) INTO cnt, hh; "
    "   b := cnt <> r.n OR hh <> r.h; "
    "  END IF; "
    "  IF b THEN dirty := dirty || r.rel::text; END IF; "
    " END LOOP; "
    " IF cardinality(dirty) > 0 THEN "
    "  BEGIN "
    "   FOR r IN SELECT * FROM kiln_test.tables WHERE rel::text = ANY(dirty) "
        "ORDER BY ord DESC LOOP "
    "    EXECUTE format('DELETE FROM %s', r.rel); "
    "   END LOOP; "
    "  EXCEPTION WHEN foreign_key_violation THEN "
    "   EXECUTE 'TRUNCATE ' || array_to_string(dirty, ', ') || ' CASCADE'; "
    "  END; "
    "  FOR r IN SELECT * FROM kiln_test.tables WHERE snap IS NOT NULL "
        "ORDER BY ord LOOP "
    "   EXECUTE format('SELECT count(*), coalesce(sum(hashtext(t::text)), 0) "
        "FROM %s t', r.rel) INTO cnt, hh; "
    "   IF cnt <> r.n OR hh <> r.h THEN "
    "    IF cnt > 0 THEN EXECUTE format('DELETE FROM %s', r.rel); END IF; "
    "    EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE "
        "SELECT %s FROM %s', r.rel, r.cols, r.cols, r.snap); "
    "   END IF; "
    "  END LOOP; "
    " END IF; "
    " FOR r IN SELECT * FROM kiln_test.seqs LOOP "
    "  EXECUTE format('SELECT last_value, is_called FROM %s', r.seq) "
        "INTO lv, called; "
    "  IF lv <> r.lv OR called <> r.called THEN "
    "   PERFORM setval(r.seq, r.lv, r.called); "
    "  END IF; "
    " END LOOP; "
    " RETURN 0; "
    "END $f$",

    /* DDL sets changed (one UPDATE per DDL statement: cheaper than the
       fingerprint after every test); a role that may not make event
       triggers leaves by_trigger false */
    "CREATE FUNCTION kiln_test.on_ddl() RETURNS event_trigger "
        "LANGUAGE plpgsql AS $f$ "
    "BEGIN UPDATE kiln_test.state SET changed = true; END $f$",
    "DO $d$ BEGIN "
    " CREATE EVENT TRIGGER kiln_test_ddl ON ddl_command_end "
        "EXECUTE FUNCTION kiln_test.on_ddl(); "
    " UPDATE kiln_test.state SET by_trigger = true; "
    "EXCEPTION WHEN insufficient_privilege THEN NULL; "
    "END $d$",

    /* last: the fingerprint counts everything above */
    "UPDATE kiln_test.state SET h = kiln_test.shape()",
};
/* clang-format on */

/* Installs the snapshot in the migrated template at url. */
static int pg_snapshot(const char *url, char *err, size_t errlen)
{
    kiln_dbc *db = kiln_dbc_open(url, err, errlen);
    if (!db)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < sizeof pg_snapshot_sql / sizeof *pg_snapshot_sql;
         i++)
        if (kiln_db_exec_a(db, pg_snapshot_sql[i], NULL, 0) < 0) {
            snprintf(err, errlen, "the snapshot of the template: %s",
                     kiln_db_errmsg(db));
            rc = -1;
            break;
        }
    kiln_dbc_close(db);
    return rc;
}

/* (Re)makes the working copy kiln_test_<pid>_w from the template and
   connects d->work to it; its URL in d->url. */
static int pg_make_work(test_db *d, char *err, size_t errlen)
{
    if (d->work) {
        kiln_dbc_close(d->work);
        d->work = NULL;
    }
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s_w WITH (FORCE)",
             d->tmpl_name);
    kiln_db_exec_a(d->admin, sql, NULL, 0);
    /* FILE_COPY (PostgreSQL 15+) copies the template's files: three times
       faster than the default (WAL_LOG) for a small database */
    for (;;) {
        snprintf(sql, sizeof sql, "CREATE DATABASE %s_w TEMPLATE %s%s",
                 d->tmpl_name, d->tmpl_name,
                 d->no_strategy ? "" : " STRATEGY FILE_COPY");
        if (kiln_db_exec_a(d->admin, sql, NULL, 0) >= 0)
            break;
        if (!d->no_strategy && strstr(kiln_db_errmsg(d->admin), "syntax")) {
            d->no_strategy = true; /* before 15: the one way there is */
            continue;
        }
        snprintf(err, errlen, "%s: %s", sql, kiln_db_errmsg(d->admin));
        return -1;
    }
    snprintf(d->url, sizeof d->url, "%s%s_w%s", d->base, d->tmpl_name, d->tail);
    if (!(d->work = kiln_dbc_open(d->url, err, errlen)))
        return -1;
    d->remake = false;
    return 0;
}

/* Sets up the template for the database URL of the settings. */
static int test_db_open(test_db *d, const kiln_settings *s, char *err,
                        size_t errlen)
{
    memset(d, 0, sizeof *d);
    const char *set = kiln_settings_str(s, "database.url");
    char url[PATH_MAX + 64];
    if (!set || !*set ||
        kiln_db_url_in(set, project_root(), url, sizeof url) != 0) {
        snprintf(err, errlen, "database.url is empty or too long");
        return -1;
    }
    if (strncmp(url, "postgres://", 11) == 0 ||
        strncmp(url, "postgresql://", 13) == 0) {
        d->pg = true;
        const char *host = strstr(url, "://") + 3;
        const char *slash = strchr(host, '/');
        const char *q = strchr(host, '?');
        if (slash && q && slash > q)
            slash = NULL;
        size_t at = slash ? (size_t)(slash - url)
                    : q   ? (size_t)(q - url)
                          : strlen(url);
        snprintf(d->base, sizeof d->base, "%.*s/", (int)at, url);
        d->name_at = at + 1;
        snprintf(d->tail, sizeof d->tail, "%s", q ? q : "");
        snprintf(d->tmpl_name, sizeof d->tmpl_name, "kiln_test_%ld",
                 (long)getpid());
        if (!(d->admin = kiln_dbc_open(url, err, errlen)))
            return -1;
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
                 d->tmpl_name);
        kiln_db_exec_a(d->admin, sql, NULL, 0);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", d->tmpl_name);
        if (kiln_db_exec_a(d->admin, sql, NULL, 0) < 0) {
            snprintf(err, errlen, "cannot create the template database %s: %s",
                     d->tmpl_name, kiln_db_errmsg(d->admin));
            return -1;
        }
        snprintf(d->url, sizeof d->url, "%s%s%s", d->base, d->tmpl_name,
                 d->tail);
        if (migrate(d->url, err, errlen) != 0 ||
            pg_snapshot(d->url, err, errlen) != 0)
            return -1;
        return pg_make_work(d, err, errlen);
    }
    if (strncmp(url, "sqlite:", 7) != 0) {
        snprintf(err, errlen, "database.url: not sqlite:// or postgres://");
        return -1;
    }
    /* throwaway files: in memory (/dev/shm) when the system has it, where
       SQLite's syncs cost nothing (a third of the time of a test on disk) */
    const char *tmp = getenv("TMPDIR");
    if (access("/dev/shm", W_OK | X_OK) == 0)
        tmp = "/dev/shm";
    snprintf(d->dir, sizeof d->dir, "%s/kiln-test-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(d->dir)) {
        snprintf(err, errlen, "cannot create a folder in %.512s: %s",
                 tmp && *tmp ? tmp : "/tmp", strerror(errno));
        d->dir[0] = '\0';
        return -1;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/template.db", d->dir);
    snprintf(d->url, sizeof d->url, "sqlite://%s", path);
    if (migrate(d->url, err, errlen) != 0)
        return -1;
    if (read_file(path, &d->tmpl, &d->tmpl_len) != 0) {
        snprintf(err, errlen, "cannot read %.512s: %s", path, strerror(errno));
        return -1;
    }
    unlink(path);
    return 0;
}

/* Removes the SQLite file path and its journals. */
static void sqlite_unlink(const char *path)
{
    char p[PATH_MAX + 48];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

/* Makes the database of test number i; its URL in d->url. */
static int test_db_make(test_db *d, int i, char *err, size_t errlen)
{
    if (d->pg) /* the working copy, made again when the last reset said so */
        return d->remake ? pg_make_work(d, err, errlen) : 0;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/t%d.db", d->dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t off = 0;
    while (fd >= 0 && off < d->tmpl_len) {
        ssize_t w = write(fd, d->tmpl + off, d->tmpl_len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (fd < 0 || off < d->tmpl_len) {
        snprintf(err, errlen, "cannot write %.512s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    snprintf(d->url, sizeof d->url, "sqlite://%s", path);
    return 0;
}

/* Removes the database of test number i (its pool is closed). */
static void test_db_drop(test_db *d, int i)
{
    kiln_auth_forget_all(); /* the next test's ids name other users */
    if (d->pg) {
        /* back to the template's state; 1: the schema changed */
        int64_t changed = 1;
        if (kiln_db_scalar_int(d->work, &changed, "SELECT kiln_test.reset()") !=
                0 ||
            changed != 0)
            d->remake = true;
        kiln_dbc_reset(d->work);
        return;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/t%d.db", d->dir, i);
    sqlite_unlink(path);
}

static void test_db_close(test_db *d)
{
    if (d->work)
        kiln_dbc_close(d->work);
    if (d->admin) {
        char sql[160];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s_w WITH (FORCE)",
                 d->tmpl_name);
        kiln_db_exec_a(d->admin, sql, NULL, 0);
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)",
                 d->tmpl_name);
        kiln_db_exec_a(d->admin, sql, NULL, 0);
        kiln_dbc_close(d->admin);
    }
    if (d->dir[0]) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/template.db", d->dir);
        sqlite_unlink(path);
        rmdir(d->dir);
    }
    free(d->tmpl);
    memset(d, 0, sizeof *d);
}

/* ---- the runner -------------------------------------------------------- */

static int cmp_case(const void *a, const void *b)
{
    const kiln_test_case *x = *(const kiln_test_case *const *)a;
    const kiln_test_case *y = *(const kiln_test_case *const *)b;
    int c = strcmp(x->file, y->file);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Runs test c (number i) on its own database and cache; true: it passed. */
static bool run_one(const kiln_test_case *c, int i, project_run *pr, test_db *d,
                    const kiln_server_opts *o)
{
    char err[1024];
    kiln_test t = {.tc = c};
    kiln_arena_init(&t.arena, 16384);
    kiln_db_pool *pool = NULL;
    kiln_cache *cache = NULL;
    bool made = test_db_make(d, i, err, sizeof err) == 0;
    if (made)
        pool = kiln_db_pool_new(d->url,
                                (int)kiln_settings_int(pr->s, "database.pool"),
                                err, sizeof err);
    if (pool)
        cache = project_cache_open(pr->s, err, sizeof err);
    if (cache)
        t.w = testreq_begin(pr->app, o);
    if (!t.w) {
        printf("    %s:%d: cannot set the test up: %s\n", c->file, c->line,
               cache ? "no test worker" : err);
        t.failures++;
    } else {
        kiln_db_set_default(pool);
        kiln_cache_set_default(cache);
        c->fn(&t);
        testreq_end(t.w);
    }
    kiln_cache_set_default(NULL);
    kiln_cache_free(cache);
    kiln_db_set_default(NULL);
    kiln_db_pool_free(pool);
    if (made)
        test_db_drop(d, i);
    kiln_arena_deinit(&t.arena);
    printf("%s - %s\n", t.failures ? "not ok" : "ok", c->name);
    fflush(stdout);
    return t.failures == 0;
}

int kiln_project_test_main(const struct kiln_project *p, int argc, char **argv)
{
    /* -k NAME is ours; the rest goes to the settings */
    const char *only = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest)
        return 2;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (i > 0 && strncmp(argv[i], "-k=", 3) == 0)
            only = argv[i] + 3;
        else
            rest[nrest++] = argv[i];
    }
    size_t n = 0;
    for (kiln_test_case *c = g_tests; c; c = c->next)
        n += !only || strstr(c->name, only);
    const kiln_test_case **cases = calloc(n + 1, sizeof *cases);
    if (!cases) {
        free(rest);
        return 2;
    }
    n = 0;
    for (kiln_test_case *c = g_tests; c; c = c->next)
        if (!only || strstr(c->name, only))
            cases[n++] = c;
    qsort(cases, n, sizeof *cases, cmp_case);

    project_run pr;
    int rc = project_open(p, nrest, rest, true, &pr);
    if (rc != 0) {
        free(cases);
        free(rest);
        return rc < 0 ? 0 : rc;
    }
    if ((rc = tc_routes(pr.app)) != 0) {
        fprintf(stderr, "error: the test routes: %s\n", kiln_strerror(rc));
        project_close(&pr);
        free(cases);
        free(rest);
        return 2;
    }
    char err[1024];
    test_db d;
    if (test_db_open(&d, pr.s, err, sizeof err) != 0) {
        fprintf(stderr, "error: the test database: %s\n", err);
        test_db_close(&d);
        project_close(&pr);
        free(cases);
        free(rest);
        return 2;
    }
    kiln_server_opts o;
    kiln_server_opts_default(&o);
    kiln_settings_server_opts(pr.s, &o);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (run_one(cases[i], (int)i, &pr, &d, &o))
            passed++;
        else
            failed++;
    }
    if (n == 0)
        printf("no test%s%s%s\n", only ? " matches -k " : " in tests/",
               only ? only : "", only ? "" : " (KILN_TEST(name) { ... })");
    printf("%d passed, %d failed\n", passed, failed);
    test_db_close(&d);
    project_close(&pr);
    free(cases);
    free(rest);
    return failed || n == 0 ? 1 : 0;
}
