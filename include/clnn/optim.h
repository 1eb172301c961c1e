/* Fused optimizer steps: SGD (momentum, Nesterov), Adam, AdamW and AdEMAMix
 * with bias correction, applying a list of elementwise regularizers (clnn_reg, see
 * clnn/regularizers.h) inside the same kernel that updates the parameters:
 * w, g, m, v (and an optional mask) are read once and w, m, v written once,
 * whatever the list holds. Included by clnn/clnn.h. */
#ifndef CLNN_OPTIM_H
#define CLNN_OPTIM_H

#include "clnn/regularizers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clnn_optimizer {
    CLNN_OPTIM_SGD = 0,   /* momentum 0: w -= lr·g; else m = μ·m + g, w -= lr·m (Nesterov: lr·(g + μ·m)) */
    CLNN_OPTIM_ADAM = 1,  /* Kingma & Ba 2015; weight_decay is coupled L2 (added to g) */
    CLNN_OPTIM_ADAMW = 2, /* Loshchilov & Hutter 2019; weight_decay is decoupled: w -= lr·wd·w */
    CLNN_OPTIM_ADEMAMIX = 3 /* Pagliardini, Ablin & Grangier 2024: AdamW plus a slow EMA m2 (beta3)
                               mixed in with weight alpha; weight_decay is decoupled as in AdamW.
                               Stepped by clnn_ademamix_step (it needs m2, alpha, beta3) */
} clnn_optimizer;

/* Hyper-parameters of one step. All must be finite. Set up by
 * clnn_optim_options_init (AdamW, lr 1e-3, betas 0.9 / 0.999, eps 1e-8,
 * weight_decay 0.01, step 1, dampening 0, maximize 0: PyTorch's AdamW); opt
 * must not be NULL. */
typedef struct clnn_optim_options {
    size_t size;        /* sizeof(clnn_optim_options), set by clnn_optim_options_init */
    clnn_optimizer kind;
    float lr;           /* >= 0 */
    float momentum;     /* SGD: in [0, 1); 0 means plain SGD (no m buffer) */
    int nesterov;       /* SGD: nonzero for Nesterov momentum (needs momentum > 0) */
    float beta1, beta2; /* Adam/AdamW: in [0, 1) */
    float eps;          /* Adam/AdamW: > 0 */
    float weight_decay; /* >= 0; SGD and Adam: coupled L2 (g += wd·w); AdamW: decoupled */
    unsigned long step; /* Adam/AdamW/AdEMAMix: 1-based step number t for the bias corrections 1 − βᵗ;
                           SGD with dampening: step 1 stores m = g' undamped, as PyTorch */
    float dampening;    /* SGD with momentum: m = μm + (1 − dampening)·g' from step 2 on; in [0, 1], 0 with
                           nesterov (PyTorch's rule) */
    int maximize;       /* nonzero: ascend, g' starts from −g (PyTorch's maximize), every optimizer */
} clnn_optim_options;

CLNN_API void clnn_optim_options_init(clnn_optim_options *opt);

/* One parameter tensor and its state. All fp32 with the same element count
 * (shapes may differ). m is the momentum buffer (SGD with momentum) or the
 * first moment (Adam/AdamW/AdEMAMix) and must be NULL for plain SGD; v is the
 * second moment for Adam/AdamW/AdEMAMix and must be NULL for SGD. m and v
 * start at zero. */
typedef struct clnn_param {
    clnn_tensor *w;           /* updated in place */
    const clnn_tensor *g;     /* gradient; not modified */
    clnn_tensor *m;
    clnn_tensor *v;
    const clnn_tensor *mask;  /* optional per-element mask (0/1, or any weight in [0, 1]):
                                 weight penalties (weight_decay, L2, DECAY, L1, ELASTIC_NET)
                                 act only where it is 1: "selective decay" */
    int no_decay;             /* per-tensor mask: nonzero exempts the tensor from every weight
                                 penalty (biases, normalization gains) */
} clnn_param;

/* Steps every parameter. The order inside the step, per element, with
 * c = clip factor, p = perpGrad coefficient of this tensor, k = mask, and
 * g = −g first with maximize:
 *   g' = c·(g − p·w) + λ₂·k·w                     (CLIP, PERPGRAD, L2 / coupled weight_decay)
 *   SGD:  u = g'; momentum: m = μm + d·g', u = m; Nesterov: u = g' + μm
 *         (d = 1 − dampening, 1 on step 1)
 *   Adam: m = β₁m + (1−β₁)g', v = β₂v + (1−β₂)g'², u = (m/(1−β₁ᵗ)) / (sqrt(v/(1−β₂ᵗ)) + ε)
 *   AdEMAMix: m, v as Adam, m2 = β₃m2 + (1−β₃)g' (no bias correction),
 *         u = (m/(1−β₁ᵗ) + α·m2) / (sqrt(v/(1−β₂ᵗ)) + ε)
 *   w ← w − lr·u − lr·λ_d·k·w                     (DECAY / AdamW, AdEMAMix weight_decay, on the old w)
 *   w ← sign(w)·max(|w| − lr·λ₁·k, 0) / (1 + lr·λ_e·k)   (L1: λ_e = 0; ELASTIC_NET)
 * regs may hold each kind at most once (nregs 0: regs may be NULL). One
 * kernel launch per parameter tensor. opt->kind CLNN_OPTIM_ADEMAMIX is
 * stepped by clnn_ademamix_step below (rejected here). */
CLNN_API clnn_status clnn_optim_step(clnn_context *ctx, const clnn_optim_options *opt, size_t nparams,
                                     const clnn_param *params, size_t nregs, const clnn_reg *regs);

/* AdEMAMix (Pagliardini, Ablin & Grangier 2024, "The AdEMAMix Optimizer:
 * Better, Faster, Older"): clnn_optim_step with opt->kind CLNN_OPTIM_ADEMAMIX
 * (beta1, beta2, eps, step, weight_decay decoupled as in AdamW) and the slow
 * EMA m2[i] of params[i] (fp32, params[i].w's element count, starts at zero,
 * its own buffer), in the same single kernel with the same regularizer list:
 *   m2 = β₃·m2 + (1 − β₃)·g',   u = (m/(1 − β₁ᵗ) + α·m2) / (sqrt(v/(1 − β₂ᵗ)) + ε)
 * alpha finite and >= 0, beta3 in [0, 1) (the paper: α 5..10, β₃ 0.999..0.9999,
 * both warmed up by the schedulers below). */
CLNN_API clnn_status clnn_ademamix_step(clnn_context *ctx, const clnn_optim_options *opt, float alpha, float beta3,
                                        size_t nparams, const clnn_param *params, clnn_tensor *const *m2,
                                        size_t nregs, const clnn_reg *regs);

/* AMSGrad (Reddi, Kale & Kumar 2018; PyTorch's Adam/AdamW amsgrad=True):
 * clnn_optim_step with opt->kind CLNN_OPTIM_ADAM or CLNN_OPTIM_ADAMW and the
 * running maximum v_max[i] of params[i]'s second moment (fp32, w's element
 * count, starts at zero, its own buffer), in the same single kernel:
 *   v_max = max(v_max, v),   u = (m/(1 − β₁ᵗ)) / (sqrt(v_max/(1 − β₂ᵗ)) + ε) */
CLNN_API clnn_status clnn_amsgrad_step(clnn_context *ctx, const clnn_optim_options *opt, size_t nparams,
                                       const clnn_param *params, clnn_tensor *const *v_max, size_t nregs,
                                       const clnn_reg *regs);

/* AdEMAMix warm-up schedulers (Pagliardini et al. 2024, section 3), host
 * functions giving the alpha and beta3 of clnn_ademamix_step at step t (the
 * 1-based opt->step):
 *   alpha_t = alpha·min(t / t_alpha, 1)                            (linear)
 *   beta3_t = min(exp(ln β₁·ln β₃ / ((1 − τ)·ln β₃ + τ·ln β₁)), β₃), τ = min(t / t_beta3, 1)
 * beta3_t interpolates linearly in the EMA's half-life 1/ln β between β₁ (the
 * fast EMA's rate, at t = 0) and β₃ (at t >= t_beta3), as the paper's f_β₃
 * and its reference code's linear_hl_warmup_scheduler. A warm-up length of 0
 * means none: the final value at every step. alpha finite and >= 0; beta1
 * and beta3 in (0, 1). Results in *alpha_t / *beta3_t (unchanged on error). */
CLNN_API clnn_status clnn_ademamix_alpha_at(float alpha, unsigned long t_alpha, unsigned long step, float *alpha_t);
CLNN_API clnn_status clnn_ademamix_beta3_at(float beta1, float beta3, unsigned long t_beta3, unsigned long step,
                                            float *beta3_t);

/* ---- the optimizer object: PyTorch's torch.optim.Optimizer with param
 * groups. It owns the state buffers of every parameter (m, v and, with
 * CLNN_OPTIMIZER_AMSGRAD, v_max: fp32, zeroed when the group is added) and
 * the step counters; the caller owns w and g (PyTorch's param and
 * param.grad), which must outlive the object. clnn_optimizer_step steps
 * every group with the per-tensor arithmetic of clnn_optim_step (the same
 * kernel variant and arguments: the same bits) but launches up to 8
 * tensors of one group and variant together (multi-tensor apply;
 * docs/design.md "Optimizer object and multi-tensor apply"). With
 * defaults->kind CLNN_OPTIM_ADEMAMIX every parameter also gets its slow EMA
 * m2 (zeroed) and steps as clnn_ademamix_step; each group's alpha and beta3
 * are 2 and 0.9999 until clnn_optimizer_set_ademamix sets them (every step,
 * from the warm-up schedulers above). */
typedef struct clnn_optimizer_state clnn_optimizer_state;

/* clnn_optimizer_create flags */
#define CLNN_OPTIMIZER_AMSGRAD 1u /* Adam/AdamW with amsgrad=True (clnn_amsgrad_step) */

/* One parameter group (PyTorch's param_groups entry): its tensors and the
 * hyper-parameters it overrides. A float field left NaN and an int field
 * left -1 (clnn_param_group_init) inherit the object's defaults, as keys
 * missing from a PyTorch group do. */
typedef struct clnn_param_group {
    size_t size;              /* sizeof(clnn_param_group), set by clnn_param_group_init */
    size_t nparams;           /* >= 1 */
    const clnn_param *params; /* w, g, optional mask and no_decay per tensor; m and v must be NULL
                                 (the object allocates them). Copied: the array need not outlive the call */
    float lr, weight_decay, momentum, beta1, beta2, eps, dampening; /* NaN: inherit */
    int nesterov, maximize;                                         /* -1: inherit */
} clnn_param_group;

CLNN_API void clnn_param_group_init(clnn_param_group *g);

/* A new optimizer with the given defaults (NULL: clnn_optim_options_init's
 * AdamW) and flags (0 or CLNN_OPTIMIZER_AMSGRAD). defaults->kind is the
 * kind of every group; defaults->step is not used (each group counts its
 * own steps, below). Every hyper-parameter is checked as by clnn_optim_step. */
CLNN_API clnn_status clnn_optimizer_create(clnn_context *ctx, const clnn_optim_options *defaults, unsigned flags,
                                           clnn_optimizer_state **out);
/* Adds a group (its index is the number of groups before it) with zeroed
 * state and step counter 0 (PyTorch's add_param_group mid-training: new
 * parameters start at step 0). Every tensor is checked as by
 * clnn_optim_step; no w may share memory with a w of any group. Parameters
 * are numbered across groups in the order added (perpGrad's coefficients
 * and clnn_optimizer_state_save / _load use these numbers). */
CLNN_API clnn_status clnn_optimizer_add_group(clnn_optimizer_state *opt, const clnn_param_group *g);
/* One step of every group: each group's counter t goes up by one and the
 * step uses it (bias corrections 1 − βᵗ, SGD's undamped first step), with
 * the regularizer list of clnn_optim_step applied to every tensor
 * (perpGrad's scalar holds one coefficient per parameter). A refused call
 * changes nothing: no counter and no buffer (an OpenCL failure part-way
 * leaves the launches already queued done and the counters unchanged). */
CLNN_API clnn_status clnn_optimizer_step(clnn_optimizer_state *opt, size_t nregs, const clnn_reg *regs);
/* Group `group`'s learning rate from now on (schedulers); lr finite, >= 0. */
CLNN_API clnn_status clnn_optimizer_set_lr(clnn_optimizer_state *opt, size_t group, float lr);
/* AdEMAMix objects: group `group`'s alpha (finite, >= 0) and beta3 (in
 * [0, 1)) from now on, e.g. clnn_ademamix_alpha_at / _beta3_at of the next
 * step. Refused for the other kinds. */
CLNN_API clnn_status clnn_optimizer_set_ademamix(clnn_optimizer_state *opt, size_t group, float alpha, float beta3);
/* The hyper-parameters group `group` steps with (its overrides over the
 * defaults; out->step: its next step, counter + 1). */
CLNN_API clnn_status clnn_optimizer_group_options(const clnn_optimizer_state *opt, size_t group,
                                                  clnn_optim_options *out);
/* Checkpointing: the steps group `group` has taken, and setting them (a
 * restored state's count; the buffers are restored by
 * clnn_optimizer_state_load below). */
CLNN_API clnn_status clnn_optimizer_get_step(const clnn_optimizer_state *opt, size_t group, unsigned long *step);
CLNN_API clnn_status clnn_optimizer_set_step(clnn_optimizer_state *opt, size_t group, unsigned long step);
/* Which state buffer of a parameter clnn_optimizer_state_save / _load copy. */
typedef enum clnn_optim_buffer {
    CLNN_OPTIM_BUF_M = 0,    /* momentum buffer (SGD with momentum) or first moment (Adam/AdamW) */
    CLNN_OPTIM_BUF_V = 1,    /* second moment (Adam/AdamW) */
    CLNN_OPTIM_BUF_VMAX = 2, /* AMSGrad's running maximum of v (CLNN_OPTIMIZER_AMSGRAD) */
    CLNN_OPTIM_BUF_M2 = 3    /* AdEMAMix's slow EMA */
} clnn_optim_buffer;

/* Checkpointing the state: copies buffer `which` of parameter `index`
 * (numbered across groups) into dst (save) or from src (load), fp32
 * tensors with the parameter's element count (a device copy; read or fill
 * them with clnn_tensor_download / clnn_tensor_upload). A buffer the
 * parameter does not have (v for SGD, m for plain SGD, v_max without
 * AMSGrad, m2 but for AdEMAMix) is refused. With clnn_optimizer_get_step / _set_step this is
 * PyTorch's optimizer state_dict and load_state_dict. */
CLNN_API clnn_status clnn_optimizer_state_save(const clnn_optimizer_state *opt, size_t index, clnn_optim_buffer which,
                                               clnn_tensor *dst);
CLNN_API clnn_status clnn_optimizer_state_load(clnn_optimizer_state *opt, size_t index, clnn_optim_buffer which,
                                               const clnn_tensor *src);
/* Groups and parameters (across groups) added so far. */
CLNN_API clnn_status clnn_optimizer_counts(const clnn_optimizer_state *opt, size_t *ngroups, size_t *nparams);
/* Releases the object and its state tensors (NULL: nothing). */
CLNN_API void clnn_optimizer_release(clnn_optimizer_state *opt);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_OPTIM_H */
