/*
 * App tests: `kiln test` runs every KILN_TEST of the .c files of tests/
 * (`-k NAME` picks some), each on a database of its own (docs/testing.md).
 */
#include <kiln/testing.h>

KILN_TEST(notes_are_created_and_listed)
{
    const kiln_tc_response *r =
        kiln_tc_post(t, "/api/notes", "{\"title\":\"Buy milk\"}");
    KILN_EXPECT_STATUS(r, 201);
    KILN_EXPECT_JSON(r, "/done", "false");
    r = kiln_tc_get(t, "/api/notes");
    KILN_EXPECT_STATUS(r, 200);
    KILN_EXPECT_JSON(r, "/items/0/title", "\"Buy milk\"");
}

KILN_TEST(a_note_needs_a_title)
{
    const kiln_tc_response *r =
        kiln_tc_post(t, "/api/notes", "{\"title\":\"\"}");
    KILN_EXPECT_STATUS(r, 422);
    KILN_EXPECT_JSON(r, "/errors/0/pointer", "\"/title\"");
}
