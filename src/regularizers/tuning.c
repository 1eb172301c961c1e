/* The regularizer family's tuning table (reg_tunables.def): the
 * deterministic reduction (common/reduce.c), the elementwise term kernels
 * (terms_run.c), pruning, N:M and MaskLLM masks and fake quantization, each
 * exercised through one public op that launches it. */
#include "regularizers/regularizers_internal.h"
#include "tune_family.h"

#define CLNN_TABLE "regularizers/reg_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* The reg kernels (here, reg_prune.c and reg_quant.c), each through one op
 * that launches it: the penalty reductions and gradient on P0 x P1
 * elements, the group prox and orthogonality gradient on [P0, P1], the
 * prune mask's apply, the spectral outer product and target value, the magnitude, N:M and
 * MaskLLM masks, the quantization parameters and fake quantization. */
static clnn_status exercise_reg_shaped(clnn__exercise *b, const clnn__tunable *t, const size_t problem[2])
{
    clnn_context *ctx = b->ctx;
    size_t n = clnn__exercise_elements(problem);
    if (t == &clnn__tune_reg_group || t == &clnn__tune_reg_sub_identity) {
        clnn_tensor *w = EX_RAND(b, problem[0], problem[1]), *g = EX_RAND(b, problem[0], problem[1]);
        if (t == &clnn__tune_reg_group) EX_STEP(b, clnn_reg_group_lasso_prox(ctx, 0.1f, 0.1f, CLNN_GROUP_ROWS, w));
        else EX_STEP(b, clnn_reg_ortho_grad(ctx, w, 0.1f, g));
    } else if (t == &clnn__tune_reg_outer) { /* grad [P0, P1] += 2λσ u vᵀ */
        EX_STEP(b, clnn_reg_spectral_grad(ctx, EX_RAND(b, problem[0]), EX_RAND(b, problem[1]), EX_RAND(b, 1), 0.1f,
                                          EX_RAND(b, problem[0], problem[1])));
    } else if (t == &clnn__tune_reg_spectral_target) { /* one work-item: λ(σ² − 1)² */
        EX_STEP(b, clnn_reg_spectral_target_value(ctx, EX_UNIFORM(b, 1.0f, 2.0f, 1), 0.1f, 2, EX_RAND(b, 1)));
    } else if (t == &clnn__tune_nm_mask) { /* 2:4 on [P0, 4 P1]: P0 x P1 groups */
        EX_STEP(b, clnn_prune_nm_mask(ctx, EX_RAND(b, problem[0], 4 * problem[1]), 2, 4,
                                      EX_RAND(b, problem[0], 4 * problem[1])));
    } else if (t == &clnn__tune_quant_noise) { /* P0 x P1, per tensor */
        const clnn_quant_options q = {sizeof(clnn_quant_options), 8, 1, 0};
        clnn_tensor *x = EX_RAND(b, problem[0], problem[1]);
        clnn_tensor *scale = EX_UNIFORM(b, 0.1f, 0.2f, 1);
        EX_STEP(b, clnn_quant_noise(ctx, x, scale, &q, 7, 0, EX_RAND(b, problem[0], problem[1])));
    } else if (t == &clnn__tune_prune_slice_copy) { /* global pruning of [P0, P1] and P1 weights, a third pruned */
        const clnn_tensor *w[2] = {EX_RAND(b, problem[0], problem[1]), EX_RAND(b, problem[1])};
        clnn_tensor *m[2] = {EX_RAND(b, problem[0], problem[1]), EX_RAND(b, problem[1])};
        EX_STEP(b, clnn_prune_global_mask(ctx, 2, w, 1.0 / 3, 0, m));
    } else if (t == &clnn__tune_prune_ln_norms || t == &clnn__tune_prune_ln_expand) { /* L2 rows of [P0, P1] */
        EX_STEP(b, clnn_prune_ln_structured_mask(ctx, EX_RAND(b, problem[0], problem[1]), 0.5, 0, 2.0f, 0,
                                                 EX_RAND(b, problem[0], problem[1])));
    } else if (t == &clnn__tune_quant_channel_major || t == &clnn__tune_lsq_backward) {
        /* per channel along axis 1 of [P0, P1]: the channel-major reorder of quant_params, the LSQ backward */
        const clnn_quant_options q = {sizeof(clnn_quant_options), 8, 1, 1, 1};
        clnn_tensor *x = EX_RAND(b, problem[0], problem[1]), *scale = EX_UNIFORM(b, 0.01f, 0.02f, problem[1]);
        if (t == &clnn__tune_quant_channel_major) EX_STEP(b, clnn_quant_params(ctx, x, &q, scale, NULL));
        else
            EX_STEP(b, clnn_lsq_backward(ctx, x, scale, NULL, EX_RAND(b, problem[0], problem[1]), &q, 0.0f,
                                         EX_RAND(b, problem[0], problem[1]), EX_RAND(b, problem[1])));
    } else if (t == &clnn__tune_observer_partial || t == &clnn__tune_observer_apply || t == &clnn__tune_observer_params) {
        /* per channel along axis 0 of [P0, P1]: two updates (first, then averaged), then the parameters */
        const clnn_quant_options q = {sizeof(clnn_quant_options), 8, 0, 1, 0};
        clnn_tensor *x = EX_RAND(b, problem[0], problem[1]), *running = EX_RAND(b, 2 * problem[0]);
        EX_STEP(b, clnn_quant_observer_update(ctx, x, &q, 0.01f, running));
        EX_STEP(b, clnn_quant_observer_update(ctx, x, &q, 0.01f, running));
        if (t == &clnn__tune_observer_params)
            EX_STEP(b, clnn_quant_observer_params(ctx, running, &q, EX_RAND(b, problem[0]), EX_RAND(b, problem[0])));
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
    if (t == &clnn__tune_reduce_combine) {
        const clnn_tensor *g[1] = {EX_RAND(&b, n)};
        EX_STEP(&b, clnn_grad_clip_factor(ctx, 1, g, 1.0f, EX_RAND(&b, 2)));
    } else if (t == &clnn__tune_reg_blend) { /* the prune mask's apply on P0 x P1 */
        EX_STEP(&b, clnn_prune_apply(ctx, EX_RAND(&b, n), EX_RAND(&b, n)));
    } else if (t == &clnn__tune_topk_count || t == &clnn__tune_topk_select || t == &clnn__tune_topk_mask) {
        /* magnitude pruning of P0 x P1, half kept */
        EX_STEP(&b, clnn_prune_topk_mask(ctx, EX_RAND(&b, n), n / 2, EX_RAND(&b, n)));
    } else if (t == &clnn__tune_reduce_partial || t == &clnn__tune_reduce_final || t == &clnn__tune_reg_grad) {
        /* a value, or a gradient */
        clnn_reg reg = {CLNN_REG_ELASTIC_NET, 0.1f, 0.01f, NULL};
        int grad = t == &clnn__tune_reg_grad;
        clnn_tensor *w = EX_RAND(&b, n), *out = grad ? EX_RAND(&b, n) : EX_RAND(&b, 1);
        EX_STEP(&b, grad ? clnn_reg_grad(ctx, w, NULL, &reg, out) : clnn_reg_value(ctx, w, NULL, &reg, out));
    } else {
        exercise_reg_shaped(&b, t, problem);
    }
    return clnn__exercise_end(&b);
}

/* problem: P0 x P1 elements; reg.group_apply, reg.sub_identity, reg.outer:
 * a weight matrix [P0, P1]. */