/*
 * tests/schema/test_decode.c - kiln_decode_json (src/schema/decode_json.c)
 * and the encoder: every type round-trips, every constraint at and past its
 * boundary, every error code with its pointer, many errors at once, modes,
 * defaults, and hostile input.
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define EVERY_OUT                                                              \
    "{\"id\":0,\"count\":7,\"ratio\":0.25,\"price\":\"12.50\","                \
    "\"active\":false,\"name\":\"Widget\","                                    \
    "\"note\":\"a \\\"quoted\\\" note\\n\",\"day\":\"2026-03-05\","            \
    "\"at\":\"2026-03-05T14:07:00.123Z\",\"start\":\"14:07:00.250\","          \
    "\"uid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","                        \
    "\"email\":\"ann@example.com\",\"site\":\"https://example.com/a?b=c\","    \
    "\"color\":\"blue\",\"meta\":{\"k\":[1,2,{\"x\":null}]},\"owner\":3,"      \
    "\"tags\":[1,2,3],\"home\":{\"city\":\"Lyon\",\"zip\":\"69001\"},"         \
    "\"work\":null,\"lines\":[{\"sku\":\"A-1\",\"qty\":2},"                    \
    "{\"sku\":\"B-2\",\"qty\":99}],\"labels\":[\"x\",\"y\"],"                  \
    "\"code\":\"XYZ\"}"

/* Decodes s, expecting success, encodes it, decodes and encodes that again,
   and checks both encodings are byte-identical; returns the encoding. */
static char *round_trip(const kiln_model *m, const char *s, void *out)
{
    int rc = th_json(m, s, KILN_DECODE_CREATE, out);
    if (rc) {
        th_dump();
        test_fail(__FILE__, __LINE__, "decode(%s) = %d (%s)", s, rc,
                  th.perr.msg);
    }
    char *first = strdup(th_encode(m, out));
    void *again = calloc(1, m->size);
    rc = th_json(m, first, KILN_DECODE_CREATE, again);
    if (rc) {
        th_dump();
        test_fail(__FILE__, __LINE__, "re-decode(%s) = %d", first, rc);
    }
    CHECK_STR(th_encode(m, again), first);
    free(again);
    return first;
}

/* Expects the decode of s to fail with exactly one error code at ptr. */
static void one_error(const char *s, const char *ptr, const char *code)
{
    every e;
    int rc = th_json(&every_model, s, KILN_DECODE_CREATE, &e);
    if (rc != KILN_EINVAL || th.errs.n != 1) {
        th_dump();
        test_fail(__FILE__, __LINE__, "%s: rc %d, %zu errors; expected %s", s,
                  rc, th.errs.n, code);
    }
    TH_ERR(ptr, code);
}

/* Expects every with key set to value to decode. */
static void every_ok(const char *key, const char *value)
{
    every e;
    const char *s = th_every(key, value);
    if (th_json(&every_model, s, KILN_DECODE_CREATE, &e) != 0) {
        th_dump();
        test_fail(__FILE__, __LINE__, "refused %s = %s", key, value);
    }
}

/* Expects every with key set to value to fail with code at ptr only. */
static void every_bad(const char *key, const char *value, const char *ptr,
                      const char *code)
{
    one_error(th_every(key, value), ptr, code);
}

/* ---- round trips -------------------------------------------------------- */

TEST(every_type_round_trips)
{
    every e;
    char *out = round_trip(&every_model, EVERY_JSON, &e);
    CHECK_STR(out, EVERY_OUT); /* write-only secret left out */
    CHECK_INT(th_json(&every_model, EVERY_JSON, KILN_DECODE_CREATE, &e), 0);
    CHECK_INT(e.count, 7);
    CHECK(e.ratio == 0.25);
    CHECK_VIEW(e.price, "12.50");
    CHECK(!e.active);
    CHECK_VIEW(e.name, "Widget");
    CHECK(e.has_note);
    CHECK_VIEW(e.note, "a \"quoted\" note\n");
    CHECK_INT(e.day.year, 2026);
    CHECK_INT(e.at, INT64_C(1772719620123000));
    CHECK_INT(e.start, INT64_C(50820250000));
    CHECK_INT(e.uid.b[0], 0x0f);
    CHECK_INT(e.color, 2);
    CHECK(e.has_meta);
    CHECK_VIEW(e.meta, "{\"k\":[1,2,{\"x\":null}]}");
    CHECK_INT(e.owner, 3);
    CHECK_INT(e.tags.n, 3);
    CHECK_INT(e.tags.v[2], 3);
    CHECK_VIEW(e.home.city, "Lyon");
    CHECK(e.home.has_zip);
    CHECK(!e.has_work);
    CHECK_INT(e.lines.n, 2);
    CHECK_INT(((line *)e.lines.v)[1].qty, 99);
    CHECK_VIEW(((line *)e.lines.v)[0].sku, "A-1");
    CHECK_INT(e.labels.n, 2);
    CHECK_VIEW(((kiln_str *)e.labels.v)[1], "y");
    CHECK_VIEW(e.secret, "s3cret");
    CHECK_VIEW(e.code, "XYZ");
    free(out);
}

TEST(values_are_normalised_once_then_stable)
{
    every e;
    /* whitespace everywhere, escapes, a decimal as a number, offsets,
       a time without seconds, an uppercase UUID, a float written 1.0 */
    char *out = round_trip(
        &every_model,
        th_every("meta",
                 " { \"a\" : [ 1 , \"x y\" , true ] , \"b\":\"\\u00e9\" } "),
        &e);
    CHECK(strstr(out, "\"meta\":{\"a\":[1,\"x y\",true],\"b\":\"\\u00e9\"}"));
    free(out);
    char *in = strdup(th_every("at", "\"2026-03-05T16:07:00.123456+02:00\""));
    out = round_trip(&every_model, in, &e);
    CHECK(strstr(out, "\"at\":\"2026-03-05T14:07:00.123Z\""));
    free(in);
    free(out);
    out = round_trip(&every_model, th_every("price", "12.5"), &e);
    CHECK(strstr(out, "\"price\":\"12.50\""));
    free(out);
    out = round_trip(&every_model, th_every("start", "\"09:30\""), &e);
    CHECK(strstr(out, "\"start\":\"09:30:00\""));
    free(out);
    out = round_trip(
        &every_model,
        th_every("uid", "\"0F8FAD5B-D9CB-469F-A165-70867728950E\""), &e);
    CHECK(strstr(out, "\"uid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\""));
    free(out);
    out = round_trip(&every_model, th_every("ratio", "1.0"), &e);
    CHECK(strstr(out, "\"ratio\":1,"));
    free(out);
    out = round_trip(&every_model, th_every("ratio", "-0.1e-2"), &e);
    CHECK(strstr(out, "\"ratio\":-0.001,"));
    free(out);
    out = round_trip(&every_model,
                     th_every("name", "\"\\u00e9t\\u00e9\\ud83d\\ude00\""), &e);
    CHECK(strstr(out, "\"name\":\"\xc3\xa9t\xc3\xa9\xf0\x9f\x98\x80\""));
    free(out);
    /* json text: "</" and U+2028 are escaped on output, stable after */
    out = round_trip(&every_model,
                     th_every("meta", "\"</script>\xe2\x80\xa8\""), &e);
    CHECK(strstr(out, "\"meta\":\"<\\/script>\\u2028\""));
    free(out);
}

TEST(strings_view_the_input_unless_escaped)
{
    every e;
    CHECK_INT(th_json(&every_model, EVERY_JSON, KILN_DECODE_CREATE, &e), 0);
    const char *s = th.input, *end = s + strlen(EVERY_JSON);
    CHECK(e.name.p > s && e.name.p < end);
    CHECK(e.meta.p > s && e.meta.p < end);
    CHECK(!(e.note.p > s && e.note.p < end)); /* had escapes */
    CHECK(e.price.p > s && e.price.p < end);  /* canonical */
}

TEST(task_create_fills_defaults)
{
    task t;
    kiln_datetime before = kiln_datetime_now();
    CHECK_INT(th_json(&task_model,
                      "{\"title\":\"Write\",\"estimate\":\"1.5\","
                      "\"project\":2}",
                      KILN_DECODE_CREATE, &t),
              0);
    CHECK_VIEW(t.title, "Write");
    CHECK(!t.done);
    CHECK(!t.has_due);
    CHECK_INT(t.status, 0);
    CHECK_VIEW(t.estimate, "1.50");
    CHECK_INT(t.project, 2);
    CHECK_INT(t.tags.n, 0);
    CHECK(t.created >= before && t.created <= kiln_datetime_now());
    CHECK(kiln_fieldset_has(&th.given, 1));
    CHECK(!kiln_fieldset_has(&th.given, 2));
    CHECK(kiln_fieldset_has(&th.given, 5));
    CHECK(kiln_fieldset_has(&th.given, 6));
    CHECK(!kiln_fieldset_has(&th.given, 0));
    CHECK_INT(th.given.bits[1] | th.given.bits[2] | th.given.bits[3], 0);
}

TEST(task_required_fields)
{
    task t;
    CHECK_INT(th_json(&task_model, "{}", KILN_DECODE_CREATE, &t), KILN_EINVAL);
    CHECK_INT(th.errs.n, 3);
    TH_ERR("/title", "required");
    TH_ERR("/estimate", "required");
    TH_ERR("/project", "required");
    CHECK_INT(th_json(&task_model, "{}", KILN_DECODE_REPLACE, &t), KILN_EINVAL);
    CHECK_INT(th.errs.n, 3);
}

TEST(read_only_fields_are_ignored)
{
    task t;
    CHECK_INT(th_json(&task_model,
                      "{\"id\":99,\"created\":\"not even a date\","
                      "\"title\":\"x\",\"estimate\":1,\"project\":1}",
                      KILN_DECODE_CREATE, &t),
              0);
    CHECK_INT(t.id, 0);
    CHECK(!kiln_fieldset_has(&th.given, 0));
    CHECK(!kiln_fieldset_has(&th.given, 9));
    CHECK(t.created > 0); /* its default still applies */
    /* ignored, but still JSON: a malformed value is a 400 */
    CHECK_INT(th_json(&task_model, "{\"id\":[1,}", KILN_DECODE_CREATE, &t),
              KILN_EPARSE);
}

TEST(patch_is_a_merge_patch)
{
    task t;
    CHECK_INT(
        th_json(&task_model, "{\"title\":\"New\"}", KILN_DECODE_PATCH, &t), 0);
    CHECK_VIEW(t.title, "New");
    CHECK(kiln_fieldset_has(&th.given, 1));
    CHECK(!kiln_fieldset_has(&th.given, 2)); /* done: not given, no default */
    CHECK(!t.done && t.status == 0 && t.created == 0);
    CHECK_INT(th_json(&task_model, "{\"due\":null}", KILN_DECODE_PATCH, &t), 0);
    CHECK(kiln_fieldset_has(&th.given, 3));
    CHECK(!t.has_due);
    CHECK_INT(
        th_json(&task_model, "{\"due\":\"2026-01-02\"}", KILN_DECODE_PATCH, &t),
        0);
    CHECK(t.has_due && t.due.day == 2);
    CHECK_INT(th_json(&task_model, "{\"title\":null,\"done\":null}",
                      KILN_DECODE_PATCH, &t),
              KILN_EINVAL);
    TH_ERR("/title", "null");
    TH_ERR("/done", "null");
    CHECK_INT(th_json(&task_model, "{}", KILN_DECODE_PATCH, &t), 0);
    CHECK_INT(th.given.bits[0], 0);
    /* a nested object is replaced whole: its required fields apply */
    every e;
    CHECK_INT(th_json(&every_model, "{\"home\":{\"zip\":\"12345\"}}",
                      KILN_DECODE_PATCH, &e),
              KILN_EINVAL);
    CHECK_INT(th.errs.n, 1);
    TH_ERR("/home/city", "required");
}

/* ---- boundaries -----------------------------------------------------------
 */

TEST(boundaries_integer_float)
{
    every_ok("count", "0");
    every_ok("count", "100");
    every_bad("count", "-1", "/count", "min");
    every_bad("count", "101", "/count", "max");
    every_ok("ratio", "-1.5");
    every_ok("ratio", "1e6");
    every_bad("ratio", "-1.5000001", "/ratio", "min");
    every_bad("ratio", "1000000.1", "/ratio", "max");
    every_bad("ratio", "1e999", "/ratio", "max"); /* no double holds it */
    every_bad("count", "1.0", "/count", "type");
    every_bad("count", "1e2", "/count", "type");
    every_ok("owner", "9223372036854775807");
    every_ok("owner", "-9223372036854775808");
    every_bad("owner", "9223372036854775808", "/owner", "max");
    every_bad("owner", "-9223372036854775809", "/owner", "min");
    CHECK_STR(kiln_errors_find(&th.errs, "/owner")->detail,
              "out of the range of a 64-bit integer");
}

TEST(boundaries_strings_in_characters)
{
    every_ok("name", "\"ab\"");
    every_ok("name", "\"\xc3\xa9\xc3\xa9\""); /* 2 characters, 4 bytes */
    every_bad("name", "\"a\"", "/name", "min_length");
    every_bad("name", "\"\xc3\xa9\"", "/name", "min_length");
    every_ok("name", "\"12345678901234567890\"");
    /* 20 characters of 2 bytes: 40 bytes, still 20 */
    every_ok("name", "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
                     "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
                     "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"");
    every_bad("name", "\"123456789012345678901\"", "/name", "max_length");
    CHECK_STR(kiln_errors_find(&th.errs, "/name")->detail,
              "at most 20 characters");
    every_bad("name", "\"\"", "/name", "blank");
    every_ok("note", "\"\""); /* blank allowed */
    every_ok("labels", "[\"12345678\"]");
    every_bad("labels", "[\"ok\",\"123456789\"]", "/labels/1", "max_length");
}

TEST(boundaries_decimal)
{
    every_ok("price", "\"0.00\"");
    every_ok("price", "\"100000.00\"");
    every_ok("price", "\"0\"");
    every_bad("price", "\"100000.01\"", "/price", "max");
    every_bad("price", "\"-0.01\"", "/price", "min");
    every_ok("price", "\"-0\""); /* zero */
    every_bad("price", "\"1.234\"", "/price", "decimal_places");
    every_ok("price", "\"1.230\""); /* the zero past the scale loses nothing */
    every_bad("price", "\"1234567.00\"", "/price", "max_digits");
    every_bad("price", "\"1e2\"", "/price", "invalid_decimal");
    every_bad("price", "1e2", "/price", "invalid_decimal");
    every_bad("price", "\"12,50\"", "/price", "invalid_decimal");
    every_bad("price", "true", "/price", "type");
}

TEST(boundaries_dates_and_counts)
{
    every_ok("day", "\"2000-01-01\"");
    every_bad("day", "\"1999-12-31\"", "/day", "min");
    every_bad("day", "\"2026-02-30\"", "/day", "invalid_date");
    every_bad("at", "\"2026-03-05T14:07:00\"", "/at", "invalid_datetime");
    every_bad("start", "\"25:00\"", "/start", "invalid_time");
    every_bad("uid", "\"0f8fad5b\"", "/uid", "invalid_uuid");
    every_ok("tags", "[1,2,3,4,5]");
    every_bad("tags", "[1,2,3,4,5,6]", "/tags", "max_items");
    every_ok("tags", "[]");
    every_bad("tags", "[1,2,1]", "/tags/2", "duplicate_id");
    every_ok("lines", "[{\"sku\":\"a\",\"qty\":1}]");
    every_bad("lines", "[]", "/lines", "min_items");
    every_ok(
        "lines",
        "[{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":"
        "\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},"
        "{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\","
        "\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1}]");
    every_bad(
        "lines",
        "[{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":"
        "\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},"
        "{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\","
        "\"qty\":1},{\"sku\":\"a\",\"qty\":1},{\"sku\":\"a\",\"qty\":1},"
        "{\"sku\":\"a\",\"qty\":1}]",
        "/lines", "max_items");
}

TEST(many_ids_duplicates_in_long_lists)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b,
                  "{\"title\":\"x\",\"estimate\":1,\"project\":1,\"tags\":[");
    for (int i = 0; i < 5000; i++)
        kiln_buf_printf(&b, "%s%d", i ? "," : "", i == 4000 ? 17 : i);
    kiln_buf_puts(&b, "]}");
    task t;
    CHECK_INT(th_json(&task_model, b.p, KILN_DECODE_CREATE, &t), KILN_EINVAL);
    CHECK_INT(th.errs.n, 1);
    TH_ERR("/tags/4000", "duplicate_id");
    kiln_buf_deinit(&b);
}

/* ---- error codes and pointers ------------------------------------------ */

TEST(every_code_with_its_pointer)
{
    every_bad("count", "\"7\"", "/count", "type");
    CHECK_STR(kiln_errors_find(&th.errs, "/count")->detail,
              "expected an integer, got a string");
    every_bad("count", "null", "/count", "null");
    every_bad("zzz", "1", "/zzz", "unknown_field");
    char dup[1024];
    snprintf(dup, sizeof dup, "{\"count\":1,%s", &EVERY_JSON[1]);
    one_error(dup, "/count", "duplicate_field");
    every_bad("code", "\"abc\"", "/code", "pattern");
    every_bad("home", "{\"city\":\"Lyon\",\"zip\":\"6900\"}", "/home/zip",
              "pattern");
    every_bad("email", "\"ann@\"", "/email", "invalid_email");
    every_bad("site", "\"ftp://example.com\"", "/site", "invalid_url");
    every_bad("color", "\"pink\"", "/color", "choice");
    CHECK_STR(kiln_errors_find(&th.errs, "/color")->detail,
              "must be one of: red, green, blue");
    every_bad("home", "null", "/home", "null");
    every_bad("home", "[]", "/home", "type");
    every_bad("lines", "[{\"sku\":\"a\",\"qty\":1},{\"sku\":\"b\",\"qty\":0}]",
              "/lines/1/qty", "min");
    every_bad("lines", "[{\"sku\":\"a\"}]", "/lines/0/qty", "required");
    every_bad("lines", "[{\"sku\":\"a\",\"qty\":1,\"x\":1}]", "/lines/0/x",
              "unknown_field");
    every_bad("tags", "[1,\"2\"]", "/tags/1", "type");
    every_bad("tags", "[1,null]", "/tags/1", "null");
    every_bad("tags", "[1,2.5]", "/tags/1", "type");
    every_bad("tags", "{}", "/tags", "type");
    every_bad("labels", "[null]", "/labels/0", "null");
    every_bad("active", "1", "/active", "type");
}

TEST(file_fields_in_json)
{
    doc d;
    CHECK_INT(th_json(&doc_model, "{\"title\":\"t\",\"file\":\"x\"}",
                      KILN_DECODE_CREATE, &d),
              KILN_EINVAL);
    TH_ERR("/file", "not_a_file");
    CHECK_INT(th.errs.n, 1);
    CHECK_INT(th_json(&doc_model, "{\"title\":\"t\"}", KILN_DECODE_CREATE, &d),
              KILN_EINVAL);
    TH_ERR("/file", "file_required");
    CHECK_INT(th.errs.n, 1);
}

TEST(many_errors_at_once_in_input_order)
{
    every e;
    CHECK_INT(th_json(&every_model,
                      "{\"count\":\"x\",\"ratio\":true,\"price\":\"abc\","
                      "\"name\":\"\",\"day\":\"2026-13-01\",\"at\":1,"
                      "\"start\":\"x\",\"uid\":\"u\",\"email\":\"e\","
                      "\"site\":\"s\",\"color\":\"c\",\"owner\":1.5,"
                      "\"tags\":[0,0],\"home\":{\"city\":7},"
                      "\"lines\":[{\"sku\":\"a\",\"qty\":100},1],"
                      "\"labels\":[\"123456789\"],\"code\":\"x\",\"q~/\":1}",
                      KILN_DECODE_CREATE, &e),
              KILN_EINVAL);
    static const char *want[][2] = {
        {"/count", "type"},
        {"/ratio", "type"},
        {"/price", "invalid_decimal"},
        {"/name", "blank"},
        {"/day", "invalid_date"},
        {"/at", "type"},
        {"/start", "invalid_time"},
        {"/uid", "invalid_uuid"},
        {"/email", "invalid_email"},
        {"/site", "invalid_url"},
        {"/color", "choice"},
        {"/owner", "type"},
        {"/tags/1", "duplicate_id"},
        {"/home/city", "type"},
        {"/lines/0/qty", "max"},
        {"/lines/1", "type"},
        {"/labels/0", "max_length"},
        {"/code", "pattern"},
        {"/q~0~1", "unknown_field"},
    };
    size_t n = sizeof want / sizeof *want;
    if (th.errs.n != n) {
        th_dump();
        test_fail(__FILE__, __LINE__, "%zu errors, expected %zu", th.errs.n, n);
    }
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(th.errs.items[i].pointer, want[i][0]);
        CHECK_STR(th.errs.items[i].code, want[i][1]);
        CHECK(th.errs.items[i].detail[0] != '\0');
    }
}

TEST(top_level_must_be_an_object)
{
    every e;
    static const char *inputs[] = {"[1,2]", "1", "\"x\"", "null", "true"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        CHECK_INT(th_json(&every_model, inputs[i], KILN_DECODE_CREATE, &e),
                  KILN_EINVAL);
        CHECK_INT(th.errs.n, 1);
        TH_ERR("", "type");
    }
}

/* Expects s (n bytes) to be refused as malformed at offset. */
static void malformed(const char *lit, size_t n, size_t offset)
{
    every e;
    const char *s = lit;
    int rc = th_jsonn(&every_model, s, n, KILN_DECODE_CREATE, 0, &e);
    if (rc != KILN_EPARSE)
        test_fail(__FILE__, __LINE__, "%.*s: rc %d, expected KILN_EPARSE",
                  (int)n, s, rc);
    if (th.perr.offset != offset)
        test_fail(__FILE__, __LINE__, "%.*s: offset %zu (%s), expected %zu",
                  (int)n, s, th.perr.offset, th.perr.msg, offset);
    CHECK(th.perr.msg[0] && th.perr.line >= 1 && th.perr.col >= 1);
}
#define MALFORMED(lit, off) malformed(lit, sizeof(lit) - 1, off)

TEST(malformed_json_is_a_400_with_the_offset)
{
    MALFORMED("", 0);
    MALFORMED("{", 1);
    MALFORMED("{\"count\":", 9);
    MALFORMED("{\"count\":1,}", 11);
    MALFORMED("{\"count\":01}", 9);
    MALFORMED("{\"count\":1} x", 12);
    MALFORMED("\xEF\xBB\xBF{}", 0);
    MALFORMED("{\"name\":\"a\xff\"}", 10);  /* bad UTF-8 */
    MALFORMED("{\"na\xc3\x28me\":1}", 4);   /* in a key */
    MALFORMED("{\"name\":\"\\ud800\"}", 9); /* lone surrogate */
    MALFORMED("{\"name\":\"\\udc00\\ud800\"}", 9);
    MALFORMED("{\"name\":\"a\0b\"}", 10); /* raw NUL */
    MALFORMED("{\"name\":\"a\nb\"}", 10); /* raw newline */
    MALFORMED("{\"name\":'x'}", 8);
    MALFORMED("{\"count\":tru}", 9);
    MALFORMED("{\"count\":-}", 10);
    MALFORMED("{\"count\":1.}", 11);
    MALFORMED("{\"zzz\":[1,2}", 11); /* in a skipped value */
    MALFORMED("{\"lines\":[", 10);   /* input ends inside lists */
    MALFORMED("{\"lines\":[{\"qty\":1},", 20);
    MALFORMED("{\"tags\":[1,", 11);
    MALFORMED("{\"labels\":[\"a\",", 15);
    MALFORMED("{\"id\":{\"a\" 1}}", 11); /* read-only skipped */
    /* schema errors before the syntax error: still a 400 */
    MALFORMED("{\"count\":\"x\",\"ratio\":[}", 22);
    /* line and column */
    every e;
    CHECK_INT(th_json(&every_model, "{\n  \"count\": 1,\n  ]", 0, &e),
              KILN_EPARSE);
    CHECK_INT(th.perr.line, 3);
    CHECK_INT(th.perr.col, 3);
}

TEST(strings_with_nul_and_escapes)
{
    every e;
    /* \u0000 decodes to a NUL byte, which no string field takes:
       PostgreSQL's text cannot hold it (a database error, found by
       scripts/api_props.py) and C reads a string only up to it */
    every_bad("name", "\"a\\u0000b\"", "/name", "null_character");
    every_bad("code", "\"AB\\u0000\"", "/code", "null_character");
    /* a string set in C may hold one: the encoder escapes it */
    CHECK_INT(th_json(&every_model, th_every("name", "\"ab\""), 0, &e), 0);
    e.name = (kiln_str){"a\0b", 3};
    CHECK(strstr(th_encode(&every_model, &e), "\"name\":\"a\\u0000b\""));
    every_ok("code", "\"\\u0041BC\"");
}

TEST(hostile_deep_nesting)
{
    every e;
    size_t depth = 100000;
    char *s = malloc(depth * 2 + 32);
    size_t n = (size_t)sprintf(s, "{\"zzz\":");
    memset(s + n, '[', depth);
    n += depth;
    memset(s + n, ']', depth);
    n += depth;
    s[n++] = '}';
    CHECK_INT(th_jsonn(&every_model, s, n, KILN_DECODE_CREATE, 0, &e),
              KILN_EPARSE);
    CHECK_STR(th.perr.msg, "nesting too deep");
    CHECK_INT(th.perr.offset, 7 + 63); /* the 64th level (the object: 1) */
    /* in a json field's value too */
    memcpy(s + 2, "meta", 4);
    s[6] = '"';
    CHECK_INT(th_jsonn(&every_model, s, n, KILN_DECODE_CREATE, 0, &e),
              KILN_EPARSE);
    /* a recursive model: the limit holds, and can be raised */
    kiln_buf b;
    kiln_buf_init(&b);
    for (int i = 0; i < 40; i++)
        kiln_buf_puts(&b, "{\"name\":\"n\",\"kids\":[");
    for (int i = 0; i < 40; i++)
        kiln_buf_puts(&b, "]}");
    node t;
    CHECK_INT(th_jsonn(&node_model, b.p, b.n, 0, 0, &t), KILN_EPARSE);
    CHECK_INT(th_jsonn(&node_model, b.p, b.n, 0, 100, &t), 0);
    CHECK_INT(t.kids.n, 1);
    /* but not past 128 levels of the model, whatever max_depth says */
    kiln_buf_clear(&b);
    for (int i = 0; i < 70; i++)
        kiln_buf_puts(&b, "{\"name\":\"n\",\"kids\":[");
    for (int i = 0; i < 70; i++)
        kiln_buf_puts(&b, "]}");
    CHECK_INT(th_jsonn(&node_model, b.p, b.n, 0, 100000, &t), KILN_EPARSE);
    CHECK_STR(th.perr.msg, "nesting too deep");
    /* while unknown values may nest up to max_depth */
    kiln_buf_clear(&b);
    kiln_buf_puts(&b, "{\"x\":");
    for (int i = 0; i < 1000; i++)
        kiln_buf_putc(&b, '[');
    for (int i = 0; i < 1000; i++)
        kiln_buf_putc(&b, ']');
    kiln_buf_putc(&b, '}');
    static const kiln_model open = {.name = "open",
                                    .flags = KILN_MF_ALLOW_UNKNOWN};
    char none[1];
    CHECK_INT(th_jsonn(&open, b.p, b.n, 0, 1001, none), 0);
    CHECK_INT(th_jsonn(&open, b.p, b.n, 0, 1000, none), KILN_EPARSE);
    kiln_buf_deinit(&b);
    free(s);
}

TEST(hostile_numbers_and_strings)
{
    every e;
    size_t big = 1 << 20;
    char *s = malloc(big + 64);
    int n = sprintf(s, "{\"owner\":");
    memset(s + n, '9', big);
    strcpy(s + n + big, "}");
    CHECK_INT(th_json(&every_model, s, KILN_DECODE_CREATE, &e), KILN_EINVAL);
    TH_ERR("/owner", "max");
    n = sprintf(s, "{\"ratio\":0.");
    memset(s + n, '1', big);
    strcpy(s + n + big, "}");
    CHECK_INT(th_json(&every_model, s, KILN_DECODE_CREATE, &e), KILN_EINVAL);
    CHECK(kiln_errors_find(&th.errs, "/ratio") == NULL); /* 0.111... is fine */
    n = sprintf(s, "{\"name\":\"");
    memset(s + n, 'x', big);
    strcpy(s + n + big, "\"}");
    CHECK_INT(th_json(&every_model, s, KILN_DECODE_CREATE, &e), KILN_EINVAL);
    TH_ERR("/name", "max_length");
    free(s);
}

TEST(hostile_error_floods_are_bounded)
{
    every e;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_putc(&b, '{');
    for (int i = 0; i < 1000; i++)
        kiln_buf_printf(&b, "%s\"u%d\":1", i ? "," : "", i);
    kiln_buf_putc(&b, '}');
    CHECK_INT(th_json(&every_model, b.p, 0, &e), KILN_EINVAL);
    CHECK_INT(th.errs.n, KILN_ERRORS_MAX);
    CHECK(th.errs.dropped >= 1000 - KILN_ERRORS_MAX);
    /* long keys: the pointers' bytes are bounded, the rest counted */
    kiln_buf_clear(&b);
    kiln_buf_putc(&b, '{');
    for (int i = 0; i < 50; i++) {
        kiln_buf_printf(&b, "%s\"%d", i ? "," : "", i);
        for (int k = 0; k < 8192; k++)
            kiln_buf_putc(&b, 'k');
        kiln_buf_puts(&b, "\":1");
    }
    kiln_buf_putc(&b, '}');
    CHECK_INT(th_json(&every_model, b.p, 0, &e), KILN_EINVAL);
    size_t bytes = 0;
    for (size_t i = 0; i < th.errs.n; i++)
        bytes += strlen(th.errs.items[i].pointer);
    CHECK(bytes <= 64 * 1024);
    CHECK(th.errs.n >= 5 && th.errs.dropped > 0);
    kiln_buf_deinit(&b);
}

TEST(unknown_fields_allowed_by_the_model)
{
    static const kiln_field f[] = {
        {TM_FIELD(addr, city), .type = KILN_FT_STRING, .max_length = 5}};
    static const kiln_model open = {.name = "open",
                                    .fields = f,
                                    .nfields = 1,
                                    .size = sizeof(addr),
                                    .flags = KILN_MF_ALLOW_UNKNOWN};
    addr a;
    CHECK_INT(th_json(&open,
                      "{\"x\":{\"deep\":[1,{}]},\"city\":\"Nice\","
                      "\"y\":null}",
                      0, &a),
              0);
    CHECK_VIEW(a.city, "Nice");
    /* but a key twice is still ambiguous */
    CHECK_INT(th_json(&open, "{\"city\":\"a\",\"city\":\"b\"}", 0, &a),
              KILN_EINVAL);
    TH_ERR("/city", "duplicate_field");
}

/* ---- encoder --------------------------------------------------------------
 */

TEST(encode_nulls_lists_and_out_of_range)
{
    every e;
    memset(&e, 0, sizeof e);
    e.color = 9;        /* not a value: null */
    e.has_note = false; /* NULL */
    e.has_work = true;  /* a present, empty object */
    const char *out = th_encode(&every_model, &e);
    CHECK(strstr(out, "\"color\":null"));
    CHECK(strstr(out, "\"note\":null"));
    CHECK(strstr(out, "\"meta\":null"));
    CHECK(strstr(out, "\"work\":{\"city\":\"\",\"zip\":null}"));
    CHECK(strstr(out, "\"tags\":[],"));
    CHECK(strstr(out, "\"at\":\"1970-01-01T00:00:00.000Z\""));
    CHECK(!strstr(out, "secret"));
    task ts[2];
    memset(ts, 0, sizeof ts);
    ts[0].id = 1;
    ts[0].title = KILN_STR("a</b>");
    ts[0].estimate = KILN_STR("1.00");
    int64_t ids[] = {4, 5};
    ts[1].id = 2;
    ts[1].title = KILN_STR("\xff");
    ts[1].has_due = true;
    ts[1].due = (kiln_date){2026, 1, 2};
    ts[1].status = 2;
    ts[1].tags = (kiln_ids){ids, 2};
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(kiln_encode_json_list(&task_model, ts, 2, &b), 0);
    CHECK_STR(b.p,
              "[{\"id\":1,\"title\":\"a<\\/b>\",\"done\":false,\"due\":null,"
              "\"status\":\"open\",\"estimate\":\"1.00\",\"project\":0,"
              "\"tags\":[],\"created\":\"1970-01-01T00:00:00.000Z\"},"
              "{\"id\":2,\"title\":\"\\ufffd\",\"done\":false,"
              "\"due\":\"2026-01-02\",\"status\":\"done\",\"estimate\":\"\","
              "\"project\":0,\"tags\":[4,5],"
              "\"created\":\"1970-01-01T00:00:00.000Z\"}]");
    kiln_buf_clear(&b);
    CHECK_INT(kiln_encode_json_list(&task_model, ts, 0, &b), 0);
    CHECK_STR(b.p, "[]");
    kiln_buf_deinit(&b);
}

/* ---- kiln_validate and kiln_defaults ------------------------------------ */

TEST(validate_a_struct_built_in_c)
{
    every e;
    CHECK_INT(th_json(&every_model, EVERY_JSON, 0, &e), 0);
    kiln_errors errs;
    kiln_errors_init(&errs, &th.a);
    CHECK_INT(kiln_validate(&every_model, &e, "", &errs), 0);
    CHECK_INT(errs.n, 0);
    line lines[2];
    memcpy(lines, e.lines.v, sizeof lines);
    lines[1].qty = 0;
    e.lines.v = lines;
    e.name = KILN_STR("x");
    e.price = KILN_STR("12.5");
    e.day = (kiln_date){2026, 2, 30};
    e.color = 3;
    int64_t dup[] = {1, 1};
    e.tags = (kiln_ids){dup, 2};
    e.home.city = KILN_STR("\xc3");
    e.at = INT64_C(-99999999999999999);
    e.start = -1;
    e.ratio = NAN;
    e.meta = KILN_STR("{bad");
    CHECK_INT(kiln_validate(&every_model, &e, "/data", &errs), KILN_EINVAL);
    th.errs = errs;
    TH_ERR("/data/lines/1/qty", "min");
    TH_ERR("/data/name", "min_length");
    TH_ERR("/data/price", "invalid_decimal");
    TH_ERR("/data/day", "invalid_date");
    TH_ERR("/data/color", "choice");
    TH_ERR("/data/tags/1", "duplicate_id");
    TH_ERR("/data/home/city", "type");
    TH_ERR("/data/at", "invalid_datetime");
    TH_ERR("/data/start", "invalid_time");
    TH_ERR("/data/ratio", "type");
    TH_ERR("/data/meta", "invalid_json");
    CHECK_INT(errs.n, 11);
    doc d = {.title = KILN_STR("t")};
    kiln_errors_init(&errs, &th.a);
    CHECK_INT(kiln_validate(&doc_model, &d, "", &errs), KILN_EINVAL);
    th.errs = errs;
    TH_ERR("/file", "file_required");
    CHECK_INT(errs.n, 1);
}

TEST(defaults_for_a_struct_built_in_c)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    every e;
    memset(&e, 0x55, sizeof e);
    CHECK_INT(kiln_defaults(&every_model, &a, &e), 0);
    CHECK(e.active);
    CHECK_INT(e.color, 1);
    CHECK_VIEW(e.code, "ABC");
    CHECK_VIEW(e.secret, "");
    CHECK_INT(e.labels.n, 0);
    CHECK_INT(e.count, 0);
    CHECK(!e.has_note && !e.has_work);
    task t;
    CHECK_INT(kiln_defaults(&task_model, &a, &t), 0);
    CHECK(!t.done);
    CHECK(t.created > 0);
    CHECK_INT(t.status, 0);
    kiln_arena_deinit(&a);
}

/* Decodes EVERY_JSON in a loop (patterns compiled by whoever comes first). */
static void *decode_loop(void *arg)
{
    (void)arg;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (int i = 0; i < 300; i++) {
        kiln_errors errs;
        every e;
        kiln_errors_init(&errs, &a);
        if (kiln_decode_json(&every_model, EVERY_JSON, strlen(EVERY_JSON), NULL,
                             &a, &e, NULL, &errs, NULL) != 0)
            return (void *)1;
        kiln_errors_init(&errs, &a);
        const char *bad = "{\"code\":\"abc\"}";
        if (kiln_decode_json(&every_model, bad, strlen(bad), NULL, &a, &e, NULL,
                             &errs, NULL) != KILN_EINVAL ||
            !kiln_errors_find(&errs, "/code"))
            return (void *)1;
        kiln_arena_reset(&a);
    }
    kiln_arena_deinit(&a);
    return NULL;
}

TEST(patterns_from_many_threads)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_INT(pthread_create(&t[i], NULL, decode_loop, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        CHECK_INT(pthread_join(t[i], &r), 0);
        CHECK(r == NULL);
    }
    CHECK_INT(every_code_pattern.state, 1);
}

TEST(floats_read_exactly_as_strtod)
{
    typedef struct fl {
        double x;
    } fl;
    static const kiln_field f[] = {{.name = "x",
                                    .label = "x",
                                    .type = KILN_FT_FLOAT,
                                    .has_offset = KILN_NO_OFFSET,
                                    .min_length = -1,
                                    .max_length = -1}};
    static const kiln_model m = {
        .name = "fl", .fields = f, .nfields = 1, .size = sizeof(fl)};
    uint64_t r = 0x9E3779B97F4A7C15u;
    char num[64], doc[96];
    for (int i = 0; i < 50000; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        int digits = 1 + (int)(r % 19), point = (int)(r >> 8) % (digits + 1);
        int n = 0;
        if (r >> 20 & 1)
            num[n++] = '-';
        uint64_t v = r >> 24;
        for (int k = 0; k < digits; k++) {
            if (k == point && k > 0)
                num[n++] = '.';
            num[n++] =
                (char)('0' + (k == 0 && digits > 1 && point != 1 ? 1 + v % 9
                                                                 : v % 10));
            v = v / 10 ? v / 10 : r >> 3;
        }
        if (r >> 40 & 1)
            n += sprintf(num + n, "e%d", (int)(r >> 41 & 63) - 32);
        num[n] = '\0';
        snprintf(doc, sizeof doc, "{\"x\":%s}", num);
        fl out;
        int rc = th_json(&m, doc, 0, &out);
        if (rc == KILN_EPARSE)
            continue; /* a leading zero: not JSON */
        double want = strtod(num, NULL);
        if (rc == KILN_EINVAL) {
            CHECK(isinf(want));
            continue;
        }
        if (memcmp(&out.x, &want, sizeof want) != 0)
            test_fail(__FILE__, __LINE__, "%s read as %.17g, strtod %.17g", num,
                      out.x, want);
    }
}
