/*
 * admin/mount.c - the admin under admin.path (docs/admin.md): its routes,
 * the staff gate every route passes first, the per-model permissions of
 * kiln/perm.h (MODEL.view, .add, .change, .delete: the API's), the
 * template set (share/admin/templates compiled in, each overridable by
 * the app's templates/admin/NAME.html) and the static files under
 * /admin/static/.
 *
 * admin_mount runs once before serving; the tables it sets are read-only
 * afterwards, so every worker reads them without a lock.
 */
#include "admin/admin.h"
#include "admin/admin_impl.h"
#include "admin/files.h"
#include "auth/perm.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_root[128];            /* "/admin" */
static const kiln_model **g_models; /* NULL-terminated; malloc'd */
static kiln_tpl_set *g_set;         /* the admin's templates */
static char g_static_v[17];         /* the static files' version */
static bool g_htmx;                 /* htmx.min.js is compiled in */
static int64_t g_threshold = 10000; /* admin.count_threshold */
static const char html_type[] = "text/html; charset=utf-8";

const char *admin_root(void)
{
    return g_root;
}

int64_t admin_threshold(void)
{
    return g_threshold;
}

const kiln_model *const *admin_models(void)
{
    return (const kiln_model *const *)g_models;
}

const kiln_model *admin_model_named(kiln_str name)
{
    for (size_t i = 0; g_models && g_models[i]; i++)
        if (kiln_str_eq(kiln_str_c(g_models[i]->name), name))
            return g_models[i];
    return NULL;
}

bool admin_can(kiln_ctx *c, const kiln_model *m, admin_perm p)
{
    static const char *const acts[] = {"view", "add", "change", "delete"};
    char perm[96];
    snprintf(perm, sizeof perm, "%s.%s", m->name, acts[p]);
    return kiln_can(c, perm);
}

kiln_value admin_vprintf(kiln_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = kiln_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    kiln_value v = kiln_value_null();
    if (rc == 0)
        v = kiln_value_str_copy(kiln_ctx_arena(c),
                                (kiln_str){b.p ? b.p : "", b.n});
    kiln_buf_deinit(&b);
    return v;
}

/* Appends s percent-encoded as a query value. */
static void put_qvalue(kiln_buf *b, kiln_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || strchr("-_.~/", ch))
            kiln_buf_putc(b, (char)ch);
        else
            kiln_buf_printf(b, "%%%02X", ch);
    }
}

int admin_gate(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u || !u->active) {
        /* the admin has no login of its own: Kiln's, coming back here
           after (a POST's page is shown again by a GET of its path) */
        kiln_str m = kiln_method(c);
        bool get =
            kiln_str_eq(m, KILN_STR("GET")) || kiln_str_eq(m, KILN_STR("HEAD"));
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_buf_puts(&b, "/login?next=");
        put_qvalue(&b, get ? kiln_target(c) : kiln_path(c));
        char *to = kiln_arena_strndup(kiln_ctx_arena(c), b.p ? b.p : "", b.n);
        kiln_buf_deinit(&b);
        if (kiln_is_htmx(c)) {
            kiln_set_header(c, "HX-Redirect", to ? to : "/login");
            return kiln_problem(c, 401, "Log in to use the admin.") < 0 ? -1
                                                                        : 1;
        }
        return kiln_redirect(c, 303, to ? to : "/login") < 0 ? -1 : 1;
    }
    if (!u->staff)
        return admin_denied(c, "Only staff users may use the admin.") < 0 ? -1
                                                                          : 1;
    return 0;
}

const kiln_model *admin_route_model(kiln_ctx *c, admin_perm p)
{
    const kiln_model *m = admin_model_named(kiln_param(c, "model"));
    if (!m || !admin_can(c, m, ADMIN_VIEW)) {
        /* a model the user may not view is one it does not know of */
        kiln_problem(c, 404, "No such model in the admin.");
        return NULL;
    }
    if (!admin_can(c, m, p)) {
        static const char *const acts[] = {"view", "add", "change", "delete"};
        char msg[160];
        snprintf(msg, sizeof msg, "You may not %s %s.", acts[p],
                 m->label_plural);
        admin_denied(c, msg);
        return NULL;
    }
    return m;
}

int64_t admin_route_id(kiln_ctx *c)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id) || id <= 0) {
        kiln_problem(c, 404, "No such object.");
        return 0;
    }
    return id;
}

/* The models the user may view, grouped: [{group, models: [...]}]. */
static kiln_value nav_value(kiln_ctx *c)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value groups = kiln_value_list(a);
    for (size_t i = 0; g_models && g_models[i]; i++) {
        const kiln_model *m = g_models[i];
        if (!admin_can(c, m, ADMIN_VIEW))
            continue;
        const char *gname =
            m->admin && m->admin->group ? m->admin->group : "Models";
        kiln_value grp = kiln_value_null();
        for (size_t k = 0; k < kiln_value_len(groups); k++) {
            kiln_value g = kiln_value_at(groups, k), name;
            if (kiln_value_get(g, KILN_STR("group"), a, &name) &&
                kiln_str_eq(name.u.s, kiln_str_c(gname)))
                grp = g;
        }
        if (grp.type == KILN_VALUE_NULL) {
            grp = kiln_value_map(a);
            kiln_value_set(grp, "group", kiln_value_cstr(gname));
            kiln_value_set(grp, "models", kiln_value_list(a));
            kiln_value_push(groups, grp);
        }
        kiln_value e = kiln_value_map(a), list;
        kiln_value_set(e, "name", kiln_value_cstr(m->name));
        kiln_value_set(e, "label", kiln_value_cstr(admin_title(m->label, a)));
        kiln_value_set(e, "label_plural",
                       kiln_value_cstr(admin_title(m->label_plural, a)));
        kiln_value_set(e, "url", admin_vprintf(c, "%s/%s/", g_root, m->name));
        kiln_value_set(e, "can_add",
                       kiln_value_bool(admin_can(c, m, ADMIN_ADD)));
        if (kiln_value_get(grp, KILN_STR("models"), a, &list))
            kiln_value_push(list, e);
    }
    return groups;
}

kiln_value admin_context(kiln_ctx *c, const char *title)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value ctx = kiln_value_map(a), user;
    if (ctx.type != KILN_VALUE_MAP || perm_user_value(c, &user) != 0)
        return kiln_value_null();
    kiln_value_set(ctx, "user", user);
    kiln_value_set(ctx, "admin_root", kiln_value_cstr(g_root));
    kiln_value_set(ctx, "static_v", kiln_value_cstr(g_static_v));
    kiln_value_set(ctx, "htmx", kiln_value_bool(g_htmx));
    kiln_value_set(ctx, "title", kiln_value_cstr(title ? title : "Admin"));
    kiln_value_set(ctx, "nav", nav_value(c));
    /* flash messages (shown once) */
    const kiln_flash_msg *fm;
    int n = kiln_flash_take(c, &fm);
    kiln_value msgs = kiln_value_list(a);
    for (int i = 0; i < n; i++) {
        kiln_value e = kiln_value_map(a);
        kiln_value_set(e, "level", kiln_value_str(fm[i].level));
        kiln_value_set(e, "text", kiln_value_str(fm[i].text));
        kiln_value_push(msgs, e);
    }
    kiln_value_set(ctx, "messages", msgs);
    return ctx;
}

kiln_value admin_model_value(kiln_ctx *c, const kiln_model *m)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value model = kiln_value_map(a);
    kiln_value_set(model, "name", kiln_value_cstr(m->name));
    kiln_value_set(model, "label", kiln_value_cstr(m->label));
    kiln_value_set(model, "label_plural",
                   kiln_value_cstr(admin_title(m->label_plural, a)));
    return model;
}

int admin_render(kiln_ctx *c, int status, const char *name, kiln_value ctx)
{
    if (ctx.type == KILN_VALUE_NULL)
        return KILN_ENOMEM;
    kiln_buf out;
    kiln_buf_init(&out);
    kiln_tpl_error te;
    memset(&te, 0, sizeof te);
    char tname[96];
    snprintf(tname, sizeof tname, "admin/%s", name);
    int rc = kiln_tpl_render(g_set, tname, ctx, kiln_ctx_arena(c), &out, &te);
    if (rc != 0) {
        kiln_buf_deinit(&out);
        kiln_log(KILN_LOG_ERROR, "%s: admin template %s", kiln_request_id(c),
                 te.text[0] ? te.text : kiln_strerror(rc));
        return kiln_problem(c, 500, "The admin page could not be rendered.");
    }
    kiln_set_header(c, "Cache-Control", "no-store");
    rc = kiln_respond(c, status, html_type, out.p ? out.p : "", out.n);
    kiln_buf_deinit(&out);
    return rc;
}

int admin_denied(kiln_ctx *c, const char *detail)
{
    kiln_value ctx = admin_context(c, "Access denied");
    if (ctx.type == KILN_VALUE_NULL)
        return kiln_problem(c, 403, "%s", detail);
    kiln_value_set(ctx, "detail",
                   kiln_value_str_copy(kiln_ctx_arena(c), kiln_str_c(detail)));
    return admin_render(c, 403, "denied.html", ctx);
}

/* ---- static files ---------------------------------------------------- */

static int admin_static(kiln_ctx *c)
{
    kiln_str name = kiln_param(c, "file");
    for (size_t i = 0; i < admin_nstatics; i++)
        if (kiln_str_eq(kiln_str_c(admin_statics[i].name), name)) {
            /* the layout links ?v=VERSION: a new build is a new URL */
            kiln_set_header(c, "Cache-Control",
                            "public, max-age=31536000, immutable");
            return kiln_static_send(c, admin_statics[i].data,
                                    admin_statics[i].len,
                                    kiln_mime_type(admin_statics[i].name), 0);
        }
    return kiln_problem(c, 404, "No such admin file.");
}

/* ---- the routes ------------------------------------------------------ */

/* Every route passes the gate first. */
#define GATED(fn)                                                              \
    static int gated_##fn(kiln_ctx *c)                                         \
    {                                                                          \
        int rc = admin_gate(c);                                                \
        return rc ? (rc < 0 ? rc : 0) : fn(c);                                 \
    }
GATED(admin_dashboard)
GATED(admin_list)
GATED(admin_export)
GATED(admin_action)
GATED(admin_add)
GATED(admin_change)
GATED(admin_delete)
GATED(admin_history)
GATED(admin_autocomplete)
GATED(admin_search)
GATED(admin_user_password)

static int admin_login(kiln_ctx *c)
{
    char to[300];
    snprintf(to, sizeof to, "/login?next=%s/", g_root);
    return kiln_redirect(c, 303, to);
}

/* ---- the template set ------------------------------------------------ */

/* The app's templates/admin/NAME.html, or NULL (malloc'd; *n its size). */
static char *app_override(const kiln_project *p, const char *root,
                          const char *name, size_t *n)
{
    char want[128];
    snprintf(want, sizeof want, "admin/%s", name);
    for (size_t i = 0; i < p->ntemplates; i++) {
        const kiln_page *t = &p->templates[i];
        if (strncmp(t->file, "templates/", 10) == 0 &&
            strcmp(t->name, want) == 0) {
            char *s = malloc(t->len + 1);
            if (s) {
                memcpy(s, t->data, t->len);
                s[t->len] = 0;
                *n = t->len;
            }
            return s;
        }
    }
    if (p->ntemplates || !root)
        return NULL;
    char path[PATH_MAX + 160];
    snprintf(path, sizeof path, "%s/templates/admin/%s", root, name);
    return access(path, R_OK) == 0 ? kiln_read_file(path, n) : NULL;
}

static uint64_t fnv64(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int admin_mount(kiln_app *app, const kiln_project *p, const kiln_settings *s,
                const char *root, char *err, size_t errlen)
{
    if (!kiln_settings_bool(s, "admin.enabled"))
        return 0;
    const char *path = kiln_settings_str(s, "admin.path");
    size_t pn = path ? strlen(path) : 0;
    while (pn > 1 && path[pn - 1] == '/')
        pn--;
    if (pn < 2 || path[0] != '/' || pn >= sizeof g_root - 1 ||
        strpbrk(path, "{}?#% ")) {
        snprintf(err, errlen, "admin.path '%s' is not a path like \"/admin\"",
                 path ? path : "");
        return KILN_EINVAL;
    }
    snprintf(g_root, sizeof g_root, "%.*s", (int)pn, path);
    g_threshold = kiln_settings_int(s, "admin.count_threshold");
    if (g_threshold < 1)
        g_threshold = 1;
    /* the models: every model of the app, and Kiln's user as the admin
       writes it (users.c); no other of Kiln's own */
    const kiln_model *const *ms = p->models ? p->models : p->api_models;
    size_t n = 0;
    while (ms && ms[n])
        n++;
    g_models = calloc(n + 1, sizeof *g_models);
    if (!g_models)
        return KILN_ENOMEM;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (admin_is_user(ms[i]) && ms[i]->table) {
            if (!(g_models[k++] = admin_user_model(ms[i])))
                return KILN_ENOMEM;
        } else if (!(ms[i]->flags & KILN_MF_BUILTIN) && ms[i]->table) {
            g_models[k++] = ms[i];
        }
    }
    /* the templates: compiled in, or the app's own of the same name */
    kiln_tpl_options opt;
    kiln_project_tpl_options(s, &opt);
    /* the pages test optional keys (f.step, h.url): lenient in
       development too, whatever templates.strict says */
    opt.undefined = KILN_TPL_LENIENT;
    g_set = kiln_tpl_set_new(&opt);
    if (!g_set)
        return KILN_ENOMEM;
    for (size_t i = 0; i < admin_ntemplates; i++) {
        const admin_file *f = &admin_templates[i];
        char tname[128];
        snprintf(tname, sizeof tname, "admin/%s", f->name);
        size_t on = 0;
        char *own = app_override(p, root, f->name, &on);
        kiln_tpl_error te;
        int rc = own ? kiln_tpl_set_add(g_set, tname, own, on, &te)
                     : kiln_tpl_set_add(g_set, tname, (const char *)f->data,
                                        f->len, &te);
        free(own);
        if (rc != 0) {
            snprintf(err, errlen, "%s%s", own ? "templates/" : "share/",
                     te.text);
            return rc;
        }
    }
    uint64_t h = 14695981039346656037ULL;
    g_htmx = false;
    for (size_t i = 0; i < admin_nstatics; i++) {
        h = fnv64(h, admin_statics[i].data, admin_statics[i].len);
        g_htmx |= strcmp(admin_statics[i].name, "htmx.min.js") == 0;
    }
    snprintf(g_static_v, sizeof g_static_v, "%016llx", (unsigned long long)h);
    static const struct {
        const char *method, *pat;
        kiln_handler h;
    } routes[] = {
        {"GET", "/", gated_admin_dashboard},
        {"GET", "/login", admin_login},
        {"GET", "/search", gated_admin_search},
        {"GET", "/static/{file}", admin_static},
        {"GET", "/{model}/", gated_admin_list},
        {"GET", "/{model}/export.csv", gated_admin_export},
        {"POST", "/{model}/action", gated_admin_action},
        {"GET", "/{model}/autocomplete", gated_admin_autocomplete},
        {"GET", "/{model}/add", gated_admin_add},
        {"POST", "/{model}/add", gated_admin_add},
        {"GET", "/{model}/{id}/", gated_admin_change},
        {"POST", "/{model}/{id}/", gated_admin_change},
        {"GET", "/{model}/{id}/delete", gated_admin_delete},
        {"POST", "/{model}/{id}/delete", gated_admin_delete},
        {"GET", "/{model}/{id}/history", gated_admin_history},
        {"GET", "/{model}/{id}/password", gated_admin_user_password},
        {"POST", "/{model}/{id}/password", gated_admin_user_password},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char pat[256];
        snprintf(pat, sizeof pat, "%s%s", g_root, routes[i].pat);
        int rc = kiln_route(app, routes[i].method, pat, routes[i].h);
        if (rc != 0) {
            snprintf(err, errlen, "admin: cannot route %s %s: %s",
                     routes[i].method, pat, kiln_strerror(rc));
            return rc;
        }
    }
    return 0;
}

void admin_unmount(void)
{
    kiln_tpl_set_free(g_set);
    g_set = NULL;
    for (size_t i = 0; g_models && g_models[i]; i++)
        if (admin_is_user(g_models[i]))
            admin_user_model_free(g_models[i]);
    free(g_models);
    g_models = NULL;
    g_root[0] = 0;
}
