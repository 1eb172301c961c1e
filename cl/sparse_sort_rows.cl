/* The per-row sort (clnn_sort_rows, include/clnn/sparse.h) as two stable
 * radix sorts of the whole tensor (cl/sparse_sort.cl): by key, then by row
 * (stable, so each row keeps the key order); these kernels make the second
 * sort's keys and gather the result. Indices by prepared divisors. */
#include "index.clh"

/* rows[i] = perm[i] / D: the row of the element the key sort put at i. */
__kernel void sort_rows_ids(__global int *rows, __global const int *perm, const uint n, const divisor cols)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint row;
    split_by((uint)perm[i], cols, &row);
    rows[i] = (int)row;
}

/* Position i of the result takes the element at key-sorted position
 * order[i] (of row i / D, as the row sort put it there): its key bits, and
 * its column in the input. */
__kernel void sort_rows_gather(__global uint *out_keys, __global int *out_index, __global const uint *keys1,
                               __global const int *perm1, __global const int *order, const uint n,
                               const divisor cols, const int want_keys, const int want_index)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const uint src = (uint)order[i];
    if (want_keys) out_keys[i] = keys1[src];
    if (want_index) {
        uint row;
        out_index[i] = (int)split_by((uint)perm1[src], cols, &row); /* the column of the source element */
    }
}
