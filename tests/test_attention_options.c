/* clnn_attention_sdpa_forward / _backward (the standard path with PyTorch's
 * scaled_dot_product_attention options): float and boolean masks at each
 * broadcast shape, key padding, custom scale, both causal alignments,
 * grouped-query attention, Dv != D and dropout, against the double reference
 * of tests/attention_util.h, central differences, repeats, fully masked rows,
 * forced local sizes, and the original entries against the new ones.
 *
 * Tolerances as tests/test_attention.c: probabilities 1e-5 + 1e-4 |ref|;
 * outputs and gradients (float sums of up to Sk or R*Sq products of O(1)
 * numbers, the dropout scale 1/(1-p) <= 2 here) 1e-4 + 2e-8 * terms + 1e-4
 * |ref|; central differences (double, h = 1e-4) 1e-4 + 1e-3 |fd|. A fully
 * masked row must give exactly 0. */
#include "attention_util.h"

static void check_fully_masked(const attn_data *a, const double *rp, const float *probs, const float *out,
                               const float *dq, const char *name)
{
    const attn_case *c = &a->c;
    size_t rows = (size_t)c->B * c->H * c->Sq, bad = 0, masked = 0;
    for (size_t r = 0; r < rows; r++) {
        int any = 0;
        for (int j = 0; j < c->Sk; j++) any |= rp[r * c->Sk + j] != 0.0;
        if (any) continue;
        masked++;
        for (int j = 0; j < c->Sk; j++) bad += probs[r * c->Sk + j] != 0.0f;
        for (int e = 0; e < c->E; e++) bad += out[r * c->E + e] != 0.0f;
        for (int d = 0; d < c->D; d++) bad += dq[r * c->D + d] != 0.0f;
    }
    CHECK(bad == 0, "%s: %zu values of the %zu fully masked rows are not 0", name, bad, masked);
}

static void run_case(clnn_context *ctx, const attn_case *c)
{
    attn_data a;
    attn_data_init(ctx, &a, c, (unsigned)(c->Sq * 131 + c->Sk * 17 + c->mask_kind * 5 + c->causal));
    clnn_tensor *tp = util_tensor(ctx, c->B, c->H, c->Sq, c->Sk, 4), *to = util_tensor(ctx, c->B, c->H, c->Sq, c->E, 4);
    clnn_tensor *tdq = util_tensor(ctx, c->B, c->H, c->Sq, c->D, 4), *tdk = util_tensor(ctx, c->B, c->G, c->Sk, c->D, 4);
    clnn_tensor *tdv = util_tensor(ctx, c->B, c->G, c->Sk, c->E, 4);
    float *first[5] = {0};
    for (int rep = 0; rep < 2; rep++) {
        CHECK_OK(ctx, clnn_attention_sdpa_forward(ctx, a.tq, a.tk, a.tv, a.tmask, a.tkpm, &a.opt, tp, to));
        CHECK_OK(ctx, clnn_attention_sdpa_backward(ctx, a.tq, a.tk, a.tv, tp, a.tdout, &a.opt, tdq, tdk, tdv));
        float *got[5] = {util_download(ctx, tp), util_download(ctx, to), util_download(ctx, tdq),
                         util_download(ctx, tdk), util_download(ctx, tdv)};
        if (rep == 1) {
            CHECK(util_same_bits(got[0], first[0], a.np) && util_same_bits(got[1], first[1], a.no) &&
                      util_same_bits(got[2], first[2], a.nq) && util_same_bits(got[3], first[3], a.nk) &&
                      util_same_bits(got[4], first[4], a.nv),
                  "%s: repeats differ", c->name);
            for (int i = 0; i < 5; i++) free(got[i]), free(first[i]);
            break;
        }
        for (int i = 0; i < 5; i++) first[i] = got[i];
        double *rp = malloc(a.np * sizeof *rp), *ro = malloc(a.no * sizeof *ro), *rdq = malloc(a.nq * sizeof *rdq),
               *rdk = malloc(a.nk * sizeof *rdk), *rdv = malloc(a.nv * sizeof *rdv);
        REQUIRE(rp && ro && rdq && rdk && rdv, "host memory");
        attn_ref_forward(&a, a.qd, a.kd, a.vd, rp, ro, NULL);
        attn_ref_backward(&a, rdq, rdk, rdv);
        int R = c->H / c->G;
        double terms = (double)(c->Sq * R > c->Sk ? c->Sq * R : c->Sk) + c->D + c->E, e;
        double atol = 1e-4 + 2e-8 * terms;
        e = test_max_rel_error(got[0], rp, a.np, 1e-5, 1e-4);
        CHECK(e <= 1, "%s: probs error %.3g", c->name, e);
        e = test_max_rel_error(got[1], ro, a.no, atol, 1e-4);
        CHECK(e <= 1, "%s: out error %.3g", c->name, e);
        e = test_max_rel_error(got[2], rdq, a.nq, atol, 1e-4);
        CHECK(e <= 1, "%s: dq error %.3g", c->name, e);
        e = test_max_rel_error(got[3], rdk, a.nk, atol, 1e-4);
        CHECK(e <= 1, "%s: dk error %.3g", c->name, e);
        e = test_max_rel_error(got[4], rdv, a.nv, atol, 1e-4);
        CHECK(e <= 1, "%s: dv error %.3g", c->name, e);
        check_fully_masked(&a, rp, got[0], got[1], got[2], c->name);
        if (c->fd) {
            e = util_fd_check(a.qd, a.nq, 200, 1e-4, attn_ref_loss, &a, got[2], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dq vs finite differences %.3g", c->name, e);
            e = util_fd_check(a.kd, a.nk, 200, 1e-4, attn_ref_loss, &a, got[3], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dk vs finite differences %.3g", c->name, e);
            e = util_fd_check(a.vd, a.nv, 200, 1e-4, attn_ref_loss, &a, got[4], 1e-4, 1e-3);
            CHECK(e <= 1, "%s: dv vs finite differences %.3g", c->name, e);
        }
        free(rp), free(ro), free(rdq), free(rdk), free(rdv);
    }
    printf("attention sdpa %s: checked\n", c->name);
    clnn_tensor *all[] = {tp, to, tdq, tdk, tdv};
    for (int i = 0; i < 5; i++) clnn_tensor_release(all[i]);
    attn_data_free(&a);
}

/* The original entries give the new ones' bits with the defaults (and top-left causal). */
static void check_original_entries(clnn_context *ctx)
{
    attn_case c = {"original", 2, 3, 3, 5, 7, 4, 4, 0, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 0};
    for (int causal = 0; causal < 2; causal++) {
        c.causal = causal;
        attn_data a;
        attn_data_init(ctx, &a, &c, 77u + (unsigned)causal);
        clnn_tensor *t[10];
        for (int i = 0; i < 2; i++) {
            t[5 * i] = util_tensor(ctx, 2, 3, 5, 7, 4), t[5 * i + 1] = util_tensor(ctx, 2, 3, 5, 4, 4);
            t[5 * i + 2] = util_tensor(ctx, 2, 3, 5, 4, 4), t[5 * i + 3] = util_tensor(ctx, 2, 3, 7, 4, 4);
            t[5 * i + 4] = util_tensor(ctx, 2, 3, 7, 4, 4);
        }
        CHECK_OK(ctx, clnn_attention_forward(ctx, a.tq, a.tk, a.tv, causal, t[0], t[1]));
        CHECK_OK(ctx, clnn_attention_backward(ctx, a.tq, a.tk, a.tv, t[0], a.tdout, t[2], t[3], t[4]));
        CHECK_OK(ctx, clnn_attention_sdpa_forward(ctx, a.tq, a.tk, a.tv, NULL, NULL, &a.opt, t[5], t[6]));
        CHECK_OK(ctx, clnn_attention_sdpa_backward(ctx, a.tq, a.tk, a.tv, t[5], a.tdout, NULL, t[7], t[8], t[9]));
        for (int i = 0; i < 5; i++) {
            float *x = util_download(ctx, t[i]), *y = util_download(ctx, t[5 + i]);
            CHECK(util_same_bits(x, y, clnn_tensor_count(t[i])), "original entries causal %d: output %d differs",
                  causal, i);
            free(x), free(y);
        }
        for (int i = 0; i < 10; i++) clnn_tensor_release(t[i]);
        attn_data_free(&a);
    }
    printf("attention: the original entries give the sdpa entries' bits\n");
}

/* Each kernel forced to several local sizes gives the default's bits. */
static void check_forced(clnn_context *ctx)
{
    static const char *const ids[] = {"attention.softmax_forward", "attention.softmax_backward", "attention.dropout"};
    static const size_t locals[] = {1, 3, 64, 256};
    /* rows longer than the 256 lanes, shorter on the simulator */
    const int Sk = test_small() ? 40 : 300;
    attn_case c = {"forced", 2, 2, 1, 6, Sk, 3, 5, 2, 1, 4, 2, 1, 1, 0.0f, 0.25f, 11, 3, 0};
    attn_data a;
    attn_data_init(ctx, &a, &c, 5u);
    clnn_tensor *t[10];
    for (int i = 0; i < 2; i++) {
        t[5 * i] = util_tensor(ctx, 2, 2, 6, Sk, 4), t[5 * i + 1] = util_tensor(ctx, 2, 2, 6, 5, 4);
        t[5 * i + 2] = util_tensor(ctx, 2, 2, 6, 3, 4), t[5 * i + 3] = util_tensor(ctx, 2, 1, Sk, 3, 4);
        t[5 * i + 4] = util_tensor(ctx, 2, 1, Sk, 5, 4);
    }
    CHECK_OK(ctx, clnn_attention_sdpa_forward(ctx, a.tq, a.tk, a.tv, a.tmask, a.tkpm, &a.opt, t[0], t[1]));
    CHECK_OK(ctx, clnn_attention_sdpa_backward(ctx, a.tq, a.tk, a.tv, t[0], a.tdout, &a.opt, t[2], t[3], t[4]));
    float *want[5];
    for (int i = 0; i < 5; i++) want[i] = util_download(ctx, t[i]);
    for (size_t k = 0; k < 3; k++)
        for (size_t l = 0; l < (test_small() ? 2 : 4); l++) {
            clnn_tune_config cfg = {{locals[l], 1, 1}, {0}};
            cfg.local[0] = test_local_fit(ctx, ids[k], &cfg, locals[l]);
            CHECK_OK(ctx, clnn_tune_force(ctx, ids[k], &cfg));
            CHECK_OK(ctx, clnn_attention_sdpa_forward(ctx, a.tq, a.tk, a.tv, a.tmask, a.tkpm, &a.opt, t[5], t[6]));
            CHECK_OK(ctx, clnn_attention_sdpa_backward(ctx, a.tq, a.tk, a.tv, t[5], a.tdout, &a.opt, t[7], t[8], t[9]));
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            for (int i = 0; i < 5; i++) {
                float *got = util_download(ctx, t[5 + i]);
                CHECK(util_same_bits(want[i], got, clnn_tensor_count(t[i])), "%s local %zu: output %d differs",
                      ids[k], cfg.local[0], i);
                free(got);
            }
        }
    for (int i = 0; i < 5; i++) free(want[i]);
    for (int i = 0; i < 10; i++) clnn_tensor_release(t[i]);
    attn_data_free(&a);
    printf("attention sdpa: forced local sizes give the default's bits\n");
}

int main(void)
{
    clnn_context *ctx = test_context();
    /* name, B, H, G, Sq, Sk, D, E, causal, mask kind, mask ndim, mb, mh, kpm, scale, p, seed, offset, fd */
    static const attn_case cases[] = {
        {"gqa H4/G2 Dv5", 2, 4, 2, 5, 7, 3, 5, 0, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"float mask [Sq,Sk] top-left", 1, 2, 2, 6, 6, 4, 4, 1, 1, 2, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"bool mask [B,1,Sq,Sk] kpm bottom-right", 2, 2, 1, 4, 9, 3, 2, 2, 2, 4, 2, 1, 1, 0.0f, 0.0f, 0, 0, 1},
        {"bottom-right Sq > Sk (fully masked rows)", 1, 2, 1, 7, 4, 3, 3, 2, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"float mask [B,H,Sq,Sk] scale 0.3", 2, 3, 3, 5, 8, 4, 6, 0, 1, 4, 2, 3, 0, 0.3f, 0.0f, 0, 0, 1},
        {"bool mask [1,H,Sq,Sk] scale -0.7", 1, 2, 1, 3, 5, 2, 2, 0, 2, 4, 1, 2, 0, -0.7f, 0.0f, 0, 0, 1},
        {"dropout 0.3 gqa float mask kpm", 2, 4, 2, 5, 6, 3, 4, 0, 1, 2, 1, 1, 1, 0.0f, 0.3f, 1234, 7, 1},
        {"dropout 0.5 bottom-right", 1, 3, 1, 4, 9, 5, 3, 2, 0, 0, 1, 1, 0, 0.0f, 0.5f, 99, (1ull << 33) + 5, 1},
        {"one query one key", 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"rows past 256 lanes, masks, dropout", 1, 2, 1, 3, 300, 5, 4, 2, 1, 4, 1, 2, 1, 0.0f, 0.1f, 5, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
    if (test_large("attention sdpa 2 x 8/2 x 256 x 384, masks, dropout")) {
        attn_case big = {"large", 2, 8, 2, 256, 384, 32, 48, 2, 2, 4, 2, 1, 1, 0.0f, 0.2f, 3, 0, 0};
        run_case(ctx, &big);
    }
    check_original_entries(ctx);
    check_forced(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
