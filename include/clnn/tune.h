/* clnn autotuner and tuning database (included by clnn/clnn.h).
 *
 * Every clnn kernel is "tunable": its work-group (local) size, and for some
 * kernels compile-time parameters such as work per item (WPT), can be chosen
 * per device and problem size without changing its results. The tuner times
 * candidate configurations and remembers the fastest in a tuning database;
 * launches look their configuration up there (docs/tuning.md).
 *
 * Database key: device key (clnn_device_info.key) x kernel id x problem bucket.
 * The bucket of a problem (p0, p1) is (next power of two >= p0, next power of
 * two >= p1); a 1-D kernel has p1 = 1.
 *
 * Lookup chain at each launch (mode cached or on): an entry for this exact
 * device key -> an entry for the same vendor and device name with another
 * driver or compute-unit count -> the defaults for this vendor and device type
 * shipped with clnn ("default|<vendor>|<cpu|gpu|accelerator|other>") -> the
 * defaults for any vendor of this type ("default|*|<type>") -> the built-in
 * heuristic. The database is read once per process into a hash table.
 *
 * Files: the user database is $CLNN_TUNE_DB if set, else
 * $XDG_CACHE_HOME/clnn/tuning.json, else $HOME/.cache/clnn/tuning.json; every
 * *.json in the system directory (<prefix>/share/clnn/tuning, or
 * $CLNN_TUNE_SYSTEM_DIR) is read too, never written. Only regular files are
 * read or written: a directory, FIFO, socket or device at a path is refused
 * (CLNN_ERR_IO for the calls below, a warning when loading), never renamed,
 * replaced or waited on. A symbolic link owned by this user (or root) leads
 * to the file that is read and updated (the link stays); another user's
 * link, a dangling link or a loop is refused. docs/tuning.md, "File rules".
 */
#ifndef CLNN_TUNE_H
#define CLNN_TUNE_H

#include "clnn/clnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------- modes */

typedef enum clnn_tune_mode {
    CLNN_TUNE_OFF = 0,    /* heuristic configurations only; the database is not read */
    CLNN_TUNE_CACHED = 1, /* database, else heuristic (the default) */
    CLNN_TUNE_ON = 2      /* as cached, and a launch whose key has no entry for this exact
                           * device is tuned on first use (by replaying it) and saved */
} clnn_tune_mode;

/* A context starts in the mode named by CLNN_TUNE ("off", "cached", "on");
 * unset or unrecognised means cached. */
CLNN_API clnn_status clnn_tune_set_mode(clnn_context *ctx, clnn_tune_mode mode);
CLNN_API clnn_status clnn_tune_get_mode(const clnn_context *ctx, clnn_tune_mode *mode);

/* ---------------------------------------------------------------- kernels */

#define CLNN_TUNE_MAX_PARAMS 4
#define CLNN_TUNE_MAX_VALUES 8

/* A configuration of one kernel: local size (unused dimensions are 1) and the
 * value of each compile-time parameter, in the kernel's parameter order. */
typedef struct clnn_tune_config {
    size_t local[3];
    int params[CLNN_TUNE_MAX_PARAMS];
} clnn_tune_config;

typedef struct clnn_tune_kernel_info {
    const char *id;          /* "family.kernel", e.g. "tensor.copy" */
    unsigned dims;           /* 1 or 2: dimensionality of the local size */
    unsigned nparams;
    const char *param_names[CLNN_TUNE_MAX_PARAMS];
    int param_values[CLNN_TUNE_MAX_PARAMS][CLNN_TUNE_MAX_VALUES];
    int param_counts[CLNN_TUNE_MAX_PARAMS];
    int param_fallback[CLNN_TUNE_MAX_PARAMS];
    int exercisable;         /* 1: clnn_tune_kernel can tune it without a model */
} clnn_tune_kernel_info;

/* The tunable kernels clnn ships, in a fixed order. */
CLNN_API size_t clnn_tune_kernel_count(void);
CLNN_API clnn_status clnn_tune_kernel_info_get(size_t index, clnn_tune_kernel_info *info);

/* "local=64" or "local=16x8 WPT=4" */
CLNN_API clnn_status clnn_tune_config_string(const char *kernel_id, const clnn_tune_config *cfg, char *buf,
                                             size_t len);

/* How a launch's configuration was found (the lookup chain above). */
typedef enum clnn_tune_match {
    CLNN_TUNE_MATCH_HEURISTIC = 0,   /* nothing in the database: the built-in heuristic */
    CLNN_TUNE_MATCH_EXACT = 1,       /* entry for this exact device key */
    CLNN_TUNE_MATCH_DEVICE_NAME = 2, /* same vendor and device name, other driver */
    CLNN_TUNE_MATCH_VENDOR_TYPE = 3, /* shipped default for this vendor and device type */
    CLNN_TUNE_MATCH_TYPE = 4,        /* shipped default for this device type */
    CLNN_TUNE_MATCH_FORCED = 5,      /* clnn_tune_force */
    CLNN_TUNE_MATCH_FALLBACK = 6     /* the chain's configuration did not fit the kernel's limits:
                                      * the largest that does (clnn_tune_fallbacks_get says why) */
} clnn_tune_match;

/* The configuration a launch of kernel_id for this problem would use now
 * (current mode, database, forced configuration, and the limits check a
 * launch makes, its __local arguments aside; database entries that do not
 * fit are passed over, as at a launch). match may be NULL. */
CLNN_API clnn_status clnn_tune_resolve(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                                       clnn_tune_config *cfg, clnn_tune_match *match);

/* Every launch of kernel_id on ctx uses cfg until clnn_tune_force(ctx, NULL,
 * NULL) (for experiments and tests; one kernel at a time). cfg must fit:
 * parameter values among the kernel's candidates, each local side within
 * CL_DEVICE_MAX_WORK_ITEM_SIZES, the work-items within the kernel's
 * CL_KERNEL_WORK_GROUP_SIZE and its local memory within the device's (for the
 * kernel built with cfg's parameters; clnn_tune_limits_get reports them);
 * otherwise CLNN_ERR_INVALID_ARGUMENT says why and nothing changes. Should a
 * launch's __local arguments still take it past the device's local memory,
 * that launch falls back like any other (clnn_tune_fallbacks_get). */
CLNN_API clnn_status clnn_tune_force(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg);

/* What a configuration of a kernel must respect on ctx's device. A GPU
 * lowers a kernel's work-group limit under register pressure, so the limit
 * belongs to the kernel built with given parameters, not to the device. */
typedef struct clnn_tune_limits {
    size_t max_local;                    /* work-items per group: the kernel's CL_KERNEL_WORK_GROUP_SIZE,
                                          * at most the device's CL_DEVICE_MAX_WORK_GROUP_SIZE */
    size_t max_sides[3];                 /* each side: CL_DEVICE_MAX_WORK_ITEM_SIZES */
    unsigned long long local_mem;        /* CL_KERNEL_LOCAL_MEM_SIZE before any __local argument is
                                          * set: its __local arrays (a launch's __local arguments
                                          * add to it) */
    unsigned long long device_local_mem; /* CL_DEVICE_LOCAL_MEM_SIZE */
    size_t preferred_multiple;           /* CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE (a warp or
                                          * wavefront; 1 if the driver does not say) */
    size_t loop_limit;                   /* loop iterations after which the device stops a
                                          * work-item's loops (found by running a probe kernel;
                                          * Mesa 22.3's llvmpipe: 65535); 0: none found. Launches
                                          * whose work-items would loop longer take a larger local
                                          * size or other parameters, else fail with
                                          * CLNN_ERR_UNSUPPORTED (docs/portability.md) */
} clnn_tune_limits;

/* The limits of kernel_id built with the parameters of cfg (cfg->local is
 * not used; cfg NULL: each parameter's fallback value) on ctx's device. */
CLNN_API clnn_status clnn_tune_limits_get(clnn_context *ctx, const char *kernel_id, const clnn_tune_config *cfg,
                                          clnn_tune_limits *limits);

/* Every launch checks its configuration against those limits (with its
 * __local arguments set) before it is enqueued. One that does not fit is
 * never a launch error: a database entry is passed over for the next link of
 * the lookup chain; any other configuration (forced, heuristic, the tuner's
 * default) falls back to the largest local size not above it that fits, with
 * its parameters if they fit, else the heuristic's, else its parameters
 * stepped down one value at a time (smaller tiles, lanes, vectors) until they
 * do. On a device that stops long loops (clnn_tune_limits.loop_limit) a
 * launch whose work-items would loop past it takes the next larger local
 * size, or other parameters, that stays under it. The context counts each
 * such event. */
typedef struct clnn_tune_fallbacks {
    size_t launches;        /* launches made with a fallback configuration */
    size_t entries_skipped; /* database entries passed over at launches */
    char last[512];         /* the latest, e.g. "softmax.forward: forced configuration local=256
                             * does not fit: 256 work-items per group, the kernel allows 128
                             * (CL_KERNEL_WORK_GROUP_SIZE); launched local=128"; "" when none */
} clnn_tune_fallbacks;
CLNN_API clnn_status clnn_tune_fallbacks_get(const clnn_context *ctx, clnn_tune_fallbacks *fallbacks);

/* ----------------------------------------------------------------- tuning */

typedef enum clnn_tune_strategy {
    CLNN_TUNE_EXHAUSTIVE = 0, /* every candidate */
    CLNN_TUNE_RANDOM = 1,     /* a seeded random sample of budget_count candidates */
    CLNN_TUNE_ANNEALING = 2   /* seeded simulated annealing over neighbouring candidates */
} clnn_tune_strategy;

#define CLNN_TUNE_MAX_COMPARE 4

typedef struct clnn_tune_options {
    size_t size;            /* sizeof(clnn_tune_options), set by clnn_tune_options_init */
    clnn_tune_strategy strategy;
    unsigned budget_count;  /* random/annealing: candidates timed besides the default */
    double budget_seconds;  /* stop searching after this much wall time; 0: no limit */
    uint64_t seed;          /* same seed, same candidates */
    unsigned warmup;        /* untimed runs per candidate */
    unsigned repeats;       /* timed runs per candidate; the median counts (1..64) */
    int store;              /* 1: record the outcome in the in-memory database */
    /* extra configurations timed in the same run, the same way (e.g. a fixed
     * local size of 64 and 256); times in clnn_tune_result.compare_seconds */
    clnn_tune_config compare[CLNN_TUNE_MAX_COMPARE];
    size_t ncompare;
    /* called after each candidate: done of total (total is an upper bound) */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
    /* test hook: candidates with this local[0] (not the default) produce a
     * corrupted output and claim a tenth of the default's time; the tuner must
     * reject them. 0: off. */
    size_t test_wrong_local;
} clnn_tune_options;

/* Defaults: exhaustive, budget 32, no time limit, seed 1, warmup 1, repeats 5, store 1.
 * opt NULL in the calls below means these. */
CLNN_API void clnn_tune_options_init(clnn_tune_options *opt);

typedef struct clnn_tune_result {
    char kernel[64];
    size_t problem[2];         /* the problem of the launch that was tuned */
    size_t bucket[2];          /* its database bucket */
    size_t space;              /* candidates in the space after the device's limits */
    size_t timed;              /* candidates run, checked and timed (default included) */
    size_t rejected;           /* candidates whose output differed from the default's */
    size_t failed;             /* candidates that failed to build or launch */
    clnn_tune_config default_config, best_config;
    /* device seconds, median; default and best re-timed against each other at the end */
    double default_seconds, best_seconds;
    double noise;              /* relative spread of the default's timings (>= 0.02) */
    double compare_seconds[CLNN_TUNE_MAX_COMPARE]; /* < 0: that configuration failed */
    int improved;              /* 1: best beats the default by more than the noise */
    int stored;                /* 1: the outcome went into the database */
    char rejected_text[256];   /* the rejected candidates, "local=64; local=128" */
} clnn_tune_result;

/* Tunes kernel_id on a synthetic problem of this size (random inputs through
 * the public op that launches it; docs/tuning.md lists the mapping). With
 * opt->store the outcome goes into the in-memory database: the best
 * configuration when it beats the default by more than the noise, else a
 * marker that keeps the heuristic. clnn_tune_db_save() persists it.
 * opt NULL: defaults. */
CLNN_API clnn_status clnn_tune_kernel(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                                      const clnn_tune_options *opt, clnn_tune_result *result);

/* The candidates the strategy would time for this kernel and problem, the
 * default first (random: the seeded sample; exhaustive and annealing: the
 * whole filtered space). Writes up to cap configurations; *count gets the total. */
CLNN_API clnn_status clnn_tune_candidates(clnn_context *ctx, const char *kernel_id, const size_t problem[2],
                                          const clnn_tune_options *opt, clnn_tune_config *out, size_t cap,
                                          size_t *count);

/* --------------------------------------------------------------- database */

/* The user database path (see the top of this header), whole: a len too
 * small for it is CLNN_ERR_INVALID_ARGUMENT (nothing written), never a cut path. */
CLNN_API clnn_status clnn_tune_db_path(char *buf, size_t len);

/* Forgets the in-memory database; the next lookup reads the files again. */
CLNN_API clnn_status clnn_tune_db_reload(void);

/* Merges the in-memory user entries into the user database file: under an
 * exclusive lock on "<path>.lock" (waited for at most
 * $CLNN_TUNE_DB_LOCK_TIMEOUT seconds, default 10; the error names the
 * holder), re-reads the file, keeps the newer entry of each key, writes a
 * complete temp file and renames it into place. A file whose contents are
 * not a clnn tuning database is kept as "<path>.rejected" (then
 * ".rejected.2", ...: no copy is overwritten), never silently overwritten; a
 * file that cannot be read (permissions, not a regular file) is an error and
 * stays as it is. A failed save changes no file. */
CLNN_API clnn_status clnn_tune_db_save(void);

/* Adds the entries of a database file to the in-memory user entries (newer
 * wins per key). *added (may be NULL) gets the number of entries taken. */
CLNN_API clnn_status clnn_tune_db_import(const char *path, size_t *added);

/* Writes the in-memory user entries (only those whose device key contains
 * device_filter, when it is not NULL) to a file, atomically. */
CLNN_API clnn_status clnn_tune_db_export(const char *path, const char *device_filter, size_t *written);

/* Merges database files into dst (created if missing), under dst's lock,
 * newer entry per key wins; the in-memory database is not touched. */
CLNN_API clnn_status clnn_tune_db_merge(const char *dst, const char *const *srcs, size_t nsrcs,
                                        size_t *entries);

/* Looks up (kernel_id, problem) for a device description without a context:
 * the lookup chain above (fake device keys welcome). *match gets the level;
 * *keeps_default is 1 when the entry says the heuristic is best; cfg gets the
 * stored configuration otherwise (parameters not stored get their fallback). */
CLNN_API clnn_status clnn_tune_db_lookup(const clnn_device_info *device, const char *kernel_id,
                                         const size_t problem[2], clnn_tune_match *match,
                                         int *keeps_default, clnn_tune_config *cfg);

typedef struct clnn_tune_db_stats {
    size_t user_entries;      /* in memory, from the user file, imports and tuning */
    size_t system_entries;    /* from the shipped read-only files */
    unsigned files_loaded;
    unsigned files_rejected;  /* unreadable, corrupt, truncated or foreign-version files */
    unsigned entries_rejected;/* malformed entries skipped in otherwise valid files */
    char user_path[1024];     /* "" when the path is longer: clnn_tune_db_path gives it whole */
    char last_warning[512];   /* "" when all was well */
} clnn_tune_db_stats;

CLNN_API clnn_status clnn_tune_db_stats_get(clnn_tune_db_stats *stats);

/* Host nanoseconds per database lookup (the cost a launch pays in modes
 * cached and on), measured over `iterations` lookups of kernel_id on ctx's
 * device. */
CLNN_API clnn_status clnn_tune_bench_lookup(clnn_context *ctx, const char *kernel_id, size_t iterations,
                                            double *ns_per_lookup);


/* ---------------------------------------------------------- CLBlast's GEMM */

/* clnn's GEMMs (dense, conv2d, attention, the orthogonality and spectral
 * terms) run on CLBlast, whose kernels take tuning parameters of their own
 * from CLBlast's database, which knows a few dozen devices. For any other
 * device clnn can tune two of them:
 *   "clblast.xgemm"         CLBlast's Xgemm: the tiled GEMM of large products
 *                           (16 parameters: GEMMK, KREG, KWG, KWI, MDIMA,
 *                           MDIMC, MWG, NDIMB, NDIMC, NWG, SA, SB, STRM, STRN,
 *                           VWM, VWN; GEMMK 0, KREG 1, STRM/STRN 0 here)
 *   "clblast.xgemm_direct"  XgemmDirect: the GEMM of small products (KWID,
 *                           MDIMAD, MDIMCD, NDIMBD, NDIMCD, PADA, PADB, VWMD,
 *                           VWND, WGD)
 * The winner is kept in this tuning database (device key x kernel, bucket
 * [1, 1]: CLBlast uses one parameter set per device and kernel) and, in modes
 * cached and on, applied with CLBlastOverrideParameters before a context's
 * first GEMM (once per process and device: CLBlast's parameters are
 * process-wide). clnn-tune --clblast runs the search, each candidate in a
 * process of its own (docs/tuning.md). */
#define CLNN_CLBLAST_MAX_PARAMS 16

typedef struct clnn_clblast_params {
    size_t count;                          /* parameters in names/values */
    char names[CLNN_CLBLAST_MAX_PARAMS][16];
    size_t values[CLNN_CLBLAST_MAX_PARAMS];
} clnn_clblast_params;

/* Largest accepted error of a candidate's GEMM, relative to the sum of the
 * magnitudes of its terms (see clnn_tune_clblast_measure). */
#define CLNN_CLBLAST_MAX_ERROR 1e-4

/* Valid parameter sets of kernel_id for ctx's device (CLBlast's constraints,
 * the device's work-group size and local memory), a seeded sample of at most
 * `budget` of them (0: all), in a fixed order for a given seed. Writes up to
 * cap sets; *count gets how many the sample holds. */
CLNN_API clnn_status clnn_tune_clblast_candidates(clnn_context *ctx, const char *kernel_id, uint64_t seed,
                                                  size_t budget, clnn_clblast_params *out, size_t cap,
                                                  size_t *count);

/* Times one C = A·B (row-major, A [m, k], B [k, n], fixed pseudo-random
 * inputs in [-1, 1)) through CLBlast with params applied (NULL: CLBlast's own
 * parameters), forcing the kernel kernel_id names: *seconds gets the median
 * wall time of `repeats` runs (1..64) after an untimed one that builds the
 * program, *max_error the largest |C - C_ref| / sum_l |a_il b_lj| over the
 * checked entries against a double-precision host product (every row up to
 * 256 rows, else 256 rows spread over C). It changes this process's CLBlast
 * parameters for good (CLBlast 1.5 cannot restore its own), so it belongs in
 * a process that does nothing else: clnn-tune runs each candidate in one. */
CLNN_API clnn_status clnn_tune_clblast_measure(clnn_context *ctx, const char *kernel_id,
                                               const clnn_clblast_params *params, const size_t mnk[3],
                                               unsigned repeats, double *seconds, double *max_error);

/* Records the outcome for ctx's device in the in-memory database: params
 * (NULL: CLBlast's own parameters were best) with the measured times;
 * clnn_tune_db_save() persists it. */
CLNN_API clnn_status clnn_tune_clblast_store(clnn_context *ctx, const char *kernel_id,
                                             const clnn_clblast_params *params, double seconds,
                                             double default_seconds);

/* The database's entry of kernel_id for a device (the lookup chain above;
 * fake device keys welcome): *keeps_default 1 when CLBlast's own parameters
 * won, else params gets the stored set. *match CLNN_TUNE_MATCH_HEURISTIC when
 * there is none. */
CLNN_API clnn_status clnn_tune_clblast_lookup(const clnn_device_info *device, const char *kernel_id,
                                              clnn_clblast_params *params, int *keeps_default,
                                              clnn_tune_match *match);

/* What ctx's GEMMs use for kernel_id: applies the database's parameters now
 * if the context has not run a GEMM yet, then reports the set applied in this
 * process for ctx's device (*match CLNN_TUNE_MATCH_HEURISTIC and count 0:
 * CLBlast's own). */
CLNN_API clnn_status clnn_tune_clblast_applied(clnn_context *ctx, const char *kernel_id,
                                               clnn_clblast_params *params, clnn_tune_match *match);

/* "KWG=32 KWI=2 ..." and back: parse checks the names against kernel_id's
 * parameter list (every one exactly once) and the values are whole numbers. */
CLNN_API clnn_status clnn_tune_clblast_params_string(const clnn_clblast_params *params, char *buf, size_t len);
CLNN_API clnn_status clnn_tune_clblast_params_parse(const char *kernel_id, const char *text,
                                                    clnn_clblast_params *params);

#ifdef __cplusplus
}
#endif
#endif /* CLNN_TUNE_H */
