/* The fused optimizer step: one elementwise kernel that reads w, g, m, v (and
 * a mask) once and writes w, m, v once, whatever regularizers are active.
 * Which parts exist is chosen at build time by -D options from the host's
 * list; the strengths and optimizer scalars are arguments, so changing them
 * does not rebuild anything.
 *
 *   OPT        0 none (weight terms only), 1 SGD, 2 SGD + momentum,
 *              3 SGD + Nesterov momentum, 4 Adam (AdamW = Adam + HAS_DECAY),
 *              5 AdEMAMix (Adam + slow EMA m2 = beta3 m2 + (1 - beta3) g, mixed
 *              into the numerator with amix = alpha (1 - beta1^t), which the
 *              lr_m = lr / (1 - beta1^t) factor turns back into alpha)
 *   HAS_CLIP   g *= clip (clip = clip argument, times clip_buf[0] if CLIP_BUF)
 *   HAS_PERP   g -= perp * perp_buf[perp_index] * w       (perpGrad, before clipping)
 *   HAS_L2     g += l2 * mask * w                          (coupled L2)
 *   HAS_DECAY  w -= lr * decay * mask * w_old              (decoupled decay)
 *   PROX       0 none, 1 L1, 2 elastic net: after the update
 *              w = sign(w) max(|w| - lr*l1*mask, 0) / (1 + lr*l2e*mask)   (PROX 2)
 *   HAS_MASK   mask[i] multiplies every weight penalty (selective decay)
 *   MAXIMIZE   g = -g before everything else (PyTorch's maximize)
 *   HAS_DAMP   momentum adds damp * g (damp = 1 - dampening, 1 on step 1)
 *   AMSGRAD    (OPT 4) m2 = max(m2, v), the denominator from m2 instead of v
 *   VW, WPT    vector width and vectors per work-item (tunable; results do
 *              not depend on them: every element sees the same operations)
 *
 * Work-item gid handles vectors gid, gid + items, ... (coalesced on GPUs);
 * the n % VW tail elements are done one by one by the item owning vector
 * n / VW. The host's global size is ceil(ceil(n / VW) / WPT). */
#ifndef OPT
#define OPT 4
#endif
#ifndef HAS_CLIP
#define HAS_CLIP 0
#endif
#ifndef CLIP_BUF
#define CLIP_BUF 0
#endif
#ifndef HAS_PERP
#define HAS_PERP 0
#endif
#ifndef HAS_L2
#define HAS_L2 0
#endif
#ifndef HAS_DECAY
#define HAS_DECAY 0
#endif
#ifndef PROX
#define PROX 0
#endif
#ifndef HAS_MASK
#define HAS_MASK 0
#endif
#ifndef MAXIMIZE
#define MAXIMIZE 0
#endif
#ifndef HAS_DAMP
#define HAS_DAMP 0
#endif
#ifndef AMSGRAD
#define AMSGRAD 0
#endif
#ifndef VW
#define VW 4
#endif
#ifndef WPT
#define WPT 1
#endif

#if VW == 1
typedef float floatv;
#define LOADV(i, p) ((p)[i])
#define STOREV(x, i, p) ((p)[i] = (x))
#elif VW == 2
typedef float2 floatv;
#define LOADV(i, p) vload2((i), (p))
#define STOREV(x, i, p) vstore2((x), (i), (p))
#elif VW == 4
typedef float4 floatv;
#define LOADV(i, p) vload4((i), (p))
#define STOREV(x, i, p) vstore4((x), (i), (p))
#elif VW == 8
typedef float8 floatv;
#define LOADV(i, p) vload8((i), (p))
#define STOREV(x, i, p) vstore8((x), (i), (p))
#else
#error "VW must be 1, 2, 4 or 8"
#endif

/* The scalars every element needs, gathered once per work-item. */
typedef struct step_scalars {
    float lr, mu, beta1, beta2, eps, lr_m, isb2, l2, lr_decay, lr_l1, lr_l2e, clip, perp, beta3, amix, damp;
} step_scalars;

/* One update of elements of type T (float or floatv): returns the new w and
 * updates *m, *v and *m2. Written once as a macro so the vector body and the
 * scalar tail are the same arithmetic. OPT 4 (Adam) reads exactly as before
 * AdEMAMix joined: its variant's arithmetic, and so its bits, are unchanged. */
#define DEFINE_UPDATE(NAME, T)                                                            \
    static inline T NAME(const T w, T g, T *m, T *v, T *m2, const T mk, const step_scalars s)    \
    {                                                                                     \
        if (MAXIMIZE) g = -g;                                                             \
        if (HAS_PERP) g -= s.perp * w;                                                    \
        if (HAS_CLIP) g *= s.clip;                                                        \
        if (HAS_L2) g += s.l2 * mk * w;                                                   \
        T u = (T)0.0f;                                                                    \
        if (OPT == 1) u = g;                                                              \
        if (OPT == 2 || OPT == 3) {                                                       \
            *m = s.mu * *m + (HAS_DAMP ? s.damp * g : g);                                 \
            u = OPT == 3 ? g + s.mu * *m : *m;                                            \
        }                                                                                 \
        if (OPT == 5) *m2 = s.beta3 * *m2 + (1.0f - s.beta3) * g;                         \
        if (OPT == 4 || OPT == 5) {                                                       \
            *m = s.beta1 * *m + (1.0f - s.beta1) * g;                                     \
            *v = s.beta2 * *v + (1.0f - s.beta2) * (g * g);                               \
            if (AMSGRAD) *m2 = fmax(*m2, *v);                                             \
            u = (OPT == 5 ? *m + s.amix * *m2 : *m) / (sqrt(AMSGRAD ? *m2 : *v) * s.isb2 + s.eps); \
        }                                                                                 \
        T out = w - (OPT >= 4 ? s.lr_m : s.lr) * u;                                       \
        if (HAS_DECAY) out -= s.lr_decay * mk * w;                                        \
        if (PROX >= 1) out = copysign(fmax(fabs(out) - s.lr_l1 * mk, (T)0.0f), out);      \
        if (PROX == 2) out = out / (1.0f + s.lr_l2e * mk);                                \
        return out;                                                                       \
    }

DEFINE_UPDATE(update_1, float)
#if VW > 1
DEFINE_UPDATE(update_v, floatv)
#else
#define update_v update_1
#endif

#define USES_M (OPT >= 2)
#define USES_V (OPT >= 4)
#define USES_M2 (OPT == 5 || AMSGRAD)

/* The elements of one tensor that work-item gid (of `items` that have work)
 * owns: vectors gid, gid + items, ... and, for the owner of vector n / VW,
 * the scalar tail. Both kernels below run exactly this, so a tensor gets the
 * same bits whichever of them steps it. */
static inline void step_span(__global float *w, __global const float *g, __global float *m, __global float *v,
                             __global float *m2, __global const float *mask, const uint n, const uint gid,
                             const step_scalars s)
{
    const uint nfull = n / VW;                 /* whole vectors */
    const uint nvec = (n + VW - 1) / VW;       /* vectors including a partial one */
    const uint items = (nvec + WPT - 1) / WPT; /* work-items that have work */
    if (gid >= items) return;
    for (uint k = 0; k < WPT; k++) {
        const uint vi = gid + k * items;
        if (vi < nfull) {
            const floatv wv = LOADV(vi, w);
            floatv mv = USES_M ? LOADV(vi, m) : (floatv)0.0f;
            floatv vv = USES_V ? LOADV(vi, v) : (floatv)0.0f;
            floatv m2v = USES_M2 ? LOADV(vi, m2) : (floatv)0.0f;
            const floatv gv = OPT != 0 || HAS_L2 ? LOADV(vi, g) : (floatv)0.0f;
            const floatv mk = HAS_MASK ? LOADV(vi, mask) : (floatv)1.0f;
            const floatv out = update_v(wv, gv, &mv, &vv, &m2v, mk, s);
            STOREV(out, vi, w);
            if (USES_M) STOREV(mv, vi, m);
            if (USES_V) STOREV(vv, vi, v);
            if (USES_M2) STOREV(m2v, vi, m2);
        } else if (vi == nfull && vi < nvec) {
            for (uint i = nfull * VW; i < n; i++) {
                float mi = USES_M ? m[i] : 0.0f, vi1 = USES_V ? v[i] : 0.0f, m2i = USES_M2 ? m2[i] : 0.0f;
                const float gi = OPT != 0 || HAS_L2 ? g[i] : 0.0f;
                const float out = update_1(w[i], gi, &mi, &vi1, &m2i, HAS_MASK ? mask[i] : 1.0f, s);
                w[i] = out;
                if (USES_M) m[i] = mi;
                if (USES_V) v[i] = vi1;
                if (USES_M2) m2[i] = m2i;
            }
        }
    }
}

/* Unused buffer arguments may alias w: they are never read or written. */
__kernel void optim_step(__global float *w, __global const float *g, __global float *m, __global float *v,
                         __global float *m2, __global const float *mask, __global const float *clip_buf,
                         __global const float *perp_buf, const uint perp_index, const uint n, const float lr,
                         const float mu, const float beta1, const float beta2, const float eps,
                         const float lr_m, const float isb2, const float l2, const float decay, const float l1,
                         const float l2e, const float clip, const float perp, const float beta3,
                         const float amix, const float damp)
{
    /* products of scalars formed once per work-item, not per element */
    step_scalars s = {lr, mu, beta1, beta2, eps, lr_m, isb2, l2, lr * decay, lr * l1, lr * l2e, clip, perp,
                      beta3, amix, damp};
    if (CLIP_BUF) s.clip *= clip_buf[0];
    if (HAS_PERP) s.perp *= perp_buf[perp_index];
    step_span(w, g, m, v, m2, mask, n, get_global_id(0), s);
}

/* Multi-tensor apply: up to 8 tensors (slots) with the same variant and
 * scalars in one launch. OpenCL 1.2 has no arrays of buffers, so each slot
 * is its own set of buffer arguments. Dimension 1 is the slot and dimension
 * 0 runs optim_step's items over it (the host sizes it for the largest
 * slot; items past a slot's own return at once): with a local size of 1 in
 * dimension 1 a work-group holds one slot, so the slot is uniform across
 * it, and each slot has its own copy of the body behind a branch on it, so
 * a CPU implementation vectorizes every copy as optim_step's (PoCL 3.1, 8
 * tensors of 64 K: 0.23 ms against 0.42 ms for 8 optim_step launches; a
 * select among the slots' pointers feeding one body ran 1.1 ms, and a slot
 * found from a 1-D index in a table, varying within a work-group, 7.8 ms).
 * Unused slots have n 0 and any buffers (never read). */
#define SLOT_ARGS(k)                                                                                          \
    __global float *w##k, __global const float *g##k, __global float *m##k, __global float *v##k,           \
        __global float *m2##k, __global const float *mask##k
__kernel void optim_step_multi(SLOT_ARGS(0), SLOT_ARGS(1), SLOT_ARGS(2), SLOT_ARGS(3), SLOT_ARGS(4),
                               SLOT_ARGS(5), SLOT_ARGS(6), SLOT_ARGS(7), __global const float *clip_buf,
                               __global const float *perp_buf, const uint8 pidx, const uint8 ns, const float lr,
                               const float mu, const float beta1, const float beta2, const float eps,
                               const float lr_m, const float isb2, const float l2, const float decay,
                               const float l1, const float l2e, const float clip, const float perp,
                               const float beta3, const float amix, const float damp)
{
    const uint slot = get_global_id(1);
    if (slot >= 8) return;
    step_scalars s = {lr, mu, beta1, beta2, eps, lr_m, isb2, l2, lr * decay, lr * l1, lr * l2e, clip, perp,
                      beta3, amix, damp};
    if (CLIP_BUF) s.clip *= clip_buf[0];
    const uint gid = get_global_id(0);
#define SLOT_RUN(k)                                                                                           \
    if (slot == k) {                                                                                          \
        if (HAS_PERP) s.perp *= perp_buf[pidx.s##k];                                                          \
        step_span(w##k, g##k, m##k, v##k, m2##k, mask##k, ns.s##k, gid, s);                                   \
        return;                                                                                               \
    }
    SLOT_RUN(0)
    SLOT_RUN(1)
    SLOT_RUN(2)
    SLOT_RUN(3)
    SLOT_RUN(4)
    SLOT_RUN(5)
    SLOT_RUN(6)
    SLOT_RUN(7)
#undef SLOT_RUN
}
