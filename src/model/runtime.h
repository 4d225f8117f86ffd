/*
 * model/runtime.h - what the files behind kiln/model.h share: fields to
 * SQL parameters and back (row.c), the SQL of each call built from a
 * model's description (query.c), writes (write.c).
 *
 * SQL is built per call into the connection's arena: a few hundred bytes
 * of string appends, cheap next to the round trip, and the data layer's
 * statement cache keys on the text, so each distinct statement is still
 * prepared once per connection.
 */
#ifndef KILN_MODEL_RUNTIME_H
#define KILN_MODEL_RUNTIME_H

#include <kiln.h>

#include "db/db_impl.h"

/** A check of the references a request writes beyond their existence
    (kiln_api_refs_visible's shape): 0 (errs tells), 1 answered, < 0. */
typedef int (*model_refs_fn)(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                             const void *obj, const kiln_fieldset *given,
                             kiln_errors *errs);

/**
 * Installs fn as the check kiln_model_decode runs after the references
 * exist (the API module installs its row rules: api/refs.c; the model
 * layer does not know the API's hooks). Once, before serving.
 */
void model_refs_rule(model_refs_fn fn);

/** True when f is optional and NULL in obj. */
bool model_is_null(const kiln_field *f, const void *obj);
/** Sets f of obj to NULL (null) or not, when f is optional. */
void model_set_null(const kiln_field *f, void *obj, bool null);

/**
 * The value of f in obj as a parameter; text made for it (dates, times,
 * UUIDs) is allocated in a. Returns 0, KILN_EINVAL (an enum index out of
 * range, a time of day out of range) or KILN_ENOMEM.
 */
int model_param(const kiln_field *f, const void *obj, kiln_arena *a,
                kiln_db_param *out);

/** Reads column col of r's current row into f of obj (strings stay in
    the connection's arena; decimals are copied canonical into a).
    0 or KILN_EINVAL (a value that does not fit the type). */
int model_read_column(const kiln_field *f, kiln_rows *r, int col, kiln_arena *a,
                      void *obj);

/** Reads a row whose columns are m's, in field order (model_columns). */
int model_read_row(const kiln_model *m, kiln_rows *r, void *out);

/** Appends m's columns, comma-separated, in field order. */
void model_columns(const kiln_model *m, kiln_buf *b);

/** The names of the two columns of many field f's join table (of model
    m): the row's side and the target's side. */
void model_link_columns(const kiln_model *m, const kiln_field *f, char self[64],
                        char other[64]);

/** Reads the many-to-many ids of the n structs at rows (one query per many
    field). */
int model_load_links(kiln_dbc *db, const kiln_model *m, void *rows, size_t n);

/** Copies sql from b into db's arena (the statement of a call). */
const char *model_sql(kiln_dbc *db, const kiln_buf *b);

#endif
