/*
 * tests/openapi/test_ts.c - the TypeScript walker (src/openapi/ts.c) over
 * hand-built models: the files written, the TypeScript type of every field
 * type, optional keys of inputs and patches, named enums shared by their
 * parts, the operations a model exposes (and one a hand-written route
 * replaces), the one-line keys, calls and hooks of a model's file and
 * the generic makers they use (client.ts, query.ts), endpoint functions (path
 * parameters encoded, files sent as a form), help text that would end a
 * comment. tsc itself compiles the output in tests/blackbox/test_types.py.
 */
#include "openapi/ts.h"
#include "test.h"

#include <string.h>

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define F(N, T)                                                                \
    .name = N, .label = N, .type = T, .min_length = -1, .max_length = -1

static const char *const kinds[] = {"bug", "idea"};
static const char *const filters[] = {"kind", "opened", "title", "owner"};
static const char *const ordering[] = {"opened"};
static const char *const expand[] = {"owner"};

static const kiln_field owner_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F("name", KILN_FT_STRING)},
};
static const kiln_model owner_model = {.name = "owner",
                                       .table = "owner",
                                       .label = "owner",
                                       .label_plural = "owners",
                                       .fields = owner_fields,
                                       .nfields = 2};

static const kiln_field issue_fields[] = {
    {F("id", KILN_FT_INT), .flags = KILN_FF_PK | KILN_FF_READ_ONLY},
    {F("title", KILN_FT_STRING), .help = "Ends a comment */ here"},
    {F("kind", KILN_FT_ENUM), .values = kinds, .nvalues = 2, .def = "\"bug\""},
    {F("cost", KILN_FT_DECIMAL), .flags = KILN_FF_OPTIONAL, .precision = 6,
     .scale = 2},
    {F("opened", KILN_FT_DATE)},
    {F("at", KILN_FT_DATETIME), .flags = KILN_FF_AUTO_CREATED},
    {F("done", KILN_FT_BOOL), .def = "false"},
    {F("meta", KILN_FT_JSON), .flags = KILN_FF_OPTIONAL},
    {F("owner", KILN_FT_REF), .flags = KILN_FF_OPTIONAL, .ref = &owner_model},
    {F("tags", KILN_FT_MANY), .ref = &owner_model},
    {F("secret", KILN_FT_STRING), .flags = KILN_FF_WRITE_ONLY},
};
static const kiln_model_api issue_api = {
    .ops = KILN_API_LIST | KILN_API_RETRIEVE | KILN_API_CREATE |
           KILN_API_PATCH | KILN_API_DELETE,
    .path = "issue-items",
    .filters = filters,
    .nfilters = 4,
    .ordering = ordering,
    .nordering = 1,
    .expand = expand,
    .nexpand = 1,
    .page_size = 20,
    .max_page_size = 100};
static const kiln_model issue_model = {.name = "issue_item",
                                       .table = "issue_item",
                                       .label = "issue",
                                       .label_plural = "issues",
                                       .fields = issue_fields,
                                       .nfields = 11,
                                       .api = &issue_api};

/* an endpoint: POST /api/files/{...path} with a file, a list, a nested
   object and the model's enum in its body */
static const kiln_field path_fields[] = {{F("path", KILN_FT_STRING)}};
static const kiln_model up_path = {.name = "upload_path",
                                   .fields = path_fields,
                                   .nfields = 1,
                                   .flags = KILN_MF_ENDPOINT};
static const kiln_field meta_fields[] = {{F("w", KILN_FT_INT)}};
static const kiln_model up_meta = {.name = "upload_meta",
                                   .fields = meta_fields,
                                   .nfields = 1,
                                   .flags = KILN_MF_ENDPOINT};
static const kiln_field body_fields[] = {
    {F("file", KILN_FT_FILE)},
    {F("names", KILN_FT_LIST), .item_type = KILN_FT_STRING},
    {F("size", KILN_FT_OBJECT), .ref = &up_meta},
    {F("kind", KILN_FT_ENUM), .values = kinds, .nvalues = 2},
};
static const kiln_model up_body = {.name = "upload_body",
                                   .fields = body_fields,
                                   .nfields = 4,
                                   .flags = KILN_MF_ENDPOINT};
static const kiln_response up_resp[] = {{201, &issue_model, true, NULL}};
static const kiln_endpoint upload_ep = {.method = "POST",
                                        .route = "/api/files/{...path}",
                                        .name = "upload",
                                        .summary = "Upload",
                                        .path = &up_path,
                                        .body = &up_body,
                                        .responses = up_resp,
                                        .nresponses = 1,
                                        .file = "api/files/[...path].toml"};

static kiln_model *const models[] = {(kiln_model *)&owner_model,
                                     (kiln_model *)&issue_model};

static const oapi_route routes[] = {
    {"POST", "/api/files/{...path}", "api/files/[...path].c", false,
     &upload_ep},
    /* a hand-written delete replaces the generated one */
    {"DELETE", "/api/issue-items/{id}", "api/issue-items/[id].c", false, NULL},
    {"GET", "/", "pages/index.html", true, NULL},
};

static ts_files fs;

static void write_all(void)
{
    oapi_doc d = {.title = "t",
                  .models = models,
                  .nmodels = 2,
                  .routes = routes,
                  .nroutes = 3};
    CHECK_INT(ts_write(&d, &fs), 0);
}

/* The text of file name ("" when missing), NUL-terminated. */
static const char *file(const char *name)
{
    for (size_t i = 0; i < fs.n; i++)
        if (strcmp(fs.v[i].name, name) == 0) {
            kiln_buf_reserve(&fs.v[i].text, 1);
            fs.v[i].text.p[fs.v[i].text.n] = 0;
            return fs.v[i].text.p;
        }
    return "";
}

/* The lines of "export interface NAME {" up to its "}". */
static char *iface(const char *text, const char *name, char *out, size_t n)
{
    char head[128];
    snprintf(head, sizeof head, "export interface %s {\n", name);
    const char *p = strstr(text, head);
    out[0] = 0;
    if (p) {
        p += strlen(head);
        const char *e = strstr(p, "\n}");
        snprintf(out, n, "%.*s", e ? (int)(e - p) + 1 : 0, p);
    }
    return out;
}

TEST(ts_files_written)
{
    write_all();
    static const char *const want[] = {"client.ts",    "types.ts",
                                       "query.ts",     "issue-items.ts",
                                       "endpoints.ts", "index.ts"};
    CHECK_INT(fs.n, 6);
    for (size_t i = 0; i < fs.n && i < 6; i++)
        CHECK_STR(fs.v[i].name, want[i]);
    const char *index = file("index.ts");
    CHECK(strstr(index, "export * from \"./issue-items\";\n"));
    CHECK(strstr(index, "export * from \"./endpoints\";\n"));
    /* no file for the model without [api] */
    CHECK(!strstr(index, "owners"));
    CHECK(strstr(file("types.ts"), "/** An owner, as the API answers it. */"));
    ts_files_free(&fs);
    CHECK_INT(fs.n, 0);
}

TEST(ts_field_types)
{
    write_all();
    const char *t = file("types.ts");
    char out[4096];
    iface(t, "IssueItem", out, sizeof out);
    CHECK(strstr(out, "  id: number;\n"));
    CHECK(strstr(out, "  kind: IssueItemKind;\n"));
    CHECK(strstr(out, "  cost: string | null;\n")); /* decimal as text */
    CHECK(strstr(out, "  opened: string;\n"));
    CHECK(strstr(out, "  at: string;\n"));
    CHECK(strstr(out, "  done: boolean;\n"));
    CHECK(strstr(out, "  meta: unknown | null;\n"));
    CHECK(strstr(out, "  owner: number | Owner | null;\n")); /* expand */
    CHECK(strstr(out, "  tags: number[];\n"));
    CHECK(!strstr(out, "secret")); /* write-only */
    /* help text that would end the comment */
    CHECK(strstr(out, "/** Ends a comment * / here */"));
    CHECK(!strstr(t, "comment */ here"));
    iface(t, "IssueItemInput", out, sizeof out);
    CHECK(!strstr(out, " id") && !strstr(out, " at"));
    CHECK(strstr(out, "  title: string;\n"));         /* required */
    CHECK(strstr(out, "  kind?: IssueItemKind;\n"));  /* a default */
    CHECK(strstr(out, "  owner?: number | null;\n")); /* no expand in */
    CHECK(strstr(out, "  tags?: number[];\n"));       /* absent: empty */
    CHECK(strstr(out, "  secret: string;\n"));
    iface(t, "IssueItemPatch", out, sizeof out);
    CHECK(strstr(out, "  title?: string;\n"));
    CHECK(strstr(out, "  opened?: string;\n"));
    /* the enum: a union and its values, written before its first use */
    const char *e =
        strstr(t, "export type IssueItemKind = \"bug\" | \"idea\";");
    CHECK(e && e < strstr(t, "export interface IssueItem {"));
    CHECK(strstr(t, "export const issueItemKindValues: readonly "
                    "IssueItemKind[] = [\"bug\", \"idea\"];"));
    CHECK(!strstr(t, "IssueItemKind2"));
    iface(t, "IssueItemPage", out, sizeof out);
    CHECK(strstr(out, "  items: IssueItem[];\n  next: string | null;\n"
                      "  count?: number;"));
    ts_files_free(&fs);
}

TEST(ts_list_params)
{
    write_all();
    const char *t = file("types.ts");
    char out[4096];
    iface(t, "IssueItemListParams", out, sizeof out);
    CHECK(strstr(out, "  ordering?: IssueItemOrdering | readonly "
                      "IssueItemOrdering[];\n"));
    CHECK(strstr(t, "  | \"opened\"\n  | \"-opened\"\n  | \"id\"\n"
                    "  | \"-id\";"));
    CHECK(strstr(out, "  kind__in?: readonly IssueItemKind[];\n"));
    CHECK(!strstr(out, "kind__lt")); /* an enum is not ordered */
    CHECK(strstr(out, "  opened__gte?: string;\n"));
    CHECK(strstr(out, "  title__icontains?: string;\n"));
    CHECK(!strstr(out, "opened__contains"));
    CHECK(strstr(out, "  owner?: number;\n  owner__ne?: number;\n"));
    CHECK(strstr(out, "  owner__isnull?: boolean;\n")); /* optional only */
    CHECK(!strstr(out, "title__isnull"));
    CHECK(strstr(out, "  expand?: IssueItemExpand | readonly "
                      "IssueItemExpand[];\n"));
    CHECK(!strstr(out, "search")); /* none declared */
    ts_files_free(&fs);
}

/* The number of lines of s, and whether one passes 80 columns. */
static size_t lines_of(const char *s, bool *wide)
{
    size_t n = 0;
    *wide = false;
    for (const char *p = s; *p; n++) {
        const char *e = strchr(p, '\n');
        if (!e)
            e = p + strlen(p);
        *wide |= e - p > 80;
        p = *e ? e + 1 : e;
    }
    return n;
}

TEST(ts_model_file)
{
    write_all();
    const char *m = file("issue-items.ts");
    /* one line each: the keys, the calls and the hooks */
    CHECK(strstr(m, "export const issueItemKeys = "
                    "queryKeys<IssueItemListParams>(\"issue-items\");\n"));
    CHECK(strstr(m, "/** GET /api/issue-items: a page of issues. */\n"
                    "export const listIssueItems =\n"
                    "  listCall<IssueItemListParams, IssueItemPage>"
                    "(\"/api/issue-items\");\n"));
    CHECK(strstr(m, "export const getIssueItem = "
                    "getCall<IssueItem>(\"/api/issue-items\");\n"));
    CHECK(strstr(m, "export const createIssueItem =\n"
                    "  createCall<IssueItemInput, IssueItem>("
                    "\"/api/issue-items\");\n"));
    CHECK(strstr(m, "export const patchIssueItem =\n"
                    "  patchCall<IssueItemPatch, IssueItem>("
                    "\"/api/issue-items\");\n"));
    CHECK(strstr(m, "export const useListIssueItems = "
                    "listQuery(issueItemKeys, listIssueItems);\n"));
    CHECK(strstr(m, "export const useListIssueItemsInfinite =\n"
                    "  infiniteListQuery(issueItemKeys, listIssueItems);\n"));
    CHECK(strstr(m, "export const useGetIssueItem = "
                    "rowQuery(issueItemKeys, getIssueItem);\n"));
    CHECK(strstr(m, "export const useCreateIssueItem =\n"
                    "  createMutation(issueItemKeys, createIssueItem);\n"));
    CHECK(strstr(m, "export const usePatchIssueItem = "
                    "updateMutation(issueItemKeys, patchIssueItem);\n"));
    CHECK(!strstr(m, "updateIssueItem")); /* not an operation */
    CHECK(!strstr(m, "deleteIssueItem")); /* replaced by a handler */
    CHECK(!strstr(m, "DeleteIssueItem"));
    /* the logic is in query.ts and client.ts, once: no function here */
    CHECK(!strstr(m, "function") && !strstr(m, "=>") && !strstr(m, "return"));
    bool wide;
    size_t n = lines_of(m, &wide);
    CHECK(n <= 50);
    CHECK(!wide);
    /* the imports name what is used, nothing else */
    CHECK(strstr(m, "import { createCall, getCall, listCall, patchCall } "
                    "from \"./client\";\n"));
    CHECK(strstr(m, "import {\n  createMutation,\n  infiniteListQuery,\n"
                    "  listQuery,\n  queryKeys,\n  rowQuery,\n"
                    "  updateMutation,\n} from \"./query\";\n"));
    CHECK(strstr(m, "import type {\n  IssueItem,\n  IssueItemInput,\n"
                    "  IssueItemListParams,\n  IssueItemPage,\n"
                    "  IssueItemPatch,\n} from \"./types\";"));
    ts_files_free(&fs);
}

TEST(ts_model_file_imports_only_what_it_uses)
{
    /* list and delete only: no row type, no hook of a row */
    static const kiln_model_api api = {.ops = KILN_API_LIST | KILN_API_DELETE,
                                       .path = "owners"};
    kiln_model m = owner_model;
    m.api = &api;
    kiln_model *ms[] = {&m};
    oapi_doc d = {.models = ms, .nmodels = 1};
    CHECK_INT(ts_write(&d, &fs), 0);
    const char *o = file("owners.ts");
    CHECK(strstr(o, "import { deleteCall, listCall } from \"./client\";\n"));
    CHECK(strstr(o, "import {\n  deleteMutation,\n  infiniteListQuery,\n"
                    "  listQuery,\n  queryKeys,\n} from \"./query\";\n"));
    CHECK(strstr(o, "import type { OwnerListParams, OwnerPage } from "
                    "\"./types\";\n"));
    CHECK(
        strstr(o, "export const deleteOwner = deleteCall(\"/api/owners\");\n"));
    CHECK(strstr(o, "export const useDeleteOwner = "
                    "deleteMutation(ownerKeys, deleteOwner);\n"));
    CHECK(!strstr(o, "rowQuery") && !strstr(o, "getOwner"));
    ts_files_free(&fs);
}

/* The generic makers every model's file uses, once. */
TEST(ts_shared_makers)
{
    write_all();
    const char *c = file("client.ts");
    CHECK(strstr(c, "export function listCall<P extends object, R>("
                    "path: string) {\n"));
    CHECK(strstr(c, "export function patchCall<B, R>(path: string) {\n"));
    CHECK(strstr(c, "contentType: \"application/merge-patch+json\",\n"));
    CHECK(strstr(c, "return request<void>(\"DELETE\", `${path}/${id}`, "
                    "options);\n"));
    const char *q = file("query.ts");
    CHECK(strstr(q, "export function queryKeys<P extends object>(name: "
                    "string): QueryKeys<P> {\n"));
    CHECK(strstr(q, "    infinite: (params) => [name, \"list\", "
                    "\"infinite\", params ?? {}],\n"));
    CHECK(strstr(q, "getNextPageParam: (page) => page.next,\n"));
    CHECK(strstr(q, "export function updateMutation<P, B, R>(\n"));
    CHECK(strstr(q, "queryClient.invalidateQueries({ queryKey: "
                    "keys.detail(id) }),\n"));
    CHECK(strstr(q, "queryClient.removeQueries({ queryKey: "
                    "keys.detail(id) });\n"));
    /* the caller's onSuccess runs after the cache is brought up to date */
    const char *r = strstr(q, "await refresh(queryClient, vars);\n");
    CHECK(r && r < strstr(q, "await options?.onSuccess?.(data, vars, "
                             "...rest);\n"));
    CHECK(!strstr(q, ": any") && !strstr(q, "<any") && !strstr(c, ": any"));
    ts_files_free(&fs);
}

TEST(ts_endpoint_functions)
{
    write_all();
    const char *e = file("endpoints.ts");
    CHECK(strstr(e, "export function postFilesByPath(\n"));
    CHECK(strstr(e, "    path: T.UploadPath;\n"));
    CHECK(strstr(e, "    body: T.UploadBody;\n"));
    CHECK(strstr(e, "): Promise<T.IssueItem[]> {"));
    /* a rest parameter keeps its slashes, each segment encoded */
    CHECK(strstr(e, "`/api/files/${String(input.path.path).split(\"/\")"
                    ".map(encodeURIComponent).join(\"/\")}`"));
    CHECK(strstr(e, "    form: input.body,\n")); /* a file: multipart */
    const char *t = file("types.ts");
    char out[1024];
    iface(t, "UploadBody", out, sizeof out);
    CHECK(strstr(out, "  file: Blob;\n"));
    CHECK(strstr(out, "  names?: string[];\n"));
    CHECK(strstr(out, "  size: UploadMeta;\n"));
    CHECK(strstr(out, "  kind: UploadBodyKind;\n"));
    CHECK(strstr(t, "export interface UploadMeta {\n  w: number;\n}"));
    ts_files_free(&fs);
}

TEST(ts_file_named_like_a_fixed_one)
{
    static const kiln_model_api api = {.ops = KILN_API_LIST, .path = "types"};
    kiln_model m = owner_model;
    m.api = &api;
    kiln_model *ms[] = {&m};
    oapi_doc d = {.models = ms, .nmodels = 1};
    CHECK_INT(ts_write(&d, &fs), 0);
    CHECK(strstr(file("types-api.ts"), "export const listTypes = "));
    CHECK(strstr(file("types.ts"), "export interface OwnerPage {"));
    CHECK(strstr(file("index.ts"), "export * from \"./types-api\";\n"));
    ts_files_free(&fs);
}

TEST(ts_articles)
{
    static const char *const an[] = {"owner", "issue",    "update", "Item",
                                     "hour",  "umbrella", "email"};
    static const char *const a[] = {"task",     "user",    "unit", "one-off",
                                    "European", "history", "",     "usage"};
    for (size_t i = 0; i < sizeof an / sizeof *an; i++)
        CHECK(ts_vowel_sound(an[i]));
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        CHECK(!ts_vowel_sound(a[i]));
}
