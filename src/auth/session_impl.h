/*
 * auth/session_impl.h - the private side of kiln/session.h: the settings
 * of sessions, CSRF and security headers (one auth_conf per app, made
 * before serving and read-only while serving), the per-request session
 * state, the store's operations, and the pure pieces (cookie ids, CSRF
 * tokens, origins) that have their own unit tests and fuzz targets.
 *
 * Used by session.c, csrf.c, flash.c, headers.c and app/ (which configures
 * them from the settings); nothing else.
 */
#ifndef KILN_AUTH_SESSION_IMPL_H
#define KILN_AUTH_SESSION_IMPL_H

#include <kiln/auth.h>
#include <kiln/config.h>
#include <kiln/session.h>

#include <stdbool.h>
#include <stdint.h>

/** Bytes of a session id and of a CSRF secret. */
#define SESSION_ID_BYTES 32
/** Characters of a session id in its cookie (base64url, no padding). */
#define SESSION_ID_CHARS 43
/** Characters of a CSRF token (64 bytes: pad and masked secret). */
#define CSRF_TOKEN_CHARS 86

/** A route exempt from the CSRF check (kiln_csrf_exempt). */
typedef struct csrf_exempt_route {
    char *method, *pattern; /* malloc'd; owned by the auth_conf */
} csrf_exempt_route;

/**
 * The settings of sessions, CSRF and the security headers of an app
 * (kiln_app.auth). Made by auth_conf_get (defaults) and auth_configure
 * (settings) before serving; read-only while serving; freed with the app.
 * Every string is owned by it.
 */
typedef struct auth_conf {
    char cookie[64];      /* the session cookie's name (with __Host- when
                             secure) */
    char csrf_cookie[64]; /* the JavaScript-readable CSRF token cookie */
    bool secure;          /* cookies are Secure and __Host- */
    bool https;           /* the app is reached over https (security.
                             behind_tls): its own origin's scheme, HSTS */
    bool strict;          /* SameSite=Strict (else Lax) */
    int64_t idle_ms;      /* session.idle_timeout */
    int64_t max_age_ms;   /* session.max_age */
    int64_t touch_ms;     /* last_seen is written at most this often */
    char **trusted;       /* csrf.trusted_origins, normalised; ntrusted */
    size_t ntrusted;
    csrf_exempt_route *exempt; /* kiln_csrf_exempt, nexempt of them */
    size_t nexempt;
    char *headers; /* the security header lines (headers.c) */
    size_t nheaders;
    void *ext; /* its app_ext (which frees it with the app) */
} auth_conf;

/**
 * app's auth_conf, made with the defaults on first call (and the CSRF
 * guard installed). NULL when out of memory. Not thread-safe: before
 * serving only.
 */
auth_conf *auth_conf_get(kiln_app *app);

/**
 * Applies the [session], [csrf] and [security] settings of s to app
 * (auth_conf_get + the security headers). Returns 0, or KILN_EINVAL with a
 * one-line reason in err (a trusted origin that is not an origin),
 * KILN_ENOMEM.
 */
int auth_configure(kiln_app *app, const kiln_settings *s, char *err,
                   size_t errlen);

/** The defaults of a request whose app has no auth_conf. */
extern const auth_conf auth_conf_default;

/** The request's app's auth_conf (or the defaults). */
const auth_conf *auth_conf_of(kiln_ctx *c);

/* ---- pure pieces (tests/auth/test_session.c, fuzz/fuzz_session.c) ---- */

/**
 * Decodes a session cookie's value: exactly SESSION_ID_CHARS base64url
 * characters (no padding, no other byte) into the 32 id bytes. Returns 0,
 * or KILN_EINVAL for anything else (out is then undefined).
 */
int session_id_decode(kiln_str v, uint8_t out[SESSION_ID_BYTES]);
/** Encodes 32 id bytes as SESSION_ID_CHARS base64url characters + NUL. */
void session_id_encode(const uint8_t id[SESSION_ID_BYTES],
                       char out[SESSION_ID_CHARS + 1]);
/**
 * Decodes exactly n bytes from canonical base64url without padding (the
 * unused low bits of the last character zero). Returns 0 or KILN_EINVAL.
 */
int session_b64_decode(kiln_str v, uint8_t *out, size_t n);
/** Encodes n bytes as base64url without padding; out holds (4n+2)/3 + 1. */
void session_b64_encode(const uint8_t *p, size_t n, char *out);
/**
 * Writes a Set-Cookie value for cookie name = value into out (n bytes):
 * Path=/, Max-Age=max_age_s (0: expire it now, with an empty value),
 * HttpOnly when http_only, SameSite=Strict or Lax, Secure when secure.
 * Returns the length, or KILN_ELIMIT when out is too small.
 */
int session_cookie_format(char *out, size_t n, const char *name,
                          const char *value, int64_t max_age_s, bool http_only,
                          bool strict, bool secure);

/**
 * A CSRF token for secret: base64url of pad (32 random bytes) followed by
 * pad XOR secret. out holds CSRF_TOKEN_CHARS + 1 bytes.
 */
void csrf_token_mask(const uint8_t secret[SESSION_ID_BYTES],
                     const uint8_t pad[SESSION_ID_BYTES],
                     char out[CSRF_TOKEN_CHARS + 1]);
/**
 * True when token (as sent, outside input) is a token of secret made by
 * csrf_token_mask with any pad; the comparison takes constant time.
 */
bool csrf_token_check(kiln_str token, const uint8_t secret[SESSION_ID_BYTES]);
/**
 * Reduces an Origin header's value, or a Referer URL, to its origin
 * "scheme://host[:port]" in lower case, without a default port (80 for
 * http, 443 for https), into out (n bytes). Returns 0, or KILN_EINVAL when
 * v is not an http(s) URL with a host (including "null").
 */
int csrf_origin_of(kiln_str v, char *out, size_t n);
/**
 * True when origin (normalised by csrf_origin_of) is the app's own, made
 * from host (the request's Host) and https, or one of trusted (normalised
 * too; an entry whose host starts with "*." matches any subdomain).
 */
bool csrf_origin_ok(const char *origin, kiln_str host, bool https,
                    char *const *trusted, size_t ntrusted);

/* ---- the request's session (session.c) -------------------------------- */

/** Fills p with n bytes of the OS CSPRNG (libsodium, initialised once). */
void session_rand(void *p, size_t n);

/**
 * The session's raw CSRF secret for csrf.c: loads the session, and with
 * create makes an anonymous one when there is none. Returns 0 with *secret
 * (the state's own bytes), KILN_ENOTFOUND (no session, create false), or a
 * negative code.
 */
int session_csrf_secret(kiln_ctx *c, bool create, const uint8_t **secret);
/**
 * The user bound to the request's valid session, roles included, as read
 * with the session's row (one query: kiln_session joined to kiln_user and
 * kiln_user_role) or found in the credential cache (no query); NULL when
 * there is none. The user lives in c's arena. A session bound during the
 * request (kiln_session_login) has its user loaded then.
 */
const kiln_user *session_user_of(kiln_ctx *c);
/** True when the request carries the app's session cookie (any value). */
bool session_cookie_sent(kiln_ctx *c);
/** The CSRF guard (csrf.c), installed as kiln_app.guard. */
int csrf_guard(kiln_ctx *c);
/** Makes the security header block of conf from s (headers.c). */
int headers_configure(auth_conf *conf, const kiln_settings *s, char *err,
                      size_t errlen);

#endif
