/* Fake quantization: scale / zero point from min/max against the double
 * reference, per tensor and per output channel, symmetric and asymmetric,
 * 2..8 bits, on awkward shapes (1, primes, a 4-D filter bank, >= 2^20
 * elements); the quantize-dequantize forward and the straight-through
 * backward against their definitions; determinism; quantization noise
 * against ref_philox_uniform.
 *
 * Exactness: given the device's scale s and zero point z, the forward is
 * (clamp(rint(x/s) + z) − z)·s, an integer times s, so it is compared
 * exactly (as a value: −0 and +0 are the same level) with the same product
 * rounded once from double, except where
 * x/s lies within 1e-4 of a rounding tie (the fp32 division may land on
 * either side), where both neighbouring levels are accepted. The STE mask
 * likewise. The STE is by definition not the derivative of the (piecewise
 * constant) forward, so it is checked against its definition, not finite
 * differences. Scale: one fp32 division, relative 1e-6. Noise:
 * |dev − ref| <= 1e-6·(|x| + s) (two roundings). */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static clnn_context *ctx;

/* x/s within 1e-4 of k + 1/2: the level may be either neighbour. */
static int near_tie(double t)
{
    return fabs(t - floor(t) - 0.5) < 1e-4;
}

static void check_forward_backward(const char *what, const float *x, size_t n, size_t nch, const float *s,
                                   const float *z, int bits, int sym, const float *y, const float *dy, const float *dx)
{
    double qmin, qmax;
    ref_quant_range(bits, sym, &qmin, &qmax);
    size_t inner = n / nch, bad_y = 0, bad_dx = 0, ties = 0, clamped = 0;
    for (size_t i = 0; i < n; i++) {
        double sc = s[i / inner], zp = sym ? 0 : z[i / inner], t = (double)x[i] / sc;
        double q = nearbyint(t) + zp;
        if (near_tie(t)) {
            ties++;
            continue;
        }
        double qc = q < qmin ? qmin : q > qmax ? qmax : q;
        clamped += qc != q;
        float ey = (float)((qc - zp) * sc), edx = (q >= qmin && q <= qmax) ? dy[i] : 0.0f;
        /* values, not bits: the sign of a zero level is not promised (rusticl
         * folds rint(t) + 0.0f to rint(t), keeping rint's -0 for small negative t) */
        bad_y += !(ey == y[i]);
        bad_dx += memcmp(&edx, &dx[i], sizeof edx) != 0;
    }
    CHECK(bad_y == 0 && bad_dx == 0, "%s: %zu forward and %zu backward entries differ (%zu near ties skipped)", what,
          bad_y, bad_dx, ties);
    CHECK(ties <= n / 100 + 1, "%s: %zu of %zu entries near a tie", what, ties, n);
    (void)clamped;
}

static void quant(int ndim, const size_t *shape, int bits, int sym, int per_channel)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    size_t nch = per_channel ? shape[0] : 1;
    float *x = malloc(n * sizeof(float)), *dy = malloc(n * sizeof(float));
    double *rs = malloc(nch * sizeof(double)), *rz = malloc(nch * sizeof(double));
    REQUIRE(x && dy && rs && rz, "out of memory");
    test_fill_uniform(x, n, (unsigned)(n * 3 + (size_t)bits), -1.5f, 2.5f);
    for (size_t c = 0; c < nch && per_channel; c++) /* channels of different ranges, one all-positive */
        for (size_t i = c * (n / nch); i < (c + 1) * (n / nch); i++) x[i] = c % 3 == 1 ? fabsf(x[i]) : x[i] * (1 + (float)c);
    test_fill_uniform(dy, n, 7, -1, 1);
    clnn_quant_options q = {sizeof(clnn_quant_options), bits, sym, per_channel};
    clnn_tensor *tx = test_tensor_from(ctx, ndim, shape, x), *ty = test_tensor_from(ctx, ndim, shape, x);
    clnn_tensor *tdy = test_tensor_from(ctx, ndim, shape, dy), *tdx = test_tensor_from(ctx, ndim, shape, dy);
    clnn_tensor *ts = test_tensor_from(ctx, 1, &nch, x), *tz = test_tensor_from(ctx, 1, &nch, x);
    char what[96];
    snprintf(what, sizeof what, "fake quant n=%zu (%d-D) %d bits %s %s", n, ndim, bits, sym ? "sym" : "asym",
             per_channel ? "per channel" : "per tensor");
    CHECK_OK(ctx, clnn_quant_params(ctx, tx, &q, ts, tz));
    float *s = test_download(ctx, ts), *z = test_download(ctx, tz);
    ref_quant_params(x, n, nch, bits, sym, rs, rz);
    size_t bad = 0;
    for (size_t c = 0; c < nch; c++) {
        bad += fabs(s[c] - rs[c]) > 1e-6 * rs[c];
        bad += z[c] != rz[c] && fabs(z[c] - rz[c]) > 1; /* a tie in rint(qmin − lo/s) may go either way */
    }
    CHECK(bad == 0, "%s: %zu scale / zero-point mismatches", what, bad);
    CHECK_OK(ctx, clnn_quant_params(ctx, tx, &q, ts, tz));
    float *s2 = test_download(ctx, ts);
    CHECK(memcmp(s, s2, nch * sizeof(float)) == 0, "%s: scales differ between runs", what);

    /* from min/max, then from a given, smaller scale that clamps many entries */
    for (int given = 0; given < 2; given++) {
        if (given) {
            for (size_t c = 0; c < nch; c++) s[c] *= 0.37f;
            CHECK_OK(ctx, clnn_tensor_upload(ts, s, nch * sizeof(float)));
        }
        CHECK_OK(ctx, clnn_fake_quant_forward(ctx, tx, ts, sym ? NULL : tz, &q, ty));
        CHECK_OK(ctx, clnn_fake_quant_backward(ctx, tx, ts, sym ? NULL : tz, tdy, &q, tdx));
        float *y = test_download(ctx, ty), *dx = test_download(ctx, tdx);
        char w2[128];
        snprintf(w2, sizeof w2, "%s, %s scale", what, given ? "given" : "min/max");
        check_forward_backward(w2, x, n, nch, s, z, bits, sym, y, dy, dx);
        free(y), free(dx);
    }
    /* noise: y = x + s·(u − 1/2) */
    CHECK_OK(ctx, clnn_quant_noise(ctx, tx, ts, &q, 77, 2, ty));
    float *y = test_download(ctx, ty);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double sc = s[i / (n / nch)], ref = x[i] + sc * (ref_philox_uniform(77, 2, i) - 0.5);
        worst = fmax(worst, fabs(y[i] - ref) / (1e-6 * (fabs(x[i]) + sc)));
    }
    CHECK(worst <= 1, "%s: noise error %.3g of tolerance", what, worst);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(tdy), clnn_tensor_release(tdx);
    clnn_tensor_release(ts), clnn_tensor_release(tz);
    free(x), free(dy), free(rs), free(rz), free(s), free(z), free(s2), free(y);
}

int main(void)
{
    ctx = test_context();
    static const size_t shapes[][2] = {{1, 1}, {1, 7}, {13, 11}, {3, 257}, {31, 4}};
    static const int bits[] = {2, 3, 4, 8};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (size_t b = 0; b < sizeof bits / sizeof bits[0]; b++)
            for (int sym = 0; sym < 2; sym++)
                for (int pc = 0; pc < 2; pc++) quant(2, shapes[i], bits[b], sym, pc);
    const size_t filters[4] = {5, 3, 3, 3};
    quant(4, filters, 4, 1, 1), quant(4, filters, 5, 0, 1);
    const size_t large[2] = {1024, 1025};
    if (test_large("quantization of 1024 x 1025 weights")) quant(2, large, 8, 0, 1), quant(2, large, 6, 1, 0);
    clnn_context_release(ctx);
    return check_summary();
}
