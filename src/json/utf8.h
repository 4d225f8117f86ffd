/*
 * json/utf8.h - the one UTF-8 well-formedness check shared by the JSON writer
 * (which replaces ill-formed input with U+FFFD) and the parser (which rejects
 * it). Internal to src/json; header-only so both files inline it.
 */
#ifndef KILN_JSON_UTF8_H
#define KILN_JSON_UTF8_H

#include <assert.h>
#include <stddef.h>

/*
 * Checks the UTF-8 sequence that starts at s[0] (n >= 1 bytes available).
 * Returns its length (1 to 4) when it is well-formed per Unicode Table 3-7:
 * no overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF.
 * Otherwise returns 0 and sets *bad to the length of the maximal subpart
 * (1 to 3): the bytes that one U+FFFD replaces under the Unicode "maximal
 * subpart" practice (Unicode 15, section 3.9), so decoders agree on output.
 */
static inline size_t json_utf8_len(const unsigned char *s, size_t n,
                                   size_t *bad)
{
    assert(n >= 1);
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c < 0xC2) { /* continuation byte or overlong 2-byte lead */
        *bad = 1;
        return 0;
    }
    if (c < 0xE0) {
        len = 2;
    } else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates U+D800..U+DFFF */
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80; /* only the second byte has a narrowed range */
        hi = 0xBF;
    }
    return len;
}

#endif
