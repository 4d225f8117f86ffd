/*
 * http/parse.c - the HTTP/1.1 request-head parser (RFC 9112 sections 2-7,
 * RFC 9110 for field semantics). One pass over the bytes, a lookup table per
 * byte class, eight bytes at a time over field values and targets, no
 * allocation.
 *
 * Strictness, and why. Every rejection ends the connection; the point is that
 * no two parties (a proxy in front, Kiln, a backend behind) can disagree about
 * where a message ends or what it means - request smuggling lives in those
 * disagreements.
 * - Lines end in CRLF. RFC 9112 2.2 lets a server accept a bare LF as a line
 *   terminator; Kiln does not, because a proxy in front may split lines
 *   differently. A bare CR anywhere is an error anyway (9112 2.2). Both 400.
 * - Up to MAX_LEADING_CRLF empty lines before the request line are skipped
 *   (9112 2.2 asks for at least one); more is 400.
 * - Request line: method SP request-target SP HTTP-version CRLF with exactly
 *   one SP each (9112 3: no "lenient whitespace"). Method is a token of at
 *   most MAX_METHOD bytes. "HTTP/1.0" and "HTTP/1.1" are served; another
 *   "HTTP/" DIGIT "." DIGIT is 505 as soon as its digits are in (even if
 *   junk follows), anything else 400 (so a missing version - HTTP/0.9 -,
 *   RTSP/x.y and ICE/x.y are 400).
 * - request-target: bytes 0x21-0x7E. Like nginx, the bytes RFC 3986 does not
 *   allow but clients send anyway (" < > \ ^ ` { | }) are tolerated; CTLs,
 *   SP, DEL, NUL and bytes >= 0x80 are 400. A '#' (a fragment is never sent,
 *   9112 3.2) is 400. Forms: origin "/...", absolute "http[s]://authority
 *   [/path][?query]" (authority checked like Host, so userinfo is 400; routing
 *   still follows the Host field), asterisk "*" only for OPTIONS, authority
 *   "host:port" only for CONNECT and CONNECT only with it (9112 3.2.3-4).
 *   Longer than max_target is 414.
 * - Field lines: name = token and ':' right after it (whitespace before the
 *   colon must be 400, 9112 5.1); obs-fold (a line starting with SP/HTAB) is
 *   400 (9112 5.2 allows it); values hold HTAB, SP, VCHAR and obs-text; NUL,
 *   other CTLs and DEL are 400; OWS around the value is trimmed.
 * - Host: exactly one on HTTP/1.1, none or two or more is 400 (9112 3.2); at
 *   most one on HTTP/1.0. Its value must be uri-host [":" port]: a reg-name
 *   (with valid %XX), an IPv4 address or a bracketed IPv6 literal; empty is
 *   400 on 1.1 and means "absent" on 1.0.
 * - Content-Length: 1*DIGIT. Repeated fields or a list are accepted only when
 *   every element has the same decimal value (9110 8.6); signs, spaces inside,
 *   hex, empty elements are 400; over max_body is 413 (so is a value of more
 *   than 19 digits: it cannot fit, and nothing overflows).
 * - Transfer-Encoding: all TE fields form one list; every element must be a
 *   bare token (transfer-parameters are 400: no coding we accept takes any),
 *   the last must be "chunked" and "chunked" may appear once (9112 6.3),
 *   otherwise 400; another coding before it (gzip...) is 501 since Kiln
 *   decodes none. TE with Content-Length, or TE on HTTP/1.0, is 400 (9112 6.1
 *   allows both rejections and they close the classic smuggling holes).
 * - Expect: only "100-continue" (any case); any other expectation is 417.
 * - Limits: a request-target over max_target bytes is 414; field lines
 *   (each with its CRLF, not counting the final empty line) over
 *   max_header_bytes in all, or more than max_headers of them, is 431.
 *
 * Incremental input: a caller re-runs the parser on the whole buffer as bytes
 * arrive. Every check fires at a byte position and depends only on the bytes
 * before it, and the bytes are examined in order, so the first error of the
 * whole input is the first error of every prefix that reaches it: any prefix
 * of an input returns 0 or the same result as the whole. Limits too fire at a
 * position (max_target bytes into the target, max_header_bytes into the field
 * lines), hence while the head is still incomplete.
 *
 * Speed: one pass; tables classify bytes; field values and targets are
 * scanned eight bytes at a time (SWAR) and stop at their CR or SP. A separate
 * memchr for '\n' is not used: every byte must be validated anyway, so it
 * would read each byte twice. Known field names are compared by length first.
 */
#include "http/parse.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

/* Byte classes: */
#define C_TCHAR 1  /* token character (RFC 9110 5.6.2) */
#define C_TARGET 2 /* request-target byte: 0x21-0x7E but '#' */
#define C_VALUE 4  /* field-value byte: HTAB, SP, VCHAR, obs-text */
#define C_HOST 8   /* reg-name byte: unreserved / sub-delims (not '%') */
#define C_HEX 16   /* HEXDIG */
#define C_PATH 32  /* C_TARGET but '?': a byte of the path part */

/* 16 obs-text bytes, for the positional tail of ctab after [0x7F] */
#define OBS16                                                                  \
    C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE,    \
        C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE, C_VALUE

static const unsigned char ctab[256] = {
    /* 0x00-0x1F: only HTAB is a value byte */
    ['\t'] = C_VALUE,
    [' '] = C_VALUE,
    ['!'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['"'] = C_TARGET | C_VALUE | C_PATH,
    ['#'] = C_TCHAR | C_VALUE, /* a fragment: never in a target */
    ['$'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['%'] = C_TCHAR | C_TARGET | C_VALUE | C_PATH,
    ['&'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['\''] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['('] = C_TARGET | C_VALUE | C_HOST | C_PATH,
    [')'] = C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['*'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['+'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    [','] = C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['-'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['.'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['/'] = C_TARGET | C_VALUE | C_PATH,
    ['0'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['1'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['2'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['3'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['4'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['5'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['6'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['7'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['8'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['9'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    [':'] = C_TARGET | C_VALUE | C_PATH,
    [';'] = C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['<'] = C_TARGET | C_VALUE | C_PATH,
    ['='] = C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['>'] = C_TARGET | C_VALUE | C_PATH,
    ['?'] = C_TARGET | C_VALUE,
    ['@'] = C_TARGET | C_VALUE | C_PATH,
    ['A'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['B'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['C'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['D'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['E'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['F'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['G'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['H'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['I'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['J'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['K'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['L'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['M'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['N'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['O'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['P'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['Q'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['R'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['S'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['T'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['U'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['V'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['W'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['X'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['Y'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['Z'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['['] = C_TARGET | C_VALUE | C_PATH,
    ['\\'] = C_TARGET | C_VALUE | C_PATH,
    [']'] = C_TARGET | C_VALUE | C_PATH,
    ['^'] = C_TCHAR | C_TARGET | C_VALUE | C_PATH,
    ['_'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['`'] = C_TCHAR | C_TARGET | C_VALUE | C_PATH,
    ['a'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['b'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['c'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['d'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['e'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['f'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_HEX | C_PATH,
    ['g'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['h'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['i'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['j'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['k'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['l'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['m'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['n'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['o'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['p'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['q'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['r'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['s'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['t'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['u'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['v'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['w'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['x'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['y'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['z'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    ['{'] = C_TARGET | C_VALUE | C_PATH,
    ['|'] = C_TCHAR | C_TARGET | C_VALUE | C_PATH,
    ['}'] = C_TARGET | C_VALUE | C_PATH,
    ['~'] = C_TCHAR | C_TARGET | C_VALUE | C_HOST | C_PATH,
    /* 0x7F (DEL) is nothing; 0x80-0xFF (obs-text) are value bytes */
    [0x7F] = 0,
    OBS16,
    OBS16,
    OBS16,
    OBS16,
    OBS16,
    OBS16,
    OBS16,
    OBS16,
};

#define IS(c, cls) (ctab[(unsigned char)(c)] & (cls))

/* Most empty lines (CRLF) skipped before a request line. */
#define MAX_LEADING_CRLF 128
/* Longest method accepted (the longest registered one has 17 bytes). */
#define MAX_METHOD 32

/* The scanners below are called with constant classes on the hot path;
 * inlined, each call becomes a loop of its own. */
#if defined(__GNUC__)
#define INLINE inline __attribute__((always_inline))
#else
#define INLINE inline
#endif

/* SWAR helpers: a uint64_t holds 8 input bytes (endianness is irrelevant:
 * each test only asks whether some byte matches). */
#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u
/* Nonzero when some byte of x is < n (n <= 128); exact, as no byte borrows
 * unless one is below n. */
#define HAS_LESS(x, n) (((x)-ONES * (n)) & ~(x)&HIGHS)
/* Nonzero when some byte of x equals b. */
#define HAS_BYTE(x, b) HAS_LESS((x) ^ (ONES * (b)), 1)

/*
 * Returns the first byte in [p, e) that is not of class cls (C_VALUE,
 * C_TARGET or C_PATH), or e. Eight bytes at a time while none of them can
 * stop the scan, then byte by byte through a word that holds something else
 * (HTAB, the terminator, a bad byte).
 */
static INLINE const char *skip_class(const char *p, const char *e, unsigned cls)
{
    assert(cls == C_VALUE || cls == C_TARGET || cls == C_PATH);
    bool value = cls == C_VALUE;
    uint64_t lo = value ? 0x20 : 0x21;
    /* a target byte >= 0x80 stops the fast path; a value byte does not */
    uint64_t high = value ? 0 : HIGHS;
    /* '#' stops a target, '?' a path too (value: DEL again, no effect) */
    unsigned char stop1 = value ? 0x7f : '#';
    unsigned char stop2 = cls == C_PATH ? '?' : stop1;
    for (;;) {
        while (e - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (HAS_LESS(x, lo) | HAS_BYTE(x, 0x7f) | (x & high) |
                HAS_BYTE(x, stop1) | HAS_BYTE(x, stop2))
                break;
            p += 8;
        }
        const char *stop = e - p >= 8 ? p + 8 : e;
        for (; p < stop; p++)
            if (!IS(*p, cls))
                return p;
        if (p == e)
            return e;
    }
}

/*
 * Returns the first byte in [p, e) that is not a tchar, or e. Unrolled by
 * four: field names are short, and the bound check per byte costs as much as
 * the table lookup.
 */
static INLINE const char *skip_tchar(const char *p, const char *e)
{
    while (e - p >= 4) {
        if (!IS(p[0], C_TCHAR))
            return p;
        if (!IS(p[1], C_TCHAR))
            return p + 1;
        if (!IS(p[2], C_TCHAR))
            return p + 2;
        if (!IS(p[3], C_TCHAR))
            return p + 3;
        p += 4;
    }
    while (p < e && IS(*p, C_TCHAR))
        p++;
    return p;
}

void http_limits_default(http_limits *l)
{
    assert(l);
    l->max_target = 8192;
    l->max_header_bytes = 16384;
    l->max_headers = HTTP_MAX_HEADERS;
    l->max_body = 10u * 1024 * 1024;
}

/* True when s equals the lowercase literal lit (n bytes) ignoring ASCII
 * case. */
static bool ieq(kiln_str s, const char *lit, size_t n)
{
    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s.p[i];
        if (c - 'A' < 26u)
            c |= 0x20;
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}
#define IEQ(s, lit) ieq((s), lit, sizeof(lit) - 1)

/* True when s is exactly the bytes of the literal lit. */
#define EQ(s, lit)                                                             \
    ((s).n == sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)

/*
 * Validates uri-host [":" port] (RFC 3986 3.2.2-3): a reg-name of unreserved,
 * sub-delims and %XX escapes (which covers IPv4 addresses), or an IPv6
 * literal in brackets (hex digits, ':' and '.', at least one ':'); then an
 * optional port of at most 5 digits. need_port (CONNECT) requires the port to
 * be present and non-empty. Returns true when h is valid and non-empty.
 */
static bool host_ok(kiln_str h, bool need_port)
{
    size_t i = 0, n = h.n;
    const char *p = h.p;
    if (n == 0)
        return false;
    if (p[0] == '[') {
        bool colon = false;
        for (i = 1; i < n && p[i] != ']'; i++) {
            if (p[i] == ':')
                colon = true;
            else if (!IS(p[i], C_HEX) && p[i] != '.')
                return false;
        }
        if (i == n || !colon)
            return false;
        i++; /* the ']' */
    } else {
        for (;;) {
            while (i < n && IS(p[i], C_HOST))
                i++;
            if (i == n || p[i] != '%')
                break;
            if (n - i < 3 || !IS(p[i + 1], C_HEX) || !IS(p[i + 2], C_HEX))
                return false;
            i += 3;
        }
        if (i == 0)
            return false;
    }
    if (i == n)
        return !need_port;
    if (p[i] != ':')
        return false;
    size_t digits = n - i - 1;
    if (digits > 5 || (need_port && digits == 0))
        return false;
    for (i++; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/*
 * Classifies the request-target (RFC 9112 3.2) and sets path, query and
 * has_query. q is the target's first '?', or its end. Needs method and
 * target. Returns 0 or -400.
 */
static int split_target(http_request *r, const char *q)
{
    static const char root[] = "/";
    const char *p = r->target.p, *end = p + r->target.n;
    assert(r->target.n > 0 && q >= p && q <= end);
    bool connect = EQ(r->method, "CONNECT");
    r->has_query = q < end;
    r->query =
        q < end ? (kiln_str){q + 1, (size_t)(end - q - 1)} : (kiln_str){end, 0};
    if (p[0] == '/' && !connect) {
        r->path = (kiln_str){p, (size_t)(q - p)}; /* origin-form */
        return 0;
    }
    if (connect) {
        /* authority-form, and only that (9112 3.2.3); '?' fails here */
        if (!host_ok(r->target, true))
            return -400;
        r->path = (kiln_str){end, 0};
        return 0;
    }
    if (r->target.n == 1 && p[0] == '*') {
        if (!EQ(r->method, "OPTIONS"))
            return -400; /* asterisk-form is for OPTIONS only (9112 3.2.4) */
        r->path = r->target;
        return 0;
    }
    /* absolute-form: http[s]://authority[/path][?query] */
    size_t skip;
    if (q - p > 7 && IEQ(((kiln_str){p, 7}), "http://"))
        skip = 7;
    else if (q - p > 8 && IEQ(((kiln_str){p, 8}), "https://"))
        skip = 8;
    else
        return -400;
    const char *a = p + skip;
    const char *ae = memchr(a, '/', (size_t)(q - a));
    if (!ae)
        ae = q;
    /* userinfo ('@') and an empty authority fail here (9110 4.2.4) */
    if (!host_ok((kiln_str){a, (size_t)(ae - a)}, false))
        return -400;
    r->path = ae < q ? (kiln_str){ae, (size_t)(q - ae)} : (kiln_str){root, 1};
    return 0;
}

/*
 * Walks the elements of a comma-separated field value (RFC 9110 5.6.1), each
 * with its OWS trimmed; empty elements are returned too. Initialise with
 * {v.p, v.p + v.n, false}.
 */
typedef struct list_iter {
    const char *p, *end;
    bool done;
} list_iter;

/* Sets *item to the next element; returns false after the last one. */
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

/* What the fields seen so far imply; filled as field lines complete. */
typedef struct head_state {
    unsigned hosts;  /* Host fields */
    bool cl_seen;    /* a Content-Length field */
    bool te_seen;    /* a Transfer-Encoding field */
    bool te_chunked; /* the last coding so far is chunked */
    bool te_other;   /* a coding other than chunked was listed */
    bool close;      /* Connection: close */
    bool keep;       /* Connection: keep-alive */
    uint64_t cl;     /* the Content-Length value */
} head_state;

/*
 * Content-Length (RFC 9110 8.6): every element of every field must be
 * 1*DIGIT with the same value. Returns 0, -400, or -413 (over max_body;
 * the value saturates, so 20 or more digits never overflow).
 */
static int on_content_length(head_state *st, kiln_str v, const http_limits *lim)
{
    list_iter it = {v.p, v.p + v.n, false};
    kiln_str item;
    if (st->te_seen)
        return -400; /* with Transfer-Encoding (9112 6.1) */
    while (list_next(&it, &item)) {
        if (item.n == 0)
            return -400;
        uint64_t n = 0;
        for (size_t i = 0; i < item.n; i++) {
            unsigned d = (unsigned char)item.p[i] - (unsigned)'0';
            if (d > 9)
                return -400;
            n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
        }
        if (st->cl_seen && n != st->cl)
            return -400;
        st->cl_seen = true;
        st->cl = n;
    }
    return st->cl > lim->max_body ? -413 : 0;
}

/*
 * Transfer-Encoding (RFC 9112 6.1): adds one field's codings to the list.
 * Returns 0 or -400 (an empty field, a non-token element, a coding after
 * "chunked" - so also "chunked" twice -, with Content-Length, on HTTP/1.0).
 * Whether the list ends in chunked (400) and holds other codings (501) is
 * decided once the head is complete.
 */
static int on_transfer_encoding(head_state *st, kiln_str v, int minor)
{
    list_iter it = {v.p, v.p + v.n, false};
    kiln_str tok;
    bool any = false;
    if (minor == 0 || st->cl_seen)
        return -400;
    st->te_seen = true;
    while (list_next(&it, &tok)) {
        if (tok.n == 0)
            continue; /* empty list elements are allowed (9110 5.6.1) */
        for (size_t i = 0; i < tok.n; i++)
            if (!IS(tok.p[i], C_TCHAR))
                return -400; /* transfer-parameters, or junk */
        if (st->te_chunked)
            return -400; /* chunked must be the last coding, once */
        any = true;
        if (IEQ(tok, "chunked"))
            st->te_chunked = true;
        else
            st->te_other = true;
    }
    return any ? 0 : -400;
}

/* Connection: notes "close" and "keep-alive" among the options. */
static void on_connection(head_state *st, kiln_str v)
{
    list_iter it = {v.p, v.p + v.n, false};
    kiln_str tok;
    while (list_next(&it, &tok)) {
        if (IEQ(tok, "close"))
            st->close = true;
        else if (IEQ(tok, "keep-alive"))
            st->keep = true;
    }
}

/*
 * Applies the meaning of one complete field line to st and r. Names are
 * compared by length first, so most fields cost a switch and nothing else.
 * Returns 0 or a negated status.
 */
static int on_field(http_request *r, head_state *st, kiln_str name, kiln_str v,
                    const http_limits *lim)
{
    switch (name.n) {
    case 4:
        if (IEQ(name, "host")) {
            if (++st->hosts > 1)
                return -400;
            if (v.n == 0 && r->minor == 0)
                return 0; /* an empty Host on 1.0: as if absent */
            if (!host_ok(v, false))
                return -400;
            r->host = v;
        }
        return 0;
    case 6:
        if (IEQ(name, "expect")) {
            if (!IEQ(v, "100-continue"))
                return -417;
            r->expect_continue = true;
        }
        return 0;
    case 10:
        if (IEQ(name, "connection"))
            on_connection(st, v);
        return 0;
    case 14:
        if (IEQ(name, "content-length"))
            return on_content_length(st, v, lim);
        return 0;
    case 17:
        if (IEQ(name, "transfer-encoding"))
            return on_transfer_encoding(st, v, r->minor);
        return 0;
    default:
        return 0;
    }
}

/* The checks that need the whole head; sets body and keep_alive. */
static int on_head_end(http_request *r, const head_state *st)
{
    if (r->minor == 1 && st->hosts != 1)
        return -400; /* 9112 3.2 */
    if (st->te_seen) {
        if (!st->te_chunked)
            return -400; /* the final coding must be chunked (9112 6.3) */
        if (st->te_other)
            return -501; /* gzip, deflate...: not implemented */
        r->body = HTTP_BODY_CHUNKED;
    } else if (st->cl_seen) {
        r->content_length = st->cl;
        r->body = st->cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    }
    r->keep_alive = r->minor == 1 ? !st->close : (st->keep && !st->close);
    return 0;
}

/*
 * Parses "field-name: value CRLF" lines from p until the empty line, into
 * r->headers, applying each field's meaning as its line completes. Every byte
 * of the field lines must lie before fend (the max_header_bytes limit, or the
 * end of the input when capped is false). Sets *endp after the final CRLF.
 * Returns 1 when the empty line was reached, 0 for more input, or a negated
 * status.
 */
static int parse_fields(http_request *r, head_state *st, const char *p,
                        const char *end, const char *fend, bool capped,
                        const http_limits *lim, const char **endp)
{
    unsigned max_fields = lim->max_headers < HTTP_MAX_HEADERS
                              ? lim->max_headers
                              : HTTP_MAX_HEADERS;
    for (;;) {
        if (p == end)
            return 0;
        if (*p == '\r') {
            /* the empty line that ends the head */
            if (end - p < 2)
                return 0;
            if (p[1] != '\n')
                return -400;
            *endp = p + 2;
            return 1;
        }
        if (r->nheaders == max_fields)
            return -431; /* one field too many */
        /* field-name ":" - anything else (obs-fold, whitespace before the
           colon, an empty name, a bare LF, a CTL) is 400 */
        const char *n0 = p;
        p = skip_tchar(p, fend);
        if (p == fend)
            return capped ? -431 : 0; /* the line starts or runs past it */
        if (*p != ':' || p == n0)
            return -400;
        kiln_str name = {n0, (size_t)(p - n0)};
        /* OWS field-value OWS CRLF: the value scan stops at the CR */
        const char *v0 = p + 1;
        const char *v1 = skip_class(v0, fend, C_VALUE);
        if (v1 == fend)
            return capped ? -431 : 0;
        if (*v1 != '\r')
            return -400; /* a bare LF, NUL, another CTL, DEL */
        if (fend - v1 < 2)
            return capped ? -431 : 0; /* the LF would lie past the limit */
        if (v1[1] != '\n')
            return -400; /* a bare CR */
        p = v1 + 2;
        while (v0 < v1 && (*v0 == ' ' || *v0 == '\t'))
            v0++;
        while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t'))
            v1--;
        kiln_str value = {v0, (size_t)(v1 - v0)};
        r->headers[r->nheaders++] = (http_header){name, value};
        int rc = on_field(r, st, name, value, lim);
        if (rc)
            return rc;
    }
}

int http_parse_request(const char *buf, size_t len, const http_limits *lim,
                       http_request *r)
{
    assert(buf || len == 0);
    assert(lim && r);
    if (len == 0)
        return 0; /* (and no arithmetic on a NULL buf) */
    const char *p = buf, *end = buf + len;

    r->nheaders = 0;
    r->has_query = false;
    r->host = KILN_STR_NULL;
    r->body = HTTP_BODY_NONE;
    r->content_length = 0;
    r->keep_alive = false;
    r->expect_continue = false;
    r->head_len = 0;

    /* empty lines before the request line (9112 2.2) */
    while (p < end && (*p == '\r' || *p == '\n')) {
        if (*p == '\n' || p - buf >= 2 * MAX_LEADING_CRLF)
            return -400;
        if (end - p < 2)
            return 0;
        if (p[1] != '\n')
            return -400;
        p += 2;
    }

    /* method SP */
    const char *m = p;
    p = skip_tchar(m, end - m > MAX_METHOD ? m + MAX_METHOD + 1 : end);
    if (p - m > MAX_METHOD)
        return -400;
    if (p == end)
        return 0;
    if (*p != ' ' || p == m)
        return -400;
    r->method = (kiln_str){m, (size_t)(p - m)};
    p++;

    /* request-target SP: the path, then the query from the first '?'; a
       target byte max_target bytes in is 414 */
    const char *t = p;
    const char *tstop =
        (size_t)(end - t) > lim->max_target ? t + lim->max_target + 1 : end;
    p = skip_class(t, tstop, C_PATH);
    const char *q = p;
    if (p < tstop && *p == '?')
        p = skip_class(p + 1, tstop, C_TARGET);
    if ((size_t)(p - t) > lim->max_target)
        return -414;
    if (p == end)
        return 0;
    if (*p != ' ' || p == t)
        return -400; /* CTL, DEL, >= 0x80, '#', a bare CR or LF */
    r->target = (kiln_str){t, (size_t)(p - t)};
    p++;

    /* HTTP-version CRLF: "HTTP/" DIGIT "." DIGIT, each byte as it comes;
       an unsupported version is 505 as soon as its last digit is there.
       The common case first, in one comparison. */
    const char *v = p;
    if (end - p >= 10 && memcmp(p, "HTTP/1.", 7) == 0 &&
        (p[7] == '1' || p[7] == '0') && p[8] == '\r' && p[9] == '\n') {
        p += 10;
    } else {
        static const char ver[] = "HTTP/#.#\r\n";
        for (size_t k = 0; k < sizeof ver - 1; k++, p++) {
            if (k == 8 && (v[5] != '1' || (v[7] != '0' && v[7] != '1')))
                return -505;
            if (p == end)
                return 0;
            bool ok = ver[k] == '#' ? (*p >= '0' && *p <= '9') : *p == ver[k];
            if (!ok)
                return -400;
        }
    }
    r->minor = v[7] - '0';
    int rc = split_target(r, q);
    if (rc)
        return rc;

    /* field lines, then the checks that need the whole head */
    bool capped = (size_t)(end - p) > lim->max_header_bytes;
    const char *fend = capped ? p + lim->max_header_bytes : end;
    head_state st = {0};
    rc = parse_fields(r, &st, p, end, fend, capped, lim, &p);
    if (rc <= 0)
        return rc;
    size_t head = (size_t)(p - buf);
    if (head > INT_MAX)
        return -431; /* only with absurd limits */
    rc = on_head_end(r, &st);
    if (rc)
        return rc;
    if (!r->host.p)
        r->host = (kiln_str){r->target.p, 0}; /* a view inside buf */
    r->head_len = head;
    return (int)head;
}

/*
 * Contract in parse.h. Lines follow the header-field rules of
 * http_parse_request (token name, ':' right after it, value bytes, CRLF);
 * more than max lines is -400 too.
 */
int http_parse_fields(const char *p, size_t n, http_header *out, unsigned max)
{
    assert(p || n == 0);
    if (n == 0)
        return 0; /* (and no arithmetic on a NULL p) */
    const char *e = p + n;
    unsigned k = 0;
    while (p < e) {
        const char *n0 = p;
        while (p < e && IS(*p, C_TCHAR))
            p++;
        if (p == e || *p != ':' || p == n0 || k >= max)
            return -400;
        kiln_str name = {n0, (size_t)(p - n0)};
        const char *v0 = p + 1;
        const char *v1 = skip_class(v0, e, C_VALUE);
        if (e - v1 < 2 || v1[0] != '\r' || v1[1] != '\n')
            return -400;
        p = v1 + 2;
        while (v0 < v1 && (*v0 == ' ' || *v0 == '\t'))
            v0++;
        while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t'))
            v1--;
        out[k].name = name;
        out[k].value = (kiln_str){v0, (size_t)(v1 - v0)};
        k++;
    }
    return (int)k;
}
