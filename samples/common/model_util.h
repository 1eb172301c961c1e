/* Small helpers the samples share around the clnn API: checked calls,
 * parameter initialization, batch upload and accuracy. */
#ifndef SAMPLES_MODEL_UTIL_H
#define SAMPLES_MODEL_UTIL_H

#include <clnn/clnn.h>

#include <stdio.h>
#include <stdlib.h>

/* Exits with the library's message when a clnn call fails: a sample has no
 * sensible way to continue. */
#define CK(ctx, call)                                                                        \
    do {                                                                                     \
        clnn_status ck_st_ = (call);                                                         \
        if (ck_st_ != CLNN_OK) {                                                             \
            fprintf(stderr, "%s:%d: %s\n  %s\n", __FILE__, __LINE__, #call, clnn_last_error(ctx)); \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

clnn_tensor *new_tensor(clnn_context *ctx, clnn_dtype dtype, int ndim, size_t d0, size_t d1, size_t d2, size_t d3);

/* Kaiming-uniform for a weight with fan_in inputs: U(-sqrt(6/fan_in), +). */
void init_kaiming_uniform(clnn_context *ctx, clnn_tensor *w, size_t fan_in, uint64_t seed, uint32_t stream);

/* Copies images[idx[0..n)] (each `pixels` floats) and their labels into the
 * host staging arrays, then uploads them. */
void upload_batch(clnn_context *ctx, const float *images, const int32_t *labels, const uint32_t *idx, size_t n,
                  size_t pixels, float *stage_x, int32_t *stage_y, clnn_tensor *x, clnn_tensor *y);

/* Number of rows of logits [n, classes] whose argmax equals the label. */
size_t count_correct(const float *logits, const int32_t *labels, size_t n, size_t classes);

#endif
