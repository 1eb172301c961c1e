/* The column statistics and covariance shared by VICReg (vicreg.c) and
 * IsoScore* (isoscore.c): cl/representations_vicreg.cl's col_moments,
 * col_stats and center_cols, then C = Zcᵀ·Zc / (n − 1) through CLBlast. */
#include "representations/representations_internal.h"

#include <stdio.h>

/* Row lanes of the column statistics: a function of n only (the bits of the
 * statistics depend on it), enough work-items for a GPU at small d. */
cl_uint clnn__repr_col_lanes(size_t n) { return (cl_uint)(n < 64 ? n : 64); }

/* Columns per work-item of the column kernels (VW of cl/representations_vicreg.cl): a
 * function of d only. */
static unsigned col_vw(size_t d) { return d % 4 == 0 ? 4 : 1; }

void clnn__repr_global_lanes_cols(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    (void)cfg;
    global[0] = clnn__repr_col_lanes(problem[0]) * (problem[1] / col_vw(problem[1]));
    global[1] = 1;
}

void clnn__repr_col_variant(size_t d, char buf[16]) { snprintf(buf, 16, "-DVW=%u", col_vw(d)); }

clnn__gemm_operand clnn__repr_matrix(cl_mem buf, size_t ld) { return (clnn__gemm_operand){buf, 0, ld, 0}; }

clnn_status clnn__repr_column_stats(clnn_context *ctx, const char *fn, cl_mem z, size_t rows, size_t cols,
                                    float gamma, float eps, cl_mem stats)
{
    cl_uint n = (cl_uint)rows, d = (cl_uint)cols, lanes = clnn__repr_col_lanes(rows);
    cl_mem part;
    TRY(clnn__scratch(ctx, fn, 2 * (size_t)lanes * cols, &part));
    size_t problem[2] = {rows, cols};
    char variant[16];
    clnn__repr_col_variant(cols, variant);
    clnn__karg a1[] = {KARG_BUF(part), KARG_BUF(z), KARG(n), KARG(d), KARG(lanes)};
    clnn_status st = clnn__run_variant(ctx, fn, &clnn__tune_repr_moments, variant, problem, 5, a1);
    if (st == CLNN_OK) {
        clnn__karg a2[] = {KARG_BUF(stats), KARG_BUF(part), KARG(n), KARG(d), KARG(lanes), KARG(gamma), KARG(eps)};
        st = clnn__run(ctx, fn, &clnn__tune_repr_stats, problem, 7, a2);
    }
    clReleaseMemObject(part);
    return st;
}

clnn_status clnn__repr_covariance(clnn_context *ctx, const char *fn, cl_mem z, cl_mem stats, size_t rows,
                                  size_t cols, cl_mem *zc, cl_mem *c)
{
    *zc = *c = NULL;
    clnn_status st = clnn__scratch(ctx, fn, rows * cols, zc);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, cols * cols, c);
    if (st == CLNN_OK) {
        cl_uint nn = (cl_uint)rows, dd = (cl_uint)cols, lanes = clnn__repr_col_lanes(rows);
        clnn__karg args[] = {KARG_BUF(*zc), KARG_BUF(z), KARG_BUF(stats), KARG(nn), KARG(dd), KARG(lanes)};
        size_t problem[2] = {rows, cols};
        char variant[16];
        clnn__repr_col_variant(cols, variant);
        st = clnn__run_variant(ctx, fn, &clnn__tune_repr_center_cols, variant, problem, 6, args);
    }
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 1, 0, cols, cols, rows, (float)(1.0 / (double)(rows - 1)),
                         clnn__repr_matrix(*zc, cols), clnn__repr_matrix(*zc, cols), 0.0f,
                         clnn__repr_matrix(*c, cols), 1);
    return st;
}
