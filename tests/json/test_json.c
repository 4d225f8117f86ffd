/*
 * tests/json/test_json.c - unit tests of src/json: the writer (write.c), the
 * format helper (format.c), the parser and lookup (parse.c), and the
 * JSONTestSuite conformance cases in ../shared/conformance/json-test-suite.
 */
#include "test.h"

#include <kiln/db.h>
#include <kiln/json.h>

#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>

/* ---- helpers ----------------------------------------------------------- */

/* Writes s[0..n) with kiln_json_put_str and checks the output is want. */
static void check_put_str(const char *s, size_t n, const char *want)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(kiln_json_put_str(&b, s, n), 0);
    CHECK_STR(b.p, want);
    CHECK_INT(b.n, strlen(want));
    kiln_buf_deinit(&b);
}

#define PUT_STR(lit, want) check_put_str(lit, sizeof(lit) - 1, want)

/* Formats d with kiln_json_put_double and checks the output is want. */
static void check_put_double(double d, const char *want)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(kiln_json_put_double(&b, d), 0);
    CHECK_STR(b.p, want);
    kiln_buf_deinit(&b);
}

/*
 * Writes d, checks strtod reads the output back bit for bit, that the parser
 * accepts it as a number with the same d, and that no longer than 17
 * significant digits were used.
 */
static void check_double_round_trip(double d)
{
    kiln_buf b;
    kiln_arena a;
    kiln_json *v;
    kiln_buf_init(&b);
    kiln_arena_init(&a, 0);
    CHECK_INT(kiln_json_put_double(&b, d), 0);
    double back = strtod(b.p, NULL);
    if (memcmp(&back, &d, sizeof(d)) != 0)
        test_fail(__FILE__, __LINE__, "%.17g written as %s reads back %.17g", d,
                  b.p, back);
    CHECK_INT(kiln_json_parse(&a, b.p, b.n, 0, &v, NULL), 0);
    CHECK_INT(v->type, KILN_JSON_NUMBER);
    CHECK(memcmp(&v->u.number.d, &d, sizeof(d)) == 0);
    kiln_arena_deinit(&a);
    kiln_buf_deinit(&b);
}

/* Runs kiln_json_format and returns its code; *out gets a malloc'd copy. */
static int format_to(char **out, const char *fmt, ...)
{
    kiln_buf b;
    va_list ap;
    kiln_buf_init(&b);
    va_start(ap, fmt);
    int rc = kiln_json_vformat(&b, fmt, ap);
    va_end(ap);
    *out = b.p ? kiln_buf_detach(&b) : strdup("");
    return rc;
}

/* Parses the C string s with the default depth; checks the return code. */
static kiln_json *parse_ok(kiln_arena *a, const char *s)
{
    kiln_json *v = NULL;
    kiln_json_error e;
    int rc = kiln_json_parse(a, s, strlen(s), 0, &v, &e);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "parse of '%s' failed: %d at %zu: %s", s,
                  rc, e.offset, e.msg);
    CHECK(v != NULL);
    return v;
}

/*
 * Parses p[0..n) expecting failure with code rc at offset, line and col
 * (line 0 skips the position checks). Returns the error for more checks.
 */
static kiln_json_error parse_fail_n(const char *p, size_t n, int max_depth,
                                    int rc, size_t offset, int line, int col)
{
    kiln_arena a;
    kiln_json *v = (kiln_json *)&a; /* not NULL: checks it is cleared */
    kiln_json_error e;
    memset(&e, 0, sizeof(e));
    kiln_arena_init(&a, 0);
    int got = kiln_json_parse(&a, p, n, max_depth, &v, &e);
    if (got != rc)
        test_fail(__FILE__, __LINE__, "parse of '%.*s': %d, expected %d",
                  (int)n, p, got, rc);
    CHECK(v == NULL);
    CHECK(e.msg[0] != '\0');
    if (line) {
        if (e.offset != offset || e.line != line || e.col != col)
            test_fail(__FILE__, __LINE__,
                      "parse of '%.*s': error at %zu (%d:%d) '%s', "
                      "expected %zu (%d:%d)",
                      (int)n, p, e.offset, e.line, e.col, e.msg, offset, line,
                      col);
    }
    kiln_arena_deinit(&a);
    return e;
}

#define PARSE_FAIL(lit, offset, line, col)                                     \
    parse_fail_n(lit, sizeof(lit) - 1, 0, KILN_EPARSE, offset, line, col)
#define PARSE_REJECT(lit) PARSE_FAIL(lit, 0, 0, 0)

/* Appends the tree v as compact JSON (numbers written from their value). */
static void write_tree(kiln_buf *b, const kiln_json *v)
{
    switch (v->type) {
    case KILN_JSON_NULL:
        CHECK_INT(kiln_buf_puts(b, "null"), 0);
        break;
    case KILN_JSON_BOOL:
        CHECK_INT(kiln_buf_puts(b, v->u.boolean ? "true" : "false"), 0);
        break;
    case KILN_JSON_NUMBER:
        if (v->u.number.is_int)
            CHECK_INT(kiln_json_put_i64(b, v->u.number.i), 0);
        else
            CHECK_INT(kiln_json_put_double(b, v->u.number.d), 0);
        break;
    case KILN_JSON_STRING:
        CHECK_INT(kiln_json_put_str(b, v->u.string.p, v->u.string.n), 0);
        break;
    case KILN_JSON_ARRAY:
        CHECK_INT(kiln_buf_putc(b, '['), 0);
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                CHECK_INT(kiln_buf_putc(b, ','), 0);
            write_tree(b, &v->u.array.items[i]);
        }
        CHECK_INT(kiln_buf_putc(b, ']'), 0);
        break;
    case KILN_JSON_OBJECT:
        CHECK_INT(kiln_buf_putc(b, '{'), 0);
        for (size_t i = 0; i < v->u.object.n; i++) {
            const kiln_json_member *m = &v->u.object.items[i];
            if (i)
                CHECK_INT(kiln_buf_putc(b, ','), 0);
            CHECK_INT(kiln_json_put_str(b, m->key.p, m->key.n), 0);
            CHECK_INT(kiln_buf_putc(b, ':'), 0);
            write_tree(b, &m->value);
        }
        CHECK_INT(kiln_buf_putc(b, '}'), 0);
        break;
    }
}

/* Parses in, writes the tree back and checks the text is want. */
static void check_rewrite(const char *in, const char *want)
{
    kiln_arena a;
    kiln_buf b;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&b);
    write_tree(&b, parse_ok(&a, in));
    CHECK_STR(b.p, want);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

/* ---- writer: strings --------------------------------------------------- */

TEST(put_str_plain)
{
    PUT_STR("", "\"\"");
    PUT_STR("hello, world", "\"hello, world\"");
    PUT_STR("a/b//c <b> <> 1<2", "\"a/b//c <b> <> 1<2\"");
    check_put_str(NULL, 0, "\"\"");
}

TEST(put_str_every_control_char)
{
    static const char *const want[32] = {
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
        "\\u0006", "\\u0007", "\\b",     "\\t",     "\\n",     "\\u000b",
        "\\f",     "\\r",     "\\u000e", "\\u000f", "\\u0010", "\\u0011",
        "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d",
        "\\u001e", "\\u001f"};
    for (int c = 0; c < 32; c++) {
        char in[3] = {'a', (char)c, 'z'}, out[16];
        snprintf(out, sizeof(out), "\"a%sz\"", want[c]);
        check_put_str(in, 3, out);
    }
    PUT_STR("\x7f", "\"\x7f\""); /* DEL is not a JSON control character */
}

TEST(put_str_quotes_backslash)
{
    PUT_STR("\"", "\"\\\"\"");
    PUT_STR("\\", "\"\\\\\"");
    PUT_STR("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
    PUT_STR("\\u0041", "\"\\\\u0041\"");
}

TEST(put_str_script_close)
{
    PUT_STR("</script>", "\"<\\/script>\"");
    PUT_STR("a</b></c>", "\"a<\\/b><\\/c>\"");
    PUT_STR("<</", "\"<<\\/\"");
    PUT_STR("<", "\"<\"");
    PUT_STR("/<", "\"/<\"");
    PUT_STR("x</", "\"x<\\/\"");
}

TEST(put_str_utf8_valid)
{
    PUT_STR("caf\xc3\xa9", "\"caf\xc3\xa9\"");             /* U+00E9 */
    PUT_STR("\xe2\x82\xac", "\"\xe2\x82\xac\"");           /* U+20AC */
    PUT_STR("\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"");   /* U+1D11E */
    PUT_STR("\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\""); /* U+1F600 */
    PUT_STR("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");   /* U+10FFFF */
    PUT_STR("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"");   /* edges */
    PUT_STR("\xe0\xa0\x80\xef\xbf\xbf", "\"\xe0\xa0\x80\xef\xbf\xbf\"");
    PUT_STR("\xed\x9f\xbf\xee\x80\x80", "\"\xed\x9f\xbf\xee\x80\x80\"");
    PUT_STR("\xef\xbf\xbd", "\"\xef\xbf\xbd\""); /* a real U+FFFD is kept */
    /* U+2028 and U+2029 are escaped (JavaScript line terminators) */
    PUT_STR("a\342\200\250b\342\200\251", "\"a\\u2028b\\u2029\"");
    PUT_STR("\xe2\x80\xa7\xe2\x80\xaa", "\"\xe2\x80\xa7\xe2\x80\xaa\"");
}

TEST(put_str_utf8_invalid)
{
#define FFFD "\\ufffd"
    PUT_STR("\x80", "\"" FFFD "\""); /* lone continuation */
    PUT_STR("a\277b", "\"a" FFFD "b\"");
    PUT_STR("\xc0\xaf", "\"" FFFD FFFD "\""); /* overlong '/' */
    PUT_STR("\xc1\xbf", "\"" FFFD FFFD "\"");
    PUT_STR("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");          /* overlong 3 */
    PUT_STR("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\""); /* 4 */
    PUT_STR("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");          /* U+D800 */
    PUT_STR("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");          /* U+DFFF */
    PUT_STR("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* >10FFFF */
    PUT_STR("\xf5\x80", "\"" FFFD FFFD "\"");
    PUT_STR("\xfe\xff", "\"" FFFD FFFD "\"");
    PUT_STR("\xc3", "\"" FFFD "\"");     /* truncated at the end */
    PUT_STR("\xe2\x82", "\"" FFFD "\""); /* maximal subpart: one */
    PUT_STR("\xf0\x9f\x98", "\"" FFFD "\"");
    PUT_STR("\360\237\230a", "\"" FFFD "a\""); /* truncated mid-text */
    PUT_STR("\xe2\x82\xe2\x82\xac", "\"" FFFD "\xe2\x82\xac\"");
    PUT_STR("\xc3\xc3\xa9", "\"" FFFD "\xc3\xa9\"");
    PUT_STR("\xfc\x83\xbf\xbf\xbf\xbf",
            "\"" FFFD FFFD FFFD FFFD FFFD FFFD "\""); /* old 6-byte form */
    PUT_STR("</\x80\"", "\"<\\/" FFFD "\\\"\"");
#undef FFFD
}

TEST(put_str_long_and_appending)
{
    /* a long string mixing runs and escapes, appended after other data */
    kiln_buf b, want;
    kiln_buf_init(&b);
    kiln_buf_init(&want);
    char in[3000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = i % 100 == 99 ? '\n' : (char)('a' + i % 26);
    CHECK_INT(kiln_buf_puts(&b, "prefix:"), 0);
    CHECK_INT(kiln_json_put_str(&b, in, sizeof(in)), 0);
    CHECK_INT(kiln_buf_puts(&want, "prefix:\""), 0);
    for (size_t i = 0; i < sizeof(in); i++)
        CHECK_INT(in[i] == '\n' ? kiln_buf_puts(&want, "\\n")
                                : kiln_buf_putc(&want, in[i]),
                  0);
    CHECK_INT(kiln_buf_putc(&want, '"'), 0);
    CHECK_STR(b.p, want.p);
    kiln_buf_deinit(&b);
    kiln_buf_deinit(&want);
}

TEST(put_str_output_parses_back)
{
    /* every 1- and 2-byte input: the output is valid JSON, and a valid
     * UTF-8 input decodes back to itself */
    kiln_arena a;
    kiln_buf b;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&b);
    for (int i = 0; i < 256 * 256; i++) {
        char in[2] = {(char)(i >> 8), (char)i};
        for (size_t n = 1; n <= 2; n++) {
            kiln_json *v;
            kiln_buf_clear(&b);
            CHECK_INT(kiln_json_put_str(&b, in + 2 - n, n), 0);
            CHECK_INT(kiln_json_parse(&a, b.p, b.n, 0, &v, NULL), 0);
            CHECK_INT(v->type, KILN_JSON_STRING);
            if (!strstr(b.p, "\\ufffd")) {
                CHECK_INT(v->u.string.n, n);
                CHECK(memcmp(v->u.string.p, in + 2 - n, n) == 0);
            }
        }
        kiln_arena_reset(&a);
    }
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

/* ---- writer: numbers --------------------------------------------------- */

TEST(put_double_forms)
{
    check_put_double(0.0, "0");
    check_put_double(-0.0, "-0");
    check_put_double(3.0, "3");
    check_put_double(-42.0, "-42");
    check_put_double(0.1, "0.1");
    check_put_double(0.5, "0.5");
    check_put_double(1.0 / 3.0, "0.3333333333333333");
    check_put_double(0.1 + 0.2, "0.30000000000000004");
    check_put_double(1e300, "1e+300");
    check_put_double(-1e-300, "-1e-300");
    check_put_double(1e21, "1e+21");
    check_put_double(123456.789, "123456.789");
    check_put_double(5e-324, "4.94065645841247e-324");
    check_put_double(DBL_MAX, "1.7976931348623157e+308");
    check_put_double(9007199254740993.0, "9007199254740992"); /* 2^53+1 */
    check_put_double(NAN, "null");
    check_put_double(-NAN, "null");
    check_put_double(INFINITY, "null");
    check_put_double(-INFINITY, "null");
}

TEST(put_double_round_trip)
{
    static const double fixed[] = {0.0,
                                   -0.0,
                                   0.1,
                                   0.2,
                                   0.3,
                                   1.0 / 3.0,
                                   2.0 / 3.0,
                                   1e300,
                                   -1e300,
                                   5e-324,
                                   -5e-324,
                                   1e-323,
                                   2.2250738585072014e-308,
                                   2.2250738585072009e-308,
                                   DBL_MIN,
                                   DBL_MAX,
                                   -DBL_MAX,
                                   DBL_EPSILON,
                                   1.0,
                                   3.0,
                                   1e15,
                                   1e16,
                                   1e17,
                                   1e21,
                                   1e22,
                                   1e23,
                                   9007199254740992.0,
                                   9007199254740993.0,
                                   9007199254740994.0,
                                   18446744073709551616.0,
                                   3.141592653589793,
                                   2.718281828459045,
                                   123456789.125,
                                   1e-7,
                                   100.0,
                                   0.000001,
                                   4.35,
                                   8.41,
                                   5.0e-324 * 3,
                                   1.7976931348623157e308 / 3};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_double_round_trip(fixed[i]);
    /* random bit patterns across the whole range */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof(d));
        if (isfinite(d))
            check_double_round_trip(d);
    }
    /* random decimal-looking values (short representations) */
    for (int i = 0; i < 2000; i++)
        check_double_round_trip((double)(i * 7919 % 100003) / 1000.0);
}

TEST(put_i64)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(kiln_json_put_i64(&b, 0), 0);
    CHECK_INT(kiln_buf_putc(&b, ' '), 0);
    CHECK_INT(kiln_json_put_i64(&b, -1), 0);
    CHECK_INT(kiln_buf_putc(&b, ' '), 0);
    CHECK_INT(kiln_json_put_i64(&b, 9007199254740993), 0); /* 2^53+1 */
    CHECK_INT(kiln_buf_putc(&b, ' '), 0);
    CHECK_INT(kiln_json_put_i64(&b, INT64_MAX), 0);
    CHECK_INT(kiln_buf_putc(&b, ' '), 0);
    CHECK_INT(kiln_json_put_i64(&b, INT64_MIN), 0);
    CHECK_STR(b.p, "0 -1 9007199254740993 9223372036854775807 "
                   "-9223372036854775808");
    kiln_buf_deinit(&b);
}

TEST(i64_beyond_double_precision_round_trips)
{
    /* 2^53+1 is not a double: as an integer it survives write and parse */
    kiln_arena a;
    kiln_buf b;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&b);
    CHECK_INT(kiln_json_put_i64(&b, 9007199254740993), 0);
    kiln_json *v = parse_ok(&a, b.p);
    CHECK(v->u.number.is_int);
    CHECK(v->u.number.i == 9007199254740993);
    CHECK(v->u.number.d == 9007199254740992.0);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

/* ---- format ------------------------------------------------------------ */

#define FORMAT_IS(want, ...)                                                   \
    do {                                                                       \
        char *out_;                                                            \
        CHECK_INT(format_to(&out_, __VA_ARGS__), 0);                           \
        CHECK_STR(out_, want);                                                 \
        free(out_);                                                            \
    } while (0)

#define FORMAT_FAILS(...)                                                      \
    do {                                                                       \
        char *out_;                                                            \
        CHECK_INT(format_to(&out_, __VA_ARGS__), KILN_EINVAL);                 \
        free(out_);                                                            \
    } while (0)

TEST(format_keys)
{
    FORMAT_IS("{\"message\":\"hi\",\"id\":3,\"ok\":true}",
              "{message:%s, id:%d, ok:%b}", "hi", 3, 1);
    FORMAT_IS("{\"a\":1,\"b\":2}", "{a : 1, b\t:2}");
    FORMAT_IS("{\"_x1\":1,\"A_b\":2}", "{_x1:1,A_b:2}");
    FORMAT_IS("{\"n\":1}", "{n:\n 1}");
    /* literals are not keys: not followed by ':' */
    FORMAT_IS("[true,false,null,1e5,-2.5E-3]",
              "[true,false,null, 1e5, -2.5E-3]");
    FORMAT_IS("{\"t\":true,\"f\":false,\"z\":null}", "{t:true,f:false,z:null}");
    /* a number is never a key, nor split into one */
    FORMAT_IS("{\"x\":1e5}", "{x:1e5}");
    /* quoted literal text is copied untouched, its spaces too */
    FORMAT_IS("{\"a:b\":1,\"k\":\"v:w x:\",\"q\":\"\\\"c:\\\"\"}",
              "{\"a:b\":1, \"k\": \"v:w x:\", q:\"\\\"c:\\\"\"}");
    FORMAT_IS("", "");
}

TEST(format_layout_is_not_written)
{
    /* spaces, tabs and newlines after ',' and ':' and around brackets are
       the C author's layout: the output is compact */
    FORMAT_IS("{\"id\":1,\"title\":\"a b\"}", "{id:%d, title:%s}", 1, "a b");
    FORMAT_IS("{\"id\":1,\"tags\":[\"x\",\"y\"],\"o\":{\"k\":true}}",
              "{\n"
              "    id: %d,\n"
              "    tags: [ %s, %s ],\r\n"
              "    o: { k: true }\n"
              "}\n",
              1, "x", "y");
    FORMAT_IS("[1,2]", "  [ 1 ,\t2 ]  ");
    FORMAT_IS("{\"a\":[]}", "{ a : [ ] }");
    /* inside quoted literals, spaces are the text's own */
    FORMAT_IS("{\"k\":\" two  spaces \"}", "{k: \" two  spaces \"}");
    FORMAT_IS("{\"a b\":1}", "{\"a b\" : 1}");
    /* a value's own spaces are never touched */
    FORMAT_IS("[\" x \"]", "[ %s ]", " x ");
    FORMAT_IS("", " \n\t ");
}

TEST(format_nested)
{
    kiln_str name = KILN_STR("Ada \"L\"");
    FORMAT_IS("{\"user\":{\"name\":\"Ada \\\"L\\\"\",\"tags\":[\"a\",\"b\"]},"
              "\"n\":[1,2,[3]],\"e\":{},\"l\":[]}",
              "{user:{name:%S,tags:[%s,%s]},n:[1,2,[%d]],e:{},l:[]}", name, "a",
              "b", 3);
}

TEST(format_conversions)
{
    kiln_str empty = KILN_STR_NULL;
    FORMAT_IS("\"x\"", "%s", "x");
    FORMAT_IS("null", "%s", (const char *)NULL);
    FORMAT_IS("\"<\\/script>\\n\"", "%s", "</script>\n");
    FORMAT_IS("\"view\"", "%S", KILN_STR("view"));
    FORMAT_IS("\"\"", "%S", empty);
    FORMAT_IS("-2147483648", "%d", INT_MIN);
    FORMAT_IS("9223372036854775807", "%ld", (long)9223372036854775807L);
    FORMAT_IS("-9223372036854775808", "%lld", LLONG_MIN);
    FORMAT_IS("4294967295", "%u", UINT_MAX);
    FORMAT_IS("18446744073709551615", "%zu", SIZE_MAX);
    FORMAT_IS("0", "%zu", (size_t)0);
    FORMAT_IS("0.1", "%f", 0.1);
    FORMAT_IS("null", "%f", NAN);
    FORMAT_IS("[true,false,true]", "[%b,%b,%b]", 1, 0, 2);
    FORMAT_IS("{\"raw\":[1,{\"a\":2}]}", "{raw:%j}", "[1,{\"a\":2}]");
    FORMAT_IS("null", "%j", (const char *)NULL);
    FORMAT_IS("{\"pct\":\"50%\",\"v\":5}", "{pct:\"50%%\",v:%d}", 5);
    FORMAT_IS("%", "%%");
    FORMAT_IS("[1,\"two\",3.5,true,null]", "[%d,%s,%f,%b,%j]", 1, "two", 3.5, 1,
              "null");
}

TEST(format_errors)
{
    FORMAT_FAILS("%q", 1);
    FORMAT_FAILS("{a:%x}", 1);
    FORMAT_FAILS("%");
    FORMAT_FAILS("[%l]", 1L);
    FORMAT_FAILS("[%lu]", 1UL);
    FORMAT_FAILS("[%ll]", 1LL);
    FORMAT_FAILS("[%z]", (size_t)1);
    FORMAT_FAILS("[%zd]", (size_t)1);
    FORMAT_FAILS("{\"abc:1}");         /* unclosed quoted literal */
    FORMAT_FAILS("\"ab\\");            /* ends inside an escape */
    FORMAT_FAILS("{msg:\"%s\"}", "x"); /* a value inside a string literal */
    FORMAT_FAILS("\"50%\"");
}

TEST(format_appends_and_parses)
{
    kiln_buf b;
    kiln_arena a;
    kiln_buf_init(&b);
    kiln_arena_init(&a, 0);
    CHECK_INT(kiln_buf_puts(&b, "["), 0);
    for (int i = 0; i < 100; i++)
        CHECK_INT(kiln_json_format(&b, "%j{id:%d,name:%s,score:%f,ok:%b}",
                                   i ? "," : "", i, "n\xc3\xa9\x01", i / 8.0,
                                   i & 1),
                  0);
    CHECK_INT(kiln_buf_puts(&b, "]"), 0);
    kiln_json *v = parse_ok(&a, b.p);
    CHECK_INT(v->u.array.n, 100);
    const kiln_json *o = &v->u.array.items[99];
    CHECK_INT(kiln_json_get(o, "id")->u.number.i, 99);
    CHECK_STR(kiln_json_get(o, "name")->u.string.p, "n\xc3\xa9\x01");
    CHECK(kiln_json_get(o, "score")->u.number.d == 99 / 8.0);
    CHECK(kiln_json_get(o, "ok")->u.boolean);
    kiln_arena_deinit(&a);
    kiln_buf_deinit(&b);
}

/* ---- parser: values ---------------------------------------------------- */

TEST(parse_literals)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    CHECK_INT(parse_ok(&a, "null")->type, KILN_JSON_NULL);
    kiln_json *v = parse_ok(&a, " \t\r\ntrue\n ");
    CHECK_INT(v->type, KILN_JSON_BOOL);
    CHECK(v->u.boolean);
    v = parse_ok(&a, "false");
    CHECK_INT(v->type, KILN_JSON_BOOL);
    CHECK(!v->u.boolean);
    kiln_arena_deinit(&a);
    PARSE_REJECT("tru");
    PARSE_REJECT("nul");
    PARSE_REJECT("True");
    PARSE_REJECT("NULL");
    PARSE_REJECT("truex");
    PARSE_REJECT("nan");
    PARSE_REJECT("Infinity");
    PARSE_REJECT("undefined");
}

TEST(parse_numbers)
{
    static const struct {
        const char *text;
        double d;
        bool is_int;
        int64_t i;
    } cases[] = {
        {"0", 0.0, true, 0},
        {"-0", -0.0, true, 0},
        {"7", 7.0, true, 7},
        {"-123", -123.0, true, -123},
        {"1.5", 1.5, false, 0},
        {"-0.0", -0.0, false, 0},
        {"0e0", 0.0, false, 0},
        {"1e10", 1e10, false, 0},
        {"1E-2", 0.01, false, 0},
        {"2.5e+3", 2500.0, false, 0},
        {"1.0", 1.0, false, 0},
        {"9007199254740993", 9007199254740992.0, true, 9007199254740993},
        {"9223372036854775807", 9223372036854775807.0, true, INT64_MAX},
        {"-9223372036854775808", -9223372036854775808.0, true, INT64_MIN},
        {"9223372036854775808", 9223372036854775808.0, false, 0},
        {"-9223372036854775809", -9223372036854775808.0, false, 0},
        {"100000000000000000000000", 1e23, false, 0},
        {"1e400", INFINITY, false, 0},
        {"-1e400", -INFINITY, false, 0},
        {"1e-400", 0.0, false, 0},
        {"-1e-400", -0.0, false, 0},
        {"123.456e-789", 0.0, false, 0},
        {"0.1", 0.1, false, 0},
        {"2.2250738585072011e-308", 2.2250738585072011e-308, false, 0},
    };
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        kiln_json *v = parse_ok(&a, cases[k].text);
        CHECK_INT(v->type, KILN_JSON_NUMBER);
        if (memcmp(&v->u.number.d, &cases[k].d, sizeof(double)) != 0)
            test_fail(__FILE__, __LINE__, "%s: d == %.17g, expected %.17g",
                      cases[k].text, v->u.number.d, cases[k].d);
        CHECK_INT(v->u.number.is_int, cases[k].is_int);
        if (cases[k].is_int)
            CHECK(v->u.number.i == cases[k].i);
        CHECK_VIEW(v->u.number.raw, cases[k].text);
        CHECK(v->u.number.raw.p[v->u.number.raw.n] == '\0');
    }
    kiln_arena_deinit(&a);
}

TEST(parse_number_errors)
{
    PARSE_FAIL("01", 0, 1, 1);
    PARSE_FAIL("-01", 1, 1, 2);
    PARSE_FAIL("00", 0, 1, 1);
    PARSE_FAIL("+1", 0, 1, 1);
    PARSE_FAIL(".5", 0, 1, 1);
    PARSE_FAIL("1.", 2, 1, 3);
    PARSE_FAIL("1.e1", 2, 1, 3);
    PARSE_FAIL("1e", 2, 1, 3);
    PARSE_FAIL("1e+", 3, 1, 4);
    PARSE_FAIL("-", 1, 1, 2);
    PARSE_FAIL("--1", 1, 1, 2);
    PARSE_FAIL("- 1", 1, 1, 2);
    PARSE_FAIL("0x1", 1, 1, 2);
    PARSE_FAIL("1.5.2", 3, 1, 4);
    PARSE_FAIL("[1,-]", 4, 1, 5);
    PARSE_REJECT("-Infinity");
    PARSE_REJECT("1 000");
    PARSE_REJECT("\xef\xbc\x91"); /* fullwidth digit one */
}

TEST(parse_strings)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_json *v = parse_ok(&a, "\"plain\"");
    CHECK_INT(v->type, KILN_JSON_STRING);
    CHECK_VIEW(v->u.string, "plain");
    CHECK(v->u.string.p[v->u.string.n] == '\0');
    CHECK_VIEW(parse_ok(&a, "\"\"")->u.string, "");
    CHECK_VIEW(parse_ok(&a, "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"")->u.string,
               "\" \\ / \b \f \n \r \t");
    CHECK_VIEW(parse_ok(&a, "\"\\u0041\\u00e9\\u20AC\"")->u.string,
               "A\xc3\xa9\xe2\x82\xac");
    CHECK_VIEW(parse_ok(&a, "\"\\ud834\\udd1e\"")->u.string,
               "\xf0\x9d\x84\x9e");
    CHECK_VIEW(parse_ok(&a, "\"\\uDBFF\\uDFFF\"")->u.string,
               "\xf4\x8f\xbf\xbf");
    CHECK_VIEW(parse_ok(&a, "\"\\uD800\\uDC00x\"")->u.string,
               "\xf0\x90\x80\x80x");
    CHECK_VIEW(parse_ok(&a, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"")->u.string,
               "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_VIEW(parse_ok(&a, "\"\x7f\"")->u.string, "\x7f");
    CHECK_VIEW(parse_ok(&a, "\"a\\u2028b\"")->u.string, "a\342\200\250b");
    /* \u0000 decodes to a NUL byte inside the string */
    v = parse_ok(&a, "\"a\\u0000b\"");
    CHECK_INT(v->u.string.n, 3);
    CHECK(memcmp(v->u.string.p, "a\0b", 4) == 0);
    /* escapes mixed with long runs */
    char in[600], want[600];
    size_t n = 0, w = 0;
    in[n++] = '"';
    for (int i = 0; i < 100; i++) {
        memcpy(in + n, "abc\\n", 5);
        n += 5;
        memcpy(want + w, "abc\n", 4);
        w += 4;
    }
    in[n++] = '"';
    in[n] = want[w] = '\0';
    CHECK_VIEW(parse_ok(&a, in)->u.string, want);
    kiln_arena_deinit(&a);
}

TEST(parse_string_errors)
{
    PARSE_FAIL("\"abc", 0, 1, 1);
    PARSE_FAIL("[\"a\\", 3, 1, 4);
    PARSE_FAIL("\"a\nb\"", 2, 1, 3);
    PARSE_FAIL("\"\t\"", 1, 1, 2);
    PARSE_FAIL("\"\x1f\"", 1, 1, 2);
    PARSE_FAIL("\"\\x\"", 1, 1, 2);
    PARSE_FAIL("\"\\'\"", 1, 1, 2);
    PARSE_FAIL("\"\\u12\"", 1, 1, 2);
    PARSE_FAIL("\"\\u12G4\"", 1, 1, 2);
    PARSE_FAIL("\"\\U0041\"", 1, 1, 2);
    PARSE_FAIL("\"ab\\udc00\"", 3, 1, 4); /* lone low surrogate */
    PARSE_FAIL("\"\\ud800\"", 1, 1, 2);   /* lone high surrogate */
    PARSE_FAIL("\"\\ud800x\"", 1, 1, 2);
    PARSE_FAIL("\"\\ud800\\n\"", 1, 1, 2);
    PARSE_FAIL("\"\\ud800\\u0041\"", 1, 1, 2);
    PARSE_FAIL("\"\\ud800\\ud800\"", 1, 1, 2);
    PARSE_FAIL("\"\\udd1e\\ud834\"", 1, 1, 2); /* inverted pair */
    PARSE_FAIL("\"\\ud800\\u", 1, 1, 2);
    /* invalid raw UTF-8 */
    PARSE_FAIL("\"a\x80\"", 2, 1, 3);
    PARSE_FAIL("\"\xc0\xaf\"", 1, 1, 2);
    PARSE_FAIL("\"\xe0\x80\xaf\"", 1, 1, 2);
    PARSE_FAIL("\"\xed\xa0\x80\"", 1, 1, 2);
    PARSE_FAIL("\"\xf4\x90\x80\x80\"", 1, 1, 2);
    PARSE_FAIL("\"\xf8\x88\x80\x80\x80\"", 1, 1, 2);
    PARSE_FAIL("\"\xff\"", 1, 1, 2);
    PARSE_FAIL("\"\xe2\x82\"", 1, 1, 2);
    PARSE_FAIL("\"\xe2\x82", 1, 1, 2);
    PARSE_FAIL("\"\xe9\"", 1, 1, 2); /* ISO-8859-1 */
}

TEST(parse_arrays_objects)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_json *v = parse_ok(&a, "[]");
    CHECK_INT(v->type, KILN_JSON_ARRAY);
    CHECK_INT(v->u.array.n, 0);
    v = parse_ok(&a, " { } ");
    CHECK_INT(v->type, KILN_JSON_OBJECT);
    CHECK_INT(v->u.object.n, 0);
    v = parse_ok(&a, "[1, \"two\", [3, [4]], {\"five\": 5}, true, null]");
    CHECK_INT(v->u.array.n, 6);
    CHECK_INT(v->u.array.items[0].u.number.i, 1);
    CHECK_VIEW(v->u.array.items[1].u.string, "two");
    CHECK_INT(v->u.array.items[2].u.array.n, 2);
    CHECK_INT(v->u.array.items[2].u.array.items[1].u.array.items[0].u.number.i,
              4);
    CHECK_INT(kiln_json_get(&v->u.array.items[3], "five")->u.number.i, 5);
    CHECK_INT(v->u.array.items[5].type, KILN_JSON_NULL);
    v = parse_ok(&a, "{\"b\":1,\"a\":{\"x\":[]},\"\":\"empty\"}");
    CHECK_INT(v->u.object.n, 3);
    CHECK_VIEW(v->u.object.items[0].key, "b"); /* document order */
    CHECK_VIEW(v->u.object.items[1].key, "a");
    CHECK(v->u.object.items[0].key.p[1] == '\0');
    CHECK_INT(kiln_json_get(kiln_json_get(v, "a"), "x")->type, KILN_JSON_ARRAY);
    CHECK_VIEW(kiln_json_get(v, "")->u.string, "empty");
    check_rewrite("[ 1 , [ ] , { } , { \"k\" : [ null ] } ]",
                  "[1,[],{},{\"k\":[null]}]");
    check_rewrite("{\"a\":[1,{\"b\":[2,{\"c\":3}]}],\"d\":4}",
                  "{\"a\":[1,{\"b\":[2,{\"c\":3}]}],\"d\":4}");
    kiln_arena_deinit(&a);
}

TEST(parse_large_array_is_linear)
{
    /* 200000 elements and 2000 siblings each holding 100 members */
    kiln_buf b;
    kiln_arena a;
    kiln_buf_init(&b);
    kiln_arena_init(&a, 0);
    CHECK_INT(kiln_buf_putc(&b, '['), 0);
    for (int i = 0; i < 200000; i++)
        CHECK_INT(kiln_buf_printf(&b, "%s%d", i ? "," : "", i), 0);
    CHECK_INT(kiln_buf_puts(&b, ",["), 0);
    for (int i = 0; i < 2000; i++) {
        CHECK_INT(kiln_buf_puts(&b, i ? ",{" : "{"), 0);
        for (int k = 0; k < 100; k++)
            CHECK_INT(kiln_buf_printf(&b, "%s\"k%d\":%d", k ? "," : "", k, k),
                      0);
        CHECK_INT(kiln_buf_putc(&b, '}'), 0);
    }
    CHECK_INT(kiln_buf_puts(&b, "]]"), 0);
    kiln_json *v = parse_ok(&a, b.p);
    CHECK_INT(v->u.array.n, 200001);
    CHECK_INT(v->u.array.items[199999].u.number.i, 199999);
    const kiln_json *objs = &v->u.array.items[200000];
    CHECK_INT(objs->u.array.n, 2000);
    CHECK_INT(objs->u.array.items[1999].u.object.n, 100);
    CHECK_INT(kiln_json_get(&objs->u.array.items[1999], "k42")->u.number.i, 42);
    kiln_arena_deinit(&a);
    kiln_buf_deinit(&b);
}

TEST(json_get)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_json *v = parse_ok(&a, "{\"a\":1,\"b\":2,\"a\":3,\"a\\u0000x\":4}");
    CHECK_INT(v->u.object.n, 4);                     /* duplicates are kept */
    CHECK_INT(kiln_json_get(v, "a")->u.number.i, 3); /* the last wins */
    CHECK_INT(kiln_json_get(v, "b")->u.number.i, 2);
    CHECK(kiln_json_get(v, "c") == NULL);
    CHECK(kiln_json_get(v, "A") == NULL);
    CHECK(kiln_json_get(v, "") == NULL);
    CHECK(kiln_json_get(NULL, "a") == NULL);
    CHECK(kiln_json_get(parse_ok(&a, "[1]"), "a") == NULL);
    CHECK(kiln_json_get(parse_ok(&a, "{}"), "a") == NULL);
    kiln_arena_deinit(&a);
}

/* ---- parser: structure, depth, positions ------------------------------ */

TEST(parse_structure_errors)
{
    PARSE_FAIL("", 0, 1, 1);
    PARSE_FAIL("   ", 3, 1, 4);
    PARSE_FAIL("[1,]", 3, 1, 4);
    PARSE_FAIL("[1 2]", 3, 1, 4);
    PARSE_FAIL("[,1]", 1, 1, 2);
    PARSE_FAIL("[1", 2, 1, 3);
    PARSE_FAIL("[", 1, 1, 2);
    PARSE_FAIL("]", 0, 1, 1);
    PARSE_FAIL("[1}", 2, 1, 3);
    PARSE_FAIL("{\"a\":1]", 6, 1, 7);
    PARSE_FAIL("{\"a\":1,}", 7, 1, 8);
    PARSE_FAIL("{\"a\" 1}", 5, 1, 6);
    PARSE_FAIL("{a:1}", 1, 1, 2);
    PARSE_FAIL("{'a':1}", 1, 1, 2);
    PARSE_FAIL("{\"a\":}", 5, 1, 6);
    PARSE_FAIL("{,}", 1, 1, 2);
    PARSE_FAIL("{\"a\"", 4, 1, 5);
    PARSE_FAIL("{}}", 2, 1, 3);
    PARSE_FAIL("1 2", 2, 1, 3);
    PARSE_FAIL("[1]x", 3, 1, 4);
    PARSE_FAIL("[1] // c", 4, 1, 5);
    PARSE_FAIL("/* c */ 1", 0, 1, 1);
    PARSE_FAIL("[1]\x00", 3, 1, 4);
    PARSE_FAIL("\x00", 0, 1, 1);
    PARSE_FAIL("\xef\xbb\xbf{}", 0, 1, 1); /* UTF-8 BOM */
    PARSE_FAIL("\f1", 0, 1, 1);            /* form feed is not whitespace */
    PARSE_FAIL("\302\2401", 0, 1, 1);      /* nor is U+00A0 */
    /* positions: lines count LF, columns count bytes from 1 */
    PARSE_FAIL("{\n  \"a\": tru\n}", 9, 2, 8);
    PARSE_FAIL("\n\n   x", 5, 3, 4);
    PARSE_FAIL("[1,\r\n 2,\n\n  ]", 12, 4, 3);
    PARSE_FAIL("[\"\xc3\xa9\", \xc3\xa9]", 7, 1, 8);
}

TEST(parse_error_messages)
{
    kiln_json_error e = PARSE_FAIL("[1,]", 3, 1, 4);
    CHECK_STR(e.msg, "unexpected ']', expected a value");
    e = PARSE_FAIL("[1", 2, 1, 3);
    CHECK_STR(e.msg, "unexpected end of input, expected ',' or ']'");
    e = PARSE_FAIL("{\"a\" 1}", 5, 1, 6);
    CHECK_STR(e.msg, "unexpected '1', expected ':' after the key");
    e = PARSE_FAIL("[1]\x01", 3, 1, 4);
    CHECK_STR(e.msg, "unexpected byte 0x01, expected the end of input");
    e = PARSE_FAIL("01", 0, 1, 1);
    CHECK_STR(e.msg, "leading zero in a number");
    e = PARSE_FAIL("\"\\ud800\"", 1, 1, 2);
    CHECK_STR(e.msg, "high surrogate escape not followed by a low one");
    /* a NULL err is allowed */
    kiln_arena a;
    kiln_json *v;
    kiln_arena_init(&a, 0);
    CHECK_INT(kiln_json_parse(&a, "[", 1, 0, &v, NULL), KILN_EPARSE);
    CHECK(v == NULL);
    CHECK_INT(kiln_json_parse(&a, NULL, 0, 0, &v, NULL), KILN_EPARSE);
    CHECK_INT(kiln_json_parse(&a, "[[1]]", 5, 1, &v, NULL), KILN_ELIMIT);
    kiln_arena_deinit(&a);
}

/* Builds depth nested arrays around 0 (or objects when obj) in b. */
static void nested(kiln_buf *b, int depth, bool obj)
{
    kiln_buf_clear(b);
    for (int i = 0; i < depth; i++)
        CHECK_INT(kiln_buf_puts(b, obj ? "{\"k\":" : "["), 0);
    CHECK_INT(kiln_buf_putc(b, '0'), 0);
    for (int i = 0; i < depth; i++)
        CHECK_INT(kiln_buf_putc(b, obj ? '}' : ']'), 0);
}

TEST(parse_depth_limit)
{
    kiln_buf b;
    kiln_arena a;
    kiln_json *v;
    kiln_json_error e;
    kiln_buf_init(&b);
    kiln_arena_init(&a, 0);
    /* max_depth counts containers open at once */
    CHECK_INT(kiln_json_parse(&a, "1", 1, 1, &v, NULL), 0);
    CHECK_INT(kiln_json_parse(&a, "[1]", 3, 1, &v, NULL), 0);
    CHECK_INT(kiln_json_parse(&a, "[[],{}]", 7, 2, &v, NULL), 0);
    CHECK_INT(kiln_json_parse(&a, "[[1]]", 5, 1, &v, &e), KILN_ELIMIT);
    CHECK_INT(e.offset, 1);
    CHECK_STR(e.msg, "nesting too deep");
    CHECK_INT(kiln_json_parse(&a, "{\"a\":[{}]}", 10, 3, &v, NULL), 0);
    CHECK_INT(kiln_json_parse(&a, "{\"a\":[{\"b\":[]}]}", 16, 3, &v, &e),
              KILN_ELIMIT);
    CHECK_INT(e.offset, 11);
    for (int obj = 0; obj < 2; obj++) {
        /* the default is KILN_JSON_MAX_DEPTH */
        nested(&b, KILN_JSON_MAX_DEPTH, obj);
        CHECK_INT(kiln_json_parse(&a, b.p, b.n, 0, &v, NULL), 0);
        const kiln_json *in = v;
        for (int i = 0; i < KILN_JSON_MAX_DEPTH; i++)
            in = obj ? kiln_json_get(in, "k") : &in->u.array.items[0];
        CHECK_INT(in->type, KILN_JSON_NUMBER);
        nested(&b, KILN_JSON_MAX_DEPTH + 1, obj);
        CHECK_INT(kiln_json_parse(&a, b.p, b.n, 0, &v, &e), KILN_ELIMIT);
        CHECK_INT(e.offset, (obj ? 5 : 1) * KILN_JSON_MAX_DEPTH);
        /* a larger explicit limit */
        nested(&b, 10000, obj);
        CHECK_INT(kiln_json_parse(&a, b.p, b.n, 10000, &v, NULL), 0);
        CHECK_INT(kiln_json_parse(&a, b.p, b.n, 9999, &v, NULL), KILN_ELIMIT);
        kiln_arena_reset(&a);
    }
    kiln_arena_deinit(&a);
    kiln_buf_deinit(&b);
}

TEST(parse_round_trip)
{
    check_rewrite("{\"s\":\"</script>\\u2028\\u0001\",\"n\":[0.1,-0,1e400,"
                  "12345678901234567890,-5]}",
                  "{\"s\":\"<\\/script>\\u2028\\u0001\",\"n\":[0.1,0,null,"
                  "1.2345678901234567e+19,-5]}");
}

/* ---- JSONTestSuite ------------------------------------------------------ */

/*
 * The i_ (implementation-defined) cases of JSONTestSuite and what Kiln does
 * with each. Every i_ file found must be listed here.
 */
static const struct {
    const char *file;
    bool accept;
    const char *reason;
} json_suite_i[] = {
    /* numbers: the grammar allows any size; d saturates, is_int is false */
    {"i_number_double_huge_neg_exp.json", true, "valid grammar; d = 0"},
    {"i_number_huge_exp.json", true, "valid grammar; d = inf"},
    {"i_number_neg_int_huge_exp.json", true, "valid grammar; d = -inf"},
    {"i_number_pos_double_huge_exp.json", true, "valid grammar; d = inf"},
    {"i_number_real_neg_overflow.json", true, "valid grammar; d = -inf"},
    {"i_number_real_pos_overflow.json", true, "valid grammar; d = inf"},
    {"i_number_real_underflow.json", true, "valid grammar; d = 0"},
    {"i_number_too_big_neg_int.json", true, "not int64: is_int false, d set"},
    {"i_number_too_big_pos_int.json", true, "not int64: is_int false, d set"},
    {"i_number_very_big_negative_int.json", true,
     "not int64: is_int false, d set"},
    /* surrogate escapes: a string must decode to valid UTF-8 */
    {"i_object_key_lone_2nd_surrogate.json", false, "lone low surrogate"},
    {"i_string_1st_surrogate_but_2nd_missing.json", false,
     "lone high surrogate"},
    {"i_string_1st_valid_surrogate_2nd_invalid.json", false,
     "high surrogate then a non-surrogate escape"},
    {"i_string_incomplete_surrogate_and_escape_valid.json", false,
     "high surrogate then \\n"},
    {"i_string_incomplete_surrogate_pair.json", false,
     "high surrogate then text"},
    {"i_string_incomplete_surrogates_escape_valid.json", false,
     "two high surrogates"},
    {"i_string_invalid_lonely_surrogate.json", false, "lone high surrogate"},
    {"i_string_invalid_surrogate.json", false, "high surrogate then text"},
    {"i_string_inverted_surrogates_U+1D11E.json", false, "low surrogate first"},
    {"i_string_lone_second_surrogate.json", false, "lone low surrogate"},
    /* raw bytes: input must be well-formed UTF-8 (RFC 8259, section 8.1) */
    {"i_string_UTF-8_invalid_sequence.json", false, "invalid UTF-8"},
    {"i_string_UTF8_surrogate_U+D800.json", false, "UTF-8 encoded surrogate"},
    {"i_string_invalid_utf-8.json", false, "invalid UTF-8 byte 0xff"},
    {"i_string_iso_latin_1.json", false, "ISO-8859-1, not UTF-8"},
    {"i_string_lone_utf8_continuation_byte.json", false,
     "lone continuation byte"},
    {"i_string_not_in_unicode_range.json", false, "above U+10FFFF"},
    {"i_string_overlong_sequence_2_bytes.json", false, "overlong form"},
    {"i_string_overlong_sequence_6_bytes.json", false, "6-byte form"},
    {"i_string_overlong_sequence_6_bytes_null.json", false, "6-byte form"},
    {"i_string_truncated-utf-8.json", false, "truncated sequence"},
    /* encodings: only UTF-8 without a BOM (RFC 8259, section 8.1) */
    {"i_string_UTF-16LE_with_BOM.json", false, "UTF-16 is not accepted"},
    {"i_string_utf16BE_no_BOM.json", false, "UTF-16 is not accepted"},
    {"i_string_utf16LE_no_BOM.json", false, "UTF-16 is not accepted"},
    {"i_structure_UTF-8_BOM_empty_object.json", false,
     "a BOM must not be added; parsers may ignore it, Kiln rejects it"},
    /* depth */
    {"i_structure_500_nested_arrays.json", true,
     "500 < KILN_JSON_MAX_DEPTH (512)"},
};

/* Reads the whole file at path (binary) into a malloc'd buffer. */
static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    kiln_buf b;
    kiln_buf_init(&b);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        CHECK_INT(kiln_buf_append(&b, chunk, got), 0);
    fclose(f);
    *n = b.n;
    return b.p ? kiln_buf_detach(&b) : strdup("");
}

static int compare_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

TEST(json_test_suite)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/json-test-suite", test_conformance_dir());
    DIR *d = opendir(dir);
    if (!d)
        test_fail(__FILE__, __LINE__, "cannot open %s", dir);
    char **names = NULL;
    size_t nnames = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 7 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        if (nnames == cap) {
            cap = cap ? cap * 2 : 512;
            names = realloc(names, cap * sizeof(*names));
            CHECK(names != NULL);
        }
        names[nnames++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, nnames, sizeof(*names), compare_names);

    int failed = 0, counts[3] = {0, 0, 0};
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (size_t k = 0; k < nnames; k++) {
        const char *name = names[k];
        char path[8192];
        size_t n;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        char *text = read_file(path, &n);
        if (!text)
            test_fail(__FILE__, __LINE__, "cannot read %s", path);
        bool accept;
        if (name[0] == 'y') {
            accept = true;
            counts[0]++;
        } else if (name[0] == 'n') {
            accept = false;
            counts[1]++;
        } else {
            size_t i = 0, ni = sizeof(json_suite_i) / sizeof(json_suite_i[0]);
            while (i < ni && strcmp(json_suite_i[i].file, name) != 0)
                i++;
            if (i == ni) {
                printf("  %s: i_ case without a decision in json_suite_i\n",
                       name);
                failed++;
                free(text);
                continue;
            }
            accept = json_suite_i[i].accept;
            counts[2]++;
        }
        kiln_json *v;
        kiln_json_error e = {0};
        int rc = kiln_json_parse(&a, text, n, 0, &v, &e);
        if ((rc == 0) != accept) {
            printf("  %s: %s, expected %s", name, rc ? "rejected" : "accepted",
                   accept ? "acceptance" : "rejection");
            if (rc)
                printf(" (%d at %zu, %d:%d: %s)", rc, e.offset, e.line, e.col,
                       e.msg);
            printf("\n");
            failed++;
        }
        if (rc != 0 && rc != KILN_EPARSE && rc != KILN_ELIMIT) {
            printf("  %s: unexpected code %d\n", name, rc);
            failed++;
        }
        free(text);
        kiln_arena_reset(&a);
        free(names[k]);
    }
    kiln_arena_deinit(&a);
    free(names);
    printf("  json-test-suite: %d y_, %d n_, %d i_ files, %d failures\n",
           counts[0], counts[1], counts[2], failed);
    CHECK_INT(failed, 0);
    CHECK_INT(counts[0], 95);
    CHECK_INT(counts[1], 188);
    CHECK_INT(counts[2], (int)(sizeof(json_suite_i) / sizeof(json_suite_i[0])));
}

TEST(json_test_suite_huge_numbers)
{
    /* the accepted i_number cases give the documented values */
    static const struct {
        const char *text;
        double d;
    } cases[] = {
        {"[123.456e-789]", 0.0},
        {"[0.4e00669999999999999999999999999999999999999999999999999999999"
         "99999999999999999999999999999999999999999999999999999999999999999"
         "99999999999999999999999999999999999999999999999999999999999999999"
         "999999999999999999999999999999999999999999999999999999999999969999"
         "999006]",
         INFINITY},
        {"[-1e+9999]", -INFINITY},
        {"[1.5e+9999]", INFINITY},
        {"[-123123e100000]", -INFINITY},
        {"[123123e100000]", INFINITY},
        {"[123e-10000000]", 0.0},
        {"[100000000000000000000]", 1e20},
    };
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        kiln_json *v = parse_ok(&a, cases[k].text);
        CHECK(v->u.array.items[0].u.number.d == cases[k].d);
        CHECK(!v->u.array.items[0].u.number.is_int);
    }
    kiln_arena_deinit(&a);
}

/* ---- arrays in a loop, rows ------------------------------------------- */

TEST(array_loop_without_commas)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_json_array a;
    kiln_json_array_begin(&a, &b);
    CHECK_INT(kiln_json_array_end(&a), 0);
    CHECK_STR(b.p, "[]");

    kiln_buf_clear(&b);
    kiln_json_array_begin(&a, &b);
    for (int i = 0; i < 3; i++)
        CHECK_INT(kiln_json_array_addf(&a, "{id: %d, name: %s}", i, "n"), 0);
    CHECK_INT(kiln_json_array_add_raw(&a, "null", 4), 0);
    CHECK_INT(kiln_json_array_end(&a), 0);
    CHECK_STR(b.p, "[{\"id\":0,\"name\":\"n\"},{\"id\":1,\"name\":\"n\"},"
                   "{\"id\":2,\"name\":\"n\"},null]");

    /* the first error sticks, its partial item is removed, later items
       are not written and _end reports it */
    kiln_buf_clear(&b);
    kiln_json_array_begin(&a, &b);
    CHECK_INT(kiln_json_array_addf(&a, "%d", 1), 0);
    CHECK_INT(kiln_json_array_addf(&a, "{a:%d, b:%q}", 2, 3), KILN_EINVAL);
    CHECK_STR(b.p, "[1");
    CHECK_INT(kiln_json_array_addf(&a, "%d", 4), KILN_EINVAL);
    CHECK_INT(kiln_json_array_add_raw(&a, "5", 1), KILN_EINVAL);
    CHECK_INT(kiln_json_array_end(&a), KILN_EINVAL);
    CHECK_STR(b.p, "[1");
    kiln_buf_deinit(&b);
}

/* Writes the rows of sql (on a fresh in-memory SQLite) into a string. */
static char *rows_json(const char *setup, const char *sql, int *rc)
{
    char err[256];
    kiln_dbc *db = kiln_dbc_open("sqlite::memory:", err, sizeof err);
    if (!db)
        test_fail(__FILE__, __LINE__, "open: %s", err);
    if (setup && kiln_db_exec(db, setup) < 0)
        test_fail(__FILE__, __LINE__, "setup: %s", kiln_db_errmsg(db));
    kiln_rows *r = kiln_db_query(db, sql);
    if (!r)
        test_fail(__FILE__, __LINE__, "query: %s", kiln_db_errmsg(db));
    kiln_buf b;
    kiln_buf_init(&b);
    *rc = kiln_json_put_rows(&b, r);
    kiln_dbc_close(db);
    return b.p ? kiln_buf_detach(&b) : strdup("");
}

TEST(rows_as_json_typed)
{
    int rc;
    char *s = rows_json(
        "CREATE TABLE t (id INTEGER, title TEXT, score REAL, data BLOB, "
        "note TEXT)",
        "SELECT 1 AS id, 'a \"b\" </c>' AS title, 2.5 AS score, "
        "x'00ff10' AS data, NULL AS note, 'caf\xc3\xa9' AS \"odd \"\"name\"",
        &rc);
    CHECK_INT(rc, 0);
    CHECK_STR(
        s,
        "[{\"id\":1,\"title\":\"a \\\"b\\\" <\\/c>\",\"score\":2.5,"
        "\"data\":\"AP8Q\",\"note\":null,\"odd \\\"name\":\"caf\xc3\xa9\"}]");
    free(s);

    /* several rows, blobs of every padding length; no row gives [] */
    s = rows_json(NULL,
                  "SELECT x'' AS b UNION ALL SELECT x'61' UNION ALL "
                  "SELECT x'6162' UNION ALL SELECT x'616263'",
                  &rc);
    CHECK_INT(rc, 0);
    CHECK_STR(s, "[{\"b\":\"\"},{\"b\":\"YQ==\"},{\"b\":\"YWI=\"},"
                 "{\"b\":\"YWJj\"}]");
    free(s);
    s = rows_json("CREATE TABLE e (x INTEGER)", "SELECT x FROM e", &rc);
    CHECK_INT(rc, 0);
    CHECK_STR(s, "[]");
    free(s);

    /* it parses back as the same values */
    s = rows_json(NULL,
                  "SELECT -9223372036854775808 AS lo, 1e300 AS big, "
                  "'\x01' AS ctl",
                  &rc);
    CHECK_INT(rc, 0);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_json *v = parse_ok(&a, s);
    CHECK_INT(v->u.array.n, 1);
    const kiln_json *o = &v->u.array.items[0];
    CHECK(kiln_json_get(o, "lo")->u.number.i == INT64_MIN);
    CHECK(kiln_json_get(o, "big")->u.number.d == 1e300);
    CHECK_STR(kiln_json_get(o, "ctl")->u.string.p, "\x01");
    kiln_arena_deinit(&a);
    free(s);
}

TEST(rows_as_json_error)
{
    /* a row that fails while being read: the error, not a valid array */
    int rc;
    char *s = rows_json(NULL,
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
                        "i + 1 FROM n WHERE i < 3) SELECT CASE WHEN i < 3 "
                        "THEN i ELSE abs(-9223372036854775807 - 1) END AS v "
                        "FROM n",
                        &rc);
    CHECK(rc < 0);
    CHECK(strcmp(s, "[{\"v\":1},{\"v\":2}]") != 0);
    free(s);
    CHECK_INT(kiln_json_put_rows(NULL, NULL), KILN_EINVAL);
}
