/* Every GEMM and GEMV of clnn: CLBlast on the context's queue (in-order, so
 * they are ordered with clnn's own kernels), the tuned CLBlast parameters
 * applied before the first one, errors turned into clnn messages. */
#include "internal.h"

#include <clblast_c.h>
#include <stdio.h>

/* A failed CLBlast call as a clnn status and message. */
static clnn_status blas_fail(clnn_context *ctx, const char *fn, CLBlastStatusCode st, const char *what)
{
    return clnn__fail(ctx, st == CLBlastOpenCLOutOfHostMemory || st == CLBlastOpenCLOutOfResources
                               ? CLNN_ERR_OUT_OF_MEMORY
                               : CLNN_ERR_OPENCL,
                      "%s: CLBlast %s failed with status %d", fn, what, (int)st);
}

clnn_status clnn__sgemm(clnn_context *ctx, const char *fn, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                        float alpha, clnn__gemm_operand a, clnn__gemm_operand b, float beta, clnn__gemm_operand c,
                        size_t batch)
{
    if (m == 0 || n == 0 || batch == 0) return CLNN_OK;
    if (!ctx->clblast_checked) clnn__clblast_apply_tuned(ctx);
    const CLBlastTranspose ta = trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    const CLBlastTranspose tb = trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    cl_event ev = NULL;
    CLBlastStatusCode st;
    if (batch == 1)
        st = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a.buf, a.offset, a.ld, b.buf, b.offset, b.ld,
                          beta, c.buf, c.offset, c.ld, &ctx->queue, CLNN_PROFILE_EVENT(ctx, ev));
    else
        st = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, m, n, k, alpha, a.buf, a.offset, a.ld,
                                        a.stride, b.buf, b.offset, b.ld, b.stride, beta, c.buf, c.offset, c.ld,
                                        c.stride, batch, &ctx->queue, CLNN_PROFILE_EVENT(ctx, ev));
    if (st != CLBlastSuccess) {
        char what[96];
        snprintf(what, sizeof what, "SGEMM (%zu x %zu x %zu, batch %zu)", m, n, k, batch);
        return blas_fail(ctx, fn, st, what);
    }
    if (ev) return clnn__record_event(ctx, ev);
    return CLNN_OK;
}

clnn_status clnn__sgemv(clnn_context *ctx, const char *fn, int trans, size_t rows, size_t cols, float alpha,
                        clnn__gemm_operand a, cl_mem x, float beta, cl_mem y)
{
    if (!ctx->clblast_checked) clnn__clblast_apply_tuned(ctx);
    cl_event ev = NULL;
    CLBlastStatusCode st = CLBlastSgemv(CLBlastLayoutRowMajor, trans ? CLBlastTransposeYes : CLBlastTransposeNo, rows,
                                        cols, alpha, a.buf, a.offset, a.ld, x, 0, 1, beta, y, 0, 1, &ctx->queue,
                                        CLNN_PROFILE_EVENT(ctx, ev));
    if (st != CLBlastSuccess) {
        char what[64];
        snprintf(what, sizeof what, "SGEMV (%zu x %zu)", rows, cols);
        return blas_fail(ctx, fn, st, what);
    }
    if (ev) return clnn__record_event(ctx, ev);
    return CLNN_OK;
}
