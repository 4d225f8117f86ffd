/*
 * http/chunked.c - incremental decoder for the chunked transfer coding
 * (RFC 9112 section 7.1). A byte-at-a-time state machine for the framing,
 * with chunk data copied in runs. Chunk extensions are validated and
 * ignored; trailer field lines are handed back raw for http_parse_fields.
 * Any split of the input gives the same result.
 */
#include "http/parse.h"

#include <string.h>

/* Longest chunk-size line (size + extensions). */
#define CHUNK_LINE_MAX 4096

enum {
    S_SIZE0,     /* first hex digit of a chunk size */
    S_SIZE,      /* more hex digits */
    S_EXT_SEMI,  /* after the size or a value: ';', CR, or BWS */
    S_EXT_WS,    /* BWS: only a ';' may follow */
    S_EXT_NAME0, /* BWS before an extension name */
    S_EXT_NAME,  /* in a name */
    S_EXT_EQ,    /* BWS after a name: '=' ';' or CR */
    S_EXT_VAL0,  /* BWS before a value */
    S_EXT_TOK,   /* in a token value */
    S_EXT_QSTR,  /* in a quoted-string value */
    S_EXT_QESC,  /* after a backslash in a quoted string */
    S_SIZE_LF,   /* CR seen, LF expected */
    S_DATA,      /* chunk data */
    S_DATA_CR,   /* CR after data */
    S_DATA_LF,   /* LF after data */
    S_TR_START,  /* start of a trailer line, or the final CRLF */
    S_TR_LINE,   /* in a trailer line */
    S_TR_LF,     /* CR seen in a trailer line */
    S_FINAL_LF,  /* CR of the final empty line seen */
    S_DONE
};

void http_chunked_init(http_chunked *c)
{
    memset(c, 0, sizeof *c);
    c->state = S_SIZE0;
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_ws(unsigned char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Checks the trailer section collected so far (complete lines). */
static int check_trailers(const kiln_buf *t, const http_limits *lim)
{
    http_header tmp[HTTP_MAX_HEADERS];
    if (t->n == 0)
        return 0;
    unsigned max = lim->max_headers < HTTP_MAX_HEADERS ? lim->max_headers
                                                       : HTTP_MAX_HEADERS;
    return http_parse_fields(t->p, t->n, tmp, max) < 0 ? -400 : 0;
}

int http_chunked_feed(http_chunked *c, const http_limits *lim, const char *in,
                      size_t n, size_t *consumed, kiln_buf *body,
                      kiln_buf *trailers)
{
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)in[i];
        if (c->state == S_DATA) {
            size_t k = n - i;
            if (k > c->remaining)
                k = (size_t)c->remaining;
            if (kiln_buf_append(body, in + i, k) != 0)
                return -500;
            c->remaining -= k;
            i += k;
            if (c->remaining == 0)
                c->state = S_DATA_CR;
            continue;
        }
        if (c->state <= S_SIZE_LF && ++c->line_bytes > CHUNK_LINE_MAX)
            return -400;
        switch (c->state) {
        case S_SIZE0:
        case S_SIZE: {
            int v = hexval(ch);
            if (v >= 0) {
                if (c->remaining >> 60)
                    return -400; /* the size overflows 64 bits */
                c->remaining = c->remaining * 16 + (uint64_t)v;
                c->state = S_SIZE;
                break;
            }
            if (c->state == S_SIZE0)
                return -400;
            if (c->remaining > lim->max_body - c->total)
                return -413;
            c->state = S_EXT_SEMI;
            continue; /* re-read this byte as framing */
        }
        case S_EXT_WS:
            if (is_ws(ch))
                break;
            if (ch != ';')
                return -400; /* BWS precedes only ';' and '=' */
            c->state = S_EXT_NAME0;
            break;
        case S_EXT_SEMI:
            if (is_ws(ch))
                c->state = S_EXT_WS;
            else if (ch == ';')
                c->state = S_EXT_NAME0;
            else if (ch == '\r')
                c->state = S_SIZE_LF;
            else
                return -400;
            break;
        case S_EXT_NAME0:
            if (is_ws(ch))
                break;
            if (!is_tchar(ch))
                return -400;
            c->state = S_EXT_NAME;
            break;
        case S_EXT_NAME:
            if (is_tchar(ch))
                break;
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
            break;
        case S_EXT_EQ:
            if (is_ws(ch))
                break;
            if (ch == '=')
                c->state = S_EXT_VAL0;
            else if (ch == ';')
                c->state = S_EXT_NAME0;
            else
                return -400; /* BWS then CR: not in the grammar */
            break;
        case S_EXT_VAL0:
            if (is_ws(ch))
                break;
            if (ch == '"')
                c->state = S_EXT_QSTR;
            else if (is_tchar(ch))
                c->state = S_EXT_TOK;
            else
                return -400;
            break;
        case S_EXT_TOK:
            if (is_tchar(ch))
                break;
            if (is_ws(ch))
                c->state = S_EXT_WS;
            else if (ch == ';')
                c->state = S_EXT_NAME0;
            else if (ch == '\r')
                c->state = S_SIZE_LF;
            else
                return -400;
            break;
        case S_EXT_QSTR:
            if (ch == '"')
                c->state = S_EXT_SEMI;
            else if (ch == '\\')
                c->state = S_EXT_QESC;
            else if (!(ch == '\t' || (ch >= 0x20 && ch != 0x7f)))
                return -400;
            break;
        case S_EXT_QESC:
            if (!(ch == '\t' || (ch >= 0x20 && ch != 0x7f)))
                return -400;
            c->state = S_EXT_QSTR;
            break;
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
            break;
        case S_DATA_CR:
            if (ch != '\r')
                return -400;
            c->state = S_DATA_LF;
            break;
        case S_DATA_LF:
            if (ch != '\n')
                return -400;
            c->state = S_SIZE0;
            c->remaining = 0;
            c->line_bytes = 0;
            break;
        case S_TR_START:
            if (ch == '\r') {
                c->state = S_FINAL_LF;
                break;
            }
            if (++c->ntrailers > lim->max_headers)
                return -431;
            c->state = S_TR_LINE;
            continue;
        case S_TR_LINE:
        case S_TR_LF:
            if (++c->trailer_bytes > lim->max_header_bytes)
                return -431;
            if (c->state == S_TR_LINE) {
                if (ch == '\n' || ch == 0)
                    return -400;
                if (ch == '\r')
                    c->state = S_TR_LF;
            } else {
                if (ch != '\n')
                    return -400;
                c->state = S_TR_START;
            }
            if (kiln_buf_append(trailers, in + i, 1) != 0)
                return -500;
            break;
        case S_FINAL_LF:
            if (ch != '\n')
                return -400;
            c->state = S_DONE;
            *consumed = i + 1;
            return check_trailers(trailers, lim) ? -400 : 1;
        default:
            return -400;
        }
        i++;
    }
    *consumed = i;
    return 0;
}
