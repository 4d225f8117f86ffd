/*
 * schema/model.c - lookups in a compiled model description.
 */
#include <kiln.h>

/*
 * Returns the index of the field called name in m (bytes compared; a name
 * holding a NUL byte matches nothing), or -1. Linear in the fields: the
 * decoders try the next field in declaration order before calling this.
 */
int kiln_model_field(const kiln_model *m, kiln_str name)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const char *f = m->fields[i].name;
        size_t k = 0;
        while (k < name.n && f[k] && f[k] == name.p[k])
            k++;
        if (k == name.n && f[k] == '\0')
            return (int)i;
    }
    return -1;
}
