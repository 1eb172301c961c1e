/* What every sample shares: flags, loading the data and making the context,
 * a progress bar, the curves CSV and plot. */
#ifndef SAMPLES_SAMPLE_UTIL_H
#define SAMPLES_SAMPLE_UTIL_H

#include "fashion_data.h"

#include <clnn/clnn.h>

#include <stddef.h>
#include <stdint.h>

typedef struct sample_options {
    int epochs;
    size_t batch;
    float lr;
    uint64_t seed;
    const char *device;
    const char *data;
    const char *plot;      /* PNG path or NULL */
    const char *csv;       /* CSV path */
    size_t train_limit;    /* use only the first N training images (0 = all) */
    size_t test_limit;     /* likewise for the test set */
    int quiet;             /* no progress bar */
    int mpi;               /* --mpi: data-parallel over the ranks of mpirun (fashion_mlp, data_parallel.h) */
    /* regularizer strengths: the sample sets its defaults, flags override,
     * 0 switches a term off (the ablation in samples/README.md) */
    float dropout;         /* --dropout P */
    float weight_decay;    /* --weight-decay X */
    float label_smoothing; /* --label-smoothing X */
    float sparsity;        /* --sparsity X: L1 / group-lasso strength */
    float cutout;          /* --cutout S: side of the cutout square in pixels (0 = off) */
} sample_options;

/* Parses the common flags into opt (defaults must be set by the caller).
 * Returns 0, 1 when --help was printed, -1 on a bad flag (message printed). */
int sample_parse(int argc, char **argv, const char *name, const char *about, sample_options *opt);

/* Loads the training and test sets (--data, else $CLNN_FASHION_MNIST, else
 * the package's directory; --train-limit, --test-limit), makes a context on
 * --device (with --mpi: this rank's device among those --device matches,
 * dp_context_create) and fills info with its device. Returns 0, or 1 after a
 * message that starts with name (missing data: how to get it). */
int sample_setup(const char *name, const sample_options *opt, fashion_set *train, fashion_set *test,
                 clnn_context **ctx, clnn_device_info *info);

/* One epoch's progress bar on stderr: call with done in [0, total]. */
void progress_bar(const char *label, size_t done, size_t total, double seconds);

typedef struct epoch_row {
    int epoch;
    double loss, train_accuracy, test_accuracy, images_per_second, seconds;
    int has_robust;         /* fashion_robust: the row has a robust accuracy */
    double robust_accuracy; /* accuracy under its PGD attack */
} epoch_row;

/* Writes the curves CSV atomically (a mkstemp temp file renamed over path;
 * a path that is a link, directory or device is refused), with a
 * robust_accuracy column when rows[0].has_robust; 0 on success. */
int write_curves_csv(const char *path, const epoch_row *rows, int n);
/* Plots loss and accuracies (the robust one with `robust`) with gnuplot into
 * a PNG; 0 on success. */
int plot_curves(const char *csv, const char *png, const char *title, int robust);
/* Writes opt->epochs rows to the CSV --csv names and, with --plot, plots
 * them; a message that starts with name for what fails (training goes on). */
void sample_save_curves(const char *name, const sample_options *opt, const epoch_row *rows);

double wall_seconds(void);
/* Cosine learning-rate decay from lr at step 1 to 0 after total steps
 * (Loshchilov & Hutter, SGDR, 2017). */
float cosine_lr(float lr, unsigned long step, unsigned long total);
/* Fisher-Yates shuffle of 0..n-1 from a seeded xorshift (deterministic). */
void shuffle_indices(uint32_t *idx, size_t n, uint64_t seed);

#endif
