/*
 * auth/me.c - the current user as JSON (GET /api/auth/me) and the current
 * user's API tokens (GET/POST /api/auth/tokens, DELETE
 * /api/auth/tokens/{id}); docs/auth.md.
 */
#include "auth/auth_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ms since the epoch as RFC 3339 UTC, or null for 0 */
static int put_time(kiln_buf *b, int64_t ms)
{
    if (ms <= 0)
        return kiln_buf_puts(b, "null");
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return kiln_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                           tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

int auth_user_json(kiln_ctx *c, const kiln_user *u, kiln_buf *b)
{
    int rc = kiln_json_format(
        b,
        "{id: %lld, username: %s, email: %s, name: %s, active: %b, "
        "staff: %b, superuser: %b, roles: [",
        (long long)u->id, *u->username ? u->username : NULL, u->email, u->name,
        u->active, u->staff, u->superuser);
    for (size_t i = 0; rc == 0 && i < u->nroles; i++) {
        if (i)
            rc = kiln_buf_putc(b, ',');
        if (rc == 0)
            rc = kiln_json_put_str(b, u->roles[i], strlen(u->roles[i]));
    }
    /* permissions: filled by the permissions module when it is linked
       (auth_set_permissions_fn); an empty list until then */
    if (rc == 0)
        rc = kiln_buf_puts(b, "],\"permissions\":[");
    auth_perms_fn perms = auth_permissions_fn();
    if (rc == 0 && perms)
        rc = perms(c, u, b);
    if (rc == 0)
        rc = kiln_buf_puts(b, "],\"issuer\":");
    if (rc == 0)
        rc = u->issuer ? kiln_json_put_str(b, u->issuer, strlen(u->issuer))
                       : kiln_buf_puts(b, "null");
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"last_login\":");
    if (rc == 0)
        rc = put_time(b, u->last_login);
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"created\":");
    if (rc == 0)
        rc = put_time(b, u->created);
    if (rc == 0)
        rc = kiln_buf_putc(b, '}');
    return rc;
}

static int send_json(kiln_ctx *c, int status)
{
    kiln_set_status(c, status);
    kiln_set_type(c, "application/json");
    kiln_set_header(c, "Cache-Control", "no-store");
    return kiln_send(c);
}

int auth_me(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_auth_challenge(c, NULL);
    if (auth_user_json(c, u, kiln_body_buf(c)) != 0)
        return KILN_ENOMEM;
    return send_json(c, 200);
}

/* ---- tokens ------------------------------------------------------------- */

static int put_token(kiln_buf *b, const auth_token_row *t)
{
    int rc = kiln_json_format(b, "{id: %lld, name: %s, prefix: %s, created: ",
                              (long long)t->id, t->name, t->prefix);
    if (rc == 0)
        rc = put_time(b, t->created / 1000);
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"expires\":");
    if (rc == 0)
        rc = put_time(b, t->expires / 1000);
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"last_used\":");
    if (rc == 0)
        rc = put_time(b, t->last_used / 1000);
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"revoked\":");
    if (rc == 0)
        rc = put_time(b, t->revoked / 1000);
    if (rc == 0)
        rc = kiln_buf_putc(b, '}');
    return rc;
}

int auth_tokens_list(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_auth_challenge(c, NULL);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    auth_token_row *v;
    int n = auth_token_list(db, kiln_ctx_arena(c), u->id, &v);
    if (n < 0)
        return kiln_db_fail(c, db);
    kiln_buf *b = kiln_body_buf(c);
    int rc = kiln_buf_putc(b, '[');
    for (int i = 0; rc == 0 && i < n; i++) {
        if (i)
            rc = kiln_buf_putc(b, ',');
        if (rc == 0)
            rc = put_token(b, &v[i]);
    }
    if (rc == 0)
        rc = kiln_buf_putc(b, ']');
    return rc ? rc : send_json(c, 200);
}

int auth_duration_parse(kiln_str s, int64_t *seconds)
{
    int64_t n = 0;
    size_t i = 0;
    if (!s.p || s.n == 0)
        return KILN_EPARSE;
    for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
        if (n > INT64_C(100000000))
            return KILN_EPARSE;
        n = n * 10 + (s.p[i] - '0');
    }
    if (i == 0 || n == 0)
        return KILN_EPARSE;
    int64_t unit = 1;
    if (i + 1 == s.n) {
        switch (s.p[i]) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'w':
            unit = 7 * 86400;
            break;
        default:
            return KILN_EPARSE;
        }
    } else if (i != s.n) {
        return KILN_EPARSE;
    }
    *seconds = n * unit;
    if (*seconds > INT64_C(100) * 365 * 86400)
        return KILN_EPARSE; /* a century at most */
    return 0;
}

int auth_tokens_create(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_auth_challenge(c, NULL);
    kiln_json_error jerr;
    const kiln_json *in = kiln_body_json(c, &jerr);
    kiln_errors errs;
    kiln_errors_init(&errs, kiln_ctx_arena(c));
    if (!in || in->type != KILN_JSON_OBJECT) {
        kiln_errors_add(&errs, "", "invalid_json",
                        "the body must be a JSON object");
        return kiln_problem_errors(c, 422, &errs, NULL);
    }
    const kiln_json *name = kiln_json_get(in, "name");
    const kiln_json *exp = kiln_json_get(in, "expires_in");
    const char *nm = "";
    if (name && name->type != KILN_JSON_STRING && name->type != KILN_JSON_NULL)
        kiln_errors_add(&errs, "/name", "type", "name must be a string");
    else if (name && name->type == KILN_JSON_STRING) {
        nm = name->u.string.p;
        if (name->u.string.n > 200)
            kiln_errors_add(&errs, "/name", "max_length",
                            "name must have at most 200 characters");
    }
    int64_t secs = 0;
    if (exp && exp->type == KILN_JSON_STRING) {
        if (auth_duration_parse(exp->u.string, &secs) != 0)
            kiln_errors_add(&errs, "/expires_in", "invalid",
                            "expires_in is a duration: 3600, \"90m\", "
                            "\"12h\", \"30d\" or \"4w\"");
    } else if (exp && exp->type == KILN_JSON_NUMBER) {
        if (!exp->u.number.is_int || exp->u.number.i <= 0 ||
            exp->u.number.i > INT64_C(100) * 365 * 86400)
            kiln_errors_add(&errs, "/expires_in", "invalid",
                            "expires_in must be a positive number of seconds");
        else
            secs = exp->u.number.i;
    } else if (exp && exp->type != KILN_JSON_NULL) {
        kiln_errors_add(&errs, "/expires_in", "type",
                        "expires_in is seconds or a duration string");
    }
    if (kiln_errors_any(&errs))
        return kiln_problem_errors(c, 422, &errs, NULL);
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    char tok[AUTH_TOKEN_LEN + 1];
    int64_t expires = secs ? (auth_now_ms() + secs * 1000) * 1000 : 0;
    int64_t id = auth_token_create(db, u->id, nm, expires, tok);
    if (id < 0)
        return kiln_db_fail(c, db);
    kiln_buf *b = kiln_body_buf(c);
    int rc = kiln_json_format(
        b, "{id: %lld, name: %s, token: %s, prefix: ", (long long)id, nm, tok);
    if (rc == 0)
        rc = kiln_json_put_str(b, tok + 5, AUTH_TOKEN_PREFIX_LEN);
    if (rc == 0)
        rc = kiln_buf_puts(b, ",\"expires\":");
    if (rc == 0)
        rc = put_time(b, expires / 1000);
    if (rc == 0)
        rc = kiln_buf_putc(b, '}');
    sodium_memzero(tok, sizeof tok);
    return rc ? rc : send_json(c, 201);
}

int auth_tokens_delete(kiln_ctx *c)
{
    const kiln_user *u = kiln_user_current(c);
    if (!u)
        return kiln_auth_challenge(c, NULL);
    int64_t id;
    if (kiln_param_i64(c, "id", &id) != 0 || id <= 0)
        return kiln_problem(c, 404, "no such token");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int rc = auth_token_revoke(db, id, u->id);
    if (rc < 0)
        return kiln_db_fail(c, db);
    if (rc == 0)
        return kiln_problem(c, 404, "no such token");
    return kiln_respond(c, 204, NULL, "", 0);
}
