/* Every function of include/clnn/gradcomb.h and the AdEMAMix additions of
 * include/clnn/optim.h given NULL or bad arguments returns an error status
 * and a message naming the function, and changes nothing: the tensors of the
 * rejected calls keep their sentinel, host outputs their old value. */
#include "check.h"

#include <math.h>

static const float SENTINEL = 7.0f;

static clnn_tensor *make(clnn_context *ctx, clnn_dtype dtype, size_t a, size_t b)
{
    size_t shape[2] = {a, b};
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, dtype, 2, shape, &t));
    REQUIRE(t, "tensor");
    CHECK_OK(ctx, clnn_tensor_fill(t, dtype == CLNN_INT32 ? 1.0f : SENTINEL));
    return t;
}

/* The contexts and tensors the groups of checks below share. */
static const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
static clnn_context *ctx, *other;
static clnn_tensor *a, *b, *c, *d, *e, *f2, *small, *ints, *w2, *w1, *foreign;

/* lists of one tensor: two gradient lists {a}, {b}; outputs {c} */
static void weighted_sum_pcgrad_errors(void)
{
    const float nan = NAN;
    const char *fn;
    const clnn_tensor *g2[2] = {a, b}, *g_small[2] = {a, small}, *g_ints[2] = {a, ints}, *g_null[2] = {a, NULL};
    const clnn_tensor *g_foreign[2] = {a, foreign};
    clnn_tensor *out[1] = {c}, *out_a[1] = {a}, *out_small[1] = {small}, *out_null[1] = {NULL};
    clnn_tensor *out_w2[1] = {w2};
    clnn_tensor *out2_same[2] = {c, c};
    const clnn_tensor *g4[4] = {a, d, b, e};
    float scales[2] = {1.0f, 0.5f}, bad_scales[2] = {1.0f, nan};

    fn = "clnn_grad_weighted_sum";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_grad_weighted_sum(NULL, 2, 1, g2, scales, w2, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 0, 1, g2, scales, w2, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 65, 1, g2, scales, w2, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 0, g2, scales, w2, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, NULL, scales, w2, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, w2, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g_null, scales, w2, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, w2, out_null));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g_foreign, scales, w2, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_weighted_sum(ctx, 2, 1, g_small, scales, w2, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_weighted_sum(ctx, 2, 1, g_ints, scales, w2, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, w2, out_small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, bad_scales, w2, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, w1, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, ints, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, foreign, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, w2, out_a));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_weighted_sum(ctx, 2, 1, g2, scales, w2, out_w2));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_weighted_sum(ctx, 2, 2, g4, scales, w2, out2_same));

    fn = "clnn_pcgrad";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_pcgrad(NULL, 2, 1, g2, 1, 0, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 0, 1, g2, 1, 0, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 65, 1, g2, 1, 0, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 0, g2, 1, 0, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 1, NULL, 1, 0, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 1, g2, 1, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 1, g_null, 1, 0, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 1, g_foreign, 1, 0, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_pcgrad(ctx, 2, 1, g_small, 1, 0, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_pcgrad(ctx, 2, 1, g_ints, 1, 0, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_pcgrad(ctx, 2, 1, g2, 1, 0, out_small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 1, g2, 1, 0, out_a));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_pcgrad(ctx, 2, 2, g4, 1, 0, out2_same));
}

static void surgery_ema_errors(void)
{
    clnn_tensor *out[1] = {c}, *out_a[1] = {a}, *out_small[1] = {small};
    const float inf = INFINITY, nan = NAN;
    const char *fn = "clnn_grad_surgery_ema";
    const clnn_tensor *gm[1] = {a}, *ga[1] = {b}, *gsmall[1] = {small}, *gints[1] = {ints}, *gnull[1] = {NULL};
    clnn_tensor *ema[1] = {d}, *ema_a[1] = {a}, *ema_b[1] = {b}, *ema_small[1] = {small}, *out_d[1] = {d};
    clnn_tensor *out_b[1] = {b};
    const clnn_surgery_ema MAIN = CLNN_SURGERY_EMA_MAIN;
    EXPECT_FAIL(NULL, INVAL, fn, clnn_grad_surgery_ema(NULL, 1, gm, ga, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, (clnn_surgery_ema)5, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, -0.1f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 1.5f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, nan, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, inf, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 0, gm, ga, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, NULL, ga, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, NULL, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, NULL, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gnull, ga, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_surgery_ema(ctx, 1, gsmall, ga, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_surgery_ema(ctx, 1, gm, gints, MAIN, 0.9f, 1.0f, ema, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema_small, out));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema, out_small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema_a, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema_b, out));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema, out_d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema, out_b));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_surgery_ema(ctx, 1, gm, ga, MAIN, 0.9f, 1.0f, ema, out_a));
}

static void amp_ascent_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *fn = "clnn_amp_ascent";
    const size_t AS = sizeof(clnn_amp_options);
    clnn_amp_options amp = {AS, 0.1f, 1.0f, 0}, amp_eps = {AS, -1.0f, 1.0f, 0}, amp_nan = {AS, nan, 1.0f, 0};
    clnn_amp_options amp_lr = {AS, 0.1f, inf, 0}, amp_unsized = {0, 0.1f, 1.0f, 0};
    clnn_tensor *wl[1] = {c}, *sl[1] = {d}, *dl[1] = {e}, *wl_a[1] = {a}, *sl_c[1] = {c}, *dl_d[1] = {d};
    clnn_tensor *dl_small[1] = {small}, *wl_null[1] = {NULL};
    const clnn_tensor *gl[1] = {a}, *gl_small[1] = {small}, *gl_ints[1] = {ints};
    EXPECT_FAIL(NULL, INVAL, fn, clnn_amp_ascent(NULL, 1, gl, &amp, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, NULL, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp_eps, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp_nan, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp_lr, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp_unsized, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 0, gl, &amp, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, NULL, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, NULL, &amp, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl, NULL, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl, sl, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl_null, sl, dl));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_amp_ascent(ctx, 1, gl_small, &amp, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_amp_ascent(ctx, 1, gl_ints, &amp, 0, wl, sl, dl));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl, sl, dl_small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl_a, sl, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl, sl_c, dl));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_amp_ascent(ctx, 1, gl, &amp, 0, wl, sl, dl_d));
}

static void lobster_step_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *fn = "clnn_lobster_step";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_lobster_step(NULL, a, 0.1f, 1.0f, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, -0.1f, 1.0f, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, nan, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 0.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, inf, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 1.0f, -0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 1.0f, 0.01f, NULL, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, NULL, 0.1f, 1.0f, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 1.0f, 0.01f, foreign, d));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_lobster_step(ctx, small, 0.1f, 1.0f, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 1.0f, 0.01f, c, small));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_lobster_step(ctx, ints, 0.1f, 1.0f, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, c, 0.1f, 1.0f, 1.0f, 0.01f, c, d));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 1.0f, 0.01f, c, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_lobster_step(ctx, a, 0.1f, 1.0f, 1.0f, 0.01f, c, a));
}

static void nm_schedule_errors(void)
{
    const char *fn = "clnn_nm_schedule";
    unsigned nt = 77;
    EXPECT_FAIL(NULL, INVAL, fn, clnn_nm_schedule(2, 0, 0, 10, 5, &nt));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_nm_schedule(2, 65, 0, 10, 5, &nt));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_nm_schedule(5, 4, 0, 10, 5, &nt));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_nm_schedule(2, 4, 11, 10, 5, &nt));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_nm_schedule(2, 4, 0, 10, 5, NULL));
    CHECK(nt == 77, "rejected clnn_nm_schedule wrote n_t = %u", nt);

    fn = "clnn_prune_nm_progressive_mask";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_prune_nm_progressive_mask(NULL, a, 2, 4, 0, 10, 5, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_progressive_mask(ctx, a, 2, 0, 0, 10, 5, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_progressive_mask(ctx, a, 5, 4, 0, 10, 5, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_progressive_mask(ctx, a, 2, 4, 11, 10, 5, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_progressive_mask(ctx, NULL, 2, 4, 0, 10, 5, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_progressive_mask(ctx, a, 2, 4, 0, 10, 5, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_nm_progressive_mask(ctx, a, 2, 4, 0, 10, 5, small));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_prune_nm_progressive_mask(ctx, a, 2, 8, 0, 10, 5, c));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_prune_nm_progressive_mask(ctx, a, 2, 4, 0, 10, 5, a));
}

/* AdEMAMix: w = c, g = a, m = d, v = e, m2 = f2 */
static void ademamix_step_errors(void)
{
    const float nan = NAN;
    const char *fn = "clnn_ademamix_step";
    const clnn_optim_options opt = {sizeof(clnn_optim_options), CLNN_OPTIM_ADEMAMIX, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f,
                                    0.1f, 1};
    clnn_optim_options adamw = opt;
    adamw.kind = CLNN_OPTIM_ADAMW;
    clnn_param p = {c, a, d, e, NULL, 0}, p2[2] = {{c, a, d, e, NULL, 0}, {b, a, small, small, NULL, 0}};
    clnn_tensor *m2[1] = {f2}, *m2_null[1] = {NULL}, *m2_small[1] = {small}, *m2_ints[1] = {ints};
    clnn_tensor *m2_w[1] = {c}, *m2_m[1] = {d}, *m2_g[1] = {a}, *m2_same[2] = {f2, f2};
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_step(NULL, &opt, 5.0f, 0.999f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, NULL, 5.0f, 0.999f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &adamw, 5.0f, 0.999f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, nan, 0.999f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, -1.0f, 0.999f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 1.0f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, -0.5f, 1, &p, m2, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, NULL, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, m2_null, 0, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, m2_small, 0, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, m2_ints, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, m2_w, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, m2_m, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 1, &p, m2_g, 0, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 2, p2, m2_same, 0, NULL));
    clnn_param q2[2] = {{c, a, d, e, NULL, 0}, {b, a, d, e, NULL, 0}}; /* two tensors sharing one m2 */
    EXPECT_FAIL(ctx, INVAL, fn, clnn_ademamix_step(ctx, &opt, 5.0f, 0.999f, 2, q2, m2_same, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, "clnn_optim_step", clnn_optim_step(ctx, &opt, 1, &p, 0, NULL));
}

static void ademamix_schedule_errors(void)
{
    const float inf = INFINITY, nan = NAN;
    const char *fn = "clnn_ademamix_alpha_at";
    float x = 77.0f;
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_alpha_at(nan, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_alpha_at(-1.0f, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_alpha_at(inf, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_alpha_at(5.0f, 10, 5, NULL));
    fn = "clnn_ademamix_beta3_at";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_beta3_at(0.0f, 0.999f, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_beta3_at(1.0f, 0.999f, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_beta3_at(nan, 0.999f, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_beta3_at(0.9f, 1.0f, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_beta3_at(0.9f, 0.0f, 10, 5, &x));
    EXPECT_FAIL(NULL, INVAL, fn, clnn_ademamix_beta3_at(0.9f, 0.999f, 10, 5, NULL));
    CHECK(x == 77.0f, "a rejected scheduler call wrote %g", (double)x);
}

int main(void)
{
    ctx = test_context(), other = test_context();
    a = make(ctx, CLNN_FLOAT32, 3, 4), b = make(ctx, CLNN_FLOAT32, 3, 4);
    c = make(ctx, CLNN_FLOAT32, 3, 4), d = make(ctx, CLNN_FLOAT32, 3, 4);
    e = make(ctx, CLNN_FLOAT32, 3, 4), f2 = make(ctx, CLNN_FLOAT32, 3, 4);
    small = make(ctx, CLNN_FLOAT32, 2, 4), ints = make(ctx, CLNN_INT32, 3, 4);
    w2 = make(ctx, CLNN_FLOAT32, 1, 2), w1 = make(ctx, CLNN_FLOAT32, 1, 1);
    foreign = make(other, CLNN_FLOAT32, 3, 4);

    weighted_sum_pcgrad_errors();
    surgery_ema_errors();
    amp_ascent_errors();
    lobster_step_errors();
    nm_schedule_errors();
    ademamix_step_errors();
    ademamix_schedule_errors();

    clnn_tensor *outputs[] = {a, b, c, d, e, f2, small, w2, w1};
    const char *names[] = {"a", "b", "c", "d", "e", "f2", "small", "w2", "w1"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) test_expect_filled(ctx, names[i], outputs[i], SENTINEL);

    clnn_tensor *all[] = {a, b, c, d, e, f2, small, ints, w2, w1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(foreign);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
