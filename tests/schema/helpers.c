/*
 * tests/schema/helpers.c - see helpers.h.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>

th_state th;

NODE_MODEL_DEFINITION

/* Starts a new decode: a fresh arena and error list. */
static void th_reset(void)
{
    if (th.ready)
        kiln_arena_deinit(&th.a);
    free(th.input);
    th.input = NULL;
    kiln_arena_init(&th.a, 0);
    kiln_errors_init(&th.errs, &th.a);
    memset(&th.perr, 0, sizeof th.perr);
    memset(&th.given, 0xAA, sizeof th.given); /* must be overwritten */
    th.ready = true;
}

int th_jsonn(const kiln_model *m, const char *s, size_t n, int mode,
             int max_depth, void *out)
{
    th_reset();
    th.input = malloc(n ? n : 1);
    if (n)
        memcpy(th.input, s, n);
    kiln_decode_opts o = {.mode = mode, .max_depth = max_depth};
    return kiln_decode_json(m, th.input, n, &o, &th.a, out, &th.given, &th.errs,
                            &th.perr);
}

int th_json(const kiln_model *m, const char *s, int mode, void *out)
{
    return th_jsonn(m, s, strlen(s), mode, 0, out);
}

int th_form(const kiln_model *m, int mode, void *out, const char *const *kv)
{
    th_reset();
    size_t n = 0;
    while (kv[2 * n])
        n++;
    kiln_form_field *f = kiln_arena_calloc(&th.a, (n + 1) * sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f[i].name = kiln_str_c(kv[2 * i]);
        f[i].value = kiln_str_c(kv[2 * i + 1]);
    }
    kiln_decode_opts o = {.mode = mode};
    return kiln_decode_form(m, f, n, &o, &th.a, out, &th.given, &th.errs);
}

const char *th_encode(const kiln_model *m, const void *obj)
{
    static kiln_buf b;
    kiln_buf_clear(&b);
    CHECK_INT(kiln_encode_json(m, obj, &b), 0);
    return b.p;
}

void th_dump(void)
{
    for (size_t i = 0; i < th.errs.n; i++)
        fprintf(stderr, "    %s %s: %s\n", th.errs.items[i].pointer,
                th.errs.items[i].code, th.errs.items[i].detail);
    if (th.errs.dropped)
        fprintf(stderr, "    (%zu dropped)\n", th.errs.dropped);
}

void th_expect_err(const char *file, int line, const char *ptr,
                   const char *code)
{
    for (size_t i = 0; i < th.errs.n; i++)
        if (strcmp(th.errs.items[i].pointer, ptr) == 0 &&
            strcmp(th.errs.items[i].code, code) == 0)
            return;
    th_dump();
    test_fail(file, line, "no error %s at \"%s\"", code, ptr);
}

/* The members of EVERY_JSON, in order. */
static const char *const th_every_kv[][2] = {
    {"count", "7"},
    {"ratio", "0.25"},
    {"price", "\"12.50\""},
    {"active", "false"},
    {"name", "\"Widget\""},
    {"note", "\"a \\\"quoted\\\" note\\n\""},
    {"day", "\"2026-03-05\""},
    {"at", "\"2026-03-05T14:07:00.123Z\""},
    {"start", "\"14:07:00.250\""},
    {"uid", "\"0f8fad5b-d9cb-469f-a165-70867728950e\""},
    {"email", "\"ann@example.com\""},
    {"site", "\"https://example.com/a?b=c\""},
    {"color", "\"blue\""},
    {"meta", "{\"k\":[1,2,{\"x\":null}]}"},
    {"owner", "3"},
    {"tags", "[1,2,3]"},
    {"home", "{\"city\":\"Lyon\",\"zip\":\"69001\"}"},
    {"work", "null"},
    {"lines", "[{\"sku\":\"A-1\",\"qty\":2},{\"sku\":\"B-2\",\"qty\":99}]"},
    {"labels", "[\"x\",\"y\"]"},
    {"secret", "\"s3cret\""},
    {"code", "\"XYZ\""},
};

const char *th_every(const char *key, const char *value)
{
    static kiln_buf b;
    bool found = false;
    kiln_buf_clear(&b);
    kiln_buf_putc(&b, '{');
    for (size_t i = 0; i < sizeof th_every_kv / sizeof *th_every_kv; i++) {
        const char *v = th_every_kv[i][1];
        if (key && strcmp(key, th_every_kv[i][0]) == 0) {
            found = true;
            if (!value)
                continue;
            v = value;
        }
        kiln_buf_printf(&b, "%s\"%s\":%s", b.n > 1 ? "," : "",
                        th_every_kv[i][0], v);
    }
    if (key && !found) /* a key every does not have: added */
        kiln_buf_printf(&b, ",\"%s\":%s", key, value);
    kiln_buf_putc(&b, '}');
    return b.p;
}
