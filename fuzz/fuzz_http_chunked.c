/*
 * fuzz/fuzz_http_chunked.c - the chunked decoder: fed whole and fed in two
 * pieces split at a point taken from the input, it must give the same
 * result, the same body and the same trailers.
 */
#include "http/parse.h"

#include <assert.h>
#include <string.h>

static int run(const char *p, size_t n, size_t split, kiln_buf *body,
               kiln_buf *tr, size_t *used_out)
{
    http_limits lim;
    http_limits_default(&lim);
    lim.max_body = 1 << 16;
    lim.max_header_bytes = 512;
    lim.max_headers = 8;
    http_chunked c;
    http_chunked_init(&c);
    size_t used = 0, off = 0;
    int rc = 0;
    size_t cuts[2] = {split, n};
    for (int k = 0; k < 2 && off < n; k++) {
        size_t end = cuts[k] < off ? off : cuts[k];
        if (end > n)
            end = n;
        rc = http_chunked_feed(&c, &lim, p + off, end - off, &used, body, tr);
        if (rc != 0) {
            off += rc > 0 ? used : 0;
            break;
        }
        assert(used == end - off);
        off = end;
    }
    *used_out = off;
    return rc;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0] % (size);
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    kiln_buf b1, t1, b2, t2;
    kiln_buf_init(&b1);
    kiln_buf_init(&t1);
    kiln_buf_init(&b2);
    kiln_buf_init(&t2);
    size_t u1, u2;
    int r1 = run(p, n, n, &b1, &t1, &u1);
    int r2 = run(p, n, split, &b2, &t2, &u2);
    assert(r1 == r2);
    if (r1 == 1) {
        assert(u1 == u2);
        assert(b1.n == b2.n && (b1.n == 0 || memcmp(b1.p, b2.p, b1.n) == 0));
        assert(t1.n == t2.n && (t1.n == 0 || memcmp(t1.p, t2.p, t1.n) == 0));
    }
    kiln_buf_deinit(&b1);
    kiln_buf_deinit(&t1);
    kiln_buf_deinit(&b2);
    kiln_buf_deinit(&t2);
    return 0;
}
