/* Classification losses from logits (include/clnn/losses.h): the losses of
 * log p_y (focal, Poly-1, squentropy, GCE, MAE, RCE, NCE, NFL, encouraging),
 * ASL, the spherical Z-loss and ELR.
 *
 * py_loss, asl_loss, spherical_z and elr_loss run on the row skeleton
 * (rowreduce.clh): in the work-group form (one row per group, or
 * row_group_rows rows with MULTIROW=1, row_slot) or, with ROWVEC=1, one row
 * per work-item in float8. Each writes the row's loss, times its label
 * weight (rowweight.clh; 1 unweighted), to partial[row] (the host sums the
 * partials with layers_loss.cl's loss_sum, or hands the loss tensor itself
 * over as partial for reduction NONE) and the gradient scaled by `scale`
 * (wbuf[0]) and the weight.
 *
 * Their lane terms need the element index or loss parameters, so they come
 * from loss_term below instead of a skeleton mode. Each element's term is
 * written once, for T = float (the work-group form: one element) and T =
 * float8 (ROWVEC: eight lanes), with logexp.clh's exp, log, log1p and expm1,
 * whose two forms give the same bits: the lanes, the summation order and the
 * fixed tree are the skeleton's, so the bits never depend on the form or the
 * local size. No early return and every reduction and barrier reached
 * unconditionally (PoCL 3.1, see layers_softmax.cl); a slot past the last row
 * writes nothing, state and gradients included. */
#include "logexp.clh"
#include "rowreduce.clh"
#include "rowweight.clh"
#include "powg.clh"

/* 1: the py_loss variant with the normalized focal loss's second pass. */
#ifndef LOSS_NFL
#define LOSS_NFL 0
#endif
/* 1: the py_loss variant with label smoothing (one more pass for the sums
 * over every class as the label). */
#ifndef LOSS_SMOOTH
#define LOSS_SMOOTH 0
#endif

/* ELR's clamp of the probabilities (the paper's code). */
#define ELR_P_MIN 1e-4f
#define ELR_P_MAX (1.0f - 1e-4f)

/* Lane terms (z: the element's logit, t: its entry of the second array). */
#define LT_LSE_SQ 0    /* s += [j != label] exp(z - m) (m: the row max); a += z - shift; b += [j != label] z^2 */
#define LT_FOCAL 1     /* l = log p_j: a += f(l); b += f'(l) (focal_term, gamma g0) */
#define LT_MOMENTS 2   /* a += z - shift; b += (z - shift)^2 */
#define LT_ASL 3       /* a += ASL term of (z, t); its gradient goes to *g */
#define LT_CLAMPED_P 4 /* a += clamp(p_j) */
#define LT_ELR_DOT 5   /* a += t clamp(p_j); b += [p_j unclamped] t p_j */
#define LT_PHI 6       /* a += phi_j(l), b += phi_j'(l) (phi_term: py_loss's per-label terms, t = alpha) */

typedef struct lterm {
    uint label;      /* LT_LSE_SQ: the class left out of s and b */
    float shift;     /* subtracted from z so that large offsets cancel exactly */
    float m, log_s;  /* the row's max and (but LT_LSE_SQ) log sum exp(z - m): log p_j = (z_j - m) - log_s */
    float g0, g1, g2; /* LT_FOCAL: gamma; LT_ASL: gamma+, gamma-, clip */
    float scale;     /* LT_ASL: gradient scale */
    float16 w;       /* LT_PHI: py_loss's term weights */
    int has_alpha;   /* LT_PHI: t holds the focal alpha of each class */
} lterm;

/* The encouraging loss's bonus b(p) of l = log p (include/clnn/losses.h):
 * log(max(1 - p, 1e-5)), continued by its tangent beyond p = le when le < 1;
 * *dlog gets db/dl = p b'(p). */
static inline float bonus_value(const float l, const float le, float *dlog)
{
    const float p = exp(l), q = -expm1(l);
    if (le < 1.0f && p > le) {
        *dlog = p / (le - 1.0f);
        return (p - le) / (le - 1.0f) + log(1.0f - le);
    }
    *dlog = q > 1e-5f ? -p / q : 0.0f;
    return log(fmax(q, 1e-5f));
}

/* Logistic sigmoid of x, stable for either sign. */
static inline float sigmoid_of(const float x)
{
    const float e = exp(-fabs(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

/* softplus(x) = log(1 + e^x) without overflow. */
static inline float softplus_of(const float x) { return fmax(x, 0.0f) + log1p(exp(-fabs(x))); }

/* Lane accumulators (c unused): one lane, and eight (rowvec.clh's). */
typedef struct lacc1 {
    float s, a, b, c;
} lacc1;
typedef rowvec_acc lacc8;

/* The per-element functions for T (float, suffix 1, or float8, suffix 8; IT
 * the comparison type). Branches are selects, so both forms compute the
 * same expressions. */
#define LOSS_ELEMENT_FUNCTIONS(T, IT, S, EXP, EXPM1, LOG, LOG1P)                                             \
    /* The focal term f(l) = -(1 - e^l)^g l of a log-probability l <= 0; *dlog                               \
     * gets f'(l) = (1 - e^l)^g (g e^l l / (1 - e^l) - 1). 1 - e^l is -expm1(l),                              \
     * exact as p -> 1, and l / (1 - e^l) -> -1 as l -> 0 (pow(0, 0) = 1). */                                 \
    static inline T focal_term##S(const T l, const float g, T *dlog)                                          \
    {                                                                                                         \
        const T q = -EXPM1(l), w = pow_g##S(q, g);                                                            \
        const T ratio = select((T)(-1.0f), l / q, q > 0.0f);                                                  \
        *dlog = w * (g * EXP(l) * ratio - 1.0f);                                                              \
        return -w * l;                                                                                        \
    }                                                                                                         \
                                                                                                              \
    /* ASL loss of one element (logit z, target t in {0, 1}) and *dz = d/dz:                                  \
     *   t = 1: (1 - p)^gp softplus(-z);  dz = -gp (1 - p)^gp p softplus(-z) - (1 - p)^(gp + 1)               \
     *   t = 0: -pm^gn log(1 - pm), pm = max(p - clip, 0);                                                    \
     *          dz = pm^gn (p(1 - p)/(1 - pm) - gn (p(1 - p)/pm) log(1 - pm)),                                \
     * where with clip 0 the ratios are p and 1 - p exactly (no 0/0 at p = 1) and                            \
     * 1 - pm = (1 - p) + clip; pm <= 0 (also p underflowed) gives no loss and no                             \
     * gradient. Other targets give NaN. One exp and one log1p: with e =                                      \
     * exp(-|z|), p and 1 - p are 1/(1 + e) and e/(1 + e) (by the sign of z) and                              \
     * softplus(+-z) = max(+-z, 0) + log1p(e). */                                                             \
    static inline T asl_term##S(const T z, const T t, const float gp, const float gn, const float clip, T *dz) \
    {                                                                                                         \
        const T e = EXP(-fabs(z)), l1pe = LOG1P(e);                                                           \
        const T big = 1.0f / (1.0f + e), small = e / (1.0f + e);                                              \
        const IT up = z >= 0.0f;                                                                              \
        const T p = select(small, big, up), q = select(big, small, up); /* q = 1 - p without cancellation */  \
        const T wp = pow_g##S(q, gp), nlogp = fmax(-z, 0.0f) + l1pe;                                          \
        const T pm = p - clip;                                                                                \
        const T log_1m = clip == 0.0f ? -(fmax(z, 0.0f) + l1pe) : LOG(q + clip);                             \
        const T r1 = clip == 0.0f ? p : p * q / (q + clip), r2 = clip == 0.0f ? q : p * q / pm;               \
        const T wn = pow_g##S(fmax(pm, 0.0f), gn);                                                            \
        const IT off = pm <= 0.0f, pos = t == 1.0f, neg = t == 0.0f;                                          \
        const T dneg = select(wn * (r1 - gn * r2 * log_1m), (T)(0.0f), off);                                  \
        const T lneg = select(-wn * log_1m, (T)(0.0f), off);                                                  \
        *dz = select(select((T)(NAN), dneg, neg), -gp * wp * p * nlogp - wp * q, pos);                        \
        return select(select((T)(NAN), lneg, neg), wp * nlogp, pos);                                         \
    }                                                                                                         \
                                                                                                              \
    /* bonus_value (above) element-wise, with the per-element functions. */                               \
    static inline T bonus_term##S(const T l, const float le, T *dlog)                                         \
    {                                                                                                         \
        const T p = EXP(l), q = -EXPM1(l);                                                                    \
        const IT tangent = p > (le < 1.0f ? le : INFINITY);                                                   \
        const float lt = le < 1.0f ? log(1.0f - le) : 0.0f;                                                   \
        *dlog = select(select((T)(0.0f), -p / q, q > 1e-5f), p / (le - 1.0f), tangent);                       \
        return select(LOG(fmax(q, 1e-5f)), (p - le) / (le - 1.0f) + lt, tangent);                             \
    }                                                                                                         \
                                                                                                              \
    /* py_loss's terms that depend on the label's log-probability alone                                      \
     * (CE, linear, GCE, focal, Poly-1, encouraging: slots 0 to 8 of w),                                      \
     * as if the element's class j were the label: phi_j(l) with l = log p_j                                  \
     * and a = alpha_j; *d gets phi_j'(l). */                                                                 \
    static inline T phi_term##S(const T l, const T a, const float16 w, T *d)                                  \
    {                                                                                                         \
        const T p = EXP(l), q = -EXPM1(l);                                                                    \
        T v = -w.s0 * l + w.s1 * q, dv = -w.s0 - w.s1 * p;                                                    \
        if (w.s2 != 0.0f) {                                                                                   \
            v += w.s2 * (-EXPM1(w.s3 * l) / w.s3);                                                            \
            dv -= w.s2 * EXP(w.s3 * l);                                                                       \
        }                                                                                                     \
        if (w.s4 != 0.0f) {                                                                                   \
            T df;                                                                                             \
            v += w.s4 * a * focal_term##S(l, w.s5, &df);                                                      \
            dv += w.s4 * a * df;                                                                              \
        }                                                                                                     \
        if (w.s6 != 0.0f) {                                                                                   \
            const T qg = pow_g##S(q, w.s5);                                                                   \
            v += w.s6 * qg * q;                                                                               \
            dv -= w.s6 * (w.s5 + 1.0f) * qg * p;                                                              \
        }                                                                                                     \
        if (w.s7 != 0.0f) {                                                                                   \
            T db;                                                                                             \
            v += w.s7 * bonus_term##S(l, w.s8, &db);                                                          \
            dv += w.s7 * db;                                                                                  \
        }                                                                                                     \
        *d = dv;                                                                                              \
        return v;                                                                                             \
    }                                                                                                         \
                                                                                                              \
    /* What element(s) z (with t, the second array's) add to the lanes r;                                    \
     * `use` marks the elements in the row, `other` those that are not the                                   \
     * label. LT_ASL leaves the scaled gradient in *g. */                                                     \
    static inline __attribute__((always_inline)) void loss_term##S(const int mode, lacc##S *r, const T z,    \
                                                                   const T t, const IT use, const IT other,   \
                                                                   const lterm *k, T *g)                      \
    {                                                                                                         \
        const T l = (z - k->m) - k->log_s; /* log p_j in the modes after the lse */                           \
        switch (mode) {                                                                                       \
        case LT_LSE_SQ:                                                                                       \
            r->s = select(r->s, r->s + EXP(z - k->m), other & (z != -INFINITY));                              \
            r->a = select(r->a, r->a + (z - k->shift), use);                                                  \
            r->b = select(r->b, r->b + z * z, other);                                                         \
            break;                                                                                            \
        case LT_FOCAL: {                                                                                      \
            T dlog;                                                                                           \
            const T f = focal_term##S(l, k->g0, &dlog);                                                       \
            r->a = select(r->a, r->a + f, use);                                                               \
            r->b = select(r->b, r->b + dlog, use);                                                            \
            break;                                                                                            \
        }                                                                                                     \
        case LT_MOMENTS: {                                                                                    \
            const T d = z - k->shift;                                                                         \
            r->a = select(r->a, r->a + d, use);                                                               \
            r->b = select(r->b, r->b + d * d, use);                                                           \
            break;                                                                                            \
        }                                                                                                     \
        case LT_ASL: {                                                                                        \
            T dz;                                                                                             \
            r->a = select(r->a, r->a + asl_term##S(z, t, k->g0, k->g1, k->g2, &dz), use);                     \
            *g = k->scale * dz;                                                                               \
            break;                                                                                            \
        }                                                                                                     \
        case LT_CLAMPED_P: r->a = select(r->a, r->a + clamp(EXP(l), ELR_P_MIN, ELR_P_MAX), use); break;       \
        case LT_PHI: {                                                                                        \
            T d;                                                                                              \
            const T f = phi_term##S(l, k->has_alpha ? t : (T)(1.0f), k->w, &d);                               \
            r->a = select(r->a, r->a + f, use);                                                               \
            r->b = select(r->b, r->b + d, use);                                                               \
            break;                                                                                            \
        }                                                                                                     \
        case LT_ELR_DOT: {                                                                                    \
            const T p = EXP(l), pc = clamp(p, ELR_P_MIN, ELR_P_MAX);                                          \
            r->a = select(r->a, r->a + t * pc, use);                                                          \
            r->b = select(r->b, r->b + t * p, use & (p == pc));                                               \
            break;                                                                                            \
        }                                                                                                     \
        }                                                                                                     \
    }

/* The element-wise passes after the reductions (documented at their kernels). */
#define LOSS_PASS_FUNCTIONS(T, IT, S, EXP)                                                                   \
    static inline T py_grad##S(const T z, const IT is_label, const float m, const float log_s, const float q, \
                               const float phi, const float kn, const float c, const float kf,               \
                               const float nfl_g, const float gamma, const float ks)                         \
    {                                                                                                         \
        const T lj = (z - m) - log_s, pj = EXP(lj);                                                           \
        T g = phi * select(-pj, (T)(q), is_label) + kn * (1.0f - c * pj);                                     \
        if (LOSS_NFL) {                                                                                       \
            T df;                                                                                             \
            focal_term##S(lj, gamma, &df);                                                                    \
            g += kf * (df - pj * nfl_g);                                                                      \
        }                                                                                                     \
        return select(g + ks * z, g, is_label);                                                               \
    }                                                                                                         \
                                                                                                              \
    /* Label smoothing's part of the gradient of element(s) z (a: alpha):                                    \
     * ec (phi_j'(l_j) - p_j sum_k phi_k'(l_k) + 2 w_sq z_j), ec = eps / C. */                                 \
    static inline T smooth_grad##S(const T z, const T a, const float m, const float log_s, const float16 w,    \
                                   const float ec, const float dphi_sum)                                      \
    {                                                                                                         \
        const T lj = (z - m) - log_s;                                                                         \
        T d;                                                                                                  \
        phi_term##S(lj, a, w, &d);                                                                            \
        return ec * ((d - EXP(lj) * dphi_sum) + 2.0f * w.s9 * z);                                             \
    }                                                                                                         \
                                                                                                              \
    static inline T spherical_grad##S(const T z, const IT is_label, const float shift, const float mean,      \
                                      const float sigma, const float uy, const float c, const float k)        \
    {                                                                                                         \
        const T uj = ((z - shift) - mean) / sigma;                                                            \
        return k * ((select((T)(0.0f), (T)(1.0f), is_label) - 1.0f / c) - uy * uj / c);                      \
    }                                                                                                         \
                                                                                                              \
    static inline T elr_ema##S(const T z, const T t, const float m, const float log_s, const float beta,      \
                               const float w_new)                                                             \
    {                                                                                                         \
        return beta * t + w_new * clamp(EXP((z - m) - log_s), ELR_P_MIN, ELR_P_MAX);                          \
    }                                                                                                         \
                                                                                                              \
    static inline T elr_grad##S(const T z, const T t, const IT is_label, const float m, const float log_s,    \
                                const float q, const float kd, const float e, const int has_labels,          \
                                const float eps, const float c)                                              \
    {                                                                                                         \
        const T p = EXP((z - m) - log_s), pc = clamp(p, ELR_P_MIN, ELR_P_MAX);                                \
        T g = kd * (select((T)(0.0f), t * p, p == pc) - p * e);                                               \
        const T ce = select(p, (T)(-q), is_label); /* p_j - [j = y] */                                         \
        if (has_labels) g += eps != 0.0f ? (1.0f - eps) * ce + eps * (p - 1.0f / c) : ce;                      \
        return g;                                                                                             \
    }

LOSS_ELEMENT_FUNCTIONS(float, int, 1, clnn_expf, clnn_expm1f, clnn_logf, clnn_log1pf)
LOSS_ELEMENT_FUNCTIONS(float8, int8, 8, clnn_expf8, clnn_expm1f8, clnn_logf8, clnn_log1pf8)
LOSS_PASS_FUNCTIONS(float, int, 1, clnn_expf)
LOSS_PASS_FUNCTIONS(float8, int8, 8, clnn_expf8)

static inline rowstat rowstat_of_lacc(const float s, const float a, const float b)
{
    rowstat r = rowstat_empty();
    r.s = s;
    r.a = a;
    r.b = b;
    return r;
}

/* The lanes of loss_term over z[0..n) for one work-item in float8 (ROWVEC):
 * rowvec_reduce's lanes and tree; LT_ASL stores the gradients in g. */
static inline __attribute__((always_inline))
rowstat loss_reduce_rowvec(const int mode, __global const float *z, __global const float *t, __global float *g,
                           const uint n, const lterm k, const uint lanes, const int want_grad)
{
    rowstat r;
    ROWVEC_LANES(n, lanes, b, use, acc, r, {
        const int8 other = use & (ROWVEC_INDEX8(b) != (int)k.label);
        const int full = b + 8 <= n;
        const float8 zv = full ? vload8(0, z + b) : rowvec_load(z, b, n);
        const float8 tv = full ? vload8(0, t + b) : rowvec_load(t, b, n);
        float8 gv;
        loss_term8(mode, &acc, zv, tv, use, other, &k, &gv);
        if (mode != LT_ASL || !want_grad) continue;
        if (full) {
            vstore8(gv, 0, g + b);
        } else {
            float tmp[8];
            vstore8(gv, 0, tmp);
            for (uint i = 0; b + i < n; i++) g[b + i] = tmp[i];
        }
    });
    return r;
}

/* The row skeleton with loss_term's lanes over slot s: lane l adds elements
 * l, l + lanes, ... in order, merged by the skeleton's tree of plain sums. t
 * may be z where the mode does not read it; g (LT_ASL's gradient) is
 * written with want_grad, never by a slot past the last row. */
static inline __attribute__((always_inline))
rowstat loss_reduce(const rowslot s, const int mode, __global const float *z, __global const float *t,
                    __global float *g, const uint n, const lterm k, const uint lanes, __local rowstat *scratch,
                    const int want_grad)
{
#if ROWVEC
    (void)scratch;
    return loss_reduce_rowvec(mode, z, t, g, n, k, lanes, want_grad && s.out != ROW_NONE);
#else
    for (uint lane = s.lane; lane < lanes; lane += s.nloc) {
        lacc1 acc = {0.0f, 0.0f, 0.0f, 0.0f};
        for (uint j = lane; j < n; j += lanes) {
            float gj;
            loss_term1(mode, &acc, z[j], t[j], 1, j != k.label, &k, &gj);
            if (mode == LT_ASL && want_grad && s.out != ROW_NONE) g[j] = gj;
        }
        scratch[s.base + lane] = rowstat_of_lacc(acc.s, acc.a, acc.b);
    }
    return row_tree_at(s, lanes, scratch, 1);
#endif
}

/* A row's label as an index (0 when out of range, so reads stay inside the
 * row) and whether it is out of range and not ignored (the row is then NaN;
 * w: the row's weight, rowweight.clh). */
static inline uint row_label(const int label, const uint cols, const rowweight w, int *invalid)
{
    const int out = label < 0 || (uint)label >= cols;
    *invalid = out && !w.ignored;
    return out ? 0u : (uint)label;
}

/* The row's max m and log s, s = sum_j exp(z_j - m), from the row max M
 * and LT_LSE_SQ's sum t = sum_{j != y} exp(z_j - M) (r.s) and the label's
 * logit zy. When zy is the maximum, m = zy and s = 1 + t with t kept apart:
 * log s = log1p(t), so l = log p_y = (zy - m) - log s = -log1p(t) and
 * 1 - p_y = -expm1(l) stay exact to a few ulp as p_y -> 1 (from s rounded
 * to 1 + t they carried ~6e-8 absolute error: 6% of 1 - p_y at a margin of
 * 16). Otherwise p_y < 1/2, and log(s) serves. */
static inline void label_lse(const float big_m, const float t, const float zy, float *m, float *log_s)
{
    if (zy >= big_m) { /* also for a row of one class: t = 0 */
        *m = zy;
        *log_s = log1p(t);
    } else { /* also when either is NaN, which then propagates */
        *m = big_m;
        *log_s = log(t + exp(zy - big_m));
    }
}

static inline lterm lterm_new(const uint label, const float shift)
{
    lterm k = {label, shift, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, (float16)(0.0f), 0};
    return k;
}

/* Losses of log p_y = l, weighted by w (one slot per term; a zero weight
 * skips its term and leaves its parameter unread):
 *   s0 CE -l          s1 (1 - p_y) (MAE 2x, RCE -A x)   s2 GCE (1 - p^q)/q, q = s3
 *   s4 focal alpha_y f(l), gamma = s5                   s6 Poly-1 (1 - p)^(gamma + 1)
 *   s7 encouraging bonus, LE = s8                       s9 squentropy sum_{j != y} z_j^2 / (C - 1)
 *   sa NCE l / S, S = sum_j log p_j                     sb NFL f(l) / T, T = sum_j f(log p_j), gamma = sc
 * With phi = d loss / d l (NCE's and NFL's 1/S, 1/T parts included):
 *   dz_j = scale (phi ([j = y] - p_j) + kn (1 - C p_j) + kf (f'(log p_j) - p_j G) + [j != y] ks z_j),
 *   kn = -w_nce l / S^2, kf = -w_nfl f(l) / T^2, G = sum_k f'(log p_k), ks = 2 w_sq / (C - 1).
 * [j = y] - p_y is taken as 1 - p_y = -expm1(l); l = (z_y - m) - log s from
 * label_lse, exact to a few ulp as p_y -> 1. The row's own terms (once per
 * row) use the builtins.
 * LOSS_SMOOTH, eps = sd: the expected loss over the smoothed label
 * distribution (1 - eps) onehot(y) + eps/C, loss = (1 - eps) loss_y + (eps/C)
 * sum_j loss_j with loss_j the row's loss had its label been j. The sum is
 * one more pass over phi_j (phi_term) for the terms of log p_j alone, plus
 * closed forms: squentropy's sum_j sum_{i != j} z_i^2/(C - 1) = sum_i z_i^2,
 * and NCE's and NFL's sum_j l_j/S = sum_j f_j/T = 1. */
__kernel void py_loss(__global float *partial, __global float *grad, __global const float *logits,
                      __global const int *labels, __global const float *alpha, const uint rows, const uint cols,
                      const uint lanes, const float16 w, const int has_alpha, const float scale,
                      __global const float *wbuf, const int weighted, const int ignore_index, const int want_grad,
                      __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const uint row = s.row;
    const size_t off = (size_t)row * cols;
    __global const float *zr = logits + off;
    const int label = labels[row];
    const rowweight rw = row_weight(wbuf, weighted, scale, label, ignore_index, row);
    int invalid;
    const uint y = row_label(label, cols, rw, &invalid);
    lterm k = lterm_new(y, zr[0]);
    k.m = row_max_of(s, zr, cols, lanes, scratch); /* LT_LSE_SQ's m */
    const rowstat r = loss_reduce(s, LT_LSE_SQ, zr, zr, 0, cols, k, lanes, scratch, 0);
    float m, log_s;
    label_lse(k.m, r.s, zr[y], &m, &log_s);
    const float c = (float)cols;
    const float l = (zr[y] - m) - log_s, p = exp(l), q = -expm1(l);
    const float sum_logp = r.a - c * ((m - k.shift) + log_s);
#if LOSS_NFL
    k.m = m;
    k.log_s = log_s;
    k.g0 = w.sc;
    const rowstat rf = loss_reduce(s, LT_FOCAL, zr, zr, 0, cols, k, lanes, scratch, 0);
    const float nfl_t = rf.a, nfl_g = rf.b;
#else
    const float nfl_t = 1.0f, nfl_g = 0.0f;
#endif
    float v = -w.s0 * l + w.s1 * q, phi = -w.s0 - w.s1 * p, kn = 0.0f, kf = 0.0f;
    if (w.s2 != 0.0f) {
        v += w.s2 * (-expm1(w.s3 * l) / w.s3);
        phi -= w.s2 * exp(w.s3 * l);
    }
    if (w.s4 != 0.0f) {
        const float a_y = has_alpha ? alpha[y] : 1.0f;
        float df;
        v += w.s4 * a_y * focal_term1(l, w.s5, &df);
        phi += w.s4 * a_y * df;
    }
    if (w.s6 != 0.0f) {
        const float qg = pow_g1(q, w.s5);
        v += w.s6 * qg * q;
        phi -= w.s6 * (w.s5 + 1.0f) * qg * p;
    }
    if (w.s7 != 0.0f) {
        float db;
        v += w.s7 * bonus_value(l, w.s8, &db);
        phi += w.s7 * db;
    }
    const float ks = w.s9 != 0.0f ? 2.0f * w.s9 / (c - 1.0f) : 0.0f;
    if (w.s9 != 0.0f) v += w.s9 * r.b / (c - 1.0f);
    if (w.sa != 0.0f) {
        v += w.sa * l / sum_logp;
        phi += w.sa / sum_logp;
        kn = -w.sa * l / (sum_logp * sum_logp);
    }
    if (w.sb != 0.0f) {
        float df;
        const float fy = focal_term1(l, w.sc, &df);
        v += w.sb * fy / nfl_t;
        phi += w.sb * df / nfl_t;
        kf = -w.sb * fy / (nfl_t * nfl_t);
    }
#if LOSS_SMOOTH
    k.m = m;
    k.log_s = log_s;
    k.w = w;
    k.has_alpha = has_alpha;
    const rowstat rp = loss_reduce(s, LT_PHI, zr, has_alpha ? alpha : zr, 0, cols, k, lanes, scratch, 0);
    const float keep = 1.0f - w.sd, ec = w.sd / c, dphi_sum = rp.b;
    v = keep * v + ec * (rp.a + w.s9 * (r.b + zr[y] * zr[y]) + w.sa + w.sb);
#endif
    if (s.out == 0) partial[row] = row_weighted_value(rw, invalid, v);
    __global float *gr = grad + off;
    const float gs = row_grad_scale(rw, invalid);
    uint j;
    ROW_EACH8(s, j, want_grad ? cols : 0u)
    {
        const float8 zj = vload8(0, zr + j);
        float8 g = py_grad8(zj, ROWVEC_INDEX8(j) == (int)y, m, log_s, q, phi, kn, c, kf, nfl_g, w.sc, ks);
#if LOSS_SMOOTH
        g = keep * g + smooth_grad8(zj, has_alpha ? vload8(0, alpha + j) : (float8)(1.0f), m, log_s, w, ec, dphi_sum);
#endif
        vstore8(row_weighted_grad8(rw, gs, g), 0, gr + j);
    }
    ROW_EACH1(s, j, want_grad ? cols : 0u)
    {
        float g = py_grad1(zr[j], j == y, m, log_s, q, phi, kn, c, kf, nfl_g, w.sc, ks);
#if LOSS_SMOOTH
        g = keep * g + smooth_grad1(zr[j], has_alpha ? alpha[j] : 1.0f, m, log_s, w, ec, dphi_sum);
#endif
        gr[j] = row_weighted_grad1(rw, gs, g);
    }
}

/* ASL over a row of logits and 0/1 targets: the gradient is written in the
 * same pass as the row sum (it does not depend on the sum). */
__kernel void asl_loss(__global float *partial, __global float *grad, __global const float *logits,
                       __global const float *targets, const uint rows, const uint cols, const uint lanes,
                       const float gamma_pos, const float gamma_neg, const float clip, const float scale,
                       __global const float *wbuf, const int weighted, const int ignore_index, const int want_grad,
                       __local rowstat *scratch)
{
    (void)ignore_index; /* no labels */
    const rowslot s = row_slot(lanes, rows);
    const size_t off = (size_t)s.row * cols;
    const rowweight rw = row_weight_unlabelled(wbuf, weighted, scale, s.row);
    lterm k = lterm_new(ROW_NONE, 0.0f);
    k.g0 = gamma_pos;
    k.g1 = gamma_neg;
    k.g2 = clip;
    k.scale = rw.scale;
    const rowstat r =
        loss_reduce(s, LT_ASL, logits + off, targets + off, grad + off, cols, k, lanes, scratch, want_grad);
    if (s.out == 0) partial[s.row] = rw.w * r.a;
}

/* Spherical Z-loss: mean and variance from the sums of d = z - z_0 (one
 * pass), u_j = (d_j - mean d) / sigma, loss = softplus(a (b - u_y)) / a,
 *   dz_j = -sigmoid(a (b - u_y)) ([j = y] - 1/C - u_y u_j / C) / sigma. */
__kernel void spherical_z(__global float *partial, __global float *grad, __global const float *logits,
                          __global const int *labels, const uint rows, const uint cols, const uint lanes,
                          const float a, const float b, const float eps, const float scale,
                          __global const float *wbuf, const int weighted, const int ignore_index, const int want_grad,
                          __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const uint row = s.row;
    const size_t off = (size_t)row * cols;
    __global const float *zr = logits + off;
    const int label = labels[row];
    const rowweight rw = row_weight(wbuf, weighted, scale, label, ignore_index, row);
    int invalid;
    const uint y = row_label(label, cols, rw, &invalid);
    const float shift = zr[0], c = (float)cols;
    const rowstat r = loss_reduce(s, LT_MOMENTS, zr, zr, 0, cols, lterm_new(y, shift), lanes, scratch, 0);
    const float mean = r.a / c, var = fmax(r.b / c - mean * mean, 0.0f), sigma = sqrt(var + eps);
    const float uy = ((zr[y] - shift) - mean) / sigma, x = a * (b - uy);
    if (s.out == 0) partial[row] = row_weighted_value(rw, invalid, softplus_of(x) / a);
    const float k = -sigmoid_of(x) / sigma, gs = row_grad_scale(rw, invalid);
    __global float *gr = grad + off;
    uint j;
    ROW_EACH8(s, j, want_grad ? cols : 0u)
    vstore8(row_weighted_grad8(rw, gs, spherical_grad8(vload8(0, zr + j), ROWVEC_INDEX8(j) == (int)y, shift, mean, sigma, uy, c, k)), 0, gr + j);
    ROW_EACH1(s, j, want_grad ? cols : 0u)
    gr[j] = row_weighted_grad1(rw, gs, spherical_grad1(zr[j], j == y, shift, mean, sigma, uy, c, k));
}

/* Spherical Z-loss from the hidden layer (clnn_spherical_z_loss_hidden), one
 * work-group per row of h [rows, d]; o = W h + b is never formed. qh [rows,
 * d] holds the rows' Q h (one GEMM, h Qᵀ, before). Lane l adds elements
 * i = l, l + lanes, ... of
 *   a: s_i h_i,   b: h_i ((Q h)_i + 2 u_i),   c: w_yi h_i,
 * merged by the skeleton's fixed tree:
 *   Σo = a + Σb, Σo² = b + Σb², o_y = c + b_y, then spherical_z's loss, and
 *   dL/do_c = K ([c = y] − 1/C − u_y (o_c − μ)/(σ C)) = K [c = y] + α + β o_c,
 *   K = −scale·sigmoid(a (b − u_y))/σ, β = −K u_y/(σ C), α = −K/C − β μ,
 *   dh_i = K w_yi + α s_i + β ((Q h)_i + u_i).
 * coef[row] = (K, α, β) and hb[row] = β h for the weight gradients
 * (want_coef). stats (spherical_z_hidden_colsum on W): s = stats[0, d),
 * Σb = stats[d], u = stats[d + 1, 2d + 1), Σb² = stats[2d + 1]; the bias
 * terms are read only with has_bias. */
__kernel void spherical_z_hidden(__global float *partial, __global float *dh, __global float *coef,
                                 __global float *hb, __global const float *h, __global const float *w,
                                 __global const float *bias, __global const int *labels,
                                 __global const float *stats, __global const float *qh, const uint d,
                                 const uint classes, const uint lanes, const float a, const float b,
                                 const float eps, const float scale, __global const float *wbuf,
                                 const int weighted, const int ignore_index, const int has_bias, const int want_dh,
                                 const int want_coef, __local rowstat *scratch)
{
    const uint row = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    __global const float *hr = h + (size_t)row * d, *qr = qh + (size_t)row * d;
    const int label = labels[row];
    const rowweight rw = row_weight(wbuf, weighted, scale, label, ignore_index, row);
    int invalid;
    const uint y = row_label(label, classes, rw, &invalid);
    __global const float *wy = w + (size_t)y * d, *stat_s = stats, *stat_u = stats + d + 1;
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint i = lane; i < d; i += lanes) {
            const float hi = hr[i];
            float ui = 0.0f;
            if (has_bias) ui = stat_u[i];
            r.a += stat_s[i] * hi;
            r.b += hi * (qr[i] + 2.0f * ui);
            r.c += wy[i] * hi;
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    float sum_b = 0.0f, sum_b2 = 0.0f, by = 0.0f;
    if (has_bias) {
        sum_b = stats[d];
        sum_b2 = stats[2 * d + 1];
        by = bias[y];
    }
    const float c = (float)classes, mean = (r.a + sum_b) / c;
    const float var = fmax((r.b + sum_b2) / c - mean * mean, 0.0f), sigma = sqrt(var + eps);
    const float uy = ((r.c + by) - mean) / sigma, x = a * (b - uy);
    if (lid == 0) partial[row] = row_weighted_value(rw, invalid, softplus_of(x) / a);
    /* an ignored row's coefficients are 0: it adds nothing to dh, dW, db */
    const float k = rw.ignored ? 0.0f : row_grad_scale(rw, invalid) * (-sigmoid_of(x) / sigma);
    const float beta = -k * uy / (sigma * c), alpha = -k / c - beta * mean;
    if (want_coef && lid == 0) {
        coef[3 * (size_t)row] = k;
        coef[3 * (size_t)row + 1] = alpha;
        coef[3 * (size_t)row + 2] = beta;
    }
    for (uint i = lid; (want_dh || want_coef) && i < d; i += nloc) {
        const float hi = hr[i];
        if (want_coef) hb[(size_t)row * d + i] = beta * hi;
        if (want_dh) {
            float ui = 0.0f;
            if (has_bias) ui = stat_u[i];
            dh[(size_t)row * d + i] = k * wy[i] + alpha * stat_s[i] + beta * (qr[i] + ui);
        }
    }
}

/* Weighted column sums of x [rows, d], one work-group per column k of d + 1
 * (lanes over the rows, the skeleton's fixed tree):
 *   k < d: out[k] = Σ_r w1_r x[r, k],   out[d + 1 + k] = Σ_r w2_r x[r, k],
 *   k = d: out[d] = Σ_r w1_r e_r,       out[2d + 1]    = Σ_r w2_r e_r,
 * w1_r = wt[r·wstride + w1off] (1 without has_w1), w2_r = wt[r·wstride +
 * w2off] (0 without has_w2), e_r = e[r] (1 without has_e). On W with w2 = e =
 * b: s, Σb, u = Wᵀb, Σb²; on h with the rows' (α, β): Σα h, Σα, Σβ h, Σβ. */
__kernel void spherical_z_hidden_colsum(__global float *out, __global const float *x, __global const float *wt,
                                        __global const float *e, const uint rows, const uint d, const uint lanes,
                                        const uint w1off, const uint w2off, const uint wstride, const int has_w1,
                                        const int has_w2, const int has_e, __local rowstat *scratch)
{
    const uint k = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    for (uint lane = lid; lane < lanes; lane += nloc) {
        rowstat r = rowstat_empty();
        for (uint m = lane; m < rows; m += lanes) {
            float v = 1.0f, w1 = 1.0f, w2 = 0.0f;
            if (k < d) v = x[(size_t)m * d + k];
            else if (has_e) v = e[m];
            if (has_w1) w1 = wt[(size_t)m * wstride + w1off];
            if (has_w2) w2 = wt[(size_t)m * wstride + w2off];
            r.a += w1 * v;
            r.b += w2 * v;
        }
        scratch[lane] = r;
    }
    const rowstat r = row_merge_lanes(lanes, scratch);
    if (lid == 0) {
        out[k] = r.a;
        out[d + 1 + k] = r.b;
    }
}

/* The dense terms of the weight gradients, after the GEMM wrote dW = W M:
 * dW[c, j] += v1_j + b_c v2_j and db[c] = Σα + Σβ b_c + w_c·v2 (the sum
 * over j in order), v the colsum of h with (α, β): v1 = v[0, d), Σα = v[d],
 * v2 = v[d + 1, 2d + 1), Σβ = v[2d + 1]. One work-item per class, looping
 * over its d columns (no index split: Oclgrind cannot run the `freeze` of a
 * div/rem pair); the tail of the last work-group does nothing (no barrier
 * here). */
__kernel void spherical_z_hidden_wfix(__global float *dw, __global float *db, __global const float *w,
                                      __global const float *bias, __global const float *v, const uint classes,
                                      const uint d, const int has_bias, const int want_dw, const int want_db)
{
    const uint c = get_global_id(0);
    if (c >= classes) return;
    float bc = 0.0f;
    if (has_bias) bc = bias[c];
    __global float *row = dw + (size_t)c * d;
    __global const float *wc = w + (size_t)c * d, *v2 = v + d + 1;
    for (uint j = 0; want_dw && j < d; j++) row[j] += v[j] + bc * v2[j];
    if (want_db) {
        float acc = 0.0f;
        for (uint j = 0; j < d; j++) acc += wc[j] * v2[j];
        db[c] = v[d] + v[2 * d + 1] * bc + acc;
    }
}

/* The label terms of the weight gradients, dW[y] += Σ K_m h_m and db[y] +=
 * Σ K_m over the rows m with label y, in row order and without atomics.
 * sorted and perm are the labels after a stable sort (their int32 bits as
 * fp32 keys: the order of the non-negative ints) and its permutation, so a
 * label's rows are adjacent, in row order. One work-group per sorted
 * position p; the first position of each valid label walks its run, each
 * work-item its columns j; the others do nothing: O(rows · d) in all. A
 * label outside [0, C) adds nothing (its row's K is NaN already, and so are
 * dW and db). */
__kernel void spherical_z_hidden_scatter(__global float *dw, __global float *db, __global const float *h,
                                         __global const float *coef, __global const int *sorted,
                                         __global const int *perm, const uint rows, const uint d,
                                         const uint classes, const int want_dw, const int want_db)
{
    const uint p = get_group_id(0), lid = get_local_id(0), nloc = get_local_size(0);
    const int y = sorted[p];
    if (y < 0 || (uint)y >= classes || (p > 0 && sorted[p - 1] == y)) return;
    uint end = p + 1;
    while (end < rows && sorted[end] == y) end++;
    for (uint j = lid; want_dw && j < d; j += nloc) {
        float acc = 0.0f;
        for (uint q = p; q < end; q++) acc += coef[3 * (size_t)perm[q]] * h[(size_t)perm[q] * d + j];
        dw[(size_t)y * d + j] += acc;
    }
    if (want_db && lid == 0) {
        float acc = 0.0f;
        for (uint q = p; q < end; q++) acc += coef[3 * (size_t)perm[q]];
        db[y] += acc;
    }
}


/* ELR (include/clnn/losses.h): lse; the sum of the clamped probabilities;
 * the EMA update of the sample's row t (each work-item its own elements,
 * then a global barrier so every lane reads the new values); D = <t, p~>
 * and E = sum over unclamped p of t p; value and gradient
 *   loss = [-log p_y] + lambda log(1 - D),
 *   dz_j = [p_j - [j = y]] - lambda / (1 - D) ([p_j unclamped] t_j p_j - p_j E).
 * A bad sample id reads and writes no state (t is taken from the logits and
 * the row is NaN). */
__kernel void elr_loss(__global float *partial, __global float *grad, __global const float *logits,
                       __global const int *labels, __global const int *ids, __global float *ema, const uint rows,
                       const uint cols, const uint lanes, const uint nsamples, const float lambda,
                       const float beta, const float scale, __global const float *wbuf, const int weighted,
                       const int ignore_index, const int has_labels, const int want_grad, const float smoothing,
                       __local rowstat *scratch)
{
    const rowslot s = row_slot(lanes, rows);
    const uint row = s.row;
    const size_t off = (size_t)row * cols;
    __global const float *zr = logits + off;
    const int id = ids[row], bad_id = id < 0 || (uint)id >= nsamples;
    /* without labels: label 0, never ignore_index 1 */
    const int label = has_labels ? labels[row] : 0;
    const rowweight rw = row_weight(wbuf, weighted, scale, label, has_labels ? ignore_index : 1, row);
    int bad_label;
    const uint y = row_label(label, cols, rw, &bad_label);
    const int invalid = bad_id || bad_label;
    lterm k = lterm_new(y, zr[0]);
    k.m = row_max_of(s, zr, cols, lanes, scratch); /* LT_LSE_SQ's m */
    const rowstat r = loss_reduce(s, LT_LSE_SQ, zr, zr, 0, cols, k, lanes, scratch, 0);
    label_lse(k.m, r.s, zr[y], &k.m, &k.log_s);
    const rowstat rc = loss_reduce(s, LT_CLAMPED_P, zr, zr, 0, cols, k, lanes, scratch, 0);
    __global float *tr = ema + (size_t)(bad_id ? 0u : (uint)id) * cols;
    const float w_new = (1.0f - beta) / rc.a;
    uint j;
    ROW_EACH8(s, j, bad_id ? 0u : cols)
    vstore8(elr_ema8(vload8(0, zr + j), vload8(0, tr + j), k.m, k.log_s, beta, w_new), 0, tr + j);
    ROW_EACH1(s, j, bad_id ? 0u : cols)
    tr[j] = elr_ema1(zr[j], tr[j], k.m, k.log_s, beta, w_new);
    barrier(CLK_GLOBAL_MEM_FENCE);
    const rowstat rd = loss_reduce(s, LT_ELR_DOT, zr, bad_id ? zr : tr, 0, cols, k, lanes, scratch, 0);
    const float l = (zr[y] - k.m) - k.log_s, q = -expm1(l), kd = -lambda / (1.0f - rd.a), c = (float)cols;
    /* label smoothing eps: the cross-entropy part against (1 - eps) onehot + eps/C, with
     * sum_j log p_j = sum_j (z_j - z_0) - C ((m - z_0) + log s) from LT_LSE_SQ's sum */
    const float sum_logp = r.a - c * ((k.m - k.shift) + k.log_s);
    const float ce = smoothing != 0.0f ? (1.0f - smoothing) * -l - smoothing / c * sum_logp : -l;
    if (s.out == 0) partial[row] = row_weighted_value(rw, invalid, (has_labels ? ce : 0.0f) + lambda * log1p(-rd.a));
    const float gs = row_grad_scale(rw, invalid);
    /* a bad id's t is NaN (its row is NaN anyway) */
    __global const float *tg = bad_id ? zr : tr;
    const float tmask = bad_id ? NAN : 1.0f;
    __global float *gr = grad + off;
    ROW_EACH8(s, j, want_grad ? cols : 0u)
    {
        const float8 t = tmask * vload8(0, tg + j);
        vstore8(row_weighted_grad8(rw, gs, elr_grad8(vload8(0, zr + j), t, ROWVEC_INDEX8(j) == (int)y, k.m, k.log_s, q, kd, rd.b, has_labels, smoothing, c)), 0,
                gr + j);
    }
    ROW_EACH1(s, j, want_grad ? cols : 0u)
    gr[j] = row_weighted_grad1(rw, gs, elr_grad1(zr[j], tmask * tg[j], j == y, k.m, k.log_s, q, kd, rd.b, has_labels, smoothing, c));
}
