/* Batch norm (NCHW and [N, C]; training and inference; running statistics)
 * and layer norm, forward and backward, against the double reference
 * (tests/ref/ref_norm.c), central finite differences and repeats.
 *
 * Tolerances: outputs and dx are O(1) numbers built from float means and
 * variances: |err| <= 1e-4 + 1e-4 |ref|. dgamma and dbeta are float sums of
 * `count` terms of size O(1) (256 lanes of count/256 terms, then a tree): a
 * random-walk error of eps * sqrt(count) * |partial sums| ~ eps * count, so
 * 1e-4 + 1e-7 * count (1e-7 ~ 2 eps). Running statistics: 1e-5 + 1e-5 |ref|.
 * Finite differences: central, in double on the reference forward with
 * h = 1e-4: the truncation error h^2 f''' / 6 is ~1e-8 for these O(1)
 * inputs, rounding ~1e-12, so the check measures the device's float error
 * with the same tolerances as above.
 *
 * Forced configurations: every output (y, dx, dgamma, dbeta, the saved and
 * running statistics) keeps the default's bits when each kernel is forced to
 * the work-group form (VEC = 0) at local sizes 1, 3, 64 and 256 and to the
 * one-work-item-per-group form (VEC = 1) at local sizes 1 and 3, on shapes
 * with groups of fewer and more than the 64 lanes, planes that are no
 * multiple of 8 (float8 chunks across rows of the group) and [N, C]. */
#include "layer_util.h"
#include "ref/ref.h"

typedef struct fd_ctx {
    int N, C, HW, training, layer;
    double *x, *gamma, *beta, *rm, *rv, *r, *y;
    size_t n;
} fd_ctx;

static double norm_loss(void *user)
{
    fd_ctx *f = user;
    if (f->layer) ref_layernorm_forward(f->N, f->HW, f->x, f->gamma, f->beta, 1e-5, f->y);
    else ref_batchnorm_forward(f->N, f->C, f->HW, f->x, f->gamma, f->beta, f->rm, f->rv, f->training, 0.1, 1e-5, f->y);
    return util_dot(f->y, f->r, f->n);
}

/* Batch norm's dx, and dgamma and dbeta where they are inputs (got[1..3]),
 * against central differences of the reference forward on f's inputs. */
static void bn_fd_checks(const char *name, fd_ctx *f, int affine, float *const *got)
{
    double e = util_fd_check(f->x, f->n, 300, 1e-4, norm_loss, f, got[1], 1e-4, 1e-3);
    CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
    if (affine && f->training) {
        e = util_fd_check(f->gamma, (size_t)f->C, 300, 1e-4, norm_loss, f, got[2], 1e-4, 1e-3);
        CHECK(e <= 1, "%s: dgamma vs finite differences %.3g", name, e);
    }
    if (affine) {
        e = util_fd_check(f->beta, (size_t)f->C, 300, 1e-4, norm_loss, f, got[3], 1e-4, 1e-3);
        CHECK(e <= 1, "%s: dbeta vs finite differences %.3g", name, e);
    }
}

/* Batch norm on [N, C, H, W] (ndim 4), [N, C, H] (ndim 3, W = 1) or [N, C]
 * (ndim 2, H = W = 1). */
static void run_bn(clnn_context *ctx, int N, int C, int H, int W, int ndim, int training, int affine, int fd)
{
    const int HW = H * W;
    size_t n = (size_t)N * C * HW;
    unsigned seed = (unsigned)(n * 3 + (size_t)training);
    float *x = util_random(n, seed, -1, 3), *dy = util_random(n, seed + 1, -1, 1);
    float *g = util_random(C, seed + 2, 0.5f, 1.5f), *b = util_random(C, seed + 3, -1, 1);
    float *rm = util_random(C, seed + 4, -0.5f, 0.5f), *rv = util_random(C, seed + 5, 0.5f, 2);
    clnn_tensor *tx = util_tensor(ctx, N, C, H, W, ndim), *ty = util_tensor(ctx, N, C, H, W, ndim);
    clnn_tensor *tdy = util_tensor(ctx, N, C, H, W, ndim), *tdx = util_tensor(ctx, N, C, H, W, ndim);
    clnn_tensor *tg = util_tensor(ctx, C, 1, 1, 1, 1), *tb = util_tensor(ctx, C, 1, 1, 1, 1);
    clnn_tensor *trm = util_tensor(ctx, C, 1, 1, 1, 1), *trv = util_tensor(ctx, C, 1, 1, 1, 1);
    clnn_tensor *tsm = util_tensor(ctx, C, 1, 1, 1, 1), *tsi = util_tensor(ctx, C, 1, 1, 1, 1);
    clnn_tensor *tdg = util_tensor(ctx, C, 1, 1, 1, 1), *tdb = util_tensor(ctx, C, 1, 1, 1, 1);
    clnn_tensor_upload(tx, x, n * 4);
    clnn_tensor_upload(tdy, dy, n * 4);
    clnn_tensor_upload(tg, g, (size_t)C * 4);
    clnn_tensor_upload(tb, b, (size_t)C * 4);
    char name[128];
    const char *layout = ndim == 2 ? "[N,C]" : ndim == 3 ? "[N,C,L]" : "NCHW";
    snprintf(name, sizeof name, "batchnorm %s N%d C%d %dx%d %s%s", layout, N, C, H, W,
             training ? "training" : "inference", affine ? "" : " no-affine");
    float *first[5] = {0};
    for (int rep = 0; rep < 2; rep++) {
        clnn_tensor_upload(trm, rm, (size_t)C * 4);
        clnn_tensor_upload(trv, rv, (size_t)C * 4);
        CHECK_OK(ctx, clnn_batchnorm_forward(ctx, tx, affine ? tg : NULL, affine ? tb : NULL, trm, trv, training, 0.1f,
                                             1e-5f, ty, tsm, tsi));
        CHECK_OK(ctx, clnn_batchnorm_backward(ctx, tx, tdy, affine ? tg : NULL, tsm, tsi, training, tdx, tdg, tdb));
        float *got[5] = {util_download(ctx, ty), util_download(ctx, tdx), util_download(ctx, tdg),
                         util_download(ctx, tdb), util_download(ctx, trm)};
        if (rep == 1) {
            CHECK(util_same_bits(got[0], first[0], n) && util_same_bits(got[1], first[1], n) &&
                      util_same_bits(got[2], first[2], C) && util_same_bits(got[3], first[3], C) &&
                      util_same_bits(got[4], first[4], C),
                  "%s: repeats differ", name);
            for (int i = 0; i < 5; i++) free(got[i]), free(first[i]);
            break;
        }
        for (int i = 0; i < 5; i++) first[i] = got[i];
        float *grv = util_download(ctx, trv);
        double *xd = util_to_double(x, n), *dyd = util_to_double(dy, n), *gd = util_to_double(g, C),
               *bd = util_to_double(b, C), *rmd = util_to_double(rm, C), *rvd = util_to_double(rv, C);
        double *ry = malloc(n * sizeof *ry), *rdx = malloc(n * sizeof *rdx), *rdg = malloc(C * sizeof *rdg),
               *rdb = malloc(C * sizeof *rdb), *rv0 = util_to_double(rv, C);
        ref_batchnorm_forward(N, C, HW, xd, affine ? gd : NULL, affine ? bd : NULL, rmd, rvd, training, 0.1, 1e-5, ry);
        ref_batchnorm_backward(N, C, HW, xd, dyd, affine ? gd : NULL, rv0, training, 1e-5, rdx, rdg, rdb);
        size_t count = (size_t)N * HW;
        double e = test_max_rel_error(got[0], ry, n, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: forward error %.3g", name, e);
        e = test_max_rel_error(got[1], rdx, n, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dx error %.3g", name, e);
        if (training) { /* dgamma = sum dy * xhat with batch statistics */
            e = test_max_rel_error(got[2], rdg, C, 1e-4 + 1e-7 * count, 1e-4);
            CHECK(e <= 1, "%s: dgamma error %.3g", name, e);
        }
        e = test_max_rel_error(got[3], rdb, C, 1e-4 + 1e-7 * count, 1e-4);
        CHECK(e <= 1, "%s: dbeta error %.3g", name, e);
        e = test_max_rel_error(got[4], rmd, C, 1e-5, 1e-5);
        CHECK(e <= 1, "%s: running mean error %.3g", name, e);
        e = test_max_rel_error(grv, rvd, C, 1e-5, 1e-5);
        CHECK(e <= 1, "%s: running var error %.3g", name, e);
        if (fd) {
            double *yb = malloc(n * sizeof *yb);
            /* running statistics are inputs (inference) or untouched (training: NULL) */
            fd_ctx f = {N, C, HW, training, 0, xd, affine ? gd : NULL, affine ? bd : NULL, training ? NULL : rv0 - 0,
                        training ? NULL : rv0, dyd, yb, n};
            double *rm0 = util_to_double(rm, C);
            if (!training) f.rm = rm0;
            bn_fd_checks(name, &f, affine, got);
            free(yb); free(rm0);
        }
        free(grv); free(xd); free(dyd); free(gd); free(bd); free(rmd); free(rvd);
        free(ry); free(rdx); free(rdg); free(rdb); free(rv0);
    }
    printf("%s: checked\n", name);
    free(x); free(dy); free(g); free(b); free(rm); free(rv);
    clnn_tensor *all[] = {tx, ty, tdy, tdx, tg, tb, trm, trv, tsm, tsi, tdg, tdb};
    for (int i = 0; i < 12; i++) clnn_tensor_release(all[i]);
}

/* Layer norm over the last dimension D of [M, D] (or [A, M/A, D] when split > 1). */
static void run_ln(clnn_context *ctx, int M, int D, int split, int affine, int fd)
{
    size_t n = (size_t)M * D;
    unsigned seed = (unsigned)(n * 5 + 1);
    float *x = util_random(n, seed, -2, 2), *dy = util_random(n, seed + 1, -1, 1);
    float *g = util_random(D, seed + 2, 0.5f, 1.5f), *b = util_random(D, seed + 3, -1, 1);
    clnn_tensor *tx = split > 1 ? util_tensor(ctx, split, M / split, D, 1, 3) : util_tensor(ctx, M, D, 1, 1, 2);
    clnn_tensor *ty = split > 1 ? util_tensor(ctx, split, M / split, D, 1, 3) : util_tensor(ctx, M, D, 1, 1, 2);
    clnn_tensor *tdy = split > 1 ? util_tensor(ctx, split, M / split, D, 1, 3) : util_tensor(ctx, M, D, 1, 1, 2);
    clnn_tensor *tdx = split > 1 ? util_tensor(ctx, split, M / split, D, 1, 3) : util_tensor(ctx, M, D, 1, 1, 2);
    clnn_tensor *tg = util_tensor(ctx, D, 1, 1, 1, 1), *tb = util_tensor(ctx, D, 1, 1, 1, 1);
    clnn_tensor *tsm = util_tensor(ctx, M, 1, 1, 1, 1), *tsi = util_tensor(ctx, M, 1, 1, 1, 1);
    clnn_tensor *tdg = util_tensor(ctx, D, 1, 1, 1, 1), *tdb = util_tensor(ctx, D, 1, 1, 1, 1);
    clnn_tensor_upload(tx, x, n * 4);
    clnn_tensor_upload(tdy, dy, n * 4);
    clnn_tensor_upload(tg, g, (size_t)D * 4);
    clnn_tensor_upload(tb, b, (size_t)D * 4);
    char name[96];
    snprintf(name, sizeof name, "layernorm M%d D%d%s%s", M, D, split > 1 ? " 3-D" : "", affine ? "" : " no-affine");
    float *first[4] = {0};
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(ctx, clnn_layernorm_forward(ctx, tx, affine ? tg : NULL, affine ? tb : NULL, 1e-5f, ty, tsm, tsi));
        CHECK_OK(ctx, clnn_layernorm_backward(ctx, tx, tdy, affine ? tg : NULL, tsm, tsi, tdx, tdg, tdb));
        float *got[4] = {util_download(ctx, ty), util_download(ctx, tdx), util_download(ctx, tdg),
                         util_download(ctx, tdb)};
        if (rep == 1) {
            CHECK(util_same_bits(got[0], first[0], n) && util_same_bits(got[1], first[1], n) &&
                      util_same_bits(got[2], first[2], D) && util_same_bits(got[3], first[3], D),
                  "%s: repeats differ", name);
            for (int i = 0; i < 4; i++) free(got[i]), free(first[i]);
            break;
        }
        for (int i = 0; i < 4; i++) first[i] = got[i];
        double *xd = util_to_double(x, n), *dyd = util_to_double(dy, n), *gd = util_to_double(g, D),
               *bd = util_to_double(b, D);
        double *ry = malloc(n * sizeof *ry), *rdx = malloc(n * sizeof *rdx), *rdg = malloc(D * sizeof *rdg),
               *rdb = malloc(D * sizeof *rdb);
        ref_layernorm_forward(M, D, xd, affine ? gd : NULL, affine ? bd : NULL, 1e-5, ry);
        ref_layernorm_backward(M, D, xd, dyd, affine ? gd : NULL, 1e-5, rdx, rdg, rdb);
        double e = test_max_rel_error(got[0], ry, n, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: forward error %.3g", name, e);
        e = test_max_rel_error(got[1], rdx, n, 1e-4, 1e-4);
        CHECK(e <= 1, "%s: dx error %.3g", name, e);
        e = test_max_rel_error(got[2], rdg, D, 1e-4 + 1e-7 * M, 1e-4);
        CHECK(e <= 1, "%s: dgamma error %.3g", name, e);
        e = test_max_rel_error(got[3], rdb, D, 1e-4 + 1e-7 * M, 1e-4);
        CHECK(e <= 1, "%s: dbeta error %.3g", name, e);
        if (fd) {
            double *yb = malloc(n * sizeof *yb);
            fd_ctx f = {M, 1, D, 1, 1, xd, affine ? gd : NULL, affine ? bd : NULL, NULL, NULL, dyd, yb, n};
            e = util_fd_check(xd, n, 300, 1e-4, norm_loss, &f, got[1], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dx vs finite differences %.3g", name, e);
            if (affine) {
                e = util_fd_check(gd, D, 300, 1e-4, norm_loss, &f, got[2], 1e-4, 1e-3);
                CHECK(e <= 1, "%s: dgamma vs finite differences %.3g", name, e);
                e = util_fd_check(bd, D, 300, 1e-4, norm_loss, &f, got[3], 1e-4, 1e-3);
                CHECK(e <= 1, "%s: dbeta vs finite differences %.3g", name, e);
            }
            free(yb);
        }
        free(xd); free(dyd); free(gd); free(bd); free(ry); free(rdx); free(rdg); free(rdb);
    }
    printf("%s: checked\n", name);
    free(x); free(dy); free(g); free(b);
    clnn_tensor *all[] = {tx, ty, tdy, tdx, tg, tb, tsm, tsi, tdg, tdb};
    for (int i = 0; i < 10; i++) clnn_tensor_release(all[i]);
}

/* ------------------------------------------------ forced configurations */

/* One batch-norm (bn: x [N, C, HW]) or layer-norm (x [N rows, HW columns]) case. */
typedef struct norm_io {
    int bn, N, C, HW, training, affine;
    clnn_tensor *t[12]; /* x, dy, y, dx, gamma, beta, running mean, running var, save mean, save invstd, dg, db */
    float *rm0, *rv0;
    size_t n, groups, params, len;
    int relu; /* batch norm + ReLU (the fused ops) */
} norm_io;

static void norm_io_init(clnn_context *ctx, norm_io *io)
{
    io->n = (size_t)io->N * (io->bn ? io->C : 1) * io->HW;
    io->groups = io->bn ? (size_t)io->C : (size_t)io->N;
    io->params = io->bn ? (size_t)io->C : (size_t)io->HW;
    io->len = 2 * io->n + 2 * io->params + 4 * io->groups;
    const size_t sizes[12] = {io->n, io->n, io->n, io->n, io->params, io->params, io->groups, io->groups,
                              io->groups, io->groups, io->params, io->params};
    for (int i = 0; i < 12; i++) {
        float *h = util_random(sizes[i], (unsigned)(io->n * 13 + (size_t)i), i == 7 ? 0.5f : -1, 2);
        /* batch norm [N, C, HW, 1] ([N, C] for HW = 1), layer norm [N, HW] */
        size_t shape[4] = {(size_t)io->N, io->bn ? (size_t)io->C : (size_t)io->HW, (size_t)io->HW, 1};
        const int ndim = io->bn && io->HW > 1 ? 4 : 2;
        io->t[i] = i < 4 ? test_tensor_from(ctx, ndim, shape, h) : test_tensor_from(ctx, 1, &sizes[i], h);
        if (i == 6) io->rm0 = h;
        else if (i == 7) io->rv0 = h;
        else free(h);
    }
}

/* Forward then backward; every output into out (io->len floats). */
static void norm_io_run(clnn_context *ctx, norm_io *io, float *out)
{
    clnn_tensor **t = io->t, *g = io->affine ? t[4] : NULL, *b = io->affine ? t[5] : NULL;
    CHECK_OK(ctx, clnn_tensor_upload(t[6], io->rm0, io->groups * sizeof(float)));
    CHECK_OK(ctx, clnn_tensor_upload(t[7], io->rv0, io->groups * sizeof(float)));
    if (io->relu) {
        CHECK_OK(ctx, clnn_batchnorm_relu_forward(ctx, t[0], g, b, t[6], t[7], io->training, 0.1f, 1e-5f, t[2], t[8],
                                                  t[9]));
        CHECK_OK(ctx, clnn_batchnorm_relu_backward(ctx, t[0], t[2], t[1], g, t[8], t[9], io->training, t[3], t[10],
                                                   t[11]));
    } else if (io->bn) {
        CHECK_OK(ctx, clnn_batchnorm_forward(ctx, t[0], g, b, t[6], t[7], io->training, 0.1f, 1e-5f, t[2], t[8], t[9]));
        CHECK_OK(ctx, clnn_batchnorm_backward(ctx, t[0], t[1], g, t[8], t[9], io->training, t[3], t[10], t[11]));
    } else {
        CHECK_OK(ctx, clnn_layernorm_forward(ctx, t[0], g, b, 1e-5f, t[2], t[8], t[9]));
        CHECK_OK(ctx, clnn_layernorm_backward(ctx, t[0], t[1], g, t[8], t[9], t[3], t[10], t[11]));
    }
    static const int outs[] = {2, 3, 10, 11, 6, 7, 8, 9};
    const size_t counts[] = {io->n, io->n, io->params, io->params, io->groups, io->groups, io->groups, io->groups};
    for (size_t i = 0, at = 0; i < 8; i++) {
        CHECK_OK(ctx, clnn_tensor_download(t[outs[i]], out + at, counts[i] * sizeof *out));
        at += counts[i];
    }
}

/* Every norm kernel forced to each configuration gives the default's bits. */
static void check_forced_case(clnn_context *ctx, norm_io *io)
{
    static const char *const ids[] = {"norm.forward", "norm.backward_data", "norm.param_grad", "norm.param_sum"};
    static const struct { int vec; size_t local; } cfgs[] = {{0, 3}, {0, 64}, {1, 1}, {0, 1}, {0, 256}, {1, 3}};
    const size_t ncfg = test_small() ? 3 : sizeof cfgs / sizeof cfgs[0];
    norm_io_init(ctx, io);
    float *want = malloc(io->len * sizeof *want), *got = malloc(io->len * sizeof *got);
    REQUIRE(want && got, "host memory");
    norm_io_run(ctx, io, want);
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < ncfg; i++) {
            clnn_tune_config cfg = {{cfgs[i].local, 1, 1}, {cfgs[i].vec}};
            cfg.local[0] = test_local_fit(ctx, ids[k], &cfg, cfgs[i].local);
            CHECK_OK(ctx, clnn_tune_force(ctx, ids[k], &cfg));
            norm_io_run(ctx, io, got);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            CHECK(util_same_bits(want, got, io->len), "%s N%d C%d HW%d %s%s: %s VEC=%d local %zu gives other bits",
                  io->bn ? "batchnorm" : "layernorm", io->N, io->C, io->HW, io->training ? "training" : "inference",
                  io->affine ? "" : " no-affine", ids[k], cfgs[i].vec, cfg.local[0]);
        }
    printf("%s%s N%d C%d HW%d: forced configurations give the default's bits\n", io->bn ? "batchnorm" : "layernorm",
           io->relu ? "+relu" : "", io->N, io->C, io->HW);
    free(want), free(got), free(io->rm0), free(io->rv0);
    for (int i = 0; i < 12; i++) clnn_tensor_release(io->t[i]);
}

static void check_forced(clnn_context *ctx)
{
    norm_io cases[] = {
        {1, 3, 5, 21, 1, 1, {0}, 0, 0, 0, 0, 0, 0}, /* groups of 63: fewer than the lanes; planes of 21 */
        {1, 4, 3, 81, 1, 1, {0}, 0, 0, 0, 0, 0, 0}, /* 324 per channel, planes of 81 */
        {1, 2, 3, 143, 0, 0, {0}, 0, 0, 0, 0, 0, 0}, /* inference, no affine */
        {1, 70, 3, 1, 1, 1, {0}, 0, 0, 0, 0, 0, 0},  /* [N, C]: one element per row of the group */
        {1, 1, 2, 2, 0, 1, {0}, 0, 0, 0, 0, 0, 0},   /* batch 1, inference */
        {0, 33, 1, 70, 1, 1, {0}, 0, 0, 0, 0, 0, 0}, /* layer norm: rows of 70, 33 rows */
        {0, 130, 1, 13, 1, 0, {0}, 0, 0, 0, 0, 0, 0}, /* rows of 13, three blocks of rows, no affine */
        {0, 5, 1, 257, 1, 1, {0}, 0, 0, 0, 0, 0, 0}};
    /* on the simulator: more lanes than elements, planes across float8 chunks, [N, C], blocks of rows */
    static const size_t few[] = {0, 1, 3, 5};
    const size_t n = test_small() ? sizeof few / sizeof few[0] : sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) check_forced_case(ctx, &cases[test_small() ? few[i] : i]);
    norm_io relu = {1, 4, 3, 81, 1, 1, {0}, 0, 0, 0, 0, 0, 0, 1}; /* batch norm + ReLU */
    check_forced_case(ctx, &relu);
}

/* ---------------------------------------------- batch norm + ReLU, fused */

/* The fused ops against the reference (relu of the batch-norm reference;
 * backward: the reference batch-norm backward of dy masked where the
 * device's y is 0) and against clnn_batchnorm_* with clnn_activation_* in
 * between, which they promise bit for bit. */
static void check_bn_relu(clnn_context *ctx, int N, int C, int H, int W, int training)
{
    const int HW = H * W;
    const size_t n = (size_t)N * C * HW;
    float *h[4] = {util_random(n, 71, -1, 3), util_random(n, 72, -1, 1), util_random(C, 73, 0.5f, 1.5f),
                   util_random(C, 74, -1, 1)}; /* x, dy, gamma, beta */
    clnn_tensor *t[13];
    for (int i = 0; i < 13; i++) t[i] = i < 6 ? util_tensor(ctx, N, C, H, W, 4) : util_tensor(ctx, C, 1, 1, 1, 1);
    /* 0 x, 1 dy, 2 y fused, 3 z, 4 y unfused, 5 dx; 6 gamma, 7 beta, 8 rm, 9 rv, 10 sm, 11 si, 12 dg; dn, db below */
    clnn_tensor *dn = util_tensor(ctx, N, C, H, W, 4), *db = util_tensor(ctx, C, 1, 1, 1, 1);
    clnn_tensor_upload(t[0], h[0], n * 4), clnn_tensor_upload(t[1], h[1], n * 4);
    clnn_tensor_upload(t[6], h[2], (size_t)C * 4), clnn_tensor_upload(t[7], h[3], (size_t)C * 4);
    CHECK_OK(ctx, clnn_tensor_fill(t[8], 0.1f));
    CHECK_OK(ctx, clnn_tensor_fill(t[9], 1.5f));
    CHECK_OK(ctx, clnn_batchnorm_relu_forward(ctx, t[0], t[6], t[7], t[8], t[9], training, 0.1f, 1e-5f, t[2], t[10],
                                              t[11]));
    CHECK_OK(ctx, clnn_batchnorm_relu_backward(ctx, t[0], t[2], t[1], t[6], t[10], t[11], training, t[5], t[12], db));
    float *fused[5] = {util_download(ctx, t[2]), util_download(ctx, t[5]), util_download(ctx, t[12]),
                       util_download(ctx, db), util_download(ctx, t[8])};
    double *xd = util_to_double(h[0], n), *gd = util_to_double(h[2], C), *bd = util_to_double(h[3], C);
    double *rm = malloc(C * sizeof *rm), *rv = malloc(C * sizeof *rv), *ry = malloc(n * sizeof *ry);
    double *dyd = malloc(n * sizeof *dyd), *rdx = malloc(n * sizeof *rdx), *rdg = malloc(C * sizeof *rdg),
           *rdb = malloc(C * sizeof *rdb);
    REQUIRE(rm && rv && ry && dyd && rdx && rdg && rdb, "host memory");
    for (int c = 0; c < C; c++) rm[c] = 0.1f, rv[c] = 1.5f;
    ref_batchnorm_forward(N, C, HW, xd, gd, bd, rm, rv, training, 0.1, 1e-5, ry);
    for (size_t i = 0; i < n; i++) ry[i] = ry[i] > 0 ? ry[i] : 0, dyd[i] = fused[0][i] > 0 ? h[1][i] : 0;
    ref_batchnorm_backward(N, C, HW, xd, dyd, gd, rv, training, 1e-5, rdx, rdg, rdb);
    CHECK(test_max_rel_error(fused[0], ry, n, 1e-4, 1e-4) <= 1, "bn+relu N%d C%d: forward", N, C);
    CHECK(test_max_rel_error(fused[1], rdx, n, 1e-4, 1e-4) <= 1, "bn+relu N%d C%d: dx", N, C);
    CHECK(test_max_rel_error(fused[3], rdb, C, 1e-4 + 1e-7 * n, 1e-4) <= 1, "bn+relu N%d C%d: dbeta", N, C);
    if (training) CHECK(test_max_rel_error(fused[2], rdg, C, 1e-4 + 1e-7 * n, 1e-4) <= 1, "bn+relu: dgamma");
    /* the unfused chain, from the same running statistics */
    CHECK_OK(ctx, clnn_tensor_fill(t[8], 0.1f));
    CHECK_OK(ctx, clnn_tensor_fill(t[9], 1.5f));
    CHECK_OK(ctx, clnn_batchnorm_forward(ctx, t[0], t[6], t[7], t[8], t[9], training, 0.1f, 1e-5f, t[3], t[10], t[11]));
    CHECK_OK(ctx, clnn_activation_forward(ctx, t[3], CLNN_ACT_RELU, 0.0f, t[4]));
    CHECK_OK(ctx, clnn_activation_backward(ctx, t[3], t[1], CLNN_ACT_RELU, 0.0f, dn));
    CHECK_OK(ctx, clnn_batchnorm_backward(ctx, t[0], dn, t[6], t[10], t[11], training, t[5], t[12], db));
    float *chain[5] = {util_download(ctx, t[4]), util_download(ctx, t[5]), util_download(ctx, t[12]),
                       util_download(ctx, db), util_download(ctx, t[8])};
    const size_t len[5] = {n, n, (size_t)C, (size_t)C, (size_t)C};
    for (int i = 0; i < 5; i++) {
        CHECK(util_same_bits(fused[i], chain[i], len[i]), "bn+relu N%d C%d: output %d differs from the chain", N, C, i);
        free(fused[i]), free(chain[i]);
    }
    printf("batchnorm+relu N%d C%d %dx%d %s: checked\n", N, C, H, W, training ? "training" : "inference");
    for (int i = 0; i < 4; i++) free(h[i]);
    free(xd), free(gd), free(bd), free(rm), free(rv), free(ry), free(dyd), free(rdx), free(rdg), free(rdb);
    for (int i = 0; i < 13; i++) clnn_tensor_release(t[i]);
    clnn_tensor_release(dn), clnn_tensor_release(db);
}

/* One channel of 2^22 elements, far past what a work-item of a device that
 * stops long loops (Mesa 22.3's llvmpipe: 65535 iterations) may walk: the
 * statistics are right, or the call is refused with a message naming the
 * loop limit and only on such a device -- never partial sums. */
static void check_long_channel(clnn_context *ctx)
{
    const int N = 4, H = 1024, W = 1024;
    size_t n = (size_t)N * H * W;
    float *x = util_random(n, 11, -1, 3);
    clnn_tensor *tx = util_tensor(ctx, N, 1, H, W, 4), *ty = util_tensor(ctx, N, 1, H, W, 4);
    clnn_tensor *tsm = util_tensor(ctx, 1, 1, 1, 1, 1), *tsi = util_tensor(ctx, 1, 1, 1, 1, 1);
    CHECK_OK(ctx, clnn_tensor_upload(tx, x, n * sizeof *x));
    CHECK_OK(ctx, clnn_tensor_fill(tsm, 7.0f));
    clnn_tune_limits lim;
    CHECK_OK(ctx, clnn_tune_limits_get(ctx, "norm.forward", NULL, &lim));
    clnn_status st = clnn_batchnorm_forward(ctx, tx, NULL, NULL, NULL, NULL, 1, 0.1f, 1e-5f, ty, tsm, tsi);
    if (st == CLNN_ERR_UNSUPPORTED) {
        CHECK(lim.loop_limit > 0 && strstr(clnn_last_error(ctx), "loop") != NULL,
              "long channel refused without a loop limit (%zu): %s", lim.loop_limit, clnn_last_error(ctx));
        test_expect_filled(ctx, "save_mean of a refused call", tsm, 7.0f);
        printf("batchnorm over a channel of %zu elements: refused, the device stops loops after %zu iterations\n", n,
               lim.loop_limit);
    } else {
        CHECK_OK(ctx, st);
        double sum = 0, m2 = 0;
        for (size_t i = 0; i < n; i++) sum += x[i];
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++) m2 += (x[i] - mean) * (x[i] - mean);
        float got_mean, got_inv;
        CHECK_OK(ctx, clnn_tensor_download(tsm, &got_mean, sizeof got_mean));
        CHECK_OK(ctx, clnn_tensor_download(tsi, &got_inv, sizeof got_inv));
        double inv = 1.0 / sqrt(m2 / (double)n + 1e-5);
        CHECK(fabs(got_mean - mean) <= 1e-4 && fabs(got_inv - inv) <= 1e-4 * inv,
              "batchnorm over a channel of %zu elements: mean %.7g (reference %.7g), invstd %.7g (reference %.7g)",
              n, (double)got_mean, mean, (double)got_inv, inv);
    }
    free(x);
    clnn_tensor *all[] = {tx, ty, tsm, tsi};
    for (int i = 0; i < 4; i++) clnn_tensor_release(all[i]);
}

/* PyTorch's momentum = None: 1/k on the k-th call, so k calls average the k
 * batch statistics; bad arguments are refused with the function's name. */
static void check_cumulative_momentum(void)
{
    float m = -1.0f;
    CHECK(clnn_batchnorm_cumulative_momentum(1, &m) == CLNN_OK && m == 1.0f, "momentum of call 1: %g", m);
    CHECK(clnn_batchnorm_cumulative_momentum(4, &m) == CLNN_OK && m == 0.25f, "momentum of call 4: %g", m);
    double running = 0.0; /* the running mean over batch means 1, 2, ..., 5 is their average, 3 */
    for (size_t k = 1; k <= 5; k++) {
        CHECK_OK(NULL, clnn_batchnorm_cumulative_momentum(k, &m));
        running = (1.0 - m) * running + m * (double)k;
    }
    CHECK(fabs(running - 3.0) < 1e-6, "cumulative running mean %g, want 3", running);
    m = 7.0f;
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_batchnorm_cumulative_momentum",
                clnn_batchnorm_cumulative_momentum(0, &m));
    CHECK(m == 7.0f, "a refused call wrote momentum");
    EXPECT_FAIL(NULL, CLNN_ERR_INVALID_ARGUMENT, "clnn_batchnorm_cumulative_momentum",
                clnn_batchnorm_cumulative_momentum(1, NULL));
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_cumulative_momentum();
    for (int training = 1; training >= 0; training--) {
        run_bn(ctx, 2, 1, 1, 1, 2, training, 1, 1);      /* the smallest batch with an unbiased variance */
        run_bn(ctx, 7, 3, 1, 1, 2, training, 1, 1);      /* [N, C] */
        run_bn(ctx, 4, 3, 9, 1, 3, training, 1, 1);      /* [N, C, L] (BatchNorm1d) */
        run_bn(ctx, 1, 1, 1, 2, 4, training, 1, 1);      /* batch 1 */
        run_bn(ctx, 3, 5, 7, 3, 4, training, 1, 1);
        run_bn(ctx, 2, 3, 11, 13, 4, training, 0, 1);   /* no affine */
        if (test_large("batch norm 4 x 4 x 256 x 256")) run_bn(ctx, 4, 4, 256, 256, 4, training, 1, 0); /* 2^20 elements */
    }
    run_ln(ctx, 1, 1, 1, 1, 1);
    run_ln(ctx, 3, 7, 1, 1, 1);
    run_ln(ctx, 6, 5, 2, 1, 1);  /* [2, 3, 5] */
    run_ln(ctx, 5, 257, 1, 0, 1);
    if (test_large("layer norm 1024 x 1024")) run_ln(ctx, 1024, 1024, 1, 1, 0); /* 2^20 elements */
    check_forced(ctx);
    check_bn_relu(ctx, 3, 5, 7, 3, 1);
    check_bn_relu(ctx, 2, 3, 11, 13, 0);
    if (test_large("batch norm over a channel of 2^22 elements")) check_long_channel(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
