/* Pieces shared by the sparsity / sorting / MoE family (sparse_internal.h):
 * the default local size of the one-group-per-item kernels and the family's
 * list of tunable kernels. */
#include "sparse/sparse_internal.h"
#include "tune_family.h"

#define CLNN_TABLE "sparse/sparse_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* MoE dispatch and combine: P0 tokens of P1 features, 8 experts, k = 2. */
static void exercise_moe_dispatch(clnn__exercise *b, const clnn__tunable *t, size_t T, size_t D)
{
    clnn_context *ctx = b->ctx;
    clnn_tensor *x = EX_RAND(b, T, D), *xs = EX_RAND(b, 2 * T, D), *g = EX_RAND(b, T, 2);
    clnn_tensor *idx = clnn__exercise_ints(b, 2 * T, 8, 3), *off = clnn__exercise_ints(b, 9, 9, 1);
    if (b->st == CLNN_OK) b->st = clnn_tensor_reshape(idx, 2, (size_t[]){T, 2}); /* [T, k] */
    clnn_tensor *pos = clnn__exercise_int_output(b, 2, (size_t[]){T, 2});
    if (t == &clnn__tune_moe_gather_capacity || t == &clnn__tune_moe_capacity_counts) { /* capacity 2T/8, halved */
        size_t C = T / 8 + 1;
        clnn_tensor *counts = clnn__exercise_int_output(b, 1, (size_t[]){8});
        EX_STEP(b, clnn_moe_dispatch_capacity(ctx, x, idx, C, counts, NULL, pos, EX_RAND(b, 8 * C, D)));
        return;
    }
    EX_STEP(b, clnn_moe_dispatch(ctx, x, idx, off, pos, xs));
    if (t == &clnn__tune_moe_combine) EX_STEP(b, clnn_moe_combine(ctx, xs, pos, g, x));
    else if (t == &clnn__tune_moe_combine_dy || t == &clnn__tune_moe_combine_dg)
        EX_STEP(b, clnn_moe_combine_backward(ctx, xs, pos, g, x, EX_RAND(b, 2 * T, D), EX_RAND(b, T, 2)));
}

/* MoE routing: P0 tokens, P1 experts, k = 2 (1 for one expert). */
static void exercise_moe_route(clnn__exercise *b, const clnn__tunable *t, size_t T, size_t E)
{
    clnn_context *ctx = b->ctx;
    size_t k = E > 1 ? 2 : 1;
    clnn_tensor *z = EX_RAND(b, T, E), *g = EX_RAND(b, T, k);
    clnn_tensor *idx = clnn__exercise_int_output(b, 2, (size_t[]){T, k});
    EX_STEP(b, clnn_moe_route(ctx, z, NULL, k, CLNN_MOE_SIGMOID, 1, idx, g));
    if (t == &clnn__tune_moe_route_backward)
        EX_STEP(b, clnn_moe_route_backward(ctx, z, idx, g, CLNN_MOE_SIGMOID, 1, EX_RAND(b, T, E)));
    else if (t == &clnn__tune_moe_aux_loss)
        EX_STEP(b, clnn_moe_aux_loss(ctx, z, idx, 0.01f, EX_RAND(b, 1), EX_RAND(b, T, E)));
}

/* The MoE kernels; moe_load: P0 experts, P1 routed pairs; moe_bias_update:
 * P0 experts (the launches' own problems are pairs or elements). */
static void exercise_moe(clnn__exercise *b, const clnn__tunable *t, const size_t problem[2])
{
    clnn_context *ctx = b->ctx;
    if (t == &clnn__tune_moe_load) {
        clnn_tensor *load = clnn__exercise_ints(b, problem[0], problem[0], 1);
        EX_STEP(b, clnn_moe_expert_load(ctx, clnn__exercise_ints(b, problem[1], problem[0], 7), load));
    } else if (t == &clnn__tune_moe_bias_update) {
        EX_STEP(b, clnn_moe_bias_update(ctx, clnn__exercise_ints(b, problem[0], 50, 7), 1e-3f, EX_RAND(b, problem[0])));
    } else if (t == &clnn__tune_moe_route || t == &clnn__tune_moe_route_backward || t == &clnn__tune_moe_aux_loss) {
        exercise_moe_route(b, t, problem[0], problem[1]);
    } else {
        exercise_moe_dispatch(b, t, problem[0], problem[1]);
    }
}

/* radix_count/scatter: P0 tiles of 4096 keys; radix_scan: P1 / 256 tiles of
 * 4096 keys (a histogram entry per digit and tile); w2_diff, msdropout_*: n = P0 x P1 (msdropout: 4 samples of n);
 * topk_rows: [P0 rows, P1 columns]; sort_rows_*: n / 16 rows of 16 keys;
 * topk_gather_values, topk_reorder: n / 8 rows of 64, k = 8 (n / 8 x 8 outputs). */
static clnn_status exercise_sparse(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    if (t == &clnn__tune_radix_count || t == &clnn__tune_radix_scan || t == &clnn__tune_radix_scatter) {
        const size_t digits = (size_t)1 << CLNN_SORT_RADIX_BITS;
        size_t tiles = t == &clnn__tune_radix_scan ? (problem[1] + digits - 1) / digits : problem[0];
        clnn_tensor *keys = EX_RAND(&b, tiles * CLNN_SORT_TILE);
        EX_STEP(&b, clnn_sort(ctx, keys, NULL, keys, NULL));
    } else if (t == &clnn__tune_w2_diff) {
        clnn_tensor *w = EX_RAND(&b, n), *w0 = EX_RAND(&b, n);
        EX_STEP(&b, clnn_sort(ctx, w0, NULL, w0, NULL));
        EX_STEP(&b, clnn_reg_wasserstein(ctx, w, w0, 0.1f, EX_RAND(&b, 1), EX_RAND(&b, n)));
    } else if (t == &clnn__tune_sort_rows_ids || t == &clnn__tune_sort_rows_gather) { /* rows of 16 keys */
        size_t rows = n / 16 ? n / 16 : 1;
        EX_STEP(&b, clnn_sort_rows(ctx, EX_RAND(&b, rows, 16), 0, EX_RAND(&b, rows, 16), NULL));
    } else if (t == &clnn__tune_topk_gather_values || t == &clnn__tune_topk_reorder) { /* rows of 64, k = 8 */
        size_t rows = n / 8 ? n / 8 : 1;
        size_t shape[2] = {rows, 8};
        EX_STEP(&b, clnn_topk(ctx, EX_RAND(&b, rows, 64), 8, EX_RAND(&b, rows, 8),
                              clnn__exercise_int_output(&b, 2, shape)));
    } else if (t == &clnn__tune_topk_rows) {
        EX_STEP(&b, clnn_topk_activation_forward(ctx, EX_RAND(&b, problem[0], problem[1]), problem[1] / 8 + 1,
                                                 EX_RAND(&b, problem[0], problem[1]), NULL));
    } else if (t == &clnn__tune_msdropout_forward || t == &clnn__tune_msdropout_backward) {
        clnn_tensor *x = EX_RAND(&b, n), *y = EX_RAND(&b, 4, n);
        EX_STEP(&b, t == &clnn__tune_msdropout_forward ? clnn_multi_dropout_forward(ctx, x, 4, 0.1f, 5, 0, y)
                                                        : clnn_multi_dropout_backward(ctx, y, 4, 0.1f, 5, 0, x));
    } else {
        exercise_moe(&b, t, problem);
    }
    return clnn__exercise_end(&b);
}

void clnn__sparse_group_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    size_t local = 1;
    (void)ctx; /* the launch clips it to the kernel's limits (clnn__config_default) */
    while (local * 16 < problem[1] && local < 256) local *= 2;
    cfg->local[0] = local;
    cfg->local[1] = cfg->local[2] = 1;
}
