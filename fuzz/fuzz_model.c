/*
 * fuzz/fuzz_model.c - libFuzzer target for the decoders against a model
 * that kiln's own generator compiled: fuzz/models/models/sample.toml, turned
 * into models.h and models.c by `kiln __emit-models` when the target is
 * built (fuzz/meson.build). So the descriptions fuzzed are exactly what an
 * app gets, not hand-written ones.
 *
 * The first byte picks the body's type, the rest is the body:
 *   'j'  JSON         kiln_decode_json, CREATE then PATCH
 *   'u'  urlencoded   http_query_parse, then kiln_decode_form
 *   'm'  multipart    http_multipart_feed (boundary "fzb", fed in slices
 *                     whose sizes come from the input), then
 *                     kiln_decode_form
 * Invariants checked for every input (a broken one aborts):
 *   - a decode answers 0, KILN_EINVAL with errors, or (JSON only)
 *     KILN_EPARSE with an offset inside the input: nothing else;
 *   - on success the struct passes kiln_validate, and the round trip
 *     holds: its JSON decodes again and encodes to the same bytes.
 */
#include <kiln.h>

#include "http/multipart.h"
#include "http/url.h"
#include "models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A decoded Sample: valid, and its JSON is a fixed point. */
static void check_valid(const Sample *s, kiln_arena *a)
{
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    CHECK(sample_validate(s, &errs) == 0);
    kiln_buf first, second;
    kiln_buf_init(&first);
    kiln_buf_init(&second);
    CHECK(sample_to_json(s, &first) == 0);
    Sample again;
    kiln_json_error perr;
    kiln_decode_opts o = {.mode = KILN_DECODE_CREATE};
    int rc = kiln_decode_json(&sample_model, first.p, first.n, &o, a, &again,
                              NULL, &errs, &perr);
    if (rc != 0) {
        fprintf(stderr, "its own JSON is refused (%d): %.*s\n", rc,
                (int)first.n, first.p);
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "  %s %s\n", errs.items[i].pointer,
                    errs.items[i].code);
        abort();
    }
    /* the secret is write-only: it is not in the JSON, so not in again */
    again.has_secret = s->has_secret;
    again.secret = s->secret;
    CHECK(sample_to_json(&again, &second) == 0);
    CHECK(first.n == second.n && memcmp(first.p, second.p, first.n) == 0);
    kiln_buf_deinit(&first);
    kiln_buf_deinit(&second);
}

static void fuzz_json(const char *p, size_t n, kiln_arena *a)
{
    static const kiln_decode_mode modes[] = {KILN_DECODE_CREATE,
                                             KILN_DECODE_PATCH};
    for (size_t k = 0; k < 2; k++) {
        kiln_errors errs;
        kiln_errors_init(&errs, a);
        kiln_json_error perr;
        memset(&perr, 0, sizeof perr);
        kiln_decode_opts o = {.mode = modes[k]};
        Sample s;
        kiln_fieldset given;
        int rc = kiln_decode_json(&sample_model, p, n, &o, a, &s, &given, &errs,
                                  &perr);
        CHECK(rc == 0 || rc == KILN_EINVAL || rc == KILN_EPARSE);
        CHECK((rc == KILN_EINVAL) == (errs.n > 0 || errs.dropped > 0) ||
              rc == KILN_EPARSE);
        if (rc == KILN_EPARSE)
            CHECK(perr.offset <= n);
        if (rc == 0 && modes[k] == KILN_DECODE_CREATE)
            check_valid(&s, a);
    }
}

static void decode_fields(const kiln_form_field *f, size_t n, kiln_arena *a)
{
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    kiln_decode_opts o = {.mode = KILN_DECODE_CREATE};
    Sample s;
    int rc = kiln_decode_form(&sample_model, f, n, &o, a, &s, NULL, &errs);
    CHECK(rc == 0 || rc == KILN_EINVAL);
    CHECK((rc == KILN_EINVAL) == (errs.n > 0 || errs.dropped > 0));
    if (rc == 0)
        check_valid(&s, a);
}

static void fuzz_urlencoded(const char *p, size_t n, kiln_arena *a)
{
    http_kv *kv = NULL;
    long nkv = http_query_parse(a, (kiln_str){p, n}, &kv);
    if (nkv < 0)
        return; /* a malformed escape: 400 before any decoding */
    kiln_form_field *f = kiln_arena_calloc(a, ((size_t)nkv + 1) * sizeof *f);
    CHECK(f);
    for (long i = 0; i < nkv; i++) {
        f[i].name = kv[i].name;
        f[i].value = kv[i].value;
    }
    decode_fields(f, (size_t)nkv, a);
}

static void fuzz_multipart(const char *p, size_t n, kiln_arena *a)
{
    static http_multipart mp; /* large: not on the stack */
    if (http_multipart_init(&mp, KILN_STR("multipart/form-data; boundary=fzb"),
                            64) != 0)
        abort();
    /* slice sizes from the first byte, so splits are explored too */
    size_t slice = n ? (unsigned char)p[0] % 17 + 1 : 1;
    kiln_form_field *f = kiln_arena_calloc(a, 65 * sizeof *f);
    kiln_buf data;
    kiln_buf_init(&data);
    size_t nf = 0;
    bool in_part = false, file = false, done = false;
    int ev = 0;
    size_t off = 0;
    while (!done && off < n && ev >= 0) {
        size_t len = n - off < slice ? n - off : slice;
        const char *in = p + off;
        while (len) {
            size_t used = 0;
            kiln_str d;
            ev = http_multipart_feed(&mp, in, len, &used, &d);
            in += used;
            len -= used;
            off += used;
            if (ev < 0 || ev == HTTP_MP_DONE) {
                done = true;
                break;
            }
            if (ev == HTTP_MP_PART) {
                CHECK(nf < 64);
                f[nf].name = kiln_str_c(
                    kiln_arena_strndup(a, mp.part.name.p, mp.part.name.n));
                file = mp.part.filename.p != NULL;
                in_part = true;
                kiln_buf_clear(&data);
            } else if (ev == HTTP_MP_DATA) {
                CHECK(in_part);
                kiln_buf_append(&data, d.p, d.n);
            } else if (ev == HTTP_MP_PART_END) {
                char *v = kiln_arena_strndup(a, data.p ? data.p : "", data.n);
                if (file) {
                    kiln_upload *u = kiln_arena_calloc(a, sizeof *u);
                    u->filename = KILN_STR("f.txt");
                    u->content_type = KILN_STR("text/plain");
                    u->size = (int64_t)data.n;
                    u->data = (kiln_str){v, data.n};
                    f[nf].file = u;
                    f[nf].value = KILN_STR("");
                } else {
                    f[nf].value = (kiln_str){v, data.n};
                }
                nf++;
                in_part = false;
            }
            if (ev == HTTP_MP_MORE)
                break;
        }
    }
    kiln_buf_deinit(&data);
    if (ev == HTTP_MP_DONE)
        decode_fields(f, nf, a); /* only a complete body is decoded */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0]) {
    case 'j':
        fuzz_json(p, n, &a);
        break;
    case 'u':
        fuzz_urlencoded(p, n, &a);
        break;
    case 'm':
        fuzz_multipart(p, n, &a);
        break;
    default:
        break;
    }
    kiln_arena_deinit(&a);
    return 0;
}
