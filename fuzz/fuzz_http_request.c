/*
 * fuzz/fuzz_http_request.c - the request-head parser on arbitrary bytes.
 * Checks: no crash, a success stays inside the input, every view points
 * into it, and every prefix of an accepted head is "incomplete" or the same
 * error class (never a different success).
 */
#include "http/parse.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void inside(kiln_str s, const char *p, size_t n)
{
    if (s.n == 0)
        return;
    assert(s.p >= p && s.p + s.n <= p + n);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static http_request r;
    http_limits lim;
    http_limits_default(&lim);
    lim.max_target = 256;
    lim.max_header_bytes = 1024;
    lim.max_headers = 16;
    /* a private copy, so reads past the end are caught by ASan */
    char *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    int rc = http_parse_request(p, size, &lim, &r);
    if (rc > 0) {
        assert((size_t)rc <= size && r.head_len == (size_t)rc);
        inside(r.method, p, size);
        inside(r.target, p, size);
        inside(r.query, p, size);
        assert(r.nheaders <= lim.max_headers);
        for (unsigned i = 0; i < r.nheaders; i++) {
            inside(r.headers[i].name, p, size);
            inside(r.headers[i].value, p, size);
            assert(r.headers[i].name.n > 0);
        }
        assert(r.minor == 0 || r.minor == 1);
        if (r.body == HTTP_BODY_LENGTH)
            assert(r.content_length <= lim.max_body);
        /* the head alone parses the same */
        int again = http_parse_request(p, (size_t)rc, &lim, &r);
        assert(again == rc);
        /* a prefix is never a success */
        if (rc > 1) {
            int pre = http_parse_request(p, (size_t)rc - 1, &lim, &r);
            assert(pre <= 0);
        }
    } else {
        assert(rc == 0 || rc == -400 || rc == -413 || rc == -414 ||
               rc == -417 || rc == -431 || rc == -501 || rc == -505);
    }
    free(p);
    return 0;
}
