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
 * iFlood (values and row scaling), pseudo-labels, DINO's loss and centre. */
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
