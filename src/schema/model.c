/*
 * schema/model.c - lookups in a compiled model description.
 */
#include <kiln.h>

#include <string.h>

/*
 * Returns the index of the field called name in m (bytes compared; a name
 * holding a NUL byte matches nothing), or -1. Linear in the fields: the
 * decoders try the next field in declaration order before calling this.
 */
int kiln_model_field(const kiln_model *m, kiln_str name)
{
    if (name.n && memchr(name.p, 0, name.n))
        return -1;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const char *f = m->fields[i].name;
        if (f[0] == (name.n ? name.p[0] : '\0') &&
            strncmp(f, name.p, name.n) == 0 && f[name.n] == '\0')
            return (int)i;
    }
    return -1;
}
