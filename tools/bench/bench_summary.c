/* The summary lines of clnn-bench: per group and per kind of reference
 * (copy bandwidth, CLBlast, heuristic default, ...), the rows' median and
 * smallest ratio, and for the memory-bound rows how many are under the
 * floor that issue 21 sets for them (0.5x copy bandwidth). */
#include "bench.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_FLOOR 0.5
#define MAX_SUMMARY_ROWS 4096

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The ratios of the rows from `first` on whose group is `group` and whose
 * reference is `label`, into r (at most MAX_SUMMARY_ROWS); their count. */
static size_t ratios_of(const cJSON *rows, int first, const char *group, const char *label, double *r)
{
    size_t n = 0;
    for (int i = first; i < cJSON_GetArraySize(rows) && n < MAX_SUMMARY_ROWS; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i);
        const char *g = cJSON_GetStringValue(cJSON_GetObjectItem(row, "group"));
        const char *l = cJSON_GetStringValue(cJSON_GetObjectItem(row, "reference_label"));
        if (g && l && strcmp(g, group) == 0 && strcmp(l, label) == 0)
            r[n++] = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "ratio"));
    }
    return n;
}

/* A label seen before row i (from `first` on) in the same group. */
static int seen_before(const cJSON *rows, int first, int i, const char *group, const char *label)
{
    for (int j = first; j < i; j++) {
        const cJSON *row = cJSON_GetArrayItem(rows, j);
        const char *g = cJSON_GetStringValue(cJSON_GetObjectItem(row, "group"));
        const char *l = cJSON_GetStringValue(cJSON_GetObjectItem(row, "reference_label"));
        if (g && l && strcmp(g, group) == 0 && strcmp(l, label) == 0) return 1;
    }
    return 0;
}

void bench_summarize(bench_env *env, int first_row)
{
    const cJSON *rows = (const cJSON *)env->rows;
    static double r[MAX_SUMMARY_ROWS];
    for (int i = first_row; i < cJSON_GetArraySize(rows); i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i);
        const char *group = cJSON_GetStringValue(cJSON_GetObjectItem(row, "group"));
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(row, "reference_label"));
        if (!group || !label || seen_before(rows, first_row, i, group, label)) continue;
        size_t n = ratios_of(rows, first_row, group, label, r);
        qsort(r, n, sizeof r[0], by_value);
        double median = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
        int copy = strcmp(label, "copy bandwidth") == 0;
        size_t under = 0;
        for (size_t k = 0; copy && k < n; k++) under += r[k] < COPY_FLOOR;
        printf("summary    %s vs %s: %zu row%s, median %.2fx, min %.2fx", group, label, n, n == 1 ? "" : "s",
               median, r[0]);
        if (copy) printf(", %zu under the %.1fx floor", under, COPY_FLOOR);
        printf("\n");
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "group", group);
        cJSON_AddStringToObject(s, "reference_label", label);
        cJSON_AddNumberToObject(s, "rows", (double)n);
        cJSON_AddNumberToObject(s, "median", median);
        cJSON_AddNumberToObject(s, "min", r[0]);
        if (copy) {
            cJSON_AddNumberToObject(s, "floor", COPY_FLOOR);
            cJSON_AddNumberToObject(s, "under_floor", (double)under);
        }
        cJSON_AddItemToArray((cJSON *)env->summaries, s);
    }
    fflush(stdout);
}
