/*
 * fuzz/fuzz_location.c - redirect targets (http_location_encode). An
 * accepted target is written with no control byte, no byte a URI cannot
 * hold raw and every '%' starting an escape; it is at most three times
 * the input, encoding it again changes nothing, its first segment holds
 * a ':' only as "http://" or "https://" with a host, and, when the input
 * held no '%', decoding it gives the input back. A refused input holds a
 * control byte, is empty, or has a scheme.
 */
#include "http/location.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *in = (const char *)data;
    char *out = malloc(3 * size + 1);
    assert(out);
    size_t n = 0;
    int rc = http_location_encode(in, size, out, &n);
    bool control = false;
    for (size_t i = 0; i < size; i++)
        control |= data[i] < 0x20 || data[i] == 0x7f;
    if (rc != 0) {
        assert(rc == HTTP_LOCATION_EMPTY || rc == HTTP_LOCATION_CONTROL ||
               rc == HTTP_LOCATION_SCHEME);
        assert((rc == HTTP_LOCATION_EMPTY) == (size == 0));
        assert((rc == HTTP_LOCATION_CONTROL) == (size > 0 && control));
        if (rc == HTTP_LOCATION_SCHEME)
            assert(memchr(in, ':', size));
        free(out);
        return 0;
    }
    assert(size > 0 && !control);
    assert(n >= size && n <= 3 * size && out[n] == '\0');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)out[i];
        assert(ch > 0x20 && ch < 0x7f);
        assert(!strchr("\"<>\\^`{|}", ch));
        if (ch == '%')
            assert(i + 2 < n && hexval(out[i + 1]) >= 0 &&
                   hexval(out[i + 2]) >= 0);
    }
    size_t first = strcspn(out, "/?#");
    if (memchr(out, ':', first))
        assert((strncasecmp(out, "http://", 7) == 0 && n > 7 &&
                !strchr("/?#", out[7])) ||
               (strncasecmp(out, "https://", 8) == 0 && n > 8 &&
                !strchr("/?#", out[8])));
    char *again = malloc(3 * n + 1);
    assert(again);
    size_t m = 0;
    assert(http_location_encode(out, n, again, &m) == 0);
    assert(m == n && memcmp(again, out, n) == 0);
    if (!memchr(in, '%', size)) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++, k++) {
            if (out[i] == '%') {
                again[k] = (char)(hexval(out[i + 1]) * 16 + hexval(out[i + 2]));
                i += 2;
            } else {
                again[k] = out[i];
            }
        }
        assert(k == size && memcmp(again, in, size) == 0);
    }
    free(again);
    free(out);
    return 0;
}
