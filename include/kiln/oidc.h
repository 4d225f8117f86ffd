/*
 * kiln/oidc.h - the OpenID provider's tokens of the logged-in user, for a
 * backend that calls APIs on the user's behalf (docs/auth.md, "Logging in
 * through the provider").
 *
 * After a login through /auth/oidc/login (the Authorization Code flow with
 * PKCE), the user's access, refresh and ID tokens are kept in the session,
 * server-side; the browser holds only the session cookie.
 */
#ifndef KILN_OIDC_H
#define KILN_OIDC_H

#include "kiln/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_ctx kiln_ctx;

/**
 * The access token of the request's session (for an Authorization: Bearer
 * header to an API), refreshed with the session's refresh token when it
 * has less than a minute left (the new tokens are kept in the session).
 * *out points into the session's data or c's arena. Returns 0, or
 * KILN_ESTATE (no login flow configured: [auth.oidc] client_id),
 * KILN_ENOTFOUND (the session did not log in through the provider),
 * KILN_ETIMEDOUT (expired and could not be refreshed: log in again),
 * KILN_EUNAVAIL or KILN_ENOMEM.
 */
int kiln_oidc_access_token(kiln_ctx *c, kiln_str *out);

#ifdef __cplusplus
}
#endif
#endif
