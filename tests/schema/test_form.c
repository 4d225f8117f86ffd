/*
 * tests/schema/test_form.c - kiln_decode_form (src/schema/decode_form.c):
 * the JSON decoder's validation from form fields, built by hand here as
 * kiln_form_fields would give them.
 */
#include "helpers.h"

#include <stdlib.h>

/* EVERY_JSON as form fields (secret is write-only: sent, never encoded). */
#define EVERY_FORM                                                             \
    "count", "7", "ratio", "0.25", "price", "12.50", "active", "off", "name",  \
        "Widget", "note", "a \"quoted\" note\n", "day", "2026-03-05", "at",    \
        "2026-03-05T14:07:00.123Z", "start", "14:07:00.250", "uid",            \
        "0f8fad5b-d9cb-469f-a165-70867728950e", "email", "ann@example.com",    \
        "site", "https://example.com/a?b=c", "color", "blue", "meta",          \
        "{\"k\": [1, 2, {\"x\": null}]}", "owner", "3", "tags", "1", "tags",   \
        "2", "tags[]", "3", "home.city", "Lyon", "home.zip", "69001",          \
        "lines[0].sku", "A-1", "lines[1].qty", "99", "lines[0].qty", "2",      \
        "lines[1].sku", "B-2", "labels", "x", "labels", "y", "secret",         \
        "s3cret", "code", "XYZ"

/* Expects the form to fail with exactly one error code at ptr. */
static void form_one_error(const kiln_model *m, int mode, const char *const *kv,
                           const char *ptr, const char *code)
{
    void *out = calloc(1, m->size);
    int rc = th_form(m, mode, out, kv);
    if (rc != KILN_EINVAL || th.errs.n != 1) {
        th_dump();
        test_fail(__FILE__, __LINE__, "rc %d, %zu errors; expected %s at %s",
                  rc, th.errs.n, code, ptr);
    }
    TH_ERR(ptr, code);
    free(out);
}
#define FORM_ERR(m, ptr, code, ...)                                            \
    form_one_error(m, KILN_DECODE_CREATE,                                      \
                   (const char *const[]){__VA_ARGS__, NULL}, ptr, code)

TEST(form_every_type_matches_json)
{
    every e, j;
    const char *kv[] = {EVERY_FORM, NULL};
    int rc = th_form(&every_model, KILN_DECODE_CREATE, &e, kv);
    if (rc) {
        th_dump();
        test_fail(__FILE__, __LINE__, "rc %d", rc);
    }
    CHECK_VIEW(e.secret, "s3cret");
    char *from_form = strdup(th_encode(&every_model, &e));
    CHECK_INT(th_json(&every_model, EVERY_JSON, 0, &j), 0);
    CHECK_STR(th_encode(&every_model, &j), from_form);
    free(from_form);
}

TEST(form_bools_and_checkboxes)
{
    task t;
    static const char *on[] = {"on", "true", "1", "yes", "ON", "True", " yes "};
    static const char *off[] = {"off", "false", "0", "no", "OFF", ""};
    for (size_t i = 0; i < sizeof on / sizeof *on; i++) {
        const char *kv[] = {"title", "t",    "estimate", "1", "project",
                            "1",     "done", on[i],      NULL};
        CHECK_INT(th_form(&task_model, 0, &t, kv), 0);
        CHECK(t.done);
    }
    for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
        const char *kv[] = {"title", "t",    "estimate", "1", "project",
                            "1",     "done", off[i],     NULL};
        CHECK_INT(th_form(&task_model, 0, &t, kv), 0);
        CHECK(!t.done);
    }
    /* an unchecked checkbox sends nothing: false, even over a default */
    every e;
    const char *kv[] = {EVERY_FORM, NULL};
    for (size_t i = 0; kv[i]; i += 2)
        if (strcmp(kv[i], "active") == 0)
            kv[i] = "unused_never_sent";
    /* "unused..." is unknown: drop the pair instead */
    const char *kv2[64];
    size_t n = 0;
    for (size_t i = 0; kv[i]; i += 2)
        if (strcmp(kv[i], "unused_never_sent") != 0) {
            kv2[n++] = kv[i];
            kv2[n++] = kv[i + 1];
        }
    kv2[n] = NULL;
    CHECK_INT(th_form(&every_model, 0, &e, kv2), 0);
    CHECK(!e.active); /* the JSON default is true */
    /* the hidden-input idiom: "off" then the checkbox's "on": the last wins */
    const char *hidden[] = {"title", "t",   "estimate", "1",  "project", "1",
                            "done",  "off", "done",     "on", NULL};
    CHECK_INT(th_form(&task_model, 0, &t, hidden), 0);
    CHECK(t.done);
    FORM_ERR(&task_model, "/done", "type", "title", "t", "estimate", "1",
             "project", "1", "done", "maybe");
    /* PATCH: an absent bool is not given, not false */
    CHECK_INT(th_form(&task_model, KILN_DECODE_PATCH, &t,
                      (const char *const[]){"title", "u", NULL}),
              0);
    CHECK(kiln_fieldset_has(&th.given, 1) && !kiln_fieldset_has(&th.given, 2));
}

TEST(form_empty_values)
{
    task t;
    /* empty optional: NULL; empty required string: blank; else required */
    CHECK_INT(th_form(&task_model, 0, &t,
                      (const char *const[]){"title", "t", "estimate", "1",
                                            "project", "1", "due", "", NULL}),
              0);
    CHECK(!t.has_due);
    CHECK(kiln_fieldset_has(&th.given, 3));
    FORM_ERR(&task_model, "/title", "blank", "title", "", "estimate", "1",
             "project", "1");
    FORM_ERR(&task_model, "/project", "required", "title", "t", "estimate", "1",
             "project", "  ");
    FORM_ERR(&task_model, "/estimate", "required", "title", "t", "estimate", "",
             "project", "1");
    /* strings are kept exactly, other types trimmed */
    CHECK_INT(th_form(&task_model, 0, &t,
                      (const char *const[]){"title", " t ", "estimate", " 2.5 ",
                                            "project", " 7", NULL}),
              0);
    CHECK_VIEW(t.title, " t ");
    CHECK_VIEW(t.estimate, "2.50");
    CHECK_INT(t.project, 7);
}

TEST(form_coercion_errors)
{
    FORM_ERR(&task_model, "/project", "type", "title", "t", "estimate", "1",
             "project", "12x");
    FORM_ERR(&task_model, "/project", "max", "title", "t", "estimate", "1",
             "project", "99999999999999999999");
    FORM_ERR(&task_model, "/estimate", "decimal_places", "title", "t",
             "estimate", "1.001", "project", "1");
    FORM_ERR(&task_model, "/status", "choice", "title", "t", "estimate", "1",
             "project", "1", "status", "closed");
    FORM_ERR(&task_model, "/due", "invalid_date", "title", "t", "estimate", "1",
             "project", "1", "due", "05/03/2026");
    FORM_ERR(&task_model, "/title", "type", "title", "\xff", "estimate", "1",
             "project", "1");
    const char *kv[] = {EVERY_FORM, NULL};
    const char *bad[64];
    size_t n = 0;
    for (size_t i = 0; kv[i]; i += 2) {
        bad[n++] = kv[i];
        bad[n++] = strcmp(kv[i], "meta") == 0    ? "{not json"
                   : strcmp(kv[i], "ratio") == 0 ? "1,5"
                                                 : kv[i + 1];
    }
    bad[n] = NULL;
    every e;
    CHECK_INT(th_form(&every_model, 0, &e, bad), KILN_EINVAL);
    TH_ERR("/meta", "invalid_json");
    TH_ERR("/ratio", "type");
    CHECK_INT(th.errs.n, 2);
}

TEST(form_nested_and_list_pointers)
{
    every e;
    const char *kv[] = {EVERY_FORM, NULL};
    const char *bad[80];
    size_t n = 0;
    for (size_t i = 0; kv[i]; i += 2) {
        bad[n++] = kv[i];
        bad[n++] = strcmp(kv[i], "lines[1].qty") == 0 ? "0"
                   : strcmp(kv[i], "home.zip") == 0   ? "abc"
                                                      : kv[i + 1];
    }
    static const char *extra[] = {"lines[3].sku", "Z", "labels[5]", "far",
                                  "tags",         "x", NULL};
    for (size_t i = 0; extra[i]; i++)
        bad[n++] = extra[i];
    bad[n] = NULL;
    CHECK_INT(th_form(&every_model, 0, &e, bad), KILN_EINVAL);
    TH_ERR("/lines/1/qty", "min");
    TH_ERR("/home/zip", "pattern");
    TH_ERR("/lines/2/sku", "required"); /* the gap */
    TH_ERR("/lines/2/qty", "required");
    TH_ERR("/lines/3/qty", "required");
    TH_ERR("/labels/0", "required"); /* labels[5] leaves 0..4 missing */
    TH_ERR("/tags/3", "type");
}

TEST(form_unknown_and_malformed_names)
{
    FORM_ERR(&task_model, "/zzz", "unknown_field", "title", "t", "estimate",
             "1", "project", "1", "zzz", "1");
    FORM_ERR(&task_model, "/title/x", "unknown_field", "title", "t", "title.x",
             "1", "estimate", "1", "project", "1");
    FORM_ERR(&task_model, "/a..b", "unknown_field", "title", "t", "estimate",
             "1", "project", "1", "a..b", "1");
    FORM_ERR(&task_model, "/tags[x]", "unknown_field", "title", "t", "estimate",
             "1", "project", "1", "tags[x]", "1");
    FORM_ERR(&task_model, "/a~1b", "unknown_field", "title", "t", "estimate",
             "1", "project", "1", "a/b", "1");
    every e;
    const char *kv[] = {EVERY_FORM, "home.zzz",        "1", "lines[0].x",
                        "1",        "lines[9999].qty", "1", NULL};
    CHECK_INT(th_form(&every_model, 0, &e, kv), KILN_EINVAL);
    TH_ERR("/home/zzz", "unknown_field");
    TH_ERR("/lines/9999", "max_items");
    /* read-only fields are ignored, as in JSON */
    task t;
    CHECK_INT(th_form(&task_model, 0, &t,
                      (const char *const[]){"id", "5", "title", "t", "estimate",
                                            "1", "project", "1", NULL}),
              0);
    CHECK_INT(t.id, 0);
    /* a page form's csrf_token (csrf_input()) is Kiln's, not unknown; a
       nested one is */
    CHECK_INT(
        th_form(&task_model, 0, &t,
                (const char *const[]){"csrf_token", "abc", "title", "t",
                                      "estimate", "1", "project", "1", NULL}),
        0);
    FORM_ERR(&task_model, "/tags/csrf_token", "unknown_field", "title", "t",
             "estimate", "1", "project", "1", "tags.csrf_token", "1");
}

TEST(form_many_and_required)
{
    task t;
    CHECK_INT(
        th_form(&task_model, 0, &t,
                (const char *const[]){"title", "t", "estimate", "1", "project",
                                      "1", "tags", "4", "tags", "9", NULL}),
        0);
    CHECK_INT(t.tags.n, 2);
    CHECK_INT(t.tags.v[1], 9);
    FORM_ERR(&task_model, "/tags/1", "duplicate_id", "title", "t", "estimate",
             "1", "project", "1", "tags", "4", "tags", "4");
    CHECK_INT(th_form(&task_model, 0, &t,
                      (const char *const[]){"estimate", "x", NULL}),
              KILN_EINVAL);
    TH_ERR("/title", "required");
    TH_ERR("/project", "required");
    TH_ERR("/estimate", "invalid_decimal");
    CHECK_INT(th.errs.n, 3);
}

TEST(form_files)
{
    kiln_upload up = {.filename = KILN_STR("a.pdf"),
                      .content_type = KILN_STR("application/pdf"),
                      .size = 3,
                      .data = KILN_STR("%PD")};
    kiln_upload none = {.content_type = KILN_STR("application/octet-stream")};
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_errors errs;
    doc d;
    kiln_form_field f[] = {
        {KILN_STR("title"), KILN_STR("Report"), NULL},
        {KILN_STR("file"), KILN_STR(""), &up},
        {KILN_STR("thumb"), KILN_STR(""), &none}, /* no file chosen */
    };
    kiln_errors_init(&errs, &a);
    CHECK_INT(kiln_decode_form(&doc_model, f, 3, NULL, &a, &d, NULL, &errs), 0);
    CHECK(d.file == &up);
    CHECK(!d.has_thumb);
    /* a file to a text field; text to a file field; no file chosen */
    kiln_form_field g[] = {
        {KILN_STR("title"), KILN_STR(""), &up},
        {KILN_STR("file"), KILN_STR("a.pdf"), NULL},
    };
    kiln_errors_init(&errs, &a);
    CHECK_INT(kiln_decode_form(&doc_model, g, 2, NULL, &a, &d, NULL, &errs),
              KILN_EINVAL);
    th.errs = errs;
    TH_ERR("/title", "type");
    TH_ERR("/file", "not_a_file");
    kiln_form_field h[] = {{KILN_STR("title"), KILN_STR("x"), NULL},
                           {KILN_STR("file"), KILN_STR(""), &none}};
    kiln_errors_init(&errs, &a);
    CHECK_INT(kiln_decode_form(&doc_model, h, 2, NULL, &a, &d, NULL, &errs),
              KILN_EINVAL);
    th.errs = errs;
    TH_ERR("/file", "file_required");
    CHECK_INT(errs.n, 1);
    kiln_errors_init(&errs, &a);
    CHECK_INT(kiln_decode_form(&doc_model, h, 1, NULL, &a, &d, NULL, &errs),
              KILN_EINVAL);
    th.errs = errs;
    TH_ERR("/file", "file_required");
    kiln_arena_deinit(&a);
}

TEST(form_hostile_names)
{
    /* thousands of fields and deep names: linear, bounded, no crash */
    size_t n = 20000;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_form_field *f = kiln_arena_calloc(&a, n * sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f[i].name = kiln_str_c(kiln_arena_printf(&a, "lines[%zu].qty", i % 9));
        f[i].value = KILN_STR("5");
    }
    char *deep = kiln_arena_alloc(&a, 3 * 200 + 10);
    size_t k = 0;
    k += (size_t)sprintf(deep, "home");
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(deep + k, ".a");
    f[0].name = kiln_str_c(deep);
    kiln_errors errs;
    kiln_errors_init(&errs, &a);
    every e;
    CHECK_INT(kiln_decode_form(&every_model, f, n, NULL, &a, &e, NULL, &errs),
              KILN_EINVAL);
    th.errs = errs;
    char want[3 * 200 + 10];
    want[0] = '/';
    strcpy(want + 1, deep);
    TH_ERR(want, "unknown_field");
    TH_ERR("/lines/0/sku", "required");
    kiln_arena_deinit(&a);
}
