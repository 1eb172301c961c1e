/* The sample tests' checks: CHECK counts a condition as passed or failed
 * (printing the failed ones with their line), sample_check_summary prints
 * the counts and gives the exit status. One test program per file, so the
 * counters are the program's. */
#ifndef SAMPLES_TESTS_SAMPLE_CHECK_H
#define SAMPLES_TESTS_SAMPLE_CHECK_H

#include <stdio.h>

static int passed, failed;
#define CHECK(c, ...)                                                          \
    do {                                                                       \
        if (c) passed++;                                                       \
        else {                                                                 \
            failed++;                                                          \
            fprintf(stderr, "FAIL line %d: %s: ", __LINE__, #c);               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

static inline int sample_check_summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

#endif
