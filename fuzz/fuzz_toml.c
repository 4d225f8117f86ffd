/*
 * fuzz/fuzz_toml.c - libFuzzer target for the TOML parser (src/config).
 *
 * For every input, toml_parse it into an arena. On failure, the error must be
 * well-formed (a known code, a position, a message) and no tree returned. On
 * success, walk the whole tree and check what config/toml.h promises:
 *   - every value has a known type and a position (line and column >= 1);
 *   - strings and keys are NUL-terminated, and valid UTF-8;
 *   - date-times have their parts as the type says, within range, and
 *     toml_datetime_format fits the documented 36 bytes;
 *   - every key of a table is unique and toml_find finds exactly its entry
 *     (which checks the hash index of big tables);
 *   - arrays of tables hold only ARRAY_ELEMENT tables, the root is ROOT;
 *   - nesting stays within TOML_MAX_DEPTH.
 * A failed check aborts (even with NDEBUG), which libFuzzer reports.
 *
 * Built by hand (fuzz/meson.build builds the targets it lists):
 *   clang -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     -Isrc fuzz/fuzz_toml.c src/config/toml{,_lex,_value}.c \
 *     src/core/{arena,buf,str,error}.c -lm
 * Seed corpus: ../shared/conformance/toml-test (valid/ and invalid/).
 */
#include "config/toml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts with a message when cond is false; active with NDEBUG too. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* True when s[0..n) is well-formed UTF-8 (NULs allowed). */
static bool fuzz_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80   ? 1
                     : c < 0xC2 ? 0
                     : c < 0xE0 ? 2
                     : c < 0xF0 ? 3
                     : c < 0xF5 ? 4
                                : 0;
        if (len == 0 || n - i < len)
            return false;
        unsigned long cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned long min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* Checks a decoded string or key. */
static void fuzz_str(kiln_str s)
{
    FUZZ_CHECK(s.p != NULL && s.p[s.n] == '\0');
    FUZZ_CHECK(fuzz_utf8((const unsigned char *)s.p, s.n));
}

/* Checks a date-time of type t. */
static void fuzz_datetime(const toml_datetime *d, toml_type t)
{
    FUZZ_CHECK(d->has_date == (t != TOML_TIME_LOCAL));
    FUZZ_CHECK(d->has_time == (t != TOML_DATE_LOCAL));
    FUZZ_CHECK(d->has_offset == (t == TOML_DATETIME));
    if (d->has_date)
        FUZZ_CHECK(d->year >= 0 && d->year <= 9999 && d->month >= 1 &&
                   d->month <= 12 && d->day >= 1 && d->day <= 31);
    if (d->has_time)
        FUZZ_CHECK(d->hour >= 0 && d->hour <= 23 && d->minute >= 0 &&
                   d->minute <= 59 && d->second >= 0 && d->second <= 60 &&
                   d->nanosecond >= 0 && d->nanosecond <= 999999999 &&
                   d->frac_digits >= 0 && d->frac_digits <= 9);
    FUZZ_CHECK(d->offset_minutes > -1440 && d->offset_minutes < 1440);
    char buf[36];
    int n = toml_datetime_format(d, buf, sizeof(buf));
    FUZZ_CHECK(n > 0 && n < (int)sizeof(buf) && (size_t)n == strlen(buf));
}

/* Walks v, a value at depth below the root. */
static void fuzz_walk(const toml_value *v, int depth)
{
    FUZZ_CHECK(v != NULL && depth <= TOML_MAX_DEPTH + 1);
    FUZZ_CHECK(v->line >= 1 && v->column >= 1);
    FUZZ_CHECK(strcmp(toml_type_name(v->type), "unknown type") != 0);
    switch (v->type) {
    case TOML_STRING:
        fuzz_str(v->u.string);
        break;
    case TOML_INTEGER:
    case TOML_BOOLEAN:
    case TOML_FLOAT:
        break;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
        fuzz_datetime(&v->u.datetime, v->type);
        break;
    case TOML_ARRAY:
        FUZZ_CHECK(depth <= TOML_MAX_DEPTH);
        FUZZ_CHECK(v->u.array.n == 0 || v->u.array.items != NULL);
        FUZZ_CHECK(!v->u.array.of_tables || v->u.array.n > 0);
        for (size_t i = 0; i < v->u.array.n; i++) {
            const toml_value *it = v->u.array.items[i];
            if (v->u.array.of_tables)
                FUZZ_CHECK(it->type == TOML_TABLE &&
                           it->u.table.kind == TOML_TABLE_ARRAY_ELEMENT);
            else
                FUZZ_CHECK(it->type != TOML_TABLE ||
                           it->u.table.kind == TOML_TABLE_INLINE);
            fuzz_walk(it, depth + 1);
        }
        break;
    case TOML_TABLE:
        FUZZ_CHECK(depth <= TOML_MAX_DEPTH);
        FUZZ_CHECK((v->u.table.kind == TOML_TABLE_ROOT) == (depth == 0));
        FUZZ_CHECK(v->u.table.n == 0 || v->u.table.items != NULL);
        for (size_t i = 0; i < v->u.table.n; i++) {
            const toml_entry *e = &v->u.table.items[i];
            fuzz_str(e->key);
            FUZZ_CHECK(e->line >= 1 && e->column >= 1);
            FUZZ_CHECK(toml_find(v, e->key.p, e->key.n) == e);
            if (v->u.table.kind == TOML_TABLE_INLINE &&
                e->value->type == TOML_TABLE)
                FUZZ_CHECK(e->value->u.table.kind == TOML_TABLE_INLINE ||
                           e->value->u.table.kind == TOML_TABLE_DOTTED);
            fuzz_walk(e->value, depth + 1);
        }
        break;
    default:
        FUZZ_CHECK(!"unknown type");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point: parse, then check the error or the tree. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kiln_arena a;
    toml_value *root = NULL;
    toml_error err;
    kiln_arena_init(&a, 0);
    int rc = toml_parse(&a, (const char *)data, size, "fuzz.toml", &root, &err);
    if (rc != 0) {
        FUZZ_CHECK(rc == KILN_EPARSE || rc == KILN_ELIMIT || rc == KILN_ENOMEM);
        FUZZ_CHECK(root == NULL && err.line >= 1 && err.column >= 1 &&
                   err.message[0] != '\0');
        FUZZ_CHECK(strlen(err.message) < sizeof(err.message));
        kiln_buf b;
        kiln_buf_init(&b);
        FUZZ_CHECK(toml_error_format(&err, &b) == 0);
        kiln_buf_deinit(&b);
    } else {
        FUZZ_CHECK(root != NULL && root->type == TOML_TABLE &&
                   root->u.table.kind == TOML_TABLE_ROOT);
        fuzz_walk(root, 0);
    }
    kiln_arena_deinit(&a);
    return 0;
}
