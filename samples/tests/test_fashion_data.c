/* The IDX reader on generated files (gzip and plain, good and damaged: wrong
 * image size, wrong magic, a count mismatch, bytes changed inside a stored
 * gzip stream, trailing bytes, a FIFO), the explicit data directory that must
 * not fall back to another copy, the missing-data message, the curves CSV
 * beside a planted link, the flags parser and the deterministic shuffle. A
 * hang is a failure (SIGALRM). */
#include "fashion_data.h"
#include "sample_util.h"
#include "sample_check.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <math.h>

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL: reading the data hung (no answer within the alarm)\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(2);
    _exit(1);
}

/* A gzip file of data in stored (uncompressed) deflate blocks, written by
 * hand so that bytes changed in the middle are caught only by the CRC in the
 * trailer, and padded (a file name in the header) so that the deflate data
 * ends on an 8 KiB boundary: zlib then hands out the last payload byte before
 * it has read the trailer, and only a reader that reads on to the end sees
 * the damage (the old loader accepted it, as it did a real damaged file). */
static void write_stored_gz(const char *path, const unsigned char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    size_t blocks = (n + 65534) / 65535, body = 10 + 1 + 5 * blocks + n, name = (8192 - body % 8192) % 8192 + 8192;
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 8 /* FNAME */, 0, 0, 0, 0, 0, 3};
    fwrite(header, 1, 10, f);
    for (size_t i = 0; i < name; i++) fputc('p', f);
    fputc(0, f);
    size_t off = 0;
    do {
        size_t len = n - off > 65535 ? 65535 : n - off;
        unsigned char bh[5] = {(unsigned char)(off + len == n), (unsigned char)len, (unsigned char)(len >> 8),
                               (unsigned char)~len, (unsigned char)(~len >> 8)};
        fwrite(bh, 1, 5, f);
        fwrite(data + off, 1, len, f);
        off += len;
    } while (off < n);
    unsigned long crc = crc32(0L, data, (uInt)n);
    unsigned char trailer[8] = {(unsigned char)crc, (unsigned char)(crc >> 8), (unsigned char)(crc >> 16),
                                (unsigned char)(crc >> 24), (unsigned char)n, (unsigned char)(n >> 8),
                                (unsigned char)(n >> 16), (unsigned char)(n >> 24)};
    fwrite(trailer, 1, 8, f);
    fclose(f);
}

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

/* The data directory and its four files (train and t10k, images and labels),
 * the images and labels the good files hold, and the last error message. */
static char dir[] = "/tmp/clnn-fashion-XXXXXX";
static char p_img[512], p_lab[512], p_timg[512], p_tlab[512];
static const unsigned n = 5, r = 28, c = 28;
static unsigned char img[5 * 28 * 28];
static const unsigned char lab[5] = {0, 9, 3, 3, 7};
static unsigned di[3], dl[1];
static char err[1024];

/* missing files: the message says how to get the data; an explicit
 * directory (--data, $CLNN_FASHION_MNIST) is used as it is, never
 * replaced by another copy */
static void missing_data(void)
{
    fashion_set s;
    CHECK(fashion_find_dir(dir) == dir, "an explicit directory is used even without the files");
    CHECK(fashion_load(dir, "train", 0, &s, err, sizeof err) == -1, "missing files fail");
    CHECK(strstr(err, "apt-get install dataset-fashion-mnist") && strstr(err, "--data") && strstr(err, dir),
          "message: %s", err);
    setenv("CLNN_FASHION_MNIST", "/nonexistent", 1);
    const char *found = fashion_find_dir(NULL);
    CHECK(found && strcmp(found, "/nonexistent") == 0, "CLNN_FASHION_MNIST=/nonexistent is not replaced by %s",
          found ? found : "(nothing)");
    unsetenv("CLNN_FASHION_MNIST");
}

/* good files, gzip and plain: pixels scaled to [0,1], labels, the limit */
static void good_files(void)
{
    fashion_set s;
    write_idx(p_img, 3, di, img, sizeof img, 1, 0);
    write_idx(p_lab, 1, dl, lab, sizeof lab, 1, 0);
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
}

/* damage: truncated payload, wrong magic, label out of range, count mismatch */
static void damaged_files(void)
{
    fashion_set s;
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
    write_idx(p_tlab, 1, dl, lab, sizeof lab, 1, 0);
    /* images that are not 28 x 28 (1 x 1 crashed the samples, 64 x 64 trained silently) */
    static const unsigned sides[2] = {1, 64};
    static unsigned char big[5 * 64 * 64];
    for (int i = 0; i < 2; i++) {
        unsigned dims[3] = {n, sides[i], sides[i]};
        write_idx(p_timg, 3, dims, big, (size_t)n * sides[i] * sides[i], 1, 0);
        CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "28 x 28"),
              "%ux%u images refused: %s", sides[i], sides[i], err);
    }
    /* labels given where images belong (magic 0x801) */
    write_idx(p_timg, 1, dl, lab, sizeof lab, 1, 0);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1, "labels as images refused: %s", err);
}

/* a damaged gzip stream, trailing bytes and a FIFO: refused, no hang */
static void damaged_gzip_and_fifo(void)
{
    fashion_set s;
    /* bytes changed inside a gzip stream: only the CRC in its trailer tells */
    enum { MANY = 100 };
    static unsigned char stored[16 + MANY * 784], many_labels[MANY];
    static const unsigned char stored_head[16] = {0, 0, 8, 3, 0, 0, 0, MANY, 0, 0, 0, 28, 0, 0, 0, 28};
    memcpy(stored, stored_head, 16);
    for (size_t i = 16; i < sizeof stored; i++) stored[i] = (unsigned char)(i * 2654435761u >> 24);
    unsigned dmany[1] = {MANY};
    write_idx(p_tlab, 1, dmany, many_labels, MANY, 1, 0);
    write_stored_gz(p_timg, stored, sizeof stored);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == 0 && s.count == MANY, "the stored gzip loads: %s", err);
    fashion_free(&s);
    FILE *g = fopen(p_timg, "r+b");
    CHECK(g && fseek(g, -8 - (long)sizeof stored / 2, SEEK_END) == 0 &&
              fwrite("sixty-four bytes of damage in the middle of the images file....", 1, 64, g) == 64 &&
              fclose(g) == 0, "damage the file");
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, p_timg),
          "a damaged gzip is refused: %s", err);
    write_idx(p_tlab, 1, dl, lab, sizeof lab, 1, 0);
    /* bytes after the payload the header announces */
    unsigned char longer[5 * 28 * 28 + 10] = {0};
    write_idx(p_timg, 3, di, longer, sizeof longer, 1, 0);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "longer"), "trailing bytes: %s", err);
    /* a FIFO instead of a file: refused, no hang */
    unlink(p_timg);
    CHECK(mkfifo(p_timg, 0644) == 0, "mkfifo");
    alarm(20);
    CHECK(fashion_load(dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "FIFO"), "FIFO: %s", err);
    alarm(0);
    unlink(p_timg);
}

/* a data directory past the path buffer: refused, never a cut path opened */
static void long_path(void)
{
    fashion_set s;
    static char long_dir[5000];
    memset(long_dir, 'a', sizeof long_dir - 1);
    long_dir[0] = '/';
    CHECK(fashion_load(long_dir, "t10k", 0, &s, err, sizeof err) == -1 && strstr(err, "path is longer"),
          "a %zu-byte directory path: %s", strlen(long_dir), err);
}

/* the curves CSV never writes through a link planted at the old temp name */
static void curves_csv_past_a_link(void)
{
    char csv[600], planted[700], victim[600];
    snprintf(csv, sizeof csv, "%s/curves.csv", dir);
    snprintf(planted, sizeof planted, "%s.tmp", csv);
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    FILE *v = fopen(victim, "w");
    CHECK(v && fputs("precious\n", v) >= 0 && fclose(v) == 0, "write the victim");
    CHECK(symlink(victim, planted) == 0, "plant a link");
    epoch_row rows[2] = {{1, 0.5, 0.8, 0.7, 1000, 1.5}, {2, 0.25, 0.9, 0.85, 1100, 3.0}};
    CHECK(write_curves_csv(csv, rows, 2) == 0, "write the CSV");
    char line[128] = "";
    v = fopen(victim, "r");
    CHECK(v && fgets(line, sizeof line, v) && strcmp(line, "precious\n") == 0, "the link's target is untouched");
    if (v) fclose(v);
    struct stat st;
    v = fopen(csv, "r");
    CHECK(lstat(csv, &st) == 0 && S_ISREG(st.st_mode) && v && fgets(line, sizeof line, v) &&
              strncmp(line, "epoch,loss", 10) == 0, "the CSV is a regular file with its header");
    if (v) fclose(v);
}

/* the flags parser */
static void flags(void)
{
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
}

/* shuffle: a permutation, deterministic per seed */
static void shuffle(void)
{
    uint32_t a[100], b[100];
    shuffle_indices(a, 100, 5);
    shuffle_indices(b, 100, 5);
    int seen[100] = {0}, perm = 1;
    for (int i = 0; i < 100; i++) perm &= a[i] < 100 && !seen[a[i]]++;
    CHECK(perm && memcmp(a, b, sizeof a) == 0, "shuffle is a deterministic permutation");
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    snprintf(p_img, sizeof p_img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p_lab, sizeof p_lab, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(p_timg, sizeof p_timg, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(p_tlab, sizeof p_tlab, "%s/t10k-labels-idx1-ubyte.gz", dir);
    signal(SIGALRM, on_alarm);
    for (unsigned i = 0; i < n * r * c; i++) img[i] = (unsigned char)(i * 8);
    di[0] = n, di[1] = r, di[2] = c, dl[0] = n;

    missing_data();
    good_files();
    damaged_files();
    damaged_gzip_and_fifo();
    long_path();
    curves_csv_past_a_link();
    flags();
    shuffle();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    return sample_check_summary();
}
