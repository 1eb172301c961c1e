/* Timing and reporting shared by every benchmark group. */
#include "bench.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_time(bench_env *env, int (*fn)(void *arg), void *arg)
{
    if (fn(arg) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1; /* warm-up: builds, first touch */
    double times[64];
    int n = env->repeats < 64 ? env->repeats : 64;
    for (int i = 0; i < n; i++) {
        size_t launches = 0;
        if (clnn_profiler_start(env->ctx) != CLNN_OK || fn(arg) != 0 ||
            clnn_profiler_stop(env->ctx, &times[i], &launches) != CLNN_OK)
            return -1;
    }
    qsort(times, (size_t)n, sizeof times[0], cmp_double);
    return times[n / 2];
}

void bench_report(bench_env *env, const char *group, const char *name, double value, const char *unit,
                  double reference, const char *reference_label)
{
    double ratio = reference > 0 ? value / reference : 0;
    printf("%-10s %-44s %10.2f %-7s %10.2f %-22s %6.2fx\n", group, name, value, unit, reference,
           reference_label, ratio);
    fflush(stdout);
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "group", group);
    cJSON_AddStringToObject(row, "name", name);
    cJSON_AddNumberToObject(row, "value", value);
    cJSON_AddStringToObject(row, "unit", unit);
    cJSON_AddNumberToObject(row, "reference", reference);
    cJSON_AddStringToObject(row, "reference_label", reference_label);
    cJSON_AddNumberToObject(row, "ratio", ratio);
    cJSON_AddItemToArray((cJSON *)env->rows, row);
}
