/*
 * cli/user.c - kiln user and kiln token: the app's built-in users and
 * their API tokens, in its database (docs/auth.md, docs/cli.md).
 *
 *   kiln user create [--superuser] [--staff] [--email E] [--name N]
 *                    [--role R]... USERNAME
 *   kiln user set-password USERNAME     (ends the user's sessions)
 *   kiln user roles USERNAME [add|remove ROLE...]
 *   kiln user list
 *   kiln token create USERNAME [--expires 30d] [--name N]
 *   kiln token list [USERNAME]
 *   kiln token revoke ID
 *
 * A password is asked for twice without echo on a terminal, or read as one
 * line from standard input otherwise (`printf '%s\n' "$PW" | kiln user
 * create alice`). Every form takes the settings flags too (--prod, --db
 * URL, --set ...), as kiln migrate does, to find the database and the
 * [auth] settings. A role given (--role, roles add) must be one of kiln.toml's
 * [roles]: anything else is an error naming the nearest declared one.
 */
#include "cli.h"

#include "app/project.h"
#include "auth/auth_impl.h"
#include "auth/cred_cache.h"
#include "db/migrate.h"
#include "pubsub/pubsub.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char user_help[] =
    "usage: kiln user create [--superuser] [--staff] [--email E] [--name N] "
    "[--role R]... USERNAME\n"
    "       kiln user set-password USERNAME\n"
    "       kiln user roles USERNAME [add|remove ROLE...]\n"
    "       kiln user list\n\n"
    "The app's built-in users (the kiln_user table that kiln migrate "
    "makes).\n"
    "create and set-password ask for the password twice without echo on a\n"
    "terminal, or read it as one line from standard input; it must pass the\n"
    "[auth] password policy (length, the common-password list, not the\n"
    "username or email).\n"
    "roles shows the user's roles, or adds or removes some; a role must be\n"
    "declared in kiln.toml's [roles] (a role the user holds can always be\n"
    "removed).\n\n"
    "  --superuser      the user has every permission (implies --staff)\n"
    "  --staff          the user may use staff pages\n"
    "  --email E        the user's email (also a login; unique)\n"
    "  --name N         the display name\n"
    "  --role R         a role of [roles] (repeat it for more)\n"
    "  --prod           production settings (no .env), as 'kiln run' uses\n"
    "  --db URL         another database (also KILN_DATABASE_URL, --set ...)\n";

static const char token_help[] =
    "usage: kiln token create USERNAME [--expires DURATION] [--name N]\n"
    "       kiln token list [USERNAME]\n"
    "       kiln token revoke ID\n\n"
    "Personal API tokens, sent as 'Authorization: Bearer <token>'. create\n"
    "prints the token once on standard output: only its hash is kept.\n\n"
    "  --expires D      expire after D: seconds, or 90m, 12h, 30d, 4w\n"
    "                   (default: never)\n"
    "  --name N         what the token is for, shown by list\n"
    "  --prod           production settings (no .env), as 'kiln run' uses\n"
    "  --db URL         another database (also KILN_DATABASE_URL, --set ...)\n";

enum { ARGS_MAX = 32 };

typedef struct args {
    const char *sub, *target; /* subcommand and its one word */
    const char *email, *name, *expires;
    bool superuser, staff;
    const char *roles[ARGS_MAX]; /* --role, in order (argv's strings) */
    size_t nroles;
    const char *words[ARGS_MAX]; /* the words after target (roles) */
    size_t nwords;
} args;

/* Takes this command's words and flags out of argv (the settings flags go
   to rest). Returns 0 or a usage error's exit status. */
static int parse(int argc, char **argv, const char *const *subs, size_t nsubs,
                 args *a, char **rest, int *nrest)
{
    *nrest = 0;
    rest[(*nrest)++] = argv[0];
    int i = 1;
    if (i >= argc || argv[i][0] == '-') {
        char list[128];
        size_t o = 0;
        for (size_t k = 0; k < nsubs && o < sizeof list; k++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
                                  k == 0           ? ""
                                  : k == nsubs - 1 ? " or "
                                                   : ", ",
                                  subs[k]);
        return cli_usage_error("which one: %s?", list);
    }
    for (size_t k = 0; k < nsubs && !a->sub; k++)
        if (strcmp(argv[i], subs[k]) == 0)
            a->sub = subs[k];
    if (!a->sub) {
        const char *near = cli_suggest(argv[i], subs, nsubs);
        if (near)
            return cli_usage_error(
                "unknown subcommand '%s' (did you mean '%s'?)", argv[i], near);
        return cli_usage_error("unknown subcommand '%s'", argv[i]);
    }
    for (i++; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(s, "--email")     ? &a->email
                            : !strcmp(s, "--name")    ? &a->name
                            : !strcmp(s, "--expires") ? &a->expires
                                                      : NULL;
        if (slot) {
            if (!v)
                return cli_usage_error("%s needs a value", s);
            *slot = v;
            i++;
        } else if (!strcmp(s, "--role")) {
            if (!v)
                return cli_usage_error("--role needs a value");
            if (a->nroles == ARGS_MAX)
                return cli_usage_error("at most %d --role", ARGS_MAX);
            a->roles[a->nroles++] = v;
            i++;
        } else if (!strcmp(s, "--superuser")) {
            a->superuser = true;
        } else if (!strcmp(s, "--staff")) {
            a->staff = true;
        } else if (s[0] == '-') {
            rest[(*nrest)++] = argv[i]; /* a settings flag, or unknown */
            if (v && v[0] != '-' &&
                (!strcmp(s, "--db") || !strcmp(s, "--set") ||
                 !strcmp(s, "--root")))
                rest[(*nrest)++] = argv[++i];
        } else if (!a->target) {
            a->target = s;
        } else if (!strcmp(a->sub, "roles") && a->nwords < ARGS_MAX) {
            a->words[a->nwords++] = s;
        } else {
            return cli_unknown_option(s);
        }
    }
    return 0;
}

/* ---- passwords ---------------------------------------------------------- */

/* One line of fd into buf (without its end); echo off when it is a
   terminal. 0, or -1 at end of input / too long. */
static int read_line(const char *prompt, char *buf, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fputs(prompt, stderr);
        fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    size_t n = 0;
    int ch, rc = 0;
    while ((ch = getchar()) != EOF && ch != '\n') {
        if (n + 1 >= cap) {
            rc = -1;
            continue; /* read the rest of the line away */
        }
        buf[n++] = (char)ch;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = 0;
    if (ch == EOF && n == 0)
        rc = -1;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return rc;
}

/* Asks for a password that passes the policy and hashes it into hash.
   0 or the exit status of a failure it reported. */
static int new_password(const kiln_settings *s, const char *username,
                        const char *email, char hash[AUTH_HASH_MAX])
{
    char pw[AUTH_PASSWORD_MAX + 2], again[AUTH_PASSWORD_MAX + 2];
    if (read_line("Password: ", pw, sizeof pw) != 0)
        return cli_fail("no password given (or longer than %d bytes)",
                        AUTH_PASSWORD_MAX);
    if (isatty(STDIN_FILENO)) {
        if (read_line("Password (again): ", again, sizeof again) != 0 ||
            strcmp(pw, again) != 0) {
            sodium_memzero(pw, sizeof pw);
            sodium_memzero(again, sizeof again);
            return cli_fail("the two passwords differ");
        }
        sodium_memzero(again, sizeof again);
    }
    auth_policy pol = auth_policy_of(s);
    kiln_arena a;
    kiln_arena_init(&a, 1024);
    kiln_errors e;
    kiln_errors_init(&e, &a);
    int rc = 0;
    if (auth_password_check(&pol, kiln_str_c(pw), username, email, &e,
                            "/password") > 0) {
        for (size_t i = 0; i < e.n; i++)
            fprintf(stderr, "kiln: %s\n", e.items[i].detail);
        rc = 1;
    }
    kiln_arena_deinit(&a);
    if (rc == 0 &&
        auth_password_hash(pw, strlen(pw), auth_cost_of(s), hash) != 0)
        rc = cli_fail("hashing the password failed (out of memory?)");
    sodium_memzero(pw, sizeof pw);
    return rc;
}

/* ---- kiln user ---------------------------------------------------------- */

static bool username_ok(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 150)
        return false;
    for (; *u; u++) {
        unsigned char ch = (unsigned char)*u;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("@.+-_", ch);
        if (!ok)
            return false;
    }
    return true;
}

static bool email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    return strlen(e) <= 254 && at && at > e && at[1] && !strchr(at + 1, '@') &&
           !strpbrk(e, " \t\r\n<>,;\"");
}

/* ---- roles -------------------------------------------------------------- */

/* 0 when role is declared in s's [roles]; else 1 after saying so, with the
   nearest declared name when one is close. */
static int role_declared(const kiln_settings *s, const char *role)
{
    const kiln_role *v;
    size_t n = kiln_settings_roles(s, &v);
    const char *names[64];
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i].name, role))
            return 0;
        if (nn < sizeof names / sizeof names[0])
            names[nn++] = v[i].name;
    }
    if (!n)
        return cli_fail("role '%s': kiln.toml declares no [roles]", role);
    const char *near = cli_suggest(role, names, nn);
    if (near)
        return cli_fail("unknown role '%s' (did you mean '%s'?)", role, near);
    char list[512];
    size_t o = 0;
    list[0] = '\0';
    for (size_t i = 0; i < nn && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                              names[i]);
    return cli_fail("unknown role '%s': [roles] declares %s", role, list);
}

/* Gives user id role (nothing when it holds it already). 0, or a failure
   said. */
static int role_add(kiln_dbc *db, int64_t id, const char *role)
{
    if (kiln_db_exec(db,
                     "INSERT INTO kiln_user_role (user_id, role) VALUES "
                     "($1, $2) ON CONFLICT (user_id, role) DO NOTHING",
                     KILN_INT(id), KILN_TEXT(role)) < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    return 0;
}

/* Prints "roles of NAME: a, b" (or "none") from the database. */
static int roles_print(kiln_dbc *db, const char *name, int64_t id)
{
    kiln_rows *r = kiln_db_query(db,
                                 "SELECT role FROM kiln_user_role WHERE "
                                 "user_id = $1 ORDER BY role",
                                 KILN_INT(id));
    if (!r)
        return cli_fail("%s", kiln_db_errmsg(db));
    printf("roles of %s: ", name);
    size_t n = 0;
    while (kiln_rows_next(r)) {
        kiln_str role = kiln_row_text(r, 0);
        printf("%s%.*s", n++ ? ", " : "", (int)role.n, role.p);
    }
    printf("%s\n", n ? "" : "none");
    if (kiln_rows_error(r) < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    return 0;
}

static int64_t user_id(kiln_dbc *db, const char *username);

/* kiln user roles USERNAME [add|remove ROLE...] */
/* Tells the app's running instances to drop what they cache of a user's
   ('u') or a token's ('t') credentials, through the app's pub/sub when it
   has a Redis or PostgreSQL backend (pubsub_publish_once); without one
   they see the change within auth.cache_seconds. A failure is a warning:
   the change itself is made. */
static void tell_instances(const kiln_settings *s, char what, int64_t id)
{
    if (kiln_settings_int(s, "auth.cache_seconds") <= 0)
        return; /* the apps cache nothing */
    char root[PATH_MAX], buf[PATH_MAX + 64], msg[CRED_MSG_MAX], err[400];
    if (cli_find_root(root) != 0)
        snprintf(root, sizeof root, ".");
    kiln_pubsub_opts o;
    project_pubsub_opts(s, root, &o, buf, sizeof buf);
    size_t n = cred_msg_format(&(cred_msg){.what = what, .id = id}, msg);
    if (pubsub_publish_once(&o, CRED_CACHE_TOPIC, msg, n, err, sizeof err))
        fprintf(stderr,
                "kiln: warning: running instances were not told (%s): they "
                "see the change within auth.cache_seconds (%lld s)\n",
                err, (long long)kiln_settings_int(s, "auth.cache_seconds"));
}

static int user_roles(kiln_dbc *db, const kiln_settings *s, const args *a)
{
    if (!a->target)
        return cli_usage_error("roles needs a USERNAME");
    bool add = a->nwords && !strcmp(a->words[0], "add");
    bool remove = a->nwords && !strcmp(a->words[0], "remove");
    if (a->nwords && !add && !remove) {
        static const char *const acts[] = {"add", "remove"};
        const char *near = cli_suggest(a->words[0], acts, 2);
        if (near)
            return cli_usage_error("unknown action '%s' (did you mean "
                                   "'%s'?)",
                                   a->words[0], near);
        return cli_usage_error("unknown action '%s': add or remove",
                               a->words[0]);
    }
    if (a->nwords == 1)
        return cli_usage_error("%s needs a ROLE", a->words[0]);
    int64_t id = user_id(db, a->target);
    if (!id)
        return 1;
    for (size_t i = 1; add && i < a->nwords; i++)
        if (role_declared(s, a->words[i]))
            return 1;
    if (kiln_db_begin(db) != 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    for (size_t i = 1; i < a->nwords; i++) {
        int rc = 0;
        if (add) {
            rc = role_add(db, id, a->words[i]);
        } else {
            int64_t n = kiln_db_exec(db,
                                     "DELETE FROM kiln_user_role WHERE "
                                     "user_id = $1 AND role = $2",
                                     KILN_INT(id), KILN_TEXT(a->words[i]));
            if (n < 0)
                rc = cli_fail("%s", kiln_db_errmsg(db));
            else if (n == 0 && role_declared(s, a->words[i]) == 0)
                rc = cli_fail("%s does not hold the role '%s'", a->target,
                              a->words[i]);
            else if (n == 0)
                rc = 1; /* neither held nor declared: said */
        }
        if (rc) {
            kiln_db_rollback(db);
            return rc;
        }
    }
    if (kiln_db_commit(db) != 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (a->nwords)
        tell_instances(s, 'u', id);
    return roles_print(db, a->target, id);
}

static int user_create(kiln_dbc *db, const kiln_settings *s, const args *a)
{
    if (!a->target)
        return cli_usage_error("create needs a USERNAME");
    if (!username_ok(a->target))
        return cli_fail("username '%s': 1 to 150 letters, digits and @.+-_",
                        a->target);
    if (a->email && *a->email && !email_ok(a->email))
        return cli_fail("email '%s' is not an email address", a->email);
    for (size_t i = 0; i < a->nroles; i++)
        if (role_declared(s, a->roles[i]))
            return 1; /* before the password is asked for */
    char hash[AUTH_HASH_MAX];
    int rc = new_password(s, a->target, a->email, hash);
    if (rc)
        return rc;
    int64_t id = auth_user_create(db, a->target, a->email, a->name, hash,
                                  a->staff || a->superuser, a->superuser);
    if (id == KILN_ESTATE)
        return cli_fail("a user with that username or email exists already");
    if (id < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    for (size_t i = 0; i < a->nroles; i++)
        if ((rc = role_add(db, id, a->roles[i])) != 0)
            return rc;
    printf("user %s created (id %lld%s)\n", a->target, (long long)id,
           a->superuser ? ", superuser"
           : a->staff   ? ", staff"
                        : "");
    if (a->nroles)
        return roles_print(db, a->target, id);
    return 0;
}

/* The id of the user called username (a username, or a local email). 0
   after printing why not. */
static int64_t user_id(kiln_dbc *db, const char *username)
{
    kiln_arena a;
    kiln_arena_init(&a, 1024);
    kiln_user *u;
    const char *hash;
    int rc = auth_user_find_login(db, &a, kiln_str_c(username), &u, &hash);
    int64_t id = rc == 0 ? u->id : 0;
    kiln_arena_deinit(&a);
    if (rc == KILN_ENOTFOUND)
        cli_fail("no user '%s' (kiln user list shows them)", username);
    else if (rc)
        cli_fail("%s", kiln_db_errmsg(db));
    return id;
}

static int user_set_password(kiln_dbc *db, const kiln_settings *s,
                             const args *a)
{
    if (!a->target)
        return cli_usage_error("set-password needs a USERNAME");
    int64_t id = user_id(db, a->target);
    if (!id)
        return 1;
    kiln_arena ar;
    kiln_arena_init(&ar, 1024);
    kiln_user *u;
    const char *email = NULL;
    if (auth_user_load_db(db, &ar, id, &u) == 0)
        email = u->email;
    char hash[AUTH_HASH_MAX];
    int rc = new_password(s, a->target, email, hash);
    kiln_arena_deinit(&ar);
    if (rc)
        return rc;
    /* the new password and the end of every session of the user, at
       once (as the admin's Set password does) */
    int64_t ended = -1;
    if (kiln_db_begin(db) != 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (auth_user_set_hash(db, id, hash) < 0 ||
        (ended = kiln_db_exec(db, "DELETE FROM kiln_session WHERE user_id = $1",
                              KILN_INT(id))) < 0 ||
        kiln_db_commit(db) != 0) {
        rc = cli_fail("%s", kiln_db_errmsg(db));
        kiln_db_rollback(db);
        return rc;
    }
    tell_instances(s, 'u', id);
    printf("password of %s changed; %lld session%s ended\n", a->target,
           (long long)ended, ended == 1 ? "" : "s");
    return 0;
}

static void fmt_ms(int64_t ms, char *out, size_t n)
{
    if (ms <= 0) {
        snprintf(out, n, "-");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static int user_list(kiln_dbc *db)
{
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    kiln_user *v;
    int n = auth_user_list(db, &a, &v);
    if (n < 0) {
        kiln_arena_deinit(&a);
        return cli_fail("%s", kiln_db_errmsg(db));
    }
    printf("%-5s %-20s %-28s %-10s %-17s %s\n", "ID", "USERNAME", "EMAIL",
           "FLAGS", "LAST LOGIN", "ROLES");
    for (int i = 0; i < n; i++) {
        const kiln_user *u = &v[i];
        char flags[32], last[32];
        snprintf(flags, sizeof flags, "%s%s%s",
                 u->superuser ? "super"
                 : u->staff   ? "staff"
                              : "",
                 u->active ? "" : (u->superuser || u->staff ? ",off" : "off"),
                 u->issuer ? (u->superuser || u->staff || !u->active ? ",oidc"
                                                                     : "oidc")
                           : "");
        fmt_ms(u->last_login, last, sizeof last);
        printf("%-5lld %-20s %-28s %-10s %-17s ", (long long)u->id,
               *u->username ? u->username : "-", *u->email ? u->email : "-",
               *flags ? flags : "-", last);
        for (size_t k = 0; k < u->nroles; k++)
            printf("%s%s", k ? "," : "", u->roles[k]);
        printf("%s\n", u->nroles ? "" : "-");
    }
    printf("%d user%s\n", n, n == 1 ? "" : "s");
    kiln_arena_deinit(&a);
    return 0;
}

/* ---- kiln token --------------------------------------------------------- */

static int token_create(kiln_dbc *db, const args *a)
{
    if (!a->target)
        return cli_usage_error("create needs a USERNAME");
    int64_t secs = 0;
    if (a->expires && auth_duration_parse(kiln_str_c(a->expires), &secs) != 0)
        return cli_usage_error("--expires '%s': seconds, or a number and "
                               "m, h, d or w (30d)",
                               a->expires);
    int64_t uid = user_id(db, a->target);
    if (!uid)
        return 1;
    char tok[AUTH_TOKEN_LEN + 1];
    int64_t exp = secs ? (auth_now_ms() + secs * 1000) * 1000 : 0;
    int64_t id = auth_token_create(db, uid, a->name, exp, tok);
    if (id < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    fprintf(stderr,
            "token %lld for %s created; it is shown this once, copy it "
            "now:\n",
            (long long)id, a->target);
    printf("%s\n", tok);
    sodium_memzero(tok, sizeof tok);
    return 0;
}

static int token_list(kiln_dbc *db, const args *a)
{
    int64_t uid = 0;
    if (a->target && !(uid = user_id(db, a->target)))
        return 1;
    kiln_arena ar;
    kiln_arena_init(&ar, 4096);
    auth_token_row *v;
    int n = auth_token_list(db, &ar, uid, &v);
    if (n < 0) {
        kiln_arena_deinit(&ar);
        return cli_fail("%s", kiln_db_errmsg(db));
    }
    printf("%-5s %-6s %-14s %-17s %-17s %-17s %s\n", "ID", "USER", "PREFIX",
           "CREATED", "EXPIRES", "LAST USED", "NAME");
    int64_t now = auth_now_ms();
    for (int i = 0; i < n; i++) {
        const auth_token_row *t = &v[i];
        char cr[32], ex[32], lu[32], pre[32];
        fmt_ms(t->created / 1000, cr, sizeof cr);
        fmt_ms(t->expires / 1000, ex, sizeof ex);
        fmt_ms(t->last_used / 1000, lu, sizeof lu);
        snprintf(pre, sizeof pre, "kiln_%s", t->prefix);
        if (t->revoked)
            snprintf(ex, sizeof ex, "revoked");
        else if (t->expires && t->expires / 1000 <= now)
            snprintf(ex, sizeof ex, "expired");
        printf("%-5lld %-6lld %-14s %-17s %-17s %-17s %s\n", (long long)t->id,
               (long long)t->user_id, pre, cr, ex, lu,
               *t->name ? t->name : "-");
    }
    printf("%d token%s\n", n, n == 1 ? "" : "s");
    kiln_arena_deinit(&ar);
    return 0;
}

static int token_revoke(kiln_dbc *db, const kiln_settings *s, const args *a)
{
    char *end;
    long long id = a->target ? strtoll(a->target, &end, 10) : 0;
    if (!a->target || *end || id <= 0)
        return cli_usage_error("revoke needs a token ID (kiln token list)");
    int rc = auth_token_revoke(db, id, 0);
    if (rc < 0)
        return cli_fail("%s", kiln_db_errmsg(db));
    if (rc == 0)
        return cli_fail("no live token %lld (kiln token list)", id);
    tell_instances(s, 't', id);
    printf("token %lld revoked\n", id);
    return 0;
}

/* ---- the commands ------------------------------------------------------- */

static int run(int argc, char **argv, const char *help, const char *const *subs,
               size_t nsubs, bool token)
{
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return 0;
    }
    args a = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return cli_fail("out of memory");
    int nrest = 0;
    int rc = parse(argc, argv, subs, nsubs, &a, rest, &nrest);
    if (rc == 0 && !token && (a.expires))
        rc = cli_unknown_option("--expires");
    if (rc == 0 && a.nroles && (token || strcmp(a.sub, "create") != 0))
        rc = cli_unknown_option("--role");
    if (rc == 0 && token && (a.email || a.superuser || a.staff))
        rc = cli_unknown_option(a.email       ? "--email"
                                : a.superuser ? "--superuser"
                                              : "--staff");
    kiln_settings *s = NULL;
    kiln_dbc *db = rc ? NULL
                      : cli_open_db(nrest, rest, auth_schema.part,
                                    (int)auth_schema.n, "user tables", &s, &rc);
    if (db) {
        const char *sub = a.sub;
        if (!token)
            rc = !strcmp(sub, "create")         ? user_create(db, s, &a)
                 : !strcmp(sub, "set-password") ? user_set_password(db, s, &a)
                 : !strcmp(sub, "roles")        ? user_roles(db, s, &a)
                                                : user_list(db);
        else
            rc = !strcmp(sub, "create") ? token_create(db, &a)
                 : !strcmp(sub, "list") ? token_list(db, &a)
                                        : token_revoke(db, s, &a);
        kiln_dbc_close(db);
    }
    kiln_settings_free(s);
    free(rest);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    static const char *const subs[] = {"create", "set-password", "roles",
                                       "list"};
    return run(argc, argv, user_help, subs, 4, false);
}

int cmd_token(int argc, char **argv)
{
    static const char *const subs[] = {"create", "list", "revoke"};
    return run(argc, argv, token_help, subs, 3, true);
}
