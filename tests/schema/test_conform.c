/*
 * tests/schema/test_conform.c - development mode's response check
 * (schema/conform.c): bodies that conform to a model's output, and each
 * kind of violation with its pointer, code and "expected ..., found ..."
 * detail: a wrong type, a missing required field, null where the field is
 * not optional, a value past a constraint, an enum value the field does
 * not have; lists, pages of the generated API and ?expand= rows.
 */
#include "schema/conform.h"
#include "test.h"

#include <string.h>

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define F(N, T)                                                                \
    .name = N, .label = N, .type = T, .min_length = -1, .max_length = -1

static const char *const sizes[] = {"s", "m", "l"};
static const char *const expand[] = {"owner"};

static const kiln_field owner_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F("name", KILN_FT_STRING), .max_length = 5},
};
static const kiln_model owner_model = {
    .name = "owner", .table = "owner", .fields = owner_fields, .nfields = 2};

static const kiln_field item_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F("title", KILN_FT_STRING), .max_length = 8},
    {F("note", KILN_FT_TEXT), .flags = KILN_FF_OPTIONAL | KILN_FF_BLANK},
    {F("size", KILN_FT_ENUM), .values = sizes, .nvalues = 3},
    {F("rank", KILN_FT_INT), .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX,
     .min = 1, .max = 9},
    {F("due", KILN_FT_DATE), .flags = KILN_FF_OPTIONAL},
    {F("cost", KILN_FT_DECIMAL), .precision = 6, .scale = 2},
    {F("owner", KILN_FT_REF), .flags = KILN_FF_OPTIONAL, .ref = &owner_model},
    {F("secret", KILN_FT_STRING), .flags = KILN_FF_WRITE_ONLY},
    {F("extra", KILN_FT_JSON), .flags = KILN_FF_OPTIONAL},
};
static const kiln_model_api item_api = {
    .ops = KILN_API_LIST, .path = "items", .expand = expand, .nexpand = 1};
static const kiln_model item_model = {.name = "item",
                                      .table = "item",
                                      .fields = item_fields,
                                      .nfields = 10,
                                      .api = &item_api};

#define ROW_OK                                                                 \
    "{\"id\":1,\"title\":\"Fix\",\"note\":null,\"size\":\"m\",\"rank\":3,"     \
    "\"due\":\"2026-12-04\",\"cost\":\"12.50\",\"owner\":2,\"extra\":[1]}"

typedef struct run {
    kiln_arena a;
    kiln_errors errs;
    int rc;
} run;

static void conform(run *r, int shape, const char *json)
{
    kiln_arena_init(&r->a, 0);
    kiln_errors_init(&r->errs, &r->a);
    r->rc =
        schema_conform(&item_model, shape, json, strlen(json), &r->a, &r->errs);
}

/* The error at pointer, or NULL. */
static const kiln_error_item *err_at(const run *r, const char *pointer)
{
    for (size_t i = 0; i < r->errs.n; i++)
        if (strcmp(r->errs.items[i].pointer, pointer) == 0)
            return &r->errs.items[i];
    return NULL;
}

TEST(conform_rows_that_conform)
{
    run r;
    conform(&r, SCHEMA_ROW, ROW_OK);
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.errs.n, 0);
    kiln_arena_deinit(&r.a);
    /* a key the description does not have is allowed, as the document's
       output schemas allow it; so is the write-only field's absence */
    conform(&r, SCHEMA_ROW,
            "{\"id\":1,\"title\":\"Fix\",\"note\":\"\",\"size\":\"s\","
            "\"rank\":9,\"due\":null,\"cost\":\"0.5\",\"owner\":null,"
            "\"extra\":null,\"more\":true}");
    CHECK_INT(r.rc, 0);
    kiln_arena_deinit(&r.a);
    /* ?expand=owner puts the owner's row in place of its id */
    conform(&r, SCHEMA_PAGE,
            "{\"items\":[" ROW_OK ",{\"id\":2,\"title\":\"B\",\"note\":null,"
            "\"size\":\"l\",\"rank\":1,\"due\":null,\"cost\":\"1\","
            "\"owner\":{\"id\":2,\"name\":\"Ann\"},\"extra\":null}],"
            "\"next\":\"abc\"}");
    CHECK_INT(r.rc, 0);
    kiln_arena_deinit(&r.a);
    conform(&r, SCHEMA_PAGE, "{\"items\":[],\"next\":null,\"count\":0}");
    CHECK_INT(r.rc, 0);
    kiln_arena_deinit(&r.a);
    conform(&r, SCHEMA_LIST, "[" ROW_OK "," ROW_OK "]");
    CHECK_INT(r.rc, 0);
    kiln_arena_deinit(&r.a);
}

TEST(conform_violations)
{
    run r;
    conform(&r, SCHEMA_ROW,
            "{\"id\":\"1\",\"note\":null,\"size\":\"xl\",\"rank\":10,"
            "\"due\":\"2026-02-30\",\"cost\":12.5,\"owner\":{\"id\":2},"
            "\"extra\":1,\"title\":null}");
    CHECK_INT(r.rc, KILN_EINVAL);
    const kiln_error_item *e = err_at(&r, "/id");
    CHECK(e && strcmp(e->code, "type") == 0);
    CHECK_STR(e->detail, "expected an integer, found the string \"1\"");
    e = err_at(&r, "/title");
    CHECK(e && strcmp(e->code, "null") == 0);
    CHECK_STR(e->detail,
              "expected a value (the field is not optional), found null");
    e = err_at(&r, "/size");
    CHECK(e && strcmp(e->code, "choice") == 0);
    CHECK(strstr(e->detail, "found the string \"xl\""));
    e = err_at(&r, "/rank");
    CHECK(e && strcmp(e->code, "max") == 0);
    CHECK_STR(e->detail, "expected at most 9, found the number 10");
    CHECK(err_at(&r, "/due") && err_at(&r, "/cost"));
    /* owner is expandable, but its row lacks name */
    e = err_at(&r, "/owner/name");
    CHECK(e && strcmp(e->code, "required") == 0);
    CHECK_STR(e->detail, "expected the field (it is required), found nothing");
    CHECK(err_at(&r, "/extra") == NULL); /* json: any value */
    CHECK_INT(r.errs.n, 7);
    kiln_arena_deinit(&r.a);

    /* a string past max_length, in code points, in a list's second row */
    conform(&r, SCHEMA_LIST,
            "[" ROW_OK ",{\"id\":2,\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"note\":null,"
            "\"size\":\"s\",\"rank\":1,\"due\":null,\"cost\":\"1\","
            "\"owner\":null,\"extra\":null}]");
    CHECK_INT(r.rc, KILN_EINVAL);
    CHECK_INT(r.errs.n, 1);
    CHECK(err_at(&r, "/1/title") &&
          strcmp(err_at(&r, "/1/title")->code, "max_length") == 0);
    kiln_arena_deinit(&r.a);

    /* a page: items not an array, next missing, count negative */
    conform(&r, SCHEMA_PAGE, "{\"items\":{},\"count\":-1}");
    CHECK_INT(r.errs.n, 3);
    CHECK(err_at(&r, "/items") && err_at(&r, "/count"));
    CHECK_STR(err_at(&r, "/next")->code, "required");
    kiln_arena_deinit(&r.a);

    /* the wrong shape, and text that is not JSON */
    conform(&r, SCHEMA_LIST, ROW_OK);
    CHECK_INT(r.errs.n, 1);
    CHECK_STR(err_at(&r, "")->detail, "expected an array, found an object");
    kiln_arena_deinit(&r.a);
    conform(&r, SCHEMA_ROW, "{\"id\":");
    CHECK_INT(r.rc, KILN_EINVAL);
    CHECK_STR(err_at(&r, "")->code, "json");
    kiln_arena_deinit(&r.a);
}
