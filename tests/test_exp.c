/* cl/exp.clh on the test's device: clnn_expf (scalar) and clnn_expf8 give
 * the same bits for every argument (the row kernels' one-work-item-per-row
 * form relies on it), both within 2 ulp of exp in double on [-86.6,
 * ln(FLT_MAX)], 0 below -86.6, +INF above, NaN for NaN. The header is read
 * from the source tree (CLNN_CL_DIR) and built with the raw OpenCL API on
 * the context's own device. */
#include "check.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#define CLNN_EXP_LO -86.6f
#define CLNN_EXP_HI 88.72283935546875f

static const char *kernels = "\n__kernel void exp_scalar(__global float *y, __global const float *x)\n"
                             "{ const size_t i = get_global_id(0); y[i] = clnn_expf(x[i]); }\n"
                             "__kernel void exp_vector(__global float *y, __global const float *x)\n"
                             "{ const size_t i = get_global_id(0); vstore8(clnn_expf8(vload8(i, x)), i, y); }\n";

/* Runs kernel `name` of prog on x[0..n) (n a multiple of 8) into y. */
static void run(cl_context c, cl_command_queue q, cl_program prog, const char *name, const float *x, float *y,
                size_t n)
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
    size_t global = strcmp(name, "exp_vector") == 0 ? n / 8 : n;
    err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, NULL, 0, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clEnqueueNDRangeKernel(%s): %d", name, err);
    err = clEnqueueReadBuffer(q, by, CL_TRUE, 0, n * sizeof *y, y, 0, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clEnqueueReadBuffer: %d", err);
    clReleaseMemObject(bx);
    clReleaseMemObject(by);
    clReleaseKernel(k);
}

/* Arguments: the specials and both ends of the range, then uniform values
 * over [-90, 90] and over [-1, 1] (reproducible). */
static void fill_arguments(float *x, size_t n)
{
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, CLNN_EXP_LO, CLNN_EXP_HI,
                                    -86.59f, 88.7228f, 1.0f, -1.0f, 1e-30f, -1e-30f, FLT_MIN, 0.5f, -0.5f};
    size_t k = sizeof special / sizeof special[0];
    memcpy(x, special, sizeof special);
    uint64_t s = 12345;
    for (size_t i = k; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(s >> 11) / 9007199254740992.0;
        x[i] = (float)(i % 2 ? 180.0 * u - 90.0 : 2.0 * u - 1.0);
    }
}

int main(void)
{
    clnn_context *ctx = test_context();
    cl_context c;
    cl_command_queue q;
    cl_device_id dev;
    cl_program prog = test_cl_program(ctx, CLNN_CL_DIR, "exp.clh", kernels, &c, &q, &dev);

    size_t n = test_small() ? 1 << 12 : 1 << 20;
    float *x = malloc(n * sizeof *x), *ys = malloc(n * sizeof *ys), *yv = malloc(n * sizeof *yv);
    REQUIRE(x && ys && yv, "out of memory");
    fill_arguments(x, n);
    run(c, q, prog, "exp_scalar", x, ys, n);
    run(c, q, prog, "exp_vector", x, yv, n);

    size_t differ = 0, wrong = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bs, bv;
        memcpy(&bs, &ys[i], 4);
        memcpy(&bv, &yv[i], 4);
        differ += bs != bv && !(isnan(ys[i]) && isnan(yv[i]));
        const float xi = x[i], y = ys[i];
        if (isnan(xi)) {
            wrong += !isnan(y);
        } else if (xi < CLNN_EXP_LO) {
            wrong += y != 0.0f;
        } else if (xi > CLNN_EXP_HI) {
            wrong += !(isinf(y) && y > 0);
        } else {
            double ref = exp((double)xi);
            float r32 = (float)ref;
            if (isinf(r32)) { /* the exact value rounds to +INF in float */
                wrong += !(y >= FLT_MAX);
                continue;
            }
            double ulp = nextafterf(r32, INFINITY) - r32;
            double e = fabs((double)y - ref) / ulp;
            if (e > worst) worst = e;
        }
    }
    CHECK(differ == 0, "clnn_expf and clnn_expf8 differ in %zu of %zu results", differ, n);
    CHECK(wrong == 0, "%zu results outside the range rules (0 below -86.6, +INF above, NaN)", wrong);
    CHECK(worst <= 2.0, "clnn_expf is %.3f ulp from exp, the promise is 2", worst);
    printf("clnn_expf: %zu arguments, scalar and float8 bit-identical, worst %.3f ulp\n", n, worst);
    free(x);
    free(ys);
    free(yv);
    clReleaseProgram(prog);
    clnn_context_release(ctx);
    return check_summary();
}
