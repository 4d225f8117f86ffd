/*
 * auth/csrf.c - cross-site request forgery: the check run before the
 * handler of every unsafe request, and the tokens of forms and fetch.
 *
 * The server calls csrf_guard (kiln_app.guard) before the handler of each
 * request whose method is not GET, HEAD, OPTIONS or TRACE; a GET costs the
 * server a switch on the method's length and nothing here. The guard
 * passes a request that
 *
 *   - sends Authorization: Bearer (a script or SPA holding a token: a
 *     browser never adds one to a forged request), or
 *   - carries no session cookie (nothing of the user's to ride on), or
 *   - goes to a route exempted with kiln_csrf_exempt (a webhook),
 *
 * and otherwise checks, as Django does, in order:
 *
 *   1. csrf_origin: the Origin field (or, absent, the Referer's origin)
 *      is the app's own (the Host, with https when security.behind_tls)
 *      or one of csrf.trusted_origins. Origin "null" fails. Neither field
 *      fails on https (browsers send one there; a stripped one is
 *      suspicious) and passes on plain http (old clients).
 *   2. csrf_missing: an X-CSRF-Token field (fetch, HTMX: hx-headers) or a
 *      csrf_token field of a form body carries a token;
 *   3. csrf_mismatch: the token unmasks to the session's CSRF secret.
 *
 * Tokens are masked per use (csrf_token_mask): 32 random bytes, then
 * those XOR the secret, base64url. Each page shows a different string, so
 * a compressed response that reflects attacker input (BREACH) cannot be
 * used to guess it byte by byte, and every token of a session stays valid
 * while the session lives. Comparison is constant-time (sodium_memcmp).
 *
 * A failure answers 403: problem+json with "code" naming the check, or the
 * app's HTML error page for a browser (app/errpage.c decides).
 */
#include "auth/session_impl.h"

#include "server/worker.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- pure pieces ------------------------------------------------------- */

void csrf_token_mask(const uint8_t secret[SESSION_ID_BYTES],
                     const uint8_t pad[SESSION_ID_BYTES],
                     char out[CSRF_TOKEN_CHARS + 1])
{
    uint8_t raw[2 * SESSION_ID_BYTES];
    for (size_t i = 0; i < SESSION_ID_BYTES; i++) {
        raw[i] = pad[i];
        raw[SESSION_ID_BYTES + i] = pad[i] ^ secret[i];
    }
    session_b64_encode(raw, sizeof raw, out);
}

bool csrf_token_check(kiln_str token, const uint8_t secret[SESSION_ID_BYTES])
{
    uint8_t raw[2 * SESSION_ID_BYTES], got[SESSION_ID_BYTES];
    if (session_b64_decode(token, raw, sizeof raw) != 0)
        return false;
    for (size_t i = 0; i < SESSION_ID_BYTES; i++)
        got[i] = raw[i] ^ raw[SESSION_ID_BYTES + i];
    return sodium_memcmp(got, secret, SESSION_ID_BYTES) == 0;
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

int csrf_origin_of(kiln_str v, char *out, size_t n)
{
    size_t slen;
    bool https;
    if (v.n >= 8 && strncasecmp(v.p, "https://", 8) == 0) {
        slen = 8;
        https = true;
    } else if (v.n >= 7 && strncasecmp(v.p, "http://", 7) == 0) {
        slen = 7;
        https = false;
    } else {
        return KILN_EINVAL; /* "null", another scheme, garbage */
    }
    size_t end = slen;
    while (end < v.n && v.p[end] != '/' && v.p[end] != '?' && v.p[end] != '#')
        end++;
    kiln_str auth = {v.p + slen, end - slen};
    if (memchr(auth.p, '@', auth.n))
        return KILN_EINVAL; /* userinfo has no place in an origin */
    /* the port: after the last ':' unless inside an IPv6 literal */
    size_t hn = auth.n;
    kiln_str port = KILN_STR_NULL;
    for (size_t i = auth.n; i > 0; i--) {
        if (auth.p[i - 1] == ']')
            break;
        if (auth.p[i - 1] == ':') {
            hn = i - 1;
            port = (kiln_str){auth.p + i, auth.n - i};
            break;
        }
    }
    if (hn == 0)
        return KILN_EINVAL;
    /* a host as browsers send it: a name (letters, digits, - . _ ~ and
       percent escapes) or an IPv6 literal in brackets */
    bool v6 = auth.p[0] == '[';
    if (v6 && (hn < 3 || auth.p[hn - 1] != ']'))
        return KILN_EINVAL;
    for (size_t i = v6; i < hn - v6; i++) {
        unsigned char ch = (unsigned char)auth.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') ||
                  (v6 ? ch == ':' || ch == '.'
                      : ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
                            ch == '%');
        if (!ok)
            return KILN_EINVAL;
    }
    long pv = -1;
    if (port.p) {
        if (port.n == 0 || port.n > 5)
            return KILN_EINVAL;
        pv = 0;
        for (size_t i = 0; i < port.n; i++) {
            if (port.p[i] < '0' || port.p[i] > '9')
                return KILN_EINVAL;
            pv = pv * 10 + (port.p[i] - '0');
        }
        if (pv > 65535)
            return KILN_EINVAL;
        if (pv == (https ? 443 : 80))
            pv = -1;
    }
    if (slen + hn + 7 > n)
        return KILN_EINVAL;
    size_t o = 0;
    memcpy(out, https ? "https://" : "http://", slen);
    o = slen;
    for (size_t i = 0; i < hn; i++)
        out[o++] = lower(auth.p[i]);
    if (pv >= 0)
        o += (size_t)snprintf(out + o, n - o, ":%ld", pv);
    out[o] = '\0';
    return 0;
}

/* True when origin's host is a subdomain of pattern's "*.suffix" host,
   with the same scheme. */
static bool wild_match(const char *origin, const char *pattern)
{
    const char *star = strstr(pattern, "://*.");
    if (!star)
        return false;
    size_t sl = (size_t)(star - pattern) + 3; /* "https://" */
    if (strncmp(origin, pattern, sl) != 0)
        return false;
    const char *suffix = star + 4; /* ".example.com" */
    size_t on = strlen(origin), xn = strlen(suffix);
    return on > sl + xn && strcmp(origin + on - xn, suffix) == 0;
}

bool csrf_origin_ok(const char *origin, kiln_str host, bool https,
                    char *const *trusted, size_t ntrusted)
{
    char own[300];
    kiln_str url = {own, 0};
    int w = snprintf(own, sizeof own, "%s://%.*s", https ? "https" : "http",
                     (int)host.n, host.p);
    url.n = w > 0 && (size_t)w < sizeof own ? (size_t)w : 0;
    char self[300];
    if (host.n && url.n && csrf_origin_of(url, self, sizeof self) == 0 &&
        strcmp(origin, self) == 0)
        return true;
    for (size_t i = 0; i < ntrusted; i++)
        if (strcmp(origin, trusted[i]) == 0 || wild_match(origin, trusted[i]))
            return true;
    return false;
}

/* ---- the guard ---------------------------------------------------------- */

int kiln_csrf_exempt(kiln_app *app, const char *method, const char *pattern)
{
    auth_conf *a = auth_conf_get(app);
    if (!a || !method || !pattern)
        return a ? KILN_EINVAL : KILN_ENOMEM;
    csrf_exempt_route *e =
        realloc(a->exempt, (a->nexempt + 1) * sizeof *a->exempt);
    if (!e)
        return KILN_ENOMEM;
    a->exempt = e;
    e[a->nexempt].method = strdup(method);
    e[a->nexempt].pattern = strdup(pattern);
    if (!e[a->nexempt].method || !e[a->nexempt].pattern) {
        free(e[a->nexempt].method);
        free(e[a->nexempt].pattern);
        return KILN_ENOMEM;
    }
    a->nexempt++;
    return 0;
}

static bool exempt(kiln_ctx *c, const auth_conf *a)
{
    const char *pattern = kiln_route_pattern(c);
    if (!pattern)
        return false;
    kiln_str m = kiln_method(c);
    for (size_t i = 0; i < a->nexempt; i++)
        if (strcmp(a->exempt[i].pattern, pattern) == 0 &&
            (strcmp(a->exempt[i].method, "*") == 0 ||
             kiln_str_eq(m, kiln_str_c(a->exempt[i].method))))
            return true;
    return false;
}

/* Answers the failed check code: the HTML error page for a browser that
   wants one, else problem+json naming it. Returns 1 (answered) or an
   error. */
static int fail(kiln_ctx *c, const char *code, const char *detail)
{
    kiln_log(KILN_LOG_INFO, "%s: %.*s %s refused: %s (%s)", kiln_request_id(c),
             (int)kiln_method(c).n, kiln_method(c).p, kiln_path(c).p, code,
             detail);
    if (respond_error_page(c, 403, detail))
        return 1;
    kiln_buf *b = kiln_body_buf(c);
    kiln_buf_clear(b);
    int rc = kiln_json_format(b,
                              "{type:%s,title:%s,status:%d,detail:%s,code:%s,"
                              "instance:%S,request_id:%s}",
                              "about:blank", "Forbidden", 403, detail, code,
                              kiln_path(c), kiln_request_id(c));
    if (rc == 0) {
        kiln_set_status(c, 403);
        kiln_set_type(c, "application/problem+json");
        rc = kiln_send(c);
    }
    return rc < 0 ? rc : 1;
}

/* The token the request sends: X-CSRF-Token, else a form's csrf_token. */
static kiln_str sent_token(kiln_ctx *c)
{
    kiln_str t = kiln_header(c, "X-CSRF-Token");
    if (t.p)
        return t;
    kiln_str ct = kiln_header(c, "Content-Type");
    if (!ct.p ||
        !(ct.n >= 19 && (strncasecmp(ct.p, "multipart/form-data", 19) == 0 ||
                         (ct.n >= 33 && strncasecmp(ct.p,
                                                    "application/x-www-form-"
                                                    "urlencoded",
                                                    33) == 0))))
        return KILN_STR_NULL;
    return kiln_form(c, "csrf_token");
}

/* Both checks on c, whatever its cookie; see the top of the file. */
static int check(kiln_ctx *c, bool need_token)
{
    const auth_conf *a = auth_conf_of(c);
    kiln_str o = kiln_header(c, "Origin");
    const char *which = "Origin";
    if (!o.p) {
        o = kiln_header(c, "Referer");
        which = "Referer";
    }
    if (!o.p) {
        if (a->https)
            return fail(c, "csrf_origin",
                        "The request has neither Origin nor Referer: an "
                        "https form must name where it comes from.");
    } else {
        char origin[300];
        if (csrf_origin_of(o, origin, sizeof origin) != 0 ||
            !csrf_origin_ok(origin, c->req.host, a->https, a->trusted,
                            a->ntrusted)) {
            char *d = kiln_arena_printf(
                &c->arena,
                "The request comes from another site (%s %.*s); a form "
                "or script of this site, or of csrf.trusted_origins, may "
                "send it.",
                which, (int)(o.n > 120 ? 120 : o.n), o.p);
            return fail(c, "csrf_origin",
                        d ? d : "The request comes from another site.");
        }
    }
    if (!need_token)
        return 0;
    kiln_str t = sent_token(c);
    if (kiln_responded(c))
        return 1; /* reading the form failed and answered */
    if (!t.p || !t.n)
        return fail(c, "csrf_missing",
                    "The request carries no CSRF token: send it in the "
                    "X-CSRF-Token header or the csrf_token form field.");
    const uint8_t *secret;
    int rc = session_csrf_secret(c, false, &secret);
    if (rc != 0 && rc != KILN_ENOTFOUND)
        return kiln_responded(c) ? 1 : rc;
    if (rc == KILN_ENOTFOUND || !csrf_token_check(t, secret))
        return fail(c, "csrf_mismatch",
                    rc == KILN_ENOTFOUND
                        ? "The CSRF token belongs to a session that has "
                          "ended: reload the page and send it again."
                        : "The CSRF token does not match this session: "
                          "reload the page and send it again.");
    return 0;
}

int csrf_guard(kiln_ctx *c)
{
    kiln_str auth = kiln_header(c, "Authorization");
    if (auth.p && auth.n >= 7 && strncasecmp(auth.p, "Bearer ", 7) == 0)
        return 0;
    const auth_conf *a = auth_conf_of(c);
    if (!session_cookie_sent(c) || exempt(c, a))
        return 0;
    return check(c, true);
}

int kiln_csrf_check(kiln_ctx *c)
{
    return check(c, session_cookie_sent(c));
}

kiln_str kiln_csrf_token(kiln_ctx *c)
{
    const uint8_t *secret;
    int rc = session_csrf_secret(c, true, &secret);
    if (rc != 0) {
        kiln_log(KILN_LOG_ERROR, "%s: no CSRF token: %s", kiln_request_id(c),
                 kiln_strerror(rc));
        return KILN_STR_NULL;
    }
    uint8_t pad[SESSION_ID_BYTES];
    session_rand(pad, sizeof pad);
    char *out = kiln_arena_alloc(&c->arena, CSRF_TOKEN_CHARS + 1);
    if (!out)
        return KILN_STR_NULL;
    csrf_token_mask(secret, pad, out);
    return (kiln_str){out, CSRF_TOKEN_CHARS};
}
