/* Independent double-precision references of the metric and overlap losses
 * (tests/ref/ref_metric_losses.c), written from the papers' definitions:
 * values only; the tests take central differences of them for gradients. */
#ifndef CLNN_TEST_REF_METRIC_LOSSES_H
#define CLNN_TEST_REF_METRIC_LOSSES_H

#include <stddef.h>

/* Harmonic loss of one sample: x [d], w [c, d] (row-major), distances taken
 * directly as Σ (x − w)², p_j ∝ (d_j² + eps)^(−n/2); returns −log p_label,
 * or with label smoothing ls > 0 the cross-entropy against (1 − ls)·onehot +
 * ls/C (so does ref_margin_row). */
double ref_harmonic_row(const double *x, const double *w, size_t c, size_t d, int label, double n, double eps,
                        double ls);

/* Margin loss of one sample (kind 0 CosFace, 1 ArcFace, 2 AdaFace), x [d], w
 * [c, d]: cross-entropy of s·cos θ_j with the label's margin; g is AdaFace's
 * ĝ for this sample (ignored by the other kinds). */
double ref_margin_row(const double *x, const double *w, size_t c, size_t d, int label, int kind, double s, double m,
                      int easy, double g, double ls);
/* AdaFace: moves stats {μ, σ} towards the batch mean and standard deviation
 * (divisor n − 1, 0 for n = 1) of clip(norms, 1e-3, 100). */
void ref_adaface_stats(const double *norms, size_t n, double momentum, double stats[2]);
/* ĝ = clip(h·(clip(norm, 1e-3, 100) − μ)/(σ + 1e-3), −1, 1) */
double ref_adaface_g(double norm, const double stats[2], double h);

/* Soft Dice of one sample of len elements (squared: V-Net's Σp² + Σt²). */
double ref_soft_dice(const double *p, const double *t, size_t len, int squared, double smooth);
/* Soft Jaccard of one sample: 1 − (I + smooth)/(U + smooth), U = Σ(p + t − pt). */
double ref_soft_jaccard(const double *p, const double *t, size_t len, double smooth);
/* Generalized, distance and complete IoU losses of one box pair (x1, y1, x2,
 * y2), torchvision's formulas with widths below 0 counted as 0. ref_ciou
 * takes CIoU's alpha (a negative alpha: computed from the boxes), so that a
 * finite difference can hold it constant as the gradient does. */
double ref_giou(const double p[4], const double t[4]);
double ref_diou(const double p[4], const double t[4]);
double ref_ciou_alpha(const double p[4], const double t[4]);
double ref_ciou(const double p[4], const double t[4], double alpha);
/* MADL (a = 0) or GMADL (a > 0) term of one element. */
double ref_madl(double pred, double target, double a, double b);

#endif
