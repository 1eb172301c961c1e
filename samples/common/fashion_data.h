/* Fashion-MNIST from the IDX files (gzip-compressed, as Debian's
 * dataset-fashion-mnist ships them under /usr/share/datasets/fashion-mnist). */
#ifndef SAMPLES_FASHION_DATA_H
#define SAMPLES_FASHION_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct fashion_set {
    size_t count;    /* images */
    size_t rows, cols;
    float *images;   /* count x rows x cols, scaled to [0, 1] */
    int32_t *labels; /* count, 0..9 */
} fashion_set;

#define FASHION_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FASHION_SIDE 28 /* images are FASHION_SIDE x FASHION_SIDE; fashion_load refuses others */

/* The data directory: `given` if not NULL, else $CLNN_FASHION_MNIST if set,
 * else the Debian package's directory. A directory the user named is
 * returned as it is, files or not (loading then fails with a message naming
 * it: never a silent switch to another copy); NULL only when nothing was
 * named and the package's directory holds no files. */
const char *fashion_find_dir(const char *given);

/* Loads "train" or "t10k" from dir, at most `limit` images (0 = all): 28 x 28
 * images and as many labels in 0..9. Returns 0, or -1 with a message in err
 * (for missing files: how to get the data). */
int fashion_load(const char *dir, const char *split, size_t limit, fashion_set *out, char *err, size_t errlen);
void fashion_free(fashion_set *s);

/* Reads one gzip-compressed (or plain) IDX file: magic 0x0000080N, dims, u8
 * payload, and nothing after it; a gzip file must pass its CRC check, a FIFO
 * or device is refused without being read. *dims gets up to 3 sizes; returns
 * the payload (malloc'ed) or NULL with a message in err. */
uint8_t *idx_read(const char *path, int *ndims, size_t dims[3], char *err, size_t errlen);

#endif
