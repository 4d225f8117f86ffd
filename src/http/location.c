/*
 * http/location.c - a redirect target checked and written for a Location
 * header (see location.h for the rules).
 *
 * Why refuse rather than repair: a control byte in a target is either a
 * bug or an attack (CR LF ends the header and writes the attacker's own),
 * and a scheme such as "javascript:" is never a redirect a site means to
 * send. Encoding is only for bytes with one obvious meaning (a space, a
 * UTF-8 letter), which is what a browser would send for them anyway.
 */
#include "http/location.h"

#include <stdbool.h>
#include <string.h>

static bool is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
           (ch >= 'A' && ch <= 'F');
}

static bool is_alpha(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* True for the bytes RFC 3986 never allows raw in a URI reference. */
static bool must_encode(unsigned char ch)
{
    return ch >= 0x80 || ch == ' ' || ch == '"' || ch == '<' || ch == '>' ||
           ch == '\\' || ch == '^' || ch == '`' || ch == '{' || ch == '|' ||
           ch == '}';
}

/* True when s[0..n) equals the lower-case word w, ignoring case. */
static bool word_is(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if (ch != (unsigned char)w[i])
            return false;
    }
    return true;
}

/*
 * Checks the scheme of in[0..n), if it has one: a ':' in the first segment
 * (before any '/', '?' or '#') makes it "scheme:...", which must be http or
 * https followed by "//" and a host. Returns true when in is acceptable.
 */
static bool scheme_ok(const char *in, size_t n)
{
    size_t colon = 0;
    while (colon < n && in[colon] != ':' && in[colon] != '/' &&
           in[colon] != '?' && in[colon] != '#')
        colon++;
    if (colon == n || in[colon] != ':')
        return true; /* no scheme: a relative reference */
    if (colon == 0 || !is_alpha((unsigned char)in[0]))
        return false;
    for (size_t i = 1; i < colon; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (!is_alpha(ch) && !(ch >= '0' && ch <= '9') && ch != '+' &&
            ch != '-' && ch != '.')
            return false;
    }
    if (!word_is(in, colon, "http") && !word_is(in, colon, "https"))
        return false;
    size_t rest = colon + 1;
    return n - rest > 2 && in[rest] == '/' && in[rest + 1] == '/' &&
           in[rest + 2] != '/' && in[rest + 2] != '?' && in[rest + 2] != '#';
}

int http_location_encode(const char *in, size_t n, char *out, size_t *out_n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (n == 0)
        return HTTP_LOCATION_EMPTY;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch < 0x20 || ch == 0x7f)
            return HTTP_LOCATION_CONTROL;
    }
    if (!scheme_ok(in, n))
        return HTTP_LOCATION_SCHEME;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        bool escape = ch == '%' && i + 2 < n &&
                      is_hex((unsigned char)in[i + 1]) &&
                      is_hex((unsigned char)in[i + 2]);
        if (must_encode(ch) || (ch == '%' && !escape)) {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
    *out_n = o;
    return 0;
}
