/* Transposed convolution (PyTorch's conv_transpose2d) as the adjoint of
 * conv2d: a conv2d geometry whose image is the transposed convolution's
 * output y [N, K, P, Q] and whose output is its input x [N, C, H, W], with
 * the filters w [C, K/G, R, S] read as conv2d's [C filters, K/G channels].
 * Forward is that conv2d's data pass (GEMM + col2im gather) plus the bias,
 * backward data its forward pass and backward weights its weights pass:
 * deterministic, the kernels of conv.c. */
#include "conv_internal.h"

#include <limits.h>

/* Validates a call: x-like [N, C, H, W] (x or dx), filters [C, K/G, R, S]
 * (w or dw), y-like [N, K, P, Q] (y or dy); g: the adjoint conv2d's
 * geometry (image y, output x). */
static clnn_status transpose_validate(clnn_context *ctx, const char *fn, clnn__dims *d,
                                      const clnn_conv2d_options *prm, const clnn_tensor *in, const char *in_name,
                                      const clnn_tensor *filt, const char *filt_name, const clnn_tensor *out,
                                      const char *out_name, clnn__conv_geom *g)
{
    static const char *const suffix[2] = {"[0]", "[1]"};
    for (int i = 0; i < 2; i++)
        TRY(clnn__conv_check_axis(ctx, fn, suffix[i], prm->stride[i], prm->dilation[i], prm->pad[i],
                                  prm->pad_extra[i], prm->output_padding[i], 1));
    TRY(clnn__conv_check_common(ctx, fn, prm->groups, prm->padding_mode, prm->pad_same, prm->accumulate,
                                prm->stride[0] == 1 && prm->stride[1] == 1,
                                !prm->pad[0] && !prm->pad[1] && !prm->pad_extra[0] && !prm->pad_extra[1],
                                !prm->pad_extra[0] && !prm->pad_extra[1], 1));
    TRY(clnn__check_shape(ctx, fn, d, in_name, in, "N,C,H,W"));
    TRY(clnn__check_shape(ctx, fn, d, filt_name, filt, "C,_,R,S"));
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "_,_,_,_")); /* its sizes once K, P and Q are known */
    size_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3];
    size_t G = (size_t)prm->groups, R = filt->shape[2], S = filt->shape[3];
    CHECK_SHAPE(ctx, C % G == 0, "%s: groups = %zu must divide the %zu input channels of %s", fn, G, C, in_name);
    size_t K = filt->shape[1] * G;
    long long ext[2];
    const size_t n[2] = {H, W}, k[2] = {R, S};
    for (int i = 0; i < 2; i++) {
        /* PyTorch: (n-1)*stride - 2*pad + dilation*(k-1) + output_padding + 1 */
        ext[i] = ((long long)n[i] - 1) * prm->stride[i] - 2LL * prm->pad[i] + (long long)prm->dilation[i] * ((long long)k[i] - 1) +
                 prm->output_padding[i] + 1;
        CHECK_SHAPE(ctx, ext[i] >= 1 && ext[i] <= (long long)UINT_MAX,
                    "%s: the output %s (%zu-1)*%d - 2*%d + %d*(%zu-1) + %d + 1 = %lld must be in [1, 2^32)", fn,
                    i ? "width" : "height", n[i], prm->stride[i], prm->pad[i], prm->dilation[i], k[i],
                    prm->output_padding[i], ext[i]);
    }
    clnn__dims_bind(d, 'K', K, filt_name);
    clnn__dims_bind(d, 'P', (size_t)ext[0], "params");
    clnn__dims_bind(d, 'Q', (size_t)ext[1], "params");
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "N,K,P,Q"));
    *g = (clnn__conv_geom){N, K, (size_t)ext[0], (size_t)ext[1], C, R, S, H, W, G, K / G * R * S,
                           prm->stride[0], prm->stride[1], prm->dilation[0], prm->dilation[1], prm->pad[0],
                           prm->pad[0], prm->pad[1], prm->pad[1], CLNN_PAD_ZEROS, prm->accumulate};
    return clnn__conv_check_sizes(ctx, fn, g);
}

clnn_status clnn_conv_transpose2d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w,
                                          const clnn_tensor *b, const clnn_conv2d_options *params, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv2d_options, prm, params);
    clnn__conv_geom g;
    TRY(transpose_validate(ctx, fn, &dims, &prm, x, "x", w, "w", y, "y", &g));
    if (b) {
        TRY(clnn__check_tensor(ctx, fn, "b", b));
        CHECK_SHAPE(ctx, b->dtype == CLNN_FLOAT32 && b->count == g.C,
                    "%s: b must be a float32 tensor of %zu elements (one per output channel)", fn, g.C);
    }
    TRY(clnn__conv_pass(ctx, fn, CLNN__CONV_DATA, &g, y->buffer, w->buffer, x->buffer, NULL));
    size_t plane = g.H * g.W;
    return b ? clnn__conv_bias_add(ctx, fn, y->buffer, b->buffer, g.N * g.C * plane, plane, g.C) : CLNN_OK;
}

clnn_status clnn_conv_transpose2d_backward_data(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *w,
                                                const clnn_conv2d_options *params, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv2d_options, prm, params);
    clnn__conv_geom g;
    TRY(transpose_validate(ctx, fn, &dims, &prm, dx, "dx", w, "w", dy, "dy", &g));
    return clnn__conv_pass(ctx, fn, CLNN__CONV_FORWARD, &g, dy->buffer, w->buffer, dx->buffer, NULL);
}

clnn_status clnn_conv_transpose2d_backward_weights(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                                   const clnn_conv2d_options *params, clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv2d_options, prm, params);
    clnn__conv_geom g;
    TRY(transpose_validate(ctx, fn, &dims, &prm, x, "x", dw, "dw", dy, "dy", &g));
    return clnn__conv_pass(ctx, fn, CLNN__CONV_WEIGHTS, &g, dy->buffer, dw->buffer, x->buffer, NULL);
}
