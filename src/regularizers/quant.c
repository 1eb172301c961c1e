/* Fake quantization (cl/regularizers_quant.cl): scale and zero point from the range
 * of a tensor or of each output channel (the max reduction of
 * cl/reduce_deterministic.cl), the quantize-dequantize forward, the straight-through
 * backward and additive uniform quantization noise. */
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

/* q valid; x fp32; scale (and zero unless symmetric, where it may be NULL)
 * hold one value per channel; *channels receives that count. */
static clnn_status check_quant(clnn_context *ctx, const char *fn, const clnn_quant_options *q, const clnn_tensor *x,
                               const clnn_tensor *scale, const clnn_tensor *zero, size_t *channels)
{
    CHECK_ARG(ctx, q->bits >= 2 && q->bits <= 8, "%s: q->bits = %d is outside [2, 8]", fn, q->bits);
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    *channels = q->per_channel ? x->shape[0] : 1;
    TRY(clnn__check_f32(ctx, fn, "scale", scale, *channels));
    CHECK_ARG(ctx, zero != NULL || q->symmetric, "%s: zero is NULL (needed unless q->symmetric)", fn);
    if (zero) {
        TRY(clnn__check_f32(ctx, fn, "zero", zero, *channels));
        CHECK_ARG(ctx, !clnn__alias(zero, scale), "%s: zero and scale are the same buffer", fn);
    }
    return CLNN_OK;
}

/* The caller's options q copied into *o, then checked with x, scale and zero
 * (check_quant). */
static clnn_status quant_args(clnn_context *ctx, const char *fn, const clnn_quant_options *q, const clnn_tensor *x,
                              const clnn_tensor *scale, const clnn_tensor *zero, clnn_quant_options *o,
                              size_t *channels)
{
    TRY(quant_options(ctx, fn, q, o));
    return check_quant(ctx, fn, o, x, scale, zero, channels);
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

/* The elements of one channel, as a divisor: a flat index's channel is index / inner. */
static cl_uint4 channel_inner(const clnn_quant_options *q, const clnn_tensor *x)
{
    return clnn__divisor((cl_uint)(q->per_channel ? x->count / x->shape[0] : x->count));
}

/* The fake_quant kernel in mode 0 (forward) or 1 (backward, din = dy). */
static clnn_status fake_quant_run(clnn_context *ctx, const char *fn, int mode, const clnn_quant_options *q,
                                  const clnn_tensor *x, const clnn_tensor *scale, const clnn_tensor *zero,
                                  const clnn_tensor *din, clnn_tensor *out)
{
    char variant[32];
    snprintf(variant, sizeof variant, "-DMODE=%d -DSYMMETRIC=%d", mode, q->symmetric != 0);
    cl_uint n = (cl_uint)x->count;
    cl_uint4 inner = channel_inner(q, x);
    cl_int bits = q->bits;
    cl_mem zb = zero ? zero->buffer : scale->buffer, db = din ? din->buffer : x->buffer;
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(scale->buffer), KARG_BUF(zb), KARG_BUF(db),
                      KARG_BUF(out->buffer), KARG(n), KARG(inner), KARG(bits)};
    size_t p[2] = {n, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_fake_quant, variant, p, sizeof a / sizeof a[0], a);
}

void clnn_quant_options_init(clnn_quant_options *opt)
{
    if (!opt) return;
    *opt = (clnn_quant_options){sizeof *opt, 8, 1, 0};
}

clnn_status clnn_quant_params(clnn_context *ctx, const clnn_tensor *x, const clnn_quant_options *q, clnn_tensor *scale,
                              clnn_tensor *zero)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    size_t nch;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &nch));
    CHECK_ARG(ctx, !clnn__alias(scale, x) && (!zero || !clnn__alias(zero, x)),
              "%s: scale or zero is the same buffer as x", fn);
    cl_mem ext; /* [0, nch): max(0, max x); [nch, 2 nch): max(0, max −x) */
    TRY(clnn__scratch(ctx, fn, 2 * nch, &ext));
    cl_uint len = (cl_uint)(x->count / nch);
    clnn_status st = CLNN_OK;
    for (int neg = 0; neg < 2 && st == CLNN_OK; neg++) {
        clnn__reduce_desc d = {x->buffer, NULL, REDUCE_TERM_MAX, REDUCE_POST_NONE, (cl_uint)nch, len, len, 1, 1,
                               neg ? -1.0f : 1.0f, 0.0f, 1.0f};
        st = clnn__reduce(ctx, fn, &d, ext, (cl_uint)(neg * nch));
    }
    if (st == CLNN_OK) {
        char variant[24];
        snprintf(variant, sizeof variant, "-DSYMMETRIC=%d", o.symmetric != 0);
        cl_uint c = (cl_uint)nch;
        cl_int bits = o.bits;
        cl_mem zb = zero ? zero->buffer : scale->buffer; /* symmetric without zero: the kernel writes zero, then scale */
        clnn__karg a[] = {KARG_BUF(ext), KARG_BUF(scale->buffer), KARG_BUF(zb), KARG(c), KARG(bits)};
        size_t p[2] = {nch, 1};
        st = clnn__run_variant(ctx, fn, &clnn__tune_quant_params, variant, p, 5, a);
    }
    clReleaseMemObject(ext);
    return st;
}

clnn_status clnn_fake_quant_forward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                    const clnn_tensor *zero, const clnn_quant_options *q, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    size_t nch;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &nch));
    TRY(check_out(ctx, fn, "y", y, x, scale, zero));
    return fake_quant_run(ctx, fn, 0, &o, x, scale, zero, NULL, y);
}

clnn_status clnn_fake_quant_backward(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                                     const clnn_tensor *zero, const clnn_tensor *dy, const clnn_quant_options *q,
                                     clnn_tensor *dx)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    size_t nch;
    TRY(quant_args(ctx, fn, q, x, scale, zero, &o, &nch));
    TRY(clnn__check_f32(ctx, fn, "dy", dy, x->count));
    TRY(check_out(ctx, fn, "dx", dx, x, scale, zero));
    CHECK_ARG(ctx, !clnn__alias(dx, x), "%s: dx and x are the same buffer", fn);
    return fake_quant_run(ctx, fn, 1, &o, x, scale, zero, dy, dx);
}

clnn_status clnn_quant_noise(clnn_context *ctx, const clnn_tensor *x, const clnn_tensor *scale,
                             const clnn_quant_options *q, uint64_t seed, uint32_t stream, clnn_tensor *y)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    TRY(quant_options(ctx, fn, q, &o));
    o.symmetric = 1; /* the noise needs no zero point and no integer range */
    o.bits = 8;
    size_t nch;
    TRY(check_quant(ctx, fn, &o, x, scale, NULL, &nch));
    TRY(check_out(ctx, fn, "y", y, x, scale, NULL));
    cl_uint n = (cl_uint)x->count, sm = stream;
    cl_uint4 inner = channel_inner(&o, x);
    cl_ulong sd = seed;
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(scale->buffer), KARG_BUF(y->buffer), KARG(n), KARG(inner),
                      KARG(sd), KARG(sm)};
    size_t p[2] = {n, 1};
    return clnn__run(ctx, fn, &clnn__tune_quant_noise, p, sizeof a / sizeof a[0], a);
}
