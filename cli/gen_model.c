/*
 * cli/gen_model.c - `kiln gen model NAME FIELD:TYPE...`: writes
 * models/NAME.toml from a list of fields in the model language's
 * shorthand, then loads it with the other models so that a mistake is
 * reported before anything is written:
 *
 *   kiln gen model task title:string:200 done:bool due:date? project:ref
 */
#include "cli.h"

#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char gen_model_help[] =
    "usage: kiln gen model NAME [FIELD:TYPE[:ARG][?]...]\n\n"
    "Writes models/NAME.toml with one field per argument, in the model\n"
    "language's shorthand (docs/models.md):\n\n"
    "  title:string:200   a string of at most 200 characters\n"
    "  done:bool          bool, integer, float, text, date, datetime, time,\n"
    "                     uuid, email, url, json\n"
    "  due:date?          '?': optional (NULL allowed)\n"
    "  price:decimal:8,2  a decimal of 8 digits, 2 after the point\n"
    "  status:enum:open,done\n"
    "  project:ref        a reference to the model project (ref:MODEL for\n"
    "                     another name)\n"
    "  tags:many:tag      many-to-many links to the model tag\n"
    "  created:datetime:created   set on insert (:updated: on every write)\n"
    "  pinned:bool=false  '=VALUE': a default (true, 12, now, random, text)\n\n"
    "Then: kiln migrate --make, and kiln migrate.\n";

int cli_gen_model(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(gen_model_help, stdout);
        return 0;
    }
    if (argc < 2)
        return cli_usage_error("gen model needs a NAME (and fields: "
                               "title:string:200 ...)");
    const char *name = argv[1];
    if (!model_name_ok(name, strlen(name)))
        return cli_usage_error("'%s' is not a usable model name: lower-case "
                               "letters, digits and '_', a letter first",
                               name);
    char root[PATH_MAX];
    if (cli_find_root(root))
        return 1;
    char rel[PATH_MAX], path[PATH_MAX * 2];
    snprintf(rel, sizeof rel, "models/%s.toml", name);
    cli_pathf(path, sizeof path, "%s/%s", root, rel);
    if (cli_exists(path))
        return cli_fail("%s already exists; edit it instead", rel);
    kiln_buf t;
    kiln_buf_init(&t);
    kiln_buf_printf(&t,
                    "# %s - the %s model: one row of table %s per %s.\n"
                    "# Fields are \"type[:arg][?]\" or { type = ..., options "
                    "}; see docs/models.md.\n"
                    "# After a change: kiln migrate --make, then kiln "
                    "migrate.\n\n[fields]\n",
                    rel, name, name, name);
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *colon = strchr(a, ':');
        if (a[0] == '-') {
            rc = cli_usage_error("unknown option '%s'", a);
            break;
        }
        if (!colon || colon == a || !colon[1]) {
            rc = cli_usage_error("'%s': write a field as NAME:TYPE "
                                 "(title:string:200, due:date?)",
                                 a);
            break;
        }
        kiln_buf_printf(&t, "%.*s = ", (int)(colon - a), a);
        /* the rest is the shorthand, as a TOML string, and =DEFAULT */
        const char *eq = strchr(colon + 1, '=');
        size_t tn = eq ? (size_t)(eq - colon - 1) : strlen(colon + 1);
        if (!eq) {
            kiln_json_put_str(&t, colon + 1, tn);
        } else {
            const char *v = eq + 1;
            char *end;
            bool raw = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
            if (!raw && *v) {
                (void)strtod(v, &end);
                raw = *end == '\0' && strspn(v, "+-0123456789.eE") == strlen(v);
            }
            kiln_buf_puts(&t, "{ type = ");
            kiln_json_put_str(&t, colon + 1, tn);
            kiln_buf_puts(&t, ", default = ");
            if (raw)
                kiln_buf_puts(&t, v);
            else
                kiln_json_put_str(&t, v, strlen(v));
            kiln_buf_puts(&t, " }");
        }
        kiln_buf_putc(&t, '\n');
    }
    if (rc) {
        kiln_buf_deinit(&t);
        return rc;
    }
    /* load it with the other models: a typo or a missing target fails now */
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs;
    kiln_buf_init(&errs);
    int lr = model_load_dir(&ms, root, &errs);
    const char *why = "the existing models have errors";
    if (lr == 0) {
        why = "fix the fields above";
        lr = model_load_text(&ms, rel, t.p, t.n, &errs);
        if (lr == 0)
            lr = model_set_resolve(&ms, &errs);
    }
    model_set_free(&ms);
    if (lr != 0) {
        /* the new file does not exist: name the argument, not a position */
        size_t rn = strlen(rel);
        for (const char *l = errs.p ? errs.p : ""; *l;) {
            const char *nl = strchr(l, '\n');
            size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
            const char *msg = l;
            if (strncmp(l, rel, rn) == 0 && l[rn] == ':') {
                const char *p = strchr(l + rn + 1, ':');
                p = p ? strchr(p + 1, ':') : NULL;
                if (p && p < l + n)
                    msg = p + 2;
            }
            fprintf(stderr, "kiln gen: %.*s", (int)(n - (size_t)(msg - l)),
                    msg);
            l += n;
        }
        kiln_buf_deinit(&errs);
        kiln_buf_deinit(&t);
        return cli_fail("%s was not written (%s)", rel, why);
    }
    kiln_buf_deinit(&errs);
    char dir[PATH_MAX + 16];
    cli_pathf(dir, sizeof dir, "%s/models", root);
    if (cli_mkdirs(dir) != 0 || cli_write_file(path, t.p, t.n, 0644) != 0) {
        kiln_buf_deinit(&t);
        return cli_fail("cannot write %s: %s", rel, strerror(errno));
    }
    kiln_buf_deinit(&t);
    printf("created %s\n\nnext: kiln migrate --make, then kiln migrate\n", rel);
    return 0;
}
