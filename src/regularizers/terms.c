/* Values and gradients of the elementwise weight terms (L2, L1, elastic net,
 * each optionally masked): one reduction functor k·(c1|w| + c2·w²) and one
 * gradient functor k·(c1·sign(w) + c2·w) cover them all. */
#include "regularizers/regularizers_internal.h"

/* The term's coefficients: value uses (c1, c2/2), gradient (c1, c2). */
static clnn_status term_coefs(clnn_context *ctx, const char *fn, const clnn_reg *reg, float *c1, float *c2)
{
    CHECK_ARG(ctx, reg != NULL, "%s: reg is NULL", fn);
    CHECK_ARG(ctx, reg->kind == CLNN_REG_L2 || reg->kind == CLNN_REG_L1 || reg->kind == CLNN_REG_ELASTIC_NET,
              "%s: reg->kind %d has no value (use L2, L1 or ELASTIC_NET)", fn, (int)reg->kind);
    TRY(clnn__check_range(ctx, fn, "reg->strength", reg->strength, 0.0f, INFINITY));
    if (reg->kind == CLNN_REG_ELASTIC_NET) TRY(clnn__check_range(ctx, fn, "reg->strength2", reg->strength2, 0.0f, INFINITY));
    *c1 = reg->kind == CLNN_REG_L2 ? 0.0f : reg->strength;
    *c2 = reg->kind == CLNN_REG_L2 ? reg->strength : reg->kind == CLNN_REG_ELASTIC_NET ? reg->strength2 : 0.0f;
    return CLNN_OK;
}

/* The term, w, its mask (may be NULL) and the output of a value or gradient
 * call (like_w: w's element count); the coefficients go to c1, c2. */
static clnn_status check_term(clnn_context *ctx, const char *fn, const clnn_reg *reg, const clnn_tensor *w,
                              const clnn_tensor *mask, const char *out_name, const clnn_tensor *out, int like_w,
                              float *c1, float *c2)
{
    TRY(term_coefs(ctx, fn, reg, c1, c2));
    TRY(clnn__check_f32(ctx, fn, "w", w, 0));
    if (mask) TRY(clnn__check_f32(ctx, fn, "mask", mask, w->count));
    return clnn__check_f32(ctx, fn, out_name, out, like_w ? w->count : 0);
}

clnn_status clnn_reg_value(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *mask, const clnn_reg *reg,
                           clnn_tensor *value)
{
    CLNN_ENTRY(ctx);
    float c1, c2;
    TRY(check_term(ctx, fn, reg, w, mask, "value", value, 0, &c1, &c2));
    clnn__reduce_desc d = {w->buffer, mask ? mask->buffer : NULL, REDUCE_TERM_ABS_SQ, REDUCE_POST_NONE,
                           1, (cl_uint)w->count, 0, 1, 1, c1, 0.5f * c2, 1.0f};
    return clnn__reduce(ctx, fn, &d, value->buffer, 0);
}

clnn_status clnn_reg_grad(clnn_context *ctx, const clnn_tensor *w, const clnn_tensor *mask, const clnn_reg *reg,
                          clnn_tensor *grad)
{
    CLNN_ENTRY(ctx);
    float c1, c2;
    TRY(check_term(ctx, fn, reg, w, mask, "grad", grad, 1, &c1, &c2));
    CHECK_ARG(ctx, !clnn__alias(grad, w) && (!mask || !clnn__alias(grad, mask)),
              "%s: grad shares its buffer with w or mask", fn);
    cl_uint n = (cl_uint)w->count;
    cl_mem mk = mask ? mask->buffer : w->buffer;
    clnn__karg a[] = {KARG_BUF(w->buffer), KARG_BUF(mk), KARG_BUF(grad->buffer), KARG(n), KARG(c1), KARG(c2)};
    return clnn__reg_terms_run(ctx, fn, REG_TERMS_GRAD, mask ? "-DHAS_MASK=1" : "-DHAS_MASK=0", n, 6, a);
}
