/*
 * tests/schema/helpers.h - what the schema tests share: one decode's state
 * (arena, errors, parse error, given fields) and checks over its errors.
 */
#ifndef KILN_TESTS_SCHEMA_HELPERS_H
#define KILN_TESTS_SCHEMA_HELPERS_H

#include "test.h"
#include "test_models.h"

/* The state of the last decode (reset by every th_* decode). */
typedef struct th_state {
    kiln_arena a;
    kiln_errors errs;
    kiln_json_error perr;
    kiln_fieldset given;
    char *input; /* the last JSON input, copied to exactly its bytes so
                    that ASan sees any read past its end */
    bool ready;
} th_state;

extern th_state th;

/* Decodes the NUL-terminated JSON s as m in mode into out (from a copy,
   th.input, that lives until the next decode). */
int th_json(const kiln_model *m, const char *s, int mode, void *out);
/* Decodes n bytes. */
int th_jsonn(const kiln_model *m, const char *s, size_t n, int mode,
             int max_depth, void *out);
/* Decodes form fields given as name, value pairs (NULL-terminated). */
int th_form(const kiln_model *m, int mode, void *out, const char *const *kv);
/* Encodes obj; the text lives until the next call. */
const char *th_encode(const kiln_model *m, const void *obj);
/* Fails unless the last decode reported code at pointer. */
#define TH_ERR(ptr, code) th_expect_err(__FILE__, __LINE__, ptr, code)
void th_expect_err(const char *file, int line, const char *ptr,
                   const char *code);
/* Prints the errors of the last decode (for failing tests). */
void th_dump(void);
/* The every input with key's value replaced by value (NULL: left out). */
const char *th_every(const char *key, const char *value);

#endif
