/*
 * auth/schema.c - the built-in user's tables, as steps of Kiln's own schema
 * (db/builtin.c applies them before the app's migrations, so an app's
 * migration may add columns to kiln_user or refer to it). A new version is
 * a new step appended below, never an edit of one that shipped.
 *
 * kiln_user: one row per account. A local account has a username (unique
 * when set) and a password hash ("" for none: it cannot log in with a
 * password); an account made by an identity provider has (issuer, subject)
 * instead, unique together, and is never matched by email. A local
 * account's email is unique ignoring case, so that it can be a login.
 * kiln_user_role: the roles a user holds (names from [roles]).
 * kiln_token: personal API tokens; only the SHA-256 of a token is kept,
 * beside its visible prefix (the lookup key, unique).
 *
 * Times are the data layer's: timestamptz on PostgreSQL, the sortable text
 * form on SQLite.
 */
#include "db/migrate.h"

static const db_builtin_step steps[] = {
    {1,
     "users, their roles and API tokens: kiln_user, kiln_user_role, "
     "kiln_token",
     /* SQLite */
     "CREATE TABLE kiln_user (\n"
     "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "    username TEXT UNIQUE,\n"
     "    email TEXT NOT NULL DEFAULT '',\n"
     "    name TEXT NOT NULL DEFAULT '',\n"
     "    password TEXT NOT NULL DEFAULT '',\n"
     "    active INTEGER NOT NULL DEFAULT 1,\n"
     "    staff INTEGER NOT NULL DEFAULT 0,\n"
     "    superuser INTEGER NOT NULL DEFAULT 0,\n"
     "    issuer TEXT,\n"
     "    subject TEXT,\n"
     "    last_login TEXT,\n"
     "    created TEXT NOT NULL,\n"
     "    UNIQUE (issuer, subject)\n"
     ");\n"
     "CREATE UNIQUE INDEX kiln_user_local_email ON kiln_user (lower(email))\n"
     "    WHERE issuer IS NULL AND email <> '';\n"
     "CREATE TABLE kiln_user_role (\n"
     "    user_id INTEGER NOT NULL REFERENCES kiln_user (id) ON DELETE "
     "CASCADE,\n"
     "    role TEXT NOT NULL,\n"
     "    PRIMARY KEY (user_id, role)\n"
     ");\n"
     "CREATE TABLE kiln_token (\n"
     "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "    user_id INTEGER NOT NULL REFERENCES kiln_user (id) ON DELETE "
     "CASCADE,\n"
     "    name TEXT NOT NULL DEFAULT '',\n"
     "    prefix TEXT NOT NULL UNIQUE,\n"
     "    hash TEXT NOT NULL,\n"
     "    created TEXT NOT NULL,\n"
     "    expires TEXT,\n"
     "    last_used TEXT,\n"
     "    revoked TEXT\n"
     ");\n"
     "CREATE INDEX kiln_token_user ON kiln_token (user_id);\n",
     /* PostgreSQL */
     "CREATE TABLE kiln_user (\n"
     "    id bigserial PRIMARY KEY,\n"
     "    username text UNIQUE,\n"
     "    email text NOT NULL DEFAULT '',\n"
     "    name text NOT NULL DEFAULT '',\n"
     "    password text NOT NULL DEFAULT '',\n"
     "    active boolean NOT NULL DEFAULT true,\n"
     "    staff boolean NOT NULL DEFAULT false,\n"
     "    superuser boolean NOT NULL DEFAULT false,\n"
     "    issuer text,\n"
     "    subject text,\n"
     "    last_login timestamptz,\n"
     "    created timestamptz NOT NULL DEFAULT now(),\n"
     "    UNIQUE (issuer, subject)\n"
     ");\n"
     "CREATE UNIQUE INDEX kiln_user_local_email ON kiln_user (lower(email))\n"
     "    WHERE issuer IS NULL AND email <> '';\n"
     "CREATE TABLE kiln_user_role (\n"
     "    user_id bigint NOT NULL REFERENCES kiln_user (id) ON DELETE "
     "CASCADE,\n"
     "    role text NOT NULL,\n"
     "    PRIMARY KEY (user_id, role)\n"
     ");\n"
     "CREATE TABLE kiln_token (\n"
     "    id bigserial PRIMARY KEY,\n"
     "    user_id bigint NOT NULL REFERENCES kiln_user (id) ON DELETE "
     "CASCADE,\n"
     "    name text NOT NULL DEFAULT '',\n"
     "    prefix text NOT NULL UNIQUE,\n"
     "    hash text NOT NULL,\n"
     "    created timestamptz NOT NULL DEFAULT now(),\n"
     "    expires timestamptz,\n"
     "    last_used timestamptz,\n"
     "    revoked timestamptz\n"
     ");\n"
     "CREATE INDEX kiln_token_user ON kiln_token (user_id);\n"},
};

const db_builtin auth_schema = {"auth", steps, sizeof steps / sizeof steps[0]};
