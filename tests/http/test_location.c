/*
 * tests/http/test_location.c - redirect targets (src/http/location.c):
 * what kiln_redirect writes in Location, what it encodes, and what it
 * refuses (header injection, foreign schemes).
 */
#include "test.h"

#include "http/location.h"

/* Encodes in; returns the result (static) or NULL when refused (*rc). */
static const char *enc(const char *in, int *rc)
{
    static char out[1024];
    size_t n = strlen(in), on = 12345;
    if (3 * n + 1 > sizeof out)
        test_fail(__FILE__, __LINE__, "test input too long");
    *rc = http_location_encode(in, n, out, &on);
    if (*rc)
        return NULL;
    if (on != strlen(out))
        test_fail(__FILE__, __LINE__, "'%s': out_n %zu, strlen %zu", in, on,
                  strlen(out));
    return out;
}

static void same(const char *in, const char *want, int line)
{
    int rc;
    const char *got = enc(in, &rc);
    if (!got)
        test_fail(__FILE__, line, "'%s' refused (%d), want '%s'", in, rc, want);
    if (strcmp(got, want) != 0)
        test_fail(__FILE__, line, "'%s' gave '%s', want '%s'", in, got, want);
}

static void refused(const char *in, int want, int line)
{
    int rc;
    const char *got = enc(in, &rc);
    if (got)
        test_fail(__FILE__, line, "'%s' accepted as '%s'", in, got);
    if (rc != want)
        test_fail(__FILE__, line, "'%s' refused with %d, want %d", in, rc,
                  want);
}

#define SAME(in, want) same(in, want, __LINE__)
#define REFUSED(in, why) refused(in, why, __LINE__)

TEST(location_relative_references_pass_as_written)
{
    SAME("/notes", "/notes");
    SAME("/", "/");
    SAME("notes/5", "notes/5");
    SAME("../up", "../up");
    SAME("?page=2&sort=-created", "?page=2&sort=-created");
    SAME("#top", "#top");
    SAME("/notes/5#comment-3", "/notes/5#comment-3");
    SAME("//cdn.example/x", "//cdn.example/x");
    /* the reserved and sub-delims characters are a URI's own */
    SAME("/a;b=c/d,e?x=$&y=(1)*'!+@:~", "/a;b=c/d,e?x=$&y=(1)*'!+@:~");
    /* a ':' after the first '/', '?' or '#' is no scheme */
    SAME("/a:b", "/a:b");
    SAME("./a:b", "./a:b");
    SAME("?next=http://x", "?next=http://x");
    SAME("#a:b", "#a:b");
}

TEST(location_absolute_http_urls_pass)
{
    SAME("https://example.com/notes?x=1", "https://example.com/notes?x=1");
    SAME("http://127.0.0.1:8000/", "http://127.0.0.1:8000/");
    SAME("HTTPS://Example.com", "HTTPS://Example.com");
    SAME("https://user@example.com/", "https://user@example.com/");
    SAME("http://[::1]:8080/x", "http://[::1]:8080/x");
}

TEST(location_encodes_what_a_uri_cannot_hold)
{
    SAME("/search?q=a b", "/search?q=a%20b");
    SAME("/caf\xc3\xa9", "/caf%C3%A9");          /* UTF-8, byte by byte */
    SAME("/\\evil.example", "/%5Cevil.example"); /* never read as "//" */
    SAME("/a\"b<c>d^e`f{g|h}", "/a%22b%3Cc%3Ed%5Ee%60f%7Bg%7Ch%7D");
    /* an escape already written is kept, a lone '%' is encoded */
    SAME("/search?q=a%20b", "/search?q=a%20b");
    SAME("/100%", "/100%25");
    SAME("/%zz", "/%25zz");
    SAME("/%4", "/%254");
    SAME("/%4g", "/%254g");
    SAME("/%aF", "/%aF");
    SAME("\xff", "%FF");
}

TEST(location_refuses_header_injection)
{
    REFUSED("/notes\r\nSet-Cookie: a=b", HTTP_LOCATION_CONTROL);
    REFUSED("/notes\nX: y", HTTP_LOCATION_CONTROL);
    REFUSED("/notes\r", HTTP_LOCATION_CONTROL);
    REFUSED("/a\tb", HTTP_LOCATION_CONTROL);
    REFUSED("/a\x7f", HTTP_LOCATION_CONTROL);
    REFUSED("\x01/", HTTP_LOCATION_CONTROL);
    /* a NUL inside the bytes (the length is the caller's) */
    char out[32];
    size_t on;
    CHECK_INT(http_location_encode("/a\0b", 4, out, &on),
              HTTP_LOCATION_CONTROL);
    REFUSED("", HTTP_LOCATION_EMPTY);
}

TEST(location_refuses_other_schemes)
{
    REFUSED("javascript:alert(1)", HTTP_LOCATION_SCHEME);
    REFUSED("JavaScript://%0aalert(1)", HTTP_LOCATION_SCHEME);
    REFUSED("data:text/html,<script>", HTTP_LOCATION_SCHEME);
    REFUSED("ftp://example.com/f", HTTP_LOCATION_SCHEME);
    REFUSED("mailto:a@example.com", HTTP_LOCATION_SCHEME);
    REFUSED(" javascript:alert(1)", HTTP_LOCATION_SCHEME); /* not a scheme */
    REFUSED("a:b", HTTP_LOCATION_SCHEME);
    REFUSED("1a:b", HTTP_LOCATION_SCHEME);
    REFUSED(":x", HTTP_LOCATION_SCHEME);
    /* http(s) needs "//" and a host */
    REFUSED("http:notes", HTTP_LOCATION_SCHEME);
    REFUSED("https:/notes", HTTP_LOCATION_SCHEME);
    REFUSED("https://", HTTP_LOCATION_SCHEME);
    REFUSED("https:///evil.example", HTTP_LOCATION_SCHEME);
    REFUSED("http://?x", HTTP_LOCATION_SCHEME);
    REFUSED("httpx://example.com", HTTP_LOCATION_SCHEME);
}

TEST(location_worst_case_fits_three_bytes_per_byte)
{
    /* every byte encoded: exactly 3n, then the NUL */
    char in[64], out[3 * sizeof in + 1];
    memset(in, ' ', sizeof in);
    memset(out, 'X', sizeof out);
    size_t on = 0;
    CHECK_INT(http_location_encode(in, sizeof in, out, &on), 0);
    CHECK_INT(on, 3 * sizeof in);
    CHECK_INT(out[on], '\0');
    CHECK(strncmp(out, "%20%20", 6) == 0);
}
