/* The MLP of samples/fashion_mlp.c (see mlp_model.h). */
#include "mlp_model.h"

#include "model_util.h"

#include <string.h>

static const size_t widths[4] = {MLP_PIXELS, 512, 256, MLP_CLASSES};

void mlp_create(clnn_context *ctx, mlp *m, uint64_t seed)
{
    for (int l = 0; l < 3; l++) {
        size_t in = widths[l], out = widths[l + 1];
        m->w[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->b[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        m->dw[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->db[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        m->mw[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->vw[l] = new_tensor(ctx, CLNN_FLOAT32, 2, out, in, 0, 0);
        m->mb[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        m->vb[l] = new_tensor(ctx, CLNN_FLOAT32, 1, out, 0, 0, 0);
        init_kaiming_uniform(ctx, m->w[l], in, seed, (uint32_t)l);
        CK(ctx, clnn_tensor_fill(m->b[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->mw[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->vw[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->mb[l], 0.0f));
        CK(ctx, clnn_tensor_fill(m->vb[l], 0.0f));
    }
}

void mlp_release(mlp *m)
{
    for (int l = 0; l < 3; l++) {
        clnn_tensor *all[] = {m->w[l], m->b[l], m->dw[l], m->db[l], m->mw[l], m->vw[l], m->mb[l], m->vb[l]};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
    }
}

void mlp_batch_create(clnn_context *ctx, mlp_batch *b, size_t n)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->x = new_tensor(ctx, CLNN_FLOAT32, 2, n, MLP_PIXELS, 0, 0);
    b->labels = new_tensor(ctx, CLNN_INT32, 1, n, 0, 0, 0);
    for (int l = 0; l < 3; l++) {
        b->z[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
        b->h[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
        b->dh[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
    }
    for (int l = 0; l < 2; l++) {
        b->d[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
        b->dd[l] = new_tensor(ctx, CLNN_FLOAT32, 2, n, widths[l + 1], 0, 0);
    }
    b->loss = new_tensor(ctx, CLNN_FLOAT32, 1, 1, 0, 0, 0);
}

void mlp_batch_release(mlp_batch *b)
{
    clnn_tensor *all[] = {b->x, b->labels, b->z[0], b->z[1], b->z[2], b->h[0], b->h[1], b->h[2], b->dh[0], b->dh[1],
                          b->dh[2], b->d[0], b->d[1], b->dd[0], b->dd[1], b->loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) clnn_tensor_release(all[i]);
}

void mlp_forward(clnn_context *ctx, const mlp *m, mlp_batch *b, float p, uint64_t seed)
{
    const clnn_tensor *in = b->x;
    for (int l = 0; l < 3; l++) {
        clnn_activation act = l < 2 ? CLNN_ACT_RELU : CLNN_ACT_NONE;
        CK(ctx, clnn_dense_forward(ctx, in, m->w[l], m->b[l], act, 0.0f, l < 2 ? b->z[l] : NULL, b->h[l]));
        if (l < 2 && p > 0) {
            CK(ctx, clnn_dropout_forward(ctx, b->h[l], p, seed, (uint32_t)l, b->d[l], NULL));
            in = b->d[l];
        } else {
            in = b->h[l];
        }
    }
}

void mlp_backward(clnn_context *ctx, mlp *m, mlp_batch *b, float p, uint64_t seed)
{
    for (int l = 2; l >= 0; l--) {
        const clnn_tensor *in = l == 0 ? b->x : p > 0 ? b->d[l - 1] : b->h[l - 1];
        clnn_activation act = l < 2 ? CLNN_ACT_RELU : CLNN_ACT_NONE;
        clnn_tensor *dx = l == 0 ? NULL : p > 0 ? b->dd[l - 1] : b->dh[l - 1];
        CK(ctx, clnn_dense_backward(ctx, in, m->w[l], l < 2 ? b->z[l] : NULL, b->dh[l], act, 0.0f, 0, dx, m->dw[l],
                                    m->db[l]));
        if (l > 0 && p > 0) CK(ctx, clnn_dropout_backward(ctx, b->dd[l - 1], p, seed, (uint32_t)(l - 1), b->dh[l - 1]));
    }
}

void mlp_adamw_step(clnn_context *ctx, mlp *m, float lr, float weight_decay, unsigned long step)
{
    clnn_optim_options opt = {sizeof(clnn_optim_options), .kind = CLNN_OPTIM_ADAMW, .lr = lr, .beta1 = 0.9f,
                              .beta2 = 0.999f, .eps = 1e-8f,
                      .weight_decay = weight_decay, .step = step};
    clnn_param params[6];
    for (int l = 0; l < 3; l++) {
        params[2 * l] = (clnn_param){m->w[l], m->dw[l], m->mw[l], m->vw[l], NULL, 0};
        params[2 * l + 1] = (clnn_param){m->b[l], m->db[l], m->mb[l], m->vb[l], NULL, 1}; /* no decay on biases */
    }
    CK(ctx, clnn_optim_step(ctx, &opt, 6, params, 0, NULL));
}

/* Forward, cross-entropy (loss and dlogits), backward: the gradients. */
static void gradients(clnn_context *ctx, mlp *m, mlp_batch *b, const clnn_cross_entropy_options *ce, float dropout,
                      uint64_t mask_seed)
{
    mlp_forward(ctx, m, b, dropout, mask_seed);
    CK(ctx, clnn_cross_entropy_labels(ctx, b->h[2], b->labels, ce, b->loss, b->dh[2]));
    mlp_backward(ctx, m, b, dropout, mask_seed);
}

void mlp_train_step(clnn_context *ctx, mlp *m, mlp_batch *b, const clnn_cross_entropy_options *ce, float dropout,
                    uint64_t mask_seed, float lr, float weight_decay, unsigned long step)
{
    gradients(ctx, m, b, ce, dropout, mask_seed);
    mlp_adamw_step(ctx, m, lr, weight_decay, step);
}

void mlp_train_step_dp(clnn_context *ctx, mlp *m, mlp_batch *b, const clnn_cross_entropy_options *ce, float dropout,
                       uint64_t mask_seed, float lr, float weight_decay, unsigned long step, const dp_group *g,
                       size_t global)
{
    gradients(ctx, m, b, ce, dropout, mask_seed);
    clnn_tensor *grads[MLP_GRADS];
    mlp_grads(m, grads);
    dp_average(ctx, g, grads, MLP_GRADS, b->n, global);
    mlp_adamw_step(ctx, m, lr, weight_decay, step);
}

void mlp_grads(const mlp *m, clnn_tensor *out[MLP_GRADS])
{
    for (int l = 0; l < 3; l++) out[2 * l] = m->dw[l], out[2 * l + 1] = m->db[l];
}

void mlp_state(const mlp *m, clnn_tensor *out[MLP_STATE])
{
    for (int l = 0; l < 3; l++) {
        clnn_tensor *layer[6] = {m->w[l], m->b[l], m->mw[l], m->vw[l], m->mb[l], m->vb[l]};
        for (int k = 0; k < 6; k++) out[6 * l + k] = layer[k];
    }
}
