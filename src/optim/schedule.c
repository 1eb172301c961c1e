/* AdEMAMix warm-up schedulers (Pagliardini, Ablin & Grangier 2024): host
 * functions giving alpha and beta3 of a step, for clnn_optim_options. Computed in
 * double and rounded once. */
#include "regularizers/regularizers_internal.h"

clnn_status clnn_ademamix_alpha_at(float alpha, unsigned long t_alpha, unsigned long step, float *alpha_t)
{
    CLNN_ENTRY_NO_CONTEXT();
    TRY(clnn__check_range(NULL, fn, "alpha", alpha, 0.0f, INFINITY));
    CHECK_ARG(NULL, alpha_t != NULL, "%s: alpha_t is NULL", fn);
    double frac = t_alpha == 0 || step >= t_alpha ? 1.0 : (double)step / (double)t_alpha;
    *alpha_t = (float)(frac * alpha);
    return CLNN_OK;
}

clnn_status clnn_ademamix_beta3_at(float beta1, float beta3, unsigned long t_beta3, unsigned long step,
                                   float *beta3_t)
{
    CLNN_ENTRY_NO_CONTEXT();
    CHECK_ARG(NULL, clnn__is_finite(beta1) && beta1 > 0 && beta1 < 1, "%s: beta1 = %g is outside (0, 1)", fn,
              (double)beta1);
    CHECK_ARG(NULL, clnn__is_finite(beta3) && beta3 > 0 && beta3 < 1, "%s: beta3 = %g is outside (0, 1)", fn,
              (double)beta3);
    CHECK_ARG(NULL, beta3_t != NULL, "%s: beta3_t is NULL", fn);
    double tau = t_beta3 == 0 || step >= t_beta3 ? 1.0 : (double)step / (double)t_beta3;
    /* linear in 1/ln β: the EMA's half-life grows linearly from β1's to β3's */
    double l1 = log((double)beta1), l3 = log((double)beta3);
    double b = exp(l1 * l3 / ((1.0 - tau) * l3 + tau * l1));
    *beta3_t = (float)(b < beta3 ? b : beta3);
    return CLNN_OK;
}
