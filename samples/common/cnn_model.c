/* The CNN of samples/fashion_cnn.c (see cnn_model.h). */
#include "cnn_model.h"

#include "model_util.h"

#include <string.h>

enum { P_W1, P_G1, P_BE1, P_W2, P_G2, P_BE2, P_W3, P_B3, N_PARAMS };

static const clnn_conv2d_options conv3x3 = {sizeof(clnn_conv2d_options), {1, 1}, {1, 1}, {1, 1}, 1};
static const clnn_pool2d_options pool2 = {sizeof(clnn_pool2d_options), {2, 2}, {2, 2}, {0, 0}, 0};

static clnn_tensor **param_slot(cnn *m, int p)
{
    clnn_tensor **slots[N_PARAMS] = {&m->w1, &m->g1, &m->be1, &m->w2, &m->g2, &m->be2, &m->w3, &m->b3};
    return slots[p];
}

void cnn_create(clnn_context *ctx, cnn *m, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->w1 = new_tensor(ctx, CLNN_FLOAT32, 4, CNN_C1, 1, 3, 3);
    m->w2 = new_tensor(ctx, CLNN_FLOAT32, 4, CNN_C2, CNN_C1, 3, 3);
    m->w3 = new_tensor(ctx, CLNN_FLOAT32, 2, CNN_CLASSES, CNN_FLAT, 0, 0);
    m->b3 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_CLASSES, 0, 0, 0);
    m->g1 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C1, 0, 0, 0);
    m->be1 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C1, 0, 0, 0);
    m->g2 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C2, 0, 0, 0);
    m->be2 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C2, 0, 0, 0);
    m->rm1 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C1, 0, 0, 0);
    m->rv1 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C1, 0, 0, 0);
    m->rm2 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C2, 0, 0, 0);
    m->rv2 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C2, 0, 0, 0);
    init_kaiming_uniform(ctx, m->w1, 9, seed, 0);
    init_kaiming_uniform(ctx, m->w2, 9 * CNN_C1, seed, 1);
    init_kaiming_uniform(ctx, m->w3, CNN_FLAT, seed, 2);
    CK(ctx, clnn_tensor_fill(m->b3, 0.0f));
    CK(ctx, clnn_tensor_fill(m->g1, 1.0f));
    CK(ctx, clnn_tensor_fill(m->g2, 1.0f));
    CK(ctx, clnn_tensor_fill(m->be1, 0.0f));
    CK(ctx, clnn_tensor_fill(m->be2, 0.0f));
    CK(ctx, clnn_tensor_fill(m->rm1, 0.0f));
    CK(ctx, clnn_tensor_fill(m->rm2, 0.0f));
    CK(ctx, clnn_tensor_fill(m->rv1, 1.0f));
    CK(ctx, clnn_tensor_fill(m->rv2, 1.0f));
    for (int p = 0; p < N_PARAMS; p++) {
        clnn_tensor *w = *param_slot(m, p);
        int nd;
        size_t s[4];
        clnn_tensor_shape(w, &nd, s);
        m->grad[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        m->m[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        m->v[p] = new_tensor(ctx, CLNN_FLOAT32, nd, s[0], s[1], s[2], s[3]);
        CK(ctx, clnn_tensor_fill(m->m[p], 0.0f));
        CK(ctx, clnn_tensor_fill(m->v[p], 0.0f));
    }
}

void cnn_release(cnn *m)
{
    for (int p = 0; p < N_PARAMS; p++) {
        clnn_tensor_release(*param_slot(m, p));
        clnn_tensor_release(m->grad[p]);
        clnn_tensor_release(m->m[p]);
        clnn_tensor_release(m->v[p]);
    }
    clnn_tensor_release(m->rm1);
    clnn_tensor_release(m->rv1);
    clnn_tensor_release(m->rm2);
    clnn_tensor_release(m->rv2);
}

#define BUFFER_LIST(b)                                                                                        \
    {&b->x, &b->labels, &b->c1, &b->r1, &b->p1, &b->i1, &b->c2, &b->r2, &b->p2, &b->i2, &b->mean1, &b->istd1,    \
     &b->mean2, &b->istd2, &b->logits, &b->loss, &b->dlogits, &b->dp2, &b->dr2, &b->dc2, &b->dp1, &b->dr1, &b->dc1}

void cnn_batch_create(clnn_context *ctx, cnn_batch *b, size_t n)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->x = new_tensor(ctx, CLNN_FLOAT32, 4, n, 1, CNN_SIDE, CNN_SIDE);
    b->labels = new_tensor(ctx, CLNN_INT32, 1, n, 0, 0, 0);
    b->c1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C1, 28, 28);
    b->r1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C1, 28, 28);
    b->p1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C1, 14, 14);
    b->i1 = new_tensor(ctx, CLNN_INT32, 4, n, CNN_C1, 14, 14);
    b->c2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C2, 14, 14);
    b->r2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C2, 14, 14);
    b->p2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C2, 7, 7);
    b->i2 = new_tensor(ctx, CLNN_INT32, 4, n, CNN_C2, 7, 7);
    b->mean1 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C1, 0, 0, 0);
    b->istd1 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C1, 0, 0, 0);
    b->mean2 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C2, 0, 0, 0);
    b->istd2 = new_tensor(ctx, CLNN_FLOAT32, 1, CNN_C2, 0, 0, 0);
    b->logits = new_tensor(ctx, CLNN_FLOAT32, 2, n, CNN_CLASSES, 0, 0);
    b->loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1, 0, 0, 0);
    b->dlogits = new_tensor(ctx, CLNN_FLOAT32, 2, n, CNN_CLASSES, 0, 0);
    b->dp2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C2, 7, 7);
    b->dr2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C2, 14, 14);
    b->dc2 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C2, 14, 14);
    b->dp1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C1, 14, 14);
    b->dr1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C1, 28, 28);
    b->dc1 = new_tensor(ctx, CLNN_FLOAT32, 4, n, CNN_C1, 28, 28);
}

void cnn_batch_release(cnn_batch *b)
{
    clnn_tensor **all[] = BUFFER_LIST(b);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(*all[i]);
}

/* Views p2 [n, CNN_C2, 7, 7] as the dense layer's [n, CNN_FLAT] input (and back). */
static void flatten(clnn_context *ctx, clnn_tensor *t, size_t n, int flat)
{
    size_t s4[4] = {n, CNN_C2, 7, 7}, s2[2] = {n, CNN_FLAT};
    CK(ctx, clnn_tensor_reshape(t, flat ? 2 : 4, flat ? s2 : s4));
}

void cnn_forward(clnn_context *ctx, cnn *m, cnn_batch *b, int training)
{
    const float momentum = 0.1f, eps = 1e-5f;
    CK(ctx, clnn_conv2d_forward(ctx, b->x, m->w1, NULL, &conv3x3, b->c1));
    /* batch norm and ReLU fused: one kernel, no pre-activation tensor */
    CK(ctx, clnn_batchnorm_relu_forward(ctx, b->c1, m->g1, m->be1, m->rm1, m->rv1, training, momentum, eps, b->r1,
                                        b->mean1, b->istd1));
    CK(ctx, clnn_maxpool2d_forward(ctx, b->r1, &pool2, b->p1, b->i1));
    CK(ctx, clnn_conv2d_forward(ctx, b->p1, m->w2, NULL, &conv3x3, b->c2));
    CK(ctx, clnn_batchnorm_relu_forward(ctx, b->c2, m->g2, m->be2, m->rm2, m->rv2, training, momentum, eps, b->r2,
                                        b->mean2, b->istd2));
    CK(ctx, clnn_maxpool2d_forward(ctx, b->r2, &pool2, b->p2, b->i2));
    flatten(ctx, b->p2, b->n, 1);
    CK(ctx, clnn_dense_forward(ctx, b->p2, m->w3, m->b3, CLNN_ACT_NONE, 0.0f, NULL, b->logits));
    flatten(ctx, b->p2, b->n, 0);
}

/* The backward pass in the forward pass's mode (training: batch statistics),
 * every parameter gradient, and with dx the gradient at the input. */
static void backward(clnn_context *ctx, cnn *m, cnn_batch *b, int training, clnn_tensor *dx)
{
    flatten(ctx, b->p2, b->n, 1);
    flatten(ctx, b->dp2, b->n, 1);
    CK(ctx, clnn_dense_backward(ctx, b->p2, m->w3, NULL, b->dlogits, CLNN_ACT_NONE, 0.0f, 0, b->dp2, m->grad[P_W3],
                                m->grad[P_B3]));
    flatten(ctx, b->p2, b->n, 0);
    flatten(ctx, b->dp2, b->n, 0);
    CK(ctx, clnn_maxpool2d_backward(ctx, b->dp2, b->i2, &pool2, b->dr2));
    CK(ctx, clnn_batchnorm_relu_backward(ctx, b->c2, b->r2, b->dr2, m->g2, b->mean2, b->istd2, training, b->dc2,
                                         m->grad[P_G2], m->grad[P_BE2]));
    CK(ctx, clnn_conv2d_backward_weights(ctx, b->p1, b->dc2, &conv3x3, m->grad[P_W2]));
    CK(ctx, clnn_conv2d_backward_data(ctx, b->dc2, m->w2, &conv3x3, b->dp1));
    CK(ctx, clnn_maxpool2d_backward(ctx, b->dp1, b->i1, &pool2, b->dr1));
    CK(ctx, clnn_batchnorm_relu_backward(ctx, b->c1, b->r1, b->dr1, m->g1, b->mean1, b->istd1, training, b->dc1,
                                         m->grad[P_G1], m->grad[P_BE1]));
    CK(ctx, clnn_conv2d_backward_weights(ctx, b->x, b->dc1, &conv3x3, m->grad[P_W1]));
    if (dx) CK(ctx, clnn_conv2d_backward_data(ctx, b->dc1, m->w1, &conv3x3, dx));
}

void cnn_backward(clnn_context *ctx, cnn *m, cnn_batch *b) { backward(ctx, m, b, 1, NULL); }

void cnn_input_grad(clnn_context *ctx, cnn *m, cnn_batch *b, int training, clnn_tensor *dx)
{
    backward(ctx, m, b, training, dx);
}

void cnn_adamw_step(clnn_context *ctx, cnn *m, float lr, float weight_decay, float sparsity, unsigned long step)
{
    clnn_optim_options opt = {sizeof(clnn_optim_options), .kind = CLNN_OPTIM_ADAMW, .lr = lr, .beta1 = 0.9f,
                              .beta2 = 0.999f, .eps = 1e-8f,
                      .weight_decay = weight_decay, .step = step};
    clnn_param params[N_PARAMS];
    for (int p = 0; p < N_PARAMS; p++)
        params[p] = (clnn_param){*param_slot(m, p), m->grad[p], m->m[p], m->v[p], NULL, p != P_W3};
    CK(ctx, clnn_optim_step(ctx, &opt, N_PARAMS, params, 0, NULL));
    if (sparsity > 0) {
        CK(ctx, clnn_reg_group_lasso_prox(ctx, sparsity, lr, CLNN_GROUP_ROWS, m->w1));
        CK(ctx, clnn_reg_group_lasso_prox(ctx, sparsity, lr, CLNN_GROUP_ROWS, m->w2));
    }
}

void cnn_train_step(clnn_context *ctx, cnn *m, cnn_batch *b, const clnn_cross_entropy_options *ce, size_t cutout,
                    uint64_t cutout_seed, float lr, float weight_decay, float sparsity, unsigned long step)
{
    if (cutout > 0) CK(ctx, clnn_cutout_forward(ctx, b->x, cutout, cutout_seed, b->x));
    cnn_forward(ctx, m, b, 1);
    CK(ctx, clnn_cross_entropy_labels(ctx, b->logits, b->labels, ce, b->loss, b->dlogits));
    cnn_backward(ctx, m, b);
    cnn_adamw_step(ctx, m, lr, weight_decay, sparsity, step);
}
