/*
 * tests/config/test_toml.c - unit tests of the TOML parser (src/config/toml*)
 * and the toml-test conformance cases in ../shared/conformance/toml-test.
 *
 * Conformance: every valid/X.toml listed in files-toml-1.0.0 is parsed, the
 * tree is encoded as toml-test's tagged JSON (toml_test_encode), and that
 * JSON is compared with X.json structurally (tables as unordered key sets,
 * integers and floats by value, date-times by value with offset date-times
 * compared as instants). Every invalid/X.toml must be rejected. Failing cases
 * are printed by path.
 */
#include "test.h"

#include "config/toml.h"

#include <kiln/json.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- helpers ----------------------------------------------------------- */

/* A parse with its own arena; parse_ok/parse_err fill it. */
typedef struct parsed {
    kiln_arena a;
    toml_value *root;
    toml_error err;
    int rc;
} parsed;

static void parse_text(parsed *t, const char *src, size_t n)
{
    kiln_arena_init(&t->a, 0);
    t->rc = toml_parse(&t->a, src, n, "test.toml", &t->root, &t->err);
}

/* Parses a string literal (so embedded NULs count) that must be valid. */
#define PARSE_OK(t, lit)                                                       \
    do {                                                                       \
        parse_text(t, lit, sizeof(lit) - 1);                                   \
        if ((t)->rc != 0)                                                      \
            test_fail(__FILE__, __LINE__, "parse failed (%d) at %d:%d: %s",    \
                      (t)->rc, (t)->err.line, (t)->err.column,                 \
                      (t)->err.message);                                       \
    } while (0)

/*
 * Parses lit, which must fail with rc and the formatted error want
 * ("test.toml:L:C: message").
 */
#define PARSE_ERR(lit, rc_, want)                                              \
    do {                                                                       \
        parsed t_;                                                             \
        parse_text(&t_, lit, sizeof(lit) - 1);                                 \
        CHECK_INT(t_.rc, rc_);                                                 \
        CHECK(t_.root == NULL);                                                \
        kiln_buf b_;                                                           \
        kiln_buf_init(&b_);                                                    \
        CHECK_INT(toml_error_format(&t_.err, &b_), 0);                         \
        CHECK_STR(b_.p, want);                                                 \
        kiln_buf_deinit(&b_);                                                  \
        kiln_arena_deinit(&t_.a);                                              \
    } while (0)

static void parsed_free(parsed *t)
{
    kiln_arena_deinit(&t->a);
}

/* The value at path, which must exist and have type ty. */
static const toml_value *must_get(const toml_value *root, const char *path,
                                  toml_type ty)
{
    const toml_value *v = toml_get_path(root, path);
    if (!v)
        test_fail(__FILE__, __LINE__, "no value at %s", path);
    if (v->type != ty)
        test_fail(__FILE__, __LINE__, "%s is a %s, expected a %s", path,
                  toml_type_name(v->type), toml_type_name(ty));
    return v;
}

/* ---- values ------------------------------------------------------------ */

TEST(scalars)
{
    parsed t;
    PARSE_OK(&t, "s = \"a\\tb\\u00e9\\U0001F600\"\n"
                 "lit = 'C:\\path'\n"
                 "i = -9_223_372_036_854_775_808\n"
                 "max = 9223372036854775807\n"
                 "hex = 0xDEAD_beef\n"
                 "oct = 0o755\n"
                 "bin = 0b1101\n"
                 "f = 6.626e-34\n"
                 "g = -0.0\n"
                 "pinf = +inf\n"
                 "ninf = -inf\n"
                 "nan = nan\n"
                 "yes = true\n"
                 "no = false\n");
    CHECK_VIEW(must_get(t.root, "s", TOML_STRING)->u.string,
               "a\tb\xC3\xA9\xF0\x9F\x98\x80");
    CHECK_VIEW(must_get(t.root, "lit", TOML_STRING)->u.string, "C:\\path");
    CHECK(must_get(t.root, "i", TOML_INTEGER)->u.integer == INT64_MIN);
    CHECK(must_get(t.root, "max", TOML_INTEGER)->u.integer == INT64_MAX);
    CHECK_INT(must_get(t.root, "hex", TOML_INTEGER)->u.integer, 0xDEADBEEF);
    CHECK_INT(must_get(t.root, "oct", TOML_INTEGER)->u.integer, 0755);
    CHECK_INT(must_get(t.root, "bin", TOML_INTEGER)->u.integer, 13);
    CHECK(must_get(t.root, "f", TOML_FLOAT)->u.floating == 6.626e-34);
    double g = must_get(t.root, "g", TOML_FLOAT)->u.floating;
    CHECK(g == 0.0 && signbit(g));
    CHECK(must_get(t.root, "pinf", TOML_FLOAT)->u.floating == INFINITY);
    CHECK(must_get(t.root, "ninf", TOML_FLOAT)->u.floating == -INFINITY);
    CHECK(isnan(must_get(t.root, "nan", TOML_FLOAT)->u.floating));
    CHECK(must_get(t.root, "yes", TOML_BOOLEAN)->u.boolean);
    CHECK(!must_get(t.root, "no", TOML_BOOLEAN)->u.boolean);
    parsed_free(&t);
}

TEST(multiline_strings)
{
    parsed t;
    PARSE_OK(&t, "a = \"\"\"\none\r\ntwo \\\n   \n  three\"\"\"\n"
                 "b = '''\n\\n raw ''ok'''''\n"
                 "c = \"\"\"\"quoted\"\"\"\"\"\n"
                 "nul = \"x\\u0000y\"\n");
    CHECK_VIEW(must_get(t.root, "a", TOML_STRING)->u.string, "one\ntwo three");
    CHECK_VIEW(must_get(t.root, "b", TOML_STRING)->u.string, "\\n raw ''ok''");
    CHECK_VIEW(must_get(t.root, "c", TOML_STRING)->u.string, "\"quoted\"\"");
    const toml_value *nul = must_get(t.root, "nul", TOML_STRING);
    CHECK_INT(nul->u.string.n, 3);
    CHECK(memcmp(nul->u.string.p, "x\0y", 4) == 0);
    parsed_free(&t);
}

TEST(datetimes)
{
    parsed t;
    PARSE_OK(&t, "odt = 1979-05-27T07:32:00.999999999999-07:30\n"
                 "odt2 = 1979-05-27 07:32:00Z\n"
                 "ldt = 2000-02-29t23:59:60.5\n"
                 "ld = 2024-02-29\n"
                 "lt = 00:00:00.012\n");
    const toml_datetime *d =
        &must_get(t.root, "odt", TOML_DATETIME)->u.datetime;
    CHECK(d->has_date && d->has_time && d->has_offset);
    CHECK_INT(d->year, 1979);
    CHECK_INT(d->month, 5);
    CHECK_INT(d->day, 27);
    CHECK_INT(d->hour, 7);
    CHECK_INT(d->minute, 32);
    CHECK_INT(d->second, 0);
    CHECK_INT(d->nanosecond, 999999999); /* truncated, not rounded */
    CHECK_INT(d->frac_digits, 9);
    CHECK_INT(d->offset_minutes, -450);
    char buf[40];
    CHECK_INT(toml_datetime_format(d, buf, sizeof(buf)), 35);
    CHECK_STR(buf, "1979-05-27T07:32:00.999999999-07:30");
    d = &must_get(t.root, "odt2", TOML_DATETIME)->u.datetime;
    toml_datetime_format(d, buf, sizeof(buf));
    CHECK_STR(buf, "1979-05-27T07:32:00Z");
    d = &must_get(t.root, "ldt", TOML_DATETIME_LOCAL)->u.datetime;
    CHECK(d->has_date && d->has_time && !d->has_offset);
    CHECK_INT(d->second, 60);
    CHECK_INT(d->nanosecond, 500000000);
    toml_datetime_format(d, buf, sizeof(buf));
    CHECK_STR(buf, "2000-02-29T23:59:60.5");
    d = &must_get(t.root, "ld", TOML_DATE_LOCAL)->u.datetime;
    CHECK(d->has_date && !d->has_time && !d->has_offset);
    toml_datetime_format(d, buf, sizeof(buf));
    CHECK_STR(buf, "2024-02-29");
    d = &must_get(t.root, "lt", TOML_TIME_LOCAL)->u.datetime;
    CHECK(!d->has_date && d->has_time);
    CHECK_INT(d->nanosecond, 12000000);
    /* snprintf contract: truncated output, full length returned */
    CHECK_INT(toml_datetime_format(d, buf, 4), 12);
    CHECK_STR(buf, "00:");
    parsed_free(&t);
}

TEST(arrays_and_inline_tables)
{
    parsed t;
    PARSE_OK(&t, "a = [ 1, 'two', [3.0], { x = 1 }, # comment\n"
                 "      2021-01-01, ]\n"
                 "empty = []\n"
                 "point = { x = 1, y.z = 2, \"q k\" = {} }\n");
    const toml_value *a = must_get(t.root, "a", TOML_ARRAY);
    CHECK_INT(a->u.array.n, 5);
    CHECK(!a->u.array.of_tables);
    CHECK_INT(a->u.array.items[0]->type, TOML_INTEGER);
    CHECK_INT(a->u.array.items[1]->type, TOML_STRING);
    CHECK_INT(a->u.array.items[2]->type, TOML_ARRAY);
    CHECK_INT(a->u.array.items[3]->type, TOML_TABLE);
    CHECK_INT(a->u.array.items[3]->u.table.kind, TOML_TABLE_INLINE);
    CHECK_INT(a->u.array.items[4]->type, TOML_DATE_LOCAL);
    CHECK_INT(a->u.array.items[4]->line, 2);
    CHECK_INT(a->u.array.items[4]->column, 7);
    CHECK_INT(must_get(t.root, "empty", TOML_ARRAY)->u.array.n, 0);
    const toml_value *p = must_get(t.root, "point", TOML_TABLE);
    CHECK_INT(p->u.table.kind, TOML_TABLE_INLINE);
    CHECK_INT(must_get(t.root, "point.y", TOML_TABLE)->u.table.kind,
              TOML_TABLE_DOTTED);
    CHECK_INT(must_get(t.root, "point.y.z", TOML_INTEGER)->u.integer, 2);
    CHECK(toml_get(p, "q k") != NULL);
    parsed_free(&t);
}

TEST(tables_kinds_and_order)
{
    parsed t;
    PARSE_OK(&t, "title = 'x'\n"
                 "[server.tls]\n"
                 "cert = 'c'\n"
                 "[server]\n"
                 "port = 80\n"
                 "log.level = 'debug'\n"
                 "[[routes]]\n"
                 "path = '/'\n"
                 "[routes.opts]\n"
                 "[[routes]]\n"
                 "path = '/a'\n");
    CHECK_INT(t.root->u.table.kind, TOML_TABLE_ROOT);
    CHECK_INT(t.root->u.table.n, 3);
    CHECK_VIEW(t.root->u.table.items[0].key, "title");
    CHECK_VIEW(t.root->u.table.items[1].key, "server");
    CHECK_VIEW(t.root->u.table.items[2].key, "routes");
    const toml_value *srv = must_get(t.root, "server", TOML_TABLE);
    CHECK_INT(srv->u.table.kind, TOML_TABLE_EXPLICIT);
    CHECK_INT(srv->line, 4); /* defined by [server], created at 2 */
    CHECK_INT(srv->column, 1);
    CHECK_INT(t.root->u.table.items[1].line, 4);
    CHECK_INT(t.root->u.table.items[1].column, 2);
    CHECK_INT(must_get(t.root, "server.tls", TOML_TABLE)->u.table.kind,
              TOML_TABLE_EXPLICIT);
    CHECK_INT(must_get(t.root, "server.log", TOML_TABLE)->u.table.kind,
              TOML_TABLE_DOTTED);
    /* keys in order, with positions */
    CHECK_INT(srv->u.table.n, 3);
    CHECK_VIEW(srv->u.table.items[0].key, "tls");
    CHECK_INT(srv->u.table.items[0].line, 2);
    CHECK_INT(srv->u.table.items[0].column, 9);
    CHECK_VIEW(srv->u.table.items[1].key, "port");
    CHECK_INT(srv->u.table.items[1].line, 5);
    CHECK_VIEW(srv->u.table.items[2].key, "log");
    const toml_entry *lvl = toml_find_path(t.root, "server.log.level");
    CHECK(lvl != NULL);
    CHECK_INT(lvl->line, 6);
    CHECK_INT(lvl->column, 5);
    CHECK_INT(lvl->value->column, 13);
    const toml_value *routes = must_get(t.root, "routes", TOML_ARRAY);
    CHECK(routes->u.array.of_tables);
    CHECK_INT(routes->u.array.n, 2);
    const toml_value *r0 = routes->u.array.items[0];
    CHECK_INT(r0->u.table.kind, TOML_TABLE_ARRAY_ELEMENT);
    CHECK_INT(r0->line, 7);
    CHECK(toml_get(r0, "opts") != NULL);
    CHECK(toml_get(routes->u.array.items[1], "opts") == NULL);
    CHECK_VIEW(toml_get(routes->u.array.items[1], "path")->u.string, "/a");
    parsed_free(&t);
}

TEST(lookup_helpers)
{
    parsed t;
    PARSE_OK(&t, "a.b.c = 1\n\"x.y\" = 2\n'' = 3\n");
    CHECK(toml_get_path(t.root, "a.b.c") != NULL);
    CHECK(toml_get_path(t.root, "a.b.c.d") == NULL); /* c is an integer */
    CHECK(toml_get_path(t.root, "a..b") == NULL);
    CHECK(toml_get_path(t.root, "") == NULL);
    CHECK(toml_get_path(t.root, "a.") == NULL);
    CHECK(toml_get_path(t.root, "x.y") == NULL); /* paths split at dots */
    CHECK(toml_find(t.root, "x.y", 3) != NULL);
    CHECK(toml_find(t.root, "", 0) != NULL); /* the empty key */
    CHECK(toml_get(NULL, "a") == NULL);
    CHECK(toml_get(toml_get_path(t.root, "a.b.c"), "a") == NULL);
    CHECK_STR(toml_type_name(TOML_DATETIME_LOCAL), "local date-time");
    parsed_free(&t);
}

TEST(big_table_uses_index)
{
    kiln_buf src;
    kiln_buf_init(&src);
    for (int i = 0; i < 5000; i++)
        CHECK_INT(kiln_buf_printf(&src, "k%d = %d\n", i, i), 0);
    parsed t;
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, 0);
    CHECK_INT(t.root->u.table.n, 5000);
    CHECK(t.root->u.table.index != NULL);
    for (int i = 0; i < 5000; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        const toml_entry *e = toml_find(t.root, k, strlen(k));
        CHECK(e != NULL);
        CHECK_INT(e->value->u.integer, i);
        CHECK_INT(e->line, i + 1);
    }
    CHECK(toml_get(t.root, "k5000") == NULL);
    /* a duplicate is found through the index too */
    CHECK_INT(kiln_buf_puts(&src, "k4321 = 0\n"), 0);
    parsed_free(&t);
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, KILN_EPARSE);
    CHECK_STR(t.err.message,
              "duplicate key \"k4321\" (first defined at 4322:1)");
    parsed_free(&t);
    kiln_buf_deinit(&src);
}

TEST(bom_crlf_and_empty)
{
    parsed t;
    PARSE_OK(&t, "\xEF\xBB\xBF"
                 "a = 1\r\n# c\r\nb = \"\"\"x\r\ny\"\"\"\r\n");
    CHECK_INT(must_get(t.root, "a", TOML_INTEGER)->column, 5);
    CHECK_VIEW(must_get(t.root, "b", TOML_STRING)->u.string, "x\ny");
    parsed_free(&t);
    PARSE_OK(&t, "");
    CHECK_INT(t.root->u.table.n, 0);
    parsed_free(&t);
    kiln_arena_init(&t.a, 0);
    CHECK_INT(toml_parse(&t.a, NULL, 0, NULL, &t.root, NULL), 0);
    parsed_free(&t);
}

TEST(tree_does_not_point_into_source)
{
    static const char text[] = "[srv]\nname = 'kiln'\n'quoted key' = 1\n"
                               "list = [\"a\", {b = 'c'}]";
    size_t n = sizeof(text) - 1;
    char *src = malloc(n); /* no NUL after it */
    CHECK(src != NULL);
    memcpy(src, text, n);
    kiln_arena a;
    kiln_arena_init(&a, 0);
    toml_value *root;
    CHECK_INT(toml_parse(&a, src, n, NULL, &root, NULL), 0);
    memset(src, 'x', n);
    free(src);
    CHECK_VIEW(must_get(root, "srv.name", TOML_STRING)->u.string, "kiln");
    CHECK(toml_get_path(root, "srv.quoted key") != NULL);
    const toml_value *list = must_get(root, "srv.list", TOML_ARRAY);
    CHECK_VIEW(list->u.array.items[0]->u.string, "a");
    CHECK_VIEW(toml_get(list->u.array.items[1], "b")->u.string, "c");
    CHECK_VIEW(toml_get(root, "srv")->u.table.items[0].key, "name");
    kiln_arena_deinit(&a);
}

TEST(crlf_positions)
{
    PARSE_ERR("a = 1\r\n# note\r\n\r\nb = \r\n", KILN_EPARSE,
              "test.toml:4:5: expected a value, found end of line");
    PARSE_ERR("s = '''\r\none\r\n\r\n", KILN_EPARSE,
              "test.toml:1:5: unterminated multi-line literal string (no "
              "closing ''')");
}

TEST(long_keys_are_shortened_in_messages)
{
    kiln_buf src;
    kiln_buf_init(&src);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 300; i++)
            CHECK_INT(kiln_buf_putc(&src, (char)('a' + i % 26)), 0);
        CHECK_INT(kiln_buf_puts(&src, " = 1\n"), 0);
    }
    parsed t;
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, KILN_EPARSE);
    CHECK_INT(t.err.line, 2);
    CHECK(strncmp(t.err.message, "duplicate key \"abcdef", 21) == 0);
    CHECK(strstr(t.err.message, "...\" (first defined at 1:1)") != NULL);
    CHECK(strlen(t.err.message) < 120);
    parsed_free(&t);
    kiln_buf_deinit(&src);
}

/* ---- errors ------------------------------------------------------------ */

TEST(error_messages_syntax)
{
    PARSE_ERR("port 80\n", KILN_EPARSE,
              "test.toml:1:6: expected '=' after key \"port\", found '8'");
    PARSE_ERR("a = 1\nb = \"x\\qy\"\n", KILN_EPARSE,
              "test.toml:2:7: invalid escape \\q in string (valid: \\b \\t "
              "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)");
    PARSE_ERR("s = \"\\uD800\"", KILN_EPARSE,
              "test.toml:1:6: invalid escape \\uD800: surrogate code points "
              "are not allowed");
    PARSE_ERR("s = \"\\U00110000\"", KILN_EPARSE,
              "test.toml:1:6: invalid escape \\U00110000: beyond U+10FFFF");
    PARSE_ERR("s = \"abc\n", KILN_EPARSE,
              "test.toml:1:9: end of line in a string: close it with \" on "
              "the same line, or use a multi-line string");
    PARSE_ERR("\n\ns = '''abc", KILN_EPARSE,
              "test.toml:3:5: unterminated multi-line literal string (no "
              "closing ''')");
    PARSE_ERR("a = 1 2\n", KILN_EPARSE,
              "test.toml:1:7: expected end of line after the value of \"a\", "
              "found '2'");
    PARSE_ERR("[a]x = 1\n", KILN_EPARSE,
              "test.toml:1:4: expected end of line after the table header, "
              "found 'x'");
    PARSE_ERR("[a.b\n", KILN_EPARSE,
              "test.toml:1:5: expected ']' to close the header [a.b], found "
              "end of line");
    PARSE_ERR("x = [1 2]", KILN_EPARSE,
              "test.toml:1:8: expected ',' or ']' after an array element, "
              "found '2'");
    PARSE_ERR("x = {a = 1, }", KILN_EPARSE,
              "test.toml:1:11: trailing comma in inline table (not allowed "
              "in TOML 1.0)");
    PARSE_ERR("x = {a = 1,\nb = 2}", KILN_EPARSE,
              "test.toml:1:12: expected a key in inline table, found end of "
              "line (TOML 1.0 inline tables must be on one line)");
    PARSE_ERR("x = \n", KILN_EPARSE,
              "test.toml:1:5: expected a value, found end of line");
    PARSE_ERR("x = yes\n", KILN_EPARSE,
              "test.toml:1:5: invalid value \"yes\": strings must be quoted, "
              "and booleans are lowercase true or false");
    PARSE_ERR("# ok\n# bad \x01\n", KILN_EPARSE,
              "test.toml:2:7: control character U+0001 in comment");
    PARSE_ERR("a = 1\r\rb = 2", KILN_EPARSE,
              "test.toml:1:6: carriage return not followed by a line feed "
              "(lines end with LF or CRLF)");
    PARSE_ERR("= 1", KILN_EPARSE, "test.toml:1:1: expected a key, found '='");
    PARSE_ERR("\"\"\"k\"\"\" = 1", KILN_EPARSE,
              "test.toml:1:1: a key cannot be a multi-line string");
}

TEST(error_messages_values)
{
    PARSE_ERR("n = 9223372036854775808", KILN_EPARSE,
              "test.toml:1:5: integer \"9223372036854775808\" is out of "
              "range (64-bit signed)");
    PARSE_ERR("n = 0x8000000000000000", KILN_EPARSE,
              "test.toml:1:5: integer \"0x8000000000000000\" is out of range "
              "(64-bit signed)");
    PARSE_ERR("n = 012", KILN_EPARSE,
              "test.toml:1:5: leading zeros are not allowed: \"012\"");
    PARSE_ERR("n = 1__2", KILN_EPARSE,
              "test.toml:1:6: '_' in a number must be between two digits");
    PARSE_ERR("n = -0x1", KILN_EPARSE,
              "test.toml:1:5: hexadecimal integers cannot have a sign: "
              "\"-0x1\"");
    PARSE_ERR("n = 0b102", KILN_EPARSE,
              "test.toml:1:9: unexpected '2' in binary integer \"0b102\"");
    PARSE_ERR("f = 1.", KILN_EPARSE,
              "test.toml:1:7: expected a digit after '.', found end of input");
    PARSE_ERR("f = 1e400", KILN_EPARSE,
              "test.toml:1:5: float \"1e400\" is out of range (64-bit IEEE "
              "754)");
    PARSE_ERR("d = 2023-02-29", KILN_EPARSE,
              "test.toml:1:13: invalid date: day 29 is not between 01 and 28 "
              "(February 2023 has 28 days)");
    PARSE_ERR("d = 2023-13-01", KILN_EPARSE,
              "test.toml:1:10: invalid date: month 13 is not between 01 and "
              "12");
    PARSE_ERR("t = 24:00:00", KILN_EPARSE,
              "test.toml:1:5: invalid time: hour 24 is not between 00 and 23");
    PARSE_ERR("t = 12:00", KILN_EPARSE,
              "test.toml:1:5: invalid time: expected HH:MM:SS (two digits "
              "each; seconds are required)");
    PARSE_ERR("t = 12:00:00Z", KILN_EPARSE,
              "test.toml:1:13: unexpected 'Z' after a local time");
    PARSE_ERR("d = 2020-01-01x", KILN_EPARSE,
              "test.toml:1:15: unexpected 'x' after the local date");
    PARSE_ERR("d = 2020-01-01T00:00:00+24:00", KILN_EPARSE,
              "test.toml:1:24: invalid offset +24:00: hours must be 00-23 "
              "and minutes 00-59");
}

TEST(error_messages_redefinition)
{
    PARSE_ERR("a = 1\nb = 2\na = 3\n", KILN_EPARSE,
              "test.toml:3:1: duplicate key \"a\" (first defined at 1:1)");
    PARSE_ERR("[srv]\nport = 1\n  port = 2\n", KILN_EPARSE,
              "test.toml:3:3: duplicate key \"port\" (first defined at 2:1)");
    PARSE_ERR("[a]\n[b]\n[a]\n", KILN_EPARSE,
              "test.toml:3:2: table [a] is already defined (at 1:2)");
    PARSE_ERR("[fruit]\napple.color = 'red'\n[fruit.apple]\n", KILN_EPARSE,
              "test.toml:3:8: table [fruit.apple] is already defined by "
              "dotted keys (at 2:1)");
    PARSE_ERR("a = {b = 1}\n[a.c]\n", KILN_EPARSE,
              "test.toml:2:2: cannot extend inline table \"a\" (defined at "
              "1:1): inline tables are immutable");
    PARSE_ERR("a = {b = 1}\na.c = 2\n", KILN_EPARSE,
              "test.toml:2:1: cannot extend inline table \"a\" (defined at "
              "1:1): inline tables are immutable");
    PARSE_ERR("[a.b.c]\n[a]\nb.d = 1\n", KILN_EPARSE,
              "test.toml:3:1: cannot add to table \"b\" with a dotted key: "
              "it was created by a [header] at 1:4");
    PARSE_ERR("[a.b]\nx = 1\n[a]\nb.y = 2\n", KILN_EPARSE,
              "test.toml:4:1: cannot add to table \"b\" with a dotted key: "
              "it was defined by a [header] at 1:4");
    PARSE_ERR("a = []\n[[a]]\n", KILN_EPARSE,
              "test.toml:2:3: cannot use [[a]]: \"a\" is an array value "
              "(defined at 1:1), not an array of tables");
    PARSE_ERR("a = [{}]\n[a.b]\n", KILN_EPARSE,
              "test.toml:2:2: cannot extend \"a\": it is an array value "
              "(defined at 1:1), not a table or an array of tables");
    PARSE_ERR("[[a]]\n[a]\n", KILN_EPARSE,
              "test.toml:2:2: [a] is an array of tables (defined at 1:3); "
              "add an element with [[a]]");
    PARSE_ERR("[a]\n[[a]]\n", KILN_EPARSE,
              "test.toml:2:3: cannot define array of tables [[a]]: \"a\" is "
              "already a table (defined at 1:2)");
    PARSE_ERR("a = 1\na.b = 2\n", KILN_EPARSE,
              "test.toml:2:1: key \"a\" is already an integer (defined at "
              "1:1), not a table");
    PARSE_ERR("a.b = 1\n[a.b.c]\n", KILN_EPARSE,
              "test.toml:2:4: key \"a.b\" is already an integer (defined at "
              "1:3), not a table");
    PARSE_ERR("x = 'ok'\n[x]\n", KILN_EPARSE,
              "test.toml:2:2: cannot use [x]: key \"x\" is already a string "
              "(defined at 1:1)");
}

TEST(error_columns_count_characters)
{
    /* 'é' and '€' are one column each, a tab too */
    PARSE_ERR("s = \"\xC3\xA9\xE2\x82\xAC\"\t!\n", KILN_EPARSE,
              "test.toml:1:10: expected end of line after the value of "
              "\"s\", found '!'");
    PARSE_ERR("\xEF\xBB\xBF"
              "x = !",
              KILN_EPARSE, "test.toml:1:5: expected a value, found '!'");
    PARSE_ERR("s = \"ok\" # \xC3\xA9 \xFF\n", KILN_EPARSE,
              "test.toml:1:14: invalid UTF-8 byte 0xff in comment");
    PARSE_ERR("s = \"\xED\xA0\x80\"", KILN_EPARSE,
              "test.toml:1:6: invalid UTF-8 byte 0xed in string");
    PARSE_ERR("\xC3\xA9 = 1", KILN_EPARSE,
              "test.toml:1:1: expected a key, found '\xC3\xA9' (bare keys may "
              "only use A-Z a-z 0-9 _ -; quote other keys)");
    /* control characters in keys are escaped in messages */
    PARSE_ERR("\"a\\tb\" = 1\n\"a\\tb\" = 2", KILN_EPARSE,
              "test.toml:2:1: duplicate key \"a\\u0009b\" (first defined at "
              "1:1)");
}

TEST(error_without_err_and_format)
{
    kiln_arena a;
    toml_value *root = (toml_value *)&a; /* must be reset to NULL */
    kiln_arena_init(&a, 0);
    CHECK_INT(toml_parse(&a, "x", 1, NULL, &root, NULL), KILN_EPARSE);
    CHECK(root == NULL);
    toml_error err;
    CHECK_INT(toml_parse(&a, "x", 1, NULL, &root, &err), KILN_EPARSE);
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(toml_error_format(&err, &b), 0);
    CHECK_STR(b.p, "<input>:1:2: expected '=' after key \"x\", found end of "
                   "input");
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

TEST(depth_limit)
{
    kiln_buf src;
    kiln_buf_init(&src);
    /* TOML_MAX_DEPTH nested arrays under the root table are fine... */
    CHECK_INT(kiln_buf_puts(&src, "x = "), 0);
    for (int i = 0; i < TOML_MAX_DEPTH; i++)
        CHECK_INT(kiln_buf_putc(&src, '['), 0);
    for (int i = 0; i < TOML_MAX_DEPTH; i++)
        CHECK_INT(kiln_buf_putc(&src, ']'), 0);
    parsed t;
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, 0);
    parsed_free(&t);
    /* ...one more is not */
    kiln_buf_clear(&src);
    CHECK_INT(kiln_buf_puts(&src, "x = "), 0);
    for (int i = 0; i < TOML_MAX_DEPTH; i++)
        CHECK_INT(kiln_buf_puts(&src, "{a="), 0);
    CHECK_INT(kiln_buf_putc(&src, '['), 0);
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, KILN_ELIMIT);
    CHECK_STR(t.err.message, "arrays and tables nest deeper than 128 levels");
    parsed_free(&t);
    /* dotted keys and headers count too */
    kiln_buf_clear(&src);
    CHECK_INT(kiln_buf_putc(&src, '['), 0);
    for (int i = 0; i < 200; i++)
        CHECK_INT(kiln_buf_puts(&src, i ? ".a" : "a"), 0);
    CHECK_INT(kiln_buf_puts(&src, "]\n"), 0);
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, KILN_ELIMIT);
    CHECK_STR(t.err.message, "key has more than 128 parts");
    parsed_free(&t);
    kiln_buf_clear(&src);
    CHECK_INT(kiln_buf_puts(&src, "[t"), 0);
    for (int i = 1; i < TOML_MAX_DEPTH / 2; i++)
        CHECK_INT(kiln_buf_puts(&src, ".t"), 0);
    CHECK_INT(kiln_buf_puts(&src, "]\n"), 0);
    for (int i = 0; i < TOML_MAX_DEPTH / 2; i++)
        CHECK_INT(kiln_buf_puts(&src, "a."), 0);
    CHECK_INT(kiln_buf_puts(&src, "b = 1\n"), 0);
    parse_text(&t, src.p, src.n); /* 64 + 64 tables: the limit */
    CHECK_INT(t.rc, 0);
    parsed_free(&t);
    CHECK_INT(kiln_buf_puts(&src, "a.b = 1\n"), 0); /* shorter: fine */
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, 0);
    parsed_free(&t);
    src.n -= strlen("a.b = 1\n");
    for (int i = 0; i < TOML_MAX_DEPTH / 2 + 1; i++) /* 65 tables */
        CHECK_INT(kiln_buf_puts(&src, "c."), 0);
    CHECK_INT(kiln_buf_puts(&src, "c = 1\n"), 0);
    parse_text(&t, src.p, src.n);
    CHECK_INT(t.rc, KILN_ELIMIT);
    CHECK_STR(t.err.message, "tables nest deeper than 128 levels");
    parsed_free(&t);
    kiln_buf_deinit(&src);
}

/* ---- toml-test: tagged JSON encoder ------------------------------------ */

/* Appends v as toml-test's tagged JSON. */
static void toml_test_encode(kiln_buf *b, const toml_value *v)
{
    char tmp[64];
    const char *type = NULL;
    switch (v->type) {
    case TOML_TABLE:
        CHECK_INT(kiln_buf_putc(b, '{'), 0);
        for (size_t i = 0; i < v->u.table.n; i++) {
            const toml_entry *e = &v->u.table.items[i];
            if (i)
                CHECK_INT(kiln_buf_putc(b, ','), 0);
            CHECK_INT(kiln_json_put_str(b, e->key.p, e->key.n), 0);
            CHECK_INT(kiln_buf_putc(b, ':'), 0);
            toml_test_encode(b, e->value);
        }
        CHECK_INT(kiln_buf_putc(b, '}'), 0);
        return;
    case TOML_ARRAY:
        CHECK_INT(kiln_buf_putc(b, '['), 0);
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                CHECK_INT(kiln_buf_putc(b, ','), 0);
            toml_test_encode(b, v->u.array.items[i]);
        }
        CHECK_INT(kiln_buf_putc(b, ']'), 0);
        return;
    case TOML_STRING:
        CHECK_INT(kiln_buf_puts(b, "{\"type\":\"string\",\"value\":"), 0);
        CHECK_INT(kiln_json_put_str(b, v->u.string.p, v->u.string.n), 0);
        CHECK_INT(kiln_buf_putc(b, '}'), 0);
        return;
    case TOML_INTEGER:
        type = "integer";
        snprintf(tmp, sizeof(tmp), "%lld", (long long)v->u.integer);
        break;
    case TOML_FLOAT:
        type = "float";
        if (isnan(v->u.floating))
            snprintf(tmp, sizeof(tmp), "nan");
        else if (isinf(v->u.floating))
            snprintf(tmp, sizeof(tmp), "%sinf", v->u.floating < 0 ? "-" : "");
        else
            snprintf(tmp, sizeof(tmp), "%.17g", v->u.floating);
        break;
    case TOML_BOOLEAN:
        type = "bool";
        snprintf(tmp, sizeof(tmp), "%s", v->u.boolean ? "true" : "false");
        break;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
        type = v->type == TOML_DATETIME         ? "datetime"
               : v->type == TOML_DATETIME_LOCAL ? "datetime-local"
               : v->type == TOML_DATE_LOCAL     ? "date-local"
                                                : "time-local";
        toml_datetime_format(&v->u.datetime, tmp, sizeof(tmp));
        break;
    }
    CHECK_INT(
        kiln_buf_printf(b, "{\"type\":\"%s\",\"value\":\"%s\"}", type, tmp), 0);
}

/* ---- toml-test: structural comparison ---------------------------------- */

/* A date-time read back from tagged JSON text, for comparison. */
typedef struct cmp_dt {
    int y, mo, d, h, mi, s;
    long ns;
    int off; /* minutes */
} cmp_dt;

/* Reads the RFC 3339 forms of toml-test (any of the four) into dt. */
static bool cmp_read_dt(const char *s, cmp_dt *dt)
{
    memset(dt, 0, sizeof(*dt));
    int n = 0;
    if (strlen(s) >= 10 && s[4] == '-') {
        if (sscanf(s, "%4d-%2d-%2d%n", &dt->y, &dt->mo, &dt->d, &n) != 3)
            return false;
        s += n;
        if (*s == 'T' || *s == 't' || *s == ' ')
            s++;
        else
            return *s == '\0';
    }
    if (sscanf(s, "%2d:%2d:%2d%n", &dt->h, &dt->mi, &dt->s, &n) != 3)
        return false;
    s += n;
    if (*s == '.') {
        long scale = 100000000;
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
            dt->ns += (*s - '0') * scale; /* digits past 9 add 0 */
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int oh, om;
        if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2)
            return false;
        dt->off = (*s == '-' ? -1 : 1) * (oh * 60 + om);
        s += 1 + n;
    }
    return *s == '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's). */
static long long cmp_days(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Compares two tagged values' text for toml-test type t. */
static bool cmp_scalar(const char *t, const char *want, const char *got)
{
    if (strcmp(t, "integer") == 0) {
        char *e1, *e2;
        errno = 0;
        long long a = strtoll(want, &e1, 10), b = strtoll(got, &e2, 10);
        return !errno && !*e1 && !*e2 && a == b;
    }
    if (strcmp(t, "float") == 0) {
        const char *w = want + (*want == '+'), *g = got + (*got == '+');
        bool wnan = strcmp(w, "nan") == 0 || strcmp(w, "-nan") == 0;
        bool gnan = strcmp(g, "nan") == 0 || strcmp(g, "-nan") == 0;
        if (wnan || gnan)
            return wnan && gnan;
        return strtod(w, NULL) == strtod(g, NULL);
    }
    if (strncmp(t, "date", 4) == 0 || strcmp(t, "time-local") == 0) {
        cmp_dt a, b;
        if (!cmp_read_dt(want, &a) || !cmp_read_dt(got, &b))
            return false;
        if (strcmp(t, "datetime") == 0) { /* the same instant */
            long long sa =
                (cmp_days(a.y, a.mo, a.d) * 1440 + a.h * 60 + a.mi - a.off) *
                    60 +
                a.s;
            long long sb =
                (cmp_days(b.y, b.mo, b.d) * 1440 + b.h * 60 + b.mi - b.off) *
                    60 +
                b.s;
            return sa == sb && a.ns == b.ns;
        }
        return a.y == b.y && a.mo == b.mo && a.d == b.d && a.h == b.h &&
               a.mi == b.mi && a.s == b.s && a.ns == b.ns && a.off == b.off;
    }
    return strcmp(want, got) == 0; /* string, bool */
}

/* The member of object obj whose key is exactly key (NULs included). */
static const kiln_json *cmp_member(const kiln_json *obj, kiln_str key)
{
    for (size_t i = 0; i < obj->u.object.n; i++)
        if (obj->u.object.items[i].key.n == key.n &&
            memcmp(obj->u.object.items[i].key.p, key.p, key.n) == 0)
            return &obj->u.object.items[i].value;
    return NULL;
}

/* True when v is a tagged scalar {"type": "...", "value": "..."}. */
static bool cmp_is_tagged(const kiln_json *v)
{
    if (v->type != KILN_JSON_OBJECT || v->u.object.n != 2)
        return false;
    const kiln_json *t = kiln_json_get(v, "type"),
                    *x = kiln_json_get(v, "value");
    return t && x && t->type == KILN_JSON_STRING && x->type == KILN_JSON_STRING;
}

/*
 * Compares expected toml-test JSON want with got; on a mismatch writes its
 * path (JSON-pointer-like) and why into why and returns false.
 */
static bool cmp_json(const kiln_json *want, const kiln_json *got,
                     kiln_buf *path, char *why, size_t why_size)
{
    size_t mark = path->n;
    bool ok = true;
    if (cmp_is_tagged(want)) {
        const char *t = kiln_json_get(want, "type")->u.string.p;
        const char *w = kiln_json_get(want, "value")->u.string.p;
        if (!cmp_is_tagged(got)) {
            snprintf(why, why_size, "%s: expected a %s, got a table or array",
                     path->p ? path->p : "", t);
            return false;
        }
        const char *gt = kiln_json_get(got, "type")->u.string.p;
        const char *g = kiln_json_get(got, "value")->u.string.p;
        if (strcmp(t, gt) != 0 || !cmp_scalar(t, w, g)) {
            snprintf(why, why_size, "%s: expected %s %s, got %s %s",
                     path->p ? path->p : "", t, w, gt, g);
            return false;
        }
        return true;
    }
    if (want->type != got->type || cmp_is_tagged(got)) {
        snprintf(why, why_size, "%s: structure differs",
                 path->p ? path->p : "");
        return false;
    }
    if (want->type == KILN_JSON_ARRAY) {
        if (want->u.array.n != got->u.array.n) {
            snprintf(why, why_size, "%s: %zu items, expected %zu",
                     path->p ? path->p : "", got->u.array.n, want->u.array.n);
            return false;
        }
        for (size_t i = 0; ok && i < want->u.array.n; i++) {
            CHECK_INT(kiln_buf_printf(path, "/%zu", i), 0);
            ok = cmp_json(&want->u.array.items[i], &got->u.array.items[i], path,
                          why, why_size);
            path->n = mark;
            path->p[mark] = '\0';
        }
        return ok;
    }
    if (want->type != KILN_JSON_OBJECT) {
        snprintf(why, why_size, "%s: unexpected JSON in the expected file",
                 path->p ? path->p : "");
        return false;
    }
    if (want->u.object.n != got->u.object.n) {
        snprintf(why, why_size, "%s: %zu keys, expected %zu",
                 path->p ? path->p : "", got->u.object.n, want->u.object.n);
        return false;
    }
    for (size_t i = 0; ok && i < want->u.object.n; i++) {
        const kiln_json_member *m = &want->u.object.items[i];
        CHECK_INT(kiln_buf_printf(path, "/%s", m->key.p), 0);
        const kiln_json *g = cmp_member(got, m->key);
        if (!g) {
            snprintf(why, why_size, "%s: missing", path->p);
            ok = false;
        } else {
            ok = cmp_json(&m->value, g, path, why, why_size);
        }
        path->n = mark;
        path->p[mark] = '\0';
    }
    return ok;
}

/* ---- toml-test: the runner --------------------------------------------- */

/* Reads the whole file at path (binary) into a malloc'd buffer, or NULL. */
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

/* Runs one valid/ case; returns true when it passes (else prints why). */
static bool run_valid(const char *dir, const char *rel)
{
    char path[4096], jpath[4096], why[512] = "";
    size_t n, jn;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    snprintf(jpath, sizeof(jpath), "%.*s.json", (int)(strlen(path) - 5), path);
    char *src = read_file(path, &n), *json = read_file(jpath, &jn);
    bool ok = false;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_buf enc, where;
    kiln_buf_init(&enc);
    kiln_buf_init(&where);
    toml_value *root;
    toml_error err;
    kiln_json *want, *got;
    kiln_json_error jerr;
    if (!src || !json) {
        printf("  %s: cannot read the case files\n", rel);
    } else if (toml_parse(&a, src, n, rel, &root, &err) != 0) {
        printf("  %s:%d:%d: rejected: %s\n", rel, err.line, err.column,
               err.message);
    } else if (kiln_json_parse(&a, json, jn, 0, &want, &jerr) != 0) {
        printf("  %s: bad expected JSON: %s\n", rel, jerr.msg);
    } else {
        toml_test_encode(&enc, root);
        CHECK_INT(kiln_json_parse(&a, enc.p, enc.n, 0, &got, &jerr), 0);
        CHECK_INT(kiln_buf_puts(&where, ""), 0);
        ok = cmp_json(want, got, &where, why, sizeof(why));
        if (!ok)
            printf("  %s: %s\n    got %s\n", rel, why, enc.p);
    }
    kiln_buf_deinit(&enc);
    kiln_buf_deinit(&where);
    kiln_arena_deinit(&a);
    free(src);
    free(json);
    return ok;
}

/* Runs one invalid/ case; returns true when it is rejected. */
static bool run_invalid(const char *dir, const char *rel, bool verbose)
{
    char path[4096];
    size_t n;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *src = read_file(path, &n);
    if (!src) {
        printf("  %s: cannot read the case file\n", rel);
        return false;
    }
    kiln_arena a;
    kiln_arena_init(&a, 0);
    toml_value *root;
    toml_error err;
    int rc = toml_parse(&a, src, n, rel, &root, &err);
    if (rc == 0)
        printf("  %s: accepted, expected an error\n", rel);
    else if (rc != KILN_EPARSE && rc != KILN_ELIMIT)
        printf("  %s: unexpected code %d\n", rel, rc);
    else if (err.line < 1 || err.column < 1 || !err.message[0])
        printf("  %s: error without a position or message\n", rel);
    else if (verbose)
        printf("  %s:%d:%d: %s\n", rel, err.line, err.column, err.message);
    kiln_arena_deinit(&a);
    free(src);
    return rc == KILN_EPARSE || rc == KILN_ELIMIT;
}

TEST(toml_test_conformance)
{
    char dir[2048], list[4096];
    snprintf(dir, sizeof(dir), "%s/toml-test", test_conformance_dir());
    snprintf(list, sizeof(list), "%s/files-toml-1.0.0", dir);
    size_t n;
    char *files = read_file(list, &n);
    if (!files)
        test_fail(__FILE__, __LINE__, "cannot read %s", list);
    /* TOML_TEST_VERBOSE=1 prints every rejection's message */
    bool verbose = getenv("TOML_TEST_VERBOSE") != NULL;
    int valid = 0, invalid = 0, vfail = 0, ifail = 0;
    for (char *line = strtok(files, "\r\n"); line;
         line = strtok(NULL, "\r\n")) {
        size_t len = strlen(line);
        if (len < 5 || strcmp(line + len - 5, ".toml") != 0)
            continue;
        if (strncmp(line, "valid/", 6) == 0) {
            valid++;
            vfail += !run_valid(dir, line);
        } else if (strncmp(line, "invalid/", 8) == 0) {
            invalid++;
            ifail += !run_invalid(dir, line, verbose);
        }
    }
    free(files);
    printf("  toml-test 1.0.0: valid %d/%d, invalid %d/%d rejected\n",
           valid - vfail, valid, invalid - ifail, invalid);
    fflush(stdout); /* test_fail ends the process without flushing */
    CHECK_INT(vfail + ifail, 0);
    CHECK_INT(valid, 210);
    CHECK_INT(invalid, 499);
}
