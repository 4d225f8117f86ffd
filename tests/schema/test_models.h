/*
 * tests/schema/test_models.h - the models the schema tests, the fuzz target
 * (fuzz/fuzz_schema.c) and the benchmark decode into, written the way the
 * generator emits them: a struct, its static const field table, the model.
 *
 *   task    the model of the brief (pk, string, bool default, optional
 *           date, enum, decimal, ref, many, read-only datetime)
 *   every   every field type, with constraints, an optional and a nested
 *           object, a list of objects and a list of strings
 *   doc     a form with file fields
 *   node    a recursive tree (a list of itself), for depth limits
 */
#ifndef KILN_TEST_MODELS_H
#define KILN_TEST_MODELS_H

#include <kiln.h>

#include <stddef.h>

/* The tables below set a few members twice (TM_FIELD's defaults, then the
   field's own), as designated initializers allow. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* The fields every kiln_field shares: no has_NAME, no length bounds. */
#define TM_FIELD(T, N)                                                         \
    .name = #N, .column = #N, .label = #N, .offset = offsetof(T, N),           \
    .has_offset = KILN_NO_OFFSET, .min_length = -1, .max_length = -1
#define TM_OPT(T, N) .has_offset = offsetof(T, has_##N)

/* ---- task --------------------------------------------------------------- */

typedef struct tm_project {
    int64_t id;
} tm_project;

static const kiln_field tm_project_fields[] = {
    {TM_FIELD(tm_project, id), .type = KILN_FT_INT,
     .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
};
static const kiln_model tm_project_model = {.name = "project",
                                            .table = "project",
                                            .fields = tm_project_fields,
                                            .nfields = 1,
                                            .size = sizeof(tm_project)};

typedef struct task {
    int64_t id;            /* pk, read-only */
    kiln_str title;        /* string, 1..200 */
    bool done;             /* default false */
    bool has_due;          /* optional */
    kiln_date due;         /* date */
    int status;            /* enum: open, doing, done; default "open" */
    kiln_str estimate;     /* decimal(8,2) */
    int64_t project;       /* ref -> project */
    kiln_ids tags;         /* many -> tag */
    kiln_datetime created; /* read-only, auto created, default now */
} task;

static const char *const task_status_values[] = {"open", "doing", "done"};

static const kiln_field task_fields[] = {
    {TM_FIELD(task, id), .type = KILN_FT_INT,
     .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {TM_FIELD(task, title), .type = KILN_FT_STRING, .min_length = 1,
     .max_length = 200},
    {TM_FIELD(task, done), .type = KILN_FT_BOOL, .def = "false"},
    {TM_FIELD(task, due), TM_OPT(task, due), .type = KILN_FT_DATE,
     .flags = KILN_FF_OPTIONAL},
    {TM_FIELD(task, status), .type = KILN_FT_ENUM, .values = task_status_values,
     .nvalues = 3, .def = "\"open\""},
    {TM_FIELD(task, estimate), .type = KILN_FT_DECIMAL, .precision = 8,
     .scale = 2},
    {TM_FIELD(task, project), .type = KILN_FT_REF, .ref = &tm_project_model,
     .column = "project_id"},
    {TM_FIELD(task, tags), .type = KILN_FT_MANY, .ref = &tm_project_model,
     .column = NULL, .def = "[]"},
    {TM_FIELD(task, created), .type = KILN_FT_DATETIME,
     .flags = KILN_FF_READ_ONLY | KILN_FF_AUTO_CREATED | KILN_FF_DEFAULT_NOW},
};
static const kiln_model task_model = {.name = "task",
                                      .table = "task",
                                      .label = "task",
                                      .label_plural = "tasks",
                                      .fields = task_fields,
                                      .nfields = sizeof task_fields /
                                                 sizeof *task_fields,
                                      .size = sizeof(task)};

/* ---- every -------------------------------------------------------------- */

typedef struct addr {
    kiln_str city;
    bool has_zip;
    kiln_str zip;
} addr;

static kiln_pattern_cache addr_zip_pattern;
static const kiln_field addr_fields[] = {
    {TM_FIELD(addr, city), .type = KILN_FT_STRING, .max_length = 50},
    {TM_FIELD(addr, zip), TM_OPT(addr, zip), .type = KILN_FT_STRING,
     .flags = KILN_FF_OPTIONAL, .max_length = 10, .pattern = "^[0-9]{5}$",
     .pattern_cache = &addr_zip_pattern},
};
static const kiln_model addr_model = {.name = "addr",
                                      .fields = addr_fields,
                                      .nfields = 2,
                                      .size = sizeof(addr),
                                      .flags = KILN_MF_ENDPOINT};

typedef struct line {
    kiln_str sku;
    int64_t qty;
} line;

static const kiln_field line_fields[] = {
    {TM_FIELD(line, sku), .type = KILN_FT_STRING, .max_length = 20},
    {TM_FIELD(line, qty), .type = KILN_FT_INT,
     .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min = 1, .max = 99},
};
static const kiln_model line_model = {.name = "line",
                                      .fields = line_fields,
                                      .nfields = 2,
                                      .size = sizeof(line),
                                      .flags = KILN_MF_ENDPOINT};

typedef struct every {
    int64_t id;
    int64_t count;
    double ratio;
    kiln_str price;
    bool active;
    kiln_str name;
    bool has_note;
    kiln_str note;
    kiln_date day;
    kiln_datetime at;
    kiln_timeofday start;
    kiln_uuid uid;
    kiln_str email;
    bool has_site;
    kiln_str site;
    int color;
    bool has_meta;
    kiln_str meta;
    int64_t owner;
    kiln_ids tags;
    addr home;
    bool has_work;
    addr work;
    kiln_list lines;
    kiln_list labels;
    kiln_str secret;
    kiln_str code;
} every;

static const char *const every_color_values[] = {"red", "green", "blue"};
static kiln_pattern_cache every_code_pattern;

static const kiln_field every_fields[] = {
    {TM_FIELD(every, id), .type = KILN_FT_INT,
     .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {TM_FIELD(every, count), .type = KILN_FT_INT,
     .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min = 0, .max = 100},
    {TM_FIELD(every, ratio), .type = KILN_FT_FLOAT,
     .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min = -1.5, .max = 1e6},
    {TM_FIELD(every, price), .type = KILN_FT_DECIMAL, .precision = 8,
     .scale = 2, .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min_text = "0.00",
     .max_text = "100000.00"},
    {TM_FIELD(every, active), .type = KILN_FT_BOOL, .def = "true"},
    {TM_FIELD(every, name), .type = KILN_FT_STRING, .min_length = 2,
     .max_length = 20},
    {TM_FIELD(every, note), TM_OPT(every, note), .type = KILN_FT_TEXT,
     .flags = KILN_FF_OPTIONAL | KILN_FF_BLANK},
    {TM_FIELD(every, day), .type = KILN_FT_DATE, .flags = KILN_FF_HAS_MIN,
     .min_text = "2000-01-01"},
    {TM_FIELD(every, at), .type = KILN_FT_DATETIME},
    {TM_FIELD(every, start), .type = KILN_FT_TIME},
    {TM_FIELD(every, uid), .type = KILN_FT_UUID},
    {TM_FIELD(every, email), .type = KILN_FT_EMAIL, .max_length = 254},
    {TM_FIELD(every, site), TM_OPT(every, site), .type = KILN_FT_URL,
     .flags = KILN_FF_OPTIONAL, .max_length = 200},
    {TM_FIELD(every, color), .type = KILN_FT_ENUM, .values = every_color_values,
     .nvalues = 3, .def = "\"green\""},
    {TM_FIELD(every, meta), TM_OPT(every, meta), .type = KILN_FT_JSON,
     .flags = KILN_FF_OPTIONAL},
    {TM_FIELD(every, owner), .type = KILN_FT_REF, .ref = &tm_project_model,
     .column = "owner_id"},
    {TM_FIELD(every, tags), .type = KILN_FT_MANY, .ref = &tm_project_model,
     .column = NULL, .flags = KILN_FF_HAS_MAX, .max = 5},
    {TM_FIELD(every, home), .type = KILN_FT_OBJECT, .ref = &addr_model,
     .column = NULL},
    {TM_FIELD(every, work), TM_OPT(every, work), .type = KILN_FT_OBJECT,
     .ref = &addr_model, .column = NULL, .flags = KILN_FF_OPTIONAL},
    {TM_FIELD(every, lines), .type = KILN_FT_LIST, .item_type = KILN_FT_OBJECT,
     .item_size = sizeof(line), .ref = &line_model, .column = NULL,
     .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min = 1, .max = 10},
    {TM_FIELD(every, labels), .type = KILN_FT_LIST, .item_type = KILN_FT_STRING,
     .item_size = sizeof(kiln_str), .column = NULL, .max_length = 8,
     .def = "[]"},
    {TM_FIELD(every, secret), .type = KILN_FT_STRING, .max_length = 64,
     .flags = KILN_FF_WRITE_ONLY | KILN_FF_BLANK, .def = "\"\""},
    {TM_FIELD(every, code), .type = KILN_FT_STRING, .max_length = 3,
     .pattern = "^[A-Z]{3}$", .pattern_cache = &every_code_pattern,
     .def = "\"ABC\""},
};
static const kiln_model every_model = {.name = "every",
                                       .table = "every",
                                       .fields = every_fields,
                                       .nfields = sizeof every_fields /
                                                  sizeof *every_fields,
                                       .size = sizeof(every)};

/* A complete, valid input of every (the fuzz target and benches start from
   it). */
#define EVERY_JSON                                                             \
    "{\"count\":7,\"ratio\":0.25,\"price\":\"12.50\",\"active\":false,"        \
    "\"name\":\"Widget\",\"note\":\"a \\\"quoted\\\" note\\n\","               \
    "\"day\":\"2026-03-05\",\"at\":\"2026-03-05T14:07:00.123Z\","              \
    "\"start\":\"14:07:00.250\","                                              \
    "\"uid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","                        \
    "\"email\":\"ann@example.com\",\"site\":\"https://example.com/a?b=c\","    \
    "\"color\":\"blue\",\"meta\":{\"k\":[1,2,{\"x\":null}]},\"owner\":3,"      \
    "\"tags\":[1,2,3],\"home\":{\"city\":\"Lyon\",\"zip\":\"69001\"},"         \
    "\"work\":null,\"lines\":[{\"sku\":\"A-1\",\"qty\":2},"                    \
    "{\"sku\":\"B-2\",\"qty\":99}],\"labels\":[\"x\",\"y\"],"                  \
    "\"secret\":\"s3cret\",\"code\":\"XYZ\"}"

/* ---- doc: file fields --------------------------------------------------- */

typedef struct doc {
    kiln_str title;
    const kiln_upload *file;
    bool has_thumb;
    const kiln_upload *thumb;
} doc;

static const kiln_field doc_fields[] = {
    {TM_FIELD(doc, title), .type = KILN_FT_STRING, .max_length = 100},
    {TM_FIELD(doc, file), .type = KILN_FT_FILE, .column = NULL},
    {TM_FIELD(doc, thumb), TM_OPT(doc, thumb), .type = KILN_FT_FILE,
     .column = NULL, .flags = KILN_FF_OPTIONAL},
};
static const kiln_model doc_model = {.name = "doc",
                                     .fields = doc_fields,
                                     .nfields = 3,
                                     .size = sizeof(doc),
                                     .flags = KILN_MF_ENDPOINT};

/* ---- node: a tree ------------------------------------------------------- */

typedef struct node {
    kiln_str name;
    kiln_list kids;
} node;

extern const kiln_model node_model;
static const kiln_field node_fields[] = {
    {TM_FIELD(node, name), .type = KILN_FT_STRING, .max_length = 10},
    {TM_FIELD(node, kids), .type = KILN_FT_LIST, .item_type = KILN_FT_OBJECT,
     .item_size = sizeof(node), .ref = &node_model, .column = NULL,
     .def = "[]"},
};
#define NODE_MODEL_DEFINITION                                                  \
    const kiln_model node_model = {.name = "node",                             \
                                   .fields = node_fields,                      \
                                   .nfields = 2,                               \
                                   .size = sizeof(node),                       \
                                   .flags = KILN_MF_ENDPOINT};

#endif
