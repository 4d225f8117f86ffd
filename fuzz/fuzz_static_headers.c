/*
 * fuzz/fuzz_static_headers.c - libFuzzer target for the request-header
 * parsers of static files (src/static/cond.c): Range, entity-tag lists,
 * HTTP-dates, Accept-Encoding, and the served-path check.
 *
 * The first input byte picks a representation size; the rest is the header
 * value. Checks: a satisfiable range lies inside the representation; q
 * values stay in 0..1000; a path accepted as servable has no "." or ".."
 * segment, no leading-dot segment, no backslash and no control byte; a
 * parsed date formats back (IMF-fixdate) to a date that parses to the same
 * time. A failed check aborts.
 */
#include "static/static.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int64_t sizes[] = {0, 1, 2, 100, 4096, 1 << 20, INT64_MAX / 2};
    int64_t rsize = sizes[data[0] % (sizeof sizes / sizeof sizes[0])];
    kiln_str v = {(const char *)data + 1, size - 1};

    int64_t first = -1, last = -1;
    int r = static_range_parse(v, rsize, &first, &last);
    FUZZ_CHECK(r == STATIC_RANGE_NONE || r == STATIC_RANGE_OK ||
               r == STATIC_RANGE_UNSAT);
    if (r == STATIC_RANGE_OK)
        FUZZ_CHECK(first >= 0 && first <= last && last < rsize);

    static_accept acc = static_accept_parse(v);
    FUZZ_CHECK(acc.br >= 0 && acc.br <= 1000 && acc.gzip >= 0 &&
               acc.gzip <= 1000);

    (void)static_etag_match(v, KILN_STR("\"abc\""), true);
    (void)static_etag_match(v, KILN_STR("\"abc\""), false);
    /* "*" matches any current representation; nothing matches nothing */
    FUZZ_CHECK(static_etag_match(KILN_STR("*"), KILN_STR("\"x\""), false));

    int64_t t = 0;
    if (static_http_date_parse(v, &t) == 0 && t >= 0 && t < 253402300800) {
        time_t tt = (time_t)t;
        struct tm tm;
        char buf[64];
        FUZZ_CHECK(gmtime_r(&tt, &tm) != NULL);
        size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        int64_t t2 = -1;
        FUZZ_CHECK(n > 0 &&
                   static_http_date_parse((kiln_str){buf, n}, &t2) == 0 &&
                   t2 == t);
    }

    if (static_path_ok(v)) {
        FUZZ_CHECK(v.n > 0 && memchr(v.p, '\\', v.n) == NULL);
        for (size_t i = 0; i < v.n; i++)
            FUZZ_CHECK((unsigned char)v.p[i] >= 0x20 && v.p[i] != 0x7f);
        for (size_t i = 0; i < v.n; i++)
            if (i == 0 || v.p[i - 1] == '/')
                FUZZ_CHECK(v.p[i] != '.' && v.p[i] != '/');
    }
    char *z = malloc(v.n + 1);
    if (z) {
        memcpy(z, v.p, v.n);
        z[v.n] = 0;
        (void)static_name_hashed(z);
        free(z);
    }
    return 0;
}
