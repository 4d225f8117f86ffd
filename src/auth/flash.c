/*
 * auth/flash.c - flash messages: one-shot messages kept in the session
 * until a page shows them (usually the page a redirect leads to).
 *
 * They are the session value FLASH_KEY, a JSON array of [level, text]
 * pairs, oldest first. kiln_flash appends one (making an anonymous session
 * when there is none); kiln_flash_take reads and removes them all, and the
 * pages give them to templates as `messages` (app/pages.c), so a message
 * is shown once. Both go through kiln_session_get/set: the write is the
 * session's one write at the end of the request.
 */
#include "auth/session_impl.h"

#include <kiln/json.h>

#include <stdarg.h>
#include <string.h>

#define FLASH_KEY "_flash"
/* The most messages kept: a loop that flashes without a page to show them
   must not grow the session without bound. */
#define FLASH_MAX 32

/* Parses the stored array into out (arena); returns the count or an
   error. A malformed value counts as none. */
static int flash_read(kiln_ctx *c, kiln_str v, kiln_flash_msg **out)
{
    *out = NULL;
    kiln_json *j;
    if (!v.p ||
        kiln_json_parse(kiln_ctx_arena(c), v.p, v.n, 3, &j, NULL) != 0 ||
        j->type != KILN_JSON_ARRAY)
        return 0;
    size_t n = j->u.array.n;
    kiln_flash_msg *m = kiln_alloc(c, (n ? n : 1) * sizeof *m);
    if (!m)
        return KILN_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const kiln_json *e = &j->u.array.items[i];
        if (e->type != KILN_JSON_ARRAY || e->u.array.n != 2 ||
            e->u.array.items[0].type != KILN_JSON_STRING ||
            e->u.array.items[1].type != KILN_JSON_STRING)
            continue;
        m[k].level = e->u.array.items[0].u.string;
        m[k].text = e->u.array.items[1].u.string;
        k++;
    }
    *out = m;
    return (int)k;
}

int kiln_flash(kiln_ctx *c, const char *level, const char *fmt, ...)
{
    if (!level || !*level || !fmt)
        return KILN_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    kiln_buf text;
    kiln_buf_init(&text);
    int rc = kiln_buf_vprintf(&text, fmt, ap);
    va_end(ap);
    kiln_flash_msg *old = NULL;
    int n = rc ? rc : flash_read(c, kiln_session_get(c, FLASH_KEY), &old);
    if (n < 0) {
        kiln_buf_deinit(&text);
        return n;
    }
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "[");
    int first = n >= FLASH_MAX ? n - FLASH_MAX + 1 : 0;
    for (int i = first; i < n; i++) {
        kiln_buf_puts(&b, "[");
        kiln_json_put_str(&b, old[i].level.p, old[i].level.n);
        kiln_buf_puts(&b, ",");
        kiln_json_put_str(&b, old[i].text.p, old[i].text.n);
        kiln_buf_puts(&b, "],");
    }
    kiln_buf_puts(&b, "[");
    kiln_json_put_str(&b, level, strlen(level));
    kiln_buf_puts(&b, ",");
    kiln_json_put_str(&b, text.p ? text.p : "", text.n);
    rc = kiln_buf_puts(&b, "]]");
    if (rc == 0)
        rc = kiln_session_set(c, FLASH_KEY, (kiln_str){b.p, b.n});
    kiln_buf_deinit(&b);
    kiln_buf_deinit(&text);
    return rc;
}

int kiln_flash_take(kiln_ctx *c, const kiln_flash_msg **out)
{
    *out = NULL;
    kiln_str v = kiln_session_get(c, FLASH_KEY);
    if (!v.p)
        return 0;
    kiln_flash_msg *m;
    int n = flash_read(c, v, &m);
    if (n < 0)
        return n;
    int rc = kiln_session_set(c, FLASH_KEY, KILN_STR_NULL);
    if (rc < 0)
        return rc;
    *out = m;
    return n;
}
