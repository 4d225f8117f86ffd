/*
 * admin/admin.h - mounting the admin (admin/mount.c), for the project
 * runtime (app/project.c).
 */
#ifndef KILN_ADMIN_ADMIN_H
#define KILN_ADMIN_ADMIN_H

#include <kiln.h>

/**
 * Routes the admin on app at admin.path when admin.enabled (settings s):
 * every page, the JSON endpoints and /admin/static/, for the models of
 * project p (its templates/admin/NAME.html override the built-in ones;
 * root is the project folder, read for them when p has no compiled-in
 * templates). Call once before serving. Returns 0, or an error with a
 * message in err (a bad admin.path, an override that does not compile).
 */
int admin_mount(kiln_app *app, const kiln_project *p, const kiln_settings *s,
                const char *root, char *err, size_t errlen);

/** Frees what admin_mount made (the app stopped). */
void admin_unmount(void);

#endif
