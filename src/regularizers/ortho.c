/* Soft orthogonality (Bansal, Chen, Wang 2018): λ·||W·Wᵀ − I||²_F and its
 * gradient 4λ·(W·Wᵀ − I)·W. The Gram matrix and the gradient product go
 * through CLBlast SGEMM on the context's queue (in order with our kernels). */
#include "regularizers/regularizers_internal.h"

/* C = alpha·A·op(B) + beta·C, row-major matrices that start their buffers (blas.c). */
static clnn_status sgemm(clnn_context *ctx, const char *fn, int trans_b, size_t m, size_t n, size_t k, float alpha,
                         cl_mem a, size_t lda, cl_mem b, size_t ldb, float beta, cl_mem c, size_t ldc)
{
    const clnn__gemm_operand A = {a, 0, lda, 0}, B = {b, 0, ldb, 0}, C = {c, 0, ldc, 0};
    return clnn__sgemm(ctx, fn, 0, trans_b, m, n, k, alpha, A, B, beta, C, 1);
}

static clnn_status check_ortho(clnn_context *ctx, const char *fn, float lambda, const clnn_tensor *w)
{
    TRY(clnn__check_range(ctx, fn, "lambda", lambda, 0.0f, INFINITY));
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    size_t rows, cols;
    clnn__rows_cols(w, &rows, &cols);
    CHECK_SHAPE(ctx, rows <= 65535 && rows * rows <= UINT32_MAX, "%s: w has %zu rows; the %zu x %zu Gram matrix is too large",
                fn, rows, rows, rows);
    return CLNN_OK;
}

/* *gram = W·Wᵀ in a new scratch buffer (released by the caller). */
static clnn_status gram_of(clnn_context *ctx, const char *fn, const clnn_tensor *w, size_t *r, size_t *c, cl_mem *gram)
{
    clnn__rows_cols(w, r, c);
    TRY(clnn__scratch(ctx, fn, *r * *r, gram));
    clnn_status st = sgemm(ctx, fn, 1, *r, *r, *c, 1.0f, w->buffer, *c, w->buffer, *c, 0.0f, *gram, *r);
    if (st != CLNN_OK) clReleaseMemObject(*gram);
    return st;
}

clnn_status clnn_reg_ortho_value(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *value)
{
    CLNN_ENTRY(ctx);
    TRY(check_ortho(ctx, fn, lambda, w));
    TRY(clnn__check_f32(ctx, fn, "value", value, 0));
    size_t r, c;
    cl_mem gram;
    TRY(gram_of(ctx, fn, w, &r, &c, &gram));
    clnn__reduce_desc d = {gram, NULL, REDUCE_TERM_ORTHO, REDUCE_POST_NONE, 1, (cl_uint)(r * r), 0, 1,
                           (cl_uint)(r + 1), lambda, 0.0f, 1.0f};
    clnn_status st = clnn__reduce(ctx, fn, &d, value->buffer, 0);
    clReleaseMemObject(gram);
    return st;
}

clnn_status clnn_reg_ortho_grad(clnn_context *ctx, const clnn_tensor *w, float lambda, clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    TRY(check_ortho(ctx, fn, lambda, w));
    TRY(clnn__check_f32(ctx, fn, "grad", grad, w->count));
    CHECK_ARG(ctx, !clnn__alias(grad, w), "%s: grad and w are the same buffer", fn);
    size_t r, c;
    cl_mem gram;
    TRY(gram_of(ctx, fn, w, &r, &c, &gram));
    cl_uint n = (cl_uint)r;
    clnn__karg a[] = {KARG_BUF(gram), KARG(n)};
    clnn_status st = clnn__reg_terms_run(ctx, fn, REG_TERMS_SUB_IDENTITY, NULL, r, 2, a);
    if (st == CLNN_OK) st = sgemm(ctx, fn, 0, r, c, r, 4.0f * lambda, gram, r, w->buffer, c, 1.0f, grad->buffer, c);
    clReleaseMemObject(gram);
    return st;
}
