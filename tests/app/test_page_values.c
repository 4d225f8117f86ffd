/*
 * tests/app/test_page_values.c - the values every page render has
 * (src/app/actions.c): form, form_values and errors, read by templates in
 * strict mode as a page reads them; and the form names of error pointers.
 */
#include "test.h"

#include "app/pages.h"

/* The result of one render, or "ERROR <code>: <report>". */
static char result[8192];

/* Renders src (strict undefined) with form, form_values and errors made
   from fields f[0..n) and errs (NULL: none). */
static const char *render(const char *src, const kiln_form_field *f, size_t n,
                          const kiln_errors *errs)
{
    kiln_tpl_options opt = {.undefined = KILN_TPL_STRICT};
    kiln_tpl_set *set = kiln_tpl_set_new(&opt);
    kiln_tpl_error err;
    kiln_arena a;
    kiln_buf out;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&out);
    kiln_value ctx = kiln_value_map(&a);
    CHECK(set && ctx.type == KILN_VALUE_MAP);
    CHECK_INT(kiln_value_set(ctx, "form", page_form_value(&a, f, n)), 0);
    CHECK_INT(
        kiln_value_set(ctx, "form_values", page_form_values_value(&a, f, n)),
        0);
    CHECK_INT(kiln_value_set(ctx, "errors", page_errors_value(errs)), 0);
    int rc = kiln_tpl_set_add(set, "t", src, strlen(src), &err);
    if (rc == 0)
        rc = kiln_tpl_render(set, "t", ctx, &a, &out, &err);
    if (rc == 0)
        snprintf(result, sizeof result, "%.*s", (int)out.n, out.p ? out.p : "");
    else
        snprintf(result, sizeof result, "ERROR %d: %s", rc, err.text);
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
    return result;
}

#define FIELD(n, v)                                                            \
    {                                                                          \
        {n, sizeof n - 1}, {v, sizeof v - 1}, NULL                             \
    }

TEST(field_names_are_written_as_a_form_writes_them)
{
    static const struct {
        const char *pointer, *name;
    } cases[] = {
        {"/title", "title"},
        {"/author/email", "author.email"},
        {"/tags/0", "tags[0]"},
        {"/items/3/qty", "items[3].qty"},
        {"/m/1/2", "m[1][2]"},
        {"/0", "0"},         /* a first segment is a key */
        {"/a/007", "a.007"}, /* not an index: a key */
        {"/a/1234567890", "a.1234567890"},
        {"/a~1b/c~0d", "a/b.c~d"}, /* RFC 6901 escapes undone */
        /* what the form syntax cannot write stays a pointer */
        {"/a.b", "/a.b"},
        {"/x/a[1]", "/x/a[1]"},
        {"/a//b", "/a//b"},
        {"/", "/"},
        {"/~1x", "/~1x"},
        {"", ""},
        {"?limit", "?limit"},
    };
    kiln_arena a;
    kiln_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = page_field_name(cases[i].pointer, &a);
        if (!got || strcmp(got, cases[i].name) != 0)
            test_fail(__FILE__, __LINE__, "'%s' named '%s', want '%s'",
                      cases[i].pointer, got ? got : "(null)", cases[i].name);
    }
    kiln_arena_deinit(&a);
}

TEST(errors_of_list_items_show_on_their_field)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_errors e;
    kiln_errors_init(&e, &a);
    kiln_errors_add(&e, "/title", "required", "Write a title.");
    kiln_errors_add(&e, "/tags/1", "not_found", "No tag 9.");
    kiln_errors_add(&e, "/author/email", "format", "Not an email.");
    CHECK_STR(render("{{ errors.tags }}|{{ errors['tags[1]'] }}|"
                     "{{ errors['/tags/1'] }}|{{ errors['tags.1'] }}|"
                     "[{{ errors['tags[0]'] }}]|{{ errors.author }}|"
                     "[{{ errors.ti }}]|[{{ errors.tag }}]|{{ errors.title }}",
                     NULL, 0, &e),
              "No tag 9.|No tag 9.|No tag 9.|No tag 9.|[]|Not an email.|[]|[]|"
              "Write a title.");
    /* the summary names fields as the form does, and each name reads back */
    CHECK_STR(render("{% for f, m in errors.items() %}{{ f }}={{ m }}/"
                     "{{ errors[f] }};{% endfor %}",
                     NULL, 0, &e),
              "title=Write a title./Write a title.;"
              "tags[1]=No tag 9./No tag 9.;"
              "author.email=Not an email./Not an email.;");
    kiln_arena_deinit(&a);
}

TEST(errors_of_a_field_itself_come_before_its_items)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_errors e;
    kiln_errors_init(&e, &a);
    kiln_errors_add(&e, "/tags/0", "invalid", "Not a tag id.");
    kiln_errors_add(&e, "/tags/3", "invalid", "Not one either.");
    kiln_errors_add(&e, "/tags", "max_items", "At most 3 tags.");
    CHECK_STR(render("{{ errors.tags }}|{{ errors['tags[3]'] }}|"
                     "{{ errors|length }}",
                     NULL, 0, &e),
              "At most 3 tags.|Not one either.|3");
    kiln_arena_deinit(&a);
}

TEST(form_values_lists_every_value_of_a_field)
{
    const kiln_form_field f[] = {FIELD("tags", "2"), FIELD("title", "x"),
                                 FIELD("tags", "15"), FIELD("empty", "")};
    CHECK_STR(render("{{ form_values.tags|join(',') }}|{{ form.tags }}|"
                     "{{ form_values.title|join(',') }}|"
                     "{{ form_values.empty|length }}|"
                     "{{ form_values.missing|length }}|"
                     "{{ '15' in form_values.tags }}|"
                     "{{ '1' in form_values.tags }}|"
                     "{{ '1' in form.tags }}",
                     f, 4, NULL),
              "2,15|2|x|1|0|True|False|False");
    CHECK_STR(render("{% for k, v in form_values.items() %}{{ k }}:"
                     "{{ v|join('+') }};{% endfor %}{{ form_values|length }}",
                     f, 4, NULL),
              "tags:2+15;title:x;empty:;3");
    /* a field named like a method wins over the method */
    const kiln_form_field g[] = {FIELD("items", "a"), FIELD("items", "b")};
    CHECK_STR(render("{{ form_values['items']|join(',') }}|"
                     "{{ form_values.items|join(',') }}",
                     g, 2, NULL),
              "a,b|a,b");
}

TEST(page_values_are_empty_on_a_get_even_in_strict_mode)
{
    CHECK_STR(render("[{{ form.title }}][{{ form_values.tags|length }}]"
                     "[{{ errors.title }}]{{ 'x' if form or form_values or "
                     "errors else 'none' }}|"
                     "{% for k, v in form_values.items() %}{{ k }}{% endfor %}",
                     NULL, 0, NULL),
              "[][0][]none|");
    /* a NULL arena (no memory) gives the empty values too */
    const kiln_form_field f[] = {FIELD("tags", "2")};
    kiln_value v = page_form_values_value(NULL, f, 1);
    CHECK_INT(kiln_value_len(v), 0);
}
