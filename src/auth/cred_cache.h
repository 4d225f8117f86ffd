/*
 * auth/cred_cache.h - the process's cache of credential to user
 * (docs/auth.md, "The credential cache"): a request that shows a session
 * cookie, an API token or an OIDC access token seen in the last
 * auth.cache_seconds finds its user here and asks no database.
 *
 * Keys are 32-byte digests, never the credential itself: the SHA-256 of
 * the session id (what kiln_session.id_hash holds), the SHA-256 of the API
 * token (kiln_token.hash), and the SHA-256 of "iss\0sub" for a JWT whose
 * signature and claims were verified (per request, before the lookup).
 * A value is the user as loaded (roles included) and what the credential's
 * own row says (cred_info): the session's times and CSRF secret, the
 * token's id, expiry and last use.
 *
 * Bounded: CRED_CACHE_SHARDS shards, each a hash table with a least
 * recently used list and its share of the entry budget, under its own
 * mutex (as cache/mem.c), shared by every worker thread. An entry lives
 * at most auth.cache_seconds (its bounded staleness); a change Kiln makes
 * itself removes it at once (cred_cache_forget*), in this process and,
 * through pub/sub (topic CRED_CACHE_TOPIC), in every other instance.
 *
 * The race between a lookup and a change: a request that misses reads the
 * database, and a change may land between its read and its put. Every
 * forget bumps a generation; cred_cache_put is given the generation read
 * before the database was, and drops the entry when it moved.
 */
#ifndef AUTH_CRED_CACHE_H
#define AUTH_CRED_CACHE_H

#include "kiln/auth.h"
#include "kiln/config.h"

#include <stdbool.h>
#include <stdint.h>

/** Shards of the cache (a power of two). */
#define CRED_CACHE_SHARDS 16
/** Entries at most, by default (split evenly over the shards). */
#define CRED_CACHE_MAX 16384
/** The pub/sub topic of the invalidations between instances. */
#define CRED_CACHE_TOPIC "kiln.auth.forget"

/** What a key names. */
typedef enum cred_kind {
    CRED_SESSION = 1, /**< SHA-256 of a session id */
    CRED_TOKEN = 2,   /**< SHA-256 of an API token */
    CRED_JWT = 3      /**< SHA-256 of an OIDC "issuer\0subject" */
} cred_kind;

/** A key: its kind and a digest. */
typedef struct cred_key {
    uint8_t kind; /* cred_kind */
    uint8_t digest[32];
} cred_key;

/** What the credential's own row says, kept beside the user. */
typedef struct cred_info {
    int64_t user;       /**< the user's id (> 0) */
    int64_t token_id;   /**< a token: its kiln_token.id */
    int64_t created;    /**< a session: created_at (ms) */
    int64_t seen;       /**< a session: last_seen (ms); a token: last_used
                             (µs, 0 never) */
    int64_t expires;    /**< a session: expires_at (ms); a token: expires
                             (µs, 0 never) */
    uint8_t secret[32]; /**< a session: its CSRF secret */
} cred_info;

/** Counters (tests, logs). */
typedef struct cred_cache_stats {
    uint64_t hits, misses, puts, evictions, forgets, entries;
} cred_cache_stats;

/**
 * Sets the cache up: entries live at most ttl_ms (0: the cache is off,
 * every lookup misses, nothing is kept) and at most max_entries of them
 * (0: CRED_CACHE_MAX). Empties it. Before serving (or in a test); safe
 * against concurrent lookups all the same.
 */
void cred_cache_configure(int64_t ttl_ms, size_t max_entries);

/**
 * Reads auth.cache_seconds from s (NULL: the default) into
 * cred_cache_configure, and makes the cache listen to CRED_CACHE_TOPIC for
 * the other instances' invalidations. Before serving.
 */
void cred_cache_setup(const kiln_settings *s);

/** True when the cache is on (auth.cache_seconds > 0). */
bool cred_cache_on(void);

/** The key of kind for a hex SHA-256 (64 characters, what the tables
    store). False when hex is not one. */
bool cred_key_hex(cred_key *k, cred_kind kind, const char *hex);

/** The key of an OIDC user: SHA-256 of issuer, a NUL, subject. */
void cred_key_jwt(cred_key *k, const char *issuer, const char *subject);

/** The generation to give cred_cache_put: read it before the database. */
uint64_t cred_cache_gen(void);

/**
 * Looks k up at now_ms (CLOCK_REALTIME ms). On a hit, *u gets a copy of
 * the user allocated from a (strings and roles too) and *info the
 * credential's row. Returns 0 (hit), KILN_ENOTFOUND (miss, or an entry
 * past its time: removed), KILN_ENOMEM (a's, the entry stays).
 */
int cred_cache_get(const cred_key *k, kiln_arena *a, int64_t now_ms,
                   kiln_user **u, cred_info *info);

/**
 * Keeps a copy of u and *info under k until now_ms + the ttl, unless a
 * forget happened since gen (then nothing is kept), or the cache is off.
 * Replaces an entry of the same key; evicts the least recently used of the
 * shard when it is full. Out of memory: nothing kept.
 */
void cred_cache_put(const cred_key *k, const kiln_user *u,
                    const cred_info *info, uint64_t gen, int64_t now_ms);

/**
 * A session's last_seen moves from seen to now (and its expires_at to
 * expires): true for the one caller that moved it in the cache, which then
 * writes the row; false when another worker did first (or the entry is
 * gone: the caller writes then, as without a cache).
 */
bool cred_cache_touch(const cred_key *k, int64_t seen, int64_t now,
                      int64_t expires);

/* Invalidation. Each removes what it names from this process's cache at
   once (every worker sees it on its next lookup) and publishes it on
   CRED_CACHE_TOPIC for the other instances (when pub/sub has a backend). */

/** Forgets one credential (a logout, a rotated or expired session). */
void cred_cache_forget(const cred_key *k);
/** Forgets every credential of user (deactivated, deleted, password,
    roles or flags changed, logged out everywhere). */
void cred_cache_forget_user(int64_t user);
/** Forgets the API token id (revoked). */
void cred_cache_forget_token(int64_t id);
/** Forgets everything. */
void cred_cache_forget_all(void);

/**
 * An invalidation as it travels between instances (the payload on
 * CRED_CACHE_TOPIC): "k<kind>:<64 lower-case hex>" one key, "u:<id>"
 * every credential of a user, "t:<id>" a token, "*" everything; ids are
 * positive decimals without leading zeros. One spelling per message.
 */
typedef struct cred_msg {
    char what;    /**< 'k', 'u', 't' or '*' */
    cred_key key; /**< 'k' */
    int64_t id;   /**< 'u', 't' */
} cred_msg;

/** Room for a formatted message, NUL included. */
#define CRED_MSG_MAX 72

/** Parses m (outside input: another instance's, through Redis or
    PostgreSQL) into *out. 0, or KILN_EPARSE for anything but the exact
    forms above. Pure. */
int cred_msg_parse(kiln_str m, cred_msg *out);

/** Writes m into out (CRED_MSG_MAX bytes); returns its length. Pure. */
size_t cred_msg_format(const cred_msg *m, char out[CRED_MSG_MAX]);

/**
 * Applies one invalidation message of another instance (the payload
 * published on CRED_CACHE_TOPIC; NULL p: messages may have been lost, so
 * everything is forgotten), without publishing it again. A message that
 * does not parse (cred_msg_parse) is ignored.
 */
void cred_cache_apply(kiln_str msg);

/** The counters now. */
void cred_cache_stats_get(cred_cache_stats *out);

#endif
