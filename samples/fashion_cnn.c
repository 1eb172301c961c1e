/* Trains a small CNN on Fashion-MNIST:
 *   [conv3x3(1->16) - batchnorm - relu - maxpool2] -> [conv3x3(16->32) - batchnorm - relu - maxpool2]
 *   -> dense(1568 -> 10)
 * with cutout on the training images and a group-lasso term over the output
 * filters of both convolutions (its proximal block soft-threshold after each
 * AdamW step sets whole filters to exactly zero); it reports the weight and
 * filter sparsity reached.
 *   fashion_cnn --epochs 5 --batch 64 --lr 0.002 [--sparsity 0.1] [--cutout 6]
 * Last line: test_accuracy=0.xxxx */
#include "cnn_model.h"
#include "fashion_data.h"
#include "model_util.h"
#include "sample_util.h"

#include <math.h>
#include <string.h>

#define CLASSES CNN_CLASSES
#define SIDE CNN_SIDE
#define PIXELS CNN_PIXELS
#define C1 CNN_C1
#define C2 CNN_C2

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
    cnn_batch full, rest;
    cnn_batch_create(ctx, &full, batch);
    if (tail) cnn_batch_create(ctx, &rest, tail);
    for (size_t start = 0; start < set->count; start += batch) {
        size_t n = set->count - start < batch ? set->count - start : batch;
        cnn_batch *b = n == batch ? &full : &rest;
        upload_batch(ctx, set->images, set->labels, idx + start, n, PIXELS, stage_x, stage_y, b->x, b->labels);
        cnn_forward(ctx, m, b, 0);
        CK(ctx, clnn_tensor_download(b->logits, logits, n * CLASSES * sizeof(float)));
        correct += count_correct(logits, stage_y, n, CLASSES);
    }
    cnn_batch_release(&full);
    if (tail) cnn_batch_release(&rest);
    free(idx);
    return (double)correct / (double)set->count;
}

/* The epoch's line: loss, accuracies, speed, and how many weights and whole
 * filters of each convolution the group lasso has set to zero. */
static void print_epoch(clnn_context *ctx, const cnn *m, const epoch_row *r)
{
    double s1, s2;
    size_t dead1, dead2;
    sparsity(ctx, m->w1, C1, 9, &s1, &dead1);
    sparsity(ctx, m->w2, C2, 9 * C1, &s2, &dead2);
    printf("epoch %d: loss %.4f  train_acc %.4f  test_acc %.4f  %.0f images/s  %.1f s  "
           "zero weights conv1 %.1f%% conv2 %.1f%%  pruned filters %zu/%d %zu/%d\n",
           r->epoch, r->loss, r->train_accuracy, r->test_accuracy, r->images_per_second, r->seconds, 100 * s1,
           100 * s2, dead1, C1, dead2, C2);
    fflush(stdout);
}

/* Flags this sample cannot take, said on stderr: 1 when there is one. */
static int refused_flags(const sample_options *o)
{
    if (o->mpi) {
        fprintf(stderr, "fashion_cnn: --mpi is fashion_mlp's (data-parallel training over MPI)\n");
        return 1;
    }
    if (o->cutout > SIDE || o->cutout != floorf(o->cutout)) {
        fprintf(stderr, "fashion_cnn: --cutout must be a whole number of pixels up to %d\n", SIDE);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    sample_options o = {.epochs = 5, .batch = 64, .lr = 2e-3f, .seed = 1, .csv = "fashion_cnn.csv",
                        .weight_decay = 0.01f, .sparsity = 0.1f, .cutout = 6.0f};
    int rc = sample_parse(argc, argv, "fashion_cnn",
                          "Trains a small CNN (conv-bn-relu-pool x2, dense) on Fashion-MNIST with cutout\n"
                          "and a group-lasso term that prunes whole convolution filters.", &o);
    if (rc) return rc < 0 ? 2 : 0;
    if (refused_flags(&o)) return 2;
    fashion_set train, test;
    clnn_context *ctx;
    clnn_device_info info;
    if (sample_setup("fashion_cnn", &o, &train, &test, &ctx, &info) != 0) return 1;
    if (o.batch > train.count) o.batch = train.count;
    if (o.batch < 2) o.batch = 2; /* batch norm needs two samples */
    printf("fashion_cnn on %s: %zu train / %zu test images, batch %zu, lr %g, cutout %g px, group lasso %g, "
           "weight decay %g\n",
           info.name, train.count, test.count, o.batch, (double)o.lr, (double)o.cutout, (double)o.sparsity,
           (double)o.weight_decay);

    cnn m;
    cnn_create(ctx, &m, o.seed);
    cnn_batch b;
    cnn_batch_create(ctx, &b, o.batch);
    float *stage_x = malloc(o.batch * PIXELS * sizeof(float));
    int32_t *stage_y = malloc(o.batch * sizeof(int32_t));
    float *logits = malloc(o.batch * CLASSES * sizeof(float));
    uint32_t *order = malloc(train.count * sizeof *order);
    epoch_row *rows = calloc((size_t)o.epochs, sizeof *rows);
    clnn_cross_entropy_options ce = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, o.label_smoothing, -100};
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
            float lr = cosine_lr(o.lr, step, steps_per_epoch * (unsigned long)o.epochs);
            cnn_train_step(ctx, &m, &b, &ce, (size_t)o.cutout, o.seed * 0x100000001ull + step, lr, o.weight_decay,
                           o.sparsity, step);
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
        print_epoch(ctx, &m, r);
    }
    sample_save_curves("fashion_cnn", &o, rows);
    double final_acc = rows[o.epochs - 1].test_accuracy;
    free(rows);
    free(order);
    free(logits);
    free(stage_y);
    free(stage_x);
    cnn_batch_release(&b);
    cnn_release(&m);
    clnn_context_release(ctx);
    fashion_free(&train);
    fashion_free(&test);
    printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
