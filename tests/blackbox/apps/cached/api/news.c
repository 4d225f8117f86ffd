/* GET /api/news: counts its runs, so the tests see the cache at work. */
#include <kiln.h>

#include "models.h"

static int runs;

KILN_GET(news)
{
    int n = __atomic_add_fetch(&runs, 1, __ATOMIC_SEQ_CST);
    kiln_str lang = kiln_header(c, "Accept-Language");
    return kiln_text(c, 200, "news %d page=%lld lang=%.*s", n,
                     (long long)get_news_input(c)->query.page,
                     lang.p ? (int)lang.n : 4, lang.p ? lang.p : "none");
}
