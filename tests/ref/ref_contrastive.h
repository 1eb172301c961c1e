/* Double-precision references of the contrastive objectives
 * (tests/ref/ref_contrastive.c), each from its paper's formula. Inputs are
 * row-major [n, d] (GE2E: [spk, utt, d]); `mean` selects the MEAN reduction.
 * Kept apart from ref.h so that families added in parallel do not collide. */
#ifndef CLNN_TEST_REF_CONTRASTIVE_H
#define CLNN_TEST_REF_CONTRASTIVE_H

#include <stddef.h>
#include <stdint.h>

/* mode 0 one-way (z1 -> z2), 1 symmetric, 2 NT-Xent (SimCLR) */
double ref_infonce(const double *z1, const double *z2, size_t n, size_t d, int mode, double tau, double margin,
                   int normalize, int decoupled, int mean);
/* InfoNCE with a queue q [k, d] of extra negatives (MoCo, He et al. 2020):
 * mode 0 one-way, 1 symmetric, 2 NT-Xent (every anchor's candidates also
 * hold the k queue rows), 3 MoCo (anchor z1_i against its positive z2_i and
 * the queue only). per_anchor (NULL: not wanted) gets each anchor's value
 * as NONE writes it (symmetric: ½ℓ, z1's anchors then z2's); returns their
 * sum, or with mean their mean over the anchors (n; 2n for NT-Xent). */
double ref_infonce_queue(const double *z1, const double *z2, const double *q, size_t n, size_t d, size_t k, int mode,
                         double tau, double margin, int normalize, int decoupled, int mean, double *per_anchor);
/* Khosla et al. L_out over the 2n samples [z1; z2], labels [n] */
double ref_supcon(const double *z1, const double *z2, const int32_t *labels, size_t n, size_t d, double tau,
                  double margin, int normalize, int decoupled, int mean);
/* the same over V views stacked view-major in z [V·n, d] (row k is sample k mod n) */
double ref_supcon_views(const double *z, size_t views, const int32_t *labels, size_t n, size_t d, double tau,
                        double margin, int normalize, int decoupled, int mean);
/* 1/n Σ |x_i - y_i|^alpha */
double ref_alignment(const double *x, const double *y, size_t n, size_t d, double alpha);
/* log of the mean over i < j of exp(-t |x_i - x_j|^2) */
double ref_uniformity(const double *x, size_t n, size_t d, double t);
/* GE2E softmax loss, centroids excluding self */
double ref_ge2e(const double *e, size_t spk, size_t utt, size_t d, double w, double b, int mean);
/* Barlow Twins on batch-normalised columns (eps 1e-5) */
double ref_barlow(const double *z1, const double *z2, size_t n, size_t d, double lambda);
/* coef x population variance of each row (by_columns 0) or column, summed or averaged */
double ref_variance(const double *x, size_t rows, size_t cols, double coef, int by_columns, int mean);

#endif
