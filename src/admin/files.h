/*
 * admin/files.h - the admin's files compiled in: share/admin/templates and
 * share/admin/static, written into admin_files_*.c at build time by
 * scripts/embed_files.py (src/admin/meson.build).
 */
#ifndef KILN_ADMIN_FILES_H
#define KILN_ADMIN_FILES_H

#include <stddef.h>

/** One compiled-in file. */
typedef struct admin_file {
    const char *name;          /**< its name in its folder ("base.html") */
    const unsigned char *data; /**< its bytes (NUL after the last) */
    size_t len;
} admin_file;

extern const admin_file admin_templates[];
extern const size_t admin_ntemplates;
extern const admin_file admin_statics[];
extern const size_t admin_nstatics;

#endif
