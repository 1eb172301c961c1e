/* Gradient combination (cl/gradcomb.cl, include/clnn/gradcomb.h): the
 * shared launchers (Gram matrix of gradient lists, per-step solve, weighted
 * combination) and the three combinations built on them: weighted sums,
 * PCGrad and gradient surgery with an EMA. */
#include "gradcomb/gradcomb_internal.h"
#include "tune_family.h"

#include <stdio.h>

/* Vectors per Gram block and inputs per combine pass: the kernels' buffer arguments. */
#define BLOCK 8

/* Parts of a vector's Gram sums: on a CPU device clnn__reduce_parts'
 * contiguous chunks; on a GPU strided parts (STRIDED=1), enough work-items
 * to fill the device (64 per filling group), at least 16 elements each and
 * at most 16384, so that stage 2 (one work-item per entry summing the parts
 * in order) stays short. A function of len and the device only. */
#define GRAM_GPU_PARTS_MAX 16384
static cl_uint gram_parts(const clnn_context *ctx, size_t len)
{
    if (!clnn__gpu_shaped(ctx)) return clnn__reduce_parts(len);
    size_t parts = clnn__fill_groups(ctx) * 64, most = (len + 15) / 16;
    if (parts > GRAM_GPU_PARTS_MAX) parts = GRAM_GPU_PARTS_MAX;
    if (parts > most) parts = most;
    return (cl_uint)(parts < 1 ? 1 : parts);
}

#define CLNN_TABLE "gradcomb/gradcomb_tunables.def"
#define CLNN_TABLE_SHARED
#include "tune_table.h"

/* ---------------------------------------------------------------- tuning */

/* Three gradient lists of one P0 x P1-element tensor; the Gram kernels
 * through PCGrad. */
static clnn_status exercise_gradcomb(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2])
{
    clnn__exercise b = CLNN_EXERCISE(ctx);
    size_t n = clnn__exercise_elements(problem);
    clnn_tensor *w = EX_RAND(&b, n), *mask = EX_UNIFORM(&b, 0.0f, 1.0f, n), *out = EX_RAND(&b, n);
    const clnn_tensor *g[3] = {EX_RAND(&b, n), EX_RAND(&b, n), EX_RAND(&b, n)};
    clnn_tensor *ol[1] = {out}, *wl[1] = {w}, *sl[1] = {EX_RAND(&b, n)}, *dl[1] = {EX_RAND(&b, n)};
    if (t == &clnn__tune_amp_apply) {
        clnn_amp_options amp = {sizeof(clnn_amp_options), 0.05f, 1.0f, 0};
        EX_STEP(&b, clnn_amp_ascent(ctx, 1, g, &amp, 0, wl, sl, dl));
    } else if (t == &clnn__tune_lobster) {
        EX_STEP(&b, clnn_lobster_step(ctx, g[0], 0.1f, 0.1f, 1.0f, 1e-3f, w, mask));
    } else if (t == &clnn__tune_gradcomb_combine) {
        EX_STEP(&b, clnn_grad_weighted_sum(ctx, 3, 1, g, NULL, NULL, ol));
    } else {
        EX_STEP(&b, clnn_pcgrad(ctx, 3, 1, g, 1, 0, ol));
    }
    return clnn__exercise_end(&b);
}

/* ------------------------------------------------------------ checks */

clnn_status clnn__gradcomb_check_lists(clnn_context *ctx, const char *fn, const char *name, size_t nlists,
                                       size_t nparams, const clnn_tensor *const *list, const clnn_tensor *const *like)
{
    CHECK_ARG(ctx, nparams >= 1, "%s: nparams must be at least 1", fn);
    CHECK_ARG(ctx, list != NULL, "%s: %s is NULL", fn, name);
    for (size_t k = 0; k < nlists; k++)
        for (size_t p = 0; p < nparams; p++) {
            const clnn_tensor *t = list[k * nparams + p];
            char item[96];
            snprintf(item, sizeof item, "%s[%zu]", name, k * nparams + p);
            TRY(clnn__check_f32(ctx, fn, item, t, like ? like[p]->count : 0));
            TRY(clnn__check_count32(ctx, fn, item, t));
        }
    return CLNN_OK;
}

clnn_status clnn__gradcomb_check_outputs(clnn_context *ctx, const char *fn, const char *out_name, size_t n,
                                         clnn_tensor *const *out, const char *in_name, size_t nin,
                                         const clnn_tensor *const *in)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            CHECK_ARG(ctx, !clnn__alias(out[i], out[j]), "%s: %s[%zu] and %s[%zu] are the same buffer", fn,
                      out_name, j, out_name, i);
        for (size_t j = 0; j < n * nin; j++)
            CHECK_ARG(ctx, !clnn__alias(out[i], in[j]), "%s: %s[%zu] shares its buffer with %s[%zu]", fn,
                      out_name, i, in_name, j);
    }
    return CLNN_OK;
}

/* -------------------------------------------------------- launchers */

/* One block pair (a: vectors a0.., b: vectors b0.., or the a block itself
 * when nb = 0) of tensor p: stage 1 into partial, stage 2 into gram. */
static clnn_status gram_block(clnn_context *ctx, const char *fn, const clnn__gram_job *job, size_t p, size_t a0,
                              size_t na, size_t b0, size_t nb, int ema, cl_mem partial, cl_mem gram)
{
    cl_mem bufs[2 * BLOCK], y;
    for (size_t i = 0; i < 2 * BLOCK; i++) {
        size_t v = i < BLOCK ? (i < na ? a0 + i : a0) : (i - BLOCK < nb ? b0 + i - BLOCK : a0);
        bufs[i] = job->v[v * job->nparams + p]->buffer; /* unused slots repeat a0: never touched */
    }
    y = ema ? job->y[p]->buffer : bufs[0];
    cl_uint len = (cl_uint)job->v[p]->count, parts = gram_parts(ctx, len);
    char variant[80];
    snprintf(variant, sizeof variant, "-DNA=%zu -DNB=%zu -DEMA=%d%s", na, nb, ema,
             clnn__gpu_shaped(ctx) ? " -DSTRIDED=1" : "");
    clnn__karg a1[2 * BLOCK + 6];
    for (size_t i = 0; i < 2 * BLOCK; i++) a1[i] = KARG_BUF(bufs[i]);
    a1[2 * BLOCK] = KARG_BUF(y);
    a1[2 * BLOCK + 1] = KARG_BUF(partial);
    a1[2 * BLOCK + 2] = KARG(len);
    a1[2 * BLOCK + 3] = KARG(parts);
    a1[2 * BLOCK + 4] = KARG(job->ema_p);
    a1[2 * BLOCK + 5] = KARG(job->ema_q);
    size_t problem[2] = {len, parts};
    TRY(clnn__run_variant(ctx, fn, &clnn__tune_gradcomb_gram_partial, variant, problem, sizeof a1 / sizeof a1[0], a1));
    cl_uint cna = (cl_uint)na, cnb = (cl_uint)(nb ? nb : na), kdim = (cl_uint)job->k;
    cl_uint ca = (cl_uint)a0, cb = (cl_uint)(nb ? b0 : a0);
    cl_uint out = job->per_tensor ? (cl_uint)(p * job->k * job->k) : 0, acc = !job->per_tensor && p > 0;
    clnn__karg a2[] = {KARG_BUF(partial), KARG_BUF(gram), KARG(parts), KARG(cna), KARG(cnb),
                       KARG(kdim),        KARG(ca),       KARG(cb),    KARG(out), KARG(acc)};
    size_t p2[2] = {(size_t)cna * cnb, 1};
    return clnn__run(ctx, fn, &clnn__tune_gradcomb_gram_final, p2, sizeof a2 / sizeof a2[0], a2);
}

clnn_status clnn__gram(clnn_context *ctx, const char *fn, const clnn__gram_job *job, cl_mem gram)
{
    size_t most = 1;
    for (size_t p = 0; p < job->nparams; p++) {
        size_t parts = gram_parts(ctx, job->v[p]->count);
        most = parts > most ? parts : most;
    }
    cl_mem partial;
    TRY(clnn__scratch(ctx, fn, most * BLOCK * BLOCK, &partial));
    clnn_status st = CLNN_OK;
    for (size_t p = 0; p < job->nparams && st == CLNN_OK; p++)
        for (size_t a0 = 0; a0 < job->k && st == CLNN_OK; a0 += BLOCK)
            for (size_t b0 = a0; b0 < job->k && st == CLNN_OK; b0 += BLOCK) {
                size_t na = job->k - a0 < BLOCK ? job->k - a0 : BLOCK, nb = job->k - b0 < BLOCK ? job->k - b0 : BLOCK;
                /* the EMA update rides on the first block, which every later block of the tensor follows */
                int ema = a0 == 0 && b0 == 0 ? job->ema : 0;
                st = gram_block(ctx, fn, job, p, a0, na, b0, b0 == a0 ? 0 : nb, ema, partial, gram);
            }
    clReleaseMemObject(partial);
    return st;
}

clnn_status clnn__gram_solve(clnn_context *ctx, const char *fn, int mode, cl_mem gram, cl_mem coef, cl_uint kdim,
                             uint64_t seed, uint32_t stream, cl_uint param, float lambda)
{
    cl_ulong sd = seed;
    cl_uint sm = stream, md = (cl_uint)mode;
    clnn__karg a[] = {KARG_BUF(gram), KARG_BUF(coef), KARG(md),     KARG(kdim),
                      KARG(sd),       KARG(sm),       KARG(param), KARG(lambda)};
    size_t problem[2] = {1, 1};
    return clnn__run(ctx, fn, &clnn__tune_gradcomb_gram_solve, problem, sizeof a / sizeof a[0], a);
}

clnn_status clnn__combine(clnn_context *ctx, const char *fn, size_t nx, size_t nparams,
                          const clnn_tensor *const *x, const float *scales, cl_mem coef, clnn_tensor *const *out)
{
    for (size_t p = 0; p < nparams; p++)
        for (size_t k0 = 0; k0 < nx; k0 += BLOCK) {
            size_t nk = nx - k0 < BLOCK ? nx - k0 : BLOCK;
            cl_mem ob = out[p]->buffer, xb[BLOCK];
            cl_float8 s;
            for (size_t k = 0; k < BLOCK; k++) {
                xb[k] = x[(k < nk ? k0 + k : k0) * nparams + p]->buffer;
                s.s[k] = k < nk && scales ? scales[k0 + k] : 1.0f;
            }
            cl_mem cb = coef ? coef : ob;
            cl_uint coff = (cl_uint)k0, n = (cl_uint)out[p]->count;
            char variant[48];
            snprintf(variant, sizeof variant, "-DNX=%zu -DACC=%d -DCOEF_BUF=%d", nk, k0 > 0, coef != NULL);
            clnn__karg a[] = {KARG_BUF(ob),    KARG_BUF(xb[0]), KARG_BUF(xb[1]), KARG_BUF(xb[2]), KARG_BUF(xb[3]),
                              KARG_BUF(xb[4]), KARG_BUF(xb[5]), KARG_BUF(xb[6]), KARG_BUF(xb[7]), KARG_BUF(cb),
                              KARG(coff),      KARG(n),         KARG(s)};
            size_t problem[2] = {n, 1};
            TRY(clnn__run_variant(ctx, fn, &clnn__tune_gradcomb_combine, variant, problem, sizeof a / sizeof a[0], a));
        }
    return CLNN_OK;
}

/* nlists (1..64) lists of nparams tensors in grads and the nparams outputs,
 * which match them and share no buffer with them or each other. */
static clnn_status check_combination(clnn_context *ctx, const char *fn, const char *count_name, size_t nlists,
                                     size_t nparams, const clnn_tensor *const *grads, clnn_tensor *const *out)
{
    CHECK_ARG(ctx, nlists >= 1 && nlists <= CLNN_GRADCOMB_MAX_LISTS, "%s: %s = %zu is outside [1, %d]", fn,
              count_name, nlists, CLNN_GRADCOMB_MAX_LISTS);
    TRY(clnn__gradcomb_check_lists(ctx, fn, "out", 1, nparams, (const clnn_tensor *const *)out, NULL));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "grads", nlists, nparams, grads, (const clnn_tensor *const *)out));
    return clnn__gradcomb_check_outputs(ctx, fn, "out", nparams, out, "grads", nlists, grads);
}

/* ------------------------------------------------------- weighted sum */

clnn_status clnn_grad_weighted_sum(clnn_context *ctx, size_t nlists, size_t nparams, const clnn_tensor *const *grads,
                                   const float *scales, const clnn_tensor *weights, clnn_tensor *const *out)
{
    CLNN_ENTRY(ctx);
    TRY(check_combination(ctx, fn, "nlists", nlists, nparams, grads, out));
    for (size_t k = 0; scales && k < nlists; k++)
        CHECK_ARG(ctx, clnn__is_finite(scales[k]), "%s: scales[%zu] = %g is not finite", fn, k, (double)scales[k]);
    if (weights) {
        TRY(clnn__check_f32(ctx, fn, "weights", weights, 0));
        CHECK_SHAPE(ctx, weights->count >= nlists, "%s: weights has %zu values, fewer than nlists = %zu", fn,
                    weights->count, nlists);
        for (size_t p = 0; p < nparams; p++)
            CHECK_ARG(ctx, !clnn__alias(out[p], weights), "%s: out[%zu] is weights", fn, p);
    }
    return clnn__combine(ctx, fn, nlists, nparams, grads, scales, weights ? weights->buffer : NULL, out);
}

/* -------------------------------------------------------------- PCGrad */

clnn_status clnn_pcgrad(clnn_context *ctx, size_t ntasks, size_t nparams, const clnn_tensor *const *grads,
                        uint64_t seed, uint32_t stream, clnn_tensor *const *out)
{
    CLNN_ENTRY(ctx);
    TRY(check_combination(ctx, fn, "ntasks", ntasks, nparams, grads, out));
    cl_mem gram, coef;
    TRY(clnn__scratch(ctx, fn, ntasks * ntasks, &gram));
    clnn_status st = clnn__scratch(ctx, fn, ntasks, &coef);
    if (st == CLNN_OK) {
        clnn__gram_job job = {ntasks, nparams, grads, 0, NULL, 0.0f, 0.0f, 0};
        st = clnn__gram(ctx, fn, &job, gram);
        if (st == CLNN_OK)
            st = clnn__gram_solve(ctx, fn, GRAM_SOLVE_PCGRAD, gram, coef, (cl_uint)ntasks, seed, stream, 0, 0.0f);
        if (st == CLNN_OK) st = clnn__combine(ctx, fn, ntasks, nparams, grads, NULL, coef, out);
        clReleaseMemObject(coef);
    }
    clReleaseMemObject(gram);
    return st;
}

/* ------------------------------------------- gradient surgery with an EMA */

clnn_status clnn_grad_surgery_ema(clnn_context *ctx, size_t nparams, const clnn_tensor *const *g_main,
                                  const clnn_tensor *const *g_aux, clnn_surgery_ema which, float beta, float lambda,
                                  clnn_tensor *const *ema, clnn_tensor *const *out)
{
    CLNN_ENTRY(ctx);
    CHECK_ARG(ctx, which == CLNN_SURGERY_EMA_MAIN || which == CLNN_SURGERY_EMA_AUX,
              "%s: which = %d is not a clnn_surgery_ema", fn, (int)which);
    TRY(clnn__check_range(ctx, fn, "beta", beta, 0.0f, 1.0f));
    CHECK_ARG(ctx, clnn__is_finite(lambda), "%s: lambda = %g is not finite", fn, (double)lambda);
    const clnn_tensor *const *like = (const clnn_tensor *const *)out;
    TRY(clnn__gradcomb_check_lists(ctx, fn, "out", 1, nparams, like, NULL));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "g_main", 1, nparams, g_main, like));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "g_aux", 1, nparams, g_aux, like));
    TRY(clnn__gradcomb_check_lists(ctx, fn, "ema", 1, nparams, (const clnn_tensor *const *)ema, like));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "out", nparams, out, "g_main", 1, g_main));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "out", nparams, out, "g_aux", 1, g_aux));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "out", nparams, out, "ema", 1, (const clnn_tensor *const *)ema));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "ema", nparams, ema, "g_main", 1, g_main));
    TRY(clnn__gradcomb_check_outputs(ctx, fn, "ema", nparams, ema, "g_aux", 1, g_aux));

    /* vectors (v0 = ema, v1 = the gradient it is projected with), list-major */
    const clnn_tensor **v = malloc(2 * nparams * sizeof *v), **x = malloc(3 * nparams * sizeof *x);
    if (!v || !x) {
        free((void *)v), free((void *)x);
        return clnn__fail(ctx, CLNN_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    int main_ema = which == CLNN_SURGERY_EMA_MAIN;
    for (size_t p = 0; p < nparams; p++) {
        v[p] = ema[p];
        v[nparams + p] = main_ema ? g_aux[p] : g_main[p];
        /* the combination's inputs: (g_main, g_aux, ema) or (g_main, ema) */
        x[p] = g_main[p];
        x[nparams + p] = main_ema ? g_aux[p] : ema[p];
        x[2 * nparams + p] = ema[p];
    }
    cl_mem gram = NULL, coef = NULL;
    clnn_status st = clnn__scratch(ctx, fn, 4, &gram);
    if (st == CLNN_OK) st = clnn__scratch(ctx, fn, 3, &coef);
    if (st == CLNN_OK) {
        clnn__gram_job job = {2, nparams, v, 1, main_ema ? g_main : g_aux, beta, 1.0f - beta, 0};
        st = clnn__gram(ctx, fn, &job, gram);
    }
    if (st == CLNN_OK) st = clnn__gram_solve(ctx, fn, GRAM_SOLVE_SURGERY, gram, coef, 2, 0, 0, !main_ema, lambda);
    if (st == CLNN_OK) st = clnn__combine(ctx, fn, main_ema ? 3 : 2, nparams, x, NULL, coef, out);
    if (gram) clReleaseMemObject(gram);
    if (coef) clReleaseMemObject(coef);
    free((void *)v), free((void *)x);
    return st;
}
