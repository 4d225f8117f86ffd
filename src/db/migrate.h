/*
 * db/migrate.h - the migrations folder as the runner (db/migrate.c) and the
 * `kiln migrate` command (cli/migrate.c) see it: one numbered sequence of
 * hand-written NNNN_name.sql files and generated NNNN_name.toml files
 * (model/migration.h), read, checksummed, and replayed into the schema the
 * generated ones produce.
 *
 * A .sql file may end with an undo section: the lines after a line that is
 * exactly "-- kiln:down" undo what the lines before it do. Applying runs
 * the part before; `kiln migrate --to N` runs the part after.
 */
#ifndef KILN_DB_MIGRATE_H
#define KILN_DB_MIGRATE_H

#include "db/db_impl.h"
#include "model/migration.h"

/** One migration file. Strings are malloc'd, owned by the list. */
typedef struct db_mig {
    long long num;
    char *file;    /**< "0001_init.sql" */
    char *path;    /**< "DIR/0001_init.sql" (for messages) */
    char *text;    /**< contents, NUL-terminated */
    size_t len;    /**< of text */
    size_t down;   /**< .sql: offset of the undo section's first byte, or
                        len when there is none */
    bool has_down; /**< .sql: a "-- kiln:down" line was found */
    bool toml;     /**< a generated migration */
    char sum[65];  /**< SHA-256 of text, hex */
    bool applied;  /**< recorded in kiln_migrations (after load) */
    char applied_at[40];
} db_mig;

/** The migrations of a folder, in number order. */
typedef struct db_migs {
    db_mig *v;
    size_t n, cap;
} db_migs;

/**
 * Lists and reads dir's migrations (NNNN_name.sql and NNNN_name.toml: four
 * or more digits, '_', then letters, digits, '_' or '-'). Other files are
 * skipped unless they look like a migration with a wrong name (an error).
 * Returns 0, or a negative code with a one-line message in err: no folder
 * (KILN_ENOTFOUND), a bad name or two files with one number (KILN_EINVAL),
 * a file that cannot be read (KILN_EIO), KILN_ENOMEM.
 */
int db_migs_scan(const char *dir, db_migs *m, char *err, size_t errlen);
/** Frees the list's files and strings. */
void db_migs_free(db_migs *m);

/** The number in a migration file name "NNNN_name.sql|toml", or -1. */
long long db_mig_number(const char *file);

/**
 * Replays into st every generated migration of m numbered below upto (all
 * of them: LLONG_MAX), the schema they produce. Mistakes in a file, or an
 * operation that does not fit, append "PATH:LINE[:COL]: message" lines to
 * errs. Returns 0, KILN_EINVAL or KILN_ENOMEM.
 */
int db_migs_replay(const db_migs *m, long long upto, model_set *st,
                   kiln_buf *errs);

/**
 * The SQL of migration m->v[i] for be, appended to out: forward (what
 * applying runs), or reverse (what --to runs to undo it). For a .sql file,
 * its part before or after "-- kiln:down". Returns 0, or a negative code
 * with lines in errs: KILN_ESTATE when it cannot be undone (the reason),
 * KILN_EINVAL for a file that does not parse or fit, KILN_ENOMEM.
 */
int db_mig_sql(const db_migs *m, size_t i, ddl_backend be, bool reverse,
               bool accept_loss, kiln_buf *out, kiln_buf *errs);

/* ---- Kiln's own tables (db/builtin.c) ------------------------------------ */

/** One step of a part of Kiln's own schema: its SQL for each backend
    (several ;-separated statements, run as a script). */
typedef struct db_builtin_step {
    int version;      /**< 1, 2, ...: the part's version after the step */
    const char *what; /**< one line for kiln migrate's report */
    const char *sqlite, *postgres;
} db_builtin_step;

/** A part of Kiln that keeps tables in the app's database. */
typedef struct db_builtin {
    const char *part; /**< its row in kiln_schema: "tasks" */
    const db_builtin_step *steps;
    size_t n; /**< steps, in version order; the last is current */
} db_builtin;

/** The task queue's tables (tasks/schema.c). */
extern const db_builtin tasks_schema;
/** Users, their roles and API tokens (auth/schema.c). */
extern const db_builtin auth_schema;
/** The sessions' table (auth/session_schema.c). */
extern const db_builtin session_schema;
/** The audit log's table (audit/schema.c). */
extern const db_builtin audit_schema;

/** The PostgreSQL advisory lock that serialises migration runs. */
#define DB_MIGRATE_LOCK "4812375101"

/**
 * Brings Kiln's own tables up to date (APPLY) or lists and counts the
 * steps missing (STATUS, CHECK), creating kiln_schema if needed; the
 * caller holds the migration lock. See kiln_db_migrate_kiln. Returns the
 * count or a negative error with a message in err.
 */
int db_builtin_run(kiln_dbc *db, kiln_migrate_mode mode, FILE *out, char *err,
                   size_t errlen);

/**
 * The version of part recorded in db's kiln_schema into *version (0 when
 * the table or the row is missing). Works on any connection, in a request
 * too. Returns 0 or a negative error (db's message says why).
 */
int db_builtin_version(kiln_dbc *db, const char *part, int *version);

#endif
