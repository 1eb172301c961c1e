/* clnn-bench: runs the benchmark set on the selected device and prints a table
 * (or --json). Every figure comes with a reference measured in the same run. */
#include "bench/bench.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    {"train", bench_train},
    {"tune", bench_tune},
    {"cache", bench_cache},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: clnn-bench [--device SEL] [--quick] [--repeats N] [--only GROUP[,GROUP]] [--json FILE]\n"
               "groups:");
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) fprintf(f, " %s", groups[i].name);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    const char *device = NULL, *json_path = NULL, *only = NULL;
    bench_env env = {0};
    env.repeats = 7;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json_path = argv[++i];
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) env.repeats = atoi(argv[++i]);
        else if (strcmp(argv[i], "--quick") == 0) env.quick = 1;
        else {
            usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (env.repeats < 1) env.repeats = 1;
    if (clnn_context_create(device, &env.ctx) != CLNN_OK) {
        fprintf(stderr, "clnn-bench: %s\n", clnn_last_error(NULL));
        return 1;
    }
    clnn_device_info info;
    clnn_context_device(env.ctx, &info);
    printf("clnn-bench %s on [%u] %s (%s)\n", clnn_version(), info.index, info.name, info.driver_version);
    printf("%-10s %-44s %10s %-7s %10s %-22s %7s\n", "group", "benchmark", "value", "unit", "reference",
           "reference is", "ratio");
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "device", info.name);
    cJSON_AddStringToObject(root, "device_key", info.key);
    env.rows = cJSON_AddArrayToObject(root, "results");
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        /* copy always runs: it is the reference of the memory-bound rows */
        if (only && i > 0 && !strstr(only, groups[i].name)) continue;
        groups[i].run(&env);
    }
    int rc = 0;
    if (json_path) {
        char *s = cJSON_Print(root);
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", json_path);
        FILE *f = fopen(tmp, "w");
        if (!f || fputs(s, f) < 0 || fclose(f) != 0 || rename(tmp, json_path) != 0) {
            fprintf(stderr, "clnn-bench: cannot write %s\n", json_path);
            rc = 1;
        }
        free(s);
    }
    cJSON_Delete(root);
    clnn_context_release(env.ctx);
    return rc;
}
