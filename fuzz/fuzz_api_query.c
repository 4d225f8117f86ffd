/*
 * fuzz/fuzz_api_query.c - a generated list's query string and cursor
 * (api_query_parse, api_cursor_decode): the input is a query string. It
 * either parses or lists errors, each naming a parameter; a parsed query's
 * ordering always ends with id. Its cursor, when it decodes, encodes back
 * to a cursor that decodes to the same values; the input decoded as a
 * cursor itself is refused or round-trips the same way. As an If-Match
 * list it never matches strongly where it does not match weakly.
 */
#include "../tests/api/sample.h"
#include "api/api_impl.h"

#include <assert.h>
#include <string.h>

static void same(const api_cursor *a, const api_cursor *b)
{
    assert(kiln_str_eq(a->ordering, b->ordering));
    assert(a->sig == b->sig && a->nvals == b->nvals);
    for (size_t i = 0; i < a->nvals; i++) {
        const kiln_db_param *x = &a->vals[i], *y = &b->vals[i];
        assert(x->type == y->type);
        if (x->type == KILN_DB_TEXT)
            assert(kiln_str_eq(x->v.s, y->v.s));
        else if (x->type == KILN_DB_FLOAT)
            assert(x->v.f == y->v.f);
        else if (x->type == KILN_DB_BOOL)
            assert(x->v.b == y->v.b);
        else if (x->type != KILN_DB_NULL)
            assert(x->v.i == y->v.i);
    }
}

static void cursor(kiln_str s, kiln_arena *a)
{
    api_cursor c, d;
    if (api_cursor_decode(s, a, &c) != 0)
        return;
    kiln_buf b;
    kiln_buf_init(&b);
    assert(api_cursor_encode(&c, &b) == 0);
    assert(api_cursor_decode(kiln_buf_str(&b), a, &d) == 0);
    same(&c, &d);
    kiln_buf_deinit(&b);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    kiln_str in = {(const char *)data, size};
    http_kv *kv = NULL;
    long n = http_query_parse(&a, in, &kv);
    if (n >= 0) {
        kiln_errors e;
        kiln_errors_init(&e, &a);
        api_query q;
        int rc = api_query_parse(&sample_model, kv, (size_t)n, &a, &q, &e);
        assert(rc == 0 || rc == KILN_EINVAL || rc == KILN_ENOMEM);
        if (rc == KILN_EINVAL) {
            assert(kiln_errors_any(&e));
            for (size_t i = 0; i < e.n; i++)
                assert(e.items[i].pointer[0] == '?');
        }
        if (rc == 0) {
            assert(!kiln_errors_any(&e));
            assert(q.norder >= 1 && q.norder <= API_MAX_ORDER);
            assert(strcmp(q.order[q.norder - 1].f->name, "id") == 0 ||
                   strstr(q.ordering, "id") != NULL);
            assert(q.limit >= 1 && q.limit <= sample_api.max_page_size);
            if (q.cursor.p)
                cursor(q.cursor, &a);
        }
    }
    cursor(in, &a);
    /* the input as an If-Match / If-None-Match list */
    char tag[35];
    api_etag((const char *)data, size, tag);
    bool strong = api_etag_match(in, tag, true);
    assert(!strong || api_etag_match(in, tag, false));
    kiln_arena_deinit(&a);
    return 0;
}
