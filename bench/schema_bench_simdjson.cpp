// bench/schema_bench_simdjson.cpp - the physical limit for parsing in
// bench/schema_bench.py: simdjson's DOM parse of each payload (no
// validation, no struct), timed as bench/schema_bench.c times the schema
// decoder. Built by schema_bench.py with the system's g++ and
// libsimdjson-dev:
//   schema_bench_simdjson DIR [SECONDS]  prints "NAME BYTES PARSES_PER_SECOND"
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: schema_bench_simdjson DIR [SECONDS]\n");
        return 2;
    }
    double secs = argc > 2 ? std::atof(argv[2]) : 1.0;
    simdjson::dom::parser parser;
    std::printf("# simdjson %s kernel\n",
                simdjson::get_active_implementation()->name().c_str());
    for (const char *name : {"small", "wide", "list"}) {
        std::string path = std::string(argv[1]) + "/" + name + ".json";
        simdjson::padded_string json;
        if (simdjson::padded_string::load(path).get(json)) {
            std::perror(path.c_str());
            return 1;
        }
        simdjson::dom::element doc;
        if (parser.parse(json).get(doc)) {
            std::fprintf(stderr, "%s: simdjson refused it\n", name);
            return 1;
        }
        long iters = 0;
        auto start = std::chrono::steady_clock::now();
        double t;
        do {
            for (int i = 0; i < 64; i++)
                if (parser.parse(json).get(doc))
                    return 1;
            iters += 64;
            t = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              start)
                    .count();
        } while (t < secs);
        std::printf("%s %zu %.1f\n", name, json.size(), iters / t);
    }
    return 0;
}
