/*
 * auth/oidc.c - bearer tokens of an OpenID provider (auth/oidc.h): the
 * [auth.oidc] settings, verification with auth/jose.h against the keys of
 * auth/jwks.c, and the user the token stands for (auth_user_sync, keyed
 * by (iss, sub), never by email).
 *
 * Claims to a user: email from "email", the display name from "name"
 * (else "preferred_username"), roles from every claim path of roles_claim
 * (strings or arrays of strings), mapped through role_map when it is set
 * (unmapped roles are dropped) and deduplicated.
 *
 * Settings are read once at start-up into cfg (owned by cfg.a, freed with
 * the app); the verifier only reads them.
 */
#include "auth/oidc.h"

#include "auth/auth_impl.h"
#include "auth/user.h"
#include "server/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    kiln_arena a;
    bool on;
    const char *issuer, *audience;
    const char **azp;
    size_t nazp;
    int leeway;
    const char **claims; /* role claim paths */
    size_t nclaims;
    const char **from, **to; /* role_map */
    size_t nmap;
    jose_keyset *empty; /* verifies nothing: kid errors before any fetch */
    const char *client_id;
    oidc_flow_cfg flow; /* the login flow's settings (when client_id) */
} cfg;

/* Splits s at spaces and commas into a NULL-free array in a. */
static int split_words(kiln_arena *a, const char *s, const char ***out,
                       size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!s)
        s = "";
    size_t cap = 0;
    for (const char *p = s; *p; p++)
        cap += *p == ' ' || *p == ',' || *p == '\t';
    const char **v = kiln_arena_calloc(a, (cap + 1) * sizeof *v);
    if (!v)
        return KILN_ENOMEM;
    const char *p = s;
    while (*p) {
        p += strspn(p, " ,\t");
        size_t k = strcspn(p, " ,\t");
        if (k) {
            char *w = kiln_arena_strndup(a, p, k);
            if (!w)
                return KILN_ENOMEM;
            v[(*n)++] = w;
        }
        p += k;
    }
    *out = v;
    return 0;
}

static void oidc_free(void *arg)
{
    (void)arg;
    oidc_flow_reset();
    jwks_free();
    jose_keyset_release(cfg.empty);
    kiln_arena_deinit(&cfg.a);
    memset(&cfg, 0, sizeof cfg);
}

static app_ext g_ext = {.free = oidc_free};

int oidc_setup(kiln_app *app, const kiln_settings *s, char *err, size_t errlen)
{
    const char *issuer = kiln_settings_str(s, "auth.oidc.issuer");
    if (!issuer || !*issuer)
        return 0;
    if (cfg.on) {
        snprintf(err, errlen, "auth.oidc: set up twice");
        return KILN_ESTATE;
    }
    kiln_arena_init(&cfg.a, 0);
    cfg.issuer = kiln_arena_strndup(&cfg.a, issuer, strlen(issuer));
    const char *aud = kiln_settings_str(s, "auth.oidc.audience");
    cfg.audience =
        aud && *aud ? kiln_arena_strndup(&cfg.a, aud, strlen(aud)) : NULL;
    cfg.leeway = (int)kiln_settings_int(s, "auth.oidc.leeway");
    const char *map = kiln_settings_str(s, "auth.oidc.role_map");
    const char **pairs;
    size_t npairs;
    if (!cfg.issuer || (aud && *aud && !cfg.audience) ||
        split_words(&cfg.a, kiln_settings_str(s, "auth.oidc.allow_azp"),
                    &cfg.azp, &cfg.nazp) ||
        split_words(&cfg.a, kiln_settings_str(s, "auth.oidc.roles_claim"),
                    &cfg.claims, &cfg.nclaims) ||
        split_words(&cfg.a, map, &pairs, &npairs))
        goto nomem;
    cfg.from = kiln_arena_calloc(&cfg.a, (npairs + 1) * sizeof *cfg.from);
    cfg.to = kiln_arena_calloc(&cfg.a, (npairs + 1) * sizeof *cfg.to);
    if (!cfg.from || !cfg.to)
        goto nomem;
    for (size_t i = 0; i < npairs; i++) {
        char *eq = strchr(pairs[i], '=');
        if (!eq || eq == pairs[i] || !eq[1]) {
            snprintf(err, errlen,
                     "auth.oidc.role_map: '%s' is not provider_role=kiln_role",
                     pairs[i]);
            oidc_free(NULL);
            return KILN_EINVAL;
        }
        *eq = '\0';
        cfg.from[cfg.nmap] = pairs[i];
        cfg.to[cfg.nmap++] = eq + 1;
    }
    if (!cfg.audience && cfg.nazp == 0) {
        snprintf(err, errlen,
                 "auth.oidc: set audience (the aud of this API's tokens) or "
                 "allow_azp (client ids), or every token is refused");
        oidc_free(NULL);
        return KILN_EINVAL;
    }
    static const char no_keys[] = "{\"keys\":[]}";
    if (jose_keyset_parse(no_keys, sizeof no_keys - 1, &cfg.empty, NULL) !=
        JOSE_OK)
        goto nomem;
    int rc = jwks_init(cfg.issuer,
                       kiln_settings_int(s, "auth.oidc.jwks_cooldown") * 1000);
    if (rc == KILN_EINVAL) {
        snprintf(err, errlen,
                 "auth.oidc.issuer: %s must be https (http only on loopback)",
                 cfg.issuer);
        oidc_free(NULL);
        return rc;
    }
    if (rc)
        goto nomem;
    const char *cid = kiln_settings_str(s, "auth.oidc.client_id");
    if (cid && *cid) {
        cfg.client_id = cfg.flow.client_id =
            kiln_arena_printf(&cfg.a, "%s", cid);
        cfg.flow.issuer = cfg.issuer;
        cfg.flow.audience = cfg.audience;
        const char *keys[] = {"auth.oidc.client_secret", "auth.oidc.scopes",
                              "auth.oidc.redirect_uri",
                              "auth.oidc.post_logout_redirect_uri"};
        const char **dst[] = {&cfg.flow.client_secret, &cfg.flow.scopes,
                              &cfg.flow.redirect_uri,
                              &cfg.flow.post_logout_redirect_uri};
        for (int i = 0; i < 4; i++) {
            const char *v = kiln_settings_str(s, keys[i]);
            if (!(*dst[i] = kiln_arena_printf(&cfg.a, "%s", v ? v : "")))
                goto nomem;
        }
        cfg.flow.https = kiln_settings_bool(s, "security.behind_tls");
        if (!cfg.client_id || oidc_flow_setup(app, &cfg.flow) != 0)
            goto nomem;
    }
    cfg.on = true;
    app_ext_add(app, &g_ext);
    auth_set_bearer_verifier(oidc_bearer_user);
    if (jwks_load() == 0)
        kiln_log(KILN_LOG_INFO, "oidc: keys of %s loaded", cfg.issuer);
    else
        kiln_log(KILN_LOG_WARN,
                 "oidc: keys of %s not loaded yet: fetched on the first token",
                 cfg.issuer);
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    oidc_free(NULL);
    return KILN_ENOMEM;
}

/* ---- claims to a user --------------------------------------------------- */

static const char *claim_str(const kiln_json *o, const char *name)
{
    const kiln_json *v = kiln_json_get(o, name);
    return v && v->type == KILN_JSON_STRING ? v->u.string.p : NULL;
}

/* Adds role (mapped) to v unless there already or unmapped. */
static void add_role(const char **v, size_t *n, const char *role)
{
    if (cfg.nmap) {
        const char *to = NULL;
        for (size_t i = 0; i < cfg.nmap && !to; i++)
            if (strcmp(cfg.from[i], role) == 0)
                to = cfg.to[i];
        if (!to)
            return;
        role = to;
    }
    for (size_t i = 0; i < *n; i++)
        if (strcmp(v[i], role) == 0)
            return;
    if (*n < AUTH_ROLES_MAX)
        v[(*n)++] = role;
}

/* The user of id's (iss, sub), with email and name from id and roles from
   the claim paths of roles (which may be id). */
static int claims_map(kiln_arena *a, const jose_claims *jc,
                      const jose_claims *rc, auth_claims *out)
{
    memset(out, 0, sizeof *out);
    out->issuer = jc->iss.p;
    out->subject = jc->sub.p;
    out->email = claim_str(jc->json, "email");
    out->name = claim_str(jc->json, "name");
    if (!out->name)
        out->name = claim_str(jc->json, "preferred_username");
    const char **roles = kiln_arena_calloc(a, AUTH_ROLES_MAX * sizeof *roles);
    if (!roles)
        return KILN_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < cfg.nclaims; i++) {
        const char *const *got;
        size_t ng;
        if (jose_claim_strings(a, jose_claim_path(rc->json, cfg.claims[i]),
                               &got, &ng) != 0)
            return KILN_ENOMEM;
        for (size_t j = 0; j < ng; j++)
            add_role(roles, &n, got[j]);
    }
    out->roles = roles;
    out->nroles = n;
    return 0;
}

int oidc_sync_user(kiln_ctx *c, const jose_claims *id, const jose_claims *roles,
                   const kiln_user **out)
{
    *out = NULL;
    auth_claims ac;
    if (claims_map(kiln_ctx_arena(c), id, roles ? roles : id, &ac) != 0)
        return KILN_ENOMEM;
    int rc = auth_user_sync(c, &ac, out);
    if (rc) {
        kiln_log(KILN_LOG_WARN,
                 "%s oidc: the user of %s could not be synced: %s",
                 kiln_request_id(c), ac.subject, kiln_strerror(rc));
        *out = NULL;
    }
    return rc;
}

/* ---- the verifier ---------------------------------------------------------
 */

/* Verifies tok against the cached keys for audience (NULL: the API's
   audience and azp rules), refetching the keys once on an unknown kid
   (within the limits of jwks.c). */
static jose_reason verify_for(kiln_ctx *c, kiln_str tok, const char *audience,
                              jose_claims *cl, jose_error *err)
{
    kiln_arena *a = kiln_ctx_arena(c);
    jose_verify_opts o = {
        .issuer = cfg.issuer,
        .audience = audience ? audience : cfg.audience,
        .azp = !audience && cfg.nazp ? cfg.azp : NULL,
        .azp_n = audience ? 0 : cfg.nazp,
        .leeway = cfg.leeway ? cfg.leeway : -1,
        /* a token seen before skips its signature check only (the claims
           are checked again): RS256 costs ~50 us, a repeat ~7 us */
        .cache = jose_cache_thread(),
    };
    jose_keyset *ks = jwks_current();
    jose_reason r =
        jose_jwt_verify(a, tok.p, tok.n, ks ? ks : cfg.empty, &o, cl, err);
    if (r == JOSE_EKID_UNKNOWN || (!ks && r == JOSE_EKID_MISSING)) {
        /* the header is well formed (the kid is looked up after it): the
           provider may have rotated its keys */
        jose_jws jws;
        kiln_str kid = KILN_STR_NULL;
        if (jose_jws_parse(a, tok.p, tok.n, 0, &jws, NULL) == JOSE_OK)
            kid = jws.kid;
        int rc = jwks_refetch(kid.p, kid.n);
        if (rc == 0) {
            jose_keyset_release(ks);
            ks = jwks_current();
            r = jose_jwt_verify(a, tok.p, tok.n, ks ? ks : cfg.empty, &o, cl,
                                err);
        } else if (rc == KILN_ELIMIT) {
            kiln_log(KILN_LOG_INFO,
                     "%s oidc: unknown key id, keys fetched too recently to "
                     "fetch again",
                     kiln_request_id(c));
        }
    }
    jose_keyset_release(ks);
    return r;
}

jose_reason oidc_verify_id_token(kiln_ctx *c, kiln_str tok, jose_claims *cl,
                                 jose_error *err)
{
    return verify_for(c, tok, cfg.client_id, cl, err);
}

jose_reason oidc_verify_access_token(kiln_ctx *c, kiln_str tok, jose_claims *cl)
{
    return verify_for(c, tok, NULL, cl, NULL);
}

int oidc_bearer_user(kiln_ctx *c, kiln_str tok, const kiln_user **out,
                     const char **why)
{
    *out = NULL;
    if (!cfg.on)
        return KILN_ESTATE;
    jose_claims cl;
    jose_error err = {0};
    jose_reason r = verify_for(c, tok, NULL, &cl, &err);
    if (r != JOSE_OK) {
        kiln_log(KILN_LOG_INFO, "%s oidc: token refused: %s (%s)",
                 kiln_request_id(c), jose_reason_name(r), err.msg);
        *why = kiln_arena_strndup(kiln_ctx_arena(c), err.msg, strlen(err.msg));
        return r == JOSE_ENOMEM ? KILN_ENOMEM : KILN_EINVAL;
    }
    return oidc_sync_user(c, &cl, &cl, out);
}
