/*
 * router/router.c - the segment tree behind router.h.
 */
#include "router/router.h"

#include <stdlib.h>
#include <string.h>

typedef struct route_method {
    char method[16];
    kiln_handler h;
    void *data;
} route_method;

typedef struct rnode rnode;
struct rnode {
    kiln_str seg;  /* literal segment, or the parameter name */
    char *seg_mem; /* owns seg */
    rnode **lits;  /* literal children sorted by seg */
    size_t nlits;
    rnode *param; /* {name} child */
    rnode *rest;  /* {...name} child (a leaf) */
    route_method *methods;
    size_t nmethods;
    char *pattern; /* the pattern that created the resource */
};

struct router {
    rnode root;
};

router *router_new(void)
{
    return calloc(1, sizeof(router));
}

static void node_free(rnode *n)
{
    for (size_t i = 0; i < n->nlits; i++) {
        node_free(n->lits[i]);
        free(n->lits[i]);
    }
    free(n->lits);
    if (n->param) {
        node_free(n->param);
        free(n->param);
    }
    if (n->rest) {
        node_free(n->rest);
        free(n->rest);
    }
    free(n->methods);
    free(n->seg_mem);
    free(n->pattern);
}

void router_free(router *r)
{
    if (!r)
        return;
    node_free(&r->root);
    free(r);
}

static int seg_cmp(kiln_str a, kiln_str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.n < b.n ? -1 : a.n > b.n;
}

/* Finds the literal child seg; *pos receives the insertion point. */
static rnode *find_lit(const rnode *n, kiln_str seg, size_t *pos)
{
    size_t lo = 0, hi = n->nlits;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = seg_cmp(n->lits[mid]->seg, seg);
        if (c == 0) {
            if (pos)
                *pos = mid;
            return n->lits[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

static rnode *node_new(kiln_str seg)
{
    rnode *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->seg_mem = malloc(seg.n + 1);
    if (!c->seg_mem) {
        free(c);
        return NULL;
    }
    memcpy(c->seg_mem, seg.p, seg.n);
    c->seg_mem[seg.n] = '\0';
    c->seg.p = c->seg_mem;
    c->seg.n = seg.n;
    return c;
}

static bool valid_name(kiln_str s)
{
    if (s.n == 0)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static bool valid_method(const char *m)
{
    size_t n = strlen(m);
    if (n == 0 || n >= sizeof(((route_method *)0)->method))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(m[i] >= 'A' && m[i] <= 'Z'))
            return false;
    return true;
}

int router_add(router *r, const char *method, const char *pattern,
               kiln_handler h, void *data)
{
    if (!r || !method || !pattern || !h || pattern[0] != '/' ||
        !valid_method(method))
        return KILN_EINVAL;
    rnode *n = &r->root;
    unsigned nparams = 0;
    const char *p = pattern + 1;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        kiln_str seg = {p, len};
        if (len == 0) {
            if (!e)
                break; /* trailing slash: same resource */
            return KILN_EINVAL;
        }
        if (seg.p[0] == '{') {
            if (seg.p[len - 1] != '}' || ++nparams > ROUTER_MAX_PARAMS)
                return KILN_EINVAL;
            bool rest = len > 5 && memcmp(seg.p, "{...", 4) == 0;
            kiln_str name = {seg.p + (rest ? 4 : 1), len - (rest ? 5 : 2)};
            if (!valid_name(name))
                return KILN_EINVAL;
            rnode **slot = rest ? &n->rest : &n->param;
            if (rest && e && e[1])
                return KILN_EINVAL; /* {...rest} must be last */
            if (*slot && !kiln_str_eq((*slot)->seg, name))
                return KILN_ESTATE; /* same place, other name: a conflict */
            if (!*slot && !(*slot = node_new(name)))
                return KILN_ENOMEM;
            n = *slot;
        } else {
            if (memchr(seg.p, '{', len) || memchr(seg.p, '}', len))
                return KILN_EINVAL;
            size_t pos;
            rnode *c = find_lit(n, seg, &pos);
            if (!c) {
                rnode **lits = realloc(n->lits, (n->nlits + 1) * sizeof(*lits));
                if (!lits)
                    return KILN_ENOMEM;
                n->lits = lits;
                if (!(c = node_new(seg)))
                    return KILN_ENOMEM;
                memmove(lits + pos + 1, lits + pos,
                        (n->nlits - pos) * sizeof(*lits));
                lits[pos] = c;
                n->nlits++;
            }
            n = c;
        }
        p = e ? e + 1 : p + len;
    }
    for (size_t i = 0; i < n->nmethods; i++)
        if (strcmp(n->methods[i].method, method) == 0)
            return KILN_ESTATE;
    route_method *ms = realloc(n->methods, (n->nmethods + 1) * sizeof(*ms));
    if (!ms)
        return KILN_ENOMEM;
    n->methods = ms;
    memset(&ms[n->nmethods], 0, sizeof(ms[0]));
    strcpy(ms[n->nmethods].method, method);
    ms[n->nmethods].h = h;
    ms[n->nmethods].data = data;
    n->nmethods++;
    if (!n->pattern && !(n->pattern = strdup(pattern)))
        return KILN_ENOMEM;
    return 0;
}

/* ---- matching ---------------------------------------------------------- */

typedef struct match_state {
    kiln_str method;
    bool is_head, is_options;
    route_match *m;
    unsigned allow_bits; /* methods seen on path-matching resources */
    const rnode *first;  /* first path-matching resource (for OPTIONS) */
} match_state;

static const char *const known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                    "PATCH", "DELETE", "OPTIONS"};

static void note_allow(match_state *st, const rnode *n)
{
    for (size_t i = 0; i < n->nmethods; i++)
        for (unsigned k = 0; k < 7; k++)
            if (strcmp(n->methods[i].method, known[k]) == 0)
                st->allow_bits |= 1u << k;
}

static const route_method *find_method(const rnode *n, kiln_str m)
{
    for (size_t i = 0; i < n->nmethods; i++)
        if (strlen(n->methods[i].method) == m.n &&
            memcmp(n->methods[i].method, m.p, m.n) == 0)
            return &n->methods[i];
    return NULL;
}

/* Tries the resource n for the request; true when it answers it. */
static bool try_resource(match_state *st, const rnode *n)
{
    if (!n->nmethods)
        return false;
    if (!st->first)
        st->first = n;
    const route_method *h = find_method(n, st->method);
    if (!h && st->is_head) {
        h = find_method(n, KILN_STR("GET"));
        st->m->head_from_get = h != NULL;
    }
    if (h) {
        st->m->handler = h->h;
        st->m->data = h->data;
        st->m->status = 200;
        st->m->pattern = n->pattern;
        return true;
    }
    note_allow(st, n);
    return false;
}

static bool match_from(match_state *st, const rnode *n, const char *p,
                       const char *end)
{
    route_match *m = st->m;
    while (p < end && *p == '/')
        p++;
    if (p >= end)
        return try_resource(st, n);
    const char *e = memchr(p, '/', (size_t)(end - p));
    if (!e)
        e = end;
    kiln_str seg = {p, (size_t)(e - p)};
    const rnode *c = find_lit(n, seg, NULL);
    if (c && match_from(st, c, e, end))
        return true;
    if (n->param && m->nparams < ROUTER_MAX_PARAMS) {
        unsigned k = m->nparams++;
        m->names[k] = n->param->seg;
        m->values[k] = seg;
        if (match_from(st, n->param, e, end))
            return true;
        m->nparams--;
    }
    if (n->rest && m->nparams < ROUTER_MAX_PARAMS) {
        unsigned k = m->nparams++;
        m->names[k] = n->rest->seg;
        const char *re = end;
        if (re > p && re[-1] == '/')
            re--;
        m->values[k] = (kiln_str){p, (size_t)(re - p)};
        if (try_resource(st, n->rest))
            return true;
        m->nparams--;
    }
    return false;
}

static void build_allow(route_match *m, unsigned bits)
{
    if (bits & 1u)
        bits |= 2u;  /* HEAD comes with GET */
    bits |= 1u << 6; /* OPTIONS is always answered */
    size_t off = 0;
    m->allow[0] = '\0';
    for (unsigned k = 0; k < 7; k++) {
        if (!(bits & (1u << k)))
            continue;
        size_t len = strlen(known[k]);
        if (off + len + 3 > sizeof m->allow)
            break;
        if (off) {
            memcpy(m->allow + off, ", ", 2);
            off += 2;
        }
        memcpy(m->allow + off, known[k], len);
        off += len;
        m->allow[off] = '\0';
    }
}

void router_match(const router *r, kiln_str method, kiln_str path,
                  route_match *m)
{
    m->handler = NULL;
    m->data = NULL;
    m->status = 404;
    m->head_from_get = false;
    m->allow[0] = '\0';
    m->pattern = NULL;
    m->nparams = 0;
    match_state st = {.method = method, .m = m};
    st.is_head = kiln_str_eq(method, KILN_STR("HEAD"));
    st.is_options = kiln_str_eq(method, KILN_STR("OPTIONS"));
    if (match_from(&st, &r->root, path.p, path.p + path.n))
        return;
    if (!st.first)
        return; /* 404 */
    m->nparams = 0;
    if (st.is_options) {
        /* automatic OPTIONS: Allow of the first matching resource */
        st.allow_bits = 0;
        note_allow(&st, st.first);
        build_allow(m, st.allow_bits);
        m->status = 200;
        m->pattern = st.first->pattern;
        return;
    }
    build_allow(m, st.allow_bits);
    m->status = 405;
}
