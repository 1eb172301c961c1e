/* Metric and overlap losses in double precision, straight from the papers'
 * definitions (see ref_metric_losses.h): distances summed directly,
 * normalisation by division, angles through acos, boxes through their
 * corners. No formula of the library's kernels is reused. */
#include "ref_metric_losses.h"

#include <math.h>
#include <stdlib.h>

#define PI 3.14159265358979323846

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* −log softmax(z)_label = log Σ_j exp(z_j − z_label), with log1p where the
 * label dominates: a well-classified row's loss of 1e-17 stays 1e-17 (and
 * its finite differences meaningful) instead of rounding to 0. */
static double cross_entropy(const double *z, size_t c, int label)
{
    double m = 0.0, s = 0.0;
    for (size_t j = 0; j < c; j++)
        if ((int)j != label) m = fmax(m, z[j] - z[label]);
    for (size_t j = 0; j < c; j++)
        if ((int)j != label) s += exp(z[j] - z[label] - m);
    return m == 0.0 ? log1p(s) : m + log(exp(-m) + s);
}

/* −Σ_j q_j log softmax(z)_j for the smoothed labels q = (1 − ls)·onehot +
 * ls/C: the expected cross-entropy over labels drawn from q. */
static double smoothed_cross_entropy(const double *z, size_t c, int label, double ls)
{
    if (ls == 0.0) return cross_entropy(z, c, label);
    double others = 0.0;
    for (size_t j = 0; j < c; j++) others += cross_entropy(z, c, (int)j);
    return (1.0 - ls) * cross_entropy(z, c, label) + ls / (double)c * others;
}

double ref_harmonic_row(const double *x, const double *w, size_t c, size_t d, int label, double n, double eps,
                        double ls)
{
    double *z = malloc(c * sizeof *z);
    if (!z) return NAN;
    for (size_t j = 0; j < c; j++) {
        double sq = 0.0;
        for (size_t k = 0; k < d; k++) sq += (x[k] - w[j * d + k]) * (x[k] - w[j * d + k]);
        z[j] = log(pow(sq + eps, -0.5 * n)); /* log of d^(-n), the harmonic max's weight */
    }
    double loss = smoothed_cross_entropy(z, c, label, ls);
    free(z);
    return loss;
}

static double norm_of(const double *v, size_t d)
{
    double s = 0.0;
    for (size_t k = 0; k < d; k++) s += v[k] * v[k];
    return sqrt(s);
}

/* The label's margin cosine (the papers' reference code). */
static double margin_target(int kind, double c, double m, int easy, double g)
{
    if (kind == 0) return c - m; /* CosFace */
    if (kind == 1) {             /* ArcFace: insightface's th = cos(pi - m), mm = sin(pi - m) m */
        if (easy ? c > 0.0 : c > cos(PI - m)) return cos(acos(clampd(c, -1 + 0x1p-20, 1 - 0x1p-20)) + m);
        return easy ? c : c - sin(PI - m) * m;
    }
    /* AdaFace */
    double theta = acos(clampd(c, -1 + 1e-3, 1 - 1e-3));
    double theta_m = clampd(theta + m * g * -1.0, 1e-3, PI - 1e-3);
    return cos(theta_m) - (m + m * g);
}

double ref_margin_row(const double *x, const double *w, size_t c, size_t d, int label, int kind, double s, double m,
                      int easy, double g, double ls)
{
    double *z = malloc(c * sizeof *z);
    if (!z) return NAN;
    double nx = fmax(norm_of(x, d), 1e-12);
    for (size_t j = 0; j < c; j++) {
        double nw = fmax(norm_of(w + j * d, d), 1e-12), dot = 0.0;
        for (size_t k = 0; k < d; k++) dot += (x[k] / nx) * (w[j * d + k] / nw);
        z[j] = s * ((int)j == label ? margin_target(kind, dot, m, easy, g) : dot);
    }
    double loss = smoothed_cross_entropy(z, c, label, ls);
    free(z);
    return loss;
}

void ref_adaface_stats(const double *norms, size_t n, double momentum, double stats[2])
{
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++) mean += clampd(norms[i], 1e-3, 100.0);
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) var += pow(clampd(norms[i], 1e-3, 100.0) - mean, 2);
    double std = n > 1 ? sqrt(var / (double)(n - 1)) : 0.0;
    stats[0] = mean * momentum + (1 - momentum) * stats[0];
    stats[1] = std * momentum + (1 - momentum) * stats[1];
}

double ref_adaface_g(double norm, const double stats[2], double h)
{
    return clampd((clampd(norm, 1e-3, 100.0) - stats[0]) / (stats[1] + 1e-3) * h, -1.0, 1.0);
}

double ref_soft_dice(const double *p, const double *t, size_t len, int squared, double smooth)
{
    double inter = 0.0, sp = 0.0, st = 0.0;
    for (size_t i = 0; i < len; i++) {
        inter += p[i] * t[i];
        sp += squared ? p[i] * p[i] : p[i];
        st += squared ? t[i] * t[i] : t[i];
    }
    return 1.0 - (2.0 * inter + smooth) / (sp + st + smooth);
}

double ref_soft_jaccard(const double *p, const double *t, size_t len, double smooth)
{
    double inter = 0.0, uni = 0.0;
    for (size_t i = 0; i < len; i++) {
        inter += p[i] * t[i];
        uni += p[i] + t[i] - p[i] * t[i];
    }
    return 1.0 - (inter + smooth) / (uni + smooth);
}

/* The parts of the box losses (torchvision's formulas, widths clamped at 0). */
typedef struct ref_box_parts {
    double iou, uni, enclosing_area, rho2, c2;
} ref_box_parts;

static ref_box_parts box_parts(const double p[4], const double t[4])
{
    ref_box_parts b;
    double area_p = fmax(p[2] - p[0], 0) * fmax(p[3] - p[1], 0), area_t = fmax(t[2] - t[0], 0) * fmax(t[3] - t[1], 0);
    double iw = fmin(p[2], t[2]) - fmax(p[0], t[0]), ih = fmin(p[3], t[3]) - fmax(p[1], t[1]);
    double inter = iw > 0 && ih > 0 ? iw * ih : 0.0;
    b.uni = area_p + area_t - inter;
    b.iou = inter / (b.uni + 1e-7);
    double cxp = (p[0] + p[2]) / 2, cyp = (p[1] + p[3]) / 2, cxt = (t[0] + t[2]) / 2, cyt = (t[1] + t[3]) / 2;
    b.rho2 = (cxp - cxt) * (cxp - cxt) + (cyp - cyt) * (cyp - cyt);
    double ew = fmax(p[2], t[2]) - fmin(p[0], t[0]), eh = fmax(p[3], t[3]) - fmin(p[1], t[1]);
    b.c2 = ew * ew + eh * eh + 1e-7;
    b.enclosing_area = fmax(ew, 0) * fmax(eh, 0);
    return b;
}

double ref_giou(const double p[4], const double t[4])
{
    ref_box_parts b = box_parts(p, t);
    return 1.0 - b.iou + (b.enclosing_area - b.uni) / (b.enclosing_area + 1e-7);
}

double ref_diou(const double p[4], const double t[4])
{
    ref_box_parts b = box_parts(p, t);
    return 1.0 - b.iou + b.rho2 / b.c2;
}

/* v of CIoU: the squared gap of the aspect angles, scaled by 4/pi^2. */
static double ciou_v(const double p[4], const double t[4])
{
    const double pi = 3.14159265358979323846;
    double gap = atan2(fmax(t[2] - t[0], 0), fmax(t[3] - t[1], 0)) - atan2(fmax(p[2] - p[0], 0), fmax(p[3] - p[1], 0));
    return 4.0 / (pi * pi) * gap * gap;
}

double ref_ciou_alpha(const double p[4], const double t[4])
{
    double v = ciou_v(p, t);
    return v / (1.0 - box_parts(p, t).iou + v + 1e-7);
}

double ref_ciou(const double p[4], const double t[4], double alpha)
{
    if (alpha < 0) alpha = ref_ciou_alpha(p, t);
    return ref_diou(p, t) + alpha * ciou_v(p, t);
}

double ref_madl(double pred, double target, double a, double b)
{
    double u = target * pred, weight = pow(fabs(target), b);
    if (a == 0.0) return -(u > 0 ? 1.0 : u < 0 ? -1.0 : 0.0) * weight;
    return -(1.0 / (1.0 + exp(-a * u)) - 0.5) * weight;
}
