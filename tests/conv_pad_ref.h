/* Double reference of a convolution with PyTorch's paddings for the conv
 * tests (conv2d options, conv1d): plain loops from the definition, conv2d
 * of the padded image F.pad(x, (left, right, top, bottom), mode) with the
 * backward passes in the scatter (adjoint) form: a padded pixel's gradient
 * goes to the pixel F.pad copied it from. */
#ifndef CLNN_TEST_CONV_PAD_REF_H
#define CLNN_TEST_CONV_PAD_REF_H

typedef struct pconv {
    int N, C, H, W, K, R, S, G; /* x [N, C, H, W], w [K, C/G, R, S] */
    int sh, sw, dh, dw;
    int pt, pb, pl, pr, mode; /* paddings top, bottom, left, right; clnn_padding_mode */
    int P, Q;                 /* filled by pconv_init */
} pconv;

/* P and Q; 0 when the dilated window does not fit the padded image. */
static inline int pconv_init(pconv *s)
{
    int eh = s->H + s->pt + s->pb, ew = s->W + s->pl + s->pr;
    int spanh = s->dh * (s->R - 1) + 1, spanw = s->dw * (s->S - 1) + 1;
    if (spanh > eh || spanw > ew) return 0;
    s->P = (eh - spanh) / s->sh + 1;
    s->Q = (ew - spanw) / s->sw + 1;
    return 1;
}

/* The pixel that F.pad puts at position t of an axis of n pixels (t may be
 * negative or >= n), or -1 for a zero. reflect: mirrored at the edge pixel
 * (which is not repeated); replicate: the edge pixel; circular: t mod n. */
static inline int pconv_src(int t, int n, int mode)
{
    if (t >= 0 && t < n) return t;
    switch (mode) {
    case 1: return t < 0 ? -t : 2 * (n - 1) - t;
    case 2: return t < 0 ? 0 : n - 1;
    case 3: return ((t % n) + n) % n;
    default: return -1;
    }
}

/* Calls visit(user, x index, w index, y index) for every product of the
 * convolution that reads a pixel of x (zeros of the padding are skipped). */
static inline void pconv_each(const pconv *s, void (*visit)(void *, size_t, size_t, size_t), void *user)
{
    int Cg = s->C / s->G, Kg = s->K / s->G;
    for (int n = 0; n < s->N; n++)
        for (int k = 0; k < s->K; k++)
            for (int p = 0; p < s->P; p++)
                for (int q = 0; q < s->Q; q++)
                    for (int c = 0; c < Cg; c++)
                        for (int r = 0; r < s->R; r++)
                            for (int t = 0; t < s->S; t++) {
                                int h = pconv_src(p * s->sh - s->pt + r * s->dh, s->H, s->mode);
                                int w = pconv_src(q * s->sw - s->pl + t * s->dw, s->W, s->mode);
                                if (h < 0 || w < 0) continue;
                                int ci = k / Kg * Cg + c;
                                visit(user, (((size_t)n * s->C + ci) * s->H + h) * s->W + w,
                                      (((size_t)k * Cg + c) * s->R + r) * s->S + t,
                                      (((size_t)n * s->K + k) * s->P + p) * s->Q + q);
                            }
}

typedef struct pconv_arrays {
    const double *x, *w, *dy;
    double *y, *dx, *dw;
} pconv_arrays;

static inline void pconv_visit_fwd(void *u, size_t xi, size_t wi, size_t yi)
{
    pconv_arrays *a = u;
    a->y[yi] += a->w[wi] * a->x[xi];
}
static inline void pconv_visit_data(void *u, size_t xi, size_t wi, size_t yi)
{
    pconv_arrays *a = u;
    a->dx[xi] += a->w[wi] * a->dy[yi];
}
static inline void pconv_visit_weights(void *u, size_t xi, size_t wi, size_t yi)
{
    pconv_arrays *a = u;
    a->dw[wi] += a->dy[yi] * a->x[xi];
}

/* y = conv(pad(x), w) + b (b may be NULL). */
static inline void pconv_forward(const pconv *s, const double *x, const double *w, const double *b, double *y)
{
    size_t plane = (size_t)s->P * s->Q, ny = (size_t)s->N * s->K * plane;
    for (size_t i = 0; i < ny; i++) y[i] = b ? b[i / plane % s->K] : 0;
    pconv_arrays a = {x, w, NULL, y, NULL, NULL};
    pconv_each(s, pconv_visit_fwd, &a);
}
static inline void pconv_backward_data(const pconv *s, const double *dy, const double *w, double *dx)
{
    memset(dx, 0, (size_t)s->N * s->C * s->H * s->W * sizeof *dx);
    pconv_arrays a = {NULL, w, dy, NULL, dx, NULL};
    pconv_each(s, pconv_visit_data, &a);
}
static inline void pconv_backward_weights(const pconv *s, const double *x, const double *dy, double *dw)
{
    memset(dw, 0, (size_t)s->K * (s->C / s->G) * s->R * s->S * sizeof *dw);
    pconv_arrays a = {x, NULL, dy, NULL, NULL, dw};
    pconv_each(s, pconv_visit_weights, &a);
}
static inline void pconv_backward_bias(const pconv *s, const double *dy, double *db)
{
    size_t plane = (size_t)s->P * s->Q;
    for (int k = 0; k < s->K; k++) db[k] = 0;
    for (size_t i = 0; i < (size_t)s->N * s->K * plane; i++) db[i / plane % s->K] += dy[i];
}

#endif
