/* Scaled dot-product attention forward and backward (with and without the
 * causal mask) against the double reference (tests/ref/ref_attention.c),
 * central finite differences and repeats.
 *
 * Tolerances: probabilities are in [0, 1] from a float softmax of O(1)
 * scores: 1e-5 + 1e-4 |ref|. Outputs and gradients are float sums of up to
 * Sk (or Sq) products of O(1) numbers (CLBlast order): 1e-4 + 2e-8 * terms +
 * 1e-4 |ref| as in test_conv.c.
 * Finite differences: central, in double on the reference forward with
 * h = 1e-4 (truncation ~1e-8 for O(1) inputs, rounding ~1e-12), loss
 * sum(out * dout); compared with 1e-4 + 1e-3 |fd|. */
#include "layer_util.h"
#include "ref/ref.h"

typedef struct fd_ctx {
    int BH, Sq, Sk, D, causal;
    double *q, *k, *v, *r, *p, *o;
} fd_ctx;

static double attn_loss(void *user)
{
    fd_ctx *f = user;
    ref_attention_forward(f->BH, f->Sq, f->Sk, f->D, f->q, f->k, f->v, f->causal, f->p, f->o);
    return util_dot(f->o, f->r, (size_t)f->BH * f->Sq * f->D);
}

static void run_case(clnn_context *ctx, int B, int H, int Sq, int Sk, int D, int causal, int fd)
{
    int BH = B * H;
    size_t nq = (size_t)BH * Sq * D, nk = (size_t)BH * Sk * D, np = (size_t)BH * Sq * Sk;
    unsigned seed = (unsigned)(nq + nk + (size_t)causal);
    float *q = util_random(nq, seed, -1, 1), *k = util_random(nk, seed + 1, -1, 1), *v = util_random(nk, seed + 2, -1, 1);
    float *dout = util_random(nq, seed + 3, -1, 1);
    clnn_tensor *tq = util_tensor(ctx, B, H, Sq, D, 4), *tk = util_tensor(ctx, B, H, Sk, D, 4);
    clnn_tensor *tv = util_tensor(ctx, B, H, Sk, D, 4), *tp = util_tensor(ctx, B, H, Sq, Sk, 4);
    clnn_tensor *to = util_tensor(ctx, B, H, Sq, D, 4), *tdo = util_tensor(ctx, B, H, Sq, D, 4);
    clnn_tensor *tdq = util_tensor(ctx, B, H, Sq, D, 4), *tdk = util_tensor(ctx, B, H, Sk, D, 4);
    clnn_tensor *tdv = util_tensor(ctx, B, H, Sk, D, 4);
    clnn_tensor_upload(tq, q, nq * 4);
    clnn_tensor_upload(tk, k, nk * 4);
    clnn_tensor_upload(tv, v, nk * 4);
    clnn_tensor_upload(tdo, dout, nq * 4);
    char name[96];
    snprintf(name, sizeof name, "B%d H%d Sq%d Sk%d D%d%s", B, H, Sq, Sk, D, causal ? " causal" : "");
    float *first[5] = {0};
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(ctx, clnn_attention_forward(ctx, tq, tk, tv, causal, tp, to));
        CHECK_OK(ctx, clnn_attention_backward(ctx, tq, tk, tv, tp, tdo, tdq, tdk, tdv));
        float *got[5] = {util_download(ctx, tp), util_download(ctx, to), util_download(ctx, tdq),
                         util_download(ctx, tdk), util_download(ctx, tdv)};
        if (rep == 1) {
            CHECK(util_same_bits(got[0], first[0], np) && util_same_bits(got[1], first[1], nq) &&
                      util_same_bits(got[2], first[2], nq) && util_same_bits(got[3], first[3], nk) &&
                      util_same_bits(got[4], first[4], nk),
                  "%s: repeats differ", name);
            for (int i = 0; i < 5; i++) free(got[i]), free(first[i]);
            break;
        }
        for (int i = 0; i < 5; i++) first[i] = got[i];
        double *qd = util_to_double(q, nq), *kd = util_to_double(k, nk), *vd = util_to_double(v, nk),
               *dod = util_to_double(dout, nq);
        double *rp = malloc(np * sizeof *rp), *ro = malloc(nq * sizeof *ro), *rdq = malloc(nq * sizeof *rdq),
               *rdk = malloc(nk * sizeof *rdk), *rdv = malloc(nk * sizeof *rdv);
        ref_attention_forward(BH, Sq, Sk, D, qd, kd, vd, causal, rp, ro);
        ref_attention_backward(BH, Sq, Sk, D, qd, kd, vd, causal, dod, rdq, rdk, rdv);
        double terms = (double)(Sq > Sk ? Sq : Sk) + D, e;
        e = test_max_rel_error(got[0], rp, np, 1e-5, 1e-4);
        CHECK(e <= 1, "%s: probs error %.3g", name, e);
        e = test_max_rel_error(got[1], ro, nq, 1e-4 + 2e-8 * terms, 1e-4);
        CHECK(e <= 1, "%s: out error %.3g", name, e);
        e = test_max_rel_error(got[2], rdq, nq, 1e-4 + 2e-8 * terms, 1e-4);
        CHECK(e <= 1, "%s: dq error %.3g", name, e);
        e = test_max_rel_error(got[3], rdk, nk, 1e-4 + 2e-8 * terms, 1e-4);
        CHECK(e <= 1, "%s: dk error %.3g", name, e);
        e = test_max_rel_error(got[4], rdv, nk, 1e-4 + 2e-8 * terms, 1e-4);
        CHECK(e <= 1, "%s: dv error %.3g", name, e);
        if (causal) { /* masked probabilities are exactly zero */
            size_t bad = 0;
            for (size_t r = 0; r < (size_t)BH * Sq; r++)
                for (int j = (int)(r % (size_t)Sq) + 1; j < Sk; j++) bad += got[0][r * (size_t)Sk + (size_t)j] != 0.0f;
            CHECK(bad == 0, "%s: %zu masked probabilities are not 0", name, bad);
        }
        if (fd) {
            fd_ctx f = {BH, Sq, Sk, D, causal, qd, kd, vd, dod, rp, ro};
            e = util_fd_check(qd, nq, 200, 1e-4, attn_loss, &f, got[2], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dq vs finite differences %.3g", name, e);
            e = util_fd_check(kd, nk, 200, 1e-4, attn_loss, &f, got[3], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dk vs finite differences %.3g", name, e);
            e = util_fd_check(vd, nk, 200, 1e-4, attn_loss, &f, got[4], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dv vs finite differences %.3g", name, e);
        }
        free(qd); free(kd); free(vd); free(dod); free(rp); free(ro); free(rdq); free(rdk); free(rdv);
    }
    printf("attention %s: checked\n", name);
    free(q); free(k); free(v); free(dout);
    clnn_tensor *all[] = {tq, tk, tv, tp, to, tdo, tdq, tdk, tdv};
    for (int i = 0; i < 9; i++) clnn_tensor_release(all[i]);
}

int main(void)
{
    clnn_context *ctx = test_context();
    for (int causal = 0; causal < 2; causal++) {
        run_case(ctx, 1, 1, 1, 1, 1, causal, 1);
        run_case(ctx, 2, 3, 5, 7, 3, causal, 1);  /* Sq != Sk */
        run_case(ctx, 1, 2, 11, 5, 8, causal, 1); /* Sq > Sk */
        if (test_large("attention 300 x 300")) run_case(ctx, 1, 1, 300, 300, 13, causal, 0); /* rows longer than the 256 lanes */
    }
    /* rows longer than the 256 lanes at a size the simulator runs too (the
     * causal mask only shortens rows, through the same loop) */
    run_case(ctx, 1, 1, 3, 300, 5, 0, 0);
    if (test_large("attention 2 x 4 x 512 x 256")) run_case(ctx, 2, 4, 512, 256, 16, 1, 0); /* probs: 2^20 elements */
    clnn_context_release(ctx);
    return check_summary();
}
