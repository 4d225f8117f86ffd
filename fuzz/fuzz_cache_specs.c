/*
 * fuzz/fuzz_cache_specs.c - libFuzzer target for the small parsers of the
 * cache layer's settings and declarations: Redis URLs
 * (src/redis/url.c), rate limits "10/s burst 20" (src/cache/rate.c) and
 * cache rules' vary lists (src/cache/route.c). The first byte picks one;
 * the rest is the text.
 *
 * Each either fails with KILN_EINVAL and a one-line message, or gives a
 * value within its ranges. A failed check aborts.
 */
#include "cache/cache_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0'; /* the parsers take C strings */
    char err[256] = "";
    int rc;
    switch (data[0] % 3) {
    case 0: {
        redis_url u;
        rc = redis_url_parse(text, &u, err, sizeof err);
        if (rc == 0) {
            FUZZ_CHECK(u.db >= 0);
            if (u.unix_socket)
                FUZZ_CHECK(u.path[0] == '/');
            else
                FUZZ_CHECK(u.host[0] && u.port >= 1 && u.port <= 65535);
            FUZZ_CHECK(!u.user[0] || u.password[0]);
        }
        break;
    }
    case 1: {
        kiln_rate r;
        rc = kiln_rate_parse(text, &r, err, sizeof err);
        if (rc == 0)
            FUZZ_CHECK(r.per_sec > 0 && r.burst >= 1 && r.burst <= 1e9);
        break;
    }
    default: {
        kiln_cache_rule rule = {.ttl = 1, .vary = text};
        rc = kiln_cache_rule_check(&rule, err, sizeof err);
        break;
    }
    }
    FUZZ_CHECK(rc == 0 || rc == KILN_EINVAL);
    if (rc)
        FUZZ_CHECK(err[0] && !strchr(err, '\n'));
    free(text);
    return 0;
}
