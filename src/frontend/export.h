/*
 * frontend/export.h - what `kiln export` (cli/export.c) needs that is pure:
 * the URL and the file of one exported page. No I/O, no allocation but
 * the caller's buffers (fuzz/fuzz_export_path.c).
 */
#ifndef KILN_FRONTEND_EXPORT_H
#define KILN_FRONTEND_EXPORT_H

#include "kiln/core.h"

/*
 * Fills route pattern ("/posts/{id}", "/files/{...path}", "/") with the
 * values of its parameters (names[i] = values[i], n of them; each name
 * of the pattern must have one, and each name must be the pattern's),
 * appending to url the request path (percent-encoded: RFC 3986
 * unreserved characters as they are, '/' too inside a {...rest} value,
 * the rest %XX) and to file where the page goes in the export folder
 * ("posts/7/index.html", "index.html" for "/"), so that a static server
 * answers the URL (and the URL with a '/' added) from it. A value is
 * refused when it is empty, holds a control character, or is "." or
 * ".." (a {...rest} value: when one of its '/'-separated segments is
 * empty, "." or ".."); a {name} value also when it holds '/'.
 * A pattern that is not a route path ('/'-separated segments of RFC 3986
 * unreserved characters other than "." and "..", or whole {name} and
 * {...name}) is refused too.
 * Returns 0, or KILN_EINVAL with a message in err naming the parameter
 * (url and file may then hold a partial result), or KILN_ENOMEM.
 */
int frontend_export_path(const char *pattern, const kiln_str *names,
                         const kiln_str *values, size_t n, kiln_buf *url,
                         kiln_buf *file, char *err, size_t errlen);

#endif
