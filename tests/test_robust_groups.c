/* Group DRO and fairret (include/clnn/robust.h) against double code from
 * the definitions: DRO's group losses, weight update (with an empty group,
 * and a step large enough that e^(η ℓ) would overflow fp32 unshifted), the
 * loss with the updated weights, each row's gradient scale, a bad group id;
 * fairret's loss and its gradient against central differences (one-hot
 * groups whose rates differ); bad input refused with the outputs
 * unchanged. */
#include "check.h"

#include <math.h>

static clnn_tensor *vec(clnn_context *ctx, size_t n, const float *v) { return test_tensor_from(ctx, 1, &n, v); }

static clnn_tensor *ints(clnn_context *ctx, const int32_t *v, size_t n)
{
    clnn_tensor *t = test_filled(ctx, CLNN_INT32, n, 1, 0.0f);
    CHECK_OK(ctx, clnn_tensor_upload(t, v, n * sizeof *v));
    return t;
}

static void check_dro(clnn_context *ctx, size_t n, size_t groups, float eta, size_t d)
{
    float *l = malloc(n * sizeof *l), *q = malloc(groups * sizeof *q), *g = malloc(n * d * sizeof *g);
    int32_t *ids = malloc(n * sizeof *ids);
    double *lg = calloc(groups, sizeof *lg), *cnt = calloc(groups, sizeof *cnt), *wq = malloc(groups * sizeof *wq);
    REQUIRE(l && q && g && ids && lg && cnt && wq, "host memory");
    test_fill_uniform(l, n, (unsigned)(n + groups), 0.0f, 3.0f);
    test_fill_uniform(g, n * d, 5, -1.0f, 1.0f);
    for (size_t k = 0; k < groups; k++) q[k] = (float)(k + 1) / (float)(groups * (groups + 1) / 2);
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)((i * 3) % (groups - 1)); /* the last group stays empty */
    for (size_t i = 0; i < n; i++) lg[ids[i]] += l[i], cnt[ids[i]] += 1;
    double top = -INFINITY, z = 0.0, want = 0.0;
    for (size_t k = 0; k < groups; k++) {
        lg[k] /= fmax(cnt[k], 1.0);
        top = fmax(top, log(q[k]) + eta * lg[k]);
    }
    for (size_t k = 0; k < groups; k++) z += exp(log(q[k]) + eta * lg[k] - top);
    for (size_t k = 0; k < groups; k++) {
        wq[k] = exp(log(q[k]) + eta * lg[k] - top) / z;
        want += wq[k] * lg[k];
    }
    clnn_tensor *tl = vec(ctx, n, l), *tq = vec(ctx, groups, q), *tid = ints(ctx, ids, n);
    size_t shape[2] = {n, d};
    clnn_tensor *tg = test_tensor_from(ctx, 2, shape, g), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f);
    CHECK_OK(ctx, clnn_group_dro(ctx, tl, tid, eta, tq, loss, tg));
    float *v = test_download(ctx, loss), *nq = test_download(ctx, tq), *ng = test_download(ctx, tg);
    char what[64];
    snprintf(what, sizeof what, "group DRO N=%zu G=%zu eta %g", n, groups, (double)eta);
    CHECK(fabs(v[0] - want) <= 1e-6 + 1e-5 * fabs(want), "%s: loss %.9g, want %.9g", what, (double)v[0], want);
    double e = test_max_rel_error(nq, wq, groups, 1e-7, 1e-5);
    CHECK(e <= 1.0, "%s: updated q: error %.3g of tolerance", what, e);
    double *wg = malloc(n * d * sizeof *wg);
    REQUIRE(wg, "host memory");
    for (size_t i = 0; i < n * d; i++) wg[i] = g[i] * wq[ids[i / d]] / cnt[ids[i / d]];
    e = test_max_rel_error(ng, wg, n * d, 1e-7, 1e-5);
    CHECK(e <= 1.0, "%s: row gradients scaled by q_g / n_g: error %.3g of tolerance", what, e);
    free(l), free(q), free(g), free(ids), free(lg), free(cnt), free(wq), free(wg), free(v), free(nq), free(ng);
    clnn_tensor_release(tl), clnn_tensor_release(tq), clnn_tensor_release(tid), clnn_tensor_release(tg);
    clnn_tensor_release(loss);
}

static void check_dro_bad_id(clnn_context *ctx)
{
    const float l[3] = {1, 2, 3}, q[2] = {0.5f, 0.5f};
    const int32_t ids[3] = {0, 2, 1};
    clnn_tensor *tl = vec(ctx, 3, l), *tq = vec(ctx, 2, q), *tid = ints(ctx, ids, 3);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f);
    CHECK_OK(ctx, clnn_group_dro(ctx, tl, tid, 0.1f, tq, loss, NULL));
    float *v = test_download(ctx, loss), *nq = test_download(ctx, tq);
    CHECK(isnan(v[0]) && isnan(nq[0]) && isnan(nq[1]), "group DRO: a group id of 2 with G = 2 is not NaN");
    free(v), free(nq);
    clnn_tensor_release(tl), clnn_tensor_release(tq), clnn_tensor_release(tid), clnn_tensor_release(loss);
}

static double fairret_ref(const double *h, const float *s, size_t n, size_t k)
{
    double mean = 0.0, total = 0.0;
    for (size_t i = 0; i < n; i++) mean += h[i];
    mean /= (double)n;
    for (size_t g = 0; g < k; g++) {
        double sk = 0.0, hk = 0.0;
        for (size_t i = 0; i < n; i++) sk += s[i * k + g], hk += s[i * k + g] * h[i];
        total += fabs(hk / sk / mean - 1.0);
    }
    return total;
}

static void check_fairret(clnn_context *ctx, size_t n, size_t k)
{
    float *h = malloc(n * sizeof *h), *s = malloc(n * k * sizeof *s);
    double *hd = malloc(n * sizeof *hd), *fd = malloc(n * sizeof *fd);
    REQUIRE(h && s && hd && fd, "host memory");
    test_fill_uniform(h, n, 31, 0.05f, 0.95f);
    for (size_t i = 0; i < n; i++)
        for (size_t g = 0; g < k; g++) s[i * k + g] = i % k == g ? 1.0f : 0.0f; /* one-hot groups */
    for (size_t i = 0; i < n; i++) h[i] += (float)(i % k) * 0.02f;              /* rates differ by group */
    for (size_t i = 0; i < n; i++) hd[i] = h[i];
    size_t shape[2] = {n, k};
    clnn_tensor *th = vec(ctx, n, h), *ts = test_tensor_from(ctx, 2, shape, s);
    clnn_tensor *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, 0.0f), *dh = test_filled(ctx, CLNN_FLOAT32, n, 1, 0.0f);
    CHECK_OK(ctx, clnn_fairret_loss(ctx, th, ts, loss, dh));
    float *v = test_download(ctx, loss), *g = test_download(ctx, dh);
    const double want = fairret_ref(hd, s, n, k);
    CHECK(fabs(v[0] - want) <= 1e-6 + 1e-4 * want, "fairret N=%zu K=%zu: loss %.9g, want %.9g", n, k, (double)v[0],
          want);
    for (size_t i = 0; i < n; i++) {
        const double x0 = hd[i], step = 1e-6;
        hd[i] = x0 + step;
        const double up = fairret_ref(hd, s, n, k);
        hd[i] = x0 - step;
        const double down = fairret_ref(hd, s, n, k);
        hd[i] = x0;
        fd[i] = (up - down) / (2 * step);
    }
    const double e = test_max_rel_error(g, fd, n, 1e-5, 1e-3);
    CHECK(e <= 1.0, "fairret N=%zu K=%zu: dh vs finite differences: error %.3g of tolerance", n, k, e);
    free(h), free(s), free(hd), free(fd), free(v), free(g);
    clnn_tensor_release(th), clnn_tensor_release(ts), clnn_tensor_release(loss), clnn_tensor_release(dh);
}

static void check_errors(clnn_context *ctx)
{
    clnn_tensor *l = test_filled(ctx, CLNN_FLOAT32, 4, 1, 1.0f), *id = test_filled(ctx, CLNN_INT32, 4, 1, 0.0f);
    clnn_tensor *q = test_filled(ctx, CLNN_FLOAT32, 2, 1, -7.0f), *loss = test_filled(ctx, CLNN_FLOAT32, 1, 1, -7.0f);
    clnn_tensor *g = test_filled(ctx, CLNN_FLOAT32, 3, 3, -7.0f), *id3 = test_filled(ctx, CLNN_INT32, 3, 1, 0.0f);
    clnn_tensor *s = test_filled(ctx, CLNN_FLOAT32, 3, 2, 1.0f);
    const char *dro = "clnn_group_dro", *fr = "clnn_fairret_loss";
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, dro, clnn_group_dro(ctx, l, id3, 0.1f, q, loss, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, dro, clnn_group_dro(ctx, l, id, -0.1f, q, loss, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, dro, clnn_group_dro(ctx, l, id, 0.1f, q, loss, g));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, dro, clnn_group_dro(ctx, l, id, 0.1f, q, loss, l));
    EXPECT_FAIL(ctx, CLNN_ERR_SHAPE, fr, clnn_fairret_loss(ctx, l, s, loss, NULL));
    EXPECT_FAIL(ctx, CLNN_ERR_INVALID_ARGUMENT, fr, clnn_fairret_loss(ctx, l, l, NULL, NULL));
    test_expect_filled(ctx, "q", q, -7.0f);
    test_expect_filled(ctx, "loss", loss, -7.0f);
    test_expect_filled(ctx, "grad", g, -7.0f);
    clnn_tensor_release(l), clnn_tensor_release(id), clnn_tensor_release(q), clnn_tensor_release(loss);
    clnn_tensor_release(g), clnn_tensor_release(id3), clnn_tensor_release(s);
}

int main(void)
{
    clnn_context *ctx = test_context();
    check_dro(ctx, 10, 4, 0.01f, 3);
    check_dro(ctx, 257, 5, 100.0f, 1); /* e^(η ℓ) up to e^300: the shifted update */
    check_dro_bad_id(ctx);
    check_fairret(ctx, 9, 3);
    check_fairret(ctx, 40, 2);
    check_errors(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
