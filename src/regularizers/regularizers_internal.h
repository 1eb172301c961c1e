/* Helpers shared by the regularizer and optimizer host code (src/regularizers/, src/optim/). */
#ifndef CLNN_REG_INTERNAL_H
#define CLNN_REG_INTERNAL_H

#include "internal.h"

#include <math.h>

/* x is finite and within [lo, hi]. */
clnn_status clnn__check_range(clnn_context *ctx, const char *fn, const char *name, float x, float lo, float hi);
/* list holds n (1..65536) fp32 tensors of ctx, named "name[i]" in messages. */
clnn_status clnn__check_f32_list(clnn_context *ctx, const char *fn, const char *name, size_t n,
                                 const clnn_tensor *const *list);
/* Two lists of n tensors pair up: b[i] has a[i]'s element count and, when
 * distinct is set, another buffer. */
clnn_status clnn__check_pairs(clnn_context *ctx, const char *fn, const char *a_name, const clnn_tensor *const *a,
                              const char *b_name, const clnn_tensor *const *b, size_t n, int distinct);

/* Fused elementwise weight update (cl/optim.cl): the optimizer step and the
 * standalone proximal / decay operations share it. Fields not used by the
 * variant are ignored; NULL buffers are replaced by w (never touched). */
typedef struct clnn__step_desc {
    int opt;                      /* OPT of cl/optim.cl: 0 none, 1 SGD, 2 momentum, 3 Nesterov, 4 Adam,
                                     5 AdEMAMix */
    int prox;                     /* 0 none, 1 L1, 2 elastic net */
    int has_l2, has_decay, has_clip, has_perp;
    int maximize, has_damp;       /* MAXIMIZE (g = −g first), HAS_DAMP (momentum adds damp·g) */
    int amsgrad;                  /* AMSGRAD: m2 holds max(v) (Adam) */
    clnn_tensor *w;
    const clnn_tensor *g, *mask, *clip_buf, *perp_buf;
    clnn_tensor *m, *v, *m2;
    cl_uint perp_index;
    cl_float lr, mu, beta1, beta2, eps, lr_m, isb2, l2, decay, l1, l2e, clip, perp;
    cl_float beta3, amix;         /* AdEMAMix: slow EMA rate, alpha·(1 − β₁ᵗ) */
    cl_float damp;                /* SGD momentum: 1 − dampening (1 on step 1, as PyTorch) */
} clnn__step_desc;
clnn_status clnn__step_launch(clnn_context *ctx, const char *fn, const clnn__step_desc *d);


#include "common/reduce.h"

/* out[0] = min(1, max_norm / (norm + 1e-6)), out[1] = norm = sqrt(Σ_i ||t_i||²)
 * over a list of n tensors (the global-norm clipping factor; SAM uses the norm). */
clnn_status clnn__global_norm(clnn_context *ctx, const char *fn, float max_norm, size_t n,
                             const clnn_tensor *const *t, cl_mem out);
/* The launch of an elementwise kernel of cl/regularizers_terms.cl (terms_run.c). */
clnn_status clnn__reg_terms_run(clnn_context *ctx, const char *fn, int which, const char *variant, size_t n,
                                size_t nargs, const clnn__karg *args);
enum { REG_TERMS_GRAD = 0, REG_TERMS_GROUP_APPLY = 1, REG_TERMS_SUB_IDENTITY = 2, REG_TERMS_BLEND = 3,
       REG_TERMS_OUTER = 4 };

/* The elementwise update of the gradient operations (reg_blend of
 * cl/regularizers_terms.cl): y = a·y + b·s·x (BLEND_AXPBY) or y = y·x (BLEND_MUL),
 * s = 1, scale[scale_index] (BLEND_SCALE_BY) or 1 / (scale[scale_index] + 1e-12)
 * (BLEND_SCALE_INV); read_y 0 means a = 0 without reading y; saved (optional)
 * receives y before the update. */
enum { BLEND_AXPBY = 0, BLEND_MUL = 1, BLEND_CLAMP = 2 };
enum { BLEND_SCALE_ONE = 0, BLEND_SCALE_BY = 1, BLEND_SCALE_INV = 2 };
typedef struct clnn__blend_desc {
    int op, scale_mode, read_y;
    cl_mem y, x, saved, scale;
    cl_uint scale_index, n;
    cl_float a, b;
} clnn__blend_desc;
clnn_status clnn__blend(clnn_context *ctx, const char *fn, const clnn__blend_desc *d);
/* w viewed as [shape[0], count / shape[0]]. */
void clnn__rows_cols(const clnn_tensor *w, size_t *rows, size_t *cols);

/* clnn_prune_nm_mask for the public function fn (reg_prune.c). */
clnn_status clnn__prune_nm_mask(clnn_context *ctx, const char *fn, const clnn_tensor *w, unsigned n, unsigned m,
                                clnn_tensor *mask);

/* The family's tunable kernels (reg_tunables.def). */
#define CLNN_TABLE "regularizers/reg_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

/* The magnitude top-k mask of n floats at w (prune.c): mask = 1 at the k
 * largest |w|, ties to the lower index (clnn_prune_topk_mask on buffers). */
clnn_status clnn__topk_mask_mem(clnn_context *ctx, const char *fn, cl_mem w, cl_uint n, cl_uint k, cl_mem mask);

#endif
