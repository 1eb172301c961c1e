/* Fake quantization (cl/regularizers_quant.cl): scale and zero point from the range
 * of a tensor or of each output channel (the max reduction of
 * cl/reduce_deterministic.cl), the quantize-dequantize forward, the straight-through
 * backward, the LSQ backward (learned step size) and additive uniform
 * quantization noise; channels along any axis. */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

/* The caller's options (not NULL) copied into *q (clnn__options_copy). */
static clnn_status quant_options(clnn_context *ctx, const char *fn, const clnn_quant_options *arg,
                                 clnn_quant_options *q)
{
    CHECK_ARG(ctx, arg != NULL, "%s: q is NULL", fn);
    clnn_quant_options_init(q);
    return clnn__options_copy(ctx, fn, "q", q, sizeof *q, arg);
}

/* x as [outer, nch, inner] around the channel dimension (per tensor: [1, 1, count]). */
typedef struct quant_geom {
    size_t outer, nch, inner;
} quant_geom;

/* q valid; x fp32; scale (and zero unless symmetric, where it may be NULL)
 * hold one value per channel; *g receives the channel geometry. */
static clnn_status check_quant(clnn_context *ctx, const char *fn, const clnn_quant_options *q, const clnn_tensor *x,
                               const clnn_tensor *scale, const clnn_tensor *zero, quant_geom *g)
{
    CHECK_ARG(ctx, q->bits >= 2 && q->bits <= 8, "%s: q->bits = %d is outside [2, 8]", fn, q->bits);
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    *g = (quant_geom){1, 1, x->count};
    if (q->per_channel) {
        const int nd = (int)x->ndim;
        CHECK_ARG(ctx, q->axis >= -nd && q->axis < nd, "%s: q->axis = %d is outside [%d, %d] for x of %d dimensions",
                  fn, q->axis, -nd, nd - 1, nd);
        const size_t ax = (size_t)(q->axis < 0 ? q->axis + nd : q->axis);
        g->nch = x->shape[ax];
        g->inner = 1;
        for (size_t d = 0; d < ax; d++) g->outer *= x->shape[d];
        for (size_t d = ax + 1; d < (size_t)nd; d++) g->inner *= x->shape[d];
    }
    TRY(clnn__check_f32(ctx, fn, "scale", scale, g->nch));
    CHECK_ARG(ctx, zero != NULL || q->symmetric, "%s: zero is NULL (needed unless q->symmetric)", fn);
    if (zero) {
        TRY(clnn__check_f32(ctx, fn, "zero", zero, g->nch));
        CHECK_ARG(ctx, !clnn__alias(zero, scale), "%s: zero and scale are the same buffer", fn);
    }
    return CLNN_OK;
}

/* The caller's options q copied into *o, then checked with x, scale and zero
 * (check_quant). */
static clnn_status quant_args(clnn_context *ctx, const char *fn, const clnn_quant_options *q, const clnn_tensor *x,
                              const clnn_tensor *scale, const clnn_tensor *zero, clnn_quant_options *o,
                              quant_geom *g)
{
    TRY(quant_options(ctx, fn, q, o));
    return check_quant(ctx, fn, o, x, scale, zero, g);
}

/* out must not overwrite the parameters; out has x's element count. */
static clnn_status check_out(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *out,
                             const clnn_tensor *x, const clnn_tensor *scale, const clnn_tensor *zero)
{
    TRY(clnn__check_f32(ctx, fn, name, out, x->count));
    CHECK_ARG(ctx, !clnn__alias(out, scale) && (!zero || !clnn__alias(out, zero)),
              "%s: %s shares its buffer with scale or zero", fn, name);
    return CLNN_OK;
}

/* The fake_quant kernel in mode 0 (forward) or 1 (backward, din = dy). */
static clnn_status fake_quant_run(clnn_context *ctx, const char *fn, int mode, const clnn_quant_options *q,
                                  const quant_geom *g, const clnn_tensor *x, const clnn_tensor *scale, const clnn_tensor *zero,
                                  const clnn_tensor *din, clnn_tensor *out)
{
    char variant[32];
    snprintf(variant, sizeof variant, "-DMODE=%d -DSYMMETRIC=%d", mode, q->symmetric != 0);
    cl_uint n = (cl_uint)x->count;
    cl_uint4 inner = clnn__divisor((cl_uint)g->inner), nch = clnn__divisor((cl_uint)g->nch);
    cl_int bits = q->bits;
    cl_mem zb = zero ? zero->buffer : scale->buffer, db = din ? din->buffer : x->buffer;
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(scale->buffer), KARG_BUF(zb), KARG_BUF(db),
                      KARG_BUF(out->buffer), KARG(n), KARG(inner), KARG(nch), KARG(bits)};
    size_t p[2] = {n, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_fake_quant, variant, p, sizeof a / sizeof a[0], a);
}

void clnn_quant_options_init(clnn_quant_options *opt)
{
    if (!opt) return;
    *opt = (clnn_quant_options){sizeof *opt, 8, 1, 0, 0};
}

/* x in channel-major order [nch, outer, inner] into out (n floats). */
static clnn_status to_channel_major(clnn_context *ctx, const char *fn, const quant_geom *g, cl_mem x, cl_uint n,
                                    cl_mem out)
{
    cl_uint4 inner = clnn__divisor((cl_uint)g->inner), nch = clnn__divisor((cl_uint)g->nch);
    cl_uint outer = (cl_uint)g->outer;
    clnn__karg a[] = {KARG_BUF(x), KARG_BUF(out), KARG(n), KARG(inner), KARG(nch), KARG(outer)};
    size_t p[2] = {n, 1};
    return clnn__run(ctx, fn, &clnn__tune_quant_channel_major, p, 6, a);
}

/* ext [2 nch] from xs, x with contiguous channels, then the parameters. */
static clnn_status params_run(clnn_context *ctx, const char *fn, const clnn_quant_options *o, cl_mem xs, size_t nch,
                              cl_uint len, cl_mem ext, clnn_tensor *scale, clnn_tensor *zero)
{
    for (int neg = 0; neg < 2; neg++) {
        clnn__reduce_desc d = {xs, NULL, REDUCE_TERM_MAX, REDUCE_POST_NONE, (cl_uint)nch, len, len, 1, 1,
                               neg ? -1.0f : 1.0f, 0.0f, 1.0f};
        TRY(clnn__reduce(ctx, fn, &d, ext, (cl_uint)(neg * nch)));
    }
    char variant[24];
    snprintf(variant, sizeof variant, "-DSYMMETRIC=%d", o->symmetric != 0);
    cl_uint c = (cl_uint)nch;
    cl_int bits = o->bits;
    cl_mem zb = zero ? zero->buffer : scale->buffer; /* symmetric without zero: the kernel writes zero, then scale */
    clnn__karg a[] = {KARG_BUF(ext), KARG_BUF(scale->buffer), KARG_BUF(zb), KARG(c), KARG(bits)};
    size_t p[2] = {nch, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_quant_params, variant, p, 5, a);
}

clnn_status clnn_quant_params(clnn_context *ctx, const clnn_tensor *x, const clnn_quant_options *q, clnn_tensor *scale,
                              clnn_tensor *zero)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    quant_geom g;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &g));
    CHECK_ARG(ctx, !clnn__alias(scale, x) && (!zero || !clnn__alias(zero, x)),
              "%s: scale or zero is the same buffer as x", fn);
    cl_mem ext, xs = NULL; /* ext [0, nch): max(0, max x); [nch, 2 nch): max(0, max −x) */
    TRY(clnn__scratch(ctx, fn, 2 * g.nch, &ext));
    clnn_status st = CLNN_OK;
    if (g.outer > 1) { /* a channel is not contiguous: reorder x first */
        st = clnn__scratch(ctx, fn, x->count, &xs);
        if (st == CLNN_OK) st = to_channel_major(ctx, fn, &g, x->buffer, (cl_uint)x->count, xs);
    }
    if (st == CLNN_OK)
        st = params_run(ctx, fn, &o, xs ? xs : x->buffer, g.nch, (cl_uint)(x->count / g.nch), ext, scale, zero);
    if (xs) clReleaseMemObject(xs);
    clReleaseMemObject(ext);
    return st;
}

clnn_status clnn_fake_quant_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                    const clnn_tensor *zero, const clnn_quant_options *q, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    quant_geom g;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &g));
    TRY(check_out(ctx, fn, "y", y, x, scale, zero));
    return fake_quant_run(ctx, fn, 0, &o, &g, x, scale, zero, NULL, y);
}

clnn_status clnn_fake_quant_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                     const clnn_tensor *zero, const clnn_tensor *dy, const clnn_quant_options *q,
                                     clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    quant_geom g;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &g));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, x->count));
    TRY(check_out(ctx, fn, "dx", dx, x, scale, zero));
    CHECK_ARG(ctx, !clnn__alias(dx, x), "%s: dx and x are the same buffer", fn);
    return fake_quant_run(ctx, fn, 1, &o, &g, x, scale, zero, dy, dx);
}

clnn_status clnn_quant_noise(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                             const clnn_quant_options *q, uint64_t seed, uint32_t stream, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    TRY(quant_options(ctx, fn, q, &o));
    o.symmetric = 1; /* the noise needs no zero point and no integer range */
    o.bits = 8;
    quant_geom g;
    TRY(check_quant(ctx, fn, &o, x, scale, NULL, &g));
    TRY(check_out(ctx, fn, "y", y, x, scale, NULL));
    cl_uint n = (cl_uint)x->count, sm = stream;
    cl_uint4 inner = clnn__divisor((cl_uint)g.inner), nch = clnn__divisor((cl_uint)g.nch);
    cl_ulong sd = seed;
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(scale->buffer), KARG_BUF(y->buffer), KARG(n), KARG(inner),
                      KARG(nch), KARG(sd), KARG(sm)};
    size_t p[2] = {n, 1};
    return clnn__run(ctx, fn, &clnn__tune_quant_noise, p, sizeof a / sizeof a[0], a);
}

/* The lsq_backward kernel (dx, then the terms of dscale in channel-major
 * order: dy into dyp, t into tp), then dscale[c] = g·Σ dy·t over channel
 * c's segment (the deterministic dot reduction). */
static clnn_status lsq_run(clnn_context *ctx, const char *fn, const clnn_quant_options *o, const quant_geom *g,
                           const clnn_tensor *x, const clnn_tensor *scale, const clnn_tensor *zero,
                           const clnn_tensor *dy, float factor, clnn_tensor *dx, clnn_tensor *dscale, cl_mem dyp,
                           cl_mem tp)
{
    char variant[24];
    snprintf(variant, sizeof variant, "-DSYMMETRIC=%d", o->symmetric != 0);
    cl_uint n = (cl_uint)x->count, outer = (cl_uint)g->outer, len = (cl_uint)(x->count / g->nch);
    cl_uint4 inner = clnn__divisor((cl_uint)g->inner), nch = clnn__divisor((cl_uint)g->nch);
    cl_int bits = o->bits;
    cl_mem zb = zero ? zero->buffer : scale->buffer;
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(scale->buffer), KARG_BUF(zb), KARG_BUF(dy->buffer),
                      KARG_BUF(dx->buffer), KARG_BUF(dyp), KARG_BUF(tp), KARG(n), KARG(inner), KARG(nch),
                      KARG(outer), KARG(bits)};
    size_t p[2] = {n, 1};
    TRY(clnn__run_variant(ctx, fn, &clnn__tune_lsq_backward, variant, p, sizeof a / sizeof a[0], a));
    clnn__reduce_desc d = {dyp, tp, REDUCE_TERM_DOT, REDUCE_POST_NONE, (cl_uint)g->nch, len, len, 1, 1,
                           0.0f, 0.0f, factor};
    return clnn__reduce(ctx, fn, &d, dscale->buffer, 0);
}

clnn_status clnn_lsq_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                              const clnn_tensor *zero, const clnn_tensor *dy, const clnn_quant_options *q,
                              float grad_factor, clnn_tensor *dx, clnn_tensor *dscale)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    quant_geom g;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &g));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, x->count));
    TRY(check_out(ctx, fn, "dx", dx, x, scale, zero));
    CHECK_ARG(ctx, !clnn__alias(dx, x), "%s: dx and x are the same buffer", fn);
    TRY(clnn__check_f32(ctx, fn, "dscale", dscale, g.nch));
    CHECK_ARG(ctx,
              !clnn__alias(dscale, x) && !clnn__alias(dscale, scale) && !clnn__alias(dscale, dy) &&
                  !clnn__alias(dscale, dx) && (!zero || !clnn__alias(dscale, zero)),
              "%s: dscale shares its buffer with x, scale, zero, dy or dx", fn);
    CHECK_ARG(ctx, clnn__is_finite(grad_factor) && grad_factor >= 0, "%s: grad_factor = %g is not finite and >= 0",
              fn, (double)grad_factor);
    const double qmax = o.symmetric ? (double)((1 << (o.bits - 1)) - 1) : (double)((1 << o.bits) - 1);
    const float factor = grad_factor > 0 ? grad_factor : (float)(1.0 / sqrt((double)x->count * qmax));
    cl_mem dyp, tp;
    TRY(clnn__scratch(ctx, fn, x->count, &dyp));
    clnn_status st = clnn__scratch(ctx, fn, x->count, &tp);
    if (st == CLNN_OK) {
        st = lsq_run(ctx, fn, &o, &g, x, scale, zero, dy, factor, dx, dscale, dyp, tp);
        clReleaseMemObject(tp);
    }
    clReleaseMemObject(dyp);
    return st;
}
