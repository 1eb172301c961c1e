/* The standard path of scaled dot-product attention (cl/attention.cl): the
 * GEMMs go to CLBlast strided-batched over batch * kv heads (the R = Hd / Hkv
 * query heads of a kv head are R*Sq contiguous rows, so grouped-query
 * attention is one GEMM per kv head and dK, dV sum over the group in the
 * GEMM); the scale, masks and softmax (forward), the softmax Jacobian
 * (backward) and the dropout are kernels of their own. */
#include "attention/attention_internal.h"

#include <math.h>

static clnn__gemm_operand mat(cl_mem buf, size_t rows, size_t cols)
{
    return (clnn__gemm_operand){buf, 0, cols, rows * cols};
}

/* dst = dropout(src) with the options' mask over n elements (dst may be src). */
static clnn_status run_dropout(clnn_context *ctx, const char *fn, const clnn_attention_options *o, cl_mem dst,
                               cl_mem src, size_t n)
{
    cl_uint cn = (cl_uint)n, stream = CLNN_STREAM_ATTENTION_DROPOUT;
    cl_float p = o->dropout_p, keep = (cl_float)(1.0 / (1.0 - (double)o->dropout_p));
    cl_ulong seed = o->seed, offset = o->offset;
    size_t problem[2] = {n, 1};
    clnn__karg a[] = {KARG_BUF(dst), KARG_BUF(src), KARG(cn), KARG(p), KARG(keep), KARG(seed), KARG(stream),
                      KARG(offset)};
    return clnn__run(ctx, fn, &clnn__attn_dropout, problem, 8, a);
}

/* The forward pass after the entry's checks. */
static clnn_status sdpa_forward(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *q,
                                const clnn_tensor *k, const clnn_tensor *v, const clnn_tensor *mask,
                                const clnn_tensor *key_padding, const clnn_attention_options *o, clnn_tensor *probs,
                                clnn_tensor *out)
{
    clnn__attn_geom g = {0}; /* set by the check; gcc -O3 cannot see that */
    cl_float scale = 0.0f;
    clnn__attn_masks m;
    TRY(clnn__attn_check_qkv(ctx, fn, dims, q, k, v, &g));
    TRY(clnn__attn_check_options(ctx, fn, o, &g, &scale));
    TRY(clnn__attn_check_masks(ctx, fn, dims, q, mask, key_padding, &g, &m));
    TRY(clnn__check_shape(ctx, fn, dims, "probs", probs, "B,H,Q,K"));
    TRY(clnn__check_shape(ctx, fn, dims, "out", out, "B,H,Q,E"));
    const clnn_tensor *outs[] = {probs, out}, *ins[] = {q, k, v, mask, key_padding};
    static const char *const out_names[] = {"probs", "out"}, *const in_names[] = {"q", "k", "v", "mask", "key_padding"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 5));
    size_t BG = g.B * g.G, RQ = g.R * g.Sq, np = g.B * g.H * g.Sq * g.Sk;
    /* scores = q . k^T into probs, then scale + masks + softmax in place, then out = dropout(probs) . v */
    TRY(clnn__sgemm(ctx, fn, 0, 1, RQ, g.Sk, g.D, 1.0f, mat(q->buffer, RQ, g.D), mat(k->buffer, g.Sk, g.D), 0.0f,
                    mat(probs->buffer, RQ, g.Sk), BG));
    cl_uint rows = (cl_uint)(g.B * g.H * g.Sq), Sq = (cl_uint)g.Sq, Sk = (cl_uint)g.Sk, Hd = (cl_uint)g.H;
    cl_int c = o->causal;
    size_t problem[2] = {rows, g.Sk};
    clnn__karg a[] = {KARG_BUF(probs->buffer), KARG(rows), KARG(Sq), KARG(Sk), KARG(scale), KARG(c), KARG(Hd),
                      KARG_BUF(m.mask), KARG(m.msb), KARG(m.msh), KARG_BUF(m.kpm_buf)};
    TRY(clnn__run_variant(ctx, fn, &clnn__attn_softmax_forward, m.variant, problem, 11, a));
    if (o->dropout_p == 0.0f)
        return clnn__sgemm(ctx, fn, 0, 0, RQ, g.E, g.Sk, 1.0f, mat(probs->buffer, RQ, g.Sk), mat(v->buffer, g.Sk, g.E),
                           0.0f, mat(out->buffer, RQ, g.E), BG);
    cl_mem pd;
    TRY(clnn__scratch(ctx, fn, np, &pd));
    clnn_status st = run_dropout(ctx, fn, o, pd, probs->buffer, np);
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 0, 0, RQ, g.E, g.Sk, 1.0f, mat(pd, RQ, g.Sk), mat(v->buffer, g.Sk, g.E), 0.0f,
                         mat(out->buffer, RQ, g.E), BG);
    clReleaseMemObject(pd);
    return st;
}

/* The backward pass after the entry's checks. */
static clnn_status sdpa_backward(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *q,
                                 const clnn_tensor *k, const clnn_tensor *v, const clnn_tensor *probs,
                                 const clnn_tensor *dout, const clnn_attention_options *o, clnn_tensor *dq,
                                 clnn_tensor *dk, clnn_tensor *dv)
{
    clnn__attn_geom g = {0}; /* set by the check; gcc -O3 cannot see that */
    cl_float scale = 0.0f;
    TRY(clnn__attn_check_qkv(ctx, fn, dims, q, k, v, &g));
    TRY(clnn__attn_check_options(ctx, fn, o, &g, &scale));
    TRY(clnn__check_shape(ctx, fn, dims, "probs", probs, "B,H,Q,K"));
    TRY(clnn__check_shape(ctx, fn, dims, "dout", dout, "B,H,Q,E"));
    TRY(clnn__check_shape(ctx, fn, dims, "dq", dq, "B,H,Q,D"));
    TRY(clnn__check_shape(ctx, fn, dims, "dk", dk, "B,G,K,D"));
    TRY(clnn__check_shape(ctx, fn, dims, "dv", dv, "B,G,K,E"));
    const clnn_tensor *outs[] = {dq, dk, dv}, *ins[] = {q, k, v, probs, dout};
    static const char *const out_names[] = {"dq", "dk", "dv"}, *const in_names[] = {"q", "k", "v", "probs", "dout"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 5));
    size_t BG = g.B * g.G, RQ = g.R * g.Sq, np = g.B * g.H * g.Sq * g.Sk;
    const int drop = o->dropout_p != 0.0f;
    cl_mem ds, pd = NULL;
    TRY(clnn__scratch(ctx, fn, np, &ds));
    clnn_status st = drop ? clnn__scratch(ctx, fn, np, &pd) : CLNN_OK;
    /* dPd = dO . V^T; dP = dropout(dPd) (same mask); dS = scale * P (dP - rowsum(dP P));
     * dQ = dS . K; dK = dS^T . Q; dV = dropout(P)^T . dO */
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 0, 1, RQ, g.Sk, g.E, 1.0f, mat(dout->buffer, RQ, g.E), mat(v->buffer, g.Sk, g.E),
                         0.0f, mat(ds, RQ, g.Sk), BG);
    if (st == CLNN_OK && drop) st = run_dropout(ctx, fn, o, ds, ds, np);
    if (st == CLNN_OK) {
        cl_uint rows = (cl_uint)(g.B * g.H * g.Sq), Sk = (cl_uint)g.Sk;
        size_t problem[2] = {rows, g.Sk};
        clnn__karg a[] = {KARG_BUF(ds), KARG_BUF(probs->buffer), KARG(rows), KARG(Sk), KARG(scale)};
        st = clnn__run(ctx, fn, &clnn__attn_softmax_backward, problem, 5, a);
    }
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 0, 0, RQ, g.D, g.Sk, 1.0f, mat(ds, RQ, g.Sk), mat(k->buffer, g.Sk, g.D), 0.0f,
                         mat(dq->buffer, RQ, g.D), BG);
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 1, 0, g.Sk, g.D, RQ, 1.0f, mat(ds, RQ, g.Sk), mat(q->buffer, RQ, g.D), 0.0f,
                         mat(dk->buffer, g.Sk, g.D), BG);
    if (st == CLNN_OK && drop) st = run_dropout(ctx, fn, o, pd, probs->buffer, np);
    if (st == CLNN_OK)
        st = clnn__sgemm(ctx, fn, 1, 0, g.Sk, g.E, RQ, 1.0f, mat(drop ? pd : probs->buffer, RQ, g.Sk),
                         mat(dout->buffer, RQ, g.E), 0.0f, mat(dv->buffer, g.Sk, g.E), BG);
    clReleaseMemObject(ds);
    if (pd) clReleaseMemObject(pd);
    return st;
}

clnn_status clnn_attention_sdpa_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                        const clnn_tensor *v, const clnn_tensor *mask, const clnn_tensor *key_padding,
                                        const clnn_attention_options *opt, clnn_tensor *probs, clnn_tensor *out)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_attention_options, opt);
    return sdpa_forward(ctx, fn, &dims, q, k, v, mask, key_padding, opt, probs, out);
}

clnn_status clnn_attention_sdpa_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                         const clnn_tensor *v, const clnn_tensor *probs, const clnn_tensor *dout,
                                         const clnn_attention_options *opt, clnn_tensor *dq, clnn_tensor *dk,
                                         clnn_tensor *dv)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_attention_options, opt);
    return sdpa_backward(ctx, fn, &dims, q, k, v, probs, dout, opt, dq, dk, dv);
}

/* The original entries: the options' defaults with top-left causal masking. */
clnn_status clnn_attention_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                   const clnn_tensor *v, int causal, clnn_tensor *probs, clnn_tensor *out)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, causal == 0 || causal == 1, "%s: causal = %d must be 0 or 1", fn, causal);
    clnn_attention_options o;
    clnn_attention_options_init(&o);
    o.causal = causal;
    return sdpa_forward(ctx, fn, &dims, q, k, v, NULL, NULL, &o, probs, out);
}

clnn_status clnn_attention_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                    const clnn_tensor *v, const clnn_tensor *probs, const clnn_tensor *dout,
                                    clnn_tensor *dq, clnn_tensor *dk, clnn_tensor *dv)
{
    CLNN_ENTRY(ctx);
    clnn_attention_options o;
    clnn_attention_options_init(&o);
    return sdpa_backward(ctx, fn, &dims, q, k, v, probs, dout, &o, dq, dk, dv);
}
