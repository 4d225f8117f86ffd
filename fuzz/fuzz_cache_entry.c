/*
 * fuzz/fuzz_cache_entry.c - libFuzzer target for the stored form of cached
 * responses (src/cache/entry.c): bytes another process may have written to
 * Redis, whose headers go straight into a response.
 *
 * A decode either fails with KILN_EPARSE or gives an entry whose views lie
 * inside the input, whose header lines are "token: value" CRLF with no
 * control character in a value, whose Content-Type has none either, and
 * which encodes back to exactly the input. A failed check aborts.
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

static void check_inside(kiln_str v, const uint8_t *data, size_t size)
{
    if (!v.p)
        return;
    FUZZ_CHECK((const uint8_t *)v.p >= data &&
               (const uint8_t *)v.p + v.n <= data + size);
}

static void check_text(kiln_str v, bool lines)
{
    for (size_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if (lines && ch == '\r') {
            FUZZ_CHECK(i + 1 < v.n && v.p[i + 1] == '\n');
            i++;
            continue;
        }
        FUZZ_CHECK(ch >= 0x20 || ch == '\t');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cache_entry e;
    int rc = cache_entry_decode((kiln_str){(const char *)data, size}, &e);
    if (rc != 0) {
        FUZZ_CHECK(rc == KILN_EPARSE);
        return 0;
    }
    check_inside(e.ctype, data, size);
    check_inside(e.headers, data, size);
    check_inside(e.vary, data, size);
    check_inside(e.body, data, size);
    check_text(e.ctype, false);
    check_text(e.headers, true);
    check_text(e.vary, false);
    FUZZ_CHECK(e.ttl_s > 0);
    FUZZ_CHECK(e.vary_note || e.status == 200);
    kiln_buf b;
    kiln_buf_init(&b);
    FUZZ_CHECK(cache_entry_encode(&e, &b) == 0);
    FUZZ_CHECK(b.n == size && memcmp(b.p, data, size) == 0);
    kiln_buf_deinit(&b);
    return 0;
}
