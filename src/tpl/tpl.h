/*
 * tpl/tpl.h - internals of the template engine (src/tpl). Not installed.
 *
 * The pipeline:
 *
 *   lex.c     source bytes -> tokens (text runs, tag delimiters, names,
 *             literals, operators); whitespace control happens here
 *   parse.c   tokens -> a tree of tpl_stmt / tpl_expr in the set's arena
 *             (tags here, expressions in parse_expr.c, shared state in
 *             parse.h); filter and test names, keyword arguments and names
 *             are resolved here, so the tree is what the renderer runs
 *   set.c     kiln_tpl_set: templates by name, the search path, interned
 *             names, error reports with a caret line
 *   value.c   kiln_value: constructors, lists, ordered maps, from JSON,
 *             truthiness, equality, ordering, iteration (tpl_seq)
 *   format.c  output: HTML escaping, Python str()/repr() of values (numbers
 *             byte-identical to CPython), JSON as Jinja's tojson writes it
 *   eval.c    expressions -> values
 *   render.c  statements -> output; scopes, inheritance, macros, include,
 *             import; the public render functions
 *   filter.c  the filters (date.c: the date filter)
 *   method.c  tests, methods (map.items(), "s".upper()...), range/dict/
 *             namespace
 *   text.c    string helpers: UTF-8, case mapping, strip, replace
 *
 * Ownership: the tree, template sources and interned names live in the
 * set's arena (tpl_set.arena) until kiln_tpl_set_free. A render allocates
 * from the caller's arena only (tpl_render.a) and appends to its kiln_buf.
 *
 * Interned names: every identifier in a template (variables, attributes,
 * block and macro names) is interned in its set, so two equal names have
 * the same pointer and scopes compare names by pointer (tpl_lookup).
 *
 * Speed: the renderer's hot paths (appending output, escaping, name and
 * key lookups, printing a string or an int) are inline functions at the
 * end of this header; bench/tpl_bench.c measures them.
 */
#ifndef KILN_TPL_INTERNAL_H
#define KILN_TPL_INTERNAL_H

#include <kiln/tpl.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- limits ------------------------------------------------------------ */

#define TPL_MAX_NEST 96      /* parse: nesting of expressions and tags */
#define TPL_MAX_ARGS 16      /* arguments of one call, filter or test */
#define TPL_MAX_CHAIN 32     /* templates in one {% extends %} chain */
#define TPL_MAX_RANGE 100000 /* items of range() (Jinja's MAX_RANGE) */
#define TPL_DEFAULT_STACK (128 * 1024)
#define TPL_MAX_LOAD_DEPTH 32 /* templates compiling templates they need */

/* ---- values: renderer-private types and flags -------------------------- */

/* Types beyond kiln_value_type, never seen by an application. */
enum {
    TPL_V_UNDEF = 16, /* undefined (aux != 0: an absent argument) */
    TPL_V_MACRO,      /* u.pair: a = tpl_macro, b = tpl_scope (definition) */
    TPL_V_LOOP,       /* u.pair.a = tpl_loop */
    TPL_V_RANGE,      /* u.pair.a = tpl_range */
    TPL_V_FUNC        /* aux = a tpl_func id (range, dict, namespace...) */
};

#define TPL_F_SAFE                                                             \
    1                 /* string: trusted markup, printed unescaped (the        \
                         public header's kiln_value_safe sets it too) */
#define TPL_F_TUPLE 2 /* list: prints as a Python tuple */
#define TPL_F_NS 4    /* map: a namespace(), {% set ns.x %} may change it */

/* Built-in global functions (TPL_V_FUNC aux). */
enum {
    TPL_FUNC_NONE,
    TPL_FUNC_RANGE,
    TPL_FUNC_DICT,
    TPL_FUNC_NAMESPACE,
    TPL_FUNC_URL, /* url('route.name', param=value...): opt.url builds it */
    TPL_FUNC_CSRF_TOKEN, /* csrf_token(): opt.csrf_token gives it */
    TPL_FUNC_CSRF_INPUT, /* csrf_input(): the hidden form field holding it */
    TPL_FUNC_CAN, /* can('task.change'): in the context's user.permissions */
    TPL_FUNC_VITE_ASSETS, /* vite_assets('src/main.tsx'): opt.assets */
    TPL_FUNC_ISLAND       /* island('Counter', props): opt.island */
};

/* One entry of a map body. */
typedef struct tpl_entry {
    kiln_str key;
    kiln_value v;
} tpl_entry;

/* List body. Invariant: n <= cap; items has cap slots (NULL when 0). */
typedef struct tpl_list {
    kiln_arena *a; /* where items grows */
    kiln_value *items;
    size_t n, cap;
} tpl_list;

/*
 * Ordered map body: items in insertion order. Maps above TPL_MAP_INDEX keys
 * also keep an open-addressing index of item positions + 1 (0: empty slot)
 * with index_cap a power of two at least twice n.
 */
typedef struct tpl_map {
    kiln_arena *a;
    tpl_entry *items;
    size_t n, cap;
    uint32_t *index;
    size_t index_cap;
} tpl_map;
#define TPL_MAP_INDEX 8
#define TPL_MAP_FIRST 4 /* entries allocated with a map's body */

typedef struct tpl_range {
    int64_t start, step;
    size_t n;
} tpl_range;

static inline kiln_value tpl_undef(void)
{
    kiln_value v = {0};
    v.type = TPL_V_UNDEF;
    return v;
}

static inline bool tpl_is_undef(kiln_value v)
{
    return v.type == TPL_V_UNDEF;
}

static inline kiln_value tpl_strv(const char *p, size_t n, bool safe)
{
    kiln_value v = {0};
    v.type = KILN_VALUE_STRING;
    v.flags = safe ? TPL_F_SAFE : 0;
    v.u.s.p = p;
    v.u.s.n = n;
    return v;
}

static inline bool tpl_is_safe(kiln_value v)
{
    return v.type == KILN_VALUE_STRING && (v.flags & TPL_F_SAFE);
}

/* The FNV-1a hash used by map indexes and the set's tables. */
uint32_t tpl_hash(const char *p, size_t n);

/* ---- the tree ---------------------------------------------------------- */

typedef struct tpl_expr tpl_expr;
typedef struct tpl_stmt tpl_stmt;
typedef struct tpl_template tpl_template;
typedef struct tpl_render tpl_render;
typedef struct kiln_tpl_set tpl_set;

/* Binary operators (tpl_expr.op for TPL_E_BIN and TPL_E_CMP). */
enum tpl_binop {
    TPL_OP_ADD,
    TPL_OP_SUB,
    TPL_OP_MUL,
    TPL_OP_DIV,
    TPL_OP_FLOORDIV,
    TPL_OP_MOD,
    TPL_OP_POW,
    TPL_OP_EQ,
    TPL_OP_NE,
    TPL_OP_LT,
    TPL_OP_LE,
    TPL_OP_GT,
    TPL_OP_GE,
    TPL_OP_IN,
    TPL_OP_NOTIN
};

typedef enum tpl_expr_kind {
    TPL_E_CONST,  /* u.k */
    TPL_E_NAME,   /* u.name */
    TPL_E_ATTR,   /* u.attr: obj.name (also obj["literal"]) */
    TPL_E_ITEM,   /* u.x: a[b] */
    TPL_E_SLICE,  /* u.x: a[b:c:d], b/c/d may be NULL */
    TPL_E_CALL,   /* u.call: fn(args) with keywords */
    TPL_E_FILTER, /* u.call: obj|def(args), args by position */
    TPL_E_TEST,   /* u.call: obj is def(args); op = 1 for "is not" */
    TPL_E_NOT,    /* u.x.a */
    TPL_E_NEG,    /* u.x.a */
    TPL_E_POS,    /* u.x.a */
    TPL_E_BIN,    /* u.x.a op u.x.b (arithmetic) */
    TPL_E_CMP,    /* u.x.a op u.x.b (comparison, in) */
    TPL_E_AND,    /* u.x.a and u.x.b */
    TPL_E_OR,     /* u.x.a or u.x.b */
    TPL_E_COND,   /* u.x.b if u.x.a else u.x.c (c NULL: undefined) */
    TPL_E_LIST,   /* u.list.items[n]; op = 1 for a tuple */
    TPL_E_DICT,   /* u.list.items[n] keys, u.list.values[n] */
    TPL_E_CONCAT, /* u.list.items[n] joined with ~ */
    TPL_E_SUPER   /* super() */
} tpl_expr_kind;

typedef struct tpl_filter_def tpl_filter_def;
typedef struct tpl_test_def tpl_test_def;

/*
 * An expression. pos is the byte offset in its template's source that an
 * error points at. n counts args/items.
 */
struct tpl_expr {
    uint8_t kind;
    uint8_t op;
    uint16_t n;
    uint32_t pos;
    union {
        kiln_value k;
        struct {
            kiln_str name; /* interned */
            uint32_t hash;
            uint8_t func; /* TPL_FUNC_* when the name is a global function */
        } name;
        struct {
            tpl_expr *obj;
            kiln_str name; /* interned */
            uint32_t hash;
        } attr;
        struct {
            tpl_expr *a, *b, *c, *d;
        } x;
        struct {
            tpl_expr *obj;   /* callee, filtered value or tested value */
            tpl_expr **args; /* n entries; FILTER/TEST: NULL = absent */
            kiln_str *kw;    /* CALL: names of the last nkw args */
            const void *def; /* FILTER: tpl_filter_def, TEST: tpl_test_def */
            uint16_t nkw;
        } call;
        struct {
            tpl_expr **items;
            tpl_expr **values;
        } list;
    } u;
};

typedef enum tpl_stmt_kind {
    TPL_S_TEXT,      /* u.text */
    TPL_S_OUT,       /* u.expr */
    TPL_S_IF,        /* u.if_ */
    TPL_S_FOR,       /* u.for_ */
    TPL_S_SET,       /* u.set: names[n] = value */
    TPL_S_SET_ATTR,  /* u.set: names[0].names[1] = value */
    TPL_S_SET_BLOCK, /* u.set: names[0] = captured body */
    TPL_S_BLOCK,     /* u.block */
    TPL_S_EXTENDS,   /* u.expr */
    TPL_S_INCLUDE,   /* u.inc (flags TPL_INC_*) */
    TPL_S_IMPORT,    /* u.inc: import expr as names[0] */
    TPL_S_FROM,      /* u.inc: from expr import names[i] as aliases[i] */
    TPL_S_MACRO,     /* u.macro */
    TPL_S_CALL,      /* u.callblk: {% call %} */
    TPL_S_WITH,      /* u.with */
    TPL_S_FILTER,    /* u.filter */
    TPL_S_AUTOESC    /* u.autoesc */
} tpl_stmt_kind;

#define TPL_INC_IGNORE_MISSING 1
#define TPL_INC_WITH_CONTEXT 2    /* import/from: with context */
#define TPL_INC_WITHOUT_CONTEXT 4 /* include: without context */

/* A macro: {% macro name(params) %}body{% endmacro %}. */
typedef struct tpl_macro {
    kiln_str name;       /* interned ("caller" for a call block) */
    kiln_str *params;    /* interned, nparams */
    tpl_expr **defaults; /* nparams; NULL = no default */
    uint16_t nparams;
    tpl_stmt *body;
    const tpl_template *tpl; /* where it is defined (for errors) */
} tpl_macro;

/* A statement; statements of one body are linked by next. */
struct tpl_stmt {
    uint8_t kind;
    uint8_t flags;
    uint16_t n;
    uint32_t pos;
    tpl_stmt *next;
    union {
        kiln_str text;
        tpl_expr *expr;
        struct {
            tpl_expr *cond;
            tpl_stmt *then, *els;
        } if_;
        struct {
            kiln_str *targets; /* n interned names */
            tpl_expr *iter, *filter;
            tpl_stmt *body, *els;
        } for_;
        struct {
            kiln_str *names; /* n interned names */
            tpl_expr *value; /* NULL for SET_BLOCK */
            tpl_stmt *body;  /* SET_BLOCK */
        } set;
        struct {
            kiln_str name; /* interned */
            tpl_stmt *body;
            const tpl_template *tpl;
            bool scoped;
        } block;
        struct {
            tpl_expr *name;
            kiln_str *names, *aliases; /* n; IMPORT: names[0] is the alias */
        } inc;
        tpl_macro *macro;
        struct {
            tpl_expr *call; /* a TPL_E_CALL */
            tpl_macro *caller;
        } callblk;
        struct {
            kiln_str *names; /* n */
            tpl_expr **values;
            tpl_stmt *body;
        } with;
        struct {
            tpl_expr *chain; /* FILTER exprs; the innermost obj is NULL */
            tpl_stmt *body;
        } filter;
        struct {
            bool on;
            tpl_stmt *body;
        } autoesc;
    } u;
};

/* A compiled template. */
struct tpl_template {
    kiln_str name; /* NUL-terminated */
    kiln_str src;  /* NUL-terminated copy of the source */
    tpl_stmt *body;
    tpl_stmt **blocks; /* every {% block %} of the template, any depth */
    size_t nblocks;
    bool has_extends; /* a top-level {% extends %} exists */
    /* every url('literal', ...) and vite_assets('literal') call, in
       source order (checked by kiln_tpl_check_urls and
       kiln_tpl_check_assets) */
    struct tpl_url_ref *urls;
};

/* A url() or vite_assets() call whose first argument is a string
   literal. */
typedef struct tpl_url_ref {
    const tpl_expr *call; /* the TPL_E_CALL */
    struct tpl_url_ref *next;
} tpl_url_ref;

/* ---- the set (set.c) --------------------------------------------------- */

struct kiln_tpl_set {
    kiln_tpl_options opt;
    kiln_arena arena; /* trees, sources, names */
    char **dirs;      /* search path (malloc'd strings) */
    size_t ndirs;
    tpl_template **tpls; /* open addressing by name; cap a power of 2 */
    size_t ntpls, tpls_cap;
    kiln_str *names; /* interned names, open addressing */
    size_t nnames, names_cap;
    kiln_str name_loop, name_caller; /* interned "loop" and "caller" */
    int loading; /* templates being compiled, outermost first: */
    kiln_str load_stack[TPL_MAX_LOAD_DEPTH];
    bool strict_deps; /* loading from disk: a missing dependency fails */
};

/* Returns the interned copy of p[0..n) (in the set arena), or .p NULL. */
kiln_str tpl_intern(tpl_set *set, const char *p, size_t n);
/* The template called name, or NULL. */
const tpl_template *tpl_set_find(const tpl_set *set, const char *p, size_t n);
/*
 * Called by the parser for each literal name a template extends, includes
 * or imports: loads it from the search path when it is not in the set.
 * Returns 0, or an error already recorded in err (a missing template is an
 * error only while loading from the search path).
 */
int tpl_set_need(tpl_set *set, const tpl_template *from, uint32_t pos,
                 kiln_str name, kiln_tpl_error *err);

/*
 * Fills err (may be NULL) with code, the message and a position in source
 * src of template name; returns code. pos beyond the source means "no
 * position" (line and col 0).
 */
int tpl_error_at(kiln_tpl_error *err, int code, kiln_str name, kiln_str src,
                 size_t pos, const char *fmt, ...) KILN_PRINTF(6, 7);

/* ---- parse.c ----------------------------------------------------------- */

/*
 * Compiles src (already copied into the set arena, NUL-terminated) as t.
 * Returns 0 or KILN_EPARSE/KILN_ENOMEM/KILN_ENOTFOUND with err filled.
 */
int tpl_parse(tpl_set *set, tpl_template *t, kiln_tpl_error *err);

/* ---- filters and tests (filter.c) -------------------------------------- */

typedef int (*tpl_filter_fn)(tpl_render *r, const tpl_expr *e, kiln_value in,
                             const kiln_value *args, kiln_value *out);
typedef int (*tpl_test_fn)(tpl_render *r, const tpl_expr *e, kiln_value in,
                           const kiln_value *args, bool *out);

/* A filter: name, function, and parameter names (for keyword arguments). */
struct tpl_filter_def {
    const char *name;
    tpl_filter_fn fn;
    uint8_t nreq;    /* required arguments */
    uint8_t nparams; /* accepted arguments */
    uint8_t soft;    /* accepts an undefined input in strict mode */
    const char *params[5];
};

struct tpl_test_def {
    const char *name;
    tpl_test_fn fn;
    uint8_t nreq, nparams;
    uint8_t soft;
};

/* The date filter (date.c). */
int tpl_filter_date(tpl_render *r, const tpl_expr *e, kiln_value in,
                    const kiln_value *args, kiln_value *out);
/* The filter or test called name, or NULL. */
const tpl_filter_def *tpl_filter_find(kiln_str name);
const tpl_test_def *tpl_test_find(kiln_str name);
/* The global function called name (TPL_FUNC_*), or TPL_FUNC_NONE. */
int tpl_func_find(kiln_str name);

/*
 * Calls method name of obj (a map, string, loop...) with n args evaluated.
 * Returns 0, a render error, or KILN_ENOTFOUND (nothing recorded) when obj
 * has no such method.
 */
int tpl_call_method(tpl_render *r, const tpl_expr *e, kiln_value obj,
                    kiln_str name, const kiln_value *args, size_t n,
                    kiln_value *out);
/* can('model.action') (url.c): true when the render's context has a map
   user whose permissions list holds the string. Arguments as
   tpl_call_func's. */
int tpl_func_can(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                 size_t n, size_t nkw, kiln_value *out);
/* url('name', k=v...) (url.c): through set->opt.url. Arguments as
   tpl_call_func's. */
/* vite_assets('entry'): the tags loading a Vite entry (tpl/frontend.c). */
int tpl_func_vite_assets(tpl_render *r, const tpl_expr *e,
                         const kiln_value *args, size_t n, size_t nkw,
                         kiln_value *out);
/* island('Name', props) or island('Name', key=value...): a React
   component with its props as JSON (tpl/frontend.c). */
int tpl_func_island(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                    size_t n, const kiln_str *kw, size_t nkw, kiln_value *out);
int tpl_func_url(tpl_render *r, const tpl_expr *e, const kiln_value *args,
                 size_t n, const kiln_str *kw, size_t nkw, kiln_value *out);
/* Calls global function id (TPL_FUNC_*). kw: names of the last nkw args. */
int tpl_call_func(tpl_render *r, const tpl_expr *e, int id,
                  const kiln_value *args, size_t n, const kiln_str *kw,
                  size_t nkw, kiln_value *out);

/* ---- rendering (render.c, eval.c) -------------------------------------- */

/* A variable of a scope. name is interned. */
typedef struct tpl_var {
    kiln_str name;
    kiln_value v;
} tpl_var;

/*
 * A scope: the variables of a for body, a macro call, a block, a with or a
 * template's top level. Lookups walk up; the outermost scope (up NULL)
 * falls back to the render globals unless no_ctx.
 *
 * Lifetime: scopes of loops, macro calls, blocks and withs live on the C
 * stack and die with their statement. Values that outlive a statement
 * (macros, call-block callers, loop objects) may only point at root scopes
 * (is_root), which live in the render arena and whose up chain holds root
 * scopes only; an include or a call block copies the visible locals into a
 * new root scope instead of pointing at them. So no value can reach a dead
 * stack scope, whatever a template stores where.
 */
typedef struct tpl_scope {
    struct tpl_scope *up;
    tpl_var *vars;
    uint32_t n, cap;
    bool no_ctx;
    bool is_root;   /* a template context's top level (in the arena) */
    tpl_var inl[4]; /* first vars, without an arena allocation */
} tpl_scope;

/* The state of one {% for %} loop (loop.*), in the render arena. */
typedef struct tpl_loop {
    size_t index0, length;
    struct tpl_seq *seq;
    int depth;
    bool has_changed;   /* loop.changed() was called */
    kiln_value changed; /* its last arguments (a list) */
} tpl_loop;

/* An iterable as a random-access sequence. */
typedef struct tpl_seq {
    kiln_value src;          /* the list/map/object/range iterated */
    const kiln_value *items; /* list items, or a materialised sequence */
    size_t n;
} tpl_seq;

/* One template context: the templates an {% extends %} chain went through. */
typedef struct tpl_chain {
    const tpl_template *tpls[TPL_MAX_CHAIN]; /* [0] the most derived */
    int n;
    const tpl_template *parent; /* set by {% extends %} until it runs */
} tpl_chain;

/* The block being rendered (for super()). */
typedef struct tpl_block_frame {
    kiln_str name;
    int level; /* index in chain->tpls of the definition rendered */
} tpl_block_frame;

struct tpl_render {
    const tpl_set *set;
    kiln_arena *a;
    kiln_buf *out;
    size_t out_start; /* out->n when the render began */
    size_t room;      /* bytes tpl_put may append without tpl_put_slow:
                         reserved in out and within max_output */
    kiln_value ctx;   /* globals */
    kiln_tpl_error *err;
    tpl_scope *scope;           /* innermost scope */
    tpl_scope *root;            /* top-level scope of the template context */
    tpl_chain *chain;           /* template context of the running code */
    const tpl_template *tpl;    /* template whose code runs (errors) */
    const tpl_block_frame *blk; /* block being rendered, or NULL */
    uintptr_t stack_base;       /* frame address when the render began */
    size_t max_stack;
    uint64_t steps;
    int loop_depth;
    bool discard;    /* after {% extends %}: top-level output is skipped */
    bool autoescape; /* escape unsafe strings on output */
    bool strict;
};

/*
 * Records a render error at pos of the running template and returns code.
 */
int tpl_fail(tpl_render *r, int code, uint32_t pos, const char *fmt, ...)
    KILN_PRINTF(4, 5);
/* Returns KILN_ENOMEM after recording "out of memory". */
int tpl_nomem(tpl_render *r);
/* Records "templates nest too deeply" at pos; returns KILN_ELIMIT. */
int tpl_stack_fail(tpl_render *r, uint32_t pos);

/*
 * Checks the C stack budget: the distance between this frame and the one
 * the render began in. 0, or KILN_ELIMIT recorded at pos. Inline: it runs
 * for every statement list and expression.
 */
static inline int tpl_check_stack(tpl_render *r, uint32_t pos)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    size_t used =
        r->stack_base > here ? r->stack_base - here : here - r->stack_base;
    return used > r->max_stack ? tpl_stack_fail(r, pos) : 0;
}
/* Counts one step against max_steps; 0 or KILN_ELIMIT recorded at pos. */
int tpl_step(tpl_render *r, uint32_t pos);

/* Evaluates e into *out (eval.c). */
int tpl_eval(tpl_render *r, const tpl_expr *e, kiln_value *out);
/* Applies a {% filter %} chain (FILTER exprs, innermost obj NULL) to in. */
int tpl_apply_filters(tpl_render *r, const tpl_expr *chain, kiln_value in,
                      kiln_value *out);
/* Evaluates e and prints it (escaped as needed) to the output. */
int tpl_eval_emit(tpl_render *r, const tpl_expr *e);
/* Gets obj.key (map key, object key, loop attribute); false if none. */
int tpl_getattr(tpl_render *r, const tpl_expr *e, kiln_value obj, kiln_str key,
                uint32_t hash, kiln_value *out, bool *found);
/* obj[key] with Python semantics (negative list index...). */
int tpl_getitem(tpl_render *r, const tpl_expr *e, kiln_value obj,
                kiln_value key, kiln_value *out, bool *found);

/*
 * Calls macro value m with args (the last nkw named by kw) and an optional
 * caller; the output goes to r->out. Returns 0 or an error.
 */
int tpl_call_macro(tpl_render *r, const tpl_expr *e, kiln_value m,
                   const kiln_value *args, size_t n, const kiln_str *kw,
                   size_t nkw, const kiln_value *caller);
/*
 * {% call %}: evaluates CALL e (a macro call) and runs the macro with
 * caller bound, writing to r->out.
 */
int tpl_call_block(tpl_render *r, const tpl_expr *e, const kiln_value *caller);
/* Renders super() of the current block to r->out. */
int tpl_render_super(tpl_render *r, uint32_t pos);
/* The slow path of tpl_put: grows out, enforces max_output. */
int tpl_put_slow(tpl_render *r, const char *p, size_t n);
/* tpl_put of more than 16 bytes that fit in the room (out of line). */
int tpl_put_long(tpl_render *r, const char *p, size_t n);

/*
 * Appends n bytes to the output. The fast path copies into room the
 * renderer reserved with kiln_buf_reserve (whose contract guarantees that
 * many bytes plus the NUL) and keeps the kiln_buf invariant p[n] == 0.
 */
static inline int tpl_put(tpl_render *r, const char *p, size_t n)
{
    if (n > r->room)
        return tpl_put_slow(r, p, n);
    kiln_buf *b = r->out;
    char *d = b->p + b->n;
    /* short runs (most template text and escaped pieces) without a call:
     * two overlapping 8- or 4-byte moves cover 4..16 bytes */
    if (n >= 8 && n <= 16) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, p + n - 8, 8);
        memcpy(d, &x, 8);
        memcpy(d + n - 8, &y, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        memcpy(d, &x, 4);
        memcpy(d + n - 4, &y, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = p[i];
    } else {
        return tpl_put_long(r, p, n);
    }
    b->n += n;
    d[n] = '\0';
    r->room -= n;
    return 0;
}

/* Cuts the output back to mark (<= out->n), giving the room back. */
void tpl_out_truncate(tpl_render *r, size_t mark);
/* Appends p, HTML-escaped (& < > " ' as MarkupSafe does). */
int tpl_put_escaped(tpl_render *r, const char *p, size_t n);

/*
 * Capture: output appended after mark = r->out->n becomes a string in the
 * render arena and is removed from the output.
 */
int tpl_capture_end(tpl_render *r, size_t mark, kiln_str *out);

/* ---- values (value.c) -------------------------------------------------- */

bool tpl_truthy(tpl_render *r, kiln_value v);
/* Python ==. */
bool tpl_equal(tpl_render *r, kiln_value a, kiln_value b);
/*
 * Python ordering: sets *cmp to <0, 0, >0. Returns 0, or KILN_EINVAL
 * (nothing recorded) for types that do not order.
 */
int tpl_compare(tpl_render *r, kiln_value a, kiln_value b, int *cmp);
/* A Python type name for messages ("int", "str", "dict"...). */
const char *tpl_type_name(kiln_value v);
/* True for numbers and bools (Python numbers). */
bool tpl_is_number(kiln_value v);
/* A number as a double. */
double tpl_num(kiln_value v);
/* Length in Python terms (code points of a string); false if none. */
bool tpl_len(tpl_render *r, kiln_value v, size_t *n);
/* Makes a sequence of v; an error for a non-iterable. */
int tpl_seq_init(tpl_render *r, uint32_t pos, kiln_value v, tpl_seq *s);
/* Item i (< s->n). */
int tpl_seq_at(tpl_render *r, const tpl_seq *s, size_t i, kiln_value *out);
/* A new list of n items copied from items, in the render arena. */
int tpl_list_from(tpl_render *r, const kiln_value *items, size_t n,
                  kiln_value *out);
/* tpl_map_find for a map with an index. */
const kiln_value *tpl_map_find_indexed(const tpl_map *m, const char *p,
                                       size_t n, uint32_t hash);
/* Number of UTF-8 code points in s. */
size_t tpl_utf8_count(const char *p, size_t n);
/* Byte offset of code point i (clamped to n). */
size_t tpl_utf8_offset(const char *p, size_t n, size_t i);

/* ---- format.c ---------------------------------------------------------- */

/* Python str(int); buf holds at least 24 bytes. Returns the length. */
size_t tpl_fmt_int(char *buf, int64_t v);
/* Python repr(float); buf holds at least 32 bytes. Returns the length. */
size_t tpl_fmt_float(char *buf, double d);
/* Appends Python str(v) to the output, escaped when escape. */
int tpl_write_str(tpl_render *r, kiln_value v, bool escape);
/* Appends Python repr(v). */
int tpl_write_repr(tpl_render *r, kiln_value v, bool escape);
/* Python str(v) as a view (strings as they are; others in the arena). */
int tpl_to_str(tpl_render *r, kiln_value v, kiln_str *out);
/*
 * Appends v as Jinja's tojson does (sorted keys, ASCII, <>&' escaped);
 * indent > 0 puts each item on its own line, indented that many spaces per
 * level. Errors point at e.
 */
int tpl_write_json(tpl_render *r, const tpl_expr *e, kiln_value v, int indent);
/* tpl_emit for the types it does not handle inline. */
int tpl_emit_slow(tpl_render *r, kiln_value v);
/* Appends the decimal digits of v. */
int tpl_put_int(tpl_render *r, int64_t v);

/* ---- hot paths, inline ------------------------------------------------ */

/* Key equality; short keys (most) compare as two overlapping words. */
static inline bool tpl_key_eq(kiln_str k, const char *p, size_t n)
{
    if (k.n != n)
        return false;
    if (n >= 8 && n <= 16) {
        uint64_t a, b, c, d;
        memcpy(&a, k.p, 8);
        memcpy(&b, p, 8);
        memcpy(&c, k.p + n - 8, 8);
        memcpy(&d, p + n - 8, 8);
        return a == b && c == d;
    }
    if (n >= 4 && n < 8) {
        uint32_t a, b, c, d;
        memcpy(&a, k.p, 4);
        memcpy(&b, p, 4);
        memcpy(&c, k.p + n - 4, 4);
        memcpy(&d, p + n - 4, 4);
        return a == b && c == d;
    }
    if (n < 4) {
        for (size_t i = 0; i < n; i++)
            if (k.p[i] != p[i])
                return false;
        return true;
    }
    return memcmp(k.p, p, n) == 0;
}

/* Looks key p[0..n) up in a map body; hash (tpl_hash of the key) is only
 * used once the map has an index. */
static inline const kiln_value *tpl_map_find(const tpl_map *m, const char *p,
                                             size_t n, uint32_t hash)
{
    if (m->index)
        return tpl_map_find_indexed(m, p, n, hash);
    for (size_t i = 0; i < m->n; i++)
        if (tpl_key_eq(m->items[i].key, p, n))
            return &m->items[i].v;
    return NULL;
}

/* Looks name (interned) up through the scopes, then the globals. */
static inline bool tpl_lookup(tpl_render *r, kiln_str name, uint32_t hash,
                              kiln_value *out)
{
    const tpl_scope *s = r->scope;
    for (;;) {
        for (uint32_t i = s->n; i-- > 0;) {
            if (s->vars[i].name.p == name.p) {
                *out = s->vars[i].v;
                return true;
            }
        }
        if (!s->up)
            break;
        s = s->up;
    }
    if (s->no_ctx)
        return false;
    if (r->ctx.type == KILN_VALUE_MAP) {
        const kiln_value *v = tpl_map_find(r->ctx.u.map, name.p, name.n, hash);
        if (v)
            *out = *v;
        return v != NULL;
    }
    if (r->ctx.type == KILN_VALUE_OBJECT)
        return kiln_value_get(r->ctx, name, r->a, out);
    return false;
}

/* Prints v to the output: escaped unless safe or autoescape is off. */
static inline int tpl_emit(tpl_render *r, kiln_value v)
{
    if (v.type == KILN_VALUE_STRING) {
        if (!r->autoescape || (v.flags & TPL_F_SAFE))
            return tpl_put(r, v.u.s.p, v.u.s.n);
        return tpl_put_escaped(r, v.u.s.p, v.u.s.n);
    }
    if (v.type == KILN_VALUE_INT)
        return tpl_put_int(r, v.u.i);
    return tpl_emit_slow(r, v);
}

#endif
