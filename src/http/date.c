/*
 * http/date.c - IMF-fixdate formatting without locale or strftime, so it is
 * cheap and identical everywhere. Workers call it once per second.
 */
#include "http/status.h"

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1])
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    gmtime_r(&t, &tm);
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    char *p = out;
    for (int i = 0; i < 3; i++)
        *p++ = days[3 * tm.tm_wday + i];
    *p++ = ',';
    *p++ = ' ';
    put2(p, tm.tm_mday);
    p += 2;
    *p++ = ' ';
    for (int i = 0; i < 3; i++)
        *p++ = months[3 * tm.tm_mon + i];
    *p++ = ' ';
    int y = tm.tm_year + 1900;
    put2(p, y / 100);
    put2(p + 2, y % 100);
    p += 4;
    *p++ = ' ';
    put2(p, tm.tm_hour);
    p[2] = ':';
    put2(p + 3, tm.tm_min);
    p[5] = ':';
    put2(p + 6, tm.tm_sec);
    p += 8;
    *p++ = ' ';
    *p++ = 'G';
    *p++ = 'M';
    *p++ = 'T';
    *p = '\0';
}
