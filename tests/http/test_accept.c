/*
 * tests/http/test_accept.c - content negotiation on Accept (src/http/
 * accept.c): q-values, specificity, wildcards, q=0 exclusions, parameters,
 * malformed elements and several field lines; what error pages use to
 * choose HTML or problem+json.
 */
#include "test.h"

#include "http/accept.h"

/* The weight the single field value `field` gives type (-1: no range). */
static int q_of(const char *field, const char *type)
{
    http_accept_rank r = {-1, 0};
    http_accept_rate(kiln_str_c(field), type, &r);
    return r.q;
}

static bool html(const char *field)
{
    kiln_str f = kiln_str_c(field);
    return http_accept_prefers_html(&f, 1);
}

TEST(qvalue_grammar)
{
    static const struct {
        const char *in;
        int q; /* -1: rejected */
    } cases[] = {
        {"0", 0},     {"1", 1000},    {"0.5", 500},   {"0.05", 50},
        {"0.005", 5}, {"0.123", 123}, {"1.", 1000},   {"1.000", 1000},
        {"0.", 0},    {"0.000", 0},   {"1.001", -1},  {"0.1234", -1},
        {"2", -1},    {".5", -1},     {"", -1},       {"0,5", -1},
        {"-0", -1},   {"0.5 ", -1},   {"1.0000", -1}, {"01", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int q = -7;
        int rc = http_qvalue_parse(kiln_str_c(cases[i].in), &q);
        if (cases[i].q < 0) {
            if (rc != -1)
                test_fail(__FILE__, __LINE__, "qvalue '%s' accepted as %d",
                          cases[i].in, q);
        } else if (rc != 0 || q != cases[i].q) {
            test_fail(__FILE__, __LINE__, "qvalue '%s': rc %d q %d, want %d",
                      cases[i].in, rc, q, cases[i].q);
        }
    }
}

TEST(most_specific_range_wins)
{
    /* RFC 9110 12.5.1's example */
    const char *f = "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed,"
                    " text/plain;format=fixed;q=0.4, */*;q=0.5";
    CHECK_INT(q_of(f, "text/plain"), 700); /* format=... ranges: no match */
    CHECK_INT(q_of(f, "text/html"), 300);
    CHECK_INT(q_of(f, "image/jpeg"), 500);
    /* order does not matter, specificity does */
    CHECK_INT(q_of("*/*;q=0.1, text/html", "text/html"), 1000);
    CHECK_INT(q_of("text/html;q=0.2, */*", "text/html"), 200);
    CHECK_INT(q_of("text/html;q=0.2, text/*;q=0.9", "text/html"), 200);
    /* the first of equally specific ranges */
    CHECK_INT(q_of("text/html;q=0.4, text/html;q=0.6", "text/html"), 400);
    /* nothing matches: -1 (the caller reads it as not acceptable) */
    CHECK_INT(q_of("image/png", "text/html"), -1);
    CHECK_INT(q_of("", "text/html"), -1);
    /* names compare without case */
    CHECK_INT(q_of("TEXT/HTML;Q=0.5", "text/html"), 500);
    /* charset=utf-8 is what Kiln sends: matches, more specifically */
    CHECK_INT(
        q_of("text/html;q=0.1, text/html;charset=\"UTF-8\";q=0.9", "text/html"),
        900);
    CHECK_INT(q_of("text/html;charset=latin1", "text/html"), -1);
    CHECK_INT(q_of("text/html;level=1;q=0.9, text/*;q=0.2", "text/html"), 200);
    /* parameters after the weight are extensions, ignored */
    CHECK_INT(q_of("text/html;q=0.3;ext=1", "text/html"), 300);
}

TEST(malformed_elements_are_skipped)
{
    CHECK_INT(q_of("text/html;q=2, */*;q=0.4", "text/html"), 400);
    CHECK_INT(q_of("text/html;q=abc, text/*;q=0.1", "text/html"), 100);
    CHECK_INT(q_of("*/html, */*;q=0.3", "text/html"), 300);
    CHECK_INT(q_of("texthtml, text/, /html, text/html", "text/html"), 1000);
    CHECK_INT(q_of("text/html q=0.5", "text/html"), -1);
    CHECK_INT(q_of("text/html;=x, text/plain", "text/html"), -1);
    CHECK_INT(q_of("text/html;a, text/*;q=0.2", "text/html"), 200);
    /* a comma inside a quoted value does not split; an unclosed quote
       spoils the rest of the field only */
    CHECK_INT(q_of("text/html;x=\"a,b\";q=0.5, text/*;q=0.2", "text/html"),
              200);
    CHECK_INT(q_of("text/*;q=0.6, text/html;x=\"a,b", "text/html"), 600);
    CHECK_INT(q_of("text/plain;x=\"a\\\"b,\", text/html;q=0.7", "text/html"),
              700);
    /* empty list elements and whitespace */
    CHECK_INT(q_of(" , ,\t text/html ;\tq=0.8 ,", "text/html"), 800);
    CHECK_INT(q_of("text/html;;q=0.8", "text/html"), 800);
}

TEST(html_preferred_by_browsers_only)
{
    /* browsers' navigation requests */
    CHECK(html("text/html,application/xhtml+xml,application/xml;q=0.9,"
               "image/avif,image/webp,image/apng,*/*;q=0.8,"
               "application/signed-exchange;v=b3;q=0.7"));
    CHECK(html("text/html,application/xhtml+xml,application/xml;q=0.9,"
               "*/*;q=0.8"));
    CHECK(html("text/*"));
    CHECK(html("text/html;q=0.5, application/json;q=0.4"));
    /* JSON clients, curl, fetch(), no preference */
    CHECK(!html("*/*"));
    CHECK(!html("application/json"));
    CHECK(!html("application/problem+json"));
    CHECK(!html("application/json, text/html;q=0.9"));
    CHECK(!html("text/html;q=0.5, application/json;q=0.5")); /* a tie */
    CHECK(!html("text/html;q=0.5, application/*;q=0.6"));
    CHECK(!html("text/html;q=0.5, */*;q=0.6"));
    CHECK(!html(""));
    CHECK(!html("text/plain"));
    CHECK(!html("image/*"));
    /* q=0 excludes */
    CHECK(!html("text/html;q=0, */*"));
    CHECK(!html("text/html;q=0"));
    CHECK(!html("text/*;q=0, application/json;q=0"));
    CHECK(html("text/html, application/json;q=0"));
    CHECK(html("*/*, application/json;q=0, application/problem+json;q=0"));
    CHECK(!html("*/*, application/json;q=0"));
    /* no Accept at all: everything equally, so JSON */
    CHECK(!http_accept_prefers_html(NULL, 0));
    /* several field lines are one list */
    kiln_str two[] = {KILN_STR("application/json;q=0.2"),
                      KILN_STR("text/html")};
    CHECK(http_accept_prefers_html(two, 2));
    kiln_str excl[] = {KILN_STR("text/html"), KILN_STR("*/*"),
                       KILN_STR("text/html;charset=utf-8;q=0")};
    CHECK(!http_accept_prefers_html(excl, 3));
}
