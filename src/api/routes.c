/*
 * api/routes.c - the routes of a model's generated API and their names
 * (docs/api.md): list{Plural}, create{Singular}, get{Singular},
 * update{Singular}, patch{Singular}, delete{Singular}, which are also the
 * OpenAPI operationIds; and kiln_api_register, which routes them unless a
 * hand-written handler answers the same method and path.
 */
#include "api/api_impl.h"
#include "model/runtime.h"
#include "schema/conform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PascalCase of s, dropping '_', '-' and '/' ("task_comment" ->
   "TaskComment"). */
static void pascal(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    bool up = true;
    for (; *s && o + 1 < cap; s++) {
        if (*s == '_' || *s == '-' || *s == '/') {
            up = true;
            continue;
        }
        char ch = *s;
        if (up && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        out[o++] = ch;
        up = false;
    }
    out[o] = 0;
}

size_t api_routes(const kiln_model *m, api_route out[API_NOPS])
{
    static const struct {
        uint32_t op;
        const char *method, *verb;
        bool item, plural;
    } ops[API_NOPS] = {
        {KILN_API_LIST, "GET", "list", false, true},
        {KILN_API_RETRIEVE, "GET", "get", true, false},
        {KILN_API_CREATE, "POST", "create", false, false},
        {KILN_API_UPDATE, "PUT", "update", true, false},
        {KILN_API_PATCH, "PATCH", "patch", true, false},
        {KILN_API_DELETE, "DELETE", "delete", true, false},
    };
    const kiln_model_api *api = m->api;
    if (!api)
        return 0;
    char singular[128], plural[128];
    pascal(m->name, singular, sizeof singular);
    pascal(api->path, plural, sizeof plural);
    size_t n = 0;
    for (size_t i = 0; i < API_NOPS; i++) {
        if (!(api->ops & ops[i].op))
            continue;
        api_route *r = &out[n++];
        r->op = ops[i].op;
        r->method = ops[i].method;
        snprintf(r->pattern, sizeof r->pattern, "/api/%s%s", api->path,
                 ops[i].item ? "/{id}" : "");
        snprintf(r->name, sizeof r->name, "%s%s", ops[i].verb,
                 ops[i].plural ? plural : singular);
    }
    return n;
}

void api_conform(kiln_ctx *c, const kiln_model *m, uint32_t op)
{
    api_route rs[API_NOPS];
    size_t n = api_routes(m, rs);
    for (size_t i = 0; i < n; i++)
        if (rs[i].op == op)
            schema_conform_arm(c, rs[i].name, m,
                               op == KILN_API_LIST ? SCHEMA_PAGE : SCHEMA_ROW);
}

bool api_same_shape(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a == '{' && *b == '{') {
            bool ra = strncmp(a, "{...", 4) == 0,
                 rb = strncmp(b, "{...", 4) == 0;
            if (ra != rb)
                return false;
            while (*a && *a != '}')
                a++;
            while (*b && *b != '}')
                b++;
            if (!*a || !*b)
                return *a == *b;
            a++, b++;
            continue;
        }
        if (*a != *b)
            return false;
        a++, b++;
    }
    return *a == *b;
}

/* The targets made so far: reachable for the process's life. */
static api_target *g_targets;

/*
 * The name the app's own routes give the segment after /api/PATH/ (the
 * router takes one name per place: api/tasks/[task].c makes it "task"),
 * into out; "id" when none does.
 */
static void param_name(const char *path, const kiln_route_def *routes,
                       size_t nroutes, char out[64])
{
    char pre[256];
    int k = snprintf(pre, sizeof pre, "/api/%s/{", path);
    snprintf(out, 64, "id");
    for (size_t j = 0; k > 0 && j < nroutes; j++) {
        const char *p = routes[j].pattern;
        if (strncmp(p, pre, (size_t)k) != 0 || strncmp(p + k, "...", 3) == 0)
            continue;
        const char *e = strchr(p + k, '}');
        if (e && e - (p + k) < 64) {
            snprintf(out, 64, "%.*s", (int)(e - (p + k)), p + k);
            return;
        }
    }
}

int kiln_api_register(kiln_app *app, const kiln_model *const *models,
                      const kiln_route_def *routes, size_t nroutes)
{
    static const kiln_handler handlers[API_NOPS] = {
        api_list, api_retrieve, api_create, api_update, api_patch, api_delete};
    /* the references a request writes: only to rows it may see (refs.c) */
    model_refs_rule(kiln_api_refs_visible);
    for (size_t i = 0; models && models[i]; i++) {
        const kiln_model *m = models[i];
        api_route rs[API_NOPS];
        size_t n = api_routes(m, rs);
        if (!n)
            continue;
        api_target *t = calloc(1, sizeof *t);
        if (!t)
            return KILN_ENOMEM;
        t->m = m;
        param_name(m->api->path, routes, nroutes, t->param);
        t->next = g_targets;
        g_targets = t;
        for (size_t k = 0; k < n; k++) {
            bool taken = false;
            for (size_t j = 0; j < nroutes && !taken; j++) {
                const char *meth = strcmp(routes[j].method, "WS") == 0
                                       ? "GET"
                                       : routes[j].method;
                taken = strcmp(meth, rs[k].method) == 0 &&
                        api_same_shape(routes[j].pattern, rs[k].pattern);
            }
            if (taken)
                continue; /* the author's handler wins */
            unsigned bit = 0;
            while (!(rs[k].op & (1u << bit)))
                bit++;
            char pat[320];
            if (strstr(rs[k].pattern, "/{id}"))
                snprintf(pat, sizeof pat, "/api/%s/{%s}", m->api->path,
                         t->param);
            else
                snprintf(pat, sizeof pat, "%s", rs[k].pattern);
            int rc = kiln_route_with(app, rs[k].method, pat, handlers[bit], t);
            if (rc)
                return rc;
        }
    }
    return 0;
}
