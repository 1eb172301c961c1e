/* Program cache: a second context loads every program from the on-disk binary
 * cache and builds none from source (how much faster that is, is clnn-bench's
 * "cache" row: timings are not pass/fail); corrupt, truncated and
 * foreign files fall back to building from source; CLNN_CACHE_DIR=off writes
 * nothing; a build failure reports the compiler's log. */
#include "check.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char cache_dir[512];

static clnn_cache_stats build_all_in_new_context(double *seconds)
{
    clnn_context *ctx = test_context();
    CHECK_OK(ctx, clnn_context_build_all(ctx));
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    *seconds = s.build_seconds;
    /* the programs work: fill through the (possibly cached) tensor program */
    size_t n = 37;
    clnn_tensor *t = NULL;
    float out[37];
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    CHECK_OK(ctx, clnn_tensor_fill(t, 1.5f));
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == 1.5f && out[36] == 1.5f, "kernels from this context's programs run");
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    return s;
}

/* A fresh context that loads only the tensor program (through a fill): the
 * damaged-file rounds below need one program, not a rebuild of all of them
 * (a full cold build is ~40 s on PoCL, far more under ASan). */
static clnn_cache_stats fill_in_new_context(void)
{
    clnn_context *ctx = test_context();
    size_t n = 37;
    clnn_tensor *t = NULL;
    float out[37];
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    CHECK_OK(ctx, clnn_tensor_fill(t, 2.5f));
    CHECK_OK(ctx, clnn_tensor_download(t, out, sizeof out));
    CHECK(out[0] == 2.5f && out[36] == 2.5f, "the tensor program's kernels run");
    clnn_cache_stats s;
    clnn_context_cache_stats(ctx, &s);
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    return s;
}

/* Applies damage(path) to every cached binary; returns how many files. */
static int for_each_binary(void (*damage)(const char *path, int i))
{
    DIR *d = opendir(cache_dir);
    REQUIRE(d, "cache dir %s", cache_dir);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".bin") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", cache_dir, e->d_name);
        damage(path, count++);
    }
    closedir(d);
    return count;
}

static void count_only(const char *path, int i) { (void)path; (void)i; }

/* Three kinds of damage in turn: garbage bytes, truncation, a valid-looking
 * header whose payload checksum does not match (a foreign or edited file). */
static void corrupt(const char *path, int i)
{
    FILE *f = fopen(path, "r+b");
    REQUIRE(f, "open %s", path);
    if (i % 3 == 0) {
        fputs("this is not a program binary", f);
        fclose(f);
    } else if (i % 3 == 1) {
        fclose(f);
        REQUIRE(truncate(path, 20) == 0, "truncate");
    } else {
        fseek(f, 200, SEEK_SET);
        fputc('X', f);
        fclose(f);
    }
}

static void empty_file(const char *path, int i)
{
    (void)i;
    FILE *f = fopen(path, "wb");
    if (f) fclose(f);
}

static void build_failure(void)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s-kernels", cache_dir);
    mkdir(dir, 0755);
    char path[700];
    snprintf(path, sizeof path, "%s/tensor.cl", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f, "write %s", path);
    fputs("__kernel void fill_f32(__global float *x, const uint n, const float value)\n"
          "{ x[get_global_id(0)] = value + undeclared_identifier_here; }\n", f);
    fclose(f);
    setenv("CLNN_KERNEL_DIR", dir, 1);
    clnn_context *ctx = test_context();
    size_t n = 3;
    clnn_tensor *t = NULL;
    CHECK_OK(ctx, clnn_tensor_create(ctx, CLNN_FLOAT32, 1, &n, &t));
    test_expect_api_error("clBuildProgram", "CL_BUILD_PROGRAM_FAILURE");
    CHECK(clnn_tensor_fill(t, 1.0f) == CLNN_ERR_BUILD, "a broken kernel fails to build");
    const char *msg = clnn_last_error(ctx);
    CHECK(strstr(msg, "clnn_tensor_fill") && strstr(msg, "tensor.cl") && strstr(msg, "undeclared_identifier_here"),
          "message names the call, the file and carries the build log: %s", msg);
    clnn_tensor_release(t);
    clnn_context_release(ctx);
    unsetenv("CLNN_KERNEL_DIR");
}

int main(void)
{
    /* Measure our cache, not PoCL's own kernel cache. */
    setenv("POCL_KERNEL_CACHE", "0", 1);
    snprintf(cache_dir, sizeof cache_dir, "/tmp/clnn-test-cache-%ld", (long)getpid());
    setenv("CLNN_CACHE_DIR", cache_dir, 1);

    double cold = 0, warm = 0;
    clnn_cache_stats s1 = build_all_in_new_context(&cold);
    CHECK(s1.source_builds >= 1 && s1.disk_hits == 0, "cold: %lu source builds, %lu hits", s1.source_builds,
          s1.disk_hits);
    CHECK(s1.disk_writes == s1.source_builds, "cold: %lu of %lu binaries written", s1.disk_writes,
          s1.source_builds);
    int files = for_each_binary(count_only);
    CHECK(files == (int)s1.source_builds, "%d cache files for %lu programs", files, s1.source_builds);

    clnn_cache_stats s2 = build_all_in_new_context(&warm);
    CHECK(s2.disk_hits == s1.source_builds && s2.source_builds == 0, "warm: %lu hits, %lu source builds",
          s2.disk_hits, s2.source_builds);
    printf("program cache: cold build %.3f s, cached load %.4f s (timing only; clnn-bench measures it)\n", cold,
           warm);

    /* damaged files: rejected, rebuilt from source, rewritten (one program
     * each time: the tensor program a fill loads) */
    for_each_binary(corrupt);
    clnn_cache_stats s3 = fill_in_new_context();
    CHECK(s3.disk_rejects == 1 && s3.source_builds == 1 && s3.disk_hits == 0 && s3.disk_writes == 1,
          "corrupt: %lu rejects, %lu source builds, %lu writes", s3.disk_rejects, s3.source_builds, s3.disk_writes);
    clnn_cache_stats s4 = fill_in_new_context();
    CHECK(s4.disk_hits == 1 && s4.source_builds == 0, "rewritten file is used again (%lu hits)", s4.disk_hits);
    for_each_binary(empty_file);
    clnn_cache_stats s5 = fill_in_new_context();
    CHECK(s5.disk_rejects == 1 && s5.source_builds == 1, "empty file rejected (%lu rejects)", s5.disk_rejects);

    /* disabled cache: nothing read or written */
    setenv("CLNN_CACHE_DIR", "off", 1);
    clnn_cache_stats s6 = fill_in_new_context();
    CHECK(s6.disk_writes == 0 && s6.disk_hits == 0 && s6.disk_rejects == 0 && s6.source_builds == 1,
          "CLNN_CACHE_DIR=off");
    /* an unwritable cache directory is not an error */
    setenv("CLNN_CACHE_DIR", "/proc/clnn-cannot-write-here", 1);
    clnn_cache_stats s7 = fill_in_new_context();
    CHECK(s7.disk_writes == 0 && s7.source_builds == 1, "unwritable cache dir");
    setenv("CLNN_CACHE_DIR", cache_dir, 1);

    /* in-memory reuse within one context (the disk cache off: the rounds
     * above left damaged files, and rebuilding every binary costs ~30 s) */
    setenv("CLNN_CACHE_DIR", "off", 1);
    clnn_context *ctx = test_context();
    CHECK_OK(ctx, clnn_context_build_all(ctx));
    CHECK_OK(ctx, clnn_context_build_all(ctx));
    clnn_cache_stats s8;
    clnn_context_cache_stats(ctx, &s8);
    CHECK(s8.memory_hits == s1.source_builds, "second build_all in a context: %lu memory hits", s8.memory_hits);
    clnn_context_release(ctx);
    setenv("CLNN_CACHE_DIR", cache_dir, 1);

    build_failure();

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s-kernels'", cache_dir, cache_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", cache_dir);
    return check_summary();
}
