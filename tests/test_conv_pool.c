/* Max, average and global average pooling, forward and backward, against
 * the double reference (tests/ref/ref_conv.c), finite differences and repeats.
 *
 * Tolerances: max pooling selects an input, so values and indices must match
 * exactly. Averages are float sums of at most a plane of numbers in [-1, 1]
 * divided by the count: |err| <= 1e-5 + 1e-5 |ref|. For global pooling the
 * sum runs as 256 lanes of n/256 terms then an 8-level tree, bound
 * (n/256 + 8) eps sum|t|; divided by n = 65536 that is ~8e-6 < 1e-5.
 * Finite differences (h = 1e-4, double): the loss sum(y * r) is linear in x
 * for average pooling and piecewise linear for max pooling; inputs are
 * distinct multiples of 2^-23 far apart relative to h, so no step crosses a
 * tie and the differences are exact up to rounding (~1e-12).
 *
 * Every case also runs under forced configurations of the kernels it
 * launches (pool.forward, pool.backward_scatter and the gather
 * pool.backward, with VW 1 and 8, each at several local sizes) and must give the
 * default's bits: y, the indices and dx. The shapes cover rows of fewer and
 * more than 8 outputs (partial float8 chunks), the floor size's remainder
 * rows and columns, strides above the window (cells in no window), padding,
 * and overlapping windows (the gather); and PyTorch's options: ceil_mode
 * (the last window hanging over the padded input, and dropped when it would
 * start past it), max pooling's dilation, divisor_override, and windows
 * larger than the input. */
#include "layer_util.h"
#include "ref/ref.h"

typedef struct fd_ctx {
    ref_pool_shape *s;
    double *x, *r, *y;
    size_t ny;
} fd_ctx;

static double pool_loss(void *user)
{
    fd_ctx *f = user;
    ref_pool_forward(f->s, f->x, f->y, NULL);
    return util_dot(f->y, f->r, f->ny);
}

/* The tensors of one pooling case and what it runs. */
typedef struct pool_case {
    clnn_tensor *x, *y, *dy, *dx, *idx;
    clnn_pool2d_options prm;
    int mode;
    size_t nx, ny;
} pool_case;

/* Forward and backward once into outputs filled with NaN first (every
 * element must be written); returns y, dx and the indices (max; else 0). */
static void pool_pass(clnn_context *ctx, pool_case *c, float **y, float **dx, int **idx)
{
    CHECK_OK(ctx, clnn_tensor_fill(c->y, NAN));
    CHECK_OK(ctx, clnn_tensor_fill(c->dx, NAN));
    if (c->mode == 0) {
        CHECK_OK(ctx, clnn_maxpool2d_forward(ctx, c->x, &c->prm, c->y, c->idx));
        CHECK_OK(ctx, clnn_maxpool2d_backward(ctx, c->dy, c->idx, &c->prm, c->dx));
    } else {
        CHECK_OK(ctx, clnn_avgpool2d_forward(ctx, c->x, &c->prm, c->y));
        CHECK_OK(ctx, clnn_avgpool2d_backward(ctx, c->dy, &c->prm, c->dx));
    }
    *y = util_download(ctx, c->y);
    *dx = util_download(ctx, c->dx);
    *idx = malloc(c->ny * sizeof **idx);
    REQUIRE(*idx, "host memory");
    if (c->mode == 0) clnn_tensor_download(c->idx, *idx, c->ny * sizeof **idx);
    else memset(*idx, 0, c->ny * sizeof **idx);
}

/* The default's bits (y, dx, idx) under forced configurations of each kernel. */
static void check_forced(clnn_context *ctx, pool_case *c, const char *name, const float *y, const float *dx,
                         const int *idx)
{
    static const char *const ids[] = {"pool.forward", "pool.backward_scatter", "pool.backward"};
    static const struct { int vw; size_t local; } cfgs[] = {{1, 1}, {8, 1}, {1, 3}, {8, 3}, {8, 64}, {1, 64}};
    const size_t ncfg = test_small() ? 3 : sizeof cfgs / sizeof cfgs[0];
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < ncfg; i++) {
            const int vw = cfgs[i].vw;
            clnn_tune_config cfg = {{cfgs[i].local, 1, 1}, {vw}};
            cfg.local[0] = test_local_fit(ctx, ids[k], &cfg, cfgs[i].local);
            CHECK_OK(ctx, clnn_tune_force(ctx, ids[k], &cfg));
            float *gy, *gdx;
            int *gidx;
            pool_pass(ctx, c, &gy, &gdx, &gidx);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            CHECK(util_same_bits(gy, y, c->ny) && util_same_bits(gdx, dx, c->nx) &&
                      memcmp(gidx, idx, c->ny * sizeof *idx) == 0,
                  "%s: %s VW=%d local %zu gives other bits than the default", name, ids[k], vw, cfg.local[0]);
            free(gy), free(gdx), free(gidx);
        }
}

/* The device's y, dx and indices against the double reference (and dx
 * against finite differences when fd is set). */
static void check_reference(pool_case *c, ref_pool_shape *s, const char *name, const float *x, const float *dy,
                            const float *gy, const float *gdx, const int *gidx, int fd)
{
    double *xd = util_to_double(x, c->nx), *dyd = util_to_double(dy, c->ny);
    double *ry = malloc(c->ny * sizeof *ry), *rdx = malloc(c->nx * sizeof *rdx);
    int *ridx = malloc(c->ny * sizeof *ridx);
    REQUIRE(ry && rdx && ridx, "host memory");
    ref_pool_forward(s, xd, ry, ridx);
    ref_pool_backward(s, xd, dyd, rdx);
    double tol = c->mode == 0 ? 0 : 1e-5;
    double e = test_max_rel_error(gy, ry, c->ny, tol + 1e-30, tol);
    CHECK(e <= 1, "%s: forward error %.3g", name, e);
    e = test_max_rel_error(gdx, rdx, c->nx, 1e-5, 1e-5);
    CHECK(e <= 1, "%s: backward error %.3g", name, e);
    if (c->mode == 0) CHECK(memcmp(gidx, ridx, c->ny * sizeof *gidx) == 0, "%s: indices differ", name);
    if (fd) {
        double *yb = malloc(c->ny * sizeof *yb);
        fd_ctx f = {s, xd, dyd, yb, c->ny};
        e = util_fd_check(xd, c->nx, 500, 1e-4, pool_loss, &f, gdx, 1e-5, 1e-5);
        CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
        free(yb);
    }
    free(xd), free(dyd), free(ry), free(rdx), free(ridx);
}

/* One pooling (mode 0 max, 1 average with padding counted, 2 without) with
 * the options opt, checked as the top of this file says. */
static void run_opts(clnn_context *ctx, int N, int C, int H, int W, const clnn_pool2d_options *opt, int mode, int fd)
{
    ref_pool_shape s = {N * C, H, W, opt->kernel[0], opt->kernel[1], opt->stride[0], opt->stride[1], opt->pad[0],
                        opt->pad[1], mode, 0, 0, opt->ceil_mode, opt->dilation[0], opt->dilation[1],
                        mode ? opt->divisor_override : 0};
    REQUIRE(ref_pool_shape_init(&s), "a case without outputs");
    pool_case c = {NULL, NULL, NULL, NULL, NULL, *opt, mode, (size_t)N * C * H * W, (size_t)N * C * s.P * s.Q};
    c.prm.count_include_pad = mode == 1;
    float *x = util_random(c.nx, (unsigned)c.nx + (unsigned)mode, -1, 1);
    float *dy = util_random(c.ny, (unsigned)c.ny + 7, -1, 1);
    c.x = util_tensor(ctx, N, C, H, W, 4), c.y = util_tensor(ctx, N, C, s.P, s.Q, 4);
    c.dy = util_tensor(ctx, N, C, s.P, s.Q, 4), c.dx = util_tensor(ctx, N, C, H, W, 4);
    size_t ishape[4] = {N, C, s.P, s.Q};
    REQUIRE(clnn_tensor_create(ctx, CLNN_INT32, 4, ishape, &c.idx) == CLNN_OK, "indices");
    clnn_tensor_upload(c.x, x, c.nx * 4);
    clnn_tensor_upload(c.dy, dy, c.ny * 4);
    char name[160];
    snprintf(name, sizeof name, "%s N%d C%d %dx%d k%dx%d s%d,%d p%d,%d%s d%d,%d div%d",
             mode == 0 ? "max" : mode == 1 ? "avg(incl pad)" : "avg(excl pad)", N, C, H, W, s.kh, s.kw, s.sh, s.sw,
             s.ph, s.pw, s.ceil_mode ? " ceil" : "", s.dh, s.dw, s.divisor);
    float *gy, *gdx, *gy2, *gdx2;
    int *gidx, *gidx2;
    pool_pass(ctx, &c, &gy, &gdx, &gidx);
    check_reference(&c, &s, name, x, dy, gy, gdx, gidx, fd);
    pool_pass(ctx, &c, &gy2, &gdx2, &gidx2); /* the second pass checks for identical bits */
    CHECK(util_same_bits(gy, gy2, c.ny) && util_same_bits(gdx, gdx2, c.nx), "%s: repeats differ", name);
    check_forced(ctx, &c, name, gy, gdx, gidx);
    printf("pool %s: checked\n", name);
    free(x), free(dy), free(gy), free(gdx), free(gidx), free(gy2), free(gdx2), free(gidx2);
    clnn_tensor_release(c.x), clnn_tensor_release(c.y), clnn_tensor_release(c.dy), clnn_tensor_release(c.dx);
    clnn_tensor_release(c.idx);
}

static void run_case(clnn_context *ctx, int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw,
                     int mode, int fd)
{
    const clnn_pool2d_options opt = {sizeof opt, {kh, kw}, {sh, sw}, {ph, pw}, mode == 1, 0, {1, 1}, 0};
    run_opts(ctx, N, C, H, W, &opt, mode, fd);
}

/* ceil_mode, dilation (max) and divisor_override (average). */
static void run_option_cases(clnn_context *ctx)
{
    static const struct { int N, C, H, W, k[2], s[2], p[2], ceil, d[2], div; } cases[] = {
        {1, 1, 1, 1, {2, 2}, {2, 2}, {0, 0}, 1, {1, 1}, 0},   /* a window larger than the input */
        {1, 2, 1, 1, {3, 3}, {2, 2}, {1, 1}, 1, {1, 1}, 0},   /* ... with padding: avg incl pad 1/9 */
        {2, 3, 5, 5, {2, 2}, {2, 2}, {0, 0}, 1, {1, 1}, 0},   /* the last window over the edge */
        {1, 2, 5, 5, {3, 3}, {2, 2}, {1, 1}, 1, {1, 1}, 0},
        {1, 2, 7, 8, {2, 2}, {2, 2}, {1, 1}, 1, {1, 1}, 0},   /* H: ceil would start past H + pad: dropped */
        {1, 1, 8, 8, {2, 2}, {3, 3}, {1, 1}, 1, {1, 1}, 0},   /* dropped on both axes; gaps between windows */
        {1, 3, 9, 38, {3, 3}, {2, 2}, {1, 1}, 1, {1, 1}, 0},  /* Q = 20: float8 rows, the last over the padding */
        {2, 2, 9, 21, {2, 2}, {2, 2}, {0, 0}, 1, {1, 1}, 0},  /* Q = 11: the scatter, a partial float8 */
        {1, 2, 2, 3, {5, 5}, {2, 3}, {2, 2}, 1, {1, 1}, 0},   /* windows larger than the input, padding */
        {1, 2, 9, 8, {3, 2}, {1, 1}, {1, 1}, 0, {2, 3}, 0},   /* dilation: overlapping windows (the gather) */
        {1, 2, 11, 19, {2, 2}, {3, 3}, {0, 1}, 0, {2, 2}, 0}, /* dilated, stride = extent (the scatter) */
        {1, 1, 12, 40, {3, 2}, {1, 2}, {1, 1}, 1, {2, 2}, 0}, /* dilated, ceil, float8 rows */
        {1, 2, 5, 6, {3, 3}, {1, 2}, {1, 1}, 1, {2, 2}, 0},   /* taps stepping over padding and the edge */
        {2, 2, 7, 5, {3, 3}, {2, 2}, {1, 1}, 0, {1, 1}, 5},   /* divisor_override */
        {1, 2, 9, 21, {3, 2}, {2, 2}, {1, 0}, 1, {1, 1}, -3}, /* negative, with ceil_mode, float8 rows */
        {1, 1, 8, 34, {2, 2}, {2, 2}, {1, 1}, 0, {1, 1}, 3},  /* the scatter's float8 row of tiles */
        {1, 2, 6, 19, {3, 3}, {1, 1}, {1, 1}, 1, {0, 0}, 0},  /* dilation 0 reads as 1 (older initializers) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *k = cases[i].k, *st = cases[i].s, *p = cases[i].p, *d = cases[i].d, div = cases[i].div;
        const int dilated = d[0] > 1 || d[1] > 1;
        for (int mode = 0; mode < 3; mode++) {
            if ((mode > 0 && dilated) || (mode == 0 && div)) continue; /* dilation: max only; divisor: average */
            const clnn_pool2d_options opt = {sizeof opt,     {k[0], k[1]}, {st[0], st[1]}, {p[0], p[1]}, mode == 1,
                                             cases[i].ceil, {d[0], d[1]}, mode ? div : 0};
            run_opts(ctx, cases[i].N, cases[i].C, cases[i].H, cases[i].W, &opt, mode, 1);
        }
    }
}

static void run_global(clnn_context *ctx, int N, int C, int H, int W, int ndim_y)
{
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C;
    float *x = util_random(nx, (unsigned)nx, -1, 1), *dy = util_random(ny, (unsigned)ny, -1, 1);
    clnn_tensor *tx = util_tensor(ctx, N, C, H, W, 4), *ty = util_tensor(ctx, N, C, 1, 1, ndim_y);
    clnn_tensor *tdy = util_tensor(ctx, N, C, 1, 1, ndim_y), *tdx = util_tensor(ctx, N, C, H, W, 4);
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    CHECK_OK(ctx, clnn_global_avgpool2d_forward(ctx, tx, ty));
    CHECK_OK(ctx, clnn_global_avgpool2d_backward(ctx, tdy, tdx));
    float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx);
    /* reference: the window pooling reference with the window = the plane */
    ref_pool_shape s = {N * C, H, W, H, W, 1, 1, 0, 0, 1, 0, 0};
    ref_pool_shape_init(&s);
    double *xd = util_to_double(x, nx), *dyd = util_to_double(dy, ny);
    double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx);
    ref_pool_forward(&s, xd, ry, NULL);
    ref_pool_backward(&s, xd, dyd, rdx);
    double e = test_max_rel_error(gy, ry, ny, 1e-5, 1e-5);
    CHECK(e <= 1, "global N%d C%d %dx%d: forward error %.3g", N, C, H, W, e);
    e = test_max_rel_error(gdx, rdx, nx, 1e-6, 1e-6);
    CHECK(e <= 1, "global N%d C%d %dx%d: backward error %.3g", N, C, H, W, e);
    CHECK_OK(ctx, clnn_global_avgpool2d_forward(ctx, tx, ty));
    float *gy2 = util_download(ctx, ty);
    CHECK(util_same_bits(gy, gy2, ny), "global: repeats differ");
    /* backward is linear and elementwise: dx = dy / HW, exact against the reference */
    printf("global avgpool N%d C%d %dx%d: checked\n", N, C, H, W);
    free(x); free(dy); free(gy); free(gy2); free(gdx); free(xd); free(dyd); free(ry); free(rdx);
    clnn_tensor_release(tx); clnn_tensor_release(ty); clnn_tensor_release(tdy); clnn_tensor_release(tdx);
}

/* Global max pooling against the window reference with the window = the
 * plane (max mode): values, first-maximum indices, the routed gradient. */
static void run_global_max(clnn_context *ctx, int N, int C, int H, int W, int ndim_y)
{
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C;
    float *x = util_random(nx, (unsigned)nx + 9, -1, 1), *dy = util_random(ny, (unsigned)ny + 9, -1, 1);
    if (nx >= 4) x[1] = x[3] = 5.0f; /* a tie: the first one wins */
    clnn_tensor *tx = util_tensor(ctx, N, C, H, W, 4), *ty = util_tensor(ctx, N, C, 1, 1, ndim_y);
    clnn_tensor *tdy = util_tensor(ctx, N, C, 1, 1, ndim_y), *tdx = util_tensor(ctx, N, C, H, W, 4), *ti = NULL;
    const size_t ishape[4] = {(size_t)N, (size_t)C, 1, 1};
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, ndim_y, ishape, &ti));
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    CHECK_OK(ctx, clnn_global_maxpool2d_forward(ctx, tx, ty, ti));
    CHECK_OK(ctx, clnn_global_maxpool2d_backward(ctx, tdy, ti, tdx));
    float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx);
    int *gi = malloc(ny * sizeof *gi), *ri = malloc(ny * sizeof *ri);
    REQUIRE(gi && ri, "host memory");
    CHECK_OK(ctx, clnn_tensor_download(ti, gi, ny * sizeof *gi));
    ref_pool_shape s = {N * C, H, W, H, W, H, W, 0, 0, 0, 0, 0};
    ref_pool_shape_init(&s);
    double *xd = util_to_double(x, nx), *dyd = util_to_double(dy, ny);
    double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx);
    ref_pool_forward(&s, xd, ry, ri);
    ref_pool_backward(&s, xd, dyd, rdx);
    CHECK(test_max_rel_error(gy, ry, ny, 1e-30, 1e-7) <= 1 && memcmp(gi, ri, ny * sizeof *gi) == 0,
          "global max N%d C%d %dx%d: values or indices differ from the reference", N, C, H, W);
    CHECK(test_max_rel_error(gdx, rdx, nx, 1e-30, 1e-7) <= 1, "global max N%d C%d %dx%d: backward differs", N, C, H, W);
    /* refusals leave y alone: fp32 indices, indices of another shape than y */
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, "clnn_global_maxpool2d_forward", clnn_global_maxpool2d_forward(ctx, tx, ty, tdy));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, "clnn_global_maxpool2d_backward", clnn_global_maxpool2d_backward(ctx, tdy, tx, tdx));
    float *gy2 = util_download(ctx, ty);
    CHECK(util_same_bits(gy, gy2, ny), "a refused global max pooling wrote y");
    free(gy2);
    printf("global maxpool N%d C%d %dx%d: checked\n", N, C, H, W);
    free(x), free(dy), free(gy), free(gdx), free(gi), free(ri), free(xd), free(dyd), free(ry), free(rdx);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(tdy), clnn_tensor_release(tdx);
    clnn_tensor_release(ti);
}

int main(void)
{
    clnn_context *ctx = test_context();
    run_option_cases(ctx);
    run_global_max(ctx, 1, 1, 1, 1, 2);
    run_global_max(ctx, 3, 7, 5, 3, 4);
    run_global_max(ctx, 2, 3, 40, 33, 2); /* planes above the scatter tile: the gather backward */
    for (int mode = 0; mode < 3; mode++) {
        run_case(ctx, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, mode, 1);
        run_case(ctx, 2, 3, 7, 5, 3, 2, 2, 1, 1, 1, mode, 1);
        run_case(ctx, 1, 5, 13, 11, 3, 3, 3, 3, 1, 1, mode, 1);
        run_case(ctx, 3, 2, 9, 8, 5, 4, 2, 3, 2, 2, mode, 1);
        run_case(ctx, 2, 3, 9, 21, 2, 2, 2, 2, 0, 0, mode, 1);  /* Q = 10: a full and a partial float8; remainders */
        run_case(ctx, 1, 2, 11, 37, 2, 1, 3, 2, 1, 0, mode, 1); /* stride above the window: cells in no window */
        run_case(ctx, 1, 1, 8, 34, 2, 2, 2, 2, 1, 1, mode, 1);  /* padding: the first tiles clipped */
        run_case(ctx, 1, 2, 6, 19, 3, 3, 1, 1, 1, 1, mode, 1);  /* overlapping windows, Q = 19: the gather */
        run_case(ctx, 1, 2, 12, 40, 3, 3, 3, 3, 1, 1, mode, 1); /* stride 3, 3x3 windows, Q = 13 */
        if (test_large("pool 4 x 16 x 128 x 128")) run_case(ctx, 4, 16, 128, 128, 2, 2, 2, 2, 0, 0, mode, 0); /* 2^20 inputs */
    }
    run_global(ctx, 1, 1, 1, 1, 2);
    run_global(ctx, 3, 7, 5, 3, 4);
    if (test_large("global pool 2 x 8 x 256 x 256")) run_global(ctx, 2, 8, 256, 256, 2); /* 2^20 inputs, planes of 65536 */
    clnn_context_release(ctx);
    return check_summary();
}
