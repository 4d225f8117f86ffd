/*
 * bench/schema_bench.c - decode + validate into a struct with the schema
 * decoder (kiln_decode_json), per payload; the C side of
 * bench/schema_bench.py, which runs pydantic and simdjson on the same bytes
 * in the same run and prints the table.
 *
 *   schema_bench --write DIR    writes the payloads (small.json, wide.json,
 *                               list.json) the three sides read
 *   schema_bench DIR [SECONDS [NAME]]  times each payload (or NAME's) for
 *                               about SECONDS (default 1): prints "NAME
 *                               BYTES OBJECTS DECODES_PER_SECOND" per line
 *
 * The models are written the way the generator emits them, with the
 * constraints the pydantic models of schema_bench.py declare.
 */
#include <kiln.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define F(T, N)                                                                \
    .name = #N, .label = #N, .offset = offsetof(T, N),                         \
    .has_offset = KILN_NO_OFFSET, .min_length = -1, .max_length = -1
#define OPT(T, N) .has_offset = offsetof(T, has_##N)

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* ---- small: 5 fields ----------------------------------------------------- */

typedef struct small {
    kiln_str title;
    bool done;
    int status;
    kiln_str estimate;
    int64_t project;
} small;

static const char *const status_values[] = {"open", "doing", "done"};
static const kiln_field small_fields[] = {
    {F(small, title), .type = KILN_FT_STRING, .min_length = 1,
     .max_length = 200},
    {F(small, done), .type = KILN_FT_BOOL, .def = "false"},
    {F(small, status), .type = KILN_FT_ENUM, .values = status_values,
     .nvalues = 3, .def = "\"open\""},
    {F(small, estimate), .type = KILN_FT_DECIMAL, .precision = 8, .scale = 2},
    {F(small, project), .type = KILN_FT_REF},
};
static const kiln_model small_model = {.name = "small",
                                       .fields = small_fields,
                                       .nfields = 5,
                                       .size = sizeof(small)};

/* ---- wide: 30 fields, two of them nested objects ---------------------------
 */

typedef struct address {
    kiln_str street;
    kiln_str city;
    kiln_str zip;
    kiln_str country;
} address;

static const kiln_field address_fields[] = {
    {F(address, street), .type = KILN_FT_STRING, .max_length = 100},
    {F(address, city), .type = KILN_FT_STRING, .max_length = 50},
    {F(address, zip), .type = KILN_FT_STRING, .max_length = 10},
    {F(address, country), .type = KILN_FT_STRING, .min_length = 2,
     .max_length = 2},
};
static const kiln_model address_model = {.name = "address",
                                         .fields = address_fields,
                                         .nfields = 4,
                                         .size = sizeof(address)};

typedef struct wide {
    int64_t id;
    kiln_str username;
    kiln_str email;
    kiln_str first_name;
    kiln_str last_name;
    int64_t age;
    double score;
    bool active;
    bool staff;
    kiln_date birthday;
    kiln_datetime joined;
    kiln_datetime last_login;
    kiln_timeofday wake;
    kiln_uuid uid;
    kiln_str website;
    int plan;
    kiln_str balance;
    kiln_str bio;
    int64_t logins;
    double rating;
    kiln_str phone;
    kiln_str locale;
    kiln_str timezone;
    int64_t referrer;
    bool has_nickname;
    kiln_str nickname;
    int64_t posts;
    int64_t followers;
    bool verified;
    address home;
    address work;
} wide;

static const char *const plan_values[] = {"free", "pro", "team"};
static const kiln_field wide_fields[] = {
    {F(wide, id), .type = KILN_FT_INT},
    {F(wide, username), .type = KILN_FT_STRING, .min_length = 3,
     .max_length = 30},
    {F(wide, email), .type = KILN_FT_EMAIL, .max_length = 254},
    {F(wide, first_name), .type = KILN_FT_STRING, .max_length = 50},
    {F(wide, last_name), .type = KILN_FT_STRING, .max_length = 50},
    {F(wide, age), .type = KILN_FT_INT,
     .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min = 0, .max = 150},
    {F(wide, score), .type = KILN_FT_FLOAT},
    {F(wide, active), .type = KILN_FT_BOOL},
    {F(wide, staff), .type = KILN_FT_BOOL},
    {F(wide, birthday), .type = KILN_FT_DATE},
    {F(wide, joined), .type = KILN_FT_DATETIME},
    {F(wide, last_login), .type = KILN_FT_DATETIME},
    {F(wide, wake), .type = KILN_FT_TIME},
    {F(wide, uid), .type = KILN_FT_UUID},
    {F(wide, website), .type = KILN_FT_URL, .max_length = 200},
    {F(wide, plan), .type = KILN_FT_ENUM, .values = plan_values, .nvalues = 3},
    {F(wide, balance), .type = KILN_FT_DECIMAL, .precision = 12, .scale = 2},
    {F(wide, bio), .type = KILN_FT_TEXT, .flags = KILN_FF_BLANK},
    {F(wide, logins), .type = KILN_FT_INT},
    {F(wide, rating), .type = KILN_FT_FLOAT,
     .flags = KILN_FF_HAS_MIN | KILN_FF_HAS_MAX, .min = 0, .max = 5},
    {F(wide, phone), .type = KILN_FT_STRING, .max_length = 20},
    {F(wide, locale), .type = KILN_FT_STRING, .max_length = 10},
    {F(wide, timezone), .type = KILN_FT_STRING, .max_length = 40},
    {F(wide, referrer), .type = KILN_FT_REF},
    {F(wide, nickname), OPT(wide, nickname), .type = KILN_FT_STRING,
     .flags = KILN_FF_OPTIONAL, .max_length = 30},
    {F(wide, posts), .type = KILN_FT_INT},
    {F(wide, followers), .type = KILN_FT_INT},
    {F(wide, verified), .type = KILN_FT_BOOL},
    {F(wide, home), .type = KILN_FT_OBJECT, .ref = &address_model},
    {F(wide, work), .type = KILN_FT_OBJECT, .ref = &address_model},
};
static const kiln_model wide_model = {
    .name = "wide", .fields = wide_fields, .nfields = 30, .size = sizeof(wide)};

/* ---- list: 100 small objects -----------------------------------------------
 */

typedef struct batch {
    kiln_list items;
} batch;

static const kiln_field batch_fields[] = {
    {F(batch, items), .type = KILN_FT_LIST, .item_type = KILN_FT_OBJECT,
     .item_size = sizeof(small), .ref = &small_model},
};
static const kiln_model batch_model = {.name = "batch",
                                       .fields = batch_fields,
                                       .nfields = 1,
                                       .size = sizeof(batch)};

/* ---- payloads -------------------------------------------------------------
 */

/* Appends the small object number i. */
static void put_small(kiln_buf *b, int i)
{
    static const char *st[] = {"open", "doing", "done"};
    kiln_buf_printf(b,
                    "{\"title\":\"Write the quarterly report, part %d\","
                    "\"done\":%s,\"status\":\"%s\",\"estimate\":\"%d.%02d\","
                    "\"project\":%d}",
                    i, i % 2 ? "true" : "false", st[i % 3], 10 + i % 90,
                    i % 100, 1000 + i);
}

static void put_wide(kiln_buf *b)
{
    kiln_buf_puts(
        b,
        "{\"id\":123456,\"username\":\"ada_lovelace\","
        "\"email\":\"ada@analytical-engines.example.org\","
        "\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"age\":36,"
        "\"score\":98.25,\"active\":true,\"staff\":false,"
        "\"birthday\":\"1815-12-10\",\"joined\":\"2021-04-01T09:30:00.000Z\","
        "\"last_login\":\"2026-03-05T14:07:00.123+01:00\",\"wake\":\"07:15:"
        "00\","
        "\"uid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
        "\"website\":\"https://example.org/~ada/notes?lang=en\","
        "\"plan\":\"team\",\"balance\":\"10432.75\","
        "\"bio\":\"Mathematician and writer, chiefly known for her work on "
        "the \\\"Analytical Engine\\\". First to see that the machine had "
        "applications beyond pure calculation.\","
        "\"logins\":5821,\"rating\":4.75,\"phone\":\"+44 20 7946 0958\","
        "\"locale\":\"en-GB\",\"timezone\":\"Europe/London\",\"referrer\":42,"
        "\"nickname\":null,\"posts\":318,\"followers\":120433,"
        "\"verified\":true,"
        "\"home\":{\"street\":\"12 St James's Square\",\"city\":\"London\","
        "\"zip\":\"SW1Y 4JH\",\"country\":\"GB\"},"
        "\"work\":{\"street\":\"1 Engine Lane\",\"city\":\"Cambridge\","
        "\"zip\":\"CB2 1TN\",\"country\":\"GB\"}}");
}

/* Writes buf to dir/name. */
static int write_file(const char *dir, const char *name, const kiln_buf *b)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int write_payloads(const char *dir)
{
    kiln_buf b;
    int rc = 0;
    kiln_buf_init(&b);
    put_small(&b, 7);
    rc |= write_file(dir, "small.json", &b);
    kiln_buf_clear(&b);
    put_wide(&b);
    rc |= write_file(dir, "wide.json", &b);
    kiln_buf_clear(&b);
    kiln_buf_puts(&b, "{\"items\":[");
    for (int i = 0; i < 100; i++) {
        if (i)
            kiln_buf_putc(&b, ',');
        put_small(&b, i);
    }
    kiln_buf_puts(&b, "]}");
    rc |= write_file(dir, "list.json", &b);
    kiln_buf_deinit(&b);
    return rc;
}

/* ---- timing ---------------------------------------------------------------
 */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decodes the payload in a loop for about secs; prints its line. */
static int time_payload(const char *dir, const char *name, const kiln_model *m,
                        int objects, double secs)
{
    char path[1024];
    size_t n;
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    char *text = kiln_read_file(path, &n);
    if (!text) {
        perror(path);
        return 1;
    }
    void *out = malloc(m->size);
    kiln_arena a;
    kiln_arena_init(&a, 64 * 1024);
    kiln_errors errs;
    kiln_json_error perr;
    /* check once that it is valid */
    kiln_errors_init(&errs, &a);
    int rc = kiln_decode_json(m, text, n, NULL, &a, out, NULL, &errs, &perr);
    if (rc) {
        fprintf(stderr, "%s: rc %d", name, rc);
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, " %s:%s", errs.items[i].pointer,
                    errs.items[i].code);
        fprintf(stderr, " %s\n", perr.msg);
        return 1;
    }
    /* SCHEMA_BENCH_ITERS=N: exactly N decodes (for callgrind) */
    const char *fixed = getenv("SCHEMA_BENCH_ITERS");
    long iters = 0, batch = fixed ? atol(fixed) : 64;
    double start = now_s(), t;
    do {
        for (long i = 0; i < batch; i++) {
            kiln_arena_reset(&a);
            kiln_errors_init(&errs, &a);
            rc |=
                kiln_decode_json(m, text, n, NULL, &a, out, NULL, &errs, NULL);
        }
        iters += batch;
        t = now_s() - start;
    } while (!fixed && t < secs);
    printf("%s %zu %d %.1f\n", name, n, objects, (double)iters / t);
    kiln_arena_deinit(&a);
    free(out);
    free(text);
    return rc != 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_payloads(argv[2]);
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: schema_bench --write DIR | DIR [SECONDS]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    const char *only = argc > 3 ? argv[3] : NULL;
    static const struct {
        const char *name;
        const kiln_model *m;
        int objects;
    } payloads[] = {{"small", &small_model, 1},
                    {"wide", &wide_model, 1},
                    {"list", &batch_model, 100}};
    int rc = 0;
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++)
        if (!only || strcmp(only, payloads[i].name) == 0)
            rc |= time_payload(argv[1], payloads[i].name, payloads[i].m,
                               payloads[i].objects, secs);
    return rc;
}
