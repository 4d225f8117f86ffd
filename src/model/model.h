/*
 * model/model.h - the model language: models/NAME.toml (and the field
 * language of endpoint schemas) loaded into kiln_model descriptions
 * (kiln/schema.h), with every node's file:line:col, checked as a whole
 * (references resolved, names unique, defaults fitting their types).
 *
 * This is the one place a model file is read. Every output walks what it
 * builds: the C code generator (cli/emit_c.c), the DDL and migrations
 * (src/model/ddl.c, diff.c), and later OpenAPI, TypeScript and the admin.
 *
 *   model_set ms;
 *   model_set_init(&ms);
 *   if (model_load_dir(&ms, root, &errs) != 0)   // errs: one line each,
 *       fputs(errs.p, stderr);                   // "models/task.toml:4:9: ..."
 *   for (size_t i = 0; i < ms.n; i++) use(ms.models[i]);
 *   model_set_free(&ms);
 *
 * Memory: a model_set owns one arena holding every model, field, string
 * and array it returns; model_set_free releases them all.
 */
#ifndef KILN_MODEL_MODEL_H
#define KILN_MODEL_MODEL_H

#include <kiln.h>

#include "config/toml.h"

#include <stdarg.h>

/**
 * Appends one error line "file:line:col: message\n" to errs (the format of
 * every mistake the model language reports).
 */
void model_error(kiln_buf *errs, const char *file, int line, int col,
                 const char *fmt, ...) KILN_PRINTF(5, 6);
/** va_list form of model_error. */
void model_errorv(kiln_buf *errs, const char *file, int line, int col,
                  const char *fmt, va_list ap);

/** Longest model, field or table name. */
#define MODEL_NAME_MAX 48

/** A set of loaded models. Fields are read-only for callers. */
typedef struct model_set {
    kiln_arena arena;    /**< private: owns everything below */
    kiln_model **models; /**< n models, sorted by name */
    size_t n;
    size_t cap;                /**< private */
    kiln_endpoint **endpoints; /**< endpoint schemas, in load order */
    size_t nendpoints;
    size_t endpoint_cap; /**< private */
} model_set;

/** Initialises an empty set. */
void model_set_init(model_set *s);
/** Frees everything the set holds. */
void model_set_free(model_set *s);

/**
 * Loads every .toml file of root/models (a missing folder is an empty set),
 * then resolves references between them. Each mistake appends one line
 * "models/FILE.toml:LINE:COL: message\n" to errs; loading goes on after a
 * mistake so that one run reports as many as it can. Returns 0 when the
 * models are sound, KILN_EINVAL when errs got a line, KILN_ENOMEM or
 * KILN_EIO (a line in errs says which file).
 */
int model_load_dir(model_set *s, const char *root, kiln_buf *errs);

/**
 * Loads one model from the TOML text src[0..n) as if it were file
 * ("models/task.toml": the model's name is the file's stem). References
 * are resolved by model_set_resolve. Returns as model_load_dir.
 */
int model_load_text(model_set *s, const char *file, const char *src, size_t n,
                    kiln_buf *errs);

/** Resolves ref/many targets, join tables and cross-model checks of every
    model loaded. Returns 0 or KILN_EINVAL (lines in errs). */
int model_set_resolve(model_set *s, kiln_buf *errs);

/**
 * Loads the endpoint schema file ("api/posts/[id]/like.toml", text
 * src[0..n)) of the route pattern ("/api/posts/{id}/like") whose .c file
 * defines the methods in the bit set methods (bit i: GET, POST, PUT, PATCH,
 * DELETE, HEAD, OPTIONS), after the models (a body or response may name
 * one). Each method table becomes a kiln_endpoint appended to
 * s->endpoints. Returns 0, KILN_EINVAL (lines in errs) or KILN_ENOMEM.
 */
int model_load_endpoints(model_set *s, const char *file, const char *src,
                         size_t n, const char *pattern, unsigned methods,
                         kiln_buf *errs);

/** The two columns of many field f's join table (of model m): the row's
    side and the target's ("task_id", "tag_id"; from_/to_ when the field
    links a model to itself). Defined in query.c. */
void model_link_columns(const kiln_model *m, const kiln_field *f, char self[64],
                        char other[64]);

/**
 * Parses the [api] table t of model m (its fields, labels and ordering
 * already built) into m->api (allocated in s): operations, path (default:
 * label_plural with spaces as '_'), filters, ordering, search (text fields),
 * expand (ref fields), page sizes. Defined in api.c. Returns 0, KILN_EINVAL
 * (lines in errs) or KILN_ENOMEM.
 */
int model_parse_api(model_set *s, const char *file, kiln_model *m,
                    const toml_value *t, kiln_buf *errs);

/**
 * Parses the [admin] table t of model m (its fields built) into m->admin
 * (allocated in s): list columns, filters, search, ordering, read-only and
 * excluded fields, inlines, fieldsets, booleans, date_hierarchy,
 * list_per_page, group. Defined in admin.c. Returns 0, KILN_EINVAL (lines
 * in errs) or KILN_ENOMEM.
 */
int model_parse_admin(model_set *s, const char *file, kiln_model *m,
                      const toml_value *t, kiln_buf *errs);

/** Checks what [admin] tables name in other models (list columns
    "REF.FIELD", inlines), once refs are resolved. Returns 0 or
    KILN_EINVAL (lines in errs). Defined in admin.c. */
int model_check_admin(const model_set *s, kiln_buf *errs);

/** Checks that no two models of s have the same [api] path. Returns 0 or
    KILN_EINVAL (lines in errs). Defined in api.c. */
int model_check_api_paths(const model_set *s, kiln_buf *errs);

/** True when p[0..n) is an [api] path: segments of lower-case letters,
    digits, _ and -, joined by single slashes. */
bool model_api_path_ok(const char *p, size_t n);

/**
 * Adds Kiln's built-in model name ("user": table kiln_user) to s, marked
 * KILN_MF_BUILTIN, unless s has a model of that name already. Returns 0,
 * KILN_ENOTFOUND (no such built-in), or what model_load_text returns.
 * Defined in builtin.c.
 */
int model_add_builtin(model_set *s, const char *name, kiln_buf *errs);

/**
 * Makes m, the app's models/NAME.toml (file) that says extends =
 * "kiln.NAME", the built-in model name extended: its fields become the
 * built-in's (primary key first) followed by the app's own, its table the
 * built-in's, and it is marked KILN_MF_BUILTIN. Each app field must be one
 * Kiln can add to its table in place and that the rows Kiln writes can do
 * without: not named like a column of Kiln's, not many, optional or with
 * a constant default (a ref: optional). Call it after m's fields are
 * parsed and before its indexes are built. Returns 0, KILN_ENOTFOUND (no
 * such built-in), KILN_EINVAL (lines in errs) or KILN_ENOMEM. The fields
 * are allocated in s. Defined in builtin.c.
 */
int model_extend_builtin(model_set *s, const char *file, const char *name,
                         kiln_model *m, kiln_buf *errs);

/**
 * True when column is one of Kiln's own columns of built-in model model's
 * table (for "user": every column of kiln_user that Kiln's schema makes,
 * the password hash, issuer and subject included). The migrations never
 * add, alter or drop one.
 */
bool model_builtin_column(const char *model, const char *column);

/** True when name is a built-in model's ("user"). */
bool model_is_builtin_name(const char *name);

/** The model called name, or NULL. */
kiln_model *model_find(const model_set *s, const char *name);

/**
 * Adds m (allocated in s's arena, or living as long as s) to s, keeping
 * the models sorted by name. The migrations' replay builds sets this way.
 * Returns 0 or KILN_ENOMEM.
 */
int model_set_add(model_set *s, kiln_model *m);

/** Takes m out of s (its memory stays in the arena until model_set_free). */
void model_set_remove(model_set *s, const kiln_model *m);

/**
 * The join table of many field f of model m: "<table>_<field>" (what
 * model_set_resolve sets as f->through). Allocated in s; NULL when out of
 * memory.
 */
const char *model_join_table(model_set *s, const kiln_model *m,
                             const kiln_field *f);

/**
 * Checks the TOML value v as the default of field f (its type, values,
 * bounds and length already set) and stores it: f->def as JSON text, or
 * the KILN_FF_DEFAULT_NOW / _RANDOM flag for "now", "today", "random".
 * Messages name file and v's line. Returns 0 or KILN_EINVAL (a line in
 * errs). Strings are allocated in s.
 */
int model_parse_default(model_set *s, const char *file, kiln_field *f,
                        const toml_value *v, kiln_buf *errs);

/** The field called name in m, or NULL. */
const kiln_field *model_field(const kiln_model *m, const char *name);

/**
 * Parses one field declaration - a shorthand string ("string:200",
 * "date?", "ref:project", "enum:open,doing,done", "decimal:8,2") or a
 * table of options - into *f, named name, declared at file:line:col.
 * For endpoint schemas (endpoint = true) the types object, list and file
 * are allowed and ref/many are not. Returns 0 or KILN_EINVAL (lines in
 * errs). Strings are allocated in s.
 */
int model_parse_field(model_set *s, const char *file, const char *name,
                      const toml_entry *e, bool endpoint, kiln_field *f,
                      kiln_buf *errs);

/**
 * Parses a table of field declarations (a model's [fields], or the fields
 * of an endpoint object) into m->fields/m->nfields; owner names it in
 * messages. A model (endpoint = false) gets its implicit primary key "id"
 * first and a column per field. Returns 0 or KILN_EINVAL (lines in errs).
 */
int model_parse_fields(model_set *s, const char *file, const char *owner,
                       const toml_value *table, bool endpoint, kiln_model *m,
                       kiln_buf *errs);

/** True when s[0..n) is a usable model or field name: lower-case letters,
    digits and '_', a letter first, at most MODEL_NAME_MAX bytes. */
bool model_name_ok(const char *s, size_t n);

/** The type's name as written in model files ("string", "datetime"). */
const char *model_type_name(int type);
/** The type named name, or -1. */
int model_type_from_name(const char *name, size_t n);

/** True when name is a word SQL (SQLite or PostgreSQL) reserves, so it
    cannot be a table or column name unquoted. */
bool model_sql_reserved(const char *name);
/** True when name is a C keyword (or a name C reserves). */
bool model_c_reserved(const char *name);

/**
 * The CamelCase C type name of a model or endpoint part: "blog_post" ->
 * "BlogPost". Writes into out (size n).
 */
void model_c_type(const char *name, char *out, size_t n);

/**
 * An SQL identifier for an index or constraint: base + suffix, cut to 63
 * bytes (PostgreSQL's limit) with a hash of the whole name when cut.
 * Returned string lives in s.
 */
const char *model_ident(model_set *s, const char *base, const char *suffix);

#endif
