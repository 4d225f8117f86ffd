/*
 * auth/identity.c - who makes the request (kiln/auth.h), resolved lazily
 * the first time it is asked and kept for the rest of the request:
 *
 *   Authorization: Bearer kiln_...   an API token (auth/token.c)
 *   Authorization: Bearer <other>    the OIDC verifier, when [auth.oidc]
 *                                    set one (auth_set_bearer_verifier)
 *   no bearer                        the session cookie (kiln/session.h)
 *
 * Each looks the credential up in the process's credential cache first
 * (auth/cred_cache.h): a credential seen in the last auth.cache_seconds
 * costs no query.
 *
 * A bearer that does not verify leaves the request anonymous and marked
 * failed: kiln_auth_challenge then answers 401 with
 * WWW-Authenticate: Bearer error="invalid_token". It never falls back to
 * the cookie (a script's broken token must not act with a browser's
 * session). Other Authorization schemes (Basic, for a proxy in front) are
 * not Kiln's and are ignored.
 */
#include "auth/auth_impl.h"
#include "auth/session_impl.h"
#include "kiln/session.h"
#include "server/worker.h"

#include <string.h>

typedef struct auth_ident {
    const kiln_user *user;
    kiln_auth_via via;
    bool failed;     /* a bearer was given and refused */
    bool had_bearer; /* the request carried a bearer at all */
    const char *why; /* a refused bearer: why, for error_description */
} auth_ident;

static auth_bearer_fn g_bearer;
static auth_perms_fn g_perms;

void auth_set_bearer_verifier(auth_bearer_fn fn)
{
    g_bearer = fn;
}

void auth_set_permissions_fn(auth_perms_fn fn)
{
    g_perms = fn;
}

auth_perms_fn auth_permissions_fn(void)
{
    return g_perms;
}

static void by_bearer(kiln_ctx *c, kiln_str tok, auth_ident *id)
{
    id->had_bearer = true;
    id->failed = true;
    const kiln_user *u = NULL;
    if (tok.n >= sizeof AUTH_TOKEN_TAG - 1 &&
        memcmp(tok.p, AUTH_TOKEN_TAG, sizeof AUTH_TOKEN_TAG - 1) == 0) {
        if (auth_token_resolve(c, tok, &u) != 0)
            return;
        id->via = KILN_AUTH_TOKEN;
    } else if (g_bearer) {
        if (g_bearer(c, tok, &u, &id->why) != 0 || !u)
            return;
        id->via = KILN_AUTH_JWT;
    } else {
        return;
    }
    if (!u->active) {
        id->via = KILN_AUTH_ANON;
        return;
    }
    id->user = u;
    id->failed = false;
}

static auth_ident *resolve(kiln_ctx *c)
{
    auth_ident *id = ctx_auth(c);
    if (id)
        return id;
    id = kiln_arena_calloc(kiln_ctx_arena(c), sizeof *id);
    if (!id)
        return NULL;
    ctx_set_auth(c, id);
    kiln_str h = kiln_header(c, "Authorization");
    kiln_str tok;
    int rc = h.p ? auth_bearer_parse(h, &tok) : 0;
    if (rc == 1) {
        by_bearer(c, tok, id);
    } else if (rc < 0) {
        id->had_bearer = id->failed = true; /* "Bearer" with junk */
    } else {
        const kiln_user *u = session_user_of(c);
        if (u && u->active) {
            id->user = u;
            id->via = KILN_AUTH_SESSION;
        }
    }
    return id;
}

const kiln_user *kiln_user_current(kiln_ctx *c)
{
    auth_ident *id = resolve(c);
    return id ? id->user : NULL;
}

kiln_auth_via kiln_auth_via_of(kiln_ctx *c)
{
    auth_ident *id = resolve(c);
    return id ? id->via : KILN_AUTH_ANON;
}

bool kiln_auth_failed(kiln_ctx *c)
{
    auth_ident *id = resolve(c);
    return id && id->failed;
}

/* The challenge of a refused bearer (RFC 6750 section 3): the reason as
   error_description, kept to what a quoted-string may hold without escapes
   (printable ASCII but '"' and '\\'), at most 120 bytes. */
static const char *invalid_token(kiln_ctx *c, const char *why)
{
    if (!why || !*why)
        return "Bearer error=\"invalid_token\"";
    char d[121];
    size_t n = 0;
    for (const char *p = why; *p && n < sizeof d - 1; p++)
        if (*p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\')
            d[n++] = *p;
    d[n] = 0;
    const char *h = kiln_arena_printf(
        kiln_ctx_arena(c),
        "Bearer error=\"invalid_token\", error_description=\"%s\"", d);
    return h ? h : "Bearer error=\"invalid_token\"";
}

int kiln_auth_challenge(kiln_ctx *c, const char *detail)
{
    bool bad = kiln_auth_failed(c);
    auth_ident *id = bad ? resolve(c) : NULL;
    kiln_set_header(c, "WWW-Authenticate",
                    bad ? invalid_token(c, id ? id->why : NULL) : "Bearer");
    if (!detail)
        detail = bad ? "the bearer token is invalid, expired or revoked"
                     : "authentication is required";
    return kiln_problem(c, 401, "%s", detail);
}

bool kiln_user_has_role(const kiln_user *u, const char *role)
{
    for (size_t i = 0; u && role && i < u->nroles; i++)
        if (strcmp(u->roles[i], role) == 0)
            return true;
    return false;
}

/* kiln_rate_key(c, "user"): the user's id, for limits per user */
static kiln_str user_key(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return KILN_STR_NULL;
    char *s = kiln_arena_printf(kiln_ctx_arena(c), "u%lld", (long long)u->id);
    return s ? kiln_str_c(s) : KILN_STR_NULL;
}

/* A WebSocket handshake (server/ws.c): credentials that are there must be
   good; none is an anonymous socket, for the route to allow or refuse. */
static int ws_credentials(kiln_ctx *c)
{
    if (!kiln_header(c, "Authorization").p || !kiln_auth_failed(c))
        return 0;
    kiln_auth_challenge(c, NULL);
    return 1;
}

void auth_identity_init(void)
{
    kiln_rate_set_user_key(user_key);
    ws_set_authorizer(ws_credentials);
}
