/* GET /api/rows?from=A&to=B: how many session rows of users A..B the
   table holds (the sweep's test). */
#include <kiln.h>

KILN_GET(rows)
{
    kiln_dbc *db = kiln_db(c);
    if (!db)
        return 0;
    int64_t n = 0;
    if (kiln_db_scalar_int(db, &n,
                           "SELECT count(*) FROM kiln_session WHERE user_id "
                           "BETWEEN $1 AND $2",
                           KILN_INT(kiln_query_int(c, "from", 0)),
                           KILN_INT(kiln_query_int(c, "to", 0))) != 0)
        return kiln_db_fail(c, db);
    return kiln_jsonf(c, 200, "{rows:%lld}", (long long)n);
}
