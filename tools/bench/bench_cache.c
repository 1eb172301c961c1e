/* Program cache: every shipped program built from source in a fresh context
 * (the driver's own cache, if it has one, left as it is), then loaded from
 * clnn's on-disk binary cache in a second fresh context. The ratio is the
 * cached load's speed-up over the cold build, measured in the same run. */
#include "bench.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Seconds that clnn_context_build_all took in a new context on the same
 * device as env->ctx; negative on error. */
static double build_all_seconds(bench_env *env, unsigned long *source_builds, unsigned long *disk_hits)
{
    clnn_device_info d;
    clnn_context *ctx = NULL;
    char selector[32];
    if (clnn_context_device(env->ctx, &d) != CLNN_OK) return -1;
    snprintf(selector, sizeof selector, "%u", d.index);
    if (clnn_context_create(selector, &ctx) != CLNN_OK) return -1;
    clnn_cache_stats s;
    int ok = clnn_context_build_all(ctx) == CLNN_OK && clnn_context_cache_stats(ctx, &s) == CLNN_OK;
    if (!ok) fprintf(stderr, "bench cache: %s\n", clnn_last_error(ctx));
    clnn_context_release(ctx);
    if (!ok) return -1;
    *source_builds = s.source_builds;
    *disk_hits = s.disk_hits;
    return s.build_seconds;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4200];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(dir);
}

void bench_cache(bench_env *env)
{
    char dir[] = "/tmp/clnn-bench-cache-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench cache: cannot make a temporary directory\n");
        return;
    }
    const char *old = getenv("CLNN_CACHE_DIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("CLNN_CACHE_DIR", dir, 1);
    unsigned long cold_builds = 0, cold_hits = 0, warm_builds = 0, warm_hits = 0;
    double cold = build_all_seconds(env, &cold_builds, &cold_hits);
    double warm = cold > 0 ? build_all_seconds(env, &warm_builds, &warm_hits) : -1;
    if (saved) setenv("CLNN_CACHE_DIR", saved, 1);
    else unsetenv("CLNN_CACHE_DIR");
    free(saved);
    remove_dir(dir);
    if (cold <= 0 || warm <= 0) return;
    if (warm_builds != 0 || warm_hits != cold_builds) {
        fprintf(stderr, "bench cache: the second context built %lu programs from source and loaded %lu of %lu\n",
                warm_builds, warm_hits, cold_builds);
        return;
    }
    char name[64];
    snprintf(name, sizeof name, "build_all %lu programs, cached", cold_builds);
    /* programs per second: higher is better, as bench_report's ratio expects */
    bench_report(env, "cache", name, (double)cold_builds / warm, "prog/s", (double)cold_builds / cold,
                 "cold build prog/s");
}
