/*
 * fuzz/fuzz_session.c - libFuzzer target for what sessions and CSRF read
 * from the outside (src/auth/session.c, csrf.c): the session cookie's
 * value, a CSRF token, and an Origin or Referer.
 *
 * Whatever the bytes: a cookie value that decodes encodes back to the
 * same text (one spelling per id); a token checks against at most the one
 * secret its two halves give, and a token made for a secret checks; an
 * origin that parses is short, lower case, and parses again to itself.
 * A failed check aborts.
 */
#include "auth/session_impl.h"

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
    kiln_str in = {(const char *)data, size};

    /* the cookie value */
    uint8_t id[SESSION_ID_BYTES];
    if (session_id_decode(in, id) == 0) {
        char back[SESSION_ID_CHARS + 1];
        session_id_encode(id, back);
        FUZZ_CHECK(size == SESSION_ID_CHARS && memcmp(back, data, size) == 0);
    }

    /* a token: the secret its halves give is the only one it fits */
    uint8_t raw[2 * SESSION_ID_BYTES];
    if (session_b64_decode(in, raw, sizeof raw) == 0) {
        uint8_t secret[SESSION_ID_BYTES];
        for (size_t i = 0; i < SESSION_ID_BYTES; i++)
            secret[i] = raw[i] ^ raw[SESSION_ID_BYTES + i];
        FUZZ_CHECK(csrf_token_check(in, secret));
        secret[0] ^= 1;
        FUZZ_CHECK(!csrf_token_check(in, secret));
    } else {
        uint8_t secret[SESSION_ID_BYTES] = {0};
        FUZZ_CHECK(!csrf_token_check(in, secret));
    }
    if (size >= SESSION_ID_BYTES) {
        char tok[CSRF_TOKEN_CHARS + 1];
        uint8_t pad[SESSION_ID_BYTES] = {0};
        csrf_token_mask(data, pad, tok);
        FUZZ_CHECK(csrf_token_check(kiln_str_c(tok), data));
    }

    /* an Origin or Referer */
    char o[300], again[300];
    if (csrf_origin_of(in, o, sizeof o) == 0) {
        size_t n = strlen(o);
        FUZZ_CHECK(n < sizeof o);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(!(o[i] >= 'A' && o[i] <= 'Z'));
        FUZZ_CHECK(csrf_origin_of(kiln_str_c(o), again, sizeof again) == 0);
        FUZZ_CHECK(strcmp(o, again) == 0);
        FUZZ_CHECK(csrf_origin_ok(o, KILN_STR_NULL, false, NULL, 0) == false);
    }
    return 0;
}
