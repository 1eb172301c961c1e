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
    const char *sizes;    /* "MxNxK,MxNxK,...": the products timed together; NULL: each kernel's defaults */
    size_t budget;        /* candidates per kernel besides CLBlast's own */
    uint64_t seed;
    unsigned repeats;
    int dry_run;
} clblast_args;

/* Parses "MxNxK[,MxNxK...]" (at most max products); 0 on success. */
int clblast_parse_sizes(const char *text, size_t sizes[][3], size_t max, size_t *n);

/* The search (the outcome goes into the in-memory database; the caller
 * saves it): returns the exit status. */
int clblast_tune(clnn_context *ctx, const clblast_args *a);

/* The child's side (--clblast-measure KERNEL [--clblast-params "N=V ..."]
 * [--clblast-size LIST]): times every product of the list, prints
 * "seconds=S max_error=E" (S the sum of the medians, E the largest error)
 * and returns the exit status. */
int clblast_measure_child(clnn_context *ctx, const char *kernel, const char *params, const char *sizes,
                          unsigned repeats);

#endif
