/*
 * fuzz/fuzz_accept.c - libFuzzer target for content negotiation on Accept
 * (src/http/accept.c).
 *
 * The input is an Accept field value; a '\n' splits it into several field
 * lines. Checks: every rank is -1 (no range) or a weight 0..1000 with a
 * specificity 1..; the HTML preference agrees with the three ranks it is
 * made of; one line rated alone equals the same line passed as a list of
 * one; a qvalue that parses is within 0..1000. A failed check aborts.
 */
#include "http/accept.h"

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

static void check_rank(const http_accept_rank *r)
{
    FUZZ_CHECK((r->q == -1 && r->spec == 0) ||
               (r->q >= 0 && r->q <= 1000 && r->spec >= 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_str lines[16];
    size_t n = 0;
    const char *p = (const char *)data, *end = p + size;
    while (n < 16) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        lines[n++] = (kiln_str){p, (size_t)((nl ? nl : end) - p)};
        if (!nl)
            break;
        p = nl + 1;
    }
    http_accept_rank h = {-1, 0}, j = {-1, 0}, pj = {-1, 0};
    for (size_t i = 0; i < n; i++) {
        http_accept_rate(lines[i], "text/html", &h);
        http_accept_rate(lines[i], "application/json", &j);
        http_accept_rate(lines[i], "application/problem+json", &pj);
        check_rank(&h);
        check_rank(&j);
        check_rank(&pj);
    }
    int qj = j.q > pj.q ? j.q : pj.q;
    FUZZ_CHECK(http_accept_prefers_html(lines, n) == (h.q > 0 && h.q > qj));

    http_accept_rank one = {-1, 0};
    http_accept_rate(lines[0], "text/html", &one);
    http_accept_rank h1 = {-1, 0}, j1 = {-1, 0}, p1 = {-1, 0};
    http_accept_rate(lines[0], "text/html", &h1);
    http_accept_rate(lines[0], "application/json", &j1);
    http_accept_rate(lines[0], "application/problem+json", &p1);
    FUZZ_CHECK(one.q == h1.q && one.spec == h1.spec);
    int q1 = j1.q > p1.q ? j1.q : p1.q;
    FUZZ_CHECK(http_accept_prefers_html(lines, 1) == (h1.q > 0 && h1.q > q1));

    int q = -1;
    if (http_qvalue_parse(lines[0], &q) == 0)
        FUZZ_CHECK(q >= 0 && q <= 1000 && lines[0].n <= 5);
    return 0;
}
