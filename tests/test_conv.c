/* Conv2d forward, backward-data, backward-weights and bias gradient against
 * the double-precision reference (tests/ref/ref_conv.c) on awkward shapes,
 * every backward against central differences of the reference forward, and
 * bit-identical repeats.
 *
 * Tolerances: every result is a float sum of `terms` products of numbers in
 * [-1, 1] (mean magnitude 1/4) accumulated in an order we do not control
 * (CLBlast's). The classic bound for recursive summation is terms * eps *
 * sum|t|/terms, so |err| <= 1e-4 + 2e-8 * terms + 1e-4 |ref| (eps = 6e-8;
 * 2e-8 ~ eps/4 per term), while a wrong index gives O(1) errors.
 * The images go through in chunks that fit a workspace (one GEMM a chunk);
 * CLNN_CONV_WORKSPACE_KB makes chunks of several images and of one.
 * Finite differences: the loss sum(y * r) is linear in each of x, w, b, so
 * central differences in double with h = 1e-3 are exact up to rounding
 * (~1e-12); the same 1e-4 + 1e-4 |fd| tolerance then measures the device's
 * float error only. */
#include "layer_util.h"
#include "ref/ref.h"

typedef struct fd_ctx {
    ref_conv_shape *s;
    double *x, *w, *b, *r, *y;
    size_t ny;
} fd_ctx;

static double conv_loss(void *user)
{
    fd_ctx *f = user;
    ref_conv2d_forward(f->s, f->x, f->w, f->b, f->y);
    return util_dot(f->y, f->r, f->ny);
}

static void run_case(clnn_context *ctx, ref_conv_shape s, int with_bias, int fd)
{
    REQUIRE(ref_conv_shape_init(&s), "case does not fit");
    const int Cg = s.C / s.G;
    size_t nx = (size_t)s.N * s.C * s.H * s.W, nw = (size_t)s.K * Cg * s.R * s.S, ny = (size_t)s.N * s.K * s.P * s.Q;
    unsigned seed = (unsigned)(nx * 31 + nw);
    float *x = util_random(nx, seed, -1, 1), *w = util_random(nw, seed + 1, -1, 1), *b = util_random(s.K, seed + 2, -1, 1);
    float *dy = util_random(ny, seed + 3, -1, 1);
    clnn_tensor *tx = util_tensor(ctx, s.N, s.C, s.H, s.W, 4), *tw = util_tensor(ctx, s.K, Cg, s.R, s.S, 4);
    clnn_tensor *tb = util_tensor(ctx, s.K, 1, 1, 1, 1), *ty = util_tensor(ctx, s.N, s.K, s.P, s.Q, 4);
    clnn_tensor *tdy = util_tensor(ctx, s.N, s.K, s.P, s.Q, 4), *tdx = util_tensor(ctx, s.N, s.C, s.H, s.W, 4);
    clnn_tensor *tdw = util_tensor(ctx, s.K, Cg, s.R, s.S, 4), *tdb = util_tensor(ctx, s.K, 1, 1, 1, 1);
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tw, w, nw * 4);
    clnn_tensor_upload(tb, b, (size_t)s.K * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    clnn_conv2d_options prm = {sizeof(clnn_conv2d_options), {s.sh, s.sw}, {s.ph, s.pw}, {s.dh, s.dw}, s.G};
    char name[160];
    snprintf(name, sizeof name, "N%d C%d %dx%d K%d %dx%d s%d,%d p%d,%d d%d,%d g%d%s", s.N, s.C, s.H, s.W, s.K, s.R,
             s.S, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, s.G, with_bias ? " +bias" : "");

    CHECK_OK(ctx, clnn_conv2d_forward(ctx, tx, tw, with_bias ? tb : NULL, &prm, ty));
    CHECK_OK(ctx, clnn_conv2d_backward_data(ctx, tdy, tw, &prm, tdx));
    CHECK_OK(ctx, clnn_conv2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    CHECK_OK(ctx, clnn_conv2d_backward_bias(ctx, tdy, tdb));
    float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx), *gdw = util_download(ctx, tdw),
          *gdb = util_download(ctx, tdb);

    double *dx_ = util_to_double(x, nx), *dw_ = util_to_double(w, nw), *db_ = util_to_double(b, (size_t)s.K),
           *ddy = util_to_double(dy, ny);
    double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx), *rdw = malloc(nw * sizeof *rdw),
           *rdb = malloc((size_t)s.K * sizeof *rdb);
    ref_conv2d_forward(&s, dx_, dw_, with_bias ? db_ : NULL, ry);
    ref_conv2d_backward_data(&s, ddy, dw_, rdx);
    ref_conv2d_backward_weights(&s, dx_, ddy, rdw);
    ref_conv2d_backward_bias(&s, ddy, rdb);
    double e, per_term = 2e-8;
    e = test_max_rel_error(gy, ry, ny, 1e-4 + per_term * Cg * s.R * s.S, 1e-4);
    CHECK(e <= 1, "%s: forward error %.3g", name, e);
    e = test_max_rel_error(gdx, rdx, nx, 1e-4 + per_term * (s.K / s.G) * s.R * s.S, 1e-4);
    CHECK(e <= 1, "%s: backward-data error %.3g", name, e);
    e = test_max_rel_error(gdw, rdw, nw, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: backward-weights error %.3g", name, e);
    e = test_max_rel_error(gdb, rdb, (size_t)s.K, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: bias gradient error %.3g", name, e);

    if (fd) { /* the device gradients against central differences of the reference forward */
        double *yb = malloc(ny * sizeof *yb);
        fd_ctx f = {&s, dx_, dw_, db_, ddy, yb, ny};
        e = util_fd_check(dx_, nx, 400, 1e-3, conv_loss, &f, gdx, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
        e = util_fd_check(dw_, nw, 400, 1e-3, conv_loss, &f, gdw, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dw vs finite differences %.3g", name, e);
        e = util_fd_check(db_, (size_t)s.K, 400, 1e-3, conv_loss, &f, gdb, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: db vs finite differences %.3g", name, e);
        free(yb);
    }

    /* same inputs, same bits */
    CHECK_OK(ctx, clnn_conv2d_forward(ctx, tx, tw, with_bias ? tb : NULL, &prm, ty));
    CHECK_OK(ctx, clnn_conv2d_backward_data(ctx, tdy, tw, &prm, tdx));
    CHECK_OK(ctx, clnn_conv2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    CHECK_OK(ctx, clnn_conv2d_backward_bias(ctx, tdy, tdb));
    float *gy2 = util_download(ctx, ty), *gdx2 = util_download(ctx, tdx), *gdw2 = util_download(ctx, tdw),
          *gdb2 = util_download(ctx, tdb);
    CHECK(util_same_bits(gy, gy2, ny) && util_same_bits(gdx, gdx2, nx) && util_same_bits(gdw, gdw2, nw) &&
              util_same_bits(gdb, gdb2, (size_t)s.K),
          "%s: repeated runs differ", name);
    printf("conv2d %s: checked\n", name);

    free(gy2); free(gdx2); free(gdw2); free(gdb2);
    free(ry); free(rdx); free(rdw); free(rdb);
    free(dx_); free(dw_); free(db_); free(ddy);
    free(gy); free(gdx); free(gdw); free(gdb);
    free(x); free(w); free(b); free(dy);
    clnn_tensor *all[] = {tx, tw, tb, ty, tdy, tdx, tdw, tdb};
    for (int i = 0; i < 8; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    /*            N  C   H   W  K  R  S sh sw ph pw dh dw G */
    run_case(ctx, (ref_conv_shape){1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0}, 1, 1);       /* all ones */
    run_case(ctx, (ref_conv_shape){2, 3, 7, 5, 5, 3, 2, 2, 1, 1, 1, 2, 1, 1, 0, 0}, 1, 1);       /* stride 2, dilation 2 */
    run_case(ctx, (ref_conv_shape){3, 4, 6, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, 0, 0}, 0, 1);       /* groups 2 */
    run_case(ctx, (ref_conv_shape){2, 5, 11, 7, 5, 3, 3, 2, 2, 2, 2, 2, 2, 5, 0, 0}, 1, 1);      /* depthwise */
    run_case(ctx, (ref_conv_shape){1, 1, 13, 17, 3, 5, 3, 2, 3, 2, 1, 2, 3, 1, 0, 0}, 1, 1);     /* 1 channel, mixed axes */
    run_case(ctx, (ref_conv_shape){1, 6, 5, 5, 4, 5, 5, 1, 1, 0, 0, 1, 1, 2, 0, 0}, 1, 1);       /* window = image */
    run_case(ctx, (ref_conv_shape){4, 6, 5, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0}, 1, 1);       /* 1x1, 4 images */
    /* A workspace of 64 KiB: (C·R·S + K)·P·Q floats an image, so 3 images a
     * chunk (7 images: 3, 3, 1), then 1 (the per-image path, bias added apart). */
    setenv("CLNN_CONV_WORKSPACE_KB", "64", 1);
    run_case(ctx, (ref_conv_shape){7, 4, 8, 16, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, 0, 0}, 1, 1);     /* chunks of 3 */
    run_case(ctx, (ref_conv_shape){2, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 1, 1);    /* chunks of 1 */
    unsetenv("CLNN_CONV_WORKSPACE_KB");
    if (test_large("conv 2 x 8 x 256 x 256, 3 x 3"))
        run_case(ctx, (ref_conv_shape){2, 8, 256, 256, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 1, 0);   /* 2^20 in, 2^20 out */
    clnn_context_release(ctx);
    return check_summary();
}
