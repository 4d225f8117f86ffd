/*
 * frontend/manifest.h - Vite's build manifest (.vite/manifest.json) and the
 * tags that load an entry of it (the hybrid join of docs/frontend.md).
 *
 * The manifest maps a source file ("src/main.tsx") to a chunk: its built
 * file ("assets/main-4f2a1c.js"), the CSS it imports and the chunks it
 * imports (keys of the same manifest). vite_manifest_parse is a pure
 * decoder of outside input (fuzz/fuzz_vite_manifest.c); vite_tags and
 * vite_dev_tags write the HTML a template places in a page's <head>.
 */
#ifndef KILN_FRONTEND_MANIFEST_H
#define KILN_FRONTEND_MANIFEST_H

#include "kiln/core.h"

/* One chunk of the manifest. Every string lives in the manifest's arena. */
typedef struct vite_chunk {
    kiln_str key;  /* the manifest key: a source path or "_name.js" */
    kiln_str file; /* the built file, relative to the build folder */
    kiln_str *css; /* ncss CSS files the chunk loads itself */
    size_t ncss;
    kiln_str *imports; /* nimports keys of chunks it imports statically */
    size_t nimports;
    bool is_entry; /* "isEntry": true */
} vite_chunk;

/* A parsed manifest: n chunks in document order (arena-owned). */
typedef struct vite_manifest {
    vite_chunk *chunks;
    size_t n;
} vite_manifest;

/*
 * Parses the manifest p[0..n) into *m, everything allocated in a (the
 * caller owns a and frees it after m). Checks what the tags rely on: the
 * top level is an object of objects; each has a string "file"; "css" and
 * "imports", when present, are arrays of strings; every import names a
 * key of the manifest; file names are relative paths without "..",
 * backslashes, control characters or a scheme. Unknown members are
 * ignored (Vite adds some). Returns 0, KILN_EPARSE with a message in err
 * (naming the key at fault), or KILN_ENOMEM.
 */
int vite_manifest_parse(kiln_arena *a, const char *p, size_t n,
                        vite_manifest *m, char *err, size_t errlen);

/* The chunk whose key is key, or NULL. */
const vite_chunk *vite_manifest_find(const vite_manifest *m, kiln_str key);

/*
 * Appends to out the tags that load entry key in a release build, with
 * every file's URL base + file (base ends in '/', e.g. "/static/dist/"):
 * a <link rel="stylesheet"> for each CSS file of the entry and of the
 * chunks it imports (transitively, each once, in import order), a
 * <link rel="modulepreload"> for each imported chunk's file, then
 * <script type="module" src="...">. URLs are HTML-attribute-escaped.
 * Returns 0, KILN_ENOTFOUND (no such key), or KILN_ENOMEM (out may hold
 * a partial result).
 */
int vite_tags(const vite_manifest *m, kiln_str key, kiln_str base,
              kiln_buf *out);

/*
 * Appends to out the tags that load entry key from the Vite dev server at
 * origin dev_url ("http://127.0.0.1:5173", no trailing '/'): with
 * react_refresh, @vitejs/plugin-react's preamble (an inline module
 * importing /@react-refresh); its /@vite/client (hot reload); the entry as
 * a module. dev_url is a setting, never page input; it and key are
 * escaped as above. Returns 0 or KILN_ENOMEM.
 */
int vite_dev_tags(kiln_str dev_url, kiln_str key, bool react_refresh,
                  kiln_buf *out);

/*
 * Appends s to out escaped for an HTML attribute value in double quotes
 * (& < > " ' as character references). Returns 0 or KILN_ENOMEM.
 */
int vite_put_attr(kiln_buf *out, kiln_str s);

#endif
