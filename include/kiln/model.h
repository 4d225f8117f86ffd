/*
 * kiln/model.h - rows of a model through the data layer: get, insert,
 * update, delete, list with filters and ordering, count, related rows and
 * many-to-many links, a raw query's rows into a model's struct, and the
 * answer to a write that broke a constraint (409, 422).
 *
 * An app calls the typed wrappers `kiln` generates for each model
 * (.kiln/<mode>/gen/models.h: task_get, task_insert, task_list...); each is
 * one call of these with the model's description (kiln/schema.h). Plain SQL
 * through kiln_db_query stays available beside them and mixes freely:
 * kiln_model_from_row reads any query's row into the struct by column name.
 *
 * SQL is the same on SQLite and PostgreSQL: typed $N parameters only, and
 * table and column names that SQL does not reserve (the model loader
 * refuses the others), so nothing is quoted or pasted.
 *
 * Memory: rows and strings read (lists, strings, many-to-many ids) live in
 * the connection's arena (kiln_dbc_arena): the request's in a handler.
 */
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include "db.h"
#include "schema.h"
#include "tpl.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The arena a connection reads rows into (the request's in a handler). */
kiln_arena *kiln_dbc_arena(kiln_dbc *db);

/** Comparison of a list filter. */
typedef enum kiln_filter_op {
    KILN_OP_EQ,        /**< = value (NULL value: IS NULL) */
    KILN_OP_NE,        /**< <> value (NULL value: IS NOT NULL) */
    KILN_OP_LT,        /**< < value */
    KILN_OP_LTE,       /**< <= value */
    KILN_OP_GT,        /**< > value */
    KILN_OP_GTE,       /**< >= value */
    KILN_OP_CONTAINS,  /**< text containing value (case-sensitive) */
    KILN_OP_ICONTAINS, /**< text containing value, ignoring ASCII case */
    KILN_OP_ISNULL     /**< IS NULL when value is true, else IS NOT NULL */
} kiln_filter_op;

/** One condition of a list: field op value. */
typedef struct kiln_filter {
    const char *field; /**< a field name of the model (a ref by its name:
                            "project" compares project_id) */
    kiln_filter_op op;
    kiln_db_param value; /**< KILN_INT(...), KILN_TEXT(...), ... */
} kiln_filter;

/**
 * What a list or count selects. Zero-filled: every row, in the model's
 * ordering (then by id), no limit.
 */
typedef struct kiln_list_opts {
    const kiln_filter *filters; /**< ANDed */
    size_t nfilters;
    /** extra SQL condition ANDed with the filters, with its own parameters
        numbered $1..$nparams ("due < $1 OR done"), or NULL */
    const char *where;
    const kiln_db_param *params;
    size_t nparams;
    /** field names, "-" for descending: "-due,title"; NULL: the model's
        ordering. id is always added last so the order is total. */
    const char *ordering;
    int64_t limit;  /**< 0: no limit */
    int64_t offset; /**< rows to skip */
} kiln_list_opts;

/** Rows read by kiln_model_list: n structs of m->size bytes at v. */
typedef struct kiln_model_rows {
    void *v; /**< in the connection's arena */
    size_t n;
} kiln_model_rows;

/**
 * Reads row id of m into *out (m->size bytes), many-to-many fields
 * included. Returns 0, KILN_ENOTFOUND, or a negative error (kiln_db_errmsg).
 */
int kiln_model_get(kiln_dbc *db, const kiln_model *m, int64_t id, void *out);

/**
 * Inserts *obj as a new row of m: every column but the primary key, with
 * auto "created"/"updated" datetimes set to now, "now" and "random"
 * defaults filled where obj leaves them zero, then the many-to-many links
 * (all in one transaction or savepoint). On success obj is updated from
 * the row the database returned (id included). Returns 0 or a negative
 * error; a broken constraint is KILN_EDB with kiln_db_violation_of set
 * (kiln_model_fail answers it).
 */
int kiln_model_insert(kiln_dbc *db, const kiln_model *m, void *obj);

/**
 * Updates row obj->id of m. given NULL: every field that is not read-only
 * (a PUT); else only the fields in given (a PATCH). auto "updated"
 * datetimes are set to now; many-to-many fields given are replaced. obj is
 * updated from the row as stored (with a PATCH, every field, so a decoded
 * patch comes back as the whole row). Read-only fields change only when
 * named in given. Returns 0, KILN_ENOTFOUND or a negative error.
 */
int kiln_model_update(kiln_dbc *db, const kiln_model *m, void *obj,
                      const kiln_fieldset *given);

/** Deletes row id of m (the database cascades to rows referring to it, or
    refuses: KILN_EDB with a foreign-key violation). Returns 0,
    KILN_ENOTFOUND or a negative error. */
int kiln_model_delete(kiln_dbc *db, const kiln_model *m, int64_t id);

/**
 * Reads the rows of m that o selects (o may be NULL) into *out, with
 * their many-to-many ids (one more query per many field for the whole
 * list, never one per row). An unknown field in o's filters or ordering
 * is KILN_EINVAL with the reason in kiln_db_errmsg. Returns 0 or a
 * negative error.
 */
int kiln_model_list(kiln_dbc *db, const kiln_model *m, const kiln_list_opts *o,
                    kiln_model_rows *out);

/** The number of rows of m that o selects (limit and offset ignored). */
int kiln_model_count(kiln_dbc *db, const kiln_model *m, const kiln_list_opts *o,
                     int64_t *out);

/**
 * Reads the current row of r into *out (zero-filled first) by column name:
 * each column named like a field's column fills that field (NULL clears
 * has_NAME); other columns are ignored, and fields without a column stay
 * zero. For rows of any query (SELECT * FROM task WHERE ...). Returns 0 or
 * KILN_EINVAL (a value that does not fit its field's type).
 */
int kiln_model_from_row(const kiln_model *m, kiln_rows *r, void *out);

/** The ids linked through many field f (a KILN_FT_MANY of m) to row id, in
    ascending order, into *out. Returns 0 or a negative error. */
int kiln_model_links(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                     int64_t id, kiln_ids *out);
/** Links row id to target through f (nothing when linked already). */
int kiln_model_link(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                    int64_t id, int64_t target);
/** Removes the link of row id to target through f (none: no error). */
int kiln_model_unlink(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                      int64_t id, int64_t target);
/** Makes ids the exact set linked to row id through f. */
int kiln_model_set_links(kiln_dbc *db, const kiln_model *m, const kiln_field *f,
                         int64_t id, const kiln_ids *ids);

/**
 * Checks that every ref and many field of obj (only those in given, when
 * not NULL) names an existing row, adding a "does_not_exist" error with
 * the field's pointer for each that does not. A field errs already holds
 * an error for (at its pointer or below) is skipped: it did not decode. A write
 * checked this way fails with one 422 listing every bad reference, instead of
 * the first foreign-key violation. Returns 0, KILN_EINVAL (errs got errors) or
 * a database error.
 */
int kiln_model_check_refs(kiln_dbc *db, const kiln_model *m, const void *obj,
                          const kiln_fieldset *given, kiln_errors *errs);

/**
 * A request's body (JSON, or a form) read into *out as model m in mode,
 * validated, and - when db is not NULL - its references looked up
 * (kiln_model_check_refs over the fields that decoded, then
 * kiln_api_refs_visible: a row the referred model's query hook hides does
 * not exist for this request), so that one 422 lists every failing field,
 * missing rows included. Returns 0 when *out is valid (*given, when not
 * NULL, says which fields the input had); KILN_EINVAL when errs lists the
 * failures and nothing is answered (a page re-renders its form with
 * kiln_page_invalid; an API answers kiln_problem_errors); any other code
 * once answered (400, 413, 415, 1 when a query hook answered, or a
 * database failure).
 */
int kiln_model_decode(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                      kiln_decode_mode mode, void *out, kiln_fieldset *given,
                      kiln_errors *errs);

/**
 * kiln_model_decode answering the 422 itself: true when *out is valid;
 * false once answered (the handler returns 0).
 */
bool kiln_model_from_body(kiln_ctx *c, kiln_dbc *db, const kiln_model *m,
                          kiln_decode_mode mode, void *out,
                          kiln_fieldset *given);

/**
 * Answers a failed model call in a handler and returns 0 (so `return
 * kiln_model_fail(c, db, m, rc);`): KILN_ENOTFOUND is 404; a unique
 * violation 409 problem+json with the pointer of each field of the
 * constraint ("unique" code); a foreign-key violation 422
 * ("does_not_exist", or 409 "protected" when a delete is refused because
 * rows still refer to the row); anything else as kiln_db_fail.
 */
int kiln_model_fail(kiln_ctx *c, kiln_dbc *db, const kiln_model *m, int rc);

/**
 * A template value for obj: an object whose keys are m's fields (not the
 * write-only ones), typed as the JSON encoder writes them (dates as
 * ISO text, enums by name, NULL as none). The struct is copied into a
 * (what its fields point to - strings, ids - is not: it lives in the
 * request's arena already), so obj may be a local variable.
 */
kiln_value kiln_model_value(const kiln_model *m, const void *obj,
                            kiln_arena *a);

/** A template list of the n structs at items (see kiln_model_value). */
kiln_value kiln_model_value_list(const kiln_model *m, const void *items,
                                 size_t n, kiln_arena *a);

#ifdef __cplusplus
}
#endif
#endif
