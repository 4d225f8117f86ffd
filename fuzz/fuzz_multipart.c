/*
 * fuzz/fuzz_multipart.c - the multipart/form-data parser, and through it
 * the header-parameter functions of http/media.c (the Content-Type's
 * boundary, Content-Disposition with filename and filename*).
 *
 * Input: byte 0 picks a split point and a step; then, up to the first LF,
 * the Content-Type value (the whole input is the body, with a fixed
 * boundary, when there is no LF). The body is parsed three ways: whole, in
 * pieces (first piece at the split point, then `step` bytes at a time),
 * and one byte at a time. All three must give the same transcript: parts
 * with their name, filename and type, each part's data joined, the end or
 * the error. Every view must lie in the input or the parser, names must be
 * NUL-terminated, filenames must have no folder part, and data can never
 * exceed the body.
 */
#include "http/multipart.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static http_multipart mp;

static void put(kiln_buf *t, const char *tag, kiln_str s)
{
    kiln_buf_puts(t, tag);
    if (s.p) {
        assert(s.p[s.n] == '\0');
        kiln_buf_put_i64(t, (int64_t)s.n);
        kiln_buf_putc(t, ':');
        kiln_buf_append(t, s.p, s.n);
    } else {
        kiln_buf_puts(t, "-");
    }
}

/* Parses body in pieces into transcript t; returns the data bytes seen. */
static size_t run(kiln_str ct, const char *body, size_t n, size_t first,
                  size_t step, kiln_buf *t)
{
    size_t total = 0;
    if (http_multipart_init(&mp, ct, 50) != 0) {
        kiln_buf_puts(t, "INIT");
        return 0;
    }
    size_t off = 0;
    int ev = 0;
    bool in_data = false;
    while (off < n && ev >= 0) {
        size_t k = off == 0 ? first : step;
        if (k > n - off)
            k = n - off;
        char *piece = malloc(k);
        assert(piece);
        memcpy(piece, body + off, k);
        const char *p = piece;
        size_t left = k;
        while (left && ev >= 0) {
            size_t used;
            kiln_str d;
            ev = http_multipart_feed(&mp, p, left, &used, &d);
            assert(used <= left);
            if (ev == HTTP_MP_DATA) {
                bool in_piece = d.p >= piece && d.p + d.n <= piece + k;
                bool in_parser =
                    d.p >= mp.delim && d.p + d.n <= mp.delim + sizeof mp.delim;
                assert(d.n > 0 && (in_piece || in_parser));
                if (!in_data)
                    kiln_buf_puts(t, "D[");
                in_data = true;
                kiln_buf_append(t, d.p, d.n);
                total += d.n;
            } else if (ev != HTTP_MP_MORE) {
                if (in_data)
                    kiln_buf_puts(t, "]");
                in_data = false;
            }
            if (ev == HTTP_MP_MORE)
                assert(used == left);
            if (ev == HTTP_MP_PART) {
                const http_mp_part *pt = &mp.part;
                assert(pt->name.p);
                put(t, "P", pt->name);
                put(t, "F", pt->filename);
                put(t, "T", pt->content_type);
                if (pt->filename.p) {
                    assert(!memchr(pt->filename.p, '/', pt->filename.n));
                    assert(!memchr(pt->filename.p, '\\', pt->filename.n));
                    assert(strcmp(pt->filename.p, "..") != 0);
                }
            } else if (ev == HTTP_MP_PART_END) {
                kiln_buf_puts(t, "E");
            } else if (ev == HTTP_MP_DONE) {
                kiln_buf_puts(t, "Z");
            } else if (ev < 0) {
                kiln_buf_puts(t, "X");
                kiln_buf_put_i64(t, ev);
            }
            p += used;
            left -= used;
        }
        free(piece);
        off += k;
    }
    if (in_data)
        kiln_buf_puts(t, "]");
    if (ev >= 0) {
        kiln_buf_puts(t, "F");
        kiln_buf_put_i64(t, http_multipart_finish(&mp));
    }
    assert(mp.nparts <= 50);
    return total;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    kiln_str ct = KILN_STR("multipart/form-data; boundary=b0undary");
    const char *lf = memchr(p, '\n', n);
    if (lf) {
        ct = (kiln_str){p, (size_t)(lf - p)};
        n -= (size_t)(lf + 1 - p);
        p = lf + 1;
    }
    size_t split = n ? 1 + data[0] % n : 1;
    size_t step = 1 + (data[0] >> 4);
    kiln_buf t[3];
    size_t total[3];
    for (int i = 0; i < 3; i++)
        kiln_buf_init(&t[i]);
    total[0] = run(ct, p, n, n, n, &t[0]);
    total[1] = run(ct, p, n, split, step, &t[1]);
    total[2] = run(ct, p, n, 1, 1, &t[2]);
    for (int i = 1; i < 3; i++) {
        assert(total[i] == total[0]);
        assert(t[i].n == t[0].n);
        assert(t[0].n == 0 || memcmp(t[i].p, t[0].p, t[0].n) == 0);
    }
    assert(total[0] <= n);
    for (int i = 0; i < 3; i++)
        kiln_buf_deinit(&t[i]);
    return 0;
}
