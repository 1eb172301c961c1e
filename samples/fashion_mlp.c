/* Trains an MLP 784-512-256-10 (relu, dropout) on Fashion-MNIST with AdamW,
 * decoupled weight decay and label smoothing.
 *   fashion_mlp --epochs 5 --batch 128 --lr 0.001 [--plot curves.png]
 *   mpirun -np 2 fashion_mlp --mpi ...   data-parallel: one device per rank,
 *       each rank a shard of every global batch of --batch images, the
 *       gradients averaged before each step (docs/distributed.md)
 * Last line: test_accuracy=0.xxxx */
#include "data_parallel.h"
#include "fashion_data.h"
#include "mlp_model.h"
#include "model_util.h"
#include "sample_util.h"

#include <string.h>

#define CLASSES MLP_CLASSES
#define PIXELS MLP_PIXELS

/* Everything one rank's training holds. */
typedef struct trainer {
    sample_options o;
    dp_group g;
    clnn_context *ctx;
    clnn_device_info info;
    fashion_set train, test;
    mlp m;
    mlp_batch b;                  /* this rank's shard of a global batch */
    size_t shard_start, steps;    /* where the shard starts in a batch; steps per epoch */
    float *stage_x, *logits;      /* host staging for o.batch rows */
    int32_t *stage_y;
    uint32_t *order;
    unsigned long step;
} trainer;

/* One rank's share of an epoch. */
typedef struct epoch_sums {
    double loss, correct, images, seconds, test_correct;
} epoch_sums;

/* Correct predictions over test images [start, start + count), batch by
 * batch (full batches + remainder). */
static size_t evaluate(trainer *t, size_t start, size_t count)
{
    size_t batch = t->o.batch, correct = 0, tail = count % batch;
    uint32_t *idx = malloc((count ? count : 1) * sizeof *idx);
    for (size_t i = 0; i < count; i++) idx[i] = (uint32_t)(start + i);
    mlp_batch full, rest;
    mlp_batch_create(t->ctx, &full, batch);
    if (tail) mlp_batch_create(t->ctx, &rest, tail);
    for (size_t at = 0; at < count; at += batch) {
        size_t n = count - at < batch ? count - at : batch;
        mlp_batch *b = n == batch ? &full : &rest;
        upload_batch(t->ctx, t->test.images, t->test.labels, idx + at, n, PIXELS, t->stage_x, t->stage_y, b->x,
                     b->labels);
        mlp_forward(t->ctx, &t->m, b, 0.0f, 0);
        CK(t->ctx, clnn_tensor_download(b->h[2], t->logits, n * CLASSES * sizeof(float)));
        correct += count_correct(t->logits, t->stage_y, n, CLASSES);
    }
    mlp_batch_release(&full);
    if (tail) mlp_batch_release(&rest);
    free(idx);
    return correct;
}

/* One epoch over this rank's shards (the last partial global batch is
 * dropped), then its shard of the test set. */
static void train_epoch(trainer *t, int epoch, epoch_sums *sums)
{
    const sample_options *o = &t->o;
    clnn_cross_entropy_options ce = {sizeof(clnn_cross_entropy_options), CLNN_REDUCE_MEAN, o->label_smoothing, -100};
    size_t n = t->b.n;
    shuffle_indices(t->order, t->train.count, o->seed * 1000 + (uint64_t)epoch); /* the same on every rank */
    memset(sums, 0, sizeof *sums);
    double t0 = wall_seconds();
    for (size_t s = 0; s < t->steps; s++) {
        t->step++;
        /* each rank draws its own dropout masks (its rows differ); rank 0 the single process's */
        uint64_t mask_seed = o->seed * 0x100000001ull + t->step + (uint64_t)t->g.rank * 0x9E3779B97F4A7C15ull;
        upload_batch(t->ctx, t->train.images, t->train.labels, t->order + s * o->batch + t->shard_start, n, PIXELS,
                     t->stage_x, t->stage_y, t->b.x, t->b.labels);
        float lr = cosine_lr(o->lr, t->step, t->steps * (unsigned long)o->epochs);
        mlp_train_step_dp(t->ctx, &t->m, &t->b, &ce, o->dropout, mask_seed, lr, o->weight_decay, t->step, &t->g,
                          o->batch);
        float loss;
        CK(t->ctx, clnn_tensor_download(t->b.loss, &loss, sizeof loss));
        CK(t->ctx, clnn_tensor_download(t->b.h[2], t->logits, n * CLASSES * sizeof(float)));
        sums->loss += (double)loss * (double)n;
        sums->correct += (double)count_correct(t->logits, t->stage_y, n, CLASSES);
        if (!o->quiet) progress_bar("train", s + 1, t->steps, wall_seconds() - t0);
    }
    sums->seconds = wall_seconds() - t0;
    sums->images = (double)(t->steps * n);
    size_t test_start, test_n;
    dp_shard(&t->g, t->test.count, &test_start, &test_n);
    sums->test_correct = (double)evaluate(t, test_start, test_n);
}

/* Adds the ranks' sums up into the epoch's row and, on rank 0, prints it;
 * with MPI also the images/s of every rank and in all, and the hash of the
 * training state, which must be the same bits on every rank. */
static void report_epoch(trainer *t, int epoch, const epoch_sums *mine, epoch_row *r)
{
    size_t ranks = (size_t)t->g.size;
    double *all = malloc(5 * ranks * sizeof *all), total[5] = {0, 0, 0, 0, 0}; /* loss, correct, images, s, test */
    const double part[5] = {mine->loss, mine->correct, mine->images, mine->seconds, mine->test_correct};
    for (int k = 0; k < 5; k++) {
        dp_gather(&t->g, part[k], all + k * ranks);
        for (size_t i = 0; i < ranks; i++) {
            double v = all[k * ranks + i];
            /* seconds: the epoch lasts as long as the slowest rank */
            total[k] = k != 3 ? total[k] + v : v > total[k] ? v : total[k];
        }
    }
    double global = (double)(t->steps * t->o.batch);
    *r = (epoch_row){epoch, total[0] / global, total[1] / global, total[4] / (double)t->test.count,
                     global / total[3], total[3]};
    clnn_tensor *state[MLP_STATE];
    mlp_state(&t->m, state);
    char when[32];
    snprintf(when, sizeof when, "after epoch %d", epoch);
    unsigned long long hash = dp_check_identical(t->ctx, &t->g, state, MLP_STATE, when);
    if (t->g.rank == 0) {
        printf("epoch %d: loss %.4f  train_acc %.4f  test_acc %.4f  %.0f images/s  %.1f s\n", epoch, r->loss,
               r->train_accuracy, r->test_accuracy, r->images_per_second, r->seconds);
        if (t->g.mpi) {
            printf("epoch %d: %zu rank%s: %.0f images/s in total (", epoch, ranks, ranks == 1 ? "" : "s",
                   r->images_per_second);
            for (size_t i = 0; i < ranks; i++)
                printf("%srank %zu: %.0f", i ? ", " : "", i, all[2 * ranks + i] / all[3 * ranks + i]);
            printf(" images/s); parameters identical on every rank (hash %016llx)\n", hash);
        }
        fflush(stdout);
    }
    free(all);
}

/* Data, context, model (rank 0's state on every rank), this rank's shard. */
static int setup(trainer *t)
{
    sample_options *o = &t->o;
    if (sample_setup("fashion_mlp", o, &t->train, &t->test, &t->ctx, &t->info) != 0) return 1;
    if (o->batch > t->train.count) o->batch = t->train.count;
    if (o->batch < (size_t)t->g.size) {
        fprintf(stderr, "fashion_mlp: --batch %zu has fewer images than there are ranks (%d)\n", o->batch, t->g.size);
        return 1;
    }
    if (t->g.rank == 0) {
        printf("fashion_mlp on %s: %zu train / %zu test images, batch %zu, lr %g, dropout %g, weight decay %g, "
               "label smoothing %g\n",
               t->info.name, t->train.count, t->test.count, o->batch, (double)o->lr, (double)o->dropout,
               (double)o->weight_decay, (double)o->label_smoothing);
        if (t->g.mpi)
            printf("data-parallel over %d rank%s, each a shard of every batch of %zu\n", t->g.size,
                   t->g.size == 1 ? "" : "s", o->batch);
    }
    size_t shard;
    dp_shard(&t->g, o->batch, &t->shard_start, &shard);
    mlp_create(t->ctx, &t->m, o->seed);
    clnn_tensor *state[MLP_STATE];
    mlp_state(&t->m, state);
    dp_broadcast(t->ctx, &t->g, state, MLP_STATE);
    mlp_batch_create(t->ctx, &t->b, shard);
    t->stage_x = malloc(o->batch * PIXELS * sizeof(float));
    t->stage_y = malloc(o->batch * sizeof(int32_t));
    t->logits = malloc(o->batch * CLASSES * sizeof(float));
    t->order = malloc(t->train.count * sizeof *t->order);
    t->steps = t->train.count / o->batch; /* the last partial batch is dropped */
    return 0;
}

int main(int argc, char **argv)
{
    trainer t = {.o = {.epochs = 5, .batch = 128, .lr = 1e-3f, .seed = 1, .csv = "fashion_mlp.csv", .dropout = 0.2f,
                       .weight_decay = 0.01f, .label_smoothing = 0.1f}};
    int rc = sample_parse(argc, argv, "fashion_mlp",
                          "Trains an MLP 784-512-256-10 (relu, dropout) on Fashion-MNIST with AdamW,\n"
                          "decoupled weight decay and label smoothing.", &t.o);
    if (rc) return rc < 0 ? 2 : 0;
    if (t.o.dropout >= 1.0f || t.o.label_smoothing >= 1.0f) {
        fprintf(stderr, "fashion_mlp: --dropout and --label-smoothing must be below 1\n");
        return 2;
    }
    if (dp_start("fashion_mlp", t.o.mpi, &t.g) != 0) return 1;
    if (t.g.rank > 0) t.o.quiet = 1; /* one progress bar */
    if (setup(&t) != 0) return 1;
    epoch_row *rows = calloc((size_t)t.o.epochs, sizeof *rows);
    for (int epoch = 1; epoch <= t.o.epochs; epoch++) {
        epoch_sums sums;
        train_epoch(&t, epoch, &sums);
        report_epoch(&t, epoch, &sums, &rows[epoch - 1]);
    }
    if (t.g.rank == 0) sample_save_curves("fashion_mlp", &t.o, rows);
    double final_acc = rows[t.o.epochs - 1].test_accuracy;
    free(rows);
    free(t.order);
    free(t.logits);
    free(t.stage_y);
    free(t.stage_x);
    mlp_batch_release(&t.b);
    mlp_release(&t.m);
    clnn_context_release(t.ctx);
    fashion_free(&t.train);
    fashion_free(&t.test);
    dp_stop(&t.g);
    if (t.g.rank == 0) printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
