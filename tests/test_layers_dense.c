/* Dense forward and backward (CLBlast GEMMs + fused bias/activation kernels)
 * against the double-precision reference on small awkward shapes (1, primes,
 * batch 1) and one output of more than 2^20 elements; gradients against
 * central finite differences of the reference; accumulation, skipped
 * gradients and repeatability. GEMM shapes stay small: CLBlast compiles its
 * kernels on first use. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

typedef struct dense_case {
    size_t rows, in, out;
    int act;
    float alpha;
    int bias;
    int finite_differences;
} dense_case;

static clnn_tensor *matrix(clnn_context *ctx, size_t rows, size_t cols, const float *data)
{
    size_t shape[2] = {rows, cols};
    if (data) return test_tensor_from(ctx, 2, shape, data);
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, shape, &t));
    REQUIRE(t, "tensor");
    return t;
}

/* L = sum dy * y(x, W, b) with the reference forward, in double. */
static double objective(const dense_case *c, const float *x, const float *w, const float *b, const float *dy,
                        double *y)
{
    ref_dense_forward(x, w, c->bias ? b : NULL, c->rows, c->in, c->out, c->act, c->alpha, NULL, y);
    double s = 0;
    for (size_t i = 0; i < c->rows * c->out; i++) s += dy[i] * y[i];
    return s;
}

/* Central differences of the objective with respect to v[0..n), step 2^-10
 * (exact in fp32 for |v| < 8). */
static void finite_differences(const dense_case *c, float *x, float *w, float *b, const float *dy, float *v,
                               size_t n, double *grad, double *scratch)
{
    const float h = 1.0f / 1024;
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + h;
        double lp = objective(c, x, w, b, dy, scratch);
        v[i] = keep - h;
        double lm = objective(c, x, w, b, dy, scratch);
        v[i] = keep;
        grad[i] = (lp - lm) / (2.0 * h);
    }
}

/* The device's gradients gdx, gdW, gdb against central differences of the
 * reference (dx, dw, db get them): truncation h^2/6 |L'''| stays below 1e-6
 * for these activations and |x|,|w| <= 1; the tolerance adds fp32 GEMM
 * rounding: atol 2e-5, rtol 1e-3 */
static void check_finite_differences(const dense_case *c, float *x, float *w, float *b, const float *dy,
                                     const float *gdx, const float *gdw, const float *gdb, double *dx, double *dw,
                                     double *db)
{
    size_t rows = c->rows, in = c->in, out = c->out, ny = rows * out;
    double *scratch = malloc(ny * sizeof *scratch);
    REQUIRE(scratch, "host memory");
    finite_differences(c, x, w, b, dy, x, rows * in, dx, scratch);
    finite_differences(c, x, w, b, dy, w, out * in, dw, scratch);
    if (c->bias) finite_differences(c, x, w, b, dy, b, out, db, scratch);
    double ex = test_max_rel_error(gdx, dx, rows * in, 2e-5, 1e-3);
    double ew = test_max_rel_error(gdw, dw, out * in, 2e-5, 1e-3);
    double eb = c->bias ? test_max_rel_error(gdb, db, out, 2e-5, 1e-3) : 0;
    CHECK(ex <= 1 && ew <= 1 && eb <= 1,
          "backward %zux%zux%zu act %d vs finite differences: dx %.3g, dW %.3g, db %.3g of tolerance", rows, in,
          out, c->act, ex, ew, eb);
    free(scratch);
}

static void check_dense(clnn_context *ctx, const dense_case *c)
{
    size_t rows = c->rows, in = c->in, out = c->out, ny = rows * out;
    float *x = malloc(rows * in * sizeof *x), *w = malloc(out * in * sizeof *w), *b = malloc(out * sizeof *b),
          *dy = malloc(ny * sizeof *dy);
    double *z = malloc(ny * sizeof *z), *y = malloc(ny * sizeof *y), *dx = malloc(rows * in * sizeof *dx),
           *dw = malloc(out * in * sizeof *dw), *db = malloc(out * sizeof *db);
    REQUIRE(x && w && b && dy && z && y && dx && dw && db, "host memory");
    unsigned seed = (unsigned)(rows * 1000003 + in * 1009 + out);
    test_fill_uniform(x, rows * in, seed, -1.0f, 1.0f);
    test_fill_uniform(w, out * in, seed + 1, -1.0f, 1.0f);
    test_fill_uniform(b, out, seed + 2, -0.5f, 0.5f);
    test_fill_uniform(dy, ny, seed + 3, -1.0f, 1.0f);
    clnn_tensor *tx = matrix(ctx, rows, in, x), *tw = matrix(ctx, out, in, w), *tdy = matrix(ctx, rows, out, dy);
    size_t nout = out;
    clnn_tensor *tb = c->bias ? test_tensor_from(ctx, 1, &nout, b) : NULL;
    clnn_tensor *tz = matrix(ctx, rows, out, NULL), *ty = matrix(ctx, rows, out, NULL);
    clnn_tensor *tdx = matrix(ctx, rows, in, NULL), *tdw = matrix(ctx, out, in, NULL), *tdb = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &nout, &tdb));
    const float *bias = c->bias ? b : NULL;

    /* forward, with and without keeping z: GEMM accumulation over `in`
     * products of magnitude <= 1 in fp32: |error| <= in * 2^-24 * in, so
     * atol 1e-5 for in <= 31, rtol 1e-5 for the activation */
    CHECK_OK(ctx, clnn_dense_forward(ctx, tx, tw, tb, (clnn_activation)c->act, c->alpha, tz, ty));
    float *gy = test_download(ctx, ty), *gz = test_download(ctx, tz);
    ref_dense_forward(x, w, bias, rows, in, out, c->act, c->alpha, z, y);
    double ez = test_max_rel_error(gz, z, ny, 1e-5, 1e-5), ey = test_max_rel_error(gy, y, ny, 1e-5, 1e-5);
    CHECK(ez <= 1 && ey <= 1, "forward %zux%zux%zu act %d: z error %.3g, y error %.3g of tolerance", rows, in, out,
          c->act, ez, ey);
    clnn_tensor *ty2 = matrix(ctx, rows, out, NULL);
    CHECK_OK(ctx, clnn_dense_forward(ctx, tx, tw, tb, (clnn_activation)c->act, c->alpha, NULL, ty2));
    float *gy2 = test_download(ctx, ty2);
    CHECK(memcmp(gy, gy2, ny * sizeof *gy) == 0, "forward without z differs from forward with z");

    /* backward against the closed form in double (fp32 GEMMs over `out` or
     * `rows` terms: atol 1e-4, rtol 1e-4 for sums of up to ~1000 terms) */
    CHECK_OK(ctx, clnn_dense_backward(ctx, tx, tw, tz, tdy, (clnn_activation)c->act, c->alpha, 0, tdx, tdw, tdb));
    float *gdx = test_download(ctx, tdx), *gdw = test_download(ctx, tdw), *gdb = test_download(ctx, tdb);
    ref_dense_backward(x, w, z, dy, rows, in, out, c->act, c->alpha, dx, dw, db);
    double ex = test_max_rel_error(gdx, dx, rows * in, 1e-4, 1e-4);
    double ew = test_max_rel_error(gdw, dw, out * in, 1e-4, 1e-4);
    double eb = test_max_rel_error(gdb, db, out, 1e-4, 1e-4);
    CHECK(ex <= 1 && ew <= 1 && eb <= 1, "backward %zux%zux%zu act %d: dx %.3g, dW %.3g, db %.3g of tolerance", rows,
          in, out, c->act, ex, ew, eb);

    if (c->finite_differences) check_finite_differences(c, x, w, b, dy, gdx, gdw, gdb, dx, dw, db);

    /* accumulate = 1 adds the same gradients again: exactly twice, bit for
     * bit (x + x is exact), which also shows the backward is reproducible */
    CHECK_OK(ctx, clnn_dense_backward(ctx, tx, tw, tz, tdy, (clnn_activation)c->act, c->alpha, 1, tdx, tdw, tdb));
    float *adx = test_download(ctx, tdx), *adw = test_download(ctx, tdw), *adb = test_download(ctx, tdb);
    size_t bad = 0;
    for (size_t i = 0; i < rows * in; i++) bad += adx[i] != gdx[i];
    for (size_t i = 0; i < out * in; i++) bad += adw[i] != 2.0f * gdw[i];
    for (size_t i = 0; i < out; i++) bad += adb[i] != 2.0f * gdb[i];
    CHECK(bad == 0, "accumulate: %zu values are not exactly dx, 2 dW, 2 db", bad);

    /* skipped gradients: only db, then only dx; the others stay untouched */
    CHECK_OK(ctx, clnn_dense_backward(ctx, tx, tw, tz, tdy, (clnn_activation)c->act, c->alpha, 0, NULL, NULL, tdb));
    float *sdb = test_download(ctx, tdb), *sdw = test_download(ctx, tdw);
    CHECK(memcmp(sdb, gdb, out * sizeof *sdb) == 0 && memcmp(sdw, adw, out * in * sizeof *sdw) == 0,
          "db-only backward: db must match, dW must be unchanged");
    free(sdb);
    free(sdw);

    free(gy); free(gz); free(gy2); free(gdx); free(gdw); free(gdb); free(adx); free(adw); free(adb);
    clnn_tensor *ts[] = {tx, tw, tdy, tb, tz, ty, ty2, tdx, tdw, tdb};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) clnn_tensor_release(ts[i]);
    free(x); free(w); free(b); free(dy); free(z); free(y); free(dx); free(dw); free(db);
}

int main(void)
{
    clnn_context *ctx = test_context();
    static const dense_case cases[] = {
        {1, 1, 1, CLNN_ACT_NONE, 0.0f, 1, 1},
        {7, 13, 5, CLNN_ACT_GELU, 0.0f, 1, 1},
        {1, 31, 7, CLNN_ACT_LEAKY_RELU, 0.1f, 0, 1},
        {33, 31, 17, CLNN_ACT_SILU, 0.0f, 1, 1},
        {13, 7, 3, CLNN_ACT_NONE, 0.0f, 0, 1},
        {5, 3, 11, CLNN_ACT_TANH, 0.0f, 1, 1},
        {1031, 16, 1024, CLNN_ACT_RELU, 0.0f, 1, 0}, /* y has 1,055,744 elements */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cases[i].rows * cases[i].out < 4096 || test_large("dense 1031 x 16 -> 1024")) check_dense(ctx, &cases[i]);
    clnn_context_release(ctx);
    return check_summary();
}
