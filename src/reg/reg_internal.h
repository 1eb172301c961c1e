/* Helpers shared by the regularizer and optimizer host code (src/reg/, src/optim.c). */
#ifndef CLNN_REG_INTERNAL_H
#define CLNN_REG_INTERNAL_H

#include "internal.h"

#include <math.h>

/* t is a tensor of ctx holding fp32; with count != 0 it must hold exactly count elements. */
clnn_status clnn__check_f32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                            size_t count);
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


#endif
