/*
 * tests/server/test_cors.c - the CORS policy (src/server/cors.c): the list
 * check a preflight's Access-Control-Request-Headers goes through, and
 * what kiln_app_cors accepts and refuses at start-up.
 */
#include "test.h"

#include "server/cors.h"

#include <kiln.h>

#include <string.h>

static bool subset(const char *req, const char *allowed)
{
    return cors_list_subset(kiln_str_c(req), kiln_str_c(allowed));
}

TEST(cors_list_subset)
{
    const char *allowed = "Accept, Authorization, Content-Type";
    CHECK(subset("", allowed));
    CHECK(subset("content-type", allowed));
    CHECK(subset("Content-Type,authorization", allowed));
    CHECK(subset(" accept ,\tCONTENT-TYPE ", allowed));
    CHECK(subset("content-type,,", allowed)); /* empty elements ignored */
    CHECK(!subset("x-custom", allowed));
    CHECK(!subset("content-type, x-custom", allowed));
    CHECK(!subset("content type", allowed)); /* not a token */
    CHECK(!subset("content-type;", allowed));
    CHECK(!subset("content", allowed)); /* a prefix is not an element */
    CHECK(!subset("content-type", ""));
    CHECK(subset("", ""));
}

static int cors_set(kiln_app *app, const char *origins, bool credentials,
                    const char *headers, char *err, size_t n)
{
    kiln_cors_opts o = {.origins = origins,
                        .credentials = credentials,
                        .methods = "GET, POST",
                        .headers = headers,
                        .max_age = 600};
    err[0] = '\0';
    return kiln_app_cors(app, &o, err, n);
}

TEST(cors_start_up_checks)
{
    kiln_app *app = kiln_app_new();
    CHECK(app);
    char err[256];
    CHECK_INT(cors_set(app, "https://a.example, http://127.0.0.1:5173", true,
                       "Content-Type", err, sizeof err),
              0);
    CHECK_INT(cors_set(app, "", false, "Content-Type", err, sizeof err), 0);
    CHECK_INT(cors_set(app, NULL, false, NULL, err, sizeof err), 0);
    CHECK_INT(cors_set(app, "*", false, "*", err, sizeof err), 0);
    /* "*" with credentials is refused, origins or headers */
    CHECK_INT(cors_set(app, "*", true, "Content-Type", err, sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "cors.origins") && strstr(err, "credentials"));
    CHECK_INT(cors_set(app, "https://a.example", true, "*", err, sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "cors.headers"));
    /* an origin has no path, and a scheme */
    CHECK_INT(cors_set(app, "https://a.example/", false, "", err, sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "'https://a.example/'"));
    CHECK_INT(cors_set(app, "a.example", false, "", err, sizeof err),
              KILN_EINVAL);
    CHECK_INT(cors_set(app, "null", false, "", err, sizeof err), KILN_EINVAL);
    CHECK_INT(cors_set(app, "https://a.example", false, "Content Type", err,
                       sizeof err),
              KILN_EINVAL);
    CHECK(strstr(err, "cors.headers"));
    kiln_app_free(app);
}
