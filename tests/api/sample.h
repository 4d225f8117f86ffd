/*
 * tests/api/sample.h - a model description written by hand (what `kiln`
 * generates into models.c) with an [api] table, for the pure parsers of
 * the CRUD API: tests/api/test_api.c and fuzz/fuzz_api_query.c.
 */
#ifndef KILN_TESTS_API_SAMPLE_H
#define KILN_TESTS_API_SAMPLE_H

#include <kiln.h>

#include <stddef.h>

typedef struct SampleRow {
    int64_t id;
    kiln_str title;
    int64_t rank;
    bool has_due;
    kiln_date due;
    int status;
    bool has_score;
    double score;
    bool done;
} SampleRow;

static const char *const sample_status_values[] = {"todo", "doing", "done"};

static const kiln_field sample_fields[] = {
    {.name = "id",
     .column = "id",
     .label = "ID",
     .type = KILN_FT_INT,
     .flags = KILN_FF_READ_ONLY | KILN_FF_PK,
     .offset = offsetof(SampleRow, id),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1},
    {.name = "title",
     .column = "title",
     .label = "title",
     .type = KILN_FT_STRING,
     .offset = offsetof(SampleRow, title),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = 20},
    {.name = "rank",
     .column = "rank",
     .label = "rank",
     .type = KILN_FT_INT,
     .offset = offsetof(SampleRow, rank),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1},
    {.name = "due",
     .column = "due",
     .label = "due",
     .type = KILN_FT_DATE,
     .flags = KILN_FF_OPTIONAL,
     .offset = offsetof(SampleRow, due),
     .has_offset = offsetof(SampleRow, has_due),
     .min_length = -1,
     .max_length = -1},
    {.name = "status",
     .column = "status",
     .label = "status",
     .type = KILN_FT_ENUM,
     .offset = offsetof(SampleRow, status),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1,
     .values = sample_status_values,
     .nvalues = 3},
    {.name = "score",
     .column = "score",
     .label = "score",
     .type = KILN_FT_FLOAT,
     .flags = KILN_FF_OPTIONAL,
     .offset = offsetof(SampleRow, score),
     .has_offset = offsetof(SampleRow, has_score),
     .min_length = -1,
     .max_length = -1},
    {.name = "done",
     .column = "done",
     .label = "done",
     .type = KILN_FT_BOOL,
     .offset = offsetof(SampleRow, done),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1},
};

static const char *const sample_api_filters[] = {"title",  "rank",  "due",
                                                 "status", "score", "done"};
static const char *const sample_api_ordering[] = {"rank", "due", "title"};
static const char *const sample_api_search[] = {"title"};
static const char *const sample_ordering[] = {"-rank"};

static const kiln_model_api sample_api = {
    .ops = KILN_API_LIST | KILN_API_RETRIEVE,
    .path = "samples",
    .filters = sample_api_filters,
    .nfilters = 6,
    .ordering = sample_api_ordering,
    .nordering = 3,
    .search = sample_api_search,
    .nsearch = 1,
    .page_size = 10,
    .max_page_size = 30,
};

static const kiln_model sample_model = {
    .name = "sample",
    .table = "sample",
    .label = "sample",
    .label_plural = "samples",
    .fields = sample_fields,
    .nfields = sizeof sample_fields / sizeof sample_fields[0],
    .size = sizeof(SampleRow),
    .ordering = sample_ordering,
    .nordering = 1,
    .api = &sample_api,
};

#endif
