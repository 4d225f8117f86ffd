/*
 * http/parse.c - the HTTP/1.1 request-head parser (RFC 9112 sections 2-3,
 * 5-7; RFC 9110 for field semantics). One pass over the bytes, a lookup
 * table per byte, no allocation.
 *
 * Strictness, and why (every rejection ends the connection, so no two
 * parties can disagree about where a message ends - request smuggling):
 * - Lines end in CRLF. RFC 9112 2.2 lets a server accept a bare LF; Kiln
 *   does not, because a proxy in front may not, and a bare CR is an error
 *   anyway. Both give 400.
 * - obs-fold (a field line starting with SP/HTAB) is rejected (9112 5.2
 *   allows a 400), as is whitespace between a field name and ':' (9112 5.1
 *   requires the 400).
 * - Field values may hold HTAB, SP, VCHAR and obs-text; NUL, other CTLs and
 *   DEL are rejected.
 * - Host: exactly one on HTTP/1.1 (9112 3.2: 400 when missing or repeated),
 *   at most one on 1.0, and syntactically a uri-host[:port].
 * - Content-Length: digits only; repeated fields or a list are accepted
 *   only when every value is the same (9110 8.6); too big is 413.
 * - Transfer-Encoding: the codings must end in a single "chunked"; any
 *   other coding is 501 (we decode none); TE with Content-Length, or TE on
 *   HTTP/1.0, is 400 (9112 6.1 and 6.3 allow rejecting both).
 * - Expect: only 100-continue; anything else is 417.
 * - Limits: request-target over max_target is 414, a header section over
 *   max_header_bytes or over max_headers fields is 431, both detected while
 *   the head is still arriving.
 * Leading empty lines before the request line are skipped (9112 2.2).
 */
#include "http/parse.h"

#include <string.h>

/* bit 1: tchar; bit 2: visible ASCII (target); bit 4: field value byte */
static const unsigned char ctab[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 4, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 6, 7, 6, 7, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

#define IS_TCHAR(c) (ctab[(unsigned char)(c)] & 1)
#define IS_VCHAR(c) (ctab[(unsigned char)(c)] & 2)
#define IS_VALUE(c) (ctab[(unsigned char)(c)] & 4)

/* Most empty lines skipped before a request line. */
#define MAX_LEADING_CRLF 128
/* Longest method accepted. */
#define MAX_METHOD 32

void http_limits_default(http_limits *l)
{
    l->max_target = 8192;
    l->max_header_bytes = 16384;
    l->max_headers = HTTP_MAX_HEADERS;
    l->max_body = 10u * 1024 * 1024;
}

static bool ieq(kiln_str s, const char *lit, size_t n)
{
    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s.p[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z')
            a |= 0x20;
        if (a != b)
            return false;
    }
    return true;
}
#define IEQ(s, lit) ieq((s), lit, sizeof(lit) - 1)

/* Splits the target into path and query; returns 0 or -400. */
static int split_target(http_request *r)
{
    static const char root[] = "/";
    const char *p = r->target.p;
    size_t n = r->target.n;
    r->has_query = false;
    r->query = (kiln_str){p + n, 0};
    if (n == 1 && p[0] == '*') {
        if (!kiln_str_eq(r->method, KILN_STR("OPTIONS")))
            return -400;
        r->path = r->target;
        return 0;
    }
    if (kiln_str_eq(r->method, KILN_STR("CONNECT"))) {
        /* authority-form: host:port; we route nothing on it */
        if (p[0] == '/')
            return -400;
        r->path = (kiln_str){p, 0};
        return 0;
    }
    if (p[0] != '/') {
        size_t skip;
        if (n > 7 && ieq((kiln_str){p, 7}, "http://", 7))
            skip = 7;
        else if (n > 8 && ieq((kiln_str){p, 8}, "https://", 8))
            skip = 8;
        else
            return -400;
        const char *a = p + skip, *end = p + n;
        const char *slash = a;
        while (slash < end && *slash != '/' && *slash != '?')
            slash++;
        if (slash == a)
            return -400; /* empty authority */
        for (const char *q = a; q < slash; q++)
            if (*q == '@')
                return -400; /* userinfo is not allowed (9110 4.2.4) */
        if (slash == end) {
            r->path = (kiln_str){root, 1};
            return 0;
        }
        if (*slash == '?') {
            r->path = (kiln_str){root, 1};
            r->has_query = true;
            r->query = (kiln_str){slash + 1, (size_t)(end - slash - 1)};
            return 0;
        }
        p = slash;
        n = (size_t)(end - slash);
    }
    const char *q = memchr(p, '?', n);
    if (q) {
        r->path = (kiln_str){p, (size_t)(q - p)};
        r->has_query = true;
        r->query = (kiln_str){q + 1, n - (size_t)(q - p) - 1};
    } else {
        r->path = (kiln_str){p, n};
    }
    /* a '#' fragment is never sent (9112 3.2) */
    if (memchr(p, '#', n))
        return -400;
    return 0;
}

/* Validates a Host value: reg-name / IPv4 / [IPv6] with optional :port. */
static bool host_ok(kiln_str h)
{
    size_t i = 0;
    if (h.n == 0)
        return false;
    if (h.p[0] == '[') {
        while (i < h.n && h.p[i] != ']') {
            char c = h.p[i];
            if (i > 0 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                           (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                return false;
            i++;
        }
        if (i == h.n || i < 2)
            return false;
        i++;
    } else {
        for (; i < h.n && h.p[i] != ':'; i++) {
            char c = h.p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=%", c)))
                return false;
        }
        if (i == 0)
            return false;
    }
    if (i == h.n)
        return true;
    if (h.p[i] != ':')
        return false;
    if (i + 1 == h.n)
        return true; /* "host:" - an empty port is allowed by RFC 3986 */
    if (h.n - i - 1 > 5)
        return false;
    for (i++; i < h.n; i++)
        if (h.p[i] < '0' || h.p[i] > '9')
            return false;
    return true;
}

/* Walks the elements of a comma-separated field value (RFC 9110 5.6.1),
 * each with its OWS trimmed; empty elements are returned too. */
typedef struct list_iter {
    const char *p, *end;
    bool done;
} list_iter;

static bool list_next(list_iter *it, kiln_str *item)
{
    if (it->done)
        return false;
    const char *e = memchr(it->p, ',', (size_t)(it->end - it->p));
    if (!e) {
        e = it->end;
        it->done = true;
    }
    const char *s = it->p, *t = e;
    while (s < t && (*s == ' ' || *s == '\t'))
        s++;
    while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
        t--;
    *item = (kiln_str){s, (size_t)(t - s)};
    it->p = it->done ? e : e + 1;
    return true;
}

/* Parses one Content-Length value list into *cl (all must agree). */
static int parse_cl(kiln_str v, bool *seen, uint64_t *cl,
                    const http_limits *lim)
{
    list_iter it = {v.p, v.p + v.n, false};
    kiln_str item;
    while (list_next(&it, &item)) {
        if (item.n == 0)
            return -400;
        uint64_t n = 0;
        for (size_t i = 0; i < item.n; i++) {
            if (item.p[i] < '0' || item.p[i] > '9')
                return -400;
            if (n > (UINT64_MAX - 9) / 10)
                n = UINT64_MAX; /* too big: 413 below, no overflow */
            else
                n = n * 10 + (uint64_t)(item.p[i] - '0');
        }
        if (*seen && n != *cl)
            return -400;
        *seen = true;
        *cl = n;
    }
    return *cl > lim->max_body ? -413 : 0;
}

/* Adds the codings of one Transfer-Encoding value. *state: 0 none yet,
 * 1 last was chunked, 2 last was something else. */
static int parse_te(kiln_str v, int *state, bool *other)
{
    list_iter it = {v.p, v.p + v.n, false};
    kiln_str tok;
    bool any = false;
    while (list_next(&it, &tok)) {
        if (tok.n == 0)
            continue;
        for (size_t i = 0; i < tok.n; i++)
            if (!IS_TCHAR(tok.p[i]))
                return -400; /* parameters or junk */
        any = true;
        if (*state == 1)
            return -400; /* a coding after chunked, or chunked twice */
        if (IEQ(tok, "chunked")) {
            *state = 1;
        } else {
            *state = 2;
            *other = true;
        }
    }
    return any ? 0 : -400;
}

static void parse_connection(kiln_str v, bool *close, bool *keep)
{
    list_iter it = {v.p, v.p + v.n, false};
    kiln_str tok;
    while (list_next(&it, &tok)) {
        if (IEQ(tok, "close"))
            *close = true;
        else if (IEQ(tok, "keep-alive"))
            *keep = true;
    }
}

/* Applies the semantics of the parsed fields. */
static int check_fields(http_request *r, const http_limits *lim)
{
    unsigned hosts = 0;
    bool cl_seen = false, te_seen = false, te_other = false;
    bool close = false, keep = false;
    int te_state = 0;
    uint64_t cl = 0;
    r->host = (kiln_str){r->target.p, 0};
    for (unsigned i = 0; i < r->nheaders; i++) {
        kiln_str name = r->headers[i].name, v = r->headers[i].value;
        int rc = 0;
        switch (name.n) {
        case 4:
            if (IEQ(name, "host")) {
                if (++hosts > 1 || !host_ok(v))
                    return -400;
                r->host = v;
            }
            break;
        case 6:
            if (IEQ(name, "expect")) {
                if (!IEQ(v, "100-continue"))
                    return -417;
                r->expect_continue = true;
            }
            break;
        case 10:
            if (IEQ(name, "connection"))
                parse_connection(v, &close, &keep);
            break;
        case 14:
            if (IEQ(name, "content-length"))
                rc = parse_cl(v, &cl_seen, &cl, lim);
            break;
        case 17:
            if (IEQ(name, "transfer-encoding")) {
                te_seen = true;
                rc = parse_te(v, &te_state, &te_other);
            }
            break;
        }
        if (rc)
            return rc;
    }
    if (r->minor == 1 && hosts != 1)
        return -400;
    if (te_seen) {
        if (cl_seen || r->minor == 0)
            return -400;
        if (te_state != 1)
            return -400; /* the final coding must be chunked */
        if (te_other)
            return -501;
        r->body = HTTP_BODY_CHUNKED;
    } else if (cl_seen) {
        r->content_length = cl;
        r->body = cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    }
    r->keep_alive = r->minor == 1 ? !close : (keep && !close);
    return 0;
}

int http_parse_request(const char *buf, size_t len, const http_limits *lim,
                       http_request *r)
{
    size_t i = 0;
    /* leading empty lines */
    while (i < len && (buf[i] == '\r' || buf[i] == '\n')) {
        if (buf[i] == '\n')
            return -400;
        if (i + 1 == len)
            return 0;
        if (buf[i + 1] != '\n')
            return -400;
        i += 2;
        if (i > 2 * MAX_LEADING_CRLF)
            return -400;
    }
    /* method */
    size_t m0 = i;
    while (i < len && IS_TCHAR(buf[i])) {
        if (i - m0 >= MAX_METHOD)
            return -400;
        i++;
    }
    if (i == len)
        return 0;
    if (buf[i] != ' ' || i == m0)
        return -400;
    r->method = (kiln_str){buf + m0, i - m0};
    i++;
    /* request-target */
    size_t t0 = i;
    size_t tmax = t0 + lim->max_target;
    while (i < len && IS_VCHAR(buf[i])) {
        if (i >= tmax)
            return -414;
        i++;
    }
    if (i == len)
        return len - t0 > lim->max_target ? -414 : 0;
    if (buf[i] != ' ' || i == t0)
        return -400;
    r->target = (kiln_str){buf + t0, i - t0};
    i++;
    /* HTTP-version CRLF */
    static const char ver[] = "HTTP/";
    for (size_t k = 0; k < 5; k++, i++) {
        if (i == len)
            return 0;
        if (buf[i] != ver[k])
            return -400;
    }
    if (len - i < 5) {
        /* check what is there: a wrong version is known before its CRLF */
        if (len - i >= 3 && buf[i] >= '0' && buf[i] <= '9' &&
            buf[i + 1] == '.' && buf[i + 2] >= '0' && buf[i + 2] <= '9' &&
            (buf[i] != '1' || (buf[i + 2] != '0' && buf[i + 2] != '1')))
            return -505;
        for (size_t k = 0; i + k < len; k++) {
            char c = buf[i + k];
            if ((k == 0 || k == 2) && (c < '0' || c > '9'))
                return -400;
            if (k == 1 && c != '.')
                return -400;
            if (k == 3 && c != '\r')
                return -400;
        }
        return 0;
    }
    char maj = buf[i], dot = buf[i + 1], min = buf[i + 2];
    if (maj < '0' || maj > '9' || dot != '.' || min < '0' || min > '9')
        return -400;
    if (buf[i + 3] != '\r' || buf[i + 4] != '\n')
        return -400;
    if (maj != '1' || (min != '0' && min != '1'))
        return -505;
    r->minor = min - '0';
    i += 5;
    /* field lines */
    size_t h0 = i;
    size_t hmax = h0 + lim->max_header_bytes;
    r->nheaders = 0;
    for (;;) {
        if (i >= hmax)
            return -431;
        if (i == len)
            return 0;
        char c = buf[i];
        if (c == '\r') {
            if (i + 1 == len)
                return 0;
            if (buf[i + 1] != '\n')
                return -400;
            i += 2;
            break;
        }
        size_t n0 = i;
        while (i < len && IS_TCHAR(buf[i]))
            i++;
        if (i == len)
            return len - h0 > lim->max_header_bytes ? -431 : 0;
        if (buf[i] != ':' || i == n0)
            return -400; /* obs-fold, space before ':', empty name, junk */
        if (r->nheaders >= lim->max_headers || r->nheaders >= HTTP_MAX_HEADERS)
            return -431;
        http_header *h = &r->headers[r->nheaders];
        h->name = (kiln_str){buf + n0, i - n0};
        i++;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        size_t v0 = i;
        while (i < len && IS_VALUE(buf[i]))
            i++;
        if (i == len)
            return len - h0 > lim->max_header_bytes ? -431 : 0;
        if (buf[i] != '\r')
            return -400; /* bare LF, NUL, CTL */
        if (i + 1 == len)
            return len - h0 > lim->max_header_bytes ? -431 : 0;
        if (buf[i + 1] != '\n')
            return -400;
        size_t v1 = i;
        while (v1 > v0 && (buf[v1 - 1] == ' ' || buf[v1 - 1] == '\t'))
            v1--;
        h->value = (kiln_str){buf + v0, v1 - v0};
        r->nheaders++;
        i += 2;
    }
    if (i - h0 > lim->max_header_bytes + 2)
        return -431;
    r->head_len = i;
    r->body = HTTP_BODY_NONE;
    r->content_length = 0;
    r->expect_continue = false;
    int rc = split_target(r);
    if (rc)
        return rc;
    rc = check_fields(r, lim);
    if (rc)
        return rc;
    return (int)i;
}

int http_parse_fields(const char *p, size_t n, http_header *out, unsigned max)
{
    size_t i = 0;
    unsigned k = 0;
    while (i < n) {
        size_t n0 = i;
        while (i < n && IS_TCHAR(p[i]))
            i++;
        if (i == n || p[i] != ':' || i == n0 || k >= max)
            return -400;
        out[k].name = (kiln_str){p + n0, i - n0};
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t v0 = i;
        while (i < n && IS_VALUE(p[i]))
            i++;
        if (i + 1 >= n || p[i] != '\r' || p[i + 1] != '\n')
            return -400;
        size_t v1 = i;
        while (v1 > v0 && (p[v1 - 1] == ' ' || p[v1 - 1] == '\t'))
            v1--;
        out[k].value = (kiln_str){p + v0, v1 - v0};
        k++;
        i += 2;
    }
    return (int)k;
}
