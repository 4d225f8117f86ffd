/*
 * auth/pkce.c - the random values of the authorization code flow (state,
 * nonce, PKCE code_verifier) and the S256 code_challenge (RFC 7636), for
 * src/auth/oidc.c. Declared in jose.h.
 */
#include "auth/jose.h"

#include "core/sha256.h"

#include <openssl/rand.h>

int jose_random_b64(char out[JOSE_RANDOM_LEN + 1])
{
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        out[0] = '\0';
        return KILN_EIO;
    }
    b64url_encode(raw, sizeof raw, out);
    return 0;
}

void jose_pkce_challenge(const char *verifier, size_t n,
                         char out[JOSE_RANDOM_LEN + 1])
{
    sha256_ctx c;
    uint8_t digest[32];
    sha256_init(&c);
    sha256_update(&c, verifier, n);
    sha256_final(&c, digest);
    b64url_encode(digest, sizeof digest, out);
}
