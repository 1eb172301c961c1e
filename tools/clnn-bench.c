/* clnn-bench: runs the benchmark set on the selected device and prints a table
 * (or --json). Every figure comes with a reference measured in the same run. */
#include "bench/bench.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REPEATS 1000

typedef struct bench_group {
    const char *name;
    void (*run)(bench_env *env);
} bench_group;

static const bench_group groups[] = {
    {"copy", bench_copy},
    {"optim", bench_optim},
    {"stochastic", bench_stochastic},
    {"layers", bench_layers},
    {"conv", bench_conv},
    {"outputs", bench_outputs},
    {"representations", bench_representations},
    {"losses", bench_losses},
    {"metric", bench_metric_losses},
    {"gradcomb", bench_gradcomb},
    {"sparse", bench_sparse},
    {"contrastive", bench_contrastive},
    {"robust", bench_robust},
    {"train", bench_train},
    {"tune", bench_tune},
    {"cache", bench_cache},
    {"mpi", bench_mpi}, /* last: it finalizes MPI */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: clnn-bench [--device SEL] [--quick] [--repeats N] [--only GROUP[,GROUP]] [--json FILE]\n"
               "groups:");
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) fprintf(f, " %s", groups[i].name);
    fprintf(f, "\n");
}

/* Whether the comma-separated list names group (exactly: "optimx" is not "optim"). */
static int listed(const char *list, const char *group)
{
    size_t len = strlen(group);
    for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, group, len) == 0) return 1;
    }
    return 0;
}

/* Every name in --only is a group; otherwise says which is not, with the list. */
static int check_only(const char *only)
{
    size_t count = sizeof groups / sizeof groups[0];
    if (!*only) {
        fprintf(stderr, "clnn-bench: --only names no group\n");
        usage(stderr);
        return -1;
    }
    for (const char *p = only; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        size_t n = strcspn(p, ","), known = 0;
        for (size_t i = 0; i < count; i++) known |= strlen(groups[i].name) == n && strncmp(p, groups[i].name, n) == 0;
        if (!known) {
            fprintf(stderr, "clnn-bench: --only: no group '%.*s'\n", (int)n, p);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* Writes text to path through a temp file made by mkstemp in path's
 * directory (never a file or link planted at a predictable name), then rename. */
static int write_atomic(const char *path, const char *text)
{
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp) return -1;
    snprintf(tmp, len, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp), ok = fd >= 0 && fchmod(fd, 0644) == 0;
    for (size_t left = strlen(text); ok && left > 0;) {
        ssize_t n = write(fd, text, left);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) text += n, left -= (size_t)n;
    }
    if (fd >= 0) ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok && fd >= 0) unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *device = NULL, *json_path = NULL, *only = NULL;
    bench_env env = {0};
    env.repeats = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json_path = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
            if (check_only(only) != 0) return 2;
        } else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            long r = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end || errno || r < 1 || r > MAX_REPEATS) {
                fprintf(stderr, "clnn-bench: --repeats wants a count of 1..%d, not '%s'\n", MAX_REPEATS, argv[i]);
                return 2;
            }
            env.repeats = (int)r;
        } else if (strcmp(argv[i], "--quick") == 0) env.quick = 1;
        else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    /* under mpirun (the mpi group) every rank runs clnn-bench: rank 0 alone prints and writes */
    if (bench_mpi_launched_rank() > 0) {
        if (!freopen("/dev/null", "w", stdout)) return 1;
        json_path = NULL;
    }
    if (clnn_context_create(device, &env.ctx) != CLNN_OK) {
        fprintf(stderr, "clnn-bench: %s\n", clnn_last_error(NULL));
        return 1;
    }
    clnn_device_info info;
    clnn_context_device(env.ctx, &info);
    printf("clnn-bench %s on [%u] %s (%s)\n", clnn_version(), info.index, info.name, info.driver_version);
    if (clnn_profiler_start(env.ctx) == CLNN_ERR_UNSUPPORTED)
        printf("device times: the host clock around clnn_finish (%s)\n", clnn_last_error(env.ctx));
    else
        clnn_profiler_stop(env.ctx, NULL, NULL);
    printf("%-10s %-44s %10s %-7s %10s %-22s %7s\n", "group", "benchmark", "value", "unit", "reference",
           "reference is", "ratio");
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "device", info.name);
    cJSON_AddStringToObject(root, "device_key", info.key);
    env.rows = cJSON_AddArrayToObject(root, "results");
    env.summaries = cJSON_AddArrayToObject(root, "summaries");
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        /* copy always runs: it is the reference of the memory-bound rows */
        if (only && i > 0 && !listed(only, groups[i].name)) continue;
        int first = cJSON_GetArraySize((cJSON *)env.rows);
        groups[i].run(&env);
        if (i > 0) bench_summarize(&env, first);
    }
    int rc = 0;
    if (json_path) {
        char *s = cJSON_Print(root);
        if (!s || write_atomic(json_path, s) != 0) {
            fprintf(stderr, "clnn-bench: cannot write %s\n", json_path);
            rc = 1;
        }
        free(s);
    }
    cJSON_Delete(root);
    clnn_context_release(env.ctx);
    return rc;
}
