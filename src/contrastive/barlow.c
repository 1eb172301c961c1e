/* Barlow Twins (Zbontar et al. 2021; include/clnn/contrastive.h): the
 * library's batch norm (training statistics, no affine) on each view, C =
 * ŷ1ᵀ ŷ2 / N through CLBlast, barlow_rows (cl/contrastive.cl) for the loss
 * and dL/dC in place, two GEMMs back to ŷ1 and ŷ2, and batch norm's backward. */
#include "contrastive/contrastive_internal.h"

#define BARLOW_BN_EPS 1e-5f /* torch.nn.BatchNorm1d's default, as in the paper's code */

/* Scratch of the call and [rows, cols] tensor views of buffers for batch norm. */
enum { B_Y1, B_Y2, B_M1, B_I1, B_M2, B_I2, B_C, B_PART, B_DY1, B_DY2, N_BUF };
enum { T_X1, T_X2, T_Y1, T_Y2, T_M1, T_I1, T_M2, T_I2, T_DY1, T_DY2, T_DZ1, T_DZ2, N_T };

static clnn_status view(clnn_context *ctx, cl_mem buf, size_t rows, size_t cols, clnn_tensor **out)
{
    size_t shape[2] = {rows, cols};
    return buf ? clnn_tensor_wrap(ctx, buf, CLNN_FLOAT32, rows == 1 ? 1 : 2, rows == 1 ? shape + 1 : shape, out)
               : CLNN_OK;
}

static clnn_status barlow(clnn_context *ctx, const char *fn, size_t n, size_t d, float lambda, cl_mem *buf,
                          clnn_tensor **t, clnn_tensor *loss)
{
    TRY(clnn_batchnorm_forward(ctx, t[T_X1], NULL, NULL, NULL, NULL, 1, 0.0f, BARLOW_BN_EPS, t[T_Y1], t[T_M1],
                               t[T_I1]));
    TRY(clnn_batchnorm_forward(ctx, t[T_X2], NULL, NULL, NULL, NULL, 1, 0.0f, BARLOW_BN_EPS, t[T_Y2], t[T_M2],
                               t[T_I2]));
    clnn__gemm_operand y1 = {buf[B_Y1], 0, d, 0}, y2 = {buf[B_Y2], 0, d, 0}, c = {buf[B_C], 0, d, 0};
    float inv_n = (float)(1.0 / (double)n);
    TRY(clnn__sgemm(ctx, fn, 1, 0, d, d, n, inv_n, y1, y2, 0.0f, c, 1));
    cl_uint dd = (cl_uint)d, lanes = clnn__row_lanes(d);
    cl_int want_grad = buf[B_DY1] != NULL;
    clnn__karg a[] = {KARG_BUF(buf[B_C]), KARG_BUF(buf[B_PART]), KARG(dd), KARG(lambda), KARG(want_grad), KARG(lanes),
                      KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {d, d};
    TRY(clnn__run(ctx, fn, &clnn__ctr_barlow_rows, problem, 7, a));
    if (loss) TRY(clnn__loss_sum(ctx, fn, loss, buf[B_PART], d, 1.0f));
    if (!want_grad) return CLNN_OK;
    /* dŷ1 = ŷ2 dCᵀ / N, dŷ2 = ŷ1 dC / N, then through the batch statistics */
    clnn__gemm_operand dy1 = {buf[B_DY1], 0, d, 0}, dy2 = {buf[B_DY2], 0, d, 0};
    TRY(clnn__sgemm(ctx, fn, 0, 1, n, d, d, inv_n, y2, c, 0.0f, dy1, 1));
    TRY(clnn__sgemm(ctx, fn, 0, 0, n, d, d, inv_n, y1, c, 0.0f, dy2, 1));
    if (t[T_DZ1])
        TRY(clnn_batchnorm_backward(ctx, t[T_X1], t[T_DY1], NULL, t[T_M1], t[T_I1], 1, t[T_DZ1], NULL, NULL));
    if (t[T_DZ2])
        TRY(clnn_batchnorm_backward(ctx, t[T_X2], t[T_DY2], NULL, t[T_M2], t[T_I2], 1, t[T_DZ2], NULL, NULL));
    return CLNN_OK;
}

clnn_status clnn_barlow_twins(clnn_context *ctx, const clnn_tensor *z1, const clnn_tensor *z2, float lambda,
                              clnn_tensor *loss, clnn_tensor *dz1, clnn_tensor *dz2)
{
    CLNN_ENTRY(ctx);
    size_t n, d;
    TRY(clnn__ctr_check_views(ctx, fn, "z1", z1, "z2", z2, loss, "dz1", dz1, "dz2", dz2, &n, &d));
    CHECK_SHAPE(ctx, n >= 2, "%s: %zu sample; the batch statistics need at least 2", fn, n);
    CHECK_ARG(ctx, clnn__is_finite(lambda) && lambda >= 0.0f, "%s: lambda %g must be finite and >= 0", fn,
              (double)lambda);

    int want_grad = dz1 || dz2;
    const size_t sizes[N_BUF] = {n * d, n * d, d, d, d, d, d * d, d, n * d, n * d};
    cl_mem buf[N_BUF] = {NULL};
    clnn_tensor *t[N_T] = {NULL};
    clnn_status st = CLNN_OK;
    for (int i = 0; i < N_BUF && st == CLNN_OK; i++)
        if (i < B_DY1 || want_grad) st = clnn__scratch(ctx, fn, sizes[i], &buf[i]);
    /* [n, d] views of every operand of batch norm (the inputs may have more dimensions) */
    const cl_mem bufs[N_T] = {z1->buffer, z2->buffer, buf[B_Y1],  buf[B_Y2],  buf[B_M1], buf[B_I1],
                              buf[B_M2],  buf[B_I2],  buf[B_DY1], buf[B_DY2], dz1 ? dz1->buffer : NULL,
                              dz2 ? dz2->buffer : NULL};
    for (int i = 0; i < N_T && st == CLNN_OK; i++)
        st = view(ctx, bufs[i], (i >= T_M1 && i <= T_I2) ? 1 : n, d, &t[i]);
    if (st == CLNN_OK) st = barlow(ctx, fn, n, d, lambda, buf, t, loss);
    for (int i = 0; i < N_T; i++) clnn_tensor_release(t[i]);
    clnn__ctr_release(N_BUF, buf);
    return st;
}
