/*
 * fuzz/fuzz_db_text.c - the data layer's text parsers: database URLs,
 * timestamps (and their round trip through db_time_format), and the $N to
 * ?N rewriting of SQL for SQLite, which must keep everything else intact.
 */
#include "db/db_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    db_url u;
    char err[256];
    if (db_url_parse(s, &u, err, sizeof err) == 0)
        db_url_free(&u);
    else if (strlen(err) == 0)
        abort(); /* a failure always says why */

    int64_t us;
    if (db_time_parse((kiln_str){s, size}, &us) == 0 &&
        us > -62135596800000000LL && us < 253402300799000000LL) {
        /* within years 1..9999 a formatted value parses back the same */
        char t[40];
        int64_t back;
        db_time_format(us, t);
        if (db_time_parse(kiln_str_c(t), &back) != 0 || back != us)
            abort();
    }

    char *q = db_sqlite_params(s);
    if (q) {
        size_t n = strlen(s);
        if (strlen(q) != n)
            abort();
        /* only '$' before a digit may change, and only into '?' */
        for (size_t i = 0; i < n; i++)
            if (q[i] != s[i] && !(s[i] == '$' && q[i] == '?' && i + 1 < n &&
                                  s[i + 1] >= '0' && s[i + 1] <= '9'))
                abort();
        free(q);
    }
    free(s);
    return 0;
}
