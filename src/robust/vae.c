/* Host side of the VAE's KL term and reparameterisation step
 * (cl/robust_vae.cl, include/clnn/robust.h). */
#include "robust/robust_internal.h"

/* mu (fp32, 32-bit indices) as N samples of d; logvar like it. */
static clnn_status check_latent(clnn_context *ctx, const char *fn, const clnn_tensor *mu, const clnn_tensor *logvar,
                                size_t *n, size_t *d)
{
    TRY(clnn__check_f32(ctx, fn, "mu", mu, 0));
    TRY(clnn__check_count32(ctx, fn, "mu", mu));
    TRY(clnn__check_same_shape(ctx, fn, "logvar", logvar, "mu", mu));
    *n = mu->shape[0];
    *d = mu->count / *n;
    return CLNN_OK;
}

clnn_status clnn_vae_kl(clnn_context *ctx, const clnn_tensor *mu, const clnn_tensor *logvar, clnn_reduction reduction,
                        clnn_tensor *loss, clnn_tensor *dmu, clnn_tensor *dlogvar)
{
    CLNN_ENTRY(ctx);
    size_t n, d;
    TRY(check_latent(ctx, fn, mu, logvar, &n, &d));
    CHECK_ARG(ctx, !dmu == !dlogvar, "%s: dmu and dlogvar go together (both or neither)", fn);
    const clnn__loss_red red = {reduction, n, "sample"};
    const clnn_tensor *in[] = {mu, logvar};
    const clnn__loss_output out[3] = {
        {loss, "loss", NULL, NULL}, {dmu, "dmu", mu, "mu"}, {dlogvar, "dlogvar", mu, "mu"}};
    TRY(clnn__check_loss_io(ctx, fn, &red, 2, in, 3, out));
    cl_mem partial = NULL;
    clnn__loss_grad g = clnn__loss_grad_of(mu, dmu, reduction, n);
    cl_mem dlv = dlogvar ? dlogvar->buffer : mu->buffer; /* unwritten without want_grad */
    cl_uint nd = (cl_uint)d, lanes = clnn__row_lanes(d);
    clnn__karg args[] = {KARG_BUF(partial), KARG_BUF(g.grad), KARG_BUF(dlv),   KARG_BUF(mu->buffer),
                         KARG_BUF(logvar->buffer), KARG(nd),  KARG(lanes),     KARG(g.scale),
                         KARG(g.want_grad), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    return clnn__run_row_loss(ctx, fn, &clnn__tune_robust_vae_kl, NULL, n, d, &partial, 10, args, reduction, loss);
}

clnn_status clnn_vae_reparameterize(clnn_context *ctx, const clnn_tensor *mu, const clnn_tensor *logvar,
                                    uint64_t seed, uint32_t stream, clnn_tensor *z, clnn_tensor *eps)
{
    CLNN_ENTRY(ctx);
    size_t n, d;
    TRY(check_latent(ctx, fn, mu, logvar, &n, &d));
    TRY(clnn__check_same_shape(ctx, fn, "z", z, "mu", mu));
    if (eps) TRY(clnn__check_same_shape(ctx, fn, "eps", eps, "mu", mu));
    const clnn_tensor *outs[] = {z, eps}, *ins[] = {mu, logvar};
    const char *out_names[] = {"z", "eps"}, *in_names[] = {"mu", "logvar"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));
    cl_mem eps_buf = eps ? eps->buffer : z->buffer; /* unwritten without want_eps */
    cl_uint count = (cl_uint)mu->count, cl_stream = stream;
    cl_ulong cl_seed = seed;
    cl_int want_eps = eps != NULL;
    clnn__karg args[] = {KARG_BUF(z->buffer), KARG_BUF(eps_buf), KARG_BUF(mu->buffer), KARG_BUF(logvar->buffer),
                         KARG(count),         KARG(cl_seed),     KARG(cl_stream),     KARG(want_eps)};
    size_t problem[2] = {(mu->count + 3) / 4, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_reparam, problem, 8, args);
}

clnn_status clnn_vae_reparameterize_backward(clnn_context *ctx, const clnn_tensor *logvar, uint64_t seed,
                                             uint32_t stream, const clnn_tensor *dz, int accumulate,
                                             clnn_tensor *dmu, clnn_tensor *dlogvar)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "logvar", logvar, 0));
    TRY(clnn__check_count32(ctx, fn, "logvar", logvar));
    TRY(clnn__check_same_shape(ctx, fn, "dz", dz, "logvar", logvar));
    CHECK_ARG(ctx, dmu || dlogvar, "%s: dmu and dlogvar are both NULL: nothing to compute", fn);
    CHECK_ARG(ctx, accumulate == 0 || accumulate == 1, "%s: accumulate is %d; it must be 0 or 1", fn, accumulate);
    if (dmu) TRY(clnn__check_same_shape(ctx, fn, "dmu", dmu, "logvar", logvar));
    if (dlogvar) TRY(clnn__check_same_shape(ctx, fn, "dlogvar", dlogvar, "logvar", logvar));
    const clnn_tensor *outs[] = {dmu, dlogvar}, *ins[] = {logvar, dz};
    const char *out_names[] = {"dmu", "dlogvar"}, *in_names[] = {"logvar", "dz"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 2));
    cl_mem dmu_buf = dmu ? dmu->buffer : dlogvar->buffer, dlv_buf = dlogvar ? dlogvar->buffer : dmu->buffer;
    cl_uint count = (cl_uint)logvar->count, cl_stream = stream;
    cl_ulong cl_seed = seed;
    cl_int want_dmu = dmu != NULL, want_dlv = dlogvar != NULL, acc = accumulate;
    clnn__karg args[] = {KARG_BUF(dmu_buf), KARG_BUF(dlv_buf), KARG_BUF(dz->buffer), KARG_BUF(logvar->buffer),
                         KARG(count),       KARG(cl_seed),     KARG(cl_stream),      KARG(want_dmu),
                         KARG(want_dlv),    KARG(acc)};
    size_t problem[2] = {(logvar->count + 3) / 4, 1};
    return clnn__run(ctx, fn, &clnn__tune_robust_reparam_back, problem, 10, args);
}
