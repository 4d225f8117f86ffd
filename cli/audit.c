/*
 * cli/audit.c - kiln audit: the audit log in the app's database
 * (kiln_audit, docs/audit.md), newest first.
 *
 *   kiln audit [--model M] [--id N] [--limit N] [--json]
 *
 * Takes the settings flags too (--prod, --db URL, --set ...), as kiln
 * migrate does, to find the database.
 */
#include "cli.h"

#include "db/migrate.h"

#include <kiln/json.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char audit_help[] =
    "usage: kiln audit [--model M] [--id N] [--limit N] [--json]\n\n"
    "The audit log: every add, change and delete the admin made, and the\n"
    "CRUD API's for models with [api] audit = true, newest first: when,\n"
    "what, through what, by whom, and the fields that changed.\n\n"
    "  --model M    only entries of model M (its name: \"task\")\n"
    "  --id N       only entries of the object with id N (with --model)\n"
    "  --limit N    at most N entries (50)\n"
    "  --json       one JSON object per line, with the whole diff\n"
    "  --prod       production settings (no .env), as 'kiln run' uses\n"
    "  --db URL     another database (also KILN_DATABASE_URL, --set ...)\n";

/* What the command line asked for. */
typedef struct args {
    const char *model;
    long long id, limit;
    bool json;
} args;

static bool number(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Takes this command's flags out of argv into a (the settings flags into
   rest). Returns 0 or the exit status of a usage error. */
static int parse(int argc, char **argv, args *a, char **rest, int *nrest)
{
    a->limit = 50;
    *nrest = 0;
    rest[(*nrest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool valued = !strcmp(s, "--model") || !strcmp(s, "--id") ||
                      !strcmp(s, "--limit");
        if (valued && !v)
            return cli_usage_error("%s needs a value", s);
        if (!strcmp(s, "--model"))
            a->model = argv[++i];
        else if (!strcmp(s, "--id")) {
            if (!number(argv[++i], 1, LLONG_MAX, &a->id))
                return cli_usage_error("--id takes an object's id (a number "
                                       "from 1)");
        } else if (!strcmp(s, "--limit")) {
            if (!number(argv[++i], 1, 100000, &a->limit))
                return cli_usage_error("--limit takes a number from 1 to "
                                       "100000");
        } else if (!strcmp(s, "--json"))
            a->json = true;
        else if (s[0] != '-')
            return cli_usage_error("unexpected '%s' (kiln audit takes flags "
                                   "only)",
                                   s);
        else
            rest[(*nrest)++] = argv[i];
    }
    if (a->id && !a->model)
        return cli_usage_error("--id goes with --model (ids are per model)");
    return 0;
}

/* "2024-05-01 12:00:03" (UTC) of microseconds. */
static void when(int64_t us, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* s on one line, at most max bytes (...). */
static void put_short(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && s[n] && n < max; n++)
        putchar(s[n] == '\n' || s[n] == '\t' ? ' ' : s[n]);
    if (s && s[n])
        fputs("...", stdout);
}

/* One entry as a line of JSON. 0 or KILN_ENOMEM. */
static int put_json(kiln_rows *r)
{
    kiln_buf b;
    kiln_buf_init(&b);
    char at[40];
    kiln_buf tb;
    kiln_buf_init(&tb);
    int rc = kiln_datetime_format(kiln_row_time(r, 1), &tb);
    snprintf(at, sizeof at, "%.*s", (int)tb.n, tb.p ? tb.p : "");
    kiln_buf_deinit(&tb);
    kiln_str changes = kiln_row_text(r, 9);
    if (rc == 0)
        rc = kiln_json_format(
            &b,
            "{id: %lld, at: %s, user_id: %j, user_label: %s, model: %S, "
            "object_id: %lld, object_label: %S, action: %S, via: %S, "
            "changes: %j}",
            (long long)kiln_row_int(r, 0), at,
            kiln_row_is_null(r, 2) ? "null" : kiln_row_text(r, 2).p,
            kiln_row_text(r, 3).p, kiln_row_text(r, 4),
            (long long)kiln_row_int(r, 5), kiln_row_text(r, 6),
            kiln_row_text(r, 7), kiln_row_text(r, 8),
            changes.p ? changes.p : "{}");
    if (rc == 0)
        printf("%.*s\n", (int)b.n, b.p);
    kiln_buf_deinit(&b);
    return rc;
}

static int list(kiln_dbc *db, const args *a)
{
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT id, at, user_id, user_label, model, object_id, object_label, "
        "action, via, changes FROM kiln_audit WHERE (CAST($1 AS text) IS NULL "
        "OR model = CAST($1 AS text)) AND ($2 = 0 OR object_id = $2) ORDER BY "
        "at DESC, id DESC LIMIT $3",
        KILN_TEXT(a->model), KILN_INT(a->id), KILN_INT(a->limit));
    if (!r)
        return cli_fail("%s", kiln_db_errmsg(db));
    int shown = 0;
    while (kiln_rows_next(r)) {
        if (a->json) {
            if (put_json(r) != 0)
                return cli_fail("out of memory");
            shown++;
            continue;
        }
        if (!shown++)
            printf("%-8s %-20s %-7s %-6s %-16s %-28s %s\n", "ID", "WHEN (UTC)",
                   "ACTION", "VIA", "USER", "OBJECT", "CHANGES");
        char at[32], obj[160];
        when(kiln_row_time(r, 1), at, sizeof at);
        snprintf(obj, sizeof obj, "%s #%lld %s", kiln_row_text(r, 4).p,
                 (long long)kiln_row_int(r, 5), kiln_row_text(r, 6).p);
        kiln_str user = kiln_row_text(r, 3);
        printf("%-8lld %-20s %-7s %-6s %-16s ", (long long)kiln_row_int(r, 0),
               at, kiln_row_text(r, 7).p, kiln_row_text(r, 8).p,
               user.p ? user.p : "-");
        size_t w = strlen(obj);
        put_short(obj, 28);
        printf("%*s ", w < 28 ? (int)(28 - w) : 0, "");
        put_short(kiln_row_text(r, 9).p, 60);
        putchar('\n');
    }
    if (kiln_rows_error(r) < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (!shown && !a->json)
        printf("no entries\n");
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(audit_help, stdout);
        return 0;
    }
    args a = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    int rc =
        rest ? parse(argc, argv, &a, rest, &nrest) : cli_fail("out of memory");
    kiln_settings *s = NULL;
    kiln_dbc *db = rc ? NULL
                      : cli_open_db(nrest, rest, audit_schema.part,
                                    (int)audit_schema.n, "audit log", &s, &rc);
    kiln_settings_free(s);
    if (db)
        rc = list(db, &a);
    kiln_dbc_close(db);
    free(rest);
    return rc;
}
