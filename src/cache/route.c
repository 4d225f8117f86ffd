/*
 * cache/route.c - responses cached per route (kiln_cache_response) and
 * route options (kiln_route_opts).
 *
 * Keys. A request's primary key is SHA-256 over its Host, its target
 * (path and query as sent) and, for each header the rule names in vary,
 * the header's values (and, per user, Cookie and Authorization), stored
 * as "kiln-rc:" + hex. GET and HEAD share it. When the handler's response
 * itself varies on headers the rule does not name (its own Vary), the
 * primary key holds a note listing them, and the response goes under a
 * secondary key that adds their values: the next request reads the note,
 * then the response that matches its headers (two reads, as an HTTP cache
 * does it).
 *
 * The response is seen through the server's respond_hook, before its head
 * is written: the hook decides whether it may be stored, keeps a copy in
 * the request's arena, and adds Vary and Cache-Control. The copy is
 * stored by a kiln_defer callback once the handler has returned (still in
 * its coroutine, so a Redis write yields).
 */
#include "cache/cache_impl.h"

#include "core/sha256.h"
#include "server/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ROUTE_KEY_TAG "kiln-rc:"
#define VARY_MAX 16

enum cap_mode {
    CAP_STORE,  /* a miss: store the response if it may be */
    CAP_NOSTORE /* credentials skipped, or the cache failed: headers only */
};

/* One request's view of its cached route (in the request's arena). */
typedef struct route_cap {
    respond_hook hook; /* first: the server hands us &hook */
    const kiln_cache_rule *rule;
    kiln_cache *k;
    int mode;
    bool creds;       /* the request has Cookie or Authorization */
    size_t hdr_start; /* the handler's headers begin here in resp_headers */
    char primary[65];
    bool ready; /* the hook kept a response to store */
    cache_entry e;
    kiln_str resp_vary; /* the response's own Vary names beyond the rule's */
    char secondary[65]; /* with resp_vary: where the response goes */
} route_cap;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Splits a header-name list ("A, B") into names; returns their count. */
static size_t split_names(kiln_str list, kiln_str *out, size_t max)
{
    size_t n = 0, i = 0;
    while (i < list.n) {
        while (i < list.n &&
               (list.p[i] == ',' || list.p[i] == ' ' || list.p[i] == '\t'))
            i++;
        size_t s = i;
        while (i < list.n && list.p[i] != ',' && list.p[i] != ' ' &&
               list.p[i] != '\t')
            i++;
        if (i > s && n < max)
            out[n++] = (kiln_str){list.p + s, i - s};
    }
    return n;
}

static bool is_token_char(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int kiln_cache_rule_check(const kiln_cache_rule *rule, char *err, size_t errlen)
{
    if (rule->ttl < 1) {
        snprintf(err, errlen, "cache ttl is a number of seconds, 1 or more");
        return KILN_EINVAL;
    }
    if (rule->credentials != KILN_CACHE_SKIP &&
        rule->credentials != KILN_CACHE_PER_USER &&
        rule->credentials != KILN_CACHE_IGNORE) {
        snprintf(err, errlen, "cache credentials: unknown value");
        return KILN_EINVAL;
    }
    if (!rule->vary)
        return 0;
    kiln_str names[VARY_MAX + 1];
    size_t n = split_names(kiln_str_c(rule->vary), names, VARY_MAX + 1);
    if (n > VARY_MAX) {
        snprintf(err, errlen, "cache vary: at most %d headers", VARY_MAX);
        return KILN_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < names[i].n; j++)
            if (!is_token_char(names[i].p[j])) {
                char shown[40]; /* printable: the message is one line */
                size_t k = 0;
                for (; k < names[i].n && k < sizeof shown - 1; k++) {
                    unsigned char ch = (unsigned char)names[i].p[k];
                    shown[k] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
                }
                shown[k] = '\0';
                snprintf(err, errlen, "cache vary: '%s' is not a header name",
                         shown);
                return KILN_EINVAL;
            }
        if (kiln_str_ieq_c(names[i], "*")) {
            snprintf(err, errlen,
                     "cache vary: '*' would never match: do "
                     "not cache the route");
            return KILN_EINVAL;
        }
    }
    return 0;
}

/* Hashes name and every value of request header name. */
static void hash_header(kiln_ctx *c, sha256_ctx *h, kiln_str name)
{
    sha256_update(h, "\n", 1);
    for (size_t i = 0; i < name.n; i++) {
        char ch = name.p[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        sha256_update(h, &ch, 1);
    }
    unsigned n = kiln_header_count(c);
    for (unsigned i = 0; i < n; i++) {
        kiln_str hn, hv;
        kiln_header_at(c, i, &hn, &hv);
        if (kiln_str_ieq(hn, name)) {
            sha256_update(h, ":", 1);
            sha256_update(h, hv.p, hv.n);
        }
    }
}

static void hex_of(const uint8_t d[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

static void primary_key(kiln_ctx *c, const kiln_cache_rule *rule, bool user,
                        char out[65])
{
    sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, "kiln-rc1\n", 9);
    kiln_str host = kiln_header(c, "Host");
    for (size_t i = 0; i < host.n; i++) {
        char ch = host.p[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        sha256_update(&h, &ch, 1);
    }
    kiln_str t = kiln_target(c);
    sha256_update(&h, "\n", 1);
    sha256_update(&h, t.p, t.n);
    kiln_str names[VARY_MAX];
    size_t n =
        rule->vary ? split_names(kiln_str_c(rule->vary), names, VARY_MAX) : 0;
    for (size_t i = 0; i < n; i++)
        hash_header(c, &h, names[i]);
    if (user) {
        hash_header(c, &h, KILN_STR("Cookie"));
        hash_header(c, &h, KILN_STR("Authorization"));
    }
    uint8_t d[32];
    sha256_final(&h, d);
    hex_of(d, out);
}

/* The key under which a response that varies on names is stored. */
static void secondary_key(kiln_ctx *c, const char *primary, kiln_str names,
                          char out[65])
{
    sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, primary, 64);
    kiln_str v[VARY_MAX];
    size_t n = split_names(names, v, VARY_MAX);
    for (size_t i = 0; i < n; i++)
        hash_header(c, &h, v[i]);
    uint8_t d[32];
    sha256_final(&h, d);
    hex_of(d, out);
}

static kiln_str store_key(kiln_arena *a, const char *hex)
{
    char *s = kiln_arena_printf(a, ROUTE_KEY_TAG "%s", hex);
    return s ? kiln_str_c(s) : KILN_STR_NULL;
}

/* Reads and decodes the entry under hex. 0, KILN_ENOTFOUND (also for a
   malformed entry), or the cache's error. */
static int read_entry(kiln_ctx *c, kiln_cache *k, const char *hex,
                      cache_entry *e)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_str key = store_key(a, hex), raw;
    if (!key.p)
        return KILN_ENOMEM;
    int rc = kiln_cache_get(k, key, a, &raw);
    if (rc)
        return rc;
    if (cache_entry_decode(raw, e) != 0) {
        kiln_log(KILN_LOG_WARN, "cache: a stored response is malformed; "
                                "ignoring it");
        return KILN_ENOTFOUND;
    }
    return 0;
}

/* The Vary value the route's responses carry ("" when none). */
static const char *route_vary(kiln_ctx *c, const route_cap *cap)
{
    const char *v = cap->rule->vary ? cap->rule->vary : "";
    if (cap->rule->credentials == KILN_CACHE_PER_USER)
        return kiln_arena_printf(kiln_ctx_arena(c),
                                 "%s%sCookie, "
                                 "Authorization",
                                 v, *v ? ", " : "");
    return v;
}

static const char *cc_value(kiln_ctx *c, const route_cap *cap, int64_t left)
{
    const char *scope = cap->rule->credentials == KILN_CACHE_IGNORE ? "public, "
                        : cap->rule->credentials == KILN_CACHE_PER_USER
                            ? "private, "
                            : "";
    return kiln_arena_printf(kiln_ctx_arena(c), "%smax-age=%lld", scope,
                             (long long)left);
}

/* Answers c with the stored response e. */
static int serve_entry(kiln_ctx *c, route_cap *cap, const cache_entry *e)
{
    kiln_arena *a = kiln_ctx_arena(c);
    int64_t age = (wall_ms() - e->stored_ms) / 1000;
    if (age < 0)
        age = 0;
    if (age >= e->ttl_s)
        return 0; /* expired but still there: a miss */
    bool has_cc = false;
    kiln_str h = e->headers;
    size_t i = 0;
    while (i < h.n) { /* the lines were checked by cache_entry_decode */
        const char *colon = memchr(h.p + i, ':', h.n - i);
        const char *end = memchr(h.p + i, '\r', h.n - i);
        char *name = kiln_arena_strndup(a, h.p + i, (size_t)(colon - h.p) - i);
        char *value =
            kiln_arena_strndup(a, colon + 2, (size_t)(end - colon - 2));
        if (!name || !value)
            return KILN_ENOMEM;
        if (strcasecmp(name, "Cache-Control") == 0)
            has_cc = true;
        if (kiln_set_header(c, name, value) != 0)
            return KILN_ENOMEM;
        i = (size_t)(end - h.p) + 2;
    }
    const char *vary = route_vary(c, cap);
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)age);
    if (!vary || (*vary && kiln_set_header(c, "Vary", vary) != 0) ||
        kiln_set_header(c, "Age", num) != 0)
        return KILN_ENOMEM;
    if (!has_cc) {
        const char *cc = cc_value(c, cap, e->ttl_s - age);
        if (!cc || kiln_set_header(c, "Cache-Control", cc) != 0)
            return KILN_ENOMEM;
    }
    char *ctype =
        e->ctype.p ? kiln_arena_strndup(a, e->ctype.p, e->ctype.n) : NULL;
    if (e->ctype.p && !ctype)
        return KILN_ENOMEM;
    int rc = kiln_respond(c, e->status, ctype, e->body.p, e->body.n);
    return rc ? rc : 1;
}

/* The values of the handler's headers called name (from its headers in
   resp_headers past start), joined by ", " in a; p == NULL when none. */
static kiln_str handler_header(kiln_ctx *x, size_t start, const char *name)
{
    kiln_buf *b = &x->resp_headers;
    size_t nn = strlen(name), i = start;
    char *out = NULL;
    size_t n = 0;
    while (i < b->n) {
        const char *eol = memchr(b->p + i, '\r', b->n - i);
        if (!eol)
            break;
        size_t len = (size_t)(eol - (b->p + i));
        if (len > nn && b->p[i + nn] == ':' &&
            strncasecmp(b->p + i, name, nn) == 0) {
            const char *v = b->p + i + nn + 1;
            while (v < eol && *v == ' ')
                v++;
            size_t vn = (size_t)(eol - v);
            char *more = kiln_arena_alloc(&x->arena, n + 2 + vn + 1);
            if (!more)
                return KILN_STR("*"); /* no memory: refuse to store */
            if (n) {
                memcpy(more, out, n);
                memcpy(more + n, ", ", 2);
                n += 2;
            }
            memcpy(more + n, v, vn);
            n += vn;
            more[n] = '\0';
            out = more;
        }
        i += len + 2;
    }
    return out ? (kiln_str){out, n} : KILN_STR_NULL;
}

/* True when the list value v has the token word (case-insensitive). */
static bool has_word(kiln_str v, const char *word)
{
    size_t wn = strlen(word);
    for (size_t i = 0; i + wn <= v.n; i++)
        if (strncasecmp(v.p + i, word, wn) == 0 &&
            (i == 0 || v.p[i - 1] == ' ' || v.p[i - 1] == ',') &&
            (i + wn == v.n || v.p[i + wn] == ',' || v.p[i + wn] == ' ' ||
             v.p[i + wn] == '='))
            return true;
    return false;
}

/* The response's own Vary names the rule does not name, as a list in a;
   "*" when it varies on everything. */
static kiln_str extra_vary(kiln_arena *a, const kiln_cache_rule *rule,
                           kiln_str resp)
{
    kiln_str have[VARY_MAX], got[VARY_MAX];
    size_t nh =
        rule->vary ? split_names(kiln_str_c(rule->vary), have, VARY_MAX) : 0;
    size_t ng = split_names(resp, got, VARY_MAX);
    kiln_buf b;
    kiln_buf_init(&b);
    for (size_t i = 0; i < ng; i++) {
        bool known = false;
        for (size_t j = 0; j < nh && !known; j++)
            known = kiln_str_ieq(got[i], have[j]);
        if (kiln_str_ieq_c(got[i], "*")) {
            kiln_buf_deinit(&b);
            return KILN_STR("*");
        }
        if (!known) {
            if (b.n)
                kiln_buf_append(&b, ", ", 2);
            kiln_buf_append(&b, got[i].p, got[i].n);
        }
    }
    char *s = b.n ? kiln_arena_strndup(a, b.p, b.n) : NULL;
    kiln_str out = s ? (kiln_str){s, b.n} : KILN_STR("");
    kiln_buf_deinit(&b);
    return out;
}

/* The response is about to be written: keep it if it may be cached, and
   add the route's headers. */
static void on_respond(kiln_ctx *x, respond_hook *h, int status,
                       const char *ctype, const void *body, long long len,
                       bool file)
{
    route_cap *cap = (route_cap *)h;
    kiln_arena *a = kiln_ctx_arena(x);
    kiln_str cc = handler_header(x, cap->hdr_start, "Cache-Control");
    bool refused_cc =
        cc.p && (has_word(cc, "private") || has_word(cc, "no-store") ||
                 has_word(cc, "no-cache"));
    bool cookie = handler_header(x, cap->hdr_start, "Set-Cookie").p;
    kiln_str own_vary = handler_header(x, cap->hdr_start, "Vary");
    kiln_str extra =
        own_vary.p ? extra_vary(a, cap->rule, own_vary) : KILN_STR("");
    bool ok200 = status == 200 && !file && len >= 0;
    bool store = cap->mode == CAP_STORE && ok200 && !refused_cc && !cookie &&
                 !kiln_str_eq(extra, KILN_STR("*"));
    /* the handler's headers, before ours are added */
    kiln_str hdrs = {x->resp_headers.p ? x->resp_headers.p + cap->hdr_start
                                       : "",
                     x->resp_headers.n - cap->hdr_start};
    if (store) {
        cache_entry *e = &cap->e;
        memset(e, 0, sizeof *e);
        e->status = status;
        e->stored_ms = wall_ms();
        e->ttl_s = cap->rule->ttl;
        if (ctype) {
            size_t n = strlen(ctype);
            char *ct = kiln_arena_strndup(a, ctype, n);
            e->ctype = ct ? (kiln_str){ct, n} : KILN_STR_NULL;
        }
        char *hp = kiln_arena_strndup(a, hdrs.p, hdrs.n);
        char *bp = kiln_arena_strndup(a, body ? body : "", (size_t)len);
        if (hp && bp && (!ctype || e->ctype.p)) {
            e->headers = (kiln_str){hp, hdrs.n};
            e->body = (kiln_str){bp, (size_t)len};
            cap->resp_vary = extra;
            if (extra.n)
                secondary_key(x, cap->primary, extra, cap->secondary);
            cap->ready = true;
        }
    }
    const char *vary = route_vary(x, cap);
    if (vary && *vary)
        kiln_set_header(x, "Vary", vary);
    if (!cc.p && status == 200) {
        if (cap->mode == CAP_NOSTORE && cap->creds)
            kiln_set_header(x, "Cache-Control", "private");
        else if (cookie)
            kiln_set_header(x, "Cache-Control", "private");
        else if (store) {
            const char *v = cc_value(x, cap, cap->rule->ttl);
            if (v)
                kiln_set_header(x, "Cache-Control", v);
        }
    }
}

/* Stores what on_respond kept, once the handler has returned. */
static void store_deferred(void *arg, int rc)
{
    route_cap *cap = arg;
    if (!cap->ready || rc != 0)
        return; /* nothing kept, the handler failed, or no coroutine */
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_arena tmp;
    kiln_arena_init(&tmp, 256);
    int64_t ttl_ms = (int64_t)cap->rule->ttl * 1000;
    const char *at = cap->primary;
    int r = 0;
    if (cap->resp_vary.n) {
        cache_entry note = {.vary_note = true,
                            .stored_ms = cap->e.stored_ms,
                            .ttl_s = cap->e.ttl_s,
                            .vary = cap->resp_vary};
        r = cache_entry_encode(&note, &b);
        if (r == 0)
            r = kiln_cache_set(cap->k, store_key(&tmp, cap->primary),
                               (kiln_str){b.p, b.n}, ttl_ms);
        kiln_buf_clear(&b);
        at = cap->secondary;
    }
    if (r == 0)
        r = cache_entry_encode(&cap->e, &b);
    if (r == 0)
        r = kiln_cache_set(cap->k, store_key(&tmp, at), (kiln_str){b.p, b.n},
                           ttl_ms);
    if (r < 0 && r != KILN_EUNAVAIL && r != KILN_ETIMEDOUT)
        kiln_log(KILN_LOG_DEBUG, "cache: a response was not stored: %s",
                 kiln_strerror(r));
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&tmp);
}

int kiln_cache_response(kiln_ctx *c, const kiln_cache_rule *rule)
{
    kiln_str m = kiln_method(c);
    if (!kiln_str_eq(m, KILN_STR("GET")) && !kiln_str_eq(m, KILN_STR("HEAD")))
        return 0;
    kiln_cache *k = cache_of(NULL);
    if (!k || kiln_responded(c))
        return 0;
    route_cap *cap = kiln_alloc(c, sizeof *cap);
    if (!cap)
        return KILN_ENOMEM;
    memset(cap, 0, sizeof *cap);
    cap->hook.fn = on_respond;
    cap->rule = rule;
    cap->k = k;
    cap->hdr_start = c->resp_headers.n;
    cap->creds =
        kiln_header(c, "Cookie").p || kiln_header(c, "Authorization").p;
    if (cap->creds && rule->credentials == KILN_CACHE_SKIP) {
        cap->mode = CAP_NOSTORE;
        c->on_respond = &cap->hook;
        return 0;
    }
    primary_key(c, rule, rule->credentials == KILN_CACHE_PER_USER,
                cap->primary);
    cache_entry e;
    int rc = read_entry(c, k, cap->primary, &e);
    if (rc == 0 && e.vary_note) {
        char second[65];
        secondary_key(c, cap->primary, e.vary, second);
        rc = read_entry(c, k, second, &e);
        if (rc == 0 && e.vary_note)
            rc = KILN_ENOTFOUND;
    }
    if (rc == 0) {
        int served = serve_entry(c, cap, &e);
        if (served != 0)
            return served;
        rc = KILN_ENOTFOUND;
    }
    if (rc == KILN_ENOMEM)
        return rc;
    if (rc != KILN_ENOTFOUND)
        cap->mode = CAP_NOSTORE; /* the cache failed: serve, do not store */
    c->on_respond = &cap->hook;
    if (cap->mode == CAP_STORE && kiln_defer(c, store_deferred, cap) != 0)
        cap->mode = CAP_NOSTORE;
    return 0;
}

/* ---- route options ------------------------------------------------------- */

typedef struct route_opts {
    kiln_handler h;
    void *data;
    bool has_cache, has_rate;
    kiln_cache_rule rule;
    const char *rate_by; /* in the same allocation, or NULL */
    char name[];         /* "METHOD PATTERN": the rate limit's */
} route_opts;

static int route_opts_serve(kiln_ctx *c)
{
    const route_opts *ro = kiln_route_data(c);
    c->match.data = ro->data; /* the handler sees its own data */
    if (ro->has_rate) {
        int rc = kiln_rate_limit(c, ro->name, kiln_rate_key(c, ro->rate_by));
        if (rc != 0)
            return rc > 0 ? 0 : rc;
    }
    if (ro->has_cache) {
        int rc = kiln_cache_response(c, &ro->rule);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
    }
    return ro->h(c);
}

int kiln_route_opts(kiln_app *app, const char *method, const char *pattern,
                    kiln_handler h, const kiln_route_options *o)
{
    if (!app || !method || !pattern || !h || !o)
        return KILN_EINVAL;
    char err[200];
    if (o->cache && kiln_cache_rule_check(o->cache, err, sizeof err) != 0) {
        kiln_log(KILN_LOG_ERROR, "%s %s: %s", method, pattern, err);
        return KILN_EINVAL;
    }
    size_t nn = strlen(method) + 1 + strlen(pattern) + 1;
    size_t vn = o->cache && o->cache->vary ? strlen(o->cache->vary) + 1 : 0;
    size_t bn = o->rate_by ? strlen(o->rate_by) + 1 : 0;
    route_opts *ro = calloc(1, sizeof *ro + nn + vn + bn);
    if (!ro)
        return KILN_ENOMEM;
    snprintf(ro->name, nn, "%s %s", method, pattern);
    char *extra = ro->name + nn;
    ro->h = h;
    ro->data = o->data;
    if (o->cache) {
        ro->has_cache = true;
        ro->rule = *o->cache;
        if (vn) {
            memcpy(extra, o->cache->vary, vn);
            ro->rule.vary = extra;
            extra += vn;
        }
    }
    if (bn) {
        memcpy(extra, o->rate_by, bn);
        ro->rate_by = extra;
    }
    if (o->rate) {
        ro->has_rate = true;
        int rc = kiln_rate_define(ro->name, o->rate);
        if (rc) {
            free(ro);
            return rc;
        }
    }
    if (app_keep(app, ro) != 0)
        return KILN_ENOMEM;
    return kiln_route_with(app, method, pattern, route_opts_serve, ro);
}
