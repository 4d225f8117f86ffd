/*
 * http/multipart.c - the incremental multipart/form-data parser (see
 * multipart.h for the contract and the rules).
 *
 * The body is a preamble, then parts, each introduced by a delimiter
 * (CRLF "--" boundary; the first one may lack the CRLF), then headers, a
 * blank line and data, and finally a close delimiter ("--" after the
 * boundary) and an epilogue:
 *
 *   PREAMBLE --delim--> AFTER --CRLF--> HEAD --blank line--> DATA
 *                         |  \                                 |
 *                         |   `-- "--" --> EPILOGUE   <--delim-'
 *                         `-- padding, CRLF ...        (back to AFTER)
 *
 * Finding the delimiter: a boundary has no CR (bchars exclude it), so a
 * delimiter can only start at a CR, and a failed match never hides the
 * start of another. Data is scanned with memchr for CR; each CR is
 * compared with the delimiter on the bytes at hand. A partial match at the
 * end of a slice is held back (it is a prefix of delim, so delim itself
 * holds the bytes) and given out as data if the next slice breaks it. So
 * one slice gives one data event in the common case, whatever the data.
 */
#include "http/multipart.h"

#include "http/media.h"
#include "http/parse.h"

#include <assert.h>
#include <string.h>

enum {
    S_PREAMBLE, /* before the first delimiter */
    S_AFTER,    /* after a delimiter: padding, CR, or '-' */
    S_DASH,     /* after "-": the second '-' of a close delimiter */
    S_AFTER_LF, /* after padding and CR: LF */
    S_HEAD,     /* in the part's header section */
    S_DATA,     /* in the part's data */
    S_EPILOGUE, /* after the close delimiter: ignored */
    S_ERROR
};

/* True for a bchar of RFC 2046 (space included). */
static bool is_bchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || (ch && strchr("'()+_,-./:=? ", ch));
}

/* Contract in multipart.h. */
int http_multipart_init(http_multipart *m, kiln_str content_type,
                        unsigned max_parts)
{
    assert(m);
    memset(&m->part, 0, sizeof m->part);
    m->nparts = 0;
    m->max_parts = max_parts;
    m->state = S_ERROR;
    m->err = HTTP_MP_ENOTFORM;
    m->match = m->pad = m->hlen = m->line = 0;
    kiln_str type, params;
    if (http_media_split(content_type, true, &type, &params) != 0 ||
        !kiln_str_ieq_c(type, "multipart/form-data"))
        return HTTP_MP_ENOTFORM;
    m->err = HTTP_MP_EBOUNDARY;
    http_param_iter it = {params.p, params.p + params.n};
    kiln_str name, raw;
    char b[2 * HTTP_MP_BOUNDARY_MAX + 4];
    size_t bn = 0;
    bool seen = false;
    int rc;
    while ((rc = http_param_next(&it, &name, &raw)) == 1) {
        if (!kiln_str_ieq_c(name, "boundary"))
            continue;
        if (seen || raw.n >= sizeof b)
            return HTTP_MP_EBOUNDARY; /* twice, or far too long */
        seen = true;
        bn = http_param_unquote(raw, b);
    }
    if (rc < 0 || !seen || bn == 0 || bn > HTTP_MP_BOUNDARY_MAX ||
        b[bn - 1] == ' ')
        return HTTP_MP_EBOUNDARY;
    for (size_t i = 0; i < bn; i++)
        if (!is_bchar((unsigned char)b[i]))
            return HTTP_MP_EBOUNDARY;
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, b, bn);
    m->dlen = 4 + bn;
    m->state = S_PREAMBLE;
    m->err = 0;
    m->match = 2; /* the first delimiter may start the body, without CRLF */
    return 0;
}

static int fail(http_multipart *m, int err)
{
    m->state = S_ERROR;
    m->err = err;
    return err;
}

/* Removes any folder part of a filename in place: what follows the last
 * '/' or '\'; "." and ".." become "". */
static kiln_str base_name(char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\\')
            start = i + 1;
    n -= start;
    memmove(s, s + start, n + 1); /* with the NUL */
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
        n = 0;
        s[0] = '\0';
    }
    return (kiln_str){s, n};
}

/* Reads the Content-Disposition value v into m->part (strings decoded into
 * m->dec from *k on). Returns 0 or an HTTP_MP_E* error. */
static int read_disposition(http_multipart *m, kiln_str v, size_t *k)
{
    kiln_str type, params;
    if (http_media_split(v, false, &type, &params) != 0 ||
        !kiln_str_ieq_c(type, "form-data"))
        return HTTP_MP_EDISPOSITION;
    http_param_iter it = {params.p, params.p + params.n};
    kiln_str name, raw, nm = KILN_STR_NULL, fn = KILN_STR_NULL,
                        fx = KILN_STR_NULL;
    int rc;
    while ((rc = http_param_next(&it, &name, &raw)) == 1) {
        kiln_str *slot = kiln_str_ieq_c(name, "name")        ? &nm
                         : kiln_str_ieq_c(name, "filename")  ? &fn
                         : kiln_str_ieq_c(name, "filename*") ? &fx
                                                             : NULL;
        if (!slot)
            continue; /* other parameters are not ours */
        if (slot->p)
            return HTTP_MP_EDISPOSITION; /* given twice */
        *slot = raw;
    }
    if (rc < 0 || !nm.p)
        return HTTP_MP_EDISPOSITION;
    char *d = m->dec + *k;
    size_t n = http_param_unquote(nm, d);
    m->part.name = (kiln_str){d, n};
    *k += n + 1;
    if (fx.p || fn.p) {
        d = m->dec + *k;
        if (fx.p) {
            if (http_param_ext_decode(fx, d, &n) != 0)
                return HTTP_MP_EDISPOSITION;
        } else {
            n = http_param_unquote(fn, d);
        }
        *k += n + 1;
        m->part.filename = base_name(d, n);
    }
    return 0;
}

/* Parses the complete header section in m->head (ending in the blank
 * line) into m->part. Returns 0 or an HTTP_MP_E* error. */
static int read_headers(http_multipart *m)
{
    http_header f[HTTP_MP_FIELDS_MAX];
    assert(m->hlen >= 2);
    int nf = http_parse_fields(m->head, m->hlen - 2, f, HTTP_MP_FIELDS_MAX);
    if (nf < 0)
        return HTTP_MP_EHEADER;
    memset(&m->part, 0, sizeof m->part);
    size_t k = 0;
    bool disposition = false, type = false;
    for (int i = 0; i < nf; i++) {
        if (kiln_str_ieq_c(f[i].name, "Content-Disposition")) {
            if (disposition)
                return HTTP_MP_EHEADER;
            disposition = true;
            int rc = read_disposition(m, f[i].value, &k);
            if (rc)
                return rc;
        } else if (kiln_str_ieq_c(f[i].name, "Content-Type")) {
            kiln_str t, p;
            if (type || http_media_split(f[i].value, true, &t, &p) != 0)
                return HTTP_MP_EHEADER;
            type = true;
            char *d = m->dec + k;
            memcpy(d, f[i].value.p, f[i].value.n);
            d[f[i].value.n] = '\0';
            m->part.content_type = (kiln_str){d, f[i].value.n};
            k += f[i].value.n + 1;
        } else if (kiln_str_ieq_c(f[i].name, "Content-Transfer-Encoding")) {
            kiln_str v = f[i].value;
            if (!kiln_str_ieq_c(v, "binary") && !kiln_str_ieq_c(v, "8bit") &&
                !kiln_str_ieq_c(v, "7bit"))
                return HTTP_MP_EENCODING;
        }
    }
    assert(k <= sizeof m->dec);
    return disposition ? 0 : HTTP_MP_EDISPOSITION;
}

/*
 * Scans in[0..n) for the delimiter (state S_DATA or S_PREAMBLE, nothing
 * held back). Returns the offset of a complete delimiter, or n when there
 * is none; in the latter case *hold is the length of a delimiter prefix
 * that ends the input (0 if none), which starts at n - *hold.
 */
static size_t find_delim(const http_multipart *m, const char *in, size_t n,
                         size_t *hold)
{
    const char *p = in, *end = in + n;
    *hold = 0;
    while (p < end) {
        const char *r = memchr(p, '\r', (size_t)(end - p));
        if (!r)
            break;
        size_t avail = (size_t)(end - r);
        size_t k = avail < m->dlen ? avail : m->dlen;
        if (memcmp(r, m->delim, k) == 0) {
            if (k == m->dlen)
                return (size_t)(r - in);
            *hold = k; /* a prefix up to the end of the input */
            return n;
        }
        p = r + 1;
    }
    return n;
}

/* Contract in multipart.h. */
int http_multipart_feed(http_multipart *m, const char *in, size_t n,
                        size_t *used, kiln_str *data)
{
    assert(m && used && data && (in || n == 0));
    const char *p = in, *end = in + n;
    *data = KILN_STR_NULL;
    for (;;) {
        *used = (size_t)(p - in);
        switch (m->state) {
        case S_ERROR:
            return m->err;
        case S_EPILOGUE:
            *used = n;
            return HTTP_MP_MORE;
        case S_PREAMBLE:
        case S_DATA: {
            bool keep = m->state == S_DATA;
            if (m->match > 0) {
                /* continue a match held back from the last slice */
                while (p < end && m->match < m->dlen &&
                       *p == m->delim[m->match]) {
                    p++;
                    m->match++;
                }
                if (m->match == m->dlen) {
                    bool first = m->state == S_PREAMBLE;
                    m->match = 0;
                    m->pad = 0;
                    m->state = S_AFTER;
                    if (!first) {
                        *used = (size_t)(p - in);
                        return HTTP_MP_PART_END;
                    }
                    continue;
                }
                if (p == end) {
                    *used = n;
                    return HTTP_MP_MORE;
                }
                /* broken: the held bytes were data after all */
                size_t held = m->match;
                m->match = 0;
                if (keep) {
                    *data = (kiln_str){m->delim, held};
                    *used = (size_t)(p - in);
                    return HTTP_MP_DATA;
                }
                continue;
            }
            if (p == end) {
                *used = n;
                return HTTP_MP_MORE;
            }
            size_t hold;
            size_t at = find_delim(m, p, (size_t)(end - p), &hold);
            size_t len = at < (size_t)(end - p) ? at : at - hold;
            if (at < (size_t)(end - p)) {
                if (len > 0 && keep) {
                    /* the data before it; the delimiter comes next call */
                    *data = (kiln_str){p, len};
                    *used = (size_t)(p + len - in);
                    return HTTP_MP_DATA;
                }
                bool first = m->state == S_PREAMBLE;
                p += len + m->dlen;
                m->pad = 0;
                m->state = S_AFTER;
                if (!first) {
                    *used = (size_t)(p - in);
                    return HTTP_MP_PART_END;
                }
                continue;
            }
            m->match = hold;
            *used = n;
            if (len > 0 && keep) {
                *data = (kiln_str){p, len};
                return HTTP_MP_DATA;
            }
            return HTTP_MP_MORE;
        }
        case S_AFTER:
            if (p == end)
                return HTTP_MP_MORE;
            if (*p == '-' && m->pad == 0) {
                m->state = S_DASH;
            } else if (*p == ' ' || *p == '\t') {
                if (++m->pad > HTTP_MP_PAD_MAX)
                    return fail(m, HTTP_MP_EDELIMITER);
            } else if (*p == '\r') {
                m->state = S_AFTER_LF;
            } else {
                return fail(m, HTTP_MP_EDELIMITER);
            }
            p++;
            continue;
        case S_DASH:
            if (p == end)
                return HTTP_MP_MORE;
            if (*p != '-')
                return fail(m, HTTP_MP_EDELIMITER);
            m->state = S_EPILOGUE;
            *used = (size_t)(p + 1 - in);
            return HTTP_MP_DONE;
        case S_AFTER_LF:
            if (p == end)
                return HTTP_MP_MORE;
            if (*p != '\n')
                return fail(m, HTTP_MP_EDELIMITER);
            p++;
            if (m->max_parts && m->nparts >= m->max_parts)
                return fail(m, HTTP_MP_EPARTS);
            m->nparts++;
            m->hlen = m->line = 0;
            m->state = S_HEAD;
            continue;
        case S_HEAD: {
            if (p == end)
                return HTTP_MP_MORE;
            const char *lf = memchr(p, '\n', (size_t)(end - p));
            size_t take = lf ? (size_t)(lf + 1 - p) : (size_t)(end - p);
            if (take > HTTP_MP_HEAD_MAX - m->hlen)
                return fail(m, HTTP_MP_EHEADER_SIZE);
            memcpy(m->head + m->hlen, p, take);
            m->hlen += take;
            p += take;
            if (!lf)
                continue;
            /* a whole line: head[line..hlen) ends in LF */
            size_t ll = m->hlen - m->line;
            if (ll < 2 || m->head[m->hlen - 2] != '\r')
                return fail(m, HTTP_MP_EHEADER); /* a bare LF */
            if (ll > 2) {
                m->line = m->hlen;
                continue;
            }
            /* the blank line */
            if (m->line == 0)
                return fail(m, HTTP_MP_EDISPOSITION); /* no headers */
            int rc = read_headers(m);
            if (rc)
                return fail(m, rc);
            m->state = S_DATA;
            m->match = 0;
            *used = (size_t)(p - in);
            return HTTP_MP_PART;
        }
        default:
            assert(0);
            return fail(m, HTTP_MP_EHEADER);
        }
    }
}

/* Contract in multipart.h. */
int http_multipart_finish(const http_multipart *m)
{
    if (m->state == S_EPILOGUE)
        return 0;
    if (m->state == S_ERROR)
        return m->err;
    return HTTP_MP_ETRUNCATED;
}

/* Contract in multipart.h. */
const char *http_multipart_strerror(int err)
{
    switch (err) {
    case HTTP_MP_ENOTFORM:
        return "the Content-Type is not multipart/form-data";
    case HTTP_MP_EBOUNDARY:
        return "the Content-Type has no valid boundary parameter (1 to 70 "
               "characters)";
    case HTTP_MP_EDELIMITER:
        return "a boundary is followed by something other than CRLF or --";
    case HTTP_MP_EHEADER:
        return "a part has a malformed header";
    case HTTP_MP_EHEADER_SIZE:
        return "a part's headers are larger than 8 KiB";
    case HTTP_MP_EDISPOSITION:
        return "a part has no valid Content-Disposition (form-data with a "
               "name)";
    case HTTP_MP_EENCODING:
        return "a part has a Content-Transfer-Encoding other than 7bit, 8bit "
               "or binary";
    case HTTP_MP_EPARTS:
        return "the body has too many parts";
    case HTTP_MP_ETRUNCATED:
        return "the body ends before the final boundary";
    default:
        return "malformed multipart body";
    }
}
