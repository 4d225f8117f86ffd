/*
 * tests/auth/test_user.c - the built-in user's rows on SQLite (and on
 * PostgreSQL when KILN_TEST_DB_URL names one): create and find, unique
 * usernames and emails, API tokens (live, expired, revoked, last used),
 * and the OIDC sync that writes only what changed.
 */
#include "test.h"

#include "auth/auth_impl.h"
#include "db/migrate.h"

#include <unistd.h>

static char dbpath[64];

static kiln_dbc *open_db(void)
{
    char url[128], err[256];
    const char *pg = getenv("KILN_TEST_DB_URL");
    if (pg && *pg) {
        snprintf(url, sizeof url, "%s", pg);
    } else {
        strcpy(dbpath, "/tmp/kiln-auth-XXXXXX");
        int fd = mkstemp(dbpath);
        if (fd < 0)
            test_fail(__FILE__, __LINE__, "mkstemp");
        close(fd);
        snprintf(url, sizeof url, "sqlite://%s", dbpath);
    }
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db)
        test_fail(__FILE__, __LINE__, "open: %s", err);
    if (pg && *pg)
        kiln_db_exec(db,
                     "DROP TABLE IF EXISTS kiln_token, kiln_user_role, "
                     "kiln_user, kiln_session, kiln_tasks, kiln_task_ticks, "
                     "kiln_audit, "
                     "kiln_schema");
    if (kiln_db_migrate_kiln(db, KILN_MIGRATE_APPLY, NULL, err, sizeof err) < 1)
        test_fail(__FILE__, __LINE__, "migrate: %s", err);
    return db;
}

static void done(kiln_dbc *db)
{
    kiln_dbc_close(db);
    if (dbpath[0]) {
        unlink(dbpath);
        char side[80];
        snprintf(side, sizeof side, "%s-wal", dbpath);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", dbpath);
        unlink(side);
    }
}

TEST(create_and_find)
{
    kiln_dbc *db = open_db();
    int64_t id = auth_user_create(db, "alice", "Alice@Example.org", "Alice",
                                  "$argon2id$x", false, true);
    CHECK(id > 0);
    CHECK_INT((int)auth_user_create(db, "alice", "", "", "", false, false),
              KILN_ESTATE);
    /* the email is unique among local accounts, ignoring case */
    CHECK_INT((int)auth_user_create(db, "alice2", "alice@example.ORG", "", "",
                                    false, false),
              KILN_ESTATE);
    int64_t bob = auth_user_create(db, "bob", "", "", "", true, false);
    CHECK(bob > id);
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    kiln_user *u;
    const char *hash;
    CHECK_INT(auth_user_find_login(db, &a, kiln_str_c("alice"), &u, &hash), 0);
    CHECK(u->id == id);
    CHECK_STR(hash, "$argon2id$x");
    CHECK(u->superuser && !u->staff && u->active);
    CHECK_STR(u->email, "Alice@Example.org");
    CHECK(u->issuer == NULL && u->subject == NULL);
    CHECK(u->created > 0 && u->last_login == 0);
    CHECK_INT(auth_user_find_login(db, &a, kiln_str_c("ALICE@example.org"), &u,
                                   &hash),
              0);
    CHECK(u->id == id);
    /* usernames are exact */
    CHECK_INT(auth_user_find_login(db, &a, kiln_str_c("Alice"), &u, &hash),
              KILN_ENOTFOUND);
    CHECK_INT(auth_user_find_login(db, &a, kiln_str_c(""), &u, &hash),
              KILN_ENOTFOUND);
    CHECK_INT(auth_user_touch_login(db, id), 0);
    CHECK_INT(auth_user_set_hash(db, id, "$argon2id$y"), 1);
    CHECK_INT(auth_user_set_hash(db, 999, "$argon2id$y"), 0);
    CHECK_INT(auth_user_find_login(db, &a, kiln_str_c("alice"), &u, &hash), 0);
    CHECK_STR(hash, "$argon2id$y");
    CHECK(u->last_login > 0);
    kiln_user *v;
    CHECK_INT(auth_user_list(db, &a, &v), 2);
    CHECK_STR(v[1].username, "bob");
    CHECK(v[1].staff);
    kiln_arena_deinit(&a);
    done(db);
}

TEST(tokens)
{
    kiln_dbc *db = open_db();
    int64_t uid = auth_user_create(db, "carol", "", "", "", false, false);
    char tok[AUTH_TOKEN_LEN + 1];
    int64_t id = auth_token_create(db, uid, "ci", 0, tok);
    CHECK(id > 0);
    CHECK(auth_token_check(db, kiln_str_c(tok)) == uid);
    /* one changed secret character: no match (the prefix finds the row,
       the hash does not match) */
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, tok, sizeof bad);
    bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
    CHECK(auth_token_check(db, kiln_str_c(bad)) == 0);
    CHECK(auth_token_check(db, kiln_str_c("kiln_nope")) == 0);
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    auth_token_row *rows;
    CHECK_INT(auth_token_list(db, &a, uid, &rows), 1);
    CHECK_STR(rows[0].name, "ci");
    CHECK(strncmp(rows[0].prefix, tok + 5, 8) == 0);
    CHECK(rows[0].last_used > 0); /* the check above wrote it */
    CHECK(rows[0].expires == 0 && rows[0].revoked == 0);
    /* expired: refused */
    char old[AUTH_TOKEN_LEN + 1];
    int64_t past = (auth_now_ms() - 1000) * 1000;
    CHECK(auth_token_create(db, uid, "old", past, old) > 0);
    CHECK(auth_token_check(db, kiln_str_c(old)) == 0);
    /* the token's user with its roles, in one query */
    kiln_user *tu = NULL;
    CHECK(kiln_db_exec(db,
                       "INSERT INTO kiln_user_role (user_id, role) VALUES "
                       "($1, 'viewer'), ($1, 'editor')",
                       KILN_INT(uid)) == 2);
    CHECK_INT(auth_token_user(db, &a, kiln_str_c(tok), &tu), 0);
    CHECK(tu && tu->id == uid);
    CHECK_STR(tu->username, "carol");
    CHECK_INT((int)tu->nroles, 2);
    CHECK_STR(tu->roles[0], "editor");
    CHECK_STR(tu->roles[1], "viewer");
    CHECK(tu->roles[2] == NULL);
    CHECK_INT(auth_token_user(db, &a, kiln_str_c(bad), &tu), KILN_ENOTFOUND);
    CHECK(tu == NULL);
    CHECK_INT(auth_token_user(db, &a, kiln_str_c(old), &tu), KILN_ENOTFOUND);
    CHECK_INT(auth_token_user(db, &a, kiln_str_c("kiln_nope"), &tu),
              KILN_ENOTFOUND);
    /* a user without roles: one row, no roles */
    CHECK_INT(auth_user_load_db(db, &a, uid, &tu), 0);
    CHECK_INT((int)tu->nroles, 2);
    CHECK(kiln_db_exec(db, "DELETE FROM kiln_user_role WHERE user_id = $1",
                       KILN_INT(uid)) == 2);
    CHECK_INT(auth_token_user(db, &a, kiln_str_c(tok), &tu), 0);
    CHECK(tu->id == uid && tu->nroles == 0 && tu->roles[0] == NULL);
    /* revoked: refused; revoking twice finds nothing */
    CHECK_INT(auth_token_revoke(db, id, uid + 1), 0); /* another's */
    CHECK_INT(auth_token_revoke(db, id, uid), 1);
    CHECK_INT(auth_token_revoke(db, id, uid), 0);
    CHECK(auth_token_check(db, kiln_str_c(tok)) == 0);
    CHECK_INT(auth_token_user(db, &a, kiln_str_c(tok), &tu), KILN_ENOTFOUND);
    CHECK(tu == NULL);
    CHECK_INT(auth_token_list(db, &a, 0, &rows), 2);
    CHECK(rows[0].revoked > 0);
    kiln_arena_deinit(&a);
    done(db);
}

TEST(oidc_sync_writes_only_changes)
{
    kiln_dbc *db = open_db();
    kiln_arena a;
    kiln_arena_init(&a, 4096);
    const char *roles[] = {"editor", "viewer", "editor"};
    auth_claims cl = {
        "https://idp.example/realms/x", "sub-1", "d@x.org", "Dee", roles, 3};
    kiln_user *u;
    bool wrote;
    CHECK_INT(auth_user_sync_db(db, &a, &cl, &u, &wrote), 0);
    CHECK(wrote);
    int64_t id = u->id;
    CHECK_STR(u->issuer, "https://idp.example/realms/x");
    CHECK_STR(u->subject, "sub-1");
    CHECK_STR(u->username, "");
    CHECK_INT((int)u->nroles, 2); /* sorted, without the repeat */
    CHECK_STR(u->roles[0], "editor");
    CHECK_STR(u->roles[1], "viewer");
    /* the same claims again: nothing written */
    const char *same[] = {"viewer", "editor"};
    cl.roles = same;
    cl.nroles = 2;
    CHECK_INT(auth_user_sync_db(db, &a, &cl, &u, &wrote), 0);
    CHECK(!wrote);
    CHECK(u->id == id);
    /* a changed email and roles: written, same user */
    const char *fewer[] = {"viewer"};
    cl.email = "dee@new.example";
    cl.roles = fewer;
    cl.nroles = 1;
    CHECK_INT(auth_user_sync_db(db, &a, &cl, &u, &wrote), 0);
    CHECK(wrote && u->id == id);
    CHECK_STR(u->email, "dee@new.example");
    CHECK_INT((int)u->nroles, 1);
    /* the same sub at another issuer is another user, never matched by
       email; nor is a local account with that email */
    CHECK(auth_user_create(db, "dee", "dee@new.example", "", "", false, false) >
          0);
    cl.issuer = "https://other.example";
    CHECK_INT(auth_user_sync_db(db, &a, &cl, &u, &wrote), 0);
    CHECK(wrote && u->id != id);
    CHECK_STR(u->username, "");
    /* issuer and subject are required */
    cl.subject = "";
    CHECK_INT(auth_user_sync_db(db, &a, &cl, &u, &wrote), KILN_EINVAL);
    kiln_arena_deinit(&a);
    done(db);
}
