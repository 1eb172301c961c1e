/* clnn-tune: lists clnn's tunable kernels, tunes them for a set of problem
 * sizes on the selected device (progress on stderr, a table at the end),
 * and exports, imports and merges tuning databases. */
#include "tune/clblast_tune.h"

#include <clnn/clnn.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZES 16
#define MAX_ROWS 1024
#define MAX_BUDGET_COUNT 1000000  /* candidates: every kernel's space is far smaller */
#define MAX_BUDGET_SECONDS 1e6

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clnn-tune [--device SEL] --list\n"
            "       clnn-tune [--device SEL] [--kernel ID[,ID...]] [--family NAME[,NAME...]] [--sizes N[xM][,...]]\n"
            "                 [--strategy S]"
            "\n"
            "                 [--budget N|Ns] [--seed N] [--repeats N] [--dry-run] [--no-save]\n"
            "       clnn-tune --export FILE [--filter DEVICE-SUBSTRING] | --import FILE | --merge DST SRC...\n"
            "       clnn-tune [--device SEL] --bench-lookup\n"
            "       clnn-tune [--device SEL] --clblast [--clblast-kernel ID[,ID]] [--clblast-size MxNxK[,...]] [--budget N]\n"
            "                 [--seed N] [--repeats N] [--dry-run] [--no-save]\n"
            "strategies: exhaustive (default), random, annealing; --budget 20 = candidates, --budget 30s = seconds\n"
            "sizes default to 4096,1048576 (elements for 1-D kernels; rows x cols for 2-D kernels)\n"
            "every row also times fixed local sizes of 64 and 256 (8x8 and 16x16 for 2-D kernels), \"-\" where the\n"
            "kernel does not take them on this device\n"
            "--clblast tunes CLBlast's GEMM kernels on a list of products timed together (default: square ones and\n"
            "the shapes of dense layers and convolutions; budget 8 candidates each, each measured in a process of its own)\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ progress */

typedef struct progress {
    size_t job, jobs;
    const char *kernel;
    size_t size[2];
} progress;

static void show_progress(void *user, size_t done, size_t total)
{
    const progress *p = user;
    int width = 30, filled = total ? (int)(width * done / total) : width;
    if (filled > width) filled = width;
    fprintf(stderr, "\r[%3zu/%zu] %-26s %9zux%-5zu [%.*s%*s] %zu/%zu  ", p->job + 1, p->jobs, p->kernel,
            p->size[0], p->size[1], filled, "##############################", width - filled, "", done, total);
    fflush(stderr);
}

/* -------------------------------------------------------------- parsing */

/* A whole number with nothing around it (no sign: strtoull would turn "-1"
 * into 2^64 - 1); 0, or -1 when s is not one or is out of range. */
static int parse_count(const char *s, const char **end_out, unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    if (errno) return -1;
    if (end_out) *end_out = end;
    else if (*end) return -1;
    return 0;
}

/* "N[xM][,N[xM]...]": 0; -1 when malformed, -2 when there are more than MAX_SIZES. */
static int parse_sizes(const char *s, size_t sizes[][2], size_t *n)
{
    *n = 0;
    while (*s) {
        const char *end;
        unsigned long long a, b = 1;
        if (parse_count(s, &end, &a) != 0 || a == 0 || a > SIZE_MAX) return -1;
        if (*end == 'x' && (parse_count(end + 1, &end, &b) != 0 || b == 0 || b > SIZE_MAX)) return -1;
        if (*n == MAX_SIZES) return -2; /* never dropped silently */
        sizes[*n][0] = (size_t)a;
        sizes[*n][1] = (size_t)b;
        (*n)++;
        if (*end == ',' && end[1]) end++;
        else if (*end) return -1;
        s = end;
    }
    return *n ? 0 : -1;
}

static int selected(const char *list, const char *id)
{
    if (!list) return 1;
    size_t len = strlen(id);
    for (const char *p = list; (p = strstr(p, id)); p += len)
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0')) return 1;
    return 0;
}

/* Whether id's family (the part before the '.') is in a comma-separated list. */
static int family_selected(const char *list, const char *id)
{
    if (!list) return 1;
    size_t len = strcspn(id, ".");
    for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, id, len) == 0) return 1;
    }
    return 0;
}

/* ------------------------------------------------------------- commands */

static int cmd_list(void)
{
    size_t n = clnn_tune_kernel_count();
    printf("%-28s %4s  %-10s %s\n", "kernel", "dims", "tunable by", "parameters");
    for (size_t i = 0; i < n; i++) {
        clnn_tune_kernel_info k;
        if (clnn_tune_kernel_info_get(i, &k) != CLNN_OK) continue;
        printf("%-28s %4u  %-10s local", k.id, k.dims, k.exercisable ? "clnn-tune" : "first use");
        for (unsigned p = 0; p < k.nparams; p++) {
            printf(" %s={", k.param_names[p]);
            for (int v = 0; v < k.param_counts[p]; v++) printf("%s%d", v ? "," : "", k.param_values[p][v]);
            printf("}");
        }
        printf("\n");
    }
    return 0;
}

static int cmd_bench_lookup(clnn_context *ctx)
{
    const char *id = "tensor.fill_f32";
    double ns = 0;
    if (clnn_tune_bench_lookup(ctx, id, 1000000, &ns) != CLNN_OK) {
        fprintf(stderr, "clnn-tune: %s\n", clnn_last_error(ctx));
        return 1;
    }
    clnn_tune_db_stats st;
    clnn_tune_db_stats_get(&st);
    printf("database lookup: %.1f ns per lookup (%zu user + %zu system entries)\n", ns, st.user_entries,
           st.system_entries);
    /* whole host-side launch of a 1-element fill, with and without the lookup */
    size_t one = 1;
    clnn_tensor *t = NULL;
    if (clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &one, &t) != CLNN_OK) return 1;
    double per[2];
    for (int mode = 0; mode < 2; mode++) {
        clnn_tune_set_mode(ctx, mode ? CLNN_TUNE_CACHED : CLNN_TUNE_OFF);
        const int n = 20000;
        clnn_finish(ctx);
        double t0 = now();
        for (int i = 0; i < n; i++) clnn_tensor_fill(t, (float)i);
        per[mode] = (now() - t0) * 1e6 / n;
        clnn_finish(ctx);
    }
    printf("host time per launch (fill of 1 element, enqueue only): mode off %.2f us, mode cached %.2f us\n",
           per[0], per[1]);
    clnn_tensor_release(t);
    return 0;
}

typedef struct row {
    clnn_tune_result r;
    char chosen[128];
} row;

static void print_table(const row *rows, size_t n)
{
    printf("\n%-28s %-12s %11s %11s %8s %11s %11s %-16s %s\n", "kernel", "size", "default us", "best us",
           "speed-up", "local64 us", "local256 us", "chosen", "rejected");
    double log_best = 0, log_64 = 0, log_256 = 0;
    size_t n64 = 0, n256 = 0;
    for (size_t i = 0; i < n; i++) {
        const clnn_tune_result *r = &rows[i].r;
        char size[32];
        snprintf(size, sizeof size, r->problem[1] > 1 ? "%zux%zu" : "%zu", r->problem[0], r->problem[1]);
        double speed = r->default_seconds / r->best_seconds;
        char fixed[2][16]; /* "-": the kernel does not take that local size here */
        for (int c = 0; c < 2; c++)
            snprintf(fixed[c], sizeof fixed[c], r->compare_seconds[c] > 0 ? "%.2f" : "-", 1e6 * r->compare_seconds[c]);
        printf("%-28s %-12s %11.2f %11.2f %7.3fx %11s %11s %-16s %zu\n", r->kernel, size, 1e6 * r->default_seconds,
               1e6 * r->best_seconds, speed, fixed[0], fixed[1], rows[i].chosen, r->rejected);
        log_best += log(speed);
        if (r->compare_seconds[0] > 0) log_64 += log(r->compare_seconds[0] / r->best_seconds), n64++;
        if (r->compare_seconds[1] > 0) log_256 += log(r->compare_seconds[1] / r->best_seconds), n256++;
    }
    if (n)
        printf("geometric-mean speed-up of tuned over: heuristic default %.3fx, local 64 %.3fx, local 256 %.3fx "
               "(%zu rows)\n",
               exp(log_best / (double)n), n64 ? exp(log_64 / (double)n64) : 0, n256 ? exp(log_256 / (double)n256) : 0,
               n);
}

typedef struct tune_args {
    const char *kernels, *families;
    size_t sizes[MAX_SIZES][2];
    size_t nsizes;
    clnn_tune_options opt;
    int dry_run, save;
} tune_args;

/* Fixed local sizes 64 and 256 (8x8 and 16x16 in 2-D), other parameters as the default's. */
static void set_compare(clnn_context *ctx, const clnn_tune_kernel_info *k, const size_t size[2], clnn_tune_options *o)
{
    clnn_tune_config def;
    clnn_tune_mode mode;
    clnn_tune_get_mode(ctx, &mode);
    clnn_tune_set_mode(ctx, CLNN_TUNE_OFF);
    clnn_tune_resolve(ctx, k->id, size, &def, NULL);
    clnn_tune_set_mode(ctx, mode);
    o->ncompare = 2;
    for (int i = 0; i < 2; i++) {
        o->compare[i] = def;
        o->compare[i].local[0] = k->dims > 1 ? (i ? 16 : 8) : (i ? 256 : 64);
        o->compare[i].local[1] = k->dims > 1 ? (i ? 16 : 8) : 1;
    }
}

/* The user database's path at its full length, malloc'ed (NULL: out of memory). */
static char *database_path(void)
{
    for (size_t len = 256; len <= ((size_t)1 << 24); len *= 2) {
        char *path = malloc(len);
        if (!path || clnn_tune_db_path(path, len) == CLNN_OK) return path;
        free(path); /* too small: clnn_tune_db_path says so and writes nothing */
    }
    return NULL;
}

/* Merges the in-memory database into the user's file; 0 on success. */
static int save_database(void)
{
    if (clnn_tune_db_save() != CLNN_OK) {
        fprintf(stderr, "clnn-tune: %s\n", clnn_last_error(NULL));
        return 1;
    }
    char *path = database_path();
    printf("saved to %s\n", path ? path : "the user database");
    free(path);
    return 0;
}

/* Kernel/size pairs that --kernel and --family select; needs no device. */
static size_t count_jobs(const tune_args *a)
{
    size_t nk = clnn_tune_kernel_count(), jobs = 0;
    for (size_t i = 0; i < nk; i++) {
        clnn_tune_kernel_info k;
        clnn_tune_kernel_info_get(i, &k);
        if (selected(a->kernels, k.id) && family_selected(a->families, k.id) && k.exercisable) jobs += a->nsizes;
    }
    return jobs;
}

static int no_match(const tune_args *a)
{
    fprintf(stderr, "clnn-tune: no tunable kernel matches --kernel %s --family %s (see --list)\n",
            a->kernels ? a->kernels : "(any)", a->families ? a->families : "(any)");
    return 2;
}

static int cmd_tune(clnn_context *ctx, tune_args *a)
{
    size_t nk = clnn_tune_kernel_count(), jobs = count_jobs(a);
    if (jobs == 0) return no_match(a);
    row *rows = calloc(jobs, sizeof *rows);
    if (!rows) return 1;
    size_t nrows = 0, job = 0;
    int rc = 0;
    double t0 = now();
    for (size_t i = 0; i < nk; i++) {
        clnn_tune_kernel_info k;
        clnn_tune_kernel_info_get(i, &k);
        if (!selected(a->kernels, k.id) || !family_selected(a->families, k.id) || !k.exercisable) continue;
        for (size_t s = 0; s < a->nsizes; s++, job++) {
            clnn_tune_options o = a->opt;
            set_compare(ctx, &k, a->sizes[s], &o);
            if (a->dry_run) {
                size_t count = 0;
                clnn_tune_config first;
                if (clnn_tune_candidates(ctx, k.id, a->sizes[s], &o, &first, 1, &count) != CLNN_OK) {
                    fprintf(stderr, "clnn-tune: %s\n", clnn_last_error(ctx));
                    rc = 1;
                    continue;
                }
                char def[128];
                clnn_tune_limits lim = {0};
                clnn_tune_config_string(k.id, &first, def, sizeof def);
                clnn_tune_limits_get(ctx, k.id, &first, &lim);
                printf("would tune %-24s size %zux%zu: %zu candidates (default %s, kernel limit %zu)\n", k.id,
                       a->sizes[s][0], a->sizes[s][1], count, def, lim.max_local);
                continue;
            }
            progress p = {job, jobs, k.id, {a->sizes[s][0], a->sizes[s][1]}};
            o.progress = show_progress;
            o.progress_user = &p;
            row *r = &rows[nrows];
            if (clnn_tune_kernel(ctx, k.id, a->sizes[s], &o, &r->r) != CLNN_OK) {
                fprintf(stderr, "\nclnn-tune: %s\n", clnn_last_error(ctx));
                rc = 1;
                continue;
            }
            clnn_tune_config_string(k.id, &r->r.best_config, r->chosen, sizeof r->chosen);
            if (!r->r.improved) snprintf(r->chosen, sizeof r->chosen, "default");
            if (r->r.rejected) fprintf(stderr, "\nclnn-tune: %s: rejected (wrong output): %s\n", k.id, r->r.rejected_text);
            nrows++;
        }
    }
    if (a->dry_run) {
        free(rows);
        return rc;
    }
    fprintf(stderr, "\r%*s\rtuned %zu kernel/size pairs in %.1f s\n", 100, "", nrows, now() - t0);
    print_table(rows, nrows);
    free(rows);
    /* nothing tuned (every pair failed): nothing to save, and no file to touch */
    if (nrows && a->save && a->opt.store && save_database() != 0) return 1;
    return rc;
}

/* The options that take a value (the rest are flags). */
static int takes_value(const char *arg)
{
    static const char *const with_value[] = {"--device", "--kernel", "--clblast-kernel", "--clblast-measure",
                                             "--clblast-params", "--clblast-size", "--family", "--export",
                                             "--filter", "--import", "--seed", "--repeats", "--sizes",
                                             "--strategy", "--budget", "--merge"};
    for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (strcmp(arg, with_value[i]) == 0) return 1;
    return 0;
}

static int fail(const char *what)
{
    fprintf(stderr, "clnn-tune: %s: %s\n", what, clnn_last_error(NULL));
    return 1;
}

/* What the command line asks for. */
typedef struct cli {
    const char *device, *export_path, *import_path, *filter, *clblast_measure, *clblast_params;
    int list, bench_lookup, merge_at, clblast, budget_given;
    clblast_args cb;
    tune_args a;
} cli;

/* --budget N (candidates) or Ns (seconds): 0, or 2 after a message. */
static int parse_budget(cli *c, const char *v)
{
    char *end;
    double b = strtod(v, &end);
    int seconds = end != v && strcmp(end, "s") == 0;
    /* a count is whole and at most MAX_BUDGET_COUNT: (unsigned)1e30 is undefined */
    int ok = end != v && (seconds || !*end) && b > 0 &&
             (seconds ? b <= MAX_BUDGET_SECONDS : b <= MAX_BUDGET_COUNT && b == floor(b));
    if (!ok) {
        fprintf(stderr, "clnn-tune: --budget wants a count (20) or seconds (30s): a whole count of 1..%d or "
                        "seconds up to %g, not '%s'\n", MAX_BUDGET_COUNT, MAX_BUDGET_SECONDS, v);
        return 2;
    }
    if (seconds) c->a.opt.budget_seconds = b;
    else c->a.opt.budget_count = (unsigned)b;
    c->budget_given = !seconds;
    return 0;
}

/* The search's options with a value (--seed, --repeats, --sizes, --strategy,
 * --budget): 0, or 2 after a message. */
static int parse_search_option(cli *c, const char *arg, const char *val)
{
    if (strcmp(arg, "--seed") == 0) {
        unsigned long long seed;
        if (parse_count(val, NULL, &seed) != 0) {
            fprintf(stderr, "clnn-tune: --seed wants a whole number in 0..%llu, not '%s'\n", ULLONG_MAX, val);
            return 2;
        }
        c->a.opt.seed = seed;
    } else if (strcmp(arg, "--repeats") == 0) {
        char *end;
        long r = strtol(val, &end, 10);
        if (end == val || *end || r < 1 || r > 64) {
            fprintf(stderr, "clnn-tune: --repeats wants a count of 1..64, not '%s'\n", val);
            return 2;
        }
        c->a.opt.repeats = (unsigned)r;
    } else if (strcmp(arg, "--sizes") == 0) {
        int r = parse_sizes(val, c->a.sizes, &c->a.nsizes);
        if (r == -2) {
            fprintf(stderr, "clnn-tune: --sizes takes at most %d sizes; '%s' has more\n", MAX_SIZES, val);
            return 2;
        }
        if (r != 0) {
            fprintf(stderr, "clnn-tune: --sizes wants N or NxM, comma-separated (at most %d), not '%s'\n",
                    MAX_SIZES, val);
            return 2;
        }
    } else if (strcmp(arg, "--strategy") == 0) {
        if (strcmp(val, "exhaustive") == 0) c->a.opt.strategy = CLNN_TUNE_EXHAUSTIVE;
        else if (strcmp(val, "random") == 0) c->a.opt.strategy = CLNN_TUNE_RANDOM;
        else if (strcmp(val, "annealing") == 0) c->a.opt.strategy = CLNN_TUNE_ANNEALING;
        else {
            fprintf(stderr, "clnn-tune: unknown strategy '%s'\n", val);
            return 2;
        }
    } else if (strcmp(arg, "--budget") == 0) {
        return parse_budget(c, val);
    } else {
        fprintf(stderr, "clnn-tune: unknown option '%s'\n", arg);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* An option that takes a value (takes_value), val: 0, or 2 after a message. */
static int parse_value_option(cli *c, const char *arg, const char *val)
{
    if (strcmp(arg, "--device") == 0) c->device = val;
    else if (strcmp(arg, "--kernel") == 0) c->a.kernels = val;
    else if (strcmp(arg, "--clblast-kernel") == 0) c->cb.kernels = val;
    else if (strcmp(arg, "--clblast-measure") == 0) c->clblast_measure = val;
    else if (strcmp(arg, "--clblast-params") == 0) c->clblast_params = val;
    else if (strcmp(arg, "--clblast-size") == 0) {
        size_t parsed[MAX_SIZES][3], n = 0;
        c->cb.sizes = val;
        if (clblast_parse_sizes(c->cb.sizes, parsed, MAX_SIZES, &n) != 0) {
            fprintf(stderr, "clnn-tune: --clblast-size wants MxNxK[,MxNxK...] (at most %d)\n", MAX_SIZES);
            return 2;
        }
    }
    else if (strcmp(arg, "--family") == 0) c->a.families = val;
    else if (strcmp(arg, "--export") == 0) c->export_path = val;
    else if (strcmp(arg, "--filter") == 0) c->filter = val;
    else if (strcmp(arg, "--import") == 0) c->import_path = val;
    else return parse_search_option(c, arg, val);
    return 0;
}

/* Reads the command line into c: -1 to go on, else the exit status (0 after
 * --help, 2 after a message about a bad command line). */
static int parse_args(cli *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--list") == 0) c->list = 1;
        else if (strcmp(arg, "--dry-run") == 0) c->a.dry_run = 1;
        else if (strcmp(arg, "--no-save") == 0) c->a.save = 0;
        else if (strcmp(arg, "--bench-lookup") == 0) c->bench_lookup = 1;
        else if (strcmp(arg, "--clblast") == 0) c->clblast = 1;
        else if (strcmp(arg, "--merge") == 0 && val) {
            c->merge_at = i + 1;
            break;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (!takes_value(arg)) {
            fprintf(stderr, "clnn-tune: unknown option '%s'\n", arg);
            usage(stderr);
            return 2;
        } else if (!val) {
            fprintf(stderr, "clnn-tune: %s wants a value\n", arg);
            usage(stderr);
            return 2;
        } else {
            int rc = parse_value_option(c, arg, argv[++i]);
            if (rc != 0) return rc;
        }
    }
    return -1;
}

/* The database commands (--merge, --import, --export), which need no device:
 * the exit status, or -1 when none was asked for. */
static int run_db_command(const cli *c, int argc, char **argv)
{
    const int merge_at = c->merge_at;
    if (merge_at) {
        size_t entries = 0;
        if (argc - merge_at < 2) {
            usage(stderr);
            return 2;
        }
        if (clnn_tune_db_merge(argv[merge_at], (const char *const *)argv + merge_at + 1, (size_t)(argc - merge_at - 1),
                               &entries) != CLNN_OK)
            return fail("--merge");
        printf("%s now holds %zu entries\n", argv[merge_at], entries);
        return 0;
    }
    if (c->import_path) {
        size_t added = 0;
        if (clnn_tune_db_import(c->import_path, &added) != CLNN_OK || clnn_tune_db_save() != CLNN_OK)
            return fail("--import");
        char *path = database_path();
        printf("imported %zu entries from %s into %s\n", added, c->import_path, path ? path : "the user database");
        free(path);
        return 0;
    }
    if (c->export_path) {
        size_t written = 0;
        if (clnn_tune_db_export(c->export_path, c->filter, &written) != CLNN_OK) return fail("--export");
        printf("exported %zu entries to %s\n", written, c->export_path);
        return 0;
    }
    return -1;
}

/* The commands on the device: one measurement for --clblast (a child's),
 * --bench-lookup, --clblast, or tuning clnn's kernels; the exit status. */
static int run_on_device(cli *c)
{
    tune_args *a = &c->a;
    clblast_args *cb = &c->cb;
    clnn_context *ctx = NULL;
    if (clnn_context_create(c->device, &ctx) != CLNN_OK) return fail("device");
    if (c->clblast_measure) { /* a child of --clblast: one measurement, nothing else */
        int rc = clblast_measure_child(ctx, c->clblast_measure, c->clblast_params, cb->sizes, a->opt.repeats);
        clnn_context_release(ctx);
        return rc;
    }
    clnn_device_info info;
    clnn_context_device(ctx, &info);
    fprintf(stderr, "clnn-tune %s on [%u] %s (%s)\n", clnn_version(), info.index, info.name, info.driver_version);
    int rc;
    if (c->bench_lookup) {
        rc = cmd_bench_lookup(ctx);
    } else if (c->clblast) {
        cb->device = c->device;
        cb->seed = a->opt.seed;
        cb->repeats = a->opt.repeats;
        cb->dry_run = a->dry_run;
        if (c->budget_given) cb->budget = a->opt.budget_count;
        rc = clblast_tune(ctx, cb);
        if (rc == 0 && !a->dry_run && a->save) rc = save_database();
    } else {
        /* compile everything first so that build time does not land in the progress */
        clnn_context_build_all(ctx);
        rc = cmd_tune(ctx, a);
    }
    clnn_context_release(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    c.cb = (clblast_args){NULL, NULL, NULL, 8, 1, 5, 0};
    clnn_tune_options_init(&c.a.opt);
    c.a.save = 1;
    parse_sizes("4096,1048576", c.a.sizes, &c.a.nsizes);
    int rc = parse_args(&c, argc, argv);
    if (rc < 0) rc = run_db_command(&c, argc, argv);
    if (rc >= 0) return rc;
    if (c.list) return cmd_list();
    if (!c.bench_lookup && !c.clblast && !c.clblast_measure && count_jobs(&c.a) == 0) return no_match(&c.a);
    return run_on_device(&c);
}
