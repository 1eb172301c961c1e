/* clnn_attention_flash_forward / _backward (memory-efficient path) with every
 * option of the standard path: against the double reference of
 * tests/attention_util.h (out, lse, dq, dk, dv), against the standard path
 * (clnn_attention_sdpa_*) on the same inputs, central differences, repeats
 * (bit for bit: no atomics), fully masked rows (exactly 0, lse -inf), sizes
 * that are no multiple of the tiles, head sizes up to 128, and forced local
 * sizes and tiles (BK).
 *
 * Tolerances: out, dq, dk, dv as tests/test_attention_options.c (float sums
 * of up to Sk or R*Sq products of O(1) numbers, in another order than
 * CLBlast's): 1e-4 + 2e-8 * terms + 1e-4 |ref|, for the reference and for the
 * standard path alike (the standard path's own error is within the same
 * bound); lse 1e-5 + 1e-5 |ref| (a float max plus log of a float sum of
 * terms <= 1); forced configurations: the default's values within the same
 * bound (the tile changes the online rescaling's order). */
#include "attention_util.h"

typedef struct flash_out {
    float *out, *lse, *dq, *dk, *dv;
} flash_out;

static void flash_free(flash_out *o)
{
    free(o->out), free(o->lse), free(o->dq), free(o->dk), free(o->dv);
}

/* 0 when the device refuses the shape for its loop limit (llvmpipe; said so) */
static int run_flash(clnn_context *ctx, attn_data *a, flash_out *r)
{
    const attn_case *c = &a->c;
    clnn_tensor *to = util_tensor(ctx, c->B, c->H, c->Sq, c->E, 4), *tl = util_tensor(ctx, c->B, c->H, c->Sq, 0, 3);
    clnn_tensor *tdq = util_tensor(ctx, c->B, c->H, c->Sq, c->D, 4), *tdk = util_tensor(ctx, c->B, c->G, c->Sk, c->D, 4);
    clnn_tensor *tdv = util_tensor(ctx, c->B, c->G, c->Sk, c->E, 4);
    clnn_status st = clnn_attention_flash_forward(ctx, a->tq, a->tk, a->tv, a->tmask, a->tkpm, &a->opt, to, tl);
    if (st == CLNN_ERR_UNSUPPORTED && strstr(clnn_last_error(ctx), "loop limit") != NULL) {
        printf("SKIP attention flash %s: %s\n", c->name, clnn_last_error(ctx));
        clnn_tensor *all[] = {to, tl, tdq, tdk, tdv};
        for (int i = 0; i < 5; i++) clnn_tensor_release(all[i]);
        return 0;
    }
    CHECK_OK(ctx, st);
    CHECK_OK(ctx, clnn_attention_flash_backward(ctx, a->tq, a->tk, a->tv, a->tmask, a->tkpm, to, tl, a->tdout, &a->opt,
                                                tdq, tdk, tdv));
    *r = (flash_out){util_download(ctx, to), util_download(ctx, tl), util_download(ctx, tdq), util_download(ctx, tdk),
                     util_download(ctx, tdv)};
    clnn_tensor *all[] = {to, tl, tdq, tdk, tdv};
    for (int i = 0; i < 5; i++) clnn_tensor_release(all[i]);
    return 1;
}

static double bound(const attn_case *c)
{
    int R = c->H / c->G;
    double terms = (double)(c->Sq * R > c->Sk ? c->Sq * R : c->Sk) + c->D + c->E;
    return 1e-4 + 2e-8 * terms;
}

/* |got - want| within atol + 1e-4 |want| (floats, same shape) */
static double max_rel_float(const float *got, const float *want, size_t n, double atol)
{
    double *w = util_to_double(want, n), e = test_max_rel_error(got, w, n, atol, 1e-4);
    free(w);
    return e;
}

static void run_case(clnn_context *ctx, const attn_case *c)
{
    attn_data a;
    attn_data_init(ctx, &a, c, (unsigned)(c->Sq * 131 + c->Sk * 17 + c->mask_kind * 5 + c->causal));
    flash_out f, f2;
    if (!run_flash(ctx, &a, &f)) {
        attn_data_free(&a);
        return;
    }
    run_flash(ctx, &a, &f2);
    CHECK(util_same_bits(f.out, f2.out, a.no) && util_same_bits(f.lse, f2.lse, a.np / c->Sk) &&
              util_same_bits(f.dq, f2.dq, a.nq) && util_same_bits(f.dk, f2.dk, a.nk) &&
              util_same_bits(f.dv, f2.dv, a.nv),
          "%s: repeats differ", c->name);
    flash_free(&f2);
    size_t rows = a.np / c->Sk;
    double *rp = malloc(a.np * sizeof *rp), *ro = malloc(a.no * sizeof *ro), *rl = malloc(rows * sizeof *rl),
           *rdq = malloc(a.nq * sizeof *rdq), *rdk = malloc(a.nk * sizeof *rdk), *rdv = malloc(a.nv * sizeof *rdv);
    REQUIRE(rp && ro && rl && rdq && rdk && rdv, "host memory");
    attn_ref_forward(&a, a.qd, a.kd, a.vd, rp, ro, rl);
    attn_ref_backward(&a, rdq, rdk, rdv);
    double atol = bound(c), e;
    e = test_max_rel_error(f.out, ro, a.no, atol, 1e-4);
    CHECK(e <= 1, "%s: out error %.3g", c->name, e);
    e = test_max_rel_error(f.dq, rdq, a.nq, atol, 1e-4);
    CHECK(e <= 1, "%s: dq error %.3g", c->name, e);
    e = test_max_rel_error(f.dk, rdk, a.nk, atol, 1e-4);
    CHECK(e <= 1, "%s: dk error %.3g", c->name, e);
    e = test_max_rel_error(f.dv, rdv, a.nv, atol, 1e-4);
    CHECK(e <= 1, "%s: dv error %.3g", c->name, e);
    size_t bad = 0;
    for (size_t r = 0; r < rows; r++) {
        if (rl[r] == -INFINITY) {
            bad += f.lse[r] != -INFINITY;
            for (int x = 0; x < c->E; x++) bad += f.out[r * c->E + x] != 0.0f;
            for (int x = 0; x < c->D; x++) bad += f.dq[r * c->D + x] != 0.0f;
        } else {
            bad += !(fabs((double)f.lse[r] - rl[r]) <= 1e-5 + 1e-5 * fabs(rl[r]));
        }
    }
    CHECK(bad == 0, "%s: %zu lse values wrong or fully masked rows not 0", c->name, bad);
    if (c->fd) {
        e = util_fd_check(a.qd, a.nq, 200, 1e-4, attn_ref_loss, &a, f.dq, 1e-4, 1e-3);
        CHECK(e <= 1, "%s: dq vs finite differences %.3g", c->name, e);
        e = util_fd_check(a.kd, a.nk, 200, 1e-4, attn_ref_loss, &a, f.dk, 1e-4, 1e-3);
        CHECK(e <= 1, "%s: dk vs finite differences %.3g", c->name, e);
        e = util_fd_check(a.vd, a.nv, 200, 1e-4, attn_ref_loss, &a, f.dv, 1e-4, 1e-3);
        CHECK(e <= 1, "%s: dv vs finite differences %.3g", c->name, e);
    }
    /* the standard path on the same inputs */
    clnn_tensor *tp = util_tensor(ctx, c->B, c->H, c->Sq, c->Sk, 4), *to = util_tensor(ctx, c->B, c->H, c->Sq, c->E, 4);
    clnn_tensor *tdq = util_tensor(ctx, c->B, c->H, c->Sq, c->D, 4), *tdk = util_tensor(ctx, c->B, c->G, c->Sk, c->D, 4);
    clnn_tensor *tdv = util_tensor(ctx, c->B, c->G, c->Sk, c->E, 4);
    CHECK_OK(ctx, clnn_attention_sdpa_forward(ctx, a.tq, a.tk, a.tv, a.tmask, a.tkpm, &a.opt, tp, to));
    CHECK_OK(ctx, clnn_attention_sdpa_backward(ctx, a.tq, a.tk, a.tv, tp, a.tdout, &a.opt, tdq, tdk, tdv));
    float *so = util_download(ctx, to), *sdq = util_download(ctx, tdq), *sdk = util_download(ctx, tdk),
          *sdv = util_download(ctx, tdv);
    e = max_rel_float(f.out, so, a.no, atol);
    CHECK(e <= 1, "%s: out differs from the standard path %.3g", c->name, e);
    e = max_rel_float(f.dq, sdq, a.nq, atol);
    CHECK(e <= 1, "%s: dq differs from the standard path %.3g", c->name, e);
    e = max_rel_float(f.dk, sdk, a.nk, atol);
    CHECK(e <= 1, "%s: dk differs from the standard path %.3g", c->name, e);
    e = max_rel_float(f.dv, sdv, a.nv, atol);
    CHECK(e <= 1, "%s: dv differs from the standard path %.3g", c->name, e);
    free(so), free(sdq), free(sdk), free(sdv);
    clnn_tensor *all[] = {tp, to, tdq, tdk, tdv};
    for (int i = 0; i < 5; i++) clnn_tensor_release(all[i]);
    printf("attention flash %s: checked\n", c->name);
    free(rp), free(ro), free(rl), free(rdq), free(rdk), free(rdv);
    flash_free(&f);
    attn_data_free(&a);
}

/* Each memory-efficient kernel forced to other local sizes and tiles gives
 * the default's values (within the bound: the tile changes the order of the
 * online rescaling in the forward). */
static void check_forced(clnn_context *ctx)
{
    static const char *const ids[] = {"attention.flash_forward", "attention.flash_delta", "attention.flash_dq",
                                      "attention.flash_dkv"};
    static const struct { size_t local; int bk; } cfgs[] = {{1, 8}, {3, 16}, {64, 8}, {7, 64}, {32, 32}};
    attn_case c = {"forced", 2, 4, 2, 13, 37, 5, 3, 2, 1, 4, 2, 1, 1, 0.0f, 0.25f, 11, 3, 0};
    attn_data a;
    attn_data_init(ctx, &a, &c, 5u);
    flash_out want, got;
    run_flash(ctx, &a, &want);
    double atol = bound(&c);
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < (test_small() ? 2 : 5); i++) {
            clnn_tune_config cfg = {{cfgs[i].local, 1, 1}, {k == 1 ? 0 : cfgs[i].bk}};
            cfg.local[0] = test_local_fit(ctx, ids[k], &cfg, cfgs[i].local);
            /* clnn_tune_force checks the kernel built without the call's
             * head sizes (HD = HDV = 32): BK 64 passes 32 KiB of local memory there */
            if (clnn_tune_force(ctx, ids[k], &cfg) != CLNN_OK) {
                printf("SKIP %s local %zu BK %d: %s\n", ids[k], cfg.local[0], cfg.params[0], clnn_last_error(ctx));
                continue;
            }
            run_flash(ctx, &a, &got);
            CHECK_OK(ctx, clnn_tune_force(ctx, NULL, NULL));
            double e = fmax(fmax(max_rel_float(got.out, want.out, a.no, atol), max_rel_float(got.dq, want.dq, a.nq, atol)),
                            fmax(max_rel_float(got.dk, want.dk, a.nk, atol), max_rel_float(got.dv, want.dv, a.nv, atol)));
            CHECK(e <= 1, "%s local %zu BK %d: values differ from the default's by %.3g", ids[k], cfg.local[0],
                  cfg.params[0], e);
            flash_free(&got);
        }
    flash_free(&want);
    attn_data_free(&a);
    printf("attention flash: forced local sizes and tiles give the default's values\n");
}

int main(void)
{
    clnn_context *ctx = test_context();
    /* name, B, H, G, Sq, Sk, D, E, causal, mask kind, mask ndim, mb, mh, kpm, scale, p, seed, offset, fd */
    static const attn_case cases[] = {
        {"plain", 1, 1, 1, 5, 7, 3, 3, 0, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"gqa H4/G2 Dv5", 2, 4, 2, 5, 7, 3, 5, 0, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"float mask [Sq,Sk] top-left", 1, 2, 2, 6, 6, 4, 4, 1, 1, 2, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"bool mask [B,1,Sq,Sk] kpm bottom-right", 2, 2, 1, 4, 9, 3, 2, 2, 2, 4, 2, 1, 1, 0.0f, 0.0f, 0, 0, 1},
        {"bottom-right Sq > Sk (fully masked rows)", 1, 2, 1, 7, 4, 3, 3, 2, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"float mask [B,H,Sq,Sk] scale 0.3", 2, 3, 3, 5, 8, 4, 6, 0, 1, 4, 2, 3, 0, 0.3f, 0.0f, 0, 0, 1},
        {"dropout 0.3 gqa float mask kpm", 2, 4, 2, 5, 6, 3, 4, 0, 1, 2, 1, 1, 1, 0.0f, 0.3f, 1234, 7, 1},
        {"dropout 0.5 bottom-right", 1, 3, 1, 4, 9, 5, 3, 2, 0, 0, 1, 1, 0, 0.0f, 0.5f, 99, (1ull << 33) + 5, 1},
        {"one query one key", 1, 1, 1, 1, 1, 1, 1, 2, 0, 0, 1, 1, 0, 0.0f, 0.0f, 0, 0, 1},
        {"decode Sq 1 Sk 70 gqa", 2, 8, 2, 1, 70, 16, 16, 2, 0, 0, 1, 1, 1, 0.0f, 0.0f, 0, 0, 0},
        {"tiles: Sq 37 Sk 45 causal", 1, 2, 1, 37, 45, 7, 9, 1, 0, 0, 1, 1, 0, 0.0f, 0.1f, 8, 0, 0},
        {"D 128 Dv 64", 1, 2, 1, 9, 21, 128, 64, 0, 2, 2, 1, 1, 0, 0.0f, 0.0f, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
    if (test_large("attention flash 2 x 8/2 x 200 x 300 D64, masks, dropout")) {
        attn_case big = {"large", 2, 8, 2, 200, 300, 64, 64, 2, 2, 4, 2, 1, 1, 0.0f, 0.2f, 3, 0, 0};
        run_case(ctx, &big);
        attn_case d128 = {"D128 Dv128", 1, 2, 2, 64, 96, 128, 128, 1, 1, 2, 1, 1, 0, 0.0f, 0.0f, 0, 0, 0};
        run_case(ctx, &d128);
    }
    check_forced(ctx);
    clnn_context_release(ctx);
    return check_summary();
}
