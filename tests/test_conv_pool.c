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
 * tie and the differences are exact up to rounding (~1e-12). */
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

static void run_case(clnn_context *ctx, int N, int C, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw,
                     int mode, int fd)
{
    ref_pool_shape s = {N * C, H, W, kh, kw, sh, sw, ph, pw, mode, 0, 0};
    ref_pool_shape_init(&s);
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * s.P * s.Q;
    float *x = util_random(nx, (unsigned)nx + (unsigned)mode, -1, 1), *dy = util_random(ny, (unsigned)ny + 7, -1, 1);
    clnn_tensor *tx = util_tensor(ctx, N, C, H, W, 4), *ty = util_tensor(ctx, N, C, s.P, s.Q, 4);
    clnn_tensor *tdy = util_tensor(ctx, N, C, s.P, s.Q, 4), *tdx = util_tensor(ctx, N, C, H, W, 4), *ti = NULL;
    size_t ishape[4] = {N, C, s.P, s.Q};
    REQUIRE(clnn_tensor_create(ctx, CLNN_INT32, 4, ishape, &ti) == CLNN_OK, "indices");
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    clnn_pool2d_options prm = {sizeof(clnn_pool2d_options), {kh, kw}, {sh, sw}, {ph, pw}, mode == 1};
    char name[160];
    snprintf(name, sizeof name, "%s N%d C%d %dx%d k%dx%d s%d,%d p%d,%d", mode == 0 ? "max" : mode == 1 ? "avg(incl pad)" : "avg(excl pad)", N, C, H, W, kh, kw, sh, sw, ph, pw);
    for (int rep = 0; rep < 2; rep++) { /* the second pass checks for identical bits */
        if (mode == 0) {
            CHECK_OK(ctx, clnn_maxpool2d_forward(ctx, tx, &prm, ty, ti));
            CHECK_OK(ctx, clnn_maxpool2d_backward(ctx, tdy, ti, &prm, tdx));
        } else {
            CHECK_OK(ctx, clnn_avgpool2d_forward(ctx, tx, &prm, ty));
            CHECK_OK(ctx, clnn_avgpool2d_backward(ctx, tdy, &prm, tdx));
        }
        static float *first_y, *first_dx;
        float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx);
        if (rep == 0) {
            double *xd = util_to_double(x, nx), *dyd = util_to_double(dy, ny);
            double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx);
            int *ridx = malloc(ny * sizeof *ridx), *gidx = malloc(ny * sizeof *gidx);
            ref_pool_forward(&s, xd, ry, ridx);
            ref_pool_backward(&s, xd, dyd, rdx);
            double tol = mode == 0 ? 0 : 1e-5;
            double e = test_max_rel_error(gy, ry, ny, tol + 1e-30, tol);
            CHECK(e <= 1, "%s: forward error %.3g", name, e);
            e = test_max_rel_error(gdx, rdx, nx, 1e-5, 1e-5);
            CHECK(e <= 1, "%s: backward error %.3g", name, e);
            if (mode == 0) {
                clnn_tensor_download(ti, gidx, ny * sizeof *gidx);
                CHECK(memcmp(gidx, ridx, ny * sizeof *gidx) == 0, "%s: indices differ", name);
            }
            if (fd) {
                double *yb = malloc(ny * sizeof *yb);
                fd_ctx f = {&s, xd, dyd, yb, ny};
                e = util_fd_check(xd, nx, 500, 1e-4, pool_loss, &f, gdx, 1e-5, 1e-5);
                CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
                free(yb);
            }
            free(xd); free(dyd); free(ry); free(rdx); free(ridx); free(gidx);
            first_y = gy;
            first_dx = gdx;
        } else {
            CHECK(util_same_bits(gy, first_y, ny) && util_same_bits(gdx, first_dx, nx), "%s: repeats differ", name);
            free(gy); free(gdx); free(first_y); free(first_dx);
        }
    }
    printf("pool %s: checked\n", name);
    free(x); free(dy);
    clnn_tensor_release(tx); clnn_tensor_release(ty); clnn_tensor_release(tdy); clnn_tensor_release(tdx);
    clnn_tensor_release(ti);
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

int main(void)
{
    clnn_context *ctx = test_context();
    for (int mode = 0; mode < 3; mode++) {
        run_case(ctx, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, mode, 1);
        run_case(ctx, 2, 3, 7, 5, 3, 2, 2, 1, 1, 1, mode, 1);
        run_case(ctx, 1, 5, 13, 11, 3, 3, 3, 3, 1, 1, mode, 1);
        run_case(ctx, 3, 2, 9, 8, 5, 4, 2, 3, 2, 2, mode, 1);
        if (test_large("pool 4 x 16 x 128 x 128")) run_case(ctx, 4, 16, 128, 128, 2, 2, 2, 2, 0, 0, mode, 0); /* 2^20 inputs */
    }
    run_global(ctx, 1, 1, 1, 1, 2);
    run_global(ctx, 3, 7, 5, 3, 4);
    if (test_large("global pool 2 x 8 x 256 x 256")) run_global(ctx, 2, 8, 256, 256, 2); /* 2^20 inputs, planes of 65536 */
    clnn_context_release(ctx);
    return check_summary();
}
