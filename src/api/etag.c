/*
 * api/etag.c - the CRUD API's entity tags (docs/api.md): a row's strong
 * ETag, and the If-Match / If-None-Match header lists compared with it
 * (RFC 9110 section 13.1). Pure: the header is outside input, unit-tested
 * and fuzzed.
 */
#include "api/api_impl.h"
#include "core/sha256.h"

#include <string.h>

void api_etag(const char *json, size_t n, char out[35])
{
    char hex[65];
    sha256_hex(json, n, hex);
    out[0] = '"';
    memcpy(out + 1, hex, 32);
    out[33] = '"';
    out[34] = 0;
}

bool api_etag_match(kiln_str h, const char *etag, bool strong)
{
    size_t elen = strlen(etag);
    size_t i = 0;
    while (i < h.n) {
        while (i < h.n && (h.p[i] == ' ' || h.p[i] == '\t' || h.p[i] == ','))
            i++;
        if (i >= h.n)
            break;
        if (h.p[i] == '*')
            return true;
        bool weak = false;
        if (i + 1 < h.n && h.p[i] == 'W' && h.p[i + 1] == '/') {
            weak = true;
            i += 2;
        }
        size_t s = i;
        if (i < h.n && h.p[i] == '"') {
            i++;
            while (i < h.n && h.p[i] != '"')
                i++;
            if (i < h.n)
                i++;
        } else {
            while (i < h.n && h.p[i] != ',')
                i++;
        }
        if (!(strong && weak) && i - s == elen &&
            memcmp(h.p + s, etag, elen) == 0)
            return true;
    }
    return false;
}
