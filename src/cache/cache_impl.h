/*
 * cache/cache_impl.h - what the files of the cache layer share:
 *
 *   mem.c    the memory store: a bounded LRU table in shards (cache_mem_)
 *   cache.c  kiln/cache.h's calls over the memory store or Redis, the
 *            default cache, single flight (kiln_cache_get_or_compute)
 *   entry.c  a response as stored by per-route caching, and back
 *            (cache_entry_), a pure unit: the bytes come from Redis
 *   route.c  per-route response caching (kiln_cache_response, route
 *            options)
 *   rate.c   the rate limiter (kiln/rate.h): specs, buckets, headers
 *
 * Prefix cache_ (and rate_ in rate.c) for internal names.
 */
#ifndef KILN_CACHE_IMPL_H
#define KILN_CACHE_IMPL_H

#include <kiln/cache.h>
#include <kiln/rate.h>

#include "redis/redis.h"

/* ---- mem.c --------------------------------------------------------------- */

/**
 * A table of bytes by key, bounded in bytes, shared by threads. Split in
 * shards (by the key's hash), each with its own lock, its own least
 * recently used list and 1/nshards of the bound; an entry costs its key,
 * its value and CACHE_MEM_OVERHEAD bytes. Past its bound a shard evicts
 * from the cold end of its list. Expired entries are dropped when met (a
 * read, or the eviction walk). Times are milliseconds of a monotonic clock
 * given by the caller (tests pass their own).
 */
typedef struct cache_mem cache_mem;

/** What an entry costs beyond its key and value (header and malloc's). */
#define CACHE_MEM_OVERHEAD 80

/** Makes a table bounded by max_bytes in nshards shards (a power of two,
    1 to 256; 0: 16). NULL on allocation failure. */
cache_mem *cache_mem_new(int64_t max_bytes, unsigned nshards);
/** Frees m and every entry (NULL is fine). */
void cache_mem_free(cache_mem *m);

/** The value of key at now: 0 with a copy in a (NUL-terminated), or
    KILN_ENOTFOUND, KILN_ENOMEM. Marks the entry recently used. */
int cache_mem_get(cache_mem *m, kiln_str key, int64_t now, kiln_arena *a,
                  kiln_str *out);
/**
 * Stores a copy of val under key, expiring ttl_ms after now (<= 0: never).
 * With only_if_absent, a live entry is left alone. Returns 1 when stored,
 * 0 when only_if_absent found one, KILN_ELIMIT when the entry would not
 * fit in a shard, or KILN_ENOMEM.
 */
int cache_mem_set(cache_mem *m, kiln_str key, kiln_str val, int64_t ttl_ms,
                  bool only_if_absent, int64_t now);
/** Removes key: 0, or KILN_ENOTFOUND when it was absent (or expired). */
int cache_mem_delete(cache_mem *m, kiln_str key, int64_t now);
/** kiln_cache_incr on m: 0 with *out, KILN_EINVAL (not an integer,
    overflow), KILN_ENOMEM or KILN_ELIMIT. */
int cache_mem_incr(cache_mem *m, kiln_str key, int64_t by, int64_t ttl_ms,
                   int64_t now, int64_t *out);

/**
 * Changes the n-byte value of key in place under its shard's lock. fn gets
 * the value (zero-filled and fresh when the key was absent or expired, or
 * had another size) and returns its new time to live in ms (0: none), or
 * -1 to keep the entry's expiry (a fresh entry is then not kept). Returns
 * 0, KILN_ENOMEM or KILN_ELIMIT.
 */
int cache_mem_update(cache_mem *m, kiln_str key, size_t n, int64_t now,
                     int64_t (*fn)(void *arg, void *val, bool fresh),
                     void *arg);

/** Bytes the entries cost now (their keys, values and overheads). */
int64_t cache_mem_bytes(cache_mem *m);
/** Entries now (expired ones not yet dropped included). */
size_t cache_mem_count(cache_mem *m);

/* ---- cache.c ------------------------------------------------------------- */

/** A cache: its stores. Read-only once made, except the stores' own
    locked state. */
struct kiln_cache {
    bool redis;          /**< the cache is in Redis (else mem) */
    bool rate_redis;     /**< rate buckets are in Redis (else rate_mem) */
    bool rate_fail_open; /**< rate.fail_open */
    cache_mem *mem;      /**< the memory backend, or NULL */
    cache_mem *rate_mem; /**< rate buckets in memory, or NULL */
    redis_client *rc;    /**< when either is in Redis */
    char prefix[64];     /**< of every Redis key */
};

/** k, or the default cache when k is NULL (which may be NULL too). */
kiln_cache *cache_of(kiln_cache *k);
/** The Redis key prefix + tag + key, in a. p == NULL on failure. */
kiln_str cache_redis_key(const kiln_cache *k, kiln_arena *a, const char *tag,
                         kiln_str key);
/** Logs (at most once a second per process) that a cache call failed. */
void cache_log_failure(const char *what, int rc);

/* ---- entry.c ------------------------------------------------------------- */

/** A stored response, or a note that the response varies on more. */
typedef struct cache_entry {
    bool vary_note;    /**< a note: vary lists the response's own Vary
                            headers; the response is under a key that
                            includes their values */
    int status;        /**< 200 */
    int64_t stored_ms; /**< wall clock, ms since the epoch */
    int64_t ttl_s;     /**< seconds it was stored for */
    kiln_str ctype;    /**< Content-Type, or p == NULL */
    kiln_str headers;  /**< the handler's extra headers: "Name: value\r\n"
                            lines */
    kiln_str vary;     /**< the note's header names, comma-separated */
    kiln_str body;
} cache_entry;

/** Appends the stored form of e to b. 0 or KILN_ENOMEM. */
int cache_entry_encode(const cache_entry *e, kiln_buf *b);
/**
 * Reads a stored form (a pure function over bytes: they come from a
 * cache another process may have written). Views point into raw. Returns
 * 0, or KILN_EPARSE for anything malformed: an unknown version, lengths
 * past the end, a header line that is not "token: value" with CRLF, a
 * status that is not 200...
 */
int cache_entry_decode(kiln_str raw, cache_entry *e);

/* ---- rate.c -------------------------------------------------------------- */

/** A bucket as the memory store keeps it. */
typedef struct rate_bucket {
    double tokens; /**< at at_ms */
    int64_t at_ms; /**< monotonic ms (memory) or the server's ms (Redis) */
} rate_bucket;

/**
 * The token bucket, a pure function: refills b (fresh: full) to now, takes
 * cost tokens if there are as many (cost 0: checks for one), and fills
 * *out. Returns the ms until the bucket is full again (its time to live).
 */
int64_t rate_bucket_take(rate_bucket *b, bool fresh, const kiln_rate *r,
                         double cost, int64_t now_ms, kiln_rate_result *out);

/** Fills *out from the tokens left after a take (the Redis path). */
void rate_result_of(const kiln_rate *r, double tokens, bool allowed,
                    double cost, kiln_rate_result *out);

#endif
