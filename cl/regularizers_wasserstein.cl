/* Wasserstein regularization toward the initial weight distribution: with
 * s = sort(w) (stable, cl/sparse_sort.cl), perm its permutation and s0 the sorted
 * initial weights, the 1-D W2² distance (1/n)·Σ_i (s_i − s0_i)² has the
 * gradient 2/n·(s_i − s0_i) at w_perm[i] (away from ties; at ties the stable
 * sort's choice, lower index to the earlier position).
 * w2_diff turns s into d = s − s0 in place (the value is then the
 * deterministic sum of λ/n·d² of cl/reduce_deterministic.cl) and, with want_grad,
 * adds c·d_i to grad[perm[i]], c = 2λ/n; perm is a permutation, so each
 * element has exactly one writer. */
__kernel void w2_diff(__global float *d, __global const float *s0, __global const int *perm, __global float *grad,
                      const uint n, const float c, const int want_grad)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float di = d[i] - s0[i];
    d[i] = di;
    if (want_grad) grad[perm[i]] += c * di;
}
