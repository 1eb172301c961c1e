/* cl/exp.clh and cl/logexp.clh on the test's device: clnn_expf, clnn_logf,
 * clnn_log1pf, clnn_expm1f and clnn_cos2pif give the same bits in their
 * scalar and vector forms for every argument (the row kernels' one-work-item-per-row form
 * relies on it), stay within their promised ulp of the double result, and
 * follow their rules outside the range (exp: 0 below -86.6, +INF above;
 * log: -INF at 0, NaN below; NaN stays NaN). The headers are read from the
 * source tree (CLNN_CL_DIR) and built with the raw OpenCL API on the
 * context's own device. */
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#define CLNN_EXP_LO -86.6f
#define CLNN_EXP_HI 88.72283935546875f

#define PAIR(f)                                                                                              \
    "__kernel void " #f "_scalar(__global float *y, __global const float *x)\n"                                \
    "{ const size_t i = get_global_id(0); y[i] = clnn_" #f "f(x[i]); }\n"                                   \
    "__kernel void " #f "_vector(__global float *y, __global const float *x)\n"                                \
    "{ const size_t i = get_global_id(0); vstore8(clnn_" #f "f8(vload8(i, x)), i, y); }\n"
#define QUAD(f)                                                                                              \
    "__kernel void " #f "_vector4(__global float *y, __global const float *x)\n"                               \
    "{ const size_t i = get_global_id(0); vstore4(clnn_" #f "f4(vload4(i, x)), i, y); }\n"
static const char *kernels = "\n" PAIR(exp) PAIR(log) PAIR(log1p) PAIR(expm1) PAIR(cos2pi) QUAD(log) QUAD(cos2pi);

/* Runs kernel `name` of prog on x[0..n) (n a multiple of 8) into y; `per`
 * elements per work-item (8 for the float8 form). */
static void run(cl_context c, cl_command_queue q, cl_program prog, const char *name, size_t per, const float *x,
                float *y, size_t n)
{
    cl_int err;
    cl_kernel k = clCreateKernel(prog, name, &err);
    REQUIRE(err == CL_SUCCESS, "clCreateKernel(%s): %d", name, err);
    cl_mem bx = clCreateBuffer(c, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof *x, (void *)x, &err);
    REQUIRE(err == CL_SUCCESS, "clCreateBuffer: %d", err);
    cl_mem by = clCreateBuffer(c, CL_MEM_WRITE_ONLY, n * sizeof *y, NULL, &err);
    REQUIRE(err == CL_SUCCESS, "clCreateBuffer: %d", err);
    clSetKernelArg(k, 0, sizeof by, &by);
    clSetKernelArg(k, 1, sizeof bx, &bx);
    size_t global = n / per;
    err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, NULL, 0, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clEnqueueNDRangeKernel(%s): %d", name, err);
    err = clEnqueueReadBuffer(q, by, CL_TRUE, 0, n * sizeof *y, y, 0, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clEnqueueReadBuffer: %d", err);
    clReleaseMemObject(bx);
    clReleaseMemObject(by);
    clReleaseKernel(k);
}

/* A reproducible uniform double in [0, 1). */
static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* The result the function must give outside its ulp range, or NAN_RULE
 * where the ulp promise applies. */
#define ULP_RANGE 2.0f /* not a result any rule gives */

static float exp_rule(float x)
{
    if (isnan(x)) return NAN;
    if (x < CLNN_EXP_LO) return 0.0f;
    if (x > CLNN_EXP_HI) return INFINITY;
    return ULP_RANGE;
}

static float log_rule(float x)
{
    if (isnan(x) || x < 0.0f) return NAN;
    if (x == 0.0f) return -INFINITY;
    if (isinf(x)) return INFINITY;
    return ULP_RANGE;
}

static float log1p_rule(float x)
{
    if (isnan(x) || x < -1.0f) return NAN;
    if (x == -1.0f) return -INFINITY;
    if (isinf(x)) return INFINITY;
    return ULP_RANGE;
}

static float expm1_rule(float x)
{
    if (isnan(x)) return NAN;
    if (x < CLNN_EXP_LO) return -1.0f;
    if (x > CLNN_EXP_HI) return INFINITY;
    return ULP_RANGE;
}

/* Arguments: the specials, then values drawn per function. */
static void exp_args(float *x, size_t i, uint64_t *s)
{
    x[i] = (float)(i % 2 ? 180.0 * uniform(s) - 90.0 : 2.0 * uniform(s) - 1.0);
}

static void log_args(float *x, size_t i, uint64_t *s)
{
    /* every binade, denormals included, and the neighbourhood of 1 */
    x[i] = i % 2 ? (float)ldexp(1.0 + uniform(s), (int)(uniform(s) * 277.0) - 150)
                 : (float)(1.0 + (uniform(s) - 0.5) * ldexp(1.0, -(int)(uniform(s) * 24.0)));
}

static void log1p_args(float *x, size_t i, uint64_t *s)
{
    const double mag = ldexp(1.0 + uniform(s), (int)(uniform(s) * 160.0) - 130);
    x[i] = i % 3 == 0 ? (float)(2.0 * uniform(s) - 1.0) : i % 3 == 1 ? (float)mag : (float)(-fmin(mag, 1.0));
}

static float cos2pi_rule(float x)
{
    (void)x;
    return ULP_RANGE;
}

static double cos2pi(double u) { return cos(6.283185307179586476925 * u); }

static void cos2pi_args(float *x, size_t i, uint64_t *s)
{
    x[i] = (float)(i % 2 ? 8.0 * uniform(s) - 4.0 : uniform(s));
}

static void expm1_args(float *x, size_t i, uint64_t *s)
{
    const double mag = ldexp(1.0 + uniform(s), -(int)(uniform(s) * 40.0));
    x[i] = i % 3 == 0 ? (float)(180.0 * uniform(s) - 90.0) : (float)(i % 3 == 1 ? mag : -mag);
}

typedef struct fn_case {
    const char *name;
    double (*ref)(double);
    float (*rule)(float);
    void (*args)(float *, size_t, uint64_t *);
    double promise; /* ulp */
    double absolute; /* errors up to this are within the promise too (near a zero of the function) */
    int has4;        /* a float4 form too */
} fn_case;

static const float special[] = {0.0f,   -0.0f, INFINITY, -INFINITY, NAN,      CLNN_EXP_LO, CLNN_EXP_HI, -86.59f,
                                88.72f, 1.0f,  -1.0f,    1e-30f,    -1e-30f,  FLT_MIN,     0.5f,        -0.5f,
                                2.0f,   1e-45f, FLT_MAX, -2.0f,     -0.999f,  1e-8f,       -1e-8f,      -20.0f};
/* cos(2 pi u) takes finite |u| < 2^23 only */
static const float special_cos2pi[] = {0.0f,   -0.0f, 0.125f, 0.25f,  0.375f, 0.5f,   0.75f,  1.0f,
                                       -0.25f, 1e-8f, 0.999f, 0.126f, 0.374f, 0.376f, 0.124f, -3.75f,
                                       1e-45f, 0.2f,  0.3f,   0.7f,   0.9f,   -0.1f,  2.5f,   -1.0f};

/* Checks one function over n arguments; returns nothing, CHECKs inside. */
static void check_function(cl_context c, cl_command_queue q, cl_program prog, const fn_case *f, size_t n)
{
    float *x = malloc(n * sizeof *x), *ys = malloc(n * sizeof *ys), *yv = malloc(n * sizeof *yv);
    REQUIRE(x && ys && yv, "out of memory");
    const int is_cos = strcmp(f->name, "cos2pi") == 0;
    size_t k = sizeof special / sizeof special[0];
    memcpy(x, is_cos ? special_cos2pi : special, sizeof special);
    uint64_t s = 12345;
    for (size_t i = k; i < n; i++) f->args(x, i, &s);
    char name[32];
    snprintf(name, sizeof name, "%s_scalar", f->name);
    run(c, q, prog, name, 1, x, ys, n);
    snprintf(name, sizeof name, "%s_vector", f->name);
    run(c, q, prog, name, 8, x, yv, n);
    float *y4 = malloc(n * sizeof *y4);
    REQUIRE(y4, "out of memory");
    if (f->has4) {
        snprintf(name, sizeof name, "%s_vector4", f->name);
        run(c, q, prog, name, 4, x, y4, n);
    } else {
        memcpy(y4, ys, n * sizeof *y4);
    }

    size_t differ = 0, wrong = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bs, bv, b4;
        memcpy(&bs, &ys[i], 4);
        memcpy(&bv, &yv[i], 4);
        memcpy(&b4, &y4[i], 4);
        differ += (bs != bv || bs != b4) && !(isnan(ys[i]) && isnan(yv[i]) && isnan(y4[i]));
        const float y = ys[i], want = f->rule(x[i]);
        if (want != ULP_RANGE) {
            wrong += isnan(want) ? !isnan(y) : y != want;
            continue;
        }
        const double ref = f->ref((double)x[i]);
        const float r32 = (float)ref;
        if (isinf(r32)) { /* the exact value rounds past FLT_MAX */
            wrong += !(fabsf(y) >= FLT_MAX);
            continue;
        }
        const float a = fabsf(r32);
        /* the ulp of the result; at 0 (log 1, log1p 0, expm1 0) y must be exact */
        const double ulp = a > 0.0f ? (double)(nextafterf(a, INFINITY) - a) : (double)FLT_MIN * FLT_EPSILON;
        const double e = fabs((double)y - ref) <= f->absolute ? 0.0 : fabs((double)y - ref) / ulp;
        if (e > worst) worst = e;
    }
    CHECK(differ == 0, "clnn_%sf and its vector forms differ in %zu of %zu results", f->name, differ, n);
    CHECK(wrong == 0, "clnn_%sf: %zu results break the rules outside its range", f->name, wrong);
    CHECK(worst <= f->promise, "clnn_%sf is %.3f ulp from %s, the promise is %g", f->name, worst, f->name,
          f->promise);
    printf("clnn_%sf: %zu arguments, scalar and vector forms bit-identical, worst %.3f ulp (promise %g)\n", f->name,
           n, worst, f->promise);
    free(y4);
    free(x);
    free(ys);
    free(yv);
}

int main(void)
{
    clnn_context *ctx = test_context();
    cl_context c;
    cl_command_queue q;
    cl_device_id dev;
    cl_program prog = test_cl_program(ctx, CLNN_CL_DIR, "logexp.clh", kernels, &c, &q, &dev);
    static const fn_case cases[] = {{"exp", exp, exp_rule, exp_args, 2.0, 0.0, 0},
                                    {"log", log, log_rule, log_args, 1.0, 0.0, 1},
                                    {"log1p", log1p, log1p_rule, log1p_args, 2.0, 0.0, 0},
                                    {"expm1", expm1, expm1_rule, expm1_args, 3.0, 0.0, 0},
                                    {"cos2pi", cos2pi, cos2pi_rule, cos2pi_args, 2.0, 1e-7, 1}};
    size_t n = test_small() ? 1 << 12 : 1 << 20;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_function(c, q, prog, &cases[i], n);
    clReleaseProgram(prog);
    clnn_context_release(ctx);
    return check_summary();
}
