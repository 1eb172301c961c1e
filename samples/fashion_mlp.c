/* Trains an MLP 784-512-256-10 (relu, dropout) on Fashion-MNIST with AdamW,
 * decoupled weight decay and label smoothing.
 *   fashion_mlp --epochs 5 --batch 128 --lr 0.001 [--plot curves.png]
 * Last line: test_accuracy=0.xxxx */
#include "fashion_data.h"
#include "mlp_model.h"
#include "model_util.h"
#include "sample_util.h"

#include <string.h>

#define CLASSES MLP_CLASSES
#define PIXELS MLP_PIXELS

/* Test accuracy over the whole set, batch by batch (full batches + remainder). */
static double evaluate(clnn_context *ctx, const mlp *m, const fashion_set *set, size_t batch, float *stage_x,
                       int32_t *stage_y, float *logits)
{
    uint32_t *idx = malloc(set->count * sizeof *idx);
    for (size_t i = 0; i < set->count; i++) idx[i] = (uint32_t)i;
    size_t correct = 0;
    mlp_batch full, rest;
    mlp_batch_create(ctx, &full, batch);
    size_t tail = set->count % batch;
    if (tail) mlp_batch_create(ctx, &rest, tail);
    for (size_t start = 0; start < set->count; start += batch) {
        size_t n = set->count - start < batch ? set->count - start : batch;
        mlp_batch *b = n == batch ? &full : &rest;
        upload_batch(ctx, set->images, set->labels, idx + start, n, PIXELS, stage_x, stage_y, b->x, b->labels);
        mlp_forward(ctx, m, b, 0.0f, 0);
        CK(ctx, clnn_tensor_download(b->h[2], logits, n * CLASSES * sizeof(float)));
        correct += count_correct(logits, stage_y, n, CLASSES);
    }
    mlp_batch_release(&full);
    if (tail) mlp_batch_release(&rest);
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
    fashion_set train, test;
    clnn_context *ctx;
    clnn_device_info info;
    if (sample_setup("fashion_mlp", &o, &train, &test, &ctx, &info) != 0) return 1;
    if (o.batch > train.count) o.batch = train.count;
    printf("fashion_mlp on %s: %zu train / %zu test images, batch %zu, lr %g, dropout %g, weight decay %g, "
           "label smoothing %g\n",
           info.name, train.count, test.count, o.batch, (double)o.lr, (double)o.dropout, (double)o.weight_decay,
           (double)o.label_smoothing);

    mlp m;
    mlp_create(ctx, &m, o.seed);
    mlp_batch b;
    mlp_batch_create(ctx, &b, o.batch);
    float *stage_x = malloc(o.batch * PIXELS * sizeof(float));
    int32_t *stage_y = malloc(o.batch * sizeof(int32_t));
    float *logits = malloc(o.batch * CLASSES * sizeof(float));
    uint32_t *order = malloc(train.count * sizeof *order);
    epoch_row *rows = calloc((size_t)o.epochs, sizeof *rows);
    clnn_cross_entropy_options ce = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, o.label_smoothing, -100};
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
            float lr = cosine_lr(o.lr, step, steps_per_epoch * (unsigned long)o.epochs);
            mlp_train_step(ctx, &m, &b, &ce, o.dropout, mask_seed, lr, o.weight_decay, step);
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
    sample_save_curves("fashion_mlp", &o, rows);
    double final_acc = rows[o.epochs - 1].test_accuracy;
    free(rows);
    free(order);
    free(logits);
    free(stage_y);
    free(stage_x);
    mlp_batch_release(&b);
    mlp_release(&m);
    clnn_context_release(ctx);
    fashion_free(&train);
    fashion_free(&test);
    printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
