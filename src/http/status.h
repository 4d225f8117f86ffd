/*
 * http/status.h - status reason phrases and the IMF-fixdate Date format.
 */
#ifndef KILN_HTTP_STATUS_H
#define KILN_HTTP_STATUS_H

#include <time.h>

/** The reason phrase of status ("Not Found"); "Unknown" for others. */
const char *http_status_reason(int status);

/** Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
#define HTTP_DATE_LEN 29

/** Writes t as an IMF-fixdate (RFC 9110 5.6.7) into out (30 bytes, NUL). */
void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);

#endif
