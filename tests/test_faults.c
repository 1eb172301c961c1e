/* Faults around the on-disk program cache and kernel builds; each must end in
 * a clean fallback (build from source, skip the write) or a clear error,
 * never a crash, a half-written cache file or a wrong result:
 *   - the cache directory is a file, or sits below a file (any user), or is
 *     read-only (non-root only: root ignores permissions);
 *   - the disk fills up while a cache file is written (RLIMIT_FSIZE: writes
 *     past the limit fail with EFBIG, as on a full disk);
 *   - cache files are deleted, or replaced by another program's file, while a
 *     context that loaded them is still in use;
 *   - a kernel fails to compile: clear error, nothing cached, the failure is
 *     not remembered, other programs keep working.
 * (An allocation larger than the device allows is in test_errors.c.) */
#include "check.h"
#include "internal.h" /* clnn__binary_cache_store/load: src/binary_cache.c is built into this test */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

/* Runs a fill through a fresh context with the cache at dir; returns its stats. */
static clnn_cache_stats fill_in_new_context(const char *dir, const char *label)
{
    setenv("CLNN_CACHE_DIR", dir, 1);
    clnn_context *ctx = test_context();
    CHECK_OK(ctx, clnn_context_build_all(ctx));
    size_t n = 257;
    float out[257];
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    CHECK_OK(ctx, clnn_tensor_fill(t, 3.25f));
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == 3.25f && out[256] == 3.25f, "%s: kernels still run", label);
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    return s;
}

/* Files in dir: "bin" counts finished cache files (*.bin), "tmp" the temp
 * files a writer leaves behind (*.bin.tmp.*), "" everything (-1: no dir). */
static int count_files(const char *dir, const char *kind)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        int is_bin = len > 4 && strcmp(e->d_name + len - 4, ".bin") == 0;
        int is_tmp = strstr(e->d_name, ".tmp.") != NULL;
        int dots = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        n += strcmp(kind, "bin") == 0 ? is_bin : strcmp(kind, "tmp") == 0 ? is_tmp : !dots;
    }
    closedir(d);
    return n;
}

static void path(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", root, name); }

static void unwritable_directories(unsigned long programs)
{
    char file[512], below[600], ro[512];
    path(file, sizeof file, "a-file");
    FILE *f = fopen(file, "w");
    REQUIRE(f, "create %s", file);
    fputs("not a directory\n", f);
    fclose(f);
    snprintf(below, sizeof below, "%s/kernels", file);

    clnn_cache_stats s = fill_in_new_context(file, "cache dir is a file");
    CHECK(s.disk_writes == 0 && s.source_builds == programs, "file as cache dir: %lu writes, %lu builds",
          s.disk_writes, s.source_builds);
    s = fill_in_new_context(below, "cache dir below a file");
    CHECK(s.disk_writes == 0 && s.source_builds == programs, "dir below a file: %lu writes", s.disk_writes);

    path(ro, sizeof ro, "read-only");
    REQUIRE(mkdir(ro, 0555) == 0, "mkdir %s", ro);
    if (geteuid() == 0) {
        test_skip("read-only cache directory: running as root, which ignores permissions "
                  "(the file-as-directory cases above stand in for it)");
    } else {
        s = fill_in_new_context(ro, "read-only cache dir");
        CHECK(s.disk_writes == 0 && s.source_builds == programs, "read-only dir: %lu writes", s.disk_writes);
        CHECK(count_files(ro, "") == 0, "nothing was written into the read-only directory");
    }
    chmod(ro, 0755);
}

/* Full disk: with the file-size limit lowered (RLIMIT_FSIZE, SIGXFSZ
 * ignored), writes past it fail with EFBIG, as on a full disk. The store is
 * driven directly (src/binary_cache.c is compiled into this test): through a
 * context, PoCL writes its own compiled kernels first, and LLVM aborts the
 * process when that write fails -- a PoCL limitation, reported in
 * docs/reliability.md. Runs before any OpenCL call, so no runtime thread
 * writes meanwhile. */
static void full_disk(void)
{
    char dir[512];
    path(dir, sizeof dir, "full-disk");
    REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
    setenv("CLNN_CACHE_DIR", dir, 1);
    static unsigned char payload[64 << 10];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (unsigned char)(i * 2654435761u >> 24);
    const char *key_small = "0123456789abcdef0123456789abcdef", *key_big = "fedcba9876543210fedcba9876543210";

    struct rlimit old;
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0, "getrlimit");
    struct rlimit lim = {4096, old.rlim_max}; /* lowering only the soft limit can be undone by anyone */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit: %s", strerror(errno));
    int small_ok = clnn__binary_cache_store(key_small, payload, 1000);          /* fits in 4 KiB */
    int big_ok = clnn__binary_cache_store(key_big, payload, sizeof payload);    /* cut off at 4 KiB */
    REQUIRE(setrlimit(RLIMIT_FSIZE, &old) == 0, "restore the file-size limit");
    signal(SIGXFSZ, prev);

    CHECK(small_ok == 1, "a file that fits is still written");
    CHECK(big_ok == 0, "a write that runs out of space reports failure");
    CHECK(count_files(dir, "bin") == 1 && count_files(dir, "tmp") == 0,
          "full disk: only the file that fit, no partial temp file (%d .bin, %d .tmp)", count_files(dir, "bin"),
          count_files(dir, "tmp"));
    unsigned char *back = NULL;
    size_t size = 0;
    int rejected = 0;
    CHECK(clnn__binary_cache_load(key_small, &back, &size, &rejected) == 1 && size == 1000 &&
              memcmp(back, payload, 1000) == 0, "the file that fit loads back intact");
    free(back);
    CHECK(clnn__binary_cache_load(key_big, &back, &size, &rejected) == 0 && rejected == 0,
          "the file that did not fit is absent (a miss, not a corrupt file)");
}

static long smallest_file(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    REQUIRE(d, "open %s", dir);
    long smallest = -1;
    *count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".bin")) continue;
        char p[1024];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && (smallest < 0 || st.st_size < smallest)) smallest = (long)st.st_size;
        (*count)++;
    }
    closedir(d);
    return smallest;
}

/* Deletes or replaces every cache file while a context that loaded them runs. */
static void changed_under_a_running_context(const char *dir, unsigned long programs)
{
    setenv("CLNN_CACHE_DIR", dir, 1);
    clnn_context *ctx = test_context();
    CHECK_OK(ctx, clnn_context_build_all(ctx));
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    CHECK(s.disk_hits == programs, "warm cache: %lu hits", s.disk_hits);

    /* replace: each file gets the bytes of another program's file (a valid
     * file for the wrong key), or garbage when there is only one program */
    DIR *d = opendir(dir);
    REQUIRE(d, "open %s", dir);
    char names[64][300];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strstr(e->d_name, ".bin")) snprintf(names[n++], sizeof names[0], "%s/%s", dir, e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++) {
        char tmp[400];
        snprintf(tmp, sizeof tmp, "%s.swap", names[i]);
        if (n > 1) {
            char cmd[1000];
            snprintf(cmd, sizeof cmd, "cp '%s' '%s'", names[(i + 1) % n], tmp);
            REQUIRE(system(cmd) == 0, "%s", cmd);
        } else {
            FILE *f = fopen(tmp, "wb");
            REQUIRE(f, "write %s", tmp);
            fputs("CLNNBIN1 but nothing valid after it", f);
            fclose(f);
        }
        REQUIRE(rename(tmp, names[i]) == 0, "rename");
    }
    size_t len = 33;
    float out[33];
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &len, &t));
    CHECK_OK(ctx, clnn_tensor_fill(t, -1.5f));
    CHECK_OK(ctx, clnn_scale(t, 2.0f));
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == -3.0f && out[32] == -3.0f, "running context unaffected by replaced files");
    s = fill_in_new_context(dir, "replaced files");
    CHECK(s.disk_rejects == programs && s.source_builds == programs && s.disk_writes == programs,
          "replaced files: %lu rejects, %lu builds, %lu rewrites", s.disk_rejects, s.source_builds, s.disk_writes);

    /* delete */
    for (int i = 0; i < n; i++) unlink(names[i]);
    CHECK_OK(ctx, clnn_tensor_fill(t, 4.0f));
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == 4.0f && out[32] == 4.0f, "running context unaffected by deleted files");
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    s = fill_in_new_context(dir, "deleted files");
    CHECK(s.disk_hits == 0 && s.source_builds == programs && s.disk_writes == programs,
          "deleted files: %lu builds, %lu rewrites", s.source_builds, s.disk_writes);
    int count = 0;
    smallest_file(dir, &count);
    CHECK(count == (int)programs, "cache files rewritten: %d", count);
}

static void build_failure(const char *cache)
{
    char kdir[512], kfile[600];
    path(kdir, sizeof kdir, "broken-kernels");
    REQUIRE(mkdir(kdir, 0755) == 0, "mkdir %s", kdir);
    snprintf(kfile, sizeof kfile, "%s/tensor.cl", kdir);
    FILE *f = fopen(kfile, "w");
    REQUIRE(f, "write %s", kfile);
    fputs("__kernel void fill_f32(__global float *x, const uint n, const float value) { x[0] = missing_name; }\n", f);
    fclose(f);
    char dir[512];
    path(dir, sizeof dir, "build-failure-cache");
    setenv("CLNN_CACHE_DIR", dir, 1);
    setenv("CLNN_KERNEL_DIR", kdir, 1);
    clnn_context *ctx = test_context();
    size_t n = 5;
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    for (int attempt = 0; attempt < 2; attempt++) { /* the failure is reported again, not cached */
        test_expect_api_error("clBuildProgram", "CL_BUILD_PROGRAM_FAILURE");
        CHECK(clnn_tensor_fill(t, 1.0f) == CLNN_ERR_BUILD, "attempt %d: broken kernel -> CLNN_ERR_BUILD", attempt);
        CHECK(strstr(clnn_last_error(ctx), "missing_name") != NULL, "attempt %d: message carries the build log: %s",
              attempt, clnn_last_error(ctx));
    }
    CHECK(count_files(dir, "bin") <= 0, "nothing cached for a failed build");
    /* the context is still usable once the kernel source is good again */
    unsetenv("CLNN_KERNEL_DIR");
    CHECK_OK(ctx, clnn_tensor_fill(t, 2.0f));
    float out[5];
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == 2.0f && out[4] == 2.0f, "context works after a failed build");
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    setenv("CLNN_CACHE_DIR", cache, 1);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/clnn-test-faults-%ld", (long)getpid());
    REQUIRE(mkdir(root, 0755) == 0, "mkdir %s", root);
    char cache[512];
    path(cache, sizeof cache, "cache");
    full_disk();

    /* a healthy cache first: the number of programs and the file sizes */
    clnn_cache_stats cold = fill_in_new_context(cache, "cold cache");
    unsigned long programs = cold.source_builds;
    int files = 0;
    long smallest = smallest_file(cache, &files);
    REQUIRE(programs >= 1 && files == (int)programs && smallest > 56, "cold cache: %lu programs, %d files",
            programs, files);

    unwritable_directories(programs);
    changed_under_a_running_context(cache, programs);
    build_failure(cache);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_summary();
}
