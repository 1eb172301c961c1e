/* Shared pieces of the representation losses: the elementwise pair-loss
 * launcher (Huber, squared error) and the sum of a term's partials; and the
 * family's list of tunable kernels. The checks and the value stage all
 * losses share are in common/loss_value.c, the shape checks in tensor.c. */
#include "representations/representations_internal.h"

#include <stdio.h>

#define PAIR_CHUNK 4096 /* elements per partial, as in cl/representations_huber.cl */

const clnn__tunable clnn__tune_repr_pair = CLNN_ROW_TUNABLE("representations.pair_loss", "representations_huber", "pair_loss");
const clnn__tunable clnn__tune_repr_value =
    CLNN_ROW_TUNABLE("representations.vicreg_value", "representations_vicreg", "vicreg_value");

const clnn__tunable *const clnn__representations_tunables[] = {
    &clnn__tune_repr_pair,          &clnn__tune_repr_value,           &clnn__tune_repr_moments,
    &clnn__tune_repr_stats,         &clnn__tune_repr_variance_grad,   &clnn__tune_repr_center_cols,
    &clnn__tune_repr_offdiag,       &clnn__tune_repr_pseudo_huber,    &clnn__tune_repr_center_rows,
    &clnn__tune_repr_center_links,  &clnn__tune_repr_center_update,   &clnn__tune_repr_sinkhorn_rows,
    &clnn__tune_repr_sinkhorn_cols, &clnn__tune_repr_sinkhorn_back_rows, &clnn__tune_repr_sinkhorn_back_cols,
    NULL};

clnn_status clnn__repr_pair_loss(clnn_context *ctx, const char *fn, const clnn__repr_pair *p, cl_mem *partial,
                                 size_t *nparts)
{
    size_t chunks = (p->n + PAIR_CHUNK - 1) / PAIR_CHUNK, len = p->n < PAIR_CHUNK ? p->n : PAIR_CHUNK;
    *nparts = chunks;
    TRY(clnn__scratch(ctx, fn, chunks, partial));
    char variant[96];
    /* which gradients, and whether they accumulate, are compile-time
     * variants: branch-free inner loops vectorize on CPU runtimes */
    snprintf(variant, sizeof variant, "-DTERM=%d -DWANT_GA=%d -DWANT_GB=%d -DACCUMULATE=%d%s", p->term,
             p->ga != NULL, p->gb != NULL, p->accumulate, p->values ? " " CLNN_LOSS_VALUES_OPTION : "");
    cl_mem ga = p->ga ? p->ga : p->a, gb = p->gb ? p->gb : p->a; /* untouched when not wanted */
    cl_mem values = p->values ? p->values : p->a;
    cl_uint n = (cl_uint)p->n;
    float delta = p->delta, scale = p->grad_scale;
    clnn__karg args[] = {KARG_BUF(*partial), KARG_BUF(values), KARG_BUF(ga), KARG_BUF(gb), KARG_BUF(p->a),
                         KARG_BUF(p->b),     KARG(n),          KARG(delta),  KARG(scale)};
    size_t problem[2] = {chunks, len};
    return clnn__run_variant(ctx, fn, &clnn__tune_repr_pair, variant, problem, sizeof args / sizeof args[0], args);
}

clnn_status clnn__repr_value(clnn_context *ctx, const char *fn, cl_mem out, cl_uint out_offset, cl_mem partial,
                             size_t n, float scale)
{
    cl_uint count = (cl_uint)n;
    clnn__karg args[] = {KARG_BUF(out), KARG(out_offset), KARG_BUF(partial), KARG(count), KARG(scale)};
    size_t problem[2] = {1, n};
    return clnn__run(ctx, fn, &clnn__tune_repr_value, problem, 5, args);
}
