/* Representation losses (tests/ref/ref_representations.c) in double, from
 * the papers' formulas; embeddings z [n, d] row-major. Kept out of ref.h so
 * that families added in parallel do not edit the same lines. */
#ifndef CLNN_TEST_REF_REPRESENTATIONS_H
#define CLNN_TEST_REF_REPRESENTATIONS_H

#include <stddef.h>
#include <stdint.h>

/* VICReg (Bardes et al. 2022): 1/d Σ_j max(0, γ − sqrt(Var_j + ε)), unbiased Var */
double ref_vicreg_variance(const double *z, size_t n, size_t d, double gamma, double eps);
/* 1/d Σ_{a≠b} C_ab², C the unbiased batch covariance */
double ref_vicreg_covariance(const double *z, size_t n, size_t d);
/* mean over the elements of (z − z2)² */
double ref_vicreg_invariance(const double *z, const double *z2, size_t count);
/* λ·inv + μ·(var(z) + var(z2)) + ν·(cov(z) + cov(z2)) */
double ref_vicreg_loss(const double *z, const double *z2, size_t n, size_t d, double lambda, double mu, double nu,
                       double gamma, double eps);
/* Center loss (Wen et al. 2016): Σ_i ½‖x_i − c_{y_i}‖² (/ n with mean); NaN for a label outside [0, k) */
double ref_center_loss(const double *x, const int32_t *labels, const double *centers, size_t n, size_t d, size_t k,
                       int mean);
/* c_j −= α Σ_{y_i = j}(c_j − x_i)/(1 + n_j), in place on centers [k, d] */
void ref_center_update(const double *x, const int32_t *labels, size_t n, size_t d, size_t k, double alpha,
                       double *centers);
double ref_huber(const double *p, const double *t, size_t count, double delta, int mean);
/* Σ_rows sqrt(‖p_r − t_r‖² + c²) − c (/ rows with mean) */
double ref_pseudo_huber(const double *p, const double *t, size_t rows, size_t cols, double c, int mean);
/* Log-domain Sinkhorn of batch x [n, m] scores / tau: rows to 1, then columns
 * to n/m, iters times; p receives exp of the result. */
void ref_sinkhorn(const double *s, size_t batch, size_t n, size_t m, double tau, unsigned iters, double *p);

#endif
