/*
 * kiln/cache.h - the cache: bytes by key with a time to live, in memory
 * (shared by the process's workers) or in Redis (shared by every instance),
 * and responses cached per route.
 *
 *   kiln_str v;
 *   int rc = kiln_cache_get(NULL, KILN_STR("motd"), kiln_ctx_arena(c), &v);
 *   if (rc == KILN_ENOTFOUND) {
 *       v = make_motd(c);
 *       rc = kiln_cache_set(NULL, KILN_STR("motd"), v, 60000);
 *   }
 *   if (rc < 0)
 *       return kiln_cache_fail(c, rc);       // 503 while Redis is down
 *
 * A NULL cache is the app's (kiln_cache_set_default; a project makes it
 * from the cache.* and redis.* settings). Values and keys are bytes; values
 * read come back in the arena the caller gives (the request's in a
 * handler). Every call may wait on Redis: in a handler it yields the
 * coroutine, the worker serves others meanwhile.
 *
 * Backends. "memory": a table per process, split in shards each with its
 * own lock, bounded by max_bytes (keys, values and about 64 bytes per
 * entry), evicting the least recently used entry past the bound and
 * expired entries when met. "redis": the keys live in Redis under
 * prefix + "c:" + key; the values expire there.
 *
 * Errors: KILN_EUNAVAIL (Redis cannot be reached; the client reconnects by
 * itself), KILN_ETIMEDOUT (no reply in redis.timeout_ms), KILN_ECANCELED
 * (shutdown), KILN_ENOMEM, KILN_ELIMIT (a value larger than the memory
 * backend can hold), KILN_EINVAL (kiln_cache_incr of a value that is not
 * an integer). kiln_cache_fail answers them.
 *
 * docs/cache.md describes the cache, per-route caching and the rate
 * limiter (kiln/rate.h).
 */
#ifndef KILN_CACHE_H
#define KILN_CACHE_H

#include "app.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A cache (and the store of the rate limiter). Opaque. */
typedef struct kiln_cache kiln_cache;

/** Cache settings. Zero-filled fields mean "the default". */
typedef struct kiln_cache_opts {
    const char *backend;          /**< "memory" (NULL too) or "redis" */
    int64_t max_bytes;            /**< memory: the bound (64 MiB) */
    const char *rate_backend;     /**< the rate limiter's store: "memory" or
                                       "redis" (NULL: as backend) */
    int64_t rate_max_bytes;       /**< memory: the bound of the rate limiter's
                                       buckets (8 MiB, about 80,000 keys) */
    bool rate_fail_open;          /**< allow requests while the rate limiter's
                                       store cannot be reached (else 503) */
    const char *prefix;           /**< of every Redis key ("kiln:") */
    const char *redis_url;        /**< needed by a "redis" backend:
                                       redis://[user:pass@]host:port/db or
                                       unix:///path/to.sock?db=N */
    int redis_pool;               /**< connections per worker (1) */
    int redis_connect_timeout_ms; /**< (1000) */
    int redis_timeout_ms;         /**< for a reply (2000) */
} kiln_cache_opts;

/**
 * Makes a cache. Nothing connects yet: a Redis backend connects on first
 * use, from each worker. Returns NULL with a one-line reason in err: an
 * unknown backend, a "redis" backend without a URL or with a malformed
 * one, hiredis not installed, no memory. Free with kiln_cache_free after
 * the server stopped.
 */
kiln_cache *kiln_cache_new(const kiln_cache_opts *o, char *err, size_t errlen);
/** Frees k (NULL is fine): its memory tables and Redis connections. */
void kiln_cache_free(kiln_cache *k);
/** Makes k the cache a NULL argument means, and the one per-route caching
    and the rate limiter use. Not thread-safe: call before serving. */
void kiln_cache_set_default(kiln_cache *k);
/** The default cache, or NULL when none was set. */
kiln_cache *kiln_cache_default(void);
/** "memory" or "redis". */
const char *kiln_cache_backend(const kiln_cache *k);

/**
 * The value of key: 0 with *out (in a; NUL-terminated after its n bytes),
 * KILN_ENOTFOUND when absent or expired, or an error (see the top).
 */
int kiln_cache_get(kiln_cache *k, kiln_str key, kiln_arena *a, kiln_str *out);
/**
 * Stores value (copied) under key for ttl_ms milliseconds (0 or less: no
 * expiry, though the memory backend may still evict it). Returns 0 or an
 * error.
 */
int kiln_cache_set(kiln_cache *k, kiln_str key, kiln_str value, int64_t ttl_ms);
/**
 * Stores value under key only if key is absent (or expired), atomically:
 * of many concurrent adds, one wins. Returns 1 when stored, 0 when key was
 * there (nothing changed), or an error.
 */
int kiln_cache_add(kiln_cache *k, kiln_str key, kiln_str value, int64_t ttl_ms);
/** Removes key. Returns 0, KILN_ENOTFOUND when it was absent, or an
    error. */
int kiln_cache_delete(kiln_cache *k, kiln_str key);
/**
 * Adds by to the integer stored at key (decimal text, as kiln_cache_get
 * returns it), atomically, and sets *out to the result. An absent key
 * counts from 0 and gets ttl_ms (0: none); an existing one keeps its
 * expiry. Returns 0, KILN_EINVAL when the value is not a 64-bit integer
 * or the sum overflows, or an error.
 */
int kiln_cache_incr(kiln_cache *k, kiln_str key, int64_t by, int64_t ttl_ms,
                    int64_t *out);

/**
 * Computes the value of a key on a miss: fills *value (bytes in a, or
 * static) and may change *ttl_ms. Returns 0, or a negative code that
 * kiln_cache_get_or_compute returns (nothing is stored).
 */
typedef int (*kiln_cache_compute)(void *arg, kiln_arena *a, kiln_str *value,
                                  int64_t *ttl_ms);

/**
 * The value of key, computed by fn(arg, ...) and stored for ttl_ms when
 * absent. Concurrent calls for one key in this process (from any worker or
 * thread) run fn once: the first computes, the others wait for its value
 * (polling every few milliseconds) and get a copy of it, or its error.
 * Other processes sharing a Redis cache compute their own once each.
 * While the cache cannot be reached the value is still computed (once per
 * key across concurrent calls) and returned, unstored. Returns 0 with *out
 * in a, or an error (fn's, KILN_ENOMEM, KILN_ECANCELED).
 */
int kiln_cache_get_or_compute(kiln_cache *k, kiln_str key, int64_t ttl_ms,
                              kiln_arena *a, kiln_cache_compute fn, void *arg,
                              kiln_str *out);

/**
 * Answers a failed cache call rc as problem+json: 503 with Retry-After: 1
 * for KILN_EUNAVAIL, KILN_ETIMEDOUT and KILN_ECANCELED ("the cache is
 * unavailable"), 500 otherwise. Returns 0 (or what sending returns), so
 * `if (rc < 0) return kiln_cache_fail(c, rc);` is the error path.
 */
int kiln_cache_fail(kiln_ctx *c, int rc);

/* ---- responses cached per route ---------------------------------------- */

/** Who a cached route serves when the request carries credentials (a
    Cookie or Authorization header). */
typedef enum kiln_cache_credentials {
    /** not from the cache, not stored; answered with Cache-Control:
        private unless the handler set Cache-Control (the default) */
    KILN_CACHE_SKIP,
    /** cached per credentials: Cookie and Authorization are part of the
        key (each user has their own copy; Cache-Control: private) */
    KILN_CACHE_PER_USER,
    /** the response does not depend on them: one copy for everyone
        (Cache-Control: public) */
    KILN_CACHE_IGNORE
} kiln_cache_credentials;

/** How a route's responses are cached. */
typedef struct kiln_cache_rule {
    int ttl;          /**< seconds a response is kept (1 or more) */
    const char *vary; /**< request headers that select the response,
                           comma-separated ("Accept-Language, Accept"), or
                           NULL */
    kiln_cache_credentials credentials;
} kiln_cache_rule;

/**
 * Per-route response caching, called first in a GET handler:
 *
 *   static const kiln_cache_rule rule = {.ttl = 60, .vary = "Accept"};
 *   if (kiln_cache_response(c, &rule) == 1)
 *       return 0;                 // answered from the cache
 *
 * A GET or HEAD request (others: nothing happens) is answered from the
 * default cache when a response is stored for its Host, target (path and
 * query) and the values of the rule's vary headers, and the headers the
 * stored response itself named in Vary; with an Age header and
 * Cache-Control: max-age of what is left of its ttl. Otherwise the
 * handler's response is stored when it is a 200 with a body in memory (not
 * streamed, not a file), without Set-Cookie, without Cache-Control
 * private, no-store or no-cache, and without Vary: *. A response of the
 * route gets Vary with the rule's headers, and Cache-Control: max-age=ttl
 * unless the handler set Cache-Control. A request with credentials
 * follows rule->credentials. When the cache cannot be reached the request
 * is served by the handler, uncached. Returns 1 when answered, 0 when the
 * handler should answer, or KILN_ENOMEM.
 */
int kiln_cache_response(kiln_ctx *c, const kiln_cache_rule *rule);

/**
 * Checks a rule: ttl of 1 or more, vary a list of header names. Returns 0,
 * or KILN_EINVAL with a one-line reason in err.
 */
int kiln_cache_rule_check(const kiln_cache_rule *rule, char *err,
                          size_t errlen);

/** Options of one route (kiln_route_opts). */
typedef struct kiln_route_options {
    void *data;                   /**< as kiln_route_with: kiln_route_data */
    const kiln_cache_rule *cache; /**< its responses are cached, or NULL */
    const char *rate;    /**< its requests are rate limited ("10/s burst
                              20", kiln/rate.h), or NULL */
    const char *rate_by; /**< what a client is for the limit (NULL: "ip";
                              see kiln_rate_key) */
} kiln_route_options;

/**
 * kiln_route_with with options: before h runs, the request is rate limited
 * (429 past the limit, its bucket named "METHOD PATTERN") and answered
 * from the cache when it can be (kiln_cache_response). The options are
 * copied, strings and rule included.
 * Returns kiln_route's codes, or KILN_EINVAL for a bad rule or rate (the
 * reason logged).
 */
int kiln_route_opts(kiln_app *app, const char *method, const char *pattern,
                    kiln_handler h, const kiln_route_options *o);

#ifdef __cplusplus
}
#endif
#endif
