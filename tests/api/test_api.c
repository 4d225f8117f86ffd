/*
 * tests/api/test_api.c - the pure parts of the generated CRUD API: a
 * list's query parameters (api_query_parse), the cursor both ways
 * (api_cursor_encode/decode/fits) and the routes' names and shapes.
 */
#include "api/api_impl.h"
#include "sample.h"
#include "test.h"

/* Parses the query string qs as a list of the sample model. */
static int parse(const char *qs, kiln_arena *a, api_query *q, kiln_errors *errs)
{
    http_kv *kv = NULL;
    long n = http_query_parse(a, kiln_str_c(qs), &kv);
    if (n < 0)
        return (int)n;
    kiln_errors_init(errs, a);
    return api_query_parse(&sample_model, kv, (size_t)n, a, q, errs);
}

/* The code of the error about parameter name, or NULL. */
static const char *code_of(const kiln_errors *e, const char *name)
{
    char ptr[80];
    snprintf(ptr, sizeof ptr, "?%s", name);
    const kiln_error_item *it = kiln_errors_find(e, ptr);
    return it ? it->code : NULL;
}

TEST(query_defaults)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_query q;
    kiln_errors e;
    CHECK_INT(parse("", &a, &q, &e), 0);
    CHECK_INT(q.limit, 10);
    CHECK(!q.offset_mode);
    CHECK(q.cursor.p == NULL);
    CHECK_STR(q.ordering, "-rank,id"); /* the model's, then id */
    CHECK_INT(q.norder, 2);
    CHECK_INT(q.nfilters, 0);
    kiln_arena_deinit(&a);
}

TEST(query_values_by_type)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_query q;
    kiln_errors e;
    CHECK_INT(parse("limit=30&offset=4&ordering=due,-title&rank__gte=3"
                    "&due=2026-01-02&status__in=todo,done&done=true"
                    "&title__icontains=Ab%25&score__isnull=false&search=x",
                    &a, &q, &e),
              0);
    CHECK_INT(q.limit, 30);
    CHECK(q.offset_mode);
    CHECK_INT(q.offset, 4);
    CHECK_STR(q.ordering, "due,-title,id");
    CHECK_INT(q.nfilters, 6);
    CHECK_INT(q.filters[0].lookup, API_GTE);
    CHECK_INT(q.filters[0].vals[0].type, KILN_DB_INT);
    CHECK_INT(q.filters[0].vals[0].v.i, 3);
    CHECK_INT(q.filters[1].lookup, API_EQ);
    CHECK_INT(q.filters[1].vals[0].type, KILN_DB_TEXT);
    CHECK_VIEW(q.filters[1].vals[0].v.s, "2026-01-02");
    CHECK_INT(q.filters[2].lookup, API_IN);
    CHECK_INT(q.filters[2].nvals, 2);
    CHECK_VIEW(q.filters[2].vals[1].v.s, "done");
    CHECK_INT(q.filters[3].vals[0].type, KILN_DB_BOOL);
    CHECK(q.filters[3].vals[0].v.b);
    CHECK_INT(q.filters[4].lookup, API_ICONTAINS);
    CHECK_VIEW(q.filters[4].vals[0].v.s, "Ab%");
    CHECK_INT(q.filters[5].lookup, API_ISNULL);
    CHECK(!q.filters[5].vals[0].v.b);
    CHECK_VIEW(q.search, "x");
    /* an empty value of an optional field is NULL: IS NULL */
    CHECK_INT(parse("due=", &a, &q, &e), 0);
    CHECK_INT(q.filters[0].vals[0].type, KILN_DB_NULL);
    kiln_arena_deinit(&a);
}

TEST(query_every_bad_parameter)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_query q;
    kiln_errors e;
    CHECK_INT(parse("x=1&rank__near=2&id=3&status__lt=todo&due__gte=soon"
                    "&status=late&rank__in=1,,2&done__isnull=true"
                    "&score__isnull=yes&limit=31&offset=x&ordering=score"
                    "&expand=title&title__contains=a&title__contains=b",
                    &a, &q, &e),
              KILN_EINVAL);
    CHECK_STR(code_of(&e, "x"), "unknown_parameter");
    CHECK_STR(code_of(&e, "rank__near"), "unknown_lookup");
    CHECK_STR(code_of(&e, "id"), "not_filterable");
    CHECK_STR(code_of(&e, "status__lt"), "unknown_lookup");
    CHECK_STR(code_of(&e, "due__gte"), "invalid");
    CHECK_STR(code_of(&e, "status"), "invalid");
    CHECK_STR(code_of(&e, "rank__in"), "invalid");
    CHECK_STR(code_of(&e, "done__isnull"), "unknown_lookup");
    CHECK_STR(code_of(&e, "score__isnull"), "invalid");
    CHECK_STR(code_of(&e, "limit"), "out_of_range");
    CHECK_STR(code_of(&e, "offset"), "invalid");
    CHECK_STR(code_of(&e, "ordering"), "not_orderable");
    CHECK_STR(code_of(&e, "expand"), "not_expandable");
    CHECK_STR(code_of(&e, "title__contains"), "invalid"); /* twice */
    CHECK_INT(e.n, 14);
    CHECK_INT(parse("limit=0", &a, &q, &e), KILN_EINVAL);
    CHECK_STR(code_of(&e, "limit"), "out_of_range");
    CHECK_INT(parse("limit=-1", &a, &q, &e), KILN_EINVAL);
    CHECK_STR(code_of(&e, "limit"), "invalid");
    CHECK_INT(parse("ordering=rank,,title", &a, &q, &e), KILN_EINVAL);
    CHECK_INT(parse("ordering=rank,-rank", &a, &q, &e), KILN_EINVAL);
    CHECK_INT(parse("offset=0&cursor=abc", &a, &q, &e), KILN_EINVAL);
    CHECK_STR(code_of(&e, "offset"), "invalid");
    CHECK_INT(parse("title=" /* 21 characters: past max_length */
                    "aaaaaaaaaaaaaaaaaaaaa",
                    &a, &q, &e),
              KILN_EINVAL);
    CHECK_STR(code_of(&e, "title"), "invalid");
    /* a NUL (%00) in text: PostgreSQL's text cannot hold one, so it is a
       422, never a database error (found by scripts/api_props.py) */
    CHECK_INT(parse("title=a%00b&title__contains=%00&title__icontains=x%00"
                    "&title__in=a,%00&search=%00",
                    &a, &q, &e),
              KILN_EINVAL);
    CHECK_INT(e.n, 5);
    CHECK_STR(code_of(&e, "title"), "invalid");
    CHECK_STR(code_of(&e, "title__contains"), "invalid");
    CHECK_STR(code_of(&e, "title__icontains"), "invalid");
    CHECK_STR(code_of(&e, "title__in"), "invalid");
    CHECK_STR(code_of(&e, "search"), "invalid");
    CHECK_INT(parse("title__contains=a%25_&search=%25", &a, &q, &e), 0);
    /* at most API_MAX_PARAMS parameters */
    kiln_buf many;
    kiln_buf_init(&many);
    for (int i = 0; i <= API_MAX_PARAMS; i++)
        kiln_buf_printf(&many, "%sp%d=1", i ? "&" : "", i);
    CHECK_INT(parse(many.p, &a, &q, &e), KILN_EINVAL);
    CHECK_INT(e.n, 1);
    CHECK_STR(code_of(&e, "p64"), "out_of_range");
    kiln_buf_deinit(&many);
    kiln_arena_deinit(&a);
}

TEST(query_signature)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_query q;
    kiln_errors e;
    CHECK_INT(parse("rank=1&status=todo&limit=3", &a, &q, &e), 0);
    uint32_t s1 = q.sig;
    CHECK_INT(parse("status=todo&rank=1&cursor=x", &a, &q, &e), 0);
    CHECK(q.sig == s1); /* order, limit and cursor do not matter */
    CHECK_INT(parse("status=todo&rank=2", &a, &q, &e), 0);
    CHECK(q.sig != s1);
    CHECK_INT(parse("status=todo&rank=1&search=a", &a, &q, &e), 0);
    CHECK(q.sig != s1);
    kiln_arena_deinit(&a);
}

TEST(cursor_round_trip)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_cursor c = {.ordering = KILN_STR("-due,title,id"), .sig = 0xdeadbeef};
    c.vals[0] = KILN_NULL;
    c.vals[1] = KILN_STRV(KILN_STR("a;b:c\n\xc3\xa9"));
    c.vals[2] = KILN_INT(-42);
    c.vals[3] = KILN_FLOAT(0.1);
    c.vals[4] = KILN_BOOL(true);
    c.vals[5] = KILN_TIME(1767225600123456LL);
    c.nvals = 6;
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(api_cursor_encode(&c, &b), 0);
    for (size_t i = 0; i < b.n; i++)
        CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_",
                     b.p[i]) != NULL); /* URL-safe, no padding */
    api_cursor d;
    CHECK_INT(api_cursor_decode(kiln_buf_str(&b), &a, &d), 0);
    CHECK_VIEW(d.ordering, "-due,title,id");
    CHECK(d.sig == 0xdeadbeef);
    CHECK_INT(d.nvals, 6);
    CHECK_INT(d.vals[0].type, KILN_DB_NULL);
    CHECK_VIEW(d.vals[1].v.s, "a;b:c\n\xc3\xa9");
    CHECK_INT(d.vals[2].v.i, -42);
    CHECK(d.vals[3].type == KILN_DB_FLOAT && d.vals[3].v.f == 0.1);
    CHECK(d.vals[4].type == KILN_DB_BOOL && d.vals[4].v.b);
    CHECK(d.vals[5].type == KILN_DB_TIME &&
          d.vals[5].v.i == 1767225600123456LL);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

/* base64url of text, without padding. */
static void b64(const char *text, char *out)
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(text), o = 0;
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = al[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = al[v & 63];
    }
    out[o] = 0;
}

TEST(cursor_refuses)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_cursor d;
    static const char *const bad_raw[] = {
        "",     "A",    "AA==", "AB",
        "a+b/", "!!!!", "AAAA", /* bytes that are no cursor */
    };
    for (size_t i = 0; i < sizeof bad_raw / sizeof bad_raw[0]; i++)
        CHECK_INT(api_cursor_decode(kiln_str_c(bad_raw[i]), &a, &d),
                  KILN_EINVAL);
    static const char *const bad[] = {
        "2;id;00000000;1;i1",                    /* version */
        "1;;00000000;1;i1",                      /* no ordering */
        "1;ID;00000000;1;i1",                    /* not a field name */
        "1;id;0000000;1;i1",                     /* a short signature */
        "1;id;0000000g;1;i1",                    /* not hex */
        "1;id;00000000;0",                       /* no value */
        "1;id;00000000;9;i1",                    /* too many */
        "1;id;00000000;2;i1",                    /* fewer than said */
        "1;id;00000000;1;i1;i2",                 /* more than said */
        "1;id;00000000;1;ix",                    /* not an integer */
        "1;id;00000000;1;i",                     /* empty */
        "1;id;00000000;1;i99999999999999999999", /* overflow */
        "1;id;00000000;1;b2",                    /* not a bool */
        "1;id;00000000;1;fnan",                  /* not finite */
        "1;id;00000000;1;t5:abc",                /* text past the end */
        "1;id;00000000;1;t-1:",                  /* negative length */
        "1;id;00000000;1;t1:ab",                 /* bytes after the text */
        "1;id;00000000;1;x1",                    /* unknown type */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char enc[200];
        b64(bad[i], enc);
        if (api_cursor_decode(kiln_str_c(enc), &a, &d) != KILN_EINVAL)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    }
    char enc[200];
    b64("1;id;0000002a;1;i7", enc);
    CHECK_INT(api_cursor_decode(kiln_str_c(enc), &a, &d), 0);
    CHECK_INT(d.sig, 42);
    CHECK_INT(d.vals[0].v.i, 7);
    kiln_arena_deinit(&a);
}

TEST(cursor_fits_its_query)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    api_query q;
    kiln_errors e;
    CHECK_INT(parse("ordering=due,title&rank=1", &a, &q, &e), 0);
    api_cursor c = {
        .ordering = kiln_str_c(q.ordering), .sig = q.sig, .nvals = 3};
    c.vals[0] = KILN_TEXT("2026-01-02");
    c.vals[1] = KILN_TEXT("x");
    c.vals[2] = KILN_INT(5);
    CHECK(api_cursor_fits(&c, &q));
    c.vals[0] = KILN_NULL; /* due is optional */
    CHECK(api_cursor_fits(&c, &q));
    c.vals[1] = KILN_NULL; /* title is not */
    CHECK(!api_cursor_fits(&c, &q));
    c.vals[1] = KILN_TEXT("x");
    c.vals[0] = KILN_TEXT("2026-02-30"); /* not a date */
    CHECK(!api_cursor_fits(&c, &q));
    c.vals[0] = KILN_INT(3); /* not text */
    CHECK(!api_cursor_fits(&c, &q));
    c.vals[0] = KILN_TEXT("2026-01-02");
    c.sig ^= 1; /* other filters */
    CHECK(!api_cursor_fits(&c, &q));
    c.sig ^= 1;
    c.ordering = KILN_STR("due,-title,id");
    CHECK(!api_cursor_fits(&c, &q));
    kiln_arena_deinit(&a);
}

TEST(route_names_and_shapes)
{
    api_route r[API_NOPS];
    CHECK_INT(api_routes(&sample_model, r), 2);
    CHECK_STR(r[0].method, "GET");
    CHECK_STR(r[0].pattern, "/api/samples");
    CHECK_STR(r[0].name, "listSamples");
    CHECK_STR(r[1].pattern, "/api/samples/{id}");
    CHECK_STR(r[1].name, "getSample");
    kiln_model_api api = sample_api;
    api.ops = 0x3f;
    api.path = "board/task-notes";
    kiln_model m = sample_model;
    m.name = "task_note";
    m.api = &api;
    CHECK_INT(api_routes(&m, r), 6);
    CHECK_STR(r[0].name, "listBoardTaskNotes");
    CHECK_STR(r[2].method, "POST");
    CHECK_STR(r[2].name, "createTaskNote");
    CHECK_STR(r[3].name, "updateTaskNote");
    CHECK_STR(r[4].name, "patchTaskNote");
    CHECK_STR(r[5].name, "deleteTaskNote");
    CHECK_STR(r[5].pattern, "/api/board/task-notes/{id}");
    CHECK(api_same_shape("/api/tasks/{id}", "/api/tasks/{task}"));
    CHECK(!api_same_shape("/api/tasks/{id}", "/api/tasks/{...rest}"));
    CHECK(!api_same_shape("/api/tasks/{id}", "/api/tasks"));
    CHECK(!api_same_shape("/api/tasks/x", "/api/tasks/{id}"));
}

TEST(etags)
{
    char tag[35];
    api_etag("{\"id\":1}", 8, tag);
    CHECK_INT(strlen(tag), 34);
    CHECK(tag[0] == '"' && tag[33] == '"');
    char other[35];
    api_etag("{\"id\":2}", 8, other);
    CHECK(strcmp(tag, other) != 0);
    char h[120];
    snprintf(h, sizeof h, "%s", tag);
    CHECK(api_etag_match(kiln_str_c(h), tag, true));
    snprintf(h, sizeof h, "\"x\", %s", tag);
    CHECK(api_etag_match(kiln_str_c(h), tag, true));
    snprintf(h, sizeof h, "W/%s", tag);
    CHECK(!api_etag_match(kiln_str_c(h), tag, true)); /* If-Match: strong */
    CHECK(api_etag_match(kiln_str_c(h), tag, false)); /* If-None-Match: weak */
    CHECK(api_etag_match(KILN_STR("*"), tag, true));
    CHECK(!api_etag_match(KILN_STR(""), tag, true));
    CHECK(!api_etag_match(kiln_str_c(other), tag, false));
    snprintf(h, sizeof h, "%.33s", tag); /* unterminated */
    CHECK(!api_etag_match(kiln_str_c(h), tag, false));
    snprintf(h, sizeof h, "%.32s", tag + 1); /* unquoted */
    CHECK(!api_etag_match(kiln_str_c(h), tag, false));
}
