/* AAER (clnn_aaer_penalty, include/clnn/robust.h) against double code from
 * the definition. The per-sample losses are linear in the logits, ℓ_0,i =
 * w·z_0,i + o_i and ℓ_adv,i = w·z_adv,i + o'_i (offsets choose which rows
 * are abnormal, none near the edge), so the per-row loss gradients handed
 * in are w, and dP/dz_0, dP/dz_adv can be checked against central
 * differences of P with the abnormal set held. Cases with V_A above and
 * below V_¬A, no abnormal row, and every row abnormal; bad input refused
 * with the outputs unchanged. */
#include "check.h"

#include <math.h>

typedef struct aaer_case {
    size_t n, c;
    double *z0, *za, *w, *o0, *oa;
    int *abnormal; /* held while differentiating */
} aaer_case;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++) s += a[j] * b[j];
    return s;
}

static double ref_penalty(const aaer_case *k, double l1, double l2, double l3)
{
    double na = 0.0, dl = 0.0, va = 0.0, vr = 0.0;
    for (size_t i = 0; i < k->n; i++) {
        const double *z0 = k->z0 + i * k->c, *za = k->za + i * k->c;
        double v = 0.0;
        for (size_t j = 0; j < k->c; j++) v += (za[j] - z0[j]) * (za[j] - z0[j]);
        if (k->abnormal[i]) {
            na += 1.0;
            dl += (dot(k->w, z0, k->c) + k->o0[i]) - (dot(k->w, za, k->c) + k->oa[i]);
            va += v;
        } else {
            vr += v;
        }
    }
    const double nr = (double)k->n - na;
    if (na == 0.0) return 0.0;
    va /= na;
    vr = nr > 0.0 ? vr / nr : 0.0;
    return l1 * na / (double)k->n * (l2 * dl / na + l3 * fmax(va - vr, 0.0));
}

/* mode 0: V_A > V_¬A; 1: V_A < V_¬A; 2: no abnormal row; 3: every row abnormal */
static void check_case(clnn_context *ctx, size_t n, size_t c, int mode)
{
    const double l1 = 0.7, l2 = 1.3, l3 = 0.4;
    const size_t count = n * c;
    aaer_case k = {n, c, malloc(count * sizeof(double)), malloc(count * sizeof(double)), malloc(c * sizeof(double)),
                   malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(int))};
    float *z0 = malloc(count * sizeof *z0), *za = malloc(count * sizeof *za), *l0 = malloc(n * sizeof *l0);
    float *la = malloc(n * sizeof *la), *g = malloc(count * sizeof *g), *wf = malloc(c * sizeof *wf);
    REQUIRE(k.z0 && k.za && k.w && k.o0 && k.oa && k.abnormal && z0 && za && l0 && la && g && wf, "host memory");
    test_fill_uniform(z0, count, (unsigned)(n + c + (size_t)mode), -1.0f, 1.0f);
    test_fill_uniform(za, count, (unsigned)(n * 3 + c), -0.2f, 0.2f);
    test_fill_uniform(wf, c, 7, -1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        const int ab = mode == 3 || (mode != 2 && i % 3 == 0);
        k.abnormal[i] = ab;
        /* a larger move for the abnormal rows (mode 0) or the others (mode 1) */
        const float spread = (mode == 0 && ab) || (mode == 1 && !ab) ? 3.0f : 1.0f;
        for (size_t j = 0; j < c; j++) za[i * c + j] = z0[i * c + j] + spread * za[i * c + j];
    }
    for (size_t j = 0; j < c; j++) k.w[j] = wf[j];
    for (size_t i = 0; i < count; i++) k.z0[i] = z0[i], k.za[i] = za[i];
    for (size_t i = 0; i < n; i++) { /* the offsets put each row 0.5 on its side of the edge */
        const double s0 = dot(k.w, k.z0 + i * c, c), sa = dot(k.w, k.za + i * c, c);
        k.o0[i] = 1.0 - s0;
        k.oa[i] = (k.abnormal[i] ? 0.5 : 1.5) - sa;
        l0[i] = (float)(s0 + k.o0[i]);
        la[i] = (float)(sa + k.oa[i]);
    }
    for (size_t i = 0; i < count; i++) g[i] = wf[i % c];
    size_t shape[2] = {n, c};
    clnn_tensor *t0 = test_tensor_from(ctx, 2, shape, z0), *ta = test_tensor_from(ctx, 2, shape, za);
    clnn_tensor *tl0 = test_tensor_from(ctx, 1, &n, l0), *tla = test_tensor_from(ctx, 1, &n, la);
    clnn_tensor *g0 = test_tensor_from(ctx, 2, shape, g), *ga = test_tensor_from(ctx, 2, shape, g);
    clnn_tensor *pen = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f);
    CHECK_OK(ctx, clnn_aaer_penalty(ctx, tl0, tla, t0, ta, (float)l1, (float)l2, (float)l3, pen, g0, ga));
    float *p = test_download(ctx, pen), *r0 = test_download(ctx, g0), *ra = test_download(ctx, ga);
    char what[64];
    snprintf(what, sizeof what, "AAER %zux%zu mode %d", n, c, mode);
    const double want = ref_penalty(&k, l1, l2, l3);
    CHECK(fabs(p[0] - want) <= 1e-6 + 1e-5 * fabs(want), "%s: penalty %.9g, reference %.9g", what, (double)p[0], want);
    double *f0 = malloc(count * sizeof *f0), *fa = malloc(count * sizeof *fa), h = 1e-6;
    REQUIRE(f0 && fa, "host memory");
    for (size_t i = 0; i < count; i++) {
        double x = k.z0[i];
        k.z0[i] = x + h;
        double up = ref_penalty(&k, l1, l2, l3);
        k.z0[i] = x - h;
        double down = ref_penalty(&k, l1, l2, l3);
        k.z0[i] = x;
        f0[i] = (up - down) / (2 * h);
        x = k.za[i];
        k.za[i] = x + h;
        up = ref_penalty(&k, l1, l2, l3);
        k.za[i] = x - h;
        down = ref_penalty(&k, l1, l2, l3);
        k.za[i] = x;
        fa[i] = (up - down) / (2 * h);
    }
    double e = test_max_rel_error(r0, f0, count, 1e-6, 1e-4);
    CHECK(e <= 1.0, "%s: dP/dz_0 vs finite differences: error %.3g of tolerance", what, e);
    e = test_max_rel_error(ra, fa, count, 1e-6, 1e-4);
    CHECK(e <= 1.0, "%s: dP/dz_adv vs finite differences: error %.3g of tolerance", what, e);
    free(k.z0), free(k.za), free(k.w), free(k.o0), free(k.oa), free(k.abnormal);
    free(z0), free(za), free(l0), free(la), free(g), free(wf), free(p), free(r0), free(ra), free(f0), free(fa);
    clnn_tensor_release(t0), clnn_tensor_release(ta), clnn_tensor_release(tl0), clnn_tensor_release(tla);
    clnn_tensor_release(g0), clnn_tensor_release(ga), clnn_tensor_release(pen);
}

static void check_errors(clnn_context *ctx)
{
    const char *fn = "clnn_aaer_penalty";
    clnn_tensor *z = test_filled(ctx, CLNN_FLOAT32, 4, 3, 0.5f), *l = test_filled(ctx, CLNN_FLOAT32, 4, 1, 1.0f);
    clnn_tensor *l3 = test_filled(ctx, CLNN_FLOAT32, 3, 1, 1.0f), *wrong = test_filled(ctx, CLNN_FLOAT32, 3, 4, 0.0f);
    clnn_tensor *pen = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f), *g = test_filled(ctx, CLNN_FLOAT32, 4, 3, -7.0f);
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_aaer_penalty(ctx, l3, l, z, z, 1, 1, 1, pen, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fn, clnn_aaer_penalty(ctx, l, l, z, wrong, 1, 1, 1, pen, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_aaer_penalty(ctx, l, l, z, z, -1, 1, 1, pen, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_aaer_penalty(ctx, l, l, z, z, 1, NAN, 1, pen, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_aaer_penalty(ctx, l, l, z, z, 1, 1, 1, NULL, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_aaer_penalty(ctx, l, l, z, z, 1, 1, 1, pen, g, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fn, clnn_aaer_penalty(ctx, l, l, z, z, 1, 1, 1, pen, z, NULL));
    test_expect_filled(ctx, "penalty", pen, -7.0f);
    test_expect_filled(ctx, "grad", g, -7.0f);
    clnn_tensor_release(z), clnn_tensor_release(l), clnn_tensor_release(l3), clnn_tensor_release(wrong);
    clnn_tensor_release(pen), clnn_tensor_release(g);
}

int main(void)
{
    clnn_context *ctx = test_context();
    for (int mode = 0; mode < 4; mode++) check_case(ctx, 10, 5, mode);
    check_case(ctx, 1, 1, 3);
    check_case(ctx, 300, 7, 0); /* more rows than the statistics' 256 lanes */
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
