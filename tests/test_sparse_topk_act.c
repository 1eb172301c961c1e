/* Top-k activation (clnn_topk_activation_forward / _backward) against the
 * reference selection (tests/ref/ref_sparse.c: stable qsort by descending
 * value, ties to the lower index): rows of 1, 2, 7, 31, 257 (> 256 lanes),
 * 4096 and 4099 entries with k from 1 to the row length, on continuous
 * values and on heavily tied rows with ±0, ±inf and NaN; a large case of
 * more than 2^20 elements. y, dx and the indices must match exactly; the
 * backward pass against central differences of L(x) = Σ dy·topk(x) of the
 * reference on well-separated values; other local sizes give the same bits.
 * clnn_topk: the same selection in descending order of value. */
#include "check.h"
#include "ref/ref_sparse.h"
#include "sparse_util.h"

#include <math.h>

/* kind 0: continuous in [-3, 3); 1: 5 levels with ±0, ±inf and NaN (ties) */
static float *make_rows(size_t n, int kind, unsigned seed)
{
    static const float levels[] = {-1.0f, -0.0f, 0.0f, 2.0f, INFINITY, -INFINITY, NAN, 2.0f};
    float *x = malloc(n * sizeof *x + 4);
    REQUIRE(x, "host memory");
    test_fill_uniform(x, n, seed, -3.0f, 3.0f);
    if (kind == 1)
        for (size_t i = 0; i < n; i++) x[i] = levels[(size_t)((x[i] + 3.0f) * 100.0f) % 8];
    return x;
}

static void check_case(clnn_context *ctx, size_t rows, size_t n, size_t k, int kind)
{
    size_t count = rows * n;
    float *x = make_rows(count, kind, (unsigned)(rows * 131 + n * 7 + k + (size_t)kind));
    float *dy = make_rows(count, 0, (unsigned)(count + 5));
    unsigned char *keep = malloc(count);
    REQUIRE(keep, "host memory");
    for (size_t r = 0; r < rows; r++) ref_topk_row(x + r * n, n, k, keep + r * n);
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, rows, n, x, 0), *tdy = sp_tensor(ctx, CLNN_FLOAT32, rows, n, dy, 0);
    clnn_tensor *ty = sp_tensor(ctx, CLNN_FLOAT32, rows, n, NULL, 9.0f), *tdx = sp_tensor(ctx, CLNN_FLOAT32, rows, n, NULL, 9.0f);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, rows, k, NULL, -1.0f);
    CHECK_OK(ctx, clnn_topk_activation_forward(ctx, tx, k, ty, ti));
    CHECK_OK(ctx, clnn_topk_activation_backward(ctx, tx, tdy, k, tdx));
    uint32_t *y = sp_words(ctx, ty), *dx = sp_words(ctx, tdx), *idx = sp_words(ctx, ti);
    size_t bad_y = count, bad_dx = count, bad_i = rows * k;
    for (size_t e = 0; e < count; e++) {
        if (bad_y == count && y[e] != (keep[e] ? sp_bits(x[e]) : 0u)) bad_y = e;
        if (bad_dx == count && dx[e] != (keep[e] ? sp_bits(dy[e]) : 0u)) bad_dx = e;
    }
    for (size_t r = 0; r < rows && bad_i == rows * k; r++)
        for (size_t j = 0, slot = 0; j < n; j++)
            if (keep[r * n + j] && idx[r * k + slot++] != (uint32_t)j) bad_i = r * k + slot - 1;
    CHECK(bad_y == count, "topk %zux%zu k=%zu kind %d: y[%zu] = %08x, expected %08x", rows, n, k, kind, bad_y,
          y[bad_y % count], keep[bad_y % count] ? sp_bits(x[bad_y % count]) : 0u);
    CHECK(bad_dx == count, "topk %zux%zu k=%zu kind %d: dx[%zu] differs", rows, n, k, kind, bad_dx);
    CHECK(bad_i == rows * k, "topk %zux%zu k=%zu kind %d: indices[%zu] differs", rows, n, k, kind, bad_i);
    /* forward without indices: the same y */
    CHECK_OK(ctx, clnn_tensor_fill(ty, 9.0f));
    CHECK_OK(ctx, clnn_topk_activation_forward(ctx, tx, k, ty, NULL));
    uint32_t *y2 = sp_words(ctx, ty);
    CHECK(memcmp(y, y2, count * 4) == 0, "topk %zux%zu k=%zu: y without indices differs", rows, n, k);
    free(x), free(dy), free(keep), free(y), free(dx), free(idx), free(y2);
    clnn_tensor_release(tx), clnn_tensor_release(tdy), clnn_tensor_release(ty), clnn_tensor_release(tdx);
    clnn_tensor_release(ti);
}

/* L(x) = Σ_j dy_j·topk(x)_j in double from the reference selection. */
static double ref_loss(const float *x, const double *xd, const float *dy, size_t rows, size_t n, size_t k,
                       unsigned char *keep, float *tmp)
{
    double sum = 0.0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < n; j++) tmp[j] = (float)xd[r * n + j];
        ref_topk_row(tmp, n, k, keep);
        for (size_t j = 0; j < n; j++) sum += keep[j] ? dy[r * n + j] * xd[r * n + j] : 0.0;
    }
    (void)x;
    return sum;
}

/* Backward against central differences of the reference loss; the values
 * are distinct multiples of 1/16 (7 is prime to the count) plus a small
 * offset, h = 1e-3 never reorders. */
static void check_fd(clnn_context *ctx, size_t rows, size_t n, size_t k)
{
    size_t count = rows * n;
    float *x = malloc(count * sizeof *x), *dy = make_rows(count, 0, 99), *tmp = malloc(n * sizeof *tmp);
    double *xd = malloc(count * sizeof *xd), *fd = malloc(count * sizeof *fd);
    unsigned char *keep = malloc(n);
    REQUIRE(x && tmp && xd && fd && keep, "host memory");
    for (size_t e = 0; e < count; e++) x[e] = (float)((e * 7) % count) / 16.0f - 1.0f + 0.01f, xd[e] = x[e];
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, rows, n, x, 0), *tdy = sp_tensor(ctx, CLNN_FLOAT32, rows, n, dy, 0);
    clnn_tensor *tdx = sp_tensor(ctx, CLNN_FLOAT32, rows, n, NULL, 9.0f);
    CHECK_OK(ctx, clnn_topk_activation_backward(ctx, tx, tdy, k, tdx));
    float *dx = test_download(ctx, tdx);
    double h = 1e-3;
    for (size_t e = 0; e < count; e++) {
        double keepv = xd[e];
        xd[e] = keepv + h;
        double up = ref_loss(x, xd, dy, rows, n, k, keep, tmp);
        xd[e] = keepv - h;
        double down = ref_loss(x, xd, dy, rows, n, k, keep, tmp);
        xd[e] = keepv;
        fd[e] = (up - down) / (2 * h);
    }
    double err = test_max_rel_error(dx, fd, count, 1e-6, 1e-6);
    CHECK(err <= 1.0, "topk backward %zux%zu k=%zu vs finite differences: error %.3g of tolerance", rows, n, k, err);
    free(x), free(dy), free(tmp), free(xd), free(fd), free(keep), free(dx);
    clnn_tensor_release(tx), clnn_tensor_release(tdy), clnn_tensor_release(tdx);
}

/* Other local sizes (1, 7, 64) give the same bits as the default. */
static void check_local_sizes(clnn_context *ctx, size_t rows, size_t n, size_t k)
{
    size_t count = rows * n;
    float *x = make_rows(count, 1, 4);
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, rows, n, x, 0), *ty = sp_tensor(ctx, CLNN_FLOAT32, rows, n, NULL, 0);
    clnn_tensor *ti = sp_tensor(ctx, CLNN_INT32, rows, k, NULL, 0);
    CHECK_OK(ctx, clnn_topk_activation_forward(ctx, tx, k, ty, ti));
    uint32_t *y0 = sp_words(ctx, ty), *i0 = sp_words(ctx, ti);
    const size_t locals[] = {1, 7, 64};
    for (size_t l = 0; l < 3; l++) {
        if (!sp_force(ctx, "sparse.topk_rows", locals[l], 0)) continue;
        CHECK_OK(ctx, clnn_tensor_fill(ty, 5.0f));
        CHECK_OK(ctx, clnn_topk_activation_forward(ctx, tx, k, ty, ti));
        sp_unforce(ctx);
        uint32_t *y = sp_words(ctx, ty), *i = sp_words(ctx, ti);
        CHECK(memcmp(y, y0, count * 4) == 0 && memcmp(i, i0, rows * k * 4) == 0,
              "topk %zux%zu k=%zu: local size %zu gives other bits", rows, n, k, locals[l]);
        free(y), free(i);
    }
    free(x), free(y0), free(i0);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(ti);
}

/* clnn_topk: values and indices in descending order against
 * ref_topk_sorted, bits exact; either output alone. */
static void check_sorted(clnn_context *ctx, size_t rows, size_t n, size_t k, int kind)
{
    size_t count = rows * n;
    float *x = make_rows(count, kind, (unsigned)(rows * 17 + n * 3 + k + (size_t)kind));
    uint32_t *want = malloc(rows * k * 4);
    REQUIRE(want, "host memory");
    for (size_t r = 0; r < rows; r++) ref_topk_sorted(x + r * n, n, k, want + r * k);
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, rows, n, x, 0);
    clnn_tensor *tv = sp_tensor(ctx, CLNN_FLOAT32, rows, k, NULL, -7.0f), *ti = sp_tensor(ctx, CLNN_INT32, rows, k, NULL, -7.0f);
    for (int mode = 0; mode < 3; mode++) {
        CHECK_OK(ctx, clnn_topk(ctx, tx, k, mode == 2 ? NULL : tv, mode == 1 ? NULL : ti));
        uint32_t *v = sp_words(ctx, tv), *ix = sp_words(ctx, ti);
        size_t bad_v = 0, bad_i = 0;
        for (size_t r = 0; r < rows; r++)
            for (size_t q = 0; q < k; q++) {
                bad_v += v[r * k + q] != sp_bits(x[r * n + want[r * k + q]]);
                bad_i += ix[r * k + q] != want[r * k + q];
            }
        CHECK(bad_v == 0 && bad_i == 0, "topk %zux%zu k=%zu kind %d (mode %d): %zu values and %zu indices differ",
              rows, n, k, kind, mode, bad_v, bad_i);
        free(v), free(ix);
    }
    const char *f = "clnn_topk";
    uint32_t *v0 = sp_words(ctx, tv), *i0 = sp_words(ctx, ti);
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_topk(ctx, tx, 0, tv, ti));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_topk(ctx, tx, n + 1, tv, ti));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, f, clnn_topk(ctx, tx, k, NULL, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_topk(ctx, tx, k, ti, tv));
    EXPECT_FAIL(ctx, k == n ? CLNN_ERR_INVALID_ARGUMENT : CLNN_ERR_SHAPE, f, clnn_topk(ctx, tx, k, tx, NULL)); /* x itself */
    uint32_t *v1 = sp_words(ctx, tv), *i1 = sp_words(ctx, ti);
    CHECK(!memcmp(v0, v1, rows * k * 4) && !memcmp(i0, i1, rows * k * 4), "topk: a rejected call changed an output");
    free(v0), free(i0), free(v1), free(i1);
    free(x), free(want);
    clnn_tensor_release(tx), clnn_tensor_release(tv), clnn_tensor_release(ti);
}

int main(void)
{
    clnn_context *ctx = test_context();
    static const struct {
        size_t rows, n, k;
    } cases[] = {{1, 1, 1},   {1, 2, 1},   {1, 2, 2},     {3, 7, 1},     {3, 7, 3},    {3, 7, 7},
                 {5, 31, 4},  {2, 257, 1}, {2, 257, 100}, {2, 257, 257}, {2, 4096, 1}, {1, 4096, 64},
                 {1, 4096, 4095}, {3, 4099, 2049}};
    /* the simulator: rows up to 257 wide (4096-wide rows take minutes there) */
    size_t ncases = test_large("top-k rows of 4096 and 4099 entries") ? sizeof cases / sizeof cases[0] : 10;
    for (size_t c = 0; c < ncases; c++)
        for (int kind = 0; kind < 2; kind++) check_case(ctx, cases[c].rows, cases[c].n, cases[c].k, kind);
    for (size_t c = 0; c < (test_small() ? 7 : ncases); c++) /* the simulator: rows up to 31 wide */
        for (int kind = 0; kind < 2; kind++) check_sorted(ctx, cases[c].rows, cases[c].n, cases[c].k, kind);
    check_fd(ctx, 3, 37, 5);
    check_local_sizes(ctx, 4, 300, 17);
    if (test_large("top-k on 257 x 4096 (> 2^20 elements)")) {
        check_case(ctx, 257, 4096, 37, 0);
        check_case(ctx, 257, 4096, 2000, 1);
    }
    clnn_context_release(ctx);
    return check_summary();
}
