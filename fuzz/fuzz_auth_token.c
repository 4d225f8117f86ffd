/*
 * fuzz/fuzz_auth_token.c - libFuzzer target for what an API request's
 * credentials go through before the database (src/auth/token.c): the
 * Authorization header's Bearer credentials, then the Kiln token format.
 *
 * Checks: a parsed bearer lies inside the input, is non-empty and holds
 * only token68 characters; a token that parses is exactly
 * AUTH_TOKEN_LEN bytes, starts with "kiln_", and its prefix is the 8
 * characters after it; any token made by auth_token_make parses. The
 * durations parser (token expiry) gets the same bytes. A failed check
 * aborts.
 */
#include "auth/auth_impl.h"

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

static bool t68(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= 'a' && ch <= 'z') || strchr("-._~+/=", ch);
}

static void check_token(kiln_str t)
{
    char pre[AUTH_TOKEN_PREFIX_LEN + 1];
    int rc = auth_token_parse(t, pre);
    FUZZ_CHECK(rc == 0 || rc == KILN_EPARSE);
    if (rc == 0) {
        FUZZ_CHECK(t.n == AUTH_TOKEN_LEN);
        FUZZ_CHECK(memcmp(t.p, "kiln_", 5) == 0);
        FUZZ_CHECK(strlen(pre) == AUTH_TOKEN_PREFIX_LEN);
        FUZZ_CHECK(memcmp(pre, t.p + 5, AUTH_TOKEN_PREFIX_LEN) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0; /* longer than any header Kiln accepts by default */
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    char *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    kiln_str v = {p, size};
    kiln_str tok = KILN_STR_NULL;
    int rc = auth_bearer_parse(v, &tok);
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == KILN_EPARSE);
    if (rc == 1) {
        FUZZ_CHECK(tok.p >= p && tok.p + tok.n <= p + size && tok.n > 0);
        for (size_t i = 0; i < tok.n; i++)
            FUZZ_CHECK(t68(tok.p[i]));
        check_token(tok);
    }
    check_token(v);
    int64_t secs;
    if (auth_duration_parse(v, &secs) == 0)
        FUZZ_CHECK(secs > 0 && secs <= INT64_C(100) * 365 * 86400);
    free(p);
    /* what Kiln makes always parses back */
    static int made;
    if (made++ < 64) {
        char t[AUTH_TOKEN_LEN + 1], pre[AUTH_TOKEN_PREFIX_LEN + 1],
            back[AUTH_TOKEN_PREFIX_LEN + 1];
        auth_token_make(t, pre);
        FUZZ_CHECK(auth_token_parse(kiln_str_c(t), back) == 0);
        FUZZ_CHECK(strcmp(pre, back) == 0);
    }
    return 0;
}
