/* Shared by the attention option tests (standard and memory-efficient
 * paths): a case (shapes, masks, options), its inputs on host and device,
 * and the double reference written from the definition of PyTorch's
 * scaled_dot_product_attention:
 *   s_ij = scale q_i . k_j + mask_ij (float) or -inf (boolean mask 0, key
 *   padding, causal j > i (top-left) or j > i + Sk - Sq (bottom-right)),
 *   p_i = softmax_j(s_i) (0 when every s_ij is -inf), pd_ij = p_ij keep_ij / (1 - pdrop),
 *   out_i = sum_j pd_ij v_j, query head h reading kv head h / (H / G),
 * keep_ij = philox_uniform(seed, stream, offset + ((b H + h) Sq + i) Sk + j) >= pdrop
 * (tests/ref/ref_philox.c). Gradients by the chain rule: dpd_ij = dout_i . v_j,
 * dp = dpd keep / (1 - pdrop), ds = p (dp - sum_j p dp), dq_i = scale sum_j ds_ij k_j,
 * dk_j = scale sum_i ds_ij q_i, dv_j = sum_i pd_ij dout_i (summed over a kv head's group). */
#ifndef CLNN_TEST_ATTENTION_UTIL_H
#define CLNN_TEST_ATTENTION_UTIL_H

#include "layer_util.h"
#include "ref/ref.h"

#include <math.h>
#include <stdint.h>

typedef struct attn_case {
    const char *name;
    int B, H, G, Sq, Sk, D, E;
    int causal;
    int mask_kind;   /* 0 none, 1 float, 2 boolean (int32) */
    int mask_ndim;   /* 2: [Sq, Sk]; 4: [mb, mh, Sq, Sk] */
    int mb, mh;      /* 1 or B, 1 or H */
    int kpm;         /* key padding mask [B, Sk] */
    float scale, p;
    uint64_t seed, offset;
    int fd;
} attn_case;

/* The case's host data (double copies for the reference) and device tensors. */
typedef struct attn_data {
    attn_case c;
    size_t nq, nk, nv, no, np, nm;
    float *q, *k, *v, *dout, *maskf;
    int *maski, *kpm;
    double *qd, *kd, *vd, *dod, *maskd;
    clnn_tensor *tq, *tk, *tv, *tdout, *tmask, *tkpm;
    clnn_attention_options opt;
} attn_data;

static inline size_t attn_mask_at(const attn_case *c, int b, int h, int i, int j)
{
    size_t mb = c->mask_ndim == 4 && c->mb > 1 ? (size_t)b : 0, mh = c->mask_ndim == 4 && c->mh > 1 ? (size_t)h : 0;
    size_t mH = c->mask_ndim == 4 ? (size_t)c->mh : 1;
    return ((mb * mH + mh) * (size_t)c->Sq + (size_t)i) * (size_t)c->Sk + (size_t)j;
}

static inline void attn_data_init(clnn_context *ctx, attn_data *a, const attn_case *c, unsigned seed)
{
    memset(a, 0, sizeof *a);
    a->c = *c;
    size_t BH = (size_t)c->B * c->H, BG = (size_t)c->B * c->G;
    a->nq = BH * c->Sq * c->D, a->nk = BG * c->Sk * c->D, a->nv = BG * c->Sk * c->E;
    a->no = BH * c->Sq * c->E, a->np = BH * c->Sq * c->Sk;
    a->q = util_random(a->nq, seed, -1, 1), a->k = util_random(a->nk, seed + 1, -1, 1);
    a->v = util_random(a->nv, seed + 2, -1, 1), a->dout = util_random(a->no, seed + 3, -1, 1);
    a->qd = util_to_double(a->q, a->nq), a->kd = util_to_double(a->k, a->nk), a->vd = util_to_double(a->v, a->nv);
    a->dod = util_to_double(a->dout, a->no);
    a->tq = util_tensor(ctx, c->B, c->H, c->Sq, c->D, 4), a->tk = util_tensor(ctx, c->B, c->G, c->Sk, c->D, 4);
    a->tv = util_tensor(ctx, c->B, c->G, c->Sk, c->E, 4), a->tdout = util_tensor(ctx, c->B, c->H, c->Sq, c->E, 4);
    clnn_tensor_upload(a->tq, a->q, a->nq * 4);
    clnn_tensor_upload(a->tk, a->k, a->nk * 4);
    clnn_tensor_upload(a->tv, a->v, a->nv * 4);
    clnn_tensor_upload(a->tdout, a->dout, a->no * 4);
    if (c->mask_kind) {
        size_t mshape[4] = {(size_t)c->Sq, (size_t)c->Sk, 0, 0};
        if (c->mask_ndim == 4)
            mshape[0] = (size_t)c->mb, mshape[1] = (size_t)c->mh, mshape[2] = (size_t)c->Sq, mshape[3] = (size_t)c->Sk;
        a->nm = mshape[0] * mshape[1] * (c->mask_ndim == 4 ? mshape[2] * mshape[3] : 1);
        a->maskf = util_random(a->nm, seed + 4, -2, 2);
        a->maski = malloc(a->nm * sizeof *a->maski + 1);
        a->maskd = malloc(a->nm * sizeof *a->maskd + 1);
        REQUIRE(a->maski && a->maskd, "host memory");
        for (size_t i = 0; i < a->nm; i++) {
            /* about one in five excluded (boolean) or -inf (float) */
            int off = a->maskf[i] > 1.2f;
            a->maski[i] = !off;
            if (off) a->maskf[i] = -INFINITY;
            a->maskd[i] = c->mask_kind == 1 ? (double)a->maskf[i] : (a->maski[i] ? 0.0 : -INFINITY);
        }
        REQUIRE(clnn_tensor_create(ctx, c->mask_kind == 1 ? CLNN_FLOAT32 : CLNN_INT32, c->mask_ndim, mshape,
                                   &a->tmask) == CLNN_OK,
                "%s", clnn_last_error(ctx));
        clnn_tensor_upload(a->tmask, c->mask_kind == 1 ? (const void *)a->maskf : (const void *)a->maski, a->nm * 4);
    }
    if (c->kpm) {
        size_t kshape[2] = {(size_t)c->B, (size_t)c->Sk};
        a->kpm = malloc((size_t)c->B * c->Sk * sizeof *a->kpm + 1);
        REQUIRE(a->kpm, "host memory");
        /* batch 0 pads its last key; batch 1 (when any) every key: fully masked rows */
        for (int b = 0; b < c->B; b++)
            for (int j = 0; j < c->Sk; j++) a->kpm[b * c->Sk + j] = b == 1 ? 3 : (j == c->Sk - 1 ? 1 : 0);
        REQUIRE(clnn_tensor_create(ctx, CLNN_INT32, 2, kshape, &a->tkpm) == CLNN_OK, "%s", clnn_last_error(ctx));
        clnn_tensor_upload(a->tkpm, a->kpm, (size_t)c->B * c->Sk * 4);
    }
    clnn_attention_options_init(&a->opt);
    a->opt.causal = c->causal, a->opt.scale = c->scale, a->opt.dropout_p = c->p;
    a->opt.seed = c->seed, a->opt.offset = c->offset;
}

static inline void attn_data_free(attn_data *a)
{
    free(a->q), free(a->k), free(a->v), free(a->dout), free(a->maskf), free(a->maski), free(a->kpm);
    free(a->qd), free(a->kd), free(a->vd), free(a->dod), free(a->maskd);
    clnn_tensor *t[] = {a->tq, a->tk, a->tv, a->tdout, a->tmask, a->tkpm};
    for (int i = 0; i < 6; i++) clnn_tensor_release(t[i]);
}

static inline double attn_ref_scale(const attn_case *c)
{
    return c->scale != 0.0f ? (double)c->scale : 1 / sqrt((double)c->D);
}

/* keep_ij / (1 - p) of element e = ((b H + h) Sq + i) Sk + j */
static inline double attn_ref_keep(const attn_case *c, size_t e)
{
    if (c->p == 0.0f) return 1.0;
    float u = ref_philox_uniform(c->seed, CLNN_STREAM_ATTENTION_DROPOUT, c->offset + e);
    return u >= c->p ? 1.0 / (1.0 - (double)c->p) : 0.0;
}

/* probs [B, H, Sq, Sk] (before dropout), out [B, H, Sq, E], lse [B, H, Sq] (may be NULL). */
static inline void attn_ref_forward(const attn_data *a, const double *q, const double *k, const double *v,
                                    double *probs, double *out, double *lse)
{
    const attn_case *c = &a->c;
    double scale = attn_ref_scale(c);
    for (int b = 0; b < c->B; b++)
        for (int h = 0; h < c->H; h++) {
            int g = h / (c->H / c->G);
            for (int i = 0; i < c->Sq; i++) {
                size_t row = ((size_t)b * c->H + h) * c->Sq + i;
                double *pr = probs + row * c->Sk, mx = -INFINITY, sum = 0;
                const double *qi = q + row * c->D;
                for (int j = 0; j < c->Sk; j++) {
                    const double *kj = k + (((size_t)b * c->G + g) * c->Sk + j) * c->D;
                    double s = 0;
                    for (int d = 0; d < c->D; d++) s += qi[d] * kj[d];
                    s *= scale;
                    if (c->mask_kind) s += a->maskd[attn_mask_at(c, b, h, i, j)];
                    if (c->kpm && a->kpm[b * c->Sk + j]) s = -INFINITY;
                    if ((c->causal == 1 && j > i) || (c->causal == 2 && j > i + c->Sk - c->Sq)) s = -INFINITY;
                    pr[j] = s;
                    if (s > mx) mx = s;
                }
                for (int j = 0; j < c->Sk; j++) sum += pr[j] = mx == -INFINITY ? 0.0 : exp(pr[j] - mx);
                for (int j = 0; j < c->Sk; j++) pr[j] = sum > 0 ? pr[j] / sum : 0.0;
                if (lse) lse[row] = mx == -INFINITY ? -INFINITY : mx + log(sum);
                for (int e = 0; e < c->E; e++) {
                    double o = 0;
                    for (int j = 0; j < c->Sk; j++)
                        o += pr[j] * attn_ref_keep(c, row * c->Sk + j) *
                             v[(((size_t)b * c->G + g) * c->Sk + j) * c->E + e];
                    out[row * c->E + e] = o;
                }
            }
        }
}

static inline void attn_ref_backward(const attn_data *a, double *dq, double *dk, double *dv)
{
    const attn_case *c = &a->c;
    double scale = attn_ref_scale(c);
    double *p = malloc(a->np * sizeof *p), *o = malloc(a->no * sizeof *o), *dp = malloc((size_t)c->Sk * sizeof *dp);
    REQUIRE(p && o && dp, "host memory");
    attn_ref_forward(a, a->qd, a->kd, a->vd, p, o, NULL);
    memset(dq, 0, a->nq * sizeof *dq), memset(dk, 0, a->nk * sizeof *dk), memset(dv, 0, a->nv * sizeof *dv);
    for (int b = 0; b < c->B; b++)
        for (int h = 0; h < c->H; h++) {
            size_t kv = (size_t)b * c->G + (size_t)(h / (c->H / c->G));
            for (int i = 0; i < c->Sq; i++) {
                size_t row = ((size_t)b * c->H + h) * c->Sq + i;
                const double *pr = p + row * c->Sk, *go = a->dod + row * c->E;
                double dot = 0;
                for (int j = 0; j < c->Sk; j++) {
                    double keep = attn_ref_keep(c, row * c->Sk + j), dpd = 0;
                    for (int e = 0; e < c->E; e++) {
                        dpd += go[e] * a->vd[(kv * c->Sk + j) * c->E + e];
                        dv[(kv * c->Sk + j) * c->E + e] += pr[j] * keep * go[e];
                    }
                    dp[j] = dpd * keep;
                    dot += dp[j] * pr[j];
                }
                for (int j = 0; j < c->Sk; j++) {
                    double ds = pr[j] * (dp[j] - dot) * scale;
                    for (int d = 0; d < c->D; d++) {
                        dq[row * c->D + d] += ds * a->kd[(kv * c->Sk + j) * c->D + d];
                        dk[(kv * c->Sk + j) * c->D + d] += ds * a->qd[row * c->D + d];
                    }
                }
            }
        }
    free(p), free(o), free(dp);
}

/* loss = sum(out * dout) on the reference forward, for the central differences */
static inline double attn_ref_loss(void *user)
{
    const attn_data *a = user;
    double *p = malloc(a->np * sizeof *p + 8), *o = malloc(a->no * sizeof *o + 8);
    REQUIRE(p && o, "host memory");
    attn_ref_forward(a, a->qd, a->kd, a->vd, p, o, NULL);
    double l = util_dot(o, a->dod, a->no);
    free(p), free(o);
    return l;
}

#endif
