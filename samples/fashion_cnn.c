/* Trains a small CNN on Fashion-MNIST:
 *   [conv3x3(1->16) - batchnorm - relu - maxpool2] -> [conv3x3(16->32) - batchnorm - relu - maxpool2]
 *   -> dense(1568 -> 10)
 * with cutout on the training images and a group-lasso term over the output
 * filters of both convolutions (its proximal block soft-threshold after each
 * AdamW step sets whole filters to exactly zero); it reports the weight and
 * filter sparsity reached.
 *   fashion_cnn --epochs 5 --batch 64 --lr 0.002 [--sparsity 0.1] [--cutout 6]
 * Last line: test_accuracy=0.xxxx */
#include "fashion_data.h"
#include "model_util.h"
#include "sample_util.h"

#include <math.h>
#include <string.h>

#define CLASSES 10
#define SIDE 28
#define PIXELS (SIDE * SIDE)
#define C1 16
#define C2 32
#define FLAT (C2 * 7 * 7)

typedef struct cnn {
    clnn_tensor *w1, *w2, *w3, *b3;           /* conv filters [K, C, 3, 3]; dense W [10, FLAT], b [10] */
    clnn_tensor *g1, *be1, *g2, *be2;         /* batch-norm gains and shifts */
    clnn_tensor *rm1, *rv1, *rm2, *rv2;       /* running statistics */
    clnn_tensor *grad[8], *m[8], *v[8];       /* per parameter: gradient, AdamW moments */
} cnn;

enum { P_W1, P_G1, P_BE1, P_W2, P_G2, P_BE2, P_W3, P_B3, N_PARAMS };

typedef struct batch_buffers {
    size_t n;
    clnn_tensor *x, *labels;
    clnn_tensor *c1, *n1, *r1, *p1, *i1;      /* conv, norm, relu, pool outputs; pool indices */
    clnn_tensor *c2, *n2, *r2, *p2, *i2;
    clnn_tensor *mean1, *istd1, *mean2, *istd2;
    clnn_tensor *logits, *loss;
    clnn_tensor *dlogits, *dp2, *dr2, *dn2, *dc2, *dp1, *dr1, *dn1, *dc1;
} batch_buffers;

static const clnn_conv2d_params conv3x3 = {{1, 1}, {1, 1}, {1, 1}, 1};
static const clnn_pool2d_params pool2 = {{2, 2}, {2, 2}, {0, 0}, 0};

static clnn_tensor **param_slot(cnn *m, int p)
{
    clnn_tensor **slots[N_PARAMS] = {&m->w1, &m->g1, &m->be1, &m->w2, &m->g2, &m->be2, &m->w3, &m->b3};
    return slots[p];
}

static void cnn_create(clnn_context *ctx, cnn *m, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->w1 = new_tensor(ctx, CLNN_FLOAT32, 4, C1, 1, 3, 3);
    m->w2 = new_tensor(ctx, CLNN_FLOAT32, 4, C2, C1, 3, 3);
    m->w3 = new_tensor(ctx, CLNN_FLOAT32, 2, CLASSES, FLAT, 0, 0);
    m->b3 = new_tensor(ctx, CLNN_FLOAT32, 1, CLASSES, 0, 0, 0);
    m->g1 = new_tensor(ctx, CLNN_FLOAT32, 1, C1, 0, 0, 0);
    m->be1 = new_tensor(ctx, CLNN_FLOAT32, 1, C1, 0, 0, 0);
    m->g2 = new_tensor(ctx, CLNN_FLOAT32, 1, C2, 0, 0, 0);
    m->be2 = new_tensor(ctx, CLNN_FLOAT32, 1, C2, 0, 0, 0);
    m->rm1 = new_tensor(ctx, CLNN_FLOAT32, 1, C1, 0, 0, 0);
    m->rv1 = new_tensor(ctx, CLNN_FLOAT32, 1, C1, 0, 0, 0);
    m->rm2 = new_tensor(ctx, CLNN_FLOAT32, 1, C2, 0, 0, 0);
    m->rv2 = new_tensor(ctx, CLNN_FLOAT32, 1, C2, 0, 0, 0);
    init_kaiming_uniform(ctx, m->w1, 9, seed, 0);
    init_kaiming_uniform(ctx, m->w2, 9 * C1, seed, 1);
    init_kaiming_uniform(ctx, m->w3, FLAT, seed, 2);
    CK(ctx, clnn_tensor_fill(m->b3, 0.0f));
    CK(ctx, clnn_tensor_fill(m->g1, 1.0f));
    CK(ctx, clnn_tensor_fill(m->g2, 1.0f));
    CK(ctx, clnn_tensor_fill(m->be1, 0.0f));
    CK(ctx, clnn_tensor_fill(m->be2, 0.0f));
    CK(ctx, clnn_tensor_fill(m->rm1, 0.0f));
    CK(ctx, clnn_tensor_fill(m->rm2, 0.0f));
    CK(ctx, clnn_tensor_fill(m->rv1, 1.0f));
    CK(ctx, clnn_tensor_fill(m->rv2, 1.0f));
    for (int p = 0; p < N_PARAMS; p++) {
        clnn_tensor *w = *param_slot(m, p);
        int nd;
        size_t s[4];
        clnn_tensor_shape(w, &nd, s);
        m->grad[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        m->m[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        m->v[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        CK(ctx, clnn_tensor_fill(m->m[p], 0.0f));
        CK(ctx, clnn_tensor_fill(m->v[p], 0.0f));
    }
}

static void cnn_release(cnn *m)
{
    for (int p = 0; p < N_PARAMS; p++) {
        clnn_tensor_release(*param_slot(m, p));
        clnn_tensor_release(m->grad[p]);
        clnn_tensor_release(m->m[p]);
        clnn_tensor_release(m->v[p]);
    }
    clnn_tensor_release(m->rm1);
    clnn_tensor_release(m->rv1);
    clnn_tensor_release(m->rm2);
    clnn_tensor_release(m->rv2);
}

#define BUFFER_LIST(b)                                                                                        \
    {&b->x, &b->labels, &b->c1, &b->n1, &b->r1, &b->p1, &b->i1, &b->c2, &b->n2, &b->r2, &b->p2, &b->i2,           \
     &b->mean1, &b->istd1, &b->mean2, &b->istd2, &b->logits, &b->loss, &b->dlogits, &b->dp2, &b->dr2, &b->dn2,   \
     &b->dc2, &b->dp1, &b->dr1, &b->dn1, &b->dc1}

static void buffers_create(clnn_context *ctx, batch_buffers *b, size_t n)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->x = new_tensor(ctx, CLNN_FLOAT32, 4, n, 1, SIDE, SIDE);
    b->labels = new_tensor(ctx, CLNN_INT32, 1, n, 0, 0, 0);
    b->c1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 28, 28);
    b->n1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 28, 28);
    b->r1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 28, 28);
    b->p1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 14, 14);
    b->i1 = new_tensor(ctx, CLNN_INT32, 4, n, C1, 14, 14);
    b->c2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 14, 14);
    b->n2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 14, 14);
    b->r2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 14, 14);
    b->p2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 7, 7);
    b->i2 = new_tensor(ctx, CLNN_INT32, 4, n, C2, 7, 7);
    b->mean1 = new_tensor(ctx, CLNN_FLOAT32, 1, C1, 0, 0, 0);
    b->istd1 = new_tensor(ctx, CLNN_FLOAT32, 1, C1, 0, 0, 0);
    b->mean2 = new_tensor(ctx, CLNN_FLOAT32, 1, C2, 0, 0, 0);
    b->istd2 = new_tensor(ctx, CLNN_FLOAT32, 1, C2, 0, 0, 0);
    b->logits = new_tensor(ctx, CLNN_FLOAT32, 2, n, CLASSES, 0, 0);
    b->loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1, 0, 0, 0);
    b->dlogits = new_tensor(ctx, CLNN_FLOAT32, 2, n, CLASSES, 0, 0);
    b->dp2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 7, 7);
    b->dr2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 14, 14);
    b->dn2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 14, 14);
    b->dc2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C2, 14, 14);
    b->dp1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 14, 14);
    b->dr1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 28, 28);
    b->dn1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 28, 28);
    b->dc1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, C1, 28, 28);
}

static void buffers_release(batch_buffers *b)
{
    clnn_tensor **all[] = BUFFER_LIST(b);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(*all[i]);
}

/* Views p2 [n, C2, 7, 7] as the dense layer's [n, FLAT] input (and back). */
static void flatten(clnn_context *ctx, clnn_tensor *t, size_t n, int flat)
{
    size_t s4[4] = {n, C2, 7, 7}, s2[2] = {n, FLAT};
    CK(ctx, clnn_tensor_reshape(t, flat ? 2 : 4, flat ? s2 : s4));
}

static void forward(clnn_context *ctx, cnn *m, batch_buffers *b, int training)
{
    const float momentum = 0.1f, eps = 1e-5f;
    CK(ctx, clnn_conv2d_forward(ctx, b->x, m->w1, NULL, &conv3x3, b->c1));
    CK(ctx, clnn_batchnorm_forward(ctx, b->c1, m->g1, m->be1, m->rm1, m->rv1, training, momentum, eps, b->n1,
                                   b->mean1, b->istd1));
    CK(ctx, clnn_activation_forward(ctx, CLNN_ACT_RELU, 0.0f, b->n1, b->r1));
    CK(ctx, clnn_maxpool2d_forward(ctx, b->r1, &pool2, b->p1, b->i1));
    CK(ctx, clnn_conv2d_forward(ctx, b->p1, m->w2, NULL, &conv3x3, b->c2));
    CK(ctx, clnn_batchnorm_forward(ctx, b->c2, m->g2, m->be2, m->rm2, m->rv2, training, momentum, eps, b->n2,
                                   b->mean2, b->istd2));
    CK(ctx, clnn_activation_forward(ctx, CLNN_ACT_RELU, 0.0f, b->n2, b->r2));
    CK(ctx, clnn_maxpool2d_forward(ctx, b->r2, &pool2, b->p2, b->i2));
    flatten(ctx, b->p2, b->n, 1);
    CK(ctx, clnn_dense_forward(ctx, b->p2, m->w3, m->b3, CLNN_ACT_NONE, 0.0f, NULL, b->logits));
    flatten(ctx, b->p2, b->n, 0);
}

static void backward(clnn_context *ctx, cnn *m, batch_buffers *b)
{
    flatten(ctx, b->p2, b->n, 1);
    flatten(ctx, b->dp2, b->n, 1);
    CK(ctx, clnn_dense_backward(ctx, b->p2, m->w3, NULL, CLNN_ACT_NONE, 0.0f, b->dlogits, 0, b->dp2, m->grad[P_W3],
                                m->grad[P_B3]));
    flatten(ctx, b->p2, b->n, 0);
    flatten(ctx, b->dp2, b->n, 0);
    CK(ctx, clnn_maxpool2d_backward(ctx, b->dp2, b->i2, &pool2, b->dr2));
    CK(ctx, clnn_activation_backward(ctx, CLNN_ACT_RELU, 0.0f, b->n2, b->dr2, b->dn2));
    CK(ctx, clnn_batchnorm_backward(ctx, b->c2, b->dn2, m->g2, b->mean2, b->istd2, 1, b->dc2, m->grad[P_G2],
                                    m->grad[P_BE2]));
    CK(ctx, clnn_conv2d_backward_weights(ctx, b->p1, b->dc2, &conv3x3, m->grad[P_W2]));
    CK(ctx, clnn_conv2d_backward_data(ctx, b->dc2, m->w2, &conv3x3, b->dp1));
    CK(ctx, clnn_maxpool2d_backward(ctx, b->dp1, b->i1, &pool2, b->dr1));
    CK(ctx, clnn_activation_backward(ctx, CLNN_ACT_RELU, 0.0f, b->n1, b->dr1, b->dn1));
    CK(ctx, clnn_batchnorm_backward(ctx, b->c1, b->dn1, m->g1, b->mean1, b->istd1, 1, b->dc1, m->grad[P_G1],
                                    m->grad[P_BE1]));
    CK(ctx, clnn_conv2d_backward_weights(ctx, b->x, b->dc1, &conv3x3, m->grad[P_W1]));
}

/* One fused AdamW step for every parameter (decoupled decay on the dense
 * weight only, none on batch-norm parameters and biases), then the group-lasso
 * proximal step on the convolution filters: each filter [C, 3, 3] is a group. */
static void adamw_step(clnn_context *ctx, cnn *m, const sample_options *o, unsigned long step,
                       unsigned long total_steps)
{
    float lr = cosine_lr(o->lr, step, total_steps);
    clnn_optim opt = {.kind = CLNN_OPTIM_ADAMW, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                      .weight_decay = o->weight_decay, .step = step};
    clnn_param params[N_PARAMS];
    for (int p = 0; p < N_PARAMS; p++)
        params[p] = (clnn_param){*param_slot(m, p), m->grad[p], m->m[p], m->v[p], NULL, p != P_W3};
    CK(ctx, clnn_optim_step(ctx, &opt, N_PARAMS, params, 0, NULL));
    if (o->sparsity > 0) {
        CK(ctx, clnn_reg_group_lasso_prox(ctx, o->sparsity, lr, CLNN_GROUP_ROWS, m->w1));
        CK(ctx, clnn_reg_group_lasso_prox(ctx, o->sparsity, lr, CLNN_GROUP_ROWS, m->w2));
    }
}

/* Fraction of exactly-zero filter weights, and filters that are all zero. */
static void sparsity(clnn_context *ctx, clnn_tensor *w, size_t filters, size_t per_filter, double *weights,
                     size_t *dead)
{
    float *h = malloc(filters * per_filter * sizeof *h);
    CK(ctx, clnn_tensor_download(w, h, filters * per_filter * sizeof *h));
    size_t zeros = 0;
    *dead = 0;
    for (size_t f = 0; f < filters; f++) {
        size_t z = 0;
        for (size_t i = 0; i < per_filter; i++) z += h[f * per_filter + i] == 0.0f;
        zeros += z;
        *dead += z == per_filter;
    }
    *weights = (double)zeros / (double)(filters * per_filter);
    free(h);
}

static double evaluate(clnn_context *ctx, cnn *m, const fashion_set *set, size_t batch, float *stage_x,
                       int32_t *stage_y, float *logits)
{
    uint32_t *idx = malloc(set->count * sizeof *idx);
    for (size_t i = 0; i < set->count; i++) idx[i] = (uint32_t)i;
    size_t correct = 0, tail = set->count % batch;
    batch_buffers full, rest;
    buffers_create(ctx, &full, batch);
    if (tail) buffers_create(ctx, &rest, tail);
    for (size_t start = 0; start < set->count; start += batch) {
        size_t n = set->count - start < batch ? set->count - start : batch;
        batch_buffers *b = n == batch ? &full : &rest;
        upload_batch(ctx, set->images, set->labels, idx + start, n, PIXELS, stage_x, stage_y, b->x, b->labels);
        forward(ctx, m, b, 0);
        CK(ctx, clnn_tensor_download(b->logits, logits, n * CLASSES * sizeof(float)));
        correct += count_correct(logits, stage_y, n, CLASSES);
    }
    buffers_release(&full);
    if (tail) buffers_release(&rest);
    free(idx);
    return (double)correct / (double)set->count;
}

int main(int argc, char **argv)
{
    sample_options o = {.epochs = 5, .batch = 64, .lr = 2e-3f, .seed = 1, .csv = "fashion_cnn.csv",
                        .weight_decay = 0.01f, .sparsity = 0.1f, .cutout = 6.0f};
    int rc = sample_parse(argc, argv, "fashion_cnn",
                          "Trains a small CNN (conv-bn-relu-pool x2, dense) on Fashion-MNIST with cutout\n"
                          "and a group-lasso term that prunes whole convolution filters.", &o);
    if (rc) return rc < 0 ? 2 : 0;
    if (o.cutout > SIDE || o.cutout != floorf(o.cutout)) {
        fprintf(stderr, "fashion_cnn: --cutout must be a whole number of pixels up to %d\n", SIDE);
        return 2;
    }
    char err[2048];
    const char *dir = fashion_find_dir(o.data);
    if (!dir) dir = o.data ? o.data : FASHION_DEFAULT_DIR; /* loading fails there with the how-to message */
    fashion_set train, test;
    if (fashion_load(dir, "train", o.train_limit, &train, err, sizeof err) != 0 ||
        fashion_load(dir, "t10k", o.test_limit, &test, err, sizeof err) != 0) {
        fprintf(stderr, "fashion_cnn: %s\n", err);
        return 1;
    }
    clnn_context *ctx = NULL;
    if (clnn_context_create(o.device, &ctx) != CLNN_OK) {
        fprintf(stderr, "fashion_cnn: %s\n", clnn_last_error(NULL));
        return 1;
    }
    clnn_device_info info;
    clnn_context_device(ctx, &info);
    if (o.batch > train.count) o.batch = train.count;
    if (o.batch < 2) o.batch = 2; /* batch norm needs two samples */
    printf("fashion_cnn on %s: %zu train / %zu test images, batch %zu, lr %g, cutout %g px, group lasso %g, "
           "weight decay %g\n",
           info.name, train.count, test.count, o.batch, (double)o.lr, (double)o.cutout, (double)o.sparsity,
           (double)o.weight_decay);

    cnn m;
    cnn_create(ctx, &m, o.seed);
    batch_buffers b;
    buffers_create(ctx, &b, o.batch);
    float *stage_x = malloc(o.batch * PIXELS * sizeof(float));
    int32_t *stage_y = malloc(o.batch * sizeof(int32_t));
    float *logits = malloc(o.batch * CLASSES * sizeof(float));
    uint32_t *order = malloc(train.count * sizeof *order);
    epoch_row *rows = calloc((size_t)o.epochs, sizeof *rows);
    clnn_cross_entropy_options ce = {CLNN_REDUCE_MEAN, o.label_smoothing, -100};
    size_t steps_per_epoch = train.count / o.batch;
    unsigned long step = 0;

    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        shuffle_indices(order, train.count, o.seed * 1000 + (uint64_t)epoch);
        double t0 = wall_seconds(), loss_sum = 0;
        size_t correct = 0;
        for (size_t s = 0; s < steps_per_epoch; s++) {
            step++;
            upload_batch(ctx, train.images, train.labels, order + s * o.batch, o.batch, PIXELS, stage_x, stage_y, b.x,
                         b.labels);
            if (o.cutout > 0)
                CK(ctx, clnn_cutout_forward(ctx, b.x, (size_t)o.cutout, o.seed * 0x100000001ull + step, b.x));
            forward(ctx, &m, &b, 1);
            CK(ctx, clnn_cross_entropy_labels(ctx, b.logits, b.labels, &ce, b.loss, b.dlogits));
            backward(ctx, &m, &b);
            adamw_step(ctx, &m, &o, step, steps_per_epoch * (unsigned long)o.epochs);
            float loss;
            CK(ctx, clnn_tensor_download(b.loss, &loss, sizeof loss));
            CK(ctx, clnn_tensor_download(b.logits, logits, o.batch * CLASSES * sizeof(float)));
            loss_sum += loss;
            correct += count_correct(logits, stage_y, o.batch, CLASSES);
            if (!o.quiet) progress_bar("train", s + 1, steps_per_epoch, wall_seconds() - t0);
        }
        double seconds = wall_seconds() - t0;
        double test_acc = evaluate(ctx, &m, &test, o.batch, stage_x, stage_y, logits);
        epoch_row *r = &rows[epoch - 1];
        *r = (epoch_row){epoch, loss_sum / (double)steps_per_epoch,
                         (double)correct / (double)(steps_per_epoch * o.batch), test_acc,
                         (double)(steps_per_epoch * o.batch) / seconds, seconds};
        double s1, s2;
        size_t dead1, dead2;
        sparsity(ctx, m.w1, C1, 9, &s1, &dead1);
        sparsity(ctx, m.w2, C2, 9 * C1, &s2, &dead2);
        printf("epoch %d: loss %.4f  train_acc %.4f  test_acc %.4f  %.0f images/s  %.1f s  "
               "zero weights conv1 %.1f%% conv2 %.1f%%  pruned filters %zu/%d %zu/%d\n",
               epoch, r->loss, r->train_accuracy, r->test_accuracy, r->images_per_second, r->seconds, 100 * s1,
               100 * s2, dead1, C1, dead2, C2);
        fflush(stdout);
    }
    if (write_curves_csv(o.csv, rows, o.epochs) != 0) fprintf(stderr, "fashion_cnn: cannot write %s\n", o.csv);
    else if (o.plot && plot_curves(o.csv, o.plot, "fashion_cnn") != 0)
        fprintf(stderr, "fashion_cnn: gnuplot could not write %s (apt-get install gnuplot-nox)\n", o.plot);
    double final_acc = rows[o.epochs - 1].test_accuracy;
    free(rows);
    free(order);
    free(logits);
    free(stage_y);
    free(stage_x);
    buffers_release(&b);
    cnn_release(&m);
    clnn_context_release(ctx);
    fashion_free(&train);
    fashion_free(&test);
    printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
