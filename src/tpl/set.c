/*
 * tpl/set.c - kiln_tpl_set: the templates of an application by name, the
 * search path they load from, the interned names their trees share, and
 * the error reports (file:line:col, the source line, a caret).
 *
 * A set is filled at start-up (kiln_tpl_set_add / _load / _load_all) and
 * then only read, so any number of threads render from it at once. Both
 * tables are open-addressing hash tables of pointers, grown at half load;
 * their memory is malloc'd and freed by kiln_tpl_set_free, while what they
 * point to lives in the set's arena.
 *
 * Sources are copied in with their newlines normalised ("\r\n" and "\r"
 * become "\n"), as Jinja2's lexer does, so template text renders with "\n"
 * whatever the file had; then, unless keep_trailing_newline, one final "\n"
 * is dropped (Jinja2's keep_trailing_newline=False), so that a file saved
 * with the usual last newline adds nothing where it is included.
 */
#include "tpl/tpl.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint32_t tpl_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

/* ---- errors ------------------------------------------------------------ */

/* A bounded appender into a fixed char array. */
typedef struct err_out {
    char *p;
    size_t n, cap;
} err_out;

static void err_put(err_out *o, const char *s, size_t n)
{
    if (o->n + 1 >= o->cap)
        return;
    size_t room = o->cap - 1 - o->n;
    if (n > room)
        n = room;
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
}

int tpl_error_at(kiln_tpl_error *err, int code, kiln_str name, kiln_str src,
                 size_t pos, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = err->col = 0;
    snprintf(err->name, sizeof(err->name), "%.*s", (int)name.n,
             name.p ? name.p : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err_out o = {err->text, 0, sizeof(err->text)};
    err->text[0] = '\0';
    if (!src.p || pos > src.n) {
        if (name.n) {
            err_put(&o, err->name, strlen(err->name));
            err_put(&o, ": ", 2);
        }
        err_put(&o, err->msg, strlen(err->msg));
        return code;
    }
    size_t line = 1, ls = 0;
    for (size_t i = 0; i < pos; i++)
        if (src.p[i] == '\n') {
            line++;
            ls = i + 1;
        }
    size_t le = pos;
    while (le < src.n && src.p[le] != '\n')
        le++;
    err->line = line < INT_MAX ? (int)line : INT_MAX;
    size_t col = 1 + tpl_utf8_count(src.p + ls, pos - ls);
    err->col = col < INT_MAX ? (int)col : INT_MAX;
    char head[64];
    snprintf(head, sizeof(head), ":%d:%d: ", err->line, err->col);
    err_put(&o, err->name, strlen(err->name));
    err_put(&o, head, strlen(head));
    err_put(&o, err->msg, strlen(err->msg));
    /* show at most 80 bytes before the column and 80 after, on UTF-8
     * boundaries */
    size_t from = ls, to = le;
    if (pos - from > 80) {
        from = pos - 80;
        while (from < pos && ((unsigned char)src.p[from] & 0xC0) == 0x80)
            from++;
    }
    if (to - pos > 80) {
        to = pos + 80;
        while (to > pos && ((unsigned char)src.p[to] & 0xC0) == 0x80)
            to--;
    }
    err_put(&o, "\n  ", 3);
    err_put(&o, src.p + from, to - from);
    err_put(&o, "\n  ", 3);
    for (size_t i = from; i < pos; i++) {
        unsigned char c = (unsigned char)src.p[i];
        if (c == '\t')
            err_put(&o, "\t", 1);
        else if ((c & 0xC0) != 0x80)
            err_put(&o, " ", 1);
    }
    err_put(&o, "^", 1);
    return code;
}

/* ---- interned names ---------------------------------------------------- */

static int names_grow(tpl_set *set)
{
    size_t cap = set->names_cap ? set->names_cap * 2 : 256;
    kiln_str *t = calloc(cap, sizeof(*t));
    if (!t)
        return KILN_ENOMEM;
    for (size_t i = 0; i < set->names_cap; i++) {
        kiln_str s = set->names[i];
        if (!s.p)
            continue;
        size_t j = tpl_hash(s.p, s.n) & (cap - 1);
        while (t[j].p)
            j = (j + 1) & (cap - 1);
        t[j] = s;
    }
    free(set->names);
    set->names = t;
    set->names_cap = cap;
    return 0;
}

kiln_str tpl_intern(tpl_set *set, const char *p, size_t n)
{
    kiln_str none = {NULL, 0};
    if ((set->nnames + 1) * 2 > set->names_cap && names_grow(set) != 0)
        return none;
    size_t mask = set->names_cap - 1, j = tpl_hash(p, n) & mask;
    while (set->names[j].p) {
        kiln_str s = set->names[j];
        if (s.n == n && memcmp(s.p, p, n) == 0)
            return s;
        j = (j + 1) & mask;
    }
    char *copy = kiln_arena_strndup(&set->arena, p, n);
    if (!copy)
        return none;
    set->names[j].p = copy;
    set->names[j].n = n;
    set->nnames++;
    return set->names[j];
}

/* ---- the template table ------------------------------------------------ */

const tpl_template *tpl_set_find(const tpl_set *set, const char *p, size_t n)
{
    if (!set->tpls_cap)
        return NULL;
    size_t mask = set->tpls_cap - 1, j = tpl_hash(p, n) & mask;
    for (const tpl_template *t; (t = set->tpls[j]); j = (j + 1) & mask)
        if (t->name.n == n && memcmp(t->name.p, p, n) == 0)
            return t;
    return NULL;
}

/* Adds t, replacing a template of the same name. */
static int tpls_put(tpl_set *set, tpl_template *t)
{
    if ((set->ntpls + 1) * 2 > set->tpls_cap) {
        size_t cap = set->tpls_cap ? set->tpls_cap * 2 : 64;
        tpl_template **tab = calloc(cap, sizeof(*tab));
        if (!tab)
            return KILN_ENOMEM;
        for (size_t i = 0; i < set->tpls_cap; i++) {
            tpl_template *o = set->tpls[i];
            if (!o)
                continue;
            size_t j = tpl_hash(o->name.p, o->name.n) & (cap - 1);
            while (tab[j])
                j = (j + 1) & (cap - 1);
            tab[j] = o;
        }
        free(set->tpls);
        set->tpls = tab;
        set->tpls_cap = cap;
    }
    size_t mask = set->tpls_cap - 1, j = tpl_hash(t->name.p, t->name.n) & mask;
    while (set->tpls[j]) {
        if (kiln_str_eq(set->tpls[j]->name, t->name)) {
            set->tpls[j] = t;
            return 0;
        }
        j = (j + 1) & mask;
    }
    set->tpls[j] = t;
    set->ntpls++;
    return 0;
}

/* ---- sets -------------------------------------------------------------- */

kiln_tpl_set *kiln_tpl_set_new(const kiln_tpl_options *opt)
{
    kiln_tpl_set *set = calloc(1, sizeof(*set));
    if (!set)
        return NULL;
    if (opt)
        set->opt = *opt;
    kiln_arena_init(&set->arena, 64 * 1024);
    set->name_loop = tpl_intern(set, "loop", 4);
    set->name_caller = tpl_intern(set, "caller", 6);
    if (!set->name_loop.p || !set->name_caller.p) {
        kiln_tpl_set_free(set);
        return NULL;
    }
    return set;
}

void kiln_tpl_set_free(kiln_tpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->ndirs; i++)
        free(set->dirs[i]);
    free(set->dirs);
    free(set->tpls);
    free(set->names);
    kiln_arena_deinit(&set->arena);
    free(set);
}

int kiln_tpl_set_add_dir(kiln_tpl_set *set, const char *dir)
{
    if (!set || !dir || !*dir)
        return KILN_EINVAL;
    char **dirs = realloc(set->dirs, (set->ndirs + 1) * sizeof(*dirs));
    if (!dirs)
        return KILN_ENOMEM;
    set->dirs = dirs;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (!(dirs[set->ndirs] = strndup(dir, n)))
        return KILN_ENOMEM;
    set->ndirs++;
    return 0;
}

bool kiln_tpl_set_has(const kiln_tpl_set *set, const char *name)
{
    return set && name && tpl_set_find(set, name, strlen(name)) != NULL;
}

/* Copies src into the arena with "\r\n" and "\r" turned into "\n", less
 * one final newline unless keep_nl. */
static char *copy_normalised(kiln_arena *a, const char *src, size_t n,
                             bool keep_nl, size_t *out_n)
{
    char *p = kiln_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == '\r') {
            p[w++] = '\n';
            if (i + 1 < n && src[i + 1] == '\n')
                i++;
        } else {
            p[w++] = src[i];
        }
    }
    if (!keep_nl && w > 0 && p[w - 1] == '\n')
        w--;
    p[w] = '\0';
    *out_n = w;
    return p;
}

static int set_add(kiln_tpl_set *set, const char *name, size_t name_n,
                   const char *src, size_t n, kiln_tpl_error *err)
{
    kiln_str nm = {name, name_n};
    if (n >= UINT32_MAX)
        return tpl_error_at(err, KILN_ELIMIT, nm, KILN_STR_NULL, SIZE_MAX,
                            "template larger than 4 GiB");
    tpl_template *t = kiln_arena_calloc(&set->arena, sizeof(*t));
    char *nm_copy = kiln_arena_strndup(&set->arena, name, name_n);
    char *s = copy_normalised(&set->arena, src ? src : "", src ? n : 0,
                              set->opt.keep_trailing_newline, &t->src.n);
    if (!t || !nm_copy || !s)
        return tpl_error_at(err, KILN_ENOMEM, nm, KILN_STR_NULL, SIZE_MAX,
                            "out of memory");
    t->name.p = nm_copy;
    t->name.n = name_n;
    t->src.p = s;
    if (set->loading >= TPL_MAX_LOAD_DEPTH)
        return tpl_error_at(err, KILN_ELIMIT, nm, KILN_STR_NULL, SIZE_MAX,
                            "templates nest deeper than %d",
                            TPL_MAX_LOAD_DEPTH);
    set->load_stack[set->loading++] = t->name;
    int rc = tpl_parse(set, t, err);
    set->loading--;
    if (rc)
        return rc;
    if (tpls_put(set, t) != 0)
        return tpl_error_at(err, KILN_ENOMEM, nm, KILN_STR_NULL, SIZE_MAX,
                            "out of memory");
    return 0;
}

int kiln_tpl_set_add(kiln_tpl_set *set, const char *name, const char *src,
                     size_t n, kiln_tpl_error *err)
{
    if (!set || !name || (!src && n))
        return tpl_error_at(err, KILN_EINVAL, KILN_STR_NULL, KILN_STR_NULL,
                            SIZE_MAX, "invalid argument");
    return set_add(set, name, strlen(name), src, n, err);
}

/* True when name is a relative path without "", "." or ".." segments. */
static bool name_ok(const char *p, size_t n)
{
    if (n == 0 || p[0] == '/' || memchr(p, '\0', n))
        return false;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        size_t seg = j - i;
        if (seg == 0 || (seg == 1 && p[i] == '.') ||
            (seg == 2 && p[i] == '.' && p[i + 1] == '.'))
            return false;
        i = j + 1;
        if (j == n - 1) /* trailing '/' */
            return false;
    }
    return true;
}

/* Reads the whole file at path into *out (malloc'd). */
static int read_file(const char *path, char **out, size_t *n)
{
    *out = kiln_read_file(path, n);
    if (*out)
        return 0;
    return errno == ENOENT || errno == ENOTDIR ? KILN_ENOTFOUND
           : errno == ENOMEM                   ? KILN_ENOMEM
                                               : KILN_EIO;
}

/* Loads name (n bytes) from the search path. */
static int set_load(kiln_tpl_set *set, const char *name, size_t n,
                    kiln_tpl_error *err)
{
    kiln_str nm = {name, n};
    if (tpl_set_find(set, name, n))
        return 0;
    if (!name_ok(name, n))
        return tpl_error_at(err, KILN_EINVAL, nm, KILN_STR_NULL, SIZE_MAX,
                            "invalid template name");
    for (size_t d = 0; d < set->ndirs; d++) {
        char *path = NULL, *src = NULL;
        size_t len = 0;
        if (asprintf(&path, "%s/%.*s", set->dirs[d], (int)n, name) < 0)
            return tpl_error_at(err, KILN_ENOMEM, nm, KILN_STR_NULL, SIZE_MAX,
                                "out of memory");
        struct stat st;
        int rc = stat(path, &st) == 0 && !S_ISREG(st.st_mode)
                     ? KILN_ENOTFOUND
                     : read_file(path, &src, &len);
        free(path);
        if (rc == KILN_ENOTFOUND)
            continue;
        if (rc)
            return tpl_error_at(err, rc, nm, KILN_STR_NULL, SIZE_MAX,
                                "cannot read template: %s",
                                rc == KILN_EIO ? strerror(errno)
                                               : kiln_strerror(rc));
        rc = set_add(set, name, n, src, len, err);
        free(src);
        return rc;
    }
    return tpl_error_at(err, KILN_ENOTFOUND, nm, KILN_STR_NULL, SIZE_MAX,
                        "template not found");
}

int kiln_tpl_set_load(kiln_tpl_set *set, const char *name, kiln_tpl_error *err)
{
    if (!set || !name)
        return tpl_error_at(err, KILN_EINVAL, KILN_STR_NULL, KILN_STR_NULL,
                            SIZE_MAX, "invalid argument");
    bool was = set->strict_deps;
    set->strict_deps = true;
    int rc = set_load(set, name, strlen(name), err);
    set->strict_deps = was;
    return rc;
}

/*
 * While compiling `from`, the template it names at pos must exist: it is
 * in the set, or being compiled (a cycle, fine: resolved at render time),
 * or loadable now. Memory templates (no search path hit) may come later
 * unless the set is loading from disk.
 */
int tpl_set_need(tpl_set *set, const tpl_template *from, uint32_t pos,
                 kiln_str name, kiln_tpl_error *err)
{
    if (tpl_set_find(set, name.p, name.n) || kiln_str_eq(name, from->name))
        return 0;
    if (!set->ndirs || !name_ok(name.p, name.n))
        return set->strict_deps
                   ? tpl_error_at(err, KILN_ENOTFOUND, from->name, from->src,
                                  pos, "template '%.*s' not found", (int)name.n,
                                  name.p)
                   : 0;
    /* a template that is being compiled further up is not in the table
     * yet; loading it again would recurse forever */
    for (int i = 0; i < set->loading; i++)
        if (kiln_str_eq(set->load_stack[i], name))
            return 0;
    kiln_tpl_error sub;
    int rc = set_load(set, name.p, name.n, &sub);
    if (rc == KILN_ENOTFOUND && sub.line == 0 &&
        strcmp(sub.msg, "template not found") == 0) {
        if (!set->strict_deps)
            return 0;
        return tpl_error_at(err, KILN_ENOTFOUND, from->name, from->src, pos,
                            "template '%.*s' not found", (int)name.n, name.p);
    }
    if (rc && err)
        *err = sub;
    return rc;
}

/* Compares two names for qsort. */
static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_template_file(const char *name)
{
    static const char *const exts[] = {".html", ".htm", ".xml",  ".svg",
                                       ".txt",  ".j2",  ".jinja"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(name + n - e, exts[i]) == 0)
            return true;
    }
    return false;
}

/* Loads every template under dir/rel (rel "" for the top). */
static int load_tree(kiln_tpl_set *set, const char *dir, const char *rel,
                     int depth, kiln_tpl_error *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s%s", dir, *rel ? "/" : "", rel) < 0)
        return tpl_error_at(err, KILN_ENOMEM, KILN_STR_NULL, KILN_STR_NULL,
                            SIZE_MAX, "out of memory");
    DIR *d = opendir(path);
    if (!d) {
        int rc = tpl_error_at(err, KILN_EIO, kiln_str_c(path), KILN_STR_NULL,
                              SIZE_MAX, "cannot open directory: %s",
                              strerror(errno));
        free(path);
        return rc;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn) {
                rc = KILN_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = KILN_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc)
        tpl_error_at(err, rc, KILN_STR_NULL, KILN_STR_NULL, SIZE_MAX,
                     "out of memory");
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && !rc; i++) {
        char *child = NULL, *full = NULL;
        if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0 ||
            asprintf(&full, "%s/%s", path, names[i]) < 0) {
            free(child);
            rc = tpl_error_at(err, KILN_ENOMEM, KILN_STR_NULL, KILN_STR_NULL,
                              SIZE_MAX, "out of memory");
            break;
        }
        struct stat st;
        if (stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 32)
                rc = load_tree(set, dir, child, depth + 1, err);
            else if (S_ISREG(st.st_mode) && is_template_file(names[i]) &&
                     !tpl_set_find(set, child, strlen(child)))
                rc = set_load(set, child, strlen(child), err);
        }
        free(child);
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(path);
    return rc;
}

int kiln_tpl_set_load_all(kiln_tpl_set *set, kiln_tpl_error *err)
{
    if (!set)
        return KILN_EINVAL;
    bool was = set->strict_deps;
    set->strict_deps = true;
    int rc = 0;
    for (size_t d = 0; d < set->ndirs && !rc; d++)
        rc = load_tree(set, set->dirs[d], "", 0, err);
    set->strict_deps = was;
    return rc;
}
