/* The tiled InfoNCE (clnn_infonce_tiled, cl/contrastive_infonce_tiled.cl):
 *  - against the double reference (value, every gradient against central
 *    differences) on batch 1 and 2, odd d, n around the tile sizes (TR 8..32,
 *    TC 32..128) and temperatures 0.01..1, in every mode and option;
 *  - against the materialised clnn_infonce: loss within 2e-6 relative (+ the
 *    logit rounding) and gradients within 1e-5 of their largest entry plus
 *    the logit rounding carried by the softmax weights (nce_grad_bound; fp32
 *    sums in another order; the observed differences are printed);
 *  - near-converged batches (issue 19: per-anchor losses down to ~1e-7,
 *    where the gradients are far smaller than their terms): both paths
 *    against an analytic double gradient within that same bound;
 *  - the same bits for every tile size and local size (each gradient
 *    element and each online log-sum-exp runs in one fixed order), forced
 *    TR 8..128 (those past the device's local memory: SKIP);
 *  - device memory: no N x N buffer (the context's peak allocation). */
#include "contrastive_util.h"

#include <float.h>
#include <time.h>

static const nce_case cases[] = {
    {1, 1, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
    {1, 3, K_NT_XENT, 0.5f, 0.3f, 0, 0, CLNN_REDUCE_SUM, 1.0f},
    {2, 5, K_SYMMETRIC, 0.07f, 0.2f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
    {2, 3, K_NT_XENT, 1.0f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},
    {9, 17, K_ONE_WAY, 0.01f, 0.0f, 1, 0, CLNN_REDUCE_SUM, 1.0f},
    {33, 7, K_SYMMETRIC, 0.1f, 0.1f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},  /* one past TR = 32 */
    {65, 5, K_NT_XENT, 0.2f, 0.0f, 1, 1, CLNN_REDUCE_MEAN, 1.0f},    /* 130 = one past 2 x TC */
    {5, 17, K_NT_XENT, 0.01f, 0.0f, 0, 0, CLNN_REDUCE_MEAN, 3.0f},   /* logits in the thousands */
    {129, 3, K_ONE_WAY, 0.5f, -0.2f, 0, 0, CLNN_REDUCE_MEAN, 1.0f},  /* one past TC = 128 */
};

/* The scale G of one gradient term, for the bound of the gradients: the
 * reduction's weight of an anchor (1/anchors for MEAN) over tau, times the
 * largest entry of a candidate as it reaches the gradient: max |z| as
 * given, or max |ẑ| / min ||z|| through the normalisation. */
static double nce_grad_scale(const nce_data *v)
{
    const nce_case *c = v->c;
    double zmax = 0.0, hmax = 0.0, nmin = INFINITY;
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < c->n; i++) {
            const double *r = (w ? v->z2 : v->z1) + i * c->d;
            double ss = 0.0, rmax = 0.0;
            for (size_t k = 0; k < c->d; k++) ss += r[k] * r[k], rmax = fmax(rmax, fabs(r[k]));
            const double norm = fmax(sqrt(ss), 1e-12);
            zmax = fmax(zmax, rmax), hmax = fmax(hmax, rmax / norm), nmin = fmin(nmin, norm);
        }
    const double weight = c->red == CLNN_REDUCE_MEAN ? 1.0 / nce_anchors(c) : 1.0;
    return weight / c->tau * (c->normalize ? hmax / nmin : zmax);
}

/* The bound on a gradient's error (clnn_infonce_tiled in
 * include/clnn/contrastive.h): 1e-5 of the largest entry (sums in another
 * order) plus 8 eps (1 + l_max) G, the conditioning of the per-anchor loss.
 * Each anchor's lse (and its loss lse - l_pos) is a number of size up to
 * l_max rounded to half an ulp, and so is each logit l = s/tau; the softmax
 * weights p - [positive] = exp(l - lse) - [positive] carry that, plus exp's
 * few ulp, as an absolute error of ~eps (1 + l_max) whatever their size,
 * and a gradient entry takes such a weight times a term of size G
 * (nce_grad_scale) as an anchor and as a candidate: 2 eps (1 + l_max) G at
 * worst, 8 with a margin (observed: up to 0.3 against the double gradient,
 * 0.08 between the paths). Near convergence the gradients shrink with the
 * per-anchor loss l while this term does not (relative to the largest entry
 * it is ~eps l_max / l): the 1e-5 of the largest entry alone failed (issue
 * 19: differences of 4.7e-2 of it at N = 256, tau = 0.05, loss 5.7e-6). */
static double nce_grad_bound(const nce_data *v, double gmax)
{
    return 1e-5 * gmax + 8.0 * FLT_EPSILON * (1.0 + nce_max_logit(v)) * nce_grad_scale(v);
}

static double util_max_abs_d(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* The loss and both gradients of the materialised (out[0]) and the tiled
 * (out[1]) op on one case's data. */
typedef struct path_out {
    float val, *h1, *h2;
} path_out;

static void run_paths(clnn_context *ctx, const nce_data *v, path_out out[2])
{
    for (int tiled = 0; tiled < 2; tiled++) {
        clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v->t1), *g2 = like(ctx, v->t2);
        CHECK_OK(ctx, nce_run(ctx, v, tiled, loss, g1, g2));
        out[tiled].val = util_scalar(ctx, loss);
        out[tiled].h1 = util_download(ctx, g1);
        out[tiled].h2 = util_download(ctx, g2);
        clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
    }
}

static void free_paths(path_out out[2])
{
    for (int k = 0; k < 2; k++) free(out[k].h1), free(out[k].h2);
}

/* Tiled vs materialised on one case's results: the differences, printed and bounded. */
static void compare_paths(const nce_data *v, const path_out out[2])
{
    const nce_case *c = v->c;
    char what[200];
    nce_describe(c, what, sizeof what);
    const size_t m = c->n * c->d;
    const float *a1 = out[0].h1, *a2 = out[0].h2, *b1 = out[1].h1, *b2 = out[1].h2;
    double gmax = fmax(util_max_abs(a1, m), util_max_abs(a2, m)), gdiff = 0.0;
    for (size_t i = 0; i < m; i++) gdiff = fmax(gdiff, fmax(fabs(a1[i] - b1[i]), fabs(a2[i] - b2[i])));
    double vdiff = fabs((double)out[0].val - out[1].val), lmax = nce_max_logit(v);
    double anchors = c->red == CLNN_REDUCE_SUM ? nce_anchors(c) : 1.0;
    const double cond = FLT_EPSILON * (1.0 + lmax) * nce_grad_scale(v), bound = nce_grad_bound(v, gmax);
    printf("tiled vs materialised, %s: loss %.9g vs %.9g (|diff| %.3g), gradients |diff| <= %.3g of max %.3g "
           "(%.3g of it; %.3g eps (1 + l_max) G; bound %.3g)\n",
           what, out[1].val, out[0].val, vdiff, gdiff, gmax, gdiff / gmax, gdiff / cond, bound);
    CHECK(vdiff <= 2e-6 * (1.0 + fabs(out[0].val)) + 1e-6 * lmax * anchors, "%s: tiled loss %.9g, materialised %.9g",
          what, out[1].val, out[0].val);
    CHECK(gdiff <= bound, "%s: tiled gradients differ by %.3g (largest %.3g, bound %.3g)", what, gdiff, gmax, bound);
}

static void check_against_materialised(clnn_context *ctx, const nce_case *c)
{
    nce_data v = nce_data_make(ctx, c, (unsigned)(c->n + 3 * c->d), 3);
    path_out out[2];
    run_paths(ctx, &v, out);
    compare_paths(&v, out);
    free_paths(out);
    nce_data_free(&v);
}

/* The bits of loss, dz1 and dz2 with kernel_id forced to each configuration.
 * The device says what fits (clnn_tune_limits_get, the kernel built with
 * the configuration's TR, TC, DK): a local size above the kernel's limit
 * becomes the largest it takes; a configuration whose kernel needs more
 * local memory than the device has is skipped, with a SKIP line (TR 128,
 * TC 128, DK 16 needs 80 KiB for tiled_grad, 88.5 KiB for tiled_lse, more
 * than most GPUs; clnn_tune_force would refuse it). */
static void check_config_bits(clnn_context *ctx, const nce_case *c, const char *kernel_id)
{
    static const clnn_tune_config configs[] = {
        {{1, 1, 1}, {8, 32, 4}},     {{64, 1, 1}, {32, 64, 16}},  {{7, 1, 1}, {16, 128, 8}},
        {{128, 1, 1}, {8, 128, 16}}, {{64, 1, 1}, {64, 64, 8}},   {{3, 1, 1}, {64, 32, 4}},
        {{32, 1, 1}, {128, 32, 4}},  {{128, 1, 1}, {128, 128, 16}}};
    const size_t nconf = sizeof configs / sizeof configs[0];
    nce_data v = nce_data_make(ctx, c, 77, 3);
    v.tiled = 1;
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g[2] = {like(ctx, v.t1), like(ctx, v.t2)};
    const int same = same_bits_under_configs(ctx, kernel_id, configs, nconf, nce_op, &v, loss, g, c->n * c->d);
    char what[200];
    nce_describe(c, what, sizeof what);
    CHECK(same, "%s: %s gives other bits under other tile and local sizes", what, kernel_id);
    clnn_tensor_release(loss), clnn_tensor_release(g[0]), clnn_tensor_release(g[1]);
    nce_data_free(&v);
}

/* The bytes live once the runtime has freed what it is going to free: the
 * destructor callbacks may run on a runtime thread shortly after
 * clnn_finish returns, so wait until two reads 5 ms apart agree (1 s at most). */
static size_t settled_live(clnn_context *ctx)
{
    size_t live = 0, prev = (size_t)-1;
    for (int i = 0; i < 200; i++) {
        CHECK_OK(ctx, clnn_finish(ctx));
        CHECK_OK(ctx, clnn_context_memory_stats(ctx, &live, NULL));
        if (live == prev) break;
        prev = live;
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    return live;
}

/* The context's memory counters follow a tensor's life: its bytes while it
 * lives, back to the earlier figure once it is freed; the peak keeps the most.
 * Returns 0 when the runtime never reports the free (Oclgrind 21.10 does not
 * call memory-object destructor callbacks): a SKIP, and the peak checks
 * below cannot run either. */
static int check_memory_stats(clnn_context *ctx)
{
    size_t live0, peak0, live1, peak1, live2, peak2, n = 1000;
    settled_live(ctx);
    CHECK_OK(ctx, clnn_context_memory_reset_peak(ctx));
    CHECK_OK(ctx, clnn_context_memory_stats(ctx, &live0, &peak0));
    clnn_tensor *t = util_tensor(ctx, n, 1, 1, 1, 1);
    CHECK_OK(ctx, clnn_context_memory_stats(ctx, &live1, &peak1));
    clnn_tensor_release(t);
    live2 = settled_live(ctx);
    CHECK_OK(ctx, clnn_context_memory_stats(ctx, NULL, &peak2));
    if (live2 == live1 && live1 == live0 + 4 * n) {
        test_skip("memory statistics: this OpenCL runtime does not report freed buffers (no destructor callbacks)");
        return 0;
    }
    CHECK(peak0 == live0 && live1 == live0 + 4 * n && peak1 == live1 && live2 == live0 && peak2 == peak1,
          "memory stats: live %zu -> %zu -> %zu, peak %zu -> %zu -> %zu around a %zu-byte tensor", live0, live1,
          live2, peak0, peak1, peak2, 4 * n);
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_context_memory_stats",
                clnn_context_memory_stats(NULL, &live0, &peak0));
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_context_memory_reset_peak", clnn_context_memory_reset_peak(NULL));
    return 1;
}

/* The peak device memory of a call above what was live before it, against
 * the allocation formulas: the materialised call holds the N x N similarity
 * matrix, the tiled one O(N d) only. */
static void check_peak_memory(clnn_context *ctx)
{
    nce_case c = {150, 4, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f};
    nce_data v = nce_data_make(ctx, &c, 3, 3);
    clnn_tensor *loss = util_tensor(ctx, 1, 1, 1, 1, 1), *g1 = like(ctx, v.t1), *g2 = like(ctx, v.t2);
    size_t extra[2], nn = c.n * c.n * sizeof(float);
    for (int tiled = 0; tiled < 2; tiled++) {
        size_t live, peak;
        settled_live(ctx);
        CHECK_OK(ctx, clnn_context_memory_reset_peak(ctx));
        CHECK_OK(ctx, nce_run(ctx, &v, tiled, loss, g1, g2));
        live = settled_live(ctx);
        CHECK_OK(ctx, clnn_context_memory_stats(ctx, NULL, &peak));
        extra[tiled] = peak - live;
    }
    /* both: stacked views and their gradient (2 x 2n x d), 1/norms (2n), one
     * loss partial per anchor (n); then the n x n matrix, or the per-anchor lse (n) */
    size_t common = sizeof(float) * (4 * c.n * c.d + 2 * c.n + c.n);
    printf("peak scratch of one call, n=%zu d=%zu: materialised %zu bytes, tiled %zu bytes (N x N floats: %zu)\n",
           c.n, c.d, extra[0], extra[1], nn);
    CHECK(extra[0] == common + nn && extra[1] == common + sizeof(float) * c.n,
          "peak scratch: materialised %zu (want %zu), tiled %zu (want %zu) bytes", extra[0], common + nn, extra[1],
          common + sizeof(float) * c.n);
    clnn_tensor_release(loss), clnn_tensor_release(g1), clnn_tensor_release(g2);
    nce_data_free(&v);
}

/* The gradients of the case's loss wrt z1 and z2 (g1, g2: n x d each), in
 * double from the definition (margin 0, not decoupled): anchors a with
 * candidates D(a) and positive pos(a) over the stacked rows Z = [ẑ1; ẑ2],
 * dloss/dl_ab = w (p_ab - [b = pos(a)]), w the reduction's weight of the
 * anchor; dZ_a += Σ_b (dloss/dl_ab) Z_b / tau, dZ_b += (dloss/dl_ab) Z_a /
 * tau; then through ẑ = z/||z||: dz = (dẑ - ẑ (ẑ·dẑ))/||z||. */
static void nce_ref_grad(const nce_data *v, double *g1, double *g2)
{
    const nce_case *c = v->c;
    const size_t n = c->n, d = c->d, m = 2 * n;
    double *z = malloc(m * d * sizeof *z), *dz = calloc(m * d, sizeof *dz), *norm = malloc(m * sizeof *norm);
    double *l = malloc(m * sizeof *l);
    REQUIRE(z && dz && norm && l, "host memory");
    for (size_t r = 0; r < m; r++) {
        const double *src = r < n ? v->z1 + r * d : v->z2 + (r - n) * d;
        double ss = 0.0;
        for (size_t k = 0; k < d; k++) ss += src[k] * src[k];
        norm[r] = c->normalize ? fmax(sqrt(ss), 1e-12) : 1.0;
        for (size_t k = 0; k < d; k++) z[r * d + k] = src[k] / norm[r];
    }
    const double tau = c->tau, mean = c->red == CLNN_REDUCE_MEAN;
    for (size_t a = 0; a < m; a++) {
        /* the anchor's candidates [b0, b1) (without a itself) and weight */
        size_t b0 = 0, b1 = m, pos = a < n ? a + n : a - n;
        double w = mean ? 1.0 / nce_anchors(c) : 1.0;
        if (c->kind == K_ONE_WAY && a >= n) continue;
        if (c->kind != K_NT_XENT) b0 = a < n ? n : 0, b1 = a < n ? m : n;
        if (c->kind == K_SYMMETRIC) w = mean ? 0.5 / (double)n : 0.5;
        double mx = -INFINITY, sum = 0.0;
        for (size_t b = b0; b < b1; b++) {
            if (b == a) continue;
            double s = 0.0;
            for (size_t k = 0; k < d; k++) s += z[a * d + k] * z[b * d + k];
            l[b] = s / tau, mx = fmax(mx, l[b]);
        }
        for (size_t b = b0; b < b1; b++)
            if (b != a) sum += exp(l[b] - mx);
        for (size_t b = b0; b < b1; b++) {
            if (b == a) continue;
            const double coef = w * (exp(l[b] - mx) / sum - (b == pos ? 1.0 : 0.0)) / tau;
            for (size_t k = 0; k < d; k++) {
                dz[a * d + k] += coef * z[b * d + k];
                dz[b * d + k] += coef * z[a * d + k];
            }
        }
    }
    for (size_t r = 0; r < m; r++) {
        double dot = 0.0, *out = r < n ? g1 + r * d : g2 + (r - n) * d;
        for (size_t k = 0; k < d; k++) dot += z[r * d + k] * dz[r * d + k];
        for (size_t k = 0; k < d; k++)
            out[k] = c->normalize ? (dz[r * d + k] - z[r * d + k] * dot) / norm[r] : dz[r * d + k];
    }
    free(z), free(dz), free(norm), free(l);
}

/* Issue 19: near-converged batches. z2 = z1 + noise (z1 random, or for
 * n <= d one-hot rows plus noise, nearly orthogonal), so every positive
 * dominates its anchor's softmax and the per-anchor losses are ~1e-6 and
 * below: the gradients are ~loss/tau while their terms are ~1/tau. Both
 * paths against the analytic double gradient (nce_ref_grad) within
 * nce_grad_bound, the loss within the rounding of the logits, and the two
 * against each other (check_against_materialised). The bound of the docs
 * before, 1e-5 of the largest entry alone, fails here (the differences are
 * printed as a fraction of the largest entry). */
static void check_converged(clnn_context *ctx, const nce_case *c, int one_hot, float noise)
{
    char what[200];
    nce_describe(c, what, sizeof what);
    const size_t m = c->n * c->d;
    nce_data v = nce_data_make(ctx, c, (unsigned)(c->n + c->d), 3);
    for (size_t i = 0; i < m; i++) {
        if (one_hot) v.z1f[i] = (i / c->d) % c->d == i % c->d ? 1.0f : 0.05f * v.z1f[i];
        v.z2f[i] = v.z1f[i] + noise * v.z2f[i];
        v.z1[i] = v.z1f[i], v.z2[i] = v.z2f[i];
    }
    CHECK_OK(ctx, clnn_tensor_upload(v.t1, v.z1f, m * sizeof(float)));
    CHECK_OK(ctx, clnn_tensor_upload(v.t2, v.z2f, m * sizeof(float)));
    double *r1 = malloc(m * sizeof *r1), *r2 = malloc(m * sizeof *r2);
    REQUIRE(r1 && r2, "host memory");
    nce_ref_grad(&v, r1, r2);
    const double want = nce_ref_value(&v), lmax = nce_max_logit(&v);
    const double rmax = fmax(util_max_abs_d(r1, m), util_max_abs_d(r2, m)), bound = nce_grad_bound(&v, rmax);
    const double anchors = c->red == CLNN_REDUCE_SUM ? nce_anchors(c) : 1.0;
    path_out out[2];
    run_paths(ctx, &v, out);
    for (int tiled = 0; tiled < 2; tiled++) {
        const float val = out[tiled].val, *h1 = out[tiled].h1, *h2 = out[tiled].h2;
        double err = 0.0;
        for (size_t i = 0; i < m; i++) err = fmax(err, fmax(fabs(h1[i] - r1[i]), fabs(h2[i] - r2[i])));
        if (err != err) err = INFINITY;
        printf("near-converged %s, %s: loss %.9g (reference %.9g), gradients off by <= %.3g of the largest "
               "%.3g (%.3g of it; %.3g eps (1 + l_max) G; bound %.3g)\n",
               what, tiled ? "tiled" : "materialised", val, want, err, rmax, err / rmax,
               err / (FLT_EPSILON * (1.0 + lmax) * nce_grad_scale(&v)), bound);
        CHECK(fabs(val - want) <= 2e-6 * fabs(want) + 1e-6 * lmax * anchors, "%s, %s: loss %.9g, reference %.9g",
              what, tiled ? "tiled" : "materialised", val, want);
        CHECK(err <= bound, "%s, %s: gradients off by %.3g (bound %.3g)", what, tiled ? "tiled" : "materialised",
              err, bound);
    }
    compare_paths(&v, out);
    free_paths(out);
    free(r1), free(r2);
    nce_data_free(&v);
}

int main(void)
{
    clnn_context *ctx = test_context();
    /* On the simulator (small mode) the cases past the default tiles (n > 9)
     * are left out; the forced small tiles (TR 8, TC 32) below still put
     * several tiles and ragged edges under Oclgrind. */
    int medium = test_large("tiled InfoNCE on more than 9 pairs at the default tile sizes");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!medium && cases[i].n > 9) continue;
        check_nce(ctx, &cases[i], 3, 300, 1);
        check_against_materialised(ctx, &cases[i]);
    }
    /* 19 pairs: 38 NT-Xent candidates, past one TC = 32 tile; 11: past TR = 8 */
    nce_case bits[] = {{19, 9, K_NT_XENT, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                       {11, 6, K_SYMMETRIC, 0.05f, 0.1f, 0, 1, CLNN_REDUCE_SUM, 1.0f}};
    for (int i = 0; i < 2; i++) {
        check_config_bits(ctx, &bits[i], "contrastive.tiled_lse");
        check_config_bits(ctx, &bits[i], "contrastive.tiled_grad");
    }
    /* near-converged batches (issue 19): one-hot rows + noise (n <= d) on
     * every kind, normalised or not, per-anchor losses ~1e-3 (tau 0.1) and
     * ~1e-5 (tau 0.07); and the issue's N = 256, D = 128, tau = 0.05
     * one-way batch (random rows, losses ~3e-6), reduced both ways */
    const nce_case converged[] = {{24, 32, K_ONE_WAY, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                                  {24, 32, K_SYMMETRIC, 0.07f, 0.0f, 1, 0, CLNN_REDUCE_SUM, 1.0f},
                                  {24, 32, K_NT_XENT, 0.1f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                                  {24, 32, K_ONE_WAY, 0.07f, 0.0f, 0, 0, CLNN_REDUCE_SUM, 1.0f}};
    for (size_t i = 0; i < sizeof converged / sizeof converged[0]; i++) check_converged(ctx, &converged[i], 1, 0.02f);
    if (test_large("near-converged one-way InfoNCE on 256 x 128")) {
        const nce_case issue[] = {{256, 128, K_ONE_WAY, 0.05f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                                  {256, 128, K_ONE_WAY, 0.05f, 0.0f, 1, 0, CLNN_REDUCE_SUM, 1.0f}};
        for (int i = 0; i < 2; i++) check_converged(ctx, &issue[i], 0, 0.1f);
    }
    if (check_memory_stats(ctx)) check_peak_memory(ctx);
    else test_skip("peak memory of the tiled and materialised calls (no memory statistics here)");
    if (test_large("tiled InfoNCE on >= 2^16 elements")) {
        nce_case big[] = {{1031, 67, K_SYMMETRIC, 0.05f, 0.0f, 1, 0, CLNN_REDUCE_MEAN, 1.0f},
                          {521, 129, K_NT_XENT, 0.1f, 0.1f, 1, 1, CLNN_REDUCE_MEAN, 1.0f}};
        for (int i = 0; i < 2; i++) {
            check_nce(ctx, &big[i], 3, 8, 1);
            check_against_materialised(ctx, &big[i]);
        }
    }
    clnn_context_release(ctx);
    return check_summary();
}
