/* Dense's fused kernels around its GEMMs (src/layers/dense.c): the bias +
 * activation epilogue of the forward pass, the activation gradient with the
 * bias gradient's partial sums, and their final sum. The function comes from
 * activation.clh. */
#include "activation.clh"

/* Rows per partial sum of dense's bias gradient. Fixed (not tunable): the
 * summation order, and so the bits of db, must not depend on the launch. */
#define DB_ROWS 32

/* Dense forward epilogue over the GEMM result g [rows, cols]:
 * z = g + b[col] (b only when has_bias); g = z when store_z; y = f(z).
 * g and y may be the same buffer (no z kept). */
__kernel void dense_bias_act(__global float *g, __global float *y, __global const float *b, const uint rows,
                             const uint cols, const int has_bias, const int store_z, const int act,
                             const float alpha)
{
    const uint col = get_global_id(0), row = get_global_id(1);
    if (col >= cols || row >= rows) return;
    const size_t i = (size_t)row * cols + col;
    const float z = g[i] + (has_bias ? b[col] : 0.0f);
    if (store_z) g[i] = z;
    y[i] = act_f(ACT_OF(act), alpha, z);
}

/* Dense backward prologue: dz = dy * f'(z) for DB_ROWS rows of one column per
 * work-item (written when write_dz), and their sum into
 * partial[block, col] when want_db. Work-item (col, block). */
__kernel void dense_dz(__global float *dz, __global float *partial, __global const float *dy,
                       __global const float *z, const uint rows, const uint cols, const int write_dz,
                       const int want_db, const int act, const float alpha)
{
    const uint col = get_global_id(0), block = get_global_id(1);
    if (col >= cols || block * DB_ROWS >= rows) return;
    const uint end = min(rows, (block + 1) * DB_ROWS);
    float sum = 0.0f;
    for (uint row = block * DB_ROWS; row < end; row++) {
        const size_t i = (size_t)row * cols + col;
        const float d = dy[i] * act_df(ACT_OF(act), alpha, z[i]);
        if (write_dz) dz[i] = d;
        sum += d;
    }
    if (want_db) partial[(size_t)block * cols + col] = sum;
}

/* db[col] (+)= sum over blocks of partial[block, col], in block order. */
__kernel void dense_db(__global float *db, __global const float *partial, const uint blocks, const uint cols,
                       const int accumulate)
{
    const uint col = get_global_id(0);
    if (col >= cols) return;
    float sum = 0.0f;
    for (uint block = 0; block < blocks; block++) sum += partial[(size_t)block * cols + col];
    db[col] = accumulate ? db[col] + sum : sum;
}
