/*
 * tests/tasks/test_cron.c - the cron parser and the search for the next
 * time a schedule fires (src/tasks/cron.c).
 */
#include "test.h"

#include "core/civil.h"
#include "tasks/cron.h"

#include <kiln.h>

/* Seconds since the epoch of a UTC date and time. */
static int64_t at(int y, int mo, int d, int h, int mi, int s)
{
    return civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static cron_expr parse_ok(const char *s)
{
    cron_expr c;
    char err[160];
    int rc = cron_parse(s, strlen(s), &c, err, sizeof err);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "cron_parse(\"%s\"): %s", s, err);
    return c;
}

/* The next firing of s after the given time, as seconds. */
static int64_t next(const char *s, int64_t after)
{
    cron_expr c = parse_ok(s);
    return cron_next(&c, after);
}

TEST(cron_daily_and_steps)
{
    CHECK_INT(next("0 3 * * *", at(2024, 5, 1, 12, 0, 0)),
              at(2024, 5, 2, 3, 0, 0));
    CHECK_INT(next("0 3 * * *", at(2024, 5, 1, 2, 59, 59)),
              at(2024, 5, 1, 3, 0, 0));
    /* strictly after: a time that matches gives the following one */
    CHECK_INT(next("0 3 * * *", at(2024, 5, 1, 3, 0, 0)),
              at(2024, 5, 2, 3, 0, 0));
    CHECK_INT(next("*/15 * * * *", at(2024, 5, 1, 12, 7, 30)),
              at(2024, 5, 1, 12, 15, 0));
    CHECK_INT(next("*/15 * * * *", at(2024, 5, 1, 23, 59, 0)),
              at(2024, 5, 2, 0, 0, 0));
    CHECK_INT(next("10-50/20 * * * *", at(2024, 5, 1, 12, 31, 0)),
              at(2024, 5, 1, 12, 50, 0));
    CHECK_INT(next("5/20 * * * *", at(2024, 5, 1, 12, 46, 0)),
              at(2024, 5, 1, 13, 5, 0));
    CHECK_INT(next("0 0 1 1 *", at(2024, 6, 1, 0, 0, 0)),
              at(2025, 1, 1, 0, 0, 0));
    CHECK_INT(next("0 0 29 2 *", at(2024, 3, 1, 0, 0, 0)),
              at(2028, 2, 29, 0, 0, 0));
    CHECK_INT(next("1,2,3 4 * * *", at(2024, 5, 1, 4, 2, 0)),
              at(2024, 5, 1, 4, 3, 0));
}

TEST(cron_weekdays_and_names)
{
    /* 2024-05-01 is a Wednesday, 2024-05-03 a Friday */
    CHECK_INT(next("0 9 * * mon-fri", at(2024, 5, 3, 10, 0, 0)),
              at(2024, 5, 6, 9, 0, 0));
    CHECK_INT(next("0 9 * * 1-5", at(2024, 5, 3, 8, 0, 0)),
              at(2024, 5, 3, 9, 0, 0));
    /* 7 is Sunday, as 0 is */
    CHECK_INT(next("0 0 * * 7", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 5, 5, 0, 0, 0));
    CHECK_INT(next("0 0 * * 0", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 5, 5, 0, 0, 0));
    CHECK_INT(next("0 12 * JAN,Jul Sun", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 7, 7, 12, 0, 0));
    CHECK_INT(next("0 0 1 feb-mar *", at(2024, 2, 1, 0, 0, 0)),
              at(2024, 3, 1, 0, 0, 0));
}

TEST(cron_day_fields_follow_vixie)
{
    /* both restricted: the 13th OR a Friday */
    CHECK_INT(next("0 0 13 * fri", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 5, 3, 0, 0, 0));
    CHECK_INT(next("0 0 13 * fri", at(2024, 5, 10, 0, 0, 0)),
              at(2024, 5, 13, 0, 0, 0));
    /* a field starting with '*' makes it AND: odd days that are Fridays */
    CHECK_INT(next("0 0 */2 * fri", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 5, 3, 0, 0, 0));
    CHECK_INT(next("0 0 */2 * fri", at(2024, 5, 3, 0, 0, 0)),
              at(2024, 5, 17, 0, 0, 0));
    /* '?' is '*' in the day fields */
    CHECK_INT(next("0 0 ? * ?", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 5, 2, 0, 0, 0));
    CHECK_INT(next("0 0 15 * ?", at(2024, 5, 1, 0, 0, 0)),
              at(2024, 5, 15, 0, 0, 0));
}

TEST(cron_seconds_field)
{
    cron_expr c = parse_ok("*/10 * * * * *");
    CHECK(c.seconds);
    CHECK_INT(cron_next(&c, at(2024, 5, 1, 12, 0, 5)),
              at(2024, 5, 1, 12, 0, 10));
    CHECK_INT(cron_next(&c, at(2024, 5, 1, 12, 0, 59)),
              at(2024, 5, 1, 12, 1, 0));
    CHECK_INT(next("* * * * * *", at(2024, 5, 1, 12, 0, 5)),
              at(2024, 5, 1, 12, 0, 6));
    /* five fields fire on whole minutes only */
    c = parse_ok("* * * * *");
    CHECK(!c.seconds);
    CHECK_INT(cron_next(&c, at(2024, 5, 1, 12, 0, 5)),
              at(2024, 5, 1, 12, 1, 0));
    CHECK(cron_matches(&c, at(2024, 5, 1, 12, 1, 0)));
    CHECK(!cron_matches(&c, at(2024, 5, 1, 12, 1, 1)));
}

TEST(cron_aliases)
{
    CHECK_INT(next("@hourly", at(2024, 5, 1, 12, 30, 0)),
              at(2024, 5, 1, 13, 0, 0));
    CHECK_INT(next("@daily", at(2024, 5, 1, 12, 30, 0)),
              at(2024, 5, 2, 0, 0, 0));
    CHECK_INT(next("@midnight", at(2024, 5, 1, 12, 30, 0)),
              at(2024, 5, 2, 0, 0, 0));
    CHECK_INT(next("@weekly", at(2024, 5, 1, 12, 30, 0)),
              at(2024, 5, 5, 0, 0, 0));
    CHECK_INT(next("@monthly", at(2024, 5, 1, 12, 30, 0)),
              at(2024, 6, 1, 0, 0, 0));
    CHECK_INT(next("  @YEARLY ", at(2024, 5, 1, 12, 30, 0)),
              at(2025, 1, 1, 0, 0, 0));
    CHECK_INT(next("@annually", at(2024, 5, 1, 12, 30, 0)),
              at(2025, 1, 1, 0, 0, 0));
}

/* cron_parse(s) fails with a message containing want. */
static void refused(const char *s, const char *want, int line)
{
    cron_expr c;
    char err[160];
    int rc = cron_parse(s, strlen(s), &c, err, sizeof err);
    if (rc != KILN_EPARSE)
        test_fail(__FILE__, line, "cron_parse(\"%s\") gave %d, want an error",
                  s, rc);
    if (!strstr(err, want))
        test_fail(__FILE__, line, "cron_parse(\"%s\"): \"%s\" lacks \"%s\"", s,
                  err, want);
}

TEST(cron_errors_name_the_field_and_column)
{
    refused("61 * * * *", "minute 61 is out of range 0-59 (column 1)",
            __LINE__);
    refused("0 24 * * *", "hour 24 is out of range 0-23 (column 3)", __LINE__);
    refused("0 0 0 * *", "day of month 0 is out of range 1-31 (column 5)",
            __LINE__);
    refused("0 0 1 13 *", "month 13 is out of range 1-12", __LINE__);
    refused("0 0 * * 8", "day of week 8 is out of range 0-7", __LINE__);
    refused("60 * * * * *", "second 60 is out of range 0-59", __LINE__);
    refused("* * *", "3 fields", __LINE__);
    refused("", "empty cron expression", __LINE__);
    refused("   ", "empty cron expression", __LINE__);
    refused("0 0 1 1 1 1 1", "too many fields", __LINE__);
    refused("*/0 * * * *", "minute step must be a number from 1 to 60",
            __LINE__);
    refused("*/ * * * *", "minute step", __LINE__);
    refused("5-1 * * * *", "the minute range 5-1 runs backwards", __LINE__);
    refused("1,,2 * * * *", "empty item in the minute field (column 3)",
            __LINE__);
    refused("1, * * * *", "empty item", __LINE__);
    refused("0 0 * * foo", "'foo' is not a day of week name (SUN-SAT)",
            __LINE__);
    refused("0 0 * janu *", "'janu' is not a month name", __LINE__);
    refused("0 0 jan * *", "'j' is not a day of month value", __LINE__);
    refused("0 0 30 2 *", "never matches a date", __LINE__);
    refused("0 0 31 4,6,9,11 *", "never matches a date", __LINE__);
    refused("@every 5m", "unknown alias", __LINE__);
    refused("1-2x * * * *", "unexpected 'x' in the minute field", __LINE__);
    refused("? * * * *", "'?' is not a minute value", __LINE__);
    refused("0 0 * * 1-", "ends where a value should be", __LINE__);
    refused("99999999999 * * * *", "out of range", __LINE__);
    cron_expr c;
    char err[160];
    CHECK_INT(cron_parse("0 0\0 * * *", 10, &c, err, sizeof err), KILN_EPARSE);
    CHECK(strstr(err, "NUL") != NULL);
}

/*
 * The search agrees with matching: for many schedules and start times,
 * cron_next's answer matches, and no whole minute (or second) before it
 * does.
 */
TEST(cron_next_agrees_with_a_scan)
{
    static const char *const exprs[] = {
        "*/7 * * * *",       "0 */5 * * *",    "30 2 */3 * *",
        "15 10 * * 1,3,5",   "0 0 13 * 5",     "0 0 */2 * 5",
        "0-10/3 8-9 * * *",  "0 12 1-7 * sun", "45 23 28-31 * *",
        "0 0 * 2 *",         "*/20 * * * * *", "5 5 5 * * *",
        "0 6 * jun-aug sat", "59 23 31 12 *",
    };
    int64_t starts[] = {at(2024, 1, 1, 0, 0, 0), at(2024, 2, 28, 23, 59, 30),
                        at(2023, 12, 31, 23, 58, 0), at(2025, 6, 15, 7, 3, 9)};
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        cron_expr c = parse_ok(exprs[i]);
        int64_t step = c.seconds ? 1 : 60;
        for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
            int64_t t = cron_next(&c, starts[k]);
            if (t <= starts[k] || !cron_matches(&c, t))
                test_fail(__FILE__, __LINE__, "%s after %lld gave %lld",
                          exprs[i], (long long)starts[k], (long long)t);
            /* scan at most 40 days back from t */
            int64_t from = starts[k] + 1;
            if (t - from > 40 * 86400)
                from = t - 40 * 86400;
            from = (from + step - 1) / step * step;
            for (int64_t s = from; s < t; s += step)
                if (cron_matches(&c, s))
                    test_fail(__FILE__, __LINE__,
                              "%s after %lld gave %lld, but %lld matches",
                              exprs[i], (long long)starts[k], (long long)t,
                              (long long)s);
        }
    }
}

TEST(cron_far_future_gives_up)
{
    cron_expr c = parse_ok("0 0 1 1 *");
    CHECK_INT(cron_next(&c, at(9999, 6, 1, 0, 0, 0)), -1);
    CHECK_INT(cron_next(&c, INT64_MAX), -1);
    /* before the epoch: the first firing at or after it */
    CHECK_INT(cron_next(&c, -1000), at(1970, 1, 1, 0, 0, 0));
}
