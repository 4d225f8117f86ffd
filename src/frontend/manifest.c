/*
 * frontend/manifest.c - Vite's build manifest: the parser (a pure decoder
 * of the file Vite writes) and the tags that load an entry.
 */
#include "frontend/manifest.h"

#include "kiln/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How deep the manifest's JSON may nest (it is two levels). */
#define MANIFEST_MAX_DEPTH 8

static int parse_fail(char *err, size_t errlen, const char *fmt, ...)
    KILN_PRINTF(3, 4);

static int parse_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return KILN_EPARSE;
}

/* A built file's name as Vite writes it: relative, no "..", no scheme, no
   backslash or control character (it becomes part of a URL). */
static bool good_file(kiln_str f)
{
    if (f.n == 0 || f.p[0] == '/')
        return false;
    for (size_t i = 0; i < f.n; i++) {
        unsigned char ch = (unsigned char)f.p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == ':' || ch == '?' ||
            ch == '#')
            return false;
    }
    /* no ".." segment */
    size_t s = 0;
    for (size_t i = 0; i <= f.n; i++)
        if (i == f.n || f.p[i] == '/') {
            if (i - s == 2 && f.p[s] == '.' && f.p[s + 1] == '.')
                return false;
            if (i - s == 0)
                return false; /* "a//b" or a trailing '/' */
            s = i + 1;
        }
    return true;
}

/* An array of strings (member name of key) into *out, *n. */
static int string_list(kiln_arena *a, const kiln_json *v, kiln_str key,
                       const char *name, bool files, kiln_str **out, size_t *n,
                       char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (v->type != KILN_JSON_ARRAY)
        return parse_fail(err, errlen, "'%.*s': \"%s\" is not an array",
                          (int)key.n, key.p, name);
    if (v->u.array.n == 0)
        return 0;
    *out = kiln_arena_alloc(a, v->u.array.n * sizeof **out);
    if (!*out)
        return KILN_ENOMEM;
    for (size_t i = 0; i < v->u.array.n; i++) {
        const kiln_json *it = &v->u.array.items[i];
        if (it->type != KILN_JSON_STRING)
            return parse_fail(err, errlen,
                              "'%.*s': \"%s\" holds something other than "
                              "strings",
                              (int)key.n, key.p, name);
        if (files && !good_file(it->u.string))
            return parse_fail(err, errlen,
                              "'%.*s': \"%s\" names a file that is not a "
                              "plain relative path",
                              (int)key.n, key.p, name);
        (*out)[i] = it->u.string;
    }
    *n = v->u.array.n;
    return 0;
}

int vite_manifest_parse(kiln_arena *a, const char *p, size_t n,
                        vite_manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (errlen)
        err[0] = '\0';
    kiln_json *root;
    kiln_json_error je;
    int rc = kiln_json_parse(a, p, n, MANIFEST_MAX_DEPTH, &root, &je);
    if (rc == KILN_ENOMEM)
        return rc;
    if (rc)
        return parse_fail(err, errlen, "not JSON: %d:%d: %s", je.line, je.col,
                          je.msg);
    if (root->type != KILN_JSON_OBJECT)
        return parse_fail(err, errlen, "not a JSON object of chunks");
    size_t nc = root->u.object.n;
    vite_chunk *ch = kiln_arena_calloc(a, (nc ? nc : 1) * sizeof *ch);
    if (!ch)
        return KILN_ENOMEM;
    for (size_t i = 0; i < nc; i++) {
        const kiln_json_member *mem = &root->u.object.items[i];
        const kiln_json *v = &mem->value;
        kiln_str key = mem->key;
        for (size_t j = 0; j < i; j++)
            if (kiln_str_eq(ch[j].key, key))
                return parse_fail(err, errlen, "'%.*s' appears twice",
                                  (int)key.n, key.p);
        if (v->type != KILN_JSON_OBJECT)
            return parse_fail(err, errlen, "'%.*s' is not an object",
                              (int)key.n, key.p);
        const kiln_json *file = kiln_json_get(v, "file");
        if (!file || file->type != KILN_JSON_STRING)
            return parse_fail(err, errlen, "'%.*s' has no \"file\" string",
                              (int)key.n, key.p);
        if (!good_file(file->u.string))
            return parse_fail(err, errlen,
                              "'%.*s': \"file\" is not a plain relative path",
                              (int)key.n, key.p);
        const kiln_json *entry = kiln_json_get(v, "isEntry");
        if (entry && entry->type != KILN_JSON_BOOL)
            return parse_fail(err, errlen,
                              "'%.*s': \"isEntry\" is not a "
                              "boolean",
                              (int)key.n, key.p);
        ch[i].key = key;
        ch[i].file = file->u.string;
        ch[i].is_entry = entry && entry->u.boolean;
        rc = string_list(a, kiln_json_get(v, "css"), key, "css", true,
                         &ch[i].css, &ch[i].ncss, err, errlen);
        if (rc == 0)
            rc = string_list(a, kiln_json_get(v, "imports"), key, "imports",
                             false, &ch[i].imports, &ch[i].nimports, err,
                             errlen);
        if (rc)
            return rc;
    }
    m->chunks = ch;
    m->n = nc;
    /* every import must name a chunk */
    for (size_t i = 0; i < nc; i++)
        for (size_t k = 0; k < ch[i].nimports; k++)
            if (!vite_manifest_find(m, ch[i].imports[k])) {
                kiln_str im = ch[i].imports[k];
                memset(m, 0, sizeof *m);
                return parse_fail(err, errlen,
                                  "'%.*s' imports '%.*s', which is not in "
                                  "the manifest",
                                  (int)ch[i].key.n, ch[i].key.p, (int)im.n,
                                  im.p);
            }
    return 0;
}

const vite_chunk *vite_manifest_find(const vite_manifest *m, kiln_str key)
{
    for (size_t i = 0; i < m->n; i++)
        if (kiln_str_eq(m->chunks[i].key, key))
            return &m->chunks[i];
    return NULL;
}

int vite_put_attr(kiln_buf *out, kiln_str s)
{
    size_t run = 0;
    for (size_t i = 0; i < s.n; i++) {
        const char *rep = NULL;
        switch (s.p[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        if (kiln_buf_append(out, s.p + run, i - run) || kiln_buf_puts(out, rep))
            return KILN_ENOMEM;
        run = i + 1;
    }
    return kiln_buf_append(out, s.p + run, s.n - run);
}

/* <pre base+file post>: one tag of vite_tags. */
static int put_tag(kiln_buf *out, const char *pre, kiln_str base, kiln_str file,
                   const char *post)
{
    if (kiln_buf_puts(out, pre) || vite_put_attr(out, base) ||
        vite_put_attr(out, file) || kiln_buf_puts(out, post))
        return KILN_ENOMEM;
    return 0;
}

/* The chunks the chunk at imports, transitively, each once, breadth
   first in import order, into order[*n] (seen marks them; the entry is
   marked). order has room for every chunk: each is added once. */
static void walk(const vite_manifest *m, size_t at, bool *seen, size_t *order,
                 size_t *n)
{
    for (size_t i = 0, from = at;; from = order[i++]) {
        const vite_chunk *c = &m->chunks[from];
        for (size_t k = 0; k < c->nimports; k++) {
            const vite_chunk *im = vite_manifest_find(m, c->imports[k]);
            if (!im || seen[im - m->chunks])
                continue;
            seen[im - m->chunks] = true;
            order[(*n)++] = (size_t)(im - m->chunks);
        }
        if (i == *n)
            break;
    }
}

int vite_tags(const vite_manifest *m, kiln_str key, kiln_str base,
              kiln_buf *out)
{
    const vite_chunk *e = vite_manifest_find(m, key);
    if (!e)
        return KILN_ENOTFOUND;
    size_t at = (size_t)(e - m->chunks);
    bool *seen = calloc(m->n, sizeof *seen);
    size_t *order = malloc(m->n * sizeof *order);
    if (!seen || !order) {
        free(seen);
        free(order);
        return KILN_ENOMEM;
    }
    size_t n = 0;
    seen[at] = true;
    walk(m, at, seen, order, &n);
    int rc = 0;
    /* the styles first (the entry's, then its imports'), each file once */
    for (size_t i = 0; i <= n && rc == 0; i++) {
        const vite_chunk *c = i == 0 ? e : &m->chunks[order[i - 1]];
        for (size_t k = 0; k < c->ncss && rc == 0; k++) {
            bool dup = false;
            for (size_t q = 0; q <= i && !dup; q++) {
                const vite_chunk *d = q == 0 ? e : &m->chunks[order[q - 1]];
                size_t lim = q == i ? k : d->ncss;
                for (size_t r = 0; r < lim && !dup; r++)
                    dup = kiln_str_eq(d->css[r], c->css[k]);
            }
            if (!dup)
                rc = put_tag(out, "<link rel=\"stylesheet\" href=\"", base,
                             c->css[k], "\">\n");
        }
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = put_tag(out, "<link rel=\"modulepreload\" href=\"", base,
                     m->chunks[order[i]].file, "\">\n");
    if (rc == 0)
        rc = put_tag(out, "<script type=\"module\" src=\"", base, e->file,
                     "\"></script>");
    free(seen);
    free(order);
    return rc;
}

int vite_dev_tags(kiln_str dev_url, kiln_str key, bool react_refresh,
                  kiln_buf *out)
{
    /* @vitejs/plugin-react's preamble, as Vite's backend-integration
       guide gives it: without it, the plugin's modules refuse to run */
    if (react_refresh &&
        (kiln_buf_puts(out, "<script type=\"module\">import RefreshRuntime "
                            "from \"") ||
         vite_put_attr(out, dev_url) ||
         kiln_buf_puts(out, "/@react-refresh\";"
                            "RefreshRuntime.injectIntoGlobalHook(window);"
                            "window.$RefreshReg$ = () => {};"
                            "window.$RefreshSig$ = () => (type) => type;"
                            "window.__vite_plugin_react_preamble_installed__"
                            " = true;</script>\n")))
        return KILN_ENOMEM;
    if (kiln_buf_puts(out, "<script type=\"module\" src=\"") ||
        vite_put_attr(out, dev_url) ||
        kiln_buf_puts(out, "/@vite/client\"></script>\n"
                           "<script type=\"module\" src=\"") ||
        vite_put_attr(out, dev_url) || kiln_buf_putc(out, '/') ||
        vite_put_attr(out, key) || kiln_buf_puts(out, "\"></script>"))
        return KILN_ENOMEM;
    return 0;
}
