/*
 * audit/audit_impl.h - what the files of the audit log share:
 *
 *   audit.c    the diff, the labels, recording, listing and purging
 *              entries (kiln/audit.h)
 *   schema.c   the kiln_audit table, a part of Kiln's own schema
 *
 * Prefix: audit_ (internal), kiln_audit_ (public).
 */
#ifndef KILN_AUDIT_IMPL_H
#define KILN_AUDIT_IMPL_H

#include <kiln/audit.h>

#include "db/migrate.h"

/** The longest object or user label stored, in bytes. */
#define AUDIT_LABEL_MAX 200

#endif
