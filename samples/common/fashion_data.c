#include "fashion_data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static int has_files(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

const char *fashion_find_dir(const char *given)
{
    /* a directory the user named is the one used: missing files there are an
     * error (fashion_load says so), never a quiet switch to another copy */
    if (given) return given;
    const char *env = getenv("CLNN_FASHION_MNIST");
    if (env && *env) return env;
    return has_files(FASHION_DEFAULT_DIR) ? FASHION_DEFAULT_DIR : NULL;
}

static int read_exact(gzFile f, void *buf, size_t n)
{
    return n == 0 || gzread(f, buf, (unsigned)n) == (int)n;
}

static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISDIR(mode) ? "a directory" : S_ISSOCK(mode) ? "a socket"
         : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "not a regular file";
}

/* Opens a regular file for zlib: a FIFO or device is refused, not read (it could block for ever). */
static gzFile open_regular(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is %s, not a regular file", path, kind_of(st.st_mode));
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
        errno = EINVAL;
    }
    gzFile f = fd >= 0 ? gzdopen(fd, "rb") : NULL; /* zlib reads plain files transparently too */
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    return f;
}

uint8_t *idx_read(const char *path, int *ndims, size_t dims[3], char *err, size_t errlen)
{
    gzFile f = open_regular(path, err, errlen);
    if (!f) return NULL;
    unsigned char head[4];
    uint8_t *data = NULL;
    if (!read_exact(f, head, 4) || head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] < 1 || head[3] > 3) {
        snprintf(err, errlen, "%s is not an IDX file of unsigned bytes", path);
        goto out;
    }
    *ndims = head[3];
    size_t total = 1;
    for (int i = 0; i < *ndims; i++) {
        unsigned char b[4];
        if (!read_exact(f, b, 4)) {
            snprintf(err, errlen, "%s: truncated header", path);
            goto out;
        }
        dims[i] = ((size_t)b[0] << 24) | ((size_t)b[1] << 16) | ((size_t)b[2] << 8) | b[3];
        if (dims[i] == 0 || dims[i] > (1u << 24) || total > ((size_t)1 << 32) / dims[i]) {
            snprintf(err, errlen, "%s: implausible dimension %zu", path, dims[i]);
            goto out;
        }
        total *= dims[i];
    }
    data = malloc(total);
    if (!data || !read_exact(f, data, total)) {
        snprintf(err, errlen, "%s: %s", path, data ? "truncated or damaged payload" : "out of memory");
        goto fail;
    }
    /* on to the end: zlib checks the CRC in the gzip trailer only when it
     * reads it, and a file longer than its header says is not an IDX file */
    unsigned char extra;
    int more = gzread(f, &extra, 1), zerr = Z_OK;
    const char *zmsg = gzerror(f, &zerr);
    if (more != 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR)) {
        if (more > 0) snprintf(err, errlen, "%s is longer than its header says", path);
        else {
            const char *colon = strncmp(zmsg, "<fd:", 4) == 0 ? strstr(zmsg, ": ") : NULL; /* gzdopen's name */
            snprintf(err, errlen, "%s is damaged (zlib: %s)", path, colon ? colon + 2 : zmsg);
        }
        goto fail;
    }
    int closed = gzclose(f);
    f = NULL;
    if (closed != Z_OK) { /* Z_BUF_ERROR: the gzip stream stops in the middle */
        snprintf(err, errlen, "%s is damaged or truncated (zlib status %d)", path, closed);
        goto fail;
    }
    return data;
fail:
    free(data);
    data = NULL;
out:
    if (f) gzclose(f);
    return data;
}

void fashion_free(fashion_set *s)
{
    free(s->images);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

int fashion_load(const char *dir, const char *split, size_t limit, fashion_set *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    int nd_img = 0, nd_lab = 0;
    size_t dimg[3] = {0}, dlab[3] = {0};
    if (strlen(dir) + strlen(split) + 32 > sizeof path) { /* never open a cut path */
        snprintf(err, errlen, "the data directory's path is longer than %zu bytes", sizeof path - 32);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, split);
    uint8_t *img = idx_read(path, &nd_img, dimg, err, errlen);
    if (!img) goto missing;
    if (nd_img != 3 || dimg[1] != FASHION_SIDE || dimg[2] != FASHION_SIDE) {
        if (nd_img == 3)
            snprintf(err, errlen, "%s: the images are %zu x %zu; Fashion-MNIST's are 28 x 28", path, dimg[1], dimg[2]);
        else snprintf(err, errlen, "%s: not an images file (%d dimensions, not 3)", path, nd_img);
        free(img);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    uint8_t *lab = idx_read(path, &nd_lab, dlab, err, errlen);
    if (!lab) {
        free(img);
        goto missing;
    }
    if (nd_lab != 1 || dimg[0] != dlab[0]) {
        snprintf(err, errlen, "%s: images and labels disagree", dir);
        free(img);
        free(lab);
        return -1;
    }
    size_t n = limit && limit < dimg[0] ? limit : dimg[0], pix = dimg[1] * dimg[2];
    out->count = n;
    out->rows = dimg[1];
    out->cols = dimg[2];
    out->images = malloc(n * pix * sizeof(float));
    out->labels = malloc(n * sizeof(int32_t));
    if (!out->images || !out->labels) {
        snprintf(err, errlen, "out of memory for %zu images", n);
        free(img);
        free(lab);
        fashion_free(out);
        return -1;
    }
    for (size_t i = 0; i < n * pix; i++) out->images[i] = (float)img[i] * (1.0f / 255.0f);
    int bad_label = 0;
    for (size_t i = 0; i < n; i++) {
        out->labels[i] = lab[i];
        bad_label |= lab[i] > 9;
    }
    free(img);
    free(lab);
    if (bad_label) {
        snprintf(err, errlen, "%s: a label is outside 0..9", dir);
        fashion_free(out);
        return -1;
    }
    return 0;
missing:;
    size_t used = strlen(err);
    snprintf(err + used, errlen - used,
             "\nFashion-MNIST is missing from %s. On Debian: apt-get install dataset-fashion-mnist "
             "(files under /usr/share/datasets/fashion-mnist), or pass --data DIR / set CLNN_FASHION_MNIST "
             "to a directory with train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
             "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.", dir);
    return -1;
}
