/*
 * auth/oidc_flow.c - logging in through the OpenID provider with the
 * Authorization Code flow, PKCE (S256), state and nonce, for
 * server-rendered pages and backend-for-frontend SPAs: the browser only
 * ever holds the session cookie; the tokens stay in the session
 * (kiln/session.h), server-side.
 *
 *   GET  /auth/oidc/login?next=/path   state, nonce and a PKCE verifier
 *        into the session, 302 to the provider's authorization endpoint
 *   GET  /auth/oidc/callback           state checked (once), the code
 *        exchanged (with the verifier and the client's secret), the ID
 *        token verified (iss, aud = client_id, nonce, signature by the
 *        provider's keys), the user synced, a new session id
 *        (kiln_session_login), 303 to next
 *   POST /auth/oidc/logout             the session ended, 303 to the
 *        provider's end_session_endpoint (RP-initiated logout) with the
 *        ID token as a hint
 *
 * kiln_oidc_access_token gives a handler the user's access token,
 * refreshed with the refresh token when it has less than a minute left.
 *
 * Session keys: oidc.state, oidc.nonce, oidc.verifier, oidc.next (the
 * login in progress; emptied by the callback), oidc.at, oidc.rt,
 * oidc.exp (ms since the epoch), oidc.idt.
 */
#include "auth/oidc.h"

#include "auth/auth_impl.h"
#include "auth/user.h"
#include "fetch/fetch_impl.h"
#include "kiln/oidc.h"
#include "kiln/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long before its expiry an access token is refreshed. */
#define OIDC_REFRESH_EARLY_MS 60000

static struct {
    const oidc_flow_cfg *cfg;
} fl;

/* ---- small helpers --------------------------------------------------------
 */

/* Appends s percent-encoded (everything but RFC 3986's unreserved). */
static int put_enc(kiln_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int rc;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
            ch == '~')
            rc = kiln_buf_putc(b, (char)ch);
        else
            rc = kiln_buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
        if (rc)
            return rc;
    }
    return 0;
}

/* "&name=value" (value encoded); the first one without '&' when b is
   empty. */
static int put_param(kiln_buf *b, const char *name, const char *value)
{
    if ((b->n && kiln_buf_putc(b, '&')) || kiln_buf_puts(b, name) ||
        kiln_buf_putc(b, '='))
        return KILN_ENOMEM;
    return put_enc(b, value);
}

static bool same(kiln_str a, kiln_str b)
{
    if (!a.p || !b.p || a.n != b.n || a.n == 0)
        return false;
    unsigned char d = 0;
    for (size_t i = 0; i < a.n; i++)
        d |= (unsigned char)(a.p[i] ^ b.p[i]);
    return d == 0;
}

/* A ?next= that stays on this site: "/x", never "//host" or "/\host". */
static bool local_path(kiln_str s)
{
    if (s.n == 0 || s.p[0] != '/' ||
        (s.n > 1 && (s.p[1] == '/' || s.p[1] == '\\')))
        return false;
    for (size_t i = 0; i < s.n; i++)
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            return false;
    return true;
}

static char *dup(kiln_ctx *c, kiln_str s)
{
    return s.p ? kiln_arena_strndup(kiln_ctx_arena(c), s.p, s.n) : NULL;
}

/* The absolute URL of path on this site: the setting, else the request's
   Host with http (https behind TLS). */
static char *site_url(kiln_ctx *c, const char *setting, const char *path)
{
    if (setting && *setting)
        return kiln_arena_printf(kiln_ctx_arena(c), "%s", setting);
    kiln_str host = kiln_header(c, "Host");
    if (!host.p || host.n == 0 || memchr(host.p, '/', host.n) ||
        memchr(host.p, '@', host.n))
        return NULL;
    return kiln_arena_printf(kiln_ctx_arena(c), "%s://%.*s%s",
                             fl.cfg->https ? "https" : "http", (int)host.n,
                             host.p, path);
}

static int unavailable(kiln_ctx *c, const char *why)
{
    kiln_log(KILN_LOG_WARN, "%s oidc: %s", kiln_request_id(c), why);
    return kiln_problem(c, 503, "the identity provider is unavailable: %s",
                        why);
}

/* The endpoints, fetching discovery when it never came. */
static int endpoints(kiln_ctx *c, oidc_endpoints *ep)
{
    int rc = jwks_endpoints(kiln_ctx_arena(c), ep);
    if (rc == KILN_ENOTFOUND) {
        jose_keyset_release(jwks_current());
        if (jwks_refetch(NULL, 0) == 0)
            rc = jwks_endpoints(kiln_ctx_arena(c), ep);
    }
    return rc;
}

/* ---- the token endpoint -----------------------------------------------------
 */

/* POSTs form (already encoded) to the token endpoint with the client's
   credentials (HTTP Basic, RFC 6749 2.3.1). *out: the JSON answer. */
static int token_call(kiln_ctx *c, const char *endpoint, kiln_buf *form,
                      const kiln_json **out, const char **why)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_buf cred;
    kiln_buf_init(&cred);
    int rc = put_enc(&cred, fl.cfg->client_id) || kiln_buf_putc(&cred, ':') ||
             put_enc(&cred, fl.cfg->client_secret);
    size_t n64 = (cred.n + 2) / 3 * 4;
    char *b64 = kiln_arena_alloc(a, n64 + 1);
    if (rc || !b64) {
        kiln_buf_deinit(&cred);
        *why = "out of memory";
        return KILN_ENOMEM;
    }
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)cred.p;
    for (size_t i = 0; i < cred.n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < cred.n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < cred.n)
            v |= p[i + 2];
        b64[k++] = tab[(v >> 18) & 63];
        b64[k++] = tab[(v >> 12) & 63];
        b64[k++] = i + 1 < cred.n ? tab[(v >> 6) & 63] : '=';
        b64[k++] = i + 2 < cred.n ? tab[v & 63] : '=';
    }
    b64[k] = '\0';
    kiln_buf_deinit(&cred);
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
                          kiln_arena_printf(a, "Authorization: Basic %s", b64),
                          NULL};
    if (!hdrs[1]) {
        *why = "out of memory";
        return KILN_ENOMEM;
    }
    kiln_fetch_resp r;
    rc = fetch_do_json(a,
                       &(kiln_fetch_req){.method = "POST",
                                         .url = endpoint,
                                         .headers = hdrs,
                                         .body = kiln_buf_str(form),
                                         .timeout_ms = JWKS_TIMEOUT_MS,
                                         .max_bytes = OIDC_DISCOVERY_MAX},
                       &r, out);
    if (rc) {
        *why = r.error;
        return rc;
    }
    if (r.status != 200 || (*out)->type != KILN_JSON_OBJECT) {
        const kiln_json *e = kiln_json_get(*out, "error");
        *why = kiln_arena_printf(
            a, "the token endpoint answered %d (%s)", r.status,
            e && e->type == KILN_JSON_STRING ? e->u.string.p : "no error code");
        return KILN_EINVAL;
    }
    return 0;
}

static const char *json_str(const kiln_json *o, const char *name)
{
    const kiln_json *v = kiln_json_get(o, name);
    return v && v->type == KILN_JSON_STRING && v->u.string.n ? v->u.string.p
                                                             : NULL;
}

/* Keeps the tokens of a token response in the session. */
static int keep_tokens(kiln_ctx *c, const kiln_json *t)
{
    const char *at = json_str(t, "access_token");
    const char *rt = json_str(t, "refresh_token");
    const char *idt = json_str(t, "id_token");
    const kiln_json *ex = kiln_json_get(t, "expires_in");
    int64_t exp =
        auth_now_ms() + (ex && ex->type == KILN_JSON_NUMBER &&
                                 ex->u.number.is_int && ex->u.number.i > 0
                             ? ex->u.number.i * 1000
                             : 300000);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)exp);
    kiln_log(KILN_LOG_DEBUG, "%s oidc: tokens kept (access%s%s)",
             kiln_request_id(c), rt ? ", refresh" : "", idt ? ", ID" : "");
    int rc = 0;
    if (at)
        rc |= kiln_session_set(c, "oidc.at", kiln_str_c(at)) |
              kiln_session_set(c, "oidc.exp", kiln_str_c(num));
    if (rt) /* a provider may rotate it, or keep the old one */
        rc |= kiln_session_set(c, "oidc.rt", kiln_str_c(rt));
    if (idt)
        rc |= kiln_session_set(c, "oidc.idt", kiln_str_c(idt));
    return rc ? KILN_ENOMEM : 0;
}

/* ---- the routes
 * --------------------------------------------------------------- */

static int login(kiln_ctx *c)
{
    oidc_endpoints ep;
    if (endpoints(c, &ep) != 0 || !ep.authorization)
        return unavailable(c, "no authorization endpoint");
    char state[JOSE_RANDOM_LEN + 1], nonce[JOSE_RANDOM_LEN + 1];
    char verifier[JOSE_RANDOM_LEN + 1], challenge[JOSE_RANDOM_LEN + 1];
    if (jose_random_b64(state) || jose_random_b64(nonce) ||
        jose_random_b64(verifier))
        return kiln_problem(c, 500, "no random numbers");
    jose_pkce_challenge(verifier, strlen(verifier), challenge);
    kiln_str next = kiln_query(c, "next");
    if (!local_path(next))
        next = KILN_STR("/");
    const char *redirect =
        site_url(c, fl.cfg->redirect_uri, "/auth/oidc/callback");
    if (!redirect)
        return kiln_problem(c, 400, "no usable Host header");
    if (kiln_session_set(c, "oidc.state", kiln_str_c(state)) ||
        kiln_session_set(c, "oidc.nonce", kiln_str_c(nonce)) ||
        kiln_session_set(c, "oidc.verifier", kiln_str_c(verifier)) ||
        kiln_session_set(c, "oidc.next", next))
        return kiln_problem(c, 503, "the session could not be saved");
    kiln_buf q;
    kiln_buf_init(&q);
    bool offline = strstr(fl.cfg->scopes, "offline_access") != NULL;
    int rc =
        put_param(&q, "response_type", "code") ||
        put_param(&q, "client_id", fl.cfg->client_id) ||
        put_param(&q, "redirect_uri", redirect) ||
        put_param(&q, "scope", fl.cfg->scopes) ||
        put_param(&q, "state", state) || put_param(&q, "nonce", nonce) ||
        put_param(&q, "code_challenge", challenge) ||
        put_param(&q, "code_challenge_method", "S256") ||
        (fl.cfg->audience && put_param(&q, "resource", fl.cfg->audience)) ||
        (offline && put_param(&q, "prompt", "consent"));
    char *url =
        rc ? NULL
           : kiln_arena_printf(kiln_ctx_arena(c), "%s%c%s", ep.authorization,
                               strchr(ep.authorization, '?') ? '&' : '?', q.p);
    kiln_buf_deinit(&q);
    if (!url)
        return kiln_problem(c, 503, "out of memory");
    kiln_set_header(c, "Cache-Control", "no-store");
    return kiln_redirect(c, 302, url);
}

static int refuse(kiln_ctx *c, const char *why)
{
    kiln_log(KILN_LOG_INFO, "%s oidc: login refused: %s", kiln_request_id(c),
             why);
    return kiln_problem(c, 400, "the login failed: %s", why);
}

static int callback(kiln_ctx *c)
{
    kiln_str state = kiln_query(c, "state");
    kiln_str saved = kiln_session_get(c, "oidc.state");
    if (!same(state, saved))
        return refuse(c, "the state does not match this browser's login");
    char *nonce = dup(c, kiln_session_get(c, "oidc.nonce"));
    char *verifier = dup(c, kiln_session_get(c, "oidc.verifier"));
    char *next = dup(c, kiln_session_get(c, "oidc.next"));
    /* one use only, whatever happens next */
    kiln_session_set(c, "oidc.state", KILN_STR(""));
    kiln_session_set(c, "oidc.nonce", KILN_STR(""));
    kiln_session_set(c, "oidc.verifier", KILN_STR(""));
    kiln_str err = kiln_query(c, "error");
    if (err.p)
        return refuse(c, kiln_arena_printf(
                             kiln_ctx_arena(c), "the provider answered %.*s",
                             (int)(err.n > 64 ? 64 : err.n), err.p));
    kiln_str code = kiln_query(c, "code");
    if (!code.p || !code.n || !nonce || !verifier)
        return refuse(c, "no code");
    kiln_str iss = kiln_query(c, "iss"); /* RFC 9207, when sent */
    if (iss.p && !kiln_str_eq(iss, kiln_str_c(fl.cfg->issuer)))
        return refuse(c, "the answer names another issuer");
    oidc_endpoints ep;
    if (endpoints(c, &ep) != 0 || !ep.token)
        return unavailable(c, "no token endpoint");
    const char *redirect =
        site_url(c, fl.cfg->redirect_uri, "/auth/oidc/callback");
    kiln_buf form;
    kiln_buf_init(&form);
    if (!redirect || put_param(&form, "grant_type", "authorization_code") ||
        put_param(&form, "code", dup(c, code)) ||
        put_param(&form, "redirect_uri", redirect) ||
        put_param(&form, "code_verifier", verifier) ||
        put_param(&form, "client_id", fl.cfg->client_id)) {
        kiln_buf_deinit(&form);
        return kiln_problem(c, 503, "out of memory");
    }
    const kiln_json *t;
    const char *why = "";
    int rc = token_call(c, ep.token, &form, &t, &why);
    kiln_buf_deinit(&form);
    if (rc == KILN_EINVAL)
        return refuse(c, why);
    if (rc)
        return unavailable(c, why);
    const char *idt = json_str(t, "id_token");
    if (!idt)
        return refuse(c, "no ID token");
    jose_claims cl;
    jose_error jerr = {0};
    jose_reason r = oidc_verify_id_token(c, kiln_str_c(idt), &cl, &jerr);
    if (r != JOSE_OK)
        return refuse(c, kiln_arena_printf(kiln_ctx_arena(c),
                                           "the ID token: %s (%s)",
                                           jose_reason_name(r), jerr.msg));
    const kiln_json *n = kiln_json_get(cl.json, "nonce");
    if (!n || n->type != KILN_JSON_STRING ||
        !same(n->u.string, kiln_str_c(nonce)))
        return refuse(c, "the ID token's nonce is not this login's");
    /* roles: the access token's when it is a JWT for this API (Keycloak
       puts them there), else the ID token's */
    jose_claims acl;
    const char *at = json_str(t, "access_token");
    const jose_claims *roles_from = &cl;
    if (at && oidc_verify_access_token(c, kiln_str_c(at), &acl) == JOSE_OK &&
        kiln_str_eq(acl.sub, cl.sub))
        roles_from = &acl;
    const kiln_user *u;
    rc = oidc_sync_user(c, &cl, roles_from, &u);
    if (rc)
        return kiln_problem(c, 503, "the user could not be saved");
    if (!u->active)
        return kiln_problem(c, 403, "this account is disabled");
    if (kiln_session_login(c, u->id) != 0 || keep_tokens(c, t) != 0)
        return kiln_problem(c, 503, "the session could not be saved");
    kiln_set_header(c, "Cache-Control", "no-store");
    return kiln_redirect(c, 303,
                         next && local_path(kiln_str_c(next)) ? next : "/");
}

static int logout(kiln_ctx *c)
{
    char *idt = dup(c, kiln_session_get(c, "oidc.idt"));
    kiln_session_logout(c);
    oidc_endpoints ep;
    const char *back = site_url(c, fl.cfg->post_logout_redirect_uri, "/");
    if (jwks_endpoints(kiln_ctx_arena(c), &ep) != 0 || !ep.end_session || !back)
        return kiln_redirect(c, 303, "/");
    kiln_buf q;
    kiln_buf_init(&q);
    int rc = put_param(&q, "client_id", fl.cfg->client_id) ||
             put_param(&q, "post_logout_redirect_uri", back) ||
             (idt && *idt && put_param(&q, "id_token_hint", idt));
    char *url =
        rc ? NULL
           : kiln_arena_printf(kiln_ctx_arena(c), "%s%c%s", ep.end_session,
                               strchr(ep.end_session, '?') ? '&' : '?', q.p);
    kiln_buf_deinit(&q);
    return kiln_redirect(c, 303, url ? url : "/");
}

int kiln_oidc_access_token(kiln_ctx *c, kiln_str *out)
{
    *out = KILN_STR_NULL;
    if (!fl.cfg)
        return KILN_ESTATE;
    kiln_str at = kiln_session_get(c, "oidc.at");
    if (!at.p || !at.n)
        return KILN_ENOTFOUND;
    int64_t exp = 0;
    kiln_str_to_i64(kiln_session_get(c, "oidc.exp"), &exp);
    if (exp - auth_now_ms() > OIDC_REFRESH_EARLY_MS) {
        *out = at;
        return 0;
    }
    kiln_str rt = kiln_session_get(c, "oidc.rt");
    oidc_endpoints ep;
    if (!rt.p || !rt.n || jwks_endpoints(kiln_ctx_arena(c), &ep) != 0 ||
        !ep.token) {
        if (exp > auth_now_ms()) {
            *out = at;
            return 0;
        }
        return KILN_ETIMEDOUT;
    }
    kiln_buf form;
    kiln_buf_init(&form);
    if (put_param(&form, "grant_type", "refresh_token") ||
        put_param(&form, "refresh_token", dup(c, rt)) ||
        put_param(&form, "client_id", fl.cfg->client_id)) {
        kiln_buf_deinit(&form);
        return KILN_ENOMEM;
    }
    const kiln_json *t;
    const char *why = "";
    int rc = token_call(c, ep.token, &form, &t, &why);
    kiln_buf_deinit(&form);
    if (rc) {
        kiln_log(KILN_LOG_INFO, "%s oidc: refresh failed: %s",
                 kiln_request_id(c), why);
        if (exp > auth_now_ms()) { /* still valid for a moment */
            *out = at;
            return 0;
        }
        return rc == KILN_EINVAL ? KILN_ETIMEDOUT : rc;
    }
    if (!json_str(t, "access_token") || keep_tokens(c, t) != 0)
        return KILN_EUNAVAIL;
    *out = kiln_str_c(json_str(t, "access_token"));
    return 0;
}

void oidc_flow_reset(void)
{
    fl.cfg = NULL;
}

const auth_route oidc_flow_routes[] = {
    {"GET", "/auth/oidc/login", "auth.oidc.login", login},
    {"GET", "/auth/oidc/callback", "auth.oidc.callback", callback},
    {"POST", "/auth/oidc/logout", "auth.oidc.logout", logout},
};
const size_t oidc_flow_nroutes =
    sizeof oidc_flow_routes / sizeof oidc_flow_routes[0];

int oidc_flow_setup(kiln_app *app, const oidc_flow_cfg *cfg)
{
    fl.cfg = cfg;
    for (size_t i = 0; i < oidc_flow_nroutes; i++) {
        const auth_route *r = &oidc_flow_routes[i];
        if (kiln_route(app, r->method, r->pattern, r->fn))
            return KILN_ENOMEM;
    }
    return 0;
}
