/* cl/index.clh's div_by and split_by with src/divisor.c's prepared divisors
 * on the test's device, against the host's integer / and %: every divisor
 * 1..2048, the powers of two and their neighbours, 2^32 - 1 and random ones,
 * each with the dividends 0, 1, d - 1, d, d + 1, 2^31, 2^32 - 1, the
 * multiples of d around 2^32 and random ones. The header is read from the
 * source tree (CLNN_CL_DIR) and built with the raw OpenCL API on the
 * context's own device. */
#include "check.h"
#include "divisor.h"

#include <stdint.h>

#define XS_PER_D 24

static const char *kernels =
    "\n__kernel void divide(__global uint *q, __global uint *r, __global const uint *x, __global const uint4 *d)\n"
    "{ const size_t i = get_global_id(0); uint quotient; r[i] = split_by(x[i], d[i], &quotient);\n"
    "  q[i] = quotient + (div_by(x[i], d[i]) != quotient); }\n";

static uint32_t next_random(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 32);
}

/* The divisors: 1..2048, 2^k - 1, 2^k, 2^k + 1, 2^32 - 1, then random. */
static size_t fill_divisors(uint32_t *d, size_t cap, uint64_t *s)
{
    size_t n = 0;
    for (uint32_t v = 1; v <= 2048; v++) d[n++] = v;
    for (int k = 12; k < 32; k++) {
        d[n++] = (1u << k) - 1;
        d[n++] = 1u << k;
        d[n++] = (1u << k) + 1;
    }
    d[n++] = UINT32_MAX;
    while (n < cap) d[n++] = next_random(s) | 1u;
    return n;
}

/* The dividends of divisor d: the edges, then random. */
static void fill_dividends(uint32_t d, uint32_t *x, uint64_t *s)
{
    uint64_t top = (UINT32_MAX / d) * (uint64_t)d; /* the largest multiple of d */
    const uint32_t edge[] = {0, 1, d - 1, d, d + 1 ? d + 1 : d, 1u << 31, UINT32_MAX, UINT32_MAX - 1,
                             (uint32_t)top, (uint32_t)(top - 1), (uint32_t)(top - d), (uint32_t)(top - d + 1)};
    size_t k = sizeof edge / sizeof edge[0];
    memcpy(x, edge, sizeof edge);
    for (size_t i = k; i < XS_PER_D; i++) x[i] = next_random(s);
}

int main(void)
{
    clnn_context *ctx = test_context();
    cl_context c;
    cl_command_queue q;
    cl_device_id dev;
    cl_program prog = test_cl_program(ctx, CLNN_CL_DIR, "index.clh", kernels, &c, &q, &dev);

    uint64_t s = 2024;
    size_t nd = test_small() ? 2200 : 6000, n = nd * XS_PER_D;
    uint32_t *d = malloc(nd * sizeof *d), *x = malloc(n * sizeof *x), *gq = malloc(n * sizeof *gq),
             *gr = malloc(n * sizeof *gr);
    cl_uint4 *dv = malloc(n * sizeof *dv);
    REQUIRE(d && x && gq && gr && dv, "out of memory");
    nd = fill_divisors(d, nd, &s);
    for (size_t j = 0; j < nd; j++) {
        fill_dividends(d[j], x + j * XS_PER_D, &s);
        cl_uint4 v = clnn__divisor(d[j]);
        for (size_t i = 0; i < XS_PER_D; i++) dv[j * XS_PER_D + i] = v;
    }
    cl_int err;
    cl_mem bq = clCreateBuffer(c, CL_MEM_WRITE_ONLY, n * 4, NULL, &err);
    cl_mem br = clCreateBuffer(c, CL_MEM_WRITE_ONLY, n * 4, NULL, &err);
    cl_mem bx = clCreateBuffer(c, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * 4, x, &err);
    cl_mem bd = clCreateBuffer(c, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof *dv, dv, &err);
    REQUIRE(err == CL_SUCCESS, "clCreateBuffer: %d", err);
    cl_kernel k = clCreateKernel(prog, "divide", &err);
    REQUIRE(err == CL_SUCCESS, "clCreateKernel: %d", err);
    clSetKernelArg(k, 0, sizeof bq, &bq);
    clSetKernelArg(k, 1, sizeof br, &br);
    clSetKernelArg(k, 2, sizeof bx, &bx);
    clSetKernelArg(k, 3, sizeof bd, &bd);
    err = clEnqueueNDRangeKernel(q, k, 1, NULL, &n, NULL, 0, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clEnqueueNDRangeKernel: %d", err);
    err = clEnqueueReadBuffer(q, bq, CL_TRUE, 0, n * 4, gq, 0, NULL, NULL);
    err |= clEnqueueReadBuffer(q, br, CL_TRUE, 0, n * 4, gr, 0, NULL, NULL);
    REQUIRE(err == CL_SUCCESS, "clEnqueueReadBuffer: %d", err);

    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t dd = d[i / XS_PER_D];
        if (gq[i] != x[i] / dd || gr[i] != x[i] % dd) {
            if (wrong < 5)
                printf("  %u / %u: device %u rem %u, host %u rem %u\n", x[i], dd, gq[i], gr[i], x[i] / dd, x[i] % dd);
            wrong++;
        }
    }
    CHECK(wrong == 0, "div_by / split_by wrong in %zu of %zu divisions", wrong, n);
    printf("div_by: %zu divisions by %zu divisors checked\n", n, nd);
    clReleaseKernel(k);
    clReleaseMemObject(bq);
    clReleaseMemObject(br);
    clReleaseMemObject(bx);
    clReleaseMemObject(bd);
    clReleaseProgram(prog);
    free(d); free(x); free(gq); free(gr); free(dv);
    clnn_context_release(ctx);
    return check_summary();
}
