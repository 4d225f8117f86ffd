/*
 * auth/session.c - server-side sessions (kiln/session.h).
 *
 * A request's session is loaded lazily: the first call that needs it reads
 * the cookie, decodes the id (32 bytes, base64url), and looks its SHA-256
 * up in kiln_session through the store (one query). Nothing is read for a
 * request that never asks, and nothing at all without the cookie.
 *
 * The state lives in the request's arena (kiln_ctx.session). Its data is a
 * list of string pairs, kept in the row as a JSON object. Writes:
 *
 *   - a session made during the request (kiln_session_set, kiln_flash,
 *     kiln_csrf_token on a visitor without one) gets its cookie at once
 *     and its row when the response is about to be written, with its data
 *     (one INSERT);
 *   - changed data is written then too (one UPDATE), through the server's
 *     respond_hook, chained in front of any other (the route cache's), so
 *     that the row is in place before the browser sees the response and
 *     follows its redirect; a change made after the response started is
 *     written at once;
 *   - last_seen (and the idle expiry) is written when loading finds it
 *     older than auth_conf.touch_ms: at most once a minute, not per request;
 *   - login and rotation write at once (their errors are the caller's).
 *
 * Expiry: a row ends at min(created + max_age, last_seen + idle): its
 * expires_at, checked on load (an expired row is deleted and its cookie
 * expired) and swept now and then by a request that loads a session (one
 * DELETE of every expired row, at most every SWEEP_MS per process).
 *
 * The store is a small table of operations (session_store) so that a
 * Redis or memory store can replace the database; the database's is the
 * only one today.
 */
#include "auth/session_impl.h"

#include "auth/cred_cache.h"
#include "auth/user.h"

#include "core/base64.h"
#include "core/sha256.h"
#include "coro/coro.h"
#include "server/worker.h"

#include <kiln/db.h>

#include <sodium.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often the expired rows are swept (per process). */
#define SWEEP_MS (5 * 60 * 1000)
/* The longest gap between two writes of last_seen. */
#define TOUCH_MAX_MS (60 * 1000)
/* The nesting a row's data may have (an object of strings: 1). */
#define DATA_MAX_DEPTH 4

/* ---- settings ------------------------------------------------------------ */

const auth_conf auth_conf_default = {
    .cookie = "kiln_session",
    .csrf_cookie = "kiln_csrf",
    .idle_ms = INT64_C(14) * 86400 * 1000,
    .max_age_ms = INT64_C(30) * 86400 * 1000,
    .touch_ms = TOUCH_MAX_MS,
};

static void conf_free(void *arg)
{
    auth_conf *a = arg;
    for (size_t i = 0; i < a->ntrusted; i++)
        free(a->trusted[i]);
    free(a->trusted);
    for (size_t i = 0; i < a->nexempt; i++) {
        free(a->exempt[i].method);
        free(a->exempt[i].pattern);
    }
    free(a->exempt);
    free(a->headers);
    free(a->ext);
    free(a);
}

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static void sodium_start(void)
{
    if (sodium_init() < 0)
        abort(); /* no CSPRNG: nothing here may run without one */
}

void session_rand(void *p, size_t n)
{
    pthread_once(&sodium_once, sodium_start);
    randombytes_buf(p, n);
}

auth_conf *auth_conf_get(kiln_app *app)
{
    if (app->auth)
        return app->auth;
    pthread_once(&sodium_once, sodium_start);
    auth_conf *a = calloc(1, sizeof *a);
    app_ext *e = calloc(1, sizeof *e);
    if (!a || !e) {
        free(a);
        free(e);
        return NULL;
    }
    *a = auth_conf_default;
    e->free = conf_free; /* frees a and e with the app */
    e->arg = a;
    a->ext = e;
    app_ext_add(app, e);
    app->auth = a;
    app->guard = csrf_guard;
    return a;
}

const auth_conf *auth_conf_of(kiln_ctx *c)
{
    const auth_conf *a = c->w->app->auth;
    return a ? a : &auth_conf_default;
}

/* Splits a list of origins (commas and/or blanks) into conf->trusted. */
static int set_trusted(auth_conf *a, const char *list, char *err, size_t errlen)
{
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *q = p;
        while (*q && *q != ',' && *q != ' ' && *q != '\t')
            q++;
        if (q == p)
            break;
        char o[256];
        kiln_str v = {p, (size_t)(q - p)};
        /* a host "*.example.com" (any subdomain) is kept as written */
        bool wild = v.n > 10 && memmem(v.p, v.n, "://*.", 5) != NULL;
        if (wild ? (v.n >= sizeof o ? -1 : 0)
                 : csrf_origin_of(v, o, sizeof o) != 0) {
            snprintf(err, errlen,
                     "csrf.trusted_origins: '%.*s' is not an origin "
                     "(scheme://host[:port])",
                     (int)v.n, v.p);
            return KILN_EINVAL;
        }
        if (wild) {
            for (size_t i = 0; i < v.n; i++)
                o[i] = (char)(v.p[i] >= 'A' && v.p[i] <= 'Z' ? v.p[i] + 32
                                                             : v.p[i]);
            o[v.n] = '\0';
        }
        char **t = realloc(a->trusted, (a->ntrusted + 1) * sizeof *t);
        if (!t)
            return KILN_ENOMEM;
        a->trusted = t;
        if (!(t[a->ntrusted] = strdup(o)))
            return KILN_ENOMEM;
        a->ntrusted++;
        p = q;
    }
    return 0;
}

int auth_configure(kiln_app *app, const kiln_settings *s, char *err,
                   size_t errlen)
{
    auth_conf *a = auth_conf_get(app);
    if (!a)
        return KILN_ENOMEM;
    const char *secure = kiln_settings_str(s, "session.secure");
    a->https = kiln_settings_bool(s, "security.behind_tls");
    a->secure = secure && strcmp(secure, "always") == 0  ? true
                : secure && strcmp(secure, "never") == 0 ? false
                                                         : a->https;
    const char *name = kiln_settings_str(s, "session.cookie_name");
    if (!name || !*name)
        name = "kiln_session";
    snprintf(a->cookie, sizeof a->cookie, "%s%.40s", a->secure ? "__Host-" : "",
             name);
    snprintf(a->csrf_cookie, sizeof a->csrf_cookie, "%skiln_csrf",
             a->secure ? "__Host-" : "");
    const char *ss = kiln_settings_str(s, "session.same_site");
    a->strict = ss && strcmp(ss, "strict") == 0;
    a->idle_ms = kiln_settings_int(s, "session.idle_timeout") * 1000;
    a->max_age_ms = kiln_settings_int(s, "session.max_age") * 1000;
    a->touch_ms =
        a->idle_ms / 10 < TOUCH_MAX_MS ? a->idle_ms / 10 : TOUCH_MAX_MS;
    int rc = set_trusted(a, kiln_settings_str(s, "csrf.trusted_origins"), err,
                         errlen);
    if (rc == 0)
        rc = headers_configure(a, s, err, errlen);
    if (rc == KILN_ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc == 0) {
        app->resp_extra = a->headers;
        app->resp_extra_n = a->nheaders;
    }
    return rc;
}

/* ---- pure pieces --------------------------------------------------------- */

/* Decodes exactly n bytes from strict base64url v (core/base64.h).
   Shared with csrf.c. */
int session_b64_decode(kiln_str v, uint8_t *out, size_t n)
{
    uint8_t buf[64];
    size_t got;
    if (n > sizeof buf || v.n != B64URL_LEN(n) ||
        b64url_decode(v.p, v.n, buf, &got) != 0 || got != n)
        return KILN_EINVAL;
    memcpy(out, buf, n);
    return 0;
}

void session_b64_encode(const uint8_t *p, size_t n, char *out)
{
    b64url_encode(p, n, out);
}

int session_id_decode(kiln_str v, uint8_t out[SESSION_ID_BYTES])
{
    return session_b64_decode(v, out, SESSION_ID_BYTES);
}

void session_id_encode(const uint8_t id[SESSION_ID_BYTES],
                       char out[SESSION_ID_CHARS + 1])
{
    b64url_encode(id, SESSION_ID_BYTES, out);
}

int session_cookie_format(char *out, size_t n, const char *name,
                          const char *value, int64_t max_age_s, bool http_only,
                          bool strict, bool secure)
{
    int w = snprintf(out, n, "%s=%s; Path=/; Max-Age=%lld%s; SameSite=%s%s",
                     name, max_age_s > 0 ? value : "",
                     (long long)(max_age_s > 0 ? max_age_s : 0),
                     http_only ? "; HttpOnly" : "", strict ? "Strict" : "Lax",
                     secure ? "; Secure" : "");
    return w < 0 || (size_t)w >= n ? KILN_ELIMIT : w;
}

/* ---- the store ------------------------------------------------------------
 */

/* A session's row, as the store reads and writes it. */
typedef struct session_row {
    const char *hash;                    /* hex SHA-256 of the id */
    int64_t user;                        /* 0: anonymous */
    kiln_str data;                       /* JSON object */
    kiln_str secret;                     /* base64url CSRF secret */
    int64_t created, last_seen, expires; /* ms since the epoch */
    kiln_user *u; /* load: the user and its roles (NULL: none) */
} session_row;

/*
 * Where sessions are kept. Every call runs in a request's coroutine and
 * may wait; strings read live in the request's arena. Returns 0 (load:
 * or KILN_ENOTFOUND), a count (remove_user, sweep) or a negative code.
 */
typedef struct session_store {
    int (*load)(kiln_ctx *c, const char *hash, session_row *out);
    int (*load_data)(kiln_ctx *c, const char *hash, kiln_str *data);
    int (*insert)(kiln_ctx *c, const session_row *r);
    int (*save)(kiln_ctx *c, const char *hash, kiln_str data);
    int (*touch)(kiln_ctx *c, const char *hash, int64_t last_seen,
                 int64_t expires);
    int (*remove)(kiln_ctx *c, const char *hash);
    int (*remove_user)(kiln_ctx *c, int64_t user);
    int (*sweep)(kiln_ctx *c, int64_t now);
} session_store;

/* The request's connection without answering anything: NULL when it
   cannot be had (kiln_db answers 503 then, unless the response started). */
static kiln_dbc *store_db(kiln_ctx *c)
{
    if (c->db)
        return c->db;
    if (c->responded)
        return NULL;
    return kiln_db(c);
}

static int db_rc(kiln_ctx *c, kiln_dbc *db, int64_t rc, const char *what)
{
    if (rc >= 0)
        return 0;
    kiln_log(KILN_LOG_ERROR, "%s: session %s: %s", kiln_request_id(c), what,
             db ? kiln_db_errmsg(db) : "no database connection");
    return (int)rc;
}

/* What db_load's first row is read into. */
typedef struct session_read {
    session_row *out;
    kiln_arena *a;
} session_read;

/* The first row of db_load's query: the session's own columns (copied to
   the arena: the rows go). 1 when it has no user to read after them. */
static int session_cols(kiln_rows *r, void *arg)
{
    session_row *out = ((session_read *)arg)->out;
    kiln_arena *a = ((session_read *)arg)->a;
    kiln_str d = kiln_row_text(r, 1), sec = kiln_row_text(r, 2);
    out->user = kiln_row_is_null(r, 0) ? 0 : kiln_row_int(r, 0);
    char *dp = kiln_arena_strndup(a, d.p ? d.p : "", d.p ? d.n : 0);
    char *sp = kiln_arena_strndup(a, sec.p ? sec.p : "", sec.p ? sec.n : 0);
    if (!dp || !sp)
        return KILN_ENOMEM;
    out->data = (kiln_str){dp, d.p ? d.n : 0};
    out->secret = (kiln_str){sp, sec.p ? sec.n : 0};
    out->created = kiln_row_int(r, 3);
    out->last_seen = kiln_row_int(r, 4);
    out->expires = kiln_row_int(r, 5);
    /* an anonymous session, or its user deleted since */
    return out->user == 0 || kiln_row_is_null(r, 6) ? 1 : 0;
}

/* The session's row, its user and the user's roles: one query. */
static int db_load(kiln_ctx *c, const char *hash, session_row *out)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    kiln_rows *r = kiln_db_query(
        db,
        "SELECT kiln_session.user_id, data, csrf_secret, created_at, "
        "last_seen, expires_at, " AUTH_USER_COLS
        ", role FROM kiln_session LEFT JOIN "
        "kiln_user ON kiln_user.id = kiln_session.user_id " AUTH_USER_ROLES
        " WHERE id_hash = $1 ORDER BY role",
        KILN_TEXT(hash));
    if (!r)
        return db_rc(c, db, KILN_EDB, "load");
    memset(out, 0, sizeof *out);
    out->hash = hash;
    session_read sr = {out, &c->arena};
    kiln_user *u = NULL;
    int rc = auth_user_read_joined(r, 6, session_cols, &sr, &c->arena, &u);
    if (rc == 1) /* a row without a user */
        rc = 0;
    else if (rc == 0)
        out->u = u;
    if (rc == KILN_ENOTFOUND || rc == KILN_ENOMEM)
        return rc;
    return rc < 0 ? db_rc(c, db, rc, "load") : 0;
}

/* The session's data alone (a session found in the credential cache). */
static int db_load_data(kiln_ctx *c, const char *hash, kiln_str *data)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    kiln_rows *r =
        kiln_db_query(db, "SELECT data FROM kiln_session WHERE id_hash = $1",
                      KILN_TEXT(hash));
    if (!r)
        return db_rc(c, db, KILN_EDB, "load");
    int rc = KILN_ENOTFOUND;
    if (kiln_rows_next(r)) {
        kiln_str d = kiln_row_text(r, 0);
        char *p = kiln_arena_strndup(&c->arena, d.p ? d.p : "", d.n);
        *data = (kiln_str){p, p ? d.n : 0};
        rc = p ? 0 : KILN_ENOMEM;
    }
    if (kiln_rows_error(r) < 0)
        rc = db_rc(c, db, kiln_rows_error(r), "load");
    kiln_rows_close(r);
    return rc;
}

static int db_insert(kiln_ctx *c, const session_row *s)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    int64_t rc = kiln_db_exec(
        db,
        "INSERT INTO kiln_session (id_hash, user_id, data, csrf_secret, "
        "created_at, last_seen, expires_at) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7)",
        KILN_TEXT(s->hash), s->user ? KILN_INT(s->user) : KILN_NULL,
        KILN_STRV(s->data), KILN_STRV(s->secret), KILN_INT(s->created),
        KILN_INT(s->last_seen), KILN_INT(s->expires));
    return db_rc(c, db, rc, "insert");
}

static int db_save(kiln_ctx *c, const char *hash, kiln_str data)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    int64_t rc =
        kiln_db_exec(db, "UPDATE kiln_session SET data = $2 WHERE id_hash = $1",
                     KILN_TEXT(hash), KILN_STRV(data));
    return db_rc(c, db, rc, "save");
}

static int db_touch(kiln_ctx *c, const char *hash, int64_t last_seen,
                    int64_t expires)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    int64_t rc =
        kiln_db_exec(db,
                     "UPDATE kiln_session SET last_seen = $2, "
                     "expires_at = $3 WHERE id_hash = $1",
                     KILN_TEXT(hash), KILN_INT(last_seen), KILN_INT(expires));
    return db_rc(c, db, rc, "touch");
}

/* Forgets the session hash in the credential cache, everywhere. */
static void forget_hash(const char *hash)
{
    cred_key k;
    if (cred_cache_on() && cred_key_hex(&k, CRED_SESSION, hash))
        cred_cache_forget(&k);
}

static int db_remove(kiln_ctx *c, const char *hash)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    int64_t rc = kiln_db_exec(db, "DELETE FROM kiln_session WHERE id_hash = $1",
                              KILN_TEXT(hash));
    if (rc >= 0)
        forget_hash(hash);
    return db_rc(c, db, rc, "delete");
}

static int db_remove_user(kiln_ctx *c, int64_t user)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    int64_t rc = kiln_db_exec(db, "DELETE FROM kiln_session WHERE user_id = $1",
                              KILN_INT(user));
    if (rc >= 0 && cred_cache_on())
        cred_cache_forget_user(user);
    return rc < 0 ? db_rc(c, db, rc, "delete all") : (int)rc;
}

static int db_sweep(kiln_ctx *c, int64_t now)
{
    kiln_dbc *db = store_db(c);
    if (!db)
        return KILN_EUNAVAIL;
    int64_t rc = kiln_db_exec(
        db, "DELETE FROM kiln_session WHERE expires_at <= $1", KILN_INT(now));
    return rc < 0 ? db_rc(c, db, rc, "sweep") : (int)rc;
}

static const session_store db_store = {db_load,        db_load_data, db_insert,
                                       db_save,        db_touch,     db_remove,
                                       db_remove_user, db_sweep};
static const session_store *const store = &db_store;

/* ---- the request's state ------------------------------------------------- */

typedef struct sess_kv {
    kiln_str key, val; /* NUL-terminated, in the arena */
} sess_kv;

typedef struct sess {
    respond_hook hook; /* first: the server hands us &hook */
    respond_hook *next_hook;
    bool hooked;       /* hook installed */
    bool loaded;       /* the cookie was looked at (and the row up) */
    bool live;         /* the session exists (loaded, made or rotated) */
    bool fresh;        /* made in this request: its row is still to insert */
    bool dirty;        /* data changed since read or written */
    bool varied;       /* Vary: Cookie was added */
    bool data_pending; /* found in the credential cache: data not read */
    uint8_t id[SESSION_ID_BYTES];
    char hash[65];
    int64_t user, created, last_seen;
    const kiln_user *u; /* the user as loaded with the row (or cached) */
    uint8_t secret[SESSION_ID_BYTES];
    sess_kv *kv;
    size_t nkv, cap;
} sess;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t expires_at(const auth_conf *a, int64_t created,
                          int64_t last_seen)
{
    int64_t idle = last_seen + a->idle_ms, abs = created + a->max_age_ms;
    return idle < abs ? idle : abs;
}

static sess *sess_of(kiln_ctx *c)
{
    if (!c->session)
        c->session = kiln_arena_calloc(&c->arena, sizeof(sess));
    return c->session;
}

bool session_cookie_sent(kiln_ctx *c)
{
    return kiln_cookie(c, auth_conf_of(c)->cookie).p != NULL;
}

/* Sets (max_age_s > 0) or expires the session cookie and the CSRF cookie. */
static int set_cookies(kiln_ctx *c, sess *s, int64_t max_age_s)
{
    const auth_conf *a = auth_conf_of(c);
    if (c->responded)
        return KILN_ESTATE;
    char id[SESSION_ID_CHARS + 1], line[256];
    session_id_encode(s->id, id);
    int rc = session_cookie_format(line, sizeof line, a->cookie, id, max_age_s,
                                   true, a->strict, a->secure);
    if (rc >= 0)
        rc = kiln_set_header(c, "Set-Cookie", line);
    if (rc < 0)
        return rc;
    /* the CSRF token where a page's JavaScript (the TypeScript client)
       reads it; a token is worth nothing without the session cookie */
    char tok[CSRF_TOKEN_CHARS + 1] = "";
    if (max_age_s > 0) {
        uint8_t pad[SESSION_ID_BYTES];
        session_rand(pad, sizeof pad);
        csrf_token_mask(s->secret, pad, tok);
    }
    rc = session_cookie_format(line, sizeof line, a->csrf_cookie, tok,
                               max_age_s, false, a->strict, a->secure);
    return rc >= 0 ? kiln_set_header(c, "Set-Cookie", line) : rc;
}

/* Forgets the session in memory (its row is the caller's). */
static void sess_clear(sess *s)
{
    s->live = s->fresh = s->dirty = s->data_pending = false;
    s->user = 0;
    s->u = NULL;
    s->nkv = 0;
}

/* Parses a row's data (a JSON object of strings) into s->kv. */
static int parse_data(kiln_ctx *c, sess *s, kiln_str data)
{
    kiln_json *j;
    if (!data.p || !data.n)
        return 0;
    if (kiln_json_parse(&c->arena, data.p, data.n, DATA_MAX_DEPTH, &j, NULL) !=
            0 ||
        j->type != KILN_JSON_OBJECT)
        return KILN_EPARSE;
    s->kv = kiln_arena_alloc(&c->arena, (j->u.object.n ? j->u.object.n : 1) *
                                            sizeof *s->kv);
    if (!s->kv)
        return KILN_ENOMEM;
    s->cap = j->u.object.n;
    for (size_t i = 0; i < j->u.object.n; i++) {
        const kiln_json_member *m = &j->u.object.items[i];
        if (m->value.type == KILN_JSON_STRING)
            s->kv[s->nkv++] = (sess_kv){m->key, m->value.u.string};
    }
    return 0;
}

/* Deletes the expired rows, at most every SWEEP_MS in this process. */
static void maybe_sweep(kiln_ctx *c, int64_t now)
{
    static _Atomic int64_t next_sweep;
    int64_t due = atomic_load(&next_sweep);
    if (now < due ||
        !atomic_compare_exchange_strong(&next_sweep, &due, now + SWEEP_MS))
        return;
    int n = store->sweep(c, now);
    if (n > 0)
        kiln_log(KILN_LOG_DEBUG, "%s: %d expired sessions deleted",
                 kiln_request_id(c), n);
}

/* The response depends on the session: "Vary: Cookie", once, so that a
   shared cache never gives one user's page to another (as Django). */
static void sess_vary(kiln_ctx *c, sess *s)
{
    if (s->varied || c->responded)
        return;
    s->varied = true;
    kiln_set_header(c, "Vary", "Cookie");
}

/* The session of key from the credential cache: true when found and not
   expired by the cached row (a session that looks expired is read from the
   store again, which decides). last_seen is written as without a cache:
   at most once per touch_ms, by the one worker that moves it. */
static bool sess_cached(kiln_ctx *c, sess *s, const cred_key *key, int64_t now)
{
    const auth_conf *a = auth_conf_of(c);
    kiln_user *u;
    cred_info info;
    if (cred_cache_get(key, &c->arena, now, &u, &info) != 0)
        return false;
    if (now >= expires_at(a, info.created, info.seen) || now >= info.expires)
        return false;
    s->live = s->data_pending = true;
    s->user = info.user;
    s->u = u;
    s->created = info.created;
    s->last_seen = info.seen;
    memcpy(s->secret, info.secret, sizeof s->secret);
    if (now - info.seen >= a->touch_ms) {
        int64_t exp = expires_at(a, s->created, now);
        s->last_seen = now;
        if (cred_cache_touch(key, info.seen, now, exp))
            store->touch(c, s->hash, now, exp);
    }
    return true;
}

/* Looks the request's cookie up, once. Returns 0 (s->live says whether a
   session was found) or a store error. */
static int sess_load(kiln_ctx *c, sess *s)
{
    if (s->loaded)
        return 0;
    s->loaded = true;
    const auth_conf *a = auth_conf_of(c);
    kiln_str v = kiln_cookie(c, a->cookie);
    if (!v.p)
        return 0;
    sess_vary(c, s);
    if (session_id_decode(v, s->id) != 0)
        return 0; /* not one of ours: as if absent */
    sha256_hex(s->id, sizeof s->id, s->hash);
    int64_t now = wall_ms();
    cred_key key;
    bool cached = cred_cache_on() && cred_key_hex(&key, CRED_SESSION, s->hash);
    if (cached && sess_cached(c, s, &key, now)) {
        maybe_sweep(c, now);
        return 0;
    }
    uint64_t gen = cred_cache_gen();
    session_row row = {0};
    int rc = store->load(c, s->hash, &row);
    if (rc == KILN_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    maybe_sweep(c, now);
    if (now >= expires_at(a, row.created, row.last_seen) ||
        now >= row.expires) {
        store->remove(c, s->hash);
        if (!c->responded)
            set_cookies(c, s, 0);
        return 0;
    }
    if (session_b64_decode(row.secret, s->secret, sizeof s->secret) != 0 ||
        parse_data(c, s, row.data) != 0) {
        kiln_log(KILN_LOG_WARN, "%s: session row %.12s... is malformed: ended",
                 kiln_request_id(c), s->hash);
        store->remove(c, s->hash);
        sess_clear(s);
        return 0;
    }
    s->live = true;
    s->user = row.user;
    s->u = row.u;
    s->created = row.created;
    s->last_seen = row.last_seen;
    int64_t expires = row.expires;
    if (now - row.last_seen >= a->touch_ms) {
        s->last_seen = now;
        expires = expires_at(a, s->created, now);
        store->touch(c, s->hash, now, expires);
    }
    if (cached && row.u) {
        cred_info info = {.user = row.user,
                          .created = s->created,
                          .seen = s->last_seen,
                          .expires = expires};
        memcpy(info.secret, s->secret, sizeof info.secret);
        cred_cache_put(&key, row.u, &info, gen, now);
    }
    return 0;
}

/* Reads the data of a session found in the credential cache, once. A row
   gone meanwhile (ended elsewhere) gives no data. */
static int sess_data(kiln_ctx *c, sess *s)
{
    if (!s->data_pending)
        return 0;
    s->data_pending = false;
    kiln_str d = KILN_STR_NULL;
    int rc = store->load_data(c, s->hash, &d);
    if (rc == KILN_ENOTFOUND)
        return 0;
    if (rc == 0 && parse_data(c, s, d) != 0)
        kiln_log(KILN_LOG_WARN, "%s: session row %.12s... has malformed data",
                 kiln_request_id(c), s->hash);
    return rc;
}

/* The data as a JSON object, in the arena. */
static kiln_str data_json(kiln_ctx *c, sess *s)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_puts(&b, "{");
    for (size_t i = 0; i < s->nkv; i++) {
        if (i)
            kiln_buf_puts(&b, ",");
        kiln_json_put_str(&b, s->kv[i].key.p, s->kv[i].key.n);
        kiln_buf_puts(&b, ":");
        kiln_json_put_str(&b, s->kv[i].val.p, s->kv[i].val.n);
    }
    int rc = kiln_buf_puts(&b, "}");
    char *p = rc == 0 ? kiln_arena_strndup(&c->arena, b.p, b.n) : NULL;
    kiln_str out = p ? (kiln_str){p, b.n} : KILN_STR_NULL;
    kiln_buf_deinit(&b);
    return out;
}

/* Writes what changed: the row of a new session, or its data. */
static int sess_flush(kiln_ctx *c, sess *s)
{
    if (!s->live || (!s->fresh && !s->dirty))
        return 0;
    kiln_str data = data_json(c, s);
    if (!data.p)
        return KILN_ENOMEM;
    int rc;
    if (s->fresh) {
        char secret[SESSION_ID_CHARS + 1];
        session_b64_encode(s->secret, sizeof s->secret, secret);
        session_row row = {
            s->hash,
            s->user,
            data,
            kiln_str_c(secret),
            s->created,
            s->last_seen,
            expires_at(auth_conf_of(c), s->created, s->last_seen),
            NULL};
        rc = store->insert(c, &row);
    } else {
        rc = store->save(c, s->hash, data);
    }
    if (rc == 0)
        s->fresh = s->dirty = false;
    return rc;
}

/* The respond_hook: the session's writes before the response's head. */
static void on_respond(kiln_ctx *c, respond_hook *h, int status,
                       const char *ctype, const void *body, long long len,
                       bool file)
{
    sess *s = (sess *)h;
    if (coro_current())
        sess_flush(c, s); /* errors are logged by the store */
    else if (s->fresh || s->dirty)
        kiln_log(KILN_LOG_WARN,
                 "%s: session not saved (the request failed outside its "
                 "handler)",
                 kiln_request_id(c));
    respond_hook *next = s->next_hook;
    if (next) {
        c->on_respond = NULL;
        next->fn(c, next, status, ctype, body, len, file);
    }
}

/* s changed: written before the response, or at once after it started. */
static int sess_changed(kiln_ctx *c, sess *s)
{
    if (c->responded)
        return sess_flush(c, s);
    if (!s->hooked) {
        s->hooked = true;
        s->hook.fn = on_respond;
        s->next_hook = c->on_respond;
        c->on_respond = &s->hook;
    }
    return 0;
}

/* A new id (and its hash) for s. */
static void new_id(sess *s)
{
    session_rand(s->id, sizeof s->id);
    sha256_hex(s->id, sizeof s->id, s->hash);
}

/* Makes an anonymous session for the request (its row at the response). */
static int sess_create(kiln_ctx *c, sess *s)
{
    if (c->responded)
        return KILN_ESTATE;
    if (!store_db(c))
        return KILN_EUNAVAIL; /* leased now: the hook will need it */
    new_id(s);
    session_rand(s->secret, sizeof s->secret);
    s->live = s->fresh = true;
    s->user = 0;
    s->created = s->last_seen = wall_ms();
    sess_vary(c, s);
    int rc = set_cookies(c, s, auth_conf_of(c)->max_age_ms / 1000);
    return rc ? rc : sess_changed(c, s);
}

/* The request's session, loaded; made when create and there is none.
   NULL with *rc set when there is none (0) or on failure. */
static sess *sess_need(kiln_ctx *c, bool create, int *rc)
{
    sess *s = sess_of(c);
    *rc = s ? sess_load(c, s) : KILN_ENOMEM;
    if (*rc || !s)
        return NULL;
    if (!s->live) {
        if (!create)
            return NULL;
        if ((*rc = sess_create(c, s)) != 0)
            return NULL;
    }
    return s;
}

int session_csrf_secret(kiln_ctx *c, bool create, const uint8_t **secret)
{
    int rc;
    sess *s = sess_need(c, create, &rc);
    if (!s)
        return rc ? rc : KILN_ENOTFOUND;
    *secret = s->secret;
    return 0;
}

/* ---- the API --------------------------------------------------------------
 */

int64_t kiln_session_user(kiln_ctx *c)
{
    int rc;
    sess *s = sess_need(c, false, &rc);
    return s ? s->user : 0;
}

const kiln_user *session_user_of(kiln_ctx *c)
{
    int rc;
    sess *s = sess_need(c, false, &rc);
    if (!s || s->user <= 0)
        return NULL;
    if (!s->u || s->u->id != s->user) { /* bound in this request */
        const kiln_user *u;
        s->u = auth_user_load(c, s->user, &u) == 0 ? u : NULL;
    }
    return s->u;
}

/* Moves s to a new id (and CSRF secret): the old row is deleted, the new
   one inserted with the data, the cookies set. */
static int sess_move(kiln_ctx *c, sess *s, int64_t user)
{
    if (c->responded)
        return KILN_ESTATE;
    int drc = sess_data(c, s); /* the data goes to the new row */
    if (drc)
        return drc;
    if (s->live && !s->fresh) {
        int rc = store->remove(c, s->hash);
        if (rc)
            return rc;
    }
    new_id(s);
    session_rand(s->secret, sizeof s->secret);
    s->user = user;
    s->created = s->last_seen = wall_ms();
    s->live = s->fresh = true;
    int rc = sess_flush(c, s);
    if (rc)
        return rc;
    return set_cookies(c, s, auth_conf_of(c)->max_age_ms / 1000);
}

int kiln_session_login(kiln_ctx *c, int64_t user)
{
    if (user <= 0)
        return KILN_EINVAL;
    sess *s = sess_of(c);
    if (!s)
        return KILN_ENOMEM;
    int rc = sess_load(c, s);
    return rc ? rc : sess_move(c, s, user);
}

int kiln_session_rotate(kiln_ctx *c)
{
    sess *s = sess_of(c);
    if (!s)
        return KILN_ENOMEM;
    int rc = sess_load(c, s);
    return rc ? rc : sess_move(c, s, s->live ? s->user : 0);
}

int kiln_session_logout(kiln_ctx *c)
{
    sess *s = sess_of(c);
    if (!s)
        return KILN_ENOMEM;
    if (c->responded)
        return KILN_ESTATE;
    int rc = sess_load(c, s);
    if (rc)
        return rc;
    if (s->live && !s->fresh && (rc = store->remove(c, s->hash)) != 0)
        return rc;
    sess_clear(s);
    return set_cookies(c, s, 0);
}

int kiln_session_logout_all(kiln_ctx *c, int64_t user)
{
    if (user <= 0)
        return KILN_EINVAL;
    sess *s = sess_of(c);
    if (!s)
        return KILN_ENOMEM;
    int rc = sess_load(c, s);
    if (rc)
        return rc;
    int n = store->remove_user(c, user);
    if (n < 0)
        return n;
    if (s->live && s->user == user) {
        sess_clear(s);
        if (!c->responded)
            set_cookies(c, s, 0);
    }
    return n;
}

kiln_str kiln_session_get(kiln_ctx *c, const char *key)
{
    int rc;
    sess *s = sess_need(c, false, &rc);
    if (s && sess_data(c, s) != 0)
        return KILN_STR_NULL;
    for (size_t i = 0; s && key && i < s->nkv; i++)
        if (strcmp(s->kv[i].key.p, key) == 0)
            return s->kv[i].val;
    return KILN_STR_NULL;
}

int kiln_session_set(kiln_ctx *c, const char *key, kiln_str v)
{
    if (!key || !*key)
        return KILN_EINVAL;
    int rc;
    sess *s = sess_need(c, v.p != NULL, &rc);
    if (!s)
        return rc; /* removing from no session: nothing to do */
    if ((rc = sess_data(c, s)) != 0)
        return rc;
    size_t i = 0;
    while (i < s->nkv && strcmp(s->kv[i].key.p, key) != 0)
        i++;
    if (!v.p) {
        if (i == s->nkv)
            return 0;
        memmove(&s->kv[i], &s->kv[i + 1], (s->nkv - i - 1) * sizeof *s->kv);
        s->nkv--;
    } else {
        char *val = kiln_arena_strndup(&c->arena, v.p, v.n);
        if (!val)
            return KILN_ENOMEM;
        if (i < s->nkv && kiln_str_eq(s->kv[i].val, v))
            return 0; /* unchanged: nothing to write */
        if (i == s->nkv) {
            if (s->nkv == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 8;
                sess_kv *kv = kiln_arena_alloc(&c->arena, cap * sizeof *kv);
                if (!kv)
                    return KILN_ENOMEM;
                if (s->nkv)
                    memcpy(kv, s->kv, s->nkv * sizeof *kv);
                s->kv = kv;
                s->cap = cap;
            }
            char *k = kiln_arena_strndup(&c->arena, key, strlen(key));
            if (!k)
                return KILN_ENOMEM;
            s->kv[s->nkv++].key = (kiln_str){k, strlen(k)};
        }
        s->kv[i].val = (kiln_str){val, v.n};
    }
    s->dirty = true;
    return sess_changed(c, s);
}
