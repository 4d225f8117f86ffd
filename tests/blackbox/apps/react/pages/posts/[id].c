/* The props of pages/posts/[id].tsx: post {id}, or a 404. */
#include <kiln.h>

#include "../_posts.h"

KILN_LOAD(load_post)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0; /* answered: 404 */
    if (id < 1 || id > NPOSTS)
        return kiln_problem(c, 404, "no post %lld", (long long)id);
    kiln_value_set(ctx, "id", kiln_value_int(id));
    kiln_value_set(ctx, "title",
                   kiln_value_str(kiln_str_c(post_titles[id - 1])));
    return kiln_value_set(ctx, "body",
                          kiln_value_str(KILN_STR("The body of the post.")));
}
