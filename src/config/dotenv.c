/*
 * config/dotenv.c - the .env parser (grammar in settings.h, dotenv_parse).
 *
 * A pure function over bytes: it allocates its result from the caller's
 * arena and touches neither the environment nor the file system; the
 * settings loader decides what each entry means. No variable expansion
 * (${X}) and no multi-line values: both are rare in .env files and easy to
 * get subtly wrong, and an unterminated quote is reported instead.
 */
#include "config/settings.h"

#include <stdio.h>
#include <string.h>

/* Growing array of entries in the arena (old arrays are left behind). */
typedef struct entries {
    dotenv_entry *v;
    size_t n, cap;
} entries;

static int entries_push(kiln_arena *a, entries *e, dotenv_entry x)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        dotenv_entry *v = kiln_arena_alloc(a, cap * sizeof *v);
        if (!v)
            return KILN_ENOMEM;
        if (e->n)
            memcpy(v, e->v, e->n * sizeof *v);
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = x;
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/*
 * After a closing quote at p[i]: only blanks and an optional comment may
 * follow. Returns true when the rest of the line p[i..n) is fine.
 */
static bool rest_is_comment(const char *p, size_t i, size_t n)
{
    while (i < n && is_blank(p[i]))
        i++;
    return i == n || p[i] == '#';
}

/*
 * Parses one line p[0..n) (no line end). Sets *e->name to NULL for a blank
 * or comment line. Returns 0, KILN_EPARSE with the message (without the
 * place) in why, or KILN_ENOMEM.
 */
static int parse_line(kiln_arena *a, const char *p, size_t n, dotenv_entry *e,
                      char *why, size_t whylen)
{
    size_t i = 0;
    e->name = NULL;
    while (i < n && is_blank(p[i]))
        i++;
    if (i == n || p[i] == '#')
        return 0;
    if (n - i > 7 && memcmp(p + i, "export", 6) == 0 && is_blank(p[i + 6])) {
        i += 6;
        while (i < n && is_blank(p[i]))
            i++;
    }
    size_t ns = i;
    if (i == n || !is_name_start(p[i])) {
        snprintf(why, whylen,
                 "expected NAME=VALUE (a name is letters, digits and _)");
        return KILN_EPARSE;
    }
    while (i < n && is_name_char(p[i]))
        i++;
    size_t ne = i;
    while (i < n && is_blank(p[i]))
        i++;
    if (i == n || p[i] != '=') {
        snprintf(why, whylen, "expected '=' after %.*s", (int)(ne - ns),
                 p + ns);
        return KILN_EPARSE;
    }
    i++;
    while (i < n && is_blank(p[i]))
        i++;
    if (!(e->name = kiln_arena_strndup(a, p + ns, ne - ns)))
        return KILN_ENOMEM;
    if (i < n && p[i] == '\'') {
        const char *close = memchr(p + i + 1, '\'', n - i - 1);
        if (!close) {
            snprintf(why, whylen, "unterminated single-quoted value of %s",
                     e->name);
            return KILN_EPARSE;
        }
        size_t ve = (size_t)(close - p);
        if (!rest_is_comment(p, ve + 1, n)) {
            snprintf(why, whylen,
                     "unexpected text after the quoted value of %s", e->name);
            return KILN_EPARSE;
        }
        e->value = kiln_arena_strndup(a, p + i + 1, ve - i - 1);
        return e->value ? 0 : KILN_ENOMEM;
    }
    if (i < n && p[i] == '"') {
        char *out = kiln_arena_alloc(a, n - i);
        if (!out)
            return KILN_ENOMEM;
        size_t o = 0, j = i + 1;
        for (; j < n && p[j] != '"'; j++) {
            if (p[j] == '\\' && j + 1 < n) {
                char c = p[++j];
                switch (c) {
                case 'n':
                    out[o++] = '\n';
                    break;
                case 'r':
                    out[o++] = '\r';
                    break;
                case 't':
                    out[o++] = '\t';
                    break;
                case '"':
                case '\\':
                    out[o++] = c;
                    break;
                default: /* not an escape: keep the backslash */
                    out[o++] = '\\';
                    out[o++] = c;
                }
            } else {
                out[o++] = p[j];
            }
        }
        if (j == n) {
            snprintf(why, whylen, "unterminated double-quoted value of %s",
                     e->name);
            return KILN_EPARSE;
        }
        if (!rest_is_comment(p, j + 1, n)) {
            snprintf(why, whylen,
                     "unexpected text after the quoted value of %s", e->name);
            return KILN_EPARSE;
        }
        out[o] = '\0';
        e->value = out;
        return 0;
    }
    /* Unquoted: up to a '#' that follows a blank, trimmed. */
    size_t vs = i, ve = i;
    for (; ve < n; ve++)
        if (p[ve] == '#' && ve > vs && is_blank(p[ve - 1]))
            break;
    while (ve > vs && is_blank(p[ve - 1]))
        ve--;
    e->value = kiln_arena_strndup(a, p + vs, ve - vs);
    return e->value ? 0 : KILN_ENOMEM;
}

int dotenv_parse(kiln_arena *a, const char *src, size_t n, const char *file,
                 dotenv_entry **out, size_t *count, char *err, size_t errlen)
{
    entries e = {0};
    *out = NULL;
    *count = 0;
    if (n && memchr(src, '\0', n)) {
        const char *z = memchr(src, '\0', n);
        int line = 1;
        for (const char *q = src; q < z; q++)
            line += *q == '\n';
        snprintf(err, errlen, "%s:%d: NUL byte in the file", file, line);
        return KILN_EPARSE;
    }
    size_t pos = 0;
    for (int line = 1; pos < n; line++) {
        const char *nl = memchr(src + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - src) : n;
        size_t len = end - pos;
        if (len && src[pos + len - 1] == '\r')
            len--;
        dotenv_entry x = {.line = line};
        char why[200];
        int rc = parse_line(a, src + pos, len, &x, why, sizeof why);
        if (rc == KILN_EPARSE) {
            snprintf(err, errlen, "%s:%d: %s", file, line, why);
            return rc;
        }
        if (rc < 0 || (x.name && entries_push(a, &e, x) < 0)) {
            snprintf(err, errlen, "%s: out of memory", file);
            return KILN_ENOMEM;
        }
        pos = nl ? end + 1 : n;
    }
    *out = e.v;
    *count = e.n;
    return 0;
}
