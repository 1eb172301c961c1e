/* The elementwise kernels of gradient combination (src/gradcomb/,
 * include/clnn/gradcomb.h): the weighted combination of gradient lists,
 * AMP's perturbation update and LOBSTER's shrink-and-prune. Their switches
 * are -D options, so each variant is straight-line code: PoCL vectorizes
 * across work-items and ran run-time switched versions 2-4x slower. Values
 * read from a device scalar (coefficients, AMP's factor) are loaded before
 * the bounds check and the pointers are restrict (the calls reject aliased
 * outputs): without both, PoCL 3.1 ran these kernels 5-8x slower. */
#ifndef NX
#define NX 1
#endif
#ifndef ACC
#define ACC 0
#endif
#ifndef COEF_BUF
#define COEF_BUF 0
#endif
#ifndef FIRST
#define FIRST 0
#endif
#ifndef HAS_MASK
#define HAS_MASK 0
#endif

/* out[i] = (ACC ? out[i] : 0) + Σ_{k < NX} s_k·c_k·x_k[i], in the order of k,
 * c_k = coef[coff + k] with COEF_BUF, else 1 (1 <= NX <= 8; the unused x
 * arguments are never read). */
#define COEF(k, sk) const float c##k = NX > k ? (COEF_BUF ? (sk) * coef[coff + k] : (sk)) : 0.0f;
#define TERM(k) if (NX > k) sum += c##k * x##k[i];
__kernel void combine(__global float *restrict out, __global const float *x0, __global const float *x1,
                      __global const float *x2, __global const float *x3, __global const float *x4,
                      __global const float *x5, __global const float *x6, __global const float *x7,
                      __global const float *restrict coef, const uint coff, const uint n, const float8 s)
{
    /* the coefficients first, the same for every work-item */
    COEF(0, s.s0) COEF(1, s.s1) COEF(2, s.s2) COEF(3, s.s3) COEF(4, s.s4) COEF(5, s.s5) COEF(6, s.s6) COEF(7, s.s7)
    const uint i = get_global_id(0);
    if (i >= n) return;
    float sum = ACC ? out[i] : 0.0f;
    TERM(0) TERM(1) TERM(2) TERM(3) TERM(4) TERM(5) TERM(6) TERM(7)
    out[i] = sum;
}

/* AMP (Zheng et al. 2021): delta ← f·delta (f = factor[fidx], the ball
 * projection) and w ← base + delta with base = saved; FIRST: base = w, and
 * saved ← w (the unperturbed weights, restored by clnn_sam_restore). */
__kernel void amp_apply(__global float *restrict w, __global float *restrict saved, __global float *restrict delta,
                        __global const float *restrict factor, const uint fidx, const uint n)
{
    const float f = factor[fidx]; /* before the bounds check, the same for every work-item */
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float d = f * delta[i];
    const float base = FIRST ? w[i] : saved[i];
    if (FIRST) saved[i] = base;
    delta[i] = d;
    w[i] = base + d;
}

/* LOBSTER (Tartaglione et al. 2022): w' = w − lr_lambda·w·max(0, 1 − |g|/s),
 * then w' is pruned (set to 0) where |w'| < threshold, and with HAS_MASK
 * where mask is 0 already; the mask is cleared where w' is pruned. */
__kernel void lobster(__global float *restrict w, __global const float *restrict g, __global float *restrict mask,
                      const uint n,
                      const float lr_lambda, const float s, const float threshold)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float w0 = w[i];
    const float w1 = w0 - lr_lambda * w0 * fmax(0.0f, 1.0f - fabs(g[i]) / s);
    const float k = HAS_MASK ? mask[i] : 1.0f;
    const int keep = k != 0.0f && fabs(w1) >= threshold;
    w[i] = keep ? w1 : 0.0f;
    if (HAS_MASK) mask[i] = keep ? k : 0.0f;
}
