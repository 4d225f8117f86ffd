/*
 * fuzz/fuzz_migration.c - libFuzzer target for generated migration files
 * (src/model/migration.c, replay.c, ddl.c): the input is read as
 * migrations/0002_fuzz.toml after a fixed first migration (a few models
 * with every kind of field, indexes, references and a join table).
 *
 * Checks what model/migration.h promises:
 *   - a file that does not parse says why, every line as
 *     "migrations/0002_fuzz.toml:LINE:COL: ..." (LINE >= 1);
 *   - a file that parses, written back with mig_write and read again,
 *     has the same operations (kinds, names, fields the same to the
 *     database, fills);
 *   - its SQL, forward and undoing it, on both backends, is made or
 *     refused with a reason (a line in errs), never crashing.
 * A failed check aborts (even with NDEBUG), which libFuzzer reports.
 * Seeds: fuzz/seeds/fuzz_migration/.
 */
#include "model/migration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__,        \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const char path[] = "migrations/0002_fuzz.toml";

static const char first[] =
    "[[op]]\ncreate_model = \"project\"\ntable = \"project\"\n[op.fields]\n"
    "name = \"string:80\"\n"
    "[[op]]\ncreate_model = \"task\"\ntable = \"task\"\n[op.fields]\n"
    "title = \"string:200\"\ndue = \"date?\"\nstate = \"enum:a,b,c\"\n"
    "size = { type = \"float\", default = 1.5 }\n"
    "price = \"decimal:8,2\"\nmade = { type = \"datetime\", auto = "
    "\"created\" }\nuid = { type = \"uuid\", default = \"random\" }\n"
    "data = \"json?\"\nproject = \"ref:project\"\n"
    "parent = { type = \"ref\", to = \"task\", optional = true, on_delete = "
    "\"set_null\" }\n"
    "[[op.index]]\nname = \"task_project_id_idx\"\nfields = [\"project\"]\n"
    "[[op.index]]\nname = \"task_title_uniq\"\nfields = [\"title\"]\n"
    "unique = true\n"
    "[[op]]\nadd_field = \"task.tags\"\nfield = \"many:project\"\n";

/* Every line of errs names the file and a line. */
static void check_lines(const kiln_buf *errs)
{
    FUZZ_CHECK(errs->n > 0 && errs->p[errs->n - 1] == '\n');
    const char *p = errs->p;
    while (p < errs->p + errs->n) {
        FUZZ_CHECK(strncmp(p, path, sizeof path - 1) == 0);
        const char *q = p + sizeof path - 1;
        FUZZ_CHECK(*q == ':' && q[1] >= '1' && q[1] <= '9');
        p = strchr(p, '\n') + 1;
    }
}

/* A fresh state after the first migration. */
static void base(model_set *st)
{
    model_set_init(st);
    mig_file f;
    mig_file_init(&f, "migrations/0001_init.toml");
    kiln_buf errs;
    kiln_buf_init(&errs);
    FUZZ_CHECK(mig_parse(st, &f, first, strlen(first), &errs) == 0);
    for (size_t i = 0; i < f.n; i++)
        FUZZ_CHECK(mig_replay(st, &f.ops[i], f.path, &errs) == 0);
    mig_file_free(&f);
    kiln_buf_deinit(&errs);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Written and read back, the operations are the same. */
static void check_round_trip(const mig_file *f)
{
    kiln_buf text, errs;
    kiln_buf_init(&text);
    kiln_buf_init(&errs);
    if (mig_write(f, "fuzz", &text, &errs) != 0) {
        FUZZ_CHECK(errs.n > 0); /* a default TOML cannot hold: said so */
        goto out;
    }
    model_set st;
    model_set_init(&st);
    mig_file g;
    mig_file_init(&g, path);
    int rc = mig_parse(&st, &g, text.p, text.n, &errs);
    if (rc != 0)
        fprintf(stderr, "%s\n---\n%s", errs.p ? errs.p : "", text.p);
    FUZZ_CHECK(rc == 0 && g.n == f->n);
    for (size_t i = 0; i < f->n; i++) {
        const mig_op *a = &f->ops[i], *b = &g.ops[i];
        FUZZ_CHECK(a->kind == b->kind && same_str(a->model, b->model) &&
                   same_str(a->name, b->name) && same_str(a->to, b->to) &&
                   same_str(a->table, b->table) && same_str(a->fill, b->fill) &&
                   a->fill_auto == b->fill_auto);
        FUZZ_CHECK((a->field == NULL) == (b->field == NULL) &&
                   (!a->field || mig_field_same(a->field, b->field)));
        FUZZ_CHECK((a->from == NULL) == (b->from == NULL) &&
                   (!a->from || mig_field_same(a->from, b->from)));
        FUZZ_CHECK((a->def == NULL) == (b->def == NULL));
        if (a->def) {
            FUZZ_CHECK(a->def->nfields == b->def->nfields &&
                       a->def->nindexes == b->def->nindexes);
            for (uint32_t k = 0; k < a->def->nfields; k++)
                FUZZ_CHECK(
                    mig_field_same(&a->def->fields[k], &b->def->fields[k]));
        }
    }
    mig_file_free(&g);
    model_set_free(&st);
out:
    kiln_buf_deinit(&text);
    kiln_buf_deinit(&errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    model_set st;
    base(&st);
    mig_file f;
    mig_file_init(&f, path);
    kiln_buf errs;
    kiln_buf_init(&errs);
    int rc = mig_parse(&st, &f, (const char *)data, size, &errs);
    if (rc != 0) {
        FUZZ_CHECK(rc == KILN_EINVAL || rc == KILN_ENOMEM);
        if (rc == KILN_EINVAL)
            check_lines(&errs);
        goto out;
    }
    FUZZ_CHECK(errs.n == 0);
    check_round_trip(&f);
    for (int be = 0; be < 2; be++)
        for (int reverse = 0; reverse < 2; reverse++) {
            model_set s2;
            base(&s2);
            mig_file g;
            mig_file_init(&g, path);
            kiln_buf sql, e2;
            kiln_buf_init(&sql);
            kiln_buf_init(&e2);
            FUZZ_CHECK(mig_parse(&s2, &g, (const char *)data, size, &e2) == 0);
            mig_rebuilds rb = {0};
            int r = mig_sql(&s2, &g, (ddl_backend)be, reverse, reverse == 0,
                            &sql, &rb, &e2);
            FUZZ_CHECK(r == 0 || r == KILN_EINVAL || r == KILN_ESTATE ||
                       r == KILN_ENOMEM);
            if (r == KILN_EINVAL || r == KILN_ESTATE)
                check_lines(&e2);
            mig_rebuilds_free(&rb);
            kiln_buf_deinit(&sql);
            kiln_buf_deinit(&e2);
            mig_file_free(&g);
            model_set_free(&s2);
        }
out:
    kiln_buf_deinit(&errs);
    mig_file_free(&f);
    model_set_free(&st);
    return 0;
}
