/*
 * config/settings.c - loading an app's settings (include/kiln/config.h).
 *
 * kiln_settings_load fills one value per known key (settings_keys.c) layer
 * by layer, each overriding the one before and recording where the value
 * came from:
 *
 *   1. defaults            origin "default"
 *   2. kiln.toml           "kiln.toml:LINE"  (the file name as given)
 *   3. .env (dev only)     ".env:LINE"
 *   4. the environment     "env KILN_SERVER_PORT"
 *   5. flags               "flag --port", "flag --set server.port"
 *   6. (dev only) a generated app.secret_key, kept in <root>/.kiln/secret_key
 *                          "generated"
 *
 * The flags are read first (--help and --config must be known before any
 * file is read) but applied last. Every value is kept as text (strings as
 * given, numbers in decimal, booleans true/false) and, for ints, sizes and
 * booleans, as a number; so kiln_settings_str works on every key.
 *
 * Memory: a kiln_settings owns one arena holding every string it returns.
 * Parse trees (TOML, .env) and file contents live in a temporary arena
 * freed before kiln_settings_load returns.
 */
#include <kiln/config.h>

#include "config/settings.h"
#include "config/toml.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* The value of one known key. */
typedef struct value {
    const char *text;   /* canonical text; NULL: unset (owned by s->a) */
    int64_t i;          /* ints, sizes; booleans as 0/1 */
    bool b;             /* booleans */
    const char *origin; /* owned by s->a or static */
} value;

/* How an [extra] value is printed. */
typedef enum extra_kind {
    EXTRA_STRING,
    EXTRA_INT,
    EXTRA_FLOAT,
    EXTRA_BOOL,
    EXTRA_BARE /* a date-time: printed unquoted */
} extra_kind;

/* One free key of [extra]; matched case-insensitively. */
typedef struct extra {
    const char *key;  /* without "extra."; owned by s->a */
    const char *name; /* "extra.<key>" */
    const char *text; /* owned by s->a */
    extra_kind kind;
    const char *origin;
} extra;

struct kiln_settings {
    kiln_arena a; /* every string below */
    bool dev;
    value *vals; /* settings_nkeys values, in table order */
    extra *extras;
    size_t nextra, extra_cap;
    kiln_periodic *periodic; /* [tasks.periodic], in s->a */
    size_t nperiodic;
    kiln_role *roles; /* [roles], in s->a */
    size_t nroles;
};

/* A flag read in the first pass, applied after the environment. */
typedef struct pending {
    int idx;           /* known key, or -1 for an extra */
    const char *extra; /* the extra key when idx == -1 */
    const char *text;
    const char *origin; /* "flag --port" */
} pending;

/* The state of one kiln_settings_load call. */
typedef struct loader {
    const kiln_settings_in *in;
    kiln_settings *s;
    char *err;
    size_t errlen;
    const char *root;
    const char *config; /* --config FILE, or NULL */
    kiln_arena tmp;     /* parse trees, file contents, pending flags */
    pending *flags;
    size_t nflags;
} loader;

static int fail(loader *L, int rc, const char *fmt, ...) KILN_PRINTF(3, 4);

static int fail(loader *L, int rc, const char *fmt, ...)
{
    if (L->err && L->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err, L->errlen, fmt, ap);
        va_end(ap);
        /* One line, whatever a key or value quoted in it holds. */
        for (char *p = L->err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    }
    return rc;
}

static int oom(loader *L)
{
    return fail(L, KILN_ENOMEM, "out of memory while loading the settings");
}

/* ---- setting values ------------------------------------------------------ */

/*
 * Sets known key idx from text s (n bytes). On a bad value returns
 * KILN_EINVAL with "<place>: <why>" in the error.
 */
static int set_text(loader *L, int idx, const char *s, size_t n,
                    const char *origin, const char *place)
{
    const settings_key *k = &settings_keys[idx];
    settings_parsed p;
    char why[300];
    if (settings_parse_text(k, s, n, &p, why, sizeof why) != 0)
        return fail(L, KILN_EINVAL, "%s: %s", place, why);
    value *v = &L->s->vals[idx];
    if (p.text)
        v->text = p.text;
    else if (k->type == SETTINGS_STRING)
        v->text = kiln_arena_strndup(&L->s->a, s, n);
    else if (k->type == SETTINGS_BOOL)
        v->text = p.b ? "true" : "false";
    else
        v->text = kiln_arena_printf(&L->s->a, "%" PRId64, p.i);
    if (!v->text)
        return oom(L);
    v->i = p.i;
    v->b = p.b;
    v->origin = origin;
    return 0;
}

/* Sets an integer (from TOML) after checking its range. */
static int set_int(loader *L, int idx, int64_t i, const char *origin,
                   const char *place)
{
    char why[300];
    if (settings_check_range(&settings_keys[idx], i, why, sizeof why) != 0)
        return fail(L, KILN_EINVAL, "%s: %s", place, why);
    value *v = &L->s->vals[idx];
    if (!(v->text = kiln_arena_printf(&L->s->a, "%" PRId64, i)))
        return oom(L);
    v->i = i;
    v->b = i != 0;
    v->origin = origin;
    return 0;
}

static extra *extra_find(const kiln_settings *s, const char *key, size_t n)
{
    for (size_t i = 0; i < s->nextra; i++)
        if (strlen(s->extras[i].key) == n &&
            kiln_str_ieq_c((kiln_str){key, n}, s->extras[i].key))
            return &s->extras[i];
    return NULL;
}

/* Sets extra.<key> (replacing an earlier value of the same key). */
static int set_extra(loader *L, const char *key, size_t kn, const char *text,
                     extra_kind kind, const char *origin)
{
    kiln_settings *s = L->s;
    extra *x = extra_find(s, key, kn);
    if (!x) {
        if (s->nextra == s->extra_cap) {
            size_t cap = s->extra_cap ? s->extra_cap * 2 : 8;
            extra *v = kiln_arena_alloc(&s->a, cap * sizeof *v);
            if (!v)
                return oom(L);
            if (s->nextra)
                memcpy(v, s->extras, s->nextra * sizeof *v);
            s->extras = v;
            s->extra_cap = cap;
        }
        x = &s->extras[s->nextra++];
        x->key = kiln_arena_strndup(&s->a, key, kn);
        x->name = kiln_arena_printf(&s->a, "extra.%.*s", (int)kn, key);
        if (!x->key || !x->name)
            return oom(L);
    }
    if (!(x->text = kiln_arena_strndup(&s->a, text, strlen(text))))
        return oom(L);
    x->kind = kind;
    x->origin = origin;
    return 0;
}

static void defaults(kiln_settings *s)
{
    for (size_t i = 0; i < settings_nkeys; i++) {
        const settings_key *k = &settings_keys[i];
        value *v = &s->vals[i];
        const char *def = k->def;
        if (!def && k->type == SETTINGS_BOOL)
            def = s->dev ? "true" : "false"; /* app.debug */
        v->origin = "default";
        v->text = def;
        if (def && k->type != SETTINGS_STRING) {
            settings_parsed p;
            char why[200];
            int rc =
                settings_parse_text(k, def, strlen(def), &p, why, sizeof why);
            assert(rc == 0);
            (void)rc;
            v->i = p.i;
            v->b = p.b;
        }
    }
}

/* ---- files ------------------------------------------------------------- */

/*
 * Reads the file at path into the temporary arena. Returns 0, or -errno
 * (with nothing read).
 */
static int read_file(loader *L, const char *path, char **out, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        if (e == 0 || S_ISDIR(st.st_mode))
            e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        close(fd);
        return -e;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = kiln_arena_alloc(&L->tmp, cap);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (len + 1 >= cap) { /* the file grew while we read it */
            char *b2 = kiln_arena_alloc(&L->tmp, cap * 2);
            if (!b2) {
                close(fd);
                return -ENOMEM;
            }
            memcpy(b2, buf, len);
            buf = b2;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    *n = len;
    return 0;
}

/* <root>/name in the temporary arena. */
static char *root_path(loader *L, const char *name)
{
    return kiln_arena_printf(&L->tmp, "%s/%s", L->root, name);
}

/* ---- kiln.toml ---------------------------------------------------------- */

/* "integer", "string"... for a TOML type, with "a"/"an". */
static const char *a_type(toml_type t)
{
    switch (t) {
    case TOML_STRING:
        return "a string";
    case TOML_INTEGER:
        return "an integer";
    case TOML_FLOAT:
        return "a float";
    case TOML_BOOLEAN:
        return "a boolean";
    case TOML_ARRAY:
        return "an array";
    case TOML_TABLE:
        return "a table";
    default:
        return "a date-time";
    }
}

static const char *want_type(settings_type t)
{
    switch (t) {
    case SETTINGS_STRING:
        return "a string";
    case SETTINGS_INT:
        return "an integer";
    case SETTINGS_BOOL:
        return "a boolean";
    case SETTINGS_SIZE:
        return "a size (an integer or a string such as \"10MiB\")";
    }
    return "?";
}

/* Shortest text that reads back as d, in TOML's spelling. */
static void format_double(double d, char *buf, size_t size)
{
    if (isnan(d)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(d)) {
        snprintf(buf, size, d < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* TOML needs a '.' or an exponent to read a float back. */
    if (!strpbrk(buf, ".eE") && strlen(buf) + 2 < size)
        strcat(buf, ".0");
}

static int toml_extra(loader *L, const char *file, const toml_entry *e)
{
    const toml_value *v = e->value;
    const char *origin = kiln_arena_printf(&L->s->a, "%s:%d", file, e->line);
    if (!origin)
        return oom(L);
    char buf[64];
    const char *text = buf;
    extra_kind kind;
    switch (v->type) {
    case TOML_STRING:
        if (strlen(v->u.string.p) != v->u.string.n)
            return fail(L, KILN_EINVAL,
                        "%s:%d:%d: extra.%s must not contain a NUL byte", file,
                        v->line, v->column, e->key.p);
        text = v->u.string.p;
        kind = EXTRA_STRING;
        break;
    case TOML_INTEGER:
        snprintf(buf, sizeof buf, "%" PRId64, v->u.integer);
        kind = EXTRA_INT;
        break;
    case TOML_FLOAT:
        format_double(v->u.floating, buf, sizeof buf);
        kind = EXTRA_FLOAT;
        break;
    case TOML_BOOLEAN:
        text = v->u.boolean ? "true" : "false";
        kind = EXTRA_BOOL;
        break;
    case TOML_ARRAY:
    case TOML_TABLE:
        return fail(L, KILN_EINVAL,
                    "%s:%d:%d: extra.%s must be a string, number, boolean or "
                    "date-time, not %s",
                    file, v->line, v->column, e->key.p, a_type(v->type));
    default:
        toml_datetime_format(&v->u.datetime, buf, sizeof buf);
        kind = EXTRA_BARE;
    }
    return set_extra(L, e->key.p, e->key.n, text, kind, origin);
}

/* One key of a known section. */
static int toml_key(loader *L, const char *file, const char *section,
                    const toml_entry *e)
{
    int idx = settings_key_find(section, strlen(section), e->key.p, e->key.n);
    if (idx < 0) {
        int sug = settings_key_suggest(section, e->key.p, e->key.n, false);
        if (sug < 0)
            return fail(L, KILN_EINVAL, "%s:%d:%d: unknown key '%s' in [%s]",
                        file, e->line, e->column, e->key.p, section);
        const settings_key *k = &settings_keys[sug];
        bool same = strcmp(k->section, section) == 0;
        return fail(L, KILN_EINVAL,
                    "%s:%d:%d: unknown key '%s' in [%s] (did you mean '%s'?)",
                    file, e->line, e->column, e->key.p, section,
                    same ? k->key : k->name);
    }
    const settings_key *k = &settings_keys[idx];
    const toml_value *v = e->value;
    char *origin = kiln_arena_printf(&L->s->a, "%s:%d", file, e->line);
    char *place =
        kiln_arena_printf(&L->tmp, "%s:%d:%d", file, v->line, v->column);
    if (!origin || !place)
        return oom(L);
    bool ok = (k->type == SETTINGS_STRING && v->type == TOML_STRING) ||
              (k->type == SETTINGS_INT && v->type == TOML_INTEGER) ||
              (k->type == SETTINGS_BOOL && v->type == TOML_BOOLEAN) ||
              (k->type == SETTINGS_SIZE &&
               (v->type == TOML_INTEGER || v->type == TOML_STRING));
    if (!ok)
        return fail(L, KILN_EINVAL, "%s: %s must be %s, not %s", place, k->name,
                    want_type(k->type), a_type(v->type));
    if (v->type == TOML_INTEGER)
        return set_int(L, idx, v->u.integer, origin, place);
    if (v->type == TOML_BOOLEAN)
        return set_text(L, idx, v->u.boolean ? "true" : "false",
                        v->u.boolean ? 4 : 5, origin, place);
    return set_text(L, idx, v->u.string.p, v->u.string.n, origin, place);
}

static bool is_section(const char *s, size_t n)
{
    for (size_t i = 0; settings_sections[i]; i++)
        if (strlen(settings_sections[i]) == n &&
            memcmp(settings_sections[i], s, n) == 0)
            return true;
    return false;
}

/* A table inside a section: [auth.oidc] is the section "auth.oidc". */
static int toml_subsection(loader *L, const char *file, const char *section,
                           const toml_entry *e)
{
    char *name = kiln_arena_printf(&L->tmp, "%s.%s", section, e->key.p);
    if (!name)
        return oom(L);
    if (!is_section(name, strlen(name)))
        return fail(L, KILN_EINVAL, "%s:%d:%d: unknown section [%s]", file,
                    e->line, e->column, name);
    const toml_value *v = e->value;
    for (size_t j = 0; j < v->u.table.n; j++) {
        int rc = toml_key(L, file, name, &v->u.table.items[j]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int toml_walk(loader *L, const char *file, const toml_value *root)
{
    for (size_t i = 0; i < root->u.table.n; i++) {
        const toml_entry *e = &root->u.table.items[i];
        const toml_value *v = e->value;
        if (!is_section(e->key.p, e->key.n)) {
            if (v->type != TOML_TABLE) {
                int sug = settings_key_suggest(NULL, e->key.p, e->key.n, false);
                if (sug < 0)
                    sug = settings_key_suggest(NULL, e->key.p, e->key.n, true);
                if (sug >= 0)
                    return fail(L, KILN_EINVAL,
                                "%s:%d:%d: unknown key '%s' at the top level "
                                "(did you mean '%s'?)",
                                file, e->line, e->column, e->key.p,
                                settings_keys[sug].name);
                return fail(L, KILN_EINVAL,
                            "%s:%d:%d: unknown key '%s' at the top level "
                            "(settings go in [server], [database], [app], "
                            "[static], [logging] or [extra])",
                            file, e->line, e->column, e->key.p);
            }
            const char *sug = settings_section_suggest(e->key.p, e->key.n);
            if (sug)
                return fail(L, KILN_EINVAL,
                            "%s:%d:%d: unknown section [%s] (did you mean "
                            "[%s]?)",
                            file, e->line, e->column, e->key.p, sug);
            return fail(L, KILN_EINVAL,
                        "%s:%d:%d: unknown section [%s] (known: [server], "
                        "[database], [app], [static], [logging], [extra])",
                        file, e->line, e->column, e->key.p);
        }
        if (v->type != TOML_TABLE)
            return fail(L, KILN_EINVAL,
                        "%s:%d:%d: [%s] must be a table, not %s", file, e->line,
                        e->column, e->key.p, a_type(v->type));
        bool is_extra = strcmp(e->key.p, "extra") == 0;
        bool is_tasks = strcmp(e->key.p, "tasks") == 0;
        if (strcmp(e->key.p, "roles") == 0) {
            int rc = settings_roles_read(&L->s->a, file, v, &L->s->roles,
                                         &L->s->nroles, L->err, L->errlen);
            if (rc == KILN_ENOMEM)
                return oom(L);
            if (rc < 0)
                return rc;
            continue;
        }
        for (size_t j = 0; j < v->u.table.n; j++) {
            const toml_entry *k = &v->u.table.items[j];
            int rc;
            if (is_tasks && strcmp(k->key.p, "periodic") == 0) {
                rc = settings_periodic_read(&L->s->a, file, k->value,
                                            &L->s->periodic, &L->s->nperiodic,
                                            L->err, L->errlen);
                if (rc == KILN_ENOMEM)
                    return oom(L);
            } else if (k->value->type == TOML_TABLE) {
                rc = toml_subsection(L, file, e->key.p, k);
            } else
                rc = is_extra ? toml_extra(L, file, k)
                              : toml_key(L, file, e->key.p, k);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int load_toml(loader *L)
{
    const char *given = L->config ? L->config : L->in->toml_path;
    const char *file = given ? given : "kiln.toml";
    const char *path = given ? given : root_path(L, "kiln.toml");
    if (!path)
        return oom(L);
    char *src;
    size_t n;
    int rc = read_file(L, path, &src, &n);
    if (rc == -ENOENT && !given)
        return 0;
    if (rc == -ENOMEM)
        return oom(L);
    if (rc < 0)
        return fail(L, KILN_EIO, "cannot read %s: %s", path, strerror(-rc));
    toml_value *root;
    toml_error te;
    rc = toml_parse(&L->tmp, src, n, file, &root, &te);
    if (rc == KILN_ENOMEM)
        return oom(L);
    if (rc < 0) {
        kiln_buf b;
        kiln_buf_init(&b);
        if (toml_error_format(&te, &b) != 0) {
            kiln_buf_deinit(&b);
            return oom(L);
        }
        fail(L, KILN_EINVAL, "%s", b.p);
        kiln_buf_deinit(&b);
        return KILN_EINVAL;
    }
    return toml_walk(L, file, root);
}

/* ---- environment names -------------------------------------------------- */

/*
 * Maps a variable name (after "KILN_") to a setting: "SERVER_PORT" is
 * server.port, "EXTRA_ANY_THING" extra.any_thing. Returns 0 with *idx (or
 * *idx = -1 and *xkey, in the temporary arena, for an extra), 1 when the
 * name is not a setting (KILN_ROOT...), or KILN_EINVAL for an unknown key
 * in a known section with the message "unknown setting ..." in why.
 */
static int env_target(loader *L, const char *rest, size_t n, int *idx,
                      const char **xkey, char *why, size_t whylen)
{
    char *low = kiln_arena_strndup(&L->tmp, rest, n);
    if (!low)
        return KILN_ENOMEM;
    for (char *p = low; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    /* a nested section first: AUTH_OIDC_ISSUER is auth.oidc.issuer */
    for (size_t i = 0; settings_sections[i]; i++) {
        const char *sec = settings_sections[i];
        size_t sl = strlen(sec);
        if (!strchr(sec, '.') || n <= sl + 1 || low[sl] != '_')
            continue;
        bool same = true;
        for (size_t j = 0; j < sl && same; j++)
            same = low[j] == (sec[j] == '.' ? '_' : sec[j]);
        if (!same)
            continue;
        *idx = settings_key_find(sec, sl, low + sl + 1, n - sl - 1);
        if (*idx >= 0)
            return 0;
    }
    char *us = strchr(low, '_');
    if (!us)
        return 1;
    size_t sn = (size_t)(us - low);
    if (!is_section(low, sn))
        return 1;
    const char *key = us + 1;
    size_t kn = strlen(key);
    *us = '\0';
    if (strcmp(low, "extra") == 0) {
        if (kn == 0)
            return 1;
        *idx = -1;
        *xkey = key;
        return 0;
    }
    *idx = settings_key_find(low, sn, key, kn);
    if (*idx >= 0)
        return 0;
    int sug = settings_key_suggest(low, key, kn, false);
    if (sug >= 0)
        snprintf(why, whylen, "unknown setting %s.%s (did you mean %s?)", low,
                 key, settings_keys[sug].name);
    else
        snprintf(why, whylen, "unknown setting %s.%s", low, key);
    return KILN_EINVAL;
}

/* Applies a text value to a known key or an extra. */
static int apply(loader *L, int idx, const char *xkey, const char *text,
                 const char *origin, const char *place)
{
    if (idx < 0)
        return set_extra(L, xkey, strlen(xkey), text, EXTRA_STRING, origin);
    return set_text(L, idx, text, strlen(text), origin, place);
}

/* ---- .env ---------------------------------------------------------------- */

static int load_dotenv(loader *L)
{
    const char *path = root_path(L, ".env");
    if (!path)
        return oom(L);
    char *src;
    size_t n;
    int rc = read_file(L, path, &src, &n);
    if (rc == -ENOENT)
        return 0;
    if (rc == -ENOMEM)
        return oom(L);
    if (rc < 0)
        return fail(L, KILN_EIO, "cannot read %s: %s", path, strerror(-rc));
    dotenv_entry *es;
    size_t count;
    rc = dotenv_parse(&L->tmp, src, n, ".env", &es, &count, L->err, L->errlen);
    if (rc == KILN_EPARSE)
        return KILN_EINVAL;
    if (rc < 0)
        return oom(L);
    for (size_t i = 0; i < count; i++) {
        const dotenv_entry *e = &es[i];
        int target = 1, idx = -1;
        const char *xkey = NULL;
        char why[300];
        if (strncmp(e->name, "KILN_", 5) == 0) {
            target = env_target(L, e->name + 5, strlen(e->name + 5), &idx,
                                &xkey, why, sizeof why);
            if (target == KILN_ENOMEM)
                return oom(L);
            if (target < 0)
                return fail(L, KILN_EINVAL, ".env:%d: %s: %s", e->line, e->name,
                            why);
        }
        if (target == 0) {
            char *origin = kiln_arena_printf(&L->s->a, ".env:%d", e->line);
            char *place =
                kiln_arena_printf(&L->tmp, ".env:%d: %s", e->line, e->name);
            if (!origin || !place)
                return oom(L);
            if ((rc = apply(L, idx, xkey, e->value, origin, place)) < 0)
                return rc;
        } else if (!L->in->envp && setenv(e->name, e->value, 0) != 0) {
            return fail(L, KILN_EIO, ".env:%d: cannot set %s: %s", e->line,
                        e->name, strerror(errno));
        }
    }
    return 0;
}

/* ---- environment --------------------------------------------------------- */

static int load_env(loader *L)
{
    char **envp = L->in->envp ? L->in->envp : environ;
    for (size_t i = 0; envp && envp[i]; i++) {
        const char *var = envp[i];
        const char *eq = strchr(var, '=');
        if (strncmp(var, "KILN_", 5) != 0 || !eq)
            continue;
        int idx = -1;
        const char *xkey = NULL;
        char why[300];
        size_t nlen = (size_t)(eq - var);
        int rc = env_target(L, var + 5, nlen - 5, &idx, &xkey, why, sizeof why);
        if (rc == KILN_ENOMEM)
            return oom(L);
        if (rc < 0)
            return fail(L, KILN_EINVAL, "environment %.*s: %s", (int)nlen, var,
                        why);
        if (rc == 1)
            continue;
        char *origin = kiln_arena_printf(&L->s->a, "env %.*s", (int)nlen, var);
        char *place =
            kiln_arena_printf(&L->tmp, "environment %.*s", (int)nlen, var);
        if (!origin || !place)
            return oom(L);
        if ((rc = apply(L, idx, xkey, eq + 1, origin, place)) < 0)
            return rc;
    }
    return 0;
}

/* ---- flags --------------------------------------------------------------- */

static int push_flag(loader *L, int idx, const char *xkey, const char *text,
                     const char *origin)
{
    pending *v = kiln_arena_alloc(&L->tmp, (L->nflags + 1) * sizeof *v);
    if (!v || !origin)
        return oom(L);
    if (L->nflags)
        memcpy(v, L->flags, L->nflags * sizeof *v);
    v[L->nflags++] = (pending){idx, xkey, text, origin};
    L->flags = v;
    return 0;
}

/* --set section.key=VALUE */
static int flag_set(loader *L, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
    if (!eq || !dot || dot == arg)
        return fail(L, KILN_EINVAL,
                    "flag --set: expected section.key=VALUE, not '%s'", arg);
    size_t sn = (size_t)(dot - arg), kn = (size_t)(eq - dot - 1);
    const char *key = dot + 1;
    const char *origin =
        kiln_arena_printf(&L->s->a, "flag --set %.*s", (int)(eq - arg), arg);
    if (sn == 5 && memcmp(arg, "extra", 5) == 0 && kn > 0) {
        char *xk = kiln_arena_strndup(&L->tmp, key, kn);
        if (!xk)
            return oom(L);
        return push_flag(L, -1, xk, eq + 1, origin);
    }
    int idx = settings_key_find(arg, sn, key, kn);
    if (idx < 0) { /* a nested section: auth.oidc.issuer */
        const char *last = dot;
        for (const char *p = dot + 1; p < eq; p++)
            if (*p == '.')
                last = p;
        if (last != dot)
            idx = settings_key_find(arg, (size_t)(last - arg), last + 1,
                                    (size_t)(eq - last - 1));
    }
    if (idx >= 0)
        return push_flag(L, idx, NULL, eq + 1, origin);
    char *sec = kiln_arena_strndup(&L->tmp, arg, sn);
    if (!sec)
        return oom(L);
    int sug = settings_key_suggest(sec, arg, (size_t)(eq - arg), true);
    if (sug >= 0)
        return fail(L, KILN_EINVAL,
                    "flag --set: unknown setting %.*s (did you mean %s?)",
                    (int)(eq - arg), arg, settings_keys[sug].name);
    return fail(L, KILN_EINVAL, "flag --set: unknown setting %.*s",
                (int)(eq - arg), arg);
}

static bool flag_is(const char *arg, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(arg, name, n) == 0;
}

/* The known flag nearest to arg (n bytes) when it looks like a typo of
   it ("--prot" for "--port"), else NULL. */
static const char *flag_suggest(const char *arg, size_t n)
{
    static const char *const own[] = {"--set", "--config", "--root", "--dev",
                                      "--help"};
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t k = 0; k < settings_nkeys + 5; k++) {
        const char *f = k < 5 ? own[k] : settings_keys[k - 5].flag;
        if (!f)
            continue;
        size_t d = kiln_str_distance((kiln_str){arg, n}, kiln_str_c(f));
        if (d < best_d) {
            best_d = d;
            best = f;
        }
    }
    /* "--" is common to all: judge the word after it */
    size_t word = n > 2 ? n - 2 : 0;
    return best_d <= (word <= 3 ? 1u : word <= 8 ? 2u : 3u) ? best : NULL;
}

/*
 * First pass over argv: --help, --config, syntax and targets. Returns 0,
 * 1 for --help (usage printed), or an error.
 */
static int read_flags(loader *L)
{
    const kiln_settings_in *in = L->in;
    for (int i = 1; i < in->argc; i++) {
        const char *arg = in->argv[i];
        if (!arg)
            continue;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            kiln_settings_usage(stdout);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0' || arg[2] == '=')
            return fail(L, KILN_EINVAL, "unexpected argument '%s' (see --help)",
                        arg);
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *val = eq ? eq + 1 : NULL;
        if (flag_is(arg, n, "--dev"))
            continue;
        /* Flags that take a value: the known ones and the table's. */
        int idx = -1;
        bool takes = flag_is(arg, n, "--root") || flag_is(arg, n, "--set") ||
                     flag_is(arg, n, "--config");
        for (size_t k = 0; !takes && k < settings_nkeys; k++) {
            const char *f = settings_keys[k].flag;
            if (f && flag_is(arg, n, f)) {
                idx = (int)k;
                takes = true;
            }
        }
        if (!takes) {
            const char *near = flag_suggest(arg, n);
            if (near)
                return fail(L, KILN_EINVAL,
                            "unknown option '%.*s' (did you mean '%s'?)",
                            (int)n, arg, near);
            return fail(L, KILN_EINVAL, "unknown option '%.*s' (see --help)",
                        (int)n, arg);
        }
        bool is_bool = idx >= 0 && settings_keys[idx].type == SETTINGS_BOOL;
        if (!val && is_bool) {
            val = "true";
        } else if (!val) {
            if (i + 1 >= in->argc || !in->argv[i + 1])
                return fail(L, KILN_EINVAL, "flag %.*s needs a value", (int)n,
                            arg);
            val = in->argv[++i];
        }
        int rc = 0;
        if (flag_is(arg, n, "--root"))
            continue; /* handled by the caller */
        if (flag_is(arg, n, "--config"))
            L->config = val;
        else if (flag_is(arg, n, "--set"))
            rc = flag_set(L, val);
        else
            rc = push_flag(
                L, idx, NULL, val,
                kiln_arena_printf(&L->s->a, "flag %.*s", (int)n, arg));
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int apply_flags(loader *L)
{
    for (size_t i = 0; i < L->nflags; i++) {
        const pending *f = &L->flags[i];
        int rc = apply(L, f->idx, f->extra, f->text, f->origin, f->origin);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- development secret key -------------------------------------------- */

#define SECRET_LEN 48

static const char url_safe[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Fills out with SECRET_LEN random URL-safe characters and a NUL. */
static int secret_random(char out[SECRET_LEN + 1])
{
    unsigned char raw[SECRET_LEN];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return KILN_EIO;
        got += (size_t)r;
    }
    for (size_t i = 0; i < SECRET_LEN; i++)
        out[i] = url_safe[raw[i] & 63]; /* 64 symbols: no bias */
    out[SECRET_LEN] = '\0';
    return 0;
}

/* Reads a kept key from path into out; true when it is usable. */
static bool secret_read(const char *path, char out[SECRET_LEN + 1])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    char buf[SECRET_LEN + 8];
    ssize_t r;
    do
        r = read(fd, buf, sizeof buf);
    while (r < 0 && errno == EINTR);
    close(fd);
    if (r < 0)
        return false;
    size_t n = (size_t)r;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n != SECRET_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!memchr(url_safe, buf[i], sizeof url_safe - 1))
            return false;
    memcpy(out, buf, n);
    out[n] = '\0';
    return true;
}

/*
 * Writes key to dir/secret_key (mode 0600) without ever leaving a partial
 * file there: a temporary file linked into place. When another process got
 * there first, its key is read into key instead. Returns 0 or -errno.
 */
static int secret_keep(loader *L, const char *dir, const char *path,
                       char key[SECRET_LEN + 1])
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    char *tmp = kiln_arena_printf(&L->tmp, "%s/secret_key.XXXXXX", dir);
    if (!tmp)
        return -ENOMEM;
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return -errno;
    char line[SECRET_LEN + 1];
    memcpy(line, key, SECRET_LEN);
    line[SECRET_LEN] = '\n';
    ssize_t w;
    do
        w = write(fd, line, sizeof line);
    while (w < 0 && errno == EINTR);
    int e = w == (ssize_t)sizeof line ? 0 : w < 0 ? errno : EIO;
    if (close(fd) != 0 && !e)
        e = errno;
    /* link, unlike rename, keeps a key another process wrote meanwhile. */
    if (!e && link(tmp, path) != 0) {
        e = errno;
        if (e == EEXIST && secret_read(path, key))
            e = 0; /* another process's key: use it */
        else       /* a damaged file, or no hard links on this file system */
            e = rename(tmp, path) == 0 ? 0 : errno;
    }
    unlink(tmp);
    return -e;
}

static int dev_secret(loader *L)
{
    char key[SECRET_LEN + 1];
    char *dir = root_path(L, ".kiln");
    char *path = dir ? kiln_arena_printf(&L->tmp, "%s/secret_key", dir) : NULL;
    if (!path)
        return oom(L);
    if (!secret_read(path, key)) {
        if (secret_random(key) != 0)
            return fail(L, KILN_EIO,
                        "app.secret_key: cannot generate a development key: %s",
                        strerror(errno));
        int rc = secret_keep(L, dir, path, key);
        if (rc < 0)
            kiln_log(KILN_LOG_WARN,
                     "cannot keep the development secret key in %s (%s); "
                     "using one for this run only",
                     path, strerror(-rc));
    }
    value *v = &L->s->vals[settings_key_find_name("app.secret_key")];
    if (!(v->text = kiln_arena_strndup(&L->s->a, key, SECRET_LEN)))
        return oom(L);
    v->origin = "generated";
    return 0;
}

/* ---- public API ---------------------------------------------------------- */

static int load(loader *L)
{
    int rc = read_flags(L);
    if (rc != 0)
        return rc;
    if ((rc = load_toml(L)) < 0)
        return rc;
    if (L->in->dev && (rc = load_dotenv(L)) < 0)
        return rc;
    if ((rc = load_env(L)) < 0)
        return rc;
    if ((rc = apply_flags(L)) < 0)
        return rc;
    const value *sk = &L->s->vals[settings_key_find_name("app.secret_key")];
    if (L->in->dev && (!sk->text || !*sk->text))
        return dev_secret(L);
    return 0;
}

int kiln_settings_load(const kiln_settings_in *in, kiln_settings **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    loader L = {.in = in, .err = err, .errlen = errlen};
    L.root = in->root ? in->root : ".";
    kiln_settings *s = calloc(1, sizeof *s);
    if (!s)
        return oom(&L);
    kiln_arena_init(&s->a, 0);
    s->dev = in->dev;
    s->vals = kiln_arena_calloc(&s->a, settings_nkeys * sizeof *s->vals);
    if (!s->vals) {
        kiln_settings_free(s);
        return oom(&L);
    }
    defaults(s);
    L.s = s;
    kiln_arena_init(&L.tmp, 0);
    int rc = load(&L);
    kiln_arena_deinit(&L.tmp);
    if (rc != 0) {
        kiln_settings_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void kiln_settings_free(kiln_settings *s)
{
    if (!s)
        return;
    kiln_arena_deinit(&s->a);
    free(s);
}

/* The known value of key, or NULL (then *x is the extra, or NULL). */
static const value *lookup(const kiln_settings *s, const char *key,
                           const extra **x)
{
    *x = NULL;
    if (!s || !key)
        return NULL;
    int idx = settings_key_find_name(key);
    if (idx >= 0)
        return &s->vals[idx];
    if (strncmp(key, "extra.", 6) == 0)
        *x = extra_find(s, key + 6, strlen(key + 6));
    return NULL;
}

int64_t kiln_settings_int(const kiln_settings *s, const char *key)
{
    const extra *x;
    const value *v = lookup(s, key, &x);
    if (v)
        return v->i;
    int64_t i;
    if (x && kiln_str_to_i64(kiln_str_c(x->text), &i) == 0)
        return i;
    return 0;
}

bool kiln_settings_bool(const kiln_settings *s, const char *key)
{
    const extra *x;
    const value *v = lookup(s, key, &x);
    if (v)
        return v->b;
    bool b;
    if (x && settings_parse_bool(x->text, strlen(x->text), &b) == 0)
        return b;
    return false;
}

const char *kiln_settings_str(const kiln_settings *s, const char *key)
{
    const extra *x;
    const value *v = lookup(s, key, &x);
    return v ? v->text : x ? x->text : NULL;
}

const char *kiln_settings_origin(const kiln_settings *s, const char *key)
{
    const extra *x;
    const value *v = lookup(s, key, &x);
    return v ? v->origin : x ? x->origin : NULL;
}

bool kiln_settings_dev(const kiln_settings *s)
{
    return s && s->dev;
}

static int to_int(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : (int)v;
}

void kiln_settings_server_opts(const kiln_settings *s, kiln_server_opts *o)
{
    o->host = kiln_settings_str(s, "server.host");
    o->port = to_int(kiln_settings_int(s, "server.port"));
    int64_t w = kiln_settings_int(s, "server.workers");
    if (w > 0)
        o->workers = to_int(w);
    o->header_timeout_ms =
        to_int(kiln_settings_int(s, "server.header_timeout_ms"));
    o->idle_timeout_ms = to_int(kiln_settings_int(s, "server.idle_timeout_ms"));
    o->body_timeout_ms = to_int(kiln_settings_int(s, "server.body_timeout_ms"));
    o->drain_timeout_ms =
        to_int(kiln_settings_int(s, "server.drain_timeout_ms"));
    o->max_body = kiln_settings_int(s, "server.max_body");
    o->max_target = to_int(kiln_settings_int(s, "server.max_target"));
    o->max_header_bytes =
        to_int(kiln_settings_int(s, "server.max_header_bytes"));
    o->max_headers = to_int(kiln_settings_int(s, "server.max_headers"));
    o->max_connections = to_int(kiln_settings_int(s, "server.max_connections"));
    o->access_log = kiln_settings_bool(s, "logging.access_log");
    o->uploads_dir = kiln_settings_str(s, "uploads.dir");
    o->upload_memory = kiln_settings_int(s, "uploads.memory");
    o->upload_max_file = kiln_settings_int(s, "uploads.max_file");
    o->upload_max_parts = to_int(kiln_settings_int(s, "uploads.max_parts"));
    /* in the settings 0 is "never"; in kiln_server_opts that is -1 */
    int64_t v;
    o->ws_max_message = kiln_settings_int(s, "ws.max_message");
    v = kiln_settings_int(s, "ws.idle_timeout_ms");
    o->ws_idle_timeout_ms = v ? to_int(v) : -1;
    v = kiln_settings_int(s, "ws.ping_interval_ms");
    o->ws_ping_interval_ms = v ? to_int(v) : -1;
    o->ws_max_send_queue = kiln_settings_int(s, "ws.max_send_queue");
    const char *ov = kiln_settings_str(s, "ws.overflow");
    o->ws_overflow_code = ov && strcmp(ov, "retry") == 0 ? 1013 : 1008;
    o->ws_no_deflate = !kiln_settings_bool(s, "ws.deflate");
    o->ws_allowed_origins = kiln_settings_str(s, "ws.allowed_origins");
    v = kiln_settings_int(s, "sse.keepalive_ms");
    o->sse_keepalive_ms = v ? to_int(v) : -1;
    o->sse_max_send_queue = kiln_settings_int(s, "sse.max_send_queue");
    o->tasks_only = kiln_settings_bool(s, "tasks.only");
}

size_t kiln_settings_periodic(const kiln_settings *s, const kiln_periodic **out)
{
    *out = s ? s->periodic : NULL;
    return s ? s->nperiodic : 0;
}

size_t kiln_settings_roles(const kiln_settings *s, const kiln_role **out)
{
    *out = s ? s->roles : NULL;
    return s ? s->nroles : 0;
}

void kiln_settings_tasks_opts(const kiln_settings *s, kiln_tasks_opts *o)
{
    o->workers = to_int(kiln_settings_int(s, "tasks.workers"));
    o->queues = kiln_settings_str(s, "tasks.queues");
    o->lease_ms = kiln_settings_int(s, "tasks.lease_ms");
    o->poll_ms = kiln_settings_int(s, "tasks.poll_ms");
    o->timeout_ms = kiln_settings_int(s, "tasks.timeout_ms");
    o->max_attempts = to_int(kiln_settings_int(s, "tasks.max_attempts"));
    o->retry_min_ms = kiln_settings_int(s, "tasks.retry_min_ms");
    o->retry_max_ms = kiln_settings_int(s, "tasks.retry_max_ms");
    o->keep_done_hours = to_int(kiln_settings_int(s, "tasks.keep_done_hours"));
    o->services = kiln_settings_bool(s, "services.enabled");
    o->nperiodic = kiln_settings_periodic(s, &o->periodic);
}

/* ---- secrets in production ---------------------------------------------- */

#define HOW_TO_SET                                                             \
    "set KILN_APP_SECRET_KEY (generate one with: head -c 32 /dev/urandom | "   \
    "base64) or [app] secret_key in kiln.toml"

static bool contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

int kiln_settings_check_production(const kiln_settings *s, char *err,
                                   size_t errlen)
{
    const value *v = &s->vals[settings_key_find_name("app.secret_key")];
    const char *k = v->text;
    if (!k || !*k) {
        snprintf(err, errlen,
                 "app.secret_key is not set; a production run needs one: "
                 "%s",
                 HOW_TO_SET);
        return KILN_EINVAL;
    }
    if (strcmp(v->origin, "generated") == 0) {
        snprintf(err, errlen,
                 "app.secret_key was generated for development "
                 "(.kiln/secret_key); a production run needs its own: %s",
                 HOW_TO_SET);
        return KILN_EINVAL;
    }
    size_t n = strlen(k);
    if (n < 32) {
        snprintf(err, errlen,
                 "app.secret_key (from %s) is too short: %zu characters, a "
                 "production run needs at least 32: %s",
                 v->origin, n, HOW_TO_SET);
        return KILN_EINVAL;
    }
    static const char *const placeholders[] = {"changeme", "secret", "insecure",
                                               "example"};
    bool same = true;
    for (size_t i = 1; i < n; i++)
        same = same && k[i] == k[0];
    for (size_t i = 0; !same && i < 4; i++)
        same = contains_ci(k, placeholders[i]);
    if (same) {
        snprintf(err, errlen,
                 "app.secret_key (from %s) looks like a placeholder; a "
                 "production run needs a random one: %s",
                 v->origin, HOW_TO_SET);
        return KILN_EINVAL;
    }
    return 0;
}

/* ---- printing ------------------------------------------------------------ */

/* Writes s as a TOML basic string. */
static void put_toml_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04X", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static bool is_bare_key(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return false;
    return true;
}

void kiln_settings_print(const kiln_settings *s, FILE *f)
{
    for (size_t i = 0; i < settings_nkeys; i++) {
        const settings_key *k = &settings_keys[i];
        const value *v = &s->vals[i];
        fprintf(f, "%s = ", k->name);
        if (!v->text)
            fputs("\"\"", f);
        else if (k->secret && *v->text)
            fputs("\"********\"", f);
        else if (k->type == SETTINGS_STRING)
            put_toml_string(f, v->text);
        else
            fputs(v->text, f);
        fprintf(f, "  # %s\n", v->origin);
    }
    for (size_t i = 0; i < s->nperiodic; i++) {
        const kiln_periodic *p = &s->periodic[i];
        fputs("tasks.periodic.", f);
        if (is_bare_key(p->name))
            fputs(p->name, f);
        else
            put_toml_string(f, p->name);
        fputs(" = ", f);
        put_toml_string(f, p->cron);
        fprintf(f, "  # %s", p->origin);
        if (strcmp(p->task, p->name) != 0)
            fprintf(f, ", task %s", p->task);
        if (p->payload)
            fprintf(f, ", payload %s", p->payload);
        if (p->queue)
            fprintf(f, ", queue %s", p->queue);
        if (p->priority)
            fprintf(f, ", priority %d", p->priority);
        fputc('\n', f);
    }
    for (size_t i = 0; i < s->nextra; i++) {
        const extra *x = &s->extras[i];
        fputs("extra.", f);
        if (is_bare_key(x->key))
            fputs(x->key, f);
        else
            put_toml_string(f, x->key);
        fputs(" = ", f);
        if (x->kind == EXTRA_STRING)
            put_toml_string(f, x->text);
        else
            fputs(x->text, f);
        fprintf(f, "  # %s\n", x->origin);
    }
    for (size_t i = 0; i < s->nroles; i++) {
        const kiln_role *r = &s->roles[i];
        fputs("roles.", f);
        if (is_bare_key(r->name))
            fputs(r->name, f);
        else
            put_toml_string(f, r->name);
        fputs(" = [", f);
        for (size_t k = 0; k < r->nperms; k++) {
            if (k)
                fputs(", ", f);
            put_toml_string(f, r->perms[k]);
        }
        fprintf(f, "]  # %s:%d\n", r->file ? r->file : "kiln.toml", r->line);
    }
}

void kiln_settings_usage(FILE *f)
{
    for (size_t i = 0; i < settings_nkeys; i++) {
        const settings_key *k = &settings_keys[i];
        if (!k->flag)
            continue;
        const char *meta = "";
        if (k->type == SETTINGS_INT)
            meta = strstr(k->key, "_ms") ? " MS" : " N";
        else if (k->type == SETTINGS_SIZE)
            meta = " SIZE";
        else if (k->type == SETTINGS_STRING)
            meta = strcmp(k->key, "url") == 0 ? " URL" : " ADDR";
        char left[48];
        snprintf(left, sizeof left, "%s%s", k->flag, meta);
        fprintf(f, "  %-24s%s", left, k->help);
        if (k->def && *k->def && k->type != SETTINGS_BOOL)
            fprintf(f, " (%s)", k->def);
        fputc('\n', f);
    }
    fputs(
        "  --set SECTION.KEY=VALUE any setting, e.g. --set static.max_age=60\n"
        "  --config FILE           settings file instead of kiln.toml\n"
        "  --help                  this help\n",
        f);
}
