/* The launchers of cl/gradcomb.cl shared by the gradient-combination files
 * (gradcomb.c, amp.c, sparsity.c). */
#ifndef CLNN_GRADCOMB_INTERNAL_H
#define CLNN_GRADCOMB_INTERNAL_H

#include "common/rows.h"
#include "regularizers/regularizers_internal.h"

/* Lists of one call: the i-th list of n tensors starts at list[i·n]. */
clnn_status clnn__gradcomb_check_lists(clnn_context *ctx, const char *fn, const char *name, size_t nlists,
                                       size_t nparams, const clnn_tensor *const *list, const clnn_tensor *const *like);
/* No tensor of `out` (n) shares a buffer with another of `out` or with any of
 * the n·nin tensors of `in`. */
clnn_status clnn__gradcomb_check_outputs(clnn_context *ctx, const char *fn, const char *out_name, size_t n,
                                         clnn_tensor *const *out, const char *in_name, size_t nin,
                                         const clnn_tensor *const *in);

/* The Gram matrix of k vectors (1..64) over the lists of nparams tensors:
 * v[i·nparams + p] is tensor p of vector i. gram (k·k floats) receives
 * G_ij = Σ_p <v_i[p], v_j[p]>, summed tensor by tensor in order; with
 * per_tensor, tensor p's own Gram goes to gram[p·k·k] instead (no sum).
 * ema 1: v_0[p] ← ema_p·v_0[p] + ema_q·y[p] before the products (written
 * back), ema 2: v_0[p] ← ema_q·y[p]. */
typedef struct clnn__gram_job {
    size_t k, nparams;
    const clnn_tensor *const *v;
    int ema;
    const clnn_tensor *const *y;
    float ema_p, ema_q;
    int per_tensor;
} clnn__gram_job;
clnn_status clnn__gram(clnn_context *ctx, const char *fn, const clnn__gram_job *job, cl_mem gram);

enum { GRAM_SOLVE_PCGRAD = 0, GRAM_SOLVE_SURGERY = 1, GRAM_SOLVE_BALL = 2 };
/* The one-work-item solve of cl/gradcomb.cl (gram_solve, MODE = mode). */
clnn_status clnn__gram_solve(clnn_context *ctx, const char *fn, int mode, cl_mem gram, cl_mem coef, cl_uint kdim,
                             uint64_t seed, uint32_t stream, cl_uint param, float lambda);

/* out[p] = Σ_k scales[k]·coef[k]·x[k·nparams + p] for k < nx (1..64), in
 * order of k; scales NULL: 1; coef NULL: 1. */
clnn_status clnn__combine(clnn_context *ctx, const char *fn, size_t nx, size_t nparams,
                          const clnn_tensor *const *x, const float *scales, cl_mem coef, clnn_tensor *const *out);

/* The family's tunable kernels (gradcomb_tunables.def). */
#define CLNN_TABLE "gradcomb/gradcomb_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

#endif
