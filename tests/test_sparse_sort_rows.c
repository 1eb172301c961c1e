/* The per-row sort (clnn_sort_rows) against a stable host sort of each row
 * written from the documented order (ref_order_cmp): fp32 keys with ties,
 * signed zeros, infinities and NaNs, int32 keys, ascending and descending,
 * rows of 1 to 5000 keys, a 3-D tensor, in place, either output alone, and
 * bad input that leaves the outputs alone. */
#include "ref/ref_sparse.h"
#include "sparse_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL -7.0f

/* a before b in the row's result (stable: ties keep the input order). */
static int before(const void *keys, int ints, int descending, uint32_t a, uint32_t b)
{
    int c;
    if (ints) {
        int32_t x = ((const int32_t *)keys)[a], y = ((const int32_t *)keys)[b];
        c = x < y ? -1 : x > y;
    } else {
        c = ref_order_cmp(((const float *)keys)[a], ((const float *)keys)[b]);
    }
    if (descending) c = -c;
    return c < 0 || (c == 0 && a < b);
}

/* Insertion sort of one row's column indices (rows here are short or few). */
static void ref_sort_row(const void *row, size_t cols, int ints, int descending, uint32_t *perm)
{
    for (size_t i = 0; i < cols; i++) {
        uint32_t v = (uint32_t)i;
        size_t j = i;
        while (j > 0 && before(row, ints, descending, v, perm[j - 1])) perm[j] = perm[j - 1], j--;
        perm[j] = v;
    }
}

static void fill_keys(uint32_t *k, size_t n, int ints, unsigned seed)
{
    float *u = malloc(n * sizeof *u);
    REQUIRE(u, "host memory");
    test_fill_uniform(u, n, seed, 0.0f, 1.0f);
    static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f};
    for (size_t i = 0; i < n; i++) {
        if (ints) {
            k[i] = (uint32_t)(int32_t)(u[i] * 40.0f) - 20u; /* ties and negatives */
        } else {
            float x = floorf(u[i] * 32.0f) - 16.0f; /* ties */
            if (i % 11 == 3) x = special[(i / 11) % 7];
            k[i] = sp_bits(x);
        }
    }
    free(u);
}

static void check_rows(clnn_context *ctx, size_t rows, size_t cols, int ints, int descending, int mode, unsigned seed)
{
    size_t n = rows * cols;
    uint32_t *k = malloc(n * 4), *perm = malloc(cols * 4);
    REQUIRE(k && perm, "host memory");
    fill_keys(k, n, ints, seed);
    clnn_dtype dt = ints ? CLNN_INT32 : CLNN_FLOAT32;
    clnn_tensor *tk = sp_tensor(ctx, dt, rows, cols, k, 0), *sk = sp_tensor(ctx, dt, rows, cols, NULL, SENTINEL);
    clnn_tensor *ix = sp_tensor(ctx, CLNN_INT32, rows, cols, NULL, SENTINEL);
    char what[128];
    static const char *const modes[] = {"both", "keys only", "indices only", "in place"};
    snprintf(what, sizeof what, "sort_rows %zux%zu %s %s (%s)", rows, cols, ints ? "int32" : "fp32",
             descending ? "descending" : "ascending", modes[mode]);
    if (mode == 3) {
        CHECK_OK(ctx, clnn_sort_rows(ctx, tk, descending, tk, ix));
    } else {
        CHECK_OK(ctx, clnn_sort_rows(ctx, tk, descending, mode == 2 ? NULL : sk, mode == 1 ? NULL : ix));
    }
    uint32_t *gk = sp_words(ctx, mode == 3 ? tk : sk), *gi = sp_words(ctx, ix);
    size_t bad_k = 0, bad_i = 0;
    for (size_t r = 0; r < rows; r++) {
        ref_sort_row((const char *)k + 4 * r * cols, cols, ints, descending, perm);
        for (size_t j = 0; j < cols; j++) {
            size_t e = r * cols + j;
            if (mode != 2) bad_k += gk[e] != k[r * cols + perm[j]];
            if (mode != 1) bad_i += gi[e] != perm[j];
        }
    }
    CHECK(bad_k == 0 && bad_i == 0, "%s: %zu keys and %zu indices differ from the stable host sort", what, bad_k,
          bad_i);
    if (mode == 1) CHECK(gi[0] == (uint32_t)-7, "%s: indices written though NULL was passed for them", what);
    free(k), free(perm), free(gk), free(gi);
    clnn_tensor_release(tk), clnn_tensor_release(sk), clnn_tensor_release(ix);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *k = sp_tensor(ctx, CLNN_FLOAT32, 4, 6, NULL, 1.0f), *sk = sp_tensor(ctx, CLNN_FLOAT32, 4, 6, NULL, SENTINEL);
    clnn_tensor *ix = sp_tensor(ctx, CLNN_INT32, 4, 6, NULL, SENTINEL), *ix2 = sp_tensor(ctx, CLNN_INT32, 6, 4, NULL, SENTINEL);
    clnn_tensor *sk_i = sp_tensor(ctx, CLNN_INT32, 4, 6, NULL, SENTINEL), *flat = sp_tensor(ctx, CLNN_FLOAT32, 24, 0, NULL, SENTINEL);
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const char *f = "clnn_sort_rows";
    EXPECT_FAIL(NULL, INVAL, f, clnn_sort_rows(NULL, k, 0, sk, ix));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort_rows(ctx, NULL, 0, sk, ix));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort_rows(ctx, k, 2, sk, ix));
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort_rows(ctx, k, 0, NULL, NULL));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort_rows(ctx, k, 0, sk, ix2));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort_rows(ctx, k, 0, flat, ix));
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort_rows(ctx, k, 0, sk_i, ix)); /* int32 sorted_keys of fp32 keys */
    EXPECT_FAIL(ctx, SHAPE, f, clnn_sort_rows(ctx, k, 0, sk, sk));   /* fp32 indices */
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort_rows(ctx, sk_i, 0, NULL, sk_i)); /* indices over the keys */
    EXPECT_FAIL(ctx, INVAL, f, clnn_sort_rows(ctx, sk_i, 0, ix, ix));     /* indices over sorted_keys */
    test_expect_filled(ctx, "sorted_keys", sk, SENTINEL);
    test_expect_filled(ctx, "flat", flat, SENTINEL);
    test_expect_filled(ctx, "keys", k, 1.0f);
    uint32_t *w = sp_words(ctx, ix), *wk = sp_words(ctx, sk_i); /* int32 tensors hold (int)SENTINEL */
    CHECK(w[0] == (uint32_t)-7 && w[23] == (uint32_t)-7 && wk[0] == (uint32_t)-7 && wk[23] == (uint32_t)-7,
          "indices or int32 keys changed by a rejected call");
    free(w), free(wk);
    clnn_tensor *all[] = {k, sk, ix, ix2, sk_i, flat};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    const int small = test_small();
    unsigned seed = 1;
    for (int ints = 0; ints < 2; ints++)
        for (int desc = 0; desc < 2; desc++) {
            check_rows(ctx, 1, 1, ints, desc, 0, seed++);
            check_rows(ctx, 7, 13, ints, desc, 0, seed++);
            check_rows(ctx, 100, 3, ints, desc, 0, seed++);
            if (!small || ints == desc) check_rows(ctx, 3, small ? 1500 : 5000, ints, desc, 0, seed++); /* > 1 radix tile */
        }
    for (int mode = 1; mode < 4; mode++) check_rows(ctx, 5, 9, 0, mode & 1, mode, seed++);
    /* a 3-D tensor: rows of the last dimension */
    uint32_t k[2 * 3 * 4];
    fill_keys(k, 24, 0, 77);
    size_t shape[3] = {2, 3, 4};
    clnn_tensor *t = NULL, *ix = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 3, shape, &t));
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 3, shape, &ix));
    CHECK_OK(ctx, clnn_tensor_upload(t, k, sizeof k));
    CHECK_OK(ctx, clnn_sort_rows(ctx, t, 0, NULL, ix));
    uint32_t *gi = sp_words(ctx, ix), perm[4];
    size_t bad = 0;
    for (size_t r = 0; r < 6; r++) {
        ref_sort_row(k + 4 * r, 4, 0, 0, perm);
        for (size_t j = 0; j < 4; j++) bad += gi[4 * r + j] != perm[j];
    }
    CHECK(bad == 0, "sort_rows [2, 3, 4]: %zu indices differ", bad);
    free(gi);
    clnn_tensor_release(t), clnn_tensor_release(ix);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
