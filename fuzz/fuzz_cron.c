/*
 * fuzz/fuzz_cron.c - libFuzzer target for the cron parser
 * (src/tasks/cron.c).
 *
 * A refused expression gets a one-line message ending in "(column N)"
 * with N inside the input (or one past its end). An accepted one fires:
 * from several start times, cron_next gives a later second that
 * cron_matches, and the next whole minute (or second) after the start
 * that matches, if it comes before, is that answer. A failed check aborts.
 */
#include "tasks/cron.h"

#include <kiln/core.h>

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
    if (size > 256)
        return 0; /* a cron line is short; longer inputs add nothing */
    cron_expr c;
    char err[200] = "";
    int rc = cron_parse((const char *)data, size, &c, err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc == KILN_EPARSE);
        FUZZ_CHECK(strchr(err, '\n') == NULL);
        /* the last "(column N)": a quoted input may hold the words too */
        const char *col = NULL;
        for (const char *p = err; (p = strstr(p, "(column ")); p++)
            col = p;
        FUZZ_CHECK(col != NULL);
        long n = strtol(col + 8, NULL, 10);
        FUZZ_CHECK(n >= 1 && (size_t)n <= size + 1);
        return 0;
    }
    static const int64_t starts[] = {0, 951782399 /* 2000-02-28 23:59:59 */,
                                     1714564800 /* 2024-05-01 12:00 */,
                                     4102444799 /* 2099-12-31 23:59:59 */};
    int64_t step = c.seconds ? 1 : 60;
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        int64_t t = cron_next(&c, starts[i]);
        FUZZ_CHECK(t > starts[i]);
        FUZZ_CHECK(cron_matches(&c, t));
        FUZZ_CHECK(t % step == 0);
        /* the first few candidates after the start: none matches early */
        int64_t s = (starts[i] / step + 1) * step;
        for (int k = 0; k < 120 && s < t; k++, s += step)
            FUZZ_CHECK(!cron_matches(&c, s));
    }
    return 0;
}
