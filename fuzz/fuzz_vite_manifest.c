/*
 * fuzz/fuzz_vite_manifest.c - libFuzzer target for Vite's manifest parser
 * and the tags of its entries (src/frontend/manifest.c).
 *
 * Checks: a parsed manifest's chunks all have a file and can be found by
 * their key; the tags of every chunk come out whole (they end with the
 * script tag), contain no raw quote inside an attribute and no "<" other
 * than the tags' own. A failed check aborts.
 */
#include "frontend/manifest.h"

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

/* Every '<' begins one of the tags vite_tags writes. */
static bool only_our_tags(const kiln_buf *b)
{
    static const char *const tags[] = {"<link rel=\"stylesheet\" href=\"",
                                       "<link rel=\"modulepreload\" href=\"",
                                       "<script type=\"module\" src=\"",
                                       "</script>"};
    for (const char *p = b->p; (p = strchr(p, '<')) != NULL; p++) {
        bool ok = false;
        for (size_t i = 0; i < sizeof tags / sizeof tags[0] && !ok; i++)
            ok = strncmp(p, tags[i], strlen(tags[i])) == 0;
        if (!ok)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    vite_manifest m;
    char err[256];
    int rc =
        vite_manifest_parse(&a, (const char *)data, size, &m, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == KILN_EPARSE || rc == KILN_ENOMEM);
    FUZZ_CHECK(rc == 0 || (m.n == 0 && err[0]));
    for (size_t i = 0; rc == 0 && i < m.n; i++) {
        const vite_chunk *c = &m.chunks[i];
        FUZZ_CHECK(c->file.n > 0);
        FUZZ_CHECK(vite_manifest_find(&m, c->key) != NULL);
        kiln_buf b;
        kiln_buf_init(&b);
        if (vite_tags(&m, c->key, KILN_STR("/static/"), &b) == 0) {
            static const char end[] = "\"></script>";
            FUZZ_CHECK(
                b.n >= sizeof end - 1 &&
                memcmp(b.p + b.n - (sizeof end - 1), end, sizeof end - 1) == 0);
            FUZZ_CHECK(only_our_tags(&b));
        }
        kiln_buf_deinit(&b);
    }
    kiln_arena_deinit(&a);
    return 0;
}
