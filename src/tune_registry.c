/* Which tunable kernels clnn ships, and how the tuner exercises each family
 * without a model: it calls the family's public op on random inputs of the
 * requested size, and the tuner replays the launch that op makes (tune.c).
 *
 * Adding a family is one line in `families` below: its NULL-terminated
 * tunables list (declared in internal.h) and an exercise function, or NULL
 * when its kernels can only be tuned on first use (mode on).
 *
 * How each family reads problem = {P0, P1} (1-D kernels take P0 * P1
 * elements; the tuner keys its database on the problem of the launch the op
 * makes, which clnn-tune prints):
 *   tensor, optim, reg (but group/sub_identity), stochastic, augment,
 *   activation, dropout, blocks (but copy_block): n = P0 * P1 elements
 *   reg.group_apply, reg.sub_identity: a weight matrix [P0, P1]
 *   dense: P0 outputs (= inputs), P1 batch rows
 *   softmax, loss, norm: [P0 rows, P1 columns]; blocks.copy_block: concat of
 *     two [P1, P0] parts; loss.sum: the sum of P0 * P1 row losses
 *   reduce (group_sum): P0 channels of P1 pixels (conv2d bias gradient)
 *   conv, pool: one image of P0 channels, about P1 pixels (square)
 *   attention: one head, P0 queries, P1 keys, head size 32
 *   outputs: [P0 rows, P1 classes] (mix_targets: P0 * P1 elements)
 *   representations: embeddings [P0 samples, P1 features] (VICReg, center
 *     loss, pseudo-Huber rows); offdiag_sq: the covariance of [P0, P1];
 *     vicreg_value: the variance of [16, P1]; pair_loss: Huber on [P0, P1];
 *     sinkhorn_rows / back_rows: scores [P0, P1], the column kernels [P1, P0]
 *   losses: [P0 rows, P1 classes]
 *   metric: harmonic_rows, margin_rows: [P0 rows, P1 classes], D = 64;
 *     rows_apply: P0 * P1 elements (harmonic loss, D = 64);
 *     column_sums: P0 classes (harmonic loss, 64 rows, D = 64);
 *     ada_stats: AdaFace over P0 * P1 rows (8 classes); overlap_*: P0 samples
 *     of P1 elements; diou: P0 * P1 boxes; madl: P0 * P1 elements
 *   gradcomb: n = P0 * P1 elements per gradient (gram_solve: PCGrad of 3 lists)
 *   sparse: see exercise_moe and EXERCISE(sparse) below
 *   contrastive: two views of P0 samples of P1 features (at least 2 samples);
 *     ge2e_* and row_sqnorms: P0 speakers of 4 utterances of P1 features */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef clnn_status (*exercise_fn)(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2]);

#define EXERCISE(family) \
    static clnn_status exercise_##family(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
EXERCISE(tensor);
EXERCISE(optim);
EXERCISE(reg);
EXERCISE(stochastic);
EXERCISE(augment);
EXERCISE(activation);
EXERCISE(dense);
EXERCISE(softmax);
EXERCISE(loss);
EXERCISE(dropout);
EXERCISE(blocks);
EXERCISE(reduce);
EXERCISE(conv);
EXERCISE(pool);
EXERCISE(norm);
EXERCISE(attention);
EXERCISE(outputs);
EXERCISE(representations);
EXERCISE(losses);
EXERCISE(metric);
EXERCISE(gradcomb);
EXERCISE(sparse);
EXERCISE(contrastive);

static const struct family {
    const clnn__tunable *const *tunables;
    exercise_fn exercise;
} families[] = {
    {clnn__tensor_tunables, exercise_tensor},         {clnn__optim_tunables, exercise_optim},
    {clnn__reg_tunables, exercise_reg},               {clnn__stochastic_tunables, exercise_stochastic},
    {clnn__augment_tunables, exercise_augment},       {clnn__activation_tunables, exercise_activation},
    {clnn__dense_tunables, exercise_dense},           {clnn__softmax_tunables, exercise_softmax},
    {clnn__loss_tunables, exercise_loss},             {clnn__dropout_tunables, exercise_dropout},
    {clnn__blocks_tunables, exercise_blocks},         {clnn__reduce_tunables, exercise_reduce},
    {clnn__conv_tunables, exercise_conv},             {clnn__pool_tunables, exercise_pool},
    {clnn__norm_tunables, exercise_norm},             {clnn__attention_tunables, exercise_attention},
    {clnn__outputs_tunables, exercise_outputs},
    {clnn__representations_tunables, exercise_representations},
    {clnn__losses_tunables, exercise_losses},
    {clnn__metric_tunables, exercise_metric},
    {clnn__gradcomb_tunables, exercise_gradcomb},
    {clnn__sparse_tunables, exercise_sparse},
    {clnn__contrastive_tunables, exercise_contrastive},
};
#define N_FAMILIES (sizeof families / sizeof families[0])

const clnn__tunable *clnn__tunable_at(size_t index)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const clnn__tunable *const *t = families[f].tunables; *t; t++)
            if (index-- == 0) return *t;
    return NULL;
}

const clnn__tunable *clnn__tunable_find(const char *id)
{
    const clnn__tunable *t;
    for (size_t i = 0; id && (t = clnn__tunable_at(i)); i++)
        if (strcmp(t->id, id) == 0) return t;
    return NULL;
}

static exercise_fn exercise_of(const clnn__tunable *t)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const clnn__tunable *const *p = families[f].tunables; *p; p++)
            if (*p == t) return families[f].exercise;
    return NULL;
}

int clnn__tune_exercisable(const clnn__tunable *t) { return exercise_of(t) != NULL; }

clnn_status clnn__tune_exercise(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    exercise_fn fn = exercise_of(t);
    if (!fn)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "clnn_tune_kernel: kernel '%s' has no synthetic exercise; it is tuned on first use "
                          "(CLNN_TUNE=on)", t->id);
    return fn(ctx, t, problem);
}

/* ------------------------------------------------------- tensor family */

/* A tensor of n elements holding reproducible values in [-1, 1). */
static clnn_status random_tensor(clnn_context *ctx, clnn_dtype dtype, size_t n, unsigned seed, clnn_tensor **out)
{
    TRY(clnn_tensor_create(ctx, dtype, 1, &n, out));
    uint32_t *host = malloc(n * sizeof *host);
    if (!host) return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "clnn_tune_kernel: out of host memory");
    for (size_t i = 0; i < n; i++) {
        float v = clnn_philox_uniform(seed, 0, i) * 2.0f - 1.0f;
        if (dtype == CLNN_INT32) host[i] = (uint32_t)(int32_t)(v * 1000.0f);
        else memcpy(&host[i], &v, sizeof v);
    }
    clnn_status st = clnn_tensor_upload(*out, host, n * sizeof *host);
    free(host);
    return st;
}

/* problem = {elements, 1}: every tensor kernel is one work-item per element. */
EXERCISE(tensor)
{
    size_t n = problem[0] * (problem[1] ? problem[1] : 1);
    const char *k = t->id + strlen("tensor.");
    clnn_tensor *x = NULL, *y = NULL;
    clnn_status st = random_tensor(ctx, strcmp(k, "fill_i32") == 0 ? CLNN_INT32 : CLNN_FLOAT32, n, 1, &x);
    if (st == CLNN_OK) st = random_tensor(ctx, CLNN_FLOAT32, n, 2, &y);
    if (st == CLNN_OK) {
        if (strcmp(k, "fill_f32") == 0 || strcmp(k, "fill_i32") == 0) st = clnn_tensor_fill(x, 3.0f);
        else if (strcmp(k, "copy") == 0) st = clnn_tensor_copy(y, x);
        else if (strcmp(k, "scale") == 0) st = clnn_scale(x, 0.75f);
        else if (strcmp(k, "axpy") == 0) st = clnn_axpy(0.5f, x, y);
        else if (strcmp(k, "random_uniform") == 0) st = clnn_tensor_random_uniform(x, 42, 3, -1.0f, 1.0f);
        else if (strcmp(k, "random_normal") == 0) st = clnn_tensor_random_normal(x, 42, 3, 0.0f, 1.0f);
        else st = clnn__fail(ctx, CLNN_ERR_INTERNAL, "clnn_tune_kernel: no exercise for '%s'", t->id);
    }
    if (st == CLNN_OK) st = clnn_finish(ctx);
    clnn_tensor_release(x);
    clnn_tensor_release(y);
    return st;
}

/* ------------------------------------------------ the other families */

/* The tensors of one exercise, released together; the first failure sticks
 * and later steps are skipped. */
typedef struct bench {
    clnn_context *ctx;
    clnn_tensor *t[16];
    int n;
    clnn_status st;
} bench;

/* An fp32 tensor of up to 4 dimensions (a 0 size ends the shape) holding
 * reproducible values in [lo, hi). */
static clnn_tensor *make(bench *b, float lo, float hi, const size_t shape[4])
{
    int ndim = 0;
    while (ndim < 4 && shape[ndim]) ndim++;
    if (b->st != CLNN_OK) return NULL;
    if (b->n == (int)(sizeof b->t / sizeof b->t[0])) {
        b->st = clnn__fail(b->ctx, CLNN_ERR_INTERNAL, "clnn_tune_kernel: exercise needs too many tensors");
        return NULL;
    }
    clnn_tensor *x = NULL;
    b->st = clnn_tensor_create(b->ctx, CLNN_FLOAT32, ndim, shape, &x);
    if (b->st == CLNN_OK) b->t[b->n++] = x;
    if (b->st == CLNN_OK) b->st = clnn_tensor_random_uniform(x, 7, (uint32_t)b->n, lo, hi);
    return b->st == CLNN_OK ? x : NULL;
}
#define RAND(b, ...) make((b), -1.0f, 1.0f, (const size_t[4]){__VA_ARGS__})

/* An int32 tensor [n] with entry i = (i * step + 1) % mod: labels in
 * [0, mod), or with step = mod - 1 a permutation of 0..mod-1 when mod = n. */
static clnn_tensor *ints(bench *b, size_t n, size_t mod, size_t step)
{
    if (b->st != CLNN_OK) return NULL;
    clnn_tensor *x = NULL;
    int32_t *host = malloc(n * sizeof *host);
    if (!host) b->st = clnn__fail(b->ctx, CLNN_ERR_OUT_OF_MEMORY, "clnn_tune_kernel: out of host memory");
    for (size_t i = 0; host && i < n; i++) host[i] = (int32_t)((i * step + 1) % mod);
    if (b->st == CLNN_OK) b->st = clnn_tensor_create(b->ctx, CLNN_INT32, 1, &n, &x);
    if (b->st == CLNN_OK) b->t[b->n++] = x;
    if (b->st == CLNN_OK) b->st = clnn_tensor_upload(x, host, n * sizeof *host);
    free(host);
    return b->st == CLNN_OK ? x : NULL;
}

/* Runs op unless an earlier step failed. */
#define STEP(b, op) ((b)->st == CLNN_OK ? ((b)->st = (op)) : (b)->st)

static clnn_status bench_end(bench *b)
{
    if (b->st == CLNN_OK) b->st = clnn_finish(b->ctx);
    for (int i = 0; i < b->n; i++) clnn_tensor_release(b->t[i]);
    return b->st;
}

static int is(const clnn__tunable *t, const char *id) { return strcmp(t->id, id) == 0; }

static size_t elements(const size_t problem[2]) { return problem[0] * problem[1]; }

/* The side of a square of about `pixels` pixels (at least 2). */
static size_t side_of(size_t pixels)
{
    size_t s = 2;
    while ((s + 1) * (s + 1) <= pixels) s++;
    return s;
}

EXERCISE(optim)
{
    (void)t;
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    clnn_param p = {RAND(&b, n), RAND(&b, n), RAND(&b, n), make(&b, 0.0f, 1.0f, (const size_t[4]){n}), NULL, 0};
    clnn_optim_options o = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, 1e-3f, 0.0f, 0, 0.9f, 0.999f, 1e-8f, 0.01f,
                            1};
    STEP(&b, clnn_optim_step(ctx, &o, 1, &p, 0, NULL));
    return bench_end(&b);
}

/* reg: the penalty reductions and gradient on P0 x P1 elements, the group
 * prox and orthogonality gradient on [P0, P1], and one op behind each of the
 * other reg kernels (prune apply, spectral outer product, magnitude / N:M /
 * MaskLLM masks, quantization parameters and fake quantization). */
EXERCISE(reg)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    if (is(t, "reg.group_apply") || is(t, "reg.sub_identity")) {
        clnn_tensor *w = RAND(&b, problem[0], problem[1]), *g = RAND(&b, problem[0], problem[1]);
        if (is(t, "reg.group_apply")) STEP(&b, clnn_reg_group_lasso_prox(ctx, 0.1f, 0.1f, CLNN_GROUP_ROWS, w));
        else STEP(&b, clnn_reg_ortho_grad(ctx, w, 0.1f, g));
    } else if (is(t, "reg.reduce_combine")) {
        const clnn_tensor *g[1] = {RAND(&b, n)};
        STEP(&b, clnn_grad_clip_factor(ctx, 1, g, 1.0f, RAND(&b, 2)));
    } else if (is(t, "reg.blend")) { /* the prune mask's apply on P0 x P1 */
        STEP(&b, clnn_prune_apply(ctx, RAND(&b, n), RAND(&b, n)));
    } else if (is(t, "reg.outer")) { /* grad [P0, P1] += 2λσ u vᵀ */
        STEP(&b, clnn_reg_spectral_grad(ctx, RAND(&b, problem[0]), RAND(&b, problem[1]), RAND(&b, 1), 0.1f,
                                        RAND(&b, problem[0], problem[1])));
    } else if (strncmp(t->id, "reg.topk_", 9) == 0) { /* magnitude pruning of P0 x P1, half kept */
        STEP(&b, clnn_prune_topk_mask(ctx, RAND(&b, n), n / 2, RAND(&b, n)));
    } else if (is(t, "reg.nm_mask")) { /* 2:4 on [P0, 4 P1]: P0 x P1 groups */
        STEP(&b, clnn_prune_nm_mask(ctx, RAND(&b, problem[0], 4 * problem[1]), 2, 4,
                                    RAND(&b, problem[0], 4 * problem[1])));
    } else if (is(t, "reg.maskllm")) { /* P0 x P1 groups of 4, Gumbel noise */
        STEP(&b, clnn_maskllm_forward(ctx, RAND(&b, n, 6), 0.5f, 1, 7, 0, RAND(&b, n, 4)));
    } else if (is(t, "reg.quant_params") || is(t, "reg.fake_quant")) {
        /* quant_params: per channel, P0 channels of P1; fake_quant: per tensor on P0 x P1 (scale from quant_params) */
        const clnn_quant_options q = {sizeof(clnn_quant_options), 4, 0, is(t, "reg.quant_params")};
        const size_t ch = q.per_channel ? problem[0] : 1;
        clnn_tensor *x = RAND(&b, problem[0], problem[1]), *scale = RAND(&b, ch), *zero = RAND(&b, ch);
        STEP(&b, clnn_quant_params(ctx, x, &q, scale, zero));
        if (!q.per_channel)
            STEP(&b, clnn_fake_quant_forward(ctx, x, scale, zero, &q, RAND(&b, problem[0], problem[1])));
    } else { /* reduce_partial, reduce_final: a value; grad: a gradient */
        clnn_reg reg = {CLNN_REG_ELASTIC_NET, 0.1f, 0.01f, NULL};
        clnn_tensor *w = RAND(&b, n), *out = is(t, "reg.grad") ? RAND(&b, n) : RAND(&b, 1);
        STEP(&b, is(t, "reg.grad") ? clnn_reg_grad(ctx, w, NULL, &reg, out) : clnn_reg_value(ctx, w, NULL, &reg, out));
    }
    return bench_end(&b);
}

EXERCISE(stochastic)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    if (strncmp(t->id, "stochastic.dropblock", 20) == 0 || strncmp(t->id, "stochastic.count_ones", 21) == 0) {
        /* DropBlock on [1, C, 32, 32] images, C = n / 1024 rounded up */
        size_t c = (n + 1023) / 1024;
        clnn_tensor *x = RAND(&b, 1, c, 32, 32), *mask = RAND(&b, 1, c, 32, 32), *y = RAND(&b, 1, c, 32, 32);
        STEP(&b, clnn_dropblock_forward(ctx, x, 3, 0.9f, 5, mask, y));
    } else if (is(t, "stochastic.multiply")) {
        clnn_tensor *dy = RAND(&b, n), *mask = RAND(&b, n), *dx = RAND(&b, n);
        STEP(&b, clnn_dropblock_backward(ctx, dy, mask, dx));
    } else {
        clnn_tensor *x = RAND(&b, problem[0], problem[1]), *x2 = RAND(&b, problem[0], problem[1]);
        clnn_tensor *y = RAND(&b, problem[0], problem[1]);
        if (is(t, "stochastic.group_mask")) STEP(&b, clnn_dropconnect_forward(ctx, x, 0.1f, 5, y));
        else if (is(t, "stochastic.group_mask_add")) STEP(&b, clnn_stochastic_depth_forward(ctx, x, x2, 0.1f, 5, y));
        else if (is(t, "stochastic.mixout")) STEP(&b, clnn_mixout_forward(ctx, x, x2, 0.1f, 5, y));
        else STEP(&b, clnn_noise_forward(ctx, x, CLNN_NOISE_GAUSSIAN, 0.1f, 5, y));
    }
    return bench_end(&b);
}

EXERCISE(augment)
{
    /* a batch of 32 samples of n / 32 features (rounded up) */
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t batch = 32, f = (elements(problem) + batch - 1) / batch;
    clnn_tensor *perm = ints(&b, batch, batch, batch - 1);
    if (is(t, "augment.mix_labels")) {
        STEP(&b, clnn_mix_labels(ctx, ints(&b, batch, f, 1), perm, 0.7f, RAND(&b, batch, f)));
    } else if (is(t, "augment.cutout")) {
        clnn_tensor *x = RAND(&b, batch, 1, f, 1);
        STEP(&b, clnn_cutout_forward(ctx, x, 3, 5, RAND(&b, batch, 1, f, 1)));
    } else {
        clnn_tensor *x = RAND(&b, batch, f), *y = RAND(&b, batch, f);
        STEP(&b, is(t, "augment.pair_mix") ? clnn_mixup_forward(ctx, x, perm, 0.7f, y)
                                           : clnn_mixup_backward(ctx, x, perm, 0.7f, y));
    }
    return bench_end(&b);
}

EXERCISE(activation)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    clnn_tensor *x = RAND(&b, n), *dy = RAND(&b, n), *y = RAND(&b, n);
    STEP(&b, is(t, "activation.forward") ? clnn_activation_forward(ctx, x, CLNN_ACT_GELU, 0.0f, y)
                                         : clnn_activation_backward(ctx, x, dy, CLNN_ACT_GELU, 0.0f, y));
    return bench_end(&b);
}

EXERCISE(dense)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t out = problem[0], rows = problem[1];
    clnn_tensor *x = RAND(&b, rows, out), *w = RAND(&b, out, out), *bias = RAND(&b, out);
    clnn_tensor *z = RAND(&b, rows, out), *y = RAND(&b, rows, out);
    if (is(t, "dense.bias_act")) {
        STEP(&b, clnn_dense_forward(ctx, x, w, bias, CLNN_ACT_RELU, 0.0f, z, y));
    } else { /* dz and db: the bias gradient only, so no GEMM runs */
        STEP(&b, clnn_dense_backward(ctx, x, w, z, y, CLNN_ACT_RELU, 0.0f, 0, NULL, NULL, bias));
    }
    return bench_end(&b);
}

EXERCISE(softmax)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    clnn_tensor *x = RAND(&b, problem[0], problem[1]), *dy = RAND(&b, problem[0], problem[1]);
    clnn_tensor *y = RAND(&b, problem[0], problem[1]);
    STEP(&b, is(t, "softmax.forward") ? clnn_softmax_forward(ctx, x, y) : clnn_softmax_backward(ctx, x, dy, y));
    return bench_end(&b);
}

EXERCISE(loss)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t rows = problem[0], cols = problem[1];
    if (is(t, "loss.sum")) rows = elements(problem), cols = 16; /* sums one partial per row */
    clnn_cross_entropy_options o = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, 0.1f, -100};
    clnn_tensor *x = RAND(&b, rows, cols), *grad = RAND(&b, rows, cols), *loss = RAND(&b, 1);
    if (is(t, "loss.ce_soft")) STEP(&b, clnn_cross_entropy_soft(ctx, x, make(&b, 0.0f, 1.0f, (const size_t[4]){rows, cols}), &o, loss, grad));
    else if (is(t, "loss.pointwise")) STEP(&b, clnn_mse_loss(ctx, x, RAND(&b, rows, cols), CLNN_REDUCE_MEAN, loss, grad));
    else STEP(&b, clnn_cross_entropy_labels(ctx, x, ints(&b, rows, cols, 7), &o, loss, grad));
    return bench_end(&b);
}

EXERCISE(dropout)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    clnn_tensor *x = RAND(&b, n), *y = RAND(&b, n), *mask = RAND(&b, n);
    STEP(&b, is(t, "dropout.forward") ? clnn_dropout_forward(ctx, x, 0.1f, 5, 0, y, mask)
                                      : clnn_dropout_backward(ctx, x, 0.1f, 5, 0, y));
    return bench_end(&b);
}

EXERCISE(blocks)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    if (is(t, "blocks.copy_block")) {
        clnn_tensor *parts[2] = {RAND(&b, problem[1], problem[0]), RAND(&b, problem[1], problem[0])};
        STEP(&b, clnn_concat(ctx, 2, (const clnn_tensor *const *)parts, RAND(&b, problem[1], 2 * problem[0])));
    } else {
        clnn_tensor *x = RAND(&b, n), *y = RAND(&b, n), *z = RAND(&b, n);
        STEP(&b, is(t, "blocks.residual_add") ? clnn_residual_add(ctx, x, y, z)
                                              : clnn_residual_add_backward(ctx, x, 1, y, z));
    }
    return bench_end(&b);
}

EXERCISE(reduce)
{
    (void)t;
    bench b = {ctx, {0}, 0, CLNN_OK};
    STEP(&b, clnn_conv2d_backward_bias(ctx, RAND(&b, 1, problem[0], problem[1], 1), RAND(&b, problem[0])));
    return bench_end(&b);
}

EXERCISE(conv)
{
    /* 3x3 convolution, padding 1, of one [C, s, s] image to C channels */
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t c = problem[0], s = side_of(problem[1]);
    clnn_conv2d_options p = {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 1};
    clnn_tensor *x = RAND(&b, 1, c, s, s), *w = RAND(&b, c, c, 3, 3), *y = RAND(&b, 1, c, s, s);
    if (is(t, "conv.col2im")) STEP(&b, clnn_conv2d_backward_data(ctx, y, w, &p, x));
    else STEP(&b, clnn_conv2d_forward(ctx, x, w, RAND(&b, c), &p, y));
    return bench_end(&b);
}

EXERCISE(pool)
{
    /* 2x2 max pooling, stride 2, of one [C, s, s] image */
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t c = problem[0], s = side_of(problem[1]), h = s / 2;
    clnn_pool2d_options p = {sizeof(clnn_pool2d_options), {2, 2}, {2, 2}, {0, 0}, 0};
    clnn_tensor *x = RAND(&b, 1, c, s, s), *y = RAND(&b, 1, c, h, h), *idx = NULL;
    if (b.st == CLNN_OK) b.st = clnn_tensor_create(ctx, CLNN_INT32, 4, (size_t[]){1, c, h, h}, &idx);
    if (b.st == CLNN_OK) b.t[b.n++] = idx;
    STEP(&b, clnn_maxpool2d_forward(ctx, x, &p, y, idx));
    if (is(t, "pool.backward")) STEP(&b, clnn_maxpool2d_backward(ctx, y, idx, &p, x));
    return bench_end(&b);
}

EXERCISE(norm)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t rows = problem[0], cols = problem[1];
    clnn_tensor *x = RAND(&b, rows, cols), *y = RAND(&b, rows, cols), *dx = RAND(&b, rows, cols);
    clnn_tensor *gamma = RAND(&b, cols), *beta = RAND(&b, cols), *mean = RAND(&b, rows), *inv = RAND(&b, rows);
    STEP(&b, clnn_layernorm_forward(ctx, x, gamma, beta, 1e-5f, y, mean, inv));
    if (!is(t, "norm.forward"))
        STEP(&b, clnn_layernorm_backward(ctx, x, y, gamma, mean, inv, dx, RAND(&b, cols), RAND(&b, cols)));
    return bench_end(&b);
}

EXERCISE(attention)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t sq = problem[0], sk = problem[1], d = 32;
    clnn_tensor *q = RAND(&b, 1, 1, sq, d), *k = RAND(&b, 1, 1, sk, d), *v = RAND(&b, 1, 1, sk, d);
    clnn_tensor *probs = RAND(&b, 1, 1, sq, sk), *out = RAND(&b, 1, 1, sq, d);
    STEP(&b, clnn_attention_forward(ctx, q, k, v, 0, probs, out));
    if (is(t, "attention.softmax_backward"))
        STEP(&b, clnn_attention_backward(ctx, q, k, v, probs, out, RAND(&b, 1, 1, sq, d), RAND(&b, 1, 1, sk, d),
                                         RAND(&b, 1, 1, sk, d)));
    return bench_end(&b);
}

EXERCISE(outputs)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t rows = problem[0], cols = problem[1];
    if (is(t, "outputs.mix_targets")) rows = elements(problem), cols = 1;
    clnn_tensor *x = RAND(&b, rows, cols), *q = RAND(&b, rows, cols), *grad = RAND(&b, rows, cols);
    clnn_tensor *loss = RAND(&b, 1);
    if (is(t, "outputs.mix_targets")) STEP(&b, clnn_soft_targets_mix(ctx, x, q, 0.3f, grad));
    else if (is(t, "outputs.entropy_penalty"))
        STEP(&b, clnn_confidence_penalty(ctx, x, 0.1f, CLNN_REDUCE_MEAN, loss, grad));
    else if (is(t, "outputs.prob_entropy"))
        STEP(&b, clnn_prob_entropy_penalty(ctx, make(&b, 0.0f, 1.0f, (const size_t[4]){rows, cols}), 0.1f,
                                           CLNN_REDUCE_MEAN, loss, grad));
    else if (is(t, "outputs.z_loss")) STEP(&b, clnn_z_loss(ctx, x, 1e-4f, CLNN_REDUCE_MEAN, loss, grad));
    else if (is(t, "outputs.kl_logits"))
        STEP(&b, clnn_kl_div_logits(ctx, x, q, CLNN_KL_PQ, CLNN_REDUCE_MEAN, loss, grad, NULL));
    else if (is(t, "outputs.js_logits")) STEP(&b, clnn_js_div_logits(ctx, x, q, CLNN_REDUCE_MEAN, loss, grad, NULL));
    else if (is(t, "outputs.stablemax_rows")) STEP(&b, clnn_stablemax_forward(ctx, x, grad));
    else STEP(&b, clnn_stablemax_cross_entropy(ctx, x, ints(&b, rows, cols, 7), CLNN_REDUCE_MEAN, loss, grad));
    return bench_end(&b);
}

EXERCISE(representations)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t p0 = problem[0] < 2 ? 2 : problem[0], p1 = problem[1];
    const char *k = t->id + strlen("representations.");
    clnn_tensor *loss = RAND(&b, 1);
    if (strncmp(k, "sinkhorn", 8) == 0) {
        int cols = strstr(k, "cols") != NULL;
        size_t n = cols ? p1 : p0, m = cols ? p0 : p1;
        clnn_tensor *s = RAND(&b, n, m), *p = RAND(&b, n, m), *pot = RAND(&b, 2 * (n + m));
        STEP(&b, clnn_sinkhorn_forward(ctx, s, 1.0f, 2, p, pot));
        if (strstr(k, "back")) STEP(&b, clnn_sinkhorn_backward(ctx, s, pot, p, 1.0f, 2, RAND(&b, n, m)));
    } else if (is(t, "representations.center_loss_rows") || is(t, "representations.center_links") ||
               is(t, "representations.center_update")) {
        clnn_tensor *x = RAND(&b, p0, p1), *labels = ints(&b, p0, 10, 7), *centers = RAND(&b, 10, p1);
        if (is(t, "representations.center_loss_rows"))
            STEP(&b, clnn_center_loss(ctx, x, labels, centers, CLNN_REDUCE_MEAN, loss, RAND(&b, p0, p1)));
        else STEP(&b, clnn_center_loss_update(ctx, x, labels, 0.5f, centers));
    } else if (is(t, "representations.pseudo_huber_rows") || is(t, "representations.pair_loss")) {
        clnn_tensor *x = RAND(&b, p0, p1), *y = RAND(&b, p0, p1), *g = RAND(&b, p0, p1);
        STEP(&b, is(t, "representations.pair_loss") ? clnn_huber_loss(ctx, x, y, 0.5f, CLNN_REDUCE_MEAN, loss, g)
                                                    : clnn_pseudo_huber_loss(ctx, x, y, 0.5f, CLNN_REDUCE_MEAN, loss, g));
    } else if (is(t, "representations.offdiag_sq") || is(t, "representations.center_cols")) {
        STEP(&b, clnn_vicreg_covariance(ctx, RAND(&b, p0, p1), loss, NULL));
    } else { /* column statistics, variance gradient and the sum of the hinges */
        size_t n = is(t, "representations.vicreg_value") ? 16 : p0;
        STEP(&b, clnn_vicreg_variance(ctx, RAND(&b, n, p1), 1.0f, 1e-4f, loss, RAND(&b, n, p1)));
    }
    return bench_end(&b);
}

/* losses: [P0 rows, P1 classes] (at least 2; 3 for the spherical Z-loss);
 * py_loss with every robust term, the NFL pass included; ASL with every target 1; ELR on a state of P0 samples;
 * the hidden-layer Z-loss on h [P0, P1] (its wfix kernel: P0 classes). */
EXERCISE(losses)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t rows = problem[0], cols = problem[1] < 2 ? 2 : problem[1];
    clnn_tensor *x = RAND(&b, rows, cols), *grad = RAND(&b, rows, cols), *loss = RAND(&b, 1);
    clnn_tensor *labels = ints(&b, rows, cols, 7);
    if (is(t, "losses.asl")) {
        clnn_tensor *targets = RAND(&b, rows, cols);
        STEP(&b, clnn_tensor_fill(targets, 1.0f));
        STEP(&b, clnn_asymmetric_loss(ctx, x, targets, 1.0f, 4.0f, 0.05f, CLNN_REDUCE_MEAN, loss, grad));
    } else if (is(t, "losses.spherical_z")) { /* at least 3 classes (the Z-loss is constant at 2) */
        const size_t cz = cols < 3 ? 3 : cols;
        clnn_tensor *xz = cz == cols ? x : RAND(&b, rows, cz), *gz = cz == cols ? grad : RAND(&b, rows, cz);
        STEP(&b, clnn_spherical_z_loss(ctx, xz, cz == cols ? labels : ints(&b, rows, cz, 7), 0.1f, 10.0f, 1e-6f,
                                       CLNN_REDUCE_MEAN, loss, gz));
    } else if (strncmp(t->id, "losses.spherical_z_hidden", 25) == 0) {
        /* h [P0, P1] on 10 classes, every output; wfix's problem is the C
         * classes: C = P0 (at least 3), d = 16, 4 rows */
        int wfix = is(t, "losses.spherical_z_hidden_wfix");
        size_t n = wfix ? 4 : rows, d = wfix ? 16 : problem[1], c = wfix ? (rows < 3 ? 3 : rows) : 10;
        clnn_tensor *h = RAND(&b, n, d), *w = RAND(&b, c, d), *bias = RAND(&b, c), *dh = RAND(&b, n, d);
        clnn_tensor *dw = RAND(&b, c, d), *db = RAND(&b, c);
        STEP(&b, clnn_spherical_z_loss_hidden(ctx, h, w, bias, ints(&b, n, c, 7), 0.1f, 10.0f, 1e-6f,
                                              CLNN_REDUCE_MEAN, loss, dh, dw, db));
    } else if (is(t, "losses.elr")) {
        clnn_tensor *state = make(&b, 0.0f, 1.0f / (float)cols, (const size_t[4]){rows, cols});
        STEP(&b, clnn_elr_loss(ctx, x, labels, ints(&b, rows, rows, rows - 1), state, 3.0f, 0.7f, CLNN_REDUCE_MEAN,
                               loss, grad));
    } else {
        clnn_robust_loss_options w = {sizeof(clnn_robust_loss_options), 1, 1, 1, 1, 1, 1, -4.0f, 0.7f, 0.5f};
        STEP(&b, clnn_robust_loss(ctx, x, labels, &w, CLNN_REDUCE_MEAN, loss, grad));
    }
    return bench_end(&b);
}

EXERCISE(metric)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem), d = 64;
    if (is(t, "metric.harmonic_rows") || is(t, "metric.margin_rows") || is(t, "metric.ada_stats") ||
        is(t, "metric.rows_apply") || is(t, "metric.column_sums")) {
        size_t rows = problem[0], classes = problem[1];
        if (is(t, "metric.ada_stats")) rows = n, classes = 8;
        if (is(t, "metric.rows_apply")) rows = (n + d - 1) / d, classes = 16;
        if (is(t, "metric.column_sums")) rows = 64, classes = problem[0];
        clnn_tensor *x = RAND(&b, rows, d), *w = RAND(&b, classes, d), *labels = ints(&b, rows, classes, 7);
        clnn_tensor *dx = RAND(&b, rows, d), *dw = RAND(&b, classes, d), *loss = RAND(&b, 1);
        if (is(t, "metric.margin_rows") || is(t, "metric.ada_stats")) {
            clnn_margin_options o;
            clnn_margin_options_init(&o, CLNN_MARGIN_ADAFACE);
            STEP(&b, clnn_margin_loss(ctx, x, w, labels, &o, make(&b, 1.0f, 2.0f, (const size_t[4]){2}), loss, dx,
                                      dw));
        } else {
            STEP(&b, clnn_harmonic_loss(ctx, x, w, labels, 8.0f, 1e-12f, CLNN_REDUCE_MEAN, loss, dx, dw));
        }
    } else if (strncmp(t->id, "metric.overlap", 14) == 0) {
        clnn_tensor *p = make(&b, 0.0f, 1.0f, (const size_t[4]){problem[0], problem[1]});
        clnn_tensor *q = make(&b, 0.0f, 1.0f, (const size_t[4]){problem[0], problem[1]});
        STEP(&b, clnn_soft_dice_loss(ctx, p, q, 0, 1.0f, CLNN_REDUCE_MEAN, RAND(&b, 1), RAND(&b, problem[0], problem[1])));
    } else if (is(t, "metric.diou")) {
        clnn_tensor *p = make(&b, 0.0f, 1.0f, (const size_t[4]){n, 4}), *q = make(&b, 0.0f, 1.0f, (const size_t[4]){n, 4});
        STEP(&b, clnn_diou_loss(ctx, p, q, CLNN_REDUCE_MEAN, RAND(&b, 1), RAND(&b, n, 4)));
    } else {
        STEP(&b, clnn_madl_loss(ctx, RAND(&b, n), RAND(&b, n), 10.0f, 1.0f, CLNN_REDUCE_MEAN, RAND(&b, 1), RAND(&b, n)));
    }
    return bench_end(&b);
}

EXERCISE(gradcomb)
{
    /* three gradient lists of one n-element tensor; each kernel through the op that launches it */
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    clnn_tensor *w = RAND(&b, n), *mask = make(&b, 0.0f, 1.0f, (const size_t[4]){n}), *out = RAND(&b, n);
    const clnn_tensor *g[3] = {RAND(&b, n), RAND(&b, n), RAND(&b, n)};
    clnn_tensor *ol[1] = {out}, *wl[1] = {w}, *sl[1] = {RAND(&b, n)}, *dl[1] = {RAND(&b, n)};
    if (is(t, "gradcomb.amp_apply")) {
        clnn_amp_options amp = {sizeof(clnn_amp_options), 0.05f, 1.0f, 0};
        STEP(&b, clnn_amp_ascent(ctx, 1, g, &amp, 0, wl, sl, dl));
    } else if (is(t, "gradcomb.lobster")) {
        STEP(&b, clnn_lobster_step(ctx, g[0], 0.1f, 0.1f, 1.0f, 1e-3f, w, mask));
    } else if (is(t, "gradcomb.combine")) {
        STEP(&b, clnn_grad_weighted_sum(ctx, 3, 1, g, NULL, NULL, ol));
    } else {
        STEP(&b, clnn_pcgrad(ctx, 3, 1, g, 1, 0, ol));
    }
    return bench_end(&b);
}

/* The sparsity / sorting / MoE family (include/clnn/sparse.h). Problems:
 *   radix_count/scatter: P0 tiles of P1 (4096) keys; radix_scan: P1 / 16
 *   tiles of 4096 keys; w2_diff, msdropout_*: n = P0 * P1 (msdropout: 4
 *   samples of n); topk_rows: [P0 rows, P1 columns]; moe_route,
 *   moe_route_backward, moe_aux_loss: P0 tokens, P1 experts (k = 2);
 *   moe_load: P0 experts, P1 routed pairs; moe_bias_update: P0 experts;
 *   moe_pair_keys, moe_offsets, moe_gather, moe_combine*: P0 tokens of P1
 *   features (the launches' own problems are pairs or elements). */
static clnn_status exercise_moe(bench *b, const clnn__tunable *t, const size_t problem[2])
{
    clnn_context *ctx = b->ctx;
    if (is(t, "sparse.moe_load")) { /* P0 experts, P1 routed pairs */
        clnn_tensor *load = ints(b, problem[0], problem[0], 1);
        STEP(b, clnn_moe_expert_load(ctx, ints(b, problem[1], problem[0], 7), load));
    } else if (is(t, "sparse.moe_bias_update")) { /* P0 experts */
        STEP(b, clnn_moe_bias_update(ctx, ints(b, problem[0], 50, 7), 1e-3f, RAND(b, problem[0])));
    } else if (is(t, "sparse.moe_pair_keys") || is(t, "sparse.moe_offsets") || is(t, "sparse.moe_gather") ||
               strncmp(t->id, "sparse.moe_combine", 18) == 0) { /* P0 tokens of P1 features, 8 experts, k = 2 */
        size_t T = problem[0], D = problem[1];
        clnn_tensor *x = RAND(b, T, D), *xs = RAND(b, 2 * T, D), *g = RAND(b, T, 2), *pos = NULL;
        clnn_tensor *idx = ints(b, 2 * T, 8, 3), *off = ints(b, 9, 9, 1);
        if (b->st == CLNN_OK) b->st = clnn_tensor_reshape(idx, 2, (size_t[]){T, 2}); /* [T, k] */
        if (b->st == CLNN_OK) b->st = clnn_tensor_create(ctx, CLNN_INT32, 2, (size_t[]){T, 2}, &pos);
        if (b->st == CLNN_OK) b->t[b->n++] = pos;
        STEP(b, clnn_moe_dispatch(ctx, x, idx, off, pos, xs));
        if (is(t, "sparse.moe_combine")) STEP(b, clnn_moe_combine(ctx, xs, pos, g, x));
        else if (strncmp(t->id, "sparse.moe_combine_d", 20) == 0)
            STEP(b, clnn_moe_combine_backward(ctx, xs, pos, g, x, RAND(b, 2 * T, D), RAND(b, T, 2)));
    } else { /* P0 tokens, P1 experts, k = 2 (1 for one expert) */
        size_t T = problem[0], E = problem[1], k = E > 1 ? 2 : 1;
        clnn_tensor *z = RAND(b, T, E), *g = RAND(b, T, k), *idx = NULL;
        if (b->st == CLNN_OK) b->st = clnn_tensor_create(ctx, CLNN_INT32, 2, (size_t[]){T, k}, &idx);
        if (b->st == CLNN_OK) b->t[b->n++] = idx;
        STEP(b, clnn_moe_route(ctx, z, NULL, k, CLNN_MOE_SIGMOID, 1, idx, g));
        if (is(t, "sparse.moe_route_backward"))
            STEP(b, clnn_moe_route_backward(ctx, z, idx, g, CLNN_MOE_SIGMOID, 1, RAND(b, T, E)));
        else if (is(t, "sparse.moe_aux_loss")) STEP(b, clnn_moe_aux_loss(ctx, z, idx, 0.01f, RAND(b, 1), RAND(b, T, E)));
    }
    return b->st;
}

EXERCISE(sparse)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = elements(problem);
    if (strncmp(t->id, "sparse.radix_", 13) == 0) {
        size_t tiles = is(t, "sparse.radix_scan") ? (problem[1] + 15) / 16 : problem[0];
        clnn_tensor *keys = RAND(&b, tiles * 4096);
        STEP(&b, clnn_sort(ctx, keys, NULL, keys, NULL));
    } else if (is(t, "sparse.w2_diff")) {
        clnn_tensor *w = RAND(&b, n), *w0 = RAND(&b, n);
        STEP(&b, clnn_sort(ctx, w0, NULL, w0, NULL));
        STEP(&b, clnn_reg_wasserstein(ctx, w, w0, 0.1f, RAND(&b, 1), RAND(&b, n)));
    } else if (is(t, "sparse.topk_rows")) { /* P0 rows of P1 */
        STEP(&b, clnn_topk_activation_forward(ctx, RAND(&b, problem[0], problem[1]), problem[1] / 8 + 1,
                                              RAND(&b, problem[0], problem[1]), NULL));
    } else if (strncmp(t->id, "sparse.msdropout", 16) == 0) { /* 4 samples of n */
        clnn_tensor *x = RAND(&b, n), *y = RAND(&b, 4, n);
        STEP(&b, is(t, "sparse.msdropout_forward") ? clnn_multi_dropout_forward(ctx, x, 4, 0.1f, 5, 0, y)
                                                   : clnn_multi_dropout_backward(ctx, y, 4, 0.1f, 5, 0, x));
    } else if (strncmp(t->id, "sparse.moe_", 11) == 0) {
        exercise_moe(&b, t, problem);
    } else {
        b.st = clnn__fail(ctx, CLNN_ERR_INTERNAL, "clnn_tune_kernel: no exercise for '%s'", t->id);
    }
    return bench_end(&b);
}

EXERCISE(contrastive)
{
    bench b = {ctx, {0}, 0, CLNN_OK};
    size_t n = problem[0] < 2 ? 2 : problem[0], d = problem[1] ? problem[1] : 1;
    clnn_tensor *x = RAND(&b, n, d), *y = RAND(&b, n, d), *dx = RAND(&b, n, d), *dy = RAND(&b, n, d);
    clnn_tensor *loss = RAND(&b, 1);
    const char *k = t->id + strlen("contrastive.");
    if (strncmp(k, "ge2e", 4) == 0 || strcmp(k, "row_sqnorms") == 0) {
        clnn_tensor *e = RAND(&b, n, 4, d), *de = RAND(&b, n, 4, d), *w = RAND(&b, 1), *bias = RAND(&b, 1);
        STEP(&b, clnn_ge2e_loss(ctx, e, w, bias, CLNN_REDUCE_MEAN, loss, de, NULL, NULL));
    } else if (strcmp(k, "alignment") == 0) {
        STEP(&b, clnn_alignment_loss(ctx, x, y, 2.0f, loss, dx, dy));
    } else if (strncmp(k, "uniformity", 10) == 0 || strcmp(k, "lse_merge") == 0 || strcmp(k, "rows_axpy") == 0) {
        STEP(&b, clnn_uniformity_loss(ctx, x, 2.0f, loss, dx));
    } else if (strcmp(k, "barlow_rows") == 0) {
        STEP(&b, clnn_barlow_twins(ctx, x, y, 5e-3f, loss, dx, dy));
    } else if (strcmp(k, "variance") == 0) {
        STEP(&b, clnn_task_variance_penalty(ctx, x, 1.0f, CLNN_REDUCE_MEAN, loss, dx));
    } else if (strncmp(k, "tiled", 5) == 0) {
        STEP(&b, clnn_infonce_tiled(ctx, x, y, CLNN_INFONCE_ONE_WAY, NULL, loss, dx, dy));
    } else { /* embed_prepare, embed_finish, rows */
        STEP(&b, clnn_infonce(ctx, x, y, CLNN_INFONCE_ONE_WAY, NULL, loss, dx, dy));
    }
    return bench_end(&b);
}
