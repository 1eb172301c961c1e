/* Host side of mixture-of-experts routing (cl/sparse_moe.cl, include/clnn/sparse.h):
 * top-k routing with optional selection bias, its backward pass through the
 * gates, integer expert loads, the auxiliary-loss-free bias update and the
 * Switch load-balancing loss. */
#include "common/rows.h"
#include "sparse/sparse_internal.h"

#define MAX_EXPERTS 4096

/* logits [T, E]: E = last dimension (<= MAX_EXPERTS), T = the other rows. */
/* logits [T*, E]: T tokens (the leading dimensions) of E experts (at most
 * MAX_EXPERTS); binds T and E. */
static clnn_status check_logits(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *logits,
                                size_t *T, size_t *E)
{
    TRY(clnn__check_shape(ctx, fn, d, "logits", logits, "T*,E"));
    TRY(clnn__check_count32(ctx, fn, "logits", logits));
    *T = clnn__dim(d, 'T');
    *E = clnn__dim(d, 'E');
    CHECK_SHAPE(ctx, *E <= MAX_EXPERTS, "%s: %zu experts (the last dimension of logits), at most %d", fn, *E,
                MAX_EXPERTS);
    return CLNN_OK;
}

/* The forward's indices [T*, K]: K = their last dimension, in [1, E]; binds K. */
static clnn_status check_indices(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *indices,
                                 size_t *k)
{
    TRY(clnn__check_i32(ctx, fn, "indices", indices, 0));
    *k = indices->shape[indices->ndim - 1];
    CHECK_ARG(ctx, *k >= 1 && *k <= clnn__dim(d, 'E'), "%s: indices has k = %zu slots per token, outside [1, %zu]",
              fn, *k, clnn__dim(d, 'E'));
    return clnn__check_shape(ctx, fn, d, "indices", indices, "i32:T*,K");
}

static clnn_status check_gate(clnn_context *ctx, const char *fn, clnn_moe_gate gate, int renormalize)
{
    CHECK_ARG(ctx, gate == CLNN_MOE_SOFTMAX || gate == CLNN_MOE_SIGMOID, "%s: gate %d is not a clnn_moe_gate", fn,
              (int)gate);
    CHECK_ARG(ctx, renormalize == 0 || renormalize == 1, "%s: renormalize is %d, not 0 or 1", fn, renormalize);
    return CLNN_OK;
}

clnn_status clnn_moe_route(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *bias, size_t k,
                           clnn_moe_gate gate, int renormalize, clnn_tensor *indices, clnn_tensor *gates)
{
    CLNN_ENTRY(ctx);
    size_t T, E;
    TRY(check_logits(ctx, fn, &dims, logits, &T, &E));
    CHECK_ARG(ctx, k >= 1 && k <= E, "%s: k = %zu is outside [1, %zu] (the number of experts)", fn, k, E);
    TRY(check_gate(ctx, fn, gate, renormalize));
    if (bias) TRY(clnn__check_f32(ctx, fn, "bias", bias, E));
    clnn__dims_bind(&dims, 'K', k, "k");
    TRY(clnn__check_shape(ctx, fn, &dims, "indices", indices, "i32:T*,K"));
    TRY(clnn__check_shape(ctx, fn, &dims, "gates", gates, "T*,K"));
    const clnn_tensor *outs[] = {indices, gates}, *ins[] = {logits, bias};
    static const char *const out_names[] = {"indices", "gates"}, *const in_names[] = {"logits", "bias"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));
    cl_uint tt = (cl_uint)T, ee = (cl_uint)E, kk = (cl_uint)k;
    cl_int g = (cl_int)gate, rn = renormalize, has_bias = bias != NULL;
    cl_mem b = bias ? bias->buffer : logits->buffer; /* not read without has_bias */
    cl_mem keys;
    TRY(clnn__scratch(ctx, fn, logits->count, &keys));
    clnn__karg a[] = {KARG_BUF(logits->buffer), KARG_BUF(b), KARG_BUF(keys), KARG_BUF(indices->buffer),
                      KARG_BUF(gates->buffer),  KARG(tt),    KARG(ee),       KARG(kk),
                      KARG(g),                  KARG(rn),    KARG(has_bias)};
    size_t problem[2] = {T, E};
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_moe_route, problem, 11, a);
    clReleaseMemObject(keys);
    return st;
}

clnn_status clnn_moe_route_backward(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *indices,
                                    const clnn_tensor *dgates, clnn_moe_gate gate, int renormalize,
                                    clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t T, E, k;
    TRY(check_logits(ctx, fn, &dims, logits, &T, &E));
    TRY(check_indices(ctx, fn, &dims, indices, &k));
    TRY(check_gate(ctx, fn, gate, renormalize));
    TRY(clnn__check_shape(ctx, fn, &dims, "dgates", dgates, "T*,K"));
    TRY(clnn__check_f32(ctx, fn, "dlogits", dlogits, logits->count));
    const clnn_tensor *outs[] = {dlogits}, *ins[] = {logits, indices, dgates};
    static const char *const out_names[] = {"dlogits"}, *const in_names[] = {"logits", "indices", "dgates"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 1, ins, in_names, 3));
    cl_uint tt = (cl_uint)T, ee = (cl_uint)E, kk = (cl_uint)k;
    cl_int g = (cl_int)gate, rn = renormalize;
    clnn__karg a[] = {KARG_BUF(logits->buffer), KARG_BUF(indices->buffer), KARG_BUF(dgates->buffer),
                      KARG_BUF(dlogits->buffer), KARG(tt), KARG(ee), KARG(kk), KARG(g), KARG(rn)};
    size_t problem[2] = {T, E};
    return clnn__run(ctx, fn, &clnn__tune_moe_route_backward, problem, 9, a);
}

/* load[e] for e < E from every entry of indices (the device writes load). */
static clnn_status load_run(clnn_context *ctx, const char *fn, const clnn_tensor *indices, cl_mem load, size_t E)
{
    cl_uint pairs = (cl_uint)indices->count;
    clnn__karg a[] = {KARG_BUF(indices->buffer), KARG_BUF(load), KARG(pairs)};
    size_t problem[2] = {E, indices->count};
    return clnn__run(ctx, fn, &clnn__tune_moe_load, problem, 3, a);
}

clnn_status clnn_moe_expert_load(clnn_context *ctx, const clnn_tensor *indices, clnn_tensor *load)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_i32(ctx, fn, "indices", indices, 0));
    TRY(clnn__check_count32(ctx, fn, "indices", indices));
    TRY(clnn__check_i32(ctx, fn, "load", load, 0));
    CHECK_SHAPE(ctx, load->count <= MAX_EXPERTS, "%s: load has %zu entries (experts), at most %d", fn, load->count,
                MAX_EXPERTS);
    CHECK_ARG(ctx, !clnn__alias(load, indices), "%s: load and indices are the same buffer", fn);
    return load_run(ctx, fn, indices, load->buffer, load->count);
}

clnn_status clnn_moe_bias_update(clnn_context *ctx, const clnn_tensor *load, float rate, clnn_tensor *bias)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_i32(ctx, fn, "load", load, 0));
    CHECK_SHAPE(ctx, load->count <= MAX_EXPERTS, "%s: load has %zu entries (experts), at most %d", fn, load->count,
                MAX_EXPERTS);
    CHECK_ARG(ctx, clnn__is_finite(rate) && rate >= 0.0f, "%s: rate = %g is not finite and >= 0", fn, (double)rate);
    TRY(clnn__check_f32(ctx, fn, "bias", bias, load->count));
    CHECK_ARG(ctx, !clnn__alias(bias, load), "%s: bias and load are the same buffer", fn);
    cl_uint E = (cl_uint)load->count;
    clnn__karg a[] = {KARG_BUF(load->buffer), KARG_BUF(bias->buffer), KARG(E), KARG(rate)};
    size_t problem[2] = {E, 1};
    return clnn__run(ctx, fn, &clnn__tune_moe_bias_update, problem, 4, a);
}

static clnn_status aux_run(clnn_context *ctx, const char *fn, const clnn_tensor *logits, const clnn_tensor *indices,
                           float alpha, clnn_tensor *loss, clnn_tensor *dlogits, size_t T, size_t E, cl_mem load,
                           cl_mem partial)
{
    TRY(load_run(ctx, fn, indices, load, E));
    cl_uint tt = (cl_uint)T, ee = (cl_uint)E;
    cl_float inv_pairs = (cl_float)(1.0 / (double)indices->count), c = (cl_float)((double)alpha * (double)E / (double)T);
    cl_int want_grad = dlogits != NULL;
    cl_mem g = dlogits ? dlogits->buffer : partial; /* not written without want_grad */
    clnn__karg a[] = {KARG_BUF(partial), KARG_BUF(g), KARG_BUF(logits->buffer), KARG_BUF(load),
                      KARG(tt),          KARG(ee),    KARG(inv_pairs),          KARG(c),  KARG(want_grad)};
    size_t problem[2] = {T, E};
    TRY(clnn__run(ctx, fn, &clnn__tune_moe_aux_loss, problem, 9, a));
    return loss ? clnn__loss_sum(ctx, fn, loss, partial, T, c) : CLNN_OK;
}

clnn_status clnn_moe_aux_loss(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *indices, float alpha,
                              clnn_tensor *loss, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    size_t T, E, k;
    TRY(check_logits(ctx, fn, &dims, logits, &T, &E));
    TRY(check_indices(ctx, fn, &dims, indices, &k));
    CHECK_ARG(ctx, clnn__is_finite(alpha) && alpha >= 0.0f, "%s: alpha = %g is not finite and >= 0", fn,
              (double)alpha);
    TRY(clnn__check_loss_outputs(ctx, fn, logits, indices, loss, dlogits, "dlogits"));
    cl_mem load = NULL, partial = NULL;
    clnn_status st = clnn__scratch(ctx, fn, E, &load);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, T, &partial);
    if (st == CLNN_OK) st = aux_run(ctx, fn, logits, indices, alpha, loss, dlogits, T, E, load, partial);
    if (load) clReleaseMemObject(load);
    if (partial) clReleaseMemObject(partial);
    return st;
}
