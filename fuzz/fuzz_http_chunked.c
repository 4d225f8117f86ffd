/*
 * fuzz/fuzz_http_chunked.c - the chunked decoder. The input (after its first
 * byte, which picks a split point) is decoded three ways: whole, in two
 * pieces split at the chosen point, and one byte at a time. All three must
 * give the same result, the same number of bytes used, the same body and the
 * same trailers; a complete body's trailers must parse with
 * http_parse_fields, and the limits must hold.
 */
#include "http/parse.h"

#include <assert.h>
#include <string.h>

static http_limits lim;

/* Feeds p[0..n) in pieces of at most step bytes, the first piece `first`
 * bytes long. Returns the status; *used_out is the bytes used. */
static int run(const char *p, size_t n, size_t first, size_t step,
               kiln_buf *body, kiln_buf *tr, size_t *used_out)
{
    http_chunked c;
    http_chunked_init(&c);
    size_t off = 0;
    int rc = 0;
    while (off < n) {
        size_t k = off == 0 ? first : step;
        if (k > n - off)
            k = n - off;
        size_t used = 0;
        rc = http_chunked_feed(&c, &lim, p + off, k, &used, body, tr);
        assert(used <= k);
        if (rc != 0) {
            off += used;
            break;
        }
        assert(used == k);
        off += k;
    }
    *used_out = off;
    return rc;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    http_limits_default(&lim);
    lim.max_body = 1 << 16;
    lim.max_header_bytes = 256;
    lim.max_headers = 8;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    size_t split = n ? data[0] % (n + 1) : 0;
    kiln_buf b[3], t[3];
    size_t used[3];
    int rc[3];
    for (int i = 0; i < 3; i++) {
        kiln_buf_init(&b[i]);
        kiln_buf_init(&t[i]);
    }
    rc[0] = run(p, n, n, n, &b[0], &t[0], &used[0]);
    rc[1] = run(p, n, split ? split : 1, n, &b[1], &t[1], &used[1]);
    rc[2] = run(p, n, 1, 1, &b[2], &t[2], &used[2]);
    assert(rc[0] == 0 || rc[0] == 1 || rc[0] == -400 || rc[0] == -413 ||
           rc[0] == -431);
    for (int i = 1; i < 3; i++) {
        assert(rc[i] == rc[0]);
        if (rc[0] >= 0) {
            assert(used[i] == used[0]);
            assert(b[i].n == b[0].n &&
                   (b[0].n == 0 || memcmp(b[i].p, b[0].p, b[0].n) == 0));
            assert(t[i].n == t[0].n &&
                   (t[0].n == 0 || memcmp(t[i].p, t[0].p, t[0].n) == 0));
        }
    }
    assert(b[0].n <= lim.max_body && b[0].n <= n);
    assert(t[0].n <= lim.max_header_bytes);
    if (rc[0] == 1) {
        http_header h[HTTP_MAX_HEADERS];
        int k = http_parse_fields(t[0].p, t[0].n, h, HTTP_MAX_HEADERS);
        assert(k >= 0 && (unsigned)k <= lim.max_headers);
    }
    for (int i = 0; i < 3; i++) {
        kiln_buf_deinit(&b[i]);
        kiln_buf_deinit(&t[i]);
    }
    return 0;
}
