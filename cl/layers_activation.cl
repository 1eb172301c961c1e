/* Activations. Element-wise kernels handle WPT consecutive elements per
 * work-item; every kernel guards its tail. The function comes from
 * activation.clh, selected by an int that the launchers fix at compile time
 * (ACT_FIXED, ACT_OF there). */
#include "activation.clh"
#include "index.clh" /* divisors: the channel of element i */

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

/* PReLU (He et al. 2015): y = x > 0 ? x : w_c x with c = (i / inner) %
 * channels, one work-item per element (channels 1: one shared weight). */
__kernel void prelu_forward(__global float *y, __global const float *x, __global const float *w, const uint n,
                            const divisor inner, const divisor channels)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint outer;
    const float v = x[i], wc = w[split_by(div_by(i, inner), channels, &outer)];
    y[i] = v > 0.0f ? v : wc * v;
}

/* dx = x > 0 ? dy : w_c dy (want_dx); t = x > 0 ? 0 : x dy, the weight
 * gradient's terms, summed per channel afterwards (want_t). */
__kernel void prelu_backward(__global float *dx, __global float *t, __global const float *dy,
                             __global const float *x, __global const float *w, const uint n, const divisor inner,
                             const divisor channels, const int want_dx, const int want_t)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    uint outer;
    const float v = x[i], g = dy[i], wc = w[split_by(div_by(i, inner), channels, &outer)];
    if (want_dx) dx[i] = v > 0.0f ? g : wc * g;
    if (want_t) t[i] = v > 0.0f ? 0.0f : v * g;
}

/* Softplus with PyTorch's beta and threshold: y = softplus(beta x) / beta,
 * y = x where beta x > threshold; dx = dy sigmoid(beta x), dy there. */
__kernel void softplus_forward(__global float *y, __global const float *x, const uint n, const float beta,
                               const float threshold)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float v = x[i], bx = beta * v;
    y[i] = bx > threshold ? v : act_f(ACT_SOFTPLUS, 0.0f, bx) / beta;
}

__kernel void softplus_backward(__global float *dx, __global const float *dy, __global const float *x,
                                const uint n, const float beta, const float threshold)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const float bx = beta * x[i];
    dx[i] = bx > threshold ? dy[i] : dy[i] * act_sigmoid(bx);
}
