/* conv1d ([N, C, L], w [K, C/groups, R]) with PyTorch's options (stride,
 * padding incl. pad_extra, 'same' and the padding modes, dilation, groups,
 * accumulate) against the double reference of conv_pad_ref.h at height 1
 * (F.pad then the convolution, backward in the scatter form), central
 * differences, bit-identical repeats. Tolerances as test_conv_padding.c. */
#include "layer_util.h"
#include "conv_pad_ref.h"

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

/* N, C, L, K, R, G, stride, dilation, left and right padding, mode; same:
 * pad_same (PyTorch's split of dilation*(R-1) replaces the paddings). */
static void run_case(clnn_context *ctx, int N, int C, int L, int K, int R, int G, int stride, int dil, int pl, int pr,
                     int mode, int same, int fd)
{
    if (same) pl = dil * (R - 1) / 2, pr = dil * (R - 1) - pl;
    pconv s = {N, C, 1, L, K, 1, R, G, 1, stride, 1, dil, 0, 0, pl, pr, mode, 0, 0};
    REQUIRE(pconv_init(&s), "case does not fit");
    const int Cg = C / G, P = s.Q;
    size_t nx = (size_t)N * C * L, nw = (size_t)K * Cg * R, ny = (size_t)N * K * P;
    unsigned seed = (unsigned)(nx * 11 + nw * 5 + (size_t)mode);
    float *x = util_random(nx, seed, -1, 1), *w = util_random(nw, seed + 1, -1, 1), *b = util_random(K, seed + 2, -1, 1);
    float *dy = util_random(ny, seed + 3, -1, 1), *dw0 = util_random(nw, seed + 4, -1, 1);
    clnn_tensor *tx = util_tensor(ctx, N, C, L, 1, 3), *tw = util_tensor(ctx, K, Cg, R, 1, 3);
    clnn_tensor *tb = util_tensor(ctx, K, 1, 1, 1, 1), *ty = util_tensor(ctx, N, K, P, 1, 3);
    clnn_tensor *tdy = util_tensor(ctx, N, K, P, 1, 3), *tdx = util_tensor(ctx, N, C, L, 1, 3);
    clnn_tensor *tdw = util_tensor(ctx, K, Cg, R, 1, 3), *tdb = util_tensor(ctx, K, 1, 1, 1, 1);
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tw, w, nw * 4);
    clnn_tensor_upload(tb, b, (size_t)K * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    clnn_conv1d_options prm;
    clnn_conv1d_options_init(&prm);
    prm.stride = stride, prm.dilation = dil, prm.groups = G, prm.padding_mode = mode;
    if (same) prm.pad_same = 1;
    else prm.pad = pl, prm.pad_extra = pr - pl;
    char name[160];
    snprintf(name, sizeof name, "N%d C%d L%d K%d R%d g%d s%d d%d pad %d,%d mode %d%s -> %d", N, C, L, K, R, G, stride,
             dil, pl, pr, mode, same ? " same" : "", P);

    CHECK_OK(ctx, clnn_conv1d_forward(ctx, tx, tw, tb, &prm, ty));
    CHECK_OK(ctx, clnn_conv1d_backward_data(ctx, tdy, tw, &prm, tdx));
    CHECK_OK(ctx, clnn_conv1d_backward_weights(ctx, tx, tdy, &prm, tdw));
    CHECK_OK(ctx, clnn_conv2d_backward_bias(ctx, tdy, tdb));
    float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx), *gdw = util_download(ctx, tdw),
          *gdb = util_download(ctx, tdb);
    double *x_ = util_to_double(x, nx), *w_ = util_to_double(w, nw), *b_ = util_to_double(b, (size_t)K),
           *dy_ = util_to_double(dy, ny);
    double *ry = malloc(ny * sizeof *ry), *rdx = malloc(nx * sizeof *rdx), *rdw = malloc(nw * sizeof *rdw),
           *rdb = malloc((size_t)K * sizeof *rdb);
    pconv_forward(&s, x_, w_, b_, ry);
    pconv_backward_data(&s, dy_, w_, rdx);
    pconv_backward_weights(&s, x_, dy_, rdw);
    pconv_backward_bias(&s, dy_, rdb);
    double e, per_term = 2e-8;
    e = test_max_rel_error(gy, ry, ny, 1e-4 + per_term * Cg * R, 1e-4);
    CHECK(e <= 1, "%s: forward error %.3g", name, e);
    e = test_max_rel_error(gdx, rdx, nx, 1e-4 + per_term * (K / G) * R * (1 + pl + pr), 1e-4);
    CHECK(e <= 1, "%s: backward-data error %.3g", name, e);
    e = test_max_rel_error(gdw, rdw, nw, 1e-4 + per_term * N * P, 1e-4);
    CHECK(e <= 1, "%s: backward-weights error %.3g", name, e);
    e = test_max_rel_error(gdb, rdb, (size_t)K, 1e-4 + per_term * N * P, 1e-4);
    CHECK(e <= 1, "%s: bias gradient error %.3g", name, e);
    if (fd) {
        double *yb = malloc(ny * sizeof *yb);
        fd_ctx f = {&s, x_, w_, b_, dy_, yb, ny};
        e = util_fd_check(x_, nx, 400, 1e-3, conv_loss, &f, gdx, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
        e = util_fd_check(w_, nw, 400, 1e-3, conv_loss, &f, gdw, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dw vs finite differences %.3g", name, e);
        free(yb);
    }
    CHECK_OK(ctx, clnn_conv1d_forward(ctx, tx, tw, tb, &prm, ty));
    CHECK_OK(ctx, clnn_conv1d_backward_data(ctx, tdy, tw, &prm, tdx));
    float *gy2 = util_download(ctx, ty), *gdx2 = util_download(ctx, tdx);
    CHECK(util_same_bits(gy, gy2, ny) && util_same_bits(gdx, gdx2, nx), "%s: repeated runs differ", name);
    clnn_tensor_upload(tdw, dw0, nw * 4);
    prm.accumulate = 1;
    CHECK_OK(ctx, clnn_conv1d_backward_weights(ctx, tx, tdy, &prm, tdw));
    float *adw = util_download(ctx, tdw);
    for (size_t i = 0; i < nw; i++) rdw[i] += dw0[i];
    e = test_max_rel_error(adw, rdw, nw, 1e-4 + per_term * N * P, 1e-4);
    CHECK(e <= 1, "%s: accumulated backward-weights error %.3g", name, e);
    printf("conv1d %s: checked\n", name);

    free(gy2); free(gdx2); free(adw);
    free(ry); free(rdx); free(rdw); free(rdb);
    free(x_); free(w_); free(b_); free(dy_);
    free(gy); free(gdx); free(gdw); free(gdb);
    free(x); free(w); free(b); free(dy); free(dw0);
    clnn_tensor *all[] = {tx, tw, tb, ty, tdy, tdx, tdw, tdb};
    for (int i = 0; i < 8; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    /*                N  C   L  K  R  G  s  d  pl pr mode same fd */
    run_case(ctx, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1);   /* all ones */
    run_case(ctx, 3, 4, 13, 6, 3, 2, 2, 2, 1, 3, 0, 0, 1);  /* zeros, asymmetric, groups */
    run_case(ctx, 2, 3, 9, 5, 4, 1, 1, 1, 0, 0, 0, 1, 1);   /* same, even kernel */
    run_case(ctx, 2, 5, 7, 5, 3, 5, 1, 3, 0, 0, 1, 1, 1);   /* same reflect, depthwise, dilated */
    run_case(ctx, 2, 2, 6, 3, 3, 1, 3, 1, 5, 2, 1, 0, 1);   /* reflect pad n-1 */
    run_case(ctx, 1, 3, 2, 4, 2, 1, 1, 1, 4, 6, 2, 0, 1);   /* replicate, pads > L */
    run_case(ctx, 2, 2, 5, 2, 3, 2, 2, 1, 5, 5, 3, 0, 1);   /* circular, pad = L */
    run_case(ctx, 4, 2, 11, 4, 5, 1, 1, 1, 0, 0, 3, 1, 1);  /* same circular */
    if (test_large("conv1d 4 x 16 x 65536, 5 taps, 'same' reflect"))
        run_case(ctx, 4, 16, 65536, 16, 5, 1, 1, 1, 0, 0, 1, 1, 0);
    clnn_context_release(ctx);
    return check_summary();
}
