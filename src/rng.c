/* Host Philox4x32-10, bit-identical to cl/philox.clh (same counter layout). */
#include "internal.h"

static void philox4x32_10(uint32_t ctr[4], uint32_t key[2])
{
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * ctr[0], p1 = (uint64_t)0xCD9E8D57u * ctr[2];
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ ctr[1] ^ key[0], n2 = hi0 ^ ctr[3] ^ key[1];
        ctr[0] = n0;
        ctr[1] = lo1;
        ctr[2] = n2;
        ctr[3] = lo0;
        key[0] += 0x9E3779B9u;
        key[1] += 0xBB67AE85u;
    }
}

void clnn_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]}, k[2] = {key[0], key[1]};
    philox4x32_10(c, k);
    for (int i = 0; i < 4; i++) out[i] = c[i];
}

uint32_t clnn_philox_word(uint64_t seed, uint32_t stream, uint64_t index)
{
    uint64_t block = index >> 2;
    uint32_t c[4] = {(uint32_t)block, (uint32_t)(block >> 32), stream, 0};
    uint32_t k[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    philox4x32_10(c, k);
    return c[index & 3];
}

float clnn_philox_uniform(uint64_t seed, uint32_t stream, uint64_t index)
{
    return (float)(clnn_philox_word(seed, stream, index) >> 8) * (1.0f / 16777216.0f);
}
