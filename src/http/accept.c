/*
 * http/accept.c - the Accept field (RFC 9110 12.5.1) rated for one media
 * type at a time; contract in accept.h.
 *
 *   Accept      = #( media-range [ weight ] )
 *   media-range = ( "*" "/" "*" / type "/" "*" / type "/" subtype )
 *                 (ANY below is the wildcard '*')
 *                 parameters
 *   parameters  = *( OWS ";" OWS [ parameter ] )
 *   parameter   = token "=" ( token / quoted-string )
 *   weight      = OWS ";" OWS "q=" qvalue
 *
 * One pass over the value, element by element; commas inside a quoted
 * parameter value do not split elements. Names compare case-insensitively.
 */
#include "http/accept.h"

#include <string.h>

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static const char *skip_token(const char *p, const char *end)
{
    while (p < end && is_tchar(*p))
        p++;
    return p;
}

/* The end of a quoted-string starting at p ('"'), or NULL if unclosed. */
static const char *skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p == end)
                return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static bool ieq(kiln_str a, const char *b)
{
    return kiln_str_ieq(a, kiln_str_c(b));
}

int http_qvalue_parse(kiln_str s, int *out)
{
    if (s.n == 0 || (s.p[0] != '0' && s.p[0] != '1'))
        return -1;
    int v = 0;
    size_t i = 1;
    if (s.n > 1) {
        if (s.p[1] != '.' || s.n > 5)
            return -1;
        for (i = 2; i < s.n; i++) {
            if (s.p[i] < '0' || s.p[i] > '9')
                return -1;
            if (s.p[0] == '1' && s.p[i] != '0')
                return -1; /* "1" [ "." 0*3("0") ] */
        }
        int scale = 100;
        for (i = 2; i < s.n; i++, scale /= 10)
            v += (s.p[i] - '0') * scale;
    }
    *out = s.p[0] == '1' ? 1000 : v;
    return 0;
}

/* One media range, parsed. */
typedef struct range {
    kiln_str type, subtype; /* "*" for wildcards */
    int q;                  /* 0..1000 (1000 when no weight) */
    int params;             /* parameters before q, all charset=utf-8 */
    bool other;             /* a parameter other than charset=utf-8 */
} range;

/* A parameter value: a token or a quoted-string ending before end. */
static bool value_is_utf8(const char *p, const char *e)
{
    if (e - p >= 2 && *p == '"') {
        p++;
        e--;
    }
    return ieq((kiln_str){p, (size_t)(e - p)}, "utf-8");
}

/*
 * Parses the element [p, end) (no commas outside quotes) into *r.
 * Returns false for an empty or malformed element.
 */
static bool range_parse(const char *p, const char *end, range *r)
{
    memset(r, 0, sizeof *r);
    r->q = 1000;
    p = skip_ows(p, end);
    const char *t = p;
    p = skip_token(p, end);
    if (p == t || p == end || *p != '/')
        return false;
    r->type = (kiln_str){t, (size_t)(p - t)};
    const char *st = ++p;
    p = skip_token(p, end);
    if (p == st)
        return false;
    r->subtype = (kiln_str){st, (size_t)(p - st)};
    bool type_star = r->type.n == 1 && r->type.p[0] == '*';
    bool sub_star = r->subtype.n == 1 && r->subtype.p[0] == '*';
    if (type_star && !sub_star)
        return false; /* "ANY/html" is no media range */
    bool weighted = false;
    for (;;) {
        p = skip_ows(p, end);
        if (p == end)
            return true;
        if (*p != ';')
            return false;
        p = skip_ows(p + 1, end);
        if (p == end)
            return true;
        if (*p == ';')
            continue; /* an empty parameter */
        const char *n0 = p;
        p = skip_token(p, end);
        kiln_str name = {n0, (size_t)(p - n0)};
        if (!name.n || p == end || *p != '=')
            return false;
        const char *v0 = ++p;
        if (p < end && *p == '"') {
            p = skip_quoted(p, end);
            if (!p)
                return false;
        } else {
            p = skip_token(p, end);
        }
        if (p == v0)
            return false;
        kiln_str value = {v0, (size_t)(p - v0)};
        if (weighted)
            continue; /* after the weight: extensions, ignored */
        if (ieq(name, "q")) {
            if (http_qvalue_parse(value, &r->q) != 0)
                return false;
            weighted = true;
        } else if (ieq(name, "charset") && value_is_utf8(v0, p)) {
            r->params++;
        } else {
            r->other = true;
        }
    }
}

/* The specificity with which r matches type ("a/b"), or 0. */
static int range_match(const range *r, kiln_str type, kiln_str subtype)
{
    if (r->other)
        return 0;
    bool type_star = r->type.n == 1 && r->type.p[0] == '*';
    bool sub_star = r->subtype.n == 1 && r->subtype.p[0] == '*';
    if (type_star)
        return 1 + r->params;
    if (!kiln_str_ieq(r->type, type))
        return 0;
    if (sub_star)
        return 2 + r->params;
    return kiln_str_ieq(r->subtype, subtype) ? 3 + r->params : 0;
}

void http_accept_rate(kiln_str field, const char *type, http_accept_rank *r)
{
    const char *slash = strchr(type, '/');
    if (!slash)
        return;
    kiln_str t = {type, (size_t)(slash - type)};
    kiln_str st = kiln_str_c(slash + 1);
    const char *p = field.p, *end = field.p + field.n;
    while (p && p < end) {
        /* the element runs to the next comma outside a quoted-string */
        const char *e = p;
        bool bad = false;
        while (e < end && *e != ',') {
            if (*e == '"') {
                const char *q = skip_quoted(e, end);
                if (!q) {
                    bad = true; /* unclosed: the rest is one bad element */
                    e = end;
                    break;
                }
                e = q;
            } else {
                e++;
            }
        }
        range rg;
        if (!bad && range_parse(p, e, &rg)) {
            int spec = range_match(&rg, t, st);
            if (spec > r->spec) {
                r->spec = spec;
                r->q = rg.q;
            }
        }
        p = e < end ? e + 1 : end;
    }
}

bool http_accept_prefers_html(const kiln_str *fields, size_t n)
{
    if (n == 0)
        return false;
    http_accept_rank html = {-1, 0}, json = {-1, 0}, problem = {-1, 0};
    for (size_t i = 0; i < n; i++) {
        http_accept_rate(fields[i], "text/html", &html);
        http_accept_rate(fields[i], "application/json", &json);
        http_accept_rate(fields[i], "application/problem+json", &problem);
    }
    int qj = json.q > problem.q ? json.q : problem.q;
    return html.q > 0 && html.q > qj;
}
