/* The Gram matrix of gradient lists, stage 1 (src/gradcomb/gradcomb.c,
 * include/clnn/gradcomb.h); stage 2 and the per-step solve are in
 * cl/gradcomb_solve.cl, the elementwise kernels that use its result in
 * cl/gradcomb_elementwise.cl, so that the variants here (one per block
 * shape) compile only this kernel.
 *
 * Reductions follow cl/reduce_deterministic.cl: a vector of len elements is cut into
 * `parts` contiguous chunks (parts a function of len only, host side); stage
 * 1 sums each chunk in order, stage 2 sums the parts in order and adds the
 * tensor's total to the running total of the list, tensor by tensor in
 * order on the in-order queue. The tree never depends on the local size.
 * STRIDED=1 (GPUs): part p takes elements p, p + parts, p + 2·parts, ...
 * instead, so neighbouring work-items read neighbouring elements, with parts
 * chosen to fill the device (a function of len and the device). */
#ifndef NA
#define NA 1
#endif
#ifndef NB
#define NB 0
#endif
#ifndef EMA
#define EMA 0
#endif
#ifndef STRIDED
#define STRIDED 0
#endif

/* The b vectors of a Gram block: the a vectors themselves when NB = 0. */
#define NBB (NB == 0 ? NA : NB)

/* Stage 1 of a block of the Gram matrix: partial[(k·NBB + l)·parts + p] =
 * Σ_{j in chunk p} a_k[j]·b_l[j] for k < NA, l < NBB (NA, NB <= 8).
 * EMA 1: a0 ← p·a0 + q·y first (written back), EMA 2: a0 ← q·y (a0 not
 * read); the products use the new a0. EMA needs NB = 0 (the a block).
 * Scalars named by macros instead of private arrays: PoCL kept the arrays
 * in memory and ran this 10x slower than a plain reduction. Terms beyond
 * NA / NBB are removed at compile time. */
#define LOAD_A(k) const float va##k = NA > k ? a##k[j] : 0.0f;
#if NB == 0
#define LOAD_B(l) const float vb##l = va##l;
#else
#define LOAD_B(l) const float vb##l = NB > l ? b##l[j] : 0.0f;
#endif
#define ACC_ROW(k)                                                                                          \
    float s##k##0 = 0.0f, s##k##1 = 0.0f, s##k##2 = 0.0f, s##k##3 = 0.0f, s##k##4 = 0.0f, s##k##5 = 0.0f, \
          s##k##6 = 0.0f, s##k##7 = 0.0f;
#define FMA_ONE(k, l) if (NA > k && NBB > l) s##k##l += va##k * vb##l;
#define FMA_ROW(k)                                                                                          \
    FMA_ONE(k, 0) FMA_ONE(k, 1) FMA_ONE(k, 2) FMA_ONE(k, 3) FMA_ONE(k, 4) FMA_ONE(k, 5) FMA_ONE(k, 6)       \
    FMA_ONE(k, 7)
#define STORE_ONE(k, l) if (NA > k && NBB > l) partial[(k * NBB + l) * parts + p] = s##k##l;
#define STORE_ROW(k)                                                                                        \
    STORE_ONE(k, 0) STORE_ONE(k, 1) STORE_ONE(k, 2) STORE_ONE(k, 3) STORE_ONE(k, 4) STORE_ONE(k, 5)         \
    STORE_ONE(k, 6) STORE_ONE(k, 7)
#define ALL_ROWS(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)

__kernel void gram_partial(__global float *restrict a0, __global const float *a1, __global const float *a2,
                           __global const float *a3, __global const float *a4, __global const float *a5,
                           __global const float *a6, __global const float *a7, __global const float *b0,
                           __global const float *b1, __global const float *b2, __global const float *b3,
                           __global const float *b4, __global const float *b5, __global const float *b6,
                           __global const float *b7, __global const float *restrict y,
                           __global float *restrict partial,
                           const uint len, const uint parts, const float p_coef, const float q_coef)
{
    const uint p = get_global_id(0);
    if (p >= parts) return;
#if STRIDED
    const uint first = p, end = len, step = parts;
#else
    const uint chunk = (len + parts - 1) / parts, first = p * chunk, end = min(len, (p + 1) * chunk), step = 1;
#endif
    ALL_ROWS(ACC_ROW)
    for (uint j = first; j < end; j += step) {
        float e0 = a0[j];
        if (EMA == 1) e0 = p_coef * e0 + q_coef * y[j];
        if (EMA == 2) e0 = q_coef * y[j];
        if (EMA) a0[j] = e0;
        const float va0 = e0;
        LOAD_A(1) LOAD_A(2) LOAD_A(3) LOAD_A(4) LOAD_A(5) LOAD_A(6) LOAD_A(7)
        LOAD_B(0) LOAD_B(1) LOAD_B(2) LOAD_B(3) LOAD_B(4) LOAD_B(5) LOAD_B(6) LOAD_B(7)
        ALL_ROWS(FMA_ROW)
    }
    ALL_ROWS(STORE_ROW)
}
