/* Transposed conv2d (PyTorch's conv_transpose2d: stride, padding,
 * output_padding, groups, dilation; w [C, K/groups, R, S]) against a double
 * reference written from the definition (every input pixel scatters its
 * window into y), the gradients against central differences of that
 * reference, accumulation, bit-identical repeats, chunked workspaces.
 * Tolerances as test_conv.c: 1e-4 + 2e-8 * terms absolute plus 1e-4
 * relative, terms the products of one result. */
#include "layer_util.h"

typedef struct tshape {
    int N, C, H, W, K, R, S, G; /* x [N, C, H, W], w [C, K/G, R, S] */
    int sh, sw, ph, pw, oph, opw, dh, dw;
    int P, Q; /* y [N, K, P, Q], filled by tshape_init */
} tshape;

/* PyTorch's output size: (H-1)*stride - 2*pad + dilation*(R-1) + output_padding + 1. */
static void tshape_init(tshape *s)
{
    s->P = (s->H - 1) * s->sh - 2 * s->ph + s->dh * (s->R - 1) + s->oph + 1;
    s->Q = (s->W - 1) * s->sw - 2 * s->pw + s->dw * (s->S - 1) + s->opw + 1;
    REQUIRE(s->P >= 1 && s->Q >= 1, "output size");
}

/* Calls visit(user, x index, w index, y index) for every product
 * x[n, g*C/G + c, h, w] * w[g*C/G + c, k, r, s] added to
 * y[n, g*K/G + k, h*sh - ph + r*dh, w*sw - pw + s*dw] inside y. */
static void each_product(const tshape *s, void (*visit)(void *, size_t, size_t, size_t), void *user)
{
    int Cg = s->C / s->G, Kg = s->K / s->G;
    for (int n = 0; n < s->N; n++)
        for (int ci = 0; ci < s->C; ci++)
            for (int h = 0; h < s->H; h++)
                for (int w = 0; w < s->W; w++)
                    for (int k = 0; k < Kg; k++)
                        for (int r = 0; r < s->R; r++)
                            for (int t = 0; t < s->S; t++) {
                                int p = h * s->sh - s->ph + r * s->dh, q = w * s->sw - s->pw + t * s->dw;
                                if (p < 0 || p >= s->P || q < 0 || q >= s->Q) continue;
                                int ko = ci / Cg * Kg + k;
                                visit(user, (((size_t)n * s->C + ci) * s->H + h) * s->W + w,
                                      (((size_t)ci * Kg + k) * s->R + r) * s->S + t,
                                      (((size_t)n * s->K + ko) * s->P + p) * s->Q + q);
                            }
}

typedef struct arrays {
    const double *x, *w, *dy;
    double *y, *dx, *dw;
} arrays;

static void visit_fwd(void *u, size_t xi, size_t wi, size_t yi)
{
    arrays *a = u;
    a->y[yi] += a->x[xi] * a->w[wi];
}
static void visit_data(void *u, size_t xi, size_t wi, size_t yi)
{
    arrays *a = u;
    a->dx[xi] += a->dy[yi] * a->w[wi];
}
static void visit_weights(void *u, size_t xi, size_t wi, size_t yi)
{
    arrays *a = u;
    a->dw[wi] += a->dy[yi] * a->x[xi];
}

static void ref_forward(const tshape *s, const double *x, const double *w, const double *b, double *y)
{
    size_t plane = (size_t)s->P * s->Q, ny = (size_t)s->N * s->K * plane;
    for (size_t i = 0; i < ny; i++) y[i] = b ? b[i / plane % s->K] : 0;
    arrays a = {x, w, NULL, y, NULL, NULL};
    each_product(s, visit_fwd, &a);
}

typedef struct fd_ctx {
    const tshape *s;
    double *x, *w, *b, *r, *y;
    size_t ny;
} fd_ctx;

static double loss(void *user)
{
    fd_ctx *f = user;
    ref_forward(f->s, f->x, f->w, f->b, f->y);
    return util_dot(f->y, f->r, f->ny);
}

static void run_case(clnn_context *ctx, tshape s, int fd)
{
    tshape_init(&s);
    const int Kg = s.K / s.G;
    size_t nx = (size_t)s.N * s.C * s.H * s.W, nw = (size_t)s.C * Kg * s.R * s.S, ny = (size_t)s.N * s.K * s.P * s.Q;
    unsigned seed = (unsigned)(nx * 13 + nw * 7 + ny);
    float *x = util_random(nx, seed, -1, 1), *w = util_random(nw, seed + 1, -1, 1), *b = util_random(s.K, seed + 2, -1, 1);
    float *dy = util_random(ny, seed + 3, -1, 1), *dw0 = util_random(nw, seed + 4, -1, 1);
    clnn_tensor *tx = util_tensor(ctx, s.N, s.C, s.H, s.W, 4), *tw = util_tensor(ctx, s.C, Kg, s.R, s.S, 4);
    clnn_tensor *tb = util_tensor(ctx, s.K, 1, 1, 1, 1), *ty = util_tensor(ctx, s.N, s.K, s.P, s.Q, 4);
    clnn_tensor *tdy = util_tensor(ctx, s.N, s.K, s.P, s.Q, 4), *tdx = util_tensor(ctx, s.N, s.C, s.H, s.W, 4);
    clnn_tensor *tdw = util_tensor(ctx, s.C, Kg, s.R, s.S, 4), *tdb = util_tensor(ctx, s.K, 1, 1, 1, 1);
    clnn_tensor_upload(tx, x, nx * 4);
    clnn_tensor_upload(tw, w, nw * 4);
    clnn_tensor_upload(tb, b, (size_t)s.K * 4);
    clnn_tensor_upload(tdy, dy, ny * 4);
    clnn_conv2d_options prm;
    clnn_conv2d_options_init(&prm);
    prm.stride[0] = s.sh, prm.stride[1] = s.sw, prm.pad[0] = s.ph, prm.pad[1] = s.pw;
    prm.output_padding[0] = s.oph, prm.output_padding[1] = s.opw;
    prm.dilation[0] = s.dh, prm.dilation[1] = s.dw, prm.groups = s.G;
    char name[200];
    snprintf(name, sizeof name, "N%d C%d %dx%d K%d %dx%d s%d,%d p%d,%d op%d,%d d%d,%d g%d -> %dx%d", s.N, s.C, s.H,
             s.W, s.K, s.R, s.S, s.sh, s.sw, s.ph, s.pw, s.oph, s.opw, s.dh, s.dw, s.G, s.P, s.Q);

    CHECK_OK(ctx, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &prm, ty));
    CHECK_OK(ctx, clnn_conv_transpose2d_backward_data(ctx, tdy, tw, &prm, tdx));
    CHECK_OK(ctx, clnn_conv_transpose2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    CHECK_OK(ctx, clnn_conv2d_backward_bias(ctx, tdy, tdb));
    float *gy = util_download(ctx, ty), *gdx = util_download(ctx, tdx), *gdw = util_download(ctx, tdw),
          *gdb = util_download(ctx, tdb);

    double *x_ = util_to_double(x, nx), *w_ = util_to_double(w, nw), *b_ = util_to_double(b, (size_t)s.K),
           *dy_ = util_to_double(dy, ny);
    double *ry = malloc(ny * sizeof *ry), *rdx = calloc(nx, sizeof *rdx), *rdw = calloc(nw, sizeof *rdw),
           *rdb = calloc((size_t)s.K, sizeof *rdb);
    ref_forward(&s, x_, w_, b_, ry);
    arrays a = {x_, w_, dy_, NULL, rdx, rdw};
    each_product(&s, visit_data, &a);
    each_product(&s, visit_weights, &a);
    for (size_t i = 0; i < ny; i++) rdb[i / ((size_t)s.P * s.Q) % s.K] += dy_[i];
    /* a y pixel sums at most C/G * ceil(R/sh) * ceil(S/sw) products; bounded by C/G * R * S */
    double e, per_term = 2e-8;
    e = test_max_rel_error(gy, ry, ny, 1e-4 + per_term * (s.C / s.G) * s.R * s.S, 1e-4);
    CHECK(e <= 1, "%s: forward error %.3g", name, e);
    e = test_max_rel_error(gdx, rdx, nx, 1e-4 + per_term * Kg * s.R * s.S, 1e-4);
    CHECK(e <= 1, "%s: backward-data error %.3g", name, e);
    e = test_max_rel_error(gdw, rdw, nw, 1e-4 + per_term * s.N * s.H * s.W, 1e-4);
    CHECK(e <= 1, "%s: backward-weights error %.3g", name, e);
    e = test_max_rel_error(gdb, rdb, (size_t)s.K, 1e-4 + per_term * s.N * s.P * s.Q, 1e-4);
    CHECK(e <= 1, "%s: bias gradient error %.3g", name, e);

    if (fd) {
        double *yb = malloc(ny * sizeof *yb);
        fd_ctx f = {&s, x_, w_, b_, dy_, yb, ny};
        e = util_fd_check(x_, nx, 400, 1e-3, loss, &f, gdx, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
        e = util_fd_check(w_, nw, 400, 1e-3, loss, &f, gdw, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dw vs finite differences %.3g", name, e);
        e = util_fd_check(b_, (size_t)s.K, 400, 1e-3, loss, &f, gdb, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: db vs finite differences %.3g", name, e);
        free(yb);
    }

    /* same inputs, same bits; then dw accumulated onto dw0 */
    CHECK_OK(ctx, clnn_conv_transpose2d_forward(ctx, tx, tw, tb, &prm, ty));
    CHECK_OK(ctx, clnn_conv_transpose2d_backward_data(ctx, tdy, tw, &prm, tdx));
    CHECK_OK(ctx, clnn_conv_transpose2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    float *gy2 = util_download(ctx, ty), *gdx2 = util_download(ctx, tdx), *gdw2 = util_download(ctx, tdw);
    CHECK(util_same_bits(gy, gy2, ny) && util_same_bits(gdx, gdx2, nx) && util_same_bits(gdw, gdw2, nw),
          "%s: repeated runs differ", name);
    clnn_tensor_upload(tdw, dw0, nw * 4);
    prm.accumulate = 1;
    CHECK_OK(ctx, clnn_conv_transpose2d_backward_weights(ctx, tx, tdy, &prm, tdw));
    float *adw = util_download(ctx, tdw);
    for (size_t i = 0; i < nw; i++) rdw[i] += dw0[i];
    e = test_max_rel_error(adw, rdw, nw, 1e-4 + per_term * s.N * s.H * s.W, 1e-4);
    CHECK(e <= 1, "%s: accumulated backward-weights error %.3g", name, e);
    printf("conv_transpose2d %s: checked\n", name);

    free(gy2); free(gdx2); free(gdw2); free(adw);
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
    /*                 N  C  H  W  K  R  S  G sh sw ph pw oph opw dh dw */
    run_case(ctx, (tshape){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1}, 1);  /* all ones */
    run_case(ctx, (tshape){2, 3, 5, 4, 2, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 1}, 1);  /* stride 2, output_padding */
    run_case(ctx, (tshape){2, 2, 5, 4, 3, 3, 2, 1, 2, 3, 1, 2, 1, 0, 2, 1}, 1);  /* PyTorch's shape check case */
    run_case(ctx, (tshape){3, 4, 6, 7, 6, 2, 3, 2, 1, 2, 0, 1, 1, 1, 2, 1}, 1);  /* op < dilation, >= stride */
    run_case(ctx, (tshape){2, 6, 5, 3, 6, 3, 3, 6, 3, 2, 2, 1, 2, 1, 1, 2}, 1);  /* depthwise */
    run_case(ctx, (tshape){1, 3, 7, 5, 5, 4, 4, 1, 2, 2, 3, 3, 0, 1, 1, 1}, 1);  /* padding eats the border */
    run_case(ctx, (tshape){4, 5, 3, 6, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1}, 1);  /* 1x1 */
    /* A workspace of 64 KiB: chunks of several images, then of one. */
    setenv("CLNN_CONV_WORKSPACE_KB", "64", 1);
    run_case(ctx, (tshape){7, 4, 4, 8, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1}, 1);
    if (!test_small()) /* the simulator: one chunked case */
        run_case(ctx, (tshape){2, 8, 8, 8, 8, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1}, 1);
    unsetenv("CLNN_CONV_WORKSPACE_KB");
    if (test_large("conv_transpose2d 2 x 8 x 128 x 128 -> 256 x 256"))
        run_case(ctx, (tshape){2, 8, 128, 128, 8, 4, 4, 1, 2, 2, 1, 1, 0, 0, 1, 1}, 0);
    clnn_context_release(ctx);
    return check_summary();
}
