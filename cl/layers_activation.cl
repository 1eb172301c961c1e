/* Activations. Element-wise kernels handle WPT consecutive elements per
 * work-item; every kernel guards its tail. The function comes from
 * activation.clh, selected by an int that the launchers fix at compile time
 * (ACT_FIXED, ACT_OF there). */
#include "activation.clh"

#ifndef WPT
#define WPT 1
#endif

/* y = f(x) */
__kernel void act_forward(__global float *y, __global const float *x, const uint n, const int act,
                          const float alpha)
{
    const uint base = get_global_id(0) * WPT;
    for (uint k = 0; k < WPT; k++)
        if (base + k < n) y[base + k] = act_f(ACT_OF(act), alpha, x[base + k]);
}

/* dx = dy * f'(x) */
__kernel void act_backward(__global float *dx, __global const float *dy, __global const float *x, const uint n,
                           const int act, const float alpha)
{
    const uint base = get_global_id(0) * WPT;
    for (uint k = 0; k < WPT; k++)
        if (base + k < n) dx[base + k] = dy[base + k] * act_df(ACT_OF(act), alpha, x[base + k]);
}
