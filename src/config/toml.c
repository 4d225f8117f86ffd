/*
 * config/toml.c - toml_parse: the TOML 1.0.0 document grammar and its
 * redefinition rules. See config/toml.h for the contract and
 * config/toml_parser.h for how the files divide the work.
 *
 * The document is read line by line: blank lines and comments, [table] and
 * [[array]] headers, which change the current table, and key/value pairs,
 * which add to it. Values are read recursively (arrays and inline tables),
 * bounded by TOML_MAX_DEPTH.
 *
 * Redefinition rules, all decided by looking at what a key already holds
 * (its toml_table_kind for tables, of_tables for arrays):
 *   - key = value: every part but the last may walk into a table created by
 *     dotted keys (DOTTED) or create one; any other existing value there is
 *     an error (tables defined by a header or created as a header's parent
 *     belong to headers, inline tables are closed, arrays are not tables).
 *     The last part must be new.
 *   - [a.b.c]: a and b may be any table but an inline one (an array of
 *     tables stands for its last element) or are created IMPLICIT; c must be
 *     new or IMPLICIT (it then becomes EXPLICIT).
 *   - [[a.b.c]]: a and b as above; c must be new or an array created by
 *     [[...]], to which a new ARRAY_ELEMENT table is appended.
 *
 * Positions are computed by toml_where from a cache of the last position
 * asked for, so asking in document order (as the parser does) costs O(1)
 * amortised; the parser asks for each key's and value's position as soon as
 * it reads it.
 */
#include "config/toml_parser.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a key or header path in a message (then it is shortened). */
#define TOML_NAME_MAX 72

/* ---- positions and errors ---------------------------------------------- */

void toml_where(toml_parser *P, const char *at, int *line, int *col)
{
    assert(at >= P->begin && at <= P->end);
    if (at < P->pos_line_start) { /* before the cached line: start over */
        P->pos_at = P->pos_line_start = P->begin;
        P->pos_line = P->pos_col = 1;
    } else if (at < P->pos_at) { /* earlier on the cached line */
        P->pos_at = P->pos_line_start;
        P->pos_col = 1;
    }
    for (const char *q = P->pos_at; q < at; q++) {
        if (*q == '\n') {
            P->pos_line++;
            P->pos_line_start = q + 1;
            P->pos_col = 1;
        } else if ((*q & 0xC0) != 0x80) { /* not a UTF-8 continuation */
            P->pos_col++;
        }
    }
    P->pos_at = at;
    *line = P->pos_line;
    *col = P->pos_col;
}

int toml_fail(toml_parser *P, const char *at, int rc, const char *fmt, ...)
{
    assert(rc < 0);
    if (P->failed)
        return rc;
    P->failed = true;
    if (!P->err)
        return rc;
    toml_where(P, at, &P->err->line, &P->err->column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err->message, sizeof(P->err->message), fmt, ap);
    va_end(ap);
    return rc;
}

int toml_nomem(toml_parser *P)
{
    return toml_fail(P, P->p, KILN_ENOMEM, "out of memory");
}

const char *toml_describe(toml_parser *P, const char *at, char *buf)
{
    if (at >= P->end)
        return "end of input";
    unsigned char c = (unsigned char)*at;
    if (c == '\n' || (c == '\r' && P->end - at >= 2 && at[1] == '\n'))
        return "end of line";
    if (c >= 0x20 && c < 0x7F) {
        snprintf(buf, 32, "'%c'", c);
    } else if (c < 0x80) {
        snprintf(buf, 32, "control character U+%04X", c);
    } else {
        size_t len =
            toml_utf8_len((const unsigned char *)at, (size_t)(P->end - at));
        if (len)
            snprintf(buf, 32, "'%.*s'", (int)len, at);
        else
            snprintf(buf, 32, "invalid UTF-8 byte 0x%02x", c);
    }
    return buf;
}

/*
 * Writes s into buf (size >= 16 bytes) with '"', '\' and control characters
 * escaped, between double quotes when quotes is true, shortened with "..."
 * (at a character boundary) when it does not fit.
 */
static const char *toml_escape(kiln_str s, char *buf, size_t size, bool quotes)
{
    assert(size >= 16);
    size_t o = 0, limit = size - 6; /* room for "...", '"' and the NUL */
    if (quotes)
        buf[o++] = '"';
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        char esc[8];
        size_t k = 1;
        esc[0] = (char)c;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            k = 2;
        } else if (c < 0x20 || c == 0x7F) {
            k = (size_t)snprintf(esc, sizeof(esc), "\\u%04X", c);
        }
        if (o + k > limit) {
            if ((c & 0xC0) == 0x80) { /* drop the cut character's start */
                while (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
                    o--;
                if (o > 1 && (unsigned char)buf[o - 1] >= 0xC0)
                    o--;
            }
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(buf + o, esc, k);
        o += k;
    }
    if (quotes)
        buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/*
 * Writes the first n parts of the current key joined with '.', escaped
 * (see toml_escape), into buf of TOML_NAME_MAX bytes: between double quotes
 * for a key ("server.port"), bare inside a header's brackets.
 */
static const char *toml_key_text(const toml_parser *P, size_t n, char *buf,
                                 bool quotes)
{
    char joined[TOML_NAME_MAX * 2];
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof(joined); i++) {
        if (i)
            joined[o++] = '.';
        size_t k = P->keys[i].s.n;
        if (k > sizeof(joined) - o)
            k = sizeof(joined) - o;
        memcpy(joined + o, P->keys[i].s.p, k);
        o += k;
    }
    kiln_str s = {joined, o};
    return toml_escape(s, buf, TOML_NAME_MAX, quotes);
}

/* "a" or "an" for the name of type t. */
static const char *toml_article(toml_type t)
{
    const char *name = toml_type_name(t);
    return strchr("aeiou", name[0]) ? "an" : "a";
}

/* ---- keys -------------------------------------------------------------- */

/* Appends a part to the current key. */
static int toml_push_key(toml_parser *P, kiln_str s, const char *at, int line,
                         int col)
{
    if (P->nkeys > TOML_MAX_DEPTH)
        return toml_fail(P, at, KILN_ELIMIT, "key has more than %d parts",
                         TOML_MAX_DEPTH);
    if (P->nkeys == P->keys_cap) {
        size_t cap = P->keys_cap ? P->keys_cap * 2 : 8;
        toml_key *k = realloc(P->keys, cap * sizeof(*k));
        if (!k)
            return toml_nomem(P);
        P->keys = k;
        P->keys_cap = cap;
    }
    toml_key *k = &P->keys[P->nkeys++];
    k->s = s;
    k->at = at;
    k->line = line;
    k->col = col;
    return 0;
}

/*
 * Reads a key (bare, quoted or dotted, with spaces and tabs around the
 * parts) into P->keys, and the spaces after it.
 */
static int toml_parse_key(toml_parser *P)
{
    P->nkeys = 0;
    for (;;) {
        toml_skip_ws(P);
        const char *at = P->p;
        kiln_str s;
        int line, col, rc;
        toml_where(P, at, &line, &col);
        if (at < P->end && toml_is_bare((unsigned char)*at)) {
            while (P->p < P->end && toml_is_bare((unsigned char)*P->p))
                P->p++;
            s.n = (size_t)(P->p - at);
            if (!(s.p = kiln_arena_strndup(P->a, at, s.n)))
                return toml_nomem(P);
        } else if (at < P->end && (*at == '"' || *at == '\'')) {
            if ((rc = toml_lex_string(P, &s, true)) != 0)
                return rc;
        } else {
            char d[32];
            return toml_fail(P, at, KILN_EPARSE, "expected a key%s, found %s%s",
                             P->nkeys ? " after '.'" : "",
                             toml_describe(P, at, d),
                             at < P->end && (unsigned char)*at >= 0x80
                                 ? " (bare keys may only use A-Z a-z 0-9 _ "
                                   "-; quote other keys)"
                                 : "");
        }
        if ((rc = toml_push_key(P, s, at, line, col)) != 0)
            return rc;
        toml_skip_ws(P);
        if (P->p == P->end || *P->p != '.')
            return 0;
        P->p++;
    }
}

/* ---- walking and creating tables ---------------------------------------- */

/*
 * Adds a new table of the given kind under part i of the current key to t,
 * at depth (the new table's), and sets *out to it.
 */
static int toml_add_table(toml_parser *P, toml_value *t, size_t i,
                          toml_table_kind kind, int depth, toml_value **out)
{
    const toml_key *k = &P->keys[i];
    if (depth > TOML_MAX_DEPTH)
        return toml_fail(P, k->at, KILN_ELIMIT,
                         "tables nest deeper than %d levels", TOML_MAX_DEPTH);
    toml_value *nt = toml_table_new(P, kind, k->line, k->col);
    if (!nt)
        return KILN_ENOMEM;
    *out = nt;
    return toml_table_add(P, t, k->s, nt, k->line, k->col);
}

/*
 * Fails because part i of the current key names e, which cannot be walked
 * into: by a dotted key (dotted) or by a header.
 */
static int toml_fail_walk(toml_parser *P, size_t i, const toml_entry *e,
                          bool dotted)
{
    char name[TOML_NAME_MAX];
    const toml_value *v = e->value;
    const char *at = P->keys[i].at;
    toml_key_text(P, i + 1, name, true);
    if (v->type == TOML_TABLE && v->u.table.kind == TOML_TABLE_INLINE)
        return toml_fail(P, at, KILN_EPARSE,
                         "cannot extend inline table %s (defined at %d:%d): "
                         "inline tables are immutable",
                         name, e->line, e->column);
    if (v->type == TOML_TABLE)
        return toml_fail(P, at, KILN_EPARSE,
                         "cannot add to table %s with a dotted key: it was %s "
                         "by a [header] at %d:%d",
                         name,
                         v->u.table.kind == TOML_TABLE_IMPLICIT ? "created"
                                                                : "defined",
                         e->line, e->column);
    if (v->type == TOML_ARRAY && !dotted)
        return toml_fail(P, at, KILN_EPARSE,
                         "cannot extend %s: it is an array value (defined at "
                         "%d:%d), not a table or an array of tables",
                         name, e->line, e->column);
    return toml_fail(P, at, KILN_EPARSE,
                     "key %s is already %s %s (defined at %d:%d), not a table",
                     name, toml_article(v->type), toml_type_name(v->type),
                     e->line, e->column);
}

/* ---- values ------------------------------------------------------------ */

static int toml_parse_value(toml_parser *P, int depth, toml_value **out);
static int toml_parse_keyval(toml_parser *P, toml_value *t, int depth,
                             char *name);

/*
 * Skips what may come between array elements: spaces, tabs, line ends and
 * comments.
 */
static int toml_skip_blank(toml_parser *P)
{
    for (;;) {
        int rc = 0;
        toml_skip_ws(P);
        if (P->p < P->end && *P->p == '#')
            rc = toml_skip_comment(P);
        else if (toml_at_newline(P))
            rc = toml_skip_newline(P);
        else
            return 0;
        if (rc)
            return rc;
    }
}

/* Reads an array at P->p ('[') into arr, which is at depth. */
static int toml_parse_array(toml_parser *P, toml_value *arr, int depth)
{
    int rc;
    P->p++;
    for (;;) {
        if ((rc = toml_skip_blank(P)) != 0)
            return rc;
        if (P->p < P->end && *P->p == ']')
            break;
        if (P->p == P->end)
            return toml_fail(P, P->p, KILN_EPARSE,
                             "unterminated array (opened at %d:%d): expected "
                             "a value or ']'",
                             arr->line, arr->column);
        toml_value *v;
        if ((rc = toml_parse_value(P, depth + 1, &v)) != 0 ||
            (rc = toml_array_push(P, arr, v)) != 0 ||
            (rc = toml_skip_blank(P)) != 0)
            return rc;
        if (P->p < P->end && *P->p == ',') {
            P->p++;
            continue;
        }
        if (P->p < P->end && *P->p == ']')
            break;
        char d[32];
        return toml_fail(P, P->p, KILN_EPARSE,
                         "expected ',' or ']' after an array element, found "
                         "%s",
                         toml_describe(P, P->p, d));
    }
    P->p++;
    return 0;
}

/* Reads an inline table at P->p ('{') into t, which is at depth. */
static int toml_parse_inline_table(toml_parser *P, toml_value *t, int depth)
{
    char name[TOML_NAME_MAX], d[32];
    int rc;
    P->p++;
    toml_skip_ws(P);
    if (P->p < P->end && *P->p == '}') {
        P->p++;
        return 0;
    }
    for (;;) {
        toml_skip_ws(P);
        if (toml_at_newline(P) || (P->p < P->end && *P->p == '#'))
            return toml_fail(P, P->p, KILN_EPARSE,
                             "expected a key in inline table, found %s (TOML "
                             "1.0 inline tables must be on one line)",
                             toml_describe(P, P->p, d));
        if ((rc = toml_parse_keyval(P, t, depth, name)) != 0)
            return rc;
        toml_skip_ws(P);
        if (P->p < P->end && *P->p == '}')
            break;
        if (P->p < P->end && *P->p == ',') {
            const char *comma = P->p++;
            toml_skip_ws(P);
            if (P->p < P->end && *P->p == '}')
                return toml_fail(P, comma, KILN_EPARSE,
                                 "trailing comma in inline table (not "
                                 "allowed in TOML 1.0)");
            continue;
        }
        if (P->p == P->end)
            return toml_fail(P, P->p, KILN_EPARSE,
                             "unterminated inline table (opened at %d:%d): "
                             "expected ',' or '}'",
                             t->line, t->column);
        return toml_fail(P, P->p, KILN_EPARSE,
                         "expected ',' or '}' after the value of %s, found "
                         "%s%s",
                         name, toml_describe(P, P->p, d),
                         toml_at_newline(P) || *P->p == '#'
                             ? " (TOML 1.0 inline tables must be on one line)"
                             : "");
    }
    P->p++;
    return 0;
}

/* Reads a value at P->p into a new value at depth. */
static int toml_parse_value(toml_parser *P, int depth, toml_value **out)
{
    int line, col, rc;
    char c = P->p < P->end ? *P->p : '\0';
    toml_where(P, P->p, &line, &col);
    if (P->p == P->end || toml_at_newline(P) || c == '#') {
        char d[32];
        return toml_fail(P, P->p, KILN_EPARSE, "expected a value, found %s",
                         toml_describe(P, P->p, d));
    }
    if ((c == '[' || c == '{') && depth > TOML_MAX_DEPTH)
        return toml_fail(P, P->p, KILN_ELIMIT,
                         "arrays and tables nest deeper than %d levels",
                         TOML_MAX_DEPTH);
    toml_value *v = c == '{'   ? toml_table_new(P, TOML_TABLE_INLINE, line, col)
                    : c == '[' ? toml_value_new(P, TOML_ARRAY, line, col)
                               : toml_value_new(P, TOML_STRING, line, col);
    if (!v)
        return KILN_ENOMEM;
    if (c == '{')
        rc = toml_parse_inline_table(P, v, depth);
    else if (c == '[')
        rc = toml_parse_array(P, v, depth);
    else if (c == '"' || c == '\'')
        rc = toml_lex_string(P, &v->u.string, false);
    else
        rc = toml_lex_scalar(P, v);
    *out = v;
    return rc;
}

/*
 * Reads key = value at P->p into table t, which is at depth. Writes the key
 * (quoted, for messages) into name (TOML_NAME_MAX bytes).
 */
static int toml_parse_keyval(toml_parser *P, toml_value *t, int depth,
                             char *name)
{
    int rc = toml_parse_key(P);
    if (rc)
        return rc;
    size_t last = P->nkeys - 1;
    for (size_t i = 0; i < last; i++, depth++) {
        toml_entry *e = toml_table_lookup(t, P->keys[i].s);
        if (!e)
            rc = toml_add_table(P, t, i, TOML_TABLE_DOTTED, depth + 1, &t);
        else if (e->value->type == TOML_TABLE &&
                 e->value->u.table.kind == TOML_TABLE_DOTTED)
            t = e->value;
        else
            rc = toml_fail_walk(P, i, e, true);
        if (rc)
            return rc;
    }
    toml_key_text(P, P->nkeys, name, true);
    /* the last part: P->keys is reused by the value's own keys */
    toml_key k = P->keys[last];
    const toml_entry *e = toml_table_lookup(t, k.s);
    if (e)
        return toml_fail(P, k.at, KILN_EPARSE,
                         "duplicate key %s (first defined at %d:%d)", name,
                         e->line, e->column);
    if (P->p == P->end || *P->p != '=') {
        char d[32];
        return toml_fail(P, P->p, KILN_EPARSE,
                         "expected '=' after key %s, found %s", name,
                         toml_describe(P, P->p, d));
    }
    P->p++;
    toml_skip_ws(P);
    toml_value *v;
    if ((rc = toml_parse_value(P, depth + 1, &v)) != 0)
        return rc;
    return toml_table_add(P, t, k.s, v, k.line, k.col);
}

/* ---- headers ----------------------------------------------------------- */

/*
 * Fails because the last part of the header [name] or [[name]] (aot) names
 * e, which that header cannot define or append to.
 */
static int toml_fail_header(toml_parser *P, const toml_entry *e, bool aot)
{
    char name[TOML_NAME_MAX], path[TOML_NAME_MAX];
    const toml_value *v = e->value;
    const char *at = P->keys[P->nkeys - 1].at;
    const char *o = aot ? "[[" : "[", *c = aot ? "]]" : "]";
    toml_key_text(P, P->nkeys, name, true);
    toml_key_text(P, P->nkeys, path, false);
    if (v->type == TOML_TABLE && aot)
        return toml_fail(P, at, KILN_EPARSE,
                         "cannot define array of tables [[%s]]: %s is already "
                         "a table (defined at %d:%d)",
                         path, name, e->line, e->column);
    if (v->type == TOML_TABLE)
        return toml_fail(
            P, at, KILN_EPARSE, "table [%s] is already defined%s (at %d:%d)",
            path,
            v->u.table.kind == TOML_TABLE_DOTTED   ? " by dotted keys"
            : v->u.table.kind == TOML_TABLE_INLINE ? " as an inline table"
                                                   : "",
            e->line, e->column);
    if (v->type == TOML_ARRAY && v->u.array.of_tables)
        return toml_fail(P, at, KILN_EPARSE,
                         "[%s] is an array of tables (defined at %d:%d); add "
                         "an element with [[%s]]",
                         path, e->line, e->column, path);
    if (v->type == TOML_ARRAY)
        return toml_fail(P, at, KILN_EPARSE,
                         "cannot use %s%s%s: %s is an array value (defined at "
                         "%d:%d), not an array of tables",
                         o, path, c, name, e->line, e->column);
    return toml_fail(P, at, KILN_EPARSE,
                     "cannot use %s%s%s: key %s is already %s %s (defined at "
                     "%d:%d)",
                     o, path, c, name, toml_article(v->type),
                     toml_type_name(v->type), e->line, e->column);
}

/*
 * Reads a [table] or [[array of tables]] header at P->p and makes the table
 * it names current: *cur, at depth *cur_depth.
 */
static int toml_parse_header(toml_parser *P, toml_value *root, toml_value **cur,
                             int *cur_depth)
{
    const char *open = P->p;
    bool aot = P->end - P->p >= 2 && P->p[1] == '[';
    int line, col, rc, depth = 0;
    toml_where(P, open, &line, &col);
    P->p += aot ? 2 : 1;
    if ((rc = toml_parse_key(P)) != 0)
        return rc;
    if (aot ? !(P->end - P->p >= 2 && P->p[0] == ']' && P->p[1] == ']')
            : !(P->p < P->end && *P->p == ']')) {
        char path[TOML_NAME_MAX], d[32];
        return toml_fail(P, P->p, KILN_EPARSE,
                         "expected '%s' to close the header %s%s%s, found %s",
                         aot ? "]]" : "]", aot ? "[[" : "[",
                         toml_key_text(P, P->nkeys, path, false),
                         aot ? "]]" : "]", toml_describe(P, P->p, d));
    }
    P->p += aot ? 2 : 1;

    toml_value *t = root;
    size_t last = P->nkeys - 1;
    for (size_t i = 0; i < last; i++) {
        toml_entry *e = toml_table_lookup(t, P->keys[i].s);
        toml_value *v = e ? e->value : NULL;
        if (!e) {
            rc = toml_add_table(P, t, i, TOML_TABLE_IMPLICIT, ++depth, &t);
        } else if (v->type == TOML_TABLE &&
                   v->u.table.kind != TOML_TABLE_INLINE) {
            t = v;
            depth++;
        } else if (v->type == TOML_ARRAY && v->u.array.of_tables) {
            assert(v->u.array.n > 0);
            t = v->u.array.items[v->u.array.n - 1];
            depth += 2;
        } else {
            rc = toml_fail_walk(P, i, e, false);
        }
        if (rc)
            return rc;
    }

    toml_key *k = &P->keys[last];
    toml_entry *e = toml_table_lookup(t, k->s);
    if (!aot) {
        if (!e) {
            rc = toml_add_table(P, t, last, TOML_TABLE_EXPLICIT, depth + 1, &t);
        } else if (e->value->type == TOML_TABLE &&
                   e->value->u.table.kind == TOML_TABLE_IMPLICIT) {
            /* created as a parent, now defined: it is here from now on */
            t = e->value;
            e->line = k->line;
            e->column = k->col;
            rc = 0;
        } else {
            return toml_fail_header(P, e, false);
        }
        if (rc)
            return rc;
        t->u.table.kind = TOML_TABLE_EXPLICIT;
        t->line = line;
        t->column = col;
        *cur = t;
        *cur_depth = depth + 1;
        return 0;
    }
    toml_value *arr;
    if (!e) {
        if (depth + 2 > TOML_MAX_DEPTH)
            return toml_fail(P, k->at, KILN_ELIMIT,
                             "tables nest deeper than %d levels",
                             TOML_MAX_DEPTH);
        if (!(arr = toml_value_new(P, TOML_ARRAY, line, col)))
            return KILN_ENOMEM;
        arr->u.array.of_tables = true;
        if ((rc = toml_table_add(P, t, k->s, arr, k->line, k->col)) != 0)
            return rc;
    } else if (e->value->type == TOML_ARRAY && e->value->u.array.of_tables) {
        arr = e->value;
    } else {
        return toml_fail_header(P, e, true);
    }
    toml_value *elem = toml_table_new(P, TOML_TABLE_ARRAY_ELEMENT, line, col);
    if (!elem)
        return KILN_ENOMEM;
    if ((rc = toml_array_push(P, arr, elem)) != 0)
        return rc;
    *cur = elem;
    *cur_depth = depth + 2;
    return 0;
}

/* ---- the document ------------------------------------------------------ */

/*
 * After a header or a key/value pair: spaces, an optional comment, then the
 * line end or the end of input. after says what came before, for messages.
 */
static int toml_end_line(toml_parser *P, const char *after, const char *name)
{
    int rc;
    toml_skip_ws(P);
    if (P->p < P->end && *P->p == '#' && (rc = toml_skip_comment(P)) != 0)
        return rc;
    if (P->p == P->end)
        return 0;
    if (toml_at_newline(P))
        return toml_skip_newline(P);
    char d[32];
    return toml_fail(P, P->p, KILN_EPARSE,
                     "expected end of line after %s%s, found %s", after, name,
                     toml_describe(P, P->p, d));
}

static int toml_parse_document(toml_parser *P, toml_value *root)
{
    toml_value *cur = root;
    int depth = 0, rc;
    for (;;) {
        toml_skip_ws(P);
        if (P->p == P->end)
            return 0;
        char c = *P->p, name[TOML_NAME_MAX];
        if (c == '[') {
            if ((rc = toml_parse_header(P, root, &cur, &depth)) == 0)
                rc = toml_end_line(P, "the table header", "");
        } else if (c == '#' || toml_at_newline(P)) {
            rc = toml_end_line(P, "", "");
        } else {
            if ((rc = toml_parse_keyval(P, cur, depth, name)) == 0)
                rc = toml_end_line(P, "the value of ", name);
        }
        if (rc)
            return rc;
    }
}

int toml_parse(kiln_arena *a, const char *src, size_t n, const char *filename,
               toml_value **root, toml_error *err)
{
    assert(a && root && (src || n == 0));
    toml_parser P;
    memset(&P, 0, sizeof(P));
    *root = NULL;
    if (err) {
        memset(err, 0, sizeof(*err));
        err->filename = filename;
    }
    if (!src)
        src = "";
    P.a = a;
    P.err = err;
    P.begin = P.p = src;
    P.end = src + n;
    P.pos_at = P.pos_line_start = src;
    P.pos_line = P.pos_col = 1;
    if (n >= INT_MAX)
        return toml_fail(&P, src, KILN_ELIMIT,
                         "input of %zu bytes is too large (the limit is "
                         "2 GiB)",
                         n);
    if (n >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0) /* a BOM */
        P.begin = P.p = P.pos_at = P.pos_line_start = src + 3;
    kiln_buf_init(&P.tmp);
    toml_value *doc = toml_table_new(&P, TOML_TABLE_ROOT, 1, 1);
    int rc = doc ? toml_parse_document(&P, doc) : KILN_ENOMEM;
    kiln_buf_deinit(&P.tmp);
    free(P.keys);
    if (rc == 0)
        *root = doc;
    return rc;
}
