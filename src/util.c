/* Small host utilities: clocks, directories, float checks, SplitMix64. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double clnn__now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int clnn__mkdir_p(const char *path)
{
    size_t len = strlen(path);
    char *buf = len ? malloc(len + 1) : NULL; /* any length: a cut path would be another directory */
    if (!buf) return -1;
    memcpy(buf, path, len + 1);
    int rc = 0;
    for (char *p = buf + 1; *p && rc == 0; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir(buf, 0755) != 0 && errno != EEXIST) rc = -1;
    free(buf);
    return rc;
}

int clnn__is_finite(float x) { return isfinite(x); }

uint64_t clnn__splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
