/* Fuzz target: the on-disk program-binary cache loader (src/binary_cache.c).
 * Each input is written as a cache file and loaded. The loader must accept
 * exactly the files a reader written from the format description would
 * accept (header: "CLNNBIN1", u64 payload size, u64 XXH64 of the payload,
 * the 32-hex-digit key; then the payload, nothing after it), return that
 * payload byte for byte, and reject everything else without crashing. A
 * payload stored with clnn__binary_cache_store must load back unchanged. */
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define HEADER_BYTES 56                /* 8 magic + 8 size + 8 checksum + 32 key */
#define MAX_PAYLOAD (512ull << 20)     /* the loader's documented limit */

static const char KEY[] = "00112233445566778899aabbccddeeff";
static const char KEY_STORE[] = "ffeeddccbbaa99887766554433221100";
static char dir[64], file[256], stored_file[256];

static void cleanup(void)
{
    unlink(file);
    unlink(stored_file);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    /* /dev/shm when there is one: the target writes two files per input */
    snprintf(dir, sizeof dir, "%s/clnn-fuzz-cache.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) abort();
    setenv("CLNN_CACHE_DIR", dir, 1);
    snprintf(file, sizeof file, "%s/%s.bin", dir, KEY);
    snprintf(stored_file, sizeof stored_file, "%s/%s.bin", dir, KEY_STORE);
    atexit(cleanup);
    return 0;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The reference decision, written from the format description. */
static int should_accept(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES || memcmp(data, "CLNNBIN1", 8) != 0 || memcmp(data + 24, KEY, 32) != 0) return 0;
    uint64_t n = u64_at(data + 8);
    return n > 0 && n <= MAX_PAYLOAD && n == size - HEADER_BYTES &&
           XXH64(data + HEADER_BYTES, (size_t)n, 0) == u64_at(data + 16);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();

    unsigned char *bin = NULL;
    size_t n = 0;
    int rejected = 0;
    int ok = clnn__binary_cache_load(KEY, &bin, &n, &rejected);
    int want = should_accept(data, size);
    if (ok != want) {
        fprintf(stderr, "loader %s a file the format says to %s\n", ok ? "accepted" : "rejected",
                want ? "accept" : "reject");
        abort();
    }
    if (ok && (rejected || n != size - HEADER_BYTES || memcmp(bin, data + HEADER_BYTES, n) != 0)) abort();
    if (!ok && (!rejected || bin || n)) abort(); /* an existing bad file is a counted reject, nothing returned */
    free(bin);

    /* store -> load round trip of the input as a payload */
    if (size > 0 && size <= (1u << 16)) {
        if (!clnn__binary_cache_store(KEY_STORE, data, size)) abort();
        ok = clnn__binary_cache_load(KEY_STORE, &bin, &n, &rejected);
        if (!ok || n != size || memcmp(bin, data, size) != 0) abort();
        free(bin);
    }
    return 0;
}
