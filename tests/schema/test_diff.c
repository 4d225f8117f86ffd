/*
 * tests/schema/test_diff.c - the differential tests of the schema decoder
 * against the generic parser (kiln_json_parse):
 *   - for valid inputs (random every documents: key order, whitespace,
 *     escapes, optional fields left out or null), the decoded struct holds,
 *     field by field, what the parser's tree holds;
 *   - on the JSONTestSuite files, both accept and refuse the same texts,
 *     and refuse them at the same byte offset.
 */
#include "helpers.h"

#include "schema/schema_impl.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- comparing a struct with a tree ------------------------------------ */

static void diff_object(const kiln_model *m, const void *obj,
                        const kiln_json *v);
static void diff_write(kiln_buf *b, const kiln_json *v);

/* Checks that the value of type t of field f at p is the tree value v. */
static void diff_value(const kiln_field *f, uint8_t t, const void *p,
                       const kiln_json *v)
{
    kiln_buf b;
    kiln_buf_init(&b);
    switch (t) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        CHECK(v->type == KILN_JSON_NUMBER && v->u.number.is_int);
        CHECK_INT(*(const int64_t *)p, v->u.number.i);
        break;
    case KILN_FT_FLOAT:
        CHECK(v->type == KILN_JSON_NUMBER);
        CHECK(memcmp(p, &v->u.number.d, sizeof(double)) == 0);
        break;
    case KILN_FT_BOOL:
        CHECK(v->type == KILN_JSON_BOOL);
        CHECK(*(const bool *)p == v->u.boolean);
        break;
    case KILN_FT_DECIMAL: {
        kiln_str in =
            v->type == KILN_JSON_STRING ? v->u.string : v->u.number.raw;
        CHECK_INT(kiln_decimal_canon(in, f->precision, f->scale, &b), 0);
        CHECK_VIEW(*(const kiln_str *)p, b.p);
        break;
    }
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL: {
        const kiln_str *s = p;
        CHECK(v->type == KILN_JSON_STRING);
        CHECK(s->n == v->u.string.n &&
              (s->n == 0 || memcmp(s->p, v->u.string.p, s->n) == 0));
        break;
    }
    case KILN_FT_DATE: {
        kiln_date d;
        CHECK(v->type == KILN_JSON_STRING);
        CHECK_INT(kiln_date_parse(v->u.string, &d), 0);
        CHECK(memcmp(&d, p, sizeof d) == 0);
        break;
    }
    case KILN_FT_DATETIME:
    case KILN_FT_TIME: {
        int64_t x;
        CHECK(v->type == KILN_JSON_STRING);
        CHECK_INT(t == KILN_FT_TIME ? kiln_timeofday_parse(v->u.string, &x)
                                    : kiln_datetime_parse(v->u.string, &x),
                  0);
        CHECK_INT(*(const int64_t *)p, x);
        break;
    }
    case KILN_FT_UUID: {
        kiln_uuid u;
        CHECK_INT(kiln_uuid_parse(v->u.string, &u), 0);
        CHECK(memcmp(&u, p, sizeof u) == 0);
        break;
    }
    case KILN_FT_ENUM: {
        int i = *(const int *)p;
        CHECK(i >= 0 && (uint32_t)i < f->nvalues);
        CHECK_VIEW(v->u.string, f->values[i]);
        break;
    }
    case KILN_FT_JSON: {
        /* the kept text parses to the same tree */
        const kiln_str *s = p;
        kiln_arena a;
        kiln_json *back;
        kiln_arena_init(&a, 0);
        CHECK_INT(kiln_json_parse(&a, s->p, s->n, 0, &back, NULL), 0);
        CHECK(!memchr(s->p, ' ', s->n) || v->type == KILN_JSON_STRING ||
              v->type == KILN_JSON_ARRAY || v->type == KILN_JSON_OBJECT);
        /* compare by writing both the same way */
        kiln_buf x, y;
        kiln_buf_init(&x);
        kiln_buf_init(&y);
        diff_write(&x, v);
        diff_write(&y, back);
        CHECK_STR(x.p, y.p);
        kiln_buf_deinit(&x);
        kiln_buf_deinit(&y);
        kiln_arena_deinit(&a);
        break;
    }
    case KILN_FT_MANY: {
        const kiln_ids *ids = p;
        CHECK(v->type == KILN_JSON_ARRAY);
        CHECK_INT(ids->n, v->u.array.n);
        for (size_t i = 0; i < ids->n; i++)
            CHECK_INT(ids->v[i], v->u.array.items[i].u.number.i);
        break;
    }
    case KILN_FT_LIST: {
        const kiln_list *l = p;
        CHECK(v->type == KILN_JSON_ARRAY);
        CHECK_INT(l->n, v->u.array.n);
        for (size_t i = 0; i < l->n; i++)
            diff_value(f, f->item_type, (const char *)l->v + i * f->item_size,
                       &v->u.array.items[i]);
        break;
    }
    case KILN_FT_OBJECT:
        diff_object(f->ref, p, v);
        break;
    default:
        CHECK(!"unexpected type");
    }
    kiln_buf_deinit(&b);
}

/* Writes a tree canonically (keys in order, numbers by text). */
static void diff_write(kiln_buf *b, const kiln_json *v)
{
    switch (v->type) {
    case KILN_JSON_NULL:
        kiln_buf_puts(b, "null");
        break;
    case KILN_JSON_BOOL:
        kiln_buf_puts(b, v->u.boolean ? "true" : "false");
        break;
    case KILN_JSON_NUMBER:
        kiln_buf_append(b, v->u.number.raw.p, v->u.number.raw.n);
        break;
    case KILN_JSON_STRING:
        kiln_json_put_str(b, v->u.string.p, v->u.string.n);
        break;
    case KILN_JSON_ARRAY:
        kiln_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.array.n; i++) {
            if (i)
                kiln_buf_putc(b, ',');
            diff_write(b, &v->u.array.items[i]);
        }
        kiln_buf_putc(b, ']');
        break;
    case KILN_JSON_OBJECT:
        kiln_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.object.n; i++) {
            if (i)
                kiln_buf_putc(b, ',');
            kiln_json_put_str(b, v->u.object.items[i].key.p,
                              v->u.object.items[i].key.n);
            kiln_buf_putc(b, ':');
            diff_write(b, &v->u.object.items[i].value);
        }
        kiln_buf_putc(b, '}');
        break;
    }
}

/* Checks every field of obj against the tree object v (absent fields:
   NULL when optional, else their default). */
static void diff_object(const kiln_model *m, const void *obj,
                        const kiln_json *v)
{
    CHECK(v->type == KILN_JSON_OBJECT);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        const kiln_json *mv = kiln_json_get(v, f->name);
        if (f->flags & KILN_FF_READ_ONLY)
            continue;
        if (!mv) {
            CHECK(f->def || (f->flags & KILN_FF_OPTIONAL));
            continue;
        }
        if (mv->type == KILN_JSON_NULL) {
            CHECK(schema_is_null(f, obj));
            continue;
        }
        CHECK(!schema_is_null(f, obj));
        diff_value(f, f->type, (const char *)obj + f->offset, mv);
    }
}

/* ---- random valid documents ------------------------------------------- */

static uint64_t rng_state = 88172645463325252u;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* Appends random JSON whitespace. */
static void ws(kiln_buf *b)
{
    static const char w[] = " \t\n\r";
    while (rnd(4) == 0)
        kiln_buf_putc(b, w[rnd(4)]);
}

/* Appends the characters of s as a JSON string, escaping some at random
   (short escapes, \u escapes, surrogate pairs for the emoji). */
static void rstr(kiln_buf *b, const char *s)
{
    kiln_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            kiln_buf_printf(b, rnd(2) ? "\\%c" : "\\u%04x", *p);
        } else if (*p == '\n') {
            kiln_buf_puts(b, rnd(2) ? "\\n" : "\\u000A");
        } else if (*p < 0x20) {
            kiln_buf_printf(b, "\\u%04x", *p);
        } else if (p[0] == 0xF0 && rnd(2)) { /* U+1F600 */
            kiln_buf_puts(b, "\\uD83D\\uDE00");
            p += 3;
        } else if (*p < 0x80 && rnd(8) == 0) {
            kiln_buf_printf(b, "\\u%04X", *p);
        } else if (*p == '/' && rnd(2)) {
            kiln_buf_puts(b, "\\/");
        } else {
            kiln_buf_putc(b, (char)*p);
        }
    }
    kiln_buf_putc(b, '"');
}

/* A random valid every document. */
static void random_every(kiln_buf *b)
{
    static const char *names[] = {"Wi\"dget",
                                  "ab",
                                  "\xc3\xa9t\xc3\xa9",
                                  "x/y\\z",
                                  "\xf0\x9f\x98\x80 smile",
                                  "tab\tx"};
    static const char *notes[] = {"", "line\nline", "</script>", "q\"q"};
    static const char *labels[] = {"a\nb", "</b>", "q\"q", "\xf0\x9f\x98\x80x"};
    static const char *prices[] = {"\"12.50\"", "0",     "99999.9",   "\"-0\"",
                                   "\"0.5\"",   "1.230", "\"100000\""};
    static const char *ratios[] = {"0.25", "-1.5", "1e6", "1E-3",
                                   "-0.0", "3",    "0.1", "123.456e2"};
    static const char *ats[] = {"2026-03-05T14:07:00.123Z",
                                "2026-03-05 16:07:00+02:00",
                                "1999-12-31t23:59:59.999999-00:30"};
    static const char *metas[] = {
        "{\"k\":[1,2,{\"x\":null}]}", "[ ]", "\"s\"", "-1.5e3",
        "{ \"a b\" : \"c d\" }",      "true"};
    static const char *colors[] = {"red", "green", "blue"};
    char tmp[64];
    const char *keys[32], *vals[32];
    kiln_buf vb[32];
    int n = 0;
#define ADD(k)                                                                 \
    do {                                                                       \
        keys[n] = k;                                                           \
        kiln_buf_init(&vb[n]);                                                 \
    } while (0)
#define DONE() (vals[n] = vb[n].p, n++)
    ADD("count");
    kiln_buf_printf(&vb[n], "%u", rnd(101));
    DONE();
    ADD("ratio");
    kiln_buf_puts(&vb[n], ratios[rnd(8)]);
    DONE();
    ADD("price");
    kiln_buf_puts(&vb[n], prices[rnd(7)]);
    DONE();
    if (rnd(2)) {
        ADD("active");
        kiln_buf_puts(&vb[n], rnd(2) ? "true" : "false");
        DONE();
    }
    ADD("name");
    rstr(&vb[n], names[rnd(6)]);
    DONE();
    if (rnd(3)) {
        ADD("note");
        if (rnd(4))
            rstr(&vb[n], notes[rnd(4)]);
        else
            kiln_buf_puts(&vb[n], "null");
        DONE();
    }
    ADD("day");
    snprintf(tmp, sizeof tmp, "%04u-%02u-%02u", 2000 + rnd(100), 1 + rnd(12),
             1 + rnd(28));
    rstr(&vb[n], tmp);
    DONE();
    ADD("at");
    rstr(&vb[n], ats[rnd(3)]);
    DONE();
    ADD("start");
    snprintf(tmp, sizeof tmp, "%02u:%02u%s", rnd(24), rnd(60),
             rnd(2) ? ":07.5" : "");
    rstr(&vb[n], tmp);
    DONE();
    ADD("uid");
    rstr(&vb[n], rnd(2) ? "0f8fad5b-d9cb-469f-a165-70867728950e"
                        : "0F8FAD5B-D9CB-469F-A165-70867728950E");
    DONE();
    ADD("email");
    rstr(&vb[n], "ann+x@example.com");
    DONE();
    if (rnd(2)) {
        ADD("site");
        rstr(&vb[n], rnd(2) ? "https://example.com/a?b=c" : "http://[::1]:80/");
        DONE();
    }
    if (rnd(2)) {
        ADD("color");
        rstr(&vb[n], colors[rnd(3)]);
        DONE();
    }
    if (rnd(2)) {
        ADD("meta");
        kiln_buf_puts(&vb[n], metas[rnd(6)]);
        DONE();
    }
    ADD("owner");
    kiln_buf_printf(&vb[n], "%d", (int)rnd(1000) - 500);
    DONE();
    ADD("tags");
    {
        unsigned k = rnd(6);
        kiln_buf_putc(&vb[n], '[');
        for (unsigned i = 0; i < k; i++) {
            if (i)
                kiln_buf_putc(&vb[n], ',');
            ws(&vb[n]);
            kiln_buf_printf(&vb[n], "%u", i * 7 + rnd(7));
        }
        kiln_buf_putc(&vb[n], ']');
    }
    DONE();
    ADD("home");
    kiln_buf_puts(&vb[n], "{");
    ws(&vb[n]);
    kiln_buf_puts(&vb[n], "\"city\":");
    rstr(&vb[n], "Lyon");
    if (rnd(2)) {
        kiln_buf_puts(&vb[n], ",\"zip\":");
        if (rnd(2))
            rstr(&vb[n], "69001");
        else
            kiln_buf_puts(&vb[n], "null");
    }
    kiln_buf_puts(&vb[n], "}");
    DONE();
    if (rnd(2)) {
        ADD("work");
        kiln_buf_puts(&vb[n],
                      rnd(2) ? "null" : "{\"zip\":\"12345\",\"city\":\"P\"}");
        DONE();
    }
    ADD("lines");
    {
        unsigned k = 1 + rnd(10);
        kiln_buf_putc(&vb[n], '[');
        for (unsigned i = 0; i < k; i++) {
            if (i)
                kiln_buf_putc(&vb[n], ',');
            kiln_buf_printf(&vb[n], "{\"qty\":%u,", 1 + rnd(99));
            ws(&vb[n]);
            kiln_buf_puts(&vb[n], "\"sku\":");
            rstr(&vb[n], names[rnd(6)]);
            kiln_buf_putc(&vb[n], '}');
        }
        kiln_buf_putc(&vb[n], ']');
    }
    DONE();
    if (rnd(2)) {
        ADD("labels");
        kiln_buf_putc(&vb[n], '[');
        unsigned k = rnd(4);
        for (unsigned i = 0; i < k; i++) {
            if (i)
                kiln_buf_putc(&vb[n], ',');
            rstr(&vb[n], labels[rnd(4)]);
        }
        kiln_buf_putc(&vb[n], ']');
        DONE();
    }
    /* shuffle the members */
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnd((unsigned)i + 1);
        const char *k = keys[i], *v = vals[i];
        keys[i] = keys[j];
        vals[i] = vals[j];
        keys[j] = k;
        vals[j] = v;
    }
    kiln_buf_clear(b);
    ws(b);
    kiln_buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        if (i)
            kiln_buf_putc(b, ',');
        ws(b);
        rstr(b, keys[i]);
        ws(b);
        kiln_buf_putc(b, ':');
        ws(b);
        kiln_buf_puts(b, vals[i]);
        ws(b);
    }
    kiln_buf_putc(b, '}');
    ws(b);
    for (int i = 0; i < n; i++)
        kiln_buf_deinit(&vb[i]);
#undef ADD
#undef DONE
}

TEST(differential_random_valid_documents)
{
    kiln_buf b, first;
    kiln_buf_init(&b);
    kiln_buf_init(&first);
    for (int round = 0; round < 3000; round++) {
        random_every(&b);
        every e, again;
        int rc = th_jsonn(&every_model, b.p, b.n, 0, 0, &e);
        if (rc) {
            th_dump();
            test_fail(__FILE__, __LINE__, "round %d: rc %d (%s at %zu) on %s",
                      round, rc, th.perr.msg, th.perr.offset, b.p);
        }
        kiln_arena ta;
        kiln_json *tree;
        kiln_arena_init(&ta, 0);
        CHECK_INT(kiln_json_parse(&ta, b.p, b.n, 0, &tree, NULL), 0);
        diff_object(&every_model, &e, tree);
        kiln_arena_deinit(&ta);
        /* the round trip, on the way */
        kiln_buf_clear(&first);
        CHECK_INT(kiln_encode_json(&every_model, &e, &first), 0);
        CHECK_INT(th_jsonn(&every_model, first.p, first.n, 0, 0, &again), 0);
        CHECK_STR(th_encode(&every_model, &again), first.p);
    }
    kiln_buf_deinit(&b);
    kiln_buf_deinit(&first);
}

TEST(differential_json_test_suite)
{
    static const kiln_model any = {.name = "any",
                                   .flags = KILN_MF_ALLOW_UNKNOWN};
    char dir[512];
    snprintf(dir, sizeof dir, "%s/json-test-suite", test_conformance_dir());
    DIR *d = opendir(dir);
    if (!d) {
        printf("  (no %s: skipped)\n", dir);
        return;
    }
    struct dirent *ent;
    int files = 0;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (len < 6 || strcmp(ent->d_name + len - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        size_t n;
        char *text = kiln_read_file(path, &n);
        CHECK(text != NULL);
        kiln_arena a;
        kiln_json *tree;
        kiln_json_error je, de;
        kiln_arena_init(&a, 0);
        int prc = kiln_json_parse(&a, text, n, 0, &tree, &je);
        kiln_errors errs;
        kiln_errors_init(&errs, &a);
        char out[1];
        kiln_decode_opts o = {.max_depth = KILN_JSON_MAX_DEPTH};
        int drc =
            kiln_decode_json(&any, text, n, &o, &a, out, NULL, &errs, &de);
        bool parsed = prc == 0, decoded = drc != KILN_EPARSE;
        if (parsed != decoded)
            test_fail(__FILE__, __LINE__, "%s: parser %d, decoder %d (%s)",
                      ent->d_name, prc, drc, drc ? de.msg : "");
        if (!parsed && je.offset != de.offset)
            test_fail(__FILE__, __LINE__,
                      "%s: parser at %zu (%s), decoder at "
                      "%zu (%s)",
                      ent->d_name, je.offset, je.msg, de.offset, de.msg);
        if (parsed)
            CHECK_INT(drc, tree->type == KILN_JSON_OBJECT ? 0 : KILN_EINVAL);
        kiln_arena_deinit(&a);
        free(text);
        files++;
    }
    closedir(d);
    CHECK(files > 250);
}
