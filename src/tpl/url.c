/*
 * tpl/url.c - the global functions of an app's templates: url('route.name',
 * param=value...), a route's path from its name, built by the set's url
 * option (the app's route names), with the build-time check of the calls
 * whose name is a string literal (kiln_tpl_check_urls); and
 * can('task.change'), whether the context's user holds a permission
 * (kiln/perm.h: Kiln's pages set user, with its permissions).
 */
#include "tpl/tpl.h"

#include <inttypes.h>
#include <stdio.h>

/* The most parameters one url() call takes. */
#define URL_MAX_PARAMS 16

int tpl_func_url(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                 size_t n, const kiln_str *kw, size_t nkw, kiln_value *out)
{
    size_t npos = n - nkw;
    if (npos != 1 || args[0].type != KILN_VALUE_STRING)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "url() takes a route name, then its parameters by "
                        "keyword: url('posts.id', id=3)");
    if (nkw > URL_MAX_PARAMS)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "url() takes at most %d parameters", URL_MAX_PARAMS);
    kiln_str name = args[0].u.s;
    kiln_str vals[URL_MAX_PARAMS];
    for (size_t i = 0; i < nkw; i++) {
        kiln_value v = args[1 + i];
        if (v.type == KILN_VALUE_STRING) {
            vals[i] = v.u.s;
        } else if (v.type == KILN_VALUE_INT) {
            char *p = kiln_arena_printf(r->a, "%" PRId64, v.u.i);
            if (!p)
                return tpl_nomem(r);
            vals[i] = (kiln_str){p, strlen(p)};
        } else {
            return tpl_fail(r, KILN_EINVAL, e->pos,
                            "url('%.*s'): parameter '%.*s' must be a string "
                            "or an integer, not '%s'",
                            (int)name.n, name.p, (int)kw[i].n, kw[i].p,
                            tpl_type_name(v));
        }
    }
    const kiln_tpl_options *o = &r->set->opt;
    if (!o->url)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "url('%.*s'): no route names here (url() works in "
                        "a project's templates)",
                        (int)name.n, name.p);
    char msg[200] = "";
    kiln_str path = {NULL, 0};
    int rc =
        o->url(o->url_ud, name, kw, vals, nkw, r->a, &path, msg, sizeof msg);
    if (rc == KILN_ENOMEM)
        return tpl_nomem(r);
    if (rc)
        return tpl_fail(r, KILN_EINVAL, e->pos, "url('%.*s'): %s", (int)name.n,
                        name.p, msg[0] ? msg : "cannot build it");
    *out = kiln_value_str(path);
    return 0;
}

int tpl_func_can(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                 size_t n, size_t nkw, kiln_value *out)
{
    if (n != 1 || nkw || args[0].type != KILN_VALUE_STRING)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "can() takes one permission: can('task.change')");
    kiln_value user, perms;
    *out = kiln_value_bool(false);
    if (!kiln_value_get(r->ctx, KILN_STR("user"), r->a, &user) ||
        !kiln_value_get(user, KILN_STR("permissions"), r->a, &perms))
        return 0; /* nobody: no permission */
    for (size_t i = 0; i < kiln_value_len(perms); i++) {
        kiln_value p = kiln_value_at(perms, i);
        if (p.type == KILN_VALUE_STRING && kiln_str_eq(p.u.s, args[0].u.s)) {
            *out = kiln_value_bool(true);
            break;
        }
    }
    return 0;
}

int kiln_tpl_check_urls(const kiln_tpl_set *set, const char *tname,
                        int (*check)(void *ud, const kiln_tpl_url_call *call,
                                     char *msg, size_t msglen),
                        void (*report)(void *ud, kiln_tpl_error *te), void *ud)
{
    const tpl_template *t =
        set && tname ? tpl_set_find(set, tname, strlen(tname)) : NULL;
    if (!t)
        return KILN_ENOTFOUND;
    int refused = 0;
    for (const tpl_url_ref *u = t->urls; u; u = u->next) {
        const tpl_expr *e = u->call;
        if (e->u.call.obj->u.name.func != TPL_FUNC_URL)
            continue; /* a vite_assets() call (kiln_tpl_check_assets) */
        const tpl_expr *arg = e->u.call.args[0];
        kiln_tpl_url_call call = {
            .name = arg->u.k.u.s,
            .kw = e->u.call.kw,
            .nkw = e->u.call.nkw,
            .npos = (size_t)e->n - e->u.call.nkw - 1,
        };
        char msg[256] = "";
        if (check(ud, &call, msg, sizeof msg) == 0)
            continue;
        refused++;
        kiln_tpl_error te;
        tpl_error_at(&te, KILN_EINVAL, t->name, t->src, arg->pos, "%s", msg);
        report(ud, &te);
    }
    return refused;
}
