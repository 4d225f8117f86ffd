/*
 * tests/frontend/test_ssr_proto.c - the SSR sidecar's framing
 * (frontend/ssr_proto.c): request frames, splitting a stream into frames,
 * decoding answers and refusing malformed ones. The sidecar itself is
 * tested black-box: test_ssr.py.
 */
#include "test.h"

#include "frontend/ssr_proto.h"

#include <string.h>

/* The frame of body: its 4-byte big-endian length, then body. */
static size_t frame(char *out, const char *body)
{
    size_t n = strlen(body);
    out[0] = (char)(n >> 24);
    out[1] = (char)(n >> 16);
    out[2] = (char)(n >> 8);
    out[3] = (char)n;
    memcpy(out + 4, body, n);
    return n + 4;
}

TEST(ssr_encode_request)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(ssr_encode_request(&b, 7, KILN_STR("Card\"\n"),
                                 KILN_STR("{\"a\":[1,2]}")),
              0);
    const char *want = "{\"id\":7,\"component\":\"Card\\\"\\n\",\"props\":"
                       "{\"a\":[1,2]}}";
    size_t n = strlen(want);
    CHECK_INT(b.n, n + 4);
    const unsigned char *h = (const unsigned char *)b.p;
    CHECK_INT(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3], n);
    CHECK(memcmp(b.p + 4, want, n) == 0);
    /* empty props are {}; a second frame follows the first */
    CHECK_INT(ssr_encode_request(&b, 4294967295u, KILN_STR("X"), KILN_STR("")),
              0);
    kiln_str body;
    size_t used;
    CHECK_INT(ssr_frame_next(b.p, b.n, &body, &used), 1);
    CHECK_INT(used, n + 4);
    CHECK_INT(ssr_frame_next(b.p + used, b.n - used, &body, &used), 1);
    CHECK_VIEW(body, "{\"id\":4294967295,\"component\":\"X\",\"props\":{}}");
    kiln_buf_deinit(&b);
}

TEST(ssr_frames_split_anywhere)
{
    char buf[256];
    size_t n = frame(buf, "{\"id\":1,\"html\":\"<p>a</p>\"}");
    n += frame(buf + n, "{}");
    size_t first = 4 + strlen("{\"id\":1,\"html\":\"<p>a</p>\"}");
    kiln_str body;
    size_t used;
    for (size_t cut = 0; cut < first; cut++)
        CHECK_INT(ssr_frame_next(buf, cut, &body, &used), 0);
    CHECK_INT(ssr_frame_next(buf, n, &body, &used), 1);
    CHECK_INT(used, first);
    CHECK_VIEW(body, "{\"id\":1,\"html\":\"<p>a</p>\"}");
    CHECK_INT(ssr_frame_next(buf + used, n - used, &body, &used), 1);
    CHECK_VIEW(body, "{}");
    /* an empty frame, and one past the limit */
    CHECK_INT(ssr_frame_next("\0\0\0\0", 4, &body, &used), 1);
    CHECK_INT(used, 4);
    CHECK_INT(body.n, 0);
    CHECK_INT(ssr_frame_next("\x01\0\0\x01", 4, &body, &used), KILN_ELIMIT);
    CHECK_INT(ssr_frame_next("\x01\0\0\0", 4, &body, &used), 0);
}

TEST(ssr_decode_answers)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    ssr_response r;
    char err[160];
    CHECK_INT(ssr_decode_response(
                  &a, KILN_STR("{\"id\":42,\"html\":\"<b>\\u00e9</b>\"}"), &r,
                  err, sizeof err),
              0);
    CHECK_INT(r.id, 42);
    CHECK(r.ok);
    CHECK_VIEW(r.html, "<b>\xc3\xa9</b>");
    CHECK_INT(ssr_decode_response(
                  &a, KILN_STR(" {\"error\":\"boom\",\"id\":4294967295} "), &r,
                  err, sizeof err),
              0);
    CHECK(!r.ok);
    CHECK_INT(r.id, 4294967295u);
    CHECK_VIEW(r.error, "boom");
    CHECK_INT(ssr_decode_response(&a, KILN_STR("{\"id\":0,\"html\":\"\"}"), &r,
                                  err, sizeof err),
              0);
    CHECK(r.ok);
    CHECK_INT(r.html.n, 0);
    kiln_arena_deinit(&a);
}

TEST(ssr_decode_refuses_malformed_answers)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"html\":\"x\"}",                          /* no id */
        "{\"id\":-1,\"html\":\"x\"}",                /* negative */
        "{\"id\":4294967296,\"html\":\"x\"}",        /* too large */
        "{\"id\":1.5,\"html\":\"x\"}",               /* not an integer */
        "{\"id\":\"1\",\"html\":\"x\"}",             /* a string */
        "{\"id\":1}",                                /* neither */
        "{\"id\":1,\"html\":\"x\",\"error\":\"y\"}", /* both */
        "{\"id\":1,\"html\":3}",                     /* not a string */
        "{\"id\":1,\"error\":null}",
        "{\"id\":1,\"html\":\"x\"",     /* truncated */
        "{\"id\":1,\"html\":\"\xff\"}", /* not UTF-8 */
    };
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ssr_response r;
        char err[160] = "";
        CHECK_INT(
            ssr_decode_response(&a, kiln_str_c(bad[i]), &r, err, sizeof err),
            KILN_EPARSE);
        CHECK(strncmp(err, "malformed response", 18) == 0);
    }
    kiln_arena_deinit(&a);
}
