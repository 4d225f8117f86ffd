/*
 * schema/body.c - kiln_decode_body: a handler's whole input path in one
 * call. The Content-Type chooses the decoder (JSON, urlencoded or
 * multipart form); every failure is answered here with the error contract
 * (400 with the byte offset for JSON that does not parse, 413, 415, 422
 * with every failing field), so the handler only returns 0.
 */
#include <kiln.h>

#include <string.h>
#include <strings.h>

/* The media type of a Content-Type value (lower-cased into out) and
   whether its charset parameter, when any, is UTF-8. */
static void media_type(kiln_str ct, char *out, size_t n, bool *utf8)
{
    size_t i = 0, o = 0;
    while (i < ct.n && (ct.p[i] == ' ' || ct.p[i] == '\t'))
        i++;
    while (i < ct.n && ct.p[i] != ';' && ct.p[i] != ' ' && ct.p[i] != '\t') {
        char ch = ct.p[i++];
        if (o + 1 < n)
            out[o++] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    out[o] = '\0';
    *utf8 = true;
    /* parameters: ; name=value (value maybe quoted) */
    while (i < ct.n) {
        while (i < ct.n && (ct.p[i] == ';' || ct.p[i] == ' ' || ct.p[i] == '\t'))
            i++;
        size_t ks = i;
        while (i < ct.n && ct.p[i] != '=' && ct.p[i] != ';')
            i++;
        size_t kn = i - ks;
        if (i >= ct.n || ct.p[i] != '=')
            continue;
        i++;
        size_t vs = i;
        bool q = i < ct.n && ct.p[i] == '"';
        if (q)
            vs = ++i;
        while (i < ct.n && (q ? ct.p[i] != '"' : ct.p[i] != ';'))
            i++;
        size_t vn = i - vs;
        if (q && i < ct.n)
            i++;
        while (vn && (ct.p[vs + vn - 1] == ' ' || ct.p[vs + vn - 1] == '\t'))
            vn--;
        if (kn == 7 && strncasecmp(ct.p + ks, "charset", 7) == 0)
            *utf8 = (vn == 5 && strncasecmp(ct.p + vs, "utf-8", 5) == 0) ||
                    (vn == 4 && strncasecmp(ct.p + vs, "utf8", 4) == 0);
    }
}

/* application/json, or any application/...+json (merge-patch+json...). */
static bool is_json(const char *t)
{
    size_t n = strlen(t);
    return strcmp(t, "application/json") == 0 ||
           (strncmp(t, "application/", 12) == 0 && n > 17 &&
            strcmp(t + n - 5, "+json") == 0);
}

bool kiln_decode_body(kiln_ctx *c, const kiln_model *m,
                      const kiln_decode_opts *o, void *out,
                      kiln_fieldset *given)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_errors errs;
    kiln_errors_init(&errs, a);
    kiln_str ct = kiln_header(c, "Content-Type");
    char type[96];
    bool utf8 = true;
    if (ct.p)
        media_type(ct, type, sizeof type, &utf8);
    else
        type[0] = '\0';
    int rc;
    if (!ct.p || is_json(type)) {
        kiln_str body = kiln_body(c);
        if (!ct.p && body.n) {
            kiln_problem(c, 415,
                         "the body has no Content-Type: send "
                         "application/json, a form or multipart/form-data");
            return false;
        }
        if (!utf8) {
            kiln_problem(c, 415, "JSON is read as UTF-8 only");
            return false;
        }
        if (!body.n) /* nothing at all: an empty object (PATCH: no change) */
            body = KILN_STR("{}");
        kiln_json_error je;
        memset(&je, 0, sizeof je);
        rc = kiln_decode_json(m, body.p, body.n, o, a, out, given, &errs, &je);
        if (rc == KILN_EPARSE) {
            kiln_problem(c, 400, "the body is not valid JSON: %s at byte %zu",
                         je.msg, je.offset);
            return false;
        }
        if (rc == KILN_ELIMIT) {
            kiln_problem(c, 400, "the body is nested too deeply");
            return false;
        }
    } else if (strcmp(type, "application/x-www-form-urlencoded") == 0 ||
               strcmp(type, "multipart/form-data") == 0) {
        const kiln_form_field *fields = NULL;
        size_t n = 0;
        rc = kiln_form_fields(c, &fields, &n);
        if (rc != 0) {
            kiln_form_fail(c, rc);
            return false;
        }
        rc = kiln_decode_form(m, fields, n, o, a, out, given, &errs);
    } else {
        kiln_problem(c, 415,
                     "a body of type %s is not taken here: send "
                     "application/json, a form or multipart/form-data",
                     type[0] ? type : "(none)");
        return false;
    }
    if (rc == KILN_EINVAL) {
        kiln_problem_errors(c, 422, &errs, NULL);
        return false;
    }
    if (rc != 0) {
        kiln_problem(c, 500, "the body could not be read (%s)",
                     kiln_strerror(rc));
        return false;
    }
    return true;
}
