/*
 * fuzz/fuzz_route_url.c - paths built from route names' patterns
 * (kiln_url_build). The input is parameter values separated by NUL bytes
 * for the pattern "/p/{a}/x/{...b}". An accepted build writes only
 * unreserved characters, '/' and %XX escapes, "/p/", the encoded a, "/x/"
 * and the encoded b, with no '/' in a's part; decoding it gives a and b
 * back; its length is what a second build into a buffer too small says.
 * A refused build had a missing, extra, empty or dot-segment value.
 */
#include <kiln.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes p[0..n) in place; returns the decoded length. */
static size_t decode(char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%') {
            assert(i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0);
            p[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        } else {
            p[o++] = p[i];
        }
    }
    return o;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *in = (const char *)data;
    kiln_str keys[4] = {KILN_STR("a"), KILN_STR("b"), KILN_STR("a"),
                        KILN_STR("c")};
    kiln_str vals[4];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < 4; i++)
        if (i == size || data[i] == 0) {
            vals[n++] = (kiln_str){in + start, i - start};
            start = i + 1;
        }
    size_t cap = 3 * size + 16, len = 0;
    char *out = malloc(cap);
    assert(out);
    const char *pattern = "/p/{a}/x/{...b}";
    int rc = kiln_url_build(pattern, keys, vals, n, out, cap, &len, NULL, 0);
    if (rc != 0) {
        assert(rc == KILN_EINVAL);
        free(out);
        return 0;
    }
    assert(n == 2 && vals[0].n > 0);
    assert(len < cap && out[len] == 0);
    for (size_t i = 0; i < len; i++) {
        char ch = out[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                  ch == '_' || ch == '~' || ch == '/' || ch == '%';
        assert(ok);
        if (ch == '%')
            assert(i + 2 < len && hexval(out[i + 1]) >= 0 &&
                   hexval(out[i + 2]) >= 0);
    }
    assert(strncmp(out, "/p/", 3) == 0);
    char *x = strstr(out + 3, "/x/");
    assert(x);
    /* a's part holds no raw '/', so the first "/x/" ends it */
    size_t an = (size_t)(x - (out + 3));
    assert(!memchr(out + 3, '/', an));
    assert(decode(out + 3, an) == vals[0].n &&
           memcmp(out + 3, vals[0].p, vals[0].n) == 0);
    size_t bn = len - (size_t)(x + 3 - out);
    assert(decode(x + 3, bn) == vals[1].n &&
           memcmp(x + 3, vals[1].p, vals[1].n) == 0);
    /* snprintf's count: a buffer too small gives the same length */
    size_t len2 = 0;
    char tiny[4];
    assert(kiln_url_build(pattern, keys, vals, n, tiny, sizeof tiny, &len2,
                          NULL, 0) == 0 &&
           len2 == len && tiny[3] == 0);
    free(out);
    return 0;
}
