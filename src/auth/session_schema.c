/*
 * auth/session_schema.c - the sessions' table, as steps of Kiln's own
 * schema (part "session"; db/builtin.c applies them before the app's
 * migrations). A new version is a new step appended below, never an edit
 * of one that shipped.
 *
 * kiln_session: one row per live session. id_hash is the hex SHA-256 of
 * the 32-byte id whose base64url is the cookie, so the table gives no live
 * cookie away. user_id is NULL for an anonymous session and a plain
 * integer otherwise (no foreign key: the users' table is another part's).
 * data is a JSON object of strings, csrf_secret the base64url of the
 * session's 32-byte CSRF secret. Times are milliseconds since the epoch
 * (integers on both backends: compared, never shown); expires_at is
 * min(created_at + session.max_age, last_seen + session.idle_timeout),
 * what the sweep deletes by.
 */
#include "db/migrate.h"

static const db_builtin_step steps[] = {
    {1, "sessions: kiln_session",
     /* SQLite */
     "CREATE TABLE kiln_session (\n"
     "    id_hash TEXT PRIMARY KEY,\n"
     "    user_id INTEGER,\n"
     "    data TEXT NOT NULL DEFAULT '{}',\n"
     "    csrf_secret TEXT NOT NULL,\n"
     "    created_at INTEGER NOT NULL,\n"
     "    last_seen INTEGER NOT NULL,\n"
     "    expires_at INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX kiln_session_user ON kiln_session (user_id)\n"
     "    WHERE user_id IS NOT NULL;\n"
     "CREATE INDEX kiln_session_expires ON kiln_session (expires_at);\n",
     /* PostgreSQL */
     "CREATE TABLE kiln_session (\n"
     "    id_hash text PRIMARY KEY,\n"
     "    user_id bigint,\n"
     "    data text NOT NULL DEFAULT '{}',\n"
     "    csrf_secret text NOT NULL,\n"
     "    created_at bigint NOT NULL,\n"
     "    last_seen bigint NOT NULL,\n"
     "    expires_at bigint NOT NULL\n"
     ");\n"
     "CREATE INDEX kiln_session_user ON kiln_session (user_id)\n"
     "    WHERE user_id IS NOT NULL;\n"
     "CREATE INDEX kiln_session_expires ON kiln_session (expires_at);\n"},
};

const db_builtin session_schema = {"session", steps,
                                   sizeof steps / sizeof steps[0]};
