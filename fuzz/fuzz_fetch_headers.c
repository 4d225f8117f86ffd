/*
 * fuzz/fuzz_fetch_headers.c - libFuzzer target for the response header
 * parser of the outgoing HTTP client (src/fetch/fetch.c) and its header
 * lookup.
 *
 * The input is the raw header block of a response. Checks: every header
 * has a non-empty name without a colon, CR or LF; names and values are
 * NUL-terminated at their length and hold no surrounding blanks; there are
 * no more headers than lines; a lookup of each name finds a value. A
 * failed check aborts.
 */
#include "fetch/fetch_impl.h"

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
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_fetch_header *h;
    size_t n;
    const char *p = (const char *)data;
    if (fetch_parse_headers(&a, p, size, &h, &n) == 0) {
        size_t lines = 0;
        for (size_t i = 0; i < size; i++)
            lines += p[i] == '\n';
        FUZZ_CHECK(n <= lines + 1);
        FUZZ_CHECK((n == 0) == (h == NULL));
        kiln_fetch_resp r = {.headers = h, .nheaders = n};
        for (size_t i = 0; i < n; i++) {
            kiln_str nm = h[i].name, v = h[i].value;
            FUZZ_CHECK(nm.n > 0 && nm.p[nm.n] == '\0' && v.p[v.n] == '\0');
            FUZZ_CHECK(!memchr(nm.p, ':', nm.n) && !memchr(nm.p, '\n', nm.n));
            FUZZ_CHECK(!memchr(v.p, '\n', v.n));
            FUZZ_CHECK(v.n == 0 || (v.p[0] != ' ' && v.p[v.n - 1] != ' '));
            FUZZ_CHECK(kiln_fetch_header_get(&r, nm.p).p != NULL ||
                       memchr(nm.p, '\0', nm.n));
        }
    }
    kiln_arena_deinit(&a);
    return 0;
}
