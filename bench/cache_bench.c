/*
 * bench/cache_bench.c - the memory cache's shards, measured: threads doing
 * a mix of reads (80%) and writes on keys drawn from a fixed set, against
 * one table of 1, 4, 16 and 64 shards, for a second each.
 *
 *   build/bench/cache_bench [THREADS] [SECONDS]
 *
 * Prints operations per second per shard count; docs/cache.md quotes a
 * run.
 */
#include "cache/cache_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int stop;

typedef struct job {
    cache_mem *m;
    unsigned seed;
    long ops;
} job;

static void *run(void *arg)
{
    job *j = arg;
    kiln_arena a;
    kiln_arena_init(&a, 0);
    char val[100];
    memset(val, 'v', sizeof val);
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        for (int i = 0; i < 256; i++) {
            j->seed = j->seed * 1103515245u + 12345u;
            char key[24];
            int n = snprintf(key, sizeof key, "key:%u", (j->seed >> 8) % 10000);
            kiln_str k = {key, (size_t)n}, v;
            if (j->seed % 5 == 0)
                cache_mem_set(j->m, k, (kiln_str){val, sizeof val}, 0, false,
                              0);
            else
                cache_mem_get(j->m, k, 0, &a, &v);
        }
        j->ops += 256;
        kiln_arena_deinit(&a);
        kiln_arena_init(&a, 0);
    }
    kiln_arena_deinit(&a);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    if (threads < 1 || threads > 64)
        threads = 2;
    unsigned shard_counts[] = {1, 4, 16, 64};
    for (size_t s = 0; s < sizeof shard_counts / sizeof *shard_counts; s++) {
        cache_mem *m = cache_mem_new(64 << 20, shard_counts[s]);
        job jobs[64];
        pthread_t th[64];
        stop = 0;
        for (int i = 0; i < threads; i++) {
            jobs[i] = (job){m, (unsigned)i * 7919u + 1, 0};
            pthread_create(&th[i], NULL, run, &jobs[i]);
        }
        struct timespec ts = {(time_t)secs,
                              (long)((secs - (time_t)secs) * 1e9)};
        nanosleep(&ts, NULL);
        __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
        long total = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            total += jobs[i].ops;
        }
        printf("%2u shard%s, %d threads: %10.0f ops/s\n", shard_counts[s],
               shard_counts[s] == 1 ? " " : "s", threads, total / secs);
        cache_mem_free(m);
    }
    return 0;
}
