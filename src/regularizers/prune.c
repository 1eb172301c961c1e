/* Pruning (cl/regularizers_prune.cl): magnitude top-k masks per tensor, N:M
 * structured masks along the last dimension, mask application, and the
 * learnable 2:4 mask of MaskLLM (Gumbel-softmax over the 6 patterns). */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

static clnn_status check_w_mask(clnn_context *ctx, const char *fn, const clnn_tensor *w, const clnn_tensor *mask)
{
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    TRY(clnn__check_f32(ctx, fn, "mask", mask, w->count));
    CHECK_ARG(ctx, !clnn__alias(mask, w), "%s: mask and w are the same buffer", fn);
    return CLNN_OK;
}

/* Bisection passes (MODE 0, bit 30..0), then the tie counts (MODE 1). The
 * tie counts and the mask walk contiguous chunks in order (ties go to the
 * lower index); the bisection only counts, so on a GPU its 31 passes count
 * in blocks (clnn__reduce_blocks of them, 256 work-items each). */
static clnn_status topk_passes(clnn_context *ctx, const char *fn, cl_mem w, cl_uint n, cl_uint parts,
                               cl_uint blocks, cl_uint k, cl_mem partial, cl_mem state)
{
    size_t p1[2] = {1, 1};
    for (int mode = 0; mode < 2; mode++) {
        const int by_blocks = mode == 0 && blocks;
        cl_uint np = by_blocks ? blocks : parts;
        size_t pc[2] = {by_blocks ? (size_t)blocks * CLNN_REDUCE_LANES : parts, 1};
        const char *variant = mode == 1 ? "-DMODE=1" : by_blocks ? "-DMODE=0 -DBLOCKS=1" : "-DMODE=0";
        for (cl_int b = mode == 0 ? 30 : 0; b >= 0; b--) {
            cl_uint bit = (cl_uint)b;
            clnn__karg ac[] = {KARG_BUF(w), KARG_BUF(partial), KARG_BUF(state), KARG(n), KARG(np), KARG(bit)};
            TRY(clnn__run_variant(ctx, fn, &clnn__tune_topk_count, variant, pc, 6, ac));
            clnn__karg as[] = {KARG_BUF(partial), KARG_BUF(state), KARG(np), KARG(k), KARG(bit)};
            TRY(clnn__run_variant(ctx, fn, &clnn__tune_topk_select, variant, p1, 5, as));
        }
    }
    return CLNN_OK;
}

clnn_status clnn__topk_mask_mem(clnn_context *ctx, const char *fn, cl_mem w, cl_uint n, cl_uint k, cl_mem mask)
{
    cl_uint parts = clnn__reduce_parts(n);
    cl_uint blocks = clnn__gpu_shaped(ctx) ? clnn__reduce_blocks(ctx, n) : 0;
    cl_mem partial, state;
    TRY(clnn__scratch(ctx, fn, 2 * (size_t)parts > blocks ? 2 * (size_t)parts : blocks, &partial));
    clnn_status st = clnn__scratch(ctx, fn, 2, &state);
    if (st != CLNN_OK) {
        clReleaseMemObject(partial);
        return st;
    }
    st = topk_passes(ctx, fn, w, n, parts, blocks, k, partial, state);
    if (st == CLNN_OK) {
        clnn__karg a[] = {KARG_BUF(w), KARG_BUF(partial), KARG_BUF(state), KARG_BUF(mask), KARG(n), KARG(parts)};
        size_t p[2] = {parts, 1};
        st = clnn__run(ctx, fn, &clnn__tune_topk_mask, p, 6, a);
    }
    clReleaseMemObject(partial);
    clReleaseMemObject(state);
    return st;
}

clnn_status clnn_prune_topk_mask(clnn_context *ctx, const clnn_tensor *w, size_t k, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(check_w_mask(ctx, fn, w, mask));
    CHECK_ARG(ctx, k <= w->count, "%s: k = %zu is more than the %zu elements of w", fn, k, w->count);
    return clnn__topk_mask_mem(ctx, fn, w->buffer, (cl_uint)w->count, (cl_uint)k, mask->buffer);
}

clnn_status clnn_prune_nm_mask(clnn_context *ctx, const clnn_tensor *w, unsigned n, unsigned m, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    return clnn__prune_nm_mask(ctx, fn, w, n, m, mask);
}

clnn_status clnn__prune_nm_mask(clnn_context *ctx, const char *fn, const clnn_tensor *w, unsigned n, unsigned m,
                                clnn_tensor *mask)
{
    CHECK_ARG(ctx, m >= 1 && m <= 64, "%s: m = %u is outside [1, 64]", fn, m);
    CHECK_ARG(ctx, n <= m, "%s: n = %u is more than m = %u", fn, n, m);
    TRY(check_w_mask(ctx, fn, w, mask));
    size_t last = w->shape[w->ndim - 1];
    CHECK_SHAPE(ctx, last % m == 0, "%s: the last dimension of w (%zu) is not a multiple of m = %u", fn, last, m);
    cl_uint groups = (cl_uint)(w->count / m), keep = n, mm = m;
    clnn__karg a[] = {KARG_BUF(w->buffer), KARG_BUF(mask->buffer), KARG(groups), KARG(keep), KARG(mm)};
    size_t p[2] = {groups, 1};
    return clnn__run(ctx, fn, &clnn__tune_nm_mask, p, 5, a);
}

clnn_status clnn_prune_apply(clnn_context *ctx, const clnn_tensor *mask, clnn_tensor *t)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "t", t, 0));
    TRY(clnn__check_f32(ctx, fn, "mask", mask, t->count));
    CHECK_ARG(ctx, !clnn__alias(mask, t), "%s: mask and t are the same buffer", fn);
    clnn__blend_desc d = {BLEND_MUL, BLEND_SCALE_ONE, 1, t->buffer, mask->buffer, NULL, NULL, 0, (cl_uint)t->count,
                          1.0f, 1.0f};
    return clnn__blend(ctx, fn, &d);
}

/* logits [groups, 6]; `per_group` is the 4-element tensor (mask / dmask) whose last dimension must hold whole groups. */
static clnn_status check_maskllm(clnn_context *ctx, const char *fn, const clnn_tensor *logits, float tau,
                                 const char *name, const clnn_tensor *per_group)
{
    TRY(clnn__check_f32(ctx, fn, "logits", logits, 0));
    CHECK_SHAPE(ctx, logits->count % 6 == 0, "%s: logits has %zu elements, not a multiple of 6 (one row of 6 per group)",
                fn, logits->count);
    CHECK_ARG(ctx, clnn__is_finite(tau) && tau > 0, "%s: tau = %g must be finite and > 0", fn, (double)tau);
    TRY(clnn__check_f32(ctx, fn, name, per_group, logits->count / 6 * 4));
    CHECK_SHAPE(ctx, per_group->shape[per_group->ndim - 1] % 4 == 0,
                "%s: the last dimension of %s (%zu) is not a multiple of 4", fn, name,
                per_group->shape[per_group->ndim - 1]);
    CHECK_ARG(ctx, !clnn__alias(per_group, logits), "%s: %s and logits are the same buffer", fn, name);
    return CLNN_OK;
}

static clnn_status maskllm_run(clnn_context *ctx, const char *fn, int backward, int gumbel, const clnn_tensor *logits,
                               const clnn_tensor *din, clnn_tensor *out, float tau, uint64_t seed, uint32_t stream)
{
    char variant[32];
    snprintf(variant, sizeof variant, "-DMODE=%d -DGUMBEL=%d", backward, gumbel != 0);
    cl_uint groups = (cl_uint)(logits->count / 6);
    cl_ulong sd = seed;
    cl_uint sm = stream;
    cl_mem dm = din ? din->buffer : logits->buffer;
    clnn__karg a[] = {KARG_BUF(logits->buffer), KARG_BUF(dm), KARG_BUF(out->buffer), KARG(groups), KARG(tau),
                      KARG(sd), KARG(sm)};
    size_t p[2] = {groups, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_maskllm, variant, p, 7, a);
}

clnn_status clnn_maskllm_forward(clnn_context *ctx, const clnn_tensor *logits, float tau, int gumbel, uint64_t seed,
                                 uint32_t stream, clnn_tensor *mask)
{
    CLNN_ENTRY(ctx);
    TRY(check_maskllm(ctx, fn, logits, tau, "mask", mask));
    return maskllm_run(ctx, fn, 0, gumbel, logits, NULL, mask, tau, seed, stream);
}

clnn_status clnn_maskllm_backward(clnn_context *ctx, const clnn_tensor *logits, const clnn_tensor *dmask, float tau,
                                  int gumbel, uint64_t seed, uint32_t stream, clnn_tensor *dlogits)
{
    CLNN_ENTRY(ctx);
    TRY(check_maskllm(ctx, fn, logits, tau, "dmask", dmask));
    TRY(clnn__check_f32(ctx, fn, "dlogits", dlogits, logits->count));
    CHECK_ARG(ctx, !clnn__alias(dlogits, logits) && !clnn__alias(dlogits, dmask),
              "%s: dlogits shares its buffer with logits or dmask", fn);
    return maskllm_run(ctx, fn, 1, gumbel, logits, dmask, dlogits, tau, seed, stream);
}
