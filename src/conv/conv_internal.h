/* What the convolution host files share: conv.c runs the passes (im2col or
 * col2im + CLBlast GEMMs over chunks of images) for conv2d itself, for the
 * transposed convolution (conv_transpose.c, conv2d's passes with image and
 * output swapped) and for conv1d (conv1d.c, height 1). */
#ifndef CLNN_CONV_INTERNAL_H
#define CLNN_CONV_INTERNAL_H

#include "internal.h"

/* Sizes of one convolution: image [N, C, H, W], filters [K, C/G, R, S],
 * output [N, K, P, Q]; strides, dilations, the top, bottom, left and right
 * paddings and the padding mode of the image; accumulate: the weights pass
 * adds to the filters. */
typedef struct clnn__conv_geom {
    size_t N, C, H, W, K, R, S, P, Q, G;
    size_t crs_g; /* (C/G)*R*S: the GEMM inner size of one group */
    int sh, sw, dh, dw, pt, pb, pl, pr, mode, accumulate;
} clnn__conv_geom;

/* The passes over a geometry: forward y = w . im2col(x) (+ b), data
 * dx = col2im(w^T . dy) and weights dw (+)= dy . im2col(x)^T. */
enum { CLNN__CONV_FORWARD, CLNN__CONV_DATA, CLNN__CONV_WEIGHTS };

/* Checks one axis' options (suffix: "[0]", "[1]" or "" in the messages):
 * stride, dilation, pad, pad_extra, and output_padding (transposed: 0 <=
 * it < stride or dilation; else 0). */
clnn_status clnn__conv_check_axis(clnn_context *ctx, const char *fn, const char *suffix, int stride, int dilation,
                                  int pad, int pad_extra, int output_padding, int transposed);
/* Checks the options of every axis' kind: groups, padding_mode, pad_same
 * (with stride 1 on every axis and no pad or pad_extra: strides_one,
 * pads_zero), accumulate; transposed: zeros padding, pad_same 0 and
 * pad_extra 0 (pads_extra_zero). */
clnn_status clnn__conv_check_common(clnn_context *ctx, const char *fn, int groups, int padding_mode, int pad_same,
                                    int accumulate, int strides_one, int pads_zero, int pads_extra_zero,
                                    int transposed);
/* One axis of a convolution of n pixels by a window of k taps: its paddings
 * before and after (pad_same's split, or pad and pad + pad_extra), checked
 * against the padding mode's limits and the dilated window, and the output
 * size *out. what: "height" or "width", filt_name the filters' argument. */
clnn_status clnn__conv_axis(clnn_context *ctx, const char *fn, const char *what, const char *filt_name, size_t n,
                            size_t k, int stride, int dilation, int pad, int pad_extra, int pad_same, int mode,
                            int *before, int *after, size_t *out);
/* The 32-bit index limits of a geometry (img and out elements: the tensors'). */
clnn_status clnn__conv_check_sizes(clnn_context *ctx, const char *fn, const clnn__conv_geom *g);
/* A pass over every image of a checked geometry (img is x or dx, filt w or
 * dw, out y or dy); b: the forward's bias, or NULL. */
clnn_status clnn__conv_pass(clnn_context *ctx, const char *fn, int pass, const clnn__conv_geom *g, cl_mem img,
                            cl_mem filt, cl_mem out, cl_mem b);
/* y[n, k, :] += b[k] over count elements of planes of `plane`, K channels. */
clnn_status clnn__conv_bias_add(clnn_context *ctx, const char *fn, cl_mem y, cl_mem b, size_t count, size_t plane,
                                size_t K);

#endif
