/*
 * http/accept.h - content negotiation on the Accept field (RFC 9110
 * 12.5.1): which of the representations Kiln can send for an error (an
 * HTML page or problem+json) a client prefers. A pure unit over bytes: no
 * I/O, no allocation, any input accepted (fuzz/fuzz_accept.c).
 *
 * (In these comments ANY stands for the wildcard '*', as a C comment
 * cannot hold the characters of "text/" followed by '*'.)
 *
 * A media type's weight is the q-value of the most specific media range
 * that matches it ("text/html" over "text/ANY" over "ANY/ANY", a range
 * with a matching parameter over one without); a type no range matches has
 * weight 0 ("not acceptable"), and a field that is absent accepts
 * everything equally. Malformed elements (no '/', a '*' type with a
 * subtype, a q-value outside the grammar, unbalanced quotes) are skipped,
 * the rest of the field still counts.
 */
#ifndef KILN_HTTP_ACCEPT_H
#define KILN_HTTP_ACCEPT_H

#include <kiln/core.h>

/** The rank an Accept field gives one media type. */
typedef struct http_accept_rank {
    int q;    /**< weight 0..1000 (q=0.5 is 500); -1 while no range matched */
    int spec; /**< specificity of the range that set q: 1 for "ANY/ANY", 2
                   for "type/ANY", 3 for "type/subtype", plus 1 per parameter
                   it names (and the type has) */
} http_accept_rank;

/**
 * Rates media type `type` (lower case "type/subtype", no parameters, sent
 * with charset=utf-8) against one Accept field value, updating *r when a
 * range of the value matches more specifically than the one that set it
 * (the first of equally specific ranges wins). A range with a parameter
 * other than charset=utf-8 (before q) does not match. Start with
 * r->q = -1, r->spec = 0 and call once per Accept field line.
 */
void http_accept_rate(kiln_str field, const char *type, http_accept_rank *r);

/**
 * True when the Accept field lines fields[0..n) weigh text/html above zero
 * and above both application/json and application/problem+json: a browser
 * (text/html,...,ANY/ANY;q=0.8), not a JSON client, curl (ANY/ANY: a tie
 * goes to JSON) or a request without Accept (n == 0).
 */
bool http_accept_prefers_html(const kiln_str *fields, size_t n);

/**
 * Parses a qvalue (RFC 9110 12.4.2: "0", "0.5", "1.000"...) into 0..1000.
 * Returns 0, or -1 when s is not one.
 */
int http_qvalue_parse(kiln_str s, int *out);

#endif
