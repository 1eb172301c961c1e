/* Host side of the deterministic two-stage reduction (cl/reduce_deterministic.cl)
 * shared by every regularizer value, group norm and gradient norm. */
#include "regularizers/regularizers_internal.h"
#include "tune_family.h"

#include <stdio.h>

/* global = problem[0] · problem[1] for stage 1: nseg · parts work-items (CPU
 * shape, one per part) or nseg · parts · 256 (GPU shape, 256 per block;
 * the kernel takes blocks in turn, so any local size covers them all) */
static void partial_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    (void)cfg;
    global[0] = problem[0] * problem[1];
    global[1] = 1;
}

static const clnn__tunable tune_partial =
    CLNN_TUNABLE("reg.reduce_partial", "reduce_deterministic", "reduce_partial", NULL, partial_global);
static const clnn__tunable tune_final =
    CLNN_TUNABLE("reg.reduce_final", "reduce_deterministic", "reduce_final", NULL, NULL);
static const clnn__tunable tune_combine =
    CLNN_TUNABLE("reg.reduce_combine", "reduce_deterministic", "reduce_combine", NULL, NULL);

/* Parts per segment: about 256 elements each, at most 4096 parts. A
 * function of len only, so the summation tree never depends on the device. */
cl_uint clnn__reduce_parts(size_t len)
{
    size_t p = (len + 255) / 256;
    return (cl_uint)(p < 1 ? 1 : p > 4096 ? 4096 : p);
}

/* A GPU: 16 work-groups of 256 work-items each walking a contiguous chunk
 * left most compute units idle and read memory uncoalesced. Blocks of 256
 * lanes instead, enough to fill the device (clnn__fill_groups), but at
 * least 4 elements per lane so that short segments take few blocks. */
#define CLNN_REDUCE_LANE_MIN 4

cl_uint clnn__reduce_blocks(const clnn_context *ctx, size_t len)
{
    size_t most = (len + CLNN_REDUCE_LANES * CLNN_REDUCE_LANE_MIN - 1) / (CLNN_REDUCE_LANES * CLNN_REDUCE_LANE_MIN);
    size_t fill = clnn__fill_groups(ctx);
    size_t b = most < fill ? most : fill;
    return (cl_uint)(b < 1 ? 1 : b);
}

clnn_status clnn__reduce(clnn_context *ctx, const char *fn, const clnn__reduce_desc *d, cl_mem out,
                         cl_uint out_offset)
{
    const int blocks = clnn__gpu_shaped(ctx);
    cl_uint parts = blocks ? clnn__reduce_blocks(ctx, d->len) : clnn__reduce_parts(d->len);
    cl_mem partial;
    TRY(clnn__scratch(ctx, fn, (size_t)d->nseg * parts, &partial));
    char variant[96];
    snprintf(variant, sizeof variant, "-DTERM=%d -DHAS_B=%d -DPOST=%d%s", d->term, d->b != NULL, d->post,
             blocks ? " -DBLOCKS=1" : "");
    cl_mem b = d->b ? d->b : d->a;
    clnn__karg a1[] = {KARG_BUF(d->a),          KARG_BUF(b),   KARG_BUF(partial), KARG(d->nseg),
                       KARG(d->len),            KARG(d->seg_stride), KARG(d->elem_stride), KARG(parts),
                       KARG(d->c1),             KARG(d->c2),   KARG(d->diag)};
    size_t p1[2] = {d->nseg, blocks ? (size_t)parts * CLNN_REDUCE_LANES : parts};
    clnn_status st = clnn__run_variant(ctx, fn, &tune_partial, variant, p1, sizeof a1 / sizeof a1[0], a1);
    if (st == CLNN_OK) {
        clnn__karg a2[] = {KARG_BUF(partial), KARG_BUF(out), KARG(out_offset), KARG(d->nseg), KARG(parts),
                           KARG(d->scale)};
        size_t p2[2] = {d->nseg, 1};
        st = clnn__run_variant(ctx, fn, &tune_final, variant, p2, sizeof a2 / sizeof a2[0], a2);
    }
    clReleaseMemObject(partial);
    return st;
}

clnn_status clnn__reduce_combine(clnn_context *ctx, const char *fn, int mode, cl_mem sums, cl_mem out, cl_uint n,
                                 cl_float max_norm)
{
    char variant[32];
    snprintf(variant, sizeof variant, "-DMODE=%d", mode);
    clnn__karg a[] = {KARG_BUF(sums), KARG_BUF(out), KARG(n), KARG(max_norm)};
    size_t p[2] = {1, 1};
    return clnn__run_variant(ctx, fn, &tune_combine, variant, p, 4, a);
}

static const clnn__tunable tune_grad = CLNN_TUNABLE("reg.grad", "regularizers_terms", "reg_grad", NULL, NULL);
static const clnn__tunable tune_group =
    CLNN_TUNABLE("reg.group_apply", "regularizers_terms", "reg_group_apply", NULL, NULL);
static const clnn__tunable tune_sub_identity =
    CLNN_TUNABLE("reg.sub_identity", "regularizers_terms", "sub_identity", NULL, NULL);
static const clnn__tunable tune_blend = CLNN_TUNABLE("reg.blend", "regularizers_terms", "reg_blend", NULL, NULL);
static const clnn__tunable tune_outer = CLNN_TUNABLE("reg.outer", "regularizers_terms", "reg_outer", NULL, NULL);

clnn_status clnn__reg_terms_run(clnn_context *ctx, const char *fn, int which, const char *variant, size_t n,
                                size_t nargs, const clnn__karg *args)
{
    static const clnn__tunable *const by_kind[] = {&tune_grad, &tune_group, &tune_sub_identity, &tune_blend,
                                                   &tune_outer};
    size_t p[2] = {n, 1};
    return clnn__run_variant(ctx, fn, by_kind[which], variant, p, nargs, args);
}

clnn_status clnn__blend(clnn_context *ctx, const char *fn, const clnn__blend_desc *d)
{
    char variant[64];
    snprintf(variant, sizeof variant, "-DOP=%d -DSCALE=%d -DREAD_Y=%d -DSAVE=%d", d->op, d->scale_mode, d->read_y,
             d->saved != NULL);
    cl_mem saved = d->saved ? d->saved : d->y, scale = d->scale ? d->scale : d->y;
    clnn__karg a[] = {KARG_BUF(d->y), KARG_BUF(d->x),  KARG_BUF(saved), KARG_BUF(scale),
                      KARG(d->scale_index), KARG(d->n), KARG(d->a),     KARG(d->b)};
    return clnn__reg_terms_run(ctx, fn, REG_TERMS_BLEND, variant, d->n, sizeof a / sizeof a[0], a);
}

/* ---------------------------------------------------------------- tuning */

/* The reg kernels (here, reg_prune.c and reg_quant.c), each through one op
 * that launches it: the penalty reductions and gradient on P0 x P1
 * elements, the group prox and orthogonality gradient on [P0, P1], the
 * prune mask's apply, the spectral outer product, the magnitude, N:M and
 * MaskLLM masks, the quantization parameters and fake quantization. */
static clnn_status exercise_reg_shaped(clnn__exercise *b, const clnn__tunable *t, const size_t problem[2])
{
    clnn_context *ctx = b->ctx;
    size_t n = clnn__exercise_elements(problem);
    if (t == &tune_group || t == &tune_sub_identity) {
        clnn_tensor *w = EX_RAND(b, problem[0], problem[1]), *g = EX_RAND(b, problem[0], problem[1]);
        if (t == &tune_group) EX_STEP(b, clnn_reg_group_lasso_prox(ctx, 0.1f, 0.1f, CLNN_GROUP_ROWS, w));
        else EX_STEP(b, clnn_reg_ortho_grad(ctx, w, 0.1f, g));
    } else if (t == &tune_outer) { /* grad [P0, P1] += 2λσ u vᵀ */
        EX_STEP(b, clnn_reg_spectral_grad(ctx, EX_RAND(b, problem[0]), EX_RAND(b, problem[1]), EX_RAND(b, 1), 0.1f,
                                          EX_RAND(b, problem[0], problem[1])));
    } else if (t == &clnn__tune_nm_mask) { /* 2:4 on [P0, 4 P1]: P0 x P1 groups */
        EX_STEP(b, clnn_prune_nm_mask(ctx, EX_RAND(b, problem[0], 4 * problem[1]), 2, 4,
                                      EX_RAND(b, problem[0], 4 * problem[1])));
    } else if (t == &clnn__tune_maskllm) { /* P0 x P1 groups of 4, Gumbel noise */
        EX_STEP(b, clnn_maskllm_forward(ctx, EX_RAND(b, n, 6), 0.5f, 1, 7, 0, EX_RAND(b, n, 4)));
    } else {
        /* quant_params: per channel, P0 channels of P1; fake_quant: per tensor on P0 x P1 (scale from quant_params) */
        const clnn_quant_options q = {sizeof(clnn_quant_options), 4, 0, t == &clnn__tune_quant_params};
        const size_t ch = q.per_channel ? problem[0] : 1;
        clnn_tensor *x = EX_RAND(b, problem[0], problem[1]), *scale = EX_RAND(b, ch), *zero = EX_RAND(b, ch);
        EX_STEP(b, clnn_quant_params(ctx, x, &q, scale, zero));
        if (!q.per_channel)
            EX_STEP(b, clnn_fake_quant_forward(ctx, x, scale, zero, &q, EX_RAND(b, problem[0], problem[1])));
    }
    return b->st;
}

static clnn_status exercise_reg(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    if (t == &tune_combine) {
        const clnn_tensor *g[1] = {EX_RAND(&b, n)};
        EX_STEP(&b, clnn_grad_clip_factor(ctx, 1, g, 1.0f, EX_RAND(&b, 2)));
    } else if (t == &tune_blend) { /* the prune mask's apply on P0 x P1 */
        EX_STEP(&b, clnn_prune_apply(ctx, EX_RAND(&b, n), EX_RAND(&b, n)));
    } else if (t == &clnn__tune_topk_count || t == &clnn__tune_topk_select || t == &clnn__tune_topk_mask) {
        /* magnitude pruning of P0 x P1, half kept */
        EX_STEP(&b, clnn_prune_topk_mask(ctx, EX_RAND(&b, n), n / 2, EX_RAND(&b, n)));
    } else if (t == &tune_partial || t == &tune_final || t == &tune_grad) { /* a value, or a gradient */
        clnn_reg reg = {CLNN_REG_ELASTIC_NET, 0.1f, 0.01f, NULL};
        clnn_tensor *w = EX_RAND(&b, n), *out = t == &tune_grad ? EX_RAND(&b, n) : EX_RAND(&b, 1);
        EX_STEP(&b, t == &tune_grad ? clnn_reg_grad(ctx, w, NULL, &reg, out) : clnn_reg_value(ctx, w, NULL, &reg, out));
    } else {
        exercise_reg_shaped(&b, t, problem);
    }
    return clnn__exercise_end(&b);
}

/* problem: P0 x P1 elements; reg.group_apply, reg.sub_identity, reg.outer:
 * a weight matrix [P0, P1]. */
CLNN_TUNE_FAMILY(reg, exercise_reg) = {&tune_partial, &tune_final, &tune_combine, &tune_grad, &tune_group,
    &tune_sub_identity, &tune_blend, &tune_outer, &clnn__tune_topk_count, &clnn__tune_topk_select,
    &clnn__tune_topk_mask, &clnn__tune_nm_mask, &clnn__tune_maskllm, &clnn__tune_quant_params, &clnn__tune_fake_quant,
    NULL};

void clnn__rows_cols(const clnn_tensor *w, size_t *rows, size_t *cols)
{
    *rows = w->shape[0];
    *cols = w->count / w->shape[0];
}
