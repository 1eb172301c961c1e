/* The VAE's KL term and reparameterisation (include/clnn/robust.h:
 * clnn_vae_kl, clnn_vae_reparameterize and its backward) against double
 * code from the definitions: the KL per sample and reduced, with log
 * variances near 0 (where e^lv − 1 − lv cancels) and far from it, its
 * gradients against central differences; the step's ε against the Philox
 * reference (Box-Muller in double; the kernel's log and cos builtins
 * allowed a few ulp), z, and the backward with ε regenerated, written and
 * accumulated; forced local sizes; bad input refused with the outputs
 * unchanged. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static clnn_tensor *from(clnn_context *ctx, size_t n, size_t d, const float *v)
{
    size_t shape[2] = {n, d};
    return test_tensor_from(ctx, 2, shape, v);
}

static double kl_row(const double *m, const double *l, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += m[j] * m[j] + expm1(l[j]) - l[j];
    return 0.5 * s;
}

static const char *red_name(clnn_reduction r)
{
    return r == CLNN_REDUCE_MEAN ? "mean" : r == CLNN_REDUCE_SUM ? "sum" : "none";
}

static void check_kl(clnn_context *ctx, size_t n, size_t d, clnn_reduction red, float lv_range)
{
    const size_t count = n * d, nloss = red == CLNN_REDUCE_NONE ? n : 1;
    float *mu = malloc(count * sizeof *mu), *lv = malloc(count * sizeof *lv);
    double *md = malloc(count * sizeof *md), *ld = malloc(count * sizeof *ld);
    double *wm = malloc(count * sizeof *wm), *wl = malloc(count * sizeof *wl);
    REQUIRE(mu && lv && md && ld && wm && wl, "host memory");
    test_fill_uniform(mu, count, (unsigned)(n * 3 + d), -2.0f, 2.0f);
    test_fill_uniform(lv, count, (unsigned)(n * 5 + d), -lv_range, lv_range);
    for (size_t i = 0; i < count; i++) md[i] = mu[i], ld[i] = lv[i];
    const double scale = red == CLNN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    clnn_tensor *tm = from(ctx, n, d, mu), *tl = from(ctx, n, d, lv);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, nloss, 1, 0.0f);
    clnn_tensor *gm = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f), *gl = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    CHECK_OK(ctx, clnn_vae_kl(ctx, tm, tl, red, loss, gm, gl));
    float *v = test_download(ctx, loss), *g1 = test_download(ctx, gm), *g2 = test_download(ctx, gl);
    char what[96];
    snprintf(what, sizeof what, "VAE KL %zux%zu %s, |lv| <= %g", n, d, red_name(red), (double)lv_range);
    double want = 0.0, mag = 0.0;
    for (size_t r = 0; r < n; r++) {
        const double vr = kl_row(md + r * d, ld + r * d, d);
        if (red == CLNN_REDUCE_NONE)
            CHECK(fabs(v[r] - vr) <= 1e-6 + 1e-5 * fabs(vr), "%s: row %zu %.9g, reference %.9g", what, r, v[r], vr);
        want += vr, mag += fabs(vr);
    }
    if (red != CLNN_REDUCE_NONE)
        CHECK(fabs(v[0] - scale * want) <= 1e-6 + 1e-5 * scale * mag, "%s: %.9g, reference %.9g", what, v[0],
              scale * want);
    const double h = 1e-5;
    for (size_t i = 0; i < count; i++) {
        const size_t r = i / d;
        double x0 = md[i];
        md[i] = x0 + h;
        double up = kl_row(md + r * d, ld + r * d, d);
        md[i] = x0 - h;
        double down = kl_row(md + r * d, ld + r * d, d);
        md[i] = x0;
        wm[i] = scale * (up - down) / (2 * h);
        x0 = ld[i];
        ld[i] = x0 + h;
        up = kl_row(md + r * d, ld + r * d, d);
        ld[i] = x0 - h;
        down = kl_row(md + r * d, ld + r * d, d);
        ld[i] = x0;
        wl[i] = scale * (up - down) / (2 * h);
    }
    double e = test_max_rel_error(g1, wm, count, 1e-6 * scale, 1e-4);
    CHECK(e <= 1.0, "%s: dmu vs finite differences: error %.3g of tolerance", what, e);
    e = test_max_rel_error(g2, wl, count, 1e-6 * scale, 1e-4);
    CHECK(e <= 1.0, "%s: dlogvar vs finite differences: error %.3g of tolerance", what, e);
    const size_t locals[] = {1, 3, 64, 256};
    for (size_t i = 0; i < 4; i++) {
        clnn_tune_config cfg = {{locals[i], 1, 1}, {0}};
        if (clnn_tune_force(ctx, "robust.vae_kl", &cfg) != CLNN_OK) {
            test_skip("robust.vae_kl with a local size that does not fit this device");
            continue;
        }
        CHECK_OK(ctx, clnn_vae_kl(ctx, tm, tl, red, loss, gm, gl));
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        float *v2 = test_download(ctx, loss);
        CHECK(same_bits(v, v2, nloss), "%s: local size %zu changes bits", what, locals[i]);
        free(v2);
    }
    free(mu), free(lv), free(md), free(ld), free(wm), free(wl), free(v), free(g1), free(g2);
    clnn_tensor_release(tm), clnn_tensor_release(tl), clnn_tensor_release(loss), clnn_tensor_release(gm),
        clnn_tensor_release(gl);
}

static void check_reparameterize(clnn_context *ctx, size_t n, size_t d)
{
    const size_t count = n * d;
    const uint64_t seed = 99;
    const uint32_t stream = 3;
    float *mu = malloc(count * sizeof *mu), *lv = malloc(count * sizeof *lv), *dz = malloc(count * sizeof *dz);
    double *we = malloc(count * sizeof *we), *wz = malloc(count * sizeof *wz), *wm = malloc(count * sizeof *wm);
    double *wl = malloc(count * sizeof *wl);
    REQUIRE(mu && lv && dz && we && wz && wm && wl, "host memory");
    test_fill_uniform(mu, count, 11, -1.0f, 1.0f);
    test_fill_uniform(lv, count, 13, -3.0f, 3.0f);
    test_fill_uniform(dz, count, 17, -1.0f, 1.0f);
    for (size_t i = 0; i < count; i++) {
        we[i] = ref_box_muller(seed, stream, i);
        wz[i] = mu[i] + exp(0.5 * lv[i]) * we[i];
        wm[i] = 0.25 + dz[i]; /* accumulated onto 0.25 */
        wl[i] = 0.25 + dz[i] * 0.5 * exp(0.5 * lv[i]) * we[i];
    }
    clnn_tensor *tm = from(ctx, n, d, mu), *tl = from(ctx, n, d, lv), *tdz = from(ctx, n, d, dz);
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f), *eps = test_filled(ctx, CLNN_FLOAT32, n, d, 0.0f);
    CHECK_OK(ctx, clnn_vae_reparameterize(ctx, tm, tl, seed, stream, z, eps));
    float *gz = test_download(ctx, z), *ge = test_download(ctx, eps);
    char what[64];
    snprintf(what, sizeof what, "reparameterize %zux%zu", n, d);
    double e = test_max_rel_error(ge, we, count, 1e-5, 1e-5);
    CHECK(e <= 1.0, "%s: eps vs the Philox reference: error %.3g of tolerance", what, e);
    e = test_max_rel_error(gz, wz, count, 1e-5, 1e-5);
    CHECK(e <= 1.0, "%s: z: error %.3g of tolerance", what, e);
    clnn_tensor *dmu = test_filled(ctx, CLNN_FLOAT32, n, d, 0.25f), *dlv = test_filled(ctx, CLNN_FLOAT32, n, d, 0.25f);
    CHECK_OK(ctx, clnn_vae_reparameterize_backward(ctx, tl, seed, stream, tdz, 1, dmu, dlv));
    float *gm = test_download(ctx, dmu), *gl = test_download(ctx, dlv);
    e = test_max_rel_error(gm, wm, count, 1e-6, 1e-6);
    CHECK(e <= 1.0, "%s: dmu accumulated: error %.3g of tolerance", what, e);
    e = test_max_rel_error(gl, wl, count, 1e-5, 1e-5);
    CHECK(e <= 1.0, "%s: dlogvar accumulated: error %.3g of tolerance", what, e);
    /* written: dlogvar alone; the accumulated value minus 0.25 (same bits as the backward's product) */
    CHECK_OK(ctx, clnn_vae_reparameterize_backward(ctx, tl, seed, stream, tdz, 0, NULL, dlv));
    float *gl2 = test_download(ctx, dlv);
    for (size_t i = 0; i < count; i++) wl[i] -= 0.25;
    e = test_max_rel_error(gl2, wl, count, 1e-6, 1e-5);
    CHECK(e <= 1.0, "%s: dlogvar written: error %.3g of tolerance", what, e);
    float *gm2 = test_download(ctx, dmu);
    CHECK(same_bits(gm, gm2, count), "%s: a dlogvar-only backward changed dmu", what);
    free(gm2);
    free(mu), free(lv), free(dz), free(we), free(wz), free(wm), free(wl), free(gz), free(ge), free(gm), free(gl),
        free(gl2);
    clnn_tensor_release(tm), clnn_tensor_release(tl), clnn_tensor_release(tdz), clnn_tensor_release(z),
        clnn_tensor_release(eps), clnn_tensor_release(dmu), clnn_tensor_release(dlv);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *m = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.5f), *l = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.1f);
    clnn_tensor *wrong = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.0f), *o = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f);
    clnn_tensor *o2 = test_filled(ctx, CLNN_FLOAT32, 3, 4, -7.0f), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    const char *kl = "clnn_vae_kl", *rp = "clnn_vae_reparameterize", *bw = "clnn_vae_reparameterize_backward";
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, kl, clnn_vae_kl(ctx, m, wrong, CLNN_REDUCE_MEAN, loss, o, o2));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, kl, clnn_vae_kl(ctx, m, l, CLNN_REDUCE_MEAN, loss, o, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, kl, clnn_vae_kl(ctx, m, l, CLNN_REDUCE_MEAN, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, kl, clnn_vae_kl(ctx, m, l, CLNN_REDUCE_MEAN, loss, o, o));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, rp, clnn_vae_reparameterize(ctx, m, l, 1, 0, o, o));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, rp, clnn_vae_reparameterize(ctx, m, l, 1, 0, m, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, rp, clnn_vae_reparameterize(ctx, m, l, 1, 0, wrong, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, bw, clnn_vae_reparameterize_backward(ctx, l, 1, 0, m, 0, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, bw, clnn_vae_reparameterize_backward(ctx, l, 1, 0, m, 2, o, o2));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, bw, clnn_vae_reparameterize_backward(ctx, l, 1, 0, m, 0, o, l));
    test_expect_filled(ctx, "outputs", o, -7.0f);
    test_expect_filled(ctx, "outputs", o2, -7.0f);
    test_expect_filled(ctx, "loss", loss, -7.0f);
    clnn_tensor_release(m), clnn_tensor_release(l), clnn_tensor_release(wrong), clnn_tensor_release(o);
    clnn_tensor_release(o2), clnn_tensor_release(loss);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const clnn_reduction reds[] = {CLNN_REDUCE_SUM, CLNN_REDUCE_MEAN, CLNN_REDUCE_NONE};
    for (int k = 0; k < 3; k++) {
        check_kl(ctx, 1, 1, reds[k], 1e-3f);
        check_kl(ctx, 5, 16, reds[k], 3.0f);
        if (!test_small() || k == 1) check_kl(ctx, 3, 300, reds[k], 1e-3f);
    }
    check_reparameterize(ctx, 1, 3);
    check_reparameterize(ctx, 7, 33);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
