/* Timing and reporting shared by every benchmark group. */
#include "bench.h"

#include <cjson/cJSON.h>
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_time(bench_env *env, int (*fn)(void *arg), void *arg)
{
    /* a device without real profiling timestamps (Mesa 22.3's rusticl):
     * the host clock around clnn_finish, launch overheads included */
    if (clnn_profiler_start(env->ctx) == CLNN_ERR_UNSUPPORTED) return bench_wall_time(env, fn, arg);
    clnn_profiler_stop(env->ctx, NULL, NULL);
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

double bench_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_wall_time(bench_env *env, int (*fn)(void *arg), void *arg)
{
    if (fn(arg) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
    double t[64];
    int n = env->repeats < 64 ? env->repeats : 64;
    for (int i = 0; i < n; i++) {
        double t0 = bench_now_seconds();
        if (fn(arg) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
        t[i] = bench_now_seconds() - t0;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return t[n / 2];
}

int bench_wall_time_pair(bench_env *env, int (*fn)(void *arg), void *arg_a, void *arg_b, double *ta, double *tb)
{
    if (fn(arg_a) != 0 || fn(arg_b) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
    double t[2][64];
    int n = env->repeats < 3 ? 3 : env->repeats < 64 ? env->repeats : 64; /* a difference needs a median */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            double t0 = bench_now_seconds();
            if (fn(k ? arg_b : arg_a) != 0 || clnn_finish(env->ctx) != CLNN_OK) return -1;
            t[k][i] = bench_now_seconds() - t0;
        }
    qsort(t[0], (size_t)n, sizeof t[0][0], cmp_double);
    qsort(t[1], (size_t)n, sizeof t[1][0], cmp_double);
    *ta = t[0][n / 2];
    *tb = t[1][n / 2];
    return 0;
}

typedef struct gemm_run {
    clnn_context *ctx;
    const bench_gemm *gemms;
    size_t count;
    cl_mem a, b, c;
} gemm_run;

static int run_gemm_list(void *p)
{
    gemm_run *g = p;
    cl_command_queue q;
    clnn_context_cl(g->ctx, NULL, &q, NULL);
    for (size_t i = 0; i < g->count; i++) {
        const bench_gemm *s = &g->gemms[i];
        CLBlastTranspose ta = s->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
        CLBlastTranspose tb = s->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
        size_t lda = s->trans_a ? s->m : s->k, ldb = s->trans_b ? s->k : s->n;
        CLBlastStatusCode st =
            s->batch <= 1
                ? CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, s->m, s->n, s->k, 1.0f, g->a, 0, lda, g->b, 0, ldb, 0.0f,
                               g->c, 0, s->n, &q, NULL)
                : CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, s->m, s->n, s->k, 1.0f, g->a, 0, lda,
                                             s->m * s->k, g->b, 0, ldb, s->k * s->n, 0.0f, g->c, 0, s->n, s->m * s->n,
                                             s->batch, &q, NULL);
        if (st != CLBlastSuccess) return 1;
    }
    return 0;
}

static clnn_tensor *zero_tensor(bench_env *env, size_t count)
{
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 1, &count, &t) != CLNN_OK) return NULL;
    if (clnn_tensor_fill(t, 0.0f) != CLNN_OK) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

double bench_gemm_time(bench_env *env, const bench_gemm *gemms, size_t count)
{
    size_t a = 1, b = 1, c = 1;
    for (size_t i = 0; i < count; i++) {
        size_t batch = gemms[i].batch ? gemms[i].batch : 1;
        if (gemms[i].m * gemms[i].k * batch > a) a = gemms[i].m * gemms[i].k * batch;
        if (gemms[i].k * gemms[i].n * batch > b) b = gemms[i].k * gemms[i].n * batch;
        if (gemms[i].m * gemms[i].n * batch > c) c = gemms[i].m * gemms[i].n * batch;
    }
    clnn_tensor *ta = zero_tensor(env, a), *tb = zero_tensor(env, b), *tc = zero_tensor(env, c);
    double t = -1;
    if (ta && tb && tc) {
        gemm_run g = {env->ctx, gemms, count, clnn_tensor_buffer(ta), clnn_tensor_buffer(tb), clnn_tensor_buffer(tc)};
        t = bench_wall_time(env, run_gemm_list, &g);
    }
    clnn_tensor_release(ta);
    clnn_tensor_release(tb);
    clnn_tensor_release(tc);
    return t;
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
