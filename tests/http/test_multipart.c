/*
 * tests/http/test_multipart.c - header parameters (src/http/media.c) and
 * the incremental multipart/form-data parser (src/http/multipart.c).
 *
 * Every multipart case goes through run(), which parses the body whole,
 * in every two-piece split and one byte at a time, and checks that all of
 * them give the same transcript (parts, their data, the end or the error).
 * A property test builds random bodies from random parts (binary data full
 * of CRs, LFs and near-boundaries), and checks that random splits give
 * back exactly the parts it put in.
 */
#include "test.h"

#include "http/media.h"
#include "http/multipart.h"

#include <stdint.h>

/* ---- media.c ------------------------------------------------------------ */

static int split(const char *v, bool media, char *head, char *params)
{
    kiln_str h, p;
    int rc = http_media_split(kiln_str_c(v), media, &h, &p);
    if (rc == 0) {
        snprintf(head, 64, "%.*s", (int)h.n, h.p);
        snprintf(params, 64, "%.*s", (int)p.n, p.p);
    }
    return rc;
}

TEST(media_split)
{
    char h[64], p[64];
    CHECK_INT(split("multipart/form-data; boundary=abc", true, h, p), 0);
    CHECK_STR(h, "multipart/form-data");
    CHECK_STR(p, "; boundary=abc");
    CHECK_INT(split("  text/plain  ", true, h, p), 0);
    CHECK_STR(h, "text/plain");
    CHECK_STR(p, "");
    CHECK_INT(split("text/html ;charset=utf-8", true, h, p), 0);
    CHECK_STR(p, ";charset=utf-8");
    CHECK_INT(split("form-data; name=x", false, h, p), 0);
    CHECK_STR(h, "form-data");
    const char *bad_media[] = {"",
                               "text",
                               "text/",
                               "/plain",
                               "text/plain x",
                               "te xt/plain",
                               "text/pl\"ain",
                               "text//plain"};
    for (size_t i = 0; i < sizeof bad_media / sizeof *bad_media; i++)
        CHECK_INT(split(bad_media[i], true, h, p), KILN_EPARSE);
    CHECK_INT(split("form-data/x", false, h, p), KILN_EPARSE);
    CHECK_INT(split("", false, h, p), KILN_EPARSE);
    kiln_str hh, pp;
    CHECK_INT(http_media_split(KILN_STR_NULL, true, &hh, &pp), KILN_EPARSE);
}

/* Lists the parameters of params as "name=value|..." (values decoded), or
 * "ERR" at a malformed list. */
static const char *params_of(const char *params)
{
    static char out[512];
    http_param_iter it = {params, params + strlen(params)};
    kiln_str name, raw;
    int rc;
    size_t k = 0;
    out[0] = '\0';
    while ((rc = http_param_next(&it, &name, &raw)) == 1) {
        char v[256];
        CHECK(raw.n < sizeof v);
        http_param_unquote(raw, v);
        k += (size_t)snprintf(out + k, sizeof out - k, "%.*s=%s|", (int)name.n,
                              name.p, v);
    }
    if (rc < 0) {
        /* the iterator stays at the error */
        CHECK_INT(http_param_next(&it, &name, &raw), KILN_EPARSE);
        return "ERR";
    }
    return out;
}

TEST(media_params)
{
    CHECK_STR(params_of(""), "");
    CHECK_STR(params_of("; a=1"), "a=1|");
    CHECK_STR(params_of(";a=1;b=\"x y\""), "a=1|b=x y|");
    /* empty parameters are skipped; BWS around '=' is accepted */
    CHECK_STR(params_of(" ; ; a = 1 ;;b=2; "), "a=1|b=2|");
    CHECK_STR(params_of("; name=\"\""), "name=|");
    /* escapes: only \" and \\; any other backslash is literal */
    CHECK_STR(params_of("; f=\"a\\\"b\""), "f=a\"b|");
    CHECK_STR(params_of("; f=\"a\\\\b\""), "f=a\\b|");
    CHECK_STR(params_of("; f=\"C:\\dir\\f.txt\""), "f=C:\\dir\\f.txt|");
    /* UTF-8 bytes in a quoted string are kept */
    CHECK_STR(params_of("; f=\"na\xc3\xafve.txt\""), "f=na\xc3\xafve.txt|");
    CHECK_STR(params_of("; filename*=UTF-8''%E2%82%AC"),
              "filename*=UTF-8''%E2%82%AC|");
    const char *bad[] = {
        "x",         "; a",           "; a=",       "; =1",     "; a=\"unterm",
        "; a=1 b=2", "; a=\"x\x01\"", "; a=x\"y\"", "; a=\x7f", "; a=1,b=2",
        "; a b=1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (strcmp(params_of(bad[i]), "ERR") != 0)
            test_fail(__FILE__, __LINE__, "'%s' was accepted: %s", bad[i],
                      params_of(bad[i]));
}

static const char *ext(const char *raw)
{
    static char out[256];
    size_t n = 0;
    if (http_param_ext_decode(kiln_str_c(raw), out, &n) != 0)
        return "ERR";
    CHECK_INT(n, strlen(out));
    return out;
}

TEST(media_ext_value)
{
    CHECK_STR(ext("UTF-8''%E2%82%AC%20rates.txt"), "\xe2\x82\xac rates.txt");
    CHECK_STR(ext("utf-8'en'a%2Fb"), "a/b");
    CHECK_STR(ext("UTF-8''"), "");
    /* ISO-8859-1 becomes UTF-8 */
    CHECK_STR(ext("iso-8859-1''caf%E9"), "caf\xc3\xa9");
    CHECK_STR(ext("ISO-8859-1''plain"), "plain");
    const char *bad[] = {"koi8-r''x",  "UTF-8''%2",  "UTF-8''%zz", "UTF-8''a b",
                         "UTF-8''%00", "UTF-8''%0A", "UTF-8'x",    "x",
                         "''abc",      "UTF-8''a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (strcmp(ext(bad[i]), "ERR") != 0)
            test_fail(__FILE__, __LINE__, "'%s' was accepted", bad[i]);
}

/* ---- multipart: the transcript ----------------------------------------- */

/* A transcript of a parse: events as text, a part's data bytes as one
 * hex-free run (data of one part in any number of events is joined). */
typedef struct transcript {
    kiln_buf t;
    bool in_data;
} transcript;

static void tr_event(transcript *tr, const http_multipart *m, int ev,
                     kiln_str data)
{
    kiln_buf *b = &tr->t;
    if (ev == HTTP_MP_DATA) {
        CHECK(data.n > 0);
        if (!tr->in_data)
            kiln_buf_puts(b, "DATA[");
        tr->in_data = true;
        kiln_buf_append(b, data.p, data.n);
        return;
    }
    if (tr->in_data)
        kiln_buf_puts(b, "]\n");
    tr->in_data = false;
    if (ev == HTTP_MP_PART) {
        const http_mp_part *p = &m->part;
        CHECK(p->name.p && p->name.p[p->name.n] == '\0');
        kiln_buf_printf(b, "PART name=%s", p->name.p);
        if (p->filename.p) {
            CHECK(p->filename.p[p->filename.n] == '\0');
            kiln_buf_printf(b, " filename=%s", p->filename.p);
        }
        if (p->content_type.p)
            kiln_buf_printf(b, " type=%s", p->content_type.p);
        kiln_buf_puts(b, "\n");
    } else if (ev == HTTP_MP_PART_END) {
        kiln_buf_puts(b, "END\n");
    } else if (ev == HTTP_MP_DONE) {
        kiln_buf_puts(b, "DONE\n");
    } else if (ev < 0) {
        kiln_buf_printf(b, "ERR %d\n", ev);
    }
}

/* Parses body[0..n) in pieces (the first `first` bytes long, then `step`),
 * into a transcript (NUL-terminated; the caller frees it with
 * kiln_buf_deinit). */
static kiln_buf parse_pieces(const char *ct, const char *body, size_t n,
                             size_t first, size_t step, unsigned max_parts)
{
    static http_multipart m;
    transcript tr = {{0}, false};
    kiln_buf_init(&tr.t);
    int rc = http_multipart_init(&m, kiln_str_c(ct), max_parts);
    if (rc) {
        kiln_buf_printf(&tr.t, "INIT %d\n", rc);
        return tr.t;
    }
    size_t off = 0;
    int ev = 0;
    while (off < n && ev >= 0) {
        size_t k = off == 0 ? first : step;
        if (k > n - off)
            k = n - off;
        /* a private copy, so ASan sees a read past the slice */
        char *piece = malloc(k ? k : 1);
        CHECK(piece != NULL);
        memcpy(piece, body + off, k);
        const char *p = piece;
        size_t left = k;
        while (left) {
            size_t used = 0;
            kiln_str data;
            ev = http_multipart_feed(&m, p, left, &used, &data);
            CHECK(used <= left);
            if (ev < 0) {
                tr_event(&tr, &m, ev, data);
                break;
            }
            if (ev == HTTP_MP_MORE)
                CHECK_INT(used, left);
            else
                tr_event(&tr, &m, ev, data);
            if (ev == HTTP_MP_DATA && data.p >= piece && data.p < piece + k)
                CHECK(data.p + data.n <= piece + k);
            p += used;
            left -= used;
        }
        free(piece);
        off += k;
    }
    if (ev >= 0) {
        int fin = http_multipart_finish(&m);
        if (fin)
            tr_event(&tr, &m, fin, KILN_STR_NULL);
        else if (tr.in_data)
            tr_event(&tr, &m, HTTP_MP_MORE, KILN_STR_NULL);
    }
    if (tr.in_data)
        kiln_buf_puts(&tr.t, "]\n");
    if (!tr.t.p)
        kiln_buf_puts(&tr.t, "");
    return tr.t;
}

/* True when two transcripts hold the same bytes. */
static bool same(const kiln_buf *a, const kiln_buf *b)
{
    return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Parses body whole, in every two-piece split (sampled for long bodies)
 * and byte by byte; all must agree. Returns the transcript (static). */
static const char *run_n(int line, const char *ct, const char *body, size_t n,
                         unsigned max_parts)
{
    static kiln_buf last;
    kiln_buf_deinit(&last);
    last = parse_pieces(ct, body, n, n, n, max_parts);
    size_t stepk = n > 600 ? n / 200 : 1;
    for (size_t cut = 1; cut < n; cut += stepk) {
        kiln_buf t = parse_pieces(ct, body, n, cut, n, max_parts);
        if (!same(&t, &last))
            test_fail(__FILE__, line, "split at %zu differs:\n%s\nwhole:\n%s",
                      cut, t.p, last.p);
        kiln_buf_deinit(&t);
    }
    kiln_buf t = parse_pieces(ct, body, n, 1, 1, max_parts);
    if (!same(&t, &last))
        test_fail(__FILE__, line, "byte by byte differs:\n%s\nwhole:\n%s", t.p,
                  last.p);
    kiln_buf_deinit(&t);
    return last.p;
}

#define CT "multipart/form-data; boundary=XyZ"
#define RUN(body) run_n(__LINE__, CT, body, sizeof(body) - 1, 0)
#define RUN_CT(ct, body) run_n(__LINE__, ct, body, sizeof(body) - 1, 0)

/* ---- multipart: cases --------------------------------------------------- */

TEST(multipart_browser_form)
{
    /* what a browser sends for text fields, a repeated name and a file */
    static const char ct[] = "multipart/form-data; "
                             "boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";
    static const char body[] =
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"title\"\r\n"
        "\r\n"
        "Hello, world\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"tag\"\r\n"
        "\r\n"
        "a\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"tag\"\r\n"
        "\r\n"
        "b\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
        "Content-Disposition: form-data; name=\"doc\"; "
        "filename=\"notes.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "line 1\r\nline 2\r\n\r\n"
        "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";
    CHECK_STR(RUN_CT(ct, body), "PART name=title\n"
                                "DATA[Hello, world]\n"
                                "END\n"
                                "PART name=tag\n"
                                "DATA[a]\n"
                                "END\n"
                                "PART name=tag\n"
                                "DATA[b]\n"
                                "END\n"
                                "PART name=doc filename=notes.txt "
                                "type=text/plain\n"
                                "DATA[line 1\r\nline 2\r\n]\n"
                                "END\n"
                                "DONE\n");
}

TEST(multipart_preamble_epilogue_padding)
{
    CHECK_STR(RUN("this is a preamble\r\n--XyX not it\r\n"
                  "--XyZ\r\n"
                  "Content-Disposition: form-data; name=a\r\n\r\n"
                  "1\r\n--XyZ  \t\r\n"
                  "content-disposition: FORM-DATA; NAME=b\r\n\r\n"
                  "2\r\n--XyZ--  and an epilogue\r\n--XyZ\r\ngarbage"),
              "PART name=a\nDATA[1]\nEND\nPART name=b\nDATA[2]\nEND\nDONE\n");
    /* the first boundary without a preamble, or after a bare CRLF */
    CHECK_STR(RUN("\r\n--XyZ\r\nContent-Disposition: form-data; "
                  "name=a\r\n\r\nx\r\n--XyZ--"),
              "PART name=a\nDATA[x]\nEND\nDONE\n");
    /* no parts at all: what a browser sends for an empty form */
    CHECK_STR(RUN("--XyZ--\r\n"), "DONE\n");
    /* a quoted boundary; other parameters are ignored */
    CHECK_STR(RUN_CT("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"",
                     "--a b\r\nContent-Disposition: form-data; name=q\r\n\r\n"
                     "v\r\n--a b--"),
              "PART name=q\nDATA[v]\nEND\nDONE\n");
}

TEST(multipart_data_near_boundaries)
{
    /* CRs, CRLFs, "--" and prefixes of the delimiter inside the data are
       data; so is an empty part */
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                  "\r\r\n\r\n-\r\n--\r\n--X\r\n--Xy\r\n--XY\r\n--XyZ\r\n"
                  "Content-Disposition: form-data; name=e\r\n\r\n"
                  "\r\n--XyZ\r\n"
                  "Content-Disposition: form-data; name=z\r\n\r\n"
                  "\r\n--Xy\r\n--XyZ--"),
              "PART name=a\nDATA[\r\r\n\r\n-\r\n--\r\n--X\r\n--Xy\r\n--XY]\n"
              "END\nPART name=e\nEND\nPART name=z\nDATA[\r\n--Xy]\nEND\n"
              "DONE\n");
    /* NUL and high bytes pass through */
    static const char bin[] = "--XyZ\r\nContent-Disposition: form-data; "
                              "name=b; filename=b.bin\r\n\r\n"
                              "\x00\xff\r\x00\r\n--XyZ--";
    static const char want[] = "PART name=b filename=b.bin\nDATA[\x00\xff\r"
                               "\x00]\nEND\nDONE\n";
    const char *t = RUN(bin);
    CHECK(memcmp(t, want, sizeof want) == 0);
}

TEST(multipart_filenames)
{
#define ONE(disp)                                                              \
    RUN("--XyZ\r\nContent-Disposition: form-data; name=f; " disp               \
        "\r\n\r\nx\r\n--XyZ--")
    CHECK_STR(ONE("filename=\"a b.txt\""),
              "PART name=f filename=a b.txt\nDATA[x]\nEND\nDONE\n");
    /* folders are removed, whatever the separator */
    CHECK_STR(ONE("filename=\"C:\\Users\\x\\y.txt\""),
              "PART name=f filename=y.txt\nDATA[x]\nEND\nDONE\n");
    CHECK_STR(ONE("filename=\"../../etc/passwd\""),
              "PART name=f filename=passwd\nDATA[x]\nEND\nDONE\n");
    CHECK_STR(ONE("filename=\"..\""),
              "PART name=f filename=\nDATA[x]\nEND\nDONE\n");
    CHECK_STR(ONE("filename=\"dir/.\""),
              "PART name=f filename=\nDATA[x]\nEND\nDONE\n");
    CHECK_STR(ONE("filename=\"\""),
              "PART name=f filename=\nDATA[x]\nEND\nDONE\n");
    CHECK_STR(ONE("filename=plain.txt"),
              "PART name=f filename=plain.txt\nDATA[x]\nEND\nDONE\n");
    /* raw UTF-8, and %22 kept as sent */
    CHECK_STR(ONE("filename=\"r\xc3\xa9sum\xc3\xa9 %22x%22.pdf\""),
              "PART name=f filename=r\xc3\xa9sum\xc3\xa9 %22x%22.pdf\n"
              "DATA[x]\nEND\nDONE\n");
    /* filename* wins, in either order */
    CHECK_STR(ONE("filename=\"EUR rates.txt\"; "
                  "filename*=UTF-8''%E2%82%AC%20rates.txt"),
              "PART name=f filename=\xe2\x82\xac rates.txt\nDATA[x]\nEND\n"
              "DONE\n");
    CHECK_STR(ONE("filename*=UTF-8''..%2F..%2Fx; filename=\"y\""),
              "PART name=f filename=x\nDATA[x]\nEND\nDONE\n");
    CHECK_STR(ONE("filename*=UTF-8''a%00b"), "ERR -6\n");
    CHECK_STR(ONE("filename=a; filename=b"), "ERR -6\n");
#undef ONE
}

TEST(multipart_errors)
{
    const char *part = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                       "\r\nx\r\n--XyZ--";
    size_t pn = strlen(part);
    /* not a form, or no usable boundary */
    CHECK_STR(run_n(__LINE__, "application/json", part, pn, 0), "INIT -1\n");
    CHECK_STR(run_n(__LINE__, "multipart/mixed; boundary=XyZ", part, pn, 0),
              "INIT -1\n");
    CHECK_STR(run_n(__LINE__, "multipart/form-data", part, pn, 0), "INIT -2\n");
    CHECK_STR(run_n(__LINE__, "multipart/form-data; boundary=", part, pn, 0),
              "INIT -2\n");
    CHECK_STR(
        run_n(__LINE__, "multipart/form-data; boundary=\"\"", part, pn, 0),
        "INIT -2\n");
    CHECK_STR(
        run_n(__LINE__, "multipart/form-data; boundary=\"a \"", part, pn, 0),
        "INIT -2\n");
    CHECK_STR(run_n(__LINE__, "multipart/form-data; boundary=\"a\\\\b\"", part,
                    pn, 0),
              "INIT -2\n");
    CHECK_STR(run_n(__LINE__, "multipart/form-data; boundary=a; boundary=b",
                    part, pn, 0),
              "INIT -2\n");
    char longb[128];
    snprintf(longb, sizeof longb, "multipart/form-data; boundary=%071d", 0);
    CHECK_STR(run_n(__LINE__, longb, part, pn, 0), "INIT -2\n");
    longb[strlen(longb) - 1] = '\0'; /* 70 is fine */
    CHECK(strncmp(run_n(__LINE__, longb, part, pn, 0), "INIT", 4) != 0);

    /* junk after a boundary (also: the boundary inside the data) */
    CHECK_STR(RUN("--XyZx\r\n"), "ERR -3\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                  "1\r\n--XyZZ"),
              "PART name=a\nDATA[1]\nEND\nERR -3\n");
    CHECK_STR(RUN("--XyZ \t-"), "ERR -3\n"); /* "--" after padding */
    CHECK_STR(RUN("--XyZ\r\r"), "ERR -3\n");
    /* headers */
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\n\r\n"),
              "ERR -4\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition : form-data; name=a\r\n\r\n"),
              "ERR -4\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  " folded\r\n\r\n"),
              "ERR -4\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  "Content-Disposition: form-data; name=b\r\n\r\n"),
              "ERR -4\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  "Content-Type: text\r\n\r\n"),
              "ERR -4\n");
    /* a 17th header field */
    char many[2048];
    size_t k = (size_t)snprintf(many, sizeof many,
                                "--XyZ\r\nContent-Disposition: form-data; "
                                "name=a\r\n");
    for (int i = 0; i < 16; i++)
        k += (size_t)snprintf(many + k, sizeof many - k, "X-%d: y\r\n", i);
    k += (size_t)snprintf(many + k, sizeof many - k, "\r\nx\r\n--XyZ--");
    CHECK_STR(run_n(__LINE__, CT, many, k, 0), "ERR -4\n");
    /* a header section over 8 KiB */
    char *big = malloc(HTTP_MP_HEAD_MAX + 200);
    k = (size_t)sprintf(big, "--XyZ\r\nContent-Disposition: form-data; "
                             "name=a\r\nX-Big: ");
    memset(big + k, 'v', HTTP_MP_HEAD_MAX);
    k += HTTP_MP_HEAD_MAX;
    k += (size_t)sprintf(big + k, "\r\n\r\nx\r\n--XyZ--");
    CHECK_STR(run_n(__LINE__, CT, big, k, 0), "ERR -5\n");
    free(big);
    /* Content-Disposition */
    CHECK_STR(RUN("--XyZ\r\n\r\nx\r\n--XyZ--"), "ERR -6\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--"),
              "ERR -6\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n"),
              "ERR -6\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data\r\n\r\n"),
              "ERR -6\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a; "
                  "name=b\r\n\r\n"),
              "ERR -6\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"),
              "ERR -6\n");
    /* Content-Transfer-Encoding */
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\neA==\r\n--XyZ--"),
              "ERR -7\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  "Content-Transfer-Encoding: BINARY\r\n\r\nx\r\n--XyZ--"),
              "PART name=a\nDATA[x]\nEND\nDONE\n");
    /* truncated bodies */
    CHECK_STR(RUN(""), "ERR -9\n");
    CHECK_STR(RUN("just a preamble"), "ERR -9\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n"),
              "ERR -9\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                  "data\r\n--Xy"),
              "PART name=a\nDATA[data]\nERR -9\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                  "data\r\n--XyZ\r\n"),
              "PART name=a\nDATA[data]\nEND\nERR -9\n");
    CHECK_STR(RUN("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                  "data\r\n--XyZ-"),
              "PART name=a\nDATA[data]\nEND\nERR -9\n");
    for (int e = HTTP_MP_ETRUNCATED; e <= HTTP_MP_ENOTFORM; e++)
        CHECK(strlen(http_multipart_strerror(e)) > 10);
}

TEST(multipart_max_parts)
{
    static const char body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--XyZ--";
    CHECK_STR(run_n(__LINE__, CT, body, sizeof body - 1, 3),
              "PART name=a\nDATA[1]\nEND\nPART name=b\nDATA[2]\nEND\n"
              "PART name=c\nDATA[3]\nEND\nDONE\n");
    CHECK_STR(run_n(__LINE__, CT, body, sizeof body - 1, 2),
              "PART name=a\nDATA[1]\nEND\nPART name=b\nDATA[2]\nEND\n"
              "ERR -8\n");
}

TEST(multipart_errors_stick)
{
    static http_multipart m;
    CHECK_INT(http_multipart_init(&m, KILN_STR(CT), 0), 0);
    size_t used;
    kiln_str d;
    CHECK_INT(http_multipart_feed(&m, "--XyZ!", 6, &used, &d),
              HTTP_MP_EDELIMITER);
    CHECK_INT(http_multipart_feed(&m, "\r\n", 2, &used, &d),
              HTTP_MP_EDELIMITER);
    CHECK_INT(http_multipart_finish(&m), HTTP_MP_EDELIMITER);
    /* a failed init leaves a parser that refuses input */
    CHECK_INT(http_multipart_init(&m, KILN_STR("text/plain"), 0),
              HTTP_MP_ENOTFORM);
    CHECK_INT(http_multipart_feed(&m, "x", 1, &used, &d), HTTP_MP_ENOTFORM);
}

/* ---- multipart: property test -------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Appends random data that likes the bytes of a delimiter. */
static void random_data_once(kiln_buf *b, size_t n, const char *bnd)
{
    static const char *bits[] = {"\r", "\n", "\r\n", "-", "--", "\r\n--"};
    while (n > 0) {
        unsigned r = (unsigned)(rnd() % 10);
        if (r < 4) {
            kiln_buf_putc(b, (char)(rnd() & 0xff));
            n--;
        } else if (r < 8) {
            const char *s = bits[rnd() % 6];
            kiln_buf_puts(b, s);
            n -= n < strlen(s) ? n : strlen(s);
        } else {
            /* a prefix of the boundary, never the whole of it */
            size_t k = 1 + rnd() % (strlen(bnd) - 1);
            kiln_buf_puts(b, "\r\n--");
            kiln_buf_append(b, bnd, k);
            n -= n < k ? n : k;
        }
    }
}

/* Appends random data that likes the bytes of a delimiter but never holds
 * the delimiter itself (a sender must not let it appear in data). */
static void random_data(kiln_buf *b, size_t n, const char *bnd,
                        const char *delim)
{
    size_t start = b->n;
    for (;;) {
        random_data_once(b, n, bnd);
        if (!memmem(b->p + start, b->n - start, delim, strlen(delim)))
            return;
        b->n = start; /* drawn by chance: again */
        b->p[start] = '\0';
    }
}

TEST(multipart_random_bodies_random_splits)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    const char *bnd = "----kilnB0undary7";
    char ct[128];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", bnd);
    char delim[64];
    snprintf(delim, sizeof delim, "\r\n--%s", bnd);
    for (int iter = 0; iter < 2000; iter++) {
        kiln_buf body, want;
        kiln_buf_init(&body);
        kiln_buf_init(&want);
        if (rnd() % 2)
            kiln_buf_puts(&body, "preamble \r\n--nope\r\n");
        int nparts = (int)(rnd() % 5);
        for (int i = 0; i < nparts; i++) {
            bool file = rnd() % 2;
            bool crlf = i > 0 || rnd() % 2;
            kiln_buf_printf(&body, "%s--%s\r\n", crlf ? "\r\n" : "", bnd);
            kiln_buf_printf(&body,
                            "Content-Disposition: form-data; name=\"f%d\"", i);
            kiln_buf_printf(&want, "PART name=f%d", i);
            if (file) {
                kiln_buf_printf(&body, "; filename=\"dir/file%d.bin\"", i);
                kiln_buf_printf(&want, " filename=file%d.bin", i);
                kiln_buf_puts(&body, "\r\nContent-Type: application/x-test");
                kiln_buf_puts(&want, " type=application/x-test");
            }
            kiln_buf_puts(&body, "\r\n\r\n");
            kiln_buf_puts(&want, "\n");
            size_t before = body.n;
            size_t most = rnd() % 4 == 0 ? 3000 : 40; /* (one call each:
                                                         order matters) */
            size_t len = rnd() % most;
            random_data(&body, len, bnd, delim);
            if (body.n > before) {
                kiln_buf_puts(&want, "DATA[");
                kiln_buf_append(&want, body.p + before, body.n - before);
                kiln_buf_puts(&want, "]\n");
            }
            kiln_buf_puts(&want, "END\n");
        }
        if (nparts == 0)
            kiln_buf_printf(&body, "--%s--", bnd);
        else
            kiln_buf_printf(&body, "\r\n--%s--", bnd);
        kiln_buf_puts(&want, "DONE\n");
        if (rnd() % 2)
            kiln_buf_puts(&body, "\r\nepilogue\r\n");
        /* whole, then three random splits with random step sizes */
        for (int s = 0; s < 4; s++) {
            size_t first = s == 0 ? body.n : 1 + rnd() % body.n;
            size_t step = s == 0 ? body.n : 1 + rnd() % (s == 3 ? 3 : 97);
            kiln_buf t = parse_pieces(ct, body.p, body.n, first, step, 0);
            if (!same(&t, &want))
                test_fail(__FILE__, __LINE__,
                          "iteration %d, first %zu, step %zu:\n%s\nwant:\n%s",
                          iter, first, step, t.p, want.p);
            kiln_buf_deinit(&t);
        }
        kiln_buf_deinit(&body);
        kiln_buf_deinit(&want);
    }
}
