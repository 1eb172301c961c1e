/* clnn: a portable OpenCL compute backend for neural networks.
 *
 * Conventions that hold for every function in this header and the headers it
 * includes:
 *   - Every call returns a clnn_status (CLNN_OK == 0, errors are negative).
 *     clnn_last_error(ctx) gives a sentence naming the function and the bad
 *     argument; clnn_last_error(NULL) gives the calling thread's last message.
 *   - A rejected call changes nothing: no tensor, file or database entry is
 *     touched. No call prints to stdout, aborts or exits.
 *   - Work is enqueued asynchronously on the context's in-order queue;
 *     clnn_finish() waits. Downloads are blocking.
 *   - Tensors hold fp32 (or int32 for labels and indices), up to 4 dimensions,
 *     row-major: the last dimension is contiguous. Images are NCHW.
 *   - Threads: a context and the tensors made from it are used by one thread
 *     at a time (a context is not locked; calls on it from two threads at
 *     once are a data race). Different contexts may be used from different
 *     threads at once, on the same device or not. Thread-safe at any time:
 *     clnn_device_count/_info_get/_rank_get/_select (enumeration is
 *     serialized inside clnn), clnn_context_create*, clnn_status_string,
 *     clnn_version, the clnn_philox_* functions, and clnn_last_error(NULL),
 *     which is per thread.
 *     Environment variables (CLNN_DEVICE, CLNN_CACHE_DIR, CLNN_KERNEL_DIR)
 *     are read at call time: do not change them while other threads call clnn.
 *   - Processes: any number may share one cache directory; cache files are
 *     written to a temp file and renamed into place, so a reader sees a whole
 *     file or none, and a damaged file is rebuilt, never trusted.
 */
#ifndef CLNN_CLNN_H
#define CLNN_CLNN_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CLNN_BUILDING_LIBRARY)
#define CLNN_API __attribute__((visibility("default")))
#else
#define CLNN_API
#endif

#define CLNN_MAX_DIMS 4

/* ------------------------------------------------------------------ status */

typedef enum clnn_status {
    CLNN_OK = 0,
    CLNN_ERR_INVALID_ARGUMENT = -1, /* NULL handle, bad value, non-finite hyper-parameter */
    CLNN_ERR_SHAPE = -2,            /* shapes, sizes or dtypes disagree (a wrong dtype included) */
    CLNN_ERR_OUT_OF_MEMORY = -3,    /* host or device allocation failed or is too large */
    CLNN_ERR_DEVICE_NOT_FOUND = -4, /* no OpenCL device, or the selector matched no available one */
    CLNN_ERR_BUILD = -5,            /* a kernel failed to compile; the message has the log */
    CLNN_ERR_OPENCL = -6,           /* an OpenCL call failed */
    CLNN_ERR_IO = -7,               /* a file could not be read or written */
    CLNN_ERR_UNSUPPORTED = -8,      /* the device lacks a needed capability */
    CLNN_ERR_INTERNAL = -9,         /* a bug in clnn: please report it */
    CLNN_ERR_COMM = -10             /* a communication step failed or timed out (libclnn_mpi) */
} clnn_status;

/* A fixed English name for a status ("CLNN_ERR_SHAPE: shapes disagree"). */
CLNN_API const char *clnn_status_string(clnn_status status);

/* "MAJOR.MINOR.PATCH" of the library actually loaded. */
CLNN_API const char *clnn_version(void);

/* ----------------------------------------------------------------- devices */

typedef struct clnn_context clnn_context;
typedef struct clnn_tensor clnn_tensor;

/* A device's type is GPU, CPU or ACCELERATOR only when the driver reports
 * exactly that one type (CL_DEVICE_TYPE_DEFAULT aside). A device reporting
 * several at once (Oclgrind, a simulator, reports CPU|GPU|ACCELERATOR) or
 * none of them (CL_DEVICE_TYPE_CUSTOM) is OTHER; clnn_device_rank_get gives
 * its raw CL_DEVICE_TYPE bits. */
typedef enum clnn_device_type {
    CLNN_DEVICE_CPU = 1,
    CLNN_DEVICE_GPU = 2,
    CLNN_DEVICE_ACCELERATOR = 4,
    CLNN_DEVICE_OTHER = 8
} clnn_device_type;

typedef struct clnn_device_info {
    unsigned index;             /* discovery position (loader's order), across platforms */
    unsigned platform_index;
    char platform_name[128];
    char platform_version[128];
    char vendor[128];
    char name[256];
    char driver_version[128];
    char opencl_version[128];   /* device version string, "OpenCL 3.0 ..." */
    char opencl_c_version[128];
    clnn_device_type type;
    unsigned compute_units;
    unsigned clock_mhz;
    size_t max_work_group_size;
    unsigned max_work_item_dims;
    size_t max_work_item_sizes[3];
    unsigned long long local_mem_size;
    int local_mem_dedicated;    /* 1: on-chip local memory; 0: emulated in global memory */
    unsigned long long global_mem_size;
    unsigned long long max_alloc_size;
    int has_fp16, has_fp64, has_subgroups;
    char key[512];              /* device key: vendor|name|driver|compute units */
} clnn_device_info;

/* Number of OpenCL devices over all platforms (0 is not an error). */
CLNN_API clnn_status clnn_device_count(size_t *count);
/* index: the discovery position, 0 .. count-1 (CLNN_ERR_DEVICE_NOT_FOUND past it). */
CLNN_API clnn_status clnn_device_info_get(size_t index, clnn_device_info *info);

/* Where a device stands in the ranking that clnn_device_select uses:
 *   1. available devices before unavailable ones (CL_DEVICE_AVAILABLE or
 *      CL_DEVICE_COMPILER_AVAILABLE false: never chosen, not even by index);
 *   2. GPUs, then CPUs, then accelerators, then OTHER devices (simulators);
 *   3. among GPUs, discrete ones (no host-unified memory) before integrated;
 *   4. more compute units x clock first;
 *   5. ties keep the discovery order.
 * The rank is a position in the list of all devices, so it depends on which
 * other devices are installed; the index does not change with it. */
typedef struct clnn_device_rank {
    unsigned index;             /* discovery position, as in clnn_device_info */
    unsigned rank;              /* 0 = first choice, .. count-1 */
    unsigned long long cl_type; /* CL_DEVICE_TYPE bits as the driver reports them */
    int available;              /* CL_DEVICE_AVAILABLE and CL_DEVICE_COMPILER_AVAILABLE */
    int host_unified_memory;    /* CL_DEVICE_HOST_UNIFIED_MEMORY: integrated GPU, CPU */
    char reason[160];           /* the rank in words: "discrete GPU, 132 CU x 1980 MHz",
                                   "CPU, 64 CU x 2600 MHz", "simulator: reports CPU|GPU|ACCELERATOR,
                                   chosen only by name or index", "unavailable: ..." */
} clnn_device_rank;

/* Ranks all devices and fills *rank for the device at discovery position index. */
CLNN_API clnn_status clnn_device_rank_get(size_t index, clnn_device_rank *rank);

/* Resolves a selector to a device index (the discovery position). selector
 * NULL or "" means the CLNN_DEVICE environment variable; if that is unset,
 * empty or "default", the default: the best-ranked available device of type
 * GPU, CPU or accelerator. Otherwise a selector is
 *   - an index ("1"): that device, which must be available;
 *   - a type ("gpu", "cpu", "accelerator", any case): the best-ranked
 *     available device of exactly that type;
 *   - else a case-insensitive substring of the vendor, device name or
 *     platform name ("nvidia", "pthread", "oclgrind"): the best-ranked
 *     available device that matches (so "amd" prefers an AMD GPU to PoCL's
 *     CPU device, whose vendor is "AuthenticAMD").
 * OTHER devices (a simulator reporting several types) are chosen only by
 * index or name, never by default or by type. A selector that matches no
 * available device fails with CLNN_ERR_DEVICE_NOT_FOUND and a message that
 * lists every device with its rank in words. */
CLNN_API clnn_status clnn_device_select(const char *selector, size_t *index);

/* The device for slot `slot` of several processes or threads that share a
 * machine (one per device, e.g. an MPI rank's local rank): the devices the
 * selector matches, in rank order, taken in turn, wrapping around when
 * there are more slots than devices. Slot 0 is clnn_device_select's choice.
 * The default takes the devices of the best-ranked one's type (every GPU
 * when there is one, never a CPU next to them); a type every available
 * device of that type; a name every available device it matches; an index
 * that one device. *matches (may be NULL) receives how many devices take
 * turns. Fails as clnn_device_select does. */
CLNN_API clnn_status clnn_device_select_nth(const char *selector, size_t slot, size_t *index, size_t *matches);

/* ----------------------------------------------------------------- context */

/* A context owns an OpenCL context and an in-order queue with profiling on,
 * plus the program cache and (later) tuning state for its device. */
CLNN_API clnn_status clnn_context_create(const char *selector, clnn_context **out);

/* Adopts a caller's OpenCL objects (retained; released again by
 * clnn_context_release). The queue must be in-order and belong to the context
 * and device. Without CL_QUEUE_PROFILING_ENABLE the profiler reports no times. */
CLNN_API clnn_status clnn_context_create_from_cl(cl_context context, cl_command_queue queue,
                                                 cl_device_id device, clnn_context **out);

/* Waits for queued work, then frees everything the context owns. Tensors made
 * from the context must be released first. NULL is ignored. */
CLNN_API void clnn_context_release(clnn_context *ctx);

CLNN_API clnn_status clnn_context_device(const clnn_context *ctx, clnn_device_info *info);

/* The context's OpenCL objects, for interop (not retained: do not release). */
CLNN_API clnn_status clnn_context_cl(const clnn_context *ctx, cl_context *context,
                                     cl_command_queue *queue, cl_device_id *device);

/* Waits until every command queued by the context has finished. */
CLNN_API clnn_status clnn_finish(clnn_context *ctx);

/* The last error message of ctx, or of the calling thread when ctx is NULL:
 * the message of the latest call that failed (a call that succeeds leaves
 * it as it was). Never NULL; "" when no error happened yet. */
CLNN_API const char *clnn_last_error(const clnn_context *ctx);

/* For libraries built on clnn (libclnn_mpi): records a failure of theirs as
 * clnn's own calls do, formatted from fmt, as the last error of ctx (when
 * not NULL) and of the calling thread, and returns status. status must be
 * an error (negative clnn_status) and fmt not NULL, else the call fails
 * with CLNN_ERR_INVALID_ARGUMENT and records that instead. */
CLNN_API clnn_status clnn_set_last_error(clnn_context *ctx, clnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --------------------------------------------------------- program cache */

typedef struct clnn_cache_stats {
    unsigned long memory_hits;   /* program found already built in this context */
    unsigned long source_builds; /* programs compiled from source */
    unsigned long disk_hits;     /* programs loaded from a cached binary */
    unsigned long disk_rejects;  /* cached binaries that were corrupt, stale or foreign */
    unsigned long disk_writes;   /* binaries written to the cache */
    double build_seconds;        /* wall time spent obtaining programs (source or binary) */
} clnn_cache_stats;

/* Binaries are cached in $CLNN_CACHE_DIR, else $XDG_CACHE_HOME/clnn/kernels,
 * else $HOME/.cache/clnn/kernels. CLNN_CACHE_DIR=off disables the disk cache.
 * The directory may be shared (also with other users): a cache file is used
 * only when it is a regular file (a link, FIFO or device there is a reject,
 * never followed or waited on) and passes its checksum; files are written
 * through temp files made with mkstemp and renamed into place. */
CLNN_API clnn_status clnn_context_cache_stats(const clnn_context *ctx, clnn_cache_stats *stats);

/* Builds (or loads) every kernel program clnn ships, with default options,
 * so that later calls pay no compile time. */
CLNN_API clnn_status clnn_context_build_all(clnn_context *ctx);

/* Device memory clnn allocated on this context (tensors and the scratch
 * buffers of calls; not buffers wrapped with clnn_tensor_wrap, nor CLBlast's
 * own temporaries): bytes live now and the most live at once since the
 * context was created or the peak was last reset. A buffer counts until the
 * OpenCL runtime frees it (after the last queued command that uses it), so
 * read after clnn_finish for settled figures. Frees are seen through memory-
 * object destructor callbacks: on a runtime that never calls them (Oclgrind
 * 21.10) live only grows. live and peak may be NULL. */
CLNN_API clnn_status clnn_context_memory_stats(const clnn_context *ctx, size_t *live, size_t *peak);
/* Sets the peak to the bytes live now. */
CLNN_API clnn_status clnn_context_memory_reset_peak(clnn_context *ctx);

/* ---------------------------------------------------------------- profiler */

/* Between start and stop, every kernel clnn enqueues is timed with profiling
 * events. stop waits for the queue and returns the summed device time. */
CLNN_API clnn_status clnn_profiler_start(clnn_context *ctx);
CLNN_API clnn_status clnn_profiler_stop(clnn_context *ctx, double *device_seconds,
                                        size_t *launches);

/* ----------------------------------------------------------------- tensors */

typedef enum clnn_dtype {
    CLNN_FLOAT32 = 0,
    CLNN_INT32 = 1
} clnn_dtype;

/* A new tensor of ndim (1..4) dimensions, each at least 1. Contents are
 * undefined until written. */
CLNN_API clnn_status clnn_tensor_create(clnn_context *ctx, clnn_dtype dtype, int ndim,
                                        const size_t *shape, clnn_tensor **out);

/* Adopts a caller's buffer without taking ownership: the buffer must belong to
 * the context's cl_context and hold at least the tensor's bytes. */
CLNN_API clnn_status clnn_tensor_wrap(clnn_context *ctx, cl_mem buffer, clnn_dtype dtype,
                                      int ndim, const size_t *shape, clnn_tensor **out);

/* Frees the tensor (and its buffer unless wrapped). NULL is ignored. */
CLNN_API void clnn_tensor_release(clnn_tensor *t);

/* Reinterprets the tensor with another shape of the same element count. */
CLNN_API clnn_status clnn_tensor_reshape(clnn_tensor *t, int ndim, const size_t *shape);

CLNN_API clnn_status clnn_tensor_shape(const clnn_tensor *t, int *ndim, size_t shape[CLNN_MAX_DIMS]);
CLNN_API size_t clnn_tensor_count(const clnn_tensor *t); /* elements; 0 for NULL */
CLNN_API clnn_dtype clnn_tensor_dtype(const clnn_tensor *t);
CLNN_API cl_mem clnn_tensor_buffer(const clnn_tensor *t); /* not retained */
CLNN_API clnn_context *clnn_tensor_context(const clnn_tensor *t); /* the context it was made on; NULL for NULL */

/* Blocking copies between host memory and the tensor; bytes must equal the
 * tensor's size in bytes exactly. */
CLNN_API clnn_status clnn_tensor_upload(clnn_tensor *t, const void *src, size_t bytes);
CLNN_API clnn_status clnn_tensor_download(const clnn_tensor *t, void *dst, size_t bytes);

/* t[i] = value (for int32 tensors value must be an integer in range). */
CLNN_API clnn_status clnn_tensor_fill(clnn_tensor *t, float value);
/* dst = src; same dtype and element count (shapes may differ). */
CLNN_API clnn_status clnn_tensor_copy(clnn_tensor *dst, const clnn_tensor *src);
/* x = alpha * x (fp32). */
CLNN_API clnn_status clnn_scale(clnn_tensor *x, float alpha);
/* y = alpha * x + y (fp32, same element count). */
CLNN_API clnn_status clnn_axpy(float alpha, const clnn_tensor *x, clnn_tensor *y);
/* t[i] = lo + (hi - lo) * clnn_philox_uniform(seed, stream, i). */
CLNN_API clnn_status clnn_tensor_random_uniform(clnn_tensor *t, uint64_t seed, uint32_t stream, float lo,
                                                float hi);
/* t[i] = mean + stddev * N(0,1) by Box-Muller on Philox words 2i and 2i+1. */
CLNN_API clnn_status clnn_tensor_random_normal(clnn_tensor *t, uint64_t seed, uint32_t stream, float mean,
                                               float stddev);

/* --------------------------------------------------------------------- rng */

/* Philox4x32-10, the counter-based generator behind every random mask and
 * noise kernel. Word `index` of stream (seed, stream) is
 *   philox4x32_10(counter = {index/4 low, index/4 high, stream, 0},
 *                 key = {seed low, seed high}) lane index % 4,
 * identical on the host and every device, whatever the local size. */
CLNN_API void clnn_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);
CLNN_API uint32_t clnn_philox_word(uint64_t seed, uint32_t stream, uint64_t index);
/* (word >> 8) / 2^24: uniform in [0, 1) with 24 bits. */
CLNN_API float clnn_philox_uniform(uint64_t seed, uint32_t stream, uint64_t index);

#include "clnn/regularizers.h"
#include "clnn/optim.h"
#include "clnn/tune.h"
#include "clnn/stochastic.h"
#include "clnn/layers.h"
#include "clnn/conv.h"
#include "clnn/norm.h"
#include "clnn/attention.h"
#include "clnn/outputs.h"
#include "clnn/representations.h"
#include "clnn/losses.h"
#include "clnn/metric_losses.h"
#include "clnn/gradcomb.h"
#include "clnn/sparse.h"
#include "clnn/contrastive.h"
#include "clnn/embedding.h"
#include "clnn/robust.h"

#ifdef __cplusplus
}
#endif
#endif /* CLNN_CLNN_H */
