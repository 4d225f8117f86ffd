/*
 * ws/deflate.c - permessage-deflate (RFC 7692): the offer in the handshake
 * read and answered, and messages compressed and inflated with zlib.
 *
 * Memory is the design constraint. A zlib compressor with a 32 KiB window
 * takes about 256 KiB, an inflater about 40 KiB; kept per connection, ten
 * thousand idle WebSockets would hold gigabytes. So Kiln answers every
 * offer with server_no_context_takeover and client_no_context_takeover
 * (RFC 7692 sections 7.1.1.1 and 7.1.1.2 let a server add both): every
 * message is compressed on its own, a compressor is needed only while a
 * message is being compressed (one call, on the worker: a per-worker pool
 * of one or two is enough), and an inflater only while a compressed
 * message is arriving. Both come from a per-thread ws_zpool and go back
 * to it. Messages compress a little worse than with a shared context;
 * an idle connection costs nothing.
 */
#include "ws/ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- the offer --------------------------------------------------------- */

/* RFC 9110 token characters. */
static bool tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* Reads a token at *pp; returns its view (n == 0 when none). */
static kiln_str token(const char **pp, const char *e)
{
    const char *p = *pp, *s = p;
    while (p < e && tchar(*p))
        p++;
    *pp = p;
    return (kiln_str){s, (size_t)(p - s)};
}

/* Reads a token or a quoted-string value; quoted values here are plain
   digits, so an escape is refused (returns n == 0 with ok false). */
static kiln_str param_value(const char **pp, const char *e, bool *ok)
{
    const char *p = *pp;
    *ok = true;
    if (p < e && *p == '"') {
        const char *s = ++p;
        while (p < e && *p != '"' && *p != '\\')
            p++;
        if (p >= e || *p != '"') {
            *ok = false;
            return KILN_STR_NULL;
        }
        kiln_str v = {s, (size_t)(p - s)};
        *pp = p + 1;
        return v;
    }
    kiln_str v = token(pp, e);
    if (!v.n)
        *ok = false;
    return v;
}

/* A window size 8..15 written as one or two digits; -1 when not one. */
static int window_bits(kiln_str v)
{
    if (v.n == 1 && v.p[0] == '8')
        return 8;
    if (v.n == 1 && v.p[0] == '9')
        return 9;
    if (v.n == 2 && v.p[0] == '1' && v.p[1] >= '0' && v.p[1] <= '5')
        return 10 + (v.p[1] - '0');
    return -1;
}

/* The parameters of one offer. */
typedef struct offer {
    bool deflate;                 /* it is permessage-deflate */
    bool ok;                      /* its parameters are valid */
    int server_bits, client_bits; /* 0: absent; client -1: no value */
    bool server_nct, client_nct;
} offer;

/* Reads the parameters of one extension, at *pp just after its name, up
   to the ',' that ends it or the end. Returns false when the list is
   malformed. */
static bool read_params(const char **pp, const char *e, offer *o)
{
    const char *p = *pp;
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e || *p == ',')
            break;
        if (*p != ';')
            return false;
        p = skip_ws(p + 1, e);
        kiln_str name = token(&p, e);
        if (!name.n)
            return false;
        p = skip_ws(p, e);
        kiln_str val = KILN_STR_NULL;
        bool has_val = false;
        if (p < e && *p == '=') {
            p = skip_ws(p + 1, e);
            bool vok;
            val = param_value(&p, e, &vok);
            if (!vok)
                return false;
            has_val = true;
        }
        if (!o->deflate)
            continue; /* another extension's parameters: only the syntax */
        if (kiln_str_eq(name, KILN_STR("server_no_context_takeover"))) {
            if (has_val || o->server_nct)
                o->ok = false;
            o->server_nct = true;
        } else if (kiln_str_eq(name, KILN_STR("client_no_context_takeover"))) {
            if (has_val || o->client_nct)
                o->ok = false;
            o->client_nct = true;
        } else if (kiln_str_eq(name, KILN_STR("server_max_window_bits"))) {
            int b = has_val ? window_bits(val) : -1;
            if (b < 0 || o->server_bits)
                o->ok = false;
            o->server_bits = b;
        } else if (kiln_str_eq(name, KILN_STR("client_max_window_bits"))) {
            int b = has_val ? window_bits(val) : -1;
            if ((has_val && b < 0) || o->client_bits)
                o->ok = false;
            o->client_bits = has_val ? b : -1;
        } else {
            o->ok = false; /* a parameter we do not know: decline */
        }
    }
    *pp = p;
    return true;
}

int ws_pmd_negotiate(kiln_str offers, ws_pmd *out, char *resp, size_t cap)
{
    const char *p = offers.p, *e = offers.p + offers.n;
    bool found = false;
    memset(out, 0, sizeof *out);
    if (cap)
        resp[0] = '\0';
    while (p < e) {
        p = skip_ws(p, e);
        if (p < e && *p == ',') { /* empty list elements are allowed */
            p++;
            continue;
        }
        if (p >= e)
            break;
        kiln_str name = token(&p, e);
        if (!name.n)
            return KILN_EPARSE;
        offer o = {.deflate = kiln_str_eq(name, KILN_STR("permessage-deflate")),
                   .ok = true};
        if (!read_params(&p, e, &o))
            return KILN_EPARSE;
        if (!found && o.deflate && o.ok && o.server_bits != 8) {
            found = true;
            out->on = true;
            out->server_bits = o.server_bits ? o.server_bits : 15;
        }
    }
    if (!found)
        return 0;
    int w;
    if (out->server_bits < 15)
        w = snprintf(resp, cap,
                     "permessage-deflate; server_no_context_takeover; "
                     "client_no_context_takeover; server_max_window_bits=%d",
                     out->server_bits);
    else
        w = snprintf(resp, cap,
                     "permessage-deflate; "
                     "server_no_context_takeover; "
                     "client_no_context_takeover");
    if (w < 0 || (size_t)w >= cap) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    return 1;
}

/* ---- zlib streams ------------------------------------------------------ */

struct ws_inflater {
    z_stream z;
};

void ws_zpool_init(ws_zpool *p)
{
    memset(p, 0, sizeof *p);
}

void ws_zpool_deinit(ws_zpool *p)
{
    for (unsigned i = 0; i < p->ninf; i++) {
        inflateEnd(p->inf[i]);
        free(p->inf[i]);
    }
    for (unsigned i = 0; i < p->ndef; i++) {
        deflateEnd(p->def[i]);
        free(p->def[i]);
    }
    p->ninf = p->ndef = 0;
}

ws_inflater *ws_inflater_take(ws_zpool *pool)
{
    if (pool && pool->ninf)
        return pool->inf[--pool->ninf];
    ws_inflater *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    /* raw DEFLATE (no zlib header), any window up to 32 KiB */
    if (inflateInit2(&z->z, -15) != Z_OK) {
        free(z);
        return NULL;
    }
    return z;
}

void ws_inflater_give(ws_zpool *pool, ws_inflater *z)
{
    if (!z)
        return;
    if (pool && pool->ninf < sizeof pool->inf / sizeof pool->inf[0] &&
        inflateReset(&z->z) == Z_OK) {
        pool->inf[pool->ninf++] = z;
        return;
    }
    inflateEnd(&z->z);
    free(z);
}

/*
 * Inflates n bytes at p into out while out stays within max bytes. tail
 * says the bytes are the four the sender left off: after a final block
 * (BFINAL) they are not part of the stream and are ignored, as zlib's
 * own "unused data" would be; any other byte after the end is an error.
 */
static int inflate_some(z_stream *z, const uint8_t *p, size_t n, bool tail,
                        uint64_t max, kiln_buf *out)
{
    z->next_in = (Bytef *)p;
    z->avail_in = (uInt)n;
    for (;;) {
        /* room for one byte past the limit: producing it means too big */
        uint64_t room = out->n <= max ? max - out->n : 0;
        size_t chunk = room < 16384 ? (size_t)room + 1 : 16384;
        if (kiln_buf_reserve(out, chunk) != 0)
            return KILN_ENOMEM;
        z->next_out = (Bytef *)out->p + out->n;
        z->avail_out = (uInt)chunk;
        int rc = inflate(z, Z_SYNC_FLUSH);
        out->n += chunk - z->avail_out;
        if (out->n > max) {
            out->n = (size_t)max; /* keep what is within the limit */
            out->p[out->n] = '\0';
            return -WS_CLOSE_TOO_BIG;
        }
        out->p[out->n] = '\0';
        if (rc == Z_STREAM_END)
            return z->avail_in && !tail ? -WS_CLOSE_BAD_DATA : 0;
        if (rc == Z_MEM_ERROR)
            return KILN_ENOMEM;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -WS_CLOSE_BAD_DATA;
        if (z->avail_out != 0)
            return 0; /* input used up and output flushed */
    }
}

int ws_inflate(ws_inflater *zi, const uint8_t *p, size_t n, bool last,
               uint64_t max, kiln_buf *out)
{
    z_stream *z = &zi->z;
    while (n > 0) {
        size_t k = n > (1u << 30) ? (size_t)1 << 30 : n;
        int rc = inflate_some(z, p, k, false, max, out);
        if (rc)
            return rc;
        p += k;
        n -= k;
    }
    if (last) {
        static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
        int rc = inflate_some(z, tail, 4, true, max, out);
        if (rc)
            return rc;
    }
    return 0;
}

/* A deflate stream for a window of bits, from the pool or new. */
static z_stream *deflater_take(ws_zpool *pool, int bits)
{
    if (pool)
        for (unsigned i = 0; i < pool->ndef; i++)
            if (pool->def_bits[i] == bits) {
                z_stream *z = pool->def[i];
                pool->def[i] = pool->def[--pool->ndef];
                pool->def_bits[i] = pool->def_bits[pool->ndef];
                return z;
            }
    z_stream *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    return z;
}

static void deflater_give(ws_zpool *pool, z_stream *z, int bits)
{
    if (pool && pool->ndef < sizeof pool->def / sizeof pool->def[0] &&
        deflateReset(z) == Z_OK) {
        pool->def_bits[pool->ndef] = bits;
        pool->def[pool->ndef++] = z;
        return;
    }
    deflateEnd(z);
    free(z);
}

int ws_deflate_message(ws_zpool *pool, int bits, const void *p, size_t n,
                       kiln_buf *out)
{
    if (bits < 9 || bits > 15)
        bits = 15;
    z_stream *z = deflater_take(pool, bits);
    if (!z)
        return KILN_ENOMEM;
    size_t start = out->n;
    int rc = 0;
    z->next_in = (Bytef *)p;
    z->avail_in = 0;
    const uint8_t *in = p;
    size_t left = n;
    for (;;) {
        if (z->avail_in == 0 && left) {
            size_t k = left > (1u << 30) ? (size_t)1 << 30 : left;
            z->next_in = (Bytef *)in;
            z->avail_in = (uInt)k;
            in += k;
            left -= k;
        }
        size_t chunk = deflateBound(z, z->avail_in) + 16;
        if (kiln_buf_reserve(out, chunk) != 0) {
            rc = KILN_ENOMEM;
            break;
        }
        z->next_out = (Bytef *)out->p + out->n;
        z->avail_out = (uInt)chunk;
        int zr = deflate(z, left ? Z_NO_FLUSH : Z_SYNC_FLUSH);
        out->n += chunk - z->avail_out;
        out->p[out->n] = '\0';
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = KILN_EIO;
            break;
        }
        if (!left && z->avail_in == 0 && z->avail_out != 0)
            break; /* flushed: everything is out */
    }
    if (rc == 0) {
        /* a sync flush ends in an empty stored block 00 00 ff ff: the
           sender leaves those four bytes off (RFC 7692 section 7.2.1) */
        if (out->n - start >= 4 &&
            memcmp(out->p + out->n - 4, "\x00\x00\xff\xff", 4) == 0)
            out->n -= 4;
        else
            rc = KILN_EIO;
        out->p[out->n] = '\0';
    } else {
        out->n = start;
        if (out->p)
            out->p[out->n] = '\0';
    }
    deflater_give(pool, z, bits);
    return rc;
}
