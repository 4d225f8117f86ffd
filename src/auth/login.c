/*
 * auth/login.c - logging in: kiln_authenticate, the JSON endpoints
 * POST /api/auth/login and /api/auth/logout, and the server-rendered page
 * GET/POST /login, which an app replaces by having its own
 * pages/login.html (then the form it renders still posts here, and errors
 * come back as flash messages). auth_register routes them all, and the
 * token endpoints of me.c, unless the app routes the same method and path.
 */
#include "auth/auth_impl.h"
#include "auth/cred_cache.h"
#include "kiln/project.h"
#include "kiln/session.h"
#include "kiln/tpl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int kiln_authenticate(kiln_ctx *c, kiln_str login, kiln_str password,
                      const kiln_user **out, int64_t *retry_after_s)
{
    *out = NULL;
    if (retry_after_s)
        *retry_after_s = 0;
    int64_t retry = 0;
    if (auth_throttle_check(c, login, &retry) != 0) {
        if (retry_after_s)
            *retry_after_s = retry;
        return KILN_ELIMIT;
    }
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    auth_cost cost = auth_cost_of(kiln_project_settings());
    kiln_user *u = NULL;
    const char *hash = "";
    int rc = login.n
                 ? auth_user_find_login(db, kiln_ctx_arena(c), login, &u, &hash)
                 : KILN_ENOTFOUND;
    if (rc != 0 && rc != KILN_ENOTFOUND)
        return rc;
    /* an unknown login, an account without a password and an inactive one
       are checked against the dummy hash: the same time as a wrong
       password, and never a match */
    if (!u || !u->active)
        hash = "";
    bool ok = false, rehash = false;
    rc = auth_password_verify(hash, password.p ? password.p : "", password.n,
                              cost, &ok, &rehash);
    if (rc != 0)
        return rc;
    if (!ok) {
        auth_throttle_fail(c, login);
        return KILN_ENOTFOUND;
    }
    auth_throttle_reset(c, login);
    if (rehash) {
        char nh[AUTH_HASH_MAX];
        if (auth_password_hash(password.p, password.n, cost, nh) == 0 &&
            auth_user_set_hash(db, u->id, nh) < 0)
            kiln_log(KILN_LOG_WARN,
                     "login: cannot store the upgraded hash "
                     "of user %lld: %s",
                     (long long)u->id, kiln_db_errmsg(db));
    }
    if (auth_user_touch_login(db, u->id) == 0)
        u->last_login = auth_now_ms();
    *out = u;
    return 0;
}

/* The {login, password} of a JSON or form body. *json tells which. */
static void read_credentials(kiln_ctx *c, kiln_str *login, kiln_str *pw,
                             bool *json, bool *bad)
{
    *login = *pw = KILN_STR_NULL;
    *bad = false;
    kiln_str ct = kiln_header(c, "Content-Type");
    *json =
        ct.p && ct.n >= 16 && strncasecmp(ct.p, "application/json", 16) == 0;
    if (*json) {
        const kiln_json *in = kiln_body_json(c, NULL);
        if (!in || in->type != KILN_JSON_OBJECT) {
            *bad = true;
            return;
        }
        const kiln_json *l = kiln_json_get(in, "login");
        const kiln_json *p = kiln_json_get(in, "password");
        if (!l)
            l = kiln_json_get(in, "username");
        if (!l)
            l = kiln_json_get(in, "email");
        if (l && l->type == KILN_JSON_STRING)
            *login = l->u.string;
        if (p && p->type == KILN_JSON_STRING)
            *pw = p->u.string;
        return;
    }
    *login = kiln_form(c, "login");
    if (!login->p)
        *login = kiln_form(c, "username");
    if (!login->p)
        *login = kiln_form(c, "email");
    *pw = kiln_form(c, "password");
}

static int too_many(kiln_ctx *c, int64_t retry)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)(retry > 0 ? retry : 1));
    kiln_set_header(c, "Retry-After", v);
    return kiln_problem(c, 429,
                        "too many failed logins: try again in %s seconds", v);
}

static int login_api(kiln_ctx *c)
{
    /* login CSRF: a forged form must not log the victim in as another */
    int crc = kiln_csrf_check(c);
    if (crc != 0)
        return crc > 0 ? 0 : crc;
    kiln_str login, pw;
    bool json, bad;
    read_credentials(c, &login, &pw, &json, &bad);
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    if (bad)
        kiln_errors_add(&errs, "", "invalid_json",
                        "the body must be a JSON object");
    else {
        if (!login.p || !login.n)
            kiln_errors_add(&errs, "/login", "required",
                            "a username or an email is required");
        if (!pw.p || !pw.n)
            kiln_errors_add(&errs, "/password", "required",
                            "a password is required");
    }
    if (kiln_errors_any(&errs))
        return kiln_problem_errors(c, 422, &errs, NULL);
    const kiln_user *u;
    int64_t retry;
    int rc = kiln_authenticate(c, login, pw, &u, &retry);
    if (rc == KILN_ELIMIT)
        return too_many(c, retry);
    if (rc == KILN_ENOTFOUND) {
        kiln_set_header(c, "WWW-Authenticate", "Bearer");
        return kiln_problem(c, 401, "the login or the password is wrong");
    }
    if (rc != 0)
        return kiln_db_fail(c, kiln_db(c));
    if (kiln_session_login(c, u->id) != 0)
        return kiln_problem(c, 500, "the session could not be started");
    kiln_buf *b = kiln_body_buf(c);
    if (auth_user_json(c, u, b) != 0)
        return KILN_ENOMEM;
    kiln_set_status(c, 200);
    kiln_set_type(c, "application/json");
    kiln_set_header(c, "Cache-Control", "no-store");
    return kiln_send(c);
}

static int logout_api(kiln_ctx *c)
{
    kiln_session_logout(c);
    return kiln_respond(c, 204, NULL, "", 0);
}

/* ---- the login page ----------------------------------------------------- */

bool auth_next_ok(const char *next)
{
    /* a path on this site only: "/x", never "//host", "/\host" (browsers
       read a backslash as a slash), a scheme, or a control byte */
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\')
        return false;
    for (const unsigned char *p = (const unsigned char *)next; *p; p++)
        if (*p < 0x20 || *p == 0x7F || *p == '\\')
            return false;
    return true;
}

static const char *next_of(kiln_ctx *c, kiln_str raw)
{
    const kiln_settings *s = kiln_project_settings();
    const char *def = s ? kiln_settings_str(s, "auth.login_redirect") : "/";
    if (!def || !*def)
        def = "/";
    if (!raw.p || !raw.n || raw.n > 2000)
        return def;
    char *n = kiln_arena_strndup(kiln_ctx_arena(c), raw.p, raw.n);
    return n && auth_next_ok(n) ? n : def;
}

static void esc(kiln_buf *b, const char *s)
{
    kiln_html_escape(b, s, strlen(s));
}

static int login_page(kiln_ctx *c, int status, const char *error,
                      kiln_str login, const char *next)
{
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    kiln_buf_puts(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
                     "<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, "
                     "initial-scale=1\">\n<title>Log in</title>\n"
                     "<style>body{font:16px/1.5 system-ui,sans-serif;"
                     "max-width:22rem;margin:4rem auto;padding:0 1rem}"
                     "label,input,button{display:block;width:100%;"
                     "box-sizing:border-box}input{margin:.2rem 0 1rem;"
                     "padding:.4rem}button{padding:.5rem}"
                     ".error{color:#b00020}</style>\n</head>\n<body>\n"
                     "<h1>Log in</h1>\n");
    if (error) {
        kiln_buf_puts(b, "<p class=\"error\" role=\"alert\">");
        esc(b, error);
        kiln_buf_puts(b, "</p>\n");
    }
    kiln_buf_puts(b, "<form method=\"post\" action=\"/login\">\n");
    kiln_str t = kiln_csrf_token(c);
    if (t.p) {
        kiln_buf_puts(b, "<input type=\"hidden\" name=\"csrf_token\" "
                         "value=\"");
        kiln_html_escape(b, t.p, t.n);
        kiln_buf_puts(b, "\">\n");
    }
    kiln_buf_puts(b, "<input type=\"hidden\" name=\"next\" value=\"");
    esc(b, next);
    kiln_buf_puts(b, "\">\n<label for=\"login\">Username or email</label>\n"
                     "<input id=\"login\" name=\"login\" "
                     "autocomplete=\"username\" required autofocus value=\"");
    if (login.p)
        kiln_html_escape(b, login.p, login.n);
    kiln_buf_puts(b, "\">\n<label for=\"password\">Password</label>\n"
                     "<input id=\"password\" name=\"password\" "
                     "type=\"password\" autocomplete=\"current-password\" "
                     "required>\n<button type=\"submit\">Log in</button>\n"
                     "</form>\n</body>\n</html>\n");
    kiln_set_status(c, status);
    kiln_set_type(c, "text/html; charset=utf-8");
    kiln_set_header(c, "Cache-Control", "no-store");
    return kiln_send(c);
}

static int login_get(kiln_ctx *c)
{
    const char *next = next_of(c, kiln_query(c, "next"));
    if (kiln_user_current(c))
        return kiln_redirect(c, 303, next);
    return login_page(c, 200, NULL, KILN_STR_NULL, next);
}

static bool g_app_login_page; /* the app has its own GET /login */

/* A failed POST /login: our page again with the error, or, when the page
   is the app's, a flash message and a redirect back to it. */
static int login_failed(kiln_ctx *c, int status, const char *error,
                        kiln_str login, const char *next)
{
    if (!g_app_login_page)
        return login_page(c, status, error, login, next);
    kiln_flash(c, "error", "%s", error);
    char *to = kiln_arena_printf(kiln_ctx_arena(c), "/login?next=%s", next);
    return kiln_redirect(c, 303, to ? to : "/login");
}

static int login_post(kiln_ctx *c)
{
    int crc = kiln_csrf_check(c); /* login CSRF, as for the JSON login */
    if (crc != 0)
        return crc > 0 ? 0 : crc;
    kiln_str login = kiln_form(c, "login");
    if (!login.p)
        login = kiln_form(c, "username");
    kiln_str pw = kiln_form(c, "password");
    const char *next = next_of(c, kiln_form(c, "next"));
    if (!login.p || !login.n || !pw.p || !pw.n)
        return login_failed(c, 422, "Enter your username and your password.",
                            login, next);
    const kiln_user *u;
    int64_t retry;
    int rc = kiln_authenticate(c, login, pw, &u, &retry);
    if (rc == KILN_ELIMIT) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)(retry > 0 ? retry : 1));
        kiln_set_header(c, "Retry-After", v);
        return login_failed(c, 429,
                            "Too many failed attempts: wait a moment and try "
                            "again.",
                            login, next);
    }
    if (rc == KILN_ENOTFOUND)
        return login_failed(c, 200, "The username or the password is wrong.",
                            login, next);
    if (rc != 0)
        return kiln_db_fail(c, kiln_db(c));
    if (kiln_session_login(c, u->id) != 0)
        return kiln_problem(c, 500, "the session could not be started");
    return kiln_redirect(c, 303, next);
}

/* POST /logout, the form a page's "Log out" button posts (with
   csrf_input()): ends the session and goes to ?next= or the home page. */
static int logout_post(kiln_ctx *c)
{
    kiln_session_logout(c);
    kiln_str n = kiln_form(c, "next");
    const char *next = "/";
    if (n.p) {
        char *t = kiln_arena_strndup(kiln_ctx_arena(c), n.p, n.n);
        if (t && strlen(t) == n.n && auth_next_ok(t))
            next = t;
    }
    return kiln_redirect(c, 303, next);
}

/* ---- routes ------------------------------------------------------------- */

const auth_route auth_routes[] = {
    {"POST", "/api/auth/login", "api.auth.login", login_api},
    {"POST", "/api/auth/logout", "api.auth.logout", logout_api},
    {"GET", "/api/auth/me", "api.auth.me", auth_me},
    {"GET", "/api/auth/tokens", "api.auth.tokens", auth_tokens_list},
    {"POST", "/api/auth/tokens", "api.auth.tokens", auth_tokens_create},
    {"DELETE", "/api/auth/tokens/{id}", "api.auth.tokens.id",
     auth_tokens_delete},
    {"GET", "/login", "login", login_get},
    {"POST", "/login", "login", login_post},
    {"POST", "/logout", "logout", logout_post},
};
const size_t auth_nroutes = sizeof auth_routes / sizeof auth_routes[0];

static bool app_routes(const kiln_route_def *routes, size_t n,
                       const char *method, const char *pattern)
{
    for (size_t i = 0; i < n; i++) {
        const char *m =
            strcmp(routes[i].method, "WS") == 0 ? "GET" : routes[i].method;
        if (strcmp(m, method) == 0 && strcmp(routes[i].pattern, pattern) == 0)
            return true;
    }
    return false;
}

int auth_register(kiln_app *app, const kiln_route_def *routes, size_t n)
{
    auth_identity_init();
    cred_cache_setup(kiln_project_settings());
    auth_password_warm(auth_cost_of(kiln_project_settings()));
    g_app_login_page = app_routes(routes, n, "GET", "/login");
    for (size_t i = 0; i < auth_nroutes; i++) {
        const auth_route *r = &auth_routes[i];
        if (app_routes(routes, n, r->method, r->pattern))
            continue;
        int rc = kiln_route(app, r->method, r->pattern, r->fn);
        if (rc != 0) {
            fprintf(stderr, "cannot route %s %s: %s\n", r->method, r->pattern,
                    kiln_strerror(rc));
            return rc;
        }
    }
    return 0;
}
