/* What the classification loss tests share (test_losses: the losses
 * unweighted; test_losses_weighted: with clnn_label_weights): the ops, their
 * inputs on the host and the device, the calls, and the double-precision
 * reference rows (tests/ref/ref_losses.c) with their central differences. */
#ifndef CLNN_TEST_LOSSES_UTIL_H
#define CLNN_TEST_LOSSES_UTIL_H

#include "check.h"
#include "ref/ref_losses.h"

#include <math.h>

enum op {
    OP_FOCAL,      /* gamma 2, per-class alpha, Poly-1 eps 0.5 */
    OP_FOCAL_HALF, /* gamma 0.5 (< 1: the (1 - p)^(gamma - 1) factor), no alpha, eps -0.3 */
    OP_POLY1,
    OP_SQUENTROPY,
    OP_NCE_RCE,
    OP_NCE_MAE,
    OP_GCE,
    OP_NFL_RCE,
    OP_ALL_ROBUST, /* every robust term at once */
    OP_ENC,        /* conservative bonus, LE 0.75 */
    OP_ENC_PLAIN,  /* LE 1 */
    OP_ASL,
    OP_ASL_NOCLIP,
    OP_SPHERICAL,
    OP_ELR,
    OP_ELR_REG, /* no labels: the regularizer alone */
    N_OPS
};
static const char *const op_names[N_OPS] = {
    "focal(2, alpha, poly 0.5)", "focal(0.5, poly -0.3)", "poly1(2)", "squentropy", "NCE+RCE", "NCE+MAE", "GCE(0.7)",
    "NFL(0.5)+RCE", "all robust terms", "encouraging(0.75)", "encouraging(1)", "ASL(1, 4, 0.05)", "ASL(0, 2, 0)",
    "spherical Z", "ELR+CE", "ELR alone"};

static const clnn_robust_loss_options W_NCE_RCE = {sizeof(clnn_robust_loss_options), .nce = 1, .rce = 1,
                                                   .rce_log_zero = -4};
static const clnn_robust_loss_options W_NCE_MAE = {sizeof(clnn_robust_loss_options), .nce = 2, .mae = 0.5f};
static const clnn_robust_loss_options W_GCE = {sizeof(clnn_robust_loss_options), .gce = 1, .gce_q = 0.7f};
static const clnn_robust_loss_options W_NFL_RCE = {sizeof(clnn_robust_loss_options), .nfl = 1, .nfl_gamma = 0.5f,
                                                   .rce = 0.5f, .rce_log_zero = -4};
static const clnn_robust_loss_options W_ALL = {sizeof(clnn_robust_loss_options), .ce = 0.3f, .nce = 0.5f, .rce = 0.2f,
                                               .mae = 0.4f, .gce = 0.6f,
                                               .nfl = 0.7f, .rce_log_zero = -3, .gce_q = 0.5f, .nfl_gamma = 2};
#define SPH_A 0.5f
#define SPH_B 2.0f
#define SPH_EPS 1e-3f
#define ELR_LAMBDA 3.0f
#define ELR_BETA 0.7f

static inline int is_elr(int op) { return op == OP_ELR || op == OP_ELR_REG; }
/* The fewest classes a loss is defined for (fewer are rejected:
 * tests/test_losses_errors.c): 2 for the averages over the other classes
 * and the normalized losses, 3 for the spherical Z-loss (constant at 2). */
static inline size_t min_classes(int op)
{
    if (op == OP_SPHERICAL) return 3;
    return op == OP_SQUENTROPY || op == OP_NCE_RCE || op == OP_NCE_MAE || op == OP_NFL_RCE || op == OP_ALL_ROBUST ? 2
                                                                                                               : 1;
}

static inline const char *red_name(clnn_reduction r)
{
    return r == CLNN_REDUCE_MEAN ? "mean" : r == CLNN_REDUCE_SUM ? "sum" : "none";
}

static inline int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* One case's inputs on the host and the device. aux: ASL targets [rows, cols]
 * or ELR state [nsamples, cols]; alpha: per-class weights. */
typedef struct data {
    size_t rows, cols, nsamples;
    float *z, *aux, *alpha;
    int32_t *labels, *ids;
    clnn_tensor *tz, *taux, *talpha, *tlabels, *tids;
} data;

static inline clnn_tensor *int_tensor(clnn_context *ctx, const int32_t *v, size_t n)
{
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(ctx, clnn_tensor_upload(t, v, n * sizeof *v));
    return t;
}

static inline clnn_tensor *new_f32(clnn_context *ctx, size_t rows, size_t cols)
{
    return test_filled(ctx, CLNN_FLOAT32, rows, cols, 0.0f);
}

/* Logits in [-5, 5), with +-1e4 alternating along each row when big;
 * labels (7r + 3) mod C; ASL targets about 2 in 7 ones; ELR state rows of
 * small positive entries summing to < 0.9 and distinct ids S - 1 - r. */
static inline data make_data(clnn_context *ctx, int op, size_t rows, size_t cols, int big)
{
    data d = {rows, cols, rows + 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t n = rows * cols, naux = is_elr(op) ? d.nsamples * cols : n;
    d.z = malloc(n * sizeof *d.z), d.aux = malloc(naux * sizeof *d.aux), d.alpha = malloc(cols * sizeof *d.alpha);
    d.labels = malloc(rows * sizeof *d.labels), d.ids = malloc(rows * sizeof *d.ids);
    REQUIRE(d.z && d.aux && d.alpha && d.labels && d.ids, "host memory");
    test_fill_uniform(d.z, n, (unsigned)(rows * 977 + cols * 13 + (unsigned)op), -5.0f, 5.0f);
    if (big)
        for (size_t e = 0; e < n; e++) d.z[e] += ((e / cols + e % cols) % 2) ? -1e4f : 1e4f;
    test_fill_uniform(d.alpha, cols, 5, 0.25f, 1.0f);
    if (is_elr(op)) {
        test_fill_uniform(d.aux, naux, 9, 0.0f, 0.9f / (float)cols);
    } else {
        for (size_t e = 0; e < n; e++) d.aux[e] = (e * 3 + e / cols * 5) % 7 < 2 ? 1.0f : 0.0f;
    }
    for (size_t r = 0; r < rows; r++) {
        d.labels[r] = (int32_t)((r * 7 + 3) % cols);
        d.ids[r] = (int32_t)(d.nsamples - 1 - r);
    }
    size_t shape[2] = {rows, cols}, aux_shape[2] = {is_elr(op) ? d.nsamples : rows, cols};
    d.tz = test_tensor_from(ctx, 2, shape, d.z);
    d.taux = test_tensor_from(ctx, 2, aux_shape, d.aux);
    d.talpha = test_tensor_from(ctx, 1, &cols, d.alpha);
    d.tlabels = int_tensor(ctx, d.labels, rows);
    d.tids = int_tensor(ctx, d.ids, rows);
    return d;
}

static inline void free_data(data *d)
{
    free(d->z), free(d->aux), free(d->alpha), free(d->labels), free(d->ids);
    clnn_tensor_release(d->tz), clnn_tensor_release(d->taux), clnn_tensor_release(d->talpha);
    clnn_tensor_release(d->tlabels), clnn_tensor_release(d->tids);
}

static inline clnn_status run_op_weighted(clnn_context *ctx, int op, const data *d, const clnn_label_weights *wt,
                                          clnn_reduction red, clnn_tensor *loss, clnn_tensor *grad)
{
    if (is_elr(op)) /* every call starts from the same state */
        CHECK_OK(ctx, clnn_tensor_upload(d->taux, d->aux, d->nsamples * d->cols * sizeof *d->aux));
    switch (op) {
    case OP_FOCAL: return clnn_focal_loss(ctx, d->tz, d->tlabels, d->talpha, 2.0f, 0.5f, wt, red, loss, grad);
    case OP_FOCAL_HALF: return clnn_focal_loss(ctx, d->tz, d->tlabels, NULL, 0.5f, -0.3f, wt, red, loss, grad);
    case OP_POLY1: return clnn_poly1_cross_entropy(ctx, d->tz, d->tlabels, 2.0f, wt, red, loss, grad);
    case OP_SQUENTROPY: return clnn_squentropy(ctx, d->tz, d->tlabels, wt, red, loss, grad);
    case OP_NCE_RCE: return clnn_robust_loss(ctx, d->tz, d->tlabels, &W_NCE_RCE, wt, red, loss, grad);
    case OP_NCE_MAE: return clnn_robust_loss(ctx, d->tz, d->tlabels, &W_NCE_MAE, wt, red, loss, grad);
    case OP_GCE: return clnn_robust_loss(ctx, d->tz, d->tlabels, &W_GCE, wt, red, loss, grad);
    case OP_NFL_RCE: return clnn_robust_loss(ctx, d->tz, d->tlabels, &W_NFL_RCE, wt, red, loss, grad);
    case OP_ALL_ROBUST: return clnn_robust_loss(ctx, d->tz, d->tlabels, &W_ALL, wt, red, loss, grad);
    case OP_ENC: return clnn_encouraging_loss(ctx, d->tz, d->tlabels, 0.75f, wt, red, loss, grad);
    case OP_ENC_PLAIN: return clnn_encouraging_loss(ctx, d->tz, d->tlabels, 1.0f, wt, red, loss, grad);
    case OP_ASL: return clnn_asymmetric_loss(ctx, d->tz, d->taux, 1.0f, 4.0f, 0.05f, wt, red, loss, grad);
    case OP_ASL_NOCLIP: return clnn_asymmetric_loss(ctx, d->tz, d->taux, 0.0f, 2.0f, 0.0f, wt, red, loss, grad);
    case OP_SPHERICAL: return clnn_spherical_z_loss(ctx, d->tz, d->tlabels, SPH_A, SPH_B, SPH_EPS, wt, red, loss, grad);
    case OP_ELR:
        return clnn_elr_loss(ctx, d->tz, d->tlabels, d->tids, d->taux, ELR_LAMBDA, ELR_BETA, wt, red, loss, grad);
    default: return clnn_elr_loss(ctx, d->tz, NULL, d->tids, d->taux, -2.0f, 0.9f, wt, red, loss, grad);
    }
}

static inline clnn_status run_op(clnn_context *ctx, int op, const data *d, clnn_reduction red, clnn_tensor *loss,
                                 clnn_tensor *grad)
{
    return run_op_weighted(ctx, op, d, NULL, red, loss, grad);
}

static inline ref_loss_terms robust_terms(const clnn_robust_loss_options *w)
{
    ref_loss_terms t = {0};
    t.ce = w->ce, t.nce = w->nce, t.rce = w->rce, t.rce_log_zero = w->rce_log_zero, t.mae = w->mae;
    t.gce = w->gce, t.gce_q = w->gce_q, t.nfl = w->nfl, t.nfl_gamma = w->nfl_gamma;
    return t;
}

/* The reference row value. aux: the row's ASL targets, or ELR's updated state row (held constant). */
static inline double ref_row(int op, const double *z, const double *aux, const double *alpha, size_t c, int y)
{
    ref_loss_terms t = {0};
    switch (op) {
    case OP_FOCAL: t.focal = 1, t.focal_gamma = 2, t.alpha = alpha, t.poly = 0.5; break;
    case OP_FOCAL_HALF: t.focal = 1, t.focal_gamma = 0.5, t.poly = -0.3; break;
    case OP_POLY1: t.ce = 1, t.poly = 2; break;
    case OP_SQUENTROPY: t.ce = 1, t.sq = 1; break;
    case OP_NCE_RCE: t = robust_terms(&W_NCE_RCE); break;
    case OP_NCE_MAE: t = robust_terms(&W_NCE_MAE); break;
    case OP_GCE: t = robust_terms(&W_GCE); break;
    case OP_NFL_RCE: t = robust_terms(&W_NFL_RCE); break;
    case OP_ALL_ROBUST: t = robust_terms(&W_ALL); break;
    case OP_ENC: t.ce = 1, t.enc = 1, t.log_end = 0.75; break;
    case OP_ENC_PLAIN: t.ce = 1, t.enc = 1, t.log_end = 1; break;
    case OP_ASL: return ref_loss_asl_row(z, aux, c, 1, 4, (double)0.05f);
    case OP_ASL_NOCLIP: return ref_loss_asl_row(z, aux, c, 0, 2, 0);
    case OP_SPHERICAL: return ref_loss_spherical_z_row(z, c, y, SPH_A, SPH_B, (double)SPH_EPS);
    case OP_ELR: return ref_loss_elr_fixed_row(z, c, y, aux, ELR_LAMBDA);
    default: return ref_loss_elr_fixed_row(z, c, -1, aux, -2.0);
    }
    return ref_loss_terms_row(z, c, y, &t);
}

/* Central difference of the reference row value wrt z_j, in double; h =
 * 1e-5: truncation ~h^2 |f'''| and rounding ~1e-16 |f| / h stay below 1e-8
 * for the values here (|f| <= 1e9 for squentropy at 1e4). */
static inline double fd_row(int op, const double *z0, const double *aux, const double *alpha, size_t c, int y, size_t j)
{
    double *z = malloc(c * sizeof *z);
    REQUIRE(z, "host memory");
    memcpy(z, z0, c * sizeof *z);
    const double h = 1e-5;
    z[j] = z0[j] + h;
    double up = ref_row(op, z, aux, alpha, c, y);
    z[j] = z0[j] - h;
    double down = ref_row(op, z, aux, alpha, c, y);
    free(z);
    return (up - down) / (2 * h);
}

/* The reference of one case: per-row values, the updated ELR state, and
 * the rows as doubles (for the finite differences). */
typedef struct reference {
    double *values, *state, *z, *aux, *alpha;
} reference;

static inline reference make_reference(int op, const data *d)
{
    size_t n = d->rows * d->cols, c = d->cols, naux = is_elr(op) ? d->nsamples * c : n;
    reference ref = {malloc(d->rows * sizeof(double)), malloc(naux * sizeof(double)), malloc(n * sizeof(double)),
                     malloc(naux * sizeof(double)), malloc(c * sizeof(double))};
    REQUIRE(ref.values && ref.state && ref.z && ref.aux && ref.alpha, "host memory");
    for (size_t e = 0; e < n; e++) ref.z[e] = d->z[e];
    for (size_t e = 0; e < naux; e++) ref.state[e] = ref.aux[e] = d->aux[e];
    for (size_t j = 0; j < c; j++) ref.alpha[j] = d->alpha[j];
    for (size_t r = 0; r < d->rows; r++) {
        const double *zr = ref.z + r * c;
        if (is_elr(op)) { /* update the sample's state row; its value with the new row */
            double *t = ref.state + (size_t)d->ids[r] * c;
            ref.values[r] = ref_loss_elr_row(zr, c, op == OP_ELR ? d->labels[r] : -1, t, op == OP_ELR ? ELR_LAMBDA : -2.0,
                                             op == OP_ELR ? ELR_BETA : 0.9);
        } else {
            ref.values[r] = ref_row(op, zr, ref.aux + r * c, ref.alpha, c, d->labels[r]);
        }
    }
    return ref;
}

static inline void free_reference(reference *r) { free(r->values), free(r->state), free(r->z), free(r->aux), free(r->alpha); }

/* The auxiliary row a row's reference value reads. */
static inline const double *aux_row(int op, const reference *ref, const data *d, size_t r)
{
    return is_elr(op) ? ref->state + (size_t)d->ids[r] * d->cols : ref->aux + r * d->cols;
}

#endif
