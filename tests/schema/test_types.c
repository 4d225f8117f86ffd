/*
 * tests/schema/test_types.c - the value types of src/schema/types.c: dates,
 * date-times, times, UUIDs, decimals, and the email and url checks.
 */
#include "test.h"

#include "schema/schema_impl.h"

/* Formats with fn into a buffer and checks the text. */
#define CHECK_FMT(call, want)                                                  \
    do {                                                                       \
        kiln_buf b_;                                                           \
        kiln_buf_init(&b_);                                                    \
        CHECK_INT(call, 0);                                                    \
        CHECK_STR(b_.p, want);                                                 \
        kiln_buf_deinit(&b_);                                                  \
    } while (0)

TEST(date_parse_and_format)
{
    kiln_date d;
    CHECK_INT(kiln_date_parse(KILN_STR("2026-03-05"), &d), 0);
    CHECK_INT(d.year, 2026);
    CHECK_INT(d.month, 3);
    CHECK_INT(d.day, 5);
    CHECK_INT(kiln_date_parse(KILN_STR("2024-02-29"), &d), 0); /* leap */
    CHECK_INT(kiln_date_parse(KILN_STR("2000-02-29"), &d), 0);
    CHECK_INT(kiln_date_parse(KILN_STR("0001-01-01"), &d), 0);
    CHECK_INT(kiln_date_parse(KILN_STR("9999-12-31"), &d), 0);
    static const char *bad[] = {
        "2023-02-29", "1900-02-29", "2026-13-01",  "2026-00-10", "2026-04-31",
        "2026-1-05",  "0000-01-01", "2026-03-05T", "2026/03/05", " 2026-03-05",
        "",           "20260305",   "2026-03-0a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(kiln_date_parse(kiln_str_c(bad[i]), &d), KILN_EINVAL);
    CHECK_FMT(kiln_date_format((kiln_date){2026, 3, 5}, &b_), "2026-03-05");
    CHECK_FMT(kiln_date_format((kiln_date){1, 1, 1}, &b_), "0001-01-01");
}

TEST(date_days_round_trip)
{
    CHECK_INT(kiln_date_days((kiln_date){1970, 1, 1}), 0);
    CHECK_INT(kiln_date_days((kiln_date){1969, 12, 31}), -1);
    CHECK_INT(kiln_date_days((kiln_date){2000, 3, 1}), 11017);
    for (int64_t days = -719162; days <= 2932896; days += 997) {
        kiln_date d = kiln_date_from_days(days);
        CHECK(schema_date_valid(d));
        CHECK_INT(kiln_date_days(d), days);
    }
    kiln_date last = kiln_date_from_days(2932896);
    CHECK_INT(last.year, 9999);
    CHECK_INT(last.month, 12);
    CHECK_INT(last.day, 31);
}

TEST(datetime_parse)
{
    kiln_datetime t;
    CHECK_INT(kiln_datetime_parse(KILN_STR("1970-01-01T00:00:00Z"), &t), 0);
    CHECK_INT(t, 0);
    CHECK_INT(kiln_datetime_parse(KILN_STR("2026-03-05T14:07:00.123Z"), &t), 0);
    CHECK_INT(t, INT64_C(1772719620123000));
    /* offsets convert to UTC; 't', 'z' and ' ' are accepted (RFC 3339 5.6) */
    kiln_datetime u;
    CHECK_INT(
        kiln_datetime_parse(KILN_STR("2026-03-05 16:07:00.123+02:00"), &u), 0);
    CHECK_INT(u, t);
    CHECK_INT(
        kiln_datetime_parse(KILN_STR("2026-03-05t09:37:00.123-04:30"), &u), 0);
    CHECK_INT(u, t);
    CHECK_INT(kiln_datetime_parse(KILN_STR("2026-03-05T14:07:00.123z"), &u), 0);
    CHECK_INT(u, t);
    /* up to 9 fraction digits, truncated to the microsecond */
    CHECK_INT(
        kiln_datetime_parse(KILN_STR("1970-01-01T00:00:00.123456789Z"), &u), 0);
    CHECK_INT(u, 123456);
    CHECK_INT(kiln_datetime_parse(KILN_STR("1969-12-31T23:59:59.5Z"), &u), 0);
    CHECK_INT(u, -500000);
    static const char *bad[] = {
        "2026-03-05T14:07:00",             /* no offset */
        "2026-03-05T14:07Z",               /* no seconds */
        "2026-03-05T24:00:00Z",            /* hour */
        "2026-03-05T14:60:00Z",            /* minute */
        "2026-03-05T14:07:60Z",            /* leap second */
        "2026-03-05T14:07:00.Z",           /* empty fraction */
        "2026-03-05T14:07:00.1234567890Z", /* 10 digits */
        "2026-03-05T14:07:00+2:00",        /* offset form */
        "2026-03-05T14:07:00+24:00",       /* offset hour */
        "2026-03-05T14:07:00+02:00x",      /* trailing */
        "2026-02-30T14:07:00Z",            /* no such day */
        "0001-01-01T00:00:00+00:01",       /* before year 1 in UTC */
        "2026-03-05X14:07:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(kiln_datetime_parse(kiln_str_c(bad[i]), &u), KILN_EINVAL);
}

TEST(datetime_format_always_milliseconds)
{
    CHECK_FMT(kiln_datetime_format(0, &b_), "1970-01-01T00:00:00.000Z");
    CHECK_FMT(kiln_datetime_format(INT64_C(1772719620123999), &b_),
              "2026-03-05T14:07:00.123Z");
    CHECK_FMT(kiln_datetime_format(-1, &b_), "1969-12-31T23:59:59.999Z");
    kiln_datetime t;
    CHECK_INT(kiln_datetime_parse(KILN_STR("9999-12-31T23:59:59.999999Z"), &t),
              0);
    CHECK_FMT(kiln_datetime_format(t, &b_), "9999-12-31T23:59:59.999Z");
    CHECK_INT(kiln_datetime_parse(KILN_STR("0001-01-01T00:00:00Z"), &t), 0);
    CHECK_FMT(kiln_datetime_format(t, &b_), "0001-01-01T00:00:00.000Z");
    kiln_datetime now = kiln_datetime_now();
    CHECK(now > INT64_C(1700000000000000));
}

TEST(time_of_day)
{
    kiln_timeofday t;
    CHECK_INT(kiln_timeofday_parse(KILN_STR("14:07"), &t), 0);
    CHECK_INT(t, INT64_C(50820000000));
    CHECK_INT(kiln_timeofday_parse(KILN_STR("14:07:00"), &t), 0);
    CHECK_INT(t, INT64_C(50820000000));
    CHECK_INT(kiln_timeofday_parse(KILN_STR("14:07:00.250"), &t), 0);
    CHECK_INT(t, INT64_C(50820250000));
    CHECK_INT(kiln_timeofday_parse(KILN_STR("23:59:59.999999"), &t), 0);
    CHECK_INT(t, INT64_C(86399999999));
    CHECK_INT(kiln_timeofday_parse(KILN_STR("00:00"), &t), 0);
    CHECK_INT(t, 0);
    static const char *bad[] = {
        "24:00",          "12:60", "1:00",    "12:00:60",  "12:00:00Z",
        "12:00:00+01:00", "12",    "12:00.5", "12:00:00.", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(kiln_timeofday_parse(kiln_str_c(bad[i]), &t), KILN_EINVAL);
    CHECK_FMT(kiln_timeofday_format(INT64_C(50820000000), &b_), "14:07:00");
    CHECK_FMT(kiln_timeofday_format(INT64_C(50820250000), &b_), "14:07:00.250");
    CHECK_FMT(kiln_timeofday_format(INT64_C(50820000999), &b_), "14:07:00");
}

TEST(uuid)
{
    kiln_uuid u, v;
    CHECK_INT(
        kiln_uuid_parse(KILN_STR("0f8fad5b-d9cb-469f-a165-70867728950e"), &u),
        0);
    CHECK_INT(u.b[0], 0x0f);
    CHECK_INT(u.b[15], 0x0e);
    CHECK_INT(
        kiln_uuid_parse(KILN_STR("0F8FAD5B-D9CB-469F-A165-70867728950E"), &v),
        0);
    CHECK(memcmp(&u, &v, sizeof u) == 0);
    CHECK_FMT(kiln_uuid_format(&v, &b_),
              "0f8fad5b-d9cb-469f-a165-70867728950e");
    static const char *bad[] = {"0f8fad5bd9cb469fa16570867728950e",
                                "{0f8fad5b-d9cb-469f-a165-70867728950e}",
                                "0f8fad5b-d9cb-469f-a165-70867728950",
                                "0f8fad5b-d9cb-469f-a165-70867728950g",
                                "0f8fad5b-d9cb-469fa-165-70867728950e",
                                ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(kiln_uuid_parse(kiln_str_c(bad[i]), &u), KILN_EINVAL);
    CHECK_INT(kiln_uuid_random(&u), 0);
    CHECK_INT(kiln_uuid_random(&v), 0);
    CHECK(memcmp(&u, &v, sizeof u) != 0);
    CHECK_INT(u.b[6] >> 4, 4); /* version 4 */
    CHECK_INT(u.b[8] >> 6, 2); /* variant 10 */
}

/* Canonicalises s with (p, sc) and checks the result or the error. */
static void check_canon(const char *s, int p, int sc, int rc, const char *want)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int got = kiln_decimal_canon(kiln_str_c(s), p, sc, &b);
    if (got != rc)
        test_fail(__FILE__, __LINE__, "canon(%s, %d, %d) = %d, expected %d", s,
                  p, sc, got, rc);
    if (want)
        CHECK_STR(b.p ? b.p : "", want);
    kiln_buf_deinit(&b);
}

TEST(decimal_canon)
{
    check_canon("12", 8, 2, 0, "12.00");
    check_canon("-0.5", 8, 2, 0, "-0.50");
    check_canon("1.50", 8, 2, 0, "1.50");
    check_canon("1.500", 8, 2, 0, "1.50"); /* zeros past the scale: no loss */
    check_canon("-0", 8, 2, 0, "0.00");
    check_canon("-0.00", 8, 2, 0, "0.00");
    check_canon("0", 8, 0, 0, "0");
    check_canon("123456.78", 8, 2, 0, "123456.78");  /* 8 digits: the limit */
    check_canon("1234567", 8, 2, KILN_ELIMIT, NULL); /* 9 */
    check_canon("1.234", 8, 2, KILN_ELIMIT, NULL);   /* 3 places */
    check_canon("0.001", 8, 2, KILN_ELIMIT, NULL);
    static const char *bad[] = {"",    "-",   "+1",    "01", "1.",
                                ".5",  "1e2", "1.2.3", " 1", "1 ",
                                "0x1", "--1", "1,5",   "NaN"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check_canon(bad[i], 8, 2, KILN_EINVAL, NULL);
}

TEST(decimal_cmp)
{
    CHECK(kiln_decimal_cmp(KILN_STR("1.50"), KILN_STR("1.5")) == 0);
    CHECK(kiln_decimal_cmp(KILN_STR("1.50"), KILN_STR("1.51")) < 0);
    CHECK(kiln_decimal_cmp(KILN_STR("10.00"), KILN_STR("9.99")) > 0);
    CHECK(kiln_decimal_cmp(KILN_STR("-10.00"), KILN_STR("-9.99")) < 0);
    CHECK(kiln_decimal_cmp(KILN_STR("-0.01"), KILN_STR("0.00")) < 0);
    CHECK(kiln_decimal_cmp(KILN_STR("-0.00"), KILN_STR("0")) == 0);
    CHECK(kiln_decimal_cmp(KILN_STR("100"), KILN_STR("99.999")) > 0);
    CHECK(kiln_decimal_cmp(KILN_STR("0.10"), KILN_STR("0.09")) > 0);
}

TEST(email_check)
{
    static const char *good[] = {"ann@example.com", "a.b+tag@sub.example.org",
                                 "x@a.io",          "o'brien@example.ie",
                                 "名前@例え.jp",    "a_b-c@ex-ample.com"};
    static const char *bad[] = {"",
                                "ann",
                                "ann@",
                                "@example.com",
                                "ann@example",
                                "ann@@example.com",
                                ".ann@example.com",
                                "ann.@example.com",
                                "a..b@example.com",
                                "ann@-example.com",
                                "ann@example-.com",
                                "ann@exa mple.com",
                                "ann example@x.com",
                                "ann@example.123",
                                "ann@example..com",
                                "a\"b@example.com",
                                "ann@example.com\n"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!schema_is_email(kiln_str_c(good[i])))
            test_fail(__FILE__, __LINE__, "refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (schema_is_email(kiln_str_c(bad[i])))
            test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
    char local[80];
    memset(local, 'a', 65);
    strcpy(local + 65, "@x.io");
    CHECK(!schema_is_email(kiln_str_c(local))); /* local part of 65 */
    strcpy(local + 64, "@x.io");
    CHECK(schema_is_email(kiln_str_c(local)));
}

TEST(url_check)
{
    static const char *good[] = {"http://example.com",
                                 "https://example.com/",
                                 "HTTPS://Example.COM/a?b=c#d",
                                 "http://localhost:8000/x",
                                 "http://127.0.0.1/",
                                 "http://[::1]:8080/",
                                 "https://user:pw@host.example/p",
                                 "https://例え.jp/パス",
                                 "http://a-b.c/%20x"};
    static const char *bad[] = {"",
                                "example.com",
                                "ftp://example.com",
                                "http://",
                                "http:///path",
                                "http://exa mple.com",
                                "http://example.com/a b",
                                "http://example.com/\t",
                                "http://example.com:99999/",
                                "http://example.com:/",
                                "http://example.com:8a/",
                                "http://-bad.com/",
                                "http://[zz::1]/",
                                "javascript:alert(1)",
                                "http://example.com\\@evil.com/",
                                "http://exa\x01mple.com"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!schema_is_url(kiln_str_c(good[i])))
            test_fail(__FILE__, __LINE__, "refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (schema_is_url(kiln_str_c(bad[i])))
            test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}
