/* Library-internal declarations shared by the files under src/.
 * Data path: public API (src/<family>/) -> dispatch.c -> program.c -> queue;
 * the tuner (tune*.c, declared in tune_internal.h) sits beside dispatch and
 * answers its lookup hook (clnn__tuner_hook below).
 * Nothing here is exported (hidden visibility + src/clnn.map). */
#ifndef CLNN_INTERNAL_H
#define CLNN_INTERNAL_H

#include "clnn/clnn.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#define CLNN_ERROR_LEN 4096

/* ------------------------------------------------------------------ error.c */

/* Formats a message into ctx (if any) and the thread's last error; returns status. */
clnn_status clnn__fail(clnn_context *ctx, clnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fails with CLNN_ERR_OPENCL (or OUT_OF_MEMORY for allocation codes), naming the call. */
clnn_status clnn__fail_cl(clnn_context *ctx, const char *fn, const char *call, cl_int err);
const char *clnn__cl_error_name(cl_int err);

/* ---- the entry of every public function. CLNN_ENTRY(ctx) opens the call's
 * validation scope: it declares `fn`, the name of the public function the
 * caller called (__func__), which every message of the call starts with,
 * and `dims`, the call's empty table of named dimensions for the shape
 * checks (clnn__check_shape), and refuses a NULL ctx. The variants are for
 * the entries that take no context: CLNN_ENTRY_TENSOR(t) refuses a NULL
 * tensor t and declares `ctx` as t's context; CLNN_ENTRY_NO_CONTEXT() only
 * opens the scope (such calls report through clnn_last_error(NULL)). None
 * of them clears the last error: clnn_last_error keeps the message of the
 * latest call that failed (include/clnn/clnn.h), and a call that succeeds
 * leaves it as it was. Static helpers take fn (and &dims) from their
 * caller, never __func__ of their own. */
#define CLNN_ENTRY_NO_CONTEXT()                                                \
    const char *const fn __attribute__((unused)) = __func__;                  \
    clnn__dims dims __attribute__((unused));                                   \
    dims.bound = 0
#define CLNN_ENTRY(ctx)                                                        \
    CLNN_ENTRY_NO_CONTEXT();                                                   \
    if (!(ctx)) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: ctx is NULL", fn)
#define CLNN_ENTRY_TENSOR(t)                                                   \
    CLNN_ENTRY_NO_CONTEXT();                                                   \
    if (!(t)) return clnn__fail(NULL, CLNN_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, #t); \
    clnn_context *const ctx = (t)->ctx;                                        \
    (void)ctx

/* Shorthand for argument checks at the API boundary. */
#define CHECK_ARG(ctx, cond, ...)                                                \
    do {                                                                       \
        if (!(cond)) return clnn__fail((ctx), CLNN_ERR_INVALID_ARGUMENT, __VA_ARGS__); \
    } while (0)
#define CHECK_SHAPE(ctx, cond, ...)                                            \
    do {                                                                       \
        if (!(cond)) return clnn__fail((ctx), CLNN_ERR_SHAPE, __VA_ARGS__);    \
    } while (0)
#define TRY(expr)                                                              \
    do {                                                                       \
        clnn_status try_status_ = (expr);                                      \
        if (try_status_ != CLNN_OK) return try_status_;                        \
    } while (0)

/* ----------------------------------------------------------------- device.c */

typedef struct clnn__device_entry {
    cl_platform_id platform;
    cl_device_id device;
} clnn__device_entry;

/* Fills info for an OpenCL device (used for adopted devices too). */
clnn_status clnn__device_describe(cl_platform_id platform, cl_device_id device,
                                  unsigned index, unsigned platform_index,
                                  clnn_device_info *info);
/* Lists all devices; *entries is malloc'ed, caller frees. fn: the public
 * function whose name a failure's message carries. */
clnn_status clnn__device_list(const char *fn, clnn__device_entry **entries, size_t *count);
/* Platform position of list[i] (platforms counted in list order). */
unsigned clnn__device_platform_index(const clnn__device_entry *list, size_t i);
/* index names one of n devices (DEVICE_NOT_FOUND otherwise). */
clnn_status clnn__check_device_index(const char *fn, size_t index, size_t n);
/* The facts ranking needs beyond clnn_device_info: r->cl_type (the raw
 * CL_DEVICE_TYPE bits; info.type is OTHER unless exactly one of GPU, CPU,
 * ACCELERATOR), host_unified_memory, available, and r->reason when
 * unavailable (else ""). */
void clnn__device_choice_facts(cl_device_id device, clnn_device_rank *r);
/* clnn_device_select for the public function fn (clnn_context_create), whose
 * name its messages carry. */
clnn_status clnn__device_select(const char *fn, const char *selector, size_t *index);

/* ---------------------------------------------------------------- program.c */

typedef struct clnn__program_cache clnn__program_cache;
clnn__program_cache *clnn__program_cache_create(void);
void clnn__program_cache_destroy(clnn__program_cache *cache);

/* The source text of an embedded cl/<name>.cl, or NULL. */
const char *clnn__embedded_source(const char *name);
/* Calls fn for every embedded program name. */
void clnn__embedded_each(void (*fn)(const char *name, void *user), void *user);

/* A kernel from cl/<program>.cl built with the given -D options (may be ""),
 * created once per context and cached; caller does not release it. */
clnn_status clnn__kernel_get(clnn_context *ctx, const char *fn, const char *program,
                             const char *options, const char *kernel, cl_kernel *out);

/* ----------------------------------------------------------- binary_cache.c */

/* Directory of the on-disk binary cache, or NULL when disabled. */
const char *clnn__binary_cache_dir(void);
/* 128-bit key as 32 hex digits + NUL. */
void clnn__binary_cache_key(const clnn_context *ctx, const char *source, const char *options,
                            char hex[33]);
/* Loads a binary into *data (malloc'ed); returns 0 when absent or invalid
 * (invalid files count as *rejected = 1). */
int clnn__binary_cache_load(const char *key_hex, unsigned char **data, size_t *size, int *rejected);
/* Stores atomically (temp file + rename); failures are silent (cache is optional). */
int clnn__binary_cache_store(const char *key_hex, const unsigned char *data, size_t size);

/* --------------------------------------------------------------- dispatch.c */

/* One kernel argument: a value of size bytes at ptr, or local memory when ptr
 * is NULL. Buffers are marked (KARG_BUF) so the tuner can snapshot and restore
 * them when it replays a launch with candidate configurations. Local memory
 * is either of a fixed size (KARG_LOCAL_FIXED, e.g. one entry per fixed
 * virtual lane) or of size bytes per work-item of the group
 * (KARG_LOCAL_PER_ITEM): dispatch sizes the latter for the configuration it
 * launches, so a fallback to a smaller local size and the tuner's candidates
 * get the right amount. */
typedef struct clnn__karg {
    size_t size;
    const void *ptr;
    int is_buffer;
    int per_item; /* local memory of size bytes per work-item of the group */
} clnn__karg;
#define KARG(x) ((clnn__karg){sizeof(x), &(x), 0, 0})
#define KARG_BUF(mem) ((clnn__karg){sizeof(cl_mem), &(mem), 1, 0})
#define KARG_LOCAL_FIXED(bytes) ((clnn__karg){(bytes), NULL, 0, 0})
#define KARG_LOCAL_PER_ITEM(bytes) ((clnn__karg){(bytes), NULL, 0, 1})

#include "divisor.h" /* clnn__divisor: sizes as kernel divisors */

/* A launch: work-items needed per dimension (need not be a multiple of the
 * local size; kernels guard the tail) and the local size to use (0 = let the
 * runtime choose). Dispatch fills local from the configuration it launches. */
typedef struct clnn__launch {
    unsigned dims;
    size_t global[3];
    size_t local[3];
} clnn__launch;

/* Sets the arguments of k for a launch with `group` work-items per group
 * (the size of KARG_LOCAL_PER_ITEM arguments). */
clnn_status clnn__set_args(clnn_context *ctx, const char *fn, cl_kernel k, size_t n, const clnn__karg *args,
                           size_t group);
/* A launch that is not a tunable kernel's (a device probe, a one-off
 * kernel): the limits check of clnn__dispatch, but a launch over them
 * is refused with the reason (CLNN_ERR_UNSUPPORTED), having no configuration
 * to fall back on; local 0 lets the runtime choose. Then rounds global up to
 * multiples of local, enqueues, and records a profiling event when the
 * profiler runs; ev (may be NULL) gets the launch's event (caller releases). */
clnn_status clnn__enqueue(clnn_context *ctx, const char *fn, cl_kernel k, const clnn__launch *l, cl_event *ev);
/* Keeps an event of work clnn enqueued outside clnn__enqueue (CLBlast, copies)
 * for the profiler; takes ownership. Call only when ctx->profiling is set. */
clnn_status clnn__record_event(clnn_context *ctx, cl_event ev);
/* The event pointer to hand to an enqueue call: &slot while profiling, else NULL. */
#define CLNN_PROFILE_EVENT(ctx, slot) ((ctx)->profiling ? &(slot) : NULL)

/* ---- tunable kernels. Each kernel is a clnn__tunable, a row of its
 * family's table (<family>_tunables.def, src/tune_table.h): the
 * local-size dimensionality and the -D parameters with their candidate
 * values. The tuner searches
 * local sizes (within the device's and the kernel's limits) and these
 * parameters. */
#define CLNN_MAX_TUNE_PARAMS 4
#define CLNN_OPTIONS_LEN 1024 /* -D options of a configuration plus a launch variant */
#define CLNN_MAX_TUNE_VALUES 8

typedef struct clnn__tune_param {
    const char *name;                 /* -D name, e.g. "WPT"; NULL ends the list */
    int values[CLNN_MAX_TUNE_VALUES]; /* candidates, `n` of them */
    int n;
    int fallback;                     /* value when nothing better is known */
} clnn__tune_param;

typedef struct clnn__config {
    size_t local[3];
    int param[CLNN_MAX_TUNE_PARAMS];  /* same order as clnn__tunable.params */
} clnn__config;

typedef struct clnn__tunable {
    const char *id;      /* "family.kernel": the tuning database's kernel name */
    const char *program; /* cl/<program>.cl */
    const char *kernel;  /* kernel function */
    unsigned dims;       /* 1 or 2: dimensionality of the local size */
    clnn__tune_param params[CLNN_MAX_TUNE_PARAMS];
    /* optional: a better default than the generic one for this kernel; may set
     * params and local (local left 0 gets the generic local size) */
    void (*heuristic)(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
    /* optional: the global size for a problem and configuration (e.g. divided
     * by a work-per-item parameter, or rows x local size for row reductions);
     * NULL: global = problem, one work-item per element */
    void (*global)(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
    /* optional: an upper bound on the loop iterations one work-item runs, for
     * the kernels whose loops grow with the problem (a row or group shared
     * by a work-group, tiles streamed past it). Dispatch keeps launches under
     * a device's loop limit with it (clnn__loop_limit); NULL: bounded by
     * small dimensions only. */
    size_t (*iterations)(const size_t problem[2], const clnn__config *cfg);
} clnn__tunable;

/* A 1-D kernel tuned by its local size alone (no -D parameters), with the
 * given heuristic and global-size functions (NULL: the generic ones). */
#define CLNN_TUNABLE(id_, program_, kernel_, heuristic_, global_) \
    {id_, program_, kernel_, 1, {{NULL, {0}, 0, 0}}, heuristic_, global_, NULL}

/* A launch of a tunable kernel, as dispatch is handed it: everything a
 * launch depends on travels here, nothing rides on the context. */
typedef struct clnn__launch_desc {
    const clnn__tunable *t;     /* the kernel and its search space */
    /* extra -D options of a kernel compiled in variants (e.g. "-DHAS_MASK=1"),
     * appended to the configuration's; the variants share t's id and tuning
     * entries (NULL or "" = none) */
    const char *variant;
    size_t problem[2];          /* the sizes of the database bucket and of the global size */
    size_t nargs;
    const clnn__karg *args;     /* NULL (nargs 0): a query, checked without __local arguments */
    /* the configuration to launch exactly as it is (the tuner's candidates:
     * CLNN_ERR_UNSUPPORTED when it does not fit); NULL: dispatch asks the
     * tuner's hook, else takes the heuristic, and falls back when the
     * configuration does not fit */
    const clnn__config *config;
} clnn__launch_desc;

/* The one entry of a tunable kernel's launch: configuration (d->config, else
 * the tuner's hook, else the heuristic), kernel, arguments, the limits check
 * and its fallback, global size, enqueue. ev (may be NULL) gets the launch's
 * event (caller releases). */
clnn_status clnn__dispatch(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_event *ev);

/* What ops call: clnn__dispatch of t on problem with these arguments. */
static inline clnn_status clnn__run(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                                    const size_t problem[2], size_t nargs, const clnn__karg *args)
{
    const clnn__launch_desc d = {t, NULL, {problem[0], problem[1]}, nargs, args, NULL};
    return clnn__dispatch(ctx, fn, &d, NULL);
}
/* clnn__run of a kernel compiled in variants (clnn__launch_desc.variant). */
static inline clnn_status clnn__run_variant(clnn_context *ctx, const char *fn, const clnn__tunable *t,
                                            const char *variant, const size_t problem[2], size_t nargs,
                                            const clnn__karg *args)
{
    const clnn__launch_desc d = {t, variant, {problem[0], problem[1]}, nargs, args, NULL};
    return clnn__dispatch(ctx, fn, &d, NULL);
}
/* The global hook of a 1-D kernel whose work-item handles the four elements
 * of one Philox block (cl/philox.clh): problem[0] elements, (problem[0] + 3) / 4 items. */
void clnn__global_philox_blocks(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
/* The launch (global and local sizes) of a tunable for a problem and configuration. */
void clnn__launch_for(const clnn__tunable *t, const size_t problem[2], const clnn__config *cfg, clnn__launch *l);

/* What the tuner answers dispatch for a launch (clnn__tuner_hook.lookup). */
typedef struct clnn__choice {
    int found;             /* 1: cfg, and kernel built for it (and the launch's variant); 0: the heuristic */
    clnn__config cfg;
    cl_kernel kernel;
    clnn_tune_match match; /* the link that decided (HEURISTIC: none); names cfg in the fallback note */
    int exact;             /* cfg already ran for this launch (a tuning run): launched as it is, no fallback */
    clnn_status deferred;  /* a tuning run's failure, returned once the launch is made */
} clnn__choice;

/* The tuner's hook on a context, installed at its creation
 * (clnn__tuner_install): dispatch calls lookup for every launch handed no
 * configuration. lookup may replay the launch with candidate configurations
 * first (through clnn__dispatch with d->config set; the buffers are left as
 * the launch must find them). No hook: every launch takes the heuristic. */
typedef struct clnn__tuner_hook {
    clnn_status (*lookup)(clnn_context *ctx, void *data, const char *fn, const clnn__launch_desc *d,
                          clnn__choice *out);
    void (*release)(void *data); /* at context release */
    void *data;
} clnn__tuner_hook;
/* Installs the tuner's hook on a new context (src/tune_hook.c); its mode
 * comes from CLNN_TUNE now, not at the first launch. fn: the public function
 * creating the context, for the message when host memory runs out. */
clnn_status clnn__tuner_install(clnn_context *ctx, const char *fn);

/* ---- the limits check (dispatch.c). Every launch of a tunable kernel
 * passes through clnn__dispatch, which checks its configuration against
 * the device and the kernel built with its parameters. */
typedef enum clnn__fit {
    CLNN__FIT_ERROR = -1,    /* an OpenCL call failed (message in ctx) */
    CLNN__FITS = 0,
    CLNN__OVER_GROUP = 1,    /* a side above CL_DEVICE_MAX_WORK_ITEM_SIZES or the
                              * work-items above the kernel's CL_KERNEL_WORK_GROUP_SIZE */
    CLNN__OVER_LOCAL_MEM = 2, /* CL_KERNEL_LOCAL_MEM_SIZE above CL_DEVICE_LOCAL_MEM_SIZE */
    CLNN__OVER_LOOPS = 3      /* t->iterations above the device's loop limit (clnn__loop_limit) */
} clnn__fit;
/* Whether cfg fits kernel k (built with cfg's parameters): each side of the
 * local size within the device's sides, the work-items within the kernel's
 * limit, and its local memory (static __local arrays plus the __local
 * arguments, which it sets first from args when args is not NULL) within the
 * device's, and, with problem not NULL, a work-item's loop iterations
 * within the device's loop limit. why (may be NULL) gets the reason when it
 * does not. */
clnn__fit clnn__config_check(clnn_context *ctx, const char *fn, const clnn__tunable *t, cl_kernel k,
                             const clnn__config *cfg, const size_t *problem, size_t nargs, const clnn__karg *args,
                             char *why, size_t len);
/* Makes *cfg (whose kernel is *k) fit, checked with the launch's arguments
 * (d->args may be NULL), which stay set on *k for it: unchanged when it fits;
 * else the largest local size not above cfg's (powers of two, the larger side
 * halving first) with cfg's parameters, else with the heuristic's, else with
 * cfg's parameters stepped down one value at a time (the one furthest up its
 * list first) until they fit. what
 * names cfg's origin ("forced configuration", ...) in ctx's fallback note;
 * NULL records nothing. *changed (may be NULL) is set when cfg changed.
 * CLNN_ERR_UNSUPPORTED when no configuration of the kernel fits. */
clnn_status clnn__config_fit(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel *k,
                             clnn__config *cfg, const char *what, int *changed);
/* The heuristic configuration (database and tuner ignored): the tunable's
 * heuristic, its local size clipped to the kernel's and the device's
 * work-group limits (a heuristic runs before the kernel is built), and *k
 * built for it. */
clnn_status clnn__config_default(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, cl_kernel *k,
                                 clnn__config *cfg);
/* t's kernel built with cfg's -D options and the variant (may be NULL). */
clnn_status clnn__config_kernel(clnn_context *ctx, const char *fn, const clnn__tunable *t, const char *variant,
                                const clnn__config *cfg, cl_kernel *k);
/* How the fallback note names the origin of a configuration ("database entry (this device)", ...). */
const char *clnn__match_name(clnn_tune_match m);
/* Counts a configuration that did not fit (entry 1: a database entry passed
 * over; 0: a launch that fell back) and keeps the sentence as ctx's latest
 * fallback note (clnn_tune_fallbacks_get). */
void clnn__note_fallback(clnn_context *ctx, int entry, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE of k (1 if unknown), asked once. */
size_t clnn__kernel_multiple(clnn_context *ctx, cl_kernel k);
/* The largest local size (product) kernel k may use on ctx's device. */
size_t clnn__kernel_max_local(clnn_context *ctx, cl_kernel k);
/* Kernel k's static local memory (CL_KERNEL_LOCAL_MEM_SIZE before any
 * __local argument is set). Both asked once per kernel object and kept. */
unsigned long long clnn__kernel_static_mem(clnn_context *ctx, cl_kernel k);
/* Frees the context's table of kernel limits (context release). */
void clnn__kernel_limits_free(clnn_context *ctx);

/* Global-size hook of one-work-group-per-group kernels (cl/reduce.clh):
 * problem[0] groups x local[0] work-items. */
void clnn__global_one_group_each(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
/* One work-item per element of a 2-D problem: global = problem[0] x problem[1]. */
void clnn__global_all_elements(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
/* One work-item per column: global = problem[1]. */
void clnn__global_columns(const size_t problem[2], const clnn__config *cfg, size_t global[2]);
/* Their default local size (problem = {groups, elements per group}): at
 * most 8 on a CPU device; on a GPU the elements rounded up to a power of
 * two, 64 to 256 (256 and more: the generic default); the generic default
 * elsewhere. */
void clnn__one_group_each_heuristic(const clnn_context *ctx, const size_t problem[2], clnn__config *cfg);
/* The loop iterations of a work-item of a one-work-group-per-group kernel
 * over problem[1] elements on reduce.clh's 256 lanes (clnn__tunable.iterations). */
size_t clnn__one_group_each_iterations(const size_t problem[2], const clnn__config *cfg);

/* ----------------------------------------------------------- launch_shape.c */

/* Whether ctx's device gets the GPU-shaped launches (several rows per
 * work-group, reductions spread over every compute unit): a GPU. Every
 * other device keeps the shapes designed on PoCL's CPU device. */
int clnn__gpu_shaped(const clnn_context *ctx);
/* Work-groups that fill every compute unit of ctx's device several times
 * over: 8 per compute unit, at most 1024. */
size_t clnn__fill_groups(const clnn_context *ctx);

/* A configuration as text: "local=64" or "local=16x8 WPT=4". */
void clnn__config_text(const clnn__tunable *t, const clnn__config *c, char *buf, size_t len);

/* --------------------------------------------------------- tune_clblast.c */

/* Applies the database's CLBlast parameters for ctx's device before its
 * first GEMM (once per process, device and kernel). The rest of the tuner is
 * declared in tune_internal.h. */
void clnn__clblast_apply_tuned(clnn_context *ctx);

/* ---------------------------------------------------- common/reduce_groups.c, blas.c */

/* out[g] = scale * sum of the count elements of group g, element i of group g
 * at g*group_stride + (i/inner)*outer_stride + i%inner; deterministic. */
clnn_status clnn__group_sum(clnn_context *ctx, const char *fn, cl_mem in, cl_mem out, size_t groups, size_t count,
                            size_t group_stride, size_t inner, size_t outer_stride, float scale);
/* The same, adding to out when accumulate is 1 (out[g] += scale * sum). */
clnn_status clnn__group_sum_acc(clnn_context *ctx, const char *fn, cl_mem in, cl_mem out, size_t groups,
                                size_t count, size_t group_stride, size_t inner, size_t outer_stride, float scale,
                                int accumulate);
/* A device buffer of `floats` floats for one call's intermediate results; the
 * caller releases it right after enqueuing its last use (OpenCL keeps it alive
 * until the queued work completes). */
clnn_status clnn__scratch(clnn_context *ctx, const char *fn, size_t floats, cl_mem *out);
/* Row-major C = alpha * op(A) . op(B) + beta * C through CLBlast on ctx->queue,
 * `batch` times with element strides between the matrices (batch 1: plain
 * SGEMM). Offsets, leading dimensions and strides count floats. Records a
 * profiling event while the profiler runs. */
typedef struct clnn__gemm_operand {
    cl_mem buf;
    size_t offset, ld, stride;
} clnn__gemm_operand;
clnn_status clnn__sgemm(clnn_context *ctx, const char *fn, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                        float alpha, clnn__gemm_operand a, clnn__gemm_operand b, float beta, clnn__gemm_operand c,
                        size_t batch);
/* y = alpha * op(A) . x + beta * y through CLBlast, A row-major [rows, cols]
 * (a.ld floats a row; trans: Aᵀ . x), x and y contiguous. Records a
 * profiling event while the profiler runs. Every GEMM and GEMV of clnn goes
 * through these two. */
clnn_status clnn__sgemv(clnn_context *ctx, const char *fn, int trans, size_t rows, size_t cols, float alpha,
                        clnn__gemm_operand a, cl_mem x, float beta, cl_mem y);

/* ----------------------------------------------------------------- context */

struct clnn_context {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    clnn_device_info info;
    int profiling_queue;   /* queue has CL_QUEUE_PROFILING_ENABLE */
    clnn__program_cache *programs;
    clnn_cache_stats cache_stats;
    /* the tuner's lookup hook, which dispatch asks for each launch's configuration */
    clnn__tuner_hook tuner;
    /* configurations that did not fit their kernel's limits (dispatch.c):
     * launches that fell back, database entries passed over, the latest why */
    size_t fallback_launches, fallback_entries;
    char fallback_note[512];
    /* each kernel object's limits, asked once (dispatch.c) */
    struct clnn__kernel_limits *klimits;
    size_t n_klimits, cap_klimits;
    /* profiler */
    int profiling;
    cl_event *events;
    size_t n_events, cap_events;
    char last_error[CLNN_ERROR_LEN];
    int clblast_checked; /* clnn__clblast_apply_tuned ran for this context */
    /* device bytes live and peak (memstats.c); NULL until the first buffer */
    struct clnn__mem_stats *mem;
    /* loop iterations a work-item may run on this device, 0 = no limit
     * (device_probe.c); valid once loop_limit_known */
    size_t loop_limit;
    int loop_limit_known;
};

/* The device's limit on the loop iterations of one work-item (0: none
 * found), probed on first use and remembered per device (device_probe.c). */
size_t clnn__loop_limit(clnn_context *ctx);
/* 0 when the device's profiling timestamps are not real (Mesa 22.3's rusticl
 * reports 1 ns for every command), probed once per device (device_probe.c):
 * the profiler then refuses and the tuner times with the host clock. */
int clnn__device_clock_real(clnn_context *ctx);

/* Counts a buffer clnn created on ctx until OpenCL frees it (memstats.c). */
void clnn__mem_track(clnn_context *ctx, cl_mem buf, size_t bytes);
/* The context's share of the counters, at release. */
void clnn__mem_release(clnn_context *ctx);

/* ----------------------------------------------------------------- tensors */

struct clnn_tensor {
    clnn_context *ctx;
    clnn_dtype dtype;
    int ndim;
    size_t shape[CLNN_MAX_DIMS];
    size_t count;
    cl_mem buffer;
    int owned;
    /* the bytes the tensor covers in its root buffer (a wrapped sub-buffer's
     * parent, else buffer itself): what the aliasing check compares */
    cl_mem root;
    size_t root_offset;
};

/* 1 when a and b share memory: the same buffer, or byte ranges of one root
 * buffer that overlap (two wraps of one cl_mem, overlapping sub-buffers).
 * Every family's "must not alias" check goes through it. */
int clnn__alias(const clnn_tensor *a, const clnn_tensor *b);
/* Fails with CLNN_ERR_INVALID_ARGUMENT, naming the pair, when an output
 * aliases an input or another output (NULL entries are skipped). */
clnn_status clnn__check_disjoint(clnn_context *ctx, const char *fn, const clnn_tensor *const *outs,
                                 const char *const *out_names, size_t nout, const clnn_tensor *const *ins,
                                 const char *const *in_names, size_t nin);

/* ---- declarative shape checks. A call's named dimensions: a capital
 * letter bound to a size by the first tensor (or clnn__dims_bind) that has
 * it, and the argument it came from, which the messages name. CLNN_ENTRY
 * opens an empty table, `dims`, for the call's checks. */
typedef struct clnn__dims {
    uint32_t bound; /* bit k: letter 'A' + k is bound; size[k] and from[k] are valid */
    size_t size[26];
    const char *from[26];
} clnn__dims;
/* Binds dimension name ('A'..'Z') to size, taken from argument `from`. */
void clnn__dims_bind(clnn__dims *d, char name, size_t size, const char *from);
/* The size bound to name (0 when unbound). */
size_t clnn__dim(const clnn__dims *d, char name);
/* Checks t, argument `name` of fn: a tensor of ctx (clnn__check_tensor), of
 * the spec's dtype (else CLNN_ERR_SHAPE "x must be float32") and shape (else
 * CLNN_ERR_SHAPE), binding the spec's unbound names to t's sizes. spec:
 * an optional "i32:" (int32; float32 otherwise), then one item per
 * dimension, separated by commas:
 *   N    a capital letter: the size N is bound to, or binds N
 *   4    exactly that size
 *   _    any size
 *   N*   zero or more dimensions as one: the product of their sizes (at
 *        most one such item a spec); N+ is the same for one or more
 * e.g. "N*,C" is t viewed as N rows of its last dimension C, and "N*" any
 * shape of N elements. The message shows the shape expected with the sizes
 * bound by earlier checks and where they came from: "clnn_dense_forward: x
 * is [8, 3] but must be [N..., 784] with at least 2 dimensions (C = 784 from
 * w)"; a spec of one bound run is a count ("b is [3] but must have 10
 * elements (O = 10 from w)"). */
clnn_status clnn__check_shape(clnn_context *ctx, const char *fn, clnn__dims *d, const char *name,
                              const clnn_tensor *t, const char *spec);
/* t is an fp32 tensor of ctx with exactly like's shape (rank and sizes):
 * "clnn_layernorm_backward: dx is [4, 6] but must be [4, 5] like x". */
clnn_status clnn__check_same_shape(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                                   const char *like_name, const clnn_tensor *like);

size_t clnn__dtype_size(clnn_dtype dtype);
/* Validates a tensor handle used by fn as argument name: non-NULL, same context. */
clnn_status clnn__check_tensor(clnn_context *ctx, const char *fn, const char *name,
                               const clnn_tensor *t);
/* t's element count fits the kernels' 32-bit indices (CLNN_ERR_SHAPE). */
clnn_status clnn__check_count32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t);
/* "[2, 3, 4]" */
const char *clnn__shape_str(const clnn_tensor *t, char *buf, size_t len);
/* t is a tensor of ctx holding fp32 (int32); with count != 0 it must hold
 * exactly count elements. */
clnn_status clnn__check_f32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                            size_t count);
clnn_status clnn__check_i32(clnn_context *ctx, const char *fn, const char *name, const clnn_tensor *t,
                            size_t count);
/* A drop probability p in [0, 1) (CLNN_ERR_INVALID_ARGUMENT; reg/stochastic.c):
 * every dropout-like call's. */
clnn_status clnn__check_drop_p(clnn_context *ctx, const char *fn, float p);
/* Overflow-checked element count of a shape; 0 on bad input (message in ctx). */
clnn_status clnn__shape_count(clnn_context *ctx, const char *fn, int ndim, const size_t *shape,
                              size_t elem_size, size_t *count);

/* --------------------------------------------------------------- utilities */

double clnn__now_seconds(void);
/* SplitMix64 (Steele, Lea & Flood 2014): the next value of a seeded host
 * sequence (tuner sampling, CLBlast candidates and test inputs). */
uint64_t clnn__splitmix64(uint64_t *state);
/* Creates a directory and its parents; 0 on success. */
int clnn__mkdir_p(const char *path);
int clnn__is_finite(float x);

/* ---- options structs (the public headers: clnn_<x>_options, first field
 * size_t size, set by clnn_<x>_options_init). dst holds the defaults (its
 * _options_init ran) and is `known` bytes; src is the caller's struct or
 * NULL (the defaults stay). A src->size of 0 (never initialised) or larger
 * than known (a newer header than this library) is refused, naming fn and
 * arg; a smaller one (an older caller) copies that prefix over the defaults.
 * dst->size ends up known. CLNN_OPTIONS(type, name, src) declares `type
 * name` in a CLNN_ENTRY scope and fills it that way; CLNN_OPTIONS_ARG(type,
 * arg) does the same for the parameter `const type *arg` and points arg at
 * the filled copy, so the rest of the entry reads arg (never NULL). */
clnn_status clnn__options_copy(clnn_context *ctx, const char *fn, const char *arg, void *dst, size_t known,
                               const void *src);
#define CLNN_OPTIONS(type, name, src)                                          \
    type name;                                                                 \
    type##_init(&name);                                                        \
    TRY(clnn__options_copy(ctx, fn, #src, &name, sizeof name, (src)))
#define CLNN_OPTIONS_ARG(type, arg)                                            \
    CLNN_OPTIONS(type, arg##_options_, arg);                                   \
    arg = &arg##_options_

/* ----------------------------------------------------- files (files.c) */

/* "a directory", "a FIFO", "a socket", "a character device", ... */
const char *clnn__file_kind(mode_t mode);

enum { CLNN__READ_OK = 0, CLNN__READ_MISSING, CLNN__READ_FAILED, CLNN__READ_TOO_LARGE };
/* Reads a whole regular file (at most max bytes) into a malloc'ed,
 * NUL-terminated buffer. A FIFO, device, directory or socket is refused
 * without being opened (never blocks); with nofollow a symbolic link is
 * refused too. Returns CLNN__READ_*; for FAILED and TOO_LARGE, why gets a
 * phrase that follows "<path> is": "a FIFO, not a regular file",
 * "unreadable (Permission denied)", "larger than N bytes". */
int clnn__read_regular(const char *path, int nofollow, size_t max, char **data, size_t *len, char *why,
                       size_t whylen);
/* The file a write to path must replace: path itself (existing regular file,
 * or none yet), or the final target of a chain of symbolic links owned by
 * this user (or root), which must be a regular file. 0 with *target
 * malloc'ed; -1 with a phrase in why ("a directory, not a regular file", "a
 * symbolic link to X, which does not exist", "a symbolic link owned by user
 * N, ...") when the write must be refused. */
int clnn__resolve_target(const char *path, char **target, char *why, size_t whylen);

typedef struct clnn__chunk {
    const void *data;
    size_t size;
} clnn__chunk;
/* An atomic write in two steps, so a caller can act between a complete new
 * file and the rename (the tuning database keeps a rejected file aside
 * there): prepare writes the chunks to a new "<path>.tmp.<pid>.XXXXXX"
 * (mkstemp: O_CREAT|O_EXCL, never a planted file or link) in path's
 * directory, with path's mode if it exists (else 0644), fsync'ed when
 * durable; returns its malloc'ed name, NULL with errno (nothing left).
 * commit renames it over path (refusing a path that is not a regular file),
 * abort removes it; both free the name. commit: 0, or -1 with errno. */
char *clnn__atomic_prepare(const char *path, const clnn__chunk *chunks, size_t nchunks, int durable);
int clnn__atomic_commit(char *tmp, const char *path);
void clnn__atomic_abort(char *tmp);
/* prepare (not durable) + commit of one buffer: 0 on success. */
int clnn__write_file_atomic(const char *path, const void *data, size_t size);
/* Removes the temp files "<x>.tmp.<pid>[.*]" in dir, x ending with suffix,
 * whose writer no longer exists and that are older than 10 minutes. */
void clnn__remove_stale_temps(const char *dir, const char *suffix);
/* The directory part of path ("." when none), malloc'ed. */
char *clnn__dir_of(const char *path);

/* ------------------------------------------------ locks (file_lock.c) */

/* An exclusive flock on lock_path (created if missing; never through a
 * link), waiting at most timeout_s seconds. Returns the descriptor, or -1
 * with why ("<lock> is held by process P on H; gave up after T s ..."). A
 * lock whose recorded holder no longer exists on this host is taken over
 * once (*took_over = 1). */
int clnn__lock_acquire(const char *lock_path, double timeout_s, char *why, size_t whylen, int *took_over);
void clnn__lock_release(int fd);

#endif /* CLNN_INTERNAL_H */
