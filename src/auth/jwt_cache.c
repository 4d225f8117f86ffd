/*
 * auth/jwt_cache.c - the per-thread cache of tokens whose signature
 * verified (jose.h, jose_cache): a direct-mapped table indexed by a hash
 * of the token's last bytes (its signature), each entry the token's exact
 * bytes and the key set generation. Equality is decided by the bytes, so
 * the hash needs no strength: a collision only evicts. jose_cache_thread
 * gives each thread one, owned by a pthread key that frees it at the
 * thread's end.
 */
#include "auth/jose.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One remembered token. */
typedef struct cache_entry {
    uint64_t generation; /* the set that verified it; 0: empty */
    size_t n;            /* bytes of tok in use */
    char *tok;           /* malloc'd, JOSE_CACHE_TOKEN_MAX bytes, or NULL */
} cache_entry;

struct jose_cache {
    size_t mask;           /* slots - 1 (slots a power of two) */
    cache_entry entries[]; /* slots */
};

jose_cache *jose_cache_new(size_t slots)
{
    size_t n = 1;
    if (slots == 0)
        slots = 256;
    if (slots > 65536)
        slots = 65536;
    while (n < slots)
        n <<= 1;
    jose_cache *c = calloc(1, sizeof *c + n * sizeof c->entries[0]);
    if (c)
        c->mask = n - 1;
    return c;
}

void jose_cache_free(jose_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i <= c->mask; i++)
        free(c->entries[i].tok);
    free(c);
}

static pthread_once_t thread_cache_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_cache_key;
static bool thread_cache_ok; /* the key was made (set once, under once) */

static void thread_cache_free(void *c)
{
    jose_cache_free(c);
}

static void thread_cache_init(void)
{
    thread_cache_ok =
        pthread_key_create(&thread_cache_key, thread_cache_free) == 0;
}

jose_cache *jose_cache_thread(void)
{
    pthread_once(&thread_cache_once, thread_cache_init);
    if (!thread_cache_ok)
        return NULL;
    jose_cache *c = pthread_getspecific(thread_cache_key);
    if (!c && (c = jose_cache_new(JOSE_CACHE_SLOTS)) &&
        pthread_setspecific(thread_cache_key, c) != 0) {
        jose_cache_free(c);
        c = NULL;
    }
    return c;
}

/* FNV-1a over the length and the last 32 bytes (the signature's end). */
static size_t cache_slot(const jose_cache *c, const char *tok, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037) ^ n;
    size_t from = n > 32 ? n - 32 : 0;
    for (size_t i = from; i < n; i++)
        h = (h ^ (unsigned char)tok[i]) * UINT64_C(1099511628211);
    return (size_t)(h ^ h >> 32) & c->mask;
}

bool jose_cache_has(const jose_cache *c, const char *tok, size_t n,
                    uint64_t generation)
{
    if (n > JOSE_CACHE_TOKEN_MAX || generation == 0)
        return false;
    const cache_entry *e = &c->entries[cache_slot(c, tok, n)];
    return e->generation == generation && e->n == n &&
           memcmp(e->tok, tok, n) == 0;
}

void jose_cache_put(jose_cache *c, const char *tok, size_t n,
                    uint64_t generation)
{
    if (n > JOSE_CACHE_TOKEN_MAX || generation == 0)
        return;
    cache_entry *e = &c->entries[cache_slot(c, tok, n)];
    if (!e->tok && !(e->tok = malloc(JOSE_CACHE_TOKEN_MAX)))
        return;
    memcpy(e->tok, tok, n);
    e->n = n;
    e->generation = generation;
}
