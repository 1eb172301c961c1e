/* Multi-sample dropout (clnn_multi_dropout_forward / _backward): every
 * sample's mask against the host Philox reference (tests/ref/ref_philox.c,
 * ref_keep) bit for bit, and against clnn_dropout_forward with stream + s;
 * the backward pass against the double reference sum and, being the
 * transpose of a linear map, against central differences of
 * L(x) = Σ dy·y(x) of the reference; K = 1 against clnn_dropout_backward bit
 * for bit. Sizes 1, 2, 3, 5, 7, 31, 4099 and 2^20 + 3 (large mode); K 1, 2,
 * 5, 8; p 0, 0.3, 0.9; tails of 1..3 elements past the last Philox block. */
#include "check.h"
#include "ref/ref.h"
#include "sparse_util.h"

#include <math.h>

#define SEED 0x1234567890ABCDEFull
#define STREAM 77u

static void check_case(clnn_context *ctx, size_t n, unsigned K, float p)
{
    float *x = malloc(n * sizeof *x), *dy = malloc(K * n * sizeof *dy);
    REQUIRE(x && dy, "host memory");
    test_fill_uniform(x, n, (unsigned)n, -2.0f, 2.0f);
    test_fill_uniform(dy, K * n, (unsigned)(n + K), -1.0f, 1.0f);
    clnn_tensor *tx = sp_tensor(ctx, CLNN_FLOAT32, n, 0, x, 0), *ty = sp_tensor(ctx, CLNN_FLOAT32, K, n, NULL, 9.0f);
    clnn_tensor *tdy = sp_tensor(ctx, CLNN_FLOAT32, K, n, dy, 0), *tdx = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 9.0f);
    clnn_tensor *one = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 0.0f);
    CHECK_OK(ctx, clnn_multi_dropout_forward(ctx, tx, K, p, SEED, STREAM, ty));
    CHECK_OK(ctx, clnn_multi_dropout_backward(ctx, tdy, K, p, SEED, STREAM, tdx));
    uint32_t *y = sp_words(ctx, ty);
    float *dx = test_download(ctx, tdx), scale = 1.0f / (1.0f - p);

    /* forward: the reference mask, bit for bit, and clnn_dropout_forward per sample */
    size_t bad = K * n, bad_dropout = K;
    for (unsigned s = 0; s < K; s++) {
        for (size_t i = 0; i < n && bad == K * n; i++)
            if (y[s * n + i] != sp_bits(ref_keep(SEED, STREAM + s, i, p) ? x[i] * scale : 0.0f)) bad = s * n + i;
        CHECK_OK(ctx, clnn_dropout_forward(ctx, tx, p, SEED, STREAM + s, one, NULL));
        uint32_t *d = sp_words(ctx, one);
        if (memcmp(d, y + s * n, n * 4) != 0 && bad_dropout == K) bad_dropout = s;
        free(d);
    }
    CHECK(bad == K * n, "msdropout n=%zu K=%u p=%g: y[%zu] differs from the reference mask", n, K, (double)p, bad);
    CHECK(bad_dropout == K, "msdropout n=%zu K=%u p=%g: sample %zu differs from clnn_dropout_forward", n, K, (double)p,
          bad_dropout);

    /* backward: the double reference sum, and central differences of
     * L(x) = Σ_s Σ_i dy[s, i]·y_s(x)_i (exact for this linear map up to rounding) */
    double *want = malloc(n * sizeof *want), *fd = malloc(n * sizeof *fd);
    REQUIRE(want && fd, "host memory");
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0, up = 0.0, down = 0.0, h = 1e-3;
        for (unsigned s = 0; s < K; s++)
            if (ref_keep(SEED, STREAM + s, i, p)) {
                sum += (double)dy[s * n + i] / (1.0 - (double)p);
                up += dy[s * n + i] * ((x[i] + h) / (1.0 - (double)p));
                down += dy[s * n + i] * ((x[i] - h) / (1.0 - (double)p));
            }
        want[i] = sum;
        fd[i] = (up - down) / (2 * h);
    }
    /* K fp32 products and sums of terms up to 1/(1-p) = 10 */
    double err = test_max_rel_error(dx, want, n, 1e-6 * K * scale, 1e-6);
    CHECK(err <= 1.0, "msdropout backward n=%zu K=%u p=%g: error %.3g of tolerance", n, K, (double)p, err);
    err = test_max_rel_error(dx, fd, n, 1e-5 * K * scale, 1e-5);
    CHECK(err <= 1.0, "msdropout backward n=%zu K=%u p=%g vs finite differences: error %.3g", n, K, (double)p, err);
    if (K == 1) {
        CHECK_OK(ctx, clnn_dropout_backward(ctx, tdy, p, SEED, STREAM, one));
        float *d = test_download(ctx, one);
        CHECK(memcmp(d, dx, n * 4) == 0, "msdropout backward n=%zu K=1 p=%g: not clnn_dropout_backward's bits", n,
              (double)p);
        free(d);
    }
    free(x), free(dy), free(y), free(dx), free(want), free(fd);
    clnn_tensor_release(tx), clnn_tensor_release(ty), clnn_tensor_release(tdy), clnn_tensor_release(tdx);
    clnn_tensor_release(one);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const size_t sizes[] = {1, 2, 3, 5, 7, 31, 4099};
    const unsigned ks[] = {1, 2, 5, 8};
    const float ps[] = {0.0f, 0.3f, 0.9f};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t k = 0; k < 4; k++) check_case(ctx, sizes[i], ks[k], ps[(i + k) % 3]);
    if (test_large("multi-sample dropout of 2^20 + 3 elements, K = 4")) check_case(ctx, (1u << 20) + 3, 4, 0.25f);
    clnn_context_release(ctx);
    return check_summary();
}
