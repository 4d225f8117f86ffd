/* GET /api/projects/{id} written by hand: it wins over the generated one
   (PUT, PATCH and DELETE stay generated). */
#include <kiln.h>

KILN_GET(get_project_by_hand)
{
    int64_t id;
    if (!kiln_param_id(c, "id", &id))
        return 0;
    return kiln_jsonf(c, 200, "{by_hand:true,id:%lld}", (long long)id);
}
