/* Host side of scaled dot-product attention (cl/attention.cl): the four
 * GEMM shapes go to CLBlast strided-batched over batch*heads; the scale,
 * causal mask and softmax (forward) and the softmax Jacobian (backward) are
 * one row kernel each. */
#include "internal.h"
#include "tune_family.h"

#include <math.h>

#define CLNN_TABLE "attention_tunables.def"
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* One head, P0 queries, P1 keys, head size 32. */
static clnn_status exercise_attention(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t sq = problem[0], sk = problem[1], d = 32;
    clnn_tensor *q = EX_RAND(&b, 1, 1, sq, d), *k = EX_RAND(&b, 1, 1, sk, d), *v = EX_RAND(&b, 1, 1, sk, d);
    clnn_tensor *probs = EX_RAND(&b, 1, 1, sq, sk), *out = EX_RAND(&b, 1, 1, sq, d);
    EX_STEP(&b, clnn_attention_forward(ctx, q, k, v, 0, probs, out));
    if (t == &tune_softmax_backward)
        EX_STEP(&b, clnn_attention_backward(ctx, q, k, v, probs, out, EX_RAND(&b, 1, 1, sq, d), EX_RAND(&b, 1, 1, sk, d),
                                            EX_RAND(&b, 1, 1, sk, d)));
    return clnn__exercise_end(&b);
}

typedef struct attn_geom {
    size_t BH, Sq, Sk, D;
} attn_geom;

/* q [B, H, Q, D] and k [B, H, K, D] (batch, heads, queries, keys, head
 * size) fix the sizes; v [B, H, K, D] and probs [B, H, Q, K] must agree. */
static clnn_status attn_validate(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *q,
                                 const clnn_tensor *k, const clnn_tensor *v, const clnn_tensor *probs, attn_geom *g)
{
    TRY(clnn__check_shape(ctx, fn, d, "q", q, "B,H,Q,D"));
    TRY(clnn__check_count32(ctx, fn, "q", q));
    TRY(clnn__check_shape(ctx, fn, d, "k", k, "B,H,K,D"));
    TRY(clnn__check_count32(ctx, fn, "k", k));
    TRY(clnn__check_shape(ctx, fn, d, "v", v, "B,H,K,D"));
    TRY(clnn__check_shape(ctx, fn, d, "probs", probs, "B,H,Q,K"));
    TRY(clnn__check_count32(ctx, fn, "probs", probs));
    *g = (attn_geom){clnn__dim(d, 'B') * clnn__dim(d, 'H'), clnn__dim(d, 'Q'), clnn__dim(d, 'K'), clnn__dim(d, 'D')};
    return CLNN_OK;
}

static clnn__gemm_operand mat(cl_mem buf, size_t rows, size_t cols)
{
    return (clnn__gemm_operand){buf, 0, cols, rows * cols};
}

clnn_status clnn_attention_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                   const clnn_tensor *v, int causal, clnn_tensor *probs, clnn_tensor *out)
{
    CLNN_ENTRY(ctx);
    attn_geom g = {0}; /* set by attn_validate; gcc -O3 cannot see that */
    TRY(attn_validate(ctx, fn, &dims, q, k, v, probs, &g));
    CHECK_ARG(ctx, causal == 0 || causal == 1, "%s: causal = %d must be 0 or 1", fn, causal);
    TRY(clnn__check_shape(ctx, fn, &dims, "out", out, "B,H,Q,D"));
    const clnn_tensor *outs[] = {probs, out}, *ins[] = {q, k, v};
    static const char *const out_names[] = {"probs", "out"}, *const in_names[] = {"q", "k", "v"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 3));
    /* scores = q . k^T into probs, then scale + mask + softmax in place, then out = probs . v */
    TRY(clnn__sgemm(ctx, fn, 0, 1, g.Sq, g.Sk, g.D, 1.0f, mat(q->buffer, g.Sq, g.D), mat(k->buffer, g.Sk, g.D), 0.0f,
                    mat(probs->buffer, g.Sq, g.Sk), g.BH));
    cl_uint rows = (cl_uint)(g.BH * g.Sq), Sq = (cl_uint)g.Sq, Sk = (cl_uint)g.Sk;
    cl_float scale = (cl_float)(1.0 / sqrt((double)g.D));
    cl_int c = causal;
    size_t problem[2] = {rows, g.Sk};
    clnn__karg a[] = {KARG_BUF(probs->buffer), KARG(rows), KARG(Sq), KARG(Sk), KARG(scale), KARG(c)};
    TRY(clnn__run(ctx, fn, &tune_softmax_forward, problem, 6, a));
    return clnn__sgemm(ctx, fn, 0, 0, g.Sq, g.D, g.Sk, 1.0f, mat(probs->buffer, g.Sq, g.Sk), mat(v->buffer, g.Sk, g.D),
                       0.0f, mat(out->buffer, g.Sq, g.D), g.BH);
}

clnn_status clnn_attention_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                    const clnn_tensor *v, const clnn_tensor *probs, const clnn_tensor *dout,
                                    clnn_tensor *dq, clnn_tensor *dk, clnn_tensor *dv)
{
    CLNN_ENTRY(ctx);
    attn_geom g = {0}; /* set by attn_validate; gcc -O3 cannot see that */
    TRY(attn_validate(ctx, fn, &dims, q, k, v, probs, &g));
    TRY(clnn__check_shape(ctx, fn, &dims, "dout", dout, "B,H,Q,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dq", dq, "B,H,Q,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dk", dk, "B,H,K,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dv", dv, "B,H,K,D"));
    const clnn_tensor *outs[] = {dq, dk, dv}, *ins[] = {q, k, v, probs, dout};
    static const char *const out_names[] = {"dq", "dk", "dv"}, *const in_names[] = {"q", "k", "v", "probs", "dout"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 5));
    cl_mem ds;
    TRY(clnn__scratch(ctx, fn, g.BH * g.Sq * g.Sk, &ds));
    /* dP = dO . V^T; dS = scale * P (dP - rowsum(dP P)); dQ = dS . K; dK = dS^T . Q; dV = P^T . dO */
    clnn_status st = clnn__sgemm(ctx, fn, 0, 1, g.Sq, g.Sk, g.D, 1.0f, mat(dout->buffer, g.Sq, g.D),
                                 mat(v->buffer, g.Sk, g.D), 0.0f, mat(ds, g.Sq, g.Sk), g.BH);
    if (st == CLNN_OK) {
        cl_uint rows = (cl_uint)(g.BH * g.Sq), Sk = (cl_uint)g.Sk;
        cl_float scale = (cl_float)(1.0 / sqrt((double)g.D));
        size_t problem[2] = {rows, g.Sk};
        clnn__karg a[] = {KARG_BUF(ds), KARG_BUF(probs->buffer), KARG(rows), KARG(Sk), KARG(scale)};
        st = clnn__run(ctx, fn, &tune_softmax_backward, problem, 5, a);
    }
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 0, 0, g.Sq, g.D, g.Sk, 1.0f, mat(ds, g.Sq, g.Sk), mat(k->buffer, g.Sk, g.D), 0.0f,
                         mat(dq->buffer, g.Sq, g.D), g.BH);
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 1, 0, g.Sk, g.D, g.Sq, 1.0f, mat(ds, g.Sq, g.Sk), mat(q->buffer, g.Sq, g.D), 0.0f,
                         mat(dk->buffer, g.Sk, g.D), g.BH);
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 1, 0, g.Sk, g.D, g.Sq, 1.0f, mat(probs->buffer, g.Sq, g.Sk),
                         mat(dout->buffer, g.Sq, g.D), 0.0f, mat(dv->buffer, g.Sk, g.D), g.BH);
    clReleaseMemObject(ds);
    return st;
}
