/* Shared host code of the contrastive family: argument checks, the stacked
 * views (cl/contrastive.cl embed_prepare / embed_finish), the InfoNCE pass
 * plan, and the family's tunables list. */
#include "contrastive/contrastive_internal.h"
#include "tune_family.h"

#include <string.h>

#define CLNN_TABLE "contrastive/contrastive_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* Two views of P0 samples (at least 2) of P1 features; ge2e_* and
 * row_sqnorms: P0 speakers of 4 utterances of P1 features. */
static clnn_status exercise_contrastive(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = problem[0] < 2 ? 2 : problem[0], d = problem[1] ? problem[1] : 1;
    clnn_tensor *x = EX_RAND(&b, n, d), *y = EX_RAND(&b, n, d), *dx = EX_RAND(&b, n, d), *dy = EX_RAND(&b, n, d);
    clnn_tensor *loss = EX_RAND(&b, 1);
    if (t == &clnn__ctr_ge2e_centroids || t == &clnn__ctr_sqnorms || t == &clnn__ctr_ge2e_rows ||
        t == &clnn__ctr_ge2e_finish) {
        clnn_tensor *e = EX_RAND(&b, n, 4, d), *de = EX_RAND(&b, n, 4, d), *w = EX_RAND(&b, 1), *bias = EX_RAND(&b, 1);
        EX_STEP(&b, clnn_ge2e_loss(ctx, e, w, bias, CLNN_REDUCE_MEAN, loss, de, NULL, NULL));
    } else if (t == &clnn__ctr_align) {
        EX_STEP(&b, clnn_alignment_loss(ctx, x, y, 2.0f, loss, dx, dy));
    } else if (t == &clnn__ctr_unif_stats || t == &clnn__ctr_unif_weights || t == &clnn__ctr_lse_merge ||
               t == &clnn__ctr_rows_axpy) {
        EX_STEP(&b, clnn_uniformity_loss(ctx, x, 2.0f, loss, dx));
    } else if (t == &clnn__ctr_barlow_rows) {
        EX_STEP(&b, clnn_barlow_twins(ctx, x, y, 5e-3f, loss, dx, dy));
    } else if (t == &clnn__ctr_queue_push) {
        size_t next;
        clnn_tensor *queue = EX_RAND(&b, 2 * n, d);
        EX_STEP(&b, clnn_moco_queue_push(ctx, x, n + 1, queue, &next)); /* wraps around */
    } else if (t == &clnn__ctr_variance) {
        EX_STEP(&b, clnn_task_variance_penalty(ctx, x, 1.0f, CLNN_REDUCE_MEAN, loss, dx));
    } else if (t == &clnn__ctr_tiled_lse || t == &clnn__ctr_tiled_grad) {
        EX_STEP(&b, clnn_infonce_tiled(ctx, x, y, CLNN_INFONCE_ONE_WAY, NULL, loss, dx, dy));
    } else { /* embed_prepare, embed_finish, rows */
        EX_STEP(&b, clnn_infonce(ctx, x, y, CLNN_INFONCE_ONE_WAY, NULL, loss, dx, dy));
    }
    return clnn__exercise_end(&b);
}

/* ------------------------------------------------------------- checks */

clnn_status clnn__ctr_check_reduction(clnn_context *ctx, const char *fn, clnn_reduction reduction)
{
    /* the contrastive kernels sum their anchors' terms on the device and do
     * not keep them one by one */
    CHECK_ARG(ctx, reduction != CLNN_REDUCE_NONE,
              "%s: CLNN_REDUCE_NONE is not offered by the contrastive family (MEAN or SUM)", fn);
    return clnn__check_reduction(ctx, fn, reduction);
}

clnn_status clnn__ctr_check_views(clnn_context *ctx, const char *fn, const char *x_name, const clnn_tensor *x,
                                  const char *y_name, const clnn_tensor *y, clnn_tensor *loss, const char *dx_name,
                                  clnn_tensor *dx, const char *dy_name, clnn_tensor *dy, size_t *n, size_t *d)
{
    TRY(clnn__check_rows(ctx, fn, x_name, x, n, d));
    TRY(clnn__check_like(ctx, fn, y_name, y, x_name, x));
    const clnn_tensor *inputs[2] = {x, y};
    const clnn__loss_output out[3] = {
        {loss, "loss", NULL, NULL}, {dx, dx_name, x, x_name}, {dy, dy_name, y, y_name}};
    return clnn__check_loss_io(ctx, fn, NULL, 2, inputs, 3, out);
}

void clnn__ctr_release(size_t n, cl_mem *bufs)
{
    for (size_t i = 0; i < n; i++)
        if (bufs[i]) clReleaseMemObject(bufs[i]);
}

void clnn_contrastive_options_init(clnn_contrastive_options *opt)
{
    if (!opt) return;
    *opt = (clnn_contrastive_options){sizeof *opt, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, NULL};
}

clnn_status clnn__ctr_check_options(clnn_context *ctx, const char *fn, const clnn_contrastive_options *o, size_t n,
                                    size_t d, size_t *nq)
{
    *nq = 0;
    if (o->queue) {
        size_t qd;
        TRY(clnn__check_tensor(ctx, fn, "queue", o->queue));
        TRY(clnn__check_rows(ctx, fn, "queue", o->queue, nq, &qd));
        CHECK_SHAPE(ctx, qd == d, "%s: queue rows have %zu features, the embeddings %zu", fn, qd, d);
    }
    CHECK_ARG(ctx, clnn__is_finite(o->temperature) && o->temperature > 0.0f,
              "%s: temperature %g must be finite and > 0", fn, (double)o->temperature);
    CHECK_ARG(ctx, clnn__is_finite(1.0f / o->temperature), "%s: temperature %g is too small (1/temperature overflows)",
              fn, (double)o->temperature);
    CHECK_ARG(ctx, clnn__is_finite(o->margin), "%s: margin %g is not finite", fn, (double)o->margin);
    CHECK_ARG(ctx, o->normalize == 0 || o->normalize == 1, "%s: normalize %d must be 0 or 1", fn, o->normalize);
    CHECK_ARG(ctx, o->decoupled == 0 || o->decoupled == 1, "%s: decoupled %d must be 0 or 1", fn, o->decoupled);
    TRY(clnn__check_reduction(ctx, fn, o->reduction)); /* NONE too: the per-anchor losses */
    CHECK_SHAPE(ctx, !o->decoupled || n >= 2 || *nq > 0,
                "%s: decoupled needs at least 2 pairs or a queue (N = %zu leaves no negatives)", fn, n);
    return CLNN_OK;
}

/* ------------------------------------------------------- stacked views */

void clnn__ctr_views_release(clnn__ctr_views *v)
{
    clnn__ctr_release(3, (cl_mem[]){v->zc, v->dzc, v->rinv});
    v->zc = v->dzc = v->rinv = NULL;
}

/* embed_prepare into rows out0..out0+rows-1 of zc and rinv: row r is row
 * r of z1 for r < n, else row r − n of z2. */
static clnn_status embed_rows(clnn_context *ctx, const char *fn, const clnn__ctr_views *v, const clnn_tensor *z1,
                              const clnn_tensor *z2, size_t n, size_t rows, size_t out0)
{
    cl_uint nn = (cl_uint)n, d = (cl_uint)v->d, lanes = clnn__row_lanes(v->d), row0 = (cl_uint)out0;
    cl_int norm = v->normalize;
    clnn__karg a[] = {KARG_BUF(v->zc), KARG_BUF(v->rinv), KARG_BUF(z1->buffer), KARG_BUF(z2->buffer), KARG(nn),
                      KARG(d),         KARG(norm),        KARG(lanes),         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES),
                      KARG(row0)};
    size_t problem[2] = {rows, v->d};
    return clnn__run(ctx, fn, &clnn__ctr_embed_prepare, problem, 10, a);
}

/* zc, rinv (and dzc) of `rows` stacked rows (embed_rows) followed by the
 * queue's nq rows (queue NULL: none). */
static clnn_status views_prepare(clnn_context *ctx, const char *fn, const clnn_tensor *z1, const clnn_tensor *z2,
                                 const clnn_tensor *queue, size_t n, size_t rows, int normalize, int want_grad,
                                 int queue_grad, clnn__ctr_views *v)
{
    memset(v, 0, sizeof *v);
    v->d = z1->shape[z1->ndim - 1];
    v->n = n;
    v->rows = rows;
    v->nq = queue ? queue->count / v->d : 0;
    v->normalize = normalize;
    v->queue_grad = want_grad && queue_grad && v->nq > 0;
    const size_t all = rows + v->nq, grad_rows = rows + (v->queue_grad ? v->nq : 0);
    clnn_status st = clnn__scratch(ctx, fn, all * v->d, &v->zc);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, all, &v->rinv);
    if (st == CLNN_OK && want_grad) st = clnn__scratch(ctx, fn, grad_rows * v->d, &v->dzc);
    if (st == CLNN_OK) st = embed_rows(ctx, fn, v, z1, z2, n, rows, 0);
    if (st == CLNN_OK && queue) st = embed_rows(ctx, fn, v, queue, queue, v->nq, v->nq, rows);
    if (st != CLNN_OK) clnn__ctr_views_release(v);
    return st;
}

clnn_status clnn__ctr_views_prepare(clnn_context *ctx, const char *fn, const clnn_tensor *z1, const clnn_tensor *z2,
                                    const clnn_tensor *queue, int normalize, int want_grad, int queue_grad,
                                    clnn__ctr_views *v)
{
    const size_t n = z1->count / z1->shape[z1->ndim - 1];
    return views_prepare(ctx, fn, z1, z2, queue, n, 2 * n, normalize, want_grad, queue_grad, v);
}

clnn_status clnn__ctr_views_prepare_stacked(clnn_context *ctx, const char *fn, const clnn_tensor *z, int normalize,
                                            int want_grad, clnn__ctr_views *v)
{
    const size_t rows = z->count / z->shape[z->ndim - 1];
    return views_prepare(ctx, fn, z, z, NULL, rows, rows, normalize, want_grad, 0, v);
}

clnn_status clnn__ctr_views_finish(clnn_context *ctx, const char *fn, const clnn__ctr_views *v, clnn_tensor *dz1,
                                   clnn_tensor *dz2)
{
    if (!dz1 && !dz2) return CLNN_OK;
    cl_mem b1 = dz1 ? dz1->buffer : v->dzc, b2 = dz2 ? dz2->buffer : v->dzc; /* unwritten when not wanted */
    cl_uint n = (cl_uint)v->n, d = (cl_uint)v->d, lanes = clnn__row_lanes(v->d);
    cl_int norm = v->normalize, want1 = dz1 != NULL, want2 = dz2 != NULL;
    clnn__karg a[] = {KARG_BUF(b1), KARG_BUF(b2), KARG_BUF(v->dzc), KARG_BUF(v->zc), KARG_BUF(v->rinv), KARG(n),
                      KARG(d),      KARG(norm),   KARG(want1),      KARG(want2),     KARG(lanes),
                      KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {v->rows, v->d};
    return clnn__run(ctx, fn, &clnn__ctr_embed_finish, problem, 12, a);
}

/* ------------------------------------------------------ InfoNCE passes */

void clnn__ctr_plan_make(clnn_infonce_mode mode, size_t n, size_t nq, const clnn_contrastive_options *opt,
                         clnn__ctr_plan *p)
{
    memset(p, 0, sizeof *p);
    p->samples = n;
    p->nq = nq;
    p->q_row0 = 2 * n; /* after the stacked views (clnn__ctr_views) */
    p->batch_neg = mode != CLNN_INFONCE_MOCO;
    p->inv_tau = 1.0f / opt->temperature;
    p->margin = opt->margin;
    p->decoupled = opt->decoupled;
    if (mode == CLNN_INFONCE_NT_XENT) { /* 2n anchors against the 2n stacked samples, self excluded */
        p->npass = 1;
        p->anchors = 2 * n;
        p->pass[0] = (clnn__ctr_pass){0, 0, 2 * n, 2 * n, n, 0, 1, clnn__loss_scale(opt->reduction, 2 * n)};
        return;
    }
    float half = mode == CLNN_INFONCE_SYMMETRIC ? 0.5f : 1.0f;
    float coef = half * clnn__loss_scale(opt->reduction, n);
    p->pass[0] = (clnn__ctr_pass){0, n, n, n, 0, 0, 0, coef}; /* z1 -> z2 */
    p->pass[1] = (clnn__ctr_pass){n, 0, n, n, 0, n, 0, coef}; /* z2 -> z1 */
    /* MOCO: the one-way pass, its in-batch candidates but the positive left out */
    p->npass = mode == CLNN_INFONCE_SYMMETRIC ? 2 : 1;
    p->anchors = (size_t)p->npass * n;
}

void clnn__ctr_grad_order(const clnn__ctr_pass *p, size_t n, int written[3], int *acc_a, int *acc_b, int *acc_q)
{
    *acc_q = written[2];
    written[2] = 1;
    int ha = p->a_row0 != 0, hb = p->b_row0 != 0;
    *acc_a = written[ha];
    written[ha] = 1;
    if (p->na == 2 * n) written[1] = 1;
    *acc_b = written[hb];
    written[hb] = 1;
}
