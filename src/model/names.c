/*
 * model/names.c - what a model, field, table or column may be called:
 * words SQL and C reserve, the CamelCase C type of a model, and SQL
 * identifiers for indexes and constraints that fit PostgreSQL's 63 bytes,
 * and the one format of the model language's error lines.
 */
#include "model/model.h"

#include "core/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_word(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_list(const char *const *words, size_t n, const char *name)
{
    return bsearch(&name, words, n, sizeof *words, cmp_word) != NULL;
}

/*
 * Reserved in PostgreSQL (its "reserved" and "reserved (can be function or
 * type)" categories) or in SQLite's keyword list where SQLite refuses them
 * as bare names. Sorted: looked up by bsearch.
 */
static const char *const sql_words[] = {
    "abort",
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "index",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "transaction",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
};

bool model_sql_reserved(const char *name)
{
    return in_list(sql_words, sizeof sql_words / sizeof *sql_words, name);
}

/* C17 keywords, and names the generated code declares itself. */
static const char *const c_words[] = {
    "_Alignas",       "_Alignof",      "_Atomic",    "_Bool",
    "_Complex",       "_Generic",      "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", "auto",       "bool",
    "break",          "case",          "char",       "const",
    "continue",       "default",       "do",         "double",
    "else",           "enum",          "extern",     "false",
    "float",          "for",           "goto",       "if",
    "inline",         "int",           "long",       "register",
    "restrict",       "return",        "short",      "signed",
    "sizeof",         "static",        "struct",     "switch",
    "true",           "typedef",       "union",      "unsigned",
    "void",           "volatile",      "while",
};

bool model_c_reserved(const char *name)
{
    return in_list(c_words, sizeof c_words / sizeof *c_words, name);
}

void model_c_type(const char *name, char *out, size_t n)
{
    size_t o = 0;
    bool up = true;
    for (const char *p = name; *p && o + 1 < n; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        char ch = *p;
        if (up && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        out[o++] = ch;
        up = false;
    }
    if (n)
        out[o] = '\0';
}

const char *model_ident(model_set *s, const char *base, const char *suffix)
{
    char full[512];
    int len = snprintf(full, sizeof full, "%s_%s", base, suffix);
    if (len < 0)
        return NULL;
    if ((size_t)len <= 63)
        return kiln_arena_strndup(&s->arena, full, (size_t)len);
    /* cut, then a short hash of the whole name keeps it unique */
    char hex[65];
    sha256_hex(full, (size_t)len, hex);
    char cut[64];
    size_t keep = 63 - strlen(suffix) - 10;
    snprintf(cut, sizeof cut, "%.*s_%.8s_%s", (int)keep, base, hex, suffix);
    return kiln_arena_strndup(&s->arena, cut, strlen(cut));
}

void model_errorv(kiln_buf *errs, const char *file, int line, int col,
                  const char *fmt, va_list ap)
{
    kiln_buf_printf(errs, "%s:%d:%d: ", file, line, col);
    kiln_buf_vprintf(errs, fmt, ap);
    kiln_buf_putc(errs, '\n');
}

void model_error(kiln_buf *errs, const char *file, int line, int col,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    model_errorv(errs, file, line, col, fmt, ap);
    va_end(ap);
}
