/*
 * cache/entry.c - a response as per-route caching stores it, and back.
 *
 * The stored form is binary and versioned; integers are little-endian:
 *
 *   "KC1"  kind ('R' a response, 'V' a vary note)
 *   stored_ms i64   ttl_s u32
 *   R: status u16  ctype_len u16 (0xffff: none)  ctype
 *      headers_len u32  headers ("Name: value\r\n" lines)  body_len u32  body
 *   V: vary_len u16  vary (header names, comma-separated)
 *
 * Decoding is strict (cache_entry_decode): the bytes may come from Redis,
 * written by another process or another version, and the headers go
 * straight into a response, so a line that is not "token: value" CRLF, or
 * a value with a control character, makes the whole entry malformed.
 */
#include "cache/cache_impl.h"

#include <string.h>

#define ENTRY_MAGIC "KC1"
#define ENTRY_TTL_MAX (10LL * 366 * 86400)

static int put_u(kiln_buf *b, uint64_t v, int nbytes)
{
    char tmp[8];
    for (int i = 0; i < nbytes; i++)
        tmp[i] = (char)(v >> (8 * i));
    return kiln_buf_append(b, tmp, (size_t)nbytes);
}

int cache_entry_encode(const cache_entry *e, kiln_buf *b)
{
    if (e->vary_note ? e->vary.n >= 0xffff
                     : (e->ctype.p && e->ctype.n >= 0xffff) ||
                           e->headers.n > UINT32_MAX || e->body.n > UINT32_MAX)
        return KILN_ELIMIT;
    size_t before = b->n;
    int rc = kiln_buf_append(b, ENTRY_MAGIC, 3);
    rc |= kiln_buf_putc(b, e->vary_note ? 'V' : 'R');
    rc |= put_u(b, (uint64_t)e->stored_ms, 8);
    rc |= put_u(b, (uint64_t)e->ttl_s, 4);
    if (e->vary_note) {
        rc |= put_u(b, e->vary.n, 2);
        rc |= kiln_buf_append(b, e->vary.p, e->vary.n);
    } else {
        rc |= put_u(b, (uint64_t)e->status, 2);
        rc |= put_u(b, e->ctype.p ? e->ctype.n : 0xffff, 2);
        if (e->ctype.p)
            rc |= kiln_buf_append(b, e->ctype.p, e->ctype.n);
        rc |= put_u(b, e->headers.n, 4);
        rc |= kiln_buf_append(b, e->headers.p, e->headers.n);
        rc |= put_u(b, e->body.n, 4);
        rc |= kiln_buf_append(b, e->body.p, e->body.n);
    }
    if (rc) {
        b->n = before;
        return KILN_ENOMEM;
    }
    return 0;
}

/* A reader over raw: takes fixed-size pieces or fails. */
typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

static bool get_u(reader *r, int nbytes, uint64_t *out)
{
    if (r->left < (size_t)nbytes)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += nbytes;
    r->left -= (size_t)nbytes;
    *out = v;
    return true;
}

static bool get_bytes(reader *r, size_t n, kiln_str *out)
{
    if (r->left < n)
        return false;
    *out = (kiln_str){(const char *)r->p, n};
    r->p += n;
    r->left -= n;
    return true;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Field-value bytes: visible characters, spaces, tabs and obs-text. */
static bool value_ok(kiln_str v)
{
    for (size_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
    }
    return true;
}

/* "Name: value\r\n" lines, nothing else. */
static bool headers_ok(kiln_str h)
{
    size_t i = 0;
    while (i < h.n) {
        size_t name = i;
        while (i < h.n && is_tchar((unsigned char)h.p[i]))
            i++;
        if (i == name || i + 1 >= h.n || h.p[i] != ':' || h.p[i + 1] != ' ')
            return false;
        i += 2;
        size_t v = i;
        while (i < h.n && h.p[i] != '\r' && h.p[i] != '\n')
            i++;
        if (!value_ok((kiln_str){h.p + v, i - v}) || i + 1 >= h.n ||
            h.p[i] != '\r' || h.p[i + 1] != '\n')
            return false;
        i += 2;
    }
    return true;
}

/* Header names separated by commas and spaces. */
static bool names_ok(kiln_str v)
{
    bool any = false;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if (is_tchar(ch))
            any = true;
        else if (ch != ',' && ch != ' ')
            return false;
    }
    return any;
}

int cache_entry_decode(kiln_str raw, cache_entry *e)
{
    memset(e, 0, sizeof *e);
    reader r = {(const unsigned char *)raw.p, raw.n};
    kiln_str magic;
    uint64_t kind, stored, ttl, n;
    if (!get_bytes(&r, 3, &magic) || memcmp(magic.p, ENTRY_MAGIC, 3) != 0 ||
        !get_u(&r, 1, &kind) || !get_u(&r, 8, &stored) || !get_u(&r, 4, &ttl) ||
        ttl == 0 || ttl > ENTRY_TTL_MAX)
        return KILN_EPARSE;
    e->stored_ms = (int64_t)stored;
    e->ttl_s = (int64_t)ttl;
    if (kind == 'V') {
        e->vary_note = true;
        if (!get_u(&r, 2, &n) || !get_bytes(&r, n, &e->vary) ||
            !names_ok(e->vary) || r.left)
            return KILN_EPARSE;
        return 0;
    }
    uint64_t status;
    if (kind != 'R' || !get_u(&r, 2, &status) || status != 200 ||
        !get_u(&r, 2, &n))
        return KILN_EPARSE;
    e->status = (int)status;
    if (n != 0xffff && (!get_bytes(&r, n, &e->ctype) || !value_ok(e->ctype)))
        return KILN_EPARSE;
    if (!get_u(&r, 4, &n) || !get_bytes(&r, n, &e->headers) ||
        !headers_ok(e->headers) || !get_u(&r, 4, &n) ||
        !get_bytes(&r, n, &e->body) || r.left)
        return KILN_EPARSE;
    return 0;
}
