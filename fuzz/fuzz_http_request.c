/*
 * fuzz/fuzz_http_request.c - the request-head parser on arbitrary bytes,
 * with the default limits and again with small ones (so the 414/431 paths
 * are reached by inputs of fuzzer size). Checks: no crash and no read past
 * the input (a private, exact-size copy); a result is 0, a known negated
 * status or a head length <= the input; on success every view lies inside
 * the input and the struct is consistent; parsing is deterministic; and the
 * split property: a prefix of the input (at a fuzzer-chosen point, and one
 * byte short) gives 0 or the same result, never a different one.
 */
#include "http/parse.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Asserts that view s lies inside p[0..n). */
static void inside(kiln_str s, const char *p, size_t n)
{
    assert(s.n == 0 || (s.p >= p && s.p + s.n <= p + n));
    if (s.n == 0)
        assert(s.p == NULL || (s.p >= p && s.p <= p + n));
}

/* Parses a private copy of data[0..n); the copy is exactly n bytes. */
static int parse_copy(const unsigned char *data, size_t n,
                      const http_limits *lim, http_request *r)
{
    char *p = malloc(n ? n : 1);
    assert(p);
    if (n)
        memcpy(p, data, n);
    int rc = http_parse_request(p, n, lim, r);
    free(p);
    return rc;
}

/* The checks for one set of limits. */
static void check(const unsigned char *data, size_t size,
                  const http_limits *lim)
{
    static http_request r, r2;
    char *p = malloc(size ? size : 1);
    assert(p);
    if (size)
        memcpy(p, data, size);
    int rc = http_parse_request(p, size, lim, &r);
    assert(rc == 0 || rc == -400 || rc == -413 || rc == -414 || rc == -417 ||
           rc == -431 || rc == -501 || rc == -505 || rc > 0);
    if (rc > 0) {
        assert((size_t)rc <= size && r.head_len == (size_t)rc);
        assert(rc >= 4 && memcmp(p + rc - 4, "\r\n\r\n", 4) == 0);
        inside(r.method, p, (size_t)rc);
        inside(r.target, p, (size_t)rc);
        inside(r.query, p, (size_t)rc);
        inside(r.host, p, (size_t)rc);
        assert(r.method.n > 0 && r.target.n > 0);
        assert(r.target.n <= lim->max_target);
        if (r.path.n != 1)
            inside(r.path, p, (size_t)rc); /* "/" may be a static string */
        else
            assert(r.path.p[0] == '/' || r.path.p[0] == '*');
        assert(r.has_query || r.query.n == 0);
        assert(r.nheaders <= lim->max_headers &&
               r.nheaders <= HTTP_MAX_HEADERS);
        for (unsigned i = 0; i < r.nheaders; i++) {
            http_header h = r.headers[i];
            inside(h.name, p, (size_t)rc);
            inside(h.value, p, (size_t)rc);
            assert(h.name.n > 0);
            assert(!memchr(h.name.p, ':', h.name.n));
            assert(!memchr(h.value.p, '\r', h.value.n) &&
                   !memchr(h.value.p, '\n', h.value.n));
            if (h.value.n)
                assert(h.value.p[0] != ' ' && h.value.p[0] != '\t' &&
                       h.value.p[h.value.n - 1] != ' ' &&
                       h.value.p[h.value.n - 1] != '\t');
        }
        assert(r.minor == 0 || r.minor == 1);
        if (r.body == HTTP_BODY_LENGTH)
            assert(r.content_length > 0 && r.content_length <= lim->max_body);
        if (r.body == HTTP_BODY_CHUNKED)
            assert(r.minor == 1);
        if (r.minor == 1)
            assert(r.host.n > 0);
        /* the head alone parses the same */
        assert(parse_copy(data, (size_t)rc, lim, &r2) == rc);
    }
    /* deterministic */
    assert(http_parse_request(p, size, lim, &r2) == rc);
    /* prefixes: 0, or the same result; never another */
    if (size > 0) {
        size_t cuts[2] = {size - 1, data[0] % size};
        for (int k = 0; k < 2; k++) {
            int pre = parse_copy(data, cuts[k], lim, &r2);
            if (rc > 0 && cuts[k] < (size_t)rc)
                assert(pre == 0);
            else
                assert(pre == 0 || pre == rc);
        }
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    http_limits lim;
    http_limits_default(&lim);
    check(data, size, &lim);
    lim.max_target = 32;
    lim.max_header_bytes = 128;
    lim.max_headers = 4;
    lim.max_body = 1000;
    check(data, size, &lim);
    return 0;
}
