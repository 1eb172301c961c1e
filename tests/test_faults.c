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
 *     not remembered, other programs keep working;
 *   - what others can leave in a shared cache directory: links planted at
 *     temp names (never followed), a FIFO or a link at a cache file's name
 *     (a miss, never a hang), a dead writer's temp file (removed); a cache
 *     directory path past PATH_MAX (no cache, never a cut path);
 *   - CLNN_KERNEL_DIR holding a FIFO at <name>.cl (a build error, never a
 *     hang) or a program without the kernel asked for (a build error naming
 *     the user's file, not "a bug in clnn").
 * A hang is a failure: SIGALRM ends the test with a message.
 * (An allocation larger than the device allows is in test_errors.c.) */
#include "check.h"
#include "internal.h" /* clnn__binary_cache_store/load: src/binary_cache.c is built into this test */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[256];

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL: a cache or kernel-source read hung (no answer within the alarm)\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(2);
    _exit(1);
}

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

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    REQUIRE(f && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", path);
}

/* a dead writer's temp file, 20 minutes old: removed by the next store */
static void stale_temp_file(const char *dir, const char *key, const unsigned char *payload, size_t size)
{
    pid_t dead = fork();
    REQUIRE(dead >= 0, "fork");
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    char stale[700];
    snprintf(stale, sizeof stale, "%s/%s.bin.tmp.%ld.3", dir, key, (long)dead);
    write_file(stale, "half a binary");
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= 1200;
    t[1] = t[0];
    REQUIRE(utimensat(AT_FDCWD, stale, t, 0) == 0, "utimensat");
    CHECK(clnn__binary_cache_store(key, payload, size) == 1, "store");
    CHECK(access(stale, F_OK) != 0, "a dead writer's stale temp file is removed");
}

/* a cache directory path past PATH_MAX: no cache, nothing written at a cut path */
static void cache_dir_past_path_max(const char *key, const unsigned char *payload, size_t size)
{
    char long_dir[6000], cmd[1600];
    size_t len = (size_t)snprintf(long_dir, sizeof long_dir, "%s/long", root);
    REQUIRE(mkdir(long_dir, 0755) == 0, "mkdir");
    while (len < 5000) {
        long_dir[len++] = '/';
        for (int i = 0; i < 199; i++, len++) long_dir[len] = (char)('a' + i % 26);
        long_dir[len] = '\0';
    }
    setenv("CLNN_CACHE_DIR", long_dir, 1);
    CHECK(clnn__binary_cache_store(key, payload, size) == 0, "no store under a path past PATH_MAX");
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s/long' -mindepth 1)\"", root);
    CHECK(system(cmd) == 0, "nothing made below the path: no directory or file at a cut path");
}

/* What another user of a shared cache directory can leave there. Drives the
 * store and load directly, like full_disk. */
static void shared_cache_directory(void)
{
    char dir[512], victim[512];
    path(dir, sizeof dir, "shared-cache");
    REQUIRE(mkdir(dir, 0755) == 0, "mkdir %s", dir);
    path(victim, sizeof victim, "victim.txt");
    write_file(victim, "precious\n");
    setenv("CLNN_CACHE_DIR", dir, 1);
    const char *key = "00112233445566778899aabbccddeeff", *key2 = "ffeeddccbbaa99887766554433221100";
    unsigned char payload[300];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (unsigned char)(i * 7);

    /* links at the temp names the old writer used: <key>.bin.tmp.<pid>.<n> */
    for (int n = 0; n < 8; n++) {
        char planted[700];
        snprintf(planted, sizeof planted, "%s/%s.bin.tmp.%ld.%d", dir, key, (long)getpid(), n);
        REQUIRE(symlink(victim, planted) == 0, "symlink %s", planted);
    }
    CHECK(clnn__binary_cache_store(key, payload, sizeof payload) == 1, "store beside planted links");
    FILE *f = fopen(victim, "r");
    char back[64] = "";
    CHECK(f && fgets(back, sizeof back, f) && strcmp(back, "precious\n") == 0, "the links' target is untouched");
    if (f) fclose(f);
    unsigned char *data = NULL;
    size_t size = 0;
    int rejected = 0;
    CHECK(clnn__binary_cache_load(key, &data, &size, &rejected) == 1 && size == sizeof payload &&
              memcmp(data, payload, size) == 0, "the stored file loads back");
    free(data);

    /* a FIFO at a cache file's name: a miss (rejected), no hang */
    char bin[700];
    snprintf(bin, sizeof bin, "%s/%s.bin", dir, key2);
    REQUIRE(mkfifo(bin, 0644) == 0, "mkfifo");
    alarm(20);
    CHECK(clnn__binary_cache_load(key2, &data, &size, &rejected) == 0 && rejected == 1,
          "a FIFO as a cache file is rejected without blocking");
    CHECK(clnn__binary_cache_store(key2, payload, sizeof payload) == 0, "a FIFO is not replaced");
    alarm(0);
    struct stat st;
    CHECK(lstat(bin, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO stays");
    unlink(bin);

    /* a link at a cache file's name, to a valid file for that key: not followed */
    CHECK(clnn__binary_cache_store(key2, payload, sizeof payload) == 1, "store once the FIFO is gone");
    char moved[700];
    snprintf(moved, sizeof moved, "%s/moved.bin", root);
    REQUIRE(rename(bin, moved) == 0 && symlink(moved, bin) == 0, "link %s", bin);
    CHECK(clnn__binary_cache_load(key2, &data, &size, &rejected) == 0 && rejected == 1,
          "a link as a cache file is rejected");
    unlink(bin);

    stale_temp_file(dir, key2, payload, sizeof payload);
    cache_dir_past_path_max(key, payload, sizeof payload);
}

/* CLNN_KERNEL_DIR holding a FIFO, or a program without the kernel asked for. */
static void kernel_dir_faults(const char *cache)
{
    char kdir[512], kfile[600];
    path(kdir, sizeof kdir, "odd-kernels");
    REQUIRE(mkdir(kdir, 0755) == 0, "mkdir %s", kdir);
    snprintf(kfile, sizeof kfile, "%s/tensor.cl", kdir);
    REQUIRE(mkfifo(kfile, 0644) == 0, "mkfifo");
    setenv("CLNN_KERNEL_DIR", kdir, 1);
    clnn_context *ctx = test_context();
    size_t n = 5;
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    alarm(60);
    CHECK(clnn_tensor_fill(t, 1.0f) == CLNN_ERR_BUILD, "a FIFO as an overriding source: CLNN_ERR_BUILD");
    alarm(0);
    const char *msg = clnn_last_error(ctx);
    CHECK(strstr(msg, kfile) && strstr(msg, "FIFO"), "the message names the file and what it is: %s", msg);

    unlink(kfile);
    write_file(kfile, "__kernel void not_what_clnn_wants(__global float *x) { x[0] = 1.0f; }\n");
    CHECK(clnn_tensor_fill(t, 1.0f) == CLNN_ERR_BUILD, "a kernel missing from an overriding source: CLNN_ERR_BUILD");
    msg = clnn_last_error(ctx);
    CHECK(strstr(msg, kfile) && strstr(msg, "fill_f32") && !strstr(msg, "bug"),
          "the message names the user's file and the kernel: %s", msg);
    unsetenv("CLNN_KERNEL_DIR");
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
    signal(SIGALRM, on_alarm);
    full_disk();
    shared_cache_directory();

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
    kernel_dir_faults(cache);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_summary();
}
