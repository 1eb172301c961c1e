/* Tuning CLBlast's GEMM kernels (include/clnn/tune.h, "CLBlast's GEMM"):
 * their parameter spaces and CLBlast's constraints, one measured GEMM per
 * parameter set (checked against a double-precision host product), the
 * database entries, and applying the stored set with
 * CLBlastOverrideParameters before a context's first GEMM. */
#include "tune_internal.h"

#include <clblast_c.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 4

typedef struct clblast_kernel {
    const char *id;          /* clnn's name in the tuning database */
    const char *name;        /* CLBlast's kernel name */
    /* GemmRoutine's XGEMM_MIN_INDIRECT_SIZE that makes every GEMM use this
     * kernel (CLBlast goes direct when m·n·k < size³) */
    size_t force_threshold;
    size_t nparams;
    const char *params[CLNN_CLBLAST_MAX_PARAMS];
    size_t nvalues[CLNN_CLBLAST_MAX_PARAMS];
    size_t values[CLNN_CLBLAST_MAX_PARAMS][MAX_VALUES];
    /* CLBlast's constraints and the device's limits on one parameter set */
    int (*valid)(const size_t *v, const clnn_device_info *dev);
} clblast_kernel;

static int multiple(size_t x, size_t of) { return of != 0 && x % of == 0; }

/* x is a multiple of (a·b)/c, the division exact */
static int multiple_of_ratio(size_t x, size_t a, size_t b, size_t c)
{
    return c != 0 && (a * b) % c == 0 && multiple(x, a * b / c);
}

static int fits_device(const clnn_device_info *dev, size_t wg0, size_t wg1, size_t local_floats)
{
    return wg0 * wg1 <= dev->max_work_group_size && wg0 <= dev->max_work_item_sizes[0] &&
           wg1 <= dev->max_work_item_sizes[1] && local_floats * sizeof(float) <= dev->local_mem_size;
}

/* Xgemm (GEMMK 0): CLBlast's tuner constraints (src/tuning/kernels/xgemm.hpp) */
enum { GEMMK, KREG, KWG, KWI, MDIMA, MDIMC, MWG, NDIMB, NDIMC, NWG, SA, SB, STRM, STRN, VWM, VWN };
static int xgemm_valid(const size_t *v, const clnn_device_info *dev)
{
    return multiple(v[KWG], v[KWI]) && multiple(v[MWG], v[MDIMC] * v[VWM]) && multiple(v[NWG], v[NDIMC] * v[VWN]) &&
           multiple(v[MWG], v[MDIMA] * v[VWM]) && multiple(v[NWG], v[NDIMB] * v[VWN]) &&
           multiple_of_ratio(v[KWG], v[MDIMC], v[NDIMC], v[MDIMA]) &&
           multiple_of_ratio(v[KWG], v[MDIMC], v[NDIMC], v[NDIMB]) &&
           fits_device(dev, v[MDIMC], v[NDIMC], v[SA] * v[KWG] * v[MWG] + v[SB] * v[KWG] * v[NWG]);
}

/* XgemmDirect: CLBlast's tuner constraints (src/tuning/kernels/xgemm_direct.hpp) */
enum { KWID, MDIMAD, MDIMCD, NDIMBD, NDIMCD, PADA, PADB, VWMD, VWND, WGD };
static int direct_valid(const size_t *v, const clnn_device_info *dev)
{
    return multiple(v[WGD], v[KWID]) && multiple(v[WGD], v[MDIMCD] * v[VWMD]) &&
           multiple(v[WGD], v[NDIMCD] * v[VWND]) && multiple(v[WGD], v[MDIMAD] * v[VWMD]) &&
           multiple(v[WGD], v[NDIMBD] * v[VWND]) && multiple_of_ratio(v[WGD], v[MDIMCD], v[NDIMCD], v[MDIMAD]) &&
           multiple_of_ratio(v[WGD], v[MDIMCD], v[NDIMCD], v[NDIMBD]) &&
           fits_device(dev, v[MDIMCD], v[NDIMCD], v[WGD] * (v[WGD] + v[PADA]) + v[WGD] * (v[WGD] + v[PADB]));
}

/* The spaces: CLBlast's own tuner sets (its "V == 1" ranges, KWG and KWID
 * widened by one value), GEMMK 0 (the classic kernel) with KREG 1. */
static const clblast_kernel kernels[] = {
    {"clblast.xgemm", "Xgemm", 1, 16,
     {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG", "SA", "SB", "STRM", "STRN", "VWM",
      "VWN"},
     {1, 1, 2, 1, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1, 3, 3},
     {{0}, {1}, {16, 32}, {2}, {8, 16, 32}, {8, 16, 32}, {16, 32, 64}, {8, 16, 32}, {8, 16, 32}, {16, 32, 64}, {0, 1},
      {0, 1}, {0}, {0}, {1, 2, 4}, {1, 2, 4}},
     xgemm_valid},
    {"clblast.xgemm_direct", "XgemmDirect", 8192, 10,
     {"KWID", "MDIMAD", "MDIMCD", "NDIMBD", "NDIMCD", "PADA", "PADB", "VWMD", "VWND", "WGD"},
     {2, 3, 3, 3, 3, 1, 1, 4, 4, 4},
     {{2, 8}, {8, 16, 32}, {8, 16, 32}, {8, 16, 32}, {8, 16, 32}, {1}, {1}, {1, 2, 4, 8}, {1, 2, 4, 8}, {8, 16, 32, 64}},
     direct_valid},
};
#define N_KERNELS (sizeof kernels / sizeof kernels[0])

static const clblast_kernel *find_kernel(clnn_context *ctx, const char *fn, const char *id, clnn_status *st)
{
    for (size_t i = 0; id && i < N_KERNELS; i++)
        if (strcmp(kernels[i].id, id) == 0) return &kernels[i];
    *st = clnn__fail(ctx, CLNN_ERR_INVALID_ARGUMENT, "%s: '%s' is not a tunable CLBlast kernel (clblast.xgemm, "
                     "clblast.xgemm_direct)", fn, id ? id : "(null)");
    return NULL;
}

/* The values of p in k's parameter order; 0 when a name is missing,
 * repeated or unknown. */
static int values_in_order(const clblast_kernel *k, const clnn_clblast_params *p, size_t *v)
{
    if (p->count != k->nparams) return 0;
    for (size_t i = 0; i < k->nparams; i++) {
        size_t hits = 0;
        for (size_t j = 0; j < p->count; j++)
            if (strncmp(p->names[j], k->params[i], sizeof p->names[j]) == 0) {
                v[i] = p->values[j];
                hits++;
            }
        if (hits != 1) return 0;
    }
    return 1;
}

static void params_from_values(const clblast_kernel *k, const size_t *v, clnn_clblast_params *p)
{
    memset(p, 0, sizeof *p);
    p->count = k->nparams;
    for (size_t i = 0; i < k->nparams; i++) {
        snprintf(p->names[i], sizeof p->names[i], "%s", k->params[i]);
        p->values[i] = v[i];
    }
}

/* p names exactly k's parameters and satisfies its constraints on dev. */
static clnn_status check_params(clnn_context *ctx, const char *fn, const clblast_kernel *k,
                                const clnn_clblast_params *p, const clnn_device_info *dev, size_t *v)
{
    CHECK_ARG(ctx, p->count <= CLNN_CLBLAST_MAX_PARAMS && values_in_order(k, p, v),
              "%s: the parameters must name each of %s's %zu parameters once (%s, %s, ...)", fn, k->id, k->nparams,
              k->params[0], k->params[1]);
    CHECK_ARG(ctx, k->valid(v, dev), "%s: this %s parameter set breaks CLBlast's constraints or %s's limits", fn,
              k->id, dev->name);
    return CLNN_OK;
}

/* ------------------------------------------------------------ candidates */


/* The i-th point of k's space (mixed radix over the value lists). */
static void space_point(const clblast_kernel *k, size_t i, size_t *v)
{
    for (size_t p = k->nparams; p-- > 0;) {
        v[p] = k->values[p][i % k->nvalues[p]];
        i /= k->nvalues[p];
    }
}

clnn_status clnn_tune_clblast_candidates(clnn_context *ctx, const char *kernel_id, uint64_t seed, size_t budget,
                                         clnn_clblast_params *out, size_t cap, size_t *count)
{
    CLNN_ENTRY(ctx);
    clnn_status st = CLNN_OK;
    const clblast_kernel *k = find_kernel(ctx, fn, kernel_id, &st);
    if (!k) return st;
    CHECK_ARG(ctx, count != NULL && (cap == 0 || out != NULL), "%s: %s is NULL", fn, !count ? "count" : "out");
    size_t space = 1;
    for (size_t p = 0; p < k->nparams; p++) space *= k->nvalues[p];
    size_t *valid = malloc(space * sizeof *valid), n = 0;
    if (!valid) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    size_t v[CLNN_CLBLAST_MAX_PARAMS];
    for (size_t i = 0; i < space; i++) {
        space_point(k, i, v);
        if (k->valid(v, &ctx->info)) valid[n++] = i;
    }
    /* a seeded Fisher-Yates prefix: the same seed, the same sample */
    size_t take = budget == 0 || budget > n ? n : budget;
    uint64_t state = seed;
    for (size_t i = 0; i < take; i++) {
        size_t j = i + (size_t)(clnn__splitmix64(&state) % (n - i));
        size_t t = valid[i];
        valid[i] = valid[j];
        valid[j] = t;
    }
    for (size_t i = 0; i < take && i < cap; i++) {
        space_point(k, valid[i], v);
        params_from_values(k, v, &out[i]);
    }
    *count = take;
    free(valid);
    return CLNN_OK;
}

/* --------------------------------------------------------------- measure */

static double host_uniform(uint64_t *s) { return (double)(clnn__splitmix64(s) >> 11) * 0x1.0p-53 * 2.0 - 1.0; }

/* Largest |C - A·B| / sum_l |a_il b_lj| over the rows checked (all up to
 * 256 rows, else 256 spread evenly), in double precision. */
static double gemm_error(const float *a, const float *b, const float *c, size_t m, size_t n, size_t k)
{
    size_t rows = m <= 256 ? m : 256;
    double worst = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t i = m <= 256 ? r : r * (m - 1) / (rows - 1);
        for (size_t j = 0; j < n; j++) {
            double sum = 0, mag = 0;
            for (size_t l = 0; l < k; l++) {
                double t = (double)a[i * k + l] * (double)b[l * n + j];
                sum += t;
                mag += fabs(t);
            }
            double err = fabs((double)c[i * n + j] - sum) / (mag > 0 ? mag : 1.0);
            if (!(err <= worst)) worst = err; /* NaN sticks */
        }
    }
    return worst;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static clnn_status override(clnn_context *ctx, const char *fn, const char *kernel, size_t n, const char *const *names,
                            const size_t *values)
{
    /* CLBlast's C API takes const char ** (it does not write through it) */
    CLBlastStatusCode cs =
        CLBlastOverrideParameters(ctx->device, kernel, CLBlastPrecisionSingle, n, (const char **)names, values);
    if (cs != CLBlastSuccess)
        return clnn__fail(ctx, CLNN_ERR_OPENCL, "%s: CLBlastOverrideParameters(%s) failed with status %d", fn, kernel,
                          (int)cs);
    return CLNN_OK;
}

/* Runs the timed GEMMs on host inputs a, b into c (downloaded). */
static clnn_status run_gemms(clnn_context *ctx, const char *fn, const float *a, const float *b, float *c,
                             const size_t mnk[3], unsigned repeats, double *seconds)
{
    const size_t m = mnk[0], n = mnk[1], k = mnk[2];
    cl_int err;
    cl_mem da = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, m * k * sizeof(float), (void *)a,
                               &err);
    cl_mem db = da ? clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, k * n * sizeof(float),
                                    (void *)b, &err)
                   : NULL;
    cl_mem dc = db ? clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, m * n * sizeof(float), NULL, &err) : NULL;
    clnn_status st = dc ? CLNN_OK : clnn__fail_cl(ctx, fn, "clCreateBuffer", err);
    double times[64];
    for (int r = -1; st == CLNN_OK && r < (int)repeats; r++) { /* r = -1: builds CLBlast's program */
        double t0 = clnn__now_seconds();
        CLBlastStatusCode cs = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, m, n, k,
                                            1.0f, da, 0, k, db, 0, n, 0.0f, dc, 0, n, &ctx->queue, NULL);
        if (cs != CLBlastSuccess)
            st = clnn__fail(ctx, CLNN_ERR_OPENCL, "%s: CLBlast SGEMM %zu x %zu x %zu failed with status %d", fn, m, n,
                            k, (int)cs);
        else if ((err = clFinish(ctx->queue)) != CL_SUCCESS) st = clnn__fail_cl(ctx, fn, "clFinish", err);
        if (r >= 0) times[r] = clnn__now_seconds() - t0;
    }
    if (st == CLNN_OK && (err = clEnqueueReadBuffer(ctx->queue, dc, CL_TRUE, 0, m * n * sizeof(float), c, 0, NULL,
                                                    NULL)) != CL_SUCCESS)
        st = clnn__fail_cl(ctx, fn, "clEnqueueReadBuffer", err);
    if (st == CLNN_OK) {
        qsort(times, repeats, sizeof times[0], cmp_double);
        *seconds = times[repeats / 2];
    }
    if (dc) clReleaseMemObject(dc);
    if (db) clReleaseMemObject(db);
    if (da) clReleaseMemObject(da);
    return st;
}

clnn_status clnn_tune_clblast_measure(clnn_context *ctx, const char *kernel_id, const clnn_clblast_params *params,
                                      const size_t mnk[3], unsigned repeats, double *seconds, double *max_error)
{
    CLNN_ENTRY(ctx);
    clnn_status st = CLNN_OK;
    const clblast_kernel *k = find_kernel(ctx, fn, kernel_id, &st);
    if (!k) return st;
    CHECK_ARG(ctx, mnk && seconds && max_error, "%s: %s is NULL", fn,
              !mnk ? "mnk" : !seconds ? "seconds" : "max_error");
    CHECK_ARG(ctx, mnk[0] >= 1 && mnk[1] >= 1 && mnk[2] >= 1 && mnk[0] <= 8192 && mnk[1] <= 8192 && mnk[2] <= 8192,
              "%s: m, n, k = %zu, %zu, %zu must each be in 1..8192", fn, mnk[0], mnk[1], mnk[2]);
    CHECK_ARG(ctx, repeats >= 1 && repeats <= 64, "%s: repeats %u is not in 1..64", fn, repeats);
    size_t v[CLNN_CLBLAST_MAX_PARAMS];
    if (params) TRY(check_params(ctx, fn, k, params, &ctx->info, v));

    /* force the kernel under test, then its parameters */
    const char *routine_name[1] = {"XGEMM_MIN_INDIRECT_SIZE"};
    TRY(override(ctx, fn, "GemmRoutine", 1, routine_name, &k->force_threshold));
    if (params) TRY(override(ctx, fn, k->name, k->nparams, k->params, v));

    const size_t m = mnk[0], n = mnk[1], kk = mnk[2];
    float *a = malloc(m * kk * sizeof *a), *b = malloc(kk * n * sizeof *b), *c = malloc(m * n * sizeof *c);
    if (!a || !b || !c) st = clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    uint64_t s = 12345;
    for (size_t i = 0; st == CLNN_OK && i < m * kk; i++) a[i] = (float)host_uniform(&s);
    for (size_t i = 0; st == CLNN_OK && i < kk * n; i++) b[i] = (float)host_uniform(&s);
    if (st == CLNN_OK) st = run_gemms(ctx, fn, a, b, c, mnk, repeats, seconds);
    if (st == CLNN_OK) {
        /* test hook: a planted wrong result must be caught by the check */
        const char *corrupt = getenv("CLNN_TEST_CLBLAST_CORRUPT");
        if (corrupt && *corrupt == '1') c[0] += 1.0f;
        *max_error = gemm_error(a, b, c, m, n, kk);
    }
    free(a);
    free(b);
    free(c);
    return st;
}

/* --------------------------------------------------- database and apply */

clnn_status clnn_tune_clblast_store(clnn_context *ctx, const char *kernel_id, const clnn_clblast_params *params,
                                    double seconds, double default_seconds)
{
    CLNN_ENTRY(ctx);
    clnn_status st = CLNN_OK;
    const clblast_kernel *k = find_kernel(ctx, fn, kernel_id, &st);
    if (!k) return st;
    CHECK_ARG(ctx, isfinite(seconds) && seconds >= 0 && isfinite(default_seconds) && default_seconds >= 0,
              "%s: the times must be finite and >= 0", fn);
    size_t v[CLNN_CLBLAST_MAX_PARAMS];
    if (params) TRY(check_params(ctx, fn, k, params, &ctx->info, v));
    return clnn__tune_db_put_named(&ctx->info, k->id, params, seconds, default_seconds);
}

clnn_status clnn_tune_clblast_lookup(const clnn_device_info *device, const char *kernel_id,
                                     clnn_clblast_params *params, int *keeps_default, clnn_tune_match *match)
{
    CLNN_ENTRY_NO_CONTEXT();
    clnn_status st = CLNN_OK;
    if (!find_kernel(NULL, fn, kernel_id, &st)) return st;
    if (!device || !params || !keeps_default || !match)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                          !device ? "device" : !params ? "params" : !keeps_default ? "keeps_default" : "match");
    memset(params, 0, sizeof *params);
    *keeps_default = 0;
    if (!clnn__tune_db_find_named(device, kernel_id, params, keeps_default, match)) memset(params, 0, sizeof *params);
    return CLNN_OK;
}

/* What this process applied, per device and kernel (CLBlast's parameters
 * are process-wide, so this is too). */
typedef struct applied_entry {
    cl_device_id device;
    const clblast_kernel *kernel;
    clnn_clblast_params params;
    clnn_tune_match match;
} applied_entry;

static pthread_mutex_t applied_lock = PTHREAD_MUTEX_INITIALIZER;
static applied_entry applied[32];
static size_t n_applied;

static applied_entry *applied_find(cl_device_id device, const clblast_kernel *k)
{
    for (size_t i = 0; i < n_applied; i++)
        if (applied[i].device == device && applied[i].kernel == k) return &applied[i];
    return NULL;
}

void clnn__clblast_apply_tuned(clnn_context *ctx)
{
    ctx->clblast_checked = 1;
    if (clnn__tune_mode(ctx) == CLNN_TUNE_OFF) return;
    pthread_mutex_lock(&applied_lock);
    for (size_t i = 0; i < N_KERNELS; i++) {
        const clblast_kernel *k = &kernels[i];
        if (applied_find(ctx->device, k) || n_applied == sizeof applied / sizeof applied[0]) continue;
        applied_entry *e = &applied[n_applied++];
        memset(e, 0, sizeof *e);
        e->device = ctx->device;
        e->kernel = k;
        e->match = CLNN_TUNE_MATCH_HEURISTIC;
        int keeps_default = 0;
        clnn_tune_match match;
        size_t v[CLNN_CLBLAST_MAX_PARAMS];
        if (!clnn__tune_db_find_named(&ctx->info, k->id, &e->params, &keeps_default, &match) || keeps_default ||
            !values_in_order(k, &e->params, v) || !k->valid(v, &ctx->info)) {
            memset(&e->params, 0, sizeof e->params); /* none, or one that does not fit: CLBlast's own */
            continue;
        }
        if (CLBlastOverrideParameters(ctx->device, k->name, CLBlastPrecisionSingle, k->nparams,
                                      (const char **)k->params, v) != CLBlastSuccess) {
            memset(&e->params, 0, sizeof e->params);
            continue;
        }
        e->match = match;
    }
    pthread_mutex_unlock(&applied_lock);
}

clnn_status clnn_tune_clblast_applied(clnn_context *ctx, const char *kernel_id, clnn_clblast_params *params,
                                      clnn_tune_match *match)
{
    CLNN_ENTRY(ctx);
    clnn_status st = CLNN_OK;
    const clblast_kernel *k = find_kernel(ctx, fn, kernel_id, &st);
    if (!k) return st;
    CHECK_ARG(ctx, params && match, "%s: %s is NULL", fn, !params ? "params" : "match");
    if (!ctx->clblast_checked) clnn__clblast_apply_tuned(ctx);
    pthread_mutex_lock(&applied_lock);
    const applied_entry *e = applied_find(ctx->device, k);
    memset(params, 0, sizeof *params);
    *match = CLNN_TUNE_MATCH_HEURISTIC;
    if (e) {
        *params = e->params;
        *match = e->match;
    }
    pthread_mutex_unlock(&applied_lock);
    return CLNN_OK;
}

/* ------------------------------------------------------------------ text */

clnn_status clnn_tune_clblast_params_string(const clnn_clblast_params *params, char *buf, size_t len)
{
    CLNN_ENTRY_NO_CONTEXT();
    if (!params || !buf || len == 0)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s", fn,
                          !params ? "params is NULL" : !buf ? "buf is NULL" : "len is 0");
    if (params->count > CLNN_CLBLAST_MAX_PARAMS)
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: count %zu is above %d", fn, params->count,
                          CLNN_CLBLAST_MAX_PARAMS);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < params->count; i++) {
        int w = snprintf(buf + used, len - used, "%s%.15s=%zu", i ? " " : "", params->names[i], params->values[i]);
        if (w < 0 || (size_t)w >= len - used)
            return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: len %zu is too small", fn, len);
        used += (size_t)w;
    }
    return CLNN_OK;
}

clnn_status clnn_tune_clblast_params_parse(const char *kernel_id, const char *text, clnn_clblast_params *params)
{
    CLNN_ENTRY_NO_CONTEXT();
    clnn_status st = CLNN_OK;
    const clblast_kernel *k = find_kernel(NULL, fn, kernel_id, &st);
    if (!k) return st;
    if (!text || !params) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, !text ? "text" : "params");
    clnn_clblast_params p;
    memset(&p, 0, sizeof p);
    const char *s = text;
    while (*s) {
        while (*s == ' ' || *s == ',') s++;
        if (!*s) break;
        const char *eq = strchr(s, '=');
        size_t nlen = eq ? (size_t)(eq - s) : 0;
        if (!eq || nlen == 0 || nlen >= sizeof p.names[0] || p.count == CLNN_CLBLAST_MAX_PARAMS)
            return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: '%s' is not NAME=VALUE pairs", fn, text);
        char *end;
        unsigned long long value = strtoull(eq + 1, &end, 10);
        if (end == eq + 1 || (*end && *end != ' ' && *end != ',') || eq[1] == '-' || value > 65536)
            return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: the value of '%.*s' is not a whole number in "
                              "0..65536", fn, (int)nlen, s);
        memcpy(p.names[p.count], s, nlen);
        p.values[p.count++] = (size_t)value;
        s = end;
    }
    size_t v[CLNN_CLBLAST_MAX_PARAMS];
    if (!values_in_order(k, &p, v))
        return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: '%s' must name each of %s's %zu parameters once", fn,
                          text, k->id, k->nparams);
    *params = p;
    return CLNN_OK;
}
