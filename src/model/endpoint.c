/*
 * model/endpoint.c - endpoint schemas: api/NAME.toml beside api/NAME.c
 * declares, per method, the path parameters, the query, the body and the
 * responses, in the model language:
 *
 *   # api/posts/[id]/like.toml
 *   [post]
 *   name = "like"                       # C names: Like, like_input(c)
 *   summary = "Like a post"
 *   path = { id = { type = "integer", min = 1 } }
 *   query = { notify = "bool?" }
 *   body = { fields = { reason = "string:200?" } }
 *   responses = { 200 = "post", 404 = { description = "no such post" } }
 *
 *   # a GET may also cache its responses and limit its clients:
 *   cache = { ttl = 60, vary = ["Accept-Language"], credentials = "skip" }
 *   rate = "10/s burst 20"              # rate_by = "ip" (the default)
 *
 *   # a webhook posted by another server skips the CSRF check:
 *   csrf = false
 *
 * A body is a model ("post": its writable fields), part of one
 * ({ model = "post", fields = ["title"] }) or its own fields
 * ({ fields = { ... } }). Each method becomes a kiln_endpoint whose parts
 * are kiln_model descriptions like any model's, so the same decoders and
 * walkers serve them.
 */
#include "model/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const http_methods[] = {"GET",    "POST", "PUT",    "PATCH",
                                           "DELETE", "HEAD", "OPTIONS"};

/* The method a table key names (any case), or NULL. */
static const char *method_of(kiln_str k)
{
    for (size_t i = 0; i < sizeof http_methods / sizeof *http_methods; i++)
        if (kiln_str_ieq_c(k, http_methods[i]))
            return http_methods[i];
    return NULL;
}

/* The default C name of method m of api/a/[id]/b.toml: post_a_id_b. */
static char *default_name(model_set *s, const char *file, const char *method)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (const char *p = method; *p; p++)
        kiln_buf_putc(&b, (char)(*p - 'A' + 'a'));
    const char *p = strncmp(file, "api/", 4) == 0 ? file + 4 : file;
    const char *end = strrchr(p, '.');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n >= 5 && strncmp(p + n - 5, "index", 5) == 0 &&
        (n == 5 || p[n - 6] == '/'))
        n = n == 5 ? 0 : n - 6;
    bool sep = true;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (sep)
                kiln_buf_putc(&b, '_');
            kiln_buf_putc(&b, ch);
            sep = false;
        } else if (ch >= 'A' && ch <= 'Z') {
            if (sep)
                kiln_buf_putc(&b, '_');
            kiln_buf_putc(&b, (char)(ch - 'A' + 'a'));
            sep = false;
        } else {
            sep = true;
        }
    }
    char *out = kiln_arena_strndup(&s->arena, b.p ? b.p : "", b.n);
    kiln_buf_deinit(&b);
    return out;
}

/* An object of an endpoint (its path, query or inline body). */
static kiln_model *new_part(model_set *s, const char *file, const char *name,
                            const char *part)
{
    kiln_model *m = kiln_arena_calloc(&s->arena, sizeof *m);
    if (!m)
        return NULL;
    m->name = kiln_arena_printf(&s->arena, "%s_%s", name, part);
    m->label = m->name;
    m->label_plural = m->name;
    m->flags = KILN_MF_ENDPOINT;
    m->file = file;
    return m;
}

/* True when pattern has the parameter {name} or {...name}. */
static bool has_param(const char *pattern, const char *name)
{
    char a[96], b[96];
    snprintf(a, sizeof a, "{%s}", name);
    snprintf(b, sizeof b, "{...%s}", name);
    return strstr(pattern, a) || strstr(pattern, b);
}

/* Types a path or query parameter can have. */
static bool scalar_param(const kiln_field *f, bool query)
{
    switch (f->type) {
    case KILN_FT_OBJECT:
    case KILN_FT_FILE:
    case KILN_FT_JSON:
    case KILN_FT_REF:
    case KILN_FT_MANY:
        return false;
    case KILN_FT_LIST:
        return query && f->item_type != KILN_FT_OBJECT;
    default:
        return true;
    }
}

/* The path or query part from table t. */
static kiln_model *parse_params(model_set *s, const char *file,
                                const char *name, const toml_entry *e,
                                const char *pattern, bool query, kiln_buf *errs,
                                int *rc)
{
    const char *part = query ? "query" : "path";
    if (e->value->type != TOML_TABLE) {
        model_error(errs, file, e->value->line, e->value->column,
                    "%s is a table of parameters ({ id = \"integer\" })", part);
        *rc = KILN_EINVAL;
        return NULL;
    }
    kiln_model *m = new_part(s, file, name, part);
    if (!m || model_parse_fields(s, file, m->name, e->value, true, m, errs)) {
        *rc = KILN_EINVAL;
        return m;
    }
    for (uint32_t i = 0; i < m->nfields; i++) {
        kiln_field *f = (kiln_field *)&m->fields[i];
        if (!scalar_param(f, query)) {
            model_error(errs, file, f->line, f->col,
                        "%s parameter '%s' cannot be a %s", part, f->name,
                        model_type_name(f->type));
            *rc = KILN_EINVAL;
        }
        if (!query && !has_param(pattern, f->name)) {
            model_error(errs, file, f->line, f->col,
                        "the route %s has no parameter '%s'", pattern, f->name);
            *rc = KILN_EINVAL;
        }
        if (!query && (f->flags & KILN_FF_OPTIONAL)) {
            model_error(
                errs, file, f->line, f->col,
                "path parameter '%s' cannot be optional: the route always "
                "has it",
                f->name);
            *rc = KILN_EINVAL;
        }
    }
    return m;
}

/* A body that is model target, or the fields names of it. */
static kiln_model *model_body(model_set *s, const char *file, const char *name,
                              kiln_model *target, const toml_value *names,
                              kiln_buf *errs, int *rc)
{
    if (!names)
        return target;
    if (names->type != TOML_ARRAY || names->u.array.n == 0) {
        model_error(errs, file, names->line, names->column,
                    "fields is a list of the model's field names");
        *rc = KILN_EINVAL;
        return target;
    }
    kiln_model *m = new_part(s, file, name, "body");
    kiln_field *fs =
        m ? kiln_arena_calloc(&s->arena, names->u.array.n * sizeof *fs) : NULL;
    if (!fs) {
        *rc = KILN_ENOMEM;
        return target;
    }
    uint32_t k = 0;
    for (size_t i = 0; i < names->u.array.n; i++) {
        const toml_value *it = names->u.array.items[i];
        const kiln_field *f = it->type == TOML_STRING
                                  ? model_field(target, it->u.string.p)
                                  : NULL;
        if (!f) {
            model_error(errs, file, it->line, it->column,
                        "model '%s' has no field '%s'", target->name,
                        it->type == TOML_STRING ? it->u.string.p : "?");
            *rc = KILN_EINVAL;
            continue;
        }
        fs[k++] = *f;
    }
    *m = *target; /* the same struct and table; fewer fields */
    m->name = target->name;
    m->fields = fs;
    m->nfields = k;
    m->nindexes = 0;
    m->indexes = NULL;
    m->renamed_from = NULL;
    m->flags |= KILN_MF_ENDPOINT;
    /* remember which model's struct it fills */
    m->label = target->label;
    m->help = target->help;
    return m;
}

static kiln_model *parse_body(model_set *s, const char *file, const char *name,
                              const toml_entry *e, kiln_buf *errs, int *rc)
{
    const toml_value *v = e->value;
    if (v->type == TOML_STRING) {
        kiln_model *t = model_find(s, v->u.string.p);
        if (!t) {
            model_error(errs, file, v->line, v->column,
                        "body: there is no model '%s' (models/%s.toml)",
                        v->u.string.p, v->u.string.p);
            *rc = KILN_EINVAL;
        }
        return t;
    }
    if (v->type != TOML_TABLE) {
        model_error(
            errs, file, v->line, v->column,
            "body is a model name (\"post\"), { model = \"post\", fields "
            "= [...] } or { fields = { ... } }");
        *rc = KILN_EINVAL;
        return NULL;
    }
    const toml_value *model = toml_get(v, "model");
    const toml_value *fields = toml_get(v, "fields");
    const toml_value *unknown = toml_get(v, "unknown_fields");
    for (size_t i = 0; i < v->u.table.n; i++) {
        const toml_entry *o = &v->u.table.items[i];
        if (!kiln_str_eq(o->key, KILN_STR("model")) &&
            !kiln_str_eq(o->key, KILN_STR("fields")) &&
            !kiln_str_eq(o->key, KILN_STR("unknown_fields"))) {
            model_error(errs, file, o->line, o->column,
                        "unknown key '%.*s' in body (model, fields, "
                        "unknown_fields)",
                        (int)o->key.n, o->key.p);
            *rc = KILN_EINVAL;
        }
    }
    kiln_model *m = NULL;
    if (model) {
        kiln_model *t = model->type == TOML_STRING
                            ? model_find(s, model->u.string.p)
                            : NULL;
        if (!t) {
            model_error(errs, file, model->line, model->column,
                        "body: model is the name of a model of models/");
            *rc = KILN_EINVAL;
            return NULL;
        }
        m = model_body(s, file, name, t, fields, errs, rc);
    } else if (fields && fields->type == TOML_TABLE) {
        m = new_part(s, file, name, "body");
        if (!m || model_parse_fields(s, file, m->name, fields, true, m, errs))
            *rc = KILN_EINVAL;
    } else {
        model_error(errs, file, v->line, v->column,
                    "body needs a model = \"...\" or its fields = { ... }");
        *rc = KILN_EINVAL;
        return NULL;
    }
    if (m && unknown) {
        if (unknown->type == TOML_STRING &&
            strcmp(unknown->u.string.p, "ignore") == 0)
            m->flags |= KILN_MF_ALLOW_UNKNOWN;
        else if (!(unknown->type == TOML_STRING &&
                   strcmp(unknown->u.string.p, "reject") == 0)) {
            model_error(errs, file, unknown->line, unknown->column,
                        "unknown_fields is \"reject\" or \"ignore\"");
            *rc = KILN_EINVAL;
        }
    }
    return m;
}

/* cache = { ttl = 60, vary = [...], credentials = "skip" }. */
static int parse_cache(model_set *s, const char *file, const toml_value *v,
                       kiln_endpoint *ep, kiln_buf *errs)
{
    if (v->type != TOML_TABLE) {
        model_error(
            errs, file, v->line, v->column,
            "cache is a table: { ttl = 60, vary = [\"Accept-Language\"] }");
        return KILN_EINVAL;
    }
    kiln_cache_rule *r = kiln_arena_calloc(&s->arena, sizeof *r);
    if (!r)
        return KILN_ENOMEM;
    int rc = 0;
    bool ttl = false;
    kiln_buf vary;
    kiln_buf_init(&vary);
    for (size_t i = 0; i < v->u.table.n; i++) {
        const toml_entry *e = &v->u.table.items[i];
        const toml_value *x = e->value;
        if (kiln_str_eq(e->key, KILN_STR("ttl"))) {
            if (x->type != TOML_INTEGER || x->u.integer < 1 ||
                x->u.integer > 31622400) {
                model_error(errs, file, x->line, x->column,
                            "cache ttl is a number of seconds from 1 to "
                            "31622400 (a year)");
                rc = KILN_EINVAL;
            }
            r->ttl = (int)x->u.integer;
            ttl = true;
        } else if (kiln_str_eq(e->key, KILN_STR("vary"))) {
            bool ok = x->type == TOML_ARRAY;
            for (size_t j = 0; ok && j < x->u.array.n; j++) {
                const toml_value *it = x->u.array.items[j];
                ok = it->type == TOML_STRING && it->u.string.n > 0 &&
                     !memchr(it->u.string.p, ',', it->u.string.n);
                if (ok) {
                    if (vary.n)
                        kiln_buf_append(&vary, ", ", 2);
                    kiln_buf_append(&vary, it->u.string.p, it->u.string.n);
                }
            }
            if (!ok) {
                model_error(errs, file, x->line, x->column,
                            "cache vary is a list of request header names "
                            "([\"Accept-Language\"])");
                rc = KILN_EINVAL;
            }
        } else if (kiln_str_eq(e->key, KILN_STR("credentials"))) {
            const char *c = x->type == TOML_STRING ? x->u.string.p : "";
            if (strcmp(c, "skip") == 0)
                r->credentials = KILN_CACHE_SKIP;
            else if (strcmp(c, "per_user") == 0)
                r->credentials = KILN_CACHE_PER_USER;
            else if (strcmp(c, "ignore") == 0)
                r->credentials = KILN_CACHE_IGNORE;
            else {
                model_error(errs, file, x->line, x->column,
                            "cache credentials is \"skip\" (a request with a "
                            "Cookie or Authorization is not cached), "
                            "\"per_user\" or \"ignore\"");
                rc = KILN_EINVAL;
            }
        } else {
            model_error(errs, file, e->line, e->column,
                        "unknown key '%.*s' in cache (ttl, vary, credentials)",
                        (int)e->key.n, e->key.p);
            rc = KILN_EINVAL;
        }
    }
    if (!ttl) {
        model_error(errs, file, v->line, v->column,
                    "cache needs a ttl (seconds): cache = { ttl = 60 }");
        rc = KILN_EINVAL;
    }
    if (vary.n)
        r->vary = kiln_arena_strndup(&s->arena, vary.p, vary.n);
    char err[200];
    if (rc == 0 && kiln_cache_rule_check(r, err, sizeof err) != 0) {
        model_error(errs, file, v->line, v->column, "%s", err);
        rc = KILN_EINVAL;
    }
    kiln_buf_deinit(&vary);
    ep->cache = r;
    return rc;
}

/* rate = "10/s burst 20" and rate_by = "ip". */
static int parse_rate(model_set *s, const char *file, const toml_entry *e,
                      kiln_endpoint *ep, kiln_buf *errs)
{
    const toml_value *v = e->value;
    bool by = kiln_str_eq(e->key, KILN_STR("rate_by"));
    if (v->type != TOML_STRING) {
        model_error(errs, file, v->line, v->column,
                    by ? "rate_by is \"ip\", \"token\", \"user\", "
                         "\"header:NAME\" or \"cookie:NAME\""
                       : "rate is a string: \"10/s burst 20\"");
        return KILN_EINVAL;
    }
    const char *text =
        kiln_arena_strndup(&s->arena, v->u.string.p, v->u.string.n);
    if (!text)
        return KILN_ENOMEM;
    if (by) {
        if (!kiln_rate_by_ok(text)) {
            model_error(errs, file, v->line, v->column,
                        "rate_by is \"ip\", \"token\", \"user\", "
                        "\"header:NAME\" or \"cookie:NAME\", not '%s'",
                        text);
            return KILN_EINVAL;
        }
        ep->rate_by = text;
        return 0;
    }
    kiln_rate r;
    char err[200];
    if (kiln_rate_parse(text, &r, err, sizeof err) != 0) {
        model_error(errs, file, v->line, v->column, "%s", err);
        return KILN_EINVAL;
    }
    ep->rate = text;
    return 0;
}

/* One response of responses = { 200 = "post", ... }. */
static int parse_response(model_set *s, const char *file, const toml_entry *e,
                          kiln_response *r, kiln_buf *errs)
{
    memset(r, 0, sizeof *r);
    long st = 0;
    for (size_t i = 0; i < e->key.n; i++)
        st = e->key.p[i] >= '0' && e->key.p[i] <= '9'
                 ? st * 10 + (e->key.p[i] - '0')
                 : 100000;
    if (e->key.n != 3 || st < 100 || st > 599) {
        model_error(errs, file, e->line, e->column,
                    "responses are keyed by status (200, 404...), not '%.*s'",
                    (int)e->key.n, e->key.p);
        return KILN_EINVAL;
    }
    r->status = (int)st;
    const toml_value *v = e->value;
    kiln_str name = KILN_STR_NULL;
    if (v->type == TOML_STRING) {
        name = v->u.string;
    } else if (v->type == TOML_TABLE) {
        const toml_value *m = toml_get(v, "model"), *l = toml_get(v, "list"),
                         *d = toml_get(v, "description");
        if (m && m->type == TOML_STRING)
            name = m->u.string;
        if (l && l->type == TOML_BOOLEAN)
            r->list = l->u.boolean;
        if (d && d->type == TOML_STRING)
            r->description =
                kiln_arena_strndup(&s->arena, d->u.string.p, d->u.string.n);
    } else {
        model_error(errs, file, v->line, v->column,
                    "a response is a model name (\"post\", \"post[]\" for a "
                    "list) or { model, list, description }");
        return KILN_EINVAL;
    }
    if (name.n > 2 && memcmp(name.p + name.n - 2, "[]", 2) == 0) {
        r->list = true;
        name.n -= 2;
    }
    if (name.n) {
        char buf[MODEL_NAME_MAX + 1];
        snprintf(buf, sizeof buf, "%.*s", (int)name.n, name.p);
        r->model = model_find(s, buf);
        if (!r->model) {
            model_error(errs, file, v->line, v->column,
                        "response %d: there is no model '%s'", r->status, buf);
            return KILN_EINVAL;
        }
    }
    return 0;
}

int model_load_endpoints(model_set *s, const char *file, const char *src,
                         size_t n, const char *pattern, unsigned methods,
                         kiln_buf *errs)
{
    toml_value *root;
    toml_error te;
    kiln_arena tmp;
    kiln_arena_init(&tmp, 8192);
    const char *fname = kiln_arena_strndup(&s->arena, file, strlen(file));
    int rc = toml_parse(&tmp, src, n, fname, &root, &te);
    if (rc != 0) {
        toml_error_format(&te, errs);
        kiln_buf_putc(errs, '\n');
        kiln_arena_deinit(&tmp);
        return rc == KILN_ENOMEM ? rc : KILN_EINVAL;
    }
    rc = 0;
    for (size_t i = 0; i < root->u.table.n; i++) {
        const toml_entry *me = &root->u.table.items[i];
        const char *method = method_of(me->key);
        if (!method || me->value->type != TOML_TABLE) {
            model_error(errs, fname, me->line, me->column,
                        "'%.*s' is not a method table: write [get], [post], "
                        "[put], [patch] or [delete]",
                        (int)me->key.n, me->key.p);
            rc = KILN_EINVAL;
            continue;
        }
        size_t mi = 0;
        while (strcmp(http_methods[mi], method) != 0)
            mi++;
        if (!(methods & (1u << mi))) {
            model_error(
                errs, fname, me->line, me->column,
                "[%.*s] describes %s %s, but the .c file beside it has no "
                "KILN_%s",
                (int)me->key.n, me->key.p, method, pattern, method);
            rc = KILN_EINVAL;
            continue;
        }
        kiln_endpoint *ep = kiln_arena_calloc(&s->arena, sizeof *ep);
        if (!ep) {
            rc = KILN_ENOMEM;
            break;
        }
        ep->method = method;
        ep->route = kiln_arena_strndup(&s->arena, pattern, strlen(pattern));
        ep->file = fname;
        ep->line = me->line;
        ep->body_mode = strcmp(method, "PUT") == 0     ? KILN_DECODE_REPLACE
                        : strcmp(method, "PATCH") == 0 ? KILN_DECODE_PATCH
                                                       : KILN_DECODE_CREATE;
        const toml_value *t = me->value;
        const toml_value *nv = toml_get(t, "name");
        if (nv && (nv->type != TOML_STRING ||
                   !model_name_ok(nv->u.string.p, nv->u.string.n) ||
                   model_c_reserved(nv->u.string.p))) {
            model_error(errs, fname, nv->line, nv->column,
                        "name is a C name for the input: lower-case letters, "
                        "digits and '_'");
            rc = KILN_EINVAL;
            nv = NULL;
        }
        ep->name =
            nv ? kiln_arena_strndup(&s->arena, nv->u.string.p, nv->u.string.n)
               : default_name(s, fname, method);
        for (size_t k = 0; k < t->u.table.n; k++) {
            const toml_entry *e = &t->u.table.items[k];
            const char *key = e->key.p;
            if (strcmp(key, "name") == 0 || strcmp(key, "unknown_query") == 0)
                continue;
            if (strcmp(key, "summary") == 0 ||
                strcmp(key, "description") == 0) {
                if (e->value->type != TOML_STRING) {
                    model_error(errs, fname, e->value->line, e->value->column,
                                "%s is a string", key);
                    rc = KILN_EINVAL;
                    continue;
                }
                const char *v = kiln_arena_strndup(
                    &s->arena, e->value->u.string.p, e->value->u.string.n);
                if (key[0] == 's')
                    ep->summary = v;
                else
                    ep->description = v;
            } else if (strcmp(key, "path") == 0 || strcmp(key, "query") == 0) {
                int r = 0;
                kiln_model *p = parse_params(s, fname, ep->name, e, pattern,
                                             key[0] == 'q', errs, &r);
                if (r)
                    rc = r;
                if (key[0] == 'q')
                    ep->query = p;
                else
                    ep->path = p;
            } else if (strcmp(key, "body") == 0) {
                int r = 0;
                ep->body = parse_body(s, fname, ep->name, e, errs, &r);
                if (r)
                    rc = r;
            } else if (strcmp(key, "responses") == 0) {
                const toml_value *rv = e->value;
                if (rv->type != TOML_TABLE) {
                    model_error(errs, fname, rv->line, rv->column,
                                "responses is a table keyed by status");
                    rc = KILN_EINVAL;
                    continue;
                }
                kiln_response *rs = kiln_arena_calloc(
                    &s->arena, (rv->u.table.n + 1) * sizeof *rs);
                for (size_t j = 0; rs && j < rv->u.table.n; j++)
                    if (parse_response(s, fname, &rv->u.table.items[j], &rs[j],
                                       errs))
                        rc = KILN_EINVAL;
                ep->responses = rs;
                ep->nresponses = (uint32_t)rv->u.table.n;
            } else if (strcmp(key, "cache") == 0) {
                if (strcmp(method, "GET") != 0) {
                    model_error(errs, fname, e->line, e->column,
                                "cache is for [get]: only GET (and HEAD) "
                                "responses are cached");
                    rc = KILN_EINVAL;
                    continue;
                }
                int r = parse_cache(s, fname, e->value, ep, errs);
                if (r)
                    rc = r;
            } else if (strcmp(key, "csrf") == 0) {
                if (e->value->type != TOML_BOOLEAN) {
                    model_error(errs, fname, e->line, e->column,
                                "csrf is true (the default: unsafe requests "
                                "with the session cookie are checked) or "
                                "false (a webhook: they are not)");
                    rc = KILN_EINVAL;
                    continue;
                }
                ep->csrf_exempt = !e->value->u.boolean;
            } else if (strcmp(key, "rate") == 0 ||
                       strcmp(key, "rate_by") == 0) {
                int r = parse_rate(s, fname, e, ep, errs);
                if (r)
                    rc = r;
            } else {
                model_error(errs, fname, e->line, e->column,
                            "unknown key '%s' in [%.*s] (name, summary, "
                            "description, path, query, unknown_query, body, "
                            "responses, cache, rate, rate_by, csrf)",
                            key, (int)me->key.n, me->key.p);
                rc = KILN_EINVAL;
            }
        }
        /* query parameters the schema does not name (utm_*, a cache
           buster) are ignored unless the method says reject */
        const toml_value *uq = toml_get(t, "unknown_query");
        bool reject = false;
        if (uq && uq->type == TOML_STRING &&
            (strcmp(uq->u.string.p, "reject") == 0 ||
             strcmp(uq->u.string.p, "ignore") == 0))
            reject = uq->u.string.p[0] == 'r';
        else if (uq) {
            model_error(
                errs, fname, uq->line, uq->column,
                "unknown_query is \"ignore\" (the default) or \"reject\"");
            rc = KILN_EINVAL;
        }
        if (ep->query && !reject)
            ((kiln_model *)ep->query)->flags |= KILN_MF_ALLOW_UNKNOWN;
        if (ep->rate_by && !ep->rate) {
            model_error(errs, fname, me->line, me->column,
                        "rate_by without rate: add rate = \"10/s\"");
            rc = KILN_EINVAL;
        }
        if (ep->body &&
            (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
            model_error(errs, fname, me->line, me->column,
                        "a %s request has no body: use query", method);
            rc = KILN_EINVAL;
        }
        /* one C name per input, not clashing with a model's */
        for (size_t k = 0; k < s->nendpoints; k++)
            if (strcmp(s->endpoints[k]->name, ep->name) == 0) {
                model_error(errs, fname, me->line, me->column,
                            "the input name '%s' is also used by %s [%s]: set "
                            "name = \"...\"",
                            ep->name, s->endpoints[k]->file,
                            s->endpoints[k]->method);
                rc = KILN_EINVAL;
            }
        if (model_find(s, ep->name)) {
            model_error(errs, fname, me->line, me->column,
                        "the input name '%s' is a model's: set name = \"...\"",
                        ep->name);
            rc = KILN_EINVAL;
        }
        if (s->nendpoints == s->endpoint_cap) {
            size_t cap = s->endpoint_cap ? s->endpoint_cap * 2 : 8;
            kiln_endpoint **v = realloc(s->endpoints, cap * sizeof *v);
            if (!v) {
                rc = KILN_ENOMEM;
                break;
            }
            s->endpoints = v;
            s->endpoint_cap = cap;
        }
        s->endpoints[s->nendpoints++] = ep;
    }
    kiln_arena_deinit(&tmp);
    return rc;
}
