/*
 * cache/mem.c - the memory store (cache_impl.h): bytes by key in a chained
 * hash table per shard, a doubly linked list per shard from most to least
 * recently used, and a byte budget per shard.
 *
 * Why shards: every worker thread reads and writes the one table; a
 * single lock would serialise them. A key's shard is fixed by its hash, so
 * two workers contend only when their keys share a shard (1 in 16 by
 * default). The bound is per shard (max_bytes / nshards): a shard never
 * takes memory from another, which keeps eviction local to one lock.
 *
 * The hash is seeded per process (FNV-1a over a random basis, then a
 * mixer), so keys made of request data cannot be chosen to fall in one
 * chain.
 */
#include "cache/cache_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

typedef struct mem_entry {
    struct mem_entry *hnext;       /* hash chain */
    struct mem_entry *prev, *next; /* recency list: prev is more recent */
    uint64_t hash;
    int64_t expires; /* monotonic ms; 0: never */
    uint32_t klen, vlen;
    char data[]; /* the key, then the value and a NUL */
} mem_entry;

typedef struct mem_shard {
    pthread_mutex_t lock;
    mem_entry **tab;
    size_t nbuckets, count;
    mem_entry *head, *tail; /* most and least recently used */
    int64_t bytes, max_bytes;
    char pad[64]; /* keeps neighbouring shards' locks off one cache line */
} mem_shard;

struct cache_mem {
    unsigned nshards;
    uint64_t seed;
    mem_shard shards[];
};

static uint64_t hash_key(uint64_t seed, kiln_str k)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (size_t i = 0; i < k.n; i++)
        h = (h ^ (unsigned char)k.p[i]) * 1099511628211ull;
    h ^= h >> 33; /* spread the low bits into the high ones (shard) */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int64_t entry_cost(const mem_entry *e)
{
    return (int64_t)e->klen + e->vlen + CACHE_MEM_OVERHEAD;
}

cache_mem *cache_mem_new(int64_t max_bytes, unsigned nshards)
{
    if (nshards == 0)
        nshards = 16;
    if (nshards > 256 || (nshards & (nshards - 1)))
        return NULL;
    cache_mem *m = calloc(1, sizeof *m + nshards * sizeof(mem_shard));
    if (!m)
        return NULL;
    m->nshards = nshards;
    if (getrandom(&m->seed, sizeof m->seed, GRND_NONBLOCK) !=
        (ssize_t)sizeof m->seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        m->seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
                  (uint64_t)(uintptr_t)m;
    }
    for (unsigned i = 0; i < nshards; i++) {
        mem_shard *s = &m->shards[i];
        pthread_mutex_init(&s->lock, NULL);
        s->max_bytes = max_bytes / nshards;
        s->nbuckets = 64;
        s->tab = calloc(s->nbuckets, sizeof *s->tab);
        if (!s->tab) {
            m->nshards = i + 1;
            cache_mem_free(m);
            return NULL;
        }
    }
    return m;
}

void cache_mem_free(cache_mem *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->nshards; i++) {
        mem_shard *s = &m->shards[i];
        for (mem_entry *e = s->head, *n; e; e = n) {
            n = e->next;
            free(e);
        }
        free(s->tab);
        pthread_mutex_destroy(&s->lock);
    }
    free(m);
}

static mem_shard *shard_of(cache_mem *m, uint64_t h)
{
    return &m->shards[(h >> 56) & (m->nshards - 1)];
}

/* ---- one shard (its lock held) ------------------------------------------ */

static void list_unlink(mem_shard *s, mem_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push(mem_shard *s, mem_entry *e)
{
    e->prev = NULL;
    e->next = s->head;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    if (!s->tail)
        s->tail = e;
}

static mem_entry **find_slot(mem_shard *s, uint64_t h, kiln_str k)
{
    mem_entry **pp = &s->tab[h & (s->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->hnext) {
        mem_entry *e = *pp;
        if (e->hash == h && e->klen == k.n && memcmp(e->data, k.p, k.n) == 0)
            break;
    }
    return pp;
}

/* Removes the entry at *pp (a slot from find_slot) and frees it. */
static void remove_at(mem_shard *s, mem_entry **pp)
{
    mem_entry *e = *pp;
    *pp = e->hnext;
    list_unlink(s, e);
    s->count--;
    s->bytes -= entry_cost(e);
    free(e);
}

static void remove_entry(mem_shard *s, mem_entry *e)
{
    mem_entry **pp = &s->tab[e->hash & (s->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    remove_at(s, pp);
}

static bool expired(const mem_entry *e, int64_t now)
{
    return e->expires && e->expires <= now;
}

/* The live entry of key k (dropping an expired one), or NULL. */
static mem_entry *lookup(mem_shard *s, uint64_t h, kiln_str k, int64_t now)
{
    mem_entry **pp = find_slot(s, h, k);
    mem_entry *e = *pp;
    if (e && expired(e, now)) {
        remove_at(s, pp);
        return NULL;
    }
    return e;
}

/* Doubles the buckets when chains grow long (no-op if memory is short). */
static void maybe_grow(mem_shard *s)
{
    if (s->count < s->nbuckets * 2)
        return;
    size_t nb = s->nbuckets * 2;
    mem_entry **tab = calloc(nb, sizeof *tab);
    if (!tab)
        return;
    for (size_t i = 0; i < s->nbuckets; i++)
        for (mem_entry *e = s->tab[i], *n; e; e = n) {
            n = e->hnext;
            e->hnext = tab[e->hash & (nb - 1)];
            tab[e->hash & (nb - 1)] = e;
        }
    free(s->tab);
    s->tab = tab;
    s->nbuckets = nb;
}

/* Makes room for extra more bytes: evicts from the cold end. */
static void evict_for(mem_shard *s, int64_t extra)
{
    while (s->tail && s->bytes + extra > s->max_bytes)
        remove_entry(s, s->tail);
}

/* Inserts a new entry for k (none exists) with a zeroed n-byte value;
   returns it, or NULL with *rc set. */
static mem_entry *insert(mem_shard *s, uint64_t h, kiln_str k, size_t n,
                         int *rc)
{
    int64_t cost = (int64_t)k.n + (int64_t)n + CACHE_MEM_OVERHEAD;
    if (k.n > UINT32_MAX || n >= UINT32_MAX || cost > s->max_bytes) {
        *rc = KILN_ELIMIT;
        return NULL;
    }
    evict_for(s, cost);
    mem_entry *e = malloc(sizeof *e + k.n + n + 1);
    if (!e) {
        *rc = KILN_ENOMEM;
        return NULL;
    }
    e->hash = h;
    e->expires = 0;
    e->klen = (uint32_t)k.n;
    e->vlen = (uint32_t)n;
    memcpy(e->data, k.p, k.n);
    memset(e->data + k.n, 0, n + 1);
    mem_entry **slot = &s->tab[h & (s->nbuckets - 1)];
    e->hnext = *slot;
    *slot = e;
    list_push(s, e);
    s->count++;
    s->bytes += cost;
    maybe_grow(s);
    return e;
}

static int64_t expiry(int64_t ttl_ms, int64_t now)
{
    return ttl_ms > 0 ? now + ttl_ms : 0;
}

/* ---- the calls ----------------------------------------------------------- */

int cache_mem_get(cache_mem *m, kiln_str key, int64_t now, kiln_arena *a,
                  kiln_str *out)
{
    uint64_t h = hash_key(m->seed, key);
    mem_shard *s = shard_of(m, h);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = lookup(s, h, key, now);
    int rc = KILN_ENOTFOUND;
    if (e) {
        list_unlink(s, e);
        list_push(s, e);
        char *p = kiln_arena_strndup(a, e->data + e->klen, e->vlen);
        rc = p ? 0 : KILN_ENOMEM;
        if (p)
            *out = (kiln_str){p, e->vlen};
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int cache_mem_set(cache_mem *m, kiln_str key, kiln_str val, int64_t ttl_ms,
                  bool only_if_absent, int64_t now)
{
    uint64_t h = hash_key(m->seed, key);
    mem_shard *s = shard_of(m, h);
    pthread_mutex_lock(&s->lock);
    mem_entry **pp = find_slot(s, h, key);
    int rc = 1;
    if (*pp && only_if_absent && !expired(*pp, now)) {
        rc = 0;
    } else {
        if (*pp)
            remove_at(s, pp);
        mem_entry *e = insert(s, h, key, val.n, &rc);
        if (e) {
            if (val.n)
                memcpy(e->data + e->klen, val.p, val.n);
            e->expires = expiry(ttl_ms, now);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int cache_mem_delete(cache_mem *m, kiln_str key, int64_t now)
{
    uint64_t h = hash_key(m->seed, key);
    mem_shard *s = shard_of(m, h);
    pthread_mutex_lock(&s->lock);
    mem_entry **pp = find_slot(s, h, key);
    int rc = KILN_ENOTFOUND;
    if (*pp) {
        rc = expired(*pp, now) ? KILN_ENOTFOUND : 0;
        remove_at(s, pp);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int cache_mem_incr(cache_mem *m, kiln_str key, int64_t by, int64_t ttl_ms,
                   int64_t now, int64_t *out)
{
    uint64_t h = hash_key(m->seed, key);
    mem_shard *s = shard_of(m, h);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = lookup(s, h, key, now);
    int64_t v = 0, expires = expiry(ttl_ms, now);
    int rc = 0;
    if (e) {
        expires = e->expires;
        if (kiln_str_to_i64((kiln_str){e->data + e->klen, e->vlen}, &v))
            rc = KILN_EINVAL;
    }
    if (rc == 0 && __builtin_add_overflow(v, by, &v))
        rc = KILN_EINVAL;
    if (rc == 0) {
        char text[24];
        size_t n = 0;
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        char rev[24];
        size_t r = 0;
        do {
            rev[r++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            text[n++] = '-';
        while (r)
            text[n++] = rev[--r];
        if (e && e->vlen == n) {
            memcpy(e->data + e->klen, text, n); /* same size: in place */
            list_unlink(s, e);
            list_push(s, e);
        } else {
            if (e)
                remove_entry(s, e);
            e = insert(s, h, key, n, &rc);
            if (e) {
                memcpy(e->data + e->klen, text, n);
                e->expires = expires;
            }
        }
        *out = v;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int cache_mem_update(cache_mem *m, kiln_str key, size_t n, int64_t now,
                     int64_t (*fn)(void *arg, void *val, bool fresh), void *arg)
{
    uint64_t h = hash_key(m->seed, key);
    mem_shard *s = shard_of(m, h);
    pthread_mutex_lock(&s->lock);
    mem_entry *e = lookup(s, h, key, now);
    int rc = 0;
    if (e && e->vlen != n) {
        remove_entry(s, e);
        e = NULL;
    }
    bool fresh = !e;
    if (fresh)
        e = insert(s, h, key, n, &rc);
    if (e) {
        int64_t ttl = fn(arg, e->data + e->klen, fresh);
        if (ttl >= 0)
            e->expires = expiry(ttl, now);
        if (ttl < 0 && fresh) {
            remove_entry(s, e);
        } else {
            list_unlink(s, e);
            list_push(s, e);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int64_t cache_mem_bytes(cache_mem *m)
{
    int64_t b = 0;
    for (unsigned i = 0; i < m->nshards; i++) {
        pthread_mutex_lock(&m->shards[i].lock);
        b += m->shards[i].bytes;
        pthread_mutex_unlock(&m->shards[i].lock);
    }
    return b;
}

size_t cache_mem_count(cache_mem *m)
{
    size_t n = 0;
    for (unsigned i = 0; i < m->nshards; i++) {
        pthread_mutex_lock(&m->shards[i].lock);
        n += m->shards[i].count;
        pthread_mutex_unlock(&m->shards[i].lock);
    }
    return n;
}
