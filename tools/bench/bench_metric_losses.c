/* Group "metric": the metric and overlap losses (include/clnn/metric_losses.h).
 *
 * The embedding losses (harmonic; CosFace, ArcFace, AdaFace) are GEMM-shaped: value and both
 * gradients of [N, D] embeddings against C classes cost three GEMMs of
 * 2·N·C·D flops (x·wᵀ, A·w, Aᵀ·x) plus row kernels; their rows give GFLOPS
 * of the whole call against CLBlast running just those three GEMMs (same
 * shapes and transpositions) in the same run (AdaFace adds only row
 * statistics of the embedding norms), so the ratio is the share of
 * the call spent in the GEMMs. The overlap, box and directional losses are
 * memory-bound: GB/s of the minimum traffic (each input read once, the
 * gradient written once) against the copy bandwidth of the same run. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

enum { OP_HARMONIC, OP_COSFACE, OP_ARCFACE, OP_ADAFACE, OP_DICE, OP_JACCARD, OP_GIOU, OP_DIOU, OP_CIOU, OP_MADL, N_OPS };

typedef struct metric_args {
    clnn_context *ctx;
    int op;
    clnn_tensor *x, *w, *labels, *p, *t, *boxes, *tboxes, *loss, *dx, *dw, *gp, *gbox, *norm_stats;
    clnn_margin_options margin[3]; /* indexed by clnn_margin_kind: CosFace, ArcFace, AdaFace */
} metric_args;

static int run_op(void *p)
{
    metric_args *a = p;
    clnn_status st;
    switch (a->op) {
    case OP_HARMONIC:
        st = clnn_harmonic_loss(a->ctx, a->x, a->w, a->labels, 16.0f, 1e-12f, NULL, CLNN_REDUCE_MEAN, a->loss, a->dx, a->dw);
        break;
    case OP_COSFACE:
    case OP_ARCFACE:
    case OP_ADAFACE:
        st = clnn_margin_loss(a->ctx, a->x, a->w, a->labels, &a->margin[a->op - OP_COSFACE],
                              a->op == OP_ADAFACE ? a->norm_stats : NULL, a->loss, a->dx, a->dw);
        break;
    case OP_DICE: st = clnn_soft_dice_loss(a->ctx, a->p, a->t, 0, 1.0f, CLNN_REDUCE_MEAN, a->loss, a->gp); break;
    case OP_JACCARD: st = clnn_soft_jaccard_loss(a->ctx, a->p, a->t, 1.0f, CLNN_REDUCE_MEAN, a->loss, a->gp); break;
    case OP_GIOU: st = clnn_giou_loss(a->ctx, a->boxes, a->tboxes, CLNN_REDUCE_MEAN, a->loss, a->gbox); break;
    case OP_DIOU: st = clnn_diou_loss(a->ctx, a->boxes, a->tboxes, CLNN_REDUCE_MEAN, a->loss, a->gbox); break;
    case OP_CIOU: st = clnn_ciou_loss(a->ctx, a->boxes, a->tboxes, CLNN_REDUCE_MEAN, a->loss, a->gbox); break;
    default: st = clnn_madl_loss(a->ctx, a->p, a->t, 10.0f, 1.0f, CLNN_REDUCE_MEAN, a->loss, a->gp); break;
    }
    return st != CLNN_OK;
}

/* fp32 [a, b] uniform in [lo, hi), or int32 labels [a] in [0, b). */
static clnn_tensor *bench_tensor(bench_env *env, clnn_dtype dtype, size_t a, size_t b, float lo, float hi)
{
    size_t shape[2] = {a, b};
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(env->ctx, dtype, dtype == CLNN_INT32 ? 1 : 2, shape, &t) != CLNN_OK) return NULL;
    clnn_status st;
    if (dtype == CLNN_FLOAT32) {
        st = clnn_tensor_random_uniform(t, 21, (uint32_t)(a + b), lo, hi);
    } else {
        int32_t *h = malloc(a * sizeof *h);
        for (size_t i = 0; h && i < a; i++) h[i] = (int32_t)((i * 7 + 1) % b);
        st = h ? clnn_tensor_upload(t, h, a * sizeof *h) : CLNN_ERR_OUT_OF_MEMORY;
        free(h);
    }
    if (st != CLNN_OK) {
        clnn_tensor_release(t);
        return NULL;
    }
    return t;
}

/* Dice per class from logits [S, 16, pixels / 16] with labels: reads the
 * logits and labels, writes dlogits (the workspaces' traffic counts against it). */
typedef struct class_args {
    clnn_context *ctx;
    clnn_tensor *logits, *labels, *loss, *dlogits;
    clnn_class_overlap_options opt;
} class_args;

static int run_class_overlap(void *p)
{
    class_args *a = p;
    return clnn_class_overlap_loss(a->ctx, a->logits, a->labels, NULL, &a->opt, a->loss, a->dlogits) != CLNN_OK;
}

static void bench_class_overlap(bench_env *env, size_t samples, size_t pixels)
{
    const size_t classes = 16, positions = pixels / classes, shape[3] = {samples, classes, positions};
    class_args a = {env->ctx, bench_tensor(env, CLNN_FLOAT32, samples, pixels, -3, 3),
                    bench_tensor(env, CLNN_INT32, samples * positions, classes, 0, 0),
                    bench_tensor(env, CLNN_FLOAT32, 1, 1, 0, 1), bench_tensor(env, CLNN_FLOAT32, samples, pixels, 0, 1),
                    {0}};
    clnn_tensor *all[] = {a.logits, a.labels, a.loss, a.dlogits};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i] || (i == 0 && clnn_tensor_reshape(a.logits, 3, shape) != CLNN_OK) ||
            (i == 3 && clnn_tensor_reshape(a.dlogits, 3, shape) != CLNN_OK)) {
            fprintf(stderr, "bench metric: %s\n", clnn_last_error(env->ctx));
            goto out;
        }
    clnn_class_overlap_options_init(&a.opt);
    double t = bench_time(env, run_class_overlap, &a);
    double bytes = (2.0 * (double)samples * (double)pixels + (double)samples * (double)positions) * sizeof(float);
    char name[96];
    snprintf(name, sizeof name, "Dice per class from logits + grad [%zu, %zu, %zu]", samples, classes, positions);
    bench_report(env, "metric", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
out:
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

void bench_metric_losses(bench_env *env)
{
    /* embeddings [N, D] against C classes; N, C, D multiples of 64 (no CLBlast padding) */
    size_t n = env->quick ? 256 : 1024, c = 1024, d = env->quick ? 128 : 256;
    /* segmentation: S samples of 1 x H x H probabilities; boxes; forecast elements */
    size_t samples = env->quick ? 4 : 16, pixels = 256 * 256, nbox = env->quick ? (1u << 18) : (1u << 20);
    size_t elems = samples * pixels;
    metric_args a = {env->ctx, 0, bench_tensor(env, CLNN_FLOAT32, n, d, -1, 1),
                     bench_tensor(env, CLNN_FLOAT32, c, d, -1, 1), bench_tensor(env, CLNN_INT32, n, c, 0, 0),
                     bench_tensor(env, CLNN_FLOAT32, samples, pixels, 0, 1),
                     bench_tensor(env, CLNN_FLOAT32, samples, pixels, 0, 1),
                     bench_tensor(env, CLNN_FLOAT32, nbox, 4, 0, 1), bench_tensor(env, CLNN_FLOAT32, nbox, 4, 0, 1),
                     bench_tensor(env, CLNN_FLOAT32, 1, 1, 0, 1), bench_tensor(env, CLNN_FLOAT32, n, d, 0, 1),
                     bench_tensor(env, CLNN_FLOAT32, c, d, 0, 1), bench_tensor(env, CLNN_FLOAT32, samples, pixels, 0, 1),
                     bench_tensor(env, CLNN_FLOAT32, nbox, 4, 0, 1), bench_tensor(env, CLNN_FLOAT32, 1, 2, 0, 1),
                     {{0}}};
    clnn_tensor *all[] = {a.x,  a.w,  a.labels, a.p,  a.t,  a.boxes,     a.tboxes,
                          a.loss, a.dx, a.dw,   a.gp, a.gbox, a.norm_stats};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!all[i]) {
            fprintf(stderr, "bench metric: %s\n", clnn_last_error(env->ctx));
            goto out;
        }
    const float norm_stats[2] = {20.0f, 100.0f}; /* AdaFace's starting {mu, sigma}, as the paper */
    if (clnn_tensor_upload(a.norm_stats, norm_stats, sizeof norm_stats) != CLNN_OK) {
        fprintf(stderr, "bench metric: %s\n", clnn_last_error(env->ctx));
        goto out;
    }
    for (int k = CLNN_MARGIN_COSFACE; k <= CLNN_MARGIN_ADAFACE; k++)
        clnn_margin_options_init(&a.margin[k], (clnn_margin_kind)k);

    /* the three GEMMs of a call: S = x·wᵀ [N, C], dx += A·w [N, D], dw += Aᵀ·x [C, D] */
    const bench_gemm gemms[3] = {{n, c, d, 1, 0, 1}, {n, d, c, 1, 0, 0}, {c, d, n, 1, 1, 0}};
    double t_gemm = bench_gemm_time(env, gemms, 3);
    double flops = 3.0 * 2.0 * (double)n * (double)c * (double)d;
    static const char *const names[N_OPS] = {"harmonic loss + dx + dw", "CosFace loss + dx + dw",
                                             "ArcFace loss + dx + dw",  "AdaFace loss + dx + dw",
                                             "soft Dice + grad", "soft Jaccard + grad", "GIoU + grad", "DIoU + grad", "CIoU + grad",
                                             "GMADL + grad"};
    for (a.op = 0; a.op < N_OPS; a.op++) {
        /* wall clock for the GEMM-shaped rows, as for their CLBlast reference */
        double t = a.op <= OP_ADAFACE ? bench_wall_time(env, run_op, &a) : bench_time(env, run_op, &a);
        char name[96];
        if (a.op <= OP_ADAFACE) {
            snprintf(name, sizeof name, "%s %zux%zu D %zu", names[a.op], n, c, d);
            bench_report(env, "metric", name, t > 0 ? flops / t * 1e-9 : 0, "GFLOPS",
                         t_gemm > 0 ? flops / t_gemm * 1e-9 : 0, "CLBlast, its 3 GEMMs");
            continue;
        }
        /* minimum traffic: inputs read once, gradient written once */
        const int box = a.op >= OP_GIOU && a.op <= OP_CIOU;
        double bytes = box ? 12.0 * (double)nbox * sizeof(float) : 3.0 * (double)elems * sizeof(float);
        if (box) snprintf(name, sizeof name, "%s %zu boxes", names[a.op], nbox);
        else snprintf(name, sizeof name, "%s %zux%zu", names[a.op], a.op == OP_MADL ? elems : samples,
                      a.op == OP_MADL ? (size_t)1 : pixels);
        bench_report(env, "metric", name, t > 0 ? bytes / t * 1e-9 : 0, "GB/s", env->copy_gbps, "copy bandwidth");
    }
    bench_class_overlap(env, samples, pixels);
out:
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}
