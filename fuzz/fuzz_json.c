/*
 * fuzz/fuzz_json.c - libFuzzer target for src/json.
 *
 * For every input:
 *   1. kiln_json_parse it into an arena; on success, write the tree back with
 *      the writer (kiln_json_put_str / _put_i64 / _put_double), parse that
 *      output again and check the two trees have the same shape and values.
 *      The writer must always produce JSON the parser accepts.
 *   2. Write the raw input as a JSON string with kiln_json_put_str and parse
 *      it: it must parse to a string, equal to the input whenever the writer
 *      replaced nothing with U+FFFD.
 * A mismatch aborts (even with NDEBUG), which libFuzzer reports as a crash.
 *
 * Built by fuzz/meson.build with -Dfuzz=true, or by hand:
 *   clang -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     -Isrc fuzz/fuzz_json.c src/json/{write,format,parse}.c \
 *     src/core/{arena,buf,str,error}.c -lm
 * Seed corpus: ../shared/conformance/json-test-suite.
 */
#include <kiln/json.h>

#include <math.h>
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

/* Appends v as compact JSON; numbers from their value, as an app would. */
static void fuzz_write(kiln_buf *b, const kiln_json *v)
{
    switch (v->type) {
    case KILN_JSON_NULL:
        FUZZ_CHECK(kiln_buf_puts(b, "null") == 0);
        break;
    case KILN_JSON_BOOL:
        FUZZ_CHECK(kiln_buf_puts(b, v->u.boolean ? "true" : "false") == 0);
        break;
    case KILN_JSON_NUMBER:
        if (v->u.number.is_int)
            FUZZ_CHECK(kiln_json_put_i64(b, v->u.number.i) == 0);
        else
            FUZZ_CHECK(kiln_json_put_double(b, v->u.number.d) == 0);
        break;
    case KILN_JSON_STRING:
        FUZZ_CHECK(kiln_json_put_str(b, v->u.string.p, v->u.string.n) == 0);
        break;
    case KILN_JSON_ARRAY:
        FUZZ_CHECK(kiln_buf_putc(b, '[') == 0);
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                FUZZ_CHECK(kiln_buf_putc(b, ',') == 0);
            fuzz_write(b, &v->u.array.items[i]);
        }
        FUZZ_CHECK(kiln_buf_putc(b, ']') == 0);
        break;
    case KILN_JSON_OBJECT:
        FUZZ_CHECK(kiln_buf_putc(b, '{') == 0);
        for (size_t i = 0; i < v->u.object.n; i++) {
            const kiln_json_member *m = &v->u.object.items[i];
            if (i)
                FUZZ_CHECK(kiln_buf_putc(b, ',') == 0);
            FUZZ_CHECK(kiln_json_put_str(b, m->key.p, m->key.n) == 0);
            FUZZ_CHECK(kiln_buf_putc(b, ':') == 0);
            fuzz_write(b, &m->value);
        }
        FUZZ_CHECK(kiln_buf_putc(b, '}') == 0);
        break;
    }
}

/* True when the two views hold the same bytes (and both are NUL-ended). */
static bool fuzz_same_str(kiln_str x, kiln_str y)
{
    return x.n == y.n && (x.n == 0 || memcmp(x.p, y.p, x.n) == 0) &&
           x.p[x.n] == '\0' && y.p[y.n] == '\0';
}

/*
 * Checks that y, parsed from the writer's output for x, is the same value.
 * Infinite numbers have no JSON form: the writer writes them as null.
 */
static void fuzz_compare(const kiln_json *x, const kiln_json *y)
{
    if (x->type == KILN_JSON_NUMBER && isinf(x->u.number.d)) {
        FUZZ_CHECK(!x->u.number.is_int && y->type == KILN_JSON_NULL);
        return;
    }
    FUZZ_CHECK(x->type == y->type);
    switch (x->type) {
    case KILN_JSON_NULL:
        break;
    case KILN_JSON_BOOL:
        FUZZ_CHECK(x->u.boolean == y->u.boolean);
        break;
    case KILN_JSON_NUMBER:
        /* integers were written with put_i64 ("-0" comes back as 0);
         * others with put_double: the same double, sign of zero included
         * ("1.0" may come back as the integer 1) */
        if (x->u.number.is_int)
            FUZZ_CHECK(y->u.number.is_int && x->u.number.i == y->u.number.i &&
                       x->u.number.d == y->u.number.d);
        else
            FUZZ_CHECK(x->u.number.d == y->u.number.d &&
                       !signbit(x->u.number.d) == !signbit(y->u.number.d));
        break;
    case KILN_JSON_STRING:
        FUZZ_CHECK(fuzz_same_str(x->u.string, y->u.string));
        break;
    case KILN_JSON_ARRAY:
        FUZZ_CHECK(x->u.array.n == y->u.array.n);
        for (size_t i = 0; i < x->u.array.n; i++)
            fuzz_compare(&x->u.array.items[i], &y->u.array.items[i]);
        break;
    case KILN_JSON_OBJECT:
        FUZZ_CHECK(x->u.object.n == y->u.object.n);
        for (size_t i = 0; i < x->u.object.n; i++) {
            FUZZ_CHECK(fuzz_same_str(x->u.object.items[i].key,
                                     y->u.object.items[i].key));
            fuzz_compare(&x->u.object.items[i].value,
                         &y->u.object.items[i].value);
        }
        break;
    }
}

/* Step 1 of the file comment: parse, write, re-parse, compare. */
static void fuzz_round_trip(kiln_arena *a, kiln_buf *b, const char *p, size_t n)
{
    kiln_json *x, *y;
    kiln_json_error err;
    int rc = kiln_json_parse(a, p, n, 0, &x, &err);
    if (rc != 0) {
        FUZZ_CHECK(rc == KILN_EPARSE || rc == KILN_ELIMIT);
        FUZZ_CHECK(x == NULL && err.offset <= n && err.line >= 1 &&
                   err.col >= 1 && err.msg[0] != '\0');
        return;
    }
    kiln_buf_clear(b);
    fuzz_write(b, x);
    rc = kiln_json_parse(a, b->p, b->n, 0, &y, &err);
    if (rc != 0) {
        fprintf(stderr, "writer output rejected at %zu: %s\n%.*s\n", err.offset,
                err.msg, (int)b->n, b->p);
        abort();
    }
    fuzz_compare(x, y);
}

/* Step 2 of the file comment: any bytes written as a string parse back. */
static void fuzz_string(kiln_arena *a, kiln_buf *b, const char *p, size_t n)
{
    kiln_json *v;
    kiln_buf_clear(b);
    FUZZ_CHECK(kiln_json_put_str(b, p, n) == 0);
    FUZZ_CHECK(kiln_json_parse(a, b->p, b->n, 0, &v, NULL) == 0);
    FUZZ_CHECK(v->type == KILN_JSON_STRING);
    if (!strstr(b->p, "\\ufffd"))
        FUZZ_CHECK(v->u.string.n == n &&
                   (n == 0 || memcmp(v->u.string.p, p, n) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer entry point: runs both checks on one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char empty[1];
    const char *p = size ? (const char *)data : empty;
    kiln_arena a;
    kiln_buf b;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&b);
    fuzz_round_trip(&a, &b, p, size);
    kiln_arena_reset(&a);
    fuzz_string(&a, &b, p, size);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
    return 0;
}
