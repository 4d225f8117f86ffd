/*
 * config/settings_roles.c - [roles] in kiln.toml: each role and the
 * permissions it grants (docs/auth.md, "Roles").
 *
 *   [roles]
 *   viewer = ["*.view"]
 *   editor = ["task.view", "task.add", "task.change", "project.view"]
 *   admin = ["*"]
 *
 * A permission is MODEL.ACTION: ACTION one of view, add, change, delete
 * (Django's names) or '*' (all four); MODEL a model's name or '*' (every
 * model); '*' alone is every permission. Only the form is checked here:
 * whether the model exists is known to the app, which checks it when it
 * starts (auth/perm.c), naming the place kept in each kiln_role.
 */
#include <kiln/config.h>

#include "config/settings.h"
#include "config/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *file, int line, int col, char *err, size_t errlen,
                const char *fmt, ...) KILN_PRINTF(6, 7);

static int fail(const char *file, int line, int col, char *err, size_t errlen,
                const char *fmt, ...)
{
    if (err && errlen) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(err, errlen, "%s:%d:%d: %s", file, line, col, msg);
        for (char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return KILN_EINVAL;
}

/* A role's name: what a user's roles (and an OIDC claim mapped to them)
   hold. Letters, digits, '_', '-', '.', ':'. */
static bool role_name_ok(kiln_str s)
{
    if (s.n == 0 || s.n > 100 || strlen(s.p) != s.n)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' ||
              ch == ':'))
            return false;
    }
    return true;
}

bool settings_perm_form_ok(const char *p, size_t n, const char **why)
{
    static const char *const actions[] = {"view", "add", "change", "delete",
                                          "*"};
    if (n == 1 && p[0] == '*')
        return true;
    const char *dot = memchr(p, '.', n);
    if (!dot || strlen(p) != n) {
        *why = "is not MODEL.ACTION (\"task.view\", \"task.*\", \"*.view\" "
               "or \"*\")";
        return false;
    }
    size_t mn = (size_t)(dot - p);
    bool model_ok = mn > 0 && mn <= 100;
    if (!(mn == 1 && p[0] == '*'))
        for (size_t i = 0; i < mn && model_ok; i++)
            model_ok = (p[i] >= 'a' && p[i] <= 'z') ||
                       (p[i] >= '0' && p[i] <= '9') || p[i] == '_';
    if (!model_ok) {
        *why = "names no model (a model's name: lower-case letters, digits "
               "and '_', or '*')";
        return false;
    }
    const char *act = dot + 1;
    size_t an = n - mn - 1;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strlen(actions[i]) == an && memcmp(actions[i], act, an) == 0)
            return true;
    *why = "has an unknown action (view, add, change, delete or '*')";
    return false;
}

int settings_roles_read(kiln_arena *a, const char *file, const toml_value *v,
                        kiln_role **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (v->type != TOML_TABLE)
        return fail(file, v->line, v->column, err, errlen,
                    "[roles] must be a table of ROLE = [\"model.action\", "
                    "...] entries, not %s",
                    toml_type_name(v->type));
    kiln_role *list =
        kiln_arena_calloc(a, (v->u.table.n ? v->u.table.n : 1) * sizeof *list);
    if (!list)
        return KILN_ENOMEM;
    for (size_t i = 0; i < v->u.table.n; i++) {
        const toml_entry *e = &v->u.table.items[i];
        const toml_value *x = e->value;
        kiln_role *r = &list[i];
        if (!role_name_ok(e->key))
            return fail(file, e->line, e->column, err, errlen,
                        "roles: '%.100s' is not a role name (letters, "
                        "digits, '_', '-', '.', ':')",
                        e->key.p);
        if (x->type != TOML_ARRAY)
            return fail(file, x->line, x->column, err, errlen,
                        "roles.%s must be a list of permissions "
                        "([\"task.view\", \"task.change\"]), not %s",
                        e->key.p, toml_type_name(x->type));
        size_t np = x->u.array.n;
        const char **perms = kiln_arena_calloc(a, (np + 1) * sizeof *perms);
        int *lines = kiln_arena_calloc(a, (np + 1) * sizeof *lines);
        int *cols = kiln_arena_calloc(a, (np + 1) * sizeof *cols);
        r->name = kiln_arena_strndup(a, e->key.p, e->key.n);
        if (!perms || !lines || !cols || !r->name)
            return KILN_ENOMEM;
        for (size_t k = 0; k < np; k++) {
            const toml_value *it = x->u.array.items[k];
            const char *why = NULL;
            if (it->type != TOML_STRING)
                return fail(file, it->line, it->column, err, errlen,
                            "roles.%s: write each permission as a string "
                            "(\"task.view\"), not %s",
                            r->name, toml_type_name(it->type));
            if (!settings_perm_form_ok(it->u.string.p, it->u.string.n, &why))
                return fail(file, it->line, it->column, err, errlen,
                            "roles.%s: '%.100s' %s", r->name, it->u.string.p,
                            why);
            perms[k] = kiln_arena_strndup(a, it->u.string.p, it->u.string.n);
            if (!perms[k])
                return KILN_ENOMEM;
            lines[k] = it->line;
            cols[k] = it->column;
        }
        r->perms = perms;
        r->nperms = np;
        r->lines = lines;
        r->cols = cols;
        r->file = file;
        r->line = e->line;
        r->col = e->column;
        if (!(r->file = kiln_arena_strndup(a, file, strlen(file))))
            return KILN_ENOMEM;
    }
    *out = list;
    *n = v->u.table.n;
    return 0;
}
