#include "model_util.h"

#include <math.h>
#include <string.h>

clnn_tensor *new_tensor(clnn_context *ctx, clnn_dtype dtype, int ndim, size_t d0, size_t d1, size_t d2, size_t d3)
{
    size_t shape[4] = {d0, d1, d2, d3};
    clnn_tensor *t = NULL;
    CK(ctx, clnn_tensor_create(ctx, dtype, ndim, shape, &t));
    return t;
}

void init_kaiming_uniform(clnn_context *ctx, clnn_tensor *w, size_t fan_in, uint64_t seed, uint32_t stream)
{
    float bound = sqrtf(6.0f / (float)fan_in);
    CK(ctx, clnn_tensor_random_uniform(w, seed, stream, -bound, bound));
}

void upload_batch(clnn_context *ctx, const float *images, const int32_t *labels, const uint32_t *idx, size_t n,
                  size_t pixels, float *stage_x, int32_t *stage_y, clnn_tensor *x, clnn_tensor *y)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(stage_x + i * pixels, images + (size_t)idx[i] * pixels, pixels * sizeof(float));
        stage_y[i] = labels[idx[i]];
    }
    CK(ctx, clnn_tensor_upload(x, stage_x, n * pixels * sizeof(float)));
    CK(ctx, clnn_tensor_upload(y, stage_y, n * sizeof(int32_t)));
}

size_t count_correct(const float *logits, const int32_t *labels, size_t n, size_t classes)
{
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t j = 1; j < classes; j++)
            if (logits[i * classes + j] > logits[i * classes + best]) best = j;
        correct += (int32_t)best == labels[i];
    }
    return correct;
}
