/* The robust family's tuning exercise (robust/robust_tunables.def): one call
 * per kernel on the requested problem. */
#include "robust/robust_internal.h"
#include "tune_family.h"

#define CLNN_TABLE "robust/robust_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* The robust family's calls on P0 samples (rows) of P1 elements (classes):
 * the PGD L2 step and start (the variants with norms), ARoW with both
 * gradients, the VAE KL and reparameterisation (forward and backward),
 * iFlood (values and row scaling), pseudo-labels, DINO's loss and centre,
 * group DRO over 4 groups, fairret over 3, ELLE's points and penalty, Lp-Reg,
 * AAER with both gradients, the Jacobian projections ([P0, P1]) and step
 * (samples of P1, 10 classes). */
static clnn_status exercise_robust(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    const size_t n = problem[0], d = problem[1];
    clnn_tensor *x = EX_RAND(&b, n, d), *y = EX_RAND(&b, n, d), *out = EX_RAND(&b, n, d), *out2 = EX_RAND(&b, n, d);
    clnn_tensor *loss = EX_RAND(&b, 1);
    if (t == &clnn__tune_robust_perturb || t == &clnn__tune_robust_start) {
        clnn_perturb_options o;
        clnn_perturb_options_init(&o);
        o.kind = CLNN_PERTURB_PGD_L2;
        if (t == &clnn__tune_robust_start)
            EX_STEP(&b, clnn_perturb_random_start(ctx, &o, 7, 1, x, out, out2));
        else
            EX_STEP(&b, clnn_perturb_step(ctx, &o, x, y, out, out2));
    } else if (t == &clnn__tune_robust_kl) {
        EX_STEP(&b, clnn_robust_kl_loss(ctx, x, y, clnn__exercise_ints(&b, n, d, 7), CLNN_ROBUST_KL_AROW, 6.0f, NULL,
                                        CLNN_REDUCE_MEAN, loss, out, out2));
    } else if (t == &clnn__tune_robust_vae_kl) {
        EX_STEP(&b, clnn_vae_kl(ctx, x, y, CLNN_REDUCE_MEAN, loss, out, out2));
    } else if (t == &clnn__tune_robust_reparam) {
        EX_STEP(&b, clnn_vae_reparameterize(ctx, x, y, 7, 1, out, out2));
    } else if (t == &clnn__tune_robust_reparam_back) {
        EX_STEP(&b, clnn_vae_reparameterize_backward(ctx, y, 7, 1, x, 0, out, out2));
    } else if (t == &clnn__tune_robust_flood_values || t == &clnn__tune_robust_flood_scale) {
        EX_STEP(&b, clnn_iflood(ctx, EX_RAND(&b, n), 0.1f, CLNN_REDUCE_MEAN, loss, out));
    } else if (t == &clnn__tune_robust_dro_sums || t == &clnn__tune_robust_dro_update ||
               t == &clnn__tune_robust_scale_groups) {
        EX_STEP(&b, clnn_tensor_fill(loss, 0.25f));
        EX_STEP(&b, clnn_group_dro(ctx, EX_UNIFORM(&b, 0.0f, 1.0f, n), clnn__exercise_ints(&b, n, 4, 1), 0.01f,
                                   EX_UNIFORM(&b, 0.25f, 0.25f, 4), loss, out));
    } else if (t == &clnn__tune_robust_fairret_stats || t == &clnn__tune_robust_fairret_grad) {
        EX_STEP(&b, clnn_fairret_loss(ctx, EX_UNIFORM(&b, 0.0f, 1.0f, n), EX_UNIFORM(&b, 0.0f, 1.0f, n, 3), loss,
                                      EX_RAND(&b, n)));
    } else if (t == &clnn__tune_robust_elle_points) {
        EX_STEP(&b, clnn_elle_points(ctx, NULL, 7, 1, x, out, out2, y, EX_RAND(&b, n)));
    } else if (t == &clnn__tune_robust_elle_terms || t == &clnn__tune_robust_scale_rows) {
        clnn_tensor *l3 = EX_RAND(&b, n);
        EX_STEP(&b, clnn_elle_penalty(ctx, EX_RAND(&b, n), EX_RAND(&b, n), l3, EX_UNIFORM(&b, 0.0f, 1.0f, n), 1.0f,
                                      loss, out, out2, y));
    } else if (t == &clnn__tune_robust_aaer_rows || t == &clnn__tune_robust_aaer_stats ||
               t == &clnn__tune_robust_aaer_apply) {
        EX_STEP(&b, clnn_aaer_penalty(ctx, EX_RAND(&b, n), EX_RAND(&b, n), x, y, 1.0f, 1.0f, 1.0f, loss, out, out2));
    } else if (t == &clnn__tune_robust_jac_proj) {
        EX_STEP(&b, clnn_jacobian_projections(ctx, 7, 1, x));
    } else if (t == &clnn__tune_robust_jac_step) {
        clnn_tensor *v = EX_RAND(&b, n, 10);
        EX_STEP(&b, clnn_jacobian_penalty_step(ctx, x, v, y, 0.01f, 1, 0.01f, 1, loss, out, EX_RAND(&b, n, 10)));
    } else if (t == &clnn__tune_robust_lp_reg) {
        EX_STEP(&b, clnn_lp_reg(ctx, x, 0.1f, 0.5f, CLNN_REDUCE_MEAN, loss, out));
    } else if (t == &clnn__tune_robust_pseudo) {
        EX_STEP(&b, clnn_pseudo_labels(ctx, x, 0.5f, 1.0f, -100, clnn__exercise_ints(&b, n, d, 7), EX_RAND(&b, n)));
    } else {
        clnn_tensor *center = EX_RAND(&b, d);
        if (t == &clnn__tune_robust_dino_center)
            EX_STEP(&b, clnn_dino_center_update(ctx, x, 0.9f, center));
        else
            EX_STEP(&b, clnn_dino_loss(ctx, x, y, center, 0.1f, 0.04f, CLNN_REDUCE_MEAN, loss, out));
    }
    return clnn__exercise_end(&b);
}
