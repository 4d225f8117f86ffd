/*
 * fuzz/fuzz_schema.c - libFuzzer target for the schema decoders
 * (src/schema): kiln_decode_json and kiln_decode_form against the test
 * models (tests/schema/test_models.h: every field type, nested objects,
 * lists of objects and of strings, a recursive tree).
 *
 * An input that starts with "F\n" is a form: each following line is one
 * field, "name=value" ("@name=filename" for a file part). Any other input
 * is JSON. For every input:
 *   1. JSON: decode as every (CREATE, then PATCH) and as node. The result
 *      is 0, KILN_EINVAL (with errors) or KILN_EPARSE (with an offset in
 *      the input), never anything else; with the parser's depth limit, the
 *      decoder refuses as malformed exactly what kiln_json_parse refuses,
 *      at the same offset. On success, the round trip holds: the encoding
 *      decodes again, and encodes to the same bytes (read-only fields, which
 *      a decode leaves to the server, carried over from the first decode).
 *   2. Form: decode as every and as doc; 0 or KILN_EINVAL. On success the
 *      encoding decodes as JSON, and encodes to the same bytes.
 * A broken invariant aborts (also with NDEBUG).
 */
#include <kiln.h>

#include "../tests/schema/test_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

NODE_MODEL_DEFINITION

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The bytes of a field's value in the struct (kiln/schema.h's table). */
static size_t fuzz_value_size(const kiln_field *f)
{
    switch (f->type) {
    case KILN_FT_BOOL:
        return sizeof(bool);
    case KILN_FT_ENUM:
        return sizeof(int);
    case KILN_FT_DATE:
        return sizeof(kiln_date);
    case KILN_FT_UUID:
        return sizeof(kiln_uuid);
    case KILN_FT_DECIMAL:
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
    case KILN_FT_JSON:
        return sizeof(kiln_str);
    case KILN_FT_MANY:
        return sizeof(kiln_ids);
    case KILN_FT_LIST:
        return sizeof(kiln_list);
    case KILN_FT_OBJECT:
        return f->ref->size;
    case KILN_FT_FILE:
        return sizeof(const kiln_upload *);
    default:
        return sizeof(int64_t);
    }
}

/* Read-only fields are the server's: a decode ignores them and sets their
   defaults (a datetime default of "now" moves). The round trip keeps the
   first decode's, as a server re-reading its own row would. */
static void fuzz_keep_read_only(const kiln_model *m, const void *from, void *to)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (!(f->flags & KILN_FF_READ_ONLY))
            continue;
        memcpy((char *)to + f->offset, (const char *)from + f->offset,
               fuzz_value_size(f));
        if (f->has_offset != KILN_NO_OFFSET)
            memcpy((char *)to + f->has_offset,
                   (const char *)from + f->has_offset, sizeof(bool));
    }
}

/* Checks the round trip of a decoded obj: encode, decode, encode again. */
static void fuzz_round_trip(const kiln_model *m, const void *obj, kiln_arena *a)
{
    kiln_buf first, second;
    kiln_errors errs;
    kiln_json_error perr;
    void *again = calloc(1, m->size);
    kiln_buf_init(&first);
    kiln_buf_init(&second);
    FUZZ_CHECK(again && kiln_encode_json(m, obj, &first) == 0);
    kiln_errors_init(&errs, a);
    int rc = kiln_decode_json(m, first.p, first.n, NULL, a, again, NULL, &errs,
                              &perr);
    if (rc) {
        fprintf(stderr, "encoding refused (%d): %.*s\n", rc, (int)first.n,
                first.p);
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "  %s %s\n", errs.items[i].pointer,
                    errs.items[i].code);
        abort();
    }
    fuzz_keep_read_only(m, obj, again);
    FUZZ_CHECK(kiln_encode_json(m, again, &second) == 0);
    FUZZ_CHECK(first.n == second.n && memcmp(first.p, second.p, first.n) == 0);
    kiln_buf_deinit(&first);
    kiln_buf_deinit(&second);
    free(again);
}

/* Decodes p as m in mode; checks the result's invariants. */
static void fuzz_json(const kiln_model *m, const char *p, size_t n, int mode,
                      int max_depth, kiln_arena *a, int *rc_out,
                      kiln_json_error *perr)
{
    kiln_errors errs;
    kiln_fieldset given;
    kiln_decode_opts o = {.mode = mode, .max_depth = max_depth};
    void *out = malloc(m->size);
    FUZZ_CHECK(out);
    kiln_errors_init(&errs, a);
    int rc = kiln_decode_json(m, p, n, &o, a, out, &given, &errs, perr);
    FUZZ_CHECK(rc == 0 || rc == KILN_EINVAL || rc == KILN_EPARSE);
    FUZZ_CHECK((rc == KILN_EINVAL) == kiln_errors_any(&errs) ||
               rc == KILN_EPARSE);
    if (rc == KILN_EPARSE)
        FUZZ_CHECK(perr->offset <= n && perr->msg[0]);
    if (rc == 0 && mode != KILN_DECODE_PATCH)
        fuzz_round_trip(m, out, a);
    free(out);
    *rc_out = rc;
}

/* Splits the form text after "F\n" into fields and decodes them. */
static void fuzz_form(const char *p, size_t n, kiln_arena *a)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += p[i] == '\n';
    kiln_form_field *f = kiln_arena_calloc(a, cap * sizeof *f);
    kiln_upload *ups = kiln_arena_calloc(a, cap * sizeof *ups);
    FUZZ_CHECK(f && ups);
    size_t nf = 0;
    for (size_t i = 0; i <= n && nf < cap;) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;
        const char *line = p + i;
        size_t len = end - i;
        const char *eq = memchr(line, '=', len);
        size_t nlen = eq ? (size_t)(eq - line) : len;
        const char *val = eq ? eq + 1 : line + len;
        size_t vlen = eq ? len - nlen - 1 : 0;
        bool file = nlen && line[0] == '@';
        char *name = kiln_arena_strndup(a, line + file, nlen - file);
        char *value = kiln_arena_strndup(a, val, vlen);
        FUZZ_CHECK(name && value);
        f[nf].name = (kiln_str){name, nlen - file};
        if (file) {
            ups[nf].filename = (kiln_str){value, vlen};
            ups[nf].size = (int64_t)vlen;
            ups[nf].data = (kiln_str){value, vlen};
            f[nf].file = &ups[nf];
            f[nf].value = (kiln_str){"", 0};
        } else {
            f[nf].value = (kiln_str){value, vlen};
        }
        nf++;
        i = end + 1;
    }
    static const kiln_model *models[] = {&every_model, &doc_model, &task_model};
    for (size_t k = 0; k < 3; k++) {
        const kiln_model *m = models[k];
        kiln_errors errs;
        void *out = malloc(m->size);
        FUZZ_CHECK(out);
        for (int mode = 0; mode <= KILN_DECODE_PATCH; mode += 2) {
            kiln_decode_opts o = {.mode = mode};
            kiln_errors_init(&errs, a);
            int rc = kiln_decode_form(m, f, nf, &o, a, out, NULL, &errs);
            FUZZ_CHECK(rc == 0 || rc == KILN_EINVAL);
            FUZZ_CHECK((rc == KILN_EINVAL) == kiln_errors_any(&errs));
            if (rc == 0 && mode == 0 && m != &doc_model)
                fuzz_round_trip(m, out, a);
        }
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char empty[1];
    const char *p = size ? (const char *)data : empty;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    if (size >= 2 && p[0] == 'F' && p[1] == '\n') {
        fuzz_form(p + 2, size - 2, &a);
    } else {
        int rc;
        kiln_json_error perr, jerr;
        fuzz_json(&every_model, p, size, KILN_DECODE_CREATE, 0, &a, &rc, &perr);
        fuzz_json(&every_model, p, size, KILN_DECODE_PATCH, 0, &a, &rc, &perr);
        fuzz_json(&node_model, p, size, KILN_DECODE_CREATE, 0, &a, &rc, &perr);
        /* with the parser's depth limit: the same syntax verdicts */
        fuzz_json(&task_model, p, size, KILN_DECODE_CREATE, KILN_JSON_MAX_DEPTH,
                  &a, &rc, &perr);
        kiln_json *tree;
        int prc = kiln_json_parse(&a, p, size, 0, &tree, &jerr);
        FUZZ_CHECK((prc == 0) == (rc != KILN_EPARSE));
        if (prc)
            FUZZ_CHECK(jerr.offset == perr.offset);
    }
    kiln_arena_deinit(&a);
    return 0;
}
