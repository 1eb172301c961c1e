/* Shared host code of the attention family: option defaults, the checks of
 * q, k, v, options and masks, and the family's tunables list with its
 * exercise. */
#include "attention/attention_internal.h"
#include "tune_family.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CLNN_TABLE "attention/attention_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

void clnn_attention_options_init(clnn_attention_options *opt)
{
    if (!opt) return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->causal = CLNN_ATTN_CAUSAL_NONE;
    opt->scale = 0.0f;
    opt->dropout_p = 0.0f;
}

/* ---------------------------------------------------------------- tuning */

/* One head, P0 queries, P1 keys, head size 32 (1 for the dropout), bottom-right causal: the row
 * kernels launch on problem {P0, P1} as the tuner asked; the dropout (p =
 * 0.1) on {P0 * P1, 1}; the memory-efficient kernels on {P0, P0} (forward,
 * delta, dq: rows, rows per kv head) and {P1, P1} (dk/dv: keys, keys per kv head). */
static clnn_status exercise_attention(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t sq = problem[0] ? problem[0] : 1, sk = problem[1] ? problem[1] : 1, d = 32;
    if (t == &clnn__attn_dropout) sq = problem[0] * (problem[1] ? problem[1] : 1), sk = 1, d = 1;
    clnn_tensor *q = EX_RAND(&b, 1, 1, sq, d), *k = EX_RAND(&b, 1, 1, sk, d), *v = EX_RAND(&b, 1, 1, sk, d);
    clnn_tensor *out = EX_RAND(&b, 1, 1, sq, d);
    clnn_attention_options o;
    clnn_attention_options_init(&o);
    o.causal = CLNN_ATTN_CAUSAL_BOTTOM_RIGHT;
    if (t == &clnn__attn_flash_forward || t == &clnn__attn_flash_delta || t == &clnn__attn_flash_dq ||
        t == &clnn__attn_flash_dkv) {
        o.dropout_p = 0.1f;
        clnn_tensor *lse = EX_RAND(&b, 1, 1, sq, 0);
        EX_STEP(&b, clnn_attention_flash_forward(ctx, q, k, v, NULL, NULL, &o, out, lse));
        if (t != &clnn__attn_flash_forward)
            EX_STEP(&b, clnn_attention_flash_backward(ctx, q, k, v, NULL, NULL, out, lse, EX_RAND(&b, 1, 1, sq, d), &o,
                                                      EX_RAND(&b, 1, 1, sq, d), EX_RAND(&b, 1, 1, sk, d),
                                                      EX_RAND(&b, 1, 1, sk, d)));
        return clnn__exercise_end(&b);
    }
    if (t == &clnn__attn_dropout) o.dropout_p = 0.1f, o.causal = CLNN_ATTN_CAUSAL_NONE;
    clnn_tensor *probs = EX_RAND(&b, 1, 1, sq, sk);
    EX_STEP(&b, clnn_attention_sdpa_forward(ctx, q, k, v, NULL, NULL, &o, probs, out));
    if (t == &clnn__attn_softmax_backward)
        EX_STEP(&b, clnn_attention_sdpa_backward(ctx, q, k, v, probs, out, &o, EX_RAND(&b, 1, 1, sq, d),
                                                 EX_RAND(&b, 1, 1, sk, d), EX_RAND(&b, 1, 1, sk, d)));
    return clnn__exercise_end(&b);
}

/* ---------------------------------------------------------------- checks */

clnn_status clnn__attn_check_qkv(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *q,
                                 const clnn_tensor *k, const clnn_tensor *v, clnn__attn_geom *g)
{
    TRY(clnn__check_shape(ctx, fn, d, "q", q, "B,H,Q,D"));
    TRY(clnn__check_count32(ctx, fn, "q", q));
    TRY(clnn__check_shape(ctx, fn, d, "k", k, "B,G,K,D"));
    TRY(clnn__check_count32(ctx, fn, "k", k));
    TRY(clnn__check_shape(ctx, fn, d, "v", v, "B,G,K,E"));
    TRY(clnn__check_count32(ctx, fn, "v", v));
    size_t H = clnn__dim(d, 'H'), G = clnn__dim(d, 'G');
    CHECK_SHAPE(ctx, H % G == 0, "%s: q has %zu heads, not a multiple of k's %zu", fn, H, G);
    size_t Sq = clnn__dim(d, 'Q'), Sk = clnn__dim(d, 'K'), BH = clnn__dim(d, 'B') * H;
    CHECK_SHAPE(ctx, Sk <= UINT32_MAX / (Sq ? Sq : 1) && Sq * Sk <= UINT32_MAX / (BH ? BH : 1),
                "%s: B*Hd*Sq*Sk = %zu*%zu*%zu does not fit 32-bit indices", fn, BH, Sq, Sk);
    *g = (clnn__attn_geom){clnn__dim(d, 'B'), H, G, H / G, Sq, Sk, clnn__dim(d, 'D'), clnn__dim(d, 'E')};
    return CLNN_OK;
}

clnn_status clnn__attn_check_options(clnn_context *ctx, const char *fn, const clnn_attention_options *opt,
                                     const clnn__attn_geom *g, float *scale)
{
    CHECK_ARG(ctx, opt->causal >= CLNN_ATTN_CAUSAL_NONE && opt->causal <= CLNN_ATTN_CAUSAL_BOTTOM_RIGHT,
              "%s: causal = %d must be CLNN_ATTN_CAUSAL_NONE, _TOP_LEFT or _BOTTOM_RIGHT (0, 1, 2)", fn,
              opt->causal);
    CHECK_ARG(ctx, clnn__is_finite(opt->scale), "%s: scale = %g must be finite (0: 1/sqrt(D))", fn,
              (double)opt->scale);
    TRY(clnn__check_drop_p(ctx, fn, opt->dropout_p));
    *scale = opt->scale != 0.0f ? opt->scale : (float)(1.0 / sqrt((double)g->D));
    return CLNN_OK;
}

clnn_status clnn__attn_check_masks(clnn_context *ctx, const char *fn, clnn__dims *d, const clnn_tensor *q,
                                   const clnn_tensor *mask, const clnn_tensor *key_padding,
                                   const clnn__attn_geom *g, clnn__attn_masks *m)
{
    memset(m, 0, sizeof *m);
    m->mask = m->kpm_buf = q->buffer; /* never read by the variants without them */
    if (mask) {
        TRY(clnn__check_tensor(ctx, fn, "mask", mask));
        CHECK_SHAPE(ctx, mask->dtype == CLNN_FLOAT32 || mask->dtype == CLNN_INT32,
                    "%s: mask must be float32 (added) or int32 (boolean)", fn);
        char s[64];
        const size_t *sh = mask->shape;
        int ok = mask->ndim == 2 ? sh[0] == g->Sq && sh[1] == g->Sk
                 : mask->ndim == 4 ? (sh[0] == 1 || sh[0] == g->B) && (sh[1] == 1 || sh[1] == g->H) &&
                                         sh[2] == g->Sq && sh[3] == g->Sk
                                   : 0;
        CHECK_SHAPE(ctx, ok, "%s: mask is %s but must be [%zu, %zu] or [%zu or 1, %zu or 1, %zu, %zu]", fn,
                    clnn__shape_str(mask, s, sizeof s), g->Sq, g->Sk, g->B, g->H, g->Sq, g->Sk);
        size_t plane = g->Sq * g->Sk;
        if (mask->ndim == 4) {
            m->msh = sh[1] == 1 ? 0 : (cl_uint)plane;
            m->msb = sh[0] == 1 ? 0 : (cl_uint)(sh[1] * plane);
        }
        m->kind = mask->dtype == CLNN_FLOAT32 ? 1 : 2;
        m->mask = mask->buffer;
    }
    if (key_padding) {
        TRY(clnn__check_shape(ctx, fn, d, "key_padding", key_padding, "i32:B,K"));
        m->kpm = 1;
        m->kpm_buf = key_padding->buffer;
    }
    if (m->kind || m->kpm) snprintf(m->variant, sizeof m->variant, "-DATTN_MASK=%d -DATTN_KPM=%d", m->kind, m->kpm);
    return CLNN_OK;
}
