/*
 * cache/cache.c - the calls of kiln/cache.h over the memory store
 * (cache/mem.c) or Redis (redis/client.c), the default cache, and single
 * flight for kiln_cache_get_or_compute.
 *
 * Redis commands: GET; SET key value [NX] [PX ttl]; DEL; and a script for
 * incr, so that a new key gets its expiry in the same step as its first
 * value. Keys are prefix + "c:" + key.
 *
 * Single flight. Concurrent get-or-compute calls of one key in this
 * process share one computation: the first caller registers a flight
 * (a table under one lock: flights are few and short), computes and
 * publishes the value in it; the others find the flight and wait for it,
 * polling every few milliseconds (kiln_sleep_ms: it yields a handler's
 * coroutine, and works the same from any worker or thread, where a
 * direct wake-up would have to cross threads). A flight older than
 * FLIGHT_MAX_MS (its computation hangs, or its coroutine was lost) no
 * longer makes anyone wait: its waiters give up with KILN_ETIMEDOUT, and
 * the next caller starts a new one.
 */
#include "cache/cache_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE_DEFAULT_BYTES (64 * 1024 * 1024)
#define RATE_DEFAULT_BYTES (8 * 1024 * 1024)
#define FLIGHT_BUCKETS 256
#define FLIGHT_MAX_MS 30000
#define FLIGHT_POLL_MAX_MS 4

/* Set once before serving (or lazily, a memory cache, on first use). */
static kiln_cache *g_default;
static kiln_cache *g_lazy;
static pthread_once_t lazy_once = PTHREAD_ONCE_INIT;

static void lazy_make(void)
{
    char err[128];
    g_lazy = kiln_cache_new(&(kiln_cache_opts){0}, err, sizeof err);
}

kiln_cache *cache_of(kiln_cache *k)
{
    if (k)
        return k;
    if (g_default)
        return g_default;
    /* a plain libkiln app that set none gets a memory cache */
    pthread_once(&lazy_once, lazy_make);
    return g_lazy;
}

void kiln_cache_set_default(kiln_cache *k)
{
    g_default = k;
}

kiln_cache *kiln_cache_default(void)
{
    return g_default;
}

const char *kiln_cache_backend(const kiln_cache *k)
{
    return k->redis ? "redis" : "memory";
}

/* "memory" -> 0, "redis" -> 1, else -1. */
static int backend_kind(const char *name)
{
    if (!name || !*name || strcasecmp(name, "memory") == 0)
        return 0;
    if (strcasecmp(name, "redis") == 0)
        return 1;
    return -1;
}

kiln_cache *kiln_cache_new(const kiln_cache_opts *o, char *err, size_t errlen)
{
    int kind = backend_kind(o->backend);
    int rkind = o->rate_backend ? backend_kind(o->rate_backend) : kind;
    if (kind < 0 || rkind < 0) {
        snprintf(err, errlen,
                 "%s '%s' is not a cache backend (memory or redis)",
                 kind < 0 ? "cache.backend" : "rate.backend",
                 kind < 0 ? o->backend : o->rate_backend);
        return NULL;
    }
    const char *prefix = o->prefix ? o->prefix : "kiln:";
    kiln_cache *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (strlen(prefix) >= sizeof k->prefix) {
        snprintf(err, errlen, "cache.prefix is longer than %zu bytes",
                 sizeof k->prefix - 1);
        free(k);
        return NULL;
    }
    snprintf(k->prefix, sizeof k->prefix, "%s", prefix);
    k->redis = kind == 1;
    k->rate_redis = rkind == 1;
    k->rate_fail_open = o->rate_fail_open;
    if (k->redis || k->rate_redis) {
        if (!o->redis_url || !*o->redis_url) {
            snprintf(err, errlen,
                     "%s is \"redis\" but redis.url is empty "
                     "(redis://127.0.0.1:6379/0)",
                     k->redis ? "cache.backend" : "rate.backend");
            free(k);
            return NULL;
        }
        redis_opts ro = {.url = o->redis_url,
                         .pool = o->redis_pool,
                         .connect_timeout_ms = o->redis_connect_timeout_ms,
                         .timeout_ms = o->redis_timeout_ms};
        k->rc = redis_client_new(&ro, err, errlen);
        if (!k->rc) {
            free(k);
            return NULL;
        }
    }
    if (!k->redis)
        k->mem = cache_mem_new(
            o->max_bytes > 0 ? o->max_bytes : CACHE_DEFAULT_BYTES, 0);
    if (!k->rate_redis)
        k->rate_mem = cache_mem_new(
            o->rate_max_bytes > 0 ? o->rate_max_bytes : RATE_DEFAULT_BYTES, 0);
    if ((!k->redis && !k->mem) || (!k->rate_redis && !k->rate_mem)) {
        snprintf(err, errlen, "out of memory");
        kiln_cache_free(k);
        return NULL;
    }
    return k;
}

void kiln_cache_free(kiln_cache *k)
{
    if (!k)
        return;
    if (g_default == k)
        g_default = NULL;
    cache_mem_free(k->mem);
    cache_mem_free(k->rate_mem);
    redis_client_free(k->rc);
    free(k);
}

kiln_str cache_redis_key(const kiln_cache *k, kiln_arena *a, const char *tag,
                         kiln_str key)
{
    size_t pn = strlen(k->prefix), tn = strlen(tag);
    char *p = kiln_arena_alloc(a, pn + tn + key.n + 1);
    if (!p)
        return KILN_STR_NULL;
    memcpy(p, k->prefix, pn);
    memcpy(p + pn, tag, tn);
    if (key.n)
        memcpy(p + pn + tn, key.p, key.n);
    p[pn + tn + key.n] = '\0';
    return (kiln_str){p, pn + tn + key.n};
}

void cache_log_failure(const char *what, int rc)
{
    static int64_t last; /* atomic: ms of the last message */
    int64_t now = kiln_now_ms();
    int64_t prev = __atomic_load_n(&last, __ATOMIC_RELAXED);
    if (prev && now - prev < 1000)
        return;
    if (!__atomic_compare_exchange_n(&last, &prev, now, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return;
    const char *why = redis_last_error();
    kiln_log(KILN_LOG_WARN, "cache: %s failed: %s", what,
             why[0] ? why : kiln_strerror(rc));
}

/* A Redis error reply to a cache command: logged, KILN_EIO. */
static int refused(const char *what, const redis_value *v)
{
    kiln_log(KILN_LOG_WARN, "cache: %s: Redis answered %s", what, v->s.p);
    return KILN_EIO;
}

/* ---- the calls ----------------------------------------------------------- */

int kiln_cache_get(kiln_cache *k, kiln_str key, kiln_arena *a, kiln_str *out)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    if (!k->redis)
        return cache_mem_get(k->mem, key, kiln_now_ms(), a, out);
    kiln_str argv[2] = {KILN_STR("GET"), cache_redis_key(k, a, "c:", key)};
    if (!argv[1].p)
        return KILN_ENOMEM;
    redis_value *v;
    int rc = redis_call(k->rc, a, 2, argv, &v);
    if (rc) {
        cache_log_failure("get", rc);
        return rc;
    }
    if (v->type == REDIS_T_NIL)
        return KILN_ENOTFOUND;
    if (v->type != REDIS_T_STRING)
        return refused("GET", v);
    *out = v->s;
    return 0;
}

/* SET key value [NX] [PX ttl]: 1 stored, 0 not (NX), or an error. */
static int redis_set(kiln_cache *k, kiln_str key, kiln_str value,
                     int64_t ttl_ms, bool nx)
{
    kiln_arena a;
    kiln_arena_init(&a, 512);
    kiln_str argv[6] = {KILN_STR("SET"), cache_redis_key(k, &a, "c:", key),
                        value};
    size_t argc = 3;
    if (nx)
        argv[argc++] = KILN_STR("NX");
    char ttl[24];
    if (ttl_ms > 0) {
        snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
        argv[argc++] = KILN_STR("PX");
        argv[argc++] = kiln_str_c(ttl);
    }
    redis_value *v;
    int rc = argv[1].p ? redis_call(k->rc, &a, argc, argv, &v) : KILN_ENOMEM;
    if (rc)
        cache_log_failure(nx ? "add" : "set", rc);
    else if (v->type == REDIS_T_STATUS)
        rc = 1;
    else if (v->type == REDIS_T_NIL && nx)
        rc = 0;
    else
        rc = refused("SET", v);
    kiln_arena_deinit(&a);
    return rc;
}

int kiln_cache_set(kiln_cache *k, kiln_str key, kiln_str value, int64_t ttl_ms)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    int rc = k->redis ? redis_set(k, key, value, ttl_ms, false)
                      : cache_mem_set(k->mem, key, value, ttl_ms, false,
                                      kiln_now_ms());
    return rc < 0 ? rc : 0;
}

int kiln_cache_add(kiln_cache *k, kiln_str key, kiln_str value, int64_t ttl_ms)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    return k->redis
               ? redis_set(k, key, value, ttl_ms, true)
               : cache_mem_set(k->mem, key, value, ttl_ms, true, kiln_now_ms());
}

int kiln_cache_delete(kiln_cache *k, kiln_str key)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    if (!k->redis)
        return cache_mem_delete(k->mem, key, kiln_now_ms());
    kiln_arena a;
    kiln_arena_init(&a, 512);
    kiln_str argv[2] = {KILN_STR("DEL"), cache_redis_key(k, &a, "c:", key)};
    redis_value *v;
    int rc = argv[1].p ? redis_call(k->rc, &a, 2, argv, &v) : KILN_ENOMEM;
    if (rc)
        cache_log_failure("delete", rc);
    else if (v->type == REDIS_T_INT)
        rc = v->i > 0 ? 0 : KILN_ENOTFOUND;
    else
        rc = refused("DEL", v);
    kiln_arena_deinit(&a);
    return rc;
}

/* INCRBY, with the expiry set when the key is new. */
static redis_script incr_script = REDIS_SCRIPT(
    "local new = redis.call('EXISTS', KEYS[1]) == 0\n"
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
    "local ttl = tonumber(ARGV[2])\n"
    "if new and ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end\n"
    "return v\n");

int kiln_cache_incr(kiln_cache *k, kiln_str key, int64_t by, int64_t ttl_ms,
                    int64_t *out)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    if (!k->redis)
        return cache_mem_incr(k->mem, key, by, ttl_ms, kiln_now_ms(), out);
    kiln_arena a;
    kiln_arena_init(&a, 512);
    char sby[24], sttl[24];
    snprintf(sby, sizeof sby, "%lld", (long long)by);
    snprintf(sttl, sizeof sttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 0));
    kiln_str argv[3] = {cache_redis_key(k, &a, "c:", key), kiln_str_c(sby),
                        kiln_str_c(sttl)};
    redis_value *v;
    int rc = argv[0].p ? redis_eval(k->rc, &a, &incr_script, 1, 2, argv, &v)
                       : KILN_ENOMEM;
    if (rc)
        cache_log_failure("incr", rc);
    else if (v->type == REDIS_T_INT)
        *out = v->i;
    else if (v->type == REDIS_T_ERROR &&
             (strstr(v->s.p, "not an integer") || strstr(v->s.p, "overflow")))
        rc = KILN_EINVAL;
    else
        rc = refused("INCRBY", v);
    kiln_arena_deinit(&a);
    return rc;
}

int kiln_cache_fail(kiln_ctx *c, int rc)
{
    if (kiln_responded(c))
        return 0;
    if (rc == KILN_EUNAVAIL || rc == KILN_ETIMEDOUT || rc == KILN_ECANCELED) {
        kiln_set_header(c, "Retry-After", "1");
        return kiln_problem(c, 503, "the cache is unavailable");
    }
    return kiln_problem(c, 500, "cache error: %s", kiln_strerror(rc));
}

/* ---- single flight ------------------------------------------------------- */

typedef struct flight {
    struct flight *next; /* in its bucket; NULL once unlinked */
    const kiln_cache *k;
    uint64_t hash;
    char *key;
    size_t klen;
    int refs;    /* the computing caller and each waiter */
    bool linked; /* in the table (new callers join it) */
    bool done;   /* val and rc are final */
    int rc;      /* the computation's outcome */
    char *val;   /* malloc'd copy of the value */
    size_t vlen;
    int64_t started; /* ms */
} flight;

static pthread_mutex_t flights_lock = PTHREAD_MUTEX_INITIALIZER;
static flight *flights[FLIGHT_BUCKETS];

static uint64_t flight_hash(const kiln_cache *k, kiln_str key)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)k;
    for (size_t i = 0; i < key.n; i++)
        h = (h ^ (unsigned char)key.p[i]) * 1099511628211ull;
    return h;
}

static void flight_unlink(flight *f)
{
    if (!f->linked)
        return;
    flight **pp = &flights[f->hash % FLIGHT_BUCKETS];
    while (*pp != f)
        pp = &(*pp)->next;
    *pp = f->next;
    f->next = NULL;
    f->linked = false;
}

/* Drops a reference (lock held); the last one frees f. */
static void flight_put(flight *f)
{
    if (--f->refs > 0)
        return;
    flight_unlink(f);
    free(f->key);
    free(f->val);
    free(f);
}

/* Joins the flight of key, or starts one (*leader). NULL when out of
   memory. */
static flight *flight_join(const kiln_cache *k, kiln_str key, bool *leader)
{
    uint64_t h = flight_hash(k, key);
    int64_t now = kiln_now_ms();
    pthread_mutex_lock(&flights_lock);
    flight *f = flights[h % FLIGHT_BUCKETS];
    while (f && !(f->k == k && f->hash == h && f->klen == key.n &&
                  memcmp(f->key, key.p, key.n) == 0))
        f = f->next;
    if (f && !f->done && now - f->started >= FLIGHT_MAX_MS)
        flight_unlink(f); /* stuck: the next caller starts over */
    else if (f) {
        f->refs++;
        *leader = false;
        pthread_mutex_unlock(&flights_lock);
        return f;
    }
    f = calloc(1, sizeof *f);
    if (f)
        f->key = malloc(key.n + 1);
    if (!f || !f->key) {
        free(f);
        pthread_mutex_unlock(&flights_lock);
        return NULL;
    }
    memcpy(f->key, key.p, key.n);
    f->klen = key.n;
    f->k = k;
    f->hash = h;
    f->refs = 1;
    f->started = now;
    f->linked = true;
    f->next = flights[h % FLIGHT_BUCKETS];
    flights[h % FLIGHT_BUCKETS] = f;
    *leader = true;
    pthread_mutex_unlock(&flights_lock);
    return f;
}

/* The leader's outcome, for the waiters; the flight leaves the table. */
static void flight_finish(flight *f, int rc, kiln_str val)
{
    char *copy = NULL;
    if (rc == 0) {
        copy = malloc(val.n + 1);
        if (copy) {
            if (val.n)
                memcpy(copy, val.p, val.n);
            copy[val.n] = '\0';
        } else {
            rc = KILN_ENOMEM;
        }
    }
    pthread_mutex_lock(&flights_lock);
    f->val = copy;
    f->vlen = copy ? val.n : 0;
    f->rc = rc;
    f->done = true;
    flight_unlink(f); /* later callers read the cache */
    flight_put(f);
    pthread_mutex_unlock(&flights_lock);
}

/* A waiter: polls until the leader is done; its value into a. */
static int flight_wait(flight *f, kiln_arena *a, kiln_str *out)
{
    int64_t start = kiln_now_ms();
    int64_t pause = 1;
    for (;;) {
        pthread_mutex_lock(&flights_lock);
        bool done = f->done;
        int rc = f->rc;
        if (done && rc == 0) {
            char *p = kiln_arena_strndup(a, f->val, f->vlen);
            rc = p ? 0 : KILN_ENOMEM;
            if (p)
                *out = (kiln_str){p, f->vlen};
        }
        if (!done && kiln_now_ms() - start >= FLIGHT_MAX_MS) {
            done = true;
            rc = KILN_ETIMEDOUT;
        }
        if (done)
            flight_put(f);
        pthread_mutex_unlock(&flights_lock);
        if (done)
            return rc;
        int r = kiln_sleep_ms(pause);
        if (r) {
            pthread_mutex_lock(&flights_lock);
            flight_put(f);
            pthread_mutex_unlock(&flights_lock);
            return r;
        }
        if (pause < FLIGHT_POLL_MAX_MS)
            pause *= 2;
    }
}

int kiln_cache_get_or_compute(kiln_cache *k, kiln_str key, int64_t ttl_ms,
                              kiln_arena *a, kiln_cache_compute fn, void *arg,
                              kiln_str *out)
{
    k = cache_of(k);
    if (!k)
        return KILN_ENOMEM;
    int rc = kiln_cache_get(k, key, a, out);
    if (rc != KILN_ENOTFOUND && rc != KILN_EUNAVAIL && rc != KILN_ETIMEDOUT)
        return rc; /* a hit, or an error computing would not mend */
    bool leader;
    flight *f = flight_join(k, key, &leader);
    if (!f)
        return KILN_ENOMEM;
    if (!leader)
        return flight_wait(f, a, out);
    /* another process (or a flight that just ended) may have stored it */
    rc = kiln_cache_get(k, key, a, out);
    if (rc == 0) {
        flight_finish(f, 0, *out);
        return 0;
    }
    kiln_str val = KILN_STR_NULL;
    rc = fn(arg, a, &val, &ttl_ms);
    if (rc == 0) {
        if (!val.p)
            val = KILN_STR("");
        int s = kiln_cache_set(k, key, val, ttl_ms);
        if (s < 0 && s != KILN_EUNAVAIL && s != KILN_ETIMEDOUT)
            kiln_log(KILN_LOG_WARN,
                     "cache: a computed value was not "
                     "stored: %s",
                     kiln_strerror(s));
        *out = val;
    }
    flight_finish(f, rc, val);
    return rc;
}
