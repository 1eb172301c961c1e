/* Host side of the dense layer: GEMMs in CLBlast, bias + activation (forward)
 * and activation gradient + bias gradient (backward) in the fused kernels of
 * cl/layers_dense.cl. */
#include "common/rows.h"
#include "tune_family.h"

#define DB_ROWS 32 /* rows per partial of db: the same constant as cl/layers_dense.cl */

#define CLNN_TABLE "layers/dense_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* P0 outputs (= inputs), P1 batch rows; ReLU. */
static clnn_status exercise_dense(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t out = problem[0], rows = problem[1];
    clnn_tensor *x = EX_RAND(&b, rows, out), *w = EX_RAND(&b, out, out), *bias = EX_RAND(&b, out);
    clnn_tensor *z = EX_RAND(&b, rows, out), *y = EX_RAND(&b, rows, out);
    if (t == &tune_bias_act) {
        EX_STEP(&b, clnn_dense_forward(ctx, x, w, bias, CLNN_ACT_RELU, 0.0f, z, y));
    } else { /* dz and db: the bias gradient only, so no GEMM runs */
        EX_STEP(&b, clnn_dense_backward(ctx, x, w, z, y, CLNN_ACT_RELU, 0.0f, 0, NULL, NULL, bias));
    }
    return clnn__exercise_end(&b);
}

/* C = op(A) op(B) (+ C when beta is 1), row-major matrices that start their buffers (blas.c). */
static clnn_status sgemm(clnn_context *ctx, const char *fn, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                         cl_mem a, size_t lda, cl_mem b, size_t ldb, float beta, cl_mem c, size_t ldc)
{
    const clnn__gemm_operand A = {a, 0, lda, 0}, B = {b, 0, ldb, 0}, C = {c, 0, ldc, 0};
    return clnn__sgemm(ctx, fn, trans_a, trans_b, m, n, k, 1.0f, A, B, beta, C, 1);
}

/* Shapes of a dense call: x [rows..., in] (at least 2-D), w [out, in]. */
typedef struct dense_dims {
    size_t rows, in, out;
} dense_dims;

/* The activation, x [N+, C] and w [O, C]: binds N (x's rows), C (in) and O (out). */
static clnn_status check_dense(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *x,
                               const clnn_tensor *w, clnn_activation act, float alpha, dense_dims *d)
{
    TRY(clnn__check_activation(ctx, fn, act, alpha));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    TRY(clnn__check_shape(ctx, fn, dims, "w", w, "O,C"));
    TRY(clnn__check_shape(ctx, fn, dims, "x", x, "N+,C"));
    d->rows = clnn__dim(dims, 'N');
    d->in = clnn__dim(dims, 'C');
    d->out = clnn__dim(dims, 'O');
    CHECK_SHAPE(ctx, d->rows * d->out <= 0xFFFFFFFFu && x->count <= 0xFFFFFFFFu,
                "%s: tensors of more than 2^32 - 1 elements are not supported", fn);
    return CLNN_OK;
}

clnn_status clnn_dense_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w, const clnn_tensor *b,
                               clnn_activation act, float alpha, clnn_tensor *z, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    dense_dims d;
    TRY(check_dense(ctx, fn, &dims, x, w, act, alpha, &d));
    if (b) TRY(clnn__check_shape(ctx, fn, &dims, "b", b, "O*"));
    TRY(clnn__check_shape(ctx, fn, &dims, "y", y, "N*,O"));
    if (z) TRY(clnn__check_shape(ctx, fn, &dims, "z", z, "N*,O"));
    const clnn_tensor *outs[] = {y, z}, *ins[] = {x, w, b};
    static const char *const out_names[] = {"y", "z"}, *const in_names[] = {"x", "w", "b"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 3));
    clnn_tensor *g = z ? z : y; /* the GEMM's result; the epilogue reads it */
    TRY(sgemm(ctx, fn, 0, 1, d.rows, d.out, d.in, x->buffer, d.in, w->buffer, d.in, 0.0f, g->buffer, d.out));
    if (act == CLNN_ACT_NONE && !b && !z) return CLNN_OK;
    cl_uint rows = (cl_uint)d.rows, cols = (cl_uint)d.out;
    cl_int has_bias = b != NULL, store_z = z != NULL, a = (cl_int)act;
    cl_mem bias = b ? b->buffer : g->buffer; /* unread when has_bias is 0 */
    clnn__karg args[] = {KARG_BUF(g->buffer), KARG_BUF(y->buffer), KARG_BUF(bias), KARG(rows), KARG(cols),
                         KARG(has_bias), KARG(store_z), KARG(a), KARG(alpha)};
    size_t problem[2] = {d.out, d.rows};
    char variant[32];
    return clnn__run_variant(ctx, fn, &tune_bias_act, clnn__act_variant(act, variant), problem, 9, args);
}

clnn_status clnn_dense_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w, const clnn_tensor *z,
                                const clnn_tensor *dy, clnn_activation act, float alpha, int accumulate,
                                clnn_tensor *dx, clnn_tensor *dw, clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    dense_dims d;
    TRY(check_dense(ctx, fn, &dims, x, w, act, alpha, &d));
    CHECK_ARG(ctx, accumulate == 0 || accumulate == 1, "%s: accumulate must be 0 or 1, not %d", fn, accumulate);
    TRY(clnn__check_shape(ctx, fn, &dims, "dy", dy, "N*,O"));
    if (act != CLNN_ACT_NONE) {
        CHECK_ARG(ctx, z != NULL, "%s: z (the forward's pre-activation) is NULL but act is not CLNN_ACT_NONE", fn);
    }
    if (z) TRY(clnn__check_shape(ctx, fn, &dims, "z", z, "N*,O"));
    if (dx) TRY(clnn__check_shape(ctx, fn, &dims, "dx", dx, "N*,C"));
    if (dw) TRY(clnn__check_shape(ctx, fn, &dims, "dw", dw, "O*,C"));
    if (db) TRY(clnn__check_shape(ctx, fn, &dims, "db", db, "O*"));
    const clnn_tensor *outs[] = {dx, dw, db}, *ins[] = {x, w, z, dy};
    static const char *const out_names[] = {"dx", "dw", "db"}, *const in_names[] = {"x", "w", "z", "dy"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 4));
    if (!dx && !dw && !db) return CLNN_OK;

    /* dz = dy * act'(z): a scratch tensor unless act is the identity. */
    int need_dz = act != CLNN_ACT_NONE && (dx || dw);
    cl_uint rows = (cl_uint)d.rows, cols = (cl_uint)d.out, blocks = (cl_uint)((d.rows + DB_ROWS - 1) / DB_ROWS);
    cl_mem dz = dy->buffer, partial = dy->buffer;
    clnn_status st = CLNN_OK;
    if (need_dz) TRY(clnn__scratch(ctx, fn, d.rows * d.out, &dz));
    if (db && (st = clnn__scratch(ctx, fn, (size_t)blocks * d.out, &partial)) != CLNN_OK) goto out;
    if (need_dz || db) {
        cl_int write_dz = need_dz, want_db = db != NULL, a = (cl_int)act;
        cl_mem zb = z ? z->buffer : dy->buffer; /* act'(.) of the identity is 1: unread */
        clnn__karg args[] = {KARG_BUF(dz), KARG_BUF(partial), KARG_BUF(dy->buffer), KARG_BUF(zb), KARG(rows),
                             KARG(cols), KARG(write_dz), KARG(want_db), KARG(a), KARG(alpha)};
        size_t problem[2] = {d.out, blocks};
        char variant[32];
        st = clnn__run_variant(ctx, fn, &tune_dz, clnn__act_variant(act, variant), problem, 10, args);
        if (st != CLNN_OK) goto out;
    }
    if (db) {
        cl_int acc = accumulate;
        clnn__karg args[] = {KARG_BUF(db->buffer), KARG_BUF(partial), KARG(blocks), KARG(cols), KARG(acc)};
        size_t problem[2] = {d.out, 1};
        if ((st = clnn__run(ctx, fn, &tune_db, problem, 5, args)) != CLNN_OK) goto out;
    }
    if (dx && (st = sgemm(ctx, fn, 0, 0, d.rows, d.in, d.out, dz, d.out, w->buffer, d.in, 0.0f, dx->buffer, d.in)) !=
                  CLNN_OK)
        goto out;
    if (dw)
        st = sgemm(ctx, fn, 1, 0, d.out, d.in, d.rows, dz, d.out, x->buffer, d.in, accumulate ? 1.0f : 0.0f,
                   dw->buffer, d.in);
out:
    if (need_dz) clReleaseMemObject(dz);
    if (db && partial != dy->buffer) clReleaseMemObject(partial);
    return st;
}
