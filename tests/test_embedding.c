/* Embedding lookup against its definition: the forward gather (NaN rows for
 * indices outside [0, V)), the backward as per-index sums of dy in double
 * (padding row, rows no token names and bad indices 0), the same bits on a
 * second run and under forced local sizes of the scatter, and refusals that
 * leave the outputs alone. */
#include "check.h"

#include <math.h>

static clnn_tensor *int_tensor(clnn_context *ctx, size_t n, const int32_t *v)
{
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &t));
    CHECK_OK(ctx, clnn_tensor_upload(t, v, n * sizeof *v));
    return t;
}

/* T tokens over V rows of D; every 7th index repeats index 2, one is bad
 * (-1 or V) when with_bad. */
static void check_case(clnn_context *ctx, size_t T, size_t V, size_t D, int32_t padding, int with_bad)
{
    int32_t *idx = malloc(T * sizeof *idx);
    float *w = malloc(V * D * sizeof *w), *dy = malloc(T * D * sizeof *dy);
    double *want = malloc((T > V ? T : V) * D * sizeof *want);
    REQUIRE(idx && w && dy && want, "host memory");
    uint64_t s = 99 + T;
    for (size_t t = 0; t < T; t++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        idx[t] = t % 7 == 3 ? 2 : (int32_t)((s >> 33) % V);
    }
    if (with_bad && T > 5) idx[1] = -1, idx[T - 2] = (int32_t)V;
    test_fill_uniform(w, V * D, (unsigned)(V * D), -1, 1);
    test_fill_uniform(dy, T * D, (unsigned)(T * D), -1, 1);
    const size_t wshape[2] = {V, D}, yshape[2] = {T, D};
    clnn_tensor *ti = int_tensor(ctx, T, idx), *tw = test_tensor_from(ctx, 2, wshape, w);
    clnn_tensor *tdy = test_tensor_from(ctx, 2, yshape, dy), *ty = NULL, *tdw = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, yshape, &ty));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, wshape, &tdw));

    CHECK_OK(ctx, clnn_embedding_forward(ctx, tw, ti, ty));
    float *y = test_download(ctx, ty);
    size_t bad = 0;
    for (size_t t = 0; t < T; t++)
        for (size_t d = 0; d < D; d++) {
            const int ok = idx[t] >= 0 && (size_t)idx[t] < V;
            const float got = y[t * D + d];
            bad += ok ? got != w[(size_t)idx[t] * D + d] : !isnan(got);
        }
    CHECK(bad == 0, "embedding forward T=%zu V=%zu D=%zu: %zu elements wrong", T, V, D, bad);

    CHECK_OK(ctx, clnn_embedding_backward(ctx, ti, tdy, padding, tdw));
    float *dw = test_download(ctx, tdw);
    const int32_t pad = padding == CLNN_EMBEDDING_NO_PADDING ? -1 : padding < 0 ? padding + (int32_t)V : padding;
    for (size_t i = 0; i < V * D; i++) want[i] = 0.0;
    for (size_t t = 0; t < T; t++)
        if (idx[t] >= 0 && (size_t)idx[t] < V && idx[t] != pad)
            for (size_t d = 0; d < D; d++) want[(size_t)idx[t] * D + d] += dy[t * D + d];
    double e = test_max_rel_error(dw, want, V * D, 1e-6 * (double)T, 1e-5);
    CHECK(e <= 1, "embedding backward T=%zu V=%zu D=%zu padding %d: error %.3g of tolerance", T, V, D,
          (int)padding, e);
    if (pad >= 0) {
        size_t nonzero = 0;
        for (size_t d = 0; d < D; d++) nonzero += dw[(size_t)pad * D + d] != 0.0f;
        CHECK(nonzero == 0, "the padding row %d has %zu nonzero gradients", (int)pad, nonzero);
    }

    /* the same bits again, and with the scatter's work-groups forced to other sizes */
    static const size_t locals[] = {1, 3, 64};
    for (size_t k = 0; k <= sizeof locals / sizeof locals[0]; k++) {
        if (k > 0) {
            clnn_tune_config cfg = {{locals[k - 1], 1, 1}, {0}};
            if (clnn_tune_force(ctx, "embedding.scatter", &cfg) != CLNN_OK) continue;
        }
        CHECK_OK(ctx, clnn_tensor_fill(tdw, 5.0f));
        CHECK_OK(ctx, clnn_embedding_backward(ctx, ti, tdy, padding, tdw));
        CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
        float *again = test_download(ctx, tdw);
        CHECK(memcmp(again, dw, V * D * sizeof *dw) == 0, "embedding backward T=%zu: other bits (local %zu)", T,
              k ? locals[k - 1] : (size_t)0);
        free(again);
    }
    free(y), free(dw), free(idx), free(w), free(dy), free(want);
    clnn_tensor_release(ti), clnn_tensor_release(tw), clnn_tensor_release(tdy), clnn_tensor_release(ty);
    clnn_tensor_release(tdw);
}

static void check_refusals(clnn_context *ctx)
{
    const int32_t idx[4] = {0, 1, 2, 1};
    float sentinel[12];
    for (int i = 0; i < 12; i++) sentinel[i] = 42.0f;
    const size_t w3[2] = {3, 4}, y4[2] = {4, 4}, y3[2] = {3, 4}, w34[2] = {4, 3};
    clnn_tensor *ti = int_tensor(ctx, 4, idx), *tw = test_tensor_from(ctx, 2, w3, sentinel);
    clnn_tensor *ty3 = test_tensor_from(ctx, 2, y3, sentinel), *tdw = test_tensor_from(ctx, 2, w3, sentinel);
    clnn_tensor *tw34 = test_tensor_from(ctx, 2, w34, sentinel), *ty = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 2, y4, &ty));
    const char *f = "clnn_embedding_forward", *b = "clnn_embedding_backward";
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_embedding_forward(ctx, tw, ti, ty3));     /* 3 rows for 4 indices */
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_embedding_forward(ctx, tw34, ti, ty));    /* D = 3, y rows of 4 */
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, f, clnn_embedding_forward(ctx, tw, tw, ty));      /* fp32 indices */
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, b, clnn_embedding_backward(ctx, ti, ty, 3, tdw)); /* padding >= V */
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, b, clnn_embedding_backward(ctx, ti, ty, -4, tdw));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, b, clnn_embedding_backward(ctx, ti, ty3, 0, tdw));
    float *w_after = test_download(ctx, tdw), *y_after = test_download(ctx, ty3);
    CHECK(memcmp(w_after, sentinel, 12 * sizeof(float)) == 0 && memcmp(y_after, sentinel, 12 * sizeof(float)) == 0,
          "a refused embedding call wrote an output");
    free(w_after), free(y_after);
    clnn_tensor_release(ti), clnn_tensor_release(tw), clnn_tensor_release(ty3), clnn_tensor_release(tdw);
    clnn_tensor_release(tw34), clnn_tensor_release(ty);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_case(ctx, 1, 1, 1, CLNN_EMBEDDING_NO_PADDING, 0);
    check_case(ctx, 37, 11, 5, 2, 1);
    check_case(ctx, 37, 11, 5, -1, 1);
    check_case(ctx, 300, 7, 33, CLNN_EMBEDDING_NO_PADDING, 1); /* long runs of equal indices */
    if (!test_small()) check_case(ctx, 4099, 257, 64, 0, 1);
    check_refusals(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
