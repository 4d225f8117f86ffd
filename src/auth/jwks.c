/*
 * auth/jwks.c - the issuer's discovery document and signing keys, cached
 * for every worker of the process (auth/oidc.h).
 *
 * State (g, under g.mu): the discovery's endpoints, the key set (a
 * reference-counted jose_keyset: requests keep the one they verify with
 * while a refresh swaps in the next), when it was fetched and when it
 * should be refreshed, when the last fetch started and whether one runs.
 *
 * Fetches: the first at start-up (blocking, before the workers run);
 * then a background refresh, spawned on the worker of the request that
 * finds the set in the last fifth of its lifetime; and a refetch for a
 * token whose kid the set lacks. Every kind starts only when the last
 * started a cooldown ago or more (auth.oidc.jwks_cooldown, 30 s by
 * default; JWKS_REFETCH_EMPTY_MS, or the cooldown if shorter, while no set
 * was ever fetched), and only one runs at a time: a request that needs one
 * while it runs waits for it (polling every 20 ms, up to the fetch
 * timeout), so a burst of unknown kids costs one fetch, and a flood of
 * them one fetch per interval. While the issuer is down the cached set
 * keeps verifying (a failed refresh keeps it) and an unknown kid fails at
 * once. The discovery document is fetched with the first set and again
 * whenever a JWKS fetch fails (its jwks_uri may have moved).
 */
#include "auth/oidc.h"

#include "coro/coro.h"
#include "fetch/fetch_impl.h"
#include "server/worker.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct {
    pthread_mutex_t mu;
    char *issuer;
    bool allow_http; /* the issuer is on loopback */
    char *jwks_uri, *authorization, *token, *end_session, *userinfo;
    jose_keyset *ks;
    int64_t refresh_at; /* monotonic ms: refresh in the background after */
    int64_t last_start; /* monotonic ms the last fetch started; 0: none */
    bool fetching;
    uint64_t fetches;
    int64_t cooldown; /* ms between fetches while a set is cached */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- pure parts -----------------------------------------------------------
 */

int jwks_max_age(kiln_str cc)
{
    if (!cc.p)
        return JWKS_MAX_AGE_S;
    int age = -1;
    size_t i = 0;
    while (i < cc.n) {
        while (i < cc.n &&
               (cc.p[i] == ' ' || cc.p[i] == '\t' || cc.p[i] == ','))
            i++;
        size_t s = i;
        while (i < cc.n && cc.p[i] != ',' && cc.p[i] != '=')
            i++;
        size_t e = i;
        while (e > s && (cc.p[e - 1] == ' ' || cc.p[e - 1] == '\t'))
            e--;
        kiln_str name = {cc.p + s, e - s};
        kiln_str val = KILN_STR_NULL;
        if (i < cc.n && cc.p[i] == '=') {
            i++;
            size_t vs = i;
            while (i < cc.n && cc.p[i] != ',')
                i++;
            size_t ve = i;
            while (vs < ve && (cc.p[vs] == ' ' || cc.p[vs] == '"'))
                vs++;
            while (ve > vs && (cc.p[ve - 1] == ' ' || cc.p[ve - 1] == '"' ||
                               cc.p[ve - 1] == '\t'))
                ve--;
            val = (kiln_str){cc.p + vs, ve - vs};
        }
        if (kiln_str_ieq_c(name, "no-store") ||
            kiln_str_ieq_c(name, "no-cache"))
            return JWKS_MIN_AGE_S;
        if (kiln_str_ieq_c(name, "max-age") && val.p) {
            int64_t v;
            if (kiln_str_to_i64(val, &v) == 0 && v >= 0)
                age = v > JWKS_MAX_AGE_S ? JWKS_MAX_AGE_S : (int)v;
        }
    }
    if (age < 0)
        return JWKS_MAX_AGE_S;
    return age < JWKS_MIN_AGE_S ? JWKS_MIN_AGE_S : age;
}

/* The host of an http(s) URL into host (lowercased, brackets kept off).
   false when there is none or it does not fit. */
static bool url_host(const char *url, char *host, size_t cap)
{
    const char *p = strstr(url, "://");
    if (!p)
        return false;
    p += 3;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    const char *hs = p, *he;
    if (*p == '[') {
        hs = p + 1;
        he = memchr(hs, ']', (size_t)(end - hs));
        if (!he)
            return false;
    } else {
        he = memchr(p, ':', (size_t)(end - p));
        if (!he)
            he = end;
    }
    size_t n = (size_t)(he - hs);
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        host[i] = (char)tolower((unsigned char)hs[i]);
    host[n] = '\0';
    return true;
}

bool oidc_url_loopback(const char *url)
{
    char host[256];
    if (fetch_url_scheme(url) < 0 || !url_host(url, host, sizeof host))
        return false;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    /* 127.0.0.0/8 written as a dotted quad */
    unsigned a, b, c, d;
    char extra;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 &&
           a == 127 && b < 256 && c < 256 && d < 256;
}

bool oidc_url_allowed(const char *url, bool allow_http)
{
    int https = fetch_url_scheme(url);
    if (https == 1)
        return true;
    return https == 0 && allow_http && oidc_url_loopback(url);
}

/* ---- the cache --------------------------------------------------------------
 */

int jwks_init(const char *issuer, int64_t cooldown_ms)
{
    bool loop = oidc_url_loopback(issuer);
    if (!oidc_url_allowed(issuer, loop))
        return KILN_EINVAL;
    char *s = strdup(issuer);
    if (!s)
        return KILN_ENOMEM;
    pthread_mutex_lock(&g.mu);
    free(g.issuer);
    g.issuer = s;
    g.allow_http = loop;
    g.cooldown = cooldown_ms > 0 ? cooldown_ms : JWKS_REFETCH_MS;
    pthread_mutex_unlock(&g.mu);
    return 0;
}

void jwks_free(void)
{
    pthread_mutex_lock(&g.mu);
    free(g.issuer);
    free(g.jwks_uri);
    free(g.authorization);
    free(g.token);
    free(g.end_session);
    free(g.userinfo);
    jose_keyset_release(g.ks);
    g.issuer = g.jwks_uri = g.authorization = g.token = NULL;
    g.end_session = g.userinfo = NULL;
    g.ks = NULL;
    g.refresh_at = g.last_start = 0;
    g.fetching = false;
    pthread_mutex_unlock(&g.mu);
}

uint64_t jwks_fetch_count(void)
{
    pthread_mutex_lock(&g.mu);
    uint64_t n = g.fetches;
    pthread_mutex_unlock(&g.mu);
    return n;
}

/* A string member of the discovery document that is an allowed URL, or
   NULL (absent, or not allowed: logged). */
static const char *disco_url(const kiln_json *d, const char *name, bool http)
{
    const kiln_json *v = kiln_json_get(d, name);
    if (!v || v->type != KILN_JSON_STRING)
        return NULL;
    if (!oidc_url_allowed(v->u.string.p, http)) {
        kiln_log(KILN_LOG_WARN, "oidc: discovery's %s %s is not https: ignored",
                 name, v->u.string.p);
        return NULL;
    }
    return v->u.string.p;
}

/* Fetches the discovery document into g (issuer checked). In a. */
static int discover(kiln_arena *a, const char *issuer, bool http)
{
    size_t n = strlen(issuer);
    char *url =
        kiln_arena_printf(a, "%.*s/.well-known/openid-configuration",
                          (int)(n && issuer[n - 1] == '/' ? n - 1 : n), issuer);
    if (!url)
        return KILN_ENOMEM;
    kiln_fetch_resp r;
    const kiln_json *d;
    int rc = fetch_do_json(a,
                           &(kiln_fetch_req){.url = url,
                                             .timeout_ms = JWKS_TIMEOUT_MS,
                                             .max_bytes = OIDC_DISCOVERY_MAX},
                           &r, &d);
    if (rc) {
        kiln_log(KILN_LOG_WARN, "oidc: discovery %s failed: %s", url, r.error);
        return rc;
    }
    if (r.status != 200 || d->type != KILN_JSON_OBJECT) {
        kiln_log(KILN_LOG_WARN, "oidc: discovery %s answered %d", url,
                 r.status);
        return KILN_EUNAVAIL;
    }
    const kiln_json *iss = kiln_json_get(d, "issuer");
    if (!iss || iss->type != KILN_JSON_STRING ||
        strcmp(iss->u.string.p, issuer) != 0) {
        kiln_log(KILN_LOG_WARN,
                 "oidc: discovery %s names issuer %s, not the configured %s: "
                 "refused",
                 url,
                 iss && iss->type == KILN_JSON_STRING ? iss->u.string.p : "-",
                 issuer);
        return KILN_EINVAL;
    }
    const char *jwks = disco_url(d, "jwks_uri", http);
    if (!jwks) {
        kiln_log(KILN_LOG_WARN, "oidc: discovery %s has no usable jwks_uri",
                 url);
        return KILN_EINVAL;
    }
    const char *v[5] = {jwks, disco_url(d, "authorization_endpoint", http),
                        disco_url(d, "token_endpoint", http),
                        disco_url(d, "end_session_endpoint", http),
                        disco_url(d, "userinfo_endpoint", http)};
    char *c[5] = {0};
    for (int i = 0; i < 5; i++)
        if (v[i] && !(c[i] = strdup(v[i]))) {
            for (int j = 0; j < i; j++)
                free(c[j]);
            return KILN_ENOMEM;
        }
    pthread_mutex_lock(&g.mu);
    char **dst[5] = {&g.jwks_uri, &g.authorization, &g.token, &g.end_session,
                     &g.userinfo};
    for (int i = 0; i < 5; i++) {
        free(*dst[i]);
        *dst[i] = c[i];
    }
    pthread_mutex_unlock(&g.mu);
    return 0;
}

/* Fetches the key set (after discovery when there is no jwks_uri yet) and
   swaps it in. The caller holds the fetching flag. Arena a for the work. */
static int fetch_keys(kiln_arena *a)
{
    pthread_mutex_lock(&g.mu);
    char *issuer = kiln_arena_strndup(a, g.issuer, strlen(g.issuer));
    char *uri = g.jwks_uri
                    ? kiln_arena_strndup(a, g.jwks_uri, strlen(g.jwks_uri))
                    : NULL;
    bool http = g.allow_http;
    pthread_mutex_unlock(&g.mu);
    if (!issuer)
        return KILN_ENOMEM;
    int rc;
    if (!uri) {
        if ((rc = discover(a, issuer, http)) != 0)
            return rc;
        pthread_mutex_lock(&g.mu);
        uri = kiln_arena_strndup(a, g.jwks_uri, strlen(g.jwks_uri));
        pthread_mutex_unlock(&g.mu);
        if (!uri)
            return KILN_ENOMEM;
    }
    kiln_fetch_resp r;
    rc = fetch_do(
        a,
        &(kiln_fetch_req){
            .url = uri,
            .headers = (const char *[]){"Accept: application/json", NULL},
            .timeout_ms = JWKS_TIMEOUT_MS,
            .max_bytes = JOSE_JWKS_MAX},
        &r);
    if (rc == 0 && r.status != 200) {
        kiln_log(KILN_LOG_WARN, "oidc: JWKS %s answered %d", uri, r.status);
        rc = KILN_EUNAVAIL;
    } else if (rc) {
        kiln_log(KILN_LOG_WARN, "oidc: JWKS %s failed: %s", uri, r.error);
    }
    if (rc) { /* discover again next time: jwks_uri may have moved */
        pthread_mutex_lock(&g.mu);
        free(g.jwks_uri);
        g.jwks_uri = NULL;
        pthread_mutex_unlock(&g.mu);
        return rc;
    }
    jose_keyset *ks;
    jose_error err;
    if (jose_keyset_parse(r.body.p, r.body.n, &ks, &err) != JOSE_OK) {
        kiln_log(KILN_LOG_WARN, "oidc: JWKS %s refused: %s", uri, err.msg);
        return KILN_EPARSE;
    }
    if (jose_keyset_skipped(ks))
        kiln_log(KILN_LOG_INFO, "oidc: JWKS %s: %zu key(s) skipped (%s)", uri,
                 jose_keyset_skipped(ks), jose_keyset_skip_reason(ks));
    int age = jwks_max_age(kiln_fetch_header_get(&r, "Cache-Control"));
    pthread_mutex_lock(&g.mu);
    jose_keyset *old = g.ks;
    g.ks = ks;
    g.refresh_at = kiln_now_ms() + (int64_t)age * 1000 * 4 / 5;
    pthread_mutex_unlock(&g.mu);
    jose_keyset_release(old);
    kiln_log(KILN_LOG_DEBUG, "oidc: %zu key(s) from %s, kept %d s",
             jose_keyset_count(ks), uri, age);
    return 0;
}

/* Takes the right to fetch when the interval allows and none runs. Under
   g.mu. */
static bool may_start(int64_t now)
{
    if (g.fetching || !g.issuer)
        return false;
    int64_t gap = g.ks ? g.cooldown : JWKS_REFETCH_EMPTY_MS;
    if (gap > g.cooldown)
        gap = g.cooldown;
    if (g.last_start && now - g.last_start < gap)
        return false;
    g.fetching = true;
    g.last_start = now;
    g.fetches++;
    return true;
}

/* Runs one fetch (the caller took the right) and gives the right back. */
static int run_fetch(void)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    int rc = fetch_keys(&a);
    kiln_arena_deinit(&a);
    pthread_mutex_lock(&g.mu);
    g.fetching = false;
    pthread_mutex_unlock(&g.mu);
    return rc;
}

int jwks_load(void)
{
    pthread_mutex_lock(&g.mu);
    bool go = may_start(kiln_now_ms());
    pthread_mutex_unlock(&g.mu);
    return go ? run_fetch() : KILN_ESTATE;
}

static int bg_refresh(kiln_ctx *x, void *arg)
{
    (void)x;
    (void)arg;
    return run_fetch();
}

static void bg_refresh_done(void *arg, int rc, bool crashed)
{
    (void)arg;
    if (crashed) { /* the body never gave the right back */
        pthread_mutex_lock(&g.mu);
        g.fetching = false;
        pthread_mutex_unlock(&g.mu);
    }
    (void)rc;
}

jose_keyset *jwks_current(void)
{
    int64_t now = kiln_now_ms();
    pthread_mutex_lock(&g.mu);
    jose_keyset *ks = g.ks ? jose_keyset_retain(g.ks) : NULL;
    bool refresh = ks && now >= g.refresh_at && may_start(now);
    pthread_mutex_unlock(&g.mu);
    if (refresh) {
        worker *w = worker_current();
        if (!w || bg_spawn(w, bg_refresh, bg_refresh_done, NULL, "oidc-jwks",
                           NULL) != 0) {
            pthread_mutex_lock(&g.mu);
            g.fetching = false;
            pthread_mutex_unlock(&g.mu);
        }
    }
    return ks;
}

/* Waits (polling) until the running fetch ends or timeout_ms passes. */
static void wait_fetch(int64_t timeout_ms)
{
    int64_t until = kiln_now_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&g.mu);
        bool busy = g.fetching;
        pthread_mutex_unlock(&g.mu);
        if (!busy || kiln_now_ms() >= until)
            return;
        if (kiln_sleep_ms(20) == KILN_ECANCELED)
            return;
    }
}

int jwks_refetch(const char *kid, size_t kid_n)
{
    int64_t now = kiln_now_ms();
    pthread_mutex_lock(&g.mu);
    if (kid && g.ks && jose_keyset_has_kid(g.ks, kid, kid_n)) {
        pthread_mutex_unlock(&g.mu); /* another request fetched it */
        return 0;
    }
    if (g.fetching) {
        pthread_mutex_unlock(&g.mu);
        wait_fetch(JWKS_TIMEOUT_MS + 1000);
        return 0;
    }
    bool go = may_start(now);
    pthread_mutex_unlock(&g.mu);
    if (!go)
        return KILN_ELIMIT;
    return run_fetch();
}

int jwks_endpoints(kiln_arena *a, oidc_endpoints *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&g.mu);
    int rc = g.authorization || g.token ? 0 : KILN_ENOTFOUND;
    const char *src[4] = {g.authorization, g.token, g.end_session, g.userinfo};
    const char **dst[4] = {&out->authorization, &out->token, &out->end_session,
                           &out->userinfo};
    for (int i = 0; i < 4 && rc == 0; i++)
        if (src[i] &&
            !(*dst[i] = kiln_arena_strndup(a, src[i], strlen(src[i]))))
            rc = KILN_ENOMEM;
    pthread_mutex_unlock(&g.mu);
    return rc;
}
