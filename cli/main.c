/*
 * cli/main.c - the `kiln` command: dispatches to cmd_<name> (one file per
 * group of commands), prints the overview and the version.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"new", cmd_new, "create a project: kiln new NAME"},
    {"dev", cmd_dev, "build, run, and rebuild on every change"},
    {"build", cmd_build, "build a release binary into dist/"},
    {"run", cmd_run, "run the release binary"},
    {"export", cmd_export, "render the pages into a static folder (--out DIR)"},
    {"test", cmd_test, "run the app's tests (tests/*.c): kiln test [-k NAME]"},
    {"routes", cmd_routes, "print the route table (method, path, file)"},
    {"openapi", cmd_openapi, "print the OpenAPI 3.1 document (--out FILE)"},
    {"types", cmd_types, "write the TypeScript client (--out DIR, --check)"},
    {"config", cmd_config, "print the effective settings and their origin"},
    {"gen", cmd_gen, "add files: kiln gen api|page|model NAME"},
    {"migrate", cmd_migrate,
     "apply migrations/ (--status, --check, --make, --to, --sql)"},
    {"render", cmd_render, "render a template: kiln render FILE [--context J]"},
    {"tasks", cmd_tasks,
     "list, retry, delete or add background tasks (kiln tasks --failed)"},
    {"user", cmd_user, "create users, set passwords, list them"},
    {"token", cmd_token, "create, list or revoke API tokens"},
    {"__errpage", cmd_errpage, NULL},
    {"__emit-models", cmd_emit_models, NULL},
};

static void overview(FILE *f)
{
    fprintf(f,
            "kiln %s - the Kiln web framework\n\n"
            "usage: kiln <command> [options]\n\ncommands:\n",
            KILN_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  help     this text (kiln help COMMAND: that command's)\n"
               "\n'kiln COMMAND --help' describes each command.\n");
}

/* "unknown command 'nwe' (did you mean 'new'?)"; returns 2. */
static int unknown_command(const char *name)
{
    const char *names[sizeof commands / sizeof commands[0] + 1];
    size_t n = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].summary)
            names[n++] = commands[i].name;
    names[n++] = "help";
    const char *near = cli_suggest(name, names, n);
    if (near)
        fprintf(stderr, "kiln: unknown command '%s' (did you mean '%s'?)\n",
                name, near);
    else
        fprintf(stderr, "kiln: unknown command '%s' (see 'kiln help')\n", name);
    return 2;
}

int main(int argc, char **argv)
{
    const char *q = getenv("KILN_QUIET");
    cli_quiet = q && *q && strcmp(q, "0") != 0;
    if (argc < 2) {
        overview(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0 ||
        strcmp(cmd, "-V") == 0) {
        printf("kiln %s\n", KILN_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "-h") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            char *hargv[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (commands[i].summary &&
                    strcmp(commands[i].name, argv[2]) == 0) {
                    cli_cmd = commands[i].name;
                    return commands[i].run(2, hargv);
                }
            return unknown_command(argv[2]);
        }
        overview(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, cmd) == 0) {
            cli_cmd = commands[i].name;
            return commands[i].run(argc - 1, argv + 1);
        }
    if (cmd[0] == '-') {
        fprintf(stderr, "kiln: unknown option '%s' (see 'kiln help')\n", cmd);
        return 2;
    }
    return unknown_command(cmd);
}
