/*
 * tests/http/test_llhttp.c - the request cases of llhttp
 * (the .md files of ../shared/conformance/http-parser; its README gives the
 * format).
 *
 * Each case is decoded to bytes and run through Kiln's parser the way the
 * server does: head, then body (Content-Length or chunked), then the next
 * message. A case whose log ends in an error must be rejected; one that ends
 * in "message complete" must be accepted with the same number of messages.
 * Cases of type request-lenient-* turn on an llhttp relaxation, so a strict
 * server must reject them.
 *
 * Two transformations, both because Kiln follows RFC 9112 more strictly:
 * - llhttp does not require Host; RFC 9112 3.2 makes a missing Host on
 *   HTTP/1.1 a 400. The test adds "Host: conformance" after the request line
 *   of an HTTP/1.1 message without one, so the other rules are still tested.
 * - "Pause on CONNECT/Upgrade" (llhttp error 22/23) is llhttp handing the
 *   connection to another protocol; Kiln has no upgrade yet and must simply
 *   not reject the message.
 * Where Kiln decides differently from llhttp, the case is listed in
 * `differs` below with the reason.
 */
#include "test.h"

#include "http/parse.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

/* Cases where Kiln's answer differs from llhttp's, with the reason. */
static const struct {
    const char *heading;
    const char *why;
} differs[] = {
    {"No HTTP version",
     "HTTP/0.9 requests are not served: 400 (RFC 9112 leaves 0.9 out)"},
    {"Error on `Content-Length` overflow",
     "the input ends before the empty line; Kiln judges fields once the head "
     "is complete (the complete head is rejected, see test_http.c)"},
    {"Error on duplicate `Content-Length`",
     "the input ends before the empty line, as above"},
    {"Content-Length reset when no body is received",
     "llhttp API specific (skipBody): the bodies are not in the input"},
    {"M-SEARCH request", "HTTPU (UPnP) is not HTTP/1.x; answered 400"},
    {"SOURCE request with ICE", "ICE/x.y is not HTTP; answered 400"},
    {"OPTIONS request with RTSP", "RTSP/x.y is not HTTP; answered 400"},
    {"ANNOUNCE request with RTSP", "RTSP/x.y is not HTTP; answered 400"},
    {"PRI request HTTP2",
     "the HTTP/2 preface is answered 505: Kiln does not speak h2c"},
    {"POST with `chunked` as last transfer-encoding",
     "the target has a #fragment (never sent, RFC 9112 3.2: 400) and a "
     "deflate coding Kiln cannot decode (RFC 9112 6.1: 501)"},
    {"POST with `chunked` as last transfer-encoding (multiple headers)",
     "as above: a #fragment in the target and a deflate coding"},
    {"HTTP protocol and ANNOUNCE method",
     "methods are extensible tokens (RFC 9110 9.1); routing answers 405"},
    {"Invalid method",
     "any token is a method (RFC 9110 9.1); routing answers 405 or 501"},
    {"Fragment in URI",
     "a fragment is not part of a request-target (RFC 9112 3.2): 400"},
    {"`host:port` and basic auth",
     "userinfo in a request-target is treated as an error (RFC 9110 4.2.4)"},
    {NULL, NULL}};

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[len] = 0;
        *n = (size_t)len;
    }
    return p;
}

/* Turns an ```http block into the bytes it stands for (README rules). */
static void decode_block(const char *s, size_t n, kiln_buf *out)
{
    kiln_buf a;
    kiln_buf_init(&a);
    if (n && s[n - 1] == '\n')
        n--;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\n') {
            i++;
            continue;
        }
        if (s[i] == '\n')
            kiln_buf_append(&a, "\r\n", 2);
        else
            kiln_buf_putc(&a, s[i]);
    }
    for (size_t i = 0; i < a.n; i++) {
        char c = a.p[i];
        if (c != '\\' || i + 1 >= a.n) {
            kiln_buf_putc(out, c);
            continue;
        }
        char e = a.p[i + 1];
        if (e == 'r' || e == 'n' || e == 't' || e == 'f') {
            kiln_buf_putc(out, e == 'r'   ? '\r'
                               : e == 'n' ? '\n'
                               : e == 't' ? '\t'
                                          : '\f');
            i++;
        } else if (e == 'x' && i + 3 < a.n) {
            char hex[3] = {a.p[i + 2], a.p[i + 3], 0};
            kiln_buf_putc(out, (char)strtol(hex, NULL, 16));
            i += 3;
        } else if (e >= '0' && e <= '7') {
            int v = 0, k = 0;
            while (k < 3 && i + 1 + k < a.n && a.p[i + 1 + k] >= '0' &&
                   a.p[i + 1 + k] <= '7') {
                v = v * 8 + (a.p[i + 1 + k] - '0');
                k++;
            }
            kiln_buf_putc(out, (char)v);
            i += (size_t)k;
        } else {
            kiln_buf_putc(out, c);
        }
    }
    kiln_buf_deinit(&a);
}

static bool has_host(const char *p, size_t n)
{
    for (size_t i = 0; i + 7 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r')
            return false;
        if (p[i] == '\n' && strncasecmp(p + i + 1, "host:", 5) == 0)
            return true;
    }
    return false;
}

/* Runs the messages in bytes; returns completed count, or -1 rejected. */
static int run_messages(const char *p, size_t n, int *rejected)
{
    http_limits lim;
    http_limits_default(&lim);
    static http_request r;
    int done = 0;
    *rejected = 0;
    size_t off = 0;
    kiln_buf tmp;
    kiln_buf_init(&tmp);
    while (off < n) {
        /* add a Host to an HTTP/1.1 message that has none */
        const char *m = p + off;
        size_t mn = n - off, added = 0;
        size_t lead = 0; /* empty lines before the request line */
        while (lead + 1 < mn && m[lead] == '\r' && m[lead + 1] == '\n')
            lead += 2;
        const char *eol = memchr(m + lead, '\n', mn - lead);
        if (eol && eol - m >= 9 && memcmp(eol - 9, "HTTP/1.1\r", 9) == 0 &&
            !has_host(m, mn)) {
            kiln_buf_clear(&tmp);
            kiln_buf_append(&tmp, m, (size_t)(eol - m) + 1);
            kiln_buf_puts(&tmp, "Host: conformance\r\n");
            added = tmp.n - (size_t)(eol - m) - 1;
            kiln_buf_append(&tmp, eol + 1, mn - (size_t)(eol - m) - 1);
            m = tmp.p;
            mn = tmp.n;
        }
        int rc = http_parse_request(m, mn, &lim, &r);
        if (rc < 0) {
            *rejected = 1;
            break;
        }
        if (rc == 0)
            break;
        size_t used = (size_t)rc - added;
        if (r.body == HTTP_BODY_LENGTH) {
            if (n - off - used < r.content_length)
                break;
            used += r.content_length;
        } else if (r.body == HTTP_BODY_CHUNKED) {
            http_chunked c;
            http_chunked_init(&c);
            kiln_buf b, t;
            kiln_buf_init(&b);
            kiln_buf_init(&t);
            size_t u = 0;
            int cr = http_chunked_feed(&c, &lim, p + off + used, n - off - used,
                                       &u, &b, &t);
            kiln_buf_deinit(&b);
            kiln_buf_deinit(&t);
            if (cr < 0) {
                *rejected = 1;
                break;
            }
            if (cr == 0)
                break;
            used += u;
        }
        done++;
        off += used;
        if (!r.keep_alive && off < n) {
            *rejected = 1; /* data after Connection: close */
            break;
        }
    }
    kiln_buf_deinit(&tmp);
    return done;
}

static const char *listed(const char *heading)
{
    for (int i = 0; differs[i].heading; i++)
        if (strcmp(differs[i].heading, heading) == 0)
            return differs[i].why;
    return NULL;
}

TEST(llhttp_request_cases)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/http-parser", test_conformance_dir());
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *e;
    int cases = 0, agree = 0, differ = 0, failed = 0;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < 4 || strcmp(e->d_name + nl - 3, ".md") != 0 ||
            strcmp(e->d_name, "README.md") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n;
        char *text = read_file(path, &n);
        CHECK(text != NULL);
        char heading[256] = "", type[64] = "request";
        char *p = text;
        while ((p = strstr(p, "\n"))) {
            p++;
            if (strncmp(p, "## ", 3) == 0 || strncmp(p, "### ", 4) == 0) {
                char *s = strchr(p, ' ') + 1, *eol = strchr(s, '\n');
                snprintf(heading, sizeof heading, "%.*s", (int)(eol - s), s);
                strcpy(type, "request");
            } else if (strncmp(p, "<!-- meta=", 10) == 0) {
                char *t = strstr(p, "\"type\"");
                char *eol = strchr(p, '\n');
                if (t && t < eol) {
                    t = strchr(t + 6, '"') + 1;
                    snprintf(type, sizeof type, "%.*s",
                             (int)(strchr(t, '"') - t), t);
                }
            } else if (strncmp(p, "```http\n", 8) == 0) {
                char *body = p + 8, *end = strstr(body, "\n```");
                char *log = strstr(end + 4, "```log\n");
                char *lend = log ? strstr(log + 7, "\n```") : NULL;
                if (!log || !lend)
                    break;
                kiln_buf bytes;
                kiln_buf_init(&bytes);
                decode_block(body, (size_t)(end - body) + 1, &bytes);
                /* expectation */
                int want_msgs = 0;
                bool want_err = false, upgrade = false;
                for (char *l = log + 7; l < lend;) {
                    char *le = strchr(l, '\n');
                    if (strstr(l, "message complete") &&
                        strstr(l, "message complete") < le)
                        want_msgs++;
                    char *er = strstr(l, " error code=");
                    if (er && er < le) {
                        int code = atoi(er + 12);
                        if (code == 22 || code == 23)
                            upgrade = true;
                        else
                            want_err = true;
                    }
                    l = le + 1;
                }
                bool lenient = strncmp(type, "request-lenient", 15) == 0;
                bool finish = strcmp(type, "request-finish") == 0;
                if (lenient)
                    want_err = true;
                int rejected;
                int got = run_messages(bytes.p, bytes.n, &rejected);
                bool ok;
                if (want_err)
                    ok = rejected;
                else if (upgrade || finish)
                    ok = !rejected || got >= 1;
                else
                    ok = !rejected && got == want_msgs;
                cases++;
                const char *why = listed(heading);
                if (ok && !why) {
                    agree++;
                } else if (!ok && why) {
                    differ++;
                } else if (ok && why) {
                    failed++;
                    fprintf(stderr,
                            "  %s: \"%s\" is listed as different but "
                            "agrees\n",
                            e->d_name, heading);
                } else {
                    failed++;
                    fprintf(stderr,
                            "  %s: \"%s\" (%s): want %s%d msgs, got %s%d\n",
                            e->d_name, heading, type, want_err ? "reject " : "",
                            want_msgs, rejected ? "reject after " : "", got);
                }
                kiln_buf_deinit(&bytes);
                p = lend + 4;
            }
        }
        free(text);
    }
    closedir(d);
    fprintf(stderr,
            "  llhttp cases: %d, agree %d, differ (listed) %d, "
            "failed %d\n",
            cases, agree, differ, failed);
    CHECK(cases >= 150);
    CHECK_INT(failed, 0);
}
