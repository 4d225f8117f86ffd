/*
 * tpl/frontend.c - the global functions that join a bundled front end to
 * an app's templates (docs/frontend.md): vite_assets('src/main.tsx'), the
 * tags loading a Vite entry, and island('Counter', props), a React
 * component placed in the page with its props as JSON. The set's options
 * (kiln_tpl_options.assets and .island) do the work; Kiln's pages set them
 * (src/frontend/assets.c).
 */
#include "tpl/text.h"
#include "tpl/tpl.h"

#include <string.h>

int tpl_func_vite_assets(tpl_render *r, const tpl_expr *e,
                         const kiln_value *args, size_t n, size_t nkw,
                         kiln_value *out)
{
    if (n != 1 || nkw || args[0].type != KILN_VALUE_STRING)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "vite_assets() takes one entry, the source path "
                        "Vite builds from: vite_assets('src/main.tsx')");
    kiln_str entry = args[0].u.s;
    const kiln_tpl_options *o = &r->set->opt;
    if (!o->assets)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "vite_assets('%.*s'): no front end here "
                        "(vite_assets() works in a project's templates)",
                        (int)entry.n, entry.p);
    char msg[300] = "";
    kiln_str html = {NULL, 0};
    int rc = o->assets(o->frontend_ud, entry, r->a, &html, msg, sizeof msg);
    if (rc == KILN_ENOMEM)
        return tpl_nomem(r);
    if (rc)
        return tpl_fail(r, rc == KILN_ENOTFOUND ? KILN_EINVAL : rc, e->pos,
                        "vite_assets('%.*s'): %s", (int)entry.n, entry.p,
                        msg[0] ? msg : "cannot load it");
    *out = kiln_value_safe(html);
    return 0;
}

int tpl_func_island(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                    size_t n, const kiln_str *kw, size_t nkw, kiln_value *out)
{
    size_t npos = n - nkw;
    if (npos < 1 || npos > 2 || (npos == 2 && nkw) ||
        args[0].type != KILN_VALUE_STRING)
        goto usage;
    kiln_value props = npos == 2 ? args[1] : kiln_value_map(r->a);
    if (npos == 1 && props.type != KILN_VALUE_MAP)
        return tpl_nomem(r);
    /* island('Counter', start=3): the keyword arguments are the props */
    for (size_t i = 0; npos == 1 && i < nkw; i++)
        if (kiln_value_set_str(props, kw[i], args[1 + i]))
            return tpl_nomem(r);
    kiln_str name = args[0].u.s;
    const kiln_tpl_options *o = &r->set->opt;
    if (!o->island)
        return tpl_fail(r, KILN_EINVAL, e->pos,
                        "island('%.*s'): no front end here (island() works "
                        "in a project's templates)",
                        (int)name.n, name.p);
    /* the props as tojson writes them: ASCII only, < > & ' escaped */
    size_t mark = r->out->n;
    kiln_value json;
    int rc = tpl_sb_done(r, mark, tpl_write_json(r, e, props, 0), false, &json);
    if (rc)
        return rc;
    char msg[300] = "";
    kiln_str html = {NULL, 0};
    rc =
        o->island(o->frontend_ud, name, json.u.s, r->a, &html, msg, sizeof msg);
    if (rc == KILN_ENOMEM)
        return tpl_nomem(r);
    if (rc)
        return tpl_fail(r, KILN_EINVAL, e->pos, "island('%.*s'): %s",
                        (int)name.n, name.p, msg[0] ? msg : "cannot place it");
    *out = kiln_value_safe(html);
    return 0;
usage:
    return tpl_fail(r, KILN_EINVAL, e->pos,
                    "island() takes a component name, then its props as "
                    "one mapping or by keyword: island('Counter', "
                    "{'start': 3}) or island('Counter', start=3)");
}

int kiln_tpl_check_assets(const kiln_tpl_set *set, const char *tname,
                          int (*check)(void *ud, kiln_str entry, char *msg,
                                       size_t msglen),
                          void *ud, kiln_tpl_error *te)
{
    const tpl_template *t =
        set && tname ? tpl_set_find(set, tname, strlen(tname)) : NULL;
    if (!t)
        return KILN_ENOTFOUND;
    for (const tpl_url_ref *u = t->urls; u; u = u->next) {
        const tpl_expr *e = u->call;
        if (e->u.call.obj->u.name.func != TPL_FUNC_VITE_ASSETS)
            continue; /* a url() call (kiln_tpl_check_urls) */
        const tpl_expr *arg = e->u.call.args[0];
        kiln_str entry = arg->u.k.u.s;
        char msg[200] = "";
        if (check(ud, entry, msg, sizeof msg) == 0)
            continue;
        tpl_error_at(te, KILN_EINVAL, t->name, t->src, arg->pos,
                     "vite_assets('%.*s'): %s", (int)entry.n, entry.p, msg);
        return KILN_EINVAL;
    }
    return 0;
}
