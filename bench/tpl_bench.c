/*
 * bench/tpl_bench.c - template rendering speed: the TechEmpower "fortunes"
 * page (13 rows of id + message in a table, one message with markup to
 * escape, one in Japanese) rendered N times.
 *
 *   tpl_bench [N]        N renders (default 200000); prints ns per render
 *   tpl_bench --print    prints the page once (bench/tpl_bench.py checks
 *                        that Jinja2 renders the same bytes)
 *
 * Each render is what a handler does: reset the request arena, build the
 * context (13 maps in a list), render into a reused buffer. The first line
 * reports that; the second, rendering alone with a prebuilt context.
 * bench/tpl_bench.py runs Jinja2 on the same template and prints the ratio.
 */
#include <kiln/tpl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char page[] =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head><title>Fortunes</title></head>\n"
    "<body>\n"
    "<table>\n"
    "<tr><th>id</th><th>message</th></tr>\n"
    "{% for f in fortunes %}"
    "<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>\n"
    "{% endfor %}"
    "</table>\n"
    "</body>\n"
    "</html>\n";

/* The 13 fortunes, already sorted by message (as the test requires). */
static const struct {
    int id;
    const char *message;
} fortunes[] = {
    {11, "<script>alert(\"This should not be displayed in a browser alert "
         "box.\");</script>"},
    {4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"},
    {5, "A computer program does what you tell it to do, not what you want "
        "it to do."},
    {2, "A computer scientist is someone who fixes things that aren't "
        "broken."},
    {8, "A list is only as strong as its weakest link. \xe2\x80\x94 Donald "
        "Knuth"},
    {0, "Additional fortune added at request time."},
    {3, "After enough decimal places, nobody gives a damn."},
    {7, "Any program that runs right is obsolete."},
    {10, "Computers make very fast, very accurate mistakes."},
    {6, "Emacs is a nice operating system, but I prefer UNIX. \xe2\x80\x94 "
        "Tom Christaensen"},
    {9, "Feature: A bug with seniority."},
    {1, "fortune: No such file or directory"},
    {12, "\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x83\xa0\xe3\x83\xaf\xe3"
         "\x83\xbc\xe3\x82\xaf\xe3\x81\xae\xe3\x83\x99\xe3\x83\xb3\xe3\x83"
         "\x81\xe3\x83\x9e\xe3\x83\xbc\xe3\x82\xaf"},
};

static kiln_value make_ctx(kiln_arena *a)
{
    kiln_value ctx = kiln_value_map(a), list = kiln_value_list(a);
    for (size_t i = 0; i < sizeof(fortunes) / sizeof(fortunes[0]); i++) {
        kiln_value f = kiln_value_map(a);
        kiln_value_set(f, "id", kiln_value_int(fortunes[i].id));
        kiln_value_set(f, "message", kiln_value_cstr(fortunes[i].message));
        kiln_value_push(list, f);
    }
    kiln_value_set(ctx, "fortunes", list);
    return ctx;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    bool print = argc > 1 && strcmp(argv[1], "--print") == 0;
    long n = argc > 1 && !print ? atol(argv[1]) : 200000;
    if (n <= 0)
        n = 1;
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error err;
    if (!set || kiln_tpl_set_add(set, "fortunes.html", page, sizeof(page) - 1,
                                 &err) != 0) {
        fprintf(stderr, "%s\n", set ? err.text : "out of memory");
        return 1;
    }
    kiln_arena a;
    kiln_arena_init(&a, 16 * 1024);
    kiln_buf out;
    kiln_buf_init(&out);
    if (print) {
        if (kiln_tpl_render(set, "fortunes.html", make_ctx(&a), &a, &out,
                            &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
        fwrite(out.p, 1, out.n, stdout);
        return 0;
    }

    /* per request: arena reset + context + render */
    size_t bytes = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        kiln_arena_reset(&a);
        kiln_buf_clear(&out);
        if (kiln_tpl_render(set, "fortunes.html", make_ctx(&a), &a, &out,
                            &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
        bytes = out.n;
    }
    double full = (now() - t0) / (double)n * 1e9;

    /* rendering alone */
    kiln_arena_reset(&a);
    kiln_value ctx = make_ctx(&a);
    kiln_arena tmp;
    kiln_arena_init(&tmp, 16 * 1024);
    t0 = now();
    for (long i = 0; i < n; i++) {
        kiln_arena_reset(&tmp);
        kiln_buf_clear(&out);
        if (kiln_tpl_render(set, "fortunes.html", ctx, &tmp, &out, &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
    }
    double render = (now() - t0) / (double)n * 1e9;
    printf("kiln full: %ld renders, %.0f ns/render (context + render), %zu "
           "bytes\n",
           n, full, bytes);
    printf("kiln render: %.0f ns/render (%.0f renders/s)\n", render,
           1e9 / render);
    kiln_arena_deinit(&tmp);
    kiln_arena_deinit(&a);
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
    return 0;
}
