/*
 * model/migration.h - migrations made from models: the operations of a
 * generated migration file (migrations/NNNN_name.toml), their replay into
 * the schema the migrations produce, the SQL of each for SQLite or
 * PostgreSQL (forward, or undoing it), and the diff between the models and
 * that schema which `kiln migrate --make` writes as the next file.
 *
 * A generated migration holds backend-neutral operations, each with every
 * field declaration written out in the model language (the TOML a model
 * file uses for a field), so that it replays without the models:
 *
 *   [[op]]
 *   add_field = "task.priority"
 *   field = { type = "integer", default = 0 }
 *
 * "The schema the migrations produce" is the replay of every operation of
 * every .toml migration, in number order, into a model_set (the state);
 * hand-written .sql migrations are opaque to it. The SQL of an operation is
 * made when it is applied, from the operation and the state before it, for
 * the database at hand (ddl.c); its inverse, to undo it, also comes from
 * that state.
 *
 *   model_set st;                      // the schema so far
 *   model_set_init(&st);
 *   mig_file f;
 *   mig_file_init(&f, "migrations/0002_x.toml");
 *   if (mig_parse(&st, &f, src, n, &errs) == 0 &&
 *       mig_sql(&st, &f, DDL_SQLITE, false, false, &sql, &rb,
 *               &errs) == 0)
 *       run(sql.p);                    // st is now the schema after 0002
 *   mig_file_free(&f);
 *   model_set_free(&st);
 *
 * Files: migration.c (the file format: parse, write), replay.c (the state,
 * inverses, the SQL of a whole file), ddl.c (SQL per backend), diff.c.
 *
 * Memory: everything an operation points to (names, fields, models,
 * indexes) lives in the arena of the model_set given to mig_parse or
 * mig_diff, or in the loaded models the diff compared; a mig_file owns only
 * its array of operations (mig_file_free).
 */
#ifndef KILN_MODEL_MIGRATION_H
#define KILN_MODEL_MIGRATION_H

#include "model/model.h"

/* ---- SQL per backend (ddl.c) --------------------------------------------- */

/** The databases Kiln writes SQL for. */
typedef enum ddl_backend { DDL_SQLITE, DDL_POSTGRES } ddl_backend;

/** "sqlite" or "postgres". */
const char *ddl_backend_name(ddl_backend be);

/** Appends the column type of f ("INTEGER", "varchar(200)"...). */
void ddl_type(const kiln_field *f, ddl_backend be, kiln_buf *b);

/**
 * Appends the SQL literal for the JSON value json (a default or a fill) of
 * field f as be stores it: booleans 0/1 on SQLite, datetimes as the data
 * layer's text ("2026-01-31 09:30:00.000000+00"), times with microseconds,
 * strings quoted with '' doubled. Returns 0, or KILN_EINVAL when json is
 * not a value of f's type.
 */
int ddl_literal(const kiln_field *f, const char *json, ddl_backend be,
                kiln_buf *b);

/**
 * Appends the CREATE TABLE statement of m's table (named as_table, or
 * m->table when NULL), its columns in field order (many fields have none),
 * then ";\n". Each column is NOT NULL unless optional, with its constant
 * default, and a ref's REFERENCES clause (named <table>_<column>_fkey on
 * PostgreSQL, for the table m->table).
 */
void ddl_create_table(const kiln_model *m, const char *as_table, ddl_backend be,
                      kiln_buf *b);

/** Appends "CREATE [UNIQUE] INDEX <ix->name> ON <table> (<columns>);\n". */
void ddl_create_index(const kiln_model *m, const kiln_index *ix, ddl_backend be,
                      kiln_buf *b);

/** Appends the statements that create the join table of many field f of
    model m (f->ref resolved), with its index on the target's side; names
    made for it are allocated in st. */
void ddl_create_join(model_set *st, const kiln_model *m, const kiln_field *f,
                     ddl_backend be, kiln_buf *b);

/* ---- operations ---------------------------------------------------------- */

/** What an operation does. */
typedef enum mig_kind {
    MIG_CREATE_MODEL, /**< a table with its columns and indexes */
    MIG_DROP_MODEL,   /**< a table (its old definition kept, to undo) */
    MIG_RENAME_MODEL, /**< a model's name, or table, or both */
    MIG_ADD_FIELD,    /**< a column, or a join table (many) */
    MIG_DROP_FIELD,   /**< a column or join table (old definition kept) */
    MIG_ALTER_FIELD,  /**< a column's type, NULL-ness, default, reference */
    MIG_RENAME_FIELD, /**< a column (or join table) keeps its data */
    MIG_ADD_INDEX,    /**< an index or unique constraint */
    MIG_DROP_INDEX,   /**< one (its definition kept) */
    MIG_RENAME_INDEX  /**< one */
} mig_kind;

/**
 * One operation. Names are those before the operation. Read-only once
 * built; every pointer lives in an arena (see the file comment).
 */
typedef struct mig_op {
    mig_kind kind;
    const char *model;       /**< the model it changes */
    const char *name;        /**< field (*_field) or index (*_index) */
    const char *to;          /**< rename_*: the new name (rename_model:
                                  NULL when only the table changes) */
    const char *table;       /**< create/drop_model: its table;
                                  rename_model: the new one, or NULL */
    const kiln_model *def;   /**< create/drop_model: fields (id first, no
                                  many fields) and indexes */
    const kiln_field *field; /**< add/drop_field; alter_field: the new one */
    const kiln_field *from;  /**< alter_field: the old declaration */
    const kiln_index *index; /**< add/drop_index */
    const char *fill;        /**< add/alter_field: the value, as JSON text,
                                  that existing rows get (for a new required
                                  column, for NULLs of a column made
                                  required, for enum values no longer
                                  allowed), or NULL */
    uint16_t fill_auto;      /**< or KILN_FF_DEFAULT_NOW (the migration's
                                  time) or _RANDOM (a UUID per row) */
    int line;                /**< where it starts in its file (0: made) */
} mig_op;

/** The operations of one migration file. */
typedef struct mig_file {
    const char *path; /**< "migrations/0002_x.toml", for messages (the
                           caller's string, not copied) */
    mig_op *ops;      /**< n operations in order (malloc'd: owned) */
    size_t n, cap;
} mig_file;

/** Initialises an empty file named path. */
void mig_file_init(mig_file *f, const char *path);
/** Frees f's array of operations. */
void mig_file_free(mig_file *f);
/** Appends a copy of op. 0 or KILN_ENOMEM. */
int mig_file_add(mig_file *f, const mig_op *op);

/* ---- the file format (migration.c) --------------------------------------- */

/**
 * Parses the text src[0..n) of migration file f->path into f's operations,
 * allocating fields, models and names in st's arena. Every mistake appends
 * "PATH:LINE:COL: message\n" to errs and parsing goes on to report more.
 * Operations are only read here; mig_replay checks that they fit the state.
 * Returns 0, KILN_EINVAL (lines in errs) or KILN_ENOMEM.
 */
int mig_parse(model_set *st, mig_file *f, const char *src, size_t n,
              kiln_buf *errs);

/**
 * Appends the text of migration f to out: a header comment (what wrote it,
 * what it does in plain words, one line per operation), then one [[op]]
 * table per operation, every field in the model language. made_by names the
 * writer ("kiln migrate --make"). Returns 0, KILN_EINVAL (a default that
 * cannot be written as TOML; a line in errs) or KILN_ENOMEM.
 */
int mig_write(const mig_file *f, const char *made_by, kiln_buf *out,
              kiln_buf *errs);

/** Appends op in plain words ("adds field task.priority"). */
void mig_describe(const mig_op *op, kiln_buf *b);

/**
 * Appends the declaration of f in the model language, as a TOML value:
 * the shorthand when it says everything ("string:200", "date?",
 * "ref:project") or an inline table. Only what the database sees is
 * written (type, NULL-ness, default, length, precision, values, target,
 * on_delete, auto); validation options (min, pattern, help...) are not.
 * Returns 0 or KILN_EINVAL (a default TOML cannot hold).
 */
int mig_put_field(const kiln_field *f, kiln_buf *b);

/* ---- the state: replaying operations (replay.c) -------------------------- */

/**
 * Applies op (of file path) to the state st: the models, their fields and
 * indexes as the migrations so far made them. Checks that op fits (the
 * model or field exists, a name is free, the old definition it records is
 * the one in st, references resolve), else appends "PATH:LINE: message\n"
 * to errs and returns KILN_EINVAL, leaving st unchanged. KILN_ENOMEM.
 */
int mig_replay(model_set *st, const mig_op *op, const char *path,
               kiln_buf *errs);

/** A table an SQLite migration rebuilds, as it was before the migration.
    Every string and array is malloc'd, owned by the mig_rebuilds. */
typedef struct mig_rebuild {
    char *table;    /**< its name then */
    char **columns; /**< the columns the state knows */
    size_t ncolumns;
    char **indexes; /**< the indexes the state knows */
    size_t nindexes;
} mig_rebuild;

/** The tables an SQLite migration rebuilds (the runner checks them for
    columns and keeps indexes and triggers it did not make). Zero-filled:
    none. */
typedef struct mig_rebuilds {
    mig_rebuild *v; /**< malloc'd: mig_rebuilds_free */
    size_t n, cap;
} mig_rebuilds;

/** Frees what r holds (it can be used again, empty). */
void mig_rebuilds_free(mig_rebuilds *r);

/**
 * The SQL of migration f for backend be, appended to sql (statements each
 * ending with ";\n"). Forward (reverse false): each operation's SQL from
 * the state before it, st then advanced past f. Reverse: the SQL that
 * undoes f, its operations' inverses in reverse order, st left as before
 * f. rb (may be NULL) gets the tables an SQLite migration rebuilds.
 *
 * Returns 0; KILN_EINVAL when an operation does not fit st (a line in
 * errs); KILN_ESTATE (reverse) when f cannot be undone, with a line in
 * errs saying which operation and why (a dropped required column without
 * a default cannot be restored) - or, when accept_loss is false, when
 * undoing it would cut data (a longer max_length made shorter again); or
 * KILN_ENOMEM. On an error st may be part way through f: start again from
 * a fresh replay.
 */
int mig_sql(model_set *st, const mig_file *f, ddl_backend be, bool reverse,
            bool accept_loss, kiln_buf *sql, mig_rebuilds *rb, kiln_buf *errs);

/**
 * The state's models as they were at one moment, by address: replay
 * changes a model's name and table in place and gives it new arrays of
 * fields and indexes (never writing into the old ones), so a copy of each
 * kiln_model is a faithful picture of it then.
 */
typedef struct mig_snap {
    const kiln_model **ids; /**< the models' addresses (st's arena) */
    kiln_model *models;     /**< each as it was (st's arena) */
    size_t n;
} mig_snap;

/** Takes the snapshot of st into *out. 0 or KILN_ENOMEM. */
int mig_snapshot(model_set *st, mig_snap *out);
/** The picture of the model at address id in s, or NULL (not there then). */
const kiln_model *mig_snap_find(const mig_snap *s, const kiln_model *id);
/** The picture of the model called name in s, or NULL; *id gets its
    address. */
const kiln_model *mig_snap_named(const mig_snap *s, const char *name,
                                 const kiln_model **id);

/**
 * Appends the SQL of op for be. op has just been replayed into st (the
 * state after it); before is the snapshot from just before, start the one
 * from the start of its migration. When rb is not NULL, each table an
 * SQLite rebuild replaces and that existed at the start is added to it.
 * Returns 0, KILN_EINVAL (a value that is not of its field's type),
 * KILN_ESTATE (op would touch a column of Kiln's on a built-in model's
 * table) or KILN_ENOMEM. An SQLite rebuild of a built-in model's table
 * keeps Kiln's columns and constraints (model_builtin_sqlite).
 */
int ddl_op(model_set *st, const mig_op *op, const mig_snap *before,
           const mig_snap *start, ddl_backend be, kiln_buf *sql,
           mig_rebuilds *rb);

/* ---- the diff (diff.c) --------------------------------------------------- */

/** What --make was told. */
typedef struct mig_diff_opts {
    bool accept_loss;           /**< drops and narrowing are confirmed */
    const char *const *renames; /**< "task.old=new" (a field) or
                                     "old=new" (a model) */
    size_t nrenames;
    const char *const *defaults; /**< "task.field=VALUE": the value
                                      existing rows get */
    size_t ndefaults;
} mig_diff_opts;

/**
 * Compares the models (loaded from models/) with the state st (the replay
 * of the migrations) and appends to out the operations that take st to the
 * models, in an order that applies: renames, index drops, field changes,
 * new models (those they refer to first), join tables, new indexes, model
 * drops. Only what the database sees counts (see mig_put_field).
 *
 * A change that loses data - a dropped model or field, a narrowed type (a
 * shorter max_length, text to string, float to integer, fewer decimal
 * digits, enum values taken away) - is refused unless o->accept_loss: one
 * line each in errs naming it (a drop beside an add of the same type
 * suggests the renamed_from hint). A change that needs a value for
 * existing rows (a new required field without a default, a field made
 * required, enum values taken away from a required field) is refused
 * unless the model gives a default or o->defaults one. Accepted losses are
 * listed in notes. Renames come from renamed_from hints and o->renames.
 *
 * Returns 0 (out may have no operation: nothing differs), KILN_EINVAL
 * (lines in errs; out is then incomplete) or KILN_ENOMEM. Operations point
 * into st's arena and into models.
 */
int mig_diff(model_set *st, const model_set *models, const mig_diff_opts *o,
             mig_file *out, kiln_buf *notes, kiln_buf *errs);

/* (mig_field_same and mig_field_change live in ddl.c, beside the
   conversions they agree with.) */

/**
 * True when a and b are the same column to the database: type, NULL-ness,
 * default, length (string, email, url), precision and scale, enum values,
 * target and on_delete, auto and now/random defaults.
 */
bool mig_field_same(const kiln_field *a, const kiln_field *b);

/** How a column's values survive a change from a to b. */
typedef enum mig_change {
    MIG_KEEPS,     /**< every value is kept */
    MIG_NARROWS,   /**< some values are cut or replaced */
    MIG_IMPOSSIBLE /**< no conversion (a date into a bool) */
} mig_change;

/** Classifies the change of a column from a to b (same name). */
mig_change mig_field_change(const kiln_field *a, const kiln_field *b);

#endif
