/*
 * auth/cred_cache.c - the process's cache of credential to user
 * (auth/cred_cache.h).
 *
 * An entry is one malloc'd block: the links, the key, the credential's
 * row, and the user's strings packed after it (offsets, so that a copy out
 * is one memcpy into the request's arena and a few pointer fix-ups). Keys
 * are SHA-256 digests, so their first bytes are the hash: nobody can
 * choose keys that fall in one chain without the credentials behind them.
 */
#include "auth/cred_cache.h"

#include "pubsub/pubsub.h"

#include <sodium.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_STR UINT32_MAX

typedef struct cred_entry {
    struct cred_entry *hnext;       /* hash chain */
    struct cred_entry *prev, *next; /* recency: prev is more recent */
    cred_key key;
    int64_t until; /* CLOCK_REALTIME ms: gone from then on */
    cred_info info;
    /* the user: its scalars, and its strings as offsets into blob */
    int64_t id, last_login, created;
    bool active, staff, superuser;
    uint32_t username, email, name, issuer, subject;
    uint32_t nroles;
    uint32_t nblob;
    uint32_t *roles; /* nroles offsets, inside the block */
    char blob[];     /* the role offsets, then the strings */
} cred_entry;

typedef struct cred_shard {
    pthread_mutex_t lock;
    cred_entry **tab; /* nbuckets chains */
    size_t nbuckets, count, max;
    cred_entry *head, *tail; /* most and least recently used */
    char pad[64];
} cred_shard;

static cred_shard shards[CRED_CACHE_SHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;
static int64_t g_ttl_ms;   /* atomic: 0 off */
static uint64_t g_gen = 1; /* atomic: bumped by every forget */
static uint64_t st_hits, st_misses, st_puts, st_evictions, st_forgets;

static void shards_init(void)
{
    for (size_t i = 0; i < CRED_CACHE_SHARDS; i++)
        pthread_mutex_init(&shards[i].lock, NULL);
}

static size_t key_hash(const cred_key *k)
{
    uint64_t h;
    memcpy(&h, k->digest, sizeof h);
    return (size_t)(h ^ k->kind);
}

static cred_shard *shard_of(const cred_key *k)
{
    return &shards[(key_hash(k) >> 56) & (CRED_CACHE_SHARDS - 1)];
}

static bool key_eq(const cred_key *a, const cred_key *b)
{
    return a->kind == b->kind &&
           memcmp(a->digest, b->digest, sizeof a->digest) == 0;
}

/* ---- a shard's table and list (under its lock) ----------------------------
 */

static void list_unlink(cred_shard *s, cred_entry *e)
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

static void list_push(cred_shard *s, cred_entry *e)
{
    e->prev = NULL;
    e->next = s->head;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    if (!s->tail)
        s->tail = e;
}

static cred_entry **chain_of(cred_shard *s, const cred_key *k)
{
    return &s->tab[key_hash(k) & (s->nbuckets - 1)];
}

static cred_entry *find(cred_shard *s, const cred_key *k)
{
    if (!s->tab)
        return NULL;
    for (cred_entry *e = *chain_of(s, k); e; e = e->hnext)
        if (key_eq(&e->key, k))
            return e;
    return NULL;
}

static void drop(cred_shard *s, cred_entry *e)
{
    cred_entry **pp = chain_of(s, &e->key);
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    list_unlink(s, e);
    s->count--;
    free(e);
}

static void shard_clear(cred_shard *s)
{
    while (s->head)
        drop(s, s->head);
}

/* ---- configuration --------------------------------------------------------
 */

void cred_cache_configure(int64_t ttl_ms, size_t max_entries)
{
    pthread_once(&shards_once, shards_init);
    if (max_entries == 0)
        max_entries = CRED_CACHE_MAX;
    size_t per = (max_entries + CRED_CACHE_SHARDS - 1) / CRED_CACHE_SHARDS;
    size_t nb = 16;
    while (nb < per)
        nb <<= 1;
    __atomic_store_n(&g_ttl_ms, 0, __ATOMIC_SEQ_CST);
    for (size_t i = 0; i < CRED_CACHE_SHARDS; i++) {
        cred_shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        shard_clear(s);
        cred_entry **tab = ttl_ms > 0 ? calloc(nb, sizeof *tab) : NULL;
        free(s->tab);
        s->tab = tab;
        s->nbuckets = tab ? nb : 0;
        s->max = per;
        pthread_mutex_unlock(&s->lock);
    }
    __atomic_add_fetch(&g_gen, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&g_ttl_ms, ttl_ms > 0 ? ttl_ms : 0, __ATOMIC_SEQ_CST);
}

static void on_forget_message(kiln_str data)
{
    cred_cache_apply(data);
}

void cred_cache_setup(const kiln_settings *s)
{
    int64_t secs = s ? kiln_settings_int(s, "auth.cache_seconds") : 30;
    cred_cache_configure(secs > 0 ? secs * 1000 : 0, 0);
    if (secs > 0)
        pubsub_tap_set(CRED_CACHE_TOPIC, on_forget_message);
}

bool cred_cache_on(void)
{
    return __atomic_load_n(&g_ttl_ms, __ATOMIC_RELAXED) > 0;
}

bool cred_key_hex(cred_key *k, cred_kind kind, const char *hex)
{
    size_t got = 0;
    k->kind = (uint8_t)kind;
    return hex && strlen(hex) == 64 &&
           sodium_hex2bin(k->digest, sizeof k->digest, hex, 64, NULL, &got,
                          NULL) == 0 &&
           got == sizeof k->digest;
}

void cred_key_jwt(cred_key *k, const char *issuer, const char *subject)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)issuer,
                              strlen(issuer) + 1); /* its NUL separates */
    crypto_hash_sha256_update(&st, (const unsigned char *)subject,
                              strlen(subject));
    crypto_hash_sha256_final(&st, k->digest);
    k->kind = CRED_JWT;
}

uint64_t cred_cache_gen(void)
{
    return __atomic_load_n(&g_gen, __ATOMIC_SEQ_CST);
}

/* ---- lookups --------------------------------------------------------------
 */

/* A copy of e's user in a. */
static kiln_user *user_out(const cred_entry *e, kiln_arena *a)
{
    kiln_user *u = kiln_arena_alloc(a, sizeof *u);
    char *b = kiln_arena_alloc(a, e->nblob ? e->nblob : 1);
    const char **roles = kiln_arena_alloc(a, (e->nroles + 1) * sizeof *roles);
    if (!u || !b || !roles)
        return NULL;
    memcpy(b, e->blob, e->nblob);
    for (uint32_t i = 0; i < e->nroles; i++)
        roles[i] = b + e->roles[i];
    roles[e->nroles] = NULL;
    *u = (kiln_user){
        .id = e->id,
        .username = b + e->username,
        .email = b + e->email,
        .name = b + e->name,
        .active = e->active,
        .staff = e->staff,
        .superuser = e->superuser,
        .roles = roles,
        .nroles = e->nroles,
        .issuer = e->issuer == NO_STR ? NULL : b + e->issuer,
        .subject = e->subject == NO_STR ? NULL : b + e->subject,
        .last_login = e->last_login,
        .created = e->created,
    };
    return u;
}

int cred_cache_get(const cred_key *k, kiln_arena *a, int64_t now_ms,
                   kiln_user **u, cred_info *info)
{
    *u = NULL;
    if (!cred_cache_on()) {
        __atomic_add_fetch(&st_misses, 1, __ATOMIC_RELAXED);
        return KILN_ENOTFOUND;
    }
    cred_shard *s = shard_of(k);
    pthread_mutex_lock(&s->lock);
    cred_entry *e = find(s, k);
    if (e && now_ms >= e->until) {
        drop(s, e);
        e = NULL;
    }
    int rc = KILN_ENOTFOUND;
    if (e) {
        if (s->head != e) {
            list_unlink(s, e);
            list_push(s, e);
        }
        *info = e->info;
        *u = user_out(e, a);
        rc = *u ? 0 : KILN_ENOMEM;
    }
    pthread_mutex_unlock(&s->lock);
    __atomic_add_fetch(rc == 0 ? &st_hits : &st_misses, 1, __ATOMIC_RELAXED);
    return rc;
}

/* Appends s (NULL: none) to the blob being sized (b NULL) or filled. */
static uint32_t blob_str(char *b, uint32_t *n, const char *s)
{
    if (!s)
        return NO_STR;
    uint32_t off = *n;
    size_t len = strlen(s) + 1;
    if (b)
        memcpy(b + off, s, len);
    *n += (uint32_t)len;
    return off;
}

/* Lays u's strings out after the role offsets (b NULL: only sizes). */
static uint32_t blob_fill(cred_entry *e, char *b, const kiln_user *u)
{
    uint32_t n = (uint32_t)(u->nroles * sizeof(uint32_t));
    e->username = blob_str(b, &n, u->username ? u->username : "");
    e->email = blob_str(b, &n, u->email ? u->email : "");
    e->name = blob_str(b, &n, u->name ? u->name : "");
    e->issuer = blob_str(b, &n, u->issuer);
    e->subject = blob_str(b, &n, u->subject);
    for (size_t i = 0; i < u->nroles; i++) {
        uint32_t off = blob_str(b, &n, u->roles[i]);
        if (b)
            e->roles[i] = off;
    }
    return n;
}

void cred_cache_put(const cred_key *k, const kiln_user *u,
                    const cred_info *info, uint64_t gen, int64_t now_ms)
{
    int64_t ttl = __atomic_load_n(&g_ttl_ms, __ATOMIC_RELAXED);
    if (ttl <= 0 || !u || u->nroles > 4096)
        return;
    cred_entry probe = {0};
    uint32_t nblob = blob_fill(&probe, NULL, u);
    cred_entry *e = malloc(sizeof *e + nblob);
    if (!e)
        return;
    memset(e, 0, sizeof *e);
    e->key = *k;
    e->until = now_ms + ttl;
    e->info = *info;
    e->id = u->id;
    e->last_login = u->last_login;
    e->created = u->created;
    e->active = u->active;
    e->staff = u->staff;
    e->superuser = u->superuser;
    e->nroles = (uint32_t)u->nroles;
    e->nblob = nblob;
    e->roles = (uint32_t *)(void *)e->blob;
    blob_fill(e, e->blob, u);
    cred_shard *s = shard_of(k);
    pthread_mutex_lock(&s->lock);
    /* a forget since the caller read the database: its copy may be the
       old one; the generation is read under the lock, as forgets bump it
       under theirs */
    if (!s->tab || cred_cache_gen() != gen) {
        pthread_mutex_unlock(&s->lock);
        free(e);
        return;
    }
    cred_entry *old = find(s, k);
    if (old)
        drop(s, old);
    while (s->count >= s->max && s->tail) {
        drop(s, s->tail);
        __atomic_add_fetch(&st_evictions, 1, __ATOMIC_RELAXED);
    }
    cred_entry **chain = chain_of(s, k);
    e->hnext = *chain;
    *chain = e;
    list_push(s, e);
    s->count++;
    pthread_mutex_unlock(&s->lock);
    __atomic_add_fetch(&st_puts, 1, __ATOMIC_RELAXED);
}

bool cred_cache_touch(const cred_key *k, int64_t seen, int64_t now,
                      int64_t expires)
{
    pthread_once(&shards_once, shards_init);
    cred_shard *s = shard_of(k);
    pthread_mutex_lock(&s->lock);
    cred_entry *e = find(s, k);
    bool mine = !e || e->info.seen == seen;
    if (e && mine) {
        e->info.seen = now;
        e->info.expires = expires;
    }
    pthread_mutex_unlock(&s->lock);
    return mine;
}

/* ---- invalidation ---------------------------------------------------------
 */

/* Removes, in every shard, the entries pred says (all when pred NULL). */
static void forget_where(bool (*pred)(const cred_entry *e, int64_t arg),
                         int64_t arg)
{
    pthread_once(&shards_once, shards_init);
    for (size_t i = 0; i < CRED_CACHE_SHARDS; i++) {
        cred_shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        __atomic_add_fetch(&g_gen, 1, __ATOMIC_SEQ_CST);
        for (cred_entry *e = s->head, *next; e; e = next) {
            next = e->next;
            if (!pred || pred(e, arg))
                drop(s, e);
        }
        pthread_mutex_unlock(&s->lock);
    }
    __atomic_add_fetch(&st_forgets, 1, __ATOMIC_RELAXED);
}

static bool of_user(const cred_entry *e, int64_t user)
{
    return e->info.user == user || e->id == user;
}

static bool of_token(const cred_entry *e, int64_t id)
{
    return e->key.kind == CRED_TOKEN && e->info.token_id == id;
}

static void forget_key_local(const cred_key *k)
{
    pthread_once(&shards_once, shards_init);
    cred_shard *s = shard_of(k);
    pthread_mutex_lock(&s->lock);
    __atomic_add_fetch(&g_gen, 1, __ATOMIC_SEQ_CST);
    cred_entry *e = find(s, k);
    if (e)
        drop(s, e);
    pthread_mutex_unlock(&s->lock);
    __atomic_add_fetch(&st_forgets, 1, __ATOMIC_RELAXED);
}

/* ---- the messages between instances ---------------------------------------
 */

/* A positive decimal of s, without a leading zero. */
static bool parse_id(kiln_str s, int64_t *out)
{
    int64_t v = 0;
    if (s.n == 0 || s.n > 18 || s.p[0] == '0')
        return false;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return true;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

int cred_msg_parse(kiln_str m, cred_msg *out)
{
    memset(out, 0, sizeof *out);
    if (!m.p)
        return KILN_EPARSE;
    if (m.n == 1 && m.p[0] == '*') {
        out->what = '*';
        return 0;
    }
    if (m.n > 2 && m.p[1] == ':' && (m.p[0] == 'u' || m.p[0] == 't')) {
        out->what = m.p[0];
        return parse_id((kiln_str){m.p + 2, m.n - 2}, &out->id) ? 0
                                                                : KILN_EPARSE;
    }
    if (m.n == 3 + 64 && m.p[0] == 'k' && m.p[1] >= '1' && m.p[1] <= '3' &&
        m.p[2] == ':') {
        out->what = 'k';
        out->key.kind = (uint8_t)(m.p[1] - '0');
        for (size_t i = 0; i < 32; i++) {
            int hi = hexval(m.p[3 + 2 * i]), lo = hexval(m.p[4 + 2 * i]);
            if (hi < 0 || lo < 0)
                return KILN_EPARSE;
            out->key.digest[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
    }
    return KILN_EPARSE;
}

size_t cred_msg_format(const cred_msg *m, char out[CRED_MSG_MAX])
{
    int n = 0;
    if (m->what == 'k') {
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, m->key.digest, sizeof m->key.digest);
        n = snprintf(out, CRED_MSG_MAX, "k%u:%s", (unsigned)m->key.kind, hex);
    } else if (m->what == 'u' || m->what == 't') {
        n = snprintf(out, CRED_MSG_MAX, "%c:%lld", m->what, (long long)m->id);
    } else {
        n = snprintf(out, CRED_MSG_MAX, "*");
    }
    return n > 0 ? (size_t)n : 0;
}

/* Tells the other instances (nothing to do without a pub/sub backend). */
static void publish(const cred_msg *m)
{
    char msg[CRED_MSG_MAX];
    size_t n = cred_msg_format(m, msg);
    int rc = pubsub_tap_publish(CRED_CACHE_TOPIC, msg, n);
    if (rc != 0)
        kiln_log(KILN_LOG_WARN,
                 "auth: the other instances were not told to forget a "
                 "credential (%s): they may accept it for up to "
                 "auth.cache_seconds",
                 kiln_strerror(rc));
}

void cred_cache_forget(const cred_key *k)
{
    forget_key_local(k);
    publish(&(cred_msg){.what = 'k', .key = *k});
}

void cred_cache_forget_user(int64_t user)
{
    forget_where(of_user, user);
    publish(&(cred_msg){.what = 'u', .id = user});
}

void cred_cache_forget_token(int64_t id)
{
    forget_where(of_token, id);
    publish(&(cred_msg){.what = 't', .id = id});
}

void cred_cache_forget_all(void)
{
    forget_where(NULL, 0);
    publish(&(cred_msg){.what = '*'});
}

void kiln_auth_forget_user(int64_t user)
{
    cred_cache_forget_user(user);
}

void kiln_auth_forget_all(void)
{
    cred_cache_forget_all();
}

void cred_cache_apply(kiln_str m)
{
    cred_msg msg;
    if (!m.p) { /* publications may have been lost: nothing is sure */
        forget_where(NULL, 0);
        return;
    }
    if (cred_msg_parse(m, &msg) != 0)
        return;
    if (msg.what == '*')
        forget_where(NULL, 0);
    else if (msg.what == 'u')
        forget_where(of_user, msg.id);
    else if (msg.what == 't')
        forget_where(of_token, msg.id);
    else
        forget_key_local(&msg.key);
}

void cred_cache_stats_get(cred_cache_stats *out)
{
    pthread_once(&shards_once, shards_init);
    out->hits = __atomic_load_n(&st_hits, __ATOMIC_RELAXED);
    out->misses = __atomic_load_n(&st_misses, __ATOMIC_RELAXED);
    out->puts = __atomic_load_n(&st_puts, __ATOMIC_RELAXED);
    out->evictions = __atomic_load_n(&st_evictions, __ATOMIC_RELAXED);
    out->forgets = __atomic_load_n(&st_forgets, __ATOMIC_RELAXED);
    out->entries = 0;
    for (size_t i = 0; i < CRED_CACHE_SHARDS; i++) {
        pthread_mutex_lock(&shards[i].lock);
        out->entries += shards[i].count;
        pthread_mutex_unlock(&shards[i].lock);
    }
}
