/*
 * fuzz/fuzz_tpl.c - libFuzzer target for src/tpl (lexer, parser, renderer).
 *
 * Every input is compiled as template "t" twice, in two sets: one with the
 * defaults (lenient, autoescaped) and one strict, with trim_blocks,
 * lstrip_blocks and no autoescaping. When it compiles, it is rendered with
 * a small fixed context (strings with markup, numbers, a list, nested
 * maps, an object served by the data-layer hook) and its blocks "b" and
 * "content" are rendered alone. Helper templates let extends, include and
 * import reach something: "base.html" (blocks), "m.html" (macros),
 * "p.html" (a partial).
 *
 * Budgets keep hostile templates finite: max_steps, max_output and the
 * default stack budget. Any crash, sanitizer report, leak, or a broken
 * invariant (output not NUL-terminated, an error without a report) is a
 * finding; compile and render errors are expected outcomes.
 *
 * Built by fuzz/meson.build with -Dfuzz=true, or by hand:
 *   clang -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     -Isrc fuzz/fuzz_tpl.c $(find src/tpl src/json src/core -name '*.c') -lm
 * Seed corpus: tests/tpl/corpus/ (the differential test's templates).
 */
#include <kiln/tpl.h>

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

static const char *const helpers[][2] = {
    {"base.html", "<html>{% block title %}T{% endblock %}|{% block content %}"
                  "{% endblock %}|{% block b %}B{% endblock %}</html>"},
    {"m.html", "{% macro btn(x, k='p') %}<b class={{ k }}>{{ x }}</b>"
               "{% endmacro %}{% macro wrap() %}[{{ caller() }}]{% endmacro %}"
               "{% set version = 3 %}"},
    {"p.html", "<li>{{ name }}{{ item|default('') }}</li>"},
};

/* The object served by the hook: a row with two fields. */
static int row_get(const void *self, kiln_str key, kiln_arena *a,
                   kiln_value *out)
{
    (void)self;
    (void)a;
    if (kiln_str_eq(key, KILN_STR("id"))) {
        *out = kiln_value_int(7);
        return 1;
    }
    if (kiln_str_eq(key, KILN_STR("title"))) {
        *out = kiln_value_cstr("<row & title>");
        return 1;
    }
    return 0;
}

static size_t row_len(const void *self)
{
    (void)self;
    return 2;
}

static int row_entry(const void *self, size_t i, kiln_arena *a, kiln_str *key,
                     kiln_value *val)
{
    *key = i ? KILN_STR("title") : KILN_STR("id");
    return row_get(self, *key, a, val) == 1 ? 0 : KILN_EIO;
}

static const kiln_value_class row_class = {"row", row_get, row_len, row_entry};

static kiln_value make_ctx(kiln_arena *a)
{
    kiln_value ctx = kiln_value_map(a), xs = kiln_value_list(a);
    kiln_value user = kiln_value_map(a), tags = kiln_value_list(a);
    kiln_value kv = kiln_value_map(a), rows = kiln_value_list(a);
    kiln_value_set(ctx, "name", kiln_value_cstr("<script>alert('x')</script>"));
    kiln_value_set(ctx, "n", kiln_value_int(42));
    kiln_value_set(ctx, "neg", kiln_value_int(-3));
    kiln_value_set(ctx, "f", kiln_value_float(2.5));
    kiln_value_set(ctx, "flag", kiln_value_bool(true));
    kiln_value_set(ctx, "none", kiln_value_null());
    kiln_value_set(ctx, "html", kiln_value_safe(KILN_STR("<i>ok</i>")));
    kiln_value_set(ctx, "when", kiln_value_cstr("2024-03-05T14:07:00Z"));
    kiln_value_push(xs, kiln_value_int(1));
    kiln_value_push(xs, kiln_value_cstr("a\"b"));
    kiln_value_push(xs, kiln_value_null());
    kiln_value_set(kv, "k", kiln_value_cstr("v"));
    kiln_value_push(xs, kv);
    kiln_value_set(ctx, "xs", xs);
    kiln_value_push(tags, kiln_value_cstr("b"));
    kiln_value_push(tags, kiln_value_cstr("A"));
    kiln_value_set(user, "name", kiln_value_cstr("Ann"));
    kiln_value_set(user, "age", kiln_value_int(30));
    kiln_value_set(user, "tags", tags);
    kiln_value_set(ctx, "user", user);
    kiln_value_set(ctx, "empty", kiln_value_list(a));
    kiln_value_set(ctx, "d", kiln_value_map(a));
    kiln_value_push(rows, kiln_value_object(&row_class, NULL));
    kiln_value_set(ctx, "rows", rows);
    kiln_value_set(ctx, "row", kiln_value_object(&row_class, NULL));
    return ctx;
}

/* Checks what every render must leave behind. */
static void check_render(int rc, const kiln_buf *out, const kiln_tpl_error *err)
{
    if (out->p)
        FUZZ_CHECK(out->p[out->n] == '\0');
    if (rc) {
        FUZZ_CHECK(rc < 0);
        FUZZ_CHECK(memchr(err->text, '\0', sizeof(err->text)) != NULL);
        FUZZ_CHECK(err->text[0] != '\0');
    }
}

static void run(const kiln_tpl_options *opt, const char *src, size_t n)
{
    kiln_tpl_set *set = kiln_tpl_set_new(opt);
    FUZZ_CHECK(set != NULL);
    kiln_tpl_error err;
    for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
        FUZZ_CHECK(kiln_tpl_set_add(set, helpers[i][0], helpers[i][1],
                                    strlen(helpers[i][1]), &err) == 0);
    int rc = kiln_tpl_set_add(set, "t", src, n, &err);
    if (rc) {
        FUZZ_CHECK(rc == KILN_EPARSE || rc == KILN_ENOMEM ||
                   rc == KILN_ELIMIT || rc == KILN_ENOTFOUND);
        FUZZ_CHECK(err.text[0] != '\0');
        kiln_tpl_set_free(set);
        return;
    }
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value ctx = make_ctx(&a);
    kiln_buf out;
    kiln_buf_init(&out);
    rc = kiln_tpl_render(set, "t", ctx, &a, &out, &err);
    check_render(rc, &out, &err);
    static const char *const blocks[] = {"b", "content"};
    for (size_t i = 0; i < 2; i++) {
        kiln_buf_clear(&out);
        rc = kiln_tpl_render_block(set, "t", blocks[i], ctx, &a, &out, &err);
        check_render(rc, &out, &err);
    }
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    kiln_tpl_options lenient = {.max_steps = 20000, .max_output = 1 << 20};
    kiln_tpl_options strict = {.undefined = KILN_TPL_STRICT,
                               .no_autoescape = true,
                               .trim_blocks = true,
                               .lstrip_blocks = true,
                               .max_steps = 20000,
                               .max_output = 1 << 20};
    run(&lenient, (const char *)data, size);
    run(&strict, (const char *)data, size);
    return 0;
}
