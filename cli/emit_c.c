/*
 * cli/emit_c.c - the models as C: a walker over the loaded descriptions
 * (src/model) that writes .kiln/<mode>/gen/models.h (a struct and an enum
 * per model, typed wrappers of kiln/model.h and kiln/schema.h) and
 * models.c (each model's description as static const data). The output is
 * meant to be read: commented with its source (models/task.toml:4), in
 * declaration order, stable from one build to the next.
 */
#include "cli.h"

#include "model/model.h"

#include <stdlib.h>
#include <string.h>

/* ---- C text ------------------------------------------------------------- */

void cli_put_cstr(kiln_buf *b, const char *s)
{
    kiln_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            kiln_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            kiln_buf_printf(b, "\\%03o", *p);
        else
            kiln_buf_putc(b, (char)*p);
    }
    kiln_buf_putc(b, '"');
}

void cli_put_comment(kiln_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r') {
            kiln_buf_putc(b, ' ');
            continue;
        }
        kiln_buf_putc(b, *s);
        if (s[0] == '*' && s[1] == '/')
            kiln_buf_putc(b, ' ');
    }
}

/* A C string literal, or NULL. */
static void put_cstr_or_null(kiln_buf *b, const char *s)
{
    if (s)
        cli_put_cstr(b, s);
    else
        kiln_buf_puts(b, "NULL");
}

static void upper(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 1 < n; s++)
        out[o++] = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s;
    out[o] = '\0';
}

/* "a" or "an" for the word w (by its first letter; good enough for the
   names of models). */
static const char *article(const char *w)
{
    return strchr("aeiouAEIOU", w[0]) && w[0] ? "an" : "a";
}

/* An enum constant's suffix from a value ("in progress" -> IN_PROGRESS). */
static void const_name(const char *v, char *out, size_t n)
{
    size_t o = 0;
    if (v[0] >= '0' && v[0] <= '9' && o + 2 < n)
        out[o++] = 'V';
    for (; *v && o + 1 < n; v++) {
        char ch = *v;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            ch = '_';
        if (ch == '_' && o && out[o - 1] == '_')
            continue;
        out[o++] = ch;
    }
    while (o > 1 && out[o - 1] == '_')
        o--;
    out[o] = '\0';
}

/* ---- what each field is ------------------------------------------------- */

static const char *c_type(const kiln_field *f, const char *enum_type)
{
    switch (f->type) {
    case KILN_FT_INT:
    case KILN_FT_REF:
        return "int64_t";
    case KILN_FT_FLOAT:
        return "double";
    case KILN_FT_BOOL:
        return "bool";
    case KILN_FT_DECIMAL:
    case KILN_FT_STRING:
    case KILN_FT_TEXT:
    case KILN_FT_EMAIL:
    case KILN_FT_URL:
    case KILN_FT_JSON:
        return "kiln_str";
    case KILN_FT_DATE:
        return "kiln_date";
    case KILN_FT_DATETIME:
        return "kiln_datetime";
    case KILN_FT_TIME:
        return "kiln_timeofday";
    case KILN_FT_UUID:
        return "kiln_uuid";
    case KILN_FT_ENUM:
        return enum_type;
    case KILN_FT_MANY:
        return "kiln_ids";
    case KILN_FT_LIST:
        return "kiln_list";
    case KILN_FT_FILE:
        return "const kiln_upload *";
    default:
        return "int";
    }
}

/* A one-line description of f for its member's comment. */
static void describe(kiln_buf *b, const kiln_field *f)
{
    const char *t = model_type_name(f->type);
    if (f->flags & KILN_FF_PK) {
        kiln_buf_puts(b, "primary key, set by the database");
        return;
    }
    switch (f->type) {
    case KILN_FT_REF:
        kiln_buf_printf(b, "id of %s %s (column %s; on delete %s)",
                        article(f->ref ? f->ref->name : f->ref_name),
                        f->ref ? f->ref->name : f->ref_name, f->column,
                        f->on_delete == KILN_ON_DELETE_CASCADE    ? "cascade"
                        : f->on_delete == KILN_ON_DELETE_RESTRICT ? "restrict"
                                                                  : "set null");
        break;
    case KILN_FT_MANY:
        kiln_buf_printf(b, "ids of linked %s rows (table %s)",
                        f->ref ? f->ref->name : f->ref_name,
                        f->through ? f->through : "?");
        break;
    case KILN_FT_DECIMAL:
        kiln_buf_printf(b, "decimal(%d,%d), text", f->precision, f->scale);
        break;
    case KILN_FT_ENUM:
        kiln_buf_puts(b, "enum");
        break;
    default:
        kiln_buf_puts(b, t);
    }
    if (f->flags & KILN_FF_OPTIONAL)
        kiln_buf_puts(b, ", optional");
    if (f->max_length >= 0 && f->type != KILN_FT_LIST)
        kiln_buf_printf(b, ", at most %lld characters",
                        (long long)f->max_length);
    if (f->min_length > 0)
        kiln_buf_printf(b, ", at least %lld", (long long)f->min_length);
    if (f->min_text)
        kiln_buf_printf(b, ", min %s", f->min_text);
    if (f->max_text)
        kiln_buf_printf(b, ", max %s", f->max_text);
    if (f->flags & KILN_FF_UNIQUE)
        kiln_buf_puts(b, ", unique");
    if (f->flags & KILN_FF_AUTO_CREATED)
        kiln_buf_puts(b, ", set on insert");
    else if (f->flags & KILN_FF_AUTO_UPDATED)
        kiln_buf_puts(b, ", set on every write");
    else if (f->flags & KILN_FF_READ_ONLY)
        kiln_buf_puts(b, ", read-only");
    if (f->flags & KILN_FF_WRITE_ONLY)
        kiln_buf_puts(b, ", write-only (never sent)");
    if (f->def) {
        kiln_buf_puts(b, ", default ");
        cli_put_comment(b, f->def);
    } else if (f->flags & KILN_FF_DEFAULT_NOW) {
        kiln_buf_puts(b, ", default now");
    } else if (f->flags & KILN_FF_DEFAULT_RANDOM) {
        kiln_buf_puts(b, ", default random");
    }
    if (f->help) {
        kiln_buf_puts(b, ": ");
        cli_put_comment(b, f->help);
    }
}

/* ---- the header ---------------------------------------------------------- */

/* Names used for model m: its C type, its upper-case prefix. */
typedef struct names {
    char type[MODEL_NAME_MAX + 8];  /* Task */
    char upper[MODEL_NAME_MAX + 8]; /* TASK */
} names;

static void names_of(const char *model, names *n)
{
    model_c_type(model, n->type, sizeof n->type);
    upper(model, n->upper, sizeof n->upper);
}

/* The C type of enum field f of struct type st: TaskStatus. */
static void enum_type(const char *st, const kiln_field *f, char *out, size_t n)
{
    char ft[MODEL_NAME_MAX + 8];
    model_c_type(f->name, ft, sizeof ft);
    snprintf(out, n, "%s%s", st, ft);
}

/*
 * Appends text as a doc comment at column 0: one line when it fits in 79
 * columns, else wrapped at word boundaries in a block comment.
 */
static void put_doc(kiln_buf *b, const char *text)
{
    if (strlen(text) + 7 <= 79) {
        kiln_buf_printf(b, "/** %s */\n", text);
        return;
    }
    kiln_buf_puts(b, "/**\n *");
    size_t col = 2;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (col + 1 + n > 78 && col > 2) {
            kiln_buf_puts(b, "\n *");
            col = 2;
        }
        kiln_buf_printf(b, " %.*s", (int)n, p);
        col += 1 + n;
        p += n;
        while (*p == ' ')
            p++;
    }
    kiln_buf_puts(b, "\n */\n");
}

/*
 * Appends struct members: each declaration with its doc comment after it,
 * the comments aligned in one column; a comment that would run past 79
 * columns goes on the lines above its member instead, wrapped.
 */
static void put_members(kiln_buf *b, const cli_strs *decls,
                        const cli_strs *notes)
{
    size_t w = 0;
    for (size_t i = 0; i < decls->n; i++)
        if (strlen(decls->v[i]) > w && strlen(decls->v[i]) <= 40)
            w = strlen(decls->v[i]);
    for (size_t i = 0; i < decls->n; i++) {
        const char *d = decls->v[i], *c = notes->v[i];
        size_t dn = strlen(d), pad = dn < w ? w - dn : 0;
        if (4 + dn + pad + 5 + strlen(c) + 3 <= 79) {
            kiln_buf_printf(b, "    %s%*s /**< %s */\n", d, (int)pad, "", c);
            continue;
        }
        /* wrap the comment at word boundaries, above the member */
        kiln_buf_puts(b, "    /**");
        size_t col = 7;
        const char *p = c;
        while (*p) {
            const char *e = strchr(p, ' ');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (col + 1 + n > 76) {
                kiln_buf_puts(b, "\n     *");
                col = 6;
            }
            kiln_buf_printf(b, " %.*s", (int)n, p);
            col += 1 + n;
            p += n;
            while (*p == ' ')
                p++;
        }
        kiln_buf_printf(b, " */\n    %s\n", d);
    }
}

/* Enums, then the struct, of object m whose C type is st (fields of
   nested objects first, so the outer struct can hold them). */
static void emit_struct(kiln_buf *b, const kiln_model *m, const char *st,
                        const char *up, const char *what)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->type == KILN_FT_OBJECT ||
             (f->type == KILN_FT_LIST && f->item_type == KILN_FT_OBJECT)) &&
            f->ref) {
            char sub[160], subu[160], fu[MODEL_NAME_MAX + 8];
            model_c_type(f->name, sub, sizeof sub);
            char full[200];
            snprintf(full, sizeof full, "%s%s", st, sub);
            upper(f->name, fu, sizeof fu);
            snprintf(subu, sizeof subu, "%s_%s", up, fu);
            emit_struct(b, f->ref, full, subu, f->name);
        }
    }
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->type != KILN_FT_ENUM)
            continue;
        char et[200], fu[MODEL_NAME_MAX + 8];
        enum_type(st, f, et, sizeof et);
        upper(f->name, fu, sizeof fu);
        char vdoc[300];
        snprintf(vdoc, sizeof vdoc, "The values of %s.%s (%s:%d).", m->name,
                 f->name, f->file ? f->file : "?", f->line);
        put_doc(b, vdoc);
        kiln_buf_printf(b, "typedef enum %s {\n", et);
        cli_strs consts = {0}, values = {0};
        for (uint32_t k = 0; k < f->nvalues; k++) {
            char cn[160];
            const_name(f->values[k], cn, sizeof cn);
            cli_strs_addf(&consts, "%s_%s_%s%s", up, fu, cn,
                          k + 1 < f->nvalues ? "," : "");
            kiln_buf v;
            kiln_buf_init(&v);
            kiln_buf_putc(&v, '"');
            cli_put_comment(&v, f->values[k]);
            kiln_buf_putc(&v, '"');
            cli_strs_addf(&values, "%s", v.p);
            kiln_buf_deinit(&v);
        }
        put_members(b, &consts, &values);
        cli_strs_free(&consts);
        cli_strs_free(&values);
        kiln_buf_printf(b, "} %s;\n\n", et);
    }
    char doc[512];
    if (m->table)
        snprintf(doc, sizeof doc, "%s %s: one row of table %s (%s).",
                 article(m->label)[1] ? "An" : "A", m->label, m->table,
                 m->file);
    else
        snprintf(doc, sizeof doc, "%s (%s).", what, m->file ? m->file : "");
    put_doc(b, doc);
    kiln_buf_printf(b, "typedef struct %s {\n", st);
    cli_strs decls = {0}, notes = {0};
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->flags & KILN_FF_OPTIONAL) {
            cli_strs_addf(&decls, "bool has_%s;", f->name);
            cli_strs_addf(&notes, "false: %s is NULL", f->name);
        }
        char et[200];
        const char *ct;
        if (f->type == KILN_FT_ENUM) {
            enum_type(st, f, et, sizeof et);
            ct = et;
        } else if (f->type == KILN_FT_OBJECT && f->ref) {
            char sub[160];
            model_c_type(f->name, sub, sizeof sub);
            snprintf(et, sizeof et, "%s%s", st, sub);
            ct = et;
        } else {
            ct = c_type(f, "int");
        }
        bool ptr = ct[strlen(ct) - 1] == '*';
        cli_strs_addf(&decls, "%s%s%s;", ct, ptr ? "" : " ", f->name);
        kiln_buf note;
        kiln_buf_init(&note);
        describe(&note, f);
        if (f->type == KILN_FT_LIST) {
            if (f->item_type == KILN_FT_OBJECT && f->ref) {
                char sub[160];
                model_c_type(f->name, sub, sizeof sub);
                kiln_buf_printf(&note, " (items: %s%s)", st, sub);
            } else {
                kiln_buf_printf(
                    &note, " (items: %s)",
                    c_type(&(kiln_field){.type = f->item_type}, "int"));
            }
        }
        cli_strs_addf(&notes, "%s", note.p ? note.p : "");
        kiln_buf_deinit(&note);
    }
    put_members(b, &decls, &notes);
    cli_strs_free(&decls);
    cli_strs_free(&notes);
    kiln_buf_printf(b, "} %s;\n\n", st);
}

/* The typed wrappers of one model. */
static void emit_calls(kiln_buf *b, const kiln_model *m, const names *n)
{
    const char *p = m->name, *T = n->type;
    kiln_buf_printf(
        b,
        "/** Rows of %s read by %s_list (in the connection's arena). */\n"
        "typedef struct %sList {\n    %s *v;\n    size_t n;\n} %sList;\n\n",
        T, p, T, T, T);
    kiln_buf_printf(b,
                    "/** The description of %s: fields, types, constraints "
                    "(kiln/schema.h). */\nextern const kiln_model "
                    "%s_model;\n\n",
                    p, p);
    kiln_buf_printf(b,
                    "/** Field indexes of %s (for kiln_fieldset). */\n"
                    "enum {\n",
                    p);
    for (uint32_t i = 0; i < m->nfields; i++) {
        char fu[MODEL_NAME_MAX + 8];
        upper(m->fields[i].name, fu, sizeof fu);
        kiln_buf_printf(b, "    %s_F_%s = %u,\n", n->upper, fu, i);
    }
    kiln_buf_puts(b, "};\n\n");

    kiln_buf_printf(
        b,
        "/** Reads %s id into *out. 0, KILN_ENOTFOUND or an error. */\n"
        "static inline int %s_get(kiln_dbc *db, int64_t id, %s *out)\n{\n"
        "    return kiln_model_get(db, &%s_model, id, out);\n}\n\n",
        p, p, T, p);
    kiln_buf_printf(
        b,
        "/** Inserts *obj (id and server-set fields are filled from the "
        "row). */\n"
        "static inline int %s_insert(kiln_dbc *db, %s *obj)\n{\n"
        "    return kiln_model_insert(db, &%s_model, obj);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Updates every writable field of row obj->id. 0, "
        "KILN_ENOTFOUND or an error. */\n"
        "static inline int %s_update(kiln_dbc *db, %s *obj)\n{\n"
        "    return kiln_model_update(db, &%s_model, obj, NULL);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Updates only the fields in given (a PATCH). */\n"
        "static inline int %s_patch(kiln_dbc *db, %s *obj, "
        "const kiln_fieldset *given)\n{\n"
        "    return kiln_model_update(db, &%s_model, obj, given);\n}\n\n",
        p, T, p);
    kiln_buf_printf(b,
                    "/** Deletes row id. 0, KILN_ENOTFOUND, KILN_ESTATE (still "
                    "referred to) or an error. */\n"
                    "static inline int %s_delete(kiln_dbc *db, int64_t id)\n{\n"
                    "    return kiln_model_delete(db, &%s_model, id);\n}\n\n",
                    p, p);
    kiln_buf_printf(
        b,
        "/** Reads the rows o selects (NULL: all, in the model's order). */\n"
        "static inline int %s_list(kiln_dbc *db, const kiln_list_opts *o, "
        "%sList *out)\n{\n"
        "    kiln_model_rows rows;\n"
        "    int rc = kiln_model_list(db, &%s_model, o, &rows);\n"
        "    out->v = rows.v;\n    out->n = rows.n;\n    return rc;\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Counts the rows o selects. */\n"
        "static inline int %s_count(kiln_dbc *db, const kiln_list_opts *o, "
        "int64_t *n)\n{\n"
        "    return kiln_model_count(db, &%s_model, o, n);\n}\n\n",
        p, p);
    kiln_buf_printf(
        b,
        "/** Reads any query's current row into *out by column name. */\n"
        "static inline int %s_from_row(kiln_rows *r, %s *out)\n{\n"
        "    return kiln_model_from_row(&%s_model, r, out);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Appends *obj as a JSON object. */\n"
        "static inline int %s_to_json(const %s *obj, kiln_buf *b)\n{\n"
        "    return kiln_encode_json(&%s_model, obj, b);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Answers *obj as application/json with status. */\n"
        "static inline int %s_send(kiln_ctx *c, int status, const %s *obj)\n"
        "{\n    return kiln_send_model(c, status, &%s_model, obj);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Answers the rows as a JSON array with status. */\n"
        "static inline int %s_list_send(kiln_ctx *c, int status, "
        "const %sList *l)\n{\n"
        "    return kiln_send_model_list(c, status, &%s_model, l->v, l->n);\n"
        "}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Appends the rows as a JSON array. */\n"
        "static inline int %s_list_to_json(const %sList *l, kiln_buf *b)\n{\n"
        "    return kiln_encode_json_list(&%s_model, l->v, l->n, b);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/**\n * Reads the request body (JSON or a form) into *out, "
        "validated, its references\n * looked up when db is given. false: "
        "it has answered (400, 413, 415, or 422\n * with every failing "
        "field): return 0.\n */\n"
        "static inline bool %s_from_body(kiln_ctx *c, kiln_dbc *db, "
        "kiln_decode_mode mode,\n%*s%s *out, kiln_fieldset *given)\n{\n"
        "    return kiln_model_from_body(c, db, &%s_model, mode, out, given);"
        "\n}\n\n",
        p, (int)(strlen(p) + 31), "", T, p);
    kiln_buf_printf(
        b,
        "/**\n * Reads the request body into *out like %s_from_body, but "
        "leaves the field\n * errors to the caller: 0 valid; KILN_EINVAL: "
        "errs lists them, nothing\n * answered (kiln_page_invalid re-renders "
        "a form); other codes: answered.\n */\n"
        "static inline int %s_decode(kiln_ctx *c, kiln_dbc *db, "
        "kiln_decode_mode mode,\n%*s%s *out, kiln_fieldset *given, "
        "kiln_errors *errs)\n{\n"
        "    return kiln_model_decode(c, db, &%s_model, mode, out, given, "
        "errs);\n}\n\n",
        p, p, (int)(strlen(p) + 26), "", T, p);
    kiln_buf_printf(
        b,
        "/** Checks *obj's constraints (for values set in C). */\n"
        "static inline int %s_validate(const %s *obj, kiln_errors *errs)\n{\n"
        "    return kiln_validate(&%s_model, obj, \"\", errs);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** Sets every field of *out to its default (strings a default "
        "needs go in a). */\n"
        "static inline int %s_defaults(%s *out, kiln_arena *a)\n{\n"
        "    return kiln_defaults(&%s_model, a, out);\n}\n\n",
        p, T, p);
    kiln_buf_printf(
        b,
        "/** 422 errors for each reference of *obj to a missing row. */\n"
        "static inline int %s_check_refs(kiln_dbc *db, const %s *obj,\n"
        "%*sconst kiln_fieldset *given, kiln_errors *errs)\n{\n"
        "    return kiln_model_check_refs(db, &%s_model, obj, given, errs);\n"
        "}\n\n",
        p, T, (int)(strlen(p) + 30), "", p);
    kiln_buf_printf(
        b,
        "/** Answers a failed call (404, 409, 422 or 500) and returns 0. */\n"
        "static inline int %s_fail(kiln_ctx *c, kiln_dbc *db, int rc)\n{\n"
        "    return kiln_model_fail(c, db, &%s_model, rc);\n}\n\n",
        p, p);
    kiln_buf_printf(
        b,
        "/** *obj as a template value ({{ %s.id }}), copied into a. */\n"
        "static inline kiln_value %s_value(const %s *obj, kiln_arena *a)\n{\n"
        "    return kiln_model_value(&%s_model, obj, a);\n}\n\n",
        p, p, T, p);
    kiln_buf_printf(
        b,
        "/** The rows as a template list. */\n"
        "static inline kiln_value %s_list_value(const %sList *l, "
        "kiln_arena *a)\n{\n"
        "    return kiln_model_value_list(&%s_model, l->v, l->n, a);\n}\n\n",
        p, T, p);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->type == KILN_FT_REF && f->ref) {
            names tn;
            names_of(f->ref->name, &tn);
            kiln_buf_printf(
                b,
                "/** Reads the %s that obj->%s refers to. */\n"
                "static inline int %s_%s_get(kiln_dbc *db, const %s *obj, "
                "%s *out)\n{\n",
                f->ref->name, f->name, p, f->name, T, tn.type);
            if (f->flags & KILN_FF_OPTIONAL)
                kiln_buf_printf(b,
                                "    if (!obj->has_%s)\n"
                                "        return KILN_ENOTFOUND;\n",
                                f->name);
            kiln_buf_printf(b,
                            "    return kiln_model_get(db, &%s_model, obj->%s, "
                            "out);\n}\n\n",
                            f->ref->name, f->name);
            kiln_buf_printf(
                b,
                "/** Reads the %s rows whose %s is id (o: more filters, "
                "order, limit). */\n"
                "static inline int %s_list_by_%s(kiln_dbc *db, int64_t id,\n"
                "%*sconst kiln_list_opts *o, %sList *out)\n{\n"
                "    kiln_filter f[32] = {{\"%s\", KILN_OP_EQ, "
                "KILN_INT(id)}};\n"
                "    kiln_list_opts all = o ? *o : (kiln_list_opts){0};\n"
                "    size_t n = 1;\n"
                "    for (size_t i = 0; o && i < o->nfilters && n < 32; i++)\n"
                "        f[n++] = o->filters[i];\n"
                "    all.filters = f;\n    all.nfilters = n;\n"
                "    return %s_list(db, &all, out);\n}\n\n",
                p, f->name, p, f->name, (int)(strlen(p) + strlen(f->name) + 31),
                "", T, f->name, p);
        }
        if (f->type == KILN_FT_MANY) {
            char fu[MODEL_NAME_MAX + 8];
            upper(f->name, fu, sizeof fu);
            const char *tgt = f->ref ? f->ref->name : f->ref_name;
            kiln_buf_printf(
                b,
                "/** The ids of the %s rows linked to row id through %s. */\n"
                "static inline int %s_%s_ids(kiln_dbc *db, int64_t id, "
                "kiln_ids *out)\n{\n"
                "    return kiln_model_links(db, &%s_model, "
                "&%s_model.fields[%s_F_%s], id, out);\n}\n\n",
                tgt, f->name, p, f->name, p, p, n->upper, fu);
            static const char *const ops[][3] = {
                {"add", "link", "Links row id to the %s row target."},
                {"remove", "unlink", "Unlinks row id from the %s row target."}};
            for (int k = 0; k < 2; k++) {
                kiln_buf_puts(b, "/** ");
                kiln_buf_printf(b, ops[k][2], tgt);
                kiln_buf_printf(
                    b,
                    " */\nstatic inline int %s_%s_%s(kiln_dbc *db, int64_t id, "
                    "int64_t target)\n{\n"
                    "    return kiln_model_%s(db, &%s_model, "
                    "&%s_model.fields[%s_F_%s], id, target);\n}\n\n",
                    p, f->name, ops[k][0], ops[k][1], p, p, n->upper, fu);
            }
            kiln_buf_printf(
                b,
                "/** Makes ids the exact set of %s rows linked to row id. */\n"
                "static inline int %s_%s_set(kiln_dbc *db, int64_t id, "
                "const kiln_ids *ids)\n{\n"
                "    return kiln_model_set_links(db, &%s_model, "
                "&%s_model.fields[%s_F_%s], id, ids);\n}\n\n",
                tgt, p, f->name, p, p, n->upper, fu);
        }
    }
}

/* The linked rows of each many field of m: after every model, since they
   call the target's list. */
static void emit_linked_lists(kiln_buf *b, const kiln_model *m)
{
    const char *p = m->name;
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->type != KILN_FT_MANY || !f->ref)
            continue;
        const char *tgt = f->ref->name;
        names tn;
        names_of(tgt, &tn);
        char self[64], other[64];
        model_link_columns(m, f, self, other);
        kiln_buf_printf(
            b,
            "/** The %s rows linked to %s id through %s, in %s's order. */\n"
            "static inline int %s_%s_list(kiln_dbc *db, int64_t id, "
            "%sList *out)\n{\n"
            "    kiln_db_param p = KILN_INT(id);\n"
            "    kiln_list_opts o = {\n"
            "        .where = \"id IN (SELECT %s FROM %s WHERE %s = $1)\",\n"
            "        .params = &p,\n        .nparams = 1};\n"
            "    return %s_list(db, &o, out);\n}\n\n",
            tgt, p, f->name, tgt, p, f->name, tn.type, other, f->through, self,
            tgt);
    }
}

/* ---- the descriptions ---------------------------------------------------- */

static void put_flags(kiln_buf *b, unsigned flags)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {KILN_FF_OPTIONAL, "KILN_FF_OPTIONAL"},
        {KILN_FF_UNIQUE, "KILN_FF_UNIQUE"},
        {KILN_FF_INDEX, "KILN_FF_INDEX"},
        {KILN_FF_READ_ONLY, "KILN_FF_READ_ONLY"},
        {KILN_FF_WRITE_ONLY, "KILN_FF_WRITE_ONLY"},
        {KILN_FF_PK, "KILN_FF_PK"},
        {KILN_FF_AUTO_CREATED, "KILN_FF_AUTO_CREATED"},
        {KILN_FF_AUTO_UPDATED, "KILN_FF_AUTO_UPDATED"},
        {KILN_FF_DEFAULT_NOW, "KILN_FF_DEFAULT_NOW"},
        {KILN_FF_DEFAULT_RANDOM, "KILN_FF_DEFAULT_RANDOM"},
        {KILN_FF_HAS_MIN, "KILN_FF_HAS_MIN"},
        {KILN_FF_HAS_MAX, "KILN_FF_HAS_MAX"},
        {KILN_FF_BLANK, "KILN_FF_BLANK"},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flags & names[i].bit) {
            kiln_buf_printf(b, "%s%s", any ? " | " : "", names[i].name);
            any = true;
        }
    if (!any)
        kiln_buf_putc(b, '0');
}

static const char *ft_const(int t)
{
    static const char *const c[] = {
        "KILN_FT_INT",  "KILN_FT_FLOAT",    "KILN_FT_DECIMAL",
        "KILN_FT_BOOL", "KILN_FT_STRING",   "KILN_FT_TEXT",
        "KILN_FT_DATE", "KILN_FT_DATETIME", "KILN_FT_TIME",
        "KILN_FT_UUID", "KILN_FT_EMAIL",    "KILN_FT_URL",
        "KILN_FT_ENUM", "KILN_FT_JSON",     "KILN_FT_REF",
        "KILN_FT_MANY", "KILN_FT_OBJECT",   "KILN_FT_LIST",
        "KILN_FT_FILE"};
    return t >= 0 && (size_t)t < sizeof c / sizeof c[0] ? c[t] : "KILN_FT_INT";
}

/* One list of field names of an [api] table: "static const char *const
   task_api_filters[] = {...};" (nothing when empty). */
static void emit_api_names(kiln_buf *b, const char *sym, const char *what,
                           const char *const *v, uint32_t n)
{
    if (!n)
        return;
    kiln_buf_printf(b, "static const char *const %s_api_%s[] = {", sym, what);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            kiln_buf_puts(b, ", ");
        cli_put_cstr(b, v[i]);
    }
    kiln_buf_puts(b, "};\n");
}

/* The model's generated CRUD API ([api] in its file): sym_api. */
static void emit_api(kiln_buf *b, const kiln_model_api *a, const char *sym)
{
    static const char *const ops[] = {"KILN_API_LIST",   "KILN_API_RETRIEVE",
                                      "KILN_API_CREATE", "KILN_API_UPDATE",
                                      "KILN_API_PATCH",  "KILN_API_DELETE"};
    emit_api_names(b, sym, "filters", a->filters, a->nfilters);
    emit_api_names(b, sym, "ordering", a->ordering, a->nordering);
    emit_api_names(b, sym, "search", a->search, a->nsearch);
    emit_api_names(b, sym, "expand", a->expand, a->nexpand);
    kiln_buf_printf(b,
                    "static const kiln_model_api %s_api = {\n    .ops = ", sym);
    unsigned any = 0;
    for (unsigned i = 0; i < 6; i++)
        if (a->ops & (1u << i)) {
            kiln_buf_printf(b, "%s%s",
                            !any           ? ""
                            : any % 3 == 0 ? " |\n            "
                                           : " | ",
                            ops[i]);
            any++;
        }
    if (!any)
        kiln_buf_puts(b, "0");
    kiln_buf_puts(b, ",\n    .path = ");
    cli_put_cstr(b, a->path);
    const struct {
        const char *what;
        uint32_t n;
    } lists[] = {{"filters", a->nfilters},
                 {"ordering", a->nordering},
                 {"search", a->nsearch},
                 {"expand", a->nexpand}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (lists[i].n)
            kiln_buf_printf(b, ",\n    .%s = %s_api_%s, .n%s = %u",
                            lists[i].what, sym, lists[i].what, lists[i].what,
                            lists[i].n);
    static const char *const access[] = {"KILN_API_DEFAULT", "KILN_API_PUBLIC",
                                         "KILN_API_AUTHENTICATED",
                                         "KILN_API_ROLES"};
    kiln_buf_printf(b, ",\n    .page_size = %u, .max_page_size = %u,\n",
                    a->page_size, a->max_page_size);
    if (a->access && a->access < 4)
        kiln_buf_printf(b, "    .access = %s,\n", access[a->access]);
    if (a->audit)
        kiln_buf_puts(b, "    .audit = true,\n");
    kiln_buf_printf(b, "    .line = %d, .col = %d,\n};\n", a->line, a->col);
}

/* One list of names of an [admin] table: "static const char *const
   task_admin_list[] = {...};" (nothing when empty); sym names it. */
static void emit_names(kiln_buf *b, const char *sym, const char *const *v,
                       uint32_t n)
{
    if (!n)
        return;
    kiln_buf_printf(b, "static const char *const %s[] = {", sym);
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            kiln_buf_puts(b, ", ");
        cli_put_cstr(b, v[i]);
    }
    kiln_buf_puts(b, "};\n");
}

/* How the admin shows the model ([admin] in its file): sym_admin. */
static void emit_admin(kiln_buf *b, const kiln_model_admin *a, const char *sym)
{
    char name[256];
    const struct {
        const char *what;
        const char *const *v;
        uint32_t n;
    } lists[] = {{"list", a->list, a->nlist},
                 {"filters", a->filters, a->nfilters},
                 {"search", a->search, a->nsearch},
                 {"ordering", a->ordering, a->nordering},
                 {"read_only", a->read_only, a->nread_only},
                 {"exclude", a->exclude, a->nexclude},
                 {"inlines", a->inlines, a->ninlines}};
    size_t nl = sizeof lists / sizeof lists[0];
    for (size_t i = 0; i < nl; i++) {
        snprintf(name, sizeof name, "%s_admin_%s", sym, lists[i].what);
        emit_names(b, name, lists[i].v, lists[i].n);
    }
    for (uint32_t i = 0; i < a->nfieldsets; i++) {
        snprintf(name, sizeof name, "%s_admin_fieldset%u", sym, i);
        emit_names(b, name, a->fieldsets[i].fields, a->fieldsets[i].nfields);
    }
    if (a->nfieldsets) {
        kiln_buf_printf(b,
                        "static const kiln_admin_fieldset "
                        "%s_admin_fieldsets[] = {\n",
                        sym);
        for (uint32_t i = 0; i < a->nfieldsets; i++) {
            kiln_buf_puts(b, "    {");
            put_cstr_or_null(b, a->fieldsets[i].title);
            if (a->fieldsets[i].nfields)
                kiln_buf_printf(b, ", %s_admin_fieldset%u, %u", sym, i,
                                a->fieldsets[i].nfields);
            else
                kiln_buf_puts(b, ", NULL, 0");
            kiln_buf_puts(b, "},\n");
        }
        kiln_buf_puts(b, "};\n");
    }
    if (a->nbooleans) {
        kiln_buf_printf(b,
                        "static const kiln_admin_bool %s_admin_booleans[] = "
                        "{\n",
                        sym);
        for (uint32_t i = 0; i < a->nbooleans; i++) {
            const kiln_admin_bool *x = &a->booleans[i];
            kiln_buf_puts(b, "    {");
            cli_put_cstr(b, x->name);
            kiln_buf_puts(b, ", ");
            cli_put_cstr(b, x->label);
            kiln_buf_puts(b, ", ");
            cli_put_cstr(b, x->field);
            kiln_buf_puts(b, ", ");
            cli_put_cstr(b, x->op);
            kiln_buf_puts(b, ", ");
            put_cstr_or_null(b, x->value);
            kiln_buf_puts(b, "},\n");
        }
        kiln_buf_puts(b, "};\n");
    }
    kiln_buf_printf(b, "static const kiln_model_admin %s_admin = {\n", sym);
    for (size_t i = 0; i < nl; i++)
        if (lists[i].n)
            kiln_buf_printf(b, "    .%s = %s_admin_%s, .n%s = %u,\n",
                            lists[i].what, sym, lists[i].what, lists[i].what,
                            lists[i].n);
    if (a->nfieldsets)
        kiln_buf_printf(b,
                        "    .fieldsets = %s_admin_fieldsets, .nfieldsets = "
                        "%u,\n",
                        sym, a->nfieldsets);
    if (a->nbooleans)
        kiln_buf_printf(b,
                        "    .booleans = %s_admin_booleans, .nbooleans = "
                        "%u,\n",
                        sym, a->nbooleans);
    if (a->date_hierarchy) {
        kiln_buf_puts(b, "    .date_hierarchy = ");
        cli_put_cstr(b, a->date_hierarchy);
        kiln_buf_puts(b, ",\n");
    }
    if (a->group) {
        kiln_buf_puts(b, "    .group = ");
        cli_put_cstr(b, a->group);
        kiln_buf_puts(b, ",\n");
    }
    kiln_buf_printf(b,
                    "    .list_per_page = %u,\n    .line = %d, .col = %d,\n"
                    "};\n",
                    a->list_per_page, a->line, a->col);
}

/* The description of object m (C type st, symbol prefix sym) and of its
   nested objects first. */
static void emit_desc(kiln_buf *b, const kiln_model *m, const char *st,
                      const char *sym, bool exported)
{
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if ((f->type == KILN_FT_OBJECT || f->type == KILN_FT_LIST) && f->ref &&
            f->ref->flags & KILN_MF_ENDPOINT) {
            char sub[160], full[200], subsym[200];
            model_c_type(f->name, sub, sizeof sub);
            snprintf(full, sizeof full, "%s%s", st, sub);
            snprintf(subsym, sizeof subsym, "%s_%s", sym, f->name);
            emit_desc(b, f->ref, full, subsym, false);
        }
    }
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        if (f->nvalues) {
            kiln_buf_printf(b, "static const char *const %s_%s_values[] = {",
                            sym, f->name);
            for (uint32_t k = 0; k < f->nvalues; k++) {
                if (k)
                    kiln_buf_puts(b, ", ");
                cli_put_cstr(b, f->values[k]);
            }
            kiln_buf_puts(b, "};\n");
        }
        if (f->pattern)
            kiln_buf_printf(b, "static kiln_pattern_cache %s_%s_pattern;\n",
                            sym, f->name);
    }
    for (uint32_t i = 0; i < m->nindexes; i++) {
        const kiln_index *ix = &m->indexes[i];
        kiln_buf_printf(b, "static const char *const %s_index%u[] = {", sym, i);
        for (uint32_t k = 0; k < ix->nfields; k++) {
            if (k)
                kiln_buf_puts(b, ", ");
            cli_put_cstr(b, ix->fields[k]);
        }
        kiln_buf_puts(b, "};\n");
    }
    if (m->nindexes) {
        kiln_buf_printf(b, "static const kiln_index %s_indexes[] = {\n", sym);
        for (uint32_t i = 0; i < m->nindexes; i++) {
            const kiln_index *ix = &m->indexes[i];
            kiln_buf_puts(b, "    {");
            cli_put_cstr(b, ix->name);
            kiln_buf_printf(b, ", %s_index%u, %u, %s, %d, %d},\n", sym, i,
                            ix->nfields, ix->unique ? "true" : "false",
                            ix->line, ix->col);
        }
        kiln_buf_puts(b, "};\n");
    }
    if (m->nordering) {
        kiln_buf_printf(b, "static const char *const %s_ordering[] = {", sym);
        for (uint32_t i = 0; i < m->nordering; i++) {
            if (i)
                kiln_buf_puts(b, ", ");
            cli_put_cstr(b, m->ordering[i]);
        }
        kiln_buf_puts(b, "};\n");
    }
    if (m->api)
        emit_api(b, m->api, sym);
    if (m->admin)
        emit_admin(b, m->admin, sym);
    kiln_buf_printf(b, "static const kiln_field %s_fields[] = {\n", sym);
    for (uint32_t i = 0; i < m->nfields; i++) {
        const kiln_field *f = &m->fields[i];
        kiln_buf_puts(b, "    {.name = ");
        cli_put_cstr(b, f->name);
        if (f->column) {
            kiln_buf_puts(b, ", .column = ");
            cli_put_cstr(b, f->column);
        }
        kiln_buf_puts(b, ", .label = ");
        cli_put_cstr(b, f->label);
        if (f->help) {
            kiln_buf_puts(b, ",\n     .help = ");
            cli_put_cstr(b, f->help);
        }
        kiln_buf_printf(b, ",\n     .type = %s, .flags = ", ft_const(f->type));
        put_flags(b, f->flags);
        kiln_buf_printf(b, ",\n     .offset = offsetof(%s, %s)", st, f->name);
        if (f->flags & KILN_FF_OPTIONAL)
            kiln_buf_printf(b, ", .has_offset = offsetof(%s, has_%s)", st,
                            f->name);
        else
            kiln_buf_puts(b, ", .has_offset = KILN_NO_OFFSET");
        kiln_buf_printf(b, ",\n     .min_length = %lld, .max_length = %lld",
                        (long long)f->min_length, (long long)f->max_length);
        if (f->flags & (KILN_FF_HAS_MIN | KILN_FF_HAS_MAX)) {
            kiln_buf_puts(b, ",\n     .min = ");
            kiln_json_put_double(b, f->min);
            kiln_buf_puts(b, ", .max = ");
            kiln_json_put_double(b, f->max);
        }
        if (f->min_text) {
            kiln_buf_puts(b, ", .min_text = ");
            cli_put_cstr(b, f->min_text);
        }
        if (f->max_text) {
            kiln_buf_puts(b, ", .max_text = ");
            cli_put_cstr(b, f->max_text);
        }
        if (f->type == KILN_FT_DECIMAL)
            kiln_buf_printf(b, ",\n     .precision = %d, .scale = %d",
                            f->precision, f->scale);
        if (f->pattern) {
            kiln_buf_puts(b, ",\n     .pattern = ");
            cli_put_cstr(b, f->pattern);
            kiln_buf_printf(b, ", .pattern_cache = &%s_%s_pattern", sym,
                            f->name);
        }
        if (f->nvalues)
            kiln_buf_printf(b, ",\n     .values = %s_%s_values, .nvalues = %u",
                            sym, f->name, f->nvalues);
        if (f->def) {
            kiln_buf_puts(b, ",\n     .def = ");
            cli_put_cstr(b, f->def);
        }
        if (f->type == KILN_FT_REF)
            kiln_buf_printf(b, ",\n     .on_delete = %s",
                            f->on_delete == KILN_ON_DELETE_CASCADE
                                ? "KILN_ON_DELETE_CASCADE"
                            : f->on_delete == KILN_ON_DELETE_RESTRICT
                                ? "KILN_ON_DELETE_RESTRICT"
                                : "KILN_ON_DELETE_SET_NULL");
        if ((f->type == KILN_FT_REF || f->type == KILN_FT_MANY) && f->ref)
            kiln_buf_printf(b, ", .ref = &%s_model, .ref_name = \"%s\"",
                            f->ref->name, f->ref->name);
        if (f->through) {
            kiln_buf_puts(b, ", .through = ");
            cli_put_cstr(b, f->through);
        }
        if (f->type == KILN_FT_LIST) {
            kiln_buf_printf(b, ",\n     .item_type = %s",
                            ft_const(f->item_type));
            if (f->item_type == KILN_FT_OBJECT && f->ref) {
                char sub[160];
                model_c_type(f->name, sub, sizeof sub);
                kiln_buf_printf(b, ", .item_size = sizeof(%s%s)", st, sub);
            } else {
                kiln_buf_printf(
                    b, ", .item_size = sizeof(%s)",
                    c_type(&(kiln_field){.type = f->item_type}, "int"));
            }
        }
        if ((f->type == KILN_FT_OBJECT ||
             (f->type == KILN_FT_LIST && f->item_type == KILN_FT_OBJECT)) &&
            f->ref)
            kiln_buf_printf(b, ", .ref = &%s_%s_model", sym, f->name);
        if (f->renamed_from) {
            kiln_buf_puts(b, ",\n     .renamed_from = ");
            cli_put_cstr(b, f->renamed_from);
        }
        kiln_buf_puts(b, ",\n     .file = ");
        put_cstr_or_null(b, f->file);
        kiln_buf_printf(b, ", .line = %d, .col = %d},\n", f->line, f->col);
    }
    kiln_buf_puts(b, "};\n");
    kiln_buf_printf(b, "%sconst kiln_model %s_model = {\n    .name = ",
                    exported ? "" : "static ", sym);
    cli_put_cstr(b, m->name);
    if (m->table) {
        kiln_buf_puts(b, ",\n    .table = ");
        cli_put_cstr(b, m->table);
    }
    kiln_buf_puts(b, ",\n    .label = ");
    cli_put_cstr(b, m->label ? m->label : m->name);
    kiln_buf_puts(b, ",\n    .label_plural = ");
    cli_put_cstr(b, m->label_plural ? m->label_plural : m->name);
    if (m->help) {
        kiln_buf_puts(b, ",\n    .help = ");
        cli_put_cstr(b, m->help);
    }
    kiln_buf_printf(b,
                    ",\n    .fields = %s_fields,\n    .nfields = %u,\n"
                    "    .size = sizeof(%s)",
                    sym, m->nfields, st);
    if (m->nindexes)
        kiln_buf_printf(b, ",\n    .indexes = %s_indexes,\n    .nindexes = %u",
                        sym, m->nindexes);
    if (m->nordering)
        kiln_buf_printf(b,
                        ",\n    .ordering = %s_ordering,\n    .nordering = %u",
                        sym, m->nordering);
    if (m->flags) {
        kiln_buf_puts(b, ",\n    .flags = ");
        kiln_buf_puts(b, (m->flags & KILN_MF_ALLOW_UNKNOWN) &&
                                 (m->flags & KILN_MF_ENDPOINT)
                             ? "KILN_MF_ALLOW_UNKNOWN | KILN_MF_ENDPOINT"
                         : m->flags & KILN_MF_ALLOW_UNKNOWN
                             ? "KILN_MF_ALLOW_UNKNOWN"
                             : "KILN_MF_ENDPOINT");
    }
    if (m->renamed_from) {
        kiln_buf_puts(b, ",\n    .renamed_from = ");
        cli_put_cstr(b, m->renamed_from);
    }
    if (m->api)
        kiln_buf_printf(b, ",\n    .api = &%s_api", sym);
    if (m->admin)
        kiln_buf_printf(b, ",\n    .admin = &%s_admin", sym);
    kiln_buf_puts(b, ",\n    .file = ");
    put_cstr_or_null(b, m->file);
    kiln_buf_puts(b, ",\n};\n\n");
}

/* ---- endpoint schemas --------------------------------------------------- */

/* The C type of part m of endpoint ep ("LikeQuery"), or of its model when
   the part is a model's struct (a body that is a model, or part of one). */
static void part_type(const kiln_endpoint *ep, const kiln_model *m,
                      const char *part, char *out, size_t n)
{
    if (m->table) {
        model_c_type(m->name, out, n);
        return;
    }
    char base[MODEL_NAME_MAX + 8], p[16];
    model_c_type(ep->name, base, sizeof base);
    model_c_type(part, p, sizeof p);
    snprintf(out, n, "%s%s", base, p);
}

static const char *const part_names[3] = {"path", "query", "body"};

static void emit_endpoint_header(kiln_buf *b, const kiln_endpoint *ep)
{
    char T[MODEL_NAME_MAX + 8], up[MODEL_NAME_MAX + 8];
    model_c_type(ep->name, T, sizeof T);
    upper(ep->name, up, sizeof up);
    kiln_buf_printf(b, "/* ---- %s: %s [%s] ", ep->name, ep->file, ep->method);
    for (size_t k =
             strlen(ep->name) + strlen(ep->file) + strlen(ep->method) + 15;
         k < 76; k++)
        kiln_buf_putc(b, '-');
    kiln_buf_puts(b, " */\n\n");
    const kiln_model *parts[3] = {ep->path, ep->query, ep->body};
    for (int i = 0; i < 3; i++) {
        const kiln_model *m = parts[i];
        if (!m || m->table)
            continue; /* a model's own struct */
        char st[160], su[160], pu[16];
        part_type(ep, m, part_names[i], st, sizeof st);
        upper(part_names[i], pu, sizeof pu);
        snprintf(su, sizeof su, "%s_%s", up, pu);
        char what[300];
        snprintf(what, sizeof what, "The %s of %s %s",
                 i == 0   ? "path parameters"
                 : i == 1 ? "query parameters"
                          : "body",
                 ep->method, ep->route ? ep->route : "");
        emit_struct(b, m, st, su, what);
    }
    kiln_buf doc;
    kiln_buf_init(&doc);
    kiln_buf_printf(&doc, "%s %s", ep->method, ep->route ? ep->route : "");
    if (ep->summary) {
        kiln_buf_puts(&doc, ": ");
        cli_put_comment(&doc, ep->summary);
    }
    kiln_buf_printf(
        &doc, ". Its input, validated before the handler runs (%s).", ep->file);
    put_doc(b, doc.p);
    kiln_buf_deinit(&doc);
    kiln_buf_printf(b, "typedef struct %s {\n", T);
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        char st[160];
        part_type(ep, parts[i], part_names[i], st, sizeof st);
        kiln_buf_printf(b, "    %s %s;\n", st, part_names[i]);
    }
    if (!parts[0] && !parts[1] && !parts[2])
        kiln_buf_puts(b, "    char unused_; /* nothing declared */\n");
    kiln_buf_printf(b, "} %s;\n\n", T);
    kiln_buf_printf(b,
                    "/** The description of %s's input. */\n"
                    "extern const kiln_endpoint %s_endpoint;\n\n",
                    ep->name, ep->name);
    char line[300];
    snprintf(line, sizeof line,
             "The input of the request, in the handler of %s %s.", ep->method,
             ep->route ? ep->route : "");
    put_doc(b, line);
    kiln_buf_printf(b,
                    "static inline const %s *%s_input(kiln_ctx *c)\n{\n"
                    "    return (const %s *)kiln_input(c);\n}\n\n",
                    T, ep->name, T);
}

static void emit_endpoint_desc(kiln_buf *b, const kiln_endpoint *ep)
{
    char T[MODEL_NAME_MAX + 8];
    model_c_type(ep->name, T, sizeof T);
    kiln_buf_printf(b, "/* ---- %s: %s [%s] */\n\n", ep->name, ep->file,
                    ep->method);
    const kiln_model *parts[3] = {ep->path, ep->query, ep->body};
    char syms[3][160];
    for (int i = 0; i < 3; i++) {
        const kiln_model *m = parts[i];
        syms[i][0] = '\0';
        if (!m)
            continue;
        if (m->table && !(m->flags & KILN_MF_ENDPOINT)) {
            snprintf(syms[i], sizeof syms[i], "%s", m->name); /* model's */
            continue;
        }
        char st[160];
        part_type(ep, m, part_names[i], st, sizeof st);
        snprintf(syms[i], sizeof syms[i], "%s_%s", ep->name, part_names[i]);
        emit_desc(b, m, st, syms[i], false);
    }
    if (ep->nresponses) {
        kiln_buf_printf(b, "static const kiln_response %s_responses[] = {\n",
                        ep->name);
        for (uint32_t i = 0; i < ep->nresponses; i++) {
            const kiln_response *r = &ep->responses[i];
            kiln_buf_printf(b, "    {%d, ", r->status);
            if (r->model)
                kiln_buf_printf(b, "&%s_model", r->model->name);
            else
                kiln_buf_puts(b, "NULL");
            kiln_buf_printf(b, ", %s, ", r->list ? "true" : "false");
            put_cstr_or_null(b, r->description);
            kiln_buf_puts(b, "},\n");
        }
        kiln_buf_puts(b, "};\n");
    }
    if (ep->cache) {
        static const char *const creds[] = {
            "KILN_CACHE_SKIP", "KILN_CACHE_PER_USER", "KILN_CACHE_IGNORE"};
        kiln_buf_printf(b,
                        "/* responses cached: cache = { ... } of [%s] */\n"
                        "static const kiln_cache_rule %s_cache = {\n"
                        "    .ttl = %d,\n",
                        ep->method, ep->name, ep->cache->ttl);
        if (ep->cache->vary) {
            kiln_buf_puts(b, "    .vary = ");
            cli_put_cstr(b, ep->cache->vary);
            kiln_buf_puts(b, ",\n");
        }
        kiln_buf_printf(b, "    .credentials = %s,\n};\n",
                        creds[ep->cache->credentials]);
    }
    kiln_buf_printf(
        b, "const kiln_endpoint %s_endpoint = {\n    .method = ", ep->name);
    cli_put_cstr(b, ep->method);
    if (ep->route) {
        kiln_buf_puts(b, ",\n    .route = ");
        cli_put_cstr(b, ep->route);
    }
    kiln_buf_puts(b, ",\n    .name = ");
    cli_put_cstr(b, ep->name);
    if (ep->summary) {
        kiln_buf_puts(b, ",\n    .summary = ");
        cli_put_cstr(b, ep->summary);
    }
    if (ep->description) {
        kiln_buf_puts(b, ",\n    .description = ");
        cli_put_cstr(b, ep->description);
    }
    for (int i = 0; i < 3; i++)
        if (parts[i])
            kiln_buf_printf(b,
                            ",\n    .%s = &%s_model,\n"
                            "    .%s_offset = offsetof(%s, %s)",
                            part_names[i], syms[i], part_names[i], T,
                            part_names[i]);
    kiln_buf_printf(b, ",\n    .size = sizeof(%s),\n    .body_mode = %s", T,
                    ep->body_mode == KILN_DECODE_PATCH ? "KILN_DECODE_PATCH"
                    : ep->body_mode == KILN_DECODE_REPLACE
                        ? "KILN_DECODE_REPLACE"
                        : "KILN_DECODE_CREATE");
    if (ep->nresponses)
        kiln_buf_printf(b,
                        ",\n    .responses = %s_responses,\n"
                        "    .nresponses = %u",
                        ep->name, ep->nresponses);
    kiln_buf_puts(b, ",\n    .file = ");
    cli_put_cstr(b, ep->file);
    kiln_buf_printf(b, ",\n    .line = %d", ep->line);
    if (ep->rate) {
        kiln_buf_puts(b, ",\n    .rate = ");
        cli_put_cstr(b, ep->rate);
    }
    if (ep->auth) {
        kiln_buf_puts(b, ",\n    .auth = ");
        cli_put_cstr(b, ep->auth);
    }
    if (ep->rate_by) {
        kiln_buf_puts(b, ",\n    .rate_by = ");
        cli_put_cstr(b, ep->rate_by);
    }
    if (ep->cache)
        kiln_buf_printf(b, ",\n    .cache = &%s_cache", ep->name);
    if (ep->csrf_exempt)
        kiln_buf_puts(b, ",\n    .csrf_exempt = true");
    kiln_buf_puts(b, ",\n};\n\n");
}

/* ---- the two files ------------------------------------------------------- */

static const char header_intro[] =
    "/*\n"
    " * models.h - the app's models in C, written by `kiln` from models/.\n"
    " * Regenerated on every build: edit the .toml files, not this one.\n"
    " *\n"
    " *   #include \"models.h\"\n"
    " *\n"
    " *   KILN_GET(show_task)               // api/tasks/[id].c\n"
    " *   {\n"
    " *       kiln_dbc *db = kiln_db(c);\n"
    " *       if (!db)\n"
    " *           return 0;\n"
    " *       int64_t id;\n"
    " *       if (!kiln_param_id(c, \"id\", &id))\n"
    " *           return 0;                 // 404 answered\n"
    " *       Task t;\n"
    " *       int rc = task_get(db, id, &t);\n"
    " *       if (rc)\n"
    " *           return task_fail(c, db, rc);  // 404, 409, 422, 500...\n"
    " *       return task_send(c, 200, &t);     // application/json\n"
    " *   }\n"
    " *\n"
    " * Each model has a struct (optional fields have a has_NAME flag), a\n"
    " * description (NAME_model) and typed calls of kiln/model.h and\n"
    " * kiln/schema.h; docs/models.md describes them.\n"
    " */\n";

int cli_emit_models(const model_set *ms, kiln_buf *h, kiln_buf *c)
{
    kiln_buf_puts(h, header_intro);
    kiln_buf_puts(h, "#ifndef KILN_APP_MODELS_H\n#define KILN_APP_MODELS_H\n\n"
                     "#include <kiln.h>\n\n");
    if (!ms->n)
        kiln_buf_puts(h, "/* (no models yet: add models/NAME.toml, or run "
                         "kiln gen model NAME field:type ...) */\n\n");
    else
        kiln_buf_puts(h, "/* the models, declared first: a model's calls "
                         "may name another */\n");
    for (size_t i = 0; i < ms->n; i++) {
        names n;
        names_of(ms->models[i]->name, &n);
        kiln_buf_printf(h,
                        "typedef struct %s %s;\ntypedef struct %sList %sList;"
                        "\nextern const kiln_model %s_model;\n",
                        n.type, n.type, n.type, n.type, ms->models[i]->name);
    }
    if (ms->n)
        kiln_buf_putc(h, '\n');
    for (size_t i = 0; i < ms->n; i++) {
        const kiln_model *m = ms->models[i];
        names n;
        names_of(m->name, &n);
        kiln_buf_printf(h, "/* ---- %s: %s ", m->name, m->file);
        for (size_t k = strlen(m->name) + strlen(m->file) + 12; k < 76; k++)
            kiln_buf_putc(h, '-');
        kiln_buf_puts(h, " */\n\n");
        emit_struct(h, m, n.type, n.upper, m->name);
        emit_calls(h, m, &n);
    }
    bool linked = false;
    for (size_t i = 0; i < ms->n; i++) {
        const kiln_model *m = ms->models[i];
        for (uint32_t k = 0; k < m->nfields && !linked; k++)
            linked = m->fields[k].type == KILN_FT_MANY;
    }
    if (linked)
        kiln_buf_puts(h, "/* ---- rows linked through many-to-many fields "
                         "------------------------------ */\n\n");
    for (size_t i = 0; i < ms->n; i++)
        emit_linked_lists(h, ms->models[i]);
    for (size_t i = 0; i < ms->nendpoints; i++)
        emit_endpoint_header(h, ms->endpoints[i]);
    kiln_buf_puts(h, "#endif\n");

    kiln_buf_puts(c, "/*\n * models.c - the description of each model of "
                     "models/ (kiln/schema.h), written\n * by `kiln` beside "
                     "models.h. Regenerated on every build.\n */\n"
                     "#include \"models.h\"\n\n#include <stddef.h>\n\n");
    for (size_t i = 0; i < ms->n; i++) {
        const kiln_model *m = ms->models[i];
        names n;
        names_of(m->name, &n);
        kiln_buf_printf(c, "/* ---- %s: %s */\n\n", m->name, m->file);
        for (uint32_t k = 0; k < m->nfields; k++)
            if (m->fields[k].type == KILN_FT_ENUM) {
                char et[200];
                enum_type(n.type, &m->fields[k], et, sizeof et);
                kiln_buf_printf(c,
                                "_Static_assert(sizeof(%s) == sizeof(int), "
                                "\"enums are stored as int\");\n",
                                et);
            }
        emit_desc(c, m, n.type, m->name, true);
    }
    for (size_t i = 0; i < ms->nendpoints; i++)
        emit_endpoint_desc(c, ms->endpoints[i]);
    kiln_buf_puts(c, "/* the models with a generated CRUD API ([api]): the "
                     "project's main routes\n   them (kiln/api.h) */\n"
                     "const kiln_model *const kiln_api_models[] = {");
    for (size_t i = 0; i < ms->n; i++)
        if (ms->models[i]->api)
            kiln_buf_printf(c, "&%s_model, ", ms->models[i]->name);
    kiln_buf_puts(c, "NULL};\n");
    kiln_buf_puts(c, "/* every model: what the roles of kiln.toml may name "
                     "(kiln/perm.h) */\n"
                     "const kiln_model *const kiln_models[] = {");
    for (size_t i = 0; i < ms->n; i++)
        kiln_buf_printf(c, "&%s_model, ", ms->models[i]->name);
    kiln_buf_puts(c, "NULL};\n");
    return 0;
}

int cmd_emit_models(int argc, char **argv)
{
    if (argc != 3)
        return cli_usage_error("usage: kiln __emit-models ROOT OUTDIR");
    model_set ms;
    model_set_init(&ms);
    kiln_buf errs, h, c;
    kiln_buf_init(&errs);
    kiln_buf_init(&h);
    kiln_buf_init(&c);
    int rc = model_load_dir(&ms, argv[1], &errs);
    if (rc == 0) {
        cli_emit_models(&ms, &h, &c);
        char path[PATH_MAX + 16];
        cli_pathf(path, sizeof path, "%s/models.h", argv[2]);
        if (cli_write_if_changed(path, h.p, h.n) < 0)
            rc = cli_fail("cannot write %s", path);
        cli_pathf(path, sizeof path, "%s/models.c", argv[2]);
        if (rc == 0 && cli_write_if_changed(path, c.p, c.n) < 0)
            rc = cli_fail("cannot write %s", path);
    } else {
        fputs(errs.p ? errs.p : "the models do not load\n", stderr);
        rc = 1;
    }
    kiln_buf_deinit(&errs);
    kiln_buf_deinit(&h);
    kiln_buf_deinit(&c);
    model_set_free(&ms);
    return rc ? 1 : 0;
}
