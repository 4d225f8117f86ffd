/*
 * core/civil.h - calendar arithmetic shared by the layers that parse dates
 * (HTTP dates in static/, timestamps in db/).
 */
#ifndef KILN_CORE_CIVIL_H
#define KILN_CORE_CIVIL_H

#include <stdint.h>

/** Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12);
    negative before 1970. */
static inline int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#endif
