/* What the tuning-database tests share: writing and reading small files, a
 * fake device (nothing in the database is about a real one) and the lookup. */
#ifndef CLNN_TEST_TUNE_DB_UTIL_H
#define CLNN_TEST_TUNE_DB_UTIL_H

#include "check.h"

#include <unistd.h>

#define ENTRY(dev, kernel, bucket, local) \
    "{\"device\":\"" dev "\",\"kernel\":\"" kernel "\",\"bucket\":[" #bucket ",1],\"local\":[" #local \
    "],\"params\":{},\"seconds\":1e-6,\"default_seconds\":2e-6,\"tuned_at\":100}"
#define HEADER "{\"format\":\"clnn-tuning\",\"version\":1,\"entries\":["
#define FAKE "FakeVendor|FakeGPU 9000|1.0|64"

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
}

/* The file's bytes (a static buffer: valid until the next call), NULL when it cannot be read. */
static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static inline int file_exists(const char *path) { return access(path, F_OK) == 0; }

static inline clnn_device_info fake_device(const char *vendor, const char *name, const char *driver,
                                           clnn_device_type type)
{
    clnn_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.vendor, sizeof d.vendor, "%s", vendor);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.driver_version, sizeof d.driver_version, "%s", driver);
    d.type = type;
    d.compute_units = 64;
    snprintf(d.key, sizeof d.key, "%s|%s|%s|%u", vendor, name, driver, 64u);
    return d;
}

static inline void lookup(const clnn_device_info *d, const char *kernel, size_t n, clnn_tune_match *m, int *keeps,
                          clnn_tune_config *cfg)
{
    size_t problem[2] = {n, 1};
    clnn_status st = clnn_tune_db_lookup(d, kernel, problem, m, keeps, cfg);
    CHECK(st == CLNN_OK, "lookup %s: %s", kernel, clnn_last_error(NULL));
}

#endif
