/*
 * fuzz/fuzz_admin_query.c - an admin change list's query string
 * (admin_query_parse, admin_query_format): the input is a query string.
 * It always parses (leniently); what it keeps fits the model's [admin]
 * table (filters it names, sortable fields, the allowed page sizes, a
 * positive page); the query written back parses to the same query.
 */
#include "admin/admin_impl.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

typedef struct Row {
    int64_t id;
    kiln_str title;
    int status;
    bool has_due;
    kiln_date due;
    kiln_str data;
} Row;

static const char *const statuses[] = {"todo", "done"};
static const kiln_field fields[] = {
    {.name = "id",
     .column = "id",
     .label = "ID",
     .type = KILN_FT_INT,
     .flags = KILN_FF_READ_ONLY | KILN_FF_PK,
     .offset = offsetof(Row, id),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1},
    {.name = "title",
     .column = "title",
     .label = "title",
     .type = KILN_FT_STRING,
     .offset = offsetof(Row, title),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = 200},
    {.name = "status",
     .column = "status",
     .label = "status",
     .type = KILN_FT_ENUM,
     .offset = offsetof(Row, status),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1,
     .values = statuses,
     .nvalues = 2},
    {.name = "due",
     .column = "due",
     .label = "due",
     .type = KILN_FT_DATE,
     .flags = KILN_FF_OPTIONAL,
     .offset = offsetof(Row, due),
     .has_offset = offsetof(Row, has_due),
     .min_length = -1,
     .max_length = -1},
    {.name = "data",
     .column = "data",
     .label = "data",
     .type = KILN_FT_JSON,
     .offset = offsetof(Row, data),
     .has_offset = KILN_NO_OFFSET,
     .min_length = -1,
     .max_length = -1},
};
static const char *const filters[] = {"status", "due", "title"};
static const char *const search[] = {"title"};
static const kiln_model_admin admin = {.filters = filters,
                                       .nfilters = 3,
                                       .search = search,
                                       .nsearch = 1,
                                       .date_hierarchy = "due",
                                       .list_per_page = 50};
static const kiln_model model = {.name = "row",
                                 .table = "row",
                                 .label = "row",
                                 .label_plural = "rows",
                                 .fields = fields,
                                 .nfields = 5,
                                 .size = sizeof(Row),
                                 .admin = &admin};

static void same(const admin_query *a, const admin_query *b)
{
    assert(kiln_str_eq(a->q.p ? a->q : KILN_STR(""),
                       b->q.p ? b->q : KILN_STR("")));
    assert(a->nfilters == b->nfilters && a->norder == b->norder);
    for (size_t i = 0; i < a->nfilters; i++)
        assert(a->filters[i].f == b->filters[i].f &&
               a->filters[i].op == b->filters[i].op &&
               kiln_str_eq(a->filters[i].value, b->filters[i].value));
    for (size_t i = 0; i < a->norder; i++)
        assert(a->order[i].f == b->order[i].f &&
               a->order[i].desc == b->order[i].desc);
    assert(a->page == b->page && a->per_page == b->per_page);
    assert(a->year == b->year && a->month == b->month && a->day == b->day);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    http_kv *kv = NULL;
    long n = http_query_parse(&a, (kiln_str){(const char *)data, size}, &kv);
    if (n >= 0) {
        admin_query q, r;
        admin_query_parse(&model, kv, (size_t)n, &q);
        assert(q.page >= 1);
        assert(q.per_page == 20 || q.per_page == 50 || q.per_page == 100 ||
               q.per_page == 200);
        for (size_t i = 0; i < q.norder; i++)
            assert(q.order[i].f->type != KILN_FT_JSON);
        for (size_t i = 0; i < q.nfilters; i++)
            assert(q.filters[i].f != &fields[0] &&
                   q.filters[i].f != &fields[4]);
        assert(!q.day || q.month);
        kiln_buf b;
        kiln_buf_init(&b);
        assert(admin_query_format(&q, NULL, &b) == 0);
        http_kv *kv2 = NULL;
        long n2 = http_query_parse(&a, kiln_buf_str(&b), &kv2);
        assert(n2 >= 0);
        admin_query_parse(&model, kv2, (size_t)n2, &r);
        same(&q, &r);
        kiln_buf_deinit(&b);
    }
    kiln_arena_deinit(&a);
    return 0;
}
