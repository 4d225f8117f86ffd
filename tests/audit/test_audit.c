/*
 * tests/audit/test_audit.c - the audit log (audit/audit.c): the diff of
 * an add, a change and a delete for every field type of a model, NULLs
 * both ways, refs and many-to-many links (a set: order is no change),
 * secrets never written; the object's label; and the table on SQLite (or
 * PostgreSQL when KILN_TEST_DB_URL names one): entries recorded in the
 * caller's transaction (a rollback leaves none), listed per object and
 * for every object newest first, with the user, and purged by age.
 */
#include "test.h"

#include <kiln/audit.h>

#include "db/migrate.h"

#include <stddef.h>
#include <unistd.h>

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* ---- a model with a field of every stored type --------------------------- */

typedef struct thing {
    int64_t id;
    kiln_str title;
    bool has_note;
    kiln_str note;
    int64_t count;
    double ratio;
    kiln_str price;
    bool done;
    bool has_due;
    kiln_date due;
    kiln_datetime at;
    kiln_timeofday tod;
    kiln_uuid uid;
    kiln_str email;
    kiln_str url;
    int status;
    kiln_str data;
    bool has_owner;
    int64_t owner;
    kiln_ids tags;
    kiln_str password;
    kiln_str hint; /* write-only */
} thing;

#define F(N, T)                                                                \
    .name = #N, .column = #N, .label = #N, .type = T,                          \
    .offset = offsetof(thing, N), .has_offset = KILN_NO_OFFSET,                \
    .min_length = -1, .max_length = -1
#define OPT(N) .flags = KILN_FF_OPTIONAL, .has_offset = offsetof(thing, has_##N)

static const char *const statuses[] = {"open", "done"};

static const kiln_field owner_fields[] = {
    {.name = "id", .column = "id", .label = "id", .type = KILN_FT_INT},
};
static const kiln_model owner_model = {
    .name = "owner", .table = "owner", .fields = owner_fields, .nfields = 1};

static const kiln_field thing_fields[] = {
    {F(id, KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F(title, KILN_FT_STRING)},
    {F(note, KILN_FT_TEXT), OPT(note)},
    {F(count, KILN_FT_INT)},
    {F(ratio, KILN_FT_FLOAT)},
    {F(price, KILN_FT_DECIMAL), .precision = 8, .scale = 2},
    {F(done, KILN_FT_BOOL)},
    {F(due, KILN_FT_DATE), OPT(due)},
    {F(at, KILN_FT_DATETIME)},
    {F(tod, KILN_FT_TIME)},
    {F(uid, KILN_FT_UUID)},
    {F(email, KILN_FT_EMAIL)},
    {F(url, KILN_FT_URL)},
    {F(status, KILN_FT_ENUM), .values = statuses, .nvalues = 2},
    {F(data, KILN_FT_JSON)},
    {F(owner, KILN_FT_REF), OPT(owner), .column = "owner_id",
     .ref = &owner_model},
    {F(tags, KILN_FT_MANY), .column = NULL, .ref = &owner_model},
    {F(password, KILN_FT_STRING)},
    {F(hint, KILN_FT_STRING), .flags = KILN_FF_WRITE_ONLY},
};
static const kiln_model thing_model = {.name = "thing",
                                       .table = "thing",
                                       .label = "thing",
                                       .fields = thing_fields,
                                       .nfields = sizeof thing_fields /
                                                  sizeof thing_fields[0],
                                       .size = sizeof(thing)};

static int64_t tags_a[] = {3, 1, 2};
static int64_t tags_b[] = {2, 3, 1}; /* the same set */
static int64_t tags_c[] = {1, 4};

/* A thing with every field set. */
static thing sample(void)
{
    thing t = {
        .id = 7,
        .title = KILN_STR("Write docs"),
        .has_note = true,
        .note = KILN_STR("a \"quoted\" note"),
        .count = 3,
        .ratio = 0.5,
        .price = KILN_STR("12.50"),
        .done = false,
        .has_due = true,
        .due = {2026, 12, 5},
        .at = 1764892800000000LL, /* 2025-12-05T00:00:00Z */
        .tod = 3600000000LL,
        .email = KILN_STR("a@example.org"),
        .url = KILN_STR("https://example.org/"),
        .status = 0,
        .data = KILN_STR("{\"k\":[1,2]}"),
        .has_owner = true,
        .owner = 9,
        .tags = {tags_a, 3},
        .password = KILN_STR("hunter2"),
        .hint = KILN_STR("my cat"),
    };
    t.uid.b[15] = 1;
    return t;
}

/* The diff of act as a NUL-terminated string (static storage). */
static const char *diff(kiln_audit_action act, const thing *before,
                        const thing *after)
{
    static char out[4096];
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = kiln_audit_diff(&thing_model, act, before, after, &b);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "kiln_audit_diff: %d", rc);
    snprintf(out, sizeof out, "%.*s", (int)b.n, b.p);
    kiln_buf_deinit(&b);
    return out;
}

TEST(add_has_every_value_secrets_redacted)
{
    thing t = sample();
    CHECK_STR(
        diff(KILN_AUDIT_ADD, NULL, &t),
        "{\"id\":7,\"title\":\"Write docs\",\"note\":\"a \\\"quoted\\\" note\","
        "\"count\":3,\"ratio\":0.5,\"price\":\"12.50\",\"done\":false,"
        "\"due\":\"2026-12-05\",\"at\":\"2025-12-05T00:00:00.000Z\","
        "\"tod\":\"01:00:00\","
        "\"uid\":\"00000000-0000-0000-0000-000000000001\","
        "\"email\":\"a@example.org\",\"url\":\"https://example.org/\","
        "\"status\":\"open\",\"data\":{\"k\":[1,2]},\"owner\":9,"
        "\"tags\":[1,2,3],\"password\":{\"redacted\":true},"
        "\"hint\":{\"redacted\":true}}");
}

TEST(delete_has_the_last_values_nulls_as_null)
{
    thing t = sample();
    t.has_note = t.has_due = t.has_owner = false;
    t.tags.n = 0;
    t.password = (kiln_str){0};
    const char *d = diff(KILN_AUDIT_DELETE, &t, NULL);
    CHECK(strstr(d, "\"note\":null,") != NULL);
    CHECK(strstr(d, "\"due\":null,") != NULL);
    CHECK(strstr(d, "\"owner\":null,") != NULL);
    CHECK(strstr(d, "\"tags\":[],") != NULL);
    CHECK(strstr(d, "\"password\":{\"redacted\":true}") != NULL);
    CHECK(strstr(d, "hunter2") == NULL);
    CHECK(strstr(d, "my cat") == NULL);
    CHECK(strncmp(d, "{\"id\":7,\"title\":\"Write docs\",", 29) == 0);
}

TEST(change_of_nothing_is_empty)
{
    thing a = sample(), b = sample();
    b.tags = (kiln_ids){tags_b, 3}; /* reordered links: the same set */
    CHECK_STR(diff(KILN_AUDIT_CHANGE, &a, &b), "{}");
}

/* Changes one field of a copy of the sample with set and checks the diff
   is exactly want. */
#define CHANGE_ONE(set, want)                                                  \
    do {                                                                       \
        thing a_ = sample(), b_ = sample();                                    \
        thing *t = &b_;                                                        \
        set;                                                                   \
        CHECK_STR(diff(KILN_AUDIT_CHANGE, &a_, &b_), want);                    \
    } while (0)

TEST(change_of_each_type_is_old_and_new)
{
    CHANGE_ONE(t->title = KILN_STR("Write the docs"),
               "{\"title\":[\"Write docs\",\"Write the docs\"]}");
    CHANGE_ONE(t->note = KILN_STR("x"),
               "{\"note\":[\"a \\\"quoted\\\" note\",\"x\"]}");
    CHANGE_ONE(t->count = -4, "{\"count\":[3,-4]}");
    CHANGE_ONE(t->ratio = 1.25, "{\"ratio\":[0.5,1.25]}");
    CHANGE_ONE(t->price = KILN_STR("12.75"),
               "{\"price\":[\"12.50\",\"12.75\"]}");
    CHANGE_ONE(t->done = true, "{\"done\":[false,true]}");
    CHANGE_ONE(t->due.day = 6, "{\"due\":[\"2026-12-05\",\"2026-12-06\"]}");
    CHANGE_ONE(t->at += 1500000, "{\"at\":[\"2025-12-05T00:00:00.000Z\","
                                 "\"2025-12-05T00:00:01.500Z\"]}");
    CHANGE_ONE(t->tod = 0, "{\"tod\":[\"01:00:00\",\"00:00:00\"]}");
    CHANGE_ONE(t->uid.b[15] = 2,
               "{\"uid\":[\"00000000-0000-0000-0000-000000000001\","
               "\"00000000-0000-0000-0000-000000000002\"]}");
    CHANGE_ONE(t->email = KILN_STR("b@example.org"),
               "{\"email\":[\"a@example.org\",\"b@example.org\"]}");
    CHANGE_ONE(t->url = KILN_STR("https://example.com/"),
               "{\"url\":[\"https://example.org/\","
               "\"https://example.com/\"]}");
    CHANGE_ONE(t->status = 1, "{\"status\":[\"open\",\"done\"]}");
    CHANGE_ONE(t->data = KILN_STR("{\"k\":[]}"),
               "{\"data\":[{\"k\":[1,2]},{\"k\":[]}]}");
    CHANGE_ONE(t->owner = 10, "{\"owner\":[9,10]}");
    CHANGE_ONE(t->tags = ((kiln_ids){tags_c, 2}), "{\"tags\":[[1,2,3],[1,4]]}");
}

TEST(change_to_and_from_null)
{
    CHANGE_ONE(t->has_note = false, "{\"note\":[\"a \\\"quoted\\\" note\","
                                    "null]}");
    CHANGE_ONE(t->has_owner = false, "{\"owner\":[9,null]}");
    CHANGE_ONE(t->has_due = false, "{\"due\":[\"2026-12-05\",null]}");
    thing a = sample(), b = sample();
    a.has_owner = false;
    a.has_due = false;
    CHECK_STR(diff(KILN_AUDIT_CHANGE, &a, &b),
              "{\"due\":[null,\"2026-12-05\"],\"owner\":[null,9]}");
}

TEST(change_of_secrets_is_only_marked)
{
    thing a = sample(), b = sample();
    b.password = KILN_STR("correct horse");
    b.hint = KILN_STR("my dog");
    b.count = 4;
    const char *d = diff(KILN_AUDIT_CHANGE, &a, &b);
    CHECK_STR(d, "{\"count\":[3,4],\"password\":{\"redacted\":true},"
                 "\"hint\":{\"redacted\":true}}");
    /* an unchanged secret is not mentioned */
    b = sample();
    b.count = 5;
    CHECK_STR(diff(KILN_AUDIT_CHANGE, &a, &b), "{\"count\":[3,5]}");
}

TEST(secret_names)
{
    kiln_field f = {.name = "password"};
    CHECK(kiln_audit_is_secret(&f));
    f.name = "API_Key";
    CHECK(kiln_audit_is_secret(&f));
    f.name = "refresh_token";
    CHECK(kiln_audit_is_secret(&f));
    f.name = "client_secret";
    CHECK(kiln_audit_is_secret(&f));
    f.name = "title";
    CHECK(!kiln_audit_is_secret(&f));
    f.flags = KILN_FF_WRITE_ONLY;
    CHECK(kiln_audit_is_secret(&f));
}

TEST(missing_rows_are_refused)
{
    kiln_buf b;
    kiln_buf_init(&b);
    thing t = sample();
    CHECK_INT(kiln_audit_diff(&thing_model, KILN_AUDIT_ADD, &t, NULL, &b),
              KILN_EINVAL);
    CHECK_INT(kiln_audit_diff(&thing_model, KILN_AUDIT_DELETE, NULL, &t, &b),
              KILN_EINVAL);
    CHECK_INT(kiln_audit_diff(&thing_model, KILN_AUDIT_CHANGE, &t, NULL, &b),
              KILN_EINVAL);
    kiln_buf_deinit(&b);
}

/* ---- labels ---------------------------------------------------------------
 */

static const char *label(const thing *t)
{
    static char out[512];
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(kiln_audit_object_label(&thing_model, 7, t, &b), 0);
    snprintf(out, sizeof out, "%.*s", (int)b.n, b.p);
    kiln_buf_deinit(&b);
    return out;
}

TEST(object_label)
{
    thing t = sample();
    CHECK_STR(label(&t), "Write docs");
    t.title = (kiln_str){0};
    CHECK_STR(label(&t), "thing #7");
    CHECK_STR(label(NULL), "thing #7");
    /* 199 ASCII bytes then a 2-byte character: cut before it */
    char longer[260];
    memset(longer, 'a', 199);
    memcpy(longer + 199, "\xc3\xa9zzzz", 6);
    t.title = (kiln_str){longer, 205};
    const char *l = label(&t);
    CHECK_INT(strlen(l), 199);
    CHECK(l[198] == 'a');
}

/* ---- the table ------------------------------------------------------------
 */

static char dbpath[64];

static kiln_dbc *open_db(void)
{
    char url[128], err[256];
    const char *pg = getenv("KILN_TEST_DB_URL");
    if (pg && *pg) {
        snprintf(url, sizeof url, "%s", pg);
    } else {
        strcpy(dbpath, "/tmp/kiln-audit-XXXXXX");
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
        kiln_db_exec(db, "DROP TABLE IF EXISTS kiln_token, kiln_user_role, "
                         "kiln_user, kiln_session, kiln_tasks, "
                         "kiln_task_ticks, kiln_audit, kiln_schema");
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

TEST(record_and_list)
{
    kiln_dbc *db = open_db();
    kiln_user alice = {.id = 4, .username = "alice", .name = "", .email = ""};
    thing a = sample(), b = sample();
    b.title = KILN_STR("Write the docs");

    CHECK_INT(kiln_audit_record(db, &alice, &thing_model, 7, KILN_AUDIT_ADD,
                                NULL, &a, "api"),
              0);
    CHECK_INT(kiln_audit_record(db, NULL, &thing_model, 7, KILN_AUDIT_CHANGE,
                                &a, &b, "admin"),
              0);
    thing other = sample();
    other.id = 8;
    CHECK_INT(kiln_audit_record(db, &alice, &thing_model, 8, KILN_AUDIT_DELETE,
                                &other, NULL, NULL),
              0);

    kiln_audit_entry *e = NULL;
    long n = kiln_audit_list(db, &thing_model, 7, 10, &e);
    CHECK_INT(n, 2);
    CHECK_INT(e[0].action, KILN_AUDIT_CHANGE); /* newest first */
    CHECK_STR(e[0].changes_json,
              "{\"title\":[\"Write docs\",\"Write the docs\"]}");
    CHECK_STR(e[0].object_label, "Write the docs");
    CHECK_STR(e[0].via, "admin");
    CHECK_INT(e[0].user_id, 0);
    CHECK(e[0].user_label == NULL);
    CHECK_STR(e[0].model, "thing");
    CHECK_INT(e[0].object_id, 7);
    CHECK_INT(e[1].action, KILN_AUDIT_ADD);
    CHECK_INT(e[1].user_id, 4);
    CHECK_STR(e[1].user_label, "alice");
    CHECK_STR(e[1].via, "api");
    CHECK(strstr(e[1].changes_json, "hunter2") == NULL);
    CHECK(e[1].at_us > 1700000000000000LL);
    CHECK(e[0].at_us >= e[1].at_us);
    CHECK(e[0].id > e[1].id);

    /* every object, newest first, limited */
    n = kiln_audit_list(db, NULL, 0, 2, &e);
    CHECK_INT(n, 2);
    CHECK_INT(e[0].object_id, 8);
    CHECK_INT(e[0].action, KILN_AUDIT_DELETE);
    CHECK_STR(e[0].via, "");
    CHECK_INT(e[1].action, KILN_AUDIT_CHANGE);
    n = kiln_audit_list(db, &thing_model, 99, 10, &e);
    CHECK_INT(n, 0);
    done(db);
}

TEST(entries_follow_the_transaction)
{
    kiln_dbc *db = open_db();
    thing a = sample();
    CHECK_INT(kiln_db_begin(db), 0);
    CHECK_INT(kiln_audit_record(db, NULL, &thing_model, 7, KILN_AUDIT_ADD, NULL,
                                &a, "api"),
              0);
    CHECK_INT(kiln_db_rollback(db), 0);
    kiln_audit_entry *e = NULL;
    CHECK_INT(kiln_audit_list(db, NULL, 0, 10, &e), 0);
    CHECK_INT(kiln_db_begin(db), 0);
    CHECK_INT(kiln_audit_record(db, NULL, &thing_model, 7, KILN_AUDIT_ADD, NULL,
                                &a, "api"),
              0);
    CHECK_INT(kiln_db_commit(db), 0);
    CHECK_INT(kiln_audit_list(db, NULL, 0, 10, &e), 1);
    done(db);
}

TEST(user_labels)
{
    kiln_dbc *db = open_db();
    thing a = sample();
    kiln_user u = {.id = 5, .username = "", .name = "Bob B", .email = "b@x"};
    CHECK_INT(kiln_audit_record(db, &u, &thing_model, 7, KILN_AUDIT_ADD, NULL,
                                &a, "api"),
              0);
    u.name = "";
    CHECK_INT(kiln_audit_record(db, &u, &thing_model, 7, KILN_AUDIT_DELETE, &a,
                                NULL, "api"),
              0);
    u.email = "";
    CHECK_INT(kiln_audit_record(db, &u, &thing_model, 8, KILN_AUDIT_DELETE, &a,
                                NULL, "api"),
              0);
    kiln_audit_entry *e = NULL;
    CHECK_INT(kiln_audit_list(db, NULL, 0, 10, &e), 3);
    CHECK_STR(e[0].user_label, "user #5");
    CHECK_STR(e[1].user_label, "b@x");
    CHECK_STR(e[2].user_label, "Bob B");
    done(db);
}

TEST(purge_by_age)
{
    kiln_dbc *db = open_db();
    thing a = sample();
    CHECK_INT(kiln_audit_record(db, NULL, &thing_model, 7, KILN_AUDIT_ADD, NULL,
                                &a, "api"),
              0);
    /* an old entry, as if written 40 days ago */
    int64_t old = kiln_datetime_now() - 40LL * 86400 * 1000000;
    CHECK_INT(kiln_db_exec(db,
                           "INSERT INTO kiln_audit (at, model, object_id, "
                           "action) VALUES ($1, 'thing', 6, 'add')",
                           KILN_TIME(old)),
              1);
    kiln_audit_entry *e = NULL;
    CHECK_INT(kiln_audit_list(db, NULL, 0, 10, &e), 2);
    CHECK_INT(e[1].object_id, 6);
    CHECK_STR(e[1].changes_json, "{}");
    CHECK_INT(
        kiln_audit_purge(db, kiln_datetime_now() - 30LL * 86400 * 1000000), 1);
    CHECK_INT(kiln_audit_list(db, NULL, 0, 10, &e), 1);
    CHECK_INT(e[0].object_id, 7);
    done(db);
}
