/* What clnn_optim_step (optim.c) shares with the optimizer object
 * (optimizer.c): the checks, the scalars of a step and the launches, so that
 * the object's tensors get exactly the per-tensor call's kernel variant and
 * arguments. */
#ifndef CLNN_OPTIM_INTERNAL_H
#define CLNN_OPTIM_INTERNAL_H

#include "regularizers/regularizers_internal.h"

/* Slots of the multi-tensor kernel (optim_step_multi of cl/optim.cl). */
#define CLNN__OPTIM_SLOTS 8

/* The regularizers of a step, by kind (NULL when absent). */
typedef struct clnn__reg_set {
    const clnn_reg *by_kind[CLNN_REG_PERPGRAD + 1];
} clnn__reg_set;

/* The hyper-parameter checks of clnn_optim_step (amsgrad: those of
 * clnn_amsgrad_step; kind AdEMAMix: those of clnn_ademamix_step with alpha
 * and beta3, which the other kinds do not read). */
clnn_status clnn__optim_check_hparams(clnn_context *ctx, const char *fn, const clnn_optim_options *o, int amsgrad,
                                      float alpha, float beta3);
/* The regularizer list's checks (perpGrad's coefficients: nparams of them). */
clnn_status clnn__optim_check_regs(clnn_context *ctx, const char *fn, size_t nregs, const clnn_reg *regs,
                                   size_t nparams, clnn__reg_set *set);
/* The scalars every tensor of a step shares (o and set checked; alpha and
 * beta3 read for kind AdEMAMix). */
void clnn__optim_base(const clnn_optim_options *o, int amsgrad, float alpha, float beta3, const clnn__reg_set *set,
                      clnn__step_desc *base);
/* The launch of parameter p (index: its perpGrad coefficient) from base:
 * its buffers (m2: AdEMAMix's slow EMA or AMSGrad's v_max), and no weight
 * penalty or mask where p is no_decay. */
void clnn__optim_param_desc(const clnn__step_desc *base, const clnn_param *p, clnn_tensor *m2, cl_uint index,
                            clnn__step_desc *d);
/* One launch of optim_step_multi over k (1..CLNN__OPTIM_SLOTS) tensors whose
 * descriptions differ only in their buffers and perp_index. */
clnn_status clnn__step_launch_multi(clnn_context *ctx, const char *fn, size_t k, const clnn__step_desc *d);

#endif /* CLNN_OPTIM_INTERNAL_H */
