/* Double-precision references for the layers, written from the formulas in
 * the papers and textbooks, not from clnn's kernels: the activations from
 * their definitions with libm's erf/tanh/exp, the losses from their
 * definitions as sums over -log probabilities. */
#include "ref.h"

#include <math.h>
#include <stdlib.h>

#define PI 3.14159265358979323846

enum { NONE, RELU, LEAKY, ELU, GELU, GELU_TANH, SILU, SIGMOID, TANH, SOFTPLUS, RELU6, HARDSIGMOID, HARDSWISH, SELU, MISH };

/* SELU's constants (Klambauer et al. 2017, "Self-Normalizing Neural Networks") */
#define SELU_ALPHA 1.6732632423543772848170429916717
#define SELU_SCALE 1.0507009873554804934193349852946

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

double ref_act(int act, double alpha, double x)
{
    const double k = sqrt(2.0 / PI);
    switch (act) {
    case RELU: return x > 0 ? x : 0;
    case LEAKY: return x > 0 ? x : alpha * x;
    case ELU: return x > 0 ? x : alpha * (exp(x) - 1.0);
    case GELU: return x * 0.5 * erfc(-x / sqrt(2.0)); /* x * Phi(x) */
    case GELU_TANH: return 0.5 * x * (1.0 + tanh(k * (x + 0.044715 * x * x * x)));
    case SILU: return x * sigmoid(x);
    case SIGMOID: return sigmoid(x);
    case TANH: return tanh(x);
    case SOFTPLUS: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); /* log(1 + e^x) */
    case RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case HARDSIGMOID: return x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5;
    case HARDSWISH: return x <= -3 ? 0 : x >= 3 ? x : x * (x + 3) / 6;
    case SELU: return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * expm1(x));
    case MISH: return x * tanh(x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)));
    default: return x;
    }
}

double ref_act_derivative(int act, double alpha, double x)
{
    const double k = sqrt(2.0 / PI);
    switch (act) {
    case RELU: return x > 0 ? 1 : 0;
    case LEAKY: return x > 0 ? 1 : alpha;
    case ELU: return x > 0 ? 1 : alpha * exp(x);
    case GELU: return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2.0 * PI);
    case GELU_TANH: {
        double u = k * (x + 0.044715 * x * x * x), du = k * (1.0 + 3.0 * 0.044715 * x * x);
        double sech2 = 1.0 / (cosh(u) * cosh(u));
        return 0.5 * (1.0 + tanh(u)) + 0.5 * x * sech2 * du;
    }
    case SILU: return sigmoid(x) + x * sigmoid(x) * (1.0 - sigmoid(x));
    case SIGMOID: return sigmoid(x) * (1.0 - sigmoid(x));
    case TANH: return 1.0 / (cosh(x) * cosh(x));
    case SOFTPLUS: return sigmoid(x);
    case RELU6: return x > 0 && x < 6 ? 1 : 0;
    case HARDSIGMOID: return x > -3 && x < 3 ? 1.0 / 6.0 : 0;
    case HARDSWISH: return x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1;
    case SELU: return x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * exp(x);
    case MISH: { /* d/dx x tanh(sp(x)) = tanh(sp) + x sech^2(sp) sigmoid(x) */
        const double sp = x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)), c = cosh(sp);
        return tanh(sp) + x * sigmoid(x) / (c * c);
    }
    default: return 1;
    }
}

void ref_dense_forward(const float *x, const float *w, const float *b, size_t rows, size_t in, size_t out, int act,
                       double alpha, double *z, double *y)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t o = 0; o < out; o++) {
            double s = b ? b[o] : 0.0;
            for (size_t i = 0; i < in; i++) s += (double)x[r * in + i] * w[o * in + i];
            if (z) z[r * out + o] = s;
            y[r * out + o] = ref_act(act, alpha, s);
        }
}

void ref_dense_backward(const float *x, const float *w, const double *z, const float *dy, size_t rows, size_t in,
                        size_t out, int act, double alpha, double *dx, double *dw, double *db)
{
    double *dz = malloc(rows * out * sizeof *dz);
    if (!dz) abort();
    for (size_t k = 0; k < rows * out; k++) dz[k] = dy[k] * ref_act_derivative(act, alpha, z[k]);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < in; i++) {
            double s = 0;
            for (size_t o = 0; o < out; o++) s += dz[r * out + o] * w[o * in + i];
            dx[r * in + i] = s;
        }
    for (size_t o = 0; o < out; o++) {
        double sb = 0;
        for (size_t r = 0; r < rows; r++) sb += dz[r * out + o];
        db[o] = sb;
        for (size_t i = 0; i < in; i++) {
            double s = 0;
            for (size_t r = 0; r < rows; r++) s += dz[r * out + o] * x[r * in + i];
            dw[o * in + i] = s;
        }
    }
    free(dz);
}

/* log sum_j exp(x_j), shifted by the max so that nothing overflows. */
static double logsumexp(const float *x, size_t n)
{
    double m = -INFINITY, s = 0;
    for (size_t j = 0; j < n; j++)
        if (x[j] > m) m = x[j];
    for (size_t j = 0; j < n; j++) s += exp((double)x[j] - m);
    return m + log(s);
}

void ref_softmax(const float *x, size_t rows, size_t cols, int log_out, double *y)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        double lse = logsumexp(xr, cols);
        for (size_t j = 0; j < cols; j++) {
            double logp = (double)xr[j] - lse;
            y[r * cols + j] = log_out ? logp : exp(logp);
        }
    }
}

/* Cross-entropy of one row against target distribution t (any weights):
 * sum_j t_j (-log p_j); grad_j = p_j sum t - t_j. */
static double ce_row(const float *x, const double *t, size_t cols, double scale, double *grad)
{
    double lse = logsumexp(x, cols), loss = 0, tsum = 0;
    for (size_t j = 0; j < cols; j++) {
        loss += t[j] * (lse - (double)x[j]);
        tsum += t[j];
    }
    if (grad)
        for (size_t j = 0; j < cols; j++) grad[j] = scale * (exp((double)x[j] - lse) * tsum - t[j]);
    return loss;
}

double ref_cross_entropy_labels(const float *logits, const int32_t *labels, size_t rows, size_t cols, double eps,
                                int32_t ignore_index, int mean, double *grad)
{
    size_t counted = 0;
    for (size_t r = 0; r < rows; r++) counted += labels[r] != ignore_index;
    double scale = mean ? (counted ? 1.0 / (double)counted : 0.0) : 1.0, total = 0;
    double *t = malloc(cols * sizeof *t);
    if (!t) abort();
    for (size_t r = 0; r < rows; r++) {
        if (labels[r] == ignore_index) {
            if (grad)
                for (size_t j = 0; j < cols; j++) grad[r * cols + j] = 0;
            continue;
        }
        for (size_t j = 0; j < cols; j++) t[j] = eps / (double)cols + ((int32_t)j == labels[r] ? 1.0 - eps : 0.0);
        total += ce_row(logits + r * cols, t, cols, scale, grad ? grad + r * cols : NULL);
    }
    free(t);
    return scale * total;
}

double ref_cross_entropy_soft(const float *logits, const float *targets, size_t rows, size_t cols, double eps,
                              int mean, double *grad)
{
    double scale = mean ? 1.0 / (double)rows : 1.0, total = 0;
    double *t = malloc(cols * sizeof *t);
    if (!t) abort();
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++) t[j] = (1.0 - eps) * targets[r * cols + j] + eps / (double)cols;
        total += ce_row(logits + r * cols, t, cols, scale, grad ? grad + r * cols : NULL);
    }
    free(t);
    return scale * total;
}

double ref_mse(const float *p, const float *t, size_t n, int mean, double *grad)
{
    double scale = mean ? 1.0 / (double)n : 1.0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)p[i] - t[i];
        total += d * d;
        if (grad) grad[i] = scale * 2.0 * d;
    }
    return scale * total;
}

/* -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], with log sigmoid(x) =
 * -log1p(exp(-x)) written per sign so that it does not overflow. */
static double log_sigmoid(double x) { return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); }

double ref_bce_with_logits(const float *x, const float *t, size_t n, int mean, double *grad)
{
    double scale = mean ? 1.0 / (double)n : 1.0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], ti = t[i];
        total += -(ti * log_sigmoid(xi) + (1.0 - ti) * log_sigmoid(-xi));
        if (grad) grad[i] = scale * (exp(log_sigmoid(xi)) - ti);
    }
    return scale * total;
}

int ref_dropout_keep(uint64_t seed, uint32_t stream, uint64_t i, float p)
{
    return ref_philox_uniform(seed, stream, i) >= p;
}
