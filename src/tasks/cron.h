/*
 * tasks/cron.h - cron expressions: the schedule of a periodic task
 * ([tasks.periodic] in kiln.toml). A pure unit: text in, a schedule out,
 * and the next time it fires after a given second. Times are UTC.
 *
 *   cron_expr c;
 *   char err[128];
 *   if (cron_parse("0 3 * * *", 9, &c, err, sizeof err) != 0) ...
 *   int64_t t = cron_next(&c, now);      // the first match after now
 *
 * Syntax (docs/tasks.md, "Periodic tasks"):
 *
 *   MIN HOUR DOM MONTH DOW           five fields, or six with a leading
 *   SEC MIN HOUR DOM MONTH DOW       seconds field
 *
 * Each field is a comma-separated list of items: '*', N, N-M, each
 * optionally followed by /STEP ("*" + "/15", "10-50/5", "5/10" = 5 to the
 * field's maximum every 10). Ranges: seconds and minutes 0-59, hours 0-23,
 * days of the month 1-31, months 1-12 or JAN-DEC, days of the week 0-7
 * (0 and 7 are Sunday) or SUN-SAT; names in any case. '?' is '*' in the
 * two day fields. Aliases: @yearly (@annually), @monthly, @weekly, @daily
 * (@midnight), @hourly. As in Vixie cron, when both day fields are
 * restricted (neither starts with '*' or '?'), a day matches when either
 * does. An expression that never matches a date (30 February) is refused.
 */
#ifndef KILN_TASKS_CRON_H
#define KILN_TASKS_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A parsed schedule: one bit per allowed value of each field. Plain
    data; copy it freely. */
typedef struct cron_expr {
    uint64_t sec;  /**< bits 0..59 (only bit 0 without a seconds field) */
    uint64_t min;  /**< bits 0..59 */
    uint32_t hour; /**< bits 0..23 */
    uint32_t dom;  /**< bits 1..31 */
    uint16_t mon;  /**< bits 1..12 */
    uint8_t dow;   /**< bits 0..6, Sunday 0 */
    bool dom_star; /**< the day-of-month field starts with '*' or '?' */
    bool dow_star; /**< the day-of-week field starts with '*' or '?' */
    bool seconds;  /**< written with a seconds field */
} cron_expr;

/**
 * Parses the n bytes at s (need not be NUL-terminated) into *out.
 * Returns 0, or KILN_EPARSE with a one-line message in err naming the
 * field and its 1-based column ("minute 61 is out of range 0-59 (column
 * 3)"); *out is then unspecified.
 */
int cron_parse(const char *s, size_t n, cron_expr *out, char *err,
               size_t errlen);

/**
 * The first second strictly after `after` (seconds since the epoch, UTC)
 * at which c fires, or -1 when there is none within 50 years (cron_parse
 * refuses such expressions, so -1 means a time past year 9999).
 */
int64_t cron_next(const cron_expr *c, int64_t after);

/** True when c fires at second t (UTC). */
bool cron_matches(const cron_expr *c, int64_t t);

#endif
