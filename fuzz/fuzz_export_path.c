/*
 * fuzz/fuzz_export_path.c - libFuzzer target for the URL and file of an
 * exported page (src/frontend/export.c), whose values come from a
 * project's pages/NAME.toml.
 *
 * The input is a route pattern, then '\n'-separated NAME=VALUE lines (at
 * most 8). Checks: on success the URL starts with '/', has no byte
 * outside RFC 3986's unreserved set, '/' and %XX escapes, and no control
 * character; the file ends in "index.html", never starts with '/', and
 * no segment of it is "." or ".."; on failure err says why. A failed
 * check aborts.
 */
#include "frontend/export.h"

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
    const char *p = (const char *)data, *end = p + size;
    const char *nl = memchr(p, '\n', size);
    size_t pn = (size_t)((nl ? nl : end) - p);
    char *pattern = malloc(pn + 1);
    if (!pattern)
        return 0;
    memcpy(pattern, p, pn);
    pattern[pn] = '\0';
    kiln_str names[8], vals[8];
    size_t n = 0;
    for (p = nl ? nl + 1 : end; nl && n < 8 && p <= end;) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq) {
            names[n] = (kiln_str){p, (size_t)(eq - p)};
            vals[n++] = (kiln_str){eq + 1, (size_t)(e - eq - 1)};
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    kiln_buf url, file;
    kiln_buf_init(&url);
    kiln_buf_init(&file);
    char err[256] = "";
    int rc = frontend_export_path(pattern, names, vals, n, &url, &file, err,
                                  sizeof err);
    if (rc == 0) {
        FUZZ_CHECK(url.n >= 1 && url.p[0] == '/');
        for (size_t i = 0; i < url.n; i++) {
            unsigned char ch = (unsigned char)url.p[i];
            FUZZ_CHECK(ch > 0x20 && ch < 0x7f);
        }
        FUZZ_CHECK(file.n >= 10 &&
                   memcmp(file.p + file.n - 10, "index.html", 10) == 0);
        FUZZ_CHECK(file.p[0] != '/');
        for (size_t s = 0, i = 0; i <= file.n; i++)
            if (i == file.n || file.p[i] == '/') {
                size_t k = i - s;
                FUZZ_CHECK(!(k == 1 && file.p[s] == '.'));
                FUZZ_CHECK(
                    !(k == 2 && file.p[s] == '.' && file.p[s + 1] == '.'));
                s = i + 1;
            }
    } else {
        FUZZ_CHECK(rc == KILN_EINVAL || rc == KILN_ENOMEM);
        FUZZ_CHECK(rc == KILN_ENOMEM || err[0] != '\0');
    }
    kiln_buf_deinit(&url);
    kiln_buf_deinit(&file);
    free(pattern);
    return 0;
}
