/* The LSQ backward (learned step size quantization, Esser et al. 2020, as
 * PyTorch's learnable fake quantize with a fixed zero point) and fake
 * quantization per channel along any axis, against double references from
 * the definitions.
 *
 * LSQ: the forward is piecewise constant, so ds is checked against LSQ's
 * formula in double, not finite differences: x = s·(k + u) with integer k
 * from below qmin to above qmax and |u| <= 0.4, away from rounding ties, so
 * the level and the clamp side are the same in fp32 and double; dx is then
 * exact (dy or 0). ds = g·Σ dy·t: each fp32 t = (q − z) − x/s carries the
 * division's error, <= |x/s|·2^-23 <= (qmax + |z| + 4)·1.2e-7, and the
 * fixed-order fp32 sum ~ len·2^-24 relative, so
 * |ds − ref| <= g·(2e-7·(qmax + |z| + 4)·Σ|dy| + 1e-6·len·Σ|dy·t|).
 * Determinism: two runs give the same bits.
 *
 * Axis: scale / zero against ref_quant_params of the channel-major
 * reorder; forward and straight-through backward exact away from ties (as
 * test_regularizers_quant.c); noise within 1e-6·(|x| + s). */
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

static size_t channel(const geom *g, size_t i)
{
    return i / g->inner % g->nch;
}

static void lsq(int ndim, const size_t *shape, int bits, int sym, int per_channel, int axis, float grad_factor,
                int in_place)
{
    const geom g = geometry(ndim, shape, per_channel, axis);
    const size_t n = g.n, nch = g.nch;
    double qmin, qmax;
    ref_quant_range(bits, sym, &qmin, &qmax);
    float *x = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float)), *s = malloc(nch * sizeof(float));
    float *z = malloc(nch * sizeof(float)), *u = malloc(n * sizeof(float)), *ku = malloc(n * sizeof(float));
    double *ds = calloc(nch, sizeof(double)), *bound = calloc(nch, sizeof(double)), *abst = calloc(nch, sizeof(double));
    REQUIRE(x && dy && s && z && u && ku && ds && bound && abst, "out of memory");
    test_fill_uniform(s, nch, (unsigned)(n + 1), 0.01f, 0.2f);
    test_fill_uniform(z, nch, (unsigned)(n + 2), (float)qmin, (float)qmax);
    for (size_t c = 0; c < nch; c++) z[c] = sym ? 0.0f : roundf(z[c]);
    test_fill_uniform(u, n, (unsigned)(n + 3), -0.4f, 0.4f);
    test_fill_uniform(ku, n, (unsigned)(n + 4), 0.0f, 1.0f);
    test_fill_uniform(dy, n, (unsigned)(n + 5), -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) { /* level k from qmin − z − 3 to qmax − z + 3 */
        size_t c = channel(&g, i);
        double k = floor((qmin - z[c] - 3) + ku[i] * (qmax - qmin + 7));
        x[i] = (float)(s[c] * (k + u[i]));
    }
    const double gf = grad_factor > 0 ? grad_factor : 1.0 / sqrt((double)n * qmax);
    size_t bad_dx = 0, below = 0, above = 0;
    float *edx = malloc(n * sizeof(float));
    REQUIRE(edx, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t c = channel(&g, i);
        double r = (double)x[i] / s[c], q = nearbyint(r) + z[c], t;
        int inside = q >= qmin && q <= qmax;
        if (inside) t = (q - z[c]) - r;
        else t = (q < qmin ? qmin : qmax) - z[c], below += q < qmin, above += q > qmax;
        edx[i] = inside ? dy[i] : 0.0f;
        ds[c] += dy[i] * t;
        abst[c] += fabs(dy[i] * t);
        bound[c] += fabs(dy[i]);
    }
    clnn_quant_options q = {sizeof(clnn_quant_options), bits, sym, per_channel, axis};
    clnn_tensor *tx = test_tensor_from(ctx, ndim, shape, x), *tdy = test_tensor_from(ctx, ndim, shape, dy);
    clnn_tensor *tdx = in_place ? tdy : test_tensor_from(ctx, ndim, shape, x);
    clnn_tensor *ts = test_tensor_from(ctx, 1, &nch, s), *tz = test_tensor_from(ctx, 1, &nch, z);
    clnn_tensor *tds = test_tensor_from(ctx, 1, &nch, s);
    char what[128];
    snprintf(what, sizeof what, "LSQ n=%zu (%d-D) %d bits %s %s axis %d, g %g%s", n, ndim, bits, sym ? "sym" : "asym",
             per_channel ? "per channel" : "per tensor", axis, (double)grad_factor, in_place ? ", dx = dy" : "");
    CHECK_OK(ctx, clnn_lsq_backward(ctx, tx, ts, sym ? NULL : tz, tdy, &q, grad_factor, tdx, tds));
    float *dx = test_download(ctx, tdx), *got = test_download(ctx, tds);
    for (size_t i = 0; i < n; i++) bad_dx += memcmp(&dx[i], &edx[i], sizeof(float)) != 0;
    double worst = 0;
    for (size_t c = 0; c < nch; c++) {
        double tol = gf * (2e-7 * (qmax + fabs(z[c]) + 4) * bound[c] + 1e-6 * (double)(n / nch) * abst[c]) + 1e-30;
        worst = fmax(worst, fabs(got[c] - gf * ds[c]) / tol);
    }
    CHECK(bad_dx == 0 && worst <= 1, "%s: %zu dx entries differ, ds error %.3g of tolerance", what, bad_dx, worst);
    CHECK(below > 0 && above > 0, "%s: the data must clamp on both sides (%zu below, %zu above)", what, below, above);
    if (!in_place) { /* determinism */
        CHECK_OK(ctx, clnn_lsq_backward(ctx, tx, ts, sym ? NULL : tz, tdy, &q, grad_factor, tdx, tds));
        float *again = test_download(ctx, tds);
        CHECK(memcmp(again, got, nch * sizeof(float)) == 0, "%s: two runs differ", what);
        free(again);
    }
    clnn_tensor_release(tx), clnn_tensor_release(tdy), clnn_tensor_release(ts), clnn_tensor_release(tz);
    clnn_tensor_release(tds);
    if (!in_place) clnn_tensor_release(tdx);
    free(x), free(dy), free(s), free(z), free(u), free(ku), free(ds), free(bound), free(abst), free(edx), free(dx);
    free(got);
}

static int near_tie(double t)
{
    return fabs(t - floor(t) - 0.5) < 1e-4;
}

/* quant_params, fake quant forward / backward and noise per channel along axis */
static void axis_case(int ndim, const size_t *shape, int axis, int bits, int sym)
{
    const geom g = geometry(ndim, shape, 1, axis);
    const size_t n = g.n, nch = g.nch, len = n / nch;
    float *x = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float)), *cm = malloc(n * sizeof(float));
    double *rs = malloc(nch * sizeof(double)), *rz = malloc(nch * sizeof(double)), qmin, qmax;
    REQUIRE(x && dy && cm && rs && rz, "out of memory");
    ref_quant_range(bits, sym, &qmin, &qmax);
    test_fill_uniform(x, n, (unsigned)(n + 11), -1.5f, 2.5f);
    test_fill_uniform(dy, n, (unsigned)(n + 12), -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) { /* channels of different ranges, every third all-positive */
        size_t c = channel(&g, i), o = i / (g.inner * nch), j = i % g.inner;
        x[i] = c % 3 == 1 ? fabsf(x[i]) : x[i] * (1 + (float)c);
        cm[c * len + o * g.inner + j] = x[i];
    }
    ref_quant_params(cm, n, nch, bits, sym, rs, rz);
    clnn_quant_options q = {sizeof(clnn_quant_options), bits, sym, 1, axis};
    clnn_tensor *tx = test_tensor_from(ctx, ndim, shape, x), *ty = test_tensor_from(ctx, ndim, shape, x);
    clnn_tensor *tdy = test_tensor_from(ctx, ndim, shape, dy), *tdx = test_tensor_from(ctx, ndim, shape, dy);
    clnn_tensor *ts = test_tensor_from(ctx, 1, &nch, x), *tz = test_tensor_from(ctx, 1, &nch, x);
    char what[96];
    snprintf(what, sizeof what, "fake quant %d-D of %zu, axis %d, %d bits %s", ndim, n, axis, bits,
             sym ? "sym" : "asym");
    CHECK_OK(ctx, clnn_quant_params(ctx, tx, &q, ts, tz));
    float *s = test_download(ctx, ts), *z = test_download(ctx, tz);
    size_t bad = 0;
    for (size_t c = 0; c < nch; c++)
        bad += fabs(s[c] - rs[c]) > 1e-6 * rs[c] || (z[c] != rz[c] && fabs(z[c] - rz[c]) > 1);
    CHECK(bad == 0, "%s: %zu scale / zero-point mismatches", what, bad);
    CHECK_OK(ctx, clnn_fake_quant_forward(ctx, tx, ts, sym ? NULL : tz, &q, ty));
    CHECK_OK(ctx, clnn_fake_quant_backward(ctx, tx, ts, sym ? NULL : tz, tdy, &q, tdx));
    float *y = test_download(ctx, ty), *dx = test_download(ctx, tdx);
    size_t bad_y = 0, bad_dx = 0, ties = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = channel(&g, i);
        double sc = s[c], zp = sym ? 0 : z[c], t = (double)x[i] / sc, qv = nearbyint(t) + zp;
        if (near_tie(t)) {
            ties++;
            continue;
        }
        double qc = qv < qmin ? qmin : qv > qmax ? qmax : qv;
        float ey = (float)((qc - zp) * sc), edx = (qv >= qmin && qv <= qmax) ? dy[i] : 0.0f;
        bad_y += !(ey == y[i]);
        bad_dx += memcmp(&edx, &dx[i], sizeof edx) != 0;
    }
    CHECK(bad_y == 0 && bad_dx == 0 && ties <= n / 100 + 1,
          "%s: %zu forward and %zu backward entries differ (%zu near ties skipped)", what, bad_y, bad_dx, ties);
    CHECK_OK(ctx, clnn_quant_noise(ctx, tx, ts, &q, 77, 2, ty));
    float *yn = test_download(ctx, ty);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double sc = s[channel(&g, i)], ref = x[i] + sc * (ref_philox_uniform(77, 2, i) - 0.5);
        worst = fmax(worst, fabs(yn[i] - ref) / (1e-6 * (fabs(x[i]) + sc)));
    }
    CHECK(worst <= 1, "%s: noise error %.3g of tolerance", what, worst);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(tdy), clnn_tensor_release(tdx);
    clnn_tensor_release(ts), clnn_tensor_release(tz);
    free(x), free(dy), free(cm), free(rs), free(rz), free(s), free(z), free(y), free(dx), free(yn);
}

int main(void)
{
    ctx = test_context();
    const size_t s2[2] = {13, 11}, s1[1] = {300}, s3[3] = {4, 7, 5}, s4[4] = {5, 3, 3, 3}, s2b[2] = {3, 257};
    static const int bits[] = {2, 4, 8};
    for (size_t b = 0; b < 3; b++)
        for (int sym = 0; sym < 2; sym++) {
            lsq(2, s2, bits[b], sym, 0, 0, 0.0f, 0), lsq(1, s1, bits[b], sym, 0, 0, 0.5f, 0);
            lsq(2, s2, bits[b], sym, 1, 0, 0.0f, 0), lsq(2, s2, bits[b], sym, 1, 1, 1.0f, 0);
            lsq(3, s3, bits[b], sym, 1, 1, 0.0f, 0), lsq(3, s3, bits[b], sym, 1, -1, 0.25f, 1);
            lsq(4, s4, bits[b], sym, 1, 0, 0.0f, 1), lsq(2, s2b, bits[b], sym, 1, -2, 0.0f, 0);
        }
    for (int sym = 0; sym < 2; sym++) {
        axis_case(3, s3, 1, 4, sym), axis_case(3, s3, -1, 8, sym), axis_case(3, s3, 0, 3, sym);
        axis_case(4, s4, 2, 5, sym), axis_case(2, s2, 1, 8, sym), axis_case(1, s1, 0, 4, sym);
    }
    if (test_large("LSQ of 1024 x 1025 per channel along axis 1")) {
        const size_t big[2] = {1024, 1025};
        lsq(2, big, 8, 1, 1, 1, 0.0f, 0), lsq(2, big, 4, 0, 0, 0, 0.0f, 0);
        axis_case(2, big, 1, 8, 0);
    }
    clnn_context_release(ctx);
    return check_summary();
}
