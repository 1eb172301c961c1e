/* Trains an MLP 784-512-256-10 (relu, dropout) on Fashion-MNIST with AdamW,
 * decoupled weight decay and label smoothing.
 *   fashion_mlp --epochs 5 --batch 128 --lr 0.001 [--plot curves.png]
 * Last line: test_accuracy=0.xxxx */
#include "fashion_data.h"
#include "model_util.h"
#include "sample_util.h"

#include <string.h>

#define CLASSES 10
#define PIXELS 784
static const size_t widths[4] = {PIXELS, 512, 256, CLASSES};

typedef struct mlp {
    clnn_tensor *w[3], *b[3];       /* W [out, in], b [out] */
    clnn_tensor *dw[3], *db[3];     /* gradients */
    clnn_tensor *mw[3], *vw[3], *mb[3], *vb[3]; /* AdamW moments */
} mlp;

/* Activations and their gradients for one batch size. */
typedef struct batch_buffers {
    size_t n;
    clnn_tensor *x, *labels;
    clnn_tensor *z[3], *h[3], *d[2];   /* pre-activation, activation, after dropout */
    clnn_tensor *dh[3], *dd[2];        /* gradients wrt h (dh[2] = dlogits) and wrt dropout outputs */
    clnn_tensor *loss;
} batch_buffers;

static void mlp_create(clnn_context *ctx, mlp *m, uint64_t seed)
{
    for (int l = 0; l < 3; l++) {
        size_t in = widths[l], out = widths[l + 1];
        m->w[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->b[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        m->dw[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->db[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        m->mw[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->vw[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->mb[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        m->vb[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        init_kaiming_uniform(ctx, m->w[l], in, seed, (uint32_t)l);
        CK(ctx, clnn_tensor_fill(m->b[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->mw[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->vw[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->mb[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->vb[l], 0.0f));
    }
}

static void mlp_release(mlp *m)
{
    for (int l = 0; l < 3; l++) {
        clnn_tensor *all[] = {m->w[l], m->b[l], m->dw[l], m->db[l], m->mw[l], m->vw[l], m->mb[l], m->vb[l]};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    }
}

static void buffers_create(clnn_context *ctx, batch_buffers *b, size_t n)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->x = new_tensor(ctx, CLNN_FLOAT32, 2, n, PIXELS, 0, 0);
    b->labels = new_tensor(ctx, CLNN_INT32, 1, n, 0, 0, 0);
    for (int l = 0; l < 3; l++) {
        b->z[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
        b->h[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
        b->dh[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
    }
    for (int l = 0; l < 2; l++) {
        b->d[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
        b->dd[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
    }
    b->loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1, 0, 0, 0);
}

static void buffers_release(batch_buffers *b)
{
    clnn_tensor *all[] = {b->x, b->labels, b->z[0], b->z[1], b->z[2], b->h[0], b->h[1], b->h[2], b->dh[0], b->dh[1],
                          b->dh[2], b->d[0], b->d[1], b->dd[0], b->dd[1], b->loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

/* Forward pass into b->h[2] (the logits). With p > 0 dropout follows both
 * hidden layers, its masks keyed by (seed, layer). */
static void forward(clnn_context *ctx, const mlp *m, batch_buffers *b, float p, uint64_t seed)
{
    const clnn_tensor *in = b->x;
    for (int l = 0; l < 3; l++) {
        clnn_activation act = l < 2 ? CLNN_ACT_RELU : CLNN_ACT_NONE;
        CK(ctx, clnn_dense_forward(ctx, in, m->w[l], m->b[l], act, 0.0f, l < 2 ? b->z[l] : NULL, b->h[l]));
        if (l < 2 && p > 0) {
            CK(ctx, clnn_dropout_forward(ctx, b->h[l], p, seed, (uint32_t)l, b->d[l], NULL));
            in = b->d[l];
        } else {
            in = b->h[l];
        }
    }
}

/* Backward pass from dlogits in b->dh[2] into every dw, db. */
static void backward(clnn_context *ctx, mlp *m, batch_buffers *b, float p, uint64_t seed)
{
    for (int l = 2; l >= 0; l--) {
        const clnn_tensor *in = l == 0 ? b->x : p > 0 ? b->d[l - 1] : b->h[l - 1];
        clnn_activation act = l < 2 ? CLNN_ACT_RELU : CLNN_ACT_NONE;
        clnn_tensor *dx = l == 0 ? NULL : p > 0 ? b->dd[l - 1] : b->dh[l - 1];
        CK(ctx, clnn_dense_backward(ctx, in, m->w[l], l < 2 ? b->z[l] : NULL, act, 0.0f, b->dh[l], 0, dx, m->dw[l],
                                    m->db[l]));
        if (l > 0 && p > 0) CK(ctx, clnn_dropout_backward(ctx, b->dd[l - 1], p, seed, (uint32_t)(l - 1), b->dh[l - 1]));
    }
}

static void adamw_step(clnn_context *ctx, mlp *m, const sample_options *o, unsigned long step,
                       unsigned long total_steps)
{
    float lr = cosine_lr(o->lr, step, total_steps);
    clnn_optim opt = {.kind = CLNN_OPTIM_ADAMW, .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                      .weight_decay = o->weight_decay, .step = step};
    clnn_param params[6];
    for (int l = 0; l < 3; l++) {
        params[2 * l] = (clnn_param){m->w[l], m->dw[l], m->mw[l], m->vw[l], NULL, 0};
        params[2 * l + 1] = (clnn_param){m->b[l], m->db[l], m->mb[l], m->vb[l], NULL, 1}; /* no decay on biases */
    }
    CK(ctx, clnn_optim_step(ctx, &opt, 6, params, 0, NULL));
}

/* Test accuracy over the whole set, batch by batch (full batches + remainder). */
static double evaluate(clnn_context *ctx, const mlp *m, const fashion_set *set, size_t batch, float *stage_x,
                       int32_t *stage_y, float *logits)
{
    uint32_t *idx = malloc(set->count * sizeof *idx);
    for (size_t i = 0; i < set->count; i++) idx[i] = (uint32_t)i;
    size_t correct = 0;
    batch_buffers full, rest;
    buffers_create(ctx, &full, batch);
    size_t tail = set->count % batch;
    if (tail) buffers_create(ctx, &rest, tail);
    for (size_t start = 0; start < set->count; start += batch) {
        size_t n = set->count - start < batch ? set->count - start : batch;
        batch_buffers *b = n == batch ? &full : &rest;
        upload_batch(ctx, set->images, set->labels, idx + start, n, PIXELS, stage_x, stage_y, b->x, b->labels);
        forward(ctx, m, b, 0.0f, 0);
        CK(ctx, clnn_tensor_download(b->h[2], logits, n * CLASSES * sizeof(float)));
        correct += count_correct(logits, stage_y, n, CLASSES);
    }
    buffers_release(&full);
    if (tail) buffers_release(&rest);
    free(idx);
    return (double)correct / (double)set->count;
}

int main(int argc, char **argv)
{
    sample_options o = {.epochs = 5, .batch = 128, .lr = 1e-3f, .seed = 1, .csv = "fashion_mlp.csv",
                        .dropout = 0.2f, .weight_decay = 0.01f, .label_smoothing = 0.1f};
    int rc = sample_parse(argc, argv, "fashion_mlp",
                          "Trains an MLP 784-512-256-10 (relu, dropout) on Fashion-MNIST with AdamW,\n"
                          "decoupled weight decay and label smoothing.", &o);
    if (rc) return rc < 0 ? 2 : 0;
    if (o.dropout >= 1.0f || o.label_smoothing >= 1.0f) {
        fprintf(stderr, "fashion_mlp: --dropout and --label-smoothing must be below 1\n");
        return 2;
    }
    char err[2048];
    const char *dir = fashion_find_dir(o.data);
    if (!dir) dir = o.data ? o.data : FASHION_DEFAULT_DIR; /* loading fails there with the how-to message */
    fashion_set train, test;
    if (fashion_load(dir, "train", o.train_limit, &train, err, sizeof err) != 0 ||
        fashion_load(dir, "t10k", o.test_limit, &test, err, sizeof err) != 0) {
        fprintf(stderr, "fashion_mlp: %s\n", err);
        return 1;
    }
    clnn_context *ctx = NULL;
    if (clnn_context_create(o.device, &ctx) != CLNN_OK) {
        fprintf(stderr, "fashion_mlp: %s\n", clnn_last_error(NULL));
        return 1;
    }
    clnn_device_info info;
    clnn_context_device(ctx, &info);
    if (o.batch > train.count) o.batch = train.count;
    printf("fashion_mlp on %s: %zu train / %zu test images, batch %zu, lr %g, dropout %g, weight decay %g, "
           "label smoothing %g\n",
           info.name, train.count, test.count, o.batch, (double)o.lr, (double)o.dropout, (double)o.weight_decay,
           (double)o.label_smoothing);

    mlp m;
    mlp_create(ctx, &m, o.seed);
    batch_buffers b;
    buffers_create(ctx, &b, o.batch);
    float *stage_x = malloc(o.batch * PIXELS * sizeof(float));
    int32_t *stage_y = malloc(o.batch * sizeof(int32_t));
    float *logits = malloc(o.batch * CLASSES * sizeof(float));
    uint32_t *order = malloc(train.count * sizeof *order);
    epoch_row *rows = calloc((size_t)o.epochs, sizeof *rows);
    clnn_cross_entropy_options ce = {CLNN_REDUCE_MEAN, o.label_smoothing, -100};
    size_t steps_per_epoch = train.count / o.batch; /* the last partial batch is dropped */
    unsigned long step = 0;

    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        shuffle_indices(order, train.count, o.seed * 1000 + (uint64_t)epoch);
        double t0 = wall_seconds(), loss_sum = 0;
        size_t correct = 0;
        for (size_t s = 0; s < steps_per_epoch; s++) {
            step++;
            uint64_t mask_seed = o.seed * 0x100000001ull + step;
            upload_batch(ctx, train.images, train.labels, order + s * o.batch, o.batch, PIXELS, stage_x, stage_y, b.x,
                         b.labels);
            forward(ctx, &m, &b, o.dropout, mask_seed);
            CK(ctx, clnn_cross_entropy_labels(ctx, b.h[2], b.labels, &ce, b.loss, b.dh[2]));
            backward(ctx, &m, &b, o.dropout, mask_seed);
            adamw_step(ctx, &m, &o, step, steps_per_epoch * (unsigned long)o.epochs);
            float loss;
            CK(ctx, clnn_tensor_download(b.loss, &loss, sizeof loss));
            CK(ctx, clnn_tensor_download(b.h[2], logits, o.batch * CLASSES * sizeof(float)));
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
        printf("epoch %d: loss %.4f  train_acc %.4f  test_acc %.4f  %.0f images/s  %.1f s\n", epoch, r->loss,
               r->train_accuracy, r->test_accuracy, r->images_per_second, r->seconds);
        fflush(stdout);
    }
    if (write_curves_csv(o.csv, rows, o.epochs) != 0) fprintf(stderr, "fashion_mlp: cannot write %s\n", o.csv);
    else if (o.plot && plot_curves(o.csv, o.plot, "fashion_mlp") != 0)
        fprintf(stderr, "fashion_mlp: gnuplot could not write %s (apt-get install gnuplot-nox)\n", o.plot);
    double final_acc = rows[o.epochs - 1].test_accuracy;
    free(rows);
    free(order);
    free(logits);
    free(stage_y);
    free(stage_x);
    buffers_release(&b);
    mlp_release(&m);
    clnn_context_release(ctx);
    fashion_free(&train);
    fashion_free(&test);
    printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
