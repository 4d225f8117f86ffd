/*
 * auth/headers.c - the security headers every response carries, made
 * once at start-up from the [security] settings into one block of header
 * lines that the server appends to each response head (kiln_app.
 * resp_extra): a memcpy per response, nothing computed.
 *
 *   X-Content-Type-Options: nosniff       security.nosniff
 *   Referrer-Policy: ...                  security.referrer_policy
 *   X-Frame-Options: DENY / SAMEORIGIN    security.frame_options
 *   Content-Security-Policy: ...          security.csp, else
 *       frame-ancestors 'none' / 'self' from security.frame_options
 *   Strict-Transport-Security: max-age=N  security.hsts_max_age, only when
 *       security.behind_tls (a browser ignores it over plain http, and a
 *       wrong one locks a site out of http for N seconds)
 *
 * An empty string, "off" or 0 turns a header off.
 */
#include "auth/session_impl.h"

#include <kiln/config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when v is a header value we can send as written (no CR, LF or other
   control byte). */
static bool value_ok(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 && *v != '\t')
            return false;
    return true;
}

static bool off(const char *v)
{
    return !v || !*v || strcmp(v, "off") == 0;
}

int headers_configure(auth_conf *conf, const kiln_settings *s, char *err,
                      size_t errlen)
{
    kiln_buf b;
    kiln_buf_init(&b);
    const char *rp = kiln_settings_str(s, "security.referrer_policy");
    const char *fo = kiln_settings_str(s, "security.frame_options");
    const char *csp = kiln_settings_str(s, "security.csp");
    const char *bad = NULL;
    if (!off(rp) && !value_ok(rp))
        bad = "security.referrer_policy";
    if (!off(csp) && !value_ok(csp))
        bad = "security.csp";
    if (bad) {
        snprintf(err, errlen, "%s holds a control character", bad);
        return KILN_EINVAL;
    }
    if (kiln_settings_bool(s, "security.nosniff"))
        kiln_buf_puts(&b, "X-Content-Type-Options: nosniff\r\n");
    if (!off(rp))
        kiln_buf_printf(&b, "Referrer-Policy: %s\r\n", rp);
    bool deny = fo && strcmp(fo, "deny") == 0;
    bool same = fo && strcmp(fo, "sameorigin") == 0;
    if (deny || same)
        kiln_buf_printf(&b, "X-Frame-Options: %s\r\n",
                        deny ? "DENY" : "SAMEORIGIN");
    if (!off(csp))
        kiln_buf_printf(&b, "Content-Security-Policy: %s\r\n", csp);
    else if (deny || same)
        kiln_buf_printf(&b, "Content-Security-Policy: frame-ancestors %s\r\n",
                        deny ? "'none'" : "'self'");
    int64_t hsts = kiln_settings_int(s, "security.hsts_max_age");
    if (conf->https && hsts > 0)
        kiln_buf_printf(&b, "Strict-Transport-Security: max-age=%lld%s\r\n",
                        (long long)hsts,
                        kiln_settings_bool(s, "security.hsts_subdomains")
                            ? "; includeSubDomains"
                            : "");
    /* a buffer that failed to grow is short, never torn: check the end */
    if (b.n && (b.n < 2 || b.p[b.n - 1] != '\n')) {
        kiln_buf_deinit(&b);
        return KILN_ENOMEM;
    }
    free(conf->headers);
    conf->nheaders = b.n;
    conf->headers = b.n ? kiln_buf_detach(&b) : NULL;
    kiln_buf_deinit(&b);
    return 0;
}
