/*
 * kiln/static.h - static files: a folder (or files compiled into the
 * binary) served under a URL prefix, with MIME types, ETag and
 * Last-Modified, 304 on a match, single byte ranges (206/416), precompressed
 * .br/.gz siblings chosen by Accept-Encoding, and long-lived caching for
 * content-hashed names. No request path can leave the folder.
 *
 *   kiln_static_opts so = {.dir = "static"};
 *   kiln_static_mount(app, "/static/", &so);
 */
#ifndef KILN_STATIC_H
#define KILN_STATIC_H

#include "app.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One file compiled into the binary (kiln build --embed-static). A file
 * "x.br" or "x.gz" in the same set is x's precompressed sibling.
 */
typedef struct kiln_static_file {
    const char *path; /**< relative to the mount: "css/app.css" */
    /** contents: not owned and not copied; must outlive the app (static
        data in practice) */
    const unsigned char *data;
    size_t len;
    int64_t mtime; /**< seconds since the epoch, for Last-Modified */
} kiln_static_file;

/** How a mount serves. Zero fields mean the defaults. */
typedef struct kiln_static_opts {
    /** The folder served (required unless files is set). */
    const char *dir;
    /** Files compiled in; when set, dir is not read. Sorted or not. */
    const kiln_static_file *files;
    size_t nfiles;
    /** Cache-Control max-age in seconds for ordinary names (default 0:
        "no-cache", i.e. revalidate with the ETag). */
    int64_t max_age;
    /** Names carrying a content hash get "public, max-age=31536000,
        immutable": before the extension, a part delimited by '.' or '-'
        of 8 or more hex digits ("app.3f9a1c2b.js", "chunk-0123abcd.css").
        Meant for release builds. */
    bool immutable_hashed;
} kiln_static_opts;

/**
 * Routes GET and HEAD on prefix ("/static/", with or without the trailing
 * slash; literal, no "{") to the files of o; other methods get 405.
 * o, dir and the file paths are copied into the app (freed with it); the
 * bytes of o->files are not (see kiln_static_file.data). The folder is
 * opened now and served as it is at request time: files may change while
 * serving (each worker revalidates what it cached once a second).
 * Never served (404): folders, dotfiles (any segment starting with '.'),
 * anything but a regular file, and any path that leaves the folder,
 * including through a symlink (symlinks that stay inside are followed).
 * Returns 0, KILN_EINVAL (bad prefix, no dir/files, dir not a folder),
 * KILN_ESTATE (the prefix is already routed) or KILN_ENOMEM.
 */
int kiln_static_mount(kiln_app *app, const char *prefix,
                      const kiln_static_opts *o);

/**
 * Serves a built single-page app (a folder or files compiled in, as for
 * kiln_static_mount, with an index.html) at the root of the URL space, as
 * the app's fallback: only GET and HEAD requests that match no route get
 * here, so every route and mount wins over it. A path naming a file of
 * the app gets it (hashed names immutable when o->immutable_hashed, the
 * rest "no-cache"; index.html always "no-cache"). Any other path gets
 * index.html (with Vary: Accept), for the client-side router to take
 * over, when it is outside /api/, its last segment has no extension
 * ("/assets/x.js" is a 404, not a page) and the request's Accept prefers
 * HTML (the error pages' decision); else the router's 404. Copies o like
 * kiln_static_mount; one per app. Returns 0, KILN_EINVAL (no dir/files,
 * dir not a folder, no index.html), KILN_ESTATE (the app has one) or
 * KILN_ENOMEM.
 */
int kiln_static_spa(kiln_app *app, const kiln_static_opts *o);

/**
 * kiln_static_spa with the app under the URL prefix ("/app/", with or
 * without the trailing slash; "/" is kiln_static_spa): "/app/x" is the
 * app's file x, "/app" and "/app/" its index.html, and a path outside
 * the prefix gets the router's 404 (so server pages and the SPA can share
 * the URL space). Build the front end with the same base (Vite's
 * `base: "/app/"`). Returns what kiln_static_spa returns; KILN_EINVAL
 * also for a prefix that does not start with '/' or holds "{", "}", "\\",
 * "?", "#" or "//".
 */
int kiln_static_spa_at(kiln_app *app, const char *prefix,
                       const kiln_static_opts *o);

/**
 * Answers the current request with n bytes of data as a file would be:
 * content_type, a strong ETag hashed from the content, Last-Modified
 * (mtime, seconds since the epoch; 0 for none), X-Content-Type-Options:
 * nosniff, 304 on If-None-Match / If-Modified-Since, 412 on If-Match /
 * If-Unmodified-Since, single ranges (206/416, If-Range), HEAD. Headers the
 * handler set before (Cache-Control...) go out too, also on a 304. No
 * Cache-Control is added. data is copied (before this returns). For
 * handlers that serve generated or embedded content. Returns 0,
 * KILN_ESTATE (already answered), KILN_EINVAL or KILN_ENOMEM.
 */
int kiln_static_send(kiln_ctx *c, const void *data, size_t n,
                     const char *content_type, int64_t mtime);

/** The MIME type for a file name by its extension
    ("application/octet-stream" when unknown); text types carry
    "; charset=utf-8". */
const char *kiln_mime_type(const char *name);

#ifdef __cplusplus
}
#endif
#endif
