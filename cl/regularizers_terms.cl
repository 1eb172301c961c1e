/* Elementwise gradients and group updates of the regularizer terms. One
 * work-item per element; sizes are arguments; the tail is guarded. */
#include "index.clh"

#ifndef HAS_MASK
#define HAS_MASK 0
#endif

/* grad += k·(c1·sign(w) + c2·w): L1 (c2 = 0), L2 (c1 = 0), elastic net. */
__kernel void reg_grad(__global const float *w, __global const float *mask, __global float *grad, const uint n,
                       const float c1, const float c2)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float k = HAS_MASK ? mask[i] : 1.0f;
    grad[i] += k * (c1 * sign(w[i]) + c2 * w[i]);
}

/* w viewed as [rows, cols]; the group of element (r, c) is r (BY_COLS 0) or
 * c (BY_COLS 1), with norm[group] its Euclidean norm.
 *   MODE 0 group lasso gradient:   grad += lambda · w / norm         (0 where norm == 0)
 *   MODE 1 norm loss gradient:     grad += lambda · 2 (norm − 1) · w / norm
 *   MODE 2 block soft-threshold:   w    *= max(0, 1 − lambda / norm)  (lambda = lr · λ) */
#ifndef MODE
#define MODE 0
#endif
#ifndef BY_COLS
#define BY_COLS 0
#endif
__kernel void reg_group_apply(__global float *w, __global const float *norm, __global float *grad,
                              const uint rows, const uint cols, const float lambda)
{
    const uint i = get_global_id(0);
    if (i >= rows * cols) return;
    const float nrm = norm[BY_COLS ? i % cols : i / cols];
#if MODE == 2
    w[i] *= nrm > 0.0f ? fmax(0.0f, 1.0f - lambda / nrm) : 0.0f;
#elif MODE == 1
    if (nrm > 0.0f) grad[i] += lambda * 2.0f * (nrm - 1.0f) * w[i] / nrm;
#else
    if (nrm > 0.0f) grad[i] += lambda * w[i] / nrm;
#endif
}

/* a[i, i] -= 1 for a square n x n matrix (one work-item per diagonal entry). */
__kernel void sub_identity(__global float *a, const uint n)
{
    const uint i = get_global_id(0);
    if (i < n) a[i * n + i] -= 1.0f;
}

/* The elementwise update of the gradient operations (SAM ascent and restore,
 * the gradient-norm-penalty combine, EMA, spectral normalization, power
 * iteration normalization, mask application):
 *   OP 0: y = a·y + b·s·x      (READ_Y 0: y = b·s·x, y not read)
 *   OP 1: y = y·x
 *   OP 2: y = clamp(y, a, b), NaN kept (clip by value)
 * with s = 1 (SCALE 0), scale[scale_index] (SCALE 1) or
 * 1 / (scale[scale_index] + 1e-12) (SCALE 2, a normalization by a norm).
 * SAVE: saved = y before the update. x may be y (in-place scaling). */
#ifndef OP
#define OP 0
#endif
#ifndef SCALE
#define SCALE 0
#endif
#ifndef READ_Y
#define READ_Y 1
#endif
#ifndef SAVE
#define SAVE 0
#endif
__kernel void reg_blend(__global float *y, __global const float *x, __global float *saved,
                        __global const float *scale, const uint scale_index, const uint n, const float a,
                        const float b)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
#if READ_Y || SAVE || OP >= 1
    const float y0 = y[i];
#else
    const float y0 = 0.0f;
#endif
    if (SAVE) saved[i] = y0;
#if OP == 1
    y[i] = y0 * x[i];
#elif OP == 2
    y[i] = isnan(y0) ? y0 : clamp(y0, a, b);
#else
    float s = 1.0f;
    if (SCALE == 1) s = scale[scale_index];
    if (SCALE == 2) s = 1.0f / (scale[scale_index] + 1e-12f);
    y[i] = READ_Y ? a * y0 + b * s * x[i] : b * s * x[i];
#endif
}

/* The spectral penalty's factor of σ in its gradient (coef u vᵀ times it):
 * σ for λσ², and with OUTER_TARGET_K = k >= 1 (σ^k − 1)·k·σ^(k−1) for
 * λ(σ^k − 1)² (integer powers: no pow per element). */
#ifndef OUTER_TARGET_K
#define OUTER_TARGET_K 0
#endif
static inline float outer_factor(const float s)
{
#if OUTER_TARGET_K == 0
    return s;
#else
    float p = 1.0f; /* σ^(k−1) */
    for (int i = 1; i < OUTER_TARGET_K; i++) p *= s;
    return (p * s - 1.0f) * (float)OUTER_TARGET_K * p;
#endif
}

/* grad[r, c] += coef · f(scale[0]) · u[r] · v[c] for grad [rows, cols]: the
 * rank-one gradient of a spectral penalty (coef = 2λ, scale = σ, f =
 * outer_factor). */
__kernel void reg_outer(__global float *grad, __global const float *u, __global const float *v,
                        __global const float *scale, const uint rows, const uint cols, const float coef)
{
    uint i, r, c;
    if (!grid_item(rows, cols, &i, &r, &c)) return;
    grad[i] += coef * outer_factor(scale[0]) * u[r] * v[c];
}

/* value[0] = λ(σ^k − 1)², one work-item (k: OUTER_TARGET_K). */
__kernel void reg_spectral_target_value(__global float *value, __global const float *sigma, const float lambda)
{
    if (get_global_id(0) != 0) return;
    float p = 1.0f;
    for (int i = 0; i < OUTER_TARGET_K; i++) p *= sigma[0];
    value[0] = lambda * (p - 1.0f) * (p - 1.0f);
}
