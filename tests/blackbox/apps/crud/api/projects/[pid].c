/* GET /api/projects/{pid} written by hand: it wins over the generated GET
   /api/projects/{id}, and the generated routes take its name for the id
   segment (PUT, PATCH and DELETE stay generated). */
#include <kiln.h>

KILN_GET(get_project_by_hand)
{
    int64_t id;
    if (!kiln_param_id(c, "pid", &id))
        return 0;
    return kiln_jsonf(c, 200, "{by_hand:true,id:%lld}", (long long)id);
}
