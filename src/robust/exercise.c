/* The robust family's tuning exercise (robust/robust_tunables.def): one call
 * per kernel on the requested problem. */
#include "robust/robust_internal.h"
#include "tune_family.h"

#define CLNN_TABLE "robust/robust_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* perturb_*: P0 samples of P1 elements, the PGD L2 step and start (the
 * variants with the norms); kl: ARoW on [P0, P1] logits with both
 * gradients. */
static clnn_status exercise_robust(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    const size_t n = problem[0], d = problem[1];
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    o.kind = CLNN_PERTURB_PGD_L2;
    clnn_tensor *x = EX_UNIFORM(&b, 0.0f, 1.0f, n, d), *delta = EX_RAND(&b, n, d), *adv = EX_RAND(&b, n, d);
    if (t == &clnn__tune_robust_kl)
        EX_STEP(&b, clnn_robust_kl_loss(ctx, EX_RAND(&b, n, d), EX_RAND(&b, n, d), clnn__exercise_ints(&b, n, d, 7),
                                        CLNN_ROBUST_KL_AROW, 6.0f, NULL, CLNN_REDUCE_MEAN, EX_RAND(&b, 1),
                                        EX_RAND(&b, n, d), EX_RAND(&b, n, d)));
    else if (t == &clnn__tune_robust_start)
        EX_STEP(&b, clnn_perturb_random_start(ctx, &o, 7, 1, x, delta, adv));
    else
        EX_STEP(&b, clnn_perturb_step(ctx, &o, x, EX_RAND(&b, n, d), delta, adv));
    return clnn__exercise_end(&b);
}
