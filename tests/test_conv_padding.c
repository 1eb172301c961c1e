/* Conv2d with PyTorch's padding options: asymmetric paddings (pad_extra),
 * padding='same' (pad_same), the reflect / replicate / circular modes, and
 * the accumulating weight and bias gradients, against the double reference
 * of conv_pad_ref.h (F.pad then conv2d, backward in the scatter form), the
 * gradients against central differences of that reference, bit-identical
 * repeats.
 * Tolerances as test_conv.c: 1e-4 + 2e-8 * terms absolute plus 1e-4
 * relative, where terms counts the products of one output; a pixel of
 * the border collects up to (1 + its padding) times as many with replicate,
 * so the backward-data count carries that factor. */
#include "layer_util.h"
#include "conv_pad_ref.h"

static const char *const MODE_NAME[4] = {"zeros", "reflect", "replicate", "circular"};

typedef struct fd_ctx {
    const pconv *s;
    double *x, *w, *b, *r, *y;
    size_t ny;
} fd_ctx;

static double conv_loss(void *user)
{
    fd_ctx *f = user;
    pconv_forward(f->s, f->x, f->w, f->b, f->y);
    return util_dot(f->y, f->r, f->ny);
}

/* same: the device gets pad_same = 1 and the reference PyTorch's split of
 * dilation*(k-1), floor half before, the rest after. */
static void run_case(clnn_context *ctx, pconv s, int same, int fd)
{
    if (same) {
        int th = s.dh * (s.R - 1), tw = s.dw * (s.S - 1);
        s.pt = th / 2, s.pb = th - th / 2, s.pl = tw / 2, s.pr = tw - tw / 2;
    }
    REQUIRE(pconv_init(&s), "case does not fit");
    if (same) REQUIRE(s.P == s.H && s.Q == s.W, "'same' keeps the size");
    const int Cg = s.C / s.G;
    size_t nx = (size_t)s.N * s.C * s.H * s.W, nw = (size_t)s.K * Cg * s.R * s.S, ny = (size_t)s.N * s.K * s.P * s.Q;
    unsigned seed = (unsigned)(nx * 17 + nw * 3 + (size_t)s.mode);
    float *x = util_random(nx, seed, -1, 1), *w = util_random(nw, seed + 1, -1, 1), *b = util_random(s.K, seed + 2, -1, 1);
    float *dy = util_random(ny, seed + 3, -1, 1), *dw0 = util_random(nw, seed + 4, -1, 1),
          *db0 = util_random(s.K, seed + 5, -1, 1);
    clnn_tensor *tx = util_tensor(ctx, s.N, s.C, s.H, s.W, 4), *tw = util_tensor(ctx, s.K, Cg, s.R, s.S, 4);
    clnn_tensor *tb = util_tensor(ctx, s.K, 1, 1, 1, 1), *ty = util_tensor(ctx, s.N, s.K, s.P, s.Q, 4);
    clnn_tensor *tdy = util_tensor(ctx, s.N, s.K, s.P, s.Q, 4), *tdx = util_tensor(ctx, s.N, s.C, s.H, s.W, 4);
    clnn_tensor *tdw = util_tensor(ctx, s.K, Cg, s.R, s.S, 4), *tdb = util_tensor(ctx, s.K, 1, 1, 1, 1);
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tw, w, nw * 4);
    clnn_tensor_upload(tb, b, (size_t)s.K * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    clnn_conv2d_options prm;
    clnn_conv2d_options_init(&prm);
    prm.stride[0] = s.sh, prm.stride[1] = s.sw, prm.dilation[0] = s.dh, prm.dilation[1] = s.dw, prm.groups = s.G;
    prm.padding_mode = s.mode;
    if (same) {
        prm.pad_same = 1;
    } else {
        prm.pad[0] = s.pt, prm.pad[1] = s.pl, prm.pad_extra[0] = s.pb - s.pt, prm.pad_extra[1] = s.pr - s.pl;
    }
    char name[200];
    snprintf(name, sizeof name, "N%d C%d %dx%d K%d %dx%d s%d,%d pad t%d b%d l%d r%d d%d,%d g%d %s%s", s.N, s.C, s.H,
             s.W, s.K, s.R, s.S, s.sh, s.sw, s.pt, s.pb, s.pl, s.pr, s.dh, s.dw, s.G, MODE_NAME[s.mode],
             same ? " same" : "");

    CHECK_OK(ctx, clnn_conv2d_forward(ctx, tx, tw, tb, &prm, ty));
    CHECK_OK(ctx, clnn_conv2d_backward_data(ctx, tdy, tw, &prm, tdx));
    CHECK_OK(ctx, clnn_conv2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    CHECK_OK(ctx, clnn_conv2d_backward_bias(ctx, tdy, tdb));
    float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx), *gdw = util_download(ctx, tdw),
          *gdb = util_download(ctx, tdb);

    double *x_ = util_to_double(x, nx), *w_ = util_to_double(w, nw), *b_ = util_to_double(b, (size_t)s.K),
           *dy_ = util_to_double(dy, ny);
    double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx), *rdw = malloc(nw * sizeof *rdw),
           *rdb = malloc((size_t)s.K * sizeof *rdb);
    pconv_forward(&s, x_, w_, b_, ry);
    pconv_backward_data(&s, dy_, w_, rdx);
    pconv_backward_weights(&s, x_, dy_, rdw);
    pconv_backward_bias(&s, dy_, rdb);
    double e, per_term = 2e-8, border = (double)(1 + s.pt + s.pb) * (1 + s.pl + s.pr);
    e = test_max_rel_error(gy, ry, ny, 1e-4 + per_term * Cg * s.R * s.S, 1e-4);
    CHECK(e <= 1, "%s: forward error %.3g", name, e);
    e = test_max_rel_error(gdx, rdx, nx, 1e-4 + per_term * (s.K / s.G) * s.R * s.S * border, 1e-4);
    CHECK(e <= 1, "%s: backward-data error %.3g", name, e);
    e = test_max_rel_error(gdw, rdw, nw, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: backward-weights error %.3g", name, e);
    e = test_max_rel_error(gdb, rdb, (size_t)s.K, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: bias gradient error %.3g", name, e);

    if (fd) {
        double *yb = malloc(ny * sizeof *yb);
        fd_ctx f = {&s, x_, w_, b_, dy_, yb, ny};
        e = util_fd_check(x_, nx, 400, 1e-3, conv_loss, &f, gdx, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
        e = util_fd_check(w_, nw, 400, 1e-3, conv_loss, &f, gdw, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dw vs finite differences %.3g", name, e);
        e = util_fd_check(b_, (size_t)s.K, 400, 1e-3, conv_loss, &f, gdb, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: db vs finite differences %.3g", name, e);
        free(yb);
    }

    /* same inputs, same bits */
    CHECK_OK(ctx, clnn_conv2d_forward(ctx, tx, tw, tb, &prm, ty));
    CHECK_OK(ctx, clnn_conv2d_backward_data(ctx, tdy, tw, &prm, tdx));
    float *gy2 = util_download(ctx, ty), *gdx2 = util_download(ctx, tdx);
    CHECK(util_same_bits(gy, gy2, ny) && util_same_bits(gdx, gdx2, nx), "%s: repeated runs differ", name);

    /* accumulation: dw0 + dw and db0 + db */
    clnn_tensor_upload(tdw, dw0, nw * 4);
    clnn_tensor_upload(tdb, db0, (size_t)s.K * 4);
    prm.accumulate = 1;
    CHECK_OK(ctx, clnn_conv2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    CHECK_OK(ctx, clnn_conv2d_backward_bias_accumulate(ctx, tdy, 1, tdb));
    float *adw = util_download(ctx, tdw), *adb = util_download(ctx, tdb);
    for (size_t i = 0; i < nw; i++) rdw[i] += dw0[i];
    for (int k = 0; k < s.K; k++) rdb[k] += db0[k];
    e = test_max_rel_error(adw, rdw, nw, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: accumulated backward-weights error %.3g", name, e);
    e = test_max_rel_error(adb, rdb, (size_t)s.K, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: accumulated bias gradient error %.3g", name, e);
    CHECK_OK(ctx, clnn_conv2d_backward_bias_accumulate(ctx, tdy, 0, tdb)); /* 0 overwrites, as backward_bias */
    float *odb = util_download(ctx, tdb);
    CHECK(util_same_bits(odb, gdb, (size_t)s.K), "%s: accumulate 0 differs from clnn_conv2d_backward_bias", name);
    printf("conv2d %s: checked\n", name);

    free(gy2); free(gdx2); free(adw); free(adb); free(odb);
    free(ry); free(rdx); free(rdw); free(rdb);
    free(x_); free(w_); free(b_); free(dy_);
    free(gy); free(gdx); free(gdw); free(gdb);
    free(x); free(w); free(b); free(dy); free(dw0); free(db0);
    clnn_tensor *all[] = {tx, tw, tb, ty, tdy, tdx, tdw, tdb};
    for (int i = 0; i < 8; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    /*                N  C  H  W  K  R  S  G  sh sw dh dw pt pb pl pr mode */
    run_case(ctx, (pconv){2, 3, 7, 6, 4, 3, 2, 1, 2, 1, 1, 2, 0, 2, 1, 0, 0}, 0, 1); /* zeros, asymmetric */
    run_case(ctx, (pconv){1, 2, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1}, 0, 1); /* reflect */
    run_case(ctx, (pconv){2, 4, 6, 7, 6, 3, 2, 2, 2, 3, 2, 1, 1, 5, 6, 0, 1}, 0, 1); /* reflect, pad n-1, groups */
    run_case(ctx, (pconv){2, 3, 4, 3, 2, 2, 3, 1, 1, 2, 1, 1, 3, 1, 4, 5, 2}, 0, 1); /* replicate, pads > size */
    run_case(ctx, (pconv){1, 2, 1, 1, 2, 3, 3, 1, 1, 1, 1, 1, 2, 0, 1, 1, 2}, 0, 1); /* replicate of one pixel */
    run_case(ctx, (pconv){2, 2, 3, 5, 3, 3, 2, 1, 1, 2, 2, 1, 3, 1, 0, 5, 3}, 0, 1); /* circular, pad = size */
    run_case(ctx, (pconv){1, 3, 4, 4, 3, 2, 2, 3, 1, 1, 1, 1, 0, 0, 3, 0, 3}, 0, 1); /* circular, depthwise */
    run_case(ctx, (pconv){2, 3, 6, 5, 4, 4, 2, 1, 1, 1, 1, 3, 0, 0, 0, 0, 0}, 1, 1); /* same, even kernels */
    run_case(ctx, (pconv){1, 4, 7, 5, 4, 3, 4, 2, 1, 1, 2, 1, 0, 0, 0, 0, 1}, 1, 1); /* same reflect */
    run_case(ctx, (pconv){2, 2, 5, 3, 2, 5, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 2}, 1, 1); /* same replicate */
    run_case(ctx, (pconv){1, 3, 4, 6, 6, 3, 3, 3, 1, 1, 1, 2, 0, 0, 0, 0, 3}, 1, 1); /* same circular */
    /* A workspace of 64 KiB: chunks of several images, then of one, so the
     * accumulation runs over the chunks too. */
    setenv("CLNN_CONV_WORKSPACE_KB", "64", 1);
    run_case(ctx, (pconv){7, 4, 8, 16, 4, 3, 3, 2, 1, 1, 1, 1, 1, 2, 1, 0, 1}, 0, 1);
    if (!test_small()) /* the simulator: one chunked case */
        run_case(ctx, (pconv){2, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2}, 1, 1);
    unsetenv("CLNN_CONV_WORKSPACE_KB");
    if (test_large("conv 2 x 8 x 256 x 256, 3 x 3 reflect 'same'"))
        run_case(ctx, (pconv){2, 8, 256, 256, 8, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1}, 1, 0);
    clnn_context_release(ctx);
    return check_summary();
}
