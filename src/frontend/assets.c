/*
 * frontend/assets.c - vite_assets('src/main.tsx') in a project's
 * templates: the tags of an entry from Vite's manifest (read and checked
 * once at start-up, kept for the process's life), or, under kiln dev,
 * from the Vite dev server (frontend.dev_server).
 */
#include "frontend/frontend.h"

#include "frontend/manifest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once before serving, read-only while serving. */
static kiln_arena g_arena; /* the manifest and the strings below */
static bool g_arena_on;
static vite_manifest g_manifest;
static bool g_have_manifest;
static kiln_str g_base;      /* URL prefix of the built files, ends '/' */
static kiln_str g_dev_url;   /* the dev server's origin, or empty */
static bool g_react_refresh; /* frontend.react_refresh */
static char g_manifest_path[PATH_MAX];

/* The folder Vite built into: the manifest's, or its parent when the
   manifest sits in .vite/ (Vite 5 and later). Written to out. */
static void build_dir(const char *manifest, char *out, size_t n)
{
    snprintf(out, n, "%s", manifest);
    char *slash = strrchr(out, '/');
    if (!slash) {
        snprintf(out, n, ".");
        return;
    }
    *slash = '\0';
    slash = strrchr(out, '/');
    const char *last = slash ? slash + 1 : out;
    if (strcmp(last, ".vite") == 0) {
        if (slash)
            *slash = '\0';
        else
            snprintf(out, n, ".");
    }
}

/* Skips "./" prefixes. */
static const char *plain(const char *p)
{
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    return p;
}

/* The assets' URL prefix: frontend.assets_url, else the build folder's
   place under static.dir mounted at static.url. */
static int assets_base(const kiln_settings *s, const char *manifest, char *err,
                       size_t errlen)
{
    const char *set = kiln_settings_str(s, "frontend.assets_url");
    char *base;
    if (set && *set) {
        size_t n = strlen(set);
        base = kiln_arena_printf(&g_arena, "%s%s", set,
                                 set[n - 1] == '/' ? "" : "/");
    } else {
        char dir[PATH_MAX];
        build_dir(plain(manifest), dir, sizeof dir);
        const char *sd = plain(kiln_settings_str(s, "static.dir"));
        const char *url = kiln_settings_str(s, "static.url");
        size_t sn = strlen(sd);
        while (sn && sd[sn - 1] == '/')
            sn--;
        const char *rest;
        if (strncmp(dir, sd, sn) == 0 && dir[sn] == '\0')
            rest = "";
        else if (strncmp(dir, sd, sn) == 0 && dir[sn] == '/')
            rest = dir + sn + 1;
        else {
            snprintf(err, errlen,
                     "frontend.manifest '%s': its build folder '%s' is not "
                     "under static.dir '%s', so no URL serves it (set "
                     "frontend.assets_url, or build into static/)",
                     manifest, dir, sd);
            return KILN_EINVAL;
        }
        size_t un = strlen(url);
        base = kiln_arena_printf(&g_arena, "%s%s%s%s", url,
                                 un && url[un - 1] == '/' ? "" : "/", rest,
                                 *rest ? "/" : "");
    }
    if (!base)
        return KILN_ENOMEM;
    g_base = kiln_str_c(base);
    return 0;
}

int frontend_init(const kiln_settings *s, bool dev, const char *root, char *err,
                  size_t errlen)
{
    frontend_close();
    kiln_arena_init(&g_arena, 0);
    g_arena_on = true;
    const char *dev_url = kiln_settings_str(s, "frontend.dev_server");
    if (dev && dev_url && *dev_url) {
        size_t n = strlen(dev_url);
        while (n && dev_url[n - 1] == '/')
            n--;
        char *d = kiln_arena_strndup(&g_arena, dev_url, n);
        if (!d)
            return KILN_ENOMEM;
        g_dev_url = (kiln_str){d, n};
        g_react_refresh = kiln_settings_bool(s, "frontend.react_refresh");
        return 0;
    }
    const char *m = kiln_settings_str(s, "frontend.manifest");
    if (!m || !*m)
        return 0; /* vite_assets() says what to set when it is called */
    if (m[0] == '/')
        snprintf(g_manifest_path, sizeof g_manifest_path, "%s", m);
    else
        snprintf(g_manifest_path, sizeof g_manifest_path, "%s/%s", root,
                 plain(m));
    size_t n;
    char *text = kiln_read_file(g_manifest_path, &n);
    if (!text) {
        snprintf(err, errlen,
                 "frontend.manifest '%s': cannot read %s (build the front "
                 "end first: cd frontend && npm run build)",
                 m, g_manifest_path);
        return KILN_EIO;
    }
    char why[256];
    int rc =
        vite_manifest_parse(&g_arena, text, n, &g_manifest, why, sizeof why);
    free(text);
    if (rc == KILN_ENOMEM)
        return rc;
    if (rc) {
        snprintf(err, errlen, "frontend.manifest '%s': %s", m, why);
        return rc;
    }
    g_have_manifest = true;
    return assets_base(s, m, err, errlen);
}

void frontend_close(void)
{
    if (g_arena_on)
        kiln_arena_deinit(&g_arena);
    g_arena_on = false;
    memset(&g_manifest, 0, sizeof g_manifest);
    g_have_manifest = false;
    g_base = g_dev_url = (kiln_str){NULL, 0};
    g_manifest_path[0] = '\0';
}

/* kiln_tpl_options.assets of a project's pages. */
static int tpl_assets(void *ud, kiln_str entry, kiln_arena *a, kiln_str *out,
                      char *err, size_t errlen)
{
    (void)ud;
    kiln_buf b;
    kiln_buf_init(&b);
    int rc;
    if (g_dev_url.n) {
        rc = vite_dev_tags(g_dev_url, entry, g_react_refresh, &b);
    } else if (!g_have_manifest) {
        snprintf(err, errlen,
                 "no manifest: set frontend.manifest to the "
                 "manifest.json Vite writes (build.manifest)");
        return KILN_EINVAL;
    } else {
        rc = vite_tags(&g_manifest, entry, g_base, &b);
        if (rc == KILN_ENOTFOUND)
            snprintf(err, errlen,
                     "no such entry in %s (is it in the build's "
                     "rollupOptions.input?)",
                     g_manifest_path);
    }
    char *p = rc == 0 ? kiln_arena_strndup(a, b.p ? b.p : "", b.n) : NULL;
    size_t n = b.n;
    kiln_buf_deinit(&b);
    if (rc)
        return rc;
    if (!p)
        return KILN_ENOMEM;
    *out = (kiln_str){p, n};
    return 0;
}

int frontend_entry_tags(kiln_str entry, kiln_arena *a, kiln_str *out, char *err,
                        size_t errlen)
{
    return tpl_assets(NULL, entry, a, out, err, errlen);
}

int frontend_check_entry(void *ud, kiln_str entry, char *msg, size_t msglen)
{
    (void)ud;
    if (g_dev_url.n || !g_have_manifest ||
        vite_manifest_find(&g_manifest, entry))
        return 0;
    snprintf(msg, msglen,
             "no such entry in %s (is it in the build's "
             "rollupOptions.input?)",
             g_manifest_path);
    return KILN_ENOTFOUND;
}

void frontend_tpl_options(kiln_tpl_options *o)
{
    o->assets = tpl_assets;
    o->island = frontend_island_tpl;
}
