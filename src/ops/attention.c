/* Host side of scaled dot-product attention (cl/attention.cl): the four
 * GEMM shapes go to CLBlast strided-batched over batch*heads; the scale,
 * causal mask and softmax (forward) and the softmax Jacobian (backward) are
 * one row kernel each. */
#include "internal.h"

#include <limits.h>
#include <math.h>

#define ROWS(id_, kernel_) \
    {id_, "attention", kernel_, 1, {{NULL, {0}, 0, 0}}, clnn__one_group_each_heuristic, clnn__global_one_group_each, \
     clnn__one_group_each_iterations}
static const clnn__tunable tune_softmax_forward = ROWS("attention.softmax_forward", "attn_softmax_forward");
static const clnn__tunable tune_softmax_backward = ROWS("attention.softmax_backward", "attn_softmax_backward");

const clnn__tunable *const clnn__attention_tunables[] = {&tune_softmax_forward, &tune_softmax_backward, NULL};

typedef struct attn_geom {
    size_t BH, Sq, Sk, D;
} attn_geom;

static clnn_status check_4d(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t, size_t d0,
                            size_t d1, size_t d2, size_t d3)
{
    TRY(clnn__check_tensor(ctx, fn, name, t));
    CHECK_SHAPE(ctx, t->dtype == CLNN_FLOAT32, "%s: %s must be float32", fn, name);
    CHECK_SHAPE(ctx, t->ndim == 4 && t->shape[0] == d0 && t->shape[1] == d1 && t->shape[2] == d2 && t->shape[3] == d3,
                "%s: %s must be [%zu, %zu, %zu, %zu]", fn, name, d0, d1, d2, d3);
    CHECK_SHAPE(ctx, t->count <= UINT_MAX, "%s: %s has more than 2^32 elements", fn, name);
    return CLNN_OK;
}

/* q [B, H, Sq, D] fixes B, H, D; k gives Sk; v and the rest must agree. */
static clnn_status attn_validate(clnn_context *ctx, const char *fn, const clnn_tensor *q, const clnn_tensor *k,
                                 const clnn_tensor *v, const clnn_tensor *probs, attn_geom *g)
{
    TRY(clnn__check_tensor(ctx, fn, "q", q));
    CHECK_SHAPE(ctx, q->ndim == 4, "%s: q must be [batch, heads, seq, dim], has %d dimensions", fn, q->ndim);
    TRY(check_4d(ctx, fn, "q", q, q->shape[0], q->shape[1], q->shape[2], q->shape[3]));
    TRY(clnn__check_tensor(ctx, fn, "k", k));
    CHECK_SHAPE(ctx, k->ndim == 4, "%s: k must be [batch, heads, seq, dim], has %d dimensions", fn, k->ndim);
    size_t B = q->shape[0], H = q->shape[1];
    g->BH = B * H, g->Sq = q->shape[2], g->Sk = k->shape[2], g->D = q->shape[3];
    TRY(check_4d(ctx, fn, "k", k, B, H, g->Sk, g->D));
    TRY(check_4d(ctx, fn, "v", v, B, H, g->Sk, g->D));
    TRY(check_4d(ctx, fn, "probs", probs, B, H, g->Sq, g->Sk));
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
    attn_geom g;
    TRY(attn_validate(ctx, fn, q, k, v, probs, &g));
    CHECK_ARG(ctx, causal == 0 || causal == 1, "%s: causal = %d must be 0 or 1", fn, causal);
    TRY(check_4d(ctx, fn, "out", out, q->shape[0], q->shape[1], g.Sq, g.D));
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
    attn_geom g;
    TRY(attn_validate(ctx, fn, q, k, v, probs, &g));
    size_t B = q->shape[0], H = q->shape[1];
    TRY(check_4d(ctx, fn, "dout", dout, B, H, g.Sq, g.D));
    TRY(check_4d(ctx, fn, "dq", dq, B, H, g.Sq, g.D));
    TRY(check_4d(ctx, fn, "dk", dk, B, H, g.Sk, g.D));
    TRY(check_4d(ctx, fn, "dv", dv, B, H, g.Sk, g.D));
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
