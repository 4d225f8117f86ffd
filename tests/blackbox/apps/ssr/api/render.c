/* GET /api/render?c=Component&props=JSON: the component rendered by the
 * SSR sidecar inside a page, or, when the sidecar cannot render it, an
 * empty root marked for client rendering (what an island does). */
#include <kiln.h>

KILN_GET(render)
{
    kiln_str name = kiln_query(c, "c");
    kiln_str props = kiln_query(c, "props");
    kiln_str html;
    int rc = kiln_ssr_render(c, name.p ? name.p : "Greeting", props, &html);
    if (rc != 0)
        return kiln_text(c, 200, "<div data-render=\"client\"></div> %s",
                         kiln_strerror(rc));
    return kiln_text(c, 200, "<div data-render=\"server\">%.*s</div>",
                     (int)html.n, html.p);
}
