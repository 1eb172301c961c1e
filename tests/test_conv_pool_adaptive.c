/* Adaptive average and max pooling (PyTorch's AdaptiveAvgPool2d /
 * AdaptiveMaxPool2d) to any output size, forward and backward, against the
 * double reference (tests/ref/ref_conv.c, windows [floor(i*H/OH),
 * ceil((i+1)*H/OH)) from PyTorch's docs), central differences and repeats.
 *
 * Tolerances as in test_conv_pool.c: max pooling selects an input, so values
 * and indices must match exactly; averages are float sums of numbers in
 * [-1, 1] divided by the window's size, |err| <= 1e-5 + 1e-5 |ref|; the
 * gradients likewise. Finite differences (h = 1e-4, double) are exact up to
 * rounding: the loss sum(y * r) is (piecewise) linear in x and the inputs lie
 * far apart relative to h (no case with a tie takes them).
 *
 * Shapes: overlapping windows of several sizes (the backward sums several
 * outputs into one pixel, in a fixed order), more outputs than inputs on
 * an axis, 1-pixel sides, sides whose window bounds need 64-bit products
 * (large mode), and output sizes that divide the input (run by
 * the fixed-window pooling kernels, float8 rows and the scatter backward
 * included). Every case runs under forced configurations of the kernels it
 * launches (VW 1 and 8, several local sizes) and must give the default's
 * bits; element counts that are not multiples of 8 leave partial float8
 * chunks. */
#include "layer_util.h"
#include "ref/ref.h"

typedef struct adaptive_case {
    int N, C, H, W, OH, OW, max;
    clnn_tensor *x, *y, *dy, *dx, *idx;
    size_t nx, ny;
} adaptive_case;

typedef struct fd_ctx {
    const adaptive_case *c;
    double *x, *r, *y;
} fd_ctx;

static double adaptive_loss(void *user)
{
    fd_ctx *f = user;
    const adaptive_case *c = f->c;
    ref_adaptive_pool_forward(c->N * c->C, c->H, c->W, c->OH, c->OW, c->max, f->x, f->y, NULL);
    return util_dot(f->y, f->r, c->ny);
}

/* Forward and backward once into outputs filled with NaN first (every
 * element must be written); returns y, dx and the indices (max; else 0). */
static void adaptive_pass(clnn_context *ctx, adaptive_case *c, float **y, float **dx, int **idx)
{
    CHECK_OK(ctx, clnn_tensor_fill(c->y, NAN));
    CHECK_OK(ctx, clnn_tensor_fill(c->dx, NAN));
    if (c->max) {
        CHECK_OK(ctx, clnn_adaptive_maxpool2d_forward(ctx, c->x, c->y, c->idx));
        CHECK_OK(ctx, clnn_adaptive_maxpool2d_backward(ctx, c->dy, c->idx, c->dx));
    } else {
        CHECK_OK(ctx, clnn_adaptive_avgpool2d_forward(ctx, c->x, c->y));
        CHECK_OK(ctx, clnn_adaptive_avgpool2d_backward(ctx, c->dy, c->dx));
    }
    *y = util_download(ctx, c->y);
    *dx = util_download(ctx, c->dx);
    *idx = calloc(c->ny, sizeof **idx);
    REQUIRE(*idx, "host memory");
    if (c->max) CHECK_OK(ctx, clnn_tensor_download(c->idx, *idx, c->ny * sizeof **idx));
}

/* The default's bits under forced configurations of the kernels the case
 * launches: the adaptive kernels, or the fixed-window ones when the output
 * size divides the input. */
static void check_forced(clnn_context *ctx, adaptive_case *c, const char *name, const float *y, const float *dx,
                         const int *idx)
{
    static const char *const adaptive_ids[] = {"adaptive_pool.forward", "adaptive_pool.backward"};
    static const char *const fixed_ids[] = {"pool.forward", "pool.backward_scatter"};
    static const struct { int vw; size_t local; } cfgs[] = {{1, 1}, {8, 3}, {1, 7}, {8, 1}, {8, 64}, {1, 64}};
    const int fixed = c->H % c->OH == 0 && c->W % c->OW == 0;
    const size_t ncfg = test_small() ? 3 : sizeof cfgs / sizeof cfgs[0];
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < ncfg; i++) {
            const char *id = fixed ? fixed_ids[k] : adaptive_ids[k];
            clnn_tune_config cfg = {{cfgs[i].local, 1, 1}, {cfgs[i].vw}};
            cfg.local[0] = test_local_fit(ctx, id, &cfg, cfgs[i].local);
            CHECK_OK(ctx, clnn_tune_force(ctx, id, &cfg));
            float *gy, *gdx;
            int *gidx;
            adaptive_pass(ctx, c, &gy, &gdx, &gidx);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            CHECK(util_same_bits(gy, y, c->ny) && util_same_bits(gdx, dx, c->nx) &&
                      memcmp(gidx, idx, c->ny * sizeof *idx) == 0,
                  "%s: %s VW=%d local %zu gives other bits than the default", name, id, cfgs[i].vw, cfg.local[0]);
            free(gy), free(gdx), free(gidx);
        }
}

/* The device's y, dx and indices against the double reference, and dx
 * against central differences when fd is set. */
static void check_reference(adaptive_case *c, const char *name, const float *x, const float *dy, const float *gy,
                            const float *gdx, const int *gidx, int fd)
{
    const int planes = c->N * c->C;
    double *xd = util_to_double(x, c->nx), *dyd = util_to_double(dy, c->ny);
    double *ry = malloc(c->ny * sizeof *ry), *rdx = malloc(c->nx * sizeof *rdx);
    int *ridx = malloc(c->ny * sizeof *ridx);
    REQUIRE(ry && rdx && ridx, "host memory");
    ref_adaptive_pool_forward(planes, c->H, c->W, c->OH, c->OW, c->max, xd, ry, ridx);
    ref_adaptive_pool_backward(planes, c->H, c->W, c->OH, c->OW, c->max, xd, dyd, rdx);
    const double tol = c->max ? 0 : 1e-5;
    double e = test_max_rel_error(gy, ry, c->ny, tol + 1e-30, tol);
    CHECK(e <= 1, "%s: forward error %.3g", name, e);
    e = test_max_rel_error(gdx, rdx, c->nx, 1e-5, 1e-5);
    CHECK(e <= 1, "%s: backward error %.3g", name, e);
    if (c->max) CHECK(memcmp(gidx, ridx, c->ny * sizeof *gidx) == 0, "%s: indices differ", name);
    if (fd) {
        double *yb = malloc(c->ny * sizeof *yb);
        REQUIRE(yb, "host memory");
        fd_ctx f = {c, xd, dyd, yb};
        e = util_fd_check(xd, c->nx, 500, 1e-4, adaptive_loss, &f, gdx, 1e-5, 1e-5);
        CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
        free(yb);
    }
    free(xd), free(dyd), free(ry), free(rdx), free(ridx);
}

/* One case; tie: two equal maxima in the first window (the first one wins;
 * no finite differences then). */
static void run_case(clnn_context *ctx, int N, int C, int H, int W, int OH, int OW, int max, int tie)
{
    adaptive_case c = {N, C, H, W, OH, OW, max, NULL, NULL, NULL, NULL, NULL, (size_t)N * C * H * W,
                       (size_t)N * C * OH * OW};
    float *x = util_random(c.nx, (unsigned)c.nx + 3u * (unsigned)max, -1, 1);
    float *dy = util_random(c.ny, (unsigned)c.ny + 11, -1, 1);
    if (tie) x[0] = x[W > 1 ? 1 : 0] = 2.0f;
    c.x = util_tensor(ctx, N, C, H, W, 4), c.y = util_tensor(ctx, N, C, OH, OW, 4);
    c.dy = util_tensor(ctx, N, C, OH, OW, 4), c.dx = util_tensor(ctx, N, C, H, W, 4);
    const size_t ishape[4] = {(size_t)N, (size_t)C, (size_t)OH, (size_t)OW};
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 4, ishape, &c.idx));
    CHECK_OK(ctx, clnn_tensor_upload(c.x, x, c.nx * sizeof *x));
    CHECK_OK(ctx, clnn_tensor_upload(c.dy, dy, c.ny * sizeof *dy));
    char name[128];
    snprintf(name, sizeof name, "adaptive %s N%d C%d %dx%d -> %dx%d%s", max ? "max" : "avg", N, C, H, W, OH, OW,
             tie ? " (tie)" : "");
    float *gy, *gdx, *gy2, *gdx2;
    int *gidx, *gidx2;
    adaptive_pass(ctx, &c, &gy, &gdx, &gidx);
    check_reference(&c, name, x, dy, gy, gdx, gidx, !tie && c.nx <= 4096);
    adaptive_pass(ctx, &c, &gy2, &gdx2, &gidx2); /* the second pass checks for identical bits */
    CHECK(util_same_bits(gy, gy2, c.ny) && util_same_bits(gdx, gdx2, c.nx), "%s: repeats differ", name);
    check_forced(ctx, &c, name, gy, gdx, gidx);
    printf("%s: checked\n", name);
    free(x), free(dy), free(gy), free(gdx), free(gidx), free(gy2), free(gdx2), free(gidx2);
    clnn_tensor_release(c.x), clnn_tensor_release(c.y), clnn_tensor_release(c.dy), clnn_tensor_release(c.dx);
    clnn_tensor_release(c.idx);
}

int main(void)
{
    clnn_context *ctx = test_context();
    static const struct { int N, C, H, W, OH, OW, tie; } cases[] = {
        {1, 1, 1, 1, 1, 1, 0},    /* one pixel (a window of the whole plane) */
        {2, 3, 5, 7, 3, 4, 0},    /* overlapping windows of 2 and 3 */
        {1, 2, 10, 10, 3, 3, 0},  /* windows of 4 overlapping by 1 */
        {1, 2, 4, 6, 7, 9, 0},    /* more outputs than inputs: pixels in up to 3 windows a side */
        {2, 1, 1, 9, 1, 4, 1},    /* one row; a tie */
        {1, 3, 9, 1, 4, 3, 0},    /* one column pooled to three */
        {1, 2, 13, 37, 5, 11, 0}, /* rows of more than 8 outputs */
        {2, 2, 8, 12, 4, 3, 0},   /* divides the input: the fixed-window kernels (the scatter) */
        {1, 2, 16, 48, 8, 24, 1}, /* 2x2 windows, float8 rows; a tie */
        {1, 1, 7, 5, 1, 1, 0},    /* the whole plane: global pooling */
    };
    for (int max = 0; max < 2; max++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_case(ctx, cases[i].N, cases[i].C, cases[i].H, cases[i].W, cases[i].OH, cases[i].OW, max,
                     max && cases[i].tie);
        if (test_large("adaptive pool 4 x 16 x 55 x 57 -> 7 x 7")) run_case(ctx, 4, 16, 55, 57, 7, 7, max, 0);
        if (test_large("adaptive pool 4 x 16 x 56 x 56 -> 7 x 7")) run_case(ctx, 4, 16, 56, 56, 7, 7, max, 0);
        /* (H + 1)(OH + 1) above 2^32: the window bounds in 64 bits (WIDE) */
        if (test_large("adaptive pool 1 x 1 x 70000 x 1 -> 65537 x 1")) run_case(ctx, 1, 1, 70000, 1, 65537, 1, max, 0);
    }
    clnn_context_release(ctx);
    return check_summary();
}
