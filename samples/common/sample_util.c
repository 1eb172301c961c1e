#include "sample_util.h"

#include "data_parallel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <math.h>

static void usage(FILE *f, const char *name, const char *about)
{
    fprintf(f,
            "usage: %s [flags]\n%s\n"
            "  --epochs N       training epochs\n"
            "  --batch N        mini-batch size\n"
            "  --lr X           learning rate\n"
            "  --seed N         seed for initialization, shuffling and masks\n"
            "  --device SEL     OpenCL device (index, gpu, cpu, vendor or name substring)\n"
            "  --data DIR       Fashion-MNIST directory (default: $CLNN_FASHION_MNIST or the Debian package)\n"
            "  --csv FILE       curves CSV (default: <sample>.csv)\n"
            "  --plot FILE.png  plot the curves with gnuplot\n"
            "  --train-limit N  train on the first N images only\n"
            "  --test-limit N   evaluate on the first N test images only\n"
            "  --dropout P      dropout probability (0 = off)\n"
            "  --weight-decay X decoupled weight decay (0 = off)\n"
            "  --label-smoothing X  label smoothing (0 = off)\n"
            "  --sparsity X     L1 / group-lasso strength (0 = off)\n"
            "  --cutout S       cutout square side in pixels (0 = off)\n"
            "  --quiet          no progress bar\n"
            "  --mpi            data-parallel over the ranks of mpirun, one device each (fashion_mlp)\n",
            name, about);
}

/* A flag without a value: 1 when flag is one (set in opt). */
static int switch_flag(const char *flag, sample_options *opt)
{
    if (strcmp(flag, "--quiet") == 0) opt->quiet = 1;
    else if (strcmp(flag, "--mpi") == 0) opt->mpi = 1;
    else return 0;
    return 1;
}

static int takes_value(const char *flag)
{
    static const char *const flags[] = {"--epochs", "--batch", "--lr",   "--seed", "--train-limit", "--test-limit",
                                        "--device", "--data",  "--plot", "--csv",  "--dropout", "--weight-decay",
                                        "--label-smoothing", "--sparsity", "--cutout", NULL};
    for (int i = 0; flags[i]; i++)
        if (strcmp(flag, flags[i]) == 0) return 1;
    return 0;
}

int sample_parse(int argc, char **argv, const char *name, const char *about, sample_options *opt)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        int takes = 1;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, name, about);
            return 1;
        } else if (switch_flag(a, opt)) {
            takes = 0;
        } else if (!takes_value(a)) {
            fprintf(stderr, "%s: unknown flag %s (see --help)\n", name, a);
            return -1;
        } else if (!v) {
            fprintf(stderr, "%s: %s needs a value (see --help)\n", name, a);
            return -1;
        } else if (strcmp(a, "--epochs") == 0) {
            long x = strtol(v, &end, 10);
            if (*end || x < 1 || x > 10000) goto bad;
            opt->epochs = (int)x;
        } else if (strcmp(a, "--batch") == 0) {
            long x = strtol(v, &end, 10);
            if (*end || x < 1 || x > 65536) goto bad;
            opt->batch = (size_t)x;
        } else if (strcmp(a, "--lr") == 0) {
            float x = strtof(v, &end);
            if (*end || !(x > 0 && x < 100)) goto bad;
            opt->lr = x;
        } else if (strcmp(a, "--seed") == 0) {
            unsigned long long x = strtoull(v, &end, 10);
            if (*end) goto bad;
            opt->seed = x;
        } else if (strcmp(a, "--train-limit") == 0 || strcmp(a, "--test-limit") == 0) {
            long x = strtol(v, &end, 10);
            if (*end || x < 1) goto bad;
            if (a[2] == 't' && a[3] == 'r') opt->train_limit = (size_t)x;
            else opt->test_limit = (size_t)x;
        } else if (strcmp(a, "--dropout") == 0 || strcmp(a, "--weight-decay") == 0 ||
                   strcmp(a, "--label-smoothing") == 0 || strcmp(a, "--sparsity") == 0 ||
                   strcmp(a, "--cutout") == 0) {
            float x = strtof(v, &end);
            if (*end || !(x >= 0 && x < 1000)) goto bad;
            if (strcmp(a, "--dropout") == 0) opt->dropout = x;
            else if (strcmp(a, "--weight-decay") == 0) opt->weight_decay = x;
            else if (strcmp(a, "--label-smoothing") == 0) opt->label_smoothing = x;
            else if (strcmp(a, "--sparsity") == 0) opt->sparsity = x;
            else opt->cutout = x;
        } else if (strcmp(a, "--device") == 0) {
            opt->device = v;
        } else if (strcmp(a, "--data") == 0) {
            opt->data = v;
        } else if (strcmp(a, "--plot") == 0) {
            opt->plot = v;
        } else if (strcmp(a, "--csv") == 0) {
            opt->csv = v;
        } else {
            fprintf(stderr, "%s: unknown flag %s (see --help)\n", name, a);
            return -1;
        }
        i += takes;
        continue;
    bad:
        fprintf(stderr, "%s: bad value '%s' for %s\n", name, v, a);
        return -1;
    }
    return 0;
}

void progress_bar(const char *label, size_t done, size_t total, double seconds)
{
    if (!isatty(2) && done != total) return; /* logs get only the final bar */
    const int width = 30;
    int filled = total ? (int)((double)done / (double)total * width) : width;
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r%s [%s] %zu/%zu %.1fs", label, bar, done, total, seconds);
    if (done == total) fprintf(stderr, "\n");
    fflush(stderr);
}

int write_curves_csv(const char *path, const epoch_row *rows, int n)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) return -1; /* never replace a link, device or directory */
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp) return -1;
    /* mkstemp (O_CREAT|O_EXCL) in the target's directory: a file or link
     * planted at a predictable temp name is never opened, and the rename
     * below stays atomic */
    snprintf(tmp, len, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 && fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return -1;
    }
    const int robust = n > 0 && rows[0].has_robust;
    fprintf(f, "epoch,loss,train_accuracy,test_accuracy,images_per_second,seconds%s\n",
            robust ? ",robust_accuracy" : "");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d,%.6f,%.4f,%.4f,%.1f,%.2f", rows[i].epoch, rows[i].loss, rows[i].train_accuracy,
                rows[i].test_accuracy, rows[i].images_per_second, rows[i].seconds);
        if (robust) fprintf(f, ",%.4f", rows[i].robust_accuracy);
        fprintf(f, "\n");
    }
    int ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

int plot_curves(const char *csv, const char *png, const char *title, int robust)
{
    FILE *g = popen("gnuplot 2>/dev/null", "w");
    if (!g) return -1;
    fprintf(g,
            "set terminal pngcairo size 900,420 noenhanced\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set multiplot layout 1,2 title '%s'\n"
            "set xlabel 'epoch'\nset key bottom right\nset grid\n"
            "set title 'training loss'\nplot '%s' using 1:2 skip 1 with linespoints title 'loss'\n"
            "set title 'accuracy'\nset yrange [0:1]\n"
            "plot '%s' using 1:3 skip 1 with linespoints title 'train', "
            "'%s' using 1:4 skip 1 with linespoints title 'test'",
            png, title, csv, csv, csv);
    if (robust) fprintf(g, ", '%s' using 1:7 skip 1 with linespoints title 'robust (PGD)'", csv);
    fprintf(g, "\nunset multiplot\n");
    return pclose(g) == 0 ? 0 : -1;
}

int sample_setup(const char *name, const sample_options *opt, fashion_set *train, fashion_set *test,
                 clnn_context **ctx, clnn_device_info *info)
{
    char err[2048];
    const char *dir = fashion_find_dir(opt->data);
    if (!dir) dir = opt->data ? opt->data : FASHION_DEFAULT_DIR; /* loading fails there with the how-to message */
    if (fashion_load(dir, "train", opt->train_limit, train, err, sizeof err) != 0 ||
        fashion_load(dir, "t10k", opt->test_limit, test, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        return 1;
    }
    *ctx = NULL;
    if ((opt->mpi ? dp_context_create(opt->device, ctx) : clnn_context_create(opt->device, ctx)) != CLNN_OK) {
        fprintf(stderr, "%s: %s\n", name, clnn_last_error(NULL));
        return 1;
    }
    clnn_context_device(*ctx, info);
    return 0;
}

void sample_save_curves(const char *name, const sample_options *opt, const epoch_row *rows)
{
    if (write_curves_csv(opt->csv, rows, opt->epochs) != 0) fprintf(stderr, "%s: cannot write %s\n", name, opt->csv);
    else if (opt->plot && plot_curves(opt->csv, opt->plot, name, opt->epochs > 0 && rows[0].has_robust) != 0)
        fprintf(stderr, "%s: gnuplot could not write %s (apt-get install gnuplot-nox)\n", name, opt->plot);
}

double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void shuffle_indices(uint32_t *idx, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        size_t j = (size_t)(s % i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

float cosine_lr(float lr, unsigned long step, unsigned long total)
{
    if (total == 0 || step > total) return 0.0f;
    double progress = (double)(step - 1) / (double)total;
    return (float)(0.5 * lr * (1.0 + cos(3.14159265358979323846 * progress)));
}
