/*
 * fuzz/fuzz_url.c - percent-decoding and path normalisation. An accepted
 * path starts with '/', holds no "//", no "." or ".." segment (so no "/./",
 * no "/../", no trailing "/." or "/.."), no control byte, is no longer than
 * the input and NUL-terminated, and normalising it again changes nothing
 * (when it holds no '%' that would decode again). Query decoding never
 * grows its input, and query parsing gives pieces no longer than the input.
 */
#include "http/url.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The path checks. */
static void check_path(const char *in, size_t size)
{
    char *out = malloc(size + 1);
    assert(out);
    size_t n = 0;
    int rc = http_path_normalize(in, size, out, &n);
    assert(rc == 0 || rc == -400);
    if (rc == 0) {
        assert(n >= 1 && n <= size && out[0] == '/' && out[n] == '\0');
        for (size_t i = 0; i < n; i++) {
            assert((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
            if (out[i] != '/')
                continue;
            assert(i + 1 == n || out[i + 1] != '/');
            /* the segment after this '/' is not "." nor ".." */
            size_t e = i + 1;
            while (e < n && out[e] != '/')
                e++;
            size_t len = e - i - 1;
            assert(!(len == 1 && out[i + 1] == '.'));
            assert(!(len == 2 && out[i + 1] == '.' && out[i + 2] == '.'));
        }
        assert(!strstr(out, "/../") && !strstr(out, "/./"));
        if (!memchr(out, '%', n)) {
            char *again = malloc(n + 1);
            assert(again);
            size_t m = 0;
            assert(http_path_normalize(out, n, again, &m) == 0);
            assert(m == n && memcmp(again, out, n) == 0);
            free(again);
        }
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    assert(in);
    if (size)
        memcpy(in, data, size);
    check_path(in, size);
    /* the same bytes as a path, whatever the first byte was */
    if (size > 0 && in[0] != '/') {
        in[0] = '/';
        check_path(in, size);
        memcpy(in, data, size);
    }
    char *q = malloc(size + 1);
    assert(q);
    long qn = http_query_decode(in, size, q);
    assert(qn == -400 || (qn >= 0 && (size_t)qn <= size && q[qn] == '\0'));
    kiln_arena a;
    kiln_arena_init(&a, 0);
    http_kv *kv;
    long k = http_query_parse(&a, (kiln_str){in, size}, &kv);
    assert(k == -400 || k == KILN_ENOMEM || k >= 0);
    for (long i = 0; i < k; i++) {
        assert(kv[i].name.n + kv[i].value.n <= size);
        assert(kv[i].name.p[kv[i].name.n] == '\0');
        assert(kv[i].value.p[kv[i].value.n] == '\0');
    }
    kiln_arena_deinit(&a);
    free(q);
    free(in);
    return 0;
}
