/* Bad input to the regularizer and optimizer API: every call fails with the
 * right status, a message naming the function, and leaves every tensor as it
 * was ("output unchanged"). */
#include "check.h"

#include <math.h>

#define N 12
static clnn_context *ctx, *other;
static clnn_tensor *w, *g, *m, *v, *mask, *w_other, *small, *labels, *scalar;
static float w0[N], g0[N];

/* Every tensor still holds what setup() put there. */
static void expect_unchanged(const char *after)
{
    float a[N], z[N] = {0};
    CHECK_OK(ctx, clnn_tensor_download(w, a, sizeof a));
    CHECK(memcmp(a, w0, sizeof a) == 0, "w changed after %s", after);
    CHECK_OK(ctx, clnn_tensor_download(g, a, sizeof a));
    CHECK(memcmp(a, g0, sizeof a) == 0, "g changed after %s", after);
    CHECK_OK(ctx, clnn_tensor_download(m, a, sizeof a));
    CHECK(memcmp(a, z, sizeof a) == 0, "m changed after %s", after);
    CHECK_OK(ctx, clnn_tensor_download(v, a, sizeof a));
    CHECK(memcmp(a, z, sizeof a) == 0, "v changed after %s", after);
}

static clnn_tensor *make(clnn_context *c, clnn_dtype dt, size_t n)
{
    clnn_tensor *t = NULL;
    REQUIRE(clnn_tensor_create(c, dt, 1, &n, &t) == CLNN_OK, "create");
    REQUIRE(clnn_tensor_fill(t, 0.0f) == CLNN_OK, "fill");
    return t;
}

static void setup(void)
{
    ctx = test_context();
    other = test_context();
    test_fill_uniform(w0, N, 1, -1, 1);
    test_fill_uniform(g0, N, 2, -1, 1);
    w = make(ctx, CLNN_FLOAT32, N), g = make(ctx, CLNN_FLOAT32, N);
    m = make(ctx, CLNN_FLOAT32, N), v = make(ctx, CLNN_FLOAT32, N), mask = make(ctx, CLNN_FLOAT32, N);
    small = make(ctx, CLNN_FLOAT32, N - 1), labels = make(ctx, CLNN_INT32, N);
    scalar = make(ctx, CLNN_FLOAT32, 1);
    w_other = make(other, CLNN_FLOAT32, N);
    CHECK_OK(ctx, clnn_tensor_upload(w, w0, sizeof w0));
    CHECK_OK(ctx, clnn_tensor_upload(g, g0, sizeof g0));
}

/* The options of a valid clnn_optim_step: each rejected call changes one thing. */
static const clnn_optim_options good = {sizeof(clnn_optim_options), CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f,
                                        0.1f, 1};

/* clnn_optim_step's arguments and options: NULLs, hyper-parameters, SGD's state. */
static void optim_options_errors(void)
{
    const char *fn = "clnn_optim_step";
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT;
    clnn_param p = {w, g, m, v, NULL, 0};
    CHECK_OK(ctx, clnn_optim_step(ctx, &good, 0, NULL, 0, NULL)); /* empty list: nothing to do */

    EXPECT_FAIL(NULL, INVAL, fn, clnn_optim_step(NULL, &good, 1, &p, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, NULL, 1, &p, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &good, 1, NULL, 0, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &good, 1, &p, 1, NULL));

    /* hyper-parameters: each field out of range or not finite, and the size */
    const size_t OS = sizeof(clnn_optim_options);
    struct {
        const char *what;
        clnn_optim_options o;
    } bad[] = {
        {"kind", {OS, (clnn_optimizer)9, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, 0, 1}},
        {"lr NaN", {OS, CLNN_OPTIM_ADAM, NAN, 0, 0, 0.9f, 0.999f, 1e-8f, 0, 1}},
        {"lr < 0", {OS, CLNN_OPTIM_ADAM, -0.1f, 0, 0, 0.9f, 0.999f, 1e-8f, 0, 1}},
        {"lr inf", {OS, CLNN_OPTIM_ADAM, INFINITY, 0, 0, 0.9f, 0.999f, 1e-8f, 0, 1}},
        {"beta1 = 1", {OS, CLNN_OPTIM_ADAM, 0.01f, 0, 0, 1.0f, 0.999f, 1e-8f, 0, 1}},
        {"beta2 < 0", {OS, CLNN_OPTIM_ADAM, 0.01f, 0, 0, 0.9f, -0.5f, 1e-8f, 0, 1}},
        {"eps = 0", {OS, CLNN_OPTIM_ADAM, 0.01f, 0, 0, 0.9f, 0.999f, 0, 0, 1}},
        {"step 0", {OS, CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, 0, 0}},
        {"weight_decay < 0", {OS, CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, -1, 1}},
        {"weight_decay NaN", {OS, CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, NAN, 1}},
        {"size 0", {0, CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, 0.1f, 1}},
        {"size too large", {OS + 4, CLNN_OPTIM_ADAMW, 0.01f, 0, 0, 0.9f, 0.999f, 1e-8f, 0.1f, 1}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &bad[i].o, 1, &p, 0, NULL));
        expect_unchanged(bad[i].what);
    }
    clnn_optim_options sgd = {sizeof(clnn_optim_options), CLNN_OPTIM_SGD, 0.1f, 1.0f, 0, 0, 0, 0, 0, 0};
    clnn_param psgd = {w, g, m, NULL, NULL, 0};
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &sgd, 1, &psgd, 0, NULL)); /* momentum 1 */
    sgd.momentum = 0;
    sgd.nesterov = 1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &sgd, 1, &psgd, 0, NULL)); /* Nesterov without momentum */
    sgd.nesterov = 0;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &sgd, 1, &psgd, 0, NULL)); /* m given to plain SGD */
    sgd.momentum = 0.9f;
    sgd.step = 1;
    sgd.dampening = 1.5f;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &sgd, 1, &psgd, 0, NULL)); /* dampening outside [0, 1] */
    sgd.dampening = 0.5f;
    sgd.nesterov = 1;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &sgd, 1, &psgd, 0, NULL)); /* Nesterov with dampening */
    sgd.nesterov = 0;
    sgd.dampening = 0;
    expect_unchanged("SGD with bad dampening");
    psgd.v = v;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &sgd, 1, &psgd, 0, NULL)); /* v given to SGD */
    expect_unchanged("SGD state errors");
}

/* clnn_optim_step's parameters: NULL, other context, dtype, size, missing state, aliasing */
static void optim_param_errors(void)
{
    const char *fn = "clnn_optim_step";
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    clnn_reg l1 = {CLNN_REG_L1, 0.1f, 0, NULL};
    struct {
        const char *what;
        clnn_status st;
        clnn_param p;
    } badp[] = {
        {"w NULL", INVAL, {NULL, g, m, v, NULL, 0}},
        {"g NULL", INVAL, {w, NULL, m, v, NULL, 0}},
        {"m NULL", INVAL, {w, g, NULL, v, NULL, 0}},
        {"v NULL", INVAL, {w, g, m, NULL, NULL, 0}},
        {"w other ctx", INVAL, {w_other, g, m, v, NULL, 0}},
        {"g int32", SHAPE, {w, labels, m, v, NULL, 0}},
        {"g size", SHAPE, {w, small, m, v, NULL, 0}},
        {"m size", SHAPE, {w, g, small, v, NULL, 0}},
        {"mask size", SHAPE, {w, g, m, v, small, 0}},
        {"mask int32", SHAPE, {w, g, m, v, labels, 0}},
        {"w == g", INVAL, {w, w, m, v, NULL, 0}},
        {"m == v", INVAL, {w, g, m, m, NULL, 0}},
        {"v == mask", INVAL, {w, g, m, v, v, 0}},
    };
    for (size_t i = 0; i < sizeof badp / sizeof badp[0]; i++) {
        EXPECT_FAIL(ctx, badp[i].st, fn, clnn_optim_step(ctx, &good, 1, &badp[i].p, 1, &l1));
        expect_unchanged(badp[i].what);
    }
    /* a bad second parameter: the first one must not have been stepped */
    clnn_param two[2] = {{w, g, m, v, NULL, 0}, {w, g, m, v, small, 0}};
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_optim_step(ctx, &good, 2, two, 0, NULL));
    two[1].mask = NULL;
    EXPECT_FAIL(ctx, INVAL, fn, clnn_optim_step(ctx, &good, 2, two, 0, NULL)); /* same w twice */
    expect_unchanged("bad second parameter");
}

/* clnn_optim_step's regularizers */
static void optim_reg_errors(void)
{
    const char *fn = "clnn_optim_step";
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    clnn_param p = {w, g, m, v, NULL, 0};
    struct {
        const char *what;
        clnn_status st;
        clnn_reg r[2];
        size_t n;
    } badr[] = {
        {"kind", INVAL, {{(clnn_reg_kind)0, 0.1f, 0, NULL}}, 1},
        {"kind high", INVAL, {{(clnn_reg_kind)99, 0.1f, 0, NULL}}, 1},
        {"negative strength", INVAL, {{CLNN_REG_L2, -0.1f, 0, NULL}}, 1},
        {"NaN strength", INVAL, {{CLNN_REG_DECAY, NAN, 0, NULL}}, 1},
        {"inf strength2", INVAL, {{CLNN_REG_ELASTIC_NET, 0.1f, INFINITY, NULL}}, 1},
        {"repeated kind", INVAL, {{CLNN_REG_L1, 0.1f, 0, NULL}, {CLNN_REG_L1, 0.2f, 0, NULL}}, 2},
        {"L1 and elastic", INVAL, {{CLNN_REG_L1, 0.1f, 0, NULL}, {CLNN_REG_ELASTIC_NET, 0.2f, 0.1f, NULL}}, 2},
        {"perp without scalar", INVAL, {{CLNN_REG_PERPGRAD, 1.0f, 0, NULL}}, 1},
        {"clip scalar int32", SHAPE, {{CLNN_REG_CLIP, 1.0f, 0, labels}}, 1},
        {"clip scalar other ctx", INVAL, {{CLNN_REG_CLIP, 1.0f, 0, w_other}}, 1},
    };
    for (size_t i = 0; i < sizeof badr / sizeof badr[0]; i++) {
        EXPECT_FAIL(ctx, badr[i].st, fn, clnn_optim_step(ctx, &good, 1, &p, badr[i].n, badr[i].r));
        expect_unchanged(badr[i].what);
    }
    clnn_reg perp = {CLNN_REG_PERPGRAD, 1.0f, 0, scalar}; /* 1 coefficient for 2 parameters */
    clnn_param pq[2] = {{w, g, m, v, NULL, 0}, {mask, g, small, small, NULL, 0}};
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_optim_step(ctx, &good, 2, pq, 1, &perp));
    expect_unchanged("perp coefficients");
}

static void prox_errors(void)
{
    const char *fn = "clnn_reg_prox";
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    clnn_reg l1 = {CLNN_REG_L1, 0.1f, 0, NULL}, clip = {CLNN_REG_CLIP, 0.5f, 0, NULL};
    clnn_reg neg = {CLNN_REG_L1, -1.0f, 0, NULL}, en = {CLNN_REG_ELASTIC_NET, 0.1f, NAN, NULL};
    EXPECT_FAIL(NULL, INVAL, fn, clnn_reg_prox(NULL, NULL, &l1, 0.1f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, NULL, 0.1f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &l1, 0.1f, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &clip, 0.1f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &neg, 0.1f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &en, 0.1f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &l1, NAN, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &l1, -1.0f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, NULL, &l1, 0.1f, w_other));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_prox(ctx, small, &l1, 0.1f, w));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_prox(ctx, labels, &l1, 0.1f, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_prox(ctx, w, &l1, 0.1f, w));
    expect_unchanged("clnn_reg_prox errors");
}

/* The gradient operations (clip factor, perpendicular coefficients) with
 * terms_errors' outputs: value [1], two [2]. */
static void grad_op_errors(clnn_tensor *value, clnn_tensor *two)
{
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    const clnn_tensor *gl[2] = {g, NULL}, *wl[2] = {w, w_other}, *gs[1] = {small};
    const char *fn = "clnn_grad_clip_factor";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_grad_clip_factor(NULL, 1, gl, 1.0f, two));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_clip_factor(ctx, 1, gl, 0.0f, two));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_clip_factor(ctx, 1, gl, NAN, two));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_clip_factor(ctx, 0, gl, 1.0f, two));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_clip_factor(ctx, 1, NULL, 1.0f, two));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_clip_factor(ctx, 2, gl, 1.0f, two));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_clip_factor(ctx, 1, gl, 1.0f, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_clip_factor(ctx, 1, gl, 1.0f, NULL));
    fn = "clnn_grad_perp_coef";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_grad_perp_coef(NULL, 1, wl, gl, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_perp_coef(ctx, 2, wl, gl, two));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_perp_coef(ctx, 1, wl, gs, value));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_grad_perp_coef(ctx, 1, wl, gl, labels));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_perp_coef(ctx, 1, wl, gl, NULL));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_grad_perp_coef(ctx, 0, wl, gl, value));
}

/* Values, gradients, group terms and gradient operations. Where a call has
 * an output (value, grad, factor, coef) it is checked unchanged as well. */
static void terms_errors(void)
{
    const clnn_status INVAL = CLNN_ERR_INVALID_ARGUMENT, SHAPE = CLNN_ERR_SHAPE;
    clnn_reg l1 = {CLNN_REG_L1, 0.1f, 0, NULL}, decay = {CLNN_REG_DECAY, 0.1f, 0, NULL};
    clnn_reg neg = {CLNN_REG_L2, -1.0f, 0, NULL}, en = {CLNN_REG_ELASTIC_NET, 0.1f, -2.0f, NULL};
    float before = 42.0f, after = 0;
    clnn_tensor *value = make(ctx, CLNN_FLOAT32, 1), *two = make(ctx, CLNN_FLOAT32, 2);
    CHECK_OK(ctx, clnn_tensor_upload(value, &before, sizeof before));

    const char *fn = "clnn_reg_value";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_reg_value(NULL, w, NULL, &l1, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, w, NULL, NULL, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, w, NULL, &decay, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, w, NULL, &neg, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, w, NULL, &en, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, NULL, NULL, &l1, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, w_other, NULL, &l1, value));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_value(ctx, labels, NULL, &l1, value));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_value(ctx, w, small, &l1, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_value(ctx, w, NULL, &l1, NULL));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_value(ctx, w, NULL, &l1, labels));

    fn = "clnn_reg_grad";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_reg_grad(NULL, w, NULL, &l1, m));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_grad(ctx, w, NULL, &decay, m));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_grad(ctx, w, NULL, &l1, small));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_grad(ctx, w, small, &l1, m));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_grad(ctx, w, NULL, &l1, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_grad(ctx, w, NULL, &l1, NULL));

    fn = "clnn_reg_group_lasso_value";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_reg_group_lasso_value(NULL, w, 0.1f, CLNN_GROUP_ROWS, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_value(ctx, w, NAN, CLNN_GROUP_ROWS, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_value(ctx, w, -1, CLNN_GROUP_ROWS, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_value(ctx, w, 0.1f, (clnn_group_dim)5, value));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_group_lasso_value(ctx, labels, 0.1f, CLNN_GROUP_ROWS, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_value(ctx, w, 0.1f, CLNN_GROUP_ROWS, NULL));
    fn = "clnn_reg_group_lasso_grad";
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_group_lasso_grad(ctx, w, 0.1f, CLNN_GROUP_COLUMNS, small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_grad(ctx, w, 0.1f, CLNN_GROUP_COLUMNS, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_grad(ctx, w, INFINITY, CLNN_GROUP_COLUMNS, m));
    fn = "clnn_reg_group_lasso_prox";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_prox(ctx, 0.1f, -1.0f, CLNN_GROUP_ROWS, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_prox(ctx, 0.1f, 0.1f, (clnn_group_dim)-1, w));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_group_lasso_prox(ctx, 0.1f, 0.1f, CLNN_GROUP_ROWS, NULL));
    fn = "clnn_reg_norm_loss_value";
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_norm_loss_value(ctx, w, NAN, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_norm_loss_value(ctx, w_other, 0.1f, value));
    fn = "clnn_reg_norm_loss_grad";
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_norm_loss_grad(ctx, w, 0.1f, small));
    fn = "clnn_reg_ortho_value";
    EXPECT_FAIL(NULL, INVAL, fn, clnn_reg_ortho_value(NULL, w, 0.1f, value));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_ortho_value(ctx, w, -0.1f, value));
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_ortho_value(ctx, w, 0.1f, labels));
    fn = "clnn_reg_ortho_grad";
    EXPECT_FAIL(ctx, SHAPE, fn, clnn_reg_ortho_grad(ctx, w, 0.1f, small));
    EXPECT_FAIL(ctx, INVAL, fn, clnn_reg_ortho_grad(ctx, w, 0.1f, w));

    grad_op_errors(value, two);

    CHECK_OK(ctx, clnn_tensor_download(value, &after, sizeof after));
    CHECK(after == before, "value changed by a rejected call: %g", (double)after);
    expect_unchanged("value / gradient errors");
    clnn_tensor_release(value), clnn_tensor_release(two);
}

int main(void)
{
    setup();
    optim_options_errors();
    optim_param_errors();
    optim_reg_errors();
    prox_errors();
    terms_errors();
    clnn_tensor *all[] = {w, g, m, v, mask, small, labels, scalar};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    clnn_tensor_release(w_other);
    clnn_context_release(other);
    clnn_context_release(ctx);
    return check_summary();
}
