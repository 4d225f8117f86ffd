/*
 * auth/perm.c - roles, permissions and the requirements that check them
 * (kiln/perm.h, auth/perm.h; docs/auth.md, "Permissions").
 *
 * The roles are the settings' ([roles] in kiln.toml, read by
 * config/settings_roles.c); the models are the project's. Both are set
 * once by perm_init before serving and only read afterwards. A check
 * walks the user's few roles and each role's few permissions: no
 * allocation, no lock, no database (the user's roles came with the user).
 */
#include "auth/auth_impl.h"
#include "auth/perm.h"
#include "config/settings.h"
#include "http/accept.h"

#include <kiln/auth.h>

#include <stdio.h>
#include <string.h>

static const kiln_role *g_roles;
static size_t g_nroles;
static const kiln_model *const *g_models;

static const char *const actions[] = {"view", "add", "change", "delete"};

/* ---- pure rules ---------------------------------------------------------- */

bool perm_match(const char *pattern, const char *perm)
{
    if (!pattern || !perm)
        return false;
    if (strcmp(pattern, "*") == 0)
        return true;
    const char *pd = strchr(pattern, '.'), *d = strchr(perm, '.');
    if (!pd || !d)
        return false;
    size_t pm = (size_t)(pd - pattern), m = (size_t)(d - perm);
    bool model = (pm == 1 && pattern[0] == '*') ||
                 (pm == m && memcmp(pattern, perm, m) == 0);
    bool action = strcmp(pd + 1, "*") == 0 || strcmp(pd + 1, d + 1) == 0;
    return model && action;
}

static const kiln_role *role_of(const kiln_role *roles, size_t n,
                                const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(roles[i].name, name) == 0)
            return &roles[i];
    return NULL;
}

bool perm_grants(const kiln_role *roles, size_t nroles, const kiln_user *u,
                 const char *perm)
{
    if (!u || !u->active || !perm)
        return false;
    if (u->superuser)
        return true;
    for (size_t i = 0; i < u->nroles; i++) {
        const kiln_role *r = role_of(roles, nroles, u->roles[i]);
        for (size_t k = 0; r && k < r->nperms; k++)
            if (perm_match(r->perms[k], perm))
                return true;
    }
    return false;
}

static const kiln_model *model_named(const kiln_model *const *models,
                                     const char *name, size_t n)
{
    for (size_t i = 0; models && models[i]; i++)
        if (strlen(models[i]->name) == n &&
            memcmp(models[i]->name, name, n) == 0)
            return models[i];
    return NULL;
}

/* The model name nearest to name (a typo), or NULL. */
static const char *model_near(const kiln_model *const *models, const char *name,
                              size_t n)
{
    const char *best = NULL;
    size_t d = 3;
    for (size_t i = 0; models && models[i]; i++) {
        size_t k =
            kiln_str_distance((kiln_str){name, n}, kiln_str_c(models[i]->name));
        if (k < d) {
            d = k;
            best = models[i]->name;
        }
    }
    return best;
}

/* "names no model" for perm's model part, into err. */
static int no_model(const kiln_model *const *models, const char *perm,
                    char *err, size_t errlen, const char *prefix)
{
    size_t mn = (size_t)(strchr(perm, '.') - perm);
    const char *near = model_near(models, perm, mn);
    if (err && errlen)
        snprintf(err, errlen, "%s'%.100s' names no model%s%s%s", prefix, perm,
                 near ? " (did you mean '" : "", near ? near : "",
                 near ? "'?)" : "");
    return KILN_EINVAL;
}

int perm_check_roles(const kiln_role *roles, size_t nroles,
                     const kiln_model *const *models, char *err, size_t errlen)
{
    if (!models)
        return 0;
    for (size_t i = 0; i < nroles; i++) {
        const kiln_role *r = &roles[i];
        for (size_t k = 0; k < r->nperms; k++) {
            const char *p = r->perms[k];
            const char *d = strchr(p, '.');
            if (!d || (d - p == 1 && p[0] == '*') ||
                model_named(models, p, (size_t)(d - p)))
                continue;
            char prefix[160], msg[400];
            snprintf(prefix, sizeof prefix, "roles.%.100s: ", r->name);
            no_model(models, p, msg, sizeof msg, prefix);
            if (err && errlen)
                snprintf(err, errlen, "%s:%d:%d: %s", r->file, r->lines[k],
                         r->cols[k], msg);
            return KILN_EINVAL;
        }
    }
    return 0;
}

/* ---- the app's tables ---------------------------------------------------- */

/* The permissions of GET /api/auth/me: u's, as JSON strings separated by
   commas (auth/me.c writes the brackets). */
static int perms_json(kiln_ctx *c, const kiln_user *u, kiln_buf *b)
{
    const char *const *list;
    long n = kiln_user_permissions(u, kiln_ctx_arena(c), &list);
    if (n < 0)
        return (int)n;
    for (long i = 0; i < n; i++) {
        int rc = i ? kiln_buf_putc(b, ',') : 0;
        if (rc || (rc = kiln_json_put_str(b, list[i], strlen(list[i]))))
            return rc;
    }
    return 0;
}

int perm_init(const kiln_role *roles, size_t nroles,
              const kiln_model *const *models, char *err, size_t errlen)
{
    int rc = perm_check_roles(roles, nroles, models, err, errlen);
    if (rc)
        return rc;
    g_roles = roles;
    g_nroles = nroles;
    g_models = models;
    auth_set_permissions_fn(perms_json);
    return 0;
}

void perm_clear(void)
{
    g_roles = NULL;
    g_nroles = 0;
    g_models = NULL;
}

bool perm_roles_declared(void)
{
    return g_nroles > 0;
}

bool perm_role_known(const char *role)
{
    return role && role_of(g_roles, g_nroles, role) != NULL;
}

/* True when a model of the app defines perm ("task.view"); true for any
   when the models are not known (an app without a project). */
static bool perm_defined(const char *perm)
{
    if (!g_models)
        return true;
    const char *d = strchr(perm, '.');
    if (!d || !model_named(g_models, perm, (size_t)(d - perm)))
        return false;
    for (size_t i = 0; i < 4; i++)
        if (strcmp(d + 1, actions[i]) == 0)
            return true;
    return false;
}

/* ---- kiln/perm.h --------------------------------------------------------- */

bool kiln_user_can(const kiln_user *u, const char *perm)
{
    if (!perm || !perm_defined(perm))
        return u && u->active && u->superuser && perm;
    return perm_grants(g_roles, g_nroles, u, perm);
}

bool kiln_can(kiln_ctx *c, const char *perm)
{
    return kiln_user_can(kiln_user_current(c), perm);
}

int kiln_require_login(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (u && u->active)
        return 0;
    int rc = kiln_auth_challenge(c, "this needs a logged-in user");
    return rc < 0 ? rc : 1;
}

/* Whether the request's Accept field lines prefer HTML to JSON. */
static bool wants_html(kiln_ctx *c)
{
    kiln_str fields[16];
    size_t n = 0;
    unsigned count = kiln_header_count(c);
    for (unsigned i = 0; i < count && n < 16; i++) {
        kiln_str name, value;
        kiln_header_at(c, i, &name, &value);
        if (kiln_str_ieq(name, KILN_STR("Accept")))
            fields[n++] = value;
    }
    return http_accept_prefers_html(fields, n);
}

/* "/login?next=" and s percent-encoded (RFC 3986: everything but the
   unreserved characters and '/'), in c's arena; NULL when out of memory. */
static const char *login_url(kiln_ctx *c, kiln_str s)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char pre[] = "/login?next=";
    char *out = kiln_arena_alloc(kiln_ctx_arena(c), sizeof pre + s.n * 3);
    if (!out)
        return NULL;
    memcpy(out, pre, sizeof pre - 1);
    char *o = out + sizeof pre - 1;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char ch = (unsigned char)s.p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || (ch && strchr("-._~/", ch))) {
            *o++ = (char)ch;
        } else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o = '\0';
    return out;
}

int kiln_login_required(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (u && u->active)
        return 0;
    bool htmx = kiln_is_htmx(c);
    if (!htmx && !wants_html(c))
        return kiln_require_login(c);
    kiln_str m = kiln_method(c);
    bool get =
        kiln_str_eq(m, KILN_STR("GET")) || kiln_str_eq(m, KILN_STR("HEAD"));
    kiln_str back = kiln_target(c);
    if (!get || !back.n || back.p[0] != '/')
        back = kiln_path(c); /* a POST's page, or an absolute-form target */
    const char *to = login_url(c, back);
    if (!to)
        return kiln_require_login(c); /* out of memory: the plain 401 */
    kiln_set_header(c, "Cache-Control", "no-store");
    if (!htmx) {
        int rc = kiln_redirect(c, 303, to);
        return rc < 0 ? rc : 1;
    }
    kiln_set_header(c, "HX-Redirect", to);
    return kiln_require_login(c);
}

int kiln_require(kiln_ctx *c, const char *perm)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u || !u->active)
        return kiln_require_login(c);
    if (kiln_user_can(u, perm))
        return 0;
    int rc = kiln_problem(c, 403, "this needs the permission %s", perm);
    return rc < 0 ? rc : 1;
}

int kiln_require_role(kiln_ctx *c, const char *role)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u || !u->active)
        return kiln_require_login(c);
    if (u->superuser || kiln_user_has_role(u, role))
        return 0;
    int rc = kiln_problem(c, 403, "this needs the role %s", role);
    return rc < 0 ? rc : 1;
}

long kiln_user_permissions(const kiln_user *u, kiln_arena *a,
                           const char *const **out)
{
    size_t nm = 0;
    while (g_models && g_models[nm])
        nm++;
    const char **list = kiln_arena_calloc(a, (nm * 4 + 1) * sizeof *list);
    if (!list)
        return KILN_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < nm && u; i++)
        for (size_t k = 0; k < 4; k++) {
            char *p =
                kiln_arena_printf(a, "%s.%s", g_models[i]->name, actions[k]);
            if (!p)
                return KILN_ENOMEM;
            if (perm_grants(g_roles, g_nroles, u, p))
                list[n++] = p;
        }
    *out = list;
    return (long)n;
}

/* ---- declarative requirements ------------------------------------------- */

int perm_need_parse(const char *spec, perm_need *need, const char **arg,
                    const char **why)
{
    *arg = NULL;
    if (strcmp(spec, "public") == 0) {
        *need = PERM_NEED_NONE;
        return 0;
    }
    if (strcmp(spec, "login") == 0) {
        *need = PERM_NEED_LOGIN;
        return 0;
    }
    if (strncmp(spec, "perm:", 5) == 0) {
        *need = PERM_NEED_PERM;
        *arg = spec + 5;
        if (strcmp(*arg, "*") == 0 || strchr(*arg, '*')) {
            *why = "requires one permission (\"perm:task.change\"), not a "
                   "pattern";
            return KILN_EINVAL;
        }
        return settings_perm_form_ok(*arg, strlen(*arg), why) ? 0 : KILN_EINVAL;
    }
    if (strncmp(spec, "role:", 5) == 0 && spec[5]) {
        *need = PERM_NEED_ROLE;
        *arg = spec + 5;
        return 0;
    }
    *why = "is not \"public\", \"login\", \"perm:MODEL.ACTION\" or "
           "\"role:NAME\"";
    return KILN_EINVAL;
}

int perm_need_check(const char *spec, const kiln_model *const *models,
                    char *err, size_t errlen)
{
    perm_need need;
    const char *arg, *why = "";
    if (perm_need_parse(spec, &need, &arg, &why) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "auth = \"%.100s\" %s", spec, why);
        return KILN_EINVAL;
    }
    if (need == PERM_NEED_PERM && models &&
        !model_named(models, arg, (size_t)(strchr(arg, '.') - arg)))
        return no_model(models, arg, err, errlen, "auth: ");
    if (need == PERM_NEED_ROLE && !perm_role_known(arg)) {
        if (err && errlen)
            snprintf(err, errlen,
                     "auth: the role '%.100s' is not declared in [roles] of "
                     "kiln.toml (%.100s = [] declares it without "
                     "permissions)",
                     arg, arg);
        return KILN_EINVAL;
    }
    return 0;
}

int perm_need_require(kiln_ctx *c, const char *spec)
{
    perm_need need;
    const char *arg, *why;
    if (!spec || perm_need_parse(spec, &need, &arg, &why) != 0)
        return spec ? KILN_EINVAL : 0;
    switch (need) {
    case PERM_NEED_LOGIN:
        return kiln_require_login(c);
    case PERM_NEED_PERM:
        return kiln_require(c, arg);
    case PERM_NEED_ROLE:
        return kiln_require_role(c, arg);
    default:
        return 0;
    }
}

int perm_api_access(const kiln_model *m)
{
    uint32_t a = m->api ? m->api->access : KILN_API_DEFAULT;
    if (a == KILN_API_DEFAULT)
        return perm_roles_declared() ? KILN_API_ROLES : KILN_API_PUBLIC;
    return (int)a;
}

int perm_api_require(kiln_ctx *c, const kiln_model *m, const char *action)
{
    switch (perm_api_access(m)) {
    case KILN_API_AUTHENTICATED:
        return kiln_require_login(c);
    case KILN_API_ROLES: {
        char perm[160];
        snprintf(perm, sizeof perm, "%s.%s", m->name, action);
        return kiln_require(c, perm);
    }
    default:
        return 0;
    }
}

/* ---- templates ----------------------------------------------------------- */

int perm_user_value(kiln_ctx *c, kiln_value *out)
{
    *out = (kiln_value){0};
    const kiln_user *u = kiln_user_current(c);
    if (!u || !u->active)
        return 0;
    kiln_arena *a = kiln_ctx_arena(c);
    const char *const *perms;
    long np = kiln_user_permissions(u, a, &perms);
    kiln_value m = kiln_value_map(a), roles = kiln_value_list(a),
               pl = kiln_value_list(a);
    if (np < 0 || m.type != KILN_VALUE_MAP || roles.type != KILN_VALUE_LIST ||
        pl.type != KILN_VALUE_LIST)
        return KILN_ENOMEM;
    for (size_t i = 0; i < u->nroles; i++)
        if (kiln_value_push(roles, kiln_value_cstr(u->roles[i])))
            return KILN_ENOMEM;
    for (long i = 0; i < np; i++)
        if (kiln_value_push(pl, kiln_value_cstr(perms[i])))
            return KILN_ENOMEM;
    if (kiln_value_set(m, "id", kiln_value_int(u->id)) ||
        kiln_value_set(m, "username", kiln_value_cstr(u->username)) ||
        kiln_value_set(m, "email", kiln_value_cstr(u->email)) ||
        kiln_value_set(m, "name", kiln_value_cstr(u->name)) ||
        kiln_value_set(m, "staff", kiln_value_bool(u->staff)) ||
        kiln_value_set(m, "superuser", kiln_value_bool(u->superuser)) ||
        kiln_value_set(m, "roles", roles) ||
        kiln_value_set(m, "permissions", pl))
        return KILN_ENOMEM;
    *out = m;
    return 0;
}
