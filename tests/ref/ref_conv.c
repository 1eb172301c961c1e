/* Conv2d and pooling references: direct loops over the definition, in double. */
#include "ref/ref.h"

#include <math.h>
#include <string.h>

int ref_conv_shape_init(ref_conv_shape *s)
{
    int eh = s->H + 2 * s->ph - s->dh * (s->R - 1) - 1, ew = s->W + 2 * s->pw - s->dw * (s->S - 1) - 1;
    if (eh < 0 || ew < 0) return 0;
    s->P = eh / s->sh + 1;
    s->Q = ew / s->sw + 1;
    return 1;
}

/* Calls visit(n, k, p, q, c, r, s, input index, weight index) for every
 * product of the convolution whose input pixel is inside the image. */
#define CONV_LOOP(s, BODY)                                                                  \
    for (int n = 0; n < s->N; n++)                                                          \
        for (int k = 0; k < s->K; k++) {                                                    \
            const int Cg = s->C / s->G, g = k / (s->K / s->G);                              \
            for (int p = 0; p < s->P; p++)                                                  \
                for (int q = 0; q < s->Q; q++)                                              \
                    for (int c = 0; c < Cg; c++)                                            \
                        for (int r = 0; r < s->R; r++)                                      \
                            for (int t = 0; t < s->S; t++) {                                \
                                const int h = p * s->sh - s->ph + r * s->dh;                \
                                const int w_ = q * s->sw - s->pw + t * s->dw;               \
                                if (h < 0 || h >= s->H || w_ < 0 || w_ >= s->W) continue;   \
                                const size_t xi = (((size_t)n * s->C + g * Cg + c) * s->H + h) * s->W + w_; \
                                const size_t wi = (((size_t)k * Cg + c) * s->R + r) * s->S + t; \
                                const size_t yi = (((size_t)n * s->K + k) * s->P + p) * s->Q + q; \
                                BODY;                                                       \
                            }                                                               \
        }

void ref_conv2d_forward(const ref_conv_shape *s, const double *x, const double *w, const double *b, double *y)
{
    size_t ny = (size_t)s->N * s->K * s->P * s->Q;
    for (size_t i = 0; i < ny; i++) y[i] = b ? b[(i / ((size_t)s->P * s->Q)) % (size_t)s->K] : 0.0;
    CONV_LOOP(s, y[yi] += w[wi] * x[xi]);
}

void ref_conv2d_backward_data(const ref_conv_shape *s, const double *dy, const double *w, double *dx)
{
    memset(dx, 0, sizeof *dx * (size_t)s->N * s->C * s->H * s->W);
    CONV_LOOP(s, dx[xi] += w[wi] * dy[yi]);
}

void ref_conv2d_backward_weights(const ref_conv_shape *s, const double *x, const double *dy, double *dw)
{
    memset(dw, 0, sizeof *dw * (size_t)s->K * (s->C / s->G) * s->R * s->S);
    CONV_LOOP(s, dw[wi] += x[xi] * dy[yi]);
}

void ref_conv2d_backward_bias(const ref_conv_shape *s, const double *dy, double *db)
{
    for (int k = 0; k < s->K; k++) {
        double sum = 0;
        for (int n = 0; n < s->N; n++)
            for (int i = 0; i < s->P * s->Q; i++) sum += dy[((size_t)n * s->K + k) * s->P * s->Q + i];
        db[k] = sum;
    }
}

void ref_pool_shape_init(ref_pool_shape *s)
{
    s->P = (s->H + 2 * s->ph - s->kh) / s->sh + 1;
    s->Q = (s->W + 2 * s->pw - s->kw) / s->sw + 1;
}

/* The in-image part of window (p, q) and its divisor. */
static void window(const ref_pool_shape *s, int p, int q, int *h0, int *h1, int *w0, int *w1, double *div)
{
    int hs = p * s->sh - s->ph, ws = q * s->sw - s->pw;
    *h0 = hs < 0 ? 0 : hs;
    *w0 = ws < 0 ? 0 : ws;
    *h1 = hs + s->kh > s->H ? s->H : hs + s->kh;
    *w1 = ws + s->kw > s->W ? s->W : ws + s->kw;
    *div = s->mode == 1 ? (double)s->kh * s->kw : (double)(*h1 - *h0) * (*w1 - *w0);
}

void ref_pool_forward(const ref_pool_shape *s, const double *x, double *y, int *argmax)
{
    for (int pl = 0; pl < s->planes; pl++)
        for (int p = 0; p < s->P; p++)
            for (int q = 0; q < s->Q; q++) {
                int h0, h1, w0, w1, best_i = -1;
                double div, sum = 0, best = -INFINITY;
                window(s, p, q, &h0, &h1, &w0, &w1, &div);
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        double v = x[((size_t)pl * s->H + h) * s->W + w];
                        sum += v;
                        if (best_i < 0 || v > best) best = v, best_i = h * s->W + w;
                    }
                size_t o = ((size_t)pl * s->P + p) * s->Q + q;
                y[o] = s->mode == 0 ? best : sum / div;
                if (argmax) argmax[o] = best_i;
            }
}

void ref_pool_backward(const ref_pool_shape *s, const double *x, const double *dy, double *dx)
{
    memset(dx, 0, sizeof *dx * (size_t)s->planes * s->H * s->W);
    for (int pl = 0; pl < s->planes; pl++)
        for (int p = 0; p < s->P; p++)
            for (int q = 0; q < s->Q; q++) {
                int h0, h1, w0, w1, best_i = -1;
                double div, best = -INFINITY, g = dy[((size_t)pl * s->P + p) * s->Q + q];
                window(s, p, q, &h0, &h1, &w0, &w1, &div);
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        size_t i = ((size_t)pl * s->H + h) * s->W + w;
                        if (s->mode != 0) dx[i] += g / div;
                        else if (best_i < 0 || x[i] > best) best = x[i], best_i = (int)i;
                    }
                if (s->mode == 0) dx[best_i] += g;
            }
}
