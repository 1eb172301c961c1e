/* Optimizer steps in double precision, written from the update rules of the
 * papers (see ref.h), independent of src/optim.c and cl/optim.cl. */
#include "ref/ref.h"

#include <math.h>

static double soft_threshold(double x, double t)
{
    if (x > t) return x - t;
    if (x < -t) return x + t;
    return 0.0;
}

void ref_optim_step(const ref_optim *o, size_t n, double *w, const double *g, double *m, double *v,
                    const double *mask, int no_decay)
{
    const double t = (double)o->step;
    for (size_t i = 0; i < n; i++) {
        const double k = no_decay ? 0.0 : mask ? mask[i] : 1.0;
        const double w0 = w[i];
        /* gradient operations: perpGrad projection, clipping, coupled L2 */
        double grad = (g[i] - o->perp * w0) * o->clip;
        double coupled = o->l2 + (o->kind == 2 ? 0.0 : o->weight_decay);
        grad += coupled * k * w0;
        double step;
        if (o->kind == 0) {
            if (o->momentum == 0) {
                step = grad;
            } else {
                m[i] = o->momentum * m[i] + grad;
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
        double decoupled = o->decay + (o->kind == 2 ? o->weight_decay : 0.0);
        double w1 = w0 - step - o->lr * decoupled * k * w0;
        if (o->prox >= 1) w1 = soft_threshold(w1, o->lr * o->l1 * k);
        if (o->prox == 2) w1 /= 1 + o->lr * o->l2e * k;
        w[i] = w1;
    }
}
