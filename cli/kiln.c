/*
 * cli/kiln.c - the `kiln` command. For now: --version and help; the
 * project commands (new, dev, build, run, routes) arrive with the CLI issue.
 */
#include <kiln.h>

#include <stdio.h>
#include <string.h>

static const char help[] = "kiln - the Kiln web framework command\n"
                           "\n"
                           "usage: kiln <command> [options]\n"
                           "\n"
                           "commands:\n"
                           "  help         show this text\n"
                           "  --version    print the version\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 ||
        strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("kiln %s\n", KILN_VERSION);
        return 0;
    }
    fprintf(stderr, "kiln: unknown command '%s' (try 'kiln help')\n", argv[1]);
    return 2;
}
