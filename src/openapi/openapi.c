/*
 * openapi/openapi.c - the OpenAPI 3.1 document (openapi.h): one walk over
 * the routes and the models' [api] into a list of operations, then one
 * over the components they name (schemas.c). JSON is written compact
 * through the small writer of walk.h, then indented in one pass.
 *
 * Memory: everything the walk needs lives in one arena freed before
 * oapi_write returns; the document is appended to the caller's buffer.
 */
#include "openapi/walk.h"

#include <stdlib.h>
#include <string.h>

static const char problem_schema[] =
    "{\"type\":\"object\",\"description\":\"An error (RFC 9457 "
    "problem details).\",\"properties\":{"
    "\"type\":{\"type\":\"string\",\"format\":\"uri-reference\"},"
    "\"title\":{\"type\":\"string\"},"
    "\"status\":{\"type\":\"integer\",\"minimum\":100,\"maximum\":599},"
    "\"detail\":{\"type\":\"string\"},"
    "\"instance\":{\"type\":\"string\",\"format\":\"uri-reference\"}},"
    "\"required\":[\"title\",\"status\"]}";

/* an error of the list: a field of the body (pointer) or a query
   parameter (parameter), as kiln_problem_errors writes them */
static const char vproblem_schema[] =
    "{\"description\":\"A request that failed validation: every failing "
    "field or query parameter is in errors.\",\"allOf\":[{\"$ref\":"
    "\"#/components/schemas/Problem\"},{\"type\":\"object\",\"properties\":{"
    "\"errors\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
    "\"properties\":{\"pointer\":{\"type\":\"string\",\"description\":\"a "
    "JSON Pointer (RFC 6901) to the failing field of the body\"},"
    "\"parameter\":{\"type\":\"string\",\"description\":\"the failing "
    "query parameter\"},\"code\":{\"type\":\"string\",\"description\":"
    "\"stable, snake_case\"},\"detail\":{\"type\":\"string\"}},"
    "\"required\":[\"code\",\"detail\"],\"oneOf\":[{\"required\":["
    "\"pointer\"]},{\"required\":[\"parameter\"]}]}}},"
    "\"required\":[\"errors\"]}]}";

/* components/responses: name, status text, description, schema */
static const struct {
    int status;
    const char *name, *desc, *schema;
} std_responses[] = {
    {400, "BadRequest",
     "The body is not well-formed (JSON: its offset, line "
     "and column in detail).",
     "Problem"},
    {401, "Unauthorized",
     "Nobody is logged in (or the bearer token was refused): log in, or "
     "send a token (WWW-Authenticate says how).",
     "Problem"},
    {403, "Forbidden",
     "The user lacks the permission or role this operation needs (or a "
     "CSRF check failed).",
     "Problem"},
    {404, "NotFound", "No such row (or an id that is not one).", "Problem"},
    {409, "Conflict",
     "A unique value taken, or a delete refused by a row referring to it.",
     "Problem"},
    {412, "PreconditionFailed",
     "If-Match does not match the row's current ETag: nothing was written.",
     "Problem"},
    {413, "ContentTooLarge",
     "The body is larger than the server takes (server.max_body).", "Problem"},
    {415, "UnsupportedMediaType", "A body of another Content-Type.", "Problem"},
    {422, "ValidationFailed",
     "The input failed validation: every failing field is listed.",
     "ValidationProblem"},
};

static const char *std_response(int status)
{
    for (size_t i = 0; i < sizeof std_responses / sizeof *std_responses; i++)
        if (std_responses[i].status == status)
            return std_responses[i].name;
    return NULL;
}

/* ---- operations ---------------------------------------------------------- */

enum op_kind {
    OP_LIST,
    OP_CREATE,
    OP_GET,
    OP_UPDATE,
    OP_PATCH,
    OP_DELETE,
    OP_ROUTE
};

typedef struct op {
    const char *path;   /* OpenAPI path */
    const char *method; /* "GET"... */
    int kind;
    const kiln_model *m; /* CRUD */
    const oapi_route *r; /* OP_ROUTE */
} op;

static const char *const methods[] = {"GET",     "PUT",  "POST", "DELETE",
                                      "OPTIONS", "HEAD", "PATCH"};

static int method_rank(const char *m)
{
    for (int i = 0; i < 7; i++)
        if (strcmp(methods[i], m) == 0)
            return i;
    return 7;
}

static int cmp_op(const void *a, const void *b)
{
    const op *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : method_rank(x->method) - method_rank(y->method);
}

/* "/files/{...path}" as an OpenAPI path: "/files/{path}". */
static const char *oa_path(oapi_walk *k, const char *pattern)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '{' && strncmp(p + 1, "...", 3) == 0) {
            kiln_buf_putc(&b, '{');
            p += 3;
            continue;
        }
        kiln_buf_putc(&b, *p);
    }
    const char *s = b.p ? kiln_arena_strndup(&k->a, b.p, b.n) : NULL;
    kiln_buf_deinit(&b);
    if (!s)
        k->err = KILN_ENOMEM;
    return s;
}

static bool route_documented(const oapi_route *r)
{
    /* a page's actions (pages/NAME.c answering POST...) are pages too */
    if (r->page || (r->file && strncmp(r->file, "pages/", 6) == 0))
        return false;
    return strcmp(r->method, "WS") != 0 && strcmp(r->method, "HEAD") != 0 &&
           strcmp(r->method, "OPTIONS") != 0;
}

/* Adds a tag once (its first description wins). */
static void add_tag(oapi_walk *k, const char *name, const char *desc)
{
    for (size_t i = 0; i < k->ntags; i++)
        if (strcmp(k->tags[i], name) == 0)
            return;
    if (k->ntags == k->tagcap) {
        size_t cap = k->tagcap ? k->tagcap * 2 : 16;
        const char **t = realloc(k->tags, cap * sizeof *t);
        const char **dd = realloc(k->tagdesc, cap * sizeof *dd);
        if (t)
            k->tags = t;
        if (dd)
            k->tagdesc = dd;
        if (!t || !dd) {
            k->err = KILN_ENOMEM;
            return;
        }
        k->tagcap = cap;
    }
    k->tags[k->ntags] = name;
    k->tagdesc[k->ntags++] = desc;
}

/* The tag of a hand-written route: the first segment after /api/ (or the
   first segment). */
static const char *route_tag(oapi_walk *k, const char *pattern)
{
    const char *p = pattern;
    if (strncmp(p, "/api/", 5) == 0)
        p += 5;
    else if (*p == '/')
        p++;
    size_t n = strcspn(p, "/");
    if (n == 0 || *p == '{')
        return "api";
    const char *t = kiln_arena_strndup(&k->a, p, n);
    if (!t)
        k->err = KILN_ENOMEM;
    return t ? t : "api";
}

static const char *model_tag(const kiln_model *m)
{
    return m->label_plural && *m->label_plural ? m->label_plural : m->name;
}

/* ---- writing an operation ------------------------------------------------ */

static void put_response_ref(oapi_walk *k, int status)
{
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    oapi_kv_ref(&k->w, st, "responses", std_response(status));
}

/* "content": {"application/json": {"schema": {"$ref": ...}}} */
static void put_content(oapi_walk *k, const char *type, const char *schema,
                        bool array)
{
    oapi_w *w = &k->w;
    oapi_w_key(w, "content");
    oapi_w_open(w, '{');
    oapi_w_key(w, type);
    oapi_w_open(w, '{');
    oapi_w_key(w, "schema");
    if (!schema) {
        oapi_w_raw(w, "{}");
    } else if (array) {
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "array");
        oapi_w_key(w, "items");
        oapi_w_sref(w, schema);
        oapi_w_close(w, '}');
    } else
        oapi_w_sref(w, schema);
    oapi_w_close(w, '}');
    oapi_w_close(w, '}');
}

static void put_etag_header(oapi_w *w)
{
    oapi_w_key(w, "headers");
    oapi_w_open(w, '{');
    oapi_w_key(w, "ETag");
    oapi_w_open(w, '{');
    oapi_kv_str(w, "description",
                "The row's strong ETag, for If-None-Match and If-Match.");
    oapi_w_key(w, "schema");
    oapi_w_raw(w, "{\"type\":\"string\"}");
    oapi_w_close(w, '}'); /* the caller closes "headers" */
}

/* A query or path parameter. */
static void put_param(oapi_walk *k, const char *in, const char *name,
                      bool required, const char *desc, const char *schema)
{
    oapi_w *w = &k->w;
    oapi_w_open(w, '{');
    oapi_kv_str(w, "name", name);
    oapi_kv_str(w, "in", in);
    if (required)
        oapi_kv_raw(w, "required", "true");
    if (desc)
        oapi_kv_str(w, "description", desc);
    oapi_kv_raw(w, "schema", schema);
    oapi_w_close(w, '}');
}

static void put_id_param(oapi_walk *k, const kiln_model *m)
{
    char d[160];
    snprintf(d, sizeof d, "The id of the %s.", m->label ? m->label : m->name);
    put_param(k, "path", "id", true, d,
              "{\"type\":\"integer\",\"format\":\"int64\"}");
}

/* The filter parameters of field f: FIELD and FIELD__LOOKUP. */
static void put_names_schema(kiln_buf *b, const char *pre,
                             const char *const *names, uint32_t n,
                             bool with_id);

/* The schema of FIELD__in: comma-separated ids or integers, or enum
   values (when they are plain words: nothing to escape), as a pattern;
   other types a string. */
static void put_in_schema(kiln_buf *b, const kiln_field *f)
{
    if (f->type == KILN_FT_INT || f->type == KILN_FT_REF ||
        f->type == KILN_FT_MANY) {
        kiln_buf_puts(b, "{\"type\":\"string\","
                         "\"pattern\":\"^-?[0-9]+(,-?[0-9]+)*$\"}");
        return;
    }
    bool words = f->type == KILN_FT_ENUM && f->nvalues > 0;
    for (uint32_t i = 0; words && i < f->nvalues; i++)
        for (const char *c = f->values[i]; words && *c; c++)
            words = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
    if (words)
        put_names_schema(b, "", f->values, f->nvalues, false);
    else
        kiln_buf_puts(b, "{\"type\":\"string\"}");
}

static void put_filters(oapi_walk *k, const kiln_model *m, const kiln_field *f)
{
    oapi_w *w = &k->w;
    char name[160], d[320];
    oapi_w_open(w, '{');
    oapi_kv_str(w, "name", f->name);
    oapi_kv_str(w, "in", "query");
    snprintf(d, sizeof d, "Only the %s whose %s is this.", model_tag(m),
             f->label ? f->label : f->name);
    oapi_kv_str(w, "description", d);
    oapi_w_key(w, "schema");
    kiln_field v = *f; /* the value: as the field, never null */
    v.flags &= (uint16_t) ~(KILN_FF_OPTIONAL | KILN_FF_READ_ONLY | KILN_FF_PK |
                            KILN_FF_WRITE_ONLY);
    v.label = NULL;
    v.help = NULL;
    v.def = NULL;
    v.min_length = -1;
    v.max_length = -1;
    v.pattern = NULL;
    if (v.type == KILN_FT_MANY || v.type == KILN_FT_REF)
        v.type = KILN_FT_INT; /* an id to match: any (0 matches no row) */
    oapi_field_schema(k, m, &v, OAPI_IN, false);
    oapi_w_close(w, '}');
    static const char *const cmp[] = {"ne", "lt", "lte", "gt", "gte"};
    for (size_t i = 0; i < 5; i++) {
        if (i > 0 && !oapi_type_ordered(f->type))
            break;
        snprintf(name, sizeof name, "%s__%s", f->name, cmp[i]);
        oapi_w_open(w, '{');
        oapi_kv_str(w, "name", name);
        oapi_kv_str(w, "in", "query");
        oapi_w_key(w, "schema");
        oapi_field_schema(k, m, &v, OAPI_IN, false);
        oapi_w_close(w, '}');
    }
    snprintf(name, sizeof name, "%s__in", f->name);
    kiln_buf in;
    kiln_buf_init(&in);
    put_in_schema(&in, f);
    put_param(k, "query", name, false, "Comma-separated values.",
              in.p ? in.p : "{}");
    kiln_buf_deinit(&in);
    if (oapi_type_text(f->type)) {
        snprintf(name, sizeof name, "%s__contains", f->name);
        put_param(k, "query", name, false, "Contains this text.",
                  "{\"type\":\"string\"}");
        snprintf(name, sizeof name, "%s__icontains", f->name);
        put_param(k, "query", name, false, "Contains this text, ignoring case.",
                  "{\"type\":\"string\"}");
    }
    if (f->flags & KILN_FF_OPTIONAL) {
        snprintf(name, sizeof name, "%s__isnull", f->name);
        put_param(k, "query", name, false, "true: only null; false: none.",
                  "{\"type\":\"boolean\"}");
    }
}

/* A string schema whose pattern is a comma-separated list of names (and
   id when with_id), each after an optional prefix: "-?" for ordering.
   Names are C identifiers: nothing to escape. */
static void put_names_schema(kiln_buf *b, const char *pre,
                             const char *const *names, uint32_t n, bool with_id)
{
    kiln_buf alt;
    kiln_buf_init(&alt);
    for (uint32_t i = 0; i < n; i++)
        kiln_buf_printf(&alt, "%s%s", i ? "|" : "", names[i]);
    if (with_id)
        kiln_buf_printf(&alt, "%sid", n ? "|" : "");
    const char *a = alt.p ? alt.p : "";
    kiln_buf_printf(b,
                    "{\"type\":\"string\",\"pattern\":"
                    "\"^%s(%s)(,%s(%s))*$\"}",
                    pre, a, pre, a);
    kiln_buf_deinit(&alt);
}

static void put_list_params(oapi_walk *k, const kiln_model *m)
{
    const kiln_model_api *api = m->api;
    char s[256];
    uint32_t max = api->max_page_size ? api->max_page_size : 100;
    uint32_t def = api->page_size ? api->page_size : 20;
    snprintf(s, sizeof s,
             "{\"type\":\"integer\",\"minimum\":1,\"maximum\":%u,"
             "\"default\":%u}",
             max, def);
    put_param(k, "query", "limit", false, "The most rows on a page.", s);
    put_param(k, "query", "cursor", false,
              "The next of the previous page (opaque).",
              "{\"type\":\"string\"}");
    put_param(k, "query", "offset", false,
              "Rows to skip: offset mode (the page has count, next is null).",
              "{\"type\":\"integer\",\"minimum\":0}");
    kiln_buf d, sch;
    kiln_buf_init(&d);
    kiln_buf_init(&sch);
    kiln_buf_puts(&d, "Comma-separated fields, '-' for descending, among: ");
    for (uint32_t i = 0; i < api->nordering; i++)
        kiln_buf_printf(&d, "%s, ", api->ordering[i]);
    kiln_buf_puts(&d, "id.");
    /* the fields as a pattern too, for a client or a checker to read */
    put_names_schema(&sch, "-?", api->ordering, api->nordering, true);
    put_param(k, "query", "ordering", false, d.p ? d.p : "",
              sch.p ? sch.p : "{}");
    if (api->nsearch) {
        kiln_buf_clear(&d);
        kiln_buf_puts(&d, "Text looked for (any case) in: ");
        for (uint32_t i = 0; i < api->nsearch; i++)
            kiln_buf_printf(&d, "%s%s", i ? ", " : "", api->search[i]);
        kiln_buf_putc(&d, '.');
        put_param(k, "query", "search", false, d.p ? d.p : "",
                  "{\"type\":\"string\"}");
    }
    if (api->nexpand) {
        kiln_buf_clear(&d);
        kiln_buf_puts(&d, "Comma-separated fields whose row replaces its id: ");
        for (uint32_t i = 0; i < api->nexpand; i++)
            kiln_buf_printf(&d, "%s%s", i ? ", " : "", api->expand[i]);
        kiln_buf_putc(&d, '.');
        kiln_buf_clear(&sch);
        put_names_schema(&sch, "", api->expand, api->nexpand, false);
        put_param(k, "query", "expand", false, d.p ? d.p : "",
                  sch.p ? sch.p : "{}");
    }
    kiln_buf_deinit(&d);
    kiln_buf_deinit(&sch);
    for (uint32_t i = 0; i < api->nfilters; i++) {
        int fi = kiln_model_field(m, kiln_str_c(api->filters[i]));
        if (fi >= 0)
            put_filters(k, m, &m->fields[fi]);
    }
}

static void put_if_match(oapi_walk *k)
{
    put_param(k, "header", "If-Match", false,
              "The ETag the row must still have (or *): else 412.",
              "{\"type\":\"string\"}");
}

/* What an operation needs of its caller. */
enum { NEED_NONE, NEED_LOGIN, NEED_PERM };

/* The need of a model's generated API: its [api] permissions, the default
   resolved as the app does (auth/perm.c). */
static int crud_need(const oapi_walk *k, const kiln_model *m)
{
    uint32_t a = m->api->access;
    if (a == KILN_API_DEFAULT)
        a = k->d->roles ? KILN_API_ROLES : KILN_API_PUBLIC;
    return a == KILN_API_ROLES           ? NEED_PERM
           : a == KILN_API_AUTHENTICATED ? NEED_LOGIN
                                         : NEED_NONE;
}

/* The need of an endpoint's auth = "..." (NULL: none). */
static int route_need(const kiln_endpoint *ep)
{
    if (!ep || !ep->auth || strcmp(ep->auth, "public") == 0)
        return NEED_NONE;
    return strcmp(ep->auth, "login") == 0 ? NEED_LOGIN : NEED_PERM;
}

/* An operation's security: any of the schemes (securitySchemes), and
   what it needs said in x-kiln-auth for readers and tools. */
static void put_security(oapi_walk *k, int need, const char *what)
{
    if (need == NEED_NONE)
        return;
    oapi_w *w = &k->w;
    k->secured = true;
    oapi_w_key(w, "security");
    oapi_w_raw(w, k->d->oidc_issuer
                      ? "[{\"session\":[]},{\"token\":[]},{\"oidc\":[]}]"
                      : "[{\"session\":[]},{\"token\":[]}]");
    oapi_kv_str(w, "x-kiln-auth", what);
}

/* The responses a need adds: 401, and 403 for a permission or role. */
static void put_auth_responses(oapi_walk *k, int need)
{
    if (need == NEED_NONE)
        return;
    put_response_ref(k, 401);
    if (need == NEED_PERM)
        put_response_ref(k, 403);
}

static void crud_op(oapi_walk *k, const op *o)
{
    oapi_w *w = &k->w;
    const kiln_model *m = o->m;
    char sing[128], plural[128], id[300], sum[300];
    oapi_pascal(m->name, sing, sizeof sing);
    oapi_pascal(m->api->path, plural, sizeof plural);
    const char *label = m->label ? m->label : m->name;
    static const char *const verbs[] = {"list",   "create", "get",
                                        "update", "patch",  "delete"};
    snprintf(id, sizeof id, "%s%s", verbs[o->kind],
             o->kind == OP_LIST ? plural : sing);
    switch (o->kind) {
    case OP_LIST:
        snprintf(sum, sizeof sum, "List %s", model_tag(m));
        break;
    case OP_CREATE:
        snprintf(sum, sizeof sum, "Create a %s", label);
        break;
    case OP_GET:
        snprintf(sum, sizeof sum, "Get a %s", label);
        break;
    case OP_UPDATE:
        snprintf(sum, sizeof sum, "Replace a %s", label);
        break;
    case OP_PATCH:
        snprintf(sum, sizeof sum, "Update part of a %s", label);
        break;
    default:
        snprintf(sum, sizeof sum, "Delete a %s", label);
    }
    const char *out = oapi_comp_name(k, m, OAPI_OUT, NULL);
    oapi_kv_str(w, "operationId", id);
    oapi_kv_str(w, "summary", sum);
    oapi_w_key(w, "tags");
    oapi_w_open(w, '[');
    oapi_w_str(w, model_tag(m));
    oapi_w_close(w, ']');
    static const char *const actions[] = {"view",   "add",    "view",
                                          "change", "change", "delete"};
    int need = crud_need(k, m);
    const char *what =
        need == NEED_PERM
            ? kiln_arena_printf(&k->a, "perm:%s.%s", m->name, actions[o->kind])
            : "login";
    put_security(k, need, what ? what : "login");
    if (o->kind != OP_LIST && o->kind != OP_CREATE) {
        oapi_w_key(w, "parameters");
        oapi_w_open(w, '[');
        put_id_param(k, m);
        if (o->kind >= OP_UPDATE)
            put_if_match(k);
        else
            put_param(k, "header", "If-None-Match", false,
                      "An ETag the client has: 304 when it still matches.",
                      "{\"type\":\"string\"}");
        oapi_w_close(w, ']');
    } else if (o->kind == OP_LIST) {
        oapi_w_key(w, "parameters");
        oapi_w_open(w, '[');
        put_list_params(k, m);
        oapi_w_close(w, ']');
    }
    if (o->kind == OP_CREATE || o->kind == OP_UPDATE || o->kind == OP_PATCH) {
        const kiln_model *bm =
            o->kind == OP_CREATE ? oapi_create_body(k, m) : m;
        if (!bm)
            return;
        const char *in = oapi_comp_name(
            k, bm, o->kind == OP_PATCH ? OAPI_PATCH : OAPI_IN, NULL);
        oapi_w_key(w, "requestBody");
        oapi_w_open(w, '{');
        oapi_kv_raw(w, "required", "true");
        oapi_w_key(w, "content");
        oapi_w_open(w, '{');
        const char *types[] = {o->kind == OP_PATCH
                                   ? "application/merge-patch+json"
                                   : "application/json",
                               o->kind == OP_PATCH ? "application/json" : NULL};
        for (int i = 0; i < 2 && types[i]; i++) {
            oapi_w_key(w, types[i]);
            oapi_w_open(w, '{');
            oapi_w_key(w, "schema");
            if (in)
                oapi_w_sref(w, in);
            oapi_w_close(w, '}');
        }
        oapi_w_close(w, '}');
        oapi_w_close(w, '}');
    }
    oapi_w_key(w, "responses");
    oapi_w_open(w, '{');
    switch (o->kind) {
    case OP_LIST: {
        const char *page = oapi_comp_name(k, m, OAPI_PAGE, NULL);
        oapi_w_key(w, "200");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description", "A page of rows.");
        put_content(k, "application/json", page, false);
        oapi_w_close(w, '}');
        put_response_ref(k, 422);
        break;
    }
    case OP_DELETE:
        oapi_w_key(w, "204");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description", "Deleted.");
        oapi_w_close(w, '}');
        put_response_ref(k, 404);
        put_response_ref(k, 409);
        put_response_ref(k, 412);
        break;
    default: {
        oapi_w_key(w, o->kind == OP_CREATE ? "201" : "200");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description",
                    o->kind == OP_CREATE ? "Created: the new row."
                    : o->kind == OP_GET  ? "The row."
                                         : "The row as written.");
        put_etag_header(w);
        if (o->kind == OP_CREATE) {
            oapi_w_key(w, "Location");
            oapi_w_open(w, '{');
            oapi_kv_str(w, "description", "The new row's URL.");
            oapi_kv_raw(w, "schema", "{\"type\":\"string\"}");
            oapi_w_close(w, '}');
            oapi_w_close(w, '}'); /* headers */
        } else
            oapi_w_close(w, '}'); /* headers */
        put_content(k, "application/json", out, false);
        oapi_w_close(w, '}');
        if (o->kind == OP_GET) {
            oapi_w_key(w, "304");
            oapi_w_open(w, '{');
            oapi_kv_str(w, "description", "Not modified (If-None-Match).");
            oapi_w_close(w, '}');
            put_response_ref(k, 404);
            break;
        }
        put_response_ref(k, 400);
        if (o->kind != OP_CREATE)
            put_response_ref(k, 404);
        put_response_ref(k, 409);
        if (o->kind != OP_CREATE)
            put_response_ref(k, 412);
        put_response_ref(k, 413);
        put_response_ref(k, 415);
        put_response_ref(k, 422);
    }
    }
    put_auth_responses(k, need);
    oapi_w_close(w, '}');
}

void oapi_route_op_id(const oapi_route *r, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = r->method; *p && k + 1 < n; p++)
        out[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    const char *p = r->pattern;
    if (strncmp(p, "/api/", 5) == 0)
        p += 4;
    char seg[256];
    while (*p && k + 1 < n) {
        p += *p == '/';
        size_t len = strcspn(p, "/");
        if (!len)
            break;
        char part[200];
        if (p[0] == '{') {
            const char *s = p + 1;
            if (strncmp(s, "...", 3) == 0)
                s += 3;
            size_t pl = (size_t)(p + len - 1 - s);
            snprintf(part, sizeof part, "by_%.*s", (int)pl, s);
        } else
            snprintf(part, sizeof part, "%.*s", (int)len, p);
        oapi_pascal(part, seg, sizeof seg);
        for (const char *q = seg; *q && k + 1 < n; q++)
            out[k++] = *q;
        p += len;
    }
    out[k] = 0;
}

/* The path parameters of a pattern without an endpoint schema. */
static void put_pattern_params(oapi_walk *k, const char *pattern)
{
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *s = p + 1;
        bool rest = strncmp(s, "...", 3) == 0;
        if (rest)
            s += 3;
        const char *e = strchr(s, '}');
        if (!e)
            break;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(e - s), s);
        put_param(k, "path", name, true, rest ? "The rest of the path." : NULL,
                  "{\"type\":\"string\"}");
    }
}

static bool has_file(const kiln_model *m)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (m->fields[i].type == KILN_FT_FILE ||
            (m->fields[i].type == KILN_FT_LIST &&
             m->fields[i].item_type == KILN_FT_FILE))
            return true;
    return false;
}

/* The parameters of an endpoint schema's path or query part. */
static void put_part_params(oapi_walk *k, const kiln_model *m, const char *in)
{
    oapi_w *w = &k->w;
    for (uint32_t i = 0; m && i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        oapi_w_open(w, '{');
        oapi_kv_str(w, "name", f->name);
        oapi_kv_str(w, "in", in);
        if (*in == 'p' || oapi_field_required(f))
            oapi_kv_raw(w, "required", "true");
        if (f->help && *f->help)
            oapi_kv_str(w, "description", f->help);
        oapi_w_key(w, "schema");
        kiln_field v = *f;
        v.help = NULL;
        oapi_field_schema(k, m, &v, OAPI_IN, false);
        if (f->type == KILN_FT_LIST)
            oapi_kv_raw(w, "explode", "true");
        oapi_w_close(w, '}');
    }
}

static void route_op(oapi_walk *k, const op *o)
{
    oapi_w *w = &k->w;
    const oapi_route *r = o->r;
    const kiln_endpoint *ep = r->endpoint;
    char id[300], sum[400];
    oapi_route_op_id(r, id, sizeof id);
    oapi_kv_str(w, "operationId", id);
    if (ep && ep->summary)
        snprintf(sum, sizeof sum, "%s", ep->summary);
    else
        snprintf(sum, sizeof sum, "%s %s", r->method, r->pattern);
    oapi_kv_str(w, "summary", sum);
    if (ep && ep->description)
        oapi_kv_str(w, "description", ep->description);
    else if (!ep) {
        char d[400];
        snprintf(d, sizeof d,
                 "Handled by %s, which declares no endpoint schema: it takes "
                 "and answers any JSON.",
                 r->file);
        oapi_kv_str(w, "description", d);
    }
    const char *tag = route_tag(k, r->pattern);
    oapi_w_key(w, "tags");
    oapi_w_open(w, '[');
    oapi_w_str(w, tag);
    oapi_w_close(w, ']');
    int need = route_need(ep);
    put_security(k, need, need ? ep->auth : NULL);
    bool any_params = strchr(r->pattern, '{') || (ep && ep->query);
    if (any_params) {
        oapi_w_key(w, "parameters");
        oapi_w_open(w, '[');
        if (ep && ep->path)
            put_part_params(k, ep->path, "path");
        else
            put_pattern_params(k, r->pattern);
        if (ep && ep->query)
            put_part_params(k, ep->query, "query");
        oapi_w_close(w, ']');
    }
    bool body = ep ? ep->body != NULL
                   : strcmp(r->method, "POST") == 0 ||
                         strcmp(r->method, "PUT") == 0 ||
                         strcmp(r->method, "PATCH") == 0;
    if (body) {
        oapi_w_key(w, "requestBody");
        oapi_w_open(w, '{');
        if (ep) {
            oapi_kv_raw(w, "required", "true");
            /* a body that is a model's own fields or a part of them */
            const kiln_model *bm = ep->body;
            const char *n = NULL;
            if (bm->flags & KILN_MF_ENDPOINT && bm->table) {
                /* a part of a model's fields: named after the endpoint */
                {
                    char nm[200];
                    snprintf(nm, sizeof nm, "%s_body", ep->name);
                    kiln_model *alias = kiln_arena_alloc(&k->a, sizeof *alias);
                    if (!alias) {
                        k->err = KILN_ENOMEM;
                        oapi_w_close(w, '}');
                        return;
                    }
                    *alias = *bm;
                    alias->name = kiln_arena_strndup(&k->a, nm, strlen(nm));
                    alias->table = NULL; /* named as an endpoint part */
                    n = alias->name ? oapi_comp_name(k, alias, OAPI_IN, NULL)
                                    : NULL;
                }
            } else
                n = oapi_comp_name(k, bm, OAPI_IN, NULL);
            put_content(
                k, has_file(bm) ? "multipart/form-data" : "application/json", n,
                false);
        } else {
            oapi_kv_str(w, "description", "Any JSON.");
            put_content(k, "application/json", NULL, false);
        }
        oapi_w_close(w, '}');
    }
    oapi_w_key(w, "responses");
    oapi_w_open(w, '{');
    bool ok = false, has[600] = {0};
    for (uint32_t i = 0; ep && i < ep->nresponses; i++) {
        const kiln_response *rs = &ep->responses[i];
        if (rs->status < 100 || rs->status > 599 || has[rs->status])
            continue;
        has[rs->status] = true;
        ok |= rs->status < 400;
        char st[8];
        snprintf(st, sizeof st, "%d", rs->status);
        oapi_w_key(w, st);
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description",
                    rs->description    ? rs->description
                    : rs->status < 300 ? "Success."
                                       : "An error.");
        if (rs->model) {
            const char *n = oapi_comp_name(k, rs->model, OAPI_OUT, NULL);
            put_content(k,
                        rs->status >= 400 ? "application/problem+json"
                                          : "application/json",
                        n, rs->list);
        } else if (rs->status >= 400) {
            /* the handler answers an error with kiln_problem */
            put_content(k, "application/problem+json", "Problem", false);
        }
        oapi_w_close(w, '}');
    }
    if (!ok) {
        oapi_w_key(w, "200");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description", ep ? "Success." : "Any JSON.");
        if (!ep)
            put_content(k, "application/json", NULL, false);
        oapi_w_close(w, '}');
    }
    if (!ep) { /* whatever the handler answers with kiln_problem */
        oapi_w_key(w, "4XX");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description", "An error.");
        put_content(k, "application/problem+json", "Problem", false);
        oapi_w_close(w, '}');
    }
    if (ep) {
        if (ep->body && !has[400])
            put_response_ref(k, 400);
        if (ep->path && !has[404])
            put_response_ref(k, 404);
        if (ep->body && !has[413])
            put_response_ref(k, 413);
        if (ep->body && !has[415])
            put_response_ref(k, 415);
        if ((ep->body || ep->query) && !has[422])
            put_response_ref(k, 422);
        if (need != NEED_NONE && !has[401])
            put_response_ref(k, 401);
        if (need == NEED_PERM && !has[403])
            put_response_ref(k, 403);
    }
    oapi_w_close(w, '}');
}

/* ---- the document -------------------------------------------------------- */

static int add_op(oapi_walk *k, op **ops, size_t *n, size_t *cap, op o)
{
    if (!o.path)
        return KILN_ENOMEM;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        op *v = realloc(*ops, c * sizeof *v);
        if (!v)
            return k->err = KILN_ENOMEM;
        *ops = v;
        *cap = c;
    }
    (*ops)[(*n)++] = o;
    return 0;
}

static const struct {
    uint32_t bit;
    int kind;
    const char *method;
    bool item;
} crud[] = {
    {KILN_API_LIST, OP_LIST, "GET", false},
    {KILN_API_CREATE, OP_CREATE, "POST", false},
    {KILN_API_RETRIEVE, OP_GET, "GET", true},
    {KILN_API_UPDATE, OP_UPDATE, "PUT", true},
    {KILN_API_PATCH, OP_PATCH, "PATCH", true},
    {KILN_API_DELETE, OP_DELETE, "DELETE", true},
};

bool oapi_has_operations(const oapi_doc *d)
{
    for (size_t i = 0; i < d->nmodels; i++)
        if (d->models[i]->api && d->models[i]->api->ops)
            return true;
    for (size_t i = 0; i < d->nroutes; i++)
        if (route_documented(&d->routes[i]))
            return true;
    return false;
}

/* Collects every operation: the routes, then the CRUD no route replaces. */
static int collect(oapi_walk *k, op **ops, size_t *n, size_t *cap)
{
    const oapi_doc *d = k->d;
    for (size_t i = 0; i < d->nroutes; i++) {
        const oapi_route *r = &d->routes[i];
        if (!route_documented(r))
            continue;
        if (add_op(k, ops, n, cap,
                   (op){oa_path(k, r->pattern), r->method, OP_ROUTE, NULL, r}))
            return KILN_ENOMEM;
    }
    size_t nroutes = *n;
    for (size_t i = 0; i < d->nmodels; i++) {
        const kiln_model *m = d->models[i];
        if (!m->api || !m->api->path)
            continue;
        for (size_t c = 0; c < sizeof crud / sizeof *crud; c++) {
            if (!(m->api->ops & crud[c].bit))
                continue;
            const char *path = kiln_arena_printf(
                &k->a, "/api/%s%s", m->api->path, crud[c].item ? "/{id}" : "");
            if (!path)
                return k->err = KILN_ENOMEM;
            bool taken = false;
            for (size_t j = 0; j < nroutes && !taken; j++)
                taken = strcmp((*ops)[j].method, crud[c].method) == 0 &&
                        strcmp((*ops)[j].path, path) == 0;
            if (!taken &&
                add_op(k, ops, n, cap,
                       (op){path, crud[c].method, crud[c].kind, m, NULL}))
                return KILN_ENOMEM;
        }
    }
    return 0;
}

/* components/securitySchemes: how a client proves who it is
   (docs/auth.md): the session cookie, a bearer token (a Kiln API token or
   an OIDC access token), and the OIDC provider when one is configured. */
static void put_schemes(oapi_walk *k)
{
    oapi_w *w = &k->w;
    oapi_w_key(w, "securitySchemes");
    oapi_w_open(w, '{');
    oapi_w_key(w, "session");
    oapi_w_open(w, '{');
    oapi_kv_str(w, "type", "apiKey");
    oapi_kv_str(w, "in", "cookie");
    oapi_kv_str(w, "name", "kiln_session");
    oapi_kv_str(w, "description",
                "The session cookie set by logging in (named "
                "__Host-kiln_session over TLS). Unsafe methods also need the "
                "X-CSRF-Token header.");
    oapi_w_close(w, '}');
    oapi_w_key(w, "token");
    oapi_w_open(w, '{');
    oapi_kv_str(w, "type", "http");
    oapi_kv_str(w, "scheme", "bearer");
    oapi_kv_str(w, "description",
                k->d->oidc_issuer
                    ? "Authorization: Bearer with a Kiln API token (kiln_...) "
                      "or an access token (a JWT) of the OIDC issuer."
                    : "Authorization: Bearer with a Kiln API token "
                      "(kiln_...).");
    oapi_w_close(w, '}');
    if (k->d->oidc_issuer) {
        size_t n = strlen(k->d->oidc_issuer);
        while (n && k->d->oidc_issuer[n - 1] == '/')
            n--;
        char *url =
            kiln_arena_printf(&k->a, "%.*s/.well-known/openid-configuration",
                              (int)n, k->d->oidc_issuer);
        if (!url) {
            k->err = KILN_ENOMEM;
            return;
        }
        oapi_w_key(w, "oidc");
        oapi_w_open(w, '{');
        oapi_kv_str(w, "type", "openIdConnect");
        oapi_kv_str(w, "openIdConnectUrl", url);
        oapi_w_close(w, '}');
    }
    oapi_w_close(w, '}');
}

int oapi_write(const oapi_doc *d, kiln_buf *out)
{
    oapi_walk k = {.d = d};
    kiln_arena_init(&k.a, 0);
    kiln_buf b;
    kiln_buf_init(&b);
    k.w.b = &b;
    oapi_w *w = &k.w;
    op *ops = NULL;
    size_t nops = 0, cap = 0;
    if (collect(&k, &ops, &nops, &cap) != 0)
        goto out;
    if (nops)
        qsort(ops, nops, sizeof *ops, cmp_op);

    oapi_w_open(w, '{');
    oapi_kv_str(w, "openapi", "3.1.0");
    oapi_w_key(w, "info");
    oapi_w_open(w, '{');
    oapi_kv_str(w, "title", d->title ? d->title : "app");
    oapi_kv_str(w, "version", d->version ? d->version : "1.0.0");
    oapi_w_close(w, '}');
    oapi_w_key(w, "servers");
    oapi_w_raw(w, "[{\"url\":\"/\",\"description\":\"this server\"}]");
    oapi_w_key(w, "security");
    oapi_w_raw(w, "[]");

    /* the models' tags first: a handler under the same path shares it */
    for (size_t i = 0; i < nops; i++)
        if (ops[i].kind != OP_ROUTE) {
            const kiln_model *m = ops[i].m;
            const char *desc =
                m->help && *m->help
                    ? m->help
                    : kiln_arena_printf(&k.a,
                                        "The %s: the API Kiln makes from "
                                        "%s.",
                                        model_tag(m),
                                        m->file ? m->file : m->name);
            add_tag(&k, model_tag(m), desc);
        }
    oapi_w_key(w, "paths");
    oapi_w_open(w, '{');
    for (size_t i = 0; i < nops; i++) {
        if (i == 0 || strcmp(ops[i].path, ops[i - 1].path) != 0) {
            if (i)
                oapi_w_close(w, '}');
            oapi_w_key(w, ops[i].path);
            oapi_w_open(w, '{');
        }
        char lower[8];
        size_t j = 0;
        for (; ops[i].method[j] && j < 7; j++)
            lower[j] = (char)(ops[i].method[j] - 'A' + 'a');
        lower[j] = 0;
        oapi_w_key(w, lower);
        oapi_w_open(w, '{');
        if (ops[i].kind == OP_ROUTE) {
            route_op(&k, &ops[i]);
            add_tag(&k, route_tag(&k, ops[i].r->pattern), NULL);
        } else {
            crud_op(&k, &ops[i]);
        }
        oapi_w_close(w, '}');
    }
    if (nops)
        oapi_w_close(w, '}');
    oapi_w_close(w, '}');

    oapi_w_key(w, "tags");
    oapi_w_open(w, '[');
    for (size_t i = 0; i < k.ntags; i++) {
        oapi_w_open(w, '{');
        oapi_kv_str(w, "name", k.tags[i]);
        char dd[256];
        if (!k.tagdesc[i])
            snprintf(dd, sizeof dd, "The handlers of api/%s.", k.tags[i]);
        oapi_kv_str(w, "description", k.tagdesc[i] ? k.tagdesc[i] : dd);
        oapi_w_close(w, '}');
    }
    oapi_w_close(w, ']');

    oapi_w_key(w, "components");
    oapi_w_open(w, '{');
    oapi_w_key(w, "schemas");
    oapi_w_open(w, '{');
    for (size_t i = 0; i < k.ncomps; i++) { /* writing may add more */
        oapi_comp c = k.comps[i];
        oapi_write_comp(&k, &c);
    }
    oapi_kv_raw(w, "Problem", problem_schema);
    oapi_kv_raw(w, "ValidationProblem", vproblem_schema);
    oapi_w_close(w, '}');
    oapi_w_key(w, "responses");
    oapi_w_open(w, '{');
    for (size_t i = 0; i < sizeof std_responses / sizeof *std_responses; i++) {
        oapi_w_key(w, std_responses[i].name);
        oapi_w_open(w, '{');
        oapi_kv_str(w, "description", std_responses[i].desc);
        put_content(&k, "application/problem+json", std_responses[i].schema,
                    false);
        oapi_w_close(w, '}');
    }
    oapi_w_close(w, '}');
    if (k.secured)
        put_schemes(&k);
    oapi_w_close(w, '}');
    oapi_w_close(w, '}');
out:;
    int rc = k.err ? k.err : w->err ? KILN_ENOMEM : 0;
    if (rc == 0)
        rc = oapi_indent(b.p, b.n, out);
    free(ops);
    free(k.comps);
    free(k.tags);
    free(k.tagdesc);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&k.a);
    return rc;
}
