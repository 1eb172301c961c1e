/* Independent double-precision references of the classification losses
 * (include/clnn/losses.h), one row at a time, written from each paper's
 * definition (tests/ref/ref_losses.c). The tests take finite differences of
 * these values: no gradient formula of the library is used here. */
#ifndef CLNN_TEST_REF_LOSSES_H
#define CLNN_TEST_REF_LOSSES_H

#include <stddef.h>

/* Weights of the terms of one row loss; 0 leaves a term (and its parameter) out. */
typedef struct ref_loss_terms {
    double ce;                  /* -log p_y */
    double focal, focal_gamma;  /* -alpha_y (1 - p_y)^gamma log p_y (alpha NULL: 1) */
    const double *alpha;
    double poly;                /* poly (1 - p_y)^(focal_gamma + 1) */
    double sq;                  /* sum_{j != y} z_j^2 / (C - 1) */
    double nce;                 /* (-log p_y) / (-sum_j log p_j) */
    double rce, rce_log_zero;   /* -sum_j p_j log q_j, q one-hot, log 0 := A */
    double mae;                 /* sum_j |p_j - q_j| */
    double gce, gce_q;          /* (1 - p_y^q) / q */
    double nfl, nfl_gamma;      /* FL_y / sum_j FL_j, FL_j = -(1 - p_j)^g log p_j */
    double enc, log_end;        /* the encouraging loss's bonus (conservative for log_end < 1) */
} ref_loss_terms;

/* sum of the weighted terms for logits z [c] and label y */
double ref_loss_terms_row(const double *z, size_t c, int y, const ref_loss_terms *w);
/* ASL over one row of logits z and 0/1 targets t */
double ref_loss_asl_row(const double *z, const double *t, size_t c, double gamma_pos, double gamma_neg, double clip);
/* spherical Z-loss, population variance + eps */
double ref_loss_spherical_z_row(const double *z, size_t c, int y, double a, double b, double eps);
/* spherical Z-loss from a hidden layer: the logits o = W h + b formed
 * explicitly (h [n, d], W [c, d], bias [c] or NULL), then
 * ref_loss_spherical_z_row per row into values[n] */
void ref_loss_spherical_z_hidden(const double *h, const double *w, const double *bias, const int *labels, size_t n,
                                 size_t d, size_t c, double a, double b, double eps, double *values);
/* ELR: updates the sample's EMA row t [c] from z and returns the row loss
 * with the updated t; y < 0: no cross-entropy term */
double ref_loss_elr_row(const double *z, size_t c, int y, double *t, double lambda, double beta);
/* ELR's row loss for a given (already updated) t, held constant */
double ref_loss_elr_fixed_row(const double *z, size_t c, int y, const double *t, double lambda);

#endif
