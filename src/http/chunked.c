/*
 * http/chunked.c - incremental decoder for the chunked transfer coding
 * (RFC 9112 section 7.1):
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext    = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string )
 * ] )
 *
 * A byte-at-a-time state machine for the framing, chunk data copied in runs.
 * Its whole state lives in http_chunked, so any split of the input gives the
 * same result, body and trailers.
 *
 * Strictness (as in parse.c, so that no two parties frame a body differently):
 * - Lines end in CRLF; a bare LF or CR, NUL and other CTLs are 400.
 * - chunk-size is 1 to 16 hex digits (more, even leading zeros, is 400: no
 *   sane sender needs them); a size that would take the body past max_body
 *   is 413, as soon as the size is known.
 * - Extensions follow the grammar exactly (whitespace only where BWS is, so
 *   not before the CRLF) and are ignored; a size line longer than
 *   CHUNK_LINE_MAX is 400.
 * - Trailer field lines are checked like header fields (token name, ':'
 *   right after it, value bytes, no obs-fold) and handed back raw; more than
 *   max_headers of them or more than max_header_bytes in all is 431.
 */
#include "http/parse.h"

#include <assert.h>
#include <string.h>

/* Longest chunk-size line (size + extensions + CRLF). */
#define CHUNK_LINE_MAX 4096
/* Most hex digits in a chunk size (64 bits). */
#define CHUNK_SIZE_DIGITS 16

enum {
    S_SIZE0,     /* first hex digit of a chunk size (the zero state) */
    S_SIZE,      /* more hex digits */
    S_EXT_SEMI,  /* after the size or a value: ';', CR, or BWS */
    S_EXT_WS,    /* in BWS: only a ';' may follow */
    S_EXT_NAME0, /* BWS before an extension name */
    S_EXT_NAME,  /* in a name */
    S_EXT_EQ,    /* BWS after a name: '=' or ';' */
    S_EXT_VAL0,  /* BWS before a value */
    S_EXT_TOK,   /* in a token value */
    S_EXT_QSTR,  /* in a quoted-string value */
    S_EXT_QESC,  /* after a backslash in a quoted string */
    S_SIZE_LF,   /* CR of the size line seen, LF expected */
    S_DATA,      /* chunk data */
    S_DATA_CR,   /* CR after data */
    S_DATA_LF,   /* LF after data */
    S_TR_START,  /* start of a trailer line, or of the final CRLF */
    S_TR_NAME0,  /* first byte of a trailer field name */
    S_TR_NAME,   /* in a trailer field name */
    S_TR_VALUE,  /* after the ':' of a trailer line */
    S_TR_LF,     /* CR of a trailer line seen */
    S_FINAL_LF,  /* CR of the final empty line seen */
    S_DONE       /* complete */
};

/* Contract in parse.h. */
void http_chunked_init(http_chunked *c)
{
    assert(c);
    memset(c, 0, sizeof *c);
    c->state = S_SIZE0;
}

/* The value of hex digit ch, or -1. */
static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* True for a tchar (RFC 9110 5.6.2). */
static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* True for SP or HTAB (the bytes of OWS and BWS). */
static bool is_ws(unsigned char ch)
{
    return ch == ' ' || ch == '\t';
}

/* True for a byte of a quoted-string or a quoted-pair's second byte: HTAB,
 * SP, VCHAR, obs-text (qdtext minus '"' and '\\' is checked by the caller). */
static bool is_qtext(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

/* True for a field-value byte: HTAB, SP, VCHAR, obs-text. */
static bool is_value(unsigned char ch)
{
    return is_qtext(ch);
}

/*
 * One byte of the size line (size, extensions, CR LF) or of the CRLF after
 * data. Returns 0, or a negated status. At the LF that ends a size line, it
 * moves to S_DATA or, for the last chunk, S_TR_START.
 */
static int size_line_byte(http_chunked *c, const http_limits *lim,
                          unsigned char ch)
{
    switch (c->state) {
    case S_SIZE0:
    case S_SIZE: {
        int v = hexval(ch);
        if (v >= 0) {
            if (c->line_bytes > CHUNK_SIZE_DIGITS)
                return -400; /* absurd: more than 64 bits of digits */
            c->remaining = c->remaining << 4 | (uint64_t)v;
            c->state = S_SIZE;
            return 0;
        }
        if (c->state == S_SIZE0)
            return -400; /* no digit at all (or "-5", "0x5") */
        if (c->remaining > lim->max_body - c->total)
            return -413;
        c->state = S_EXT_SEMI;
        return size_line_byte(c, lim, ch); /* this byte is framing */
    }
    case S_EXT_SEMI:
        if (is_ws(ch))
            c->state = S_EXT_WS;
        else if (ch == ';')
            c->state = S_EXT_NAME0;
        else if (ch == '\r')
            c->state = S_SIZE_LF;
        else
            return -400;
        return 0;
    case S_EXT_WS:
        if (is_ws(ch))
            return 0;
        if (ch != ';')
            return -400; /* BWS only comes before ';' (and '=') */
        c->state = S_EXT_NAME0;
        return 0;
    case S_EXT_NAME0:
        if (is_ws(ch))
            return 0;
        if (!is_tchar(ch))
            return -400; /* ";" with no name */
        c->state = S_EXT_NAME;
        return 0;
    case S_EXT_NAME:
        if (is_tchar(ch))
            return 0;
        if (is_ws(ch))
            c->state = S_EXT_EQ;
        else if (ch == '=')
            c->state = S_EXT_VAL0;
        else if (ch == ';')
            c->state = S_EXT_NAME0;
        else if (ch == '\r')
            c->state = S_SIZE_LF;
        else
            return -400;
        return 0;
    case S_EXT_EQ:
        if (is_ws(ch))
            return 0;
        if (ch == '=')
            c->state = S_EXT_VAL0;
        else if (ch == ';')
            c->state = S_EXT_NAME0;
        else
            return -400; /* BWS then CR is not in the grammar */
        return 0;
    case S_EXT_VAL0:
        if (is_ws(ch))
            return 0;
        if (ch == '"')
            c->state = S_EXT_QSTR;
        else if (is_tchar(ch))
            c->state = S_EXT_TOK;
        else
            return -400;
        return 0;
    case S_EXT_TOK:
        if (is_tchar(ch))
            return 0;
        if (is_ws(ch))
            c->state = S_EXT_WS;
        else if (ch == ';')
            c->state = S_EXT_NAME0;
        else if (ch == '\r')
            c->state = S_SIZE_LF;
        else
            return -400;
        return 0;
    case S_EXT_QSTR:
        if (ch == '"')
            c->state = S_EXT_SEMI;
        else if (ch == '\\')
            c->state = S_EXT_QESC;
        else if (!is_qtext(ch))
            return -400;
        return 0;
    case S_EXT_QESC:
        if (!is_qtext(ch))
            return -400;
        c->state = S_EXT_QSTR;
        return 0;
    case S_SIZE_LF:
        if (ch != '\n')
            return -400;
        c->line_bytes = 0;
        if (c->remaining == 0) {
            c->state = S_TR_START;
        } else {
            c->total += c->remaining;
            c->state = S_DATA;
        }
        return 0;
    case S_DATA_CR:
        if (ch != '\r')
            return -400; /* the chunk is longer than its size */
        c->state = S_DATA_LF;
        return 0;
    case S_DATA_LF:
        if (ch != '\n')
            return -400;
        c->state = S_SIZE0;
        c->remaining = 0;
        c->line_bytes = 0;
        return 0;
    default:
        assert(0 && "not a size-line state");
        return -400;
    }
}

/*
 * One byte of the trailer section (after the last chunk's CRLF). Returns 0,
 * 1 when the final CRLF is complete, or a negated status.
 */
static int trailer_byte(http_chunked *c, const http_limits *lim,
                        unsigned char ch)
{
    if (c->state == S_TR_START) {
        if (ch == '\r') {
            c->state = S_FINAL_LF;
            return 0;
        }
        if (c->ntrailers >= lim->max_headers ||
            c->ntrailers >= HTTP_MAX_HEADERS)
            return -431;
        c->ntrailers++;
        c->state = S_TR_NAME0;
    }
    if (c->state == S_FINAL_LF) {
        if (ch != '\n')
            return -400;
        c->state = S_DONE;
        return 1;
    }
    if (++c->trailer_bytes > lim->max_header_bytes)
        return -431;
    switch (c->state) {
    case S_TR_NAME0:
    case S_TR_NAME:
        if (is_tchar(ch)) {
            c->state = S_TR_NAME;
            return 0;
        }
        /* obs-fold, whitespace before ':', an empty name, a bare LF */
        if (ch != ':' || c->state == S_TR_NAME0)
            return -400;
        c->state = S_TR_VALUE;
        return 0;
    case S_TR_VALUE:
        if (ch == '\r')
            c->state = S_TR_LF;
        else if (!is_value(ch))
            return -400;
        return 0;
    case S_TR_LF:
        if (ch != '\n')
            return -400;
        c->state = S_TR_START;
        return 0;
    default:
        assert(0 && "not a trailer state");
        return -400;
    }
}

/* Sets *consumed to i and returns rc: the exits of http_chunked_feed. */
static int stop(size_t *consumed, size_t i, int rc)
{
    *consumed = i;
    return rc;
}

/* True in the states whose bytes are copied to the trailers buffer. */
static bool in_trailer_line(int state)
{
    return state >= S_TR_NAME0 && state <= S_TR_LF;
}

/* Contract in parse.h. On an error, *consumed is the offset of the byte that
 * was rejected. After completion, further calls return 1 and use nothing. */
int http_chunked_feed(http_chunked *c, const http_limits *lim, const char *in,
                      size_t n, size_t *consumed, kiln_buf *body,
                      kiln_buf *trailers)
{
    assert(c && lim && consumed && body && trailers);
    assert(in || n == 0);
    size_t i = 0;
    size_t tr0 = 0; /* trailer-line bytes of this input from here on are not
                       yet appended (meaningful inside a trailer line) */
    int rc = 0;
    if (c->state == S_DONE) {
        *consumed = 0;
        return 1;
    }
    while (i < n && rc == 0) {
        unsigned char ch = (unsigned char)in[i];
        if (c->state == S_DATA) {
            size_t k = n - i;
            if (k > c->remaining)
                k = (size_t)c->remaining;
            if (kiln_buf_append(body, in + i, k) != 0)
                return stop(consumed, i, -500);
            c->remaining -= k;
            i += k;
            if (c->remaining == 0)
                c->state = S_DATA_CR;
        } else if (c->state < S_TR_START) {
            if (c->state < S_DATA && ++c->line_bytes > CHUNK_LINE_MAX)
                return stop(consumed, i, -400);
            rc = size_line_byte(c, lim, ch);
            if (rc < 0)
                return stop(consumed, i, rc);
            i++;
        } else {
            int prev = c->state;
            rc = trailer_byte(c, lim, ch);
            if (rc < 0)
                return stop(consumed, i, rc);
            if (prev == S_TR_START && in_trailer_line(c->state))
                tr0 = i; /* a trailer line starts here */
            i++;
            if (prev == S_TR_LF &&
                kiln_buf_append(trailers, in + tr0, i - tr0) != 0)
                return stop(consumed, i, -500);
        }
    }
    /* the input ended inside a trailer line: keep what came of it */
    if (in_trailer_line(c->state) && i > tr0 &&
        kiln_buf_append(trailers, in + tr0, i - tr0) != 0)
        return stop(consumed, i, -500);
    *consumed = i;
    return rc;
}
