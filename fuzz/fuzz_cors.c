/*
 * fuzz/fuzz_cors.c - libFuzzer target for the CORS list check
 * (cors_list_subset in src/server/cors.c).
 *
 * The input is "requested\nallowed". Checks: the empty list is a subset
 * of anything; a subset stays one when the allowed list grows by it; only
 * a list of empty elements is a subset of the empty list. A failed check
 * aborts.
 */
#include "server/cors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const char *p = (const char *)data;
    const char *nl = memchr(p, '\n', size);
    kiln_str req = {p, nl ? (size_t)(nl - p) : size};
    kiln_str allowed = nl ? (kiln_str){nl + 1, size - req.n - 1} : req;
    bool sub = cors_list_subset(req, allowed);
    FUZZ_CHECK(cors_list_subset((kiln_str){"", 0}, allowed));
    if (cors_list_subset(allowed, allowed) && sub) {
        /* allowed, then req appended: still covers req */
        char *both = malloc(allowed.n + req.n + 2);
        if (!both)
            return 0;
        memcpy(both, allowed.p, allowed.n);
        both[allowed.n] = ',';
        memcpy(both + allowed.n + 1, req.p, req.n);
        FUZZ_CHECK(
            cors_list_subset(req, (kiln_str){both, allowed.n + 1 + req.n}));
        free(both);
    }
    if (sub && allowed.n == 0) /* nothing allowed: only empty elements */
        for (size_t i = 0; i < req.n; i++)
            FUZZ_CHECK(req.p[i] == ',' || req.p[i] == ' ' || req.p[i] == '\t');
    return 0;
}
