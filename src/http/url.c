/*
 * http/url.c - percent-decoding, path normalisation and query parsing
 * (see url.h).
 *
 * Path normalisation, and why:
 * - Decoding happens before dot-segment removal, so "%2e%2e" is resolved
 *   like ".." and no encoding can climb above "/" (the classic traversal
 *   "/%2e%2e/%2e%2e/etc/passwd" becomes "/etc/passwd").
 * - "%2F" decodes to a '/' that then separates segments (as Django does):
 *   handlers never see a '/' inside a segment, so no layer can read a
 *   segment boundary differently.
 * - Empty segments ("//") are merged before dot-segments apply, so
 *   "/a//.." is "/", not "/a/".
 * - A backslash (raw or "%5C") is an ordinary byte, not a separator: Kiln
 *   does not act on Windows paths; code mapping paths to files must not hand
 *   one to an API that treats '\' as a separator.
 * - Control bytes (raw or encoded, %00 included) are rejected: they have no
 *   business in a path and would reach logs and file names.
 */
#include "http/url.h"

#include <assert.h>
#include <string.h>

/* The value of hex digit c, or -1. */
static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes the escape at in[i] ('%' already seen): returns the byte, or -1
 * when fewer than two hex digits follow. */
static int pct_byte(const char *in, size_t n, size_t i)
{
    if (i + 2 >= n)
        return -1;
    int h = hexval((unsigned char)in[i + 1]);
    int l = hexval((unsigned char)in[i + 2]);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
}

/* Contract in url.h. */
int http_path_normalize(const char *in, size_t n, char *out, size_t *out_n)
{
    assert(out && out_n);
    assert(in || n == 0);
    if (n == 0 || in[0] != '/')
        return -400;
    /* pass 1: decode into out */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int v = pct_byte(in, n, i);
            if (v < 0)
                return -400;
            c = (unsigned char)v;
            i += 2;
        }
        /* raw or encoded: a control byte has no business in a path (and
           would reach logs and file names) */
        if (c < 0x20 || c == 0x7f)
            return -400;
        out[k++] = (char)c;
    }
    /* pass 2: remove dot segments and empty segments, in place; each
       segment is copied down to w, so w <= r always holds */
    size_t r = 0, w = 0;
    while (r < k) {
        assert(out[r] == '/' && w <= r);
        size_t s = r + 1;
        size_t e = s;
        while (e < k && out[e] != '/')
            e++;
        size_t len = e - s;
        bool last = e >= k;
        if (len == 0) {
            if (last) { /* trailing slash */
                out[w++] = '/';
            }
        } else if (len == 1 && out[s] == '.') {
            if (last)
                out[w++] = '/';
        } else if (len == 2 && out[s] == '.' && out[s + 1] == '.') {
            while (w > 0 && out[w - 1] != '/')
                w--;
            if (w > 0)
                w--; /* drop the '/' before the removed segment */
            if (last)
                out[w++] = '/';
        } else {
            out[w++] = '/';
            memmove(out + w, out + s, len);
            w += len;
        }
        r = e;
    }
    if (w == 0)
        out[w++] = '/';
    out[w] = '\0';
    *out_n = w;
    return 0;
}

/* Contract in url.h. */
long http_query_decode(const char *in, size_t n, char *out)
{
    assert(out);
    assert(in || n == 0);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int v = pct_byte(in, n, i);
            if (v < 0)
                return -400;
            c = (char)v;
            i += 2;
        }
        out[k++] = c;
    }
    out[k] = '\0';
    return (long)k;
}

/* Contract in url.h. The pairs array has one slot per '&' plus one; names
 * and values are decoded into their own arena strings (NUL-terminated). */
long http_query_parse(kiln_arena *a, kiln_str query, http_kv **out)
{
    assert(a && out);
    *out = NULL;
    if (query.n == 0)
        return 0;
    size_t max = 1;
    for (size_t i = 0; i < query.n; i++)
        max += query.p[i] == '&';
    http_kv *kv = kiln_arena_alloc(a, max * sizeof(*kv));
    if (!kv)
        return KILN_ENOMEM;
    long k = 0;
    const char *p = query.p, *end = query.p + query.n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if (e > p) {
            const char *eq = memchr(p, '=', (size_t)(e - p));
            const char *ne = eq ? eq : e;
            char *name = kiln_arena_alloc(a, (size_t)(ne - p) + 1);
            const char *vs = eq ? eq + 1 : e;
            char *value = kiln_arena_alloc(a, (size_t)(e - vs) + 1);
            if (!name || !value)
                return KILN_ENOMEM;
            long nl = http_query_decode(p, (size_t)(ne - p), name);
            long vl = http_query_decode(vs, (size_t)(e - vs), value);
            if (nl < 0 || vl < 0)
                return -400;
            kv[k].name = (kiln_str){name, (size_t)nl};
            kv[k].value = (kiln_str){value, (size_t)vl};
            k++;
        }
        p = amp ? amp + 1 : end;
    }
    *out = kv;
    return k;
}
