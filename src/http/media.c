/*
 * http/media.c - header values with parameters (see media.h for the
 * grammar and where it is kinder than the RFCs).
 */
#include "http/media.h"

#include <assert.h>
#include <string.h>

/* True for a tchar (RFC 9110 5.6.2). */
static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* True for an attr-char of RFC 8187 (what an ext-value may hold raw). */
static bool is_attr_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("!#$&+-.^_`|~", ch));
}

/* True for a qdtext byte (RFC 9110 5.6.4) other than the backslash. */
static bool is_qdtext(unsigned char ch)
{
    return ch == '\t' || ch == ' ' || ch == 0x21 ||
           (ch >= 0x23 && ch <= 0x7e && ch != '\\') || ch >= 0x80;
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    return p;
}

/* Contract in media.h. */
int http_media_split(kiln_str v, bool media_type, kiln_str *head,
                     kiln_str *params)
{
    assert(head && params);
    const char *p = v.p, *end = v.p + v.n;
    if (!p)
        return KILN_EPARSE;
    p = skip_ows(p, end);
    const char *h0 = p;
    p = skip_token(p, end);
    if (p == h0)
        return KILN_EPARSE;
    if (media_type) {
        if (p == end || *p != '/')
            return KILN_EPARSE;
        const char *s0 = ++p;
        p = skip_token(p, end);
        if (p == s0)
            return KILN_EPARSE;
    }
    *head = (kiln_str){h0, (size_t)(p - h0)};
    p = skip_ows(p, end);
    if (p < end && *p != ';')
        return KILN_EPARSE;
    *params = (kiln_str){p, (size_t)(end - p)};
    return 0;
}

/* The end of the quoted-string that starts at p ('"'), past its closing
 * quote, or NULL when it is malformed or unterminated. */
static const char *skip_quoted(const char *p, const char *end)
{
    assert(p < end && *p == '"');
    for (p++; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p + 1;
        if (ch == '\\') {
            /* an escape only before '"' or '\'; else a literal '\' */
            if (p + 1 < end && (p[1] == '"' || p[1] == '\\'))
                p++;
            continue;
        }
        if (!is_qdtext(ch))
            return NULL;
    }
    return NULL;
}

/* Contract in media.h. */
int http_param_next(http_param_iter *it, kiln_str *name, kiln_str *raw)
{
    assert(it && name && raw);
    if (!it->p)
        return KILN_EPARSE; /* stays at the error */
    const char *p = it->p, *end = it->end;
    for (;;) {
        p = skip_ows(p, end);
        if (p == end) {
            it->p = p;
            return 0;
        }
        if (*p != ';')
            goto bad;
        p = skip_ows(p + 1, end);
        if (p < end && *p != ';')
            break;
        /* an empty parameter: ";;" or a trailing ';' */
    }
    const char *n0 = p;
    p = skip_token(p, end);
    if (p == n0)
        goto bad;
    *name = (kiln_str){n0, (size_t)(p - n0)};
    p = skip_ows(p, end);
    if (p == end || *p != '=')
        goto bad;
    p = skip_ows(p + 1, end);
    const char *v0 = p;
    if (p < end && *p == '"')
        p = skip_quoted(p, end);
    else
        p = skip_token(p, end);
    if (!p || p == v0)
        goto bad;
    *raw = (kiln_str){v0, (size_t)(p - v0)};
    it->p = p;
    return 1;
bad:
    it->p = NULL;
    return KILN_EPARSE;
}

/* Contract in media.h. */
size_t http_param_unquote(kiln_str raw, char *out)
{
    assert(out);
    size_t k = 0;
    if (raw.n >= 2 && raw.p[0] == '"') {
        const char *p = raw.p + 1, *end = raw.p + raw.n - 1;
        for (; p < end; p++) {
            if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
                p++;
            out[k++] = *p;
        }
    } else {
        if (raw.n)
            memcpy(out, raw.p, raw.n);
        k = raw.n;
    }
    out[k] = '\0';
    return k;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Contract in media.h. */
int http_param_ext_decode(kiln_str raw, char *out, size_t *n)
{
    assert(out && n);
    const char *p = raw.p, *end = raw.p + raw.n;
    const char *q1 = raw.n ? memchr(p, '\'', raw.n) : NULL;
    if (!q1)
        return KILN_EPARSE;
    kiln_str charset = {p, (size_t)(q1 - p)};
    bool latin1;
    if (kiln_str_ieq_c(charset, "UTF-8"))
        latin1 = false;
    else if (kiln_str_ieq_c(charset, "ISO-8859-1"))
        latin1 = true;
    else
        return KILN_EPARSE;
    const char *q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
    if (!q2)
        return KILN_EPARSE;
    size_t k = 0;
    for (p = q2 + 1; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '%') {
            if (end - p < 3)
                return KILN_EPARSE;
            int hi = hexval((unsigned char)p[1]),
                lo = hexval((unsigned char)p[2]);
            if (hi < 0 || lo < 0)
                return KILN_EPARSE;
            ch = (unsigned char)(hi * 16 + lo);
            p += 2;
            if (ch < 0x20 || ch == 0x7f)
                return KILN_EPARSE;
        } else if (!is_attr_char(ch)) {
            return KILN_EPARSE;
        }
        if (latin1 && ch >= 0x80) {
            out[k++] = (char)(0xc0 | (ch >> 6));
            out[k++] = (char)(0x80 | (ch & 0x3f));
        } else {
            out[k++] = (char)ch;
        }
    }
    out[k] = '\0';
    *n = k;
    return 0;
}
