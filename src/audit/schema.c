/*
 * audit/schema.c - the audit log's table, a part of Kiln's own schema
 * ("audit"; db/builtin.c applies it before the app's migrations, in every
 * app's database, so that the admin and an audited API can always write
 * to it). A new version is a new step appended below, never an edit of
 * one that shipped.
 *
 * kiln_audit: one row per add, change or delete (kiln/audit.h). The user
 * is kept as an id and a label, not a foreign key: the history of a row
 * outlives the account that wrote it. changes is the diff as JSON text
 * (text on both backends: jsonb would reorder its keys). The two indexes
 * serve an object's history (model, object_id, newest first) and the
 * recent actions and the retention's purge (at).
 *
 * Times are the data layer's: timestamptz on PostgreSQL, the sortable text
 * form on SQLite.
 */
#include "audit/audit_impl.h"

static const db_builtin_step steps[] = {
    {1, "the audit log: kiln_audit",
     /* SQLite */
     "CREATE TABLE kiln_audit (\n"
     "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "    at TEXT NOT NULL,\n"
     "    user_id INTEGER,\n"
     "    user_label TEXT,\n"
     "    model TEXT NOT NULL,\n"
     "    object_id INTEGER NOT NULL,\n"
     "    object_label TEXT NOT NULL DEFAULT '',\n"
     "    action TEXT NOT NULL CHECK (action IN ('add', 'change', "
     "'delete')),\n"
     "    via TEXT NOT NULL DEFAULT '',\n"
     "    changes TEXT NOT NULL DEFAULT '{}'\n"
     ");\n"
     "CREATE INDEX kiln_audit_object ON kiln_audit (model, object_id, at);\n"
     "CREATE INDEX kiln_audit_at ON kiln_audit (at);\n",
     /* PostgreSQL */
     "CREATE TABLE kiln_audit (\n"
     "    id bigserial PRIMARY KEY,\n"
     "    at timestamptz NOT NULL,\n"
     "    user_id bigint,\n"
     "    user_label text,\n"
     "    model text NOT NULL,\n"
     "    object_id bigint NOT NULL,\n"
     "    object_label text NOT NULL DEFAULT '',\n"
     "    action text NOT NULL CHECK (action IN ('add', 'change', "
     "'delete')),\n"
     "    via text NOT NULL DEFAULT '',\n"
     "    changes text NOT NULL DEFAULT '{}'\n"
     ");\n"
     "CREATE INDEX kiln_audit_object ON kiln_audit (model, object_id, at);\n"
     "CREATE INDEX kiln_audit_at ON kiln_audit (at);\n"},
};

const db_builtin audit_schema = {"audit", steps,
                                 sizeof steps / sizeof steps[0]};
