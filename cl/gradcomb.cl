/* The Gram matrix of gradient lists, stage 1 (src/reg/gradcomb.c,
 * include/clnn/gradcomb.h); stage 2, the per-step solve and the elementwise
 * kernels that use its result are in cl/gradcomb_apply.cl, so that the
 * variants here (one per block shape) compile only this kernel.
 *
 * Reductions follow cl/reg_reduce.cl: a vector of len elements is cut into
 * `parts` contiguous chunks (parts a function of len only, host side); stage
 * 1 sums each chunk in order, stage 2 sums the parts in order and adds the
 * tensor's total to the running total of the list, tensor by tensor in
 * order on the in-order queue. The tree never depends on the local size. */
#ifndef NA
#define NA 1
#endif
#ifndef NB
#define NB 0
#endif
#ifndef EMA
#define EMA 0
#endif

/* The b vectors of a Gram block: the a vectors themselves when NB = 0. */
#define NBB (NB == 0 ? NA : NB)

/* Stage 1 of a block of the Gram matrix: partial[(k·NBB + l)·parts + p] =
 * Σ_{j in chunk p} a_k[j]·b_l[j] for k < NA, l < NBB (NA, NB <= 8).
 * EMA 1: a0 ← p·a0 + q·y first (written back), EMA 2: a0 ← q·y (a0 not
 * read); the products use the new a0. EMA needs NB = 0 (the a block). */
__kernel void gram_partial(__global float *a0, __global const float *a1, __global const float *a2,
                           __global const float *a3, __global const float *a4, __global const float *a5,
                           __global const float *a6, __global const float *a7, __global const float *b0,
                           __global const float *b1, __global const float *b2, __global const float *b3,
                           __global const float *b4, __global const float *b5, __global const float *b6,
                           __global const float *b7, __global const float *y, __global float *partial,
                           const uint len, const uint parts, const float p_coef, const float q_coef)
{
    const uint p = get_global_id(0);
    if (p >= parts) return;
    const uint chunk = (len + parts - 1) / parts, end = min(len, (p + 1) * chunk);
    float acc[NA][NBB];
    for (uint k = 0; k < NA; k++)
        for (uint l = 0; l < NBB; l++) acc[k][l] = 0.0f;
    for (uint j = p * chunk; j < end; j++) {
        float va[8], vb[8];
        va[0] = a0[j];
        if (EMA == 1) va[0] = p_coef * va[0] + q_coef * y[j];
        if (EMA == 2) va[0] = q_coef * y[j];
        if (EMA) a0[j] = va[0];
        if (NA > 1) va[1] = a1[j];
        if (NA > 2) va[2] = a2[j];
        if (NA > 3) va[3] = a3[j];
        if (NA > 4) va[4] = a4[j];
        if (NA > 5) va[5] = a5[j];
        if (NA > 6) va[6] = a6[j];
        if (NA > 7) va[7] = a7[j];
#if NB == 0
        for (uint l = 0; l < NA; l++) vb[l] = va[l];
#else
        vb[0] = b0[j];
        if (NB > 1) vb[1] = b1[j];
        if (NB > 2) vb[2] = b2[j];
        if (NB > 3) vb[3] = b3[j];
        if (NB > 4) vb[4] = b4[j];
        if (NB > 5) vb[5] = b5[j];
        if (NB > 6) vb[6] = b6[j];
        if (NB > 7) vb[7] = b7[j];
#endif
        for (uint k = 0; k < NA; k++)
            for (uint l = 0; l < NBB; l++) acc[k][l] += va[k] * vb[l];
    }
    for (uint k = 0; k < NA; k++)
        for (uint l = 0; l < NBB; l++) partial[(k * NBB + l) * parts + p] = acc[k][l];
}
