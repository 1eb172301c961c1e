/* GE2E softmax loss (Wan et al. 2018; include/clnn/contrastive.h):
 * centroids and squared norms, P = E Cᵀ through CLBlast, ge2e_rows per
 * utterance (cosines with the own centroid taken from P and the norms, so no
 * per-utterance centroid is stored), and for de two more GEMMs (A C and
 * Aᵀ E), the column sums of q and ge2e_finish (cl/contrastive.cl). */
#include "contrastive/contrastive_internal.h"

enum { B_C, B_CSQ, B_ESQ, B_P, B_PART, B_PDW, B_PDB, B_Q, B_COEF, B_AE, B_GSUM, N_BUF };

typedef struct ge2e_dims {
    size_t spk, utt, d, rows;
} ge2e_dims;

static clnn_status sqnorms(clnn_context *ctx, const char *fn, cl_mem out, cl_mem x, size_t rows, size_t d)
{
    cl_uint dd = (cl_uint)d, lanes = clnn__row_lanes(d);
    clnn__karg a[] = {KARG_BUF(out), KARG_BUF(x), KARG(dd), KARG(lanes), KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {rows, d};
    return clnn__run(ctx, fn, &clnn__ctr_sqnorms, problem, 5, a);
}

/* Centroids, norms, P and the per-utterance pass. */
static clnn_status ge2e_forward(clnn_context *ctx, const char *fn, const ge2e_dims *g, const clnn_tensor *e,
                                const clnn_tensor *w, const clnn_tensor *b, float scale, int want_grad, cl_mem *buf)
{
    cl_uint spk = (cl_uint)g->spk, utt = (cl_uint)g->utt, d = (cl_uint)g->d;
    {
        clnn__karg a[] = {KARG_BUF(buf[B_C]), KARG_BUF(e->buffer), KARG(spk), KARG(utt), KARG(d)};
        size_t problem[2] = {g->spk * g->d, 1};
        TRY(clnn__run(ctx, fn, &clnn__ctr_ge2e_centroids, problem, 5, a));
    }
    TRY(sqnorms(ctx, fn, buf[B_ESQ], e->buffer, g->rows, g->d));
    TRY(sqnorms(ctx, fn, buf[B_CSQ], buf[B_C], g->spk, g->d));
    clnn__gemm_operand em = {e->buffer, 0, g->d, 0}, cm = {buf[B_C], 0, g->d, 0}, pm = {buf[B_P], 0, g->spk, 0};
    TRY(clnn__sgemm(ctx, fn, 0, 1, g->rows, g->spk, g->d, 1.0f, em, cm, 0.0f, pm, 1));
    cl_int wg = want_grad;
    cl_uint lanes = clnn__row_lanes(g->spk);
    cl_mem q = want_grad ? buf[B_Q] : buf[B_PART], coef = want_grad ? buf[B_COEF] : buf[B_PART]; /* unwritten */
    clnn__karg a[] = {KARG_BUF(buf[B_P]),    KARG_BUF(q),          KARG_BUF(coef),     KARG_BUF(buf[B_PART]),
                      KARG_BUF(buf[B_PDW]),  KARG_BUF(buf[B_PDB]), KARG_BUF(buf[B_ESQ]), KARG_BUF(buf[B_CSQ]),
                      KARG_BUF(w->buffer),   KARG_BUF(b->buffer),  KARG(spk),          KARG(utt),
                      KARG(scale),           KARG(wg),             KARG(lanes),        KARG_LOCAL_FIXED(CLNN_ROW_SCRATCH_BYTES)};
    size_t problem[2] = {g->rows, g->spk};
    return clnn__run(ctx, fn, &clnn__ctr_ge2e_rows, problem, 16, a);
}

/* de = A C, then the centroid and exclusive-centroid terms. */
static clnn_status ge2e_backward(clnn_context *ctx, const char *fn, const ge2e_dims *g, const clnn_tensor *e,
                                 cl_mem *buf, clnn_tensor *de)
{
    clnn__gemm_operand am = {buf[B_P], 0, g->spk, 0}, cm = {buf[B_C], 0, g->d, 0}, em = {e->buffer, 0, g->d, 0};
    clnn__gemm_operand dm = {de->buffer, 0, g->d, 0}, aem = {buf[B_AE], 0, g->d, 0};
    TRY(clnn__sgemm(ctx, fn, 0, 0, g->rows, g->d, g->spk, 1.0f, am, cm, 0.0f, dm, 1));
    TRY(clnn__sgemm(ctx, fn, 1, 0, g->spk, g->d, g->rows, 1.0f, am, em, 0.0f, aem, 1));
    TRY(clnn__group_sum(ctx, fn, buf[B_Q], buf[B_GSUM], g->spk, g->rows, 1, 1, g->spk, 1.0f));
    cl_uint spk = (cl_uint)g->spk, utt = (cl_uint)g->utt, d = (cl_uint)g->d;
    clnn__karg a[] = {KARG_BUF(de->buffer),  KARG_BUF(e->buffer), KARG_BUF(buf[B_C]), KARG_BUF(buf[B_AE]),
                      KARG_BUF(buf[B_GSUM]), KARG_BUF(buf[B_CSQ]), KARG_BUF(buf[B_COEF]), KARG(spk),
                      KARG(utt),             KARG(d)};
    size_t problem[2] = {g->rows * g->d, 1};
    return clnn__run(ctx, fn, &clnn__ctr_ge2e_finish, problem, 10, a);
}

clnn_status clnn_ge2e_loss(clnn_context *ctx, const clnn_tensor *e, const clnn_tensor *w, const clnn_tensor *b,
                           clnn_reduction reduction, clnn_tensor *loss, clnn_tensor *de, clnn_tensor *dw,
                           clnn_tensor *db)
{
    CLNN_ENTRY(ctx);
    TRY(clnn__check_f32(ctx, fn, "e", e, 0));
    TRY(clnn__check_count32(ctx, fn, "e", e));
    CHECK_SHAPE(ctx, e->ndim == 3, "%s: e must be [speakers, utterances, D], it has %d dimensions", fn, e->ndim);
    ge2e_dims g = {e->shape[0], e->shape[1], e->shape[2], e->shape[0] * e->shape[1]};
    CHECK_SHAPE(ctx, g.utt >= 2, "%s: %zu utterance per speaker; the centroid excluding self needs at least 2", fn,
                g.utt);
    TRY(clnn__check_f32(ctx, fn, "w", w, 1));
    TRY(clnn__check_f32(ctx, fn, "b", b, 1));
    TRY(clnn__ctr_check_reduction(ctx, fn, reduction));
    const clnn_tensor *inputs[3] = {e, w, b};
    const clnn__loss_output out[4] = {
        {loss, "loss", NULL, NULL}, {de, "de", e, "e"}, {dw, "dw", w, "w"}, {db, "db", b, "b"}};
    TRY(clnn__check_loss_io(ctx, fn, NULL, 3, inputs, 4, out));

    const size_t sizes[N_BUF] = {g.spk * g.d, g.spk, g.rows, g.rows * g.spk, g.rows, g.rows, g.rows,
                                 g.rows * g.spk, 4 * g.rows, g.spk * g.d, g.spk};
    cl_mem buf[N_BUF] = {NULL};
    clnn_status st = CLNN_OK;
    for (int i = 0; i < N_BUF && st == CLNN_OK; i++)
        if (i < B_Q || de) st = clnn__scratch(ctx, fn, sizes[i], &buf[i]);
    float scale = clnn__loss_scale(reduction, g.rows);
    if (st == CLNN_OK) st = ge2e_forward(ctx, fn, &g, e, w, b, scale, de != NULL, buf);
    if (st == CLNN_OK && loss) st = clnn__loss_sum(ctx, fn, loss, buf[B_PART], g.rows, scale);
    if (st == CLNN_OK && dw) st = clnn__loss_sum(ctx, fn, dw, buf[B_PDW], g.rows, 1.0f);
    if (st == CLNN_OK && db) st = clnn__loss_sum(ctx, fn, db, buf[B_PDB], g.rows, 1.0f);
    if (st == CLNN_OK && de) st = ge2e_backward(ctx, fn, &g, e, buf, de);
    clnn__ctr_release(N_BUF, buf);
    return st;
}
