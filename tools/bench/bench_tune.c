/* Tuned vs default: for each tunable kernel clnn can exercise without a
 * model, the autotuner (random search, a small budget) times the heuristic
 * default and the candidates on one problem size in this run, and the row
 * reports launches per second of the best configuration against the
 * default's (ratio = speed-up; the tuner re-times the two against each other
 * at the end, and keeps the default unless a candidate beats it by more than
 * the noise: then the row reports the default, ratio 1). Nothing is stored in the
 * tuning database. --quick tunes the first kernel of each family only. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The family of "family.kernel" is the part before the dot. */
static int same_family(const char *a, const char *b)
{
    const char *da = strchr(a, '.'), *db = strchr(b, '.');
    size_t la = da ? (size_t)(da - a) : strlen(a), lb = db ? (size_t)(db - b) : strlen(b);
    return la == lb && strncmp(a, b, la) == 0;
}

void bench_tune(bench_env *env)
{
    /* 1-D kernels take P0 * P1 elements; 2-D ones rows x columns (docs/tuning.md) */
    const size_t problem[2] = {env->quick ? 256 : 1024, env->quick ? 256 : 1024};
    clnn_tune_options opt;
    clnn_tune_options_init(&opt);
    opt.strategy = CLNN_TUNE_RANDOM;
    opt.budget_count = env->quick ? 3 : 8;
    opt.repeats = (unsigned)(env->repeats < 3 ? 3 : env->repeats);
    opt.store = 0;
    double log_sum = 0;
    size_t tuned = 0;
    char last_family[64] = "";
    for (size_t i = 0; i < clnn_tune_kernel_count(); i++) {
        clnn_tune_kernel_info k;
        if (clnn_tune_kernel_info_get(i, &k) != CLNN_OK || !k.exercisable) continue;
        if (env->quick && same_family(k.id, last_family)) continue;
        snprintf(last_family, sizeof last_family, "%s", k.id);
        clnn_tune_result r;
        if (clnn_tune_kernel(env->ctx, k.id, problem, &opt, &r) != CLNN_OK || r.best_seconds <= 0 ||
            r.default_seconds <= 0) {
            fprintf(stderr, "bench tune: %s: %s\n", k.id, clnn_last_error(env->ctx));
            continue;
        }
        /* without a win beyond the noise the tuner keeps the default: so does the row */
        double t_tuned = r.improved ? r.best_seconds : r.default_seconds;
        char name[96];
        snprintf(name, sizeof name, "%s %zux%zu%s", k.id, r.problem[0], r.problem[1], r.improved ? "" : " (default kept)");
        bench_report(env, "tune", name, 1.0 / t_tuned, "runs/s", 1.0 / r.default_seconds, "heuristic default");
        log_sum += log(r.default_seconds / t_tuned);
        tuned++;
    }
    if (tuned) {
        char name[96];
        snprintf(name, sizeof name, "geometric mean over %zu kernels", tuned);
        bench_report(env, "tune", name, exp(log_sum / (double)tuned), "x", 1.0, "heuristic default");
    }
}
