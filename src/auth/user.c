/*
 * auth/user.c - rows of kiln_user and kiln_user_role (auth/schema.c) in
 * and out: loading a user with its roles, finding one by login, the OIDC
 * sync keyed by (issuer, subject), and the writes the CLI and login make.
 */
#include "auth/auth_impl.h"
#include "auth/cred_cache.h"

#include <stdlib.h>
#include <string.h>

#define USER_COLS AUTH_USER_COLS

static const char *dup(kiln_arena *a, kiln_str s)
{
    return kiln_arena_strndup(a, s.p ? s.p : "", s.p ? s.n : 0);
}

/* Fills u from the current row of a SELECT USER_COLS (from column b on);
 *pw gets the hash. KILN_ENOMEM or 0. */
static int read_user(kiln_rows *r, int b, kiln_arena *a, kiln_user *u,
                     const char **pw)
{
    memset(u, 0, sizeof *u);
    u->id = kiln_row_int(r, b + 0);
    u->username = dup(a, kiln_row_text(r, b + 1));
    u->email = dup(a, kiln_row_text(r, b + 2));
    u->name = dup(a, kiln_row_text(r, b + 3));
    u->active = kiln_row_bool(r, b + 4);
    u->staff = kiln_row_bool(r, b + 5);
    u->superuser = kiln_row_bool(r, b + 6);
    u->issuer =
        kiln_row_is_null(r, b + 7) ? NULL : dup(a, kiln_row_text(r, b + 7));
    u->subject =
        kiln_row_is_null(r, b + 8) ? NULL : dup(a, kiln_row_text(r, b + 8));
    u->last_login =
        kiln_row_is_null(r, b + 9) ? 0 : kiln_row_time(r, b + 9) / 1000;
    u->created = kiln_row_time(r, b + 10) / 1000;
    static const char *const none[] = {NULL};
    u->roles = none;
    if (pw)
        *pw = dup(a, kiln_row_text(r, b + 11));
    if (!u->username || !u->email || !u->name || (pw && !*pw))
        return KILN_ENOMEM;
    return 0;
}

/* Reads the roles of the n users in v (sorted by name). */
static int read_roles(kiln_dbc *db, kiln_arena *a, kiln_user *v, size_t n)
{
    if (n == 0)
        return 0;
    kiln_rows *r =
        n == 1 ? kiln_db_query(db,
                               "SELECT user_id, role FROM kiln_user_role "
                               "WHERE user_id = $1 ORDER BY role",
                               KILN_INT(v[0].id))
               : kiln_db_query(db, "SELECT user_id, role FROM kiln_user_role "
                                   "ORDER BY user_id, role");
    if (!r)
        return KILN_EDB;
    /* collect (user, role) pairs; few users hold more than a handful */
    size_t cap = 0, m = 0;
    struct pair {
        int64_t user;
        const char *role;
    } *pairs = NULL;
    int rc = 0;
    while (kiln_rows_next(r)) {
        if (m == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct pair *np = kiln_arena_alloc(a, nc * sizeof *np);
            if (!np) {
                rc = KILN_ENOMEM;
                break;
            }
            if (m)
                memcpy(np, pairs, m * sizeof *np);
            pairs = np;
            cap = nc;
        }
        pairs[m].user = kiln_row_int(r, 0);
        pairs[m].role = dup(a, kiln_row_text(r, 1));
        if (!pairs[m].role) {
            rc = KILN_ENOMEM;
            break;
        }
        m++;
    }
    if (rc == 0)
        rc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        for (size_t j = 0; j < m; j++)
            k += pairs[j].user == v[i].id;
        if (!k)
            continue;
        const char **roles = kiln_arena_alloc(a, (k + 1) * sizeof *roles);
        if (!roles)
            return KILN_ENOMEM;
        k = 0;
        for (size_t j = 0; j < m; j++)
            if (pairs[j].user == v[i].id)
                roles[k++] = pairs[j].role;
        roles[k] = NULL;
        v[i].roles = roles;
        v[i].nroles = k;
    }
    return 0;
}

int auth_user_read_joined(kiln_rows *r, int b, auth_row_fn first, void *arg,
                          kiln_arena *a, kiln_user **out)
{
    *out = NULL;
    if (!r)
        return KILN_EDB;
    kiln_user *u = kiln_arena_alloc(a, sizeof *u);
    int rc = u ? 0 : KILN_ENOMEM;
    size_t n = 0, cap = 0;
    const char **roles = NULL;
    bool found = false;
    while (rc == 0 && kiln_rows_next(r)) {
        if (!found) {
            found = true;
            rc = first ? first(r, arg) : 0;
            if (rc == 0)
                rc = read_user(r, b, a, u, NULL);
        }
        if (rc != 0 || kiln_row_is_null(r, b + 12))
            continue;
        if (n + 1 >= cap) {
            size_t nc = cap ? cap * 2 : 8;
            const char **nr = kiln_arena_alloc(a, nc * sizeof *nr);
            if (!nr) {
                rc = KILN_ENOMEM;
                break;
            }
            if (n)
                memcpy(nr, roles, n * sizeof *nr);
            roles = nr;
            cap = nc;
        }
        if (!(roles[n++] = dup(a, kiln_row_text(r, b + 12))))
            rc = KILN_ENOMEM;
    }
    int rrc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc == 0 && rrc < 0)
        rc = rrc;
    if (rc == 0 && !found)
        rc = KILN_ENOTFOUND;
    if (rc != 0)
        return rc;
    if (n) {
        roles[n] = NULL;
        u->roles = roles;
        u->nroles = n;
    }
    *out = u;
    return 0;
}

#define USER_JOINED                                                            \
    "SELECT " USER_COLS ", role FROM kiln_user " AUTH_USER_ROLES " WHERE "

int auth_user_load_db(kiln_dbc *db, kiln_arena *a, int64_t id, kiln_user **out)
{
    return auth_user_read_joined(
        kiln_db_query(db, USER_JOINED "kiln_user.id = $1 ORDER BY role",
                      KILN_INT(id)),
        0, NULL, NULL, a, out);
}

int auth_user_load(kiln_ctx *c, int64_t id, const kiln_user **out)
{
    *out = NULL;
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    kiln_user *u;
    int rc = auth_user_load_db(db, kiln_ctx_arena(c), id, &u);
    if (rc == 0)
        *out = u;
    return rc;
}

/* The password hash of auth_user_find_login's first row. */
typedef struct pw_read {
    kiln_arena *a;
    const char *hash;
} pw_read;

static int read_password(kiln_rows *r, void *arg)
{
    pw_read *p = arg;
    p->hash = dup(p->a, kiln_row_text(r, 11));
    return p->hash ? 0 : KILN_ENOMEM;
}

int auth_user_find_login(kiln_dbc *db, kiln_arena *a, kiln_str login,
                         kiln_user **out, const char **pwhash)
{
    *out = NULL;
    *pwhash = "";
    /* a username first; else a local account's email, ignoring case: the
       account (one id, the username's first) and its roles, one query */
    pw_read pw = {a, ""};
    int rc = auth_user_read_joined(
        kiln_db_query(db,
                      USER_JOINED "kiln_user.id = (SELECT id FROM kiln_user "
                                  "WHERE username = $1 OR (issuer IS NULL AND "
                                  "email <> '' AND lower(email) = lower($1)) "
                                  "ORDER BY username = $1 DESC LIMIT 1) "
                                  "ORDER BY role",
                      KILN_STRV(login)),
        0, read_password, &pw, a, out);
    if (rc == 0)
        *pwhash = pw.hash;
    return rc;
}

int auth_user_list(kiln_dbc *db, kiln_arena *a, kiln_user **out)
{
    *out = NULL;
    kiln_rows *r =
        kiln_db_query(db, "SELECT " USER_COLS " FROM kiln_user ORDER BY id");
    if (!r)
        return KILN_EDB;
    size_t n = 0, cap = 0;
    kiln_user *v = NULL;
    int rc = 0;
    while (rc == 0 && kiln_rows_next(r)) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            kiln_user *nv = kiln_arena_alloc(a, nc * sizeof *nv);
            if (!nv) {
                rc = KILN_ENOMEM;
                break;
            }
            if (n)
                memcpy(nv, v, n * sizeof *nv);
            v = nv;
            cap = nc;
        }
        rc = read_user(r, 0, a, &v[n++], NULL);
    }
    int rrc = kiln_rows_error(r);
    kiln_rows_close(r);
    if (rc == 0 && rrc < 0)
        rc = rrc;
    if (rc == 0)
        rc = read_roles(db, a, v, n);
    if (rc < 0)
        return rc;
    *out = v;
    return (int)n;
}

int64_t auth_user_create(kiln_dbc *db, const char *username, const char *email,
                         const char *name, const char *hash, bool staff,
                         bool superuser)
{
    int64_t id = 0;
    int rc = kiln_db_scalar_int(
        db, &id,
        "INSERT INTO kiln_user (username, email, name, password, active, "
        "staff, superuser, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "RETURNING id",
        KILN_TEXT(username), KILN_TEXT(email ? email : ""),
        KILN_TEXT(name ? name : ""), KILN_TEXT(hash ? hash : ""),
        KILN_BOOL(true), KILN_BOOL(staff), KILN_BOOL(superuser),
        KILN_TIME(auth_now_ms() * 1000));
    if (rc != 0)
        return kiln_db_violation_of(db, NULL) == KILN_DB_VIOLATION_UNIQUE
                   ? KILN_ESTATE
                   : rc;
    return id;
}

int auth_user_set_hash(kiln_dbc *db, int64_t id, const char *hash)
{
    int64_t n =
        kiln_db_exec(db, "UPDATE kiln_user SET password = $1 WHERE id = $2",
                     KILN_TEXT(hash), KILN_INT(id));
    if (n > 0)
        cred_cache_forget_user(id);
    return n < 0 ? (int)n : n > 0;
}

int auth_user_touch_login(kiln_dbc *db, int64_t id)
{
    int64_t n =
        kiln_db_exec(db, "UPDATE kiln_user SET last_login = $1 WHERE id = $2",
                     KILN_TIME(auth_now_ms() * 1000), KILN_INT(id));
    if (n > 0) /* its cached copies show the old last_login */
        cred_cache_forget_user(id);
    return n < 0 ? (int)n : 0;
}

/* ---- the OIDC sync ------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool same_roles(const kiln_user *u, const char **want, size_t n)
{
    if (u->nroles != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(u->roles[i], want[i]) != 0)
            return false;
    return true;
}

/* The claims' roles, sorted and without repeats, into want (nroles + 1
   slots). Returns how many. */
static size_t wanted_roles(const auth_claims *cl, const char **want)
{
    size_t nw = 0;
    for (size_t i = 0; i < cl->nroles; i++)
        if (cl->roles[i] && *cl->roles[i])
            want[nw++] = cl->roles[i];
    qsort(want, nw, sizeof *want, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < nw; i++)
        if (k == 0 || strcmp(want[k - 1], want[i]) != 0)
            want[k++] = want[i];
    return k;
}

/* True when u is what the claims say (nothing to write). */
static bool user_is(const kiln_user *u, const auth_claims *cl,
                    const char **want, size_t nw)
{
    return strcmp(u->email, cl->email ? cl->email : "") == 0 &&
           strcmp(u->name, cl->name ? cl->name : "") == 0 &&
           same_roles(u, want, nw);
}

int auth_user_sync(kiln_ctx *c, const auth_claims *cl, const kiln_user **out)
{
    *out = NULL;
    if (!cl->issuer || !*cl->issuer || !cl->subject || !*cl->subject ||
        cl->nroles > AUTH_ROLES_MAX)
        return KILN_EINVAL;
    kiln_arena *a = kiln_ctx_arena(c);
    /* a token of a user seen lately whose claims did not change: no query */
    cred_key key;
    cred_info info;
    kiln_user *u;
    bool cached = cred_cache_on();
    int64_t now = auth_now_ms();
    if (cached) {
        cred_key_jwt(&key, cl->issuer, cl->subject);
        const char **want =
            kiln_arena_alloc(a, (cl->nroles + 1) * sizeof *want);
        if (!want)
            return KILN_ENOMEM;
        size_t nw = wanted_roles(cl, want);
        if (cred_cache_get(&key, a, now, &u, &info) == 0 &&
            user_is(u, cl, want, nw)) {
            *out = u;
            return 0;
        }
    }
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    uint64_t gen = cred_cache_gen();
    bool wrote = false;
    int rc = auth_user_sync_db(db, a, cl, &u, &wrote);
    if (rc != 0)
        return rc;
    if (cached && !wrote) /* a write forgot the user: the next one caches */
        cred_cache_put(&key, u, &(cred_info){.user = u->id}, gen, now);
    *out = u;
    return 0;
}

int auth_user_sync_db(kiln_dbc *db, kiln_arena *a, const auth_claims *cl,
                      kiln_user **out, bool *wrote)
{
    *out = NULL;
    if (wrote)
        *wrote = false;
    if (!cl->issuer || !*cl->issuer || !cl->subject || !*cl->subject ||
        cl->nroles > AUTH_ROLES_MAX)
        return KILN_EINVAL;
    const char *email = cl->email ? cl->email : "";
    const char *name = cl->name ? cl->name : "";
    /* the roles wanted, sorted and without repeats */
    const char **want = kiln_arena_alloc(a, (cl->nroles + 1) * sizeof *want);
    if (!want)
        return KILN_ENOMEM;
    size_t nw = wanted_roles(cl, want);

    /* the user and its roles in one query: most tokens change nothing */
    int64_t id = 0;
    kiln_user *u = NULL;
    int rc = auth_user_read_joined(
        kiln_db_query(db,
                      USER_JOINED "issuer = $1 AND subject = $2 ORDER BY role",
                      KILN_TEXT(cl->issuer), KILN_TEXT(cl->subject)),
        0, NULL, NULL, a, &u);
    if (rc != 0 && rc != KILN_ENOTFOUND)
        return rc;
    if (rc == 0) {
        id = u->id;
        if (user_is(u, cl, want, nw)) {
            *out = u; /* nothing changed: nothing written */
            return 0;
        }
    }
    if ((rc = kiln_db_begin(db)) != 0)
        return rc;
    if (!u) {
        rc = kiln_db_scalar_int(
            db, &id,
            "INSERT INTO kiln_user (email, name, active, issuer, subject, "
            "created) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (issuer, "
            "subject) DO UPDATE SET email = excluded.email RETURNING id",
            KILN_TEXT(email), KILN_TEXT(name), KILN_BOOL(true),
            KILN_TEXT(cl->issuer), KILN_TEXT(cl->subject),
            KILN_TIME(auth_now_ms() * 1000));
    } else if (kiln_db_exec(db,
                            "UPDATE kiln_user SET email = $1, name = $2 "
                            "WHERE id = $3",
                            KILN_TEXT(email), KILN_TEXT(name),
                            KILN_INT(id)) < 0) {
        rc = KILN_EDB;
    }
    if (rc == 0 && (!u || !same_roles(u, want, nw))) {
        if (kiln_db_exec(db, "DELETE FROM kiln_user_role WHERE user_id = $1",
                         KILN_INT(id)) < 0)
            rc = KILN_EDB;
        for (size_t i = 0; rc == 0 && i < nw; i++)
            if (kiln_db_exec(db,
                             "INSERT INTO kiln_user_role (user_id, role) "
                             "VALUES ($1, $2)",
                             KILN_INT(id), KILN_TEXT(want[i])) < 0)
                rc = KILN_EDB;
    }
    if (rc != 0) {
        kiln_db_rollback(db);
        return rc;
    }
    if ((rc = kiln_db_commit(db)) != 0)
        return rc;
    cred_cache_forget_user(id); /* every credential of it, everywhere */
    if (wrote)
        *wrote = true;
    rc = auth_user_load_db(db, a, id, &u);
    if (rc == 0)
        *out = u;
    return rc;
}
