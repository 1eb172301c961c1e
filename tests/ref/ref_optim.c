/* Optimizer steps in double precision, written from the update rules of the
 * papers (see ref.h), independent of src/optim/optim.c and cl/optim.cl. */
#include "ref/ref.h"

#include <math.h>

static double soft_threshold(double x, double t)
{
    if (x > t) return x - t;
    if (x < -t) return x + t;
    return 0.0;
}

/* The gradient operations of a step: perpGrad projection, clipping, coupled L2. */
static double grad_ops(const ref_optim *o, double g, double w0, double k)
{
    if (o->maximize) g = -g;
    double grad = (g - o->perp * w0) * o->clip;
    double coupled = o->l2 + (o->kind == 0 || o->kind == 1 ? o->weight_decay : 0.0);
    return grad + coupled * k * w0;
}

/* w0 − step, the decoupled decay on the old w, then the proximal terms. */
static double weight_terms(const ref_optim *o, double w0, double step, double k)
{
    double decoupled = o->decay + (o->kind == 0 || o->kind == 1 ? 0.0 : o->weight_decay);
    double w1 = w0 - step - o->lr * decoupled * k * w0;
    if (o->prox >= 1) w1 = soft_threshold(w1, o->lr * o->l1 * k);
    if (o->prox == 2) w1 /= 1 + o->lr * o->l2e * k;
    return w1;
}

void ref_optim_step(const ref_optim *o, size_t n, double *w, const double *g, double *m, double *v,
                    const double *mask, int no_decay)
{
    const double t = (double)o->step;
    for (size_t i = 0; i < n; i++) {
        const double k = no_decay ? 0.0 : mask ? mask[i] : 1.0;
        const double w0 = w[i];
        double grad = grad_ops(o, g[i], w0, k);
        double step;
        if (o->kind == 0) {
            if (o->momentum == 0) {
                step = grad;
            } else {
                /* PyTorch: the buffer starts as g, then buf = mu buf + (1 - dampening) g */
                m[i] = t == 1 ? grad : o->momentum * m[i] + (1 - o->dampening) * grad;
                step = o->nesterov ? grad + o->momentum * m[i] : m[i];
            }
            step *= o->lr;
        } else {
            m[i] = o->beta1 * m[i] + (1 - o->beta1) * grad;
            v[i] = o->beta2 * v[i] + (1 - o->beta2) * grad * grad;
            double mhat = m[i] / (1 - pow(o->beta1, t));
            double vhat = v[i] / (1 - pow(o->beta2, t));
            step = o->lr * mhat / (sqrt(vhat) + o->eps);
        }
        w[i] = weight_terms(o, w0, step, k);
    }
}

/* AdEMAMix, Algorithm 1 of Pagliardini, Ablin & Grangier 2024: Adam's m1, ν
 * with bias correction, the slow m2 without, θ ← θ − η((m̂1 + α·m2)/(sqrt(ν̂) + ε) + λθ). */
void ref_ademamix_step(const ref_optim *o, double alpha, double beta3, size_t n, double *w, const double *g,
                       double *m, double *v, double *m2, const double *mask, int no_decay)
{
    const double t = (double)o->step;
    for (size_t i = 0; i < n; i++) {
        const double k = no_decay ? 0.0 : mask ? mask[i] : 1.0;
        const double w0 = w[i];
        double grad = grad_ops(o, g[i], w0, k);
        m[i] = o->beta1 * m[i] + (1 - o->beta1) * grad;
        m2[i] = beta3 * m2[i] + (1 - beta3) * grad;
        v[i] = o->beta2 * v[i] + (1 - o->beta2) * grad * grad;
        double m1hat = m[i] / (1 - pow(o->beta1, t)), vhat = v[i] / (1 - pow(o->beta2, t));
        w[i] = weight_terms(o, w0, o->lr * (m1hat + alpha * m2[i]) / (sqrt(vhat) + o->eps), k);
    }
}

void ref_amsgrad_step(const ref_optim *o, size_t n, double *w, const double *g, double *m, double *v, double *vmax)
{
    const double t = (double)o->step;
    for (size_t i = 0; i < n; i++) {
        const double w0 = w[i];
        const double grad = grad_ops(o, g[i], w0, 1.0);
        m[i] = o->beta1 * m[i] + (1 - o->beta1) * grad;
        v[i] = o->beta2 * v[i] + (1 - o->beta2) * grad * grad;
        vmax[i] = fmax(vmax[i], v[i]);
        const double mhat = m[i] / (1 - pow(o->beta1, t)), vhat = vmax[i] / (1 - pow(o->beta2, t));
        w[i] = weight_terms(o, w0, o->lr * mhat / (sqrt(vhat) + o->eps), 1.0);
    }
}
