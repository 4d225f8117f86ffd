/*
 * tests/tpl/test_tpl.c - unit tests for the template engine (src/tpl):
 * every construct and filter, compile and render errors with positions,
 * strict and lenient undefined, an XSS corpus through text and attribute
 * contexts, values and the object hook, single-block rendering, the
 * loader, and the limits. The Jinja2 comparison lives in diff_jinja.py.
 */
#include "test.h"

#include <kiln/json.h>
#include <kiln/tpl.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------- */

/* The result of one render: the output, or "ERROR <code>: <report>". */
static char result[65536];

/* Parses json (NULL: no context) into a value in a. */
static kiln_value ctx_of(kiln_arena *a, const char *json)
{
    kiln_value v = kiln_value_null();
    if (!json)
        return v;
    kiln_json *j;
    kiln_json_error err;
    if (kiln_json_parse(a, json, strlen(json), 0, &j, &err) != 0)
        test_fail(__FILE__, __LINE__, "bad test JSON: %s", err.msg);
    if (kiln_value_from_json(a, j, &v) != 0)
        test_fail(__FILE__, __LINE__, "kiln_value_from_json failed");
    return v;
}

/* Renders template "t" (src) of a set made with opt; returns result. */
static const char *render_opt(const kiln_tpl_options *opt, const char *src,
                              const char *json)
{
    kiln_tpl_set *set = kiln_tpl_set_new(opt);
    kiln_tpl_error err;
    kiln_arena a;
    kiln_buf out;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&out);
    int rc = kiln_tpl_set_add(set, "t", src, strlen(src), &err);
    if (rc == 0)
        rc = kiln_tpl_render(set, "t", ctx_of(&a, json), &a, &out, &err);
    if (rc == 0)
        snprintf(result, sizeof(result), "%.*s", (int)out.n,
                 out.p ? out.p : "");
    else
        snprintf(result, sizeof(result), "ERROR %d: %s", rc, err.text);
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
    return result;
}

static const char *render(const char *src, const char *json)
{
    return render_opt(NULL, src, json);
}

static const char *render_strict(const char *src, const char *json)
{
    kiln_tpl_options o = {.undefined = KILN_TPL_STRICT};
    return render_opt(&o, src, json);
}

/* Checks that render(src, json) is exactly want. */
#define R(src, json, want) CHECK_STR(render(src, json), want)

/* Checks that rendering src fails and the report contains want. */
#define RE(src, json, want)                                                    \
    do {                                                                       \
        const char *got_ = render(src, json);                                  \
        if (strncmp(got_, "ERROR", 5) != 0 || !strstr(got_, want))             \
            test_fail(__FILE__, __LINE__,                                      \
                      "render(%s) == \"%s\", expected "                        \
                      "an error with \"%s\"",                                  \
                      #src, got_, want);                                       \
    } while (0)

/* A set holding several named templates: name, src, name, src, ..., NULL. */
static kiln_tpl_set *set_of(const kiln_tpl_options *opt, ...)
{
    kiln_tpl_set *set = kiln_tpl_set_new(opt);
    kiln_tpl_error err;
    va_list ap;
    va_start(ap, opt);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *src = va_arg(ap, const char *);
        if (kiln_tpl_set_add(set, name, src, strlen(src), &err) != 0)
            test_fail(__FILE__, __LINE__, "compile %s: %s", name, err.text);
    }
    va_end(ap);
    return set;
}

/* Renders name (or its block when block != NULL) from set. */
static const char *render_set(kiln_tpl_set *set, const char *name,
                              const char *block, const char *json)
{
    kiln_tpl_error err;
    kiln_arena a;
    kiln_buf out;
    kiln_arena_init(&a, 0);
    kiln_buf_init(&out);
    kiln_value ctx = ctx_of(&a, json);
    int rc = block
                 ? kiln_tpl_render_block(set, name, block, ctx, &a, &out, &err)
                 : kiln_tpl_render(set, name, ctx, &a, &out, &err);
    if (rc == 0)
        snprintf(result, sizeof(result), "%.*s", (int)out.n,
                 out.p ? out.p : "");
    else
        snprintf(result, sizeof(result), "ERROR %d: %s", rc, err.text);
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    return result;
}

/* ---- text, output, literals -------------------------------------------- */

TEST(tpl_text_only)
{
    R("", NULL, "");
    R("plain text\n", NULL, "plain text"); /* the last newline goes */
    R("{ not a tag } {x} %} }}", NULL, "{ not a tag } {x} %} }}");
    R("a\r\nb\rc", NULL, "a\nb\nc");
}

TEST(tpl_variables_and_escaping)
{
    R("Hello {{ name }}!", "{\"name\":\"World\"}", "Hello World!");
    R("{{ s }}", "{\"s\":\"<a href=\\\"x\\\">&'</a>\"}",
      "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;");
    R("{{ s|safe }}", "{\"s\":\"<b>\"}", "<b>");
    R("{{ s|e }}{{ s|escape }}", "{\"s\":\"<\"}", "&lt;&lt;");
}

TEST(tpl_numbers_print_like_python)
{
    R("{{ 1 }} {{ -7 }} {{ 3.0 }} {{ 2.5 }} {{ 1e16 }} {{ 1e-5 }} "
      "{{ 0.0001 }} {{ 1e22 }} {{ 0.1 + 0.2 }} {{ 1/3 }}",
      NULL,
      "1 -7 3.0 2.5 1e+16 1e-05 0.0001 1e+22 0.30000000000000004 "
      "0.3333333333333333");
    R("{{ x }} {{ y }} {{ z }}",
      "{\"x\":9007199254740993,\"y\":1.5e300,"
      "\"z\":-0.0}",
      "9007199254740993 1.5e+300 -0.0");
    R("{{ 12345678901234567.0 }} {{ 123456789.0 }}", NULL,
      "1.2345678901234568e+16 123456789.0");
    R("{{ 1e400 }} {{ -1e400 }} {{ (1e400 - 1e400)|string }}", NULL,
      "inf -inf nan");
}

TEST(tpl_literals)
{
    R("{{ true }} {{ False }} {{ none }} {{ None }}", NULL,
      "True False None None");
    R("{{ 'it\\'s' }} {{ \"a\\tb\" }} {{ '\\u00e9\\x41' }} {{ 'a' 'b' }}", NULL,
      "it&#39;s a\tb \xc3\xa9"
      "A ab");
    R("{{ [1, 'a', none] }} {{ (1,) }} {{ () }} {{ {'k': [1.5]} }}", NULL,
      "[1, &#39;a&#39;, None] (1,) () {&#39;k&#39;: [1.5]}");
    R("{{ 1_000_000 }} {{ 1.5e3 }}", NULL, "1000000 1500.0");
}

TEST(tpl_comments_and_raw)
{
    R("a{# {{ x }} #}b{# multi\nline #}c", NULL, "abc");
    R("{% raw %}{{ x }}{% if %}{% endraw %}", NULL, "{{ x }}{% if %}");
    R("a {%- raw -%} b {%- endraw -%} c", NULL, "abc");
}

/* ---- expressions ------------------------------------------------------- */

TEST(tpl_arithmetic)
{
    R("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} "
      "{{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 10 / 4 }}",
      NULL, "7 9 3 -4 2 -2 1024 0.5 2.5");
    R("{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ true + 1 }} {{ -2 ** 2 }} "
      "{{ 2 ** 3 ** 2 }}",
      NULL, "3.0 0.5 2 4 64");
    R("{{ 'ab' * 2 }} {{ 2 * 'c' }} {{ [1] * 2 }} {{ 'a' + 'b' }} "
      "{{ [1] + [2] }}",
      NULL, "abab cc [1, 1] ab [1, 2]");
    RE("{{ 1 / 0 }}", NULL, "division by zero");
    RE("{{ 1 // 0 }}", NULL, "division by zero");
    RE("{{ 'a' - 1 }}", NULL,
       "unsupported operand types for -: 'str' and "
       "'int'");
    RE("{{ 9223372036854775807 + 1 }}", NULL, "integer overflow");
    RE("{{ -'a' }}", NULL, "bad operand type for unary -");
}

TEST(tpl_comparisons_and_logic)
{
    R("{{ 1 < 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} "
      "{{ 3 > 2 > 2 }} {{ [1, 2] == [1, 2] }} {{ 1 != 2 }}",
      NULL, "True True True True False True True");
    R("{{ 0 or 'x' }} {{ '' and 'y' }} {{ 1 and 2 }} {{ not 1 }} "
      "{{ not 1 == 2 }}",
      NULL, "x  2 False True");
    R("{{ 'a' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} "
      "{{ 3 not in [1] }} {{ 4 in range(5) }}",
      NULL, "True True True True True");
    R("{{ 'y' if 1 else 'n' }}|{{ 'y' if 0 }}|{{ 1 if 0 else 2 if 0 else 3 }}",
      NULL, "y||3");
    RE("{{ 1 < 'a' }}", NULL, "'<' not supported between 'int' and 'str'");
    RE("{{ 1 in 2 }}", NULL, "argument of type 'int' is not iterable");
}

TEST(tpl_attribute_and_index_access)
{
    const char *ctx = "{\"u\":{\"name\":\"Ann\",\"tags\":[\"a\",\"b\",\"c\"],"
                      "\"n\":{\"d\":{\"e\":1}}},\"i\":1,\"k\":\"name\"}";
    R("{{ u.name }} {{ u['name'] }} {{ u[k] }} {{ u.tags[0] }} "
      "{{ u.tags[-1] }} {{ u.tags.1 }} {{ u.tags[i] }} {{ u.n.d.e }}",
      ctx, "Ann Ann Ann a c b b 1");
    R("{{ u.tags[1:] }} {{ u.tags[::-1] }} {{ 'hello'[1:3] }} "
      "{{ 'h\xc3\xa9llo'[1] }}",
      ctx,
      "[&#39;b&#39;, &#39;c&#39;] [&#39;c&#39;, &#39;b&#39;, &#39;a&#39;] "
      "el \xc3\xa9");
    R("[{{ u.tags[9] }}][{{ u.nope }}]", ctx, "[][]");
}

TEST(tpl_concat_and_markup_join)
{
    R("{{ 'a' ~ 1 ~ none ~ true ~ 2.0 }}", NULL, "a1NoneTrue2.0");
    R("{{ '<' ~ s ~ '>' }}", "{\"s\":\"&\"}", "&lt;&amp;&gt;");
    R("{{ b|safe ~ s }}", "{\"b\":\"<b>\",\"s\":\"<\"}", "<b>&lt;");
    R("{% set x = b|safe ~ s %}{{ x }}", "{\"b\":\"<b>\",\"s\":\"<\"}",
      "<b>&lt;");
}

/* ---- statements -------------------------------------------------------- */

TEST(tpl_if_elif_else)
{
    const char *t = "{% if n > 2 %}big{% elif n > 0 %}small{% else %}none"
                    "{% endif %}";
    R(t, "{\"n\":5}", "big");
    R(t, "{\"n\":1}", "small");
    R(t, "{\"n\":0}", "none");
    R("{% if xs %}y{% endif %}{% if not m %}e{% endif %}",
      "{\"xs\":[0],\"m\":{}}", "ye");
}

TEST(tpl_for_loop_variables)
{
    R("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}"
      "{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}"
      "{{ loop.last }}{{ loop.length }};{% endfor %}",
      NULL, "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
    R("{% for x in [1, 2, 3] %}{{ loop.previtem|default('-') }}{{ x }}"
      "{{ loop.nextitem|default('-') }} {% endfor %}",
      NULL, "-12 123 23- ");
    R("{% for x in range(4) %}{{ loop.cycle('a', 'b') }}{% endfor %}", NULL,
      "abab");
    R("{% for x in [1, 1, 2] %}{{ loop.changed(x) }}{% endfor %}", NULL,
      "TrueFalseTrue");
    R("{% for x in [1] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}", NULL,
      "10");
}

TEST(tpl_for_else_filter_unpack)
{
    R("{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", "{\"xs\":[]}",
      "empty");
    R("{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", NULL, "empty");
    R("{% for n in range(10) if n is odd %}{{ n }}/{{ loop.length }} "
      "{% endfor %}",
      NULL, "1/5 3/5 5/5 7/5 9/5 ");
    R("{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}",
      "{\"m\":{\"b\":1,\"a\":2}}", "b=1;a=2;");
    R("{% for k in m %}{{ k }}{% endfor %}", "{\"m\":{\"b\":1,\"a\":2}}", "ba");
    R("{% for (a, b) in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", NULL,
      "37");
    RE("{% for a, b in [[1, 2, 3]] %}{% endfor %}", NULL,
       "expected 2 values to unpack, got 3");
    RE("{% for x in 42 %}{% endfor %}", NULL, "'int' object is not iterable");
}

TEST(tpl_for_scoping)
{
    /* a set in the body lasts one iteration; the outer x is untouched */
    R("{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}"
      "{{ x }};{% endfor %}{{ x }}",
      NULL, "110;120;1");
    R("{% for r in [[1, 2], [3]] %}{% for c in r %}{{ loop.index }}{% endfor %}"
      "({{ loop.index }}){% endfor %}",
      NULL, "12(1)1(2)");
    R("{% set ns = namespace(n=0) %}{% for i in range(4) %}"
      "{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
      NULL, "6");
    RE("{% set d = {} %}{% set d.x = 1 %}", NULL, "is not a namespace()");
}

TEST(tpl_set_forms)
{
    R("{% set a = 2 %}{% set b = a * 3 %}{{ a }}{{ b }}", NULL, "26");
    R("{% set a, b = [1, 2] %}{{ b }}{{ a }}", NULL, "21");
    R("{% set t = 1, 2 %}{{ t }}", NULL, "(1, 2)");
    R("{% set h %}<b>{{ x }}</b>{% endset %}{{ h }}{{ h|length }}",
      "{\"x\":\"<\"}", "<b>&lt;</b>11");
    R("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", NULL, "3[]");
}

TEST(tpl_whitespace_control)
{
    R("a  {{- 1 -}}  b", NULL, "a1b");
    R("<ul>\n  {%- for x in [1, 2] %}\n  <li>{{ x }}</li>\n  {%- endfor %}\n"
      "</ul>",
      NULL, "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>");
    R("a {#- c -#} b", NULL, "ab");
    kiln_tpl_options o = {.trim_blocks = true, .lstrip_blocks = true};
    CHECK_STR(
        render_opt(&o, "<p>\n  {% if 1 %}\n  x\n  {% endif %}\n</p>\n", NULL),
        "<p>\n  x\n</p>");
    CHECK_STR(render_opt(&o, "  {%+ if 1 %}k{% endif +%}\n.", NULL), "  k\n.");
}

TEST(tpl_macros)
{
    R("{% macro hi(name, g='Hello') %}{{ g }}, {{ name }}!{% endmacro %}"
      "{{ hi('Ann') }} {{ hi('Bo', 'Hey') }} {{ hi(g='Yo', name='<C>') }}",
      NULL, "Hello, Ann! Hey, Bo! Yo, &lt;C&gt;!");
    /* macro output is safe: not escaped again, even after a filter */
    R("{% macro b(x) %}<b>{{ x }}</b>{% endmacro %}{{ b('<') }} "
      "{{ b('x')|upper }} {% set r = b('y') %}{{ r }}",
      NULL, "<b>&lt;</b> <B>X</B> <b>y</b>");
    R("{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(1) }}", NULL,
      "1,2");
    R("{% macro f(n) %}{% if n %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
      "{{ f(3) }}",
      NULL, "321");
    RE("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", NULL,
       "macro 'm' takes at most 1 argument (2 given)");
    RE("{% macro m(a) %}{% endmacro %}{{ m(b=2) }}", NULL,
       "macro 'm' has no argument 'b'");
    RE("{{ nomacro() }}", NULL, "'nomacro' is undefined");
}

TEST(tpl_call_blocks)
{
    R("{% macro p(t) %}<div>{{ t }}:{{ caller() }}</div>{% endmacro %}"
      "{% call p('T') %}body {{ x }}{% endcall %}",
      "{\"x\":\"<\"}", "<div>T:body &lt;</div>");
    R("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}"
      "{% endmacro %}{% for i in [1] %}{% call(v) each([7, 8]) %}{{ i }}{{ v }}"
      " {% endcall %}{% endfor %}",
      NULL, "17 18 ");
}

TEST(tpl_filter_and_autoescape_blocks)
{
    R("{% filter upper %}a{{ x }}{% endfilter %}", "{\"x\":\"<b>\"}",
      "A&LT;B&GT;");
    R("{% autoescape false %}{{ x }}{% endautoescape %}{{ x }}",
      "{\"x\":\"<b>\"}", "<b>&lt;b&gt;");
}

/* ---- inheritance, include, import -------------------------------------- */

TEST(tpl_extends_blocks_super)
{
    kiln_tpl_set *s =
        set_of(NULL, "base.html",
               "<t>{% block title %}Site{% endblock %}</t>{% set v = 'base' %}"
               "<m>{% block main %}M{% endblock %}</m>",
               "mid.html",
               "{% extends 'base.html' %}{% block title %}Mid|{{ super() }}"
               "{% endblock %}",
               "page.html",
               "{% extends 'mid.html' %}ignored{% set who = 'page' %}"
               "{% block title %}Page|{{ super() }}{% endblock %}"
               "{% block main %}{{ who }} {{ v }} {% for i in [1] %}{{ i }}"
               "{% endfor %}{% endblock %}",
               NULL);
    CHECK_STR(render_set(s, "page.html", NULL, NULL),
              "<t>Page|Mid|Site</t><m>page base 1</m>");
    CHECK_STR(render_set(s, "mid.html", NULL, NULL), "<t>Mid|Site</t><m>M</m>");
    kiln_tpl_set_free(s);
}

TEST(tpl_extends_dynamic_and_errors)
{
    kiln_tpl_set *s =
        set_of(NULL, "a.html", "A{% block b %}{% endblock %}", "c.html",
               "{% extends layout %}{% block b %}c"
               "{% endblock %}",
               "x.html", "{% extends 'missing.html' %}", NULL);
    CHECK_STR(render_set(s, "c.html", NULL, "{\"layout\":\"a.html\"}"), "Ac");
    const char *got = render_set(s, "x.html", NULL, NULL);
    CHECK(strstr(got, "ERROR -7") && strstr(got, "x.html:1:12: template "
                                                 "'missing.html' not found"));
    kiln_tpl_set_free(s);
    RE("{% block a %}{{ super() }}{% endblock %}", NULL,
       "no parent block 'a' for super()");
    RE("{{ super() }}", NULL, "super() outside of a block");
}

TEST(tpl_blocks_see_top_level_not_loops)
{
    R("{% set g = 1 %}{% for i in [5] %}{% block b %}[{{ g }}{{ i }}]"
      "{% endblock %}{% endfor %}",
      NULL, "[1]");
    R("{% for i in [5] %}{% block b scoped %}[{{ i }}]{% endblock %}"
      "{% endfor %}",
      NULL, "[5]");
}

TEST(tpl_render_block_for_htmx)
{
    kiln_tpl_set *s = set_of(
        NULL, "layout.html",
        "<html>{% block body %}{% endblock %}{% block foot %}F{% endblock %}"
        "</html>",
        "page.html",
        "{% extends 'layout.html' %}{% set title = 'T' %}"
        "{% from 'm.html' import row %}"
        "{% block body %}<h1>{{ title }}</h1><table>{% block rows %}"
        "{% for r in rows %}{{ row(r) }}{% endfor %}{% endblock %}</table>"
        "{% endblock %}{% block foot %}[{{ super() }}]{% endblock %}",
        "m.html", "{% macro row(r) %}<tr>{{ r }}</tr>{% endmacro %}", NULL);
    const char *ctx = "{\"rows\":[\"a\",\"<b>\"]}";
    CHECK_STR(render_set(s, "page.html", NULL, ctx),
              "<html><h1>T</h1><table><tr>a</tr><tr>&lt;b&gt;</tr></table>"
              "[F]</html>");
    CHECK_STR(render_set(s, "page.html", "rows", ctx),
              "<tr>a</tr><tr>&lt;b&gt;</tr>");
    CHECK_STR(render_set(s, "page.html", "body", ctx),
              "<h1>T</h1><table><tr>a</tr><tr>&lt;b&gt;</tr></table>");
    CHECK_STR(render_set(s, "page.html", "foot", ctx), "[F]");
    CHECK_STR(render_set(s, "layout.html", "foot", ctx), "F");
    const char *got = render_set(s, "page.html", "nope", ctx);
    CHECK(strstr(got, "ERROR -7") && strstr(got, "no block 'nope'"));
    got = render_set(s, "nope.html", "x", ctx);
    CHECK(strstr(got, "ERROR -7") && strstr(got, "template not found"));
    kiln_tpl_set_free(s);
}

TEST(tpl_include)
{
    kiln_tpl_set *s = set_of(
        NULL, "p.html",
        "<li>{{ item }}{{ loop is defined }}</li>{% set z = 1 %}", "main.html",
        "{% for item in xs %}{% include 'p.html' %}{% endfor %}[{{ z }}]"
        "{% include 'none.html' ignore missing %}"
        "{% include ['none.html', 'p.html'] without context %}",
        NULL);
    CHECK_STR(render_set(s, "main.html", NULL, "{\"xs\":[1,2],\"item\":9}"),
              "<li>1False</li><li>2False</li>[]<li>False</li>");
    kiln_tpl_set_free(s);
}

TEST(tpl_trailing_newline)
{
    /* Jinja2's keep_trailing_newline=False: each source loses one final
     * newline (after \r\n normalisation), so a row template saved with its
     * usual last newline adds none per include */
    R("a\n\n", NULL, "a\n");
    R("a\r\n", NULL, "a");
    R("a\r", NULL, "a");
    R("\n", NULL, "");
    R("{% if 1 %}x{% endif %}\n", NULL, "x");
    kiln_tpl_set *s = set_of(
        NULL, "row.html", "<li>{{ u }}</li>\n", "list.html",
        "<ul>{% for u in users %}{% include \"row.html\" %}{% endfor %}</ul>\n",
        "m.html", "{% macro b(x) %}<b>{{ x }}</b>\n{% endmacro %}\n",
        "imp.html", "{% from 'm.html' import b %}{{ b(1) }}|", "base.html",
        "[{% block c %}{% endblock %}]\n", "child.html",
        "{% extends 'base.html' %}{% block c %}c\n{% endblock %}\n", NULL);
    CHECK_STR(render_set(s, "list.html", NULL, "{\"users\":[\"a\",\"b\"]}"),
              "<ul><li>a</li><li>b</li></ul>");
    CHECK_STR(render_set(s, "imp.html", NULL, NULL), "<b>1</b>\n|");
    CHECK_STR(render_set(s, "child.html", NULL, NULL), "[c\n]");
    kiln_tpl_set_free(s);
    /* keep_trailing_newline keeps every source as written */
    kiln_tpl_options keep = {.keep_trailing_newline = true};
    CHECK_STR(render_opt(&keep, "a\r\n", NULL), "a\n");
    s = set_of(&keep, "row.html", "<li>{{ u }}</li>\n", "list.html",
               "{% for u in users %}{% include 'row.html' %}{% endfor %}\n",
               NULL);
    CHECK_STR(render_set(s, "list.html", NULL, "{\"users\":[1,2]}"),
              "<li>1</li>\n<li>2</li>\n\n");
    kiln_tpl_set_free(s);
    /* trim_blocks has nothing left to trim at the end of a source */
    kiln_tpl_options trim = {.trim_blocks = true};
    CHECK_STR(render_opt(&trim, "{% if 1 %}x{% endif %}\n\n", NULL), "x");
}

TEST(tpl_import)
{
    kiln_tpl_set *s = set_of(
        NULL, "m.html",
        "{% macro b(x, kind='p') %}<b class={{ kind }}>{{ x }}{{ g }}</b>"
        "{% endmacro %}{% set version = 2 %}",
        "a.html",
        "{% import 'm.html' as m %}{{ m.b('1') }}{{ m.version }}"
        "{% from 'm.html' import b as bold, version %}{{ bold('2', kind='q') }}"
        "{{ version }}",
        "ctx.html", "{% import 'm.html' as m with context %}{{ m.b('3') }}",
        "bad.html", "{% from 'm.html' import nope %}", NULL);
    /* imported macros do not see the render context unless "with context" */
    CHECK_STR(render_set(s, "a.html", NULL, "{\"g\":\"G\"}"),
              "<b class=p>1</b>2<b class=q>2</b>2");
    CHECK_STR(render_set(s, "ctx.html", NULL, "{\"g\":\"G\"}"),
              "<b class=p>3G</b>");
    CHECK(strstr(render_set(s, "bad.html", NULL, NULL),
                 "does not define 'nope'"));
    kiln_tpl_set_free(s);
}

TEST(tpl_templates_added_in_any_order)
{
    /* a memory template may name one that is added later */
    kiln_tpl_set *s =
        set_of(NULL, "child.html",
               "{% extends 'parent.html' %}{% block b %}C"
               "{% endblock %}",
               "parent.html", "P{% block b %}{% endblock %}", NULL);
    CHECK_STR(render_set(s, "child.html", NULL, NULL), "PC");
    CHECK(kiln_tpl_set_has(s, "parent.html"));
    CHECK(!kiln_tpl_set_has(s, "nope.html"));
    /* adding again replaces */
    kiln_tpl_error err;
    CHECK_INT(kiln_tpl_set_add(s, "parent.html", "Q{% block b %}{% endblock %}",
                               29, &err),
              0);
    CHECK_STR(render_set(s, "child.html", NULL, NULL), "QC");
    kiln_tpl_set_free(s);
}

/* ---- filters ----------------------------------------------------------- */

TEST(tpl_filters_strings)
{
    R("{{ s|upper }} {{ s|lower }} {{ s|capitalize }} {{ s|title }}",
      "{\"s\":\"hELLo wORLD-x\"}",
      "HELLO WORLD-X hello world-x Hello world-x Hello World-X");
    R("{{ '\xc3\xa9"
      "cole stra\xc3\x9f' '\xc3\x9f'|upper }}",
      NULL,
      "\xc3\x89"
      "COLE STRASSSS");
    R("[{{ '  a b  '|trim }}][{{ 'xxaxx'|trim('x') }}]", NULL, "[a b][a]");
    R("{{ 'foo boo'|replace('o', '0') }} {{ 'foo'|replace('o', '0', 1) }} "
      "{{ 'ab'|replace('', '-') }}",
      NULL, "f00 b00 f0o -a-b-");
    R("{{ s|truncate(9) }}|{{ s|truncate(9, true) }}|{{ s|truncate(30) }}|"
      "{{ s|truncate(10, end='>') }}",
      "{\"s\":\"The quick brown fox\"}",
      "The...|The qu...|The quick brown fox|The&gt;");
    R("[{{ 'abc'|center(7) }}] {{ 'a b  c'|wordcount }}", NULL, "[  abc  ] 3");
    R("{{ 'a\nb\n\nc'|indent(2) }}", NULL, "a\n  b\n\n  c");
    R("{{ '<p>a &amp; <b>b</b></p>'|striptags }}", NULL, "a &amp; b");
    R("{{ 'abc'|reverse }} {{ 'ab'|list }} {{ 5|string ~ 'x' }}", NULL,
      "cba [&#39;a&#39;, &#39;b&#39;] 5x");
}

TEST(tpl_filters_defaults_and_lengths)
{
    R("[{{ x|default('d') }}][{{ none|d('d') }}][{{ ''|default('d', true) }}]"
      "[{{ 'v'|default('d') }}]",
      NULL, "[d][None][d][v]");
    R("{{ xs|length }} {{ 'h\xc3\xa9'|length }} {{ m|count }} {{ nope|length "
      "}}",
      "{\"xs\":[1,2,3],\"m\":{\"a\":1}}", "3 2 1 0");
    R("{{ xs|first }} {{ xs|last }} [{{ []|first }}] {{ m|first }}",
      "{\"xs\":[1,2,3],\"m\":{\"a\":1,\"b\":2}}", "1 3 [] a");
    RE("{{ 5|length }}", NULL, "object of type 'int' has no len()");
}

TEST(tpl_filters_numbers)
{
    R("{{ '42'|int }} {{ '3.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} "
      "{{ '0x1A'|int(base=16) }} {{ '1.5'|float }} {{ 'no'|float }} {{ 2|float "
      "}}",
      NULL, "42 3 0 7 26 1.5 0.0 2.0");
    R("{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 3|round }} "
      "{{ 2.1|round(0, 'ceil') }} {{ 2.9|round(method='floor') }} "
      "{{ 1250|round(-2) }}",
      NULL, "2.0 4.0 2.67 3 3.0 2.0 1200");
    R("{{ -3|abs }} {{ -2.5|abs }} {{ [1, 2, 3]|sum }} {{ [3, 1]|min }} "
      "{{ [3, 1]|max }}",
      NULL, "3 2.5 6 1 3");
    R("{{ 1|filesizeformat }} {{ 3000|filesizeformat }} "
      "{{ 1024|filesizeformat(true) }}",
      NULL, "1 Byte 3.0 kB 1.0 KiB");
    RE("{{ 1.5|round(0, 'up') }}", NULL,
       "method must be common, ceil or floor");
}

TEST(tpl_filters_lists)
{
    const char *users =
        "{\"us\":[{\"n\":\"bo\",\"a\":30},{\"n\":\"Al\",\"a\":25},"
        "{\"n\":\"cy\",\"a\":30}]}";
    R("{{ us|sort(attribute='a')|map(attribute='n')|join(',') }} "
      "{{ us|sort(attribute='n', reverse=true)|map(attribute='n')|join(',') }} "
      "{{ ['b', 'A', 'c']|sort }} {{ ['b', 'A']|sort(case_sensitive=true) }}",
      users,
      "Al,bo,cy cy,bo,Al [&#39;A&#39;, &#39;b&#39;, &#39;c&#39;] "
      "[&#39;A&#39;, &#39;b&#39;]");
    R("{{ us|selectattr('a', 'eq', 30)|map(attribute='n')|join }} "
      "{{ us|rejectattr('a', 'gt', 26)|map(attribute='n')|join }} "
      "{{ [1, 2, 3, 4]|select('even')|list }} {{ [0, 1]|reject|list }} "
      "{{ ['a', 'B']|map('upper')|join }}",
      users, "bocy Al [2, 4] [0] AB");
    R("{{ [1, 2, 1]|unique|list }} {{ [1, 2, 3]|reverse|list }} "
      "{% for b in range(5)|batch(2, 0) %}{{ b }}{% endfor %}",
      NULL, "[1, 2] [3, 2, 1] [0, 1][2, 3][4, 0]");
    R("{{ m|dictsort }} {% for k, v in m|items %}{{ k }}{{ v }}{% endfor %}",
      "{\"m\":{\"b\":1,\"a\":2}}", "[(&#39;a&#39;, 2), (&#39;b&#39;, 1)] b1a2");
    R("{{ us|sum(attribute='a') }} {{ us|max(attribute='a')|tojson }}", users,
      "85 {\"a\": 30, \"n\": \"bo\"}");
    RE("{{ [1, 'a']|sort }}", NULL, "cannot order 'str' and 'int'");
}

TEST(tpl_filter_join_escaping)
{
    R("{{ ['<a>', 'b']|join('<br>') }}", NULL, "&lt;a&gt;&lt;br&gt;b");
    R("{{ [x, y|safe]|join(', ') }}", "{\"x\":\"<a>\",\"y\":\"<b>\"}",
      "&lt;a&gt;, <b>");
    R("{{ ['<a>']|join('<br>'|safe) }}", NULL, "&lt;a&gt;");
    R("{{ us|join(' / ', attribute='n') }}",
      "{\"us\":[{\"n\":\"x\"},{\"n\":\"y\"}]}", "x / y");
}

TEST(tpl_filter_urlencode)
{
    R("{{ 'a b&c=d/\xc3\xa9'|urlencode }}", NULL, "a%20b%26c%3Dd/%C3%A9");
    R("{{ m|urlencode }}", "{\"m\":{\"q\":\"x y\",\"n\":2}}", "q=x+y&amp;n=2");
}

TEST(tpl_filter_json_is_script_safe)
{
    R("{{ d|tojson }}",
      "{\"d\":{\"z\":1,\"a\":[\"</script>\",\"it's & "
      "<b>\"],\"u\":\"\xc3\xa9\"}}",
      "{\"a\": [\"\\u003c/script\\u003e\", \"it\\u0027s \\u0026 "
      "\\u003cb\\u003e\"]"
      ", \"u\": \"\\u00e9\", \"z\": 1}");
    R("{{ s|json }}", "{\"s\":\"q\\\" b\\\\ n\\n \xf0\x9f\x98\x80\"}",
      "\"q\\\" b\\\\ n\\n \\ud83d\\ude00\"");
    R("{{ [1.0, none, true]|tojson }} {{ [1]|tojson(indent=2) }}", NULL,
      "[1.0, null, true] [\n  1\n]");
    RE("{{ x|tojson }}", NULL, "not JSON serializable");
}

TEST(tpl_filter_date)
{
    R("{{ '2024-03-05'|date }} {{ '2024-03-05T14:07:09Z'|date('%d %b %Y "
      "%H:%M') }}"
      " {{ 0|date('%Y-%m-%dT%H:%M:%S') }} {{ 1709647629.9|date('%A') }}",
      NULL, "2024-03-05 05 Mar 2024 14:07 1970-01-01T00:00:00 Tuesday");
    R("{{ '2024-03-05 14:07:00.123+02:00'|date('%H:%M %z') }} "
      "{{ '2024-12-31'|date('%j %a') }}",
      NULL, "14:07 +0200 366 Tue");
    RE("{{ 'yesterday'|date }}", NULL, "is not an ISO-8601 date");
    RE("{{ '2023-02-30'|date }}", NULL, "day out of range");
    RE("{{ none|date }}", NULL, "date needs an ISO-8601 string or a number");
}

TEST(tpl_filter_errors_at_compile_time)
{
    RE("{{ x|uper }}", NULL, "t:1:6: unknown filter 'uper'");
    RE("{{ x|truncate(1, 2, 3, 4, 5) }}", NULL,
       "filter 'truncate' takes at most 4 arguments");
    RE("{{ x|replace('a') }}", NULL, "filter 'replace' needs argument 'new'");
    RE("{{ x|join(d=1, d=2) }}", NULL, "keyword argument 'd' repeated");
    RE("{{ x is frob }}", NULL, "unknown test 'frob'");
}

/* ---- tests, methods, functions ----------------------------------------- */

TEST(tpl_tests)
{
    R("{{ x is defined }} {{ y is defined }} {{ y is undefined }} "
      "{{ n is none }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} "
      "{{ 3 is not even }}",
      "{\"x\":1,\"n\":null}", "True False True True True True True True");
    R("{{ 1 is integer }} {{ 1.0 is float }} {{ true is boolean }} "
      "{{ 's' is string }} {{ {} is mapping }} {{ 1 is number }} "
      "{{ 'abc' is lower }} {{ 'A1' is upper }} {{ 2 is in [1, 2] }} "
      "{{ 'x'|safe is escaped }} {{ 3 is gt 2 }} {{ 3 is sameas 3 }}",
      NULL, "True True True True True True True True True True True True");
}

TEST(tpl_methods)
{
    R("{{ '  Hi  '.strip() }}|{{ 'a,b'.split(',') }} {{ 'a b'.split() }} "
      "{{ 'ab'.upper() }} {{ 'ab'.startswith('a') }} {{ 'ab'.endswith(('x', "
      "'b')) }} {{ 'abab'.replace('a', 'c') }} {{ 'abab'.count('a') }} "
      "{{ 'abab'.find('b') }} {{ '-'.join(['a', 'b']) }} {{ 'ab cd'.title() }}",
      NULL,
      "Hi|[&#39;a&#39;, &#39;b&#39;] [&#39;a&#39;, &#39;b&#39;] AB True True "
      "cbcb 2 1 a-b Ab Cd");
    R("{{ m.get('a') }} {{ m.get('z', 0) }} {{ m.keys()|list }} "
      "{{ m.values()|list }}",
      "{\"m\":{\"a\":1}}", "1 0 [&#39;a&#39;] [1]");
    RE("{{ 'x'.nope() }}", NULL, "'str' object has no method 'nope'");
    RE("{{ [1].append(2) }}", NULL, "'list' object has no method 'append'");
}

TEST(tpl_global_functions)
{
    R("{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(3, 0, -1)|list "
      "}} "
      "{{ range(0) }} {{ range(2, 5) }}",
      NULL, "[0, 1, 2] [1, 3, 5] [3, 2, 1] range(0, 0) range(2, 5)");
    R("{{ dict(a=1, b='x') }} {{ namespace(a=1).a }}", NULL,
      "{&#39;a&#39;: 1, &#39;b&#39;: &#39;x&#39;} 1");
    RE("{{ range(1000000) }}", NULL, "range() too big");
    /* a context variable shadows a global function */
    R("{{ range }}", "{\"range\":\"r\"}", "r");
}

/* ---- undefined: lenient and strict ------------------------------------- */

TEST(tpl_lenient_undefined)
{
    R("[{{ nope }}][{{ nope.a.b }}][{% if nope %}t{% else %}f{% endif %}]"
      "[{% for x in nope %}x{% endfor %}][{{ nope|length }}]"
      "[{{ nope|upper }}][{{ nope ~ 'x' }}]",
      NULL, "[][][f][][0][][x]");
}

TEST(tpl_strict_undefined)
{
    CHECK_STR(render_strict("{{ missing }}", NULL),
              "ERROR -2: t:1:4: 'missing' is undefined\n  {{ missing }}\n"
              "     ^");
    CHECK_STR(
        render_strict("line1\n  {{ user.nme }}", "{\"user\":{\"name\":\"a\"}}"),
        "ERROR -2: t:2:11: 'user' (dict) has no attribute 'nme'\n"
        "    {{ user.nme }}\n            ^");
    /* what StrictUndefined also accepts */
    CHECK_STR(
        render_strict("{{ x is defined }} {{ x|default('d') }} "
                      "{{ u.x|d('e') }} {% if x is undefined %}u{% endif %}",
                      "{\"u\":{}}"),
        "False d e u");
    CHECK(strstr(render_strict("{% for x in nope %}{% endfor %}", NULL),
                 "'nope' is undefined"));
    CHECK(strstr(render_strict("{% if nope %}{% endif %}", NULL),
                 "'nope' is undefined"));
    CHECK(strstr(render_strict("{{ xs[5] }}", "{\"xs\":[1]}"),
                 "'xs' (list) has no such item"));
}

/* ---- errors ------------------------------------------------------------ */

TEST(tpl_compile_errors_name_position)
{
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error err;
    const char *src = "<h1>Title</h1>\n<p>\n  {{ x|uper }}\n</p>\n";
    CHECK_INT(kiln_tpl_set_add(set, "pages/a.html", src, strlen(src), &err),
              KILN_EPARSE);
    CHECK_INT(err.code, KILN_EPARSE);
    CHECK_INT(err.line, 3);
    CHECK_INT(err.col, 8);
    CHECK_STR(err.name, "pages/a.html");
    CHECK_STR(err.msg, "unknown filter 'uper'");
    CHECK_STR(err.text, "pages/a.html:3:8: unknown filter 'uper'\n"
                        "    {{ x|uper }}\n         ^");
    kiln_tpl_set_free(set);

    RE("{% if x %}\n{% for y in z %}\n", NULL,
       "t:2:4: 'for' is never closed (expected 'endfor' before the end");
    RE("{{ x + }}", NULL, "t:1:8: expected an expression, got '}}'");
    RE("ok\n{% endfor %}", NULL, "t:2:4: unexpected 'endfor'");
    RE("{% frob %}", NULL, "t:1:4: unknown tag 'frob'");
    RE("{{ \"abc }}", NULL, "t:1:4: unterminated string");
    RE("{{ x", NULL, "t:1:5: expected '}}', got end of template");
    RE("{{", NULL, "t:1:3: expected an expression, got end of template");
    RE("{{ x }", NULL, "expected '}}', got '}'");
    RE("{# open", NULL, "t:1:1: unclosed comment");
    RE("{% raw %}x", NULL, "unclosed 'raw'");
    RE("{% block a %}{% endblock %}{% block a %}{% endblock %}", NULL,
       "t:1:37: block 'a' defined twice");
    RE("{% block a %}{% endblock b %}", NULL, "'endblock' names 'b'");
    RE("{% for x in y %}{% extends 'a' %}{% endfor %}", NULL,
       "'extends' inside a block, macro or loop");
    RE("{% macro m(a=1, b) %}{% endmacro %}", NULL,
       "parameter without a default after one with a default");
    RE("{{ 99999999999999999999 }}", NULL, "integer literal too large");
    RE("{{ 'a' ! 'b' }}", NULL, "unexpected '!'");
    RE("{{ '\\x4' }}", NULL, "invalid escape in string");
    RE("{{ a.}}", NULL, "expected an attribute name");
    RE("{% set %}", NULL, "expected a variable name");
    RE("{% for x y %}", NULL, "expected 'in'");
    RE("{{ f(a=1, 2) }}", NULL, "positional argument after keyword argument");
    RE("{% if x %}{% else %}{% elif y %}{% endif %}", NULL,
       "unexpected 'elif'");
}

TEST(tpl_error_caret_handles_tabs_and_utf8)
{
    CHECK_STR(
        render_strict("\xc3\xa9\t{{ y }}", NULL),
        "ERROR -2: t:1:6: 'y' is undefined\n  \xc3\xa9\t{{ y }}\n   \t   ^");
}

TEST(tpl_render_errors)
{
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error err;
    kiln_buf out;
    kiln_buf_init(&out);
    CHECK_INT(
        kiln_tpl_render(set, "nope.html", kiln_value_null(), NULL, &out, &err),
        KILN_ENOTFOUND);
    CHECK_STR(err.text, "nope.html: template not found");
    kiln_tpl_set_add(set, "t", "x", 1, &err);
    CHECK_INT(kiln_tpl_render(set, "t", kiln_value_int(1), NULL, &out, &err),
              KILN_EINVAL);
    CHECK_INT(kiln_tpl_render(NULL, "t", kiln_value_null(), NULL, &out, &err),
              KILN_EINVAL);
    CHECK_INT(kiln_tpl_render(set, "t", kiln_value_null(), NULL, &out, NULL),
              0);
    CHECK_VIEW(kiln_buf_str(&out), "x");
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
}

/* ---- XSS corpus -------------------------------------------------------- */

static const char *const xss_payloads[] = {
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg/onload=alert(1)>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "<!--<script>",
    "&lt;script&gt;",
    "<<script>script>",
    "<iframe srcdoc=\"&lt;script&gt;\">",
    "`-alert(1)-`",
    "\xef\xbc\x9cscript\xef\xbc\x9e",
};

/* True when s could open a tag or leave a quoted attribute value. */
static bool dangerous(const char *s)
{
    return strchr(s, '<') || strchr(s, '>') || strchr(s, '"') ||
           strchr(s, '\'');
}

/* Renders template t of set with p as the payload; returns the output
 * with the template's own markup (the strings of own) blanked out. */
static const char *render_payload(kiln_tpl_set *set, const char *t,
                                  const char *p, const char *const *own,
                                  size_t nown)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value ctx = kiln_value_map(&a);
    kiln_value_set(ctx, "p", kiln_value_cstr(p));
    kiln_buf out;
    kiln_buf_init(&out);
    kiln_tpl_error err;
    if (kiln_tpl_render(set, t, ctx, &a, &out, &err) != 0)
        test_fail(__FILE__, __LINE__, "%s", err.text);
    snprintf(result, sizeof(result), "%s", out.p);
    for (size_t k = 0; k < nown; k++) {
        char *hit = strstr(result, own[k]);
        if (!hit)
            test_fail(__FILE__, __LINE__, "markup %s lost in %s", own[k],
                      result);
        memset(hit, '_', strlen(own[k]));
    }
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    return result;
}

TEST(tpl_xss_text_and_attribute_contexts)
{
    kiln_tpl_set *set = set_of(
        NULL, "html",
        "<p>{{ p }}</p><a title=\"{{ p }}\" data-x='{{ p }}' "
        "href=\"/s?q={{ p|urlencode }}\">{{ p|lower }}{{ p|title }}"
        "{{ p|truncate(10) }}{{ p|replace('a', 'b') }}{{ [p]|join(', ') }}"
        "{{ p ~ '' }}{{ p|trim }}{{ p|string }}{{ p|center(3) }}"
        "{{ p|striptags }}{{ p|first }}{{ p|reverse }}{{ [p] }}{{ {'k': p} }}"
        "</a>",
        "script", "<script>var x = {{ p|tojson }};</script>", NULL);
    static const char *const html_own[] = {
        "<p>", "</p>", "<a title=\"", "\" data-x='", "' href=\"/s?q=",
        "\">", "</a>"};
    static const char *const script_own[] = {"<script>var x = ", ";</script>"};
    for (size_t i = 0; i < sizeof(xss_payloads) / sizeof(xss_payloads[0]);
         i++) {
        /* what remains came from p: no character may open a tag or end
         * a quoted attribute value */
        const char *s =
            render_payload(set, "html", xss_payloads[i], html_own, 7);
        if (dangerous(s))
            test_fail(__FILE__, __LINE__, "payload %zu leaked: %s", i, s);
        /* in a script: one JSON string, no < > & ' at all */
        s = render_payload(set, "script", xss_payloads[i], script_own, 2);
        if (strpbrk(s, "<>&'") || s[strlen(s) - 11] != '"')
            test_fail(__FILE__, __LINE__, "payload %zu leaked: %s", i, s);
    }
    kiln_tpl_set_free(set);
}

/* The escaper scans 16-byte blocks: check every length and position
 * against a byte-by-byte reference. */
TEST(tpl_escape_matches_reference_at_every_offset)
{
    static const char specials[] = "&<>\"'";
    kiln_tpl_set *set = set_of(NULL, "t", "{{ s }}", NULL);
    char src[80], want[480];
    for (size_t len = 0; len < 70; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t k = 0; k < 5; k++) {
                for (size_t i = 0; i < len; i++)
                    src[i] = (char)('a' + (i * 7 + len) % 26);
                if (at < len)
                    src[at] = specials[k];
                if (len > 20 && at + 17 < len)
                    src[at + 17] = specials[(k + 1) % 5];
                src[len] = '\0';
                size_t w = 0;
                for (size_t i = 0; i < len; i++) {
                    const char *e = src[i] == '&'    ? "&amp;"
                                    : src[i] == '<'  ? "&lt;"
                                    : src[i] == '>'  ? "&gt;"
                                    : src[i] == '"'  ? "&#34;"
                                    : src[i] == '\'' ? "&#39;"
                                                     : NULL;
                    if (e) {
                        memcpy(want + w, e, strlen(e));
                        w += strlen(e);
                    } else {
                        want[w++] = src[i];
                    }
                }
                want[w] = '\0';
                kiln_arena a;
                kiln_arena_init(&a, 0);
                kiln_value ctx = kiln_value_map(&a);
                kiln_value_set(ctx, "s", kiln_value_cstr(src));
                kiln_buf out;
                kiln_buf_init(&out);
                kiln_tpl_error err;
                CHECK_INT(kiln_tpl_render(set, "t", ctx, &a, &out, &err), 0);
                if (strcmp(out.p, want) != 0)
                    test_fail(__FILE__, __LINE__, "len %zu at %zu: %s != %s",
                              len, at, out.p, want);
                kiln_buf_deinit(&out);
                kiln_arena_deinit(&a);
                if (at == len)
                    break;
            }
        }
    }
    kiln_tpl_set_free(set);
}

TEST(tpl_xss_escape_exact_bytes)
{
    R("{{ p }}", "{\"p\":\"&<>\\\"'\"}", "&amp;&lt;&gt;&#34;&#39;");
    R("<a href=\"{{ p }}\">", "{\"p\":\"\\\" onclick=\\\"x\"}",
      "<a href=\"&#34; onclick=&#34;x\">");
    R("{{ p|safe|e }} {{ p|forceescape }}", "{\"p\":\"<\"}", "< &lt;");
}

/* ---- values ------------------------------------------------------------ */

TEST(tpl_value_api)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value m = kiln_value_map(&a), l = kiln_value_list(&a);
    CHECK_INT(m.type, KILN_VALUE_MAP);
    CHECK_INT(kiln_value_set(m, "b", kiln_value_int(1)), 0);
    CHECK_INT(kiln_value_set(m, "a", kiln_value_float(2.5)), 0);
    CHECK_INT(kiln_value_set(m, "b", kiln_value_bool(true)), 0); /* replace */
    CHECK_INT(kiln_value_len(m), 2);
    kiln_value v;
    CHECK(kiln_value_get(m, KILN_STR("b"), NULL, &v));
    CHECK_INT(v.type, KILN_VALUE_BOOL);
    CHECK(!kiln_value_get(m, KILN_STR("zz"), NULL, &v));
    for (int i = 0; i < 100; i++) /* past the index threshold */
        CHECK_INT(kiln_value_push(l, kiln_value_int(i)), 0);
    CHECK_INT(kiln_value_len(l), 100);
    CHECK_INT(kiln_value_at(l, 42).u.i, 42);
    CHECK_INT(kiln_value_at(l, 100).type, KILN_VALUE_NULL);
    char key[16];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        kiln_value_set_str(m, kiln_value_str_copy(&a, kiln_str_c(key)).u.s,
                           kiln_value_int(i));
    }
    CHECK_INT(kiln_value_len(m), 52);
    CHECK(kiln_value_get(m, KILN_STR("k37"), NULL, &v) && v.u.i == 37);
    CHECK(kiln_value_get(m, KILN_STR("a"), NULL, &v) && v.u.f == 2.5);
    CHECK_INT(kiln_value_push(m, kiln_value_null()), KILN_EINVAL);
    CHECK_INT(kiln_value_set(l, "x", kiln_value_null()), KILN_EINVAL);
    kiln_value_set(m, "list", l);
    kiln_value_set(m, "safe", kiln_value_safe(KILN_STR("<i>")));
    kiln_value_set(m, "s", kiln_value_cstr("<i>"));

    kiln_tpl_set *set = set_of(NULL, "t",
                               "{{ a }} {{ b }} {{ k49 }} {{ list|length }} "
                               "{{ list[99] }} {{ safe }} {{ s }}",
                               NULL);
    kiln_buf out;
    kiln_buf_init(&out);
    kiln_tpl_error err;
    CHECK_INT(kiln_tpl_render(set, "t", m, &a, &out, &err), 0);
    CHECK_VIEW(kiln_buf_str(&out), "2.5 True 49 100 99 <i> &lt;i&gt;");
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
    kiln_arena_deinit(&a);
}

TEST(tpl_value_from_json)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value v = ctx_of(&a, "{\"a\":1,\"b\":[true,null,1.5,\"s\"],\"a\":2,"
                              "\"big\":1e400,\"i\":-9223372036854775808}");
    CHECK_INT(v.type, KILN_VALUE_MAP);
    CHECK_INT(kiln_value_len(v),
              4); /* duplicate "a": first place, last value */
    kiln_value x;
    CHECK(kiln_value_get(v, KILN_STR("a"), NULL, &x) && x.u.i == 2);
    CHECK(kiln_value_get(v, KILN_STR("i"), NULL, &x) &&
          x.type == KILN_VALUE_INT && x.u.i == INT64_MIN);
    CHECK(kiln_value_get(v, KILN_STR("b"), NULL, &x) && kiln_value_len(x) == 4);
    CHECK_INT(kiln_value_at(x, 2).type, KILN_VALUE_FLOAT);
    CHECK_INT(kiln_value_from_json(&a, NULL, &x), KILN_EINVAL);
    kiln_arena_deinit(&a);
    R("{{ d }}", "{\"d\":{\"a\":1,\"a\":2,\"b\":3}}",
      "{&#39;a&#39;: 2, &#39;b&#39;: 3}");
}

/* A fake database row: the object hook serves its fields. */
struct row {
    int64_t id;
    const char *title;
    int gets; /* lookups served */
};

static int row_get(const void *self, kiln_str key, kiln_arena *a,
                   kiln_value *out)
{
    struct row *r = (struct row *)self;
    (void)a;
    r->gets++;
    if (kiln_str_eq(key, KILN_STR("id"))) {
        *out = kiln_value_int(r->id);
        return 1;
    }
    if (kiln_str_eq(key, KILN_STR("title"))) {
        *out = kiln_value_cstr(r->title);
        return 1;
    }
    if (kiln_str_eq(key, KILN_STR("boom")))
        return KILN_EIO;
    return 0;
}

static size_t row_len(const void *self)
{
    (void)self;
    return 2;
}

static int row_entry(const void *self, size_t i, kiln_arena *a, kiln_str *key,
                     kiln_value *val)
{
    *key = i == 0 ? KILN_STR("id") : KILN_STR("title");
    return row_get(self, *key, a, val) == 1 ? 0 : KILN_EIO;
}

TEST(tpl_object_hook)
{
    static const kiln_value_class row_class = {"row", row_get, row_len,
                                               row_entry};
    static const kiln_value_class bare_class = {"bare", row_get, NULL, NULL};
    struct row rows[2] = {{1, "<one>", 0}, {2, "two", 0}};
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value list = kiln_value_list(&a), ctx = kiln_value_map(&a);
    for (int i = 0; i < 2; i++)
        kiln_value_push(list, kiln_value_object(&row_class, &rows[i]));
    kiln_value_set(ctx, "rows", list);
    kiln_value_set(ctx, "bare", kiln_value_object(&bare_class, &rows[0]));
    kiln_tpl_set *set = set_of(
        NULL, "t",
        "{% for r in rows %}{{ r.id }}:{{ r.title }}:{{ r.nope }};{% endfor %}"
        "{{ rows[0]|tojson }} {{ rows[1] }} {% for k, v in rows[1]|items %}"
        "{{ k }}={{ v }},{% endfor %} {{ 'id' in rows[0] }} {{ bare|length }}"
        " {{ bare.id }}",
        "boom", "{{ bare.boom }}", "obj_ctx", "{{ id }}-{{ title }}", NULL);
    kiln_buf out;
    kiln_buf_init(&out);
    kiln_tpl_error err;
    CHECK_INT(kiln_tpl_render(set, "t", ctx, &a, &out, &err), 0);
    CHECK_VIEW(kiln_buf_str(&out),
               "1:&lt;one&gt;:;2:two:;{\"id\": 1, \"title\": \"\\u003cone"
               "\\u003e\"} {&#39;id&#39;: 2, &#39;title&#39;: &#39;two&#39;} "
               "id=2,title=two, True 0 1");
    CHECK(rows[0].gets > 0);
    kiln_buf_clear(&out);
    CHECK_INT(kiln_tpl_render(set, "boom", ctx, &a, &out, &err), KILN_EIO);
    CHECK(strstr(err.text, "lookup of 'boom' failed"));
    /* an object as the whole context */
    kiln_buf_clear(&out);
    CHECK_INT(kiln_tpl_render(set, "obj_ctx",
                              kiln_value_object(&row_class, &rows[1]), &a, &out,
                              &err),
              0);
    CHECK_VIEW(kiln_buf_str(&out), "2-two");
    /* entries from C: a map in insertion order, an object through its
     * class, nothing for others */
    kiln_str k;
    kiln_value v;
    CHECK_INT(kiln_value_entry(ctx, 0, &a, &k, &v), 0);
    CHECK_VIEW(k, "rows");
    CHECK_INT(v.type, KILN_VALUE_LIST);
    CHECK_INT(kiln_value_entry(ctx, 1, &a, &k, &v), 0);
    CHECK_VIEW(k, "bare");
    CHECK_INT(kiln_value_entry(ctx, 2, &a, &k, &v), KILN_ENOTFOUND);
    kiln_value obj = kiln_value_object(&row_class, &rows[1]);
    CHECK_INT(kiln_value_entry(obj, 1, &a, &k, &v), 0);
    CHECK_VIEW(k, "title");
    CHECK_VIEW(v.u.s, "two");
    CHECK_INT(kiln_value_entry(obj, 2, &a, &k, &v), KILN_ENOTFOUND);
    CHECK_INT(kiln_value_entry(kiln_value_object(&bare_class, &rows[0]), 0, &a,
                               &k, &v),
              KILN_EINVAL);
    CHECK_INT(kiln_value_entry(list, 0, &a, &k, &v), KILN_EINVAL);
    kiln_buf_deinit(&out);
    kiln_tpl_set_free(set);
    kiln_arena_deinit(&a);
}

/* ---- limits ------------------------------------------------------------ */

TEST(tpl_limits)
{
    kiln_tpl_options o = {.max_steps = 1000};
    CHECK(
        strstr(render_opt(&o, "{% for i in range(99999) %}{% endfor %}", NULL),
               "ERROR -5: t:1:4: more than max_steps (1000)"));
    o = (kiln_tpl_options){.max_output = 100};
    CHECK(strstr(render_opt(&o, "{% for i in range(99) %}xx{% endfor %}", NULL),
                 "output larger than max_output"));
    CHECK(strstr(render_opt(&o, "{{ 'x' * 1000 }}", NULL),
                 "repetition too large"));
    CHECK(
        strstr(render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", NULL),
               "templates nest too deeply"));
    o = (kiln_tpl_options){.max_stack = 1 << 20};
    CHECK(strstr(render_opt(&o,
                            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}"
                            "{{ f(0) }}",
                            NULL),
                 "ERROR -5"));
    /* deep nesting is refused at compile time */
    char deep[2048] = "{{ ";
    for (int i = 0; i < 500; i++)
        strcat(deep, "(");
    CHECK(strstr(render(deep, NULL), "nesting too deep"));
    /* a namespace doubling a string cannot run away either */
    o = (kiln_tpl_options){.max_output = 1 << 16};
    CHECK(strstr(render_opt(&o,
                            "{% set ns = namespace(s='ab') %}"
                            "{% for i in range(40) %}"
                            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                            NULL),
                 "output larger than max_output"));
}

TEST(tpl_recursive_include_is_bounded)
{
    kiln_tpl_set *s = set_of(NULL, "r.html",
                             "{% if n < 5 %}{{ n }}{% with n = n + 1 %}"
                             "{% include 'r.html' %}{% endwith %}{% endif %}",
                             "loop.html", "{% include 'loop.html' %}",
                             "e1.html", "{% extends 'e2.html' %}", "e2.html",
                             "{% extends 'e1.html' %}", NULL);
    CHECK_STR(render_set(s, "r.html", NULL, "{\"n\":0}"), "01234");
    CHECK(strstr(render_set(s, "loop.html", NULL, NULL), "ERROR -5"));
    CHECK(strstr(render_set(s, "e1.html", NULL, NULL),
                 "templates extend each other"));
    kiln_tpl_set_free(s);
}

/* ---- the loader -------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    fclose(f);
}

TEST(tpl_loader_search_path)
{
    char d1[] = "/tmp/kiln-tpl-XXXXXX", d2[] = "/tmp/kiln-tpl-XXXXXX";
    CHECK(mkdtemp(d1) && mkdtemp(d2));
    char sub[600];
    snprintf(sub, sizeof(sub), "%s/pages", d1);
    CHECK(mkdir(sub, 0700) == 0);
    write_file(d1, "base.html", "<b>{% block c %}{% endblock %}</b>");
    write_file(d1, "pages/a.html",
               "{% extends 'base.html' %}{% block c %}"
               "{% include 'part.html' %}{% endblock %}");
    write_file(d2, "part.html", "part from d2");
    write_file(d2, "base.html", "shadowed");
    write_file(d2, "notes.md", "{% broken");

    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error err;
    CHECK_INT(kiln_tpl_set_add_dir(set, d1), 0);
    CHECK_INT(kiln_tpl_set_add_dir(set, d2), 0);
    CHECK_INT(kiln_tpl_set_add_dir(set, ""), KILN_EINVAL);
    CHECK_INT(kiln_tpl_set_load(set, "pages/a.html", &err), 0);
    CHECK(kiln_tpl_set_has(set, "base.html")); /* loaded as a dependency */
    CHECK(kiln_tpl_set_has(set, "part.html"));
    CHECK_STR(render_set(set, "pages/a.html", NULL, NULL),
              "<b>part from d2</b>");
    CHECK_INT(kiln_tpl_set_load(set, "../etc/passwd", &err), KILN_EINVAL);
    CHECK_INT(kiln_tpl_set_load(set, "/etc/passwd", &err), KILN_EINVAL);
    CHECK_INT(kiln_tpl_set_load(set, "a//b", &err), KILN_EINVAL);
    CHECK_INT(kiln_tpl_set_load(set, "pages", &err), KILN_ENOTFOUND);
    CHECK_INT(kiln_tpl_set_load(set, "nope.html", &err), KILN_ENOTFOUND);
    CHECK_STR(err.text, "nope.html: template not found");
    kiln_tpl_set_free(set);

    /* load_all compiles every template file; a missing dependency fails
     * with the position of the name */
    write_file(d2, "bad.html", "x\n{% include 'gone.html' %}");
    set = kiln_tpl_set_new(NULL);
    kiln_tpl_set_add_dir(set, d1);
    kiln_tpl_set_add_dir(set, d2);
    CHECK_INT(kiln_tpl_set_load_all(set, &err), KILN_ENOTFOUND);
    CHECK_STR(err.text, "bad.html:2:12: template 'gone.html' not found\n"
                        "  {% include 'gone.html' %}\n             ^");
    write_file(d2, "bad.html", "{% include 'part.html' %}{{ x|nope }}");
    CHECK_INT(kiln_tpl_set_load_all(set, &err), KILN_EPARSE);
    CHECK_STR(err.msg, "unknown filter 'nope'");
    write_file(d2, "bad.html", "fixed");
    CHECK_INT(kiln_tpl_set_load_all(set, &err), 0);
    CHECK(kiln_tpl_set_has(set, "pages/a.html"));
    CHECK(!kiln_tpl_set_has(set, "notes.md"));
    kiln_tpl_set_free(set);

    /* include cycles load fine (resolved at render time) */
    write_file(d1, "c1.html", "{% if n %}1{% include 'c2.html' %}{% endif %}");
    write_file(d1, "c2.html",
               "2{% with n = 0 %}{% include 'c1.html' %}"
               "{% endwith %}");
    set = kiln_tpl_set_new(NULL);
    kiln_tpl_set_add_dir(set, d1);
    CHECK_INT(kiln_tpl_set_load(set, "c1.html", &err), 0);
    CHECK_STR(render_set(set, "c1.html", NULL, "{\"n\":1}"), "12");
    kiln_tpl_set_free(set);

    char cmd[1300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", d1, d2);
    CHECK(system(cmd) == 0);
}

TEST(tpl_no_autoescape_option)
{
    kiln_tpl_options o = {.no_autoescape = true};
    CHECK_STR(render_opt(&o, "{{ s }} {{ [s]|join('<') }} {{ s|e }}",
                         "{\"s\":\"<b>\"}"),
              "<b> <b> &lt;b&gt;");
}

TEST(tpl_arena_reuse_and_appending)
{
    /* output is appended after what out holds; the arena may be reset and
     * reused between renders */
    kiln_tpl_set *set = set_of(NULL, "t",
                               "{% for x in xs %}{{ x ~ '!' }}"
                               "{% endfor %}",
                               NULL);
    kiln_arena a;
    kiln_arena_init(&a, 1024);
    kiln_buf out;
    kiln_buf_init(&out);
    kiln_buf_puts(&out, "HEAD:");
    kiln_tpl_error err;
    for (int round = 0; round < 3; round++) {
        kiln_value ctx = kiln_value_map(&a), xs = kiln_value_list(&a);
        for (int i = 0; i < 200; i++)
            kiln_value_push(xs, kiln_value_int(i));
        kiln_value_set(ctx, "xs", xs);
        CHECK_INT(kiln_tpl_render(set, "t", ctx, &a, &out, &err), 0);
        kiln_arena_reset(&a);
    }
    CHECK(strncmp(out.p, "HEAD:0!1!2!", 11) == 0);
    CHECK(out.p[out.n] == '\0');
    kiln_buf_deinit(&out);
    kiln_arena_deinit(&a);
    kiln_tpl_set_free(set);
}

TEST(html_escape_from_c)
{
    kiln_buf b;
    kiln_buf_init(&b);
    /* runs longer than the 16-byte clean-block scan, specials at the ends */
    const char *in = "<a href=\"x\">Tom & Jerry's 0123456789abcdef</a>";
    CHECK_INT(kiln_html_escape(&b, in, strlen(in)), 0);
    CHECK_VIEW(kiln_buf_str(&b), "&lt;a href=&#34;x&#34;&gt;Tom &amp; "
                                 "Jerry&#39;s 0123456789abcdef&lt;/a&gt;");
    kiln_buf_clear(&b);
    CHECK_INT(kiln_html_escape(&b, "plain text without specials, long", 33), 0);
    CHECK_VIEW(kiln_buf_str(&b), "plain text without specials, long");
    kiln_buf_clear(&b);
    CHECK_INT(kiln_html_escape(&b, "", 0), 0);
    CHECK_INT(b.n, 0);
    kiln_buf_deinit(&b);
}
