/*
 * openapi/walk.h - what the two halves of the OpenAPI walker share
 * (internal): a compact JSON writer that keeps the commas (oapi_w_*), the
 * walk's state, and the components (schemas.c) that the operations
 * (openapi.c) name as they go.
 */
#ifndef KILN_OPENAPI_WALK_H
#define KILN_OPENAPI_WALK_H

#include "openapi/openapi.h"

/* ---- a compact JSON writer ---------------------------------------------- */

/** The most arrays and objects open at once. */
#define OAPI_DEPTH 64

/** The writer: zero-filled, then b set. */
typedef struct oapi_w {
    kiln_buf *b; /* not owned */
    int depth;
    bool more[OAPI_DEPTH]; /* an element was written at this depth */
    bool key;              /* a key was just written: no comma */
    int err;
} oapi_w;

/* Each appends to w->b (ORing allocation failures into w->err): the comma
   before a value or key when one is needed, then the value. A key is
   followed by exactly one value. */
void oapi_w_pre(oapi_w *w);
/** Opens an object ('{') or an array ('['). */
void oapi_w_open(oapi_w *w, char ch);
/** Closes what oapi_w_open opened ('}' or ']'). */
void oapi_w_close(oapi_w *w, char ch);
void oapi_w_key(oapi_w *w, const char *k);
/** A string value (escaped). */
void oapi_w_str(oapi_w *w, const char *s);
/** A value given as JSON text, copied as it is. */
void oapi_w_raw(oapi_w *w, const char *json);
void oapi_w_int(oapi_w *w, int64_t v);
void oapi_w_num(oapi_w *w, double v);
/** {"$ref": "#/components/schemas/NAME"} */
void oapi_w_sref(oapi_w *w, const char *name);
/* key and value at once */
void oapi_kv_str(oapi_w *w, const char *k, const char *v);
void oapi_kv_raw(oapi_w *w, const char *k, const char *json);
void oapi_kv_int(oapi_w *w, const char *k, int64_t v);
/** "k": {"$ref": "#/components/KIND/NAME"} */
void oapi_kv_ref(oapi_w *w, const char *k, const char *kind, const char *name);
/** "type": t, or ["t", "null"] when nullable. */
void oapi_put_type(oapi_w *w, const char *t, bool nullable);
/** Appends the compact JSON p[0..n) indented by two spaces, and a newline,
    to out. 0 or KILN_ENOMEM. */
int oapi_indent(const char *p, size_t n, kiln_buf *out);

/* ---- the walk ------------------------------------------------------------ */

/** A model's components: its rows, the input of create and PUT, the input
    of PATCH, a page of a list; and a named enum of one of its fields. */
enum oapi_variant { OAPI_OUT, OAPI_IN, OAPI_PATCH, OAPI_PAGE, OAPI_ENUM };

typedef struct oapi_comp {
    const kiln_model *m;
    int v;
    const char *name;
    /* OAPI_ENUM: the field's values (a field may be a temporary copy) */
    const char *const *values;
    uint32_t nvalues;
    const char *help;
} oapi_comp;

/** One oapi_write: owns the arena (names, paths) and the arrays (malloc),
    all freed before oapi_write returns. */
typedef struct oapi_walk {
    const oapi_doc *d;
    kiln_arena a;
    oapi_w w;
    oapi_comp *comps; /* the components named so far, written at the end */
    size_t ncomps, cap;
    const char **tags;    /* the tags of the operations, and their */
    const char **tagdesc; /* descriptions (NULL: a default) */
    size_t ntags, tagcap;
    int err;      /* the first failure (KILN_ENOMEM) */
    bool secured; /* an operation needs a user: securitySchemes written */
} oapi_walk;

/**
 * The name of m's component of variant v (field f's enum for OAPI_ENUM),
 * registered to be written with the components; the same arguments give
 * the same name. The name lives in k's arena; NULL (k->err set) when out of
 * memory.
 */
const char *oapi_comp_name(oapi_walk *k, const kiln_model *m, int v,
                           const kiln_field *f);

/**
 * The model a create of m takes as its body (oapi_user_create), made once
 * in k's arena. NULL (k->err set) when out of memory.
 */
const kiln_model *oapi_create_body(oapi_walk *k, const kiln_model *m);
/** Writes the schema of field f of m, in variant v (OAPI_OUT or OAPI_IN),
    as one value; nullable adds null to its types. */
void oapi_field_schema(oapi_walk *k, const kiln_model *m, const kiln_field *f,
                       int v, bool nullable);
/** Writes component c as "name": schema. */
void oapi_write_comp(oapi_walk *k, const oapi_comp *c);

#endif
