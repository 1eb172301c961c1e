/* The Jacobian penalty by random projections (include/clnn/robust.h): one
 * work-group per sample, its norms over fixed lanes and rowreduce.clh's tree
 * (the bits never depend on the local size). */
#include "philox.clh"
#include "rowreduce.clh"

/* v[i, :] = n/‖n‖, n_j the Philox normal of element i·C + j (as random_normal_f32). */
__kernel void jacobian_projections(__global float *v, const uint cols, const uint lanes, const ulong seed,
                                   const uint stream, __local rowstat *scratch)
{
    const size_t off = (size_t)get_group_id(0) * cols;
    __global float *vr = v + off;
    for (uint j = get_local_id(0); j < cols; j += get_local_size(0)) {
        const ulong e = off + j;
        vr[j] = philox_lane4(philox_block_normals(seed, stream, (uint)(e >> 2)), (uint)e & 3u);
    }
    barrier(CLK_GLOBAL_MEM_FENCE); /* the norm's lanes read other work-items' elements */
    const float norm = sqrt(row_reduce(ROW_DOT, vr, vr, cols, 0.0f, lanes, scratch).a);
    for (uint j = get_local_id(0); j < cols; j += get_local_size(0)) vr[j] /= norm;
}

/* Sample i (its d elements of x and g, its c of v): n = ‖g_i‖;
 * partial[i] = k n² (k = λC/(n_proj N)); x_shift = x + h g/n (x where n = 0);
 * dlogits_shift = 2k (n/h) v. partial[N] (one past the samples) gets the
 * penalty so far with accumulate, else 0, so that the sum of the N + 1
 * partials is the new penalty. */
__kernel void jacobian_step(__global float *partial, __global float *x_shift, __global float *dz,
                            __global const float *x, __global const float *g, __global const float *v,
                            __global const float *prev, const uint d, const uint c, const uint lanes, const float k,
                            const float h, const int accumulate, __local rowstat *scratch)
{
    const uint i = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const size_t off = (size_t)i * d;
    const float n = sqrt(row_reduce(ROW_DOT, g + off, g + off, d, 0.0f, lanes, scratch).a);
    if (lid == 0) partial[i] = k * n * n;
    if (lid == 0 && i == 0) partial[get_num_groups(0)] = accumulate ? prev[0] : 0.0f;
    const float step = n > 0.0f ? h / n : 0.0f;
    for (uint j = lid; j < d; j += nloc) x_shift[off + j] = x[off + j] + step * g[off + j];
    const float kv = 2.0f * k * n / h;
    for (uint j = lid; j < c; j += nloc) dz[(size_t)i * c + j] = kv * v[(size_t)i * c + j];
}
