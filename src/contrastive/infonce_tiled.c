/* The tiled InfoNCE (cl/contrastive_infonce_tiled.cl) behind clnn_infonce_tiled: per
 * pass one forward launch (online log-sum-exp per anchor, no N x N matrix)
 * and, for the gradients, one launch by anchor blocks and one by candidate
 * blocks, each recomputing its tiles. Device memory besides the stacked
 * views: the per-anchor log-sum-exp (one float per anchor). */
#include "contrastive/contrastive_internal.h"

/* Work-groups own TR rows each: problem = {owned rows, d (tiled_width)},
 * param 0 = TR. */
void clnn__ctr_tiled_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t tr = cfg->param[0] > 0 ? (size_t)cfg->param[0] : 1;
    global[0] = (problem[0] + tr - 1) / tr * cfg->local[0];
    global[1] = 1;
}

/* 64 work-items (fewer where the kernel allows fewer): enough to fill a TR x
 * TC tile's dot products in a few rounds; for few rows (problem[0], about the streamed count too) the
 * smallest tiles that cover them, since a tile costs its full TR x TC
 * bookkeeping even where it hangs over the end. */
void clnn__ctr_tiled_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    cfg->param[0] = problem[0] <= 8 ? 8 : problem[0] <= 16 ? 16 : 32; /* TR */
    cfg->param[1] = problem[0] <= 32 ? 32 : 64;                        /* TC */
    (void)ctx; /* the launch clips it to the kernel's limits (clnn__config_default) */
    cfg->local[0] = 64;
    cfg->local[1] = cfg->local[2] = 1;
}

/* A work-item's loop iterations, an estimate with a margin: per streamed
 * tile, the TR x TC dot products over d features, CB = 8 columns a step,
 * and the gradient sums, KB = 4 features a step (compilers unroll the
 * constant inner loops), shared by the work-group, plus the staging; the
 * streamed rows are taken to be about as many as the owned ones
 * (problem[0]), as in InfoNCE's passes; a launch that streams more (a MoCo
 * queue longer than the batch) scales d in problem[1] by the ratio
 * (tiled_width), which overestimates a little where the owned rows are
 * fewer than a tile. On llvmpipe (docs/portability.md)
 * TR 32, TC 64 over 1042 rows of 129 features ran right with 64 work-items
 * and wrong with 32: 43k and 82k here, on either side of its 65535. */
size_t clnn__ctr_tiled_iterations(const size_t problem[2], const clnn__config *cfg)
{
    size_t tr = (size_t)cfg->param[0], tc = (size_t)cfg->param[1], dk = (size_t)cfg->param[2];
    size_t n = problem[0], d = problem[1], items = cfg->local[0] ? cfg->local[0] : 1;
    size_t pairs = (tr * tc + items - 1) / items, chunks = (d + dk - 1) / dk;
    size_t per_tile = pairs * d / 8 + pairs * d / 4 + chunks * (((tr + tc) * dk + items - 1) / items + 8) + pairs + 64;
    return ((n + tc - 1) / tc) * per_tile * 13 / 10;
}

/* TR owned rows, TC streamed rows per tile, DK features staged at a time.
 * Local memory (cl/contrastive_infonce_tiled.cl): tiled_grad TR x TC + (TR + TC) x DK
 * floats, tiled_lse that + TR x 17 (run_m, run_s: TR x LSE_LANES 8 each;
 * run_pos: TR). At most, TR 128, TC 128, DK 16: 20480 floats (80 KiB) for
 * tiled_grad and 22656 (88.5 KiB) for tiled_lse; TR 32 at most: 26 / 28.1
 * KiB. Combinations past the device's local memory (CL_KERNEL_LOCAL_MEM_SIZE
 * against CL_DEVICE_LOCAL_MEM_SIZE) are left out of the tuner's search space
 * and refused by clnn_tune_force; a database entry with them is passed over,
 * and a launch falls back to the heuristic's tiles, else smaller ones
 * (clnn__config_fit in src/dispatch.c). */

/* problem[1] of a launch owning n_own rows and streaming n_str: d, times
 * the streamed rows per owned row where there are more (a queue longer than
 * the batch), for clnn__ctr_tiled_iterations. */
static size_t tiled_width(size_t d, size_t n_own, size_t n_str)
{
    return n_str > n_own ? d * ((n_str + n_own - 1) / n_own) : d;
}

/* grad rows of the anchors (+)= g · candidates (in-batch, then the
 * queue's), or of the candidates (+)= gᵀ · anchors (the queue's rows too
 * with v->queue_grad, for the temperature's gradient). */
static clnn_status grad_launch(clnn_context *ctx, const char *fn, const clnn__ctr_plan *plan,
                               const clnn__ctr_pass *p, const clnn__ctr_views *v, cl_mem lse, int own_anchors,
                               int accumulate, int accumulate_queue)
{
    const size_t n_own = own_anchors ? p->na : p->nb + (v->queue_grad ? plan->nq : 0);
    cl_uint a_row0 = (cl_uint)p->a_row0, b_row0 = (cl_uint)p->b_row0, lse0 = (cl_uint)p->out0;
    cl_uint na = (cl_uint)p->na, nb = (cl_uint)p->nb, d = (cl_uint)v->d, pos_off = (cl_uint)p->pos_off;
    cl_uint q_row0 = (cl_uint)plan->q_row0, nq = (cl_uint)plan->nq;
    cl_int anchors = own_anchors, self = p->self_excl, dec = plan->decoupled, acc = accumulate;
    cl_int own_queue = v->queue_grad, acc_q = accumulate_queue, batch_neg = plan->batch_neg;
    float inv_tau = plan->inv_tau, margin = plan->margin, coef = p->coef * plan->inv_tau;
    clnn__karg a[] = {KARG_BUF(v->dzc), KARG_BUF(v->zc), KARG(a_row0),    KARG(b_row0),   KARG_BUF(lse),
                      KARG(lse0),       KARG(na),        KARG(nb),        KARG(d),        KARG(anchors),
                      KARG(pos_off),    KARG(self),      KARG(inv_tau),   KARG(margin),   KARG(dec),
                      KARG(coef),       KARG(acc),       KARG(q_row0),    KARG(nq),       KARG(own_queue),
                      KARG(acc_q),      KARG(batch_neg)};
    size_t problem[2] = {n_own, tiled_width(v->d, n_own, own_anchors ? p->nb + plan->nq : p->na)};
    return clnn__run(ctx, fn, &clnn__ctr_tiled_grad, problem, 22, a);
}

clnn_status clnn__ctr_tiled_run(clnn_context *ctx, const char *fn, const clnn__ctr_plan *plan,
                                const clnn__ctr_views *v, cl_mem partial)
{
    cl_mem lse = NULL;
    TRY(clnn__scratch(ctx, fn, plan->anchors, &lse));
    clnn_status st = CLNN_OK;
    for (int i = 0; i < plan->npass && st == CLNN_OK; i++) {
        const clnn__ctr_pass *p = &plan->pass[i];
        cl_uint a_row0 = (cl_uint)p->a_row0, b_row0 = (cl_uint)p->b_row0, out0 = (cl_uint)p->out0;
        cl_uint na = (cl_uint)p->na, nb = (cl_uint)p->nb, d = (cl_uint)v->d, pos_off = (cl_uint)p->pos_off;
        cl_uint q_row0 = (cl_uint)plan->q_row0, nq = (cl_uint)plan->nq;
        cl_int self = p->self_excl, dec = plan->decoupled, batch_neg = plan->batch_neg;
        float inv_tau = plan->inv_tau, margin = plan->margin;
        clnn__karg a[] = {KARG_BUF(lse), KARG_BUF(partial), KARG(out0),    KARG_BUF(v->zc), KARG(a_row0),
                          KARG(b_row0),  KARG(na),          KARG(nb),      KARG(d),         KARG(pos_off),
                          KARG(self),    KARG(inv_tau),     KARG(margin),  KARG(dec),       KARG(q_row0),
                          KARG(nq),      KARG(batch_neg)};
        size_t problem[2] = {p->na, tiled_width(v->d, p->na, p->nb + plan->nq)};
        st = clnn__run(ctx, fn, &clnn__ctr_tiled_lse, problem, 17, a);
    }
    /* Gradients after every forward pass (each needs its anchors' lse only,
     * but the order keeps one write-then-accumulate sequence per half):
     * ONE_WAY z1 rows, z2 rows; SYMMETRIC then adds z2 -> z1's z2 rows and
     * z1 rows; NT_XENT writes all 2n rows by anchors, then adds by candidates. */
    int written[3] = {0, 0, 0};
    for (int i = 0; i < plan->npass && st == CLNN_OK && v->dzc; i++) {
        int acc_a, acc_b, acc_q;
        clnn__ctr_grad_order(&plan->pass[i], v->n, written, &acc_a, &acc_b, &acc_q);
        st = grad_launch(ctx, fn, plan, &plan->pass[i], v, lse, 1, acc_a, 0);
        if (st == CLNN_OK) st = grad_launch(ctx, fn, plan, &plan->pass[i], v, lse, 0, acc_b, acc_q);
    }
    clReleaseMemObject(lse);
    return st;
}
