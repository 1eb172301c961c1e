/* Helpers shared by the regularizer and optimizer host code (src/reg/, src/optim.c). */
#ifndef CLNN_REG_INTERNAL_H
#define CLNN_REG_INTERNAL_H

#include "internal.h"

#include <math.h>

/* x is finite and within [lo, hi]. */
clnn_status clnn__check_range(clnn_context *ctx, const char *fn, const char *name, float x, float lo, float hi);

/* Fused elementwise weight update (cl/optim.cl): the optimizer step and the
 * standalone proximal / decay operations share it. Fields not used by the
 * variant are ignored; NULL buffers are replaced by w (never touched). */
typedef struct clnn__step_desc {
    int opt;                      /* OPT of cl/optim.cl: 0 none, 1 SGD, 2 momentum, 3 Nesterov, 4 Adam */
    int prox;                     /* 0 none, 1 L1, 2 elastic net */
    int has_l2, has_decay, has_clip, has_perp;
    clnn_tensor *w;
    const clnn_tensor *g, *mask, *clip_buf, *perp_buf;
    clnn_tensor *m, *v;
    cl_uint perp_index;
    cl_float lr, mu, beta1, beta2, eps, lr_m, isb2, l2, decay, l1, l2e, clip, perp;
} clnn__step_desc;
clnn_status clnn__step_launch(clnn_context *ctx, const char *fn, const clnn__step_desc *d);


/* ---- the deterministic two-stage reduction of cl/reg_reduce.cl (reduce.c) */
enum { REDUCE_TERM_ABS_SQ = 0, REDUCE_TERM_DOT = 1, REDUCE_TERM_ORTHO = 2 };
enum { REDUCE_POST_NONE = 0, REDUCE_POST_SQRT = 1, REDUCE_POST_NORM_LOSS = 2 };
typedef struct clnn__reduce_desc {
    cl_mem a, b;              /* b: mask / second operand, or NULL */
    int term, post;
    cl_uint nseg, len, seg_stride, elem_stride, diag;
    cl_float c1, c2, scale;
} clnn__reduce_desc;
/* out[out_offset + s] = scale · POST(Σ_j TERM(segment s, j)) for s < nseg. */
clnn_status clnn__reduce(clnn_context *ctx, const char *fn, const clnn__reduce_desc *d, cl_mem out,
                         cl_uint out_offset);
/* The final combine kernel: mode 0 clip factor, 1 perpGrad ratios. */
clnn_status clnn__reduce_combine(clnn_context *ctx, const char *fn, int mode, cl_mem sums, cl_mem out, cl_uint n,
                                 cl_float max_norm);
/* The launch of an elementwise kernel of cl/reg_terms.cl (reg_terms.c). */
clnn_status clnn__reg_terms_run(clnn_context *ctx, const char *fn, int which, const char *variant, size_t n,
                                size_t nargs, const clnn__karg *args);
enum { REG_TERMS_GRAD = 0, REG_TERMS_GROUP_APPLY = 1, REG_TERMS_SUB_IDENTITY = 2 };
/* w viewed as [shape[0], count / shape[0]]. */
void clnn__rows_cols(const clnn_tensor *w, size_t *rows, size_t *cols);

#endif
