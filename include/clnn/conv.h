/* clnn: 2-D convolution and pooling over NCHW images (fp32).
 * Included by clnn/clnn.h; do not include directly.
 *
 * Layouts (row-major, the last dimension contiguous):
 *   x, dx  [N, C, H, W]              input images
 *   w, dw  [K, C/groups, R, S]       filters: K output channels, R x S window
 *   b, db  [K]                       bias (optional)
 *   y, dy  [N, K, P, Q]              output,
 *     P = (H + 2*pad[0] + pad_extra[0] - dilation[0]*(R-1) - 1) / stride[0] + 1 (floor),
 *     Q likewise with index 1 (pad_same: P = H, Q = W).
 * Index 0 of every pair is the height axis, index 1 the width axis.
 * Output channel k of group g = k / (K/groups) sees input channels
 * [g*C/groups, (g+1)*C/groups); groups == C == K is a depthwise convolution.
 *
 * Convolution here is cross-correlation, as in every deep-learning framework:
 *   y[n,k,p,q] = b[k] + sum_{c,r,s} w[k,c,r,s] * x[n, g*C/groups + c, p*sh - ph + r*dh, q*sw - pw + s*dw]
 * with x outside the image read from the padding: 0, or with padding_mode
 * what PyTorch's F.pad puts there (clnn_padding_mode below); ph, pw are the
 * top and left paddings, the bottom and right ones may differ (pad_extra)
 * or follow PyTorch's 'same'. The GEMMs run in CLBlast on the context's
 * queue; each call allocates its own im2col workspace of (C*R*S) x (P*Q)
 * floats (one image) and frees it when the queued work completes. */
#ifndef CLNN_CONV_H
#define CLNN_CONV_H

/* Padding modes (PyTorch's padding_mode): what the padded border reads.
 * ZEROS: 0. REFLECT: the mirror image without repeating the edge (x[-1] =
 * x[1]; each pad < that dimension's size). REPLICATE: the edge pixel.
 * CIRCULAR: the other side (x[-1] = x[H-1]; each pad <= the size). The
 * backward passes add a border pixel's gradient to the pixel it read
 * (a gather in a fixed order: deterministic). */
typedef enum clnn_padding_mode {
    CLNN_PAD_ZEROS = 0,
    CLNN_PAD_REFLECT = 1,
    CLNN_PAD_REPLICATE = 2,
    CLNN_PAD_CIRCULAR = 3
} clnn_padding_mode;

/* Options of a convolution (the API conventions of docs/design.md: set them
 * up with clnn_conv2d_options_init, then change fields). NULL means the
 * defaults: stride 1, no padding, dilation 1, one group. The fields after
 * groups read 0 as their default, so an initializer written before them
 * keeps its meaning.
 * Padding: pad[i] rows (columns) at the top (left), pad[i] + pad_extra[i]
 * at the bottom (right), so P = (H + 2*pad[0] + pad_extra[0] -
 * dilation[0]*(R-1) - 1) / stride[0] + 1. pad_same = 1 is PyTorch's
 * padding='same' (stride 1 only; pad and pad_extra must be 0): the total
 * dilation[i]*(R-1) split as floor(total/2) at the top, the rest at the
 * bottom, as PyTorch does. */
typedef struct clnn_conv2d_options {
    size_t size;     /* sizeof(clnn_conv2d_options), set by clnn_conv2d_options_init */
    int stride[2];   /* >= 1 */
    int pad[2];      /* >= 0: top (left) padding, and the bottom (right) one less pad_extra */
    int dilation[2]; /* >= 1 */
    int groups;      /* >= 1, divides C and K */
    int padding_mode;      /* a clnn_padding_mode; transposed convolutions: ZEROS only (as PyTorch) */
    int pad_same;          /* 0, or 1: padding='same' (stride 1; not for transposed convolutions) */
    int pad_extra[2];      /* >= -pad[i]: bottom (right) padding = pad[i] + pad_extra[i] (0 for transposed) */
    int accumulate;        /* backward weights: 0 overwrites dw, 1 adds to it (dense's accumulate) */
    int output_padding[2]; /* transposed only: >= 0, < stride[i] or < dilation[i] (PyTorch's rule) */
} clnn_conv2d_options;

CLNN_API void clnn_conv2d_options_init(clnn_conv2d_options *opt);

/* y = conv2d(x, w) + b; b may be NULL. */
CLNN_API clnn_status clnn_conv2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                         const clnn_tensor *b, const clnn_conv2d_options *params, clnn_tensor *y);
/* dx = dL/dx given dy = dL/dy (overwrites dx). */
CLNN_API clnn_status clnn_conv2d_backward_data(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *w,
                                               const clnn_conv2d_options *params, clnn_tensor *dx);
/* dw = dL/dw = sum over the batch (images summed in order); params->accumulate
 * 1 adds it to dw instead of overwriting dw. */
CLNN_API clnn_status clnn_conv2d_backward_weights(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                                  const clnn_conv2d_options *params, clnn_tensor *dw);
/* db[k] = sum over n, p, q of dy[n,k,p,q] (deterministic tree reduction).
 * Also the bias gradient of the transposed and 1-D convolutions (dy [N, K, L]
 * is taken as [N, K, 1, L]). */
CLNN_API clnn_status clnn_conv2d_backward_bias(clnn_context *ctx, const clnn_tensor *dy, clnn_tensor *db);
/* The same with dense's accumulate: 0 overwrites db, 1 adds to it. */
CLNN_API clnn_status clnn_conv2d_backward_bias_accumulate(clnn_context *ctx, const clnn_tensor *dy, int accumulate,
                                                          clnn_tensor *db);

/* Transposed convolution (PyTorch's conv_transpose2d), the adjoint of conv2d:
 *   x, dx [N, C, H, W]; w, dw [C, K/groups, R, S] (PyTorch's layout);
 *   b, db [K]; y, dy [N, K, P, Q] with
 *   P = (H-1)*stride[0] - 2*pad[0] + dilation[0]*(R-1) + output_padding[0] + 1, Q likewise;
 *   y[n, g*K/G + k, h*sh - ph + r*dh, w*sw - pw + s*dw] += x[n, g*C/G + c, h, w] * w[g*C/G + c, k, r, s].
 * Zero padding only, pad_same 0 and pad_extra 0 (PyTorch has no others).
 * Forward = conv2d's backward data, backward data = conv2d's forward and
 * backward weights = conv2d's with x and dy swapped: the same GEMMs and
 * gathers, deterministic. The bias gradient is clnn_conv2d_backward_bias. */
CLNN_API clnn_status clnn_conv_transpose2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                                   const clnn_tensor *b, const clnn_conv2d_options *params,
                                                   clnn_tensor *y);
/* dx = dL/dx (overwrites dx). */
CLNN_API clnn_status clnn_conv_transpose2d_backward_data(clnn_context *ctx, const clnn_tensor *dy,
                                                         const clnn_tensor *w, const clnn_conv2d_options *params,
                                                         clnn_tensor *dx);
/* dw = dL/dw summed over the batch (params->accumulate 1 adds to dw). */
CLNN_API clnn_status clnn_conv_transpose2d_backward_weights(clnn_context *ctx, const clnn_tensor *x,
                                                            const clnn_tensor *dy, const clnn_conv2d_options *params,
                                                            clnn_tensor *dw);

/* 1-D convolution (PyTorch's conv1d): x, dx [N, C, L]; w, dw [K, C/groups,
 * R]; b, db [K]; y, dy [N, K, P] with P = (L + 2*pad + pad_extra -
 * dilation*(R-1) - 1) / stride + 1; the fields mean what conv2d's do along
 * the width (pad_same, the padding modes, accumulate), and it runs as conv2d
 * of height 1. The bias gradient is clnn_conv2d_backward_bias (dy [N, K, P]). */
typedef struct clnn_conv1d_options {
    size_t size;      /* sizeof(clnn_conv1d_options), set by clnn_conv1d_options_init */
    int stride;       /* >= 1 */
    int pad;          /* >= 0: left padding; the right one is pad + pad_extra */
    int dilation;     /* >= 1 */
    int groups;       /* >= 1, divides C and K */
    int padding_mode; /* a clnn_padding_mode */
    int pad_same;     /* 0, or 1: padding='same' (stride 1, pad and pad_extra 0) */
    int pad_extra;    /* >= -pad */
    int accumulate;   /* backward weights: 0 overwrites dw, 1 adds to it */
} clnn_conv1d_options;

/* stride 1, no padding, dilation 1, one group, zeros, no accumulation. */
CLNN_API void clnn_conv1d_options_init(clnn_conv1d_options *opt);
CLNN_API clnn_status clnn_conv1d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                         const clnn_tensor *b, const clnn_conv1d_options *params, clnn_tensor *y);
CLNN_API clnn_status clnn_conv1d_backward_data(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *w,
                                               const clnn_conv1d_options *params, clnn_tensor *dx);
CLNN_API clnn_status clnn_conv1d_backward_weights(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                                  const clnn_conv1d_options *params, clnn_tensor *dw);

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
