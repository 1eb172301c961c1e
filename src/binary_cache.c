/* On-disk cache of program binaries. A file is
 *   header { magic "CLNNBIN1", u64 payload size, u64 XXH64(payload), 32 hex key } + payload
 * and is accepted only when every field checks out; anything else is a miss
 * and the caller builds from source. The directory may be shared with other
 * users (CLNN_CACHE_DIR): a cache file is read only when it is a regular
 * file, not a link (never a FIFO or device); writes go through
 * clnn__write_file_atomic (mkstemp + rename), and dead writers' temp files
 * are removed. */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define CACHE_FORMAT_VERSION "clnn-binary-cache-1"
#define MAGIC "CLNNBIN1"
#define MAX_BINARY_BYTES (512u << 20)

typedef struct file_header {
    char magic[8];
    uint64_t size;
    uint64_t checksum;
    char key[32];
} file_header;

const char *clnn__binary_cache_dir(void)
{
    static _Thread_local char dir[PATH_MAX];
    const char *env = getenv("CLNN_CACHE_DIR");
    if (env && strcmp(env, "off") == 0) return NULL;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (env && *env) n = snprintf(dir, sizeof dir, "%s", env);
    else if (xdg && *xdg) n = snprintf(dir, sizeof dir, "%s/clnn/kernels", xdg);
    else if (home && *home) n = snprintf(dir, sizeof dir, "%s/.cache/clnn/kernels", home);
    else return NULL;
    /* a directory whose files' paths would pass PATH_MAX: no cache, never a cut path */
    return n > 0 && (size_t)n + 64 < sizeof dir ? dir : NULL;
}

static void hash_field(XXH3_state_t *st, const char *s)
{
    XXH3_128bits_update(st, s, strlen(s) + 1); /* the NUL separates fields */
}

void clnn__binary_cache_key(const clnn_context *ctx, const char *source, const char *options,
                            char hex[33])
{
    XXH3_state_t *st = XXH3_createState();
    XXH128_hash_t h = {0, 0};
    if (st) {
        XXH3_128bits_reset(st);
        hash_field(st, CACHE_FORMAT_VERSION);
        hash_field(st, ctx->info.key);
        hash_field(st, ctx->info.platform_version);
        hash_field(st, ctx->info.opencl_version);
        hash_field(st, options);
        hash_field(st, source);
        h = XXH3_128bits_digest(st);
        XXH3_freeState(st);
    }
    snprintf(hex, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* dir is clnn__binary_cache_dir's: the path fits PATH_MAX. */
static void cache_path(char *buf, size_t len, const char *dir, const char *key_hex)
{
    snprintf(buf, len, "%s/%s.bin", dir, key_hex);
}

int clnn__binary_cache_load(const char *key_hex, unsigned char **data, size_t *size, int *rejected)
{
    *data = NULL;
    *size = 0;
    *rejected = 0;
    const char *dir = clnn__binary_cache_dir();
    if (!dir) return 0;
    char path[PATH_MAX], why[256];
    cache_path(path, sizeof path, dir, key_hex);
    char *buf = NULL;
    size_t len = 0;
    /* the size cap comes from the file's size: a damaged 56-byte file cannot
     * cost a 512 MiB malloc */
    int r = clnn__read_regular(path, 1, sizeof(file_header) + MAX_BINARY_BYTES, &buf, &len, why, sizeof why);
    if (r == CLNN__READ_MISSING) return 0;
    file_header h;
    int ok = r == CLNN__READ_OK && len >= sizeof h;
    if (ok) memcpy(&h, buf, sizeof h);
    ok = ok && memcmp(h.magic, MAGIC, 8) == 0 && memcmp(h.key, key_hex, 32) == 0 && h.size > 0 &&
         h.size <= MAX_BINARY_BYTES && len - sizeof h == h.size && /* the payload is exactly the rest */
         XXH64(buf + sizeof h, (size_t)h.size, 0) == h.checksum;
    if (!ok) {
        free(buf);
        *rejected = 1;
        return 0;
    }
    memmove(buf, buf + sizeof h, (size_t)h.size);
    *data = (unsigned char *)buf;
    *size = (size_t)h.size;
    return 1;
}

int clnn__binary_cache_store(const char *key_hex, const unsigned char *data, size_t size)
{
    const char *dir_env = clnn__binary_cache_dir();
    if (!dir_env || size == 0 || size > MAX_BINARY_BYTES) return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", dir_env);
    if (clnn__mkdir_p(dir) != 0) return 0;
    char path[PATH_MAX];
    cache_path(path, sizeof path, dir, key_hex);
    file_header h;
    memcpy(h.magic, MAGIC, 8);
    h.size = size;
    h.checksum = XXH64(data, size, 0);
    memcpy(h.key, key_hex, 32);
    clnn__chunk chunks[2] = {{&h, sizeof h}, {data, size}};
    char *tmp = clnn__atomic_prepare(path, chunks, 2, 0); /* a damaged file is only a miss: no fsync */
    int ok = tmp && clnn__atomic_commit(tmp, path) == 0;
    clnn__remove_stale_temps(dir, ".bin");
    return ok;
}
