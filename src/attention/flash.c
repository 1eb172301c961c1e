/* The memory-efficient path (cl/attention_flash.cl): one forward launch
 * (online softmax, out and the per-row log-sum-exp), and for the backward
 * delta = rowsum(dout * out), then dq by query rows and dk, dv by keys, each
 * recomputing the probabilities from q, k and the lse. Device memory beyond
 * the tensors: delta, one float per query row. */
#include "attention/attention_internal.h"

#include <stdio.h>

/* A kernel's work-items cover problem[0] = kv heads * problem[1] items
 * (rows or keys of one kv head) in tiles of the local size per kv head. */
void clnn__attn_flash_global(const size_t problem[2], const clnn__config *cfg, size_t global[2])
{
    size_t L = cfg->local[0] ? cfg->local[0] : 1, per = problem[1] ? problem[1] : 1;
    global[0] = (problem[0] / per) * ((per + L - 1) / L) * L;
    global[1] = 1;
}

/* 32 work-items (the smallest power of two covering a kv head's items when
 * fewer, e.g. one query while decoding), 16 keys or rows staged a tile. */
void clnn__attn_flash_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg)
{
    (void)ctx; /* the launch clips it to the kernel's limits (clnn__config_default) */
    size_t L = 32;
    while (L > 1 && L / 2 >= problem[1]) L /= 2;
    cfg->local[0] = L;
    cfg->local[1] = cfg->local[2] = 1;
    cfg->param[0] = 16;
}

/* Head sizes above this are refused: a work-item keeps up to four rows of
 * them in private memory (the dk/dv kernel: k, v and their two sums). */
#define FLASH_MAX_HEAD 256

typedef struct flash_launch {
    clnn__attn_geom g;
    clnn__attn_masks m;
    cl_float scale, p, keep_scale;
    cl_ulong seed, offset;
    cl_uint RSq, Sq, Sk, Hd, stream;
    cl_int causal;
    char variant[160];
} flash_launch;

/* Checks shared by both entries, and the launch's scalars and variant. */
static clnn_status flash_prepare(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *q,
                                 const clnn_tensor *k, const clnn_tensor *v, const clnn_tensor *mask,
                                 const clnn_tensor *key_padding, const clnn_attention_options *o, flash_launch *f)
{
    TRY(clnn__attn_check_qkv(ctx, fn, dims, q, k, v, &f->g));
    TRY(clnn__attn_check_options(ctx, fn, o, &f->g, &f->scale));
    TRY(clnn__attn_check_masks(ctx, fn, dims, q, mask, key_padding, &f->g, &f->m));
    const clnn__attn_geom *g = &f->g;
    if (g->D > FLASH_MAX_HEAD || g->E > FLASH_MAX_HEAD)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "%s: head sizes D = %zu, Dv = %zu: the memory-efficient path takes at most %d "
                          "(clnn_attention_sdpa_forward has no limit)",
                          fn, g->D, g->E, FLASH_MAX_HEAD);
    /* a work-item walks every key (or query row of its kv head), two passes
     * over D + Dv features each (dot products, then sums): refuse what a
     * device that stops long loops would cut short. The kernels' problem
     * slots carry the tiling (clnn__attn_flash_global), so this bound is
     * checked here rather than through clnn__tunable.iterations. */
    size_t limit = clnn__loop_limit(ctx), streamed = g->Sk > g->R * g->Sq ? g->Sk : g->R * g->Sq;
    size_t iterations = streamed * (2 * (g->D + g->E) + 8);
    if (limit && iterations > limit)
        return clnn__fail(ctx, CLNN_ERR_UNSUPPORTED,
                          "%s: %zu keys or rows of %zu + %zu features make a work-item run about %zu loop "
                          "iterations, above this device's loop limit of %zu (the standard path has no such limit)",
                          fn, streamed, g->D, g->E, iterations, limit);
    f->p = o->dropout_p;
    f->keep_scale = (cl_float)(1.0 / (1.0 - (double)o->dropout_p));
    f->seed = o->seed, f->offset = o->offset;
    f->RSq = (cl_uint)(g->R * g->Sq), f->Sq = (cl_uint)g->Sq, f->Sk = (cl_uint)g->Sk, f->Hd = (cl_uint)g->H;
    f->stream = CLNN_STREAM_ATTENTION_DROPOUT;
    f->causal = o->causal;
    snprintf(f->variant, sizeof f->variant, "-DHD=%zu -DHDV=%zu -DDROP=%d -DATTN_MASK=%d -DATTN_KPM=%d", g->D, g->E,
             o->dropout_p != 0.0f, f->m.kind, f->m.kpm);
    return CLNN_OK;
}

clnn_status clnn_attention_flash_forward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                         const clnn_tensor *v, const clnn_tensor *mask, const clnn_tensor *key_padding,
                                         const clnn_attention_options *opt, clnn_tensor *out, clnn_tensor *lse)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_attention_options, opt);
    flash_launch f;
    TRY(flash_prepare(ctx, fn, &dims, q, k, v, mask, key_padding, opt, &f));
    TRY(clnn__check_shape(ctx, fn, &dims, "out", out, "B,H,Q,E"));
    TRY(clnn__check_shape(ctx, fn, &dims, "lse", lse, "B,H,Q"));
    const clnn_tensor *outs[] = {out, lse}, *ins[] = {q, k, v, mask, key_padding};
    static const char *const out_names[] = {"out", "lse"}, *const in_names[] = {"q", "k", "v", "mask", "key_padding"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 2, ins, in_names, 5));
    size_t problem[2] = {f.g.B * f.g.H * f.g.Sq, f.RSq};
    clnn__karg a[] = {KARG_BUF(q->buffer), KARG_BUF(k->buffer), KARG_BUF(v->buffer), KARG_BUF(out->buffer),
                      KARG_BUF(lse->buffer), KARG(f.RSq), KARG(f.Sq), KARG(f.Sk), KARG(f.Hd), KARG(f.scale),
                      KARG(f.causal), KARG_BUF(f.m.mask), KARG(f.m.msb), KARG(f.m.msh), KARG_BUF(f.m.kpm_buf),
                      KARG(f.p), KARG(f.keep_scale), KARG(f.seed), KARG(f.stream), KARG(f.offset)};
    return clnn__run_variant(ctx, fn, &clnn__attn_flash_forward, f.variant, problem, 20, a);
}

clnn_status clnn_attention_flash_backward(clnn_context *ctx, const clnn_tensor *q, const clnn_tensor *k,
                                          const clnn_tensor *v, const clnn_tensor *mask,
                                          const clnn_tensor *key_padding, const clnn_tensor *out,
                                          const clnn_tensor *lse, const clnn_tensor *dout,
                                          const clnn_attention_options *opt, clnn_tensor *dq, clnn_tensor *dk,
                                          clnn_tensor *dv)
{
    CLNN_ENTRY(ctx);
    CLNN_OPTIONS_ARG(clnn_attention_options, opt);
    flash_launch f;
    TRY(flash_prepare(ctx, fn, &dims, q, k, v, mask, key_padding, opt, &f));
    TRY(clnn__check_shape(ctx, fn, &dims, "out", out, "B,H,Q,E"));
    TRY(clnn__check_shape(ctx, fn, &dims, "lse", lse, "B,H,Q"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dout", dout, "B,H,Q,E"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dq", dq, "B,H,Q,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dk", dk, "B,G,K,D"));
    TRY(clnn__check_shape(ctx, fn, &dims, "dv", dv, "B,G,K,E"));
    const clnn_tensor *outs[] = {dq, dk, dv}, *ins[] = {q, k, v, mask, key_padding, out, lse, dout};
    static const char *const out_names[] = {"dq", "dk", "dv"},
                             *const in_names[] = {"q", "k", "v", "mask", "key_padding", "out", "lse", "dout"};
    TRY(clnn__check_disjoint(ctx, fn, outs, out_names, 3, ins, in_names, 8));
    cl_uint rows = (cl_uint)(f.g.B * f.g.H * f.g.Sq);
    cl_mem delta;
    TRY(clnn__scratch(ctx, fn, rows, &delta));
    size_t pdelta[2] = {rows, 1};
    clnn__karg ad[] = {KARG_BUF(dout->buffer), KARG_BUF(out->buffer), KARG_BUF(delta), KARG(rows)};
    clnn_status st = clnn__run_variant(ctx, fn, &clnn__attn_flash_delta, f.variant, pdelta, 4, ad);
    if (st == CLNN_OK) {
        size_t problem[2] = {rows, f.RSq};
        clnn__karg a[] = {KARG_BUF(q->buffer), KARG_BUF(k->buffer), KARG_BUF(v->buffer), KARG_BUF(dout->buffer),
                          KARG_BUF(lse->buffer), KARG_BUF(delta), KARG_BUF(dq->buffer), KARG(f.RSq), KARG(f.Sq),
                          KARG(f.Sk), KARG(f.Hd), KARG(f.scale), KARG(f.causal), KARG_BUF(f.m.mask), KARG(f.m.msb),
                          KARG(f.m.msh), KARG_BUF(f.m.kpm_buf), KARG(f.p), KARG(f.keep_scale), KARG(f.seed),
                          KARG(f.stream), KARG(f.offset)};
        st = clnn__run_variant(ctx, fn, &clnn__attn_flash_dq, f.variant, problem, 22, a);
    }
    if (st == CLNN_OK) {
        size_t problem[2] = {f.g.B * f.g.G * f.g.Sk, f.Sk};
        clnn__karg a[] = {KARG_BUF(q->buffer), KARG_BUF(k->buffer), KARG_BUF(v->buffer), KARG_BUF(dout->buffer),
                          KARG_BUF(lse->buffer), KARG_BUF(delta), KARG_BUF(dk->buffer), KARG_BUF(dv->buffer),
                          KARG(f.RSq), KARG(f.Sq), KARG(f.Sk), KARG(f.Hd), KARG(f.scale), KARG(f.causal),
                          KARG_BUF(f.m.mask), KARG(f.m.msb), KARG(f.m.msh), KARG_BUF(f.m.kpm_buf), KARG(f.p),
                          KARG(f.keep_scale), KARG(f.seed), KARG(f.stream), KARG(f.offset)};
        st = clnn__run_variant(ctx, fn, &clnn__attn_flash_dkv, f.variant, problem, 23, a);
    }
    clReleaseMemObject(delta);
    return st;
}
