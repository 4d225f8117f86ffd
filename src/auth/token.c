/*
 * auth/token.c - personal API tokens (docs/auth.md, "API tokens").
 *
 * A token reads kiln_<prefix>_<secret>: "kiln_" so that it is recognised
 * (by identity resolution, and by secret scanners in a leaked file), 8
 * visible base62 characters that name it in listings and find its row, and
 * 40 secret base62 characters (~238 bits from the CSPRNG). The database
 * keeps the prefix and the SHA-256 of the whole token: a leaked table gives
 * no usable token, and the token's entropy makes a slow hash pointless.
 * The hash found by prefix is compared in constant time.
 */
#include "auth/auth_impl.h"
#include "auth/cred_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool is_b62(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= 'a' && ch <= 'z');
}

int auth_token_parse(kiln_str t, char prefix[AUTH_TOKEN_PREFIX_LEN + 1])
{
    const size_t tag = sizeof AUTH_TOKEN_TAG - 1;
    if (!t.p || t.n != AUTH_TOKEN_LEN || memcmp(t.p, AUTH_TOKEN_TAG, tag) != 0)
        return KILN_EPARSE;
    const char *p = t.p + tag;
    for (size_t i = 0; i < AUTH_TOKEN_PREFIX_LEN; i++)
        if (!is_b62(p[i]))
            return KILN_EPARSE;
    if (p[AUTH_TOKEN_PREFIX_LEN] != '_')
        return KILN_EPARSE;
    const char *s = p + AUTH_TOKEN_PREFIX_LEN + 1;
    for (size_t i = 0; i < AUTH_TOKEN_SECRET_LEN; i++)
        if (!is_b62(s[i]))
            return KILN_EPARSE;
    memcpy(prefix, p, AUTH_TOKEN_PREFIX_LEN);
    prefix[AUTH_TOKEN_PREFIX_LEN] = 0;
    return 0;
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool token68_ch(char ch)
{
    return is_b62(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
           ch == '+' || ch == '/';
}

int auth_bearer_parse(kiln_str v, kiln_str *token)
{
    size_t i = 0;
    while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    size_t s0 = i;
    while (i < v.n && v.p[i] != ' ' && v.p[i] != '\t')
        i++;
    kiln_str scheme = {v.p + s0, i - s0};
    if (!kiln_str_ieq_c(scheme, "Bearer"))
        return 0;
    size_t sp = i;
    while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    if (i == sp || i == v.n)
        return KILN_EPARSE;
    size_t t0 = i;
    while (i < v.n && token68_ch(v.p[i]))
        i++;
    if (i == t0)
        return KILN_EPARSE; /* "=" alone is no token68 */
    while (i < v.n && v.p[i] == '=')
        i++;
    size_t t1 = i;
    while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
        i++;
    if (i != v.n || t1 == t0)
        return KILN_EPARSE;
    *token = (kiln_str){v.p + t0, t1 - t0};
    return 1;
}

void auth_token_make(char out[AUTH_TOKEN_LEN + 1],
                     char prefix[AUTH_TOKEN_PREFIX_LEN + 1])
{
    const size_t tag = sizeof AUTH_TOKEN_TAG - 1;
    if (sodium_init() < 0)
        abort(); /* no CSPRNG: nothing safe to hand out */
    memcpy(out, AUTH_TOKEN_TAG, tag);
    char *p = out + tag;
    for (size_t i = 0; i < AUTH_TOKEN_PREFIX_LEN; i++)
        p[i] = b62[randombytes_uniform(62)];
    p[AUTH_TOKEN_PREFIX_LEN] = '_';
    char *s = p + AUTH_TOKEN_PREFIX_LEN + 1;
    for (size_t i = 0; i < AUTH_TOKEN_SECRET_LEN; i++)
        s[i] = b62[randombytes_uniform(62)];
    out[AUTH_TOKEN_LEN] = 0;
    memcpy(prefix, p, AUTH_TOKEN_PREFIX_LEN);
    prefix[AUTH_TOKEN_PREFIX_LEN] = 0;
}

void auth_token_hash(kiln_str t, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)t.p, t.n);
    sodium_bin2hex(hex, 65, h, sizeof h);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t auth_now_ms(void)
{
    return now_us() / 1000;
}

int64_t auth_token_create(kiln_dbc *db, int64_t user, const char *name,
                          int64_t expires_us, char out[AUTH_TOKEN_LEN + 1])
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char prefix[AUTH_TOKEN_PREFIX_LEN + 1], hex[65];
        auth_token_make(out, prefix);
        auth_token_hash((kiln_str){out, AUTH_TOKEN_LEN}, hex);
        int64_t id = 0;
        int rc = kiln_db_scalar_int(
            db, &id,
            "INSERT INTO kiln_token (user_id, name, prefix, hash, created, "
            "expires) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            KILN_INT(user), KILN_TEXT(name ? name : ""), KILN_TEXT(prefix),
            KILN_TEXT(hex), KILN_TIME(now_us()),
            expires_us > 0 ? KILN_TIME(expires_us) : KILN_NULL);
        if (rc == 0)
            return id;
        /* a prefix taken already (1 in 62^8 per token): draw again */
        if (kiln_db_violation_of(db, NULL) != KILN_DB_VIOLATION_UNIQUE)
            return rc;
    }
    sodium_memzero(out, AUTH_TOKEN_LEN + 1);
    return KILN_ESTATE;
}

int64_t auth_token_check(kiln_dbc *db, kiln_str t)
{
    char prefix[AUTH_TOKEN_PREFIX_LEN + 1], hex[65];
    if (auth_token_parse(t, prefix) != 0)
        return 0;
    auth_token_hash(t, hex);
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT id, user_id, hash, expires, revoked, last_used FROM "
        "kiln_token WHERE prefix = $1",
        KILN_TEXT(prefix));
    if (!r)
        return KILN_EDB;
    int64_t id = 0, user = 0, last = 0;
    if (kiln_rows_next(r)) {
        kiln_str h = kiln_row_text(r, 2);
        int64_t now = now_us();
        bool live = !kiln_row_is_null(r, 2) && h.n == 64 &&
                    sodium_memcmp(h.p, hex, 64) == 0 &&
                    kiln_row_is_null(r, 4) &&
                    (kiln_row_is_null(r, 3) || kiln_row_time(r, 3) > now);
        if (live) {
            id = kiln_row_int(r, 0);
            user = kiln_row_int(r, 1);
            last = kiln_row_is_null(r, 5) ? 0 : kiln_row_time(r, 5);
        }
    }
    int rc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc < 0)
        return rc;
    int64_t now = now_us();
    if (user > 0 && now - last >= 60 * INT64_C(1000000))
        kiln_db_exec(db, "UPDATE kiln_token SET last_used = $1 WHERE id = $2",
                     KILN_TIME(now), KILN_INT(id));
    return user;
}

/* The first row of auth_token_user's query: the token's columns. */
typedef struct token_seen {
    const char *hex; /* the SHA-256 of the token sent */
    int64_t id, last_used, expires;
} token_seen;

static int token_live(kiln_rows *r, void *arg)
{
    token_seen *k = arg;
    kiln_str h = kiln_row_text(r, 1);
    bool live = !kiln_row_is_null(r, 1) && h.n == 64 &&
                sodium_memcmp(h.p, k->hex, 64) == 0 && kiln_row_is_null(r, 3) &&
                (kiln_row_is_null(r, 2) || kiln_row_time(r, 2) > now_us());
    if (!live)
        return KILN_ENOTFOUND;
    k->id = kiln_row_int(r, 0);
    k->expires = kiln_row_is_null(r, 2) ? 0 : kiln_row_time(r, 2);
    k->last_used = kiln_row_is_null(r, 4) ? 0 : kiln_row_time(r, 4);
    return 0;
}

/* Writes the token's last_used when the one known is a minute old. */
static void token_used(kiln_dbc *db, int64_t id, int64_t last_used)
{
    int64_t now = now_us();
    if (now - last_used >= 60 * INT64_C(1000000))
        kiln_db_exec(db, "UPDATE kiln_token SET last_used = $1 WHERE id = $2",
                     KILN_TIME(now), KILN_INT(id));
}

/* The token's row, its user and roles: one query. */
static int token_user_db(kiln_dbc *db, kiln_arena *a, const char *prefix,
                         token_seen *k, kiln_user **out)
{
    return auth_user_read_joined(
        kiln_db_query(db,
                      "SELECT kiln_token.id, hash, expires, revoked, "
                      "last_used, " AUTH_USER_COLS ", role FROM kiln_token "
                      "JOIN kiln_user ON kiln_user.id = "
                      "kiln_token.user_id " AUTH_USER_ROLES
                      " WHERE prefix = $1 ORDER BY role",
                      KILN_TEXT(prefix)),
        5, token_live, k, a, out);
}

int auth_token_user(kiln_dbc *db, kiln_arena *a, kiln_str t, kiln_user **out)
{
    *out = NULL;
    char prefix[AUTH_TOKEN_PREFIX_LEN + 1], hex[65];
    if (auth_token_parse(t, prefix) != 0)
        return KILN_ENOTFOUND;
    auth_token_hash(t, hex);
    token_seen k = {.hex = hex};
    int rc = token_user_db(db, a, prefix, &k, out);
    if (rc == 0)
        token_used(db, k.id, k.last_used);
    return rc;
}

int auth_token_resolve(kiln_ctx *c, kiln_str t, const kiln_user **out)
{
    *out = NULL;
    char prefix[AUTH_TOKEN_PREFIX_LEN + 1], hex[65];
    if (auth_token_parse(t, prefix) != 0)
        return KILN_ENOTFOUND;
    auth_token_hash(t, hex);
    kiln_arena *a = kiln_ctx_arena(c);
    cred_key key;
    cred_info info;
    kiln_user *u;
    bool cached = cred_cache_on() && cred_key_hex(&key, CRED_TOKEN, hex);
    int64_t now = now_us();
    if (cached && cred_cache_get(&key, a, now / 1000, &u, &info) == 0) {
        if (info.expires && info.expires <= now) {
            cred_cache_forget(&key); /* expired since: as the row says */
            return KILN_ENOTFOUND;
        }
        if (now - info.seen >= 60 * INT64_C(1000000) &&
            cred_cache_touch(&key, info.seen, now, info.expires)) {
            kiln_dbc *db = kiln_db(c);
            if (db)
                token_used(db, info.token_id, info.seen);
        }
        *out = u;
        return 0;
    }
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    uint64_t gen = cred_cache_gen();
    token_seen k = {.hex = hex};
    int rc = token_user_db(db, a, prefix, &k, &u);
    if (rc != 0)
        return rc;
    token_used(db, k.id, k.last_used);
    if (cached) {
        info = (cred_info){.user = u->id,
                           .token_id = k.id,
                           .seen = now - k.last_used >= 60 * INT64_C(1000000)
                                       ? now
                                       : k.last_used,
                           .expires = k.expires};
        cred_cache_put(&key, u, &info, gen, now / 1000);
    }
    *out = u;
    return 0;
}

int auth_token_list(kiln_dbc *db, kiln_arena *a, int64_t user,
                    auth_token_row **out)
{
    *out = NULL;
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT id, user_id, name, prefix, created, expires, last_used, "
        "revoked FROM kiln_token WHERE $1 = 0 OR user_id = $1 ORDER BY id",
        KILN_INT(user));
    if (!r)
        return KILN_EDB;
    size_t n = 0, cap = 0;
    auth_token_row *v = NULL;
    while (kiln_rows_next(r)) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            auth_token_row *nv = kiln_arena_alloc(a, nc * sizeof *nv);
            if (!nv) {
                kiln_rows_close(r);
                return KILN_ENOMEM;
            }
            if (n)
                memcpy(nv, v, n * sizeof *nv);
            v = nv;
            cap = nc;
        }
        auth_token_row *t = &v[n++];
        t->id = kiln_row_int(r, 0);
        t->user_id = kiln_row_int(r, 1);
        kiln_str s = kiln_row_text(r, 2);
        t->name = kiln_arena_strndup(a, s.p ? s.p : "", s.n);
        s = kiln_row_text(r, 3);
        t->prefix = kiln_arena_strndup(a, s.p ? s.p : "", s.n);
        t->created = kiln_row_time(r, 4);
        t->expires = kiln_row_is_null(r, 5) ? 0 : kiln_row_time(r, 5);
        t->last_used = kiln_row_is_null(r, 6) ? 0 : kiln_row_time(r, 6);
        t->revoked = kiln_row_is_null(r, 7) ? 0 : kiln_row_time(r, 7);
        if (!t->name || !t->prefix) {
            kiln_rows_close(r);
            return KILN_ENOMEM;
        }
    }
    int rc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc < 0)
        return rc;
    *out = v;
    return (int)n;
}

int auth_token_revoke(kiln_dbc *db, int64_t id, int64_t user)
{
    int64_t n = kiln_db_exec(db,
                             "UPDATE kiln_token SET revoked = $1 WHERE id = $2 "
                             "AND ($3 = 0 OR user_id = $3) AND revoked IS NULL",
                             KILN_TIME(now_us()), KILN_INT(id), KILN_INT(user));
    if (n > 0)
        cred_cache_forget_token(id);
    return n < 0 ? (int)n : n > 0;
}
