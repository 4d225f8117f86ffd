/*
 * tests/openapi/test_openapi.c - the OpenAPI walker (src/openapi) over
 * hand-built models: types and formats, nullables as type arrays, named
 * enums, constraints, input/output/patch/page components, operations and
 * their names, parameters, a hand-written route replacing a generated one,
 * endpoint schemas and free-form handlers. Each document is parsed back
 * with kiln_json_parse and read by path.
 */
#include "openapi/openapi.h"
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* F() sets the length bounds to none; a field may set them again, as
   designated initializers allow */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

static const char *const status_values[] = {"open", "doing", "done"};
static const char *const filters[] = {"status", "title", "due"};
static const char *const ordering[] = {"due"};
static const char *const search[] = {"title"};
static const char *const expand[] = {"owner"};

#define F(N, T)                                                                \
    .name = N, .label = N, .type = T, .min_length = -1, .max_length = -1

static const kiln_field owner_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F("name", KILN_FT_STRING), .max_length = 40},
};
static const kiln_model owner_model = {.name = "owner",
                                       .table = "owner",
                                       .label = "owner",
                                       .label_plural = "owners",
                                       .fields = owner_fields,
                                       .nfields = 2};

static const kiln_field task_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F("title", KILN_FT_STRING), .max_length = 200, .help = "What to do",
     .pattern = "^[A-Z]"},
    {F("note", KILN_FT_TEXT), .flags = KILN_FF_OPTIONAL | KILN_FF_BLANK},
    {F("status", KILN_FT_ENUM), .values = status_values, .nvalues = 3,
     .def = "\"open\""},
    {F("rank", KILN_FT_INT), .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX,
     .min = 1, .max = 9},
    {F("due", KILN_FT_DATE), .flags = KILN_FF_OPTIONAL},
    {F("cost", KILN_FT_DECIMAL), .precision = 8, .scale = 2},
    {F("owner", KILN_FT_REF), .flags = KILN_FF_OPTIONAL, .ref = &owner_model},
    {F("secret", KILN_FT_STRING), .flags = KILN_FF_WRITE_ONLY,
     .max_length = 60},
    {F("mood", KILN_FT_ENUM), .flags = KILN_FF_OPTIONAL,
     .values = status_values, .nvalues = 3},
    {F("at", KILN_FT_DATETIME),
     .flags = KILN_FF_READ_ONLY | KILN_FF_AUTO_CREATED},
};
static const kiln_model_api task_api = {
    .ops = KILN_API_LIST | KILN_API_RETRIEVE | KILN_API_CREATE |
           KILN_API_UPDATE | KILN_API_PATCH | KILN_API_DELETE,
    .path = "task-items",
    .filters = filters,
    .nfilters = 3,
    .ordering = ordering,
    .nordering = 1,
    .search = search,
    .nsearch = 1,
    .expand = expand,
    .nexpand = 1,
    .page_size = 25,
    .max_page_size = 75};
static const kiln_model task_model = {.name = "task_item",
                                      .table = "task_item",
                                      .label = "task",
                                      .label_plural = "tasks",
                                      .fields = task_fields,
                                      .nfields = 11,
                                      .api = &task_api};

/* an endpoint schema: POST /api/boards/{id}/star */
static const kiln_field star_path_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_HAS_MIN, .min = 1},
};
static const kiln_model star_path = {.name = "star_path",
                                     .fields = star_path_fields,
                                     .nfields = 1,
                                     .flags = KILN_MF_ENDPOINT};
static const kiln_field star_body_fields[] = {
    {F("reason", KILN_FT_STRING), .flags = KILN_FF_OPTIONAL, .max_length = 9},
    {F("tags", KILN_FT_LIST), .item_type = KILN_FT_STRING, .max_length = 5,
     .flags = KILN_FF_HAS_MAX, .max = 3},
};
static const kiln_model star_body = {.name = "star_body",
                                     .fields = star_body_fields,
                                     .nfields = 2,
                                     .flags = KILN_MF_ENDPOINT};
static const kiln_response star_responses[] = {
    {200, &owner_model, true, "the owners"},
    {404, NULL, false, "no such board"},
};
static const kiln_endpoint star_ep = {.method = "POST",
                                      .route = "/api/boards/{id}/star",
                                      .name = "star",
                                      .summary = "Star a board",
                                      .path = &star_path,
                                      .body = &star_body,
                                      .responses = star_responses,
                                      .nresponses = 2};

/* PUT /api/owners/{id}/card: a part of owner's fields as the body;
   POST /api/owners/{id}/photo: a multipart body with a nested object */
static const kiln_model owner_part = {.name = "owner",
                                      .table = "owner",
                                      .label = "owner",
                                      .fields = owner_fields + 1,
                                      .nfields = 1,
                                      .flags = KILN_MF_ENDPOINT};
static const kiln_endpoint card_ep = {.method = "PUT",
                                      .route = "/api/owners/{id}/card",
                                      .name = "card",
                                      .body = &owner_part};
static const kiln_field geo_fields[] = {
    {F("lat", KILN_FT_FLOAT)},
    {F("lng", KILN_FT_FLOAT)},
};
static const kiln_model geo = {.name = "photo_body_geo",
                               .fields = geo_fields,
                               .nfields = 2,
                               .flags = KILN_MF_ENDPOINT};
static const kiln_field photo_fields[] = {
    {F("image", KILN_FT_FILE)},
    {F("geo", KILN_FT_OBJECT), .flags = KILN_FF_OPTIONAL, .ref = &geo},
    {F("owner", KILN_FT_INT)},
};
static const kiln_model photo_body = {.name = "photo_body",
                                      .fields = photo_fields,
                                      .nfields = 3,
                                      .flags = KILN_MF_ENDPOINT};
static const kiln_endpoint photo_ep = {.method = "POST",
                                       .route = "/api/owners/{id}/photo",
                                       .name = "photo",
                                       .body = &photo_body};

static kiln_model *const models[] = {(kiln_model *)&owner_model,
                                     (kiln_model *)&task_model};

typedef struct doc {
    kiln_arena a;
    kiln_buf b;
    kiln_json *root;
} doc;

static void doc_make(doc *d, const oapi_route *routes, size_t n)
{
    oapi_doc in = {.title = "t",
                   .models = models,
                   .nmodels = 2,
                   .routes = routes,
                   .nroutes = n};
    kiln_arena_init(&d->a, 0);
    kiln_buf_init(&d->b);
    CHECK_INT(oapi_write(&in, &d->b), 0);
    kiln_json_error e;
    CHECK_INT(kiln_json_parse(&d->a, d->b.p, d->b.n, 0, &d->root, &e), 0);
}

static void doc_free(doc *d)
{
    kiln_buf_deinit(&d->b);
    kiln_arena_deinit(&d->a);
}

/* The value at the keys given (NULL-terminated; "#3": item 3), or NULL. */
static const kiln_json *at(const kiln_json *v, ...)
{
    va_list ap;
    va_start(ap, v);
    for (const char *k; v && (k = va_arg(ap, const char *));) {
        if (k[0] == '#') {
            size_t i = (size_t)atoi(k + 1);
            v = v->type == KILN_JSON_ARRAY && i < v->u.array.n
                    ? &v->u.array.items[i]
                    : NULL;
        } else
            v = v->type == KILN_JSON_OBJECT ? kiln_json_get(v, k) : NULL;
    }
    va_end(ap);
    return v;
}

static const char *str(const kiln_json *v)
{
    return v && v->type == KILN_JSON_STRING ? v->u.string.p : "(none)";
}

/* "string,null" for a type array, the type for a string. */
static const char *types(const kiln_json *v, char *out, size_t n)
{
    if (!v)
        return "(none)";
    if (v->type == KILN_JSON_STRING)
        return v->u.string.p;
    out[0] = 0;
    for (size_t i = 0; v->type == KILN_JSON_ARRAY && i < v->u.array.n; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? "," : "",
                 str(&v->u.array.items[i]));
    return out;
}

#define SCHEMA(d, name) at((d).root, "components", "schemas", name, NULL)
#define PROP(s, p, ...) at(s, "properties", p, __VA_ARGS__, NULL)

TEST(openapi_types_and_nullables)
{
    doc d;
    doc_make(&d, NULL, 0);
    const kiln_json *t = SCHEMA(d, "TaskItem");
    CHECK(t != NULL);
    char buf[64];
    CHECK_STR(types(PROP(t, "title", "type"), buf, sizeof buf), "string");
    CHECK_STR(types(PROP(t, "note", "type"), buf, sizeof buf), "string,null");
    CHECK_STR(types(PROP(t, "due", "type"), buf, sizeof buf), "string,null");
    CHECK_STR(str(PROP(t, "due", "format")), "date");
    CHECK_STR(str(PROP(t, "at", "format")), "date-time");
    CHECK_STR(types(PROP(t, "rank", "type"), buf, sizeof buf), "integer");
    CHECK_STR(str(PROP(t, "cost", "type")), "string");
    CHECK_STR(str(PROP(t, "cost", "pattern")),
              "^-?[0-9]{1,6}(\\.[0-9]{1,2})?$");
    CHECK(PROP(t, "id", "readOnly") != NULL);
    CHECK(PROP(t, "secret", "type") == NULL); /* write-only: not output */
    /* expandable optional ref: id, the owner, or null */
    const kiln_json *any = PROP(t, "owner", "anyOf");
    CHECK(any && any->type == KILN_JSON_ARRAY && any->u.array.n == 3);
    CHECK_STR(str(at(any, "#1", "$ref", NULL)), "#/components/schemas/Owner");
    CHECK_STR(str(at(any, "#2", "type", NULL)), "null");
    CHECK_INT(at(t, "required", NULL)->u.array.n, 10); /* all sent */
    doc_free(&d);
}

TEST(openapi_enums_are_named_components)
{
    doc d;
    doc_make(&d, NULL, 0);
    const kiln_json *e = SCHEMA(d, "TaskItemStatus");
    CHECK(e != NULL);
    CHECK_STR(str(at(e, "enum", "#1", NULL)), "doing");
    CHECK_INT(at(e, "enum", NULL)->u.array.n, 3);
    const kiln_json *t = SCHEMA(d, "TaskItem");
    CHECK_STR(str(PROP(t, "status", "$ref")),
              "#/components/schemas/TaskItemStatus");
    /* an optional enum: the component or null */
    CHECK_STR(str(PROP(t, "mood", "anyOf", "#0", "$ref")),
              "#/components/schemas/TaskItemMood");
    CHECK_STR(str(PROP(t, "mood", "anyOf", "#1", "type")), "null");
    /* the default goes with the input */
    const kiln_json *in = SCHEMA(d, "TaskItemInput");
    CHECK_STR(str(PROP(in, "status", "default")), "open");
    doc_free(&d);
}

TEST(openapi_constraints)
{
    doc d;
    doc_make(&d, NULL, 0);
    const kiln_json *in = SCHEMA(d, "TaskItemInput");
    CHECK_INT(PROP(in, "title", "minLength")->u.number.i, 1);
    CHECK_INT(PROP(in, "title", "maxLength")->u.number.i, 200);
    CHECK_STR(str(PROP(in, "title", "pattern")), "^[A-Z]");
    CHECK_STR(str(PROP(in, "title", "description")), "What to do");
    CHECK(PROP(in, "note", "minLength") == NULL); /* blank allowed */
    CHECK_INT(PROP(in, "rank", "minimum")->u.number.i, 1);
    CHECK_INT(PROP(in, "rank", "maximum")->u.number.i, 9);
    CHECK(PROP(in, "secret", "writeOnly") != NULL);
    CHECK(PROP(in, "id", "type") == NULL && PROP(in, "at", "type") == NULL);
    /* required: not optional, no default */
    const kiln_json *req = at(in, "required", NULL);
    CHECK(req && req->u.array.n == 4);
    CHECK_STR(str(&req->u.array.items[0]), "title");
    CHECK_STR(str(&req->u.array.items[3]), "secret");
    CHECK(at(in, "additionalProperties", NULL)->type == KILN_JSON_BOOL);
    CHECK(at(SCHEMA(d, "TaskItemPatch"), "required", NULL) == NULL);
    const kiln_json *page = SCHEMA(d, "TaskItemPage");
    CHECK_STR(str(PROP(page, "items", "items", "$ref")),
              "#/components/schemas/TaskItem");
    CHECK(SCHEMA(d, "Problem") && SCHEMA(d, "ValidationProblem"));
    doc_free(&d);
}

TEST(openapi_crud_operations)
{
    doc d;
    doc_make(&d, NULL, 0);
    const kiln_json *p = at(d.root, "paths", NULL);
    CHECK_INT(p->u.object.n, 2);
    CHECK_STR(str(at(p, "/api/task-items", "get", "operationId", NULL)),
              "listTaskItems");
    CHECK_STR(str(at(p, "/api/task-items", "post", "operationId", NULL)),
              "createTaskItem");
    CHECK_STR(str(at(p, "/api/task-items/{id}", "get", "operationId", NULL)),
              "getTaskItem");
    CHECK_STR(str(at(p, "/api/task-items/{id}", "put", "operationId", NULL)),
              "updateTaskItem");
    CHECK_STR(str(at(p, "/api/task-items/{id}", "patch", "operationId", NULL)),
              "patchTaskItem");
    CHECK_STR(str(at(p, "/api/task-items/{id}", "delete", "operationId", NULL)),
              "deleteTaskItem");
    CHECK_STR(str(at(p, "/api/task-items", "get", "tags", "#0", NULL)),
              "tasks");
    CHECK_STR(str(at(d.root, "tags", "#0", "name", NULL)), "tasks");
    CHECK_STR(str(at(d.root, "tags", "#0", "description", NULL)),
              "The tasks: the API Kiln makes from task_item.");
    CHECK(at(d.root, "info", "license", NULL) == NULL); /* not ours to say */
    const kiln_json *ps = at(p, "/api/task-items", "get", "parameters", NULL);
    const char *want[] = {"limit",  "cursor", "offset", "ordering",
                          "search", "expand", "status", "status__ne"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        CHECK_STR(str(at(ps, "#0", NULL)
                          ? at(&ps->u.array.items[i], "name", NULL)
                          : NULL),
                  want[i]);
    CHECK_INT(at(ps, "#0", "schema", "maximum", NULL)->u.number.i, 75);
    CHECK_INT(at(ps, "#0", "schema", "default", NULL)->u.number.i, 25);
    /* an enum has no ordering lookups; a string and a date do */
    bool lt_status = false, lt_title = false, isnull_due = false,
         isnull_title = false;
    for (size_t i = 0; i < ps->u.array.n; i++) {
        const char *n = str(at(&ps->u.array.items[i], "name", NULL));
        lt_status |= strcmp(n, "status__lt") == 0;
        lt_title |= strcmp(n, "title__lt") == 0;
        isnull_due |= strcmp(n, "due__isnull") == 0;
        isnull_title |= strcmp(n, "title__isnull") == 0;
    }
    CHECK(!lt_status && lt_title && isnull_due && !isnull_title);
    CHECK_STR(str(at(p, "/api/task-items/{id}", "put", "responses", "412",
                     "$ref", NULL)),
              "#/components/responses/PreconditionFailed");
    CHECK_STR(
        str(at(p, "/api/task-items/{id}", "patch", "requestBody", "content",
               "application/merge-patch+json", "schema", "$ref", NULL)),
        "#/components/schemas/TaskItemPatch");
    CHECK(at(p, "/api/task-items", "post", "responses", "201", "headers",
             "Location", NULL) != NULL);
    doc_free(&d);
}

TEST(openapi_routes_endpoints_and_free_form)
{
    static const oapi_route routes[] = {
        {"GET", "/api/task-items/{id}", "api/task-items/[id].c", false, NULL},
        {"POST", "/api/boards/{id}/star", "api/boards/[id]/star.c", false,
         &star_ep},
        {"GET", "/files/{...path}", "api/x.c", false, NULL},
        {"GET", "/about", "pages/about.html", true, NULL},
        {"WS", "/ws/chat", "ws/chat.c", false, NULL},
    };
    doc d;
    doc_make(&d, routes, 5);
    const kiln_json *p = at(d.root, "paths", NULL);
    CHECK(at(p, "/about", NULL) == NULL && at(p, "/ws/chat", NULL) == NULL);
    /* the hand-written GET replaced getTaskItem; PUT stays generated */
    CHECK_STR(str(at(p, "/api/task-items/{id}", "get", "operationId", NULL)),
              "getTaskItemsById");
    CHECK(at(p, "/api/task-items/{id}", "get", "responses", "200", "content",
             "application/json", "schema", NULL)
              ->u.object.n == 0);
    CHECK_STR(str(at(p, "/api/task-items/{id}", "put", "operationId", NULL)),
              "updateTaskItem");
    /* a catch-all is a plain path parameter */
    CHECK_STR(
        str(at(p, "/files/{path}", "get", "parameters", "#0", "name", NULL)),
        "path");
    const kiln_json *s = at(p, "/api/boards/{id}/star", "post", NULL);
    CHECK_STR(str(at(s, "summary", NULL)), "Star a board");
    CHECK_STR(str(at(s, "operationId", NULL)), "postBoardsByIdStar");
    CHECK_INT(at(s, "parameters", "#0", "schema", "minimum", NULL)->u.number.i,
              1);
    CHECK_STR(str(at(s, "requestBody", "content", "application/json", "schema",
                     "$ref", NULL)),
              "#/components/schemas/StarBody");
    const kiln_json *b = SCHEMA(d, "StarBody");
    CHECK_STR(str(PROP(b, "tags", "items", "type")), "string");
    CHECK_INT(PROP(b, "tags", "items", "maxLength")->u.number.i, 5);
    CHECK_INT(PROP(b, "tags", "maxItems")->u.number.i, 3);
    CHECK_STR(str(at(s, "responses", "200", "content", "application/json",
                     "schema", "items", "$ref", NULL)),
              "#/components/schemas/Owner");
    CHECK_STR(str(at(s, "responses", "404", "description", NULL)),
              "no such board");
    CHECK(at(s, "responses", "422", NULL) != NULL);
    doc_free(&d);
}

/* What the property check (scripts/api_props.py) found the document
   getting wrong, each against what the server does. */
static const kiln_field gauge_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    /* optional, not blank: null clears it, "" is refused as blank */
    {F("nick", KILN_FT_STRING), .flags = KILN_FF_OPTIONAL, .max_length = 10},
    /* min = "0": no minus sign; a number is taken as well as a string */
    {F("level", KILN_FT_DECIMAL), .precision = 5, .scale = 1,
     .flags = KILN_FF_HAS_MIN, .min_text = "0.0"},
    {F("delta", KILN_FT_DECIMAL), .precision = 5, .scale = 1,
     .flags = KILN_FF_OPTIONAL},
    /* format uri takes ftp: and mailto:, the decoder http(s) only */
    {F("home", KILN_FT_URL), .flags = KILN_FF_OPTIONAL, .max_length = 2048},
};
static const kiln_model_api gauge_api = {
    .ops = KILN_API_CREATE | KILN_API_RETRIEVE | KILN_API_UPDATE,
    .path = "gauges"};
static const kiln_model gauge_model = {.name = "gauge",
                                       .table = "gauge",
                                       .label = "gauge",
                                       .label_plural = "gauges",
                                       .fields = gauge_fields,
                                       .nfields = 5,
                                       .api = &gauge_api};

TEST(openapi_what_the_property_check_found)
{
    static kiln_model *const gm[] = {(kiln_model *)&owner_model,
                                     (kiln_model *)&gauge_model};
    static const oapi_route routes[] = {
        {"POST", "/api/boards/{id}/star", "api/boards/[id]/star.c", false,
         &star_ep},
        /* a page's action: a C file under pages/, not a page route */
        {"POST", "/projects/{id}", "pages/projects/[id].c", false, NULL},
    };
    oapi_doc in = {.title = "t",
                   .models = gm,
                   .nmodels = 2,
                   .routes = routes,
                   .nroutes = 2};
    doc d;
    kiln_arena_init(&d.a, 0);
    kiln_buf_init(&d.b);
    CHECK_INT(oapi_write(&in, &d.b), 0);
    kiln_json_error e;
    CHECK_INT(kiln_json_parse(&d.a, d.b.p, d.b.n, 0, &d.root, &e), 0);
    const kiln_json *gi = SCHEMA(d, "GaugeInput"), *go = SCHEMA(d, "Gauge");
    CHECK_INT(PROP(gi, "nick", "minLength")->u.number.i, 1);
    CHECK_INT(PROP(go, "nick", "minLength")->u.number.i, 1);
    CHECK_STR(str(PROP(gi, "level", "pattern")),
              "^[0-9]{1,4}(\\.[0-9]{1,1})?$");
    CHECK_STR(str(PROP(gi, "delta", "pattern")),
              "^-?[0-9]{1,4}(\\.[0-9]{1,1})?$");
    const kiln_json *t = PROP(gi, "level", "type");
    CHECK(t && t->type == KILN_JSON_ARRAY && t->u.array.n == 2);
    CHECK_STR(str(&t->u.array.items[1]), "number");
    CHECK_INT(PROP(gi, "delta", "type")->u.array.n, 3);  /* and null */
    CHECK_STR(str(PROP(go, "level", "type")), "string"); /* sent as text */
    CHECK_STR(str(PROP(gi, "home", "pattern")),
              "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]");
    CHECK_STR(str(PROP(gi, "home", "format")), "uri");
    /* a body past server.max_body is a 413, for CRUD and endpoints */
    const kiln_json *p = at(d.root, "paths", NULL);
    CHECK_STR(
        str(at(p, "/api/gauges", "post", "responses", "413", "$ref", NULL)),
        "#/components/responses/ContentTooLarge");
    CHECK(at(p, "/api/gauges/{id}", "put", "responses", "413", NULL));
    CHECK(at(p, "/api/gauges/{id}", "get", "responses", "413", NULL) == NULL);
    CHECK(at(d.root, "components", "responses", "ContentTooLarge", "content",
             "application/problem+json", NULL));
    const kiln_json *s = at(p, "/api/boards/{id}/star", "post", NULL);
    CHECK(at(s, "responses", "413", NULL));
    /* an error the endpoint declares without a model is still a problem */
    CHECK_STR(str(at(s, "responses", "404", "content",
                     "application/problem+json", "schema", "$ref", NULL)),
              "#/components/schemas/Problem");
    CHECK(at(s, "responses", "200", "content", "application/json", NULL));
    /* a page's action is no API operation */
    CHECK(at(p, "/projects/{id}", NULL) == NULL);
    doc_free(&d);
    /* ordering, expand and __in as patterns a client or checker can read
       (the server refuses what they do not match: 422) */
    doc_make(&d, NULL, 0);
    const kiln_json *ps =
        at(d.root, "paths", "/api/task-items", "get", "parameters", NULL);
    const char *want[][2] = {
        {"ordering", "^-?(due|id)(,-?(due|id))*$"},
        {"expand", "^(owner)(,(owner))*$"},
        {"status__in", "^(open|doing|done)(,(open|doing|done))*$"},
        {"due__in", NULL},
    };
    for (size_t i = 0; i < 4; i++) {
        const kiln_json *pat = NULL;
        bool found = false;
        for (size_t j = 0; ps && j < ps->u.array.n; j++)
            if (strcmp(str(at(&ps->u.array.items[j], "name", NULL)),
                       want[i][0]) == 0) {
                found = true;
                pat = at(&ps->u.array.items[j], "schema", "pattern", NULL);
            }
        CHECK(found);
        if (want[i][1])
            CHECK_STR(str(pat), want[i][1]);
        else
            CHECK(pat == NULL);
    }
    doc_free(&d);
}

TEST(openapi_pascal_names)
{
    char b[64];
    oapi_pascal("task_comment", b, sizeof b);
    CHECK_STR(b, "TaskComment");
    oapi_pascal("task-items/archived", b, sizeof b);
    CHECK_STR(b, "TaskItemsArchived");
    oapi_pascal("averyveryverylongname", b, 8);
    CHECK_STR(b, "Averyve");
}

TEST(openapi_has_operations)
{
    oapi_doc in = {.models = NULL, .nmodels = 0};
    CHECK(!oapi_has_operations(&in));
    static const oapi_route page = {"GET", "/", "pages/index.html", true, NULL};
    in.routes = &page;
    in.nroutes = 1;
    CHECK(!oapi_has_operations(&in));
    in.models = models;
    in.nmodels = 2;
    CHECK(oapi_has_operations(&in));
}

TEST(openapi_endpoint_bodies)
{
    static const oapi_route routes[] = {
        {"PUT", "/api/owners/{id}/card", "api/owners/[id]/card.c", false,
         &card_ep},
        {"POST", "/api/owners/{id}/photo", "api/owners/[id]/photo.c", false,
         &photo_ep},
    };
    doc d;
    doc_make(&d, routes, 2);
    const kiln_json *p = at(d.root, "paths", NULL);
    /* a part of a model: its own component, named after the endpoint */
    CHECK_STR(str(at(p, "/api/owners/{id}/card", "put", "requestBody",
                     "content", "application/json", "schema", "$ref", NULL)),
              "#/components/schemas/CardBody");
    const kiln_json *card = SCHEMA(d, "CardBody");
    CHECK_INT(at(card, "properties", NULL)->u.object.n, 1);
    CHECK(PROP(card, "name", "type") != NULL);
    CHECK(SCHEMA(d, "Owner") != NULL); /* untouched */
    CHECK_INT(at(SCHEMA(d, "Owner"), "properties", NULL)->u.object.n, 2);
    /* no schema for the path: its parameters from the pattern */
    CHECK_STR(str(at(p, "/api/owners/{id}/card", "put", "parameters", "#0",
                     "in", NULL)),
              "path");
    /* a file: multipart; a nested object: its component, nullable */
    const kiln_json *ph =
        at(p, "/api/owners/{id}/photo", "post", "requestBody", "content", NULL);
    CHECK(at(ph, "application/json", NULL) == NULL);
    CHECK_STR(str(at(ph, "multipart/form-data", "schema", "$ref", NULL)),
              "#/components/schemas/PhotoBody");
    const kiln_json *pb = SCHEMA(d, "PhotoBody");
    CHECK_STR(str(PROP(pb, "image", "contentMediaType")),
              "application/octet-stream");
    CHECK_STR(str(PROP(pb, "geo", "anyOf", "#0", "$ref")),
              "#/components/schemas/PhotoBodyGeo");
    CHECK_STR(str(PROP(SCHEMA(d, "PhotoBodyGeo"), "lat", "type")), "number");
    const kiln_json *req = at(pb, "required", NULL);
    CHECK(req && req->u.array.n == 2); /* image, owner */
    doc_free(&d);
}

/* The security of the generated API: none without roles; with [roles]
   (and without permissions = ...) each operation needs its model's
   permission, the schemes are declared, and an OIDC issuer adds its
   discovery document; an endpoint's auth = "..." likewise. */
TEST(openapi_security)
{
    doc d;
    doc_make(&d, NULL, 0);
    CHECK(at(d.root, "components", "securitySchemes", NULL) == NULL);
    CHECK(at(d.root, "paths", "/api/task-items", "get", "security", NULL) ==
          NULL);
    CHECK(at(d.root, "paths", "/api/task-items", "get", "responses", "401",
             NULL) == NULL);
    doc_free(&d);

    static const kiln_endpoint guarded = {.method = "POST",
                                          .route = "/api/boards/{id}/star",
                                          .name = "star",
                                          .path = &star_path,
                                          .auth = "role:editor"};
    oapi_route routes[] = {
        {"POST", "/api/boards/{id}/star", "api/boards/[id]/star.c", false,
         &guarded},
    };
    oapi_doc in = {.title = "t",
                   .models = models,
                   .nmodels = 2,
                   .routes = routes,
                   .nroutes = 1,
                   .roles = true,
                   .oidc_issuer = "https://id.example.org/realms/board/"};
    kiln_arena_init(&d.a, 0);
    kiln_buf_init(&d.b);
    CHECK_INT(oapi_write(&in, &d.b), 0);
    kiln_json_error e;
    CHECK_INT(kiln_json_parse(&d.a, d.b.p, d.b.n, 0, &d.root, &e), 0);
    const kiln_json *s = at(d.root, "components", "securitySchemes", NULL);
    CHECK_STR(str(at(s, "session", "type", NULL)), "apiKey");
    CHECK_STR(str(at(s, "session", "in", NULL)), "cookie");
    CHECK_STR(str(at(s, "session", "name", NULL)), "kiln_session");
    CHECK_STR(str(at(s, "token", "type", NULL)), "http");
    CHECK_STR(str(at(s, "token", "scheme", NULL)), "bearer");
    CHECK_STR(str(at(s, "oidc", "type", NULL)), "openIdConnect");
    CHECK_STR(str(at(s, "oidc", "openIdConnectUrl", NULL)),
              "https://id.example.org/realms/board/.well-known/"
              "openid-configuration");
    const kiln_json *del =
        at(d.root, "paths", "/api/task-items/{id}", "delete", NULL);
    CHECK_STR(str(at(del, "x-kiln-auth", NULL)), "perm:task_item.delete");
    CHECK(at(del, "security", "#0", "session", NULL) != NULL);
    CHECK(at(del, "security", "#1", "token", NULL) != NULL);
    CHECK(at(del, "security", "#2", "oidc", NULL) != NULL);
    CHECK_STR(str(at(del, "responses", "401", "$ref", NULL)),
              "#/components/responses/Unauthorized");
    CHECK_STR(str(at(del, "responses", "403", "$ref", NULL)),
              "#/components/responses/Forbidden");
    CHECK_STR(
        str(at(d.root, "paths", "/api/task-items", "get", "x-kiln-auth", NULL)),
        "perm:task_item.view");
    const kiln_json *star =
        at(d.root, "paths", "/api/boards/{id}/star", "post", NULL);
    CHECK_STR(str(at(star, "x-kiln-auth", NULL)), "role:editor");
    CHECK(at(star, "responses", "403", NULL) != NULL);
    doc_free(&d);
}
