/* clnn: batch normalization and layer normalization (fp32).
 * Included by clnn/clnn.h; do not include directly.
 *
 * Batch norm (Ioffe & Szegedy 2015) normalizes each channel c over the batch
 * and the spatial positions:
 *   x, y, dx, dy  [N, C, H, W] (NCHW), [N, C, L] (BatchNorm1d) or [N, C]; any
 *                 trailing dimensions after C form one channel's plane
 *   gamma, beta, running_mean, running_var, save_mean, save_invstd, dgamma, dbeta  [C]
 *   y = gamma[c] * (x - mean[c]) * invstd[c] + beta[c],  invstd = 1 / sqrt(var + eps)
 * Training (training = 1): mean and the biased variance of the batch
 * normalize; running_mean/running_var (both or neither may be NULL) become
 *   running = (1 - momentum) * running + momentum * batch_statistic
 * with the unbiased variance (M/(M-1) times the biased one, M = N*H*W), as in
 * PyTorch; M must be at least 2. PyTorch's momentum = None (a cumulative
 * average of every batch so far) is momentum = 1/k on the k-th training call
 * (k = 1, 2, ...): clnn_batchnorm_cumulative_momentum gives it. Inference (training = 0): running_mean and
 * running_var (required) normalize and are not changed.
 * The forward pass writes the mean and invstd it used to save_mean and
 * save_invstd; the backward pass needs them with x (not y) and gamma.
 *
 * Layer norm (Ba, Kiros & Hinton 2016) normalizes each row of x over its last
 * dimension D (x is any shape; M = elements / D rows):
 *   x, y, dx, dy  [..., D];  gamma, beta, dgamma, dbeta  [D];  save_mean, save_invstd  [M]
 *   y = gamma[d] * (x - mean_row) * invstd_row + beta[d]  (biased variance).
 *
 * gamma and beta are both given or both NULL (no affine: gamma = 1, beta = 0);
 * dgamma and dbeta may each be NULL (not computed). Every reduction is a fixed
 * tree (same bits on every run, whatever the tuned launch configuration).
 * The mean and variance come from one pass over x: 64 lanes of sums shifted
 * by each lane's first element, merged pairwise (docs/kernels.md); about as
 * accurate as two passes unless a lane starts at an extreme outlier.
 * eps > 0 and momentum in [0, 1], finite.
 * Aliasing: the backward outputs dx, dgamma and dbeta share memory with no
 * input (x, dy, gamma, save_mean, save_invstd) and with no other output;
 * two tensors share memory when they wrap one cl_mem or overlapping
 * sub-buffers of one. Such a call fails with CLNN_ERR_INVALID_ARGUMENT. */
#ifndef CLNN_NORM_H
#define CLNN_NORM_H

/* momentum for PyTorch's momentum = None on training call number
 * batches_tracked (1 for the first): 1 / batches_tracked, so the running
 * statistics are the plain average over the calls so far. batches_tracked
 * >= 1 (PyTorch's num_batches_tracked after its increment). No context:
 * errors go to clnn_last_error(NULL). */
CLNN_API clnn_status clnn_batchnorm_cumulative_momentum(size_t batches_tracked, float *momentum);

CLNN_API clnn_status clnn_batchnorm_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                            const clnn_tensor *beta, clnn_tensor *running_mean,
                                            clnn_tensor *running_var, int training, float momentum, float eps,
                                            clnn_tensor *y, clnn_tensor *save_mean, clnn_tensor *save_invstd);
/* training must match the forward pass: with 1 the gradient flows through the
 * batch statistics, with 0 they are constants (dx = gamma * invstd * dy). */
CLNN_API clnn_status clnn_batchnorm_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                             const clnn_tensor *gamma, const clnn_tensor *save_mean,
                                             const clnn_tensor *save_invstd, int training, clnn_tensor *dx,
                                             clnn_tensor *dgamma, clnn_tensor *dbeta);

/* Batch norm followed by ReLU in one kernel: y = z > 0 ? z : 0 for z the
 * output of clnn_batchnorm_forward, which is never stored; arguments,
 * checks and side effects (save_mean, save_invstd, running statistics) as
 * clnn_batchnorm_forward. y has the bits of clnn_batchnorm_forward followed by
 * clnn_activation_forward(CLNN_ACT_RELU). */
CLNN_API clnn_status clnn_batchnorm_relu_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                                 const clnn_tensor *beta, clnn_tensor *running_mean,
                                                 clnn_tensor *running_var, int training, float momentum, float eps,
                                                 clnn_tensor *y, clnn_tensor *save_mean, clnn_tensor *save_invstd);
/* Its backward: y is clnn_batchnorm_relu_forward's output (where it is
 * positive the ReLU passed the gradient), dy the gradient at y; the other
 * arguments as clnn_batchnorm_backward, and y is an input that dx, dgamma
 * and dbeta may not share memory with. The bits of
 * clnn_activation_backward(CLNN_ACT_RELU) on the pre-activation followed by
 * clnn_batchnorm_backward. */
CLNN_API clnn_status clnn_batchnorm_relu_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *y,
                                                  const clnn_tensor *dy, const clnn_tensor *gamma,
                                                  const clnn_tensor *save_mean, const clnn_tensor *save_invstd,
                                                  int training, clnn_tensor *dx, clnn_tensor *dgamma,
                                                  clnn_tensor *dbeta);

CLNN_API clnn_status clnn_layernorm_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *gamma,
                                            const clnn_tensor *beta, float eps, clnn_tensor *y,
                                            clnn_tensor *save_mean, clnn_tensor *save_invstd);
CLNN_API clnn_status clnn_layernorm_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                             const clnn_tensor *gamma, const clnn_tensor *save_mean,
                                             const clnn_tensor *save_invstd, clnn_tensor *dx, clnn_tensor *dgamma,
                                             clnn_tensor *dbeta);

#endif
