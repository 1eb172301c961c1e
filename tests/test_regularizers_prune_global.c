/* Global magnitude pruning over several tensors and Ln-structured pruning,
 * against double references written from torch.nn.utils.prune's
 * definitions: the pruned count is round(amount·total) half to even (or the
 * count), global pruning removes the smallest |w| of all tensors together
 * (a host sort of every |w|; ties: the higher position in w[0], w[1], ...
 * goes first), structured pruning removes the slices of smallest Ln norm
 * (norms in double; ties keep the lower slice). Masks must match exactly:
 * values on a grid of 1/8 (many exact ties, +0 and −0) for the global case;
 * slices that are exact copies of each other (exact norm ties) or whose
 * norms are apart by a margin the test data is checked for, for the
 * structured case, so fp32 accumulation cannot reorder them. */
#include "check.h"

#include <math.h>

static clnn_context *ctx;

/* Python's round(x) for x >= 0: to nearest, ties to even. */
static size_t round_half_even(double x)
{
    double r = floor(x), d = x - r;
    if (d > 0.5 || (d == 0.5 && fmod(r, 2.0) != 0)) r += 1;
    return (size_t)r;
}

static size_t pruned_count(double amount, int by_count, size_t total)
{
    return by_count ? (size_t)amount : round_half_even(amount * (double)total);
}

typedef struct ranked {
    double mag;
    size_t index;
} ranked;

/* ascending magnitude (NaN largest); among equals the higher index first (pruned first) */
static int by_prune_order(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int na = isnan(a->mag), nb = isnan(b->mag);
    if (na != nb) return na - nb;
    if (!na && a->mag != b->mag) return a->mag < b->mag ? -1 : 1;
    return a->index > b->index ? -1 : a->index < b->index;
}

/* mask over n values: the `pruned` first in prune order get 0 */
static void ref_prune_smallest(const double *mag, size_t n, size_t pruned, float *mask)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    REQUIRE(r, "out of memory");
    for (size_t i = 0; i < n; i++) r[i] = (ranked){mag[i], i}, mask[i] = 1.0f;
    qsort(r, n, sizeof *r, by_prune_order);
    for (size_t i = 0; i < pruned; i++) mask[r[i].index] = 0.0f;
    free(r);
}

static void fill_ties(float *w, size_t n, unsigned seed)
{
    test_fill_uniform(w, n, seed, -2.0f, 2.0f);
    for (size_t i = 0; i < n; i++) {
        w[i] = roundf(w[i] * 8.0f) / 8.0f;
        if (w[i] == 0.0f) w[i] = (i & 1) ? -0.0f : 0.0f;
    }
}

#define MAXT 5
static void global_case(size_t nt, const size_t *counts, double amount, int by_count, int with_nan)
{
    size_t total = 0;
    for (size_t t = 0; t < nt; t++) total += counts[t];
    float *all = malloc(total * sizeof(float)), *ref = malloc(total * sizeof(float));
    double *mag = malloc(total * sizeof(double));
    REQUIRE(all && ref && mag, "out of memory");
    fill_ties(all, total, (unsigned)(total * 3 + nt));
    if (with_nan) all[total / 2] = NAN;
    const clnn_tensor *w[MAXT];
    clnn_tensor *m[MAXT];
    size_t off = 0;
    for (size_t t = 0; t < nt; off += counts[t], t++) {
        w[t] = test_tensor_from(ctx, 1, &counts[t], all + off);
        m[t] = test_tensor_from(ctx, 1, &counts[t], all + off); /* overwritten */
    }
    for (size_t i = 0; i < total; i++) mag[i] = fabs((double)all[i]);
    ref_prune_smallest(mag, total, pruned_count(amount, by_count, total), ref);
    CHECK_OK(ctx, clnn_prune_global_mask(ctx, nt, w, amount, by_count, m));
    size_t diff = 0;
    off = 0;
    for (size_t t = 0; t < nt; off += counts[t], t++) {
        float *got = test_download(ctx, m[t]);
        for (size_t i = 0; i < counts[t]; i++) diff += memcmp(&got[i], &ref[off + i], sizeof(float)) != 0;
        free(got);
        clnn_tensor_release((clnn_tensor *)w[t]), clnn_tensor_release(m[t]);
    }
    CHECK(diff == 0, "global pruning of %zu tensors (%zu elements), amount %g%s%s: %zu mask entries differ", nt, total,
          amount, by_count ? " (count)" : "", with_nan ? ", a NaN" : "", diff);
    free(all), free(ref), free(mag);
}

/* w [outer, len, inner]: slice l holds vector (7 l) mod 5 of five random
 * ones (signs varying with l): slices of the same vector are exact copies
 * (exact norm ties, also in fp32); different vectors rank differently under
 * the three norms. The data must leave the cut between pruned and kept
 * slices at a clear margin (or an exact tie), else fp32 could reorder it. */
static void ln_case(int ndim, const size_t *shape, int dim, float p, double amount, int by_count)
{
    size_t n = 1, d = (size_t)(dim < 0 ? dim + ndim : dim), outer = 1, inner = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    for (size_t i = 0; i < d; i++) outer *= shape[i];
    for (size_t i = d + 1; i < (size_t)ndim; i++) inner *= shape[i];
    const size_t len = shape[d], m = outer * inner, pruned = pruned_count(amount, by_count, len);
    float *w = malloc(n * sizeof(float)), *v = malloc(5 * m * sizeof(float));
    float *kept = malloc(len * sizeof(float)), *ref = malloc(n * sizeof(float));
    double *norm = calloc(len, sizeof(double)), *sorted = malloc(len * sizeof(double));
    REQUIRE(w && v && kept && ref && norm && sorted, "out of memory");
    test_fill_uniform(v, 5 * m, (unsigned)(n + len), -1.0f, 1.0f);
    for (size_t o = 0; o < outer; o++)
        for (size_t l = 0; l < len; l++)
            for (size_t j = 0; j < inner; j++) {
                float x = v[(l * 7) % 5 * m + o * inner + j];
                double a = fabs((double)x);
                w[(o * len + l) * inner + j] = (o + l + j) % 3 == 0 ? -x : x;
                if (p == 1.0f) norm[l] += a;
                else if (p == 2.0f) norm[l] += a * a;
                else norm[l] = fmax(norm[l], a);
            }
    if (p == 2.0f)
        for (size_t l = 0; l < len; l++) norm[l] = sqrt(norm[l]);
    memcpy(sorted, norm, len * sizeof(double));
    for (size_t i = 1; i < len; i++) /* insertion sort, ascending */
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1], sorted[j - 1] = t;
        }
    if (pruned > 0 && pruned < len) {
        double lo = sorted[pruned - 1], hi = sorted[pruned];
        REQUIRE(lo == hi || hi - lo > 1e-4 * hi, "test data: norms %.9g and %.9g at the cut are too close", lo, hi);
    }
    /* prune order among equal norms: the higher slice first (the lower is kept) */
    ref_prune_smallest(norm, len, pruned_count(amount, by_count, len), kept);
    for (size_t i = 0; i < n; i++) ref[i] = kept[(i / inner) % len];
    clnn_tensor *tw = test_tensor_from(ctx, ndim, shape, w), *tm = test_tensor_from(ctx, ndim, shape, w);
    CHECK_OK(ctx, clnn_prune_ln_structured_mask(ctx, tw, amount, by_count, p, dim, tm));
    float *got = test_download(ctx, tm);
    size_t diff = 0;
    for (size_t i = 0; i < n; i++) diff += memcmp(&got[i], &ref[i], sizeof(float)) != 0;
    CHECK(diff == 0, "Ln-structured pruning, %d-D of %zu, dim %d, p %g, amount %g%s: %zu mask entries differ", ndim, n,
          dim, (double)p, amount, by_count ? " (count)" : "", diff);
    clnn_tensor_release(tw), clnn_tensor_release(tm);
    free(w), free(v), free(kept), free(ref), free(norm), free(sorted), free(got);
}

int main(void)
{
    ctx = test_context();
    /* 54 elements: 0.25 -> 13.5 -> 14 and 0.75 -> 40.5 -> 40 (half to even) */
    const size_t c4[4] = {6, 7, 1, 40}, c1[1] = {13}, c3[3] = {257, 3, 1000}, c2[2] = {1, 1};
    const double amounts[] = {0.0, 0.25, 0.3, 0.5, 0.75, 1.0};
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        global_case(4, c4, amounts[i], 0, 0);
        global_case(3, c3, amounts[i], 0, 0);
    }
    global_case(1, c1, 5, 1, 0), global_case(4, c4, 0, 1, 0), global_case(4, c4, 54, 1, 0);
    global_case(4, c4, 53, 1, 1), global_case(3, c3, 700, 1, 1), global_case(2, c2, 1, 1, 0);
    if (test_large("global pruning of 2^20 + 2^18 + 5 weights")) {
        const size_t big[3] = {(size_t)1 << 20, 5, (size_t)1 << 18};
        global_case(3, big, 0.6, 0, 0);
    }
    const size_t s1[1] = {10}, s2[2] = {9, 14}, s3[3] = {4, 7, 5}, s4[4] = {3, 6, 2, 5};
    const float ps[3] = {1.0f, 2.0f, INFINITY};
    for (int pi = 0; pi < 3; pi++) {
        float p = ps[pi];
        ln_case(1, s1, 0, p, 0.3, 0), ln_case(1, s1, -1, p, 4, 1);
        ln_case(2, s2, 0, p, 0.5, 0), ln_case(2, s2, 1, p, 0.25, 0), ln_case(2, s2, -1, p, 13, 1);
        ln_case(3, s3, 1, p, 0.5, 0), ln_case(3, s3, 0, p, 1, 1), ln_case(3, s3, 2, p, 0.6, 0);
        ln_case(4, s4, 1, p, 0.5, 0), ln_case(4, s4, 3, p, 0.0, 0), ln_case(4, s4, 2, p, 1.0, 0);
    }
    if (test_large("Ln-structured pruning of [64, 128, 3, 3] along dim 1")) {
        const size_t conv[4] = {64, 128, 3, 3};
        ln_case(4, conv, 1, 2.0f, 0.3, 0);
    }
    clnn_context_release(ctx);
    return check_summary();
}
