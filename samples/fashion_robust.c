/* Trains the CNN of fashion_cnn adversarially on Fashion-MNIST (pixels in
 * [0, 1]) and reports, after each epoch, the clean test accuracy and the
 * robust accuracy under a PGD attack (L-inf, eps 0.1, 10 steps of 2.5 eps /
 * 10 from a random start, cross-entropy objective):
 *   --robust-loss trades  TRADES (Zhang et al. 2019): the inner attack maximises
 *                         KL(p(x) || p(x')) (--attack-steps steps), the loss is
 *                         CE(z, y) + beta KL(p || p'), both passes in training mode
 *   --robust-loss arow    ARoW: the same with the KL weighted 2(1 - p'_y)
 *   --robust-loss plain   cross-entropy on clean images only (the baseline)
 * Every kernel is clnn's: clnn_perturb_random_start / clnn_perturb_step for
 * the attacks, clnn_robust_kl_loss for the loss and its gradients to both
 * logit sets. The parameter gradients of the two passes are summed.
 *   fashion_robust [--robust-loss trades|arow|plain] [--eps 0.1] [--attack-steps 3]
 *                  [--eval-steps 10] [--beta 1] [common flags]
 * By default it trains on the first 10000 training images for 3 epochs and
 * evaluates on the first 1000 test images (--train-limit, --test-limit;
 * the attack makes every step several passes), in batches of the largest
 * size up to --batch that divides the test set. Last line: test_accuracy=0.xxxx */
#include "cnn_model.h"
#include "fashion_data.h"
#include "model_util.h"
#include "sample_util.h"

#include <stdlib.h>
#include <string.h>

#define CLASSES CNN_CLASSES
#define PIXELS CNN_PIXELS
#define N_GRADS 8

typedef struct robust_flags {
    const char *loss; /* trades, arow, plain */
    float eps, beta;
    int attack_steps, eval_steps;
} robust_flags;

/* Takes this sample's own flags out of argv (the rest go to sample_parse):
 * 0, or -1 after a message. */
static int take_robust_flags(int *argc, char **argv, robust_flags *f)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = i + 1 < *argc ? argv[i + 1] : NULL;
        const int ours = strcmp(a, "--robust-loss") == 0 || strcmp(a, "--eps") == 0 || strcmp(a, "--beta") == 0 ||
                         strcmp(a, "--attack-steps") == 0 || strcmp(a, "--eval-steps") == 0;
        if (!ours) {
            argv[out++] = argv[i];
            continue;
        }
        if (!v) {
            fprintf(stderr, "fashion_robust: %s needs a value\n", a);
            return -1;
        }
        char *end = NULL;
        if (strcmp(a, "--robust-loss") == 0) {
            f->loss = v;
            if (strcmp(v, "trades") && strcmp(v, "arow") && strcmp(v, "plain")) {
                fprintf(stderr, "fashion_robust: --robust-loss is trades, arow or plain, not %s\n", v);
                return -1;
            }
        } else if (strcmp(a, "--eps") == 0 || strcmp(a, "--beta") == 0) {
            const float x = strtof(v, &end);
            if (*end || !(x >= 0.0f && x <= 1e3f)) {
                fprintf(stderr, "fashion_robust: %s %s is not a number in [0, 1000]\n", a, v);
                return -1;
            }
            *(strcmp(a, "--eps") == 0 ? &f->eps : &f->beta) = x;
        } else {
            const long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 100) {
                fprintf(stderr, "fashion_robust: %s %s is not a whole number in [1, 100]\n", a, v);
                return -1;
            }
            *(strcmp(a, "--attack-steps") == 0 ? &f->attack_steps : &f->eval_steps) = (int)n;
        }
        i++;
    }
    *argc = out;
    return 0;
}

/* The attack's working set: a batch to run the model on, the perturbation,
 * the adversarial images and the gradient at them. */
typedef struct attack {
    cnn_batch work;
    clnn_tensor *delta, *x_adv, *grad_x;
} attack;

static void attack_create(clnn_context *ctx, attack *a, size_t n)
{
    cnn_batch_create(ctx, &a->work, n);
    a->delta = new_tensor(ctx, CLNN_FLOAT32, 4, n, 1, CNN_SIDE, CNN_SIDE);
    a->x_adv = new_tensor(ctx, CLNN_FLOAT32, 4, n, 1, CNN_SIDE, CNN_SIDE);
    a->grad_x = new_tensor(ctx, CLNN_FLOAT32, 4, n, 1, CNN_SIDE, CNN_SIDE);
}

static void attack_release(attack *a)
{
    cnn_batch_release(&a->work);
    clnn_tensor_release(a->delta), clnn_tensor_release(a->x_adv), clnn_tensor_release(a->grad_x);
}

/* PGD in the L-inf eps-ball around x (labels y) against the model in
 * evaluation mode, `steps` steps of 2.5 eps / steps from a random start;
 * the objective is KL(softmax(clean) || softmax(z')) with clean logits
 * (TRADES's inner maximisation), else cross-entropy. x_adv gets the result. */
static void pgd(clnn_context *ctx, cnn *m, attack *a, const clnn_tensor *x, const clnn_tensor *y,
                const clnn_tensor *clean, float eps, int steps, uint64_t seed)
{
    clnn_perturb_options o;
    clnn_perturb_options_init(&o);
    o.kind = CLNN_PERTURB_PGD_LINF;
    o.eps = eps;
    o.alpha = 2.5f * eps / (float)steps;
    clnn_cross_entropy_options ce;
    clnn_cross_entropy_options_init(&ce);
    ce.reduction = CLNN_REDUCE_SUM;
    CK(ctx, clnn_perturb_random_start(ctx, &o, seed, 0, x, a->delta, a->x_adv));
    for (int s = 0; s < steps; s++) {
        CK(ctx, clnn_tensor_copy(a->work.x, a->x_adv));
        cnn_forward(ctx, m, &a->work, 0);
        if (clean)
            CK(ctx, clnn_robust_kl_loss(ctx, clean, a->work.logits, y, CLNN_ROBUST_KL_TRADES, 1.0f, NULL,
                                        CLNN_REDUCE_SUM, NULL, NULL, a->work.dlogits));
        else
            CK(ctx, clnn_cross_entropy_labels(ctx, a->work.logits, y, &ce, NULL, a->work.dlogits));
        cnn_input_grad(ctx, m, &a->work, 0, a->grad_x);
        CK(ctx, clnn_perturb_step(ctx, &o, x, a->grad_x, a->delta, a->x_adv));
    }
}

/* One TRADES / ARoW step on the batch in b: the attack from the clean
 * logits (evaluation mode), both passes in training mode, the robust loss
 * with its gradients to both logit sets, the two backward passes summed,
 * AdamW. */
static void robust_step(clnn_context *ctx, cnn *m, cnn_batch *b, attack *a, clnn_tensor *clean,
                        clnn_tensor *const *grad_sum, const robust_flags *f, uint64_t seed, float lr,
                        float weight_decay, unsigned long step)
{
    cnn_forward(ctx, m, b, 0);
    CK(ctx, clnn_tensor_copy(clean, b->logits));
    pgd(ctx, m, a, b->x, b->labels, clean, f->eps, f->attack_steps, seed);
    const clnn_robust_kl_kind kind = strcmp(f->loss, "arow") == 0 ? CLNN_ROBUST_KL_AROW : CLNN_ROBUST_KL_TRADES;
    cnn_forward(ctx, m, b, 1);
    CK(ctx, clnn_tensor_copy(a->work.x, a->x_adv));
    cnn_forward(ctx, m, &a->work, 1);
    CK(ctx, clnn_robust_kl_loss(ctx, b->logits, a->work.logits, b->labels, kind, f->beta, NULL, CLNN_REDUCE_MEAN,
                                b->loss, b->dlogits, a->work.dlogits));
    cnn_backward(ctx, m, &a->work);
    for (int p = 0; p < N_GRADS; p++) CK(ctx, clnn_tensor_copy(grad_sum[p], m->grad[p]));
    cnn_backward(ctx, m, b);
    for (int p = 0; p < N_GRADS; p++) CK(ctx, clnn_axpy(1.0f, grad_sum[p], m->grad[p]));
    cnn_adamw_step(ctx, m, lr, weight_decay, 0.0f, step);
}

/* The evaluation batch: the largest size up to `batch` that divides the
 * test set, so every image is scored with one set of buffers. */
static size_t eval_batch(size_t batch, size_t count)
{
    size_t eb = batch < count ? batch : count;
    while (count % eb) eb--;
    return eb < 2 && count >= 2 ? 2 : eb; /* batch norm's forward takes two; a prime count gets 2 */
}

/* Clean and robust (PGD, f->eval_steps steps) accuracy on the test set, in
 * batches of a->work.n (eval_batch). */
static void evaluate(clnn_context *ctx, cnn *m, attack *a, const fashion_set *set, float *stage_x, int32_t *stage_y,
                     float *logits, const robust_flags *f, double *clean_acc, double *robust_acc)
{
    const size_t batch = a->work.n;
    uint32_t *idx = malloc(set->count * sizeof *idx);
    for (size_t i = 0; i < set->count; i++) idx[i] = (uint32_t)i;
    size_t clean = 0, robust = 0, seen = 0;
    cnn_batch b;
    cnn_batch_create(ctx, &b, batch);
    for (size_t start = 0; start + batch <= set->count; start += batch) {
        upload_batch(ctx, set->images, set->labels, idx + start, batch, PIXELS, stage_x, stage_y, b.x, b.labels);
        cnn_forward(ctx, m, &b, 0);
        CK(ctx, clnn_tensor_download(b.logits, logits, batch * CLASSES * sizeof(float)));
        clean += count_correct(logits, stage_y, batch, CLASSES);
        pgd(ctx, m, a, b.x, b.labels, NULL, f->eps, f->eval_steps, 0xE7A1 + start);
        CK(ctx, clnn_tensor_copy(a->work.x, a->x_adv));
        cnn_forward(ctx, m, &a->work, 0);
        CK(ctx, clnn_tensor_download(a->work.logits, logits, batch * CLASSES * sizeof(float)));
        robust += count_correct(logits, stage_y, batch, CLASSES);
        seen += batch;
    }
    cnn_batch_release(&b);
    free(idx);
    *clean_acc = seen ? (double)clean / (double)seen : 0.0;
    *robust_acc = seen ? (double)robust / (double)seen : 0.0;
}

int main(int argc, char **argv)
{
    robust_flags f = {"trades", 0.1f, 1.0f, 3, 10}; /* beta 1: TRADES's MNIST setting */
    if (take_robust_flags(&argc, argv, &f) != 0) return 2;
    sample_options o = {.epochs = 3, .batch = 64, .lr = 2e-3f, .seed = 1, .csv = "fashion_robust.csv",
                        .weight_decay = 0.01f, .train_limit = 10000, .test_limit = 1000};
    int rc = sample_parse(argc, argv, "fashion_robust",
                          "Adversarial training of the CNN on Fashion-MNIST: TRADES, ARoW or plain\n"
                          "cross-entropy, with clean and PGD robust test accuracy per epoch.\n"
                          "Own flags: --robust-loss trades|arow|plain --eps X --beta X --attack-steps N\n"
                          "--eval-steps N (defaults trades, 0.1, 1, 3, 10; 3 epochs on 10000 training\n"
                          "and 1000 test images unless --train-limit / --test-limit say otherwise).",
                          &o);
    if (rc) return rc < 0 ? 2 : 0;
    if (o.mpi || o.dropout != 0.0f || o.sparsity != 0.0f || o.cutout != 0.0f || o.label_smoothing != 0.0f) {
        fprintf(stderr, "fashion_robust: --mpi, --dropout, --sparsity, --cutout and --label-smoothing are the other "
                        "samples'\n");
        return 2;
    }
    fashion_set train, test;
    clnn_context *ctx;
    clnn_device_info info;
    if (sample_setup("fashion_robust", &o, &train, &test, &ctx, &info) != 0) return 1;
    if (o.batch > train.count) o.batch = train.count;
    if (o.batch < 2) o.batch = 2; /* batch norm needs two samples */
    printf("fashion_robust on %s: %zu train / %zu test images, batch %zu, lr %g, loss %s, eps %g, beta %g, "
           "attack %d steps, evaluation PGD-%d\n",
           info.name, train.count, test.count, o.batch, (double)o.lr, f.loss, (double)f.eps, (double)f.beta,
           f.attack_steps, f.eval_steps);

    const int plain = strcmp(f.loss, "plain") == 0;
    cnn m;
    cnn_create(ctx, &m, o.seed);
    cnn_batch b;
    cnn_batch_create(ctx, &b, o.batch);
    attack a, eval;
    attack_create(ctx, &a, o.batch);
    attack_create(ctx, &eval, eval_batch(o.batch, test.count));
    clnn_tensor *clean = new_tensor(ctx, CLNN_FLOAT32, 2, o.batch, CLASSES, 0, 0), *grad_sum[N_GRADS];
    for (int p = 0; p < N_GRADS; p++) {
        int nd;
        size_t s[4] = {0, 0, 0, 0};
        CK(ctx, clnn_tensor_shape(m.grad[p], &nd, s));
        grad_sum[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
    }
    float *stage_x = malloc(o.batch * PIXELS * sizeof(float));
    int32_t *stage_y = malloc(o.batch * sizeof(int32_t));
    float *logits = malloc(o.batch * CLASSES * sizeof(float));
    uint32_t *order = malloc(train.count * sizeof *order);
    epoch_row *rows = calloc((size_t)o.epochs, sizeof *rows);
    clnn_cross_entropy_options ce;
    clnn_cross_entropy_options_init(&ce);
    const size_t steps_per_epoch = train.count / o.batch;
    unsigned long step = 0;

    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        shuffle_indices(order, train.count, o.seed * 1000 + (uint64_t)epoch);
        double t0 = wall_seconds(), loss_sum = 0;
        size_t correct = 0;
        for (size_t s = 0; s < steps_per_epoch; s++) {
            step++;
            upload_batch(ctx, train.images, train.labels, order + s * o.batch, o.batch, PIXELS, stage_x, stage_y, b.x,
                         b.labels);
            const float lr = cosine_lr(o.lr, step, steps_per_epoch * (unsigned long)o.epochs);
            if (plain)
                cnn_train_step(ctx, &m, &b, &ce, 0, 0, lr, o.weight_decay, 0.0f, step);
            else
                robust_step(ctx, &m, &b, &a, clean, grad_sum, &f, o.seed * 0x100000001ull + step, lr, o.weight_decay,
                            step);
            float loss;
            CK(ctx, clnn_tensor_download(b.loss, &loss, sizeof loss));
            CK(ctx, clnn_tensor_download(b.logits, logits, o.batch * CLASSES * sizeof(float)));
            loss_sum += loss;
            correct += count_correct(logits, stage_y, o.batch, CLASSES);
            if (!o.quiet) progress_bar("train", s + 1, steps_per_epoch, wall_seconds() - t0);
        }
        const double seconds = wall_seconds() - t0;
        double test_acc, robust_acc;
        evaluate(ctx, &m, &eval, &test, stage_x, stage_y, logits, &f, &test_acc, &robust_acc);
        epoch_row *r = &rows[epoch - 1];
        *r = (epoch_row){epoch, loss_sum / (double)steps_per_epoch,
                         (double)correct / (double)(steps_per_epoch * o.batch), test_acc,
                         (double)(steps_per_epoch * o.batch) / seconds, seconds, 1, robust_acc};
        printf("epoch %d: loss %.4f  train_acc %.4f  test_acc %.4f  robust_acc (PGD-%d, eps %g) %.4f  "
               "%.0f images/s  %.1f s\n",
               epoch, r->loss, r->train_accuracy, r->test_accuracy, f.eval_steps, (double)f.eps, robust_acc,
               r->images_per_second, seconds);
        fflush(stdout);
    }
    sample_save_curves("fashion_robust", &o, rows);
    const double final_acc = rows[o.epochs - 1].test_accuracy;
    free(rows), free(order), free(logits), free(stage_y), free(stage_x);
    for (int p = 0; p < N_GRADS; p++) clnn_tensor_release(grad_sum[p]);
    clnn_tensor_release(clean);
    attack_release(&a);
    attack_release(&eval);
    cnn_batch_release(&b);
    cnn_release(&m);
    clnn_context_release(ctx);
    fashion_free(&train);
    fashion_free(&test);
    printf("test_accuracy=%.4f\n", final_acc);
    return 0;
}
