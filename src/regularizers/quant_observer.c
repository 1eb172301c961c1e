/* The moving-average min/max observer and its quantization parameters
 * (cl/regularizers_quant_observer.cl), as torch.ao.quantization's
 * MovingAverageMinMaxObserver and MovingAveragePerChannelMinMaxObserver. */
#include "regularizers/regularizers_internal.h"

#include <stdio.h>

static clnn_status observer_options(clnn_context *ctx, const char *fn, const clnn_quant_options *arg,
                                    clnn_quant_options *q)
{
    CHECK_ARG(ctx, arg != NULL, "%s: q is NULL", fn);
    clnn_quant_options_init(q);
    TRY(clnn__options_copy(ctx, fn, "q", q, sizeof *q, arg));
    CHECK_ARG(ctx, q->bits >= 2 && q->bits <= 8, "%s: q->bits = %d is outside [2, 8]", fn, q->bits);
    return CLNN_OK;
}

clnn_status clnn_quant_observer_update(clnn_context *ctx, const clnn_tensor *x, const clnn_quant_options *q,
                                       float averaging_constant, clnn_tensor *running)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    TRY(observer_options(ctx, fn, q, &o));
    TRY(clnn__check_f32(ctx, fn, "x", x, 0));
    size_t outer = 1, nch = 1, inner = x->count;
    if (o.per_channel) {
        const int nd = (int)x->ndim;
        CHECK_ARG(ctx, o.axis >= -nd && o.axis < nd, "%s: q->axis = %d is outside [%d, %d] for x of %d dimensions",
                  fn, o.axis, -nd, nd - 1, nd);
        const size_t ax = (size_t)(o.axis < 0 ? o.axis + nd : o.axis);
        nch = x->shape[ax], inner = 1;
        for (size_t d = 0; d < ax; d++) outer *= x->shape[d];
        for (size_t d = ax + 1; d < (size_t)nd; d++) inner *= x->shape[d];
    }
    TRY(clnn__check_f32(ctx, fn, "running", running, 2 * nch));
    CHECK_ARG(ctx, !clnn__alias(running, x), "%s: running and x are the same buffer", fn);
    CHECK_ARG(ctx, clnn__is_finite(averaging_constant) && averaging_constant > 0 && averaging_constant <= 1,
              "%s: averaging_constant = %g is outside (0, 1]", fn, (double)averaging_constant);
    cl_uint c = (cl_uint)nch, len = (cl_uint)(outer * inner);
    /* blocks of 256 lanes x about 16 elements per channel, at most 256: short work-items */
    cl_uint blocks = (len + 4095) / 4096;
    if (blocks > 256) blocks = 256;
    cl_mem partial;
    TRY(clnn__scratch(ctx, fn, 2 * nch * blocks, &partial));
    cl_uint4 in = clnn__divisor((cl_uint)inner);
    clnn__karg a[] = {KARG_BUF(x->buffer), KARG_BUF(partial), KARG(c), KARG(len), KARG(in), KARG(blocks)};
    size_t p[2] = {nch * blocks * 256, 1}; /* 256 lanes per block (OBS_LANES) */
    clnn_status st = clnn__run(ctx, fn, &clnn__tune_observer_partial, p, 6, a);
    if (st == CLNN_OK) {
        clnn__karg b[] = {KARG_BUF(partial), KARG_BUF(running->buffer), KARG(c), KARG(blocks),
                          KARG(averaging_constant)};
        size_t pc[2] = {nch, 1};
        st = clnn__run(ctx, fn, &clnn__tune_observer_apply, pc, 5, b);
    }
    clReleaseMemObject(partial);
    return st;
}

clnn_status clnn_quant_observer_params(clnn_context *ctx, const clnn_tensor *running, const clnn_quant_options *q,
                                       clnn_tensor *scale, clnn_tensor *zero)
{
    CLNN_ENTRY(ctx);
    clnn_quant_options o;
    TRY(observer_options(ctx, fn, q, &o));
    TRY(clnn__check_f32(ctx, fn, "running", running, 0));
    CHECK_SHAPE(ctx, running->count % 2 == 0, "%s: running has %zu values, not 2 per channel", fn, running->count);
    const size_t nch = running->count / 2;
    TRY(clnn__check_f32(ctx, fn, "scale", scale, nch));
    CHECK_ARG(ctx, zero != NULL || o.symmetric, "%s: zero is NULL (needed unless q->symmetric)", fn);
    if (zero) {
        TRY(clnn__check_f32(ctx, fn, "zero", zero, nch));
        CHECK_ARG(ctx, !clnn__alias(zero, scale), "%s: zero and scale are the same buffer", fn);
    }
    CHECK_ARG(ctx, !clnn__alias(scale, running) && (!zero || !clnn__alias(zero, running)),
              "%s: scale or zero is the same buffer as running", fn);
    char variant[24];
    snprintf(variant, sizeof variant, "-DSYMMETRIC=%d", o.symmetric != 0);
    cl_uint c = (cl_uint)nch;
    cl_int bits = o.bits;
    cl_mem zb = zero ? zero->buffer : scale->buffer;
    clnn__karg a[] = {KARG_BUF(running->buffer), KARG_BUF(scale->buffer), KARG_BUF(zb), KARG(c), KARG(bits)};
    size_t p[2] = {nch, 1};
    return clnn__run_variant(ctx, fn, &clnn__tune_observer_params, variant, p, 5, a);
}
