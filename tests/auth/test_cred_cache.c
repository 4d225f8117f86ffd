/*
 * tests/auth/test_cred_cache.c - the credential cache (auth/cred_cache.h):
 * copies in and out, its time limit, its bound and least recently used
 * eviction, the generation that keeps a stale read out, every kind of
 * invalidation (and the messages other instances send), the touch of a
 * session's last_seen, and many threads at once.
 */
#include "test.h"

#include "auth/cred_cache.h"

#include <pthread.h>
#include <stdio.h>

/* A key of kind whose digest is all n, except byte 7 (the shard) s. */
static cred_key key_of(cred_kind kind, uint8_t n, uint8_t shard)
{
    cred_key k = {.kind = (uint8_t)kind};
    memset(k.digest, n, sizeof k.digest);
    k.digest[7] = shard;
    return k;
}

static const char *const roles2[] = {"editor", "viewer", NULL};

static kiln_user user_of(int64_t id)
{
    return (kiln_user){.id = id,
                       .username = "alice",
                       .email = "alice@example.org",
                       .name = "Alice",
                       .active = true,
                       .staff = true,
                       .roles = roles2,
                       .nroles = 2,
                       .last_login = 1700000000000,
                       .created = 1600000000000};
}

TEST(cred_cache_copies_in_and_out)
{
    cred_cache_configure(30000, 0);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    cred_key k = key_of(CRED_SESSION, 1, 0);
    kiln_user in = user_of(7);
    cred_info info = {.user = 7, .created = 10, .seen = 20, .expires = 30};
    memset(info.secret, 0xAB, sizeof info.secret);
    kiln_user *u;
    cred_info got;
    CHECK_INT(cred_cache_get(&k, &a, 1000, &u, &got), KILN_ENOTFOUND);
    CHECK(u == NULL);
    cred_cache_put(&k, &in, &info, cred_cache_gen(), 1000);
    CHECK_INT(cred_cache_get(&k, &a, 1001, &u, &got), 0);
    CHECK(u && u != &in);
    CHECK_INT((int)u->id, 7);
    CHECK_STR(u->username, "alice");
    CHECK_STR(u->email, "alice@example.org");
    CHECK_STR(u->name, "Alice");
    CHECK(u->active && u->staff && !u->superuser);
    CHECK_INT((int)u->nroles, 2);
    CHECK_STR(u->roles[0], "editor");
    CHECK_STR(u->roles[1], "viewer");
    CHECK(u->roles[2] == NULL);
    CHECK(u->issuer == NULL && u->subject == NULL);
    CHECK(u->last_login == 1700000000000 && u->created == 1600000000000);
    CHECK(got.user == 7 && got.created == 10 && got.seen == 20 &&
          got.expires == 30);
    CHECK(got.secret[0] == 0xAB && got.secret[31] == 0xAB);
    /* an OIDC user keeps issuer and subject; no roles is an empty list */
    kiln_user o = {.id = 8,
                   .username = "",
                   .email = "",
                   .name = "",
                   .active = true,
                   .issuer = "https://idp",
                   .subject = "s-1"};
    cred_key kj;
    cred_key_jwt(&kj, "https://idp", "s-1");
    cred_cache_put(&kj, &o, &(cred_info){.user = 8}, cred_cache_gen(), 1000);
    CHECK_INT(cred_cache_get(&kj, &a, 1000, &u, &got), 0);
    CHECK_STR(u->issuer, "https://idp");
    CHECK_STR(u->subject, "s-1");
    CHECK_INT((int)u->nroles, 0);
    CHECK(u->roles && u->roles[0] == NULL);
    /* the same key of another kind is another entry */
    cred_key kt = k;
    kt.kind = CRED_TOKEN;
    CHECK_INT(cred_cache_get(&kt, &a, 1000, &u, &got), KILN_ENOTFOUND);
    kiln_arena_deinit(&a);
}

TEST(cred_cache_keys)
{
    cred_key a, b;
    cred_key_jwt(&a, "ab", "c");
    cred_key_jwt(&b, "a", "bc");
    CHECK(memcmp(a.digest, b.digest, 32) != 0); /* the NUL separates */
    CHECK_INT(a.kind, CRED_JWT);
    const char *hex =
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    CHECK(cred_key_hex(&a, CRED_TOKEN, hex));
    CHECK(a.kind == CRED_TOKEN && a.digest[1] == 0x11 && a.digest[31] == 0xff);
    CHECK(!cred_key_hex(&a, CRED_TOKEN, "0011"));
    CHECK(!cred_key_hex(&a, CRED_TOKEN,
                        "zz112233445566778899aabbccddeeff00112233445566778899"
                        "aabbccddeeff"));
    CHECK(!cred_key_hex(&a, CRED_TOKEN, NULL));
}

TEST(cred_cache_time_limit)
{
    cred_cache_configure(5000, 0);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    cred_key k = key_of(CRED_TOKEN, 2, 3);
    kiln_user in = user_of(1);
    cred_cache_put(&k, &in, &(cred_info){.user = 1}, cred_cache_gen(), 1000);
    kiln_user *u;
    cred_info got;
    CHECK_INT(cred_cache_get(&k, &a, 5999, &u, &got), 0);
    CHECK_INT(cred_cache_get(&k, &a, 6000, &u, &got), KILN_ENOTFOUND);
    cred_cache_stats st;
    cred_cache_stats_get(&st);
    CHECK_INT((int)st.entries, 0); /* removed when found too old */
    /* off: nothing kept, everything misses */
    cred_cache_configure(0, 0);
    CHECK(!cred_cache_on());
    cred_cache_put(&k, &in, &(cred_info){.user = 1}, cred_cache_gen(), 1000);
    CHECK_INT(cred_cache_get(&k, &a, 1000, &u, &got), KILN_ENOTFOUND);
    cred_cache_stats_get(&st);
    CHECK_INT((int)st.entries, 0);
    kiln_arena_deinit(&a);
}

TEST(cred_cache_bound_and_lru)
{
    /* 64 entries: 4 per shard */
    cred_cache_configure(60000, 64);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_user in = user_of(1);
    cred_info info = {.user = 1};
    cred_key k[6];
    for (int i = 0; i < 4; i++) {
        k[i] = key_of(CRED_SESSION, (uint8_t)(10 + i), 0x50);
        cred_cache_put(&k[i], &in, &info, cred_cache_gen(), 1000);
    }
    kiln_user *u;
    cred_info got;
    cred_cache_stats before;
    cred_cache_stats_get(&before);
    /* k[0] used lately: k[1] is now the least recently used */
    CHECK_INT(cred_cache_get(&k[0], &a, 1000, &u, &got), 0);
    k[4] = key_of(CRED_SESSION, 14, 0x50);
    cred_cache_put(&k[4], &in, &info, cred_cache_gen(), 1000);
    CHECK_INT(cred_cache_get(&k[1], &a, 1000, &u, &got), KILN_ENOTFOUND);
    CHECK_INT(cred_cache_get(&k[0], &a, 1000, &u, &got), 0);
    CHECK_INT(cred_cache_get(&k[2], &a, 1000, &u, &got), 0);
    CHECK_INT(cred_cache_get(&k[4], &a, 1000, &u, &got), 0);
    cred_cache_stats after;
    cred_cache_stats_get(&after);
    CHECK_INT((int)(after.evictions - before.evictions), 1);
    /* many keys over every shard: never more than the bound */
    for (int i = 0; i < 5000; i++) {
        cred_key r = {.kind = CRED_TOKEN};
        for (int j = 0; j < 32; j++)
            r.digest[j] = (uint8_t)(i * 31 + j * 7 + (i >> (j % 13)));
        r.digest[7] = (uint8_t)i;
        r.digest[0] = (uint8_t)(i >> 8);
        cred_cache_put(&r, &in, &info, cred_cache_gen(), 1000);
    }
    cred_cache_stats_get(&after);
    CHECK(after.entries <= 64);
    CHECK(after.entries >= 32);
    /* a replaced key is one entry */
    cred_cache_configure(60000, 64);
    cred_cache_put(&k[0], &in, &info, cred_cache_gen(), 1000);
    kiln_user in2 = user_of(2);
    cred_cache_put(&k[0], &in2, &(cred_info){.user = 2}, cred_cache_gen(),
                   1000);
    cred_cache_stats_get(&after);
    CHECK_INT((int)after.entries, 1);
    CHECK_INT(cred_cache_get(&k[0], &a, 1000, &u, &got), 0);
    CHECK_INT((int)u->id, 2);
    kiln_arena_deinit(&a);
}

TEST(cred_cache_generation_keeps_stale_reads_out)
{
    cred_cache_configure(60000, 0);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_user in = user_of(3);
    cred_key k = key_of(CRED_TOKEN, 4, 1), other = key_of(CRED_TOKEN, 5, 2);
    /* a request read the row; a revocation landed before its put */
    uint64_t gen = cred_cache_gen();
    cred_cache_forget_token(99);
    cred_cache_put(&k, &in, &(cred_info){.user = 3, .token_id = 1}, gen, 1000);
    kiln_user *u;
    cred_info got;
    CHECK_INT(cred_cache_get(&k, &a, 1000, &u, &got), KILN_ENOTFOUND);
    /* any forget counts, of another key too: the put is only skipped */
    gen = cred_cache_gen();
    cred_cache_forget(&other);
    cred_cache_put(&k, &in, &(cred_info){.user = 3}, gen, 1000);
    CHECK_INT(cred_cache_get(&k, &a, 1000, &u, &got), KILN_ENOTFOUND);
    gen = cred_cache_gen();
    cred_cache_put(&k, &in, &(cred_info){.user = 3}, gen, 1000);
    CHECK_INT(cred_cache_get(&k, &a, 1000, &u, &got), 0);
    kiln_arena_deinit(&a);
}

/* Fills the cache: user 1's session, token 11 and JWT; user 2's session
   and token 12. */
static void fill(cred_key *k)
{
    cred_cache_configure(60000, 0);
    kiln_user u1 = user_of(1), u2 = user_of(2);
    k[0] = key_of(CRED_SESSION, 1, 0);
    k[1] = key_of(CRED_TOKEN, 2, 1);
    cred_key_jwt(&k[2], "https://idp", "one");
    k[3] = key_of(CRED_SESSION, 4, 2);
    k[4] = key_of(CRED_TOKEN, 5, 3);
    uint64_t g = cred_cache_gen();
    cred_cache_put(&k[0], &u1, &(cred_info){.user = 1}, g, 1000);
    cred_cache_put(&k[1], &u1, &(cred_info){.user = 1, .token_id = 11}, g,
                   1000);
    cred_cache_put(&k[2], &u1, &(cred_info){.user = 1}, g, 1000);
    cred_cache_put(&k[3], &u2, &(cred_info){.user = 2}, g, 1000);
    cred_cache_put(&k[4], &u2, &(cred_info){.user = 2, .token_id = 12}, g,
                   1000);
}

/* Which of the 5 keys of fill() are cached, as a string of 0 and 1. */
static const char *present(const cred_key *k, char out[6])
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (int i = 0; i < 5; i++) {
        kiln_user *u;
        cred_info got;
        out[i] = cred_cache_get(&k[i], &a, 1000, &u, &got) == 0 ? '1' : '0';
    }
    out[5] = 0;
    kiln_arena_deinit(&a);
    return out;
}

TEST(cred_cache_invalidation)
{
    cred_key k[5];
    char p[6];
    fill(k);
    CHECK_STR(present(k, p), "11111");
    cred_cache_forget(&k[0]); /* a logout */
    CHECK_STR(present(k, p), "01111");
    cred_cache_forget_token(12); /* a revocation: that token only */
    CHECK_STR(present(k, p), "01110");
    cred_cache_forget_token(2); /* not a token's id: nothing */
    CHECK_STR(present(k, p), "01110");
    cred_cache_forget_user(1); /* deactivated: everything of user 1 */
    CHECK_STR(present(k, p), "00010");
    cred_cache_forget_all();
    CHECK_STR(present(k, p), "00000");
}

TEST(cred_cache_messages_of_other_instances)
{
    cred_key k[5];
    char p[6], msg[80], hex[65];
    fill(k);
    /* what is not a message changes nothing */
    const char *junk[] = {"",
                          "u:",
                          "u:abc",
                          "u:0",
                          "u:-1",
                          "x:1",
                          "t1",
                          "k9:00",
                          "k1:zz",
                          "**",
                          "u:1 ",
                          "u:1234567890123456789",
                          "k4:"
                          "00112233445566778899aabbccddeeff00112233445566"
                          "778899aabbccddeeff"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        cred_cache_apply(kiln_str_c(junk[i]));
    CHECK_STR(present(k, p), "11111");
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", k[3].digest[i]);
    snprintf(msg, sizeof msg, "k%d:%s", CRED_SESSION, hex);
    cred_cache_apply(kiln_str_c(msg));
    CHECK_STR(present(k, p), "11101");
    cred_cache_apply(kiln_str_c("t:11"));
    CHECK_STR(present(k, p), "10101");
    cred_cache_apply(kiln_str_c("u:1"));
    CHECK_STR(present(k, p), "00001");
    cred_cache_apply(kiln_str_c("*"));
    CHECK_STR(present(k, p), "00000");
    /* the backend reconnected: publications may be lost, all goes */
    fill(k);
    cred_cache_apply(KILN_STR_NULL);
    CHECK_STR(present(k, p), "00000");
}

TEST(cred_msg_one_spelling)
{
    const char *good[] = {
        "*", "u:1", "t:123456789012345678",
        "k3:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cred_msg m;
        char back[CRED_MSG_MAX];
        CHECK_INT(cred_msg_parse(kiln_str_c(good[i]), &m), 0);
        CHECK_INT((int)cred_msg_format(&m, back), (int)strlen(good[i]));
        CHECK_STR(back, good[i]);
    }
    const char *bad[] = {
        "",
        "u:",
        "u:0",
        "u:01",
        "u:+1",
        "t:1x",
        "x:1",
        "k0:00",
        "**",
        "u:1234567890123456789",
        "k3:00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff",
        "k3:00112233445566778899aabbccddeeff00112233445566778899aabbccddee"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cred_msg m;
        if (cred_msg_parse(kiln_str_c(bad[i]), &m) != KILN_EPARSE)
            test_fail(__FILE__, __LINE__, "parsed '%s'", bad[i]);
    }
    cred_msg m;
    CHECK_INT(cred_msg_parse(KILN_STR_NULL, &m), KILN_EPARSE);
}

TEST(cred_cache_touch_once)
{
    cred_cache_configure(60000, 0);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    cred_key k = key_of(CRED_SESSION, 9, 4);
    kiln_user in = user_of(1);
    cred_cache_put(&k, &in,
                   &(cred_info){.user = 1, .seen = 100, .expires = 500},
                   cred_cache_gen(), 1000);
    /* two workers saw last_seen 100: one moves it and writes the row */
    CHECK(cred_cache_touch(&k, 100, 200, 600));
    CHECK(!cred_cache_touch(&k, 100, 201, 601));
    kiln_user *u;
    cred_info got;
    CHECK_INT(cred_cache_get(&k, &a, 1000, &u, &got), 0);
    CHECK(got.seen == 200 && got.expires == 600);
    /* no entry (forgotten meanwhile): the caller writes, as uncached */
    cred_cache_forget(&k);
    CHECK(cred_cache_touch(&k, 200, 300, 700));
    kiln_arena_deinit(&a);
}

/* ---- many threads ----------------------------------------------------------
 */

static void *hammer(void *arg)
{
    int id = (int)(intptr_t)arg;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_user in = user_of(id + 1);
    for (int i = 0; i < 20000; i++) {
        cred_key k = key_of(CRED_TOKEN, (uint8_t)(i % 97), (uint8_t)(i % 251));
        kiln_user *u;
        cred_info got;
        switch (i % 7) {
        case 0:
            cred_cache_forget(&k);
            break;
        case 1:
            if (i % 700 == 1)
                cred_cache_forget_user(id + 1);
            break;
        default:
            if (cred_cache_get(&k, &a, 1000, &u, &got) == 0) {
                if (strcmp(u->username, "alice") != 0 || u->nroles != 2)
                    return (void *)1; /* a torn copy */
            } else {
                cred_cache_put(&k, &in,
                               &(cred_info){.user = id + 1, .token_id = i},
                               cred_cache_gen(), 1000);
            }
        }
        if (i % 1000 == 0)
            kiln_arena_reset(&a);
    }
    kiln_arena_deinit(&a);
    return NULL;
}

TEST(cred_cache_threads)
{
    cred_cache_configure(60000, 256);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        CHECK(rc == NULL);
    }
    cred_cache_stats st;
    cred_cache_stats_get(&st);
    CHECK(st.entries <= 256);
    cred_cache_configure(0, 0); /* frees what is left */
}
