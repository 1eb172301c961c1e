/* Robust and adversarial training (include/clnn/robust.h) and the label
 * weights of the losses (clnn_label_weights): each kernel's GB/s against the
 * copy bandwidth of the same run (minimum traffic: every input read once,
 * every output written once), and a weighted focal loss (row and class
 * weights, ignore_index) against the unweighted call in device time. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum {
    OP_PGD_LINF,
    OP_PGD_L2,
    OP_START_L2,
    OP_AROW,
    OP_VAE_KL,
    OP_REPARAM,
    OP_IFLOOD,
    OP_PSEUDO,
    OP_DINO,
    OP_LP_REG,
    OP_ELLE_POINTS,
    OP_DRO,
    OP_AAER,
    OP_JACOBIAN,
    OP_FAIRRET,
    OP_ELLE_PENALTY,
    OP_FLOODING,
    OP_SPECTRAL_TARGET,
    N_OPS,
    OP_ISOSCORE = N_OPS /* GEMM-bound: its own row against CLBlast */
};
static const char *const op_names[N_OPS] = {"PGD L-inf step", "PGD L2 step",  "random start L2",
                                            "ARoW robust KL", "VAE KL",       "VAE reparameterize",
                                            "iFlood rows",    "pseudo-labels", "DINO loss",
                                            "Lp-Reg",         "ELLE points",   "group DRO (4 groups), rows",
                                            "AAER",           "Jacobian step", "fairret (4 groups)",
                                            "ELLE penalty, 3 branches' rows", "flooding, one gradient",
                                            "spectral norm toward 1, gradient"};
/* fp32 arrays of the problem's size each op reads or writes once */
static const int op_arrays[N_OPS] = {5, 5, 3, 4, 4, 4, 2, 1, 3, 2, 4, 2, 6, 4, 5, 6, 2, 2};

typedef struct robust_args {
    clnn_context *ctx;
    int op;
    size_t rows, cols;
    clnn_tensor *a, *b, *c, *d, *labels, *row_losses, *vec_c, *vec_r, *loss, *groups, *q;
    clnn_tensor *vecs, *dvecs, *q4; /* [rows, 10] projections and their dlogits; [rows, 4] group features */
    clnn_tensor *u_cols;            /* [cols]: the spectral gradient's v */
    clnn_tensor *flooded;           /* [1]: flooding's output */
    const clnn_label_weights *weights;
} robust_args;

static int run_op(void *p)
{
    const robust_args *x = p;
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    const clnn_reduction m = CLNN_REDUCE_MEAN;
    switch (x->op) {
    case OP_PGD_LINF: return clnn_perturb_step(x->ctx, &o, x->a, x->b, x->c, x->d) != CLNN_OK;
    case OP_PGD_L2: o.kind = CLNN_PERTURB_PGD_L2; return clnn_perturb_step(x->ctx, &o, x->a, x->b, x->c, x->d) != CLNN_OK;
    case OP_START_L2:
        o.kind = CLNN_PERTURB_PGD_L2;
        return clnn_perturb_random_start(x->ctx, &o, 5, 0, x->a, x->c, x->d) != CLNN_OK;
    case OP_AROW:
        return clnn_robust_kl_loss(x->ctx, x->a, x->b, x->labels, CLNN_ROBUST_KL_AROW, 6.0f, NULL, m, x->loss, x->c,
                                   x->d) != CLNN_OK;
    case OP_VAE_KL: return clnn_vae_kl(x->ctx, x->a, x->b, m, x->loss, x->c, x->d) != CLNN_OK;
    case OP_REPARAM: return clnn_vae_reparameterize(x->ctx, x->a, x->b, 5, 0, x->c, x->d) != CLNN_OK;
    case OP_IFLOOD: return clnn_iflood(x->ctx, x->row_losses, 0.1f, m, x->loss, x->c) != CLNN_OK;
    case OP_PSEUDO: return clnn_pseudo_labels(x->ctx, x->a, 0.9f, 1.0f, -100, x->labels, NULL) != CLNN_OK;
    case OP_DINO: return clnn_dino_loss(x->ctx, x->a, x->b, x->vec_c, 0.1f, 0.04f, m, x->loss, x->c) != CLNN_OK;
    case OP_LP_REG: return clnn_lp_reg(x->ctx, x->a, 0.1f, 0.5f, m, x->loss, x->c) != CLNN_OK;
    case OP_ELLE_POINTS: return clnn_elle_points(x->ctx, &o, 5, 0, x->a, x->b, x->c, x->d, x->vec_r) != CLNN_OK;
    case OP_DRO: return clnn_group_dro(x->ctx, x->row_losses, x->groups, 0.01f, x->q, x->loss, x->c) != CLNN_OK;
    case OP_AAER:
        return clnn_aaer_penalty(x->ctx, x->row_losses, x->vec_r, x->a, x->b, 1.0f, 1.0f, 1.0f, x->loss, x->c, x->d) !=
               CLNN_OK;
    case OP_JACOBIAN:
        return clnn_jacobian_penalty_step(x->ctx, x->a, x->vecs, x->b, 0.01f, 1, 0.01f, 0, x->loss, x->c,
                                          x->dvecs) != CLNN_OK;
    case OP_FAIRRET: return clnn_fairret_loss(x->ctx, x->row_losses, x->q4, x->loss, x->vec_r) != CLNN_OK;
    case OP_ELLE_PENALTY:
        return clnn_elle_penalty(x->ctx, x->row_losses, x->vec_r, x->row_losses, x->row_losses, 1.0f, x->loss, x->b,
                                 x->c, x->d) != CLNN_OK;
    case OP_FLOODING: return clnn_flooding(x->ctx, x->loss, 0.1f, x->flooded, &x->c, 1) != CLNN_OK;
    case OP_SPECTRAL_TARGET: /* u [rows], v [cols] from the rows' vectors, sigma one element */
        return clnn_reg_spectral_target_grad(x->ctx, x->row_losses, x->u_cols, x->loss, 0.1f, 2, x->c) != CLNN_OK;
    default: return clnn_isoscore_penalty(x->ctx, x->a, NULL, 0.0f, 1.0f, x->loss, x->c) != CLNN_OK;
    }
}

/* The focal loss (gamma 2) with x->weights (NULL: unweighted). */
static int run_focal(void *p)
{
    const robust_args *x = p;
    return clnn_focal_loss(x->ctx, x->a, x->labels, NULL, 2.0f, 0.0f, x->weights, CLNN_REDUCE_MEAN, x->loss,
                           x->c) != CLNN_OK;
}

static clnn_tensor *f32(bench_env *env, size_t rows, size_t cols, float lo, float hi, uint32_t stream)
{
    size_t shape[2] = {rows, cols};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, CLNN_FLOAT32, 2, shape, &t) != CLNN_OK) return NULL;
    if (clnn_tensor_random_uniform(t, 17, stream, lo, hi) != CLNN_OK) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

/* int32 [rows]: i * 7 mod cols, every 16th -100 with `ignored` (the weighted call's padding) */
static clnn_tensor *ints_of(bench_env *env, size_t rows, size_t cols, int ignored)
{
    clnn_tensor *t = NULL;
    int32_t *host = malloc(rows * sizeof *host);
    if (host && clnn_tensor_create(env->ctx, CLNN_INT32, 1, &rows, &t) == CLNN_OK) {
        for (size_t i = 0; i < rows; i++) host[i] = ignored && i % 16 == 15 ? -100 : (int32_t)(i * 7 % cols);
        if (clnn_tensor_upload(t, host, rows * sizeof *host) != CLNN_OK) {
            clnn_tensor_release(t);
            t = NULL;
        }
    }
    free(host);
    return t;
}

static void release_args(robust_args *x)
{
    clnn_tensor *all[] = {x->a,     x->b,     x->c,      x->d,    x->labels, x->row_losses, x->vec_c, x->vec_r,
                          x->loss,  x->groups, x->q,     x->vecs, x->dvecs,  x->q4,         x->u_cols, x->flooded};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

static int make_args(bench_env *env, size_t rows, size_t cols, robust_args *x)
{
    *x = (robust_args){env->ctx, 0, rows, cols, f32(env, rows, cols, 0, 1, 0), f32(env, rows, cols, -1, 1, 1),
                       f32(env, rows, cols, -0.01f, 0.01f, 2), f32(env, rows, cols, 0, 0, 3), ints_of(env, rows, cols, 1),
                       f32(env, rows, 1, 0, 1, 4), f32(env, cols, 1, -0.1f, 0.1f, 5), f32(env, rows, 1, 0, 2, 6),
                       f32(env, 1, 1, 0, 0, 7), NULL, f32(env, 4, 1, 0.25f, 0.25f, 8),
                       f32(env, rows, 10, -1, 1, 9), f32(env, rows, 10, 0, 0, 10), f32(env, rows, 4, 0, 1, 11),
                       f32(env, cols, 1, -1, 1, 12), f32(env, 1, 1, 0, 0, 13)};
    x->groups = ints_of(env, rows, 4, 0);
    return x->a && x->b && x->c && x->d && x->labels && x->row_losses && x->vec_c && x->vec_r && x->loss &&
           x->groups && x->q && x->vecs && x->dvecs && x->q4 && x->u_cols && x->flooded;
}

void bench_robust(bench_env *env)
{
    /* [rows, cols]: CIFAR-sized samples (3072) for the perturbations, 1000
     * classes for the row losses, 128 latent units for the VAE */
    const size_t big = env->quick ? 256 : 8192;
    for (int op = 0; op < N_OPS; op++) {
        const int image = op <= OP_START_L2 || op == OP_ELLE_POINTS || op == OP_JACOBIAN;
        const int latent = op == OP_VAE_KL || op == OP_REPARAM;
        const size_t cols = image ? 3072 : latent ? 128 : op == OP_FAIRRET ? 1 : 1000;
        const size_t rows = image ? big / 8 : latent ? big * 8 : op == OP_FAIRRET ? big * 64 : big;
        robust_args x;
        if (!make_args(env, rows, cols, &x)) {
            fprintf(stderr, "bench robust: %s\n", clnn_last_error(env->ctx));
            release_args(&x);
            continue;
        }
        x.op = op;
        const double bytes = op_arrays[op] * (double)rows * (double)cols * sizeof(float);
        const double t = bench_time(env, run_op, &x);
        char name[96];
        snprintf(name, sizeof name, "%s %zux%zu", op_names[op], rows, cols);
        bench_report(env, "robust", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
        release_args(&x);
    }
    /* IsoScore* on [8 big, 128]: GFLOPS of its two GEMMs (the covariance
     * Zcᵀ·Zc and dz = Zc·G) against the same GEMMs in CLBlast */
    robust_args iso;
    const size_t n_iso = big * 8, d_iso = 128;
    if (make_args(env, n_iso, d_iso, &iso)) {
        iso.op = OP_ISOSCORE;
        const double t = bench_wall_time(env, run_op, &iso);
        const bench_gemm gemms[2] = {{d_iso, d_iso, n_iso, 1, 1, 0}, {n_iso, d_iso, d_iso, 1, 0, 0}};
        const double tref = bench_gemm_time(env, gemms, 2);
        const double flops = 4.0 * (double)n_iso * (double)d_iso * (double)d_iso;
        char name[96];
        snprintf(name, sizeof name, "IsoScore* value + dz %zux%zu", n_iso, d_iso);
        if (t > 0 && tref > 0)
            bench_report(env, "robust", name, flops / t * 1e-9, "GFLOPS", flops / tref * 1e-9, "CLBlast GEMMs");
    }
    release_args(&iso);
    /* label weights: the focal loss with row and class weights and ignored
     * rows, against the unweighted call (ratio > 1: the weights cost time) */
    robust_args x;
    if (make_args(env, big, 1000, &x)) {
        clnn_label_weights w;
        clnn_label_weights_init(&w);
        w.row_weights = x.vec_r;
        w.class_weights = x.vec_c;
        const double t0 = bench_time(env, run_focal, &x);
        x.weights = &w;
        const double t1 = bench_time(env, run_focal, &x);
        char name[96];
        snprintf(name, sizeof name, "focal, label weights vs none %zux1000", big);
        if (t0 > 0 && t1 > 0) bench_report(env, "robust", name, t1 * 1e3, "ms", t0 * 1e3, "unweighted ms");
    } else {
        fprintf(stderr, "bench robust: %s\n", clnn_last_error(env->ctx));
    }
    release_args(&x);
}
