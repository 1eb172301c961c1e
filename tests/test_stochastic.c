/* Stochastic regularizers: DropConnect, spatial dropout, DropBlock,
 * stochastic depth, noise injection, Mixout.
 *  - every mask bit-identical to the host reference (tests/ref/ref_stochastic.c,
 *    drawing through the independent ref_philox) on awkward shapes, one of
 *    them >= 2^20 elements; values within fp32 rounding of the double reference;
 *  - keep rates on large tensors within 5 standard deviations of the
 *    expectation (a correct kernel fails this with probability < 1e-6);
 *  - every backward against central finite differences of the device forward;
 *  - two runs with the same seed give the same bits. */
#include "check.h"
#include "ref/ref.h"

#include <math.h>

static const size_t shapes[][4] = {{1, 1, 1, 1}, {1, 3, 5, 7}, {2, 1, 13, 3}, {3, 5, 11, 11}, {2, 17, 173, 179}};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static size_t count4(const size_t s[4])
{
    return s[0] * s[1] * s[2] * s[3];
}

static float *download(clnn_context *ctx, const clnn_tensor *t)
{
    size_t n = clnn_tensor_count(t);
    float *h = malloc(n * sizeof *h);
    REQUIRE(h != NULL, "malloc");
    CHECK_OK(ctx, clnn_tensor_download(t, h, n * sizeof *h));
    return h;
}

static clnn_tensor *empty_like(clnn_context *ctx, const clnn_tensor *t)
{
    int nd;
    size_t s[4];
    clnn_tensor *o = NULL;
    clnn_tensor_shape(t, &nd, s);
    REQUIRE(clnn_tensor_create(ctx, CLNN_FLOAT32, nd, s, &o) == CLNN_OK, "create: %s", clnn_last_error(ctx));
    return o;
}

/* Elements whose "dropped" state (zero) differs from the reference; inputs
 * are never zero, so zero means masked. */
static size_t mask_mismatches(const float *got, const double *want, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += (got[i] == 0.0f) != (want[i] == 0.0);
    return bad;
}

/* Inputs in +-[0.25, 1.25): never zero. */
static float *nonzero_input(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    REQUIRE(x != NULL, "malloc");
    test_fill_uniform(x, n, seed, 0.25f, 1.25f);
    for (size_t i = 0; i < n; i += 3) x[i] = -x[i];
    return x;
}

/* ---- the forwards under finite differences, one switch over the ops */
typedef enum {
    OP_DROPCONNECT, OP_SPATIAL, OP_DROPBLOCK, OP_SDEPTH_X, OP_SDEPTH_BRANCH, OP_NOISE, OP_MIXOUT
} op_kind;

typedef struct op {
    op_kind kind;
    float p;
    uint64_t seed;
    size_t block;
    clnn_noise_kind noise;
    clnn_tensor *other; /* branch, x (stochastic depth), w0 (Mixout) */
    clnn_tensor *mask;  /* DropBlock's mask output */
} op;

static clnn_status op_forward(clnn_context *ctx, const op *o, clnn_tensor *x, clnn_tensor *y)
{
    switch (o->kind) {
    case OP_DROPCONNECT: return clnn_dropconnect_forward(ctx, x, o->p, o->seed, y);
    case OP_SPATIAL: return clnn_spatial_dropout_forward(ctx, x, o->p, o->seed, y);
    case OP_DROPBLOCK: return clnn_dropblock_forward(ctx, x, o->block, o->p, o->seed, o->mask, y);
    case OP_SDEPTH_X: return clnn_stochastic_depth_forward(ctx, x, o->other, o->p, o->seed, y);
    case OP_SDEPTH_BRANCH: return clnn_stochastic_depth_forward(ctx, o->other, x, o->p, o->seed, y);
    case OP_NOISE: return clnn_noise_forward(ctx, x, o->noise, o->p, o->seed, y);
    case OP_MIXOUT: return clnn_mixout_forward(ctx, x, o->other, o->p, o->seed, y);
    }
    return CLNN_ERR_INTERNAL;
}

/* Worst |fd - dx| / (1 + |dx|) over every coordinate, with
 * fd = (L(x + h e_i) - L(x - h e_i)) / 2h, L = sum dy . forward(x) in double.
 * Every op here is affine in x for a fixed seed, so the difference quotient
 * has no truncation error; what remains is the fp32 rounding of y (about
 * 1e-7 |y| per element, summed over <= 250 elements with random signs:
 * ~1e-5 in L) divided by 2h = 0.5, so about 2e-5: the tolerance is 2e-4. */
static double fd_worst(clnn_context *ctx, const op *o, const clnn_tensor *x_dev, const float *dy, const float *dx)
{
    const double h = 0.25;
    size_t n = clnn_tensor_count(x_dev);
    float *x = download(ctx, x_dev);
    clnn_tensor *xp = empty_like(ctx, x_dev), *y = empty_like(ctx, x_dev);
    float *yh = malloc(n * sizeof *yh);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double L[2];
        for (int side = 0; side < 2; side++) {
            float keep = x[i];
            x[i] = (float)(keep + (side ? -h : h));
            CHECK_OK(ctx, clnn_tensor_upload(xp, x, n * sizeof *x));
            x[i] = keep;
            CHECK_OK(ctx, op_forward(ctx, o, xp, y));
            CHECK_OK(ctx, clnn_tensor_download(y, yh, n * sizeof *yh));
            L[side] = 0;
            for (size_t j = 0; j < n; j++) L[side] += (double)dy[j] * yh[j];
        }
        double fd = (L[0] - L[1]) / (2 * h), e = fabs(fd - dx[i]) / (1.0 + fabs(dx[i]));
        if (!(e <= worst)) worst = e; /* NaN propagates */
    }
    free(x);
    free(yh);
    clnn_tensor_release(xp);
    clnn_tensor_release(y);
    return worst;
}

/* Runs op's backward on dy into a new tensor and checks it against finite differences. */
static void check_backward(clnn_context *ctx, const char *name, const op *o, clnn_tensor *x)
{
    size_t n = clnn_tensor_count(x);
    float *dyh = malloc(n * sizeof *dyh);
    test_fill_uniform(dyh, n, 77, -1.0f, 1.0f);
    int nd;
    size_t s[4];
    clnn_tensor_shape(x, &nd, s);
    clnn_tensor *dy = test_tensor_from(ctx, nd, s, dyh), *dx = empty_like(ctx, x);
    clnn_tensor *y = empty_like(ctx, x);
    CHECK_OK(ctx, op_forward(ctx, o, x, y)); /* DropBlock's backward needs the forward's mask */
    clnn_tensor_release(y);
    switch (o->kind) {
    case OP_DROPCONNECT: CHECK_OK(ctx, clnn_dropconnect_backward(ctx, dy, o->p, o->seed, dx)); break;
    case OP_SPATIAL: CHECK_OK(ctx, clnn_spatial_dropout_backward(ctx, dy, o->p, o->seed, dx)); break;
    case OP_DROPBLOCK: CHECK_OK(ctx, clnn_dropblock_backward(ctx, dy, o->mask, dx)); break;
    case OP_SDEPTH_X: CHECK_OK(ctx, clnn_tensor_copy(dx, dy)); break; /* documented: dx = dy */
    case OP_SDEPTH_BRANCH: CHECK_OK(ctx, clnn_stochastic_depth_backward(ctx, dy, o->p, o->seed, dx)); break;
    case OP_NOISE: CHECK_OK(ctx, clnn_noise_backward(ctx, dy, o->noise, o->p, o->seed, dx)); break;
    case OP_MIXOUT: CHECK_OK(ctx, clnn_mixout_backward(ctx, dy, o->p, o->seed, dx)); break;
    }
    float *dxh = download(ctx, dx);
    double worst = fd_worst(ctx, o, x, dyh, dxh);
    CHECK(worst <= 2e-4, "%s backward vs finite differences: worst %g", name, worst);
    free(dyh);
    free(dxh);
    clnn_tensor_release(dy);
    clnn_tensor_release(dx);
}

/* Values within fp32 rounding of the reference: one multiply by the rounded
 * 1/(1-p) (Box-Muller: fp32 log/sqrt/cos, a few ulp, as in test_rng). */
static void check_values(const char *what, const size_t s[4], const float *got, const double *want, size_t n,
                         double atol, double rtol)
{
    double e = test_max_rel_error(got, want, n, atol, rtol);
    CHECK(e <= 1.0, "%s [%zu,%zu,%zu,%zu]: worst error %g x tolerance", what, s[0], s[1], s[2], s[3], e);
}

/* DropConnect (forward and backward), spatial dropout and DropBlock (a small
 * block and the largest that fits) on shape s against the reference masks. */
static void test_drop_masks(clnn_context *ctx, const size_t s[4], uint64_t seed, const float *xh, clnn_tensor *x,
                            clnn_tensor *y, clnn_tensor *mask, double *want, double *want_mask)
{
    const size_t n = count4(s);
    float *yh;

    /* DropConnect: forward and backward are the same masked scaling */
    CHECK_OK(ctx, clnn_dropconnect_forward(ctx, x, 0.3f, seed, y));
    ref_group_mask(xh, n, 1, seed, CLNN_STREAM_DROPCONNECT, 0.3f, want);
    yh = download(ctx, y);
    CHECK(mask_mismatches(yh, want, n) == 0, "DropConnect mask: %zu of %zu differ", mask_mismatches(yh, want, n), n);
    check_values("DropConnect", s, yh, want, n, 1e-6, 1e-6);
    free(yh);
    CHECK_OK(ctx, clnn_dropconnect_backward(ctx, x, 0.3f, seed, y));
    yh = download(ctx, y);
    CHECK(mask_mismatches(yh, want, n) == 0, "DropConnect backward mask");
    free(yh);

    /* spatial dropout: one draw per (n, c) */
    CHECK_OK(ctx, clnn_spatial_dropout_forward(ctx, x, 0.4f, seed, y));
    ref_group_mask(xh, n, s[2] * s[3], seed, CLNN_STREAM_SPATIAL_DROPOUT, 0.4f, want);
    yh = download(ctx, y);
    CHECK(mask_mismatches(yh, want, n) == 0, "spatial dropout mask: %zu of %zu differ", mask_mismatches(yh, want, n),
          n);
    check_values("spatial dropout", s, yh, want, n, 1e-6, 1e-6);
    free(yh);

    /* DropBlock: a small block and the largest block that fits */
    size_t side = s[2] < s[3] ? s[2] : s[3];
    size_t blocks[2] = {side < 3 ? side : 3, side};
    for (int b = 0; b < 2; b++) {
        CHECK_OK(ctx, clnn_dropblock_forward(ctx, x, blocks[b], 0.8f, seed, mask, y));
        ref_dropblock(xh, s[0], s[1], s[2], s[3], blocks[b], 0.8f, seed, CLNN_STREAM_DROPBLOCK, want_mask, want);
        float *mh = download(ctx, mask);
        yh = download(ctx, y);
        CHECK(mask_mismatches(mh, want_mask, n) == 0, "DropBlock b=%zu mask: %zu of %zu differ", blocks[b],
              mask_mismatches(mh, want_mask, n), n);
        /* scale = count / ones: an fp32 division of exact integers (<= 2.5 ulp), then one multiply */
        check_values("DropBlock mask", s, mh, want_mask, n, 1e-6, 1e-6);
        check_values("DropBlock y", s, yh, want, n, 1e-6, 1e-6);
        free(mh);
        free(yh);
    }
}

/* Stochastic depth (forward and backward), the three noises and Mixout
 * (forward, and its mask through the backward) on shape s against the references. */
static void test_depth_noise_mixout(clnn_context *ctx, const size_t s[4], uint64_t seed, const float *xh,
                                    const float *oh, clnn_tensor *x, clnn_tensor *other, clnn_tensor *y, double *want)
{
    const size_t n = count4(s);
    float *yh;

    /* stochastic depth: one draw per sample; a flipped draw moves y by >= 0.25 */
    CHECK_OK(ctx, clnn_stochastic_depth_forward(ctx, x, other, 0.5f, seed, y));
    ref_stochastic_depth(xh, oh, s[0], n / s[0], seed, CLNN_STREAM_STOCHASTIC_DEPTH, 0.5f, want);
    yh = download(ctx, y);
    check_values("stochastic depth", s, yh, want, n, 1e-6, 1e-6);
    free(yh);
    CHECK_OK(ctx, clnn_stochastic_depth_backward(ctx, x, 0.5f, seed, y));
    ref_group_mask(xh, n, n / s[0], seed, CLNN_STREAM_STOCHASTIC_DEPTH, 0.5f, want);
    yh = download(ctx, y);
    CHECK(mask_mismatches(yh, want, n) == 0, "stochastic depth backward mask");
    check_values("stochastic depth backward", s, yh, want, n, 1e-6, 1e-6);
    free(yh);

    /* noise: the uniform kind is one fp32 fma away; Box-Muller a few ulp of fp32 log/cos */
    for (int kind = 0; kind < 3; kind++) {
        CHECK_OK(ctx, clnn_noise_forward(ctx, x, (clnn_noise_kind)kind, 0.5f, seed, y));
        ref_noise(xh, n, kind, 0.5f, seed, CLNN_STREAM_NOISE, want);
        yh = download(ctx, y);
        check_values(kind == 0 ? "Gaussian noise" : kind == 1 ? "uniform noise" : "multiplicative noise", s, yh, want,
                     n, kind == 1 ? 1e-6 : 2e-5, kind == 1 ? 1e-6 : 2e-5);
        free(yh);
    }

    /* Mixout: forward values, and the mask itself through the backward */
    CHECK_OK(ctx, clnn_mixout_forward(ctx, x, other, 0.3f, seed, y));
    ref_mixout(xh, oh, n, seed, CLNN_STREAM_MIXOUT, 0.3f, want);
    yh = download(ctx, y);
    check_values("Mixout", s, yh, want, n, 1e-6, 2e-6);
    free(yh);
    CHECK_OK(ctx, clnn_mixout_backward(ctx, x, 0.3f, seed, y));
    ref_group_mask(xh, n, 1, seed, CLNN_STREAM_MIXOUT, 0.3f, want);
    yh = download(ctx, y);
    CHECK(mask_mismatches(yh, want, n) == 0, "Mixout mask: %zu of %zu differ", mask_mismatches(yh, want, n), n);
    check_values("Mixout backward", s, yh, want, n, 1e-6, 1e-6);
    free(yh);
}

static void test_masks_on_shape(clnn_context *ctx, const size_t s[4])
{
    const size_t n = count4(s);
    const uint64_t seed = 0x0123456789abcdefull ^ n;
    float *xh = nonzero_input(n, 1), *oh = nonzero_input(n, 2);
    double *want = malloc(n * sizeof *want), *want_mask = malloc(n * sizeof *want_mask);
    clnn_tensor *x = test_tensor_from(ctx, 4, s, xh), *other = test_tensor_from(ctx, 4, s, oh);
    clnn_tensor *y = empty_like(ctx, x), *mask = empty_like(ctx, x);

    test_drop_masks(ctx, s, seed, xh, x, y, mask, want, want_mask);
    test_depth_noise_mixout(ctx, s, seed, xh, oh, x, other, y, want);

    free(xh);
    free(oh);
    free(want);
    free(want_mask);
    clnn_tensor_release(x);
    clnn_tensor_release(other);
    clnn_tensor_release(y);
    clnn_tensor_release(mask);
}

/* |count - mean| <= 5 sd: a correct kernel fails with probability < 6e-7. */
static void check_rate(const char *what, double count, double mean, double sd)
{
    CHECK(fabs(count - mean) <= 5.0 * sd, "%s: %g, expected %g +- 5 x %g", what, count, mean, sd);
}

/* DropBlock, 4096 planes of 16 x 16, b = 3, keep_prob 0.9: element (h, w)
 * is covered by k(h, w) possible seeds, so E[kept in a plane] =
 * sum (1 - gamma)^k(h, w) exactly; planes are independent, so the mean
 * over planes must be within 5 standard errors of it. */
static void test_dropblock_statistics(clnn_context *ctx)
{
    const size_t d[4] = {16, 256, 16, 16}, dn = count4(d), dplanes = 16 * 256, b = 3, H = 16, W = 16;
    const float keep_prob = 0.9f;
    float *dx = malloc(dn * sizeof *dx);
    for (size_t i = 0; i < dn; i++) dx[i] = 1.0f;
    clnn_tensor *bx = test_tensor_from(ctx, 4, d, dx), *by = empty_like(ctx, bx), *bm = empty_like(ctx, bx);
    CHECK_OK(ctx, clnn_dropblock_forward(ctx, bx, b, keep_prob, 16, bm, by));
    float *mh = download(ctx, bm);
    double gamma = (1.0 - keep_prob) / (b * b) * (H * W) / ((H - b + 1.0) * (W - b + 1.0)), expect = 0;
    for (size_t h = 0; h < H; h++)
        for (size_t w = 0; w < W; w++) {
            double kh = (double)((h < H - b ? h : H - b) - (h + 1 >= b ? h + 1 - b : 0) + 1);
            double kw = (double)((w < W - b ? w : W - b) - (w + 1 >= b ? w + 1 - b : 0) + 1);
            expect += pow(1.0 - gamma, kh * kw);
        }
    double sum = 0, sum2 = 0;
    for (size_t c = 0; c < dplanes; c++) {
        double k = 0;
        for (size_t e = 0; e < H * W; e++) k += mh[c * H * W + e] != 0.0f;
        sum += k;
        sum2 += k * k;
    }
    double mean = sum / dplanes, sd = sqrt((sum2 / dplanes - mean * mean) / dplanes);
    check_rate("DropBlock kept per plane", mean, expect, sd);
    /* and the normalization: the scaled mask sums to the element count */
    double total = 0;
    for (size_t i = 0; i < dn; i++) total += mh[i];
    CHECK(fabs(total - (double)dn) <= 1e-5 * dn, "DropBlock mask sums to %g, expected %zu", total, dn);
    free(mh);
    free(dx);
    clnn_tensor_release(bx);
    clnn_tensor_release(by);
    clnn_tensor_release(bm);
}

static void test_statistics(clnn_context *ctx)
{
    /* 64 x 1024 planes of 2 x 3: 393216 elements, 65536 channel draws */
    const size_t s[4] = {64, 1024, 2, 3}, n = count4(s), planes = 64 * 1024;
    float *ones = malloc(n * sizeof *ones);
    for (size_t i = 0; i < n; i++) ones[i] = 1.0f;
    clnn_tensor *x = test_tensor_from(ctx, 4, s, ones), *y = empty_like(ctx, x), *mask = empty_like(ctx, x);
    float *yh;
    double kept, p = 0.3;

    CHECK_OK(ctx, clnn_dropconnect_forward(ctx, x, (float)p, 11, y));
    yh = download(ctx, y);
    kept = 0;
    for (size_t i = 0; i < n; i++) kept += yh[i] != 0.0f;
    check_rate("DropConnect kept elements", kept, n * (1 - p), sqrt(n * p * (1 - p)));
    free(yh);

    CHECK_OK(ctx, clnn_spatial_dropout_forward(ctx, x, (float)p, 12, y));
    yh = download(ctx, y);
    kept = 0;
    size_t mixed = 0;
    for (size_t c = 0; c < planes; c++) {
        kept += yh[c * 6] != 0.0f;
        for (int e = 1; e < 6; e++) mixed += (yh[c * 6 + e] != 0.0f) != (yh[c * 6] != 0.0f);
    }
    CHECK(mixed == 0, "spatial dropout: %zu elements disagree with their channel", mixed);
    check_rate("spatial dropout kept channels", kept, planes * (1 - p), sqrt(planes * p * (1 - p)));
    free(yh);

    /* stochastic depth over 65536 samples of 6 */
    size_t sd_shape[2] = {planes, 6};
    CHECK_OK(ctx, clnn_tensor_reshape(x, 2, sd_shape));
    CHECK_OK(ctx, clnn_tensor_reshape(y, 2, sd_shape));
    CHECK_OK(ctx, clnn_stochastic_depth_backward(ctx, x, (float)p, 13, y));
    yh = download(ctx, y);
    kept = 0;
    for (size_t c = 0; c < planes; c++) kept += yh[c * 6] != 0.0f;
    check_rate("stochastic depth kept samples", kept, planes * (1 - p), sqrt(planes * p * (1 - p)));
    free(yh);

    /* Mixout's M ~ Bernoulli(1 - p): count through the backward's mask */
    CHECK_OK(ctx, clnn_mixout_backward(ctx, x, (float)p, 14, y));
    yh = download(ctx, y);
    kept = 0;
    for (size_t i = 0; i < n; i++) kept += yh[i] != 0.0f;
    check_rate("Mixout M = 1", kept, n * (1 - p), sqrt(n * p * (1 - p)));
    free(yh);

    /* noise moments: mean 0 (sd 1/sqrt(n)) and variance (sd sqrt(Var(e^2)/n)) */
    for (int kind = 0; kind < 2; kind++) {
        CHECK_OK(ctx, clnn_noise_forward(ctx, x, (clnn_noise_kind)kind, 1.0f, 15, y));
        yh = download(ctx, y);
        double m = 0, m2 = 0;
        for (size_t i = 0; i < n; i++) {
            double e = yh[i] - 1.0;
            m += e;
            m2 += e * e;
        }
        double var = kind == 0 ? 1.0 : 1.0 / 3.0, var_of_sq = kind == 0 ? 2.0 : 4.0 / 45.0;
        check_rate(kind == 0 ? "Gaussian noise sum" : "uniform noise sum", m, 0.0, sqrt(n * var));
        check_rate(kind == 0 ? "Gaussian noise sum of squares" : "uniform noise sum of squares", m2, n * var,
                   sqrt(n * var_of_sq));
        free(yh);
    }
    CHECK_OK(ctx, clnn_tensor_reshape(x, 4, s));
    CHECK_OK(ctx, clnn_tensor_reshape(y, 4, s));
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    clnn_tensor_release(mask);
    free(ones);
    test_dropblock_statistics(ctx);
}

static void test_backwards(clnn_context *ctx)
{
    /* Finite differences launch the forward twice per element; on the
     * simulator (CLNN_TEST_SMALL) a smaller shape that still has 2 samples,
     * 2 planes and room for the 2 x 2 DropBlock block keeps that to seconds. */
    static const size_t full[4] = {2, 2, 5, 7}, small[4] = {2, 1, 3, 5};
    const size_t *s = test_small() ? small : full, n = count4(s);
    float *xh = nonzero_input(n, 5), *oh = nonzero_input(n, 6);
    clnn_tensor *x = test_tensor_from(ctx, 4, s, xh), *other = test_tensor_from(ctx, 4, s, oh);
    clnn_tensor *mask = empty_like(ctx, x);
    op o = {OP_DROPCONNECT, 0.3f, 42, 0, CLNN_NOISE_GAUSSIAN, other, mask};
    check_backward(ctx, "DropConnect", &o, x);
    o.kind = OP_SPATIAL;
    check_backward(ctx, "spatial dropout", &o, x);
    o.kind = OP_DROPBLOCK;
    o.p = 0.7f; /* keep_prob */
    o.block = 2;
    check_backward(ctx, "DropBlock", &o, x);
    o.kind = OP_SDEPTH_X;
    o.p = 0.5f;
    check_backward(ctx, "stochastic depth (x)", &o, x);
    o.kind = OP_SDEPTH_BRANCH;
    check_backward(ctx, "stochastic depth (branch)", &o, x);
    o.kind = OP_MIXOUT;
    o.p = 0.3f;
    check_backward(ctx, "Mixout", &o, x);
    o.kind = OP_NOISE;
    o.p = 0.5f; /* scale */
    for (int k = 0; k < 3; k++) {
        o.noise = (clnn_noise_kind)k;
        check_backward(ctx, k == 0 ? "Gaussian noise" : k == 1 ? "uniform noise" : "multiplicative noise", &o, x);
    }
    free(xh);
    free(oh);
    clnn_tensor_release(x);
    clnn_tensor_release(other);
    clnn_tensor_release(mask);
}

/* Same seed: same bits; another seed: another mask. In place (y = x) gives
 * what out of place gives. */
static void test_determinism(clnn_context *ctx)
{
    const size_t s[4] = {3, 5, 11, 11}, n = count4(s);
    float *xh = nonzero_input(n, 9);
    clnn_tensor *x = test_tensor_from(ctx, 4, s, xh), *y = empty_like(ctx, x), *mask = empty_like(ctx, x);
    float *a, *b;
    for (int op_i = 0; op_i < 3; op_i++) {
        const char *name = op_i == 0 ? "DropConnect" : op_i == 1 ? "DropBlock" : "Gaussian noise";
        float *runs[3];
        for (int r = 0; r < 3; r++) {
            uint64_t seed = r < 2 ? 5 : 6;
            if (op_i == 0) CHECK_OK(ctx, clnn_dropconnect_forward(ctx, x, 0.5f, seed, y));
            if (op_i == 1) CHECK_OK(ctx, clnn_dropblock_forward(ctx, x, 3, 0.7f, seed, mask, y));
            if (op_i == 2) CHECK_OK(ctx, clnn_noise_forward(ctx, x, CLNN_NOISE_GAUSSIAN, 1.0f, seed, y));
            runs[r] = download(ctx, y);
        }
        CHECK(memcmp(runs[0], runs[1], n * sizeof(float)) == 0, "%s: two runs with one seed differ", name);
        CHECK(memcmp(runs[0], runs[2], n * sizeof(float)) != 0, "%s: another seed gives the same output", name);
        for (int r = 0; r < 3; r++) free(runs[r]);
    }
    CHECK_OK(ctx, clnn_dropconnect_forward(ctx, x, 0.5f, 5, y));
    a = download(ctx, y);
    CHECK_OK(ctx, clnn_dropconnect_forward(ctx, x, 0.5f, 5, x));
    b = download(ctx, x);
    CHECK(memcmp(a, b, n * sizeof(float)) == 0, "DropConnect in place differs from out of place");
    free(a);
    free(b);
    free(xh);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    clnn_tensor_release(mask);
}

int main(void)
{
    clnn_context *ctx = test_context();
    for (size_t i = 0; i < NSHAPES; i++)
        if (count4(shapes[i]) < ((size_t)1 << 20) || test_large("masks on 2 x 17 x 173 x 179"))
            test_masks_on_shape(ctx, shapes[i]);
    if (test_large("keep-rate statistics on 64 x 1024 x 2 x 3")) test_statistics(ctx);
    test_backwards(ctx);
    test_determinism(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
