/* Knowledge distillation with a temperature (include/clnn/outputs.h
 * clnn_kd_loss), composed of the divergence and cross-entropy kernels:
 * checks first, so that a rejected call writes nothing; then the inputs
 * scaled by 1/T in workspaces, the divergence, and the T² and T scalings. */
#include "common/loss_value.h"

#include <math.h>

/* A new fp32 tensor of like's shape (unwritten). */
static clnn_status new_like(const clnn_tensor *like, clnn_tensor **out)
{
    int ndim;
    size_t shape[CLNN_MAX_DIMS];
    TRY(clnn_tensor_shape(like, &ndim, shape));
    return clnn_tensor_create(like->ctx, CLNN_FLOAT32, ndim, shape, out);
}

/* A new fp32 tensor of like's shape holding like·alpha. */
static clnn_status scaled_copy(const clnn_tensor *like, float alpha, clnn_tensor **out)
{
    TRY(new_like(like, out));
    clnn_status st = clnn_tensor_copy(*out, like);
    if (st == CLNN_OK && alpha != 1.0f) st = clnn_scale(*out, alpha);
    if (st != CLNN_OK) clnn_tensor_release(*out), *out = NULL;
    return st;
}

/* The divergence of one call on the student's scaled logits zs: loss = KL
 * (per row or reduced), dstudent = d KL / d zs. */
static clnn_status kd_divergence(clnn_context *ctx, const clnn_tensor *zs, const clnn_tensor *teacher,
                                 clnn_kd_target target, float inv_t, clnn_reduction reduction, clnn_tensor *loss,
                                 clnn_tensor *dstudent)
{
    clnn_tensor *p = NULL, *neg_entropy = NULL;
    clnn_status st = CLNN_OK;
    if (target == CLNN_KD_LOGITS) {
        st = scaled_copy(teacher, inv_t, &p);
        if (st == CLNN_OK) st = clnn_kl_div_logits(ctx, p, zs, CLNN_KL_PQ, reduction, loss, NULL, dstudent);
        clnn_tensor_release(p);
        return st;
    }
    if (target == CLNN_KD_LOG_PROBS) {
        st = new_like(teacher, &p);
        if (st == CLNN_OK) st = clnn_softmax_forward(ctx, teacher, p);
    }
    const clnn_tensor *probs = p ? p : teacher;
    /* −Σ p log q with the KL's gradient q·Σp − p, plus Σ p log p */
    clnn_cross_entropy_options o;
    clnn_cross_entropy_options_init(&o);
    o.reduction = reduction;
    if (st == CLNN_OK) st = clnn_cross_entropy_soft(ctx, zs, probs, &o, loss, dstudent);
    if (st == CLNN_OK && loss) st = new_like(loss, &neg_entropy);
    if (st == CLNN_OK && loss) st = clnn_prob_entropy_penalty(ctx, probs, 1.0f, reduction, neg_entropy, NULL);
    if (st == CLNN_OK && loss) st = clnn_axpy(1.0f, neg_entropy, loss);
    clnn_tensor_release(p), clnn_tensor_release(neg_entropy);
    return st;
}

clnn_status clnn_kd_loss(clnn_context *ctx, const clnn_tensor *student, const clnn_tensor *teacher,
                         clnn_kd_target target, float temperature, clnn_reduction reduction, clnn_tensor *loss,
                         clnn_tensor *dstudent)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, target == CLNN_KD_LOGITS || target == CLNN_KD_PROBS || target == CLNN_KD_LOG_PROBS,
              "%s: target %d is not a clnn_kd_target", fn, (int)target);
    CHECK_ARG(ctx, clnn__is_finite(temperature) && temperature > 0.0f, "%s: temperature %g is not finite and > 0", fn,
              (double)temperature);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "student", student, &rows, &cols));
    TRY(clnn__check_like(ctx, fn, "teacher", teacher, "student", student));
    const clnn__loss_red red = {reduction, rows, "row"};
    const clnn_tensor *in[2] = {student, teacher};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dstudent, "dstudent", student, "student"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 2, in, 2, out));

    const float inv_t = 1.0f / temperature;
    clnn_tensor *zs = NULL;
    clnn_status st = scaled_copy(student, inv_t, &zs);
    if (st == CLNN_OK) st = kd_divergence(ctx, zs, teacher, target, inv_t, reduction, loss, dstudent);
    clnn_tensor_release(zs);
    /* d/dz = (1/T) d/d(z/T), times T² */
    if (st == CLNN_OK && loss && temperature != 1.0f) st = clnn_scale(loss, temperature * temperature);
    if (st == CLNN_OK && dstudent && temperature != 1.0f) st = clnn_scale(dstudent, temperature);
    return st;
}
