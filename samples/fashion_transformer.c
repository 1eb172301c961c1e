/* Trains a small transformer encoder on Fashion-MNIST, each image a sequence
 * of 28 tokens (its rows):
 *   dense(28 -> 64) + learned position embedding
 *   -> 2 pre-LN blocks [layernorm - 4-head memory-efficient attention - dense,
 *                       layernorm - dense 128 - GELU - dense], residual adds
 *   -> layernorm -> mean over the tokens -> dense(64 -> 10)
 * with AdamW param groups (decoupled weight decay on the dense weights only;
 * none on biases, layer norms and the position embedding), gradient clipping
 * by global norm (--clip, default 1), label smoothing, and a linear warm-up
 * over the first 5% of the steps followed by cosine decay.
 *   fashion_transformer --epochs 5 --batch 64 --lr 0.002 [--clip 1] [--plot curves.png]
 * Last line: test_accuracy=0.xxxx */
#include "fashion_data.h"
#include "model_util.h"
#include "sample_util.h"
#include "transformer_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASSES TF_CLASSES
#define PIXELS TF_PIXELS

/* Takes --clip X out of argv (the rest go to sample_parse): 0, or -1 after
 * a message. */
static int take_clip_flag(int *argc, char **argv, float *clip)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--clip") != 0) {
            argv[out++] = argv[i];
            continue;
        }
        char *end = NULL;
        const float x = i + 1 < *argc ? strtof(argv[i + 1], &end) : -1.0f;
        if (!end || *end || !(x >= 0.0f && x <= 1e6f)) {
            fprintf(stderr, "fashion_transformer: --clip needs a number in [0, 1e6] (0: no clipping)\n");
            return -1;
        }
        *clip = x;
        i++;
    }
    *argc = out;
    return 0;
}

static double evaluate(clnn_context *ctx, transformer *m, const fashion_set *set, size_t batch, float *stage_x,
                       int32_t *stage_y, float *logits)
{
    uint32_t *idx = malloc(set->count * sizeof *idx);
    for (size_t i = 0; i < set->count; i++) idx[i] = (uint32_t)i;
    size_t correct = 0, tail = set->count % batch;
    tf_batch full, rest;
    tf_batch_create(ctx, &full, batch);
    if (tail) tf_batch_create(ctx, &rest, tail);
    for (size_t start = 0; start < set->count; start += batch) {
        size_t n = set->count - start < batch ? set->count - start : batch;
        tf_batch *b = n == batch ? &full : &rest;
        upload_batch(ctx, set->images, set->labels, idx + start, n, PIXELS, stage_x, stage_y, b->x, b->labels);
        tf_forward(ctx, m, b);
        CK(ctx, clnn_tensor_download(b->logits, logits, n * CLASSES * sizeof(float)));
        correct += count_correct(logits, stage_y, n, CLASSES);
    }
    tf_batch_release(&full);
    if (tail) tf_batch_release(&rest);
    free(idx);
    return (double)correct / (double)set->count;
}

/* Linear warm-up over the first `warmup` steps, then cosine_lr's decay. */
static float schedule(float lr, unsigned long step, unsigned long warmup, unsigned long total)
{
    const float cos_part = cosine_lr(lr, step, total);
    return step <= warmup ? cos_part * (float)step / (float)(warmup + 1) : cos_part;
}

int main(int argc, char **argv)
{
    float clip = 1.0f;
    if (take_clip_flag(&argc, argv, &clip) != 0) return 2;
    sample_options o = {.epochs = 5, .batch = 64, .lr = 2e-3f, .seed = 1, .csv = "fashion_transformer.csv",
                        .weight_decay = 0.05f, .label_smoothing = 0.1f};
    int rc = sample_parse(argc, argv, "fashion_transformer",
                          "Trains a small transformer encoder (rows as 28 tokens, 2 pre-LN blocks of 4-head\n"
                          "memory-efficient attention and a GELU feed-forward) on Fashion-MNIST with AdamW\n"
                          "param groups and gradient clipping by global norm.\n"
                          "Own flag: --clip X  maximum global gradient norm (default 1; 0: no clipping).",
                          &o);
    if (rc) return rc < 0 ? 2 : 0;
    if (o.mpi || o.dropout != 0.0f || o.sparsity != 0.0f || o.cutout != 0.0f) {
        fprintf(stderr, "fashion_transformer: --mpi, --dropout, --sparsity and --cutout are the other samples'\n");
        return 2;
    }
    fashion_set train, test;
    clnn_context *ctx;
    clnn_device_info info;
    if (sample_setup("fashion_transformer", &o, &train, &test, &ctx, &info) != 0) return 1;
    if (o.batch > train.count) o.batch = train.count;
    printf("fashion_transformer on %s: %zu train / %zu test images, batch %zu, lr %g, width %d, %d heads, "
           "%d blocks, weight decay %g, label smoothing %g, clip %g\n",
           info.name, train.count, test.count, o.batch, (double)o.lr, TF_D, TF_HEADS, TF_LAYERS,
           (double)o.weight_decay, (double)o.label_smoothing, (double)clip);

    transformer m;
    tf_create(ctx, &m, o.seed, o.lr, o.weight_decay, clip);
    tf_batch b;
    tf_batch_create(ctx, &b, o.batch);
    float *stage_x = malloc(o.batch * PIXELS * sizeof(float));
    int32_t *stage_y = malloc(o.batch * sizeof(int32_t));
    float *logits = malloc(o.batch * CLASSES * sizeof(float));
    uint32_t *order = malloc(train.count * sizeof *order);
    epoch_row *rows = calloc((size_t)o.epochs, sizeof *rows);
    clnn_cross_entropy_options ce;
    clnn_cross_entropy_options_init(&ce);
    ce.label_smoothing = o.label_smoothing;
    const size_t steps_per_epoch = train.count / o.batch;
    const unsigned long total = steps_per_epoch * (unsigned long)o.epochs, warmup = total / 20;
    unsigned long step = 0;

    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        shuffle_indices(order, train.count, o.seed * 1000 + (uint64_t)epoch);
        double t0 = wall_seconds(), loss_sum = 0;
        size_t correct = 0;
        for (size_t s = 0; s < steps_per_epoch; s++) {
            step++;
            upload_batch(ctx, train.images, train.labels, order + s * o.batch, o.batch, PIXELS, stage_x, stage_y, b.x,
                         b.labels);
            tf_train_step(ctx, &m, &b, &ce, schedule(o.lr, step, warmup, total));
            float loss;
            CK(ctx, clnn_tensor_download(b.loss, &loss, sizeof loss));
            CK(ctx, clnn_tensor_download(b.logits, logits, o.batch * CLASSES * sizeof(float)));
            loss_sum += loss;
            correct += count_correct(logits, stage_y, o.batch, CLASSES);
            if (!o.quiet) progress_bar("train", s + 1, steps_per_epoch, wall_seconds() - t0);
        }
        const double seconds = wall_seconds() - t0;
        const double test_acc = evaluate(ctx, &m, &test, o.batch, stage_x, stage_y, logits);
        float clip_state[2];
        CK(ctx, clnn_tensor_download(m.clip, clip_state, sizeof clip_state));
        epoch_row *r = &rows[epoch - 1];
        *r = (epoch_row){epoch, loss_sum / (double)steps_per_epoch,
                         (double)correct / (double)(steps_per_epoch * o.batch), test_acc,
                         (double)(steps_per_epoch * o.batch) / seconds, seconds};
        printf("epoch %d: loss %.4f  train_acc %.4f  test_acc %.4f  %.0f images/s  %.1f s", epoch, r->loss,
               r->train_accuracy, r->test_accuracy, r->images_per_second, seconds);
        if (clip > 0) printf("  last gradient norm %.3f", (double)clip_state[1]); /* clnn_grad_clip_factor's [1] */
        printf("\n");
        fflush(stdout);
    }
    sample_save_curves("fashion_transformer", &o, rows);
    const double final_acc = rows[o.epochs - 1].test_accuracy;
    free(rows), free(order), free(logits), free(stage_y), free(stage_x);
    tf_batch_release(&b);
    tf_release(&m);
    clnn_context_release(ctx);
    fashion_free(&train);
    fashion_free(&test);
    printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
