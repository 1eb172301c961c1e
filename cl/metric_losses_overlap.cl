/* Overlap and directional losses (include/clnn/metric_losses.h): soft Dice
 * and soft Jaccard per sample, the generalized, distance and complete IoU
 * losses per box, MADL / GMADL per element.
 *
 * Sums use the fixed-lane work-group reduction of reduce.clh over chunks of
 * a constant size (a chunk per work-group; the constant fixes the summation
 * order, so it is not a tuning parameter): the bits never depend on the
 * local size. The host adds the per-chunk partials with layers_loss.cl's loss_sum.
 * The chunked kernels launch exactly one work-group per chunk and never
 * return before a barrier (PoCL 3.1, see layers_softmax.cl). */
#include "index.clh"
#include "reduce.clh"
#include "logexp.clh" /* expm1 that vectorises */

#define OVERLAP_CHUNK 4096 /* elements of one sample per work-group */
#define BOX_CHUNK 1024     /* boxes per work-group */
#define MADL_CHUNK 4096    /* elements per work-group */
#define BOX_EPS 1e-7f      /* torchvision's: added to the union, c^2, the enclosing area and alpha's denominator */

#define OVERLAP_DICE 0
#define OVERLAP_DICE_SQUARED 1
#define OVERLAP_JACCARD 2

/* Stage 1 of Dice / Jaccard. A sample's elements are `runs` runs of len
 * contiguous elements, run r of sample s starting at r·run_stride + s·len
 * (one run: the samples are consecutive blocks; the per-class losses over
 * a batch [N, C, S]: sample c is N runs of S at a stride of C·S). Work-group
 * g = (sample, run, chunk) sums over its chunk of the run I = sum p t, P =
 * sum p, T = sum t (sums of squares for P and T when squared): part[3 g +
 * {0, 1, 2}], so a sample's runs · chunks partials are consecutive. */
__kernel void overlap_partial(__global float *part, __global const float *p, __global const float *t, const uint len,
                              const uint chunks, const uint runs, const ulong run_stride, const int squared,
                              __local float *lanes)
{
    const uint g = get_group_id(0);
    uint sample_run, sample;
    const uint start = split_index(g, chunks, &sample_run) * OVERLAP_CHUNK;
    const uint run = split_index(sample_run, runs, &sample);
    const uint count = min((uint)OVERLAP_CHUNK, len - start);
    const size_t base = (size_t)run * run_stride + (size_t)sample * len + start;
    __global const float *pc = p + base;
    __global const float *tc = t + base;
    __local float *li = lanes, *lp = lanes + RED_LANES, *lt = lanes + 2 * RED_LANES;
    RED_FOR_LANES(lane) {
        float si = 0.0f, sp = 0.0f, st = 0.0f;
        RED_FOR_LANE_ELEMENTS(i, lane, count) {
            const float a = pc[i], b = tc[i];
            si += a * b;
            sp += squared ? a * a : a;
            st += squared ? b * b : b;
        }
        li[lane] = si;
        lp[lane] = sp;
        lt[lane] = st;
    }
    const float si = red_tree_sum(li);
    const float sp = red_tree_sum(lp);
    const float st = red_tree_sum(lt);
    if (get_local_id(0) == 0) {
        part[3 * g] = si;
        part[3 * g + 1] = sp;
        part[3 * g + 2] = st;
    }
}

/* Stage 2: work-item s adds its sample's chunk sums in order and writes the
 * sample's loss and the gradient coefficients, dL/dp_k = c0 t_k + c1 + c2 p_k
 * (times scale):
 *   Dice     q = (2I + smooth) / d, d = P + T + smooth:  c0 = -2/d, c1 = q/d, c2 = 0
 *   squared  d = P2 + T2 + smooth:                       c0 = -2/d, c1 = 0,   c2 = 2q/d
 *   Jaccard  q = (I + smooth) / u, u = P + T - I + smooth: c0 = -(1 + q)/u, c1 = q/u, c2 = 0
 * and loss = 1 - q. With skip_empty, a sample whose T is 0 has loss 0 and
 * no gradient (segmentation_models_pytorch's mask of the classes absent
 * from the targets). */
__kernel void overlap_finish(__global float *loss, __global float *coef, __global const float *part, const uint n,
                             const uint chunks, const int kind, const float smooth, const float scale,
                             const int skip_empty)
{
    const uint s = get_global_id(0);
    if (s >= n) return; /* no barrier in this kernel */
    float si = 0.0f, sp = 0.0f, st = 0.0f;
    for (uint c = 0; c < chunks; c++) {
        __global const float *q = part + 3 * ((size_t)s * chunks + c);
        si += q[0];
        sp += q[1];
        st += q[2];
    }
    float q, c0, c1, c2;
    if (kind == OVERLAP_JACCARD) {
        const float u = ((sp + st) - si) + smooth;
        q = (si + smooth) / u;
        c0 = -(1.0f + q) / u;
        c1 = q / u;
        c2 = 0.0f;
    } else {
        const float d = (sp + st) + smooth;
        q = (2.0f * si + smooth) / d;
        c0 = -2.0f / d;
        c1 = kind == OVERLAP_DICE ? q / d : 0.0f;
        c2 = kind == OVERLAP_DICE_SQUARED ? 2.0f * q / d : 0.0f;
    }
    const float keep = skip_empty && st == 0.0f ? 0.0f : 1.0f;
    loss[s] = keep * (1.0f - q);
    coef[3 * s] = keep * scale * c0;
    coef[3 * s + 1] = keep * scale * c1;
    coef[3 * s + 2] = keep * scale * c2;
}

/* Stage 3 (with a gradient): grad_k = c0 t_k + c1 + c2 p_k of its sample,
 * element k's sample being (k / len) mod n (stage 1's runs). */
__kernel void overlap_grad(__global float *grad, __global const float *p, __global const float *t,
                           __global const float *coef, const uint count, const uint len, const uint n)
{
    const uint i = get_global_id(0);
    if (i >= count) return; /* no barrier in this kernel */
    uint block, unused;
    split_index(i, len, &block);
    const uint s = split_index(block, n, &unused);
    __global const float *c = coef + 3 * (size_t)s;
    grad[i] = c[0] * t[i] + c[1] + c[2] * p[i];
}

/* The one-hot targets of labels [N, S] for the per-class losses over
 * logits [N, C, S]: t[n, c, s] = (labels[n, s] == c), so a label outside
 * [0, C) marks no class. Indices by prepared divisors. */
__kernel void overlap_onehot(__global float *t, __global const int *labels, const uint count, const divisor len,
                             const divisor classes)
{
    const uint i = get_global_id(0);
    if (i >= count) return; /* no barrier in this kernel */
    uint block, n;
    const uint pos = split_by(i, len, &block);
    const uint c = split_by(block, classes, &n);
    t[i] = labels[(size_t)n * len.x + pos] == (int)c ? 1.0f : 0.0f;
}

/* x[i] = 0 where the position of element i of [N, C, S] has the label
 * ignore_index (smp's ignore_index: such positions leave every sum, and
 * their gradient is 0). */
__kernel void overlap_zero_ignored(__global float *x, __global const int *labels, const uint count, const divisor len,
                                   const divisor classes, const int ignore_index)
{
    const uint i = get_global_id(0);
    if (i >= count) return; /* no barrier in this kernel */
    uint block, n;
    const uint pos = split_by(i, len, &block);
    split_by(block, classes, &n);
    if (labels[(size_t)n * len.x + pos] == ignore_index) x[i] = 0.0f;
}

/* The box losses, one per build (-DBOX_KIND, set by the host). */
#define BOX_GIOU 0
#define BOX_DIOU 1
#define BOX_CIOU 2
#ifndef BOX_KIND
#define BOX_KIND BOX_DIOU
#endif

/* CIoU's aspect angle atan(w / h) as atan2, so that h = 0 gives pi/2 (w > 0)
 * or 0 (w = h = 0) instead of NaN, and its gradient (h, -w) / (w^2 + h^2)
 * (0 at w = h = 0). */
static inline float aspect_angle(const float w, const float h, float *d_w, float *d_h)
{
    const float r2 = w * w + h * h, inv = r2 > 0.0f ? 1.0f / r2 : 0.0f;
    *d_w = h * inv;
    *d_h = -w * inv;
    return atan2(w, h);
}

/* The IoU loss of one box pair (x1, y1, x2, y2) of kind BOX_KIND and its
 * gradient wrt p. Ties of min/max go to p's side; widths below 0 count as 0
 * (header). Centre offsets are taken as sums of coordinate differences, so
 * boxes far from the origin keep their small offsets. */
static inline float box_loss(const float4 p, const float4 t, float4 *grad)
{
    const float pw = fmax(p.s2 - p.s0, 0.0f), ph = fmax(p.s3 - p.s1, 0.0f);
    const float tw = fmax(t.s2 - t.s0, 0.0f), th = fmax(t.s3 - t.s1, 0.0f);
    const int in_x1 = p.s0 >= t.s0, in_x2 = p.s2 <= t.s2, in_y1 = p.s1 >= t.s1, in_y2 = p.s3 <= t.s3;
    const float iw = fmax((in_x2 ? p.s2 : t.s2) - (in_x1 ? p.s0 : t.s0), 0.0f);
    const float ih = fmax((in_y2 ? p.s3 : t.s3) - (in_y1 ? p.s1 : t.s1), 0.0f);
    const float inter = iw * ih, uni = pw * ph + tw * th - inter, denom = uni + BOX_EPS, iou = inter / denom;
    const int out_x1 = p.s0 <= t.s0, out_x2 = p.s2 >= t.s2, out_y1 = p.s1 <= t.s1, out_y2 = p.s3 >= t.s3;
    const float cw = (out_x2 ? p.s2 : t.s2) - (out_x1 ? p.s0 : t.s0);
    const float ch = (out_y2 ? p.s3 : t.s3) - (out_y1 ? p.s1 : t.s1);
    /* d inter, d area_p: each coordinate moves one side of a width or height */
    const float4 d_inter = (float4)(iw > 0.0f && in_x1 ? -ih : 0.0f, ih > 0.0f && in_y1 ? -iw : 0.0f,
                                    iw > 0.0f && in_x2 ? ih : 0.0f, ih > 0.0f && in_y2 ? iw : 0.0f);
    const float4 d_area = (float4)(pw > 0.0f ? -ph : 0.0f, ph > 0.0f ? -pw : 0.0f, pw > 0.0f ? ph : 0.0f,
                                   ph > 0.0f ? pw : 0.0f);
    /* d iou = d inter (1 + iou) / denom - iou / denom d area_p */
    const float4 d_iou = d_inter * ((1.0f + iou) / denom) - d_area * (iou / denom);
#if BOX_KIND == BOX_GIOU
    /* + (C - U) / (C + eps), C the enclosing area (sides below 0 count as
     * 0), U the union: d = (dC (1 - r) - dU) / (C + eps) */
    const float ecw = fmax(cw, 0.0f), ech = fmax(ch, 0.0f), area_c = ecw * ech, cden = area_c + BOX_EPS;
    const float r = (area_c - uni) / cden;
    const float4 d_c = (float4)(cw > 0.0f && out_x1 ? -ech : 0.0f, ch > 0.0f && out_y1 ? -ecw : 0.0f,
                                cw > 0.0f && out_x2 ? ech : 0.0f, ch > 0.0f && out_y2 ? ecw : 0.0f);
    *grad = -d_iou + (d_c * (1.0f - r) - (d_area - d_inter)) / cden;
    return (1.0f - iou) + r;
#else
    const float dx = 0.5f * ((p.s0 - t.s0) + (p.s2 - t.s2)), dy = 0.5f * ((p.s1 - t.s1) + (p.s3 - t.s3));
    const float rho2 = dx * dx + dy * dy;
    const float c2 = (cw * cw + ch * ch) + BOX_EPS;
    const float4 d_c2 = 2.0f * (float4)(out_x1 ? -cw : 0.0f, out_y1 ? -ch : 0.0f, out_x2 ? cw : 0.0f,
                                        out_y2 ? ch : 0.0f);
    const float4 d_rho2 = (float4)(dx, dy, dx, dy);
    const float diou = (1.0f - iou) + rho2 / c2;
    const float4 d_diou = -d_iou + d_rho2 / c2 - d_c2 * (rho2 / (c2 * c2));
#if BOX_KIND == BOX_CIOU
    /* + alpha v, v = (4/pi^2)(atan(tw/th) - atan(pw/ph))^2, alpha = v / (1 -
     * iou + v + eps) held constant (torchvision computes it under no_grad) */
    float dw_p, dh_p, dw_t, dh_t;
    const float gap = aspect_angle(tw, th, &dw_t, &dh_t) - aspect_angle(pw, ph, &dw_p, &dh_p);
    const float v = (4.0f / (M_PI_F * M_PI_F)) * gap * gap, alpha = v / ((1.0f - iou) + v + BOX_EPS);
    /* d v / d angle_p = -(8/pi^2) gap; the angle moves with pw and ph where they are > 0 */
    const float dv = -(8.0f / (M_PI_F * M_PI_F)) * gap * alpha;
    const float gw = pw > 0.0f ? dv * dw_p : 0.0f, gh = ph > 0.0f ? dv * dh_p : 0.0f;
    *grad = d_diou + (float4)(-gw, -gh, gw, gh);
    return diou + alpha * v;
#else
    *grad = d_diou;
    return diou;
#endif
#endif
}

/* With LOSS_VALUES (a variant, for the reduction NONE) iou_boxes and
 * madl_elements also write each item's loss to values[i]. */
#ifndef LOSS_VALUES
#define LOSS_VALUES 0
#endif

/* The chunk skeleton of iou_boxes and madl_elements: work-group g adds
 * ITEM (an expression of the item index i that also writes i's gradient)
 * over items [g·CHUNK, min(n, (g + 1)·CHUNK)) on reduce.clh's fixed lanes
 * and writes partial[g]. */
#define CHUNKED_LOSS(CHUNK, n, i, ITEM)                                        \
    {                                                                          \
        const uint start = get_group_id(0) * (CHUNK);                          \
        const uint count = min((uint)(CHUNK), (n) - start);                    \
        RED_FOR_LANES(lane) {                                                  \
            float acc = 0.0f;                                                  \
            RED_FOR_LANE_ELEMENTS(j, lane, count) {                            \
                const uint i = start + j;                                      \
                acc += (ITEM);                                                 \
            }                                                                  \
            lanes[lane] = acc;                                                 \
        }                                                                      \
        const float sum = red_tree_sum(lanes);                                 \
        if (get_local_id(0) == 0) partial[get_group_id(0)] = sum;              \
    }

/* Box i's loss; grad[i] = scale d/dpred when want_grad; values[i] = the loss
 * with LOSS_VALUES. */
static inline float box_item(const uint i, __global float *values, __global float *grad, __global const float *pred,
                       __global const float *target, const float scale, const int want_grad)
{
    float4 g;
    const float loss = box_loss(vload4(i, pred), vload4(i, target), &g);
    if (want_grad) vstore4(scale * g, i, grad);
#if LOSS_VALUES
    values[i] = loss;
#endif
    return loss;
}

/* The BOX_KIND loss over BOX_CHUNK boxes per work-group: partial[chunk] =
 * sum of the losses, grad (want_grad) = scale d/dpred. */
__kernel void iou_boxes(__global float *partial, __global float *values, __global float *grad,
                         __global const float *pred, __global const float *target, const uint nbox, const float scale,
                         const int want_grad, __local float *lanes)
{
    CHUNKED_LOSS(BOX_CHUNK, nbox, i, box_item(i, values, grad, pred, target, scale, want_grad))
}

/* MADL (a = 0) or GMADL (a > 0) of one element and d/dr_hat (header).
 * With e = exp(-|v|) and em = e - 1: sigma(v) - 1/2 = sign(v) (-em) / (2 (2
 * + em)) and sigma (1 - sigma) = e / (1 + e)^2, which never overflows. One
 * transcendental per element: for |v| <= log 2, em = expm1(-|v|) (exact for
 * small v) and e = 1 + em (exact there: em >= -1/2); beyond, e = exp(-|v|)
 * (exact in the tails, where 1 + expm1 kept ~6e-8 absolute: the gradient
 * was 2.6% off at |v| = 15 and 0 from 16.6 on) and em = e - 1 (to an ulp,
 * em <= -1/2). */
static inline float madl_term(const float r_hat, const float r, const float a, const float b, float *grad)
{
    const float w = b == 1.0f ? fabs(r) : pow(fabs(r), b);
    const float v = a * (r * r_hat);
    if (a == 0.0f) {
        *grad = 0.0f;
        return -sign(r * r_hat) * w;
    }
    const float av = fabs(v);
    const int inner = av <= M_LN2_F;
    const float x = inner ? clnn_expm1f(-av) : exp(-av), e = inner ? 1.0f + x : x, em = inner ? x : x - 1.0f;
    *grad = -a * r * (e / ((1.0f + e) * (1.0f + e))) * w;
    return -copysign(-em / (2.0f * (2.0f + em)), v) * w;
}

/* Element i's (G)MADL term; grad[i] = scale d/dpred when want_grad;
 * values[i] = the term with LOSS_VALUES. */
static inline float madl_item(const uint i, __global float *values, __global float *grad, __global const float *pred,
                       __global const float *target, const float a, const float b, const float scale,
                       const int want_grad)
{
    float g;
    const float loss = madl_term(pred[i], target[i], a, b, &g);
    if (want_grad) grad[i] = scale * g;
#if LOSS_VALUES
    values[i] = loss;
#endif
    return loss;
}

/* MADL over MADL_CHUNK elements per work-group: partial[chunk] = sum of the
 * terms, grad (want_grad) = scale d/dpred. */
__kernel void madl_elements(__global float *partial, __global float *values, __global float *grad,
                            __global const float *pred, __global const float *target, const uint n, const float a,
                            const float b, const float scale, const int want_grad, __local float *lanes)
{
    CHUNKED_LOSS(MADL_CHUNK, n, i, madl_item(i, values, grad, pred, target, a, b, scale, want_grad))
}
