/* The CNN of samples/fashion_cnn.c:
 *   [conv3x3(1->16) - batchnorm - relu - maxpool2] -> [conv3x3(16->32) - batchnorm - relu - maxpool2]
 *   -> dense(1568 -> 10)
 * parameters, per-batch buffers, forward, backward and the AdamW step with
 * the group-lasso proximal step on the filters. clnn-bench times one
 * training step of this same code. */
#ifndef SAMPLES_CNN_MODEL_H
#define SAMPLES_CNN_MODEL_H

#include <clnn/clnn.h>

#define CNN_CLASSES 10
#define CNN_SIDE 28
#define CNN_PIXELS (CNN_SIDE * CNN_SIDE)
#define CNN_C1 16
#define CNN_C2 32
#define CNN_FLAT (CNN_C2 * 7 * 7)

typedef struct cnn {
    clnn_tensor *w1, *w2, *w3, *b3;           /* conv filters [K, C, 3, 3]; dense W [10, FLAT], b [10] */
    clnn_tensor *g1, *be1, *g2, *be2;         /* batch-norm gains and shifts */
    clnn_tensor *rm1, *rv1, *rm2, *rv2;       /* running statistics */
    clnn_tensor *grad[8], *m[8], *v[8];       /* per parameter: gradient, AdamW moments */
} cnn;

typedef struct cnn_batch {
    size_t n;
    clnn_tensor *x, *labels;
    clnn_tensor *c1, *r1, *p1, *i1;           /* conv, batch norm + relu, pool outputs; pool indices */
    clnn_tensor *c2, *r2, *p2, *i2;
    clnn_tensor *mean1, *istd1, *mean2, *istd2;
    clnn_tensor *logits, *loss;
    clnn_tensor *dlogits, *dp2, *dr2, *dc2, *dp1, *dr1, *dc1;
} cnn_batch;

void cnn_create(clnn_context *ctx, cnn *m, uint64_t seed);
void cnn_release(cnn *m);
/* n >= 2: batch norm needs two samples in training. */
void cnn_batch_create(clnn_context *ctx, cnn_batch *b, size_t n);
void cnn_batch_release(cnn_batch *b);

/* Forward pass into b->logits; training: batch statistics (and running
 * statistics updated), else the running statistics. */
void cnn_forward(clnn_context *ctx, cnn *m, cnn_batch *b, int training);
/* Backward pass from b->dlogits into every gradient. */
void cnn_backward(clnn_context *ctx, cnn *m, cnn_batch *b);
/* The same after a forward pass in mode `training`, also writing the
 * gradient at the input into dx [n, 1, 28, 28] (an attack's step; the
 * parameter gradients are overwritten as a by-product). */
void cnn_input_grad(clnn_context *ctx, cnn *m, cnn_batch *b, int training, clnn_tensor *dx);
/* One fused AdamW step for every parameter (decoupled decay on the dense
 * weight only), then with sparsity > 0 the group-lasso proximal step on the
 * convolution filters (each filter [C, 3, 3] a group). */
void cnn_adamw_step(clnn_context *ctx, cnn *m, float lr, float weight_decay, float sparsity, unsigned long step);
/* One training step on the batch in b->x, b->labels: cutout of a square of
 * side `cutout` (0: none, seeded), forward, cross-entropy, backward, AdamW
 * and the proximal step. */
void cnn_train_step(clnn_context *ctx, cnn *m, cnn_batch *b, const clnn_cross_entropy_options *ce, size_t cutout,
                    uint64_t cutout_seed, float lr, float weight_decay, float sparsity, unsigned long step);

#endif
