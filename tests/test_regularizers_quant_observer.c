/* The moving-average min/max observer against a double reference of
 * torch.ao.quantization's MovingAverage(PerChannel)MinMaxObserver: three
 * batches (the first taken as is, then m ← m + c·(batch − m)), per tensor
 * and per channel along several axes, a channel of zeros and an
 * all-positive one; then calculate_qparams's scale and zero point from the
 * device's running values. Under forced local sizes (1, 3, 64, 256) the
 * running values must have the default's bits.
 *
 * Tolerances: the first update is exact (min and max); each later one is
 * one fp32 subtraction, product and sum (or an fma): |dev − ref| <=
 * 1e-6·(|ref| + max|x|) after three. Scale: one division, relative 1e-6;
 * zero point exact unless lo/s lies within 1e-4 of a rounding tie. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_context *ctx;

typedef struct geom {
    size_t outer, nch, inner, n;
} geom;

static geom geometry(int ndim, const size_t *shape, int per_channel, int axis)
{
    geom g = {1, 1, 1, 1};
    for (int d = 0; d < ndim; d++) g.n *= shape[d];
    if (!per_channel) {
        g.inner = g.n;
        return g;
    }
    int ax = axis < 0 ? axis + ndim : axis;
    g.nch = shape[ax];
    for (int d = 0; d < ax; d++) g.outer *= shape[d];
    for (int d = ax + 1; d < ndim; d++) g.inner *= shape[d];
    return g;
}

static void batch(float *x, const geom *g, unsigned seed)
{
    test_fill_uniform(x, g->n, seed, -2.0f, 3.0f);
    for (size_t i = 0; i < g->n; i++) {
        size_t c = i / g->inner % g->nch;
        if (g->nch > 2 && c == 1) x[i] = 0.0f;          /* a channel of zeros: s = eps */
        else if (g->nch > 2 && c == 2) x[i] = fabsf(x[i]) + 0.5f; /* all positive: lo = 0 */
        else x[i] *= 1.0f + 0.3f * (float)c;
    }
}

static void observer(int ndim, const size_t *shape, int per_channel, int axis, float avg, int bits, int sym)
{
    const geom g = geometry(ndim, shape, per_channel, axis);
    const size_t n = g.n, nch = g.nch, two = 2 * nch;
    float *x = malloc(n * sizeof(float)), *init = malloc(two * sizeof(float));
    double *ref = malloc(two * sizeof(double)), qmin, qmax, xmax = 0;
    REQUIRE(x && init && ref, "out of memory");
    ref_quant_range(bits, sym, &qmin, &qmax);
    for (size_t c = 0; c < nch; c++) init[c] = INFINITY, init[nch + c] = -INFINITY;
    clnn_quant_options q = {sizeof(clnn_quant_options), bits, sym, per_channel, axis};
    memset(x, 0, n * sizeof(float));
    clnn_tensor *tx = test_tensor_from(ctx, ndim, shape, x), *tr = test_tensor_from(ctx, 1, &two, init);
    clnn_tensor *ts = test_tensor_from(ctx, 1, &nch, init), *tz = test_tensor_from(ctx, 1, &nch, init);
    char what[128];
    snprintf(what, sizeof what, "observer %d-D of %zu, %s axis %d, c %g, %d bits %s", ndim, n,
             per_channel ? "per channel" : "per tensor", axis, (double)avg, bits, sym ? "sym" : "affine");
    double worst = 0;
    for (int step = 0; step < 3; step++) {
        batch(x, &g, (unsigned)(n * 7 + (size_t)step));
        CHECK_OK(ctx, clnn_tensor_upload(tx, x, n * sizeof(float)));
        CHECK_OK(ctx, clnn_quant_observer_update(ctx, tx, &q, avg, tr));
        for (size_t c = 0; c < nch; c++) {
            double mn = INFINITY, mx = -INFINITY;
            for (size_t i = 0; i < n; i++)
                if (i / g.inner % nch == c) mn = fmin(mn, x[i]), mx = fmax(mx, x[i]), xmax = fmax(xmax, fabs(x[i]));
            if (step == 0) ref[c] = mn, ref[nch + c] = mx;
            else ref[c] += avg * (mn - ref[c]), ref[nch + c] += avg * (mx - ref[nch + c]);
        }
        float *got = test_download(ctx, tr);
        for (size_t k = 0; k < two; k++) {
            double e = fabs(got[k] - ref[k]) / (1e-6 * (fabs(ref[k]) + xmax));
            worst = fmax(worst, step == 0 ? (got[k] == ref[k] ? 0 : INFINITY) : e);
        }
        free(got);
    }
    CHECK(worst <= 1, "%s: running min/max error %.3g of tolerance", what, worst);
    CHECK_OK(ctx, clnn_quant_observer_params(ctx, tr, &q, ts, sym ? NULL : tz));
    float *run = test_download(ctx, tr), *s = test_download(ctx, ts), *z = test_download(ctx, tz);
    size_t bad = 0;
    for (size_t c = 0; c < nch; c++) {
        double lo = fmin(run[c], 0.0), hi = fmax(run[nch + c], 0.0);
        double rs = sym ? fmax(-lo, hi) / ((qmax - qmin) / 2) : (hi - lo) / (qmax - qmin);
        rs = fmax(rs, 1.1920928955078125e-7);
        bad += fabs(s[c] - rs) > 1e-6 * rs;
        if (!sym) {
            double t = lo / s[c], rz = qmin - nearbyint(t);
            rz = rz < qmin ? qmin : rz > qmax ? qmax : rz;
            bad += z[c] != rz && !(fabs(t - floor(t) - 0.5) < 1e-4 && fabs(z[c] - rz) <= 1);
        }
    }
    CHECK(bad == 0, "%s: %zu scale / zero-point mismatches", what, bad);
    /* forced local sizes: the same bits as the default */
    static const size_t locals[] = {1, 3, 64, 256};
    for (size_t l = 0; l < 4; l++) {
        clnn_tune_config cfg = {{test_local_fit(ctx, "reg.observer_partial", NULL, locals[l]), 1, 1}, {0}};
        CHECK_OK(ctx, clnn_tensor_upload(tr, init, two * sizeof(float)));
        CHECK_OK(ctx, clnn_tune_force(ctx, "reg.observer_partial", &cfg));
        for (int step = 0; step < 3; step++) {
            batch(x, &g, (unsigned)(n * 7 + (size_t)step));
            CHECK_OK(ctx, clnn_tensor_upload(tx, x, n * sizeof(float)));
            CHECK_OK(ctx, clnn_quant_observer_update(ctx, tx, &q, avg, tr));
        }
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        float *got = test_download(ctx, tr);
        CHECK(memcmp(got, run, two * sizeof(float)) == 0, "%s: local %zu gives other bits (%a %a vs %a %a)", what,
              cfg.local[0], (double)got[0], (double)got[nch], (double)run[0], (double)run[nch]);
        free(got);
    }
    clnn_tensor_release(tx), clnn_tensor_release(tr), clnn_tensor_release(ts), clnn_tensor_release(tz);
    free(x), free(init), free(ref), free(run), free(s), free(z);
}

int main(void)
{
    ctx = test_context();
    const size_t s1[1] = {1}, s2[2] = {13, 11}, s3[3] = {4, 7, 5}, s4[4] = {5, 3, 3, 3}, s5[1] = {1000};
    const size_t s6[1] = {4200}, s7[2] = {3, 4500}; /* channels of several blocks (4096 elements each) */
    for (int sym = 0; sym < 2; sym++) {
        observer(1, s1, 0, 0, 0.01f, 8, sym), observer(1, s5, 0, 0, 0.3f, 8, sym);
        observer(2, s2, 0, 0, 1.0f, 4, sym), observer(2, s2, 1, 0, 0.01f, 8, sym);
        observer(2, s2, 1, 1, 0.5f, 6, sym), observer(3, s3, 1, 1, 0.25f, 8, sym);
        observer(3, s3, 1, -1, 0.1f, 3, sym), observer(4, s4, 1, 0, 0.01f, 8, sym);
        observer(4, s4, 1, 2, 0.7f, 2, sym);
    }
    observer(1, s6, 0, 0, 0.2f, 8, 0); /* two blocks, also on the simulator */
    if (test_large("observer of channels of several blocks, and of 1024 x 1025")) {
        for (int sym = 0; sym < 2; sym++)
            observer(2, s7, 1, 0, 0.05f, 8, sym), observer(2, s7, 1, 1, 0.05f, 4, sym);
        const size_t big[2] = {1024, 1025};
        observer(2, big, 1, 1, 0.01f, 8, 0), observer(2, big, 0, 0, 0.01f, 8, 1);
    }
    clnn_context_release(ctx);
    return check_summary();
}
