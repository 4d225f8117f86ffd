/*
 * examples/techempower - the TechEmpower database tests on Kiln's data layer.
 *
 *   build/examples/techempower --db postgres://... --seed   # create + fill
 *   build/examples/techempower --db sqlite://./te.db --port 8080 --workers 2
 *
 *   /db                   one random World row as JSON
 *   /queries?queries=N    N rows (N clamped to 1..500; not a number: 1),
 *                         sent as one pipelined batch
 *   /fortunes             the Fortune table plus one row added at request
 *                         time, sorted by message, HTML-escaped
 *   /updates?queries=N    N rows read, given new random numbers, written
 *                         back in one statement
 *   /cached-queries?count=N  N rows from an in-memory copy of World
 *   /plaintext, /json     the non-database tests, for comparison
 *
 * The World table has 10,000 rows (id, randomNumber 1..10000); Fortune the
 * 12 standard messages. --seed creates both on either backend.
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORLD_ROWS 10000
#define MAX_QUERIES 500

/* ---- random numbers: one xorshift state per worker thread --------------- */

static _Thread_local uint64_t rng_state;

static int random_id(void)
{
    if (!rng_state)
        rng_state = (uint64_t)(uintptr_t)&rng_state ^ 0x9e3779b97f4a7c15ULL;
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return (int)(x % WORLD_ROWS) + 1;
}

/* queries=N as the rules say: a non-number is 1, then clamp to 1..500 */
static int query_count(kiln_ctx *c, const char *name)
{
    int64_t n = kiln_query_int(c, name, 1);
    return n < 1 ? 1 : n > MAX_QUERIES ? MAX_QUERIES : (int)n;
}

/* ---- /db, /queries --------------------------------------------------------
 */

static const char select_world[] =
    "SELECT id, randomNumber FROM World WHERE id = $1";

static KILN_HANDLER(single_query)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0; /* 503 already answered */
    kiln_rows *r = kiln_db_query(db, select_world, KILN_INT(random_id()));
    if (!r || !kiln_rows_next(r))
        return kiln_db_fail(c, db);
    return kiln_jsonf(c, 200, "{id:%lld, randomNumber:%lld}",
                      (long long)kiln_row_int(r, 0),
                      (long long)kiln_row_int(r, 1));
}

/* Reads n random rows in one batch into ids/nums. 0 or an error code. */
static int read_worlds(kiln_dbc *db, int n, int64_t *ids, int64_t *nums)
{
    kiln_db_batch *b = kiln_db_batch_new(db);
    if (!b)
        return KILN_ENOMEM;
    for (int i = 0; i < n; i++)
        if (kiln_db_batch_add(b, select_world, KILN_INT(random_id())) != 0)
            return KILN_ENOMEM;
    int rc = kiln_db_batch_run(b);
    if (rc != 0)
        return rc;
    for (int i = 0; i < n; i++) {
        kiln_rows *r = kiln_db_batch_rows(b, (size_t)i);
        if (!r || !kiln_rows_next(r))
            return KILN_EIO;
        ids[i] = kiln_row_int(r, 0);
        nums[i] = kiln_row_int(r, 1);
    }
    return 0;
}

static int send_worlds(kiln_ctx *c, int n, const int64_t *ids,
                       const int64_t *nums)
{
    kiln_buf *out = kiln_body_buf(c);
    kiln_buf_putc(out, '[');
    for (int i = 0; i < n; i++)
        kiln_buf_printf(out, "%s{\"id\":%lld,\"randomNumber\":%lld}",
                        i ? "," : "", (long long)ids[i], (long long)nums[i]);
    kiln_buf_putc(out, ']');
    kiln_set_type(c, "application/json");
    return kiln_send(c);
}

static KILN_HANDLER(multiple_queries)
{
    int n = query_count(c, "queries");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int64_t ids[MAX_QUERIES], nums[MAX_QUERIES];
    if (read_worlds(db, n, ids, nums) != 0)
        return kiln_db_fail(c, db);
    return send_worlds(c, n, ids, nums);
}

/* ---- /updates -------------------------------------------------------------
 */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static KILN_HANDLER(updates)
{
    int n = query_count(c, "queries");
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int64_t ids[MAX_QUERIES], nums[MAX_QUERIES];
    if (read_worlds(db, n, ids, nums) != 0)
        return kiln_db_fail(c, db);
    for (int i = 0; i < n; i++)
        nums[i] = random_id();
    /*
     * One UPDATE for the batch. Ids are made unique (one new number per id;
     * the answer below shows the number written) and sorted, so concurrent
     * requests lock rows in the same order and cannot deadlock.
     */
    int64_t pairs[MAX_QUERIES][2];
    for (int i = 0; i < n; i++) {
        pairs[i][0] = ids[i];
        pairs[i][1] = i;
    }
    qsort(pairs, (size_t)n, sizeof pairs[0], cmp_i64);
    kiln_db_param params[2 * MAX_QUERIES];
    size_t np = 0;
    for (int i = 0; i < n; i++) {
        if (i + 1 < n && pairs[i + 1][0] == pairs[i][0])
            continue; /* one value per id */
        params[np++] = KILN_INT(pairs[i][0]);
        params[np++] = KILN_INT(nums[pairs[i][1]]);
    }
    /* the answer must show the number written for each id */
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < np; k += 2)
            if (params[k].v.i == ids[i])
                nums[i] = params[k + 1].v.i;
    kiln_buf sql;
    kiln_buf_init(&sql);
    kiln_buf_puts(&sql, "WITH v(id, r) AS (VALUES ");
    for (size_t k = 0; k < np; k += 2)
        kiln_buf_printf(&sql,
                        "%s(CAST($%zu AS INTEGER), CAST($%zu AS INTEGER))",
                        k ? ", " : "", k + 1, k + 2);
    kiln_buf_puts(&sql, ") UPDATE World SET randomNumber = v.r FROM v "
                        "WHERE World.id = v.id");
    int64_t changed = sql.p ? kiln_db_exec_a(db, sql.p, params, np) : -1;
    kiln_buf_deinit(&sql);
    if (changed < 0)
        return kiln_db_fail(c, db);
    return send_worlds(c, n, ids, nums);
}

/* ---- /fortunes ------------------------------------------------------------
 */

/*
 * The page is a template (kiln/tpl.h), compiled once at start-up; the rows
 * go in as they come (kiln_value_from_rows), the template sorts them and
 * escapes every message.
 */
static const char fortunes_html[] =
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "{% for f in fortunes|sort(attribute='message', case_sensitive=true) %}"
    "<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>"
    "{% endfor %}</table></body></html>";

static kiln_tpl_set *templates;

static KILN_HANDLER(fortunes)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    kiln_rows *r = kiln_db_query(db, "SELECT id, message FROM Fortune");
    if (!r)
        return kiln_db_fail(c, db);
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value list;
    int rc = kiln_value_from_rows(a, r, &list);
    if (rc != 0)
        return kiln_db_fail(c, db);
    kiln_value extra = kiln_value_map(a);
    kiln_value_set(extra, "id", kiln_value_int(0));
    kiln_value_set(
        extra, "message",
        kiln_value_cstr("Additional fortune added at request time."));
    kiln_value_push(list, extra);
    kiln_value ctx = kiln_value_map(a);
    kiln_value_set(ctx, "fortunes", list);
    kiln_tpl_error err;
    if (kiln_tpl_render(templates, "fortunes.html", ctx, a, kiln_body_buf(c),
                        &err) != 0)
        return kiln_problem(c, 500, "template: %s", err.msg);
    kiln_set_type(c, "text/html; charset=utf-8");
    return kiln_send(c);
}

/* ---- /cached-queries ------------------------------------------------------
 */

/* World, loaded once before serving; read-only afterwards. */
static int32_t world_cache[WORLD_ROWS + 1];

static int load_cache(const char *url)
{
    char err[512];
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "techempower: %s\n", err);
        return -1;
    }
    kiln_rows *r = kiln_db_query(db, "SELECT id, randomNumber FROM World");
    size_t n = 0;
    while (r && kiln_rows_next(r)) {
        int64_t id = kiln_row_int(r, 0);
        if (id >= 1 && id <= WORLD_ROWS) {
            world_cache[id] = (int32_t)kiln_row_int(r, 1);
            n++;
        }
    }
    int rc = r && kiln_rows_error(r) == 0 && n == WORLD_ROWS ? 0 : -1;
    if (rc)
        fprintf(stderr,
                "techempower: cannot load World (%zu rows; %s); run with "
                "--seed first\n",
                n, kiln_db_errmsg(db));
    kiln_dbc_close(db);
    return rc;
}

static KILN_HANDLER(cached_queries)
{
    int n = query_count(c, "count");
    int64_t ids[MAX_QUERIES], nums[MAX_QUERIES];
    for (int i = 0; i < n; i++) {
        ids[i] = random_id();
        nums[i] = world_cache[ids[i]];
    }
    return send_worlds(c, n, ids, nums);
}

/* ---- /plaintext, /json ------------------------------------------------------
 */

static KILN_HANDLER(plaintext)
{
    return kiln_respond(c, 200, "text/plain", "Hello, World!", 13);
}

static KILN_HANDLER(json)
{
    return kiln_jsonf(c, 200, "{message:%s}", "Hello, World!");
}

/* ---- seeding ----------------------------------------------------------------
 */

static const char *const fortune_text[] = {
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it "
    "to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \xe2\x80\x94 Tom "
    "Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \xe2\x80\x94 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert "
    "box.\");</script>",
    "\xe3\x83\x95\xe3\x83\xac\xe3\x83\xbc\xe3\x83\xa0\xe3\x83\xaf\xe3\x83\xbc"
    "\xe3\x82\xaf\xe3\x81\xae\xe3\x83\x99\xe3\x83\xb3\xe3\x83\x81\xe3\x83\x9e"
    "\xe3\x83\xbc\xe3\x82\xaf",
};

static int seed(const char *url)
{
    char err[512];
    kiln_dbc *db = kiln_dbc_open(url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "techempower: %s\n", err);
        return 1;
    }
    int rc = kiln_db_exec(db, "DROP TABLE IF EXISTS World") < 0 ||
             kiln_db_exec(db, "DROP TABLE IF EXISTS Fortune") < 0 ||
             kiln_db_exec(db, "CREATE TABLE World (id integer NOT NULL "
                              "PRIMARY KEY, randomNumber integer NOT NULL "
                              "DEFAULT 0)") < 0 ||
             kiln_db_exec(db, "CREATE TABLE Fortune (id integer NOT NULL "
                              "PRIMARY KEY, message varchar(2048) NOT "
                              "NULL)") < 0 ||
             kiln_db_begin(db) != 0;
    for (int id = 1; !rc && id <= WORLD_ROWS; id++)
        rc = kiln_db_exec(
                 db, "INSERT INTO World (id, randomNumber) VALUES ($1, $2)",
                 KILN_INT(id), KILN_INT(random_id())) != 1;
    for (size_t i = 0; !rc && i < sizeof fortune_text / sizeof fortune_text[0];
         i++)
        rc = kiln_db_exec(db,
                          "INSERT INTO Fortune (id, message) VALUES ($1, "
                          "$2)",
                          KILN_INT(i + 1), KILN_TEXT(fortune_text[i])) != 1;
    if (!rc)
        rc = kiln_db_commit(db) != 0;
    if (rc)
        fprintf(stderr, "techempower: seeding failed: %s\n",
                kiln_db_errmsg(db));
    else
        printf("seeded World (%d rows) and Fortune (%zu rows)\n", WORLD_ROWS,
               sizeof fortune_text / sizeof fortune_text[0]);
    kiln_dbc_close(db);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *url = "sqlite://./techempower.db";
    bool do_seed = false;
    int pool = 0;
    /* our flags; the rest go to kiln_opts_parse */
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0;
    if (!rest)
        return 1;
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            url = argv[++i];
        else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc)
            pool = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0)
            do_seed = true;
        else
            rest[nrest++] = argv[i];
    }
    if (do_seed) {
        free(rest);
        return seed(url);
    }
    kiln_server_opts o;
    kiln_server_opts_default(&o);
    int rc = kiln_opts_parse(&o, nrest, rest);
    if (rc != 0) {
        if (rc > 0)
            printf(
                "  --db URL                database "
                "(sqlite://./techempower.db)\n"
                "  --pool N                PostgreSQL connections per worker\n"
                "  --seed                  create and fill the tables, exit\n");
        free(rest);
        return rc > 0 ? 0 : 2;
    }
    if (load_cache(url) != 0) {
        free(rest);
        return 1;
    }
    char err[512];
    kiln_db_pool *p = kiln_db_pool_new(url, pool, err, sizeof err);
    if (!p) {
        fprintf(stderr, "techempower: %s\n", err);
        free(rest);
        return 2;
    }
    kiln_db_set_default(p);
    kiln_tpl_error terr;
    templates = kiln_tpl_set_new(NULL);
    if (!templates ||
        kiln_tpl_set_add(templates, "fortunes.html", fortunes_html,
                         sizeof fortunes_html - 1, &terr) != 0) {
        fprintf(stderr, "techempower: %s\n",
                templates ? terr.text : "out of memory");
        return 1;
    }
    kiln_app *app = kiln_app_new();
    if (!app)
        return 1;
    kiln_route(app, "GET", "/db", single_query);
    kiln_route(app, "GET", "/queries", multiple_queries);
    kiln_route(app, "GET", "/fortunes", fortunes);
    kiln_route(app, "GET", "/updates", updates);
    kiln_route(app, "GET", "/cached-queries", cached_queries);
    kiln_route(app, "GET", "/plaintext", plaintext);
    kiln_route(app, "GET", "/json", json);
    rc = kiln_serve(app, &o);
    kiln_app_free(app);
    kiln_db_set_default(NULL);
    kiln_db_pool_free(p);
    kiln_tpl_set_free(templates);
    free(rest);
    return rc == 0 ? 0 : 1;
}
