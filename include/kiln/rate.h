/*
 * kiln/rate.h - the rate limiter: a token bucket per client and limit, in
 * the process's memory or in Redis (one bucket for every instance).
 *
 *   kiln_rate_define("search", "10/s burst 20");      // before serving
 *
 *   KILN_GET(search)
 *   {
 *       if (kiln_rate_limit(c, "search", KILN_STR_NULL) != 0)
 *           return 0;             // 429 (or 503) already answered
 *       ...
 *   }
 *
 * A limit "N/unit burst B" fills a bucket of B tokens (B = N when burst is
 * not given) at N tokens per unit; a request takes one, and one that finds
 * the bucket empty is refused. Buckets live in the default cache's rate
 * store (kiln/cache.h: rate.backend "memory" or "redis"); in Redis the
 * update is one Lua script on the server's clock, so instances sharing it
 * share the buckets exactly.
 *
 * Answers carry the fields of the IETF draft "RateLimit header fields for
 * HTTP" (draft-ietf-httpapi-ratelimit-headers-10):
 *   RateLimit-Policy: "search";q=20;w=2      (q the burst, w seconds to
 *                                             refill it)
 *   RateLimit: "search";r=7;t=1              (r tokens left, t seconds
 *                                             until full, or on a 429 the
 *                                             same time as Retry-After)
 * and, for clients written to its earlier revisions (up to -06, the most
 * deployed), RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset with
 * the same values. A refused request gets 429 problem+json with
 * Retry-After (seconds until a token).
 */
#ifndef KILN_RATE_H
#define KILN_RATE_H

#include "cache.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A limit: a bucket of burst tokens filled at per_sec a second. */
typedef struct kiln_rate {
    double per_sec; /**< tokens added per second (> 0) */
    double burst;   /**< the bucket's size (>= 1) */
} kiln_rate;

/**
 * Parses "N/UNIT [burst B]": N and B positive integers (at most 10^9),
 * UNIT s, sec, second, m, min, minute, h, hour, d or day, optionally
 * preceded by a count ("5/10s": 5 per 10 seconds). Spaces are free around
 * the words. Returns 0 with *out, or KILN_EINVAL with a one-line reason in
 * err.
 */
int kiln_rate_parse(const char *spec, kiln_rate *out, char *err, size_t errlen);

/** The state of a bucket after a take. */
typedef struct kiln_rate_result {
    bool allowed;          /**< the tokens were taken */
    int64_t limit;         /**< the burst */
    int64_t window_s;      /**< seconds to fill an empty bucket */
    int64_t remaining;     /**< whole tokens left */
    int64_t reset_s;       /**< seconds until the bucket is full */
    int64_t retry_after_s; /**< refused: seconds until enough tokens (>= 1) */
} kiln_rate_result;

/**
 * Takes cost tokens from the bucket (name, key) of limit r in cache k
 * (NULL: the default cache), if it has them. cost 0 takes nothing and
 * reports whether one token is there (a check before an expensive step:
 * login throttling takes only on a failed attempt). Keys longer than 64
 * bytes are hashed. Returns 0 with *out, or the cache's error
 * (KILN_EUNAVAIL while Redis is down...).
 */
int kiln_rate_take(kiln_cache *k, const char *name, const kiln_rate *r,
                   kiln_str key, double cost, kiln_rate_result *out);

/**
 * Forgets the bucket (name, key) in cache k (NULL: the default cache): its
 * next take finds it full. Login throttling calls it after a success, so
 * that a user's earlier typos do not count against them. Returns 0 (also
 * when there was no bucket) or the cache's error.
 */
int kiln_rate_reset(kiln_cache *k, const char *name, kiln_str key);

/**
 * Names a limit for kiln_rate_limit (and RateLimit-Policy). Call before
 * serving; defining a name again replaces its limit. Returns 0,
 * KILN_EINVAL for a bad spec (logged), KILN_ELIMIT past 256 names, or
 * KILN_ENOMEM.
 */
int kiln_rate_define(const char *name, const char *spec);

/**
 * Rate limits the request under the limit called name (kiln_rate_define)
 * with key (p == NULL: kiln_rate_key(c, NULL), the client's address).
 * Allowed: sets the RateLimit fields on the response and returns 0.
 * Refused: answers 429 with Retry-After and returns 1. The store cannot be
 * reached: answers 503 and returns 1, unless rate.fail_open is set (then
 * allowed, logged). Returns KILN_ENOTFOUND for an undefined name (nothing
 * answered).
 */
int kiln_rate_limit(kiln_ctx *c, const char *name, kiln_str key);

/**
 * What identifies the client for a limit, in the request's arena: by is
 * "ip" (kiln_client_ip; NULL means it), "token" (the Authorization header,
 * hashed), "header:NAME" (that request header, e.g. "header:X-Real-IP"
 * behind a proxy that sets it), "cookie:NAME", or "user" (what the
 * function set by kiln_rate_set_user_key returns). A request without the
 * header, cookie or user falls back to its address, prefixed so that the
 * two never mix. Returns p == NULL for an unknown by.
 */
kiln_str kiln_rate_key(kiln_ctx *c, const char *by);

/** True when by is a key source kiln_rate_key knows (NULL too: "ip"). */
bool kiln_rate_by_ok(const char *by);

/** Sets the function behind kiln_rate_key(c, "user") (the auth layer's
    user id; p == NULL for an anonymous request). Call before serving. */
void kiln_rate_set_user_key(kiln_str (*fn)(kiln_ctx *c));

/**
 * Sets the RateLimit fields (both forms, see the top) of res under the
 * policy name on c's response, and Retry-After when it was refused.
 * Returns 0 or KILN_ENOMEM.
 */
int kiln_rate_headers(kiln_ctx *c, const char *name,
                      const kiln_rate_result *res);

#ifdef __cplusplus
}
#endif
#endif
