/* On-disk cache of program binaries. A file is
 *   header { magic "CLNNBIN1", u64 payload size, u64 XXH64(payload), 32 hex key } + payload
 * and is accepted only when every field checks out; anything else is a miss
 * and the caller builds from source. Writes go to a temp file renamed into place. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
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
    static _Thread_local char dir[4096];
    const char *env = getenv("CLNN_CACHE_DIR");
    if (env && strcmp(env, "off") == 0) return NULL;
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/clnn/kernels", xdg);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/clnn/kernels", home);
    else return NULL;
    return dir;
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
    char path[4200];
    cache_path(path, sizeof path, dir, key_hex);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    file_header h;
    unsigned char *buf = NULL;
    struct stat st;
    int ok = fread(&h, sizeof h, 1, f) == 1 && memcmp(h.magic, MAGIC, 8) == 0 &&
             memcmp(h.key, key_hex, 32) == 0 && h.size > 0 && h.size <= MAX_BINARY_BYTES;
    /* The payload must be exactly the rest of the file: checked before
     * allocating, so a damaged 56-byte file cannot cost a 512 MiB malloc. */
    ok = ok && fstat(fileno(f), &st) == 0 && st.st_size >= (off_t)sizeof h &&
         (uint64_t)st.st_size - sizeof h == h.size;
    if (ok) {
        buf = malloc((size_t)h.size);
        ok = buf && fread(buf, 1, (size_t)h.size, f) == (size_t)h.size && fgetc(f) == EOF &&
             XXH64(buf, (size_t)h.size, 0) == h.checksum;
    }
    fclose(f);
    if (!ok) {
        free(buf);
        *rejected = 1;
        return 0;
    }
    *data = buf;
    *size = (size_t)h.size;
    return 1;
}

int clnn__binary_cache_store(const char *key_hex, const unsigned char *data, size_t size)
{
    const char *dir_env = clnn__binary_cache_dir();
    if (!dir_env || size == 0 || size > MAX_BINARY_BYTES) return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", dir_env);
    if (clnn__mkdir_p(dir) != 0) return 0;
    char path[4200], tmp[4300];
    cache_path(path, sizeof path, dir, key_hex);
    static _Atomic unsigned counter;
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    FILE *f = fopen(tmp, "wb");
    if (!f) return 0;
    file_header h;
    memcpy(h.magic, MAGIC, 8);
    h.size = size;
    h.checksum = XXH64(data, size, 0);
    memcpy(h.key, key_hex, 32);
    int ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(data, 1, size, f) == size;
    ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) remove(tmp);
    return ok;
}
