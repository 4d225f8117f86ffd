/*
 * examples/hello - the TechEmpower plaintext and json tests on Kiln.
 *
 *   build/examples/hello --port 8000 --workers 2
 *   curl http://127.0.0.1:8000/plaintext   -> Hello, World!
 *   curl http://127.0.0.1:8000/json        -> {"message":"Hello, World!"}
 */
#include <kiln.h>

static KILN_HANDLER(plaintext)
{
    static const char body[] = "Hello, World!";
    return kiln_respond(c, 200, "text/plain", body, sizeof body - 1);
}

static KILN_HANDLER(json)
{
    /* serialised per request, as the TechEmpower rules require */
    return kiln_jsonf(c, 200, "{message:%s}", "Hello, World!");
}

int main(int argc, char **argv)
{
    kiln_app *app = kiln_app_new();
    if (!app)
        return 1;
    kiln_route(app, "GET", "/plaintext", plaintext);
    kiln_route(app, "GET", "/json", json);
    return kiln_main(app, argc, argv);
}
