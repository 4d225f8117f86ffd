/*
 * cli/test.c - `kiln test [-k NAME]`: builds the project with its tests/
 * into .kiln/test/<name> (the route table's main() runs the tests, see
 * kiln/testing.h) and runs it from the project folder.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char test_help[] =
    "usage: kiln test [-k NAME] [--set section.key=VALUE]...\n\n"
    "Builds the app with the tests of tests/*.c (KILN_TEST(name) { ... },\n"
    "see docs/testing.md) and runs them: each calls the app in process\n"
    "through the test client, on a database of its own (a copy of a\n"
    "template database migrated once per run) and a cache of its own.\n"
    "Prints 'ok - NAME' or 'not ok - NAME' per test, each failed\n"
    "expectation as FILE:LINE: expected, got, then 'N passed, N failed'.\n\n"
    "options:\n"
    "  -k NAME    only the tests whose name contains NAME\n"
    "  --set section.key=VALUE  a setting for the run (database.url:\n"
    "             the backend and server the test databases are made on)\n\n"
    "Exits with 0 when every test passed, 1 when one failed, none matched\n"
    "or the build failed, 2 for a usage error.\n";

int cmd_test(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(test_help, stdout);
        return 0;
    }
    /* -k NAME is the runner's; the rest are the app's settings flags */
    char **app = calloc((size_t)argc + 1, sizeof(char *));
    if (!app)
        return cli_fail("out of memory");
    int napp = 0;
    app[napp++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-k") == 0) {
            if (i + 1 >= argc) {
                free(app);
                return cli_usage_error("-k needs a test name");
            }
            i++;
        } else if (strncmp(argv[i], "-k=", 3) != 0) {
            app[napp++] = argv[i];
        }
    }
    int rc = cli_check_app_flags(napp, app);
    free(app);
    if (rc)
        return rc < 0 ? 0 : rc;
    char root[PATH_MAX];
    if (cli_find_root(root) || cli_check_project(root))
        return 1;
    cli_build_opts o = {.test = true, .color = isatty(2)};
    cli_build_result r;
    if (cli_build(root, &o, &r) != 0) {
        cli_build_result_free(&r);
        return cli_fail("the build failed");
    }
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%s", r.binary);
    cli_build_result_free(&r);
    char **av = calloc((size_t)argc + 4, sizeof(char *));
    if (!av)
        return cli_fail("out of memory");
    av[0] = bin;
    av[1] = "--root";
    av[2] = root;
    for (int i = 1; i < argc; i++)
        av[2 + i] = argv[i];
    fflush(stdout);
    execv(bin, av);
    free(av);
    return cli_fail("cannot run %s: %s", bin, strerror(errno));
}
