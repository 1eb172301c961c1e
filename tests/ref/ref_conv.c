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

/* PyTorch's output size: floor (or ceil) of (in + 2 pad - extent) / stride
 * plus 1; in ceil mode less one when the last window would start at or past
 * in + pad. */
static int pool_size(int in, int k, int stride, int pad, int dil, int ceil_mode)
{
    double span = (double)in + 2.0 * pad - (double)dil * (k - 1) - 1;
    int out = (int)(ceil_mode ? ceil(span / stride) : floor(span / stride)) + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad) out--;
    return out;
}

int ref_pool_shape_init(ref_pool_shape *s)
{
    s->P = pool_size(s->H, s->kh, s->sh, s->ph, s->dh ? s->dh : 1, s->ceil_mode);
    s->Q = pool_size(s->W, s->kw, s->sw, s->pw, s->dw ? s->dw : 1, s->ceil_mode);
    return s->P >= 1 && s->Q >= 1;
}

static int dil(int d) { return d ? d : 1; }

/* Window (p, q): its taps are (hs + i*dh, ws + j*dw) for i < kh, j < kw,
 * padding where outside the image. Returns the divisor of an average: the
 * override, else the window clipped to the padded input (count_include_pad,
 * ATen's pool_size) or the number of in-image taps. */
static double window(const ref_pool_shape *s, int p, int q, int *hs, int *ws)
{
    *hs = p * s->sh - s->ph;
    *ws = q * s->sw - s->pw;
    if (s->divisor) return s->divisor;
    if (s->mode == 1) {
        int he = *hs + s->kh < s->H + s->ph ? *hs + s->kh : s->H + s->ph;
        int we = *ws + s->kw < s->W + s->pw ? *ws + s->kw : s->W + s->pw;
        return (double)(he - *hs) * (we - *ws);
    }
    int count = 0;
    for (int i = 0; i < s->kh; i++)
        for (int j = 0; j < s->kw; j++) {
            int h = *hs + i * dil(s->dh), w = *ws + j * dil(s->dw);
            count += h >= 0 && h < s->H && w >= 0 && w < s->W;
        }
    return count;
}

void ref_pool_forward(const ref_pool_shape *s, const double *x, double *y, int *argmax)
{
    for (int pl = 0; pl < s->planes; pl++)
        for (int p = 0; p < s->P; p++)
            for (int q = 0; q < s->Q; q++) {
                int hs, ws, best_i = -1;
                double sum = 0, best = -INFINITY, div = window(s, p, q, &hs, &ws);
                for (int i = 0; i < s->kh; i++)
                    for (int j = 0; j < s->kw; j++) {
                        int h = hs + i * dil(s->dh), w = ws + j * dil(s->dw);
                        if (h < 0 || h >= s->H || w < 0 || w >= s->W) continue;
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
                int hs, ws, best_i = -1;
                double best = -INFINITY, g = dy[((size_t)pl * s->P + p) * s->Q + q], div = window(s, p, q, &hs, &ws);
                for (int i = 0; i < s->kh; i++)
                    for (int j = 0; j < s->kw; j++) {
                        int h = hs + i * dil(s->dh), w = ws + j * dil(s->dw);
                        if (h < 0 || h >= s->H || w < 0 || w >= s->W) continue;
                        size_t k = ((size_t)pl * s->H + h) * s->W + w;
                        if (s->mode != 0) dx[k] += g / div;
                        else if (best_i < 0 || x[k] > best) best = x[k], best_i = (int)k;
                    }
                if (s->mode == 0) dx[best_i] += g;
            }
}

/* Adaptive window i of n over a side of `in`: [floor(i*in/n), ceil((i+1)*in/n)). */
static void adaptive_window(int i, int in, int n, int *start, int *end)
{
    *start = (int)floor((double)i * in / n);
    *end = (int)ceil((double)(i + 1) * in / n);
}

void ref_adaptive_pool_forward(int planes, int H, int W, int OH, int OW, int max, const double *x, double *y,
                               int *argmax)
{
    for (int pl = 0; pl < planes; pl++)
        for (int i = 0; i < OH; i++)
            for (int j = 0; j < OW; j++) {
                int h0, h1, w0, w1, best_i = -1;
                double sum = 0, best = -INFINITY;
                adaptive_window(i, H, OH, &h0, &h1);
                adaptive_window(j, W, OW, &w0, &w1);
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        double v = x[((size_t)pl * H + h) * W + w];
                        sum += v;
                        if (best_i < 0 || v > best) best = v, best_i = h * W + w;
                    }
                size_t o = ((size_t)pl * OH + i) * OW + j;
                y[o] = max ? best : sum / ((double)(h1 - h0) * (w1 - w0));
                if (argmax) argmax[o] = best_i;
            }
}

void ref_adaptive_pool_backward(int planes, int H, int W, int OH, int OW, int max, const double *x,
                                const double *dy, double *dx)
{
    memset(dx, 0, sizeof *dx * (size_t)planes * H * W);
    for (int pl = 0; pl < planes; pl++)
        for (int i = 0; i < OH; i++)
            for (int j = 0; j < OW; j++) {
                int h0, h1, w0, w1, best_i = -1;
                double best = -INFINITY, g = dy[((size_t)pl * OH + i) * OW + j];
                adaptive_window(i, H, OH, &h0, &h1);
                adaptive_window(j, W, OW, &w0, &w1);
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        size_t k = ((size_t)pl * H + h) * W + w;
                        if (!max) dx[k] += g / ((double)(h1 - h0) * (w1 - w0));
                        else if (best_i < 0 || x[k] > best) best = x[k], best_i = (int)k;
                    }
                if (max) dx[best_i] += g;
            }
}
