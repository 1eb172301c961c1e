/* Helpers shared by the host files of the attention family (src/attention/,
 * include/clnn/attention.h): the checks of q, k, v, the masks and the
 * options, the mask's kernel arguments, and the family's tunables. */
#ifndef CLNN_ATTENTION_INTERNAL_H
#define CLNN_ATTENTION_INTERNAL_H

#include "internal.h"

/* The memory-efficient kernels' launch shape (flash.c). */
void clnn__attn_flash_global(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
void clnn__attn_flash_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);

/* The family's tunable kernels (attention_tunables.def). */
#define CLNN_TABLE "attention/attention_tunables.def"
#define CLNN_TABLE_DECLARE
#include "tune_table.h"

/* B batch, H query heads, G kv heads (H % G == 0), R = H / G query heads
 * per kv head, Sq queries, Sk keys, D head size of q and k, E of v. */
typedef struct clnn__attn_geom {
    size_t B, H, G, R, Sq, Sk, D, E;
} clnn__attn_geom;

/* The mask's kernel arguments: kind 0 none, 1 float, 2 boolean (the
 * ATTN_MASK variant), its buffer (q's when absent: never read), element
 * strides of the batch and head dimensions (0: broadcast); key padding. */
typedef struct clnn__attn_masks {
    int kind, kpm;
    cl_mem mask, kpm_buf;
    cl_uint msb, msh;
    char variant[48]; /* "-DATTN_MASK=k -DATTN_KPM=p", "" when neither */
} clnn__attn_masks;

/* q [B, H, Q, D], k [B, G, K, D], v [B, G, K, E], H % G == 0, every count within
 * 32-bit indices; binds the letters B H G Q K D E in dims. */
clnn_status clnn__attn_check_qkv(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *q,
                                 const clnn_tensor *k, const clnn_tensor *v, clnn__attn_geom *g);
/* opt's fields (causal, scale, dropout_p); *scale gets the scale to use. */
clnn_status clnn__attn_check_options(clnn_context *ctx, const char *fn, const clnn_attention_options *opt,
                                     const clnn__attn_geom *g, float *scale);
/* mask (NULL, [Q, K] or [B|1, H|1, Q, K], float32 or int32) and key_padding
 * (NULL or int32 [B, K]) into m. */
clnn_status clnn__attn_check_masks(clnn_context *ctx, const char *fn, clnn__dims *dims, const clnn_tensor *q,
                                   const clnn_tensor *mask, const clnn_tensor *key_padding,
                                   const clnn__attn_geom *g, clnn__attn_masks *m);

#endif
