/* clnn: 2-D convolution and pooling over NCHW images (fp32).
 * Included by clnn/clnn.h; do not include directly.
 *
 * Layouts (row-major, the last dimension contiguous):
 *   x, dx  [N, C, H, W]              input images
 *   w, dw  [K, C/groups, R, S]       filters: K output channels, R x S window
 *   b, db  [K]                       bias (optional)
 *   y, dy  [N, K, P, Q]              output,
 *     P = (H + 2*pad[0] - dilation[0]*(R-1) - 1) / stride[0] + 1 (floor), Q likewise with index 1.
 * Index 0 of every pair is the height axis, index 1 the width axis.
 * Output channel k of group g = k / (K/groups) sees input channels
 * [g*C/groups, (g+1)*C/groups); groups == C == K is a depthwise convolution.
 *
 * Convolution here is cross-correlation, as in every deep-learning framework:
 *   y[n,k,p,q] = b[k] + sum_{c,r,s} w[k,c,r,s] * x[n, g*C/groups + c, p*sh - ph + r*dh, q*sw - pw + s*dw]
 * with x = 0 outside the image. The GEMMs run in CLBlast on the context's
 * queue; each call allocates its own im2col workspace of (C*R*S) x (P*Q)
 * floats (one image) and frees it when the queued work completes. */
#ifndef CLNN_CONV_H
#define CLNN_CONV_H

/* Options of a convolution (the API conventions of docs/design.md: set them
 * up with clnn_conv2d_options_init, then change fields). NULL means the
 * defaults: stride 1, no padding, dilation 1, one group. */
typedef struct clnn_conv2d_options {
    size_t size;     /* sizeof(clnn_conv2d_options), set by clnn_conv2d_options_init */
    int stride[2];   /* >= 1 */
    int pad[2];      /* >= 0, zero padding on both sides */
    int dilation[2]; /* >= 1 */
    int groups;      /* >= 1, divides C and K */
} clnn_conv2d_options;

CLNN_API void clnn_conv2d_options_init(clnn_conv2d_options *opt);

/* y = conv2d(x, w) + b; b may be NULL. */
CLNN_API clnn_status clnn_conv2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                         const clnn_tensor *b, const clnn_conv2d_options *params, clnn_tensor *y);
/* dx = dL/dx given dy = dL/dy (overwrites dx). */
CLNN_API clnn_status clnn_conv2d_backward_data(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *w,
                                               const clnn_conv2d_options *params, clnn_tensor *dx);
/* dw = dL/dw = sum over the batch (overwrites dw; images summed in order). */
CLNN_API clnn_status clnn_conv2d_backward_weights(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                                  const clnn_conv2d_options *params, clnn_tensor *dw);
/* db[k] = sum over n, p, q of dy[n,k,p,q] (deterministic tree reduction). */
CLNN_API clnn_status clnn_conv2d_backward_bias(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *db);

/* ----------------------------------------------------------------- pooling
 * x, dx [N, C, H, W]; y, dy, indices [N, C, P, Q] with PyTorch's output size
 *   P = floor((H + 2*pad[0] - dilation[0]*(kernel[0]-1) - 1) / stride[0]) + 1, Q likewise,
 * or with ceil_mode the ceiling instead of the floor, less one when the last
 * window would start past the input and its left padding ((P-1)*stride[0]
 * >= H + pad[0]); P and Q must come out >= 1. pad[i] <= kernel[i] / 2.
 * Max pooling ignores padding (it acts as -infinity) and writes, per output,
 * the index h*W + w of its maximum within the (n, c) plane (first one on ties);
 * backward routes dy to that pixel. Its window taps are dilation[i] apart
 * (PyTorch's dilation); a dilated window must hold at least one input pixel
 * (PyTorch returns -inf and an index outside the plane there; clnn refuses).
 * Average pooling sums the in-image pixels of the window and divides by
 * divisor_override when it is not 0, else (count_include_pad 1, PyTorch's
 * default) by the window's size clipped to the padded input, the part of a
 * ceil_mode window past the right padding not counted (ATen's pool_size),
 * else (count_include_pad 0) by the number of in-image pixels. */
/* Options of a pooling (clnn_pool2d_options_init: kernel 2x2, stride 2, no
 * padding, count_include_pad 1, floor mode, no dilation, no divisor
 * override). NULL means those defaults. The fields after count_include_pad
 * read 0 as their default, so an initializer written before them keeps its
 * meaning. */
typedef struct clnn_pool2d_options {
    size_t size;           /* sizeof(clnn_pool2d_options), set by clnn_pool2d_options_init */
    int kernel[2];         /* >= 1 */
    int stride[2];         /* >= 1 */
    int pad[2];            /* 0 .. kernel/2 */
    int count_include_pad; /* average pooling only: 0 or 1 */
    int ceil_mode;         /* 0 (floor) or 1 (ceil) output size */
    int dilation[2];       /* max pooling: >= 1 (0 reads as 1); average pooling: 0 or 1 (PyTorch's has none) */
    int divisor_override;  /* average pooling only: 0 = none, else the divisor of every window (any sign) */
} clnn_pool2d_options;

CLNN_API void clnn_pool2d_options_init(clnn_pool2d_options *opt);

/* indices: int32 tensor shaped like y. */
CLNN_API clnn_status clnn_maxpool2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_pool2d_options *params,
                                            clnn_tensor *y, clnn_tensor *indices);
/* dx from dy and the indices of the forward pass (overwrites dx; no atomics:
 * a scatter over the outputs when the windows do not overlap, stride >= window,
 * else a gather over the inputs; the same bits either way). */
CLNN_API clnn_status clnn_maxpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *indices,
                                             const clnn_pool2d_options *params, clnn_tensor *dx);
CLNN_API clnn_status clnn_avgpool2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_pool2d_options *params,
                                            clnn_tensor *y);
CLNN_API clnn_status clnn_avgpool2d_backward(clnn_context *ctx, const clnn_tensor *dy,
                                             const clnn_pool2d_options *params, clnn_tensor *dx);
/* Adaptive pooling (PyTorch's AdaptiveAvgPool2d / AdaptiveMaxPool2d) of
 * x [N, C, H, W] to y [N, C, OH, OW], any OH, OW >= 1 (y's shape gives
 * them): output (i, j) pools rows [floor(i*H/OH), ceil((i+1)*H/OH)) and
 * columns [floor(j*W/OW), ceil((j+1)*W/OW)), windows that may overlap.
 * Average: the window's mean. Max: its maximum and, in indices (int32, y's
 * shape), the index h*W + w of the first maximum. The backward passes sum,
 * per input pixel, the gradients of the windows holding it in (i, j) order
 * (no atomics) and overwrite dx. */
CLNN_API clnn_status clnn_adaptive_avgpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y);
CLNN_API clnn_status clnn_adaptive_avgpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *dx);
CLNN_API clnn_status clnn_adaptive_maxpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y,
                                                     clnn_tensor *indices);
CLNN_API clnn_status clnn_adaptive_maxpool2d_backward(clnn_context *ctx, const clnn_tensor *dy,
                                                      const clnn_tensor *indices, clnn_tensor *dx);
/* y[n,c] = mean over h, w of x[n,c,h,w]; y is [N, C] or [N, C, 1, 1]. */
CLNN_API clnn_status clnn_global_avgpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y);
/* dx[n,c,h,w] = dy[n,c] / (H*W); dy is [N, C] or [N, C, 1, 1]. */
CLNN_API clnn_status clnn_global_avgpool2d_backward(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *dx);
/* Global max pooling (PyTorch's AdaptiveMaxPool2d(1)): y[n,c] = max over h, w
 * of x[n,c,h,w], indices[n,c] = h*W + w of the first maximum (int32, y's
 * shape: [N, C] or [N, C, 1, 1]); max pooling with the window = the plane. */
CLNN_API clnn_status clnn_global_maxpool2d_forward(clnn_context *ctx, const clnn_tensor *x, clnn_tensor *y,
                                                   clnn_tensor *indices);
/* dx = dy[n,c] at indices[n,c], 0 elsewhere (overwrites dx). */
CLNN_API clnn_status clnn_global_maxpool2d_backward(clnn_context *ctx, const clnn_tensor *dy,
                                                    const clnn_tensor *indices, clnn_tensor *dx);

#endif
