/* clnn stochastic regularizers (random masks and noise) and batch-level data
 * augmentation (Mixup, CutMix, Cutout, label mixing). Included by clnn.h.
 *
 * Randomness. Every mask bit and noise value comes from Philox4x32-10 (see
 * the rng section of clnn.h): word `index` of stream (seed, CLNN_STREAM_*).
 * A draw depends only on (seed, stream, index) -- never on the device, the
 * local size or the launch -- so the same seed gives the same mask on every
 * device, in the forward and the backward call, and on the host reference.
 * u(index) = (word >> 8) / 2^24 is the 24-bit uniform in [0, 1).
 * A Bernoulli "keep with probability 1 - p" is  keep = u(index) >= p.
 * Use a new seed per step (and per layer) to draw a new mask.
 *
 * Layouts: tensors are fp32 unless marked int32; images are NCHW
 * [N, C, H, W]; "per sample" means over the leading dimension N.
 * Output tensors must not alias inputs unless the function says so.
 */
#ifndef CLNN_STOCHASTIC_H
#define CLNN_STOCHASTIC_H

/* The Philox stream of each transform (the index is given per function). */
#define CLNN_STREAM_DROPCONNECT 0x5D000001u
#define CLNN_STREAM_SPATIAL_DROPOUT 0x5D000002u
#define CLNN_STREAM_DROPBLOCK 0x5D000003u
#define CLNN_STREAM_STOCHASTIC_DEPTH 0x5D000004u
#define CLNN_STREAM_NOISE 0x5D000005u
#define CLNN_STREAM_MIXOUT 0x5D000006u
#define CLNN_STREAM_BETA 0x5D000101u        /* Mixup / CutMix lambda */
#define CLNN_STREAM_PERMUTATION 0x5D000102u
#define CLNN_STREAM_CUTMIX_BOX 0x5D000103u
#define CLNN_STREAM_CUTOUT 0x5D000104u

/* ------------------------------------------------- masks on weights/activations */

/* DropConnect (Wan et al., ICML 2013): dropout on the weights.
 * w_masked[i] = keep_i ? w[i] / (1 - p) : 0, keep_i = u(i) >= p (any shape).
 * p in [0, 1). w_masked may alias w. */
CLNN_API clnn_status clnn_dropconnect_forward(clnn_context *ctx, const clnn_tensor *w, float p, uint64_t seed,
                                              clnn_tensor *w_masked);
/* dw[i] = keep_i ? dw_masked[i] / (1 - p) : 0 (same mask as the forward). dw may alias dw_masked. */
CLNN_API clnn_status clnn_dropconnect_backward(clnn_context *ctx, const clnn_tensor *dw_masked, float p,
                                               uint64_t seed, clnn_tensor *dw);

/* Spatial (channel) dropout (Tompson et al., CVPR 2015) on NCHW x:
 * y[n,c,:,:] = keep_{n,c} ? x[n,c,:,:] / (1 - p) : 0, one draw per (n, c)
 * at index n*C + c. p in [0, 1). y may alias x. The backward is the same map
 * applied to dy. */
CLNN_API clnn_status clnn_spatial_dropout_forward(clnn_context *ctx, const clnn_tensor *x, float p, uint64_t seed,
                                                  clnn_tensor *y);
CLNN_API clnn_status clnn_spatial_dropout_backward(clnn_context *ctx, const clnn_tensor *dy, float p,
                                                   uint64_t seed, clnn_tensor *dx);

/* DropBlock (Ghiasi, Lin, Le, NeurIPS 2018) on NCHW x [N, C, H, W] with
 * block_size b (1 <= b <= min(H, W)) and keep_prob in (0, 1]:
 *   gamma = (1 - keep_prob) / b^2 * (H W) / ((H - b + 1)(W - b + 1))
 * (the paper's feat^2 / (feat - b + 1)^2 with H != W). A seed may start at
 * (i, j) only where a whole block fits: 0 <= i <= H - b, 0 <= j <= W - b; it
 * fires when u(((n C + c) H + i) W + j) < gamma and drops rows i..i+b-1,
 * columns j..j+b-1 of channel (n, c). With keep = 1 - dropped,
 *   mask = keep * count / count_ones   (count = N C H W; mask = 0 if count_ones = 0),
 *   y = x * mask.
 * count_ones is an exact integer sum (fixed two-stage reduction). mask
 * [N, C, H, W] receives the scaled mask for the backward. y must not alias x. */
CLNN_API clnn_status clnn_dropblock_forward(clnn_context *ctx, const clnn_tensor *x, size_t block_size,
                                            float keep_prob, uint64_t seed, clnn_tensor *mask, clnn_tensor *y);
/* dx = dy * mask (mask from the forward). dx may alias dy. */
CLNN_API clnn_status clnn_dropblock_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *mask,
                                             clnn_tensor *dx);

/* Stochastic depth (Huang et al., ECCV 2016), training form with rescale:
 * x and branch [N, ...] of the same shape, one draw per sample n at index n:
 *   y = x + (keep_n / (1 - p)) * branch,   p in [0, 1).
 * Backward: dbranch = (keep_n / (1 - p)) * dy; dx = dy (the identity, so no
 * call is needed for it). y may alias x or branch; dbranch may alias dy. */
CLNN_API clnn_status clnn_stochastic_depth_forward(clnn_context *ctx, const clnn_tensor *x,
                                                   const clnn_tensor *branch, float p, uint64_t seed,
                                                   clnn_tensor *y);
CLNN_API clnn_status clnn_stochastic_depth_backward(clnn_context *ctx, const clnn_tensor *dy, float p,
                                                    uint64_t seed, clnn_tensor *dbranch);

/* Noise injection (any shape), with z_i = sqrt(-2 ln(1 - u(2i))) cos(2 pi u(2i+1))
 * (Box-Muller, as clnn_tensor_random_normal):
 *   GAUSSIAN:       y = x + scale * z_i
 *   UNIFORM:        y = x + scale * (2 u(i) - 1)      (uniform on [-scale, scale))
 *   MULTIPLICATIVE: y = x * (1 + scale * z_i)         (Gaussian dropout, Srivastava et al. 2014)
 * scale >= 0 and finite. The backward of the additive kinds is the identity
 * (dx = dy); clnn_noise_backward copies dy for them and applies
 * dx = dy * (1 + scale * z_i) for MULTIPLICATIVE. y / dx may alias x / dy. */
typedef enum clnn_noise_kind {
    CLNN_NOISE_GAUSSIAN = 0,
    CLNN_NOISE_UNIFORM = 1,
    CLNN_NOISE_MULTIPLICATIVE = 2
} clnn_noise_kind;
CLNN_API clnn_status clnn_noise_forward(clnn_context *ctx, const clnn_tensor *x, clnn_noise_kind kind, float scale,
                                        uint64_t seed, clnn_tensor *y);
CLNN_API clnn_status clnn_noise_backward(clnn_context *ctx, const clnn_tensor *dy, clnn_noise_kind kind,
                                         float scale, uint64_t seed, clnn_tensor *dx);

/* Mixout (Lee, Cho, Kang, ICLR 2020): w, w0 (the reference weights), any
 * shape; M_i = keep_i = u(i) >= p, i.e. M ~ Bernoulli(1 - p), p in [0, 1):
 *   w_mixed = (M w + (1 - M) w0 - p w0) / (1 - p)
 * Backward: dw = M * dw_mixed / (1 - p). Outputs may alias their inputs. */
CLNN_API clnn_status clnn_mixout_forward(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *w0, float p,
                                         uint64_t seed, clnn_tensor *w_mixed);
CLNN_API clnn_status clnn_mixout_backward(clnn_context *ctx, const clnn_tensor *dw_mixed, float p, uint64_t seed,
                                          clnn_tensor *dw);

/* ------------------------------------------------------------ data (batch) */

/* Host-side sampling, deterministic in the seed (no context needed; errors go
 * to clnn_last_error(NULL)).
 *
 * lambda ~ Beta(alpha, alpha), alpha > 0 and finite: X, Y ~ Gamma(alpha) by
 * Marsaglia-Tsang (2000) with the uniforms and normals drawn in order from
 * stream CLNN_STREAM_BETA as  v_k = ((word_k >> 8) + 0.5) / 2^24  (in (0, 1)),
 * normals by Box-Muller cos(2 pi v_{k+1}) sqrt(-2 ln v_k); alpha < 1 uses
 * Gamma(alpha + 1) * v^(1 / alpha). lambda = X / (X + Y). Computed in double. */
CLNN_API clnn_status clnn_beta_sample(float alpha, uint64_t seed, float *lambda);

/* A permutation of 0..n-1 (Fisher-Yates from i = n-1 down to 1, swapping i
 * with j = (word_i * (i + 1)) >> 32 of stream CLNN_STREAM_PERMUTATION;
 * the bias of this multiply-shift is below (i+1) / 2^32). n <= INT32_MAX. */
CLNN_API clnn_status clnn_permutation_sample(uint64_t seed, size_t n, int32_t *perm);

/* A half-open rectangle rows [y0, y1), columns [x0, x1). */
typedef struct clnn_box {
    size_t y0, x0, y1, x1;
} clnn_box;

/* CutMix box (Yun et al., ICCV 2019) for an H x W image and a lambda in [0, 1]:
 * cut_h = floor(H sqrt(1 - lambda)), cut_w = floor(W sqrt(1 - lambda));
 * center cy = floor(u(0) H), cx = floor(u(1) W) of stream CLNN_STREAM_CUTMIX_BOX;
 * y0 = clip(cy - cut_h/2), y1 = clip(cy + cut_h/2) (integer halves, clipped to
 * [0, H]), same for x; the clipped box gives
 * lambda_adjusted = 1 - (y1 - y0)(x1 - x0) / (H W), the weight of the first image. */
CLNN_API clnn_status clnn_cutmix_sample_box(float lambda, size_t height, size_t width, uint64_t seed, clnn_box *box,
                                            float *lambda_adjusted);

/* Mixup (Zhang et al., ICLR 2018) of a batch x [N, ...] paired by perm
 * (int32 [N], entries in [0, N)):  y[n] = lambda x[n] + (1 - lambda) x[perm[n]].
 * lambda in [0, 1]. perm is read back to the host to validate it. y must not
 * alias x. Mix soft targets [N, K] with the same call. */
CLNN_API clnn_status clnn_mixup_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *perm,
                                        float lambda, clnn_tensor *y);
/* The transpose: dx[m] = lambda dy[m] + (1 - lambda) sum_{n: perm[n] = m} dy[n].
 * perm must be a permutation here (checked). dx must not alias dy. */
CLNN_API clnn_status clnn_mixup_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *perm,
                                         float lambda, clnn_tensor *dx);

/* CutMix on NCHW x: y[n,c,h,w] = x[perm[n],c,h,w] inside box, x[n,c,h,w]
 * outside (the box must lie within H x W and may be empty). Mix the labels
 * with lambda_adjusted from clnn_cutmix_sample_box. y must not alias x. */
CLNN_API clnn_status clnn_cutmix_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *perm,
                                         clnn_box box, clnn_tensor *y);
/* The transpose: dx[m] = dy[m] outside box + sum_{n: perm[n] = m} dy[n] inside box
 * (perm must be a permutation). dx must not alias dy. */
CLNN_API clnn_status clnn_cutmix_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *perm,
                                          clnn_box box, clnn_tensor *dx);

/* Cutout (DeVries & Taylor 2017) on NCHW x with a square of side s
 * (1 <= s): per sample n, center cy = floor(u(2n) H), cx = floor(u(2n+1) W)
 * (stream CLNN_STREAM_CUTOUT, exact integer floor), rows
 * [cy - s/2, cy - s/2 + s) and columns [cx - s/2, cx - s/2 + s) (integer
 * s/2), clipped to the image, are set to zero in every channel. y may alias x.
 * The backward is the same map applied to dy. */
CLNN_API clnn_status clnn_cutout_forward(clnn_context *ctx, const clnn_tensor *x, size_t size, uint64_t seed,
                                         clnn_tensor *y);
CLNN_API clnn_status clnn_cutout_backward(clnn_context *ctx, const clnn_tensor *dy, size_t size, uint64_t seed,
                                          clnn_tensor *dx);

/* Label mixing into soft targets: labels int32 [N] with entries in [0, K),
 * perm int32 [N] in [0, N), targets [N, K]:
 *   targets[n, k] = lambda [labels[n] = k] + (1 - lambda) [labels[perm[n]] = k].
 * lambda in [0, 1]. labels and perm are read back to validate them. */
CLNN_API clnn_status clnn_mix_labels(clnn_context *ctx, const clnn_tensor *labels, const clnn_tensor *perm,
                                     float lambda, clnn_tensor *targets);

#endif /* CLNN_STOCHASTIC_H */
