/*
 * frontend/island.c - islands: a React component placed in a server page
 * by island('Counter', props), as
 *
 *   <div data-island="Counter" data-props="{&quot;start&quot;: 3}">...</div>
 *
 * which the client loader (src/frontend/islands.ts) finds, renders or
 * hydrates. The props are the JSON |tojson writes (ASCII only, so U+2028
 * and U+2029 arrive as \u escapes; < > & ' as \u escapes too), then
 * escaped again for the attribute: no "</script>", "<!--" or quote in the
 * props can end the attribute or the element.
 *
 * Server-side rendering: the SSR service (frontend/ssr.c) is asked first
 * (frontend_ssr_render); when it cannot (off, no sidecar, a timeout, an
 * error) the island renders on the client only.
 */
#include "frontend/frontend.h"

#include "coro/coro.h"
#include "frontend/manifest.h"
#include "frontend/ssr.h"

#include <stdio.h>
#include <string.h>

/* The longest component name island() accepts. */
#define ISLAND_NAME_MAX 128

static bool name_ok(kiln_str name)
{
    if (name.n == 0 || name.n > ISLAND_NAME_MAX)
        return false;
    for (size_t i = 0; i < name.n; i++) {
        char ch = name.p[i];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     ch == '_' || ch == '$';
        bool more = (ch >= '0' && ch <= '9') || ch == '.';
        if (!alpha && (i == 0 || !more))
            return false;
    }
    return true;
}

int frontend_island_markup(kiln_buf *out, kiln_str name, kiln_str props_json,
                           kiln_str ssr_html)
{
    if (!name_ok(name))
        return KILN_EINVAL;
    if (kiln_buf_puts(out, "<div data-island=\"") || vite_put_attr(out, name) ||
        kiln_buf_puts(out, "\" data-props=\"") ||
        vite_put_attr(out, props_json) ||
        kiln_buf_puts(out, ssr_html.n ? "\" data-ssr>" : "\">") ||
        kiln_buf_append(out, ssr_html.p, ssr_html.n) ||
        kiln_buf_puts(out, "</div>"))
        return KILN_ENOMEM;
    return 0;
}

int frontend_island_tpl(void *ud, kiln_str name, kiln_str props_json,
                        kiln_arena *a, kiln_str *out, char *err, size_t errlen)
{
    (void)ud;
    if (!name_ok(name)) {
        snprintf(err, errlen,
                 "'%.*s' is not a component name (letters, digits, '_', "
                 "'$' and '.', at most %d)",
                 (int)(name.n > 64 ? 64 : name.n), name.p, ISLAND_NAME_MAX);
        return KILN_EINVAL;
    }
    kiln_str html = {NULL, 0};
    coro *co = coro_current();
    kiln_ctx *c = co ? coro_data(co) : NULL;
    char cname[ISLAND_NAME_MAX + 1];
    memcpy(cname, name.p, name.n);
    cname[name.n] = '\0';
    if (!c || frontend_ssr_render(c, cname, props_json, &html) != 0)
        html = (kiln_str){NULL, 0}; /* the client renders it */
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = frontend_island_markup(&b, name, props_json, html);
    char *p = rc == 0 ? kiln_arena_strndup(a, b.p ? b.p : "", b.n) : NULL;
    size_t n = b.n;
    kiln_buf_deinit(&b);
    if (!p)
        return KILN_ENOMEM;
    *out = (kiln_str){p, n};
    return 0;
}
