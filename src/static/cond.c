/*
 * static/cond.c - the request-header grammar static serving needs (RFC 9110
 * sections 8.8, 12.5.3, 13.1 and 14), as pure functions over bytes: path
 * checks, Range, entity-tag lists, HTTP dates, Accept-Encoding, hashed
 * names. Contracts in static/static.h.
 */
#include "static/static.h"

#include "core/civil.h"

#include <string.h>

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static kiln_str trim(kiln_str s)
{
    while (s.n && is_ows(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_ows(s.p[s.n - 1]))
        s.n--;
    return s;
}

bool static_path_ok(kiln_str rel)
{
    if (rel.n == 0 || rel.p[rel.n - 1] == '/')
        return false;
    bool seg_start = true;
    for (size_t i = 0; i < rel.n; i++) {
        unsigned char c = (unsigned char)rel.p[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return false;
        if (seg_start && (c == '/' || c == '.'))
            return false; /* empty segment, dotfile, "." or ".." */
        seg_start = c == '/';
    }
    return true;
}

/* Parses digits at *p (up to end) into *v, saturating at INT64_MAX.
 * Returns false when there is no digit. */
static bool parse_num(const char **p, const char *end, int64_t *v)
{
    const char *s = *p;
    int64_t n = 0;
    while (s < end && is_digit(*s)) {
        int d = *s - '0';
        n = n > (INT64_MAX - d) / 10 ? INT64_MAX : n * 10 + d;
        s++;
    }
    if (s == *p)
        return false;
    *p = s;
    *v = n;
    return true;
}

int static_range_parse(kiln_str v, int64_t size, int64_t *first, int64_t *last)
{
    v = trim(v);
    if (v.n < 6 || !kiln_str_ieq(KILN_STR("bytes="), (kiln_str){v.p, 6}))
        return STATIC_RANGE_NONE;
    const char *p = v.p + 6, *end = v.p + v.n;
    if (memchr(p, ',', (size_t)(end - p)))
        return STATIC_RANGE_NONE; /* several ranges: the whole file */
    while (p < end && is_ows(*p))
        p++;
    int64_t a = -1, b = -1;
    if (p < end && *p != '-' && !parse_num(&p, end, &a))
        return STATIC_RANGE_NONE;
    if (p == end || *p != '-')
        return STATIC_RANGE_NONE;
    p++;
    if (p < end && is_digit(*p))
        parse_num(&p, end, &b);
    while (p < end && is_ows(*p))
        p++;
    if (p != end || (a < 0 && b < 0))
        return STATIC_RANGE_NONE;
    if (a >= 0 && b >= 0 && b < a)
        return STATIC_RANGE_NONE; /* invalid: ignored, as RFC 9110 says */
    if (size <= 0)
        return STATIC_RANGE_NONE;
    if (a < 0) { /* suffix: the last b bytes */
        if (b == 0)
            return STATIC_RANGE_UNSAT;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return STATIC_RANGE_OK;
    }
    if (a >= size)
        return STATIC_RANGE_UNSAT;
    *first = a;
    *last = b < 0 || b >= size ? size - 1 : b;
    return STATIC_RANGE_OK;
}

/* The opaque tag of an entity-tag (without W/). */
static kiln_str opaque(kiln_str t, bool *weak)
{
    *weak = t.n >= 2 && t.p[0] == 'W' && t.p[1] == '/';
    if (*weak) {
        t.p += 2;
        t.n -= 2;
    }
    return t;
}

bool static_etag_match(kiln_str v, kiln_str etag, bool weak)
{
    const char *p = v.p, *end = v.p + v.n;
    bool etag_weak;
    kiln_str want = opaque(etag, &etag_weak);
    if (!weak && etag_weak)
        return false;
    while (p < end) {
        while (p < end && (is_ows(*p) || *p == ','))
            p++;
        if (p == end)
            break;
        if (*p == '*')
            return true;
        const char *s = p;
        if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
            p += 2;
        if (p == end || *p != '"')
            return false; /* malformed list: no match */
        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!q)
            return false;
        p = q + 1;
        bool tag_weak;
        kiln_str tag = opaque((kiln_str){s, (size_t)(p - s)}, &tag_weak);
        if ((weak || !tag_weak) && kiln_str_eq(tag, want))
            return true;
        while (p < end && is_ows(*p))
            p++;
        if (p < end && *p != ',')
            return false;
    }
    return false;
}

/* ---- HTTP-date --------------------------------------------------------- */

static int month_of(const char *p)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (memcmp(p, months + 3 * i, 3) == 0)
            return i;
    return -1;
}

/* Reads exactly n digits. */
static bool digits(const char *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return false;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return true;
}

/* "HH:MM:SS" */
static bool clock_of(const char *p, int *h, int *mi, int *s)
{
    return digits(p, 2, h) && p[2] == ':' && digits(p + 3, 2, mi) &&
           p[5] == ':' && digits(p + 6, 2, s) && *h < 24 && *mi < 60 && *s < 61;
}

int static_http_date_parse(kiln_str v, int64_t *t)
{
    v = trim(v);
    const char *p = v.p;
    int y, mon, d, h, mi, s;
    if (v.n == 29 && p[3] == ',') {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        if (p[4] != ' ' || !digits(p + 5, 2, &d) || p[7] != ' ' ||
            (mon = month_of(p + 8)) < 0 || p[11] != ' ' ||
            !digits(p + 12, 4, &y) || p[16] != ' ' ||
            !clock_of(p + 17, &h, &mi, &s) || memcmp(p + 25, " GMT", 4) != 0)
            return KILN_EINVAL;
    } else if (v.n == 24 && p[3] == ' ') {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        if ((mon = month_of(p + 4)) < 0 || p[7] != ' ' ||
            !(p[8] == ' ' ? digits(p + 9, 1, &d) : digits(p + 8, 2, &d)) ||
            p[10] != ' ' || !clock_of(p + 11, &h, &mi, &s) || p[19] != ' ' ||
            !digits(p + 20, 4, &y))
            return KILN_EINVAL;
    } else {
        /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
        const char *c = memchr(p, ',', v.n);
        if (!c || (size_t)(c - p) + 24 != v.n)
            return KILN_EINVAL;
        c++;
        if (c[0] != ' ' || !digits(c + 1, 2, &d) || c[3] != '-' ||
            (mon = month_of(c + 4)) < 0 || c[7] != '-' ||
            !digits(c + 8, 2, &y) || c[10] != ' ' ||
            !clock_of(c + 11, &h, &mi, &s) || memcmp(c + 19, " GMT", 4) != 0)
            return KILN_EINVAL;
        y += y < 70 ? 2000 : 1900; /* RFC 9110 5.6.7: within 50 years */
    }
    if (d < 1 || d > 31)
        return KILN_EINVAL;
    *t = civil_days(y, mon + 1, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

/* ---- Accept-Encoding --------------------------------------------------- */

/* Parses ";q=0.5" style weight parameters; returns q * 1000 (default 1000). */
static int weight_of(kiln_str params)
{
    const char *p = params.p, *end = params.p + params.n;
    int q = 1000;
    while (p < end) {
        while (p < end && (is_ows(*p) || *p == ';'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            p += 2;
            if (p < end && *p == '1') {
                q = 1000;
            } else if (p < end && *p == '0') {
                q = 0;
                if (p + 1 < end && p[1] == '.') {
                    int scale = 100;
                    for (const char *k = p + 2;
                         k < end && is_digit(*k) && scale > 0; k++, scale /= 10)
                        q += (*k - '0') * scale;
                }
            } else {
                return 0; /* malformed weight: treat as not acceptable */
            }
        }
        while (p < end && *p != ';')
            p++;
    }
    return q;
}

static_accept static_accept_parse(kiln_str v)
{
    static_accept a = {0, 0};
    int star = -1, br = -1, gz = -1;
    const char *p = v.p, *end = v.p + v.n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        const char *semi = memchr(p, ';', (size_t)(e - p));
        kiln_str name = trim((kiln_str){p, (size_t)((semi ? semi : e) - p)});
        int q = semi ? weight_of((kiln_str){semi, (size_t)(e - semi)}) : 1000;
        if (kiln_str_ieq_c(name, "br"))
            br = q;
        else if (kiln_str_ieq_c(name, "gzip") || kiln_str_ieq_c(name, "x-gzip"))
            gz = q > gz ? q : gz;
        else if (kiln_str_ieq_c(name, "*"))
            star = q;
        p = comma ? comma + 1 : end;
    }
    a.br = br >= 0 ? br : star > 0 ? star : 0;
    a.gzip = gz >= 0 ? gz : star > 0 ? star : 0;
    return a;
}

/* ---- names ------------------------------------------------------------- */

bool static_name_hashed(const char *path)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    const char *ext = strrchr(name, '.');
    if (!ext || ext == name)
        return false; /* no extension: nothing marks a hash part */
    size_t run = 0;
    for (const char *p = name; p <= ext; p++) {
        if (p < ext && is_hex(*p)) {
            run++;
            continue;
        }
        if (p == ext || *p == '.' || *p == '-') {
            if (run >= 8)
                return true;
            run = 0;
        } else {
            /* a non-hex letter: skip to the end of this part */
            while (p < ext && *p != '.' && *p != '-')
                p++;
            p--;
            run = 0;
        }
    }
    return false;
}

uint64_t static_hash(const void *data, size_t n)
{
    /* 8 bytes a step, multiply-xorshift mixing; seeded with the length */
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        k *= 0x87c37b91114253d5ull;
        k ^= k >> 31;
        h = (h ^ k) * 0x4cf5ad432745937full;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t k = 0;
    memcpy(&k, p, n);
    h = (h ^ (k * 0x87c37b91114253d5ull)) * 0x4cf5ad432745937full;
    h ^= h >> 32;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}
