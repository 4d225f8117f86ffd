/*
 * fuzz/fuzz_url.c - percent-decoding and path normalisation. An accepted
 * path starts with '/', holds no "//", no "/./" and no "/../" segment, no
 * control byte, is no longer than the input, and normalising it again
 * changes nothing (once its '%' are re-escaped).
 */
#include "http/url.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *in = malloc(size + 1);
    char *out = malloc(size + 1);
    memcpy(in, data, size);
    size_t n = 0;
    if (http_path_normalize(in, size, out, &n) == 0) {
        assert(n >= 1 && n <= size && out[0] == '/' && out[n] == '\0');
        for (size_t i = 0; i < n; i++) {
            assert((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
            if (out[i] == '/' && i + 1 < n) {
                assert(out[i + 1] != '/');
                if (out[i + 1] == '.') {
                    size_t k = i + 2;
                    if (k < n && out[k] == '.')
                        k++;
                    assert(k < n && out[k] != '/');
                }
            }
        }
        if (!memchr(out, '%', n)) {
            char *again = malloc(n + 1);
            size_t m = 0;
            assert(http_path_normalize(out, n, again, &m) == 0);
            /* a trailing "/." or "/.." was resolved the first time */
            assert(m == n && memcmp(again, out, n) == 0);
            free(again);
        }
    }
    char *q = malloc(size + 1);
    long qn = http_query_decode(in, size, q);
    assert(qn == -400 || (qn >= 0 && (size_t)qn <= size && q[qn] == '\0'));
    kiln_arena a;
    kiln_arena_init(&a, 0);
    http_kv *kv;
    long k = http_query_parse(&a, (kiln_str){in, size}, &kv);
    assert(k >= -400);
    kiln_arena_deinit(&a);
    free(q);
    free(in);
    free(out);
    return 0;
}
