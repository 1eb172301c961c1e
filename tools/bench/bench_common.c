/* Timing and reporting shared by every benchmark group. */
#include "bench.h"

#include <clblast_c.h>
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

double bench_clblast_sgemm(bench_env *env, int ta, int tb, size_t m, size_t n, size_t k)
{
    cl_context cl;
    cl_command_queue q;
    clnn_context_cl(env->ctx, &cl, &q, NULL);
    cl_int err;
    cl_mem a = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4 * m * k, NULL, &err);
    cl_mem b = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4 * k * n, NULL, &err);
    cl_mem c = clCreateBuffer(cl, CL_MEM_READ_WRITE, 4 * m * n, NULL, &err);
    double t[64], result = -1;
    int reps = env->repeats < 64 ? env->repeats : 64;
    float zero = 0.0f;
    if (!a || !b || !c || clEnqueueFillBuffer(q, a, &zero, 4, 0, 4 * m * k, 0, NULL, NULL) != CL_SUCCESS ||
        clEnqueueFillBuffer(q, b, &zero, 4, 0, 4 * k * n, 0, NULL, NULL) != CL_SUCCESS)
        goto out;
    for (int i = -1; i < reps; i++) {
        cl_event ev = NULL;
        if (CLBlastSgemm(CLBlastLayoutRowMajor, ta ? CLBlastTransposeYes : CLBlastTransposeNo,
                         tb ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, 1.0f, a, 0, ta ? m : k, b, 0,
                         tb ? k : n, 0.0f, c, 0, n, &q, &ev) != CLBlastSuccess)
            goto out;
        cl_ulong t0 = 0, t1 = 0;
        clWaitForEvents(1, &ev);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(ev);
        if (i >= 0) t[i] = 1e-9 * (double)(t1 - t0);
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    result = t[reps / 2];
out:
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    if (c) clReleaseMemObject(c);
    return result;
}
