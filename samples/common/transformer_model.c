/* The transformer encoder of samples/fashion_transformer.c (see transformer_model.h). */
#include "transformer_model.h"

#include "model_util.h"

#include <math.h>
#include <string.h>

#define P(l, k) (TF_GLOBAL + (l) * TF_PER_LAYER + (k))

static const float ln_eps = 1e-5f;

/* Gives t the shape (d0, d1[, d2, d3]): the same buffer seen as rows or as
 * heads / images. */
static void view(clnn_context *ctx, clnn_tensor *t, int ndim, size_t d0, size_t d1, size_t d2, size_t d3)
{
    size_t s[4] = {d0, d1, d2, d3};
    CK(ctx, clnn_tensor_reshape(t, ndim, s));
}

/* PyTorch's nn.Linear initialization: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
static void init_linear(clnn_context *ctx, clnn_tensor *w, size_t fan_in, uint64_t seed, uint32_t stream)
{
    const float bound = 1.0f / sqrtf((float)fan_in);
    CK(ctx, clnn_tensor_random_uniform(w, seed, stream, -bound, bound));
}

static int is_dense_weight(int p)
{
    if (p < TF_GLOBAL) return p == TF_WT || p == TF_WC;
    const int k = (p - TF_GLOBAL) % TF_PER_LAYER;
    return k == TF_WQKV || k == TF_WO || k == TF_W1 || k == TF_W2;
}

void tf_create(clnn_context *ctx, transformer *m, uint64_t seed, float lr, float weight_decay, float max_norm)
{
    memset(m, 0, sizeof *m);
    m->max_norm = max_norm;
    m->w[TF_WT] = new_tensor(ctx, CLNN_FLOAT32, 2, TF_D, TF_IN, 0, 0);
    m->w[TF_BT] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
    m->w[TF_POS] = new_tensor(ctx, CLNN_FLOAT32, 2, TF_SEQ, TF_D, 0, 0);
    m->w[TF_LNF_G] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
    m->w[TF_LNF_B] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
    m->w[TF_WC] = new_tensor(ctx, CLNN_FLOAT32, 2, TF_CLASSES, TF_D, 0, 0);
    m->w[TF_BC] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_CLASSES, 0, 0, 0);
    for (int l = 0; l < TF_LAYERS; l++) {
        m->w[P(l, TF_LN1_G)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
        m->w[P(l, TF_LN1_B)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
        m->w[P(l, TF_WQKV)] = new_tensor(ctx, CLNN_FLOAT32, 2, 3 * TF_D, TF_D, 0, 0);
        m->w[P(l, TF_BQKV)] = new_tensor(ctx, CLNN_FLOAT32, 1, 3 * TF_D, 0, 0, 0);
        m->w[P(l, TF_WO)] = new_tensor(ctx, CLNN_FLOAT32, 2, TF_D, TF_D, 0, 0);
        m->w[P(l, TF_BO)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
        m->w[P(l, TF_LN2_G)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
        m->w[P(l, TF_LN2_B)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
        m->w[P(l, TF_W1)] = new_tensor(ctx, CLNN_FLOAT32, 2, TF_FF, TF_D, 0, 0);
        m->w[P(l, TF_B1)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_FF, 0, 0, 0);
        m->w[P(l, TF_W2)] = new_tensor(ctx, CLNN_FLOAT32, 2, TF_D, TF_FF, 0, 0);
        m->w[P(l, TF_B2)] = new_tensor(ctx, CLNN_FLOAT32, 1, TF_D, 0, 0, 0);
    }
    /* weights from seeded streams (one per parameter), biases and shifts 0,
     * gains 1, position embedding N(0, 0.02^2) as BERT and ViT */
    for (int p = 0; p < TF_PARAMS; p++) {
        int nd;
        size_t s[4] = {0, 0, 0, 0};
        CK(ctx, clnn_tensor_shape(m->w[p], &nd, s));
        const int k = p < TF_GLOBAL ? -1 : (p - TF_GLOBAL) % TF_PER_LAYER;
        if (is_dense_weight(p)) init_linear(ctx, m->w[p], s[1], seed, (uint32_t)p);
        else if (p == TF_POS) CK(ctx, clnn_tensor_random_normal(m->w[p], seed, (uint32_t)p, 0.0f, 0.02f));
        else if (p == TF_LNF_G || k == TF_LN1_G || k == TF_LN2_G) CK(ctx, clnn_tensor_fill(m->w[p], 1.0f));
        else CK(ctx, clnn_tensor_fill(m->w[p], 0.0f));
        m->g[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        CK(ctx, clnn_tensor_fill(m->g[p], 0.0f));
    }
    m->clip = new_tensor(ctx, CLNN_FLOAT32, 1, 2, 0, 0, 0);
    CK(ctx, clnn_tensor_fill(m->clip, 0.0f));

    /* AdamW, PyTorch's betas; group 0 the dense weights with decay, group 1
     * the biases, layer-norm parameters and position embedding without */
    clnn_optim_options o;
    clnn_optim_options_init(&o);
    o.lr = lr;
    o.weight_decay = weight_decay;
    CK(ctx, clnn_optimizer_create(ctx, &o, 0, &m->opt));
    clnn_param decay[TF_PARAMS], rest[TF_PARAMS];
    size_t nd = 0, nr = 0;
    for (int p = 0; p < TF_PARAMS; p++) {
        const clnn_param q = {m->w[p], m->g[p], NULL, NULL, NULL, !is_dense_weight(p)};
        if (is_dense_weight(p)) decay[nd++] = q;
        else rest[nr++] = q;
    }
    clnn_param_group g;
    clnn_param_group_init(&g);
    g.nparams = nd;
    g.params = decay;
    CK(ctx, clnn_optimizer_add_group(m->opt, &g));
    clnn_param_group_init(&g);
    g.nparams = nr;
    g.params = rest;
    g.weight_decay = 0.0f;
    CK(ctx, clnn_optimizer_add_group(m->opt, &g));
}

void tf_release(transformer *m)
{
    for (int p = 0; p < TF_PARAMS; p++) {
        clnn_tensor_release(m->w[p]);
        clnn_tensor_release(m->g[p]);
    }
    clnn_tensor_release(m->clip);
    clnn_optimizer_release(m->opt);
}

#define F32(...) new_tensor(ctx, CLNN_FLOAT32, __VA_ARGS__)

void tf_batch_create(clnn_context *ctx, tf_batch *b, size_t n)
{
    memset(b, 0, sizeof *b);
    const size_t N = n * TF_SEQ;
    b->n = n;
    b->x = F32(2, N, TF_IN, 0, 0);
    b->labels = new_tensor(ctx, CLNN_INT32, 1, n, 0, 0, 0);
    b->pos = new_tensor(ctx, CLNN_INT32, 1, N, 0, 0, 0);
    int32_t *idx = malloc(N * sizeof *idx);
    for (size_t t = 0; t < N; t++) idx[t] = (int32_t)(t % TF_SEQ);
    CK(ctx, clnn_tensor_upload(b->pos, idx, N * sizeof *idx));
    free(idx);
    b->tok = F32(2, N, TF_D, 0, 0);
    b->posemb = F32(2, N, TF_D, 0, 0);
    for (int l = 0; l < TF_LAYERS; l++) {
        tf_block *k = &b->blk[l];
        k->x = F32(2, N, TF_D, 0, 0); /* block l writes block l + 1's input */
        k->a = F32(2, N, TF_D, 0, 0);
        k->mu1 = F32(1, N, 0, 0, 0);
        k->is1 = F32(1, N, 0, 0, 0);
        k->qkv = F32(2, N, 3 * TF_D, 0, 0);
        for (int h = 0; h < 3 * TF_HEADS; h++) k->head[h] = F32(4, n, 1, TF_SEQ, TF_DH);
        for (int h = 0; h < TF_HEADS; h++) {
            k->o[h] = F32(4, n, 1, TF_SEQ, TF_DH);
            k->lse[h] = F32(3, n, 1, TF_SEQ, 0);
        }
        k->attn = F32(2, N, TF_D, 0, 0);
        k->mid = F32(2, N, TF_D, 0, 0);
        k->c = F32(2, N, TF_D, 0, 0);
        k->mu2 = F32(1, N, 0, 0, 0);
        k->is2 = F32(1, N, 0, 0, 0);
        k->z1 = F32(2, N, TF_FF, 0, 0);
        k->h1 = F32(2, N, TF_FF, 0, 0);
    }
    b->out = F32(2, N, TF_D, 0, 0);
    b->f = F32(2, N, TF_D, 0, 0);
    b->muf = F32(1, N, 0, 0, 0);
    b->isf = F32(1, N, 0, 0, 0);
    b->pooled = F32(2, n, TF_D, 0, 0);
    b->logits = F32(2, n, TF_CLASSES, 0, 0);
    b->loss = F32(1, 1, 0, 0, 0);
    b->dlogits = F32(2, n, TF_CLASSES, 0, 0);
    b->dx = F32(2, N, TF_D, 0, 0);
    b->dtmp = F32(2, N, TF_D, 0, 0);
    b->dln = F32(2, N, TF_D, 0, 0);
    b->dattn = F32(2, N, TF_D, 0, 0);
    b->dh1 = F32(2, N, TF_FF, 0, 0);
    b->dqkv = F32(2, N, 3 * TF_D, 0, 0);
    b->dpooled = F32(2, n, TF_D, 0, 0);
    for (int h = 0; h < 3 * TF_HEADS; h++) b->dhead[h] = F32(4, n, 1, TF_SEQ, TF_DH);
    for (int h = 0; h < TF_HEADS; h++) b->dout[h] = F32(4, n, 1, TF_SEQ, TF_DH);
}

void tf_batch_release(tf_batch *b)
{
    clnn_tensor *all[] = {b->x,     b->labels, b->pos,    b->tok,  b->posemb, b->out,  b->f,    b->muf,
                          b->isf,   b->pooled, b->logits, b->loss, b->dlogits, b->dx,  b->dtmp, b->dln,
                          b->dattn, b->dh1,    b->dqkv,   b->dpooled};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    for (int h = 0; h < 3 * TF_HEADS; h++) clnn_tensor_release(b->dhead[h]);
    for (int h = 0; h < TF_HEADS; h++) clnn_tensor_release(b->dout[h]);
    for (int l = 0; l < TF_LAYERS; l++) {
        tf_block *k = &b->blk[l];
        clnn_tensor *blk[] = {k->x, k->a, k->mu1, k->is1, k->qkv, k->attn, k->mid, k->c, k->mu2, k->is2, k->z1, k->h1};
        for (size_t i = 0; i < sizeof blk / sizeof blk[0]; i++) clnn_tensor_release(blk[i]);
        for (int h = 0; h < 3 * TF_HEADS; h++) clnn_tensor_release(k->head[h]);
        for (int h = 0; h < TF_HEADS; h++) clnn_tensor_release(k->o[h]), clnn_tensor_release(k->lse[h]);
    }
}

/* Each head tensor as its [N, Dh] columns of a [N, k*Dh] matrix (rows = 1),
 * or back as [n, 1, S, Dh] (rows = 0). */
static void heads_as(clnn_context *ctx, clnn_tensor **t, int count, size_t n, int rows)
{
    for (int h = 0; h < count; h++) {
        if (rows) view(ctx, t[h], 2, n * TF_SEQ, TF_DH, 0, 0);
        else view(ctx, t[h], 4, n, 1, TF_SEQ, TF_DH);
    }
}

static void split_heads(clnn_context *ctx, const clnn_tensor *x, clnn_tensor **heads, int count, size_t n)
{
    heads_as(ctx, heads, count, n, 1);
    CK(ctx, clnn_split(ctx, x, (size_t)count, heads));
    heads_as(ctx, heads, count, n, 0);
}

static void merge_heads(clnn_context *ctx, clnn_tensor **heads, int count, size_t n, clnn_tensor *y)
{
    heads_as(ctx, heads, count, n, 1);
    CK(ctx, clnn_concat(ctx, (size_t)count, (const clnn_tensor *const *)heads, y));
    heads_as(ctx, heads, count, n, 0);
}

static void block_forward(clnn_context *ctx, clnn_tensor *const *w, tf_block *k, size_t n, clnn_tensor *y)
{
    CK(ctx, clnn_layernorm_forward(ctx, k->x, w[TF_LN1_G], w[TF_LN1_B], ln_eps, k->a, k->mu1, k->is1));
    CK(ctx, clnn_dense_forward(ctx, k->a, w[TF_WQKV], w[TF_BQKV], CLNN_ACT_NONE, 0.0f, NULL, k->qkv));
    split_heads(ctx, k->qkv, k->head, 3 * TF_HEADS, n);
    for (int h = 0; h < TF_HEADS; h++)
        CK(ctx, clnn_attention_flash_forward(ctx, k->head[h], k->head[TF_HEADS + h], k->head[2 * TF_HEADS + h], NULL,
                                             NULL, NULL, k->o[h], k->lse[h]));
    merge_heads(ctx, k->o, TF_HEADS, n, k->attn);
    CK(ctx, clnn_dense_forward(ctx, k->attn, w[TF_WO], w[TF_BO], CLNN_ACT_NONE, 0.0f, NULL, k->mid));
    CK(ctx, clnn_residual_add(ctx, k->mid, k->x, k->mid));
    CK(ctx, clnn_layernorm_forward(ctx, k->mid, w[TF_LN2_G], w[TF_LN2_B], ln_eps, k->c, k->mu2, k->is2));
    CK(ctx, clnn_dense_forward(ctx, k->c, w[TF_W1], w[TF_B1], CLNN_ACT_GELU, 0.0f, k->z1, k->h1));
    CK(ctx, clnn_dense_forward(ctx, k->h1, w[TF_W2], w[TF_B2], CLNN_ACT_NONE, 0.0f, NULL, y));
    CK(ctx, clnn_residual_add(ctx, y, k->mid, y));
}

void tf_forward(clnn_context *ctx, transformer *m, tf_batch *b)
{
    const size_t n = b->n;
    CK(ctx, clnn_dense_forward(ctx, b->x, m->w[TF_WT], m->w[TF_BT], CLNN_ACT_NONE, 0.0f, NULL, b->tok));
    CK(ctx, clnn_embedding_forward(ctx, m->w[TF_POS], b->pos, b->posemb));
    CK(ctx, clnn_residual_add(ctx, b->tok, b->posemb, b->blk[0].x));
    for (int l = 0; l < TF_LAYERS; l++)
        block_forward(ctx, m->w + P(l, 0), &b->blk[l], n, l + 1 < TF_LAYERS ? b->blk[l + 1].x : b->out);
    CK(ctx, clnn_layernorm_forward(ctx, b->out, m->w[TF_LNF_G], m->w[TF_LNF_B], ln_eps, b->f, b->muf, b->isf));
    /* the mean over the tokens: adaptive average pooling of [n, 1, S, D] to [n, 1, 1, D] */
    view(ctx, b->f, 4, n, 1, TF_SEQ, TF_D);
    view(ctx, b->pooled, 4, n, 1, 1, TF_D);
    CK(ctx, clnn_adaptive_avgpool2d_forward(ctx, b->f, b->pooled));
    view(ctx, b->f, 2, n * TF_SEQ, TF_D, 0, 0);
    view(ctx, b->pooled, 2, n, TF_D, 0, 0);
    CK(ctx, clnn_dense_forward(ctx, b->pooled, m->w[TF_WC], m->w[TF_BC], CLNN_ACT_NONE, 0.0f, NULL, b->logits));
}

/* A block's backward pass: b->dx holds the gradient at its output and gets
 * the gradient at its input. */
static void block_backward(clnn_context *ctx, clnn_tensor *const *w, clnn_tensor *const *g, tf_block *k, tf_batch *b)
{
    const size_t n = b->n;
    /* feed-forward half: y = mid + W2 gelu(W1 c + b1) + b2 */
    CK(ctx, clnn_dense_backward(ctx, k->h1, w[TF_W2], NULL, b->dx, CLNN_ACT_NONE, 0.0f, 0, b->dh1, g[TF_W2],
                                g[TF_B2]));
    CK(ctx, clnn_dense_backward(ctx, k->c, w[TF_W1], k->z1, b->dh1, CLNN_ACT_GELU, 0.0f, 0, b->dtmp, g[TF_W1],
                                g[TF_B1]));
    CK(ctx, clnn_layernorm_backward(ctx, k->mid, b->dtmp, w[TF_LN2_G], k->mu2, k->is2, b->dln, g[TF_LN2_G],
                                    g[TF_LN2_B]));
    CK(ctx, clnn_residual_add(ctx, b->dx, b->dln, b->dx)); /* now the gradient at mid */
    /* attention half: mid = x + Wo merge(attention(split(Wqkv a + bqkv))) + bo */
    CK(ctx, clnn_dense_backward(ctx, k->attn, w[TF_WO], NULL, b->dx, CLNN_ACT_NONE, 0.0f, 0, b->dattn, g[TF_WO],
                                g[TF_BO]));
    split_heads(ctx, b->dattn, b->dout, TF_HEADS, n);
    for (int h = 0; h < TF_HEADS; h++)
        CK(ctx, clnn_attention_flash_backward(ctx, k->head[h], k->head[TF_HEADS + h], k->head[2 * TF_HEADS + h], NULL,
                                              NULL, k->o[h], k->lse[h], b->dout[h], NULL, b->dhead[h],
                                              b->dhead[TF_HEADS + h], b->dhead[2 * TF_HEADS + h]));
    merge_heads(ctx, b->dhead, 3 * TF_HEADS, n, b->dqkv);
    CK(ctx, clnn_dense_backward(ctx, k->a, w[TF_WQKV], NULL, b->dqkv, CLNN_ACT_NONE, 0.0f, 0, b->dtmp, g[TF_WQKV],
                                g[TF_BQKV]));
    CK(ctx, clnn_layernorm_backward(ctx, k->x, b->dtmp, w[TF_LN1_G], k->mu1, k->is1, b->dln, g[TF_LN1_G],
                                    g[TF_LN1_B]));
    CK(ctx, clnn_residual_add(ctx, b->dx, b->dln, b->dx));
}

void tf_backward(clnn_context *ctx, transformer *m, tf_batch *b)
{
    const size_t n = b->n, N = n * TF_SEQ;
    CK(ctx, clnn_dense_backward(ctx, b->pooled, m->w[TF_WC], NULL, b->dlogits, CLNN_ACT_NONE, 0.0f, 0, b->dpooled,
                                m->g[TF_WC], m->g[TF_BC]));
    view(ctx, b->dpooled, 4, n, 1, 1, TF_D);
    view(ctx, b->dtmp, 4, n, 1, TF_SEQ, TF_D);
    CK(ctx, clnn_adaptive_avgpool2d_backward(ctx, b->dpooled, b->dtmp));
    view(ctx, b->dpooled, 2, n, TF_D, 0, 0);
    view(ctx, b->dtmp, 2, N, TF_D, 0, 0);
    CK(ctx, clnn_layernorm_backward(ctx, b->out, b->dtmp, m->w[TF_LNF_G], b->muf, b->isf, b->dx, m->g[TF_LNF_G],
                                    m->g[TF_LNF_B]));
    for (int l = TF_LAYERS - 1; l >= 0; l--) block_backward(ctx, m->w + P(l, 0), m->g + P(l, 0), &b->blk[l], b);
    /* the input: tok = x Wt^T + bt and the position embedding, both added to the stream */
    CK(ctx, clnn_dense_backward(ctx, b->x, m->w[TF_WT], NULL, b->dx, CLNN_ACT_NONE, 0.0f, 0, NULL, m->g[TF_WT],
                                m->g[TF_BT]));
    CK(ctx, clnn_embedding_backward(ctx, b->pos, b->dx, CLNN_EMBEDDING_NO_PADDING, m->g[TF_POS]));
}

void tf_step(clnn_context *ctx, transformer *m, float lr)
{
    for (size_t grp = 0; grp < 2; grp++) CK(ctx, clnn_optimizer_set_lr(m->opt, grp, lr));
    if (m->max_norm > 0) {
        CK(ctx, clnn_grad_clip_factor(ctx, TF_PARAMS, (const clnn_tensor *const *)m->g, m->max_norm, m->clip));
        const clnn_reg clip = {CLNN_REG_CLIP, 1.0f, 0.0f, m->clip};
        CK(ctx, clnn_optimizer_step(m->opt, 1, &clip));
    } else {
        CK(ctx, clnn_optimizer_step(m->opt, 0, NULL));
    }
}

void tf_train_step(clnn_context *ctx, transformer *m, tf_batch *b, const clnn_cross_entropy_options *ce, float lr)
{
    tf_forward(ctx, m, b);
    CK(ctx, clnn_cross_entropy_labels(ctx, b->logits, b->labels, ce, b->loss, b->dlogits));
    tf_backward(ctx, m, b);
    tf_step(ctx, m, lr);
}
