/*
 * fuzz/fuzz_ssr_proto.c - libFuzzer target for the SSR sidecar's answers
 * (ssr_frame_next and ssr_decode_response in src/frontend/ssr_proto.c).
 *
 * The input is a stream of frames as the sidecar would send it. Checks:
 * every frame found lies inside the input and takes its header plus its
 * body; a decoded answer is either HTML or an error, its string
 * NUL-terminated; an answer re-encoded as a request frame is found again
 * whole. A failed check aborts.
 */
#include "frontend/ssr_proto.h"

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
    size_t off = 0;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (;;) {
        kiln_str body;
        size_t used;
        int r = ssr_frame_next(p + off, size - off, &body, &used);
        if (r <= 0)
            break;
        FUZZ_CHECK(used == body.n + 4 && off + used <= size);
        FUZZ_CHECK(body.p == p + off + 4);
        ssr_response res;
        char err[160];
        if (ssr_decode_response(&a, body, &res, err, sizeof err) == 0) {
            kiln_str s = res.ok ? res.html : res.error;
            FUZZ_CHECK(s.p && s.p[s.n] == '\0');
            kiln_buf b;
            kiln_buf_init(&b);
            if (ssr_encode_request(&b, res.id, s, KILN_STR("{}")) == 0) {
                kiln_str again;
                size_t n;
                FUZZ_CHECK(ssr_frame_next(b.p, b.n, &again, &n) == 1);
                FUZZ_CHECK(n == b.n);
            }
            kiln_buf_deinit(&b);
        }
        kiln_arena_reset(&a);
        off += used;
    }
    kiln_arena_deinit(&a);
    return 0;
}
