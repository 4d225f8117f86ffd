/*
 * config/settings_periodic.c - [tasks.periodic] in kiln.toml: the periodic
 * tasks, one entry per key (docs/tasks.md, "Periodic tasks").
 *
 *   [tasks.periodic]
 *   cleanup = "0 3 * * *"                     # the task tasks/cleanup.c
 *   report = { cron = "0 6 * * mon-fri", task = "email/report",
 *              payload = { kind = "daily" }, queue = "mail", priority = 5 }
 *
 * Each entry is checked here, so a mistake is reported with its place
 * before anything runs: the cron expression (tasks/cron.h), the names, the
 * keys of a table (with "did you mean"), the payload (any TOML value,
 * written as JSON: tables are objects, date-times strings; NaN and the
 * infinities have no JSON form). Whether the task exists is known only to
 * the app: kiln_app_tasks checks it when the app starts.
 */
#include <kiln/config.h>

#include "config/settings.h"
#include "config/toml.h"
#include "tasks/cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct reader {
    kiln_arena *a;
    const char *file;
    char *err;
    size_t errlen;
} reader;

static int fail(reader *R, const toml_value *v, const char *fmt, ...)
    KILN_PRINTF(3, 4);

static int fail(reader *R, const toml_value *v, const char *fmt, ...)
{
    if (R->err && R->errlen) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(R->err, R->errlen, "%s:%d:%d: %s", R->file, v->line, v->column,
                 msg);
        for (char *p = R->err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return KILN_EINVAL;
}

/* Task, queue and entry names: what kiln/tasks.h accepts. */
static bool name_ok(kiln_str s)
{
    if (s.n == 0 || s.n > 100)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.' ||
              ch == '/'))
            return false;
    }
    return true;
}

/* Writes v as JSON into b. */
static int to_json(reader *R, const char *entry, const toml_value *v,
                   kiln_buf *b)
{
    char buf[40];
    switch (v->type) {
    case TOML_STRING:
        return kiln_json_put_str(b, v->u.string.p, v->u.string.n);
    case TOML_INTEGER:
        return kiln_json_put_i64(b, v->u.integer);
    case TOML_FLOAT:
        if (v->u.floating != v->u.floating ||
            v->u.floating - v->u.floating != 0)
            return fail(R, v,
                        "tasks.periodic.%s: a payload cannot hold nan or inf "
                        "(JSON has no such number)",
                        entry);
        return kiln_json_put_double(b, v->u.floating);
    case TOML_BOOLEAN:
        return kiln_buf_puts(b, v->u.boolean ? "true" : "false");
    case TOML_ARRAY:
        if (kiln_buf_putc(b, '['))
            return KILN_ENOMEM;
        for (size_t i = 0; i < v->u.array.n; i++) {
            int rc = (i ? kiln_buf_putc(b, ',') : 0);
            if (rc || (rc = to_json(R, entry, v->u.array.items[i], b)))
                return rc;
        }
        return kiln_buf_putc(b, ']');
    case TOML_TABLE:
        if (kiln_buf_putc(b, '{'))
            return KILN_ENOMEM;
        for (size_t i = 0; i < v->u.table.n; i++) {
            const toml_entry *e = &v->u.table.items[i];
            int rc = (i ? kiln_buf_putc(b, ',') : 0);
            if (rc || (rc = kiln_json_put_str(b, e->key.p, e->key.n)) ||
                (rc = kiln_buf_putc(b, ':')) ||
                (rc = to_json(R, entry, e->value, b)))
                return rc;
        }
        return kiln_buf_putc(b, '}');
    default: /* the date-times, as strings */
        toml_datetime_format(&v->u.datetime, buf, sizeof buf);
        return kiln_json_put_str(b, buf, strlen(buf));
    }
}

/* A string value of an entry's table; NULL with an error when not one. */
static const char *str_of(reader *R, const char *entry, const char *key,
                          const toml_value *v, bool is_name, int *rc)
{
    if (v->type != TOML_STRING) {
        *rc = fail(R, v, "tasks.periodic.%s.%s must be a string, not %s", entry,
                   key, toml_type_name(v->type));
        return NULL;
    }
    if (strlen(v->u.string.p) != v->u.string.n) {
        *rc = fail(R, v, "tasks.periodic.%s.%s must not contain a NUL byte",
                   entry, key);
        return NULL;
    }
    if (is_name && !name_ok(v->u.string)) {
        *rc = fail(R, v,
                   "tasks.periodic.%s.%s: '%.100s' is not a name (letters, "
                   "digits, '_', '-', '.', '/')",
                   entry, key, v->u.string.p);
        return NULL;
    }
    char *s = kiln_arena_strndup(R->a, v->u.string.p, v->u.string.n);
    if (!s)
        *rc = KILN_ENOMEM;
    return s;
}

/* The cron expression at v, checked. */
static int check_cron(reader *R, const char *entry, const toml_value *v)
{
    cron_expr c;
    char why[200];
    if (cron_parse(v->u.string.p, v->u.string.n, &c, why, sizeof why) != 0)
        return fail(R, v, "tasks.periodic.%s: %s", entry, why);
    return 0;
}

static const char *const entry_keys[] = {"cron", "task", "payload", "queue",
                                         "priority"};

/* One entry (key e) into *p. */
static int entry(reader *R, const toml_entry *e, kiln_periodic *p)
{
    memset(p, 0, sizeof *p);
    const toml_value *v = e->value;
    if (!name_ok(e->key) || strlen(e->key.p) != e->key.n) {
        toml_value at = {.line = e->line, .column = e->column};
        return fail(R, &at,
                    "tasks.periodic: '%.100s' is not an entry name (letters, "
                    "digits, '_', '-', '.', '/')",
                    e->key.p);
    }
    const char *name = kiln_arena_strndup(R->a, e->key.p, e->key.n);
    p->origin = kiln_arena_printf(R->a, "%s:%d", R->file, e->line);
    if (!name || !p->origin)
        return KILN_ENOMEM;
    p->name = name;
    p->task = name;
    int rc = 0;
    if (v->type == TOML_STRING) {
        if ((rc = check_cron(R, name, v)) != 0)
            return rc;
        p->cron = str_of(R, name, "cron", v, false, &rc);
        return rc;
    }
    if (v->type != TOML_TABLE)
        return fail(R, v,
                    "tasks.periodic.%s must be a cron expression (a string) "
                    "or a table {cron = \"...\", task = ..., payload = ...}, "
                    "not %s",
                    name, toml_type_name(v->type));
    for (size_t i = 0; i < v->u.table.n && rc == 0; i++) {
        const toml_entry *k = &v->u.table.items[i];
        const toml_value *x = k->value;
        const char *key = k->key.p;
        if (strcmp(key, "cron") == 0) {
            p->cron = str_of(R, name, key, x, false, &rc);
            if (p->cron)
                rc = check_cron(R, name, x);
        } else if (strcmp(key, "task") == 0) {
            p->task = str_of(R, name, key, x, true, &rc);
        } else if (strcmp(key, "queue") == 0) {
            p->queue = str_of(R, name, key, x, true, &rc);
        } else if (strcmp(key, "priority") == 0) {
            if (x->type != TOML_INTEGER || x->u.integer < -1000000 ||
                x->u.integer > 1000000)
                rc = fail(R, x,
                          "tasks.periodic.%s.priority must be an integer "
                          "from -1000000 to 1000000",
                          name);
            else
                p->priority = (int)x->u.integer;
        } else if (strcmp(key, "payload") == 0) {
            kiln_buf b;
            kiln_buf_init(&b);
            rc = to_json(R, name, x, &b);
            if (rc == 0 && !(p->payload = kiln_arena_strndup(R->a, b.p, b.n)))
                rc = KILN_ENOMEM;
            kiln_buf_deinit(&b);
        } else {
            const char *near = NULL;
            size_t best = 3;
            for (size_t j = 0; j < sizeof entry_keys / sizeof entry_keys[0];
                 j++) {
                size_t d = kiln_str_distance(k->key, kiln_str_c(entry_keys[j]));
                if (d < best) {
                    best = d;
                    near = entry_keys[j];
                }
            }
            toml_value at = {.line = k->line, .column = k->column};
            rc = near ? fail(R, &at,
                             "tasks.periodic.%s: unknown key '%s' (did you "
                             "mean '%s'?)",
                             name, key, near)
                      : fail(R, &at,
                             "tasks.periodic.%s: unknown key '%s' (cron, "
                             "task, payload, queue, priority)",
                             name, key);
        }
    }
    if (rc == 0 && !p->cron)
        rc = fail(R, v, "tasks.periodic.%s has no cron = \"...\"", name);
    return rc;
}

int settings_periodic_read(kiln_arena *a, const char *file, const toml_value *v,
                           kiln_periodic **out, size_t *n, char *err,
                           size_t errlen)
{
    reader R = {a, file, err, errlen};
    *out = NULL;
    *n = 0;
    if (v->type != TOML_TABLE)
        return fail(&R, v,
                    "tasks.periodic must be a table of NAME = \"CRON\" "
                    "entries, not %s",
                    toml_type_name(v->type));
    kiln_periodic *list =
        kiln_arena_calloc(a, (v->u.table.n ? v->u.table.n : 1) * sizeof *list);
    if (!list)
        return KILN_ENOMEM;
    for (size_t i = 0; i < v->u.table.n; i++) {
        int rc = entry(&R, &v->u.table.items[i], &list[i]);
        if (rc != 0)
            return rc;
    }
    *out = list;
    *n = v->u.table.n;
    return 0;
}
