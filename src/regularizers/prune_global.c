/* Global magnitude pruning over a list of tensors and Ln-structured pruning
 * of slices (cl/regularizers_prune_global.cl), both as PyTorch's
 * torch.nn.utils.prune: the selection is the top-k mask of prune.c over a
 * workspace (the gathered tensors, or the slice norms). */
#include "regularizers/regularizers_internal.h"

#include <stdint.h>
#include <stdio.h>

/* The count an amount prunes of total (torch.nn.utils.prune's
 * _compute_nparams_toprune): a count in [0, total], or round(amount·total)
 * (half to even, as Python) of a fraction in [0, 1]. */
static clnn_status prune_count(clnn_context *ctx, const char *fn, double amount, int by_count, size_t total,
                               size_t *count)
{
    if (by_count) {
        CHECK_ARG(ctx, amount >= 0 && amount <= (double)total && amount == floor(amount),
                  "%s: amount = %g is not a whole count in [0, %zu]", fn, amount, total);
        *count = (size_t)amount;
    } else {
        CHECK_ARG(ctx, amount >= 0 && amount <= 1, "%s: amount = %g is not a fraction in [0, 1]", fn, amount);
        *count = (size_t)nearbyint(amount * (double)total);
    }
    return CLNN_OK;
}

static clnn_status slice_copy(clnn_context *ctx, const char *fn, cl_mem src, cl_mem dst, size_t n, size_t src_off,
                              size_t dst_off)
{
    cl_uint nn = (cl_uint)n, so = (cl_uint)src_off, d = (cl_uint)dst_off;
    clnn__karg a[] = {KARG_BUF(src), KARG_BUF(dst), KARG(nn), KARG(so), KARG(d)};
    size_t p[2] = {n, 1};
    return clnn__run(ctx, fn, &clnn__tune_prune_slice_copy, p, 5, a);
}

/* Gather every w[i] into ws at its offset, select, scatter the mask back. */
static clnn_status global_run(clnn_context *ctx, const char *fn, size_t n, const clnn_tensor *const *w, size_t total,
                              size_t keep, clnn_tensor *const *mask, cl_mem ws, cl_mem mws)
{
    size_t off = 0;
    for (size_t i = 0; i < n; off += w[i]->count, i++)
        TRY(slice_copy(ctx, fn, w[i]->buffer, ws, w[i]->count, 0, off));
    TRY(clnn__topk_mask_mem(ctx, fn, ws, (cl_uint)total, (cl_uint)keep, mws));
    off = 0;
    for (size_t i = 0; i < n; off += w[i]->count, i++)
        TRY(slice_copy(ctx, fn, mws, mask[i]->buffer, w[i]->count, off, 0));
    return CLNN_OK;
}

clnn_status clnn_prune_global_mask(clnn_context *ctx, size_t n, const clnn_tensor *const *w, double amount,
                                   int by_count, clnn_tensor *const *mask)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_pairs(ctx, fn, "w", w, "mask", (const clnn_tensor *const *)mask, n, 1));
    size_t total = 0, pruned;
    for (size_t i = 0; i < n; i++) total += w[i]->count;
    CHECK_ARG(ctx, total < UINT32_MAX, "%s: %zu elements in all, more than 2^32 - 2", fn, total);
    TRY(prune_count(ctx, fn, amount, by_count, total, &pruned));
    cl_mem ws, mws;
    TRY(clnn__scratch(ctx, fn, total, &ws));
    clnn_status st = clnn__scratch(ctx, fn, total, &mws);
    if (st == CLNN_OK) {
        st = global_run(ctx, fn, n, w, total, total - pruned, mask, ws, mws);
        clReleaseMemObject(mws);
    }
    clReleaseMemObject(ws);
    return st;
}

static clnn_status ln_run(clnn_context *ctx, const char *fn, const clnn_tensor *w, int pnorm, size_t outer, size_t len,
                          size_t inner, size_t keep, clnn_tensor *mask, cl_mem norms, cl_mem kept)
{
    char variant[16];
    snprintf(variant, sizeof variant, "-DPNORM=%d", pnorm);
    cl_uint o = (cl_uint)outer, l = (cl_uint)len, in = (cl_uint)inner, n = (cl_uint)w->count;
    clnn__karg an[] = {KARG_BUF(w->buffer), KARG_BUF(norms), KARG(o), KARG(l), KARG(in)};
    size_t pn[2] = {len, 1};
    TRY(clnn__run_variant(ctx, fn, &clnn__tune_prune_ln_norms, variant, pn, 5, an));
    TRY(clnn__topk_mask_mem(ctx, fn, norms, l, (cl_uint)keep, kept));
    cl_uint4 di = clnn__divisor(in), dl = clnn__divisor(l);
    clnn__karg ae[] = {KARG_BUF(kept), KARG_BUF(mask->buffer), KARG(n), KARG(di), KARG(dl)};
    size_t pe[2] = {w->count, 1};
    return clnn__run(ctx, fn, &clnn__tune_prune_ln_expand, pe, 5, ae);
}

clnn_status clnn_prune_ln_structured_mask(clnn_context *ctx, const clnn_tensor *w, double amount, int by_count,
                                          float p, int dim, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    TRY(clnn__check_f32(ctx, fn, "mask", mask, w->count));
    CHECK_ARG(ctx, !clnn__alias(mask, w), "%s: mask and w are the same buffer", fn);
    CHECK_ARG(ctx, p == 1.0f || p == 2.0f || p == INFINITY, "%s: p = %g is not 1, 2 or INFINITY", fn, (double)p);
    const int nd = (int)w->ndim;
    CHECK_ARG(ctx, dim >= -nd && dim < nd, "%s: dim = %d is outside [%d, %d] for w of %d dimensions", fn, dim, -nd,
              nd - 1, nd);
    const size_t d = (size_t)(dim < 0 ? dim + nd : dim), len = w->shape[d];
    size_t outer = 1, inner = 1, pruned;
    for (size_t i = 0; i < d; i++) outer *= w->shape[i];
    for (size_t i = d + 1; i < (size_t)nd; i++) inner *= w->shape[i];
    TRY(prune_count(ctx, fn, amount, by_count, len, &pruned));
    cl_mem norms, kept;
    TRY(clnn__scratch(ctx, fn, len, &norms));
    clnn_status st = clnn__scratch(ctx, fn, len, &kept);
    if (st == CLNN_OK) {
        st = ln_run(ctx, fn, w, p == 1.0f ? 1 : p == 2.0f ? 2 : 0, outer, len, inner, len - pruned, mask, norms, kept);
        clReleaseMemObject(kept);
    }
    clReleaseMemObject(norms);
    return st;
}
