/* The props of pages/drafts/[slug].tsx. */
#include <kiln.h>

KILN_LOAD(load_draft)
{
    kiln_str slug = kiln_param(c, "slug");
    return kiln_value_set(ctx, "slug", kiln_value_str(slug));
}
