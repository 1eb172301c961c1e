/* The MLP of samples/fashion_mlp.c, 784-512-256-10 with relu and dropout:
 * parameters, per-batch buffers, forward, backward and the AdamW step.
 * clnn-bench times one training step of this same code. */
#ifndef SAMPLES_MLP_MODEL_H
#define SAMPLES_MLP_MODEL_H

#include "data_parallel.h"

#include <clnn/clnn.h>

#define MLP_CLASSES 10
#define MLP_PIXELS 784
#define MLP_GRADS 6  /* dW, db per layer */
#define MLP_STATE 18 /* W, b and their two AdamW moments per layer */

typedef struct mlp {
    clnn_tensor *w[3], *b[3];                   /* W [out, in], b [out] */
    clnn_tensor *dw[3], *db[3];                 /* gradients */
    clnn_tensor *mw[3], *vw[3], *mb[3], *vb[3]; /* AdamW moments */
} mlp;

/* Activations and their gradients for one batch size. */
typedef struct mlp_batch {
    size_t n;
    clnn_tensor *x, *labels;
    clnn_tensor *z[3], *h[3], *d[2]; /* pre-activation, activation, after dropout; h[2] = logits */
    clnn_tensor *dh[3], *dd[2];      /* gradients wrt h (dh[2] = dlogits) and wrt dropout outputs */
    clnn_tensor *loss;
} mlp_batch;

void mlp_create(clnn_context *ctx, mlp *m, uint64_t seed);
void mlp_release(mlp *m);
void mlp_batch_create(clnn_context *ctx, mlp_batch *b, size_t n);
void mlp_batch_release(mlp_batch *b);

/* Forward pass into b->h[2] (the logits). With p > 0 dropout follows both
 * hidden layers, its masks keyed by (seed, layer). */
void mlp_forward(clnn_context *ctx, const mlp *m, mlp_batch *b, float p, uint64_t seed);
/* Backward pass from dlogits in b->dh[2] into every dw, db (same p and seed
 * as the forward). */
void mlp_backward(clnn_context *ctx, mlp *m, mlp_batch *b, float p, uint64_t seed);
/* One fused AdamW step over the six parameters, decoupled decay on the
 * weights only. */
void mlp_adamw_step(clnn_context *ctx, mlp *m, float lr, float weight_decay, unsigned long step);
/* One training step on the batch already in b->x, b->labels: forward,
 * cross-entropy (loss and dlogits into b->loss, b->dh[2]), backward, AdamW. */
void mlp_train_step(clnn_context *ctx, mlp *m, mlp_batch *b, const clnn_cross_entropy_options *ce, float dropout,
                    uint64_t mask_seed, float lr, float weight_decay, unsigned long step);
/* The same step on this rank's shard (b->n rows) of a global batch of
 * `global` rows: the gradients are averaged over the ranks (dp_average)
 * between the backward pass and AdamW. With a group of one, mlp_train_step. */
void mlp_train_step_dp(clnn_context *ctx, mlp *m, mlp_batch *b, const clnn_cross_entropy_options *ce, float dropout,
                       uint64_t mask_seed, float lr, float weight_decay, unsigned long step, const dp_group *g,
                       size_t global);
/* The gradient tensors (MLP_GRADS) and the whole training state (MLP_STATE:
 * what must be the same on every rank). */
void mlp_grads(const mlp *m, clnn_tensor *out[MLP_GRADS]);
void mlp_state(const mlp *m, clnn_tensor *out[MLP_STATE]);

#endif
