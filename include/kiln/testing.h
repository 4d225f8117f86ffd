/*
 * kiln/testing.h - app tests (the tests/ folder of a project, its .c
 * files), run by `kiln test`.
 *
 *   #include <kiln/testing.h>
 *
 *   KILN_TEST(create_item)
 *   {
 *       const kiln_tc_response *r =
 *           kiln_tc_post(t, "/api/items", "{\"title\":\"x\"}");
 *       KILN_EXPECT_STATUS(r, 201);
 *       KILN_EXPECT_JSON(r, "/title", "\"x\"");
 *   }
 *
 * A test calls the app through the test client: a request built in memory
 * goes through the same code as one read from a socket (head parsing,
 * routing, 404/405, endpoint schemas and their 422, pages, error pages,
 * hooks, the response's bytes), on a worker running on the test's thread,
 * handlers waiting on the database included. No socket is opened.
 *
 * Every test starts on a database of its own: a copy of a template
 * database migrated once per run (SQLite: a copy of the file; PostgreSQL: a
 * database created from a template database), and a cache of its own. The
 * settings are the development ones of the project (kiln.toml, .env,
 * environment); the database they name is never touched.
 *
 * Expectations (KILN_EXPECT_*) do not stop the test: a failed one prints
 * "FILE:LINE: what: expected X, got Y" and marks the test failed; each
 * returns whether it held, so a test can stop itself (`if (!...) return;`).
 *
 * Everything a test client call returns lives until the end of the test.
 */
#ifndef KILN_TESTING_H
#define KILN_TESTING_H

#include "core.h"
#include "json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The running test (opaque): the `t` of a KILN_TEST body. */
typedef struct kiln_test kiln_test;

/** A registered test (KILN_TEST writes one). */
typedef struct kiln_test_case {
    const char *name;
    void (*fn)(kiln_test *t);
    const char *file;
    int line;
    struct kiln_test_case *next; /**< the registry's; set by register */
} kiln_test_case;

/** Adds c to the tests of the binary (c is static storage; KILN_TEST
    calls this before main). */
void kiln_test_register(kiln_test_case *c);

/** Defines the test `name`; its body sees the running test as `t`. */
#define KILN_TEST(name)                                                        \
    static void kiln_test_fn_##name(kiln_test *t);                             \
    static kiln_test_case kiln_test_case_##name = {#name, kiln_test_fn_##name, \
                                                   __FILE__, __LINE__, NULL};  \
    __attribute__((constructor)) static void kiln_test_reg_##name(void)        \
    {                                                                          \
        kiln_test_register(&kiln_test_case_##name);                            \
    }                                                                          \
    static void kiln_test_fn_##name(kiln_test *t)

/** One response header (both strings NUL-terminated, name as sent). */
typedef struct kiln_tc_header {
    const char *name;
    const char *value;
} kiln_tc_header;

/**
 * A response of the test client, owned by the test. status is 0 when the
 * request could not be run (it timed out, or was malformed: a failure is
 * recorded and printed then). A chunked body is given decoded.
 */
typedef struct kiln_tc_response {
    int status;
    const kiln_tc_header *headers; /**< in the order sent */
    size_t nheaders;
    const char *body; /**< NUL-terminated (body_len bytes before the NUL) */
    size_t body_len;
    const kiln_json *json; /**< the body parsed, when it is JSON; or NULL */
} kiln_tc_response;

/**
 * Sends method path (with its query string, percent-encoded as on the
 * wire) to the app with headers and a body of n bytes (body may be NULL
 * when n is 0) and returns its response (never NULL). headers holds
 * "Name: value" lines separated by '\n' (or is NULL); Host and
 * Content-Length are added unless given. A request that does not finish
 * within 30 s fails the test (status 0).
 */
const kiln_tc_response *kiln_tc_request(kiln_test *t, const char *method,
                                        const char *path, const char *headers,
                                        const char *body, size_t n);
/** GET path. */
const kiln_tc_response *kiln_tc_get(kiln_test *t, const char *path);
/** DELETE path. */
const kiln_tc_response *kiln_tc_delete(kiln_test *t, const char *path);
/** POST path with the JSON text json (Content-Type: application/json). */
const kiln_tc_response *kiln_tc_post(kiln_test *t, const char *path,
                                     const char *json);
/** PUT path with the JSON text json. */
const kiln_tc_response *kiln_tc_put(kiln_test *t, const char *path,
                                    const char *json);
/** PATCH path with the JSON text json. */
const kiln_tc_response *kiln_tc_patch(kiln_test *t, const char *path,
                                      const char *json);

/* ---- users: acting as someone ---------------------------------------- */

/**
 * Creates a local user called username in the test's database, without a
 * password, holding roles (names separated by spaces or commas, as
 * [roles] declares them; NULL or "": none), a superuser when superuser is
 * true. Returns its id; 0 after recording a failure (the name is taken,
 * the database failed). Needs Kiln's user tables (`kiln migrate` made
 * them in the template database).
 */
int64_t kiln_test_user(kiln_test *t, const char *username, const char *roles,
                       bool superuser);

/**
 * Logs the test client in as the user whose username (or email) is
 * username, as Django's force_login does: no password is checked, but the
 * session is a real one, made by kiln_session_login in a request, and
 * every check of the following requests runs as in production. From then
 * on the client keeps the cookies the app sets (a browser's jar: a
 * rotated session or a logout is followed) and sends them with every
 * request whose headers name no Cookie, and the session's CSRF token as
 * X-CSRF-Token with every unsafe method whose headers name none (as the
 * TypeScript client does; give the header yourself to test a wrong one).
 * A second call replaces the session. Returns true; false after recording
 * a failure (no such user).
 */
bool kiln_test_login(kiln_test *t, const char *username);

/** Forgets the client's cookies and stops keeping them: the following
    requests are anonymous again (the session itself is left to expire). */
void kiln_test_logout(kiln_test *t);

/**
 * Sends `Authorization: Bearer token` with every following request whose
 * headers name no Authorization (an API token of POST /api/auth/tokens,
 * or a JWT); NULL stops. The token is copied.
 */
void kiln_test_bearer(kiln_test *t, const char *token);

/** The CSRF token of the logged-in session (for a form's csrf_token
    field), or NULL when the client is not logged in. Owned by the test. */
const char *kiln_test_csrf_token(kiln_test *t);

/** The value of r's header name (case-insensitive; the first one), or
    NULL. */
const char *kiln_tc_header_get(const kiln_tc_response *r, const char *name);
/** The value at JSON Pointer (RFC 6901) pointer in r's JSON body ("" is
    the whole body), or NULL (no JSON body, or no such value). */
const kiln_json *kiln_tc_json(const kiln_tc_response *r, const char *pointer);
/** Formats into memory owned by the test (printf rules): a path built
    from a response ("/api/items/%lld"). NULL only when out of memory. */
const char *kiln_test_printf(kiln_test *t, const char *fmt, ...)
    KILN_PRINTF(2, 3);

/* ---- expectations: each returns true when it held -------------------- */

/** r's status is want. */
bool kiln_test_expect_status(kiln_test *t, const char *file, int line,
                             const kiln_tc_response *r, int want);
/** r's header name is want exactly (want NULL: r has no such header). */
bool kiln_test_expect_header(kiln_test *t, const char *file, int line,
                             const kiln_tc_response *r, const char *name,
                             const char *want);
/**
 * The value at pointer in r's JSON body equals the JSON text want (compared
 * as values: member order and number spelling do not matter); want NULL:
 * there is no value at pointer. A want that is not JSON fails the test too.
 */
bool kiln_test_expect_json(kiln_test *t, const char *file, int line,
                           const kiln_tc_response *r, const char *pointer,
                           const char *want);
/** ok holds; expr is the text of the condition, for the message. */
bool kiln_test_expect(kiln_test *t, const char *file, int line, bool ok,
                      const char *expr);

#define KILN_EXPECT_STATUS(r, status)                                          \
    kiln_test_expect_status(t, __FILE__, __LINE__, (r), (status))
#define KILN_EXPECT_HEADER(r, name, value)                                     \
    kiln_test_expect_header(t, __FILE__, __LINE__, (r), (name), (value))
#define KILN_EXPECT_JSON(r, pointer, json)                                     \
    kiln_test_expect_json(t, __FILE__, __LINE__, (r), (pointer), (json))
#define KILN_EXPECT(cond) kiln_test_expect(t, __FILE__, __LINE__, (cond), #cond)

/**
 * The main() of a project's test binary (`kiln test` generates it):
 * runs the registered tests whose name contains the -k argument (every
 * one without -k), in file and line order, each on a fresh database and
 * cache, printing "ok - NAME" or "not ok - NAME" (after its failures) and
 * then "N passed, N failed". The other arguments are the app's (--set
 * section.key=VALUE, --root DIR). Returns 0 when every test passed, 1 when
 * one failed or none matched, 2 when the project or its template database
 * could not be set up (said on stderr).
 */
struct kiln_project;
int kiln_project_test_main(const struct kiln_project *p, int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
