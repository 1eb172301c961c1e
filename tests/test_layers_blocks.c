/* Residual add (and its backward), concatenation and split along dimension 1
 * against index arithmetic on the host: exact results, since they only move
 * or add single values. Shapes: 2-D [N, C] and 4-D NCHW with prime sizes,
 * batch 1, and a 2^20 + element residual add. */
#include "check.h"

static void check_residual(clnn_context *ctx, size_t n)
{
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    REQUIRE(a && b, "host memory");
    test_fill_uniform(a, n, 3, -1, 1);
    test_fill_uniform(b, n, 4, -1, 1);
    clnn_tensor *ta = test_tensor_from(ctx, 1, &n, a), *tb = test_tensor_from(ctx, 1, &n, b), *ty = NULL, *tga = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &ty));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &tga));
    CHECK_OK(ctx, clnn_residual_add(ctx, ta, tb, ty));
    float *y = test_download(ctx, ty);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += y[i] != a[i] + b[i];
    CHECK(bad == 0, "residual add n=%zu: %zu wrong", n, bad);
    /* backward: da = dy, then accumulate: da = dy + dy; db into b in place */
    CHECK_OK(ctx, clnn_residual_add_backward(ctx, ty, 0, tga, NULL));
    CHECK_OK(ctx, clnn_residual_add_backward(ctx, ty, 1, tga, tb));
    float *ga = test_download(ctx, tga), *gb = test_download(ctx, tb);
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += ga[i] != 2.0f * y[i] || gb[i] != b[i] + y[i];
    CHECK(bad == 0, "residual backward n=%zu: %zu wrong", n, bad);
    free(a); free(b); free(y); free(ga); free(gb);
    clnn_tensor_release(ta); clnn_tensor_release(tb); clnn_tensor_release(ty); clnn_tensor_release(tga);
}

/* Concatenates parts of `channels[i]` channels of shape [n, c, rest...]. */
static void check_concat(clnn_context *ctx, int ndim, const size_t *shape, size_t count, const size_t *channels)
{
    size_t inner = 1, total_c = 0, n = shape[0];
    for (int d = 2; d < ndim; d++) inner *= shape[d];
    for (size_t k = 0; k < count; k++) total_c += channels[k];
    clnn_tensor *parts[4], *back[4], *out = NULL;
    float *host[4];
    size_t s[4];
    for (int d = 0; d < ndim; d++) s[d] = shape[d];
    for (size_t k = 0; k < count; k++) {
        s[1] = channels[k];
        size_t m = n * channels[k] * inner;
        host[k] = malloc(m * sizeof *host[k]);
        REQUIRE(host[k], "host memory");
        test_fill_uniform(host[k], m, (unsigned)(k + 1), -1, 1);
        parts[k] = test_tensor_from(ctx, ndim, s, host[k]);
        CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, s, &back[k]));
    }
    s[1] = total_c;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, ndim, s, &out));
    CHECK_OK(ctx, clnn_concat(ctx, count, (const clnn_tensor *const *)parts, out));
    float *o = test_download(ctx, out);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c0 = 0;
        for (size_t k = 0; k < count; k++) {
            for (size_t c = 0; c < channels[k]; c++)
                for (size_t r = 0; r < inner; r++)
                    bad += o[(i * total_c + c0 + c) * inner + r] != host[k][(i * channels[k] + c) * inner + r];
            c0 += channels[k];
        }
    }
    CHECK(bad == 0, "concat of %zu parts (%d-D, batch %zu): %zu wrong", count, ndim, n, bad);
    /* split is its inverse (and concat's backward) */
    CHECK_OK(ctx, clnn_split(ctx, out, count, back));
    for (size_t k = 0; k < count; k++) {
        float *b = test_download(ctx, back[k]);
        CHECK(memcmp(b, host[k], clnn_tensor_count(back[k]) * sizeof *b) == 0, "split part %zu differs", k);
        free(b);
        free(host[k]);
        clnn_tensor_release(parts[k]);
        clnn_tensor_release(back[k]);
    }
    free(o);
    clnn_tensor_release(out);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_residual(ctx, 1);
    check_residual(ctx, 7);
    check_residual(ctx, 4099);
    if (test_large("residual on 2^20 + 7 elements")) check_residual(ctx, ((size_t)1 << 20) + 7);
    size_t s2[2] = {7, 0}, c2[3] = {3, 1, 13};
    check_concat(ctx, 2, s2, 3, c2);
    size_t s4[4] = {2, 0, 5, 7}, c4[2] = {3, 11};
    check_concat(ctx, 4, s4, 2, c4);
    size_t s4b[4] = {1, 0, 1, 1}, c4b[1] = {1};
    check_concat(ctx, 4, s4b, 1, c4b);
    size_t s3[3] = {1, 0, 257}, c3[4] = {2, 5, 1, 31};
    check_concat(ctx, 3, s3, 4, c3);
    clnn_context_release(ctx);
    return check_summary();
}
