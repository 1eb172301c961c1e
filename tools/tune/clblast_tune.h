/* clnn-tune --clblast: tunes CLBlast's GEMM kernels for the selected device,
 * each candidate measured in a child process of its own (CLBlast's
 * parameters are process-wide and cannot be restored), then stores the
 * winner in the tuning database (include/clnn/tune.h, "CLBlast's GEMM"). */
#ifndef CLNN_TUNE_CLBLAST_TOOL_H
#define CLNN_TUNE_CLBLAST_TOOL_H

#include <clnn/clnn.h>

typedef struct clblast_args {
    const char *device;   /* --device, passed on to the children */
    const char *kernels;  /* "clblast.xgemm,clblast.xgemm_direct" or NULL for both */
    size_t mnk[3];        /* 0: each kernel's default size */
    size_t budget;        /* candidates per kernel besides CLBlast's own */
    uint64_t seed;
    unsigned repeats;
    int dry_run, save;
} clblast_args;

/* The search: returns the exit status. */
int clblast_tune(clnn_context *ctx, const clblast_args *a);

/* The child's side (--clblast-measure KERNEL [--clblast-params "N=V ..."]):
 * prints "seconds=S max_error=E" and returns the exit status. */
int clblast_measure_child(clnn_context *ctx, const char *kernel, const char *params, const size_t mnk[3],
                          unsigned repeats);

#endif
