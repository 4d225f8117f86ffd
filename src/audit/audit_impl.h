/*
 * audit/audit_impl.h - what the files of the audit log share:
 *
 *   audit.c    the diff, the labels, recording, listing and purging
 *              entries (kiln/audit.h)
 *   schema.c   the kiln_audit table, a part of Kiln's own schema
 *   retention.c  audit.keep_days: old entries deleted at start, then daily
 *
 * Prefix: audit_ (internal), kiln_audit_ (public).
 */
#ifndef KILN_AUDIT_IMPL_H
#define KILN_AUDIT_IMPL_H

#include <kiln/audit.h>
#include <kiln/config.h>

#include "db/migrate.h"

/** The longest object or user label stored, in bytes. */
#define AUDIT_LABEL_MAX 200

/**
 * Deletes the entries of the database at url (a kiln_dbc_open URL) older
 * than keep_days days, on a connection of its own; logs what it did or
 * why it could not (a database without the audit table is left alone).
 * Returns the number deleted or a negative error.
 */
int64_t audit_purge_now(const char *url, int64_t keep_days);

/**
 * Starts the retention thread when s's audit.keep_days is above 0: it
 * purges the database of s's database.url (a relative SQLite path taken
 * from the project folder root) at once and then every 24 hours until
 * audit_retention_stop. Nothing when the setting is 0 or it runs already.
 * Returns 0, or a negative error with a message in err.
 */
int audit_retention_start(const kiln_settings *s, const char *root, char *err,
                          size_t errlen);

/** Stops the retention thread (waits for a purge under way); nothing when
    none runs. */
void audit_retention_stop(void);

#endif
