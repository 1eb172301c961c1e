/* The transformer of samples/common/transformer_model.c on a tiny batch:
 * every parameter's gradient (tf_backward) against central differences of
 * the summed cross-entropy (the entry of largest magnitude of each tensor,
 * layer-norm gains and shifts moved off 1 and 0 first), an image's logits
 * the same alone as in a batch (attention never mixes images), and the
 * forward pass giving the same bits twice. */
#include "model_util.h"
#include "transformer_model.h"
#include "sample_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define BATCH 3

static float *download(clnn_context *ctx, const clnn_tensor *t)
{
    const size_t c = clnn_tensor_count(t);
    float *h = malloc(c * sizeof *h);
    CK(ctx, clnn_tensor_download(t, h, c * sizeof *h));
    return h;
}

static double loss_at(clnn_context *ctx, transformer *m, tf_batch *b, const clnn_cross_entropy_options *ce)
{
    tf_forward(ctx, m, b);
    CK(ctx, clnn_cross_entropy_labels(ctx, b->logits, b->labels, ce, b->loss, b->dlogits));
    float l;
    CK(ctx, clnn_tensor_download(b->loss, &l, sizeof l));
    return l;
}

/* Central differences with step 1e-2 (fp32 loss of a few units: its
 * rounding is ~1e-7 relative); measured agreement is ~5e-4 relative. */
static void gradients(clnn_context *ctx, transformer *m, tf_batch *b)
{
    clnn_cross_entropy_options ce;
    clnn_cross_entropy_options_init(&ce);
    ce.reduction = CLNN_REDUCE_SUM;
    loss_at(ctx, m, b, &ce);
    tf_backward(ctx, m, b);
    for (int p = 0; p < TF_PARAMS; p++) {
        const size_t c = clnn_tensor_count(m->w[p]);
        float *w = download(ctx, m->w[p]), *g = download(ctx, m->g[p]);
        size_t at = 0;
        for (size_t i = 1; i < c; i++)
            if (fabsf(g[i]) > fabsf(g[at])) at = i;
        const float keep = w[at], eps = 1e-2f;
        w[at] = keep + eps;
        CK(ctx, clnn_tensor_upload(m->w[p], w, c * sizeof *w));
        const double plus = loss_at(ctx, m, b, &ce);
        w[at] = keep - eps;
        CK(ctx, clnn_tensor_upload(m->w[p], w, c * sizeof *w));
        const double minus = loss_at(ctx, m, b, &ce);
        w[at] = keep;
        CK(ctx, clnn_tensor_upload(m->w[p], w, c * sizeof *w));
        const double numeric = (plus - minus) / (2.0 * (double)eps), rel = fabs(numeric - g[at]) / fabs(numeric);
        CHECK(fabs(numeric) > 1e-3 && rel < 1e-2, "parameter %d entry %zu: gradient %.6f, central difference %.6f",
              p, at, (double)g[at], numeric);
        free(w);
        free(g);
    }
}

/* Image 1 of the batch run alone: the same logits to rounding. */
static void images_independent(clnn_context *ctx, transformer *m, tf_batch *b, const float *x)
{
    tf_batch one;
    tf_batch_create(ctx, &one, 1);
    CK(ctx, clnn_tensor_upload(one.x, x + TF_PIXELS, TF_PIXELS * sizeof *x));
    tf_forward(ctx, m, &one);
    tf_forward(ctx, m, b);
    float *alone = download(ctx, one.logits), *batch = download(ctx, b->logits);
    double worst = 0;
    for (int k = 0; k < TF_CLASSES; k++) worst = fmax(worst, fabs((double)alone[k] - batch[TF_CLASSES + k]));
    CHECK(worst < 1e-4, "image 1 alone and in a batch of %d: logits differ by %g", BATCH, worst);
    free(alone);
    free(batch);
    tf_batch_release(&one);
}

static void deterministic(clnn_context *ctx, transformer *m, tf_batch *b)
{
    tf_forward(ctx, m, b);
    float *first = download(ctx, b->logits);
    tf_forward(ctx, m, b);
    float *second = download(ctx, b->logits);
    CHECK(memcmp(first, second, BATCH * TF_CLASSES * sizeof *first) == 0, "two forward passes differ");
    free(first);
    free(second);
}

static int is_dense_weight(int p)
{
    const int k = p < TF_GLOBAL ? -1 : (p - TF_GLOBAL) % TF_PER_LAYER;
    return p == TF_WT || p == TF_WC || k == TF_WQKV || k == TF_WO || k == TF_W1 || k == TF_W2;
}

int main(void)
{
    clnn_context *ctx = NULL;
    if (clnn_context_create(NULL, &ctx) != CLNN_OK) {
        fprintf(stderr, "no OpenCL device: %s\n", clnn_last_error(NULL));
        return 1;
    }
    transformer m;
    tf_create(ctx, &m, 7, 1e-3f, 0.05f, 1.0f);
    /* gains and shifts off 1 and 0, so that their gradients and the ones
     * through them are not special cases */
    for (int p = 0; p < TF_PARAMS; p++) {
        if (is_dense_weight(p)) continue;
        const size_t c = clnn_tensor_count(m.w[p]);
        float *h = download(ctx, m.w[p]);
        for (size_t i = 0; i < c; i++) h[i] += 0.1f * sinf((float)(i * 7 + (size_t)p));
        CK(ctx, clnn_tensor_upload(m.w[p], h, c * sizeof *h));
        free(h);
    }
    tf_batch b;
    tf_batch_create(ctx, &b, BATCH);
    float *x = malloc(BATCH * TF_PIXELS * sizeof *x);
    for (size_t i = 0; i < BATCH * TF_PIXELS; i++) x[i] = 0.5f + 0.5f * sinf(0.37f * (float)i);
    const int32_t labels[BATCH] = {1, 4, 7};
    CK(ctx, clnn_tensor_upload(b.x, x, BATCH * TF_PIXELS * sizeof *x));
    CK(ctx, clnn_tensor_upload(b.labels, labels, sizeof labels));

    gradients(ctx, &m, &b);
    images_independent(ctx, &m, &b, x);
    deterministic(ctx, &m, &b);

    free(x);
    tf_batch_release(&b);
    tf_release(&m);
    clnn_context_release(ctx);
    return sample_check_summary();
}
