/*
 * ws/handshake.c - the parts of the opening handshake (RFC 6455 section
 * 4.2) that are pure functions of header values: list tokens, the key and
 * its accept value, the subprotocol, and the Origin check that stops
 * cross-site WebSocket hijacking. src/server/ws.c applies them in order
 * and answers what fails.
 */
#include "ws/ws.h"

#include "core/sha1.h"

#include <string.h>

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of a base64 digit, or -1. */
static int b64_value(char c)
{
    const char *q = c ? strchr(b64, c) : NULL;
    return q ? (int)(q - b64) : -1;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Calls back each element of a comma-separated list, trimmed; stops when
   fn returns true and returns that. */
static bool list_each(kiln_str list, bool (*fn)(kiln_str el, void *arg),
                      void *arg)
{
    const char *p = list.p, *e = list.p + list.n;
    while (p < e) {
        const char *s = p;
        while (p < e && *p != ',')
            p++;
        const char *t = p;
        while (s < t && blank(*s))
            s++;
        while (t > s && blank(t[-1]))
            t--;
        if (t > s && fn((kiln_str){s, (size_t)(t - s)}, arg))
            return true;
        if (p < e)
            p++;
    }
    return false;
}

static bool token_ieq(kiln_str el, void *arg)
{
    return kiln_str_ieq_c(el, arg);
}

bool ws_list_has(kiln_str list, const char *token)
{
    return list.p && list_each(list, token_ieq, (void *)token);
}

bool ws_key_ok(kiln_str key)
{
    /* 16 bytes are 22 digits and "==": the last digit carries 2 bits, so
       its low 4 bits must be 0 (RFC 4648 section 3.5: canonical) */
    if (key.n != 24 || key.p[22] != '=' || key.p[23] != '=')
        return false;
    for (size_t i = 0; i < 22; i++)
        if (b64_value(key.p[i]) < 0)
            return false;
    return (b64_value(key.p[21]) & 0x0F) == 0;
}

/* base64 of n bytes (with padding) into out, NUL-terminated. */
static void b64_encode(const uint8_t *p, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

void ws_accept_key(kiln_str key, char out[WS_ACCEPT_LEN + 1])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    sha1_ctx c;
    uint8_t d[20];
    sha1_init(&c);
    sha1_update(&c, key.p, key.n);
    sha1_update(&c, guid, sizeof guid - 1);
    sha1_final(&c, d);
    b64_encode(d, sizeof d, out);
}

typedef struct pick {
    kiln_str supported;
    kiln_str found;
} pick;

static bool same_token(kiln_str el, void *arg)
{
    return kiln_str_eq(el, *(kiln_str *)arg);
}

static bool offered_supported(kiln_str el, void *arg)
{
    pick *pk = arg;
    if (!list_each(pk->supported, same_token, &el))
        return false;
    pk->found = el;
    return true;
}

kiln_str ws_protocol_pick(kiln_str offered, const char *supported)
{
    pick pk = {kiln_str_c(supported), KILN_STR_NULL};
    if (!offered.p || !supported || !*supported)
        return KILN_STR_NULL;
    list_each(offered, offered_supported, &pk);
    return pk.found;
}

/* ---- Origin ------------------------------------------------------------ */

/* An origin or a Host value split: scheme (empty for Host), host, port
   (-1 when not written). */
typedef struct origin {
    kiln_str scheme, host;
    long port;
} origin;

/* Splits "host[:port]" (a bracketed IPv6 literal allowed). */
static bool split_authority(kiln_str a, origin *o)
{
    const char *p = a.p, *e = a.p + a.n;
    o->port = -1;
    if (p < e && *p == '[') {
        const char *r = memchr(p, ']', (size_t)(e - p));
        if (!r)
            return false;
        o->host = (kiln_str){p, (size_t)(r + 1 - p)};
        p = r + 1;
    } else {
        const char *c = p;
        while (c < e && *c != ':')
            c++;
        o->host = (kiln_str){p, (size_t)(c - p)};
        p = c;
    }
    if (!o->host.n)
        return false;
    if (p == e)
        return true;
    if (*p != ':' || ++p == e || e - p > 5)
        return false;
    long v = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return false;
    o->port = v;
    return true;
}

/* Splits "scheme://host[:port]" (nothing after: an origin has no path). */
static bool split_origin(kiln_str s, origin *o)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < s.n; i++)
        if (s.p[i] == ':' && s.p[i + 1] == '/' && s.p[i + 2] == '/') {
            sep = s.p + i;
            break;
        }
    if (!sep || sep == s.p)
        return false;
    o->scheme = (kiln_str){s.p, (size_t)(sep - s.p)};
    kiln_str auth = {sep + 3, (size_t)(s.p + s.n - sep - 3)};
    if (auth.n && auth.p[auth.n - 1] == '/')
        auth.n--; /* a trailing slash some tools write */
    if (memchr(auth.p, '/', auth.n) || memchr(auth.p, '@', auth.n))
        return false;
    return split_authority(auth, o);
}

/* The port a scheme implies: 443 for https/wss, 80 for http/ws, else -1. */
static long default_port(kiln_str scheme)
{
    if (kiln_str_ieq_c(scheme, "https") || kiln_str_ieq_c(scheme, "wss"))
        return 443;
    if (kiln_str_ieq_c(scheme, "http") || kiln_str_ieq_c(scheme, "ws"))
        return 80;
    return -1;
}

static long effective_port(const origin *o)
{
    return o->port >= 0 ? o->port : default_port(o->scheme);
}

/* The same origin as the Host: same host, and the Host's port (if it has
   one) is the origin's (written or implied by its scheme). */
static bool same_as_host(const origin *o, kiln_str host)
{
    origin h;
    if (!split_authority(host, &h) || !kiln_str_ieq(o->host, h.host))
        return false;
    if (h.port < 0)
        return o->port < 0 || o->port == default_port(o->scheme);
    return effective_port(o) == h.port;
}

static bool origin_listed(kiln_str el, void *arg)
{
    const origin *o = arg;
    origin a;
    return kiln_str_eq(el, KILN_STR("*")) ||
           (split_origin(el, &a) && kiln_str_ieq(a.scheme, o->scheme) &&
            kiln_str_ieq(a.host, o->host) &&
            effective_port(&a) == effective_port(o));
}

bool ws_origin_ok(kiln_str origin_v, kiln_str host, const char *allowed)
{
    if (!origin_v.p)
        return true; /* not a browser: no ambient credentials to abuse */
    origin o;
    bool parsed = split_origin(origin_v, &o);
    kiln_str list = kiln_str_c(allowed);
    /* the list may be written with spaces instead of commas */
    char buf[2048];
    if (list.n >= sizeof buf)
        return false; /* longer than any real list: refuse */
    for (size_t i = 0; i < list.n; i++)
        buf[i] = list.p[i] == ' ' ? ',' : list.p[i];
    list.p = buf;
    bool empty = true;
    for (size_t i = 0; i < list.n; i++)
        if (list.p[i] != ',' && !blank(list.p[i]))
            empty = false;
    if (empty)
        return parsed && same_as_host(&o, host);
    if (!parsed) /* "null" (a sandboxed page, a file) only when listed */
        return ws_list_has(list, "*") ||
               (kiln_str_eq(origin_v, KILN_STR("null")) &&
                ws_list_has(list, "null"));
    return list_each(list, origin_listed, &o);
}
