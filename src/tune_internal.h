/* The tuner's own declarations, shared by its files:
 *   tune.c           the public API (include/clnn/tune.h) and the modes
 *   tune_hook.c      the hook dispatch asks for each launch: tuning runs
 *                    (clnn_tune_kernel's request, first use in mode on),
 *                    the forced configuration, the database's lookup chain
 *   tune_space.c     search spaces within the device's and the kernel's limits
 *   tune_replay.c    a launch replayed from snapshots: validation and timing
 *   tune_search.c    the strategies, the noise rule, the outcome of a tuning run
 *   tune_registry.c  the families' tables of kernels and their exercises
 *   tune_db*.c       the tuning database (tune_db_internal.h)
 * The tuner calls dispatch (clnn__dispatch, the limits check); dispatch
 * knows the tuner only through ctx->tuner (internal.h). */
#ifndef CLNN_TUNE_INTERNAL_H
#define CLNN_TUNE_INTERNAL_H

#include "internal.h"

#define CLNN_TUNE_MAX_REPEATS 64

/* ------------------------------------------------------------ tune_hook.c */

/* clnn_tune_kernel's request: the next launch of target is tuned with opt. */
typedef struct clnn__tune_request {
    const clnn__tunable *target;
    const clnn_tune_options *opt;
    clnn_tune_result *result;
    int done;
} clnn__tune_request;

/* A context's tuner, the data of its hook. */
typedef struct clnn__tuner {
    clnn_tune_mode mode;
    int busy;                     /* a tuning run is replaying a launch */
    clnn__tune_request *request;  /* set while clnn_tune_kernel runs its exercise */
    const clnn__tunable *forced;  /* clnn_tune_force's kernel and configuration */
    clnn__config forced_config;
} clnn__tuner;

/* The tuner installed on ctx (clnn__tuner_install), and its mode. */
clnn__tuner *clnn__tuner_of(const clnn_context *ctx);
clnn_tune_mode clnn__tune_mode(const clnn_context *ctx);
/* The configuration a launch gets without a tuning run: the forced one for
 * its kernel, else (mode not off) the first database entry down the lookup
 * chain whose configuration fits the kernel's limits (checked without
 * arguments); out->found 0: the heuristic (out->match says which link chose
 * it: an entry may say the heuristic is best). note: record each entry
 * passed over in ctx's fallback note (launches do; clnn_tune_resolve does not). */
clnn_status clnn__tune_choose(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, int note,
                              clnn__choice *out);

/* ----------------------------------------------------------- tune_space.c */

typedef struct clnn__tune_space {
    clnn__config *c;
    size_t n, cap;
} clnn__tune_space;

/* Every configuration of d's kernel within the device's and the kernel's
 * limits (the check every launch passes, with d's arguments when d->args is
 * not NULL); the default, already fitted, first. Parameter combinations
 * whose kernel does not build are left out. Free s->c. */
clnn_status clnn__tune_space_build(clnn_context *ctx, const char *fn, const clnn__launch_desc *d,
                                   const clnn__config *def, clnn__tune_space *s);
/* The order the strategy tries candidates in (index 0, the default, first):
 * random keeps a seeded sample of budget_count; the others keep all. */
void clnn__tune_space_order(clnn__tune_space *s, const clnn_tune_options *opt);
/* Whether cfg's parameters are among d's kernel's candidate values and cfg
 * fits the device and the kernel built with them (with d's arguments when
 * d->args is not NULL); *k gets that kernel, why (may be NULL) the reason
 * when it does not fit. */
int clnn__tune_config_fits(clnn_context *ctx, const char *fn, const clnn__launch_desc *d, const clnn__config *cfg,
                           cl_kernel *k, char *why, size_t len);
void clnn__config_to_public(const clnn__config *c, clnn_tune_config *p);
void clnn__config_from_public(const clnn__tunable *t, const clnn_tune_config *p, clnn__config *c);

/* ---------------------------------------------------------- tune_replay.c */

/* A real launch replayed with candidate configurations: its buffers are
 * snapshot once and restored before every run. */
typedef struct clnn__replay {
    clnn_context *ctx;
    const char *fn;
    const clnn__launch_desc *d;
    const clnn_tune_options *opt;
    size_t nbuf;
    cl_mem *buf, *snap;
    size_t *bytes;
    unsigned char **ref; /* the default's output in every buffer */
    unsigned char *scratch;
    double default_seconds;
    int no_restore;      /* the snapshot failed: launch on the buffers as they are */
} clnn__replay;

/* Copies every distinct buffer argument aside, as the launch must see it. */
clnn_status clnn__replay_init(clnn__replay *r);
void clnn__replay_free(clnn__replay *r);
/* Puts the buffers back as the launch found them. */
clnn_status clnn__replay_restore(clnn__replay *r);
/* Runs cfg once and compares every buffer with the default's output (or
 * records it, for the default). 1: same output; 0: differs; <0: error. */
int clnn__replay_check(clnn__replay *r, const clnn__config *cfg, int is_default);
/* Median time of cfg over opt->repeats runs after opt->warmup runs (the
 * device's clock, else the host's around each run); implausible times are
 * discarded. times[] (if not NULL) gets the kept ones sorted, *kept their
 * number. <0: failed. */
double clnn__replay_time(clnn__replay *r, const clnn__config *cfg, double *times, size_t *kept);
/* qsort's order of doubles, ascending. */
int clnn__tune_cmp_double(const void *a, const void *b);
/* The test hook (opt->test_wrong_local): whether cfg is planted wrong. */
int clnn__replay_planted(const clnn__replay *r, const clnn__config *cfg, int is_default);

/* ---------------------------------------------------------- tune_search.c */

/* A tuning run of one real launch: the default and the strategy's
 * candidates replayed, validated and timed, the outcome in *res (and in the
 * database when opt->store); *out gets the chosen configuration to launch
 * (exact: it ran already), with the buffers restored for it. A failure of
 * the run once the snapshots exist is out->deferred: the launch is still made. */
clnn_status clnn__tune_launch(clnn_context *ctx, const char *fn, const clnn__launch_desc *d,
                              const clnn_tune_options *opt, clnn_tune_result *res, clnn__choice *out);

/* -------------------------------------------------------- tune_registry.c */

/* Every tunable kernel clnn ships, in the order of the families' names and
 * of their tables; NULL past the last. */
const clnn__tunable *clnn__tunable_at(size_t index);
const clnn__tunable *clnn__tunable_find(const char *id);
/* Runs the public op that launches t on reproducible inputs of this problem
 * size; CLNN_ERR_UNSUPPORTED when t has no exercise. */
clnn_status clnn__tune_exercise(clnn_context *ctx, const clnn__tunable *t, const size_t problem[2]);
int clnn__tune_exercisable(const clnn__tunable *t);

/* -------------------------------------------------------------- tune_db*.c */

/* The database bucket of a problem: next power of two of each dimension. */
void clnn__tune_bucket(const size_t problem[2], size_t bucket[2]);
/* Database result for a launch: 0 nothing, 1 *cfg holds a stored
 * configuration (params not stored keep the values cfg came in with),
 * 2 the entry says the heuristic is best. *match gets the chain level. */
int clnn__tune_db_find(const clnn_device_info *dev, const clnn__tunable *t, const size_t problem[2],
                       clnn__config *cfg, clnn_tune_match *match);
/* The same from chain level `from` down (EXACT: the whole chain), so that a
 * caller can pass over an entry that does not fit; -1: the entry at *match
 * names a parameter or value t does not have. */
int clnn__tune_db_find_from(const clnn_device_info *dev, const clnn__tunable *t, const size_t problem[2],
                            clnn_tune_match from, clnn__config *cfg, clnn_tune_match *match);
/* Records an outcome for an exact device key in the in-memory user entries
 * (cfg NULL: keep the heuristic). persist 0: remembered for this process only. */
clnn_status clnn__tune_db_put(const clnn_device_info *dev, const clnn__tunable *t, const size_t problem[2],
                              const clnn__config *cfg, double seconds, double default_seconds, int persist);
/* Entries of CLBlast's kernels (named parameters, one per device and
 * kernel): found through the lookup chain (1 when found), stored in the
 * user layer; p NULL stores "CLBlast's own parameters are best". */
int clnn__tune_db_find_named(const clnn_device_info *dev, const char *kernel, clnn_clblast_params *p,
                             int *keeps_default, clnn_tune_match *match);
clnn_status clnn__tune_db_put_named(const clnn_device_info *dev, const char *kernel, const clnn_clblast_params *p,
                                    double seconds, double default_seconds);

#endif /* CLNN_TUNE_INTERNAL_H */
