/*
 * json/parse.c - the strict RFC 8259 parser (kiln_json_parse) and object
 * lookup (kiln_json_get).
 *
 * The parser is iterative, with an explicit stack of open containers, so a
 * deeply nested document costs heap, not C stack: handlers run on coroutine
 * stacks that are small. The depth limit (max_depth) bounds that stack.
 *
 * Children of the open containers are collected in one growable scratch
 * vector (malloc'd, freed before returning); when a container closes, its
 * children are copied into an arena array of exactly their number and the
 * vector shrinks back. Every value is copied once, so the parse is linear.
 *
 * Strings without escapes are copied from the input straight into the arena;
 * a string with escapes is decoded into a scratch buffer first. Either way the
 * result is NUL-terminated. Numbers keep their text (raw, in the arena); d is
 * strtod of that text (the C locale is assumed for LC_NUMERIC, which Kiln
 * never changes), and is_int/i are set when the text has no fraction and no
 * exponent and fits int64_t.
 *
 * Rejected, beyond the grammar: a UTF-8 byte order mark, ill-formed UTF-8
 * (overlongs, surrogates, above U+10FFFF, truncated), raw control characters
 * in strings, lone or mis-paired surrogate escapes. Accepted: numbers of any
 * size (d becomes +-inf or 0 when out of range), \u0000 (the decoded string
 * then holds a NUL byte; use its length), duplicate keys (kept in order).
 */
#include <kiln/json.h>

#include "json/unescape.h"
#include "json/utf8.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An open array or object. */
typedef struct json_frame {
    size_t start; /* index of its first child in json_parser.kids */
    kiln_str key; /* objects: key of the member being parsed */
    bool is_object;
} json_frame;

/* The state of one kiln_json_parse call. */
typedef struct json_parser {
    kiln_arena *a;
    const char *begin, *p, *end; /* input; p is the next byte to read */
    size_t max_depth;
    json_frame *frames; /* open containers, innermost last (malloc'd) */
    size_t nframes, frames_cap;
    kiln_json_member *kids; /* children of open containers (malloc'd) */
    size_t nkids, kids_cap;
    kiln_buf tmp; /* decoded text of the current escaped string */
    kiln_json_error *err;
} json_parser;

/*
 * Records an error at input position at (with line and column computed from
 * the input; columns count bytes) and returns rc. Only runs on failure, so
 * the line count costs nothing on the success path.
 */
static int json_fail(json_parser *ps, const char *at, int rc, const char *msg)
{
    assert(at >= ps->begin && at <= ps->end);
    if (!ps->err)
        return rc;
    kiln_json_error *e = ps->err;
    e->offset = (size_t)(at - ps->begin);
    e->line = 1;
    const char *line_start = ps->begin;
    for (const char *q = ps->begin; q < at; q++) {
        if (*q == '\n') {
            if (e->line < INT_MAX)
                e->line++;
            line_start = q + 1;
        }
    }
    size_t col = (size_t)(at - line_start) + 1;
    e->col = col < INT_MAX ? (int)col : INT_MAX;
    snprintf(e->msg, sizeof(e->msg), "%s", msg);
    return rc;
}

/* Fails at ps->p with a message naming the unexpected byte (or the end). */
static int json_fail_unexpected(json_parser *ps, const char *expected)
{
    char msg[sizeof(((kiln_json_error *)0)->msg)];
    unsigned char c;
    if (ps->p == ps->end) {
        snprintf(msg, sizeof(msg), "unexpected end of input, expected %s",
                 expected);
    } else if ((c = (unsigned char)*ps->p) > 0x20 && c < 0x7F) {
        snprintf(msg, sizeof(msg), "unexpected '%c', expected %s", c, expected);
    } else {
        snprintf(msg, sizeof(msg), "unexpected byte 0x%02x, expected %s", c,
                 expected);
    }
    return json_fail(ps, ps->p, KILN_EPARSE, msg);
}

/* Advances ps->p over JSON whitespace (space, tab, LF, CR). */
static void json_skip_ws(json_parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
                               *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

/*
 * Makes room for one more element in the malloc'd vector v of *cap elements
 * of size bytes, n of them used. Doubles the capacity, so pushes are
 * amortised O(1). Returns the vector (v or its reallocation), or NULL when
 * memory runs out; v is then unchanged and still owned by the caller.
 */
static void *json_vec_grow(void *v, size_t *cap, size_t n, size_t size)
{
    assert(n <= *cap);
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 32;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *nv = realloc(v, ncap * size);
    if (nv)
        *cap = ncap;
    return nv;
}

/*
 * Decodes the escape at *sp (at its '\\') into ps->tmp and advances *sp past
 * it (json/unescape.h has the rules). Returns 0, KILN_EPARSE or KILN_ENOMEM.
 */
static int json_parse_escape(json_parser *ps, const char **sp)
{
    char u[4];
    size_t n = 0;
    const char *why = NULL;
    size_t used = json_unescape(*sp, ps->end, u, &n, &why);
    if (used == 0)
        return json_fail(ps, *sp, KILN_EPARSE, why);
    if (kiln_buf_append(&ps->tmp, u, n))
        return json_fail(ps, *sp, KILN_ENOMEM, "out of memory");
    *sp += used;
    return 0;
}

/*
 * Parses the string at ps->p (at its '"') into *out: decoded, validated
 * UTF-8, NUL-terminated, in the arena. Advances ps->p past the closing quote.
 * Returns 0, KILN_EPARSE or KILN_ENOMEM.
 */
static int json_parse_string(json_parser *ps, kiln_str *out)
{
    const char *open = ps->p, *s = ps->p + 1, *run = s, *end = ps->end;
    bool escaped = false; /* ps->tmp holds the decoded text before run */
    size_t bad;
    assert(*open == '"');
    kiln_buf_clear(&ps->tmp);
    for (;;) {
        unsigned char c = 0;
        while (s < end && (c = (unsigned char)*s) >= 0x20 && c < 0x80 &&
               c != '"' && c != '\\')
            s++;
        if (s == end)
            return json_fail(ps, open, KILN_EPARSE, "unterminated string");
        if (c == '"')
            break;
        if (c >= 0x80) {
            size_t len = json_utf8_len((const unsigned char *)s,
                                       (size_t)(end - s), &bad);
            if (len == 0)
                return json_fail(ps, s, KILN_EPARSE, "invalid UTF-8 in string");
            s += len;
        } else if (c < 0x20) {
            return json_fail(ps, s, KILN_EPARSE,
                             "unescaped control character in string");
        } else {
            assert(c == '\\');
            if (kiln_buf_append(&ps->tmp, run, (size_t)(s - run)))
                return json_fail(ps, s, KILN_ENOMEM, "out of memory");
            int rc = json_parse_escape(ps, &s);
            if (rc)
                return rc;
            run = s;
            escaped = true;
        }
    }
    char *str;
    size_t n;
    if (!escaped) {
        n = (size_t)(s - run);
        str = kiln_arena_strndup(ps->a, run, n);
    } else {
        if (kiln_buf_append(&ps->tmp, run, (size_t)(s - run)))
            return json_fail(ps, s, KILN_ENOMEM, "out of memory");
        n = ps->tmp.n;
        str = kiln_arena_strndup(ps->a, ps->tmp.p, n);
    }
    if (!str)
        return json_fail(ps, open, KILN_ENOMEM, "out of memory");
    out->p = str;
    out->n = n;
    ps->p = s + 1;
    return 0;
}

/* Advances *sp over ASCII digits before end; returns how many there were. */
static size_t json_skip_digits(const char **sp, const char *end)
{
    const char *s = *sp;
    while (s < end && *s >= '0' && *s <= '9')
        s++;
    size_t n = (size_t)(s - *sp);
    *sp = s;
    return n;
}

/*
 * Parses the number at ps->p into *v per the RFC 8259 grammar
 *   [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ("e"/"E") ["+"/"-"] 1*DIGIT
 * ] and advances ps->p past it. Returns 0, KILN_EPARSE or KILN_ENOMEM.
 */
static int json_parse_number(json_parser *ps, kiln_json *v)
{
    const char *start = ps->p, *s = ps->p, *end = ps->end;
    bool integral = true;
    if (*s == '-')
        s++;
    const char *digits = s;
    size_t nd = json_skip_digits(&s, end);
    if (nd == 0)
        return json_fail(ps, s, KILN_EPARSE, "expected a digit");
    if (*digits == '0' && nd > 1)
        return json_fail(ps, digits, KILN_EPARSE, "leading zero in a number");
    if (s < end && *s == '.') {
        s++;
        integral = false;
        if (json_skip_digits(&s, end) == 0)
            return json_fail(ps, s, KILN_EPARSE, "expected a digit after '.'");
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        integral = false;
        if (s < end && (*s == '+' || *s == '-'))
            s++;
        if (json_skip_digits(&s, end) == 0)
            return json_fail(ps, s, KILN_EPARSE,
                             "expected a digit in the exponent");
    }
    size_t n = (size_t)(s - start);
    char *raw = kiln_arena_strndup(ps->a, start, n);
    if (!raw)
        return json_fail(ps, start, KILN_ENOMEM, "out of memory");
    v->type = KILN_JSON_NUMBER;
    v->u.number.raw.p = raw;
    v->u.number.raw.n = n;
    v->u.number.i = 0;
    v->u.number.is_int =
        integral && kiln_str_to_i64(v->u.number.raw, &v->u.number.i) == 0;
    if (v->u.number.is_int && !(v->u.number.i == 0 && *start == '-'))
        /* exact int64 -> double rounds to nearest, as strtod does */
        v->u.number.d = (double)v->u.number.i;
    else
        v->u.number.d = strtod(raw, NULL); /* "-0" stays -0.0 here */
    ps->p = s;
    return 0;
}

/*
 * Parses the string, number or literal at ps->p into *v.
 * Returns 0, KILN_EPARSE or KILN_ENOMEM.
 */
static int json_parse_scalar(json_parser *ps, kiln_json *v)
{
    static const struct {
        const char *text;
        size_t n;
        kiln_json_type type;
        bool value;
    } lits[] = {{"true", 4, KILN_JSON_BOOL, true},
                {"false", 5, KILN_JSON_BOOL, false},
                {"null", 4, KILN_JSON_NULL, false}};
    char c = ps->p < ps->end ? *ps->p : 0;
    if (c == '"') {
        v->type = KILN_JSON_STRING;
        return json_parse_string(ps, &v->u.string);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return json_parse_number(ps, v);
    for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
        if (c != lits[i].text[0])
            continue;
        if ((size_t)(ps->end - ps->p) < lits[i].n ||
            memcmp(ps->p, lits[i].text, lits[i].n) != 0)
            return json_fail(ps, ps->p, KILN_EPARSE, "invalid literal");
        v->type = lits[i].type;
        v->u.boolean = lits[i].value;
        ps->p += lits[i].n;
        return 0;
    }
    return json_fail_unexpected(ps, "a value");
}

/*
 * Parses an object key at ps->p (after '{' or ',' and whitespace) and the ':'
 * after it, and stores the key in the innermost frame.
 * Returns 0, KILN_EPARSE or KILN_ENOMEM.
 */
static int json_parse_key(json_parser *ps)
{
    assert(ps->nframes > 0 && ps->frames[ps->nframes - 1].is_object);
    json_frame *f = &ps->frames[ps->nframes - 1];
    if (ps->p == ps->end || *ps->p != '"')
        return json_fail_unexpected(ps, "a string key");
    int rc = json_parse_string(ps, &f->key);
    if (rc)
        return rc;
    json_skip_ws(ps);
    if (ps->p == ps->end || *ps->p != ':')
        return json_fail_unexpected(ps, "':' after the key");
    ps->p++;
    return 0;
}

/*
 * Opens the array or object at ps->p: checks the depth limit and pushes a
 * frame. Returns 0, KILN_ELIMIT or KILN_ENOMEM.
 */
static int json_open(json_parser *ps)
{
    if (ps->nframes >= ps->max_depth)
        return json_fail(ps, ps->p, KILN_ELIMIT, "nesting too deep");
    json_frame *frames = json_vec_grow(ps->frames, &ps->frames_cap, ps->nframes,
                                       sizeof(*frames));
    if (!frames)
        return json_fail(ps, ps->p, KILN_ENOMEM, "out of memory");
    ps->frames = frames;
    json_frame *f = &ps->frames[ps->nframes++];
    f->start = ps->nkids;
    f->key = KILN_STR_NULL;
    f->is_object = *ps->p == '{';
    ps->p++;
    return 0;
}

/*
 * Closes the innermost container: moves its children from the scratch
 * vector into an arena array of exactly their number (NULL when empty) and
 * makes *v the container. Returns 0 or KILN_ENOMEM.
 */
static int json_close(json_parser *ps, kiln_json *v)
{
    assert(ps->nframes > 0);
    json_frame *f = &ps->frames[ps->nframes - 1];
    size_t n = ps->nkids - f->start;
    const kiln_json_member *kids = n ? ps->kids + f->start : NULL;
    if (f->is_object) {
        kiln_json_member *items = NULL;
        if (n) {
            if (n > SIZE_MAX / sizeof(*items) ||
                !(items = kiln_arena_alloc(ps->a, n * sizeof(*items))))
                return json_fail(ps, ps->p, KILN_ENOMEM, "out of memory");
            memcpy(items, kids, n * sizeof(*items));
        }
        v->type = KILN_JSON_OBJECT;
        v->u.object.items = items;
        v->u.object.n = n;
    } else {
        kiln_json *items = NULL;
        if (n) {
            if (n > SIZE_MAX / sizeof(*items) ||
                !(items = kiln_arena_alloc(ps->a, n * sizeof(*items))))
                return json_fail(ps, ps->p, KILN_ENOMEM, "out of memory");
            for (size_t i = 0; i < n; i++)
                items[i] = kids[i].value;
        }
        v->type = KILN_JSON_ARRAY;
        v->u.array.items = items;
        v->u.array.n = n;
    }
    ps->nkids = f->start;
    ps->nframes--;
    return 0;
}

/*
 * The parse loop: reads one value into *root, keeping open containers on
 * ps->frames. Alternates between "expect a value" and "have a value v"; a
 * finished value becomes a child of the innermost frame, or the result when
 * no frame is open. Returns 0 or a KILN_E* code (the error recorded).
 */
static int json_parse_value(json_parser *ps, kiln_json *root)
{
    kiln_json v;
    int rc;
    for (;;) {
        /* expect a value */
        json_skip_ws(ps);
        if (ps->p < ps->end && (*ps->p == '[' || *ps->p == '{')) {
            if ((rc = json_open(ps)) != 0)
                return rc;
            json_skip_ws(ps);
            char close = ps->frames[ps->nframes - 1].is_object ? '}' : ']';
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                rc = json_close(ps, &v);
            } else if (ps->frames[ps->nframes - 1].is_object) {
                if ((rc = json_parse_key(ps)) != 0)
                    return rc;
                continue;
            } else {
                continue;
            }
        } else {
            rc = json_parse_scalar(ps, &v);
        }
        if (rc)
            return rc;
        /* have a value v: attach it, then close containers it completes */
        for (;;) {
            if (ps->nframes == 0) {
                *root = v;
                return 0;
            }
            json_frame *f = &ps->frames[ps->nframes - 1];
            kiln_json_member *kids = json_vec_grow(ps->kids, &ps->kids_cap,
                                                   ps->nkids, sizeof(*kids));
            if (!kids)
                return json_fail(ps, ps->p, KILN_ENOMEM, "out of memory");
            ps->kids = kids;
            ps->kids[ps->nkids].key = f->key;
            ps->kids[ps->nkids].value = v;
            ps->nkids++;
            json_skip_ws(ps);
            char close = f->is_object ? '}' : ']';
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                if (f->is_object) {
                    json_skip_ws(ps);
                    if ((rc = json_parse_key(ps)) != 0)
                        return rc;
                }
                break; /* expect the next value */
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                if ((rc = json_close(ps, &v)) != 0)
                    return rc;
                continue;
            }
            return json_fail_unexpected(ps, f->is_object ? "',' or '}'"
                                                         : "',' or ']'");
        }
    }
}

/*
 * Parses exactly one JSON text from p[0..n), surrounded by optional
 * whitespace, into a tree in a (see kiln/json.h). max_depth is the most
 * arrays and objects open at once (0: KILN_JSON_MAX_DEPTH; must not be
 * negative). Returns 0 and sets *out, or KILN_EPARSE, KILN_ELIMIT or
 * KILN_ENOMEM with *out NULL and *err (when err is not NULL) filled for every
 * failure. The parser's own scratch memory is freed before returning; what it
 * took from a stays there until the arena is reset.
 */
int kiln_json_parse(kiln_arena *a, const char *p, size_t n, int max_depth,
                    kiln_json **out, kiln_json_error *err)
{
    assert(a && out && (p || n == 0) && max_depth >= 0);
    if (!p)
        p = ""; /* NULL + 0 is undefined */
    json_parser ps = {
        .a = a,
        .begin = p,
        .p = p,
        .end = p + n,
        .max_depth = max_depth > 0 ? (size_t)max_depth : KILN_JSON_MAX_DEPTH,
        .err = err,
    };
    kiln_json v, *root;
    int rc;
    *out = NULL;
    kiln_buf_init(&ps.tmp);
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        rc = json_fail(&ps, p, KILN_EPARSE, "byte order mark not allowed");
    } else if ((rc = json_parse_value(&ps, &v)) == 0) {
        json_skip_ws(&ps);
        if (ps.p != ps.end)
            rc = json_fail_unexpected(&ps, "the end of input");
    }
    free(ps.frames);
    free(ps.kids);
    kiln_buf_deinit(&ps.tmp);
    if (rc)
        return rc;
    if (!(root = kiln_arena_alloc(a, sizeof(*root))))
        return json_fail(&ps, ps.p, KILN_ENOMEM, "out of memory");
    *root = v;
    *out = root;
    return 0;
}

/*
 * Returns the value of the last member of obj whose key is key (so a
 * duplicate key resolves to its last value, as most parsers do), or NULL when
 * there is none or obj is NULL or not an object. Keys compare as bytes; a key
 * holding a NUL (from \u0000) cannot match a C string. Linear in the members.
 */
const kiln_json *kiln_json_get(const kiln_json *obj, const char *key)
{
    assert(key);
    if (!obj || obj->type != KILN_JSON_OBJECT)
        return NULL;
    size_t kn = strlen(key);
    for (size_t i = obj->u.object.n; i-- > 0;) {
        const kiln_json_member *m = &obj->u.object.items[i];
        if (m->key.n == kn && memcmp(m->key.p, key, kn) == 0)
            return &m->value;
    }
    return NULL;
}
