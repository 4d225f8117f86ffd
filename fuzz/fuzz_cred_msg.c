/*
 * fuzz/fuzz_cred_msg.c - libFuzzer target for the credential cache's
 * invalidation messages (src/auth/cred_cache.c, cred_msg_parse): what
 * another instance publishes through Redis or PostgreSQL, so whatever
 * anyone with access to them sends.
 *
 * Whatever the bytes: a message that parses formats back to the same
 * bytes (one spelling per message), names a kind of key or a positive id,
 * and applying it to a cache holding one entry never crashes; a message
 * that does not parse changes nothing. A failed check aborts.
 */
#include "auth/cred_cache.h"

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
    static bool ready;
    if (!ready) {
        cred_cache_configure(60000, 64);
        ready = true;
    }
    kiln_str in = {size ? (const char *)data : "", size};
    cred_msg m;
    int rc = cred_msg_parse(in, &m);
    if (rc == 0) {
        char back[CRED_MSG_MAX];
        size_t n = cred_msg_format(&m, back);
        FUZZ_CHECK(n == size && memcmp(back, data, size) == 0);
        FUZZ_CHECK(m.what == '*' || m.what == 'k' || m.what == 'u' ||
                   m.what == 't');
        FUZZ_CHECK(m.what != 'k' || (m.key.kind >= 1 && m.key.kind <= 3));
        FUZZ_CHECK((m.what != 'u' && m.what != 't') || m.id > 0);
    } else {
        FUZZ_CHECK(rc == KILN_EPARSE);
    }
    /* one entry; a message that does not parse leaves it */
    cred_key k = {.kind = CRED_TOKEN};
    memset(k.digest, 0x5a, sizeof k.digest);
    static const char *const none[] = {NULL};
    kiln_user u = {
        .id = 1, .username = "u", .email = "", .name = "", .roles = none};
    cred_cache_put(&k, &u, &(cred_info){.user = 1, .token_id = 1},
                   cred_cache_gen(), 0);
    cred_cache_apply(in);
    cred_cache_stats st;
    cred_cache_stats_get(&st);
    FUZZ_CHECK(rc == 0 || st.entries == 1);
    return 0;
}
