/*
 * tests/auth/test_password.c - argon2id hashes (off the loop, dummy hash
 * for accounts without one, rehash detection) and the password policy.
 */
#include "test.h"

#include "auth/auth_impl.h"

/* cheap enough for a test: 1 pass, 8 MiB */
static const auth_cost cheap = {1, 8u << 20};

TEST(hash_and_verify)
{
    char h[AUTH_HASH_MAX];
    CHECK_INT(auth_password_hash("correct horse", 13, cheap, h), 0);
    CHECK(strncmp(h, "$argon2id$", 10) == 0);
    bool ok, re;
    CHECK_INT(auth_password_verify(h, "correct horse", 13, cheap, &ok, &re), 0);
    CHECK(ok);
    CHECK(!re);
    CHECK_INT(auth_password_verify(h, "correct hors", 12, cheap, &ok, &re), 0);
    CHECK(!ok);
    CHECK(!re);
    /* two hashes of one password differ (a random salt each) */
    char h2[AUTH_HASH_MAX];
    CHECK_INT(auth_password_hash("correct horse", 13, cheap, h2), 0);
    CHECK(strcmp(h, h2) != 0);
}

TEST(rehash_when_the_cost_changes)
{
    char h[AUTH_HASH_MAX];
    CHECK_INT(auth_password_hash("correct horse", 13, cheap, h), 0);
    bool ok, re;
    auth_cost more = {2, 8u << 20};
    CHECK_INT(auth_password_verify(h, "correct horse", 13, more, &ok, &re), 0);
    CHECK(ok);
    CHECK(re);
    auth_cost bigger = {1, 16u << 20};
    CHECK_INT(auth_password_verify(h, "correct horse", 13, bigger, &ok, &re),
              0);
    CHECK(ok && re);
    /* a wrong password never asks for a rehash */
    CHECK_INT(auth_password_verify(h, "wrong", 5, more, &ok, &re), 0);
    CHECK(!ok && !re);
}

TEST(no_hash_never_matches)
{
    bool ok = true, re = true;
    /* an account without a password, or a hash of another kind: checked
       against the dummy hash, never a match */
    CHECK_INT(auth_password_verify("", "", 0, cheap, &ok, &re), 0);
    CHECK(!ok && !re);
    CHECK_INT(auth_password_verify("plain", "plain", 5, cheap, &ok, &re), 0);
    CHECK(!ok);
    CHECK_INT(auth_password_verify(NULL, "x", 1, cheap, &ok, NULL), 0);
    CHECK(!ok);
    /* an argon2i (not id) hash is not accepted either */
    CHECK_INT(auth_password_verify("$argon2i$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA",
                                   "x", 1, cheap, &ok, NULL),
              0);
    CHECK(!ok);
}

TEST(too_long_is_refused_by_hash)
{
    static char big[AUTH_PASSWORD_MAX + 10];
    memset(big, 'a', sizeof big);
    char h[AUTH_HASH_MAX];
    CHECK_INT(auth_password_hash(big, sizeof big, cheap, h), KILN_EINVAL);
}

static const kiln_error_item *check(const char *pw, const char *user,
                                    const char *email, int want)
{
    static kiln_arena a;
    static kiln_errors e;
    kiln_arena_init(&a, 1024);
    kiln_errors_init(&e, &a);
    auth_policy p = {8, true};
    int n =
        auth_password_check(&p, kiln_str_c(pw), user, email, &e, "/password");
    if (n != want)
        test_fail(__FILE__, __LINE__, "'%s': %d errors, want %d", pw, n, want);
    return n ? &e.items[0] : NULL;
}

TEST(policy)
{
    CHECK(check("tr0ub4dor&3x", "alice", "alice@example.org", 0) == NULL);
    const kiln_error_item *it = check("short1", "alice", NULL, 1);
    CHECK_STR(it->code, "too_short");
    CHECK_STR(it->pointer, "/password");
    /* characters, not bytes: seven two-byte letters are too short */
    it = check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL,
               NULL, 1);
    CHECK_STR(it->code, "too_short");
    CHECK(check("\xc3\xa9t\xc3\xa9-\xc3\xa0-paris", NULL, NULL, 0) == NULL);
    it = check("password", "bob", NULL, 1);
    CHECK_STR(it->code, "too_common");
    it = check("Alice.Smith", "alice.smith", NULL, 1);
    CHECK_STR(it->code, "like_username");
    it = check("Bob@Example.org", "bob2", "bob@example.org", 1);
    CHECK_STR(it->code, "like_email");
    /* the email's local part counts too */
    it = check("robert.tables", "bob3", "robert.tables@example.org", 1);
    CHECK_STR(it->code, "like_email");
    /* short and common: both said */
    check("qwerty", NULL, NULL, 2);
}

TEST(common_list_and_patterns)
{
    CHECK(auth_password_common(kiln_str_c("password")));
    CHECK(auth_password_common(kiln_str_c("PassWord")));
    CHECK(auth_password_common(kiln_str_c("password1")));
    CHECK(auth_password_common(kiln_str_c("Dragon2024!")));
    CHECK(auth_password_common(kiln_str_c("letmein!!")));
    CHECK(auth_password_common(kiln_str_c("123456789")));
    CHECK(auth_password_common(kiln_str_c("qwertyuiop")));
    CHECK(auth_password_common(kiln_str_c("zzzzzzzzzzzz")));
    CHECK(auth_password_common(kiln_str_c("")));
    /* more than five characters after the stem: not the pattern */
    CHECK(!auth_password_common(kiln_str_c("dragon12345!")));
    CHECK(!auth_password_common(kiln_str_c("dragonfly")));
    CHECK(!auth_password_common(kiln_str_c("tr0ub4dor&3x")));
    CHECK(!auth_password_common(kiln_str_c("correct horse battery staple")));
    /* the switch in [auth] */
    kiln_arena a;
    kiln_arena_init(&a, 512);
    kiln_errors e;
    kiln_errors_init(&e, &a);
    auth_policy off = {8, false};
    CHECK_INT(
        auth_password_check(&off, kiln_str_c("password"), NULL, NULL, &e, "/p"),
        0);
    kiln_arena_deinit(&a);
}

TEST(settings_give_cost_and_policy)
{
    auth_cost d = auth_cost_of(NULL);
    CHECK(d.ops == crypto_pwhash_OPSLIMIT_INTERACTIVE);
    CHECK(d.mem == crypto_pwhash_MEMLIMIT_INTERACTIVE);
    auth_policy p = auth_policy_of(NULL);
    CHECK_INT((int)p.min_length, 8);
    CHECK(p.common);
}
