/* conv1d as conv2d of height 1: [N, C, L] is [N, C, 1, L] in memory, the
 * window [K, C/G, R] is [K, C/G, 1, R], and the options apply to the width;
 * the passes are conv.c's. */
#include "conv_internal.h"

/* Validates a call: img [N, C, L] (x or dx), filt [K, C/G, R] (w or dw),
 * out [N, K, P] (y or dy); g: the conv2d geometry of height 1. */
static clnn_status conv1d_validate(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_conv1d_options *prm,
                                   const clnn_tensor *img, const char *img_name, const clnn_tensor *filt,
                                   const char *filt_name, const clnn_tensor *out, const char *out_name,
                                   clnn__conv_geom *g)
{
    TRY(clnn__conv_check_axis(ctx, fn, "", prm->stride, prm->dilation, prm->pad, prm->pad_extra, 0, 0));
    TRY(clnn__conv_check_common(ctx, fn, prm->groups, prm->padding_mode, prm->pad_same, prm->accumulate,
                                prm->stride == 1, !prm->pad && !prm->pad_extra, !prm->pad_extra, 0));
    TRY(clnn__check_shape(ctx, fn, d, img_name, img, "N,C,L"));
    TRY(clnn__check_shape(ctx, fn, d, filt_name, filt, "K,_,R"));
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "_,_,_")); /* its sizes once P is known */
    size_t N = img->shape[0], C = img->shape[1], L = img->shape[2], K = filt->shape[0], R = filt->shape[2],
           G = (size_t)prm->groups;
    CHECK_SHAPE(ctx, C % G == 0 && K % G == 0,
                "%s: groups = %zu must divide the %zu input channels of %s and the %zu filters of %s", fn, G, C,
                img_name, K, filt_name);
    CHECK_SHAPE(ctx, filt->shape[1] == C / G, "%s: %s has %zu input channels per filter, expected C/groups = %zu",
                fn, filt_name, filt->shape[1], C / G);
    *g = (clnn__conv_geom){N, C, 1, L, K, 1, R, 1, 0, G, C / G * R, 1, prm->stride, 1, prm->dilation, 0, 0, 0, 0,
                           prm->padding_mode, prm->accumulate};
    TRY(clnn__conv_axis(ctx, fn, "length", filt_name, L, R, prm->stride, prm->dilation, prm->pad, prm->pad_extra,
                        prm->pad_same, prm->padding_mode, &g->pl, &g->pr, &g->Q));
    clnn__dims_bind(d, 'P', g->Q, "params");
    TRY(clnn__check_shape(ctx, fn, d, out_name, out, "N,K,P"));
    return clnn__conv_check_sizes(ctx, fn, g);
}

void clnn_conv1d_options_init(clnn_conv1d_options *opt)
{
    if (!opt) return;
    *opt = (clnn_conv1d_options){sizeof *opt, 1, 0, 1, 1, CLNN_PAD_ZEROS, 0, 0, 0};
}

clnn_status clnn_conv1d_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *w, const clnn_tensor *b,
                                const clnn_conv1d_options *params, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv1d_options, prm, params);
    clnn__conv_geom g;
    TRY(conv1d_validate(ctx, fn, &dims, &prm, x, "x", w, "w", y, "y", &g));
    if (b) {
        TRY(clnn__check_tensor(ctx, fn, "b", b));
        CHECK_SHAPE(ctx, b->dtype == CLNN_FLOAT32 && b->count == g.K,
                    "%s: b must be a float32 tensor of %zu elements (one per filter)", fn, g.K);
    }
    return clnn__conv_pass(ctx, fn, CLNN__CONV_FORWARD, &g, x->buffer, w->buffer, y->buffer, b ? b->buffer : NULL);
}

clnn_status clnn_conv1d_backward_data(clnn_context *ctx, const clnn_tensor *dy, const clnn_tensor *w,
                                      const clnn_conv1d_options *params, clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv1d_options, prm, params);
    clnn__conv_geom g;
    TRY(conv1d_validate(ctx, fn, &dims, &prm, dx, "dx", w, "w", dy, "dy", &g));
    return clnn__conv_pass(ctx, fn, CLNN__CONV_DATA, &g, dx->buffer, w->buffer, dy->buffer, NULL);
}

clnn_status clnn_conv1d_backward_weights(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *dy,
                                         const clnn_conv1d_options *params, clnn_tensor *dw)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS(clnn_conv1d_options, prm, params);
    clnn__conv_geom g;
    TRY(conv1d_validate(ctx, fn, &dims, &prm, x, "x", dw, "dw", dy, "dy", &g));
    return clnn__conv_pass(ctx, fn, CLNN__CONV_WEIGHTS, &g, x->buffer, dw->buffer, dy->buffer, NULL);
}
