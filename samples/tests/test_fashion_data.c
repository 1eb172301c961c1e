/* The IDX reader on generated files (gzip and plain, good and damaged), the
 * missing-data message, the flags parser and the deterministic shuffle. */
#include "fashion_data.h"
#include "sample_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <math.h>

static int passed, failed;
#define CHECK(c, ...)                                                          \
    do {                                                                       \
        if (c) passed++;                                                       \
        else {                                                                 \
            failed++;                                                          \
            fprintf(stderr, "FAIL line %d: %s: ", __LINE__, #c);               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

static void write_idx(const char *path, int nd, const unsigned *dims, const unsigned char *payload, size_t n,
                      int gz, size_t cut)
{
    unsigned char head[16] = {0, 0, 8, (unsigned char)nd};
    size_t hl = 4;
    for (int i = 0; i < nd; i++) {
        head[hl++] = (unsigned char)(dims[i] >> 24);
        head[hl++] = (unsigned char)(dims[i] >> 16);
        head[hl++] = (unsigned char)(dims[i] >> 8);
        head[hl++] = (unsigned char)dims[i];
    }
    size_t total = hl + n - cut;
    unsigned char *all = malloc(hl + n);
    memcpy(all, head, hl);
    memcpy(all + hl, payload, n);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, all, (unsigned)total);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(all, 1, total, f);
        fclose(f);
    }
    free(all);
}

int main(void)
{
    char dir[] = "/tmp/clnn-fashion-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char p_img[512], p_lab[512], p_timg[512], p_tlab[512];
    snprintf(p_img, sizeof p_img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p_lab, sizeof p_lab, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(p_timg, sizeof p_timg, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(p_tlab, sizeof p_tlab, "%s/t10k-labels-idx1-ubyte.gz", dir);
    const unsigned n = 5, r = 3, c = 2;
    unsigned char img[5 * 3 * 2], lab[5] = {0, 9, 3, 3, 7};
    for (unsigned i = 0; i < n * r * c; i++) img[i] = (unsigned char)(i * 8);
    unsigned di[3] = {n, r, c}, dl[1] = {n};
    char err[1024] = "";

    /* missing files: the message says how to get the data */
    fashion_set s;
    CHECK(fashion_find_dir(dir) == NULL, "empty dir is not a data dir");
    CHECK(fashion_load(dir, "train", 0, &s, err, sizeof err) == -1, "missing files fail");
    CHECK(strstr(err, "apt-get install dataset-fashion-mnist") && strstr(err, "--data"), "message: %s", err);

    write_idx(p_img, 3, di, img, sizeof img, 1, 0);
    write_idx(p_lab, 1, dl, lab, sizeof lab, 1, 0);
    CHECK(fashion_find_dir(dir) == dir, "dir with files is found");
    CHECK(fashion_load(dir, "train", 0, &s, err, sizeof err) == 0, "load: %s", err);
    CHECK(s.count == n && s.rows == r && s.cols == c, "dims %zu %zu %zu", s.count, s.rows, s.cols);
    int ok = 1;
    for (unsigned i = 0; i < n * r * c; i++) ok &= fabsf(s.images[i] - (float)img[i] / 255.0f) <= 1e-7f;
    for (unsigned i = 0; i < n; i++) ok &= s.labels[i] == lab[i];
    CHECK(ok, "pixels scaled to [0,1] and labels read");
    fashion_free(&s);
    CHECK(fashion_load(dir, "train", 2, &s, err, sizeof err) == 0 && s.count == 2, "limit");
    fashion_free(&s);

    /* plain (uncompressed) files are read too */
    write_idx(p_timg, 3, di, img, sizeof img, 0, 0);
    write_idx(p_tlab, 1, dl, lab, sizeof lab, 0, 0);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == 0 && s.count == n, "plain IDX: %s", err);
    fashion_free(&s);

    /* damage: truncated payload, wrong magic, label out of range, count mismatch */
    write_idx(p_timg, 3, di, img, sizeof img, 1, 7);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "truncated"), "truncated: %s", err);
    FILE *f = fopen(p_timg, "wb");
    fputs("garbage", f);
    fclose(f);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "not an IDX"), "magic: %s", err);
    write_idx(p_timg, 3, di, img, sizeof img, 1, 0);
    unsigned char badlab[5] = {0, 1, 12, 3, 4};
    write_idx(p_tlab, 1, dl, badlab, sizeof badlab, 1, 0);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "label"), "label: %s", err);
    unsigned dl4[1] = {4};
    write_idx(p_tlab, 1, dl4, lab, 4, 1, 0);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "disagree"), "count: %s", err);

    /* flags */
    sample_options o = {0};
    char *argv1[] = {"x", "--epochs", "3", "--batch", "64", "--lr", "0.01", "--seed", "7", "--quiet"};
    CHECK(sample_parse(10, argv1, "x", "", &o) == 0 && o.epochs == 3 && o.batch == 64 && o.seed == 7 && o.quiet,
          "flags parsed");
    char *argv2[] = {"x", "--epochs", "zero"};
    CHECK(sample_parse(3, argv2, "x", "", &o) == -1, "bad value rejected");
    char *argv3[] = {"x", "--frobnicate"};
    CHECK(sample_parse(2, argv3, "x", "", &o) == -1, "unknown flag rejected");
    char *argv4[] = {"x", "--epochs"};
    CHECK(sample_parse(2, argv4, "x", "", &o) == -1, "missing value rejected");

    /* shuffle: a permutation, deterministic per seed */
    uint32_t a[100], b[100];
    shuffle_indices(a, 100, 5);
    shuffle_indices(b, 100, 5);
    int seen[100] = {0}, perm = 1;
    for (int i = 0; i < 100; i++) perm &= a[i] < 100 && !seen[a[i]]++;
    CHECK(perm && memcmp(a, b, sizeof a) == 0, "shuffle is a deterministic permutation");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
