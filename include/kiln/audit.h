/*
 * kiln/audit.h - the audit log: who added, changed or deleted which row of
 * which model, when, through what, and the field-level diff (docs/audit.md).
 *
 *   // in a write's transaction, after the UPDATE
 *   rc = kiln_audit_record(db, kiln_user_current(c), &task_model, id,
 *                          KILN_AUDIT_CHANGE, &before, &after, "admin");
 *
 * Entries live in the table kiln_audit, a part of Kiln's own schema
 * ("audit", applied by kiln migrate before the app's migrations) in every
 * app's database. An entry is written with the caller's connection, so it
 * belongs to the caller's transaction: it exists only if the write commits.
 * The admin records every add, change and delete it makes; the generated
 * CRUD API records its writes for a model whose file says
 * `[api] audit = true` (via "api").
 *
 * The diff (the entry's changes_json) is a JSON object keyed by field name,
 * computed by walking the model's description:
 *
 *   add     {"title":"Write docs","done":false,...}   every field's value
 *   change  {"title":["Write docs","Write the docs"]} changed fields only,
 *                                                     each [old, new]
 *   delete  {"title":"Write the docs",...}           the last values
 *
 * Values are written as the model's JSON encoder writes them (NULL as null,
 * enums by name, dates as text, refs as ids, many-to-many as arrays of
 * ids). Secrets are never stored: a write-only field, or a field whose name
 * says it holds a secret (it contains "password", "passwd", "secret",
 * "token", "api_key", "apikey" or "private_key"), is written as the marker
 * {"redacted":true} instead of its value (add, delete: when it is not
 * NULL; change: when it changed, in place of the pair).
 */
#ifndef KILN_AUDIT_H
#define KILN_AUDIT_H

#include "auth.h"
#include "db.h"
#include "schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a write did to its row. */
typedef enum kiln_audit_action {
    KILN_AUDIT_ADD,
    KILN_AUDIT_CHANGE,
    KILN_AUDIT_DELETE
} kiln_audit_action;

/** The marker written in place of a secret field's value. */
#define KILN_AUDIT_REDACTED "{\"redacted\":true}"

/**
 * Records one entry with db, in the caller's transaction (it exists only
 * if the write commits; outside a transaction it is a statement of its
 * own). before: the row before (NULL for ADD); after: the row after (NULL
 * for DELETE); rows are m's structs. The diff is computed from m's
 * description (see above); a CHANGE that changed nothing is recorded with
 * an empty diff ({}). The object's label is kiln_audit_object_label of the
 * row after (before, for DELETE); the user's id and label are who's (who
 * may be NULL: a script, an anonymous API call). via: "admin", "api" or
 * what the app says (NULL: ""). Nothing is kept once it returns.
 *
 * Returns 0; KILN_EINVAL for a NULL db or m, an m without a table, or a
 * row missing for act; KILN_ENOMEM; or the failed INSERT's KILN_DB_* error
 * (kiln_db_errmsg says why; the caller rolls back).
 */
int kiln_audit_record(kiln_dbc *db, const kiln_user *who, const kiln_model *m,
                      int64_t id, kiln_audit_action act, const void *before,
                      const void *after, const char *via);

/** One entry of the log, as kiln_audit_list reads it. */
typedef struct kiln_audit_entry {
    int64_t id;
    int64_t at_us;          /**< when: UTC microseconds since the epoch */
    int64_t user_id;        /**< 0 when no user */
    const char *user_label; /**< NULL when no user */
    const char *model;      /**< the model's name ("task") */
    int64_t object_id;
    const char *object_label;
    kiln_audit_action action;
    const char *via;          /**< "admin", "api"... ("" when none) */
    const char *changes_json; /**< the diff as JSON text (see above) */
} kiln_audit_entry;

/**
 * The entries of one object (m and id), newest first; or of every object
 * (m == NULL, id ignored) for the dashboard's recent actions. At most
 * limit entries (limit <= 0: 50). *out is an array in the connection's
 * arena (kiln_dbc_arena: the request's in a handler), as are its strings.
 *
 * Returns the number of entries (*out may be NULL when 0) or a negative
 * KILN_DB_* error (kiln_db_errmsg says why); KILN_ENOMEM.
 */
long kiln_audit_list(kiln_dbc *db, const kiln_model *m, int64_t id, long limit,
                     kiln_audit_entry **out);

/* ---- the parts, for callers that show or test them -------------------- */

/** "add", "change" or "delete" (static; "?" for another value). */
const char *kiln_audit_action_name(kiln_audit_action act);

/**
 * Appends the diff of a write of act on m to out, as kiln_audit_record
 * stores it (see above). before is ignored for ADD, after for DELETE; the
 * one(s) act needs must not be NULL. Returns 0, KILN_EINVAL (a NULL row
 * act needs) or KILN_ENOMEM; on an error out may hold a partial diff.
 */
int kiln_audit_diff(const kiln_model *m, kiln_audit_action act,
                    const void *before, const void *after, kiln_buf *out);

/**
 * Appends the label of row obj (id id) of m to out: the value of its
 * field "name", "title" or "label" (the first of them it has, a string
 * field that is not a secret), else of its first such string field; when
 * there is none or it is NULL or empty, "<model label> #<id>" ("task
 * #12"). At most 200 bytes, cut on a character boundary. obj may be NULL
 * (the "#id" form). Returns 0 or KILN_ENOMEM.
 */
int kiln_audit_object_label(const kiln_model *m, int64_t id, const void *obj,
                            kiln_buf *out);

/** True when field f's values are never stored (write-only, or a name
    that says it is a secret; see above). */
bool kiln_audit_is_secret(const kiln_field *f);

/**
 * Deletes the entries older than before_us (UTC microseconds since the
 * epoch): the retention of the audit.keep_days setting, which the server
 * applies at start and then daily. Returns the number deleted or a
 * negative KILN_DB_* error.
 */
int64_t kiln_audit_purge(kiln_dbc *db, int64_t before_us);

#ifdef __cplusplus
}
#endif
#endif
