/*
 * cache/rate.c - the rate limiter of kiln/rate.h: limits written as
 * "10/s burst 20", token buckets in the memory store or in Redis, the
 * named limits, the client's key, and the RateLimit fields.
 *
 * The bucket (rate_bucket_take) is the same arithmetic in both stores: a
 * bucket holds up to burst tokens, gains per_sec of them each second since
 * it was last touched, and a request takes one. A bucket that would be
 * full is the same as no bucket, so each is kept only until it fills (its
 * time to live) and a store that evicts one loses nothing but leniency.
 * In Redis the update is one script run on the server's clock (TIME), so
 * instances sharing it share the bucket exactly; it needs Redis 5 or newer
 * (a script that writes after TIME).
 */
#include "cache/cache_impl.h"

#include "core/sha256.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RATE_MAX_DEFS 256
#define RATE_NAME_MAX 128
#define RATE_KEY_MAX 64 /* longer keys are hashed */
#define RATE_EPS 1e-9

/* ---- specs --------------------------------------------------------------- */

static int spec_fail(char *err, size_t errlen, const char *spec,
                     const char *why)
{
    char shown[64]; /* printable: the message is one line */
    size_t k = 0;
    for (; spec && spec[k] && k < sizeof shown - 1; k++) {
        unsigned char ch = (unsigned char)spec[k];
        shown[k] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
    }
    shown[k] = '\0';
    if (err && errlen)
        snprintf(err, errlen,
                 "rate \"%s\": %s (write \"10/s\", \"100/min burst 20\", "
                 "\"5/10s\")",
                 shown, why);
    return KILN_EINVAL;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* A positive integer up to 10^9 at *p. */
static bool take_count(const char **p, double *out)
{
    const char *s = *p;
    double v = 0;
    int n = 0;
    while (*s >= '0' && *s <= '9' && n < 11) {
        v = v * 10 + (*s - '0');
        s++;
        n++;
    }
    if (n == 0 || v < 1 || v > 1e9)
        return false;
    *p = s;
    *out = v;
    return true;
}

int kiln_rate_parse(const char *spec, kiln_rate *out, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        double secs;
    } units[] = {{"second", 1},  {"sec", 1},  {"s", 1},       {"minute", 60},
                 {"min", 60},    {"m", 60},   {"hour", 3600}, {"h", 3600},
                 {"day", 86400}, {"d", 86400}};
    if (!spec)
        return spec_fail(err, errlen, spec, "no limit");
    const char *p = spec;
    double count, per = 1, burst;
    skip_spaces(&p);
    if (!take_count(&p, &count))
        return spec_fail(err, errlen, spec,
                         "it starts with a count from 1 to 1000000000");
    skip_spaces(&p);
    if (*p != '/')
        return spec_fail(err, errlen, spec, "a '/' follows the count");
    p++;
    skip_spaces(&p);
    if (*p >= '0' && *p <= '9' && !take_count(&p, &per))
        return spec_fail(err, errlen, spec, "a bad period count");
    size_t i = 0, n = 0;
    while (p[n] >= 'a' && p[n] <= 'z')
        n++;
    for (; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && strncmp(p, units[i].name, n) == 0)
            break;
    if (n == 0 || i == sizeof units / sizeof units[0])
        return spec_fail(err, errlen, spec,
                         "the unit is s, min, h or day (or second, minute, "
                         "hour)");
    p += n;
    double secs = per * units[i].secs;
    burst = count;
    skip_spaces(&p);
    if (strncmp(p, "burst", 5) == 0) {
        p += 5;
        skip_spaces(&p);
        if (!take_count(&p, &burst))
            return spec_fail(err, errlen, spec,
                             "burst is a count from 1 to 1000000000");
        skip_spaces(&p);
    }
    if (*p)
        return spec_fail(err, errlen, spec,
                         "only \"burst N\" may follow the period");
    out->per_sec = count / secs;
    out->burst = burst;
    return 0;
}

/* ---- buckets ------------------------------------------------------------- */

void rate_result_of(const kiln_rate *r, double tokens, bool allowed,
                    double cost, kiln_rate_result *out)
{
    if (tokens < 0)
        tokens = 0;
    double need = cost > 0 ? cost : 1;
    out->allowed = allowed;
    out->limit = (int64_t)llround(r->burst);
    out->window_s = (int64_t)ceil(r->burst / r->per_sec - RATE_EPS);
    out->remaining = (int64_t)floor(tokens + RATE_EPS);
    double missing = r->burst - tokens;
    out->reset_s =
        missing > RATE_EPS ? (int64_t)ceil(missing / r->per_sec - RATE_EPS) : 0;
    out->retry_after_s = 0;
    if (!allowed) {
        double wait = (need - tokens) / r->per_sec;
        out->retry_after_s =
            wait > RATE_EPS ? (int64_t)ceil(wait - RATE_EPS) : 1;
        if (out->retry_after_s < 1)
            out->retry_after_s = 1;
        /* the draft: with Retry-After, t names the same moment */
        out->reset_s = out->retry_after_s;
    }
}

int64_t rate_bucket_take(rate_bucket *b, bool fresh, const kiln_rate *r,
                         double cost, int64_t now_ms, kiln_rate_result *out)
{
    double per_ms = r->per_sec / 1000.0;
    if (fresh) {
        b->tokens = r->burst;
        b->at_ms = now_ms;
    }
    if (now_ms > b->at_ms) {
        b->tokens += (double)(now_ms - b->at_ms) * per_ms;
        if (b->tokens > r->burst)
            b->tokens = r->burst;
        b->at_ms = now_ms;
    }
    bool allowed;
    if (cost > 0) {
        allowed = b->tokens + RATE_EPS >= cost;
        if (allowed)
            b->tokens -= cost;
    } else {
        allowed = b->tokens + RATE_EPS >= 1;
    }
    rate_result_of(r, b->tokens, allowed, cost, out);
    double missing = r->burst - b->tokens;
    return missing > RATE_EPS ? (int64_t)ceil(missing / per_ms) : 0;
}

typedef struct take_arg {
    const kiln_rate *r;
    double cost;
    int64_t now;
    kiln_rate_result *out;
} take_arg;

static int64_t take_in_place(void *arg, void *val, bool fresh)
{
    take_arg *t = arg;
    rate_bucket b;
    memcpy(&b, val, sizeof b);
    int64_t ttl = rate_bucket_take(&b, fresh, t->r, t->cost, t->now, t->out);
    if (t->cost <= 0)
        return -1; /* a check: nothing changes */
    memcpy(val, &b, sizeof b);
    return ttl > 0 ? ttl : 1;
}

/* Refill, take and expire, atomically on the server's clock. Returns
   {taken (0/1), tokens left as text}. */
static redis_script take_script = REDIS_SCRIPT(
    "local rate = tonumber(ARGV[1])\n"
    "local burst = tonumber(ARGV[2])\n"
    "local cost = tonumber(ARGV[3])\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local s = redis.call('HMGET', KEYS[1], 't', 'at')\n"
    "local tokens = tonumber(s[1])\n"
    "local at = tonumber(s[2])\n"
    "if tokens == nil or at == nil then tokens = burst; at = now end\n"
    "if now > at then\n"
    "  tokens = math.min(burst, tokens + (now - at) * rate); at = now\n"
    "end\n"
    "local ok = 0\n"
    "if cost > 0 then\n"
    "  if tokens + 1e-9 >= cost then tokens = tokens - cost; ok = 1 end\n"
    "  local ttl = math.ceil((burst - tokens) / rate)\n"
    "  if ttl < 1 then ttl = 1 end\n"
    "  redis.call('HSET', KEYS[1], 't', string.format('%.9f', tokens),\n"
    "             'at', string.format('%d', at))\n"
    "  redis.call('PEXPIRE', KEYS[1], ttl)\n"
    "elseif tokens + 1e-9 >= 1 then ok = 1 end\n"
    "return {ok, string.format('%.9f', tokens)}\n");

/* The bucket's key: name, a NUL, then key (hashed when long). */
static kiln_str bucket_key(kiln_arena *a, const char *name, kiln_str key)
{
    size_t nn = strlen(name);
    char hex[65];
    if (key.n > RATE_KEY_MAX) {
        sha256_hex(key.p, key.n, hex);
        key = (kiln_str){hex, 64};
    }
    char *p = kiln_arena_alloc(a, nn + 1 + key.n + 1);
    if (!p)
        return KILN_STR_NULL;
    memcpy(p, name, nn);
    p[nn] = '\0';
    if (key.n)
        memcpy(p + nn + 1, key.p, key.n);
    p[nn + 1 + key.n] = '\0';
    return (kiln_str){p, nn + 1 + key.n};
}

int kiln_rate_take(kiln_cache *k, const char *name, const kiln_rate *r,
                   kiln_str key, double cost, kiln_rate_result *out)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    if (!(r->per_sec > 0) || !(r->burst >= 1) || cost < 0)
        return KILN_EINVAL;
    kiln_arena a;
    kiln_arena_init(&a, 512);
    kiln_str bk = bucket_key(&a, name, key);
    int rc = bk.p ? 0 : KILN_ENOMEM;
    if (rc == 0 && !k->rate_redis) {
        take_arg t = {r, cost, kiln_now_ms(), out};
        rc = cache_mem_update(k->rate_mem, bk, sizeof(rate_bucket), t.now,
                              take_in_place, &t);
    } else if (rc == 0) {
        /* in Redis the name's NUL becomes ':' */
        kiln_str rk = cache_redis_key(k, &a, "r:", bk);
        char srate[40], sburst[40], scost[40];
        snprintf(srate, sizeof srate, "%.17g", r->per_sec / 1000.0);
        snprintf(sburst, sizeof sburst, "%.17g", r->burst);
        snprintf(scost, sizeof scost, "%.17g", cost);
        redis_value *v = NULL;
        if (!rk.p) {
            rc = KILN_ENOMEM;
        } else {
            ((char *)rk.p)[strlen(k->prefix) + 2 + strlen(name)] = ':';
            kiln_str argv[4] = {rk, kiln_str_c(srate), kiln_str_c(sburst),
                                kiln_str_c(scost)};
            rc = redis_eval(k->rc, &a, &take_script, 1, 3, argv, &v);
        }
        if (rc) {
            cache_log_failure("rate limit", rc);
        } else if (v->type == REDIS_T_ARRAY && v->n == 2 &&
                   v->elems[0].type == REDIS_T_INT &&
                   v->elems[1].type == REDIS_T_STRING) {
            rate_result_of(r, strtod(v->elems[1].s.p, NULL), v->elems[0].i == 1,
                           cost, out);
        } else {
            kiln_log(KILN_LOG_WARN, "rate limit: Redis answered %s",
                     v->type == REDIS_T_ERROR ? v->s.p : "an unexpected reply");
            rc = KILN_EIO;
        }
    }
    kiln_arena_deinit(&a);
    return rc;
}

/* Forgets a bucket (full again on its next take). */
static redis_script reset_script =
    REDIS_SCRIPT("return redis.call('DEL', KEYS[1])\n");

int kiln_rate_reset(kiln_cache *k, const char *name, kiln_str key)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    kiln_arena a;
    kiln_arena_init(&a, 512);
    kiln_str bk = bucket_key(&a, name, key);
    int rc = bk.p ? 0 : KILN_ENOMEM;
    if (rc == 0 && !k->rate_redis) {
        rc = cache_mem_delete(k->rate_mem, bk, kiln_now_ms());
        if (rc == KILN_ENOTFOUND)
            rc = 0;
    } else if (rc == 0) {
        kiln_str rk = cache_redis_key(k, &a, "r:", bk);
        redis_value *v = NULL;
        if (!rk.p) {
            rc = KILN_ENOMEM;
        } else {
            ((char *)rk.p)[strlen(k->prefix) + 2 + strlen(name)] = ':';
            rc = redis_eval(k->rc, &a, &reset_script, 1, 0, &rk, &v);
        }
        if (rc)
            cache_log_failure("rate limit reset", rc);
    }
    kiln_arena_deinit(&a);
    return rc;
}

/* ---- named limits -------------------------------------------------------- */

typedef struct rate_def {
    char name[RATE_NAME_MAX];
    kiln_rate rate;
} rate_def;

/* Written before serving (under the lock), read-only afterwards. */
static rate_def defs[RATE_MAX_DEFS];
static int ndefs;
static pthread_mutex_t defs_lock = PTHREAD_MUTEX_INITIALIZER;

static const rate_def *def_find(const char *name)
{
    for (int i = 0; i < ndefs; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

int kiln_rate_define(const char *name, const char *spec)
{
    char err[200];
    kiln_rate r;
    if (!name || !*name || strlen(name) >= RATE_NAME_MAX) {
        kiln_log(KILN_LOG_ERROR, "rate limit name '%.40s': 1 to %d bytes",
                 name ? name : "", RATE_NAME_MAX - 1);
        return KILN_EINVAL;
    }
    if (kiln_rate_parse(spec, &r, err, sizeof err) != 0) {
        kiln_log(KILN_LOG_ERROR, "rate limit '%s': %s", name, err);
        return KILN_EINVAL;
    }
    pthread_mutex_lock(&defs_lock);
    rate_def *d = (rate_def *)def_find(name);
    int rc = 0;
    if (!d && ndefs == RATE_MAX_DEFS)
        rc = KILN_ELIMIT;
    else if (!d)
        d = &defs[ndefs++];
    if (d) {
        snprintf(d->name, sizeof d->name, "%s", name);
        d->rate = r;
    }
    pthread_mutex_unlock(&defs_lock);
    if (rc)
        kiln_log(KILN_LOG_ERROR, "rate limit '%s': more than %d limits", name,
                 RATE_MAX_DEFS);
    return rc;
}

/* ---- keys ---------------------------------------------------------------- */

static kiln_str (*user_key)(kiln_ctx *c);

void kiln_rate_set_user_key(kiln_str (*fn)(kiln_ctx *c))
{
    user_key = fn;
}

/* tag + (hashed ? first 32 hex digits of SHA-256(v) : v), in c's arena. */
static kiln_str tagged(kiln_ctx *c, const char *tag, kiln_str v, bool hashed)
{
    char hex[65];
    if (hashed) {
        sha256_hex(v.p, v.n, hex);
        v = (kiln_str){hex, 32};
    }
    const char *s =
        kiln_arena_printf(kiln_ctx_arena(c), "%s%.*s", tag, (int)v.n, v.p);
    return s ? kiln_str_c(s) : KILN_STR_NULL;
}

bool kiln_rate_by_ok(const char *by)
{
    return !by || strcmp(by, "ip") == 0 || strcmp(by, "token") == 0 ||
           strcmp(by, "user") == 0 ||
           ((strncmp(by, "header:", 7) == 0 ||
             strncmp(by, "cookie:", 7) == 0) &&
            by[7]);
}

kiln_str kiln_rate_key(kiln_ctx *c, const char *by)
{
    kiln_str v = KILN_STR_NULL;
    const char *tag = NULL;
    bool hashed = false;
    if (!by || strcmp(by, "ip") == 0) {
        /* the address: below */
    } else if (strcmp(by, "token") == 0) {
        v = kiln_header(c, "Authorization");
        tag = "token:";
        hashed = true;
    } else if (strncmp(by, "header:", 7) == 0 && by[7]) {
        v = kiln_header(c, by + 7);
        tag = "h:";
    } else if (strncmp(by, "cookie:", 7) == 0 && by[7]) {
        v = kiln_cookie(c, by + 7);
        tag = "cookie:";
        hashed = true;
    } else if (strcmp(by, "user") == 0) {
        v = user_key ? user_key(c) : KILN_STR_NULL;
        tag = "user:";
    } else {
        return KILN_STR_NULL;
    }
    if (tag && v.p && v.n)
        return tagged(c, tag, v, hashed);
    kiln_str ip = kiln_client_ip(c);
    return tagged(c, "ip:", ip.p ? ip : KILN_STR("unknown"), false);
}

/* ---- answers ------------------------------------------------------------- */

/* name as a Structured Fields string ("...", with \" and \\), in a. */
static const char *sf_string(kiln_arena *a, const char *name)
{
    size_t n = strlen(name);
    char *s = kiln_arena_alloc(a, 2 * n + 3);
    if (!s)
        return NULL;
    size_t k = 0;
    s[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (ch == '"' || ch == '\\')
            s[k++] = '\\';
        s[k++] =
            ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e) ? '?' : ch;
    }
    s[k++] = '"';
    s[k] = '\0';
    return s;
}

int kiln_rate_headers(kiln_ctx *c, const char *name,
                      const kiln_rate_result *res)
{
    kiln_arena *a = kiln_ctx_arena(c);
    const char *id = sf_string(a, name);
    if (!id)
        return KILN_ENOMEM;
    char v[64];
    const char *policy =
        kiln_arena_printf(a, "%s;q=%lld;w=%lld", id, (long long)res->limit,
                          (long long)res->window_s);
    const char *state =
        kiln_arena_printf(a, "%s;r=%lld;t=%lld", id, (long long)res->remaining,
                          (long long)res->reset_s);
    if (!policy || !state)
        return KILN_ENOMEM;
    int rc = kiln_set_header(c, "RateLimit-Policy", policy);
    rc |= kiln_set_header(c, "RateLimit", state);
    snprintf(v, sizeof v, "%lld", (long long)res->limit);
    rc |= kiln_set_header(c, "RateLimit-Limit", v);
    snprintf(v, sizeof v, "%lld", (long long)res->remaining);
    rc |= kiln_set_header(c, "RateLimit-Remaining", v);
    snprintf(v, sizeof v, "%lld", (long long)res->reset_s);
    rc |= kiln_set_header(c, "RateLimit-Reset", v);
    if (!res->allowed) {
        snprintf(v, sizeof v, "%lld", (long long)res->retry_after_s);
        rc |= kiln_set_header(c, "Retry-After", v);
    }
    return rc ? KILN_ENOMEM : 0;
}

/* Answers a limit whose store failed: 503, or nothing (fail open). */
static int store_failed(kiln_ctx *c, const char *name, int rc)
{
    kiln_cache *k = cache_of(NULL);
    if (k && k->rate_fail_open) {
        kiln_log(KILN_LOG_DEBUG, "rate limit '%s' not applied: %s", name,
                 kiln_strerror(rc));
        return 0;
    }
    kiln_set_header(c, "Retry-After", "1");
    kiln_problem(c, 503, "the rate limiter is unavailable");
    return 1;
}

int kiln_rate_limit(kiln_ctx *c, const char *name, kiln_str key)
{
    const rate_def *d = def_find(name);
    if (!d) {
        kiln_log(KILN_LOG_ERROR,
                 "rate limit '%s' is not defined (kiln_rate_define)", name);
        return KILN_ENOTFOUND;
    }
    if (!key.p)
        key = kiln_rate_key(c, NULL);
    kiln_rate_result res;
    int rc = kiln_rate_take(NULL, d->name, &d->rate, key, 1, &res);
    if (rc < 0)
        return store_failed(c, name, rc);
    if (kiln_rate_headers(c, d->name, &res) != 0)
        return KILN_ENOMEM;
    if (res.allowed)
        return 0;
    kiln_problem(c, 429, "too many requests; try again in %lld second%s",
                 (long long)res.retry_after_s,
                 res.retry_after_s == 1 ? "" : "s");
    return 1;
}
