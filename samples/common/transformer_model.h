/* The transformer encoder of samples/fashion_transformer.c: each image row
 * (28 pixels) is one token of a sequence of 28,
 *   dense(28 -> D) + learned position embedding (clnn_embedding, indices 0..27)
 *   -> TF_LAYERS pre-LN blocks:
 *        x += out_proj(merge(flash_attention(split(qkv(layernorm(x))))))
 *        x += dense(gelu(dense(layernorm(x))))
 *   -> layernorm -> mean over the 28 tokens -> dense(D -> 10)
 * with TF_HEADS heads of TF_D / TF_HEADS features (the memory-efficient
 * attention, clnn_attention_flash_*). Heads are split and merged with
 * clnn_split / clnn_concat over the columns of the [B*S, 3D] projection:
 * every head is its own [B, 1, S, Dh] tensor, so no permute is needed.
 * Parameters, per-batch buffers, forward, backward and the AdamW step
 * (the optimizer object with two param groups: decay on the dense weights
 * only) after clipping the gradients by their global norm. */
#ifndef SAMPLES_TRANSFORMER_MODEL_H
#define SAMPLES_TRANSFORMER_MODEL_H

#include <clnn/clnn.h>

#define TF_CLASSES 10
#define TF_SEQ 28    /* tokens: image rows */
#define TF_IN 28     /* features per token: pixels of a row */
#define TF_PIXELS (TF_SEQ * TF_IN)
#define TF_D 64      /* model width */
#define TF_HEADS 4
#define TF_DH (TF_D / TF_HEADS)
#define TF_FF 128    /* feed-forward width */
#define TF_LAYERS 2

/* Parameters: TF_GLOBAL ones, then TF_PER_LAYER per block. */
enum { TF_WT, TF_BT, TF_POS, TF_LNF_G, TF_LNF_B, TF_WC, TF_BC, TF_GLOBAL };
enum { TF_LN1_G, TF_LN1_B, TF_WQKV, TF_BQKV, TF_WO, TF_BO, TF_LN2_G, TF_LN2_B, TF_W1, TF_B1, TF_W2, TF_B2,
       TF_PER_LAYER };
#define TF_PARAMS (TF_GLOBAL + TF_LAYERS * TF_PER_LAYER)

typedef struct transformer {
    clnn_tensor *w[TF_PARAMS], *g[TF_PARAMS]; /* parameters and their gradients */
    clnn_optimizer_state *opt;                /* AdamW, group 0: dense weights (decay), 1: the rest */
    clnn_tensor *clip;                        /* [2]: clip factor and the global gradient norm */
    float max_norm;
} transformer;

/* One block's activations. */
typedef struct tf_block {
    clnn_tensor *x;                 /* block input (the residual stream) [N, D] */
    clnn_tensor *a, *mu1, *is1;     /* layernorm 1 output [N, D], its mean and invstd [N] */
    clnn_tensor *qkv;               /* [N, 3D] */
    clnn_tensor *head[3 * TF_HEADS]; /* q heads, k heads, v heads: [B, 1, S, Dh] each */
    clnn_tensor *o[TF_HEADS], *lse[TF_HEADS]; /* attention output [B, 1, S, Dh], log-sum-exp [B, 1, S] */
    clnn_tensor *attn, *mid;        /* merged heads [N, D]; x + out_proj(attn) [N, D] */
    clnn_tensor *c, *mu2, *is2;     /* layernorm 2 */
    clnn_tensor *z1, *h1;           /* first FFN dense: pre-activation and GELU output [N, FF] */
} tf_block;

typedef struct tf_batch {
    size_t n;                       /* images; N = n * TF_SEQ tokens */
    clnn_tensor *x, *labels, *pos;  /* x [N, TF_IN], labels [n], position indices [N] (t mod 28) */
    clnn_tensor *tok, *posemb;      /* token and position embeddings [N, D] */
    tf_block blk[TF_LAYERS];
    clnn_tensor *out;               /* last block's output [N, D] */
    clnn_tensor *f, *muf, *isf;     /* final layernorm [N, D] (pooled as [n, 1, S, D]) */
    clnn_tensor *pooled;            /* mean over tokens [n, 1, 1, D] */
    clnn_tensor *logits, *loss, *dlogits;
    /* gradients, reused by every block */
    clnn_tensor *dx, *dtmp, *dln, *dattn, *dh1, *dqkv, *dpooled;
    clnn_tensor *dhead[3 * TF_HEADS], *dout[TF_HEADS];
} tf_batch;

/* max_norm: global-norm clipping of the gradients before each step (0: none). */
void tf_create(clnn_context *ctx, transformer *m, uint64_t seed, float lr, float weight_decay, float max_norm);
void tf_release(transformer *m);
void tf_batch_create(clnn_context *ctx, tf_batch *b, size_t n);
void tf_batch_release(tf_batch *b);

/* Forward pass of the images in b->x into b->logits. */
void tf_forward(clnn_context *ctx, transformer *m, tf_batch *b);
/* Backward pass from b->dlogits into every gradient. */
void tf_backward(clnn_context *ctx, transformer *m, tf_batch *b);
/* Clips the gradients by their global norm, then one AdamW step of both
 * groups at learning rate lr. */
void tf_step(clnn_context *ctx, transformer *m, float lr);
/* Forward, cross-entropy (b->loss, b->dlogits), backward and the step. */
void tf_train_step(clnn_context *ctx, transformer *m, tf_batch *b, const clnn_cross_entropy_options *ce, float lr);

#endif
