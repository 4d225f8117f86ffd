/*
 * tpl/text.h - string helpers for filters and methods (text.c). Internal.
 *
 * "String builders": functions that make a string append it to the render
 * output after mark = r->out->n and finish with tpl_sb_done, which cuts it
 * back out into the arena as the result value (or, on error, just cuts).
 */
#ifndef KILN_TPL_TEXT_H
#define KILN_TPL_TEXT_H

#include "tpl/tpl.h"

/* Decodes the code point at s[*i] and advances; a stray byte is itself. */
uint32_t tpl_cp_next(const char *s, size_t n, size_t *i);
/* Encodes cp as UTF-8 into buf (4 bytes room); returns the length. */
size_t tpl_cp_put(char *buf, uint32_t cp);
/* Appends cp as UTF-8 to the output. */
int tpl_put_cp(tpl_render *r, uint32_t cp);
uint32_t tpl_cp_upper(uint32_t cp);
uint32_t tpl_cp_lower(uint32_t cp);
/* A letter with case (Python's "cased"). */
bool tpl_cp_cased(uint32_t cp);
/* Python's str.isspace() for one code point. */
bool tpl_cp_space(uint32_t cp);

/* Ends a builder started at mark: *out is the string (safe or not). */
int tpl_sb_done(tpl_render *r, size_t mark, int rc, bool safe, kiln_value *out);

enum {
    TPL_CASE_UPPER,
    TPL_CASE_LOWER,
    TPL_CASE_CAPITALIZE, /* first upper, rest lower */
    TPL_CASE_TITLE,      /* Jinja's |title */
    TPL_CASE_PYTITLE     /* Python's str.title() */
};
/* s with its case changed by mode; the result is safe when safe. */
int tpl_str_case(tpl_render *r, kiln_str s, int mode, bool safe,
                 kiln_value *out);
/* s without leading/trailing whitespace (or code points of *chars). */
kiln_str tpl_str_strip(kiln_str s, const kiln_str *chars, bool left,
                       bool right);
/*
 * s with old replaced by new_ (count < 0: all), as Python's str.replace;
 * new_ is escaped when escape_new. The result is safe when safe.
 */
int tpl_str_replace(tpl_render *r, kiln_str s, kiln_str old, kiln_str new_,
                    bool escape_new, int64_t count, bool safe, kiln_value *out);
/* Compares a and b by lowercased code points. */
int tpl_str_fold_cmp(kiln_str a, kiln_str b);

#endif
