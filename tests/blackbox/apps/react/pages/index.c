/* The props of pages/index.tsx. */
#include <kiln.h>

#include "_posts.h"

KILN_LOAD(load_index)
{
    kiln_arena *a = kiln_ctx_arena(c);
    kiln_value posts = kiln_value_list(a);
    for (int i = 0; i < NPOSTS; i++) {
        kiln_value p = kiln_value_map(a);
        kiln_value_set(p, "id", kiln_value_int(i + 1));
        kiln_value_set(p, "title", kiln_value_str(kiln_str_c(post_titles[i])));
        kiln_value_push(posts, p);
    }
    kiln_value_set(ctx, "title", kiln_value_str(KILN_STR("Posts")));
    /* what a user might type: it must reach React intact */
    kiln_value_set(
        ctx, "motto",
        kiln_value_str(KILN_STR("</script><!-- \"quoted\" & 'single' "
                                "\xe2\x80\xa8 end")));
    return kiln_value_set(ctx, "posts", posts);
}
