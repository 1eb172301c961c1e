/* Host side of the targets made from the model's outputs
 * (cl/robust_targets.cl, include/clnn/robust.h): pseudo-labels, DINO's loss
 * and centre update. */
#include "robust/robust_internal.h"

clnn_status clnn_pseudo_labels(clnn_context *ctx, const clnn_tensor *logits, float threshold, float temperature,
                               int32_t ignore_index, clnn_tensor *labels, clnn_tensor *confidence)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "logits", logits, &rows, &cols));
    CHECK_SHAPE(ctx, cols < (1u << 24), "%s: %zu classes; at most 2^24 - 1 (the argmax is kept in fp32)", fn, cols);
    CHECK_ARG(ctx, threshold >= 0.0f && threshold <= 1.0f, "%s: threshold %g is not in [0, 1]", fn,
              (double)threshold);
    CHECK_ARG(ctx, clnn__is_finite(temperature) && temperature > 0.0f, "%s: temperature %g is not finite and > 0",
              fn, (double)temperature);
    TRY(clnn__check_labels(ctx, fn, "labels", labels, rows, "logits"));
    if (confidence) TRY(clnn__check_f32(ctx, fn, "confidence", confidence, rows));
    const clnn_tensor *outs[] = {labels, confidence}, *ins[] = {logits};
    const char *out_names[] = {"labels", "confidence"}, *in_names[] = {"logits"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 1));
    cl_mem conf = confidence ? confidence->buffer : labels->buffer; /* unwritten without want_conf */
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    float inv_t = 1.0f / temperature;
    cl_int ignore = ignore_index, want_conf = confidence != NULL;
    clnn__karg args[] = {KARG_BUF(labels->buffer), KARG_BUF(conf), KARG_BUF(logits->buffer), KARG(ncols),
                         KARG(lanes), KARG(inv_t), KARG(threshold), KARG(ignore), KARG(want_conf),
                         KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {rows, cols};
    return clnn__run(ctx, fn, &clnn__tune_robust_pseudo, problem, 10, args);
}

static int positive(float x) { return clnn__is_finite(x) && x > 0.0f; }

clnn_status clnn_dino_loss(clnn_context *ctx, const clnn_tensor *student, const clnn_tensor *teacher,
                           const clnn_tensor *center, float tau_student, float tau_teacher, clnn_reduction reduction,
                           clnn_tensor *loss, clnn_tensor *dstudent)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "student", student, &rows, &cols));
    TRY(clnn__check_same_shape(ctx, fn, "teacher", teacher, "student", student));
    TRY(clnn__check_f32(ctx, fn, "center", center, cols));
    CHECK_ARG(ctx, positive(tau_student), "%s: tau_student %g is not finite and > 0", fn, (double)tau_student);
    CHECK_ARG(ctx, positive(tau_teacher), "%s: tau_teacher %g is not finite and > 0", fn, (double)tau_teacher);
    const clnn__loss_red red = {reduction, rows, "row"};
    const clnn_tensor *in[] = {student, teacher, center};
    const clnn__loss_output out[2] = {{loss, "loss", NULL, NULL}, {dstudent, "dstudent", student, "student"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 3, in, 2, out));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(student, dstudent, reduction, rows);
    cl_uint ncols = (cl_uint)cols, lanes = clnn__row_lanes(cols);
    float inv_ts = 1.0f / tau_student, inv_tt = 1.0f / tau_teacher;
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(student->buffer), KARG_BUF(teacher->buffer),
                         KARG_BUF(center->buffer), KARG(ncols), KARG(lanes), KARG(inv_ts), KARG(inv_tt),
                         KARG(g.scale), KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &clnn__tune_robust_dino, NULL, rows, cols, &partial, 12, args, reduction,
                              loss);
}

clnn_status clnn_dino_center_update(clnn_context *ctx, const clnn_tensor *teacher, float momentum,
                                    clnn_tensor *center)
{
    CLNN_ENTRY(ctx);
    size_t rows, cols;
    TRY(clnn__check_rows(ctx, fn, "teacher", teacher, &rows, &cols));
    TRY(clnn__check_f32(ctx, fn, "center", center, cols));
    CHECK_ARG(ctx, momentum >= 0.0f && momentum <= 1.0f, "%s: momentum %g is not in [0, 1]", fn, (double)momentum);
    CHECK_ARG(ctx, !clnn__alias(center, teacher), "%s: center must not alias teacher", fn);
    cl_uint nrows = (cl_uint)rows, ncols = (cl_uint)cols;
    clnn__karg args[] = {KARG_BUF(center->buffer), KARG_BUF(teacher->buffer), KARG(nrows), KARG(ncols),
                         KARG(momentum)};
    size_t problem[2] = {cols, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_dino_center, problem, 5, args);
}
