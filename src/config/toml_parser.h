/*
 * config/toml_parser.h - what the files of the TOML parser share. Private to
 * src/config; users include config/toml.h.
 *
 *   toml.c        toml_parse: the document grammar (key/value pairs, [table]
 *                 and [[array]] headers, arrays, inline tables), every
 *                 redefinition rule, positions and error messages
 *   toml_lex.c    the lexical pieces: whitespace, comments, line ends,
 *                 strings (all four kinds, escapes, UTF-8 checks), integers,
 *                 floats, booleans and the four date-time forms
 *   toml_value.c  the tree: table entries with their hash index, array
 *                 items, lookups (toml_find...), type names, date-time and
 *                 error formatting
 *
 * Errors: a function that fails records the first error in the parser (see
 * toml_fail) and returns its negative code; callers return it unchanged, so
 * the message always describes the innermost cause.
 */
#ifndef KILN_CONFIG_TOML_PARSER_H
#define KILN_CONFIG_TOML_PARSER_H

#include "config/toml.h"

/* One part of a key (a, "b.c" or 'd' in a."b.c".'d'), decoded. */
typedef struct toml_key {
    kiln_str s;     /* in the arena, NUL-terminated */
    const char *at; /* its first byte in the input (the quote if quoted) */
    int line, col;  /* the position of at */
} toml_key;

/* The state of one toml_parse call. */
typedef struct toml_parser {
    kiln_arena *a;
    const char *begin;      /* the input, after a BOM */
    const char *p, *end;    /* p: the next byte to read */
    toml_error *err;        /* NULL: the caller wants no details */
    bool failed;            /* an error was recorded */
    kiln_buf tmp;           /* scratch: decoded strings, number digits */
    toml_key *keys;         /* the key being parsed (malloc'd) */
    size_t nkeys, keys_cap; /* parts in keys, slots in keys */
    /* position cache for toml_where: the line and column of pos_at */
    const char *pos_at, *pos_line_start;
    int pos_line, pos_col;
} toml_parser;

/* ---- positions and errors (toml.c) ------------------------------------- */

/* Sets *line and *col (1-based, col in characters) of input position at. */
void toml_where(toml_parser *P, const char *at, int *line, int *col);

/*
 * Records the error rc with a printf-formatted message at input position at
 * (unless an error is already recorded) and returns rc.
 */
int toml_fail(toml_parser *P, const char *at, int rc, const char *fmt, ...)
    KILN_PRINTF(4, 5);

/* toml_fail(P, P->p, KILN_ENOMEM, "out of memory"). */
int toml_nomem(toml_parser *P);

/*
 * Describes the input at position at for a message: "'x'", "end of line",
 * "end of input", "control character U+0001", "'é'", "invalid UTF-8 byte
 * 0xff". Returns buf (size >= 32), which it wrote, or a static string.
 */
const char *toml_describe(toml_parser *P, const char *at, char *buf);

/* ---- lexical pieces (toml_lex.c) --------------------------------------- */

/* True for the characters of a bare key: A-Z a-z 0-9 _ - */
bool toml_is_bare(unsigned char c);

/* Skips spaces and tabs. */
void toml_skip_ws(toml_parser *P);

/*
 * Skips a comment: P->p is at '#'. Stops before the line end (or at the end
 * of input). Fails on control characters and ill-formed UTF-8.
 */
int toml_skip_comment(toml_parser *P);

/* True when P->p is at a line end (LF, or CR which must start CRLF). */
bool toml_at_newline(const toml_parser *P);

/* Consumes a line end (LF or CRLF); fails on a lone CR. */
int toml_skip_newline(toml_parser *P);

/*
 * Parses a string of any of the four kinds at P->p (a '"' or '\'') into *out,
 * a NUL-terminated copy in the arena. as_key: multi-line strings are refused
 * (keys are one-line basic or literal strings).
 */
int toml_lex_string(toml_parser *P, kiln_str *out, bool as_key);

/*
 * Parses a scalar that is not a string at P->p: a boolean, an integer, a
 * float or a date-time, into v (whose type and value it sets). Fails with a
 * message naming the bad token when there is none.
 */
int toml_lex_scalar(toml_parser *P, toml_value *v);

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at s[0..n), n >= 1, or 0
 * when it is ill-formed (overlong, surrogate, above U+10FFFF, truncated).
 */
size_t toml_utf8_len(const unsigned char *s, size_t n);

/* ---- the tree (toml_value.c) ------------------------------------------- */

/*
 * A new zeroed value of type t written at line:col, or NULL when memory runs
 * out (the error is recorded). Positions are passed in, not computed here,
 * so that the parser asks toml_where for them in document order.
 */
toml_value *toml_value_new(toml_parser *P, toml_type t, int line, int col);

/* A new empty table of the given kind, or NULL. */
toml_value *toml_table_new(toml_parser *P, toml_table_kind kind, int line,
                           int col);

/* The entry of key in table t, or NULL. Same as toml_find, but writable. */
toml_entry *toml_table_lookup(const toml_value *t, kiln_str key);

/*
 * Appends key = v to table t; the key was written at line:col. The key must
 * not be present (checked by the caller). Returns 0 or KILN_ENOMEM.
 */
int toml_table_add(toml_parser *P, toml_value *t, kiln_str key, toml_value *v,
                   int line, int col);

/* Appends v to array arr. Returns 0 or KILN_ENOMEM. */
int toml_array_push(toml_parser *P, toml_value *arr, toml_value *v);

#endif
