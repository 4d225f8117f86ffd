/*
 * json/unescape.h - decoding one JSON string escape (RFC 8259, section 7),
 * shared by the generic parser (parse.c) and the schema-directed decoder
 * (src/schema/decode_json.c), so both accept and reject exactly the same
 * escapes. Header-only so both inline it.
 */
#ifndef KILN_JSON_UNESCAPE_H
#define KILN_JSON_UNESCAPE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads the 4 hex digits of a \u escape at s (end bounds the input) into *cp.
 * Returns 0 when fewer than 4 hex digits are there, else 1.
 */
static inline int json_read_hex4(const char *s, const char *end, uint32_t *cp)
{
    uint32_t v = 0;
    if (end - s < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return 0;
        v = v << 4 | d;
    }
    *cp = v;
    return 1;
}

/* Writes the UTF-8 encoding of the scalar value cp to u; returns its length
   (1 to 4). */
static inline size_t json_encode_utf8(uint32_t cp, char u[4])
{
    assert(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
    if (cp < 0x80) {
        u[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (char)(0xF0 | cp >> 18);
    u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decodes the escape at s (s[0] == '\\'; end bounds the input) into out (1
 * to 4 bytes of UTF-8, their number in *outn). A high surrogate escape must
 * be followed by a low surrogate escape; the pair becomes one 4-byte
 * sequence. Returns the number of input bytes read (2, 6 or 12), or 0 with
 * *why set to a static message for an invalid escape. The decoded bytes are
 * never more than the bytes read, so a decoder can size its output by its
 * input.
 */
static inline size_t json_unescape(const char *s, const char *end, char out[4],
                                   size_t *outn, const char **why)
{
    uint32_t cp, lo;
    assert(s < end && *s == '\\');
    if (end - s < 2) {
        *why = "unterminated string";
        return 0;
    }
    *outn = 1;
    switch (s[1]) {
    case '"':
    case '\\':
    case '/':
        out[0] = s[1];
        return 2;
    case 'b':
        out[0] = '\b';
        return 2;
    case 'f':
        out[0] = '\f';
        return 2;
    case 'n':
        out[0] = '\n';
        return 2;
    case 'r':
        out[0] = '\r';
        return 2;
    case 't':
        out[0] = '\t';
        return 2;
    case 'u':
        break;
    default:
        *why = "invalid escape in string";
        return 0;
    }
    if (!json_read_hex4(s + 2, end, &cp)) {
        *why = "\\u must be followed by 4 hex digits";
        return 0;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        *why = "low surrogate escape without a high one";
        return 0;
    }
    if (cp < 0xD800 || cp > 0xDBFF) {
        *outn = json_encode_utf8(cp, out);
        return 6;
    }
    if (end - s < 12 || s[6] != '\\' || s[7] != 'u' ||
        !json_read_hex4(s + 8, end, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
        *why = "high surrogate escape not followed by a low one";
        return 0;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    *outn = json_encode_utf8(cp, out);
    return 12;
}

#endif
