/*
 * tests/cache/test_cache.c - the memory store (TTL, the byte bound, LRU
 * order, threads), single flight, the stored form of responses, and the
 * token bucket and its specs.
 */
#include "cache/cache_impl.h"
#include "test.h"

#include <pthread.h>
#include <unistd.h>

static kiln_str S(const char *s)
{
    return kiln_str_c(s);
}

/* The value of key at now, as a C string in a static buffer ("" absent). */
static const char *get(cache_mem *m, const char *key, int64_t now)
{
    static char out[256];
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    int rc = cache_mem_get(m, S(key), now, &a, &v);
    snprintf(out, sizeof out, "%.*s", rc == 0 ? (int)v.n : 0,
             rc == 0 ? v.p : "");
    if (rc != 0 && rc != KILN_ENOTFOUND)
        snprintf(out, sizeof out, "error %d", rc);
    kiln_arena_deinit(&a);
    return out;
}

TEST(mem_set_get_delete)
{
    cache_mem *m = cache_mem_new(1 << 20, 0);
    CHECK(m);
    CHECK_INT(cache_mem_set(m, S("a"), S("one"), 0, false, 1000), 1);
    CHECK_STR(get(m, "a", 1000), "one");
    CHECK_INT(cache_mem_set(m, S("a"), S("two!"), 0, false, 1000), 1);
    CHECK_STR(get(m, "a", 1000), "two!");
    CHECK_INT(cache_mem_count(m), 1);
    CHECK_INT(cache_mem_bytes(m), 1 + 4 + CACHE_MEM_OVERHEAD);
    /* binary keys and values: NULs and all */
    kiln_str bk = {"k\0x", 3}, bv = {"v\0\xff", 3};
    CHECK_INT(cache_mem_set(m, bk, bv, 0, false, 1000), 1);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    CHECK_INT(cache_mem_get(m, bk, 1000, &a, &v), 0);
    CHECK(v.n == 3 && memcmp(v.p, "v\0\xff", 3) == 0 && v.p[3] == '\0');
    CHECK_INT(cache_mem_get(m, (kiln_str){"k\0y", 3}, 1000, &a, &v),
              KILN_ENOTFOUND);
    kiln_arena_deinit(&a);
    CHECK_INT(cache_mem_delete(m, S("a"), 1000), 0);
    CHECK_INT(cache_mem_delete(m, S("a"), 1000), KILN_ENOTFOUND);
    CHECK_STR(get(m, "a", 1000), "");
    CHECK_INT(cache_mem_count(m), 1);
    cache_mem_free(m);
}

TEST(mem_ttl)
{
    cache_mem *m = cache_mem_new(1 << 20, 0);
    CHECK_INT(cache_mem_set(m, S("t"), S("x"), 500, false, 1000), 1);
    CHECK_STR(get(m, "t", 1499), "x");
    CHECK_STR(get(m, "t", 1500), ""); /* expired at 1000 + 500 */
    CHECK_INT(cache_mem_count(m), 0); /* and dropped when met */
    /* add: a live entry wins, an expired one does not */
    CHECK_INT(cache_mem_set(m, S("t"), S("a"), 100, true, 2000), 1);
    CHECK_INT(cache_mem_set(m, S("t"), S("b"), 100, true, 2050), 0);
    CHECK_STR(get(m, "t", 2050), "a");
    CHECK_INT(cache_mem_set(m, S("t"), S("c"), 100, true, 2100), 1);
    CHECK_STR(get(m, "t", 2100), "c");
    /* delete of an expired entry: absent */
    CHECK_INT(cache_mem_delete(m, S("t"), 5000), KILN_ENOTFOUND);
    /* no ttl: never expires */
    CHECK_INT(cache_mem_set(m, S("p"), S("y"), 0, false, 0), 1);
    CHECK_STR(get(m, "p", INT64_C(1) << 50), "y");
    cache_mem_free(m);
}

TEST(mem_incr)
{
    cache_mem *m = cache_mem_new(1 << 20, 0);
    int64_t v = 0;
    CHECK_INT(cache_mem_incr(m, S("n"), 5, 1000, 0, &v), 0);
    CHECK_INT(v, 5);
    CHECK_INT(cache_mem_incr(m, S("n"), -7, 99999, 500, &v), 0);
    CHECK_INT(v, -2);
    CHECK_STR(get(m, "n", 500), "-2");
    /* the expiry is the first one's (1000 after 0), not the later ttl */
    CHECK_STR(get(m, "n", 1000), "");
    CHECK_INT(cache_mem_incr(m, S("n"), 1, 0, 1000, &v), 0);
    CHECK_INT(v, 1); /* counted from 0 again */
    CHECK_INT(cache_mem_incr(m, S("n"), 9, 0, 1000, &v), 0);
    CHECK_STR(get(m, "n", 1000), "10"); /* grew a digit */
    cache_mem_set(m, S("s"), S("abc"), 0, false, 0);
    CHECK_INT(cache_mem_incr(m, S("s"), 1, 0, 0, &v), KILN_EINVAL);
    CHECK_STR(get(m, "s", 0), "abc");
    cache_mem_set(m, S("big"), S("9223372036854775807"), 0, false, 0);
    CHECK_INT(cache_mem_incr(m, S("big"), 1, 0, 0, &v), KILN_EINVAL);
    CHECK_INT(cache_mem_incr(m, S("big"), -1, 0, 0, &v), 0);
    CHECK_INT(v, INT64_MAX - 1);
    cache_mem_set(m, S("min"), S("-9223372036854775808"), 0, false, 0);
    CHECK_INT(cache_mem_incr(m, S("min"), 0, 0, 0, &v), 0);
    CHECK_INT(v, INT64_MIN);
    CHECK_STR(get(m, "min", 0), "-9223372036854775808");
    cache_mem_free(m);
}

TEST(mem_bound_and_lru_order)
{
    /* one shard that holds three 10-byte entries and not four */
    int64_t cost = 2 + 8 + CACHE_MEM_OVERHEAD;
    cache_mem *m = cache_mem_new(3 * cost + cost / 2, 1);
    cache_mem_set(m, S("k1"), S("valueone"), 0, false, 0);
    cache_mem_set(m, S("k2"), S("valuetwo"), 0, false, 0);
    cache_mem_set(m, S("k3"), S("valuethr"), 0, false, 0);
    CHECK_STR(get(m, "k1", 0), "valueone"); /* k1 is now the most recent */
    cache_mem_set(m, S("k4"), S("valuefou"), 0, false, 0);
    CHECK_INT(cache_mem_count(m), 3);
    CHECK_STR(get(m, "k2", 0), ""); /* the least recently used went */
    CHECK_STR(get(m, "k1", 0), "valueone");
    CHECK_STR(get(m, "k3", 0), "valuethr");
    CHECK_STR(get(m, "k4", 0), "valuefou");
    CHECK(cache_mem_bytes(m) <= 3 * cost + cost / 2);
    /* an update counts as a use too */
    cache_mem_set(m, S("k1"), S("valueONE"), 0, false, 0);
    cache_mem_set(m, S("k5"), S("valuefiv"), 0, false, 0);
    CHECK_STR(get(m, "k3", 0), "");
    CHECK_STR(get(m, "k1", 0), "valueONE");
    /* bigger than the shard: refused, nothing else lost */
    char big[512];
    memset(big, 'x', sizeof big);
    CHECK_INT(
        cache_mem_set(m, S("huge"), (kiln_str){big, sizeof big}, 0, false, 0),
        KILN_ELIMIT);
    CHECK_INT(cache_mem_count(m), 3);
    cache_mem_free(m);
}

TEST(mem_many_entries_stay_under_the_bound)
{
    int64_t bound = 256 * 1024;
    cache_mem *m = cache_mem_new(bound, 16);
    char key[32], val[200];
    memset(val, 'v', sizeof val);
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        CHECK_INT(cache_mem_set(m, (kiln_str){key, (size_t)n},
                                (kiln_str){val, (size_t)(i % 200)}, 0, false,
                                0),
                  1);
        CHECK(cache_mem_bytes(m) <= bound);
    }
    /* the newest are there (each shard keeps its most recent), the
       oldest went */
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    for (int i = 19990; i < 20000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        CHECK_INT(cache_mem_get(m, S(key), 0, &a, &v), 0);
        CHECK_INT(v.n, i % 200);
    }
    CHECK_INT(cache_mem_get(m, S("key-5"), 0, &a, &v), KILN_ENOTFOUND);
    kiln_arena_deinit(&a);
    CHECK(cache_mem_count(m) > 1000);
    CHECK(cache_mem_bytes(m) > bound / 2); /* the bound is used, not idle */
    cache_mem_free(m);
}

/* Threads set and read keys whose value names the key. */
typedef struct hammer {
    cache_mem *m;
    int id;
    int bad;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    unsigned seed = (unsigned)h->id * 7919u + 1;
    for (int i = 0; i < 40000; i++) {
        seed = seed * 1103515245u + 12345u;
        char key[32], val[64];
        int k = (int)((seed >> 8) % 3000);
        int kn = snprintf(key, sizeof key, "k%d", k);
        int vn = snprintf(val, sizeof val, "value of k%d", k);
        kiln_str v;
        switch (seed % 5) {
        case 0:
        case 1:
            cache_mem_set(h->m, (kiln_str){key, (size_t)kn},
                          (kiln_str){val, (size_t)vn}, 50, false, i / 10);
            break;
        case 2:
            cache_mem_delete(h->m, (kiln_str){key, (size_t)kn}, i / 10);
            break;
        default:
            if (cache_mem_get(h->m, (kiln_str){key, (size_t)kn}, i / 10, &a,
                              &v) == 0 &&
                !(v.n == (size_t)vn && memcmp(v.p, val, v.n) == 0))
                h->bad++;
        }
        if (i % 1000 == 0) {
            kiln_arena_deinit(&a);
            kiln_arena_init(&a, 0);
        }
    }
    kiln_arena_deinit(&a);
    return NULL;
}

TEST(mem_threads)
{
    int64_t bound = 64 * 1024;
    cache_mem *m = cache_mem_new(bound, 4);
    pthread_t th[8];
    hammer h[8];
    for (int i = 0; i < 8; i++) {
        h[i] = (hammer){m, i, 0};
        pthread_create(&th[i], NULL, hammer_run, &h[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(h[i].bad, 0);
    }
    CHECK(cache_mem_bytes(m) <= bound);
    /* the accounting matches what is there */
    size_t n = cache_mem_count(m);
    CHECK(n > 0);
    cache_mem_free(m);
}

/* ---- single flight ------------------------------------------------------- */

static int computed;

static int slow_compute(void *arg, kiln_arena *a, kiln_str *value,
                        int64_t *ttl_ms)
{
    (void)ttl_ms;
    __atomic_add_fetch(&computed, 1, __ATOMIC_SEQ_CST);
    usleep(150 * 1000);
    *value = kiln_str_c(kiln_arena_printf(a, "made for %s", (char *)arg));
    return 0;
}

typedef struct caller {
    kiln_cache *k;
    char key[16];
    char got[64];
    int rc;
} caller;

static void *caller_run(void *arg)
{
    caller *c = arg;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    c->rc = kiln_cache_get_or_compute(c->k, kiln_str_c(c->key), 60000, &a,
                                      slow_compute, c->key, &v);
    if (c->rc == 0)
        snprintf(c->got, sizeof c->got, "%.*s", (int)v.n, v.p);
    kiln_arena_deinit(&a);
    return NULL;
}

TEST(single_flight_across_threads)
{
    char err[200];
    kiln_cache *k = kiln_cache_new(&(kiln_cache_opts){0}, err, sizeof err);
    CHECK(k);
    enum { N = 48 };
    pthread_t th[N];
    caller c[N];
    for (int i = 0; i < N; i++) {
        c[i] = (caller){.k = k};
        snprintf(c[i].key, sizeof c[i].key, "key%d", i % 3);
        pthread_create(&th[i], NULL, caller_run, &c[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    CHECK_INT(computed, 3); /* once per key */
    for (int i = 0; i < N; i++) {
        CHECK_INT(c[i].rc, 0);
        char want[64];
        snprintf(want, sizeof want, "made for key%d", i % 3);
        CHECK_STR(c[i].got, want);
    }
    /* stored: a later call reads it without computing */
    caller again = {.k = k, .key = "key1"};
    caller_run(&again);
    CHECK_STR(again.got, "made for key1");
    CHECK_INT(computed, 3);
    kiln_cache_free(k);
}

static int failing_compute(void *arg, kiln_arena *a, kiln_str *value,
                           int64_t *ttl_ms)
{
    (void)arg, (void)a, (void)value, (void)ttl_ms;
    __atomic_add_fetch(&computed, 1, __ATOMIC_SEQ_CST);
    usleep(100 * 1000);
    return KILN_EINVAL;
}

static void *failing_run(void *arg)
{
    caller *c = arg;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    c->rc = kiln_cache_get_or_compute(c->k, kiln_str_c(c->key), 0, &a,
                                      failing_compute, NULL, &v);
    kiln_arena_deinit(&a);
    return NULL;
}

TEST(single_flight_shares_an_error_and_stores_nothing)
{
    char err[200];
    kiln_cache *k = kiln_cache_new(&(kiln_cache_opts){0}, err, sizeof err);
    pthread_t th[8];
    caller c[8];
    for (int i = 0; i < 8; i++) {
        c[i] = (caller){.k = k, .key = "bad"};
        pthread_create(&th[i], NULL, failing_run, &c[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(c[i].rc, KILN_EINVAL);
    }
    CHECK_INT(computed, 1);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    CHECK_INT(kiln_cache_get(k, S("bad"), &a, &v), KILN_ENOTFOUND);
    kiln_arena_deinit(&a);
    /* the next call computes again */
    caller one = {.k = k, .key = "bad"};
    failing_run(&one);
    CHECK_INT(computed, 2);
    kiln_cache_free(k);
}

TEST(cache_api_on_memory)
{
    char err[200];
    kiln_cache *k = kiln_cache_new(
        &(kiln_cache_opts){.backend = "memory", .max_bytes = 1 << 20}, err,
        sizeof err);
    CHECK(k);
    CHECK_STR(kiln_cache_backend(k), "memory");
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_str v;
    CHECK_INT(kiln_cache_add(k, S("x"), S("1"), 0), 1);
    CHECK_INT(kiln_cache_add(k, S("x"), S("2"), 0), 0);
    CHECK_INT(kiln_cache_get(k, S("x"), &a, &v), 0);
    CHECK_VIEW(v, "1");
    int64_t n;
    CHECK_INT(kiln_cache_incr(k, S("x"), 41, 0, &n), 0);
    CHECK_INT(n, 42);
    CHECK_INT(kiln_cache_set(k, S("x"), S("abc"), 10), 0);
    CHECK_INT(kiln_cache_incr(k, S("x"), 1, 0, &n), KILN_EINVAL);
    usleep(20 * 1000);
    CHECK_INT(kiln_cache_get(k, S("x"), &a, &v), KILN_ENOTFOUND);
    CHECK_INT(kiln_cache_delete(k, S("x")), KILN_ENOTFOUND);
    kiln_arena_deinit(&a);
    kiln_cache_free(k);
    /* bad settings say which */
    CHECK(!kiln_cache_new(&(kiln_cache_opts){.backend = "memcached"}, err,
                          sizeof err));
    CHECK(strstr(err, "cache.backend 'memcached'"));
    CHECK(!kiln_cache_new(&(kiln_cache_opts){.backend = "redis"}, err,
                          sizeof err));
    CHECK(strstr(err, "redis.url is empty"));
    CHECK(!kiln_cache_new(
        &(kiln_cache_opts){.backend = "redis", .redis_url = "redis://"}, err,
        sizeof err));
    CHECK(strstr(err, "no host"));
}

/* ---- stored responses ---------------------------------------------------- */

TEST(entry_round_trip)
{
    cache_entry e = {.status = 200,
                     .stored_ms = INT64_C(1700000000123),
                     .ttl_s = 60,
                     .ctype = S("text/html; charset=utf-8"),
                     .headers = S("X-A: 1\r\nLink: </x>; rel=next\r\n"),
                     .body = {"<p>\0</p>", 8}};
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(cache_entry_encode(&e, &b), 0);
    cache_entry d;
    CHECK_INT(cache_entry_decode((kiln_str){b.p, b.n}, &d), 0);
    CHECK(!d.vary_note);
    CHECK_INT(d.status, 200);
    CHECK_INT(d.stored_ms, INT64_C(1700000000123));
    CHECK_INT(d.ttl_s, 60);
    CHECK_VIEW(d.ctype, "text/html; charset=utf-8");
    CHECK_VIEW(d.headers, "X-A: 1\r\nLink: </x>; rel=next\r\n");
    CHECK(d.body.n == 8 && memcmp(d.body.p, "<p>\0</p>", 8) == 0);
    /* every truncation is malformed, never a shorter entry */
    for (size_t n = 0; n < b.n; n++)
        CHECK_INT(cache_entry_decode((kiln_str){b.p, n}, &d), KILN_EPARSE);
    /* and so is a byte too many */
    kiln_buf_putc(&b, 'x');
    CHECK_INT(cache_entry_decode((kiln_str){b.p, b.n}, &d), KILN_EPARSE);
    /* no Content-Type, no headers, no body */
    kiln_buf_clear(&b);
    cache_entry bare = {.status = 200, .ttl_s = 1};
    CHECK_INT(cache_entry_encode(&bare, &b), 0);
    CHECK_INT(cache_entry_decode((kiln_str){b.p, b.n}, &d), 0);
    CHECK(d.ctype.p == NULL && d.headers.n == 0 && d.body.n == 0);
    /* a vary note */
    kiln_buf_clear(&b);
    cache_entry note = {.vary_note = true, .ttl_s = 5, .vary = S("X-A, X-B")};
    CHECK_INT(cache_entry_encode(&note, &b), 0);
    CHECK_INT(cache_entry_decode((kiln_str){b.p, b.n}, &d), 0);
    CHECK(d.vary_note);
    CHECK_VIEW(d.vary, "X-A, X-B");
    kiln_buf_deinit(&b);
}

/* Encodes e, then checks that decoding refuses it. */
static int decode_of(const cache_entry *e)
{
    kiln_buf b;
    kiln_buf_init(&b);
    cache_entry_encode(e, &b);
    cache_entry d;
    int rc = cache_entry_decode((kiln_str){b.p, b.n}, &d);
    kiln_buf_deinit(&b);
    return rc;
}

TEST(entry_refuses_what_would_inject)
{
    cache_entry e = {.status = 200, .ttl_s = 10};
    e.headers = S("X-A: 1\r\nX-B: 2\r\nSet-Cookie: a=1\r\n");
    CHECK_INT(decode_of(&e), 0); /* well formed (route.c refuses cookies) */
    const char *bad[] = {"X-A: 1\r\nX-B 2\r\n",
                         "X-A: 1\n",
                         "X-A: 1\r\n\r\nHTTP/1.1 200 OK\r\n",
                         "X-A: a\rb\r\n",
                         "X A: 1\r\n",
                         ": 1\r\n",
                         "X-A: 1",
                         "X-A:1\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.headers = S(bad[i]);
        if (decode_of(&e) != KILN_EPARSE)
            test_fail(__FILE__, __LINE__, "accepted headers %s", bad[i]);
    }
    e.headers = S("");
    e.ctype = S("text/plain\r\nX-Evil: 1");
    CHECK_INT(decode_of(&e), KILN_EPARSE);
    e.ctype = KILN_STR_NULL;
    e.status = 404;
    CHECK_INT(decode_of(&e), KILN_EPARSE);
    e.status = 200;
    e.ttl_s = 0;
    CHECK_INT(decode_of(&e), KILN_EPARSE);
    cache_entry note = {.vary_note = true, .ttl_s = 5, .vary = S("X-A\r\n")};
    CHECK_INT(decode_of(&note), KILN_EPARSE);
    CHECK_INT(cache_entry_decode(S("KC2R"), &e), KILN_EPARSE);
}

/* ---- the rate limiter ---------------------------------------------------- */

TEST(rate_specs)
{
    kiln_rate r;
    char err[200];
    CHECK_INT(kiln_rate_parse("10/s", &r, err, sizeof err), 0);
    CHECK(r.per_sec == 10 && r.burst == 10);
    CHECK_INT(kiln_rate_parse(" 10 / s burst 20 ", &r, err, sizeof err), 0);
    CHECK(r.per_sec == 10 && r.burst == 20);
    CHECK_INT(kiln_rate_parse("100/min", &r, err, sizeof err), 0);
    CHECK(r.per_sec * 60 > 99.999 && r.per_sec * 60 < 100.001);
    CHECK_INT(kiln_rate_parse("5/10s burst 1", &r, err, sizeof err), 0);
    CHECK(r.per_sec == 0.5 && r.burst == 1);
    CHECK_INT(kiln_rate_parse("1000/hour", &r, err, sizeof err), 0);
    CHECK_INT(kiln_rate_parse("3/day", &r, err, sizeof err), 0);
    CHECK(r.burst == 3);
    const char *bad[] = {"",
                         "10",
                         "10/",
                         "0/s",
                         "-1/s",
                         "10/fortnight",
                         "10/s burst",
                         "10/s burst 0",
                         "10/s 20",
                         "1e3/s",
                         "10/0s",
                         "9999999999/s",
                         "10/sburst 2x",
                         "10 /s burst 2 x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kiln_rate_parse(bad[i], &r, err, sizeof err) != KILN_EINVAL)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    kiln_rate_parse("10/fortnight", &r, err, sizeof err);
    CHECK(strstr(err, "the unit is s, min, h or day"));
}

TEST(rate_bucket)
{
    kiln_rate r = {.per_sec = 2, .burst = 3}; /* a token every 500 ms */
    rate_bucket b;
    kiln_rate_result res;
    int64_t ttl = rate_bucket_take(&b, true, &r, 1, 10000, &res);
    CHECK(res.allowed);
    CHECK_INT(res.limit, 3);
    CHECK_INT(res.remaining, 2);
    CHECK_INT(res.reset_s, 1); /* 500 ms to full: rounds up */
    CHECK_INT(res.window_s, 2);
    CHECK_INT(ttl, 500);
    rate_bucket_take(&b, false, &r, 1, 10000, &res);
    rate_bucket_take(&b, false, &r, 1, 10000, &res);
    CHECK(res.allowed);
    CHECK_INT(res.remaining, 0);
    CHECK_INT(res.reset_s, 2); /* 1.5 s to full */
    ttl = rate_bucket_take(&b, false, &r, 1, 10100, &res);
    CHECK(!res.allowed);
    CHECK_INT(res.remaining, 0);
    CHECK_INT(res.retry_after_s, 1); /* 400 ms more for a token */
    CHECK_INT(res.reset_s, res.retry_after_s);
    CHECK_INT(ttl, 1400); /* 2.8 tokens at 0.002 a ms */
    /* refill: 500 ms bring one token */
    rate_bucket_take(&b, false, &r, 1, 10500, &res);
    CHECK(res.allowed);
    CHECK_INT(res.remaining, 0);
    /* a long pause fills the bucket, never past the burst */
    rate_bucket_take(&b, false, &r, 0, 99999, &res);
    CHECK(res.allowed);
    CHECK_INT(res.remaining, 3);
    CHECK_INT(res.reset_s, 0);
    /* a check (cost 0) takes nothing */
    rate_bucket_take(&b, false, &r, 0, 99999, &res);
    CHECK_INT(res.remaining, 3);
    /* a cost above what is there waits for it */
    rate_bucket_take(&b, false, &r, 3, 99999, &res);
    CHECK(res.allowed);
    rate_bucket_take(&b, false, &r, 2, 100499, &res);
    CHECK(!res.allowed);
    CHECK_INT(res.retry_after_s, 1); /* 1 token: 1 more in 500 ms */
    rate_bucket_take(&b, false, &r, 2, 100998, &res);
    CHECK(!res.allowed); /* 1.998 tokens */
    CHECK_INT(res.remaining, 1);
    CHECK_INT(res.retry_after_s, 1);
    rate_bucket_take(&b, false, &r, 2, 101000, &res);
    CHECK(res.allowed);
    /* slow limits: minutes */
    kiln_rate slow = {.per_sec = 1.0 / 60, .burst = 1};
    rate_bucket_take(&b, true, &slow, 1, 0, &res);
    rate_bucket_take(&b, false, &slow, 1, 1000, &res);
    CHECK(!res.allowed);
    CHECK_INT(res.retry_after_s, 59);
    CHECK_INT(res.window_s, 60);
}

TEST(rate_take_in_memory)
{
    char err[200];
    kiln_cache *k = kiln_cache_new(&(kiln_cache_opts){0}, err, sizeof err);
    kiln_rate r = {.per_sec = 0.001, .burst = 2};
    kiln_rate_result res;
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 0, &res), 0);
    CHECK(res.allowed);
    CHECK_INT(res.remaining, 2);
    for (int i = 0; i < 2; i++) {
        CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 1, &res), 0);
        CHECK(res.allowed);
        CHECK_INT(res.remaining, 1 - i);
    }
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 1, &res), 0);
    CHECK(!res.allowed);
    CHECK(res.retry_after_s >= 999);
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 0, &res), 0);
    CHECK(!res.allowed); /* a check sees the empty bucket */
    /* a reset forgets it (full again), then it empties as before */
    CHECK_INT(kiln_rate_reset(k, "login", S("ip:1.2.3.4")), 0);
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 1, &res), 0);
    CHECK(res.allowed);
    CHECK_INT(res.remaining, 1);
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 1, &res), 0);
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:1.2.3.4"), 1, &res), 0);
    CHECK(!res.allowed);
    CHECK_INT(kiln_rate_reset(k, "login", S("ip:never-seen")), 0);
    /* another key, another name: their own buckets */
    CHECK_INT(kiln_rate_take(k, "login", &r, S("ip:5.6.7.8"), 1, &res), 0);
    CHECK(res.allowed);
    CHECK_INT(kiln_rate_take(k, "search", &r, S("ip:1.2.3.4"), 1, &res), 0);
    CHECK(res.allowed);
    /* long keys are hashed: two long keys that differ late differ */
    char l1[200], l2[200];
    memset(l1, 'a', sizeof l1);
    memcpy(l2, l1, sizeof l2);
    l2[199] = 'b';
    kiln_rate one = {.per_sec = 0.001, .burst = 1};
    kiln_rate_take(k, "x", &one, (kiln_str){l1, 200}, 1, &res);
    CHECK(res.allowed);
    kiln_rate_take(k, "x", &one, (kiln_str){l2, 200}, 1, &res);
    CHECK(res.allowed);
    kiln_rate_take(k, "x", &one, (kiln_str){l1, 200}, 1, &res);
    CHECK(!res.allowed);
    kiln_cache_free(k);
    /* defined names */
    CHECK_INT(kiln_rate_define("api", "10/s burst 5"), 0);
    CHECK_INT(kiln_rate_define("api", "nonsense"), KILN_EINVAL);
    CHECK(kiln_rate_by_ok("ip") && kiln_rate_by_ok("header:X-Real-IP") &&
          kiln_rate_by_ok("cookie:sid") && kiln_rate_by_ok(NULL) &&
          kiln_rate_by_ok("token") && kiln_rate_by_ok("user"));
    CHECK(!kiln_rate_by_ok("header:") && !kiln_rate_by_ok("address"));
}

TEST(cache_rules)
{
    char err[200];
    kiln_cache_rule r = {.ttl = 60, .vary = "Accept-Language, Accept"};
    CHECK_INT(kiln_cache_rule_check(&r, err, sizeof err), 0);
    r.ttl = 0;
    CHECK_INT(kiln_cache_rule_check(&r, err, sizeof err), KILN_EINVAL);
    r.ttl = 5;
    r.vary = "Accept-Language, X(Y)";
    CHECK_INT(kiln_cache_rule_check(&r, err, sizeof err), KILN_EINVAL);
    CHECK(strstr(err, "'X(Y)' is not a header name"));
    r.vary = "*";
    CHECK_INT(kiln_cache_rule_check(&r, err, sizeof err), KILN_EINVAL);
}
