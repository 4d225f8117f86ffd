/*
 * tests/tpl/tpl_render.c - renders one template with a JSON context to
 * stdout; the C side of tests/tpl/diff_jinja.py, also handy by hand.
 *
 *   tpl_render [options] NAME [CONTEXT.json]
 *     -I DIR        add DIR to the search path (default: ".")
 *     --strict      strict undefined (default lenient)
 *     --block NAME  render only that block (kiln_tpl_render_block)
 *     --trim-blocks, --lstrip-blocks, --keep-trailing-newline,
 *     --no-autoescape
 *     --all         also compile every *.html in the -I folders (errors in
 *                   the others are ignored), so names only known at render
 *                   time (include of a variable) resolve
 *
 * Exit status: 0 rendered, 1 compile or render error (the report goes to
 * stderr), 2 usage or I/O error.
 */
#include <kiln/json.h>
#include <kiln/tpl.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: tpl_render [-I DIR]... [--strict] [--block NAME] "
                    "[--trim-blocks] [--lstrip-blocks] "
                    "[--keep-trailing-newline] [--no-autoescape] [--all] "
                    "NAME [CONTEXT.json]\n");
    return 2;
}

/* Reads a whole file into b; 0 or -1. */
static int slurp(const char *path, kiln_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (kiln_buf_append(b, chunk, n) != 0) {
            fclose(f);
            return -1;
        }
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    kiln_tpl_options opt = {0};
    const char *dirs[32], *block = NULL, *name = NULL, *ctx_path = NULL;
    int ndirs = 0;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-I") == 0 && i + 1 < argc && ndirs < 32)
            dirs[ndirs++] = argv[++i];
        else if (strcmp(a, "--strict") == 0)
            opt.undefined = KILN_TPL_STRICT;
        else if (strcmp(a, "--block") == 0 && i + 1 < argc)
            block = argv[++i];
        else if (strcmp(a, "--trim-blocks") == 0)
            opt.trim_blocks = true;
        else if (strcmp(a, "--lstrip-blocks") == 0)
            opt.lstrip_blocks = true;
        else if (strcmp(a, "--keep-trailing-newline") == 0)
            opt.keep_trailing_newline = true;
        else if (strcmp(a, "--no-autoescape") == 0)
            opt.no_autoescape = true;
        else if (strcmp(a, "--all") == 0)
            all = true;
        else if (a[0] == '-')
            return usage();
        else if (!name)
            name = a;
        else if (!ctx_path)
            ctx_path = a;
        else
            return usage();
    }
    if (!name)
        return usage();
    if (!ndirs)
        dirs[ndirs++] = ".";

    kiln_tpl_set *set = kiln_tpl_set_new(&opt);
    if (!set)
        return 2;
    for (int i = 0; i < ndirs; i++)
        kiln_tpl_set_add_dir(set, dirs[i]);
    kiln_tpl_error err;
    for (int i = 0; all && i < ndirs; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            size_t n = strlen(de->d_name);
            if (n > 5 && strcmp(de->d_name + n - 5, ".html") == 0)
                kiln_tpl_set_load(set, de->d_name, &err);
        }
        if (d)
            closedir(d);
    }
    int rc = kiln_tpl_set_load(set, name, &err);
    if (rc) {
        fprintf(stderr, "%s\n", err.text);
        kiln_tpl_set_free(set);
        return 1;
    }

    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value ctx = kiln_value_null();
    kiln_buf src;
    kiln_buf_init(&src);
    if (ctx_path) {
        kiln_json *j;
        kiln_json_error jerr;
        if (slurp(ctx_path, &src) != 0) {
            perror(ctx_path);
            return 2;
        }
        if (kiln_json_parse(&a, src.p ? src.p : "", src.n, 0, &j, &jerr) ||
            kiln_value_from_json(&a, j, &ctx) != 0) {
            fprintf(stderr, "%s:%d:%d: %s\n", ctx_path, jerr.line, jerr.col,
                    jerr.msg);
            return 2;
        }
    }
    kiln_buf out;
    kiln_buf_init(&out);
    rc = block ? kiln_tpl_render_block(set, name, block, ctx, &a, &out, &err)
               : kiln_tpl_render(set, name, ctx, &a, &out, &err);
    if (rc == 0)
        fwrite(out.p ? out.p : "", 1, out.n, stdout);
    else
        fprintf(stderr, "%s\n", err.text);
    kiln_buf_deinit(&out);
    kiln_buf_deinit(&src);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
    return rc ? 1 : 0;
}
