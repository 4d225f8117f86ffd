/*
 * tests/frontend/test_frontend.c - the hybrid and islands joins: Vite's
 * manifest parser, the tags of an entry (release and dev server), the
 * island markup and its props escaping, and the template functions
 * vite_assets() and island().
 */
#include "frontend/frontend.h"
#include "frontend/manifest.h"
#include "test.h"

/* A manifest as Vite 6 writes it: an entry importing a shared chunk that
   has its own CSS, a dynamic import (never preloaded), an asset. */
static const char manifest_json[] =
    "{\n"
    "  \"_shared-B7PI925R.js\": {\n"
    "    \"file\": \"assets/shared-B7PI925R.js\",\n"
    "    \"name\": \"shared\",\n"
    "    \"css\": [\"assets/shared-ChJ_j-JJ.css\"]\n"
    "  },\n"
    "  \"src/lazy.tsx\": {\n"
    "    \"file\": \"assets/lazy-CJ0nIaBv.js\",\n"
    "    \"src\": \"src/lazy.tsx\",\n"
    "    \"isDynamicEntry\": true,\n"
    "    \"imports\": [\"_shared-B7PI925R.js\"]\n"
    "  },\n"
    "  \"src/main.tsx\": {\n"
    "    \"file\": \"assets/main-BRBmoGS9.js\",\n"
    "    \"src\": \"src/main.tsx\",\n"
    "    \"isEntry\": true,\n"
    "    \"imports\": [\"_shared-B7PI925R.js\"],\n"
    "    \"dynamicImports\": [\"src/lazy.tsx\"],\n"
    "    \"css\": [\"assets/main-CK4eqvYB.css\", "
    "\"assets/shared-ChJ_j-JJ.css\"]\n"
    "  },\n"
    "  \"src/logo.svg\": {\"file\": \"assets/logo-BuPIv-1h.svg\", "
    "\"src\": \"src/logo.svg\"}\n"
    "}\n";

static int parse(kiln_arena *a, const char *text, vite_manifest *m, char *err)
{
    return vite_manifest_parse(a, text, strlen(text), m, err, 256);
}

TEST(manifest_parses_vite_output)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    vite_manifest m;
    char err[256];
    CHECK_INT(parse(&a, manifest_json, &m, err), 0);
    CHECK_INT((int)m.n, 4);
    const vite_chunk *c = vite_manifest_find(&m, KILN_STR("src/main.tsx"));
    CHECK(c != NULL);
    CHECK(c->is_entry);
    CHECK_STR(c->file.p, "assets/main-BRBmoGS9.js");
    CHECK_INT((int)c->ncss, 2);
    CHECK_INT((int)c->nimports, 1);
    CHECK(!vite_manifest_find(&m, KILN_STR("src/nope.tsx")));
    CHECK(!vite_manifest_find(&m, KILN_STR("src/main.ts")));
    kiln_arena_deinit(&a);
}

/* Each bad manifest fails with a message that names what is wrong. */
TEST(manifest_refuses_bad_input)
{
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{\"a\": 1}", "'a' is not an object"},
        {"{\"a\": {}}", "'a' has no \"file\""},
        {"{\"a\": {\"file\": 3}}", "'a' has no \"file\""},
        {"{\"a\": {\"file\": \"/etc/passwd\"}}", "plain relative path"},
        {"{\"a\": {\"file\": \"../x.js\"}}", "plain relative path"},
        {"{\"a\": {\"file\": \"x/../../y.js\"}}", "plain relative path"},
        {"{\"a\": {\"file\": \"javascript:alert(1)\"}}", "plain relative"},
        {"{\"a\": {\"file\": \"a\\\\b.js\"}}", "plain relative path"},
        {"{\"a\": {\"file\": \"a.js\", \"css\": \"a.css\"}}",
         "\"css\" is not an array"},
        {"{\"a\": {\"file\": \"a.js\", \"css\": [1]}}", "other than strings"},
        {"{\"a\": {\"file\": \"a.js\", \"css\": [\"../a.css\"]}}",
         "\"css\" names a file"},
        {"{\"a\": {\"file\": \"a.js\", \"imports\": [\"_b.js\"]}}",
         "'a' imports '_b.js', which is not in the manifest"},
        {"{\"a\": {\"file\": \"a.js\", \"isEntry\": 1}}", "\"isEntry\""},
        {"{\"a\": {\"file\": \"a.js\"}, \"a\": {\"file\": \"b.js\"}}",
         "'a' appears twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kiln_arena a;
        kiln_arena_init(&a, 0);
        vite_manifest m;
        char err[256];
        int rc = parse(&a, bad[i].text, &m, err);
        if (rc != KILN_EPARSE || !strstr(err, bad[i].says))
            test_fail(__FILE__, __LINE__, "manifest %s: rc %d, err '%s'",
                      bad[i].text, rc, err);
        CHECK_INT((int)m.n, 0);
        kiln_arena_deinit(&a);
    }
}

TEST(tags_of_an_entry)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    vite_manifest m;
    char err[256];
    CHECK_INT(parse(&a, manifest_json, &m, err), 0);
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(
        vite_tags(&m, KILN_STR("src/main.tsx"), KILN_STR("/static/dist/"), &b),
        0);
    /* the entry's CSS, the shared chunk's CSS once, its preload, the
       script; never the dynamic import */
    CHECK_STR(b.p, "<link rel=\"stylesheet\" "
                   "href=\"/static/dist/assets/main-CK4eqvYB.css\">\n"
                   "<link rel=\"stylesheet\" "
                   "href=\"/static/dist/assets/shared-ChJ_j-JJ.css\">\n"
                   "<link rel=\"modulepreload\" "
                   "href=\"/static/dist/assets/shared-B7PI925R.js\">\n"
                   "<script type=\"module\" "
                   "src=\"/static/dist/assets/main-BRBmoGS9.js\"></script>");
    kiln_buf_clear(&b);
    CHECK_INT(vite_tags(&m, KILN_STR("src/nope.tsx"), KILN_STR("/s/"), &b),
              KILN_ENOTFOUND);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

/* A chain and a cycle of imports: each chunk once, breadth first; the
   styles of a chunk imported deeper are still linked. */
TEST(tags_follow_imports_once)
{
    static const char text[] =
        "{\"e\": {\"file\": \"e.js\", \"imports\": [\"_a\", \"_b\"]},"
        " \"_a\": {\"file\": \"a.js\", \"imports\": [\"_c\", \"e\"]},"
        " \"_b\": {\"file\": \"b.js\", \"imports\": [\"_a\"]},"
        " \"_c\": {\"file\": \"c.js\", \"css\": [\"c.css\"],"
        " \"imports\": [\"_a\"]}}";
    kiln_arena a;
    kiln_arena_init(&a, 0);
    vite_manifest m;
    char err[256];
    CHECK_INT(parse(&a, text, &m, err), 0);
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(vite_tags(&m, KILN_STR("e"), KILN_STR("/"), &b), 0);
    CHECK_STR(b.p, "<link rel=\"stylesheet\" href=\"/c.css\">\n"
                   "<link rel=\"modulepreload\" href=\"/a.js\">\n"
                   "<link rel=\"modulepreload\" href=\"/b.js\">\n"
                   "<link rel=\"modulepreload\" href=\"/c.js\">\n"
                   "<script type=\"module\" src=\"/e.js\"></script>");
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

TEST(tags_escape_urls)
{
    static const char text[] = "{\"e\": {\"file\": \"a\\\"b'<c>&.js\"}}";
    kiln_arena a;
    kiln_arena_init(&a, 0);
    vite_manifest m;
    char err[256];
    CHECK_INT(parse(&a, text, &m, err), 0);
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(vite_tags(&m, KILN_STR("e"), KILN_STR("/x&y/"), &b), 0);
    CHECK_STR(b.p, "<script type=\"module\" "
                   "src=\"/x&amp;y/a&quot;b&#39;&lt;c&gt;&amp;.js\"></script>");
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

TEST(dev_tags)
{
    kiln_buf b;
    kiln_buf_init(&b);
    CHECK_INT(vite_dev_tags(KILN_STR("http://127.0.0.1:5173"),
                            KILN_STR("src/main.tsx"), false, &b),
              0);
    CHECK_STR(b.p, "<script type=\"module\" "
                   "src=\"http://127.0.0.1:5173/@vite/client\"></script>\n"
                   "<script type=\"module\" "
                   "src=\"http://127.0.0.1:5173/src/main.tsx\"></script>");
    kiln_buf_clear(&b);
    /* React's fast refresh: the preamble first, from the same server */
    CHECK_INT(
        vite_dev_tags(KILN_STR("http://h:1"), KILN_STR("a.tsx"), true, &b), 0);
    CHECK(strncmp(b.p,
                  "<script type=\"module\">import RefreshRuntime from "
                  "\"http://h:1/@react-refresh\";",
                  strlen("<script type=\"module\">import RefreshRuntime "
                         "from \"http://h:1/@react-refresh\";")) == 0);
    CHECK(strstr(b.p, "__vite_plugin_react_preamble_installed__ = true;"
                      "</script>\n<script type=\"module\" "
                      "src=\"http://h:1/@vite/client\"></script>\n") != NULL);
    kiln_buf_deinit(&b);
}

TEST(island_markup_escapes_props)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_str props = KILN_STR("{\"t\": \"</script><!-- 'x' & \\u2028\"}");
    CHECK_INT(frontend_island_markup(&b, KILN_STR("Counter"), props,
                                     (kiln_str){NULL, 0}),
              0);
    CHECK_STR(b.p, "<div data-island=\"Counter\" data-props=\"{&quot;t&quot;: "
                   "&quot;&lt;/script&gt;&lt;!-- &#39;x&#39; &amp; "
                   "\\u2028&quot;}\"></div>");
    kiln_buf_clear(&b);
    /* server-rendered HTML goes inside, marked for hydration */
    CHECK_INT(frontend_island_markup(&b, KILN_STR("ui.Counter"), KILN_STR("{}"),
                                     KILN_STR("<b>3</b>")),
              0);
    CHECK_STR(b.p, "<div data-island=\"ui.Counter\" data-props=\"{}\" "
                   "data-ssr><b>3</b></div>");
    kiln_buf_clear(&b);
    static const char *bad[] = {"",     "1Counter", "Count er",
                                "a\"b", "<script>", "a-b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(frontend_island_markup(&b, kiln_str_c(bad[i]), KILN_STR("{}"),
                                         (kiln_str){NULL, 0}),
                  KILN_EINVAL);
    CHECK_INT((int)b.n, 0);
    kiln_buf_deinit(&b);
}

/* Renders src with island() and vite_assets() set as a project sets
   them (no manifest, no dev server: vite_assets() is an error). */
static int render(const char *src, kiln_value ctx, kiln_arena *a, kiln_buf *out,
                  kiln_tpl_error *te)
{
    kiln_tpl_options o = {0};
    frontend_tpl_options(&o);
    kiln_tpl_set *set = kiln_tpl_set_new(&o);
    int rc = kiln_tpl_set_add(set, "page.html", src, strlen(src), te);
    if (rc == 0)
        rc = kiln_tpl_render(set, "page.html", ctx, a, out, te);
    kiln_tpl_set_free(set);
    return rc;
}

TEST(island_in_a_template)
{
    kiln_arena a;
    kiln_arena_init(&a, 0);
    kiln_value ctx = kiln_value_map(&a);
    kiln_value props = kiln_value_map(&a);
    /* a title that tries every way out of the attribute or a script */
    CHECK_INT(kiln_value_set(
                  props, "title",
                  kiln_value_str(KILN_STR(
                      "</script><!--\"q\" 'a' \xe2\x80\xa8 \xe2\x80\xa9"))),
              0);
    CHECK_INT(kiln_value_set(props, "n", kiln_value_int(3)), 0);
    CHECK_INT(kiln_value_set(ctx, "props", props), 0);
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_tpl_error te;
    int rc = render("{{ island('Counter', props) }}|"
                    "{{ island('Counter', start=2, label='<x>') }}",
                    ctx, &a, &b, &te);
    if (rc)
        test_fail(__FILE__, __LINE__, "%s", te.text);
    CHECK_STR(b.p,
              "<div data-island=\"Counter\" data-props=\"{&quot;n&quot;: 3, "
              "&quot;title&quot;: &quot;\\u003c/script\\u003e\\u003c!--"
              "\\&quot;q\\&quot; \\u0027a\\u0027 \\u2028 \\u2029&quot;}\">"
              "</div>|<div data-island=\"Counter\" data-props=\"{&quot;"
              "label&quot;: &quot;\\u003cx\\u003e&quot;, &quot;start&quot;: "
              "2}\"></div>");
    kiln_buf_clear(&b);
    CHECK_INT(render("{{ island('no good') }}", ctx, &a, &b, &te), KILN_EINVAL);
    CHECK(strstr(te.text, "not a component name") != NULL);
    CHECK_INT(render("{{ island(3) }}", ctx, &a, &b, &te), KILN_EINVAL);
    CHECK(strstr(te.text, "island() takes a component name") != NULL);
    CHECK_INT(render("\n{{ vite_assets('src/main.tsx') }}", ctx, &a, &b, &te),
              KILN_EINVAL);
    CHECK_INT(te.line, 2);
    CHECK(strstr(te.text, "set frontend.manifest") != NULL);
    kiln_buf_deinit(&b);
    kiln_arena_deinit(&a);
}

/* The start-up check sees the literal vite_assets() calls only, not
   url() nor a computed entry, and names the failing call's line. */
static int seen_calls;
static int only_main(void *ud, kiln_str entry, char *msg, size_t msglen)
{
    (void)ud;
    seen_calls++;
    if (kiln_str_eq(entry, KILN_STR("src/main.tsx")))
        return 0;
    snprintf(msg, msglen, "not built");
    return KILN_ENOTFOUND;
}

TEST(check_assets_at_start_up)
{
    static const char src[] =
        "{{ url('home') }}{{ vite_assets('src/main.tsx') }}\n"
        "{{ vite_assets(entry) }}\n"
        "  {{ vite_assets('src/gone.tsx') }}";
    kiln_tpl_set *set = kiln_tpl_set_new(NULL);
    kiln_tpl_error te;
    CHECK_INT(kiln_tpl_set_add(set, "p.html", src, strlen(src), &te), 0);
    seen_calls = 0;
    CHECK_INT(kiln_tpl_check_assets(set, "p.html", only_main, NULL, &te),
              KILN_EINVAL);
    CHECK_INT(seen_calls, 2);
    CHECK_INT(te.line, 3);
    CHECK_STR(te.msg, "vite_assets('src/gone.tsx'): not built");
    CHECK_INT(kiln_tpl_check_assets(set, "nope.html", only_main, NULL, &te),
              KILN_ENOTFOUND);
    kiln_tpl_set_free(set);
}
