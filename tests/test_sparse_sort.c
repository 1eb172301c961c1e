/* The device radix sort (clnn_sort, clnn_sort_descending,
 * include/clnn/sparse.h) against a stable
 * qsort of the same keys (tests/ref/ref_sparse.c, by value: -0.0 before
 * +0.0, NaNs last in input order): sizes 1, 2, 3, odd primes, powers of two
 * and their neighbours up to 2^20 + 1, and 2^22 (large mode); keys with
 * heavy duplicates, ±inf, NaNs of both signs and several payloads, ±0,
 * denormals and ±FLT_MAX. The sorted keys must match bit for bit, the
 * carried values and the argsort permutation exactly; in-place sorting and
 * other LANES / local sizes give the same bits. Descending fp32 and both
 * orders of int32 keys against a stable host sort on the documented keys. */
#include "check.h"
#include "ref/ref_sparse.h"
#include "sparse_util.h"

#include <float.h>
#include <math.h>

static uint32_t next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return (uint32_t)(*s >> 32);
}

/* The first position where the sorted keys differ from keys[perm[i]] (n: none). */
static size_t first_key_mismatch(const uint32_t *got, const float *keys, const uint32_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != sp_bits(keys[perm[i]])) return i;
    return n;
}

/* kind 0: spread values with specials; 1: 7 distinct values (heavy
 * duplicates, both zeros, a NaN); 2: descending; 3: all equal. */
static float *make_keys(size_t n, int kind, unsigned seed)
{
    static const uint32_t specials[] = {0x7FC00000u, 0xFFC00001u, 0x7F800001u, 0x7F800000u, 0xFF800000u,
                                        0x80000000u, 0x00000000u, 0x00000001u, 0x80000007u, 0x7F7FFFFFu,
                                        0xFF7FFFFFu, 0x3F800000u};
    static const float few[] = {-2.5f, -0.0f, 0.0f, 1.0f, 3.25f, 1e30f, NAN};
    float *k = malloc(n * sizeof *k + 4);
    REQUIRE(k, "host memory");
    uint64_t s = 0x9E3779B97F4A7C15ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = next(&s);
        if (kind == 0) k[i] = r % 16 == 0 ? sp_float(specials[(r >> 4) % 12]) : ((float)(r >> 8) - 8388608.0f) * 1e-3f;
        else if (kind == 1) k[i] = few[r % 7];
        else if (kind == 2) k[i] = (float)n - (float)i;
        else k[i] = 0.5f;
    }
    return k;
}

/* One sort case: keys only, keys + carried values, argsort alone. */
static void check_sort(clnn_context *ctx, size_t n, int kind)
{
    float *keys = make_keys(n, kind, (unsigned)(n * 31 + (size_t)kind));
    int32_t *vals = malloc(n * sizeof *vals + 4);
    uint32_t *perm = malloc(n * sizeof *perm + 4);
    REQUIRE(vals && perm, "host memory");
    for (size_t i = 0; i < n; i++) vals[i] = (int32_t)(i * 2654435761u);
    ref_argsort(keys, n, perm);
    clnn_tensor *tk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, keys, 0), *tv = sp_tensor(ctx, CLNN_INT32, n, 0, vals, 0);
    clnn_tensor *sk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 9.0f), *sv = sp_tensor(ctx, CLNN_INT32, n, 0, NULL, 9);

    CHECK_OK(ctx, clnn_sort(ctx, tk, NULL, sk, NULL));
    uint32_t *got = sp_words(ctx, sk);
    size_t bad = first_key_mismatch(got, keys, perm, n);
    CHECK(bad == n, "sort n=%zu kind %d: key %zu is %08x, expected %08x", n, kind, bad, got[bad < n ? bad : 0],
          sp_bits(keys[perm[bad < n ? bad : 0]]));
    free(got);

    CHECK_OK(ctx, clnn_tensor_fill(sk, 9.0f));
    CHECK_OK(ctx, clnn_sort(ctx, tk, tv, sk, sv));
    got = sp_words(ctx, sk);
    uint32_t *gv = sp_words(ctx, sv);
    bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (got[i] != sp_bits(keys[perm[i]]) || (int32_t)gv[i] != vals[perm[i]]) bad = i;
    CHECK(bad == n, "sort n=%zu kind %d with values: position %zu differs", n, kind, bad);
    free(got), free(gv);

    CHECK_OK(ctx, clnn_sort(ctx, tk, NULL, NULL, sv));
    gv = sp_words(ctx, sv);
    bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (gv[i] != perm[i]) bad = i;
    CHECK(bad == n, "argsort n=%zu kind %d: position %zu is %u, expected %u", n, kind, bad, gv[bad < n ? bad : 0],
          perm[bad < n ? bad : 0]);
    free(gv);

    /* the input is untouched */
    got = sp_words(ctx, tk);
    CHECK(memcmp(got, keys, n * 4) == 0, "sort n=%zu: the input keys changed", n);
    free(got);
    free(keys), free(vals), free(perm);
    clnn_tensor_release(tk), clnn_tensor_release(tv), clnn_tensor_release(sk), clnn_tensor_release(sv);
}

/* In place (sorted_keys = keys, sorted_values = values) gives the same bits. */
static void check_in_place(clnn_context *ctx, size_t n)
{
    float *keys = make_keys(n, 0, 77);
    int32_t *vals = malloc(n * sizeof *vals);
    uint32_t *perm = malloc(n * sizeof *perm);
    REQUIRE(vals && perm, "host memory");
    for (size_t i = 0; i < n; i++) vals[i] = (int32_t)i * 3 - 5;
    ref_argsort(keys, n, perm);
    clnn_tensor *tk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, keys, 0), *tv = sp_tensor(ctx, CLNN_INT32, n, 0, vals, 0);
    CHECK_OK(ctx, clnn_sort(ctx, tk, tv, tk, tv));
    uint32_t *gk = sp_words(ctx, tk), *gv = sp_words(ctx, tv);
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (gk[i] != sp_bits(keys[perm[i]]) || (int32_t)gv[i] != vals[perm[i]]) bad = i;
    CHECK(bad == n, "in-place sort n=%zu: position %zu differs", n, bad);
    free(gk), free(gv), free(keys), free(vals), free(perm);
    clnn_tensor_release(tk), clnn_tensor_release(tv);
}

/* Other LANES (elements per lane) and local sizes of each kernel, including
 * a local size above LANES (idle work-items), give the same bits. */
static void check_configs(clnn_context *ctx, size_t n)
{
    static const struct {
        const char *id;
        size_t local;
        int lanes;
    } cfgs[] = {{"sparse.radix_scatter", 32, 64}, {"sparse.radix_scatter", 256, 64}, {"sparse.radix_scatter", 1, 128},
                {"sparse.radix_count", 64, 128},  {"sparse.radix_count", 128, 64},   {"sparse.radix_scan", 16, 0},
                {"sparse.radix_scan", 1, 0}};
    float *keys = make_keys(n, 1, 5);
    clnn_tensor *tk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, keys, 0), *sk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 0);
    clnn_tensor *sv = sp_tensor(ctx, CLNN_INT32, n, 0, NULL, 0);
    CHECK_OK(ctx, clnn_sort(ctx, tk, NULL, sk, sv));
    uint32_t *ref_k = sp_words(ctx, sk), *ref_v = sp_words(ctx, sv);
    for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
        if (!sp_force(ctx, cfgs[c].id, cfgs[c].local, cfgs[c].lanes)) continue;
        CHECK_OK(ctx, clnn_tensor_fill(sk, 0.0f));
        CHECK_OK(ctx, clnn_sort(ctx, tk, NULL, sk, sv));
        sp_unforce(ctx);
        uint32_t *gk = sp_words(ctx, sk), *gv = sp_words(ctx, sv);
        CHECK(memcmp(gk, ref_k, n * 4) == 0 && memcmp(gv, ref_v, n * 4) == 0,
              "sort n=%zu: %s with local %zu, LANES %d gives other bits", n, cfgs[c].id, cfgs[c].local, cfgs[c].lanes);
        free(gk), free(gv);
    }
    free(ref_k), free(ref_v), free(keys);
    clnn_tensor_release(tk), clnn_tensor_release(sk), clnn_tensor_release(sv);
}

/* Two tiles (4097 keys), keys only: the multi-tile path once on the simulator. */
static void check_two_tiles(clnn_context *ctx)
{
    size_t n = 4097;
    float *keys = make_keys(n, 0, 3);
    uint32_t *perm = malloc(n * sizeof *perm);
    REQUIRE(perm, "host memory");
    ref_argsort(keys, n, perm);
    clnn_tensor *tk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, keys, 0), *sk = sp_tensor(ctx, CLNN_FLOAT32, n, 0, NULL, 0);
    CHECK_OK(ctx, clnn_sort(ctx, tk, NULL, sk, NULL));
    uint32_t *got = sp_words(ctx, sk);
    size_t bad = first_key_mismatch(got, keys, perm, n);
    CHECK(bad == n, "sort of 4097 keys: position %zu differs", bad);
    free(got), free(keys), free(perm);
    clnn_tensor_release(tk), clnn_tensor_release(sk);
}

/* The documented orders as uint keys, written from include/clnn/sparse.h:
 * fp32 by value (-0.0 before +0.0, every NaN last), int32 by value;
 * descending is the complement (NaNs first), equal keys in input order. */
static uint32_t order_of(uint32_t b, int ints, int descending)
{
    uint32_t up = ints ? b ^ 0x80000000u : (b & 0x7FFFFFFFu) > 0x7F800000u ? 0xFFFFFFFFu
                                        : (b & 0x80000000u)              ? ~b
                                                                         : b | 0x80000000u;
    return descending ? ~up : up;
}

static const uint32_t *sort_keys_host;
static int by_key_then_index(const void *a, const void *b)
{
    const uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    const uint32_t ki = sort_keys_host[i], kj = sort_keys_host[j];
    return ki != kj ? (ki < kj ? -1 : 1) : (i < j ? -1 : i > j);
}

/* Descending fp32 keys and int32 keys both ways (clnn_sort_descending, and
 * clnn_sort on int32): the sorted bits and the argsort permutation against
 * a stable host sort on the orders' keys. */
static void check_orders(clnn_context *ctx, size_t n)
{
    float *f = make_keys(n, 0, (unsigned)n + 5);
    uint32_t *bits = malloc(n * sizeof *bits), *key = malloc(n * sizeof *key), *perm = malloc(n * sizeof *perm);
    REQUIRE(bits && key && perm, "host memory");
    for (int ints = 0; ints <= 1; ints++)
        for (int desc = 0; desc <= 1; desc++) {
            if (!ints && !desc) continue; /* check_sort's case */
            uint64_t s = 77 + n;
            for (size_t i = 0; i < n; i++) {
                /* int keys: both signs, heavy duplicates, the extremes */
                const uint32_t r = next(&s);
                bits[i] = ints ? (r % 5 == 0 ? 0x80000000u : r % 5 == 1 ? 0x7FFFFFFFu : (uint32_t)((int32_t)(r % 17) - 8))
                               : sp_bits(f[i]);
                key[i] = order_of(bits[i], ints, desc);
                perm[i] = (uint32_t)i;
            }
            sort_keys_host = key;
            qsort(perm, n, sizeof *perm, by_key_then_index);
            const clnn_dtype dt = ints ? CLNN_INT32 : CLNN_FLOAT32;
            clnn_tensor *tk = NULL, *sk = NULL, *sv = NULL;
            CHECK_OK(ctx, clnn_tensor_create(ctx, dt, 1, &n, &tk));
            CHECK_OK(ctx, clnn_tensor_create(ctx, dt, 1, &n, &sk));
            CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_INT32, 1, &n, &sv));
            CHECK_OK(ctx, clnn_tensor_upload(tk, bits, n * sizeof *bits));
            CHECK_OK(ctx, desc ? clnn_sort_descending(ctx, tk, NULL, sk, sv) : clnn_sort(ctx, tk, NULL, sk, sv));
            uint32_t *got = malloc(n * sizeof *got), *gperm = malloc(n * sizeof *gperm);
            REQUIRE(got && gperm, "host memory");
            CHECK_OK(ctx, clnn_tensor_download(sk, got, n * sizeof *got));
            CHECK_OK(ctx, clnn_tensor_download(sv, gperm, n * sizeof *gperm));
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += got[i] != bits[perm[i]] || gperm[i] != perm[i];
            CHECK(bad == 0, "sort of %zu %s keys %s: %zu positions differ from the stable reference", n,
                  ints ? "int32" : "fp32", desc ? "descending" : "ascending", bad);
            free(got), free(gperm);
            clnn_tensor_release(tk), clnn_tensor_release(sk), clnn_tensor_release(sv);
        }
    free(f), free(bits), free(key), free(perm);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_orders(ctx, 257);
    check_orders(ctx, test_small() ? 300 : 9000);
    /* 1, 2, 3, odd primes, 2^k - 1, 2^k, 2^k + 1, around the tile (4096) */
    const size_t small[] = {1, 2, 3, 5, 7, 31, 127, 255, 256, 257};
    const size_t mid[] = {4093, 4095, 4096, 4097, 8191};
    const size_t big[] = {65535, 65536, 65537, 1000003, (1u << 20) - 1, 1u << 20, (1u << 20) + 1};
    /* the simulator runs a 4096-key tile in ~1 s per pass: there the
     * multi-tile path runs once (check_two_tiles) */
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        for (int kind = 0; kind < 4; kind++)
            if (!test_small() || kind < 2) check_sort(ctx, small[i], kind);
    check_in_place(ctx, 257);
    check_two_tiles(ctx);
    check_configs(ctx, test_small() ? 300 : 65537);
    if (test_large("sort of 4093 .. 8191 keys, 4 kinds each"))
        for (size_t i = 0; i < sizeof mid / sizeof mid[0]; i++)
            for (int kind = 0; kind < 4; kind++) check_sort(ctx, mid[i], kind);
    if (test_large("sort of 65535 .. 2^20 + 1 keys"))
        for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) check_sort(ctx, big[i], (int)(i % 2));
    if (test_large("sort of 2^22 keys")) {
        check_sort(ctx, 1u << 22, 0);
        check_in_place(ctx, (1u << 22) + 1);
    }
    clnn_context_release(ctx);
    return check_summary();
}
