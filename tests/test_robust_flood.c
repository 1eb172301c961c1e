/* Flooding and iFlood (include/clnn/robust.h) against the definitions:
 * flooded = |L − b| + b with every gradient scaled by sign(L − b) (above,
 * below and at the flood level, where the sign is 0), and iFlood's per-row
 * form with the three reductions, rows of 1 and 37 gradient elements;
 * bad input refused with the outputs unchanged. The scalings are exact
 * (a sign times a power of two or 1/N), so most checks are bit-exact. */
#include "check.h"

#include <math.h>

static clnn_tensor *vec(clnn_context *ctx, size_t n, const float *v)
{
    return test_tensor_from(ctx, 1, &n, v);
}

static float sgn(float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f; }

static void check_flooding(clnn_context *ctx, float L, float b)
{
    const size_t n1 = 5, n2 = 300;
    float g1[5], *g2 = malloc(n2 * sizeof *g2);
    REQUIRE(g2, "host memory");
    test_fill_uniform(g1, n1, 3, -1.0f, 1.0f);
    test_fill_uniform(g2, n2, 5, -1.0f, 1.0f);
    clnn_tensor *tl = vec(ctx, 1, &L), *tf = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f);
    clnn_tensor *t1 = vec(ctx, n1, g1), *t2 = vec(ctx, n2, g2);
    clnn_tensor *grads[2] = {t1, t2};
    CHECK_OK(ctx, clnn_flooding(ctx, tl, b, tf, grads, 2));
    float *f = test_download(ctx, tf), *r1 = test_download(ctx, t1), *r2 = test_download(ctx, t2);
    CHECK(f[0] == fabsf(L - b) + b, "flooding L %g b %g: %g, want %g", (double)L, (double)b, (double)f[0],
          (double)(fabsf(L - b) + b));
    int ok = 1;
    for (size_t i = 0; i < n1; i++) ok &= r1[i] == sgn(L - b) * g1[i];
    for (size_t i = 0; i < n2; i++) ok &= r2[i] == sgn(L - b) * g2[i];
    CHECK(ok, "flooding L %g b %g: the gradients are not sign(L - b) times theirs", (double)L, (double)b);
    free(g2), free(f), free(r1), free(r2);
    clnn_tensor_release(tl), clnn_tensor_release(tf), clnn_tensor_release(t1), clnn_tensor_release(t2);
}

static void check_iflood(clnn_context *ctx, size_t n, size_t d, clnn_reduction red)
{
    const float b = 0.5f;
    float *l = malloc(n * sizeof *l), *g = malloc(n * d * sizeof *g);
    REQUIRE(l && g, "host memory");
    test_fill_uniform(l, n, 7, 0.0f, 1.0f);
    test_fill_uniform(g, n * d, 9, -1.0f, 1.0f);
    if (n > 2) l[2] = b; /* exactly at the level: no gradient */
    const size_t nloss = red == CLNN_REDUCE_NONE ? n : 1;
    size_t shape[2] = {n, d};
    clnn_tensor *tl = vec(ctx, n, l), *tg = test_tensor_from(ctx, 2, shape, g);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, nloss, 1, 0.0f);
    CHECK_OK(ctx, clnn_iflood(ctx, tl, b, red, loss, tg));
    float *v = test_download(ctx, loss), *r = test_download(ctx, tg);
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    double want = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double vi = fabs((double)l[i] - b) + b;
        if (red == CLNN_REDUCE_NONE)
            CHECK(fabs(v[i] - vi) <= 1e-7, "iflood none: row %zu %g, want %g", i, (double)v[i], vi);
        want += vi;
    }
    if (red != CLNN_REDUCE_NONE)
        CHECK(fabs(v[0] - scale * want) <= 1e-6 * scale * want, "iflood %zu x %zu: %.9g, want %.9g", n, d,
              (double)v[0], scale * want);
    const float fscale = red == CLNN_REDUCE_MEAN ? (float)(1.0 / (double)n) : 1.0f;
    int ok = 1;
    for (size_t e = 0; e < n * d; e++) ok &= r[e] == g[e] * (fscale * sgn(l[e / d] - b));
    CHECK(ok, "iflood %zu x %zu: rows are not scaled by sign(l - b)%s", n, d,
          red == CLNN_REDUCE_MEAN ? " / N" : "");
    free(l), free(g), free(v), free(r);
    clnn_tensor_release(tl), clnn_tensor_release(tg), clnn_tensor_release(loss);
}

static void check_errors(clnn_context *ctx)
{
    float one = 1.0f;
    clnn_tensor *L = vec(ctx, 1, &one), *f = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    clnn_tensor *g = test_filled(ctx, CLNN_FLOAT32, 4, 3, -7.0f), *two = test_filled(ctx, CLNN_FLOAT32, 2, 1, 0.0f);
    clnn_tensor *rows = test_filled(ctx, CLNN_FLOAT32, 5, 1, 0.0f), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    clnn_tensor *grads[2] = {g, g};
    const char *fl = "clnn_flooding", *ifl = "clnn_iflood";
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fl, clnn_flooding(ctx, two, 0.1f, f, grads, 1));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fl, clnn_flooding(ctx, L, NAN, f, grads, 1));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fl, clnn_flooding(ctx, L, 0.1f, L, grads, 1));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fl, clnn_flooding(ctx, L, 0.1f, f, grads, 2));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fl, clnn_flooding(ctx, L, 0.1f, f, NULL, 1));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, ifl, clnn_iflood(ctx, rows, 0.1f, CLNN_REDUCE_MEAN, loss, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ifl, clnn_iflood(ctx, rows, INFINITY, CLNN_REDUCE_MEAN, loss, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ifl, clnn_iflood(ctx, rows, 0.1f, CLNN_REDUCE_MEAN, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, ifl, clnn_iflood(ctx, rows, 0.1f, CLNN_REDUCE_MEAN, loss, rows));
    test_expect_filled(ctx, "flooded", f, -7.0f);
    test_expect_filled(ctx, "grad", g, -7.0f);
    test_expect_filled(ctx, "loss", loss, -7.0f);
    clnn_tensor_release(L), clnn_tensor_release(f), clnn_tensor_release(g), clnn_tensor_release(two);
    clnn_tensor_release(rows), clnn_tensor_release(loss);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_flooding(ctx, 0.7f, 0.25f);
    check_flooding(ctx, 0.1f, 0.25f);
    check_flooding(ctx, 0.25f, 0.25f);
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    for (int k = 0; k < 3; k++) {
        check_iflood(ctx, 1, 1, reds[k]);
        check_iflood(ctx, 9, 37, reds[k]);
    }
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
