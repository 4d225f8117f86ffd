/*
 * tpl/lex.h - the template lexer (lex.c), used by the parser only.
 *
 * The lexer works in two modes. Between tags it returns TPL_T_TEXT runs
 * (already trimmed by whitespace control: {%- -%}, {{- -}}, {#- -#},
 * trim_blocks, lstrip_blocks) and the tag openers TPL_T_VAR_BEGIN /
 * TPL_T_BLOCK_BEGIN; comments are skipped whole. Inside a tag it returns
 * names, literals and operators until TPL_T_VAR_END / TPL_T_BLOCK_END. A
 * "}}" inside unbalanced brackets is two '}' operators, as in Jinja.
 *
 * The source must already have its newlines normalised to "\n" (set.c does
 * that when it copies a template in).
 */
#ifndef KILN_TPL_LEX_H
#define KILN_TPL_LEX_H

#include "tpl/tpl.h"

typedef enum tpl_tok_kind {
    TPL_T_EOF,
    TPL_T_TEXT,        /* s: the text (a view of the source) */
    TPL_T_VAR_BEGIN,   /* {{ */
    TPL_T_VAR_END,     /* }} */
    TPL_T_BLOCK_BEGIN, /* {% */
    TPL_T_BLOCK_END,   /* %} */
    TPL_T_NAME,        /* s: the identifier */
    TPL_T_STRING,      /* s: the decoded value (source view or arena) */
    TPL_T_INT,         /* i */
    TPL_T_FLOAT,       /* f */
    TPL_T_OP           /* op: one of TPL_TOK_* or the operator character */
} tpl_tok_kind;

/* Two-character operators; one-character ones use the character itself:
 * + - * / % ~ [ ] ( ) { } < > = . : | , ; */
enum {
    TPL_TOK_FLOORDIV = 'F', /* // */
    TPL_TOK_POW = 'P',      /* ** */
    TPL_TOK_EQ = 'E',       /* == */
    TPL_TOK_NE = 'N',       /* != */
    TPL_TOK_GE = 'G',       /* >= */
    TPL_TOK_LE = 'L'        /* <= */
};

typedef struct tpl_tok {
    uint8_t kind;
    char op;
    uint32_t pos; /* byte offset of the token in the source */
    kiln_str s;
    int64_t i;
    double f;
} tpl_tok;

typedef struct tpl_lexer {
    const char *src;
    size_t n, pos;
    kiln_arena *a; /* for decoded string literals */
    bool trim_blocks, lstrip_blocks;
    uint8_t tag;     /* 0 between tags, else TPL_T_VAR_BEGIN/BLOCK_BEGIN */
    int balance;     /* open ( [ { inside the tag */
    bool strip_next; /* strip the whitespace that starts the next text */
    bool trim_nl;    /* trim_blocks: drop one "\n" that starts it */
    bool after_dot;  /* last token was '.': digits lex as an integer */
    size_t err_pos;  /* on TPL_LEX error: where */
    char err[96];    /* on error: what */
} tpl_lexer;

/* Starts lexing src[0..n). */
void tpl_lex_init(tpl_lexer *lx, const char *src, size_t n, kiln_arena *a,
                  bool trim_blocks, bool lstrip_blocks);
/*
 * Reads the next token into *t. Returns 0, KILN_EPARSE with err/err_pos set,
 * or KILN_ENOMEM.
 */
int tpl_lex_next(tpl_lexer *lx, tpl_tok *t);
/*
 * After the "%}" of {% raw %}: reads the text up to {% endraw %} into *t
 * (a TPL_T_TEXT, honouring - on both tags) and consumes that tag.
 */
int tpl_lex_raw(tpl_lexer *lx, tpl_tok *t);

/* Whitespace as Python's str.isspace() sees it, within ASCII. */
static inline bool tpl_isspace(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

#endif
