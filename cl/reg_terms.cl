/* Elementwise gradients and group updates of the regularizer terms. One
 * work-item per element; sizes are arguments; the tail is guarded. */
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
