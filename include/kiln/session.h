/*
 * kiln/session.h - server-side sessions, CSRF tokens and flash messages.
 *
 * A session is a row of the table kiln_session in the app's default
 * database (the builtin part "session", made by `kiln migrate`) and a
 * cookie holding its id: 32 bytes from libsodium's CSPRNG, base64url (43
 * characters). The table keeps only the id's SHA-256, so a leaked table
 * gives no live cookie. The cookie is HttpOnly, SameSite=Lax (setting
 * session.same_site), Path=/, and Secure with the __Host- name prefix
 * ("__Host-kiln_session") when the request came over TLS or the setting
 * session.secure says the app is behind TLS ("kiln_session" otherwise).
 *
 * A session is loaded lazily: only a request that calls one of these
 * functions (or renders csrf_token() / messages in a template) pays the
 * query. Its data (string keys and values) is written once, just before
 * the response is sent, and only if it changed; its last-seen time is
 * written at most once a minute. A session ends after session.idle_timeout
 * seconds without a request and session.max_age seconds after it began,
 * whatever the activity; expired rows are deleted on use and by a sweep.
 *
 * CSRF: every unsafe request (not GET, HEAD, OPTIONS or TRACE) that
 * carries the session cookie and no Authorization: Bearer is checked
 * before its handler runs: the Origin (or Referer) must be the app's own
 * or one of csrf.trusted_origins, and an X-CSRF-Token header or a
 * csrf_token form field must hold a token of the session (see
 * kiln_csrf_token). A failure answers 403 (problem+json, or an HTML page
 * for a browser) naming the check: csrf_origin, csrf_missing or
 * csrf_mismatch. See docs/auth.md.
 *
 * All functions take the handler's context and may wait (a database
 * query) inside a handler's coroutine. Strings returned live in the
 * request's arena.
 */
#ifndef KILN_SESSION_H
#define KILN_SESSION_H

#include "app.h"
#include "core.h"
#include "http.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The user id bound to the request's session, or 0 when there is no
 * session cookie, the session is unknown or expired, or it is anonymous.
 * Loads the session on first use (one query), then answers from memory.
 * A database error is logged and reads as 0; while the database cannot
 * be reached, kiln_db has answered 503 (kiln_responded(c) is then true).
 */
int64_t kiln_session_user(kiln_ctx *c);

/**
 * Binds the request to user (> 0) under a NEW session id: the old session
 * row (anonymous or not) is deleted and its data carried over to the new
 * one, so an id planted before login (session fixation) is dead after it.
 * Sets the cookie on the response. Returns 0, KILN_EINVAL (user <= 0),
 * KILN_ESTATE (the response was already started: the cookie cannot be
 * set), KILN_EUNAVAIL/KILN_EDB (database), KILN_ENOMEM.
 */
int kiln_session_login(kiln_ctx *c, int64_t user);

/**
 * Gives the request's session a new id, keeping its user and data (call it
 * when the user's privileges change). Creates an anonymous session when
 * there is none. Errors as kiln_session_login.
 */
int kiln_session_rotate(kiln_ctx *c);

/**
 * Ends the request's session: deletes its row and expires the cookie.
 * A request without a session just gets the cookie expired. Returns 0,
 * KILN_ESTATE (response started), a database error, KILN_ENOMEM.
 */
int kiln_session_logout(kiln_ctx *c);

/**
 * Deletes every session of user (> 0), on every device, including the
 * request's own when it belongs to user (its cookie is then expired).
 * Returns the number of sessions deleted (>= 0), KILN_EINVAL, or a
 * database error.
 */
int kiln_session_logout_all(kiln_ctx *c, int64_t user);

/**
 * The value stored under key in the request's session, p == NULL when
 * absent or when there is no session (values are NUL-terminated, in the
 * request's arena).
 */
kiln_str kiln_session_get(kiln_ctx *c, const char *key);

/**
 * Stores v (copied) under key in the request's session, creating an
 * anonymous session (and setting its cookie) when there is none; v.p ==
 * NULL removes key. Written to the database once, just before the
 * response is sent (at once when it was sent already). Keys starting
 * with "_" are Kiln's ("_flash": the flash messages). Two requests of one
 * session that change it at once: the last to answer wins. Returns 0,
 * KILN_EINVAL (empty key), KILN_ESTATE (a new session is needed but the
 * response was already started), KILN_ENOMEM.
 */
int kiln_session_set(kiln_ctx *c, const char *key, kiln_str v);

/**
 * The CSRF token to put in a form (the csrf_token field; templates:
 * {{ csrf_input() }}) or send in the X-CSRF-Token header. It is masked
 * afresh for each call (a random pad XORed with the session's secret), so
 * it never repeats in compressed responses (BREACH); every token of a
 * session stays valid while the session lives. Creates an anonymous session
 * when there is none, so the login form is protected too. Returns the
 * token (arena), or p == NULL on failure (logged).
 */
kiln_str kiln_csrf_token(kiln_ctx *c);

/**
 * Runs the CSRF checks now, for a handler that must be protected even
 * when the request carries no session cookie (which the automatic check
 * lets through): a login form's POST, against login CSRF. The origin is
 * always checked; the token when the session cookie is sent. Returns 0
 * when the request passes, 1 when it was answered 403 (as the automatic
 * check answers), or a negative code (a database error).
 */
int kiln_csrf_check(kiln_ctx *c);

/**
 * Exempts the route method + pattern (as given to kiln_route) from the
 * CSRF check, e.g. a webhook called by another server. Endpoint schemas
 * say `csrf = false` instead. Call before serving. Returns 0, KILN_ENOMEM.
 */
int kiln_csrf_exempt(kiln_app *app, const char *method, const char *pattern);

/**
 * Queues a one-shot message (level "success", "info", "warning", "error"
 * or any word) in the request's session. It is shown by the next page
 * that renders `messages` (usually after a redirect) and then dropped.
 * Creates an anonymous session when needed. Returns 0, KILN_EINVAL,
 * KILN_ESTATE, KILN_ENOMEM.
 */
int kiln_flash(kiln_ctx *c, const char *level, const char *fmt, ...)
    KILN_PRINTF(3, 4);

/** A flash message, as kiln_flash_take returns it. */
typedef struct kiln_flash_msg {
    kiln_str level; /**< read-only: "success", ...; NUL-terminated */
    kiln_str text;  /**< read-only: the message; NUL-terminated */
} kiln_flash_msg;

/**
 * Takes the session's queued flash messages: stores them in *out (arena,
 * oldest first) and removes them from the session. Returns their count
 * (0 when none or no session) or KILN_ENOMEM.
 */
int kiln_flash_take(kiln_ctx *c, const kiln_flash_msg **out);

#ifdef __cplusplus
}
#endif
#endif
