/* Shared pieces of the representation losses: the elementwise pair-loss
 * launcher (Huber, squared error) and the sum of a term's partials; and the
 * family's list of tunable kernels. The checks and the value stage all
 * losses share are in common/loss_value.c, the shape checks in tensor.c. */
#include "representations/representations_internal.h"
#include "tune_family.h"

#include <math.h>

#include <stdio.h>

#define PAIR_CHUNK 4096 /* elements per partial, as in cl/representations_huber.cl */

#define CLNN_TABLE "representations/representations_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* Sinkhorn on scores [P0, P1]; the column kernels run on [P1, P0]. */
static void exercise_sinkhorn(clnn__exercise *b, const clnn__tunable *t, size_t p0, size_t p1)
{
    int cols = t == &clnn__tune_repr_sinkhorn_cols || t == &clnn__tune_repr_sinkhorn_back_cols;
    int back = t == &clnn__tune_repr_sinkhorn_back_rows || t == &clnn__tune_repr_sinkhorn_back_cols;
    size_t n = cols ? p1 : p0, m = cols ? p0 : p1;
    clnn_tensor *s = EX_RAND(b, n, m), *p = EX_RAND(b, n, m), *pot = EX_RAND(b, 2 * (n + m));
    EX_STEP(b, clnn_sinkhorn_forward(b->ctx, s, 1.0f, 2, p, pot));
    if (back) EX_STEP(b, clnn_sinkhorn_backward(b->ctx, s, pot, p, 1.0f, 2, EX_RAND(b, n, m)));
}

/* Embeddings [P0 samples (at least 2), P1 features]: VICReg, center loss,
 * (pseudo-)Huber; offdiag_sq and center_cols: the covariance of [P0, P1];
 * vicreg_value: the variance of [16, P1]; isoscore_*: 16 samples of d, d x d
 * the problem's element count. */
static clnn_status exercise_representations(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t p0 = problem[0] < 2 ? 2 : problem[0], p1 = problem[1];
    clnn_tensor *loss = EX_RAND(&b, 1);
    if (t == &clnn__tune_repr_sinkhorn_rows || t == &clnn__tune_repr_sinkhorn_cols ||
        t == &clnn__tune_repr_sinkhorn_back_rows || t == &clnn__tune_repr_sinkhorn_back_cols) {
        exercise_sinkhorn(&b, t, p0, p1);
    } else if (t == &clnn__tune_repr_center_rows || t == &clnn__tune_repr_center_links ||
               t == &clnn__tune_repr_center_update) {
        clnn_tensor *x = EX_RAND(&b, p0, p1), *labels = clnn__exercise_ints(&b, p0, 10, 7);
        clnn_tensor *centers = EX_RAND(&b, 10, p1);
        if (t == &clnn__tune_repr_center_rows)
            EX_STEP(&b, clnn_center_loss(ctx, x, labels, centers, CLNN_REDUCE_MEAN, loss, EX_RAND(&b, p0, p1)));
        else EX_STEP(&b, clnn_center_loss_update(ctx, x, labels, 0.5f, centers));
    } else if (t == &clnn__tune_repr_pseudo_huber || t == &clnn__tune_repr_pair) {
        clnn_tensor *x = EX_RAND(&b, p0, p1), *y = EX_RAND(&b, p0, p1), *g = EX_RAND(&b, p0, p1);
        EX_STEP(&b, t == &clnn__tune_repr_pair ? clnn_huber_loss(ctx, x, y, 0.5f, CLNN_REDUCE_MEAN, loss, g)
                                               : clnn_pseudo_huber_loss(ctx, x, y, 0.5f, CLNN_REDUCE_MEAN, loss, g));
    } else if (t == &clnn__tune_repr_iso_stats || t == &clnn__tune_repr_iso_grad) { /* d x d from the problem */
        size_t d = (size_t)sqrt((double)(t == &clnn__tune_repr_iso_stats ? problem[1] : problem[0]));
        d = d < 2 ? 2 : d;
        EX_STEP(&b, clnn_isoscore_penalty(ctx, EX_RAND(&b, 16, d), NULL, 0.0f, 1.0f, loss, EX_RAND(&b, 16, d)));
    } else if (t == &clnn__tune_repr_offdiag || t == &clnn__tune_repr_center_cols) {
        EX_STEP(&b, clnn_vicreg_covariance(ctx, EX_RAND(&b, p0, p1), loss, NULL));
    } else { /* column statistics, variance gradient and the sum of the hinges */
        size_t n = t == &clnn__tune_repr_value ? 16 : p0;
        EX_STEP(&b, clnn_vicreg_variance(ctx, EX_RAND(&b, n, p1), 1.0f, 1e-4f, loss, EX_RAND(&b, n, p1)));
    }
    return clnn__exercise_end(&b);
}

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
