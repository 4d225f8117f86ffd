/*
 * App tests: `kiln test` runs every KILN_TEST of the .c files of tests/
 * (`-k NAME` picks some), each on a database of its own (docs/testing.md).
 */
#include <kiln/testing.h>

#include <string.h>

/* POST / with a form body, as the page's form sends it. */
static const kiln_tc_response *post_form(kiln_test *t, const char *body)
{
    return kiln_tc_request(t, "POST", "/",
                           "Content-Type: application/x-www-form-urlencoded",
                           body, strlen(body));
}

KILN_TEST(a_note_is_added_and_listed)
{
    const kiln_tc_response *r = post_form(t, "title=Buy+milk");
    KILN_EXPECT_STATUS(r, 303);
    r = kiln_tc_get(t, "/");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT(strstr(r->body, "Buy milk") != NULL);
}

KILN_TEST(a_note_without_a_title_shows_the_error)
{
    const kiln_tc_response *r = post_form(t, "title=&body=x");
    KILN_EXPECT_STATUS(r, 422);
    KILN_EXPECT(strstr(r->body, "class=\"error\" id=\"title-error\"") != NULL);
}
